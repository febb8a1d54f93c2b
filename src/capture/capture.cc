// Web capture with libcurl: see capture.h.
#include "capture/capture.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstring>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/async_feed.h"
#include "core/canonical_json.h"
#include "core/time.h"
#include "core/utf8.h"
#include "warc/content_coding.h"
#include "warc/writer.h"

namespace isnad::capture {
namespace {

using core::Status;

constexpr size_t kHeadLimit = 1 << 20;      // response or request head
constexpr size_t kSniffBytes = 64 * 1024;   // payload head kept for type sniffing
constexpr size_t kMaxUrlBytes = 16 * 1024;  // URL and final URL both fit one log entry
constexpr const char* kSoftware = "isnad/0.1.0";

struct CurlFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

Status InitCurl() {
  static std::once_flag once;
  static CURLcode init = CURLE_OK;
  std::call_once(once, [] { init = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (init != CURLE_OK) {
    return core::Internal(std::string("cannot start libcurl: ") + curl_easy_strerror(init));
  }
  return Status::Ok();
}

// "2026-11-29T16:13:44.123456Z"
std::string MicrosUtc(core::Clock::time_point t) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(us % 1000000));
  return buf;
}

std::string SpoolName(const std::string& dir, const char* suffix) {
  static std::atomic<uint64_t> counter{0};
  return core::JoinPath(
      dir, "capture-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + suffix);
}

// A body this long has one of its digests computed on a second thread.
constexpr uint64_t kAsyncHashBytes = uint64_t{8} << 20;
// curl's receive buffer (its default is 16 KiB; CURL_MAX_READ_SIZE is 10 MiB).
constexpr long kReceiveBuffer = 512 * 1024;

// A digest, and with WriteTo the same bytes appended to a file, fed on this
// thread until kAsyncHashBytes have come, then on a second one (so that a large
// body's second digest and its write run beside the receiving thread's work).
class BodySha256 {
 public:
  // From now on every byte is appended to `out` too (not owned).
  void WriteTo(core::WritableFile* out) { out_ = out; }
  void Update(std::string_view data) {
    if (async_) return async_->Feed(data);
    Consume(data);
    size_ += data.size();
    if (size_ >= kAsyncHashBytes) {
      async_ = std::make_unique<core::AsyncFeed>([this](std::string_view d) { Consume(d); });
    }
  }
  // True once an append failed (then Finish's status says why); any thread.
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  // Waits for every byte; the digest. Once only.
  core::Hash Finish() {
    if (async_) async_->Finish();
    return sha_.Finish();
  }
  // After Finish: whether every append succeeded.
  const Status& status() const { return status_; }

 private:
  void Consume(std::string_view d) {
    sha_.Update(d);
    if (out_ != nullptr && status_.ok()) {
      status_ = out_->Append(d);
      if (!status_.ok()) failed_.store(true, std::memory_order_relaxed);
    }
  }

  core::Sha256 sha_;
  core::WritableFile* out_ = nullptr;
  Status status_;
  std::atomic<bool> failed_{false};
  std::unique_ptr<core::AsyncFeed> async_;  // after the rest: stopped before they go
  uint64_t size_ = 0;
};

// Removes HTTP/1.1 chunked transfer coding (RFC 9112 7.1) from a stream fed
// in pieces: chunk sizes, extensions, CRLFs and trailers are dropped, the
// chunks' data is passed to `out`. Malformed input sets `bad` and stops.
class Dechunker {
 public:
  template <typename Out>
  void Feed(std::string_view in, Out&& out) {
    size_t i = 0;
    while (i < in.size() && !bad_ && state_ != kDone) {
      char c = in[i];
      switch (state_) {
        case kSize:
          if (c == '\n') {
            if (digits_ == 0) return Fail();
            state_ = size_ == 0 ? kTrailer : kData;
            line_ = 0;
          } else if (!ext_ && std::isxdigit(static_cast<unsigned char>(c))) {
            // Leading zeros are allowed (RFC 9112 7.1: 1*HEXDIG) and not
            // counted; more than 15 significant digits is no real chunk.
            if (size_ == 0) digits_ = 0;
            if (++digits_ > 15) return Fail();
            size_ = size_ * 16 + static_cast<uint64_t>(std::isdigit(static_cast<unsigned char>(c))
                                                           ? c - '0'
                                                           : (c | 0x20) - 'a' + 10);
          } else if (c == ';' || c == ' ' || c == '\t') {
            ext_ = true;
          } else if (c != '\r' && !ext_) {
            return Fail();
          }
          ++i;
          break;
        case kData: {
          size_t n = static_cast<size_t>(std::min<uint64_t>(size_, in.size() - i));
          out(in.substr(i, n));
          size_ -= n;
          i += n;
          if (size_ == 0) state_ = kDataEnd;
          break;
        }
        case kDataEnd:  // CRLF after the data
          if (c == '\n') {
            state_ = kSize;
            digits_ = 0;
            ext_ = false;
          } else if (c != '\r') {
            return Fail();
          }
          ++i;
          break;
        case kTrailer:  // header lines until an empty one
          if (c == '\n') {
            if (line_ == 0) state_ = kDone;
            line_ = 0;
          } else if (c != '\r') {
            ++line_;
          }
          ++i;
          break;
        case kDone:
          break;
      }
    }
  }
  bool bad() const { return bad_; }
  bool done() const { return state_ == kDone; }

 private:
  void Fail() { bad_ = true; }
  enum State { kSize, kData, kDataEnd, kTrailer, kDone };
  State state_ = kSize;
  uint64_t size_ = 0;
  int digits_ = 0;
  bool ext_ = false;
  size_t line_ = 0;
  bool bad_ = false;
};

// An HTTP/2 (or /3) message has no text form on the wire (its header block is
// HPACK-coded frames); curl gives it as a head in HTTP/1 syntax with "HTTP/2" as
// the version. That version is not valid HTTP/1 and WARC readers that check the
// status line refuse it (warcio's ArcWarcRecordLoader accepts only HTTP/1.0 and
// HTTP/1.1), so the record holds it as HTTP/1.1, as Common Crawl and StormCrawler
// write it, and WARC-Protocol says what was spoken (see docs/formats/warc.md).
// Response: "HTTP/2 200 " becomes "HTTP/1.1 200 " (HTTP/2 has no reason phrase;
// none is made up). Request: "GET /x HTTP/2" becomes "GET /x HTTP/1.1".
std::string Http1Head(std::string head, bool response) {
  for (const char* v : {"HTTP/2", "HTTP/3"}) {
    const std::string_view version(v);
    if (response) {
      if (head.rfind(std::string(version) + " ", 0) == 0) {
        return head.replace(0, version.size(), "HTTP/1.1");
      }
    } else {
      size_t eol = head.find("\r\n");
      if (eol == std::string::npos || eol < version.size() + 1) continue;
      size_t at = eol - version.size();
      if (head.compare(at - 1, version.size() + 1, " " + std::string(version)) == 0) {
        return head.replace(at, version.size(), "HTTP/1.1");
      }
    }
  }
  return head;
}

// The protocol identifier of WARC-Protocol (iipc/warc-specifications#42: the ALPN
// names) for curl's version; "" when unknown.
std::string WarcProtocol(const std::string& http_version) {
  if (http_version == "1.0") return "http/1.0";
  if (http_version == "1.1") return "http/1.1";
  if (http_version == "2") return "h2";
  if (http_version == "3") return "h3";
  return "";
}

// The HTTP version of a head's status line as curl gives it ("HTTP/2 200 "):
// "1.1", "2", ...; "" when there is none.
std::string HeadVersion(std::string_view head) {
  if (head.rfind("HTTP/", 0) != 0) return "";
  const size_t end = head.find_first_of(" \r\n");
  return std::string(head.substr(5, end == std::string_view::npos ? 0 : end - 5));
}

// True when the response head has a Transfer-Encoding header, of any coding:
// then curl ignores its Content-Length (RFC 9112 6.3) and, without chunked, reads
// until the server closes.
bool HasTransferEncoding(std::string_view head) {
  return core::AsciiLower(head).find("\ntransfer-encoding:") != std::string::npos;
}

// The status code of a head's status line ("HTTP/1.1 103 Early Hints": 103); 0
// when there is none.
int HeadStatus(std::string_view head) {
  const size_t space = head.find(' ');
  if (space == std::string_view::npos || head.size() < space + 4) return 0;
  int code = 0;
  const char* first = head.data() + space + 1;
  auto [end, ec] = std::from_chars(first, first + 3, code);
  return ec == std::errc() && end == first + 3 ? code : 0;
}

// What one transfer (one hop) collects while curl runs.
struct Transfer {
  std::string request;
  std::string head;
  std::string trailers;
  // OnHeader: a 1xx head has ended (its blank line came), so the next line starts
  // the head over; the final head (status 200 and up) has ended, so any line after
  // it is a trailer.
  bool interim_head_ended = false;
  bool head_complete = false;
  bool head_done = false;  // the body has started (OnBody)
  bool too_large = false;
  bool head_too_large = false;
  // The head's Content-Length (RFC 9110 8.6), and whether its values disagree.
  std::optional<uint64_t> content_length;
  bool conflicting_lengths = false;
  std::string bad_length;  // a Content-Length value that is no byte count, as sent
  Status write_error;
  uint64_t max_size = 0;
  uint64_t body_size = 0;     // bytes as sent (the WARC block's body)
  uint64_t payload_size = 0;  // without transfer coding
  std::string sniff;
  core::WritableFile* file = nullptr;  // the body as sent
  // Offered a body of at least direct_min bytes by its Content-Length, before
  // it comes: the file to write it into instead (the WARC, see DirectWarc), or
  // null to spool it.
  std::function<core::StatusOr<core::WritableFile*>(Transfer*)> direct;
  uint64_t direct_min = 0;
  bool body_in_warc = false;
  std::string http_version;  // of the head, as spoken ("1.1", "2"), once the body starts
  // Chunked: the body is stored as sent (the WARC record must hold what the
  // server sent), and decoded into a second file, the payload.
  bool chunked = false;
  Dechunker dechunker;
  // Another transfer coding: why the body is not the payload (see Hop).
  std::string transfer_note;
  core::Env* env = nullptr;
  std::string payload_path;
  std::unique_ptr<core::WritableFile> payload_file;
  BodySha256 payload;  // on a second thread for large bodies
  core::Sha256 block;
  // The TLS session's version and cipher suite, read while the connection is
  // attached to the handle (during the transfer; libcurl detaches it after).
  CURL* easy = nullptr;
  std::string tls_version;  // "tls/1.3", as WARC-Protocol writes it
  std::string tls_cipher;   // IANA name, "TLS_AES_256_GCM_SHA384"
  // Set when this hop must not reach a local address (a redirect from a public
  // one, Options::allow_local_redirects); then the address refused, if any.
  const Options* guard = nullptr;
  std::string refused_ip;
};

// Whether ip:port is public: not a local address, or one a test names as public.
bool IsPublicEndpoint(const Options& o, const std::string& ip, long port) {
  if (ip.empty()) return false;
  if (!IsLocalAddress(ip)) return true;
  const std::string endpoint = ip + ":" + std::to_string(port);
  return std::find(o.public_for_testing.begin(), o.public_for_testing.end(), endpoint) !=
         o.public_for_testing.end();
}

// Whether `t`'s guard refuses connecting to ip:port (then noted in t->refused_ip).
bool Refuses(Transfer* t, const std::string& ip, long port) {
  if (t->guard == nullptr || IsPublicEndpoint(*t->guard, ip, port)) return false;
  t->refused_ip = ip.empty() ? "(unknown)" : ip;
  return true;
}

// Before each new connection: refuses a guarded one to a local address before
// it is made (curl then tries the host's next address, if it has one).
curl_socket_t OnOpenSocket(void* user, curlsocktype purpose, struct curl_sockaddr* a) {
  auto* t = static_cast<Transfer*>(user);
  if (purpose == CURLSOCKTYPE_IPCXN && t->guard != nullptr) {
    sockaddr_storage sa{};
    std::memcpy(&sa, &a->addr, std::min<size_t>(a->addrlen, sizeof sa));
    char text[INET6_ADDRSTRLEN] = {};
    long port = 0;
    if (a->family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&sa);
      inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
      port = ntohs(in->sin_port);
    } else if (a->family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&sa);
      inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
      port = ntohs(in6->sin6_port);
    }
    if (Refuses(t, text, port)) return CURL_SOCKET_BAD;
  }
  return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

// Before the request is sent, on a new or a reused connection: the last word.
int OnPrereq(void* user, char* primary_ip, char*, int primary_port, int) {
  return Refuses(static_cast<Transfer*>(user), primary_ip, primary_port) ? CURL_PREREQFUNC_ABORT
                                                                         : CURL_PREREQFUNC_OK;
}

// Reads the TLS version and cipher suite of `t`'s connection (OpenSSL backend).
void NoteTls(Transfer* t) {
  if (t->easy == nullptr || !t->tls_version.empty()) return;
  curl_tlssessioninfo* info = nullptr;
  if (curl_easy_getinfo(t->easy, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK || info == nullptr ||
      info->backend != CURLSSLBACKEND_OPENSSL || info->internals == nullptr) {
    return;
  }
  const SSL* ssl = static_cast<const SSL*>(info->internals);
  switch (SSL_version(ssl)) {
    case TLS1_3_VERSION:
      t->tls_version = "tls/1.3";
      break;
    case TLS1_2_VERSION:
      t->tls_version = "tls/1.2";
      break;
    case TLS1_1_VERSION:
      t->tls_version = "tls/1.1";
      break;
    case TLS1_VERSION:
      t->tls_version = "tls/1.0";
      break;
    default:
      return;
  }
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl)) {
    if (const char* name = SSL_CIPHER_standard_name(cipher)) t->tls_cipher = name;
  }
}

// Notes a Content-Length header line of `t`'s head; false when its values (a
// list, or repeated lines) disagree: the framing is ambiguous, RFC 9112 6.3.
bool NoteContentLength(Transfer* t, std::string_view line) {
  constexpr std::string_view kName = "content-length:";
  if (line.size() < kName.size() || core::AsciiLower(line.substr(0, kName.size())) != kName) {
    return true;
  }
  std::string_view rest = line.substr(kName.size());
  bool any = false;  // a value, not only empty list elements (RFC 9110 5.6.1)
  while (!rest.empty()) {
    const size_t comma = std::min(rest.find(','), rest.size());
    std::string_view value = rest.substr(0, comma);
    rest.remove_prefix(std::min(comma + 1, rest.size()));
    while (!value.empty() && std::strchr(" \t\r\n", value.front()) != nullptr) {
      value.remove_prefix(1);
    }
    while (!value.empty() && std::strchr(" \t\r\n", value.back()) != nullptr) {
      value.remove_suffix(1);
    }
    if (value.empty()) continue;
    any = true;
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size() ||
        !std::isdigit(static_cast<unsigned char>(value.front()))) {
      // Not 1*DIGIT, or past 2^64: curl takes "5 7" as 5 and an overflow as
      // its largest size, but the framing is not known (RFC 9112 6.3).
      if (t->bad_length.empty()) t->bad_length = core::LossyUtf8(value.substr(0, 40));
      continue;
    }
    if (t->content_length && *t->content_length != n) {
      t->conflicting_lengths = true;
      return false;
    }
    t->content_length = n;
  }
  if (!any && t->bad_length.empty()) t->bad_length = "(empty)";
  return true;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  std::string_view line(data, len);
  if (t->head_complete || t->head_done) {
    // Trailers after the body, which may be empty (HTTP/2; HTTP/1.1 ones stay in the
    // chunked body): the head ended with its blank line, so they go into the
    // metadata record, never into the head.
    if (t->trailers.size() + len > kHeadLimit) {
      t->head_too_large = true;
      return 0;
    }
    t->trailers.append(line);
    return len;
  }
  // A transfer is one request (curl follows no redirect itself, FetchHop makes each
  // hop its own): curl reports each 1xx head (100 Continue, 103 Early Hints), then
  // the final one. A status line starts the first head, or the one after a 1xx
  // head; anywhere else a line that starts with "HTTP/" is a header (curl takes
  // "HTTP/1.1 404 Not: Found" for one, since it has a colon), and the status line
  // curl went by stays.
  if (t->head.empty() || t->interim_head_ended) {
    t->head.clear();
    t->content_length.reset();
    t->bad_length.clear();
    t->interim_head_ended = false;
    NoteTls(t);
  } else if (!NoteContentLength(t, line)) {
    return 0;  // curl stops with CURLE_WRITE_ERROR
  }
  if (t->head.size() + len > kHeadLimit) {
    t->head_too_large = true;
    return 0;
  }
  t->head.append(line);
  if (line == "\r\n" || line == "\n") {  // the blank line that ends a head
    const int status = HeadStatus(t->head);
    if (status >= 100 && status < 200) {
      t->interim_head_ended = true;
    } else {
      t->head_complete = true;
      // A Content-Length that is no byte count, with no Transfer-Encoding to
      // frame the body: stopped here, so that curl closes the connection
      // rather than read the next response from where it guessed this ends.
      if (!t->bad_length.empty() && !HasTransferEncoding(t->head)) return 0;
    }
  }
  return len;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  if (!t->head_done) {
    t->head_done = true;
    // Only HTTP/1 has transfer coding (decided before the head is transcribed),
    // undone as the WARC reader undoes it: chunked alone.
    if (t->head.rfind("HTTP/1.", 0) == 0) {
      warc::BodyTransferCoding coding =
          warc::ChooseTransferCoding(warc::HeadCodings(t->head, "Transfer-Encoding"));
      t->chunked = coding.chunked;
      t->transfer_note = std::move(coding.note);
    }
    t->http_version = HeadVersion(t->head);
    t->head = Http1Head(std::move(t->head), /*response=*/true);
    t->block.Update(t->head);
    if (t->chunked) {
      auto f = t->env->NewExclusiveFile(t->payload_path, 0644);
      if (!f.ok()) {
        t->write_error = f.status();
        return 0;
      }
      t->payload_file = std::move(f).value();
    } else if (t->direct && t->content_length && *t->content_length >= t->direct_min &&
               !HasTransferEncoding(t->head)) {
      // Only a body that curl holds to its Content-Length: with any Transfer-Encoding
      // (gzip, identity) curl reads until the server closes, and the body is spooled.
      auto f = t->direct(t);
      if (!f.ok()) {
        t->write_error = f.status();
        return 0;
      }
      if (*f != nullptr) {
        t->file = *f;
        t->body_in_warc = true;
      }
    }
    // Without transfer coding the payload is the body: written where its second
    // digest is computed, on that digest's thread once the body is large.
    if (!t->chunked) t->payload.WriteTo(t->file);
  }
  if (t->body_size + len > t->max_size) {
    t->too_large = true;
    return 0;  // curl stops with CURLE_WRITE_ERROR
  }
  std::string_view chunk(data, len);
  t->block.Update(chunk);
  if (t->chunked) {
    t->write_error = t->file->Append(chunk);
    if (!t->write_error.ok()) return 0;
  } else if (t->payload.failed()) {
    return 0;  // the write's error comes with the payload digest
  }
  t->body_size += len;
  auto payload = [t](std::string_view bytes) {
    t->payload.Update(bytes);
    if (t->sniff.size() < kSniffBytes) {
      t->sniff.append(bytes.substr(0, kSniffBytes - t->sniff.size()));
    }
    t->payload_size += bytes.size();
    if (t->payload_file && t->write_error.ok()) t->write_error = t->payload_file->Append(bytes);
  };
  if (t->chunked) {
    t->dechunker.Feed(chunk, payload);
    if (!t->write_error.ok()) return 0;
  } else {
    payload(chunk);
  }
  return len;
}

