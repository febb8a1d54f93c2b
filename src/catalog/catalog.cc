#include "catalog/catalog.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>
#include <limits>
#include <utility>

#include "catalog/capture_apply.h"
#include "catalog/entries.h"
#include "catalog/graph_apply.h"
#include "catalog/media_apply.h"
#include "catalog/sql.h"
#include "catalog/webarchive_apply.h"
#include "core/canonical_json.h"
#include "core/encoding.h"
#include "core/utf8.h"
#include "core/worker.h"

namespace isnad::catalog {
namespace {

using core::Json;
using core::Status;
using core::StatusOr;
using internal::DbName;
using internal::Exec;
using internal::kBusyTimeoutMs;
using internal::Malformed;
using internal::Member;
using internal::ReadInt;
using internal::SqlError;
using internal::Stmt;
using internal::Tx;

// Bump when the schema changes; an older catalogue is then rebuilt with
// `isnad reindex` (it is derived data, so there are no migrations).
constexpr int kSchemaVersion = 10;  // 10: withdrawn events' documents, withdrawn claims' actors
constexpr int64_t kMaxSqlInteger = std::numeric_limits<int64_t>::max();

// docs/formats/catalog.md describes this schema; change both together.
constexpr const char* kSchemaSql = R"sql(
CREATE TABLE meta (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  applied_size INTEGER NOT NULL,
  applied_root TEXT NOT NULL
);
INSERT INTO meta (id, applied_size, applied_root)
  VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
CREATE TABLE archive (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  leaf_index INTEGER NOT NULL,
  origin     TEXT NOT NULL,
  vkey       TEXT NOT NULL,
  software   TEXT NOT NULL,
  created_at TEXT NOT NULL,
  operator   TEXT NOT NULL
);
CREATE TABLE items (
  leaf_index  INTEGER PRIMARY KEY,
  id          TEXT GENERATED ALWAYS AS ('i' || leaf_index) VIRTUAL,
  sha256      TEXT NOT NULL,
  size        INTEGER NOT NULL,
  name        TEXT NOT NULL,
  media_type  TEXT NOT NULL,
  ingested_at TEXT NOT NULL,
  operator    TEXT NOT NULL
);
CREATE UNIQUE INDEX items_by_sha256 ON items (sha256);
CREATE TABLE sources (
  leaf_index INTEGER PRIMARY KEY,
  item_leaf  INTEGER NOT NULL,
  type       TEXT NOT NULL,
  name       TEXT NOT NULL,
  path       TEXT,
  url        TEXT,
  note       TEXT,
  time       TEXT NOT NULL,
  operator   TEXT NOT NULL,
  link_target TEXT
);
CREATE INDEX sources_by_item ON sources (item_leaf, leaf_index);
CREATE TABLE notes (
  leaf_index  INTEGER PRIMARY KEY,
  item_leaf   INTEGER NOT NULL,
  text        TEXT,
  text_sha256 TEXT,
  time        TEXT NOT NULL,
  operator    TEXT NOT NULL,
  CHECK ((text IS NULL) <> (text_sha256 IS NULL))
);
CREATE INDEX notes_by_item ON notes (item_leaf, leaf_index);
)sql";

// The rows Fingerprint() hashes: every stored column of every table, in
// primary-key order. (items.id is generated from leaf_index, so not stored.)
struct FingerprintTable {
  const char* name;
  const char* select;
};
constexpr FingerprintTable kFingerprintTables[] = {
    {"meta", "SELECT id, applied_size, applied_root FROM meta ORDER BY id"},
    {"archive",
     "SELECT id, leaf_index, origin, vkey, software, created_at, operator FROM archive ORDER BY "
     "id"},
    {"items",
     "SELECT leaf_index, sha256, size, name, media_type, ingested_at, operator FROM items "
     "ORDER BY leaf_index"},
    {"sources",
     "SELECT leaf_index, item_leaf, type, name, path, url, note, time, operator, link_target "
     "FROM sources ORDER BY leaf_index"},
    {"notes",
     "SELECT leaf_index, item_leaf, text, text_sha256, time, operator FROM notes "
     "ORDER BY leaf_index"},
    {"entities", "SELECT leaf_index, kind, time, operator FROM entities ORDER BY leaf_index"},
    {"texts", "SELECT owner, field, lang, text, leaf_index FROM texts ORDER BY owner, field, lang"},
    {"variants", "SELECT owner, name FROM variants ORDER BY owner, name"},
    {"names", "SELECT folded, owner FROM names ORDER BY folded, owner"},
    {"item_facts",
     "SELECT item_leaf, event_date, date_lo, date_hi, place_leaf, lat, lon, status, "
     "original_leaf FROM item_facts ORDER BY item_leaf"},
    {"tags", "SELECT item_leaf, tag, folded FROM tags ORDER BY item_leaf, tag"},
    {"reviews",
     "SELECT leaf_index, item_leaf, status, reason, time, operator FROM reviews ORDER BY "
     "leaf_index"},
    {"places", "SELECT leaf_index, lat, lon, within_leaf FROM places ORDER BY leaf_index"},
    {"incidents",
     "SELECT leaf_index, category, date, date_lo, date_hi FROM incidents ORDER BY leaf_index"},
    {"incident_places",
     "SELECT incident_leaf, place_leaf FROM incident_places ORDER BY incident_leaf, place_leaf"},
    {"links",
     "SELECT owner, role, item_leaf, leaf_index FROM links ORDER BY owner, role, item_leaf"},
    {"relation_withdrawals",
     "SELECT relation_leaf, leaf_index, reason, time, subject_leaf, predicate, object_leaf FROM "
     "relation_withdrawals ORDER BY relation_leaf"},
    {"withdrawals",
     "SELECT owner, role, item_leaf, leaf_index, reason, time FROM withdrawals ORDER BY owner, "
     "role, leaf_index, item_leaf"},
    {"actors", "SELECT leaf_index, actor_type FROM actors ORDER BY leaf_index"},
    {"relations",
     "SELECT leaf_index, subject_leaf, predicate, object_leaf, date_from, date_to, from_lo, "
     "to_hi FROM relations ORDER BY leaf_index"},
    {"relation_sources",
     "SELECT relation_leaf, item_leaf, confidence FROM relation_sources ORDER BY "
     "relation_leaf, item_leaf"},
    {"cases", "SELECT leaf_index, jurisdiction FROM cases ORDER BY leaf_index"},
    {"case_parties",
     "SELECT case_leaf, actor_leaf, role FROM case_parties ORDER BY case_leaf, actor_leaf, role"},
    {"case_events",
     "SELECT leaf_index, case_leaf, event, date, date_lo, date_hi FROM case_events ORDER BY "
     "leaf_index"},
    {"event_withdrawals",
     "SELECT event_leaf, case_leaf, event, date, leaf_index, reason, time FROM event_withdrawals "
     "ORDER BY event_leaf"},
    {"timestamps",
     "SELECT leaf_index, checkpoint_size, checkpoint_sha256, tsa, token_sha256, gen_time FROM "
     "timestamps ORDER BY leaf_index"},
    {"item_content", "SELECT item_leaf, text FROM item_content ORDER BY item_leaf"},
    {"captures",
     "SELECT leaf_index, url, captured_at, final_url, status, warc_leaf, payload_leaf, "
     "payload_sha256, content_type, error, changed FROM captures ORDER BY leaf_index"},
    {"warc_records",
     "SELECT leaf_index, container_leaf, member, record_offset, record_length, record_id, "
     "warc_type, target_uri, warc_date, content_type, http_status, digest, problem, payload_leaf "
     "FROM warc_records ORDER BY leaf_index"},
    {"media",
     "SELECT item_leaf, leaf_index, analyzer, media_type, width, height, duration_ms, "
     "captured_at, lat, lon, camera, title, author, pdq, pdq_quality, frames, frames_sha256, "
     "text_sha256, metadata_sha256, ocr, failures, near_duplicates FROM media ORDER BY "
     "item_leaf"},
    {"perceptual_hashes",
     "SELECT item_leaf, t_ms, quality, hash FROM perceptual_hashes ORDER BY item_leaf, t_ms, "
     "hash"},
    {"near_duplicates",
     "SELECT a_leaf, b_leaf, leaf_index FROM near_duplicates ORDER BY a_leaf, b_leaf"},
    {"warc_indexes",
     "SELECT leaf_index, item_leaf, member, result, records, digests_passed, digests_failed, "
     "problems, signature, error FROM warc_indexes ORDER BY leaf_index"},
    {"search", "SELECT rowid, exact, stem, skel, keys FROM search ORDER BY rowid"},
    {"search_terms", "SELECT col, term FROM search_terms ORDER BY col, term"},
};

constexpr const char* kItemColumns =
    "i.leaf_index, i.sha256, i.size, i.name, i.media_type, i.ingested_at, i.operator, "
    "(SELECT count(*) FROM sources s WHERE s.item_leaf = i.leaf_index)";

StatusOr<ItemRecord> ReadItem(sqlite3* db, const Stmt& st) {
  ItemRecord r;
  r.leaf_index = static_cast<uint64_t>(st.ColInt(0));
  r.id = ItemId(r.leaf_index);
  auto hash = core::Hash::FromHex(st.ColText(1));
  if (!hash.ok()) return Malformed(db, "item " + r.id + " has a malformed sha256");
  r.sha256 = *hash;
  r.size_bytes = static_cast<uint64_t>(st.ColInt(2));
  r.name = st.ColText(3);
  r.media_type = st.ColText(4);
  r.ingested_at = st.ColText(5);
  r.operator_ = st.ColText(6);
  r.source_count = static_cast<uint64_t>(st.ColInt(7));
  return r;
}

// Applies entries one by one inside Apply's transaction, with its statements
// prepared once per batch. Errors do not name the entry index; Apply adds it.
class Applier {
 public:
  static StatusOr<Applier> Prepare(sqlite3* db, internal::StmtCache* stmts,
                                   const TextSource* text_source, const BlobSource* blob_source,
                                   bool checking, std::unordered_set<std::string>* known_terms) {
    Applier a;
    a.db_ = db;
    a.stmts_ = stmts;
    a.blob_source_ = blob_source;
    a.checking_ = checking;
    a.graph_ = std::make_unique<internal::GraphApplier>(db, text_source, known_terms);
    ISNAD_ASSIGN_OR_RETURN(a.find_sha_,
                           Stmt::Prepare(db, "SELECT leaf_index FROM items WHERE sha256 = ?1"));
    ISNAD_ASSIGN_OR_RETURN(a.item_sha_,
                           Stmt::Prepare(db, "SELECT sha256 FROM items WHERE leaf_index = ?1"));
    ISNAD_ASSIGN_OR_RETURN(
        a.insert_archive_,
        Stmt::Prepare(db,
                      "INSERT INTO archive (id, leaf_index, origin, vkey, software, created_at, "
                      "operator) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)"));
    ISNAD_ASSIGN_OR_RETURN(
        a.insert_item_,
        Stmt::Prepare(db,
                      "INSERT INTO items (leaf_index, sha256, size, name, media_type, "
                      "ingested_at, operator) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    ISNAD_ASSIGN_OR_RETURN(
        a.insert_source_,
        Stmt::Prepare(db,
                      "INSERT INTO sources (leaf_index, item_leaf, type, name, path, url, note, "
                      "time, operator, link_target) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                      "?10)"));
    ISNAD_ASSIGN_OR_RETURN(
        a.insert_note_,
        Stmt::Prepare(db,
                      "INSERT INTO notes (leaf_index, item_leaf, text, text_sha256, time, "
                      "operator) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    return a;
  }

  Status ApplyOne(uint64_t index, const StatusOr<Json>& parsed) {
    if (!parsed.ok()) {
      return core::Integrity(parsed.status().message() +
                             "; the log is damaged or was written by another program, run "
                             "`isnad verify`");
    }
    const Json& e = *parsed;
    const std::string& type = Member(e, "type");
    const auto leaf = static_cast<int64_t>(index);
    if (type == kArchiveCreated) return ArchiveCreated(leaf, e);
    if (type == kItemIngested) {
      ISNAD_RETURN_IF_ERROR(ItemIngested(leaf, e));
      ISNAD_RETURN_IF_ERROR(graph_->ItemIngested(leaf, e));
      return InsertSource(leaf, leaf, type, e);
    }
    if (type != kSourceAdded && type != kNoteAdded) {
      if (type == kItemAnalyzed) return ItemAnalyzed(leaf, e);
      Status s = type == kCaptureRecorded    ? internal::ApplyCapture(*stmts_, leaf, e)
                 : type == kCaptureExtracted ? internal::ApplyCaptureExtracted(*stmts_, leaf, e)
                 : type == kWarcRecord || type == kWarcIndexed
                     ? internal::ApplyWebArchive(*stmts_, leaf, e)
                     : graph_->Apply(leaf, type, e);
      if (s.ok() || checking_ || s.code() == core::Code::kLocked ||
          s.code() == core::Code::kIoError) {
        return s;
      }
      return core::Integrity(s.message() + "; run `isnad verify`");
    }
    // source.added or note.added: the item must exist, and come before.
    const std::string& item = Member(e, "item");
    std::optional<uint64_t> item_leaf = ParseItemId(item);  // validated
    std::string item_hex;
    bool exists = false;
    if (item_leaf.has_value() && *item_leaf < index) {
      item_sha_.Int(1, static_cast<int64_t>(*item_leaf));
      ISNAD_ASSIGN_OR_RETURN(exists, item_sha_.Step("looking up an item"));
      if (exists) item_hex = item_sha_.ColText(0);
      item_sha_.Reset();
    }
    if (!exists) {
      return core::Integrity(type + " refers to item " + item +
                             ", which no earlier item.ingested entry created; run `isnad "
                             "verify`");
    }
    if (type == kNoteAdded) {
      graph_->NoteAdded(static_cast<int64_t>(*item_leaf));
      insert_note_.Int(1, leaf);
      insert_note_.Int(2, static_cast<int64_t>(*item_leaf));
      insert_note_.TextRefOrNull(3, Member(e, "text"));
      insert_note_.TextRefOrNull(4, Member(e, "text_sha256"));
      insert_note_.TextRef(5, Member(e, "time"));
      insert_note_.TextRef(6, Member(e, "operator"));
      return insert_note_.Run("recording a note");
    }
    const std::string& sha = Member(e, "sha256");
    if (sha != item_hex) {
      return core::Integrity("source.added sha256 " + sha + " does not match item " + item +
                             " (sha256 " + item_hex + "); run `isnad verify`");
    }
    graph_->NoteAdded(static_cast<int64_t>(*item_leaf));  // its names and sources are searched
    return InsertSource(leaf, static_cast<int64_t>(*item_leaf), type, e);
  }

 private:
  Status ArchiveCreated(int64_t leaf, const Json& e) {
    // Entry 0 of every archive, and only entry 0 (docs/formats/log-entry.md).
    if (leaf != 0) {
      return core::Integrity(
          "archive.created may only be log entry 0 (the archive was created once); run "
          "`isnad verify`");
    }
    insert_archive_.Int(1, leaf);
    insert_archive_.TextRef(2, Member(e, "origin"));
    insert_archive_.TextRef(3, Member(e, "vkey"));
    insert_archive_.TextRef(4, Member(e, "software"));
    insert_archive_.TextRef(5, Member(e, "time"));
    insert_archive_.TextRef(6, Member(e, "operator"));
    return insert_archive_.Run("recording archive.created");
  }

  Status ItemIngested(int64_t leaf, const Json& e) {
    const std::string& sha = Member(e, "sha256");
    insert_item_.Int(1, leaf);
    insert_item_.TextRef(2, sha);
    // Validated: a non-negative integer below 2^53.
    insert_item_.Int(3, static_cast<int64_t>(e.find("size")->get<uint64_t>()));
    insert_item_.TextRef(4, Member(e, "name"));
    insert_item_.TextRef(5, Member(e, "media_type"));
    insert_item_.TextRef(6, Member(e, "time"));
    insert_item_.TextRef(7, Member(e, "operator"));
    int rc = insert_item_.StepRaw();
    if (rc == SQLITE_DONE) return Status::Ok();
    // Most likely the unique index on sha256: say which item has it.
    Status err = SqlError(db_, rc, "recording an item");
    find_sha_.TextRef(1, sha);
    ISNAD_ASSIGN_OR_RETURN(bool exists, find_sha_.Step("looking up a sha256"));
    if (!exists) return err;
    uint64_t earlier = static_cast<uint64_t>(find_sha_.ColInt(0));
    find_sha_.Reset();
    return core::Integrity("item.ingested for sha256 " + sha + ", which is already item " +
                           ItemId(earlier) +
                           "; content seen again must be recorded as source.added, run "
                           "`isnad verify`");
  }

  // A provenance record: one per item.ingested or source.added.
  Status InsertSource(int64_t leaf, int64_t item_leaf, const std::string& type, const Json& e) {
    insert_source_.Int(1, leaf);
    insert_source_.Int(2, item_leaf);
    insert_source_.TextRef(3, type);
    insert_source_.TextRef(4, Member(e, "name"));
    insert_source_.TextRefOrNull(5, Member(e, "path"));
    insert_source_.TextRefOrNull(6, Member(e, "url"));
    insert_source_.TextRefOrNull(7, Member(e, "note"));
    insert_source_.TextRef(8, Member(e, "time"));
    insert_source_.TextRef(9, Member(e, "operator"));
    insert_source_.TextRefOrNull(10, Member(e, "link_target"));
    return insert_source_.Run("recording a source");
  }

  // item.analyzed: the media tables, and the analysis text into the item's
  // search document.
  Status ItemAnalyzed(int64_t leaf, const Json& e) {
    static const BlobSource kNoBlobs;
    int64_t item = 0;
    std::string text;
    Status s = internal::ApplyAnalysis(*stmts_, leaf, e, blob_source_ ? *blob_source_ : kNoBlobs,
                                       &item, &text);
    if (!s.ok()) {
      if (checking_ || s.code() == core::Code::kLocked || s.code() == core::Code::kIoError) {
        return s;
      }
      return core::Integrity(s.message() + "; run `isnad verify`");
    }
    ISNAD_ASSIGN_OR_RETURN(Stmt st,
                           Stmt::Prepare(db_, text.empty() ? "DELETE FROM item_content WHERE "
                                                             "item_leaf = ?1"
                                                           : "INSERT OR REPLACE INTO item_content "
                                                             "(item_leaf, text) VALUES (?1, ?2)"));
    st.Int(1, item);
    if (!text.empty()) st.Text(2, core::LossyUtf8(text));
    ISNAD_RETURN_IF_ERROR(st.Run("recording an item's analysed text"));
    graph_->NoteAdded(item);
    return Status::Ok();
  }

  sqlite3* db_ = nullptr;
  bool checking_ = false;
  internal::StmtCache* stmts_ = nullptr;
  const BlobSource* blob_source_ = nullptr;
  Stmt find_sha_, item_sha_, insert_archive_, insert_item_, insert_source_, insert_note_;

 public:
  std::unique_ptr<internal::GraphApplier> graph_;
};

// For Sources/Notes: the leaf index of an existing item, or why not.
StatusOr<int64_t> ExistingItem(sqlite3* db, std::string_view item_id) {
  std::optional<uint64_t> leaf = ParseItemId(item_id);
  if (!leaf.has_value()) {
    return core::InvalidArgument("\"" + std::string(item_id) +
                                 "\" is not an item id; ids look like i42 (resolve a sha256 "
                                 "prefix to an id first)");
  }
  if (*leaf <= static_cast<uint64_t>(kMaxSqlInteger)) {
    ISNAD_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db, "SELECT 1 FROM items WHERE leaf_index = ?1"));
    st.Int(1, static_cast<int64_t>(*leaf));
    ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("looking up item " + std::string(item_id)));
    st.Reset();
    if (row) return static_cast<int64_t>(*leaf);
  }
  return core::NotFound("no item " + std::string(item_id));
}

// The smallest string above every string that starts with `hex_prefix`
// (lower-case hex), or "g" (above every hex string) when the prefix is all 'f'.
std::string PrefixUpperBound(std::string hex_prefix) {
  while (!hex_prefix.empty() && hex_prefix.back() == 'f') hex_prefix.pop_back();
  if (hex_prefix.empty()) return "g";
  char& last = hex_prefix.back();
  last = last == '9' ? 'a' : static_cast<char>(last + 1);
  return hex_prefix;
}

void HashInt(core::Sha256& h, uint64_t v) {
  unsigned char b[8];
  for (int i = 7; i >= 0; --i) {
    b[i] = static_cast<unsigned char>(v & 0xff);
    v >>= 8;
  }
  h.Update(b, sizeof b);
}

void HashBytes(core::Sha256& h, char tag, const void* data, size_t n) {
  h.Update(&tag, 1);
  HashInt(h, n);
  h.Update(data, n);
}

}  // namespace

Catalog::Catalog(sqlite3* db) : db_(db), stmts_(std::make_unique<internal::StmtCache>(db)) {}

Catalog::~Catalog() {
  stmts_.reset();  // its statements are finalized before the connection closes
  sqlite3_close_v2(db_);
}

namespace {

// "file:" URI of `path` opened immutable (SQLite's URI rules: '%', '?' and '#'
// escaped; every other byte as it is).
std::string ImmutableUri(std::string_view path) {
  // "file://x" would name a host: one leading slash is the same path.
  while (path.starts_with("//")) path.remove_prefix(1);
  std::string uri = "file:";
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      static const char kHex[] = "0123456789ABCDEF";
      uri += '%';
      uri += kHex[static_cast<unsigned char>(c) >> 4];
      uri += kHex[static_cast<unsigned char>(c) & 0xf];
    } else {
      uri += c;
    }
  }
  return uri + "?immutable=1";
}

}  // namespace

