// RFC 4648 base32 (upper case, padded), as used in WARC digest fields
// ("sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ").
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace isnad::warc {

std::string Base32Encode(std::string_view raw);
// Decodes base32 in either case, padding optional. On bad input: kInvalidArgument.
core::StatusOr<std::string> Base32Decode(std::string_view text);

}  // namespace isnad::warc

namespace isnad::warc {
// Decodes base64 in the standard or URL-safe alphabet, padding optional.
core::StatusOr<std::string> Base64DecodeLenient(std::string_view text);
}  // namespace isnad::warc
