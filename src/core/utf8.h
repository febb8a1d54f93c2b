// UTF-8 checks for text that becomes JSON (entries, output). File names are
// bytes and may be in any encoding; entries must be UTF-8. Thread safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace isnad::core {

// Calls `fn(code point)` for each code point of `s`. Returns false at the first
// invalid sequence (bad lead or continuation byte, overlong form, surrogate, a
// value past U+10FFFF); `fn` has then been called for the code points before it.
template <typename Fn>
bool ForEachCodePoint(std::string_view s, Fn&& fn) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80             ? 1
                 : (c & 0xE0) == 0xC0 ? 2
                 : (c & 0xF0) == 0xE0 ? 3
                 : (c & 0xF8) == 0xF0 ? 4
                                      : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    fn(cp);
    i += len;
  }
  return true;
}

// Returns true when `s` is valid UTF-8.
inline bool IsValidUtf8(std::string_view s) {
  return ForEachCodePoint(s, [](uint32_t) {});
}

// Appends the UTF-8 encoding of code point `cp` (at most U+10FFFF) to `out`.
void AppendUtf8(std::string& out, uint32_t cp);

// Returns `s` with each byte that is not part of a valid UTF-8 sequence
// replaced by U+FFFD, for display. `s` itself when it is valid.
std::string LossyUtf8(std::string_view s);

// Makes `s` safe to print on a terminal: control characters (a file name may
// hold any byte but '/' and NUL) are shown as \xNN; the C1 controls (U+0080..U+009F:
// U+009B starts a terminal escape sequence) and the bidi embedding, override and
// isolate controls (U+202A..U+202E, U+2066..U+2069) as \u202e: in a name they would
// reorder what a terminal shows after them (ids, dates, other names). For messages
// that quote what a hostile input chose (a file name, a server's text).
std::string Printable(std::string_view s);

// Shortens `s` to at most `max_bytes` without cutting a UTF-8 sequence in two: a cut
// inside one moves back to its lead byte. Valid UTF-8 stays valid.
void TruncateUtf8(std::string& s, size_t max_bytes);

// `s` with the ASCII letters A-Z lowered; every other byte (UTF-8 included) as it is.
// For the case-insensitive parts of protocols: schemes, header and file names, hex.
inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// `s` without the ASCII spaces, tabs, CRs and LFs around it: a line as pasted or
// saved (a key copied with its indent, a file with Windows line ends).
inline std::string_view StripAsciiSpace(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// While alive, this thread's LC_CTYPE is C.UTF-8 (uselocale(3); the process
// locale is untouched), so that libarchive reads and writes UTF-8 entry names (ZIP and tar: bags,
// WACZ packages)
// whatever locale the program runs in: in the "C" locale it cannot convert a
// non-ASCII name (and its pax writer crashes on one). A no-op where the C
// library has no C.UTF-8.
class ScopedUtf8Locale {
 public:
  ScopedUtf8Locale();
  ~ScopedUtf8Locale();
  ScopedUtf8Locale(const ScopedUtf8Locale&) = delete;
  ScopedUtf8Locale& operator=(const ScopedUtf8Locale&) = delete;

 private:
  void* previous_ = nullptr;  // locale_t
};

}  // namespace isnad::core
