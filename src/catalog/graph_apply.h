// Internal to the catalog module: applies evidence graph entries (and the
// search side of item.ingested / note.added) inside Catalog::Apply's
// transaction, and keeps the full-text index. See docs/formats/catalog.md.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "catalog/catalog.h"
#include "catalog/sql.h"
#include "text/normalize.h"

namespace isnad::catalog::internal {

// The evidence graph's tables and the search index (schema version 2 adds them).
extern const char* const kGraphSchemaSql;
// Indexes added since (IF NOT EXISTS): created by every read-write open, so a
// catalogue made before them gains them without a reindex.
extern const char* const kGraphAddedIndexesSql;
// SQL functions the graph queries use: geo_km(lat1, lon1, lat2, lon2).
Status RegisterFunctions(sqlite3* db);

class GraphApplier {
 public:
  // `known_terms`, when set, outlives this batch: the terms already in
  // search_terms, carried from batch to batch by a bulk load (Catalog::
  // BeginBulkLoad), so that a term is inserted once rather than once per batch.
  GraphApplier(sqlite3* db, const TextSource* text_source,
               std::unordered_set<std::string>* known_terms = nullptr)
      : db_(db),
        text_source_(text_source),
        terms_(known_terms != nullptr ? *known_terms : batch_terms_) {}

  // item.ingested was just recorded as `leaf` (items and sources rows exist).
  Status ItemIngested(int64_t leaf, const Json& e);
  // A note, source or analysis of `item_leaf` changes what search finds for it.
  void NoteAdded(int64_t item_leaf) { dirty_.insert(item_leaf); }
  // Any evidence graph entry. Errors are kNotFound / kInvalidArgument naming
  // the reference or rule (Catalog::Apply turns them into kIntegrity).
  Status Apply(int64_t leaf, const std::string& type, const Json& e);
  // Rebuilds the search rows of everything the batch changed.
  Status Finish();

 private:
  Stmt& Q(const char* sql);  // prepared once per batch, cached by address
  // Checks that `id` names an existing entity of `kind` created before `leaf`.
  StatusOr<int64_t> Expect(const Json& id, EntityKind kind, int64_t leaf);
  Status AddEntity(int64_t leaf, EntityKind kind, const Json& e);
  Status AddNames(int64_t owner, const Json& names, const char* field);
  Status AddName(int64_t owner, std::string_view name);
  Status AddVariants(int64_t owner, const Json& entry);
  Status SetTexts(int64_t owner, const char* field, const Json& lang_map);
  Status SetText(int64_t owner, const char* field, const std::string& lang,
                 const std::string& text);
  Status Link(int64_t owner, const char* role, const Json& items, int64_t leaf);
  // Drops the links and records each one that stood as a withdrawal, with
  // the entry's reason and time.
  Status Unlink(int64_t owner, const char* role, const Json& e, int64_t leaf);
  Status EnsureFacts(int64_t item_leaf);
  // The text of `leaf`'s search row; leaves *out empty when it has none.
  // *keys: its filter keys (graph.cc), "" or " k1 k2...".
  Status GatherDoc(int64_t leaf, std::optional<std::string>* out, std::string* keys);
  Status WriteDoc(int64_t leaf, const text::Tokens& tokens, const std::string& keys);

  sqlite3* db_;
  const TextSource* text_source_;
  std::unordered_map<const char*, Stmt> stmts_;
  std::unordered_set<int64_t> dirty_;  // entities whose search row must be rebuilt
  std::unordered_set<int64_t> fresh_;  // created in this batch: no old search row
  std::unordered_set<std::string> batch_terms_;
  std::unordered_set<std::string>& terms_;  // in search_terms (col digit + term)
  std::unordered_set<std::string> gone_;    // left a rewritten row; Finish checks them
};

}  // namespace isnad::catalog::internal
