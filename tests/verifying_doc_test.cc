// docs/verifying.md is a procedure for people who do not run isnad. This test
// runs its ```sh blocks exactly as written (one bash script, in a working folder
// holding bag/, archive.vkey, verify-bag.py and tsa-roots.pem, as the page says)
// against a freshly exported package, and asserts that they pass; then against
// tampered copies, and asserts that they fail.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "archive/archive.h"
#include "archive/timestamp.h"
#include "bag_test_util.h"
#include "core/canonical_json.h"
#include "core/encoding.h"
#include "core/testing/temp_dir.h"
#include "log/note.h"
#include "subprocess.h"
#include "tsa/fake_tsa.h"
#include "tsa/timestamp.h"

namespace isnad {
namespace {

namespace fs = std::filesystem;
using core::Json;
using core::testing::ReadTestFile;
using core::testing::TempDir;
using core::testing::WriteTestFile;
using testing::RunProcess;
using testing::RunResult;

// The repository (__FILE__ would be relative under ccache's CCACHE_BASEDIR).
const std::string kSourceDir = ISNAD_SOURCE_DIR;

// The ```sh blocks of the page, in order, as one script.
std::string ShellSteps() {
  std::istringstream in(ReadTestFile(kSourceDir + "/docs/verifying.md"));
  std::string line, script;
  bool inside = false;
  int blocks = 0;
  while (std::getline(in, line)) {
    if (!inside && line == "```sh") {
      inside = true;
      ++blocks;
    } else if (inside && line == "```") {
      inside = false;
    } else if (inside) {
      script += line + "\n";
    }
  }
  EXPECT_GE(blocks, 4) << "docs/verifying.md lost its ```sh blocks";
  return script;
}

std::vector<Json> JsonLines(const std::string& out) {
  std::vector<Json> v;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) v.push_back(Json::parse(line));
  }
  return v;
}

