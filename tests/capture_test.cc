// The capture module against a server on 127.0.0.1 that behaves well and badly:
// every capture is checked by reading its WARC back and recomputing its digests.
// HTTP/2 and proxies against real servers the tests start on 127.0.0.1: nghttpd
// (Debian nghttp2-server), microsocks (SOCKS5) and tinyproxy (HTTP); each of those
// tests skips, saying which program is absent.
#include "capture/capture.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "capture_warc_check.h"
#include "core/canonical_json.h"
#include "core/testing/fault_env.h"
#include "core/testing/temp_dir.h"
#include "core/utf8.h"
#include "http_server.h"
#include "subprocess.h"
#include "warc/reader.h"

namespace isnad::capture {
namespace {

using testing::FreePort;
using testing::HttpServer;
using testing::ReadWarc;
using testing::WarcRecord;

bool Accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// The full path of a program on PATH or in the sbin folders ("" when absent).
std::string FindProgram(const std::string& name) {
  std::string dirs = std::getenv("PATH") ? std::getenv("PATH") : "";
  dirs += ":/usr/local/sbin:/usr/sbin:/sbin";
  size_t at = 0;
  while (at <= dirs.size()) {
    size_t end = std::min(dirs.find(':', at), dirs.size());
    std::string path = dirs.substr(at, end - at) + "/" + name;
    if (end > at && ::access(path.c_str(), X_OK) == 0) return path;
    at = end + 1;
  }
  return "";
}

// A server program (nghttpd, microsocks, tinyproxy) run by the test until it
// ends; ready once `port` accepts connections.
class Daemon {
 public:
  Daemon(const std::vector<std::string>& args, int port, const std::string& log_dir) {
    const std::string out = core::JoinPath(log_dir, "daemon.out");
    err_ = core::JoinPath(log_dir, "daemon.err");
    pid_ = testing::StartProcess(args, out, err_);
    for (int i = 0; i < 100 && !ready_ && Running(); ++i) {
      ready_ = Accepts(port);
      if (!ready_) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    // It may have failed to bind while something else listened on the port.
    ready_ = ready_ && Running();
  }
  ~Daemon() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      testing::WaitProcess(pid_);
    }
  }
  // False once it has exited (then reaped here).
  bool Running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == 0) return true;
    pid_ = -1;
    return false;
  }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;
  bool ready() const { return ready_; }
  std::string err() const {
    auto text = core::Env::Default()->ReadFile(err_);
    return text.ok() ? *text : "";
  }

 private:
  pid_t pid_ = -1;
  bool ready_ = false;
  std::string err_;
};

bool WarcioAgrees(const std::string& warc);

class CaptureTest : public ::testing::Test {
 protected:
  CaptureTest() {
    options_.connect_timeout_s = 5;
    options_.timeout_s = 20;
    options_.low_speed_bytes = 100;
    options_.low_speed_time_s = 2;
  }

  Result Run(const std::string& url) { return Capture(url, options_, dir_.path()); }

  // Names left in the spool folder.
  std::vector<std::string> Left() {
    auto names = core::Env::Default()->ListDir(dir_.path());
    return names.ok() ? *names : std::vector<std::string>{"?"};
  }

  std::vector<WarcRecord> Records(const Result& r) {
    std::vector<std::string> problems;
    auto records = ReadWarc(r.warc_path, &problems);
    EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
    return records;
  }

  // The project's own WARC reader agrees: every record, every digest.
  void ReaderAgrees(const std::string& path, size_t records) {
    auto in = core::Env::Default()->NewSequentialFile(path);
    ASSERT_TRUE(in.ok());
    warc::Reader reader(in->get());
    size_t n = 0;
    while (true) {
      warc::Record rec;
      auto more = reader.Next(&rec);
      ASSERT_TRUE(more.ok()) << more.status().ToString();
      if (!*more) break;
      ++n;
      EXPECT_TRUE(rec.ok()) << rec.type << ": " << ::testing::PrintToString(rec.problems) << " "
                            << warc::DigestResultName(rec.block_digest.result) << " "
                            << warc::DigestResultName(rec.payload_digest.result);
      if (rec.type == "response") {
        EXPECT_EQ(rec.payload_digest.result, warc::DigestResult::kPass);
      }
      EXPECT_EQ(rec.block_digest.result, warc::DigestResult::kPass) << rec.type;
    }
    EXPECT_EQ(n, records);
  }

  std::string Read(const std::string& path) { return *core::Env::Default()->ReadFile(path); }

  // nghttpd serving the folder `docs` over TLS with a certificate that options_
  // trusts, every response with the trailer "x-isnad-trailer: end" (HTTP/2 trailers
  // come after the body; the HTTP/1.1 form has no place for them); *base is its URL.
  std::unique_ptr<Daemon> StartNghttpd(const std::string& nghttpd,
                                       const core::testing::TempDir& site, const std::string& docs,
                                       std::string* base) {
    core::Env* env = core::Env::Default();
    HttpServer certs(/*tls=*/true);  // only for its certificates
    EXPECT_TRUE(core::WriteFileAtomically(env, site.Join("key.pem"), certs.key_pem()).ok());
    EXPECT_TRUE(core::WriteFileAtomically(env, site.Join("chain.pem"), certs.chain_pem()).ok());
    const std::string ca = core::JoinPath(dir_.path(), "ca.pem.keep");
    EXPECT_TRUE(core::WriteFileAtomically(env, ca, certs.cert_pem()).ok());
    options_.ca_file = ca;
    const int port = FreePort();
    *base = "https://127.0.0.1:" + std::to_string(port);
    return std::make_unique<Daemon>(
        std::vector<std::string>{nghttpd, "-a", "127.0.0.1", "-d", docs, "--trailer",
                                 "x-isnad-trailer: end", std::to_string(port), site.Join("key.pem"),
                                 site.Join("chain.pem")},
        port, site.path());
  }

  core::testing::TempDir dir_;
  HttpServer server_;
  Options options_;
};

TEST_F(CaptureTest, PlainPageIsRecordedWithEveryDigest) {
  Result r = Run(server_.Url("/plain?size=1000"));
  ASSERT_TRUE(r.error.ok()) << r.error.ToString();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.final_url, server_.Url("/plain?size=1000"));
  ASSERT_EQ(r.hops.size(), 1u);
  EXPECT_EQ(r.hops[0].ip, "127.0.0.1");
  EXPECT_EQ(r.payload_size, 1000u);
  EXPECT_EQ(core::Sha256Of(Read(r.payload_path)), r.payload_sha256);
  EXPECT_EQ(core::Sha256Of(Read(r.warc_path)), r.warc_sha256);
  EXPECT_TRUE(r.warc_gzip);
  auto records = Records(r);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].Field("WARC-Type"), "warcinfo");
  EXPECT_EQ(records[1].Field("WARC-Type"), "request");
  EXPECT_EQ(records[2].Field("WARC-Type"), "response");
  EXPECT_EQ(records[3].Field("WARC-Type"), "metadata");
  EXPECT_EQ(records[1].Field("WARC-Concurrent-To"), records[2].Field("WARC-Record-ID"));
  EXPECT_EQ(records[3].Field("WARC-Concurrent-To"), records[2].Field("WARC-Record-ID"));
  EXPECT_EQ(records[2].Field("WARC-IP-Address"), "127.0.0.1");
  EXPECT_EQ(records[1].block.rfind("GET /plain?size=1000 HTTP/1.1\r\n", 0), 0u);
  EXPECT_EQ(records[2].block.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_EQ(records[2].Payload(), Read(r.payload_path));
  auto meta = core::Json::parse(records[3].block);
  EXPECT_EQ(meta["hops"][0]["ip"], "127.0.0.1");
  EXPECT_EQ(meta["hops"][0]["status"], 200);
  EXPECT_TRUE(meta["hops"][0]["timings_s"].contains("first_byte"));
  ReaderAgrees(r.warc_path, 4);
  // The caller takes two files; nothing else is left.
  EXPECT_EQ(Left().size(), 2u);
}