StatusOr<std::unique_ptr<Catalog>> Catalog::Open(const std::string& path, bool read_only) {
  const bool scratch = path == ":memory:" || path == kScratchFile;
  if (scratch && read_only) {
    return core::InvalidArgument("a scratch catalogue is empty; it cannot be opened read-only");
  }
  if (read_only) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      int err = errno;
      if (err == ENOENT) {
        return core::NotFound("no catalogue at " + path +
                              "; run `isnad reindex` to build it from the log");
      }
      return core::ErrnoStatus("cannot open catalogue", path, err);
    }
  }
  int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
              SQLITE_OPEN_NOMUTEX;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  // Own the handle first: SQLite allocates one even when opening fails.
  std::unique_ptr<Catalog> catalog(new Catalog(db));
  auto needs_shared_memory = [&] {
    const int probe = sqlite3_exec(db, "PRAGMA schema_version", nullptr, nullptr, nullptr) & 0xff;
    return (probe == SQLITE_CANTOPEN || probe == SQLITE_READONLY) &&
           ::access((path + "-wal").c_str(), F_OK) != 0;
  };
  if (rc == SQLITE_OK && read_only && needs_shared_memory()) {
    // A catalogue in WAL mode needs its -shm file even to be read, and on
    // read-only media (a write-protected copy, a WORM disc), or in a folder
    // this user may read but not write (a lawyer's account beside the
    // archivist's), none can be made. With no -wal file nothing is being
    // written, so the file is read as immutable: as it is, without the
    // shared memory.
    catalog.reset();
    db = nullptr;
    rc = sqlite3_open_v2(ImmutableUri(path).c_str(), &db, flags | SQLITE_OPEN_URI, nullptr);
    catalog.reset(new Catalog(db));
  }
  if (rc != SQLITE_OK) {
    Status err = SqlError(db, rc, "opening");
    return core::Status(err.code(), "cannot open " + path + ": " + err.message());
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  ISNAD_RETURN_IF_ERROR(internal::RegisterFunctions(db));
  // Up to 64 MiB of page cache (allocated only as used): random inserts into
  // items_by_sha256 otherwise re-read index pages on every batch.
  ISNAD_RETURN_IF_ERROR(Exec(db, "PRAGMA cache_size=-65536", "setting the cache size"));

  if (read_only) {
    // Read pages from the OS page cache in place rather than copying them
    // (search reads many FTS5 pages per query).
    ISNAD_RETURN_IF_ERROR(Exec(db, "PRAGMA mmap_size=268435456", "setting the mmap size"));
    ISNAD_ASSIGN_OR_RETURN(int64_t version,
                           ReadInt(db, "PRAGMA user_version", "reading the schema version"));
    if (version == 0) {
      return core::FailedPrecondition("catalogue " + path +
                                      " has no isnad schema; open it read-write once or run "
                                      "`isnad reindex`");
    }
    if (version != kSchemaVersion) {
      return core::FailedPrecondition("catalogue " + path + " has schema version " +
                                      std::to_string(version) + ", this isnad reads version " +
                                      std::to_string(kSchemaVersion) + "; run `isnad reindex`");
    }
    return catalog;
  }

  // 16 KiB pages for a new file (an existing one keeps its own): a reindex
  // commits its 2 GB in fewer, larger writes, about a tenth faster.
  ISNAD_RETURN_IF_ERROR(Exec(db, "PRAGMA page_size=16384", "setting the page size"));
  // The catalogue is rebuilt from the log after a crash, so NORMAL (which may
  // lose the last transactions on power loss, never consistency) is enough.
  ISNAD_RETURN_IF_ERROR(Exec(db, "PRAGMA journal_mode=WAL", "switching to WAL mode"));
  ISNAD_RETURN_IF_ERROR(Exec(db, "PRAGMA synchronous=NORMAL", "setting synchronous=NORMAL"));
  // Checkpoint (and fsync) every ~40 MiB of WAL rather than every 4 MiB: a
  // batch of random index inserts dirties hundreds of pages, and with the
  // default a bulk reindex spends most of its time checkpointing. The WAL
  // file is cut back to 64 MiB after a checkpoint.
  ISNAD_RETURN_IF_ERROR(Exec(db,
                             "PRAGMA wal_autocheckpoint=10000; PRAGMA journal_size_limit=67108864",
                             "setting the WAL checkpoint size"));
  Tx tx(db);
  ISNAD_RETURN_IF_ERROR(tx.Begin(/*write=*/true));
  ISNAD_ASSIGN_OR_RETURN(int64_t version,
                         ReadInt(db, "PRAGMA user_version", "reading the schema version"));
  if (version == 0) {
    ISNAD_RETURN_IF_ERROR(Exec(db, kSchemaSql, "creating the schema"));
    ISNAD_RETURN_IF_ERROR(Exec(db, internal::kGraphSchemaSql, "creating the graph schema"));
    ISNAD_RETURN_IF_ERROR(Exec(db, internal::kCaptureSchemaSql, "creating the captures table"));
    ISNAD_RETURN_IF_ERROR(Exec(db, internal::kMediaSchemaSql, "creating the media tables"));
    const std::string version_sql = "PRAGMA user_version = " + std::to_string(kSchemaVersion);
    ISNAD_RETURN_IF_ERROR(Exec(db, version_sql.c_str(), "setting the schema version"));
  } else if (version != kSchemaVersion) {
    return core::FailedPrecondition("catalogue " + path + " has schema version " +
                                    std::to_string(version) + ", this isnad writes version " +
                                    std::to_string(kSchemaVersion) +
                                    "; delete it and run `isnad reindex`");
  }
  // IF NOT EXISTS: also adds them to a catalogue made before web archives.
  ISNAD_RETURN_IF_ERROR(
      Exec(db, internal::kWebArchiveSchemaSql, "creating the web archive tables"));
  ISNAD_RETURN_IF_ERROR(Exec(db, internal::kGraphAddedIndexesSql, "adding the graph's indexes"));
  ISNAD_RETURN_IF_ERROR(tx.Commit());
  return catalog;
}

