// Merkle tree tests: the transparency-dev/merkle conformance vectors, the
// RFC 6962 reference tree, and property tests of proof generation (in memory
// and from a Log on disk) against a naive transcription of RFC 9162 §2.1.
#include "log/merkle.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>

#include "core/encoding.h"
#include "core/env.h"
#include "core/testing/temp_dir.h"
#include "log/log.h"
#include "log/note.h"

namespace isnad::tlog {
namespace {

namespace fs = std::filesystem;
using core::Hash;
using Json = nlohmann::json;

const std::string kMerkleDir = std::string(ISNAD_TESTDATA_DIR) + "/merkle-rfc6962";

Json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str());
}

Hash H(std::string_view hex) { return *Hash::FromHex(hex); }

// A base64 field as a Hash; nullopt when it is not 32 bytes (such a value
// cannot be passed to isnad's verifiers at all, which counts as rejected).
std::optional<Hash> HashFromB64(const Json& v) {
  auto raw = core::Base64Decode(v.get<std::string>());
  if (!raw.ok()) return std::nullopt;
  auto h = Hash::FromBytes(*raw);
  if (!h.ok()) return std::nullopt;
  return *h;
}

std::optional<std::vector<Hash>> ProofFromJson(const Json& v) {
  std::vector<Hash> out;
  if (v.is_null()) return out;
  for (const auto& e : v) {
    auto h = HashFromB64(e);
    if (!h) return std::nullopt;
    out.push_back(*h);
  }
  return out;
}

std::vector<fs::path> JsonFiles(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".json") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

#define SKIP_WITHOUT_TESTDATA()                                                           \
  if (!fs::exists(kMerkleDir)) {                                                          \
    GTEST_SKIP() << "conformance data folder merkle-rfc6962 not found at " << kMerkleDir; \
  }

TEST(MerkleVectors, EveryInclusionFile) {
  SKIP_WITHOUT_TESTDATA();
  auto files = JsonFiles(kMerkleDir + "/inclusion");
  EXPECT_EQ(files.size(), 98u);  // per the folder's README
  int accepted = 0;
  for (const auto& path : files) {
    SCOPED_TRACE(path.string());
    Json j = ReadJson(path);
    bool want_ok = !j.at("wantErr").get<bool>();
    auto leaf = HashFromB64(j.at("leafHash"));
    auto root = HashFromB64(j.at("root"));
    auto proof = ProofFromJson(j.at("proof"));
    bool got_ok = false;
    if (leaf && root && proof) {
      core::Status s = VerifyInclusion(j.at("leafIdx").get<uint64_t>(),
                                       j.at("treeSize").get<uint64_t>(), *leaf, *proof, *root);
      got_ok = s.ok();
      if (!s.ok()) {
        EXPECT_EQ(s.code(), core::Code::kIntegrity) << s.ToString();
        EXPECT_FALSE(s.message().empty());
      }
    }
    EXPECT_EQ(got_ok, want_ok) << j.at("desc").get<std::string>();
    accepted += got_ok;
  }
  EXPECT_GE(accepted, 6);  // the happy paths and the single-entry case
}

TEST(MerkleVectors, EveryConsistencyFile) {
  SKIP_WITHOUT_TESTDATA();
  auto files = JsonFiles(kMerkleDir + "/consistency");
  EXPECT_EQ(files.size(), 98u);
  int accepted = 0;
  for (const auto& path : files) {
    SCOPED_TRACE(path.string());
    Json j = ReadJson(path);
    bool want_ok = !j.at("wantErr").get<bool>();
    // Known deviation: this vector's "roots" are 11 bytes. The reference
    // implementation compares them as bytes when the sizes are equal; isnad's
    // hashes are always 32 bytes, so it cannot be given them and rejects it.
    // See docs/formats/tiles.md, "Conformance".
    if (path.filename() == "sizes-are-equal-one-and-proof-is-empty.json") {
      ASSERT_TRUE(want_ok);
      ASSERT_FALSE(HashFromB64(j.at("root1")).has_value());
      want_ok = false;
    }
    auto root1 = HashFromB64(j.at("root1"));
    auto root2 = HashFromB64(j.at("root2"));
    auto proof = ProofFromJson(j.at("proof"));
    bool got_ok = false;
    if (root1 && root2 && proof) {
      core::Status s = VerifyConsistency(j.at("size1").get<uint64_t>(),
                                         j.at("size2").get<uint64_t>(), *proof, *root1, *root2);
      got_ok = s.ok();
      if (!s.ok()) {
        EXPECT_EQ(s.code(), core::Code::kIntegrity) << s.ToString();
      }
    }
    EXPECT_EQ(got_ok, want_ok) << j.at("desc").get<std::string>();
    accepted += got_ok;
  }
  EXPECT_GE(accepted, 5);
}

