// BlobStore: see blob_store.h and docs/formats/blob-layout.md.
#include "store/blob_store.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

namespace isnad::store {
namespace {

using core::FileInfo;
using core::Status;
using core::StatusOr;

constexpr std::string_view kObjectsDir = "objects/sha256";
constexpr std::string_view kTempDir = "tmp";
// Stage() moves data in buffers of kBufferSize through a ring of kRingBuffers:
// 2 MiB in all, whatever the file size. 128 KiB (coreutils' I/O size too)
// keeps a buffer in the CPU's L2 cache between the read, write and hash;
// measured here, 1 MiB buffers made the two copies 2-3 times slower.
constexpr size_t kBufferSize = size_t{128} << 10;
constexpr size_t kRingBuffers = 16;
// While writing a file that will be synced, disk writeback is started every
// kWritebackEvery bytes, so the final fdatasync has little left to wait for.
constexpr uint64_t kWritebackEvery = uint64_t{8} << 20;
// At most this many unsynced staged files are kept open for Commit to fsync
// one by one; a batch with more is made durable with one SyncFilesystem.
constexpr size_t kMaxHeldFiles = 4;
// Leading bytes kept in StagedBlob::head.
constexpr size_t kHeadBytes = size_t{64} << 10;
// A file whose modification or change time is less than this before its read
// began is read a second time (see Stage): a write in the same clock tick as
// the first stat leaves size and times as they were. 3 s covers FAT's 2 s
// timestamps and the kernel's coarse clock.
constexpr int64_t kRacyWindowNs = int64_t{3} * 1000 * 1000 * 1000;

int64_t RealtimeNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Appends "; " and `next` (what the user can do) to the message of `s`.
Status Explain(const Status& s, std::string_view next) {
  if (s.ok()) return s;
  return Status(s.code(), s.message() + "; " + std::string(next));
}

template <typename T>
StatusOr<T> Explain(StatusOr<T> s, std::string_view next) {
  if (s.ok()) return s;
  return Explain(s.status(), next);
}

// A failed write, sync or close of a temp file: nothing was staged.
Status WriteFailed(const Status& s) {
  // A full disk's message already says to free space.
  if (s.code() == core::Code::kResourceExhausted) return Explain(s, "nothing was recorded");
  return Explain(s, "nothing was recorded; check the archive's disk and run again");
}

// True when `s` is `n` lower-case hex digits.
bool IsLowerHex(std::string_view s, size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// True when the two stats describe the same, unchanged file.
bool SameFile(const FileInfo& a, const FileInfo& b) {
  return a.device == b.device && a.inode == b.inode && a.size_bytes == b.size_bytes &&
         a.mtime_ns == b.mtime_ns && a.ctime_ns == b.ctime_ns && a.type == b.type;
}

Status ChangedWhileRead(const std::string& path) {
  return core::FailedPrecondition(
      path +
      " changed while it was read (its size, modification time, change time or inode "
      "differ before and after); nothing was recorded; run again when it is no longer "
      "being written");
}

// Whether a file that gave other than its stated size, with nothing about it
// changed, is one the kernel makes up as it is read: /proc states 0 bytes and
// /sys a page. Any other size is taken for a write the clock did not show (a
// file system with coarse timestamps), which waiting does help.
bool MadeUpAsRead(const FileInfo& before, const FileInfo& now) {
  return SameFile(before, now) && (before.size_bytes == 0 || before.size_bytes == 4096);
}

// A file the kernel makes up as it is read (/proc, /sys). Waiting never helps.
Status GeneratedFile(const std::string& path, uint64_t stated, bool more) {
  const bool quotable = path.find('\'') == std::string::npos;
  return core::FailedPrecondition(
      path + " gives " + (more ? "more" : "fewer") + " bytes than the size its file system " +
      "states (" + std::to_string(stated) +
      " bytes), though nothing about it changed: the system makes its content up as it is "
      "read, as for the files under /proc and /sys, and it is never the same twice. Nothing "
      "was recorded. To keep what it says now, copy it to a regular file first (" +
      (quotable ? "cat '" + path + "'" : std::string("cat FILE")) +
      " > copy.txt) and add the copy");
}

Status DifferentOnSecondRead(const std::string& path) {
  return core::FailedPrecondition(
      path +
      " changed while it was read (it was modified moments before, and a second read gave "
      "other bytes); nothing was recorded; run again when it is no longer being written");
}

Status NotRegular(const std::string& path, FileInfo::Type type) {
  switch (type) {
    case FileInfo::Type::kDirectory:
      return core::InvalidArgument(path +
                                   " is a folder, not a regular file; only regular files are "
                                   "stored as blobs; give the paths of the files in it");
    case FileInfo::Type::kSymlink:
      return core::InvalidArgument(path +
                                   " is a symbolic link, not a regular file; only regular files "
                                   "are stored as blobs; give the path of the file it points to");
    default:
      return core::InvalidArgument(path +
                                   " is not a regular file (a device, FIFO or socket); only "
                                   "regular files are stored as blobs");
  }
}

// The buffers of one Stage() call, shared by two threads: the calling thread
// reads a buffer from the source, hands it to the hasher thread, then appends
// it to the temp file while the hasher hashes it (both only read it; hashing
// and writing the very same bytes). A buffer is free again when both are done.
class BufferRing {
 public:
  struct Chunk {
    int index = -1;  // -1: end of the stream
    size_t size = 0;
  };

  BufferRing(size_t count, size_t size) : buffers_(count) {
    for (size_t i = 0; i < count; ++i) {
      buffers_[i].data.reset(new char[size]);
      free_.push_back(static_cast<int>(i));
    }
  }

  char* data(int index) { return buffers_[static_cast<size_t>(index)].data.get(); }

  // Reader: a free buffer, waiting for one; it has two users until released twice.
  int TakeFree() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !free_.empty(); });
    int index = free_.back();
    free_.pop_back();
    buffers_[static_cast<size_t>(index)].users = 2;
    return index;
  }
  // Reader: queues a filled buffer (or the end of the stream) for the hasher.
  void Share(Chunk chunk) {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(chunk);
    cv_.notify_all();
  }
  // Hasher: the next queued buffer, in order, waiting for one.
  Chunk TakeShared() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !queue_.empty(); });
    Chunk chunk = queue_.front();
    queue_.pop_front();
    return chunk;
  }
  // Either side: done with the buffer.
  void Release(int index) {
    std::lock_guard<std::mutex> lock(mu_);
    if (--buffers_[static_cast<size_t>(index)].users == 0) {
      free_.push_back(index);
      cv_.notify_all();
    }
  }

 private:
  struct Buffer {
    std::unique_ptr<char[]> data;
    int users = 0;
  };
  std::vector<Buffer> buffers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int> free_;
  std::deque<Chunk> queue_;
};

}  // namespace

