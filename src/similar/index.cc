#include "similar/index.h"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <new>
#include <utility>

#include "similar/index_testing.h"

namespace isnad::similar {
namespace {

// A stored hash, aligned so that one never straddles two cache lines: verifying a candidate
// costs one memory access.
struct alignas(32) Words {
  uint64_t w[4];
};

Words ToWords(const pdq::Hash& h) {
  return Words{{h.words[0], h.words[1], h.words[2], h.words[3]}};
}

int Distance(const Words& a, const Words& b) {
  return std::popcount(a.w[0] ^ b.w[0]) + std::popcount(a.w[1] ^ b.w[1]) +
         std::popcount(a.w[2] ^ b.w[2]) + std::popcount(a.w[3] ^ b.w[3]);
}

// An array of trivially copyable T in anonymous memory, zero-filled, which the kernel may back
// with 2 MiB pages (MADV_HUGEPAGE) once it reaches 2 MiB: the query's accesses are random over
// up to gigabytes, and with 4 KiB pages nearly each would also miss the TLB. On allocation
// failure it throws std::bad_alloc, as std::vector.
template <typename T>
class Array {
 public:
  Array() = default;
  Array(const Array&) = delete;
  Array& operator=(const Array&) = delete;
  Array(Array&& o) noexcept { Swap(o); }
  Array& operator=(Array&& o) noexcept {
    if (this != &o) {
      Unmap();
      Swap(o);
    }
    return *this;
  }
  ~Array() { Unmap(); }

