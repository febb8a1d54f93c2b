// Media type sniffing from a file's first bytes, with libmagic (the `file`
// command's database). The first piece of the media module; metadata, OCR and
// perceptual hashes come later. Thread safe (one libmagic handle per thread).
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

}  // namespace isnad::media
