#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "core/env.h"

namespace isnad::core {
namespace {

FileInfo InfoOf(const struct stat& st) {
  FileInfo info;
  if (S_ISREG(st.st_mode)) {
    info.type = FileInfo::Type::kRegular;
  } else if (S_ISDIR(st.st_mode)) {
    info.type = FileInfo::Type::kDirectory;
  } else if (S_ISLNK(st.st_mode)) {
    info.type = FileInfo::Type::kSymlink;
  }
  info.size_bytes = static_cast<uint64_t>(st.st_size);
  info.device = st.st_dev;
  info.inode = st.st_ino;
  info.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  info.ctime_ns = int64_t{st.st_ctim.tv_sec} * 1000000000 + st.st_ctim.tv_nsec;
  info.mode = st.st_mode & 07777;
  return info;
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Append(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("cannot write", path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }
  Status Sync() override {
    if (::fdatasync(fd_) != 0) return ErrnoStatus("cannot fsync", path_, errno);
    return Status::Ok();
  }
  Status StartWriteback() override {
    if (::sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE) != 0) {
      return ErrnoStatus("cannot start writing back", path_, errno);
    }
    return Status::Ok();
  }
  Status WriteAt(uint64_t offset, std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("cannot write", path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
      offset += static_cast<uint64_t>(n);
    }
    return Status::Ok();
  }
  Status Close() override {
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return ErrnoStatus("cannot close", path_, errno);
    return Status::Ok();
  }

 private:
  std::string path_;
  int fd_;
};

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixSequentialFile() override { ::close(fd_); }
  StatusOr<size_t> Read(char* buf, size_t n) override {
    while (true) {
      ssize_t r = ::read(fd_, buf, n);
      if (r >= 0) return static_cast<size_t>(r);
      if (errno != EINTR) return ErrnoStatus("cannot read", path_, errno);
    }
  }
  StatusOr<FileInfo> Stat() override {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return ErrnoStatus("cannot stat", path_, errno);
    return InfoOf(st);
  }

 private:
  std::string path_;
  int fd_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }

 private:
  int fd_;
};

