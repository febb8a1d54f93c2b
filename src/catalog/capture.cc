// The captures table: one row per capture.recorded entry (see capture_apply.h).
#include <optional>
#include <string>
#include <vector>

#include "catalog/capture_apply.h"
#include "catalog/catalog.h"
#include "catalog/entries.h"
#include "catalog/sql.h"

namespace isnad::catalog {
namespace internal {

// docs/formats/catalog.md, "Captures"; change both together. `changed`:
// whether the payload differs from the URL's previous capture that recorded
// a response (NULL for the first one, and for failures).
const char* const kCaptureSchemaSql = R"sql(
CREATE TABLE captures (
  leaf_index     INTEGER PRIMARY KEY,
  url            TEXT NOT NULL,
  captured_at    TEXT NOT NULL,
  final_url      TEXT,
  status         INTEGER,
  warc_leaf      INTEGER,
  payload_leaf   INTEGER,
  payload_sha256 TEXT,
  content_type   TEXT,
  error          TEXT,
  changed        INTEGER
);
CREATE INDEX captures_by_url ON captures (url, leaf_index);
CREATE INDEX captures_by_payload ON captures (payload_leaf);
CREATE INDEX captures_by_warc ON captures (warc_leaf);
)sql";

namespace {

// Checks that `member` names an item created before `leaf` whose sha256 is
// `sha_member`'s; returns its leaf.
StatusOr<int64_t> ExpectItem(StmtCache& q, const Json& e, const char* member,
                             const char* sha_member, int64_t leaf) {
  std::string sha;
  ISNAD_ASSIGN_OR_RETURN(int64_t item, EarlierItem(q, e, member, leaf, &sha));
  if (sha != Member(e, sha_member)) {
    return core::InvalidArgument("capture.recorded " + std::string(sha_member) + " " +
                                 Member(e, sha_member) + " is not the sha256 of item " +
                                 Member(e, member) + " (" + sha + ")");
  }
  return item;
}

}  // namespace

Status ApplyCapture(StmtCache& q, int64_t leaf, const Json& e) {
  const bool captured = e.contains("warc");
  std::optional<int64_t> warc, payload;
  if (captured) {
    ISNAD_ASSIGN_OR_RETURN(warc, ExpectItem(q, e, "warc", "warc_sha256", leaf));
  }
  if (e.contains("payload")) {
    ISNAD_ASSIGN_OR_RETURN(payload, ExpectItem(q, e, "payload", "payload_sha256", leaf));
  }
  const std::string& url = Member(e, "url");
  const std::string& payload_sha = Member(e, "payload_sha256");
  std::optional<bool> changed;
  if (captured) {
    ISNAD_ASSIGN_OR_RETURN(CachedStmt prev,
                           q.Get("SELECT payload_sha256 FROM captures WHERE url = ?1 AND "
                                 "warc_leaf IS NOT NULL ORDER BY leaf_index DESC LIMIT 1"));
    prev->TextRef(1, url);
    ISNAD_ASSIGN_OR_RETURN(bool row, prev->Step("looking up the previous capture"));
    if (row) changed = prev->ColText(0) != payload_sha;  // NULL reads as "", as an absent payload
  }
  ISNAD_ASSIGN_OR_RETURN(CachedStmt cached,
                         q.Get("INSERT INTO captures (leaf_index, url, captured_at, final_url, "
                               "status, warc_leaf, payload_leaf, payload_sha256, content_type, "
                               "error, changed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                               "?11)"));
  Stmt& st = *cached;
  st.Int(1, leaf);
  st.TextRef(2, url);
  st.TextRef(3, Member(e, "captured"));
  st.TextRefOrNull(4, Member(e, "final_url"));
  if (e.contains("status")) st.Int(5, static_cast<int64_t>(e["status"].get<uint64_t>()));
  if (warc) st.Int(6, *warc);
  if (payload) st.Int(7, *payload);
  st.TextRefOrNull(8, payload_sha);
  st.TextRefOrNull(9, Member(e, "content_type"));
  st.TextRefOrNull(10, Member(e, "error"));
  if (changed) st.Int(11, *changed ? 1 : 0);
  return st.Run("recording a capture");
}

Status ApplyCaptureExtracted(StmtCache& q, int64_t leaf, const Json& e) {
  const uint64_t capture = e["capture"].get<uint64_t>();
  bool found = false;
  if (capture < static_cast<uint64_t>(leaf)) {
    ISNAD_ASSIGN_OR_RETURN(CachedStmt st, q.Get("SELECT 1 FROM captures WHERE leaf_index = ?1 "
                                                "AND url = ?2 AND warc_leaf IS NOT NULL"));
    st->Int(1, static_cast<int64_t>(capture));
    st->TextRef(2, Member(e, "url"));
    ISNAD_ASSIGN_OR_RETURN(found, st->Step("looking up a capture"));
  }
  if (!found) {
    return core::NotFound("capture.extracted refers to capture " + std::to_string(capture) +
                          ", which is no earlier capture.recorded of " + Member(e, "url"));
  }
  if (e.contains("media"))
    ISNAD_RETURN_IF_ERROR(ExpectItem(q, e, "media", "media_sha256", leaf).status());
  if (e.contains("info"))
    ISNAD_RETURN_IF_ERROR(ExpectItem(q, e, "info", "info_sha256", leaf).status());
  return Status::Ok();
}

}  // namespace internal

using core::StatusOr;
using internal::Stmt;
using internal::Tx;

namespace {

StatusOr<CaptureRecord> ReadCapture(sqlite3* db, const Stmt& st) {
  CaptureRecord r;
  r.leaf_index = static_cast<uint64_t>(st.ColInt(0));
  r.url = st.ColText(1);
  r.captured_at = st.ColText(2);
  r.final_url = st.ColText(3);
  r.status = st.ColIsNull(4) ? 0 : static_cast<int>(st.ColInt(4));
  if (!st.ColIsNull(5)) r.warc = ItemId(static_cast<uint64_t>(st.ColInt(5)));
  if (!st.ColIsNull(6)) r.payload = ItemId(static_cast<uint64_t>(st.ColInt(6)));
  if (!st.ColIsNull(7)) {
    auto h = core::Hash::FromHex(st.ColText(7));
    if (!h.ok()) {
      return internal::Malformed(
          db, "capture " + std::to_string(r.leaf_index) + " has a malformed payload_sha256");
    }
    r.payload_sha256 = *h;
  }
  r.content_type = st.ColText(8);
  r.error = st.ColText(9);
  if (!st.ColIsNull(10)) r.changed = st.ColInt(10) != 0;
  return r;
}

constexpr const char* kCaptureColumns =
    "leaf_index, url, captured_at, final_url, status, warc_leaf, payload_leaf, payload_sha256, "
    "content_type, error, changed";

}  // namespace

StatusOr<std::vector<CaptureRecord>> Catalog::Captures(std::string_view url) const {
  Tx tx(db_);
  ISNAD_RETURN_IF_ERROR(tx.Begin(/*write=*/false));
  ISNAD_ASSIGN_OR_RETURN(
      Stmt st, Stmt::Prepare(db_, std::string("SELECT ") + kCaptureColumns +
                                      (url.empty() ? " FROM captures ORDER BY leaf_index"
                                                   : " FROM captures WHERE url = ?1 ORDER BY "
                                                     "leaf_index")));
  if (!url.empty()) st.Text(1, url);
  std::vector<CaptureRecord> out;
  while (true) {
    ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("listing captures"));
    if (!row) break;
    ISNAD_ASSIGN_OR_RETURN(CaptureRecord r, ReadCapture(db_, st));
    out.push_back(std::move(r));
  }
  ISNAD_RETURN_IF_ERROR(tx.Commit());
  return out;
}

