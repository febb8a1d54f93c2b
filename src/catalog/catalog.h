// Catalog: the queryable model derived only from the log (and blobs), in
// SQLite. It can always be deleted and rebuilt from the log (`isnad reindex`);
// `Fingerprint` lets `isnad verify` prove that the stored catalogue equals a
// fresh rebuild. Schema: docs/formats/catalog.md.
// Thread safety: one Catalog object per thread; SQLite WAL lets one writer and
// many readers (other processes) work at once.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "catalog/entries.h"
#include "core/digest.h"
#include "core/status.h"

struct sqlite3;

namespace isnad::catalog {
namespace internal {
class StmtCache;
}

struct ItemRecord {
  std::string id;           // "i<leaf index>"
  uint64_t leaf_index = 0;  // of its item.ingested entry
  core::Hash sha256;
  uint64_t size_bytes = 0;
  std::string name;  // original name at first ingest
  std::string media_type;
  std::string ingested_at;  // entry time
  std::string operator_;
  uint64_t source_count = 0;  // provenance records, the first ingest included
};

struct SourceRecord {
  uint64_t leaf_index = 0;  // of the entry that recorded it
  std::string type;         // "item.ingested" or "source.added"
  std::string name, path, url, note, time, operator_;
  std::string link_target;  // what `path`, a followed symbolic link, led to; "" when none
};

struct NoteRecord {
  uint64_t leaf_index = 0;
  std::string text;  // "" when stored as a blob
  std::optional<core::Hash> text_sha256;
  std::string time, operator_;
};

// ---- The evidence graph (docs/formats/catalog.md, "Evidence graph") ----

using LangMap = std::map<std::string, std::string>;  // language tag -> text

struct ReviewRecord {
  uint64_t leaf_index = 0;
  std::string status, reason, time, operator_;
};

// What has been said about an item beyond its bytes.
struct ItemDetails {
  LangMap titles, descriptions;
  std::string event_date;  // as given ("2013-08-21", "2013-08~", "2013-08-04/2013-08-05")
  std::string place;       // place id, "" when none
  std::string lat, lon;    // decimal strings, "" when none
  std::vector<std::string> tags;
  std::string status = "unreviewed";
  std::vector<ReviewRecord> reviews;   // oldest first
  std::string original;                // the item this is a working copy of, "" when none
  std::vector<std::string> derived;    // its working copies
  std::vector<std::string> incidents;  // incident ids it is linked to
  std::vector<std::string> cases;      // case ids that use it (exhibit or document)
  // Where it was taken out of, oldest first: an incident or case it was unlinked
  // from, or a withdrawn case event it was the document of.
  struct TakenBack {
    std::string from;   // incident or case id
    std::string role;   // "incident", "exhibit" or "document"
    std::string event;  // the withdrawn case event, for "document"
    std::string reason, time;
    uint64_t leaf_index = 0;  // the unlink or withdrawal entry
  };
  std::vector<TakenBack> taken_back;
};

// Process-wide SQLite settings, for programs' main() only (never called by
// library code: they change every SQLite connection in the process), before
// any catalogue is opened: SQLite stops keeping memory statistics, which take
// a process-wide mutex on every allocation (isnad reads none of them). The
// thread that applies a reindex of 200,000 items spent 7.7 % less CPU; at
// 1,000,000 no difference showed (docs/benchmarks.md, "Catalogue: reindex and
// search", stop 22). Once SQLite is in use it changes nothing and returns false.
bool ConfigureSqliteForProcess();

// A place, incident, actor, case, case event or relation: one record shape,
// the members that do not apply to a kind left empty.
struct EntityRecord {
  std::string id;
  EntityKind kind = EntityKind::kPlace;
  uint64_t leaf_index = 0;
  LangMap names;  // place and actor names; incident and case titles
  std::vector<std::string> variants;
  LangMap descriptions;
  std::string category;             // incident category, actor type, case event name
  std::string date;                 // incident or case event date, as given
  std::string lat, lon;             // place
  std::string within;               // place: the containing place's id
  std::string jurisdiction;         // case
  std::string owner;                // case event: its case id
  std::vector<std::string> places;  // incident places
  std::vector<std::string> items;   // incident items, case exhibits, event documents
  // Incident items and case exhibits taken back (incident.unlinked,
  // case.unlinked), in log order; an item linked again is in items too.
  struct Withdrawal {
    std::string item, reason, time;
    uint64_t leaf_index = 0;  // the unlink entry
  };
  std::vector<Withdrawal> withdrawn;
  // A case's events taken back (case.event_withdrawn), in log order; for a
  // withdrawn case event, its own withdrawal alone.
  struct EventWithdrawal {
    std::string event, what, date;  // the event's id, type and date
    std::string reason, time;
    uint64_t leaf_index = 0;  // the withdrawal entry
  };
  std::vector<EventWithdrawal> events_withdrawn;
  std::vector<std::pair<std::string, std::string>> parties;  // case: (actor id, role)
  std::string time, operator_;
  // The name to show: English if given, else Arabic, else the first.
  std::string Label() const;
};

struct RelationSource {
  std::string item, confidence;
};
struct RelationRecord {
  std::string id, subject, predicate, object, from, to;
  std::vector<RelationSource> sources;
  std::string time, operator_;
};

// A tag as search and the --tag filter compare it: folded as search folds text
// ("Medical" and "medical" are one tag there).
std::string TagAsCompared(std::string_view tag);

// A claim taken back (relation.withdrawn): what it said, and why it went.
struct WithdrawnRelation {
  std::string id, subject, predicate, object;
  std::string reason, time;
  uint64_t leaf_index = 0;  // the withdrawal entry
};

// Something the graph holds that is probably wrong but is recorded as sources
// said it (a unit hierarchy with a cycle, claims whose dates contradict).
struct GraphWarning {
  std::string id;  // the relation (or entity) it concerns
  std::string what;
};

struct TimelineEvent {
  std::string date;     // EDTF: as given; a relation's period "2011/..", "../2014"; "" undated
  std::string sort_lo;  // first day it can mean, "YYYY-MM-DD"
  std::string id;       // what it is about: an item, relation, case event, incident
  std::string what;     // one line for a person
  std::vector<std::string> sources;  // item ids backing it
  // A relation's: each source's confidence ("low", "medium", "high"), as `sources`.
  std::vector<std::string> confidence;
  std::string status;  // an item's review status ("unreviewed", "verified", ...); "" otherwise
};

struct SearchRequest {
  std::string query;  // the query language of text/query.h; "" = everything matching the filters
  // Words as written and their stems only: no cross-script or spelling-variant
  // keys ("sarin" then does not find "Syrian", nor Zamalka زملكا).
  bool as_written = false;
  std::string kind;                        // "item", "place", "incident", "actor", "case"; "" = all
  std::string event_from, event_to;        // item event date overlaps [from, to] (YYYY[-MM[-DD]])
  std::string captured_from, captured_to;  // item ingest time within (--ingested-from/-to)
  // The date the file itself gives (camera or video creation time, read by analysis), its
  // YYYY-MM-DD part as written: the file's own clock, in whatever zone it kept.
  std::string taken_from, taken_to;
  std::string near_lat, near_lon;  // with radius_km: item or its place within
  double radius_km = 0;
  std::string incident, actor, case_id;  // items linked to these (ids)
  // Items placed at this place or any place within it, or linked to an incident
  // there (an id).
  std::string place;
  std::vector<std::string> tags;  // items with every one of these tags
  std::string media_type;         // exact, or "image/*"
  std::string status;             // verification status
  uint64_t limit = 20, offset = 0;
  bool facets = false;  // also count hits by kind, media type, status and tag
};
struct SearchHit {
  std::string id, kind, name;
  double score = 0;  // higher is better (negated bm25)
  std::string snippet;
};
struct SearchResult {
  // Hits before limit/offset, counted up to 10,000: when there are more,
  // total is 10,000 and total_capped is set ("10,000+"). Past the cap the hits
  // are ranked among the newest 2,000 only, and facets count the newest
  // 10,000 hits (docs/formats/catalog.md, "Search").
  uint64_t total = 0;
  bool total_capped = false;
  std::vector<SearchHit> hits;
  // Facets over the hits counted in total: "kind", "media_type", "tag", "status" -> value -> count.
  std::map<std::string, std::map<std::string, uint64_t>> facets;
};

// An RFC 3161 token recorded over a signed checkpoint (timestamp.added).
struct TimestampRecord {
  uint64_t leaf_index = 0;
  uint64_t checkpoint_size = 0;
  core::Hash checkpoint_sha256;  // of the signed checkpoint file's bytes
  std::string tsa;               // URL of the authority
  core::Hash token_sha256;       // the token's DER, a blob
  std::string gen_time;
};

// A web capture (capture.recorded), or a failed attempt (error set, no items).
struct CaptureRecord {
  uint64_t leaf_index = 0;
  std::string url, captured_at, final_url;
  int status = 0;       // HTTP status of the last hop; 0 when none
  std::string warc;     // item id of the WARC, "" for a failure
  std::string payload;  // item id of the payload, "" when none
  std::optional<core::Hash> payload_sha256;
  std::string content_type, error;
  // Against the URL's previous capture with a response: did the payload
  // change? nullopt for the first capture and for failures.
  std::optional<bool> changed;
};

// A record of a web archive item (warc.record), and its payload item if any.
struct WarcRecordRow {
  uint64_t leaf_index = 0;
  std::string container;  // item id of the WARC or WACZ
  std::string member;     // WARC path inside a WACZ, "" for a WARC item
  uint64_t offset = 0, length = 0;
  std::string record_id, warc_type, target_uri, warc_date, content_type;
  int http_status = 0;  // 0 when none
  std::string digest;   // "pass", "fail", "absent", "unknown-algorithm", "not-checked"
  std::string problem;  // the first problem found in the record, "" when none
  std::string payload;  // item id of the payload, "" when none
};

// A web archive's validation (warc.indexed).
struct WarcIndexRow {
  uint64_t leaf_index = 0;
  std::string item, member;
  std::string result;  // "valid", "invalid", "unreadable"
  uint64_t records = 0, digests_passed = 0, digests_failed = 0;
  std::vector<std::string> problems;
  std::string signature, error;
};

// Returns the searchable text of an item's bytes (text documents), "" when it
// has none. Given to the catalogue by the archive, which can read blobs.
using TextSource = std::function<core::StatusOr<std::string>(const core::Hash& sha256,
                                                             std::string_view media_type)>;

// Returns the bytes of a blob, at most `max_bytes` (the archive reads them).
// Used for the frame hashes and text that media analysis stores as blobs.
using BlobSource =
    std::function<core::StatusOr<std::string>(const core::Hash& sha256, uint64_t max_bytes)>;

// The latest media analysis of an item (item.analyzed), as recorded.
struct MediaRecord {
  uint64_t leaf_index = 0;  // of the item.analyzed entry
  std::string item;
  std::string analyzer, media_type;
  std::optional<uint64_t> width, height, duration_ms;
  std::string captured_at, lat, lon, camera, title, author;
  std::string pdq;  // 64 hex digits, "" when none
  int pdq_quality = 0;
  uint64_t frames = 0;  // video frames hashed (frames_sha256 names them)
  std::optional<core::Hash> frames_sha256, text_sha256, metadata_sha256;
  std::string ocr;                           // OCR engine and languages, "" when not run
  std::vector<std::string> failures;         // what could not be read
  std::vector<std::string> near_duplicates;  // found when it was analysed
};

// One perceptual hash of an item: its image hash, or one distinct useful frame
// of a video (quality >= 50, identical hashes once, at their first time).
struct PerceptualHashRow {
  uint64_t item_leaf = 0;
  uint64_t t_ms = 0;  // frame time; 0 for an image
  int quality = 0;
  std::string hash;  // 64 hex digits
};

// The path Open takes for a private temporary file (SQLite's "").
inline constexpr char kScratchFile[] = "";

class Catalog {
 public:
  ~Catalog();