class PosixEnv final : public Env {
 public:
  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                          uint32_t mode) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return ErrnoStatus("cannot create", path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }
  StatusOr<std::unique_ptr<WritableFile>> NewExclusiveFile(const std::string& path,
                                                           uint32_t mode) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
      if (errno == EEXIST) return AlreadyExists(path + " already exists");
      return ErrnoStatus("cannot create", path, errno);
    }
    // The umask may have widened nothing but could have narrowed; make it exact.
    if (::fchmod(fd, mode) != 0) {
      int err = errno;
      ::close(fd);
      return ErrnoStatus("cannot set permissions on", path, err);
    }
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }
  StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override {
    // O_NONBLOCK: a FIFO (planted, or swapped in after the caller's stat) must be
    // refused here, not wait for a writer forever. Everything isnad reads this way
    // (evidence, spools, bag payloads) is a regular file.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return ErrnoStatus("cannot open", path, errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return ErrnoStatus("cannot stat", path, err);
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      return FailedPrecondition(path +
                                " is not a regular file (a folder, FIFO, device or socket); "
                                "copy what it holds into a file and give that instead");
    }
    // Opened with no other status flag, so clearing them all clears just O_NONBLOCK.
    if (::fcntl(fd, F_SETFL, 0) != 0) {
      int err = errno;
      ::close(fd);
      return ErrnoStatus("cannot set blocking reads on", path, err);
    }
    // Read-ahead matters past a few buffers; for a small file it is one more system call.
    if (st.st_size >= (off_t{1} << 20)) ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return std::unique_ptr<SequentialFile>(new PosixSequentialFile(path, fd));
  }
  Status CopyFileRange(const std::string& from, uint64_t offset, uint64_t size,
                       const std::string& to, uint32_t mode) override {
    // Regular files only (NewSequentialFile says why not, and never blocks on a FIFO).
    ISNAD_RETURN_IF_ERROR(NewSequentialFile(from).status());
    int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) return ErrnoStatus("cannot open", from, errno);
    int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (out < 0) {
      int err = errno;
      ::close(in);
      if (err == EEXIST) return AlreadyExists(to + " already exists");
      return ErrnoStatus("cannot create", to, err);
    }
    Status s = ::fchmod(out, mode) == 0 ? Status::Ok()
                                        : ErrnoStatus("cannot set permissions on", to, errno);
    loff_t at = static_cast<loff_t>(offset);
    uint64_t left = size;
    while (s.ok() && left > 0) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(left, uint64_t{1} << 30));
      ssize_t n = ::copy_file_range(in, &at, out, nullptr, want, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && left == size &&
          (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL)) {
        // Not between these two files (another file system, an old kernel):
        // the copy through memory instead, into a fresh `to`.
        ::close(in);
        ::close(out);
        ::unlink(to.c_str());
        return Env::CopyFileRange(from, offset, size, to, mode);
      }
      if (n < 0) {
        s = ErrnoStatus("cannot copy", from + " to " + to, errno);
      } else if (n == 0) {
        s = Integrity(from + " ends " + std::to_string(left) + " bytes before the " +
                      std::to_string(size) + " to copy from its offset " + std::to_string(offset));
      } else {
        left -= static_cast<uint64_t>(n);
      }
    }
    ::close(in);
    if (::close(out) != 0 && s.ok()) s = ErrnoStatus("cannot close", to, errno);
    if (!s.ok()) ::unlink(to.c_str());
    return s;
  }
  StatusOr<std::string> ReadFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("cannot open", path, errno);
    std::string out;
    char buf[65536];
    while (true) {
      ssize_t r = ::read(fd, buf, sizeof buf);
      if (r < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        ::close(fd);
        return ErrnoStatus("cannot read", path, err);
      }
      if (r == 0) break;
      out.append(buf, static_cast<size_t>(r));
    }
    ::close(fd);
    return out;
  }
  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0)
      return ErrnoStatus("cannot rename", from + " to " + to, errno);
    return Status::Ok();
  }
  Status RenameNoReplace(const std::string& from, const std::string& to) override {
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
      return Status::Ok();
    }
    if (errno == EEXIST) return AlreadyExists(to + " already exists");
    if (errno != EINVAL && errno != ENOSYS) {
      return ErrnoStatus("cannot rename", from + " to " + to, errno);
    }
    // File systems without RENAME_NOREPLACE: link() refuses an existing target too.
    if (::link(from.c_str(), to.c_str()) != 0) {
      if (errno == EEXIST) return AlreadyExists(to + " already exists");
      return ErrnoStatus("cannot link", from + " to " + to, errno);
    }
    if (::unlink(from.c_str()) != 0) return ErrnoStatus("cannot remove", from, errno);
    return Status::Ok();
  }
  Status Link(const std::string& from, const std::string& to) override {
    if (::link(from.c_str(), to.c_str()) == 0) return Status::Ok();
    if (errno == EEXIST) return AlreadyExists(to + " already exists");
    return ErrnoStatus("cannot link", from + " to " + to, errno);
  }
  Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("cannot open folder", dir, errno);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return ErrnoStatus("cannot fsync folder", dir, err);
    return Status::Ok();
  }
  Status SyncFilesystem(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("cannot open", path, errno);
    int rc = ::syncfs(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return ErrnoStatus("cannot sync the file system of", path, err);
    return Status::Ok();
  }
  Status CreateDir(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoStatus("cannot create folder", dir, errno);
    }
    return Status::Ok();
  }
  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoStatus("cannot remove", path, errno);
    return Status::Ok();
  }
  StatusOr<FileInfo> Stat(const std::string& path) override {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return ErrnoStatus("cannot stat", path, errno);
    return InfoOf(st);
  }
  Status MakeReadOnly(const std::string& path) override {
    if (::chmod(path.c_str(), 0444) != 0) return ErrnoStatus("cannot make read-only", path, errno);
    return Status::Ok();
  }
  StatusOr<std::vector<std::string>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return ErrnoStatus("cannot list folder", dir, errno);
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      std::string_view n = e->d_name;
      if (n != "." && n != "..") names.emplace_back(n);
    }
    ::closedir(d);
    return names;
  }
  StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    // A folder is locked through its own inode, which cannot be deleted or
    // replaced while it holds anything; the holder's pid goes to <folder>/lock
    // for messages only. A plain file is locked as itself; if it was deleted
    // or replaced between open and flock, the lock guards nothing: try again.
    struct stat st {};
    const bool is_dir = ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    const std::string pid_file = is_dir ? JoinPath(path, "lock") : path;
    for (int attempt = 0; attempt < 100; ++attempt) {
      int fd = is_dir ? ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                      : ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (fd < 0) return ErrnoStatus("cannot open lock file", path, errno);
      if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        ::close(fd);
        if (err == EWOULDBLOCK) {
          std::string holder = "unknown";
          // Bounded: the pid file of an archive from elsewhere may be anything.
          if (auto text = ReadFileUpTo(this, pid_file, 64); text.ok() && !text->empty()) {
            holder = *text;
          }
          while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) {
            holder.pop_back();
          }
          return Locked("another isnad process (pid " + holder +
                        ") is writing to this archive; it holds the lock on " + path +
                        " (pid recorded in " + pid_file +
                        "). Wait for it to finish, then run the command again.");
        }
        return ErrnoStatus("cannot lock", path, err);
      }
      if (!is_dir) {
        struct stat held {
        }, named{};
        if (::fstat(fd, &held) != 0 || ::stat(path.c_str(), &named) != 0 ||
            held.st_ino != named.st_ino || held.st_dev != named.st_dev) {
          ::close(fd);
          continue;
        }
      }
      std::string pid = std::to_string(::getpid()) + "\n";
      // O_NOFOLLOW: a `lock` that is a symlink (in an archive received from
      // elsewhere) must not lead us to overwrite the file it points to.
      int pfd =
          is_dir ? ::open(pid_file.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644) : fd;
      if (pfd >= 0 && ::ftruncate(pfd, 0) == 0) {
        [[maybe_unused]] ssize_t w = ::pwrite(pfd, pid.data(), pid.size(), 0);
      }
      if (is_dir && pfd >= 0) ::close(pfd);
      return std::unique_ptr<FileLock>(new PosixFileLock(fd));
    }
    return Locked("the lock file " + path + " keeps being replaced; stop whatever is deleting it");
  }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();
  return env;
}

