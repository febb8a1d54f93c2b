// Media analysis of items: metadata (media/metadata.h), PDQ of images (pdq/image.h), vPDQ of
// videos (vpdq/vpdq.h), OCR when asked (media/ocr.h), and the near-duplicates each new item
// has among those analysed before it. Each analysed item gets one `item.analyzed` custody
// entry (docs/formats/log-entry.md, "Media analysis") naming blobs that hold the full
// metadata, the frame hashes and the text, so that what was extracted, and by which versions,
// can be proven. `isnad add` analyses what it adds; `isnad analyze` what was not analysed.
//
// NearDuplicateIndex answers `isnad similar` and `isnad dupes` over every perceptual hash in
// the catalogue (images and video frames), exactly (similar/index.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/status.h"
#include "pdq/pdq.h"
#include "similar/index.h"
#include "vpdq/vpdq.h"

namespace isnad::archive {

class Archive;

// Media types analysed: images, video, audio and PDF.
bool IsAnalyzable(const std::string& media_type);
inline const std::vector<std::string>& AnalyzablePrefixes() {
  static const std::vector<std::string> kPrefixes = {"image/", "video/", "audio/",
                                                     "application/pdf"};
  return kPrefixes;
}

// A video matches another when at least this share of one side's useful frames
// is matched (a clip matches the whole on the clip's side).
inline constexpr double kVideoMatchPct = 50.0;

// What to match: an image's 8 dihedral hashes, or a video's frames.
struct SimilarQuery {
  bool video = false;
  std::vector<pdq::Hash> image_hashes;  // image: [0] as stored, then its rotations/flips
  std::vector<vpdq::FrameHash> frames;  // video
  // Video, when hashed with dihedral hashes: [d] the frames under pdq::Dihedral d (from
  // vpdq::TransformedFrames; [0] unused: `frames` is the video as it is). Empty: `frames`
  // only. Lets a mirrored, flipped or rotated copy match.
  std::vector<std::vector<vpdq::FrameHash>> frame_variants;
};

struct SimilarMatch {
  std::string id;
  uint64_t leaf_index = 0;
  bool video = false;    // the match is a video
  int distance = 0;      // smallest distance between any pair of hashes
  double query_pct = 0;  // video comparisons: vpdq::Similarity
  double match_pct = 0;
  double query_timestamp_s = 0, match_timestamp_s = 0;  // the closest pair
  // What, done to the query, gives the match (kFlipY: a mirror image), for images
  // queried with their 8 dihedral hashes and videos with frame_variants.
  pdq::Dihedral transform = pdq::Dihedral::kOriginal;
};

class NearDuplicateIndex {
 public:
  // Every perceptual hash in the catalogue.
  static core::StatusOr<NearDuplicateIndex> Load(const catalog::Catalog& catalog);
  NearDuplicateIndex();
  ~NearDuplicateIndex();
  NearDuplicateIndex(NearDuplicateIndex&&) noexcept;
  NearDuplicateIndex& operator=(NearDuplicateIndex&&) noexcept;

  // Adds an item's hashes (images: one, t = 0; videos: its useful distinct frames).
  void AddItem(uint64_t leaf, const std::vector<vpdq::FrameHash>& hashes, bool video);
  // Items with a hash within `max_distance` of the query (any image hash or frame),
  // best first (videos by their larger percentage, images by distance). `exclude`:
  // an item left out (the query item itself). Videos need `min_video_pct` on one side.
  std::vector<SimilarMatch> Find(const SimilarQuery& query, int max_distance,
                                 std::optional<uint64_t> exclude = std::nullopt,
                                 double min_video_pct = 0) const;
  size_t hashes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The query of an archived item, from its recorded hashes. With `blob_path` (the item's
// bytes), a JPEG or PNG is hashed again for its 8 rotations and flips, and a video is hashed
// again at one frame a second for its frames' rotations and flips (frame_variants), so that
// mirrored and rotated copies are found as from a file; without it, only the stored hashes.
core::StatusOr<SimilarQuery> QueryOfItem(const catalog::Catalog& catalog,
                                         const catalog::MediaRecord& media,
                                         const std::string& blob_path = {});
// The query of a file on disk, hashed now: images with PDQ (8 dihedral hashes),
// videos with vPDQ at one frame a second, black bars cropped, with each frame's 8 dihedral
// hashes (frame_variants). kFailedPrecondition for a picture too plain to match (PDQ
// quality < 50: every plain or tiny picture hashes alike, so such hashes are never matched).
core::StatusOr<SimilarQuery> QueryOfFile(const std::string& path);

struct AnalyzeOptions {
  bool ocr = false;
  std::string ocr_languages = "ara+eng";
  int jobs = 2;
  int max_distance = pdq::kDefaultMatchDistance;  // near-duplicates recorded at ingest
  size_t batch = 64;                              // entries per commit
};

struct AnalyzedItem {
  std::string id;
  std::string media_type;
  std::string summary;  // "1920x1080, 12.4 s, 33.5138,36.2765" for people
  std::vector<std::string> near_duplicates;
  std::vector<std::string> failures;
};

struct AnalyzeCallbacks {
  std::function<void(const AnalyzedItem&)> on_analyzed;
  std::function<void(uint64_t done, uint64_t total)> on_progress;
};

// Friend of Archive: analyses `items` (in order; `jobs` at once) and records an
// item.analyzed entry for each, in batches. Errors are the archive's own (disk,
// log); a file that cannot be decoded is analysed with its failures recorded.
class Analyzer {
 public:
  static core::StatusOr<uint64_t> Run(Archive* archive,
                                      const std::vector<catalog::ItemRecord>& items,
                                      const AnalyzeOptions& options,
                                      const AnalyzeCallbacks& callbacks);
};

}  // namespace isnad::archive
