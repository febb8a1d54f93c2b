#include "core/utf8.h"

namespace isnad::core {

std::string LossyUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    // Longest valid prefix from i, then one replacement for the byte that stops it.
    size_t valid = 0;
    std::string_view rest = s.substr(i);
    size_t at = 0;
    ForEachCodePoint(rest, [&](uint32_t cp) {
      at += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      valid = at;
    });
    out.append(rest.substr(0, valid));
    i += valid;
    if (i < s.size()) {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

}  // namespace isnad::core
