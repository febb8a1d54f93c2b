#include "log/tiles.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace isnad::tlog {
namespace {

using core::StatusOr;

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Canonical decimal (no sign, no leading zeros) no larger than `max`.
bool ParseSmallDecimal(std::string_view s, uint64_t max, uint64_t* out) {
  if (!AllDigits(s) || s.size() > 3 || (s.size() > 1 && s[0] == '0')) return false;
  uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<uint64_t>(c - '0');
  if (v > max) return false;
  *out = v;
  return true;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    size_t pos = s.find(sep);
    out.push_back(s.substr(0, pos));
    if (pos == std::string_view::npos) break;
    s.remove_prefix(pos + 1);
  }
  return out;
}

core::Status BadPath(std::string_view path, std::string_view why) {
  return core::InvalidArgument("not a tlog-tiles path: \"" + std::string(path) +
                               "\": " + std::string(why));
}

std::string WidthSuffix(uint64_t width) {
  return width == kTileWidth ? std::string() : ".p/" + std::to_string(width);
}

}  // namespace

std::string TileIndexPath(uint64_t n) {
  std::string digits = std::to_string(n);
  digits.insert(0, (3 - digits.size() % 3) % 3, '0');
  std::string out;
  out.reserve(digits.size() / 3 * 5);
  for (size_t i = 0; i < digits.size(); i += 3) {
    bool last = i + 3 == digits.size();
    if (!last) out.push_back('x');
    out.append(digits, i, 3);
    if (!last) out.push_back('/');
  }
  return out;
}

std::string HashTilePath(int level, uint64_t n, uint64_t width) {
  return "tile/" + std::to_string(level) + "/" + TileIndexPath(n) + WidthSuffix(width);
}

std::string EntryBundlePath(uint64_t n, uint64_t width) {
  return "tile/entries/" + TileIndexPath(n) + WidthSuffix(width);
}

StatusOr<TileId> ParseTilePath(std::string_view path) {
  std::vector<std::string_view> parts = Split(path, '/');
  if (parts.size() < 3 || parts[0] != "tile") {
    return BadPath(path, "expected tile/<L>/<N> or tile/entries/<N>");
  }
  TileId id;
  uint64_t level = 0;
  if (parts[1] == "entries") {
    id.level = -1;
  } else if (ParseSmallDecimal(parts[1], 63, &level)) {
    id.level = static_cast<int>(level);
  } else {
    return BadPath(path, "the level must be \"entries\" or a decimal 0..63 without leading zeros");
  }

  // The index elements run from parts[2]; a partial tile ends in "<DDD>.p/<W>".
  size_t end = parts.size();
  id.width = kTileWidth;
  std::string_view last_index = parts[end - 1];
  if (end >= 4 && parts[end - 2].size() > 2 &&
      parts[end - 2].substr(parts[end - 2].size() - 2) == ".p") {
    if (!ParseSmallDecimal(parts[end - 1], kTileWidth - 1, &id.width) || id.width == 0) {
      return BadPath(path, "a partial tile's width must be a decimal 1..255 without leading zeros");
    }
    --end;
    last_index = parts[end - 1].substr(0, parts[end - 1].size() - 2);
  }
  size_t groups = end - 2;
  // 2^64 - 1 has 20 digits: at most 7 groups of three.
  if (groups > 7) return BadPath(path, "the tile index has too many elements");
  uint64_t n = 0;
  for (size_t i = 0; i < groups; ++i) {
    bool last = i + 1 == groups;
    std::string_view g = last ? last_index : parts[2 + i];
    if (!last) {
      if (g.size() != 4 || g[0] != 'x') {
        return BadPath(path, "index elements before the last must be x followed by 3 digits");
      }
      g.remove_prefix(1);
      if (i == 0 && g == "000") {
        return BadPath(path, "the tile index has leading zero groups");
      }
    }
    if (g.size() != 3 || !AllDigits(g)) {
      return BadPath(path, "each index element must have exactly 3 digits");
    }
    uint64_t v = static_cast<uint64_t>((g[0] - '0') * 100 + (g[1] - '0') * 10 + (g[2] - '0'));
    if (n > (std::numeric_limits<uint64_t>::max() - v) / 1000) {
      return BadPath(path, "the tile index does not fit in 64 bits");
    }
    n = n * 1000 + v;
  }
  id.index = n;
  return id;
}

std::vector<TileId> HashTilesForSize(uint64_t size) {
  std::vector<TileId> out;
  // Level L holds the hashes of subtrees of height 8L; 8 levels cover 64 bits.
  for (int level = 0; level < 8; ++level) {
    uint64_t count = size >> (kTileHeight * level);
    if (count == 0) break;
    for (uint64_t n = 0; n < count / kTileWidth; ++n) out.push_back({level, n, kTileWidth});
    if (count % kTileWidth != 0) out.push_back({level, count / kTileWidth, count % kTileWidth});
  }
  return out;
}

std::string EncodeEntryBundle(const std::vector<std::string>& entries) {
  size_t total = 0;
  for (const auto& e : entries) total += 2 + e.size();
  std::string out;
  out.reserve(total);
  for (const auto& e : entries) AppendBundleEntry(&out, e);
  return out;
}

void AppendBundleEntry(std::string* bundle, std::string_view entry) {
  assert(entry.size() <= kMaxEntrySize);
  bundle->push_back(static_cast<char>((entry.size() >> 8) & 0xff));
  bundle->push_back(static_cast<char>(entry.size() & 0xff));
  bundle->append(entry);
}

StatusOr<std::vector<std::string_view>> SplitEntryBundle(std::string_view bundle, uint64_t width) {
  std::vector<std::string_view> out;
  // A garbled width must not turn into a huge allocation: each entry takes >= 2 bytes.
  out.reserve(std::min<uint64_t>(width, bundle.size() / 2));
  size_t pos = 0;
  for (uint64_t i = 0; i < width; ++i) {
    if (bundle.size() - pos < 2) {
      return core::Integrity("entry bundle truncated: it ends before entry " + std::to_string(i) +
                             " of " + std::to_string(width));
    }
    size_t len = (static_cast<size_t>(static_cast<uint8_t>(bundle[pos])) << 8) |
                 static_cast<uint8_t>(bundle[pos + 1]);
    pos += 2;
    if (bundle.size() - pos < len) {
      return core::Integrity("entry bundle truncated: entry " + std::to_string(i) + " of " +
                             std::to_string(width) + " needs " + std::to_string(len) + " bytes, " +
                             std::to_string(bundle.size() - pos) + " are left");
    }
    out.push_back(bundle.substr(pos, len));
    pos += len;
  }
  if (pos != bundle.size()) {
    return core::Integrity("entry bundle has " + std::to_string(bundle.size() - pos) +
                           " bytes after its " + std::to_string(width) + " entries");
  }
  return out;
}

StatusOr<std::vector<std::string>> DecodeEntryBundle(std::string_view bundle, uint64_t width) {
  ISNAD_ASSIGN_OR_RETURN(std::vector<std::string_view> views, SplitEntryBundle(bundle, width));
  return std::vector<std::string>(views.begin(), views.end());
}

}  // namespace isnad::tlog