// FTS5 merges its index segments as they accumulate (automerge, default 4).
// A bulk load leaves them unmerged (up to 64 a level) and merges them all
// into one at the end: fewer rewrites of each term's hits (an FTS5 build of
// 150,000 of the benchmark's documents: 3.8 CPU-s against 4.05), and the
// finished index answers from one segment (search 2.8x faster at p50 over a
// million items, docs/benchmarks.md). The defaults are set back for the
// updates that follow.
Status Catalog::BeginBulkLoad() {
  bulk_terms_ = std::make_unique<std::unordered_set<std::string>>();
  return Exec(db_,
              "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144; "
              "PRAGMA temp_store=MEMORY; "
              "INSERT INTO search(search, rank) VALUES ('automerge', 0); "
              "INSERT INTO search(search, rank) VALUES ('crisismerge', 64)",
              "preparing a bulk load");
}

Status Catalog::EndBulkLoad() {
  bulk_terms_.reset();
  return Exec(db_,
              "INSERT INTO search(search) VALUES ('optimize'); "
              "INSERT INTO search(search, rank) VALUES ('automerge', 4); "
              "INSERT INTO search(search, rank) VALUES ('crisismerge', 16); "
              "PRAGMA cache_size=-65536; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
              "ending a bulk load");
}

bool ConfigureSqliteForProcess() {
  // SQLITE_MISUSE once SQLite is initialized: the defaults stay.
  return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
}

