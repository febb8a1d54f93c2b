// The WARC reader: conformance over warcio's sample files
// (../shared/testdata/warc-warcio, expectations from its README.md) and round
// trips through the writer.
#include "warc/reader.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/testing/temp_dir.h"
#include "warc/base32.h"
#include "warc/testing_source.h"
#include "warc/writer.h"

namespace isnad::warc {
namespace {

const std::string kDir = std::string(ISNAD_TESTDATA_DIR) + "/warc-warcio/";

#define REQUIRE_TESTDATA()                                     \
  if (!core::Exists(core::Env::Default(), kDir + "README.md")) \
  GTEST_SKIP() << "conformance data warc-warcio absent (" << kDir << ")"

struct Collected {
  std::vector<Record> records;
  std::vector<std::string> payloads;
  core::Status status;  // the error that ended reading, if any
};

class Collect : public PayloadSink {
 public:
  bool Begin(const Record&) override {
    payloads.emplace_back();
    return true;
  }
  core::Status Data(std::string_view b) override {
    payloads.back() += b;
    return core::Status::Ok();
  }
  std::vector<std::string> payloads;
};

Collected ReadFrom(core::SequentialFile* f) {
  Collected c;
  Reader reader(f);
  Collect sink;
  while (true) {
    Record r;
    core::StatusOr<bool> more = reader.Next(&r, &sink);
    if (!more.ok()) {
      c.status = more.status();
      break;
    }
    if (!*more) break;
    c.records.push_back(std::move(r));
  }
  c.payloads = std::move(sink.payloads);
  return c;
}

Collected ReadFile(const std::string& path) {
  auto f = core::Env::Default()->NewSequentialFile(path);
  EXPECT_TRUE(f.ok()) << path;
  if (!f.ok()) return {};
  return ReadFrom(f->get());
}

std::vector<std::string> Types(const Collected& c) {
  std::vector<std::string> t;
  for (const Record& r : c.records) t.push_back(r.type);
  return t;
}

int CountDigest(const Collected& c, DigestResult want) {
  int n = 0;
  for (const Record& r : c.records) {
    n += r.block_digest.result == want;
    n += r.payload_digest.result == want;
  }
  return n;
}

int CountNotOk(const Collected& c) {
  int n = 0;
  for (const Record& r : c.records) n += !r.ok();
  return n;
}

TEST(WarcReaderConformance, ExampleWarcPlainAndGzipAreValid) {
  REQUIRE_TESTDATA();
  for (const char* name : {"example.warc", "example.warc.gz"}) {
    SCOPED_TRACE(name);
    Collected c = ReadFile(kDir + name);
    ASSERT_TRUE(c.status.ok()) << c.status.ToString();
    EXPECT_EQ(Types(c), (std::vector<std::string>{"warcinfo", "warcinfo", "response", "request",
                                                  "revisit", "request"}));
    EXPECT_EQ(CountNotOk(c), 0);
    EXPECT_EQ(CountDigest(c, DigestResult::kFail), 0);
    EXPECT_GE(CountDigest(c, DigestResult::kPass), 2);
    const Record& resp = c.records[2];
    EXPECT_TRUE(resp.http);
    EXPECT_EQ(resp.http_status, 200);
    EXPECT_EQ(resp.target_uri, "http://example.com/");
    // Content-Encoding: gzip is removed from the payload handed on.
    EXPECT_EQ(resp.content_encoding_removed, "gzip");
    EXPECT_NE(c.payloads[2].find("Example Domain"), std::string::npos);
    EXPECT_TRUE(resp.payload_complete);
    // Offsets and lengths tile the file: each record starts where the last ended.
    uint64_t size = core::Env::Default()->Stat(kDir + name)->size_bytes;
    uint64_t at = 0;
    for (const Record& r : c.records) {
      EXPECT_EQ(r.offset, at);
      at += r.length;
    }
    EXPECT_EQ(at, size);
  }
}

TEST(WarcReaderConformance, GzipRecordsCanBeReadFromTheirOffset) {
  REQUIRE_TESTDATA();
  Collected all = ReadFile(kDir + "example.warc.gz");
  ASSERT_EQ(all.records.size(), 6u);
  std::ifstream in(kDir + "example.warc.gz", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  core::testing::TempDir tmp;
  const Record& resp = all.records[2];
  core::testing::WriteTestFile(tmp.Join("one.warc.gz"), bytes.substr(resp.offset, resp.length));
  Collected one = ReadFile(tmp.Join("one.warc.gz"));
  ASSERT_TRUE(one.status.ok()) << one.status.ToString();
  ASSERT_EQ(one.records.size(), 1u);
  EXPECT_EQ(one.records[0].record_id, resp.record_id);
  EXPECT_TRUE(one.records[0].ok());
}

TEST(WarcReaderConformance, ChunkedPayloadDigestsPass) {
  REQUIRE_TESTDATA();
  Collected c = ReadFile(kDir + "example-iana.org-chunked.warc");
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_EQ(Types(c), (std::vector<std::string>{"warcinfo", "response", "request"}));
  EXPECT_EQ(CountNotOk(c), 0);
  EXPECT_EQ(CountDigest(c, DigestResult::kFail), 0);
  EXPECT_TRUE(c.records[1].chunked);
  // The payload handed on has the chunked coding removed.
  EXPECT_EQ(c.payloads[1].rfind("<!doctype html>", 0), 0u);
  EXPECT_NE(c.payloads[1].find("Internet Assigned Numbers Authority"), std::string::npos);
}

TEST(WarcReaderConformance, ResourceWithoutHttpHeaders) {
  REQUIRE_TESTDATA();
  Collected c = ReadFile(kDir + "example-resource.warc.gz");
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_EQ(Types(c), (std::vector<std::string>{"warcinfo", "warcinfo", "resource"}));
  EXPECT_EQ(CountNotOk(c), 0);
  const Record& r = c.records[2];
  EXPECT_FALSE(r.http);
  EXPECT_EQ(c.payloads[2].size(), r.content_length);
  EXPECT_EQ(r.payload_type, r.content_type);
}

TEST(WarcReaderConformance, ExactlyOneWrongPayloadDigestAndBase64Forms) {
  REQUIRE_TESTDATA();
  Collected c = ReadFile(kDir + "example-digest.warc");
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  ASSERT_EQ(Types(c), std::vector<std::string>(4, "request"));
  EXPECT_EQ(CountNotOk(c), 1);
  EXPECT_EQ(c.records[0].payload_digest.result, DigestResult::kFail);
  EXPECT_EQ(c.records[0].block_digest.result, DigestResult::kPass);
  for (int i = 1; i < 4; ++i) {
    SCOPED_TRACE(i);
    EXPECT_TRUE(c.records[i].ok());
    EXPECT_EQ(c.records[i].payload_digest.result, DigestResult::kPass);
  }
  // Records 2 and 3 write their digests in base64 and base64url.
  EXPECT_EQ(c.records[1].payload_digest.field, "sha1:2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
  EXPECT_NE(c.records[3].payload_digest.field.find_first_of("-_"), std::string::npos);
}

TEST(WarcReaderConformance, TruncatedContentLengthIsOneErrorAndFailsDigest) {
  REQUIRE_TESTDATA();
  Collected c = ReadFile(kDir + "example-trunc.warc");
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_EQ(Types(c), (std::vector<std::string>{"warcinfo", "warcinfo", "response", "request"}));
  EXPECT_EQ(CountNotOk(c), 1);
  const Record& r = c.records[2];
  EXPECT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("Content-Length"), std::string::npos);
  EXPECT_EQ(r.block_digest.result, DigestResult::kFail);
}

TEST(WarcReaderConformance, BadFileFailsToLoad) {
  REQUIRE_TESTDATA();
  Collected c = ReadFile(kDir + "example-bad.warc.gz.bad");
  EXPECT_FALSE(c.status.ok());
  EXPECT_EQ(c.status.code(), core::Code::kIntegrity);
}

TEST(WarcReaderConformance, WholeFileGzipIsRefused) {
  REQUIRE_TESTDATA();
  Collected c = ReadFile(kDir + "example-bad-non-chunked.warc.gz");
  ASSERT_FALSE(c.status.ok());
  EXPECT_EQ(c.status.code(), core::Code::kIntegrity);
  EXPECT_NE(c.status.message().find("one gzip member"), std::string::npos) << c.status.ToString();
}

TEST(WarcReaderConformance, WronglyChunkedGzipIsReported) {
  REQUIRE_TESTDATA();
  Collected c = ReadFile(kDir + "example-wrong-chunks.warc.gz");
  bool reported = !c.status.ok();
  for (const Record& r : c.records) reported |= !r.ok();
  EXPECT_TRUE(reported);
  std::string all;
  for (const Record& r : c.records)
    for (const std::string& p : r.problems) all += p + "\n";
  EXPECT_NE(all.find("gzip member"), std::string::npos) << all << c.status.ToString();
}

TEST(WarcReaderConformance, WgetTargetUriInAngleBracketsIsUnwrapped) {
  REQUIRE_TESTDATA();
  Collected c = ReadFile(kDir + "example-wget-bad-target-uri.warc.gz");
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  int responses = 0;
  for (const Record& r : c.records) {
    if (r.type != "response") continue;
    ++responses;
    EXPECT_EQ(r.target_uri, "http://example.com/");
  }
  EXPECT_EQ(responses, 1);
}

TEST(WarcReaderConformance, SpaceInTargetUriIsEscaped) {
  REQUIRE_TESTDATA();
  Collected c = ReadFile(kDir + "example-space-in-target-uri.warc.gz");
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1].type, "resource");
  EXPECT_EQ(c.records[1].target_uri, "file:///example%20with%20spaces.png");
  // Its block digest is written in base16.
  EXPECT_EQ(c.records[1].block_digest.result, DigestResult::kPass);
}

TEST(WarcReaderConformance, PostBodiesAreValid) {
  REQUIRE_TESTDATA();
  Collected c = ReadFile(kDir + "post-test.warc.gz");
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_GE(c.records.size(), 2u);
  EXPECT_EQ(CountNotOk(c), 0);
  bool post = false;
  for (const Record& r : c.records) post |= r.http_start_line.rfind("POST ", 0) == 0;
  EXPECT_TRUE(post);
}

TEST(WarcReaderConformance, ArcFilesAreRefusedClearly) {
  REQUIRE_TESTDATA();
  for (const char* name :
       {"example.arc", "example.arc.gz", "example-space-in-url.arc", "bad.arc"}) {
    SCOPED_TRACE(name);
    Collected c = ReadFile(kDir + name);
    ASSERT_FALSE(c.status.ok());
    EXPECT_NE(c.status.message().find("ARC"), std::string::npos) << c.status.ToString();
    EXPECT_TRUE(c.records.empty());
  }
}

// ---- Round trips through the writer ---------------------------------------

class StringFile : public core::WritableFile {
 public:
  core::Status Append(std::string_view d) override {
    data += d;
    return core::Status::Ok();
  }
  core::Status Sync() override { return core::Status::Ok(); }
  core::Status Close() override { return core::Status::Ok(); }
  std::string data;
};

using testing::StringSource;

TEST(WarcReaderRoundTrip, WriterOutputReadsBackWithEveryDigestPassing) {
  for (bool gzip : {false, true}) {
    SCOPED_TRACE(gzip);
    StringFile out;
    Writer w(&out, gzip);
    ASSERT_TRUE(w.Write({"warcinfo", "", "2026-11-29T16:13:44Z", "application/warc-fields", {}},
                        "software: isnad\r\n")
                    .ok());
    std::string body(300000, '\0');
    for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7 % 251);
    std::string http = "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n" + body;
    auto id = w.Write({"response",
                       "https://example.org/a b.png",
                       "2026-11-29T16:13:45Z",
                       "application/http;msgtype=response",
                       {}},
                      http, http.size() - body.size());
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE(
        w.Write({"resource", "file:///note.txt", "2026-11-29T16:13:46Z", "text/plain", {}}, "")
            .ok());
    // Read in small steps so that records straddle every buffer boundary.
    StringSource src(out.data, 977);
    Collected c = ReadFrom(&src);
    ASSERT_TRUE(c.status.ok()) << c.status.ToString();
    ASSERT_EQ(c.records.size(), 3u);
    EXPECT_EQ(CountNotOk(c), 0);
    EXPECT_EQ(CountDigest(c, DigestResult::kPass), 4);  // resource: block only
    EXPECT_EQ(c.records[1].record_id, *id);
    EXPECT_EQ(c.records[1].version, "WARC/1.1");
    EXPECT_EQ(c.records[1].payload_type, "image/png");
    EXPECT_EQ(c.payloads[1], body);
    EXPECT_EQ(c.records[1].target_uri, "https://example.org/a%20b.png");
    uint64_t at = 0;
    for (const Record& r : c.records) {
      EXPECT_EQ(r.offset, at);
      at += r.length;
    }
    EXPECT_EQ(at, out.data.size());
  }
}

