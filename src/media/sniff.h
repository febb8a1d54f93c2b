// Media type sniffing from a file's first bytes. The answer is libmagic's (the
// `file` command's database); for the formats evidence mostly arrives in
// (JPEG, PNG, GIF, WebP, TIFF, PDF, MP4, QuickTime, WAV, AVI, FLAC, and
// HTML pages that open with the doctype) a table of leading signatures
// answers first, in about a microsecond (tens for a large page) instead of
// libmagic's 25–400 µs, with the same MIME type libmagic gives (media_test
// checks each row against libmagic). Thread safe (one libmagic handle per
// thread).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace isnad::media {

// How many leading bytes SniffMediaType looks at.
inline constexpr size_t kSniffBytes = 64 * 1024;

// Returns the MIME type of content starting with `head`, e.g. "video/mp4",
// "application/pdf", "text/plain"; "application/octet-stream" when unknown or
// when libmagic is unavailable.
std::string SniffMediaType(std::string_view head);

// The two halves of SniffMediaType, for tests and benchmarks: the signature
// table alone ("" when no row matches) and libmagic alone.
std::string_view SniffSignature(std::string_view head);
std::string SniffWithLibmagic(std::string_view head);

}  // namespace isnad::media
