// An exact Hamming-radius index over 256-bit PDQ hashes (images and video frames): every
// stored hash within `radius` bits of a query is returned, none missed, none extra.
//
// Multi-index hashing (Norouzi, Punjani, Fleet 2012): each hash is cut into m chunks, and each
// chunk position has a table from chunk value to the hashes that hold it. By the pigeonhole
// principle a hash within r bits of the query agrees with it to within floor(r / m) bits on at
// least one chunk, so enumerating those neighbours of each query chunk finds every candidate;
// each is then checked on the full 256 bits. The chunking is chosen by measurement.
// docs/design/similar-index.md gives the layout, the memory and the measured speed.
//
// Not thread safe for writes; any number of concurrent Query calls once built.
#pragma once

#include <cstdint>
#include <vector>

#include "pdq/pdq.h"

namespace isnad::similar {

struct Match {
  uint32_t id = 0;   // the id given to Add
  int distance = 0;  // Hamming distance to the query
};

class Index {
 public:
  Index();
  ~Index();
  Index(Index&&) noexcept;
  Index& operator=(Index&&) noexcept;

  // Adds `hash` under `id` (ids need not be unique: a video adds one per frame). Amortised O(1).
  void Add(const pdq::Hash& hash, uint32_t id);
  // Reserves room for n hashes (optional; avoids regrowth during a bulk load).
  void Reserve(size_t n);
  // Makes the added hashes queryable; call after the last Add of a batch (sorts the tables).
  // Adding after Build is allowed; call Build again before querying.
  void Build();

  size_t size() const;
  // Bytes held (hashes, ids, tables).
  size_t MemoryBytes() const;

  // Every stored hash within `radius` (0..255) bits of `query`, as (id, distance), sorted by
  // distance then id. One entry per stored hash (an id added twice may appear twice).
  std::vector<Match> Query(const pdq::Hash& query, int radius) const;

 private:
  friend struct IndexTestPeer;  // index_testing.h
  struct Impl;
  Impl* impl_;
};

}  // namespace isnad::similar
