// WARC 1.0/1.1 reading (ISO 28500), streaming and in constant memory whatever
// the record size. Reads plain files and files of one gzip member per record
// (refusing a whole file compressed as a single gzip member, which allows no
// random access, as warcio does). Lenient where warcio is: a WARC-Target-URI
// written as "<uri>" is unwrapped and spaces in it are percent-encoded; blank
// lines between records are skipped; a record whose Content-Length is wrong
// (or that is followed by bytes that are no record) is reported, without a
// payload for the sink's caller to keep as whole, and reading goes on at the
// next version line (in a gzip file, the next member that starts with one).
// A damaged gzip member (invalid data, a wrong CRC, cut short, or bytes that
// are not gzip) is a problem of the record it cut short (no payload then) or
// of the record before it, and reading goes on at the next member that starts
// with a version line.
// Every WARC-Block-Digest
// and WARC-Payload-Digest (sha1, sha256, sha512, md5, ...; base32, base16,
// base64 or base64url) is checked. The HTTP payload of request, response and
// revisit records starts after the HTTP headers; a payload digest over a
// chunked message is accepted over the bytes as sent or with the chunked
// transfer coding removed (tools differ). ARC files are refused.
// Not thread safe: one reader, one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "core/status.h"
#include "warc/writer.h"

namespace isnad::warc {

enum class DigestResult {
  kAbsent,            // no such field
  kPass,              // computed value equals the field
  kFail,              // it does not
  kUnknownAlgorithm,  // the field names no algorithm isnad knows, or is malformed
  kNotChecked,        // not checkable: a revisit's payload, a segment, a truncated record
};
std::string_view DigestResultName(DigestResult r);

struct DigestCheck {
  DigestResult result = DigestResult::kAbsent;
  std::string field;     // the field's value as written, e.g. "sha1:B2LT..."
  std::string computed;  // ours, in the field's algorithm and base32; empty when not computed
};

// What a check that is not kPass found, for a problem line after the field's
// name and value: "does not match the content (sha1:...)"; for a record cut
// short (nothing computed), that its content is not all there.
std::string DigestProblem(const DigestCheck& d);

struct Record {
  std::string version;        // "WARC/1.0", "WARC/1.1"
  std::vector<Field> fields;  // every named field as written, in order
  // The first field named `name` (ASCII case-insensitive), or nullptr.
  const std::string* Get(std::string_view name) const;

  // Parsed from the fields (empty when absent).
  std::string type;        // WARC-Type
  std::string record_id;   // WARC-Record-ID, e.g. "<urn:uuid:...>"
  std::string target_uri;  // WARC-Target-URI, unwrapped from <> and spaces as %20
  std::string date;        // WARC-Date
  std::string content_type;
  uint64_t content_length = 0;

  // Where the record lies in the file: for gzip, the compressed offset of the
  // gzip member it starts in; `length` runs to the next record (or the end).
  uint64_t offset = 0;
  uint64_t length = 0;

  // HTTP message (request, response and revisit records with an http(s) target).
  bool http = false;
  std::string http_start_line;      // "HTTP/1.1 200 OK", "GET / HTTP/1.1"
  int http_status = 0;              // responses: the status code
  std::vector<Field> http_headers;  // as written
  bool chunked = false;             // Transfer-Encoding: chunked
  // The payload: block[payload_offset..]; the whole block when not HTTP.
  uint64_t payload_offset = 0;
  // Content type of the payload: the HTTP Content-Type, or the record's.
  std::string payload_type;
  // The HTTP Content-Encoding removed from what the sink gets ("gzip",
  // "deflate"; empty when none was, e.g. "br" is passed on as sent).
  std::string content_encoding_removed;
  // Bytes given to the sink: the payload with chunked coding and gzip/deflate
  // content coding removed.
  uint64_t payload_size = 0;
  // True when the whole payload was read and decoded.
  bool payload_complete = false;
  // Why the payload handed on is incomplete or still encoded, when it is
  // (not a fault of the WARC: the server's own encoding may be broken).
  std::string payload_note;
  // The HTTP message has a transfer coding other than chunked alone ("gzip,
  // chunked"): well-formed, but its payload cannot be told apart from it.
  bool transfer_coded = false;

  DigestCheck block_digest;
  DigestCheck payload_digest;
  // Format problems other than digests (Content-Length wrong, gzip members
  // that do not match records, malformed HTTP or chunked coding, truncation).
  std::vector<std::string> problems;

  // True when no digest failed or was unknown and there was no problem.
  bool ok() const;
};

// Receives each record's payload while it is read.
class PayloadSink {
 public:
  virtual ~PayloadSink() = default;
  // Called after the record's named fields and HTTP headers are read (offset,
  // length, digests and problems are not known yet). Return false to skip.
  virtual bool Begin(const Record& record) = 0;
  // The payload in order, with chunked transfer coding and gzip/deflate
  // content coding removed. An error ends reading with that error.
  virtual core::Status Data(std::string_view bytes) = 0;
};

class Reader {
 public:
  // Reads from `in` (not owned; must outlive the reader), plain or gzip.
  explicit Reader(core::SequentialFile* in);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Reads the next record into `*out` (its payload to `sink` when given).
  // Returns false at the end of the file. Errors end the file (kIntegrity,
  // naming the offset): not a WARC, an ARC file, a whole-file gzip member,
  // gzip data with no intact record at all, a header over 1 MiB, no
  // Content-Length. A record that is merely wrong (digest, length, damaged
  // gzip data in or after it) is returned with its problems.
  core::StatusOr<bool> Next(Record* out, PayloadSink* sink = nullptr);

  // True when the file is gzip-compressed (known after the first Next).
  bool gzip() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Checks a WARC digest field value ("algo:value", value in base32, base16,
// base64 or base64url) against raw digest bytes `raw` made with `algorithm`.
bool DigestMatches(std::string_view field_value, std::string_view raw);

// Streaming digest of a WARC digest field's algorithm ("sha1", "sha256",
// "sha512", "md5", ...; OpenSSL names, case-insensitive, "sha-1" too).
class Digester {
 public:
  // Returns nullptr when the algorithm is unknown.
  static std::unique_ptr<Digester> ForField(std::string_view field_value);
  ~Digester();
  void Update(std::string_view data);
  std::string FinishRaw();  // raw digest bytes; call once
  const std::string& algorithm() const { return algorithm_; }

 private:
  Digester() = default;
  std::string algorithm_;
  void* ctx_ = nullptr;  // EVP_MD_CTX
};

}  // namespace isnad::warc
