// Writer: a BagIt 1.0 bag in a folder, or in a .zip / .tar (.tar.gz) file
// written with libarchive. Everything goes to `<path>.tmp-<pid>` first and is
// renamed to `<path>` (never replacing anything) only by Finish, so a failure
// at any point leaves no half bag behind.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bag/bag.h"
#include "bag/internal.h"
#include "core/env.h"
#include "core/utf8.h"

namespace isnad::bag {

using core::Status;
using core::StatusOr;
using internal::Alg;

namespace {

// Below this a file is hashed on the calling thread: starting two threads
// would cost more than hashing it.
constexpr uint64_t kInlineMax = uint64_t{1} << 20;

// Written data is handed to the disk every this many bytes (sync_file_range,
// without waiting), so that a large copy does not pile up dirty pages that the
// kernel then throttles all at once, and the final sync has little left to do.
constexpr uint64_t kWritebackEvery = uint64_t{8} << 20;
constexpr size_t kWriteSlice = size_t{128} << 10;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// `<path>.tmp-<pid>` beside `path` left by an export that was killed (its
// process is gone): removed, so that an interrupted export leaves nothing
// behind once the next one to the same place starts. A live process's is kept,
// and its pid returned: another export to the same place is under way.
std::optional<pid_t> RemoveAbandonedTemps(const std::string& path) {
  std::optional<pid_t> running;
  namespace fs = std::filesystem;
  const fs::path target(path);
  const std::string prefix = target.filename().string() + ".tmp-";
  std::error_code ec;
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(prefix) || name.size() == prefix.size() ||
        name.size() > prefix.size() + 9) {
      continue;
    }
    const std::string digits = name.substr(prefix.size());
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    const auto pid = static_cast<pid_t>(std::stol(digits));
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(pid, 0) == 0 || errno != ESRCH) {  // alive, or not ours to judge
      running = pid;
      continue;
    }
    std::error_code rm;
    fs::remove_all(it->path(), rm);
  }
  return running;
}

// Where the bag's files go, in order: Begin, Write..., End per file; Commit
// once at the end (the bag appears at its path), or Abort.
class Output {
 public:
  virtual ~Output() = default;
  virtual Status Begin(const std::string& rel, uint64_t size) = 0;
  virtual Status Write(std::string_view data) = 0;
  virtual Status End() = 0;
  virtual Status Commit() = 0;
  virtual void Abort() = 0;
};

class FolderOutput : public Output {
 public:
  FolderOutput(std::string final_path, std::string tmp)
      : env_(core::Env::Default()), final_(std::move(final_path)), tmp_(std::move(tmp)) {}

  Status Create() {
    if (::mkdir(tmp_.c_str(), 0755) != 0) return core::ErrnoStatus("cannot create", tmp_, errno);
    created_ = true;
    return env_->CreateDir(tmp_ + "/data");
  }
  Status Begin(const std::string& rel, uint64_t) override {
    const std::string path = core::JoinPath(tmp_, rel);
    ISNAD_RETURN_IF_ERROR(core::CreateDirs(env_, core::DirName(path)));
    ISNAD_ASSIGN_OR_RETURN(file_, env_->NewExclusiveFile(path, 0644));
    return Status::Ok();
  }
  Status Write(std::string_view data) override {
    // In slices: on the machines measured, write(2)s of 1 MiB into the page
    // cache cost twice the CPU of 128 KiB ones (docs/design/bagit.md).
    for (size_t at = 0; at < data.size(); at += kWriteSlice) {
      ISNAD_RETURN_IF_ERROR(file_->Append(data.substr(at, kWriteSlice)));
    }
    since_writeback_ += data.size();
    if (since_writeback_ >= kWritebackEvery) {
      since_writeback_ = 0;
      return file_->StartWriteback();
    }
    return Status::Ok();
  }
  Status End() override {
    since_writeback_ = 0;
    Status s = file_->Close();
    file_.reset();
    return s;
  }
  Status Commit() override {
    ISNAD_RETURN_IF_ERROR(env_->SyncFilesystem(tmp_));
    ISNAD_RETURN_IF_ERROR(env_->RenameNoReplace(tmp_, final_));
    created_ = false;
    return env_->SyncDir(core::DirName(final_));
  }
  void Abort() override {
    file_.reset();
    if (!created_) return;
    std::error_code ec;
    std::filesystem::remove_all(tmp_, ec);
    created_ = false;
  }

