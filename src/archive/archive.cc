#include "archive/archive.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>

#include "archive/walk.h"
#include "catalog/entries.h"
#include "core/encoding.h"
#include "core/time.h"
#include "core/utf8.h"
#include "log/checkpoint.h"
#include "log/merkle.h"
#include "log/tiles.h"
#include "media/sniff.h"
#include "media/text.h"

namespace isnad::archive {

using core::Json;
using core::Status;
using core::StatusOr;

namespace {

// What a stopped or failed `reindex` leaves: the catalogue it was building and its
// journal files. Whoever holds the writer lock next removes them (no rebuild can be
// running then), so the space comes back without a successful reindex.
Status RemoveRebuildFiles(core::Env* env, const std::string& catalog_path) {
  Status first;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    const std::string p = catalog_path + ".rebuild" + suffix;
    if (!core::Exists(env, p)) continue;
    if (Status s = env->RemoveFile(p); !s.ok() && first.ok()) first = s;
  }
  return first;
}

// Notes longer than this are kept as a blob, referenced by a note.added entry,
// so that no entry can outgrow the 65,535-byte limit.
constexpr size_t kInlineNoteLimit = 16 * 1024;
// Entries read and applied to the catalogue per transaction when catching up.
constexpr uint64_t kApplyChunk = 10000;

}  // namespace

Status ApplyLog(const tlog::Log& log, uint64_t applied, uint64_t chunk, catalog::Catalog& catalog,
                const ProgressFn& progress, ApplyLogTimes* times) {
  const uint64_t size = log.size();
  constexpr std::string_view kStep = "rebuilding the catalogue from the log";
  if (progress) progress({kStep, "entries", applied, size});
  if (applied >= size) return Status::Ok();
  struct Chunk {
    Status status;
    std::vector<std::string> entries;
    core::Hash root{};
  };
  // Reads entries [begin, end) and the root after them; runs on a second
  // thread, a chunk ahead of the one being applied (a reindex of a million
  // items spent 1 to 2 s here, on the thread that writes the catalogue).
  auto read = [&log](uint64_t begin, uint64_t end) {
    Chunk c;
    c.entries.reserve(end - begin);
    c.status = log.ForEachEntry(begin, end, [&c](uint64_t, std::string_view e) {
      c.entries.emplace_back(e);
      return Status::Ok();
    });
    if (!c.status.ok()) return c;
    auto root = log.RootAt(end);
    if (root.ok()) {
      c.root = *root;
    } else {
      c.status = root.status();
    }
    return c;
  };
  using Clock = std::chrono::steady_clock;
  auto seconds_since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  uint64_t end = std::min(size, applied + chunk);
  std::future<Chunk> next = std::async(std::launch::async, read, applied, end);
  while (applied < size) {
    auto t = Clock::now();
    Chunk c = next.get();
    if (times) times->read_wait_s += seconds_since(t);
    ISNAD_RETURN_IF_ERROR(c.status);
    // std::async's future waits in its destructor: an early return below
    // leaves no thread reading.
    if (end < size) next = std::async(std::launch::async, read, end, std::min(size, end + chunk));
    t = Clock::now();
    ISNAD_RETURN_IF_ERROR(catalog.Apply(applied, c.entries, c.root));
    if (times) times->apply_s += seconds_since(t);
    applied = end;
    end = std::min(size, end + chunk);
    if (progress) progress({kStep, "entries", applied, size});
  }
  return Status::Ok();
}

