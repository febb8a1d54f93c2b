#include "core/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <thread>

extern char** environ;

namespace isnad::core {
namespace {

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

ProcessResult RunProcess(const std::vector<std::string>& argv, int timeout_ms, size_t cap) {
  ProcessResult r;
  if (argv.empty()) {
    r.spawn_errno = EINVAL;
    return r;
  }
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    r.spawn_errno = errno;
    for (int* fd : {&out[0], &out[1], &err[0], &err[1]}) CloseFd(*fd);
    return r;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group, killed as one
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  CloseFd(out[1]);
  CloseFd(err[1]);
  if (rc != 0) {
    r.spawn_errno = rc;
    CloseFd(out[0]);
    CloseFd(err[0]);
    return r;
  }
  r.started = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto left_ms = [&] {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    return static_cast<int>(std::clamp<long long>(left, 0, INT_MAX));
  };
  struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  bool* truncated[2] = {&r.out_truncated, &r.err_truncated};
  int open = 2;
  std::vector<char> buf(64 * 1024);
  while (open > 0 && !r.timed_out) {
    int wait = left_ms();
    if (wait == 0) {
      r.timed_out = true;
      break;
    }
    int n = ::poll(fds, 2, wait);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      ssize_t k = ::read(fds[i].fd, buf.data(), buf.size());
      if (k > 0) {
        size_t room = cap - std::min(cap, sinks[i]->size());
        sinks[i]->append(buf.data(), std::min(room, static_cast<size_t>(k)));
        if (static_cast<size_t>(k) > room) *truncated[i] = true;
      } else if (k == 0 || (errno != EINTR && errno != EAGAIN)) {
        CloseFd(fds[i].fd);
        --open;
      }
    }
  }
  // Its output is closed (or time is up): wait for it to exit, then kill
  // what is left of its group before reaping it (so the group id is not reused).
  siginfo_t info;
  while (true) {
    std::memset(&info, 0, sizeof info);
    int w = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
    if (w == 0 && info.si_pid == pid) break;
    if (w != 0 && errno != EINTR) break;
    if (r.timed_out || left_ms() == 0) {
      r.timed_out = true;
      ::kill(-pid, SIGKILL);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  for (auto& p : fds) CloseFd(p.fd);
  if (WIFEXITED(status)) {
    r.exit_status = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
  }
  if (r.timed_out) r.exit_status = -1;
  return r;
}

}  // namespace isnad::core
