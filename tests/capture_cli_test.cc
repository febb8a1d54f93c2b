// `isnad capture` end to end: the real binary fetches from a server on a thread
// of this test (tests/http_server.h), stores WARC and payload items, records
// capture.recorded entries, resumes, recaptures, and `isnad verify` holds after.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "capture_warc_check.h"
#include "catalog/catalog.h"
#include "catalog/entries.h"
#include "core/canonical_json.h"
#include "core/digest.h"
#include "core/testing/temp_dir.h"
#include "http_server.h"
#include "store/blob_store.h"
#include "subprocess.h"

namespace isnad {
namespace {

using core::Json;
using core::Status;
using core::testing::ReadTestFile;
using core::testing::TempDir;
using core::testing::WriteTestFile;
using testing::HttpServer;
using testing::JsonLines;
using testing::RunProcess;
using testing::RunResult;

class CaptureCli : public ::testing::Test {
 protected:
  void SetUp() override {
    archive_ = tmp_.Join("ar");
    ASSERT_EQ(isnad({"init", "--name", "test.example/capture"}).exit_code, 0);
  }

  RunResult isnad(std::vector<std::string> args) {
    args.insert(args.begin(), {testing::IsnadBinary(), "--archive", archive_});
    return RunProcess(args, {{"ISNAD_OPERATOR", "tester@test"}});
  }

  std::string BlobPath(const std::string& hex) {
    return archive_ + "/" + store::BlobStore::RelativePath(*core::Hash::FromHex(hex));
  }

