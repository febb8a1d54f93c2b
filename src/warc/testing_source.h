// A core::SequentialFile over bytes in memory, for the warc tests and fuzz target:
// reads hand back at most `step` bytes at a time, so that readers see records, gzip
// members and HTTP headers split across reads as they would be from a slow file.
#pragma once

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

}  // namespace isnad::warc::testing
