// The WARC writer: record layout, digests, gzip members, streamed bodies.
#include "warc/writer.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <map>

#include "core/digest.h"
#include "core/testing/temp_dir.h"
#include "warc/base32.h"
#include "warc/testing_source.h"

namespace isnad::warc {
namespace {

// A WritableFile into a string.
class StringFile : public core::WritableFile {
 public:
  core::Status Append(std::string_view d) override {
    data += d;
    return core::Status::Ok();
  }
  core::Status Sync() override { return core::Status::Ok(); }
  core::Status WriteAt(uint64_t offset, std::string_view d) override {
    if (offset + d.size() > data.size()) return core::InvalidArgument("past the end");
    data.replace(offset, d.size(), d);
    return core::Status::Ok();
  }
  core::Status Close() override { return core::Status::Ok(); }
  std::string data;
};

using testing::StringSource;

// Inflates every gzip member of `gz`; returns the members' contents.
std::vector<std::string> Gunzip(const std::string& gz) {
  std::vector<std::string> members;
  size_t pos = 0;
  while (pos < gz.size()) {
    z_stream zs{};
    EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data() + pos));
    zs.avail_in = static_cast<uInt>(gz.size() - pos);
    std::string out;
    char buf[4096];
    int rc;
    do {
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof buf;
      rc = inflate(&zs, Z_NO_FLUSH);
      out.append(buf, sizeof buf - zs.avail_out);
    } while (rc == Z_OK);
    EXPECT_EQ(rc, Z_STREAM_END);
    pos = gz.size() - zs.avail_in;
    inflateEnd(&zs);
    members.push_back(out);
    if (rc != Z_STREAM_END) break;
  }
  return members;
}

struct Parsed {
  std::string version;
  std::map<std::string, std::string> fields;
  std::string block;
  std::string trailer;
};

Parsed Parse(const std::string& rec) {
  Parsed p;
  size_t end = rec.find("\r\n\r\n");
  EXPECT_NE(end, std::string::npos);
  std::string head = rec.substr(0, end + 2);
  size_t line_end = head.find("\r\n");
  p.version = head.substr(0, line_end);
  size_t pos = line_end + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    std::string line = head.substr(pos, e - pos);
    size_t colon = line.find(": ");
    p.fields[line.substr(0, colon)] = line.substr(colon + 2);
    pos = e + 2;
  }
  size_t len = std::stoull(p.fields["Content-Length"]);
  p.block = rec.substr(end + 4, len);
  p.trailer = rec.substr(end + 4 + len);
  return p;
}

const std::string kHttp =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";

TEST(WarcWriter, PlainRecordHasFieldsDigestsAndTrailer) {
  StringFile out;
  Writer w(&out, /*gzip=*/false);
  RecordFields f{"response",
                 "http://example.com/",
                 "2026-11-29T16:13:44Z",
                 "application/http;msgtype=response",
                 {{"WARC-IP-Address", "127.0.0.1"}}};
  auto id = w.Write(f, kHttp, kHttp.size() - 5);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->rfind("<urn:uuid:", 0), 0u);
  EXPECT_EQ(w.bytes_written(), out.data.size());

  Parsed p = Parse(out.data);
  EXPECT_EQ(p.version, "WARC/1.1");
  EXPECT_EQ(p.fields["WARC-Type"], "response");
  EXPECT_EQ(p.fields["WARC-Record-ID"], *id);
  EXPECT_EQ(p.fields["WARC-Target-URI"], "http://example.com/");
  EXPECT_EQ(p.fields["WARC-Date"], "2026-11-29T16:13:44Z");
  EXPECT_EQ(p.fields["WARC-IP-Address"], "127.0.0.1");
  EXPECT_EQ(p.fields["Content-Type"], "application/http;msgtype=response");
  EXPECT_EQ(p.block, kHttp);
  EXPECT_EQ(p.trailer, "\r\n\r\n");
  EXPECT_EQ(p.fields["WARC-Block-Digest"], "sha256:" + Base32Encode(core::Sha256Of(kHttp).View()));
  EXPECT_EQ(p.fields["WARC-Payload-Digest"],
            "sha256:" + Base32Encode(core::Sha256Of("hello").View()));
}