int OnDebug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  if (type != CURLINFO_HEADER_OUT) return 0;
  auto* t = static_cast<Transfer*>(user);
  std::string_view text(data, size);
  if (text.rfind("CONNECT ", 0) == 0) return 0;  // to an http proxy, not the request itself
  // One head per call; a new one replaces an earlier (a retried request).
  if (text.size() <= kHeadLimit) t->request.assign(text);
  return 0;
}

// Appends to `out` and hashes what is appended (the WARC file's SHA-256, its
// blob address) in the same pass.
class HashingFile final : public core::WritableFile {
 public:
  explicit HashingFile(std::unique_ptr<core::WritableFile> out) : out_(std::move(out)) {}
  Status Append(std::string_view data) override {
    sha_.Update(data);
    size_ += data.size();
    return out_->Append(data);
  }
  Status Sync() override { return out_->Sync(); }
  Status Close() override { return out_->Close(); }
  core::Hash Finish() { return sha_.Finish(); }
  uint64_t size() const { return size_; }

 private:
  std::unique_ptr<core::WritableFile> out_;
  BodySha256 sha_;  // on a second thread for large WARCs
  uint64_t size_ = 0;
};

std::string CurlWhy(CURLcode rc, const char* error_buffer) {
  return error_buffer[0] != '\0' ? std::string(error_buffer) : curl_easy_strerror(rc);
}

