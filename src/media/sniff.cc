#include "media/sniff.h"

#include <magic.h>

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
  return IsoBrand(head);
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
