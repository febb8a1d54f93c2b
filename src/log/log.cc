#include "log/log.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/encoding.h"
#include "log/merkle.h"
#include "log/tiles.h"

namespace isnad::tlog {
namespace log_internal {

using core::Env;
using core::Hash;
using core::Status;
using core::StatusOr;

static_assert(sizeof(Hash) == 32, "hash tiles are read and written as arrays of Hash");

// Level L holds subtrees of height 8L; 8 levels cover any 64-bit tree size.
constexpr int kLevels = 8;
// A cached full tile with its inner nodes is 16 KiB: 4 MiB per level in use.
constexpr size_t kCacheTilesPerLevel = 256;
constexpr char kCheckpointFile[] = "checkpoint";

std::string Num(uint64_t v) { return std::to_string(v); }

// Number of level-8L hashes in a tree of `size` leaves.
uint64_t CountAt(uint64_t size, int level) { return size >> (kTileHeight * level); }

// A hash tile with the inner nodes of every perfect subtree inside it, so any
// subtree hash a proof needs from it is one lookup. Building one costs
// width - 1 hashes, about what a single proof through the tile costs anyway.
class TileTree {
 public:
  explicit TileTree(const std::vector<Hash>& base) : width_(static_cast<uint32_t>(base.size())) {
    nodes_.reserve(2 * width_);
    nodes_.assign(base.begin(), base.end());
    Build();
  }
  // From the bytes of a stored tile (a multiple of 32 bytes), with one allocation.
  explicit TileTree(std::string_view raw) : width_(static_cast<uint32_t>(raw.size() / 32)) {
    nodes_.reserve(2 * width_);
    nodes_.resize(width_);
    std::memcpy(nodes_.data(), raw.data(), width_ * sizeof(Hash));
    Build();
  }

  uint64_t width() const { return width_; }
  // The stored hashes (height 0 within the tile).
  const Hash* base() const { return nodes_.data(); }
  // True when the perfect subtree of height r (0..8) at `pos` lies inside.
  bool Has(int r, uint64_t pos) const { return pos < (width_ >> r); }
  const Hash& Node(int r, uint64_t pos) const { return nodes_[offset_[r] + pos]; }

 private:
  uint32_t width_;
  std::vector<Hash> nodes_;
  std::array<uint32_t, kTileHeight + 1> offset_{};

  void Build() {
    for (int r = 1; r <= kTileHeight; ++r) {
      uint32_t prev = offset_[r - 1];
      offset_[r] = static_cast<uint32_t>(nodes_.size());
      for (uint32_t j = 0; j < (width_ >> r); ++j) {
        nodes_.push_back(NodeHash(nodes_[prev + 2 * j], nodes_[prev + 2 * j + 1]));
      }
    }
  }
};

using TilePtr = std::shared_ptr<const TileTree>;
using Edge = std::array<TilePtr, kLevels>;  // null where a level has no partial tile

// Root of a full tile: the hash it contributes to the level above.
Hash FullTileRoot(const Hash* hashes) {
  std::array<Hash, kTileWidth> a;
  std::copy(hashes, hashes + kTileWidth, a.begin());
  for (size_t len = kTileWidth; len > 1; len /= 2) {
    for (size_t j = 0; j < len / 2; ++j) a[j] = NodeHash(a[2 * j], a[2 * j + 1]);
  }
  return a[0];
}

std::string_view TileBytes(const Hash* hashes, size_t n) {
  return {reinterpret_cast<const char*>(hashes), n * sizeof(Hash)};
}

StatusOr<std::vector<Hash>> DecodeHashTile(std::string_view data, uint64_t width) {
  uint64_t want = width * sizeof(Hash);
  if (data.size() != want) {
    return core::Integrity(
        std::string(data.size() < want ? "hash tile truncated: " : "hash tile ") + "has " +
        Num(data.size()) + " bytes, expected " + Num(want) + " (" + Num(width) + " hashes)");
  }
  std::vector<Hash> out(width);
  std::memcpy(out.data(), data.data(), want);
  return out;
}

// Bytes taken by the first `count` entries of an entry bundle; nullopt when it
// holds fewer.
std::optional<size_t> BundlePrefixLength(std::string_view bundle, uint64_t count) {
  size_t pos = 0;
  for (uint64_t i = 0; i < count; ++i) {
    if (bundle.size() - pos < 2) return std::nullopt;
    size_t len = (static_cast<size_t>(static_cast<uint8_t>(bundle[pos])) << 8) |
                 static_cast<uint8_t>(bundle[pos + 1]);
    if (bundle.size() - pos - 2 < len) return std::nullopt;
    pos += 2 + len;
  }
  return pos;
}

// LRU of full hash tiles, one per level so that the few upper tiles every
// proof needs are not pushed out by the stream of level-0 tiles that random
// reads bring in. A full tile inside a checkpoint never changes, so an entry
// never goes stale. Shared by concurrent readers.
class TileCache {
 public:
  TilePtr Get(int level, uint64_t index) {
    std::lock_guard<std::mutex> lock(mu_);
    Lru& lru = levels_[level];
    auto it = lru.map.find(index);
    if (it == lru.map.end()) return nullptr;
    lru.order.splice(lru.order.begin(), lru.order, it->second.second);
    return it->second.first;
  }
  void Put(int level, uint64_t index, TilePtr tile) {
    std::lock_guard<std::mutex> lock(mu_);
    Lru& lru = levels_[level];
    if (lru.map.count(index) != 0) return;
    lru.order.push_front(index);
    lru.map.emplace(index, std::make_pair(std::move(tile), lru.order.begin()));
    if (lru.map.size() > kCacheTilesPerLevel) {
      lru.map.erase(lru.order.back());
      lru.order.pop_back();
    }
  }

 private:
  struct Lru {
    std::list<uint64_t> order;  // most recently used first
    std::unordered_map<uint64_t, std::pair<TilePtr, std::list<uint64_t>::iterator>> map;
  };
  std::mutex mu_;
  std::array<Lru, kLevels> levels_;
};

struct Core {
  Env* env = nullptr;
  std::string dir;
  // The log key's verifier key: Append refuses other signers, whose
  // checkpoints Open could not verify.
  std::string vkey;
  Checkpoint checkpoint;
  std::string note;
  // The right edge of the committed tree: each level's partial tile and the
  // partial entry bundle. Everything left of it is in full tiles on disk.
  Edge edge;
  std::string edge_bundle;
  // Set when a checkpoint write failed and putting the committed one back
  // failed too: the file on disk may not be `note`.
  bool checkpoint_in_doubt = false;
  // Set by OpenForAudit when the right edge did not load: `edge` is empty, and
  // a batch built on it would write wrong tiles and sign a wrong root.
  bool edge_damaged = false;
  // Folders known to exist, so that a batch does not stat every tile's folder.
  std::unordered_set<std::string> dirs;
  mutable TileCache cache;

