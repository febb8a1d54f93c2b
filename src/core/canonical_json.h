// RFC 8785 JSON Canonicalization Scheme (JCS) for the values isnad writes.
// Log entries are canonical JSON so that one entry has exactly one byte form,
// which is what the Merkle tree hashes. See docs/formats/log-entry.md.
// Supported: null, booleans, strings, objects, arrays, and integers in the
// IEEE-754 exact range |n| <= 2^53 - 1. Floating-point numbers are refused
// (entries carry coordinates and such as strings), so that no number formatting
// question can ever change a hash.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/status.h"

namespace isnad::core {

using Json = nlohmann::json;

// Returns the RFC 8785 serialisation of `value`: object members sorted by the
// UTF-16 code units of their names, no insignificant whitespace, strings with
// only the mandatory escapes. On a float, an integer outside +-(2^53-1) or
// invalid UTF-8: kInvalidArgument naming the JSON pointer of the bad value.
StatusOr<std::string> CanonicalJson(const Json& value);

// Parses `text` as JSON and checks that it is already canonical (byte-equal to
// CanonicalJson of itself). On failure: kIntegrity with the reason.
StatusOr<Json> ParseCanonicalJson(std::string_view text);

}  // namespace isnad::core