  // The capture.recorded entries of the log.
  std::vector<Json> CaptureEntries() {
    auto r = isnad({"log", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<Json> out;
    for (const Json& line : JsonLines(r.out)) {
      Json entry = line.contains("entry") ? line["entry"] : line;
      if (entry.is_string()) entry = Json::parse(entry.get<std::string>());
      if (entry.value("type", "") == "capture.recorded") out.push_back(entry);
    }
    return out;
  }

  TempDir tmp_;
  std::string archive_;
  HttpServer server_;
};

// A captured picture is analysed like an added one: its PDQ hash is recorded, and a copy
// added later is named its near-duplicate.
TEST_F(CaptureCli, CapturedPictureIsAnalysed) {
  const std::string photo =
      std::string(ISNAD_TESTDATA_DIR) + "/pdq/reg-test-input/labelme-subset/q0291.jpg";
  if (!std::filesystem::exists(photo)) GTEST_SKIP() << "CaptureCli: " << photo << " is absent";
  const std::string bytes = ReadTestFile(photo);
  server_.set_file("/still.jpg", "image/jpeg", bytes);
  auto r = isnad({"capture", server_.Url("/still.jpg"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;  // --json: one object per URL
  const std::string payload = lines[0]["payload_id"].get<std::string>();
  auto show = JsonLines(isnad({"show", payload, "--json"}).out);
  ASSERT_EQ(show.size(), 1u);
  ASSERT_TRUE(show[0].contains("analysis")) << show[0].dump();
  EXPECT_EQ(show[0]["analysis"]["pdq"].get<std::string>().size(), 64u) << show[0].dump();
  // The same picture with one more byte: another item, found as a near-duplicate.
  const std::string copy = tmp_.Join("copy.jpg");
  WriteTestFile(copy, bytes + std::string(1, '\0'));
  auto added = JsonLines(isnad({"add", copy, "--json"}).out);
  ASSERT_EQ(added.size(), 1u);
  auto copy_show = JsonLines(isnad({"show", added[0]["id"].get<std::string>(), "--json"}).out);
  ASSERT_EQ(copy_show.size(), 1u);
  EXPECT_EQ(copy_show[0]["near_duplicates"], Json::array({payload})) << copy_show[0].dump();
}

TEST_F(CaptureCli, CapturesPagesIntoWarcAndPayloadItems) {
  const std::string page = server_.Url("/page/1");
  const std::string missing = server_.Url("/status/404");
  auto r = isnad({"capture", page, missing, server_.Url("/redirect/2"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  // The page: a WARC item and a payload item whose bytes are the page's.
  EXPECT_EQ(lines[0]["url"], page);
  EXPECT_EQ(lines[0]["status"], 200);
  EXPECT_EQ(lines[0]["result"], "captured");
  ASSERT_TRUE(lines[0]["id"].is_string());
  ASSERT_TRUE(lines[0]["payload_id"].is_string());
  EXPECT_EQ(lines[0]["media_type"], "text/html");
  std::string payload = ReadTestFile(BlobPath(lines[0]["payload_sha256"]));
  EXPECT_NE(payload.find("<h1>Report 1</h1>"), std::string::npos);
  std::vector<std::string> problems;
  auto records = testing::ReadWarc(BlobPath(lines[0]["warc_sha256"]), &problems);
  EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[2].Payload(), payload);
  // A 404 is a capture, evidence the page is gone: a WARC, no payload.
  EXPECT_EQ(lines[1]["status"], 404);
  EXPECT_TRUE(lines[1]["id"].is_string());
  EXPECT_TRUE(lines[1]["payload_id"].is_null());
  // Redirects: the final URL.
  EXPECT_EQ(lines[2]["final_url"], server_.Url("/plain"));
  // `show` finds the payload by id, with its source URL.
  auto show = isnad({"show", lines[0]["payload_id"].get<std::string>()});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find(page), std::string::npos) << show.out;
  // The entries say what was captured, and everything verifies.
  auto entries = CaptureEntries();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0]["url"], page);
  EXPECT_EQ(entries[0]["warc"], lines[0]["id"]);
  EXPECT_EQ(entries[0]["payload_sha256"], lines[0]["payload_sha256"]);
  auto v = isnad({"verify"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

// A capture's WARC is indexed as an added WARC is: `isnad warc ls` lists its
// records, the response links the payload item the capture made (no second
// item, no extra source), and adding the WARC file again indexes nothing.
TEST_F(CaptureCli, CaptureWarcIsIndexedLikeAnAddedOne) {
  auto r = isnad({"capture", server_.Url("/page/1"), server_.Url("/redirect/2"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  const std::string warc = lines[0]["id"], payload = lines[0]["payload_id"];
  auto ls = isnad({"--json", "warc", "ls", warc});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  auto recs = JsonLines(ls.out);
  ASSERT_EQ(recs.size(), 4u) << ls.out;
  EXPECT_EQ(recs[0]["warc_type"], "warcinfo");
  EXPECT_EQ(recs[1]["warc_type"], "request");
  EXPECT_EQ(recs[2]["warc_type"], "response");
  EXPECT_EQ(recs[2]["target_uri"], server_.Url("/page/1"));
  EXPECT_EQ(recs[2]["http_status"], 200);
  EXPECT_EQ(recs[2]["digest"], "pass");
  EXPECT_EQ(recs[2]["payload"], payload);
  EXPECT_EQ(recs[3]["warc_type"], "metadata");
  for (size_t i : {0, 1, 3}) EXPECT_EQ(recs[i]["payload"], "") << recs[i];
  auto show = isnad({"show", warc});
  EXPECT_NE(show.out.find("web archive VALID: 4 records"), std::string::npos) << show.out;
  // Redirects: four hops (three 302s, then 200); only the last response has the payload.
  auto hops = JsonLines(isnad({"--json", "warc", "ls", lines[1]["id"]}).out);
  ASSERT_EQ(hops.size(), 10u);
  int linked = 0;
  for (const Json& h : hops) linked += h["payload"] != "";
  EXPECT_EQ(linked, 1);
  EXPECT_EQ(hops[8]["payload"], lines[1]["payload_id"]);
  // No payload item twice: two items and no source per capture with a page.
  auto log = isnad({"log", "--json"});
  int ingested = 0, sources = 0, indexed = 0;
  for (const Json& line : JsonLines(log.out)) {
    Json entry = line.contains("entry") ? line["entry"] : line;
    if (entry.is_string()) entry = Json::parse(entry.get<std::string>());
    const std::string type = entry.value("type", "");
    ingested += type == "item.ingested";
    sources += type == "source.added";
    indexed += type == "warc.indexed";
  }
  EXPECT_EQ(ingested, 4);
  EXPECT_EQ(sources, 0);
  EXPECT_EQ(indexed, 2);
  // The WARC file added again: a new source, no second index.
  WriteTestFile(tmp_.Join("again.warc.gz"), ReadTestFile(BlobPath(lines[0]["warc_sha256"])));
  auto add = isnad({"--json", "add", tmp_.Join("again.warc.gz")});
  EXPECT_EQ(add.exit_code, 0) << add.err;
  EXPECT_EQ(JsonLines(add.out).size(), 1u) << add.out;
  EXPECT_EQ(JsonLines(isnad({"--json", "warc", "ls", warc}).out).size(), 4u);
  auto v = isnad({"verify"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

// A page the server sent gzipped is the page as an item (searchable), linked to
// its response record whose digest covers the gzip bytes; gzip that does not
// inflate is kept in the WARC and said, with no item.
TEST_F(CaptureCli, GzipPagesAreSearchableAndBadGzipIsSaid) {
  auto r = isnad({"capture", server_.Url("/gzip"), server_.Url("/badgzip"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  const std::string payload = lines[0]["payload_id"];
  ASSERT_FALSE(payload.empty()) << lines[0];
  EXPECT_EQ(lines[0]["media_type"], "text/html");
  EXPECT_FALSE(lines[0].contains("payload_note"));
  EXPECT_EQ(ReadTestFile(BlobPath(lines[0]["payload_sha256"])),
            "<html><body><p>compressed page</p></body></html>\n");
  auto found = isnad({"search", "compressed", "--json"});
  ASSERT_EQ(found.exit_code, 0) << found.err;
  bool hit = false;
  for (const Json& h : JsonLines(found.out)) hit |= h.value("id", "") == payload;
  EXPECT_TRUE(hit) << found.out;
  auto recs = JsonLines(isnad({"--json", "warc", "ls", lines[0]["id"]}).out);
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(recs[2]["digest"], "pass");
  EXPECT_EQ(recs[2]["payload"], payload);

  EXPECT_EQ(lines[1]["result"], "captured");
  EXPECT_TRUE(lines[1]["payload_id"].is_null()) << lines[1];
  EXPECT_NE(lines[1].value("payload_note", "").find("gzip data is invalid"), std::string::npos)
      << lines[1];
  auto entries = CaptureEntries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1]["payload_note"], lines[1]["payload_note"]);
  EXPECT_FALSE(entries[1].contains("payload"));
  auto text = isnad({"capture", server_.Url("/badgzip"), "--again"});
  EXPECT_NE(text.out.find("no payload item; the WARC holds the response as sent"),
            std::string::npos)
      << text.out;
  auto v = isnad({"verify"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

// Exporting a captured page brings the WARC of its capture, as an exhibit of
// its own, with the capture.recorded entry that links the two; verify-bag holds.
TEST_F(CaptureCli, ExportOfACapturedPageCarriesItsWarc) {
  const std::string page = server_.Url("/page/1");
  auto r = isnad({"capture", page, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  const std::string warc = lines[0]["id"], payload = lines[0]["payload_id"];
  const std::string bag = tmp_.Join("bag");
  auto e = isnad({"export", "--items", payload, "--out", bag});
  ASSERT_EQ(e.exit_code, 0) << e.out << e.err;
  // The user chose one item and gets two exhibits: the message says why.
  EXPECT_NE(e.out.find("Exported 2 exhibit(s)"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("of which 1 the web capture(s) that exhibits came from"), std::string::npos)
      << e.out;
  auto j = JsonLines(isnad({"export", "--items", payload, "--out", tmp_.Join("b2"), "--json"}).out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["captures"], Json::array({warc})) << j[0].dump();
  Json meta = Json::parse(ReadTestFile(bag + "/data/exhibits/" + warc + "/metadata.json"));
  EXPECT_EQ(meta["capture_warc_of"], payload);
  EXPECT_EQ(meta["sha256"], lines[0]["warc_sha256"]);
  Json page_meta = Json::parse(ReadTestFile(bag + "/data/exhibits/" + payload + "/metadata.json"));
  bool has_capture = false;
  for (const Json& p : page_meta["provenance"]) {
    if (p.value("type", "") == "capture.recorded") {
      has_capture = true;
      EXPECT_EQ(p["url"], page);
      EXPECT_EQ(p["warc"], warc);
    }
  }
  EXPECT_TRUE(has_capture) << page_meta.dump(2);
  bool entry_in_bag = false;
  for (const Json& line : JsonLines(ReadTestFile(bag + "/data/custody/entries.jsonl"))) {
    Json entry = Json::parse(line["entry"].get<std::string>());
    if (entry.value("type", "") == "capture.recorded") entry_in_bag = true;
  }
  EXPECT_TRUE(entry_in_bag);
  auto key = JsonLines(isnad({"key", "--json"}).out);
  ASSERT_FALSE(key.empty());
  auto v = RunProcess(
      {testing::IsnadBinary(), "verify-bag", bag, "--key", key[0]["vkey"].get<std::string>()}, {});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

TEST_F(CaptureCli, FailuresAreRecordedWithTheirReasonAndNoItems) {
  auto r = isnad({"capture", server_.Url("/loop"), server_.Url("/short"), "not-a-url", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // partly done
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  for (const Json& l : lines) {
    EXPECT_EQ(l["result"], "failed");
    EXPECT_TRUE(l["id"].is_null());
    EXPECT_TRUE(l.contains("error"));
  }
  EXPECT_EQ(lines[0]["url"], "not-a-url");  // refused before any fetch, so reported first
  EXPECT_EQ(lines[1]["url"], server_.Url("/loop"));
  EXPECT_NE(lines[1]["error"].get<std::string>().find("redirects"), std::string::npos);
  EXPECT_NE(lines[2]["error"].get<std::string>().find("before the whole body"), std::string::npos);
  EXPECT_NE(r.err.find("failed 3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("too many redirects: 1"), std::string::npos) << r.err;
  // The two fetches that failed are in the log; the malformed URL is not.
  auto entries = CaptureEntries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_TRUE(entries[0].contains("error"));
  EXPECT_FALSE(entries[0].contains("warc"));
  auto ls = isnad({"ls", "--json"});
  EXPECT_TRUE(JsonLines(ls.out).empty()) << ls.out;
  // Nothing half-written is left behind.
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
}

// --proxy reaches the fetch: with nothing listening where it points, the failure is
// recorded in the log and names the proxy (without its password).
TEST_F(CaptureCli, ADeadProxyIsARecordedFailureNamingIt) {
  const std::string proxy = "socks5h://127.0.0.1:" + std::to_string(testing::FreePort());
  const std::string with_password = "socks5h://tor:s3cret@" + proxy.substr(10);
  auto r = isnad({"capture", server_.Url("/page/1"), "--proxy", with_password, "--json"});
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  EXPECT_EQ(lines[0]["result"], "failed");
  const std::string error = lines[0]["error"].get<std::string>();
  EXPECT_NE(error.find("cannot connect to the proxy " + proxy), std::string::npos) << error;
  EXPECT_EQ(r.out.find("s3cret"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("s3cret"), std::string::npos) << r.err;
  auto entries = CaptureEntries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_NE(entries[0]["error"].get<std::string>().find("the proxy " + proxy), std::string::npos)
      << entries[0].dump();
  EXPECT_EQ(entries[0].dump().find("s3cret"), std::string::npos) << entries[0].dump();
  EXPECT_EQ(server_.requests(), 0u);
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
}

TEST_F(CaptureCli, ResumesAndRecapturesSayingWhetherThePayloadChanged) {
  WriteTestFile(tmp_.Join("urls.csv"), "title,url\nfirst,\"" + server_.Url("/mutable") +
                                           "\"\nsecond," + server_.Url("/page/2") + "\n");
  auto first = isnad({"capture", "--from", tmp_.Join("urls.csv"), "--json"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(JsonLines(first.out).size(), 2u);
  const uint64_t requests = server_.requests();
  // Run again: nothing is fetched.
  auto again = isnad({"capture", "--from", tmp_.Join("urls.csv"), "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  for (const Json& l : JsonLines(again.out)) EXPECT_EQ(l["result"], "skipped");
  EXPECT_EQ(server_.requests(), requests);
  EXPECT_NE(again.err.find("2 already captured"), std::string::npos) << again.err;
  // --again: a new capture, unchanged.
  auto same = isnad({"capture", server_.Url("/mutable"), "--again", "--json"});
  auto same_lines = JsonLines(same.out);
  ASSERT_EQ(same_lines.size(), 1u);
  EXPECT_EQ(same_lines[0]["changed"], false);
  EXPECT_EQ(same_lines[0]["payload_id"], JsonLines(first.out)[0]["payload_id"]);
  // The content changes on the server: a new payload item, changed.
  server_.set_mutable("second version, edited\n");
  auto changed = isnad({"capture", server_.Url("/mutable"), "--again", "--json"});
  auto changed_lines = JsonLines(changed.out);
  ASSERT_EQ(changed_lines.size(), 1u);
  EXPECT_EQ(changed_lines[0]["changed"], true);
  EXPECT_NE(changed_lines[0]["payload_id"], JsonLines(first.out)[0]["payload_id"]);
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
}

TEST_F(CaptureCli, AnUpperCaseSchemeIsTheSameUrl) {
  // RFC 3986 3.1 and 6.2.2.1: schemes are case-insensitive; "HTTP://host/x" is
  // captured, and recorded as "http://host/x" (so it is not captured twice).
  std::string lower = server_.Url("/page/1");
  std::string upper = "HTTP" + lower.substr(4);
  auto r = isnad({"capture", upper, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["result"], "captured") << r.out;
  EXPECT_EQ(lines[0]["url"], lower);
  auto again = isnad({"capture", lower, "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(JsonLines(again.out).at(0)["result"], "skipped") << again.out;
  // The same for the case of percent-escapes, and for a character written as
  // itself: one URL, recorded as a URI (RFC 3986 6.2.2.1, RFC 3987 3.1).
  auto first = isnad({"capture", server_.Url("/caf%c3%a9?q=%d8%b3"), "--json"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(JsonLines(first.out).at(0)["url"], server_.Url("/caf%C3%A9?q=%D8%B3")) << first.out;
  auto written = isnad({"capture", server_.Url("/café?q=س"), "--json"});
  ASSERT_EQ(written.exit_code, 0) << written.err;
  EXPECT_EQ(JsonLines(written.out).at(0)["result"], "skipped") << written.out;
}

TEST_F(CaptureCli, ManyUrlsAtOnceWithAPerHostLimit) {
  std::string list = "# pages\n";
  for (int k = 0; k < 60; ++k) list += server_.Url("/page/" + std::to_string(k)) + "\n";
  WriteTestFile(tmp_.Join("urls.txt"), list);
  auto r = isnad({"capture", "--from", tmp_.Join("urls.txt"), "--concurrency", "8", "--per-host",
                  "3", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 60u);
  for (size_t k = 0; k < lines.size(); ++k) {
    EXPECT_EQ(lines[k]["url"], server_.Url("/page/" + std::to_string(k)));  // in list order
    EXPECT_EQ(lines[k]["status"], 200);
  }
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
  // The custody log's times never go back from one entry to the next (a batch's
  // WARC indexing entries are made between its captures' entries).
  std::string before;
  for (const Json& e : JsonLines(isnad({"log", "--json"}).out)) {
    const std::string time = e["time"];
    EXPECT_LE(before, time) << "entry " << e["leaf_index"];
    before = time;
  }
}

// A list whose first URL holds commas (a map link) is a list, not a CSV with
// no "url" column; a one-column CSV may head it "URL"; an empty list says so.
TEST_F(CaptureCli, UrlListsWithCommasAndAnUpperCaseHeader) {
  WriteTestFile(tmp_.Join("maps.txt"), server_.Url("/page/1") + "?at=33.5711,36.4025,14z\n" +
                                           server_.Url("/page/2") + "\n");
  auto maps = isnad({"capture", "--from", tmp_.Join("maps.txt"), "--json"});
  EXPECT_EQ(maps.exit_code, 0) << maps.err;
  EXPECT_EQ(JsonLines(maps.out).size(), 2u) << maps.out;
  WriteTestFile(tmp_.Join("u.csv"), "URL\r\n" + server_.Url("/page/3") + "\r\n");
  auto csv = isnad({"capture", "--from", tmp_.Join("u.csv"), "--json"});
  EXPECT_EQ(csv.exit_code, 0) << csv.err;
  auto lines = JsonLines(csv.out);
  ASSERT_EQ(lines.size(), 1u) << csv.out;
  EXPECT_EQ(lines[0]["url"], server_.Url("/page/3"));
  WriteTestFile(tmp_.Join("empty.csv"), "title,url\n");
  auto empty = isnad({"capture", "--from", tmp_.Join("empty.csv")});
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_NE(empty.err.find("lists no URL"), std::string::npos) << empty.err;
}

// 206 Partial Content is a piece of a file: recorded in the WARC, never a
// payload item that a user would take for the whole video.
TEST_F(CaptureCli, APartialResponseIsNoPayloadItem) {
  server_.set_raw("/part",
                  "HTTP/1.1 206 Partial Content\r\nContent-Type: video/mp4\r\n"
                  "Content-Range: bytes 0-4/100\r\nContent-Length: 5\r\n\r\nhello");
  auto r = isnad({"capture", server_.Url("/part"), "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  EXPECT_EQ(lines[0]["status"], 206);
  EXPECT_TRUE(lines[0]["payload_id"].is_null()) << r.out;
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
}

// A hostile server's header bytes that are not UTF-8 (Content-Type) still give a recorded
// capture: the entry holds the value made valid (U+FFFD), the WARC holds it as sent.
TEST_F(CaptureCli, HeaderBytesThatAreNotUtf8StillGiveARecordedCapture) {
  server_.set_raw("/bad-type",
                  "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=\xff\r\n"
                  "Content-Length: 5\r\n\r\nhello");
  // Not UTF-8 inside the media type itself: the payload's type is sniffed instead.
  server_.set_raw("/bad-media-type",
                  "HTTP/1.1 200 OK\r\nContent-Type: te\xffxt/h\x01tml\r\n"
                  "Content-Length: 5\r\n\r\nhello");
  // A redirect whose Location is not UTF-8 (followed percent-encoded: a 404 here).
  server_.set_raw("/to-bad",
                  "HTTP/1.1 302 Found\r\nLocation: /b\xff\r\nX-Note: \xfe\x01\r\n"
                  "Content-Length: 0\r\n\r\n");
  auto r = isnad({"capture", server_.Url("/bad-type"), server_.Url("/bad-media-type"),
                  server_.Url("/page/1"), server_.Url("/to-bad"), "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  for (const Json& l : lines) EXPECT_EQ(l["result"], "captured") << r.out;
  EXPECT_EQ(lines[1]["media_type"], "text/plain") << r.out;
  EXPECT_EQ(lines[3]["status"], 404) << r.out;
  auto entries = CaptureEntries();
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0]["content_type"], "text/html; charset=\xef\xbf\xbd") << entries[0].dump();
  EXPECT_EQ(entries[0]["warc"], lines[0]["id"]);
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
}

// URL lists saved by a spreadsheet begin with a UTF-8 byte order mark: it is not part
// of the header or of the first URL. Duplicates and bad lines are reported, the rest captured.
// Each problem names the line of the list it came from (a quoted title may span lines), a
// row with a title but no URL is named rather than dropped unseen, and a spreadsheet's empty
// row (",") is not a problem.
TEST_F(CaptureCli, UrlListsWithAByteOrderMarkDuplicatesAndBadLines) {
  WriteTestFile(tmp_.Join("urls.csv"), "\xEF\xBB\xBFurl,title\r\n" + server_.Url("/page/1") +
                                           ",one\r\n" + server_.Url("/page/1") +
                                           ",\"again,\r\nover two lines\"\r\n,\r\n"
                                           ",a title with no URL\r\nnot a url,bad\r\n");
  auto csv = isnad({"capture", "--from", tmp_.Join("urls.csv"), "--json"});
  EXPECT_EQ(csv.exit_code, 1) << csv.out << csv.err;  // the bad line
  auto lines = JsonLines(csv.out);
  ASSERT_EQ(lines.size(), 3u) << csv.out << csv.err;
  EXPECT_EQ(lines[0]["result"], "skipped");  // listed twice
  EXPECT_EQ(lines[0]["line"], 3);
  EXPECT_EQ(lines[1]["result"], "failed");  // not a URL
  EXPECT_EQ(lines[1]["line"], 7);
  EXPECT_EQ(lines[2]["result"], "captured");
  EXPECT_EQ(lines[2]["url"], server_.Url("/page/1"));
  EXPECT_EQ(lines[2]["line"], 2);
  EXPECT_NE(csv.err.find("urls.csv line 6: no URL in its \"url\" column; skipped"),
            std::string::npos)
      << csv.err;
  EXPECT_EQ(csv.err.find("line 5"), std::string::npos) << csv.err;
  // The same as text: the failure and the skip say where they were listed.
  auto text = isnad({"capture", "--from", tmp_.Join("urls.csv"), "--again"});
  EXPECT_NE(text.out.find("(" + tmp_.Join("urls.csv") + " line 7)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("(" + tmp_.Join("urls.csv") + " line 3)"), std::string::npos) << text.out;
  WriteTestFile(tmp_.Join("urls.txt"),
                "\xEF\xBB\xBF" + server_.Url("/page/2") + "\n# a comment\n\nhttp://\n");
  auto txt = isnad({"capture", "--from", tmp_.Join("urls.txt"), "--json"});
  EXPECT_EQ(txt.exit_code, 1) << txt.out << txt.err;
  auto txt_lines = JsonLines(txt.out);
  ASSERT_EQ(txt_lines.size(), 2u) << txt.out;
  EXPECT_EQ(txt_lines[0]["result"], "failed");
  EXPECT_EQ(txt_lines[0]["line"], 4);
  EXPECT_EQ(txt_lines[1]["url"], server_.Url("/page/2"));
  EXPECT_EQ(txt_lines[1]["result"], "captured");
  EXPECT_EQ(txt_lines[1]["line"], 1);
  // A URL given as an argument has no line.
  auto arg = isnad({"capture", "not a url", "--json"});
  auto arg_lines = JsonLines(arg.out);
  ASSERT_EQ(arg_lines.size(), 1u) << arg.out;
  EXPECT_FALSE(arg_lines[0].contains("line"));
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
}

// Lengths a server or a list can push past what one log entry holds (64 KiB): a URL over
// 16 KiB is refused before any fetch, a redirect to one is recorded and not followed, a
// Content-Type of any length is shortened in the entry; one such URL never costs the others
// in the batch their captures.
TEST_F(CaptureCli, OverlongUrlsAndHeadsNeverCostTheBatch) {
  const std::string long_url = server_.Url("/page/1?q=" + std::string(20000, 'a'));
  const std::string huge_url = server_.Url("/page/1?q=" + std::string(70000, 'a'));
  server_.set_raw("/long-redirect", "HTTP/1.1 302 Found\r\nLocation: /page/3?q=" +
                                        std::string(40000, 'b') + "\r\nContent-Length: 0\r\n\r\n");
  server_.set_raw("/long-type", "HTTP/1.1 200 OK\r\nContent-Type: text/" + std::string(70000, 'c') +
                                    "\r\nContent-Length: 5\r\n\r\nhello");
  auto r = isnad({"capture", long_url, huge_url, server_.Url("/long-redirect"),
                  server_.Url("/long-type"), server_.Url("/page/2"), "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.out.substr(0, 2000) << r.err.substr(0, 2000);
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out.substr(0, 2000) << r.err.substr(0, 2000);
  for (size_t k : {0u, 1u}) {
    EXPECT_EQ(lines[k]["result"], "failed");
    EXPECT_NE(lines[k]["error"].get<std::string>().find("over the 16384"), std::string::npos)
        << lines[k]["error"];
  }
  EXPECT_EQ(lines[2]["result"], "captured");
  EXPECT_EQ(lines[2]["status"], 302);
  EXPECT_EQ(lines[2]["final_url"], server_.Url("/long-redirect"));
  // Why the redirect was not followed, in the output and in the custody entry, shortened.
  const std::string why = lines[2].value("redirect_not_followed", "");
  EXPECT_EQ(why.rfind("the redirect to ", 0), 0u) << why.substr(0, 200);
  EXPECT_LE(why.size(), 4096u);
  EXPECT_EQ(lines[3]["result"], "captured");
  EXPECT_EQ(lines[3]["media_type"], "text/plain");
  EXPECT_EQ(lines[4]["result"], "captured");
  EXPECT_EQ(JsonLines(isnad({"ls", "--json"}).out).size(), 5u);  // 3 WARCs, 2 payloads
  auto entries = CaptureEntries();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[1]["content_type"].get<std::string>().size(), 1000u);
  EXPECT_EQ(entries[0].value("redirect_not_followed", ""), why);
  EXPECT_FALSE(entries[1].contains("redirect_not_followed"));
  auto v = isnad({"verify"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

TEST_F(CaptureCli, BadArguments) {
  EXPECT_EQ(isnad({"capture"}).exit_code, 2);
  EXPECT_EQ(isnad({"capture", server_.Url("/plain"), "--proxy", "ftp://x"}).exit_code, 2);
  EXPECT_EQ(isnad({"capture", "--from", tmp_.Join("absent.txt")}).exit_code, 3);
  WriteTestFile(tmp_.Join("nourl.csv"), "title,link\na,b\n");
  EXPECT_EQ(isnad({"capture", "--from", tmp_.Join("nourl.csv")}).exit_code, 2);
  // A CA file that holds no PEM certificate is refused before anything is fetched.
  WriteTestFile(tmp_.Join("ca.der"), std::string("\x30\x82\x01\x0a not PEM", 13));
  auto ca = isnad({"capture", server_.Url("/plain"), "--ca-file", tmp_.Join("ca.der")});
  EXPECT_EQ(ca.exit_code, 2) << ca.out << ca.err;
  EXPECT_NE(ca.err.find("holds no PEM certificate"), std::string::npos) << ca.err;
  EXPECT_EQ(server_.requests(), 0u);
  EXPECT_EQ(isnad({"log", "--json"}).out.find("\"type\":\"capture"), std::string::npos);
}

TEST(CaptureEntry, GrammarIsStrict) {
  catalog::Actor by{"2026-11-29T10:00:00.000Z", "tester@test"};
  const std::string sha(64, 'a');
  Json ok = {{"url", "http://example.org/"},
             {"captured", "2026-11-29T09:59:59.000Z"},
             {"status", 200u},
             {"final_url", "http://example.org/"},
             {"warc", "i3"},
             {"warc_sha256", sha}};
  EXPECT_TRUE(catalog::CaptureRecordedEntry(by, ok).ok());
  Json failed = {{"url", "http://example.org/"},
                 {"captured", "2026-11-29T09:59:59.000Z"},
                 {"error", "timed out"}};
  auto f = catalog::CaptureRecordedEntry(by, failed);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(catalog::ParseEntry(*f).ok());
  // `base` with member `key` set to `value` (removed when null): accepted?
  auto accepts = [&](Json base, const char* key, const Json& value) {
    if (value.is_null()) {
      base.erase(key);
    } else {
      base[key] = value;
    }
    return catalog::CaptureRecordedEntry(by, base).ok();
  };
  EXPECT_FALSE(accepts(ok, "error", "x"));
  EXPECT_TRUE(accepts(ok, "redirect_not_followed", "the redirect to ftp://x/ was not followed"));
  EXPECT_FALSE(accepts(failed, "redirect_not_followed", "x"));
  EXPECT_TRUE(accepts(ok, "payload_note", "Content-Encoding 'br' is not removed"));
  EXPECT_FALSE(accepts(failed, "payload_note", "x"));  // a failed fetch has no body
  EXPECT_FALSE(accepts(ok, "payload", "i4"));          // without its digest and size
  EXPECT_FALSE(accepts(ok, "warc", nullptr));
  EXPECT_FALSE(accepts(ok, "extra", "x"));
  // Not an evidence graph entry: Record() cannot be used to forge one.
  Json graph = failed;
  graph["type"] = "capture.recorded";
  EXPECT_FALSE(catalog::GraphEntry(by, graph).ok());
}

// The catalogue checks a capture's items against the log and says what changed.
TEST(CaptureCatalog, ItemsMustExistWithTheNamedDigestAndChangesAreTracked) {
  catalog::Actor by{"2026-11-29T10:00:00.000Z", "tester@test"};
  auto cat = catalog::Catalog::Open(":memory:", false);
  ASSERT_TRUE(cat.ok());
  const core::Hash warc = core::Sha256Of("warc"), page = core::Sha256Of("page v1");
  catalog::Provenance from;
  from.name = "x";
  std::vector<std::string> entries = {
      *catalog::ArchiveCreatedEntry(by, "o", "k", "isnad"),
      *catalog::ItemIngestedEntry(by, warc, 4, "application/warc", from),
      *catalog::ItemIngestedEntry(by, page, 7, "text/html", from)};
  ASSERT_TRUE((*cat)->Apply(0, entries, core::Hash()).ok());
  auto capture = [&](const core::Hash& w, std::optional<core::Hash> p) {
    Json body = {{"url", "http://example.org/a"},
                 {"captured", "2026-11-29T09:00:00.000Z"},
                 {"status", 200u},
                 {"final_url", "http://example.org/a"},
                 {"warc", "i1"},
                 {"warc_sha256", w.Hex()}};
    if (p) {
      body["payload"] = "i2";
      body["payload_sha256"] = p->Hex();
      body["payload_size"] = 7u;
    }
    return *catalog::CaptureRecordedEntry(by, body);
  };
  // A digest that is not the item's: refused as an integrity failure.
  Status wrong = (*cat)->Apply(3, {capture(page, std::nullopt)}, core::Hash());
  EXPECT_EQ(wrong.code(), core::Code::kIntegrity) << wrong.ToString();
  ASSERT_TRUE((*cat)->Apply(3, {capture(warc, page)}, core::Hash()).ok());
  ASSERT_TRUE((*cat)->Apply(4, {capture(warc, page)}, core::Hash()).ok());
  ASSERT_TRUE((*cat)->Apply(5, {capture(warc, std::nullopt)}, core::Hash()).ok());
  auto rows = (*cat)->Captures("http://example.org/a");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_FALSE((*rows)[0].changed.has_value());  // the first
  EXPECT_EQ((*rows)[1].changed, std::optional<bool>(false));
  EXPECT_EQ((*rows)[2].changed, std::optional<bool>(true));  // the page is gone
  EXPECT_EQ((*rows)[1].payload, "i2");
  auto last = (*cat)->LastCapture("http://example.org/a");
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->leaf_index, 5u);
}

}  // namespace
}  // namespace isnad
