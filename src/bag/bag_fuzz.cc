// libFuzzer target for the readers of a received bag: bagit.txt, bag-info.txt (or
// package-info.txt), manifests, tag manifests and fetch.txt as Validate parses them, and
// the .zip/.tar reader of Bag::Open. Any bytes must give a report or an error, never a
// crash, a hang, a leak or undefined behaviour. Built only with -DISNAD_FUZZ=ON and clang
// (see src/pdq/pdq_fuzz.cc for the commands):
//   ninja -C build-fuzz bag_fuzz && build-fuzz/src/bag/bag_fuzz -max_total_time=60 CORPUS_DIR
// The input is a bag in memory, one file after another, each "@@ PATH\n" then its bytes, the
// files separated by "\n" (an input that does not start with "@@ " is written to a file and
// opened with Bag::Open, as a .zip or .tar). Seed CORPUS_DIR with the bags of
// ../shared/testdata/bagit-conformance-suite in that form, e.g. for each bag folder B:
//   (cd B && for f in $(find . -type f | sed 's|^\./||'); do printf '@@ %s\n' "$f"; cat "$f";
//    echo; done) > CORPUS_DIR/$(basename B)
// and with a few of them as .tar and .zip files.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bag/bag.h"
#include "core/digest.h"
#include "core/testing/fuzz_file.h"

namespace {

using isnad::core::Status;
using isnad::core::StatusOr;

class MemoryBag : public isnad::bag::Bag {
 public:
  explicit MemoryBag(std::string_view in) {
    constexpr std::string_view kMark = "@@ ";
    in.remove_prefix(kMark.size());
    while (true) {
      const size_t eol = in.find('\n');
      if (eol == std::string_view::npos) break;
      std::string path(in.substr(0, eol));
      in.remove_prefix(eol + 1);
      const size_t next = in.find("\n@@ ");
      std::string_view body = in.substr(0, next);
      if (!path.empty() && path.back() != '/') files_.emplace(std::move(path), body);
      if (next == std::string_view::npos) break;
      in.remove_prefix(next + 1 + kMark.size());
    }
    for (const auto& [path, body] : files_) names_.push_back(path);
  }
  const std::vector<std::string>& Files() const override { return names_; }
  StatusOr<std::string> ReadFile(const std::string& relative, uint64_t max_bytes) const override {
    auto it = files_.find(relative);
    if (it == files_.end()) return isnad::core::NotFound(relative);
    if (it->second.size() > max_bytes) return isnad::core::ResourceExhausted(relative);
    return it->second;
  }
  Status ForEachFile(
      const std::function<Status(const std::string&, std::string_view)>& sink) const override {
    for (const auto& [path, body] : files_) {
      std::string_view rest = body;
      while (!rest.empty()) {  // small chunks, as a stream of an archive gives them
        ISNAD_RETURN_IF_ERROR(sink(path, rest.substr(0, 7)));
        rest.remove_prefix(std::min<size_t>(rest.size(), 7));
      }
      ISNAD_RETURN_IF_ERROR(sink(path, ""));
    }
    return Status::Ok();
  }
  bool IsDirectory(const std::string& relative) const override {
    auto it = files_.lower_bound(relative + "/");
    return it != files_.end() && it->first.starts_with(relative + "/");
  }
  const std::vector<isnad::bag::Problem>& OpenProblems() const override { return problems_; }

 private:
  std::map<std::string, std::string> files_;
  std::vector<std::string> names_;
  std::vector<isnad::bag::Problem> problems_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (in.starts_with("@@ ")) {
    MemoryBag bag(in);
    auto report = isnad::bag::Validate(bag);
    if (!report.ok()) __builtin_trap();  // a bag in memory can always be read
    return 0;
  }
  const std::string& path = isnad::core::testing::WriteFuzzInput("bag-fuzz", ".tar", data, size);
  auto bag = isnad::bag::Bag::Open(path);
  if (!bag.ok()) return 0;
  auto report = isnad::bag::Validate(**bag);
  // Every file read by name, last first (the first read keeps the small files of its
  // pass), then again. In a damaged archive libarchive may give a file different bytes
  // depending on which entries before it were read or skipped; in a bag that Validate
  // found valid, both reads must give the bytes whose SHA-256 it checked.
  const bool valid = report.ok() && report->valid();
  const auto& files = (*bag)->Files();
  for (size_t i = files.size(); i-- > 0;) {
    auto first = (*bag)->ReadFile(files[i], uint64_t{1} << 20);
    auto again = (*bag)->ReadFile(files[i], uint64_t{1} << 20);
    if (!valid) continue;
    if (first.ok() != again.ok() || (first.ok() && *first != *again)) __builtin_trap();
    auto listed = report->sha256.find(files[i]);
    if (first.ok() && listed != report->sha256.end() &&
        isnad::core::Sha256Of(*first).Hex() != listed->second) {
      __builtin_trap();
    }
  }
  return 0;
}