BlobStore::BlobStore(core::Env* env, std::string archive_dir)
    : env_(env),
      archive_dir_(std::move(archive_dir)),
      objects_dir_(core::JoinPath(archive_dir_, kObjectsDir)),
      temp_dir_(core::JoinPath(archive_dir_, kTempDir)) {}

BlobStore::~BlobStore() = default;

StatusOr<std::unique_ptr<BlobStore>> BlobStore::Open(core::Env* env, std::string archive_dir,
                                                     bool clean_temp) {
  std::unique_ptr<BlobStore> store(new BlobStore(env, std::move(archive_dir)));
  const char* next = "check that the archive folder is writable";
  ISNAD_RETURN_IF_ERROR(Explain(core::CreateDirs(env, store->objects_dir_), next));
  ISNAD_RETURN_IF_ERROR(Explain(core::CreateDirs(env, store->temp_dir_), next));
  if (clean_temp) {
    ISNAD_ASSIGN_OR_RETURN(std::vector<std::string> names, env->ListDir(store->temp_dir_));
    for (const std::string& name : names) {
      std::string path = core::JoinPath(store->temp_dir_, name);
      auto info = env->Stat(path);
      if (!info.ok() || info->type == FileInfo::Type::kDirectory) continue;  // not ours
      ISNAD_RETURN_IF_ERROR(Explain(env->RemoveFile(path),
                                    "a temp file left by an interrupted run cannot be removed; "
                                    "remove it by hand and run again"));
    }
  }
  return store;
}

