// vpdq_bench VIDEO [RUNS [MODE...]]: times vpdq::HashVideo on one video with one decoding thread,
// dense (every frame) and at 1 fps, and prints the median of RUNS (default 3) as seconds
// and as multiples of real time, by wall clock and by CPU time (the machine is shared). Run by
// bench/vpdq_bench.sh; results in docs/benchmarks.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "core/allocator.h"
#include "vpdq/vpdq.h"

namespace {

double CpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
}

struct Mode {
  const char* name;
  isnad::vpdq::HashOptions options;
};

}  // namespace

int main(int argc, char** argv) {
  isnad::core::KeepFreedMemoryForReuse();  // as isnad's main does
  if (argc < 2) {
    std::fprintf(stderr, "usage: vpdq_bench VIDEO [RUNS [MODE...]]\n");
    return 2;
  }
  const std::string path = argv[1];
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
  std::vector<Mode> modes(6);
  modes[0].name = "dense";
  modes[1].name = "dense+crop+collapse";
  modes[1].options.crop_black_bars = true;
  modes[1].options.collapse_identical = true;
  modes[2].name = "1fps";
  modes[2].options.seconds_per_hash = 1;
  modes[3].name = "1fps+crop";
  modes[3].options.seconds_per_hash = 1;
  modes[3].options.crop_black_bars = true;
  modes[4].name = "dense 128x128";
  modes[4].options.downscale = 128;
  modes[5].name = "dense, RGB luma";  // upstream's path: swscale RGB, then PDQ's luma
  modes[5].options.rgb_luma = true;
  // vpdq_bench VIDEO RUNS MODE...: only the modes named (e.g. "dense").
  if (argc > 3) {
    std::vector<Mode> chosen;
    for (int i = 3; i < argc; i++) {
      for (const Mode& m : modes) {
        if (std::string(m.name) == argv[i]) chosen.push_back(m);
      }
    }
    modes = chosen;
  }
  std::printf("%s (%s)\n", path.c_str(), isnad::vpdq::DecoderVersions().c_str());
  for (Mode& m : modes) {
    m.options.threads = 1;
    std::vector<double> secs, cpus;
    isnad::vpdq::VideoHash last;
    for (int i = 0; i < runs; i++) {
      const double c0 = CpuSeconds();
      const auto t0 = std::chrono::steady_clock::now();
      auto h = isnad::vpdq::HashVideo(path, m.options);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (!h.ok()) {
        std::fprintf(stderr, "%s\n", h.status().ToString().c_str());
        return 1;
      }
      secs.push_back(s);
      cpus.push_back(CpuSeconds() - c0);
      last = std::move(*h);
    }
    std::sort(secs.begin(), secs.end());
    std::sort(cpus.begin(), cpus.end());
    const double wall = secs[secs.size() / 2], cpu = cpus[cpus.size() / 2];
    std::printf(
        "%-20s %4zu frames hashed of %.1f s (%dx%d): median wall %.3f s = %.1fx real "
        "time; median CPU %.3f s = %.1fx real time per CPU-second\n",
        m.name, last.frames.size(), last.duration_s, last.width, last.height, wall,
        last.duration_s / wall, cpu, last.duration_s / cpu);
  }
  return 0;
}
