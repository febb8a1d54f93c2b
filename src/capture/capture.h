// Web capture: fetching one URL with libcurl and writing what the server sent
// as one WARC 1.1 file (ISO 28500:2017): warcinfo, then a request and a
// response record for every hop of the redirect chain (redirects are followed
// here, one request at a time, so each hop is recorded), then a metadata
// record with the resolved addresses, timings, TLS certificate chains and the
// hops. Bodies are kept in the WARC exactly as sent: Content-Encoding is never
// decoded there, and chunked transfer coding is kept in the record
// (WARC-Payload-Digest is over the body with it removed, as warcio and wget
// do; the payload item also has gzip or deflate Content-Encoding removed). Each
// body is streamed to a spool file (or, large, straight into the WARC) while
// both digests are computed, in constant memory. Knows nothing of the archive:
// the caller gives a folder (the archive's tmp/) and takes the files it gets
// back.
//
// Thread safety: Capture may run on many threads at once (one curl handle each).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "capture/extract.h"
#include "core/digest.h"
#include "core/env.h"
#include "core/status.h"

namespace isnad::capture {

// The largest Options::max_size: 1 PiB, within what log entries (2^53) and
// curl (2^63) can count.
inline constexpr uint64_t kMaxSizeLimit = uint64_t{1} << 50;

struct Options {
  core::Env* env = core::Env::Default();
  std::string user_agent = "isnad/0.1.0 (evidence capture)";
  // "http://host:port", "socks5h://127.0.0.1:9050" (Tor: names resolved by the
  // proxy), ... ; "" = none (curl's *_proxy environment variables are ignored).
  // Through an HTTP proxy every request goes in a CONNECT tunnel (http:// URLs
  // too), so what is recorded is what the server sent, never the proxy's answer.
  // Errors name the proxy (without any user:password in it).
  std::string proxy;
  // A PEM file of CA certificates to trust instead of the system's ("" = system).
  std::string ca_file;
  int connect_timeout_s = 15;
  // The whole capture, every hop together.
  int timeout_s = 120;
  // Slower than this many bytes a second for low_speed_time_s: give up (a
  // server that trickles or never answers).
  int low_speed_bytes = 100;
  int low_speed_time_s = 20;
  // The most body bytes of one response, at most kMaxSizeLimit.
  uint64_t max_size = uint64_t{2} << 30;
  int max_redirects = 20;
  // A redirect from a public address to an address of this machine or of a
  // private network (IsLocalAddress) is not followed unless this is set: a page
  // on the internet must not make the capture fetch from the investigator's own
  // network (a router's admin page, a cloud metadata service) into evidence
  // that may be shared. Checked on the address actually connected to, before
  // any byte is sent; not checked through a proxy (which resolves names itself).
  bool allow_local_redirects = false;
  // Tests only (their servers are all on 127.0.0.1): "ip:port" endpoints to take
  // as public addresses.
  std::vector<std::string> public_for_testing;
  // Records are gzipped (one member each, ".warc.gz") unless the bodies
  // together reach this size; then the file is a plain ".warc" (large media
  // does not compress, and deflate would be the slowest step by far).
  uint64_t gzip_below_bytes = uint64_t{64} << 20;
  // After the page is recorded (any status), run an external extractor
  // (extract.h) for the media: never, for known video platforms, or always.
  // The proxy and max_size above apply to it too.
  ExtractorMode extractor = ExtractorMode::kNone;
  std::string extractor_program = "yt-dlp";
  int extractor_timeout_s = 600;
};

// One request and its response.
struct Hop {
  std::string url;
  std::string date;  // WARC-Date of the request: RFC 3339 UTC, microseconds
  // Heads as sent and received; for HTTP/2 and /3 in HTTP/1.1 form (see
  // http_version and docs/formats/warc.md).
  std::string request;   // request head as sent
  std::string response;  // status line and headers as received
  std::string trailers;  // header lines after the body (HTTP/2), "" when none
  int status = 0;
  std::string http_version;  // "1.1", "2"
  std::string tls_version;   // "tls/1.3", "tls/1.2"; "" without TLS
  std::string tls_cipher;    // its IANA cipher suite name; "" without TLS
  std::string location;      // resolved redirect target, "" when none
  std::string content_type;  // the response's Content-Type, "" when none
  std::string ip;            // the address connected to (the proxy's, through one)
  long port = 0;
  // Seconds from the start of the hop, as curl measured them.
  double dns_s = 0, connect_s = 0, tls_s = 0, first_byte_s = 0, total_s = 0;
  std::vector<std::string> certificates;  // PEM, the server's first (https only)
  // The body as sent (chunked transfer coding kept: the WARC block is what
  // the server sent), spooled; and the payload, without transfer coding (the
  // same file unless chunked).
  std::string body_path;
  uint64_t body_size = 0;
  std::string payload_path;
  uint64_t payload_size = 0;
  core::Hash payload_sha256;  // of the payload
  core::Hash block_sha256;    // of response head + body as sent
  // A Transfer-Encoding other than chunked alone ("gzip, chunked"): why the
  // payload is not known (warc::ChooseTransferCoding); the payload is then the
  // body as sent, for its digest only. "" otherwise.
  std::string transfer_note;
  // The body went straight into the WARC as it came, with no spool file (one
  // large body of known length a capture, see Capture): then body_path and
  // payload_path are "".
  bool body_in_warc = false;
};

struct Result {
  std::string url;        // as asked
  std::string final_url;  // of the last hop
  std::string started;    // when the first request began: RFC 3339 UTC, milliseconds
  int status = 0;         // HTTP status of the last hop; 0 when none came
  // Why there is no capture (DNS, refused, timeout, over the size cap, too
  // many redirects ...); ok when a response was recorded, whatever its status.
  core::Status error;
  std::vector<Hop> hops;
  // When the last hop is a redirect that was not followed: why ("" otherwise).
  std::string redirect_not_followed;