std::string BlobStore::RelativePath(const core::Hash& sha256) {
  std::string hex = sha256.Hex();
  std::string out(kObjectsDir);
  out += '/';
  out.append(hex, 0, 2);
  out += '/';
  out.append(hex, 2, 2);
  out += '/';
  out += hex;
  return out;
}

std::string BlobStore::PathOf(const core::Hash& sha256) const {
  return core::JoinPath(archive_dir_, RelativePath(sha256));
}

StatusOr<std::unique_ptr<core::WritableFile>> BlobStore::NewTempFile(std::string* path) {
  static std::atomic<uint64_t> counter{0};
  std::string prefix = "blob-" + std::to_string(::getpid()) + "-";
  for (int attempt = 0;; ++attempt) {
    *path = core::JoinPath(temp_dir_, prefix + std::to_string(counter++));
    // Read-only from the start: the open descriptor still writes, and no later
    // chmod is needed before the file becomes a blob.
    auto file = env_->NewExclusiveFile(*path, 0444);
    // A leftover of an earlier process with the same pid: take the next name.
    if (!file.ok() && file.status().code() == core::Code::kAlreadyExists && attempt < 100) {
      continue;
    }
    if (!file.ok()) {
      return Explain(file.status(), "check that the archive's tmp folder is writable");
    }
    return file;
  }
}

Status BlobStore::HoldOrClose(const std::string& temp_path,
                              std::unique_ptr<core::WritableFile> file) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (held_.size() < kMaxHeldFiles) {
      held_[temp_path] = std::move(file);
      return Status::Ok();
    }
  }
  return file->Close();
}

std::unique_ptr<core::WritableFile> BlobStore::TakeHeld(const std::string& temp_path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find(temp_path);
  if (it == held_.end()) return nullptr;
  std::unique_ptr<core::WritableFile> file = std::move(it->second);
  held_.erase(it);
  return file;
}

