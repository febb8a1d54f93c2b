// WARC 1.1 writer: see writer.h.
#include "warc/writer.h"

#include <openssl/rand.h>
#include <zlib.h>

#include <array>
#include <cstring>
#include <memory>

#include "warc/base32.h"

namespace isnad::warc {
namespace {

constexpr size_t kChunk = 1 << 16;

std::string HeaderBlock(const RecordFields& f, const std::string& id, uint64_t content_length,
                        const core::Hash& block_digest,
                        const std::optional<core::Hash>& payload_digest) {
  std::string h = "WARC/1.1\r\n";
  auto add = [&h](std::string_view name, std::string_view value) {
    h.append(name).append(": ").append(value).append("\r\n");
  };
  add("WARC-Type", f.type);
  add("WARC-Record-ID", id);
  add("WARC-Date", f.date);
  if (!f.target_uri.empty()) add("WARC-Target-URI", f.target_uri);
  for (const Field& e : f.extra) add(e.name, e.value);
  add("WARC-Block-Digest", DigestField(block_digest));
  if (payload_digest) add("WARC-Payload-Digest", DigestField(*payload_digest));
  if (!f.content_type.empty()) add("Content-Type", f.content_type);
  add("Content-Length", std::to_string(content_length));
  h += "\r\n";
  return h;
}

// Rejects field values that would break the header (CR or LF inside).
core::Status CheckFields(const RecordFields& f) {
  auto bad = [](std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; };
  if (f.type.empty()) return core::InvalidArgument("WARC record without a WARC-Type");
  if (f.date.empty()) return core::InvalidArgument("WARC record without a WARC-Date");
  if (bad(f.type) || bad(f.target_uri) || bad(f.date) || bad(f.content_type))
    return core::InvalidArgument("a WARC header value holds a line break");
  for (const Field& e : f.extra) {
    if (e.name.empty() || bad(e.value) || e.name.find_first_of(":\r\n \t") != std::string::npos)
      return core::InvalidArgument("bad WARC header field name or value: '" + e.name + "'");
  }
  return core::Status::Ok();
}

}  // namespace

std::string DigestField(const core::Hash& sha256) {
  return "sha256:" + Base32Encode(sha256.View());
}

std::string NewRecordId() {
  std::array<uint8_t, 16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    // RAND_bytes only fails when the OS has no entropy source; fall back to the
    // digest of the address and a counter, still unique within this process.
    static uint64_t counter = 0;
    std::string seed = std::to_string(++counter) + std::to_string(reinterpret_cast<uintptr_t>(&b));
    core::Hash h = core::Sha256Of(seed);
    std::memcpy(b.data(), h.bytes.data(), b.size());
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  static const char* kHex = "0123456789abcdef";
  std::string s = "<urn:uuid:";
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += kHex[b[i] >> 4];
    s += kHex[b[i] & 15];
  }
  s += '>';
  return s;
}

struct Writer::Impl {
  core::WritableFile* out;
  bool gzip;
  uint64_t written = 0;
  bool failed = false;
  bool open = false;  // between BeginRecord and EndRecord
  z_stream zs{};
  bool zs_ready = false;  // zs initialized (deflateInit2 done, deflateEnd not)

  core::Status Raw(std::string_view data) {
    core::Status s = out->Append(data);
    if (!s.ok()) {
      failed = true;
      return s;
    }
    written += data.size();
    return core::Status::Ok();
  }

  core::Status Begin() {
    if (!gzip) return core::Status::Ok();
    // One deflate state for every member, reset between them: zlib documents
    // deflateReset as deflateEnd + deflateInit without freeing and allocating
    // its ~270 KB again (the same bytes out), which for the four small records
    // of a captured page cost more than compressing them.
    if (zs_ready) {
      if (deflateReset(&zs) != Z_OK) {
        failed = true;
        return core::Internal("zlib deflateReset failed");
      }
    } else {
      std::memset(&zs, 0, sizeof zs);
      // windowBits 15 + 16: gzip wrapper.
      if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
          Z_OK) {
        failed = true;
        return core::Internal("zlib deflateInit2 failed");
      }
      zs_ready = true;
    }
    return core::Status::Ok();
  }

  core::Status Deflate(std::string_view data, int flush) {
    std::array<char, kChunk> buf;
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    int rc;
    do {
      zs.next_out = reinterpret_cast<Bytef*>(buf.data());
      zs.avail_out = static_cast<uInt>(buf.size());
      rc = deflate(&zs, flush);
      if (rc == Z_STREAM_ERROR) {
        failed = true;
        return core::Internal("zlib deflate failed");
      }
      size_t have = buf.size() - zs.avail_out;
      if (have > 0) ISNAD_RETURN_IF_ERROR(Raw({buf.data(), have}));
    } while (zs.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    return core::Status::Ok();
  }

  core::Status Put(std::string_view data) {
    if (!gzip) return Raw(data);
    // Feed in pieces so avail_in (uInt) never overflows.
    while (!data.empty()) {
      std::string_view piece = data.substr(0, size_t{1} << 30);
      ISNAD_RETURN_IF_ERROR(Deflate(piece, Z_NO_FLUSH));
      data.remove_prefix(piece.size());
    }
    return core::Status::Ok();
  }

  core::Status End() {
    if (!gzip) return core::Status::Ok();
    core::Status s = Deflate({}, Z_FINISH);
    return s;
  }

  ~Impl() {
    if (zs_ready) deflateEnd(&zs);
  }
};

Writer::Writer(core::WritableFile* out, bool gzip) : impl_(std::make_unique<Impl>()) {
  impl_->out = out;
  impl_->gzip = gzip;
}

Writer::~Writer() = default;