TEST_F(CaptureTest, ChunkedBodyIsStoredAsSentAndThePayloadWithoutCoding) {
  Result r = Run(server_.Url("/chunked?size=500"));
  ASSERT_TRUE(r.error.ok()) << r.error.ToString();
  EXPECT_EQ(r.payload_size, 500u);
  auto records = Records(r);
  ASSERT_EQ(records.size(), 4u);
  // The record holds the chunks as sent; the payload (and its digest) is without them.
  EXPECT_NE(records[2].block.find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_EQ(records[2].Body().rfind("25\r\nthe quick brown fox", 0), 0u);
  EXPECT_EQ(records[2].Payload(), Read(r.payload_path));
  EXPECT_EQ(records[2].Payload().size(), 500u);
  ReaderAgrees(r.warc_path, 4);
}

TEST_F(CaptureTest, ChunkedBodiesOfAnySizeAndMalformedChunks) {
  Result big = Run(server_.Url("/chunked?size=200000"));
  ASSERT_TRUE(big.error.ok()) << big.error.ToString();
  EXPECT_EQ(big.payload_size, 200000u);
  EXPECT_EQ(Records(big)[2].Payload(), Read(big.payload_path));
  Result bad = Run(server_.Url("/badchunks"));
  EXPECT_FALSE(bad.error.ok());
  EXPECT_TRUE(Left().size() == 2u) << ::testing::PrintToString(Left());  // big's two files
}

// Chunked coding cut short (no last chunk, no final CRLF, a chunk cut) is a truncated
// response, never a capture, and the error says so.
TEST_F(CaptureTest, ChunkedBodiesCutShortAreTruncatedResponses) {
  for (const char* body : {"5\r\nhello\r\n", "5\r\nhello\r\n0\r\n", "5\r\nhel"}) {
    server_.set_raw("/cut",
                    std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") + body);
    Result cut = Run(server_.Url("/cut"));
    EXPECT_FALSE(cut.error.ok()) << body;
    EXPECT_NE(cut.error.message().find("chunked coding cut short"), std::string::npos)
        << cut.error.ToString();
  }
  EXPECT_TRUE(Left().empty()) << ::testing::PrintToString(Left());
}

// RFC 9112 7.1: a chunk size is 1*HEXDIG, so leading zeros are allowed (curl
// accepts 16 digits); the capture and the WARC reader must both take them.
TEST_F(CaptureTest, ChunkSizesWithLeadingZerosAreChunkSizes) {
  server_.set_raw("/zeros", std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") +
                                "0000000000000005\r\nhello\r\n0000000000000000\r\n\r\n");
  Result r = Run(server_.Url("/zeros"));
  ASSERT_TRUE(r.error.ok()) << r.error.ToString();
  EXPECT_EQ(Read(r.payload_path), "hello");
  Records(r);  // read back: every digest passes
}

// The WARC keeps what the server sent; the payload item is the page the user
// saw, as a web archive added gives it (warc/content_coding.h).
TEST_F(CaptureTest, GzipIsKeptInTheWarcAndRemovedFromThePayload) {
  Result r = Run(server_.Url("/gzip"));
  ASSERT_TRUE(r.error.ok()) << r.error.ToString();
  EXPECT_EQ(Read(r.payload_path), "<html><body><p>compressed page</p></body></html>\n");
  EXPECT_EQ(r.payload_size, 49u);
  EXPECT_EQ(core::Sha256Of(Read(r.payload_path)), r.payload_sha256);
  EXPECT_EQ(r.payload_head, Read(r.payload_path));
  EXPECT_EQ(r.content_encoding_removed, "gzip");
  EXPECT_EQ(r.payload_note, "");
  auto records = Records(r);
  ASSERT_EQ(records.size(), 4u);
  const std::string sent = records[2].Payload();
  ASSERT_GE(sent.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(sent[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(sent[1]), 0x8b);
  EXPECT_EQ(core::Sha256Of(sent), r.record_payload_sha256);
  ReaderAgrees(r.warc_path, 4);
  EXPECT_EQ(Left().size(), 2u);  // the WARC and the decoded payload
}

TEST_F(CaptureTest, ContentCodingsAsTheWarcReaderTakesThem) {
  const std::string page = "<html><body>" + std::string(3000, 'x') + "</body></html>";
  auto raw = [](const std::string& headers, const std::string& body) {
    return "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + headers +
           "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
           body;
  };
  // Two gzip members, and a chunked one: inflated whole, the chunks removed first.
  server_.set_raw("/members",
                  raw("Content-Encoding: gzip\r\n",
                      testing::Gzip(page.substr(0, 100)) + testing::Gzip(page.substr(100))));
  Result members = Run(server_.Url("/members"));
  ASSERT_TRUE(members.error.ok()) << members.error.ToString();
  EXPECT_EQ(Read(members.payload_path), page);
  const std::string gz = testing::Gzip(page);
  char size[32];
  std::snprintf(size, sizeof size, "%zx", gz.size());
  server_.set_raw("/chunked-gzip",
                  "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
                  "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
                      std::string(size) + "\r\n" + gz + "\r\n0\r\n\r\n");
  Result chunked = Run(server_.Url("/chunked-gzip"));
  ASSERT_TRUE(chunked.error.ok()) << chunked.error.ToString();
  EXPECT_EQ(Read(chunked.payload_path), page);
  EXPECT_EQ(chunked.record_payload_sha256, core::Sha256Of(gz));
  ReaderAgrees(chunked.warc_path, 4);
  // A coding isnad does not remove, or two: the item is the body as sent, with a note.
  server_.set_raw("/br", raw("Content-Encoding: br\r\n", "not really brotli"));
  Result br = Run(server_.Url("/br"));
  ASSERT_TRUE(br.error.ok()) << br.error.ToString();
  EXPECT_EQ(Read(br.payload_path), "not really brotli");
  EXPECT_EQ(br.payload_note, "Content-Encoding 'br' is not removed: the payload is as sent");
  server_.set_raw("/two", raw("Content-Encoding: gzip\r\nContent-Encoding: gzip\r\n",
                              testing::Gzip(testing::Gzip(page))));
  Result two = Run(server_.Url("/two"));
  ASSERT_TRUE(two.error.ok()) << two.error.ToString();
  EXPECT_EQ(Read(two.payload_path), testing::Gzip(testing::Gzip(page)));
  EXPECT_EQ(two.payload_note,
            "Content-Encoding 'gzip, gzip' is not removed: the payload is as sent");
  // Decoded past the size cap (a small body that inflates to a lot): no item, said.
  options_.max_size = 2000;
  Result bomb = Run(server_.Url("/members"));
  ASSERT_TRUE(bomb.error.ok()) << bomb.error.ToString();
  EXPECT_EQ(bomb.payload_path, "");
  EXPECT_NE(bomb.payload_note.find("passes the size cap of 2000 bytes"), std::string::npos)
      << bomb.payload_note;
}

TEST_F(CaptureTest, InvalidGzipIsRecordedAsSentWithNoPayloadItem) {
  Result bad = Run(server_.Url("/badgzip"));
  ASSERT_TRUE(bad.error.ok()) << bad.error.ToString();
  EXPECT_EQ(bad.payload_path, "");
  EXPECT_EQ(bad.payload_note,
            "the payload's Content-Encoding gzip data is invalid, incomplete or followed by other "
            "bytes: no payload item; the WARC holds the response as sent");
  auto records = Records(bad);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[2].Payload(), "this is not gzip at all");
  EXPECT_EQ(core::Sha256Of(std::string("this is not gzip at all")), bad.record_payload_sha256);
  EXPECT_EQ(Left().size(), 1u);  // the WARC alone
  // Compressed data cut short is no whole payload either.
  const std::string gz = testing::Gzip(std::string(5000, 'a'));
  server_.set_raw("/cut", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " +
                              std::to_string(gz.size() - 4) + "\r\nConnection: close\r\n\r\n" +
                              gz.substr(0, gz.size() - 4));
  Result cut = Run(server_.Url("/cut"));
  ASSERT_TRUE(cut.error.ok()) << cut.error.ToString();
  EXPECT_EQ(cut.payload_path, "");
  EXPECT_NE(cut.payload_note.find("invalid, incomplete"), std::string::npos);
}

TEST_F(CaptureTest, Latin1IsRecordedAsSent) {
  Result latin = Run(server_.Url("/latin1"));
  ASSERT_TRUE(latin.error.ok()) << latin.error.ToString();
  EXPECT_NE(Read(latin.payload_path).find("caf\xe9"), std::string::npos);
  EXPECT_EQ(latin.content_type, "text/html; charset=iso-8859-1");
  EXPECT_EQ(latin.payload_note, "");
  Records(latin);
}

TEST_F(CaptureTest, EachRedirectHopIsRecorded) {
  Result r = Run(server_.Url("/redirect/3"));
  ASSERT_TRUE(r.error.ok()) << r.error.ToString();
  ASSERT_EQ(r.hops.size(), 5u);
  EXPECT_EQ(r.hops[0].status, 302);
  EXPECT_EQ(r.hops[0].location, server_.Url("/redirect/2"));
  EXPECT_EQ(r.final_url, server_.Url("/plain"));
  EXPECT_EQ(r.status, 200);
  auto records = Records(r);
  ASSERT_EQ(records.size(), 12u);  // warcinfo, 5 x (request, response), metadata
  EXPECT_EQ(records[2].Field("WARC-Target-URI"), server_.Url("/redirect/3"));
  EXPECT_EQ(records[10].Field("WARC-Target-URI"), server_.Url("/plain"));
  ReaderAgrees(r.warc_path, 12);
  // Only the final payload and the WARC are left.
  EXPECT_EQ(Left().size(), 2u);
  // A redirect's target is followed and recorded in the form a URL given is
  // (percent-escapes in upper case, non-ASCII escaped).
  server_.set_raw("/to-cafe",
                  "HTTP/1.1 302 Found\r\nLocation: /caf%c3%a9\r\nContent-Length: 0\r\n\r\n");
  server_.set_raw("/caf%C3%A9", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  Result cafe = Run(server_.Url("/to-cafe"));
  ASSERT_TRUE(cafe.error.ok()) << cafe.error.ToString();
  EXPECT_EQ(cafe.status, 200);
  EXPECT_EQ(cafe.final_url, server_.Url("/caf%C3%A9"));
  EXPECT_EQ(Records(cafe)[4].Field("WARC-Target-URI"), server_.Url("/caf%C3%A9"));
}

TEST_F(CaptureTest, ARedirectLoopEndsAtTheCapWithNothingLeft) {
  options_.max_redirects = 5;
  Result r = Run(server_.Url("/loop"));
  EXPECT_FALSE(r.error.ok());
  EXPECT_NE(r.error.message().find("more than 5 redirects"), std::string::npos)
      << r.error.ToString();
  EXPECT_TRUE(r.warc_path.empty());
  EXPECT_TRUE(Left().empty());
}

TEST_F(CaptureTest, NotFoundIsACaptureWithoutPayload) {
  Result r = Run(server_.Url("/status/404"));
  ASSERT_TRUE(r.error.ok()) << r.error.ToString();
  EXPECT_EQ(r.status, 404);
  EXPECT_TRUE(r.payload_path.empty());
  EXPECT_EQ(Records(r).size(), 4u);
  EXPECT_EQ(Left().size(), 1u);
  Result e = Run(server_.Url("/status/503"));
  EXPECT_EQ(e.status, 503);
}

TEST_F(CaptureTest, ServersThatTrickleOrNeverAnswerTimeOut) {
  for (const char* path : {"/hang", "/trickle"}) {
    auto start = std::chrono::steady_clock::now();
    Result r = Run(server_.Url(path));
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_FALSE(r.error.ok()) << path;
    EXPECT_NE(r.error.message().find("timed out"), std::string::npos) << r.error.ToString();
    EXPECT_LT(s, 10) << path;
    EXPECT_TRUE(Left().empty()) << path;
  }
}

TEST_F(CaptureTest, TheTotalTimeoutHoldsEvenWhenBytesKeepComing) {
  options_.low_speed_bytes = 1;
  options_.timeout_s = 2;
  Result r = Run(server_.Url("/trickle"));
  EXPECT_NE(r.error.message().find("timed out"), std::string::npos) << r.error.ToString();
}

TEST_F(CaptureTest, ResponsesOverTheCapAreRefused) {
  options_.max_size = 1000;
  Result declared = Run(server_.Url("/huge?size=100000"));  // Content-Length says so
  EXPECT_EQ(declared.error.code(), core::Code::kResourceExhausted) << declared.error.ToString();
  Result chunked = Run(server_.Url("/chunked?size=5000"));  // only the bytes tell
  EXPECT_EQ(chunked.error.code(), core::Code::kResourceExhausted) << chunked.error.ToString();
  EXPECT_TRUE(Left().empty());
  Result fits = Run(server_.Url("/plain?size=1000"));
  EXPECT_TRUE(fits.error.ok());
}

// A body cut short is no capture and leaves nothing; one longer than announced is
// recorded as Content-Length announced it. The same whether the body is spooled or,
// at the plain-WARC size, goes straight into the WARC.
TEST_F(CaptureTest, WrongContentLength) {
  for (uint64_t plain_from : {uint64_t{64} << 20, uint64_t{10}}) {
    options_.gzip_below_bytes = plain_from;
    Result shorter = Run(server_.Url("/short"));
    EXPECT_FALSE(shorter.error.ok());
    EXPECT_NE(shorter.error.message().find("before the whole body"), std::string::npos)
        << shorter.error.ToString();
    EXPECT_TRUE(Left().empty());
    Result longer = Run(server_.Url("/long"));
    ASSERT_TRUE(longer.error.ok()) << longer.error.ToString();
    EXPECT_EQ(longer.hops[0].body_in_warc, plain_from == 10);
    EXPECT_EQ(Read(longer.payload_path), "0123456789");  // what Content-Length promised
    EXPECT_EQ(Records(longer)[2].Payload(), "0123456789");
    ReaderAgrees(longer.warc_path, 4);
    Discard(core::Env::Default(), longer);
  }
}

// Content-Length headers that disagree make the framing ambiguous (RFC 9112 6.3: an
// unrecoverable error): which body the server meant cannot be known, so nothing is
// recorded as its response. The same value repeated (RFC 9110 8.6) is one length.
TEST_F(CaptureTest, ConflictingContentLengthsAreRefused) {
  for (const char* lengths :
       {"Content-Length: 5\r\nContent-Length: 12\r\n",
        "Content-Length: 12\r\nContent-Length: 5\r\n", "Content-Length: 5, 12\r\n"}) {
    server_.set_raw("/two", std::string("HTTP/1.1 200 OK\r\n") + lengths +
                                "Content-Type: text/plain\r\n\r\nhello world!");
    Result r = Run(server_.Url("/two"));
    EXPECT_FALSE(r.error.ok()) << lengths;
    EXPECT_NE(r.error.message().find("Content-Length"), std::string::npos) << r.error.ToString();
    EXPECT_TRUE(Left().empty()) << ::testing::PrintToString(Left());
  }
  for (const char* lengths : {"Content-Length: 12\r\nContent-Length: 12\r\n",
                              "Content-Length: 12, 12\r\n", "Content-Length: 12, \r\n"}) {
    server_.set_raw("/same", std::string("HTTP/1.1 200 OK\r\n") + lengths +
                                 "Content-Type: text/plain\r\n\r\nhello world!");
    Result r = Run(server_.Url("/same"));
    ASSERT_TRUE(r.error.ok()) << lengths << r.error.ToString();
    EXPECT_EQ(Read(r.payload_path), "hello world!");
    Discard(core::Env::Default(), r);
  }
}

// A Content-Length that is not 1*DIGIT ("5 7", which curl takes as 5) leaves
// the body's end unknown: refused, saying so; with Transfer-Encoding: chunked
// it is ignored. (One past 2^63 curl refuses as over the cap.)
TEST_F(CaptureTest, AContentLengthThatIsNoByteCountIsRefused) {
  for (const char* length : {"5 7", "+12", "abc", "", "0x0c"}) {
    SCOPED_TRACE(length);
    server_.set_raw("/badlength", std::string("HTTP/1.1 200 OK\r\nContent-Length: ") + length +
                                      "\r\nContent-Type: text/plain\r\n\r\nhello world!");
    Result r = Run(server_.Url("/badlength"));
    EXPECT_FALSE(r.error.ok());
    // curl refuses some itself ("Invalid Content-Length: value"), before isnad sees them.
    EXPECT_NE(r.error.message().find("Content-Length"), std::string::npos) << r.error.ToString();
    EXPECT_EQ(r.error.message().find("--max-size"), std::string::npos) << r.error.ToString();
    EXPECT_TRUE(Left().empty()) << ::testing::PrintToString(Left());
  }
  server_.set_raw("/chunkedlength",
                  "HTTP/1.1 200 OK\r\nContent-Length: 5 7\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n0\r\n\r\n");
  Result chunked = Run(server_.Url("/chunkedlength"));
  ASSERT_TRUE(chunked.error.ok()) << chunked.error.ToString();
  EXPECT_EQ(Read(chunked.payload_path), "hello");
}

// One header line over curl's 100 KiB limit: curl says "out of memory"; the
// error says what it is.
TEST_F(CaptureTest, AHeaderLineOverCurlsLimitIsSaidPlainly) {
  for (const std::string& head :
       {"HTTP/1.1 200 OK\r\nX-Big: " + std::string(200000, 'a') + "\r\n",
        "HTTP/1.1 302 Found\r\nLocation: /" + std::string(200000, 'b') + "\r\n",
        "HTTP/1.1 200 " + std::string(200000, 'c') + "\r\n"}) {
    server_.set_raw("/bigline", head + "Content-Length: 2\r\n\r\nhi");
    Result r = Run(server_.Url("/bigline"));
    EXPECT_FALSE(r.error.ok());
    EXPECT_NE(r.error.message().find("is over 100 KiB, curl's limit for one line"),
              std::string::npos)
        << r.error.ToString();
    EXPECT_TRUE(Left().empty()) << ::testing::PrintToString(Left());
  }
}

// A header line that starts with "HTTP/" (curl takes "HTTP/1.1 404 Not: Found" for a
// header, since it has a colon) is a header: the response record keeps the status line
// curl went by and every header before it. After a 1xx head the next status line
// starts the head over, and only the final head is recorded.
TEST_F(CaptureTest, AHeaderThatLooksLikeAStatusLineIsAHeader) {
  const std::string head =
      "HTTP/1.1 200 OK\r\nX-A: 1\r\nHTTP/1.1 404 Not: Found\r\nContent-Length: 5\r\n\r\n";
  server_.set_raw("/fake-status", head + "hello");
  server_.set_raw("/early-hints",
                  "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
                  "HTTP/1.1 100 Continue\r\n\r\n" +
                      head + "hello");
  for (const char* path : {"/fake-status", "/early-hints"}) {
    Result r = Run(server_.Url(path));
    ASSERT_TRUE(r.error.ok()) << path << ": " << r.error.ToString();
    EXPECT_EQ(r.status, 200) << path;
    auto records = Records(r);
    ASSERT_EQ(records.size(), 4u) << path;
    EXPECT_EQ(records[2].block, head + "hello") << path;
    EXPECT_EQ(records[2].Payload(), "hello") << path;
    ReaderAgrees(r.warc_path, 4);
    Discard(core::Env::Default(), r);
  }
}

// With a Transfer-Encoding other than chunked (gzip, identity), Content-Length does
// not count (RFC 9112 6.3): curl reads until the server closes. Such a body is
// spooled and recorded as sent, never written straight into the WARC by its
// Content-Length, whatever its size.
TEST_F(CaptureTest, ATransferEncodingOtherThanChunkedIsReadUntilClose) {
  const std::string body(3000, 'z');
  for (const char* coding : {"gzip", "identity"}) {
    server_.set_raw("/coded", std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: ") + coding +
                                  "\r\nContent-Length: 2000\r\n\r\n" + body);
    for (uint64_t plain_from : {uint64_t{64} << 20, uint64_t{1000}}) {
      options_.gzip_below_bytes = plain_from;
      Result r = Run(server_.Url("/coded"));
      ASSERT_TRUE(r.error.ok()) << coding << " " << plain_from << ": " << r.error.ToString();
      EXPECT_FALSE(r.hops[0].body_in_warc);
      EXPECT_EQ(r.hops[0].body_size, body.size());
      EXPECT_EQ(Records(r)[2].Body(), body);
      if (std::string_view(coding) == "identity") {  // no coding at all
        EXPECT_EQ(Read(r.payload_path), body);
        EXPECT_EQ(Records(r)[2].Payload(), body);
      } else {  // gzip as a transfer coding: the payload is not known, as on import
        EXPECT_TRUE(r.payload_path.empty());
        EXPECT_NE(r.payload_note.find("Transfer-Encoding 'gzip' is not undone"), std::string::npos)
            << r.payload_note;
      }
      ReaderAgrees(r.warc_path, 4);
      Discard(core::Env::Default(), r);
      EXPECT_TRUE(Left().empty()) << ::testing::PrintToString(Left());
    }
  }
}

// Chunked with another transfer coding, or twice: curl finds the body's end by
// its chunks, but what they hold is not the payload. The payload digest is then
// over the body as sent, as the WARC reader computes it (a WARC isnad wrote
// must check with the digests isnad reads), and there is no payload item.
TEST_F(CaptureTest, ChunkedWithAnotherTransferCodingMakesNoPayloadItem) {
  const std::string chunks = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  const std::pair<const char*, const char*> cases[] = {
      {"Transfer-Encoding: gzip, chunked\r\n", "gzip, chunked"},
      {"Transfer-Encoding: chunked, chunked\r\n", "chunked, chunked"},
      {"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", "gzip, chunked"}};
  for (const auto& [lines, named] : cases) {
    SCOPED_TRACE(lines);
    server_.set_raw("/tecoded", std::string("HTTP/1.1 200 OK\r\n") + lines + "\r\n" + chunks);
    Result r = Run(server_.Url("/tecoded"));
    ASSERT_TRUE(r.error.ok()) << r.error.ToString();
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.payload_path.empty()) << r.payload_path;
    EXPECT_NE(r.payload_note.find(std::string("Transfer-Encoding '") + named + "' is not undone"),
              std::string::npos)
        << r.payload_note;
    EXPECT_EQ(Records(r)[2].Body(), chunks);
    ReaderAgrees(r.warc_path, 4);
    Discard(core::Env::Default(), r);
    EXPECT_TRUE(Left().empty()) << ::testing::PrintToString(Left());
  }
  // "Transfer-Encoding :" (a space before the colon) is no Transfer-Encoding to
  // curl, which frames the body by its Content-Length: nor is it to capture.
  server_.set_raw("/spaced", "HTTP/1.1 200 OK\r\nTransfer-Encoding : chunked\r\nContent-Length: " +
                                 std::to_string(chunks.size()) + "\r\n\r\n" + chunks);
  Result spaced = Run(server_.Url("/spaced"));
  ASSERT_TRUE(spaced.error.ok()) << spaced.error.ToString();
  EXPECT_EQ(Read(spaced.payload_path), chunks);
  ReaderAgrees(spaced.warc_path, 4);
}

TEST_F(CaptureTest, RefusedConnectionAndUnknownHost) {
  Result refused = Run("http://127.0.0.1:" + std::to_string(FreePort()) + "/");
  EXPECT_FALSE(refused.error.ok());
  EXPECT_NE(refused.error.message().find("cannot connect"), std::string::npos)
      << refused.error.ToString();
  Result unknown = Run("http://no-such-host.invalid/");
  EXPECT_FALSE(unknown.error.ok());
  EXPECT_NE(unknown.error.message().find("resolve"), std::string::npos) << unknown.error.ToString();
  EXPECT_TRUE(Left().empty());
}

TEST_F(CaptureTest, BadUrlsAreRefusedBeforeAnyRequest) {
  for (const char* url : {"ftp://example.org/", "not a url", "http://", "http://a b/"}) {
    Result r = Run(url);
    EXPECT_EQ(r.error.code(), core::Code::kInvalidArgument) << url;
  }
  // A password in the URL would be kept for good (log, WARC, exports); the
  // error does not repeat it.
  const std::string with_password = server_.Url("/plain").insert(7, "alice:s3cret@");
  Result r = Run(with_password);
  EXPECT_EQ(r.error.code(), core::Code::kInvalidArgument) << r.error.ToString();
  EXPECT_NE(r.error.message().find("http://***@127.0.0.1"), std::string::npos)
      << r.error.ToString();
  EXPECT_NE(r.error.message().find("holds a user name or password"), std::string::npos);
  EXPECT_EQ(r.error.message().find("s3cret"), std::string::npos) << r.error.ToString();
  // A token as the user name alone is sent too (Authorization: Basic): refused.
  Result token = Run(server_.Url("/plain").insert(7, "ghp_T0KEN@"));
  EXPECT_EQ(token.error.code(), core::Code::kInvalidArgument) << token.error.ToString();
  EXPECT_EQ(token.error.message().find("T0KEN"), std::string::npos) << token.error.ToString();
  EXPECT_EQ(server_.requests(), 0u);
}

// Bytes that are not UTF-8 in a URL, a redirect target or a header must not end the
// process (the metadata record is JSON): the URL is refused before any request, the
// hostile heads are recorded as the server sent them.
TEST_F(CaptureTest, BytesThatAreNotUtf8InUrlsAndHeadsAreHandled) {
  Result url = Run(server_.Url("/a\xff\xfe"));
  EXPECT_EQ(url.error.code(), core::Code::kInvalidArgument) << url.error.ToString();
  EXPECT_NE(url.error.message().find("UTF-8"), std::string::npos) << url.error.ToString();
  EXPECT_EQ(server_.requests(), 0u);
  // A redirect to a target that is not UTF-8: recorded as sent, followed percent-encoded.
  server_.set_raw("/to-bad",
                  "HTTP/1.1 302 Found\r\nLocation: /b\xff\xfe\r\nContent-Length: 0\r\n\r\n");
  Result redirect = Run(server_.Url("/to-bad"));
  ASSERT_TRUE(redirect.error.ok()) << redirect.error.ToString();
  ASSERT_EQ(redirect.hops.size(), 2u);
  EXPECT_EQ(redirect.status, 404);
  EXPECT_TRUE(core::IsValidUtf8(redirect.final_url)) << redirect.final_url;
  auto records = Records(redirect);
  ASSERT_EQ(records.size(), 6u);
  EXPECT_NE(records[2].block.find("Location: /b\xff\xfe\r\n"), std::string::npos);
  auto meta = core::Json::parse(records[5].block, nullptr, false);
  EXPECT_TRUE(meta.is_object()) << records[5].block;
  // A Content-Type that is not UTF-8: kept as sent.
  server_.set_raw("/bad-type",
                  "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=\xff\r\n"
                  "Content-Length: 5\r\n\r\nhello");
  Result type = Run(server_.Url("/bad-type"));
  ASSERT_TRUE(type.error.ok()) << type.error.ToString();
  EXPECT_EQ(type.content_type, "text/html; charset=\xff");
  ReaderAgrees(type.warc_path, 4);
}

// A redirect to another scheme (file:, ftp:) or a malformed target is recorded, never followed.
TEST_F(CaptureTest, RedirectsToOtherSchemesAreRecordedNotFollowed) {
  for (const char* to : {"file:///etc/passwd", "ftp://127.0.0.1/x", "http://[::1"}) {
    server_.set_raw("/away", std::string("HTTP/1.1 301 Moved\r\nLocation: ") + to +
                                 "\r\nContent-Length: 0\r\n\r\n");
    Result r = Run(server_.Url("/away"));
    ASSERT_TRUE(r.error.ok()) << to << ": " << r.error.ToString();
    EXPECT_EQ(r.status, 301) << to;
    EXPECT_EQ(r.hops.size(), 1u) << to;
    EXPECT_TRUE(r.payload_path.empty()) << to;
    EXPECT_NE(r.redirect_not_followed.find(std::string("the redirect to ") + to), std::string::npos)
        << r.redirect_not_followed;
    Records(r);
    Discard(core::Env::Default(), r);
  }
  EXPECT_TRUE(Left().empty()) << ::testing::PrintToString(Left());
  // A target holding a user name or password is not followed, and not repeated.
  server_.set_raw("/withpw", "HTTP/1.1 302 Found\r\nLocation: " +
                                 server_.Url("/plain").insert(7, "bob:hunter2@") +
                                 "\r\nContent-Length: 0\r\n\r\n");
  Result pw = Run(server_.Url("/withpw"));
  ASSERT_TRUE(pw.error.ok()) << pw.error.ToString();
  EXPECT_EQ(pw.status, 302);
  EXPECT_EQ(pw.hops.size(), 1u);
  EXPECT_NE(pw.redirect_not_followed.find("the redirect to http://***@127.0.0.1"),
            std::string::npos)
      << pw.redirect_not_followed;
  EXPECT_NE(pw.redirect_not_followed.find("holds a user name or password"), std::string::npos);
  EXPECT_EQ(pw.redirect_not_followed.find("hunter2"), std::string::npos);
  Discard(core::Env::Default(), pw);
}

// Which addresses are this machine's or a private network's (never reached by a
// redirect from the internet) and which are public.
TEST(LocalAddress, ClassifiesTheReservedRanges) {
  for (const char* ip : {"127.0.0.1",
                         "127.255.0.9",
                         "0.0.0.0",
                         "10.1.2.3",
                         "172.16.0.1",
                         "172.31.255.255",
                         "192.168.1.1",
                         "169.254.169.254",
                         "100.64.0.1",
                         "100.127.255.254",
                         "224.0.0.1",
                         "255.255.255.255",
                         "240.0.0.1",
                         "::1",
                         "::",
                         "fe80::1",
                         "fd00:ec2::254",
                         "fc00::7",
                         "ff02::1",
                         "fec0::1",
                         "::ffff:127.0.0.1",
                         "::ffff:192.168.0.1",
                         "",
                         "localhost",
                         "not an address",
                         "1.2.3"}) {
    EXPECT_TRUE(IsLocalAddress(ip)) << ip;
  }
  for (const char* ip :
       {"1.1.1.1", "8.8.8.8", "93.184.216.34", "172.15.255.255", "172.32.0.1", "100.63.255.255",
        "100.128.0.1", "192.167.1.1", "169.253.1.1", "223.255.255.255", "2001:4860:4860::8888",
        "2a00:1450::1", "::ffff:8.8.8.8", "fbff::1"}) {
    EXPECT_FALSE(IsLocalAddress(ip)) << ip;
  }
}

// A page on the internet that redirects to this machine or a private network (a
// router's admin page, a cloud metadata service) does not make the capture fetch it:
// the redirect is recorded, the hop is not made, nothing is sent there, and the
// reason is given; --allow-local-redirects follows it; a capture that starts at a
// local address follows local redirects as before.
TEST_F(CaptureTest, ARedirectFromThePublicInternetToALocalAddressIsNotFollowed) {
  HttpServer inside;
  inside.set_file("/secret", "text/plain", "router password");
  server_.set_raw("/to-inside", "HTTP/1.1 302 Found\r\nLocation: " + inside.Url("/secret") +
                                    "\r\nContent-Length: 0\r\n\r\n");
  // The test servers are on 127.0.0.1: the first one stands for a public address.
  options_.public_for_testing = {"127.0.0.1:" + std::to_string(server_.port())};

  Result r = Run(server_.Url("/to-inside"));
  ASSERT_TRUE(r.error.ok()) << r.error.ToString();
  EXPECT_EQ(r.status, 302);
  ASSERT_EQ(r.hops.size(), 1u);
  EXPECT_EQ(r.final_url, server_.Url("/to-inside"));
  EXPECT_TRUE(r.payload_path.empty());
  EXPECT_EQ(inside.requests(), 0u);
  EXPECT_TRUE(inside.peers().empty()) << "a connection was made to the local address";
  EXPECT_NE(r.redirect_not_followed.find(inside.Url("/secret")), std::string::npos)
      << r.redirect_not_followed;
  EXPECT_NE(r.redirect_not_followed.find("127.0.0.1"), std::string::npos);
  EXPECT_NE(r.redirect_not_followed.find("--allow-local-redirects"), std::string::npos);
  // The WARC says so too, in its metadata record.
  auto records = Records(r);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[3].Field("WARC-Type"), "metadata");
  core::Json meta = core::Json::parse(records[3].block);
  EXPECT_EQ(meta["redirect_not_followed"], r.redirect_not_followed);
  Discard(core::Env::Default(), r);

  // A reused connection is checked too: the same capture again, with the inside
  // server's connection fresh in the handle's cache from a local capture first.
  options_.public_for_testing.clear();
  Result local = Run(server_.Url("/to-inside"));  // starts local: followed
  ASSERT_TRUE(local.error.ok()) << local.error.ToString();
  EXPECT_EQ(local.status, 200);
  EXPECT_EQ(local.hops.size(), 2u);
  EXPECT_TRUE(local.redirect_not_followed.empty());
  Discard(core::Env::Default(), local);
  const uint64_t inside_before = inside.requests();
  options_.public_for_testing = {"127.0.0.1:" + std::to_string(server_.port())};
  Result again = Run(server_.Url("/to-inside"));
  ASSERT_TRUE(again.error.ok()) << again.error.ToString();
  EXPECT_EQ(again.hops.size(), 1u);
  EXPECT_EQ(inside.requests(), inside_before);
  EXPECT_FALSE(again.redirect_not_followed.empty());
  Discard(core::Env::Default(), again);

  options_.allow_local_redirects = true;
  Result allowed = Run(server_.Url("/to-inside"));
  ASSERT_TRUE(allowed.error.ok()) << allowed.error.ToString();
  EXPECT_EQ(allowed.status, 200);
  ASSERT_EQ(allowed.hops.size(), 2u);
  EXPECT_EQ(Read(allowed.payload_path), "router password");
  EXPECT_TRUE(allowed.redirect_not_followed.empty());
  Discard(core::Env::Default(), allowed);
  EXPECT_TRUE(Left().empty()) << ::testing::PrintToString(Left());
}

// A head of endless header lines is cut at the limit: a clear error, nothing left.
TEST_F(CaptureTest, HeadsOverTheLimitAreRefused) {
  std::string head = "HTTP/1.1 200 OK\r\n";
  while (head.size() < (size_t{3} << 20)) head += "X-Filler: " + std::string(100, 'a') + "\r\n";
  server_.set_raw("/fat", head + "Content-Length: 2\r\n\r\nhi");
  Result r = Run(server_.Url("/fat"));
  EXPECT_FALSE(r.error.ok());
  EXPECT_NE(r.error.message().find("response headers"), std::string::npos) << r.error.ToString();
  EXPECT_TRUE(Left().empty()) << ::testing::PrintToString(Left());
}

TEST_F(CaptureTest, TlsWithTheGivenCaRecordsTheCertificateChain) {
  HttpServer tls(/*tls=*/true);
  std::string ca = core::JoinPath(dir_.path(), "ca.pem.keep");
  ASSERT_TRUE(core::WriteFileAtomically(core::Env::Default(), ca, tls.cert_pem()).ok());
  Result untrusted = Run(tls.Url("/plain"));
  EXPECT_EQ(untrusted.error.code(), core::Code::kIntegrity) << untrusted.error.ToString();
  EXPECT_NE(untrusted.error.message().find("give the CA with --ca-file"), std::string::npos)
      << untrusted.error.ToString();
  // A CA file given, but not the server's CA (another server's certificate,
  // which issued nothing): the hint names the file, not --ca-file again.
  HttpServer other(/*tls=*/true);
  const std::string other_leaf =
      other.chain_pem().substr(0, other.chain_pem().size() - other.cert_pem().size());
  std::string wrong = core::JoinPath(dir_.path(), "other.pem.keep");
  ASSERT_TRUE(core::WriteFileAtomically(core::Env::Default(), wrong, other_leaf).ok());
  options_.ca_file = wrong;
  Result still = Run(tls.Url("/plain"));
  EXPECT_EQ(still.error.code(), core::Code::kIntegrity) << still.error.ToString();
  EXPECT_NE(still.error.message().find("(checked against the CA certificates in " + wrong +
                                       " only, not the system's)"),
            std::string::npos)
      << still.error.ToString();
  EXPECT_EQ(still.error.message().find("give the CA"), std::string::npos);
  options_.ca_file = ca;
  Result r = Run(tls.Url("/plain"));
  ASSERT_TRUE(r.error.ok()) << r.error.ToString();
  ASSERT_EQ(r.hops.size(), 1u);
  ASSERT_EQ(r.hops[0].certificates.size(), 2u);  // the server's, then the root
  EXPECT_EQ(r.hops[0].certificates[1], tls.cert_pem());
  auto records = Records(r);
  ASSERT_EQ(records.size(), 4u);
  auto meta = core::Json::parse(records[3].block);
  EXPECT_EQ(meta["hops"][0]["certificates_pem"].size(), 2u);
  // The TLS version and cipher suite: a second WARC-Protocol and WARC-Cipher-Suite on the
  // request and response (iipc/warc-specifications#42), and in the metadata record.
  for (size_t k : {1u, 2u}) {
    EXPECT_EQ(records[k].Values("WARC-Protocol"),
              (std::vector<std::string>{"http/1.1", "tls/1.3"}));
    EXPECT_EQ(records[k].Field("WARC-Cipher-Suite").rfind("TLS_", 0), 0u)
        << records[k].Field("WARC-Cipher-Suite");
  }
  EXPECT_EQ(meta["hops"][0]["tls_version"], "tls/1.3");
  EXPECT_EQ(meta["hops"][0]["tls_cipher"], records[2].Field("WARC-Cipher-Suite"));
  ReaderAgrees(r.warc_path, 4);
  // Captured again on the same (reused) connection: the chain is still recorded.
  Result again = Run(tls.Url("/plain?size=7"));
  ASSERT_TRUE(again.error.ok()) << again.error.ToString();
  EXPECT_EQ(again.hops[0].certificates.size(), 2u);
  EXPECT_EQ(again.hops[0].tls_version, "tls/1.3");
  // Plain HTTP: no TLS fields.
  Result plain = Run(server_.Url("/plain"));
  ASSERT_TRUE(plain.error.ok()) << plain.error.ToString();
  EXPECT_EQ(plain.hops[0].tls_version, "");
  EXPECT_EQ(Records(plain)[2].Field("WARC-Cipher-Suite"), "");
}

TEST_F(CaptureTest, LargeBodiesGoToAPlainWarcInConstantMemory) {
  options_.gzip_below_bytes = 1 << 20;
  Result r = Run(server_.Url("/huge?size=3000000"));
  ASSERT_TRUE(r.error.ok()) << r.error.ToString();
  EXPECT_FALSE(r.warc_gzip);
  EXPECT_EQ(r.payload_size, 3000000u);
  EXPECT_GT(r.warc_size, 3000000u);
  // Its length known from Content-Length, the body went straight into the WARC,
  // and the payload file was copied out of it.
  ASSERT_EQ(r.hops.size(), 1u);
  EXPECT_TRUE(r.hops[0].body_in_warc);
  EXPECT_EQ(core::Sha256Of(Read(r.warc_path)), r.warc_sha256);
  EXPECT_EQ(Read(r.warc_path).size(), r.warc_size);
  auto records = Records(r);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[2].Payload().size(), 3000000u);
  EXPECT_EQ(records[2].Payload(), Read(r.payload_path));
  EXPECT_EQ(core::Sha256Of(Read(r.payload_path)), r.payload_sha256);
  EXPECT_EQ(records[1].Field("WARC-Concurrent-To"), records[2].Field("WARC-Record-ID"));
  EXPECT_EQ(records[3].Field("WARC-Concurrent-To"), records[2].Field("WARC-Record-ID"));
  EXPECT_EQ(records[2].Field("WARC-IP-Address"), "127.0.0.1");
  EXPECT_EQ(records[2].Field("WARC-Protocol"), "http/1.1");
  EXPECT_EQ(records[2].block.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  ReaderAgrees(r.warc_path, 4);
  if (!WarcioAgrees(r.warc_path)) {
    std::fprintf(stderr, "warcio.js or node absent: its check of the large WARC is skipped\n");
  }
  EXPECT_EQ(Left().size(), 2u);  // the WARC and the payload, nothing else

  // Chunked, the length is not known before the body: spooled, then copied in.
  Result chunked = Run(server_.Url("/chunked?size=2000000"));
  ASSERT_TRUE(chunked.error.ok()) << chunked.error.ToString();
  EXPECT_FALSE(chunked.hops[0].body_in_warc);
  EXPECT_FALSE(chunked.warc_gzip);
  EXPECT_EQ(Records(chunked)[2].Payload(), Read(chunked.payload_path));
  ReaderAgrees(chunked.warc_path, 4);
}

// The body that goes straight into the WARC may come after redirects (their
// records are written before it) and before others (theirs after it); only the
// first large body a capture meets goes in this way, any later one is spooled.
TEST_F(CaptureTest, ALargeBodyWrittenStraightIntoTheWarcAmongRedirects) {
  options_.gzip_below_bytes = 1000;
  const std::string big(5000, 'b');
  server_.set_raw("/big-redirect",
                  "HTTP/1.1 302 Found\r\nLocation: /plain?size=3000\r\n"
                  "Content-Length: 5000\r\n\r\n" +
                      big);
  server_.set_raw("/to-big-redirect",
                  "HTTP/1.1 301 Moved\r\nLocation: /big-redirect\r\nContent-Length: 2\r\n\r\nok");
  Result r = Run(server_.Url("/to-big-redirect"));
  ASSERT_TRUE(r.error.ok()) << r.error.ToString();
  ASSERT_EQ(r.hops.size(), 3u);
  EXPECT_FALSE(r.hops[0].body_in_warc);  // under the size
  EXPECT_TRUE(r.hops[1].body_in_warc);   // the first large one
  EXPECT_FALSE(r.hops[2].body_in_warc);  // large too, but the second
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.payload_size, 3000u);
  EXPECT_EQ(core::Sha256Of(Read(r.payload_path)), r.payload_sha256);
  EXPECT_EQ(core::Sha256Of(Read(r.warc_path)), r.warc_sha256);
  auto records = Records(r);
  ASSERT_EQ(records.size(), 8u);
  const char* types[] = {"warcinfo", "request", "response", "request",
                         "response", "request", "response", "metadata"};
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(records[i].Field("WARC-Type"), types[i]) << i;
  EXPECT_EQ(records[2].Field("WARC-Target-URI"), server_.Url("/to-big-redirect"));
  EXPECT_EQ(records[4].Field("WARC-Target-URI"), server_.Url("/big-redirect"));
  EXPECT_EQ(records[4].Payload(), big);
  EXPECT_EQ(records[6].Payload(), Read(r.payload_path));
  for (size_t i : {1u, 3u, 5u}) {
    EXPECT_EQ(records[i].Field("WARC-Concurrent-To"), records[i + 1].Field("WARC-Record-ID"));
  }
  EXPECT_EQ(records[7].Field("WARC-Concurrent-To"), records[6].Field("WARC-Record-ID"));
  ReaderAgrees(r.warc_path, 8);
  EXPECT_EQ(Left().size(), 2u);

  // A large body that is not the payload (a redirect's) leaves no payload file.
  options_.max_redirects = 0;
  server_.set_raw("/big-only",
                  "HTTP/1.1 302 Found\r\nLocation: ftp://elsewhere/\r\n"
                  "Content-Length: 5000\r\n\r\n" +
                      big);
  Result only = Run(server_.Url("/big-only"));
  ASSERT_TRUE(only.error.ok()) << only.error.ToString();
  EXPECT_TRUE(only.hops[0].body_in_warc);
  EXPECT_TRUE(only.payload_path.empty());
  EXPECT_EQ(Records(only)[2].Payload(), big);
  ReaderAgrees(only.warc_path, 4);
}

// A full disk while the body goes into the WARC: a clear error, nothing left.
TEST_F(CaptureTest, AFullDiskWhileTheBodyGoesIntoTheWarcLeavesNothing) {
  core::testing::FaultInjectionEnv env(core::Env::Default());
  options_.env = &env;
  options_.gzip_below_bytes = 1 << 20;
  // In the WARC's first records, in the body, in the payload copied out of the WARC.
  for (int64_t room : {int64_t{100}, int64_t{2} << 20, int64_t{3100000}}) {
    env.disk_bytes_left = room;
    Result r = Run(server_.Url("/huge?size=3000000"));
    EXPECT_EQ(r.error.code(), core::Code::kResourceExhausted) << room << ": " << r.error.ToString();
    EXPECT_TRUE(Left().empty()) << room << ": " << ::testing::PrintToString(Left());
  }
  env.disk_bytes_left = -1;
  Result fits = Run(server_.Url("/huge?size=3000000"));
  ASSERT_TRUE(fits.error.ok()) << fits.error.ToString();
  EXPECT_TRUE(fits.hops[0].body_in_warc);
  ReaderAgrees(fits.warc_path, 4);
}

// A decompression bomb (20 KB of gzip that inflates to 20 MB, past a 16 MB cap)
// is found out before its payload is written: with 1 MB of disk left, far
// less than it inflates to, the capture is recorded, and no payload item made.
TEST_F(CaptureTest, ADecompressionBombTakesNoDisk) {
  const std::string gz = testing::Gzip(std::string(20 << 20, '\0'));
  ASSERT_LT(gz.size(), 100000u);
  server_.set_raw("/bomb",
                  "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: "
                  "gzip\r\nContent-Length: " +
                      std::to_string(gz.size()) + "\r\nConnection: close\r\n\r\n" + gz);
  core::testing::FaultInjectionEnv env(core::Env::Default());
  options_.env = &env;
  options_.max_size = 16 << 20;
  env.disk_bytes_left = 1 << 20;
  Result r = Run(server_.Url("/bomb"));
  ASSERT_TRUE(r.error.ok()) << r.error.ToString();
  EXPECT_EQ(r.payload_path, "");
  EXPECT_NE(r.payload_note.find("passes the size cap of 16777216 bytes once its Content-Encoding "
                                "gzip is removed"),
            std::string::npos)
      << r.payload_note;
  ReaderAgrees(r.warc_path, 4);
  Discard(core::Env::Default(), r);
  EXPECT_TRUE(Left().empty()) << ::testing::PrintToString(Left());
}

// warcio.js (an independent reader) parses the WARC and every digest passes;
// false when warcio.js or node is absent.
bool WarcioAgrees(const std::string& warc) {
  const std::string warcio = ISNAD_WARCIO_DIR;
  const std::string check = std::string(ISNAD_WARC_SRC_DIR) + "/warcio_check.cjs";
  if (!core::Exists(core::Env::Default(), warcio + "/dist/index.cjs") ||
      testing::RunProcess({"/usr/bin/env", "node", "--version"}).exit_code != 0) {
    return false;
  }
  auto out = testing::RunProcess({"/usr/bin/env", "node", check, warcio, warc});
  EXPECT_EQ(out.exit_code, 0) << out.out << out.err;
  size_t responses = 0;
  for (const core::Json& line : testing::JsonLines(out.out)) {
    EXPECT_EQ(line["block"], "pass") << line.dump();
    if (line["type"] == "response") {
      ++responses;
      EXPECT_EQ(line["payload"], "pass") << line.dump();
    }
  }
  EXPECT_GE(responses, 1u);
  return true;
}

// HTTP/2 from nghttpd (nghttp2's server) over TLS: the heads are recorded in
// HTTP/1.1 form with WARC-Protocol: h2 (docs/formats/warc.md), every digest
// holds for this project's reader, an independent one and warcio.js, and the
// payload is the file's bytes.
TEST_F(CaptureTest, Http2IsRecordedAsHttp11WithWarcProtocolH2) {
  const std::string nghttpd = FindProgram("nghttpd");
  if (nghttpd.empty()) GTEST_SKIP() << "nghttpd absent (Debian nghttp2-server, scripts/deps.sh)";
  core::Env* env = core::Env::Default();
  core::testing::TempDir site;
  const std::string docs = site.Join("docs");
  ASSERT_TRUE(env->CreateDir(docs).ok());
  std::string blob;
  for (uint32_t i = 0; i < 300000; ++i)
    blob.push_back(static_cast<char>((i * 7919 + i / 251) & 0xff));
  const std::string html = "<!doctype html><title>h2</title><p>served over HTTP/2</p>\n";
  ASSERT_TRUE(core::WriteFileAtomically(env, docs + "/blob.bin", blob).ok());
  ASSERT_TRUE(core::WriteFileAtomically(env, docs + "/index.html", html).ok());
  std::string base;
  std::unique_ptr<Daemon> server = StartNghttpd(nghttpd, site, docs, &base);
  ASSERT_TRUE(server->ready()) << "nghttpd did not start: " << server->err();
  // The blob (with its Content-Length) goes straight into a plain WARC; the page is spooled.
  options_.gzip_below_bytes = 100000;

  Result r = Run(base + "/blob.bin");
  ASSERT_TRUE(r.error.ok()) << r.error.ToString();
  ASSERT_EQ(r.hops.size(), 1u);
  EXPECT_TRUE(r.hops[0].body_in_warc);
  EXPECT_FALSE(r.warc_gzip);
  EXPECT_EQ(r.hops[0].http_version, "2");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.hops[0].certificates.size(), 2u);
  EXPECT_EQ(Read(r.payload_path), blob);
  EXPECT_EQ(r.payload_sha256, core::Sha256Of(blob));
  EXPECT_EQ(core::Sha256Of(Read(r.warc_path)), r.warc_sha256);
  auto records = Records(r);  // both digests recomputed independently
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[1].block.rfind("GET /blob.bin HTTP/1.1\r\n", 0), 0u) << records[1].block;
  EXPECT_EQ(records[2].block.rfind("HTTP/1.1 200 \r\n", 0), 0u) << records[2].block.substr(0, 60);
  EXPECT_NE(records[2].block.find("\r\nserver: nghttpd"), std::string::npos);
  EXPECT_EQ(records[1].Field("WARC-Protocol"), "h2");
  EXPECT_EQ(records[2].Field("WARC-Protocol"), "h2");
  EXPECT_EQ(records[2].Payload(), blob);
  auto meta = core::Json::parse(records[3].block);
  EXPECT_EQ(meta["hops"][0]["http_version"], "2");
  ReaderAgrees(r.warc_path, 4);
  {  // The project's reader (what `isnad add` and the capture index use) takes its status.
    auto in = core::Env::Default()->NewSequentialFile(r.warc_path);
    ASSERT_TRUE(in.ok());
    warc::Reader reader(in->get());
    warc::Record rec;
    for (int i = 0; i < 3; ++i) {
      auto more = reader.Next(&rec);
      ASSERT_TRUE(more.ok() && *more);
    }
    EXPECT_EQ(rec.type, "response");
    EXPECT_EQ(rec.http_status, 200);
    EXPECT_TRUE(rec.problems.empty()) << ::testing::PrintToString(rec.problems);
  }

  Result page = Run(base + "/index.html");
  ASSERT_TRUE(page.error.ok()) << page.error.ToString();
  EXPECT_EQ(page.hops[0].http_version, "2");
  EXPECT_EQ(page.content_type, "text/html");
  EXPECT_EQ(Read(page.payload_path), html);
  EXPECT_EQ(Records(page)[2].Payload(), html);
  ReaderAgrees(page.warc_path, 4);

  Result missing = Run(base + "/absent");
  ASSERT_TRUE(missing.error.ok()) << missing.error.ToString();
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Records(missing)[2].block.rfind("HTTP/1.1 404 \r\n", 0), 0u);

  for (const Result* c : {&r, &page, &missing}) {
    if (!WarcioAgrees(c->warc_path)) {
      std::fprintf(stderr, "warcio.js or node absent: its check of the HTTP/2 WARCs is skipped\n");
      break;
    }
  }
}

