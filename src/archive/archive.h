// Archive: one evidence archive in a local folder — blob store, custody log,
// signing key and catalogue together — and the operations the CLI offers on
// it: init, add, lookups, proofs, verify, reindex. This is the only module that
// knows the order in which the others are written (blob data durable, then
// log entries and checkpoint, then catalogue), which is what keeps a crash at
// any moment from losing an acknowledged item or recording one without bytes.
// See docs/life-of-an-exhibit.md.
//
// Thread safety: an Archive object is used by one thread (Add uses worker
// threads internally). A writer holds `<archive>/lock` for its lifetime; any
// number of readers may run beside it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "archive/analyze.h"
#include "archive/layout.h"
#include "archive/webarchive.h"
#include "catalog/catalog.h"
#include "core/env.h"
#include "core/status.h"
#include "log/log.h"
#include "log/note.h"
#include "store/blob_store.h"

namespace isnad::archive {

struct Options {
  core::Env* env = core::Env::Default();
  // Who is acting, recorded in every entry. Empty: "$USER@hostname".
  std::string operator_name;
};

// kRebuild: a writer that opens no catalogue and needs no secret key, for
// Reindex and Reclaim (works when the catalogue file is damaged, and on a copy
// kept without keys/log.skey). kAudit: a reader for Verify that opens what it
// can (a damaged log edge or catalogue is reported by Verify, not fatal).
// kRepair: for RepairLog only: takes the lock and opens the log as kAudit does
// (a damaged edge is what it repairs), and nothing else.
enum class Mode { kRead, kWrite, kRebuild, kAudit, kRepair };

// "123" -> 123 for names in checkpoints/; nullopt for anything else (temp files).
std::optional<uint64_t> ParseHistoryName(std::string_view name);

struct AddRequest {
  std::vector<std::string> paths;  // files and folders (walked recursively)
  std::string url;                 // --source
  std::string note;                // --note
  int jobs = 2;                    // files hashed and copied at once
  bool follow_symlinks = false;
  // Analyse new images, videos, audio and PDFs once added (archive/analyze.h).
  bool analyze = true;
  AnalyzeOptions analysis;
  // Batch limits: a batch is committed (one checkpoint) when either is reached,
  // or when no more files are waiting.
  size_t batch_files = 10000;
  uint64_t batch_bytes = uint64_t{1} << 30;
};

// One acknowledged file: its bytes are durable and its entry is in a signed checkpoint.
struct AddedFile {
  std::string id;
  core::Hash sha256;
  uint64_t size_bytes = 0;
  std::string name;
  std::string path;
  std::string link_target;  // what `path` (a link, or in a folder link) leads to; "" if none
  uint64_t leaf_index = 0;  // of the entry this add wrote
  bool new_item = false;    // false: the bytes were already held; a source was added
  // Held, and recorded before from the same name, path, source and note: nothing was
  // written, and `leaf_index` is that earlier record's.
  bool already_recorded = false;
  std::string media_type;
  // Non-empty when the archive's stored copy of these bytes was damaged and
  // this file replaced it: where the damaged copy was moved.
  std::string replaced_damaged;
};

struct AddCallbacks {
  std::function<void(const AddedFile&)> on_added;
  // A file that was not added (unreadable, changed while read, symlink not
  // followed...). Adding goes on with the others.
  std::function<void(const std::string& path, const core::Status&)> on_skipped;
  // Called from worker threads: bytes read so far, files done, files found.
  std::function<void(uint64_t bytes, uint64_t files_done, uint64_t files_total)> on_progress;
  // A web archive (.warc, .warc.gz, .wacz) added, then indexed (webarchive.h).
  std::function<void(const WebArchiveSummary&)> on_web_archive;
  // New media analysed (after the files are added), and the progress of that.
  AnalyzeCallbacks analysis;
};

struct AddSummary {
  uint64_t added = 0;    // new items
  uint64_t sources = 0;  // known bytes, new source recorded
  uint64_t already = 0;  // known bytes from a known source: nothing recorded
  uint64_t skipped = 0;
  uint64_t bytes = 0;
};

struct Proof {
  uint64_t leaf_index = 0;
  uint64_t tree_size = 0;
  std::string entry;               // exact entry bytes
  std::vector<core::Hash> hashes;  // RFC 9162 inclusion proof
  std::string checkpoint_note;     // signed note of tree_size
};

// One thing `Verify` found wrong.
struct Problem {
  std::string file;  // relative to the archive, e.g. "objects/sha256/ab/cd/…", "log/tile/0/000.p/3"
  std::string item;  // item id when it concerns one, else ""
  std::string what;
  // The file could not be read (an I/O error: its permissions, the disk), so
  // it was not checked. Not found damaged either: `isnad verify` exits 5, not
  // 10, when every problem is of this kind.
  bool unreadable = false;
};

struct VerifyReport {
  std::vector<Problem> problems;
  // How many of `problems` are unreadable files rather than damage found.
  size_t Unreadable() const {
    size_t n = 0;
    for (const Problem& p : problems) n += p.unreadable ? 1 : 0;
    return n;
  }
  std::vector<std::string> notes;  // not failures (e.g. unreferenced blobs from an interrupted add)
  uint64_t blobs_checked = 0;
  uint64_t bytes_checked = 0;
  uint64_t entries_checked = 0;
  uint64_t checkpoints_checked = 0;
};

// How far a long job (Verify, Reindex) has got, for a progress display. The
// callback may be called from any of the job's threads, and often: keep it cheap.
struct Progress {
  std::string_view step;  // what the job does now, e.g. "reading the log"
  std::string_view unit;  // what done and total count: "entries" or "bytes"
  uint64_t done = 0;
  uint64_t total = 0;  // 0: this step cannot say how far it is
};
using ProgressFn = std::function<void(const Progress&)>;

// Where ApplyLog's time went (for bench/catalog_bench).
struct ApplyLogTimes {
  double read_wait_s = 0;  // waiting for the log to be read (0 when reading keeps ahead)
  double apply_s = 0;      // in Catalog::Apply
};

// Applies the log's entries from `applied` to its end to `catalog`, `chunk`
// entries per transaction, each with the root the log had after it: how a
// catalogue catches up with its log, or is rebuilt from it. The next chunk is
// read on a second thread while one is applied.
core::Status ApplyLog(const tlog::Log& log, uint64_t applied, uint64_t chunk,
                      catalog::Catalog& catalog, const ProgressFn& progress = {},
                      ApplyLogTimes* times = nullptr);

// A blob that no entry of the log names (Archive::Reclaim).
struct UnreferencedBlob {
  core::Hash sha256;
  uint64_t size_bytes = 0;
  int64_t mtime_ns = 0;  // when it was written
  bool removed = false;
};

// The software named in entries and bags.
inline constexpr std::string_view kSoftware = "isnad 0.1.0";

class Archive {
 public:
  ~Archive();