class VerifyingDoc : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    archive_ = tmp_->Join("ar");
    auto isnad = [](std::vector<std::string> args) {
      args.insert(args.begin(), {testing::IsnadBinary(), "--archive", archive_});
      return RunProcess(args, {{"ISNAD_OPERATOR", "expert@test"}});
    };
    ASSERT_EQ(isnad({"init", "--name", "court.example/evidence"}).exit_code, 0);
    vkey_ = JsonLines(isnad({"key", "--json"}).out)[0]["vkey"].get<std::string>();
    std::vector<std::string> ids;
    for (int k = 0; k < 5; ++k) {  // one batch, one checkpoint each
      const std::string f = tmp_->Join("in/video " + std::to_string(k) + ".mp4");
      WriteTestFile(f, std::string(1000 + k, static_cast<char>('a' + k)));
      auto r = isnad({"add", f, "--json"});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      ids.push_back(JsonLines(r.out)[0]["id"].get<std::string>());
    }
    ASSERT_EQ(isnad({"note", ids[1], "uploader confirmed by phone"}).exit_code, 0);
    // Characters Python's str.splitlines() would split an entries.jsonl line at.
    ASSERT_EQ(isnad({"note", ids[1], "line\u2028separator\u0085next\x1c"}).exit_code, 0);
    // A long note, stored as a blob: custody/notes/<sha256>.txt in the bag.
    ASSERT_EQ(isnad({"note", ids[3], std::string(70000, 'L')}).exit_code, 0);
    ASSERT_EQ(isnad({"review", ids[1], "--status", "verified", "--reason", "metadata"}).exit_code,
              0);
    // An RFC 3161 token over the current checkpoint, from a local authority.
    tsa_ = new tsa::testing::FakeTsa();
    {
      archive::Options o;
      o.operator_name = "expert@test";
      auto a = archive::Archive::Open(archive_, archive::Mode::kWrite, o);
      ASSERT_TRUE(a.ok()) << a.status().ToString();
      tsa::VerifyOptions vo;
      vo.roots_pem = tsa_->root_pem();
      auto stamped = archive::TimestampCheckpoint(**a, {tsa_->url()}, vo, 10);
      ASSERT_TRUE(stamped.ok()) << stamped.status().ToString();
      ASSERT_EQ(stamped->recorded(), 1u) << stamped->tsas[0].status.ToString();
    }
    ASSERT_EQ(isnad({"note", ids[1], "a note after the timestamp"}).exit_code, 0);
    auto r = isnad({"export", "--items", ids[1], ids[3], "--out", tmp_->Join("bag")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ids_ = ids;
  }
  static void TearDownTestSuite() {
    delete tsa_;
    delete tmp_;
  }

  // A working folder as the page describes, with a copy of the bag that
  // `tamper` may change first; returns the result of running the page's steps.
  RunResult RunSteps(const std::function<void(const std::string& bag)>& tamper = nullptr) {
    const std::string work = tmp_->Join("work-" + std::to_string(++runs_));
    fs::create_directories(work);
    testing::CopyTree(tmp_->Join("bag"), work + "/bag");
    if (tamper) tamper(work + "/bag");
    // As a key arrives: copied from `isnad init`'s indented line, saved on Windows.
    WriteTestFile(work + "/archive.vkey", "  " + vkey_ + "\r\n");
    fs::copy_file(kSourceDir + "/scripts/verify-bag.py", work + "/verify-bag.py");
    WriteTestFile(work + "/tsa-roots.pem", tsa_->root_pem());
    WriteTestFile(work + "/steps.sh", ShellSteps());
    last_bag_ = work + "/bag";
    // A hang (a step reading an endless file) fails instead of stalling the suite.
    return RunProcess({"/bin/bash", "-c", "cd \"$0\" && timeout 120 bash steps.sh 2>&1", work});
  }

  static TempDir* tmp_;
  static tsa::testing::FakeTsa* tsa_;
  static std::string archive_, vkey_;
  static std::vector<std::string> ids_;
  static int runs_;
  std::string last_bag_;  // the copy RunSteps checked last
};
TempDir* VerifyingDoc::tmp_ = nullptr;
tsa::testing::FakeTsa* VerifyingDoc::tsa_ = nullptr;
std::string VerifyingDoc::archive_, VerifyingDoc::vkey_;
std::vector<std::string> VerifyingDoc::ids_;
int VerifyingDoc::runs_ = 0;

TEST_F(VerifyingDoc, TheStepsPassOnAGenuinePackage) {
  auto r = RunSteps();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const size_t first = r.out.find("Signature Verified Successfully");
  ASSERT_NE(first, std::string::npos) << r.out;
  // ... twice: the checkpoint, then the archive's statement over the whole package.
  EXPECT_NE(r.out.find("Signature Verified Successfully", first + 1), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("statement: the archive signed manifest-sha256.txt"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\nOK\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Verification: OK"), std::string::npos) << r.out;  // the token
  EXPECT_NE(r.out.find("exhibit " + ids_[1] + ": sha256"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("consistent with"), std::string::npos) << r.out;
}

TEST_F(VerifyingDoc, FlippedExhibitByteFailsAtTheManifests) {
  auto r = RunSteps([&](const std::string& bag) {
    const std::string f = bag + "/data/exhibits/" + ids_[1] + "/video 1.mp4";
    std::string b = ReadTestFile(f);
    b[0] ^= 1;
    WriteTestFile(f, b);
  });
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("video 1.mp4"), std::string::npos) << r.out;
}

TEST_F(VerifyingDoc, FlippedExhibitByteWithRemadeManifestsFailsAtTheScript) {
  auto r = RunSteps([&](const std::string& bag) {
    const std::string f = bag + "/data/exhibits/" + ids_[3] + "/video 3.mp4";
    std::string b = ReadTestFile(f);
    b[0] ^= 1;
    WriteTestFile(f, b);
    testing::Rebag(bag);
  });
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("FAIL data/exhibits/" + ids_[3] + "/video 3.mp4"), std::string::npos)
      << r.out;
}

// A report (which no custody entry covers) altered and the manifests remade: the
// archive's signed statement over the payload manifest no longer matches (step 2).
TEST_F(VerifyingDoc, AlteredReportWithRemadeManifestsFailsAtTheStatement) {
  auto r = RunSteps([](const std::string& bag) {
    WriteTestFile(bag + "/data/report/report-en.html", "<p>altered</p>");
    testing::Rebag(bag, /*keep_statement=*/true);
  });
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("../statement.txt differ"), std::string::npos) << r.out;
}

