// The archive as a whole: ingest, dedupe, proofs, reindex, and what happens on
// failures injected at the Env seam and on corruption of each kind of file.
#include "archive/archive.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "catalog/entries.h"
#include "core/encoding.h"
#include "core/testing/fault_env.h"
#include "core/testing/temp_dir.h"
#include "core/utf8.h"
#include "log/merkle.h"
#include "log/tiles.h"

namespace isnad::archive {
namespace {

using core::testing::TempDir;
using core::testing::WriteTestFile;
namespace fs = std::filesystem;

struct Collected {
  std::vector<AddedFile> added;
  std::vector<std::pair<std::string, core::Status>> skipped;
  AddCallbacks callbacks() {
    AddCallbacks cb;
    cb.on_added = [this](const AddedFile& f) { added.push_back(f); };
    cb.on_skipped = [this](const std::string& p, const core::Status& s) {
      skipped.emplace_back(p, s);
    };
    return cb;
  }
};

Options TestOptions(core::Env* env = core::Env::Default()) {
  Options o;
  o.env = env;
  o.operator_name = "tester@test";
  return o;
}

std::unique_ptr<Archive> MakeArchive(const std::string& dir) {
  auto a = Archive::Init(dir, "test.isnad.example/archive", TestOptions());
  EXPECT_TRUE(a.ok()) << a.status().ToString();
  return std::move(*a);
}

// Adds everything under `in` to `a`, `batch_files` a batch.
Collected AddAll(Archive& a, const std::string& in, size_t batch_files = AddRequest{}.batch_files) {
  AddRequest req;
  req.paths = {in};
  req.batch_files = batch_files;
  Collected c;
  EXPECT_TRUE(a.Add(req, c.callbacks()).ok());
  return c;
}

void ExpectClean(const std::string& dir) {
  auto a = Archive::Open(dir, Mode::kRead, TestOptions());
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto report = (*a)->Verify("", 2, nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  for (const auto& p : report->problems) ADD_FAILURE() << p.file << ": " << p.what;
}

// The same command run twice (an archivist unsure the first one worked) records
// nothing the second time; the same files from another source, or with another
// note, are new sightings and are recorded.
TEST(Archive, AddingAgainFromTheSameSourceRecordsNothingNew) {
  TempDir tmp;
  WriteTestFile(tmp.Join("in/a.txt"), "statement one");
  WriteTestFile(tmp.Join("in/sub/b.bin"), "statement two");
  auto a = MakeArchive(tmp.Join("ar"));
  AddRequest req;
  req.paths = {tmp.Join("in")};
  req.url = "USB stick from witness 12";
  ASSERT_TRUE(a->Add(req, {}).ok());
  const uint64_t size = a->log().size();
  Collected again;
  auto sum = a->Add(req, again.callbacks());
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  EXPECT_EQ(sum->added, 0u);
  EXPECT_EQ(sum->sources, 0u);
  EXPECT_EQ(sum->already, 2u);
  EXPECT_EQ(a->log().size(), size) << "nothing new is written";
  ASSERT_EQ(again.added.size(), 2u);
  EXPECT_TRUE(again.added[0].already_recorded);
  EXPECT_EQ(again.added[0].leaf_index, 1u) << "the earlier record, item.ingested";
  auto sources = a->catalog().Sources(again.added[0].id);
  ASSERT_TRUE(sources.ok());
  EXPECT_EQ(sources->size(), 1u);

  for (const auto& [url, note] : {std::pair<std::string, std::string>{"DVD copy", ""},
                                  {"DVD copy", "second look"},
                                  {"", ""}}) {
    req.url = url;
    req.note = note;
    auto other = a->Add(req, {});
    ASSERT_TRUE(other.ok()) << other.status().ToString();
    EXPECT_EQ(other->sources, 2u) << url << " / " << note;
    EXPECT_EQ(other->already, 0u) << url << " / " << note;
  }
  // Another person adding it from the same place is a custody event of its own.
  Options o = TestOptions();
  o.operator_name = "bob@desk";
  a.reset();  // the archive's lock
  auto as_bob = Archive::Open(tmp.Join("ar"), Mode::kWrite, o);
  ASSERT_TRUE(as_bob.ok()) << as_bob.status().ToString();
  auto bob = (*as_bob)->Add(req, {});
  ASSERT_TRUE(bob.ok()) << bob.status().ToString();
  EXPECT_EQ(bob->sources, 2u);
  EXPECT_EQ(bob->already, 0u);
  as_bob->reset();
  ExpectClean(tmp.Join("ar"));
}

TEST(Archive, AddDedupesProvesAndVerifies) {
  TempDir tmp;
  WriteTestFile(tmp.Join("in/a.txt"), "statement one");
  WriteTestFile(tmp.Join("in/sub/b.bin"), std::string(3 << 20, 'b'));
  WriteTestFile(tmp.Join("in/sub/copy-of-a.txt"), "statement one");
  auto a = MakeArchive(tmp.Join("ar"));
  AddRequest req;
  req.paths = {tmp.Join("in")};
  req.url = "https://example.org/post/1";
  Collected c;
  auto sum = a->Add(req, c.callbacks());
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  EXPECT_EQ(sum->added, 2u);
  EXPECT_EQ(sum->sources, 1u);
  ASSERT_EQ(c.added.size(), 3u);
  // Folder walked in name order: a.txt, sub/b.bin, sub/copy-of-a.txt.
  EXPECT_EQ(c.added[0].name, "a.txt");
  EXPECT_TRUE(c.added[0].new_item);
  EXPECT_FALSE(c.added[2].new_item);
  EXPECT_EQ(c.added[2].id, c.added[0].id) << "same bytes, same item";
  EXPECT_EQ(c.added[0].id, catalog::ItemId(c.added[0].leaf_index));

  // Stored once.
  size_t blobs = 0;
  for (auto& e : fs::recursive_directory_iterator(tmp.Join("ar/objects")))
    blobs += e.is_regular_file();
  EXPECT_EQ(blobs, 2u);

  // Lookups by id and by 12-digit sha256 prefix; both provenance records kept.
  auto by_prefix = a->Resolve(c.added[1].sha256.Hex().substr(0, 12));
  ASSERT_TRUE(by_prefix.ok()) << by_prefix.status().ToString();
  EXPECT_EQ(by_prefix->id, c.added[1].id);
  auto sources = a->catalog().Sources(c.added[0].id);
  ASSERT_TRUE(sources.ok());
  EXPECT_EQ(sources->size(), 2u);

  // The proof holds against the signed root.
  auto p = a->Prove(c.added[1].id);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(tlog::VerifyInclusion(p->leaf_index, p->tree_size, tlog::LeafHash(p->entry),
                                    p->hashes, a->log().root())
                  .ok());
  a.reset();
  ExpectClean(tmp.Join("ar"));
}

// What a progress display shows: each step once, in order, and how far it got.
struct ProgressLog {
  std::mutex mu;
  std::vector<std::string> steps;                             // in order of first report
  std::map<std::string, std::pair<uint64_t, uint64_t>> most;  // step -> (max done, total)
  std::map<std::string, std::string> units;
  ProgressFn fn() {
    return [this](const Progress& p) {
      std::lock_guard<std::mutex> g(mu);
      std::string step(p.step);
      if (steps.empty() || steps.back() != step) steps.push_back(step);
      auto& [done, total] = most[step];
      EXPECT_LE(p.done, p.total == 0 ? 0 : p.total) << step;
      done = std::max(done, p.done);
      total = p.total;
      units[step] = p.unit;
    };
  }
};

TEST(Archive, VerifyAndReindexSayHowFarTheyHaveGot) {
  TempDir tmp;
  uint64_t bytes = 0;
  for (int i = 0; i < 20; ++i) {
    std::string text(1000 + i, static_cast<char>('a' + i));
    bytes += text.size();
    WriteTestFile(tmp.Join("in/f" + std::to_string(i)), text);
  }
  auto a = MakeArchive(tmp.Join("ar"));
  AddAll(*a, tmp.Join("in"), 3);
  const uint64_t entries = a->log().size();

  ProgressLog verify;
  auto report = a->Verify("", 2, verify.fn());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->problems.empty());
  const std::string tiles = "checking the log's tiles";
  const std::string reading = "reading the log, rebuilding the catalogue";
  EXPECT_EQ(verify.steps, (std::vector<std::string>{tiles, reading, "comparing the catalogue",
                                                    "checking blobs"}));
  EXPECT_EQ(verify.most[tiles], std::make_pair(entries, entries));
  EXPECT_EQ(verify.most[reading], std::make_pair(entries, entries));
  EXPECT_EQ(verify.units[reading], "entries");
  EXPECT_EQ(verify.most["checking blobs"], std::make_pair(bytes, bytes));
  EXPECT_EQ(verify.units["checking blobs"], "bytes");

  ProgressLog reindex;
  ASSERT_TRUE(a->Reindex(reindex.fn()).ok());
  const std::string rebuilding = "rebuilding the catalogue from the log";
  EXPECT_EQ(reindex.steps, (std::vector<std::string>{rebuilding, "merging the search index"}));
  EXPECT_EQ(reindex.most[rebuilding], std::make_pair(entries, entries));
  EXPECT_EQ(*a->catalog().ItemCount(), 20u);
}

TEST(Archive, VerifyListsDamagedBlobsInTheSameOrderEachRun) {
  TempDir tmp;
  for (int i = 0; i < 40; ++i) {
    WriteTestFile(tmp.Join("in/f" + std::to_string(i)), "bytes of file " + std::to_string(i));
  }
  auto a = MakeArchive(tmp.Join("ar"));
  Collected c = AddAll(*a, tmp.Join("in"));
  ASSERT_EQ(c.added.size(), 40u);
  for (size_t k = 0; k < c.added.size(); k += 2) {
    ASSERT_EQ(::unlink(a->blobs().PathOf(c.added[k].sha256).c_str()), 0);
  }
  std::vector<std::string> first;
  for (int run = 0; run < 3; ++run) {
    auto report = a->Verify("", 4, nullptr);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    std::vector<std::string> files;
    for (const Problem& p : report->problems) {
      EXPECT_EQ(p.what, "blob is missing");
      files.push_back(p.file);
    }
    ASSERT_EQ(files.size(), 20u);
    EXPECT_TRUE(std::is_sorted(files.begin(), files.end()));
    if (run == 0) first = files;
    EXPECT_EQ(files, first);
  }
}

TEST(Archive, ReindexRebuildsTheSameCatalogue) {
  TempDir tmp;
  for (int i = 0; i < 30; ++i)
    WriteTestFile(tmp.Join("in/f" + std::to_string(i)), "file " + std::to_string(i % 20));
  auto a = MakeArchive(tmp.Join("ar"));
  Collected c = AddAll(*a, tmp.Join("in"), 7);
  ASSERT_TRUE(a->AddNote(c.added[0].id, "seen by two analysts").ok());
  auto before = a->catalog().Fingerprint();
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(a->Reindex().ok());
  auto after = a->catalog().Fingerprint();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*before, *after);
  EXPECT_EQ(*a->catalog().ItemCount(), 20u);
}

TEST(Archive, SecondWriterIsRefusedNamingTheLock) {
  TempDir tmp;
  auto a = MakeArchive(tmp.Join("ar"));
  auto b = Archive::Open(tmp.Join("ar"), Mode::kWrite, TestOptions());
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), core::Code::kLocked);
  EXPECT_NE(b.status().message().find("/lock"), std::string::npos) << b.status().message();
  // A reader is still welcome.
  EXPECT_TRUE(Archive::Open(tmp.Join("ar"), Mode::kRead, TestOptions()).ok());
}

