// Status and StatusOr<T>: errors as values, after absl::Status.
// Every fallible call in isnad returns one of these; library code never exits
// or throws across a module boundary. Integrity failures (a hash, proof or
// signature that does not hold) have their own code, are never retried and are
// always reported. Codes map to exit codes in one place (src/cli/exit_codes.h).
// Thread safety: values; safe to copy between threads.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace isnad::core {

enum class Code {
  kOk = 0,
  kInvalidArgument,     // bad input from the user: a path, an id, a flag
  kNotFound,            // no such item, file or entry
  kAlreadyExists,       // e.g. init over an existing archive
  kFailedPrecondition,  // the archive is not in a state that allows this
  kLocked,              // another writer holds the archive lock
  kResourceExhausted,   // disk full, size limits
  kIoError,             // the operating system said no
  kIntegrity,           // a hash, proof, signature or format does not hold
  kUnimplemented,
  kInternal,  // a bug in isnad
};

// Returns the lower-case name of `code`, e.g. "integrity".
std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns "code: message", or "ok".
  std::string ToString() const;

  // Returns a copy whose message is "context: message" (no-op when ok).
  Status WithContext(std::string_view context) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
inline Status FailedPrecondition(std::string m) {
  return {Code::kFailedPrecondition, std::move(m)};
}
inline Status Locked(std::string m) { return {Code::kLocked, std::move(m)}; }
inline Status ResourceExhausted(std::string m) { return {Code::kResourceExhausted, std::move(m)}; }
inline Status IoError(std::string m) { return {Code::kIoError, std::move(m)}; }
inline Status Integrity(std::string m) { return {Code::kIntegrity, std::move(m)}; }
inline Status Unimplemented(std::string m) { return {Code::kUnimplemented, std::move(m)}; }
inline Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

// Returns an I/O status for errno value `err` while doing `what` on `path`,
// e.g. "cannot open /a/b: No such file or directory". ENOSPC/EDQUOT map to
// kResourceExhausted, ENOENT to kNotFound.
Status ErrnoStatus(std::string_view what, std::string_view path, int err);

// A value or the status that explains why there is none.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok());
  }
  StatusOr(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace isnad::core

#define ISNAD_CONCAT_INNER(a, b) a##b
#define ISNAD_CONCAT(a, b) ISNAD_CONCAT_INNER(a, b)

// Returns from the current function when `expr` (a Status) is not ok.
#define ISNAD_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::isnad::core::Status isnad_status_ = (expr);  \
    if (!isnad_status_.ok()) return isnad_status_; \
  } while (0)

// `lhs = value of expr` (a StatusOr), or returns its status from the function.
#define ISNAD_ASSIGN_OR_RETURN(lhs, expr) \
  ISNAD_ASSIGN_OR_RETURN_IMPL(ISNAD_CONCAT(isnad_statusor_, __LINE__), lhs, expr)
#define ISNAD_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