  // When ok: the WARC file (in the spool folder; the caller takes it).
  std::string warc_path;
  core::Hash warc_sha256;
  uint64_t warc_size = 0;
  bool warc_gzip = true;
  // When the last hop is 2xx with a non-empty body: that body's spool file
  // (the caller takes it), its digest and size. Otherwise payload_path is "".
  // Chunked transfer coding is removed, and one gzip or deflate
  // Content-Encoding (warc/content_coding.h): the page or file as the user saw
  // it, the payload item a web archive added would give for the same response.
  std::string payload_path;
  core::Hash payload_sha256;
  uint64_t payload_size = 0;
  std::string payload_head;  // its first bytes (up to 64 KiB), for sniffing its type
  // The SHA-256 of that body before its Content-Encoding was removed: what
  // the response record's WARC-Payload-Digest is over. Set with payload_path,
  // and also when the body could not be decoded.
  core::Hash record_payload_sha256;
  // The coding removed ("gzip", "x-gzip", "deflate"), "" when none was.
  std::string content_encoding_removed;
  // Why the 2xx body is not the payload item, or is one as sent: its coding is
  // not one isnad removes (the item is the body as sent), or its coded data
  // is invalid, or decoded it passes max_size (no item: the WARC keeps the
  // response as sent). "" otherwise.
  std::string payload_note;
  std::string content_type;  // the last hop's Content-Type
  // When ok and the extractor was wanted for this URL: what it gave (its files
  // are the caller's to take, like the WARC's). Its failure is not the capture's.
  bool extraction_wanted = false;
  Extraction extraction;
};

// Checks that `url` is an absolute http:// or https:// URL that curl can parse,
// valid UTF-8 without spaces or control characters, with no user name or
// password in it (user:password@), at most 16 KiB (a longer redirect
// target is recorded, not followed).
// kInvalidArgument saying what is wrong otherwise.
core::Status CheckUrl(const std::string& url);

// Whether `url` holds a user name or password (user:password@host).
bool HasUserinfo(const std::string& url);

// `url` with its user name and password shown as "***" (http://***@host/),
// for messages; `url` itself when it holds neither.
std::string RedactUserinfo(const std::string& url);

// Whether the file at `path` holds a PEM certificate, as --ca-file must (curl
// reads it only when it first connects, so that each URL would fail with
// "error setting certificate file"): kInvalidArgument saying what is wrong.
core::Status CheckCaFile(const std::string& path);

// `url` in the one form it is captured, recorded and deduplicated by, the same
// URL by RFC 3986 6.2.2.1: its scheme in lower case ("HTTPS://" is "https://");
// for http(s), its host in lower case and its percent-escapes in upper case
// ("%c3%a9" is "%C3%A9"); and what a URI cannot hold escaped as RFC 3987 3.1
// maps an IRI to a URI ("café" is "caf%C3%A9"), so that WARC-Target-URI is a
// URI. A non-ASCII host, spaces, controls and bytes that are not UTF-8 are
// left as they are (CheckUrl refuses the last three).
std::string NormalizeUrl(std::string url);

// Whether `ip` (IPv4 or IPv6 text, as curl reports it) belongs to this machine
// or to a local or private network rather than the internet: unspecified,
// loopback, RFC 1918, shared (100.64/10), link-local, unique-local (fc00::/7),
// multicast, broadcast and reserved IPv4 (240/4), and the IPv4-mapped IPv6 forms
// of these. Text that is no address counts as local (refused, never guessed).
bool IsLocalAddress(const std::string& ip);

// Returns the host of an http(s) URL, lower-cased ("" when none).
std::string HostOf(const std::string& url);

// Fetches `url` and writes the WARC in `spool_dir` (which must exist, on the
// file system the caller will move the files within). Never throws, never
// hangs past the timeouts. On error nothing is left in `spool_dir`.
//
// Bodies are spooled, then copied into the WARC once their digests are known
// (its record header, written first, holds them). The first body of a capture
// that will make a plain WARC (Content-Length at least gzip_below_bytes, no
// chunked coding) is written straight into the WARC instead, after a header
// whose digests are filled in when it ends: a gigabyte is written once, not
// spooled, read back and written again; its payload file is then copied out of
// the WARC inside the kernel (copy_file_range) while the WARC's own SHA-256 is
// computed.
Result Capture(const std::string& url, const Options& options, const std::string& spool_dir);

// Deletes what a Result left in its spool folder (WARC, payload, extracted media), e.g.
// when the caller could not store them.
void Discard(core::Env* env, const Result& result);

}  // namespace isnad::capture
