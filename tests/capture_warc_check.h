// Test-only: reads a WARC file the capture module wrote, independently of
// src/warc (plain or one gzip member per record, with zlib), and recomputes
// every WARC-Block-Digest and WARC-Payload-Digest (sha256, base32).
#pragma once

#include <zlib.h>

#include <map>
#include <string>
#include <vector>

#include "core/digest.h"
#include "core/env.h"
#include "warc/base32.h"

namespace isnad::testing {

struct WarcRecord {
  std::map<std::string, std::string> fields;  // name as written -> (first) value
  std::vector<std::pair<std::string, std::string>> all_fields;
  // Every value of field `name`, in order.
  std::vector<std::string> Values(const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : all_fields) {
      if (k == name) out.push_back(v);
    }
    return out;
  }
  std::string block;
  std::string Field(const std::string& name) const {
    auto it = fields.find(name);
    return it == fields.end() ? "" : it->second;
  }
  // The HTTP body as sent: the block after its "\r\n\r\n".
  std::string Body() const {
    size_t end = block.find("\r\n\r\n");
    return end == std::string::npos ? "" : block.substr(end + 4);
  }
  // The payload: the body without chunked transfer coding when the head declares
  // that coding alone (one Transfer-Encoding line, "chunked"); otherwise the
  // body as sent (with another transfer coding the payload is not known, and
  // its digest is over the body as sent).
  std::string Payload() const {
    std::string body = Body();
    const std::string head = block.substr(0, block.find("\r\n\r\n") + 2);
    size_t lines = 0;
    for (size_t at = head.find("\r\nTransfer-Encoding:"); at != std::string::npos;
         at = head.find("\r\nTransfer-Encoding:", at + 1))
      ++lines;
    if (lines != 1 || head.find("\r\nTransfer-Encoding: chunked\r\n") == std::string::npos) {
      return body;
    }
    std::string out;
    size_t at = 0;
    while (at < body.size()) {
      size_t eol = body.find("\r\n", at);
      if (eol == std::string::npos) return "(malformed chunks)";
      size_t n = std::stoul(body.substr(at, eol - at), nullptr, 16);
      if (n == 0) return out;
      out += body.substr(eol + 2, n);
      at = eol + 2 + n + 2;
    }
    return "(unterminated chunks)";
  }
};

// Decompresses every gzip member of `data` in turn; counts the members.
inline std::string GunzipMembers(const std::string& data, int* members) {
  std::string out;
  size_t at = 0;
  *members = 0;
  while (at < data.size()) {
    z_stream zs{};
    if (inflateInit2(&zs, 15 + 16) != Z_OK) return "";
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + at));
    zs.avail_in = static_cast<uInt>(data.size() - at);
    char buf[65536];
    int rc;
    do {
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof buf;
      rc = inflate(&zs, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END) {
        inflateEnd(&zs);
        return "";
      }
      out.append(buf, sizeof buf - zs.avail_out);
    } while (rc != Z_STREAM_END);
    at += zs.total_in;
    inflateEnd(&zs);
    ++*members;
  }
  return out;
}

// Parses the records; appends what is wrong to `problems`.
inline std::vector<WarcRecord> ReadWarc(const std::string& path,
                                        std::vector<std::string>* problems) {
  std::vector<WarcRecord> out;
  auto raw = core::Env::Default()->ReadFile(path);
  if (!raw.ok()) {
    problems->push_back("cannot read " + path);
    return out;
  }
  std::string text = *raw;
  int members = 0;
  bool gz = text.size() > 2 && static_cast<unsigned char>(text[0]) == 0x1f &&
            static_cast<unsigned char>(text[1]) == 0x8b;
  if (gz) text = GunzipMembers(*raw, &members);
  size_t at = 0;
  while (at < text.size()) {
    size_t head_end = text.find("\r\n\r\n", at);
    if (text.compare(at, 10, "WARC/1.1\r\n") != 0 || head_end == std::string::npos) {
      problems->push_back("no WARC/1.1 record at offset " + std::to_string(at));
      return out;
    }
    WarcRecord r;
    size_t line = at + 10;
    while (line < head_end + 2) {
      size_t eol = text.find("\r\n", line);
      std::string l = text.substr(line, eol - line);
      size_t colon = l.find(": ");
      if (colon != std::string::npos) {
        // A repeated field (WARC-Protocol: h2, then tls/1.3) keeps its first value here;
        // all_fields has every one, in order.
        r.fields.emplace(l.substr(0, colon), l.substr(colon + 2));
        r.all_fields.emplace_back(l.substr(0, colon), l.substr(colon + 2));
      }
      line = eol + 2;
    }
    size_t length = std::stoull(r.Field("Content-Length"));
    r.block = text.substr(head_end + 4, length);
    at = head_end + 4 + length;
    if (text.compare(at, 4, "\r\n\r\n") != 0) problems->push_back("record not ended by CRLF CRLF");
    at += 4;
    auto digest = [](const std::string& s) {
      return "sha256:" + warc::Base32Encode(core::Sha256Of(s).View());
    };
    if (r.Field("WARC-Block-Digest") != digest(r.block)) {
      problems->push_back(r.Field("WARC-Type") + " block digest does not match");
    }
    if (!r.Field("WARC-Payload-Digest").empty() &&
        r.Field("WARC-Payload-Digest") != digest(r.Payload())) {
      problems->push_back(r.Field("WARC-Type") + " payload digest does not match");
    }
    out.push_back(std::move(r));
  }
  if (gz && members != static_cast<int>(out.size())) {
    problems->push_back(std::to_string(members) + " gzip members for " +
                        std::to_string(out.size()) + " records");
  }
  return out;
}

}  // namespace isnad::testing