// An older signed checkpoint put back in place: refused for writing (the next
// append would sign a second tree of a size the key signed already) and
// flagged by verify, also when the newer history file is removed too, and when
// the catalogue (derived, and ahead of the log) is deleted as well: the entry
// bundle of the larger tree still tells.
TEST(Archive, ARolledBackLogIsRefusedForWritingAndFlaggedByVerify) {
  TempDir tmp;
  WriteTestFile(tmp.Join("in1/a.txt"), "first");
  WriteTestFile(tmp.Join("in2/b.txt"), "second");
  for (int variant = 0; variant < 3; ++variant) {
    SCOPED_TRACE("variant " + std::to_string(variant));
    std::string dir = tmp.Join("ar" + std::to_string(variant));
    uint64_t old_size = 0, new_size = 0;
    {
      auto a = MakeArchive(dir);
      AddRequest req;
      req.paths = {tmp.Join("in1")};
      Collected c;
      ASSERT_TRUE(a->Add(req, c.callbacks()).ok());
      old_size = a->log().size();
      req.paths = {tmp.Join("in2")};
      ASSERT_TRUE(a->Add(req, c.callbacks()).ok());
      new_size = a->log().size();
    }
    // Someone puts an older signed checkpoint back in place.
    fs::copy_file(dir + "/checkpoints/" + std::to_string(old_size), dir + "/log/checkpoint",
                  fs::copy_options::overwrite_existing);
    if (variant >= 1) fs::remove(dir + "/checkpoints/" + std::to_string(new_size));
    if (variant >= 2) {
      for (const char* f : {"/catalog.sqlite", "/catalog.sqlite-wal", "/catalog.sqlite-shm"})
        fs::remove(dir + f);
    }
    auto w = Archive::Open(dir, Mode::kWrite, TestOptions());
    ASSERT_FALSE(w.ok());
    EXPECT_EQ(w.status().code(), core::Code::kIntegrity);
    EXPECT_NE(w.status().message().find("rolled back"), std::string::npos) << w.status().message();
    auto r = Archive::Open(dir, Mode::kRead, TestOptions());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto report = (*r)->Verify("", 1, nullptr);
    ASSERT_TRUE(report.ok());
    std::string problems;
    for (const auto& p : report->problems) problems += p.file + ": " + p.what + "\n";
    EXPECT_NE(problems.find("rolled back"), std::string::npos) << problems;
  }
}

