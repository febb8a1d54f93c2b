// The `isnad` command end to end, as a user or a script drives it: every
// command, its JSON Lines output, exit codes, and independent re-checking of
// what it prints (proofs verified here from the printed bytes alone).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "core/canonical_json.h"
#include "core/encoding.h"
#include "core/env.h"
#include "core/testing/temp_dir.h"
#include "log/checkpoint.h"
#include "log/merkle.h"
#include "log/note.h"
#include "store/blob_store.h"
#include "subprocess.h"

namespace isnad {
namespace {

using core::Json;
using core::testing::ReadTestFile;
using core::testing::TempDir;
using core::testing::WriteTestFile;
using testing::JsonLines;
using testing::RunProcess;
using testing::RunResult;
namespace fs = std::filesystem;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    archive_ = tmp_.Join("ar");
    WriteTestFile(tmp_.Join("in/video-1.mp4"), std::string(100000, 'v'));
    WriteTestFile(tmp_.Join("in/photos/p1.jpg"), "\xff\xd8\xff\xe0 not really a jpeg");
    WriteTestFile(tmp_.Join("in/photos/p1-copy.jpg"), "\xff\xd8\xff\xe0 not really a jpeg");
    ASSERT_EQ(isnad({"init", "--name", "test.example/ar"}).exit_code, 0);
  }
  RunResult isnad(std::vector<std::string> args) {
    args.insert(args.begin(), {testing::IsnadBinary(), "--archive", archive_});
    return RunProcess(args, {{"ISNAD_OPERATOR", "tester@test"}});
  }
  // Lets user nobody read the archive and the folders above it; for tests
  // that need root (to make them) and setpriv (to act as nobody).
  void ShareWithNobody() {
    for (fs::path p = archive_; p != p.root_path(); p = p.parent_path()) {
      fs::permissions(p, fs::perms::others_read | fs::perms::others_exec, fs::perm_options::add);
    }
    ASSERT_EQ(RunProcess({"/bin/chmod", "-R", "a+rX", archive_}).exit_code, 0);
    fs::remove(archive_ + "/catalog.sqlite-shm");
  }
  RunResult AsNobody(std::vector<std::string> args) {
    args.insert(args.begin(), {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                               "--clear-groups", testing::IsnadBinary(), "--archive", archive_});
    return RunProcess(args);
  }
  TempDir tmp_;
  std::string archive_;
};