TEST(WarcReaderRoundTrip, AlteredBlockFailsItsDigest) {
  StringFile out;
  Writer w(&out, false);
  std::string http = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nthe original words";
  ASSERT_TRUE(w.Write({"response",
                       "http://x/",
                       "2026-11-29T16:13:45Z",
                       "application/http;msgtype=response",
                       {}},
                      http, http.size() - 18)
                  .ok());
  std::string tampered = out.data;
  tampered.replace(tampered.find("original"), 8, "ORIGINAL");
  StringSource src(tampered);
  Collected c = ReadFrom(&src);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].block_digest.result, DigestResult::kFail);
  EXPECT_EQ(c.records[0].payload_digest.result, DigestResult::kFail);
  EXPECT_FALSE(c.records[0].ok());
}

// A payload of many megabytes has its digest computed on a second thread
// beside the block's: the verdicts are those of one thread, each digest
// judged on its own.
TEST(WarcReaderRoundTrip, LargeRecordDigestsAreEachChecked) {
  std::string body(20u << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 31 % 253);
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\n\r\n";
  StringFile out;
  Writer w(&out, false);
  ASSERT_TRUE(w.Write({"response",
                       "https://example.org/v.mp4",
                       "2026-11-29T16:13:45Z",
                       "application/http;msgtype=response",
                       {}},
                      head + body, head.size())
                  .ok());
  const size_t body_at = out.data.find(head) + head.size();
  auto read = [](std::string bytes) {
    StringSource src(std::move(bytes), 977 * 64);
    return ReadFrom(&src);
  };

  Collected good = read(out.data);
  ASSERT_TRUE(good.status.ok()) << good.status.ToString();
  ASSERT_EQ(good.records.size(), 1u);
  EXPECT_EQ(good.records[0].block_digest.result, DigestResult::kPass);
  EXPECT_EQ(good.records[0].payload_digest.result, DigestResult::kPass);
  EXPECT_EQ(good.records[0].payload_digest.computed, good.records[0].payload_digest.field);
  EXPECT_EQ(good.payloads[0], body);

  // One byte changed in the payload, near its end: both digests fail.
  std::string late = out.data;
  late[body_at + body.size() - 5] ^= 1;
  Collected c = read(late);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].block_digest.result, DigestResult::kFail);
  EXPECT_EQ(c.records[0].payload_digest.result, DigestResult::kFail);

  // A byte changed in the HTTP headers: the block fails, the payload passes.
  std::string in_head = out.data;
  in_head[in_head.find("video/mp4")] = 'V';
  c = read(in_head);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].block_digest.result, DigestResult::kFail);
  EXPECT_EQ(c.records[0].payload_digest.result, DigestResult::kPass);

  // Cut short in the middle of the payload: reported, both digests fail, no hang.
  c = read(out.data.substr(0, body_at + body.size() / 2));
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].block_digest.result, DigestResult::kFail);
  EXPECT_EQ(c.records[0].payload_digest.result, DigestResult::kFail);
  EXPECT_FALSE(c.records[0].problems.empty());
}