  std::string Path(std::string_view rel) const { return core::JoinPath(dir, rel); }
};

// What a file of the log can validly hold at most, with room to spare so that
// a slightly wrong size is still read and reported exactly. Anything larger (a
// huge file, a symlink to /dev/zero in a hostile archive) is refused unread.
uint64_t MaxFileBytes(std::string_view kind) {
  if (kind == "hash tile") return uint64_t{1} << 20;         // valid: at most 8 KiB
  if (kind == "entry bundle") return uint64_t{32} << 20;     // 256 × (2 + 65,535) bytes
  if (kind == "pending record") return uint64_t{256} << 20;  // ~20 bytes per 128 entries
  return uint64_t{1} << 20;                                  // the checkpoint: a few hundred bytes
}

// Reads `rel` (relative to the log folder) whole, bounded by MaxFileBytes. Too
// large or not a regular file: kIntegrity "<kind> ..." (no file name); a
// missing file stays kNotFound.
StatusOr<std::string> ReadBounded(const Core& c, const std::string& rel, std::string_view kind) {
  auto data = core::ReadFileUpTo(c.env, c.Path(rel), MaxFileBytes(kind));
  if (data.ok()) return data;
  switch (data.status().code()) {
    case core::Code::kResourceExhausted:
      return core::Integrity(std::string(kind) + " is larger than " + Num(MaxFileBytes(kind)) +
                             " bytes, far more than any valid one");
    case core::Code::kFailedPrecondition:
      return core::Integrity(std::string(kind) +
                             " is not a regular file (a folder, FIFO, device or socket)");
    default:
      return data.status();
  }
}

// Reads `rel` (relative to the log folder) whole. Every file a checkpoint
// implies must exist, so a missing one is kIntegrity naming it.
StatusOr<std::string> ReadLogFile(const Core& c, const std::string& rel, std::string_view kind) {
  auto data = ReadBounded(c, rel, kind);
  if (!data.ok() && data.status().code() == core::Code::kNotFound) {
    return core::Integrity(rel + ": " + std::string(kind) + " is missing");
  }
  if (!data.ok() && data.status().code() == core::Code::kIntegrity) {
    return data.status().WithContext(rel);
  }
  return data;
}

StatusOr<TilePtr> LoadFullTile(const Core& c, int level, uint64_t n) {
  if (TilePtr t = c.cache.Get(level, n)) return t;
  std::string rel = HashTilePath(level, n, kTileWidth);
  ISNAD_ASSIGN_OR_RETURN(std::string data, ReadLogFile(c, rel, "hash tile"));
  if (data.size() != kTileWidth * sizeof(Hash)) {
    return DecodeHashTile(data, kTileWidth).status().WithContext(rel);
  }
  auto tile = std::make_shared<const TileTree>(std::string_view(data));
  c.cache.Put(level, n, tile);
  return TilePtr(tile);
}

// Subtree hashes of the tree of `size` leaves whose right edge is `edge`. Full
// tiles come from disk through the cache, one held per level so that a proof
// reads at most one tile per level; with no Core, only the edge is available.
class TreeSource final : public SubtreeHashSource {
 public:
  TreeSource(const Core* c, const Edge& edge, uint64_t size) : c_(c), edge_(edge), size_(size) {}

  StatusOr<Hash> SubtreeHash(int level, uint64_t index) override {
    int tl = level / kTileHeight;
    int r = level % kTileHeight;
    if (tl >= kLevels) return Outside(level, index);
    uint64_t first = index << r;
    uint64_t n = first / kTileWidth;
    uint64_t pos = (first % kTileWidth) >> r;
    uint64_t count = CountAt(size_, tl);
    const TileTree* t = nullptr;
    if (n < count / kTileWidth) {
      if (held_[tl] == nullptr || held_index_[tl] != n) {
        if (c_ == nullptr) return Outside(level, index);
        ISNAD_ASSIGN_OR_RETURN(held_[tl], LoadFullTile(*c_, tl, n));
        held_index_[tl] = n;
      }
      t = held_[tl].get();
    } else if (n == count / kTileWidth) {
      t = edge_[tl].get();
      if (t == nullptr && (count % kTileWidth) != 0) {
        // Only a log opened for audit with a damaged edge lacks it.
        return core::Integrity(HashTilePath(tl, n, count % kTileWidth) +
                               ": the right edge of the tree did not load; run `isnad verify`");
      }
    }
    if (t == nullptr || !t->Has(r, pos)) return Outside(level, index);
    return t->Node(r, pos);
  }

