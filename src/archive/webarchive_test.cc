// Web archives added as items: WARC/WACZ files are preserved byte for byte,
// their records indexed in the log and catalogue, their payloads made items
// linked to the container; failures are recorded, not hidden. Uses the
// conformance data in ../shared/testdata (warc-warcio, wacz-pywacz).
#include "archive/webarchive.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "archive/archive.h"
#include "catalog/entries.h"
#include "core/testing/temp_dir.h"
#include "subprocess.h"
#include "warc/testing_source.h"
#include "warc/writer.h"

namespace isnad::archive {
namespace {

using core::testing::ReadTestFile;
using core::testing::TempDir;
using core::testing::WriteTestFile;
using warc::testing::Compressed;

const std::string kWarcio = std::string(ISNAD_TESTDATA_DIR) + "/warc-warcio/";
const std::string kWacz = std::string(ISNAD_TESTDATA_DIR) + "/wacz-pywacz/";

#define REQUIRE_TESTDATA()                                          \
  if (!core::Exists(core::Env::Default(), kWarcio + "README.md") || \
      !core::Exists(core::Env::Default(), kWacz + "README.md"))     \
  GTEST_SKIP() << "conformance data warc-warcio / wacz-pywacz absent under " ISNAD_TESTDATA_DIR

Options TestOptions() {
  Options o;
  o.operator_name = "tester@test";
  return o;
}

struct Added {
  std::vector<AddedFile> files;
  std::vector<WebArchiveSummary> web;
  AddCallbacks callbacks() {
    AddCallbacks cb;
    cb.on_added = [this](const AddedFile& f) { files.push_back(f); };
    cb.on_web_archive = [this](const WebArchiveSummary& s) { web.push_back(s); };
    return cb;
  }
};

std::unique_ptr<Archive> MakeArchive(const std::string& dir) {
  auto a = Archive::Init(dir, "test.isnad.example/web", TestOptions());
  EXPECT_TRUE(a.ok()) << a.status().ToString();
  return a.ok() ? std::move(*a) : nullptr;
}

Added AddPaths(Archive* a, std::vector<std::string> paths) {
  Added out;
  AddRequest req;
  req.paths = std::move(paths);
  req.jobs = 1;
  auto sum = a->Add(req, out.callbacks());
  EXPECT_TRUE(sum.ok()) << sum.status().ToString();
  return out;
}

std::string Blob(const Archive& a, const core::Hash& sha) {
  return ReadTestFile(a.blobs().PathOf(sha));
}

TEST(WebArchiveImport, WarcIsPreservedIndexedAndItsPayloadIsAnItem) {
  REQUIRE_TESTDATA();
  TempDir tmp;
  auto a = MakeArchive(tmp.Join("ar"));
  Added added = AddPaths(a.get(), {kWarcio + "example.warc.gz"});
  ASSERT_EQ(added.files.size(), 1u);
  ASSERT_EQ(added.web.size(), 1u);
  const WebArchiveSummary& w = added.web[0];
  const std::string id = added.files[0].id;
  EXPECT_EQ(w.id, id);
  EXPECT_EQ(w.kind, "warc");
  EXPECT_EQ(w.result, "valid");
  EXPECT_EQ(w.records, 6u);
  EXPECT_EQ(w.digests_failed, 0u);
  ASSERT_EQ(w.payload_ids.size(), 1u);
  // Evidence never modified: the stored item is the file, byte for byte.
  EXPECT_EQ(Blob(*a, added.files[0].sha256), ReadTestFile(kWarcio + "example.warc.gz"));

  auto records = a->catalog().WarcRecords(id);
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  ASSERT_EQ(records->size(), 6u);
  const catalog::WarcRecordRow& resp = (*records)[2];
  EXPECT_EQ(resp.warc_type, "response");
  EXPECT_EQ(resp.target_uri, "http://example.com/");
  EXPECT_EQ(resp.warc_date, "2017-03-06T04:02:06Z");
  EXPECT_EQ(resp.http_status, 200);
  EXPECT_EQ(resp.digest, "pass");
  EXPECT_EQ(resp.payload, w.payload_ids[0]);
  EXPECT_EQ(resp.offset, 784u);
  // The payload is an item: searchable, its provenance names the record.
  auto payload = a->catalog().Resolve(resp.payload);
  ASSERT_TRUE(payload.ok());
  EXPECT_EQ(payload->media_type, "text/html");
  EXPECT_NE(Blob(*a, payload->sha256).find("Example Domain"), std::string::npos);
  auto sources = a->catalog().Sources(resp.payload);
  ASSERT_TRUE(sources.ok());
  ASSERT_EQ(sources->size(), 1u);
  EXPECT_EQ((*sources)[0].url, "http://example.com/");
  EXPECT_NE((*sources)[0].note.find(resp.record_id), std::string::npos);
  EXPECT_NE((*sources)[0].note.find(id), std::string::npos);
  auto origin = a->catalog().WarcRecords(resp.payload, /*as_payload=*/true);
  ASSERT_TRUE(origin.ok());
  ASSERT_EQ(origin->size(), 1u);
  EXPECT_EQ((*origin)[0].container, id);
  catalog::SearchRequest q;
  q.query = "\"Example Domain\"";
  auto hits = a->catalog().Search(q);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  bool found = false;
  for (const auto& h : hits->hits) found |= h.id == resp.payload;
  EXPECT_TRUE(found);

  // Reindex rebuilds the same web archive tables from the log alone.
  auto before = a->catalog().Fingerprint();
  ASSERT_TRUE(a->Reindex().ok());
  auto after = a->catalog().Fingerprint();
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_EQ(*before, *after);
  auto again = a->catalog().WarcRecords(id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->size(), 6u);

  // Adding the same file again indexes nothing twice.
  Added twice = AddPaths(a.get(), {kWarcio + "example.warc.gz"});
  EXPECT_TRUE(twice.web.empty());
  auto verify = a->Verify("", 1, nullptr);
  ASSERT_TRUE(verify.ok());
  for (const auto& p : verify->problems) ADD_FAILURE() << p.file << ": " << p.what;
}

// One response record (no digests) whose HTTP message is `head` + `body`.
std::string ResponseRecord(int n, const std::string& extra_warc_headers, const std::string& head,
                           const std::string& body) {
  const std::string block = head + "\r\n" + body;
  return "WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-" +
         std::string(12 - std::to_string(n).size(), '0') + std::to_string(n) +
         ">\r\nWARC-Date: 2024-01-01T00:00:00Z\r\nWARC-Target-URI: http://example.org/r" +
         std::to_string(n) + "\r\nContent-Type: application/http; msgtype=response\r\n" +
         extra_warc_headers + "Content-Length: " + std::to_string(block.size()) + "\r\n\r\n" +
         block + "\r\n\r\n";
}

// The payloads of the items a web archive gave, sorted.
std::vector<std::string> PayloadsOf(const Archive& a, const WebArchiveSummary& w) {
  std::vector<std::string> out;
  for (const std::string& id : w.payload_ids) {
    auto item = a.catalog().Resolve(id);
    EXPECT_TRUE(item.ok()) << id;
    if (item.ok()) out.push_back(Blob(a, item->sha256));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// An item holds a whole file or nothing: a part of a response (206, a record
// its writer cut short, one segment of several) or one in a transfer coding
// that cannot be undone makes no item; the record stays in the WARC, indexed,
// and the WARC, well-formed, is valid. A gzip body of two members is one
// payload (RFC 1952); a zlib stream followed by more bytes is not whole.
TEST(WebArchiveImport, OnlyWholePayloadsBecomeItems) {
  TempDir tmp;
  const std::string whole = "the whole file";
  std::string warc;
  int n = 0;
  warc += ResponseRecord(++n, "", "HTTP/1.1 200 OK\r\nContent-Length: 14\r\n", whole);
  warc += ResponseRecord(
      ++n, "", "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-9/5000\r\n", "0123456789");
  warc += ResponseRecord(++n, "WARC-Truncated: length\r\n",
                         "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n", "cut short");
  warc += ResponseRecord(++n, "WARC-Segment-Number: 1\r\n", "HTTP/1.1 200 OK\r\n", "FIRST-HALF-");
  warc += ResponseRecord(++n, "", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n",
                         "5\r\nabcde\r\n0\r\n\r\n");
  warc += ResponseRecord(++n, "", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n",
                         Compressed("PART ONE / ", true) + Compressed("PART TWO", true));
  WriteTestFile(tmp.Join("in/partial.warc"), warc);
  WriteTestFile(tmp.Join("in/trailing.warc"),
                ResponseRecord(1, "", "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\n",
                               Compressed("one zlib stream", false) + "and then more"));
  auto a = MakeArchive(tmp.Join("ar"));
  Added added = AddPaths(a.get(), {tmp.Join("in/partial.warc"), tmp.Join("in/trailing.warc")});
  ASSERT_EQ(added.web.size(), 2u);
  const WebArchiveSummary& w = added.web[0];
  EXPECT_EQ(w.records, 6u);
  EXPECT_EQ(w.result, "valid") << (w.problems.empty() ? "" : w.problems[0]);
  EXPECT_EQ(PayloadsOf(*a, w), (std::vector<std::string>{"PART ONE / PART TWO", whole}));
  auto records = a->catalog().WarcRecords(added.files[0].id);
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->size(), 6u);

  const WebArchiveSummary& t = added.web[1];
  EXPECT_TRUE(t.payload_ids.empty());
  EXPECT_EQ(t.result, "invalid");
  std::string problems;
  for (const std::string& p : t.problems) problems += p + "\n";
  EXPECT_NE(problems.find("followed by other bytes"), std::string::npos) << problems;
}

// A damaged gzip member loses only the record inside it: the records after it
// are indexed and their payloads are items, the WARC is kept byte for byte, and
// it is invalid (not unreadable), with the damage and where reading went on.
TEST(WebArchiveImport, ADamagedGzipMemberLosesOnlyItsRecord) {
  TempDir tmp;
  std::string warc, damaged;
  for (int n = 1; n <= 3; ++n) {
    std::string member =
        Compressed(ResponseRecord(n, "", "HTTP/1.1 200 OK\r\n", "body " + std::to_string(n)), true);
    if (n == 2) {
      member[member.size() - 6] = static_cast<char>(member[member.size() - 6] ^ 0xff);  // its CRC
      damaged = std::to_string(warc.size());
    }
    warc += member;
  }
  WriteTestFile(tmp.Join("in/damaged.warc.gz"), warc);
  auto a = MakeArchive(tmp.Join("ar"));
  Added added = AddPaths(a.get(), {tmp.Join("in/damaged.warc.gz")});
  ASSERT_EQ(added.web.size(), 1u);
  const WebArchiveSummary& w = added.web[0];
  EXPECT_EQ(w.result, "invalid") << w.error;
  EXPECT_EQ(w.records, 3u);
  EXPECT_EQ(PayloadsOf(*a, w), (std::vector<std::string>{"body 1", "body 3"}));
  std::string problems;
  for (const std::string& p : w.problems) problems += p + "\n";
  EXPECT_NE(problems.find("record 2 <urn:uuid:00000000-0000-4000-8000-000000000002> "
                          "(http://example.org/r2): its gzip data is damaged: invalid gzip data "
                          "in the member that starts at byte " +
                          damaged),
            std::string::npos)
      << problems;
  EXPECT_NE(problems.find("reading went on at the next WARC record"), std::string::npos)
      << problems;
  auto records = a->catalog().WarcRecords(added.files[0].id);
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->size(), 3u);
  EXPECT_EQ(Blob(*a, added.files[0].sha256), warc);
}

TEST(WebArchiveImport, FailedDigestIsPreservedAndRecorded) {
  REQUIRE_TESTDATA();
  TempDir tmp;
  auto a = MakeArchive(tmp.Join("ar"));
  Added added =
      AddPaths(a.get(), {kWarcio + "example-digest.warc", kWarcio + "example-trunc.warc"});
  ASSERT_EQ(added.web.size(), 2u);
  for (const WebArchiveSummary& w : added.web) {
    SCOPED_TRACE(w.id);
    EXPECT_EQ(w.result, "invalid");
    EXPECT_FALSE(w.problems.empty());
  }
  EXPECT_EQ(added.web[0].digests_failed, 1u);
  EXPECT_NE(added.web[0].problems[0].find("WARC-Payload-Digest"), std::string::npos);
  EXPECT_NE(added.web[0].problems[0].find(" does not match the content (sha1:"), std::string::npos)
      << added.web[0].problems[0];
  std::string trunc;
  for (const std::string& p : added.web[1].problems) trunc += p + "\n";
  EXPECT_NE(trunc.find(") is not the length of its block"), std::string::npos) << trunc;
  EXPECT_NE(trunc.find("WARC-Block-Digest"), std::string::npos) << trunc;
  auto idx = a->catalog().WarcIndexes(added.web[0].id);
  ASSERT_TRUE(idx.ok());
  ASSERT_EQ(idx->size(), 1u);
  EXPECT_EQ((*idx)[0].result, "invalid");
  EXPECT_EQ((*idx)[0].digests_failed, 1u);
  ASSERT_FALSE((*idx)[0].problems.empty());
  auto recs = a->catalog().WarcRecords(added.web[0].id);
  ASSERT_TRUE(recs.ok());
  ASSERT_EQ(recs->size(), 4u);
  EXPECT_EQ((*recs)[0].digest, "fail");
  EXPECT_EQ((*recs)[1].digest, "pass");
  EXPECT_EQ(Blob(*a, added.files[0].sha256), ReadTestFile(kWarcio + "example-digest.warc"));

  // A record cut short by the end of the file: its digests do not hold, and
  // the problem says why rather than showing a digest of nothing.
  WriteTestFile(tmp.Join("cut.warc.gz"), ReadTestFile(kWarcio + "example.warc.gz").substr(0, 1434));
  Added cut = AddPaths(a.get(), {tmp.Join("cut.warc.gz")});
  ASSERT_EQ(cut.web.size(), 1u);
  std::string p;
  for (const std::string& line : cut.web[0].problems) p += line + "\n";
  EXPECT_EQ(cut.web[0].digests_failed, 2u) << p;
  EXPECT_NE(p.find("WARC-Block-Digest sha1:DR5MBP7OD3OPA7RFKWJUD4CTNUQUGFC5 does not hold: the "
                   "record is cut short"),
            std::string::npos)
      << p;
  EXPECT_EQ(p.find("()"), std::string::npos) << p;
}

TEST(WebArchiveImport, UnreadableFilesArePreservedWithTheReason) {
  REQUIRE_TESTDATA();
  TempDir tmp;
  auto a = MakeArchive(tmp.Join("ar"));
  WriteTestFile(tmp.Join("in/old.warc.gz"),
                ReadTestFile(kWarcio + "example-bad-non-chunked.warc.gz"));
  WriteTestFile(tmp.Join("in/legacy.warc"), ReadTestFile(kWarcio + "example.arc"));
  Added added = AddPaths(a.get(), {tmp.Join("in/legacy.warc"), tmp.Join("in/old.warc.gz")});
  ASSERT_EQ(added.web.size(), 2u);
  EXPECT_EQ(added.web[0].result, "unreadable");
  EXPECT_NE(added.web[0].error.find("ARC"), std::string::npos) << added.web[0].error;
  EXPECT_EQ(added.web[1].result, "unreadable");
  EXPECT_NE(added.web[1].error.find("one gzip member"), std::string::npos) << added.web[1].error;
  auto idx = a->catalog().WarcIndexes(added.web[1].id);
  ASSERT_TRUE(idx.ok());
  ASSERT_EQ(idx->size(), 1u);
  EXPECT_EQ((*idx)[0].result, "unreadable");
  EXPECT_NE((*idx)[0].error.find("one gzip member"), std::string::npos);
  auto item = a->catalog().Resolve(added.web[1].id);
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(item->size_bytes, ReadTestFile(kWarcio + "example-bad-non-chunked.warc.gz").size());
}

// A web archive saved under the other kind's name is read as what its first
// bytes say: a .warc.gz named .wacz is indexed as a WARC, a WACZ named .warc as
// a WACZ, so adding it again under the right name finds it indexed already.
TEST(WebArchiveImport, AWebArchiveUnderTheOtherKindsNameIsReadAsWhatItIs) {
  REQUIRE_TESTDATA();
  TempDir tmp;
  auto a = MakeArchive(tmp.Join("ar"));
  WriteTestFile(tmp.Join("in/crawl.wacz"), ReadTestFile(kWarcio + "example.warc.gz"));
  WriteTestFile(tmp.Join("in/package.warc"), ReadTestFile(kWacz + "valid_example_1.wacz"));
  Added added = AddPaths(a.get(), {tmp.Join("in/crawl.wacz"), tmp.Join("in/package.warc")});
  ASSERT_EQ(added.web.size(), 2u);
  EXPECT_EQ(added.web[0].kind, "warc");
  EXPECT_EQ(added.web[0].result, "valid") << added.web[0].error;
  EXPECT_EQ(added.web[0].records, 6u);
  EXPECT_EQ(added.web[1].kind, "wacz");
  EXPECT_EQ(added.web[1].result, "valid") << added.web[1].error;
  EXPECT_GE(added.web[1].records, 1u);
  WriteTestFile(tmp.Join("in/crawl.warc.gz"), ReadTestFile(kWarcio + "example.warc.gz"));
  Added again = AddPaths(a.get(), {tmp.Join("in/crawl.warc.gz")});
  EXPECT_TRUE(again.web.empty());
  auto records = a->catalog().WarcRecords(added.web[0].id);
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->size(), 6u);
}

// Header fields full of control characters (six bytes each in JSON) once
// made a warc.record entry over the size limit, and the import failed on every
// try; they are kept as U+FFFD.
TEST(WebArchiveImport, ControlCharactersInFieldsDoNotOverflowTheEntry) {
  TempDir tmp;
  auto a = MakeArchive(tmp.Join("ar"));
  const std::string junk(4000, '\x01');
  const std::string warc = "WARC/1.1\r\nWARC-Type: " + junk + "\r\nWARC-Record-ID: " + junk +
                           "\r\nWARC-Date: " + junk + "\r\nWARC-Target-URI: " + junk +
                           "\r\nContent-Type: " + junk + "\r\nContent-Length: 2\r\n\r\nhi\r\n\r\n";
  WriteTestFile(tmp.Join("ctl.warc"), warc);
  Added added = AddPaths(a.get(), {tmp.Join("ctl.warc")});
  ASSERT_EQ(added.web.size(), 1u);
  EXPECT_EQ(added.web[0].records, 1u) << added.web[0].error;
  EXPECT_TRUE(added.web[0].error.empty()) << added.web[0].error;
  auto records = a->catalog().WarcRecords(added.web[0].id);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].target_uri.substr(0, 6), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

// A WARC member damaged inside a WACZ has the damage in its own warc.indexed:
// cut short (deflate data that cannot be decoded), it is unreadable with the
// damage as its error, and the WARC after it is read and valid.
TEST(WebArchiveImport, ADamagedWaczMemberSaysSoInItsOwnEntry) {
  TempDir tmp;
  auto a = MakeArchive(tmp.Join("ar"));
  const std::string path = tmp.Join("damaged.wacz");
  ASSERT_TRUE(warc::testing::WriteZip(
      path, warc::testing::WaczOf({{"archive/a.warc", warc::testing::ResourceWarc(20)},
                                   {"archive/b.warc", warc::testing::ResourceWarc(3, 100)}})));
  std::string zip = ReadTestFile(path);
  const size_t header = zip.find("PK\x03\x04");
  ASSERT_EQ(zip.compare(header + 30, 14, "archive/a.warc"), 0);
  const size_t n = static_cast<uint8_t>(zip[header + 26]) | static_cast<uint8_t>(zip[header + 27])
                                                                << 8;
  const size_t e = static_cast<uint8_t>(zip[header + 28]) | static_cast<uint8_t>(zip[header + 29])
                                                                << 8;
  zip[header + 30 + n + e] = '\x07';  // a deflate block of the reserved type
  WriteTestFile(path, zip);
  Added added = AddPaths(a.get(), {path});
  ASSERT_EQ(added.web.size(), 1u);
  auto indexes = a->catalog().WarcIndexes(added.web[0].id);
  ASSERT_TRUE(indexes.ok());
  ASSERT_EQ(indexes->size(), 3u);
  EXPECT_EQ((*indexes)[0].member, "archive/a.warc");
  EXPECT_EQ((*indexes)[0].result, "unreadable");
  EXPECT_EQ((*indexes)[0].error.rfind(
                "the ZIP member is damaged: only its first 0 bytes could be read", 0),
            0u)
      << (*indexes)[0].error;
  EXPECT_EQ((*indexes)[1].member, "archive/b.warc");
  EXPECT_EQ((*indexes)[1].result, "valid");
  EXPECT_EQ((*indexes)[1].records, 3u);
  EXPECT_TRUE((*indexes)[2].member.empty());
  EXPECT_EQ(added.web[0].records, 3u);
}

// A WACZ of many small WARCs is indexed in batches, not one signed checkpoint
// per WARC (each checkpoint writes its tiles: 20,000 empty members once made
// 836 MB of log from a 2.5 MB file). Each member's warc.indexed still follows
// its records in the log, and the item's error names the first WARCs that
// could not be read and counts the rest.
TEST(WebArchiveImport, AWaczOfManySmallWarcsIsIndexedInBatches) {
  TempDir tmp;
  auto a = MakeArchive(tmp.Join("ar"));
  warc::testing::ZipMembers warcs;
  for (int i = 0; i < 300; ++i)
    warcs.emplace_back("archive/w" + std::to_string(i) + ".warc",
                       warc::testing::ResourceWarc(1, i));
  for (int i = 0; i < 30; ++i) warcs.emplace_back("archive/e" + std::to_string(i) + ".warc.gz", "");
  ASSERT_TRUE(warc::testing::WriteZip(tmp.Join("many.wacz"), warc::testing::WaczOf(warcs)));
  auto checkpoints = [&] {
    auto names = core::Env::Default()->ListDir(tmp.Join("ar/checkpoints"));
    EXPECT_TRUE(names.ok());
    return names.ok() ? names->size() : 0;
  };
  const size_t before = checkpoints();
  Added added = AddPaths(a.get(), {tmp.Join("many.wacz")});
  ASSERT_EQ(added.web.size(), 1u);
  const WebArchiveSummary& s = added.web[0];
  EXPECT_EQ(s.records, 300u);
  EXPECT_EQ(s.payloads, 300u);
  EXPECT_EQ(s.result, "unreadable");
  // 931 entries (the file, 300 records and their payloads, 331 warc.indexed).
  EXPECT_LE(checkpoints() - before, 8u);
  EXPECT_NE(s.error.find("archive/e0.warc.gz: the file is empty"), std::string::npos) << s.error;
  EXPECT_NE(s.error.find("; and 20 more WARCs could not be read"), std::string::npos) << s.error;
  EXPECT_LT(s.error.size(), 1000u) << s.error;
  auto records = a->catalog().WarcRecords(s.id);
  auto indexes = a->catalog().WarcIndexes(s.id);
  ASSERT_TRUE(records.ok() && indexes.ok());
  ASSERT_EQ(records->size(), 300u);
  ASSERT_EQ(indexes->size(), 331u);
  std::map<std::string, uint64_t> last_record;
  for (const catalog::WarcRecordRow& r : *records) last_record[r.member] = r.leaf_index;
  for (const catalog::WarcIndexRow& r : *indexes) {
    if (r.member.rfind("archive/w", 0) != 0) continue;
    EXPECT_EQ(r.records, 1u) << r.member;
    EXPECT_GT(r.leaf_index, last_record[r.member]) << r.member;
  }
  EXPECT_TRUE(indexes->back().member.empty());  // the package's, last
}

TEST(WebArchiveImport, WaczValidatedAndItsWarcsIndexed) {
  REQUIRE_TESTDATA();
  TempDir tmp;
  auto a = MakeArchive(tmp.Join("ar"));
  Added added = AddPaths(a.get(), {kWacz + "valid_example_2.wacz", kWacz + "invalid_example_1.wacz",
                                   kWacz + "valid_signed_example_1.wacz"});
  ASSERT_EQ(added.web.size(), 3u);
  ASSERT_EQ(added.files.size(), 3u);
  std::map<std::string, WebArchiveSummary> by_name;
  for (const AddedFile& f : added.files)
    for (const WebArchiveSummary& w : added.web)
      if (w.id == f.id) by_name[f.name] = w;
  const WebArchiveSummary& ok = by_name["valid_example_2.wacz"];
  const WebArchiveSummary& bad = by_name["invalid_example_1.wacz"];
  const WebArchiveSummary& signed_ = by_name["valid_signed_example_1.wacz"];
  EXPECT_EQ(ok.kind, "wacz");
  EXPECT_EQ(ok.result, "valid");
  EXPECT_GE(ok.records, 1u);
  EXPECT_GE(ok.payloads, 1u);
  EXPECT_EQ(ok.signature, "absent");
  EXPECT_EQ(bad.result, "invalid");
  EXPECT_FALSE(bad.problems.empty());
  // Verified (WACZ Auth): an authsign domain signature, timestamped.
  EXPECT_EQ(signed_.signature,
            "valid: signed for btrix-sign-test.webrecorder.net, timestamped 2022-01-18T19:00:12Z");
  auto signed_idx = a->catalog().WarcIndexes(signed_.id);
  ASSERT_TRUE(signed_idx.ok());
  ASSERT_FALSE(signed_idx->empty());
  EXPECT_EQ(signed_idx->back().signature, signed_.signature);
  auto recs = a->catalog().WarcRecords(ok.id);
  ASSERT_TRUE(recs.ok());
  ASSERT_FALSE(recs->empty());
  EXPECT_EQ((*recs)[0].member, "archive/example-collection.warc");
  auto idx = a->catalog().WarcIndexes(ok.id);
  ASSERT_TRUE(idx.ok());
  ASSERT_EQ(idx->size(), 2u);  // the WARC member, then the package
  EXPECT_EQ((*idx)[0].member, "archive/example-collection.warc");
  EXPECT_EQ((*idx)[1].member, "");
  EXPECT_EQ((*idx)[1].result, "valid");
}

// A catalogue row as a clean import and a resumed one must both give it:
// leaf numbers and item ids differ between archives, so the payload is
// named by its bytes.
std::vector<std::string> Rows(const Archive& a, const std::string& id) {
  std::vector<std::string> out;
  auto recs = a.catalog().WarcRecords(id);
  EXPECT_TRUE(recs.ok());
  if (!recs.ok()) return out;
  for (const catalog::WarcRecordRow& r : *recs) {
    std::string payload;
    if (!r.payload.empty()) {
      auto item = a.catalog().Resolve(r.payload);
      EXPECT_TRUE(item.ok());
      if (item.ok()) payload = item->sha256.Hex();
    }
    out.push_back(r.member + "|" + std::to_string(r.offset) + "|" + std::to_string(r.length) + "|" +
                  r.record_id + "|" + r.warc_type + "|" + r.target_uri + "|" + r.warc_date + "|" +
                  r.content_type + "|" + std::to_string(r.http_status) + "|" + r.digest + "|" +
                  r.problem + "|" + payload);
  }
  auto idx = a.catalog().WarcIndexes(id);
  EXPECT_TRUE(idx.ok());
  if (!idx.ok()) return out;
  for (const catalog::WarcIndexRow& r : *idx) {
    std::string problems;
    for (const std::string& p : r.problems) problems += p + ";";
    out.push_back("indexed " + r.member + "|" + r.result + "|" + std::to_string(r.records) + "|" +
                  std::to_string(r.digests_passed) + "|" + std::to_string(r.digests_failed) + "|" +
                  problems + "|" + r.signature + "|" + r.error);
  }
  return out;
}

// An import that dies after K records (the test hook stops it where a crash
// would), then the same file added again: the index resumes after the
// records already in the log, writes none of them twice, and ends as an
// uninterrupted import does.
TEST(WebArchiveImport, InterruptedIndexResumesWithoutDuplicates) {
  REQUIRE_TESTDATA();
  struct Case {
    std::string path;
    uint64_t stop;
  };
  // Five WARCs of two records: a batch spans members, so a stop can leave a
  // member's warc.indexed in the log and the next member's records partly in.
  TempDir made;
  warc::testing::ZipMembers warcs;
  for (int i = 0; i < 5; ++i)
    warcs.emplace_back("archive/w" + std::to_string(i) + ".warc",
                       warc::testing::ResourceWarc(2, 2 * i));
  const std::string five = made.Join("five.wacz");
  ASSERT_TRUE(warc::testing::WriteZip(five, warc::testing::WaczOf(warcs)));
  for (const Case& c :
       {Case{kWarcio + "example.warc.gz", 1}, Case{kWarcio + "example.warc.gz", 3},
        Case{kWarcio + "example-digest.warc", 2}, Case{kWacz + "valid_example_2.wacz", 2},
        Case{five, 2}, Case{five, 3}, Case{five, 6}, Case{five, 9}}) {
    SCOPED_TRACE(c.path + " stopped after " + std::to_string(c.stop));
    TempDir tmp;
    auto clean = MakeArchive(tmp.Join("clean"));
    Added once = AddPaths(clean.get(), {c.path});
    ASSERT_EQ(once.web.size(), 1u);
    const std::vector<std::string> want = Rows(*clean, once.web[0].id);

    auto a = MakeArchive(tmp.Join("crashed"));
    WebArchiveIndexer::StopAfterRecordsForTesting(c.stop);
    Added first;
    AddRequest req;
    req.paths = {c.path};
    req.jobs = 1;
    auto stopped = a->Add(req, first.callbacks());
    WebArchiveIndexer::StopAfterRecordsForTesting(0);
    ASSERT_FALSE(stopped.ok());
    EXPECT_NE(stopped.status().message().find("test hook"), std::string::npos);
    ASSERT_EQ(first.files.size(), 1u);  // the file itself was committed
    const std::string id = first.files[0].id;
    auto partial = a->catalog().WarcRecords(id);
    ASSERT_TRUE(partial.ok());
    EXPECT_EQ(partial->size(), c.stop);
    // Not marked done: no warc.indexed of the whole file.
    auto none = a->catalog().WarcIndexes(id);
    ASSERT_TRUE(none.ok());
    for (const catalog::WarcIndexRow& r : *none) EXPECT_FALSE(r.member.empty());

    // Reopened, as after the crash, and the file added again.
    a.reset();
    auto reopened = Archive::Open(tmp.Join("crashed"), Mode::kWrite, TestOptions());
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    Added again = AddPaths(reopened->get(), {c.path});
    ASSERT_EQ(again.web.size(), 1u);
    EXPECT_EQ(again.web[0].result, once.web[0].result);
    EXPECT_EQ(again.web[0].records, once.web[0].records);
    EXPECT_EQ(again.web[0].payloads, once.web[0].payloads);
    EXPECT_EQ(Rows(**reopened, id), want);

    // A third add indexes nothing; the log verifies.
    Added third = AddPaths(reopened->get(), {c.path});
    EXPECT_TRUE(third.web.empty());
    EXPECT_EQ(Rows(**reopened, id), want);
    auto verify = (*reopened)->Verify("", 1, nullptr);
    ASSERT_TRUE(verify.ok());
    for (const auto& p : verify->problems) ADD_FAILURE() << p.file << ": " << p.what;
  }
}

TEST(WebArchiveImport, IsnadWrittenWarcWithLargeStreamedPayload) {
  TempDir tmp;
  std::string body(3 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>((i * 131) >> 7);
  {
    ASSERT_TRUE(core::CreateDirs(core::Env::Default(), tmp.Join("in")).ok());
    auto f = core::Env::Default()->NewWritableFile(tmp.Join("in/cap.warc.gz"));
    ASSERT_TRUE(f.ok());
    warc::Writer w(f->get(), true);
    std::string head = "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\n\r\n";
    ASSERT_TRUE(w.Write({"response",
                         "https://example.org/v/clip.mp4?x=1",
                         "2026-11-29T16:13:44Z",
                         "application/http;msgtype=response",
                         {}},
                        head + body, head.size())
                    .ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  auto a = MakeArchive(tmp.Join("ar"));
  Added added = AddPaths(a.get(), {tmp.Join("in/cap.warc.gz")});
  ASSERT_EQ(added.web.size(), 1u);
  EXPECT_EQ(added.web[0].result, "valid");
  ASSERT_EQ(added.web[0].payload_ids.size(), 1u);
  auto p = a->catalog().Resolve(added.web[0].payload_ids[0]);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->name, "clip.mp4");
  EXPECT_EQ(p->size_bytes, body.size());
  EXPECT_EQ(p->sha256, core::Sha256Of(body));
}

TEST(WebArchiveImport, ADecompressionBombMakesNoHugeItems) {
  // A few KB of gzip holding megabytes of zeros: the records are indexed, the small
  // payload before it is an item, the bomb's payload is not (a problem says why).
  TempDir tmp;
  WebArchiveIndexer::SetPayloadBudgetFloorForTesting(1 << 20);
  {
    ASSERT_TRUE(core::CreateDirs(core::Env::Default(), tmp.Join("in")).ok());
    auto f = core::Env::Default()->NewWritableFile(tmp.Join("in/bomb.warc.gz"));
    ASSERT_TRUE(f.ok());
    warc::Writer w(f->get(), true);
    ASSERT_TRUE(
        w.Write(
             {"resource", "https://example.org/note.txt", "2026-11-29T16:13:44Z", "text/plain", {}},
             "a small witness statement")
            .ok());
    ASSERT_TRUE(w.Write({"resource",
                         "https://example.org/zeros.bin",
                         "2026-11-29T16:13:45Z",
                         "application/octet-stream",
                         {}},
                        std::string(8 << 20, '\0'))
                    .ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  const uint64_t warc_size = core::Env::Default()->Stat(tmp.Join("in/bomb.warc.gz"))->size_bytes;
  ASSERT_LT(warc_size * WebArchiveIndexer::kPayloadExpansion, uint64_t{8} << 20);
  auto a = MakeArchive(tmp.Join("ar"));
  Added added = AddPaths(a.get(), {tmp.Join("in/bomb.warc.gz")});
  WebArchiveIndexer::SetPayloadBudgetFloorForTesting(uint64_t{1} << 30);
  ASSERT_EQ(added.web.size(), 1u);
  EXPECT_EQ(added.web[0].records, 2u);
  ASSERT_EQ(added.web[0].payload_ids.size(), 1u);
  auto p = a->catalog().Resolve(added.web[0].payload_ids[0]);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->size_bytes, 25u);
  bool said = false;
  for (const std::string& problem : added.web[0].problems) {
    said = said || problem.find("decompression bomb") != std::string::npos;
  }
  EXPECT_TRUE(said);
  EXPECT_EQ(added.web[0].result, "invalid");
  auto left = core::Env::Default()->ListDir(tmp.Join("ar/tmp"));
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty()) << "a spooled payload was left behind";
}

TEST(WebArchiveImport, CliAddShowAndWarcLs) {
  REQUIRE_TESTDATA();
  TempDir tmp;
  std::map<std::string, std::string> env{{"ISNAD_ARCHIVE", tmp.Join("ar")}};
  const std::string isnad = testing::IsnadBinary();
  ASSERT_EQ(testing::RunProcess({isnad, "init"}, env).exit_code, 0);
  auto add = testing::RunProcess({isnad, "add", kWarcio + "example-digest.warc"}, env);
  // Preserved, but the digest failure is said, recorded, and in the exit code.
  EXPECT_EQ(add.exit_code, 10) << add.out << add.err;
  EXPECT_NE(add.out.find("INVALID"), std::string::npos) << add.out;
  EXPECT_NE(add.err.find("WARC-Payload-Digest"), std::string::npos) << add.err;
  auto ok = testing::RunProcess({isnad, "--json", "add", kWarcio + "example.warc"}, env);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  auto lines = testing::JsonLines(ok.out);
  ASSERT_EQ(lines.size(), 2u) << ok.out;
  EXPECT_EQ(lines[1]["result"], "valid");
  const std::string id = lines[0]["id"];
  auto show = testing::RunProcess({isnad, "show", id}, env);
  EXPECT_EQ(show.exit_code, 0);
  EXPECT_NE(show.out.find("web archive VALID: 6 records"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("revisit"), std::string::npos) << show.out;
  auto ls = testing::RunProcess({isnad, "--json", "warc", "ls", id}, env);
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  auto recs = testing::JsonLines(ls.out);
  ASSERT_EQ(recs.size(), 6u);
  EXPECT_EQ(recs[2]["warc_type"], "response");
  const std::string payload = recs[2]["payload"];
  auto pshow = testing::RunProcess({isnad, "show", payload}, env);
  EXPECT_NE(pshow.out.find("payload of  response record"), std::string::npos) << pshow.out;
  auto check = testing::RunProcess(
      {isnad, "warc", "check", kWarcio + "example.warc.gz", kWarcio + "example-digest.warc"});
  EXPECT_EQ(check.exit_code, 10);
  EXPECT_NE(check.out.find("example.warc.gz: valid"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("example-digest.warc: invalid"), std::string::npos) << check.out;
}

}  // namespace
}  // namespace isnad::archive

namespace isnad::catalog {
namespace {

TEST(WebArchiveEntries, AreValidatedStrictly) {
  Actor by{"2026-11-29T16:13:44.000Z", "tester@test"};
  core::Json rec{{"type", "warc.record"},  {"container", "i3"},       {"offset", uint64_t{0}},
                 {"length", uint64_t{10}}, {"warc_type", "response"}, {"digest", "pass"},
                 {"payload", "i7"}};
  auto ok = WebArchiveEntry(by, rec);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  auto parsed = ParseEntry(*ok);
  ASSERT_TRUE(parsed.ok());
  core::Json self = rec;
  self["payload"] = "i3";
  EXPECT_FALSE(WebArchiveEntry(by, self).ok());
  core::Json digest = rec;
  digest["digest"] = "maybe";
  EXPECT_FALSE(WebArchiveEntry(by, digest).ok());
  core::Json unknown = rec;
  unknown["colour"] = "red";
  EXPECT_FALSE(WebArchiveEntry(by, unknown).ok());
  core::Json no_len = rec;
  no_len.erase("length");
  EXPECT_FALSE(WebArchiveEntry(by, no_len).ok());

  core::Json idx{{"type", "warc.indexed"},
                 {"item", "i3"},
                 {"result", "valid"},
                 {"records", uint64_t{6}},
                 {"digests_passed", uint64_t{7}},
                 {"digests_failed", uint64_t{0}}};
  EXPECT_TRUE(WebArchiveEntry(by, idx).ok());
  core::Json unreadable = idx;
  unreadable["result"] = "unreadable";
  EXPECT_FALSE(WebArchiveEntry(by, unreadable).ok());  // needs "error"
  unreadable["error"] = "not a WARC";
  EXPECT_TRUE(WebArchiveEntry(by, unreadable).ok());
  core::Json signature = idx;
  for (const char* ok : {"absent", "valid", "valid: signed for example.org", "invalid: why",
                         "not-checked", "not-checked: root not trusted"}) {
    signature["signature"] = ok;
    EXPECT_TRUE(WebArchiveEntry(by, signature).ok()) << ok;
  }
  for (const char* bad : {"verified", "valid:", "valid:x", "invalid because", ""}) {
    signature["signature"] = bad;
    EXPECT_FALSE(WebArchiveEntry(by, signature).ok()) << bad;
  }
  // Not graph entries.
  EXPECT_FALSE(GraphEntry(by, idx).ok());
}

}  // namespace
}  // namespace isnad::catalog