TEST(MerkleVectors, ReferenceTreeHashes) {
  SKIP_WITHOUT_TESTDATA();
  Json j = ReadJson(kMerkleDir + "/tree-hashes.json");
  for (const auto& v : j.at("hasher_vectors")) {
    SCOPED_TRACE(v.at("desc").get<std::string>());
    std::string op = v.at("op");
    Hash want = H(v.at("want").get<std::string>());
    if (op == "empty_root") {
      EXPECT_EQ(EmptyRoot(), want);
    } else if (op == "hash_leaf") {
      EXPECT_EQ(LeafHash(*core::HexDecode(v.at("input_hex").get<std::string>())), want);
    } else {
      // NodeHash takes 32-byte children; this vector's are short strings, so
      // check the same definition SHA-256(0x01 || left || right) directly.
      std::string in = "\x01" + *core::HexDecode(v.at("left_hex").get<std::string>()) +
                       *core::HexDecode(v.at("right_hex").get<std::string>());
      EXPECT_EQ(core::Sha256Of(in), want);
    }
  }
  std::vector<std::string> leaves;
  for (const auto& hex : j.at("leaf_inputs_hex")) {
    leaves.push_back(*core::HexDecode(hex.get<std::string>()));
  }
  ASSERT_EQ(leaves.size(), 8u);
  // Level 0 is the leaf hashes; each level up pairs the one below.
  std::vector<Hash> row;
  for (const auto& l : leaves) row.push_back(LeafHash(l));
  for (const auto& level : j.at("node_hashes_by_level")) {
    ASSERT_EQ(row.size(), level.size());
    for (size_t i = 0; i < row.size(); ++i) EXPECT_EQ(row[i], H(level[i].get<std::string>()));
    std::vector<Hash> next;
    for (size_t i = 0; i + 1 < row.size(); i += 2) next.push_back(NodeHash(row[i], row[i + 1]));
    row = next;
  }
  class Src : public SubtreeHashSource {
   public:
    explicit Src(const Json& levels) : levels_(levels) {}
    core::StatusOr<Hash> SubtreeHash(int level, uint64_t index) override {
      return H(levels_.at(level).at(index).get<std::string>());
    }
    const Json& levels_;
  } src(j.at("node_hashes_by_level"));
  for (const auto& [n, root] : j.at("root_by_tree_size").items()) {
    SCOPED_TRACE("size " + n);
    auto got = TreeRoot(src, std::stoull(n));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, H(root.get<std::string>()));
  }
}

// ---------------------------------------------------------------------------
// A deliberately naive reference: RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1
// transcribed literally. D[n] is held as the leaf hashes MTH({d}) =
// SHA-256(0x00 || d), computed once with plain SHA-256 (not LeafHash), so the
// recursion does not rehash every entry at every level.
using RefLeaves = std::vector<Hash>;

RefLeaves RefLeafHashes(const std::vector<std::string>& d) {
  RefLeaves out;
  for (const auto& e : d) out.push_back(core::Sha256Of(std::string(1, '\0') + e));
  return out;
}

