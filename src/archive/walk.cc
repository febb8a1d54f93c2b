#include "archive/walk.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace isnad::archive {
namespace fs = std::filesystem;
namespace {

struct Walker {
  const WalkOptions& options;
  std::vector<FoundFile>* files;
  const std::function<void(const std::string&, const core::Status&)>& skipped;
  std::set<std::pair<dev_t, ino_t>> active_dirs;  // folders on the current descent, for loops
  std::optional<std::pair<dev_t, ino_t>> archive_dir;
  std::string canonical_root;  // the archive folder with every symlink resolved

  static bool Under(const std::string& path, const std::string& root) {
    return !root.empty() &&
           (path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                             path[root.size()] == '/'));
  }
  // By the path as given and by the path with symlinks resolved.
  bool UnderArchive(const std::string& path) const {
    return Under(path, options.exclude_root) || Under(path, canonical_root);
  }

  // `path` with every symlink resolved ("" when that fails).
  static std::string Resolved(const std::string& path) {
    char* r = ::realpath(path.c_str(), nullptr);
    if (r == nullptr) return "";
    std::string out(r);
    std::free(r);
    return out;
  }

  // `resolved`: `path` with every symlink resolved when `path` itself is not a
  // symlink ("" when not known): its folder's resolved path and its name.
  // `via_link`: the walk reached `path` through a folder link it followed, so
  // a file's place in the tree is not where its bytes are (link_target).
  void Visit(const std::string& path, std::string resolved = "", bool via_link = false) {
    if (UnderArchive(path)) {
      skipped(path, core::InvalidArgument("is inside the archive itself; not added"));
      return;
    }
    struct stat lst {};
    if (::lstat(path.c_str(), &lst) != 0) {
      skipped(path, core::ErrnoStatus("cannot read", path, errno));
      return;
    }
    if (S_ISLNK(lst.st_mode) && !options.follow_symlinks) {
      std::error_code ec;
      auto target = fs::read_symlink(path, ec);
      skipped(path, core::InvalidArgument(
                        "is a symbolic link" + (ec ? std::string() : " to " + target.string()) +
                        "; not followed (use --follow-symlinks to add what it points to)"));
      return;
    }
    // The archive's own files reached through a symlinked folder above them
    // (its keys above all) are refused as surely as by their own path.
    if (S_ISLNK(lst.st_mode) || resolved.empty()) resolved = Resolved(path);
    if (Under(resolved, canonical_root)) {
      skipped(path, core::InvalidArgument(
                        "is inside the archive itself (reached by another path); not added"));
      return;
    }
    struct stat st = lst;
    if (S_ISLNK(lst.st_mode)) {
      if (::stat(path.c_str(), &st) != 0) {
        skipped(path, core::ErrnoStatus("cannot follow symbolic link", path, errno));
        return;
      }
    }
    if (S_ISREG(st.st_mode)) {
      // A link is recorded where it was found; what it leads to is read (the
      // store refuses to read through links) and recorded beside it.
      files->push_back(FoundFile{path, S_ISLNK(lst.st_mode) || via_link ? resolved : ""});
      return;
    }
    if (!S_ISDIR(st.st_mode)) {
      skipped(path, core::InvalidArgument(
                        "is not a regular file or folder (device, socket or pipe); not added"));
      return;
    }
    auto key = std::make_pair(st.st_dev, st.st_ino);
    if (archive_dir && key == *archive_dir) {
      // The same folder reached by another path (a symlink, a bind mount).
      skipped(path,
              core::InvalidArgument("is the archive itself (reached by another path); not added"));
      return;
    }
    if (active_dirs.count(key)) {
      skipped(path, core::InvalidArgument(
                        "is a symbolic link loop back to a folder above it; not followed"));
      return;
    }
    // The listing's own file types (d_type) spare an lstat of each plain
    // file here; the store stats every file again before reading it anyway, and
    // refuses one that is no longer a regular file.
    std::vector<std::pair<std::string, bool>> entries;  // name, known to be a regular file
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) {
      skipped(path, core::ErrnoStatus("cannot list folder", path, errno));
      return;
    }
    errno = 0;
    while (const struct dirent* e = ::readdir(dir)) {
      std::string_view name = e->d_name;
      if (name != "." && name != "..") entries.emplace_back(name, e->d_type == DT_REG);
      errno = 0;
    }
    const int list_error = errno;
    ::closedir(dir);
    if (list_error != 0) {
      skipped(path, core::ErrnoStatus("cannot list folder", path, list_error));
      return;
    }
    std::sort(entries.begin(), entries.end());
    active_dirs.insert(key);
    via_link = via_link || S_ISLNK(lst.st_mode);
    for (const auto& [name, regular] : entries) {
      std::string child = path + "/" + name;
      std::string child_resolved = resolved.empty() ? "" : resolved + "/" + name;
      if (regular && !child_resolved.empty() && !UnderArchive(child) &&
          !Under(child_resolved, canonical_root)) {
        files->push_back(FoundFile{std::move(child), via_link ? std::move(child_resolved) : ""});
      } else {
        Visit(child, std::move(child_resolved), via_link);
      }
    }
    active_dirs.erase(key);
  }
};

}  // namespace

void WalkPaths(const std::vector<std::string>& paths, const WalkOptions& options,
               std::vector<FoundFile>* files,
               const std::function<void(const std::string&, const core::Status&)>& skipped) {
  Walker w{options, files, skipped, {}, std::nullopt, ""};
  if (!options.exclude_root.empty()) {
    struct stat st {};
    if (::stat(options.exclude_root.c_str(), &st) == 0)
      w.archive_dir = std::make_pair(st.st_dev, st.st_ino);
    std::error_code ec;
    auto canon = fs::canonical(options.exclude_root, ec);
    if (!ec) w.canonical_root = canon.string();
  }
  for (const auto& p : paths) {
    std::error_code ec;
    fs::path abs = fs::absolute(p, ec);
    std::string norm = ec ? p : abs.lexically_normal().string();
    if (!ec && std::any_of(abs.begin(), abs.end(), [](const fs::path& c) { return c == ".."; })) {
      // ".." after a symbolic link leaves the folder the link points to, not the
      // one it sits in ("a/link/../f" is not "a/f"): the folder is resolved as
      // the kernel resolves it. The last name is kept, never followed.
      fs::path last = abs.filename();
      if (last == ".." || last == "." || last.empty()) {
        fs::path dir = fs::canonical(abs, ec);
        if (!ec) norm = dir.string();
      } else {
        fs::path dir = fs::canonical(abs.parent_path(), ec);
        if (!ec) norm = (dir / last).string();
      }
    }
    while (norm.size() > 1 && norm.back() == '/') norm.pop_back();
    w.Visit(norm);
  }
  // A file named twice (twice over, or itself and its folder) arrives once.
  std::unordered_set<std::string> seen;
  std::erase_if(*files, [&seen](const FoundFile& f) { return !seen.insert(f.path).second; });
}

}  // namespace isnad::archive
