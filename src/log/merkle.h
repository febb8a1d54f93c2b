// RFC 9162 §2.1 Merkle tree hashing and proof verification. Pure functions,
// thread safe. The same VerifyInclusion/VerifyConsistency serve the archive's
// own checks and the offline verifier, so there is one implementation to trust.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/digest.h"
#include "core/status.h"

namespace isnad::tlog {

using core::Hash;

// SHA-256(0x00 || entry).
Hash LeafHash(std::string_view entry);
// SHA-256(0x01 || left || right).
Hash NodeHash(const Hash& left, const Hash& right);
// SHA-256("") — the root of the empty tree.
Hash EmptyRoot();

// The root of a tree grown one leaf at a time, from the leaves alone: keeps
// the perfect subtrees of the tree so far (at most 64 hashes). What a check
// computes when the stored hash tiles are the thing in doubt.
class RootBuilder {
 public:
  void Append(const Hash& leaf_hash);
  uint64_t size() const { return size_; }
  // RFC 9162 MTH of the leaves appended so far (EmptyRoot() for none).
  Hash Root() const;

 private:
  std::vector<Hash> subtrees_;  // largest first; their sizes are the bits of size_
  uint64_t size_ = 0;
};

// RFC 9162 §2.1.3.2. Returns ok when `proof` proves leaf `index` with hash
// `leaf` in the tree of `size` with root `root`; else kIntegrity saying why.
core::Status VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf,
                             const std::vector<Hash>& proof, const Hash& root);

// RFC 9162 §2.1.4.2. Returns ok when `proof` proves that the tree of `size1`
// with `root1` is a prefix of the tree of `size2` with `root2`; else kIntegrity.
// size1 == 0 is always an error (as in the reference implementation).
core::Status VerifyConsistency(uint64_t size1, uint64_t size2, const std::vector<Hash>& proof,
                               const Hash& root1, const Hash& root2);

// Source of complete-subtree hashes for proof generation: returns the hash of
// the perfect subtree at `level` (height) and `index`, covering leaves
// [index << level, (index + 1) << level). Only called for subtrees wholly
// inside the tree being proved.
class SubtreeHashSource {
 public:
  virtual ~SubtreeHashSource() = default;
  virtual core::StatusOr<Hash> SubtreeHash(int level, uint64_t index) = 0;
};

// MTH of leaves [begin, end), from perfect subtrees. end > begin.
core::StatusOr<Hash> RangeHash(SubtreeHashSource& src, uint64_t begin, uint64_t end);
// Root of the tree of `size` leaves (EmptyRoot() for 0).
core::StatusOr<Hash> TreeRoot(SubtreeHashSource& src, uint64_t size);
// RFC 9162 PATH(index, D[size]). index < size, else kInvalidArgument.
core::StatusOr<std::vector<Hash>> InclusionProof(SubtreeHashSource& src, uint64_t index,
                                                 uint64_t size);
// RFC 9162 PROOF(size1, D[size2]). 0 < size1 <= size2, else kInvalidArgument.
core::StatusOr<std::vector<Hash>> ConsistencyProof(SubtreeHashSource& src, uint64_t size1,
                                                   uint64_t size2);

}  // namespace isnad::tlog