TEST_F(VerifyingDoc, ExtraFileFails) {
  auto r = RunSteps(
      [](const std::string& bag) { WriteTestFile(bag + "/data/exhibits/planted.txt", "planted"); });
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("planted.txt"), std::string::npos) << r.out;
}

TEST_F(VerifyingDoc, CheckpointSignedByAnotherKeyFailsAtOpenssl) {
  auto r = RunSteps([](const std::string& bag) {
    auto signer =
        tlog::NoteSigner::FromSkey(*tlog::NoteSigner::GenerateSkey("court.example/evidence"));
    ASSERT_TRUE(signer.ok());
    std::string note = ReadTestFile(bag + "/data/custody/checkpoint");
    auto forged = tlog::SignNote(note.substr(0, note.find("\n\n") + 1), {&*signer});
    ASSERT_TRUE(forged.ok());
    WriteTestFile(bag + "/data/custody/checkpoint", *forged);
    testing::Rebag(bag);
  });
  EXPECT_NE(r.exit_code, 0) << r.out;
  // The signature line's key id is not the key's: step 2 stops before openssl runs.
  EXPECT_EQ(r.out.find("Signature Verified Successfully"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("statement:"), std::string::npos) << r.out;
}

// A signature line that keeps the key's name and id but whose signature is
// another key's: the id check passes, and openssl refuses the signature.
TEST_F(VerifyingDoc, CheckpointSignatureSwappedUnderTheKeysIdFailsAtOpenssl) {
  auto r = RunSteps([](const std::string& bag) {
    auto signer = tlog::NoteSigner::FromSkey(*tlog::NoteSigner::GenerateSkey("test.example/x"));
    ASSERT_TRUE(signer.ok());
    const std::string path = bag + "/data/custody/checkpoint";
    const std::string note = ReadTestFile(path);
    const std::string text = note.substr(0, note.find("\n\n") + 1);
    auto other = tlog::SignNote(text, {&*signer});
    ASSERT_TRUE(other.ok());
    // Its signature's 64 bytes under the genuine line's name and 4-byte key id.
    const size_t at = note.find("\n\n") + 2;
    const std::string line = note.substr(at, note.find('\n', at) - at);
    const std::string genuine = *core::Base64Decode(line.substr(line.rfind(' ') + 1));
    const std::string theirs_line = other->substr(other->find("\n\n") + 2);
    const std::string theirs = *core::Base64Decode(theirs_line.substr(
        theirs_line.rfind(' ') + 1, theirs_line.find('\n') - theirs_line.rfind(' ') - 1));
    WriteTestFile(path, text + "\n" + line.substr(0, line.rfind(' ') + 1) +
                            core::Base64Encode(genuine.substr(0, 4) + theirs.substr(4)) + "\n");
    testing::Rebag(bag);
  });
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("Signature Verification Failure"), std::string::npos) << r.out;
}

TEST_F(VerifyingDoc, ForgedInclusionProofFailsAtTheScript) {
  auto r = RunSteps([](const std::string& bag) {
    auto lines = JsonLines(ReadTestFile(bag + "/data/custody/entries.jsonl"));
    std::string text;
    bool done = false;
    for (auto& l : lines) {
      if (!done && l["inclusion"].size() >= 2) {
        std::swap(l["inclusion"][0], l["inclusion"][1]);
        done = true;
      }
      text += l.dump() + "\n";
    }
    ASSERT_TRUE(done);
    WriteTestFile(bag + "/data/custody/entries.jsonl", text);
    testing::Rebag(bag);
  });
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("the inclusion proof does not hold"), std::string::npos) << r.out;
}