uint64_t RefSplit(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// MTH(D[lo:hi]).
Hash RefMth(const RefLeaves& d, uint64_t lo, uint64_t hi) {
  uint64_t n = hi - lo;
  if (n == 0) return core::Sha256Of("");
  if (n == 1) return d[lo];
  uint64_t k = RefSplit(n);
  Hash l = RefMth(d, lo, lo + k);
  Hash r = RefMth(d, lo + k, hi);
  core::Sha256 h;
  h.Update("\x01", 1);
  h.Update(l.View());
  h.Update(r.View());
  return h.Finish();
}

// PATH(m, D[lo:hi]).
std::vector<Hash> RefPath(uint64_t m, const RefLeaves& d, uint64_t lo, uint64_t hi) {
  uint64_t n = hi - lo;
  if (n == 1) return {};
  uint64_t k = RefSplit(n);
  std::vector<Hash> p;
  if (m < k) {
    p = RefPath(m, d, lo, lo + k);
    p.push_back(RefMth(d, lo + k, hi));
  } else {
    p = RefPath(m - k, d, lo + k, hi);
    p.push_back(RefMth(d, lo, lo + k));
  }
  return p;
}

// SUBPROOF(m, D[lo:hi], b).
std::vector<Hash> RefSubproof(uint64_t m, const RefLeaves& d, uint64_t lo, uint64_t hi, bool b) {
  uint64_t n = hi - lo;
  if (m == n) {
    if (b) return {};
    return {RefMth(d, lo, hi)};
  }
  uint64_t k = RefSplit(n);
  std::vector<Hash> p;
  if (m <= k) {
    p = RefSubproof(m, d, lo, lo + k, b);
    p.push_back(RefMth(d, lo + k, hi));
  } else {
    p = RefSubproof(m - k, d, lo + k, hi, false);
    p.push_back(RefMth(d, lo, lo + k));
  }
  return p;
}

std::vector<Hash> RefProof(uint64_t m, const RefLeaves& d, uint64_t n) {
  return RefSubproof(m, d, 0, n, true);
}

// ---------------------------------------------------------------------------

std::vector<std::string> MakeEntries(uint64_t n) {
  std::vector<std::string> out;
  out.reserve(n);
  for (uint64_t i = 0; i < n; ++i) out.push_back("entry " + std::to_string(i * 7919 % 1000003));
  return out;
}

// Perfect-subtree hashes of a prefix of a list of entries, kept in memory;
// refuses subtrees reaching past `limit` as the contract allows.
class MemorySource : public SubtreeHashSource {
 public:
  explicit MemorySource(const std::vector<std::string>& entries) {
    levels_.emplace_back();
    for (const auto& e : entries) levels_[0].push_back(LeafHash(e));
    while (levels_.back().size() > 1) {
      const auto& below = levels_.back();
      std::vector<Hash> up;
      for (size_t i = 0; i + 1 < below.size(); i += 2)
        up.push_back(NodeHash(below[i], below[i + 1]));
      levels_.push_back(std::move(up));
    }
  }
  core::StatusOr<Hash> SubtreeHash(int level, uint64_t index) override {
    ++calls;
    if (level < 0 || static_cast<size_t>(level) >= levels_.size() ||
        index >= levels_[level].size() || ((index + 1) << level) > limit) {
      return core::Internal("subtree outside the tree");
    }
    return levels_[level][index];
  }
  uint64_t limit = 0;
  uint64_t calls = 0;

 private:
  std::vector<std::vector<Hash>> levels_;
};

Hash Flip(Hash h, int bit) {
  h.bytes[(bit / 8) % 32] ^= static_cast<uint8_t>(1u << (bit % 8));
  return h;
}

void CheckInclusion(SubtreeHashSource& src, const RefLeaves& d, uint64_t index, uint64_t size,
                    const Hash& root, std::mt19937_64& rng) {
  SCOPED_TRACE("inclusion of " + std::to_string(index) + " in " + std::to_string(size));
  auto proof = InclusionProof(src, index, size);
  ASSERT_TRUE(proof.ok()) << proof.status().ToString();
  ASSERT_EQ(*proof, RefPath(index, d, 0, size));
  Hash leaf = d[index];
  ASSERT_TRUE(VerifyInclusion(index, size, leaf, *proof, root).ok());
  EXPECT_FALSE(VerifyInclusion(index, size, Flip(leaf, rng() % 256), *proof, root).ok());
  EXPECT_FALSE(VerifyInclusion(index, size, leaf, *proof, Flip(root, rng() % 256)).ok());
  if (!proof->empty()) {
    auto bad = *proof;
    size_t i = rng() % bad.size();
    bad[i] = Flip(bad[i], rng() % 256);
    EXPECT_FALSE(VerifyInclusion(index, size, leaf, bad, root).ok());
    bad = *proof;
    bad.pop_back();
    EXPECT_FALSE(VerifyInclusion(index, size, leaf, bad, root).ok());
  }
  auto longer = *proof;
  longer.push_back(leaf);
  EXPECT_FALSE(VerifyInclusion(index, size, leaf, longer, root).ok());
}

void CheckConsistency(SubtreeHashSource& src, const RefLeaves& d, uint64_t m, uint64_t n,
                      const Hash& root1, const Hash& root2, std::mt19937_64& rng) {
  SCOPED_TRACE("consistency " + std::to_string(m) + " -> " + std::to_string(n));
  auto proof = ConsistencyProof(src, m, n);
  ASSERT_TRUE(proof.ok()) << proof.status().ToString();
  ASSERT_EQ(*proof, RefProof(m, d, n));
  ASSERT_TRUE(VerifyConsistency(m, n, *proof, root1, root2).ok());
  EXPECT_FALSE(VerifyConsistency(m, n, *proof, Flip(root1, rng() % 256), root2).ok());
  EXPECT_FALSE(VerifyConsistency(m, n, *proof, root1, Flip(root2, rng() % 256)).ok());
  if (!proof->empty()) {
    auto bad = *proof;
    size_t i = rng() % bad.size();
    bad[i] = Flip(bad[i], rng() % 256);
    EXPECT_FALSE(VerifyConsistency(m, n, bad, root1, root2).ok());
  }
}

TEST(MerkleProperties, InMemoryMatchesReference) {
  std::mt19937_64 rng(20240601);
  std::vector<uint64_t> sizes = {1, 2, 3, 4, 5, 7, 8, 9, 255, 256, 257, 511, 512, 513, 1000};
  for (int i = 0; i < 40; ++i) sizes.push_back(1 + rng() % 3000);
  const auto entries = MakeEntries(3000);
  const RefLeaves ref = RefLeafHashes(entries);
  MemorySource src(entries);
  for (uint64_t n : sizes) {
    SCOPED_TRACE("size " + std::to_string(n));
    src.limit = n;
    Hash root = RefMth(ref, 0, n);
    auto got = TreeRoot(src, n);
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(*got, root);
    for (int t = 0; t < 4; ++t) {
      uint64_t lo = rng() % n;
      uint64_t hi = lo + 1 + rng() % (n - lo);
      auto rh = RangeHash(src, lo, hi);  // aligned or not, both must agree with MTH
      ASSERT_TRUE(rh.ok());
      EXPECT_EQ(*rh, RefMth(ref, lo, hi)) << "[" << lo << ", " << hi << ")";
    }
    std::vector<uint64_t> indices = {0, n - 1, n / 2};
    for (int t = 0; t < 6; ++t) indices.push_back(rng() % n);
    for (uint64_t i : indices) CheckInclusion(src, ref, i, n, root, rng);
    std::vector<uint64_t> olds = {1, n, n / 2 + 1};
    for (int t = 0; t < 4; ++t) olds.push_back(1 + rng() % n);
    for (uint64_t m : olds) {
      CheckConsistency(src, ref, m, n, RefMth(ref, 0, m), root, rng);
    }
  }
}

// Grown one leaf at a time, the builder's root at every size is the reference MTH.
TEST(MerkleProperties, RootBuilderMatchesReferenceAtEverySize) {
  const auto entries = MakeEntries(1100);
  const RefLeaves ref = RefLeafHashes(entries);
  RootBuilder b;
  EXPECT_EQ(b.Root(), EmptyRoot());
  for (uint64_t n = 1; n <= entries.size(); ++n) {
    b.Append(LeafHash(entries[n - 1]));
    ASSERT_EQ(b.size(), n);
    ASSERT_EQ(b.Root(), RefMth(ref, 0, n)) << "size " << n;
  }
}

// Around the 65,536 boundary (where a third tile level appears), a few
// targeted sizes; the reference is O(n) per proof, so few indices each.
TEST(MerkleProperties, LargeBoundarySizes) {
  std::mt19937_64 rng(7);
  const auto entries = MakeEntries(65537 + 256);
  const RefLeaves ref = RefLeafHashes(entries);
  MemorySource src(entries);
  for (uint64_t n : {65535ull, 65536ull, 65537ull, 65536ull + 256 + 1}) {
    SCOPED_TRACE("size " + std::to_string(n));
    src.limit = n;
    Hash root = RefMth(ref, 0, n);
    auto got = TreeRoot(src, n);
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(*got, root);
    for (uint64_t i : {uint64_t{0}, n - 1, uint64_t{65535 % n}, rng() % n}) {
      CheckInclusion(src, ref, i, n, root, rng);
    }
    for (uint64_t m : {uint64_t{256}, uint64_t{65535}, n - 1, 1 + rng() % n}) {
      if (m > n) continue;
      CheckConsistency(src, ref, m, n, RefMth(ref, 0, m), root, rng);
    }
  }
}

TEST(MerkleProperties, ProofGenerationRejectsBadArguments) {
  const auto entries = MakeEntries(10);
  MemorySource src(entries);
  src.limit = 10;
  EXPECT_EQ(InclusionProof(src, 10, 10).status().code(), core::Code::kInvalidArgument);
  EXPECT_EQ(InclusionProof(src, 0, 0).status().code(), core::Code::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(src, 0, 5).status().code(), core::Code::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(src, 6, 5).status().code(), core::Code::kInvalidArgument);
  EXPECT_EQ(RangeHash(src, 3, 3).status().code(), core::Code::kInvalidArgument);
  auto same = ConsistencyProof(src, 5, 5);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->empty());
  EXPECT_EQ(*TreeRoot(src, 0), EmptyRoot());
  // Errors from the source propagate.
  src.limit = 4;
  EXPECT_EQ(InclusionProof(src, 0, 10).status().code(), core::Code::kInternal);
}