TEST(Archive, InitRefusesANonEmptyFolder) {
  TempDir tmp;
  WriteTestFile(tmp.Join("ar/something"), "x");
  auto a = Archive::Init(tmp.Join("ar"), "x.example/a", TestOptions());
  EXPECT_EQ(a.status().code(), core::Code::kAlreadyExists);
  struct stat st {};
  auto ok = MakeArchive(tmp.Join("ar2"));
  ASSERT_EQ(::stat(tmp.Join("ar2/keys/log.skey").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the signing key must be private";
}

TEST(Archive, SymlinksAreNotFollowedByDefaultAndLoopsNever) {
  TempDir tmp;
  WriteTestFile(tmp.Join("in/real.txt"), "real");
  WriteTestFile(tmp.Join("outside/secret.txt"), "outside the tree");
  ASSERT_EQ(::symlink("..", tmp.Join("in/loop").c_str()), 0);
  ASSERT_EQ(::symlink(tmp.Join("outside/secret.txt").c_str(), tmp.Join("in/out-link").c_str()), 0);
  ASSERT_EQ(::mkfifo(tmp.Join("in/pipe").c_str(), 0644), 0);
  auto a = MakeArchive(tmp.Join("ar"));
  AddRequest req;
  req.paths = {tmp.Join("in")};
  Collected c;
  auto sum = a->Add(req, c.callbacks());
  ASSERT_TRUE(sum.ok());
  ASSERT_EQ(c.added.size(), 1u);
  EXPECT_EQ(c.added[0].name, "real.txt");
  ASSERT_EQ(c.skipped.size(), 3u);
  for (const auto& [path, why] : c.skipped) {
    if (path.ends_with("pipe")) {
      EXPECT_NE(why.message().find("not a regular file"), std::string::npos);
    } else {
      EXPECT_NE(why.message().find("symbolic link"), std::string::npos) << path;
      EXPECT_NE(why.message().find("--follow-symlinks"), std::string::npos);
    }
  }
  // Following links: the loop is still refused; the file outside is added.
  req.follow_symlinks = true;
  Collected c2;
  ASSERT_TRUE(a->Add(req, c2.callbacks()).ok());
  bool saw_loop = false;
  for (const auto& [path, why] : c2.skipped)
    saw_loop |= why.message().find("loop") != std::string::npos;
  EXPECT_TRUE(saw_loop);
  // Recorded where it was found, with what the link leads to.
  bool saw_secret = false;
  for (const auto& f : c2.added) {
    saw_secret |=
        f.path == tmp.Join("in/out-link") && f.link_target == tmp.Join("outside/secret.txt");
  }
  EXPECT_TRUE(saw_secret);
}

// A followed link is a sighting of its own: its place in the tree, and the file
// it led to (the bytes read). A link to a file the same add reads by its own path
// is a second source, not merged away; the same link added again records nothing.
TEST(Archive, AFollowedLinkIsRecordedWhereItWasFoundWithItsTarget) {
  TempDir tmp;
  WriteTestFile(tmp.Join("dump/DCIM/IMG_1.jpg"), "picture bytes");
  ASSERT_EQ(::mkdir(tmp.Join("dump/Latest").c_str(), 0755), 0);
  ASSERT_EQ(::symlink("../DCIM/IMG_1.jpg", tmp.Join("dump/Latest/latest.jpg").c_str()), 0);
  auto a = MakeArchive(tmp.Join("ar"));
  AddRequest req;
  req.paths = {tmp.Join("dump")};
  req.follow_symlinks = true;
  Collected c;
  ASSERT_TRUE(a->Add(req, c.callbacks()).ok());
  ASSERT_EQ(c.added.size(), 2u);
  const std::string id = c.added[0].id;
  auto sources = a->catalog().Sources(id);
  ASSERT_TRUE(sources.ok()) << sources.status().ToString();
  ASSERT_EQ(sources->size(), 2u);
  EXPECT_EQ((*sources)[0].path, tmp.Join("dump/DCIM/IMG_1.jpg"));
  EXPECT_EQ((*sources)[0].link_target, "");
  EXPECT_EQ((*sources)[1].name, "latest.jpg");
  EXPECT_EQ((*sources)[1].path, tmp.Join("dump/Latest/latest.jpg"));
  EXPECT_EQ((*sources)[1].link_target, tmp.Join("dump/DCIM/IMG_1.jpg"));

  // The same again: nothing new. The link pointed elsewhere: recorded anew.
  Collected again;
  ASSERT_TRUE(a->Add(req, again.callbacks()).ok());
  ASSERT_EQ(again.added.size(), 2u);
  for (const auto& f : again.added) EXPECT_TRUE(f.already_recorded) << f.path;
  WriteTestFile(tmp.Join("dump/DCIM/IMG_2.jpg"), "picture bytes");
  ASSERT_EQ(::unlink(tmp.Join("dump/Latest/latest.jpg").c_str()), 0);
  ASSERT_EQ(::symlink("../DCIM/IMG_2.jpg", tmp.Join("dump/Latest/latest.jpg").c_str()), 0);
  req.paths = {tmp.Join("dump/Latest")};
  Collected moved;
  ASSERT_TRUE(a->Add(req, moved.callbacks()).ok());
  ASSERT_EQ(moved.added.size(), 1u);
  EXPECT_FALSE(moved.added[0].already_recorded);
  EXPECT_EQ(moved.added[0].link_target, tmp.Join("dump/DCIM/IMG_2.jpg"));
  a.reset();
  ExpectClean(tmp.Join("ar"));
}

// A file reached through a followed folder link is recorded at its place in the
// tree too, with the file its bytes were read from; a folder given by a path
// whose parents are links (as /tmp may be) is not "followed" and records none.
TEST(Archive, AFileInAFollowedFolderLinkIsRecordedWithWhereItLies) {
  TempDir tmp;
  WriteTestFile(tmp.Join("dump/DCIM/IMG_1.jpg"), "picture bytes");
  WriteTestFile(tmp.Join("dump/DCIM/sub/IMG_3.jpg"), "more picture bytes");
  ASSERT_EQ(::symlink("DCIM", tmp.Join("dump/Album").c_str()), 0);
  auto a = MakeArchive(tmp.Join("ar"));
  AddRequest req;
  req.paths = {tmp.Join("dump/Album")};
  req.follow_symlinks = true;
  Collected c;
  ASSERT_TRUE(a->Add(req, c.callbacks()).ok());
  ASSERT_EQ(c.added.size(), 2u);
  EXPECT_EQ(c.added[0].path, tmp.Join("dump/Album/IMG_1.jpg"));
  EXPECT_EQ(c.added[0].link_target, tmp.Join("dump/DCIM/IMG_1.jpg"));
  EXPECT_EQ(c.added[1].path, tmp.Join("dump/Album/sub/IMG_3.jpg"));
  EXPECT_EQ(c.added[1].link_target, tmp.Join("dump/DCIM/sub/IMG_3.jpg"));
  auto sources = a->catalog().Sources(c.added[0].id);
  ASSERT_TRUE(sources.ok()) << sources.status().ToString();
  ASSERT_EQ(sources->size(), 1u);
  EXPECT_EQ((*sources)[0].link_target, tmp.Join("dump/DCIM/IMG_1.jpg"));
  // By their own folder: the same items, arrived by another path, with no link.
  req.paths = {tmp.Join("dump/DCIM")};
  Collected own;
  ASSERT_TRUE(a->Add(req, own.callbacks()).ok());
  ASSERT_EQ(own.added.size(), 2u);
  for (const auto& f : own.added) {
    EXPECT_EQ(f.link_target, "") << f.path;
    EXPECT_FALSE(f.already_recorded) << f.path;
  }
  a.reset();
  ExpectClean(tmp.Join("ar"));
}

// A file named twice in one add (twice over, or with its folder) arrives once;
// "link/../f" is the file the kernel opens there, not the one beside the link.
TEST(Archive, APathIsTheFileTheKernelOpensAndArrivesOnce) {
  TempDir tmp;
  auto a = MakeArchive(tmp.Join("ar"));
  WriteTestFile(tmp.Join("in/f1"), "one");
  WriteTestFile(tmp.Join("in/f2"), "two");
  WriteTestFile(tmp.Join("elsewhere/sub/x"), "beside the link's target");
  WriteTestFile(tmp.Join("elsewhere/f"), "the file behind the link");
  WriteTestFile(tmp.Join("in/f"), "the file beside the link");
  fs::create_symlink(tmp.Join("elsewhere/sub"), tmp.Join("in/link"));
  AddRequest req;
  req.paths = {tmp.Join("in/f1"), tmp.Join("in/f1"), tmp.Join("in")};
  Collected c;
  ASSERT_TRUE(a->Add(req, c.callbacks()).ok());
  size_t f1 = 0;
  for (const AddedFile& f : c.added) f1 += f.path == tmp.Join("in/f1");
  EXPECT_EQ(f1, 1u);
  EXPECT_EQ(c.added.size(), 3u);  // f, f1, f2; the link is not followed
  req.paths = {tmp.Join("in/link/../f")};
  Collected through;
  ASSERT_TRUE(a->Add(req, through.callbacks()).ok());
  ASSERT_EQ(through.added.size(), 1u);
  EXPECT_EQ(through.added[0].sha256, core::Sha256Of("the file behind the link"));
}

TEST(Archive, NamesThatAreNotUtf8AreKeptExactly) {
  TempDir tmp;
  std::string latin1 = tmp.Join("in/caf\xe9 \xab\xe4l-\xe7\xe3\xf1.txt");  // ISO-8859-1 bytes
  WriteTestFile(latin1, "a statement from an old drive");
  auto a = MakeArchive(tmp.Join("ar"));
  AddRequest req;
  req.paths = {tmp.Join("in")};
  Collected c;
  ASSERT_TRUE(a->Add(req, c.callbacks()).ok());
  ASSERT_EQ(c.added.size(), 1u) << (c.skipped.empty() ? "" : c.skipped[0].second.ToString());
  EXPECT_TRUE(core::IsValidUtf8(c.added[0].name));
  EXPECT_NE(c.added[0].name.find("\xEF\xBF\xBD"), std::string::npos)
      << "U+FFFD marks the odd bytes";
  auto entry = catalog::ParseEntry(*a->log().Entry(c.added[0].leaf_index));
  ASSERT_TRUE(entry.ok()) << entry.status().ToString();
  EXPECT_EQ(*core::Base64Decode((*entry)["path_b64"].get<std::string>()), latin1);
  a.reset();
  ExpectClean(tmp.Join("ar"));
}

TEST(Archive, NeverIngestsItselfEvenByAnotherPath) {
  TempDir tmp;
  WriteTestFile(tmp.Join("data/evidence.txt"), "evidence");
  auto a = Archive::Init(tmp.Join("data/ar"), "test.isnad.example/archive", TestOptions());
  ASSERT_TRUE(a.ok());
  a->reset();
  ASSERT_EQ(::symlink(tmp.Join("data/ar").c_str(), tmp.Join("arlink").c_str()), 0);
  auto b = Archive::Open(tmp.Join("arlink"), Mode::kWrite, TestOptions());
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  AddRequest req;
  req.paths = {tmp.Join("data")};
  Collected c;
  ASSERT_TRUE((*b)->Add(req, c.callbacks()).ok());
  ASSERT_EQ(c.added.size(), 1u) << "only evidence.txt; never the archive's own files or key";
  EXPECT_EQ(c.added[0].name, "evidence.txt");
}

// A folder reached through a link (/data -> /mnt/disk1) is a folder: an
// archive is made inside it, or in it when it is an empty folder; a link to a
// file, or to nothing, is still refused.
TEST(Archive, InitThroughALinkedFolder) {
  TempDir tmp;
  fs::create_directories(tmp.Join("disk/empty"));
  ASSERT_EQ(::symlink(tmp.Join("disk").c_str(), tmp.Join("data").c_str()), 0);
  ASSERT_EQ(::symlink(tmp.Join("disk/empty").c_str(), tmp.Join("empty-link").c_str()), 0);
  for (const std::string& dir : {tmp.Join("data/cases/ar"), tmp.Join("empty-link")}) {
    SCOPED_TRACE(dir);
    auto a = Archive::Init(dir, "test.isnad.example/archive", TestOptions());
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    a->reset();
    ExpectClean(dir);
  }
  EXPECT_TRUE(fs::exists(tmp.Join("disk/cases/ar/keys/log.vkey")));
  EXPECT_TRUE(fs::exists(tmp.Join("disk/empty/keys/log.vkey")));
  {
    // Opened through the link, the archive is the folder behind it, so a
    // folder made later inside it (a capture's spool) is made, not refused.
    auto b = Archive::Open(tmp.Join("empty-link"), Mode::kWrite, TestOptions());
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    EXPECT_EQ((*b)->layout().root, fs::canonical(tmp.Join("disk/empty")).string());
    const std::string spool = core::JoinPath((*b)->layout().root, "tmp/spool");
    EXPECT_TRUE(core::CreateDirs(core::Env::Default(), spool).ok());
    EXPECT_TRUE(fs::is_directory(spool));
  }
  WriteTestFile(tmp.Join("disk/file"), "not a folder");
  ASSERT_EQ(::symlink(tmp.Join("disk/file").c_str(), tmp.Join("file-link").c_str()), 0);
  ASSERT_EQ(::symlink(tmp.Join("nowhere").c_str(), tmp.Join("dangling").c_str()), 0);
  for (const std::string& dir : {tmp.Join("file-link"), tmp.Join("file-link/ar"),
                                 tmp.Join("dangling"), tmp.Join("dangling/ar")}) {
    SCOPED_TRACE(dir);
    auto a = Archive::Init(dir, "test.isnad.example/archive", TestOptions());
    ASSERT_FALSE(a.ok());
    EXPECT_NE(a.status().message().find("is not a folder"), std::string::npos)
        << a.status().message();
  }
  EXPECT_FALSE(fs::exists(tmp.Join("nowhere")));
}

// The archive's folders reached through a symlinked folder above them (no link
// followed in the tree itself), or through links that are followed: its key,
// log and blobs are never added.
TEST(Archive, NeverIngestsItsOwnFilesThroughALinkedParentOrFollowedLinks) {
  TempDir tmp;
  WriteTestFile(tmp.Join("al/evidence.txt"), "evidence");
  WriteTestFile(tmp.Join("tree/real.txt"), "real");
  auto a = MakeArchive(tmp.Join("al/ar"));
  ASSERT_EQ(::symlink(tmp.Join("al").c_str(), tmp.Join("alias").c_str()), 0);
  for (const char* sub : {"keys", "log", "objects"}) {
    ASSERT_EQ(::symlink(tmp.Join(std::string("al/ar/") + sub).c_str(),
                        tmp.Join(std::string("tree/") + sub).c_str()),
              0);
  }
  AddRequest req;
  req.paths = {tmp.Join("alias/ar/keys"), tmp.Join("alias/ar/keys/log.skey"), tmp.Join("alias/ar")};
  Collected c;
  ASSERT_TRUE(a->Add(req, c.callbacks()).ok());
  EXPECT_TRUE(c.added.empty()) << c.added[0].path;
  ASSERT_EQ(c.skipped.size(), 3u);
  for (const auto& [path, why] : c.skipped) {
    EXPECT_NE(why.message().find("archive itself"), std::string::npos)
        << path << ": " << why.ToString();
  }

  req.paths = {tmp.Join("tree"), tmp.Join("alias")};
  req.follow_symlinks = true;
  Collected c2;
  ASSERT_TRUE(a->Add(req, c2.callbacks()).ok());
  std::vector<std::string> names;
  for (const auto& f : c2.added) names.push_back(f.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"evidence.txt", "real.txt"}));
  a.reset();
  ExpectClean(tmp.Join("al/ar"));
}

