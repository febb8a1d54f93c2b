#include "similar/index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <tuple>
#include <vector>

#include "similar/index_testing.h"

namespace isnad::similar {
namespace {

pdq::Hash RandomHash(std::mt19937_64& rng) {
  pdq::Hash h;
  for (auto& w : h.words) w = rng();
  return h;
}

// `h` with `k` distinct bits flipped.
pdq::Hash Flip(pdq::Hash h, int k, std::mt19937_64& rng) {
  std::vector<int> bits(256);
  for (int i = 0; i < 256; ++i) bits[i] = i;
  std::shuffle(bits.begin(), bits.end(), rng);
  for (int i = 0; i < k; ++i) h.words[bits[i] >> 6] ^= uint64_t{1} << (bits[i] & 63);
  return h;
}

// Near-duplicate families, as re-encoded, resized or cropped copies of one picture give:
// each a base hash and members 0..40 bits from it, so buckets are skewed.
std::vector<pdq::Hash> Clustered(size_t n, std::mt19937_64& rng) {
  std::vector<pdq::Hash> out;
  std::uniform_int_distribution<int> family_size(1, 60), flips(0, 40);
  while (out.size() < n) {
    const pdq::Hash base = RandomHash(rng);
    for (int i = family_size(rng); i > 0 && out.size() < n; --i) {
      out.push_back(Flip(base, flips(rng), rng));
    }
  }
  return out;
}

std::vector<Match> BruteForce(const std::vector<pdq::Hash>& hashes, const pdq::Hash& q, int r) {
  std::vector<Match> out;
  for (size_t i = 0; i < hashes.size(); ++i) {
    const int d = pdq::Distance(hashes[i], q);
    if (d <= r) out.push_back({static_cast<uint32_t>(i), d});
  }
  std::sort(out.begin(), out.end(), [](const Match& a, const Match& b) {
    return std::tie(a.distance, a.id) < std::tie(b.distance, b.id);
  });
  return out;
}

void ExpectSame(const std::vector<Match>& got, const std::vector<Match>& want, int r) {
  ASSERT_EQ(got.size(), want.size()) << "radius " << r;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].id, want[i].id) << "radius " << r << " at " << i;
    EXPECT_EQ(got[i].distance, want[i].distance) << "radius " << r << " at " << i;
  }
}

enum class Mode { kPlanned, kTablesOnly };

// Queries of which half are near copies of stored hashes (so most answers are not empty) and
// half fresh random hashes, checked against a brute-force scan at every radius. kPlanned lets
// the index scan where that is cheaper (small sets, large radii); kTablesOnly makes it probe
// its tables at every radius.
void CheckAgainstBruteForce(const std::vector<pdq::Hash>& hashes, Mode mode, std::mt19937_64& rng) {
  Index index;
  if (mode == Mode::kTablesOnly) IndexTestPeer::ForceTables(index);
  index.Reserve(hashes.size());
  for (size_t i = 0; i < hashes.size(); ++i) index.Add(hashes[i], static_cast<uint32_t>(i));
  index.Build();
  ASSERT_EQ(index.size(), hashes.size());
  std::uniform_int_distribution<size_t> pick(0, hashes.size() - 1);
  std::uniform_int_distribution<int> flips(0, 40);
  size_t nonempty_at_31 = 0;
  for (int qi = 0; qi < 30; ++qi) {
    const pdq::Hash q = qi % 2 == 0 ? Flip(hashes[pick(rng)], flips(rng), rng) : RandomHash(rng);
    const std::vector<Match> all = BruteForce(hashes, q, 256);
    for (int r : {0, 1, 15, 31, 32, 47, 64, 255}) {
      // Through the tables a radius of 255 probes every value of every chunk: slow, and no
      // different in kind from 64 (which probes up to 4 bits per 16-bit chunk).
      if (mode == Mode::kTablesOnly && r > 64) continue;
      std::vector<Match> want;
      for (const Match& x : all) {
        if (x.distance <= r) want.push_back(x);
      }
      ExpectSame(index.Query(q, r), want, r);
      if (r == 31 && !want.empty()) ++nonempty_at_31;
    }
  }
  EXPECT_GT(nonempty_at_31, 5u);  // the comparison saw real matches, not only empty sets
}

std::vector<pdq::Hash> RandomSet(size_t n, std::mt19937_64& rng) {
  std::vector<pdq::Hash> hashes;
  for (size_t i = 0; i < n; ++i) hashes.push_back(RandomHash(rng));
  return hashes;
}

TEST(SimilarIndex, RandomHashesMatchBruteForce) {
  std::mt19937_64 rng(1);
  CheckAgainstBruteForce(RandomSet(20000, rng), Mode::kPlanned, rng);
}

TEST(SimilarIndex, RandomHashesMatchBruteForceThroughTables) {
  std::mt19937_64 rng(11);
  CheckAgainstBruteForce(RandomSet(20000, rng), Mode::kTablesOnly, rng);
}

TEST(SimilarIndex, ClusteredHashesMatchBruteForce) {
  std::mt19937_64 rng(2);
  CheckAgainstBruteForce(Clustered(20000, rng), Mode::kPlanned, rng);
}

TEST(SimilarIndex, ClusteredHashesMatchBruteForceThroughTables) {
  std::mt19937_64 rng(12);
  CheckAgainstBruteForce(Clustered(20000, rng), Mode::kTablesOnly, rng);
}