  // Creates a new archive in `dir` (created if absent; must be empty or absent)
  // with a fresh Ed25519 key named `origin` and entry 0 (archive.created).
  static core::StatusOr<std::unique_ptr<Archive>> Init(const std::string& dir,
                                                       const std::string& origin,
                                                       const Options& options);
  // Opens an existing archive. kWrite takes the lock (kLocked when another
  // writer has it). Both bring a catalogue that lags behind the log up to date
  // when they can take the lock.
  static core::StatusOr<std::unique_ptr<Archive>> Open(const std::string& dir, Mode mode,
                                                       const Options& options);

  const Layout& layout() const { return layout_; }
  const tlog::Log& log() const { return *log_; }
  const catalog::Catalog& catalog() const { return *catalog_; }
  // kRead: "" when the catalogue holds the whole log; otherwise why it could not be
  // brought up to date here (a read-only file system, a full disk) and what it lacks.
  // What it holds is still right, up to the entry it names.
  const std::string& catalog_lag() const { return catalog_lag_; }
  const store::BlobStore& blobs() const { return *blobs_; }
  const tlog::NoteVerifier& verifier() const { return verifier_; }
  const std::string& vkey() const { return verifier_.vkey(); }
  const std::string& origin() const { return verifier_.name(); }
  // Signs `text` (ends in '\n') as a C2SP signed note with the archive's own key,
  // read from keys/log.skey also when the archive was opened read-only (an export
  // signs its bag). kNotFound when the archive holds no secret key (a copy made
  // for reading).
  core::StatusOr<std::string> SignNote(std::string_view text) const;
  // Whether the archive's secret key is here (a copy made for reading may lack it).
  bool HoldsSecretKey() const;