StatusOr<StagedBlob> BlobStore::Stage(const std::string& source_path,
                                      const std::function<void(uint64_t)>& progress,
                                      bool* failed_on_archive, bool private_file) {
  const char* retry = "nothing was recorded; check the file and run again";
  const int64_t read_start_ns = RealtimeNowNs();
  // 1. What the path names now. lstat: a symlink is refused, not followed.
  ISNAD_ASSIGN_OR_RETURN(FileInfo before, Explain(env_->Stat(source_path), retry));
  if (before.type != FileInfo::Type::kRegular) return NotRegular(source_path, before.type);

  // 2. Open it, and check that what was opened is what was stat'ed.
  ISNAD_ASSIGN_OR_RETURN(std::unique_ptr<core::SequentialFile> source,
                         Explain(env_->NewSequentialFile(source_path), retry));
  auto opened = source->Stat();
  const bool can_fstat = opened.ok() || opened.status().code() != core::Code::kUnimplemented;
  if (can_fstat) {
    ISNAD_RETURN_IF_ERROR(Explain(opened.status(), retry));
    if (!SameFile(before, *opened)) return ChangedWhileRead(source_path);
  }

  std::string temp_path;
  auto created = NewTempFile(&temp_path);
  if (!created.ok()) {
    if (failed_on_archive != nullptr) *failed_on_archive = true;
    return created.status();
  }
  std::unique_ptr<core::WritableFile> temp = std::move(created).value();
  const bool sync = before.size_bytes >= sync_threshold_bytes;
  // Every failure from here on removes the temp file.
  auto fail = [&](const Status& s) -> Status {
    temp.reset();
    (void)env_->RemoveFile(temp_path);
    return s;
  };
  // A failure of the archive's own disk (its temp file or blob folders).
  auto archive_fail = [&](const Status& s) -> Status {
    if (failed_on_archive != nullptr) *failed_on_archive = true;
    return fail(WriteFailed(s));
  };

  core::Sha256 hasher;
  uint64_t total = 0;
  std::string head;
  Status read_status;
  Status write_status;
  if (before.size_bytes < kBufferSize) {
    // 3a. Small file (most of a phone dump or a scraped page): one read, hashed
    // inline; a hasher thread would cost more than the hashing.
    // One byte more than the stat'ed size, to see a file that grew meanwhile.
    std::string buf(before.size_bytes + 1, '\0');
    while (total < buf.size()) {
      StatusOr<size_t> n = source->Read(buf.data() + total, buf.size() - total);
      if (!n.ok()) {
        read_status = n.status();
        break;
      }
      if (*n == 0) break;
      total += *n;
    }
    if (read_status.ok() && total == buf.size()) {
      // It grew past its stat'ed size while being read, or never had that size.
      auto now = env_->Stat(source_path);
      if (now.ok() && MadeUpAsRead(before, *now)) {
        return fail(GeneratedFile(source_path, before.size_bytes, true));
      }
      return fail(ChangedWhileRead(source_path));
    }
    buf.resize(total);
    if (read_status.ok()) {
      hasher.Update(buf);
      if (progress && total > 0) progress(total);
      write_status = temp->Append(buf);
      buf.resize(std::min<size_t>(buf.size(), kHeadBytes));
      head = std::move(buf);
    }
  } else {
    // 3b. One pass: this thread reads each buffer and appends it to the temp
    // file while `hasher_thread` hashes it.
    BufferRing ring(kRingBuffers, kBufferSize);
    auto hash_loop = [&ring, &hasher] {
      while (true) {
        BufferRing::Chunk chunk = ring.TakeShared();
        if (chunk.index < 0) return;
        hasher.Update(ring.data(chunk.index), chunk.size);
        ring.Release(chunk.index);
      }
    };
    std::thread hasher_thread;
    try {
      hasher_thread = std::thread(hash_loop);
    } catch (const std::system_error& e) {
      return fail(core::ResourceExhausted(std::string("cannot start a thread to stage ") +
                                          source_path + ": " + e.what() + "; " + retry));
    }
    // However this scope is left (even by an exception from `progress`), the
    // stream is ended and the hasher joined before the ring goes away.
    struct JoinHasher {
      BufferRing& ring;
      std::thread& thread;
      void Join() {
        if (!thread.joinable()) return;
        ring.Share({});
        thread.join();
      }
      ~JoinHasher() { Join(); }
    } join_hasher{ring, hasher_thread};

    uint64_t since_writeback = 0;
    while (true) {
      const int index = ring.TakeFree();
      char* buf = ring.data(index);
      size_t len = 0;
      bool eof = false;
      while (len < kBufferSize) {
        StatusOr<size_t> n = source->Read(buf + len, kBufferSize - len);
        if (!n.ok()) {
          read_status = n.status();
          break;
        }
        if (*n == 0) {
          eof = true;
          break;
        }
        len += *n;
      }
      if (!read_status.ok() || len == 0) break;
      if (head.size() < kHeadBytes)
        head.append(buf, std::min<size_t>(len, kHeadBytes - head.size()));
      ring.Share({index, len});
      total += len;
      if (progress) progress(len);
      write_status = temp->Append(std::string_view(buf, len));
      ring.Release(index);
      if (!write_status.ok()) break;
      since_writeback += len;
      if (sync && since_writeback >= kWritebackEvery) {
        write_status = temp->StartWriteback();
        if (!write_status.ok()) break;
        since_writeback = 0;
      }
      if (eof) break;
    }
    join_hasher.Join();
  }

  if (!read_status.ok()) return fail(Explain(read_status, retry));
  if (!write_status.ok()) {
    return archive_fail(write_status);
  }

  // 4. Unchanged? The open file (in place writes) and the path (replacement).
  if (can_fstat) {
    auto after_open = source->Stat();
    if (!after_open.ok()) return fail(Explain(after_open.status(), retry));
    if (!SameFile(before, *after_open)) return fail(ChangedWhileRead(source_path));
  }
  auto after = env_->Stat(source_path);
  if (!after.ok() || !SameFile(before, *after)) return fail(ChangedWhileRead(source_path));
  if (total != before.size_bytes) {
    if (!MadeUpAsRead(before, *after)) return fail(ChangedWhileRead(source_path));
    return fail(GeneratedFile(source_path, before.size_bytes, total > before.size_bytes));
  }
  source.reset();
  const core::Hash sha256 = hasher.Finish();

  // 5. Size and times prove nothing of a file modified moments before the read
  // began: a write in the same tick as the first stat leaves them as they were
  // (and a FAT file system keeps times to 2 s). Such a file is read again and
  // must give the same bytes.
  if (!private_file && std::max(before.mtime_ns, before.ctime_ns) > read_start_ns - kRacyWindowNs) {
    if (Status s = ReadAgain(source_path, before, sha256); !s.ok()) return fail(s);
  }

  // 6. Large files are made durable now; small ones at Commit.
  StagedBlob blob;
  blob.sha256 = sha256;
  blob.size_bytes = total;
  blob.temp_path = temp_path;
  blob.head = std::move(head);
  if (Status s = PrepareForCommit(blob); !s.ok()) return archive_fail(s);
  if (sync) {
    Status s = temp->Sync();
    if (!s.ok()) return archive_fail(s);
    blob.synced = true;
    s = temp->Close();
    if (!s.ok()) return archive_fail(s);
  } else {
    Status s = HoldOrClose(temp_path, std::move(temp));
    if (!s.ok()) return archive_fail(s);
  }
  return blob;
}

