// libFuzzer target for the OCR decoders (Leptonica's image readers, poppler's PDF parser and
// renderer, Tesseract on whatever they produce): any bytes must give a result or an error, never
// a crash, a leak or undefined behaviour. Built only with -DISNAD_FUZZ=ON and clang (see
// src/media/CMakeLists.txt); not part of the test suite.
//   CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DISNAD_FUZZ=ON
//     -DISNAD_SANITIZE=ON -DISNAD_BUILD_TESTS=OFF -DISNAD_BUILD_BENCH=OFF
//   ninja -C build-fuzz ocr_fuzz && build-fuzz/src/media/ocr_fuzz -max_total_time=60 CORPUS_DIR
// Seed CORPUS_DIR with small PNGs, JPEGs, TIFFs and PDFs. The first byte picks the media type the
// bytes are declared as (the sniffed type and the real format may disagree in evidence too).
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "media/ocr.h"

namespace {

const char* const kTypes[] = {"image/png", "application/pdf", "image/jpeg", "image/tiff",
                              "image/gif", "image/webp",      "image/bmp"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const char* type = kTypes[data[0] % (sizeof kTypes / sizeof kTypes[0])];
  // Ocr reads a path: an anonymous in-memory file, named through /proc.
  static const int fd = memfd_create("ocr_fuzz", 0);
  if (fd < 0) __builtin_trap();
  if (ftruncate(fd, 0) != 0 ||
      pwrite(fd, data + 1, size - 1, 0) != static_cast<ssize_t>(size - 1)) {
    __builtin_trap();
  }
  isnad::media::OcrOptions options;
  options.languages = "eng";
  options.max_millis = 500;  // keep each run fast; the limits themselves are tested
  options.max_pixels = 1u << 20;
  options.max_pages = 2;
  options.pdf_dpi = 100;
  auto r = isnad::media::Ocr("/proc/self/fd/" + std::to_string(fd), type, options);
  if (r.ok() && (r->mean_confidence < 0 || r->mean_confidence > 100 || r->pages > 2)) {
    __builtin_trap();
  }
  return 0;
}