// The proxy URL as it may be shown and recorded: any user name and password
// (user:password@) left out, since failures go into the custody log.
std::string ProxyName(const std::string& proxy) {
  const size_t scheme = proxy.find("://");
  const size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t at = proxy.rfind('@');
  if (at == std::string::npos || at < start) return proxy;
  return proxy.substr(0, start) + proxy.substr(at + 1);
}

bool IsHttpProxy(const std::string& proxy) {
  return proxy.rfind("http://", 0) == 0 || proxy.rfind("https://", 0) == 0 ||
         (!proxy.empty() && proxy.find("://") == std::string::npos);  // curl's default: http
}

// A reason a person can act on, for a transfer that ended in `rc`.
Status TransferError(CURL* c, CURLcode rc, const char* error_buffer, const Transfer& t,
                     const Options& o, const std::string& url) {
  const std::string why = CurlWhy(rc, error_buffer);
  if (t.head_too_large) {
    return core::IoError("the response headers of " + url + " are over " +
                         std::to_string(kHeadLimit) + " bytes");
  }
  if (t.conflicting_lengths) {
    return core::IoError("the response of " + url +
                         " gives Content-Length values that disagree, so where its body ends "
                         "is ambiguous (RFC 9112 6.3); nothing of it is recorded");
  }
  const std::string proxy = ProxyName(o.proxy);
  const std::string through = proxy.empty() ? "" : " through the proxy " + proxy;
  if (!proxy.empty() && rc != CURLE_OK) {
    // The proxy answered the tunnel request (CONNECT) with an error.
    long connect_code = 0;
    curl_easy_getinfo(c, CURLINFO_HTTP_CONNECTCODE, &connect_code);
    if (connect_code >= 300) {
      return core::IoError("the proxy " + proxy + " refused or could not open a tunnel to " + url +
                           " (it answered CONNECT with " + std::to_string(connect_code) +
                           "): " + why);
    }
  }
  // curl holds one header line at most CURL_MAX_HTTP_HEADER bytes; a longer
  // one it reports as out of memory (CURLE_TOO_LARGE from curl 8.6).
  bool line_too_long = rc == CURLE_OUT_OF_MEMORY;
#if LIBCURL_VERSION_NUM >= 0x080600
  line_too_long |= rc == CURLE_TOO_LARGE;
#endif
  if (line_too_long && !t.head_complete && !t.head_done) {
    return core::IoError("curl stopped reading the response headers of " + url +
                         ": a header line (or the status line) is over " +
                         std::to_string(CURL_MAX_HTTP_HEADER / 1024) +
                         " KiB, curl's limit for one line (or it ran out of memory); nothing of "
                         "the response is recorded");
  }
  if (!t.bad_length.empty() && !HasTransferEncoding(t.head)) {
    return core::IoError("the response of " + url +
                         " gives a Content-Length that is not a byte count isnad can take (\"" +
                         t.bad_length +
                         "\"), so where its body ends is unknown (RFC 9112 6.3); nothing of it is "
                         "recorded");
  }
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
      return core::NotFound("cannot resolve the host of " + url + " (DNS)" + through + ": " + why);
    case CURLE_COULDNT_RESOLVE_PROXY:
      return core::NotFound("cannot resolve the host of the proxy " + proxy + ": " + why);
    case CURLE_COULDNT_CONNECT:
      if (!proxy.empty()) {
        // Through a proxy, curl's own connection is to the proxy: a target that
        // cannot be reached is CURLE_PROXY (SOCKS) or a CONNECT error (above).
        return core::IoError("cannot connect to the proxy " + proxy +
                             " (refused or unreachable; is it running?) to fetch " + url + ": " +
                             why);
      }
      return core::IoError("cannot connect to " + url + " (refused or unreachable): " + why);
    case CURLE_PROXY:
      return core::IoError("the proxy " + proxy + " could not connect to " + url +
                           " (refused, unreachable, or not allowed by the proxy): " + why);
    case CURLE_OPERATION_TIMEDOUT:
      return core::IoError("timed out fetching " + url + through + ": " + why);
    case CURLE_PARTIAL_FILE:
      return core::IoError(
          "the server closed the connection before the whole body arrived "
          "(less than its Content-Length, or chunked coding cut short): " +
          why);
    case CURLE_GOT_NOTHING:
      return core::IoError("the server closed the connection without answering: " + why);
    case CURLE_PEER_FAILED_VERIFICATION:
      return core::Integrity("the server's TLS certificate is not trusted for " + url + ": " + why +
                             (o.ca_file.empty()
                                  ? " (give the CA with --ca-file if it is a private one)"
                                  : " (checked against the CA certificates in " + o.ca_file +
                                        " only, not the system's)"));
    case CURLE_SSL_CONNECT_ERROR:
      return core::IoError("TLS handshake with " + url + " failed: " + why);
    case CURLE_FILESIZE_EXCEEDED:
      // curl refuses by the Content-Length before the body (and before isnad
      // sees that header line; one past 2^63 too), and newer curls also as
      // the body comes.
      return core::ResourceExhausted(
          "the response is larger than the cap of " + std::to_string(o.max_size) +
          " bytes, by its Content-Length or by what came (raise --max-size, up to " +
          std::to_string(kMaxSizeLimit) + ", to capture it)");
    case CURLE_WRITE_ERROR:
      if (t.too_large) {
        return core::ResourceExhausted("the response body grew past the cap of " +
                                       std::to_string(o.max_size) + " bytes (raise --max-size)");
      }
      if (!t.write_error.ok()) {
        return t.write_error.WithContext("cannot write the response of " + url);
      }
      return core::IoError("writing the response of " + url + " failed: " + why);
    default:
      break;
  }
  return core::IoError("fetching " + url + " failed: " + why);
}

