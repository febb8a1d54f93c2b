// `isnad pdq FILE...`: PDQ perceptual hashes of JPEG and PNG files (pdq/image.h), with no
// archive. Prints `<64 hex> <quality> <file>` per file, or with --dihedral the 8 hashes of
// the rotations and flips before the quality; --json prints one object per file. A file that
// cannot be hashed is reported on stderr (or as an "error" object) and the rest carry on.
// Format: docs/formats/pdq.md.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli/common.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "core/canonical_json.h"
#include "core/env.h"
#include "core/status.h"
#include "pdq/image.h"
#include "pdq/pdq.h"

namespace isnad::cli {
namespace {

using core::Json;

// Files larger than this are not read into memory (no camera writes a 1 GiB JPEG).
constexpr uintmax_t kMaxFileBytes = uintmax_t{1} << 30;

struct PdqArgs {
  std::vector<std::string> files;
  bool dihedral = false;
  bool exif_orientation = false;
  bool exact_decode = false;
};

core::StatusOr<pdq::ImageHash> HashOneFile(const std::string& path,
                                           const pdq::ImageHashOptions& options) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) return core::NotFound("no such file: " + path);
  if (!std::filesystem::is_regular_file(status)) {
    return core::InvalidArgument(path + " is not a regular file");
  }
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxFileBytes) {
    return core::ResourceExhausted(path + " is " + HumanBytes(size) +
                                   ", over the 1 GiB this command reads");
  }
  auto bytes = core::Env::Default()->ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  auto h = pdq::HashImage(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()),
      options);
  if (!h.ok()) return h.status().WithContext(path);
  return h;
}

int CmdPdq(const Globals& g, const PdqArgs& args) {
  pdq::ImageHashOptions options;
  options.apply_exif_orientation = args.exif_orientation;
  options.exact_decode = args.exact_decode;
  // One file that fails gives its own exit code, except that bytes which do not decode as
  // an image are a failure (1), not evidence at risk (10): nothing stored is touched.
  return ForEachFile(g.json, args.files, [&](const std::string& file) -> core::Status {
    auto h = HashOneFile(file, options);
    if (!h.ok()) return h.status();
    if (g.json) {
      Json j = {{"file", file},
                {"pdq", pdq::ToHex(h->hash())},
                {"quality", h->quality()},
                {"usable", h->quality() >= pdq::kMinUsefulQuality},
                {"format", h->format},
                {"width", h->width},
                {"height", h->height},
                {"exif_orientation", h->exif_orientation},
                {"hashed_width", h->hashed_width},
                {"hashed_height", h->hashed_height},
                {"luma_only", h->luma_only},
                {"orientation_applied", h->orientation_applied}};
      if (args.dihedral) {
        Json d = Json::object();
        for (int i = 0; i < pdq::kDihedralCount; i++) {
          d[std::string(pdq::DihedralName(pdq::Dihedral(i)))] =
              pdq::ToHex(h->dihedral.hashes[size_t(i)]);
        }
        j["dihedral"] = d;
      }
      PrintJsonLine(j);
    } else if (args.dihedral) {
      std::string line;
      for (const pdq::Hash& x : h->dihedral.hashes) line += pdq::ToHex(x) + " ";
      fmt::print("{}{} {}\n", line, h->quality(), Printable(file));
    } else {
      fmt::print("{} {} {}\n", pdq::ToHex(h->hash()), h->quality(), Printable(file));
    }
    return core::Status::Ok();
  });
}

}  // namespace

void RegisterPdqCommands(CLI::App& app, const Globals& g, Commands& out) {
  auto args = std::make_shared<PdqArgs>();
  auto* cmd = app.add_subcommand(
      "pdq", "PDQ perceptual hashes of JPEG/PNG files (no archive needed): hash, quality, file");
  cmd->add_option("files", args->files, "image files (JPEG or PNG)")->required();
  cmd->add_flag("--dihedral", args->dihedral,
                "print the hashes of all 8 rotations and flips (orig rot90 rot180 rot270 flipx "
                "flipy flipplus1 flipminus1), then quality and file");
  cmd->add_flag("--exact-decode", args->exact_decode,
                "decode every JPEG in full RGB at full size, as the reference does (default: a "
                "JPEG over 512x512 is decoded as luma only, and one over 1536 pixels on its "
                "shorter side is also scaled down; docs/formats/pdq.md)");
  cmd->add_flag("--exif-orientation", args->exif_orientation,
                "hash the picture as displayed, with its EXIF orientation applied (default: the "
                "stored pixels, as the reference pdq-photo-hasher)");
  cmd->footer(
      "Quality is 0-100; below 50 a hash is not used for matching. Two images whose hashes\n"
      "differ in at most 31 of 256 bits are treated as the same picture. Format:\n"
      "docs/formats/pdq.md.\n"
      "Example:\n  isnad pdq photo.jpg screenshot.png\n  isnad pdq --json --dihedral photo.jpg");
  out.emplace_back(cmd, [&g, args]() { return CmdPdq(g, *args); });
}

}  // namespace isnad::cli
