// vPDQ frame-hash text (FormatFrames, ParseFrames) and the video comparison (Compare).
// Decoding and hashing are in video.cc. Format and rules: docs/formats/vpdq.md.
#include "vpdq/vpdq.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <unordered_set>
#include <vector>

namespace isnad::vpdq {
namespace {

std::string LineError(size_t line, std::string_view what) {
  return "vPDQ frame hashes, line " + std::to_string(line) + ": " + std::string(what) +
         " (expected \"frame,quality,64-hex-digit hash,timestamp\", e.g. "
         "\"0,100,e271...055c,0.000\")";
}

template <typename T>
bool ParseInt(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

struct HashHasher {
  size_t operator()(const pdq::Hash& h) const {
    return size_t(h.words[0] ^ (h.words[1] * 0x9e3779b97f4a7c15ull) ^ (h.words[2] >> 7) ^
                  (h.words[3] << 13));
  }
};

// The frames compared: quality >= min_quality, the first frame of each distinct hash.
std::vector<const FrameHash*> Useful(const std::vector<FrameHash>& frames, int min_quality) {
  std::vector<const FrameHash*> out;
  std::unordered_set<pdq::Hash, HashHasher> seen;
  for (const FrameHash& f : frames) {
    if (f.quality < min_quality) continue;
    if (seen.insert(f.hash).second) out.push_back(&f);
  }
  return out;
}

}  // namespace

std::string FormatFrames(const std::vector<FrameHash>& frames) {
  std::string out;
  out.reserve(frames.size() * 84);
  char ts[64];
  for (const FrameHash& f : frames) {
    std::snprintf(ts, sizeof ts, "%.3f", f.timestamp_s);
    out += std::to_string(f.frame);
    out += ',';
    out += std::to_string(f.quality);
    out += ',';
    out += pdq::ToHex(f.hash);
    out += ',';
    out += ts;
    out += '\n';
  }
  return out;
}

core::StatusOr<std::vector<FrameHash>> ParseFrames(std::string_view text) {
  std::vector<FrameHash> frames;
  size_t line_no = 0;
  while (!text.empty()) {
    line_no++;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;  // `isnad vpdq` heads each file with "# FILE"
    std::vector<std::string_view> cells;
    for (size_t start = 0;;) {
      const size_t comma = line.find(',', start);
      cells.push_back(line.substr(start, comma - start));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    // Upstream's older files have no timestamp column; the timestamp is then 0.
    if (cells.size() != 3 && cells.size() != 4) {
      return core::InvalidArgument(
          LineError(line_no, std::to_string(cells.size()) + " comma-separated fields"));
    }
    FrameHash f;
    if (!ParseInt(cells[0], f.frame)) {
      return core::InvalidArgument(LineError(line_no, "bad frame number"));
    }
    if (!ParseInt(cells[1], f.quality) || f.quality < 0 || f.quality > 100) {
      return core::InvalidArgument(LineError(line_no, "quality is not a number 0-100"));
    }
    auto h = pdq::HashFromHex(cells[2]);
    if (!h.ok()) return core::InvalidArgument(LineError(line_no, h.status().message()));
    f.hash = *h;
    if (cells.size() == 4) {
      const std::string_view t = cells[3];
      auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), f.timestamp_s);
      if (t.empty() || ec != std::errc() || p != t.data() + t.size() ||
          !std::isfinite(f.timestamp_s) || f.timestamp_s < 0) {
        return core::InvalidArgument(LineError(line_no, "bad timestamp"));
      }
    }
    frames.push_back(f);
  }
  return frames;
}

Similarity Compare(const std::vector<FrameHash>& query, const std::vector<FrameHash>& target,
                   const MatchOptions& options) {
  Similarity s;
  const std::vector<const FrameHash*> q = Useful(query, options.min_quality);
  const std::vector<const FrameHash*> t = Useful(target, options.min_quality);
  if (q.empty() || t.empty()) return s;
  std::vector<char> t_matched(t.size(), 0);
  size_t q_count = 0;
  for (const FrameHash* a : q) {
    bool matched = false;
    for (size_t j = 0; j < t.size(); j++) {
      const int d = pdq::Distance(a->hash, t[j]->hash);
      if (d <= options.max_distance) {
        matched = true;
        t_matched[j] = 1;
      }
      if (d < s.best_distance) {
        s.best_distance = d;
        s.query_timestamp_s = a->timestamp_s;
        s.match_timestamp_s = t[j]->timestamp_s;
      }
    }
    q_count += matched;
  }
  const size_t t_count = size_t(std::count(t_matched.begin(), t_matched.end(), 1));
  s.query_pct = 100.0 * double(q_count) / double(q.size());
  s.match_pct = 100.0 * double(t_count) / double(t.size());
  return s;
}

std::vector<FrameHash> TransformedFrames(const std::vector<FrameHash>& frames,
                                         const std::vector<pdq::DihedralResult>& dihedral,
                                         pdq::Dihedral d) {
  std::vector<FrameHash> out;
  out.reserve(frames.size());
  for (size_t i = 0; i < frames.size() && i < dihedral.size(); i++) {
    FrameHash f = frames[i];
    f.hash = dihedral[i][d];
    out.push_back(f);
  }
  return out;
}

Similarity CompareDihedral(const std::vector<std::vector<FrameHash>>& variants,
                           const std::vector<FrameHash>& target, const MatchOptions& options) {
  Similarity best;
  bool have = false;
  for (size_t d = 0; d < variants.size() && d < size_t(pdq::kDihedralCount); d++) {
    if (variants[d].empty()) continue;
    Similarity s = Compare(variants[d], target, options);
    s.transform = static_cast<pdq::Dihedral>(d);
    const double top = std::max(s.query_pct, s.match_pct);
    const double best_top = std::max(best.query_pct, best.match_pct);
    const bool better = !have || top > best_top ||
                        (top == best_top &&
                         (s.query_pct > best.query_pct ||
                          (s.query_pct == best.query_pct && s.best_distance < best.best_distance)));
    if (better) best = s;
    have = true;
  }
  return best;
}

}  // namespace isnad::vpdq