// A token renamed as if over another checkpoint: the script finds that the token its
// timestamp.added entry records (over the checkpoint it names) is gone (step 3).
TEST_F(VerifyingDoc, TokenOverAnotherCheckpointFails) {
  auto r = RunSteps([](const std::string& bag) {
    const std::string dir = bag + "/data/custody/timestamps";
    std::vector<std::string> tokens = testing::FilesUnder(dir);
    ASSERT_EQ(tokens.size(), 1u);
    std::string note = ReadTestFile(bag + "/data/custody/checkpoint");
    std::string size = note.substr(note.find('\n') + 1);
    size = size.substr(0, size.find('\n'));
    ASSERT_NE(tokens[0], size + "-0.tst");
    fs::rename(dir + "/" + tokens[0], dir + "/" + size + "-0.tst");
    testing::Rebag(bag);
  });
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("FAIL data/custody/timestamps/: missing"), std::string::npos) << r.out;
}

// ---- Tampering (or hostile input) that BagIt alone cannot see: the manifests are
// remade to match. `isnad verify-bag` catches each; the page's steps must too, with
// a clear line naming the file, never a Python traceback, and never a hang.
class VerifyingDocTamper : public VerifyingDoc {
 protected:
  void ExpectBothFail(const std::function<void(const std::string& bag)>& tamper,
                      const std::string& named) {
    auto r = RunSteps([&](const std::string& bag) {
      tamper(bag);
      testing::Rebag(bag);
    });
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("FAIL " + named), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("Traceback"), std::string::npos) << r.out;
    auto cc = RunProcess({testing::IsnadBinary(), "verify-bag", last_bag_, "--key", vkey_});
    EXPECT_EQ(cc.exit_code, 10) << cc.out << cc.err;
  }
  std::string Exhibit(int k) { return "data/exhibits/" + ids_[k]; }
  static void EditJsonLines(const std::string& file, const std::function<void(Json&)>& edit) {
    std::string text;
    for (Json& l : JsonLines(ReadTestFile(file))) {
      edit(l);
      text += l.dump() + "\n";
    }
    WriteTestFile(file, text);
  }
};

// The forged exhibit under its own name, the original bytes beside it, and
// metadata.json pointed at the original: the custody check passes on the wrong file.
TEST_F(VerifyingDocTamper, ForgedExhibitBesideItsOriginal) {
  ExpectBothFail(
      [&](const std::string& bag) {
        const std::string dir = bag + "/" + Exhibit(1);
        fs::rename(dir + "/video 1.mp4", dir + "/original.mp4");
        WriteTestFile(dir + "/video 1.mp4", "forged");
        std::string meta = ReadTestFile(dir + "/metadata.json");
        meta.replace(meta.find("\"video 1.mp4\""), 13, "\"original.mp4\"");
        WriteTestFile(dir + "/metadata.json", meta);
      },
      Exhibit(1) + "/video 1.mp4: not part of an isnad export");
}

TEST_F(VerifyingDocTamper, PlantedFileInAnExhibitFolder) {
  ExpectBothFail([&](const std::string& bag) { WriteTestFile(bag + "/" + Exhibit(3) + "/x", "p"); },
                 Exhibit(3) + "/x: not part of an isnad export");
}

TEST_F(VerifyingDocTamper, PlantedTagFileBesideTheBag) {
  ExpectBothFail([](const std::string& bag) { WriteTestFile(bag + "/READ-ME-FIRST.txt", "p"); },
                 "READ-ME-FIRST.txt: not part of an isnad export");
}

TEST_F(VerifyingDocTamper, PlantedFileWithANameNotUtf8) {
  ExpectBothFail(
      [&](const std::string& bag) { WriteTestFile(bag + "/" + Exhibit(3) + "/\xff.mp4", "p"); },
      Exhibit(3) + "/\\udcff.mp4: not part of an isnad export");
}

TEST_F(VerifyingDocTamper, RemovedExhibitFolder) {
  ExpectBothFail([&](const std::string& bag) { fs::remove_all(bag + "/" + Exhibit(3)); },
                 Exhibit(3) + "/: missing");
}