  // Opens or creates the database at `path`. Two scratch databases, gone when
  // closed: ":memory:" (all in RAM) and kScratchFile, a private temporary file
  // that SQLite deletes on close (in $SQLITE_TMPDIR, $TMPDIR or /var/tmp),
  // whose pages stay in memory only up to the page cache size.
  static core::StatusOr<std::unique_ptr<Catalog>> Open(const std::string& path, bool read_only);

  // Number of log entries applied so far, and the log root at that size as
  // recorded when they were applied (EmptyRoot-like zero hash when none).
  core::StatusOr<uint64_t> AppliedSize() const;
  core::StatusOr<core::Hash> AppliedRoot() const;

  // Applies log entries [first_index, first_index + n) in one transaction and
  // records `root_after` as the root at the new size. first_index must equal
  // AppliedSize() (else kFailedPrecondition). An entry that does not parse, or
  // refers to an unknown item: kIntegrity with its index; nothing applied.
  core::Status Apply(uint64_t first_index, const std::vector<std::string>& entries,
                     const core::Hash& root_after);

  // Items in leaf order, from `offset`, at most `limit` (0 = all).
  core::StatusOr<std::vector<ItemRecord>> Items(uint64_t offset = 0, uint64_t limit = 0) const;
  core::StatusOr<uint64_t> ItemCount() const;
  // Resolves an item id ("i42") or a sha256 hex prefix of at least 12 digits.
  // kNotFound when nothing matches; kInvalidArgument when the prefix is shorter
  // than 12 or matches several items (the message lists them).
  core::StatusOr<ItemRecord> Resolve(std::string_view id_or_prefix) const;
  core::StatusOr<std::optional<ItemRecord>> FindBySha256(const core::Hash& sha256) const;
  // The id of the item holding each of `hashes`, "" where none does: one read
  // transaction for all, which a batch of thousands needs (a look-up each costs
  // a transaction each).
  core::StatusOr<std::vector<std::string>> FindItemIds(const std::vector<core::Hash>& hashes) const;
  // For each (item id, provenance): the log index of a record of that item
  // (item.ingested or source.added) from the same name, path, source and note,
  // made by `by` (the operator), or nullopt: a file the same person adds again
  // from where they added it before says nothing new. One read transaction.
  core::StatusOr<std::vector<std::optional<uint64_t>>> FindSameSources(
      const std::vector<std::pair<std::string, Provenance>>& sightings,
      const std::string& by) const;
  core::StatusOr<std::vector<SourceRecord>> Sources(std::string_view item_id) const;
  core::StatusOr<std::vector<NoteRecord>> Notes(std::string_view item_id) const;

