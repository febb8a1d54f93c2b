// Storing what an external extractor (capture/extract.h, yt-dlp) gave during
// `isnad capture`: the media file and its info JSON become items (each an
// item.ingested with the URL as source, or a source.added when the bytes are
// already held), and a capture.extracted entry links them to the page's
// capture.recorded entry, with the extractor's name, version and exit status.
// A run that failed or timed out is recorded too (capture.extracted with
// `error`); an extractor that is not installed is only reported.
// Called by archive/capture.cc inside its batch commit.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "capture/capture.h"
#include "catalog/entries.h"
#include "core/digest.h"
#include "core/status.h"

namespace isnad::archive {

// What became of one capture's extraction (CaptureOutcome::extracted).
struct ExtractOutcome {
  bool wanted = false;    // the extractor was asked to run for this URL
  bool recorded = false;  // a capture.extracted entry was written
  uint64_t leaf_index = 0;
  std::string extractor;  // "yt-dlp 2023.03.04"; "" when not installed
  std::string media_id;   // "" when none
  core::Hash media_sha256;
  uint64_t media_size = 0;
  std::string media_type;
  std::string info_id;  // "" when none
  core::Status error;   // why no media: not installed, failed, timed out
};

// Stages the extracted files of `r` (media, info JSON) as blobs with `stage`.
core::Status StageExtraction(
    const capture::Result& r,
    const std::function<core::Status(const std::string& path, const core::Hash& sha256,
                                     uint64_t size)>& stage);

// Appends to `entries` (whose first entry gets leaf `base`) the items of r's
// extraction, made through `item_for` (as the capture's own items are), and
// its capture.extracted entry referring to the capture.recorded at
// `capture_leaf`. Fills `out`. Nothing is appended when no extraction was wanted
// or the extractor could not be started.
core::Status RecordExtraction(
    const capture::Result& r, const catalog::Actor& by, uint64_t capture_leaf, uint64_t base,
    const std::function<core::Status(const core::Hash& sha256, uint64_t size,
                                     const std::string& media_type, const catalog::Provenance& from,
                                     std::string* id)>& item_for,
    std::vector<std::string>* entries, ExtractOutcome* out);

}  // namespace isnad::archive