 private:
  Status Outside(int level, uint64_t index) const {
    return core::Internal("subtree " + Num(index) + " at height " + std::to_string(level) +
                          " is not inside the log's tree of " + Num(size_));
  }
  const Core* c_;
  const Edge& edge_;
  uint64_t size_;
  std::array<TilePtr, kLevels> held_;
  std::array<uint64_t, kLevels> held_index_{};
};

StatusOr<Hash> EdgeRoot(const Edge& edge, uint64_t size) {
  TreeSource src(nullptr, edge, size);
  return TreeRoot(src, size);
}

// One partial tile or bundle as read from disk: `width` is what the file holds,
// at least the width asked for when a wider one stood in for a missing one.
struct PartialFile {
  std::string rel;
  std::string data;
  uint64_t width = 0;
};

std::string TilePath(int level, uint64_t n, uint64_t width) {
  return level < 0 ? EntryBundlePath(n, width) : HashTilePath(level, n, width);
}

// Reads partial tile (level, n) of width w (level -1: the entry bundle). When
// it is missing, a wider version of the same tile serves too: its first w
// hashes or entries are the same by construction, and the caller checks them
// against the checkpoint anyway.
StatusOr<PartialFile> ReadPartial(const Core& c, int level, uint64_t n, uint64_t w) {
  std::string_view kind = level < 0 ? "entry bundle" : "hash tile";
  PartialFile f{TilePath(level, n, w), "", w};
  auto data = ReadBounded(c, f.rel, kind);
  if (data.ok()) {
    f.data = std::move(*data);
    return f;
  }
  if (data.status().code() == core::Code::kIntegrity) return data.status().WithContext(f.rel);
  if (data.status().code() != core::Code::kNotFound) return data.status();
  std::vector<uint64_t> wider;
  auto names = c.env->ListDir(c.Path(core::DirName(f.rel)));
  if (names.ok()) {
    for (const auto& name : *names) {
      auto id = ParseTilePath(core::DirName(f.rel) + "/" + name);
      if (id.ok() && id->width > w) wider.push_back(id->width);
    }
  }
  std::sort(wider.begin(), wider.end());
  wider.push_back(kTileWidth);
  for (uint64_t width : wider) {
    std::string rel = TilePath(level, n, width);
    auto alt = ReadBounded(c, rel, kind);
    if (alt.ok()) return PartialFile{rel, std::move(*alt), width};
  }
  return core::Integrity(f.rel + ": " + std::string(kind) + " is missing");
}

// Reads entry bundle n as it holds `w` entries (a wider one standing in for a
// missing partial one, its first w entries taken): the file in `f`, the bytes
// of those entries in `data`, and the entries, viewing into `f->data`.
StatusOr<std::vector<std::string_view>> ReadBundle(const Core& c, uint64_t n, uint64_t w,
                                                   PartialFile* f, std::string_view* data) {
  ISNAD_ASSIGN_OR_RETURN(*f, ReadPartial(c, -1, n, w));
  *data = f->data;
  if (f->width != w) {
    auto len = BundlePrefixLength(*data, w);
    if (!len) return core::Integrity(f->rel + ": entry bundle truncated");
    *data = data->substr(0, *len);
  }
  auto views = SplitEntryBundle(*data, w);
  if (!views.ok()) return views.status().WithContext(f->rel);
  return views;
}

// Loads the right edge of the tree of `size` leaves and checks it: the partial
// bundle against the partial level-0 tile, and all of it against `root`.
Status LoadEdge(const Core& c, uint64_t size, const Hash& root, Edge* edge, std::string* bundle) {
  std::vector<std::string> files;
  for (int level = 0; level < kLevels; ++level) {
    uint64_t count = CountAt(size, level);
    if (count == 0) break;
    uint64_t w = count % kTileWidth;
    if (w == 0) continue;
    ISNAD_ASSIGN_OR_RETURN(PartialFile f, ReadPartial(c, level, count / kTileWidth, w));
    auto hashes = DecodeHashTile(f.data, f.width);
    if (!hashes.ok()) return hashes.status().WithContext(f.rel);
    hashes->resize(w);
    (*edge)[level] = std::make_shared<const TileTree>(std::move(*hashes));
    files.push_back(f.rel);
  }
  uint64_t w0 = size % kTileWidth;
  if (w0 != 0) {
    PartialFile f;
    std::string_view data;
    auto views = ReadBundle(c, size / kTileWidth, w0, &f, &data);
    if (!views.ok()) return views.status();
    for (uint64_t i = 0; i < w0; ++i) {
      if (LeafHash((*views)[i]) != (*edge)[0]->base()[i]) {
        return core::Integrity(f.rel + ": entry " + Num(size - w0 + i) +
                               " does not match its leaf hash in " + files[0]);
      }
    }
    *bundle = std::string(data);
  }
  ISNAD_ASSIGN_OR_RETURN(Hash got, EdgeRoot(*edge, size));
  if (got != root) {
    std::string names;
    for (const auto& f : files) names += (names.empty() ? "" : ", ") + f;
    if (names.empty()) names = kCheckpointFile;
    return core::Integrity(names + ": checkpoint root does not match the tree: the right edge " +
                           "of the tree leads to " + got.Hex() + ", the checkpoint says " +
                           root.Hex());
  }
  return Status::Ok();
}

// Reads the checkpoint as it is on disk, verifies it with `verifier` and
// parses it. Every failure is kIntegrity starting with "checkpoint".
StatusOr<Checkpoint> ReadCheckpoint(const Core& c, const NoteVerifier& verifier,
                                    std::string* note) {
  auto data = ReadBounded(c, kCheckpointFile, "checkpoint");
  if (!data.ok()) {
    if (data.status().code() == core::Code::kNotFound) {
      return core::Integrity(std::string(kCheckpointFile) + ": missing (no log in " + c.dir + ")");
    }
    if (data.status().code() == core::Code::kIntegrity) {
      return data.status().WithContext(kCheckpointFile);
    }
    return data.status();
  }
  auto opened = OpenNote(*data, {verifier});
  if (!opened.ok()) {
    std::string m = opened.status().message();
    bool malformed = m.rfind("malformed", 0) == 0;
    return core::Integrity(std::string(kCheckpointFile) + ": " +
                           (malformed ? "checkpoint is truncated or malformed ("
                                      : "checkpoint signature does not verify (") +
                           m + ")");
  }
  auto cp = Checkpoint::Parse(opened->text);
  if (!cp.ok()) return cp.status().WithContext(kCheckpointFile);
  if (cp->origin != verifier.name()) {
    return core::Integrity(std::string(kCheckpointFile) + ": origin \"" + cp->origin +
                           "\" is not the name of the log's key \"" + verifier.name() + "\"");
  }
  *note = std::move(*data);
  return cp;
}

// Makes sure the checkpoint on disk is the committed one, `c.note`.
Status ReconcileCheckpoint(Core& c) {
  auto disk = ReadBounded(c, kCheckpointFile, "checkpoint");
  if (!disk.ok() || *disk != c.note) {
    Status s = core::WriteFileAtomically(c.env, c.Path(kCheckpointFile), c.note, /*sync=*/true);
    if (!s.ok()) {
      c.checkpoint_in_doubt = true;
      return s.WithContext("cannot put back the committed checkpoint");
    }
  }
  c.checkpoint_in_doubt = false;
  return Status::Ok();
}

// Writes one tile or bundle of a batch; durability comes from the batch's
// single SyncFilesystem (`sync`: the file's own, before its rename).
Status WriteLogFile(Core& c, const std::string& rel, std::string_view data, bool sync = false) {
  std::string path = c.Path(rel);
  std::string dir = core::DirName(path);
  if (c.dirs.count(dir) == 0) {
    ISNAD_RETURN_IF_ERROR(core::CreateDirs(c.env, dir));
    if (c.dirs.size() > 4096) c.dirs.clear();
    c.dirs.insert(dir);
  }
  return core::WriteFileAtomically(c.env, path, data, sync);
}

// The right edge being extended by one batch. Nothing here touches the
// committed state, so a failed batch leaves it exactly as it was.
struct Batch {
  uint64_t size = 0;
  std::array<std::vector<Hash>, kLevels> level;
  std::array<bool, kLevels> touched{};
  std::string bundle;
};

Status PushHash(Core& c, Batch& b, int level, const Hash& h) {
  if (level >= kLevels) return core::Internal("the tree has outgrown 64-bit sizes");
  std::vector<Hash>& row = b.level[level];
  row.push_back(h);
  b.touched[level] = true;
  if (row.size() < kTileWidth) return Status::Ok();
  uint64_t n = CountAt(b.size, level) / kTileWidth - 1;
  ISNAD_RETURN_IF_ERROR(
      WriteLogFile(c, HashTilePath(level, n, kTileWidth), TileBytes(row.data(), row.size())));
  Hash root = FullTileRoot(row.data());
  row.clear();
  return PushHash(c, b, level + 1, root);
}

Status WriteBatch(Core& c, Batch& b, const std::vector<std::string>& entries) {
  for (const std::string& e : entries) {
    AppendBundleEntry(&b.bundle, e);
    ++b.size;
    if (b.size % kTileWidth == 0) {
      ISNAD_RETURN_IF_ERROR(
          WriteLogFile(c, EntryBundlePath(b.size / kTileWidth - 1, kTileWidth), b.bundle));
      b.bundle.clear();
    }
    ISNAD_RETURN_IF_ERROR(PushHash(c, b, 0, LeafHash(e)));
  }
  if (b.size % kTileWidth != 0) {
    ISNAD_RETURN_IF_ERROR(
        WriteLogFile(c, EntryBundlePath(b.size / kTileWidth, b.size % kTileWidth), b.bundle));
  }
  for (int level = 0; level < kLevels; ++level) {
    const std::vector<Hash>& row = b.level[level];
    if (!b.touched[level] || row.empty()) continue;
    uint64_t n = CountAt(b.size, level) / kTileWidth;
    ISNAD_RETURN_IF_ERROR(
        WriteLogFile(c, HashTilePath(level, n, row.size()), TileBytes(row.data(), row.size())));
  }
  return Status::Ok();
}

// Full tile index/width of tile n at a level holding `count` hashes.
uint64_t WidthOf(uint64_t count, uint64_t n) {
  return std::min<uint64_t>(kTileWidth, count - n * kTileWidth);
}

// Widths below `w` found in the partial-tile folder `pdir`, ascending: the
// superseded partial versions of a tile now `w` wide.
std::vector<uint64_t> PartialWidths(const Core& c, const std::string& pdir, uint64_t w) {
  std::vector<uint64_t> out;
  auto names = c.env->ListDir(c.Path(pdir));
  if (!names.ok()) return out;
  for (const auto& name : *names) {
    auto id = ParseTilePath(pdir + "/" + name);
    // Anything else there (a temporary file of an interrupted write) is not part of the tree.
    if (id.ok() && id->width < w) out.push_back(id->width);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Verify's walk over every file of the tree. Recomputes each level from the one
// below, entries being the ground truth, and records what disagrees.
class Checker {
 public:
  Checker(const Core& c, std::vector<LogProblem>* problems,
          const std::function<void(uint64_t, uint64_t)>& progress)
      : c_(c), problems_(problems), progress_(progress) {}

  void Run(const NoteVerifier& verifier) {
    CheckCheckpoint(verifier);
    LevelZero();
    if (progress_) progress_(size_, size_);
    // After a stop the rows are incomplete: the levels above cannot be checked.
    for (int level = 1; level < kLevels && CountAt(size_, level) > 0 && !stopped_; ++level) {
      Upper(level);
    }
    if (!stopped_) CheckRoot();
  }

 private:
  using Row = std::vector<std::optional<Hash>>;

  // A hostile archive's checkpoint, signed with its own key, can claim 2^63
  // entries over a handful of files: past this many problems the check stops.
  static constexpr size_t kMaxProblems = 10000;

  void Add(std::string file, std::string what) {
    if (stopped_) return;
    if (++added_ > kMaxProblems) {
      stopped_ = true;
      problems_->push_back(
          {kCheckpointFile, "more than " + Num(kMaxProblems) + " problems in the tree of the " +
                                Num(size_) +
                                " entries this checkpoint claims; the check stopped here. "
                                "Restore the log from a good copy, then verify again"});
      return;
    }
    problems_->push_back({std::move(file), std::move(what)});
  }

  // Reads a file for a check; a problem (and nullopt) when it cannot be read.
  std::optional<std::string> Read(const std::string& rel, std::string_view kind) {
    auto data = ReadBounded(c_, rel, kind);
    if (data.ok()) return std::move(*data);
    if (data.status().code() == core::Code::kNotFound) {
      Add(rel, std::string(kind) + " is missing");
    } else if (data.status().code() == core::Code::kIntegrity) {
      Add(rel, data.status().message());
    } else {
      Add(rel, "cannot read the " + std::string(kind) + ": " + data.status().message());
    }
    return std::nullopt;
  }

  std::optional<std::vector<Hash>> ReadHashTile(const std::string& rel, uint64_t width) {
    auto data = Read(rel, "hash tile");
    if (!data) return std::nullopt;
    auto hashes = DecodeHashTile(*data, width);
    if (!hashes.ok()) {
      Add(rel, hashes.status().message());
      return std::nullopt;
    }
    return std::move(*hashes);
  }

  void CheckCheckpoint(const NoteVerifier& verifier) {
    size_ = c_.checkpoint.size;
    root_ = c_.checkpoint.root;
    std::string note;
    auto cp = ReadCheckpoint(c_, verifier, &note);
    if (!cp.ok()) {
      // Keep checking the tiles against the checkpoint the log was opened with.
      std::string m = cp.status().message();
      std::string prefix = std::string(kCheckpointFile) + ": ";
      if (m.rfind(prefix, 0) == 0) m = m.substr(prefix.size());
      Add(kCheckpointFile, m);
      return;
    }
    if (cp->size < size_) {
      Add(kCheckpointFile, "checkpoint went back from " + Num(size_) + " to " + Num(cp->size) +
                               " entries since the log was opened");
    } else if (cp->size == size_ && cp->root != root_) {
      Add(kCheckpointFile,
          "checkpoint root changed since the log was opened, at the same size " + Num(size_));
    } else {
      size_ = cp->size;
      root_ = cp->root;
    }
  }

  // The stored level-1 hash over level-0 tile n, if its tile can be read.
  std::optional<Hash> StoredParent(uint64_t n) {
    uint64_t count = CountAt(size_, 1);
    uint64_t m = n / kTileWidth;
    if (!parent_ || parent_index_ != m) {
      parent_index_ = m;
      parent_.reset();
      auto data = ReadBounded(c_, HashTilePath(1, m, WidthOf(count, m)), "hash tile");
      if (data.ok()) {
        auto hashes = DecodeHashTile(*data, WidthOf(count, m));
        if (hashes.ok()) parent_ = std::move(*hashes);
      }
      if (!parent_) parent_ = std::vector<Hash>();
    }
    uint64_t pos = n % kTileWidth;
    if (pos >= parent_->size()) return std::nullopt;
    return (*parent_)[pos];
  }

  void LevelZero() {
    // Not (size_ + 255) / 256: that wraps around for a claimed size near 2^64.
    uint64_t tiles = size_ / kTileWidth + (size_ % kTileWidth != 0 ? 1 : 0);
    for (uint64_t n = 0; n < tiles && !stopped_; ++n) {
      uint64_t w = WidthOf(size_, n);
      if (progress_) progress_(n * kTileWidth, size_);
      std::string brel = EntryBundlePath(n, w);
      std::string trel = HashTilePath(0, n, w);
      std::optional<std::string> bundle = Read(brel, "entry bundle");
      std::optional<std::vector<Hash>> computed;
      if (bundle) {
        auto views = SplitEntryBundle(*bundle, w);
        if (views.ok()) {
          computed.emplace();
          computed->reserve(w);
          for (std::string_view e : *views) computed->push_back(LeafHash(e));
        } else {
          Add(brel, views.status().message());
          bundle.reset();
        }
      }
      std::optional<std::vector<Hash>> stored = ReadHashTile(trel, w);
      std::optional<std::vector<Hash>> best = computed ? computed : stored;
      if (computed && stored && *computed != *stored) {
        uint64_t i = std::mismatch(computed->begin(), computed->end(), stored->begin()).first -
                     computed->begin();
        uint64_t leaf = n * kTileWidth + i;
        if (w < kTileWidth) {
          // The only evidence for the right edge is the checkpoint root: decided in CheckRoot.
          edge_mismatch_ = EdgeMismatch{brel, trel, leaf, *stored};
        } else {
          std::optional<Hash> parent = StoredParent(n);
          if (parent && FullTileRoot(stored->data()) == *parent &&
              FullTileRoot(computed->data()) != *parent) {
            AddBundleChanged(brel, trel, leaf);
            best = stored;
            bundle.reset();  // older partial bundles are checked against the hashes instead
          } else {
            AddTileDiffers(trel, leaf);
          }
        }
      }
      if (w == kTileWidth) {
        above_.push_back(best ? std::optional<Hash>(FullTileRoot(best->data())) : std::nullopt);
        CheckSupersededZero(n, w, bundle, best);
      } else {
        edge_[0] = best ? Row(best->begin(), best->end()) : Row(w);
        // Which of the bundle and the tile is right is known only after CheckRoot.
        edge_zero_ = EdgeZero{n, w, std::move(bundle), std::move(best)};
      }
    }
  }

  void CheckSupersededZero(uint64_t n, uint64_t w, const std::optional<std::string>& bundle,
                           const std::optional<std::vector<Hash>>& best) {
    CheckSupersededHashes(0, n, w, best ? Row(best->begin(), best->end()) : Row(w));
    CheckSupersededBundles(n, w, bundle, best);
  }

  void AddBundleChanged(const std::string& brel, const std::string& trel, uint64_t leaf) {
    Add(brel, "entry " + Num(leaf) + " does not match its leaf hash in " + trel +
                  ", which agrees with the rest of the tree: the entry bundle was changed");
  }
  void AddTileDiffers(const std::string& trel, uint64_t leaf) {
    Add(trel, "hash tile differs from the hashes recomputed from the entries (first at leaf " +
                  Num(leaf) + ")");
  }

  void Upper(int level) {
    Row computed = std::move(above_);
    above_.clear();
    uint64_t count = CountAt(size_, level);
    uint64_t tiles = count / kTileWidth + (count % kTileWidth != 0 ? 1 : 0);
    for (uint64_t m = 0; m < tiles && !stopped_; ++m) {
      uint64_t w = WidthOf(count, m);
      std::string rel = HashTilePath(level, m, w);
      std::optional<std::vector<Hash>> stored = ReadHashTile(rel, w);
      Row best(w);
      bool reported = false;
      for (uint64_t i = 0; i < w; ++i) {
        const std::optional<Hash>& want = computed[m * kTileWidth + i];
        best[i] = want ? want : stored ? std::optional<Hash>((*stored)[i]) : std::nullopt;
        if (want && stored && *want != (*stored)[i] && !reported) {
          reported = true;
          Add(rel, "hash tile differs from the hashes recomputed from " +
                       HashTilePath(level - 1, m * kTileWidth + i, kTileWidth) +
                       " (first at position " + Num(i) + ")");
        }
      }
      if (w == kTileWidth) {
        bool known = std::all_of(best.begin(), best.end(), [](const auto& h) { return h; });
        std::optional<Hash> root;
        if (known) {
          std::vector<Hash> hashes;
          hashes.reserve(w);
          for (const auto& h : best) hashes.push_back(*h);
          root = FullTileRoot(hashes.data());
        }
        above_.push_back(root);
      } else {
        edge_[level] = best;
      }
      CheckSupersededHashes(level, m, w, best);
    }
  }

  // Older partial versions of tile (level, n) must be prefixes of what the tree
  // now has there. Wider ones than the checkpoint's were left by an append that
  // did not commit and will be overwritten: not a problem.
  void CheckSupersededHashes(int level, uint64_t n, uint64_t w, const Row& best) {
    std::string pdir = HashTilePath(level, n, kTileWidth) + ".p";
    for (uint64_t pw : PartialWidths(c_, pdir, w)) {
      std::string rel = HashTilePath(level, n, pw);
      auto stored = ReadHashTile(rel, pw);
      if (!stored) continue;
      for (uint64_t i = 0; i < pw; ++i) {
        if (best[i] && *best[i] != (*stored)[i]) {
          Add(rel, "superseded partial hash tile is not a prefix of " + HashTilePath(level, n, w) +
                       " (first difference at position " + Num(i) + ")");
          break;
        }
      }
    }
  }

  void CheckSupersededBundles(uint64_t n, uint64_t w, const std::optional<std::string>& bundle,
                              const std::optional<std::vector<Hash>>& best) {
    std::string pdir = EntryBundlePath(n, kTileWidth) + ".p";
    for (uint64_t pw : PartialWidths(c_, pdir, w)) {
      std::string rel = EntryBundlePath(n, pw);
      auto data = Read(rel, "entry bundle");
      if (!data) continue;
      auto views = SplitEntryBundle(*data, pw);
      if (!views.ok()) {
        Add(rel, views.status().message());
        continue;
      }
      bool prefix = true;
      if (bundle) {
        prefix = bundle->compare(0, data->size(), *data) == 0;
      } else if (best) {
        for (uint64_t i = 0; i < pw && prefix; ++i) prefix = LeafHash((*views)[i]) == (*best)[i];
      }
      if (!prefix) {
        Add(rel, "superseded partial entry bundle is not a prefix of " + EntryBundlePath(n, w));
      }
    }
  }

  // Builds the edge from rows; false when a hash in it is unknown.
  bool BuildEdge(const std::array<Row, kLevels>& rows, Edge* edge) {
    for (int level = 0; level < kLevels; ++level) {
      if (rows[level].empty()) continue;
      std::vector<Hash> hashes;
      for (const auto& h : rows[level]) {
        if (!h) return false;
        hashes.push_back(*h);
      }
      (*edge)[level] = std::make_shared<const TileTree>(std::move(hashes));
    }
    return true;
  }

  void CheckRoot() {
    CheckEdgeRoot();
    if (edge_zero_) {
      EdgeZero& z = *edge_zero_;
      CheckSupersededZero(z.n, z.w, z.bundle, z.best);
    }
  }

  void CheckEdgeRoot() {
    Edge edge;
    if (!BuildEdge(edge_, &edge)) {
      Add(kCheckpointFile, "cannot check the checkpoint root: the tiles at the right edge of " +
                               std::string("the tree are unreadable"));
      return;
    }
    auto got = EdgeRoot(edge, size_);
    if (!got.ok()) {
      Add(kCheckpointFile, "cannot recompute the root: " + got.status().message());
      return;
    }
    Hash root = *got;
    if (edge_mismatch_) {
      const EdgeMismatch& m = *edge_mismatch_;
      Edge alt = edge;
      alt[0] = std::make_shared<const TileTree>(m.stored);
      auto alt_root = EdgeRoot(alt, size_);
      if (root != root_ && alt_root.ok() && *alt_root == root_) {
        AddBundleChanged(m.brel, m.trel, m.leaf);
        root = *alt_root;
        if (edge_zero_) {
          edge_zero_->bundle.reset();
          edge_zero_->best = m.stored;
        }
      } else {
        AddTileDiffers(m.trel, m.leaf);
      }
    }
    if (root != root_) {
      Add(kCheckpointFile, "checkpoint root does not match the tree: the tree recomputed from " +
                               std::string("the entries has root ") + root.Hex() +
                               ", the checkpoint says " + root_.Hex());
    }
  }

  struct EdgeZero {
    uint64_t n;
    uint64_t w;
    std::optional<std::string> bundle;
    std::optional<std::vector<Hash>> best;
  };
  struct EdgeMismatch {
    std::string brel;
    std::string trel;
    uint64_t leaf;
    std::vector<Hash> stored;
  };

  const Core& c_;
  std::vector<LogProblem>* problems_;
  const std::function<void(uint64_t, uint64_t)>& progress_;
  size_t added_ = 0;
  bool stopped_ = false;
  uint64_t size_ = 0;
  Hash root_;
  Row above_;  // recomputed hashes of the level being built from full tiles below
  std::array<Row, kLevels> edge_;
  std::optional<EdgeMismatch> edge_mismatch_;
  std::optional<EdgeZero> edge_zero_;
  std::optional<std::vector<Hash>> parent_;
  uint64_t parent_index_ = 0;
};

// The tree of `size` leaves recomputed from its entry bundles alone, bottom up
// and one tile at a time, in constant memory: `tile(level, n, hashes)` for
// every hash tile of the tree (full and right-edge), `bundle(n, file, data)` for
// every entry bundle read (`data`: its first `width` entries, where a wider file
// stood in for a missing partial one; with their leaf hashes), before the tiles
// made from it. Returns the root. A bundle that is
// missing, unreadable or malformed: kIntegrity naming it.
using RecomputedTile = std::function<Status(int level, uint64_t n, const std::vector<Hash>&)>;
using RecomputedBundle = std::function<Status(uint64_t n, const PartialFile& file,
                                              std::string_view data, const std::vector<Hash>&)>;

StatusOr<Hash> RecomputeTree(const Core& c, uint64_t size, const RecomputedTile& tile,
                             const RecomputedBundle& bundle,
                             const std::function<void(uint64_t, uint64_t)>& progress) {
  if (size == 0) return EmptyRoot();
  std::array<std::vector<Hash>, kLevels> rows;  // the unfinished tile of each level
  std::array<uint64_t, kLevels> full{};         // full tiles finished so far, per level
  auto push = [&](int level, Hash h) -> Status {
    for (; level < kLevels; ++level) {
      rows[level].push_back(h);
      if (rows[level].size() < kTileWidth) return Status::Ok();
      ISNAD_RETURN_IF_ERROR(tile(level, full[level]++, rows[level]));
      h = FullTileRoot(rows[level].data());
      rows[level].clear();
    }
    return core::Internal("the tree has outgrown 64-bit sizes");
  };
  const uint64_t bundles = size / kTileWidth + (size % kTileWidth != 0 ? 1 : 0);
  for (uint64_t n = 0; n < bundles; ++n) {
    if (progress) progress(n * kTileWidth, size);
    const uint64_t w = WidthOf(size, n);
    PartialFile f;
    std::string_view data;
    auto views = ReadBundle(c, n, w, &f, &data);
    if (!views.ok()) return views.status();
    std::vector<Hash> leaves;
    leaves.reserve(w);
    for (std::string_view e : *views) leaves.push_back(LeafHash(e));
    if (bundle) ISNAD_RETURN_IF_ERROR(bundle(n, f, data, leaves));
    if (w == kTileWidth) {
      ISNAD_RETURN_IF_ERROR(tile(0, full[0]++, leaves));
      ISNAD_RETURN_IF_ERROR(push(1, FullTileRoot(leaves.data())));
    } else {
      rows[0] = std::move(leaves);
    }
  }
  if (progress) progress(size, size);
  Edge edge;
  for (int level = 0; level < kLevels; ++level) {
    if (rows[level].empty()) continue;
    ISNAD_RETURN_IF_ERROR(tile(level, full[level], rows[level]));
    edge[level] = std::make_shared<const TileTree>(rows[level]);
  }
  return EdgeRoot(edge, size);
}

}  // namespace log_internal

using core::Hash;
using core::Status;
using core::StatusOr;
using log_internal::Core;
using log_internal::kCheckpointFile;
using log_internal::Num;

struct Log::State : Core {};

Log::Log(std::unique_ptr<State> state) : state_(std::move(state)) {}
Log::~Log() = default;

StatusOr<std::unique_ptr<Log>> Log::Create(core::Env* env, std::string dir,
                                           const NoteSigner& signer) {
  auto st = std::make_unique<State>();
  st->env = env;
  st->dir = std::move(dir);
  st->vkey = signer.vkey();
  std::string path = st->Path(kCheckpointFile);
  if (core::Exists(env, path)) {
    return core::AlreadyExists(path + " already exists: there is a log in " + st->dir);
  }
  ISNAD_RETURN_IF_ERROR(core::CreateDirs(env, st->dir));
  st->checkpoint = Checkpoint{signer.name(), 0, EmptyRoot(), ""};
  ISNAD_ASSIGN_OR_RETURN(st->note, SignNote(st->checkpoint.Body(), {&signer}));
  ISNAD_RETURN_IF_ERROR(core::WriteFileAtomically(env, path, st->note, /*sync=*/true));
  // The log folder itself may be new: make its name durable in its parent too.
  ISNAD_RETURN_IF_ERROR(env->SyncDir(core::DirName(st->dir)));
  return std::unique_ptr<Log>(new Log(std::move(st)));
}

StatusOr<std::unique_ptr<Log>> Log::Open(core::Env* env, std::string dir,
                                         const NoteVerifier& verifier) {
  auto st = std::make_unique<State>();
  st->env = env;
  st->dir = std::move(dir);
  st->vkey = verifier.vkey();
  ISNAD_ASSIGN_OR_RETURN(st->checkpoint, log_internal::ReadCheckpoint(*st, verifier, &st->note));
  ISNAD_RETURN_IF_ERROR(log_internal::LoadEdge(*st, st->checkpoint.size, st->checkpoint.root,
                                               &st->edge, &st->edge_bundle));
  return std::unique_ptr<Log>(new Log(std::move(st)));
}

StatusOr<std::unique_ptr<Log>> Log::OpenForAudit(core::Env* env, std::string dir,
                                                 const NoteVerifier& verifier,
                                                 Status* edge_problem) {
  auto st = std::make_unique<State>();
  st->env = env;
  st->dir = std::move(dir);
  st->vkey = verifier.vkey();
  ISNAD_ASSIGN_OR_RETURN(st->checkpoint, log_internal::ReadCheckpoint(*st, verifier, &st->note));
  *edge_problem = log_internal::LoadEdge(*st, st->checkpoint.size, st->checkpoint.root, &st->edge,
                                         &st->edge_bundle);
  if (!edge_problem->ok()) {
    // Entries and proofs in the damaged edge fail when asked for; Verify reads
    // the files itself and names what is wrong.
    st->edge = {};
    st->edge_bundle.clear();
    st->edge_damaged = true;
  }
  return std::unique_ptr<Log>(new Log(std::move(st)));
}

uint64_t Log::size() const { return state_->checkpoint.size; }
Hash Log::root() const { return state_->checkpoint.root; }
const Checkpoint& Log::checkpoint() const { return state_->checkpoint; }
const std::string& Log::checkpoint_note() const { return state_->note; }

namespace {

// Written (and fsynced) before a batch's tiles: the batch's target size and
// every tile it may write. If the batch never commits, the next Append removes
// those files, so no partial tile of an uncommitted batch can later pass for a
// superseded partial tile of the committed tree.
constexpr char kPendingFile[] = "pending";

// Tiles (hash tiles and entry bundles) that differ between the trees of
// `from` and `to` entries: the ones an append from `from` to `to` writes.
std::vector<std::string> TilesWrittenBetween(uint64_t from, uint64_t to) {
  std::vector<std::string> out;
  for (int level = 0; level < log_internal::kLevels && (to >> (kTileHeight * level)) > 0; ++level) {
    uint64_t nodes_from = from >> (kTileHeight * level);
    uint64_t nodes_to = to >> (kTileHeight * level);
    if (nodes_to == nodes_from) continue;
    for (uint64_t n = nodes_from / kTileWidth; n <= (nodes_to - 1) / kTileWidth; ++n) {
      uint64_t width = std::min<uint64_t>(kTileWidth, nodes_to - n * kTileWidth);
      out.push_back(HashTilePath(level, n, width));
      if (level == 0) out.push_back(EntryBundlePath(n, width));
    }
  }
  return out;
}

// Removes the tiles named by a pending record whose batch did not commit.
Status RemoveUncommitted(Core& c) {
  auto text = log_internal::ReadBounded(c, kPendingFile, "pending record");
  if (!text.ok()) {
    if (text.status().code() == core::Code::kNotFound) return Status::Ok();
    return text.status().WithContext(std::string(kPendingFile) +
                                     " (it is not part of the tree; if it was not left by "
                                     "isnad, move it out of the log folder)");
  }
  std::vector<std::string> lines;
  size_t at = 0;
  while (at < text->size()) {
    size_t nl = text->find('\n', at);
    if (nl == std::string::npos) break;  // a torn last line: its batch wrote nothing after it
    lines.push_back(text->substr(at, nl - at));
    at = nl + 1;
  }
  uint64_t target = 0;
  bool uncommitted =
      !lines.empty() && lines[0].rfind("size ", 0) == 0 &&
      (target = std::strtoull(lines[0].c_str() + 5, nullptr, 10)) > c.checkpoint.size;
  if (uncommitted) {
    for (size_t i = 1; i < lines.size(); ++i) {
      auto id = ParseTilePath(lines[i]);
      if (!id.ok()) continue;  // only ever tile paths
      // Only ever tiles past the checkpoint, too. A record naming one the
      // committed tree holds (full, current or superseded partial) is damaged
      // or planted: that file is evidence and stays.
      uint64_t have = log_internal::CountAt(c.checkpoint.size, std::max(id->level, 0));
      if (id->index < have / kTileWidth ||
          (id->index == have / kTileWidth && id->width <= have % kTileWidth)) {
        continue;
      }
      Status s = c.env->RemoveFile(c.Path(lines[i]));
      if (!s.ok() && s.code() != core::Code::kNotFound) return s;
    }
    // The removals must be durable before the record that names them is
    // replaced, or a second crash could bring the files back unrecorded.
    ISNAD_RETURN_IF_ERROR(c.env->SyncFilesystem(c.dir));
  }
  return c.env->RemoveFile(c.Path(kPendingFile));
}

}  // namespace

StatusOr<uint64_t> Log::Append(const std::vector<std::string>& entries, const NoteSigner& signer) {
  Core& c = *state_;
  if (entries.empty()) return core::InvalidArgument("nothing to append: the batch is empty");
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].size() > kMaxEntrySize) {
      return core::InvalidArgument("entry " + Num(i) + " of the batch has " +
                                   Num(entries[i].size()) + " bytes; log entries are at most " +
                                   Num(kMaxEntrySize));
    }
  }
  if (signer.vkey() != c.vkey) {
    return core::FailedPrecondition("the log in " + c.dir + " is signed by the key " + c.vkey +
                                    ", not by " + signer.vkey());
  }
  if (c.edge_damaged) {
    return core::FailedPrecondition("the log in " + c.dir +
                                    " was opened for an audit and the right edge of its tree is "
                                    "damaged; nothing was appended; run `isnad verify`");
  }
  if (c.checkpoint_in_doubt) ISNAD_RETURN_IF_ERROR(log_internal::ReconcileCheckpoint(c));