// Certificate chains seen on fresh TLS connections of this thread, by
// "host:port": a reused connection reports none, but is the same session.
thread_local std::map<std::string, std::vector<std::string>> tls_chains;

std::vector<std::string> CertChain(CURL* c) {
  std::vector<std::string> out;
  struct curl_certinfo* info = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_CERTINFO, &info) != CURLE_OK || info == nullptr) return out;
  for (int i = 0; i < info->num_of_certs; ++i) {
    for (curl_slist* s = info->certinfo[i]; s != nullptr; s = s->next) {
      if (std::strncmp(s->data, "Cert:", 5) == 0) out.emplace_back(s->data + 5);
    }
  }
  return out;
}

Status SetUp(CURL* c, const Options& o, Transfer* t, char* error_buffer) {
  bool ok =
      curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS)) ==
          CURLE_OK &&
      // What the server sent, never decoded (chunked coding is removed here, for the payload).
      curl_easy_setopt(c, CURLOPT_HTTP_CONTENT_DECODING, 0L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_HTTP_TRANSFER_DECODING, 0L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_USERAGENT, o.user_agent.c_str()) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_PROXY, o.proxy.c_str()) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_CERTINFO, 1L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(o.connect_timeout_s)) ==
          CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(o.low_speed_bytes)) ==
          CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(o.low_speed_time_s)) ==
          CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(o.max_size)) ==
          CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_HEADERDATA, t) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_WRITEDATA, t) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, &OnDebug) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_DEBUGDATA, t) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_VERBOSE, 1L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer) == CURLE_OK;
  // Refused once the handle has a buffer (curl 7.88 keeps it across resets): the
  // size set before its first transfer stays.
  (void)curl_easy_setopt(c, CURLOPT_BUFFERSIZE, kReceiveBuffer);
  if (ok && IsHttpProxy(o.proxy)) {
    // Through an HTTP proxy every request, http:// too, goes in a CONNECT tunnel:
    // the proxy carries bytes and cannot answer for the server (a cached copy, its
    // own error page recorded as the server's), and the request recorded is the one
    // the server got (origin form, no proxy headers).
    ok = curl_easy_setopt(c, CURLOPT_HTTPPROXYTUNNEL, 1L) == CURLE_OK;
  }
  if (ok && t->guard != nullptr) {
    ok = curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, &OnOpenSocket) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, t) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, &OnPrereq) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_PREREQDATA, t) == CURLE_OK;
  }
  if (ok && !o.ca_file.empty()) {
    ok = curl_easy_setopt(c, CURLOPT_CAINFO, o.ca_file.c_str()) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_CAPATH, nullptr) == CURLE_OK;
  }
  if (!ok) return core::Internal("cannot set up libcurl (is it built with HTTP/2 and TLS?)");
  return Status::Ok();
}

std::string InfoString(CURL* c, CURLINFO what) {
  char* s = nullptr;
  if (curl_easy_getinfo(c, what, &s) != CURLE_OK || s == nullptr) return "";
  return s;
}

double InfoSeconds(CURL* c, CURLINFO what) {
  curl_off_t us = 0;
  if (curl_easy_getinfo(c, what, &us) != CURLE_OK) return 0;
  return static_cast<double>(us) / 1e6;
}

std::string HttpVersion(CURL* c) {
  long v = 0;
  curl_easy_getinfo(c, CURLINFO_HTTP_VERSION, &v);
  switch (v) {
    case CURL_HTTP_VERSION_1_0:
      return "1.0";
    case CURL_HTTP_VERSION_1_1:
      return "1.1";
    case CURL_HTTP_VERSION_2_0:
      return "2";
    case CURL_HTTP_VERSION_3:
      return "3";
    default:
      return "";
  }
}

void RemoveQuietly(core::Env* env, const std::string& path) {
  if (!path.empty()) (void)env->RemoveFile(path);
}

