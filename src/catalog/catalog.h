// Catalog: the queryable model derived only from the log (and blobs), in
// SQLite. It can always be deleted and rebuilt from the log (`isnad reindex`);
// `Fingerprint` lets `isnad verify` prove that the stored catalogue equals a
// fresh rebuild. Schema: docs/formats/catalog.md.
// Thread safety: one Catalog object per thread; SQLite WAL lets one writer and
// many readers (other processes) work at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/digest.h"
#include "core/status.h"

struct sqlite3;

namespace isnad::catalog {

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
};

struct NoteRecord {
  uint64_t leaf_index = 0;
  std::string text;  // "" when stored as a blob
  std::optional<core::Hash> text_sha256;
  std::string time, operator_;
};

class Catalog {
 public:
  ~Catalog();

  // Opens or creates the database at `path` (":memory:" for a scratch one).
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
  core::StatusOr<std::vector<SourceRecord>> Sources(std::string_view item_id) const;
  core::StatusOr<std::vector<NoteRecord>> Notes(std::string_view item_id) const;

  // SHA-256 over every row of every table in a fixed order and encoding: equal
  // for two catalogues exactly when they hold the same data.
  core::StatusOr<core::Hash> Fingerprint() const;

 private:
  explicit Catalog(sqlite3* db);
  sqlite3* db_;
};

}  // namespace isnad::catalog