TEST(SimilarIndex, SmallIndexMatchesBruteForce) {
  std::mt19937_64 rng(3);
  CheckAgainstBruteForce(Clustered(300, rng), Mode::kPlanned, rng);
  CheckAgainstBruteForce(Clustered(300, rng), Mode::kTablesOnly, rng);
}

TEST(SimilarIndex, IncludesExactlyRadiusExcludesOneMore) {
  std::mt19937_64 rng(4);
  std::vector<pdq::Hash> hashes;
  for (int i = 0; i < 5000; ++i) hashes.push_back(RandomHash(rng));
  const pdq::Hash q = RandomHash(rng);
  // Stored hashes at exactly 0..40 bits from the query, ids 100000 + distance.
  Index index;
  for (size_t i = 0; i < hashes.size(); ++i) index.Add(hashes[i], static_cast<uint32_t>(i));
  for (int k = 0; k <= 40; ++k) index.Add(Flip(q, k, rng), 100000 + k);
  index.Build();
  for (int r : {0, 1, 15, 30, 31, 32}) {
    std::vector<Match> got = index.Query(q, r);
    ASSERT_EQ(got.size(), static_cast<size_t>(r + 1)) << "radius " << r;
    for (int k = 0; k <= r; ++k) {
      EXPECT_EQ(got[k].id, static_cast<uint32_t>(100000 + k));
      EXPECT_EQ(got[k].distance, k);
    }
  }
}

TEST(SimilarIndex, EmptyIndexFindsNothing) {
  std::mt19937_64 rng(5);
  Index index;
  EXPECT_TRUE(index.Query(RandomHash(rng), 31).empty());
  index.Build();
  EXPECT_EQ(index.size(), 0u);
  EXPECT_TRUE(index.Query(RandomHash(rng), 255).empty());
}

TEST(SimilarIndex, DuplicatesAreEachReported) {
  std::mt19937_64 rng(6);
  Index index;
  for (int i = 0; i < 3000; ++i) index.Add(RandomHash(rng), 1000 + i);
  const pdq::Hash h = RandomHash(rng);
  index.Add(h, 7);
  index.Add(h, 7);  // the same hash under the same id (two identical video frames)
  index.Add(h, 3);
  index.Add(Flip(h, 2, rng), 5);
  index.Build();
  const std::vector<Match> got = index.Query(h, 31);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].id, 3u);
  EXPECT_EQ(got[1].id, 7u);
  EXPECT_EQ(got[2].id, 7u);
  EXPECT_EQ(got[3].id, 5u);
  EXPECT_EQ(got[0].distance, 0);
  EXPECT_EQ(got[3].distance, 2);
}

TEST(SimilarIndex, SortedByDistanceThenId) {
  std::mt19937_64 rng(7);
  const pdq::Hash q = RandomHash(rng);
  Index index;
  std::vector<pdq::Hash> hashes;
  for (uint32_t id = 5000; id > 0; --id) {
    hashes.push_back(Flip(q, static_cast<int>(id % 40), rng));
    index.Add(hashes.back(), id);
  }
  index.Build();
  const std::vector<Match> got = index.Query(q, 31);
  size_t want = 0;
  for (uint32_t id = 1; id <= 5000; ++id) want += id % 40 <= 31 ? 1 : 0;
  ASSERT_EQ(got.size(), want);
  for (size_t i = 1; i < got.size(); ++i) {
    EXPECT_TRUE(std::tie(got[i - 1].distance, got[i - 1].id) < std::tie(got[i].distance, got[i].id))
        << "at " << i;
  }
}

TEST(SimilarIndex, AddAfterBuild) {
  std::mt19937_64 rng(8);
  std::vector<pdq::Hash> hashes;
  for (int i = 0; i < 4000; ++i) hashes.push_back(RandomHash(rng));
  Index index;
  for (size_t i = 0; i < hashes.size(); ++i) index.Add(hashes[i], static_cast<uint32_t>(i));
  index.Build();
  const pdq::Hash q = RandomHash(rng);
  const pdq::Hash near = Flip(q, 10, rng);
  EXPECT_TRUE(index.Query(q, 31).empty());
  hashes.push_back(near);
  index.Add(near, static_cast<uint32_t>(hashes.size() - 1));
  // Not yet rebuilt: still exact (the index scans until Build).
  ExpectSame(index.Query(q, 31), BruteForce(hashes, q, 31), 31);
  index.Build();
  const std::vector<Match> got = index.Query(q, 31);
  ExpectSame(got, BruteForce(hashes, q, 31), 31);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, 4000u);
  EXPECT_EQ(got[0].distance, 10);
}

TEST(SimilarIndex, MovedIndexKeepsItsHashes) {
  std::mt19937_64 rng(9);
  Index a;
  const pdq::Hash h = RandomHash(rng);
  a.Add(h, 42);
  a.Build();
  Index b = std::move(a);
  ASSERT_EQ(b.Query(h, 0).size(), 1u);
  EXPECT_EQ(b.Query(h, 0)[0].id, 42u);
  EXPECT_GT(b.MemoryBytes(), 0u);
}

TEST(SimilarIndex, MemoryGrowsLinearly) {
  std::mt19937_64 rng(10);
  Index index;
  for (int i = 0; i < 100000; ++i) index.Add(RandomHash(rng), i);
  index.Build();
  // Hashes and ids (36 bytes each), one posting (4 bytes) and at most 16 offset bytes per hash
  // per chunk, at most 16 chunks.
  EXPECT_GE(index.MemoryBytes(), 100000u * 36);
  EXPECT_LE(index.MemoryBytes(), 100000u * (36 + 16 * 20));
}

}  // namespace
}  // namespace isnad::similar