// HTTP/2 trailers after an empty body (no DATA frame, so the body never starts):
// they are still trailers, in the metadata record, and the response record is the
// head alone, its digests those of an empty payload.
TEST_F(CaptureTest, Http2TrailersAfterAnEmptyBodyGoToTheMetadataRecord) {
  const std::string nghttpd = FindProgram("nghttpd");
  if (nghttpd.empty()) GTEST_SKIP() << "nghttpd absent (Debian nghttp2-server, scripts/deps.sh)";
  core::Env* env = core::Env::Default();
  core::testing::TempDir site;
  const std::string docs = site.Join("docs");
  ASSERT_TRUE(env->CreateDir(docs).ok());
  ASSERT_TRUE(core::WriteFileAtomically(env, docs + "/empty.txt", "").ok());
  std::string base;
  std::unique_ptr<Daemon> server = StartNghttpd(nghttpd, site, docs, &base);
  ASSERT_TRUE(server->ready()) << "nghttpd did not start: " << server->err();

  Result r = Run(base + "/empty.txt");
  ASSERT_TRUE(r.error.ok()) << r.error.ToString();
  ASSERT_EQ(r.hops.size(), 1u);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.hops[0].http_version, "2");
  EXPECT_EQ(r.hops[0].body_size, 0u);
  EXPECT_EQ(r.hops[0].trailers, "x-isnad-trailer: end\r\n");
  auto records = Records(r);
  ASSERT_EQ(records.size(), 4u);
  const std::string& block = records[2].block;
  EXPECT_EQ(block.rfind("HTTP/1.1 200 \r\n", 0), 0u) << block;
  ASSERT_GE(block.size(), 4u);
  EXPECT_EQ(block.substr(block.size() - 4), "\r\n\r\n") << block;
  EXPECT_EQ(block.find("x-isnad-trailer: end"), std::string::npos) << block;
  EXPECT_EQ(records[2].Payload(), "");
  auto meta = core::Json::parse(records[3].block);
  EXPECT_EQ(meta["hops"][0]["trailers"], "x-isnad-trailer: end\r\n");
  ReaderAgrees(r.warc_path, 4);
  if (!WarcioAgrees(r.warc_path)) {
    std::fprintf(stderr, "warcio.js or node absent: its check of the HTTP/2 WARC is skipped\n");
  }
}