// Runs one hop on `c`. Fills `hop`; returns the transfer's error. With `guard`,
// a local address is not connected to: then *refused_ip is it.
// `direct`: see Transfer::direct.
Status FetchHop(CURL* c, const Options& o, const std::string& url, long timeout_ms,
                const std::string& spool_dir, bool guard,
                std::function<core::StatusOr<core::WritableFile*>(Transfer*)> direct, Hop* hop,
                std::string* sniff, std::string* refused_ip) {
  hop->url = url;
  hop->date = MicrosUtc(core::Clock::now());
  Transfer t;
  t.max_size = o.max_size;
  t.easy = c;
  if (guard) t.guard = &o;
  char error_buffer[CURL_ERROR_SIZE] = {};
  ISNAD_RETURN_IF_ERROR(SetUp(c, o, &t, error_buffer));
  if (curl_easy_setopt(c, CURLOPT_URL, url.c_str()) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK) {
    return core::InvalidArgument("curl refuses the URL " + url);
  }
  hop->body_path = SpoolName(spool_dir, ".body");
  ISNAD_ASSIGN_OR_RETURN(std::unique_ptr<core::WritableFile> file,
                         o.env->NewExclusiveFile(hop->body_path, 0644));
  t.file = file.get();
  t.env = o.env;
  t.payload_path = SpoolName(spool_dir, ".payload");
  t.direct = std::move(direct);
  t.direct_min = o.gzip_below_bytes;
  hop->payload_path = hop->body_path;
  CURLcode rc = curl_easy_perform(c);
  // Every byte handed on is written (and hashed) before the files are closed.
  hop->payload_sha256 = t.payload.Finish();
  if (!t.payload.status().ok() && t.write_error.ok()) t.write_error = t.payload.status();
  Status closed = file->Close();
  if (t.body_in_warc) {  // the spool file stayed empty
    RemoveQuietly(o.env, hop->body_path);
    hop->body_path.clear();
    hop->payload_path.clear();
    hop->body_in_warc = true;
  }
  if (t.payload_file) {
    // Known to the caller from here on, so that a failure removes it too.
    hop->payload_path = t.payload_path;
    Status s = t.payload_file->Close();
    if (closed.ok()) closed = s;
  }
  if (rc != CURLE_OK && !t.refused_ip.empty()) {
    *refused_ip = t.refused_ip;
    return core::FailedPrecondition(url + " is at the local address " + t.refused_ip);
  }
  if (rc != CURLE_OK) return TransferError(c, rc, error_buffer, t, o, url);
  if (t.head_too_large) return TransferError(c, CURLE_OK, error_buffer, t, o, url);
  ISNAD_RETURN_IF_ERROR(closed.WithContext("cannot spool the response of " + url));
  if (!t.head_done) {  // no body
    t.head = Http1Head(std::move(t.head), /*response=*/true);
    t.block.Update(t.head);
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  hop->status = static_cast<int>(status);
  hop->request = Http1Head(std::move(t.request), /*response=*/false);
  hop->response = std::move(t.head);
  hop->trailers = std::move(t.trailers);
  hop->tls_version = std::move(t.tls_version);
  hop->tls_cipher = std::move(t.tls_cipher);
  hop->body_size = t.body_size;
  hop->payload_size = t.payload_size;
  hop->transfer_note = std::move(t.transfer_note);
  if (t.chunked && (t.dechunker.bad() || !t.dechunker.done())) {
    return core::IoError("the chunked body of " + url + " is malformed or incomplete");
  }
  if (!t.write_error.ok()) return t.write_error.WithContext("cannot write the response of " + url);
  hop->block_sha256 = t.block.Finish();
  hop->http_version = HttpVersion(c);
  hop->location = InfoString(c, CURLINFO_REDIRECT_URL);
  hop->content_type = InfoString(c, CURLINFO_CONTENT_TYPE);
  hop->ip = InfoString(c, CURLINFO_PRIMARY_IP);
  curl_easy_getinfo(c, CURLINFO_PRIMARY_PORT, &hop->port);
  hop->dns_s = InfoSeconds(c, CURLINFO_NAMELOOKUP_TIME_T);
  hop->connect_s = InfoSeconds(c, CURLINFO_CONNECT_TIME_T);
  hop->tls_s = InfoSeconds(c, CURLINFO_APPCONNECT_TIME_T);
  hop->first_byte_s = InfoSeconds(c, CURLINFO_STARTTRANSFER_TIME_T);
  hop->total_s = InfoSeconds(c, CURLINFO_TOTAL_TIME_T);
  if (url.rfind("https://", 0) == 0) {
    std::string key = HostOf(url) + ":" + std::to_string(hop->port);
    hop->certificates = CertChain(c);
    if (!hop->certificates.empty()) {
      tls_chains[key] = hop->certificates;
    } else if (auto it = tls_chains.find(key); it != tls_chains.end()) {
      hop->certificates = it->second;  // a reused connection: the same session
    }
  }
  if (hop->request.empty()) {
    return core::Internal("libcurl did not report the request it sent to " + url);
  }
  *sniff = std::move(t.sniff);
  return Status::Ok();
}

core::Json MetadataJson(const Result& r) {
  core::Json hops = core::Json::array();
  for (const Hop& h : r.hops) {
    core::Json j = {{"url", h.url},
                    {"date", h.date},
                    {"status", h.status},
                    {"http_version", h.http_version},
                    {"ip", h.ip},
                    {"port", h.port},
                    {"body_bytes", h.body_size},
                    {"timings_s",
                     {{"dns", h.dns_s},
                      {"connect", h.connect_s},
                      {"tls", h.tls_s},
                      {"first_byte", h.first_byte_s},
                      {"total", h.total_s}}}};
    if (!h.location.empty()) j["location"] = h.location;
    if (!h.tls_version.empty()) j["tls_version"] = h.tls_version;
    if (!h.tls_cipher.empty()) j["tls_cipher"] = h.tls_cipher;
    if (!h.trailers.empty()) j["trailers"] = h.trailers;
    if (!h.certificates.empty()) j["certificates_pem"] = h.certificates;
    hops.push_back(std::move(j));
  }
  core::Json out = {{"software", kSoftware}, {"url", r.url},       {"final_url", r.final_url},
                    {"started", r.started},  {"status", r.status}, {"hops", std::move(hops)}};
  if (!r.redirect_not_followed.empty()) out["redirect_not_followed"] = r.redirect_not_followed;
  return out;
}

// The fields a hop's request and response records share.
std::vector<warc::Field> HopFields(const std::string& ip, const std::string& http_version,
                                   const std::string& tls_version, const std::string& tls_cipher) {
  std::vector<warc::Field> common;
  if (!ip.empty()) common.push_back({"WARC-IP-Address", ip});
  if (std::string p = WarcProtocol(http_version); !p.empty()) {
    common.push_back({"WARC-Protocol", p});
  }
  if (!tls_version.empty()) common.push_back({"WARC-Protocol", tls_version});
  if (!tls_cipher.empty()) common.push_back({"WARC-Cipher-Suite", tls_cipher});
  return common;
}

warc::RecordFields RequestFields(const std::string& url, const std::string& date,
                                 std::vector<warc::Field> common, const std::string& response_id) {
  common.push_back({"WARC-Concurrent-To", response_id});
  return {"request", url, date, "application/http;msgtype=request", std::move(common)};
}

warc::RecordFields ResponseFields(const std::string& url, const std::string& date,
                                  std::vector<warc::Field> common) {
  return {"response", url, date, "application/http;msgtype=response", std::move(common)};
}

Status WriteInfo(warc::Writer* w, const Result& r) {
  std::string info = "software: " + std::string(kSoftware) +
                     "\r\nformat: WARC File Format 1.1\r\n"
                     "conformsTo: "
                     "https://iipc.github.io/warc-specifications/specifications/warc-format/"
                     "warc-1.1/\r\n"
                     "description: capture of " +
                     r.url + "\r\n";
  warc::RecordFields wi{"warcinfo", "", r.hops.front().date, "application/warc-fields", {}};
  return w->Write(wi, info).status();
}

// The request and response records of a hop whose body is spooled.
Status WriteHop(core::Env* env, warc::Writer* w, const Hop& h, std::string* response_id) {
  *response_id = warc::NewRecordId();
  std::vector<warc::Field> common = HopFields(h.ip, h.http_version, h.tls_version, h.tls_cipher);
  ISNAD_RETURN_IF_ERROR(
      w->Write(RequestFields(h.url, h.date, common, *response_id), h.request).status());
  ISNAD_ASSIGN_OR_RETURN(std::unique_ptr<core::SequentialFile> body,
                         env->NewSequentialFile(h.body_path));
  return w
      ->WriteStreamed(ResponseFields(h.url, h.date, std::move(common)), h.response, body.get(),
                      h.body_size, h.block_sha256, std::optional<core::Hash>(h.payload_sha256),
                      *response_id)
      .status();
}

Status WriteMetadata(warc::Writer* w, const Result& r, const std::string& last_response_id) {
  // A server's bytes (a Location or trailer that is not UTF-8) are in the response
  // records as sent; here they are made valid (U+FFFD), never a throw.
  std::string meta =
      MetadataJson(r).dump(2, ' ', false, core::Json::error_handler_t::replace) + "\n";
  warc::RecordFields md{"metadata",
                        r.url,
                        r.hops.front().date,
                        "application/json",
                        {{"WARC-Concurrent-To", last_response_id}}};
  return w->Write(md, meta).status();
}

// A WARC written while a large body arrives, the body straight into it: made
// when that body's head has come, holding the records of the hops before it,
// its request and its response header (digests zero until the body ends).
struct DirectWarc {
  std::unique_ptr<core::WritableFile> file;
  std::unique_ptr<warc::Writer> writer;
  std::optional<warc::Writer::OpenRecord> open;  // while the body comes
  size_t body_hop = 0;       // the hop whose body is in it, the last of those in it
  uint64_t body_offset = 0;  // where that body starts
  std::string last_response_id;
};

// Transfer::direct for the hop being fetched (the last of r->hops): starts the
// WARC in `spool_dir`. Null, to spool the body as usual, when the file system's
// files cannot be written at an offset.
core::StatusOr<core::WritableFile*> StartDirectWarc(const Options& o, const std::string& spool_dir,
                                                    Result* r, Transfer* t,
                                                    std::unique_ptr<DirectWarc>* out) {
  auto d = std::make_unique<DirectWarc>();
  const std::string path = SpoolName(spool_dir, ".warc");
  ISNAD_ASSIGN_OR_RETURN(d->file, o.env->NewExclusiveFile(path, 0644));
  if (!d->file->WriteAt(0, {}).ok()) {
    (void)d->file->Close();
    RemoveQuietly(o.env, path);
    return nullptr;
  }
  r->warc_path = path;  // removed with the rest if the capture fails from here on
  r->warc_gzip = false;
  d->writer = std::make_unique<warc::Writer>(d->file.get(), /*gzip=*/false);
  ISNAD_RETURN_IF_ERROR(WriteInfo(d->writer.get(), *r));
  for (size_t i = 0; i + 1 < r->hops.size(); ++i) {
    ISNAD_RETURN_IF_ERROR(WriteHop(o.env, d->writer.get(), r->hops[i], &d->last_response_id));
  }
  const Hop& h = r->hops.back();
  d->last_response_id = warc::NewRecordId();
  std::vector<warc::Field> common = HopFields(InfoString(t->easy, CURLINFO_PRIMARY_IP),
                                              t->http_version, t->tls_version, t->tls_cipher);
  ISNAD_RETURN_IF_ERROR(d->writer
                            ->Write(RequestFields(h.url, h.date, common, d->last_response_id),
                                    Http1Head(t->request, /*response=*/false))
                            .status());
  ISNAD_ASSIGN_OR_RETURN(
      d->open,
      d->writer->BeginRecord(ResponseFields(h.url, h.date, std::move(common)), t->head,
                             *t->content_length, /*payload_digest=*/true, d->last_response_id));
  d->body_hop = r->hops.size() - 1;
  d->body_offset = d->open->body_offset;
  *out = std::move(d);
  return (*out)->file.get();
}

// After the hop whose body went into `d`: the record's end and its digests.
Status EndDirectBody(const Hop& h, DirectWarc* d) {
  if (h.body_size != d->open->body_size) {
    // The body came here only when its head has a Content-Length and no
    // Transfer-Encoding (OnBody), and curl holds such a body to that length:
    // HTTP/1.1 reads no more and fails a shorter one, HTTP/2 refuses a stream
    // that differs. So this means curl did otherwise; nothing is recorded.
    return core::Integrity("the server sent " + std::to_string(h.body_size) +
                           " body bytes where its Content-Length announced " +
                           std::to_string(d->open->body_size) + "; nothing of it is recorded");
  }
  Status s = d->writer->EndRecord(*d->open, h.block_sha256, h.payload_sha256);
  d->open.reset();
  return s;
}

// Ends the WARC that `d` holds: the hops after those in it, the metadata record;
// then its SHA-256, and when the body in it is the capture's payload
// (r->payload_size > 0, r->payload_path ""), that payload's own file, copied
// out of the WARC on a second thread meanwhile.
Status FinishDirectWarc(const Options& o, const std::string& spool_dir, DirectWarc* d, Result* r) {
  for (size_t i = d->body_hop + 1; i < r->hops.size(); ++i) {
    ISNAD_RETURN_IF_ERROR(WriteHop(o.env, d->writer.get(), r->hops[i], &d->last_response_id));
  }
  ISNAD_RETURN_IF_ERROR(WriteMetadata(d->writer.get(), *r, d->last_response_id));
  ISNAD_RETURN_IF_ERROR(d->file->Close());
  const bool copy =
      r->payload_size > 0 && r->payload_path.empty() && d->body_hop + 1 == r->hops.size();
  const std::string payload = copy ? SpoolName(spool_dir, ".payload") : "";
  Status copied;
  std::thread copier;
  if (copy) {
    copier = std::thread([&] {
      copied = o.env->CopyFileRange(r->warc_path, d->body_offset, r->payload_size, payload, 0644);
    });
  }
  Status hashed = HashFile(o.env, r->warc_path, &r->warc_sha256, &r->warc_size);
  if (copier.joinable()) copier.join();
  if (hashed.ok() && r->warc_size != d->writer->bytes_written()) {
    hashed = core::Internal("the WARC " + r->warc_path + " holds " + std::to_string(r->warc_size) +
                            " bytes where " + std::to_string(d->writer->bytes_written()) +
                            " were written");
  }
  if (!hashed.ok() || !copied.ok()) {
    if (copy && copied.ok()) RemoveQuietly(o.env, payload);
    return hashed.ok() ? copied.WithContext("cannot copy the payload out of the WARC") : hashed;
  }
  if (copy) r->payload_path = payload;
  return Status::Ok();
}

// Writes the WARC of the hops in `r`, all spooled, into `spool_dir`; fills r->warc_*.
Status WriteWarc(const Options& o, const std::string& spool_dir, Result* r) {
  uint64_t body_bytes = 0;
  for (const Hop& h : r->hops) body_bytes += h.body_size;
  r->warc_gzip = body_bytes < o.gzip_below_bytes;
  r->warc_path = SpoolName(spool_dir, r->warc_gzip ? ".warc.gz" : ".warc");
  ISNAD_ASSIGN_OR_RETURN(std::unique_ptr<core::WritableFile> raw,
                         o.env->NewExclusiveFile(r->warc_path, 0644));
  HashingFile file(std::move(raw));
  warc::Writer w(&file, r->warc_gzip);
  ISNAD_RETURN_IF_ERROR(WriteInfo(&w, *r));
  std::string last_response_id;
  for (const Hop& h : r->hops) ISNAD_RETURN_IF_ERROR(WriteHop(o.env, &w, h, &last_response_id));
  ISNAD_RETURN_IF_ERROR(WriteMetadata(&w, *r, last_response_id));
  ISNAD_RETURN_IF_ERROR(file.Close());
  r->warc_sha256 = file.Finish();
  r->warc_size = file.size();
  return Status::Ok();
}

}  // namespace

