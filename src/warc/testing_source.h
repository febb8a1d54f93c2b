// Test helpers for the warc tests, the web-archive import tests and the warc
// fuzz target. StringSource: a core::SequentialFile over bytes in memory whose
// reads hand back at most `step` bytes at a time, so that readers see records,
// gzip members and HTTP headers split across reads as they would be from a slow
// file. Compressed: bytes as one gzip member (a WARC written one member per
// record) or a zlib stream (HTTP "Content-Encoding: deflate").
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>

#include "core/env.h"

namespace isnad::warc::testing {

class StringSource : public core::SequentialFile {
 public:
  explicit StringSource(std::string data, size_t step = size_t{1} << 20)
      : data_(std::move(data)), step_(step) {}
  core::StatusOr<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min({n, step_, data_.size() - pos_});
    std::copy_n(data_.data() + pos_, k, buf);
    pos_ += k;
    return k;
  }

 private:
  std::string data_;
  size_t pos_ = 0;
  size_t step_;
};

// `data` compressed by zlib: as one gzip member when `gzip`, else as a zlib
// stream. Empty when zlib fails (it does not, short of memory).
inline std::string Compressed(const std::string& data, bool gzip) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, gzip ? 31 : 15, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK)
    return "";
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(rc == Z_STREAM_END ? zs.total_out : 0);
  deflateEnd(&zs);
  return out;
}

}  // namespace isnad::warc::testing
