// PDQ throughput, one thread: decode only (full RGB, DecodeImage), hash only (from those
// pixels), and the two together as `isnad pdq` does per file (HashImage: large JPEGs decoded
// as luma only) and with ImageHashOptions::exact_decode (every JPEG in full RGB), over the
// same files, each timed in rounds that alternate, so machine noise hits all four alike.
// Prints the median of the rounds, per second of this thread's CPU time (images/s per core,
// which a loaded machine disturbs far less than wall time) and per second of wall time.
//
// Usage: pdq_bench [--rounds N] [--min-seconds S] FILE...
// (docs/benchmarks.md, "PDQ")
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/allocator.h"
#include "pdq/image.h"
#include "pdq/pdq.h"

namespace {

using Clock = std::chrono::steady_clock;
using isnad::pdq::Image;

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

struct Rate {
  double cpu, wall;  // images per second
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  isnad::core::KeepFreedMemoryForReuse();  // as isnad's main does
  int rounds = 7;
  double min_seconds = 0.5;
  std::vector<std::string> files;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else if (a == "--min-seconds" && i + 1 < argc) {
      min_seconds = std::atof(argv[++i]);
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: pdq_bench [--rounds N] [--min-seconds S] FILE...\n");
    return 2;
  }
  std::vector<std::string> bytes;
  std::vector<Image> images;
  uint64_t pixels = 0;
  for (const auto& f : files) {
    bytes.push_back(ReadAll(f));
    auto span = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.back().data()),
                                         bytes.back().size());
    auto img = isnad::pdq::DecodeImage(span);
    if (!img.ok()) {
      std::fprintf(stderr, "%s: %s\n", f.c_str(), img.status().ToString().c_str());
      return 1;
    }
    pixels += uint64_t(img->width) * uint64_t(img->height);
    images.push_back(std::move(*img));
  }
  auto span_of = [&](size_t i) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes[i].data()),
                                    bytes[i].size());
  };
  // Each returns images per second over at least min_seconds of CPU time.
  volatile int sink = 0;
  auto time = [&](auto&& one) {
    size_t n = 0;
    const auto start = Clock::now();
    const double cpu_start = ThreadCpuSeconds();
    double cpu = 0;
    do {
      for (size_t i = 0; i < files.size(); i++, n++) sink = sink + one(i);
      cpu = ThreadCpuSeconds() - cpu_start;
    } while (cpu < min_seconds);
    const double wall = std::chrono::duration<double>(Clock::now() - start).count();
    return Rate{double(n) / cpu, double(n) / wall};
  };
  auto decode = [&](size_t i) { return isnad::pdq::DecodeImage(span_of(i))->width; };
  auto hash = [&](size_t i) { return isnad::pdq::HashPixelsDihedral(images[i].view())->quality; };
  auto both = [&](size_t i) { return isnad::pdq::HashImage(span_of(i))->quality(); };
  isnad::pdq::ImageHashOptions exact;
  exact.exact_decode = true;
  auto both_exact = [&](size_t i) { return isnad::pdq::HashImage(span_of(i), exact)->quality(); };
  std::vector<double> dc, dw, hc, hw, bc, bw, ec, ew;
  for (int r = 0; r < rounds; r++) {
    const Rate d = time(decode), h = time(hash), b = time(both), e = time(both_exact);
    dc.push_back(d.cpu), dw.push_back(d.wall);
    hc.push_back(h.cpu), hw.push_back(h.wall);
    bc.push_back(b.cpu), bw.push_back(b.wall);
    ec.push_back(e.cpu), ew.push_back(e.wall);
  }
  std::printf("files: %zu, mean %.2f megapixels, %d rounds\n", files.size(),
              double(pixels) / double(files.size()) / 1e6, rounds);
  std::printf("%-28s %18s %14s\n", "", "images/CPU-second", "images/wall-s");
  std::printf("%-28s %18.1f %14.1f\n", "decode only", Median(dc), Median(dw));
  std::printf("%-28s %18.1f %14.1f\n", "PDQ only (8 hashes)", Median(hc), Median(hw));
  std::printf("%-28s %18.1f %14.1f\n", "decode + PDQ (isnad pdq)", Median(bc), Median(bw));
  std::printf("%-28s %18.1f %14.1f\n", "decode + PDQ, exact_decode", Median(ec), Median(ew));
  std::printf("isnad pdq / exact_decode: %.2fx; exact_decode's CPU time spent decoding: %.0f%%\n",
              Median(bc) / Median(ec), 100.0 * Median(ec) / Median(dc));
  return 0;
}
