// Shared by the bag reader, validator and writer; not part of the module's API.
// Checksum algorithms, the hashing pipeline that spreads digests over threads,
// and the path rules of RFC 8493 (percent-encoding, escaping paths, Unicode
// normalisation). Thread safety: HashPipeline has one producer thread; the rest
// are pure functions.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/status.h"

namespace isnad::bag::internal {

// The manifest algorithms isnad checks (RFC 8493 §2.4 names: lower case, no '-').
enum class Alg { kMd5, kSha1, kSha224, kSha256, kSha384, kSha512 };
inline constexpr int kAlgCount = 6;

std::optional<Alg> AlgFromName(std::string_view name);
std::string_view AlgName(Alg alg);
// Hex digits of a checksum: 32 for md5 ... 128 for sha512.
size_t AlgHexLength(Alg alg);

// A streaming digest of one algorithm.
class Hasher {
 public:
  virtual ~Hasher() = default;
  virtual void Update(const char* data, size_t size) = 0;
  // Lower-case hex. Call once.
  virtual std::string FinishHex() = 0;
};
std::unique_ptr<Hasher> NewHasher(Alg alg);

// Hashes a stream of files with one thread per consumer, over the same buffers:
// the producer fills a block (Take), hands it over (Submit) and may go on using
// it read-only (the writer appends it to its output) until it Takes the next one;
// each consumer thread hashes the blocks meant for it, in order, and calls
// `done(file, alg, hex)` (on its own thread) when a file ends. Consumers may
// share an algorithm: they are then lanes hashing different files at once.
// Memory: `blocks` x `block_size`, whatever the stream's length.
class HashPipeline {
 public:
  using DoneFn = std::function<void(uint32_t file, Alg alg, std::string hex)>;
  HashPipeline(std::vector<Alg> consumers, DoneFn done, size_t blocks = 8,
               size_t block_size = size_t{1} << 20);
  ~HashPipeline();  // Close()
  HashPipeline(const HashPipeline&) = delete;
  HashPipeline& operator=(const HashPipeline&) = delete;

  // Starts the threads. kResourceExhausted when the system has none to give.
  core::Status Start();
  size_t block_size() const { return block_size_; }
  const std::vector<Alg>& consumers() const { return algs_; }

  // Producer: the next block to fill (waits until the consumers are done with it).
  char* Take();
  // Producer: `size` bytes of `file` are in the block last taken; `end` when it is
  // the file's last. Consumer i hashes it when bit i of `mask` is set; every
  // block of one file must carry the same mask.
  void Submit(size_t size, uint32_t file, bool end, uint64_t mask);
  // Waits until every submitted block is hashed, then stops the threads.
  void Close();

 private:
  struct Slot {
    std::unique_ptr<char[]> data;
    size_t size = 0;
    uint32_t file = 0;
    bool end = false;
    uint64_t mask = 0;
  };
  void Run(size_t consumer);

  std::vector<Alg> algs_;
  DoneFn done_;
  size_t block_size_;
  std::vector<Slot> slots_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable produced_cv_, consumed_cv_;
  uint64_t produced_ = 0;           // blocks submitted
  std::vector<uint64_t> consumed_;  // blocks each consumer has finished with
  bool taken_ = false;              // a Take() not yet submitted
  bool closing_ = false;
};

// Splits tag-file text into lines ended by LF, CR or CRLF. A last line without
// an ending is a line; the empty string after a final ending is not.
std::vector<std::string_view> SplitLines(std::string_view text);

// RFC 8493 §2.1.3: in a manifest or fetch.txt path, CR, LF and '%' (and only
// those) are percent-encoded.
std::string PercentEncodePath(std::string_view path);
std::string PercentDecodePath(std::string_view path);

// Why `path` (relative to the bag root, after decoding) would reach outside the
// bag: absolute, a `~` home reference, a `..` element. nullopt when it is safe.
std::optional<std::string> EscapeReason(std::string_view path);

// NFC form of `utf8` (itself when not valid UTF-8); with `fold`, case-folded too.
std::string NormalizeName(std::string_view utf8, bool fold);

// "1.5 GB" style size (decimal units), for Bag-Size.
std::string HumanSize(uint64_t bytes);

// True for names that operating systems leave behind: Thumbs.db, .DS_Store, ...
bool IsSystemFileName(std::string_view base_name);

}  // namespace isnad::bag::internal