TEST(MerkleVerify, EdgeCases) {
  Hash a = LeafHash("a");
  EXPECT_TRUE(VerifyInclusion(0, 1, a, {}, a).ok());
  EXPECT_EQ(VerifyInclusion(1, 1, a, {}, a).code(), core::Code::kIntegrity);
  EXPECT_EQ(VerifyInclusion(0, 0, a, {}, a).code(), core::Code::kIntegrity);
  EXPECT_EQ(VerifyInclusion(0, 1, a, {a}, a).code(), core::Code::kIntegrity);
  EXPECT_EQ(VerifyConsistency(0, 0, {}, EmptyRoot(), EmptyRoot()).code(), core::Code::kIntegrity);
  EXPECT_TRUE(VerifyConsistency(3, 3, {}, a, a).ok());
  EXPECT_EQ(VerifyConsistency(3, 3, {a}, a, a).code(), core::Code::kIntegrity);
  EXPECT_EQ(VerifyConsistency(3, 3, {}, a, LeafHash("b")).code(), core::Code::kIntegrity);
  EXPECT_EQ(VerifyConsistency(2, 3, {}, a, a).code(), core::Code::kIntegrity);
  EXPECT_EQ(VerifyConsistency(4, 3, {}, a, a).code(), core::Code::kIntegrity);
}