  T* data() { return data_; }
  const T* data() const { return data_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  size_t mapped_bytes() const { return mapped_bytes_; }

  void reserve(size_t n) {
    if (n <= capacity_) return;
    Array bigger;
    bigger.Map(n);
    if (size_ > 0) std::memcpy(bigger.data_, data_, size_ * sizeof(T));
    bigger.size_ = size_;
    Swap(bigger);
  }
  void push_back(const T& v) {
    if (size_ == capacity_) reserve(std::max<size_t>(capacity_ * 2, 1024));
    data_[size_++] = v;
  }
  // A fresh array of n zeros.
  void AssignZeros(size_t n) {
    Array fresh;
    fresh.Map(n);
    fresh.size_ = n;
    Swap(fresh);
  }

 private:
  static constexpr size_t kHuge = size_t{2} << 20;

  void Map(size_t n) {
    const size_t bytes = std::max<size_t>(n * sizeof(T), 1);
    if (bytes < kHuge) {
      const size_t len = (bytes + 4095) & ~size_t{4095};
      void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
      data_ = static_cast<T*>(p);
      mapped_bytes_ = len;
    } else {
      // Over-map by one huge page and trim, so that the array starts on a 2 MiB boundary.
      const size_t len = (bytes + kHuge - 1) & ~(kHuge - 1);
      void* p =
          mmap(nullptr, len + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
      const uintptr_t raw = reinterpret_cast<uintptr_t>(p);
      const uintptr_t aligned = (raw + kHuge - 1) & ~(uintptr_t{kHuge} - 1);
      if (aligned > raw) munmap(p, aligned - raw);
      if (aligned + len < raw + len + kHuge) {
        munmap(reinterpret_cast<void*>(aligned + len), raw + kHuge - aligned);
      }
      madvise(reinterpret_cast<void*>(aligned), len, MADV_HUGEPAGE);  // a hint: may fail
      data_ = reinterpret_cast<T*>(aligned);
      mapped_bytes_ = len;
    }
    capacity_ = mapped_bytes_ / sizeof(T);
  }
  void Unmap() noexcept {
    if (data_ != nullptr) munmap(data_, mapped_bytes_);
    data_ = nullptr;
    size_ = capacity_ = mapped_bytes_ = 0;
  }
  void Swap(Array& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
    std::swap(mapped_bytes_, o.mapped_bytes_);
  }

  T* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
  size_t mapped_bytes_ = 0;
};

// The base x86-64 target has no popcount instruction and calls a library routine instead;
// every x86-64 CPU since 2008 has one, so the hot loops get a clone that uses it, chosen at
// load time.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ISNAD_POPCNT_CLONES __attribute__((target_clones("popcnt", "default")))
#else
#define ISNAD_POPCNT_CLONES
#endif

// Below this many hashes no tables are built: a scan is a few microseconds.
constexpr size_t kMinTableSize = 1024;
// The chunk counts tried; a chunk is at most 32 bits wide (256 / 8).
constexpr int kMinChunks = 8;
constexpr int kMaxChunks = 16;
// The relative cost of comparing one stored hash during a sequential scan, against one random
// memory access (a bucket probe or a candidate's hash). Measured: docs/design/similar-index.md.
constexpr double kScanCostPerHash = 1.0 / 16;

struct Chunk {
  int start = 0;  // first bit (0 = least significant bit of words[0])
  int width = 0;  // bits, 1..32
  // postings holds every position, sorted by this chunk's value (ascending positions within a
  // value); offsets[v] .. offsets[v + 1] is the run of those whose value is v.
  Array<uint32_t> offsets;
  Array<uint32_t> postings;

  uint32_t Value(const Words& h) const {
    const int word = start >> 6;
    const int shift = start & 63;
    uint64_t v = h.w[word] >> shift;
    if (shift + width > 64) v |= h.w[word + 1] << (64 - shift);
    return static_cast<uint32_t>(v & ((uint64_t{1} << width) - 1));
  }
};

// Splits 256 bits into m contiguous chunks, the first 256 % m of them one bit wider.
std::vector<std::pair<int, int>> Layout(int m) {
  std::vector<std::pair<int, int>> out;
  int start = 0;
  for (int i = 0; i < m; ++i) {
    const int width = 256 / m + (i < 256 % m ? 1 : 0);
    out.emplace_back(start, width);
    start += width;
  }
  return out;
}

double Binomial(int n, int k) {
  if (k < 0 || k > n) return 0;
  double r = 1;
  for (int i = 1; i <= k; ++i) r = r * (n - k + i) / i;
  return r;
}

// Per-chunk search thresholds for radius r: t[i] = -1 skips chunk i, t[i] >= 0 probes every
// value within t[i] bits of the query's chunk. Exact when sum(t[i] + 1) >= r + 1: a hash that
// misses every probe differs by at least t[i] + 1 bits on each chunk, so by more than r in
// all (the generalised pigeonhole principle). The r + 1 units are handed out greedily to the
// chunk where one more costs least, in expected random memory accesses (probes plus uniform
// candidates); the cost of a chunk is convex in t, so greedy is optimal under that model.
// Returns the model's cost; the caller compares it with a scan.
double Plan(const std::vector<int>& widths, size_t n, int r, double give_up_above,
            std::vector<int>* t) {
  const int m = static_cast<int>(widths.size());
  t->assign(m, -1);
  double cost = 0;
  for (int unit = 0; unit <= r; ++unit) {
    int best = -1;
    double best_cost = 0;
    for (int i = 0; i < m; ++i) {
      if ((*t)[i] >= widths[i]) continue;  // the whole chunk is probed already
      const double per_value = 1.0 + static_cast<double>(n) / std::ldexp(1.0, widths[i]);
      const double c = Binomial(widths[i], (*t)[i] + 1) * per_value;
      if (best < 0 || c < best_cost) {
        best = i;
        best_cost = c;
      }
    }
    if (best < 0) return cost;  // every chunk fully probed: exact for any r
    ++(*t)[best];
    cost += best_cost;
    if (cost > give_up_above) return cost;
  }
  return cost;
}

// Calls visit(v) for every w-bit v within t bits of q, each once.
template <typename Visit>
void ForBall(uint32_t q, int width, int t, int from_bit, Visit& visit) {
  visit(q);
  if (t == 0) return;
  for (int b = from_bit; b < width; ++b)
    ForBall(q ^ (uint32_t{1} << b), width, t - 1, b + 1, visit);
}

struct Hit {
  int distance;
  uint32_t id;
  uint32_t pos;
};

}  // namespace

struct Index::Impl {
  Array<Words> hashes;  // in Add order; position = index here
  Array<uint32_t> ids;
  std::vector<Chunk> chunks;  // empty: no tables (small, or not built)
  std::vector<int> widths;
  size_t built_size = 0;  // hashes.size() at the last Build
  bool built = false;
  bool force_tables = false;  // IndexTestPeer::ForceTables