Status BlobStore::ReadAgain(const std::string& source_path, const FileInfo& before,
                            const core::Hash& sha256) {
  const char* retry = "nothing was recorded; check the file and run again";
  ISNAD_ASSIGN_OR_RETURN(std::unique_ptr<core::SequentialFile> source,
                         Explain(env_->NewSequentialFile(source_path), retry));
  auto unchanged = [&]() -> Status {
    auto opened = source->Stat();
    if (!opened.ok() && opened.status().code() != core::Code::kUnimplemented) {
      return Explain(opened.status(), retry);
    }
    if (opened.ok() && !SameFile(before, *opened)) return ChangedWhileRead(source_path);
    return Status::Ok();
  };
  ISNAD_RETURN_IF_ERROR(unchanged());
  core::Sha256 hasher;
  std::string buf(static_cast<size_t>(std::min<uint64_t>(before.size_bytes + 1, kBufferSize)),
                  '\0');
  uint64_t total = 0;
  while (true) {
    ISNAD_ASSIGN_OR_RETURN(size_t n, Explain(source->Read(buf.data(), buf.size()), retry));
    if (n == 0) break;
    hasher.Update(buf.data(), n);
    total += n;
  }
  ISNAD_RETURN_IF_ERROR(unchanged());
  auto after = env_->Stat(source_path);
  if (!after.ok() || !SameFile(before, *after)) return ChangedWhileRead(source_path);
  if (total != before.size_bytes || hasher.Finish() != sha256) {
    return DifferentOnSecondRead(source_path);
  }
  return Status::Ok();
}

StatusOr<StagedBlob> BlobStore::StageBytes(std::string_view bytes) {
  std::string temp_path;
  ISNAD_ASSIGN_OR_RETURN(std::unique_ptr<core::WritableFile> temp, NewTempFile(&temp_path));
  auto fail = [&](const Status& s) -> Status {
    temp.reset();
    (void)env_->RemoveFile(temp_path);
    return WriteFailed(s);
  };
  StagedBlob blob;
  blob.sha256 = core::Sha256Of(bytes);
  blob.size_bytes = bytes.size();
  blob.temp_path = temp_path;
  // Appended in buffer-sized pieces, like Stage(), so write faults count alike.
  for (size_t at = 0; at < bytes.size(); at += kBufferSize) {
    Status s = temp->Append(bytes.substr(at, kBufferSize));
    if (!s.ok()) return fail(s);
  }
  if (Status s = PrepareForCommit(blob); !s.ok()) return fail(s);
  if (bytes.size() >= sync_threshold_bytes) {
    Status s = temp->Sync();
    if (!s.ok()) return fail(s);
    blob.synced = true;
    s = temp->Close();
    if (!s.ok()) return fail(s);
  } else {
    Status s = HoldOrClose(temp_path, std::move(temp));
    if (!s.ok()) return fail(s);
  }
  return blob;
}