TEST(Archive, LongNotesGoToABlobAndNoEntryExceedsTheLimit) {
  TempDir tmp;
  WriteTestFile(tmp.Join("in/a.txt"), "a");
  auto a = MakeArchive(tmp.Join("ar"));
  AddRequest req;
  req.paths = {tmp.Join("in/a.txt")};
  req.note = std::string(200000, 'n');
  Collected c;
  ASSERT_TRUE(a->Add(req, c.callbacks()).ok());
  ASSERT_EQ(c.added.size(), 1u);
  auto notes = a->catalog().Notes(c.added[0].id);
  ASSERT_TRUE(notes.ok());
  ASSERT_EQ(notes->size(), 1u);
  ASSERT_TRUE((*notes)[0].text_sha256.has_value());
  EXPECT_EQ(*(*notes)[0].text_sha256, core::Sha256Of(req.note));
  for (uint64_t i = 0; i < a->log().size(); ++i)
    EXPECT_LE(a->log().Entry(i)->size(), tlog::kMaxEntrySize);
  a.reset();
  ExpectClean(tmp.Join("ar"));
}

// Failure injection at the Env seam: whatever operation fails, the add stops or
// skips with a clear error, every acknowledged item survives, and the archive
// verifies clean afterwards.
TEST(Archive, InjectedFailuresNeverLoseAcknowledgedItems) {
  for (int kind = 0; kind < 4; ++kind) {
    for (int n = 1; n <= 12; n += 1) {
      SCOPED_TRACE("kind " + std::to_string(kind) + " at " + std::to_string(n));
      TempDir tmp;
      for (int i = 0; i < 6; ++i)
        WriteTestFile(tmp.Join("in/f" + std::to_string(i)), std::string(1000 + i, 'a' + i));
      MakeArchive(tmp.Join("ar"));
      core::testing::FaultInjectionEnv env(core::Env::Default());
      std::vector<AddedFile> acknowledged;
      {
        auto a = Archive::Open(tmp.Join("ar"), Mode::kWrite, TestOptions(&env));
        ASSERT_TRUE(a.ok()) << a.status().ToString();
        switch (kind) {
          case 0:
            env.fail_write_at = env.writes + n;
            break;
          case 1:
            env.fail_sync_at = env.syncs + n;
            break;
          case 2:
            env.fail_rename_at = env.renames + n;
            break;
          case 3:
            env.disk_bytes_left = 900 * n;
            break;
        }
        AddRequest req;
        req.paths = {tmp.Join("in")};
        req.batch_files = 2;
        req.jobs = 1;
        Collected c;
        auto sum = (*a)->Add(req, c.callbacks());
        if (!sum.ok()) {
          EXPECT_FALSE(sum.status().message().empty());
          if (kind == 3) {
            EXPECT_EQ(sum.status().code(), core::Code::kResourceExhausted)
                << sum.status().ToString();
          }
        }
        for (const auto& [p, why] : c.skipped) EXPECT_FALSE(why.message().empty()) << p;
        acknowledged = c.added;
      }
      ExpectClean(tmp.Join("ar"));
      auto a = Archive::Open(tmp.Join("ar"), Mode::kWrite, TestOptions());
      ASSERT_TRUE(a.ok()) << a.status().ToString();
      for (const auto& f : acknowledged) {
        auto p = (*a)->Prove(f.id);
        ASSERT_TRUE(p.ok()) << f.id << ": " << p.status().ToString();
        EXPECT_TRUE((*a)->blobs().Contains(f.sha256));
      }
      // And the archive keeps working: the same files can be added now.
      AddRequest req;
      req.paths = {tmp.Join("in")};
      Collected c;
      ASSERT_TRUE((*a)->Add(req, c.callbacks()).ok());
      EXPECT_EQ(c.added.size(), 6u);
      a->reset();
      ExpectClean(tmp.Join("ar"));
    }
  }
}

