#include "store/blob_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/digest.h"
#include "core/env.h"
#include "core/testing/fault_env.h"
#include "core/testing/temp_dir.h"

namespace isnad::store {
namespace {

using core::Code;
using core::Env;
using core::Hash;
using core::testing::FaultInjectionEnv;
using core::testing::ReadTestFile;
using core::testing::TempDir;
using core::testing::WriteTestFile;

constexpr size_t kMiB = size_t{1} << 20;

::testing::AssertionResult Has(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

std::vector<std::string> NamesIn(const std::string& dir) {
  auto names = Env::Default()->ListDir(dir);
  EXPECT_TRUE(names.ok()) << names.status().ToString();
  if (!names.ok()) return {};
  std::sort(names->begin(), names->end());
  return *names;
}

uint32_t ModeOf(const std::string& path) {
  auto info = Env::Default()->Stat(path);
  EXPECT_TRUE(info.ok()) << info.status().ToString();
  return info.ok() ? info->mode : 0;
}

class BlobStoreTest : public ::testing::Test {
 protected:
  std::string archive() const { return dir_.Join("archive"); }
  std::string temp_dir() const { return dir_.Join("archive/tmp"); }

  // Writes `data` to a source file named `name` and returns its path.
  std::string Source(const std::string& name, const std::string& data) {
    std::string path = dir_.Join("src/" + name);
    WriteTestFile(path, data);
    return path;
  }

  std::unique_ptr<BlobStore> OpenStore(Env* env = Env::Default(), bool clean_temp = true) {
    auto store = BlobStore::Open(env, archive(), clean_temp);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Every blob in the store holds the bytes its name says, no strays, and
  // (when `temp_empty`) nothing is left in tmp/.
  void ExpectConsistent(bool temp_empty = true) {
    auto store = OpenStore(Env::Default(), /*clean_temp=*/false);
    ASSERT_NE(store, nullptr);
    std::vector<std::string> strays;
    auto blobs = store->List(&strays);
    ASSERT_TRUE(blobs.ok()) << blobs.status().ToString();
    EXPECT_TRUE(strays.empty());
    for (const Hash& h : *blobs) {
      auto rehash = store->Rehash(h);
      ASSERT_TRUE(rehash.ok()) << rehash.status().ToString();
      EXPECT_EQ(rehash->first, h) << "partial or wrong blob at " << store->PathOf(h);
      EXPECT_EQ(ModeOf(store->PathOf(h)), 0444u);
    }
    if (temp_empty) {
      EXPECT_TRUE(NamesIn(temp_dir()).empty());
    }
  }

  TempDir dir_;
};

TEST_F(BlobStoreTest, RelativePathIsShardedLowerCaseHex) {
  Hash h = core::Sha256Of("");
  EXPECT_EQ(BlobStore::RelativePath(h),
            "objects/sha256/e3/b0/"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->PathOf(h), archive() + "/" + BlobStore::RelativePath(h));
}

TEST_F(BlobStoreTest, OpenCreatesFolders) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(core::Exists(Env::Default(), archive() + "/objects/sha256"));
  EXPECT_TRUE(core::Exists(Env::Default(), temp_dir()));
}

class RoundTripTest : public BlobStoreTest, public ::testing::WithParamInterface<size_t> {};

TEST_P(RoundTripTest, StageCommitReadBack) {
  const size_t size = GetParam();
  const std::string data = RandomBytes(size, static_cast<uint32_t>(size));
  const std::string source = Source("file", data);
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);

  std::vector<uint64_t> progress;
  auto staged = store->Stage(source, [&](uint64_t n) { progress.push_back(n); });
  ASSERT_TRUE(staged.ok()) << staged.status().ToString();
  EXPECT_EQ(staged->sha256, core::Sha256Of(data));
  EXPECT_EQ(staged->size_bytes, size);
  EXPECT_EQ(staged->synced, size >= store->sync_threshold_bytes);
  EXPECT_EQ(core::DirName(staged->temp_path), temp_dir());
  EXPECT_EQ(ReadTestFile(staged->temp_path), data);
  // Progress reports the bytes of each buffer as it is read.
  EXPECT_EQ(std::accumulate(progress.begin(), progress.end(), uint64_t{0}), size);
  EXPECT_EQ(progress.empty(), size == 0);
  for (uint64_t n : progress) EXPECT_GT(n, 0u);

  const Hash h = staged->sha256;
  EXPECT_FALSE(store->Contains(h));
  auto committed = store->Commit({*staged});
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  ASSERT_EQ(committed->size(), 1u);
  EXPECT_EQ((*committed)[0].sha256, h);
  EXPECT_EQ((*committed)[0].size_bytes, size);
  EXPECT_FALSE((*committed)[0].already_present);

  const std::string path = archive() + "/" + BlobStore::RelativePath(h);
  EXPECT_EQ(ReadTestFile(path), data);
  EXPECT_EQ(ModeOf(path), 0444u);
  EXPECT_TRUE(NamesIn(temp_dir()).empty());
  EXPECT_TRUE(store->Contains(h));

  auto rehash = store->Rehash(h);
  ASSERT_TRUE(rehash.ok()) << rehash.status().ToString();
  EXPECT_EQ(rehash->first, h);
  EXPECT_EQ(rehash->second, size);

  auto file = store->Open(h);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  std::string back;
  std::string buf(64 * 1024, '\0');
  while (true) {
    auto n = (*file)->Read(buf.data(), buf.size());
    ASSERT_TRUE(n.ok());
    if (*n == 0) break;
    back.append(buf, 0, *n);
  }
  EXPECT_EQ(back, data);

  auto listed = store->List();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, std::vector<Hash>{h});
  ExpectConsistent();
}

INSTANTIATE_TEST_SUITE_P(Sizes, RoundTripTest,
                         ::testing::Values(size_t{0}, size_t{11}, kMiB - 1, kMiB, 5 * kMiB + 1));

TEST_F(BlobStoreTest, StageBytesRoundTrip) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const std::string data = RandomBytes(3 * kMiB + 7, 3);
  auto staged = store->StageBytes(data);
  ASSERT_TRUE(staged.ok()) << staged.status().ToString();
  EXPECT_EQ(staged->sha256, core::Sha256Of(data));
  EXPECT_TRUE(staged->synced);
  auto committed = store->Commit({*staged});
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  EXPECT_EQ(ReadTestFile(store->PathOf(staged->sha256)), data);
  ExpectConsistent();
}