StatusOr<uint64_t> Catalog::AppliedSize() const {
  ISNAD_ASSIGN_OR_RETURN(int64_t size, ReadInt(db_, "SELECT applied_size FROM meta WHERE id = 1",
                                               "reading applied_size"));
  return static_cast<uint64_t>(size);
}

StatusOr<core::Hash> Catalog::AppliedRoot() const {
  ISNAD_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_, "SELECT applied_root FROM meta WHERE id = 1"));
  ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("reading applied_root"));
  if (!row) return Malformed(db_, "the meta row is missing");
  std::string hex = st.ColText(0);
  st.Reset();
  auto root = core::Hash::FromHex(hex);
  if (!root.ok()) return Malformed(db_, "applied_root is not a SHA-256 hex digest");
  return *root;
}

Status Catalog::Apply(uint64_t first_index, const std::vector<std::string>& entries,
                      const core::Hash& root_after) {
  if (sqlite3_db_readonly(db_, "main") == 1) {
    return core::FailedPrecondition("catalogue " + DbName(db_) +
                                    " was opened read-only; open it read-write to apply entries");
  }
  if (first_index > static_cast<uint64_t>(kMaxSqlInteger) ||
      entries.size() > static_cast<uint64_t>(kMaxSqlInteger) - first_index) {
    return core::InvalidArgument("log entries from index " + std::to_string(first_index) +
                                 " are beyond what the catalogue can index");
  }
  Status s = [&]() -> Status {
    Tx tx(db_);
    ISNAD_RETURN_IF_ERROR(tx.Begin(/*write=*/true));
    ISNAD_RETURN_IF_ERROR(ApplyLocked(first_index, entries, /*checking=*/false));
    if (entries.empty()) return tx.Commit();
    ISNAD_ASSIGN_OR_RETURN(
        Stmt update_meta,
        Stmt::Prepare(db_, "UPDATE meta SET applied_size = ?1, applied_root = ?2 WHERE id = 1"));
    update_meta.Int(1, static_cast<int64_t>(first_index + entries.size()));
    update_meta.Text(2, root_after.Hex());
    ISNAD_RETURN_IF_ERROR(update_meta.Run("recording the applied size and root"));
    return tx.Commit();
  }();
  // A batch that did not commit may have added terms the table no longer
  // holds: forget them all (the next batch inserts what it needs again).
  if (!s.ok() && bulk_terms_) bulk_terms_->clear();
  return s;
}

