// The web archive tables: warc_records (one row per warc.record entry: a WARC
// record of an item, with its payload item) and warc_indexes (one row per
// warc.indexed entry). See webarchive_apply.h.
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/entries.h"
#include "catalog/sql.h"
#include "catalog/webarchive_apply.h"

namespace isnad::catalog {
namespace internal {

// docs/formats/warc.md, "Catalogue"; change both together.
const char* const kWebArchiveSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS warc_records (
  leaf_index     INTEGER PRIMARY KEY,
  container_leaf INTEGER NOT NULL,
  member         TEXT,
  record_offset  INTEGER NOT NULL,
  record_length  INTEGER NOT NULL,
  record_id      TEXT,
  warc_type      TEXT,
  target_uri     TEXT,
  warc_date      TEXT,
  content_type   TEXT,
  http_status    INTEGER,
  digest         TEXT,
  problem        TEXT,
  payload_leaf   INTEGER
);
CREATE INDEX IF NOT EXISTS warc_records_by_container ON warc_records (container_leaf, leaf_index);
CREATE INDEX IF NOT EXISTS warc_records_by_payload ON warc_records (payload_leaf);
CREATE INDEX IF NOT EXISTS warc_records_by_uri ON warc_records (target_uri);
CREATE TABLE IF NOT EXISTS warc_indexes (
  leaf_index     INTEGER PRIMARY KEY,
  item_leaf      INTEGER NOT NULL,
  member         TEXT,
  result         TEXT NOT NULL,
  records        INTEGER NOT NULL,
  digests_passed INTEGER NOT NULL,
  digests_failed INTEGER NOT NULL,
  problems       TEXT,
  signature      TEXT,
  error          TEXT
);
CREATE INDEX IF NOT EXISTS warc_indexes_by_item ON warc_indexes (item_leaf, leaf_index);
)sql";

namespace {

uint64_t Size(const Json& e, const char* member) {
  auto it = e.find(member);
  return it == e.end() ? 0 : it->get<uint64_t>();
}

}  // namespace

Status ApplyWebArchive(StmtCache& q, int64_t leaf, const Json& e) {
  if (Member(e, "type") == kWarcRecord) {
    ISNAD_ASSIGN_OR_RETURN(int64_t container, EarlierItem(q, e, "container", leaf));
    std::optional<int64_t> payload;
    if (e.contains("payload")) {
      ISNAD_ASSIGN_OR_RETURN(payload, EarlierItem(q, e, "payload", leaf));
    }
    ISNAD_ASSIGN_OR_RETURN(
        CachedStmt cached,
        q.Get("INSERT INTO warc_records (leaf_index, container_leaf, member, record_offset, "
              "record_length, record_id, warc_type, target_uri, warc_date, content_type, "
              "http_status, digest, problem, payload_leaf) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
              "?8, ?9, ?10, ?11, ?12, ?13, ?14)"));
    Stmt& st = *cached;
    st.Int(1, leaf);
    st.Int(2, container);
    st.TextRefOrNull(3, Member(e, "member"));
    st.Int(4, static_cast<int64_t>(Size(e, "offset")));
    st.Int(5, static_cast<int64_t>(Size(e, "length")));
    st.TextRefOrNull(6, Member(e, "record_id"));
    st.TextRefOrNull(7, Member(e, "warc_type"));
    st.TextRefOrNull(8, Member(e, "target_uri"));
    st.TextRefOrNull(9, Member(e, "warc_date"));
    st.TextRefOrNull(10, Member(e, "content_type"));
    if (e.contains("http_status")) st.Int(11, static_cast<int64_t>(Size(e, "http_status")));
    st.TextRefOrNull(12, Member(e, "digest"));
    st.TextRefOrNull(13, Member(e, "problem"));
    if (payload) st.Int(14, *payload);
    return st.Run("recording a WARC record");
  }
  ISNAD_ASSIGN_OR_RETURN(int64_t item, EarlierItem(q, e, "item", leaf));
  std::string problems;
  if (auto it = e.find("problems"); it != e.end()) problems = it->dump();
  ISNAD_ASSIGN_OR_RETURN(CachedStmt cached,
                         q.Get("INSERT INTO warc_indexes (leaf_index, item_leaf, member, result, "
                               "records, digests_passed, digests_failed, problems, signature, "
                               "error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
  Stmt& st = *cached;
  st.Int(1, leaf);
  st.Int(2, item);
  st.TextRefOrNull(3, Member(e, "member"));
  st.TextRef(4, Member(e, "result"));
  st.Int(5, static_cast<int64_t>(Size(e, "records")));
  st.Int(6, static_cast<int64_t>(Size(e, "digests_passed")));
  st.Int(7, static_cast<int64_t>(Size(e, "digests_failed")));
  st.TextRefOrNull(8, problems);
  st.TextRefOrNull(9, Member(e, "signature"));
  st.TextRefOrNull(10, Member(e, "error"));
  return st.Run("recording a web archive index");
}

}  // namespace internal

using core::StatusOr;
using internal::Stmt;
using internal::Tx;

namespace {

WarcRecordRow ReadRecordRow(const Stmt& st) {
  WarcRecordRow r;
  r.leaf_index = static_cast<uint64_t>(st.ColInt(0));
  r.container = ItemId(static_cast<uint64_t>(st.ColInt(1)));
  r.member = st.ColText(2);
  r.offset = static_cast<uint64_t>(st.ColInt(3));
  r.length = static_cast<uint64_t>(st.ColInt(4));
  r.record_id = st.ColText(5);
  r.warc_type = st.ColText(6);
  r.target_uri = st.ColText(7);
  r.warc_date = st.ColText(8);
  r.content_type = st.ColText(9);
  r.http_status = st.ColIsNull(10) ? 0 : static_cast<int>(st.ColInt(10));
  r.digest = st.ColText(11);
  r.problem = st.ColText(12);
  if (!st.ColIsNull(13)) r.payload = ItemId(static_cast<uint64_t>(st.ColInt(13)));
  return r;
}

constexpr const char* kRecordColumns =
    "leaf_index, container_leaf, member, record_offset, record_length, record_id, warc_type, "
    "target_uri, warc_date, content_type, http_status, digest, problem, payload_leaf";

}  // namespace

StatusOr<std::vector<WarcRecordRow>> Catalog::WarcRecords(std::string_view item_id,
                                                          bool as_payload) const {
  std::optional<uint64_t> leaf = ParseItemId(item_id);
  if (!leaf) return core::InvalidArgument("not an item id: " + std::string(item_id));
  Tx tx(db_);
  ISNAD_RETURN_IF_ERROR(tx.Begin(/*write=*/false));
  ISNAD_ASSIGN_OR_RETURN(
      Stmt st, Stmt::Prepare(db_, std::string("SELECT ") + kRecordColumns +
                                      (as_payload ? " FROM warc_records WHERE payload_leaf = ?1 "
                                                  : " FROM warc_records WHERE container_leaf = "
                                                    "?1 ") +
                                      "ORDER BY leaf_index"));
  st.Int(1, static_cast<int64_t>(*leaf));
  std::vector<WarcRecordRow> out;
  while (true) {
    ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("listing WARC records"));
    if (!row) break;
    out.push_back(ReadRecordRow(st));
  }
  ISNAD_RETURN_IF_ERROR(tx.Commit());
  return out;
}

StatusOr<std::vector<WarcIndexRow>> Catalog::WarcIndexes(std::string_view item_id) const {
  std::optional<uint64_t> leaf = ParseItemId(item_id);
  if (!leaf) return core::InvalidArgument("not an item id: " + std::string(item_id));
  Tx tx(db_);
  ISNAD_RETURN_IF_ERROR(tx.Begin(/*write=*/false));
  ISNAD_ASSIGN_OR_RETURN(
      Stmt st, Stmt::Prepare(db_,
                             "SELECT leaf_index, member, result, records, digests_passed, "
                             "digests_failed, problems, signature, error FROM warc_indexes WHERE "
                             "item_leaf = ?1 ORDER BY leaf_index"));
  st.Int(1, static_cast<int64_t>(*leaf));
  std::vector<WarcIndexRow> out;
  while (true) {
    ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("listing WARC indexes"));
    if (!row) break;
    WarcIndexRow r;
    r.leaf_index = static_cast<uint64_t>(st.ColInt(0));
    r.item = std::string(item_id);
    r.member = st.ColText(1);
    r.result = st.ColText(2);
    r.records = static_cast<uint64_t>(st.ColInt(3));
    r.digests_passed = static_cast<uint64_t>(st.ColInt(4));
    r.digests_failed = static_cast<uint64_t>(st.ColInt(5));
    std::string problems = st.ColText(6);
    if (!problems.empty()) {
      core::Json j = core::Json::parse(problems, nullptr, false);
      if (j.is_array())
        for (const auto& p : j)
          if (p.is_string()) r.problems.push_back(p.get<std::string>());
    }
    r.signature = st.ColText(7);
    r.error = st.ColText(8);
    out.push_back(std::move(r));
  }
  ISNAD_RETURN_IF_ERROR(tx.Commit());
  return out;
}

}  // namespace isnad::catalog
