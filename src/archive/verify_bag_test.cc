// archive::VerifyBag against tampering that BagIt alone cannot see: the bag is
// made by the real `isnad export`, changed the way an attacker would, its
// manifests remade (so BagIt validation passes), and then verified with the
// archive's key. Each test fails if verify-bag accepts the tampered case file.
#include "archive/verify_bag.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "bag_test_util.h"
#include "core/canonical_json.h"
#include "core/testing/temp_dir.h"
#include "subprocess.h"

namespace isnad::archive {
namespace {

namespace fs = std::filesystem;
using core::Json;
using core::testing::ReadTestFile;
using core::testing::TempDir;
using core::testing::WriteTestFile;
using testing::Rebag;
using testing::RunProcess;
using testing::RunResult;

class VerifyBagTamper : public ::testing::Test {
 protected:
  void SetUp() override {
    archive_ = tmp_.Join("ar");
    ASSERT_EQ(isnad({"init", "--name", "test.example/ar"}).exit_code, 0);
    auto key = isnad({"key", "--json"});
    ASSERT_EQ(key.exit_code, 0) << key.err;
    vkey_ = Json::parse(key.out.substr(0, key.out.find('\n')))["vkey"].get<std::string>();
    WriteTestFile(tmp_.Join("in/photo.jpg"), "\xff\xd8\xff\xe0 the original photo bytes");
    auto add = isnad({"add", tmp_.Join("in/photo.jpg"), "--json"});
    ASSERT_EQ(add.exit_code, 0) << add.err;
    id_ = Json::parse(add.out.substr(0, add.out.find('\n')))["id"].get<std::string>();
    ASSERT_EQ(isnad({"note", id_, std::string(5000, 'N')}).exit_code, 0);  // a long note
    bag_ = tmp_.Join("bag");
    auto ex = isnad({"export", "--items", id_, "--out", bag_});
    ASSERT_EQ(ex.exit_code, 0) << ex.err;
    auto r = VerifyBag(bag_, vkey_);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r->ok()) << Describe(*r);
    dir_ = "data/exhibits/" + id_ + "/";
  }
  RunResult isnad(std::vector<std::string> args) {
    args.insert(args.begin(), {testing::IsnadBinary(), "--archive", archive_});
    return RunProcess(args, {{"ISNAD_OPERATOR", "tester@test"}});
  }
  static std::string Describe(const BagVerifyReport& r) {
    std::string out;
    for (const auto& p : r.problems) {
      out += (p.warning ? "warning: " : "") + p.file + ": " + p.what + "\n";
    }
    return out;
  }
  // Verifies with the pinned key: fails, with an error naming `file`.
  void ExpectCaught(const std::string& file) {
    auto r = VerifyBag(bag_, vkey_);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_FALSE(r->ok()) << "accepted:\n" << Describe(*r);
    bool named = false;
    for (const auto& p : r->problems) named = named || (!p.warning && p.file == file);
    EXPECT_TRUE(named) << "no error about " << file << " in:\n" << Describe(*r);
  }

  TempDir tmp_;
  std::string archive_, vkey_, id_, bag_, dir_;
};

// The whole custody folder removed and the manifests remade: a valid BagIt bag,
// but with --key the user asked for custody evidence, and there is none.
TEST_F(VerifyBagTamper, PinnedKeyFailsABagStrippedOfItsCustody) {
  fs::remove_all(bag_ + "/data/custody");
  WriteTestFile(bag_ + "/" + dir_ + "photo.jpg", "planted bytes");
  Rebag(bag_);
  ExpectCaught("data/custody/");
  // Without a key it is checked as BagIt only, and says so.
  auto r = VerifyBag(bag_, "");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->custody);
  ASSERT_FALSE(r->notes.empty());
  EXPECT_NE(r->notes[0].find("BagIt bag only"), std::string::npos) << r->notes[0];
}

// A file planted beside an exhibit (or anywhere under data/) with the manifests
// remade: BagIt is satisfied, but nothing in the custody log vouches for it.
TEST_F(VerifyBagTamper, PlantedFilesWithRemadeManifestsAreCaught) {
  WriteTestFile(bag_ + "/" + dir_ + "confession.pdf", "%PDF-1.4 planted");
  WriteTestFile(bag_ + "/data/custody/extra-evidence.txt", "planted");
  WriteTestFile(bag_ + "/data/report/report-fr.html", "<p>planted</p>");
  WriteTestFile(bag_ + "/READ-ME-FIRST.txt", "the exhibits were fabricated");  // a tag file
  // A tag file to BagIt, but on Windows or macOS it lands on the exhibit itself.
  const std::string upper = "DATA/exhibits/" + id_ + "/photo.jpg";
  WriteTestFile(bag_ + "/" + upper, "planted bytes");
  Rebag(bag_);
  ExpectCaught(dir_ + "confession.pdf");
  ExpectCaught("READ-ME-FIRST.txt");
  ExpectCaught(upper);
  ExpectCaught("data/custody/extra-evidence.txt");
  ExpectCaught("data/report/report-fr.html");
}

