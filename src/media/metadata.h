// Metadata of evidence files, read with the libraries of each field: exiv2 for images
// (EXIF, XMP, IPTC, GPS, capture time, camera, software, orientation), the FFmpeg libraries
// for video and audio (duration, codecs, dimensions, creation time, location tags, encoder)
// and poppler for PDF (text, author, dates). Metadata is derived data: the archive records
// it in an `item.analyzed` custody entry (docs/formats/log-entry.md) so that what was
// extracted, and by which versions, can be proven later.
//
// Bad media never crashes and never loses the bytes: whatever a library could not read is
// reported in `Metadata::failures` (what failed and why) while the rest is still returned.
// Decoding is bounded by `ExtractLimits` (time, bytes of text, number of fields); PDF page
// text, whose decoding cannot be interrupted in process, is read in a killable child process.
// Thread safe: no shared state (exiv2's and FFmpeg's global set-up is done once, guarded).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/canonical_json.h"
#include "core/status.h"

namespace isnad::media {

struct ExtractLimits {
  // Wall-clock limit for one file's extraction (FFmpeg probing is interrupted past it).
  uint64_t max_millis = 20'000;
  // PDF text kept at most (UTF-8 bytes); the rest is cut at a character boundary and a
  // failure says so.
  uint64_t max_text_bytes = 16u << 20;
  // PDF page text is read by pdftotext in a child process (media/pdf_tools.h), killed at the
  // time left of max_millis and limited to this much address space (RLIMIT_AS); 0: no limit.
  uint64_t max_pdf_tool_memory_bytes = 1ull << 30;
  // Metadata fields kept at most per group; more are counted in a failure, not kept.
  uint32_t max_fields = 4096;
  // Longest field value kept (bytes); longer values are cut at a character boundary.
  uint32_t max_value_bytes = 4096;
};

// Coordinates as decimal degree strings with at most 7 decimals ("33.5138", "-0.1", "36.2765"),
// never floats, so that a custody entry holding them has one byte form.
struct Gps {
  std::string lat;
  std::string lon;
};

struct Metadata {
  // The summary fields that `show` and search use; empty/nullopt when unknown.
  std::optional<uint32_t> width, height;  // pixels (images; the first video stream)
  std::optional<uint64_t> duration_ms;    // video and audio
  // When the picture or recording was made, as the file says: "YYYY-MM-DDTHH:MM:SS" followed
  // by "Z" or "+HH:MM" when the file gives a zone (EXIF OffsetTimeOriginal, MP4 creation_time
  // is UTC), nothing when it does not (local camera time). Never invented.
  std::string captured_at;
  std::optional<Gps> gps;
  std::optional<int> orientation;  // EXIF orientation 1..8
  std::string camera;              // "Make Model"
  std::string software;            // EXIF Software, or the video's encoder tag
  std::string title, author;       // PDF Info, XMP dc:title/dc:creator, media title/artist tags
  // Everything read, grouped by source, as JSON with only strings, integers, arrays and
  // objects (no floats, rationals as "1/250"): {"exif": {"Exif.Image.Make": "..."},
  // "xmp": {...}, "iptc": {...}, "format": {...}, "streams": [{...}], "pdf": {...}}.
  core::Json fields = core::Json::object();
  // The text of a PDF's pages (poppler), pages separated by form feeds; "" for other types.
  std::string text;
  // What could not be read and why, e.g. "exiv2: Failed to read input data". Not empty does
  // not mean nothing was read.
  std::vector<std::string> failures;
};

// Reads the metadata of the file at `path`, whose bytes sniffed as `media_type` (media/sniff.h).
// image/* goes to exiv2, video/* and audio/* to the FFmpeg libraries, application/pdf to
// poppler; other types give an empty Metadata. Errors only when `path` cannot be opened
// (kNotFound / kIoError); a damaged file is reported in `failures`.
core::StatusOr<Metadata> ExtractMetadata(const std::string& path, const std::string& media_type,
                                         const ExtractLimits& limits = {});

// The time zone a `Metadata::captured_at` value gives: "Z", "+HH:MM" or "-HH:MM"; "" when
// the file gave none (a camera's local time, whose offset from UTC is not known).
std::string_view CapturedAtZone(std::string_view captured_at);

// Whether ExtractMetadata reads anything for this media type.
bool HasMetadataExtractor(const std::string& media_type);

// The libraries and their versions, e.g. "exiv2 0.27.6; libavformat 59.27.100; poppler 22.12.0".
std::string MetadataExtractorVersions();

}  // namespace isnad::media
