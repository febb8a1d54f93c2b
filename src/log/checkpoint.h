// C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint) body:
//   <origin>\n<decimal tree size>\n<base64 root hash>\n[extension lines...]
// This is the text inside a signed note (note.h). See docs/formats/checkpoint.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/digest.h"
#include "core/status.h"

namespace isnad::tlog {

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  core::Hash root;
  std::string extensions;  // remaining lines verbatim, each ending in '\n' (usually empty)

  // Returns the body text, ending in '\n'.
  std::string Body() const;
  // Parses a body. Strict: origin non-empty, size in canonical decimal
  // (no sign, no leading zeros), root exactly 32 bytes of canonical base64.
  // On failure: kIntegrity naming the line.
  static core::StatusOr<Checkpoint> Parse(std::string_view body);
};

}  // namespace isnad::tlog