std::string NormalizeUrl(std::string url) {
  const size_t colon = url.find(':');
  if (colon == std::string::npos) return url;
  for (size_t i = 0; i < colon; ++i) {
    const unsigned char ch = static_cast<unsigned char>(url[i]);
    // RFC 3986 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    if (!std::isalnum(ch) && ch != '+' && ch != '-' && ch != '.') return url;
  }
  const std::string scheme = core::AsciiLower(url.substr(0, colon));
  std::string_view rest = std::string_view(url).substr(colon);
  if ((scheme != "http" && scheme != "https") || !rest.starts_with("://"))
    return scheme + std::string(rest);
  // The host in lower case (not the user name before an '@').
  const size_t authority_end = std::min(rest.find_first_of("/?#", 3), rest.size());
  std::string authority(rest.substr(3, authority_end - 3));
  const size_t at = authority.rfind('@');
  for (size_t i = at == std::string::npos ? 0 : at + 1; i < authority.size(); ++i) {
    if (authority[i] >= 'A' && authority[i] <= 'Z')
      authority[i] = static_cast<char>(authority[i] + 32);
  }
  // The rest: percent-escapes in upper case, and what a URI cannot hold (the
  // bytes of non-ASCII characters, " < > \ ^ ` { | }) escaped. Spaces, controls
  // and bytes that are not UTF-8 are left for CheckUrl to refuse.
  static const char kHex[] = "0123456789ABCDEF";
  const bool utf8 = core::IsValidUtf8(url);
  std::string out = scheme + "://" + authority;
  const std::string_view tail = rest.substr(authority_end);
  for (size_t i = 0; i < tail.size(); ++i) {
    const auto c = static_cast<unsigned char>(tail[i]);
    if (c == '%' && i + 2 < tail.size() && std::isxdigit(static_cast<unsigned char>(tail[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(tail[i + 2]))) {
      out += '%';
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(tail[i + 1])));
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(tail[i + 2])));
      i += 2;
    } else if ((c >= 0x80 && utf8) || std::string_view("\"<>\\^`{|}").find(static_cast<char>(c)) !=
                                          std::string_view::npos) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

