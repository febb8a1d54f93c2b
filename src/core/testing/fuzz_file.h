// For libFuzzer targets whose code under test reads a file (libarchive, FFmpeg, exiv2):
// the input is written to one file per process under $TMPDIR (default /tmp), replaced on
// every run. Header-only, so that a fuzz target needs no test library.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

namespace isnad::core::testing {

// Writes `data` to $TMPDIR/isnad-<name>-<pid><suffix> and returns that path; traps when it
// cannot (a fuzz run that cannot write its input tests nothing).
inline const std::string& WriteFuzzInput(const char* name, const char* suffix, const uint8_t* data,
                                         size_t size) {
  static const std::string path = [&] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir != nullptr ? dir : "/tmp") + "/isnad-" + name + "-" +
           std::to_string(::getpid()) + suffix;
  }();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) __builtin_trap();
  return path;
}

}  // namespace isnad::core::testing
