// Test helpers for the warc tests, the web-archive import tests and the warc
// fuzz target. StringSource: a core::SequentialFile over bytes in memory whose
// reads hand back at most `step` bytes at a time, so that readers see records,
// gzip members and HTTP headers split across reads as they would be from a slow
// file. Compressed: bytes as one gzip member (a WARC written one member per
// record) or a zlib stream (HTTP "Content-Encoding: deflate"). ResourceWarc,
// WriteZip and WaczOf: WARCs and WACZ packages made in a test.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/canonical_json.h"
#include "core/digest.h"
#include "core/env.h"
#include "core/utf8.h"
#include "warc/base32.h"

namespace isnad::warc::testing {

class StringSource : public core::SequentialFile {
 public:
  explicit StringSource(std::string data, size_t step = size_t{1} << 20)
      : data_(std::move(data)), step_(step) {}
  core::StatusOr<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min({n, step_, data_.size() - pos_});
    std::copy_n(data_.data() + pos_, k, buf);
    pos_ += k;
    return k;
  }

 private:
  std::string data_;
  size_t pos_ = 0;
  size_t step_;
};

// `data` compressed by zlib: as one gzip member when `gzip`, else as a zlib
// stream. Empty when zlib fails (it does not, short of memory).
inline std::string Compressed(const std::string& data, bool gzip) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, gzip ? 31 : 15, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK)
    return "";
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(rc == Z_STREAM_END ? zs.total_out : 0);
  deflateEnd(&zs);
  return out;
}

// A plain WARC of `n` resource records, numbered from `first`, each with its
// WARC-Block-Digest.
inline std::string ResourceWarc(int n, int first = 0) {
  std::string out;
  for (int i = first; i < first + n; ++i) {
    const std::string body = "<p>record " + std::to_string(i) + "</p>" + std::string(200, 'x');
    char id[64];
    std::snprintf(id, sizeof id, "<urn:uuid:00000000-0000-0000-0000-%012d>", i);
    out += "WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: " + std::string(id) +
           "\r\nWARC-Date: 2013-08-21T02:00:00Z\r\nWARC-Target-URI: http://example.org/" +
           std::to_string(i) +
           "\r\nWARC-Block-Digest: sha256:" + Base32Encode(core::Sha256Of(body).View()) +
           "\r\nContent-Type: text/html\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body + "\r\n\r\n";
  }
  return out;
}

using ZipMembers = std::vector<std::pair<std::string, std::string>>;

// Writes `members` as a ZIP at `path` with libarchive (deflated, or stored);
// false when libarchive fails.
inline bool WriteZip(const std::string& path, const ZipMembers& members, bool store = false) {
  std::unique_ptr<::archive, decltype(&archive_write_free)> a(archive_write_new(),
                                                              archive_write_free);
  if (archive_write_set_format_zip(a.get()) != ARCHIVE_OK) return false;
  if (store && archive_write_set_options(a.get(), "zip:compression=store") != ARCHIVE_OK)
    return false;
  if (archive_write_open_filename(a.get(), path.c_str()) != ARCHIVE_OK) return false;
  for (const auto& [name, bytes] : members) {
    std::unique_ptr<::archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(),
                                                                      archive_entry_free);
    core::ScopedUtf8Locale utf8;  // names as UTF-8, whatever the test's locale
    archive_entry_set_pathname_utf8(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(bytes.size()));
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK ||
        archive_write_data(a.get(), bytes.data(), bytes.size()) !=
            static_cast<la_ssize_t>(bytes.size()))
      return false;
  }
  return archive_write_close(a.get()) == ARCHIVE_OK;
}

// A valid WACZ's members: `warcs` (archive/...), a page list and an index,
// then datapackage.json listing each with its sha256 and size.
inline ZipMembers WaczOf(ZipMembers warcs) {
  ZipMembers members = std::move(warcs);
  members.emplace_back("pages/pages.jsonl", "{\"format\": \"json-pages-1.0\"}\n");
  members.emplace_back("indexes/index.cdx", "org,example)/ 20130821020000 {}\n");
  core::Json dp = {{"profile", "data-package"}, {"wacz_version", "1.1.1"}};
  dp["resources"] = core::Json::array();
  for (const auto& [name, bytes] : members)
    dp["resources"].push_back({{"name", name},
                               {"path", name},
                               {"hash", "sha256:" + core::Sha256Of(bytes).Hex()},
                               {"bytes", bytes.size()}});
  members.emplace_back("datapackage.json", dp.dump());
  return members;
}

}  // namespace isnad::warc::testing