// ---------------------------------------------------------------------------
// The Log on disk against the reference: proofs computed from tiles must be
// exactly the RFC's, for every size the log passes through.

TEST(MerkleProperties, LogOnDiskMatchesReference) {
  auto skey = NoteSigner::GenerateSkey("example.com/merkle-test");
  ASSERT_TRUE(skey.ok()) << skey.status().ToString();
  auto signer = NoteSigner::FromSkey(*skey);
  ASSERT_TRUE(signer.ok());
  auto verifier = NoteVerifier::FromVkey(signer->vkey());
  ASSERT_TRUE(verifier.ok());
  core::testing::TempDir tmp;
  auto log = Log::Create(core::Env::Default(), tmp.Join("log"), *signer);
  ASSERT_TRUE(log.ok()) << log.status().ToString();

  std::mt19937_64 rng(99);
  const auto entries = MakeEntries(3200);
  const RefLeaves ref = RefLeafHashes(entries);
  std::map<uint64_t, Hash> memo;  // reference MTH of the first n entries
  auto ref_root = [&](uint64_t s) {
    auto it = memo.find(s);
    if (it == memo.end()) it = memo.emplace(s, RefMth(ref, 0, s)).first;
    return it->second;
  };
  uint64_t n = 0;
  int batches = 0;
  while (n < 3000) {
    // Mostly small batches, some crossing several tiles; land exactly on 256 and 512.
    uint64_t k = rng() % 4 == 0 ? 1 + rng() % 700 : 1 + rng() % 40;
    if (n < 256 && n + k > 256) k = 256 - n;
    if (n < 512 && n + k > 512) k = 512 - n;
    k = std::min<uint64_t>(k, entries.size() - n);
    std::vector<std::string> batch(entries.begin() + n, entries.begin() + n + k);
    auto first = (*log)->Append(batch, *signer);
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    ASSERT_EQ(*first, n);
    n += k;
    ++batches;
    ASSERT_EQ((*log)->size(), n);
    ASSERT_EQ((*log)->root(), ref_root(n));

    // A fresh Open reads everything from disk.
    auto reopened = Log::Open(core::Env::Default(), tmp.Join("log"), *verifier);
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    for (const Log* l : {log->get(), reopened->get()}) {
      for (int t = 0; t < 3; ++t) {
        uint64_t s = 1 + rng() % n;
        auto r = l->RootAt(s);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        ASSERT_EQ(*r, ref_root(s)) << "RootAt " << s;
        uint64_t i = rng() % s;
        auto p = l->InclusionProof(i, s);
        ASSERT_TRUE(p.ok()) << p.status().ToString();
        ASSERT_EQ(*p, RefPath(i, ref, 0, s)) << "inclusion " << i << " in " << s;
        ASSERT_TRUE(VerifyInclusion(i, s, LeafHash(entries[i]), *p, ref_root(s)).ok());
        uint64_t m = 1 + rng() % s;
        auto c = l->ConsistencyProof(m, s);
        ASSERT_TRUE(c.ok()) << c.status().ToString();
        ASSERT_EQ(*c, RefProof(m, ref, s)) << "consistency " << m << " -> " << s;
        ASSERT_TRUE(VerifyConsistency(m, s, *c, ref_root(m), ref_root(s)).ok());
      }
    }
  }
  EXPECT_GT(batches, 20);
}