TEST_F(VerifyingDocTamper, AlteredLongNote) {
  ExpectBothFail(
      [](const std::string& bag) {
        const std::string dir = bag + "/data/custody/notes";
        auto notes = testing::FilesUnder(dir);
        ASSERT_EQ(notes.size(), 1u);
        WriteTestFile(dir + "/" + notes[0], "the note says something else");
      },
      "data/custody/notes/");
}

TEST_F(VerifyingDocTamper, EarlierCheckpointWithoutItsConsistencyProof) {
  ExpectBothFail(
      [](const std::string& bag) { fs::remove(bag + "/data/custody/consistency.jsonl"); },
      "data/custody/checkpoints/");
}

TEST_F(VerifyingDocTamper, MetadataSha256NotTheEntrys) {
  ExpectBothFail(
      [&](const std::string& bag) {
        const std::string f = bag + "/" + Exhibit(3) + "/metadata.json";
        Json meta = Json::parse(ReadTestFile(f));
        meta["sha256"] = std::string(64, '0');
        WriteTestFile(f, meta.dump(2));
      },
      Exhibit(3) + "/metadata.json: sha256");
}

// The token removed, with the manifests remade: its timestamp.added entry is still
// in the bag, and both verifiers say the token is missing.
TEST_F(VerifyingDocTamper, RemovedTimestampToken) {
  ExpectBothFail([](const std::string& bag) { fs::remove_all(bag + "/data/custody/timestamps"); },
                 "data/custody/timestamps/: missing");
}

// Hostile input: a clear failure, not a traceback, and nothing outside the bag read.
TEST_F(VerifyingDocTamper, MetadataNamingAFileOutsideTheBag) {
  ExpectBothFail(
      [&](const std::string& bag) {
        const std::string f = bag + "/" + Exhibit(3) + "/metadata.json";
        Json meta = Json::parse(ReadTestFile(f));
        meta["file"] = "../../../../../../../../../dev/zero";  // read whole: a hang
        WriteTestFile(f, meta.dump(2));
      },
      Exhibit(3) + "/metadata.json: ");
}

// Step 1 refuses the link; so does the script run on its own.
TEST_F(VerifyingDocTamper, SymlinkedExhibitFolder) {
  auto r = RunSteps([&](const std::string& bag) {
    fs::create_directory_symlink(bag + "/" + Exhibit(3), bag + "/data/exhibits/i999");
    testing::Rebag(bag);
  });
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("./data/exhibits/i999\n"), std::string::npos) << r.out;
  const std::string work = fs::path(last_bag_).parent_path().string();
  auto py = RunProcess(
      {"/bin/bash", "-c", "cd \"$0\" && python3 verify-bag.py --key archive.vkey bag 2>&1", work});
  EXPECT_EQ(py.exit_code, 1) << py.out;
  EXPECT_NE(py.out.find("FAIL data/exhibits/i999: not a regular file"), std::string::npos)
      << py.out;
  EXPECT_EQ(py.out.find("Traceback"), std::string::npos) << py.out;
  auto cc = RunProcess({testing::IsnadBinary(), "verify-bag", last_bag_, "--key", vkey_});
  EXPECT_EQ(cc.exit_code, 10) << cc.out << cc.err;
}

TEST_F(VerifyingDocTamper, EntriesLineNotJson) {
  ExpectBothFail(
      [](const std::string& bag) {
        std::string f = bag + "/data/custody/entries.jsonl";
        WriteTestFile(f, ReadTestFile(f) + "{not json\n");
      },
      "data/custody/entries.jsonl: line ");
}

TEST_F(VerifyingDocTamper, ProofHashNotBase64) {
  ExpectBothFail(
      [](const std::string& bag) {
        EditJsonLines(bag + "/data/custody/entries.jsonl", [](Json& l) {
          if (!l["inclusion"].empty()) l["inclusion"][0] = "not*base64";
        });
      },
      "data/custody/entries.jsonl: line 1");
}

