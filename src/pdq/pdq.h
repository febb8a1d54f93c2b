// PDQ perceptual image hashing: the algorithm Facebook published with ThreatExchange
// (pdqhash-2017-10-09.pdf), implemented here. Pixels -> float luma (0.299 R + 0.587 G +
// 0.114 B) -> two-pass Jarosz tent filter and decimation to 64x64 -> the 16x16 low-frequency
// block of the 2D DCT -> one bit per coefficient, set when above the median. Quality (0-100)
// counts significant gradients of the 64x64 image; below kMinUsefulQuality a hash must not be
// used for matching. The 8 rotations/flips of an image are computed from the one DCT.
// Hash text format: docs/formats/pdq.md. Free functions are thread safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace isnad::pdq {

// Hashes of quality below this are not used for matching (upstream discards <= 49).
inline constexpr int kMinUsefulQuality = 50;
// Two images whose hashes differ in at most this many bits are the same picture (upstream).
inline constexpr int kDefaultMatchDistance = 31;
// Images smaller than this (either side) hash to all zeros with quality 0, as upstream.
inline constexpr int kMinHashableDim = 5;

// A 256-bit PDQ hash. Bit k (k = 0 the least significant bit of the 256-bit big-endian
// number the hex spells) is 1 when DCT coefficient (row k / 16, column k % 16) is strictly
// greater than the median coefficient. words[0] holds bits 0..63, words[3] bits 192..255.
struct Hash {
  std::array<uint64_t, 4> words{};

  bool bit(int k) const { return (words[k >> 6] >> (k & 63)) & 1; }
  bool operator==(const Hash&) const = default;
};

// Returns the 64 lower-case hex digits, most significant first (the reference's text form).
std::string ToHex(const Hash& h);
// Parses 64 hex digits (either case). On failure: kInvalidArgument naming what is wrong.
core::StatusOr<Hash> HashFromHex(std::string_view hex);
// Returns the Hamming distance, popcount(a XOR b): 0 to 256.
int Distance(const Hash& a, const Hash& b);

// The 8 dihedral transforms, in the reference's order. Each names what was done to the
// image whose plain hash the dihedral hash approximates.
enum class Dihedral : int {
  kOriginal = 0,
  kRotate90,  // 90 degrees counter-clockwise
  kRotate180,
  kRotate270,
  kFlipX,       // upside down: rows reversed
  kFlipY,       // mirrored: columns reversed
  kFlipPlus1,   // transposed
  kFlipMinus1,  // transposed about the other diagonal
};
inline constexpr int kDihedralCount = 8;
// "orig", "rot90", "rot180", "rot270", "flipx", "flipy", "flipplus1", "flipminus1".
std::string_view DihedralName(Dihedral d);

struct Result {
  Hash hash;
  int quality = 0;  // 0..100
};

struct DihedralResult {
  std::array<Hash, kDihedralCount> hashes;  // indexed by Dihedral
  int quality = 0;

  const Hash& operator[](Dihedral d) const { return hashes[static_cast<int>(d)]; }
  // Returns the smallest distance from `h` to any of the 8 hashes.
  int MinDistance(const Hash& h) const;
};

// 8-bit pixels in memory: `height` rows, `stride_bytes` apart (a video frame's linesize may
// exceed width * channels), each `width` pixels of `channels` bytes: 1 grey, 3 RGB, or 4 RGBA
// (alpha is ignored: the hash is of the colour values, as the reference, which drops alpha).
struct PixelView {
  std::span<const uint8_t> data;
  int width = 0;
  int height = 0;
  size_t stride_bytes = 0;
  int channels = 3;
};

struct HashOptions {
  // An image of more pixels than this is first reduced by averaging k x k blocks (the
  // smallest whole k that brings it under), which bounds the filter's memory (8 bytes a
  // pixel) and time; the tent filter that follows blurs far wider than k, so the hash moves
  // by a few bits at most (pdq_test). 0: never reduce.
  uint64_t max_filter_pixels = 16u << 20;
  // Each pixel's luma is read as (luma - luma_black) * luma_scale. For the Y plane of
  // limited-range ("TV", 16-235) video given as grey pixels, 16 and 255/219 give the luma
  // PDQ would compute from the RGB that video converts to (vpdq). Applied to the filtered
  // 64x64 image, which by linearity is the same up to float rounding; the defaults change
  // nothing. A constant offset moves no hash bit (the DC coefficient is not hashed) and a
  // positive scale none either (bits compare coefficients with their median); both change
  // the quality, which measures gradients in units of the 0-255 scale.
  float luma_black = 0.0f;
  float luma_scale = 1.0f;
};

// Hashes `pixels`. Images with a side below kMinHashableDim give the zero hash with
// quality 0. On failure (a view whose sizes do not fit its data, or more channels than 4):
// kInvalidArgument.
core::StatusOr<Result> HashPixels(const PixelView& pixels, const HashOptions& options = {});
// The same, with the hashes of all 8 rotations and flips, computed from the one DCT.
core::StatusOr<DihedralResult> HashPixelsDihedral(const PixelView& pixels,
                                                  const HashOptions& options = {});

}  // namespace isnad::pdq
