// libFuzzer target for the parsers that read what an archive received from elsewhere holds:
// signed notes, checkpoints, tile paths, keys, entry bundles and canonical JSON entries. Any
// bytes must give a value or an error, never a crash, a leak or undefined behaviour. Built
// only with -DISNAD_FUZZ=ON and clang:
//   CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DISNAD_FUZZ=ON
//     -DISNAD_SANITIZE=ON -DISNAD_BUILD_TESTS=OFF -DISNAD_BUILD_BENCH=OFF
//   ninja -C build-fuzz log_fuzz && build-fuzz/src/log/log_fuzz -max_total_time=60 CORPUS_DIR
// Seed CORPUS_DIR with ../shared/testdata/signed-note and tlog-tiles files.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/canonical_json.h"
#include "log/checkpoint.h"
#include "log/merkle.h"
#include "log/note.h"
#include "log/tiles.h"

namespace {

const isnad::tlog::NoteVerifier& Verifier() {
  static const isnad::tlog::NoteVerifier* v = [] {
    auto signer =
        isnad::tlog::NoteSigner::FromSkey(*isnad::tlog::NoteSigner::GenerateSkey("fuzz.example"));
    return new isnad::tlog::NoteVerifier(*isnad::tlog::NoteVerifier::FromVkey(signer->vkey()));
  }();
  return *v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace isnad;
  std::string_view s(reinterpret_cast<const char*>(data), size);
  (void)tlog::OpenNote(s, {Verifier()});
  (void)tlog::Checkpoint::Parse(s);
  (void)tlog::ParseTilePath(s);
  (void)tlog::NoteVerifier::FromVkey(s);
  (void)tlog::NoteSigner::FromSkey(s);
  if (size > 0) (void)tlog::SplitEntryBundle(s.substr(1), data[0]);
  (void)core::ParseCanonicalJson(s);
  return 0;
}
