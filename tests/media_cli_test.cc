// Media analysis end to end with the real binary: `add` reads metadata and hashes pictures
// and videos, `show` gives them, near-duplicates made with FFmpeg (re-compression, resize,
// mirror, border, letterbox, clip) are found at ingest and by `similar`, unrelated material
// is not, `dupes` clusters them earliest first, OCR makes text searchable, and bad media is
// preserved with its failures recorded. Samples are made at test time with `ffmpeg` and
// `exiv2` (Debian packages installed by scripts/deps.sh).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/testing/temp_dir.h"
#include "subprocess.h"

namespace isnad {
namespace {

namespace fs = std::filesystem;
using core::Json;
using core::testing::TempDir;
using core::testing::WriteTestFile;
using testing::JsonLines;
using testing::RunProcess;
using testing::RunResult;

bool HaveTool(const std::string& name) {
  for (const char* dir : {"/usr/bin/", "/usr/local/bin/", "/bin/"}) {
    if (fs::exists(std::string(dir) + name)) return true;
  }
  return false;
}

class MediaCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveTool("ffmpeg") || !HaveTool("exiv2")) {
      GTEST_SKIP() << "MediaCli: needs ffmpeg and exiv2 (apt-get install ffmpeg exiv2)";
    }
    archive_ = tmp_.Join("ar");
    fs::create_directories(tmp_.Join("in"));
    ASSERT_EQ(isnad({"init", "--name", "test.example/media"}).exit_code, 0);
  }
  RunResult isnad(std::vector<std::string> args) {
    args.insert(args.begin(), {testing::IsnadBinary(), "--archive", archive_});
    return RunProcess(args, {{"ISNAD_OPERATOR", "tester@test"}});
  }
  // Runs ffmpeg quietly; fails the test when it fails.
  void Ffmpeg(std::vector<std::string> args) {
    args.insert(args.begin(), {"/usr/bin/ffmpeg", "-nostdin", "-loglevel", "error", "-y"});
    RunResult r = RunProcess(args, {});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::string In(const std::string& name) { return tmp_.Join("in/" + name); }
  Json Show(const std::string& id) {
    RunResult r = isnad({"show", id, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto lines = JsonLines(r.out);
    return lines.empty() ? Json() : lines[0];
  }
  std::string AddOne(const std::string& path, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"add", path, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = isnad(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto lines = JsonLines(r.out);
    EXPECT_EQ(lines.size(), 1u) << r.out;  // one object per file: analysis is not printed here
    return lines.empty() ? "" : lines[0]["id"].get<std::string>();
  }
  std::set<std::string> SimilarIds(const std::string& what) {
    RunResult r = isnad({"similar", what, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::set<std::string> ids;
    for (const Json& j : JsonLines(r.out)) ids.insert(j["id"].get<std::string>());
    return ids;
  }
  TempDir tmp_;
  std::string archive_;
};

TEST_F(MediaCli, PhotoMetadataAndItsCopiesFoundUnrelatedNot) {
  // A real photograph (PDQ's robustness is measured on photographs; synthetic test
  // patterns are all edges and move further).
  const std::string bridge =
      std::string(ISNAD_TESTDATA_DIR) + "/pdq/reg-test-input/dih/bridge-1-original.jpg";
  if (!fs::exists(bridge)) GTEST_SKIP() << "MediaCli: " << bridge << " is absent";
  const std::string photo = In("photo.jpg");
  fs::copy_file(bridge, photo);
  RunResult ex = RunProcess(
      {"/usr/bin/exiv2", "-M", "set Exif.Photo.DateTimeOriginal 2013:08:21 02:45:00", "-M",
       "set Exif.GPSInfo.GPSLatitudeRef N", "-M", "set Exif.GPSInfo.GPSLatitude 33/1 30/1 4968/100",
       "-M", "set Exif.GPSInfo.GPSLongitudeRef E", "-M",
       "set Exif.GPSInfo.GPSLongitude 36/1 21/1 3600/100", "-M", "set Exif.Image.Make Canon", "-M",
       "set Exif.Image.Model EOS 5D", "mo", photo},
      {});
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  // Copies as platforms and re-uploaders make them, and one unrelated picture.
  Ffmpeg({"-i", photo, "-q:v", "25", In("recompressed.jpg")});
  Ffmpeg({"-i", photo, "-vf", "scale=400:251", In("resized.jpg")});
  Ffmpeg({"-i", photo, "-vf", "hflip", In("mirrored.jpg")});
  // A thin white border (1 % a side) and a channel logo over a fifth of the width.
  Ffmpeg({"-i", photo, "-vf", "pad=iw+32:ih+32:16:16:white", In("border.png")});
  Ffmpeg({"-i", photo, "-vf", "drawbox=x=20:y=20:w=iw/5:h=ih/8:color=red:t=fill", In("logo.jpg")});
  Ffmpeg({"-f", "lavfi", "-i", "mandelbrot=size=640x480", "-frames:v", "1", In("unrelated.jpg")});

  const std::string orig = AddOne(photo);
  Json s = Show(orig);
  EXPECT_EQ(s["media_type"], "image/jpeg") << s.dump();
  EXPECT_EQ(s["width"], 1600) << s.dump();
  EXPECT_EQ(s["height"], 1004) << s.dump();
  EXPECT_EQ(s["captured_at"], "2013-08-21T02:45:00") << s.dump();
  // EXIF with no OffsetTimeOriginal: the camera's clock, and `show` says so.
  RunResult shown = isnad({"show", orig});
  EXPECT_NE(shown.out.find("2013-08-21T02:45:00 (as the file says; the camera's local time: the "
                           "file gives no time zone)"),
            std::string::npos)
      << shown.out;
  ASSERT_TRUE(s.contains("gps")) << s.dump();
  EXPECT_NEAR(s["gps"]["lat"].get<double>(), 33.5138, 1e-4) << s.dump();
  EXPECT_NEAR(s["gps"]["lon"].get<double>(), 36.36, 1e-4) << s.dump();
  // A place filter finds it by its file's own GPS before anyone has described it.
  RunResult near = isnad({"search", "--near", "33.52,36.35", "--radius-km", "3", "--json"});
  EXPECT_EQ(near.exit_code, 0) << near.err;
  EXPECT_NE(near.out.find("\"id\":\"" + orig + "\""), std::string::npos) << near.out;
  RunResult far = isnad({"search", "--near", "33.9,36.35", "--radius-km", "3", "--json"});
  EXPECT_EQ(far.out.find("\"id\":\"" + orig + "\""), std::string::npos) << far.out;
  // And by the day its file says it was taken, which is not the day it was added.
  RunResult day =
      isnad({"search", "--taken-from", "2013-08-21", "--taken-to", "2013-08-21", "--json"});
  EXPECT_NE(day.out.find("\"id\":\"" + orig + "\""), std::string::npos) << day.out;
  RunResult earlier = isnad({"search", "--taken-to", "2013-08-20", "--json"});
  EXPECT_EQ(earlier.out.find("\"id\":\"" + orig + "\""), std::string::npos) << earlier.out;
  RunResult added = isnad({"search", "--ingested-to", "2013-08-21", "--json"});
  EXPECT_EQ(added.out.find("\"id\":\"" + orig + "\""), std::string::npos) << added.out;
  EXPECT_EQ(s["analysis"]["pdq"].get<std::string>().size(), 64u) << s.dump();
  EXPECT_NE(s["analysis"]["camera"].get<std::string>().find("EOS 5D"), std::string::npos);

  std::vector<std::string> copies;
  for (const char* name :
       {"recompressed.jpg", "resized.jpg", "mirrored.jpg", "border.png", "logo.jpg"}) {
    const std::string id = AddOne(In(name));
    // Found at ingest: the original first (then any copy added before it within reach).
    Json c = Show(id);
    ASSERT_FALSE(c["near_duplicates"].empty()) << name << ": " << c.dump();
    EXPECT_EQ(c["near_duplicates"][0], orig) << name << ": " << c.dump();
    copies.push_back(id);
  }
  const std::string other = AddOne(In("unrelated.jpg"));
  EXPECT_EQ(Show(other)["near_duplicates"], Json::array()) << Show(other).dump();

  // `show` of the original names the copies found after it.
  Json again = Show(orig);
  std::set<std::string> named(again["near_duplicates"].begin(), again["near_duplicates"].end());
  EXPECT_EQ(named, std::set<std::string>(copies.begin(), copies.end())) << again.dump();

  // `similar` by item: every copy, the mirrored one through the original's 8 hashes.
  std::set<std::string> by_item = SimilarIds(orig);
  for (const std::string& c : copies) EXPECT_TRUE(by_item.count(c)) << c;
  EXPECT_FALSE(by_item.count(other));
  // `similar` by a file not in the archive: a mirrored, re-encoded copy finds the original.
  const std::string probe = tmp_.Join("probe.jpg");
  Ffmpeg({"-i", photo, "-vf", "hflip,scale=800:502", "-q:v", "10", probe});
  std::set<std::string> by_file = SimilarIds(probe);
  EXPECT_TRUE(by_file.count(orig)) << "mirrored probe did not find " << orig;
  EXPECT_FALSE(by_file.count(other));

  // `dupes`: one cluster, earliest first, without the unrelated picture.
  RunResult d = isnad({"dupes", "--json"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  auto clusters = JsonLines(d.out);
  ASSERT_EQ(clusters.size(), 1u) << d.out;
  EXPECT_EQ(clusters[0]["earliest"], orig);
  EXPECT_EQ(clusters[0]["items"].size(), 6u) << d.out;
  // Each was added by a command of its own: the first is known to be the earliest.
  EXPECT_EQ(clusters[0]["added_together_first"], 1u) << d.out;

  // An export of the original and its recompressed copy carries their analyses: the
  // entries with proofs, and what was read, named by hash; verify-bag checks them.
  const std::string bag = tmp_.Join("bag");
  RunResult ex2 = isnad({"export", "--items", orig, copies[0], "--out", bag});
  ASSERT_EQ(ex2.exit_code, 0) << ex2.err;
  Json meta =
      Json::parse(core::testing::ReadTestFile(bag + "/data/exhibits/" + orig + "/metadata.json"));
  ASSERT_TRUE(meta.contains("analysis")) << meta.dump();
  EXPECT_EQ(meta["analysis"]["captured_at"], "2013-08-21T02:45:00");
  const std::string metadata_file =
      bag + "/data/" + meta["analysis"]["metadata_file"].get<std::string>();
  ASSERT_TRUE(fs::exists(metadata_file)) << metadata_file;
  EXPECT_NE(core::testing::ReadTestFile(metadata_file).find("Exif.GPSInfo.GPSLatitude"),
            std::string::npos);
  RunResult vb = RunProcess({testing::IsnadBinary(), "verify-bag", bag}, {});
  EXPECT_EQ(vb.exit_code, 0) << vb.out << vb.err;
  std::string tampered = core::testing::ReadTestFile(metadata_file);
  tampered[tampered.size() / 2] ^= 1;
  fs::permissions(metadata_file, fs::perms::owner_write, fs::perm_options::add);
  WriteTestFile(metadata_file, tampered);
  RunResult vb2 = RunProcess({testing::IsnadBinary(), "verify-bag", bag}, {});
  EXPECT_NE(vb2.exit_code, 0) << vb2.out;
  EXPECT_NE((vb2.out + vb2.err).find("custody/analysis/"), std::string::npos) << vb2.out << vb2.err;

  // The analysis is in the log: a rebuilt catalogue answers the same, and verify holds.
  const std::string before = isnad({"show", orig, "--json"}).out;
  ASSERT_EQ(isnad({"reindex"}).exit_code, 0);
  EXPECT_EQ(isnad({"show", orig, "--json"}).out, before);
  RunResult v = isnad({"verify"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

TEST_F(MediaCli, VideoMetadataClipAndLetterboxedCopyFound) {
  const std::string video = In("video.mp4");
  Ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=15:duration=6", "-c:v", "libx264",
          "-pix_fmt", "yuv420p", "-metadata", "creation_time=2013-08-21T02:45:00Z", "-metadata",
          "location=+33.5138+036.2765/", "-movflags", "+use_metadata_tags", video});
  Ffmpeg({"-i", video, "-ss", "2", "-t", "3", "-c:v", "libx264", "-crf", "32", In("clip.mp4")});
  Ffmpeg({"-i", video, "-vf", "scale=320:180,pad=320:240:0:30:black", "-c:v", "libx264",
          In("letterboxed.mp4")});
  Ffmpeg({"-f", "lavfi", "-i", "mandelbrot=size=320x240:rate=15", "-t", "4", "-c:v", "libx264",
          "-pix_fmt", "yuv420p", In("unrelated.mp4")});

  const std::string orig = AddOne(video);
  Json s = Show(orig);
  EXPECT_EQ(s["media_type"], "video/mp4") << s.dump();
  EXPECT_EQ(s["width"], 320);
  EXPECT_EQ(s["height"], 240);
  EXPECT_NEAR(s["duration_s"].get<double>(), 6.0, 0.1) << s.dump();
  EXPECT_EQ(s["captured_at"], "2013-08-21T02:45:00Z") << s.dump();
  RunResult shown = isnad({"show", orig});
  EXPECT_NE(shown.out.find("2013-08-21T02:45:00Z (as the file says; UTC)"), std::string::npos)
      << shown.out;
  EXPECT_GT(s["analysis"]["frames"].get<int>(), 0) << s.dump();

  const std::string clip = AddOne(In("clip.mp4"));
  EXPECT_EQ(Show(clip)["near_duplicates"], Json::array({orig})) << Show(clip).dump();
  const std::string boxed = AddOne(In("letterboxed.mp4"));
  EXPECT_EQ(Show(boxed)["near_duplicates"], Json::array({orig, clip})) << Show(boxed).dump();
  const std::string other = AddOne(In("unrelated.mp4"));
  EXPECT_EQ(Show(other)["near_duplicates"], Json::array()) << Show(other).dump();

  // The clip as a query: most of its frames are in the original, a small share of the
  // original's in it; the best-matching timestamps line up (clip 0 s ~ original 2 s).
  RunResult r = isnad({"similar", clip, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  bool found = false;
  for (const Json& j : JsonLines(r.out)) {
    if (j["id"] != orig) continue;
    found = true;
    EXPECT_EQ(j["kind"], "video");
    EXPECT_GE(j["query_pct"].get<double>(), 80.0) << j.dump();
    EXPECT_LE(j["match_pct"].get<double>(), 70.0) << j.dump();
    EXPECT_EQ(j["transform"], "orig") << j.dump();
  }
  EXPECT_TRUE(found) << r.out;

  // A mirrored (hflip) re-upload. As a file: the query's frames are hashed with their
  // rotations and flips, and the original is found as its mirror image ("flipy"). Added:
  // the ingest check links it to the original. By item: its frames are hashed again from
  // the blob (the catalogue has the plain hashes only), and the original is found.
  Ffmpeg({"-i", video, "-vf", "hflip", "-c:v", "libx264", "-crf", "28", In("mirrored.mp4")});
  auto original_in = [&](const std::string& what) {
    RunResult m = isnad({"similar", what, "--json"});
    EXPECT_EQ(m.exit_code, 0) << m.err;
    for (const Json& j : JsonLines(m.out)) {
      if (j["id"] == orig) return j;
    }
    ADD_FAILURE() << "the original " << orig << " is not found by `similar " << what
                  << "`: " << m.out;
    return Json();
  };
  Json m = original_in(In("mirrored.mp4"));
  EXPECT_EQ(m.value("transform", ""), "flipy") << m.dump();
  RunResult said = isnad({"similar", In("mirrored.mp4")});  // in words, without --json
  EXPECT_NE(said.out.find("mirrored left-right"), std::string::npos) << said.out;
  EXPECT_GE(m.value("query_pct", 0.0), 80.0) << m.dump();
  const std::string mirrored = AddOne(In("mirrored.mp4"));
  const Json near = Show(mirrored)["near_duplicates"];
  EXPECT_NE(std::find(near.begin(), near.end(), Json(orig)), near.end()) << near.dump();
  m = original_in(mirrored);
  EXPECT_EQ(m.value("transform", ""), "flipy") << m.dump();
  // `dupes` puts the mirrored re-upload in the original's cluster: the stored plain frame
  // hashes do not match, the link recorded by the ingest check does.
  RunResult d = isnad({"dupes", "--json"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  bool clustered = false;
  for (const Json& c : JsonLines(d.out)) {
    std::set<std::string> ids;
    for (const Json& item : c["items"]) ids.insert(item.value("id", ""));
    clustered |= ids.count(orig) && ids.count(mirrored);
  }
  EXPECT_TRUE(clustered) << d.out;
  // The unrelated video stays unrelated under all 8 transforms.
  EXPECT_EQ(SimilarIds(other).count(orig), 0u);
}

// What an analysis extracted is stored as blobs that the custody log names: `verify` checks
// them like the media (and does not call them leftovers), and a damaged one is named by
// verify but does not stop the catalogue from being rebuilt.
TEST_F(MediaCli, AnalysisBlobsAreVerifiedAndADamagedOneDoesNotStopReindex) {
  const std::string video = In("video.mp4");
  Ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10:duration=2", "-c:v", "libx264",
          "-pix_fmt", "yuv420p", video});
  const std::string id = AddOne(video);
  std::string frames;
  for (const Json& line : JsonLines(isnad({"log", "--json"}).out)) {
    Json e = line.contains("entry") ? line["entry"] : line;
    if (e.is_string()) e = Json::parse(e.get<std::string>());
    if (e.value("type", "") == "item.analyzed") frames = e.value("frames_sha256", "");
  }
  ASSERT_EQ(frames.size(), 64u);
  RunResult v = isnad({"verify"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_EQ(v.out.find("not referenced"), std::string::npos) << v.out;

  const std::string blob = archive_ + "/objects/sha256/" + frames.substr(0, 2) + "/" +
                           frames.substr(2, 2) + "/" + frames;
  ASSERT_TRUE(fs::exists(blob));
  fs::permissions(blob, fs::perms::owner_write, fs::perm_options::add);
  fs::resize_file(blob, 100);  // cut inside its second line
  v = isnad({"verify"});
  EXPECT_EQ(v.exit_code, 10) << v.out << v.err;
  EXPECT_NE((v.out + v.err).find(frames), std::string::npos) << v.out << v.err;
  RunResult r = isnad({"reindex"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  Json shown = Show(id);
  EXPECT_EQ(shown["media_type"], "video/mp4") << shown.dump();
}

TEST_F(MediaCli, BadMediaIsKeptWithWhatFailed) {
  const std::string photo = In("photo.jpg");
  Ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=640x480", "-frames:v", "1", photo});
  std::string bytes = core::testing::ReadTestFile(photo);
  WriteTestFile(In("truncated.jpg"), bytes.substr(0, bytes.size() / 3));
  const std::string video = In("video.mp4");
  Ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=15:duration=4", "-c:v", "libx264",
          "-pix_fmt", "yuv420p", video});
  // The head of an MP4 (sniffed as video/mp4), then damage: every 97th byte flipped.
  std::string junk = core::testing::ReadTestFile(video);
  for (size_t k = 64; k < junk.size(); k += 97) junk[k] = static_cast<char>(junk[k] ^ 0x5a);
  WriteTestFile(In("junk.mp4"), junk.substr(0, junk.size() * 2 / 3));
  fs::remove(video);
  for (const char* name : {"truncated.jpg", "junk.mp4"}) {
    const std::string id = AddOne(In(name));
    Json s = Show(id);
    ASSERT_TRUE(s.contains("analysis")) << name << ": " << s.dump();
    EXPECT_FALSE(s["analysis"]["failures"].empty()) << name << ": " << s.dump();
    // The bytes are preserved exactly.
    RunResult cat = isnad({"cat", id});
    EXPECT_EQ(cat.out, core::testing::ReadTestFile(In(name))) << name;
  }
  // Added with an empty file (a failed download), the summary counts what to look at again.
  WriteTestFile(In("more/IMG-WA0011.jpg"), "");
  fs::copy_file(In("truncated.jpg"), In("more/truncated-again.jpg"));
  WriteTestFile(In("more/cut.jpg"), bytes.substr(0, bytes.size() / 2));
  RunResult more = isnad({"add", In("more")});
  EXPECT_EQ(more.exit_code, 0) << more.err;
  EXPECT_NE(more.err.find("IMG-WA0011.jpg is empty (0 bytes)"), std::string::npos) << more.err;
  EXPECT_NE(more.err.find(", 1 empty, 1 kept that analysis could not read"), std::string::npos)
      << more.err;
  RunResult v = isnad({"verify"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

TEST_F(MediaCli, OcrMakesTheTextOfAPictureSearchable) {
  if (!fs::exists("/usr/share/tesseract-ocr/5/tessdata/eng.traineddata")) {
    GTEST_SKIP() << "MediaCli: needs tesseract-ocr-eng";
  }
  const std::string font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  if (!fs::exists(font)) GTEST_SKIP() << "MediaCli: needs fonts-dejavu-core";
  const std::string scan = In("leaflet.png");
  Ffmpeg({"-f", "lavfi", "-i", "color=white:size=1200x200", "-frames:v", "1", "-vf",
          "drawtext=fontfile=" + font + ":text='Zamalka shelter list':fontsize=64:x=40:y=60",
          scan});
  const std::string id = AddOne(scan, {"--ocr"});
  Json s = Show(id);
  EXPECT_FALSE(s["analysis"].value("ocr", "").empty()) << s.dump();
  RunResult r = isnad({"search", "zamalka", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  bool found = false;
  for (const Json& j : JsonLines(r.out)) found = found || j["id"] == id;
  EXPECT_TRUE(found) << r.out;
}

// Plain and tiny pictures all hash alike (PDQ quality < 50): the hash is recorded but never
// matched, at ingest, by `dupes` or by `similar`, which says why it finds nothing.
TEST_F(MediaCli, PlainPicturesAreNeverNearDuplicates) {
  Ffmpeg({"-f", "lavfi", "-i", "color=black:size=320x240", "-frames:v", "1", In("black.jpg")});
  Ffmpeg({"-f", "lavfi", "-i", "color=black:size=16x16", "-frames:v", "1", "-vf", "scale=1:1",
          In("dot.png")});
  Ffmpeg({"-f", "lavfi", "-i", "color=gray:size=200x100", "-frames:v", "1", In("gray.png")});
  std::vector<std::string> plain;
  for (const char* name : {"black.jpg", "dot.png", "gray.png"}) {
    const std::string id = AddOne(In(name));
    Json s = Show(id);
    // The hash is kept in the entry, with its quality ...
    EXPECT_EQ(s["analysis"].value("pdq", "").size(), 64u) << name << ": " << s.dump();
    EXPECT_LT(s["analysis"].value("pdq_quality", 100), 50) << name << ": " << s.dump();
    // ... and matches nothing added before it (all three hash alike).
    EXPECT_EQ(s["near_duplicates"], Json::array()) << name << ": " << s.dump();
    plain.push_back(id);
  }
  const std::string bridge =
      std::string(ISNAD_TESTDATA_DIR) + "/pdq/reg-test-input/dih/bridge-1-original.jpg";
  std::string photo;
  if (fs::exists(bridge)) {
    photo = AddOne(bridge);
    EXPECT_EQ(Show(photo)["near_duplicates"], Json::array()) << Show(photo).dump();
  }
  for (const std::string& id : plain) {
    EXPECT_EQ(Show(id)["near_duplicates"], Json::array()) << Show(id).dump();
  }
  RunResult d = isnad({"dupes", "--json"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_TRUE(JsonLines(d.out).empty()) << d.out;

  // `similar` of a plain picture, as a file and as an item, says it is too plain.
  for (const std::string& what : {In("black.jpg"), In("gray.png"), plain[1]}) {
    RunResult r = isnad({"similar", what});
    EXPECT_NE(r.exit_code, 0) << what << ": " << r.out;
    EXPECT_TRUE(r.out.empty()) << what << ": " << r.out;
    EXPECT_NE(r.err.find("too plain (PDQ quality 0 < 50)"), std::string::npos)
        << what << ": " << r.err;
  }
  // A photograph is matched as ever: it finds itself as a file, not the plain pictures.
  if (!photo.empty()) {
    EXPECT_EQ(SimilarIds(bridge), std::set<std::string>{photo});
  }
}

// Pictures that only FFmpeg decodes (an animated GIF, WebP, BMP, TIFF) get a PDQ hash of
// their first frame, and are found as near-duplicates of the same picture as a JPEG.
TEST_F(MediaCli, AnimatedGifAndWebpGetPdqHashes) {
  const std::string bridge =
      std::string(ISNAD_TESTDATA_DIR) + "/pdq/reg-test-input/dih/bridge-1-original.jpg";
  if (!fs::exists(bridge)) GTEST_SKIP() << "MediaCli: " << bridge << " is absent";
  // Five frames: the photo, then the photo fading to black.
  Ffmpeg({"-loop", "1", "-framerate", "5", "-t", "1", "-i", bridge, "-vf",
          "scale=400:251,fade=out:st=0.2:d=0.8", "-loop", "0", In("animated.gif")});
  Ffmpeg({"-i", bridge, "-vf", "scale=800:502", In("photo.webp")});
  Ffmpeg({"-i", bridge, "-vf", "scale=400:251", In("photo.bmp")});
  Ffmpeg({"-i", bridge, "-vf", "scale=400:251", In("photo.tiff")});
  const std::string orig = AddOne(bridge);
  for (const char* name : {"animated.gif", "photo.webp", "photo.bmp", "photo.tiff"}) {
    const std::string id = AddOne(In(name));
    Json s = Show(id);
    EXPECT_EQ(s["analysis"].value("pdq", "").size(), 64u) << name << ": " << s.dump();
    EXPECT_GE(s["analysis"].value("pdq_quality", 0), 50) << name << ": " << s.dump();
    EXPECT_EQ(s["analysis"]["failures"], Json::array()) << name << ": " << s.dump();
    const Json near = s["near_duplicates"];
    EXPECT_NE(std::find(near.begin(), near.end(), Json(orig)), near.end())
        << name << ": " << s.dump();
  }
  EXPECT_TRUE(SimilarIds(In("animated.gif")).count(orig));
}

// An archive whose path has a colon in it ("ev:1", relative): FFmpeg must open the blob as
// a file, not as the URL of an "ev" protocol, and the video gets its frames hashed.
TEST_F(MediaCli, VideoInAnArchiveWhosePathHasAColon) {
  const std::string video = In("video.mp4");
  Ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10:duration=2", "-c:v", "libx264",
          "-pix_fmt", "yuv420p", video});
  const fs::path was = fs::current_path();
  fs::current_path(tmp_.Join("in"));
  struct Back {
    fs::path to;
    ~Back() { fs::current_path(to); }
  } back{was};
  auto run = [](std::vector<std::string> args) {
    args.insert(args.begin(), {testing::IsnadBinary(), "-A", "ev:1"});
    return RunProcess(args, {{"ISNAD_OPERATOR", "tester@test"}});
  };
  RunResult r = run({"init", "--name", "test.example/colon"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run({"add", "video.mp4", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  const std::string id = lines[0]["id"].get<std::string>();
  r = run({"show", id, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  const Json& s = lines[0];
  EXPECT_GT(s["analysis"].value("frames", 0), 0) << s.dump();
  EXPECT_EQ(s["analysis"]["failures"], Json::array()) << s.dump();
}

}  // namespace
}  // namespace isnad
