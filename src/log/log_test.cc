// Log tests: round trips on disk, proofs against the checkpoint, crashes at
// every write, sync and rename of an append, a full disk, and corruption of
// every kind of file, which Open or Verify must report naming the file.
#include "log/log.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <array>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "core/env.h"
#include "core/testing/fault_env.h"
#include "core/testing/temp_dir.h"
#include "log/merkle.h"
#include "log/tiles.h"

namespace isnad::tlog {
namespace {

namespace fs = std::filesystem;
using core::Code;
using core::Hash;
using core::testing::FaultInjectionEnv;
using core::testing::ReadTestFile;
using core::testing::TempDir;
using core::testing::WriteTestFile;

struct Keys {
  NoteSigner signer;
  NoteVerifier verifier;
};

const Keys& TestKeys() {
  static const Keys* keys = [] {
    auto signer = NoteSigner::FromSkey(*NoteSigner::GenerateSkey("example.com/custody-log"));
    auto verifier = NoteVerifier::FromVkey(signer->vkey());
    return new Keys{*signer, *verifier};
  }();
  return *keys;
}

// Entry i: canonical JSON of varying length, like the custody events.
std::string MakeEntry(uint64_t i) {
  return "{\"actor\":\"examiner-" + std::to_string(i % 7) +
         "\",\"event\":\"ingest\",\"seq\":" + std::to_string(i) + ",\"note\":\"" +
         std::string(i % 61, 'n') + "\"}";
}

std::vector<std::string> MakeEntries(uint64_t begin, uint64_t end) {
  std::vector<std::string> out;
  for (uint64_t i = begin; i < end; ++i) out.push_back(MakeEntry(i));
  return out;
}

core::Env* Default() { return core::Env::Default(); }

std::unique_ptr<Log> MustCreate(core::Env* env, const std::string& dir) {
  auto log = Log::Create(env, dir, TestKeys().signer);
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  return log.ok() ? std::move(*log) : nullptr;
}

std::unique_ptr<Log> MustOpen(core::Env* env, const std::string& dir) {
  auto log = Log::Open(env, dir, TestKeys().verifier);
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  return log.ok() ? std::move(*log) : nullptr;
}

void MustAppend(Log& log, uint64_t begin, uint64_t end) {
  auto first = log.Append(MakeEntries(begin, end), TestKeys().signer);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(*first, begin);
  ASSERT_EQ(log.size(), end);
}

// Every file under `dir` with its bytes.
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) {
      out[fs::relative(e.path(), dir).string()] = ReadTestFile(e.path().string());
    }
  }
  return out;
}

