// Archive::Verify: everything an auditor would check, in one pass over the
// log and one over the blobs. Kept apart from archive.cc because it only reads.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "archive/archive.h"
#include "archive/named_blobs.h"
#include "catalog/entries.h"
#include "log/checkpoint.h"
#include "log/merkle.h"
#include "log/tiles.h"

namespace isnad::archive {

using core::Status;
using core::StatusOr;

namespace {

struct BlobRef {
  std::string item;
  uint64_t size_bytes = 0;
  bool size_known = false;
};

// A blob named by one entry, kept in the order of the entries.
struct Mention {
  core::Hash sha256;
  BlobRef ref;
};

// The blobs the log names, each once, in hash order: for each, the first item
// that names it and the size its ingest entry gives. Sorted, not a std::map: a
// million random keys in a tree cost verify more time than reading them.
std::vector<std::pair<core::Hash, BlobRef>> Merge(std::vector<Mention> mentions) {
  std::stable_sort(mentions.begin(), mentions.end(),
                   [](const Mention& a, const Mention& b) { return a.sha256 < b.sha256; });
  std::vector<std::pair<core::Hash, BlobRef>> out;
  for (Mention& m : mentions) {
    if (out.empty() || out.back().first != m.sha256) {
      out.emplace_back(m.sha256, BlobRef{});
    }
    BlobRef& r = out.back().second;
    if (r.item.empty()) r.item = std::move(m.ref.item);
    if (m.ref.size_known) {
      r.size_bytes = m.ref.size_bytes;
      r.size_known = true;
    }
  }
  return out;
}

}  // namespace

uint64_t Archive::CurrentCheckpointSize() const {
  auto text = core::ReadFileUpTo(options_.env, core::JoinPath(layout_.LogDir(), "checkpoint"),
                                 kMaxSmallFileBytes);
  if (!text.ok()) return log_->size();
  auto opened = tlog::OpenNote(*text, {verifier_});
  if (!opened.ok()) return log_->size();
  auto cp = tlog::Checkpoint::Parse(opened->text);
  return cp.ok() ? cp->size : log_->size();
}

StatusOr<VerifyReport> Archive::Verify(const std::string& expected_vkey, int jobs,
                                       const ProgressFn& progress) const {
  VerifyReport report;
  auto problem = [&](std::string file, std::string item, std::string what) {
    report.problems.push_back({std::move(file), std::move(item), std::move(what)});
  };

  // 1. Keys: the checkpoint must be signed by the key the user trusts.
  tlog::NoteVerifier verifier = verifier_;
  if (!expected_vkey.empty()) {
    ISNAD_ASSIGN_OR_RETURN(verifier, tlog::NoteVerifier::FromVkey(expected_vkey));
    if (verifier.vkey() != verifier_.vkey()) {
      problem("keys/log.vkey", "",
              "the archive's key is " + verifier_.vkey() + ", not the key given (" +
                  verifier.vkey() + ")");
    }
  }

  // 2. The log: every tile recomputed from the entries, root, signature.
  if (!log_edge_problem_.ok()) {
    problem("log/", "", "the newest tiles do not load: " + log_edge_problem_.message());
  }
  std::vector<tlog::LogProblem> log_problems;
  ISNAD_RETURN_IF_ERROR(log_->Verify(verifier, &log_problems, [&](uint64_t done, uint64_t total) {
    if (progress) progress({"checking the log's tiles", "entries", done, total});
  }));
  for (auto& p : log_problems) problem("log/" + p.file, "", p.what);

  // 3. The entries: each must parse; collect the blobs they reference, and
  //    rebuild the catalogue from them. The tree's roots are recomputed from the
  //    entries too, for the rebuild and for the kept checkpoints (step 7): the
  //    stored hash tiles are among the files in doubt, and a damaged one must
  //    not make intact history look rewritten.
  auto history = options_.env->ListDir(layout_.CheckpointsDir());
  std::map<uint64_t, core::Hash> roots_at;  // the kept checkpoints' sizes, filled in below
  if (history.ok()) {
    for (const auto& name : *history) {
      if (auto n = ParseHistoryName(name); n && *n <= log_->size()) roots_at[*n] = core::Hash{};
    }
  }
  if (auto zero = roots_at.find(0); zero != roots_at.end()) zero->second = tlog::EmptyRoot();
  tlog::RootBuilder tree;
  std::vector<Mention> mentions;
  // Tree sizes whose signed checkpoint a time-stamp token covers, by the entry that says so.
  std::map<uint64_t, uint64_t> stamped_sizes;
  // Built as reindex builds, in a private temporary file (deleted on close):
  // in RAM (":memory:") verify took 3 GB of memory at a million items.
  ISNAD_ASSIGN_OR_RETURN(auto rebuilt, OpenCatalog(catalog::kScratchFile, false));
  ISNAD_RETURN_IF_ERROR(rebuilt->BeginBulkLoad());
  std::vector<std::string> chunk;
  uint64_t chunk_start = 0;
  bool rebuild_ok = true;
  // Applies the entries read so far (up to tree size `end`) on a thread of its
  // own while the next ones are read and parsed here. A bad entry is the
  // archive's problem; no room for the scratch file is this run's.
  std::future<Status> applying;
  Status scratch_status;
  auto wait_applied = [&]() -> Status {
    if (!applying.valid()) return Status::Ok();
    Status s = applying.get();
    if (s.code() == core::Code::kResourceExhausted) {
      scratch_status = core::ResourceExhausted(
          "verify rebuilds the catalogue in a temporary file to compare it, about the size of "
          "catalog.sqlite; set TMPDIR (or SQLITE_TMPDIR, which comes first) to a folder with "
          "that much free space. " +
          s.message());
      return scratch_status;
    }
    if (!s.ok()) {
      rebuild_ok = false;
      problem("log/tile/entries", "", s.message());
    }
    return Status::Ok();
  };
  auto rebuild = [&](uint64_t end) -> Status {
    ISNAD_RETURN_IF_ERROR(wait_applied());
    std::vector<std::string> entries = std::move(chunk);
    chunk.clear();
    if (!rebuild_ok) return Status::Ok();
    if (tree.size() != end) {  // every entry so far goes through the callback below
      return core::Internal("verify's tree holds " + std::to_string(tree.size()) + " entries at " +
                            std::to_string(end));
    }
    applying = std::async(std::launch::async,
                          [&rebuilt, first = chunk_start, entries = std::move(entries),
                           root = tree.Root()] { return rebuilt->Apply(first, entries, root); });
    return Status::Ok();
  };
  Status entries_status =
      log_->ForEachEntry(0, log_->size(), [&](uint64_t i, std::string_view e) -> Status {
        report.entries_checked++;
        tree.Append(tlog::LeafHash(e));
        if (auto at = roots_at.find(i + 1); at != roots_at.end()) at->second = tree.Root();
        if (progress && i % 1024 == 0) {
          progress({"reading the log, rebuilding the catalogue", "entries", i, log_->size()});
        }
        auto parsed = catalog::ParseEntry(e);
        if (!parsed.ok()) {
          problem("log/tile/entries", "",
                  "entry " + std::to_string(i) + ": " + parsed.status().message());
          rebuild_ok = false;
          return Status::Ok();
        }
        const core::Json& j = *parsed;
        const std::string type = j.value("type", "");
        if (i == 0) {
          if (type != catalog::kArchiveCreated) {
            problem("log/tile/entries/000", "", "entry 0 is not archive.created");
          } else if (j.value("vkey", "") != verifier_.vkey()) {
            problem("keys/log.vkey", "",
                    "does not match the key recorded in entry 0 (" + j.value("vkey", "") + ")");
          }
        }
        internal::ForEachNamedBlob(j, i, [&](internal::NamedBlob b) {
          mentions.push_back({b.sha256, {std::move(b.item), b.size_bytes, b.size_known}});
        });
        if (type == catalog::kTimestampAdded) {
          const uint64_t stamped = j.value("checkpoint_size", uint64_t{0});
          if (stamped > 0 && !stamped_sizes.count(stamped)) stamped_sizes[stamped] = i;
        }
        if (chunk.empty()) chunk_start = i;
        chunk.emplace_back(e);
        if (chunk.size() >= kRebuildChunk) {
          ISNAD_RETURN_IF_ERROR(rebuild(i + 1));
        }
        return Status::Ok();
      });
  if (!chunk.empty() && entries_status.ok()) entries_status = rebuild(log_->size());
  if (progress) {
    progress({"reading the log, rebuilding the catalogue", "entries", log_->size(), log_->size()});
  }
  if (Status s = wait_applied(); !s.ok()) return s;
  if (!scratch_status.ok()) return scratch_status;
  if (!entries_status.ok()) {
    problem("log/tile/entries", "", "cannot read the entries: " + entries_status.message());
  }

  // 4. The catalogue must be exactly what the log says. Only a complete rebuild
  //    can tell (one that missed entries differs for that reason alone); judged
  //    after step 5, since the catalogue indexes text read from blobs.
  bool catalog_differs = false;
  auto applied = catalog_ ? catalog_->AppliedSize() : core::StatusOr<uint64_t>(catalog_problem_);
  if (!applied.ok() && (applied.status().code() == core::Code::kFailedPrecondition ||
                        applied.status().code() == core::Code::kResourceExhausted)) {
    // Made by another version of isnad (or never finished), or unopenable on a
    // full disk: derived, and the evidence it is derived from is checked here
    // all the same; no reason to call the archive damaged.
    report.notes.push_back("catalog.sqlite was not compared with the log: " +
                           applied.status().message());
  } else if (!applied.ok()) {
    problem("catalog.sqlite", "", "cannot read: " + applied.status().message());
  } else if (*applied > log_->size() && *applied > CurrentCheckpointSize()) {
    // Applied only after the checkpoint that covers it was signed: a
    // catalogue ahead of today's checkpoint was built from a larger tree.
    problem("log/checkpoint", "",
            "is at " + std::to_string(CurrentCheckpointSize()) + " entries, but catalog.sqlite " +
                "was built from " + std::to_string(*applied) +
                ": the log was rolled back (or the catalogue is another archive's); do not add to "
                "or reindex the archive until log/ is restored from a backup");
  } else if (*applied != log_->size()) {
    // Derived and brought up to date on the next open: not evidence at risk.
    report.notes.push_back("catalog.sqlite holds " + std::to_string(*applied) +
                           " entries, the log " + std::to_string(log_->size()) +
                           " (a writer is at work, or was interrupted; it catches up when the "
                           "archive is next opened); not compared");
  } else if (rebuild_ok && entries_status.ok()) {
    if (progress) progress({"comparing the catalogue", "", 0, 0});
    auto mine = catalog_->Fingerprint();  // non-null: AppliedSize succeeded
    auto fresh = rebuilt->Fingerprint();
    catalog_differs = !mine.ok() || !fresh.ok() || *mine != *fresh;
  }

  // 5. Every referenced blob is present and hashes to its name.
  const std::vector<std::pair<core::Hash, BlobRef>> todo = Merge(std::move(mentions));
  uint64_t total_bytes = 0;
  for (auto& [h, r] : todo) total_bytes += r.size_bytes;
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> done_bytes{0};
  std::mutex mu;
  auto worker = [&] {
    while (true) {
      size_t i = next++;
      if (i >= todo.size()) return;
      const auto& [h, r] = todo[i];
      std::string rel = store::BlobStore::RelativePath(h);
      auto got = blobs_->Rehash(h);
      uint64_t n = done_bytes += r.size_bytes;
      if (progress) progress({"checking blobs", "bytes", n, total_bytes});
      std::lock_guard<std::mutex> g(mu);
      report.blobs_checked++;
      if (!got.ok() && got.status().code() == core::Code::kNotFound) {
        problem(rel, r.item, "blob is missing");
        continue;
      }
      if (!got.ok()) {
        // Unreadable is not altered: no hash was computed to say either way.
        report.problems.push_back(
            {rel, r.item,
             "cannot read blob, so it was not checked: " + got.status().message() +
                 " (make it readable, e.g. fix its permissions or the disk, then verify again)",
             /*unreadable=*/true});
        continue;
      }
      report.bytes_checked += got->second;
      if (got->first != h) {
        problem(rel, r.item, "blob has been altered: its bytes now hash to " + got->first.Hex());
      } else if (r.size_known && got->second != r.size_bytes) {
        problem(rel, r.item,
                "blob is " + std::to_string(got->second) + " bytes; the log says " +
                    std::to_string(r.size_bytes));
      }
    }
  };
  const size_t problems_before_blobs = report.problems.size();
  std::vector<std::thread> threads;
  for (int t = 0; t < std::max(1, jobs); ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  // In the blobs' order, whichever thread found each: two runs print the same report.
  std::sort(report.problems.begin() + static_cast<std::ptrdiff_t>(problems_before_blobs),
            report.problems.end(),
            [](const Problem& a, const Problem& b) { return a.file < b.file; });
  if (catalog_differs && report.problems.size() > problems_before_blobs) {
    // The rebuild read the damaged blobs (search text, analyses), so it differs
    // because of them; reindexing now would index the damage.
    report.notes.push_back(
        "catalog.sqlite was not compared with the log: the blobs it indexes are damaged (see "
        "above). Restore them from a backup, then verify again");
  } else if (catalog_differs && !log_problems.empty()) {
    // Rebuilt from damaged log files; reindexing now would build the damage in.
    report.notes.push_back(
        "catalog.sqlite differs from a rebuild from the log, but the log itself is damaged (see "
        "above). Restore log/ from a backup, then verify again; do not reindex until then");
  } else if (catalog_differs) {
    problem("catalog.sqlite", "", "does not agree with the log; run `isnad reindex` to rebuild it");
  }

  // 6. Blobs that no entry references, and files that are not blobs.
  std::vector<std::string> strays;
  auto listed = blobs_->List(&strays);
  // Only when every entry was read is "no entry references it" known.
  if (listed.ok() && entries_status.ok()) {
    for (const auto& h : *listed) {
      auto at = std::lower_bound(
          todo.begin(), todo.end(), h,
          [](const std::pair<core::Hash, BlobRef>& r, const core::Hash& k) { return r.first < k; });
      if (at == todo.end() || at->first != h) {
        report.notes.push_back(
            store::BlobStore::RelativePath(h) +
            " is not referenced by any entry (left by an add or capture that was stopped, "
            "and harmless; or, if problems are reported above, the bytes of an entry that "
            "was lost: `isnad reclaim` removes such blobs only once the log checks whole)");
      }
    }
  }
  for (const auto& s : strays) {
    // What file managers write beside any file they show (macOS on a copy to exFAT or a
    // network share, Windows Explorer): not evidence and not a blob, so no integrity
    // failure; anything else in objects/ is one, since no one should write there.
    const std::string base = core::BaseName(s);
    // Only a small plain file of those names: a folder so named could hold anything.
    auto info = options_.env->Stat(core::JoinPath(layout_.root, s));
    const bool small_file = info.ok() && info->type == core::FileInfo::Type::kRegular &&
                            info->size_bytes <= (uint64_t{1} << 20);
    if (small_file && (base == ".DS_Store" || base.starts_with("._") || base == "Thumbs.db" ||
                       base == "desktop.ini" || base == ".directory")) {
      report.notes.push_back(s +
                             " is a file manager's metadata, not a blob (written when the "
                             "archive was opened in Finder or Explorer); it may be deleted");
      continue;
    }
    problem(s, "", "is not a blob of this archive (unexpected file in objects/)");
  }

  // 7. Every checkpoint kept in the history is signed and is a prefix of today's tree.
  auto names = options_.env->ListDir(layout_.CheckpointsDir());
  if (!names.ok()) {
    problem("checkpoints/", "",
            "cannot be read: " + names.status().message() +
                " (the history of signed checkpoints is part of the evidence; restore it from a "
                "backup)");
  } else {
    // By tree size (names are plain decimal), so the first that differs is the earliest.
    std::sort(names->begin(), names->end(), [](const std::string& a, const std::string& b) {
      return a.size() != b.size() ? a.size() < b.size() : a < b;
    });
    bool current_kept = false;
    uint64_t last_matching = 0;  // the largest kept size so far whose root is the entries'
    // Consecutive kept checkpoints that differ: every later one covers the same
    // changed entries, so one line names the first and one counts the rest.
    struct Run {
      std::string last;
      uint64_t count = 0;
    };
    std::optional<Run> run;
    auto close_run = [&] {
      if (run && run->count > 1) {
        problem(run->last, "",
                "and " + std::to_string(run->count - 1) +
                    " more kept checkpoints up to this one: their roots differ from the tree of "
                    "the log's entries too");
      }
      run.reset();
    };
    for (const auto& name : *names) {
      std::string rel = "checkpoints/" + name;
      auto named_size = ParseHistoryName(name);
      if (!named_size) {
        if (name.find(".tmp-") != std::string::npos) {
          report.notes.push_back(rel + " is a temp file left by an interrupted write (harmless)");
        } else {
          problem(rel, "", "is not a checkpoint history file (expected a tree size as its name)");
        }
        continue;
      }
      if (*named_size > log_->size()) {
        // Either signed after this run read log/checkpoint (a writer is at
        // work), or the log was rolled back: today's checkpoint tells which.
        const uint64_t current = CurrentCheckpointSize();
        if (*named_size > current) {
          problem("log/checkpoint", "",
                  "is at " + std::to_string(current) + " entries, but " + rel +
                      " is a signed checkpoint of " + name +
                      ": the log was rolled back (restore log/checkpoint from " + rel +
                      " or a backup; do not add to the archive until then)");
        } else {
          report.notes.push_back(rel +
                                 " is newer than the checkpoint this run checked; not compared");
        }
        continue;
      }
      auto text = core::ReadFileUpTo(options_.env, core::JoinPath(layout_.CheckpointsDir(), name),
                                     kMaxSmallFileBytes);
      if (!text.ok()) {
        problem(rel, "", "cannot read: " + text.status().message());
        continue;
      }
      auto opened = tlog::OpenNote(*text, {verifier});
      if (!opened.ok()) {
        problem(rel, "", "signature does not verify: " + opened.status().message());
        continue;
      }
      auto cp = tlog::Checkpoint::Parse(opened->text);
      if (!cp.ok()) {
        problem(rel, "", cp.status().message());
        continue;
      }
      report.checkpoints_checked++;
      if (cp->size != *named_size) {
        problem(rel, "",
                "holds the checkpoint of tree size " + std::to_string(cp->size) + ", not " + name +
                    " (the file was renamed or replaced)");
        continue;
      }
      current_kept |= cp->size == log_->size();
      // From the entries where they were read (a file that appeared during this
      // run, or a size past entries that could not be read: the hash tiles).
      auto at = roots_at.find(cp->size);
      const bool from_entries = at != roots_at.end() && cp->size <= tree.size();
      auto root = from_entries ? core::StatusOr<core::Hash>(at->second) : log_->RootAt(cp->size);
      if (!root.ok()) {
        problem(rel, "", "cannot compute the log's root at that size: " + root.status().message());
      } else if (*root != cp->root) {
        if (!run) {
          problem(rel, "",
                  from_entries
                      ? "root differs from the tree of the log's entries at that size: one or "
                        "more of entries " +
                            std::to_string(last_matching) + " to " + std::to_string(cp->size - 1) +
                            " were changed or replaced after this checkpoint was signed"
                      : "root differs from the log's tree at that size as its hash tiles give it "
                        "(the entries from " +
                            std::to_string(tree.size()) +
                            " on could not be read): the log was rewritten after this "
                            "checkpoint was signed, or those tiles are damaged");
          run.emplace();
        }
        run->count++;
        run->last = rel;
      } else {
        close_run();
        last_matching = cp->size;
      }
    }
    close_run();
    {
      // A writer at work writes log/pending, then bundles, then the checkpoint:
      // a bundle seen past a checkpoint that has since moved on, or while a
      // pending record has appeared, is its work, looked at again.
      uint64_t at = CurrentCheckpointSize();
      std::string beyond = BundleBeyond(at);
      for (int look = 0; !beyond.empty() && look < 100; ++look) {
        const bool pending =
            core::Exists(options_.env, core::JoinPath(layout_.LogDir(), "pending"));
        const uint64_t now = CurrentCheckpointSize();
        if (!pending && now == at) break;
        if (pending) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        at = CurrentCheckpointSize();
        beyond = BundleBeyond(at);
      }
      if (!beyond.empty()) {
        problem("log/checkpoint", "",
                "is at " + std::to_string(at) + " entries, but log/" + beyond +
                    " holds entries past them, written by a batch that committed (no log/pending "
                    "record names it): the log was rolled back; restore log/ from a backup");
      }
    }
    if (!current_kept) {
      report.notes.push_back("checkpoints/" + std::to_string(log_->size()) +
                             " (the current checkpoint) is not in the history");
    }
    // 8. Every checkpoint signed below the current size must still be kept. An append
    //    signs one checkpoint and leaves the partial entry bundle of that size
    //    (tile/entries/<N>.p/<W>, never removed once committed), so those widths name
    //    the sizes signed; time-stamp tokens name the sizes they cover. A size that
    //    is a multiple of 256 leaves no partial bundle: only a token can name it.
    std::set<uint64_t> kept;
    for (const auto& name : *names) {
      if (auto n = ParseHistoryName(name)) kept.insert(*n);
    }
    std::map<uint64_t, std::string> signed_sizes;
    for (uint64_t n = 0; n <= log_->size() / tlog::kTileWidth; ++n) {
      const std::string pdir = tlog::EntryBundlePath(n, tlog::kTileWidth) + ".p";
      auto widths = options_.env->ListDir(core::JoinPath(layout_.LogDir(), pdir));
      if (!widths.ok()) continue;
      for (const auto& w : *widths) {
        auto id = tlog::ParseTilePath(pdir + "/" + w);
        if (!id.ok()) continue;  // a temp file of an interrupted write
        const uint64_t size = n * tlog::kTileWidth + id->width;
        if (size < log_->size()) {
          signed_sizes.emplace(size,
                               "log/" + pdir + "/" + w + " shows one was signed at that size");
        }
      }
    }
    for (const auto& [size, entry] : stamped_sizes) {
      if (size < log_->size()) {
        signed_sizes[size] = "the time-stamp token of entry " + std::to_string(entry) +
                             " covers it, and cannot be checked without it";
      }
    }
    for (const auto& [size, why] : signed_sizes) {
      if (kept.count(size)) continue;
      problem(
          "checkpoints/" + std::to_string(size), "",
          "is missing: the signed checkpoint of " + std::to_string(size) +
              " entries is gone from the history (" + why +
              "); whoever was given it can no longer be shown it here. Restore the file "
              "from a backup or a mirror of the archive (or from an export bag that holds it in "
              "data/custody/checkpoints/). The current checkpoint does not depend on it");
    }
  }
  return report;
}

}  // namespace isnad::archive