  // Adds files (kWrite only). Returns ok when it ran to the end, even if some
  // files were skipped (reported through callbacks and the summary); an error
  // means it stopped early — everything acknowledged before stays.
  core::StatusOr<AddSummary> Add(const AddRequest& request, const AddCallbacks& callbacks);

  // Records a note on an item (kWrite only). Returns its leaf index.
  // Analyses items (archive/analyze.h): `ids` (ids or sha256 prefixes), or when
  // empty every image, video, audio and PDF not analysed yet. `again`: also
  // those analysed before (a new analysis entry replaces the old in the
  // catalogue; the old stays in the log). Returns the entries recorded.
  core::StatusOr<uint64_t> Analyze(const std::vector<std::string>& ids, bool again,
                                   const AnalyzeOptions& options,
                                   const AnalyzeCallbacks& callbacks);
  // Analyses the items made from log entry `first_leaf` on that are not analysed yet:
  // what an add, import or capture that began at that size just made.
  core::StatusOr<uint64_t> AnalyzeNew(uint64_t first_leaf, const AnalyzeOptions& options,
                                      const AnalyzeCallbacks& callbacks);

  core::StatusOr<uint64_t> AddNote(const std::string& item, const std::string& text);
  // A long note's text, stored as a blob (its entry's text_sha256), read back
  // and checked against its hash.
  core::StatusOr<std::string> NoteText(const core::Hash& text_sha256) const {
    return blobs_->ReadAll(text_sha256, kMaxNoteBytes);
  }
  // More than any note holds: a blob said to be a note's text and larger is refused.
  static constexpr uint64_t kMaxNoteBytes = uint64_t{256} << 20;

  // Records evidence graph entries (kWrite only); each body as for
  // catalog::GraphEntry ("type" and its members; time and operator are added).
  // They are checked against the catalogue first: every reference must name
  // an existing entity of the right kind, or one created earlier in the same
  // call (entry k gets leaf index NextLeafIndex() + k, so its id is known
  // before). Nothing is written unless all hold; then they are appended as one
  // batch under one signed checkpoint. Returns the leaf index of the first.
  core::StatusOr<uint64_t> Record(const std::vector<core::Json>& bodies);
  // Stores bytes as a blob, durably, without an entry (kWrite only): the text of a
  // long note, a timestamp token. An entry must then refer to it by its SHA-256,
  // or verify lists it as unreferenced. Returns its SHA-256.
  core::StatusOr<core::Hash> StoreBytes(std::string_view bytes);
  // The leaf index the next appended entry gets; stable while a writer holds the lock.
  uint64_t NextLeafIndex() const { return log_->size(); }

  core::StatusOr<catalog::ItemRecord> Resolve(const std::string& id_or_prefix) const;
  // That `r`'s ingest entry in the signed log names the sha256 the catalogue
  // gives it (the catalogue is derived and could have been edited): kIntegrity
  // otherwise. One entry read; for what hands evidence out (`cat`).
  core::Status CheckAgainstLog(const catalog::ItemRecord& r) const;
  // Inclusion proof of the item's ingest entry in the current checkpoint.
  core::StatusOr<Proof> Prove(const std::string& id_or_prefix) const;
  // Inclusion proof of any entry.
  core::StatusOr<Proof> ProveEntry(uint64_t leaf_index) const;
  // Returns the signed checkpoint of `size` from the history (the current one
  // when size == log().size()). kNotFound when none was kept for that size.
  core::StatusOr<std::string> CheckpointAt(uint64_t size) const;

