// The folder layout of one archive, as pure functions (no I/O), so that every
// module and test names the same files. See docs/formats/archive-layout.md.
#pragma once

#include <cstdint>
#include <string>

#include "core/env.h"

namespace isnad::archive {

// The most bytes isnad reads of a key or a signed checkpoint (each a few hundred
// bytes): whatever a hostile archive puts there instead is refused unread.
inline constexpr uint64_t kMaxSmallFileBytes = uint64_t{1} << 20;

struct Layout {
  std::string root;

  std::string LogDir() const { return core::JoinPath(root, "log"); }
  std::string KeysDir() const { return core::JoinPath(root, "keys"); }
  // The Ed25519 signer key (C2SP note key text), mode 0600.
  std::string SignerKey() const { return core::JoinPath(KeysDir(), "log.skey"); }
  // The matching verifier key; also recorded in log entry 0.
  std::string VerifierKey() const { return core::JoinPath(KeysDir(), "log.vkey"); }
  // Every checkpoint ever signed, by tree size: the history that consistency
  // proofs and exports start from.
  std::string CheckpointsDir() const { return core::JoinPath(root, "checkpoints"); }
  std::string CheckpointHistory(uint64_t size) const {
    return core::JoinPath(CheckpointsDir(), std::to_string(size));
  }
  std::string CatalogDb() const { return core::JoinPath(root, "catalog.sqlite"); }
  // The writer locks the archive folder itself (its inode cannot be deleted
  // out from under a running writer); `lock` holds the writer's pid.
  std::string LockFile() const { return root; }
};

}  // namespace isnad::archive
