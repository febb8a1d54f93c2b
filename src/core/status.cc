#include "core/status.h"

#include <cerrno>
#include <cstring>

namespace isnad::core {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidArgument:
      return "invalid argument";
    case Code::kNotFound:
      return "not found";
    case Code::kAlreadyExists:
      return "already exists";
    case Code::kFailedPrecondition:
      return "failed precondition";
    case Code::kLocked:
      return "locked";
    case Code::kResourceExhausted:
      return "resource exhausted";
    case Code::kIoError:
      return "I/O error";
    case Code::kIntegrity:
      return "INTEGRITY FAILURE";
    case Code::kUnimplemented:
      return "unimplemented";
    case Code::kInternal:
      return "internal error";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(CodeName(code_)) + ": " + message_;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  return Status(code_, std::string(context) + ": " + message_);
}

Status ErrnoStatus(std::string_view what, std::string_view path, int err) {
  std::string msg = std::string(what) + " " + std::string(path) + ": " + std::strerror(err);
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      return ResourceExhausted(msg + " (free some disk space, then run the command again)");
    case ENOENT:
      return NotFound(msg);
    case EROFS:
      return IoError(msg +
                     " (the file system is mounted read-only: remount it read-write or copy the "
                     "archive to writable storage, then run the command again)");
    default:
      return IoError(msg);
  }
}

}  // namespace isnad::core