 private:
  core::Env* env_;
  std::string final_, tmp_;
  bool created_ = false;
  std::unique_ptr<core::WritableFile> file_;
  uint64_t since_writeback_ = 0;
};

struct WriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};

class ArchiveOutput : public Output {
 public:
  enum class Format { kZip, kTar, kTarGz };
  ArchiveOutput(std::string final_path, std::string tmp, Format format, std::string top)
      : final_(std::move(final_path)),
        tmp_(std::move(tmp)),
        format_(format),
        top_(std::move(top)) {}
  ~ArchiveOutput() override { Abort(); }

  Status Create() {
    core::ScopedUtf8Locale utf8;
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) return core::ErrnoStatus("cannot create", tmp_, errno);
    a_.reset(archive_write_new());
    if (!a_) return core::ResourceExhausted("cannot allocate an archive writer");
    int r = ARCHIVE_OK;
    if (format_ == Format::kZip) {
      r = archive_write_set_format_zip(a_.get());
      // Stored, not deflated: evidence is mostly compressed already, and
      // deflate would be the slowest step by far.
      if (r == ARCHIVE_OK)
        r = archive_write_set_format_option(a_.get(), "zip", "compression", "store");
    } else {
      r = archive_write_set_format_pax_restricted(a_.get());
      if (r == ARCHIVE_OK && format_ == Format::kTarGz) r = archive_write_add_filter_gzip(a_.get());
    }
    if (r == ARCHIVE_OK) r = archive_write_set_bytes_per_block(a_.get(), 64 * 1024);
    if (r == ARCHIVE_OK) r = archive_write_set_bytes_in_last_block(a_.get(), 1);
    if (r == ARCHIVE_OK) r = archive_write_open_fd(a_.get(), fd_);
    if (r != ARCHIVE_OK) return Error("cannot start");
    mtime_ = std::time(nullptr);
    ISNAD_RETURN_IF_ERROR(Header("", AE_IFDIR, 0755, 0));  // the top folder
    return Dir("data");
  }

  Status Begin(const std::string& rel, uint64_t size) override {
    core::ScopedUtf8Locale utf8;
    for (size_t slash = rel.find('/'); slash != std::string::npos;
         slash = rel.find('/', slash + 1)) {
      ISNAD_RETURN_IF_ERROR(Dir(rel.substr(0, slash)));
    }
    return Header(rel, AE_IFREG, 0644, size);
  }
  Status Write(std::string_view data) override {
    core::ScopedUtf8Locale utf8;
    while (!data.empty()) {
      const la_ssize_t n = archive_write_data(a_.get(), data.data(), data.size());
      if (n <= 0) return Error("cannot write");
      data.remove_prefix(static_cast<size_t>(n));
      since_writeback_ += static_cast<uint64_t>(n);
    }
    if (since_writeback_ >= kWritebackEvery) {
      since_writeback_ = 0;
      ::sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE);  // a hint; errors show at fsync
    }
    return Status::Ok();
  }
  Status End() override {
    core::ScopedUtf8Locale utf8;
    if (archive_write_finish_entry(a_.get()) != ARCHIVE_OK) return Error("cannot write");
    return Status::Ok();
  }
  Status Commit() override {
    core::ScopedUtf8Locale utf8;
    if (archive_write_close(a_.get()) != ARCHIVE_OK) return Error("cannot finish");
    a_.reset();
    if (::fsync(fd_) != 0) return core::ErrnoStatus("cannot fsync", tmp_, errno);
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return core::ErrnoStatus("cannot close", tmp_, errno);
    core::Env* env = core::Env::Default();
    ISNAD_RETURN_IF_ERROR(env->RenameNoReplace(tmp_, final_));
    committed_ = true;
    return env->SyncDir(core::DirName(final_));
  }
  void Abort() override {
    core::ScopedUtf8Locale utf8;
    if (committed_) return;
    a_.reset();
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
      ::unlink(tmp_.c_str());
    }
  }

 private:
  Status Error(const std::string& what) {
    const char* msg = a_ ? archive_error_string(a_.get()) : nullptr;
    const int err = a_ ? archive_errno(a_.get()) : 0;
    if (err == ENOSPC || err == EDQUOT) return core::ErrnoStatus(what, tmp_, err);
    return core::IoError(what + " " + tmp_ + ": " + (msg ? msg : "libarchive failed"));
  }

  Status Dir(const std::string& rel) {
    if (!dirs_.insert(rel).second) return Status::Ok();
    return Header(rel + "/", AE_IFDIR, 0755, 0);
  }

  Status Header(const std::string& rel, unsigned type, int perm, uint64_t size) {
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(),
                                                               archive_entry_free);
    if (!e) return core::ResourceExhausted("cannot allocate an archive entry");
    const std::string name = top_ + "/" + rel;  // "top/" for the top folder itself
    archive_entry_set_pathname_utf8(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), type);
    archive_entry_set_perm(e.get(), static_cast<mode_t>(perm));
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
    archive_entry_set_mtime(e.get(), mtime_, 0);
    if (archive_write_header(a_.get(), e.get()) < ARCHIVE_WARN)
      return Error("cannot write " + rel + " to");
    return Status::Ok();
  }

  std::string final_, tmp_;
  Format format_;
  std::string top_;
  int fd_ = -1;
  std::unique_ptr<archive, WriteFree> a_;
  std::set<std::string> dirs_;
  time_t mtime_ = 0;
  bool committed_ = false;
  uint64_t since_writeback_ = 0;
};