// bag-info.txt names the archive's key for people to copy: another key there (the
// checkpoint still signed by the true one) must not pass.
TEST_F(VerifyBagTamper, AnotherKeyInBagInfoIsCaught) {
  std::string info = ReadTestFile(bag_ + "/bag-info.txt");
  const size_t at = info.find("Isnad-Vkey: " + vkey_ + "\n");
  ASSERT_NE(at, std::string::npos) << info;
  info.replace(at, 12 + vkey_.size(),
               "Isnad-Vkey: attacker.example/ar+0badc0de+AXbF0sW8JxQpmZ4kGQmsQx1D5nAVYZqTGxVyrD1k");
  WriteTestFile(bag_ + "/bag-info.txt", info);
  Rebag(bag_);
  ExpectCaught("bag-info.txt");
}

// A second Isnad-Vkey after the true one: a reader who copies the last one gets the
// attacker's key. Each Isnad-* label is given once by an export; others (such as
// Bag-Software-Agent, RFC 8493 2.2.2) may repeat.
TEST_F(VerifyBagTamper, AnIsnadLabelGivenTwiceInBagInfoIsCaught) {
  const std::string info = ReadTestFile(bag_ + "/bag-info.txt");
  ASSERT_NE(info.find("Isnad-Vkey: " + vkey_ + "\n"), std::string::npos) << info;
  WriteTestFile(bag_ + "/bag-info.txt", info + "Bag-Software-Agent: another tool\n");
  Rebag(bag_);
  auto r = VerifyBag(bag_, vkey_);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok()) << Describe(*r);
  for (const std::string label : {"Isnad-Vkey", "ISNAD-VKEY", "Isnad-Checkpoint-Size"}) {
    WriteTestFile(bag_ + "/bag-info.txt",
                  info + label + ": attacker.example/ar+0badc0de+AXbF0sW8JxQpmZ4kGQmsQx1D5nAVYZ\n");
    Rebag(bag_);
    ExpectCaught("bag-info.txt");
    r = VerifyBag(bag_, vkey_);
    ASSERT_TRUE(r.ok());
    EXPECT_NE(Describe(*r).find("bag-info.txt: gives " + label + " twice"), std::string::npos)
        << Describe(*r);
  }
}

// A .zip case file with an entry beside the bag's folder: unpacked next to the case
// file, vouched for by nothing (BagIt 0.97's "Serialization": the serialization holds the bag
// only).
TEST_F(VerifyBagTamper, ZipEntryBesideTheBagFolderIsCaught) {
  const std::string zip = tmp_.Join("case.zip");
  ASSERT_EQ(isnad({"export", "--items", id_, "--out", zip}).exit_code, 0);
  auto clean = VerifyBag(zip, vkey_);
  ASSERT_TRUE(clean.ok());
  ASSERT_TRUE(clean->ok()) << Describe(*clean);
  auto py = RunProcess({"/usr/bin/env", "python3", "-c",
                        "import sys, zipfile\n"
                        "with zipfile.ZipFile(sys.argv[1], 'a') as z:\n"
                        "    z.writestr('READ-ME-FIRST.txt', 'the exhibits were fabricated')\n",
                        zip},
                       {});
  if (py.exit_code != 0) GTEST_SKIP() << "python3 cannot append to a zip: " << py.err;
  auto r = VerifyBag(zip, vkey_);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ok()) << "accepted:\n" << Describe(*r);
  EXPECT_NE(Describe(*r).find("READ-ME-FIRST.txt"), std::string::npos) << Describe(*r);
}

// A long note or analysis file that hashes to its name but that no proved entry
// names is planted text, not custody evidence.
TEST_F(VerifyBagTamper, PlantedNoteThatHashesToItsNameIsCaught) {
  const std::string text = "a note nobody wrote in the archive";
  const std::string note = "data/custody/notes/" + testing::Sha256Hex(text) + ".txt";
  WriteTestFile(bag_ + "/" + note, text);
  const std::string json = "{\"planted\": true}";
  const std::string analysis = "data/custody/analysis/" + testing::Sha256Hex(json) + ".json";
  WriteTestFile(bag_ + "/" + analysis, json);
  Rebag(bag_);
  ExpectCaught(note);
  ExpectCaught(analysis);
}

// BagIt before 0.96 does not percent-decode manifest paths; verify-bag used to
// read manifest-sha256.txt again with decoding, so `x%25` (the original bytes)
// stood in for `x%` (planted bytes, named by metadata.json) in its custody check.
TEST_F(VerifyBagTamper, ManifestPathReadTwoWaysCannotHideChangedBytes) {
  const std::string original = ReadTestFile(bag_ + "/" + dir_ + "photo.jpg");
  fs::remove(bag_ + "/" + dir_ + "photo.jpg");
  WriteTestFile(bag_ + "/" + dir_ + "x%25", original);
  WriteTestFile(bag_ + "/" + dir_ + "x%", "planted bytes shown as the exhibit");
  Json meta = Json::parse(ReadTestFile(bag_ + "/" + dir_ + "metadata.json"));
  meta["file"] = "x%";
  WriteTestFile(bag_ + "/" + dir_ + "metadata.json", meta.dump(2) + "\n");
  WriteTestFile(bag_ + "/bagit.txt", "BagIt-Version: 0.95\nTag-File-Character-Encoding: UTF-8\n");
  Rebag(bag_);  // writes paths as they are: right for 0.95
  ExpectCaught(dir_ + "x%");
}

}  // namespace
}  // namespace isnad::archive