  int ChooseChunkCount(size_t n) const;
  void BuildChunk(Chunk& c, std::vector<uint64_t>& a, std::vector<uint64_t>& b) const;
  void Scan(const Words& q, int r, std::vector<Hit>& hits) const;
  void Probe(const Words& q, int r, const std::vector<int>& t, std::vector<Hit>& hits) const;
};

// The chunk count whose modelled cost at the default radius is least, among those whose
// widest chunk has at most ceil(log2 n) + 1 bits: the direct-indexed offset tables then take
// at most 4 * 4n bytes each (docs/design/similar-index.md has the measurements).
int Index::Impl::ChooseChunkCount(size_t n) const {
  const int max_width = static_cast<int>(std::ceil(std::log2(static_cast<double>(n)))) + 1;
  int best = kMaxChunks;
  double best_cost = 0;
  bool have = false;
  for (int m = kMinChunks; m <= kMaxChunks; ++m) {
    std::vector<int> w;
    for (const auto& [start, width] : Layout(m)) w.push_back(width);
    if (*std::max_element(w.begin(), w.end()) > max_width) continue;
    std::vector<int> t;
    const double cost = Plan(w, n, pdq::kDefaultMatchDistance, 1e300, &t);
    if (!have || cost < best_cost) {
      best = m;
      best_cost = cost;
      have = true;
    }
  }
  return best;
}

// Sorts all positions by chunk value: an LSD radix sort of (value << 32 | position) in passes
// of at most 12 bits (each pass's 4096 write cursors stay in cache, where one counting sort
// over 2^24 buckets would miss the cache twice per hash), then one sequential pass writes the
// offsets. Positions stay ascending within a bucket. `a` and `b` are scratch, n each.
void Index::Impl::BuildChunk(Chunk& c, std::vector<uint64_t>& a, std::vector<uint64_t>& b) const {
  const size_t n = hashes.size();
  for (size_t i = 0; i < n; ++i) a[i] = (uint64_t{c.Value(hashes[i])} << 32) | i;
  const int passes = (c.width + 11) / 12;
  const int digit_bits = (c.width + passes - 1) / passes;
  std::vector<uint32_t> count(size_t{1} << digit_bits);
  for (int pass = 0; pass < passes; ++pass) {
    const int shift = 32 + pass * digit_bits;
    const uint64_t mask = (uint64_t{1} << digit_bits) - 1;
    std::fill(count.begin(), count.end(), 0);
    for (size_t i = 0; i < n; ++i) ++count[(a[i] >> shift) & mask];
    uint32_t sum = 0;
    for (uint32_t& x : count) sum += std::exchange(x, sum);
    for (size_t i = 0; i < n; ++i) b[count[(a[i] >> shift) & mask]++] = a[i];
    std::swap(a, b);
  }
  const size_t buckets = size_t{1} << c.width;
  c.offsets.AssignZeros(buckets + 1);
  c.postings.AssignZeros(n);
  size_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    const size_t key = a[i] >> 32;
    while (v <= key) c.offsets[v++] = static_cast<uint32_t>(i);
    c.postings[i] = static_cast<uint32_t>(a[i]);
  }
  while (v <= buckets) c.offsets[v++] = static_cast<uint32_t>(n);
}

ISNAD_POPCNT_CLONES void Index::Impl::Scan(const Words& q, int r, std::vector<Hit>& hits) const {
  for (size_t i = 0; i < hashes.size(); ++i) {
    const int d = Distance(q, hashes[i]);
    if (d <= r) hits.push_back({d, ids[i], static_cast<uint32_t>(i)});
  }
}

ISNAD_POPCNT_CLONES void Index::Impl::Probe(const Words& q, int r, const std::vector<int>& t,
                                            std::vector<Hit>& hits) const {
  // Four passes, each over independent random memory accesses, with the next pass's data
  // prefetched a few steps ahead: bucket offsets, then posting lists, then candidate hashes.
  // A loop that followed one probe to its hashes before the next would wait on each access
  // in turn (its branches on bucket sizes defeat out-of-order execution).
  constexpr size_t kAhead = 16;
  const int m = static_cast<int>(chunks.size());
  uint32_t qv[kMaxChunks];
  for (int i = 0; i < m; ++i) qv[i] = chunks[i].Value(q);

  // (chunk << 32) | chunk value, for every value probed.
  std::vector<uint64_t> probes;
  for (int i = 0; i < m; ++i) {
    if (t[i] < 0) continue;
    auto add = [&](uint32_t v) {
      probes.push_back((uint64_t{static_cast<uint32_t>(i)} << 32) | v);
    };
    ForBall(qv[i], chunks[i].width, t[i], 0, add);
  }
  auto chunk_of = [](uint64_t x) { return static_cast<int>(x >> 32); };
  auto low = [](uint64_t x) { return static_cast<uint32_t>(x); };

  // (chunk << 32) | first posting, and the end, of each non-empty bucket.
  std::vector<std::pair<uint64_t, uint32_t>> ranges;
  for (size_t k = 0; k < probes.size(); ++k) {
    if (k + kAhead < probes.size()) {
      const uint64_t p = probes[k + kAhead];
      __builtin_prefetch(chunks[chunk_of(p)].offsets.data() + low(p));
    }
    const Chunk& c = chunks[chunk_of(probes[k])];
    const uint32_t begin = c.offsets[low(probes[k])];
    const uint32_t end = c.offsets[low(probes[k]) + 1];
    if (begin != end) {
      __builtin_prefetch(c.postings.data() + begin);
      ranges.emplace_back((probes[k] & ~uint64_t{0xffffffff}) | begin, end);
    }
  }

  // (chunk << 32) | position, of every candidate.
  std::vector<uint64_t> candidates;
  for (size_t k = 0; k < ranges.size(); ++k) {
    if (k + kAhead < ranges.size()) {
      const uint64_t p = ranges[k + kAhead].first;
      __builtin_prefetch(chunks[chunk_of(p)].postings.data() + low(p));
    }
    const uint64_t chunk_bits = ranges[k].first & ~uint64_t{0xffffffff};
    const uint32_t* postings = chunks[chunk_of(ranges[k].first)].postings.data();
    for (uint32_t j = low(ranges[k].first); j < ranges[k].second; ++j) {
      candidates.push_back(chunk_bits | postings[j]);
    }
  }

  for (size_t k = 0; k < std::min(kAhead, candidates.size()); ++k) {
    __builtin_prefetch(&hashes[low(candidates[k])]);
  }
  for (size_t k = 0; k < candidates.size(); ++k) {
    if (k + kAhead < candidates.size()) __builtin_prefetch(&hashes[low(candidates[k + kAhead])]);
    const uint32_t pos = low(candidates[k]);
    const Words& h = hashes[pos];
    const int d = Distance(q, h);
    if (d > r) continue;
    // A hash within r is reached through every chunk j where it is within t[j] of the query;
    // it is reported only from the first such chunk, so once.
    const int i = chunk_of(candidates[k]);
    bool earlier = false;
    for (int j = 0; j < i && !earlier; ++j) {
      earlier = t[j] >= 0 && std::popcount(chunks[j].Value(h) ^ qv[j]) <= t[j];
    }
    if (!earlier) hits.push_back({d, ids[pos], pos});
  }
}

void IndexTestPeer::ForceTables(Index& index) {
  if (index.impl_ == nullptr) index.impl_ = new Index::Impl;
  index.impl_->force_tables = true;
}

Index::Index() : impl_(new Impl) {}
Index::~Index() { delete impl_; }
Index::Index(Index&& other) noexcept : impl_(std::exchange(other.impl_, nullptr)) {}
Index& Index::operator=(Index&& other) noexcept {
  if (this != &other) {
    delete impl_;
    impl_ = std::exchange(other.impl_, nullptr);
  }
  return *this;
}

void Index::Add(const pdq::Hash& hash, uint32_t id) {
  if (impl_ == nullptr) impl_ = new Impl;  // a moved-from index is empty and usable
  impl_->hashes.push_back(ToWords(hash));
  impl_->ids.push_back(id);
}

void Index::Reserve(size_t n) {
  if (impl_ == nullptr) impl_ = new Impl;
  impl_->hashes.reserve(n);
  impl_->ids.reserve(n);
}

void Index::Build() {
  if (impl_ == nullptr) impl_ = new Impl;
  Impl& s = *impl_;
  s.chunks.clear();
  s.widths.clear();
  s.built_size = s.hashes.size();
  s.built = true;
  if (s.hashes.size() == 0 || (s.hashes.size() < kMinTableSize && !s.force_tables)) return;
  std::vector<uint64_t> a(s.hashes.size()), b(s.hashes.size());
  for (const auto& [start, width] : Layout(s.ChooseChunkCount(s.hashes.size()))) {
    Chunk c;
    c.start = start;
    c.width = width;
    s.BuildChunk(c, a, b);
    s.chunks.push_back(std::move(c));
    s.widths.push_back(width);
  }
}

size_t Index::size() const { return impl_ == nullptr ? 0 : impl_->hashes.size(); }

size_t Index::MemoryBytes() const {
  if (impl_ == nullptr) return 0;
  size_t bytes = sizeof(Impl) + impl_->hashes.mapped_bytes() + impl_->ids.mapped_bytes();
  for (const Chunk& c : impl_->chunks) {
    bytes += c.offsets.mapped_bytes() + c.postings.mapped_bytes();
  }
  return bytes;
}

std::vector<Match> Index::Query(const pdq::Hash& query, int radius) const {
  std::vector<Match> out;
  if (impl_ == nullptr || radius < 0) return out;
  const Impl& s = *impl_;
  const Words q = ToWords(query);
  const int r = std::min(radius, 256);
  std::vector<Hit> hits;
  // Hashes added since the last Build are not in the tables: scan, which is exact too.
  const bool tables = s.built && s.built_size == s.hashes.size() && !s.chunks.empty();
  std::vector<int> t;
  const double scan_cost =
      s.force_tables ? 1e300 : static_cast<double>(s.hashes.size()) * kScanCostPerHash;
  if (tables && Plan(s.widths, s.hashes.size(), r, scan_cost, &t) <= scan_cost) {
    s.Probe(q, r, t, hits);
  } else {
    s.Scan(q, r, hits);
  }
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    if (a.distance != b.distance) return a.distance < b.distance;
    if (a.id != b.id) return a.id < b.id;
    return a.pos < b.pos;
  });
  out.reserve(hits.size());
  for (const Hit& h : hits) out.push_back({h.id, h.distance});
  return out;
}

}  // namespace isnad::similar