Status BlobStore::SyncStaged(const std::vector<StagedBlob>& staged) {
  std::vector<std::unique_ptr<core::WritableFile>> held;
  size_t unsynced = 0;
  for (const StagedBlob& blob : staged) {
    if (blob.synced) continue;
    ++unsynced;
    if (auto file = TakeHeld(blob.temp_path)) held.push_back(std::move(file));
  }
  if (unsynced == 0) return Status::Ok();
  const char* next = "nothing in this batch was stored; check the archive's disk and run again";
  if (held.size() == unsynced && unsynced <= kMaxHeldFiles) {
    // Few, all still open: fsync each, cheaper than syncing the file system.
    for (auto& file : held) {
      ISNAD_RETURN_IF_ERROR(Explain(file->Sync(), next));
      ISNAD_RETURN_IF_ERROR(Explain(file->Close(), next));
    }
    return Status::Ok();
  }
  for (auto& file : held) ISNAD_RETURN_IF_ERROR(Explain(file->Close(), next));
  return Explain(env_->SyncFilesystem(temp_dir_), next);
}

StatusOr<std::vector<CommittedBlob>> BlobStore::Commit(std::vector<StagedBlob> staged) {
  // 1. Every temp file's data durable before any rename.
  ISNAD_RETURN_IF_ERROR(SyncStaged(staged));

  // 2. Move each into place, or drop it when its bytes are already stored.
  std::vector<CommittedBlob> out;
  out.reserve(staged.size());
  for (const StagedBlob& blob : staged) {
    const std::string hex = blob.sha256.Hex();
    const std::string next = "blobs before " + hex +
                             " in this batch are stored, it and the rest stay as temp files "
                             "(removed on the next open); run again";
    CommittedBlob done;
    done.sha256 = blob.sha256;
    done.size_bytes = blob.size_bytes;
    const std::string final_path = PathOf(blob.sha256);
    ISNAD_RETURN_IF_ERROR(Explain(EnsureBlobDir(blob.sha256), next));
    // Never replaces a stored blob: the kernel refuses when the name exists.
    Status moved = env_->RenameNoReplace(blob.temp_path, final_path);
    if (moved.ok()) {
      out.push_back(done);
      continue;
    }
    if (moved.code() != core::Code::kAlreadyExists) return Explain(moved, next);
    auto existing = env_->Stat(final_path);
    if (existing.ok()) {
      if (existing->type != FileInfo::Type::kRegular) {
        return core::FailedPrecondition(final_path + " exists but is not a regular file, so blob " +
                                        hex +
                                        " cannot be stored; move it out of the archive and "
                                        "run again");
      }
      // Stored before (or earlier in this batch). Before dropping the fresh
      // copy, make sure the stored one is intact: if it was damaged, the
      // fresh copy may be the only good one left. Rehashed whatever its size:
      // damage that keeps the size (a flipped bit) is what `verify` finds, and
      // adding the good bytes again is how a user mends it. The price, reading
      // the stored copy, is paid only by bytes the archive already holds.
      bool intact = existing->size_bytes == blob.size_bytes;
      if (intact) {
        auto stored = Rehash(blob.sha256);
        // A stored copy that cannot be read now (an I/O error) is not thereby
        // damaged: the batch stops, and nothing is set aside as tampered.
        if (!stored.ok() && stored.status().code() != core::Code::kNotFound) {
          return Explain(stored.status().WithContext("reading the stored copy of " + hex), next);
        }
        intact = stored.ok() && stored->first == blob.sha256;
      }
      if (intact) {
        // A temp file that cannot be removed is removed on the next open.
        (void)env_->RemoveFile(blob.temp_path);
        done.already_present = true;
      } else {
        // Keep the damaged file (never destroy what may be evidence of
        // tampering): give it a second name under quarantine/, then put the good
        // copy in its place with one atomic rename, so that the blob's path names
        // the damaged or the good bytes at every moment, never nothing (a crash
        // in between leaves the damaged copy in place for the next add or verify).
        std::string aside = core::JoinPath(archive_dir_, "quarantine");
        ISNAD_RETURN_IF_ERROR(Explain(core::CreateDirs(env_, aside), next));
        // Never over an earlier quarantined copy (the same blob damaged twice in a
        // second): that one is evidence too.
        const std::string stem = core::JoinPath(
            aside, hex + "." + std::to_string(::time(nullptr)) + "." + std::to_string(::getpid()));
        Status kept;
        for (int n = 0;; ++n) {
          aside = n == 0 ? stem : stem + "." + std::to_string(n);
          kept = env_->Link(final_path, aside);
          if (kept.code() != core::Code::kAlreadyExists || n == 1000) break;
        }
        ISNAD_RETURN_IF_ERROR(Explain(kept, next));
        ISNAD_RETURN_IF_ERROR(Explain(env_->SyncDir(core::DirName(aside)), next));
        ISNAD_RETURN_IF_ERROR(Explain(env_->Rename(blob.temp_path, final_path), next));
        done.already_present = true;
        done.replaced_damaged = aside;
      }
    } else {
      return Explain(existing.status(), next);
    }
    out.push_back(done);
  }
  return out;
}