TEST(WarcReaderRoundTrip, TruncatedFileIsReportedNotHung) {
  StringFile out;
  Writer w(&out, true);
  ASSERT_TRUE(w.Write({"resource", "file:///a", "2026-11-29T16:13:45Z", "text/plain", {}},
                      std::string(10000, 'a'))
                  .ok());
  for (size_t cut : {size_t{10}, out.data.size() / 2, out.data.size() - 3}) {
    StringSource src(out.data.substr(0, cut));
    Collected c = ReadFrom(&src);
    bool reported = !c.status.ok();
    for (const Record& r : c.records) reported |= !r.ok();
    EXPECT_TRUE(reported) << cut;
  }
  StringFile plain;
  Writer pw(&plain, false);
  ASSERT_TRUE(pw.Write({"resource", "file:///a", "2026-11-29T16:13:45Z", "text/plain", {}},
                       std::string(10000, 'a'))
                  .ok());
  StringSource src(plain.data.substr(0, 5000));
  Collected c = ReadFrom(&src);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_FALSE(c.records[0].ok());
  EXPECT_NE(c.records[0].problems[0].find("truncated"), std::string::npos);
}

TEST(WarcReader, DigestFormsAndAlgorithms) {
  std::string raw = *Base32Decode("B2LTWWPUOYAH7UIPQ7ZUPQ4VMBSVC36A");
  EXPECT_TRUE(DigestMatches("sha1:B2LTWWPUOYAH7UIPQ7ZUPQ4VMBSVC36A", raw));
  EXPECT_TRUE(DigestMatches("sha1:b2ltwwpuoyah7uipq7zupq4vmbsvc36a", raw));
  EXPECT_FALSE(DigestMatches("sha1:B2LTWWPUOYAH7UIPQ7ZUPQ4VMBSVC36B", raw));
  EXPECT_FALSE(DigestMatches("B2LTWWPUOYAH7UIPQ7ZUPQ4VMBSVC36A", raw));
  EXPECT_NE(Digester::ForField("md5:x"), nullptr);
  EXPECT_NE(Digester::ForField("SHA-256:x"), nullptr);
  EXPECT_NE(Digester::ForField("sha512:x"), nullptr);
  EXPECT_EQ(Digester::ForField("xxx:abc"), nullptr);
  EXPECT_EQ(Digester::ForField("nocolon"), nullptr);
}