// A failing archive disk (every write to it fails: read-only, I/O errors) is
// the archive's problem, not the evidence's: the add stops at the first file
// with an I/O error, rather than skipping every file in turn as unreadable.
TEST(Archive, AFailingArchiveDiskStopsTheAddInsteadOfSkippingEachFile) {
  TempDir tmp;
  for (int i = 0; i < 5; ++i)
    WriteTestFile(tmp.Join("in/f" + std::to_string(i)), std::string(1000 + i, 'a' + i));
  MakeArchive(tmp.Join("ar"));
  core::testing::FaultInjectionEnv env(core::Env::Default());
  {
    auto a = Archive::Open(tmp.Join("ar"), Mode::kWrite, TestOptions(&env));
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    env.sticky = true;
    env.fail_write_at = env.writes + 1;
    AddRequest req;
    req.paths = {tmp.Join("in")};
    req.jobs = 1;
    Collected c;
    auto sum = (*a)->Add(req, c.callbacks());
    ASSERT_FALSE(sum.ok());
    EXPECT_EQ(sum.status().code(), core::Code::kIoError) << sum.status().ToString();
    EXPECT_NE(sum.status().message().find("check the archive's disk"), std::string::npos)
        << sum.status().ToString();
    EXPECT_TRUE(c.skipped.empty()) << c.skipped[0].first << ": " << c.skipped[0].second.ToString();
    EXPECT_TRUE(c.added.empty());
  }
  ExpectClean(tmp.Join("ar"));
}