Status Catalog::ApplyLocked(uint64_t first_index, const std::vector<std::string>& entries,
                            bool checking) {
  ISNAD_ASSIGN_OR_RETURN(uint64_t applied, AppliedSize());
  if (applied != first_index) {
    return core::FailedPrecondition(
        "catalogue " + DbName(db_) + " holds log entries [0, " + std::to_string(applied) +
        "), cannot apply entries from index " + std::to_string(first_index) +
        "; apply from index " + std::to_string(applied) + " or rebuild with `isnad reindex`");
  }
  if (entries.empty()) return Status::Ok();
  ISNAD_ASSIGN_OR_RETURN(Applier applier,
                         Applier::Prepare(db_, stmts_.get(), &text_source_, &blob_source_, checking,
                                          checking ? nullptr : bulk_terms_.get()));
  // Entries are parsed on a second thread, a block ahead of the one applied.
  constexpr size_t kParseBlock = 1024;
  auto parse = [&entries](size_t from) {
    std::vector<StatusOr<Json>> out;
    const size_t to = std::min(entries.size(), from + kParseBlock);
    out.reserve(to - from);
    for (size_t k = from; k < to; ++k) out.push_back(ParseEntry(entries[k]));
    return out;
  };
  std::vector<StatusOr<Json>> block = parse(0);
  // The block applied before is freed on the parsing thread too, not on the
  // thread that bounds reindex (freeing parsed entries was 1.9 % of a
  // reindex's CPU in a profile at 200,000 items).
  std::vector<StatusOr<Json>> applied_block;
  core::Worker parser;  // after `parse` and the blocks: it is joined first
  std::future<std::vector<StatusOr<Json>>> next;
  for (size_t from = 0; from < entries.size(); from += kParseBlock) {
    if (from + kParseBlock < entries.size()) {
      next = parser.Run([&parse, from, done = std::move(applied_block)]() mutable {
        done.clear();
        return parse(from + kParseBlock);
      });
    }
    for (size_t k = 0; k < block.size(); ++k) {
      const uint64_t index = first_index + from + k;
      if (Status s = applier.ApplyOne(index, block[k]); !s.ok()) {
        if (next.valid()) next.wait();
        return s.WithContext("log entry " + std::to_string(index));
      }
    }
    applied_block = std::move(block);
    if (next.valid()) block = next.get();
  }
  return applier.graph_->Finish();
}

