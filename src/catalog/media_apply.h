// Internal to the catalog module: the media tables (item.analyzed entries:
// metadata summaries, perceptual hashes, near-duplicate links), applied inside
// Catalog::Apply's transaction. Schema: docs/formats/catalog.md, "Media".
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "catalog/catalog.h"
#include "catalog/sql.h"

namespace isnad::catalog::internal {

extern const char* const kMediaSchemaSql;

// Applies one validated item.analyzed entry at `leaf`: its item must exist
// before it. The latest analysis of an item replaces the one before. Reads the
// frame-hash blob through `blobs` (absent: no frame rows). Sets `*text` to the
// searchable text of the analysis (title, author, camera, PDF and OCR text,
// read through `blobs` too), and `*item_leaf` to the item it concerns.
Status ApplyAnalysis(StmtCache& q, int64_t leaf, const Json& e, const BlobSource& blobs,
                     int64_t* item_leaf, std::string* text);

}  // namespace isnad::catalog::internal