TEST_F(BlobStoreTest, SameBytesAreStoredOnce) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const std::string data = RandomBytes(2 * kMiB + 5, 7);
  const std::string a = Source("a", data);
  const std::string b = Source("b", data);

  // Twice in one batch: the second finds the first.
  auto sa = store->Stage(a);
  auto sb = store->Stage(b);
  ASSERT_TRUE(sa.ok() && sb.ok());
  EXPECT_NE(sa->temp_path, sb->temp_path);
  auto committed = store->Commit({*sa, *sb});
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  ASSERT_EQ(committed->size(), 2u);
  EXPECT_FALSE((*committed)[0].already_present);
  EXPECT_TRUE((*committed)[1].already_present);
  EXPECT_TRUE(NamesIn(temp_dir()).empty());

  // Again in a later batch (small and large alike).
  auto sc = store->Stage(a);
  auto small = store->StageBytes("small");
  ASSERT_TRUE(sc.ok() && small.ok());
  ASSERT_TRUE(store->Commit({*small}).ok());
  auto small_again = store->StageBytes("small");
  ASSERT_TRUE(small_again.ok());
  committed = store->Commit({*sc, *small_again});
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  EXPECT_TRUE((*committed)[0].already_present);
  EXPECT_TRUE((*committed)[1].already_present);

  auto listed = store->List();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 2u);
  ExpectConsistent();
}

