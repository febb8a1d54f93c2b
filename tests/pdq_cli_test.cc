// `isnad pdq` and `isnad vpdq` end to end: the real binary over the PDQ and vPDQ conformance
// data (../shared/testdata/pdq, vpdq), plain, --json and --dihedral, and files that are not
// pictures or videos. The hashing itself is tested in src/pdq/pdq_test.cc and
// src/vpdq/vpdq_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/testing/temp_dir.h"
#include "subprocess.h"

namespace isnad {
namespace {

namespace fs = std::filesystem;
using core::testing::TempDir;
using core::testing::WriteTestFile;
using testing::JsonLines;
using testing::RunProcess;
using testing::RunResult;

const std::string kPdq = std::string(ISNAD_TESTDATA_DIR) + "/pdq";
const std::string kVpdq = std::string(ISNAD_TESTDATA_DIR) + "/vpdq";

RunResult Pdq(std::vector<std::string> args) {
  args.insert(args.begin(), {testing::IsnadBinary(), "pdq"});
  return RunProcess(args, {});
}

class PdqCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kPdq)) GTEST_SKIP() << "PdqCli: " << kPdq << " is absent";
  }
  TempDir tmp_;
};

// A 256x256 image the README names as exact: no resizing is involved.
TEST_F(PdqCli, PrintsHashQualityAndFile) {
  const std::string q0291 = kPdq + "/reg-test-input/labelme-subset/q0291.jpg";
  const std::string small = kPdq + "/misc-images/small.jpg";
  RunResult r = Pdq({q0291, small});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, 65),
            "a0fe94f1e5cc1cc8dd855948498dc9243f7ca27336f036d7f212b74bc103c9a7 ");
  EXPECT_NE(r.out.find(" " + q0291 + "\n"), std::string::npos) << r.out;
  // small.jpg is a smooth gradient: quality 0.
  EXPECT_NE(r.out.find(" 0 " + small + "\n"), std::string::npos) << r.out;
}

TEST_F(PdqCli, JsonAndDihedral) {
  const std::string bridge = kPdq + "/reg-test-input/dih/bridge-1-original.jpg";
  RunResult r = Pdq({bridge, "--json", "--dihedral"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  EXPECT_EQ(lines[0]["quality"], 100);
  ASSERT_TRUE(lines[0].contains("dihedral")) << r.out;
  EXPECT_EQ(lines[0]["dihedral"].size(), 8u);
  EXPECT_EQ(lines[0]["pdq"].get<std::string>().size(), 64u);
  // A 1600x1004 JPEG is hashed from its luma; --exact-decode decodes it in full RGB, as the
  // reference does, and gives the same bits here.
  EXPECT_EQ(lines[0]["luma_only"], true);
  RunResult exact = Pdq({bridge, "--json", "--exact-decode"});
  ASSERT_EQ(exact.exit_code, 0) << exact.err;
  auto exact_lines = JsonLines(exact.out);
  ASSERT_EQ(exact_lines.size(), 1u) << exact.out;
  EXPECT_EQ(exact_lines[0]["luma_only"], false);
  EXPECT_EQ(exact_lines[0]["pdq"], lines[0]["pdq"]);
}

// Bytes that are not an image fail that file (exit 1 with several files), with
// the file named, and do not stop the others.
TEST_F(PdqCli, NotAnImageIsReportedAndOthersStillHashed) {
  const std::string bad = tmp_.Join("statement.jpg");
  WriteTestFile(bad, "this is a witness statement, not a JPEG");
  const std::string good = kPdq + "/reg-test-input/labelme-subset/q1050.jpg";
  RunResult r = Pdq({bad, good});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find(bad), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("489db672e9190276d452aeab41eba20f02375fe4092d88defdf491a5c55c5f70"),
            std::string::npos)
      << r.out;
  // Alone: a file that is not a JPEG or PNG is a wrong argument (2), and the
  // message says what to do.
  RunResult alone = Pdq({bad});
  EXPECT_EQ(alone.exit_code, 2) << alone.err;
  EXPECT_NE(alone.err.find("convert"), std::string::npos) << alone.err;
  // A JPEG cut short is a failure (1), not evidence at risk (10).
  const std::string cut = tmp_.Join("cut.jpg");
  WriteTestFile(cut, core::testing::ReadTestFile(good).substr(0, 2000));
  RunResult cut_result = Pdq({cut});
  EXPECT_EQ(cut_result.exit_code, 1);
  // ... and said as such: the user's own file is damaged, nothing isnad keeps is.
  EXPECT_NE(cut_result.err.find(cut), std::string::npos) << cut_result.err;
  EXPECT_EQ(cut_result.err.find("INTEGRITY"), std::string::npos) << cut_result.err;
  EXPECT_EQ(Pdq({tmp_.Join("missing.jpg")}).exit_code, 3);
}

// `isnad vpdq VIDEO > hashes.txt` writes upstream's frame-hash format, so that the file
// compares with upstream's own hashes of the same video (`vpdq-compare` reads both), and
// not with another video's.
TEST(VpdqCli, WritesFrameHashesThatCompareWithUpstreams) {
  if (!fs::exists(kVpdq)) GTEST_SKIP() << "VpdqCli: " << kVpdq << " is absent";
  TempDir tmp;
  const std::string bin = testing::IsnadBinary();
  RunResult hashed = RunProcess({bin, "vpdq", kVpdq + "/videos/pattern-hd-no-bar.mp4"}, {});
  ASSERT_EQ(hashed.exit_code, 0) << hashed.err;
  const std::string ours = tmp.Join("pattern.txt");
  WriteTestFile(ours, hashed.out);
  const std::string upstream = kVpdq + "/sample-hashes/pattern-hd-no-bar.txt";
  const std::string theirs = core::testing::ReadTestFile(upstream);
  EXPECT_EQ(std::count(hashed.out.begin(), hashed.out.end(), '\n'),
            std::count(theirs.begin(), theirs.end(), '\n'));
  RunResult same = RunProcess({bin, "--json", "vpdq-compare", ours, upstream}, {});
  ASSERT_EQ(same.exit_code, 0) << same.err;
  auto lines = JsonLines(same.out);
  ASSERT_EQ(lines.size(), 1u) << same.out;
  EXPECT_GE(lines[0]["query_pct"].get<double>(), 99.0) << same.out;
  EXPECT_GE(lines[0]["match_pct"].get<double>(), 99.0) << same.out;
  RunResult other = RunProcess(
      {bin, "--json", "vpdq-compare", ours, kVpdq + "/sample-hashes/doorknob-hd-no-bar.txt"}, {});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  lines = JsonLines(other.out);
  ASSERT_EQ(lines.size(), 1u) << other.out;
  EXPECT_LE(lines[0]["query_pct"].get<double>(), 5.0) << other.out;

  // A file that is not a video is reported by name; the other file is still hashed.
  const std::string text = tmp.Join("statement.mp4");
  WriteTestFile(text, "a witness statement, not a video");
  RunResult mixed =
      RunProcess({bin, "--json", "vpdq", text, kVpdq + "/videos/pattern-hd-no-bar.mp4"}, {});
  EXPECT_EQ(mixed.exit_code, 1) << mixed.out << mixed.err;
  lines = JsonLines(mixed.out);
  ASSERT_EQ(lines.size(), 2u) << mixed.out;
  EXPECT_EQ(lines[0]["file"], text);
  EXPECT_TRUE(lines[0].contains("error")) << mixed.out;
  EXPECT_EQ(lines[1]["frames"].size(), 206u) << mixed.out;
}

}  // namespace
}  // namespace isnad
