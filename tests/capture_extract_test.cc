// Media extractors during capture (capture/extract.h, archive/extract.h): the
// subprocess runner's timeout, group kill and output cap; which URLs `auto`
// picks; and, with the real yt-dlp against a server on 127.0.0.1 (no
// internet), media downloaded from a direct URL and from a page's <video>,
// stored as items and linked by capture.extracted; a hanging extractor killed
// at its timeout; a failing one recorded; a missing one reported. The tests
// that need yt-dlp or ffmpeg skip when they are not installed.
#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "bag_test_util.h"
#include "capture/capture.h"
#include "capture/extract.h"
#include "catalog/entries.h"
#include "core/canonical_json.h"
#include "core/digest.h"
#include "core/testing/temp_dir.h"
#include "core/utf8.h"
#include "http_server.h"
#include "subprocess.h"

namespace isnad {
namespace {

using capture::ExtractorMode;
using core::Json;
using core::testing::ReadTestFile;
using core::testing::TempDir;
using testing::HttpServer;
using testing::JsonLines;
using testing::RunResult;

bool Installed(const std::string& program) {
  capture::ProcessResult p = capture::RunProcess({program, "-version"}, 30000, 4096);
  if (program == "yt-dlp") p = capture::RunProcess({program, "--version"}, 30000, 4096);
  return p.started && p.exit_status == 0;
}

// A one-second 64x64 MP4 made by ffmpeg; "" when ffmpeg is missing or fails.
std::string MakeClip(const TempDir& tmp) {
  const std::string path = tmp.Join("clip.mp4");
  capture::ProcessResult p =
      capture::RunProcess({"ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                           "testsrc=duration=1:size=64x64:rate=10", "-pix_fmt", "yuv420p", path},
                          60000, 65536);
  if (!p.started || p.exit_status != 0) return "";
  return ReadTestFile(path);
}

TEST(ExtractorMode, NamesAndPlatforms) {
  EXPECT_EQ(*capture::ParseExtractorMode("auto"), ExtractorMode::kAuto);
  EXPECT_EQ(*capture::ParseExtractorMode("yt-dlp"), ExtractorMode::kYtDlp);
  EXPECT_EQ(*capture::ParseExtractorMode("none"), ExtractorMode::kNone);
  EXPECT_FALSE(capture::ParseExtractorMode("youtube-dl").ok());
  for (const char* url :
       {"https://www.youtube.com/watch?v=x", "https://youtu.be/x", "https://m.facebook.com/v/1",
        "https://x.com/a/status/1", "https://t.me/chan/5", "https://www.tiktok.com/@a/video/1",
        "https://VIMEO.com/1"}) {
    EXPECT_TRUE(capture::IsVideoPlatform(url)) << url;
  }
  for (const char* url : {"https://notyoutube.com/x", "https://example.org/youtube.com",
                          "http://127.0.0.1:80/clip.mp4", "https://x.com.example.org/"}) {
    EXPECT_FALSE(capture::IsVideoPlatform(url)) << url;
  }
}

TEST(RunProcess, ExitStatusOutputCapAndMissingProgram) {
  capture::ProcessResult p =
      capture::RunProcess({"sh", "-c", "echo out; echo err >&2; exit 3"}, 10000, 1024);
  ASSERT_TRUE(p.started);
  EXPECT_EQ(p.exit_status, 3);
  EXPECT_EQ(p.out, "out\n");
  EXPECT_EQ(p.err, "err\n");
  EXPECT_FALSE(p.timed_out);

  p = capture::RunProcess({"head", "-c", "300000", "/dev/zero"}, 10000, 1000);
  EXPECT_EQ(p.exit_status, 0);
  EXPECT_EQ(p.out.size(), 1000u);
  EXPECT_TRUE(p.out_truncated);

  p = capture::RunProcess({"/nonexistent/yt-dlp", "--version"}, 10000, 1000);
  EXPECT_FALSE(p.started);
  EXPECT_EQ(p.spawn_errno, ENOENT);
}

TEST(RunProcess, TimeoutKillsTheWholeProcessGroup) {
  // The shell starts a background sleep (which holds the pipes too) and waits.
  const auto start = std::chrono::steady_clock::now();
  capture::ProcessResult p =
      capture::RunProcess({"sh", "-c", "sleep 60 & echo $!; wait"}, 500, 1024);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(p.timed_out);
  EXPECT_EQ(p.exit_status, -1);
  EXPECT_LT(s, 10.0);
  const pid_t sleeper = static_cast<pid_t>(std::stol(p.out));
  bool gone = false;  // killed, then reaped by init
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = ::kill(sleeper, 0) != 0 && errno == ESRCH;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(gone) << "the background sleep " << sleeper << " outlived its group's timeout";
}

class YtDlp : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Installed("yt-dlp")) GTEST_SKIP() << "yt-dlp is not installed (apt-get install yt-dlp)";
    static const std::string* clip = [] {  // made once for all these tests
      TempDir tmp;
      return new std::string(MakeClip(tmp));
    }();
    clip_ = *clip;
    if (clip_.empty()) GTEST_SKIP() << "ffmpeg is not installed or cannot make an MP4";
    server_.set_file("/clip.mp4", "video/mp4", clip_);
    server_.set_file("/video.html", "text/html",
                     "<!doctype html><html><head><title>A video</title></head><body>"
                     "<video src=\"/clip.mp4\" controls></video></body></html>");
    server_.set_file("/hanging.html", "text/html",
                     "<!doctype html><html><head><title>Hangs</title></head><body>"
                     "<video src=\"/hang\" controls></video></body></html>");
    archive_ = tmp_.Join("ar");
    ASSERT_EQ(isnad({"init", "--name", "test.example/extract"}).exit_code, 0);
  }

