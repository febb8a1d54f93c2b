// Radius queries over N PDQ hashes: isnad's similar::Index against FAISS IndexBinaryFlat and
// IndexBinaryMultiHash, in the same run, on the same hashes and queries, one core each.
// Every answer is compared: the mismatch counts must be 0. Results: docs/benchmarks.md.
//
//   similar_bench [--n 10000000] [--queries 1000] [--flat-queries 50] [--radius 31]
//                 [--nhash 16 --b 16] [--max-family 60] [--seed 1]
//                 [--no-faiss]
//
// Hashes: half uniformly random, half near-duplicate families (a random base and 1..60
// members each 0..40 random bit flips from it), shuffled together. Queries alternate: a
// stored hash with 0..31 bits flipped (so the answer holds at least that hash), then a fresh
// random hash (whose answer is almost surely empty). Build and query times are reported as
// wall and as CPU time of this thread (a shared machine's wall time counts others' turns).
#include <faiss/IndexBinaryFlat.h>
#include <faiss/IndexBinaryHash.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <omp.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "similar/index.h"

namespace {

using isnad::pdq::Hash;
using Clock = std::chrono::steady_clock;

struct Options {
  size_t n = 10'000'000;
  size_t queries = 1000;
  size_t flat_queries = 50;
  int radius = 31;
  int nhash = 16;
  int b = 16;
  int max_family = 60;
  uint64_t seed = 1;
  bool faiss = true;
};

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// CPU time of this thread, in microseconds: on a shared machine a query's wall time also
// counts the time other processes held the core.
double ThreadCpuUs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

// Resident and peak resident memory of this process, in MiB (Linux /proc/self/status).
double StatusMiB(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0)
      return std::strtod(line.c_str() + std::strlen(key), nullptr) / 1024;
  }
  return 0;
}

Hash RandomHash(std::mt19937_64& rng) {
  Hash h;
  for (auto& w : h.words) w = rng();
  return h;
}

// k distinct bit positions flipped.
Hash FlipDistinct(Hash h, int k, std::mt19937_64& rng) {
  Hash done;
  std::uniform_int_distribution<int> bit(0, 255);
  for (int flipped = 0; flipped < k;) {
    const int i = bit(rng);
    const uint64_t mask = uint64_t{1} << (i & 63);
    if (done.words[i >> 6] & mask) continue;
    done.words[i >> 6] |= mask;
    h.words[i >> 6] ^= mask;
    ++flipped;
  }
  return h;
}

struct Latency {
  std::vector<double> us;
  std::vector<double> cpu_us;
  static double Percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
  }
  double Percentile(double p) const { return Percentile(us, p); }
  double CpuPercentile(double p) const { return Percentile(cpu_us, p); }
  double Mean() const {
    double s = 0;
    for (double x : us) s += x;
    return us.empty() ? 0 : s / us.size();
  }
};

using Answer = std::vector<std::pair<int64_t, int>>;  // (position, distance), sorted

Answer FromFaiss(const faiss::RangeSearchResult& res) {
  Answer a;
  for (size_t j = res.lims[0]; j < res.lims[1]; ++j) {
    a.emplace_back(res.labels[j], static_cast<int>(res.distances[j]));
  }
  std::sort(a.begin(), a.end());
  return a;
}

void Report(const char* name, double build_s, double mem_mib, const Latency& lat, size_t mismatches,
            size_t compared) {
  std::printf(
      "%s\n  build %.2f s  memory %.1f MiB  queries %zu  wall p50 %.1f us  p99 %.1f us  mean "
      "%.1f us  cpu p50 %.1f us  p99 %.1f us  mismatches %zu/%zu\n",
      name, build_s, mem_mib, lat.us.size(), lat.Percentile(0.5), lat.Percentile(0.99), lat.Mean(),
      lat.CpuPercentile(0.5), lat.CpuPercentile(0.99), mismatches, compared);
}

