#include "log/merkle.h"

// OpenSSL 3 deprecates the one-struct SHA-256 calls in favour of EVP, but its
// EVP path frees and reallocates the provider context on every digest init,
// which costs about a third of a 65-byte node hash. Proof latency and append
// throughput are bound by node and leaf hashes (a cold tile costs 255 of them),
// so these two use the plain calls; core::Sha256 is EVP for everything else.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <string>

namespace isnad::tlog {
namespace {

using core::Status;
using core::StatusOr;

Status Fail(std::string why) { return core::Integrity(std::move(why)); }

std::string Num(uint64_t v) { return std::to_string(v); }

// Largest power of two strictly less than n (n >= 2): RFC 9162's split point k.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

// MTH of [begin, end) for any begin: perfect aligned blocks come straight from
// the source; anything else splits at k as in the RFC's definition.
StatusOr<Hash> RangeHashRecursive(SubtreeHashSource& src, uint64_t begin, uint64_t end) {
  uint64_t n = end - begin;
  if (std::has_single_bit(n) && begin % n == 0) {
    int level = std::countr_zero(n);
    return src.SubtreeHash(level, begin >> level);
  }
  uint64_t k = SplitPoint(n);
  ISNAD_ASSIGN_OR_RETURN(Hash left, RangeHashRecursive(src, begin, begin + k));
  ISNAD_ASSIGN_OR_RETURN(Hash right, RangeHashRecursive(src, begin + k, end));
  return NodeHash(left, right);
}

}  // namespace

Hash LeafHash(std::string_view entry) {
  Hash h;
  const unsigned char prefix = 0x00;
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, &prefix, 1);
  SHA256_Update(&ctx, entry.data(), entry.size());
  SHA256_Final(h.bytes.data(), &ctx);
  return h;
}

Hash NodeHash(const Hash& left, const Hash& right) {
  unsigned char buf[1 + 2 * sizeof(Hash)];
  buf[0] = 0x01;
  std::memcpy(buf + 1, left.bytes.data(), sizeof(Hash));
  std::memcpy(buf + 1 + sizeof(Hash), right.bytes.data(), sizeof(Hash));
  Hash h;
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, buf, sizeof buf);
  SHA256_Final(h.bytes.data(), &ctx);
  return h;
}

Hash EmptyRoot() { return core::Sha256Of(""); }

void RootBuilder::Append(const Hash& leaf_hash) {
  subtrees_.push_back(leaf_hash);
  // Each trailing 1 bit of the old size is a subtree of the new leaf's size: merge.
  for (uint64_t n = size_; n & 1; n >>= 1) {
    Hash right = subtrees_.back();
    subtrees_.pop_back();
    subtrees_.back() = NodeHash(subtrees_.back(), right);
  }
  ++size_;
}

Hash RootBuilder::Root() const {
  if (subtrees_.empty()) return EmptyRoot();
  Hash root = subtrees_.back();
  for (size_t i = subtrees_.size() - 1; i-- > 0;) root = NodeHash(subtrees_[i], root);
  return root;
}

Status VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf,
                       const std::vector<Hash>& proof, const Hash& root) {
  if (index >= size) {
    return Fail("inclusion proof: leaf index " + Num(index) + " is not below the tree size " +
                Num(size));
  }
  // RFC 9162 §2.1.3.2, step by step.
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : proof) {
    if (sn == 0) {
      return Fail("inclusion proof has " + Num(proof.size()) + " hashes, too many for leaf " +
                  Num(index) + " of a tree of " + Num(size));
    }
    if ((fn & 1) == 1 || fn == sn) {
      r = NodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return Fail("inclusion proof has " + Num(proof.size()) + " hashes, too few for leaf " +
                Num(index) + " of a tree of " + Num(size));
  }
  if (r != root) {
    return Fail("inclusion proof for leaf " + Num(index) + " of a tree of " + Num(size) +
                " leads to root " + r.Hex() + ", not the expected " + root.Hex());
  }
  return Status::Ok();
}

