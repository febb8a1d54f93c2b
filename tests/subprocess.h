// Running the real `isnad` binary from tests: fork/exec with stdout and stderr
// captured in files, so tests see exactly what a user or a script would.
// Not thread safe (uses the process's working directory and environment).
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/canonical_json.h"

namespace isnad::testing {

struct RunResult {
  int exit_code = -1;  // -signal when killed
  std::string out;
  std::string err;
};

// Path of the isnad binary under test.
std::string IsnadBinary();

// Runs `args` (args[0] is the program) with `env` added to the environment,
// waits, and returns its exit code and output.
RunResult RunProcess(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env = {});

// As RunProcess, but with stderr on a pseudo-terminal, as when a person runs the
// command: `err` holds everything drawn there, progress lines included (the
// terminal turns each "\n" into "\r\n"). nullopt where no pseudo-terminal can
// be opened.
std::optional<RunResult> RunOnTerminal(const std::vector<std::string>& args,
                                       const std::map<std::string, std::string>& env = {});

// Starts `args` with stdout to `out_path` and stderr to `err_path`; returns the pid.
pid_t StartProcess(const std::vector<std::string>& args, const std::string& out_path,
                   const std::string& err_path, const std::map<std::string, std::string>& env = {});
// Parses JSON Lines output (`--json`), one object per non-empty line.
std::vector<core::Json> JsonLines(const std::string& out);

// Waits for `pid`; returns its exit code or -signal.
int WaitProcess(pid_t pid);

}  // namespace isnad::testing
