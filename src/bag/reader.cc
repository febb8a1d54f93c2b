// Bag::Open: a bag in a folder (FolderBag) or in a .zip / .tar(.gz) file read
// with libarchive (ArchiveBag).
#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "bag/bag.h"
#include "bag/internal.h"
#include "core/env.h"
#include "core/utf8.h"

namespace isnad::bag {

using core::Status;
using core::StatusOr;

bool Report::valid() const {
  return std::none_of(problems.begin(), problems.end(),
                      [](const Problem& p) { return !p.warning; });
}

namespace {

constexpr size_t kChunk = size_t{1} << 20;

// ---------------------------------------------------------------------------
// A bag in a folder. Walked once at Open with lstat: symbolic links are never
// followed, only reported.
class FolderBag : public Bag {
 public:
  static StatusOr<std::unique_ptr<Bag>> Open(const std::string& root) {
    auto bag = std::unique_ptr<FolderBag>(new FolderBag(root));
    ISNAD_RETURN_IF_ERROR(bag->Walk(""));
    std::sort(bag->files_.begin(), bag->files_.end());
    // Hard links (one file, several names: `tar xf` of a tar that has them) are read
    // and hashed once, under the first name: see LinkedTo.
    std::map<std::pair<uint64_t, uint64_t>, std::string> first;
    for (const std::string& rel : bag->files_) {
      auto id = bag->inode_.find(rel);
      if (id == bag->inode_.end()) continue;
      auto [it, inserted] = first.emplace(id->second, rel);
      if (!inserted) bag->linked_[rel] = it->second;
    }
    bag->inode_.clear();
    return std::unique_ptr<Bag>(std::move(bag));
  }

  const std::vector<std::string>& Files() const override { return files_; }
  const std::vector<Problem>& OpenProblems() const override { return problems_; }

  bool IsDirectory(const std::string& relative) const override { return dirs_.count(relative) > 0; }

  StatusOr<std::string> ReadFile(const std::string& relative, uint64_t max_bytes) const override {
    if (!std::binary_search(files_.begin(), files_.end(), relative)) {
      return core::NotFound(relative + " is not a file of the bag " + root_);
    }
    const std::string path = core::JoinPath(root_, relative);
    ISNAD_ASSIGN_OR_RETURN(core::FileInfo info, env_->Stat(path));
    if (info.size_bytes > max_bytes) {
      return core::ResourceExhausted(relative + " is " + std::to_string(info.size_bytes) +
                                     " bytes, more than the " + std::to_string(max_bytes) +
                                     " this reader accepts");
    }
    return env_->ReadFile(path);
  }

  Status ForEachFile(
      const std::function<Status(const std::string&, std::string_view)>& sink) const override {
    std::unique_ptr<char[]> buf(new char[kChunk]);
    for (const std::string& rel : files_) {
      if (linked_.count(rel)) continue;  // streamed under the first of its names
      ISNAD_ASSIGN_OR_RETURN(auto file, env_->NewSequentialFile(core::JoinPath(root_, rel)));
      while (true) {
        ISNAD_ASSIGN_OR_RETURN(size_t n, file->Read(buf.get(), kChunk));
        if (n == 0) break;
        ISNAD_RETURN_IF_ERROR(sink(rel, std::string_view(buf.get(), n)));
      }
      ISNAD_RETURN_IF_ERROR(sink(rel, std::string_view()));
    }
    return Status::Ok();
  }

  std::string LinkedTo(const std::string& relative) const override {
    auto it = linked_.find(relative);
    return it == linked_.end() ? "" : it->second;
  }

 private:
  explicit FolderBag(std::string root) : root_(std::move(root)), env_(core::Env::Default()) {}