  // When set, item.ingested of a text document indexes its text for search.
  void SetTextSource(TextSource source) { text_source_ = std::move(source); }

  // For a full rebuild into a fresh file that nothing else reads: no rollback
  // journal, no fsync, a larger page cache. A crash leaves a file that must
  // be thrown away (Archive::Reindex builds into a temporary file and renames
  // it into place). EndBulkLoad switches back to WAL and synchronous=NORMAL.
  core::Status BeginBulkLoad();
  core::Status EndBulkLoad();

  // Applies `entries` as Apply would, then rolls back: the error Apply would
  // give (an unknown or wrong-kind reference, say), without changing anything.
  core::Status Check(uint64_t first_index, const std::vector<std::string>& entries);

  // ---- Evidence graph ----
  core::StatusOr<ItemDetails> Details(std::string_view item_id) const;
  // A place, incident, actor, case or case event by id (a withdrawn case event
  // too, with its withdrawal in events_withdrawn).
  core::StatusOr<EntityRecord> Entity(std::string_view id) const;
  // Every entity of `kind`, in log order; of case events, the standing ones.
  core::StatusOr<std::vector<EntityRecord>> Entities(EntityKind kind) const;
  // Resolves a reference given by a person: an id of kind `kind`, or a name
  // (any language, any listed variant; compared after text normalisation)
  // that names exactly one entity of that kind. kNotFound / kInvalidArgument
  // (ambiguous, listing the candidates) otherwise.
  core::StatusOr<std::string> ResolveRef(EntityKind kind, std::string_view id_or_name) const;
  // The first item (by id) with a tag that contains `text`, and that tag.
  core::StatusOr<std::optional<std::pair<std::string, std::string>>> TagHolding(
      std::string_view text) const;
  // The ids of the entities of `kind` that `name` names (after the same
  // normalisation), oldest first; empty when none or when `name` has no letters.
  core::StatusOr<std::vector<std::string>> EntitiesNamed(EntityKind kind,
                                                         std::string_view name) const;
  // Relations where `id` (an actor or incident) is subject or object; every relation
  // not withdrawn when `id` is "". In order of their periods' start.
  core::StatusOr<std::vector<RelationRecord>> Relations(std::string_view id) const;
  // The relation types (predicates) and the case event types recorded so far,
  // each once, in alphabetical order: what a new one may be a slip of.
  core::StatusOr<std::vector<std::string>> RelationTypesInUse() const;
  core::StatusOr<std::vector<std::string>> CaseEventTypesInUse() const;
  // One relation; kFailedPrecondition when it was withdrawn (relation.withdrawn).
  core::StatusOr<RelationRecord> Relation(std::string_view relation_id) const;
  // The withdrawal of a relation taken back (its `item` is the relation's id);
  // kNotFound when it stands.
  core::StatusOr<EntityRecord::Withdrawal> RelationWithdrawal(std::string_view relation_id) const;
  // The withdrawn claims whose subject or object is `id` (an actor or incident),
  // in the order they were withdrawn.
  core::StatusOr<std::vector<WithdrawnRelation>> WithdrawnRelations(std::string_view id) const;
  // Warnings about the relations touching `id` ("" = the whole graph).
  core::StatusOr<std::vector<GraphWarning>> Warnings(std::string_view id) const;
  // Chronological: for an incident, case or actor, with sources.
  core::StatusOr<std::vector<TimelineEvent>> Timeline(std::string_view id) const;
  core::StatusOr<SearchResult> Search(const SearchRequest& request) const;
  // Every timestamp recorded, in log order.
  core::StatusOr<std::vector<TimestampRecord>> Timestamps() const;