  RunResult isnad(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), {testing::IsnadBinary(), "--archive", archive_});
    env["ISNAD_OPERATOR"] = "tester@test";
    return testing::RunProcess(args, env);
  }

  // The log's entries of `type`.
  std::vector<Json> Entries(const std::string& type) {
    auto r = isnad({"log", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<Json> out;
    for (const Json& line : JsonLines(r.out)) {
      Json entry = line.contains("entry") ? line["entry"] : line;
      if (entry.is_string()) entry = Json::parse(entry.get<std::string>());
      if (entry.value("type", "") == type) out.push_back(entry);
    }
    return out;
  }

  // `isnad capture ARGS --json`: its one outcome line.
  Json Capture(std::vector<std::string> args, int want_exit = 0,
               std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), "capture");
    args.push_back("--json");
    auto r = isnad(args, env);
    EXPECT_EQ(r.exit_code, want_exit) << r.err;
    auto lines = JsonLines(r.out);
    EXPECT_EQ(lines.size(), 1u) << r.out;
    return lines.empty() ? Json() : lines[0];
  }

  // The entries of `type` carried in an export bag's data/custody/entries.jsonl.
  std::vector<Json> BagEntries(const std::string& bag, const std::string& type) {
    std::vector<Json> out;
    for (const Json& line : JsonLines(ReadTestFile(bag + "/data/custody/entries.jsonl"))) {
      Json entry = Json::parse(line["entry"].get<std::string>());
      if (entry.value("type", "") == type) out.push_back(entry);
    }
    return out;
  }

  // `isnad verify-bag BAG --key <the archive's key>`.
  RunResult VerifyBag(const std::string& bag) {
    auto key = JsonLines(isnad({"key", "--json"}).out);
    EXPECT_EQ(key.size(), 1u);
    return testing::RunProcess({testing::IsnadBinary(), "verify-bag", bag, "--key",
                                key.empty() ? "" : key[0]["vkey"].get<std::string>()});
  }

  TempDir tmp_;
  HttpServer server_;
  std::string clip_;
  std::string archive_;
};

