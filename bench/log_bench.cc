// Custody log benchmarks on real files, in a temp folder under $TMPDIR (or
// /tmp): keep it on the same disk as the archive. Targets:
//   BM_AppendDurable/1000 and /10000: >= 200,000 entries/s, every batch durable
//     (tiles, one syncfs, fsynced checkpoint), ~300-byte canonical JSON entries.
//   BM_InclusionProof*: <= 50 us per proof at 10,000,000 entries, tiles on disk.
// Run: build-log/bench/log_bench --benchmark_repetitions=5
//        --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/digest.h"
#include "core/env.h"
#include "core/testing/temp_dir.h"
#include "log/log.h"
#include "log/merkle.h"
#include "log/note.h"

namespace isnad::tlog {
namespace {

struct Keys {
  NoteSigner signer;
  NoteVerifier verifier;
};

// The log key. With $ISNAD_BENCH_BIG_LOG set it is kept beside that folder
// (<folder>.skey) so that a kept log opens again in the next run.
const Keys& BenchKeys() {
  static const Keys* keys = [] {
    core::Env* env = core::Env::Default();
    const char* keep = std::getenv("ISNAD_BENCH_BIG_LOG");
    std::string path = keep != nullptr && *keep != '\0' ? std::string(keep) + ".skey" : "";
    auto skey =
        path.empty() ? core::StatusOr<std::string>(core::NotFound("")) : env->ReadFile(path);
    if (!skey.ok()) {
      skey = NoteSigner::GenerateSkey("bench.example/custody-log");
      if (!path.empty() && skey.ok()) (void)core::WriteFileAtomically(env, path, *skey, true, 0600);
    }
    auto signer = NoteSigner::FromSkey(*skey);
    auto verifier = NoteVerifier::FromVkey(signer->vkey());
    return new Keys{*signer, *verifier};
  }();
  return *keys;
}

// A custody event as the catalog writes it: canonical JSON, about 300 bytes.
std::string CustodyEvent(uint64_t seq) {
  std::string blob = core::Sha256Of(std::to_string(seq)).Hex();
  return "{\"action\":\"ingest\",\"actor\":\"examiner-" + std::to_string(seq % 17) +
         "\",\"at\":\"2024-06-01T12:34:56.789Z\",\"blob\":\"sha256:" + blob +
         "\",\"case\":\"CASE-2024-0012\",\"item\":\"item-" + std::to_string(seq) +
         "\",\"media_type\":\"application/pdf\",\"note\":\"received sealed, bag 4471\","
         "\"seq\":" +
         std::to_string(seq) + ",\"size\":1048576,\"tool\":\"isnad/0.1.0\"}";
}

void Die(const core::Status& s, const char* what) {
  std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
  std::abort();
}

// Folders made for the benchmarks, removed at exit. Removing a log's
// thousands of files between the runs Google Benchmark makes would slow down
// the next run's file creations (ext4 without a journal scans recently freed
// inodes), so each batch size keeps one log for all its runs.
core::testing::TempDir& BenchTemp() {
  static auto* tmp = new core::testing::TempDir();
  static bool registered = (std::atexit([] { delete tmp; }), true);
  (void)registered;
  return *tmp;
}

void BM_AppendDurable(benchmark::State& state) {
  const auto batch_size = static_cast<uint64_t>(state.range(0));
  static std::map<uint64_t, std::unique_ptr<Log>> logs;
  std::unique_ptr<Log>& log = logs[batch_size];
  if (log == nullptr) {
    auto created =
        Log::Create(core::Env::Default(), BenchTemp().Join("append-" + std::to_string(batch_size)),
                    BenchKeys().signer);
    if (!created.ok()) Die(created.status(), "create");
    log = std::move(*created);
  }
  std::vector<std::string> batch;
  uint64_t bytes = 0;
  for (uint64_t i = 0; i < batch_size; ++i) {
    batch.push_back(CustodyEvent(i));
    bytes += batch.back().size();
  }
  for (auto _ : state) {
    auto r = log->Append(batch, BenchKeys().signer);
    if (!r.ok()) Die(r.status(), "append");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch_size));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["entry_bytes"] = static_cast<double>(bytes) / static_cast<double>(batch_size);
}
BENCHMARK(BM_AppendDurable)
    ->Arg(1000)
    ->Arg(10000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);

constexpr uint64_t kBigSize = 10'000'000;

// The 10M-entry log, built once per process in big batches, in a temp folder
// removed at exit; or, when $ISNAD_BENCH_BIG_LOG names a folder, kept there
// and reused by later runs. Entries are short: proofs read only hash tiles, so
// entry size does not change what is measured, and 3 GB of bundles would only
// slow the setup down.
const std::string& BigLog() {
  static std::string dir;
  if (!dir.empty()) return dir;
  const char* keep = std::getenv("ISNAD_BENCH_BIG_LOG");
  if (keep != nullptr && *keep != '\0') {
    dir = keep;
    auto existing = Log::Open(core::Env::Default(), dir, BenchKeys().verifier);
    if (existing.ok() && (*existing)->size() == kBigSize) return dir;
    if (core::Exists(core::Env::Default(), dir + "/checkpoint")) {
      std::fprintf(stderr, "%s holds another log; remove it first\n", dir.c_str());
      std::abort();
    }
  } else {
    dir = BenchTemp().Join("log-10m");
  }
  auto start = std::chrono::steady_clock::now();
  auto log = Log::Create(core::Env::Default(), dir, BenchKeys().signer);
  if (!log.ok()) Die(log.status(), "create");
  const uint64_t kBatch = 1'000'000;
  std::vector<std::string> batch(kBatch);
  for (uint64_t first = 0; first < kBigSize; first += kBatch) {
    for (uint64_t i = 0; i < kBatch; ++i) batch[i] = "entry " + std::to_string(first + i);
    auto r = (*log)->Append(batch, BenchKeys().signer);
    if (!r.ok()) Die(r.status(), "append");
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "built the %llu-entry log in %s in %.1f s\n",
               static_cast<unsigned long long>(kBigSize), dir.c_str(), secs);
  return dir;
}

std::unique_ptr<Log> OpenBig() {
  auto log = Log::Open(core::Env::Default(), BigLog(), BenchKeys().verifier);
  if (!log.ok()) Die(log.status(), "open");
  return std::move(*log);
}

void CheckProof(const Log& log, uint64_t index, const std::vector<core::Hash>& proof) {
  core::Status s = VerifyInclusion(index, log.size(), LeafHash("entry " + std::to_string(index)),
                                   proof, log.root());
  if (!s.ok()) Die(s, "proof does not verify");
}

// One freshly opened Log, random indices: the level-0 tile of almost every
// proof is read from disk (39,063 of them against a 256-tile cache); the few
// hundred tiles above warm up within the first iterations.
void BM_InclusionProofFreshLog(benchmark::State& state) {
  auto log = OpenBig();
  std::mt19937_64 rng(state.thread_index() + 1);
  uint64_t n = log->size();
  for (auto _ : state) {
    uint64_t i = rng() % n;
    auto proof = log->InclusionProof(i, n);
    if (!proof.ok()) Die(proof.status(), "proof");
    benchmark::DoNotOptimize(proof->data());
  }
  auto check = log->InclusionProof(12345, n);
  CheckProof(*log, 12345, *check);
}
BENCHMARK(BM_InclusionProofFreshLog)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

// Fully cold: a new Log (empty tile cache) for every proof, so both its
// level-0 and level-1 tiles come from disk. Open itself is not timed.
void BM_InclusionProofColdCache(benchmark::State& state) {
  std::mt19937_64 rng(7);
  for (auto _ : state) {
    state.PauseTiming();
    auto log = OpenBig();
    uint64_t i = rng() % log->size();
    state.ResumeTiming();
    auto proof = log->InclusionProof(i, log->size());
    if (!proof.ok()) Die(proof.status(), "proof");
    benchmark::DoNotOptimize(proof->data());
  }
}
BENCHMARK(BM_InclusionProofColdCache)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

// Warm: 64 random leaves proved over and over, all their tiles cached.
void BM_InclusionProofWarm(benchmark::State& state) {
  auto log = OpenBig();
  std::mt19937_64 rng(11);
  std::vector<uint64_t> indices(64);
  for (auto& i : indices) i = rng() % log->size();
  for (uint64_t i : indices) CheckProof(*log, i, *log->InclusionProof(i, log->size()));
  size_t k = 0;
  for (auto _ : state) {
    auto proof = log->InclusionProof(indices[k++ % indices.size()], log->size());
    if (!proof.ok()) Die(proof.status(), "proof");
    benchmark::DoNotOptimize(proof->data());
  }
}
BENCHMARK(BM_InclusionProofWarm)->Unit(benchmark::kMicrosecond)->MinTime(1.0);

}  // namespace
}  // namespace isnad::tlog

BENCHMARK_MAIN();
