#include "media/sniff.h"

#include <magic.h>

#include "core/utf8.h"

namespace isnad::media {
namespace {

class MagicHandle {
 public:
  MagicHandle() : cookie_(magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_ERROR)) {
    if (cookie_ != nullptr && magic_load(cookie_, nullptr) != 0) {
      magic_close(cookie_);
      cookie_ = nullptr;
    }
  }
  ~MagicHandle() {
    if (cookie_ != nullptr) magic_close(cookie_);
  }
  magic_t get() const { return cookie_; }

 private:
  magic_t cookie_;
};

bool At(std::string_view head, size_t offset, std::string_view bytes) {
  return head.size() >= offset + bytes.size() && head.substr(offset, bytes.size()) == bytes;
}

// ISO base media files: "ftyp" at offset 4, then the major brand. Only brands
// whose libmagic answer does not depend on anything further are listed.
std::string_view IsoBrand(std::string_view head) {
  if (!At(head, 4, "ftyp") || head.size() < 12) return "";
  std::string_view brand = head.substr(8, 4);
  if (brand == "isom" || brand == "iso2" || brand == "mp41" || brand == "mp42" || brand == "avc1" ||
      brand == "dash") {
    return "video/mp4";
  }
  if (brand == "qt  ") return "video/quicktime";
  return "";
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// UTF-8 text without control characters but tab, line feed, carriage return
// and form feed: text in libmagic's sense too (its "t" rules). A sequence cut
// short by the end of the head counts, as it does for libmagic.
bool IsUtf8Text(std::string_view head) {
  for (size_t back = 1; back <= 3 && back <= head.size(); ++back) {
    auto c = static_cast<unsigned char>(head[head.size() - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    const size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (len > back) head.remove_suffix(back);
    break;
  }
  bool text = true;
  const bool utf8 = core::ForEachCodePoint(head, [&text](uint32_t cp) {
    if ((cp < 0x20 && !IsSpace(static_cast<char>(cp))) || cp == 0x7F) text = false;
  });
  return utf8 && text;
}

// An HTML document: after an optional UTF-8 byte order mark and white space,
// the HTML doctype, and nothing but text. libmagic's "HTML document text"
// rule (Magdir/sgml) answers text/html for these too, after walking the rest
// of its database (about 400 µs for a 1 KB page), unless a PDF header stands
// in the first KiB (PDF readers accept one there, so libmagic says PDF: the
// page may be a PDF too, and is left to it).
bool IsHtmlDocument(std::string_view head) {
  if (head.substr(0, 1024).find("%PDF-") != std::string_view::npos) return false;
  std::string_view rest = head;
  if (rest.starts_with("\xef\xbb\xbf")) rest.remove_prefix(3);
  while (!rest.empty() && IsSpace(rest.front())) rest.remove_prefix(1);
  // libmagic looks for the doctype in the first 4 KiB only; a start in the
  // first KiB is well inside that.
  if (head.size() - rest.size() > 1024) return false;
  constexpr std::string_view kDoctype = "<!doctype html";
  if (rest.size() <= kDoctype.size()) return false;
  if (core::AsciiLower(rest.substr(0, kDoctype.size())) != kDoctype) return false;
  const char after = rest[kDoctype.size()];
  if (after != '>' && !IsSpace(after)) return false;
  return IsUtf8Text(head);
}

}  // namespace

std::string_view SniffSignature(std::string_view head) {
  using namespace std::string_view_literals;
  // Each row is what libmagic answers for these leading bytes; media_test
  // feeds every row to libmagic and compares.
  if (At(head, 0, "\xff\xd8\xff"sv)) return "image/jpeg";
  if (At(head, 0, "\x89PNG\r\n\x1a\n"sv)) return "image/png";
  if (At(head, 0, "GIF87a"sv) || At(head, 0, "GIF89a"sv)) return "image/gif";
  if (At(head, 0, "%PDF-"sv)) return "application/pdf";
  if (At(head, 0, "RIFF"sv)) {
    if (At(head, 8, "WEBPVP8"sv)) return "image/webp";
    if (At(head, 8, "WAVEfmt "sv)) return "audio/x-wav";
    if (At(head, 8, "AVI LIST"sv)) return "video/x-msvideo";
    return "";
  }
  if (At(head, 0, "II*\0"sv) || At(head, 0, "MM\0*"sv)) return "image/tiff";
  if (At(head, 0, "fLaC"sv)) return "audio/flac";
  if (std::string_view brand = IsoBrand(head); !brand.empty()) return brand;
  if (head.size() > kSniffBytes) head = head.substr(0, kSniffBytes);  // as libmagic sees it
  return IsHtmlDocument(head) ? "text/html" : "";
}

std::string SniffWithLibmagic(std::string_view head) {
  thread_local MagicHandle handle;
  if (handle.get() == nullptr) return "application/octet-stream";
  if (head.size() > kSniffBytes) head = head.substr(0, kSniffBytes);
  const char* type = magic_buffer(handle.get(), head.data(), head.size());
  if (type == nullptr || *type == '\0') return "application/octet-stream";
  return type;
}

std::string SniffMediaType(std::string_view head) {
  std::string_view known = SniffSignature(head);
  if (!known.empty()) return std::string(known);
  return SniffWithLibmagic(head);
}

}  // namespace isnad::media
