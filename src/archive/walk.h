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

// Appends the absolute, normalised paths of regular files found under `paths`
// to `files`. Each path that is skipped (a symlink not followed, a loop, a
// device, an unreadable folder, a missing path) is reported through `skipped`
// with a status saying why and what to do.
void WalkPaths(const std::vector<std::string>& paths, const WalkOptions& options,
               std::vector<std::string>* files,
               const std::function<void(const std::string&, const core::Status&)>& skipped);

}  // namespace isnad::archive
