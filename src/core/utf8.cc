#include "core/utf8.h"

#include <fmt/format.h>
#include <locale.h>

namespace isnad::core {

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

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

void TruncateUtf8(std::string& s, size_t max_bytes) {
  if (s.size() <= max_bytes) return;
  size_t cut = max_bytes;
  // Back off continuation bytes (10xxxxxx) to the start of the sequence cut in two.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
}

std::string Printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto b = [&s](size_t at) { return static_cast<unsigned char>(s[at]); };
  for (size_t i = 0; i < s.size(); ++i) {
    if (b(i) < 0x20 || b(i) == 0x7f) {
      out += fmt::format("\\x{:02x}", b(i));
      continue;
    }
    // C1 controls (U+0080..U+009F), UTF-8 C2 80..C2 9F: some terminals act on them.
    if (b(i) == 0xc2 && i + 1 < s.size() && b(i + 1) >= 0x80 && b(i + 1) <= 0x9f) {
      out += fmt::format("\\u{:04x}", b(i + 1));
      i += 1;
      continue;
    }
    // Bidirectional embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069):
    // a name holding one could reorder the ids and dates printed after it.
    if (b(i) == 0xe2 && i + 2 < s.size() &&
        ((b(i + 1) == 0x80 && b(i + 2) >= 0xaa && b(i + 2) <= 0xae) ||
         (b(i + 1) == 0x81 && b(i + 2) >= 0xa6 && b(i + 2) <= 0xa9))) {
      const unsigned code = 0x2000 + ((b(i + 1) & 0x3fu) << 6) + (b(i + 2) & 0x3fu);
      out += fmt::format("\\u{:04x}", code);
      i += 2;
      continue;
    }
    out.push_back(s[i]);
  }
  return out;
}

namespace {
locale_t Utf8Ctype() {
  static const locale_t kLocale = [] {
    locale_t l = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    if (l == nullptr) l = newlocale(LC_CTYPE_MASK, "C.utf8", static_cast<locale_t>(nullptr));
    return l;  // kept for the life of the process
  }();
  return kLocale;
}
}  // namespace

ScopedUtf8Locale::ScopedUtf8Locale() {
  if (locale_t l = Utf8Ctype()) previous_ = uselocale(l);
}

ScopedUtf8Locale::~ScopedUtf8Locale() {
  if (previous_ != nullptr) uselocale(static_cast<locale_t>(previous_));
}

}  // namespace isnad::core
