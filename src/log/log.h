// Log: the custody log, an append-only RFC 9162 Merkle tree stored as a C2SP
// tlog-tiles tree under one folder (<archive>/log): `checkpoint`,
// `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`. Any tlog-tiles client
// or mirror can read it. See docs/formats/tiles.md and docs/formats/checkpoint.md.
//
// Commit protocol (crash safety): Append writes the new entry bundles and hash
// tiles, makes them durable with one SyncFilesystem, then signs a checkpoint and
// replaces `checkpoint` atomically (temp, fsync, rename, fsync folder). The
// checkpoint is the commit point: after a crash the log is exactly what the
// last checkpoint says; tiles written past it are removed by the next append
// (from its `pending` record). Full tiles inside the checkpoint are never rewritten. Superseded
// partial tiles are kept: readers holding an older checkpoint still find theirs
// (each is a prefix of the wider one).
//
// Thread safety: one writer process at a time (the caller holds the archive
// lock). Within a process, const methods may be called from several threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/digest.h"
#include "core/env.h"
#include "core/status.h"
#include "log/checkpoint.h"
#include "log/note.h"

namespace isnad::tlog {

// One thing `Verify` found wrong, with the file it concerns (relative to the log folder).
struct LogProblem {
  std::string file;
  std::string what;
};

// One file `RepairTiles` rewrote (or would rewrite), relative to the log folder,
// and why: "missing", or "damaged (...)".
struct RepairedFile {
  std::string file;
  std::string why;
};

class Log {
 public:
  ~Log();

  // Creates an empty log in `dir` (created if absent): a checkpoint of size 0
  // signed by `signer`, whose name is the origin. kAlreadyExists when `dir`
  // already holds a checkpoint.
  static core::StatusOr<std::unique_ptr<Log>> Create(core::Env* env, std::string dir,
                                                     const NoteSigner& signer);

  // Opens the log in `dir`: reads `checkpoint`, verifies its signature with
  // `verifier` and that its origin is the key's name, loads the right edge of
  // the tree and checks it against the checkpoint root. A missing, truncated,
  // unsigned or inconsistent checkpoint or tile: kIntegrity naming the file.
  static core::StatusOr<std::unique_ptr<Log>> Open(core::Env* env, std::string dir,
                                                   const NoteVerifier& verifier);

  // As Open, but a right edge that does not load (a damaged or missing
  // partial tile or bundle) is reported in `edge_problem` instead of failing,
  // so that an audit (`isnad verify`) can go on and name everything wrong.
  // Append to such a Log is refused (kFailedPrecondition); reads in the edge fail.
  static core::StatusOr<std::unique_ptr<Log>> OpenForAudit(core::Env* env, std::string dir,
                                                           const NoteVerifier& verifier,
                                                           core::Status* edge_problem);

  uint64_t size() const;
  core::Hash root() const;
  const Checkpoint& checkpoint() const;
  // The full signed note of the current checkpoint.
  const std::string& checkpoint_note() const;

  // Appends `entries` as leaves size()..size()+n-1 and commits them (see the
  // protocol above), signing the new checkpoint with `signer`. Returns the index
  // of the first. An entry over kMaxEntrySize bytes, or an empty batch:
  // kInvalidArgument, nothing written; a signer other than the log's key:
  // kFailedPrecondition, nothing written. On an I/O failure nothing is committed
  // and the log keeps its previous checkpoint (in memory and on disk).
  core::StatusOr<uint64_t> Append(const std::vector<std::string>& entries,
                                  const NoteSigner& signer);

  // Returns entry `index` (< size(), else kNotFound).
  core::StatusOr<std::string> Entry(uint64_t index) const;
  // Calls `fn(index, entry)` for entries [begin, end) in order, reading each
  // bundle once. Stops at the first non-ok status from `fn` and returns it.
  core::Status ForEachEntry(
      uint64_t begin, uint64_t end,
      const std::function<core::Status(uint64_t, std::string_view)>& fn) const;

  // RFC 9162 proofs, computed from the tiles on disk. 0 <= index < tree_size <= size().
  core::StatusOr<std::vector<core::Hash>> InclusionProof(uint64_t index, uint64_t tree_size) const;
  // 0 < size1 <= size2 <= size().
  core::StatusOr<std::vector<core::Hash>> ConsistencyProof(uint64_t size1, uint64_t size2) const;
  // Root of the tree of the first `tree_size` entries (<= size()).
  core::StatusOr<core::Hash> RootAt(uint64_t tree_size) const;

  // Full check: re-reads every entry bundle, recomputes every leaf hash and
  // every hash tile, compares each stored tile byte for byte (full tiles, the
  // current partial tiles and any superseded partial ones) and the recomputed
  // root with the checkpoint, whose signature it checks with `verifier`.
  // Appends each problem found to `problems`; returns non-ok only when it
  // could not run at all. `progress`, if set, is called with the entries
  // checked so far and the checkpoint's size before each bundle.
  core::Status Verify(
      const NoteVerifier& verifier, std::vector<LogProblem>* problems,
      const std::function<void(uint64_t done, uint64_t total)>& progress = {}) const;

  // Rebuilds hash tiles from the entry bundles, which are the log's ground
  // truth, once they prove the signed checkpoint: first the tree they give must
  // have the checkpoint's root, exactly. Then every hash tile of that tree (full,
  // right-edge and superseded partial) and every superseded partial entry bundle
  // that is missing or differs from what the entries give is rewritten, and listed
  // in `repaired` (`dry_run`: listed only). Afterwards the files are byte for
  // byte those the signed tree had, so Open and Verify pass again. An entry
  // bundle that is missing, unreadable, or does not lead to the root: kIntegrity
  // naming it where it can, nothing written. For a Log opened (usually with
  // OpenForAudit) under the writer's lock; reopen it afterwards to use it.
  core::Status RepairTiles(bool dry_run, std::vector<RepairedFile>* repaired,
                           const std::function<void(uint64_t done, uint64_t total)>& progress = {});

 private:
  struct State;
  explicit Log(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace isnad::tlog
