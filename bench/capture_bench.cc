// Web capture throughput against a server on 127.0.0.1 (tests/http_server.h,
// on threads of this process), through archive::CaptureUrls: fetch, WARC with
// both digests, blobs committed, entries signed and applied.
//   capture_bench pages N CONCURRENCY ARCHIVE   N small pages (about 1 KiB each)
//   capture_bench huge BYTES ARCHIVE            one response of BYTES
//   capture_bench warc BYTES DIR                one response of BYTES through capture::Capture
//                                               only: WARC written with both digests, not stored
//   capture_bench pattern BYTES FILE            writes the bytes /huge serves (for openssl)
// Prints one JSON line: seconds, and pages/s or MB/s. ARCHIVE must not exist.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "archive/archive.h"
#include "archive/capture.h"
#include "capture/capture.h"
#include "catalog/catalog.h"
#include "core/allocator.h"
#include "core/env.h"
#include "http_server.h"

namespace {

using isnad::archive::Archive;

int Usage() {
  std::fprintf(stderr,
               "usage: capture_bench pages N CONCURRENCY ARCHIVE | huge BYTES ARCHIVE | "
               "warc BYTES DIR | pattern BYTES FILE\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  isnad::core::KeepFreedMemoryForReuse();  // as isnad's main does
  isnad::catalog::ConfigureSqliteForProcess();
  if (argc < 4) return Usage();
  const std::string mode = argv[1];
  const uint64_t n = std::strtoull(argv[2], nullptr, 10);
  if (mode == "pattern") {
    static constexpr std::string_view kText =
        "the quick brown fox jumps over the lazy dog 0123456789\n";
    std::FILE* f = std::fopen(argv[3], "wb");
    if (f == nullptr) return 1;
    std::string buf;
    while (buf.size() < (1u << 20)) buf += kText;
    buf.resize(55 * 19065);  // whole repeats, so chunks join seamlessly
    for (uint64_t done = 0; done < n;) {
      size_t k = static_cast<size_t>(std::min<uint64_t>(buf.size(), n - done));
      std::fwrite(buf.data(), 1, k, f);
      done += k;
    }
    return std::fclose(f) == 0 ? 0 : 1;
  }
  isnad::testing::HttpServer server;
  if (mode == "warc") {
    isnad::capture::Options o;
    o.max_size = n + 1;
    o.timeout_s = 3600;
    if (!isnad::core::CreateDirs(o.env, argv[3]).ok()) return 1;
    auto start = std::chrono::steady_clock::now();
    auto r = isnad::capture::Capture(server.Url("/huge?size=" + std::to_string(n)), o, argv[3]);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!r.error.ok()) {
      std::fprintf(stderr, "%s\n", r.error.ToString().c_str());
      return 1;
    }
    isnad::capture::Discard(o.env, r);
    std::printf("{\"mode\":\"warc\",\"bytes\":%llu,\"seconds\":%.3f,\"mb_per_s\":%.1f}\n",
                static_cast<unsigned long long>(n), s, static_cast<double>(n) / 1e6 / s);
    return 0;
  }
  isnad::archive::CaptureRequest req;
  std::string dir;
  if (mode == "pages" && argc == 5) {
    req.concurrency = std::atoi(argv[3]);
    req.per_host = req.concurrency;
    for (uint64_t k = 0; k < n; ++k) req.urls.push_back(server.Url("/page/" + std::to_string(k)));
    dir = argv[4];
  } else if (mode == "huge" && argc == 4) {
    req.concurrency = 1;
    req.fetch.max_size = n + 1;
    req.fetch.timeout_s = 3600;
    req.urls.push_back(server.Url("/huge?size=" + std::to_string(n)));
    dir = argv[3];
  } else {
    return Usage();
  }
  auto a = Archive::Init(dir, "bench.example/capture", {});
  if (!a.ok()) {
    std::fprintf(stderr, "%s\n", a.status().ToString().c_str());
    return 1;
  }
  uint64_t failed = 0;
  isnad::archive::CaptureCallbacks cb;
  cb.on_done = [&](const isnad::archive::CaptureOutcome& o) {
    if (o.kind != isnad::archive::CaptureOutcome::Kind::kCaptured) {
      if (failed++ < 3) std::fprintf(stderr, "%s: %s\n", o.url.c_str(), o.error.ToString().c_str());
    }
  };
  auto start = std::chrono::steady_clock::now();
  auto sum = isnad::archive::CaptureUrls(**a, req, cb);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!sum.ok()) {
    std::fprintf(stderr, "%s\n", sum.status().ToString().c_str());
    return 1;
  }
  if (mode == "pages") {
    std::printf(
        "{\"mode\":\"pages\",\"pages\":%llu,\"failed\":%llu,\"seconds\":%.3f,"
        "\"pages_per_s\":%.1f}\n",
        static_cast<unsigned long long>(sum->captured), static_cast<unsigned long long>(failed), s,
        static_cast<double>(sum->captured) / s);
  } else {
    std::printf(
        "{\"mode\":\"huge\",\"bytes\":%llu,\"failed\":%llu,\"seconds\":%.3f,"
        "\"mb_per_s\":%.1f}\n",
        static_cast<unsigned long long>(n), static_cast<unsigned long long>(failed), s,
        static_cast<double>(n) / 1e6 / s);
  }
  return failed == 0 ? 0 : 1;
}