// /proc/version states a size of 0 and gives bytes; nothing about it changes.
// Waiting would never help, so the message says what does: copying it first.
TEST_F(BlobStoreTest, AFileTheSystemMakesUpAsItIsReadIsRefusedWithWhatToDo) {
  if (!std::filesystem::exists("/proc/version")) GTEST_SKIP() << "no /proc here";
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto staged = store->Stage("/proc/version");
  ASSERT_FALSE(staged.ok());
  EXPECT_EQ(staged.status().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(Has(staged.status().message(), "more bytes than the size its file system states"))
      << staged.status().ToString();
  EXPECT_TRUE(Has(staged.status().message(), "cat '/proc/version' > copy.txt"));
  EXPECT_FALSE(Has(staged.status().message(), "run again")) << "waiting never helps";
  EXPECT_TRUE(NamesIn(temp_dir()).empty());
}

TEST_F(BlobStoreTest, FileAppendedWhileReadIsRefused) {
  const std::string source = Source("growing", RandomBytes(3 * kMiB, 11));
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  bool appended = false;
  // The progress hook runs on the reading thread after the first buffer:
  // appending then is exactly a writer racing the read, made deterministic.
  auto staged = store->Stage(source, [&](uint64_t) {
    if (appended) return;
    appended = true;
    FILE* f = std::fopen(source.c_str(), "ab");
    ASSERT_NE(f, nullptr);
    std::fputs("more evidence", f);
    std::fclose(f);
  });
  ASSERT_TRUE(appended);
  ASSERT_FALSE(staged.ok());
  EXPECT_EQ(staged.status().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(Has(staged.status().message(), source));
  EXPECT_TRUE(Has(staged.status().message(), "changed while it was read"));
  EXPECT_TRUE(Has(staged.status().message(), "nothing was recorded"));
  EXPECT_TRUE(Has(staged.status().message(), "run again"));
  EXPECT_TRUE(NamesIn(temp_dir()).empty());
  auto listed = store->List();
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

// A Stage() progress hook that, after the first buffer, writes one byte of
// `path` in place (same size, new content), and with `set_mtime` also sets its
// modification time to 1 s after the epoch.
std::function<void(uint64_t)> RewriteOnce(const std::string& path, bool set_mtime) {
  auto done = std::make_shared<bool>(false);
  return [path, set_mtime, done](uint64_t) {
    if (*done) return;
    *done = true;
    int fd = ::open(path.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, "X", 1, 5), 1);
    if (set_mtime) {
      struct timespec times[2] = {{0, UTIME_OMIT}, {1000000000, 0}};
      ASSERT_EQ(::futimens(fd, times), 0);
    }
    ::close(fd);
  };
}

TEST_F(BlobStoreTest, FileOverwrittenInPlaceWhileReadIsRefused) {
  const std::string source = Source("rewritten", RandomBytes(2 * kMiB + 3, 12));
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  // Same size, new content; the modification time differs for certain.
  auto staged = store->Stage(source, RewriteOnce(source, /*set_mtime=*/true));
  ASSERT_FALSE(staged.ok());
  EXPECT_EQ(staged.status().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(NamesIn(temp_dir()).empty());
}

// A write in the same clock tick as the first stat leaves size and times as
// they were (frozen here, as on a file system whose clock ticks slower than
// the test): only a second read of a recently modified file shows it.
TEST_F(BlobStoreTest, FileRewrittenWithinOneClockTickIsRefused) {
  for (size_t size : {size_t{4096}, 2 * kMiB + 3}) {
    SCOPED_TRACE(size);
    const std::string source = Source("same-tick-" + std::to_string(size), RandomBytes(size, 14));
    FaultInjectionEnv env(Env::Default());
    env.frozen_time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    auto store = OpenStore(&env);
    ASSERT_NE(store, nullptr);
    auto staged = store->Stage(source, RewriteOnce(source, /*set_mtime=*/false));
    ASSERT_FALSE(staged.ok());
    EXPECT_EQ(staged.status().code(), Code::kFailedPrecondition);
    EXPECT_TRUE(Has(staged.status().message(), "a second read gave other bytes"));
    EXPECT_TRUE(Has(staged.status().message(), "nothing was recorded"));
    EXPECT_TRUE(NamesIn(temp_dir()).empty());

    // Left alone, the same recently modified file is stored, once.
    staged = store->Stage(source);
    ASSERT_TRUE(staged.ok()) << staged.status().ToString();
    auto bytes = Env::Default()->ReadFile(source);
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ(staged->sha256, core::Sha256Of(*bytes));
    store->Abort({*staged});
  }
}

TEST_F(BlobStoreTest, FileReplacedWhileReadIsRefused) {
  const std::string data = RandomBytes(2 * kMiB + 3, 13);
  const std::string source = Source("replaced", data);
  const std::string other = Source("other", data);  // same bytes, another inode
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  bool done = false;
  auto staged = store->Stage(source, [&](uint64_t) {
    if (done) return;
    done = true;
    ASSERT_EQ(std::rename(other.c_str(), source.c_str()), 0);
  });
  ASSERT_FALSE(staged.ok());
  EXPECT_EQ(staged.status().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(NamesIn(temp_dir()).empty());
}

TEST_F(BlobStoreTest, RefusesWhatIsNotARegularFile) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const std::string file = Source("file", "bytes");
  const std::string folder = dir_.Join("src");
  const std::string link = dir_.Join("src/link");
  ASSERT_EQ(::symlink(file.c_str(), link.c_str()), 0);
  const std::string fifo = dir_.Join("src/fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);

  auto s = store->Stage(folder);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(Has(s.status().message(), folder + " is a folder"));

  s = store->Stage(link);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(Has(s.status().message(), link + " is a symbolic link"));

  // Refused from its stat alone: opening a FIFO would block.
  s = store->Stage(fifo);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(Has(s.status().message(), fifo + " is not a regular file"));

  // Cannot be opened whoever runs the test (root included).
  const std::string missing = dir_.Join("src/missing");
  s = store->Stage(missing);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kNotFound);
  EXPECT_TRUE(Has(s.status().message(), missing));
  EXPECT_TRUE(Has(s.status().message(), "nothing was recorded"));

  const std::string through_file = file + "/x";
  s = store->Stage(through_file);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Has(s.status().message(), through_file));

  EXPECT_TRUE(NamesIn(temp_dir()).empty());
}

TEST_F(BlobStoreTest, ConcurrentStagesThenOneCommit) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 4;
  std::vector<std::string> data(kThreads), paths(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    data[i] = RandomBytes((i % 2 ? 3 * kMiB : 1000) + i, 100 + i);
    paths[i] = Source("c" + std::to_string(i), data[i]);
  }
  std::vector<core::StatusOr<StagedBlob>> results(kThreads, core::Internal("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { results[i] = store->Stage(paths[i]); });
  }
  for (auto& t : threads) t.join();
  std::vector<StagedBlob> staged;
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].status().ToString();
    EXPECT_EQ(results[i]->sha256, core::Sha256Of(data[i]));
    staged.push_back(*results[i]);
  }
  ASSERT_TRUE(store->Commit(staged).ok());
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(ReadTestFile(store->PathOf(core::Sha256Of(data[i]))), data[i]);
  }
  ExpectConsistent();
}