TEST(WarcReader, NotAWarcSaysSo) {
  StringSource src("<html>hello</html>\n");
  Collected c = ReadFrom(&src);
  ASSERT_FALSE(c.status.ok());
  EXPECT_NE(c.status.message().find("not a WARC record"), std::string::npos);
  StringSource empty("");
  EXPECT_FALSE(ReadFrom(&empty).status.ok());
}

// ---- Review round 2: edge cases of digests, schemes and lengths ----------

// One WARC/1.1 record with the given named fields (Content-Length added).
constexpr const char* kIdAndDate =
    "WARC-Record-ID: <urn:uuid:5c4d9a4e-2f4b-4c6e-9a57-0d1e2f3a4b5c>\r\n"
    "WARC-Date: 2013-08-21T02:45:00Z\r\n";

// A record with `fields` (its WARC-Type among them), the other fields every
// record must have, and `block`.
std::string RawRecord(const std::string& fields, const std::string& block) {
  return "WARC/1.1\r\n" + fields + kIdAndDate + "Content-Length: " + std::to_string(block.size()) +
         "\r\n\r\n" + block + "\r\n\r\n";
}

std::string Hex(std::string_view raw) {
  static const char* k = "0123456789abcdef";
  std::string h;
  for (unsigned char c : raw) {
    h += k[c >> 4];
    h += k[c & 15];
  }
  return h;
}

std::string RawDigest(const char* algo, std::string_view data) {
  auto d = Digester::ForField(std::string(algo) + ":x");
  d->Update(data);
  return d->FinishRaw();
}

// md5 in base16 is 32 characters, as long as md5 in padded base32: the value
// must be read as hex when it is not base32, not fail.
TEST(WarcReader, Md5HexDigestIsReadAsHex) {
  const std::string block = "hello, world\n";
  const std::string raw = RawDigest("md5", block);
  EXPECT_TRUE(DigestMatches("md5:" + Hex(raw), raw));
  EXPECT_TRUE(DigestMatches("md5:" + Base32Encode(raw), raw));
  EXPECT_FALSE(DigestMatches("md5:" + Hex(RawDigest("md5", "other")), raw));
  StringSource src(
      RawRecord("WARC-Type: resource\r\nWARC-Target-URI: file:///a.txt\r\n"
                "WARC-Block-Digest: md5:" +
                    Hex(raw) + "\r\n",
                block));
  Collected c = ReadFrom(&src);
  ASSERT_TRUE(c.status.ok()) << c.status.message();
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].block_digest.result, DigestResult::kPass);
}