  const uint64_t first = c.checkpoint.size;
  if (entries.size() > UINT64_MAX - first) {
    return core::FailedPrecondition("the log in " + c.dir + " has " + Num(first) + " entries; " +
                                    Num(entries.size()) +
                                    " more would pass 2^64 - 1, the most a tlog-tiles log holds; "
                                    "nothing was appended");
  }
  auto failed = [&](const Status& s) {
    return s.WithContext("append to the log in " + c.dir + " failed; it stays at " + Num(first) +
                         " entries");
  };
  // Leftovers of a batch that did not commit go first; then this batch's own record.
  if (Status s = RemoveUncommitted(c); !s.ok()) return failed(s);
  {
    std::string pending = "size " + Num(first + entries.size()) + "\n";
    for (const auto& t : TilesWrittenBetween(first, first + entries.size())) pending += t + "\n";
    if (Status s = core::WriteFileAtomically(c.env, c.Path(kPendingFile), pending, /*sync=*/true);
        !s.ok()) {
      return failed(s);
    }
  }
  log_internal::Batch b;
  b.size = first;
  for (int level = 0; level < log_internal::kLevels; ++level) {
    if (const auto& t = c.edge[level]) b.level[level].assign(t->base(), t->base() + t->width());
  }
  b.bundle = c.edge_bundle;
  Status s = log_internal::WriteBatch(c, b, entries);
  if (s.ok()) s = c.env->SyncFilesystem(c.dir);
  if (!s.ok()) return failed(s);