class BagWriter : public Writer {
 public:
  explicit BagWriter(std::unique_ptr<Output> out) : out_(std::move(out)) {}
  ~BagWriter() override {
    if (!finished_) out_->Abort();
  }

  StatusOr<FileDigests> AddFile(const std::string& relative, const std::string& source_path,
                                const std::function<void(uint64_t)>& progress) override {
    ISNAD_RETURN_IF_ERROR(Usable());
    ISNAD_ASSIGN_OR_RETURN(std::string path, CheckPath(relative, false));
    core::Env* env = core::Env::Default();
    // Refuses what is not a regular file (a folder, FIFO, device) without waiting on it.
    ISNAD_ASSIGN_OR_RETURN(auto source, env->NewSequentialFile(source_path));
    StatusOr<core::FileInfo> info = source->Stat();
    if (!info.ok()) info = env->Stat(source_path);
    if (!info.ok()) return info.status();
    const uint64_t size = info->size_bytes;
    broken_ = true;  // until the file is all in
    ISNAD_RETURN_IF_ERROR(out_->Begin(path, size));
    Digests d;
    uint64_t total = 0;
    if (size < kInlineMax) {
      std::string buf(size + 1, '\0');  // one byte more, to see a file that grew
      while (total < buf.size()) {
        ISNAD_ASSIGN_OR_RETURN(size_t n, source->Read(buf.data() + total, buf.size() - total));
        if (n == 0) break;
        total += n;
      }
      if (total != size) return ChangedWhileRead(source_path, size, total);
      buf.resize(total);
      d = Hash(buf);
      ISNAD_RETURN_IF_ERROR(out_->Write(buf));
      if (progress) progress(size);
    } else {
      ISNAD_RETURN_IF_ERROR(Stream(*source, source_path, size, &d, progress));
    }
    ISNAD_RETURN_IF_ERROR(out_->End());
    Register(path, d, size, false);
    broken_ = false;
    return FileDigests{d.sha256, d.sha512, size};
  }

  Status AddBytes(const std::string& relative, std::string_view bytes) override {
    ISNAD_RETURN_IF_ERROR(Usable());
    ISNAD_ASSIGN_OR_RETURN(std::string path, CheckPath(relative, false));
    return Put(path, bytes, false);
  }

  Status AddTagFile(const std::string& relative, std::string_view bytes) override {
    ISNAD_RETURN_IF_ERROR(Usable());
    ISNAD_ASSIGN_OR_RETURN(std::string path, CheckPath(relative, true));
    return Put(path, bytes, true);
  }

