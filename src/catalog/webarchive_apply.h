// Internal to the catalog module: the web archive tables (warc.record and
// warc.indexed entries), applied inside Catalog::Apply's transaction.
// Schema: docs/formats/warc.md, "Catalogue".
#pragma once

#include <sqlite3.h>

#include <cstdint>

#include "catalog/sql.h"

namespace isnad::catalog::internal {

// CREATE TABLE IF NOT EXISTS: safe to run on every writable open.
extern const char* const kWebArchiveSchemaSql;

// Applies one validated warc.record or warc.indexed entry at `leaf`: the items
// it names must have been created before it. Errors are kNotFound naming the
// reference (Catalog::Apply makes them kIntegrity).
Status ApplyWebArchive(StmtCache& q, int64_t leaf, const Json& e);

}  // namespace isnad::catalog::internal