// RFC 3986 3.1: schemes are case-insensitive. "HTTP://" holds an HTTP message
// as "http://" does; its payload starts after the HTTP headers.
TEST(WarcReader, UpperCaseHttpSchemeIsHttp) {
  const std::string body = "<html>hi</html>";
  const std::string http = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + body;
  StringSource src(
      RawRecord("WARC-Type: response\r\nWARC-Target-URI: HTTP://EXAMPLE.ORG/\r\n"
                "WARC-Payload-Digest: sha1:" +
                    Base32Encode(RawDigest("sha1", body)) + "\r\n",
                http));
  Collected c = ReadFrom(&src);
  ASSERT_TRUE(c.status.ok()) << c.status.message();
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_TRUE(c.records[0].http);
  EXPECT_EQ(c.records[0].http_status, 200);
  EXPECT_EQ(c.records[0].payload_digest.result, DigestResult::kPass);
  ASSERT_EQ(c.payloads.size(), 1u);
  EXPECT_EQ(c.payloads[0], body);
}

// A Content-Length of 10^18 (or more than fits) on a short file: reported as
// truncated or invalid, at once, not read for ever.
TEST(WarcReader, HugeOrOverflowingContentLengthIsReported) {
  StringSource huge(std::string("WARC/1.1\r\nWARC-Type: resource\r\n") + kIdAndDate +
                    "Content-Length: 1000000000000000000\r\n\r\nabc");
  Collected c = ReadFrom(&huge);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_NE(c.records[0].problems.at(0).find("truncated"), std::string::npos);
  for (const char* cl : {"18446744073709551616", "99999999999999999999", "-1", "0x10", "1e3"}) {
    SCOPED_TRACE(cl);
    StringSource src(std::string("WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: ") + cl +
                     "\r\n\r\nabc\r\n\r\n");
    Collected d = ReadFrom(&src);
    EXPECT_FALSE(d.status.ok());
    EXPECT_NE(d.status.message().find("invalid Content-Length"), std::string::npos);
  }
}

// A record without one of the fields WARC 1.1 makes mandatory is still read
// (its block digest checked, the next record found), with the field named as
// its problem.
TEST(WarcReader, AMissingMandatoryFieldIsNamed) {
  const std::string block = "a resource";
  const std::string digest =
      "WARC-Block-Digest: sha1:" + Base32Encode(RawDigest("sha1", block)) + "\r\n";
  const std::string whole = RawRecord("WARC-Type: resource\r\n" + digest, block);
  for (const char* field : {"WARC-Record-ID", "WARC-Date", "WARC-Type"}) {
    SCOPED_TRACE(field);
    std::string cut = whole;
    size_t at = cut.find(std::string(field) + ":");
    ASSERT_NE(at, std::string::npos);
    cut.erase(at, cut.find("\r\n", at) + 2 - at);
    StringSource src(cut + whole);
    Collected c = ReadFrom(&src);
    ASSERT_TRUE(c.status.ok()) << c.status.message();
    ASSERT_EQ(c.records.size(), 2u);
    ASSERT_EQ(c.records[0].problems.size(), 1u);
    EXPECT_NE(c.records[0].problems[0].find(std::string("no ") + field), std::string::npos)
        << c.records[0].problems[0];
    EXPECT_EQ(c.records[0].block_digest.result, DigestResult::kPass);
    EXPECT_TRUE(c.records[1].problems.empty()) << c.records[1].problems[0];
  }
}

// An HTTP head line over 1 MiB (the limit on what is parsed as headers) is
// still hashed whole: the block digest of an intact record passes.
TEST(WarcReader, HttpLineOverOneMibIsHashedWhole) {
  const std::string http =
      "HTTP/1.1 200 OK\r\nX-Big: " + std::string(size_t{3} << 20, 'a') + "\r\n\r\nbody";
  StringSource src(RawRecord("WARC-Type: response\r\nWARC-Target-URI: http://example.org/\r\n"
                             "WARC-Block-Digest: sha1:" +
                                 Base32Encode(RawDigest("sha1", http)) + "\r\n",
                             http),
                   70000);
  Collected c = ReadFrom(&src);
  ASSERT_TRUE(c.status.ok()) << c.status.message();
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].block_digest.result, DigestResult::kPass)
      << c.records[0].block_digest.computed;
  ASSERT_FALSE(c.records[0].problems.empty());
  EXPECT_NE(c.records[0].problems[0].find("over 1 MiB"), std::string::npos);
}

