// Media analysis commands (archive/analyze.h): `isnad analyze` records what was not analysed
// yet (metadata, PDQ / vPDQ hashes, OCR with --ocr); `isnad similar ID|FILE` lists the items
// that are near-duplicates of an item or of a file on disk; `isnad dupes` lists clusters of
// near-duplicates, earliest acquired first. Also the lines `show` prints for an analysed item,
// and the lines `add` prints as it analyses.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "archive/analyze.h"
#include "cli/common.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "core/canonical_json.h"
#include "core/status.h"
#include "media/metadata.h"

namespace isnad::cli {

using core::Json;

// Prints each analysed item (`add` and `analyze`): a line, or a JSON object with --json.
archive::AnalyzeCallbacks AnalysisPrinter(const Globals& g) {
  archive::AnalyzeCallbacks cb;
  const bool json = g.json;
  cb.on_analyzed = [json](const archive::AnalyzedItem& a) {
    if (json) {
      PrintJsonLine({{"id", a.id},
                     {"analyzed", true},
                     {"media_type", a.media_type},
                     {"near_duplicates", a.near_duplicates},
                     {"failures", a.failures}});
      return;
    }
    fmt::print("analysed {:<8} {}{}{}\n", a.id, a.media_type, a.summary.empty() ? "" : ": ",
               Printable(a.summary));
    if (!a.near_duplicates.empty()) {
      fmt::print("  near-duplicate of {}\n", fmt::format("{}", fmt::join(a.near_duplicates, ", ")));
    }
    for (const std::string& f : a.failures) {
      // The item is kept as it is either way: only what analysis reads from it failed.
      std::fprintf(stderr, "  %s: kept as it is, but its analysis could not read it: %s\n",
                   a.id.c_str(), Printable(f).c_str());
    }
  };
  return cb;
}

namespace {

Json NumberOrString(const std::string& decimal) {
  try {
    size_t used = 0;
    double v = std::stod(decimal, &used);
    if (used == decimal.size()) return v;
  } catch (...) {
  }
  return decimal;
}

// How the match is turned against the query, in words ("" when it is not): a copy
// mirrored or rotated is a finding an analyst must see without --json.
std::string TransformWords(pdq::Dihedral d) {
  switch (d) {
    case pdq::Dihedral::kOriginal:
      return "";
    case pdq::Dihedral::kRotate90:
      return ", rotated 90° counter-clockwise";
    case pdq::Dihedral::kRotate180:
      return ", rotated 180°";
    case pdq::Dihedral::kRotate270:
      return ", rotated 90° clockwise";
    case pdq::Dihedral::kFlipX:  // rows reversed
      return ", flipped upside down";
    case pdq::Dihedral::kFlipY:  // columns reversed
      return ", mirrored left-right";
    case pdq::Dihedral::kFlipPlus1:
    case pdq::Dihedral::kFlipMinus1:
      return ", mirrored across a diagonal";
  }
  return ", " + std::string(pdq::DihedralName(d));
}

Json MatchJson(const archive::SimilarMatch& m, const archive::Archive& a) {
  Json j{{"id", m.id}, {"distance", m.distance}, {"kind", m.video ? "video" : "image"}};
  if (auto r = a.catalog().Resolve(m.id); r.ok()) j["name"] = r->name;
  if (m.video || m.query_pct > 0 || m.match_pct > 0) {
    j["query_pct"] = std::round(m.query_pct * 100) / 100;
    j["match_pct"] = std::round(m.match_pct * 100) / 100;
  }
  j["query_timestamp_s"] = std::round(m.query_timestamp_s * 1000) / 1000;
  j["match_timestamp_s"] = std::round(m.match_timestamp_s * 1000) / 1000;
  j["transform"] = std::string(pdq::DihedralName(m.transform));
  return j;
}

core::Status CheckMaxDistance(int bits) {
  if (bits < 0 || bits > 255) {
    return core::InvalidArgument(
        "--max-distance must be 0..255 bits (of the 256 of a PDQ hash), "
        "not " +
        std::to_string(bits));
  }
  return core::Status::Ok();
}

struct SimilarArgs {
  std::string what;
  int max_distance = pdq::kDefaultMatchDistance;
  size_t limit = 100;
};

int CmdSimilar(const Globals& g, const SimilarArgs& args) {
  if (core::Status s = CheckMaxDistance(args.max_distance); !s.ok()) return Fail(s);
  auto a = OpenArchive(g, archive::Mode::kRead);
  if (!a.ok()) return Fail(a.status());
  const catalog::Catalog& cat = (*a)->catalog();
  archive::SimilarQuery query;
  std::optional<uint64_t> exclude;
  std::error_code ec;
  if (std::filesystem::is_regular_file(args.what, ec)) {
    auto q = archive::QueryOfFile(args.what);
    if (!q.ok()) return Fail(q.status());
    query = std::move(*q);
  } else {
    auto item = (*a)->Resolve(args.what);
    if (!item.ok()) {
      return Fail(item.status().WithContext(args.what + " is neither a file nor an item"));
    }
    auto media = cat.Media(item->id);
    if (!media.ok()) return Fail(media.status());
    if (!media->has_value()) {
      return Fail(core::FailedPrecondition(item->id + " (" + item->media_type +
                                           ") has not been analysed; run `isnad analyze " +
                                           item->id + "`"));
    }
    auto q = archive::QueryOfItem(cat, **media, (*a)->blobs().PathOf(item->sha256));
    if (!q.ok()) return Fail(q.status());
    query = std::move(*q);
    exclude = item->leaf_index;
    const catalog::MediaRecord& m = **media;
    if (query.image_hashes.empty() && !m.pdq.empty() && m.pdq_quality < pdq::kMinUsefulQuality) {
      return Fail(core::FailedPrecondition(
          fmt::format("{} is too plain (PDQ quality {} < {}) to match anything: every plain or "
                      "tiny picture hashes alike, so its hash is never matched",
                      item->id, m.pdq_quality, pdq::kMinUsefulQuality)));
    }
  }
  if (query.image_hashes.empty() && query.frames.empty()) {
    return Fail(core::FailedPrecondition(args.what + " has no perceptual hash to match"));
  }
  auto index = archive::NearDuplicateIndex::Load(cat);
  if (!index.ok()) return Fail(index.status());
  std::vector<archive::SimilarMatch> found = index->Find(query, args.max_distance, exclude);
  if (found.size() > args.limit) found.resize(args.limit);
  for (const archive::SimilarMatch& m : found) {
    if (g.json) {
      PrintJsonLine(MatchJson(m, **a));
      continue;
    }
    std::string name;
    if (auto r = cat.Resolve(m.id); r.ok()) name = r->name;
    if (query.video && m.video) {
      fmt::print(
          "{:<8} video  {:5.1f}% of query, {:5.1f}% of it matched; best at {:.1f} s / {:.1f} s "
          "(distance {}{})  {}\n",
          m.id, m.query_pct, m.match_pct, m.query_timestamp_s, m.match_timestamp_s, m.distance,
          TransformWords(m.transform), Printable(name));
    } else {
      fmt::print("{:<8} {}  distance {:>3}{}{}  {}\n", m.id, m.video ? "video" : "image",
                 m.distance,
                 m.video ? fmt::format(" at {:.1f} s", m.match_timestamp_s) : std::string(),
                 TransformWords(m.transform), Printable(name));
    }
  }
  if (!g.json && found.empty()) {
    std::fprintf(stderr, "no near-duplicates within %d bits among %zu hashes\n", args.max_distance,
                 index->hashes());
  }
  return kExitOk;
}

struct DupesArgs {
  int max_distance = pdq::kDefaultMatchDistance;
};

int CmdDupes(const Globals& g, const DupesArgs& args) {
  if (core::Status s = CheckMaxDistance(args.max_distance); !s.ok()) return Fail(s);
  auto a = OpenArchive(g, archive::Mode::kRead);
  if (!a.ok()) return Fail(a.status());
  const catalog::Catalog& cat = (*a)->catalog();
  auto index = archive::NearDuplicateIndex::Load(cat);
  if (!index.ok()) return Fail(index.status());
  auto rows = cat.PerceptualHashes();
  if (!rows.ok()) return Fail(rows.status());
  // Union-find over items, an edge per near-duplicate pair.
  std::vector<uint64_t> leaves;
  for (const auto& r : *rows)
    if (leaves.empty() || leaves.back() != r.item_leaf) leaves.push_back(r.item_leaf);
  std::map<uint64_t, uint64_t> parent;
  for (uint64_t l : leaves) parent[l] = l;
  auto find = [&](uint64_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  std::map<std::pair<uint64_t, uint64_t>, archive::SimilarMatch> edges;
  for (uint64_t leaf : leaves) {
    auto media = cat.Media(catalog::ItemId(leaf));
    if (!media.ok()) return Fail(media.status());
    if (!media->has_value()) continue;
    auto q = archive::QueryOfItem(cat, **media);
    if (!q.ok()) return Fail(q.status());
    auto join = [&](uint64_t other) {
      if (!parent.count(other)) return;
      uint64_t x = find(leaf), y = find(other);
      if (x != y) parent[std::max(x, y)] = std::min(x, y);
    };
    for (const archive::SimilarMatch& m :
         index->Find(*q, args.max_distance, leaf, archive::kVideoMatchPct)) {
      join(m.leaf_index);
      edges.emplace(std::make_pair(std::min(leaf, m.leaf_index), std::max(leaf, m.leaf_index)), m);
    }
    // And the links found at ingest, which saw all 8 rotations and flips of a picture.
    if (args.max_distance == pdq::kDefaultMatchDistance) {
      auto near = cat.NearDuplicates(catalog::ItemId(leaf));
      if (!near.ok()) return Fail(near.status());
      for (const std::string& id : *near) {
        if (auto l = catalog::ParseItemId(id)) join(*l);
      }
    }
  }
  std::map<uint64_t, std::vector<uint64_t>> clusters;
  for (uint64_t l : leaves) clusters[find(l)].push_back(l);
  size_t n = 0;
  for (auto& [root, members] : clusters) {
    if (members.size() < 2) continue;
    ++n;
    // Earliest acquired first: leaf order is the order the archive got them.
    std::sort(members.begin(), members.end());
    Json items = Json::array();
    for (uint64_t l : members) {
      Json j{{"id", catalog::ItemId(l)}};
      if (auto r = cat.Resolve(catalog::ItemId(l)); r.ok()) {
        j["name"] = r->name;
        j["media_type"] = r->media_type;
        j["ingested_at"] = r->ingested_at;
      }
      if (l != members.front()) {
        auto e = edges.find({members.front(), l});
        if (e != edges.end()) j["distance_to_first"] = e->second.distance;
      }
      items.push_back(j);
    }
    // Copies added in one batch share its time: which came first is not known, and
    // the first listed must not read as the original.
    size_t tied = 1;
    while (tied < items.size() && !items[0].value("ingested_at", "").empty() &&
           items[tied].value("ingested_at", "") == items[0].value("ingested_at", "")) {
      ++tied;
    }
    if (g.json) {
      PrintJsonLine({{"cluster", n},
                     {"earliest", catalog::ItemId(members.front())},
                     {"added_together_first", tied},
                     {"items", items}});
      continue;
    }
    if (tied > 1) {
      fmt::print(
          "cluster {} ({} items in the order acquired; the first {} were added together, so "
          "which of them came first, or is the original, the archive cannot tell)\n",
          n, members.size(), tied);
    } else {
      fmt::print("cluster {} ({} items, earliest first)\n", n, members.size());
    }
    for (const Json& j : items) {
      fmt::print("  {:<8} {}  {}\n", j["id"].get<std::string>(), j.value("ingested_at", ""),
                 Printable(j.value("name", "")));
    }
  }
  if (!g.json) std::fprintf(stderr, "%zu cluster(s) of near-duplicates\n", n);
  return kExitOk;
}

struct AnalyzeArgs {
  std::vector<std::string> ids;
  bool again = false;
  archive::AnalyzeOptions options;
};

int CmdAnalyze(const Globals& g, const AnalyzeArgs& args) {
  auto a = OpenArchive(g, archive::Mode::kWrite);
  if (!a.ok()) return Fail(a.status());
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  archive::AnalyzeCallbacks cb = AnalysisPrinter(g);
  auto n = (*a)->Analyze(args.ids, args.again, args.options, cb);
  if (!n.ok()) return Fail(n.status());
  if (!g.json) std::fprintf(stderr, "%llu item(s) analysed\n", static_cast<unsigned long long>(*n));
  return kExitOk;
}

}  // namespace

// The analysis lines of `show`, or its members in `json`.
void PrintMediaSection(const archive::Archive& a, const std::string& id, Json* json) {
  auto media = a.catalog().Media(id);
  if (!media.ok() || !media->has_value()) return;
  const catalog::MediaRecord& m = **media;
  auto near = a.catalog().NearDuplicates(id);
  std::vector<std::string> near_ids = near.ok() ? *near : std::vector<std::string>();
  if (json != nullptr) {
    Json& j = *json;
    if (m.width) j["width"] = *m.width;
    if (m.height) j["height"] = *m.height;
    if (m.duration_ms) j["duration_s"] = static_cast<double>(*m.duration_ms) / 1000.0;
    if (!m.captured_at.empty()) j["captured_at"] = m.captured_at;
    if (!m.lat.empty()) j["gps"] = {{"lat", NumberOrString(m.lat)}, {"lon", NumberOrString(m.lon)}};
    Json an{{"leaf_index", m.leaf_index}, {"analyzer", m.analyzer}};
    if (!m.camera.empty()) an["camera"] = m.camera;
    if (!m.title.empty()) an["title"] = m.title;
    if (!m.author.empty()) an["author"] = m.author;
    if (!m.pdq.empty()) {
      an["pdq"] = m.pdq;
      an["pdq_quality"] = m.pdq_quality;
    }
    if (m.frames_sha256) {
      an["frames"] = m.frames;
      an["frames_sha256"] = m.frames_sha256->Hex();
    }
    if (m.text_sha256) an["text_sha256"] = m.text_sha256->Hex();
    if (m.metadata_sha256) an["metadata_sha256"] = m.metadata_sha256->Hex();
    if (!m.ocr.empty()) an["ocr"] = m.ocr;
    an["failures"] = m.failures;
    j["analysis"] = an;
    j["near_duplicates"] = near_ids;
    return;
  }
  fmt::print("analysed    log entry {} by {}\n", m.leaf_index, Printable(m.analyzer));
  if (m.width && m.height) fmt::print("dimensions  {}x{}\n", *m.width, *m.height);
  if (m.duration_ms)
    fmt::print("duration    {:.3f} s\n", static_cast<double>(*m.duration_ms) / 1000);
  if (!m.captured_at.empty()) {
    // A photo's EXIF clock is the camera's local time unless the file gives the
    // offset; a video's is UTC. Said, so that a timeline is not read hours off.
    const std::string_view zone = media::CapturedAtZone(m.captured_at);
    fmt::print("captured at {} (as the file says; {})\n", Printable(m.captured_at),
               zone.empty()  ? "the camera's local time: the file gives no time zone"
               : zone == "Z" ? std::string("UTC")
                             : "UTC" + std::string(zone));
  }
  if (!m.lat.empty())
    fmt::print("gps         {},{} (as the file says)\n", Printable(m.lat), Printable(m.lon));
  if (!m.camera.empty()) fmt::print("camera      {}\n", Printable(m.camera));
  if (!m.title.empty()) fmt::print("doc title   {}\n", Printable(m.title));
  if (!m.author.empty()) fmt::print("author      {}\n", Printable(m.author));
  if (!m.pdq.empty()) fmt::print("pdq         {} (quality {})\n", m.pdq, m.pdq_quality);
  if (m.frames_sha256) fmt::print("vpdq        {} frames hashed\n", m.frames);
  if (!m.ocr.empty()) fmt::print("ocr         {}\n", Printable(m.ocr));
  for (const std::string& f : m.failures) fmt::print("unreadable  {}\n", Printable(f));
  if (!near_ids.empty()) {
    fmt::print("near-dups   {}\n", fmt::format("{}", fmt::join(near_ids, ", ")));
  }
}

void RegisterMediaCommands(CLI::App& app, const Globals& g, Commands& out) {
  auto analyze_args = std::make_shared<AnalyzeArgs>();
  auto* analyze = app.add_subcommand(
      "analyze", "read metadata, hash pictures and video frames (and OCR with --ocr) of items");
  analyze->add_option("ids", analyze_args->ids,
                      "items (default: every image, video, audio and PDF not analysed yet)");
  analyze->add_flag("--again", analyze_args->again, "analyse items that were analysed before too");
  analyze->add_flag("--ocr", analyze_args->options.ocr,
                    "read the text of images and scanned PDFs (Tesseract; slow)");
  analyze->add_option("--ocr-lang", analyze_args->options.ocr_languages,
                      "Tesseract languages (default ara+eng)");
  analyze->add_option("-j,--jobs", analyze_args->options.jobs, "items analysed at once (default 2)")
      ->check(CLI::Range(1, 64));
  Example(analyze, "isnad analyze --ocr i12 i13");
  out.emplace_back(analyze, [&g, analyze_args] { return CmdAnalyze(g, *analyze_args); });

  auto similar_args = std::make_shared<SimilarArgs>();
  auto* similar = app.add_subcommand(
      "similar", "items whose pictures or video frames are near-duplicates of an item or a file");
  similar->add_option("what", similar_args->what, "an item id, or a file to look for")->required();
  similar->add_option("--max-distance", similar_args->max_distance,
                      "bits that may differ between two PDQ hashes (default 31)");
  similar->add_option("--limit", similar_args->limit, "most matches listed (default 100)");
  Example(similar, "isnad similar ~/Downloads/still.jpg --json");
  out.emplace_back(similar, [&g, similar_args] { return CmdSimilar(g, *similar_args); });

  auto dupes_args = std::make_shared<DupesArgs>();
  auto* dupes = app.add_subcommand(
      "dupes", "clusters of near-duplicate pictures and videos, earliest acquired first");
  dupes->add_option("--max-distance", dupes_args->max_distance,
                    "bits that may differ between two PDQ hashes (default 31)");
  Example(dupes, "isnad dupes --json");
  out.emplace_back(dupes, [&g, dupes_args] { return CmdDupes(g, *dupes_args); });
}

}  // namespace isnad::cli