StatusOr<std::vector<ItemRecord>> Catalog::Items(uint64_t offset, uint64_t limit) const {
  ISNAD_ASSIGN_OR_RETURN(
      Stmt st, Stmt::Prepare(db_, std::string("SELECT ") + kItemColumns +
                                      " FROM items i ORDER BY i.leaf_index LIMIT ?1 OFFSET ?2"));
  auto clamp = [](uint64_t v) {
    return v > static_cast<uint64_t>(kMaxSqlInteger) ? kMaxSqlInteger : static_cast<int64_t>(v);
  };
  st.Int(1, limit == 0 ? -1 : clamp(limit));
  st.Int(2, clamp(offset));
  std::vector<ItemRecord> out;
  while (true) {
    ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("listing items"));
    if (!row) break;
    ISNAD_ASSIGN_OR_RETURN(ItemRecord r, ReadItem(db_, st));
    out.push_back(std::move(r));
  }
  return out;
}

StatusOr<uint64_t> Catalog::ItemCount() const {
  ISNAD_ASSIGN_OR_RETURN(int64_t n, ReadInt(db_, "SELECT count(*) FROM items", "counting items"));
  return static_cast<uint64_t>(n);
}

StatusOr<ItemRecord> Catalog::Resolve(std::string_view id_or_prefix) const {
  const std::string x(id_or_prefix);
  if (std::optional<uint64_t> leaf = ParseItemId(x); leaf.has_value()) {
    if (*leaf <= static_cast<uint64_t>(kMaxSqlInteger)) {
      ISNAD_ASSIGN_OR_RETURN(Stmt st,
                             Stmt::Prepare(db_, std::string("SELECT ") + kItemColumns +
                                                    " FROM items i WHERE leaf_index = ?1"));
      st.Int(1, static_cast<int64_t>(*leaf));
      ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("looking up item " + x));
      if (row) {
        auto r = ReadItem(db_, st);
        st.Reset();
        return r;
      }
    }
    return core::NotFound("no item " + x);
  }
  // Another kind's id (ac9 is also hex: say what it is, not that it is too short);
  // 12+ hex digits stay a sha256 prefix, even "ac" and digits.
  if (std::optional<EntityRef> other = ParseEntityId(x); other.has_value() &&
                                                         other->kind != EntityKind::kItem &&
                                                         !(core::IsHex(x) && x.size() >= 12)) {
    // Where that kind is shown.
    const EntityKind k = other->kind;
    const std::string see = k == EntityKind::kPlace ? "isnad place ls"
                            : k == EntityKind::kCaseEvent
                                ? "isnad case show CASE"
                                : "isnad " + std::string(EntityKindName(k)) + " show " + x;
    return core::InvalidArgument(x + " is the id of " + EntityKindWithArticle(other->kind) +
                                 ", not of an item (see `" + see + "`)" +
                                 "; give an item id (e.g. i42) or a sha256 prefix of 12+ hex "
                                 "digits");
  }
  if (core::IsHex(x) && x.size() <= 64) {
    if (x.size() < 12) {
      return core::InvalidArgument(
          "\"" + x + "\" has " + std::to_string(x.size()) +
          " hex digits; a sha256 prefix needs at least 12 to name an item unambiguously, give "
          "more digits or the item id (e.g. i42)");
    }
    std::string lower = x;
    for (char& c : lower) {
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    }
    // An index range scan on items_by_sha256.
    ISNAD_ASSIGN_OR_RETURN(
        Stmt st, Stmt::Prepare(db_, std::string("SELECT ") + kItemColumns +
                                        " FROM items i WHERE i.sha256 >= ?1 AND i.sha256 < ?2 "
                                        "ORDER BY i.sha256 LIMIT 11"));
    st.Text(1, lower);
    st.Text(2, PrefixUpperBound(lower));
    std::vector<ItemRecord> found;
    while (true) {
      ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("looking up sha256 prefix " + lower));
      if (!row) break;
      ISNAD_ASSIGN_OR_RETURN(ItemRecord r, ReadItem(db_, st));
      found.push_back(std::move(r));
    }
    if (found.empty()) return core::NotFound("no item with sha256 prefix " + lower);
    if (found.size() == 1) return std::move(found.front());
    std::string ids;
    for (size_t i = 0; i < found.size() && i < 10; ++i) {
      ids += (i ? ", " : "") + found[i].id;
    }
    if (found.size() > 10) ids += " and more";
    return core::InvalidArgument("sha256 prefix " + lower + " matches several items (" + ids +
                                 "); give more digits or an item id");
  }
  return core::NotFound("no item \"" + x +
                        "\"; name an item by its id (e.g. i42) or a sha256 prefix of at least 12 "
                        "hex digits");
}