  Status Walk(const std::string& rel_dir) {
    const std::string dir = rel_dir.empty() ? root_ : core::JoinPath(root_, rel_dir);
    ISNAD_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(dir));
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      const std::string rel = rel_dir.empty() ? name : rel_dir + "/" + name;
      ISNAD_ASSIGN_OR_RETURN(core::FileInfo info, env_->Stat(core::JoinPath(root_, rel)));
      switch (info.type) {
        case core::FileInfo::Type::kRegular:
          files_.push_back(rel);
          inode_[rel] = {info.device, info.inode};
          break;
        case core::FileInfo::Type::kDirectory:
          dirs_.insert(rel);
          ISNAD_RETURN_IF_ERROR(Walk(rel));
          break;
        case core::FileInfo::Type::kSymlink:
          problems_.push_back({rel, "is a symbolic link; isnad does not follow links in a bag"});
          break;
        case core::FileInfo::Type::kOther:
          problems_.push_back({rel, "is not a regular file (a device, FIFO or socket)"});
          break;
      }
    }
    return Status::Ok();
  }

  std::string root_;
  core::Env* env_;
  std::vector<std::string> files_;
  std::set<std::string> dirs_;
  std::vector<Problem> problems_;
  std::map<std::string, std::pair<uint64_t, uint64_t>> inode_;  // during Open: device, inode
  std::map<std::string, std::string> linked_;  // a hard link -> the first name of its file
};

// ---------------------------------------------------------------------------
// A bag in a zip or tar file (optionally gzip/bzip2/xz/zstd compressed).
// Open reads the headers once, keeping the small top-level tag files in memory;
// ForEachFile reads the archive once more, front to back.

struct ReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ReadPtr = std::unique_ptr<archive, ReadFree>;

// Top-level .txt files up to these sizes are kept in memory by Open.
constexpr uint64_t kCacheFileMax = uint64_t{32} << 20;
constexpr uint64_t kCacheTotalMax = uint64_t{64} << 20;
// Files up to these sizes are kept by ReadFile's first pass over the archive.
constexpr uint64_t kReadAheadFileMax = uint64_t{1} << 20;
constexpr uint64_t kReadAheadTotalMax = uint64_t{256} << 20;

// `raw` with "./" and empty elements removed. nullopt (and `why`) when it is
// absolute or has a ".." element.
std::optional<std::string> CleanEntryPath(const std::string& raw, std::string* why) {
  if (!raw.empty() && raw.front() == '/') {
    *why = "has an absolute path";
    return std::nullopt;
  }
  std::string out;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t slash = raw.find('/', start);
    if (slash == std::string::npos) slash = raw.size();
    std::string_view part(raw.data() + start, slash - start);
    if (part == "..") {
      *why = "has a '..' element, which would leave the bag";
      return std::nullopt;
    }
    if (!part.empty() && part != ".") {
      if (!out.empty()) out += '/';
      out += part;
    }
    start = slash + 1;
  }
  return out;
}

std::string EntryName(archive_entry* e) {
  const char* n = archive_entry_pathname_utf8(e);
  if (n == nullptr) n = archive_entry_pathname(e);
  return n ? n : "";
}

class ArchiveBag : public Bag {
 public:
  static StatusOr<std::unique_ptr<Bag>> Open(const std::string& path) {
    auto bag = std::unique_ptr<ArchiveBag>(new ArchiveBag(path));
    ISNAD_RETURN_IF_ERROR(bag->Scan());
    return std::unique_ptr<Bag>(std::move(bag));
  }

  const std::vector<std::string>& Files() const override { return files_; }
  const std::vector<Problem>& OpenProblems() const override { return problems_; }
  bool IsDirectory(const std::string& relative) const override { return dirs_.count(relative) > 0; }