// A damaged gzip member (bad deflate data, a wrong CRC, cut short, bytes that
// are not gzip where a member should start) is the problem of the record it
// cut short, or of the record before it, and reading goes on at the next
// member that starts a record: whatever the damage, wherever it lies, however
// the file is read in chunks.
TEST(WarcReader, ADamagedGzipMemberIsReportedAndReadingGoesOnAtTheNextRecord) {
  // Record i as one gzip member; record 5's block is 60,000 bytes that do not
  // compress well, so that damage in its middle is found inside its block.
  auto member = [](int i) {
    std::string block(2000, static_cast<char>('a' + i));
    if (i == 5) {
      block.clear();
      for (uint32_t x = 7; block.size() < 60000;) {
        x = x * 1103515245 + 12345;
        block += static_cast<char>('a' + (x >> 16) % 26);
      }
    }
    StringFile out;
    Writer w(&out, /*gzip=*/true);
    EXPECT_TRUE(w.Write({"resource",
                         "file:///f" + std::to_string(i),
                         "2026-11-29T16:13:44Z",
                         "text/plain",
                         {}},
                        block)
                    .ok());
    return std::make_pair(out.data, block);
  };
  std::vector<std::string> m, blocks;
  for (int i = 0; i < 6; ++i) {
    auto [bytes, block] = member(i);
    m.push_back(bytes);
    blocks.push_back(block);
  }
  // The first deflate block given the reserved type 11 (RFC 1951 3.2.3): invalid
  // whatever the bytes after it. A plain gzip header is 10 bytes.
  auto bad_data = [](std::string x) {
    EXPECT_EQ(x[3], 0) << "the member's gzip header has optional fields";
    x[10] = static_cast<char>(x[10] | 0x06);
    return x;
  };
  std::string bad_crc = m[2];
  bad_crc[bad_crc.size() - 6] = static_cast<char>(bad_crc[bad_crc.size() - 6] ^ 0xff);
  std::string mid_block = m[5];
  mid_block[mid_block.size() / 2] = static_cast<char>(mid_block[mid_block.size() / 2] ^ 0x5a);
  const std::string garbage = "this is not gzip data\r\n";
  const std::string cut = m[2].substr(0, 30);
  // Record 2 as a gzip member whose data is whole up to `k` bytes of the
  // record, then a deflate block of the reserved type: invalid right there.
  StringFile plain;
  ASSERT_TRUE(
      Writer(&plain, /*gzip=*/false)
          .Write({"resource", "file:///f2", "2026-11-29T16:13:44Z", "text/plain", {}}, blocks[2])
          .ok());
  auto broken_at = [&](size_t k) {
    z_stream zs{};
    EXPECT_EQ(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY),
              Z_OK);
    std::string out(deflateBound(&zs, k) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(plain.data.data());
    zs.avail_in = static_cast<uInt>(k);
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&zs, Z_FULL_FLUSH), Z_OK);  // byte-aligned after it
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out + "\x07" + std::string(40, 'x');  // BFINAL 1, BTYPE 11
  };
  const size_t in_header = plain.data.find("\r\n", plain.data.find("WARC-Target-URI")) + 9;
  const std::string in_block = broken_at(plain.data.size() - 500);
  const std::string in_head = broken_at(in_header);
  // Record 5 as one gzip member of stored (uncompressed) deflate blocks, cut
  // short after 1,000 bytes: inflating runs on into the members after it as
  // its stored bytes, to the end of the file, without an error.
  StringFile plain5;
  ASSERT_TRUE(
      Writer(&plain5, /*gzip=*/false)
          .Write({"resource", "file:///f5", "2026-11-29T16:13:44Z", "text/plain", {}}, blocks[5])
          .ok());
  std::string stored_cut;
  {
    z_stream zs{};
    ASSERT_EQ(deflateInit2(&zs, Z_NO_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    stored_cut.resize(deflateBound(&zs, plain5.data.size()));
    zs.next_in = reinterpret_cast<Bytef*>(plain5.data.data());
    zs.avail_in = static_cast<uInt>(plain5.data.size());
    zs.next_out = reinterpret_cast<Bytef*>(stored_cut.data());
    zs.avail_out = static_cast<uInt>(stored_cut.size());
    ASSERT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
    deflateEnd(&zs);
    stored_cut.resize(1000);
  }
  // Bytes that start like gzip members with a file name but are none, then a
  // member with a file name (FLG.FNAME, RFC 1952 2.3.1).
  std::string fakes;
  for (int i = 0; i < 20000; ++i) fakes += "\x1f\x8b\x08\x08";
  fakes += std::string(1, '\0') + "not deflate data";
  std::string named = m[3];
  named[3] = 0x08;
  named.insert(10, std::string("r3.warc", 8));  // with its terminating zero

  struct Case {
    const char* name;
    std::vector<std::string> parts;
    std::vector<int> read;  // the records read, in order
    int blamed;             // the record with the problem
    bool own;               // the damage is that record's (no payload item)
    size_t damaged;         // the part that is damaged
    size_t resumed;         // the part where reading goes on (none: the parts' count)
    std::vector<const char*> says;
  };
  const std::vector<Case> cases = {
      {"invalid deflate data",
       {m[0], m[1], bad_data(m[2]), m[3], m[4]},
       {0, 1, 3, 4},
       1,
       false,
       2,
       3,
       {"the gzip data after it is damaged: invalid gzip data in the member that starts at byte",
        "invalid block type", "reading went on at the next WARC record"}},
      {"a wrong CRC",
       {m[0], m[1], bad_crc, m[3], m[4]},
       {0, 1, 2, 3, 4},
       2,
       true,
       2,
       3,
       {"its gzip data is damaged", "incorrect data check"}},
      {"damage in the middle of a block",
       {m[0], m[1], mid_block, m[3], m[4]},
       {0, 1, 5, 3, 4},
       5,
       true,
       2,
       3,
       {"its gzip data is damaged: invalid gzip data in the member"}},
      {"damage inside a block",
       {m[0], m[1], in_block, m[3], m[4]},
       {0, 1, 2, 3, 4},
       2,
       true,
       2,
       3,
       {"its gzip data is damaged: invalid gzip data in the member", "invalid block type"}},
      {"damage inside a header",
       {m[0], m[1], in_head, m[3], m[4]},
       {0, 1, 2, 3, 4},
       2,
       true,
       2,
       3,
       {"its gzip data is damaged: invalid gzip data in the member", "invalid block type"}},
      {"a member cut short",
       {m[0], m[1], cut, m[3], m[4]},
       {0, 1, 3, 4},
       1,
       false,
       2,
       3,
       {"the gzip data after it is damaged"}},
      {"bytes that are not gzip",
       {m[0], m[1], garbage, m[3], m[4]},
       {0, 1, 3, 4},
       1,
       false,
       2,
       3,
       {"are not gzip data", "23 bytes skipped"}},
      {"two damaged members in a row",
       {m[0], m[1], bad_data(m[2]), bad_data(m[3]), m[4]},
       {0, 1, 4},
       1,
       false,
       2,
       4,
       {"reading went on at the next WARC record"}},
      {"the first member",
       {bad_data(m[0]), m[1], m[2]},
       {1, 2},
       1,
       false,
       0,
       1,
       {"the gzip data before this record is damaged", "reading went on at this record"}},
      {"the last member",
       {m[0], m[1], bad_data(m[2])},
       {0, 1},
       1,
       false,
       2,
       3,
       {"no WARC record follows, to the end of the file"}},
      {"a member cut short, the members after it read as its data",
       {m[0], m[1], stored_cut, m[3], m[4]},
       {0, 1, 5, 3, 4},
       5,
       true,
       2,
       3,
       {"its gzip data is damaged: the gzip member that starts at byte",
        "is cut short: its data runs on to the end of the file",
        "reading went on at the next WARC record"}},
      {"bytes like gzip headers, then a member with a file name",
       {m[0], m[1], bad_data(m[2]), fakes, named, m[4]},
       {0, 1, 3, 4},
       1,
       false,
       2,
       4,
       {"reading went on at the next WARC record"}},
      {"the file cut short",
       {m[0], m[1], cut},
       {0, 1},
       1,
       false,
       2,
       3,
       {"the gzip data ends inside the member that starts at byte", "the file is truncated"}},
  };
  for (const Case& k : cases) {
    for (size_t step : {size_t{100}, size_t{64} << 10}) {
      SCOPED_TRACE(std::string(k.name) + ", read " + std::to_string(step) + " bytes at a time");
      std::string file;
      std::vector<uint64_t> at;  // each part's offset
      for (const std::string& part : k.parts) {
        at.push_back(file.size());
        file += part;
      }
      StringSource src(file, step);
      Collected c = ReadFrom(&src);
      ASSERT_TRUE(c.status.ok()) << c.status.message();
      std::vector<int> read;
      for (const Record& r : c.records)
        read.push_back(r.target_uri.empty() ? -1 : r.target_uri.back() - '0');
      ASSERT_EQ(read, k.read);
      for (size_t i = 0; i < c.records.size(); ++i) {
        const Record& r = c.records[i];
        const int n = k.read[i];
        if (n != k.blamed) {
          EXPECT_TRUE(r.ok()) << n << ": " << (r.problems.empty() ? "" : r.problems[0]);
          EXPECT_TRUE(r.payload_complete) << n;
          continue;
        }
        std::string all;
        for (const std::string& p : r.problems) all += p + "\n";
        for (const char* says : k.says) EXPECT_NE(all.find(says), std::string::npos) << all;
        // Where the damage is, and where reading went on (or that it did not).
        EXPECT_NE(all.find("byte " + std::to_string(at[k.damaged])), std::string::npos) << all;
        if (k.resumed < at.size()) {
          EXPECT_NE(all.find("at the gzip member at byte " + std::to_string(at[k.resumed]) + " (" +
                             std::to_string(at[k.resumed] - at[k.damaged]) + " bytes skipped)"),
                    std::string::npos)
              << all;
        }
        EXPECT_EQ(r.payload_complete, !k.own) << all;
        if (k.parts[k.damaged] == in_head) {  // returned with the fields read whole
          EXPECT_EQ(r.type, "resource");
          EXPECT_EQ(r.Get("WARC-Block-Digest"), nullptr);
          EXPECT_EQ(r.content_length, 0u);
        }
        // Offsets and lengths still name each record's own members.
        if (k.own) {
          EXPECT_EQ(r.offset, at[k.damaged]);
          EXPECT_EQ(r.length, at[k.resumed] - at[k.damaged]);
        } else if (k.damaged > 0) {
          EXPECT_EQ(r.offset + r.length, at[k.damaged]) << all;
        }
      }
      // Every whole record's payload.
      for (int n : k.read) {
        if (n == k.blamed && k.own) continue;
        EXPECT_NE(std::find(c.payloads.begin(), c.payloads.end(), blocks[n]), c.payloads.end())
            << n;
      }
    }
  }
  // Nothing but damage: the error says what and where.
  StringSource only(bad_data(m[0]));
  Collected c = ReadFrom(&only);
  EXPECT_FALSE(c.status.ok());
  EXPECT_NE(c.status.message().find("invalid gzip data in the member that starts at byte 0"),
            std::string::npos)
      << c.status.message();
}

// A Content-Length too large takes in the start of the next record, one too
// small leaves the end of the block behind, and bytes that are no record can
// lie between records. Each is the problem of the record before, whose length
// covers the bytes skipped, and reading goes on at the next record: plain or
// gzip, however the file is read in chunks.
TEST(WarcReader, AWrongContentLengthIsReportedAndReadingGoesOnAtTheNextRecord) {
  std::vector<std::string> blocks, records;
  // Record i with `block`, its digest over `digested`, and `length` as its Content-Length.
  auto record = [](int i, const std::string& block, const std::string& digested, size_t length) {
    std::string r = RawRecord(
        "WARC-Type: resource\r\nWARC-Target-URI: file:///f" + std::to_string(i) +
            "\r\nWARC-Block-Digest: sha1:" + Base32Encode(RawDigest("sha1", digested)) + "\r\n",
        block);
    std::string cl = "Content-Length: " + std::to_string(block.size());
    return r.replace(r.find(cl), cl.size(), "Content-Length: " + std::to_string(length));
  };
  for (int i = 0; i < 4; ++i) {
    std::string block;
    for (int line = 0; line < 40; ++line)
      block += "record " + std::to_string(i) + ", line " + std::to_string(line) + "\n";
    blocks.push_back(block);
    records.push_back(record(i, block, block, block.size()));
  }
  auto with_length = [&](int delta) {
    return record(1, blocks[1], blocks[1], size_t(int(blocks[1].size()) + delta));
  };
  // A payload whose last lines read like a record, cut short by its Content-Length.
  std::string like_a_record =
      blocks[1] + "WARC/1.0\r\nWARC-Type: resource\r\n\r\nnot a record\n" + std::string(60, '.');
  // The line left behind by a Content-Length too small is all spaces at first.
  std::string spaces = blocks[1] + std::string(70, ' ') + "tail\n";
  const std::vector<std::string> all = {"file:///f0", "file:///f1", "file:///f2", "file:///f3"};
  const std::vector<std::string> lost_f2 = {"file:///f0", "file:///f1", "file:///f3"};
  struct Case {
    const char* name;
    std::string second;  // record 1 as written, and what follows it
    std::vector<std::string> read;
    const char* problem;
    bool block_fails;
    bool payload_kept;
    const char* not_said = nullptr;  // what the problem must not say
  };
  const std::vector<Case> cases = {
      {"too large: the next record's start is taken in", with_length(100), lost_f2,
       "is too large, it took in the start of the record after it", true, false},
      {"too large: the block ends just before a line end", with_length(12), lost_f2,
       "is too large, it took in the start of the record after it", true, false},
      {"too large by its trailer", with_length(4), all, "is not the length of its block", true,
       false, "which is lost"},
      {"too small by several lines", with_length(-100), all,
       "100 bytes were skipped; reading went on at the next WARC record", true, false},
      {"too small, leaving a line of spaces", record(1, spaces, blocks[1], blocks[1].size()), all,
       "is not the length of its block", false, false},
      {"too small, leaving lines that read like a record (no Content-Length; in gzip not at a "
       "member start)",
       record(1, like_a_record, blocks[1], blocks[1].size()), all,
       "bytes were skipped; reading went on at the next WARC record", false, false},
      {"no record between records", records[1] + "not a record\r\n\r\nnor this\r\n", all,
       "bytes that are not a WARC record follow it", false, true},
  };
  for (const Case& k : cases) {
    for (bool gzip : {false, true}) {
      for (size_t step : {size_t{7}, size_t{1} << 16}) {
        SCOPED_TRACE(std::string(k.name) + (gzip ? ", gzip" : ", plain") + ", step " +
                     std::to_string(step));
        std::vector<std::string> parts = {records[0], k.second, records[2], records[3]};
        std::string file;
        for (const std::string& part : parts) file += gzip ? testing::Compressed(part, true) : part;
        StringSource src(file, step);
        Collected c = ReadFrom(&src);
        ASSERT_TRUE(c.status.ok()) << c.status.ToString();
        std::vector<std::string> uris;
        for (const Record& r : c.records) uris.push_back(r.target_uri);
        ASSERT_EQ(uris, k.read);
        std::string problems;
        for (const std::string& p : c.records[1].problems) problems += p + "\n";
        EXPECT_NE(problems.find(k.problem), std::string::npos) << problems;
        if (k.not_said) {
          EXPECT_EQ(problems.find(k.not_said), std::string::npos) << problems;
        }
        EXPECT_EQ(c.records[1].block_digest.result,
                  k.block_fails ? DigestResult::kFail : DigestResult::kPass);
        EXPECT_EQ(c.records[1].payload_complete, k.payload_kept);
        uint64_t covered = 0;
        for (size_t i = 0; i < c.records.size(); ++i) {
          if (i != 1) {
            EXPECT_TRUE(c.records[i].ok()) << i << ": " << c.records[i].problems.size();
          }
          EXPECT_EQ(c.records[i].offset, covered) << i;
          covered += c.records[i].length;
        }
        EXPECT_EQ(covered, file.size()) << "the records tile the file";
        EXPECT_EQ(c.payloads.back(), blocks[3]);
      }
    }
  }
  // Bytes that are no record after the last one: its problem, not an error.
  StringSource trailing(records[0] + "trailing bytes\r\n");
  Collected t = ReadFrom(&trailing);
  ASSERT_TRUE(t.status.ok()) << t.status.ToString();
  ASSERT_EQ(t.records.size(), 1u);
  ASSERT_EQ(t.records[0].problems.size(), 1u);
  EXPECT_NE(t.records[0].problems[0].find("no WARC record follows"), std::string::npos)
      << t.records[0].problems[0];
  EXPECT_EQ(t.records[0].block_digest.result, DigestResult::kPass);
}

}  // namespace
}  // namespace isnad::warc