StatusOr<std::optional<ItemRecord>> Catalog::FindBySha256(const core::Hash& sha256) const {
  static const std::string kSql =
      std::string("SELECT ") + kItemColumns + " FROM items i WHERE i.sha256 = ?1";
  ISNAD_ASSIGN_OR_RETURN(internal::CachedStmt st, stmts_->Get(kSql));
  const std::string hex = sha256.Hex();
  st->TextRef(1, hex);
  ISNAD_ASSIGN_OR_RETURN(bool row, st->Step("looking up sha256 " + hex));
  if (!row) return std::optional<ItemRecord>();
  auto r = ReadItem(db_, *st);
  if (!r.ok()) return r.status();
  return std::optional<ItemRecord>(std::move(r).value());
}

StatusOr<std::vector<std::string>> Catalog::FindItemIds(
    const std::vector<core::Hash>& hashes) const {
  std::vector<std::string> ids(hashes.size());
  if (hashes.empty()) return ids;
  Tx tx(db_);
  ISNAD_RETURN_IF_ERROR(tx.Begin(/*write=*/false));
  {
    ISNAD_ASSIGN_OR_RETURN(internal::CachedStmt st,
                           stmts_->Get("SELECT leaf_index FROM items WHERE sha256 = ?1"));
    for (size_t k = 0; k < hashes.size(); ++k) {
      const std::string hex = hashes[k].Hex();
      st->TextRef(1, hex);
      ISNAD_ASSIGN_OR_RETURN(bool row, st->Step("looking up sha256 " + hex));
      if (row) ids[k] = ItemId(static_cast<uint64_t>(st->ColInt(0)));
      st->Reset();
    }
  }
  ISNAD_RETURN_IF_ERROR(tx.Commit());
  return ids;
}

StatusOr<std::vector<std::optional<uint64_t>>> Catalog::FindSameSources(
    const std::vector<std::pair<std::string, Provenance>>& sightings, const std::string& by) const {
  std::vector<std::optional<uint64_t>> found(sightings.size());
  if (sightings.empty()) return found;
  Tx tx(db_);
  ISNAD_RETURN_IF_ERROR(tx.Begin(/*write=*/false));
  {
    // NULL stands for an absent member, as Apply stores it: `IS` compares NULLs too.
    ISNAD_ASSIGN_OR_RETURN(
        internal::CachedStmt st,
        stmts_->Get("SELECT leaf_index FROM sources WHERE item_leaf = ?1 AND name = ?2 AND path "
                    "IS ?3 AND url IS ?4 AND note IS ?5 AND operator = ?6 AND link_target IS ?7 "
                    "ORDER BY leaf_index LIMIT 1"));
    for (size_t k = 0; k < sightings.size(); ++k) {
      const auto& [id, from] = sightings[k];
      auto leaf = ParseItemId(id);
      if (!leaf) continue;
      st->Int(1, static_cast<int64_t>(*leaf));
      st->TextRef(2, from.name);
      st->TextRefOrNull(3, from.path);
      st->TextRefOrNull(4, from.url);
      st->TextRefOrNull(5, from.note);
      st->TextRef(6, by);
      st->TextRefOrNull(7, from.link_target);
      ISNAD_ASSIGN_OR_RETURN(bool row, st->Step("looking up the sources of " + id));
      if (row) found[k] = static_cast<uint64_t>(st->ColInt(0));
      st->Reset();
    }
  }
  ISNAD_RETURN_IF_ERROR(tx.Commit());
  return found;
}

