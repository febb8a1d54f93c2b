// Decoding JPEG and PNG files for PDQ, and hashing them. JPEG goes through libjpeg-turbo with
// its defaults (accurate integer IDCT, smooth chroma upsampling): the decoder ImageMagick, and
// so the reference `pdq-photo-hasher`, uses. PNG goes through libpng. Decoding is bounded: a
// file over DecodeLimits (pixels, decoder memory, JPEG scans) is refused before its pixels are
// allocated, and a damaged or truncated file gives an error, never a crash or a half-grey
// picture. EXIF orientation is read but, by default, not applied (docs/formats/pdq.md).
// HashImage decodes large JPEGs faster than DecodeImage: their luma only, and DCT-scaled when
// they are very large (kExactDecodeMaxPixels below). Thread safe: no shared state.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "pdq/pdq.h"

namespace isnad::pdq {

struct DecodeLimits {
  // Width x height above this is refused (kResourceExhausted). 100 MP: 300 MB of RGB.
  uint64_t max_pixels = 100'000'000;
  // Memory the JPEG decoder may take for itself (a progressive file keeps every coefficient).
  uint64_t max_decoder_memory_bytes = 1024ull << 20;
  // A progressive JPEG with more scans than this is refused (each scan is a pass over the
  // whole image, so thousands of tiny scans are a known way to burn CPU time).
  int max_jpeg_scans = 500;
};

// A decoded image: `height` rows of `width` pixels of `channels` bytes (1 grey, 3 RGB,
// 4 RGBA), rows packed.
struct Image {
  std::string format;  // "jpeg" or "png"
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<uint8_t> pixels;
  // The EXIF orientation tag (1..8) of a JPEG, 0 when the file has none (or not a valid one).
  int exif_orientation = 0;

  PixelView view() const {
    return PixelView{pixels, width, height, size_t(width) * size_t(channels), channels};
  }
};

// Decodes a JPEG or PNG held in `bytes`. On failure: kInvalidArgument when the bytes are not a
// JPEG or PNG; kIntegrity when they are one but damaged or truncated (the message says what
// the decoder found); kResourceExhausted when the image is over `limits`.
core::StatusOr<Image> DecodeImage(std::span<const uint8_t> bytes, const DecodeLimits& limits = {});

// Returns `image` as it is meant to be displayed under EXIF orientation `orientation`
// (1..8; anything else returns a copy): rotated and/or mirrored pixels.
Image Oriented(const Image& image, int orientation);

// Returns the EXIF orientation (1..8) in a TIFF-structured EXIF block (the payload of a JPEG
// APP1 segment after "Exif\0\0"), or 0 when absent or malformed. Never reads out of bounds.
int ExifOrientation(std::span<const uint8_t> tiff);

// HashImage decodes a YCbCr JPEG of more pixels than this as luma only (libjpeg skips the
// chroma IDCT, upsampling and colour conversion): Y is 0.299 R + 0.587 G + 0.114 B, so the
// luma PDQ computes from the RGB pixels differs from Y only by rounding, which the filter
// averages away on a picture this large (no golden moves; docs/formats/pdq.md). Smaller
// images, whose filter window is a few pixels, are decoded in full RGB as the reference does.
inline constexpr uint64_t kExactDecodeMaxPixels = 512 * 512;
// ... and scales such a JPEG down in the DCT domain by 1/2, 1/4 or 1/8, the most that keeps its
// shorter side at least this long (so only from 1536 pixels up): measured, a picture hashed at
// 1000 pixels or more lands as near the goldens as at full size, one at 500-750 does not.
inline constexpr int kMinScaledShortSide = 768;

struct ImageHashOptions {
  HashOptions hash;
  DecodeLimits limits;
  // Hash the picture as displayed (EXIF orientation applied) instead of the stored pixel grid
  // (the reference, and the default). Either way the 8 dihedral hashes cover both.
  bool apply_exif_orientation = false;
  // Decode every JPEG in full RGB at full size, as DecodeImage and the reference do, instead
  // of the faster luma-only (and, when very large, DCT-scaled) decode of large JPEGs. Slower
  // (a 1.6 MP photo: 1.35x, a 6.4 MP one 3x) and, measured, no nearer the goldens.
  bool exact_decode = false;
};

struct ImageHash {
  DihedralResult dihedral;  // dihedral[Dihedral::kOriginal] is the hash
  std::string format;
  int width = 0;  // the file's own size, whatever was decoded
  int height = 0;
  int exif_orientation = 0;
  bool orientation_applied = false;
  // What was hashed: the decoded pixel grid (smaller than width x height when a very large
  // JPEG was DCT-scaled) and whether it was the JPEG's luma alone (ImageHashOptions).
  int hashed_width = 0;
  int hashed_height = 0;
  bool luma_only = false;

  const Hash& hash() const { return dihedral[Dihedral::kOriginal]; }
  int quality() const { return dihedral.quality; }
};

// Decodes and hashes an image file's bytes. Errors as DecodeImage.
core::StatusOr<ImageHash> HashImage(std::span<const uint8_t> bytes,
                                    const ImageHashOptions& options = {});

}  // namespace isnad::pdq
