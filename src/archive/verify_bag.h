// VerifyBag: checks an export bag (docs/formats/bag.md, "What verify-bag
// checks") with no archive at hand: the bag alone, and optionally the archive's
// public key obtained by another channel. First BagIt (RFC 8493) completeness and
// validity, then, when the bag has data/custody/, the isnad custody evidence:
// the checkpoint's signature, every entry's inclusion proof, every earlier
// checkpoint's signature and consistency proof, every RFC 3161 token, and every
// exhibit's bytes against its item.ingested entry. A bag without data/custody/
// (any third-party bag) is checked as BagIt only, and the report says so.
// Every problem is collected with the file it concerns; nothing stops at the
// first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bag/bag.h"
#include "core/status.h"

namespace isnad::archive {

struct BagVerifyOptions {
  // The archive's verifier key (C2SP vkey text), pinned by the user. "": the
  // bag's own data/custody/log.vkey is used, and the report says the key was
  // not pinned (the bag then only proves it is self-consistent).
  std::string vkey;
  // PEM certificates that RFC 3161 token chains must end in. "": each token's
  // signature is checked with the certificates it carries, and the report says
  // the chains were not checked against trusted roots.
  std::string tsa_roots_pem;
};

struct BagVerifyReport {
  std::string bagit_version;
  // Problems (and warnings, which do not fail) with the file each concerns,
  // relative to the bag root ("" for the bag as a whole), BagIt's first.
  std::vector<bag::Problem> problems;
  // What was checked how, or not at all: not failures.
  std::vector<std::string> notes;
  bool custody = false;     // the bag has data/custody/ (an isnad export)
  bool key_pinned = false;  // the checkpoint was checked against a key given by the user
  // The archive's statement over manifest-sha256.txt verified (export.h): no payload
  // file was changed, added or taken out since export.
  bool signed_as_a_whole = false;
  std::string key;  // the key the checkpoints were checked against, "" when none
  // data/custody/checkpoint opened and verified with that key: only then is any
  // custody entry proved, and "entries" below counts those read, proved or not.
  bool checkpoint_verified = false;
  // The key given (--key) signed no checkpoint: the bag's own key, "name+id", when it
  // differs. Everything below the checkpoint then fails for that one reason.
  std::string other_key;
  uint64_t payload_files = 0, payload_bytes = 0;
  uint64_t checkpoint_size = 0;                                         // N
  uint64_t exhibits = 0, entries = 0, checkpoints = 0, timestamps = 0;  // checked
  uint64_t entries_proved = 0;  // of `entries`, those whose inclusion proof holds

  // No problem that is not a warning.
  bool ok() const;
  uint64_t errors() const;
  uint64_t warnings() const;
};

// Verifies the bag at `path` (a folder, .zip or .tar). The status is an error
// only when the bag cannot be read at all (kNotFound for a missing path) or the
// options are malformed (kInvalidArgument for a --key that is not a vkey).
core::StatusOr<BagVerifyReport> VerifyBag(const std::string& path, const BagVerifyOptions& options);
// The same with only a key ("" = the bag's own, not pinned).
core::StatusOr<BagVerifyReport> VerifyBag(const std::string& path, const std::string& vkey);

}  // namespace isnad::archive