// A log that crosses 65,536 entries has a third tile level; check proofs
// around that boundary against the reference.
TEST(MerkleProperties, LogOnDiskAcrossThirdTileLevel) {
  auto signer = NoteSigner::FromSkey(*NoteSigner::GenerateSkey("example.com/merkle-test"));
  ASSERT_TRUE(signer.ok());
  auto verifier = NoteVerifier::FromVkey(signer->vkey());
  core::testing::TempDir tmp;
  auto log = Log::Create(core::Env::Default(), tmp.Join("log"), *signer);
  ASSERT_TRUE(log.ok());
  const auto entries = MakeEntries(65536 + 300);
  const RefLeaves ref = RefLeafHashes(entries);
  std::mt19937_64 rng(5);
  for (uint64_t end : {40000ull, 65535ull, 65536ull, 65537ull, 65536ull + 300}) {
    uint64_t n = (*log)->size();
    std::vector<std::string> batch(entries.begin() + n, entries.begin() + end);
    ASSERT_TRUE((*log)->Append(batch, *signer).ok());
    Hash root = RefMth(ref, 0, end);
    ASSERT_EQ((*log)->root(), root);
    auto reopened = Log::Open(core::Env::Default(), tmp.Join("log"), *verifier);
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    for (uint64_t i : {uint64_t{0}, end - 1, uint64_t{65535 % end}, rng() % end}) {
      auto p = (*reopened)->InclusionProof(i, end);
      ASSERT_TRUE(p.ok()) << p.status().ToString();
      ASSERT_EQ(*p, RefPath(i, ref, 0, end));
      ASSERT_TRUE(VerifyInclusion(i, end, LeafHash(entries[i]), *p, root).ok());
    }
    uint64_t m = 1 + rng() % end;
    auto c = (*reopened)->ConsistencyProof(m, end);
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(*c, RefProof(m, ref, end));
  }
}

}  // namespace
}  // namespace isnad::tlog
