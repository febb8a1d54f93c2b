// Archive::Reclaim: finds, and on request removes, the blobs that no entry of
// the log names. Apart from verify.cc because it deletes; it shares with Verify
// the one list of which entries name which blobs (named_blobs.h).
#include <algorithm>
#include <map>

#include "archive/archive.h"
#include "archive/named_blobs.h"
#include "catalog/entries.h"
#include "log/checkpoint.h"
#include "log/merkle.h"

namespace isnad::archive {

using core::Status;
using core::StatusOr;

namespace {

// Why nothing was listed or removed, with what to do: a blob that looks
// unreferenced may be named by an entry that is damaged, lost or rewritten.
Status Refuse(const std::string& what) {
  return core::Integrity(what +
                         ". Nothing was listed or removed: then a blob that no entry seems to "
                         "name may be evidence whose entry was damaged or removed. Run `isnad "
                         "verify`, restore what it names from a backup, then reclaim again");
}

}  // namespace

StatusOr<std::vector<UnreferencedBlob>> Archive::Reclaim(bool remove, const ProgressFn& progress) {
  if (lock_ == nullptr) {
    return core::FailedPrecondition("reclaim needs the archive's lock: open it to write");
  }
  core::Env* env = options_.env;

  // 1. The log as signed: every tile, the root and its signature.
  std::vector<tlog::LogProblem> log_problems;
  ISNAD_RETURN_IF_ERROR(log_->Verify(verifier_, &log_problems, [&](uint64_t done, uint64_t total) {
    if (progress) progress({"checking the log's tiles", "entries", done, total});
  }));
  if (!log_problems.empty()) {
    return Refuse("the custody log does not check (log/" + log_problems.front().file + ": " +
                  log_problems.front().what + ")");
  }

  // The catalogue, a second witness: built from the log as it was, it
  // remembers a longer or another history (log/ and checkpoints/ restored
  // together from an older copy, which nothing in them shows) and the items
  // that history held.
  auto cat = OpenCatalog(layout_.CatalogDb(), /*read_only=*/true);
  if (!cat.ok()) {
    return Refuse("catalog.sqlite cannot be read (" + cat.status().message() +
                  "), and reclaim takes it as a second witness of what the archive held; if "
                  "`isnad verify` finds nothing else wrong, run `isnad reindex`, then reclaim");
  }
  ISNAD_ASSIGN_OR_RETURN(uint64_t applied, (*cat)->AppliedSize());
  if (applied > log_->size()) {
    return Refuse("catalog.sqlite was built from " + std::to_string(applied) +
                  " entries, but the log holds " + std::to_string(log_->size()) +
                  ": the log was rolled back");
  }
  core::Hash root_at_applied = tlog::EmptyRoot();

  // 2. Every entry, for the blobs it names; the tree grown from them gives the
  //    roots of the kept checkpoints (a history rewritten with the key, an
  //    entry dropped, shows there and nowhere else).
  auto history = env->ListDir(layout_.CheckpointsDir());
  if (!history.ok()) {
    return Refuse("checkpoints/ cannot be read (" + history.status().message() +
                  "); it holds every signed checkpoint, part of the evidence");
  }
  std::map<uint64_t, core::Hash> roots_at;
  for (const auto& name : *history) {
    if (auto n = ParseHistoryName(name)) {
      // Open() refused a history larger than the log (a rollback).
      roots_at[*n] = tlog::EmptyRoot();
    }
  }
  tlog::RootBuilder tree;
  std::vector<core::Hash> named;
  std::string unparsed;  // why an entry did not parse
  Status read = log_->ForEachEntry(0, log_->size(), [&](uint64_t i, std::string_view e) -> Status {
    tree.Append(tlog::LeafHash(e));
    if (auto at = roots_at.find(i + 1); at != roots_at.end()) at->second = tree.Root();
    if (i + 1 == applied) root_at_applied = tree.Root();
    if (progress && i % 1024 == 0) {
      progress({"reading the log", "entries", i, log_->size()});
    }
    auto parsed = catalog::ParseEntry(e);
    if (!parsed.ok()) {
      unparsed = "entry " + std::to_string(i) + " of the log does not parse (" +
                 parsed.status().message() + ")";
      return core::Integrity(unparsed);
    }
    internal::ForEachNamedBlob(*parsed, i,
                               [&](internal::NamedBlob b) { named.push_back(b.sha256); });
    return Status::Ok();
  });
  if (!unparsed.empty()) return Refuse(unparsed);
  if (!read.ok()) return Refuse("the log's entries cannot be read (" + read.message() + ")");
  for (const auto& [size, root] : roots_at) {
    const std::string rel = "checkpoints/" + std::to_string(size);
    auto text = core::ReadFileUpTo(
        env, core::JoinPath(layout_.CheckpointsDir(), std::to_string(size)), kMaxSmallFileBytes);
    if (!text.ok()) return Refuse(rel + " cannot be read (" + text.status().message() + ")");
    auto opened = tlog::OpenNote(*text, {verifier_});
    if (!opened.ok()) return Refuse(rel + " is not signed by the archive's key");
    auto cp = tlog::Checkpoint::Parse(opened->text);
    if (!cp.ok() || cp->size != size || cp->root != root) {
      return Refuse(rel + " does not match the log's entries: the history was changed after it " +
                    "was signed");
    }
  }
  std::sort(named.begin(), named.end());
  auto is_named = [&](const core::Hash& h) {
    return std::binary_search(named.begin(), named.end(), h);
  };

  // 3. The catalogue's history is the log's, and each of its items is named by an entry.
  if (applied > 0) {
    ISNAD_ASSIGN_OR_RETURN(core::Hash applied_root, (*cat)->AppliedRoot());
    if (applied_root != root_at_applied) {
      return Refuse("catalog.sqlite was built from another history of " + std::to_string(applied) +
                    " entries than the log holds now");
    }
  }
  constexpr uint64_t kPage = 10'000;
  for (uint64_t offset = 0;; offset += kPage) {
    ISNAD_ASSIGN_OR_RETURN(std::vector<catalog::ItemRecord> items, (*cat)->Items(offset, kPage));
    for (const catalog::ItemRecord& r : items) {
      if (!is_named(r.sha256)) {
        return Refuse("catalog.sqlite holds item " + r.id + " (" + r.sha256.Hex() +
                      "), which no entry of the log records");
      }
    }
    if (items.size() < kPage) break;
  }

  // 4. The blobs in the store that no entry names (files that are not blobs
  //    are verify's to report, and are left alone).
  if (progress) progress({"listing the blobs", "", 0, 0});
  ISNAD_ASSIGN_OR_RETURN(std::vector<core::Hash> listed, blobs_->List());
  std::vector<UnreferencedBlob> out;
  for (const core::Hash& h : listed) {
    if (is_named(h)) continue;
    UnreferencedBlob u{h};
    auto info = env->Stat(blobs_->PathOf(h));
    if (info.ok()) {
      u.size_bytes = info->size_bytes;
      u.mtime_ns = info->mtime_ns;
    }
    out.push_back(u);
  }
  if (!remove || out.empty()) return out;

  // 5. Removed one by one; a failure says how far it got (and what is gone is
  //    made durable first). One already gone counts as removed.
  size_t removed = 0;
  for (UnreferencedBlob& u : out) {
    if (progress) progress({"removing unreferenced blobs", "blobs", removed, out.size()});
    Status s = env->RemoveFile(blobs_->PathOf(u.sha256));
    if (!s.ok() && s.code() != core::Code::kNotFound) {
      (void)env->SyncFilesystem(layout_.root);
      return s.WithContext("removing " + store::BlobStore::RelativePath(u.sha256) + " (" +
                           std::to_string(removed) + " of the " + std::to_string(out.size()) +
                           " unreferenced blobs were removed before it; `isnad reclaim` lists "
                           "those left)");
    }
    u.removed = true;
    ++removed;
  }
  ISNAD_RETURN_IF_ERROR(env->SyncFilesystem(layout_.root).WithContext("syncing the removals"));
  return out;
}

}  // namespace isnad::archive