  Status Finish(const std::vector<std::pair<std::string, std::string>>& bag_info,
                const ManifestTag& manifest_tag) override {
    ISNAD_RETURN_IF_ERROR(Usable());
    for (const auto& [label, value] : bag_info) {
      if (label.empty() || label.find_first_of(":\r\n") != std::string::npos ||
          label.front() == ' ' || label.front() == '\t' || label.back() == ' ' ||
          label.back() == '\t') {
        return core::InvalidArgument("the bag-info label \"" + label +
                                     "\" is empty, has ':' or a line break, or starts or ends "
                                     "with whitespace (RFC 8493 §2.2.2)");
      }
      if (value.find_first_of("\r\n") != std::string::npos) {
        return core::InvalidArgument("the bag-info value of " + label + " has a line break");
      }
      std::string lower = label;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (lower == "payload-oxum" || lower == "bag-size") {
        return core::InvalidArgument(label + " is written by the bag writer itself");
      }
    }
    // Payload manifests first: Bag-Size counts them.
    std::string m256, m512;
    uint64_t payload_bytes = 0;
    for (const auto& [path, e] : payload_) {
      const std::string encoded = internal::PercentEncodePath(path);
      m256 += e.sha256 + "  " + encoded + "\n";
      m512 += e.sha512 + "  " + encoded + "\n";
      payload_bytes += e.size;
    }
    if (manifest_tag) {
      ISNAD_ASSIGN_OR_RETURN(auto tag, manifest_tag(m256));
      ISNAD_RETURN_IF_ERROR(AddTagFile(tag.first, tag.second));
    }
    broken_ = true;
    const std::string bagit = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
    uint64_t bag_bytes = payload_bytes + bagit.size() + m256.size() + m512.size();
    for (const auto& [path, e] : tags_) bag_bytes += e.size;
    std::string info;
    for (const auto& [label, value] : bag_info) info += label + ": " + value + "\n";
    info += "Payload-Oxum: " + std::to_string(payload_bytes) + "." +
            std::to_string(payload_.size()) + "\n";
    info += "Bag-Size: " + internal::HumanSize(bag_bytes + info.size()) + "\n";

    ISNAD_RETURN_IF_ERROR(Put("bagit.txt", bagit, true));
    ISNAD_RETURN_IF_ERROR(Put("bag-info.txt", info, true));
    ISNAD_RETURN_IF_ERROR(Put("manifest-sha256.txt", m256, true));
    ISNAD_RETURN_IF_ERROR(Put("manifest-sha512.txt", m512, true));
    std::string t256, t512;
    for (const auto& [path, e] : tags_) {
      const std::string encoded = internal::PercentEncodePath(path);
      t256 += e.sha256 + "  " + encoded + "\n";
      t512 += e.sha512 + "  " + encoded + "\n";
    }
    ISNAD_RETURN_IF_ERROR(Write("tagmanifest-sha256.txt", t256));
    ISNAD_RETURN_IF_ERROR(Write("tagmanifest-sha512.txt", t512));
    ISNAD_RETURN_IF_ERROR(out_->Commit());
    finished_ = true;
    broken_ = false;
    return Status::Ok();
  }

 private:
  struct Digests {
    std::string sha256, sha512;
  };
  struct Entry {
    std::string sha256, sha512;
    uint64_t size = 0;
  };

  Status Usable() const {
    if (finished_) return core::FailedPrecondition("the bag is finished");
    if (broken_) {
      return core::FailedPrecondition("an earlier write to this bag failed; it cannot be finished");
    }
    return Status::Ok();
  }

  static Status ChangedWhileRead(const std::string& source, uint64_t size, uint64_t got) {
    return core::FailedPrecondition(source + " changed while it was copied into the bag (" +
                                    std::to_string(size) + " bytes when opened, " +
                                    (got > size ? "more" : std::to_string(got)) +
                                    " read); copy it again");
  }

  static Digests Hash(std::string_view bytes) {
    auto h256 = internal::NewHasher(Alg::kSha256);
    auto h512 = internal::NewHasher(Alg::kSha512);
    h256->Update(bytes.data(), bytes.size());
    h512->Update(bytes.data(), bytes.size());
    return {h256->FinishHex(), h512->FinishHex()};
  }

