// Hex and standard base64 (RFC 4648, with padding) as used by C2SP notes and
// the CLI's JSON output. Decoders are strict: they accept only the canonical
// encoding of some byte string, so one value has exactly one text form.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace isnad::core {

// Returns lower-case hex of `raw`.
std::string HexEncode(std::string_view raw);
// Decodes hex (either case). On odd length or a non-hex digit: kInvalidArgument.
StatusOr<std::string> HexDecode(std::string_view hex);
// Returns true when `s` is non-empty and all lower- or upper-case hex digits.
bool IsHex(std::string_view s);

// Returns standard base64 with '=' padding.
std::string Base64Encode(std::string_view raw);
// Decodes standard base64 with padding. Rejects whitespace, missing padding and
// non-canonical trailing bits. On failure: kInvalidArgument.
StatusOr<std::string> Base64Decode(std::string_view b64);

}  // namespace isnad::core
