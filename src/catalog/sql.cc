#include "catalog/sql.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "catalog/entries.h"

namespace isnad::catalog::internal {

std::string DbName(sqlite3* db) {
  const char* f = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
  return f != nullptr && *f != '\0' ? f : "(scratch)";  // ":memory:" or a private temporary file
}

// Turns an SQLite result code into a Status that says what failed, where,
// and what to do about it.
Status SqlError(sqlite3* db, int rc, std::string_view what) {
  std::string msg = "catalogue " + DbName(db) + ": " + std::string(what) + ": " +
                    (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  // An I/O error's cause, from the system: a full disk says "disk I/O error"
  // (SQLite could not grow its -shm or -wal file), which blames the file.
  const int sys = (rc & 0xff) == SQLITE_IOERR && db != nullptr ? sqlite3_system_errno(db) : 0;
  if (sys == ENOSPC || sys == EDQUOT) {
    return core::ResourceExhausted(msg + " (" + std::strerror(sys) +
                                   "): the disk holding the archive is full; nothing is damaged. "
                                   "Free some space there, then try again");
  }
  if (sys == EACCES || sys == EPERM || sys == EROFS) {
    return core::IoError(msg + " (" + std::strerror(sys) +
                         "): check who may read and write the archive's folder, then try again");
  }
  if ((rc & 0xff) == SQLITE_CANTOPEN) {
    // SQLite reports a folder it cannot write its journal in as "unable to open": say
    // when that is because the archive is on a read-only mount.
    const char* file = db == nullptr ? nullptr : sqlite3_db_filename(db, "main");
    struct statvfs fs {};
    if (file != nullptr && *file != '\0' &&
        ::statvfs(std::filesystem::path(file).parent_path().c_str(), &fs) == 0 &&
        (fs.f_flag & ST_RDONLY) != 0) {
      return core::IoError(msg +
                           ": the archive's file system is mounted read-only, so nothing can be "
                           "written there. Remount it read-write, or copy the archive to "
                           "writable storage, then try again");
    }
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return core::Locked(msg + "; another process held the catalogue for more than " +
                          std::to_string(kBusyTimeoutMs / 1000) + " s, try again");
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return core::ResourceExhausted(msg + "; free disk space or memory and try again");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return core::Integrity(msg +
                             "; the catalogue is damaged: delete it and run `isnad reindex` to "
                             "rebuild it from the log");
    case SQLITE_READONLY:
      return core::FailedPrecondition(msg + "; the catalogue is read-only here");
    case SQLITE_CONSTRAINT:
      return core::Internal(msg +
                            " (a bug in isnad, or the catalogue was edited by hand); run `isnad "
                            "reindex` to rebuild it");
    default:
      return core::IoError(msg + "; check the file and its folder, then try again");
  }
}

Status Exec(sqlite3* db, const char* sql, std::string_view what) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : SqlError(db, rc, what);
}

StatusOr<int64_t> ReadInt(sqlite3* db, const char* sql, std::string_view what) {
  ISNAD_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db, sql));
  ISNAD_ASSIGN_OR_RETURN(bool row, st.Step(what));
  if (!row) return core::Internal("catalogue " + DbName(db) + ": no result " + std::string(what));
  int64_t v = st.ColInt(0);
  st.Reset();
  return v;
}

Status Malformed(sqlite3* db, std::string_view what) {
  return core::Integrity("catalogue " + DbName(db) + ": " + std::string(what) +
                         "; delete it and run `isnad reindex` to rebuild it from the log");
}

// The value of a validated entry's string member, "" when absent.
const std::string& Member(const Json& e, const char* key) {
  static const std::string kAbsent;
  auto it = e.find(key);
  return it != e.end() && it->is_string() ? it->get_ref<const std::string&>() : kAbsent;
}

StatusOr<int64_t> EarlierItem(StmtCache& q, const Json& e, const char* member, int64_t leaf,
                              std::string* sha256) {
  const std::string& id = Member(e, member);
  std::optional<uint64_t> item = ParseItemId(id);  // validated
  if (item && static_cast<int64_t>(*item) < leaf) {
    ISNAD_ASSIGN_OR_RETURN(CachedStmt st, q.Get("SELECT sha256 FROM items WHERE leaf_index = ?1"));
    st->Int(1, static_cast<int64_t>(*item));
    ISNAD_ASSIGN_OR_RETURN(bool row, st->Step("looking up an item"));
    if (row) {
      if (sha256 != nullptr) *sha256 = st->ColText(0);
      return static_cast<int64_t>(*item);
    }
  }
  return core::NotFound(Member(e, "type") + " refers to item " + id +
                        ", which no earlier item.ingested entry created");
}

CachedStmt::CachedStmt(Stmt owned) : owned_(std::make_unique<Stmt>(std::move(owned))) {
  stmt_ = owned_.get();
}

StatusOr<CachedStmt> StmtCache::Get(std::string_view sql) {
  auto it = stmts_.find(sql);
  if (it == stmts_.end()) {
    ISNAD_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_, sql));
    it = stmts_.emplace(std::string(sql), Entry{std::move(st), false}).first;
  } else if (it->second.busy) {
    ISNAD_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_, sql));
    return CachedStmt(std::move(st));
  }
  it->second.busy = true;
  return CachedStmt(&it->second.stmt, &it->second.busy);
}

StatusOr<Stmt> Stmt::Prepare(sqlite3* db, std::string_view sql) {
  Stmt st;
  st.db_ = db;
  int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &st.s_, nullptr);
  if (rc != SQLITE_OK) return SqlError(db, rc, "preparing \"" + std::string(sql) + "\"");
  return st;
}

StatusOr<bool> Stmt::Step(std::string_view what) {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) {
    Reset();
    return false;
  }
  Status err = SqlError(db_, rc, what);
  Reset();
  return err;
}

Status Stmt::Run(std::string_view what) {
  ISNAD_ASSIGN_OR_RETURN(bool row, Step(what));
  if (row) Reset();
  return Status::Ok();
}

Status Tx::Begin(bool write) {
  ISNAD_RETURN_IF_ERROR(Exec(db_, write ? "BEGIN IMMEDIATE" : "BEGIN",
                             write ? "starting a write transaction" : "starting a read"));
  open_ = true;
  return Status::Ok();
}

Status Tx::Commit() {
  ISNAD_RETURN_IF_ERROR(Exec(db_, "COMMIT", "committing"));
  open_ = false;
  return Status::Ok();
}

}  // namespace isnad::catalog::internal
