// Internal to the catalog module: SQLite helpers shared by catalog.cc (items,
// provenance, fingerprint) and graph.cc (the evidence graph and search).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
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
class StmtCache;
StatusOr<int64_t> EarlierItem(StmtCache& q, const Json& e, const char* member, int64_t leaf,
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

// A statement lent by a StmtCache: reset, its bindings cleared, and given back
// when this goes out of scope, so that a kept statement never holds a read
// open (which would pin the connection's snapshot) whichever way the caller
// returns.
class CachedStmt {
 public:
  CachedStmt(const CachedStmt&) = delete;
  CachedStmt& operator=(const CachedStmt&) = delete;
  CachedStmt& operator=(CachedStmt&&) = delete;
  CachedStmt(CachedStmt&& o) noexcept
      : stmt_(std::exchange(o.stmt_, nullptr)),
        busy_(std::exchange(o.busy_, nullptr)),
        owned_(std::move(o.owned_)) {}
  ~CachedStmt() {
    if (stmt_ != nullptr) stmt_->Reset();
    if (busy_ != nullptr) *busy_ = false;
  }
  Stmt& operator*() const { return *stmt_; }
  Stmt* operator->() const { return stmt_; }

 private:
  friend class StmtCache;
  CachedStmt(Stmt* stmt, bool* busy) : stmt_(stmt), busy_(busy) {}
  explicit CachedStmt(Stmt owned);
  Stmt* stmt_ = nullptr;
  bool* busy_ = nullptr;  // the cache's in-use flag; null for an owned statement
  std::unique_ptr<Stmt> owned_;
};

// Statements prepared once on a connection and kept until it closes, by
// their SQL text: for the statements run once per entry or per look-up, whose
// preparing otherwise costs more than running them (a capture's committing
// thread spent 11 % of its time in sqlite3_prepare_v2). A statement asked for
// again while lent out (a nested use) is prepared afresh for that use. Not
// thread safe: one cache per connection, used by the connection's one thread.
class StmtCache {
 public:
  explicit StmtCache(sqlite3* db) : db_(db) {}
  StmtCache(const StmtCache&) = delete;
  StmtCache& operator=(const StmtCache&) = delete;

  StatusOr<CachedStmt> Get(std::string_view sql);
  sqlite3* db() const { return db_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  struct Entry {
    Stmt stmt;
    bool busy = false;
  };
  sqlite3* db_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> stmts_;
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
