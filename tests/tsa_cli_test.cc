// `isnad timestamp` and `isnad timestamps` end to end: the real binary asks a local
// RFC 3161 authority (tsa/fake_tsa.h, on a thread of this test) to sign the archive's
// checkpoint, records the token, verifies it again, and OpenSSL's own `openssl ts
// -verify` agrees, independently of isnad.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/digest.h"
#include "core/testing/temp_dir.h"
#include "store/blob_store.h"
#include "subprocess.h"
#include "tsa/fake_tsa.h"

namespace isnad {
namespace {

namespace fs = std::filesystem;
using core::Json;
using core::testing::ReadTestFile;
using core::testing::TempDir;
using core::testing::WriteTestFile;
using testing::JsonLines;
using testing::RunProcess;
using testing::RunResult;
using tsa::testing::FakeTsa;
using tsa::testing::Misbehave;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class TsaCli : public ::testing::Test {
 protected:
  void SetUp() override {
    archive_ = tmp_.Join("ar");
    WriteTestFile(tmp_.Join("in/report.txt"), "Field report: patients arrived before dawn.\n");
    WriteTestFile(tmp_.Join("root.pem"), tsa_.root_pem());
    ASSERT_EQ(isnad({"init", "--name", "test.example/tsa"}).exit_code, 0);
    ASSERT_EQ(isnad({"add", tmp_.Join("in/report.txt")}).exit_code, 0);
  }

  RunResult isnad(std::vector<std::string> args) {
    args.insert(args.begin(), {testing::IsnadBinary(), "--archive", archive_});
    return RunProcess(args, {{"ISNAD_OPERATOR", "tester@test"}});
  }

  uint64_t LogSize() {
    auto r = isnad({"checkpoint", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto lines = JsonLines(r.out);
    return lines.empty() ? 0 : lines[0].value("size", uint64_t{0});
  }

  TempDir tmp_;
  FakeTsa tsa_;
  std::string archive_;
};

TEST_F(TsaCli, TimestampRecordsATokenThatIsnadAndOpensslVerify) {
  auto r = isnad({"timestamp", "--tsa", tsa_.url(), "--roots", tmp_.Join("root.pem"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  const Json& t = lines[0];
  EXPECT_EQ(t["tsa"], tsa_.url());
  EXPECT_EQ(t["ok"], true);
  EXPECT_EQ(t["chain_checked"], true);
  EXPECT_EQ(t["serial"], "01");
  EXPECT_EQ(t["accuracy_us"], 1000000);  // the TSA states genTime to within 1 s
  EXPECT_TRUE(Contains(t["tsa_name"].get<std::string>(), "isnad tests TSA"));
  const uint64_t size = t["checkpoint_size"];
  EXPECT_EQ(size, 2u);  // archive.created and the file
  EXPECT_EQ(t["leaf_index"], size);
  const std::string checkpoint = archive_ + "/checkpoints/" + std::to_string(size);
  EXPECT_EQ(t["checkpoint_sha256"], core::Sha256Of(ReadTestFile(checkpoint)).Hex());

  // The entry in the log, naming the token blob.
  r = isnad({"log", "--json", "--from", std::to_string(size)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto entries = JsonLines(r.out);
  ASSERT_EQ(entries.size(), 1u);
  const Json& e = entries[0]["entry"];
  EXPECT_EQ(e["type"], "timestamp.added");
  EXPECT_EQ(e["checkpoint_size"], size);
  EXPECT_EQ(e["checkpoint_sha256"], t["checkpoint_sha256"]);
  EXPECT_EQ(e["tsa"], tsa_.url());
  EXPECT_EQ(e["token_sha256"], t["token_sha256"]);
  EXPECT_EQ(e["gen_time"], t["gen_time"]);
  auto token_hash = core::Hash::FromHex(t["token_sha256"].get<std::string>());
  ASSERT_TRUE(token_hash.ok());
  const std::string token = archive_ + "/" + store::BlobStore::RelativePath(*token_hash);
  ASSERT_TRUE(fs::exists(token)) << token;

  // isnad re-verifies it from the history, with and without roots.
  r = isnad({"timestamps", "--json", "--roots", tmp_.Join("root.pem")});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto checks = JsonLines(r.out);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0]["ok"], true);
  EXPECT_EQ(checks[0]["chain_checked"], true);
  EXPECT_EQ(checks[0]["leaf_index"], size);
  EXPECT_EQ(checks[0]["accuracy_us"], 1000000);
  r = isnad({"timestamps"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, t["gen_time"].get<std::string>() + " (\u00b1 1 s)")) << r.out;
  EXPECT_TRUE(Contains(r.out, "OK; chain not checked against roots")) << r.out;

  // The archive still verifies, and the token blob counts as referenced.
  r = isnad({"verify"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_FALSE(Contains(r.out, "not referenced")) << r.out;

  // Independently: OpenSSL over the checkpoint file's bytes, with the root.
  r = RunProcess({"/usr/bin/env", "openssl", "ts", "-verify", "-data", checkpoint, "-in", token,
                  "-token_in", "-CAfile", tmp_.Join("root.pem")});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "Verification: OK")) << r.out << r.err;
  // ... and it is over exactly those bytes: the checkpoint of another size does not match.
  r = RunProcess({"/usr/bin/env", "openssl", "ts", "-verify", "-data", archive_ + "/checkpoints/1",
                  "-in", token, "-token_in", "-CAfile", tmp_.Join("root.pem")});
  EXPECT_NE(r.exit_code, 0) << r.out;
}

TEST_F(TsaCli, TextOutputSaysWhatWasStampedAndThatNoRootsWereGiven) {
  auto r = isnad({"timestamp", "--tsa", tsa_.url()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "genTime")) << r.out;
  EXPECT_TRUE(Contains(r.out, "checkpoint  2 (sha256 ")) << r.out;
  EXPECT_TRUE(Contains(r.out, "entry       2 (timestamp.added")) << r.out;
  EXPECT_TRUE(Contains(r.out, "chain not checked against roots")) << r.out;
  EXPECT_TRUE(Contains(r.err, "1 of 1 TSA(s) time-stamped checkpoint 2.")) << r.err;
}

TEST_F(TsaCli, SavedTsasAreAskedWhenNoneIsGiven) {
  auto r = isnad({"timestamp"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "config/tsa.txt")) << r.err;
  r = isnad({"timestamp", "--save"});
  EXPECT_EQ(r.exit_code, 2) << r.err;

  r = isnad({"timestamp", "--tsa", tsa_.url(), "--save"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string config = archive_ + "/config/tsa.txt";
  std::string text = ReadTestFile(config);
  EXPECT_TRUE(Contains(text, tsa_.url() + "\n")) << text;
  EXPECT_EQ(text[0], '#');  // a comment saying what the file is

  // A second authority, added by hand with a comment; the first is not listed twice.
  FakeTsa second;
  WriteTestFile(config, text + "\n# the backup authority\n  " + second.url() + "  \n");
  r = isnad({"timestamp", "--tsa", tsa_.url(), "--save"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  text = ReadTestFile(config);
  EXPECT_EQ(text.find(tsa_.url()), text.rfind(tsa_.url())) << text;
  EXPECT_TRUE(Contains(text, "# the backup authority")) << text;

  const int first_before = tsa_.requests();
  r = isnad({"timestamp", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_EQ(lines[0]["tsa"], tsa_.url());
  EXPECT_EQ(lines[1]["tsa"], second.url());
  EXPECT_EQ(lines[0]["ok"], true);
  EXPECT_EQ(lines[1]["ok"], true);
  EXPECT_EQ(lines[1]["leaf_index"], lines[0]["leaf_index"].get<uint64_t>() + 1);
  EXPECT_EQ(tsa_.requests(), first_before + 1);
  EXPECT_EQ(second.requests(), 1);

  // Three stamps over three checkpoints (the later ones cover the earlier entries).
  r = isnad({"timestamps", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto checks = JsonLines(r.out);
  ASSERT_EQ(checks.size(), 4u);
  for (const Json& c : checks) EXPECT_EQ(c["ok"], true) << c.dump();

  // A bad line is reported with its place.
  WriteTestFile(config, "ftp://example.org/tsa\n");
  r = isnad({"timestamp"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "tsa.txt:1")) << r.err;

  // config/ is not evidence: verify does not complain about it.
  r = isnad({"verify"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(TsaCli, OneTsaFailingDoesNotStopTheOthers) {
  FakeTsa broken(Misbehave::kHttp500);
  FakeTsa lying(Misbehave::kOtherImprint);
  auto r = isnad(
      {"timestamp", "--tsa", broken.url(), "--tsa", tsa_.url(), "--tsa", lying.url(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[0]["ok"], false);
  EXPECT_EQ(lines[0]["code"], "io_error") << lines[0].dump();
  EXPECT_TRUE(Contains(lines[0]["error"], "HTTP 500"));
  EXPECT_EQ(lines[1]["ok"], true);
  EXPECT_EQ(lines[2]["ok"], false);
  EXPECT_EQ(lines[2]["code"], "integrity") << lines[2].dump();
  EXPECT_TRUE(Contains(lines[2]["error"], "covers")) << lines[2].dump();
  // Only the good token was recorded.
  EXPECT_EQ(LogSize(), 3u);
  r = isnad({"timestamps", "--json"});
  EXPECT_EQ(JsonLines(r.out).size(), 1u) << r.out;
  r = isnad({"verify"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

  // Text: the failures go to stderr with their reasons.
  r = isnad({"timestamp", "--tsa", broken.url(), "--tsa", tsa_.url()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.err, broken.url() + ": I/O error:")) << r.err;
  EXPECT_TRUE(Contains(r.err, "1 of 2 TSA(s)")) << r.err;
}

TEST_F(TsaCli, NoTokenRecordedIsExitOneAndWritesNothing) {
  FakeTsa broken(Misbehave::kHttp500);
  FakeTsa no_eku(Misbehave::kNoEku);
  const uint64_t before = LogSize();
  auto r = isnad({"timestamp", "--tsa", broken.url(), "--tsa", no_eku.url()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, "unsuitable certificate purpose")) << r.err;
  EXPECT_TRUE(Contains(r.err, "0 of 2 TSA(s)")) << r.err;
  EXPECT_EQ(LogSize(), before);
  // Roots that do not chain: refused too.
  WriteTestFile(tmp_.Join("other.pem"), tsa::testing::UnrelatedRootPem());
  r = isnad({"timestamp", "--tsa", tsa_.url(), "--roots", tmp_.Join("other.pem")});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(LogSize(), before);
  r = isnad({"timestamp", "--tsa", "ftp://example.org/"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = isnad({"timestamp", "--tsa", tsa_.url(), "--roots", tmp_.Join("absent.pem")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
}

TEST_F(TsaCli, ATsaUrlWithCredentialsIsRefusedAndNeverRecorded) {
  // The URL goes into the custody log and every export: a password in it would be
  // published for good. Refused before any request, not saved, not echoed.
  std::string url = tsa_.url();
  url.insert(url.find("://") + 3, "user:s3cret@");
  const uint64_t before = LogSize();
  auto r = isnad({"timestamp", "--tsa", url, "--save"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "user name or password")) << r.err;
  EXPECT_FALSE(Contains(r.err + r.out, "s3cret")) << r.err;
  EXPECT_EQ(tsa_.requests(), 0);
  EXPECT_EQ(LogSize(), before);
  EXPECT_FALSE(core::Env::Default()->Stat(archive_ + "/config/tsa.txt").ok());
  // Nor with another scheme, whose refusal would otherwise quote the URL.
  r = isnad({"timestamp", "--tsa", "ftp://user:s3cret@tsa.example/", "--save"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_FALSE(Contains(r.err + r.out, "s3cret")) << r.err;
}

TEST_F(TsaCli, TimestampsCatchesADamagedTokenOrCheckpoint) {
  auto r = isnad({"timestamp", "--tsa", tsa_.url(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json t = JsonLines(r.out).at(0);
  const uint64_t size = t["checkpoint_size"];
  auto token_hash = core::Hash::FromHex(t["token_sha256"].get<std::string>());
  ASSERT_TRUE(token_hash.ok());
  const std::string token = archive_ + "/" + store::BlobStore::RelativePath(*token_hash);
  const std::string checkpoint = archive_ + "/checkpoints/" + std::to_string(size);

  // A checkpoint history file that is not what was stamped.
  const std::string original = ReadTestFile(checkpoint);
  WriteTestFile(checkpoint, original + "extra line\n");
  r = isnad({"timestamps"});
  EXPECT_EQ(r.exit_code, 10) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "FAILED")) << r.out;
  EXPECT_TRUE(Contains(r.err, "do NOT verify")) << r.err;
  // Gone altogether: the token can no longer be checked, an integrity failure too.
  fs::remove(checkpoint);
  r = isnad({"timestamps", "--json"});
  EXPECT_EQ(r.exit_code, 10) << r.out << r.err;
  ASSERT_EQ(JsonLines(r.out).size(), 1u) << r.out;
  EXPECT_EQ(JsonLines(r.out)[0]["code"], "integrity") << r.out;
  WriteTestFile(checkpoint, original);
  ASSERT_EQ(isnad({"timestamps"}).exit_code, 0);

  // A damaged token blob.
  std::string bytes = ReadTestFile(token);
  bytes[bytes.size() / 2] ^= 0x01;
  fs::permissions(token, fs::perms::owner_write, fs::perm_options::add);
  WriteTestFile(token, bytes);
  r = isnad({"timestamps", "--json"});
  EXPECT_EQ(r.exit_code, 10) << r.out << r.err;
  auto checks = JsonLines(r.out);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0]["ok"], false);
  EXPECT_EQ(checks[0]["code"], "integrity");
}

}  // namespace
}  // namespace isnad
