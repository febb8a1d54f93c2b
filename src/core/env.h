// Env: the one seam between isnad and the operating system's file system,
// after LevelDB's include/leveldb/env.h. The blob store and the log do all file
// I/O through it, so tests can substitute a fault-injecting Env
// (core/testing/fault_env.h) that fails the Nth write, fsync or rename, or fills
// the disk. Env::Default() is the POSIX implementation; it is thread safe.
// File objects are used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace isnad::core {

struct FileInfo {
  enum class Type { kRegular, kDirectory, kSymlink, kOther };
  Type type = Type::kOther;
  uint64_t size_bytes = 0;
  uint64_t device = 0;
  uint64_t inode = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  uint32_t mode = 0;
};

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends `data`. On failure (including a short write): kIoError/kResourceExhausted.
  virtual Status Append(std::string_view data) = 0;
  // Makes everything appended so far durable (fdatasync).
  virtual Status Sync() = 0;
  // Starts writing what was appended so far to the disk without waiting for it
  // (sync_file_range(2) SYNC_FILE_RANGE_WRITE), so that a later Sync() of a
  // large file has little left to do. A hint: it makes nothing durable.
  virtual Status StartWriteback() { return Status::Ok(); }
  // Overwrites bytes already appended, from `offset` on (pwrite(2)); never past
  // the end. For a header whose values are known only once what follows it is
  // written (a WARC record's digests). kUnimplemented where the file cannot.
  virtual Status WriteAt(uint64_t offset, std::string_view data) {
    (void)offset;
    (void)data;
    return Unimplemented("this file cannot be written at an offset");
  }
  // Closes the file; further calls are invalid. Destruction closes too, silently.
  virtual Status Close() = 0;
};

class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to `n` bytes into `buf`. Returns the count, 0 at end of file.
  virtual StatusOr<size_t> Read(char* buf, size_t n) = 0;
  // fstat(2) of the open file: the file actually opened, whatever has happened
  // to its path since (used to detect a source that changes while it is read).
  // kUnimplemented where the file has no such information.
  virtual StatusOr<FileInfo> Stat() { return Unimplemented("this file cannot be stat'ed"); }
};

// Held while alive; released on destruction.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;

  // Returns the process-wide POSIX Env. Never null; never deleted.
  static Env* Default();

  // Creates or truncates `path` for writing, with permission bits `mode`.
  virtual StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                                  uint32_t mode = 0644) = 0;
  // Creates `path`, failing with kAlreadyExists when it exists (O_EXCL).
  virtual StatusOr<std::unique_ptr<WritableFile>> NewExclusiveFile(const std::string& path,
                                                                   uint32_t mode) = 0;
  virtual StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) = 0;
  // Creates `to` (exclusively, permission bits `mode`) holding the `size` bytes
  // of `from` that start at `offset`. kIntegrity when `from` ends first; `to` is
  // then removed. This version reads and appends through the two files above;
  // the POSIX one copies inside the kernel (copy_file_range(2)).
  virtual Status CopyFileRange(const std::string& from, uint64_t offset, uint64_t size,
                               const std::string& to, uint32_t mode);
  // Returns the whole file. For small files (tiles, checkpoints, keys).
  virtual StatusOr<std::string> ReadFile(const std::string& path) = 0;
  // Atomically renames `from` to `to`, replacing `to`.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // Renames `from` to `to` only when `to` does not exist (renameat2
  // RENAME_NOREPLACE), atomically: evidence at `to` is never replaced.
  // kAlreadyExists when it does; `from` is then left in place.
  virtual Status RenameNoReplace(const std::string& from, const std::string& to) = 0;
  // Makes `to` a second name (hard link) of the file `from`; kAlreadyExists when
  // `to` exists, which is never replaced.
  virtual Status Link(const std::string& from, const std::string& to) = 0;
  // fsyncs the directory `dir`, making renames and creations in it durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // syncfs(2): makes every write on the file system holding `path` durable.
  // One call makes a whole batch of files durable; far cheaper than an fsync each.
  virtual Status SyncFilesystem(const std::string& path) = 0;
  // Creates directory `dir`; succeeds when it already exists.
  virtual Status CreateDir(const std::string& dir) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // lstat(2): does not follow a final symlink. kNotFound when absent.
  virtual StatusOr<FileInfo> Stat(const std::string& path) = 0;
  // Clears the write permission bits of `path` (blobs are read-only).
  virtual Status MakeReadOnly(const std::string& path) = 0;
  // Returns the names in `dir` except "." and "..", unsorted.
  virtual StatusOr<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  // Takes an exclusive advisory lock on `path` without waiting: a folder is
  // locked through its own inode (the holder's pid is written to
  // <folder>/lock), a file is created if absent and locked as itself.
  // On contention: kLocked naming the path and the holder's pid.
  virtual StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;
};

// Returns true when `path` exists (as anything, symlinks not followed).
bool Exists(Env* env, const std::string& path);

// Returns true when `path` is a folder or a symlink to one (/data -> /mnt/disk1).
bool IsFolder(Env* env, const std::string& path);

// mkdir -p, following no link: a symlink where a folder should be is an
// error, so that a link planted inside an archive never redirects its writes.
Status CreateDirs(Env* env, const std::string& dir);

// mkdir -p where a symlink to a folder counts as that folder: only for the
// folders a user chose (an archive's root and those above it), where
// /data -> /mnt/disk1 is normal.
Status CreateDirsFollowingLinks(Env* env, const std::string& dir);

// Reads `path` whole, for files whose format bounds their size (tiles,
// checkpoints), so that whatever a hostile archive puts in their place is
// refused rather than read: larger than `max_bytes` (a huge file, a symlink to
// /dev/zero): kResourceExhausted; a folder, FIFO, device or socket (which could
// block forever): kFailedPrecondition; absent: kNotFound. A symlink is followed.
StatusOr<std::string> ReadFileUpTo(Env* env, const std::string& path, uint64_t max_bytes);

// The first `n` bytes of the file at `path`, fewer when it is shorter: enough
// to tell what a file is by its magic bytes.
StatusOr<std::string> ReadHead(Env* env, const std::string& path, size_t n);

// Writes `data` to `path` so that after a crash `path` holds either its old
// content or `data`, never a mix: temp file in the same folder, write, fsync,
// rename over `path`, fsync the folder. When `sync` is false the fsyncs are
// skipped (the caller makes the batch durable with SyncFilesystem).
Status WriteFileAtomically(Env* env, const std::string& path, std::string_view data,
                           bool sync = true, uint32_t mode = 0644);
// The same with the content streamed, any size in constant memory: `write` appends it
// to the temp file (created exclusively: a planted name is never written through).
// With `replace` false an existing `path` is kept and kAlreadyExists returned.
Status WriteFileAtomically(Env* env, const std::string& path,
                           const std::function<Status(WritableFile&)>& write, bool sync,
                           bool replace, uint32_t mode = 0644);

// Returns the folder part of `path` ("." when none).
std::string DirName(const std::string& path);
// Returns the last path element of `path`.
std::string BaseName(const std::string& path);
// Joins two path parts with one '/'.
std::string JoinPath(std::string_view a, std::string_view b);

}  // namespace isnad::core
