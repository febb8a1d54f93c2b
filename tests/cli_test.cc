// The `isnad` command end to end, as a user or a script drives it: every
// command, its JSON Lines output, exit codes, and independent re-checking of
// what it prints (proofs verified here from the printed bytes alone).
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "core/canonical_json.h"
#include "core/encoding.h"
#include "core/env.h"
#include "core/testing/temp_dir.h"
#include "log/checkpoint.h"
#include "log/merkle.h"
#include "log/note.h"
#include "subprocess.h"

namespace isnad {
namespace {

using core::Json;
using core::testing::TempDir;
using core::testing::WriteTestFile;
using testing::JsonLines;
using testing::RunProcess;
using testing::RunResult;

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
  auto again = isnad({"add", tmp_.Join("in/video-1.mp4")});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("damaged"), std::string::npos) << again.err;
  EXPECT_TRUE(std::filesystem::exists(archive_ + "/quarantine"));
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
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

TEST_F(Cli, EveryCommandHasHelpWithAnExample) {
  for (const char* c : {"init", "add", "ls", "show", "cat", "log", "checkpoint", "key", "prove",
                        "consistency", "verify", "reindex", "note"}) {
    auto r = isnad({c, "--help"});
    EXPECT_EQ(r.exit_code, 0) << c;
    EXPECT_NE(r.out.find("Example"), std::string::npos) << c;
  }
}

}  // namespace
}  // namespace isnad
