// Expanding the paths given to `isnad add` into the list of regular files to
// ingest: folders recursively in name order, symbolic links not followed unless
// asked (and then never in a loop), nothing from inside the archive itself.
// Reads the user's files only; thread compatible.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"

namespace isnad::archive {

struct WalkOptions {
  bool follow_symlinks = false;
  std::string exclude_root;  // absolute; paths under it are skipped (the archive)
};

// A regular file found by the walk.
struct FoundFile {
  std::string path;         // where it was found: absolute, normalised, as walked
  std::string link_target;  // when `path` is a symbolic link, or lies in a folder
                            // reached through one (followed): the file it leads
                            // to, every link resolved, which is what is read;
                            // "" otherwise
  // The path to open (the store refuses to read through a final link).
  const std::string& ReadPath() const { return link_target.empty() ? path : link_target; }
};

// Appends the regular files found under `paths` to `files`, each once (by the
// path it was found at; a link to a file also found by its own path is a file
// of its own, as the folder it sits in shows it). Each path that is skipped (a symlink not
// followed, a loop, a device, an unreadable folder, a missing path) is reported through `skipped`
// with a status saying why and what to do.
void WalkPaths(const std::vector<std::string>& paths, const WalkOptions& options,
               std::vector<FoundFile>* files,
               const std::function<void(const std::string&, const core::Status&)>& skipped);

}  // namespace isnad::archive