// How Commit makes small (unsynced) temp files durable: an fsync each when
// few, one SyncFilesystem when many. Large files were synced by Stage.
TEST_F(BlobStoreTest, CommitSyncsFewFilesEachAndManyAtOnce) {
  FaultInjectionEnv env(Env::Default());
  auto store = OpenStore(&env);
  ASSERT_NE(store, nullptr);

  auto large = store->StageBytes(RandomBytes(2 * kMiB, 1));
  ASSERT_TRUE(large.ok());
  EXPECT_TRUE(large->synced);
  std::vector<StagedBlob> few = {*large};
  for (int i = 0; i < 3; ++i) {
    auto s = store->StageBytes("few " + std::to_string(i));
    ASSERT_TRUE(s.ok());
    EXPECT_FALSE(s->synced);
    few.push_back(*s);
  }
  int64_t before = env.syncs;
  ASSERT_TRUE(store->Commit(few).ok());
  EXPECT_EQ(env.syncs - before, 3);  // one fdatasync per small file

  std::vector<StagedBlob> many;
  for (int i = 0; i < 9; ++i) {
    auto s = store->StageBytes("many " + std::to_string(i));
    ASSERT_TRUE(s.ok());
    many.push_back(*s);
  }
  before = env.syncs;
  ASSERT_TRUE(store->Commit(many).ok());
  EXPECT_EQ(env.syncs - before, 1);  // one SyncFilesystem for the batch
  ExpectConsistent();
}

class FaultTest : public BlobStoreTest {
 protected:
  FaultTest() : env_(Env::Default()) {}

  // After a failure: nothing partial at a final path; Abort + reopen is clean.
  void ExpectCleanAfterAbort(BlobStore* store, const std::vector<StagedBlob>& staged) {
    ExpectConsistent(/*temp_empty=*/false);
    store->Abort(staged);
    EXPECT_TRUE(NamesIn(temp_dir()).empty());
    env_.fail_write_at = 0;
    env_.fail_sync_at = 0;
    env_.fail_rename_at = 0;
    env_.disk_bytes_left = -1;
    auto reopened = OpenStore(&env_, /*clean_temp=*/true);
    ASSERT_NE(reopened, nullptr);
    ExpectConsistent();
  }

  FaultInjectionEnv env_;
};

TEST_F(FaultTest, FailedWriteLeavesNothing) {
  const std::string source = Source("big", RandomBytes(5 * kMiB + 1, 21));
  auto store = OpenStore(&env_);
  ASSERT_NE(store, nullptr);
  env_.fail_write_at = env_.writes + 3;
  auto staged = store->Stage(source);
  ASSERT_FALSE(staged.ok());
  EXPECT_EQ(staged.status().code(), Code::kIoError);
  EXPECT_TRUE(Has(staged.status().message(), "cannot write " + temp_dir() + "/"));
  EXPECT_TRUE(Has(staged.status().message(), "nothing was recorded"));
  EXPECT_TRUE(NamesIn(temp_dir()).empty());
  ExpectCleanAfterAbort(store.get(), {});
}

