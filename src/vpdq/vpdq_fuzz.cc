// libFuzzer target for the video decoding wrapper behind `isnad vpdq`: any bytes must give
// frame hashes or an error, never a crash, a leak, undefined behaviour or a hang. The bytes
// go through a temporary file (FFmpeg opens paths). Built only with -DISNAD_FUZZ=ON and clang
// (see src/vpdq/CMakeLists.txt); not part of the test suite.
//   CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DISNAD_FUZZ=ON
//     -DISNAD_SANITIZE=ON -DISNAD_BUILD_TESTS=OFF -DISNAD_BUILD_BENCH=OFF
//   ninja -C build-fuzz vpdq_fuzz && build-fuzz/src/vpdq/vpdq_fuzz -max_total_time=60 CORPUS
// Seed CORPUS with small videos, e.g. ../shared/testdata/vpdq/videos/test-padded-dimensions.mp4
// and short clips cut from the others.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/testing/fuzz_file.h"
#include "vpdq/vpdq.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = isnad::core::testing::WriteFuzzInput("vpdq-fuzz", "", data, size);
  isnad::vpdq::HashOptions options;
  options.limits.max_millis = 2000;  // keep each run short; the limits themselves are tested
  options.limits.max_frames = 500;
  options.limits.max_pixels = 1920 * 1088;
  options.crop_black_bars = size > 0 && (data[size - 1] & 1);
  options.downscale = size > 1 && (data[size - 2] & 1) ? 64 : 0;
  auto r = isnad::vpdq::HashVideo(path, options);
  if (r.ok()) {
    for (const auto& frame : r->frames) {
      if (frame.quality < 0 || frame.quality > 100) __builtin_trap();
    }
  }
  std::remove(path.c_str());
  return 0;
}
