#include "core/testing/fault_env.h"

#include <cerrno>
#include <memory>
#include <utility>

namespace isnad::core::testing {
namespace {

class FaultFile final : public WritableFile {
 public:
  FaultFile(FaultInjectionEnv* env, std::string path, std::unique_ptr<WritableFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}
  Status Append(std::string_view data) override {
    ISNAD_RETURN_IF_ERROR(env_->OnAppend(path_, data.size()));
    return base_->Append(data);
  }
  Status Sync() override {
    ISNAD_RETURN_IF_ERROR(env_->OnSync(path_));
    return base_->Sync();
  }
  Status StartWriteback() override { return base_->StartWriteback(); }
  // Counted as a write (fail_write_at fails it); takes no disk space.
  Status WriteAt(uint64_t offset, std::string_view data) override {
    ISNAD_RETURN_IF_ERROR(env_->OnAppend(path_, 0));
    return base_->WriteAt(offset, data);
  }
  Status Close() override { return base_->Close(); }

 private:
  FaultInjectionEnv* env_;
  std::string path_;
  std::unique_ptr<WritableFile> base_;
};

class FrozenTimesFile final : public SequentialFile {
 public:
  FrozenTimesFile(const FaultInjectionEnv* env, std::unique_ptr<SequentialFile> base)
      : env_(env), base_(std::move(base)) {}
  StatusOr<size_t> Read(char* buf, size_t n) override { return base_->Read(buf, n); }
  StatusOr<FileInfo> Stat() override { return env_->Frozen(base_->Stat()); }

 private:
  const FaultInjectionEnv* env_;
  std::unique_ptr<SequentialFile> base_;
};

}  // namespace

StatusOr<std::unique_ptr<SequentialFile>> FaultInjectionEnv::NewSequentialFile(
    const std::string& path) {
  if (!unreadable.empty() && path.ends_with(unreadable))
    return ErrnoStatus("cannot open", path, EACCES);
  ISNAD_ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> file, base_->NewSequentialFile(path));
  return std::unique_ptr<SequentialFile>(new FrozenTimesFile(this, std::move(file)));
}

StatusOr<FileInfo> FaultInjectionEnv::Frozen(StatusOr<FileInfo> info) const {
  const int64_t t = frozen_time_ns.load();
  if (!info.ok() || t == 0) return info;
  info->mtime_ns = t;
  info->ctime_ns = t;
  return info;
}

bool FaultInjectionEnv::Hit(std::atomic<int64_t>& counter, const std::atomic<int64_t>& at) {
  int64_t n = ++counter;
  int64_t target = at.load();
  if (target <= 0) return false;
  return sticky ? n >= target : n == target;
}

Status FaultInjectionEnv::OnAppend(const std::string& path, size_t n) {
  if (Hit(writes, fail_write_at)) return ErrnoStatus("cannot write", path, EIO);
  if (!full_under.empty() && path.find(full_under) != std::string::npos)
    return ErrnoStatus("cannot write", path, ENOSPC);
  int64_t left = disk_bytes_left.load();
  if (left >= 0) {
    if (static_cast<int64_t>(n) > left) {
      disk_bytes_left = 0;
      return ErrnoStatus("cannot write", path, ENOSPC);
    }
    disk_bytes_left -= static_cast<int64_t>(n);
  }
  return Status::Ok();
}

Status FaultInjectionEnv::OnSync(const std::string& path) {
  if (Hit(syncs, fail_sync_at)) return ErrnoStatus("cannot fsync", path, EIO);
  return Status::Ok();
}

StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(const std::string& path,
                                                                           uint32_t mode) {
  ISNAD_ASSIGN_OR_RETURN(auto f, base_->NewWritableFile(path, mode));
  return std::unique_ptr<WritableFile>(new FaultFile(this, path, std::move(f)));
}

StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewExclusiveFile(const std::string& path,
                                                                            uint32_t mode) {
  ISNAD_ASSIGN_OR_RETURN(auto f, base_->NewExclusiveFile(path, mode));
  return std::unique_ptr<WritableFile>(new FaultFile(this, path, std::move(f)));
}

Status FaultInjectionEnv::Rename(const std::string& from, const std::string& to) {
  if (Hit(renames, fail_rename_at)) return ErrnoStatus("cannot rename", from, EIO);
  return base_->Rename(from, to);
}

Status FaultInjectionEnv::RenameNoReplace(const std::string& from, const std::string& to) {
  if (Hit(renames, fail_rename_at)) return ErrnoStatus("cannot rename", from, EIO);
  return base_->RenameNoReplace(from, to);
}

Status FaultInjectionEnv::Link(const std::string& from, const std::string& to) {
  if (Hit(renames, fail_rename_at)) return ErrnoStatus("cannot link", from, EIO);
  return base_->Link(from, to);
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  ISNAD_RETURN_IF_ERROR(OnSync(dir));
  return base_->SyncDir(dir);
}

Status FaultInjectionEnv::SyncFilesystem(const std::string& path) {
  ISNAD_RETURN_IF_ERROR(OnSync(path));
  return base_->SyncFilesystem(path);
}

}  // namespace isnad::core::testing
