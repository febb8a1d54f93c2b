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
  static const std::string path = [] {
    const char* tmp = std::getenv("TMPDIR");
    return std::string(tmp ? tmp : "/tmp") + "/wacz_fuzz_" + std::to_string(getpid()) + ".wacz";
  }();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  if (size > 0 && std::fwrite(data, 1, size, f) != size) {
    std::fclose(f);
    return 0;
  }
  std::fclose(f);
  ReadEveryRecord visitor;
  auto report = isnad::warc::ReadWacz(path, &visitor);
  if (report.ok() && report->ok() && report->resources.empty() && report->warcs.empty() &&
      report->wacz_version.empty()) {
    __builtin_trap();  // an empty, unversioned package must not be called valid
  }
  std::remove(path.c_str());
  return 0;
}