TEST_F(Cli, AddJsonGivesTheDocumentedFieldsAndDedupes) {
  auto r = isnad({"add", tmp_.Join("in"), "--json", "--source", "https://example.org/x"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 3u);
  for (const auto& j : lines) {
    for (const char* k : {"id", "sha256", "size", "name", "path", "leaf_index"})
      EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_EQ(lines[0]["sha256"], lines[1]["sha256"]);  // photos/p1-copy.jpg, photos/p1.jpg
  EXPECT_EQ(lines[0]["id"], lines[1]["id"]);
  EXPECT_EQ(lines[2]["size"], 100000);
  auto ls = JsonLines(isnad({"ls", "--json"}).out);
  EXPECT_EQ(ls.size(), 2u);
}

// Exit 10 is an integrity failure: a web archive whose digests fail. A file
// merely named like one, in which no record can be read, is kept as an item
// and makes the add partly done (1), not an integrity failure.
TEST_F(Cli, AddExitsTenOnlyForAWebArchiveWhoseDigestsFail) {
  WriteTestFile(tmp_.Join("w1/notes.warc"), "my notes about the capture, not a WARC\n");
  auto r = isnad({"add", tmp_.Join("w1")});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("UNREADABLE"), std::string::npos) << r.out;

  // One resource record whose block digest is that of "HELLO", not of "hello".
  const std::string body = "hello";
  const std::string warc =
      "WARC/1.1\r\nWARC-Type: resource\r\n"
      "WARC-Record-ID: <urn:uuid:3f5e2a4c-1111-4222-8333-944455556666>\r\n"
      "WARC-Date: 2024-01-01T00:00:00Z\r\nWARC-Target-URI: http://example.org/\r\n"
      "Content-Type: text/plain\r\n"
      "WARC-Block-Digest: sha256:G4Z43F377DVRROMHGV7CFTWZT5DAS7ZR5SZDT2DYVZRXMDUD4TKQ====\r\n"
      "Content-Length: 5\r\n\r\n" +
      body + "\r\n\r\n";
  WriteTestFile(tmp_.Join("w2/damaged.warc"), warc);
  r = isnad({"add", tmp_.Join("w2")});
  EXPECT_EQ(r.exit_code, 10) << r.err;
  EXPECT_NE(r.out.find("INVALID"), std::string::npos) << r.out;
}

TEST_F(Cli, AddJsonNamesEachSkippedFileOnStdoutApartFromTheAdded) {
  // A link not followed is skipped (as root, an unreadable file cannot be made).
  std::filesystem::create_symlink(tmp_.Join("in/video-1.mp4"), tmp_.Join("in/link.mp4"));
  auto r = isnad({"add", tmp_.Join("in"), "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // partly done, as without --json
  std::vector<Json> added, skipped;
  for (const auto& j : JsonLines(r.out)) (j.contains("skipped") ? skipped : added).push_back(j);
  EXPECT_EQ(added.size(), 3u) << r.out;
  for (const auto& j : added) EXPECT_TRUE(j.contains("id")) << j.dump();
  ASSERT_EQ(skipped.size(), 1u) << r.out;
  EXPECT_FALSE(skipped[0].contains("id")) << "cannot pass for an added file";
  EXPECT_EQ(skipped[0]["path"], tmp_.Join("in/link.mp4"));
  EXPECT_NE(skipped[0]["skipped"].get<std::string>().find("symbolic link"), std::string::npos)
      << skipped[0].dump();
  EXPECT_NE(r.err.find("link.mp4"), std::string::npos) << "still on stderr too";
}

TEST_F(Cli, ExportCatalogRefusesToReplaceAFileUnlessForced) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in")}).exit_code, 0);
  const std::string out = tmp_.Join("exports/catalogue.csv");
  WriteTestFile(out, "last week's catalogue, kept\n");
  auto r = isnad({"export-catalog", "--format", "csv", "--out", out});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(out), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  EXPECT_EQ(core::ReadFileUpTo(core::Env::Default(), out, 1000).value(),
            "last week's catalogue, kept\n");

  r = isnad({"export-catalog", "--format", "csv", "--out", out, "--force"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(core::ReadFileUpTo(core::Env::Default(), out, 1 << 20).value().rfind("id,sha256,", 0),
            0u);
  // Written beside it and renamed: nothing else is left in the folder.
  auto names = core::Env::Default()->ListDir(tmp_.Join("exports")).value();
  EXPECT_EQ(names, std::vector<std::string>{"catalogue.csv"});
}

TEST_F(Cli, ArchiveOptionWorksAfterTheCommandAndFromTheEnvironment) {
  auto after = RunProcess({testing::IsnadBinary(), "key", "--archive", archive_});
  EXPECT_EQ(after.exit_code, 0) << after.err;
  auto env = RunProcess({testing::IsnadBinary(), "key", "--json"}, {{"ISNAD_ARCHIVE", archive_}});
  EXPECT_EQ(env.exit_code, 0) << env.err;
  EXPECT_EQ(JsonLines(env.out)[0]["vkey"].get<std::string>() + "\n", after.out);
}

TEST_F(Cli, ProofPrintedByProveVerifiesWithTheVkeyAlone) {
  auto added = JsonLines(isnad({"add", tmp_.Join("in/video-1.mp4"), "--json"}).out);
  ASSERT_EQ(added.size(), 1u);
  std::string sha = added[0]["sha256"];
  auto vkey = JsonLines(isnad({"key", "--json"}).out)[0]["vkey"].get<std::string>();
  // By 12-digit sha256 prefix, as a user would paste it.
  auto r = isnad({"prove", sha.substr(0, 12), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json p = JsonLines(r.out)[0];
  std::string entry = *core::Base64Decode(p["entry_b64"].get<std::string>());
  EXPECT_NE(entry.find(sha), std::string::npos) << "the proved entry names the bytes";
  EXPECT_TRUE(core::ParseCanonicalJson(entry).ok());
  std::vector<core::Hash> proof;
  for (const auto& h : p["proof_b64"])
    proof.push_back(*core::Hash::FromBytes(*core::Base64Decode(h.get<std::string>())));
  auto verifier = tlog::NoteVerifier::FromVkey(vkey);
  ASSERT_TRUE(verifier.ok());
  auto note = tlog::OpenNote(p["checkpoint"].get<std::string>(), {*verifier});
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  auto cp = tlog::Checkpoint::Parse(note->text);
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->size, p["tree_size"].get<uint64_t>());
  EXPECT_TRUE(
      tlog::VerifyInclusion(p["leaf_index"], cp->size, tlog::LeafHash(entry), proof, cp->root)
          .ok());
  // A proof for a flipped entry byte must fail.
  entry[10] ^= 1;
  EXPECT_FALSE(
      tlog::VerifyInclusion(p["leaf_index"], cp->size, tlog::LeafHash(entry), proof, cp->root)
          .ok());
}

// `cat` hands evidence out: the sha256 the (derived, editable) catalogue gives
// an item must be the one its ingest entry in the signed log records, or a
// swapped row would serve another exhibit's bytes as this one's.
TEST_F(Cli, CatAndShowRefuseAnItemWhoseCatalogueHashIsNotTheLogs) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in/video-1.mp4"), tmp_.Join("in/photos/p1.jpg")}).exit_code,
            0);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((archive_ + "/catalog.sqlite").c_str(), &db), SQLITE_OK);
    const char* swap =
        "CREATE TEMP TABLE t AS SELECT leaf_index, sha256 FROM items;"
        "UPDATE items SET sha256 = x'00' WHERE leaf_index = (SELECT min(leaf_index) FROM t);"
        "UPDATE items SET sha256 = (SELECT sha256 FROM t ORDER BY leaf_index LIMIT 1) WHERE "
        "leaf_index = (SELECT max(leaf_index) FROM t);"
        "UPDATE items SET sha256 = (SELECT sha256 FROM t ORDER BY leaf_index DESC LIMIT 1) WHERE "
        "leaf_index = (SELECT min(leaf_index) FROM t);";
    EXPECT_EQ(sqlite3_exec(db, swap, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto cat = isnad({"cat", "i1"});
  EXPECT_EQ(cat.exit_code, 10) << cat.err;
  EXPECT_TRUE(cat.out.empty());
  EXPECT_NE(cat.err.find("log entry 1"), std::string::npos) << cat.err;
  // `show` prints the hash an exhibit list copies: not the altered one.
  auto show = isnad({"show", "i1", "--json"});
  EXPECT_EQ(show.exit_code, 10) << show.out;
  EXPECT_TRUE(show.out.empty()) << show.out;
  EXPECT_NE(show.err.find("log entry 1"), std::string::npos) << show.err;
}

// A history file is what a user hands others as "the checkpoint at size N":
// printed only when it is the signed checkpoint of that size and tree.
TEST_F(Cli, CheckpointSizeRefusesAReplacedHistoryFile) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in/video-1.mp4")}).exit_code, 0);
  const std::string old_size =
      std::to_string(JsonLines(isnad({"checkpoint", "--json"}).out)[0]["size"].get<uint64_t>());
  ASSERT_EQ(isnad({"add", tmp_.Join("in/photos")}).exit_code, 0);
  const std::string new_size =
      std::to_string(JsonLines(isnad({"checkpoint", "--json"}).out)[0]["size"].get<uint64_t>());
  EXPECT_EQ(isnad({"checkpoint", "--size", old_size}).exit_code, 0);
  fs::copy_file(archive_ + "/checkpoints/" + new_size, archive_ + "/checkpoints/" + old_size,
                fs::copy_options::overwrite_existing);
  auto swapped = isnad({"checkpoint", "--size", old_size});
  EXPECT_EQ(swapped.exit_code, 10) << swapped.out;
  EXPECT_TRUE(swapped.out.empty()) << swapped.out;
  EXPECT_NE(swapped.err.find("checkpoints/" + old_size), std::string::npos) << swapped.err;
  // consistency holds the proof's roots to the checkpoints signed at those sizes.
  auto consistency = isnad({"consistency", old_size, "--json"});
  EXPECT_EQ(consistency.exit_code, 10) << consistency.out;
  EXPECT_EQ(isnad({"checkpoint", "--size", "-1"}).exit_code, 2);
  EXPECT_EQ(isnad({"consistency", "1", "-1"}).exit_code, 2);
  EXPECT_EQ(isnad({"log", "--from", "-1"}).exit_code, 2);
}

// A name a checkpoint cannot carry is refused before anything is written, so
// the folder can take a good name next.
TEST(CliInit, ANameTheCheckpointCannotCarryLeavesNothingBehind) {
  TempDir tmp;
  const std::string ar = tmp.Join("ar");
  for (const std::string& name : {std::string("a\x01b"), std::string(70000, 'x')}) {
    auto bad = RunProcess({testing::IsnadBinary(), "--archive", ar, "init", "--name", name});
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
    EXPECT_FALSE(fs::exists(ar + "/keys")) << bad.err;
  }
  auto good =
      RunProcess({testing::IsnadBinary(), "--archive", ar, "init", "--name", "ok.example/a"});
  EXPECT_EQ(good.exit_code, 0) << good.err;
}

TEST_F(Cli, ConsistencyBetweenHistoricCheckpoints) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in/video-1.mp4")}).exit_code, 0);
  auto cp1 = JsonLines(isnad({"checkpoint", "--json"}).out)[0];
  ASSERT_EQ(isnad({"add", tmp_.Join("in/photos")}).exit_code, 0);
  uint64_t old_size = cp1["size"];
  auto r = isnad({"consistency", std::to_string(old_size), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json c = JsonLines(r.out)[0];
  std::vector<core::Hash> proof;
  for (const auto& h : c["proof_b64"])
    proof.push_back(*core::Hash::FromBytes(*core::Base64Decode(h.get<std::string>())));
  auto cp2 = JsonLines(isnad({"checkpoint", "--json"}).out)[0];
  auto root1 = *core::Hash::FromBytes(*core::Base64Decode(cp1["root_b64"].get<std::string>()));
  auto root2 = *core::Hash::FromBytes(*core::Base64Decode(cp2["root_b64"].get<std::string>()));
  EXPECT_EQ(c["new_size"], cp2["size"]);
  EXPECT_TRUE(tlog::VerifyConsistency(old_size, cp2["size"], proof, root1, root2).ok());
  // The older checkpoint is kept in the history, byte for byte.
  auto old = isnad({"checkpoint", "--size", std::to_string(old_size)});
  EXPECT_EQ(old.out, cp1["checkpoint"].get<std::string>());
  EXPECT_EQ(isnad({"consistency", "0"}).exit_code, 2);
}

TEST_F(Cli, CatGivesTheOriginalBytesAndShowTheProvenance) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in"), "--note", "from the media office"}).exit_code, 0);
  auto items = JsonLines(isnad({"ls", "--json"}).out);
  for (const auto& it : items) {
    auto r = isnad({"cat", it["id"]});
    ASSERT_EQ(r.exit_code, 0);
    EXPECT_EQ(core::Sha256Of(r.out).Hex(), it["sha256"]);
  }
  auto show = JsonLines(isnad({"show", items[0]["id"], "--json"}).out)[0];
  EXPECT_EQ(show["provenance"].size(), 2u) << "the copy is a second source of the same item";
  EXPECT_EQ(show["provenance"][0]["note"], "from the media office");
}

TEST_F(Cli, ReindexChangesNoAnswer) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in")}).exit_code, 0);
  auto id = JsonLines(isnad({"ls", "--json"}).out)[0]["id"].get<std::string>();
  ASSERT_EQ(isnad({"note", id, "checked against the original upload"}).exit_code, 0);
  std::vector<std::vector<std::string>> queries = {
      {"ls", "--json"}, {"log", "--json"}, {"show", id, "--json"}, {"prove", id, "--json"}, {"ls"}};
  std::vector<std::string> before;
  for (const auto& q : queries) before.push_back(isnad(q).out);
  std::filesystem::remove(archive_ + "/catalog.sqlite");
  std::filesystem::remove(archive_ + "/catalog.sqlite-wal");
  std::filesystem::remove(archive_ + "/catalog.sqlite-shm");
  auto r = isnad({"reindex"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (size_t i = 0; i < queries.size(); ++i)
    EXPECT_EQ(isnad(queries[i]).out, before[i]) << queries[i][0];
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
}

TEST_F(Cli, ExitCodesAreTheDocumentedOnes) {
  EXPECT_EQ(isnad({"show", "i999"}).exit_code, 3);
  EXPECT_EQ(isnad({"show", "abc"}).exit_code, 2) << "prefix shorter than 12 hex digits";
  EXPECT_EQ(isnad({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(RunProcess({testing::IsnadBinary(), "--archive", tmp_.Join("nope"), "ls"}).exit_code,
            3);
  EXPECT_EQ(isnad({"add", tmp_.Join("in/missing.txt")}).exit_code, 1);
  EXPECT_EQ(isnad({"init"}).exit_code, 1) << "an archive is already there";
  {
    // Another writer holds the archive: exit 4, and the message names the lock file.
    auto held = core::Env::Default()->LockFile(archive_);
    ASSERT_TRUE(held.ok());
    auto r = isnad({"add", tmp_.Join("in")});
    EXPECT_EQ(r.exit_code, 4);
    EXPECT_NE(r.err.find(archive_ + "/lock"), std::string::npos) << r.err;
  }
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
}

TEST_F(Cli, AnAddWhoseOutputReaderGoesAwayStillAddsEveryFile) {
  // `isnad add DIR --json | head`: the reader closes the pipe at once; the add's
  // output (~150 KB) outgrows the pipe, so its writes fail. Every file must still be
  // preserved, and the exit code and stderr must say that output was lost.
  for (int i = 0; i < 800; ++i) {
    WriteTestFile(tmp_.Join("many/f" + std::to_string(i) + ".txt"), "item " + std::to_string(i));
  }
  std::string status_file = tmp_.Join("add-status");
  std::string script = "'" + testing::IsnadBinary() + "' --archive '" + archive_ + "' add '" +
                       tmp_.Join("many") + "' --json | (exec 0<&-; sleep 0.2); echo " +
                       "${PIPESTATUS[0]} > '" + status_file + "'";
  auto r = RunProcess({"/bin/bash", "-c", script}, {{"ISNAD_OPERATOR", "tester@test"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(*core::Env::Default()->ReadFile(status_file), "5\n") << r.err;
  EXPECT_NE(r.err.find("not all of the output could be written"), std::string::npos) << r.err;
  EXPECT_EQ(JsonLines(isnad({"ls", "--json"}).out).size(), 800u);
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
}

TEST_F(Cli, VerifyNamesATamperedBlobAndExits10) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in")}).exit_code, 0);
  std::string sha = core::Sha256Of(std::string(100000, 'v')).Hex();
  std::string blob =
      archive_ + "/objects/sha256/" + sha.substr(0, 2) + "/" + sha.substr(2, 2) + "/" + sha;
  std::filesystem::permissions(blob, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  WriteTestFile(blob, std::string(99999, 'v') + "w");
  auto r = isnad({"verify"});
  EXPECT_EQ(r.exit_code, 10);
  EXPECT_NE(r.out.find(sha), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("altered"), std::string::npos) << r.out;
  auto cat = isnad({"cat", sha.substr(0, 16)});
  EXPECT_EQ(cat.exit_code, 10) << "cat must not pass off altered bytes silently";
  // The intact bytes arriving again repair the archive; the damaged file is kept aside.
  // From the same path as before, the repair is still recorded: when and by whom the
  // intact bytes came back.
  const size_t entries = JsonLines(isnad({"log", "--json"}).out).size();
  auto again = isnad({"add", tmp_.Join("in/video-1.mp4")});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("damaged"), std::string::npos) << again.err;
  EXPECT_EQ(JsonLines(isnad({"log", "--json"}).out).size(), entries + 1) << again.out;
  EXPECT_TRUE(std::filesystem::exists(archive_ + "/quarantine"));
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
  // Damaged again and repaired again (often within the same second, which names the
  // quarantined copy): the first damaged copy is kept beside the second, not replaced.
  std::filesystem::permissions(blob, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  WriteTestFile(blob, std::string(99999, 'v') + "x");
  ASSERT_EQ(isnad({"add", tmp_.Join("in/video-1.mp4")}).exit_code, 0);
  size_t kept = 0;
  for (const auto& e : std::filesystem::directory_iterator(archive_ + "/quarantine")) {
    kept += e.path().filename().string().starts_with(sha);
  }
  EXPECT_EQ(kept, 2u);
}

// Hash tiles are derived from the entries. A damaged newest tile stops every
// command, which names the remedy; repair-log rebuilds it from the entries
// once they prove the signed checkpoint, and everything answers again. A
// damaged entry bundle is never "repaired": it is named and nothing is written.
TEST_F(Cli, RepairLogRebuildsDamagedHashTilesButNeverEntries) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in")}).exit_code, 0);
  uint64_t width = 0;
  for (const auto& e : fs::directory_iterator(archive_ + "/log/tile/0/000.p")) {
    width = std::max<uint64_t>(width, std::stoull(e.path().filename().string()));
  }
  const std::string rel = "log/tile/0/000.p/" + std::to_string(width);
  const std::string tile = archive_ + "/" + rel;
  const std::string bundle = archive_ + "/log/tile/entries/000.p/" + std::to_string(width);
  const std::string good_tile = ReadTestFile(tile);
  const std::string good_bundle = ReadTestFile(bundle);
  std::string bad = good_tile;
  bad[40] = static_cast<char>(bad[40] ^ 1);
  WriteTestFile(tile, bad);

  auto ls = isnad({"ls"});
  EXPECT_EQ(ls.exit_code, 10) << ls.err;
  EXPECT_NE(ls.err.find("isnad repair-log"), std::string::npos) << ls.err;
  auto v = isnad({"verify"});
  EXPECT_EQ(v.exit_code, 10) << v.out;
  EXPECT_NE(v.out.find("Next: `isnad repair-log`"), std::string::npos) << v.out;
  auto dry = isnad({"repair-log", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("would rewrite " + rel + ": it was damaged"), std::string::npos)
      << dry.out;
  EXPECT_EQ(ReadTestFile(tile), bad) << "a dry run writes nothing";
  auto r = isnad({"repair-log"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("rewrote " + rel), std::string::npos) << r.out;
  EXPECT_EQ(ReadTestFile(tile), good_tile);
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
  EXPECT_EQ(isnad({"ls"}).exit_code, 0);
  auto nothing = isnad({"repair-log", "--json"});
  ASSERT_EQ(nothing.exit_code, 0) << nothing.err;
  auto summary = JsonLines(nothing.out);
  ASSERT_EQ(summary.size(), 1u) << nothing.out;
  EXPECT_EQ(summary[0]["files"], 0);

  // An entry changed: the tiles are right and the entry is not; only a backup can help.
  std::string changed = good_bundle;
  changed[changed.size() - 3] = static_cast<char>(changed[changed.size() - 3] ^ 1);
  WriteTestFile(bundle, changed);
  auto refused = isnad({"repair-log"});
  EXPECT_EQ(refused.exit_code, 10) << refused.out;
  EXPECT_NE(refused.err.find("tile/entries/000.p/" + std::to_string(width)), std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("nothing was written"), std::string::npos) << refused.err;
  EXPECT_EQ(ReadTestFile(bundle), changed);
  EXPECT_EQ(ReadTestFile(tile), good_tile);
  WriteTestFile(bundle, good_bundle);
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);

  // A log put back to an older checkpoint is named as such, not "repaired".
  fs::copy_file(archive_ + "/checkpoints/1", archive_ + "/log/checkpoint",
                fs::copy_options::overwrite_existing);
  auto rolled = isnad({"repair-log"});
  EXPECT_EQ(rolled.exit_code, 10) << rolled.out;
  EXPECT_NE(rolled.err.find("the log was rolled back"), std::string::npos) << rolled.err;
}

TEST_F(Cli, VerifyWithTheWrongPinnedKeyFails) {
  TempDir other;
  ASSERT_EQ(RunProcess({testing::IsnadBinary(), "--archive", other.Join("b"), "init", "--name",
                        "test.example/ar"})
                .exit_code,
            0);
  auto other_key = RunProcess({testing::IsnadBinary(), "--archive", other.Join("b"), "key"}).out;
  other_key.pop_back();
  auto r = isnad({"verify", "--key", other_key});
  EXPECT_EQ(r.exit_code, 10) << r.out << r.err;
  auto mine = isnad({"key"}).out;
  mine.pop_back();
  EXPECT_EQ(isnad({"verify", "--key", mine}).exit_code, 0);
}

TEST_F(Cli, NoArchiveMessageSuggestsACommandThatWorks) {
  std::string dir = tmp_.Join("fresh");
  auto r = RunProcess({testing::IsnadBinary(), "--archive", dir, "ls"});
  ASSERT_EQ(r.exit_code, 3);
  // The user pastes what the message says: it must create the archive.
  size_t open = r.err.find('`'), close = r.err.find('`', open + 1);
  ASSERT_NE(close, std::string::npos) << r.err;
  std::istringstream words(r.err.substr(open + 1, close - open - 1));
  std::vector<std::string> args;
  for (std::string w; words >> w;) args.push_back(w);
  ASSERT_EQ(args.at(0), "isnad") << r.err;
  args[0] = testing::IsnadBinary();
  auto init = RunProcess(args);
  EXPECT_EQ(init.exit_code, 0) << r.err << init.err;
  EXPECT_EQ(RunProcess({testing::IsnadBinary(), "--archive", dir, "ls"}).exit_code, 0);
}

std::string BlobPath(const std::string& archive, const std::string& content) {
  std::string sha = core::Sha256Of(content).Hex();
  return archive + "/objects/sha256/" + sha.substr(0, 2) + "/" + sha.substr(2, 2) + "/" + sha;
}

std::vector<std::string> ProblemFiles(const std::string& verify_json_out) {
  std::vector<std::string> files;
  for (const auto& j : JsonLines(verify_json_out))
    if (j.contains("problem")) files.push_back(j["file"]);
  return files;
}

TEST_F(Cli, ADamagedTextBlobIsOneProblemNotAlsoTheCatalogue) {
  WriteTestFile(tmp_.Join("doc/statement.txt"), "The witness saw the convoy at 14:00.\n");
  ASSERT_EQ(isnad({"add", tmp_.Join("doc")}).exit_code, 0);
  std::string blob = BlobPath(archive_, "The witness saw the convoy at 14:00.\n");
  std::filesystem::permissions(blob, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  WriteTestFile(blob, "The witness saw the convoy at 16:00.\n");
  auto r = isnad({"verify", "--json"});
  EXPECT_EQ(r.exit_code, 10);
  auto files = ProblemFiles(r.out);
  ASSERT_EQ(files.size(), 1u) << r.out;
  EXPECT_NE(files[0].find("objects/sha256/"), std::string::npos) << r.out;
  // Why the catalogue was not compared: told to scripts too.
  bool noted = false;
  for (const auto& j : JsonLines(r.out))
    noted |= j.contains("note") && j["note"].get<std::string>().find("catalog.sqlite") == 0;
  EXPECT_TRUE(noted) << r.out;
  // Not "run isnad reindex": that would index the damaged text.
  auto text = isnad({"verify"});
  EXPECT_EQ(text.out.find("reindex"), std::string::npos) << text.out;
}

TEST_F(Cli, UnreadableEntriesAreNotBlamedOnTheCatalogue) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in")}).exit_code, 0);
  auto size = JsonLines(isnad({"checkpoint", "--json"}).out)[0]["size"].get<uint64_t>();
  std::string bundle = archive_ + "/log/tile/entries/000.p/" + std::to_string(size);
  ASSERT_TRUE(std::filesystem::exists(bundle));
  std::filesystem::permissions(bundle, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  std::filesystem::resize_file(bundle, 10);
  auto r = isnad({"verify", "--json"});
  EXPECT_EQ(r.exit_code, 10);
  auto files = ProblemFiles(r.out);
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) EXPECT_NE(f, "catalog.sqlite") << r.out;
}

// A damaged checkpoint stops the check at the door; a script reading --json
// still gets it as a problem line and a summary that says not ok.
TEST_F(Cli, ADamagedCheckpointIsAJsonProblemLine) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in")}).exit_code, 0);
  const std::string cp = archive_ + "/log/checkpoint";
  std::filesystem::permissions(cp, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  std::string text = *core::Env::Default()->ReadFile(cp);
  text[text.size() / 2] ^= 0x01;
  WriteTestFile(cp, text);
  auto r = isnad({"verify", "--json"});
  EXPECT_EQ(r.exit_code, 10) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_TRUE(lines[0].contains("problem")) << r.out;
  EXPECT_EQ(lines[1]["ok"], false) << r.out;
  EXPECT_FALSE(r.err.empty());
}

// Without keys/log.vkey the folder is still an archive: the message says what
// is missing and how to put it back, not "no isnad archive here".
TEST_F(Cli, AMissingPublicKeyIsNamedNotTakenForNoArchive) {
  const std::string vkey = isnad({"key"}).out;
  ASSERT_FALSE(vkey.empty());
  std::filesystem::remove(archive_ + "/keys/log.vkey");
  auto r = isnad({"ls"});
  EXPECT_EQ(r.exit_code, 10) << r.err;
  EXPECT_NE(r.err.find("keys/log.vkey is missing"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("no isnad archive"), std::string::npos) << r.err;
  WriteTestFile(archive_ + "/keys/log.vkey", vkey);
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
}

// A lost log/checkpoint names the newest kept copy, and the `cp` it gives
// brings the archive back whole; when a batch was written after that copy
// (a crash before its copy was kept), it advises a backup instead.
TEST_F(Cli, AMissingCheckpointPointsToTheNewestKeptCopy) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in")}).exit_code, 0);
  ASSERT_EQ(isnad({"note", "i1", "seen again"}).exit_code, 0);
  const size_t size = JsonLines(isnad({"log", "--json"}).out).size();
  const std::string head = archive_ + "/log/checkpoint";
  const std::string newest = archive_ + "/checkpoints/" + std::to_string(size);
  const std::string saved_head = tmp_.Join("head"), saved_newest = tmp_.Join("newest");
  std::filesystem::copy_file(head, saved_head);
  std::filesystem::copy_file(newest, saved_newest);

  // The note's batch committed, then its copy was never kept: putting back the
  // add's checkpoint would let the next write remove the note's entry.
  std::filesystem::remove(head);
  std::filesystem::remove(newest);
  auto older = isnad({"verify"});
  EXPECT_EQ(older.exit_code, 10) << older.err;
  EXPECT_NE(older.err.find(head + " is missing"), std::string::npos) << older.err;
  EXPECT_NE(older.err.find("may be older"), std::string::npos) << older.err;
  EXPECT_NE(older.err.find("from a backup"), std::string::npos) << older.err;
  EXPECT_EQ(older.err.find("`cp "), std::string::npos) << older.err;

  std::filesystem::copy_file(saved_newest, newest);
  for (const char* command : {"ls", "verify"}) {
    auto r = isnad({command});
    EXPECT_EQ(r.exit_code, 10) << command << r.err;
    EXPECT_NE(r.err.find(head + " is missing"), std::string::npos) << r.err;
  }
  auto r = isnad({"ls"});
  const size_t cp = r.err.find("`cp '");
  ASSERT_NE(cp, std::string::npos) << r.err;
  const size_t from_end = r.err.find('\'', cp + 5);
  ASSERT_NE(from_end, std::string::npos) << r.err;
  const std::string from = r.err.substr(cp + 5, from_end - cp - 5);
  EXPECT_EQ(from, newest) << r.err;
  std::filesystem::copy_file(from, head);
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
  EXPECT_EQ(isnad({"ls"}).exit_code, 0);
  EXPECT_EQ(ReadTestFile(head), ReadTestFile(saved_head));
}

// Arguments that would silently do something else are refused: a --limit of 0
// or below (it meant "all" or wrapped around), an item and --entry together.
TEST_F(Cli, LogLimitsAndProveTargetsThatCannotBeMeantAreRefused) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in")}).exit_code, 0);
  for (const char* limit : {"0", "-3"}) {
    auto r = isnad({"log", "--limit", limit});
    EXPECT_EQ(r.exit_code, 2) << limit << r.out;
    EXPECT_NE(r.err.find("1 or more"), std::string::npos) << r.err;
  }
  EXPECT_EQ(JsonLines(isnad({"log", "--json", "--limit", "1"}).out).size(), 1u);
  EXPECT_EQ(
      JsonLines(isnad({"log", "--json", "--from", "1", "--limit", "18446744073709551615"}).out)
          .size(),
      JsonLines(isnad({"log", "--json"}).out).size() - 1);
  auto both = isnad({"prove", "i1", "--entry", "0"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("not both"), std::string::npos) << both.err;
}

// A note too long for an entry is kept as a blob; show gives its text all the
// same, as it gives a short one.
TEST_F(Cli, ShowGivesALongNotesText) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in")}).exit_code, 0);
  std::string text;
  while (text.size() < 40000)
    text += "witness statement, line " + std::to_string(text.size()) + ". ";
  text += "The end.";
  ASSERT_EQ(isnad({"note", "i1", text}).exit_code, 0);
  auto shown = isnad({"show", "i1"});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find(text), std::string::npos);
  auto json = isnad({"show", "i1", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto j = core::Json::parse(json.out);
  ASSERT_EQ(j["notes"].size(), 1u);
  EXPECT_EQ(j["notes"][0]["text"], text);
  EXPECT_TRUE(j["notes"][0].contains("text_sha256"));
  // Its blob damaged: the rest of the item is still shown, and the exit code says it.
  const std::string blob = archive_ + "/" +
                           store::BlobStore::RelativePath(*core::Hash::FromHex(
                               j["notes"][0]["text_sha256"].get<std::string>()));
  std::filesystem::permissions(blob, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  WriteTestFile(blob, "altered");
  shown = isnad({"show", "i1"});
  EXPECT_EQ(shown.exit_code, 10) << shown.err;
  EXPECT_NE(shown.out.find("prove it with"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("cannot be read"), std::string::npos) << shown.out;
  json = isnad({"show", "i1", "--json"});
  EXPECT_EQ(json.exit_code, 10);
  EXPECT_TRUE(core::Json::parse(json.out)["notes"][0].contains("text_error")) << json.out;
}

// Bytes left in objects/ by an add or capture that was stopped before it
// recorded them: verify names the command, reclaim lists them, and removes
// them only with --remove.
TEST_F(Cli, ReclaimListsThenRemovesBlobsNoEntryNames) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in")}).exit_code, 0);
  const std::string bytes = "a video an interrupted capture stored";
  const std::string hex = core::Sha256Of(bytes).Hex();
  const std::string rel = "objects/sha256/" + hex.substr(0, 2) + "/" + hex.substr(2, 2) + "/" + hex;
  WriteTestFile(archive_ + "/" + rel, bytes);
  auto verify = isnad({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_NE(verify.out.find(rel + " is not referenced by any entry"), std::string::npos)
      << verify.out;
  EXPECT_NE(verify.out.find("`isnad reclaim`"), std::string::npos) << verify.out;
  auto listed = isnad({"reclaim"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find(rel), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("Nothing was removed"), std::string::npos) << listed.out;
  EXPECT_TRUE(std::filesystem::exists(archive_ + "/" + rel));
  auto removed = isnad({"--json", "reclaim", "--remove"});
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  std::istringstream lines(removed.out);
  std::string line;
  std::vector<core::Json> out;
  while (std::getline(lines, line)) out.push_back(core::Json::parse(line));
  ASSERT_EQ(out.size(), 2u) << removed.out;
  EXPECT_EQ(out[0]["sha256"], hex);
  EXPECT_EQ(out[0]["removed"], true);
  EXPECT_EQ(out[1]["unreferenced"], 1);
  EXPECT_FALSE(std::filesystem::exists(archive_ + "/" + rel));
  verify = isnad({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_EQ(verify.out.find("not referenced"), std::string::npos) << verify.out;
  auto ls = isnad({"ls"});
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_NE(isnad({"reclaim"}).out.find("nothing to reclaim"), std::string::npos);
}

// A catalogue made by an earlier isnad is derived data, not damage: verify
// notes it and checks the evidence, and reindex rebuilds it on a copy kept
// without the secret key (a lawyer's, a mirror's).
TEST_F(Cli, AnOlderCatalogueIsRebuiltWithoutTheSecretKey) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in")}).exit_code, 0);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((archive_ + "/catalog.sqlite").c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, "PRAGMA user_version = 4", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  std::filesystem::rename(archive_ + "/keys/log.skey", tmp_.Join("log.skey"));
  auto verify = isnad({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("note: catalog.sqlite was not compared"), std::string::npos)
      << verify.out;
  auto ls = isnad({"ls"});
  EXPECT_NE(ls.exit_code, 0);
  EXPECT_NE(ls.err.find("isnad reindex"), std::string::npos) << ls.err;
  auto reindex = isnad({"reindex"});
  EXPECT_EQ(reindex.exit_code, 0) << reindex.err;
  EXPECT_EQ(isnad({"ls"}).exit_code, 0);
  auto again = isnad({"verify"});
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_EQ(again.out.find("not compared"), std::string::npos) << again.out;
}

// A copy on read-only media (a write-protected disk, a WORM disc) is read and
// verified: its catalogue, in WAL mode, cannot get the -shm file SQLite would
// make, so it is read as immutable. Needs a read-only bind mount in a mount
// namespace of its own (root, or a kernel that lets unshare do it).
TEST_F(Cli, AnArchiveOnReadOnlyMediaIsReadAndVerified) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in")}).exit_code, 0);
  const std::string a = archive_, bin = testing::IsnadBinary();
  const std::string script = "mount --bind '" + a + "' '" + a + "' && mount -o remount,bind,ro '" +
                             a + "' || exit 77; touch '" + a + "/probe' 2>/dev/null && exit 78; '" +
                             bin + "' --archive '" + a + "' verify && '" + bin + "' --archive '" +
                             a + "' ls --json && '" + bin + "' --archive '" + a + "' show i1";
  if (auto probe = RunProcess({"/usr/bin/unshare", "-m", "/bin/true"}); probe.exit_code != 0) {
    GTEST_SKIP() << "no mount namespace here: " << probe.err;
  }
  auto r = RunProcess({"/usr/bin/unshare", "-m", "/bin/sh", "-c", script});
  if (r.exit_code == 77) {
    GTEST_SKIP() << "no read-only bind mount here: " << r.err;
  }
  ASSERT_NE(r.exit_code, 78) << "the mount was not read-only";
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("OK: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"sha256\""), std::string::npos) << r.out;
}

// A full disk is said to be one, not taken for damage: SQLite cannot make the
// catalogue's -shm file there, and verify still checks the evidence (exit 0).
TEST_F(Cli, AFullDiskIsNamedAndIsNoIntegrityFailure) {
  if (auto probe = RunProcess({"/usr/bin/unshare", "-m", "/bin/true"}); probe.exit_code != 0) {
    GTEST_SKIP() << "no mount namespace here: " << probe.err;
  }
  const std::string fs = tmp_.Join("small"), bin = testing::IsnadBinary();
  std::filesystem::create_directories(fs);
  const std::string a = fs + "/ar", in = tmp_.Join("in");
  const std::string script =
      "mount -t tmpfs -o size=3m tmpfs '" + fs + "' || exit 77; '" + bin + "' --archive '" + a +
      "' init --name t/full >/dev/null && '" + bin + "' --archive '" + a + "' add '" + in +
      "' --no-analyze >/dev/null || exit 79; head -c 5000000 /dev/zero > '" + fs +
      "/filler' 2>/dev/null; '" + bin + "' --archive '" + a + "' ls; echo \"ls=$?\"; '" + bin +
      "' --archive '" + a + "' verify; echo \"verify=$?\"";
  auto r = RunProcess({"/usr/bin/unshare", "-m", "/bin/sh", "-c", script});
  if (r.exit_code == 77) GTEST_SKIP() << "no tmpfs mount here: " << r.err;
  ASSERT_NE(r.exit_code, 79) << r.out << r.err;
  EXPECT_NE(r.out.find("ls=5"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.err.find("the disk holding the archive is full"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("verify=0"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("note: catalog.sqlite was not compared"), std::string::npos) << r.out;
}

// Someone who may read the archive's folder but not write it (a lawyer's
// account beside the archivist's) reads it, whatever SQLite files the owner's
// last command left.
TEST_F(Cli, AnArchiveThisUserMayOnlyReadIsRead) {
  if (::geteuid() != 0 || !std::filesystem::exists("/usr/bin/setpriv")) {
    GTEST_SKIP() << "needs root and setpriv to act as another user";
  }
  ASSERT_EQ(isnad({"add", tmp_.Join("in")}).exit_code, 0);
  ShareWithNobody();
  for (std::vector<std::string> args :
       {std::vector<std::string>{"ls"}, {"show", "i1"}, {"prove", "i1"}, {"verify"}}) {
    auto r = AsNobody(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
  }
}

// A blob that cannot be read was not checked, and is not thereby altered:
// verify names it and says why, and exits 5 (an I/O error), not 10, unless
// something it could read is damaged too.
TEST_F(Cli, ABlobVerifyCannotReadIsNamedNotCalledAltered) {
  if (::geteuid() != 0 || !std::filesystem::exists("/usr/bin/setpriv")) {
    GTEST_SKIP() << "needs root and setpriv to act as another user";
  }
  ASSERT_EQ(isnad({"add", tmp_.Join("in")}).exit_code, 0);
  ShareWithNobody();
  const std::string sha = core::Sha256Of(std::string(100000, 'v')).Hex();
  const std::string blob =
      archive_ + "/objects/sha256/" + sha.substr(0, 2) + "/" + sha.substr(2, 2) + "/" + sha;
  fs::permissions(blob, fs::perms::owner_read);  // root's alone
  auto r = AsNobody({"verify"});
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_NE(r.out.find("NOT CHECKED objects/sha256/" + sha.substr(0, 2)), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Permission denied"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("altered"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("INCOMPLETE: 1 file(s) could not be read"), std::string::npos) << r.out;
  auto j = AsNobody({"verify", "--json"});
  EXPECT_EQ(j.exit_code, 5);
  auto lines = JsonLines(j.out);
  ASSERT_FALSE(lines.empty()) << j.out;
  EXPECT_EQ(lines.front().value("unreadable", false), true) << j.out;
  EXPECT_EQ(lines.back()["ok"], false);
  EXPECT_EQ(lines.back()["unreadable"], 1);
  // Damage beside it is still damage: exit 10.
  const std::string jpg = core::Sha256Of("\xff\xd8\xff\xe0 not really a jpeg").Hex();
  const std::string other =
      archive_ + "/objects/sha256/" + jpg.substr(0, 2) + "/" + jpg.substr(2, 2) + "/" + jpg;
  fs::permissions(other, fs::perms::owner_write, fs::perm_options::add);
  WriteTestFile(other, "\xff\xd8\xff\xe0 not really a jpeX");
  fs::permissions(other, fs::perms::owner_read | fs::perms::others_read);
  auto both = AsNobody({"verify"});
  EXPECT_EQ(both.exit_code, 10) << both.out;
  EXPECT_NE(both.out.find("FAILED with 2 problem(s)"), std::string::npos) << both.out;
}

TEST_F(Cli, ALostCheckpointHistoryIsAProblemAndStopsWriters) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in")}).exit_code, 0);
  std::filesystem::remove_all(archive_ + "/checkpoints");
  auto r = isnad({"verify", "--json"});
  EXPECT_EQ(r.exit_code, 10) << r.out;
  auto files = ProblemFiles(r.out);
  EXPECT_NE(std::find(files.begin(), files.end(), "checkpoints/"), files.end()) << r.out;
  auto add = isnad({"note", "i1", "a note"});
  EXPECT_EQ(add.exit_code, 10) << add.err;
  EXPECT_NE(add.err.find("checkpoints is missing"), std::string::npos) << add.err;
  EXPECT_NE(add.err.find("Nothing was written"), std::string::npos) << add.err;
}

TEST_F(Cli, AnEndlessCheckpointHistoryFileIsAProblemNotRead) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in")}).exit_code, 0);
  auto size = JsonLines(isnad({"checkpoint", "--json"}).out)[0]["size"].get<uint64_t>();
  // In an archive received from elsewhere, a saved checkpoint may be anything: here a link
  // to an endless device, which verify and `checkpoint --size` must refuse, not read.
  const std::string saved = archive_ + "/checkpoints/" + std::to_string(size);
  std::filesystem::remove(saved);
  std::filesystem::create_symlink("/dev/zero", saved);
  ASSERT_EQ(isnad({"note", "i1", "seen"}).exit_code, 0);
  auto v = isnad({"verify", "--json"});
  EXPECT_EQ(v.exit_code, 10) << v.out;
  auto files = ProblemFiles(v.out);
  EXPECT_NE(std::find(files.begin(), files.end(), "checkpoints/" + std::to_string(size)),
            files.end())
      << v.out;
  auto old = isnad({"checkpoint", "--size", std::to_string(size)});
  EXPECT_NE(old.exit_code, 0);
}

TEST_F(Cli, ACheckpointSignedButNotSavedInTheHistoryIsSavedByTheNextWriter) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in")}).exit_code, 0);
  auto size = JsonLines(isnad({"checkpoint", "--json"}).out)[0]["size"].get<uint64_t>();
  // A writer stopped after signing log/checkpoint, before saving its copy.
  std::filesystem::remove(archive_ + "/checkpoints/" + std::to_string(size));
  ASSERT_EQ(isnad({"note", "i1", "seen"}).exit_code, 0);
  auto old = isnad({"checkpoint", "--size", std::to_string(size)});
  EXPECT_EQ(old.exit_code, 0) << old.err;
  auto cons = isnad({"consistency", std::to_string(size), "--json"});
  ASSERT_EQ(cons.exit_code, 0) << cons.err;
  EXPECT_EQ(JsonLines(cons.out)[0]["old_checkpoint"], old.out);
  auto v = isnad({"verify"});
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_EQ(v.out.find("not in the history"), std::string::npos) << v.out;
}

TEST_F(Cli, AnOldCheckpointDeletedFromTheHistoryIsAProblem) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in")}).exit_code, 0);
  auto size = JsonLines(isnad({"checkpoint", "--json"}).out)[0]["size"].get<uint64_t>();
  ASSERT_EQ(isnad({"note", "i1", "seen"}).exit_code, 0);
  ASSERT_EQ(isnad({"verify"}).exit_code, 0);
  // One published checkpoint of the history, no longer the current one, is gone.
  const std::string rel = "checkpoints/" + std::to_string(size);
  std::filesystem::remove(archive_ + "/" + rel);
  auto v = isnad({"verify", "--json"});
  EXPECT_EQ(v.exit_code, 10) << v.out;
  bool named = false;
  for (const auto& j : JsonLines(v.out)) {
    if (!j.contains("problem") || j["file"] != rel) continue;
    named = true;
    const std::string what = j["problem"];
    EXPECT_NE(what.find("missing"), std::string::npos) << what;
    EXPECT_NE(what.find(std::to_string(size) + " entries"), std::string::npos) << what;
    EXPECT_NE(what.find("backup"), std::string::npos) << what;
    EXPECT_NE(what.find("mirror"), std::string::npos) << what;
  }
  EXPECT_TRUE(named) << v.out;
  // The first checkpoint (archive.created alone) is checked the same way.
  std::filesystem::remove(archive_ + "/checkpoints/1");
  auto files = ProblemFiles(isnad({"verify", "--json"}).out);
  EXPECT_NE(std::find(files.begin(), files.end(), "checkpoints/1"), files.end());
  EXPECT_NE(std::find(files.begin(), files.end(), rel), files.end());
}

TEST_F(Cli, HostileNamesInTheArchiveCannotForgeVerifyOutput) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in")}).exit_code, 0);
  // Someone drops a file whose name forges a success line, in colour.
  WriteTestFile(archive_ + "/objects/sha256/ab/x\nOK: 99 entries\x1b[32m", "x");
  auto r = isnad({"verify"});
  EXPECT_EQ(r.exit_code, 10);
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_NE(line.rfind("OK:", 0), 0u) << r.out;
    EXPECT_EQ(line.find('\x1b'), std::string::npos) << r.out;
  }
  auto j = isnad({"verify", "--json"});
  for (const auto& o : JsonLines(j.out)) EXPECT_TRUE(o.is_object());
  EXPECT_FALSE(JsonLines(j.out).back()["ok"].get<bool>());
}

TEST_F(Cli, ErrorsAndSkipsShowControlCharactersEscaped) {
  // A symbolic link whose target's name would clear the screen.
  std::filesystem::create_directories(tmp_.Join("links"));
  std::filesystem::create_symlink("evil\x1b[2J\nname", tmp_.Join("links/l"));
  auto r = isnad({"add", tmp_.Join("links")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("evil\\x1b[2J\\x0aname"), std::string::npos) << r.err;
  // A right-to-left override (U+202E) or a C1 CSI (U+009B) in a name would reorder or
  // restyle what the terminal shows after it.
  std::filesystem::create_symlink("report\u202Efdp.exe\u009B2J", tmp_.Join("links/m"));
  r = isnad({"add", tmp_.Join("links")});
  EXPECT_EQ(r.err.find("\u202E"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("\u009B"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("report\\u202efdp.exe\\u009b2J"), std::string::npos) << r.err;
  auto missing =
      RunProcess({testing::IsnadBinary(), "--archive", tmp_.Join("no\x1b[2Jhere"), "ls"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_EQ(missing.err.find('\x1b'), std::string::npos) << missing.err;
  // An operator name (from the environment, or another archive's entries) forging a line.
  ASSERT_EQ(
      isnad({"--operator", "evil\x1b[2J\nOK: fake", "add", tmp_.Join("in/video-1.mp4")}).exit_code,
      0);
  ASSERT_EQ(isnad({"--operator", "ev\x1bil", "note", "i1", "seen"}).exit_code, 0);
  auto show = isnad({"show", "i1"});
  EXPECT_EQ(show.out.find('\x1b'), std::string::npos) << show.out;
  EXPECT_EQ(show.out.find("\nOK: fake"), std::string::npos) << show.out;
}

TEST_F(Cli, ASourceTooLongForAnEntryIsRefusedBeforeAnythingIsCopied) {
  auto r = isnad({"add", tmp_.Join("in"), "--source", std::string(70000, 'u')});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--source"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Nothing was added"), std::string::npos) << r.err;
  auto v = isnad({"verify"});
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_EQ(v.out.find("not referenced"), std::string::npos) << "no orphan copies: " << v.out;
}

TEST_F(Cli, ACatalogueBehindTheLogIsCaughtUpAndNeverBlamed) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in/video-1.mp4")}).exit_code, 0);
  fs::create_directories(tmp_.Join("saved"));
  auto catalogue_files = [&](const std::string& dir) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().filename().string().rfind("catalog.sqlite", 0) == 0) out.push_back(e.path());
    return out;
  };
  for (const auto& f : catalogue_files(archive_)) fs::copy(f, tmp_.Join("saved") / f.filename());
  ASSERT_EQ(isnad({"note", "i1", "seen by two witnesses"}).exit_code, 0);
  // A crash between the log's append and the catalogue's update: the catalogue lags.
  for (const auto& f : catalogue_files(archive_)) fs::remove(f);
  for (const auto& f : catalogue_files(tmp_.Join("saved"))) fs::copy(f, archive_ / f.filename());
  auto v = isnad({"verify", "--json"});
  EXPECT_EQ(v.exit_code, 0) << v.out;
  {
    // While a writer is at work, readers answer from what the catalogue holds.
    auto held = core::Env::Default()->LockFile(archive_);
    ASSERT_TRUE(held.ok());
    auto stale = isnad({"show", "i1", "--json"});
    ASSERT_EQ(stale.exit_code, 0) << stale.err;
    EXPECT_TRUE(JsonLines(stale.out)[0]["notes"].empty());
  }
  auto show = isnad({"show", "i1", "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  ASSERT_EQ(JsonLines(show.out)[0]["notes"].size(), 1u) << show.out;
  auto after = isnad({"verify"});
  EXPECT_EQ(after.exit_code, 0) << after.out;
  EXPECT_EQ(after.out.find("catalog.sqlite"), std::string::npos) << after.out;
}

// verify compares the catalogue with its own rebuild from the log: a row
// edited by hand is named, and reindex mends it.
TEST_F(Cli, AnEditedCatalogueIsNamedByVerifyAndMendedByReindex) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in")}).exit_code, 0);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((archive_ + "/catalog.sqlite").c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, "UPDATE items SET name = 'forged.mp4' WHERE leaf_index = 1", nullptr,
                           nullptr, nullptr),
              SQLITE_OK);
    EXPECT_EQ(sqlite3_changes(db), 1);
    sqlite3_close(db);
  }
  auto v = isnad({"verify"});
  EXPECT_EQ(v.exit_code, 10) << v.out << v.err;
  EXPECT_NE(v.out.find("PROBLEM catalog.sqlite: does not agree with the log"), std::string::npos)
      << v.out;
  ASSERT_EQ(isnad({"reindex"}).exit_code, 0);
  auto after = isnad({"verify"});
  EXPECT_EQ(after.exit_code, 0) << after.out << after.err;
}

TEST_F(Cli, VerifyAndReindexShowTheirStepsOnATerminalOnly) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in")}).exit_code, 0);
  const std::string entries = JsonLines(isnad({"checkpoint", "--json"}).out)[0]["size"].dump();
  const std::string all = " 100%  " + entries + " of " + entries + " entries";
  const std::vector<std::string> args = {testing::IsnadBinary(), "--archive", archive_};
  auto on_terminal = [&](const std::string& command) {
    std::vector<std::string> a = args;
    a.push_back(command);
    return testing::RunOnTerminal(a, {{"ISNAD_OPERATOR", "tester@test"}});
  };

  std::optional<RunResult> shown_verify = on_terminal("verify");
  if (!shown_verify) GTEST_SKIP() << "no pseudo-terminal here";
  RunResult& v = *shown_verify;
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  for (const std::string& shown :
       {"checking the log's tiles" + all, "reading the log, rebuilding the catalogue" + all,
        std::string("comparing the catalogue ..."), std::string("checking blobs 100%")}) {
    EXPECT_NE(v.err.find(shown), std::string::npos) << shown << " not in " << v.err;
  }
  EXPECT_EQ(v.out.rfind("OK: ", 0), 0u) << v.out;  // the report alone on stdout

  RunResult r = *on_terminal("reindex");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("rebuilding the catalogue from the log" + all), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("merging the search index"), std::string::npos) << r.err;

  // Piped to a file or a script, nothing but errors goes to stderr.
  EXPECT_EQ(isnad({"verify"}).err, "");
  EXPECT_EQ(isnad({"reindex"}).err, "");
}

TEST_F(Cli, ReindexJsonSaysWhatWasRebuilt) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in")}).exit_code, 0);
  auto r = isnad({"reindex", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  EXPECT_EQ(lines[0]["items"], 2);
  EXPECT_EQ(lines[0]["entries"], JsonLines(isnad({"checkpoint", "--json"}).out)[0]["size"]);
}

TEST_F(Cli, EveryCommandHasHelpWithAnExample) {
  for (const char* c : {"init", "add", "ls", "show", "cat", "log", "checkpoint", "key", "prove",
                        "consistency", "verify", "reindex", "note"}) {
    auto r = isnad({c, "--help"});
    EXPECT_EQ(r.exit_code, 0) << c;
    EXPECT_NE(r.out.find("Example"), std::string::npos) << c;
  }
}

TEST_F(Cli, AMistypedCommandOrOptionIsNamedWithWhatWasMeant) {
  auto r = isnad({"verfy"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no command \"verfy\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("isnad verify"), std::string::npos) << r.err;
  r = isnad({"add", tmp_.Join("in"), "--sorce", "https://example.org/x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean --source?"), std::string::npos) << r.err;
  EXPECT_EQ(JsonLines(isnad({"ls", "--json"}).out).size(), 0u) << "nothing was added";
}

TEST_F(Cli, VerifyWithAnEmptyOrMalformedKeyChecksNothingAndSaysSo) {
  // `--key "$(cat archive.vkey)"` where the file is missing: an empty key must not
  // print OK as if the archive had been held to a trusted key.
  auto r = isnad({"verify", "--key", ""});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_EQ(r.out.find("OK"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("--key is empty"), std::string::npos) << r.err;
  r = isnad({"verify", "--key", tmp_.Join("archive.vkey")});  // no such file
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("no such file, and not a public key either; nothing was checked"),
            std::string::npos)
      << r.err;
  r = isnad({"verify", "--key", "example.org/x+zz"});  // a key, mistyped
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("--key is not a public key"), std::string::npos) << r.err;
  r = RunProcess({testing::IsnadBinary(), "verify-bag", tmp_.Join("in/video-1.mp4"), "--key", ""});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("--key is empty"), std::string::npos) << r.err;
  // The file the key was saved in works as well as its text, as with verify-bag.
  WriteTestFile(tmp_.Join("archive.vkey"), isnad({"key"}).out);
  r = isnad({"verify", "--key", tmp_.Join("archive.vkey")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("OK"), std::string::npos) << r.out;
}

TEST_F(Cli, AnIdOfAnotherKindIsNamedAsSuch) {
  auto place = isnad({"place", "add", "--name", "Zamalka", "--json"});
  ASSERT_EQ(place.exit_code, 0) << place.err;
  std::string id = JsonLines(place.out).at(0)["id"];
  ASSERT_TRUE(id.starts_with("pl")) << id;
  for (const char* command : {"show", "cat", "prove"}) {
    auto r = isnad({command, id});
    EXPECT_EQ(r.exit_code, 2) << command;
    EXPECT_NE(r.err.find(id + " is the id of a place, not of an item"), std::string::npos) << r.err;
  }
  // Every command that takes an item says so, also where the id is hex ("ac9").
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"warc", "ls", id}, {"similar", id}, {"show", "ac9"}}) {
    auto r = isnad(args);
    EXPECT_EQ(r.exit_code, 2) << args[0];
    EXPECT_NE(r.err.find(" is the id of a"), std::string::npos) << args[0] << ": " << r.err;
  }
  // Twelve hex digits are a sha256 prefix, even when they read as another kind's id.
  auto prefix = isnad({"show", "ac1234567890"});
  EXPECT_EQ(prefix.exit_code, 3) << prefix.err;
  EXPECT_NE(prefix.err.find("no item with sha256 prefix ac1234567890"), std::string::npos)
      << prefix.err;
}

TEST_F(Cli, WithoutAnArchiveOptionTheMessageSaysNoneWasGiven) {
  std::string here = tmp_.Join("in");
  auto r = RunProcess(
      {"/bin/sh", "-c",
       "unset ISNAD_ARCHIVE; cd '" + here + "' && exec '" + testing::IsnadBinary() + "' ls"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("no isnad archive in the current folder (" + here + ")"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("neither --archive nor ISNAD_ARCHIVE"), std::string::npos) << r.err;
}

// A relative --archive is named with the folder it was read from, and `init` is suggested
// only where there is no folder: in a folder that holds other things it would make a second
// archive beside the evidence the user is looking for.
TEST_F(Cli, AMissingArchiveIsNamedInFullAndInitOnlySuggestedForANewFolder) {
  const std::string here = tmp_.Join("in");
  auto run_in = [&](const std::string& archive) {
    return RunProcess({"/bin/sh", "-c",
                       "cd '" + here + "' && exec '" + testing::IsnadBinary() + "' --archive " +
                           archive + " ls"});
  };
  auto absent = run_in("evidence");
  EXPECT_EQ(absent.exit_code, 3);
  EXPECT_NE(absent.err.find("evidence (" + here + "/evidence, from the current folder)"),
            std::string::npos)
      << absent.err;
  EXPECT_NE(absent.err.find("`isnad --archive evidence init`"), std::string::npos) << absent.err;
  auto not_one = run_in("photos");  // a folder of evidence, not an archive
  EXPECT_EQ(not_one.exit_code, 3);
  EXPECT_NE(not_one.err.find("holds no keys/log.vkey"), std::string::npos) << not_one.err;
  EXPECT_EQ(not_one.err.find("--archive photos init"), std::string::npos) << not_one.err;
}

// What a stopped reindex left (its half-built catalogue) is removed by the next command
// that writes, as the interrupt message promises; readers leave it alone.
TEST_F(Cli, TheNextWriterRemovesWhatAStoppedReindexLeft) {
  const std::string rebuild = archive_ + "/catalog.sqlite.rebuild";
  WriteTestFile(rebuild, std::string(100000, 'x'));
  WriteTestFile(rebuild + "-wal", "wal");
  ASSERT_EQ(isnad({"ls"}).exit_code, 0);
  EXPECT_TRUE(std::filesystem::exists(rebuild));
  ASSERT_EQ(isnad({"add", tmp_.Join("in/video-1.mp4")}).exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(rebuild));
  EXPECT_FALSE(std::filesystem::exists(rebuild + "-wal"));
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
}

// Finder's .DS_Store and AppleDouble "._" files in objects/ (an archive copied to exFAT
// from a Mac) are noted, not an integrity failure; any other stray file still is one.
TEST_F(Cli, FileManagerMetadataInObjectsIsANoteNotAFailure) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in/video-1.mp4")}).exit_code, 0);
  std::string leaf;
  for (const auto& e : std::filesystem::recursive_directory_iterator(archive_ + "/objects")) {
    if (e.is_regular_file()) leaf = e.path().parent_path().string();
  }
  ASSERT_FALSE(leaf.empty());
  WriteTestFile(leaf + "/.DS_Store", "Bud1");
  WriteTestFile(leaf + "/._video", "Mac OS X");
  auto noted = isnad({"verify"});
  EXPECT_EQ(noted.exit_code, 0) << noted.out << noted.err;
  EXPECT_NE((noted.out + noted.err).find(".DS_Store is a file manager's metadata"),
            std::string::npos)
      << noted.out << noted.err;
  WriteTestFile(leaf + "/.DS_Store.d/.DS_Store", "x");  // not a plain file: still a problem
  std::filesystem::rename(leaf + "/.DS_Store.d", leaf + "/._folder");
  EXPECT_EQ(isnad({"verify"}).exit_code, 10);
  std::filesystem::remove_all(leaf + "/._folder");
  WriteTestFile(leaf + "/planted", "x");
  auto planted = isnad({"verify"});
  EXPECT_EQ(planted.exit_code, 10) << planted.out;
  EXPECT_NE(planted.out.find("planted: is not a blob of this archive"), std::string::npos)
      << planted.out;
}

// An archive handed over on a read-only mount whose catalogue lags the log (a writer was
// stopped between its checkpoint and its catalogue): reads still answer, from what the
// catalogue holds, with a warning that names what it lacks; a write says the mount is
// read-only. Needs a bind mount (root with CAP_SYS_ADMIN): skipped where there is none.
TEST_F(Cli, AReadOnlyArchiveWithALaggingCatalogueStillReads) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in/video-1.mp4")}).exit_code, 0);
  const std::string old_catalog = tmp_.Join("catalog.old");
  std::filesystem::copy_file(archive_ + "/catalog.sqlite", old_catalog);
  ASSERT_EQ(isnad({"add", tmp_.Join("in/photos/p1.jpg")}).exit_code, 0);
  for (const char* f : {"/catalog.sqlite-wal", "/catalog.sqlite-shm"}) {
    std::filesystem::remove(archive_ + f);
  }
  std::filesystem::copy_file(old_catalog, archive_ + "/catalog.sqlite",
                             std::filesystem::copy_options::overwrite_existing);
  const std::string ro = tmp_.Join("ro");
  std::filesystem::create_directories(ro);
  auto mounted = RunProcess({"/bin/sh", "-c",
                             "mount --bind '" + archive_ + "' '" + ro + "' && mount -o " +
                                 "remount,ro,bind '" + ro + "'"});
  if (mounted.exit_code != 0) {
    RunProcess({"/bin/sh", "-c", "umount '" + ro + "'"});
    GTEST_SKIP() << "no read-only bind mount here: " << mounted.err;
  }
  auto in_ro = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {testing::IsnadBinary(), "--archive", ro});
    return RunProcess(args);
  };
  auto ls = in_ro({"ls"});
  auto tag = in_ro({"tag", "i1", "x"});
  auto exported = in_ro({"export", "--items", "i1", "--out", tmp_.Join("bag")});
  RunProcess({"/bin/sh", "-c", "umount '" + ro + "'"});
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_NE(ls.out.find("video-1.mp4"), std::string::npos) << ls.out;
  EXPECT_NE(ls.err.find("warning: the catalogue holds the first"), std::string::npos) << ls.err;
  EXPECT_EQ(tag.exit_code, 5) << tag.err;
  EXPECT_NE(tag.err.find("mounted read-only"), std::string::npos) << tag.err;
  // An export would choose from the older catalogue but prove against the whole log.
  EXPECT_NE(exported.exit_code, 0) << exported.out;
  EXPECT_NE(exported.err.find("export needs the catalogue up to date"), std::string::npos)
      << exported.err;
  EXPECT_FALSE(std::filesystem::exists(tmp_.Join("bag")));
  // Writable again, the next command catches the catalogue up.
  auto caught_up = isnad({"ls"});
  EXPECT_EQ(caught_up.err.find("warning"), std::string::npos) << caught_up.err;
  EXPECT_NE(caught_up.out.find("p1.jpg"), std::string::npos) << caught_up.out;
}

// Slips on the command line get a sentence saying what went wrong and what to type.
TEST_F(Cli, CommandLineSlipsAreSaidPlainly) {
  ASSERT_EQ(isnad({"add", tmp_.Join("in/video-1.mp4")}).exit_code, 0);
  // A note without quotes: the stray words in the order typed, and the quotes asked for.
  auto note = isnad({"note", "i1", "the", "uploader", "was", "called"});
  EXPECT_EQ(note.exit_code, 2);
  EXPECT_NE(note.err.find("isnad note: more words than it takes: \"uploader was called\""),
            std::string::npos)
      << note.err;
  EXPECT_NE(note.err.find("must be in quotes"), std::string::npos) << note.err;
  // A group command given a word it does not have, or none.
  auto list = isnad({"incident", "list"});
  EXPECT_EQ(list.exit_code, 2);
  EXPECT_NE(list.err.find("did you mean `isnad incident ls`?"), std::string::npos) << list.err;
  // A command of the group that lacks its argument keeps CLI11's "is required".
  auto show = isnad({"actor", "show"});
  EXPECT_EQ(show.exit_code, 2);
  EXPECT_NE(show.err.find("is required"), std::string::npos) << show.err;
  EXPECT_EQ(show.err.find("not one of its commands"), std::string::npos) << show.err;
  auto bare = isnad({"relation"});
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_NE(bare.err.find("isnad relation needs one of its commands: add, ls, show, withdraw"),
            std::string::npos)
      << bare.err;
  // A mistyped option of isnad itself, not "no command" for its value.
  for (const std::vector<std::string>& line :
       {std::vector<std::string>{testing::IsnadBinary(), "--archiv", archive_, "ls"},
        // The stray value is also an earlier option's value: the option is still found.
        {testing::IsnadBinary(), "--archive", archive_, "--archiv", archive_, "ls"}}) {
    auto archiv = RunProcess(line);
    EXPECT_EQ(archiv.exit_code, 2);
    EXPECT_NE(archiv.err.find("--archiv is not an option of isnad; did you mean --archive?"),
              std::string::npos)
        << archiv.err;
  }
  // A mistyped option of a command: only the suggestion, not CLI11's reversed list too.
  auto titel = isnad({"describe", "i1", "--titel", "x"});
  EXPECT_EQ(titel.exit_code, 2);
  EXPECT_NE(titel.err.find("did you mean --title?"), std::string::npos) << titel.err;
  EXPECT_EQ(titel.err.find("not expected"), std::string::npos) << titel.err;
  // --key naming a file that is not there: the file, and how to make it.
  auto key = isnad({"verify", "--key", tmp_.Join("archive.vkey")});
  EXPECT_EQ(key.exit_code, 2);
  EXPECT_NE(key.err.find("no such file, and not a public key either"), std::string::npos)
      << key.err;
  EXPECT_NE(key.err.find("key > " + tmp_.Join("archive.vkey")), std::string::npos) << key.err;
}

TEST_F(Cli, CatOfAPictureToATerminalWritesNothingAndSaysHowToSaveIt) {
  int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) {
    GTEST_SKIP() << "no pseudo-terminal here";
  }
  std::string terminal = ::ptsname(master);
  auto added = JsonLines(isnad({"add", tmp_.Join("in/photos/p1.jpg"), "--json"}).out);
  ASSERT_EQ(added.size(), 1u);
  std::string id = added[0]["id"];
  pid_t pid = testing::StartProcess({testing::IsnadBinary(), "--archive", archive_, "cat", id},
                                    terminal, tmp_.Join("cat.err"));
  EXPECT_EQ(testing::WaitProcess(pid), 2);
  std::string err = *core::Env::Default()->ReadFile(tmp_.Join("cat.err"));
  EXPECT_NE(err.find("isnad cat " + id + " > p1.jpg"), std::string::npos) << err;
  // Redirected to a file, as the message says, it gives the bytes.
  EXPECT_EQ(isnad({"cat", id}).out, "\xff\xd8\xff\xe0 not really a jpeg");
  ::close(master);
}

TEST_F(Cli, AnInterruptedAddSaysWhatIsSafeAndLeavesAnArchiveThatVerifies) {
  for (int i = 0; i < 300; ++i) {
    WriteTestFile(tmp_.Join("many/f" + std::to_string(i) + ".txt"), "item " + std::to_string(i));
  }
  std::string out = tmp_.Join("add.out"), err = tmp_.Join("add.err");
  // One signed commit per file: slow enough to be stopped half-way.
  pid_t pid = testing::StartProcess({testing::IsnadBinary(), "--archive", archive_, "add",
                                     tmp_.Join("many"), "--batch-files", "1", "-j", "1"},
                                    out, err, {{"ISNAD_OPERATOR", "tester@test"}});
  // Ctrl-C once the first file is acknowledged.
  auto acknowledged_any = [&] {
    std::error_code ec;
    uintmax_t size = std::filesystem::file_size(out, ec);
    return !ec && size > 0;
  };
  for (int i = 0; i < 2000 && !acknowledged_any(); ++i) ::usleep(5000);
  ::kill(pid, SIGINT);
  ASSERT_EQ(testing::WaitProcess(pid), -SIGINT) << "the add ran to its end before Ctrl-C";
  std::string said = *core::Env::Default()->ReadFile(err);
  EXPECT_NE(said.find("interrupted"), std::string::npos) << said;
  EXPECT_NE(said.find("run the same command again"), std::string::npos) << said;
  std::string acknowledged = *core::Env::Default()->ReadFile(out);
  size_t lines = static_cast<size_t>(std::count(acknowledged.begin(), acknowledged.end(), '\n'));
  const size_t held = JsonLines(isnad({"ls", "--json"}).out).size();
  EXPECT_GE(held, lines) << "an acknowledged file lost";
  // Into a file too, each line is out when its file is recorded (not kept in a
  // buffer that the signal throws away): at most the files of the batches in
  // flight are recorded but not yet reported.
  EXPECT_LE(held, lines + 2) << acknowledged;
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
  // Running it again, as the message says, finishes the job.
  EXPECT_EQ(isnad({"add", tmp_.Join("many")}).exit_code, 0);
  EXPECT_EQ(JsonLines(isnad({"ls", "--json"}).out).size(), 300u);
}

TEST_F(Cli, InitUnderAFolderThatDoesNotExistCreatesNothing) {
  // A mistyped or unmounted drive must not put the archive on another disk.
  std::string drive = tmp_.Join("media/usbdirve");
  auto r = RunProcess({testing::IsnadBinary(), "--archive", drive + "/evidence/", "init"});
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.err.find(drive + " does not exist"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(tmp_.Join("media")));
  // Under a folder that exists, as always.
  EXPECT_EQ(
      RunProcess({testing::IsnadBinary(), "--archive", tmp_.Join("evidence/"), "init"}).exit_code,
      0);
}

}  // namespace
}  // namespace isnad
