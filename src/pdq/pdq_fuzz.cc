// libFuzzer target for the image decoders and the hasher behind `isnad pdq`: any bytes must
// give a hash or an error, never a crash, a leak or undefined behaviour. Built only with
// -DISNAD_FUZZ=ON and clang (see src/pdq/CMakeLists.txt); not part of the test suite.
//   CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DISNAD_FUZZ=ON
//     -DISNAD_SANITIZE=ON -DISNAD_BUILD_TESTS=OFF -DISNAD_BUILD_BENCH=OFF
//   ninja -C build-fuzz pdq_fuzz && build-fuzz/src/pdq/pdq_fuzz -max_total_time=60 CORPUS_DIR
// Seed CORPUS_DIR with small JPEGs and PNGs (e.g. ../shared/testdata/pdq/misc-images).
#include <cstddef>
#include <cstdint>
#include <span>

#include "pdq/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  isnad::pdq::ImageHashOptions options;
  options.limits.max_pixels = 4u << 20;  // keep each run fast; the limit itself is tested
  options.limits.max_decoder_memory_bytes = 256u << 20;
  options.apply_exif_orientation = size > 0 && (data[size - 1] & 1);
  auto r = isnad::pdq::HashImage(std::span<const uint8_t>(data, size), options);
  if (r.ok() && r->quality() > 100) __builtin_trap();
  return 0;
}