TEST_F(FaultTest, FullDiskLeavesNothing) {
  const std::string source = Source("big", RandomBytes(5 * kMiB + 1, 22));
  auto store = OpenStore(&env_);
  ASSERT_NE(store, nullptr);
  env_.disk_bytes_left = 2 * kMiB + kMiB / 2;
  auto staged = store->Stage(source);
  ASSERT_FALSE(staged.ok());
  EXPECT_EQ(staged.status().code(), Code::kResourceExhausted);
  EXPECT_TRUE(Has(staged.status().message(), temp_dir() + "/"));
  EXPECT_TRUE(Has(staged.status().message(), "disk space"));
  EXPECT_TRUE(NamesIn(temp_dir()).empty());

  auto bytes = store->StageBytes(RandomBytes(kMiB, 23));
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), Code::kResourceExhausted);
  EXPECT_TRUE(NamesIn(temp_dir()).empty());
  ExpectCleanAfterAbort(store.get(), {});
}

TEST_F(FaultTest, FailedSyncInStageLeavesNothing) {
  const std::string source = Source("big", RandomBytes(3 * kMiB, 24));
  auto store = OpenStore(&env_);
  ASSERT_NE(store, nullptr);
  env_.fail_sync_at = env_.syncs + 1;
  auto staged = store->Stage(source);
  ASSERT_FALSE(staged.ok());
  EXPECT_EQ(staged.status().code(), Code::kIoError);
  EXPECT_TRUE(Has(staged.status().message(), "cannot fsync " + temp_dir() + "/"));
  EXPECT_TRUE(NamesIn(temp_dir()).empty());
  ExpectCleanAfterAbort(store.get(), {});
}

// Few small files (fsync each) and many (SyncFilesystem): a failed sync in
// Commit moves nothing into place.
TEST_F(FaultTest, FailedSyncInCommitMovesNothing) {
  for (int count : {2, 8}) {
    SCOPED_TRACE(count);
    auto store = OpenStore(&env_);
    ASSERT_NE(store, nullptr);
    std::vector<StagedBlob> staged;
    for (int i = 0; i < count; ++i) {
      auto s = store->StageBytes("small " + std::to_string(count) + " " + std::to_string(i));
      ASSERT_TRUE(s.ok());
      staged.push_back(*s);
    }
    env_.fail_sync_at = env_.syncs + 1;
    auto committed = store->Commit(staged);
    ASSERT_FALSE(committed.ok());
    EXPECT_EQ(committed.status().code(), Code::kIoError);
    EXPECT_TRUE(Has(committed.status().message(), temp_dir()));
    EXPECT_TRUE(Has(committed.status().message(), "nothing in this batch was stored"));
    for (const StagedBlob& s : staged) EXPECT_FALSE(store->Contains(s.sha256));
    EXPECT_EQ(NamesIn(temp_dir()).size(), static_cast<size_t>(count));
    ExpectCleanAfterAbort(store.get(), staged);
  }
}

TEST_F(FaultTest, FailedRenameMidwayKeepsCompleteBlobsOnly) {
  auto store = OpenStore(&env_);
  ASSERT_NE(store, nullptr);
  std::vector<std::string> data = {RandomBytes(2 * kMiB, 31), RandomBytes(100, 32),
                                   RandomBytes(3 * kMiB, 33)};
  std::vector<StagedBlob> staged;
  for (size_t i = 0; i < data.size(); ++i) {
    auto s = store->Stage(Source("r" + std::to_string(i), data[i]));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    staged.push_back(*s);
  }
  env_.fail_rename_at = env_.renames + 2;
  auto committed = store->Commit(staged);
  ASSERT_FALSE(committed.ok());
  EXPECT_EQ(committed.status().code(), Code::kIoError);
  EXPECT_TRUE(Has(committed.status().message(), "cannot rename " + staged[1].temp_path));
  EXPECT_TRUE(Has(committed.status().message(), "run again"));
  EXPECT_TRUE(store->Contains(staged[0].sha256));
  EXPECT_FALSE(store->Contains(staged[1].sha256));
  EXPECT_FALSE(store->Contains(staged[2].sha256));
  EXPECT_EQ(NamesIn(temp_dir()).size(), 2u);
  ExpectCleanAfterAbort(store.get(), staged);

  // Running again stores the rest; the first is found already present.
  staged.clear();
  for (size_t i = 0; i < data.size(); ++i) {
    auto s = store->Stage(dir_.Join("src/r" + std::to_string(i)));
    ASSERT_TRUE(s.ok());
    staged.push_back(*s);
  }
  committed = store->Commit(staged);
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  EXPECT_TRUE((*committed)[0].already_present);
  EXPECT_FALSE((*committed)[1].already_present);
  EXPECT_FALSE((*committed)[2].already_present);
  ExpectConsistent();
}