StatusOr<std::vector<SourceRecord>> Catalog::Sources(std::string_view item_id) const {
  Tx tx(db_);
  ISNAD_RETURN_IF_ERROR(tx.Begin(/*write=*/false));
  ISNAD_ASSIGN_OR_RETURN(int64_t item_leaf, ExistingItem(db_, item_id));
  ISNAD_ASSIGN_OR_RETURN(
      Stmt st,
      Stmt::Prepare(db_,
                    "SELECT leaf_index, type, name, path, url, note, time, operator, link_target "
                    "FROM sources WHERE item_leaf = ?1 ORDER BY leaf_index"));
  st.Int(1, item_leaf);
  std::vector<SourceRecord> out;
  while (true) {
    ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("listing the sources of " + std::string(item_id)));
    if (!row) break;
    SourceRecord r;
    r.leaf_index = static_cast<uint64_t>(st.ColInt(0));
    r.type = st.ColText(1);
    r.name = st.ColText(2);
    r.path = st.ColText(3);
    r.url = st.ColText(4);
    r.note = st.ColText(5);
    r.time = st.ColText(6);
    r.operator_ = st.ColText(7);
    r.link_target = st.ColText(8);
    out.push_back(std::move(r));
  }
  ISNAD_RETURN_IF_ERROR(tx.Commit());
  return out;
}

StatusOr<std::vector<NoteRecord>> Catalog::Notes(std::string_view item_id) const {
  Tx tx(db_);
  ISNAD_RETURN_IF_ERROR(tx.Begin(/*write=*/false));
  ISNAD_ASSIGN_OR_RETURN(int64_t item_leaf, ExistingItem(db_, item_id));
  ISNAD_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_,
                                                "SELECT leaf_index, text, text_sha256, time, "
                                                "operator FROM notes WHERE item_leaf = ?1 "
                                                "ORDER BY leaf_index"));
  st.Int(1, item_leaf);
  std::vector<NoteRecord> out;
  while (true) {
    ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("listing the notes of " + std::string(item_id)));
    if (!row) break;
    NoteRecord r;
    r.leaf_index = static_cast<uint64_t>(st.ColInt(0));
    r.text = st.ColText(1);
    if (!st.ColIsNull(2)) {
      auto h = core::Hash::FromHex(st.ColText(2));
      if (!h.ok()) {
        return Malformed(db_,
                         "note " + std::to_string(r.leaf_index) + " has a malformed text_sha256");
      }
      r.text_sha256 = *h;
    }
    r.time = st.ColText(3);
    r.operator_ = st.ColText(4);
    out.push_back(std::move(r));
  }
  ISNAD_RETURN_IF_ERROR(tx.Commit());
  return out;
}

// Encoding (docs/formats/catalog.md): a version string, then per table its
// name, each row as 'r' + its typed values, and 'e' + the row count. Values:
// 'n' NULL; 'i' + 8-byte big-endian two's complement; 't' text / 'b' blob +
// 8-byte big-endian length + bytes; 'f' + 8 bytes of the IEEE-754 double.
StatusOr<core::Hash> Catalog::Fingerprint() const {
  Tx tx(db_);
  ISNAD_RETURN_IF_ERROR(tx.Begin(/*write=*/false));
  core::Sha256 h;
  static constexpr std::string_view kDomain = "isnad catalog fingerprint v1";
  HashBytes(h, 't', kDomain.data(), kDomain.size());
  for (const FingerprintTable& table : kFingerprintTables) {
    HashBytes(h, 't', table.name, std::char_traits<char>::length(table.name));
    ISNAD_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_, table.select));
    const int columns = sqlite3_column_count(st.get());
    uint64_t rows = 0;
    while (true) {
      ISNAD_ASSIGN_OR_RETURN(bool row, st.Step(std::string("fingerprinting ") + table.name));
      if (!row) break;
      ++rows;
      h.Update("r", 1);
      for (int c = 0; c < columns; ++c) {
        sqlite3_stmt* s = st.get();
        switch (sqlite3_column_type(s, c)) {
          case SQLITE_NULL:
            h.Update("n", 1);
            break;
          case SQLITE_INTEGER:
            h.Update("i", 1);
            HashInt(h, static_cast<uint64_t>(sqlite3_column_int64(s, c)));
            break;
          case SQLITE_FLOAT: {
            double d = sqlite3_column_double(s, c);
            uint64_t bits;
            static_assert(sizeof bits == sizeof d);
            std::memcpy(&bits, &d, sizeof bits);
            h.Update("f", 1);
            HashInt(h, bits);
            break;
          }
          case SQLITE_TEXT: {
            const unsigned char* p = sqlite3_column_text(s, c);
            HashBytes(h, 't', p, static_cast<size_t>(sqlite3_column_bytes(s, c)));
            break;
          }
          default: {
            const void* p = sqlite3_column_blob(s, c);
            HashBytes(h, 'b', p, static_cast<size_t>(sqlite3_column_bytes(s, c)));
            break;
          }
        }
      }
    }
    h.Update("e", 1);
    HashInt(h, rows);
  }
  ISNAD_RETURN_IF_ERROR(tx.Commit());
  return h.Finish();
}

}  // namespace isnad::catalog
