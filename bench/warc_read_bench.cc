// Reads a WARC (plain or gzip) with warc::Reader as `isnad add` does, every
// digest checked and every payload handed to a sink, and prints the time per
// pass. Not part of the suite; results and commands in docs/benchmarks.md.
//   warc_read_bench FILE [PASSES]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "core/env.h"
#include "warc/reader.h"

namespace {

class CountingSink : public isnad::warc::PayloadSink {
 public:
  bool Begin(const isnad::warc::Record&) override { return true; }
  isnad::core::Status Data(std::string_view b) override {
    bytes += b.size();
    return isnad::core::Status::Ok();
  }
  uint64_t bytes = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: warc_read_bench FILE [PASSES]\n");
    return 2;
  }
  const int passes = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  std::vector<double> seconds;
  for (int pass = 0; pass < passes; ++pass) {
    auto file = isnad::core::Env::Default()->NewSequentialFile(argv[1]);
    if (!file.ok()) {
      std::fprintf(stderr, "%s\n", file.status().ToString().c_str());
      return 1;
    }
    const auto start = std::chrono::steady_clock::now();
    isnad::warc::Reader reader(file->get());
    CountingSink sink;
    uint64_t records = 0, problems = 0;
    while (true) {
      isnad::warc::Record r;
      auto more = reader.Next(&r, &sink);
      if (!more.ok()) {
        std::fprintf(stderr, "ended: %s\n", more.status().ToString().c_str());
        break;
      }
      if (!*more) break;
      ++records;
      problems += r.problems.size();
    }
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    std::printf("pass %d: %llu records, %llu problems, %llu payload bytes, %.3f s\n", pass + 1,
                static_cast<unsigned long long>(records), static_cast<unsigned long long>(problems),
                static_cast<unsigned long long>(sink.bytes), seconds.back());
  }
  std::sort(seconds.begin(), seconds.end());
  std::printf("median %.3f s\n", seconds[seconds.size() / 2]);
  return 0;
}