TEST_F(BlobStoreTest, OpenRemovesLeftoverTempFilesOnlyWhenAsked) {
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->StageBytes(RandomBytes(2 * kMiB, 41)).ok());
    ASSERT_TRUE(store->StageBytes("small").ok());
    // "Crash": neither committed nor aborted.
  }
  EXPECT_EQ(NamesIn(temp_dir()).size(), 2u);
  ASSERT_NE(OpenStore(Env::Default(), /*clean_temp=*/false), nullptr);
  EXPECT_EQ(NamesIn(temp_dir()).size(), 2u);
  ASSERT_NE(OpenStore(Env::Default(), /*clean_temp=*/true), nullptr);
  EXPECT_TRUE(NamesIn(temp_dir()).empty());
}

TEST_F(BlobStoreTest, RehashDetectsAFlippedByte) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const std::string data = RandomBytes(kMiB + 17, 51);
  auto staged = store->StageBytes(data);
  ASSERT_TRUE(staged.ok());
  ASSERT_TRUE(store->Commit({*staged}).ok());
  const std::string path = store->PathOf(staged->sha256);
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  int fd = ::open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  char flipped = static_cast<char>(data[kMiB] ^ 0x01);
  ASSERT_EQ(::pwrite(fd, &flipped, 1, static_cast<off_t>(kMiB)), 1);
  ::close(fd);
  auto rehash = store->Rehash(staged->sha256);
  ASSERT_TRUE(rehash.ok()) << rehash.status().ToString();
  EXPECT_NE(rehash->first, staged->sha256);
  EXPECT_EQ(rehash->second, data.size());
}

// In an archive received from elsewhere a blob's path may hold a symbolic
// link (to /dev/zero, to a file outside the archive) or a FIFO. `isnad verify`
// rehashes every blob: each must be refused at once, not read forever or
// waited on. Blobs are only ever regular files.
TEST_F(BlobStoreTest, ABlobThatIsNotARegularFileIsRefusedNotRead) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto staged = store->StageBytes("evidence");
  ASSERT_TRUE(staged.ok());
  ASSERT_TRUE(store->Commit({*staged}).ok());
  const std::string path = store->PathOf(staged->sha256);
  ASSERT_EQ(::unlink(path.c_str()), 0);
  ASSERT_EQ(::symlink("/dev/zero", path.c_str()), 0);
  auto rehash = store->Rehash(staged->sha256);
  ASSERT_FALSE(rehash.ok());
  EXPECT_EQ(rehash.status().code(), core::Code::kIntegrity) << rehash.status().ToString();
  EXPECT_NE(rehash.status().message().find(path), std::string::npos) << rehash.status().ToString();
  EXPECT_FALSE(store->Open(staged->sha256).ok());
  ASSERT_EQ(::unlink(path.c_str()), 0);
  ASSERT_EQ(::mkfifo(path.c_str(), 0644), 0);
  EXPECT_EQ(store->Rehash(staged->sha256).status().code(), core::Code::kIntegrity);
}