// A step after the log's commit that fails (here the copy of the checkpoint in
// checkpoints/, as on a full disk) does not make a recorded batch look unrecorded:
// every file of it is acknowledged, then the error says what is left to do.
TEST(Archive, ABatchCommittedBeforeAFailureIsStillAcknowledged) {
  TempDir tmp;
  for (int i = 0; i < 3; ++i)
    WriteTestFile(tmp.Join("in/f" + std::to_string(i)), std::string(1000 + i, 'a' + i));
  MakeArchive(tmp.Join("ar"));
  // The history copy of the batch's checkpoint cannot be written: no space there.
  core::testing::FaultInjectionEnv env(core::Env::Default());
  env.full_under = "/checkpoints/";
  {
    auto a = Archive::Open(tmp.Join("ar"), Mode::kWrite, TestOptions(&env));
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    AddRequest req;
    req.paths = {tmp.Join("in")};
    req.analyze = false;
    Collected c;
    auto sum = (*a)->Add(req, c.callbacks());
    ASSERT_FALSE(sum.ok());
    EXPECT_NE(sum.status().message().find("the entries are committed"), std::string::npos)
        << sum.status().ToString();
    EXPECT_EQ(c.added.size(), 3u) << "recorded in the log, so acknowledged";
    EXPECT_EQ((*a)->log().size(), 4u);
  }
  EXPECT_FALSE(fs::exists(tmp.Join("ar/checkpoints/4")));
  {
    // The next writer saves the missing history copy; the files are held once.
    auto a = Archive::Open(tmp.Join("ar"), Mode::kWrite, TestOptions());
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    EXPECT_TRUE(fs::exists(tmp.Join("ar/checkpoints/4")));
    auto n = (*a)->catalog().ItemCount();
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, 3u);
  }
  ExpectClean(tmp.Join("ar"));
}

// When the disk fills while a file is staged, the add stops, but a batch whose
// blobs were already being moved into place on their own thread is still
// recorded and acknowledged, as every batch before it.
TEST(Archive, FullDiskKeepsTheBatchAlreadyBeingStored) {
  TempDir tmp;
  uint64_t small_bytes = 0;
  for (int i = 0; i < 4; ++i) {
    WriteTestFile(tmp.Join("in/f" + std::to_string(i)), std::string(1000 + i, 'a' + i));
    small_bytes += 1000 + i;
  }
  WriteTestFile(tmp.Join("in/f4"), std::string(2 << 20, 'z'));  // does not fit
  MakeArchive(tmp.Join("ar"));
  core::testing::FaultInjectionEnv env(core::Env::Default());
  std::vector<AddedFile> acknowledged;
  std::atomic<size_t> acked{0};
  {
    auto a = Archive::Open(tmp.Join("ar"), Mode::kWrite, TestOptions(&env));
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    env.disk_bytes_left = 1 << 20;
    AddRequest req;
    req.paths = {tmp.Join("in")};
    req.batch_files = 2;
    req.jobs = 1;
    AddCallbacks cb;
    cb.on_added = [&](const AddedFile& f) {
      acknowledged.push_back(f);
      ++acked;
    };
    cb.on_progress = [&](uint64_t bytes, uint64_t files, uint64_t) {
      if (files == 4 && bytes > small_bytes) {
        // Reading f4: hold it until the first batch is recorded, which happens
        // once the second batch's blobs are being moved.
        for (int ms = 0; ms < 10000 && acked < 2; ++ms)
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (files == 5) env.disk_bytes_left = -1;  // the disk has room again for the log
    };
    auto sum = (*a)->Add(req, cb);
    ASSERT_FALSE(sum.ok());
    EXPECT_EQ(sum.status().code(), core::Code::kResourceExhausted) << sum.status().ToString();
  }
  ASSERT_EQ(acknowledged.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(acknowledged[i].name, "f" + std::to_string(i));
  ExpectClean(tmp.Join("ar"));
  auto a = Archive::Open(tmp.Join("ar"), Mode::kRead, TestOptions());
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(*(*a)->catalog().ItemCount(), 4u);
}

// Corruption of each kind of file is found and named.
class Corruption : public ::testing::TestWithParam<std::string> {};

void FlipByte(const std::string& path, size_t offset) {
  ::chmod(path.c_str(), 0644);
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x01));
}

TEST_P(Corruption, IsDetectedAndNamed) {
  TempDir tmp;
  WriteTestFile(tmp.Join("in/a.txt"), "evidence a");
  WriteTestFile(tmp.Join("in/b.txt"), "evidence b");
  std::string dir = tmp.Join("ar");
  {
    auto a = MakeArchive(dir);
    AddRequest req;
    req.paths = {tmp.Join("in")};
    Collected c;
    ASSERT_TRUE(a->Add(req, c.callbacks()).ok());
  }
  std::string blob = dir + "/objects/sha256/" + core::Sha256Of("evidence b").Hex().substr(0, 2) +
                     "/" + core::Sha256Of("evidence b").Hex().substr(2, 2) + "/" +
                     core::Sha256Of("evidence b").Hex();
  std::string expect_in_message;
  const std::string& what = GetParam();
  if (what == "blob byte") {
    FlipByte(blob, 3);
    expect_in_message = "objects/sha256/";
  } else if (what == "blob deleted") {
    ASSERT_EQ(::unlink(blob.c_str()), 0);
    expect_in_message = "missing";
  } else if (what == "entry bundle") {
    FlipByte(dir + "/log/tile/entries/000.p/3", 40);
    expect_in_message = "tile/entries/000.p/3";
  } else if (what == "hash tile") {
    FlipByte(dir + "/log/tile/0/000.p/3", 5);
    expect_in_message = "tile/0/000.p/3";
  } else if (what == "checkpoint") {
    FlipByte(dir + "/log/checkpoint", 30);
    expect_in_message = "checkpoint";
  }
  auto a = Archive::Open(dir, Mode::kAudit, TestOptions());
  if (!a.ok()) {
    // Only an unreadable checkpoint stops an audit at the door; it must say so.
    EXPECT_EQ(what, "checkpoint");
    EXPECT_EQ(a.status().code(), core::Code::kIntegrity) << a.status().ToString();
    EXPECT_NE(a.status().message().find(expect_in_message), std::string::npos)
        << a.status().message();
    return;
  }
  auto report = (*a)->Verify("", 2, nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_FALSE(report->problems.empty()) << what << " went unnoticed";
  bool named = false;
  for (const auto& p : report->problems) {
    named |= (p.file + " " + p.what).find(expect_in_message) != std::string::npos;
  }
  EXPECT_TRUE(named) << what << ": first problem: " << report->problems[0].file << ": "
                     << report->problems[0].what;
}

// A blob that cannot be opened (here through the Env seam, as permissions
// would, even for root) is one problem, marked unreadable: not called
// altered or missing, and the other blobs are still checked.
TEST(Archive, AnUnreadableBlobIsNotCheckedNotCalledDamaged) {
  TempDir tmp;
  WriteTestFile(tmp.Join("in/a.txt"), "statement one");
  WriteTestFile(tmp.Join("in/b.bin"), std::string(3 << 10, 'b'));
  {
    auto a = MakeArchive(tmp.Join("ar"));
    AddAll(*a, tmp.Join("in"));
  }
  const std::string hex = core::Sha256Of(std::string(3 << 10, 'b')).Hex();
  core::testing::FaultInjectionEnv env(core::Env::Default());
  env.unreadable = "/" + hex;
  auto a = Archive::Open(tmp.Join("ar"), Mode::kRead, TestOptions(&env));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto report = (*a)->Verify("", 2, nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->problems.size(), 1u);
  const Problem& p = report->problems[0];
  EXPECT_TRUE(p.unreadable);
  EXPECT_EQ(p.file, store::BlobStore::RelativePath(*core::Hash::FromHex(hex)));
  EXPECT_NE(p.what.find("not checked"), std::string::npos) << p.what;
  EXPECT_EQ(report->Unreadable(), 1u);
  EXPECT_EQ(report->blobs_checked, 2u);
}

INSTANTIATE_TEST_SUITE_P(EachKindOfFile, Corruption,
                         ::testing::Values("blob byte", "blob deleted", "entry bundle", "hash tile",
                                           "checkpoint"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n) {
                             if (ch == ' ') ch = '_';
                           }
                           return n;
                         });

