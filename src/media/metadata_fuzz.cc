// libFuzzer target for the metadata readers (exiv2, FFmpeg, poppler wrappers): any bytes under
// any label must give a Metadata with its failures, never a crash, a leak or undefined
// behaviour in our code. Built only with -DISNAD_FUZZ=ON and clang (src/media/CMakeLists.txt);
// not part of the test suite.
//   CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DISNAD_FUZZ=ON
//     -DISNAD_SANITIZE=ON -DISNAD_BUILD_TESTS=OFF -DISNAD_BUILD_BENCH=OFF
//   ninja -C build-fuzz metadata_fuzz
//   ISNAD_FUZZ_TYPE=video/mp4 build-fuzz/src/media/metadata_fuzz -max_total_time=60 CORPUS_DIR
// ISNAD_FUZZ_TYPE picks the label (image/jpeg, video/mp4, application/pdf...); unset, each
// input is read under all three. Seed CORPUS_DIR with small samples of that type.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "core/testing/fuzz_file.h"
#include "media/metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = isnad::core::testing::WriteFuzzInput("metadata-fuzz", "", data, size);
  isnad::media::ExtractLimits limits;
  limits.max_millis = 5'000;
  limits.max_text_bytes = 1u << 20;
  const char* only = std::getenv("ISNAD_FUZZ_TYPE");
  for (const char* type : {"image/jpeg", "video/mp4", "application/pdf"}) {
    if (only != nullptr && *only != '\0' && std::string(only) != type) continue;
    auto md = isnad::media::ExtractMetadata(path, type, limits);
    if (!md.ok()) __builtin_trap();  // the file exists: only damage, never an error
    if (md->text.size() > limits.max_text_bytes) __builtin_trap();
  }
  return 0;
}
