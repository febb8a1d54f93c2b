// libFuzzer target for the WACZ reader behind `isnad add` of a .wacz: any bytes must give a
// report with problems or an error, never a crash, a hang, a leak or undefined behaviour.
// Each WARC member is read through warc::Reader, as `isnad add` does. Built only with
// -DISNAD_FUZZ=ON and clang (see warc_fuzz.cc for the commands); seed the corpus with
// ../shared/testdata/wacz-pywacz/*.wacz.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/testing/fuzz_file.h"
#include "warc/reader.h"
#include "warc/wacz.h"

namespace {

class ReadEveryRecord : public isnad::warc::WaczWarcVisitor {
 public:
  isnad::core::Status OnWarc(const std::string&, isnad::core::SequentialFile* stream) override {
    isnad::warc::Reader reader(stream);
    for (int records = 0; records < 10000; ++records) {
      isnad::warc::Record record;
      auto more = reader.Next(&record);
      if (!more.ok()) return more.status();
      if (!*more) break;
    }
    return isnad::core::Status::Ok();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // libarchive reads ZIPs from a file (the central directory is at the end).
  const std::string& path = isnad::core::testing::WriteFuzzInput("wacz-fuzz", ".wacz", data, size);
  ReadEveryRecord visitor;
  auto report = isnad::warc::ReadWacz(path, &visitor);
  if (report.ok() && report->ok() && report->resources.empty() && report->warcs.empty() &&
      report->wacz_version.empty()) {
    __builtin_trap();  // an empty, unversioned package must not be called valid
  }
  std::remove(path.c_str());
  return 0;
}
