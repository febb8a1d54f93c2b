// Internal to the catalog module: SQLite helpers shared by catalog.cc (items,
// provenance, fingerprint) and graph.cc (the evidence graph and search).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "core/canonical_json.h"
#include "core/status.h"

namespace isnad::catalog::internal {

using core::Json;
using core::Status;
using core::StatusOr;

// How long a statement waits for another connection's lock before kLocked.
inline constexpr int kBusyTimeoutMs = 5000;

std::string DbName(sqlite3* db);
// Turns an SQLite result code into a Status that says what failed, where,
// and what to do about it.
Status SqlError(sqlite3* db, int rc, std::string_view what);
Status Exec(sqlite3* db, const char* sql, std::string_view what);
StatusOr<int64_t> ReadInt(sqlite3* db, const char* sql, std::string_view what);
// kIntegrity: the catalogue holds something the log could not have produced.
Status Malformed(sqlite3* db, std::string_view what);
// The value of a validated entry's string member, "" when absent.
const std::string& Member(const Json& e, const char* key);
// The leaf index of the item that entry `e`'s `member` names, when an
// item.ingested entry before `leaf` created it; kNotFound, naming the entry's
// type, otherwise. With `sha256`, also gives that item's SHA-256 in hex.
StatusOr<int64_t> EarlierItem(sqlite3* db, const Json& e, const char* member, int64_t leaf,
                              std::string* sha256 = nullptr);

// An owned prepared statement.
class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept : db_(o.db_), s_(std::exchange(o.s_, nullptr)) {}
  Stmt& operator=(Stmt&& o) noexcept {
    if (this != &o) {
      sqlite3_finalize(s_);
      db_ = o.db_;
      s_ = std::exchange(o.s_, nullptr);
    }
    return *this;
  }
  ~Stmt() { sqlite3_finalize(s_); }

  static StatusOr<Stmt> Prepare(sqlite3* db, std::string_view sql);

  void Int(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void Text(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  // Without a copy: `v` must outlive the step (Run/Step/StepRaw reset the
  // statement, which ends its use). For the hot path of Apply.
  void TextRef(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  // TextRef, or NULL for "" (an absent optional member).
  void TextRefOrNull(int i, std::string_view v) {
    if (v.empty()) {
      sqlite3_bind_null(s_, i);
    } else {
      TextRef(i, v);
    }
  }

  // Steps once and resets: SQLite's result code, for callers that inspect it.
  int StepRaw() {
    int rc = sqlite3_step(s_);
    Reset();
    return rc;
  }
  // Steps once: true with a row, false when done (then resets for reuse).
  StatusOr<bool> Step(std::string_view what);
  // Steps a statement that returns no rows, then resets it.
  Status Run(std::string_view what);
  void Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

  int64_t ColInt(int i) const { return sqlite3_column_int64(s_, i); }
  bool ColIsNull(int i) const { return sqlite3_column_type(s_, i) == SQLITE_NULL; }
  std::string ColText(int i) const {
    const unsigned char* p = sqlite3_column_text(s_, i);
    if (p == nullptr) return "";
    return std::string(reinterpret_cast<const char*>(p),
                       static_cast<size_t>(sqlite3_column_bytes(s_, i)));
  }
  sqlite3_stmt* get() const { return s_; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* s_ = nullptr;
};

// A transaction rolled back on destruction unless committed. Reads use one
// too, so that a multi-statement read sees one snapshot.
class Tx {
 public:
  explicit Tx(sqlite3* db) : db_(db) {}
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;
  ~Tx() {
    if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  // IMMEDIATE takes the write lock now (waiting up to the busy timeout), so a
  // writer never fails half-way on a lock upgrade.
  Status Begin(bool write);
  Status Commit();

 private:
  sqlite3* db_;
  bool open_ = false;
};

}  // namespace isnad::catalog::internal
