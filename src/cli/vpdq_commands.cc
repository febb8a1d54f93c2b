// `isnad vpdq FILE...`: vPDQ frame hashes of videos (vpdq/vpdq.h), with no archive. Prints
// upstream's frame lines "frame,quality,hex,timestamp" (with several files, each file's
// lines after a "# FILE" line); --json prints one object per file. `isnad vpdq-compare A B`
// prints the share of each side's frames found in the other. A file that cannot be hashed
// is reported on stderr (or as an "error" object) and the rest carry on.
// Format: docs/formats/vpdq.md.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/common.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "core/canonical_json.h"
#include "core/env.h"
#include "core/status.h"
#include "pdq/pdq.h"
#include "vpdq/vpdq.h"

namespace isnad::cli {
namespace {

using core::Json;

struct VpdqArgs {
  std::vector<std::string> files;
  double every = 0;
  int size = 0;
  bool crop = false;
  bool collapse = false;
  int threads = 1;
};

struct CompareArgs {
  std::string query, target;
  double every = 1;
  bool no_crop = false;
  int max_distance = 30;
};

Json FramesJson(const std::vector<vpdq::FrameHash>& frames) {
  Json a = Json::array();
  for (const vpdq::FrameHash& f : frames) {
    a.push_back({{"frame", f.frame},
                 {"quality", f.quality},
                 {"pdq", pdq::ToHex(f.hash)},
                 {"timestamp", std::round(f.timestamp_s * 1000) / 1000}});
  }
  return a;
}

int CmdVpdq(const Globals& g, const VpdqArgs& args) {
  vpdq::HashOptions options;
  options.seconds_per_hash = args.every;
  options.downscale = args.size;
  options.crop_black_bars = args.crop;
  options.collapse_identical = args.collapse;
  options.threads = args.threads;
  return ForEachFile(g.json, args.files, [&](const std::string& file) -> core::Status {
    auto h = vpdq::HashVideo(file, options);
    if (!h.ok()) return h.status();
    if (g.json) {
      Json j = {{"file", file},
                {"frame_rate", h->frame_rate},
                {"duration_s", h->duration_s},
                {"width", h->width},
                {"height", h->height},
                {"frames", FramesJson(h->frames)},
                {"failures", h->failures}};
      if (h->crop_w > 0) {
        j["crop"] = {{"x", h->crop_x}, {"y", h->crop_y}, {"w", h->crop_w}, {"h", h->crop_h}};
      }
      PrintJsonLine(j);
    } else {
      if (args.files.size() > 1) fmt::print("# {}\n", Printable(file));
      fmt::print("{}", vpdq::FormatFrames(h->frames));
      for (const std::string& f : h->failures) {
        std::fprintf(stderr, "isnad: %s: %s\n", Printable(file).c_str(), Printable(f).c_str());
      }
    }
    return core::Status::Ok();
  });
}

// A frame-hash file (ending .txt, as `isnad vpdq > x.txt` writes) or a video to hash.
core::StatusOr<std::vector<vpdq::FrameHash>> LoadSide(const std::string& path,
                                                      const vpdq::HashOptions& options) {
  if (path.size() > 4 && path.compare(path.size() - 4, 4, ".txt") == 0) {
    auto text = core::Env::Default()->ReadFile(path);
    if (!text.ok()) return text.status();
    auto frames = vpdq::ParseFrames(*text);
    if (!frames.ok()) return frames.status().WithContext(path);
    return frames;
  }
  auto h = vpdq::HashVideo(path, options);
  if (!h.ok()) return h.status();
  return std::move(h->frames);
}

int CmdCompare(const Globals& g, const CompareArgs& args) {
  vpdq::HashOptions query_options;
  query_options.seconds_per_hash = args.every;
  query_options.crop_black_bars = !args.no_crop;
  vpdq::HashOptions target_options;
  target_options.crop_black_bars = !args.no_crop;
  auto q = LoadSide(args.query, query_options);
  if (!q.ok()) return Fail(q.status());
  auto t = LoadSide(args.target, target_options);
  if (!t.ok()) return Fail(t.status());
  vpdq::MatchOptions m;
  m.max_distance = args.max_distance;
  const vpdq::Similarity s = vpdq::Compare(*q, *t, m);
  if (g.json) {
    PrintJsonLine({{"query", args.query},
                   {"target", args.target},
                   {"query_pct", s.query_pct},
                   {"match_pct", s.match_pct},
                   {"best_distance", s.best_distance},
                   {"query_timestamp_s", s.query_timestamp_s},
                   {"match_timestamp_s", s.match_timestamp_s},
                   {"max_distance", args.max_distance}});
  } else {
    fmt::print("{:.2f}% of {} found in {}\n", s.query_pct, Printable(args.query),
               Printable(args.target));
    fmt::print("{:.2f}% of {} found in {}\n", s.match_pct, Printable(args.target),
               Printable(args.query));
    if (s.best_distance < 256) {
      fmt::print("closest frames: {} bits apart, at {:.3f} s and {:.3f} s\n", s.best_distance,
                 s.query_timestamp_s, s.match_timestamp_s);
    }
  }
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace

void RegisterVpdqCommands(CLI::App& app, const Globals& g, Commands& out) {
  auto args = std::make_shared<VpdqArgs>();
  auto* cmd = app.add_subcommand(
      "vpdq", "vPDQ hashes of video frames (no archive needed): frame,quality,hash,timestamp");
  cmd->add_option("files", args->files, "video files (anything FFmpeg decodes)")->required();
  cmd->add_option("--every", args->every,
                  "hash one frame every SECONDS (default 0: every frame, as upstream)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--size", args->size, "scale frames to N x N first (upstream -s N)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--crop", args->crop, "crop black (letterbox/pillarbox) bars before hashing");
  cmd->add_flag("--collapse", args->collapse,
                "drop a frame whose hash equals the previous printed frame's");
  cmd->add_option("--threads", args->threads, "decoding threads (0: as many as cores)")
      ->check(CLI::NonNegativeNumber);
  cmd->footer(
      "Quality is 0-100; frames below 50 are not used for matching. Without --crop or\n"
      "--every the lines equal upstream's vpdq-hash-video output (within a few bits).\n"
      "Format: docs/formats/vpdq.md.\n"
      "Example:\n  isnad vpdq clip.mp4 > clip.txt\n"
      "  isnad vpdq --every 1 --crop --json a.mp4 b.webm");
  out.emplace_back(cmd, [&g, args]() { return CmdVpdq(g, *args); });

  auto cargs = std::make_shared<CompareArgs>();
  auto* cmp = app.add_subcommand(
      "vpdq-compare", "share of each video's frames found in the other (vPDQ), no archive");
  cmp->add_option("query", cargs->query, "video, or frame hashes written by isnad vpdq (.txt)")
      ->required();
  cmp->add_option("target", cargs->target, "video, or frame hashes (.txt)")->required();
  cmp->add_option("--every", cargs->every,
                  "hash the query video at one frame every SECONDS (default 1; the target "
                  "video is hashed at every frame)")
      ->check(CLI::NonNegativeNumber);
  cmp->add_flag("--no-crop", cargs->no_crop, "do not crop black bars off the videos");
  cmp->add_option("--max-distance", cargs->max_distance,
                  "frames match when their hashes differ in at most N bits (default 30)")
      ->check(CLI::Range(0, 256));
  cmp->footer(
      "Frames of quality below 50 and repeated hashes are left out on both sides.\n"
      "Rules: docs/formats/vpdq.md.\n"
      "Example:\n  isnad vpdq-compare upload.mp4 original.mp4\n"
      "  isnad vpdq original.mp4 --crop > original.txt && isnad vpdq-compare clip.mp4 "
      "original.txt");
  out.emplace_back(cmp, [&g, cargs]() { return CmdCompare(g, *cargs); });
}

}  // namespace isnad::cli
