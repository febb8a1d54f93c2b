// The blobs a log entry names. Shared by Verify (each must be present and
// whole) and Reclaim (only a blob no entry names may be removed), so that the
// two can never disagree about which blobs are evidence.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/canonical_json.h"
#include "core/digest.h"

namespace isnad::archive::internal {

struct NamedBlob {
  core::Hash sha256;
  std::string item;         // the item it belongs to, or "" (a time-stamp token)
  uint64_t size_bytes = 0;  // as the entry gives it, when size_known
  bool size_known = false;
};

// Calls `fn` for each blob that entry `leaf` (already parsed, as `entry`) names:
// an ingested item's bytes, a source's, a long note's text, a time-stamp
// token, and what an analysis extracted.
void ForEachNamedBlob(const core::Json& entry, uint64_t leaf,
                      const std::function<void(NamedBlob)>& fn);

}  // namespace isnad::archive::internal
