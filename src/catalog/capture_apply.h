// Internal to the catalog module: the captures table (web captures,
// capture.recorded entries), applied inside Catalog::Apply's transaction.
// Schema: docs/formats/catalog.md, "Captures".
#pragma once

#include <sqlite3.h>

#include <cstdint>

#include "catalog/sql.h"

namespace isnad::catalog::internal {

extern const char* const kCaptureSchemaSql;

// Applies one validated capture.recorded entry at `leaf`: its items must
// exist before it with the digests it names. Errors are kNotFound /
// kInvalidArgument naming the reference (Catalog::Apply makes them kIntegrity).
Status ApplyCapture(StmtCache& q, int64_t leaf, const Json& e);

// Checks one validated capture.extracted entry at `leaf`: its capture is a
// capture.recorded entry before it, its items exist before it with the
// digests it names. Nothing is stored (the items are items; the entry is in the log).
Status ApplyCaptureExtracted(StmtCache& q, int64_t leaf, const Json& e);

}  // namespace isnad::catalog::internal