  // One read of `source`: this thread reads each block and appends it to the
  // output while two threads hash it, SHA-256 and SHA-512 over the same bytes.
  Status Stream(core::SequentialFile& source, const std::string& source_path, uint64_t size,
                Digests* d, const std::function<void(uint64_t)>& progress) {
    internal::HashPipeline pipe({Alg::kSha256, Alg::kSha512},
                                [d](uint32_t, Alg alg, std::string hex) {
                                  (alg == Alg::kSha256 ? d->sha256 : d->sha512) = std::move(hex);
                                });
    ISNAD_RETURN_IF_ERROR(pipe.Start());
    const size_t bs = pipe.block_size();
    uint64_t total = 0;
    Status status;
    while (status.ok() && total < size) {
      char* block = pipe.Take();
      const size_t want = static_cast<size_t>(std::min<uint64_t>(bs, size - total));
      size_t len = 0;
      while (len < want) {
        StatusOr<size_t> n = source.Read(block + len, want - len);
        if (!n.ok()) {
          status = n.status();
          break;
        }
        if (*n == 0) break;
        len += *n;
      }
      if (!status.ok()) break;
      if (len < want) {
        status = ChangedWhileRead(source_path, size, total + len);
        break;
      }
      pipe.Submit(len, 0, false, 3);
      total += len;
      status = out_->Write(std::string_view(block, len));
      if (progress) progress(total);
    }
    if (status.ok()) {
      // A last read of 0 bytes: the file really ends at its stat'ed size.
      char* block = pipe.Take();
      StatusOr<size_t> n = source.Read(block, 1);
      if (!n.ok()) {
        status = n.status();
      } else if (*n != 0) {
        status = ChangedWhileRead(source_path, size, size + 1);
      } else {
        pipe.Submit(0, 0, true, 3);
      }
    }
    pipe.Close();
    return status;
  }

  Status Put(const std::string& path, std::string_view bytes, bool tag) {
    broken_ = true;
    ISNAD_RETURN_IF_ERROR(Write(path, bytes));
    Register(path, Hash(bytes), bytes.size(), tag);
    broken_ = false;
    return Status::Ok();
  }

  Status Write(const std::string& path, std::string_view bytes) {
    ISNAD_RETURN_IF_ERROR(out_->Begin(path, bytes.size()));
    ISNAD_RETURN_IF_ERROR(out_->Write(bytes));
    return out_->End();
  }

  void Register(const std::string& path, const Digests& d, uint64_t size, bool tag) {
    (tag ? tags_ : payload_)[path] = {d.sha256, d.sha512, size};
    folded_[internal::NormalizeName(path, true)] = path;
    for (size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      dirs_.insert(path.substr(0, slash));
    }
  }

  // The path in the bag for `relative`: data/<relative>, or <relative> for a
  // tag file; kInvalidArgument naming it when it cannot be one.
  StatusOr<std::string> CheckPath(const std::string& relative, bool tag) const {
    auto bad = [&](const std::string& why) {
      return core::InvalidArgument("cannot add \"" + core::LossyUtf8(relative) +
                                   "\" to the bag: " + why);
    };
    if (relative.empty()) return bad("the path is empty");
    if (!core::IsValidUtf8(relative)) return bad("the path is not UTF-8");
    if (relative.find('\0') != std::string::npos) return bad("the path has a NUL byte");
    if (relative.front() == '/') return bad("the path is absolute; it must be relative");
    size_t start = 0;
    while (start <= relative.size()) {
      size_t slash = relative.find('/', start);
      if (slash == std::string::npos) slash = relative.size();
      std::string_view part(relative.data() + start, slash - start);
      if (part == "..") return bad("a '..' element would leave the bag");
      if (part.empty() || part == ".") return bad("empty or '.' path elements are not allowed");
      start = slash + 1;
    }
    std::string path = relative;
    if (tag) {
      if (path == "data" || path.rfind("data/", 0) == 0) {
        return bad("data/ is the payload folder; add payload files with AddFile or AddBytes");
      }
      if (auto why = internal::EscapeReason(path)) return bad(*why);
      if (path == "bagit.txt" || path == "bag-info.txt" || path == "package-info.txt" ||
          path == "fetch.txt" ||
          ((path.rfind("manifest-", 0) == 0 || path.rfind("tagmanifest-", 0) == 0) &&
           EndsWith(path, ".txt"))) {
        return bad("the name is reserved by RFC 8493 and written by the bag writer");
      }
    } else {
      path = "data/" + relative;
    }
    if (payload_.count(path) || tags_.count(path)) return bad("it is already in the bag");
    if (dirs_.count(path)) return bad("a folder of that name is already in the bag");
    for (size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      const std::string prefix = path.substr(0, slash);
      if (payload_.count(prefix) || tags_.count(prefix)) {
        return bad("\"" + prefix + "\" is already a file in the bag");
      }
    }
    auto folded = folded_.find(internal::NormalizeName(path, true));
    if (folded != folded_.end()) {
      return bad("it differs only in case or Unicode normalisation from \"" + folded->second +
                 "\", and the two would be one file on Windows and macOS");
    }
    return path;
  }