// A symlink planted where a blob folder belongs (objects/sha256/ab/cd) is
// refused, never followed out of the archive: both when the store has not yet
// used the level above, and when it has.
TEST_F(BlobStoreTest, ASymlinkInPlaceOfABlobFolderIsRefusedNotFollowed) {
  const std::string outside = dir_.Join("outside");
  ASSERT_EQ(::mkdir(outside.c_str(), 0755), 0);
  // Two contents whose hashes share the first byte but not the second.
  const std::string first = "first";
  const Hash h1 = core::Sha256Of(first);
  std::string second;
  for (int n = 0;; ++n) {
    second = "second " + std::to_string(n);
    const Hash h2 = core::Sha256Of(second);
    if (h2.bytes[0] == h1.bytes[0] && h2.bytes[1] != h1.bytes[1]) break;
  }
  for (bool level_above_used : {false, true}) {
    SCOPED_TRACE(level_above_used ? "level above used" : "fresh store");
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    if (level_above_used) {
      auto staged = store->StageBytes(first);
      ASSERT_TRUE(staged.ok()) << staged.status().ToString();
      ASSERT_TRUE(store->Commit({*staged}).ok());
    }
    const std::string folder = core::DirName(store->PathOf(core::Sha256Of(second)));
    ASSERT_EQ(::mkdir(core::DirName(folder).c_str(), 0755) == 0 || errno == EEXIST, true);
    ASSERT_EQ(::symlink(outside.c_str(), folder.c_str()), 0);
    auto staged = store->StageBytes(second);
    ASSERT_FALSE(staged.ok());
    EXPECT_EQ(staged.status().code(), Code::kFailedPrecondition) << staged.status().ToString();
    EXPECT_TRUE(Has(staged.status().message(), "is not a folder"));
    EXPECT_TRUE(NamesIn(outside).empty());
    EXPECT_TRUE(NamesIn(temp_dir()).empty());
    ASSERT_EQ(::unlink(folder.c_str()), 0);
  }
}

// A symlink planted in place of the level above (objects/sha256/ab), with the
// blob's folder existing behind it: the path to ab/cd would go through the link.
TEST_F(BlobStoreTest, ASymlinkInPlaceOfTheLevelAboveIsRefusedNotFollowed) {
  const std::string data = "through a link";
  const Hash h = core::Sha256Of(data);
  const std::string outside = dir_.Join("outside");
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const std::string leaf = core::DirName(store->PathOf(h));
  const std::string top = core::DirName(leaf);
  ASSERT_EQ(::mkdir(outside.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((outside + "/" + leaf.substr(leaf.size() - 2)).c_str(), 0755), 0);
  ASSERT_EQ(::symlink(outside.c_str(), top.c_str()), 0);
  auto staged = store->StageBytes(data);
  ASSERT_FALSE(staged.ok());
  EXPECT_EQ(staged.status().code(), Code::kFailedPrecondition) << staged.status().ToString();
  EXPECT_TRUE(Has(staged.status().message(), top + " is not a folder"));
  EXPECT_TRUE(NamesIn(outside + "/" + leaf.substr(leaf.size() - 2)).empty());
  EXPECT_TRUE(NamesIn(temp_dir()).empty());
}

TEST_F(BlobStoreTest, MissingBlob) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const Hash h = core::Sha256Of("absent");
  EXPECT_FALSE(store->Contains(h));
  auto file = store->Open(h);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), Code::kNotFound);
  EXPECT_TRUE(Has(file.status().message(), h.Hex()));
  auto rehash = store->Rehash(h);
  ASSERT_FALSE(rehash.ok());
  EXPECT_EQ(rehash.status().code(), Code::kNotFound);
}

TEST_F(BlobStoreTest, ARepairNeverReplacesAnEarlierQuarantinedCopy) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto first = store->StageBytes("the original bytes");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(store->Commit({*first}).ok());
  const std::string hex = first->sha256.Hex();
  const std::string blob = store->PathOf(first->sha256);
  // Copies quarantined earlier under the names this second (or the next) would give.
  std::vector<std::string> earlier;
  for (long t = ::time(nullptr); t <= ::time(nullptr) + 1; ++t) {
    earlier.push_back(archive() + "/quarantine/" + hex + "." + std::to_string(t) + "." +
                      std::to_string(::getpid()));
    WriteTestFile(earlier.back(), "an earlier damaged copy");
  }
  ASSERT_EQ(::chmod(blob.c_str(), 0644), 0);
  WriteTestFile(blob, "the damaged bytes");
  auto again = store->StageBytes("the original bytes");
  ASSERT_TRUE(again.ok());
  auto committed = store->Commit({*again});
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  const std::string aside = (*committed)[0].replaced_damaged;
  ASSERT_FALSE(aside.empty());
  EXPECT_EQ(ReadTestFile(aside), "the damaged bytes");
  for (const std::string& e : earlier) EXPECT_EQ(ReadTestFile(e), "an earlier damaged copy") << e;
  EXPECT_EQ(ReadTestFile(blob), "the original bytes");
}