  StatusOr<std::string> ReadFile(const std::string& relative, uint64_t max_bytes) const override {
    auto it = by_path_.find(relative);
    if (it == by_path_.end()) {
      return core::NotFound(relative + " is not a file of the bag " + path_);
    }
    const FileRec& f = records_[it->second];
    if (f.size > max_bytes) {
      return core::ResourceExhausted(relative + " is " + std::to_string(f.size) +
                                     " bytes, more than the " + std::to_string(max_bytes) +
                                     " this reader accepts");
    }
    auto cached = cache_.find(f.data_ordinal);
    if (cached != cache_.end()) return cached->second;
    std::lock_guard<std::mutex> lock(read_ahead_mu_);
    if (auto kept = read_ahead_.find(f.data_ordinal); kept != read_ahead_.end()) {
      if (kept->second.size() > max_bytes) {
        return core::ResourceExhausted(relative + " is more than the " + std::to_string(max_bytes) +
                                       " bytes this reader accepts");
      }
      return kept->second;
    }
    // Finding one entry means reading the archive from its start. A reader that asks
    // for many small files (verify-bag: each exhibit's metadata, the custody files)
    // would make one pass per file: 2,000 exhibits in a .zip took 38 s against 0.3 s
    // for the same bag as a folder. So the first such read goes through the whole
    // archive once and keeps every small file it passes (within limits); later ones
    // only make a pass when a file was not kept.
    const bool fill = !read_ahead_done_;
    read_ahead_done_ = true;
    std::string out;
    bool found = false;
    Status s = ReadEntries([&](int64_t ordinal, archive* a) -> StatusOr<bool> {
      if (ordinal == f.data_ordinal) {
        ISNAD_RETURN_IF_ERROR(ReadData(a, max_bytes, relative, [&](std::string_view chunk) {
          out.append(chunk);
          return Status::Ok();
        }));
        found = true;
        return !fill;  // done, unless still keeping the others
      }
      if (!fill || ordinal >= entry_count_) return false;
      const size_t rec = first_[static_cast<size_t>(ordinal)];
      if (rec == kNone || cache_.count(ordinal) || records_[rec].size > kReadAheadFileMax ||
          read_ahead_total_ + records_[rec].size > kReadAheadTotalMax) {
        return false;
      }
      std::string data;
      Status read = ReadData(a, kReadAheadFileMax, files_[rec], [&](std::string_view chunk) {
        data.append(chunk);
        return Status::Ok();
      });
      // A file that cannot be read is not kept: asked for, it fails with its own error.
      if (read.ok() && read_ahead_total_ + data.size() <= kReadAheadTotalMax) {
        read_ahead_total_ += data.size();
        read_ahead_[ordinal] = std::move(data);
      }
      return false;
    });
    if (found) return out;  // a later entry's damage is no problem of this file
    ISNAD_RETURN_IF_ERROR(s);
    return core::Integrity(path_ + " changed since it was opened: " + relative + " is gone");
  }

  Status ForEachFile(
      const std::function<Status(const std::string&, std::string_view)>& sink) const override {
    // Each entry's bytes once, under the first of its names: a tar hard link's bytes are
    // another entry's (LinkedTo), and streaming them once per name let a small hostile
    // tar (one big entry, thousands of links) ask for a pass and a hash per link.
    bool need_pass = false;
    for (int64_t ordinal = 0; ordinal < entry_count_; ++ordinal) {
      const size_t rec = first_[static_cast<size_t>(ordinal)];
      if (rec == kNone) continue;
      auto cached = cache_.find(ordinal);
      if (cached == cache_.end()) {
        need_pass = true;
        continue;
      }
      if (!cached->second.empty()) ISNAD_RETURN_IF_ERROR(sink(files_[rec], cached->second));
      ISNAD_RETURN_IF_ERROR(sink(files_[rec], std::string_view()));
    }
    if (!need_pass) return Status::Ok();
    return ReadEntries([&](int64_t ordinal, archive* a) -> StatusOr<bool> {
      if (ordinal >= entry_count_) {
        return core::Integrity(path_ + " changed since it was opened: it has more entries");
      }
      const size_t rec = first_[static_cast<size_t>(ordinal)];
      if (rec == kNone || cache_.count(ordinal)) return false;
      const std::string& rel = files_[rec];
      ISNAD_RETURN_IF_ERROR(
          ReadData(a, UINT64_MAX, rel, [&](std::string_view chunk) { return sink(rel, chunk); }));
      ISNAD_RETURN_IF_ERROR(sink(rel, std::string_view()));
      return false;
    });
  }

  std::string LinkedTo(const std::string& relative) const override {
    auto it = by_path_.find(relative);
    if (it == by_path_.end()) return "";
    const size_t first = first_[static_cast<size_t>(records_[it->second].data_ordinal)];
    return first == it->second ? "" : files_[first];
  }