Status CheckUrl(const std::string& url) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return core::InvalidArgument("\"" + url + "\" is not an http:// or https:// URL");
  }
  for (unsigned char ch : url) {
    if (ch <= 0x20 || ch == 0x7f) {
      return core::InvalidArgument("the URL \"" + url +
                                   "\" holds a space or control character; percent-encode it");
    }
  }
  // Recorded in log entries (at most 64 KiB each, with the final URL and more).
  if (url.size() > kMaxUrlBytes) {
    return core::InvalidArgument("the URL \"" + core::LossyUtf8(url.substr(0, 60)) + "...\" is " +
                                 std::to_string(url.size()) + " bytes, over the " +
                                 std::to_string(kMaxUrlBytes) + " a capture can record");
  }
  // Recorded in WARC headers and JSON entries, which are UTF-8 (WARC 1.1 section 4).
  if (!core::IsValidUtf8(url)) {
    return core::InvalidArgument("the URL \"" + core::LossyUtf8(url) +
                                 "\" holds bytes that are not UTF-8; percent-encode them");
  }
  std::unique_ptr<CURLU, CurlFree> u(curl_url());
  if (!u) return core::Internal("out of memory");
  CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0);
  if (rc != CURLUE_OK) {
    return core::InvalidArgument("\"" + url + "\" is not a valid URL: " + curl_url_strerror(rc));
  }
  if (HostOf(url).empty()) return core::InvalidArgument("the URL \"" + url + "\" names no host");
  // A user name or password would be sent (curl makes them an Authorization
  // header) and kept for good: in the custody log, the WARC, every export.
  if (HasUserinfo(url)) {
    return core::InvalidArgument(
        "the URL " + RedactUserinfo(url) +
        " holds a user name or password (user:password@): curl would send it, and isnad would "
        "keep it for good in the custody log and the WARC, where anyone given the archive or its "
        "exports can read it, so it is not captured; take it out of the URL");
  }
  return Status::Ok();
}

bool HasUserinfo(const std::string& url) {
  std::unique_ptr<CURLU, CurlFree> u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return false;
  for (CURLUPart part : {CURLUPART_USER, CURLUPART_PASSWORD}) {
    char* v = nullptr;
    if (curl_url_get(u.get(), part, &v, 0) == CURLUE_OK) {
      curl_free(v);
      return true;
    }
  }
  return false;
}

std::string RedactUserinfo(const std::string& url) {
  if (!HasUserinfo(url)) return url;
  std::unique_ptr<CURLU, CurlFree> u(curl_url());
  char* shown = nullptr;
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK ||
      curl_url_set(u.get(), CURLUPART_PASSWORD, nullptr, 0) != CURLUE_OK ||
      curl_url_set(u.get(), CURLUPART_USER, "***", 0) != CURLUE_OK ||
      curl_url_get(u.get(), CURLUPART_URL, &shown, 0) != CURLUE_OK) {
    return "(a URL with a user name or password)";
  }
  std::string out = shown;
  curl_free(shown);
  return out;
}

Status CheckCaFile(const std::string& path) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(path.c_str(), "r"), BIO_free);
  if (!bio) {
    ERR_clear_error();
    return core::IoError("cannot read the CA file " + path + " (is it readable?)");
  }
  // "CERTIFICATE" or "TRUSTED CERTIFICATE", as OpenSSL's loader takes.
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509_AUX(bio.get(), nullptr, nullptr, nullptr), X509_free);
  ERR_clear_error();
  if (!cert) {
    return core::InvalidArgument(
        "the CA file " + path +
        " holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\"): give the CA's "
        "certificate in PEM form (openssl x509 -inform der -in CA.der -out CA.pem converts one)");
  }
  return Status::Ok();
}

bool IsLocalAddress(const std::string& ip) {
  in6_addr a6{};
  in_addr a4{};
  uint32_t v4 = 0;
  if (inet_pton(AF_INET6, ip.c_str(), &a6) == 1) {
    const uint8_t* b = a6.s6_addr;
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(b, kMapped, 12) != 0) {
      static constexpr uint8_t kZero[15] = {};
      if (std::memcmp(b, kZero, 15) == 0) return true;   // :: and ::1
      return (b[0] & 0xfe) == 0xfc ||                    // unique local, fc00::/7
             (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||  // link-local, fe80::/10
             (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) ||  // site-local (deprecated), fec0::/10
             b[0] == 0xff;                               // multicast
    }
    v4 = (uint32_t{b[12]} << 24) | (uint32_t{b[13]} << 16) | (uint32_t{b[14]} << 8) | b[15];
  } else if (inet_pton(AF_INET, ip.c_str(), &a4) == 1) {
    v4 = ntohl(a4.s_addr);
  } else {
    return true;  // not an address: never taken for a public one
  }
  auto in = [v4](uint32_t net, int bits) { return (v4 >> (32 - bits)) == (net >> (32 - bits)); };
  return in(0x00000000, 8) ||   // "this network", 0/8
         in(0x0a000000, 8) ||   // private, 10/8
         in(0x64400000, 10) ||  // shared (carrier-grade NAT), 100.64/10
         in(0x7f000000, 8) ||   // loopback, 127/8
         in(0xa9fe0000, 16) ||  // link-local, 169.254/16 (cloud metadata services)
         in(0xac100000, 12) ||  // private, 172.16/12
         in(0xc0a80000, 16) ||  // private, 192.168/16
         in(0xe0000000, 4) ||   // multicast, 224/4
         in(0xf0000000, 4);     // reserved and broadcast, 240/4
}

std::string HostOf(const std::string& url) {
  std::unique_ptr<CURLU, CurlFree> u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return "";
  char* host = nullptr;
  if (curl_url_get(u.get(), CURLUPART_HOST, &host, 0) != CURLUE_OK || host == nullptr) return "";
  std::string out = core::AsciiLower(host);
  curl_free(host);
  return out;
}

void Discard(core::Env* env, const Result& r) {
  RemoveQuietly(env, r.warc_path);
  RemoveQuietly(env, r.payload_path);
  DiscardExtraction(env, r.extraction);
}

// Inflates the file at `path` with `inflater`, handing what comes out to
// `take`, until the file ends, the data is found invalid, or `take` returns
// false (it is not called again then). Only a failure to read is an error.
Status InflateFile(core::Env* env, const std::string& path, warc::Inflater* inflater,
                   const std::function<bool(std::string_view)>& take) {
  ISNAD_ASSIGN_OR_RETURN(auto in, env->NewSequentialFile(path));
  bool more = true;
  std::vector<char> buf(1 << 20);
  while (inflater->ok() && more) {
    ISNAD_ASSIGN_OR_RETURN(size_t n, in->Read(buf.data(), buf.size()));
    if (n == 0) break;
    inflater->Feed(std::string_view(buf.data(), n), [&](std::string_view d) {
      if (more) more = take(d);
    });
  }
  return Status::Ok();
}

// Makes r's payload the body with its gzip or deflate Content-Encoding removed
// (see Result::payload_path). Coded data that is invalid, or that decodes to
// more than o.max_size bytes or to nothing, leaves no payload item and says
// why in r->payload_note. Only a failure to read or write the spool is an error.
Status DecodePayload(const Options& o, const std::string& spool_dir, std::string_view head,
                     Result* r) {
  r->record_payload_sha256 = r->payload_sha256;
  warc::PayloadCoding coding =
      warc::ChoosePayloadCoding(warc::HeadCodings(head, "Content-Encoding"));
  r->payload_note = coding.note;
  if (coding.removed.empty()) return Status::Ok();
  r->content_encoding_removed = coding.removed;
  // First without writing: a small body that inflates past the cap (a
  // decompression bomb: 6 MB of gzip to 2 GiB), or whose data is invalid, costs
  // CPU then, never disk; written at once, each capture running beside it could
  // fill the cap's size of spool too.
  uint64_t size = 0;
  bool over = false;
  warc::Inflater probe;
  ISNAD_RETURN_IF_ERROR(InflateFile(o.env, r->payload_path, &probe, [&](std::string_view d) {
    size += d.size();
    over = size > o.max_size;
    return !over;
  }));
  if (over || !probe.whole() || size == 0) {
    RemoveQuietly(o.env, r->payload_path);
    r->payload_path.clear();
    r->payload_head.clear();
    if (over) {
      r->payload_note = "the payload passes the size cap of " + std::to_string(o.max_size) +
                        " bytes once its Content-Encoding " + coding.removed + " is removed";
    } else if (!probe.whole()) {
      r->payload_note = warc::InvalidCodingNote(coding.removed);
    } else {
      r->payload_note =
          "the payload is empty once its Content-Encoding " + coding.removed + " is removed";
    }
    r->payload_note += ": no payload item; the WARC holds the response as sent";
    return Status::Ok();
  }
  // Then written, hashed and sniffed.
  const std::string decoded_path = SpoolName(spool_dir, ".decoded");
  ISNAD_ASSIGN_OR_RETURN(auto out, o.env->NewExclusiveFile(decoded_path, 0644));
  core::Sha256 sha;
  uint64_t written = 0;
  std::string sniff;
  Status write = Status::Ok();
  warc::Inflater inflater;
  Status read = InflateFile(o.env, r->payload_path, &inflater, [&](std::string_view d) {
    sha.Update(d);
    if (sniff.size() < kSniffBytes) sniff.append(d.substr(0, kSniffBytes - sniff.size()));
    written += d.size();
    write = out->Append(d);
    return write.ok();
  });
  Status closed = out->Close();
  if (write.ok()) write = closed;
  if (read.ok() && write.ok() && (!inflater.whole() || written != size)) {
    write = core::Internal("the spooled payload decoded differently the second time");
  }
  if (!read.ok() || !write.ok()) {
    RemoveQuietly(o.env, decoded_path);
    return !read.ok() ? read : write;
  }
  RemoveQuietly(o.env, r->payload_path);
  r->payload_path = decoded_path;
  r->payload_sha256 = sha.Finish();
  r->payload_size = size;
  r->payload_head = std::move(sniff);
  return Status::Ok();
}