TEST_F(YtDlp, CaptureModuleDownloadsADirectMediaUrl) {
  capture::Options o;
  o.extractor = ExtractorMode::kYtDlp;
  const std::string spool = tmp_.Join("spool");
  ASSERT_TRUE(core::CreateDirs(o.env, spool).ok());
  capture::Result r = capture::Capture(server_.Url("/clip.mp4"), o, spool);
  ASSERT_TRUE(r.error.ok()) << r.error.ToString();
  ASSERT_TRUE(r.extraction_wanted);
  const capture::Extraction& x = r.extraction;
  ASSERT_TRUE(x.error.ok()) << x.error.ToString();
  EXPECT_TRUE(x.attempted);
  EXPECT_EQ(x.exit_status, 0);
  EXPECT_EQ(x.extractor.rfind("yt-dlp 20", 0), 0u) << x.extractor;
  EXPECT_EQ(x.media_sha256, core::Sha256Of(clip_));
  EXPECT_EQ(x.media_size, clip_.size());
  EXPECT_EQ(x.media_ext, "mp4");
  EXPECT_EQ(ReadTestFile(x.media_path), clip_);
  ASSERT_FALSE(x.info_path.empty());
  Json info = Json::parse(ReadTestFile(x.info_path));
  EXPECT_EQ(info.value("extractor", ""), "generic");
  EXPECT_EQ(info.value("webpage_url", ""), server_.Url("/clip.mp4"));
  EXPECT_EQ(x.info_sha256, core::Sha256Of(ReadTestFile(x.info_path)));
  // Only the WARC, payload, media and info JSON are left in the spool; Discard takes them.
  capture::Discard(o.env, r);
  auto left = o.env->ListDir(spool);
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty()) << (*left)[0];
}