uint64_t Writer::bytes_written() const { return impl_->written; }

core::StatusOr<std::string> Writer::Write(const RecordFields& fields, std::string_view block,
                                          std::optional<size_t> payload_offset,
                                          std::string record_id) {
  if (impl_->failed) return core::FailedPrecondition("WARC writer failed earlier; nothing written");
  ISNAD_RETURN_IF_ERROR(CheckFields(fields));
  if (payload_offset && *payload_offset > block.size())
    return core::InvalidArgument("WARC payload offset is past the end of the block");
  if (record_id.empty()) record_id = NewRecordId();
  core::Hash block_digest = core::Sha256Of(block);
  std::optional<core::Hash> payload_digest;
  if (payload_offset) payload_digest = core::Sha256Of(block.substr(*payload_offset));
  std::string header = HeaderBlock(fields, record_id, block.size(), block_digest, payload_digest);
  ISNAD_RETURN_IF_ERROR(impl_->Begin());
  ISNAD_RETURN_IF_ERROR(impl_->Put(header));
  ISNAD_RETURN_IF_ERROR(impl_->Put(block));
  ISNAD_RETURN_IF_ERROR(impl_->Put("\r\n\r\n"));
  ISNAD_RETURN_IF_ERROR(impl_->End());
  return record_id;
}

core::StatusOr<std::string> Writer::WriteStreamed(const RecordFields& fields,
                                                  std::string_view prefix,
                                                  core::SequentialFile* body, uint64_t body_size,
                                                  const core::Hash& block_digest,
                                                  std::optional<core::Hash> payload_digest,
                                                  std::string record_id) {
  if (impl_->failed) return core::FailedPrecondition("WARC writer failed earlier; nothing written");
  ISNAD_RETURN_IF_ERROR(CheckFields(fields));
  if (record_id.empty()) record_id = NewRecordId();
  std::string header =
      HeaderBlock(fields, record_id, prefix.size() + body_size, block_digest, payload_digest);
  ISNAD_RETURN_IF_ERROR(impl_->Begin());
  ISNAD_RETURN_IF_ERROR(impl_->Put(header));
  ISNAD_RETURN_IF_ERROR(impl_->Put(prefix));
  std::unique_ptr<char[]> buf(new char[kChunk]);
  uint64_t left = body_size;
  while (left > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(left, kChunk));
    core::StatusOr<size_t> n = body->Read(buf.get(), want);
    if (!n.ok()) {
      impl_->failed = true;
      return n.status().WithContext("reading the WARC record body");
    }
    if (*n == 0) {
      impl_->failed = true;
      return core::Integrity("WARC record body ended " + std::to_string(left) +
                             " bytes early; the WARC file is incomplete");
    }
    ISNAD_RETURN_IF_ERROR(impl_->Put({buf.get(), *n}));
    left -= *n;
  }
  char extra;
  core::StatusOr<size_t> more = body->Read(&extra, 1);
  if (!more.ok() || *more != 0) {
    impl_->failed = true;
    return core::Integrity("WARC record body holds more than the " + std::to_string(body_size) +
                           " bytes announced; the WARC file is incomplete");
  }
  ISNAD_RETURN_IF_ERROR(impl_->Put("\r\n\r\n"));
  ISNAD_RETURN_IF_ERROR(impl_->End());
  return record_id;
}

core::StatusOr<Writer::OpenRecord> Writer::BeginRecord(const RecordFields& fields,
                                                       std::string_view prefix, uint64_t body_size,
                                                       bool payload_digest, std::string record_id) {
  if (impl_->failed) return core::FailedPrecondition("WARC writer failed earlier; nothing written");
  if (impl_->gzip) {
    return core::InvalidArgument("a record whose body the caller appends cannot be gzipped");
  }
  ISNAD_RETURN_IF_ERROR(CheckFields(fields));
  // The zero digests take exactly the room of the real ones (DigestField is fixed-width).
  if (core::Status probe = impl_->out->WriteAt(impl_->written, {}); !probe.ok()) return probe;
  OpenRecord r;
  r.fields = fields;
  r.record_id = record_id.empty() ? NewRecordId() : std::move(record_id);
  r.header_offset = impl_->written;
  r.prefix_size = prefix.size();
  r.body_size = body_size;
  r.payload_digest = payload_digest;
  std::optional<core::Hash> zero_payload;
  if (payload_digest) zero_payload = core::Hash{};
  const std::string header =
      HeaderBlock(fields, r.record_id, prefix.size() + body_size, core::Hash{}, zero_payload);
  ISNAD_RETURN_IF_ERROR(impl_->Put(header));
  ISNAD_RETURN_IF_ERROR(impl_->Put(prefix));
  r.body_offset = impl_->written;
  // Nothing else may be written until EndRecord.
  impl_->failed = true;
  impl_->open = true;
  return r;
}

core::Status Writer::EndRecord(const OpenRecord& r, const core::Hash& block_digest,
                               std::optional<core::Hash> payload_digest) {
  if (!impl_->open) return core::FailedPrecondition("no WARC record is open");
  if (payload_digest.has_value() != r.payload_digest) {
    return core::InvalidArgument("the WARC record was begun with a different set of digests");
  }
  impl_->open = false;
  impl_->failed = false;
  impl_->written += r.body_size;
  ISNAD_RETURN_IF_ERROR(impl_->Put("\r\n\r\n"));
  const std::string header =
      HeaderBlock(r.fields, r.record_id, r.prefix_size + r.body_size, block_digest, payload_digest);
  core::Status s = impl_->out->WriteAt(r.header_offset, header);
  if (!s.ok()) impl_->failed = true;
  return s;
}

}  // namespace isnad::warc
