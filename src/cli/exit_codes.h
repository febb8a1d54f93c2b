// The one place where a Status becomes a process exit code. Documented in the
// README ("Exit codes"); scripts rely on these numbers, so never renumber.
#pragma once

#include "core/status.h"

namespace isnad::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,       // failed, or partly done (some files not added)
  kExitUsage = 2,       // bad command line
  kExitNotFound = 3,    // no such archive, item, entry or file
  kExitLocked = 4,      // another writer holds the archive, or another export its --out
  kExitIo = 5,          // the operating system failed us (disk full, permissions)
  kExitIntegrity = 10,  // a hash, proof or signature does not hold: evidence at risk
};

inline int ExitCodeFor(const core::Status& s) {
  switch (s.code()) {
    case core::Code::kOk:
      return kExitOk;
    case core::Code::kInvalidArgument:
      return kExitUsage;
    case core::Code::kNotFound:
      return kExitNotFound;
    case core::Code::kLocked:
      return kExitLocked;
    case core::Code::kIoError:
    case core::Code::kResourceExhausted:
      return kExitIo;
    case core::Code::kIntegrity:
      return kExitIntegrity;
    default:
      return kExitError;
  }
}

}  // namespace isnad::cli