Result Capture(const std::string& url, const Options& o, const std::string& spool_dir) {
  Result r;
  r.url = url;
  const auto start = core::Clock::now();
  r.started = core::FormatUtc(start);
  auto cleanup_hops = [&](bool keep_payload) {
    for (const Hop& h : r.hops) {
      if (!(keep_payload && h.body_path == r.payload_path)) RemoveQuietly(o.env, h.body_path);
      if (h.payload_path != h.body_path && !(keep_payload && h.payload_path == r.payload_path)) {
        RemoveQuietly(o.env, h.payload_path);
      }
    }
  };
  auto fail = [&](Status why) {
    cleanup_hops(false);
    RemoveQuietly(o.env, r.warc_path);
    r.warc_path.clear();
    r.payload_path.clear();
    r.error = std::move(why);
    return std::move(r);
  };
  if (Status s = InitCurl(); !s.ok()) return fail(s);
  if (Status s = CheckUrl(url); !s.ok()) return fail(s);
  if (o.timeout_s <= 0 || o.connect_timeout_s <= 0) {
    return fail(core::InvalidArgument("timeouts must be positive"));
  }
  // One handle per thread, reset for each capture: connections are reused.
  thread_local std::unique_ptr<CURL, CurlFree> handle;
  if (!handle) handle.reset(curl_easy_init());
  if (!handle) return fail(core::Internal("cannot start libcurl"));
  CURL* c = handle.get();
  const auto deadline = start + std::chrono::seconds(o.timeout_s);

  std::string current = url;
  std::string sniff;
  // The first body that goes straight into the WARC, and the WARC it is in.
  std::unique_ptr<DirectWarc> direct;
  auto start_direct = [&](Transfer* t) -> core::StatusOr<core::WritableFile*> {
    if (direct) return nullptr;  // one a capture; any other is spooled and copied in
    return StartDirectWarc(o, spool_dir, &r, t, &direct);
  };
  // Why the last hop's redirect is not followed: its target, then the reason.
  auto not_followed = [&](const std::string& target, const std::string& why) {
    std::string text = "the redirect to " + core::LossyUtf8(target) + " was not followed: " + why;
    core::TruncateUtf8(text, 4096);
    r.redirect_not_followed = std::move(text);
  };
  for (int hop_no = 0;; ++hop_no) {
    if (hop_no > o.max_redirects) {
      return fail(core::FailedPrecondition("more than " + std::to_string(o.max_redirects) +
                                           " redirects (a redirect loop?), last to " + current));
    }
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - core::Clock::now());
    if (left.count() <= 0) {
      return fail(core::IoError("timed out after " + std::to_string(o.timeout_s) +
                                " s following redirects from " + url));
    }
    curl_easy_reset(c);
    // Guarded: a redirect when the first hop reached a public address directly.
    const bool guard = hop_no > 0 && !o.allow_local_redirects && o.proxy.empty() &&
                       IsPublicEndpoint(o, r.hops.front().ip, r.hops.front().port);
    Hop& hop = r.hops.emplace_back();
    std::string refused_ip;
    Status s = FetchHop(c, o, current, static_cast<long>(left.count()), spool_dir, guard,
                        start_direct, &hop, &sniff, &refused_ip);
    if (!s.ok() && !refused_ip.empty()) {
      // Nothing was sent: the hop is not recorded; the redirect before it is the last.
      RemoveQuietly(o.env, hop.body_path);
      if (hop.payload_path != hop.body_path) RemoveQuietly(o.env, hop.payload_path);
      r.hops.pop_back();
      not_followed(current, HostOf(current) + " is at " + refused_ip +
                                ", an address of this machine or of a private network, and a "
                                "page on the internet may not lead a capture there (capture "
                                "it directly, or pass --allow-local-redirects)");
      break;
    }
    if (!s.ok()) return fail(s);
    if (hop.body_in_warc) {
      if (Status e = EndDirectBody(hop, direct.get()); !e.ok()) {
        return fail(e.WithContext("cannot write the WARC of " + url));
      }
    }
    r.status = hop.status;
    r.final_url = current;
    r.content_type = hop.content_type;
    if (hop.status >= 300 && hop.status < 400 && !hop.location.empty()) {
      // In the one form a URL is captured and recorded by, as the URL asked was.
      std::string target = NormalizeUrl(hop.location);
      if (HasUserinfo(target)) {
        // The WARC holds the Location as sent; the capture does not pass it on.
        not_followed(RedactUserinfo(target),
                     "it holds a user name or password (user:password@), which a capture "
                     "does not send");
        break;
      }
      if (Status u = CheckUrl(target); !u.ok()) {
        // A redirect somewhere we do not go (ftp:, a malformed target): recorded as it is.
        not_followed(hop.location, u.message());
        break;
      }
      current = std::move(target);
      continue;
    }
    break;
  }
  const Hop& last = r.hops.back();
  // 206 Partial Content is a piece of a file: kept in the WARC, never an item
  // (as for a web archive added; an item holds a whole file or nothing).
  // A transfer coding other than chunked alone leaves the payload unknown: as
  // for a web archive added, no item, and the note says why.
  if (last.status >= 200 && last.status < 300 && last.status != 206 && last.payload_size > 0 &&
      !last.transfer_note.empty()) {
    r.payload_note = last.transfer_note + ": no payload item; the WARC holds the response as sent";
  } else if (last.status >= 200 && last.status < 300 && last.status != 206 &&
             last.payload_size > 0) {
    r.payload_path = last.payload_path;
    r.payload_sha256 = last.payload_sha256;
    r.payload_size = last.payload_size;
    r.payload_head = std::move(sniff);
  }
  Status written =
      direct ? FinishDirectWarc(o, spool_dir, direct.get(), &r) : WriteWarc(o, spool_dir, &r);
  if (!written.ok()) return fail(written.WithContext("cannot write the WARC of " + url));
  cleanup_hops(/*keep_payload=*/true);
  if (!r.payload_path.empty()) {
    if (Status d = DecodePayload(o, spool_dir, last.response, &r); !d.ok()) {
      RemoveQuietly(o.env, r.payload_path);
      return fail(d.WithContext("cannot decode the payload of " + url));
    }
  }
  r.extraction_wanted = o.extractor == ExtractorMode::kYtDlp ||
                        (o.extractor == ExtractorMode::kAuto &&
                         (IsVideoPlatform(url) || IsVideoPlatform(r.final_url)));
  if (r.extraction_wanted) {
    ExtractOptions x;
    x.env = o.env;
    x.program = o.extractor_program;
    x.timeout_s = o.extractor_timeout_s;
    x.socket_timeout_s = std::max(o.connect_timeout_s, o.low_speed_time_s);
    x.max_size = o.max_size;
    x.proxy = o.proxy;
    r.extraction = Extract(url, x, spool_dir);
  }
  return r;
}

}  // namespace isnad::capture