  // ---- Web captures (capture.cc) ----
  // The captures of `url` ("" = all), failures included, in log order.
  core::StatusOr<std::vector<CaptureRecord>> Captures(std::string_view url) const;
  // The latest capture of `url` that recorded a response; nullopt when none.
  core::StatusOr<std::optional<CaptureRecord>> LastCapture(std::string_view url) const;
  // The captures whose WARC or payload is item `item_id`, in log order.
  core::StatusOr<std::vector<CaptureRecord>> CapturesOfItem(std::string_view item_id) const;

  // ---- Web archives (webarchive.cc) ----
  // The WARC records of web archive item `item_id` in log order; with
  // `as_payload`, the record(s) whose payload is `item_id` instead.
  core::StatusOr<std::vector<WarcRecordRow>> WarcRecords(std::string_view item_id,
                                                         bool as_payload = false) const;
  // The validations recorded for web archive item `item_id`.
  core::StatusOr<std::vector<WarcIndexRow>> WarcIndexes(std::string_view item_id) const;

  // Media analysis (catalog/media.cc). nullopt when the item was not analysed.
  core::StatusOr<std::optional<MediaRecord>> Media(std::string_view item_id) const;
  // Every perceptual hash, in item then time order; of one item when given.
  core::StatusOr<std::vector<PerceptualHashRow>> PerceptualHashes(
      std::string_view item_id = {}) const;
  // Items recorded as near-duplicates of `item_id`, in either direction, in leaf order.
  core::StatusOr<std::vector<std::string>> NearDuplicates(std::string_view item_id) const;
  // Items from leaf `min_leaf` on, in leaf order, whose media type starts with
  // one of `prefixes` and that have no analysis yet.
  core::StatusOr<std::vector<ItemRecord>> ItemsToAnalyze(const std::vector<std::string>& prefixes,
                                                         uint64_t min_leaf = 0) const;
  void SetBlobSource(BlobSource source) { blob_source_ = std::move(source); }

  // SHA-256 over every row of every table in a fixed order and encoding: equal
  // for two catalogues exactly when they hold the same data.
  core::StatusOr<core::Hash> Fingerprint() const;

 private:
  explicit Catalog(sqlite3* db);
  // Applies inside an open write transaction. `checking`: errors in graph
  // references stay kNotFound/kInvalidArgument (for Check) instead of kIntegrity.
  core::Status ApplyLocked(uint64_t first_index, const std::vector<std::string>& entries,
                           bool checking);
  sqlite3* db_;
  // Look-ups and per-entry inserts kept prepared for the connection's life.
  std::unique_ptr<internal::StmtCache> stmts_;
  TextSource text_source_;
  BlobSource blob_source_;
  // Between BeginBulkLoad and EndBulkLoad: the terms search_terms holds
  // (internal::GraphApplier), kept from one Apply to the next.
  std::unique_ptr<std::unordered_set<std::string>> bulk_terms_;
};

}  // namespace isnad::catalog