namespace {

// An archive's root given as a symlink to a folder (cases/syria ->
// /mnt/disk2/syria) is used as that folder: below the root no link is ever
// followed (core::CreateDirs), so the root must be the folder itself.
std::string FolderBehindLink(core::Env* env, const std::string& dir) {
  auto st = env->Stat(dir);
  if (!st.ok() || st->type != core::FileInfo::Type::kSymlink) return dir;
  std::error_code ec;
  std::filesystem::path real = std::filesystem::canonical(dir, ec);
  return ec ? dir : real.string();
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// The archive's secret key, checked against its public one.
StatusOr<tlog::NoteSigner> LoadSigner(core::Env* env, const Layout& layout,
                                      const tlog::NoteVerifier& verifier) {
  auto read = core::ReadFileUpTo(env, layout.SignerKey(), kMaxSmallFileBytes);
  if (!read.ok() && read.status().code() == core::Code::kNotFound) {
    // A copy kept for reading (a lawyer's, a mirror's) lacks it on purpose.
    return core::NotFound(
        layout.SignerKey() +
        " is missing: the archive's secret signing key, needed to record anything (every "
        "batch is signed). Nothing was written. Reading, `verify`, `export` and `reindex` work "
        "without it; to record, put back the key from where it was kept (a backup, or the "
        "archive's original machine)");
  }
  ISNAD_ASSIGN_OR_RETURN(std::string skey_text, std::move(read));
  auto signer = tlog::NoteSigner::FromSkey(Trimmed(skey_text));
  if (!signer.ok()) {
    return core::Integrity("keys/log.skey does not hold a valid signer key: " +
                           signer.status().message());
  }
  if (signer->vkey() != verifier.vkey()) {
    return core::Integrity("keys/log.skey and keys/log.vkey are not a key pair");
  }
  return signer;
}

// The size of the largest checkpoints/<size>, if any.
std::optional<uint64_t> NewestKeptCheckpoint(core::Env* env, const Layout& layout) {
  auto names = env->ListDir(layout.CheckpointsDir());
  if (!names.ok()) return std::nullopt;
  std::optional<uint64_t> newest;
  for (const std::string& name : *names) {
    std::optional<uint64_t> size = ParseHistoryName(name);
    if (size.has_value() && (!newest.has_value() || *size > *newest)) newest = size;
  }
  return newest;
}

std::string DefaultOperator() {
  std::string user;
  if (const char* u = std::getenv("ISNAD_OPERATOR"); u != nullptr && *u) return u;
  if (const char* u = std::getenv("USER"); u != nullptr && *u) {
    user = u;
  } else if (struct passwd* pw = ::getpwuid(::getuid()); pw != nullptr) {
    user = pw->pw_name;
  } else {
    user = "uid" + std::to_string(::getuid());
  }
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return user + "@" + (host[0] ? host : "localhost");
}

}  // namespace

std::optional<uint64_t> ParseHistoryName(std::string_view name) {
  if (name.empty() || name.size() > 19 || (name.size() > 1 && name[0] == '0')) return std::nullopt;
  uint64_t n = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

Archive::~Archive() = default;

const std::string& Archive::OperatorName() const {
  // Resolved once, when first needed: every entry names its operator, and
  // getpwuid reads the user database on each call (a capture's batches spent a
  // tenth of their committing time there when $USER was unset).
  std::call_once(operator_once_, [this] {
    operator_ = options_.operator_name.empty() ? DefaultOperator() : options_.operator_name;
  });
  return operator_;
}

StatusOr<std::unique_ptr<Archive>> Archive::Init(const std::string& dir, const std::string& origin,
                                                 const Options& options) {
  core::Env* env = options.env;
  std::unique_ptr<Archive> a(new Archive());
  a->options_ = options;
  a->layout_.root = FolderBehindLink(env, dir);
  if (core::Exists(env, dir)) {
    if (!core::IsFolder(env, dir)) {
      return core::AlreadyExists(
          dir + " exists and is not a folder; choose a new folder for the archive");
    }
    ISNAD_ASSIGN_OR_RETURN(auto names, env->ListDir(a->layout_.root));
    if (!names.empty()) {
      if (core::Exists(env, a->layout_.VerifierKey())) {
        return core::AlreadyExists(dir + " already holds an isnad archive");
      }
      return core::AlreadyExists(dir +
                                 " is not empty; choose a new or empty folder for the archive");
    }
  }
  ISNAD_ASSIGN_OR_RETURN(std::string skey, tlog::NoteSigner::GenerateSkey(origin));
  ISNAD_ASSIGN_OR_RETURN(tlog::NoteSigner signer, tlog::NoteSigner::FromSkey(skey));
  // The first checkpoint, signed on trial before anything is written: a name
  // a checkpoint cannot carry must not leave a half-made archive behind.
  if (auto trial = tlog::SignNote(tlog::Checkpoint{signer.name(), 0, tlog::EmptyRoot(), ""}.Body(),
                                  {&signer});
      !trial.ok()) {
    return core::InvalidArgument(
        "the archive's name cannot be a checkpoint's origin (" + trial.status().message() +
        "); give printable text without line breaks, e.g. \"archive.example.org/syria\". "
        "Nothing was written");
  }
  // The first entry too: it holds the name, and an entry has at most 65,535 bytes.
  catalog::Actor by{core::NowUtc(), a->OperatorName()};
  ISNAD_ASSIGN_OR_RETURN(std::string entry,
                         catalog::ArchiveCreatedEntry(by, origin, signer.vkey(), kSoftware));
  if (entry.size() > tlog::kMaxEntrySize) {
    return core::InvalidArgument("the archive's name is too long (" +
                                 std::to_string(origin.size()) +
                                 " bytes) for the first log entry, which holds it; give a short "
                                 "name such as \"archive.example.org/syria\". Nothing was written");
  }
  // Folders above the archive may be links (/data -> /mnt/disk1); none in it.
  ISNAD_RETURN_IF_ERROR(core::CreateDirsFollowingLinks(env, a->layout_.root));
  ISNAD_RETURN_IF_ERROR(core::CreateDirs(env, a->layout_.KeysDir()));
  ISNAD_RETURN_IF_ERROR(core::CreateDirs(env, a->layout_.CheckpointsDir()));
  ISNAD_ASSIGN_OR_RETURN(a->lock_, env->LockFile(a->layout_.LockFile()));
  {
    // The secret key is created 0600 from the start, never widened then narrowed.
    ISNAD_ASSIGN_OR_RETURN(auto f, env->NewExclusiveFile(a->layout_.SignerKey(), 0600));
    ISNAD_RETURN_IF_ERROR(f->Append(skey + "\n"));
    ISNAD_RETURN_IF_ERROR(f->Sync());
    ISNAD_RETURN_IF_ERROR(f->Close());
  }
  ISNAD_RETURN_IF_ERROR(
      core::WriteFileAtomically(env, a->layout_.VerifierKey(), signer.vkey() + "\n", true, 0644));
  ISNAD_RETURN_IF_ERROR(env->SyncDir(a->layout_.KeysDir()));
  ISNAD_ASSIGN_OR_RETURN(a->blobs_,
                         store::BlobStore::Open(env, a->layout_.root, /*clean_temp=*/true));
  ISNAD_ASSIGN_OR_RETURN(a->log_, tlog::Log::Create(env, a->layout_.LogDir(), signer));
  ISNAD_ASSIGN_OR_RETURN(a->catalog_, a->OpenCatalog(a->layout_.CatalogDb(), false));
  ISNAD_ASSIGN_OR_RETURN(a->verifier_, tlog::NoteVerifier::FromVkey(signer.vkey()));
  a->signer_ = std::move(signer);
  ISNAD_RETURN_IF_ERROR(a->AppendAndApply({entry}).status());
  return a;
}

StatusOr<std::unique_ptr<Archive>> Archive::Open(const std::string& dir, Mode mode,
                                                 const Options& options) {
  std::unique_ptr<Archive> a(new Archive());
  a->options_ = options;
  a->layout_.root = FolderBehindLink(options.env, dir);
  ISNAD_RETURN_IF_ERROR(a->OpenParts(mode));
  return a;
}

Status Archive::OpenParts(Mode mode) {
  core::Env* env = options_.env;
  if (!core::Exists(env, layout_.VerifierKey())) {
    if (core::Exists(env, layout_.LogDir()) || core::Exists(env, layout_.CheckpointsDir())) {
      return core::Integrity(
          layout_.VerifierKey() +
          " is missing, but the folder holds a custody log: the archive's public key was "
          "removed. Nothing was read or written. Put the key back in that file: the one line, "
          "starting with the archive's name, that `isnad init` printed and you kept elsewhere. "
          "(Entry 0 of the log records it too, as \"vkey\", but a key read from the archive "
          "itself proves nothing: compare it with your copy.) Then run `isnad verify`");
    }
    // A relative path is read from the current folder: name the folder it came to.
    std::string where = layout_.root;
    std::error_code ec;
    if (std::filesystem::path(where).is_relative()) {
      const std::string full = std::filesystem::absolute(where, ec).lexically_normal().string();
      if (!ec) where += " (" + full + ", from the current folder)";
    }
    if (core::Exists(env, layout_.root)) {
      // The folder is there but is no archive: `init` would make a second archive beside
      // the evidence the user is looking for, so it is not what to suggest first.
      return core::NotFound("no isnad archive at " + where +
                            ": the folder holds no keys/log.vkey. Point --archive or "
                            "ISNAD_ARCHIVE at the folder `isnad init` made (a full path works "
                            "from any folder)");
    }
    return core::NotFound("no isnad archive at " + where +
                          ": there is no such folder. If the archive is elsewhere, point "
                          "--archive or ISNAD_ARCHIVE at it (a full path works from any "
                          "folder); to create a new one here: `isnad --archive " +
                          layout_.root + " init`");
  }
  const bool writer = mode == Mode::kWrite || mode == Mode::kRebuild || mode == Mode::kRepair;
  if (writer) {
    ISNAD_ASSIGN_OR_RETURN(lock_, env->LockFile(layout_.LockFile()));
    // Best effort: a writer on a full disk still runs, and reindex removes them first.
    // (A repair touches nothing but the log: its dry run writes nothing at all.)
    if (mode != Mode::kRepair) (void)RemoveRebuildFiles(env, layout_.CatalogDb());
  }
  ISNAD_ASSIGN_OR_RETURN(std::string vkey_text,
                         core::ReadFileUpTo(env, layout_.VerifierKey(), kMaxSmallFileBytes));
  auto verifier = tlog::NoteVerifier::FromVkey(Trimmed(vkey_text));
  if (!verifier.ok()) {
    return core::Integrity("keys/log.vkey does not hold a valid verifier key: " +
                           verifier.status().message());
  }
  verifier_ = std::move(*verifier);
  if (mode == Mode::kWrite) {
    // Reindex signs nothing: a copy kept without the secret key can rebuild its catalogue.
    ISNAD_ASSIGN_OR_RETURN(tlog::NoteSigner signer, LoadSigner(env, layout_, verifier_));
    signer_ = std::move(signer);
  }
  auto log = mode == Mode::kAudit || mode == Mode::kRepair
                 ? tlog::Log::OpenForAudit(env, layout_.LogDir(), verifier_, &log_edge_problem_)
                 : tlog::Log::Open(env, layout_.LogDir(), verifier_);
  if (!log.ok()) {
    const std::string head = core::JoinPath(layout_.LogDir(), "checkpoint");
    if (!core::Exists(env, head) && core::Exists(env, layout_.LogDir())) {
      if (std::optional<uint64_t> newest = NewestKeptCheckpoint(env, layout_)) {
        const std::string kept = layout_.CheckpointHistory(*newest);
        // A copy is kept only once its batch committed: a crash before that
        // leaves the newest kept copy older than the lost head. Putting it
        // back then, the next write would remove that batch's entries.
        const std::string after = core::Exists(env, core::JoinPath(layout_.LogDir(), "pending"))
                                      ? "pending"
                                      : BundleBeyond(*newest);
        if (!after.empty()) {
          return core::Integrity(
              head +
              " is missing: the signed head of the custody log. Nothing was read or "
              "written. The newest checkpoint kept in " +
              layout_.CheckpointsDir() + " (" + kept + ") may be older than it: log/" + after +
              " was written by a batch after it. Do not add to or reindex this archive (a "
              "write would remove that batch's entries); restore " +
              head + " from a backup, then run `isnad verify`");
        }
        return core::Integrity(
            head +
            " is missing: the signed head of the custody log. Nothing was read or written. "
            "The archive keeps a copy of each checkpoint it signs in " +
            layout_.CheckpointsDir() +
            ", and no entry on disk is newer than the newest one; copy it back (`cp '" + kept +
            "' '" + head + "'`), then run `isnad verify`");
      }
    }
    const Status& s = log.status();
    if (s.code() == core::Code::kIntegrity && s.message().rfind("tile/", 0) == 0) {
      return core::Integrity(
          "cannot open the custody log in " + layout_.LogDir() + ": " + s.message() +
          ". The newest files of the log are damaged or missing; nothing was read or written. "
          "`isnad repair-log` rebuilds the log's hash tiles from its entries when these prove "
          "the signed checkpoint, and otherwise names the damaged entry bundle and writes nothing");
    }
    return s.WithContext("cannot open the custody log in " + layout_.LogDir());
  }
  log_ = std::move(*log);
  if (log_->size() == 0) {
    return core::FailedPrecondition(
        "the archive at " + layout_.root +
        " was never finished: `isnad init` was interrupted before its first entry. Nothing was "
        "stored in it; remove the folder and run init again");
  }
  // A log put back to an older checkpoint would repair and look sound: say what it is.
  if (mode == Mode::kRepair) return CheckNotRolledBack();
  if (writer) {
    ISNAD_RETURN_IF_ERROR(CheckNotRolledBack());
    // A writer that stopped between signing a checkpoint and saving it in the
    // history left no checkpoints/<size>: save it now, before anything is
    // appended, so that every signed tree stays provable (consistency, export).
    const std::string current = layout_.CheckpointHistory(log_->size());
    if (!core::Exists(env, layout_.CheckpointsDir())) {
      if (mode == Mode::kWrite) {
        return core::Integrity(
            layout_.CheckpointsDir() +
            " is missing: the history of signed checkpoints is part of the evidence. Nothing was "
            "written. Restore the folder from a backup, then run `isnad verify`");
      }
    } else if (!core::Exists(env, current)) {
      Status hist = core::WriteFileAtomically(env, current, log_->checkpoint_note(), true);
      ISNAD_RETURN_IF_ERROR(hist.WithContext("saving the current checkpoint in the history"));
    }
  }
  ISNAD_ASSIGN_OR_RETURN(blobs_, store::BlobStore::Open(env, layout_.root, writer));
  if (mode == Mode::kRebuild) return Status::Ok();  // Reindex opens the catalogue itself
  if (writer) {
    ISNAD_ASSIGN_OR_RETURN(catalog_, OpenCatalog(layout_.CatalogDb(), false));
    return CatchUpCatalog();
  }
  if (mode == Mode::kAudit) {
    // Never writes, never locks: what is on disk is what is checked.
    auto cat = OpenCatalog(layout_.CatalogDb(), true);
    if (cat.ok()) {
      catalog_ = std::move(*cat);
    } else {
      catalog_problem_ = cat.status();
    }
    return Status::Ok();
  }
  // A reader takes the lock only when the catalogue lags behind the log (a
  // writer crashed between checkpoint and catalogue) and no writer is at work;
  // otherwise it answers from what is committed and never blocks a writer.
  bool lagging = !core::Exists(env, layout_.CatalogDb());
  if (!lagging) {
    ISNAD_ASSIGN_OR_RETURN(catalog_, OpenCatalog(layout_.CatalogDb(), true));
    auto applied = catalog_->AppliedSize();
    lagging = applied.ok() && *applied < log_->size();
  }
  if (lagging) {
    auto lock = env->LockFile(layout_.LockFile());
    if (lock.ok()) {
      catalog_.reset();
      auto writable = OpenCatalog(layout_.CatalogDb(), false);
      Status caught = writable.status();
      if (writable.ok()) {
        catalog_ = std::move(*writable);
        caught = CatchUpCatalog();
      }
      // A catalogue that cannot be brought up to date here (the archive on a read-only
      // mount or a full disk) still answers, up to the entry it holds, with a warning:
      // the evidence must stay readable. A catalogue that disagrees with the log does not.
      // Only for what the place refuses (no writing there, no space), and only for a
      // catalogue whose recorded root is the log's at the size it holds.
      const bool cannot_write = caught.code() == core::Code::kIoError ||
                                caught.code() == core::Code::kResourceExhausted ||
                                caught.code() == core::Code::kFailedPrecondition;
      if (!caught.ok() && cannot_write && core::Exists(env, layout_.CatalogDb())) {
        catalog_.reset();
        auto behind = OpenCatalog(layout_.CatalogDb(), true);
        auto applied = behind.ok() ? (*behind)->AppliedSize() : StatusOr<uint64_t>(caught);
        if (!applied.ok() || *applied > log_->size()) return caught;
        if (*applied > 0) {
          auto recorded = (*behind)->AppliedRoot();
          auto root = log_->RootAt(*applied);
          if (!recorded.ok() || !root.ok() || *recorded != *root) return caught;
        }
        catalog_ = std::move(*behind);
        catalog_lag_ = "the catalogue holds the first " + std::to_string(*applied) + " of the " +
                       std::to_string(log_->size()) +
                       " log entries and could not be brought up to date here (" +
                       caught.message() +
                       "), so what was recorded after that is not shown. The log and the "
                       "stored files are unaffected; run any command that writes where the "
                       "archive is writable (or `isnad reindex`) to catch it up";
      } else {
        ISNAD_RETURN_IF_ERROR(caught);
      }
    } else if (catalog_ == nullptr) {
      return lock.status();
    }
  }
  return Status::Ok();
}

std::string Archive::BundleBeyond(uint64_t size) const {
  core::Env* env = options_.env;
  if (core::Exists(env, core::JoinPath(layout_.LogDir(), "pending"))) return "";
  // Bundle n holds entries [n*256, n*256 + width): past `size` when that end is.
  for (uint64_t n = size / tlog::kTileWidth; n <= size / tlog::kTileWidth + 1; ++n) {
    const std::string full = tlog::EntryBundlePath(n, tlog::kTileWidth);
    if (core::Exists(env, core::JoinPath(layout_.LogDir(), full))) return full;
    auto widths = env->ListDir(core::JoinPath(layout_.LogDir(), full + ".p"));
    if (!widths.ok()) continue;
    for (const auto& w : *widths) {
      auto id = tlog::ParseTilePath(full + ".p/" + w);
      if (id.ok() && n * tlog::kTileWidth + id->width > size) return full + ".p/" + w;
    }
  }
  return "";
}

Status Archive::CheckNotRolledBack() const {
  // Every signed checkpoint is kept. One larger than the log means the log
  // was put back to an older state; appending now would sign a second,
  // different tree of a size the key has already signed.
  if (std::optional<uint64_t> newest = NewestKeptCheckpoint(options_.env, layout_);
      newest.has_value() && *newest > log_->size()) {
    const std::string name = std::to_string(*newest);
    return core::Integrity(
        "log/checkpoint is at " + std::to_string(log_->size()) + " entries, but checkpoints/" +
        name + " shows the log once had " + name +
        ": the log was rolled back. Nothing was written. Do not add to or reindex this archive; "
        "run `isnad verify`, and restore log/checkpoint from checkpoints/" +
        name + " or a backup");
  }
  // With checkpoints/ rolled back as well, the entry bundles still tell.
  if (std::string beyond = BundleBeyond(log_->size()); !beyond.empty()) {
    return core::Integrity("log/checkpoint is at " + std::to_string(log_->size()) +
                           " entries, but log/" + beyond +
                           " holds entries past them, written by a batch that committed: the log "
                           "was rolled back. Nothing was written. Do not add to or reindex this "
                           "archive; run `isnad verify`, and restore log/ from a backup");
  }
  return Status::Ok();
}

Status Archive::CatchUpCatalog() {
  ISNAD_ASSIGN_OR_RETURN(uint64_t applied, catalog_->AppliedSize());
  const uint64_t size = log_->size();
  if (applied > size) {
    return core::Integrity(
        "the catalogue has " + std::to_string(applied) + " entries but the log only " +
        std::to_string(size) +
        ": the log may have been rolled back. Run `isnad verify` before anything "
        "else; rebuild the catalogue (`isnad reindex`) only once the log is right");
  }
  if (applied > 0) {
    ISNAD_ASSIGN_OR_RETURN(core::Hash applied_root, catalog_->AppliedRoot());
    ISNAD_ASSIGN_OR_RETURN(core::Hash log_root, log_->RootAt(applied));
    if (applied_root != log_root) {
      return core::Integrity(
          "the catalogue records the log's root at " + std::to_string(applied) + " entries as " +
          applied_root.Hex() + ", but the log's hash tiles give " + log_root.Hex() +
          ": a hash tile under log/tile/ was damaged, or the catalogue comes from another log. "
          "Run `isnad verify`, which tells which (`isnad repair-log` rebuilds damaged hash "
          "tiles); rebuild the catalogue (`isnad reindex`) only once verify finds the log "
          "sound");
    }
  }
  return ApplyLog(*log_, applied, kApplyChunk, *catalog_);
}

namespace {

// The first `max_bytes` (or so) bytes of a blob.
StatusOr<std::string> ReadBlobPrefix(const store::BlobStore& blobs, const core::Hash& sha256,
                                     uint64_t max_bytes) {
  ISNAD_ASSIGN_OR_RETURN(auto file, blobs.Open(sha256));
  std::string bytes;
  std::string buf(64 * 1024, '\0');
  while (bytes.size() < max_bytes) {
    ISNAD_ASSIGN_OR_RETURN(size_t n, file->Read(buf.data(), buf.size()));
    if (n == 0) break;
    bytes.append(buf.data(), n);
  }
  return bytes;
}

}  // namespace

StatusOr<std::unique_ptr<catalog::Catalog>> Archive::OpenCatalog(const std::string& path,
                                                                 bool read_only) const {
  ISNAD_ASSIGN_OR_RETURN(auto cat, catalog::Catalog::Open(path, read_only));
  const store::BlobStore* blobs = blobs_.get();
  cat->SetTextSource([blobs](const core::Hash& sha256,
                             std::string_view media_type) -> StatusOr<std::string> {
    if (!media::HasText(media_type)) return std::string();
    ISNAD_ASSIGN_OR_RETURN(std::string bytes, ReadBlobPrefix(*blobs, sha256, media::kMaxTextBytes));
    return media::ExtractText(bytes, media_type);
  });
  cat->SetBlobSource(
      [blobs](const core::Hash& sha256, uint64_t max_bytes) -> StatusOr<std::string> {
        ISNAD_ASSIGN_OR_RETURN(std::string bytes, ReadBlobPrefix(*blobs, sha256, max_bytes));
        if (bytes.size() > max_bytes) bytes.resize(max_bytes);
        return bytes;
      });
  return cat;
}

StatusOr<uint64_t> Archive::Record(const std::vector<Json>& bodies) {
  if (!signer_) return core::FailedPrecondition("the archive was opened read-only");
  if (bodies.empty()) return core::InvalidArgument("nothing to record");
  catalog::Actor by{core::NowUtc(), OperatorName()};
  std::vector<std::string> entries;
  entries.reserve(bodies.size());
  for (size_t k = 0; k < bodies.size(); ++k) {
    const Json& body = bodies[k];
    StatusOr<std::string> entry = core::InvalidArgument("an entry body must be a JSON object");
    if (body.is_object() && body.value("type", "") == catalog::kNoteAdded) {
      // Notes keep their own rule: long text goes to a blob.
      std::string item = body.value("item", ""), text = body.value("text", "");
      if (text.empty()) return core::InvalidArgument("note " + std::to_string(k + 1) + " is empty");
      std::optional<core::Hash> blob;
      if (text.size() > kInlineNoteLimit) {
        ISNAD_ASSIGN_OR_RETURN(blob, StoreBytes(text));
      }
      entry = catalog::NoteAddedEntry(by, item, blob ? "" : text, blob);
    } else if (body.is_object()) {
      entry = catalog::GraphEntry(by, body);
    }
    if (!entry.ok()) {
      return bodies.size() == 1
                 ? entry.status()
                 : entry.status().WithContext("entry " + std::to_string(k + 1) + " of " +
                                              std::to_string(bodies.size()));
    }
    entries.push_back(std::move(entry).value());
  }
  // Every reference must hold before anything is written.
  ISNAD_RETURN_IF_ERROR(catalog_->Check(log_->size(), entries));
  return AppendAndApply(entries);
}

StatusOr<uint64_t> Archive::AppendAndApply(const std::vector<std::string>& entries) {
  if (!signer_) return core::FailedPrecondition("the archive was opened read-only");
  ISNAD_ASSIGN_OR_RETURN(uint64_t first, log_->Append(entries, *signer_));
  // History of signed checkpoints, synced: after a power cut a history file
  // must hold the whole note or not exist, never be empty.
  Status hist = core::WriteFileAtomically(options_.env, layout_.CheckpointHistory(log_->size()),
                                          log_->checkpoint_note(), /*sync=*/true);
  ISNAD_RETURN_IF_ERROR(
      hist.WithContext("the entries are committed, but saving the checkpoint history failed"));
  Status applied = catalog_->Apply(first, entries, log_->root());
  if (!applied.ok()) {
    return applied.WithContext(
        "the entries are committed to the log, but updating the catalogue failed (it is brought up "
        "to date the next time the archive is opened for writing)");
  }
  return first;
}

namespace {

// A file staged by a worker, or the reason it could not be.
struct StagedFile {
  size_t order = 0;
  std::string path;
  std::string link_target;  // FoundFile::link_target
  core::Status status;
  bool failed_on_archive = false;  // status is the archive's disk failing, not the file
  store::StagedBlob blob;
  std::string media_type;
};

}  // namespace

StatusOr<AddSummary> Archive::Add(const AddRequest& request, const AddCallbacks& callbacks) {
  if (!signer_) return core::FailedPrecondition("the archive was opened read-only");
  const uint64_t first_leaf = log_->size();
  AddSummary summary;
  auto skip = [&](const std::string& path, const Status& why) {
    summary.skipped++;
    if (callbacks.on_skipped) callbacks.on_skipped(path, why);
  };

  {
    // What every entry of this add repeats (--source, a short --note) must leave
    // room for a file's name and path; say so now, before any file is copied.
    catalog::Provenance probe;
    probe.name = "f";
    probe.path = "/f";
    probe.url = request.url;
    if (request.note.size() <= kInlineNoteLimit) probe.note = request.note;
    auto entry = catalog::ItemIngestedEntry({core::NowUtc(), OperatorName()}, core::Sha256Of(""), 0,
                                            "application/octet-stream", probe);
    if (!entry.ok()) {
      return core::InvalidArgument("--source and --note cannot be recorded (--source is " +
                                   std::to_string(request.url.size()) +
                                   " bytes): " + entry.status().message() +
                                   ". Nothing was added; put long text in --note");
    }
  }
  std::error_code ec;
  std::string archive_abs = std::filesystem::absolute(layout_.root, ec).lexically_normal().string();
  while (archive_abs.size() > 1 && archive_abs.back() == '/') archive_abs.pop_back();
  std::vector<FoundFile> files;
  WalkPaths(request.paths, WalkOptions{request.follow_symlinks, archive_abs}, &files, skip);

  // A long note is stored once as a blob and referenced from note.added entries.
  std::optional<core::Hash> note_blob;
  if (request.note.size() > kInlineNoteLimit) {
    ISNAD_ASSIGN_OR_RETURN(note_blob, StoreBytes(request.note));
  }

  // Workers stage files (hash + copy into tmp/); this thread commits them in
  // batches, so copying the next files overlaps with syncing the last batch.
  std::mutex mu;
  std::condition_variable ready;
  std::condition_variable room;
  std::deque<StagedFile> done;
  // Staged files not yet in a batch. Workers wait while this many are ahead of
  // the committing thread, so memory stays bounded however many files are added.
  size_t ahead = 0;
  const size_t max_ahead = std::max<size_t>(4096, 2 * request.batch_files);
  size_t next = 0;  // guarded by mu
  std::atomic<uint64_t> bytes_read{0};
  std::atomic<uint64_t> files_done{0};
  std::atomic<bool> stop{false};
  const size_t total = files.size();
  int jobs = std::max(1, std::min<int>(request.jobs, 64));
  // The committing thread is woken once per kWakeEvery staged files (and for
  // the last file, a large one or a failure); otherwise it looks every
  // kLookEvery. Waking it for each small file cost more than staging it.
  constexpr size_t kWakeEvery = 64;
  constexpr auto kLookEvery = std::chrono::milliseconds(20);
  auto worker = [&] {
    std::unique_lock<std::mutex> g(mu);
    while (true) {
      room.wait(g, [&] { return stop || ahead < max_ahead; });
      if (stop) return;
      const size_t i = next++;
      if (i >= total) return;
      ahead++;
      g.unlock();
      StagedFile out;
      out.order = i;
      out.path = files[i].path;
      out.link_target = files[i].link_target;
      auto staged = blobs_->Stage(
          files[i].ReadPath(),
          [&](uint64_t n) {
            uint64_t b = bytes_read += n;
            if (callbacks.on_progress) callbacks.on_progress(b, files_done, total);
          },
          &out.failed_on_archive);
      bool wake = !staged.ok();
      if (staged.ok()) {
        out.blob = std::move(*staged);
        out.media_type = media::SniffMediaType(out.blob.head);
        std::string().swap(out.blob.head);  // not needed past here; free it now
        wake = out.blob.size_bytes >= (uint64_t{1} << 20);
      } else {
        out.status = staged.status();
      }
      uint64_t d = ++files_done;
      if (callbacks.on_progress) callbacks.on_progress(bytes_read, d, total);
      g.lock();
      done.push_back(std::move(out));
      if (wake || d == total || done.size() >= kWakeEvery) ready.notify_one();
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < jobs && static_cast<size_t>(t) < total; ++t) threads.emplace_back(worker);

  Status failure;
  size_t received = 0;
  std::vector<StagedFile> batch;
  uint64_t batch_bytes = 0;
  std::map<core::Hash, std::string> batch_items;  // sha256 -> item id, new within this add
  // Web archives among the files, indexed once every file is added (webarchive.h).
  std::vector<AddedFile> web_archives;

  // Records a batch whose blobs are in place: its entries, then the callbacks.
  auto log_batch = [&](std::vector<StagedFile>& files,
                       const std::vector<store::CommittedBlob>& committed) -> Status {
    catalog::Actor by{core::NowUtc(), OperatorName()};
    std::vector<std::string> entries;
    std::vector<AddedFile> added;
    const uint64_t base = log_->size();
    std::vector<core::Hash> hashes;
    hashes.reserve(files.size());
    for (const StagedFile& f : files) hashes.push_back(f.blob.sha256);
    ISNAD_ASSIGN_OR_RETURN(std::vector<std::string> held, catalog_->FindItemIds(hashes));
    std::vector<catalog::Provenance> froms(files.size());
    // Held bytes added again from where they were added before (the same command run
    // twice): nothing new to record. A long note (a blob) or a path that is not UTF-8
    // (shown with U+FFFD) is not compared, and is recorded again.
    std::vector<std::pair<std::string, catalog::Provenance>> sightings;
    std::vector<size_t> sighted;  // the file of each sighting
    for (size_t k = 0; k < files.size(); ++k) {
      catalog::Provenance& from = froms[k];
      const std::string& path = files[k].path;
      from.name = core::BaseName(path);
      from.path = path;
      if (!core::IsValidUtf8(path)) {
        // Entries are UTF-8: keep the exact bytes aside, show a readable form.
        from.path_bytes = path;
        from.path = core::LossyUtf8(path);
        from.name = core::LossyUtf8(from.name);
      }
      from.link_target = core::LossyUtf8(files[k].link_target);
      from.url = request.url;
      if (!note_blob) from.note = request.note;
      if (!held[k].empty() && !note_blob && from.path_bytes.empty()) {
        sightings.emplace_back(held[k], from);
        sighted.push_back(k);
      }
    }
    std::vector<std::optional<uint64_t>> same(files.size());
    {
      ISNAD_ASSIGN_OR_RETURN(auto found, catalog_->FindSameSources(sightings, by.operator_));
      for (size_t s = 0; s < found.size(); ++s) same[sighted[s]] = found[s];
    }
    for (size_t k = 0; k < files.size(); ++k) {
      StagedFile& f = files[k];
      const catalog::Provenance& from = froms[k];
      AddedFile a;
      a.sha256 = f.blob.sha256;
      a.size_bytes = f.blob.size_bytes;
      a.name = from.name;
      a.path = from.path;
      a.link_target = from.link_target;
      a.media_type = f.media_type;
      a.replaced_damaged = committed[k].replaced_damaged;
      a.leaf_index = base + entries.size();
      // A file that replaced a damaged stored copy is always recorded: when, from
      // where and by whom the intact bytes came back.
      if (same[k] && committed[k].replaced_damaged.empty()) {
        a.id = held[k];
        a.leaf_index = *same[k];
        a.already_recorded = true;
        added.push_back(std::move(a));
        continue;
      }
      std::optional<std::string> known;
      if (auto it = batch_items.find(a.sha256); it != batch_items.end()) {
        known = it->second;
      } else if (!held[k].empty()) {
        known = held[k];
      }
      StatusOr<std::string> entry =
          known ? catalog::SourceAddedEntry(by, *known, a.sha256, from)
                : catalog::ItemIngestedEntry(by, a.sha256, a.size_bytes, f.media_type, from);
      if (!entry.ok()) {
        skip(f.path, entry.status());
        continue;
      }
      a.id = known ? *known : catalog::ItemId(a.leaf_index);
      a.new_item = !known;
      if (!known) batch_items[a.sha256] = a.id;
      entries.push_back(std::move(*entry));
      if (note_blob) {
        ISNAD_ASSIGN_OR_RETURN(std::string n, catalog::NoteAddedEntry(by, a.id, "", note_blob));
        entries.push_back(std::move(n));
      }
      added.push_back(std::move(a));
    }
    Status after_commit = Status::Ok();
    if (!entries.empty()) {
      auto appended = AppendAndApply(entries);
      if (!appended.ok() && log_->size() < base + entries.size()) {
        // Items that were new in this batch were not recorded; forget their ids.
        for (const auto& a : added) {
          if (a.new_item) batch_items.erase(a.sha256);
        }
        return appended.status();
      }
      // A step after the commit failed (the checkpoint history, the catalogue on a
      // full disk): the batch is recorded all the same, and each file is said to be.
      after_commit = appended.status();
    }
    for (const auto& a : added) {
      if (WebArchiveKindOf(a.name) != WebArchiveKind::kNone) web_archives.push_back(a);
      if (a.new_item) {
        summary.added++;
      } else if (a.already_recorded) {
        summary.already++;
      } else {
        summary.sources++;
      }
      if (!a.already_recorded) summary.bytes += a.size_bytes;
      if (callbacks.on_added) callbacks.on_added(a);
    }
    return after_commit;
  };

  // A batch's blobs are synced and moved into place on a thread of their own
  // (`moving`, `moved`) while this thread records the batch before it: the
  // two file-system syncs of consecutive batches overlap, and so does the
  // catalogue work. A batch is recorded only once its own blobs are in place,
  // and only one batch's blobs are moved at a time.
  std::vector<StagedFile> moving;
  std::future<StatusOr<std::vector<store::CommittedBlob>>> moved;
  auto staged_of = [](const std::vector<StagedFile>& files) {
    std::vector<store::StagedBlob> staged;
    staged.reserve(files.size());
    for (const auto& f : files) staged.push_back(f.blob);
    return staged;
  };
  // Waits for the batch being moved; on success takes it into `out`.
  auto wait_moved =
      [&](std::vector<StagedFile>* out) -> StatusOr<std::vector<store::CommittedBlob>> {
    auto committed = moved.get();
    if (!committed.ok()) return committed;  // `moving` stays, for the leftovers
    *out = std::move(moving);
    moving.clear();
    return committed;
  };
  // Records the batch being moved, once its blobs are in place.
  auto finish_moving = [&]() -> Status {
    if (!moved.valid()) return Status::Ok();
    std::vector<StagedFile> files;
    ISNAD_ASSIGN_OR_RETURN(auto committed, wait_moved(&files));
    return log_batch(files, committed);
  };
  auto commit_batch = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    std::vector<StagedFile> previous;
    std::vector<store::CommittedBlob> previous_committed;
    if (moved.valid()) {
      ISNAD_ASSIGN_OR_RETURN(previous_committed, wait_moved(&previous));
    }
    Status started;
    try {
      moved = std::async(std::launch::async,
                         [this, staged = staged_of(batch)] { return blobs_->Commit(staged); });
      moving = std::move(batch);
      batch.clear();
      batch_bytes = 0;
    } catch (const std::system_error& e) {
      // Not started: the batch stays, and its temp files go with the leftovers.
      started = core::ResourceExhausted(std::string("cannot start a thread to store a batch: ") +
                                        e.what() + "; the files before it are added; run again");
    }
    if (!previous.empty()) ISNAD_RETURN_IF_ERROR(log_batch(previous, previous_committed));
    return started;
  };

  // Files are committed in walk order whatever order the workers finish in,
  // so the log's order is the same for any -j (reproducible entry order).
  std::map<size_t, StagedFile> early;
  size_t next_order = 0;
  std::deque<StagedFile> arrived;
  while (received < total && failure.ok()) {
    {
      std::unique_lock<std::mutex> g(mu);
      auto have = [&] { return !done.empty(); };
      // When workers are slow (large files), commit what is waiting after a
      // short pause, so acknowledgements keep flowing without tiny batches.
      if ((!batch.empty() || moved.valid()) &&
          !ready.wait_for(g, std::chrono::milliseconds(200), have)) {
        g.unlock();
        failure = commit_batch();
        if (failure.ok()) failure = finish_moving();
        continue;
      }
      while (!have()) ready.wait_for(g, kLookEvery);
      arrived.swap(done);
    }
    for (StagedFile& f : arrived) {
      received++;
      early.emplace(f.order, std::move(f));
    }
    arrived.clear();
    size_t taken = 0;
    while (failure.ok() && !early.empty() && early.begin()->first == next_order) {
      StagedFile cur = std::move(early.begin()->second);
      early.erase(early.begin());
      next_order++;
      taken++;
      if (cur.status.code() == core::Code::kResourceExhausted || cur.failed_on_archive) {
        // A full, read-only or failing archive disk fails every file after this
        // one too: stop, keep what is committed (the batch whose blobs are
        // being moved is recorded first).
        failure = finish_moving();
        if (failure.ok()) failure = cur.status;
        break;
      }
      if (!cur.status.ok()) {
        skip(cur.path, cur.status);
        continue;
      }
      batch_bytes += cur.blob.size_bytes;
      batch.push_back(std::move(cur));
      if (batch.size() >= request.batch_files || batch_bytes >= request.batch_bytes) {
        failure = commit_batch();
      }
    }
    if (taken > 0) {
      std::lock_guard<std::mutex> g(mu);
      ahead -= taken;
      room.notify_all();
    }
  }
  if (failure.ok()) failure = commit_batch();
  if (failure.ok()) failure = finish_moving();
  if (moved.valid()) moved.wait();  // after a failure: its files are among the leftovers
  {
    std::lock_guard<std::mutex> g(mu);
    stop = true;
    room.notify_all();
  }
  for (auto& t : threads) t.join();
  if (!failure.ok()) {
    // Staged files not committed: their temp files go; nothing was acknowledged for them.
    std::vector<store::StagedBlob> leftovers;
    for (auto& f : batch) leftovers.push_back(f.blob);
    for (auto& f : moving) leftovers.push_back(f.blob);
    for (auto& f : done) {
      if (f.status.ok()) leftovers.push_back(f.blob);
    }
    for (auto& [order, f] : early) {
      if (f.status.ok()) leftovers.push_back(f.blob);
    }
    blobs_->Abort(leftovers);
    return failure;
  }
  Status indexed = WebArchiveIndexer::IndexAdded(this, web_archives, callbacks);
  ISNAD_RETURN_IF_ERROR(indexed.WithContext(
      "the files are added, but indexing the web archives among them stopped (add the same "
      "web archive files again to finish; the index resumes)"));
  if (request.analyze) {
    // What this add made (files, and the payloads of web archives among them).
    Status analysed = AnalyzeNew(first_leaf, request.analysis, callbacks.analysis).status();
    ISNAD_RETURN_IF_ERROR(analysed.WithContext(
        "the files are added, but analysing them failed (run `isnad analyze` to finish)"));
  }
  return summary;
}

StatusOr<uint64_t> Archive::AnalyzeNew(uint64_t first_leaf, const AnalyzeOptions& options,
                                       const AnalyzeCallbacks& callbacks) {
  ISNAD_ASSIGN_OR_RETURN(std::vector<catalog::ItemRecord> items,
                         catalog_->ItemsToAnalyze(AnalyzablePrefixes(), first_leaf));
  return Analyzer::Run(this, items, options, callbacks);
}

StatusOr<uint64_t> Archive::Analyze(const std::vector<std::string>& ids, bool again,
                                    const AnalyzeOptions& options,
                                    const AnalyzeCallbacks& callbacks) {
  std::vector<catalog::ItemRecord> items;
  if (ids.empty() && !again) {
    ISNAD_ASSIGN_OR_RETURN(items, catalog_->ItemsToAnalyze(AnalyzablePrefixes()));
  } else if (ids.empty()) {
    uint64_t offset = 0;
    while (true) {
      ISNAD_ASSIGN_OR_RETURN(std::vector<catalog::ItemRecord> page, catalog_->Items(offset, 10000));
      if (page.empty()) break;
      offset += page.size();
      for (auto& r : page)
        if (IsAnalyzable(r.media_type)) items.push_back(std::move(r));
    }
  } else {
    for (const std::string& id : ids) {
      ISNAD_ASSIGN_OR_RETURN(catalog::ItemRecord r, Resolve(id));
      if (!IsAnalyzable(r.media_type)) {
        return core::InvalidArgument(r.id + " is " + r.media_type +
                                     ": only images, videos, audio and PDFs are analysed");
      }
      if (!again) {
        ISNAD_ASSIGN_OR_RETURN(auto m, catalog_->Media(r.id));
        if (m.has_value()) continue;
      }
      items.push_back(std::move(r));
    }
  }
  return Analyzer::Run(this, items, options, callbacks);
}

StatusOr<core::Hash> Archive::StoreBytes(std::string_view text) {
  ISNAD_ASSIGN_OR_RETURN(store::StagedBlob staged, blobs_->StageBytes(text));
  ISNAD_ASSIGN_OR_RETURN(auto committed, blobs_->Commit({staged}));
  return committed.front().sha256;
}

StatusOr<uint64_t> Archive::AddNote(const std::string& item, const std::string& text) {
  if (!signer_) return core::FailedPrecondition("the archive was opened read-only");
  if (text.empty()) return core::InvalidArgument("the note is empty");
  ISNAD_ASSIGN_OR_RETURN(catalog::ItemRecord rec, catalog_->Resolve(item));
  catalog::Actor by{core::NowUtc(), OperatorName()};
  std::optional<core::Hash> blob;
  if (text.size() > kInlineNoteLimit) {
    ISNAD_ASSIGN_OR_RETURN(blob, StoreBytes(text));
  }
  ISNAD_ASSIGN_OR_RETURN(std::string entry,
                         catalog::NoteAddedEntry(by, rec.id, blob ? "" : text, blob));
  return AppendAndApply({entry});
}

StatusOr<catalog::ItemRecord> Archive::Resolve(const std::string& id_or_prefix) const {
  return catalog_->Resolve(id_or_prefix);
}

StatusOr<Proof> Archive::Prove(const std::string& id_or_prefix) const {
  ISNAD_ASSIGN_OR_RETURN(catalog::ItemRecord rec, catalog_->Resolve(id_or_prefix));
  return ProveEntry(rec.leaf_index);
}

StatusOr<Proof> Archive::ProveEntry(uint64_t leaf_index) const {
  Proof p;
  p.tree_size = log_->size();
  if (leaf_index >= p.tree_size) {
    return core::NotFound("no entry " + std::to_string(leaf_index) + "; the log has " +
                          std::to_string(p.tree_size) + " entries");
  }
  p.leaf_index = leaf_index;
  ISNAD_ASSIGN_OR_RETURN(p.entry, log_->Entry(leaf_index));
  ISNAD_ASSIGN_OR_RETURN(p.hashes, log_->InclusionProof(leaf_index, p.tree_size));
  p.checkpoint_note = log_->checkpoint_note();
  // Check before handing out: the proof must hold against the signed root.
  ISNAD_RETURN_IF_ERROR(tlog::VerifyInclusion(leaf_index, p.tree_size, tlog::LeafHash(p.entry),
                                              p.hashes, log_->root()));
  return p;
}

StatusOr<std::string> Archive::CheckpointAt(uint64_t size) const {
  if (size == log_->size()) return log_->checkpoint_note();
  auto text = core::ReadFileUpTo(options_.env, layout_.CheckpointHistory(size), kMaxSmallFileBytes);
  if (!text.ok()) {
    return core::NotFound("no signed checkpoint of size " + std::to_string(size) + " was kept in " +
                          layout_.CheckpointsDir());
  }
  // Handed to others as the archive's word at that size: only as signed, of
  // that size, and of the tree the log holds.
  const std::string rel = "checkpoints/" + std::to_string(size);
  auto opened = tlog::OpenNote(*text, {verifier_});
  if (!opened.ok()) {
    return core::Integrity(rel + ": the signature does not verify (" + opened.status().message() +
                           "); run `isnad verify`");
  }
  auto cp = tlog::Checkpoint::Parse(opened->text);
  if (!cp.ok() || cp->size != size) {
    return core::Integrity(rel + " is not the checkpoint of tree size " + std::to_string(size) +
                           " (the file was renamed or replaced); run `isnad verify`");
  }
  if (size <= log_->size()) {
    auto root = log_->RootAt(size);
    if (!root.ok()) return root.status().WithContext(rel);
    if (*root != cp->root) {
      return core::Integrity(rel + ": its root is not the log's at that size; run `isnad verify`");
    }
  }
  return text;
}

Status Archive::CheckAgainstLog(const catalog::ItemRecord& r) const {
  auto entry = log_->Entry(r.leaf_index);
  if (!entry.ok()) return entry.status().WithContext("reading the ingest entry of " + r.id);
  auto j = core::Json::parse(*entry, nullptr, /*allow_exceptions=*/false);
  const bool match = j.is_object() && j.value("type", "") == catalog::kItemIngested &&
                     j.value("sha256", "") == r.sha256.Hex();
  if (!match) {
    return core::Integrity("the catalogue gives " + r.id + " the sha256 " + r.sha256.Hex() +
                           ", but log entry " + std::to_string(r.leaf_index) +
                           " does not record that ingest: the catalogue or that log entry was "
                           "altered. Run `isnad verify`, which tells which (reindex only if it "
                           "finds the log sound)");
  }
  return Status::Ok();
}

bool Archive::HoldsSecretKey() const {
  return signer_.has_value() || core::Exists(options_.env, layout_.SignerKey());
}

StatusOr<std::string> Archive::SignNote(std::string_view text) const {
  if (signer_) return tlog::SignNote(text, {&*signer_});
  const std::string path = layout_.SignerKey();
  if (!core::Exists(options_.env, path)) {
    return core::NotFound("this archive holds no secret key (" + path +
                          "), so what it exports cannot be signed");
  }
  ISNAD_ASSIGN_OR_RETURN(tlog::NoteSigner signer, LoadSigner(options_.env, layout_, verifier_));
  return tlog::SignNote(text, {&signer});
}

Status Archive::RepairLog(bool dry_run, std::vector<tlog::RepairedFile>* repaired,
                          const ProgressFn& progress) {
  if (!lock_ || catalog_ || blobs_) {
    return core::FailedPrecondition("repairing the log needs the archive opened for repair");
  }
  Status s = log_->RepairTiles(dry_run, repaired, [&](uint64_t done, uint64_t total) {
    if (progress) progress({"checking the log against its entries", "entries", done, total});
  });
  for (auto& r : *repaired) r.file = "log/" + r.file;
  ISNAD_RETURN_IF_ERROR(s.WithContext("repairing the custody log in " + layout_.LogDir()));
  if (dry_run || repaired->empty()) return Status::Ok();
  auto reopened = tlog::Log::Open(options_.env, layout_.LogDir(), verifier_);
  if (!reopened.ok()) {
    return reopened.status().WithContext(
        "the hash tiles were rebuilt, but the log still does not open; run `isnad verify`");
  }
  log_ = std::move(*reopened);
  return Status::Ok();
}

Status Archive::Reindex(const ProgressFn& progress) {
  if (!lock_) return core::FailedPrecondition("reindex needs the archive opened for rebuilding");
  // Open(kRebuild) opens no catalogue, so a damaged one can still be replaced.
  catalog_.reset();
  // The new catalogue is built in a temporary file without a journal and
  // renamed into place once complete: a crash leaves the old file (or none),
  // and a stale temporary file that the next reindex removes.
  const std::string path = layout_.CatalogDb();
  const std::string building = path + ".rebuild";
  ISNAD_RETURN_IF_ERROR(RemoveRebuildFiles(options_.env, path));
  Status built = [&]() -> Status {
    ISNAD_ASSIGN_OR_RETURN(std::unique_ptr<catalog::Catalog> cat, OpenCatalog(building, false));
    ISNAD_RETURN_IF_ERROR(cat->BeginBulkLoad());
    ISNAD_RETURN_IF_ERROR(ApplyLog(*log_, 0, kRebuildChunk, *cat, progress));
    if (progress) progress({"merging the search index", "", 0, 0});
    return cat->EndBulkLoad();  // fsyncs the file
  }();
  if (!built.ok()) {
    // A disk that filled up gets the partial catalogue's space back at once.
    const bool removed = RemoveRebuildFiles(options_.env, path).ok();
    return built.WithContext(removed ? "reindex stopped; the catalogue it was building was removed"
                                     : "reindex stopped; the next command that writes removes "
                                       "the catalogue it was building (" +
                                           building + ")");
  }
  for (const char* suffix : {"-wal", "-shm"}) {
    std::string p = path + suffix;
    if (core::Exists(options_.env, p)) ISNAD_RETURN_IF_ERROR(options_.env->RemoveFile(p));
  }
  ISNAD_RETURN_IF_ERROR(options_.env->Rename(building, path));
  ISNAD_ASSIGN_OR_RETURN(catalog_, OpenCatalog(path, false));
  return CatchUpCatalog();
}

}  // namespace isnad::archive
