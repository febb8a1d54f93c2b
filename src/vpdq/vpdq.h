// vPDQ: perceptual hashes of a video's frames, and the video-to-video comparison built on
// them (facebook/ThreatExchange vpdq, ../shared/testdata/vpdq/README.md). Frames are decoded
// with the FFmpeg libraries, converted to RGB24 (swscale, SWS_AREA) or, by default at their
// own size, read from their Y plane, and hashed with the project's PDQ (pdq/pdq.h).
// docs/formats/vpdq.md describes the frame-hash file.
//
// Decoding is bounded (VideoLimits): a damaged, truncated or hostile file gives an error
// value (or the frames read before the damage, with `failures` saying why it stopped), never
// a crash or a hang. Thread safe: no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "pdq/pdq.h"

namespace isnad::vpdq {

struct VideoLimits {
  uint64_t max_millis = 600'000;            // wall clock for one video
  uint64_t max_frames = 2'000'000;          // decoded frames at most
  uint64_t max_pixels = 8192ull * 8192ull;  // per frame (width x height)
};

struct HashOptions {
  // 0: hash every frame (dense; what the archive keeps, as upstream's goldens). s > 0: one
  // frame every s seconds (queries: ~1 fps).
  double seconds_per_hash = 0;
  // 0: frames keep their size. n > 0: frames are scaled to n x n first (upstream `-s n`).
  int downscale = 0;
  // Crop black (letterbox/pillarbox) bars burned into the picture before hashing. Off for
  // conformance with upstream's goldens, which do not crop; on in the archive.
  bool crop_black_bars = false;
  // Drop a frame whose hash equals the previous kept frame's (identical consecutive frames
  // collapsed). Off for conformance (upstream keeps every frame).
  bool collapse_identical = false;
  // false (default): at the frame's own size, PDQ reads the luma straight from the Y plane
  // of 8-bit YUV frames (no RGB conversion; hashes within a few bits of the RGB path's,
  // docs/formats/vpdq.md). true: every frame goes through swscale's RGB, as upstream.
  bool rgb_luma = false;
  // Also keep each kept frame's 8 dihedral hashes (VideoHash::dihedral; computed from the
  // frame's one DCT, pdq::HashPixelsDihedral): for queries that should find mirrored or
  // rotated copies (CompareDihedral). 256 bytes a frame; the archive does not store them.
  bool dihedral = false;
  // 0: every frame. n > 0: stop, successfully, after the first n decoded frames (the first
  // frame of an animated GIF as a picture's hash); VideoLimits::max_frames is an error instead.
  uint64_t first_frames = 0;
  int threads = 1;  // FFmpeg decoding threads
  VideoLimits limits;
};

struct FrameHash {
  uint64_t frame = 0;  // frame number in decode order, from 0
  int quality = 0;     // PDQ quality 0..100
  pdq::Hash hash;
  double timestamp_s = 0;  // frame / frame rate, as upstream
};

struct VideoHash {
  std::vector<FrameHash> frames;
  double frame_rate = 0;  // avg_frame_rate, or r_frame_rate when that is 0
  double duration_s = 0;
  int width = 0, height = 0;  // of the decoded frames before any crop or scale
  // The crop applied when crop_black_bars found bars: x, y, w, h of the kept picture.
  int crop_x = 0, crop_y = 0, crop_w = 0, crop_h = 0;
  std::vector<std::string> failures;  // e.g. "decoding stopped at frame 812: Invalid data..."
  // With HashOptions::dihedral: one per frame of `frames`, [kOriginal] equal to its hash.
  std::vector<pdq::DihedralResult> dihedral;
};

// `frames` with each hash replaced by its dihedral hash `d` (`dihedral` parallel to it, as
// in VideoHash): the frame hashes of the video transformed by `d`, as PDQ approximates them.
std::vector<FrameHash> TransformedFrames(const std::vector<FrameHash>& frames,
                                         const std::vector<pdq::DihedralResult>& dihedral,
                                         pdq::Dihedral d);

// Hashes the video at `path`. kInvalidArgument when the file has no video stream;
// kIntegrity when it cannot be opened or not one frame decodes; kDeadlineExceeded /
// kResourceExhausted over the limits (frames hashed by then are not returned).
core::StatusOr<VideoHash> HashVideo(const std::string& path, const HashOptions& options = {});

// The frame-hash text format of upstream's sample hashes: one line per frame,
// "frame,quality,hex,timestamp" with the timestamp to 3 decimals ("0,100,e271…055c,0.000").
std::string FormatFrames(const std::vector<FrameHash>& frames);
core::StatusOr<std::vector<FrameHash>> ParseFrames(std::string_view text);

struct MatchOptions {
  int max_distance = 30;  // a frame matches when distance <= this (upstream C++: < 31)
  int min_quality = pdq::kMinUsefulQuality;  // frames below are ignored on both sides
};

struct Similarity {
  double query_pct = 0;  // share of the query's unique useful frames matched in the target
  double match_pct = 0;  // share of the target's unique useful frames matched in the query
  // The best-matching pair (smallest distance; earliest on ties): timestamps in each video.
  double query_timestamp_s = 0, match_timestamp_s = 0;
  int best_distance = 256;
  // CompareDihedral: the transform of the query under which it matched best (kFlipY: the
  // query is a mirror image of the target).
  pdq::Dihedral transform = pdq::Dihedral::kOriginal;
};

// vPDQ comparison (upstream vpdq/README.md): unique hashes of each side with quality >=
// min_quality; a frame is matched when the other side has one within max_distance.
Similarity Compare(const std::vector<FrameHash>& query, const std::vector<FrameHash>& target,
                   const MatchOptions& options = {});

// Compare for each transform of the query: `variants[d]` is the query's frames under
// transform d (TransformedFrames; [0] the frames as hashed; an empty or missing list is not
// tried). Returns the best: the largest of query_pct and match_pct, then the larger
// query_pct, then the smaller best distance, then the lower transform number; `transform`
// says which. Costs one Compare per variant.
Similarity CompareDihedral(const std::vector<std::vector<FrameHash>>& variants,
                           const std::vector<FrameHash>& target, const MatchOptions& options = {});

// "libavcodec 59.37.100; libswscale 6.7.100".
std::string DecoderVersions();

}  // namespace isnad::vpdq
