#include "archive/walk.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <utility>

namespace isnad::archive {
namespace fs = std::filesystem;
namespace {

struct Walker {
  const WalkOptions& options;
  std::vector<std::string>* files;
  const std::function<void(const std::string&, const core::Status&)>& skipped;
  std::set<std::pair<dev_t, ino_t>> active_dirs;  // folders on the current descent, for loops

  bool UnderArchive(const std::string& path) const {
    if (options.exclude_root.empty()) return false;
    const std::string& root = options.exclude_root;
    return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                            path[root.size()] == '/');
  }

  void Visit(const std::string& path) {
    if (UnderArchive(path)) {
      skipped(path, core::InvalidArgument("is inside the archive itself; not added"));
      return;
    }
    struct stat lst {};
    if (::lstat(path.c_str(), &lst) != 0) {
      skipped(path, core::ErrnoStatus("cannot read", path, errno));
      return;
    }
    struct stat st = lst;
    if (S_ISLNK(lst.st_mode)) {
      if (!options.follow_symlinks) {
        std::error_code ec;
        auto target = fs::read_symlink(path, ec);
        skipped(path, core::InvalidArgument(
                          "is a symbolic link" + (ec ? std::string() : " to " + target.string()) +
                          "; not followed (use --follow-symlinks to add what it points to)"));
        return;
      }
      if (::stat(path.c_str(), &st) != 0) {
        skipped(path, core::ErrnoStatus("cannot follow symbolic link", path, errno));
        return;
      }
    }
    if (S_ISREG(st.st_mode)) {
      if (S_ISLNK(lst.st_mode)) {
        // Read what the link points to; the store refuses to read through links.
        std::error_code ec;
        auto target = fs::canonical(path, ec);
        files->push_back(ec ? path : target.string());
      } else {
        files->push_back(path);
      }
      return;
    }
    if (!S_ISDIR(st.st_mode)) {
      skipped(path, core::InvalidArgument(
                        "is not a regular file or folder (device, socket or pipe); not added"));
      return;
    }
    auto key = std::make_pair(st.st_dev, st.st_ino);
    if (active_dirs.count(key)) {
      skipped(path, core::InvalidArgument(
                        "is a symbolic link loop back to a folder above it; not followed"));
      return;
    }
    std::error_code ec;
    std::vector<std::string> names;
    for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      names.push_back(it->path().filename().string());
    }
    if (ec) {
      skipped(path, core::IoError("cannot list folder " + path + ": " + ec.message()));
      return;
    }
    std::sort(names.begin(), names.end());
    active_dirs.insert(key);
    for (const auto& n : names) Visit(path + "/" + n);
    active_dirs.erase(key);
  }
};

}  // namespace

void WalkPaths(const std::vector<std::string>& paths, const WalkOptions& options,
               std::vector<std::string>* files,
               const std::function<void(const std::string&, const core::Status&)>& skipped) {
  Walker w{options, files, skipped, {}};
  for (const auto& p : paths) {
    std::error_code ec;
    fs::path abs = fs::absolute(p, ec);
    std::string norm = ec ? p : abs.lexically_normal().string();
    while (norm.size() > 1 && norm.back() == '/') norm.pop_back();
    w.Visit(norm);
  }
}

}  // namespace isnad::archive