// Adds three rounds of 100 files to the archive in `dir`: kept checkpoints at
// 1, 101, 201 and 301, inside and beyond the first full tile. `fork` makes
// the files differ from another call's.
void AddThreeRounds(TempDir& tmp, const std::string& dir, const std::string& fork = "") {
  auto a = Archive::Open(dir, Mode::kWrite, TestOptions());
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  for (int round = 0; round < 3; ++round) {
    std::string in = tmp.Join("in" + fork + std::to_string(round));
    for (int i = 0; i < 100; ++i) {
      WriteTestFile(in + "/f" + std::to_string(i),
                    fork + "round " + std::to_string(round) + " file " + std::to_string(i));
    }
    AddAll(**a, in);
  }
  EXPECT_EQ((*a)->log().size(), 301u);
}

std::string ArchiveOverAFullTile(TempDir& tmp) {
  std::string dir = tmp.Join("ar");
  MakeArchive(dir);
  AddThreeRounds(tmp, dir);
  return dir;
}

// Flips a byte in the middle of entry `index` (< 256) in log/tile/entries/000.
void ChangeEntryInTheFullBundle(const std::string& dir, uint64_t index) {
  auto a = Archive::Open(dir, Mode::kRead, TestOptions());
  ASSERT_TRUE(a.ok());
  auto e = (*a)->log().Entry(index);
  ASSERT_TRUE(e.ok());
  std::ifstream in(dir + "/log/tile/entries/000", std::ios::binary);
  std::string bundle((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t at = bundle.find(*e);
  ASSERT_NE(at, std::string::npos);
  FlipByte(dir + "/log/tile/entries/000", at + e->size() / 2);
}

// Two archives of one key whose trees part after entry 0 (a fork: the key
// signed both), 301 entries each.
void MakeForkedArchives(TempDir& tmp, const std::string& dir, const std::string& other) {
  MakeArchive(dir);
  fs::copy(dir, other, fs::copy_options::recursive);
  AddThreeRounds(tmp, dir);
  AddThreeRounds(tmp, other, "fork ");
}

// Verify's problems, one "file: what" line each.
std::string ProblemText(const std::string& dir) {
  auto a = Archive::Open(dir, Mode::kAudit, TestOptions());
  EXPECT_TRUE(a.ok()) << a.status().ToString();
  if (!a.ok()) return "";
  auto report = (*a)->Verify("", 2, nullptr);
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  std::string text;
  if (report.ok()) {
    for (const auto& p : report->problems) text += p.file + ": " + p.what + "\n";
  }
  return text;
}

// The lines of `text` that hold `what`.
size_t CountHolding(const std::string& text, const std::string& what) {
  size_t n = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) n += line.find(what) != std::string::npos;
  return n;
}

// A damaged hash tile is derived data: verify names it, and neither the kept
// checkpoints nor the catalogue (whose roots the tile would have given) are
// blamed; the entries are intact.
TEST(Archive, ADamagedFullHashTileIsNamedWithoutBlamingTheHistory) {
  TempDir tmp;
  const std::string dir = ArchiveOverAFullTile(tmp);
  FlipByte(dir + "/log/tile/0/000", 100);
  const std::string all = ProblemText(dir);
  EXPECT_EQ(CountHolding(all, "tile/0/000"), 1u) << all;
  EXPECT_EQ(CountHolding(all, "checkpoints/"), 0u) << all;
  EXPECT_EQ(CountHolding(all, "catalog.sqlite"), 0u) << all;
}

// The newest hash tile damaged (derived data): verify still reads the newest
// entries and rehashes their blobs, so an exhibit altered there is named too.
TEST(Archive, ADamagedNewestHashTileLeavesTheNewestBlobsChecked) {
  TempDir tmp;
  const std::string dir = ArchiveOverAFullTile(tmp);
  std::string blob;
  {
    auto a = Archive::Open(dir, Mode::kRead, TestOptions());
    ASSERT_TRUE(a.ok());
    auto r = (*a)->Resolve("i280");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    blob = store::BlobStore::RelativePath(r->sha256);
  }
  fs::permissions(dir + "/" + blob, fs::perms::owner_write, fs::perm_options::add);
  WriteTestFile(dir + "/" + blob, "altered");
  FlipByte(dir + "/log/tile/0/001.p/45", 5);
  const std::string all = ProblemText(dir);
  EXPECT_EQ(CountHolding(all, blob + ": blob has been altered"), 1u) << all;
  EXPECT_GE(CountHolding(all, "tile/0/001.p/45"), 1u) << all;
  EXPECT_EQ(CountHolding(all, "cannot read the entries"), 0u) << all;
  EXPECT_EQ(CountHolding(all, "run `isnad verify`"), 0u) << all;
}

// A changed entry makes every later kept checkpoint differ: one line says
// where, one how many more, not a line per checkpoint.
TEST(Archive, AChangedEntryIsPlacedBetweenKeptCheckpointsInTwoLines) {
  TempDir tmp;
  const std::string dir = ArchiveOverAFullTile(tmp);
  // Entry 150 rewritten in the full bundle, its tile and the newer checkpoints left alone.
  ChangeEntryInTheFullBundle(dir, 150);
  const std::string all = ProblemText(dir);
  EXPECT_GE(CountHolding(all, "tile/entries/000"), 1u) << all;
  EXPECT_EQ(CountHolding(all, "one or more of entries 101 to 200 were changed"), 1u) << all;
  EXPECT_EQ(CountHolding(all, "checkpoints/201: root differs"), 1u) << all;
  EXPECT_EQ(CountHolding(all, "checkpoints/301: and 1 more kept checkpoints"), 1u) << all;
}

// Two signed trees of the same sizes (a fork: the key signed both): kept
// checkpoints of the other tree at 101 and 301, while 201 is this one's, are
// two separate findings, each with its own range of entries.
TEST(Archive, ForkedHistoryFilesAreEachPlacedBetweenMatchingOnes) {
  TempDir tmp;
  const std::string dir = tmp.Join("ar"), other = tmp.Join("fork");
  MakeForkedArchives(tmp, dir, other);
  for (const char* size : {"101", "301"}) {
    fs::copy_file(other + "/checkpoints/" + size, dir + "/checkpoints/" + size,
                  fs::copy_options::overwrite_existing);
  }
  const std::string all = ProblemText(dir);
  EXPECT_EQ(CountHolding(all, "checkpoints/101: root differs"), 1u) << all;
  EXPECT_EQ(CountHolding(all, "entries 1 to 100 were changed"), 1u) << all;
  EXPECT_EQ(CountHolding(all, "checkpoints/301: root differs"), 1u) << all;
  EXPECT_EQ(CountHolding(all, "entries 201 to 300 were changed"), 1u) << all;
  EXPECT_EQ(CountHolding(all, "more kept checkpoints"), 0u) << all;
  EXPECT_EQ(CountHolding(all, "checkpoints/201"), 0u) << all;
}

// Bytes stored without an entry (an add or capture stopped between storing and
// recording) are listed by reclaim, and removed only when asked; every blob an
// entry names stays, whatever kind of entry names it.
TEST(Archive, ReclaimRemovesOnlyTheBlobsNoEntryNames) {
  TempDir tmp;
  const std::string dir = tmp.Join("ar");
  core::Hash orphan;
  {
    auto a = MakeArchive(dir);
    WriteTestFile(tmp.Join("in/v.mp4"), "a video");
    AddAll(*a, tmp.Join("in"));
    ASSERT_TRUE(a->AddNote("i1", std::string(20000, 'n')).ok());  // a long note: its own blob
    auto h = a->StoreBytes("stored, never recorded");
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    orphan = *h;
  }
  auto blobs_before = [&] {
    auto a = Archive::Open(dir, Mode::kRead, TestOptions());
    EXPECT_TRUE(a.ok());
    return *(*a)->blobs().List();
  }();
  ASSERT_EQ(blobs_before.size(), 3u);
  {
    auto a = Archive::Open(dir, Mode::kRead, TestOptions());
    ASSERT_TRUE(a.ok());
    EXPECT_EQ((*a)->Reclaim(false).status().code(), core::Code::kFailedPrecondition);
  }
  auto a = Archive::Open(dir, Mode::kRebuild, TestOptions());
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto listed = (*a)->Reclaim(false);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].sha256, orphan);
  EXPECT_EQ((*listed)[0].size_bytes, 22u);
  EXPECT_FALSE((*listed)[0].removed);
  EXPECT_TRUE((*a)->blobs().Contains(orphan));
  auto removed = (*a)->Reclaim(true);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  ASSERT_EQ(removed->size(), 1u);
  EXPECT_TRUE((*removed)[0].removed);
  EXPECT_FALSE((*a)->blobs().Contains(orphan));
  EXPECT_EQ((*a)->blobs().List()->size(), 2u);
  auto again = (*a)->Reclaim(true);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  a->reset();
  ExpectClean(dir);
}

