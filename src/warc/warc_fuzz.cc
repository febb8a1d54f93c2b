// libFuzzer target for the WARC reader behind `isnad add` of a .warc/.warc.gz and `isnad
// import`: any bytes must give records, problems or an error, never a crash, a hang, a leak
// or undefined behaviour. Built only with -DISNAD_FUZZ=ON and clang; not part of the suite.
//   CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DISNAD_FUZZ=ON
//     -DISNAD_SANITIZE=ON -DISNAD_BUILD_TESTS=OFF -DISNAD_BUILD_BENCH=OFF
//   ninja -C build-fuzz warc_fuzz && build-fuzz/src/warc/warc_fuzz -max_total_time=60 CORPUS_DIR
// Seed CORPUS_DIR with small WARCs, plain and gzip (e.g. ../shared/testdata/warc-warcio).
#include <cstddef>
#include <cstdint>
#include <string>

#include "warc/reader.h"
#include "warc/testing_source.h"

namespace {

// Takes every payload, as `isnad add` does when it stores the responses of a WARC.
class CountingSink : public isnad::warc::PayloadSink {
 public:
  bool Begin(const isnad::warc::Record&) override { return true; }
  isnad::core::Status Data(std::string_view bytes) override {
    bytes_ += bytes.size();
    return isnad::core::Status::Ok();
  }
  uint64_t bytes() const { return bytes_; }

 private:
  uint64_t bytes_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The last byte picks the read size, so that records and gzip members split across reads.
  const size_t step = size_t{1} + data[size - 1] % 64 * 97;
  isnad::warc::testing::StringSource in(std::string(reinterpret_cast<const char*>(data), size),
                                        step);
  isnad::warc::Reader reader(&in);
  CountingSink sink;
  for (int records = 0; records < 10000; ++records) {
    isnad::warc::Record record;
    auto more = reader.Next(&record, &sink);
    if (!more.ok() || !*more) break;
    if (record.payload_size > sink.bytes()) __builtin_trap();  // handed on what it counted
  }
  return 0;
}