  // Checks everything (see VerifyReport). `expected_vkey`, when non-empty, is
  // the key the checkpoint must be signed by (pinned elsewhere by the user);
  // otherwise keys/log.vkey is used and compared with entry 0.
  core::StatusOr<VerifyReport> Verify(const std::string& expected_vkey, int jobs,
                                      const ProgressFn& progress) const;

  // Deletes the catalogue and rebuilds it from the log (kWrite only).
  core::Status Reindex(const ProgressFn& progress = {});

  // Rebuilds the custody log's hash tiles from its entries once they prove the
  // signed checkpoint (tlog::Log::RepairTiles), kRepair only. `repaired` gets the
  // files rewritten (`dry_run`: that would be), paths relative to the archive,
  // also when it fails part-way. Afterwards the log opens again as a writer would
  // open it, or this says why not. Entries that do not prove the checkpoint:
  // kIntegrity, nothing written.
  core::Status RepairLog(bool dry_run, std::vector<tlog::RepairedFile>* repaired,
                         const ProgressFn& progress = {});

  // The blobs that no entry of the log names: bytes stored by an add, capture,
  // analysis or time-stamp that was interrupted before it recorded them. With
  // `remove`, deletes them. Needs the lock (kWrite or kRebuild), so that no
  // writer stores a blob meanwhile. First checks the log whole (every tile,
  // root and signature, every entry parsed): when it is not, a blob may be
  // named by a damaged entry, and nothing is listed or removed (kIntegrity).
  core::StatusOr<std::vector<UnreferencedBlob>> Reclaim(bool remove,
                                                        const ProgressFn& progress = {});

 private:
  friend class Capturer;  // archive/capture.cc: stores captures' files and entries in batches
  friend class Analyzer;  // archive/analyze.cc: records media analyses in batches
  friend class WebArchiveIndexer;  // archive/webarchive.cc: indexes WARC/WACZ items
  // Entries per transaction when a whole catalogue is built from the log
  // (Reindex, and Verify's rebuild): big enough to keep Catalog::Apply's
  // parsing thread ahead of its writing, small enough to hold in memory.
  static constexpr uint64_t kRebuildChunk = 100'000;
  Archive() = default;
  core::Status OpenParts(Mode mode);
  core::Status CatchUpCatalog();
  core::Status CheckNotRolledBack() const;
  // An entry bundle of a tree larger than `size` (log/tile/entries/<N>.p/<W>,
  // or a full bundle past it) that no pending record (log/pending) explains as
  // a batch that never committed: a larger tree was committed once and the log
  // was put back. Its path under log/, or "" when there is none.
  std::string BundleBeyond(uint64_t size) const;
  // Size of the checkpoint in log/checkpoint now (a writer may have moved on
  // since Open); log().size() when it cannot be read.
  uint64_t CurrentCheckpointSize() const;
  core::StatusOr<uint64_t> AppendAndApply(const std::vector<std::string>& entries);
  // Opens a catalogue that indexes the text of text documents from blobs_.
  core::StatusOr<std::unique_ptr<catalog::Catalog>> OpenCatalog(const std::string& path,
                                                                bool read_only) const;
  const std::string& OperatorName() const;

  Options options_;
  mutable std::once_flag operator_once_;
  mutable std::string operator_;  // OperatorName's, once resolved
  Layout layout_;
  std::unique_ptr<core::FileLock> lock_;
  std::optional<tlog::NoteSigner> signer_;  // kWrite only
  tlog::NoteVerifier verifier_;
  std::unique_ptr<tlog::Log> log_;
  std::unique_ptr<store::BlobStore> blobs_;
  std::unique_ptr<catalog::Catalog> catalog_;  // null in kRebuild, or kAudit when unreadable
  core::Status log_edge_problem_;              // kAudit: why the log's edge did not load
  core::Status catalog_problem_;               // kAudit: why the catalogue did not open
  std::string catalog_lag_;                    // kRead: see catalog_lag()
};

}  // namespace isnad::archive
