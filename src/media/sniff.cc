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

}  // namespace

std::string SniffMediaType(std::string_view head) {
  thread_local MagicHandle handle;
  if (handle.get() == nullptr) return "application/octet-stream";
  if (head.size() > kSniffBytes) head = head.substr(0, kSniffBytes);
  const char* type = magic_buffer(handle.get(), head.data(), head.size());
  if (type == nullptr || *type == '\0') return "application/octet-stream";
  return type;
}

}  // namespace isnad::media