// Over HTTP/1.1 the records say so too.
TEST_F(CaptureTest, Http11RecordsCarryWarcProtocol) {
  Result r = Run(server_.Url("/plain"));
  ASSERT_TRUE(r.error.ok()) << r.error.ToString();
  auto records = Records(r);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[1].Field("WARC-Protocol"), "http/1.1");
  EXPECT_EQ(records[2].Field("WARC-Protocol"), "http/1.1");
}

// microsocks (a SOCKS5 server, as Tor is to curl) binds its outgoing connections
// to 127.0.0.2, so the server sees whether a capture came through it.
TEST_F(CaptureTest, Socks5ProxyCarriesTheCapture) {
  const std::string microsocks = FindProgram("microsocks");
  if (microsocks.empty()) GTEST_SKIP() << "microsocks absent (Debian microsocks, scripts/deps.sh)";
  const int port = FreePort();
  core::testing::TempDir logs;
  Daemon proxy({microsocks, "-i", "127.0.0.1", "-p", std::to_string(port), "-b", "127.0.0.2"}, port,
               logs.path());
  ASSERT_TRUE(proxy.ready()) << "microsocks did not start: " << proxy.err();
  const std::string proxy_url = "socks5h://127.0.0.1:" + std::to_string(port);
  options_.proxy = proxy_url;
  Result r = Run(server_.Url("/plain?size=1000"));
  ASSERT_TRUE(r.error.ok()) << r.error.ToString();
  EXPECT_EQ(r.payload_size, 1000u);
  ASSERT_FALSE(server_.peers().empty());
  EXPECT_EQ(server_.peers().back(), "127.0.0.2");  // the proxy's outgoing address
  auto records = Records(r);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[1].block.rfind("GET /plain?size=1000 HTTP/1.1\r\n", 0), 0u);
  ReaderAgrees(r.warc_path, 4);
  // TLS through the proxy: the server's certificate chain, end to end.
  HttpServer tls(/*tls=*/true);
  const std::string ca = core::JoinPath(dir_.path(), "ca.pem.keep");
  ASSERT_TRUE(core::WriteFileAtomically(core::Env::Default(), ca, tls.cert_pem()).ok());
  options_.ca_file = ca;
  Result secure = Run(tls.Url("/plain"));
  ASSERT_TRUE(secure.error.ok()) << secure.error.ToString();
  EXPECT_EQ(secure.hops[0].certificates.size(), 2u);
  ASSERT_EQ(tls.peers().size(), 1u);
  EXPECT_EQ(tls.peers()[0], "127.0.0.2");
  // A target the proxy cannot reach: the error says the proxy could not connect.
  Result unreachable = Run("http://127.0.0.1:" + std::to_string(FreePort()) + "/");
  EXPECT_FALSE(unreachable.error.ok());
  EXPECT_NE(unreachable.error.message().find("the proxy " + proxy_url + " could not connect"),
            std::string::npos)
      << unreachable.error.ToString();
}

