// C2SP tlog-tiles (https://c2sp.org/tlog-tiles) layout as pure functions, after
// Tessera's api/layout/paths.go. Tiles are 8 levels high (256 hashes wide).
// A hash tile at level L, index N holds the hashes of the perfect subtrees of
// height 8L with indices [256N, 256N + W). An entry bundle holds entries
// [256N, 256N + W), each as a big-endian uint16 length followed by its bytes.
// See docs/formats/tiles.md. Thread safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace isnad::tlog {

inline constexpr int kTileHeight = 8;
inline constexpr uint64_t kTileWidth = 256;
inline constexpr size_t kMaxEntrySize = 65535;  // uint16 length prefix

// "1234067" -> "x001/x234/067"; 0 -> "000".
std::string TileIndexPath(uint64_t n);
// "tile/<L>/<N>" for a full tile (width 256), "tile/<L>/<N>.p/<W>" for a partial one.
std::string HashTilePath(int level, uint64_t n, uint64_t width);
// "tile/entries/<N>" or "tile/entries/<N>.p/<W>".
std::string EntryBundlePath(uint64_t n, uint64_t width);

struct TileId {
  int level = 0;  // -1 for the entry bundle
  uint64_t index = 0;
  uint64_t width = 0;  // 1..256
  auto operator<=>(const TileId&) const = default;
};

// Parses a path made by HashTilePath or EntryBundlePath. On failure: kInvalidArgument.
core::StatusOr<TileId> ParseTilePath(std::string_view path);

// Returns every hash tile (not entry bundle) that a tree of `size` leaves has,
// full and partial, ordered by level then index.
std::vector<TileId> HashTilesForSize(uint64_t size);

// Serialises entries as an entry bundle. Each must be <= kMaxEntrySize.
std::string EncodeEntryBundle(const std::vector<std::string>& entries);
// Parses an entry bundle with exactly `width` entries. On failure: kIntegrity.
core::StatusOr<std::vector<std::string>> DecodeEntryBundle(std::string_view bundle, uint64_t width);

// Appends one entry (<= kMaxEntrySize bytes) in entry-bundle form to `bundle`.
void AppendBundleEntry(std::string* bundle, std::string_view entry);
// As DecodeEntryBundle, but returns views into `bundle` instead of copies.
core::StatusOr<std::vector<std::string_view>> SplitEntryBundle(std::string_view bundle,
                                                               uint64_t width);

}  // namespace isnad::tlog