Status Env::CopyFileRange(const std::string& from, uint64_t offset, uint64_t size,
                          const std::string& to, uint32_t mode) {
  ISNAD_ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> in, NewSequentialFile(from));
  ISNAD_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> out, NewExclusiveFile(to, mode));
  std::string buf(size_t{1} << 20, '\0');
  uint64_t skip = offset, left = size;
  Status s;
  while (s.ok() && (skip > 0 || left > 0)) {
    const uint64_t want = skip > 0 ? skip : left;
    StatusOr<size_t> n =
        in->Read(buf.data(), static_cast<size_t>(std::min<uint64_t>(want, buf.size())));
    if (!n.ok()) {
      s = n.status();
    } else if (*n == 0) {
      s = Integrity(from + " ends " + std::to_string(left) + " bytes before the " +
                    std::to_string(size) + " to copy from its offset " + std::to_string(offset));
    } else if (skip > 0) {
      skip -= *n;
    } else {
      s = out->Append({buf.data(), *n});
      left -= *n;
    }
  }
  if (Status c = out->Close(); s.ok()) s = c;
  if (!s.ok()) (void)RemoveFile(to);
  return s;
}

bool Exists(Env* env, const std::string& path) { return env->Stat(path).ok(); }

bool IsFolder(Env* env, const std::string& path) {
  auto st = env->Stat(path);
  if (!st.ok()) return false;
  if (st->type == FileInfo::Type::kDirectory) return true;
  if (st->type != FileInfo::Type::kSymlink) return false;
  // Stat does not follow a link it is given; one followed by "/." it resolves.
  auto target = env->Stat(path + "/.");
  return target.ok() && target->type == FileInfo::Type::kDirectory;
}

Status CreateDirs(Env* env, const std::string& dir) {
  if (dir.empty() || dir == "." || dir == "/") return Status::Ok();
  auto st = env->Stat(dir);
  if (st.ok()) {
    if (st->type == FileInfo::Type::kDirectory) return Status::Ok();
    return FailedPrecondition(dir + " exists and is not a folder");
  }
  ISNAD_RETURN_IF_ERROR(CreateDirs(env, DirName(dir)));
  return env->CreateDir(dir);
}

Status CreateDirsFollowingLinks(Env* env, const std::string& dir) {
  if (dir.empty() || dir == "." || dir == "/") return Status::Ok();
  if (env->Stat(dir).ok()) {
    if (IsFolder(env, dir)) return Status::Ok();
    return FailedPrecondition(dir + " exists and is not a folder (nor a link to one)");
  }
  ISNAD_RETURN_IF_ERROR(CreateDirsFollowingLinks(env, DirName(dir)));
  return env->CreateDir(dir);
}