 private:
  struct FileRec {
    int64_t data_ordinal;  // the entry whose data this file is
    uint64_t size;
  };

  explicit ArchiveBag(std::string path) : path_(std::move(path)) {}

  StatusOr<ReadPtr> OpenArchive() const {
    ReadPtr a(archive_read_new());
    if (!a) return core::ResourceExhausted("cannot allocate an archive reader");
    archive_read_support_filter_all(a.get());
    archive_read_support_format_zip(a.get());
    archive_read_support_format_tar(a.get());
    if (archive_read_open_filename(a.get(), path_.c_str(), kChunk) != ARCHIVE_OK) {
      const int err = archive_errno(a.get());
      std::string msg = archive_error_string(a.get()) ? archive_error_string(a.get()) : "";
      if (err == ENOENT || err == EACCES) return core::ErrnoStatus("cannot open", path_, err);
      return core::InvalidArgument("cannot read " + path_ + " as a zip or tar file: " + msg);
    }
    return a;
  }

  Status ArchiveError(archive* a, const std::string& what) const {
    const char* msg = archive_error_string(a);
    return core::Integrity("cannot read " + path_ + " (" + what + "): " + (msg ? msg : "damaged"));
  }

  // Calls `fn(ordinal, archive)` for each entry header in order; `fn` returns
  // true to stop. Entries `fn` does not read are skipped.
  Status ReadEntries(const std::function<StatusOr<bool>(int64_t, archive*)>& fn) const {
    core::ScopedUtf8Locale utf8;
    ISNAD_ASSIGN_OR_RETURN(ReadPtr a, OpenArchive());
    archive_entry* e = nullptr;
    for (int64_t ordinal = 0;; ++ordinal) {
      const int r = archive_read_next_header(a.get(), &e);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) return ArchiveError(a.get(), "entry " + std::to_string(ordinal));
      ISNAD_ASSIGN_OR_RETURN(bool stop, fn(ordinal, a.get()));
      if (stop) break;
    }
    return Status::Ok();
  }

  // Streams the current entry's data to `fn`, failing past `max_bytes`.
  Status ReadData(archive* a, uint64_t max_bytes, const std::string& rel,
                  const std::function<Status(std::string_view)>& fn) const {
    std::unique_ptr<char[]> buf(new char[kChunk]);
    uint64_t total = 0;
    while (true) {
      const la_ssize_t n = archive_read_data(a, buf.get(), kChunk);
      if (n == 0) break;
      if (n < 0) return ArchiveError(a, rel);
      total += static_cast<uint64_t>(n);
      if (total > max_bytes) {
        return core::ResourceExhausted(rel + " is more than the " + std::to_string(max_bytes) +
                                       " bytes this reader accepts");
      }
      ISNAD_RETURN_IF_ERROR(fn(std::string_view(buf.get(), static_cast<size_t>(n))));
    }
    return Status::Ok();
  }

  Status Scan() {
    struct Entry {
      std::string path;  // cleaned, from the archive's root
      enum Kind { kFile, kDir, kOther } kind;
      uint64_t size = 0;
      int64_t data_ordinal = 0;
    };
    std::vector<Entry> entries;
    std::map<std::string, int64_t> last_file;  // path -> its latest file entry
    uint64_t cached_total = 0;
    // One pass over the headers.
    core::ScopedUtf8Locale utf8;
    ISNAD_ASSIGN_OR_RETURN(ReadPtr a, OpenArchive());
    archive_entry* e = nullptr;
    int64_t ordinal = 0;
    for (;; ++ordinal) {
      const int r = archive_read_next_header(a.get(), &e);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) return ArchiveError(a.get(), "entry " + std::to_string(ordinal));
      const std::string raw = EntryName(e);
      if (raw.empty()) {
        unsafe_.push_back({"", "archive entry " + std::to_string(ordinal) +
                                   " has a name that cannot be read; it is not part of the bag"});
        entries.push_back({"", Entry::kOther});
        continue;
      }
      std::string why;
      std::optional<std::string> clean = CleanEntryPath(raw, &why);
      Entry entry;
      entry.data_ordinal = ordinal;
      entry.size = archive_entry_size_is_set(e) ? static_cast<uint64_t>(archive_entry_size(e)) : 0;
      const char* hardlink = archive_entry_hardlink_utf8(e);
      if (hardlink == nullptr) hardlink = archive_entry_hardlink(e);
      const unsigned type = archive_entry_filetype(e);
      if (!clean) {
        unsafe_.push_back({raw, "the archive entry " + why + "; not extracted or read"});
        entry.kind = Entry::kOther;
        entries.push_back(entry);
        continue;
      }
      entry.path = *clean;
      if (hardlink != nullptr && entry.size == 0) {
        std::string link_why;
        std::optional<std::string> target = CleanEntryPath(hardlink, &link_why);
        auto it = target ? last_file.find(*target) : last_file.end();
        if (it == last_file.end()) {
          unsafe_.push_back({raw, "is a hard link to " + std::string(hardlink) +
                                      ", which is not a file earlier in the archive"});
          entry.kind = Entry::kOther;
        } else {
          entry.kind = Entry::kFile;
          entry.data_ordinal = it->second;
          entry.size = entries[static_cast<size_t>(it->second)].size;
          last_file[entry.path] = entry.data_ordinal;
        }
        entries.push_back(entry);
        continue;
      }
      if (type == AE_IFDIR) {
        entry.kind = Entry::kDir;
      } else if (type == AE_IFREG) {
        entry.kind = Entry::kFile;
        last_file[entry.path] = ordinal;
        // Small files that may be top-level tag files: kept, so that Validate's
        // ReadFile of the manifests needs no second pass over the archive.
        const size_t depth = static_cast<size_t>(std::count(clean->begin(), clean->end(), '/'));
        const bool maybe_tag = (depth == 0 || (depth == 1 && clean->rfind("data/", 0) != 0)) &&
                               clean->size() > 4 && clean->substr(clean->size() - 4) == ".txt";
        if (maybe_tag && entry.size <= kCacheFileMax &&
            cached_total + entry.size <= kCacheTotalMax) {
          std::string data;
          ISNAD_RETURN_IF_ERROR(ReadData(a.get(), kCacheFileMax, raw, [&](std::string_view c) {
            data.append(c);
            return Status::Ok();
          }));
          cached_total += data.size();
          cache_[ordinal] = std::move(data);
        }
      } else if (type == AE_IFLNK) {
        entry.kind = Entry::kOther;
        const char* target = archive_entry_symlink(e);
        unsafe_.push_back({*clean, std::string("is a symbolic link (to ") +
                                       (target ? target : "?") +
                                       "); isnad does not follow links in a bag"});
      } else {
        entry.kind = Entry::kOther;
        unsafe_.push_back({*clean, "is not a regular file (a device, FIFO or socket)"});
      }
      entries.push_back(entry);
    }
    entry_count_ = ordinal;

    // The bag root: the folder holding bagit.txt, at the top or one folder down
    // (BagIt 0.97's "Serialization": one top-level folder; RFC 8493 says nothing of serializing).
    std::vector<std::string> roots;
    for (const Entry& en : entries) {
      if (en.kind != Entry::kFile) continue;
      if (en.path == "bagit.txt") roots.push_back("");
      const size_t slash = en.path.find('/');
      if (slash != std::string::npos && en.path.substr(slash) == "/bagit.txt") {
        roots.push_back(en.path.substr(0, slash + 1));
      }
    }
    std::sort(roots.begin(), roots.end());
    roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
    const std::string root = roots.empty() ? "" : roots.front();
    if (roots.size() > 1) {
      std::string all;
      for (const std::string& r : roots) all += (all.empty() ? "" : ", ") + (r.empty() ? "/" : r);
      problems_.push_back(
          {"", "the archive holds more than one bag (" + all + "); only the first is read"});
    }

    // Files and folders relative to the root; the last entry of a path wins (as
    // tar extracts it), and a repeated path is reported.
    std::map<std::string, int64_t> chosen;
    std::set<std::string> repeated;
    for (const Entry& en : entries) {
      if (en.path.empty()) continue;
      if (!root.empty() && en.path + "/" == root) continue;
      if (en.path.compare(0, root.size(), root) != 0) {
        if (en.kind != Entry::kOther) outside_.push_back(en.path);
        continue;
      }
      const std::string rel = en.path.substr(root.size());
      if (en.kind == Entry::kDir) {
        dirs_.insert(rel);
        continue;
      }
      if (en.kind != Entry::kFile) continue;
      if (chosen.count(rel)) repeated.insert(rel);
      chosen[rel] = static_cast<int64_t>(&en - entries.data());
      for (size_t slash = rel.find('/'); slash != std::string::npos;
           slash = rel.find('/', slash + 1)) {
        dirs_.insert(rel.substr(0, slash));
      }
    }
    for (const auto& [rel, index] : chosen) {
      if (dirs_.count(rel)) {
        problems_.push_back({rel, "is both a file and a folder in the archive"});
        continue;
      }
      const Entry& en = entries[static_cast<size_t>(index)];
      by_path_[rel] = records_.size();
      files_.push_back(rel);
      records_.push_back({en.data_ordinal, en.size});
    }
    first_.assign(static_cast<size_t>(entry_count_), kNone);
    for (size_t i = 0; i < records_.size(); ++i) {
      size_t& first = first_[static_cast<size_t>(records_[i].data_ordinal)];
      if (first == kNone) first = i;
    }
    for (const std::string& rel : repeated) {
      problems_.push_back({rel, "appears more than once in the archive (the last one is read)"});
    }
    for (const Problem& p : unsafe_) problems_.push_back(p);
    if (!outside_.empty()) {
      std::string some;
      for (size_t i = 0; i < outside_.size() && i < 5; ++i) some += (i ? ", " : "") + outside_[i];
      problems_.push_back({"",
                           std::to_string(outside_.size()) +
                               " archive entries lie outside the bag's folder " + root +
                               " and are not part of the bag (" + some + ")",
                           true});
    }
    // Keep only what can still be asked for.
    for (auto it = cache_.begin(); it != cache_.end();) {
      bool used = std::any_of(records_.begin(), records_.end(),
                              [&](const FileRec& f) { return f.data_ordinal == it->first; });
      it = used ? std::next(it) : cache_.erase(it);
    }
    return Status::Ok();
  }

  std::string path_;
  int64_t entry_count_ = 0;
  std::vector<std::string> files_;  // sorted (from a std::map)
  std::vector<FileRec> records_;    // parallel to files_
  static constexpr size_t kNone = SIZE_MAX;
  std::vector<size_t> first_;  // entry ordinal -> the first record whose bytes it is, or kNone
  std::unordered_map<std::string, size_t> by_path_;
  std::set<std::string> dirs_;
  std::map<int64_t, std::string> cache_;  // entry ordinal -> bytes
  // Small files kept by ReadFile's first pass (see there).
  mutable std::mutex read_ahead_mu_;
  mutable bool read_ahead_done_ = false;
  mutable std::map<int64_t, std::string> read_ahead_;
  mutable uint64_t read_ahead_total_ = 0;
  std::vector<Problem> problems_, unsafe_;
  std::vector<std::string> outside_;
};

}  // namespace

StatusOr<std::unique_ptr<Bag>> Bag::Open(const std::string& path) {
  core::Env* env = core::Env::Default();
  std::string clean = path;
  while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
  // Follows a symlink given as the bag itself (the user named it); never inside.
  ISNAD_ASSIGN_OR_RETURN(core::FileInfo info, env->Stat(clean));
  if (info.type == core::FileInfo::Type::kSymlink) {
    std::error_code ec;
    auto target = std::filesystem::canonical(clean, ec);
    if (ec) return core::NotFound("cannot resolve the link " + clean + ": " + ec.message());
    clean = target.string();
    ISNAD_ASSIGN_OR_RETURN(info, env->Stat(clean));
  }
  if (info.type == core::FileInfo::Type::kDirectory) return FolderBag::Open(clean);
  if (info.type == core::FileInfo::Type::kRegular) return ArchiveBag::Open(clean);
  return core::InvalidArgument(path + " is neither a folder nor a .zip/.tar file");
}

}  // namespace isnad::bag