// log/ and checkpoints/ restored together from an older copy leave nothing in
// them to show it, but the catalogue remembers the longer history: reclaim
// refuses, and the newer exhibit's bytes stay.
TEST(Archive, ReclaimRefusesALogRolledBackWithItsHistory) {
  TempDir tmp;
  const std::string dir = tmp.Join("ar");
  {
    auto a = MakeArchive(dir);
    WriteTestFile(tmp.Join("in1/a.mp4"), "the first video");
    AddAll(*a, tmp.Join("in1"));
  }
  const std::string old = tmp.Join("old");
  fs::create_directories(old);
  fs::copy(dir + "/log", old + "/log", fs::copy_options::recursive);
  fs::copy(dir + "/checkpoints", old + "/checkpoints", fs::copy_options::recursive);
  core::Hash newer;
  {
    auto a = Archive::Open(dir, Mode::kWrite, TestOptions());
    ASSERT_TRUE(a.ok());
    WriteTestFile(tmp.Join("in2/b.mp4"), "the second video");
    Collected c = AddAll(**a, tmp.Join("in2"));
    ASSERT_EQ(c.added.size(), 1u);
    newer = c.added[0].sha256;
  }
  for (const char* part : {"/log", "/checkpoints"}) {
    for (const auto& e : fs::recursive_directory_iterator(dir + part)) {
      fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
    }
    fs::remove_all(dir + part);
    fs::copy(old + part, dir + part, fs::copy_options::recursive);
  }
  auto a = Archive::Open(dir, Mode::kRebuild, TestOptions());
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto r = (*a)->Reclaim(true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::Code::kIntegrity);
  EXPECT_NE(r.status().message().find("rolled back"), std::string::npos) << r.status().message();
  EXPECT_TRUE((*a)->blobs().Contains(newer));
}

// While the log does not check, a blob that no entry seems to name may be the
// evidence of a changed or dropped entry: reclaim lists and removes nothing.
TEST(Archive, ReclaimRefusesWhileTheLogOrItsHistoryDoesNotCheck) {
  TempDir tmp;
  const std::string dir = tmp.Join("ar"), other = tmp.Join("fork");
  MakeForkedArchives(tmp, dir, other);
  core::Hash orphan;
  {
    auto a = Archive::Open(dir, Mode::kWrite, TestOptions());
    ASSERT_TRUE(a.ok());
    orphan = *(*a)->StoreBytes("stored, never recorded");
  }
  const std::string saved = tmp.Join("saved");
  fs::copy(dir, saved, fs::copy_options::recursive);
  auto refused = [&](const std::string& why) {
    auto a = Archive::Open(dir, Mode::kRebuild, TestOptions());
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    auto r = (*a)->Reclaim(true);
    ASSERT_FALSE(r.ok()) << why;
    EXPECT_EQ(r.status().code(), core::Code::kIntegrity) << why;
    EXPECT_NE(r.status().message().find("Nothing was listed or removed"), std::string::npos)
        << r.status().message();
    EXPECT_TRUE((*a)->blobs().Contains(orphan)) << why;
  };
  // A kept checkpoint of another tree signed by the key: the history was rewritten.
  fs::copy_file(other + "/checkpoints/101", dir + "/checkpoints/101",
                fs::copy_options::overwrite_existing);
  refused("a kept checkpoint of another tree");
  fs::remove_all(dir);
  fs::copy(saved, dir, fs::copy_options::recursive);
  // An entry changed in a full bundle (the log's edge still opens).
  ChangeEntryInTheFullBundle(dir, 150);
  refused("an entry changed");
}

}  // namespace
}  // namespace isnad::archive