// Checks that `log` holds exactly entries [0, n) and proves them against the
// root in its signed checkpoint.
void ExpectHolds(const Log& log, uint64_t n, std::mt19937_64& rng) {
  ASSERT_EQ(log.size(), n);
  auto opened = OpenNote(log.checkpoint_note(), {TestKeys().verifier});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto cp = Checkpoint::Parse(opened->text);
  ASSERT_TRUE(cp.ok());
  ASSERT_EQ(cp->size, n);
  ASSERT_EQ(cp->root, log.root());
  uint64_t seen = 0;
  core::Status s = log.ForEachEntry(0, n, [&](uint64_t i, std::string_view e) {
    EXPECT_EQ(i, seen);
    EXPECT_EQ(e, MakeEntry(i));
    ++seen;
    return core::Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(seen, n);
  if (n == 0) return;
  for (int t = 0; t < 8; ++t) {
    uint64_t i = t == 0 ? n - 1 : rng() % n;
    auto e = log.Entry(i);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    EXPECT_EQ(*e, MakeEntry(i));
    auto proof = log.InclusionProof(i, n);
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    ASSERT_TRUE(VerifyInclusion(i, n, LeafHash(MakeEntry(i)), *proof, cp->root).ok()) << i;
    uint64_t m = 1 + rng() % n;
    auto root_m = log.RootAt(m);
    ASSERT_TRUE(root_m.ok());
    auto cons = log.ConsistencyProof(m, n);
    ASSERT_TRUE(cons.ok()) << cons.status().ToString();
    ASSERT_TRUE(VerifyConsistency(m, n, *cons, *root_m, cp->root).ok());
  }
}

std::vector<LogProblem> VerifyProblems(const Log& log) {
  std::vector<LogProblem> problems;
  core::Status s = log.Verify(TestKeys().verifier, &problems);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return problems;
}

std::string Describe(const std::vector<LogProblem>& problems) {
  std::string out;
  for (const auto& p : problems) out += "\n  " + p.file + ": " + p.what;
  return out;
}

bool HasProblem(const std::vector<LogProblem>& problems, const std::string& file,
                const std::string& what = "") {
  for (const auto& p : problems) {
    if (p.file == file && p.what.find(what) != std::string::npos) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------

TEST(Log, RoundTripAcrossManyBatches) {
  TempDir tmp;
  std::string dir = tmp.Join("log");
  auto log = MustCreate(Default(), dir);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->size(), 0u);
  EXPECT_EQ(log->root(), EmptyRoot());
  std::mt19937_64 rng(42);
  uint64_t n = 0;
  for (int batch = 0; batch < 60; ++batch) {
    uint64_t k = batch % 9 == 8 ? 256 + rng() % 600 : 1 + rng() % 120;
    MustAppend(*log, n, n + k);
    n += k;
    if (batch % 6 == 5) {
      auto reopened = MustOpen(Default(), dir);
      ASSERT_NE(reopened, nullptr);
      EXPECT_EQ(reopened->root(), log->root());
      EXPECT_EQ(reopened->checkpoint_note(), log->checkpoint_note());
      ExpectHolds(*reopened, n, rng);
      // Appends continue on a reopened log as on the original.
      MustAppend(*reopened, n, n + 3);
      n += 3;
      log = std::move(reopened);
    }
  }
  ExpectHolds(*log, n, rng);
  auto problems = VerifyProblems(*log);
  EXPECT_TRUE(problems.empty()) << Describe(problems);
  EXPECT_EQ(log->checkpoint().origin, "example.com/custody-log");
}

TEST(Log, CreateAndOpenEdgeCases) {
  TempDir tmp;
  std::string dir = tmp.Join("a/b/log");
  ASSERT_NE(MustCreate(Default(), dir), nullptr);
  auto again = Log::Create(Default(), dir, TestKeys().signer);
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
  auto empty = MustOpen(Default(), dir);
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->size(), 0u);
  EXPECT_TRUE(VerifyProblems(*empty).empty());
  EXPECT_EQ(empty->Entry(0).status().code(), Code::kNotFound);
  EXPECT_EQ(empty->InclusionProof(0, 1).status().code(), Code::kInvalidArgument);

  auto missing = Log::Open(Default(), tmp.Join("nothing"), TestKeys().verifier);
  EXPECT_EQ(missing.status().code(), Code::kIntegrity);
  EXPECT_NE(missing.status().message().find("checkpoint"), std::string::npos);

  // A checkpoint signed by another key, or checked with another key.
  auto other = NoteSigner::FromSkey(*NoteSigner::GenerateSkey("example.com/custody-log"));
  auto other_verifier = NoteVerifier::FromVkey(other->vkey());
  auto wrong = Log::Open(Default(), dir, *other_verifier);
  EXPECT_EQ(wrong.status().code(), Code::kIntegrity);
  EXPECT_NE(wrong.status().message().find("checkpoint"), std::string::npos);
  // Appending with a signer that is not the log's key is refused, nothing written.
  auto before = Snapshot(dir);
  EXPECT_EQ(empty->Append({"x"}, *other).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(Snapshot(dir), before);
}

TEST(Log, RejectsOversizeEntriesAndEmptyBatchesWritingNothing) {
  TempDir tmp;
  std::string dir = tmp.Join("log");
  auto log = MustCreate(Default(), dir);
  MustAppend(*log, 0, 10);
  auto before = Snapshot(dir);
  std::vector<std::string> batch = {"fine", std::string(kMaxEntrySize + 1, 'x')};
  auto r = log->Append(batch, TestKeys().signer);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("65535"), std::string::npos) << r.status().message();
  EXPECT_EQ(log->Append({}, TestKeys().signer).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Snapshot(dir), before);
  EXPECT_EQ(log->size(), 10u);
  // The largest entry that fits is fine, and round trips.
  std::string big(kMaxEntrySize, '\x7f');
  ASSERT_TRUE(log->Append({big}, TestKeys().signer).ok());
  auto back = MustOpen(Default(), dir)->Entry(10);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, big);
}

TEST(Log, EveryProofFromDiskVerifiesAgainstTheCheckpoint) {
  TempDir tmp;
  std::string dir = tmp.Join("log");
  auto log = MustCreate(Default(), dir);
  std::vector<std::pair<uint64_t, Hash>> checkpoints;
  uint64_t n = 0;
  for (uint64_t k : {1, 2, 5, 100, 148, 256, 1, 300}) {
    MustAppend(*log, n, n + k);
    n += k;
    checkpoints.emplace_back(n, log->root());
  }
  auto fresh = MustOpen(Default(), dir);
  for (uint64_t i = 0; i < n; ++i) {
    auto proof = fresh->InclusionProof(i, n);
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    ASSERT_TRUE(VerifyInclusion(i, n, LeafHash(MakeEntry(i)), *proof, fresh->root()).ok()) << i;
  }
  // Every earlier checkpoint is a prefix of every later one.
  for (const auto& [s1, r1] : checkpoints) {
    for (const auto& [s2, r2] : checkpoints) {
      if (s1 > s2) continue;
      EXPECT_EQ(*fresh->RootAt(s1), r1);
      auto proof = fresh->ConsistencyProof(s1, s2);
      ASSERT_TRUE(proof.ok());
      EXPECT_TRUE(VerifyConsistency(s1, s2, *proof, r1, r2).ok()) << s1 << " -> " << s2;
      // Proofs for leaves of an older tree verify against that tree's root.
      uint64_t i = s1 / 2;
      auto inc = fresh->InclusionProof(i, s1);
      ASSERT_TRUE(inc.ok());
      EXPECT_TRUE(VerifyInclusion(i, s1, LeafHash(MakeEntry(i)), *inc, r1).ok());
    }
  }
  EXPECT_EQ(fresh->InclusionProof(n, n).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(fresh->InclusionProof(0, n + 1).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(fresh->ConsistencyProof(0, n).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(fresh->RootAt(n + 1).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(fresh->ForEachEntry(5, n + 1, nullptr).code(), Code::kInvalidArgument);
}

TEST(Log, ConcurrentReaders) {
  TempDir tmp;
  std::string dir = tmp.Join("log");
  auto log = MustCreate(Default(), dir);
  MustAppend(*log, 0, 3000);
  auto fresh = MustOpen(Default(), dir);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      for (int k = 0; k < 300; ++k) {
        uint64_t i = rng() % 3000;
        auto proof = fresh->InclusionProof(i, 3000);
        auto e = fresh->Entry(i);
        if (!proof.ok() || !e.ok() || *e != MakeEntry(i) ||
            !VerifyInclusion(i, 3000, LeafHash(*e), *proof, fresh->root()).ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

// Full tiles inside a checkpoint are immutable: later appends, failed or
// not, never replace them (a replaced file would have a new inode).
TEST(Log, FullTilesAreNeverRewritten) {
  TempDir tmp;
  std::string dir = tmp.Join("log");
  auto log = MustCreate(Default(), dir);
  MustAppend(*log, 0, 600);
  const std::vector<std::string> full = {"tile/0/000", "tile/0/001", "tile/entries/000",
                                         "tile/entries/001"};
  std::map<std::string, uint64_t> inodes;
  for (const auto& rel : full) inodes[rel] = Default()->Stat(dir + "/" + rel)->inode;
  FaultInjectionEnv env(Default());
  auto faulty = MustOpen(&env, dir);
  uint64_t n = 600;
  for (int i = 0; i < 20; ++i) {
    env.fail_rename_at = i % 3 == 0 ? env.renames + 2 : 0;
    auto r = faulty->Append(MakeEntries(n, n + 17), TestKeys().signer);
    if (r.ok()) n += 17;
  }
  EXPECT_GT(n, 600u);
  for (const auto& rel : full) EXPECT_EQ(Default()->Stat(dir + "/" + rel)->inode, inodes[rel]);
  std::mt19937_64 rng(8);
  ExpectHolds(*MustOpen(Default(), dir), n, rng);
}

// ---------------------------------------------------------------------------
// Crashes: fail the Nth write, sync or rename of an append, for every N until
// the append gets through. Each time the log must stay at its checkpoint, on
// disk and in memory, and the next append must work.

enum class Fault { kWrite, kSync, kRename };

class CrashTest : public ::testing::TestWithParam<std::tuple<Fault, bool>> {};

TEST_P(CrashTest, AppendFailsCleanlyAtEveryStep) {
  const auto [fault, sticky] = GetParam();
  std::mt19937_64 rng(3);
  const uint64_t base = 300;
  const uint64_t grow = 600;  // crosses two level-0 tiles and touches level 1
  int failed_appends = 0;
  for (int64_t n = 1; n < 40; ++n) {
    SCOPED_TRACE("failing operation " + std::to_string(n));
    TempDir tmp;
    std::string dir = tmp.Join("log");
    {
      auto log = MustCreate(Default(), dir);
      MustAppend(*log, 0, base);
    }
    FaultInjectionEnv env(Default());
    auto log = MustOpen(&env, dir);
    ASSERT_NE(log, nullptr);
    Hash root = log->root();
    env.sticky = sticky;
    (fault == Fault::kWrite  ? env.fail_write_at
     : fault == Fault::kSync ? env.fail_sync_at
                             : env.fail_rename_at) = n;
    auto r = log->Append(MakeEntries(base, base + grow), TestKeys().signer);
    env.fail_write_at = 0;
    env.fail_sync_at = 0;
    env.fail_rename_at = 0;
    env.sticky = false;
    if (r.ok()) {
      // Past the last operation of the append: it went through.
      ASSERT_EQ(log->size(), base + grow);
      break;
    }
    ++failed_appends;
    EXPECT_NE(r.status().code(), Code::kOk);
    if (log->size() == base + grow) {
      // Only the fsync of the folder after the checkpoint's rename failed: the
      // new checkpoint may have been seen, so it is kept, never taken back,
      // and the error says the batch is committed.
      EXPECT_NE(r.status().message().find("committed"), std::string::npos) << r.status().ToString();
      auto reopened = MustOpen(Default(), dir);
      ASSERT_NE(reopened, nullptr);
      EXPECT_EQ(reopened->size(), base + grow);
      ExpectHolds(*reopened, base + grow, rng);
      continue;
    }
    EXPECT_EQ(log->size(), base);
    EXPECT_EQ(log->root(), root);
    if (!sticky) {
      // On disk: still the previous checkpoint, every entry readable and provable.
      auto reopened = MustOpen(Default(), dir);
      ASSERT_NE(reopened, nullptr);
      EXPECT_EQ(reopened->root(), root);
      ExpectHolds(*reopened, base, rng);
    }
    // The next append on the same object works, rewriting what the failed one left.
    MustAppend(*log, base, base + grow + 7);
    auto reopened = MustOpen(Default(), dir);
    ASSERT_NE(reopened, nullptr);
    ExpectHolds(*reopened, base + grow + 7, rng);
    auto problems = VerifyProblems(*reopened);
    EXPECT_TRUE(problems.empty()) << Describe(problems);
  }
  // Writes and renames: 7 tiles and bundles plus the checkpoint; syncs: the
  // batch's SyncFilesystem, the checkpoint's fsync and its folder's.
  EXPECT_GE(failed_appends, fault == Fault::kSync ? 3 : 8);
}

std::string CrashName(const ::testing::TestParamInfo<CrashTest::ParamType>& info) {
  static const char* const kNames[] = {"Write", "Sync", "Rename"};
  return std::string(kNames[static_cast<int>(std::get<0>(info.param))]) +
         (std::get<1>(info.param) ? "Sticky" : "Once");
}

INSTANTIATE_TEST_SUITE_P(Log, CrashTest,
                         ::testing::Combine(::testing::Values(Fault::kWrite, Fault::kSync,
                                                              Fault::kRename),
                                            ::testing::Bool()),
                         CrashName);

TEST(Log, FullDiskIsResourceExhausted) {
  TempDir tmp;
  std::string dir = tmp.Join("log");
  FaultInjectionEnv env(Default());
  auto log = MustCreate(&env, dir);
  MustAppend(*log, 0, 100);
  for (int64_t left : {0, 100, 5000, 20000}) {
    env.disk_bytes_left = left;
    auto r = log->Append(MakeEntries(100, 700), TestKeys().signer);
    EXPECT_EQ(r.status().code(), Code::kResourceExhausted) << left << r.status().ToString();
    EXPECT_EQ(log->size(), 100u);
  }
  env.disk_bytes_left = -1;
  std::mt19937_64 rng(1);
  ExpectHolds(*MustOpen(Default(), dir), 100, rng);
  MustAppend(*log, 100, 700);
  ExpectHolds(*MustOpen(Default(), dir), 700, rng);
}

// A batch that wrote its tiles but never committed must not leave a partial
// tile that a later, larger commit would show as a "superseded" non-prefix.
TEST(Log, AnUncommittedBatchLeavesNoStaleTileBehind) {
  TempDir tmp;
  std::string dir = tmp.Join("log");
  auto log = MustCreate(Default(), dir);
  MustAppend(*log, 0, 5);
  {
    FaultInjectionEnv env(Default());
    auto faulty = MustOpen(&env, dir);
    env.fail_rename_at = 4;  // pending record, bundle, tile, then the checkpoint
    ASSERT_FALSE(faulty->Append(MakeEntries(5, 8), TestKeys().signer).ok());
  }
  ASSERT_TRUE(fs::exists(dir + "/tile/0/000.p/8"));
  auto reopened = MustOpen(Default(), dir);
  // Different entries at 5..14 this time.
  ASSERT_TRUE(reopened->Append(MakeEntries(105, 115), TestKeys().signer).ok());
  EXPECT_FALSE(fs::exists(dir + "/tile/0/000.p/8"));
  EXPECT_FALSE(fs::exists(dir + "/tile/entries/000.p/8"));
  auto problems = VerifyProblems(*reopened);
  EXPECT_TRUE(problems.empty()) << Describe(problems);
}

// The pending record only ever names tiles past the checkpoint. One that names
// committed tiles (damaged, or planted in an archive received from elsewhere)
// must not make the next append delete evidence.
TEST(Log, APendingRecordNeverRemovesCommittedTiles) {
  TempDir tmp;
  std::string dir = tmp.Join("log");
  auto log = MustCreate(Default(), dir);
  MustAppend(*log, 0, 200);
  MustAppend(*log, 200, 300);
  WriteTestFile(dir + "/pending",
                "size 1000\ntile/0/000\ntile/entries/000\ntile/0/000.p/200\n"
                "tile/entries/001.p/44\ntile/1/000.p/1\ntile/0/001.p/45\n");
  WriteTestFile(dir + "/tile/0/001.p/45", "left by the batch that did not commit");
  auto reopened = MustOpen(Default(), dir);
  ASSERT_TRUE(reopened->Append(MakeEntries(300, 301), TestKeys().signer).ok());
  for (const char* kept : {"tile/0/000", "tile/entries/000", "tile/0/000.p/200",
                           "tile/entries/001.p/44", "tile/1/000.p/1"}) {
    EXPECT_TRUE(fs::exists(dir + "/" + kept)) << kept;
  }
  std::mt19937_64 rng(5);
  ExpectHolds(*MustOpen(Default(), dir), 301, rng);
  auto problems = VerifyProblems(*reopened);
  EXPECT_TRUE(problems.empty()) << Describe(problems);
}

// After a crash past the tiles but before the checkpoint, the tiles on disk
// are wider than the checkpoint. A reader missing the narrower partial may use
// the wider one's prefix.
TEST(Log, OpenUsesAWiderPartialWhenTheNarrowerIsMissing) {
  TempDir tmp;
  std::string dir = tmp.Join("log");
  {
    auto log = MustCreate(Default(), dir);
    MustAppend(*log, 0, 100);
    FaultInjectionEnv env(Default());
    auto faulty = MustOpen(&env, dir);
    // Renames: the pending record, the bundle, the tile, then the checkpoint: that one fails.
    env.fail_rename_at = 4;
    env.sticky = true;
    ASSERT_FALSE(faulty->Append(MakeEntries(100, 150), TestKeys().signer).ok());
  }
  ASSERT_TRUE(fs::exists(dir + "/tile/0/000.p/150"));
  fs::remove(dir + "/tile/0/000.p/100");
  fs::remove(dir + "/tile/entries/000.p/100");
  auto log = MustOpen(Default(), dir);
  ASSERT_NE(log, nullptr);
  std::mt19937_64 rng(2);
  ExpectHolds(*log, 100, rng);
  // Verify still says the checkpoint's own partials are gone.
  auto problems = VerifyProblems(*log);
  EXPECT_TRUE(HasProblem(problems, "tile/0/000.p/100", "missing")) << Describe(problems);
  EXPECT_TRUE(HasProblem(problems, "tile/entries/000.p/100", "missing")) << Describe(problems);
  // And the next append writes them wider again, correctly.
  MustAppend(*log, 100, 160);
  ExpectHolds(*MustOpen(Default(), dir), 160, rng);
}

// ---------------------------------------------------------------------------
// Corruption. The fixture log has 700 entries appended as 100 + 200 + 400, so
// it has full tiles, partial ones at two levels, and superseded partials:
//   tile/entries/000 001 002.p/188 000.p/100 001.p/44
//   tile/0/000 001 002.p/188 000.p/100 001.p/44   tile/1/000.p/2 000.p/1

class CorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.Join("log");
    auto log = MustCreate(Default(), dir_);
    MustAppend(*log, 0, 100);
    MustAppend(*log, 100, 300);
    MustAppend(*log, 300, 700);
    open_ = MustOpen(Default(), dir_);
    ASSERT_TRUE(VerifyProblems(*open_).empty());
  }

  std::string File(const std::string& rel) const { return dir_ + "/" + rel; }
  void FlipByte(const std::string& rel, size_t offset) {
    std::string data = ReadTestFile(File(rel));
    ASSERT_LT(offset, data.size()) << rel;
    data[offset] = static_cast<char>(data[offset] ^ 0x20);
    WriteTestFile(File(rel), data);
  }
  void Truncate(const std::string& rel, size_t size) {
    WriteTestFile(File(rel), ReadTestFile(File(rel)).substr(0, size));
  }

  // Open must fail with kIntegrity naming `rel`, or Verify (on the log opened
  // before the damage and on a fresh one) must report a problem with `rel`.
  void ExpectReported(const std::string& rel, const std::string& what) {
    auto fresh = Log::Open(Default(), dir_, TestKeys().verifier);
    if (!fresh.ok()) {
      EXPECT_EQ(fresh.status().code(), Code::kIntegrity) << fresh.status().ToString();
      EXPECT_NE(fresh.status().message().find(rel), std::string::npos) << fresh.status().ToString();
    } else {
      auto problems = VerifyProblems(**fresh);
      EXPECT_TRUE(HasProblem(problems, rel, what)) << rel << Describe(problems);
    }
    auto problems = VerifyProblems(*open_);
    EXPECT_TRUE(HasProblem(problems, rel, what)) << rel << Describe(problems);
  }

  TempDir tmp_;
  std::string dir_;
  std::unique_ptr<Log> open_;
};

TEST_F(CorruptionTest, ChangedEntryIsBlamedOnTheBundle) {
  FlipByte("tile/entries/000", 5);  // inside entry 0's text
  auto problems = VerifyProblems(*open_);
  EXPECT_TRUE(HasProblem(problems, "tile/entries/000", "entry 0 does not match"))
      << Describe(problems);
  EXPECT_EQ(problems.size(), 1u) << Describe(problems);
}

TEST_F(CorruptionTest, ChangedEntryAtTheRightEdge) {
  FlipByte("tile/entries/002.p/188", 7);
  auto fresh = Log::Open(Default(), dir_, TestKeys().verifier);
  EXPECT_EQ(fresh.status().code(), Code::kIntegrity);
  EXPECT_NE(fresh.status().message().find("tile/entries/002.p/188"), std::string::npos)
      << fresh.status().ToString();
  auto problems = VerifyProblems(*open_);
  EXPECT_TRUE(HasProblem(problems, "tile/entries/002.p/188", "entry 512 does not match"))
      << Describe(problems);
  EXPECT_EQ(problems.size(), 1u) << Describe(problems);
}

TEST_F(CorruptionTest, BrokenLengthPrefix) {
  FlipByte("tile/entries/001", 0);
  ExpectReported("tile/entries/001", "");
  auto r =
      open_->ForEachEntry(250, 260, [](uint64_t, std::string_view) { return core::Status::Ok(); });
  EXPECT_EQ(r.code(), Code::kIntegrity);
  EXPECT_NE(r.message().find("tile/entries/001"), std::string::npos) << r.ToString();
}

TEST_F(CorruptionTest, TruncatedBundle) {
  Truncate("tile/entries/001", 1000);
  ExpectReported("tile/entries/001", "entry bundle truncated");
  EXPECT_EQ(open_->Entry(300).status().code(), Code::kIntegrity);
}

TEST_F(CorruptionTest, ChangedFullHashTile) {
  FlipByte("tile/0/001", 32 * 10 + 3);
  auto problems = VerifyProblems(*open_);
  EXPECT_TRUE(HasProblem(problems, "tile/0/001",
                         "hash tile differs from the hashes recomputed from the entries"))
      << Describe(problems);
  EXPECT_EQ(problems.size(), 1u) << Describe(problems);
  // A proof through it is wrong, and the verifier catches that.
  auto proof = MustOpen(Default(), dir_)->InclusionProof(300, 700);
  ASSERT_TRUE(proof.ok());
  EXPECT_FALSE(VerifyInclusion(300, 700, LeafHash(MakeEntry(300)), *proof, open_->root()).ok());
}

TEST_F(CorruptionTest, ChangedEdgeHashTiles) {
  FlipByte("tile/0/002.p/188", 40);
  ExpectReported("tile/0/002.p/188", "differs");
}

TEST_F(CorruptionTest, ChangedLevelOneTile) {
  FlipByte("tile/1/000.p/2", 1);
  ExpectReported("tile/1/000.p/2", "differs");
}

TEST_F(CorruptionTest, ChangedSupersededPartials) {
  FlipByte("tile/0/000.p/100", 64);
  FlipByte("tile/entries/001.p/44", 9);
  auto problems = VerifyProblems(*open_);
  EXPECT_TRUE(HasProblem(problems, "tile/0/000.p/100", "not a prefix")) << Describe(problems);
  EXPECT_TRUE(HasProblem(problems, "tile/entries/001.p/44", "not a prefix")) << Describe(problems);
  EXPECT_EQ(problems.size(), 2u) << Describe(problems);
}

TEST_F(CorruptionTest, CheckpointByteFlipped) {
  // A letter of the root line: flipping its case keeps the base64 valid.
  std::string note = ReadTestFile(File("checkpoint"));
  size_t root_line = note.find('\n', note.find('\n') + 1) + 1;
  size_t pos = root_line;
  while (!std::isalpha(static_cast<unsigned char>(note[pos]))) ++pos;
  FlipByte("checkpoint", pos);
  ExpectReported("checkpoint", "signature does not verify");
}

TEST_F(CorruptionTest, CheckpointSignatureFlipped) {
  std::string note = ReadTestFile(File("checkpoint"));
  FlipByte("checkpoint", note.size() - 10);
  ExpectReported("checkpoint", "");
}

TEST_F(CorruptionTest, CheckpointTruncated) {
  std::string note = ReadTestFile(File("checkpoint"));
  Truncate("checkpoint", note.size() / 2);
  ExpectReported("checkpoint", "");
  Truncate("checkpoint", 0);
  ExpectReported("checkpoint", "");
}

TEST_F(CorruptionTest, CheckpointMissing) {
  fs::remove(File("checkpoint"));
  ExpectReported("checkpoint", "missing");
}

TEST_F(CorruptionTest, FullTileMissingOrTruncated) {
  fs::remove(File("tile/0/000"));
  ExpectReported("tile/0/000", "missing");
  auto proof = MustOpen(Default(), dir_)->InclusionProof(3, 700);
  EXPECT_EQ(proof.status().code(), Code::kIntegrity);
  EXPECT_NE(proof.status().message().find("tile/0/000"), std::string::npos);
  WriteTestFile(File("tile/0/000"), std::string(100, 'x'));
  ExpectReported("tile/0/000", "truncated");
  proof = MustOpen(Default(), dir_)->InclusionProof(3, 700);
  EXPECT_EQ(proof.status().code(), Code::kIntegrity);
  EXPECT_NE(proof.status().message().find("tile/0/000"), std::string::npos);
}

TEST_F(CorruptionTest, EdgeTileMissing) {
  fs::remove(File("tile/1/000.p/2"));
  ExpectReported("tile/1/000.p/2", "missing");
}

TEST_F(CorruptionTest, BundleMissing) {
  fs::remove(File("tile/entries/000"));
  ExpectReported("tile/entries/000", "missing");
  auto e = open_->Entry(3);
  EXPECT_EQ(e.status().code(), Code::kIntegrity);
  EXPECT_NE(e.status().message().find("tile/entries/000"), std::string::npos);
}

// A hostile archive can put anything where a checkpoint or tile belongs: an
// endless file (a symbolic link to /dev/zero), a huge one, a FIFO. Open and
// Verify must name the file and stop, not read until memory runs out or wait
// forever.
TEST_F(CorruptionTest, EndlessHugeOrSpecialFilesAreRefusedNotRead) {
  for (const std::string rel : {"checkpoint", "tile/0/000", "tile/1/000.p/2", "tile/entries/001",
                                "tile/entries/002.p/188"}) {
    SCOPED_TRACE(rel);
    std::string data = ReadTestFile(File(rel));
    fs::remove(File(rel));
    fs::create_symlink("/dev/zero", File(rel));
    ExpectReported(rel, "");
    fs::remove(File(rel));
    // 64 MiB (sparse): bigger than any valid file of the log.
    {
      std::ofstream f(File(rel), std::ios::binary);
      f.seekp((64 << 20) - 1);
      f.put('\0');
    }
    ExpectReported(rel, "");
    fs::remove(File(rel));
    ASSERT_EQ(::mkfifo(File(rel).c_str(), 0644), 0);
    ExpectReported(rel, "");
    fs::remove(File(rel));
    WriteTestFile(File(rel), data);
  }
  EXPECT_TRUE(VerifyProblems(*MustOpen(Default(), dir_)).empty());
}

// A log opened for audit with a damaged right edge has no edge to build on:
// appending to it would sign a checkpoint over a tree without those entries.
TEST_F(CorruptionTest, AppendToALogWithADamagedEdgeIsRefused) {
  FlipByte("tile/0/002.p/188", 40);
  auto before = Snapshot(dir_);
  core::Status edge_problem;
  auto audited = Log::OpenForAudit(Default(), dir_, TestKeys().verifier, &edge_problem);
  ASSERT_TRUE(audited.ok()) << audited.status().ToString();
  ASSERT_FALSE(edge_problem.ok());
  auto appended = (*audited)->Append(MakeEntries(700, 701), TestKeys().signer);
  EXPECT_EQ(appended.status().code(), Code::kFailedPrecondition) << appended.status().ToString();
  EXPECT_EQ((*audited)->size(), 700u);
  EXPECT_EQ(Snapshot(dir_), before) << "nothing may be written";
  // A proof through the missing edge names it as damaged (not as a bug in isnad).
  auto proof = (*audited)->InclusionProof(3, 700);
  EXPECT_EQ(proof.status().code(), Code::kIntegrity) << proof.status().ToString();
  // An entry in it is still read, from the bundle on disk: the entries are what
  // verify checks and grows the tree from, whatever the damaged hash tile says.
  auto entry = (*audited)->Entry(699);
  ASSERT_TRUE(entry.ok()) << entry.status().ToString();
  EXPECT_EQ(*entry, MakeEntries(699, 700)[0]);
  EXPECT_EQ((*audited)->Entry(3).status().code(), Code::kOk) << "full bundles still read";
}

// A hostile archive comes with its own key, so it can sign a checkpoint of
// 2^40 + 5 entries and lay down just the right-edge files that make Open
// succeed. Verify must report the missing tiles and stop, not try to list
// 2^32 of them (hours, and memory for every problem).
TEST(Log, VerifyOfAHugeClaimedTreeStops) {
  TempDir tmp;
  std::string dir = tmp.Join("log");
  MustCreate(Default(), dir);
  const uint64_t size = (uint64_t{1} << 40) + 5;
  std::vector<std::string> entries = MakeEntries(0, 5);
  std::string bundle = EncodeEntryBundle(entries);
  std::string leaves;
  std::vector<Hash> l;
  for (const auto& e : entries) {
    l.push_back(LeafHash(e));
    leaves += std::string(l.back().View());
  }
  Hash left = core::Sha256Of("the first 2^40 entries, never stored");
  Hash root = NodeHash(left, NodeHash(NodeHash(NodeHash(l[0], l[1]), NodeHash(l[2], l[3])), l[4]));
  auto put = [&](const std::string& rel, const std::string& data) {
    fs::create_directories(fs::path(dir + "/" + rel).parent_path());
    WriteTestFile(dir + "/" + rel, data);
  };
  put(HashTilePath(0, size / kTileWidth, 5), leaves);
  put(EntryBundlePath(size / kTileWidth, 5), bundle);
  put(HashTilePath(5, 0, 1), std::string(left.View()));
  auto note =
      SignNote(Checkpoint{TestKeys().signer.name(), size, root, ""}.Body(), {&TestKeys().signer});
  ASSERT_TRUE(note.ok());
  put("checkpoint", *note);
  auto log = MustOpen(Default(), dir);
  ASSERT_NE(log, nullptr);
  ASSERT_EQ(log->size(), size);
  auto problems = VerifyProblems(*log);
  EXPECT_TRUE(HasProblem(problems, "tile/entries/000", "missing")) << problems.size();
  EXPECT_LE(problems.size(), 10001u);
  EXPECT_TRUE(HasProblem(problems, "checkpoint", "stopped")) << problems.back().what;
}

// The largest tree a checkpoint can claim, 2^64 - 1 entries: every level has a
// partial tile of 255 hashes, and counting its tiles must not overflow.
TEST(Log, VerifyOfTheLargestClaimableTreeStops) {
  TempDir tmp;
  std::string dir = tmp.Join("log");
  MustCreate(Default(), dir);
  const uint64_t size = ~uint64_t{0};
  std::vector<std::string> entries = MakeEntries(0, 255);
  // base[L]: the 255 hashes of the partial tile of level L.
  std::array<std::vector<Hash>, 8> base;
  for (const auto& e : entries) base[0].push_back(LeafHash(e));
  for (int level = 1; level < 8; ++level) {
    for (int i = 0; i < 255; ++i) {
      base[level].push_back(core::Sha256Of(std::to_string(level) + "/" + std::to_string(i)));
    }
  }
  struct EdgeSource : SubtreeHashSource {
    const std::array<std::vector<Hash>, 8>* base;
    Hash Mth(const std::vector<Hash>& row, uint64_t pos, int r) {
      if (r == 0) return row[pos];
      return NodeHash(Mth(row, 2 * pos, r - 1), Mth(row, 2 * pos + 1, r - 1));
    }
    core::StatusOr<Hash> SubtreeHash(int level, uint64_t index) override {
      int tl = level / kTileHeight;
      int r = level % kTileHeight;
      return Mth((*base)[tl], ((index << r) % kTileWidth) >> r, r);
    }
  } src;
  src.base = &base;
  auto root = TreeRoot(src, size);
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  auto put = [&](const std::string& rel, const std::string& data) {
    fs::create_directories(fs::path(dir + "/" + rel).parent_path());
    WriteTestFile(dir + "/" + rel, data);
  };
  for (int level = 0; level < 8; ++level) {
    std::string bytes;
    for (const Hash& h : base[level]) bytes += std::string(h.View());
    put(HashTilePath(level, (size >> (kTileHeight * level)) / kTileWidth, 255), bytes);
  }
  put(EntryBundlePath(size / kTileWidth, 255), EncodeEntryBundle(entries));
  auto note =
      SignNote(Checkpoint{TestKeys().signer.name(), size, *root, ""}.Body(), {&TestKeys().signer});
  ASSERT_TRUE(note.ok());
  put("checkpoint", *note);
  auto log = MustOpen(Default(), dir);
  ASSERT_NE(log, nullptr);
  ASSERT_EQ(log->size(), size);
  auto problems = VerifyProblems(*log);
  EXPECT_TRUE(HasProblem(problems, "tile/entries/000", "missing")) << problems.size();
  EXPECT_TRUE(HasProblem(problems, "checkpoint", "stopped")) << Describe(problems);
  // The last entries are read from the right edge, and the loop over them ends.
  uint64_t seen = 0;
  core::Status read = log->ForEachEntry(size - 5, size, [&](uint64_t i, std::string_view e) {
    EXPECT_EQ(e, MakeEntry(i - (size - 255)));
    ++seen;
    return core::Status::Ok();
  });
  EXPECT_TRUE(read.ok()) << read.ToString();
  EXPECT_EQ(seen, 5u);
  // A full log takes no more entries, and writes nothing trying.
  auto before = Snapshot(dir);
  auto appended = log->Append(MakeEntries(0, 1), TestKeys().signer);
  EXPECT_EQ(appended.status().code(), Code::kFailedPrecondition) << appended.status().ToString();
  EXPECT_EQ(Snapshot(dir), before);
}

// Any single-byte change or truncation of any file of the tree is found, and
// blamed on that file.
TEST_F(CorruptionTest, EveryFileEveryDamage) {
  std::mt19937_64 rng(11);
  auto pristine = Snapshot(dir_);
  ASSERT_EQ(pristine.size(), 13u);
  for (const auto& [rel, data] : pristine) {
    for (int t = 0; t < 3; ++t) {
      SCOPED_TRACE(rel + " try " + std::to_string(t));
      if (t < 2) {
        FlipByte(rel, rng() % data.size());
      } else {
        Truncate(rel, rng() % data.size());
      }
      ExpectReported(rel, "");
      WriteTestFile(File(rel), data);
    }
  }
}

// The files that differ between two snapshots, by name ("" when none).
std::string Differing(const std::map<std::string, std::string>& a,
                      const std::map<std::string, std::string>& b) {
  std::string out;
  for (const auto& [rel, data] : a) {
    auto it = b.find(rel);
    if (it == b.end() || it->second != data) out += rel + " ";
  }
  for (const auto& [rel, data] : b) {
    if (a.count(rel) == 0) out += rel + "(gone) ";
  }
  return out;
}

// Repair: every hash tile, however damaged (a byte changed, cut short, gone),
// is rebuilt from the entries byte for byte, and so is a superseded partial
// bundle; a damaged current entry bundle is refused, naming it, with nothing
// written, since hash tiles are never the ground truth for entries.
TEST_F(CorruptionTest, RepairRebuildsWhatTheEntriesProveAndRefusesDamagedEntries) {
  std::mt19937_64 rng(12);
  const auto pristine = Snapshot(dir_);
  const std::set<std::string> current_bundles = {"tile/entries/000", "tile/entries/001",
                                                 "tile/entries/002.p/188"};
  const std::set<std::string> superseded_files = {"tile/0/000.p/100", "tile/0/001.p/44",
                                                  "tile/1/000.p/1", "tile/entries/000.p/100",
                                                  "tile/entries/001.p/44"};
  for (const auto& [rel, data] : pristine) {
    if (rel == "checkpoint") continue;
    for (int t = 0; t < 3; ++t) {
      SCOPED_TRACE(rel + " damage " + std::to_string(t));
      if (t == 0) FlipByte(rel, rng() % data.size());
      if (t == 1) Truncate(rel, rng() % data.size());
      if (t == 2) fs::remove(File(rel));
      const auto damaged = Snapshot(dir_);
      core::Status edge_problem;
      auto audited = Log::OpenForAudit(Default(), dir_, TestKeys().verifier, &edge_problem);
      ASSERT_TRUE(audited.ok()) << audited.status().ToString();
      std::vector<RepairedFile> repaired;
      core::Status s = (*audited)->RepairTiles(/*dry_run=*/false, &repaired);
      const bool superseded = superseded_files.count(rel) != 0;
      if (superseded && t == 2) {
        // Which older widths a log kept is its history, not its tree: a missing
        // one is not a fault (verify does not ask for it) and is not made up.
        ASSERT_TRUE(s.ok()) << s.ToString();
        EXPECT_TRUE(repaired.empty());
        EXPECT_EQ(Differing(Snapshot(dir_), damaged), "");
        WriteTestFile(File(rel), data);
      } else if (current_bundles.count(rel) != 0) {
        EXPECT_EQ(s.code(), Code::kIntegrity) << s.ToString();
        EXPECT_NE(s.message().find(rel), std::string::npos) << s.ToString();
        EXPECT_NE(s.message().find("nothing was written"), std::string::npos) << s.ToString();
        EXPECT_EQ(Differing(Snapshot(dir_), damaged), "") << "a refused repair writes nothing";
        WriteTestFile(File(rel), data);
      } else {
        ASSERT_TRUE(s.ok()) << s.ToString();
        ASSERT_EQ(repaired.size(), 1u);
        EXPECT_EQ(repaired[0].file, rel);
        EXPECT_EQ(repaired[0].why.substr(0, 7), t == 2 ? "missing" : "damaged");
        EXPECT_EQ(Differing(Snapshot(dir_), pristine), "") << "rebuilt byte for byte";
      }
      EXPECT_TRUE(VerifyProblems(*MustOpen(Default(), dir_)).empty());
    }
  }
}

TEST_F(CorruptionTest, RepairDryRunWritesNothingAndAWholeLevelComesBack) {
  const auto pristine = Snapshot(dir_);
  fs::remove_all(File("tile/1"));
  FlipByte("tile/0/001", 70);
  const auto damaged = Snapshot(dir_);
  std::vector<RepairedFile> listed;
  ASSERT_TRUE(open_->RepairTiles(/*dry_run=*/true, &listed).ok());
  std::set<std::string> files;
  for (const auto& r : listed) files.insert(r.file);
  EXPECT_EQ(files, (std::set<std::string>{"tile/0/001", "tile/1/000.p/2"}));
  EXPECT_EQ(Differing(Snapshot(dir_), damaged), "");
  std::vector<RepairedFile> repaired;
  ASSERT_TRUE(open_->RepairTiles(/*dry_run=*/false, &repaired).ok());
  EXPECT_EQ(repaired.size(), 2u);
  // All but the superseded tile/1/000.p/1, history that the tree does not need.
  EXPECT_EQ(Differing(Snapshot(dir_), pristine), "tile/1/000.p/1(gone) ");
  EXPECT_TRUE(VerifyProblems(*MustOpen(Default(), dir_)).empty());
  // And a log with nothing wrong is left alone.
  repaired.clear();
  ASSERT_TRUE(MustOpen(Default(), dir_)->RepairTiles(false, &repaired).ok());
  EXPECT_TRUE(repaired.empty());
}

// A bundle changed and its own level-0 tile gone: the level above still tells
// which bundle no longer fits, and the refusal names it.
TEST_F(CorruptionTest, RepairNamesTheChangedBundleWhenItsTileIsGoneToo) {
  FlipByte("tile/entries/001", 40);
  fs::remove(File("tile/0/001"));
  const auto damaged = Snapshot(dir_);
  std::vector<RepairedFile> repaired;
  core::Status s = open_->RepairTiles(false, &repaired);
  EXPECT_EQ(s.code(), Code::kIntegrity) << s.ToString();
  EXPECT_NE(s.message().find("tile/entries/001 no longer matches the hash tiles"),
            std::string::npos)
      << s.ToString();
  EXPECT_EQ(Differing(Snapshot(dir_), damaged), "");
}

// A folder where a tile belongs is in the way: the dry run and the real run
// both refuse, naming it, with nothing written.
TEST_F(CorruptionTest, RepairRefusesAFolderInATilesPlace) {
  fs::remove(File("tile/0/000"));
  fs::create_directories(File("tile/0/000/inside"));
  FlipByte("tile/0/001", 3);
  const auto damaged = Snapshot(dir_);
  for (bool dry : {true, false}) {
    std::vector<RepairedFile> repaired;
    core::Status s = open_->RepairTiles(dry, &repaired);
    EXPECT_EQ(s.code(), Code::kIntegrity) << s.ToString();
    EXPECT_NE(s.message().find("tile/0/000 is not a regular file"), std::string::npos)
        << s.ToString();
    EXPECT_TRUE(repaired.empty());
    EXPECT_EQ(Differing(Snapshot(dir_), damaged), "");
  }
}

// A failure part-way through the rewriting still lists what was rewritten.
TEST_F(CorruptionTest, RepairStoppedPartWayListsWhatItRewrote) {
  const auto pristine = Snapshot(dir_);
  FlipByte("tile/0/000", 3);
  FlipByte("tile/0/001", 3);
  FaultInjectionEnv env(Default());
  core::Status edge;
  auto log = Log::OpenForAudit(&env, dir_, TestKeys().verifier, &edge);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  env.fail_rename_at = env.renames + 2;
  std::vector<RepairedFile> repaired;
  core::Status s = (*log)->RepairTiles(false, &repaired);
  EXPECT_FALSE(s.ok());
  ASSERT_EQ(repaired.size(), 1u);
  EXPECT_EQ(repaired[0].file, "tile/0/000");
  EXPECT_EQ(ReadTestFile(File("tile/0/000")), pristine.at("tile/0/000"));
}

// Pass 2 writes only from bundles that still give what pass 1 proved: a bundle
// changed between the passes stops it, after the tiles of those before it.
TEST_F(CorruptionTest, RepairWritesNothingFromABundleChangedMeanwhile) {
  const auto pristine = Snapshot(dir_);
  FlipByte("tile/0/000", 3);
  FlipByte("tile/0/001", 3);
  int starts = 0;
  std::vector<RepairedFile> repaired;
  core::Status s = open_->RepairTiles(false, &repaired, [&](uint64_t done, uint64_t) {
    if (done == 0 && ++starts == 2) FlipByte("tile/entries/001", 40);  // the second pass begins
  });
  EXPECT_EQ(s.code(), Code::kIntegrity) << s.ToString();
  EXPECT_NE(s.message().find("tile/entries/001 changed while the log was being repaired"),
            std::string::npos)
      << s.ToString();
  ASSERT_EQ(repaired.size(), 1u);
  EXPECT_EQ(repaired[0].file, "tile/0/000");
  EXPECT_NE(ReadTestFile(File("tile/0/001")), pristine.at("tile/0/001")) << "not from it";
}

}  // namespace
}  // namespace isnad::tlog