  log_internal::Edge edge = c.edge;
  for (int level = 0; level < log_internal::kLevels; ++level) {
    if (!b.touched[level]) continue;
    edge[level] = b.level[level].empty()
                      ? nullptr
                      : std::make_shared<const log_internal::TileTree>(std::move(b.level[level]));
  }
  auto root = log_internal::EdgeRoot(edge, b.size);
  if (!root.ok()) return failed(root.status());
  Checkpoint cp{signer.name(), b.size, *root, ""};
  auto note = SignNote(cp.Body(), {&signer});
  if (!note.ok()) return failed(note.status());
  s = core::WriteFileAtomically(c.env, c.Path(kCheckpointFile), *note, /*sync=*/true);
  bool renamed = false;
  if (!s.ok()) {
    auto disk = log_internal::ReadBounded(c, kCheckpointFile, "checkpoint");
    renamed = disk.ok() && *disk == *note;
    if (!renamed) {
      // The new checkpoint never became visible: the committed one stays.
      (void)log_internal::ReconcileCheckpoint(c);
      return failed(s);
    }
    // The rename happened (only the folder fsync failed): readers may already
    // have seen the new checkpoint, so it is never taken back — putting the
    // old one back would let the key later sign a second tree of this size.
  }
  c.checkpoint = std::move(cp);
  c.note = std::move(*note);
  c.edge = std::move(edge);
  c.edge_bundle = std::move(b.bundle);
  // Committed: the record is no longer needed (if this fails, the next Append
  // finds a record whose size the checkpoint has reached, and just drops it).
  (void)c.env->RemoveFile(c.Path(kPendingFile));
  if (renamed) {
    Status synced = c.env->SyncDir(c.dir);
    if (!synced.ok()) {
      return synced.WithContext("the batch is committed (checkpoint of " + Num(c.checkpoint.size) +
                                " entries written) but could not be confirmed durable");
    }
  }
  return first;
}