bool ParseArgs(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : "0"; };
    if (a == "--n") {
      o.n = std::strtoull(next(), nullptr, 10);
    } else if (a == "--queries") {
      o.queries = std::strtoull(next(), nullptr, 10);
    } else if (a == "--flat-queries") {
      o.flat_queries = std::strtoull(next(), nullptr, 10);
    } else if (a == "--radius") {
      o.radius = std::atoi(next());
    } else if (a == "--nhash") {
      o.nhash = std::atoi(next());
    } else if (a == "--b") {
      o.b = std::atoi(next());
    } else if (a == "--max-family") {
      o.max_family = std::max(1, std::atoi(next()));
    } else if (a == "--seed") {
      o.seed = std::strtoull(next(), nullptr, 10);
    } else if (a == "--no-faiss") {
      o.faiss = false;
    } else {
      std::fprintf(stderr, "unknown argument %s (see the comment at the top of the source)\n",
                   a.c_str());
      return false;
    }
  }
  return o.n > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseArgs(argc, argv, o)) return 2;
  omp_set_num_threads(1);  // one core each: our query is single-threaded

  std::mt19937_64 rng(o.seed);
  std::vector<Hash> hashes;
  hashes.reserve(o.n);
  for (size_t i = 0; i < o.n / 2; ++i) hashes.push_back(RandomHash(rng));
  std::uniform_int_distribution<int> family_size(1, o.max_family), flips(0, 40);
  while (hashes.size() < o.n) {
    const Hash base = RandomHash(rng);
    for (int i = family_size(rng); i > 0 && hashes.size() < o.n; --i) {
      hashes.push_back(FlipDistinct(base, flips(rng), rng));
    }
  }
  std::shuffle(hashes.begin(), hashes.end(), rng);
  std::vector<Hash> queries;
  std::uniform_int_distribution<size_t> pick(0, o.n - 1);
  std::uniform_int_distribution<int> query_flips(0, 31);
  for (size_t i = 0; i < o.queries; ++i) {
    queries.push_back(i % 2 == 0 ? FlipDistinct(hashes[pick(rng)], query_flips(rng), rng)
                                 : RandomHash(rng));
  }
  std::printf("n %zu  queries %zu  radius %d  max family %d  (hashes %.1f MiB)\n", o.n, o.queries,
              o.radius, o.max_family, o.n * 32.0 / (1 << 20));

  // isnad
  const double rss0 = StatusMiB("VmRSS:");
  const double build_cpu0 = ThreadCpuUs();
  auto t0 = Clock::now();
  isnad::similar::Index index;
  index.Reserve(o.n);
  for (size_t i = 0; i < o.n; ++i) index.Add(hashes[i], static_cast<uint32_t>(i));
  index.Build();
  auto t1 = Clock::now();
  const double build_cpu_s = (ThreadCpuUs() - build_cpu0) / 1e6;
  const double ours_rss = StatusMiB("VmRSS:") - rss0;
  std::vector<Answer> ours(o.queries);
  Latency ours_lat;
  size_t total_matches = 0;
  for (size_t q = 0; q < o.queries; ++q) {
    const double cpu = ThreadCpuUs();
    auto a = Clock::now();
    const std::vector<isnad::similar::Match> m = index.Query(queries[q], o.radius);
    auto b = Clock::now();
    ours_lat.us.push_back(Seconds(a, b) * 1e6);
    ours_lat.cpu_us.push_back(ThreadCpuUs() - cpu);
    for (const auto& x : m) ours[q].emplace_back(x.id, x.distance);
    std::sort(ours[q].begin(), ours[q].end());
    total_matches += m.size();
  }
  Latency near_lat, random_lat;
  for (size_t q = 0; q < o.queries; ++q) {
    (q % 2 ? random_lat : near_lat).us.push_back(ours_lat.us[q]);
    (q % 2 ? random_lat : near_lat).cpu_us.push_back(ours_lat.cpu_us[q]);
  }
  std::printf(
      "isnad::similar::Index memory: MemoryBytes %.1f MiB, RSS growth %.1f MiB; build "
      "cpu %.2f s\n",
      index.MemoryBytes() / double(1 << 20), ours_rss, build_cpu_s);
  std::printf(
      "matches %zu over %zu queries; cpu p50/p99: near queries %.1f/%.1f us, random "
      "%.1f/%.1f us\n",
      total_matches, o.queries, near_lat.CpuPercentile(0.5), near_lat.CpuPercentile(0.99),
      random_lat.CpuPercentile(0.5), random_lat.CpuPercentile(0.99));
  Report("isnad::similar::Index", Seconds(t0, t1), index.MemoryBytes() / double(1 << 20), ours_lat,
         0, 0);

  if (o.faiss) {
    static_assert(sizeof(Hash) == 32);
    const auto* codes = reinterpret_cast<const uint8_t*>(hashes.data());
    const auto* qcodes = reinterpret_cast<const uint8_t*>(queries.data());
    // FAISS range_search returns distances strictly below the radius.
    const int faiss_radius = o.radius + 1;
    {
      const double r0 = StatusMiB("VmRSS:");
      auto a = Clock::now();
      faiss::IndexBinaryFlat flat(256);
      flat.add(o.n, codes);
      auto b = Clock::now();
      const double mem = StatusMiB("VmRSS:") - r0;
      Latency lat;
      size_t mismatches = 0, compared = 0;
      for (size_t q = 0; q < std::min(o.queries, o.flat_queries); ++q) {
        faiss::RangeSearchResult res(1);
        const double cpu = ThreadCpuUs();
        auto c = Clock::now();
        flat.range_search(1, qcodes + 32 * q, faiss_radius, &res);
        auto d = Clock::now();
        lat.us.push_back(Seconds(c, d) * 1e6);
        lat.cpu_us.push_back(ThreadCpuUs() - cpu);
        mismatches += FromFaiss(res) != ours[q];
        ++compared;
      }
      Report("faiss::IndexBinaryFlat", Seconds(a, b), mem, lat, mismatches, compared);
    }
    {
      const double r0 = StatusMiB("VmRSS:");
      auto a = Clock::now();
      faiss::IndexBinaryMultiHash mh(256, o.nhash, o.b);
      // Exact: a hash within r differs by at most floor(r / nhash) bits on some hashed chunk.
      mh.nflip = o.radius / o.nhash;
      mh.add(o.n, codes);
      auto b = Clock::now();
      const double mem = StatusMiB("VmRSS:") - r0;
      Latency lat;
      size_t mismatches = 0;
      for (size_t q = 0; q < o.queries; ++q) {
        faiss::RangeSearchResult res(1);
        const double cpu = ThreadCpuUs();
        auto c = Clock::now();
        mh.range_search(1, qcodes + 32 * q, faiss_radius, &res);
        auto d = Clock::now();
        lat.us.push_back(Seconds(c, d) * 1e6);
        lat.cpu_us.push_back(ThreadCpuUs() - cpu);
        mismatches += FromFaiss(res) != ours[q];
      }
      char name[64];
      std::snprintf(name, sizeof name, "faiss::IndexBinaryMultiHash(%d,%d,nflip %d)", o.nhash, o.b,
                    mh.nflip);
      Report(name, Seconds(a, b), mem, lat, mismatches, o.queries);
    }
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  std::printf("process peak RSS %.1f MiB\n", ru.ru_maxrss / 1024.0);
  return 0;
}