void BlobStore::Abort(const std::vector<StagedBlob>& staged) {
  for (const StagedBlob& blob : staged) {
    TakeHeld(blob.temp_path).reset();
    (void)env_->RemoveFile(blob.temp_path);
  }
}

Status BlobStore::PrepareForCommit(const StagedBlob& blob) {
  // Done while staging (on the staging threads), so Commit is one rename per blob.
  return EnsureBlobDir(blob.sha256);
}

Status BlobStore::EnsureBlobDir(const core::Hash& sha256) {
  const size_t leaf = size_t{sha256.bytes[0]} << 8 | sha256.bytes[1];
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (known_dirs_[leaf]) return Status::Ok();
  }
  // CreateDirs lstats the levels it looks at, but the path to a level goes
  // through the levels above it: a symlink in place of objects/sha256/ab would
  // be followed on the way to ab/cd. So ab is checked on its own first. A
  // symlink or file in a folder's place is refused, never followed.
  const std::string leaf_dir = core::DirName(PathOf(sha256));
  bool top_known;
  {
    std::lock_guard<std::mutex> lock(mu_);
    top_known = known_top_dirs_[sha256.bytes[0]];
  }
  if (!top_known) {
    const std::string top = core::DirName(leaf_dir);
    auto st = env_->Stat(top);
    if (st.ok() && st->type != FileInfo::Type::kDirectory) {
      return core::FailedPrecondition(
          top +
          " is not a folder (a symbolic link or file is in its "
          "place); blobs are not stored through it; run `isnad verify`");
    }
  }
  ISNAD_RETURN_IF_ERROR(core::CreateDirs(env_, leaf_dir));
  std::lock_guard<std::mutex> lock(mu_);
  known_top_dirs_[sha256.bytes[0]] = true;
  known_dirs_[leaf] = true;
  return Status::Ok();
}

bool BlobStore::Contains(const core::Hash& sha256) const {
  auto info = env_->Stat(PathOf(sha256));
  return info.ok() && info->type == FileInfo::Type::kRegular;
}

StatusOr<std::unique_ptr<core::SequentialFile>> BlobStore::Open(const core::Hash& sha256) const {
  const std::string path = PathOf(sha256);
  auto not_found = [&] {
    return core::NotFound("blob " + sha256.Hex() + " is not in the store (no file " + path +
                          "); run `isnad verify` to see what else is missing");
  };
  // isnad only ever puts regular files there. A symlink (to /dev/zero, or out
  // of the archive) or a FIFO is someone else's doing, and would be read
  // forever or waited on: refused, not followed.
  auto info = env_->Stat(path);
  if (!info.ok() && info.status().code() == core::Code::kNotFound) return not_found();
  if (info.ok() && info->type != FileInfo::Type::kRegular) {
    return core::Integrity("blob " + sha256.Hex() + " is not a regular file at " + path +
                           " (a symbolic link, folder, FIFO or device, which isnad never "
                           "stores); move it out of the archive and restore the blob from a copy");
  }
  auto file = env_->NewSequentialFile(path);
  if (!file.ok() && file.status().code() == core::Code::kNotFound) return not_found();
  return file;
}

