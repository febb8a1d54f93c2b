// Running a program to its end, or killing it at a timeout: no shell, its own process
// group (killed as one), stdin /dev/null, stdout and stderr kept up to a cap. For the
// external tools isnad runs (yt-dlp, poppler-utils). Thread safe.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace isnad::core {

struct ProcessResult {
  bool started = false;
  int spawn_errno = 0;     // why it did not start (ENOENT: not found)
  bool timed_out = false;  // killed, with its process group, at the timeout
  int exit_status = -1;    // when it exited; -1 when killed by a signal
  int signal = 0;          // the signal that ended it, 0 when none
  std::string out, err;    // the first `cap` bytes of each
  bool out_truncated = false, err_truncated = false;
};

// Runs argv[0] (a path, or a name looked up in PATH: posix_spawnp) with the arguments that
// follow, in the caller's environment, until it exits or `timeout_ms` have passed.
ProcessResult RunProcess(const std::vector<std::string>& argv, int timeout_ms, size_t cap);

}  // namespace isnad::core
