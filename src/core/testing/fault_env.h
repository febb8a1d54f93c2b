// FaultInjectionEnv: an Env for tests that wraps a real one and makes chosen
// operations fail, after LevelDB's db/fault_injection_test.cc. Counters are
// 1-based: fail_write_at = 3 fails the third Append from now on. A "full disk"
// fails every Append once `disk_bytes_left` is spent, with ENOSPC's status.
// Thread safe (counters are atomic).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "core/env.h"

namespace isnad::core::testing {

class FaultInjectionEnv final : public Env {
 public:
  explicit FaultInjectionEnv(Env* base) : base_(base) {}

  // 0 disables. Each fires once at its count, unless `sticky` (then every later call fails too).
  std::atomic<int64_t> fail_write_at{0};
  std::atomic<int64_t> fail_sync_at{0};
  std::atomic<int64_t> fail_rename_at{0};
  std::atomic<bool> sticky{false};
  // Negative disables; otherwise bytes that may still be appended.
  std::atomic<int64_t> disk_bytes_left{-1};
  // 0 disables; otherwise every Stat, of a path or of an open file, reports
  // this as the modification and change time: a file system whose clock ticks
  // slower than a test, so that a write leaves the times as they were.
  std::atomic<int64_t> frozen_time_ns{0};

  // Non-empty: opening for reading any path that ends with it fails as a file
  // without read permission does (EACCES), even for root. Set before use.
  std::string unreadable;
  // Non-empty: every append to a file whose path contains it fails as on a full
  // disk (ENOSPC), e.g. "/checkpoints/" for the steps after a log's commit. Set before use.
  std::string full_under;

  std::atomic<int64_t> writes{0};
  std::atomic<int64_t> syncs{0};
  std::atomic<int64_t> renames{0};

  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                          uint32_t mode) override;
  StatusOr<std::unique_ptr<WritableFile>> NewExclusiveFile(const std::string& path,
                                                           uint32_t mode) override;
  StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override;
  StatusOr<std::string> ReadFile(const std::string& path) override { return base_->ReadFile(path); }
  Status Rename(const std::string& from, const std::string& to) override;
  Status RenameNoReplace(const std::string& from, const std::string& to) override;
  // Counted with the renames (a change of names, failed by fail_rename_at too).
  Status Link(const std::string& from, const std::string& to) override;
  Status SyncDir(const std::string& dir) override;
  Status SyncFilesystem(const std::string& path) override;
  Status CreateDir(const std::string& dir) override { return base_->CreateDir(dir); }
  Status RemoveFile(const std::string& path) override { return base_->RemoveFile(path); }
  StatusOr<FileInfo> Stat(const std::string& path) override { return Frozen(base_->Stat(path)); }
  Status MakeReadOnly(const std::string& path) override { return base_->MakeReadOnly(path); }
  StatusOr<std::vector<std::string>> ListDir(const std::string& dir) override {
    return base_->ListDir(dir);
  }
  StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    return base_->LockFile(path);
  }

  // Returns true when the counter just reached `at` (or passed it, when sticky).
  bool Hit(std::atomic<int64_t>& counter, const std::atomic<int64_t>& at);
  // Called by wrapped files.
  Status OnAppend(const std::string& path, size_t n);
  Status OnSync(const std::string& path);
  // `info` with frozen_time_ns applied.
  StatusOr<FileInfo> Frozen(StatusOr<FileInfo> info) const;

 private:
  Env* base_;
};

}  // namespace isnad::core::testing