TEST_F(VerifyingDocTamper, ConsistencyLineNamingAPathOutsideTheCheckpoints) {
  ExpectBothFail(
      [](const std::string& bag) {
        EditJsonLines(bag + "/data/custody/consistency.jsonl",
                      [](Json& l) { l["old_size"] = "../checkpoint"; });
      },
      "data/custody/consistency.jsonl: line 1");
}

TEST_F(VerifyingDocTamper, LogVkeyNotThePinnedKey) {
  ExpectBothFail(
      [](const std::string& bag) {
        auto skey = tlog::NoteSigner::GenerateSkey("court.example/evidence");
        auto signer = tlog::NoteSigner::FromSkey(*skey);
        ASSERT_TRUE(signer.ok());
        WriteTestFile(bag + "/data/custody/log.vkey", signer->vkey() + "\n");
      },
      "data/custody/log.vkey: ");
}

// Step 1 on hostile manifests and links: refused before anything outside the bag
// is read (sha256sum on ../../dev/zero would never end; grep on a link to it would
// exhaust memory).
TEST_F(VerifyingDoc, ManifestPathOutsideTheBagIsNotRead) {
  for (const char* manifest : {"manifest-sha256.txt", "tagmanifest-sha512.txt"}) {
    auto r = RunSteps([&](const std::string& bag) {
      const std::string f = bag + "/" + manifest;
      WriteTestFile(f, ReadTestFile(f) +
                           std::string(std::string(manifest).find("512") ? 128 : 64, '0') +
                           "  ../../../../../../../../dev/zero\n");
    });
    EXPECT_NE(r.exit_code, 0) << manifest << r.out;
    EXPECT_NE(r.out.find("dev/zero"), std::string::npos) << manifest << r.out;
    EXPECT_NE(r.exit_code, 124) << manifest << ": the steps hung\n" << r.out;
  }
}

TEST_F(VerifyingDoc, SymbolicLinkInTheBagIsRefused) {
  auto r = RunSteps([](const std::string& bag) {
    fs::remove(bag + "/bagit.txt");
    fs::create_symlink("/dev/zero", bag + "/bagit.txt");
  });
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.exit_code, 124) << "the steps hung\n" << r.out;
  EXPECT_NE(r.out.find("./bagit.txt"), std::string::npos) << r.out;
}

// The script's RFC 9162 proof checks agree with every transparency-dev/merkle
// vector (../shared/testdata/merkle-rfc6962): valid ones pass, invalid ones fail.
TEST(VerifyBagScript, ProofChecksAgreeWithTheMerkleVectors) {
  const std::string vectors = std::string(ISNAD_TESTDATA_DIR) + "/merkle-rfc6962";
  if (!fs::exists(vectors + "/inclusion")) GTEST_SKIP() << "conformance data absent: " << vectors;
  const std::string code = R"(
import base64, glob, importlib.util, json, sys
spec = importlib.util.spec_from_file_location("vb", sys.argv[1])
vb = importlib.util.module_from_spec(spec)
spec.loader.exec_module(vb)
d = lambda s: base64.b64decode(s) if s else b""
n = bad = 0
for kind in ("inclusion", "consistency"):
    for f in sorted(glob.glob(sys.argv[2] + "/" + kind + "/*/*.json")):
        j = json.load(open(f))
        proof = [d(p) for p in (j["proof"] or [])]
        if kind == "inclusion":
            ok = vb.verify_inclusion(j["leafIdx"], j["treeSize"], d(j["leafHash"]), proof, d(j["root"]))
        else:
            ok = vb.verify_consistency(j["size1"], j["size2"], proof, d(j["root1"]), d(j["root2"]))
        n += 1
        if ok == j.get("wantErr", False):
            bad += 1
            print("disagrees:", f)
print(n, "vectors")
sys.exit(1 if bad or n < 100 else 0)
)";
  auto r = RunProcess(
      {"/usr/bin/env", "python3", "-c", code, kSourceDir + "/scripts/verify-bag.py", vectors});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

}  // namespace
}  // namespace isnad