StatusOr<std::string> BlobStore::ReadAll(const core::Hash& sha256, uint64_t max_bytes) const {
  ISNAD_ASSIGN_OR_RETURN(std::unique_ptr<core::SequentialFile> file, Open(sha256));
  std::string bytes;
  std::unique_ptr<char[]> buf(new char[kBufferSize]);
  while (true) {
    ISNAD_ASSIGN_OR_RETURN(size_t n, file->Read(buf.get(), kBufferSize));
    if (n == 0) break;
    bytes.append(buf.get(), n);
    if (bytes.size() > max_bytes) {
      return core::Integrity(RelativePath(sha256) + " is larger than " + std::to_string(max_bytes) +
                             " bytes, more than such a blob holds");
    }
  }
  if (core::Sha256Of(bytes) != sha256) {
    return core::Integrity(RelativePath(sha256) +
                           " does not hash to its name: it was altered; run `isnad verify`");
  }
  return bytes;
}

StatusOr<std::pair<core::Hash, uint64_t>> BlobStore::Rehash(const core::Hash& sha256) const {
  ISNAD_ASSIGN_OR_RETURN(std::unique_ptr<core::SequentialFile> file, Open(sha256));
  std::unique_ptr<char[]> buf(new char[kBufferSize]);
  core::Sha256 hasher;
  uint64_t total = 0;
  while (true) {
    ISNAD_ASSIGN_OR_RETURN(size_t n, file->Read(buf.get(), kBufferSize));
    if (n == 0) break;
    hasher.Update(buf.get(), n);
    total += n;
  }
  return std::make_pair(hasher.Finish(), total);
}

StatusOr<std::vector<core::Hash>> BlobStore::List(std::vector<std::string>* strays) const {
  std::vector<core::Hash> out;
  auto stray = [&](const std::string& relative) {
    if (strays != nullptr) strays->push_back(relative);
  };
  auto type_of = [&](const std::string& path) {
    auto info = env_->Stat(path);
    return info.ok() ? info->type : FileInfo::Type::kOther;
  };
  const std::string base(kObjectsDir);
  // objects/ holds sha256/ only; anything beside it is no blob either.
  const std::string parent(kObjectsDir.substr(0, kObjectsDir.find('/')));
  const std::string algorithm(kObjectsDir.substr(parent.size() + 1));
  ISNAD_ASSIGN_OR_RETURN(std::vector<std::string> top,
                         env_->ListDir(core::JoinPath(archive_dir_, parent)));
  std::sort(top.begin(), top.end());
  for (const std::string& name : top) {
    if (name != algorithm) stray(parent + "/" + name);
  }
  ISNAD_ASSIGN_OR_RETURN(std::vector<std::string> level1, env_->ListDir(objects_dir_));
  std::sort(level1.begin(), level1.end());
  for (const std::string& a : level1) {
    const std::string rel_a = base + "/" + a;
    const std::string dir_a = core::JoinPath(archive_dir_, rel_a);
    if (!IsLowerHex(a, 2) || type_of(dir_a) != FileInfo::Type::kDirectory) {
      stray(rel_a);
      continue;
    }
    ISNAD_ASSIGN_OR_RETURN(std::vector<std::string> level2, env_->ListDir(dir_a));
    std::sort(level2.begin(), level2.end());
    for (const std::string& b : level2) {
      const std::string rel_b = rel_a + "/" + b;
      const std::string dir_b = core::JoinPath(archive_dir_, rel_b);
      if (!IsLowerHex(b, 2) || type_of(dir_b) != FileInfo::Type::kDirectory) {
        stray(rel_b);
        continue;
      }
      ISNAD_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(dir_b));
      std::sort(names.begin(), names.end());
      for (const std::string& name : names) {
        const std::string rel = rel_b + "/" + name;
        if (!IsLowerHex(name, 64) || name.compare(0, 2, a) != 0 || name.compare(2, 2, b) != 0 ||
            type_of(core::JoinPath(archive_dir_, rel)) != FileInfo::Type::kRegular) {
          stray(rel);
          continue;
        }
        ISNAD_ASSIGN_OR_RETURN(core::Hash hash, core::Hash::FromHex(name));
        out.push_back(hash);
      }
    }
  }
  return out;
}

}  // namespace isnad::store