Status VerifyConsistency(uint64_t size1, uint64_t size2, const std::vector<Hash>& proof,
                         const Hash& root1, const Hash& root2) {
  if (size1 == 0) {
    return Fail("consistency proof from the empty tree is meaningless (size1 is 0)");
  }
  if (size1 > size2) {
    return Fail("consistency proof: size1 " + Num(size1) + " is above size2 " + Num(size2));
  }
  if (size1 == size2) {
    if (!proof.empty()) {
      return Fail("consistency proof between equal sizes must be empty, has " + Num(proof.size()) +
                  " hashes");
    }
    if (root1 != root2) {
      return Fail("trees of equal size " + Num(size1) + " have different roots " + root1.Hex() +
                  " and " + root2.Hex());
    }
    return Status::Ok();
  }
  if (proof.empty()) return Fail("consistency proof is empty");

  // RFC 9162 §2.1.4.2, step by step. When size1 is a power of two its root is
  // itself a node of the larger tree and the proof omits it.
  size_t next = 0;
  Hash first = root1;
  if (!std::has_single_bit(size1)) first = proof[next++];
  uint64_t fn = size1 - 1;
  uint64_t sn = size2 - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = first;
  Hash sr = first;
  for (; next < proof.size(); ++next) {
    const Hash& c = proof[next];
    if (sn == 0) {
      return Fail("consistency proof has " + Num(proof.size()) + " hashes, too many for sizes " +
                  Num(size1) + " and " + Num(size2));
    }
    if ((fn & 1) == 1 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return Fail("consistency proof has " + Num(proof.size()) + " hashes, too few for sizes " +
                Num(size1) + " and " + Num(size2));
  }
  if (fr != root1) {
    return Fail("consistency proof leads to first root " + fr.Hex() + ", not the expected " +
                root1.Hex());
  }
  if (sr != root2) {
    return Fail("consistency proof leads to second root " + sr.Hex() + ", not the expected " +
                root2.Hex());
  }
  return Status::Ok();
}

StatusOr<Hash> RangeHash(SubtreeHashSource& src, uint64_t begin, uint64_t end) {
  if (end <= begin) {
    return core::InvalidArgument("range hash of [" + Num(begin) + ", " + Num(end) + ") is empty");
  }
  uint64_t n = end - begin;
  if (begin % std::bit_floor(n) != 0) return RangeHashRecursive(src, begin, end);
  // Aligned: the RFC's recursion reduces to the perfect blocks given by the
  // bits of n, largest first, folded right to left.
  std::array<Hash, 64> parts;
  int count = 0;
  for (uint64_t pos = begin; pos < end;) {
    uint64_t block = std::bit_floor(end - pos);
    int level = std::countr_zero(block);
    ISNAD_ASSIGN_OR_RETURN(parts[count], src.SubtreeHash(level, pos >> level));
    ++count;
    pos += block;
  }
  Hash acc = parts[count - 1];
  for (int i = count - 2; i >= 0; --i) acc = NodeHash(parts[i], acc);
  return acc;
}

StatusOr<Hash> TreeRoot(SubtreeHashSource& src, uint64_t size) {
  if (size == 0) return EmptyRoot();
  return RangeHash(src, 0, size);
}

StatusOr<std::vector<Hash>> InclusionProof(SubtreeHashSource& src, uint64_t index, uint64_t size) {
  if (index >= size) {
    return core::InvalidArgument("inclusion proof: leaf index " + Num(index) +
                                 " is not below the tree size " + Num(size));
  }
  // PATH(m, D[lo:hi]) walked top-down; the RFC appends the outer sibling last,
  // so the collected siblings are reversed at the end.
  std::vector<Hash> proof;
  proof.reserve(64 - std::countl_zero(size - 1) + 1);
  uint64_t lo = 0;
  uint64_t hi = size;
  while (hi - lo > 1) {
    uint64_t k = SplitPoint(hi - lo);
    if (index < lo + k) {
      ISNAD_ASSIGN_OR_RETURN(Hash right, RangeHash(src, lo + k, hi));
      proof.push_back(right);
      hi = lo + k;
    } else {
      int level = std::countr_zero(k);
      ISNAD_ASSIGN_OR_RETURN(Hash left, src.SubtreeHash(level, lo >> level));
      proof.push_back(left);
      lo += k;
    }
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

StatusOr<std::vector<Hash>> ConsistencyProof(SubtreeHashSource& src, uint64_t size1,
                                             uint64_t size2) {
  if (size1 == 0 || size1 > size2) {
    return core::InvalidArgument("consistency proof needs 0 < size1 <= size2, got " + Num(size1) +
                                 " and " + Num(size2));
  }
  // SUBPROOF(m, D[lo:hi], b) walked top-down; outer hashes come last.
  std::vector<Hash> outer;
  outer.reserve(64);
  uint64_t lo = 0;
  uint64_t hi = size2;
  bool whole = true;  // the RFC's b: D[lo:hi] is the whole tree of size1's prefix
  while (size1 != hi) {
    uint64_t k = SplitPoint(hi - lo);
    if (size1 <= lo + k) {
      ISNAD_ASSIGN_OR_RETURN(Hash right, RangeHash(src, lo + k, hi));
      outer.push_back(right);
      hi = lo + k;
    } else {
      int level = std::countr_zero(k);
      ISNAD_ASSIGN_OR_RETURN(Hash left, src.SubtreeHash(level, lo >> level));
      outer.push_back(left);
      lo += k;
      whole = false;
    }
  }
  std::vector<Hash> proof;
  proof.reserve(outer.size() + 1);
  if (!whole) {
    ISNAD_ASSIGN_OR_RETURN(Hash sub, RangeHash(src, lo, hi));
    proof.push_back(sub);
  }
  proof.insert(proof.end(), outer.rbegin(), outer.rend());
  return proof;
}

}  // namespace isnad::tlog
