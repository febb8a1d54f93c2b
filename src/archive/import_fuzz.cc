// libFuzzer target for the parsing and checking of `isnad import`: the CSV dialect and
// JSON Lines, every row's columns and members, references, dates, coordinates, languages
// and paths, as a dry run (all checks, nothing written) into a small archive made once per
// process. Any bytes must give a report (with problems) or a clear error, never a crash, a
// leak, undefined behaviour or an internal error. Built only with -DISNAD_FUZZ=ON and clang
// (see src/pdq/pdq_fuzz.cc for the commands):
//   ninja -C build-fuzz import_fuzz && build-fuzz/src/archive/import_fuzz CORPUS_DIR
// (clang 16 or later: clang 14, Debian 12's, cannot capture structured bindings in lambdas,
// which src/catalog/graph.cc and ExportJsonl in import.cc do.)
// The first byte of an input picks the format: 'J' JSON Lines, anything else CSV; the rest
// is the file. The import folder holds files/statement.txt, photo.bin, other.txt and
// video.bin; the archive holds one item (i1). Seed CORPUS_DIR with tests/data/import/*.csv
// and *.jsonl and examples/ghouta-2013/*.{csv,jsonl}, each behind its format byte, e.g.
//   for f in tests/data/import/*.jsonl; do (printf J; cat $f) > CORPUS_DIR/$(basename $f); done
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "archive/archive.h"
#include "archive/import.h"

namespace {

namespace fs = std::filesystem;

struct Setup {
  std::string dir;
  std::unique_ptr<isnad::archive::Archive> archive;
};

void WriteFile(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  out.close();
  if (!out) __builtin_trap();
}

Setup* g_setup = nullptr;  // reachable to the end: the archive stays open

Setup* MakeSetup() {
  auto* s = g_setup = new Setup;
  const char* tmp = std::getenv("TMPDIR");
  s->dir = std::string(tmp != nullptr ? tmp : "/tmp") + "/isnad-import-fuzz-" +
           std::to_string(::getpid());
  fs::remove_all(s->dir);
  fs::create_directories(s->dir + "/in/files");
  for (const char* name : {"statement.txt", "photo.bin", "other.txt", "video.bin"}) {
    WriteFile(s->dir + "/in/files/" + name, std::string("bytes of ") + name);
  }
  isnad::archive::Options options;
  options.operator_name = "fuzz@test";
  auto a = isnad::archive::Archive::Init(s->dir + "/archive", "fuzz.isnad.example/import", options);
  if (!a.ok()) __builtin_trap();
  s->archive = std::move(*a);
  isnad::archive::AddRequest req;
  req.paths = {s->dir + "/in/files/other.txt"};
  if (!s->archive->Add(req, {}).ok()) __builtin_trap();
  std::atexit([] {
    std::error_code ec;
    fs::remove_all(g_setup->dir, ec);
  });
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Setup* setup = MakeSetup();
  const bool jsonl = size > 0 && data[0] == 'J';
  const std::string file = setup->dir + (jsonl ? "/in/import.jsonl" : "/in/import.csv");
  const size_t skip = size > 0 ? 1 : 0;
  WriteFile(file, std::string(reinterpret_cast<const char*>(data) + skip, size - skip));
  isnad::archive::ImportOptions options;
  options.dry_run = true;
  auto report = isnad::archive::Import(*setup->archive, file, options);
  if (!report.ok()) __builtin_trap();  // the file is readable: only problems, never an error
  return 0;
}