TEST(WarcWriter, WarcinfoHasNoTargetNorPayloadDigest) {
  StringFile out;
  Writer w(&out, false);
  auto id = w.Write({"warcinfo", "", "2026-11-29T16:13:44Z", "application/warc-fields", {}},
                    "software: isnad\r\n", std::nullopt, "<urn:uuid:fixed>");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "<urn:uuid:fixed>");
  Parsed p = Parse(out.data);
  EXPECT_EQ(p.fields.count("WARC-Target-URI"), 0u);
  EXPECT_EQ(p.fields.count("WARC-Payload-Digest"), 0u);
  EXPECT_EQ(p.fields["Content-Length"], "17");
}

TEST(WarcWriter, GzipWritesOneMemberPerRecord) {
  StringFile out;
  Writer w(&out, /*gzip=*/true);
  RecordFields f{"resource", "file:///a", "2026-11-29T16:13:44Z", "text/plain", {}};
  ASSERT_TRUE(w.Write(f, "first").ok());
  uint64_t after_first = w.bytes_written();
  ASSERT_TRUE(w.Write(f, "second record").ok());
  EXPECT_EQ(w.bytes_written(), out.data.size());
  auto members = Gunzip(out.data);
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(Parse(members[0]).block, "first");
  EXPECT_EQ(Parse(members[1]).block, "second record");
  // The second member starts where the first ended: seekable.
  EXPECT_EQ(Gunzip(out.data.substr(after_first)).size(), 1u);
}

// The writer keeps one deflate state for all its members (reset between
// them): each member is byte for byte what a writer of that record alone
// writes, whatever came before it in the file (a long record, then short ones).
TEST(WarcWriter, EachGzipMemberIsWhatAFreshWriterWrites) {
  const std::vector<std::string> blocks = {std::string(200000, 'x') + "tail", "short",
                                           std::string(70000, 'y'), "last"};
  RecordFields f{"resource", "file:///a", "2026-11-29T16:13:44Z", "text/plain", {}};
  StringFile together;
  Writer w(&together, /*gzip=*/true);
  size_t from = 0;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const std::string id =
        "<urn:uuid:00000000-0000-4000-8000-00000000000" + std::to_string(i) + ">";
    ASSERT_TRUE(w.Write(f, blocks[i], std::nullopt, id).ok());
    StringFile alone;
    Writer single(&alone, /*gzip=*/true);
    ASSERT_TRUE(single.Write(f, blocks[i], std::nullopt, id).ok());
    EXPECT_EQ(together.data.substr(from), alone.data) << "member " << i;
    from = together.data.size();
    auto members = Gunzip(alone.data);
    ASSERT_EQ(members.size(), 1u);
    EXPECT_EQ(Parse(members[0]).block, blocks[i]);
  }
}

TEST(WarcWriter, StreamedBodyMatchesInMemoryRecord) {
  std::string body(200000, 'x');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  std::string prefix = "HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n";
  StringFile out;
  Writer w(&out, true);
  StringSource src(body);
  RecordFields f{
      "response", "http://x/", "2026-11-29T16:13:44Z", "application/http;msgtype=response", {}};
  auto id = w.WriteStreamed(f, prefix, &src, body.size(), core::Sha256Of(prefix + body),
                            core::Sha256Of(body));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto members = Gunzip(out.data);
  ASSERT_EQ(members.size(), 1u);
  Parsed p = Parse(members[0]);
  EXPECT_EQ(p.block, prefix + body);
  EXPECT_EQ(p.fields["WARC-Payload-Digest"], DigestField(core::Sha256Of(body)));
}

TEST(WarcWriter, StreamedBodyShortOrLongIsAnErrorAndStopsTheWriter) {
  RecordFields f{"resource", "file:///a", "2026-11-29T16:13:44Z", "text/plain", {}};
  {
    StringFile out;
    Writer w(&out, false);
    StringSource src("abc");
    auto r = w.WriteStreamed(f, "", &src, 10, core::Sha256Of("abc"), std::nullopt);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), core::Code::kIntegrity);
    EXPECT_NE(r.status().message().find("early"), std::string::npos);
    EXPECT_FALSE(w.Write(f, "x").ok());
  }
  {
    StringFile out;
    Writer w(&out, false);
    StringSource src("abcdef");
    auto r = w.WriteStreamed(f, "", &src, 3, core::Sha256Of("abc"), std::nullopt);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("more"), std::string::npos);
  }
}