TEST_F(YtDlp, MediaOfAPageVideoBecomesAnItemLinkedToTheCapture) {
  Json o = Capture({server_.Url("/video.html"), "--extractor", "yt-dlp"});
  EXPECT_EQ(o["result"], "captured");
  ASSERT_TRUE(o["extracted_id"].is_string()) << o.dump();
  EXPECT_EQ(o["extracted_sha256"], core::Sha256Of(clip_).Hex());
  EXPECT_EQ(o["extracted_media_type"], "video/mp4");
  EXPECT_EQ(o["extractor"].get<std::string>().rfind("yt-dlp ", 0), 0u);
  auto extracted = Entries("capture.extracted");
  ASSERT_EQ(extracted.size(), 1u);
  const Json& e = extracted[0];
  EXPECT_EQ(e["url"], server_.Url("/video.html"));
  EXPECT_EQ(e["capture"], o["leaf_index"]);
  EXPECT_EQ(e["media"], o["extracted_id"]);
  EXPECT_EQ(e["media_size"], clip_.size());
  EXPECT_EQ(e["exit_status"], 0);
  ASSERT_TRUE(e.contains("info"));
  EXPECT_FALSE(e.contains("error"));
  // Both are items with the page's URL as their source.
  auto show = isnad({"show", e["media"].get<std::string>(), "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find(server_.Url("/video.html")), std::string::npos) << show.out;
  auto info = isnad({"show", e["info"].get<std::string>(), "--json"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("application/json"), std::string::npos) << info.out;
  auto v = isnad({"verify"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

TEST_F(YtDlp, DirectMediaUrlIsOneItemWithTwoSources) {
  Json o = Capture({server_.Url("/clip.mp4"), "--extractor", "yt-dlp"});
  ASSERT_TRUE(o["extracted_id"].is_string()) << o.dump();
  // The payload and yt-dlp's download are the same bytes: one item.
  EXPECT_EQ(o["extracted_id"], o["payload_id"]);
  EXPECT_EQ(Entries("source.added").size(), 1u);
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
}

TEST_F(YtDlp, AHangingExtractorIsKilledAndItsTimeoutRecorded) {
  const auto start = std::chrono::steady_clock::now();
  Json o =
      Capture({server_.Url("/hanging.html"), "--extractor", "yt-dlp", "--extractor-timeout", "3"});
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(s, 30.0);
  EXPECT_EQ(o["result"], "captured");  // the page is captured all the same
  EXPECT_TRUE(o["extracted_id"].is_null());
  EXPECT_NE(o.value("extract_error", "").find("was killed"), std::string::npos) << o.dump();
  auto extracted = Entries("capture.extracted");
  ASSERT_EQ(extracted.size(), 1u);
  EXPECT_FALSE(extracted[0].contains("media"));
  EXPECT_FALSE(extracted[0].contains("exit_status"));
  EXPECT_NE(extracted[0].value("error", "").find("within 3 s"), std::string::npos);
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
}

TEST_F(YtDlp, AFailingExtractorIsRecordedAndTheCaptureStands) {
  Json o = Capture({server_.Url("/status/404"), "--extractor", "yt-dlp"});
  EXPECT_EQ(o["result"], "captured");
  EXPECT_EQ(o["status"], 404);
  EXPECT_NE(o.value("extract_error", "").find("404"), std::string::npos) << o.dump();
  auto extracted = Entries("capture.extracted");
  ASSERT_EQ(extracted.size(), 1u);
  EXPECT_EQ(extracted[0]["exit_status"], 1);
  EXPECT_NE(extracted[0].value("error", "").find("exited with status 1"), std::string::npos);
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
  // An export of the page's WARC carries the failed extraction with its capture.
  const std::string bag = tmp_.Join("bag");
  auto ex = isnad({"export", "--items", o["id"].get<std::string>(), "--out", bag});
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  EXPECT_EQ(BagEntries(bag, "capture.extracted").size(), 1u);
  EXPECT_EQ(BagEntries(bag, "capture.recorded").size(), 1u);
  auto v = VerifyBag(bag);
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

// What yt-dlp prints comes from the site, in any encoding and at any length: an error line
// with Arabic across the 1,000-byte cut and bytes that are not UTF-8 is recorded (cut at a
// character, bad bytes replaced), and the captures of the batch all stand.
TEST_F(YtDlp, ALongNonUtf8ErrorIsRecordedAndTheBatchStands) {
  const std::string bin = tmp_.Join("fakebin");
  std::filesystem::create_directories(bin);
  const std::string fake = bin + "/yt-dlp";
  core::testing::WriteTestFile(
      fake,
      "#!/bin/sh\n"
      "if [ \"$1\" = --version ]; then echo 2023.03.04; exit 0; fi\n"
      "printf 'ERROR: [generic] %0982d\\330\\262\\331\\205\\331\\204\\331\\203"
      " \\377\\376 unavailable\\n' 0 >&2\n"
      "exit 1\n");
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  const std::string path = bin + ":" + (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin");
  auto r = isnad({"capture", "--json", "--extractor", "yt-dlp", server_.Url("/video.html"),
                  server_.Url("/status/404")},
                 {{"PATH", path}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out << r.err;
  for (const Json& o : lines) EXPECT_EQ(o["result"], "captured") << o.dump();
  auto extracted = Entries("capture.extracted");
  ASSERT_EQ(extracted.size(), 2u);
  for (const Json& e : extracted) {
    const std::string why = e.value("error", "");
    EXPECT_TRUE(core::IsValidUtf8(why));
    EXPECT_NE(why.find("ERROR: [generic] 000"), std::string::npos) << why;
  }
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
}

// An export of the extracted media and its info JSON carries their capture.extracted
// entry (with its inclusion proof) and names it in the media's provenance; verify-bag
// passes, and fails when the carried entry is changed or an item it names is taken out.
// Without the info JSON among the exhibits the entry names an item outside the bag and
// stays out.
TEST_F(YtDlp, ExportOfExtractedMediaCarriesItsExtraction) {
  Json o = Capture({server_.Url("/video.html"), "--extractor", "yt-dlp"});
  ASSERT_TRUE(o["extracted_id"].is_string()) << o.dump();
  auto extracted = Entries("capture.extracted");
  ASSERT_EQ(extracted.size(), 1u);
  const std::string media = extracted[0]["media"].get<std::string>();
  const std::string info = extracted[0]["info"].get<std::string>();
  const std::string bag = tmp_.Join("bag");
  auto ex = isnad({"export", "--items", media, info, "--out", bag});
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  auto carried = BagEntries(bag, "capture.extracted");
  ASSERT_EQ(carried.size(), 1u);
  EXPECT_EQ(carried[0], extracted[0]);
  Json meta = Json::parse(ReadTestFile(bag + "/data/exhibits/" + media + "/metadata.json"));
  bool named = false;
  for (const Json& p : meta["provenance"]) {
    named |= p.value("type", "") == "capture.extracted" &&
             p.value("url", "") == server_.Url("/video.html") &&
             p.value("extractor", "").rfind("yt-dlp ", 0) == 0;
  }
  EXPECT_TRUE(named) << meta["provenance"].dump();
  EXPECT_NE(ReadTestFile(bag + "/data/report/report-en.html").find("media extracted by yt-dlp"),
            std::string::npos);
  auto v = VerifyBag(bag);
  ASSERT_EQ(v.exit_code, 0) << v.out << v.err;

  // Only the media: the entry names the info JSON, which is not in the bag.
  const std::string alone = tmp_.Join("alone");
  ASSERT_EQ(isnad({"export", "--items", media, "--out", alone}).exit_code, 0);
  EXPECT_TRUE(BagEntries(alone, "capture.extracted").empty());
  EXPECT_EQ(VerifyBag(alone).exit_code, 0);

  // The info JSON's exhibit taken out (manifests re-made): the entry names it.
  const std::string cut = tmp_.Join("cut");
  testing::CopyTree(bag, cut);
  std::filesystem::remove_all(cut + "/data/exhibits/" + info);
  testing::Rebag(cut);
  v = VerifyBag(cut);
  EXPECT_EQ(v.exit_code, 10) << v.out;
  EXPECT_NE(v.out.find("data/exhibits/" + info + "/: missing: entry"), std::string::npos) << v.out;

  // The carried entry changed (manifests re-made): its inclusion proof fails.
  const std::string entries = bag + "/data/custody/entries.jsonl";
  std::string text = ReadTestFile(entries);
  const std::string url = server_.Url("/video.html");
  size_t at = text.find(url);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, url.size(), server_.Url("/other.html"));
  core::testing::WriteTestFile(entries, text);
  testing::Rebag(bag);
  v = VerifyBag(bag);
  EXPECT_EQ(v.exit_code, 10) << v.out;
  EXPECT_NE(v.out.find("data/custody/entries.jsonl: line"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("inclusion proof does not hold"), std::string::npos) << v.out;
}

TEST_F(YtDlp, AutoLeavesOtherSitesAloneAndAMissingExtractorIsOnlyReported) {
  Json o = Capture({server_.Url("/video.html")});  // auto: 127.0.0.1 is no video platform
  EXPECT_FALSE(o.contains("extractor")) << o.dump();
  o = Capture({server_.Url("/clip.mp4"), "--extractor", "yt-dlp"}, 0,
              {{"PATH", tmp_.Join("empty-path")}});
  EXPECT_EQ(o["result"], "captured");
  EXPECT_TRUE(o["extractor"].is_null());
  EXPECT_NE(o.value("extract_error", "").find("apt-get install yt-dlp"), std::string::npos)
      << o.dump();
  EXPECT_TRUE(Entries("capture.extracted").empty());
  auto bad = isnad({"capture", server_.Url("/clip.mp4"), "--extractor", "youtube-dl"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("auto, yt-dlp or none"), std::string::npos) << bad.err;
}

TEST(CaptureExtractedEntry, GrammarIsStrict) {
  catalog::Actor by{"2026-11-29T12:00:00.000Z", "t@t"};
  const std::string sha(64, 'a');
  Json ok = {
      {"url", "https://x.com/a"},   {"capture", uint64_t{5}}, {"extractor", "yt-dlp 2023.03.04"},
      {"exit_status", uint64_t{0}}, {"media", "i6"},          {"media_sha256", sha},
      {"media_size", uint64_t{10}}, {"info", "i7"},           {"info_sha256", sha}};
  auto built = catalog::CaptureExtractedEntry(by, ok);
  EXPECT_TRUE(built.ok()) << built.status().ToString();
  Json failed = {{"url", "https://x.com/a"},
                 {"capture", uint64_t{5}},
                 {"extractor", "yt-dlp 2023.03.04"},
                 {"error", "timed out"}};
  EXPECT_TRUE(catalog::CaptureExtractedEntry(by, failed).ok());
  Json both = ok;
  both["error"] = "x";
  EXPECT_FALSE(catalog::CaptureExtractedEntry(by, both).ok());
  Json neither = failed;
  neither.erase("error");
  EXPECT_FALSE(catalog::CaptureExtractedEntry(by, neither).ok());
  Json half = ok;
  half.erase("media_sha256");
  EXPECT_FALSE(catalog::CaptureExtractedEntry(by, half).ok());
  Json info_only = failed;
  info_only["info"] = "i7";
  info_only["info_sha256"] = sha;
  EXPECT_FALSE(catalog::CaptureExtractedEntry(by, info_only).ok());
  Json no_capture = failed;
  no_capture.erase("capture");
  EXPECT_FALSE(catalog::CaptureExtractedEntry(by, no_capture).ok());
  // Not something `isnad record` may write.
  Json graph = failed;
  graph["type"] = "capture.extracted";
  EXPECT_FALSE(catalog::GraphEntry(by, graph).ok());
}

}  // namespace
}  // namespace isnad
