// ingest_bench: stages and commits the given files into a fresh blob store and
// prints, as one JSON object on stdout, how long that took and how many bytes
// it moved. Driven by bench/ingest_bench.sh, which sets it against
// `openssl dgst -sha256` and `cp && sync` on the same files.
//
//   ingest_bench --store DIR [--sync-threshold BYTES] FILE...
//
// DIR must not exist (or be an empty folder); it is left in place for the
// caller to inspect or remove. Timing covers what `isnad add` does with the
// bytes: Stage every file (hash + temp file + fdatasync of large ones), one
// Commit, then one SyncFilesystem to make the renames durable.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/status.h"
#include "store/blob_store.h"

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// JSON string body: quotes, backslashes and control characters escaped.
std::string Escape(const std::string& in) {
  std::string out;
  for (char c : in) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

int Usage() {
  std::fprintf(stderr,
               "usage: ingest_bench --store DIR [--sync-threshold BYTES] FILE...\n"
               "  DIR: a store folder to create (must not exist, or be empty)\n");
  return 2;
}

int Fail(const isnad::core::Status& s) {
  std::fprintf(stderr, "ingest_bench: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using isnad::core::Env;
  std::string store_dir;
  long long sync_threshold = -1;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--store" && i + 1 < argc) {
      store_dir = argv[++i];
    } else if (arg == "--sync-threshold" && i + 1 < argc) {
      sync_threshold = std::atoll(argv[++i]);
    } else if (!arg.empty() && arg[0] == '-') {
      return Usage();
    } else {
      files.push_back(arg);
    }
  }
  if (store_dir.empty() || files.empty()) return Usage();

  Env* env = Env::Default();
  if (auto names = env->ListDir(store_dir); names.ok() && !names->empty()) {
    std::fprintf(stderr, "ingest_bench: %s is not empty; give a fresh folder\n", store_dir.c_str());
    return 2;
  }

  const auto start = Clock::now();
  auto store = isnad::store::BlobStore::Open(env, store_dir, /*clean_temp=*/true);
  if (!store.ok()) return Fail(store.status());
  if (sync_threshold >= 0) (*store)->sync_threshold_bytes = static_cast<size_t>(sync_threshold);

  std::vector<isnad::store::StagedBlob> staged;
  std::vector<double> stage_seconds;
  uint64_t bytes = 0;
  for (const std::string& file : files) {
    const auto t = Clock::now();
    auto blob = (*store)->Stage(file);
    if (!blob.ok()) {
      (*store)->Abort(staged);
      return Fail(blob.status());
    }
    stage_seconds.push_back(Since(t));
    bytes += blob->size_bytes;
    staged.push_back(*blob);
  }
  const double stage_total = Since(start);

  auto t = Clock::now();
  auto committed = (*store)->Commit(staged);
  if (!committed.ok()) {
    (*store)->Abort(staged);
    return Fail(committed.status());
  }
  const double commit_s = Since(t);
  t = Clock::now();
  if (auto s = env->SyncFilesystem(store_dir); !s.ok()) return Fail(s);
  const double sync_s = Since(t);
  const double total = Since(start);

  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);

  std::printf("{\"files\":[");
  for (size_t i = 0; i < staged.size(); ++i) {
    std::printf("%s{\"path\":\"%s\",\"bytes\":%llu,\"sha256\":\"%s\",\"stage_seconds\":%.6f}",
                i ? "," : "", Escape(files[i]).c_str(),
                static_cast<unsigned long long>(staged[i].size_bytes),
                staged[i].sha256.Hex().c_str(), stage_seconds[i]);
  }
  std::printf(
      "],\"bytes\":%llu,\"seconds\":%.6f,\"stage_seconds\":%.6f,\"commit_seconds\":%.6f,"
      "\"sync_seconds\":%.6f,\"mib_per_second\":%.1f,\"max_rss_kib\":%ld}\n",
      static_cast<unsigned long long>(bytes), total, stage_total, commit_s, sync_s,
      total > 0 ? static_cast<double>(bytes) / (1 << 20) / total : 0.0, usage.ru_maxrss);
  return 0;
}