// A record whose body the caller appends itself, before its digests are known,
// is byte for byte the record WriteStreamed makes of the same body, and the
// records around it are where they would be.
TEST(WarcWriter, RecordWithTheCallersBodyIsTheStreamedRecord) {
  std::string body(300000, 'x');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7 % 251);
  const std::string prefix = "HTTP/1.1 200 OK\r\nContent-Length: 300000\r\n\r\n";
  RecordFields info{"warcinfo", "", "2026-11-29T16:13:44Z", "application/warc-fields", {}};
  RecordFields f{"response",
                 "http://x/",
                 "2026-11-29T16:13:44Z",
                 "application/http;msgtype=response",
                 {{"WARC-IP-Address", "127.0.0.1"}}};
  const core::Hash block = core::Sha256Of(prefix + body), payload = core::Sha256Of(body);
  StringFile streamed;
  {
    Writer w(&streamed, false);
    ASSERT_TRUE(w.Write(info, "software: x\r\n", std::nullopt, "<urn:uuid:1>").ok());
    StringSource src(body);
    ASSERT_TRUE(w.WriteStreamed(f, prefix, &src, body.size(), block, payload, "<urn:uuid:2>").ok());
    ASSERT_TRUE(w.Write(info, "after\r\n", std::nullopt, "<urn:uuid:3>").ok());
  }
  StringFile own;
  Writer w(&own, false);
  ASSERT_TRUE(w.Write(info, "software: x\r\n", std::nullopt, "<urn:uuid:1>").ok());
  auto open = w.BeginRecord(f, prefix, body.size(), /*payload_digest=*/true, "<urn:uuid:2>");
  ASSERT_TRUE(open.ok()) << open.status().ToString();
  EXPECT_EQ(open->body_offset, own.data.size());
  EXPECT_FALSE(w.Write(info, "x").ok());  // nothing else while the record is open
  own.data += body;                       // the caller's bytes
  ASSERT_TRUE(w.EndRecord(*open, block, payload).ok());
  ASSERT_TRUE(w.Write(info, "after\r\n", std::nullopt, "<urn:uuid:3>").ok());
  EXPECT_EQ(own.data, streamed.data);
  EXPECT_EQ(w.bytes_written(), own.data.size());
  EXPECT_EQ(Parse(own.data.substr(open->header_offset)).fields["WARC-Payload-Digest"],
            DigestField(payload));

  // Not in a gzip writer (the header is overwritten in place), nor ended twice.
  StringFile gz;
  Writer zw(&gz, true);
  EXPECT_FALSE(zw.BeginRecord(f, prefix, 1, true).ok());
  EXPECT_FALSE(w.EndRecord(*open, block, payload).ok());
}

TEST(WarcWriter, RejectsHeaderInjection) {
  StringFile out;
  Writer w(&out, false);
  RecordFields f{"resource", "http://x/\r\nWARC-Type: evil", "2026-11-29T16:13:44Z", "", {}};
  EXPECT_EQ(w.Write(f, "x").status().code(), core::Code::kInvalidArgument);
  EXPECT_TRUE(out.data.empty());
}

TEST(WarcWriter, RecordIdsAreUniqueUuid4) {
  std::string a = NewRecordId(), b = NewRecordId();
  EXPECT_NE(a, b);
  ASSERT_EQ(a.size(), 10u + 36u + 1u);
  EXPECT_EQ(a[10 + 14], '4');
}

TEST(Base32, Rfc4648Vectors) {
  EXPECT_EQ(Base32Encode(""), "");
  EXPECT_EQ(Base32Encode("f"), "MY======");
  EXPECT_EQ(Base32Encode("foob"), "MZXW6YQ=");
  EXPECT_EQ(Base32Encode("foobar"), "MZXW6YTBOI======");
  EXPECT_EQ(*Base32Decode("mzxw6ytboi"), "foobar");
  EXPECT_FALSE(Base32Decode("MZ1").ok());
}

}  // namespace
}  // namespace isnad::warc
