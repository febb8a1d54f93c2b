// WARC 1.1 writing (ISO 28500:2017, https://iipc.github.io/warc-specifications/).
// One record at a time; with gzip on, each record is its own gzip member, so a
// reader can seek to any record (the form warcio, wget and pywb write). The
// writer fills in WARC-Record-ID, Content-Length and the sha256 digests; the
// caller gives everything else. Not thread safe: one writer, one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/digest.h"
#include "core/env.h"
#include "core/status.h"

namespace isnad::warc {

// A WARC named field, in the order it is written.
struct Field {
  std::string name;
  std::string value;
};

// The named fields of one record, without the version line, Content-Length,
// WARC-Record-ID or digests (the writer adds those).
struct RecordFields {
  std::string type;          // WARC-Type: warcinfo, request, response, metadata, resource, ...
  std::string target_uri;    // WARC-Target-URI; empty for warcinfo
  std::string date;          // WARC-Date, e.g. "2026-11-29T16:13:44.123456Z"
  std::string content_type;  // Content-Type of the block, e.g. "application/http;msgtype=response"
  std::vector<Field> extra;  // any other fields (WARC-Concurrent-To, WARC-IP-Address, ...)
};

// "sha256:" + RFC 4648 base32 of the digest (upper case, padded), the form
// warcio and pywb read for WARC-Block-Digest and WARC-Payload-Digest.
std::string DigestField(const core::Hash& sha256);

// A new "<urn:uuid:...>" record id (random version-4 UUID).
std::string NewRecordId();

class Writer {
 public:
  // Writes to `out` (not owned; must outlive the writer). `gzip`: one gzip
  // member per record.
  Writer(core::WritableFile* out, bool gzip);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Writes a record whose whole block is in memory. When `payload_offset` is
  // given (e.g. the end of the HTTP headers in a response block), the payload
  // is block[payload_offset..] and WARC-Payload-Digest is written too.
  // `record_id` is the WARC-Record-ID to use; empty: a new one. Returns the id.
  core::StatusOr<std::string> Write(const RecordFields& fields, std::string_view block,
                                    std::optional<size_t> payload_offset = std::nullopt,
                                    std::string record_id = "");

  // Writes a record whose block is `prefix` (in memory, e.g. HTTP status line
  // and headers) followed by `body_size` bytes read from `body` (e.g. a spooled
  // response body), in constant memory. The caller computed the digests while
  // spooling: `block_digest` = SHA-256(prefix + body), `payload_digest` =
  // SHA-256(body) or nullopt for no WARC-Payload-Digest. If `body` ends early
  // or holds more: kIntegrity (isnad has no kDataLoss), and nothing more is written by this writer.
  core::StatusOr<std::string> WriteStreamed(const RecordFields& fields, std::string_view prefix,
                                            core::SequentialFile* body, uint64_t body_size,
                                            const core::Hash& block_digest,
                                            std::optional<core::Hash> payload_digest,
                                            std::string record_id = "");

  // A record whose body is too large to pass through twice: the caller appends
  // it to `out` itself as it arrives, before its digests are known. A plain
  // writer only (not gzip), on an `out` that was empty when the writer was made
  // and can WriteAt. BeginRecord writes the header, its digests still zeros, and
  // `prefix`; the caller then appends exactly `body_size` bytes to `out`;
  // EndRecord writes the record's end and the digests into the header. Until
  // then the file is not a valid WARC, and nothing else may be written.
  struct OpenRecord {
    RecordFields fields;
    std::string record_id;
    uint64_t header_offset = 0;  // where the record starts in `out`
    uint64_t body_offset = 0;    // where the caller's bytes start
    uint64_t prefix_size = 0;
    uint64_t body_size = 0;
    bool payload_digest = false;
  };
  core::StatusOr<OpenRecord> BeginRecord(const RecordFields& fields, std::string_view prefix,
                                         uint64_t body_size, bool payload_digest,
                                         std::string record_id = "");
  core::Status EndRecord(const OpenRecord& record, const core::Hash& block_digest,
                         std::optional<core::Hash> payload_digest);

  // Bytes written to `out` so far (compressed bytes when gzip), the caller's
  // bytes of an open record counted once it ends.
  uint64_t bytes_written() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace isnad::warc