namespace {

// Calls fn for entries [begin, end) of bundle n of a log of `size` entries.
Status ForBundle(const Core& c, uint64_t size, uint64_t n, uint64_t begin, uint64_t end,
                 const std::function<Status(uint64_t, std::string_view)>& fn) {
  std::string data;
  std::string_view bundle;
  uint64_t width = log_internal::WidthOf(size, n);
  std::string rel = EntryBundlePath(n, width);
  if (width < kTileWidth && !c.edge_damaged) {
    bundle = c.edge_bundle;
  } else {
    // A full bundle, or the newest one of a log opened for audit whose edge did
    // not load (its hash tiles are damaged, which Verify names): the entries are
    // what is checked, and the tree is grown from them, whatever the tiles say.
    ISNAD_ASSIGN_OR_RETURN(data, log_internal::ReadLogFile(c, rel, "entry bundle"));
    bundle = data;
  }
  auto views = SplitEntryBundle(bundle, width);
  if (!views.ok()) return views.status().WithContext(rel);
  for (uint64_t i = begin; i < end; ++i) {
    ISNAD_RETURN_IF_ERROR(fn(i, (*views)[i - n * kTileWidth]));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::string> Log::Entry(uint64_t index) const {
  if (index >= size()) {
    return core::NotFound("no entry " + Num(index) + ": the log has " + Num(size()) + " entries");
  }
  std::string out;
  ISNAD_RETURN_IF_ERROR(ForBundle(*state_, size(), index / kTileWidth, index, index + 1,
                                  [&](uint64_t, std::string_view e) {
                                    out = std::string(e);
                                    return Status::Ok();
                                  }));
  return out;
}

Status Log::ForEachEntry(uint64_t begin, uint64_t end,
                         const std::function<Status(uint64_t, std::string_view)>& fn) const {
  if (begin > end || end > size()) {
    return core::InvalidArgument("entries [" + Num(begin) + ", " + Num(end) +
                                 ") are not inside the log of " + Num(size()));
  }
  for (uint64_t i = begin; i < end;) {
    uint64_t n = i / kTileWidth;
    // Not (n + 1) * 256, which wraps to 0 in the last bundle of a 2^64 - 1 tree.
    uint64_t left_in_bundle = kTileWidth - i % kTileWidth;
    uint64_t stop = end - i <= left_in_bundle ? end : i + left_in_bundle;
    ISNAD_RETURN_IF_ERROR(ForBundle(*state_, size(), n, i, stop, fn));
    i = stop;
  }
  return Status::Ok();
}

StatusOr<std::vector<Hash>> Log::InclusionProof(uint64_t index, uint64_t tree_size) const {
  if (tree_size > size()) {
    return core::InvalidArgument("tree size " + Num(tree_size) + " is beyond the log's " +
                                 Num(size()) + " entries");
  }
  log_internal::TreeSource src(state_.get(), state_->edge, size());
  return tlog::InclusionProof(src, index, tree_size);
}

StatusOr<std::vector<Hash>> Log::ConsistencyProof(uint64_t size1, uint64_t size2) const {
  if (size2 > size()) {
    return core::InvalidArgument("tree size " + Num(size2) + " is beyond the log's " + Num(size()) +
                                 " entries");
  }
  log_internal::TreeSource src(state_.get(), state_->edge, size());
  return tlog::ConsistencyProof(src, size1, size2);
}

StatusOr<Hash> Log::RootAt(uint64_t tree_size) const {
  if (tree_size > size()) {
    return core::InvalidArgument("tree size " + Num(tree_size) + " is beyond the log's " +
                                 Num(size()) + " entries");
  }
  if (tree_size == size()) return root();
  log_internal::TreeSource src(state_.get(), state_->edge, size());
  return TreeRoot(src, tree_size);
}

Status Log::Verify(const NoteVerifier& verifier, std::vector<LogProblem>* problems,
                   const std::function<void(uint64_t, uint64_t)>& progress) const {
  if (problems == nullptr) return core::InvalidArgument("Verify needs somewhere to put problems");
  log_internal::Checker(*state_, problems, progress).Run(verifier);
  return Status::Ok();
}

Status Log::RepairTiles(bool dry_run, std::vector<RepairedFile>* repaired,
                        const std::function<void(uint64_t, uint64_t)>& progress) {
  if (repaired == nullptr) {
    return core::InvalidArgument("RepairTiles needs somewhere to list files");
  }
  Core& c = *state_;
  const uint64_t size = c.checkpoint.size;
  const std::string nothing_written =
      "The entries are the log's ground truth: hash tiles are rebuilt from them, never the "
      "reverse, so nothing was written. ";

  // Pass 1 reads everything and writes nothing. It recomputes the tree from the
  // entries, keeps a digest of each bundle's leaf hashes (the second pass writes
  // only what comes from bundles that still give them), lists the files that
  // differ from what the entries give, and notes bundles that disagree with
  // tiles which agree among themselves: the likely damaged ones, if the root
  // does not match.
  std::vector<Hash> proven;
  std::vector<RepairedFile> differ;
  std::vector<std::string> blocked;  // not regular files: moved aside by hand first
  std::vector<std::string> suspects;
  auto classify = [&](const std::string& rel, std::string_view want,
                      std::string_view kind) -> Status {
    auto have = log_internal::ReadBounded(c, rel, kind);
    if (have.ok() && *have == want) return Status::Ok();
    if (have.ok()) {
      differ.push_back({rel, "damaged (its bytes differed from what the entries give)"});
    } else if (have.status().code() == core::Code::kNotFound) {
      differ.push_back({rel, "missing"});
    } else if (have.status().code() == core::Code::kIntegrity &&
               have.status().message().find("not a regular file") != std::string::npos) {
      blocked.push_back(rel);
    } else if (have.status().code() == core::Code::kIntegrity) {
      differ.push_back({rel, "damaged (" + have.status().message() + ")"});
    } else {
      return have.status().WithContext(rel);
    }
    return Status::Ok();
  };
  auto superseded_tiles = [&](int level, uint64_t n, const std::vector<Hash>& hashes,
                              const auto& each) -> Status {
    for (uint64_t pw :
         log_internal::PartialWidths(c, HashTilePath(level, n, kTileWidth) + ".p", hashes.size())) {
      ISNAD_RETURN_IF_ERROR(
          each(HashTilePath(level, n, pw), log_internal::TileBytes(hashes.data(), pw)));
    }
    return Status::Ok();
  };
  auto superseded_bundles = [&](uint64_t n, uint64_t w, std::string_view data,
                                const auto& each) -> Status {
    for (uint64_t pw : log_internal::PartialWidths(c, EntryBundlePath(n, kTileWidth) + ".p", w)) {
      auto len = log_internal::BundlePrefixLength(data, pw);
      if (!len) return core::Internal("a proved bundle is shorter than its superseded part");
      ISNAD_RETURN_IF_ERROR(each(EntryBundlePath(n, pw), data.substr(0, *len)));
    }
    return Status::Ok();
  };
  // The stored level-1 hash over full level-0 tile n, when its tile reads.
  std::optional<std::vector<Hash>> parents;
  uint64_t parents_at = 0;
  auto stored_parent = [&](uint64_t n) -> std::optional<Hash> {
    const uint64_t m = n / kTileWidth, count = log_internal::CountAt(size, 1);
    if (!parents || parents_at != m) {
      parents_at = m;
      parents = std::vector<Hash>();
      const uint64_t w = log_internal::WidthOf(count, m);
      auto data = log_internal::ReadBounded(c, HashTilePath(1, m, w), "hash tile");
      if (data.ok()) {
        auto hashes = log_internal::DecodeHashTile(*data, w);
        if (hashes.ok()) parents = std::move(*hashes);
      }
    }
    if (n % kTileWidth >= parents->size()) return std::nullopt;
    return (*parents)[n % kTileWidth];
  };
  auto check_tile = [&](int level, uint64_t n, const std::vector<Hash>& hashes) -> Status {
    const uint64_t w = hashes.size();
    const std::string rel = HashTilePath(level, n, w);
    if (level == 0 && suspects.size() < 3) {
      auto stored = log_internal::ReadBounded(c, rel, "hash tile");
      auto tile = stored.ok() ? log_internal::DecodeHashTile(*stored, w)
                              : StatusOr<std::vector<Hash>>(stored.status());
      const bool differs = !tile.ok() || *tile != hashes;
      std::optional<Hash> parent = w == kTileWidth ? stored_parent(n) : std::nullopt;
      bool suspect = false;
      if (parent) {
        // The tiles agree with each other and the entries do not, or no level-0
        // tile is left and the entries disagree with the level above.
        const Hash computed = log_internal::FullTileRoot(hashes.data());
        suspect = computed != *parent &&
                  (!tile.ok() || log_internal::FullTileRoot(tile->data()) == *parent);
      } else {
        suspect = tile.ok() && differs;
      }
      if (suspect) suspects.push_back(EntryBundlePath(n, w));
    }
    ISNAD_RETURN_IF_ERROR(classify(rel, log_internal::TileBytes(hashes.data(), w), "hash tile"));
    return superseded_tiles(level, n, hashes, [&](const std::string& r, std::string_view want) {
      return classify(r, want, "hash tile");
    });
  };
  auto check_bundle = [&](uint64_t n, const log_internal::PartialFile& f, std::string_view data,
                          const std::vector<Hash>& leaves) -> Status {
    proven.push_back(core::Sha256Of(log_internal::TileBytes(leaves.data(), leaves.size())));
    const uint64_t w = leaves.size();
    if (f.width != w) ISNAD_RETURN_IF_ERROR(classify(EntryBundlePath(n, w), data, "entry bundle"));
    return superseded_bundles(n, w, data, [&](const std::string& r, std::string_view want) {
      return classify(r, want, "entry bundle");
    });
  };
  auto root = log_internal::RecomputeTree(c, size, check_tile, check_bundle, progress);
  if (!root.ok()) {
    if (root.status().code() != core::Code::kIntegrity) return root.status();
    return core::Integrity(root.status().message() + ". " + nothing_written +
                           "Restore that file from a backup of the archive, then run `isnad "
                           "verify`");
  }
  if (*root != c.checkpoint.root) {
    std::string which;
    for (const auto& b : suspects) which += (which.empty() ? "" : ", ") + b;
    std::string culprit =
        suspects.empty()
            ? "an entry bundle was damaged or changed, and which one cannot be told from the "
              "hash tiles here, which are damaged too. " +
                  nothing_written +
                  "Compare log/tile/entries/ with a backup of the archive and restore the bundle "
                  "that differs"
            : "an entry bundle was damaged or changed: " + which +
                  (suspects.size() == 1 ? " no longer matches" : " no longer match") +
                  " the hash tiles, which agree with each other. " + nothing_written + "Restore " +
                  (suspects.size() == 1 ? "it" : "them") + " from a backup of the archive";
    return core::Integrity(
        "the entries do not lead to the signed checkpoint: their tree has root " + root->Hex() +
        ", the checkpoint of " + Num(size) + " entries says " + c.checkpoint.root.Hex() + ": " +
        culprit + ", then run `isnad verify`");
  }
  if (!blocked.empty()) {
    std::string names;
    for (const auto& b : blocked) names += (names.empty() ? "" : ", ") + b;
    return core::Integrity(names + (blocked.size() == 1 ? " is" : " are") +
                           " not a regular file (a folder, FIFO, device or socket) where the log "
                           "keeps a file; nothing was written. Move " +
                           (blocked.size() == 1 ? "it" : "them") +
                           " out of the log folder, then run `isnad repair-log` again");
  }
  if (dry_run || differ.empty()) {
    *repaired = std::move(differ);
    return Status::Ok();
  }

  // Pass 2 writes the files pass 1 listed, each from a bundle that still gives
  // the leaf hashes pass 1 proved. What it wrote is listed as it goes, so that a
  // failure part-way still says what was rewritten.
  std::map<std::string, std::string> todo;
  for (auto& d : differ) todo.emplace(d.file, std::move(d.why));
  repaired->clear();
  auto write = [&](const std::string& rel, std::string_view data, bool sync) -> Status {
    auto it = todo.find(rel);
    if (it == todo.end()) return Status::Ok();
    ISNAD_RETURN_IF_ERROR(log_internal::WriteLogFile(c, rel, data, sync));
    repaired->push_back({rel, it->second});
    return Status::Ok();
  };
  auto write_tile = [&](int level, uint64_t n, const std::vector<Hash>& hashes) -> Status {
    const uint64_t w = hashes.size();
    ISNAD_RETURN_IF_ERROR(
        write(HashTilePath(level, n, w), log_internal::TileBytes(hashes.data(), w), false));
    return superseded_tiles(level, n, hashes, [&](const std::string& r, std::string_view want) {
      return write(r, want, false);
    });
  };
  auto write_bundle = [&](uint64_t n, const log_internal::PartialFile& f, std::string_view data,
                          const std::vector<Hash>& leaves) -> Status {
    if (n >= proven.size() ||
        core::Sha256Of(log_internal::TileBytes(leaves.data(), leaves.size())) != proven[n]) {
      return core::Integrity(f.rel +
                             " changed while the log was being repaired: nothing more "
                             "was written. Run `isnad verify`");
    }
    // A copy of entries of the signed tree: durable before its name is, since
    // an empty file under that name would stand for a damaged bundle.
    const uint64_t w = leaves.size();
    if (f.width != w) ISNAD_RETURN_IF_ERROR(write(EntryBundlePath(n, w), data, true));
    return superseded_bundles(n, w, data, [&](const std::string& r, std::string_view want) {
      return write(r, want, true);
    });
  };
  auto again = log_internal::RecomputeTree(c, size, write_tile, write_bundle, progress);
  Status synced = repaired->empty() ? Status::Ok() : c.env->SyncFilesystem(c.dir);
  if (!again.ok()) return again.status();
  return synced;
}

}  // namespace isnad::tlog
