#include "warc/content_coding.h"

#include <zlib.h>

#include <algorithm>

#include "core/utf8.h"

namespace isnad::warc {
std::string_view TrimHttpSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

void AppendCodings(std::string_view value, std::vector<std::string>* codings) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    std::string c = core::AsciiLower(TrimHttpSpace(value.substr(0, comma)));
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    if (!c.empty() && c != "identity") codings->push_back(std::move(c));
  }
}

PayloadCoding ChoosePayloadCoding(const std::vector<std::string>& codings) {
  PayloadCoding out;
  if (codings.size() == 1 &&
      (codings[0] == "gzip" || codings[0] == "x-gzip" || codings[0] == "deflate")) {
    out.removed = codings[0];
  } else if (!codings.empty()) {
    std::string all;
    for (const std::string& c : codings) all += (all.empty() ? "" : ", ") + c;
    out.note = "Content-Encoding '" + all + "' is not removed: the payload is as sent";
  }
  return out;
}

BodyTransferCoding ChooseTransferCoding(const std::vector<std::string>& codings) {
  BodyTransferCoding out;
  if (codings.size() == 1 && codings[0] == "chunked") {
    out.chunked = true;
  } else if (!codings.empty()) {
    std::string all;
    for (const std::string& c : codings) all += (all.empty() ? "" : ", ") + c;
    out.note = "Transfer-Encoding '" + all + "' is not undone: the payload is not known";
  }
  return out;
}

std::vector<std::string> HeadCodings(std::string_view head, std::string_view name) {
  std::vector<std::string> codings;
  const std::string want = core::AsciiLower(name);
  size_t at = head.find('\n');  // after the status line
  while (at != std::string_view::npos && at + 1 < head.size()) {
    const size_t end = head.find('\n', at + 1);
    std::string_view line = head.substr(at + 1, end == std::string_view::npos ? end : end - at - 1);
    at = end;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    // No white space before the colon (RFC 9112 5.1): curl takes such a line
    // for no Transfer-Encoding, and frames the body without it.
    if (core::AsciiLower(line.substr(0, colon)) == want)
      AppendCodings(line.substr(colon + 1), &codings);
  }
  return codings;
}

std::string InvalidCodingNote(const std::string& coding) {
  return "the payload's Content-Encoding " + coding +
         " data is invalid, incomplete or followed by other bytes";
}

struct Inflater::Impl {
  z_stream zs{};
  bool ok = false, init = false, ended = false, raw = false, trailing = false;
  bool gzip = false;  // the data is gzip members, not a zlib stream
  uint64_t total_in = 0;
};

Inflater::Inflater() : impl_(std::make_unique<Impl>()) {
  // 15 + 32: zlib or gzip header, detected.
  impl_->ok = inflateInit2(&impl_->zs, 15 + 32) == Z_OK;
  impl_->init = impl_->ok;
}

Inflater::~Inflater() {
  if (impl_->init) inflateEnd(&impl_->zs);
}

bool Inflater::ok() const { return impl_->ok; }
bool Inflater::ended() const { return impl_->ended; }
bool Inflater::trailing() const { return impl_->trailing; }

bool Inflater::Feed(std::string_view in, const std::function<void(std::string_view)>& out) {
  Impl& z = *impl_;
  char buf[16384];
  auto gzip_magic = [](std::string_view s) {
    return !s.empty() && static_cast<unsigned char>(s[0]) == 0x1f;
  };
  // gzip (its magic 1f 8b) rather than zlib: told by the first byte.
  if (z.total_in == 0 && !z.raw && !in.empty()) z.gzip = gzip_magic(in);
  // Another gzip member after the end of one: inflated on.
  if (z.ended && z.gzip && gzip_magic(in)) {
    z.ended = inflateReset(&z.zs) != Z_OK;
    z.ok = !z.ended;
  }
  while (z.ok && !in.empty() && !z.ended) {
    z.zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.zs.avail_in = static_cast<uInt>(std::min<size_t>(in.size(), 1 << 30));
    const size_t given = z.zs.avail_in;
    z.zs.next_out = reinterpret_cast<Bytef*>(buf);
    z.zs.avail_out = sizeof buf;
    int rc = inflate(&z.zs, Z_NO_FLUSH);
    if (rc == Z_DATA_ERROR && !z.raw && z.total_in == 0) {
      // "deflate" without the zlib header, as some servers send it.
      inflateEnd(&z.zs);
      z.raw = true;
      z.init = z.ok = inflateInit2(&z.zs, -15) == Z_OK;
      continue;
    }
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) z.ok = false;
    const size_t used = given - z.zs.avail_in;
    z.total_in += used;
    in.remove_prefix(used);
    if (sizeof buf - z.zs.avail_out > 0) out(std::string_view(buf, sizeof buf - z.zs.avail_out));
    if (rc == Z_STREAM_END) {
      if (z.gzip && gzip_magic(in)) {
        if (inflateReset(&z.zs) != Z_OK) z.ok = false;
        continue;
      }
      z.ended = true;
    }
    if (rc == Z_BUF_ERROR && used == 0 && z.zs.avail_out != 0) break;
  }
  if (z.ended && !in.empty()) z.trailing = true;
  return z.ok;
}

}  // namespace isnad::warc