StatusOr<std::string> ReadHead(Env* env, const std::string& path, size_t n) {
  ISNAD_ASSIGN_OR_RETURN(auto f, env->NewSequentialFile(path));
  std::string head(n, '\0');
  size_t got = 0;
  while (got < n) {
    ISNAD_ASSIGN_OR_RETURN(size_t k, f->Read(head.data() + got, n - got));
    if (k == 0) break;
    got += k;
  }
  head.resize(got);
  return head;
}

StatusOr<std::string> ReadFileUpTo(Env* env, const std::string& path, uint64_t max_bytes) {
  ISNAD_ASSIGN_OR_RETURN(FileInfo info, env->Stat(path));
  if (info.type != FileInfo::Type::kRegular && info.type != FileInfo::Type::kSymlink) {
    return FailedPrecondition(path + " is not a regular file (a folder, FIFO, device or socket)");
  }
  auto too_big = [&] {
    return ResourceExhausted(path + " is larger than " + std::to_string(max_bytes) +
                             " bytes, more than it can validly hold");
  };
  if (info.type == FileInfo::Type::kSymlink) {
    // What the link leads to, before opening it: opening a FIFO waits for a writer.
    struct stat target;
    if (::stat(path.c_str(), &target) != 0) return ErrnoStatus("cannot stat", path, errno);
    if (!S_ISREG(target.st_mode)) {
      return FailedPrecondition(path + " is not a regular file (a folder, FIFO, device or socket)");
    }
    if (static_cast<uint64_t>(target.st_size) > max_bytes) return too_big();
  }
  if (info.type == FileInfo::Type::kRegular && info.size_bytes > max_bytes) return too_big();
  ISNAD_ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> file, env->NewSequentialFile(path));
  if (auto opened = file->Stat(); opened.ok() && opened->type != FileInfo::Type::kRegular) {
    return FailedPrecondition(path + " is not a regular file (a folder, FIFO, device or socket)");
  }
  std::string out;
  if (info.type == FileInfo::Type::kRegular) out.reserve(info.size_bytes);
  char buf[65536];
  while (true) {
    ISNAD_ASSIGN_OR_RETURN(size_t n, file->Read(buf, sizeof buf));
    if (n == 0) return out;
    if (n > max_bytes - out.size()) return too_big();
    out.append(buf, n);
  }
}

Status WriteFileAtomically(Env* env, const std::string& path, std::string_view data, bool sync,
                           uint32_t mode) {
  return WriteFileAtomically(
      env, path, [data](WritableFile& f) { return f.Append(data); }, sync, /*replace=*/true, mode);
}

Status WriteFileAtomically(Env* env, const std::string& path,
                           const std::function<Status(WritableFile&)>& write, bool sync,
                           bool replace, uint32_t mode) {
  static std::atomic<uint64_t> counter{0};
  // The temp file is created exclusively (O_EXCL does not follow a symlink): a name left
  // by an earlier process, or planted, is skipped, never written through.
  std::string tmp;
  std::unique_ptr<WritableFile> file;
  for (int attempt = 0; !file; ++attempt) {
    tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    auto created = env->NewExclusiveFile(tmp, mode);
    if (created.ok()) {
      file = std::move(*created);
    } else if (created.status().code() != Code::kAlreadyExists || attempt == 100) {
      return created.status();
    }
  }
  {
    Status s = write(*file);
    if (s.ok() && sync) s = file->Sync();
    Status c = file->Close();
    if (s.ok()) s = c;
    if (!s.ok()) {
      (void)env->RemoveFile(tmp);
      return s;
    }
  }
  Status s = replace ? env->Rename(tmp, path) : env->RenameNoReplace(tmp, path);
  if (!s.ok()) {
    (void)env->RemoveFile(tmp);
    return s;
  }
  if (sync) return env->SyncDir(DirName(path));
  return Status::Ok();
}

std::string DirName(const std::string& path) {
  auto pos = path.find_last_of('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

std::string BaseName(const std::string& path) {
  auto pos = path.find_last_of('/');
  return pos == std::string::npos ? path : path.substr(pos + 1);
}

std::string JoinPath(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  std::string out(a);
  if (out.back() != '/') out.push_back('/');
  out.append(b);
  return out;
}

}  // namespace isnad::core