// tinyproxy (an HTTP proxy) binds its outgoing connections to 127.0.0.3 and logs
// each request: an http:// capture goes through it in a CONNECT tunnel, so the
// request recorded is the one the server got.
TEST_F(CaptureTest, HttpProxyTunnelsTheCapture) {
  const std::string tinyproxy = FindProgram("tinyproxy");
  if (tinyproxy.empty()) GTEST_SKIP() << "tinyproxy absent (Debian tinyproxy, scripts/deps.sh)";
  core::testing::TempDir conf;
  const int port = FreePort();
  const std::string log = conf.Join("tinyproxy.log");
  const std::string config = "Port " + std::to_string(port) +
                             "\nListen 127.0.0.1\nBind 127.0.0.3\nTimeout 30\nMaxClients 20\n"
                             "Allow 127.0.0.1\nDisableViaHeader Yes\nLogLevel Connect\n"
                             "LogFile \"" +
                             log + "\"\n";
  ASSERT_TRUE(
      core::WriteFileAtomically(core::Env::Default(), conf.Join("tinyproxy.conf"), config).ok());
  Daemon proxy({tinyproxy, "-d", "-c", conf.Join("tinyproxy.conf")}, port, conf.path());
  ASSERT_TRUE(proxy.ready()) << "tinyproxy did not start: " << proxy.err();
  const std::string proxy_url = "http://127.0.0.1:" + std::to_string(port);
  options_.proxy = proxy_url;
  Result r = Run(server_.Url("/page/3"));
  ASSERT_TRUE(r.error.ok()) << r.error.ToString();
  EXPECT_NE(Read(r.payload_path).find("Report 3"), std::string::npos);
  ASSERT_FALSE(server_.peers().empty());
  EXPECT_EQ(server_.peers().back(), "127.0.0.3");
  EXPECT_NE(Read(log).find("CONNECT 127.0.0.1:" + std::to_string(server_.port())),
            std::string::npos)
      << Read(log);
  auto records = Records(r);
  ASSERT_EQ(records.size(), 4u);
  // Origin form, no proxy headers: what the server got.
  EXPECT_EQ(records[1].block.rfind("GET /page/3 HTTP/1.1\r\n", 0), 0u) << records[1].block;
  EXPECT_EQ(records[1].block.find("Proxy-"), std::string::npos) << records[1].block;
  EXPECT_EQ(records[2].block.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  ReaderAgrees(r.warc_path, 4);
  // A target the proxy cannot reach: its error page is not recorded as the server's.
  Result unreachable = Run("http://127.0.0.1:" + std::to_string(FreePort()) + "/");
  EXPECT_FALSE(unreachable.error.ok());
  EXPECT_NE(unreachable.error.message().find("the proxy " + proxy_url), std::string::npos)
      << unreachable.error.ToString();
  EXPECT_NE(unreachable.error.message().find("CONNECT"), std::string::npos)
      << unreachable.error.ToString();
  EXPECT_TRUE(unreachable.warc_path.empty());
}

TEST_F(CaptureTest, ADeadProxyIsNamedAndItsPasswordIsNot) {
  const std::string port = std::to_string(FreePort());
  for (const std::string scheme : {"socks5h", "http"}) {
    options_.proxy = scheme + "://tester:s3cret@127.0.0.1:" + port;
    Result r = Run(server_.Url("/plain"));
    EXPECT_FALSE(r.error.ok()) << scheme;
    EXPECT_NE(
        r.error.message().find("cannot connect to the proxy " + scheme + "://127.0.0.1:" + port),
        std::string::npos)
        << r.error.ToString();
    EXPECT_EQ(r.error.message().find("s3cret"), std::string::npos) << r.error.ToString();
  }
  EXPECT_EQ(server_.requests(), 0u);
  EXPECT_TRUE(Left().empty());
}

// webrecorder's warcio.js (npm), an independent reader, parses every WARC the
// capture writes and agrees with every digest (src/warc/warcio_check.cjs).
TEST_F(CaptureTest, WarcioJsReadsEveryCaptureAndAgreesWithEveryDigest) {
  const std::string warcio = ISNAD_WARCIO_DIR;
  const std::string check = std::string(ISNAD_WARC_SRC_DIR) + "/warcio_check.cjs";
  if (!core::Exists(core::Env::Default(), warcio + "/dist/index.cjs") ||
      testing::RunProcess({"/usr/bin/env", "node", "--version"}).exit_code != 0) {
    GTEST_SKIP() << "warcio.js or node absent (scripts/deps.sh isnad_ensure_warcio installs it)";
  }
  HttpServer tls(/*tls=*/true);
  std::string ca = core::JoinPath(dir_.path(), "ca.pem.keep");
  ASSERT_TRUE(core::WriteFileAtomically(core::Env::Default(), ca, tls.cert_pem()).ok());
  options_.ca_file = ca;
  std::vector<std::string> urls = {server_.Url("/plain"),      server_.Url("/chunked?size=300"),
                                   server_.Url("/gzip"),       server_.Url("/redirect/2"),
                                   server_.Url("/status/404"), server_.Url("/latin1"),
                                   tls.Url("/chunked?size=50")};
  for (const std::string& url : urls) {
    Result r = Run(url);
    ASSERT_TRUE(r.error.ok()) << url << ": " << r.error.ToString();
    auto out = testing::RunProcess({"/usr/bin/env", "node", check, warcio, r.warc_path});
    EXPECT_EQ(out.exit_code, 0) << url << "\n" << out.out << out.err;
    // For a chunked response the payload digest is over the entity body, the chunk
    // framing removed (WARC 1.1 section 5.9); the script removes it with its own code.
    // The framing kept in the record is covered by the block digest, and the digest
    // of the body as sent (what tools that hash the framing would write) differs.
    const bool chunked = url.find("/chunked") != std::string::npos;
    size_t responses = 0;
    for (const core::Json& line : testing::JsonLines(out.out)) {
      EXPECT_EQ(line["block"], "pass") << url << " " << line.dump();
      if (line["type"] == "response") {
        ++responses;
        EXPECT_EQ(line["payload"], "pass") << url << " " << line.dump();
        if (chunked) {
          EXPECT_EQ(line.value("payload_as_sent", ""), "fail") << line.dump();
        }
      }
    }
    EXPECT_EQ(responses, r.hops.size()) << url;
  }
}

}  // namespace
}  // namespace isnad::capture