StatusOr<std::vector<CaptureRecord>> Catalog::CapturesOfItem(std::string_view item_id) const {
  std::optional<uint64_t> leaf = ParseItemId(item_id);
  if (!leaf) return core::InvalidArgument("\"" + std::string(item_id) + "\" is not an item id");
  Tx tx(db_);
  ISNAD_RETURN_IF_ERROR(tx.Begin(/*write=*/false));
  ISNAD_ASSIGN_OR_RETURN(
      Stmt st, Stmt::Prepare(db_, std::string("SELECT ") + kCaptureColumns +
                                      " FROM captures WHERE payload_leaf = ?1 OR warc_leaf = ?1 "
                                      "ORDER BY leaf_index"));
  st.Int(1, static_cast<int64_t>(*leaf));
  std::vector<CaptureRecord> out;
  while (true) {
    ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("listing an item's captures"));
    if (!row) break;
    ISNAD_ASSIGN_OR_RETURN(CaptureRecord r, ReadCapture(db_, st));
    out.push_back(std::move(r));
  }
  ISNAD_RETURN_IF_ERROR(tx.Commit());
  return out;
}

StatusOr<std::optional<CaptureRecord>> Catalog::LastCapture(std::string_view url) const {
  static const std::string kSql = std::string("SELECT ") + kCaptureColumns +
                                  " FROM captures WHERE url = ?1 AND warc_leaf IS NOT NULL "
                                  "ORDER BY leaf_index DESC LIMIT 1";
  ISNAD_ASSIGN_OR_RETURN(internal::CachedStmt st, stmts_->Get(kSql));
  st->TextRef(1, url);
  ISNAD_ASSIGN_OR_RETURN(bool row, st->Step("looking up the last capture"));
  if (!row) return std::optional<CaptureRecord>();
  auto r = ReadCapture(db_, *st);
  if (!r.ok()) return r.status();
  return std::optional<CaptureRecord>(std::move(r).value());
}

}  // namespace isnad::catalog
