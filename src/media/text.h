// Searchable text of a text document: plain text as it is (bytes that are not
// UTF-8 replaced), HTML and XHTML without markup, scripts or styles (libxml2's
// HTML parser, which copes with real-world tag soup, nested to any depth).
// Returns "" for other media types.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace isnad::media {

// The most bytes of a document read for its text.
inline constexpr size_t kMaxTextBytes = size_t{4} << 20;

bool HasText(std::string_view media_type);
core::StatusOr<std::string> ExtractText(std::string_view bytes, std::string_view media_type);

}  // namespace isnad::media
