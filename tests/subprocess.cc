#include "subprocess.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "core/testing/temp_dir.h"

namespace isnad::testing {

std::string IsnadBinary() { return ISNAD_BINARY; }

pid_t StartProcess(const std::vector<std::string>& args, const std::string& out_path,
                   const std::string& err_path, const std::map<std::string, std::string>& env) {
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = ::open("/dev/null", O_RDONLY);
    if (out < 0 || err < 0 || in < 0) ::_exit(127);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

int WaitProcess(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1;
}

RunResult RunProcess(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env) {
  core::testing::TempDir tmp;
  RunResult r;
  pid_t pid = StartProcess(args, tmp.Join("out"), tmp.Join("err"), env);
  r.exit_code = WaitProcess(pid);
  r.out = core::testing::ReadTestFile(tmp.Join("out"));
  r.err = core::testing::ReadTestFile(tmp.Join("err"));
  return r;
}

std::optional<RunResult> RunOnTerminal(const std::vector<std::string>& args,
                                       const std::map<std::string, std::string>& env) {
  int terminal = ::posix_openpt(O_RDWR | O_NOCTTY);
  if (terminal < 0 || ::grantpt(terminal) != 0 || ::unlockpt(terminal) != 0) {
    if (terminal >= 0) ::close(terminal);
    return std::nullopt;
  }
  ::fcntl(terminal, F_SETFD, FD_CLOEXEC);
  core::testing::TempDir tmp;
  pid_t pid = StartProcess(args, tmp.Join("out"), ::ptsname(terminal), env);
  RunResult r;
  char buf[4096];
  while (true) {  // until the read fails (EIO): the child's side is closed
    ssize_t n = ::read(terminal, buf, sizeof buf);
    if (n > 0) {
      r.err.append(buf, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  r.exit_code = WaitProcess(pid);
  ::close(terminal);
  r.out = core::testing::ReadTestFile(tmp.Join("out"));
  return r;
}

std::vector<core::Json> JsonLines(const std::string& out) {
  std::vector<core::Json> v;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) v.push_back(core::Json::parse(line));
  }
  return v;
}

}  // namespace isnad::testing
