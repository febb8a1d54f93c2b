// BlobStore: the content-addressed store of original bytes, in a local folder:
//   <archive>/objects/sha256/<2 hex>/<2 hex>/<64 hex>   (read-only, mode 0444)
//   <archive>/tmp/                                       (temp files, same file system)
// See docs/formats/blob-layout.md. Every file is written in one streaming pass
// (SHA-256 computed while the temp file is written, constant memory), and
// stored once: bytes already present are not written again.
//
// Durability protocol: Stage() writes a temp file; Commit() makes a batch of
// staged temp files durable (fsync each when few, else one SyncFilesystem)
// *before* renaming them into place, so a blob at its final path always holds
// its full bytes, even after a crash. The renames (and any new `ab/cd`
// folders) themselves become durable with the caller's next
// Env::SyncFilesystem of the archive (the log append that references them):
// until then a crash may lose a just-committed blob, never leave a partial one.
//
// Thread safety: Stage() may run on several threads at once; Commit() and
// Abort() are called by one thread. Readers may run at any time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/digest.h"
#include "core/env.h"
#include "core/status.h"

namespace isnad::store {

// A blob written to a temp file, not yet in the store.
struct StagedBlob {
  core::Hash sha256;
  uint64_t size_bytes = 0;
  std::string temp_path;
  bool synced = false;  // the temp file's data is already durable
  std::string head;     // the first bytes (up to 64 KiB), e.g. for type sniffing
};

struct CommittedBlob {
  core::Hash sha256;
  uint64_t size_bytes = 0;
  // The store held these bytes when this blob's turn came: before this commit,
  // or from an earlier blob of the same batch. Either way they are stored once.
  bool already_present = false;
  // Set when the stored copy was found damaged (wrong size or wrong hash) and
  // was replaced by this good copy: where the damaged
  // file was moved (<archive>/quarantine/<hex>.<time>.<pid>).
  std::string replaced_damaged;
};

class BlobStore {
 public:
  ~BlobStore();

  // Opens (creating `objects/sha256` and `tmp` when absent) the store under
  // `archive_dir`. Removes temp files left behind by a crashed writer only when
  // `clean_temp` (the caller holds the archive lock).
  static core::StatusOr<std::unique_ptr<BlobStore>> Open(core::Env* env, std::string archive_dir,
                                                         bool clean_temp);

  // Returns "objects/sha256/ab/cd/<hex>" relative to the archive. Pure.
  static std::string RelativePath(const core::Hash& sha256);
  // Returns the absolute-or-archive-joined path of the blob.
  std::string PathOf(const core::Hash& sha256) const;

  // Streams the regular file at `source_path` into a temp file while hashing it
  // (the calling thread reads and writes each buffer while a second thread
  // hashes it, so time approaches max(hash, read + write) rather than their
  // sum; memory stays a few MiB whatever the size). Files of at least
  // `sync_threshold_bytes` are fsynced here, so large-file syncs overlap with
  // other work. Refuses, with kFailedPrecondition and nothing staged, a file
  // that changed while it was read (size, mtime, ctime or inode differ before
  // and after, or, for a file modified less than 3 s before the read began,
  // a second read gives other bytes), and with kInvalidArgument a path that is not a regular file
  // (folders and symlinks are not followed). `progress(bytes)`, when set, is
  // called on the calling thread after each buffer with the count of bytes
  // just read (a delta: the calls sum to the file's size). On any failure the
  // temp file is removed, and `*failed_on_archive` (when given) is set when the
  // failure was the archive's (its temp file or blob folders: a full, read-only
  // or failing disk, on which every later file would fail too), not the source's.
  // `private_file`: the archive's own temp file (a spool), which no other
  // program writes: not read a second time however recently it was written.
  core::StatusOr<StagedBlob> Stage(const std::string& source_path,
                                   const std::function<void(uint64_t)>& progress = nullptr,
                                   bool* failed_on_archive = nullptr, bool private_file = false);
  // Same, from bytes in memory (entry payloads too large for an entry, tests).
  core::StatusOr<StagedBlob> StageBytes(std::string_view bytes);