  std::unique_ptr<Output> out_;
  std::map<std::string, Entry> payload_, tags_;  // by path in the bag, sorted
  std::map<std::string, std::string> folded_;    // NFC + case folded -> path
  std::set<std::string> dirs_;
  bool finished_ = false;
  bool broken_ = false;
};

}  // namespace

StatusOr<std::unique_ptr<Writer>> Writer::Create(const std::string& path_in) {
  std::string path = path_in;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path.empty()) return core::InvalidArgument("the bag path is empty");
  core::Env* env = core::Env::Default();
  if (core::Exists(env, path)) {
    return core::AlreadyExists(path + " already exists; a bag is never written over anything");
  }
  // The folder it goes in must be there: say so, rather than fail on the temp name.
  const std::string parent = core::DirName(path);
  if (!parent.empty() && !core::Exists(env, parent)) {
    return core::NotFound("the folder " + parent + " does not exist, so " + path +
                          " cannot be written there; create it first or give another --out");
  }
  if (std::optional<pid_t> other = RemoveAbandonedTemps(path)) {
    // Both would write the whole bag, and the second to finish would fail at the end.
    return core::Locked(
        "another export to " + path + " is under way (process " + std::to_string(*other) +
        ", writing " + path + ".tmp-" + std::to_string(*other) +
        "); nothing was written. Wait for it to finish, or give another --out (if no export "
        "is running, remove it)");
  }
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  if (core::Exists(env, tmp)) {
    return core::AlreadyExists(tmp + " exists (left by an earlier run?); remove it first");
  }
  const std::string base = core::BaseName(path);
  const std::string lower = core::AsciiLower(base);  // "CASE12.ZIP" is a .zip too
  std::optional<ArchiveOutput::Format> format;
  std::string top;
  for (const auto& [ext, f] :
       std::initializer_list<std::pair<std::string_view, ArchiveOutput::Format>>{
           {".zip", ArchiveOutput::Format::kZip},
           {".tar", ArchiveOutput::Format::kTar},
           {".tar.gz", ArchiveOutput::Format::kTarGz},
           {".tgz", ArchiveOutput::Format::kTarGz}}) {
    if (EndsWith(lower, ext)) {
      format = f;
      top = base.substr(0, base.size() - ext.size());
    }
  }
  if (!format) {
    // A name that asks for a kind of file isnad does not write would otherwise be a
    // folder with that name, which a user then sends on as if it were that file.
    for (std::string_view ext : {".7z", ".rar", ".gz", ".bz2", ".xz", ".zst", ".tbz2", ".txz",
                                 ".tzst", ".iso", ".jar", ".cab"}) {
      if (EndsWith(lower, ext)) {
        std::string stem = path.substr(0, path.size() - ext.size());
        if (core::AsciiLower(stem).ends_with(".tar")) stem.resize(stem.size() - 4);
        return core::InvalidArgument("--out " + path +
                                     ": isnad writes a .zip, .tar or .tar.gz file, or a folder (a "
                                     "name with none of these endings), not a " +
                                     std::string(ext) + " file; did you mean " + stem + ".zip?");
      }
    }
  }
  if (format) {
    // BagIt 0.97's "Serialization" (RFC 8493 dropped that section): one top-level
    // folder, named as the file without its extension.
    if (top.empty()) top = "bag";
    auto out = std::make_unique<ArchiveOutput>(path, tmp, *format, top);
    ISNAD_RETURN_IF_ERROR(out->Create());
    return std::unique_ptr<Writer>(new BagWriter(std::move(out)));
  }
  auto out = std::make_unique<FolderOutput>(path, tmp);
  Status s = out->Create();
  if (!s.ok()) {
    out->Abort();
    return s;
  }
  return std::unique_ptr<Writer>(new BagWriter(std::move(out)));
}

}  // namespace isnad::bag