// A large blob damaged without a change of size (a flipped bit) is mended by
// the same bytes arriving again, as a small one is.
TEST_F(BlobStoreTest, ALargeBlobDamagedInPlaceIsRepairedByTheSameBytes) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  std::string good(3 << 20, 'v');
  for (size_t i = 0; i < good.size(); i += 4096) good[i] = static_cast<char>(i / 4096);
  auto first = store->StageBytes(good);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(store->Commit({*first}).ok());
  const std::string blob = store->PathOf(first->sha256);
  std::string damaged = good;
  damaged[2 << 20] ^= 1;
  ASSERT_EQ(::chmod(blob.c_str(), 0644), 0);
  WriteTestFile(blob, damaged);
  auto again = store->StageBytes(good);
  ASSERT_TRUE(again.ok());
  auto committed = store->Commit({*again});
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  ASSERT_FALSE((*committed)[0].replaced_damaged.empty());
  EXPECT_TRUE(ReadTestFile((*committed)[0].replaced_damaged) == damaged);
  EXPECT_TRUE(ReadTestFile(blob) == good);
}

TEST_F(BlobStoreTest, ARepairThatFailsHalfWayNeverLeavesTheBlobMissing) {
  // Whichever change of names fails while a damaged blob is replaced by a good
  // copy, the blob's path still holds bytes (damaged or good) and the damaged bytes
  // are never lost: a crash there must not turn a damaged blob into a missing one.
  for (int k = 1; k <= 4; ++k) {
    SCOPED_TRACE("failing from the change of names number " + std::to_string(k));
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    const std::string good = "the original bytes " + std::to_string(k);
    auto first = store->StageBytes(good);
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(store->Commit({*first}).ok());
    const std::string blob = store->PathOf(first->sha256);
    ASSERT_EQ(::chmod(blob.c_str(), 0644), 0);
    WriteTestFile(blob, "the damaged bytes");

    FaultInjectionEnv faulty(Env::Default());
    auto repairing = OpenStore(&faulty);
    ASSERT_NE(repairing, nullptr);
    auto again = repairing->StageBytes(good);
    ASSERT_TRUE(again.ok());
    faulty.sticky = true;
    faulty.fail_rename_at = faulty.renames.load() + k;
    auto committed = repairing->Commit({*again});
    auto bytes = core::Env::Default()->ReadFile(blob);
    ASSERT_TRUE(bytes.ok()) << "the blob's path names nothing: " << bytes.status().ToString();
    EXPECT_TRUE(*bytes == good || *bytes == "the damaged bytes") << *bytes;
    if (committed.ok()) {
      EXPECT_EQ(*bytes, good);
      EXPECT_EQ(ReadTestFile((*committed)[0].replaced_damaged), "the damaged bytes");
    }
  }
}

TEST_F(BlobStoreTest, ListReportsStrays) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto a = store->StageBytes("alpha");
  auto b = store->StageBytes("bravo");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(store->Commit({*a, *b}).ok());

  const std::string hex = a->sha256.Hex();
  const std::string ab = hex.substr(0, 2), cd = hex.substr(2, 2);
  std::string upper = hex;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  std::vector<std::string> strays = {
      "objects/sha256/README",                                 // a file among the folders
      "objects/sha256/zz",                                     // not hex
      "objects/sha256/abc",                                    // too long
      "objects/sha256/" + ab + "/notes.txt",                   // a file among the folders
      "objects/sha256/" + ab + "/" + cd + "/" + hex + ".tmp",  // not a hash
      "objects/sha256/" + ab + "/" + cd + "/" + upper,         // upper case
      "objects/sha256/00/00/" + hex,                           // the wrong folder
      "objects/" + hex,                                        // beside sha256/
  };
  for (const std::string& s : strays) {
    if (s.ends_with("/abc")) {
      ASSERT_EQ(::mkdir((archive() + "/" + s).c_str(), 0755), 0);
    } else {
      WriteTestFile(archive() + "/" + s, "stray");
    }
  }
  // A folder that fits the layout but holds a folder where a blob should be.
  const std::string folder_blob =
      "objects/sha256/" + ab + "/" + cd + "/" + core::Sha256Of("x").Hex().replace(0, 4, ab + cd);
  ASSERT_EQ(::mkdir((archive() + "/" + folder_blob).c_str(), 0755), 0);
  strays.push_back(folder_blob);

  std::vector<std::string> found;
  auto listed = store->List(&found);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  std::vector<Hash> expected = {a->sha256, b->sha256};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(*listed, expected);
  std::sort(found.begin(), found.end());
  std::sort(strays.begin(), strays.end());
  EXPECT_EQ(found, strays);

  auto plain = store->List();  // strays are optional
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->size(), 2u);
}

}  // namespace
}  // namespace isnad::store