  // Makes the staged temp files durable, then moves each into place (read-only)
  // or, when its blob already exists, deletes the temp file. Results are in the
  // order of `staged`. On failure, the blobs not yet moved stay as temp files
  // (removed by Abort or the next Open) and no blob at a final path is
  // incomplete.
  core::StatusOr<std::vector<CommittedBlob>> Commit(std::vector<StagedBlob> staged);
  // Deletes staged temp files (best effort).
  void Abort(const std::vector<StagedBlob>& staged);

  bool Contains(const core::Hash& sha256) const;
  // Opens the blob for reading. kNotFound when absent.
  core::StatusOr<std::unique_ptr<core::SequentialFile>> Open(const core::Hash& sha256) const;
  // The whole blob in memory, checked: kIntegrity when its bytes do not hash to
  // its name (or it is over `max_bytes`, more than the caller's kind of blob
  // ever holds). For small blobs read whole: a long note's text, a token.
  core::StatusOr<std::string> ReadAll(const core::Hash& sha256, uint64_t max_bytes) const;
  // Re-reads the blob and returns SHA-256 of its bytes and its size.
  core::StatusOr<std::pair<core::Hash, uint64_t>> Rehash(const core::Hash& sha256) const;
  // Returns every blob in the store (by walking objects/sha256). Names that are
  // not a well-formed blob path (a stray file, a blob in the wrong folder, an
  // upper-case name) are returned, relative to the archive, in `strays` when
  // non-null. Blobs are sorted.
  core::StatusOr<std::vector<core::Hash>> List(std::vector<std::string>* strays = nullptr) const;

  size_t sync_threshold_bytes = 1 << 20;

 private:
  BlobStore(core::Env* env, std::string archive_dir);

  // Creates a new, empty temp file in tmp/. Returns its path.
  core::StatusOr<std::unique_ptr<core::WritableFile>> NewTempFile(std::string* path);
  // Keeps `file` (written, not synced) open so that Commit can fsync it alone,
  // or closes it when kMaxHeldFiles are already held.
  core::Status HoldOrClose(const std::string& temp_path, std::unique_ptr<core::WritableFile> file);
  // Takes the held file of `temp_path` (null when not held).
  std::unique_ptr<core::WritableFile> TakeHeld(const std::string& temp_path);
  // Reads the file at `source_path` once more: kFailedPrecondition unless it is
  // still the file `before` describes and its bytes hash to `sha256`.
  core::Status ReadAgain(const std::string& source_path, const core::FileInfo& before,
                         const core::Hash& sha256);
  // Makes the data of the unsynced temp files in `staged` durable.
  core::Status SyncStaged(const std::vector<StagedBlob>& staged);

  // Makes the temp file's blob folder exist (temp files are read-only from
  // the start). Thread safe.
  core::Status PrepareForCommit(const StagedBlob& blob);
  // Creates objects/sha256/ab/cd for `sha256` unless known to exist. Thread safe.
  core::Status EnsureBlobDir(const core::Hash& sha256);
  // objects/sha256/ab/cd folders known to exist, by the hash's first two bytes
  // (65,536). Guarded by mu_.
  std::vector<bool> known_dirs_ = std::vector<bool>(65536);
  // objects/sha256/ab folders known to be folders (not symlinks), by the
  // hash's first byte. Guarded by mu_.
  std::vector<bool> known_top_dirs_ = std::vector<bool>(256);
  core::Env* env_;
  std::string archive_dir_;
  std::string objects_dir_;  // <archive>/objects/sha256
  std::string temp_dir_;     // <archive>/tmp

  // Open handles of a few small staged temp files that are not synced yet, by
  // temp path: Commit fsyncs them one by one rather than the whole file system.
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<core::WritableFile>> held_;
};

}  // namespace isnad::store
