#include "text/normalize.h"

#include <libstemmer.h>
#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf16.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <utility>

#include "core/utf8.h"

namespace isnad::text {
namespace {

constexpr uint32_t kInvalid = 0xFFFFFFFF;

// Decodes the code point at s[i] and its length; kInvalid (length 1) for a
// byte that does not start a valid UTF-8 sequence.
uint32_t DecodeAt(std::string_view s, size_t i, size_t* len) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    *len = 1;
    return c;
  }
  size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  *len = 1;
  if (n == 0 || i + n > s.size()) return kInvalid;
  uint32_t cp = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return kInvalid;
    cp = (cp << 6) | (cc & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return kInvalid;
  *len = n;
  return cp;
}

// Arabic letters used by the rules below.
enum : uint32_t {
  kHamza = 0x0621,
  kAlef = 0x0627,
  kBeh = 0x0628,
  kTeh = 0x062A,
  kHah = 0x062D,
  kAin = 0x0639,
  kLam = 0x0644,
  kHeh = 0x0647,
  kWaw = 0x0648,
  kYeh = 0x064A,
  kFeh = 0x0641,
  kKaf = 0x0643,
};

// FoldArabic for one code point: 0 to remove it, else its replacement.
uint32_t FoldArabicCp(uint32_t cp) {
  if (cp < 0x0600) return cp;
  if (cp <= 0x06FF) {
    if (cp >= 0x064B && cp <= 0x065F) return 0;  // tashkeel, madda/hamza marks
    if (cp >= 0x0610 && cp <= 0x061A) return 0;  // Quranic honorifics and marks
    if (cp >= 0x06D6 && cp <= 0x06ED && cp != 0x06DE && cp != 0x06E9) return 0;
    if (cp >= 0x0660 && cp <= 0x0669) return '0' + (cp - 0x0660);
    if (cp >= 0x06F0 && cp <= 0x06F9) return '0' + (cp - 0x06F0);
    switch (cp) {
      case 0x0640:  // tatweel
      case 0x0670:  // superscript alef
      case 0x0674:  // high hamza
      case 0x061C:  // Arabic letter mark
        return 0;
      case 0x0622:
      case 0x0623:
      case 0x0625:
      case 0x0671:
      case 0x0672:
      case 0x0673:
      case 0x0675:
        return kAlef;
      case 0x0649:
      case 0x0626:
      case 0x06CC:
      case 0x06CE:
      case 0x06D0:
      case 0x0678:
        return kYeh;
      case 0x0629:
      case 0x06C0:
      case 0x06C1:
      case 0x06C3:
      case 0x06BE:
      case 0x06D5:
        return kHeh;
      case 0x0624:
      case 0x0676:
      case 0x0677:
      case 0x06C6:
        return kWaw;
      case 0x06A9:
      case 0x06AA:
        return kKaf;
      case 0x0695:
        return 0x0631;  // ڕ -> ر
      case 0x06B5:
        return kLam;  // ڵ -> ل
      default:
        return cp;
    }
  }
  if (cp >= 0x08D3 && cp <= 0x08FF) return 0;  // extended Quranic marks
  if (cp == 0x200C || cp == 0x200D) return 0;  // ZWNJ, ZWJ
  return cp;
}

bool IsArabicLetterCp(uint32_t cp) {
  return (cp >= 0x0600 && cp <= 0x06FF) || (cp >= 0x0750 && cp <= 0x077F) ||
         (cp >= 0x08A0 && cp <= 0x08FF) || (cp >= 0xFB50 && cp <= 0xFDFF) ||
         (cp >= 0xFE70 && cp <= 0xFEFF);
}

// Transliteration signs that vanish inside names: ' ’ ‘ ` ´ ʻ ʼ ʾ ʿ ʹ.
bool IsTranslitSign(uint32_t cp) {
  switch (cp) {
    case 0x27:
    case 0x60:
    case 0xB4:
    case 0x2018:
    case 0x2019:
    case 0x02B9:
    case 0x02BB:
    case 0x02BC:
    case 0x02BE:
    case 0x02BF:
      return true;
    default:
      return false;
  }
}

bool IsMarkType(int8_t t) {
  return t == U_NON_SPACING_MARK || t == U_COMBINING_SPACING_MARK || t == U_ENCLOSING_MARK;
}
bool IsLetterType(int8_t t) {
  return t == U_UPPERCASE_LETTER || t == U_LOWERCASE_LETTER || t == U_TITLECASE_LETTER ||
         t == U_MODIFIER_LETTER || t == U_OTHER_LETTER;
}
bool IsNumberType(int8_t t) {
  return t == U_DECIMAL_DIGIT_NUMBER || t == U_LETTER_NUMBER || t == U_OTHER_NUMBER;
}

// Per-thread ICU objects and Snowball stemmers (sb_stemmer is not thread safe).
struct ThreadState {
  sb_stemmer* english = nullptr;
  sb_stemmer* arabic = nullptr;
  std::unique_ptr<icu::Transliterator> latin_ascii;
  bool latin_ascii_tried = false;
  std::unique_ptr<icu::BreakIterator> word_break;
  bool word_break_tried = false;
  // exact form -> (stem, key) for recent words.
  struct CacheEntry {
    bool valid = false;
    std::string exact, stem, skel;
  };
  static constexpr size_t kCacheSize = 4096;
  std::vector<CacheEntry> cache = std::vector<CacheEntry>(kCacheSize);

  ThreadState() {
    english = sb_stemmer_new("english", "UTF_8");
    arabic = sb_stemmer_new("arabic", "UTF_8");
  }
  ~ThreadState() {
    if (english != nullptr) sb_stemmer_delete(english);
    if (arabic != nullptr) sb_stemmer_delete(arabic);
  }
  ThreadState(const ThreadState&) = delete;
  ThreadState& operator=(const ThreadState&) = delete;

  icu::Transliterator* LatinAscii() {
    if (!latin_ascii_tried) {
      latin_ascii_tried = true;
      UErrorCode st = U_ZERO_ERROR;
      latin_ascii.reset(icu::Transliterator::createInstance("Latin-ASCII", UTRANS_FORWARD, st));
      if (U_FAILURE(st)) latin_ascii.reset();
    }
    return latin_ascii.get();
  }
  icu::BreakIterator* WordBreak() {
    if (!word_break_tried) {
      word_break_tried = true;
      UErrorCode st = U_ZERO_ERROR;
      word_break.reset(icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), st));
      if (U_FAILURE(st)) word_break.reset();
    }
    return word_break.get();
  }
};

ThreadState& State() {
  thread_local ThreadState state;
  return state;
}

struct Normalizers {
  const icu::Normalizer2* nfkc_cf = nullptr;
  const icu::Normalizer2* nfd = nullptr;
  const icu::Normalizer2* nfc = nullptr;
};

const Normalizers& GetNormalizers() {
  static const Normalizers n = [] {
    Normalizers r;
    UErrorCode st = U_ZERO_ERROR;
    r.nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(st);
    if (U_FAILURE(st)) r.nfkc_cf = nullptr;
    st = U_ZERO_ERROR;
    r.nfd = icu::Normalizer2::getNFDInstance(st);
    if (U_FAILURE(st)) r.nfd = nullptr;
    st = U_ZERO_ERROR;
    r.nfc = icu::Normalizer2::getNFCInstance(st);
    if (U_FAILURE(st)) r.nfc = nullptr;
    return r;
  }();
  return n;
}

bool IsAsciiAlnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Appends the final filter of a normalized UTF-16 string to `out`: letters and
// digits kept (digits as ASCII), marks dropped, anything else a space. Returns
// true when a non-ASCII Latin letter remains (for Latin-ASCII).
bool FilterInto(const icu::UnicodeString& s, std::string& out) {
  bool latin_extra = false;
  for (int32_t i = 0; i < s.length();) {
    UChar32 cp = s.char32At(i);
    i += U16_LENGTH(cp);
    if (IsTranslitSign(static_cast<uint32_t>(cp))) continue;
    uint32_t f = FoldArabicCp(static_cast<uint32_t>(cp));
    if (f == 0) continue;
    cp = static_cast<UChar32>(f);
    if (cp < 0x80) {
      auto c = static_cast<unsigned char>(cp);
      if (IsAsciiAlnum(c)) {
        out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
      } else {
        out += ' ';
      }
      continue;
    }
    int8_t t = u_charType(cp);
    if (IsMarkType(t)) continue;
    if (t == U_DECIMAL_DIGIT_NUMBER) {
      int32_t v = u_charDigitValue(cp);
      if (v >= 0 && v <= 9) {
        out += static_cast<char>('0' + v);
        continue;
      }
    }
    if (IsLetterType(t) || IsNumberType(t) || t == U_PRIVATE_USE_CHAR) {
      if (IsLetterType(t) && !latin_extra) {
        UErrorCode st = U_ZERO_ERROR;
        if (uscript_getScript(cp, &st) == USCRIPT_LATIN) latin_extra = true;
      }
      core::AppendUtf8(out, static_cast<uint32_t>(cp));
    } else if (t != U_FORMAT_CHAR) {
      out += ' ';
    }
  }
  return latin_extra;
}

// Normalizes a raw word into `out`; separators that normalization produces
// (NFKC turns ﷺ into four words) become single spaces.
void NormalizeRaw(std::string_view raw, std::string& out) {
  out.clear();
  // Fast paths: ASCII, and the basic Arabic block (no case, no NFKC change
  // except U+0674-U+0678, which go the general way).
  bool ascii = true, arabic = true;
  for (size_t i = 0; i < raw.size();) {
    size_t len;
    uint32_t cp = DecodeAt(raw, i, &len);
    i += len;
    if (cp < 0x80) continue;
    ascii = false;
    if (!((cp >= 0x0600 && cp <= 0x06FF && !(cp >= 0x0674 && cp <= 0x0678)) || cp == 0x200C ||
          cp == 0x200D)) {
      arabic = false;
      break;
    }
  }
  if (ascii) {
    for (char ch : raw) {
      auto c = static_cast<unsigned char>(ch);
      if (IsAsciiAlnum(c)) {
        out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
      } else if (!IsTranslitSign(c)) {
        out += ' ';
      }
    }
    return;
  }
  if (arabic) {
    for (size_t i = 0; i < raw.size();) {
      size_t len;
      uint32_t cp = DecodeAt(raw, i, &len);
      i += len;
      if (cp < 0x80) {
        auto c = static_cast<unsigned char>(cp);
        if (IsAsciiAlnum(c)) {
          out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
        } else if (!IsTranslitSign(c)) {
          out += ' ';
        }
        continue;
      }
      uint32_t f = FoldArabicCp(cp);
      if (f == 0) continue;
      if (f < 0x80) {
        out += static_cast<char>(f);
        continue;
      }
      int8_t t = u_charType(static_cast<UChar32>(f));
      if (IsLetterType(t) || IsNumberType(t)) {
        core::AppendUtf8(out, f);
      } else if (!IsMarkType(t) && t != U_FORMAT_CHAR) {
        out += ' ';
      }
    }
    return;
  }

  // General path: NFKC + case fold, decompose, drop the diacritics of Latin,
  // Greek and Cyrillic letters, recompose, filter.
  const Normalizers& n = GetNormalizers();
  std::string valid;
  std::string_view text = raw;
  if (!core::IsValidUtf8(raw)) {
    // Invalid bytes separate words; the splitter never passes them here, but
    // NormalizeWord may get anything.
    for (size_t i = 0; i < raw.size();) {
      size_t len;
      uint32_t cp = DecodeAt(raw, i, &len);
      if (cp == kInvalid) {
        valid += ' ';
      } else {
        valid.append(raw.substr(i, len));
      }
      i += len;
    }
    text = valid;
  }
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  if (n.nfkc_cf == nullptr || n.nfd == nullptr || n.nfc == nullptr) {
    FilterInto(u, out);
    return;
  }
  UErrorCode st = U_ZERO_ERROR;
  icu::UnicodeString folded = n.nfkc_cf->normalize(u, st);
  icu::UnicodeString decomposed = n.nfd->normalize(folded, st);
  if (U_FAILURE(st)) {
    FilterInto(u, out);
    return;
  }
  icu::UnicodeString stripped;
  bool drop_marks = true;  // marks on a Latin, Greek, Cyrillic or Common base
  for (int32_t i = 0; i < decomposed.length();) {
    UChar32 cp = decomposed.char32At(i);
    i += U16_LENGTH(cp);
    int8_t t = u_charType(cp);
    if (IsMarkType(t)) {
      if (drop_marks) continue;
    } else {
      UErrorCode sst = U_ZERO_ERROR;
      UScriptCode sc = uscript_getScript(cp, &sst);
      drop_marks = sc == USCRIPT_LATIN || sc == USCRIPT_GREEK || sc == USCRIPT_CYRILLIC ||
                   sc == USCRIPT_COMMON || sc == USCRIPT_INHERITED || sc == USCRIPT_ARABIC;
    }
    stripped.append(cp);
  }
  icu::UnicodeString composed = n.nfc->normalize(stripped, st);
  if (U_FAILURE(st)) composed = stripped;
  std::string filtered;
  if (!FilterInto(composed, filtered)) {
    out = std::move(filtered);
    return;
  }
  // ø, æ, ł, đ, ŋ ...: letters without a decomposition, via ICU's Latin-ASCII.
  icu::Transliterator* tr = State().LatinAscii();
  if (tr == nullptr) {
    out = std::move(filtered);
    return;
  }
  icu::UnicodeString again = icu::UnicodeString::fromUTF8(
      icu::StringPiece(filtered.data(), static_cast<int32_t>(filtered.size())));
  tr->transliterate(again);
  FilterInto(again, out);
}

enum class WordScript { kLatin, kArabic, kOther };

// The script of a normalized word, for stemming and keys: kLatin when it holds
// ASCII letters (and maybe digits) only, kArabic when its letters are all
// Arabic script, kOther otherwise (digits only are kOther).
WordScript ScriptOf(std::string_view w, bool* has_digit) {
  bool latin = false, arabic = false, other = false;
  *has_digit = false;
  for (size_t i = 0; i < w.size();) {
    size_t len;
    uint32_t cp = DecodeAt(w, i, &len);
    i += len;
    if (cp < 0x80) {
      if (cp >= '0' && cp <= '9') {
        *has_digit = true;
      } else {
        latin = true;
      }
    } else if (IsArabicLetterCp(cp)) {
      arabic = true;
    } else {
      other = true;
    }
  }
  if (other || (latin && arabic)) return WordScript::kOther;
  if (latin) return WordScript::kLatin;
  if (arabic) return WordScript::kArabic;
  return WordScript::kOther;
}

// ---------------------------------------------------------------------------
// Cross-script keys.
//
// A key is [initial][consonant classes][final]:
//   initial: 'a' when the word starts with a vowel, ain or hamza; (w and y
//            at the start are consonants);
//   classes: b t j h x d r z s c g f k l m n w y (see docs/design/search.md),
//            vowels and medial w/y/ain/hamza dropped, repeats collapsed;
//   final:   'e' when the word ends in a vowel (ا ى ي و ة ه ح ع; a e i o u y,
//            "-ah", "-eh"), 'i' when that vowel follows a y (-iya, -aya,
//            يا، ية), nothing after a consonant or for a French mute e after
//            a vowel and n (Chaabane = شعبان).

bool IsConsonantClass(char c) { return c != 'a' && c != 'e' && c != 'i'; }

class KeyBuilder {
 public:
  explicit KeyBuilder(bool variants) : variants_(variants) {}

  // Appends a slot: its canonical spelling and up to two alternatives.
  void Add(std::string_view canonical, std::string_view alt1 = {}, std::string_view alt2 = {}) {
    for (char c : canonical) Push(key_, c);
    if (!variants_) return;
    Slot s;
    s.opts[0] = std::string(canonical);
    s.n = 1;
    if (!alt1.empty() || alt1.data() != nullptr) s.opts[s.n++] = std::string(alt1);
    if (!alt2.empty() || alt2.data() != nullptr) s.opts[s.n++] = std::string(alt2);
    slots_.push_back(std::move(s));
  }

  const std::string& Key() const { return key_; }

  std::vector<std::string> Variants(size_t max) const {
    std::vector<std::string> out{key_};
    std::vector<size_t> alt_slots;
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].n > 1) alt_slots.push_back(i);
    }
    if (alt_slots.empty()) return out;
    std::vector<int> choice(slots_.size(), 0);
    // Mixed-radix counter over the slots with alternatives, first slot fastest.
    for (int guard = 0; guard < 64 && out.size() < max; ++guard) {
      size_t k = 0;
      while (k < alt_slots.size()) {
        size_t si = alt_slots[k];
        if (++choice[si] < slots_[si].n) break;
        choice[si] = 0;
        ++k;
      }
      if (k == alt_slots.size()) break;
      std::string v;
      for (size_t i = 0; i < slots_.size(); ++i) {
        for (char c : slots_[i].opts[choice[i]]) Push(v, c);
      }
      bool dup = false;
      for (const auto& o : out) dup = dup || o == v;
      if (!dup && !v.empty()) out.push_back(std::move(v));
    }
    return out;
  }

 private:
  struct Slot {
    std::array<std::string, 3> opts;
    int n = 0;
  };
  static void Push(std::string& s, char c) {
    // n before b is said (and often written in Latin) m: Manbij, Membij, منبج.
    if (c == 'b' && !s.empty() && s.back() == 'n') {
      s.pop_back();
      Push(s, 'm');
    }
    if (!s.empty() && s.back() == c && IsConsonantClass(c)) return;
    s += c;
  }
  bool variants_;
  std::string key_;
  std::vector<Slot> slots_;
};

// No alternative (as opposed to "", an alternative that adds nothing).
constexpr std::string_view kNone{};

bool IsLatinVowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }
bool IsLatinVowelY(char c) { return IsLatinVowel(c) || c == 'y'; }

// Returns false when a Latin word gets no key: without a vowel it is an
// acronym (SDF, HTS), never a transliterated Arabic word.
bool LatinKey(std::string_view w, bool prefix, KeyBuilder& kb) {
  if (!prefix && w.find_first_of("aeiouy") == std::string_view::npos) return false;
  // The article fused to "abd" (Abdul Rahman = عبد الرحمن) and to "abu".
  if (!prefix) {
    if (w == "abdul" || w == "abdel" || w == "abdoul" || w == "abdal" || w == "abdil" ||
        w == "abdol") {
      w = "abd";
    } else if (w == "abul" || w == "aboul" || w == "abol") {
      w = "abu";
    } else if (w == "amro" || w == "amrou" || w == "amru") {
      w = "amr";  // the silent و of عمرو read aloud (Baba Amro)
    }
  }
  size_t end = w.size();
  bool construct_t = false;  // "-at"/"-et" after a consonant: ت, or ة in construct
  if (!prefix && end >= 3 && w[end - 1] == 't' && (w[end - 2] == 'a' || w[end - 2] == 'e')) {
    if (w[end - 3] == 'i' || w[end - 3] == 'y') {
      end -= 1;  // -iyet, -iyat, -yat: ية in construct (Moadamiyet, Hay'at)
    } else if (!IsLatinVowelY(w[end - 3])) {
      construct_t = true;
      end -= 2;
    }
  } else if (!prefix && end >= 2 && w[end - 1] == 'h' && IsLatinVowelY(w[end - 2])) {
    end -= 1;  // Hamah, Moadamiyeh, Saleh: final h after a vowel is ة/ه/ح
  }
  std::string_view b = w.substr(0, end);
  size_t i = 0;
  if (b.empty()) return true;
  if (IsLatinVowel(b[0])) {
    if (b.size() > 2 && b[0] == 'o' && b[1] == 'u' && IsLatinVowel(b[2])) {
      kb.Add("w");  // French Ouadi, Oualid
      i = 2;
    } else if (!prefix && b.size() > 4 && b[0] == 'e' && b[1] == b[2] &&
               (b[1] == 'z' || b[1] == 't' || b[1] == 'd' || b[1] == 'r') && IsLatinVowel(b[3])) {
      // The article fused to a sun letter, French and Maghrebi style: Ezzor
      // (ez-Zor, الزور), Ettadamon, Eddine. A query also tries the word
      // without it; the document keeps the vowel (Ezzat is عزت).
      kb.Add("a", "");
      i = 1;
    } else {
      kb.Add("a");
      i = 1;
    }
  } else if ((b[0] == 'y' || b[0] == 'w') && b.size() > 1 && IsLatinVowel(b[1])) {
    kb.Add(b[0] == 'y' ? "y" : "w");
    i = 1;
  } else if (b[0] == 'y' || b[0] == 'w') {
    kb.Add("a");
    i = 1;
  }
  auto at = [&](size_t k) { return k < b.size() ? b[k] : '\0'; };
  while (i < b.size()) {
    char c = b[i];
    char n1 = at(i + 1);
    if (IsLatinVowelY(c) || c == 'w') {
      ++i;
      continue;
    }
    if (c == 's' && n1 == 'c' && at(i + 2) == 'h') {
      kb.Add("c");
      i += 3;
      continue;
    }
    if (n1 == 'h') {
      const char* cls = nullptr;
      std::string_view alt = kNone;
      switch (c) {
        case 's':
        case 'c':
          cls = "c";
          break;
        case 'k':
          cls = "x";
          break;
        case 'g':
          cls = "g";
          break;
        case 't':
          cls = "t";
          break;
        case 'd':
          cls = "d";
          alt = "z";
          break;
        case 'p':
          cls = "f";
          break;
        case 'z':
          cls = "z";
          break;
        default:
          break;
      }
      if (cls != nullptr) {
        kb.Add(cls, alt);
        i += 2;
        continue;
      }
    }
    if (c == 'd' && n1 == 'j') {
      kb.Add("j");
      i += 2;
      continue;
    }
    if (c == 'c' && n1 == 'k') {
      kb.Add("k");
      i += 2;
      continue;
    }
    switch (c) {
      case 'b':
      case 'p':
        kb.Add("b");
        break;
      case 'v':
      case 'f':
        kb.Add("f");
        break;
      case 'q':
      case 'k':
        kb.Add("k");
        break;
      case 'g':
        kb.Add("j", "g", "k");
        break;
      case 'c':
        kb.Add(n1 == 'e' || n1 == 'i' || n1 == 'y' ? "s" : "k");
        break;
      case 'x':
        kb.Add("k");
        kb.Add("s");
        break;
      case 't':
      case 'd':
      case 'j':
      case 'h':
      case 'r':
      case 'z':
      case 's':
      case 'l':
      case 'm':
      case 'n':
        kb.Add(std::string_view(&b[i], 1));
        break;
      default:
        break;
    }
    ++i;
  }
  if (prefix) return true;
  if (construct_t) {
    kb.Add("t", "e");
    return true;
  }
  size_t n = b.size();
  if (n == w.size() && n >= 4 && b[n - 1] == 'e' && b[n - 2] == 'n' && IsLatinVowelY(b[n - 3])) {
    // French mute e after n: Chaabane = شعبان, Yassine, Cheikhoune. A query
    // also tries it as a vowel.
    kb.Add("", "e");
    return true;
  }
  if (IsLatinVowelY(b.back())) {
    size_t r = b.size();
    while (r > 0 && IsLatinVowelY(b[r - 1])) --r;
    // y: an i or y in that run with an a or e after it. One backward pass: the
    // run can be as long as the text (a nested loop took hours on 4 MiB of "yyy").
    bool y = false, ae_after = false;
    for (size_t k = b.size(); k-- > r;) {
      if ((b[k] == 'i' || b[k] == 'y') && ae_after) y = true;
      ae_after = ae_after || b[k] == 'a' || b[k] == 'e';
    }
    kb.Add(y ? "i" : "e");
  }
  return true;
}

void ArabicKey(std::string_view w, bool prefix, KeyBuilder& kb) {
  std::vector<uint32_t> cps;
  cps.reserve(w.size() / 2);
  for (size_t i = 0; i < w.size();) {
    size_t len;
    uint32_t cp = DecodeAt(w, i, &len);
    i += len;
    cps.push_back(cp);
  }
  size_t start = 0, end = cps.size();
  // The article, alone or after و ب ك ف, or ل + ال = لل.
  size_t min_rest = prefix ? 1 : 2;
  if (end >= 2 && cps[0] == kAlef && cps[1] == kLam && end - 2 >= min_rest) {
    start = 2;
  } else if (end >= 3 && cps[1] == kAlef && cps[2] == kLam && end - 3 >= min_rest + 1 &&
             (cps[0] == kWaw || cps[0] == kBeh || cps[0] == kKaf || cps[0] == kFeh)) {
    start = 3;
  } else if (end >= 2 && cps[0] == kLam && cps[1] == kLam && end - 2 >= min_rest + 1) {
    start = 2;
  }
  bool vowel_final = false, y_final = false;
  std::string_view final_alt = kNone;
  // The silent و of عمرو (Amr), the one common name with one.
  static constexpr uint32_t kAmr[] = {kAin, 0x0645, 0x0631, kWaw};
  bool amr = end - start == 4 && std::equal(cps.begin() + static_cast<std::ptrdiff_t>(start),
                                            cps.end(), std::begin(kAmr));
  if (amr) --end;
  if (!prefix) {
    while (end > start + 1 && cps[end - 1] == kHamza) --end;
    uint32_t last = end > start ? cps[end - 1] : 0;
    if (end > start + 1 && (last == kHeh || last == kHah || last == kAin)) {
      --end;
      vowel_final = true;
      y_final = cps[end - 1] == kYeh;
      final_alt = last == kHeh ? "t" : last == kHah ? "h" : kNone;
    } else if (last == kAlef || last == kYeh || last == kWaw) {
      vowel_final = true;
      y_final = last != kWaw && end >= start + 2 && cps[end - 2] == kYeh;
    }
  }
  size_t i = start;
  if (i < end) {
    uint32_t c = cps[i];
    if (c == kAlef || c == kAin || c == kHamza) {
      kb.Add("a");
      ++i;
    } else if (c == kWaw) {
      kb.Add("w");
      ++i;
    } else if (c == kYeh) {
      kb.Add("y");
      ++i;
    }
  }
  for (; i < end; ++i) {
    switch (cps[i]) {
      case kBeh:
      case 0x067E:  // پ
        kb.Add("b");
        break;
      case kTeh:
      case 0x0637:  // ط
        kb.Add("t");
        break;
      case 0x062B:  // ث
        kb.Add("t", "s");
        break;
      case 0x062C:  // ج
      case 0x06AF:  // گ
        kb.Add("j");
        break;
      case kHah:
      case kHeh:
        kb.Add("h");
        break;
      case 0x062E:  // خ
        kb.Add("x");
        break;
      case 0x062F:  // د
      case 0x0636:  // ض
        kb.Add("d");
        break;
      case 0x0630:  // ذ: dh, d, z, and th in loose English (Munther)
        kb.Add("d", "z", "t");
        break;
      case 0x0631:  // ر
        kb.Add("r");
        break;
      case 0x0632:  // ز
      case 0x0698:  // ژ
        kb.Add("z");
        break;
      case 0x0638:  // ظ
        kb.Add("z", "d");
        break;
      case 0x0633:  // س
      case 0x0635:  // ص
        kb.Add("s");
        break;
      case 0x0634:  // ش
      case 0x0686:  // چ
        kb.Add("c");
        break;
      case 0x063A:  // غ
        kb.Add("g");
        break;
      case kFeh:
      case 0x06A4:  // ڤ
        kb.Add("f");
        break;
      case 0x0642:  // ق
        kb.Add("k");
        break;
      case kKaf:
        kb.Add("k");
        break;
      case kLam:
        kb.Add("l");
        break;
      case 0x0645:
        kb.Add("m");
        break;
      case 0x0646:
        kb.Add("n");
        break;
      default:  // ا و ي ع ء and anything else: no consonant
        break;
    }
  }
  if (vowel_final) kb.Add(y_final ? "i" : "e", final_alt);
  if (amr && !prefix) kb.Add("", "e");  // Amro
}

void BuildKey(std::string_view w, bool prefix, KeyBuilder& kb, bool* own_key) {
  bool digit;
  WordScript s = ScriptOf(w, &digit);
  *own_key = false;
  if (digit || s == WordScript::kOther) {
    *own_key = true;
    return;
  }
  if (s == WordScript::kLatin) {
    *own_key = !LatinKey(w, prefix, kb);
  } else {
    ArabicKey(w, prefix, kb);
  }
}

std::string StemWith(sb_stemmer* st, std::string_view w) {
  if (st == nullptr || w.empty()) return std::string(w);
  const sb_symbol* r =
      sb_stemmer_stem(st, reinterpret_cast<const sb_symbol*>(w.data()), static_cast<int>(w.size()));
  if (r == nullptr) return std::string(w);
  std::string out(reinterpret_cast<const char*>(r), static_cast<size_t>(sb_stemmer_length(st)));
  // Keep the stem one unicode61 token: letters and digits only.
  std::string clean;
  clean.reserve(out.size());
  for (size_t i = 0; i < out.size();) {
    size_t len;
    uint32_t cp = DecodeAt(out, i, &len);
    if (cp == kInvalid) {
      ++i;
      continue;
    }
    bool keep = cp < 0x80 ? IsAsciiAlnum(static_cast<unsigned char>(cp))
                          : IsLetterType(u_charType(static_cast<UChar32>(cp))) ||
                                IsNumberType(u_charType(static_cast<UChar32>(cp)));
    if (keep) clean.append(out, i, len);
    i += len;
  }
  if (clean.empty()) return std::string(w);
  return clean;
}

// Scripts written without spaces between words: cut with ICU's dictionaries.
bool NeedsDictionaryBreak(uint32_t cp) {
  if (cp < 0x0E00) return false;
  UErrorCode st = U_ZERO_ERROR;
  switch (uscript_getScript(static_cast<UChar32>(cp), &st)) {
    case USCRIPT_HAN:
    case USCRIPT_HIRAGANA:
    case USCRIPT_KATAKANA:
    case USCRIPT_THAI:
    case USCRIPT_LAO:
    case USCRIPT_KHMER:
    case USCRIPT_MYANMAR:
      return true;
    default:
      return false;
  }
}

// A normalized word of ASCII letters only.
bool IsLatinWord(std::string_view w) {
  if (w.empty()) return false;
  for (char c : w) {
    if (c < 'a' || c > 'z') return false;
  }
  return true;
}

// Letter classes for the splitter.
enum class LetterClass : uint8_t { kNeutral, kLatin, kArabic, kOther };

LetterClass ClassOfLetter(uint32_t cp) {
  if (cp < 0x80) return LetterClass::kLatin;
  if (IsArabicLetterCp(cp)) return cp == 0x0640 ? LetterClass::kNeutral : LetterClass::kArabic;
  if (cp >= 0x02B0 && cp <= 0x02FF) return LetterClass::kNeutral;  // modifier letters
  if ((cp >= 0xC0 && cp <= 0x24F) || (cp >= 0x1E00 && cp <= 0x1EFF)) return LetterClass::kLatin;
  UErrorCode st = U_ZERO_ERROR;
  UScriptCode sc = uscript_getScript(static_cast<UChar32>(cp), &st);
  if (sc == USCRIPT_LATIN) return LetterClass::kLatin;
  if (sc == USCRIPT_ARABIC) return LetterClass::kArabic;
  if (sc == USCRIPT_COMMON || sc == USCRIPT_INHERITED) return LetterClass::kNeutral;
  return LetterClass::kOther;
}

enum class CharKind : uint8_t { kWord, kLetter, kApostrophe, kJoiner, kHyphen, kBreaker };

// What separates a word from the next one.
enum class Sep : uint8_t { kSpace, kHyphen, kOther };

bool IsApostrophe(uint32_t cp) {
  return cp == 0x27 || cp == 0x60 || cp == 0xB4 || cp == 0x2018 || cp == 0x2019;
}

CharKind KindOf(uint32_t cp, LetterClass* lc) {
  *lc = LetterClass::kNeutral;
  if (cp < 0x80) {
    auto c = static_cast<unsigned char>(cp);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      *lc = LetterClass::kLatin;
      return CharKind::kLetter;
    }
    if (c >= '0' && c <= '9') return CharKind::kWord;
    if (c == ' ' || c == '\t') return CharKind::kJoiner;
    if (c == '-') return CharKind::kHyphen;
    if (c == '\'' || c == '`') return CharKind::kApostrophe;
    return CharKind::kBreaker;
  }
  if (cp == kInvalid) return CharKind::kBreaker;
  if (IsApostrophe(cp)) return CharKind::kApostrophe;
  int8_t t = u_charType(static_cast<UChar32>(cp));
  if (IsLetterType(t)) {
    *lc = ClassOfLetter(cp);
    return CharKind::kLetter;
  }
  if (IsNumberType(t) || IsMarkType(t) || t == U_PRIVATE_USE_CHAR) return CharKind::kWord;
  if (t == U_FORMAT_CHAR) return CharKind::kWord;  // ZWNJ inside Persian words, soft hyphen
  if (t == U_SPACE_SEPARATOR) return CharKind::kJoiner;
  if (t == U_DASH_PUNCTUATION) return CharKind::kHyphen;
  return CharKind::kBreaker;
}

// Where a normalized word that joins two name words splits: a name element
// and an article-led word (عبدالسلام = عبد + السلام, ديرالزور = دير + الزور,
// Abdelbasset = abdel + basset), or كفر "village" and a name of at least three
// letters, which is written joined as often as apart (كفربطنا = كفر بطنا,
// Kafrnabel = kafr nabel; a linking vowel goes: Kafranbel = kafr nbel). Returns
// the byte length of the first part and sets *rest to where the second part
// starts; 0 when the word does not split.
size_t CompoundSplit(std::string_view w, size_t* rest) {
  static constexpr std::string_view kArabicHeads[] = {
      "\xD8\xB9\xD8\xA8\xD8\xAF",  // عبد
      "\xD8\xAF\xD9\x8A\xD8\xB1",  // دير
      "\xD8\xA7\xD8\xA8\xD9\x88",  // ابو
      "\xD8\xA8\xD9\x8A\xD8\xAA",  // بيت
      "\xD8\xB9\xD9\x8A\xD9\x86",  // عين
      "\xD8\xB1\xD8\xA7\xD8\xB3",  // راس
      "\xD8\xAC\xD8\xB3\xD8\xB1",  // جسر
      "\xD8\xAE\xD8\xA7\xD9\x86",  // خان
      "\xD8\xA8\xD9\x86\xD9\x8A",  // بني
      "\xD8\xAA\xD9\x84",          // تل
  };
  static constexpr std::string_view kAl = "\xD8\xA7\xD9\x84";  // ال
  for (std::string_view head : kArabicHeads) {
    // head + ال + at least two letters (two bytes each).
    if (w.size() >= head.size() + kAl.size() + 4 && w.starts_with(head) &&
        w.substr(head.size(), kAl.size()) == kAl) {
      *rest = head.size();
      return head.size();
    }
  }
  static constexpr std::string_view kKafr = "\xD9\x83\xD9\x81\xD8\xB1";  // كفر
  // كفر + at least three letters: not كفروا, كفرهم.
  if (w.size() >= kKafr.size() + 6 && w.starts_with(kKafr) &&
      static_cast<unsigned char>(w[kKafr.size()]) >= 0xD8) {
    *rest = kKafr.size();
    return kKafr.size();
  }
  if (!IsLatinWord(w)) return 0;
  static constexpr std::string_view kLatinHeads[] = {"abdel",  "abdul", "abdal",
                                                     "abdoul", "abdol", "abdil"};
  for (std::string_view head : kLatinHeads) {
    if (w.size() >= head.size() + 2 && w.starts_with(head)) {
      *rest = head.size();
      return head.size();
    }
  }
  static constexpr std::string_view kLatinKafr[] = {"kafr", "kafar", "kfar", "kefr"};
  auto vowel = [](char c) {
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
  };
  for (std::string_view head : kLatinKafr) {
    if (!w.starts_with(head)) continue;
    size_t r = head.size();
    if (r < w.size() && vowel(w[r]) && r + 1 < w.size() && !vowel(w[r + 1])) ++r;
    // The name starts with a consonant and has at least three letters.
    if (w.size() - r >= 3 && !vowel(w[r])) {
      *rest = r;
      return head.size();
    }
    return 0;
  }
  return 0;
}

struct Splitter {
  std::vector<Word>& words;
  std::vector<Sep>& seps;  // seps[k]: between words[k] and words[k+1]
  std::string norm;

  // Adds the words of one raw word (a run found by the scanner).
  void AddRaw(std::string_view raw, bool dict) {
    // English possessive: Assad's -> Assad.
    for (std::string_view ap : {std::string_view("'"), std::string_view("\xE2\x80\x99")}) {
      if (raw.size() > ap.size() + 1 && (raw.back() == 's' || raw.back() == 'S') &&
          raw.substr(raw.size() - 1 - ap.size(), ap.size()) == ap) {
        raw.remove_suffix(ap.size() + 1);
        break;
      }
    }
    // French elision: l'armée, d'Alep, qu'il.
    for (std::string_view ap : {std::string_view("'"), std::string_view("\xE2\x80\x99")}) {
      size_t p = raw.find(ap);
      if (p == std::string_view::npos) continue;
      std::string_view head = raw.substr(0, p);
      bool elision = false;
      if (head.size() == 1) {
        char c = static_cast<char>(head[0] | 0x20);
        elision = c == 'l' || c == 'd' || c == 'j' || c == 'm' || c == 'n' || c == 's' ||
                  c == 't' || c == 'c';
      } else if (head.size() == 2) {
        elision = (head[0] | 0x20) == 'q' && (head[1] | 0x20) == 'u';
      }
      if (elision && raw.size() - p - ap.size() >= 2) {
        AddNormalized(head, false);
        if (!words.empty()) seps.back() = Sep::kOther;
        raw.remove_prefix(p + ap.size());
      }
      break;
    }
    AddNormalized(raw, dict);
  }

  void AddNormalized(std::string_view raw, bool dict) {
    NormalizeRaw(raw, norm);
    size_t i = 0;
    while (i < norm.size()) {
      size_t j = norm.find(' ', i);
      if (j == std::string::npos) j = norm.size();
      if (j > i) {
        std::string_view piece(norm.data() + i, j - i);
        if (dict) {
          AddDictionaryPieces(piece);
        } else {
          Push(piece);
        }
      }
      i = j + 1;
    }
  }

  void AddDictionaryPieces(std::string_view piece) {
    icu::BreakIterator* bi = State().WordBreak();
    if (bi == nullptr) {
      Push(piece);
      return;
    }
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(
        icu::StringPiece(piece.data(), static_cast<int32_t>(piece.size())));
    bi->setText(u);
    int32_t s = bi->first();
    std::string part;
    for (int32_t e = bi->next(); e != icu::BreakIterator::DONE; s = e, e = bi->next()) {
      part.clear();
      u.tempSubStringBetween(s, e).toUTF8String(part);
      if (!part.empty()) Push(part);
    }
  }

  void Push(std::string_view exact) {
    size_t rest = 0;
    size_t split = CompoundSplit(exact, &rest);
    if (split > 0) {
      PushOne(exact.substr(0, split));
      PushOne(exact.substr(rest));
      return;
    }
    PushOne(exact);
  }

  void PushOne(std::string_view exact) {
    Word w;
    w.exact = std::string(exact);
    // A small direct-mapped cache: text repeats its words.
    ThreadState::CacheEntry& e =
        State().cache[std::hash<std::string>()(w.exact) % ThreadState::kCacheSize];
    if (e.valid && e.exact == w.exact) {
      w.stem = e.stem;
      w.skel = e.skel;
    } else {
      w.stem = StemWord(w.exact);
      w.skel = CrossScriptKey(w.exact);
      e.valid = true;
      e.exact = w.exact;
      e.stem = w.stem;
      e.skel = w.skel;
    }
    words.push_back(std::move(w));
    seps.push_back(Sep::kOther);
  }
};

// "al", "el", or a sun-letter article ("ash" before "sham", "ez" before "zor").
bool IsArticle(std::string_view w, std::string_view next, Sep sep) {
  if (sep == Sep::kOther || !IsLatinWord(w) || !IsLatinWord(next)) return false;
  if (w == "al" || w == "el") return true;
  if (sep != Sep::kHyphen || w.size() < 2 || w.size() > 3) return false;
  if (!(w[0] == 'a' || w[0] == 'e' || w[0] == 'u' || w[0] == 'i')) return false;
  std::string_view cons = w.substr(1);
  static constexpr std::string_view kSun[] = {"t", "th", "d",  "dh", "r", "z",
                                              "s", "sh", "ch", "n",  "l"};
  for (std::string_view s : kSun) {
    if (cons == s) return next.substr(0, cons.size()) == cons;
  }
  return false;
}

}  // namespace

std::string FoldArabic(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size();) {
    size_t len;
    uint32_t cp = DecodeAt(utf8, i, &len);
    if (cp == kInvalid || cp < 0x80) {
      out += utf8[i];
    } else {
      uint32_t f = FoldArabicCp(cp);
      if (f != 0) core::AppendUtf8(out, f);
    }
    i += len;
  }
  return out;
}

std::string NormalizeWord(std::string_view word) {
  std::string n;
  NormalizeRaw(word, n);
  std::string out;
  out.reserve(n.size());
  for (char c : n) {
    if (c != ' ') out += c;
  }
  return out;
}

std::string StemWord(std::string_view w) {
  bool digit;
  switch (ScriptOf(w, &digit)) {
    case WordScript::kLatin:
      return StemWith(State().english, w);
    case WordScript::kArabic: {
      // Snowball's Arabic stemmer expects ة, which folding turned into ه, and
      // keeps the conjunction in وال/فال: undo both before stemming, so that
      // والمدينة, المدينة and مدينة share the stem مدين.
      std::string in(w);
      static constexpr std::string_view kWaAl = "\xD9\x88\xD8\xA7\xD9\x84";    // وال
      static constexpr std::string_view kFaAl = "\xD9\x81\xD8\xA7\xD9\x84";    // فال
      static constexpr std::string_view kHeh = "\xD9\x87";                     // ه
      static constexpr std::string_view kLillah = "\xD9\x84\xD9\x84\xD9\x87";  // لله
      if ((in.starts_with(kWaAl) || in.starts_with(kFaAl)) && in.size() >= 10) in.erase(0, 2);
      if (in.size() >= 6 && in.ends_with(kHeh) && !in.ends_with(kLillah)) {
        in.replace(in.size() - 2, 2, "\xD8\xA9");  // ة
      }
      return StemWith(State().arabic, in);
    }
    default:
      return std::string(w);
  }
}

std::string CrossScriptKey(std::string_view w) {
  KeyBuilder kb(false);
  bool own;
  BuildKey(w, false, kb, &own);
  if (own || kb.Key().empty()) return std::string(w);
  return kb.Key();
}

std::vector<std::string> CrossScriptQueryKeys(std::string_view w) {
  KeyBuilder kb(true);
  bool own;
  BuildKey(w, false, kb, &own);
  if (own || kb.Key().empty()) return {std::string(w)};
  return kb.Variants(8);
}

std::string CrossScriptPrefixKey(std::string_view w) {
  KeyBuilder kb(false);
  bool own;
  BuildKey(w, true, kb, &own);
  if (own) return std::string(w);
  return kb.Key();
}

std::vector<Word> SplitWords(std::string_view text) {
  std::vector<Word> words;
  std::vector<Sep> seps;
  words.reserve(text.size() / 6 + 1);
  seps.reserve(text.size() / 6 + 1);
  Splitter sp{words, seps, {}};

  size_t wbegin = std::string_view::npos;  // start of the current raw word
  LetterClass wclass = LetterClass::kNeutral;
  bool wdict = false;
  // Separators seen since the last word ended.
  bool saw_hyphen = false, saw_breaker = false;
  size_t words_before = 0;

  auto finish = [&](size_t end) {
    if (wbegin == std::string_view::npos) return;
    size_t before = words.size();
    sp.AddRaw(text.substr(wbegin, end - wbegin), wdict);
    if (words.size() > before && before > 0 && before == words_before) {
      seps[before - 1] = saw_breaker ? Sep::kOther : saw_hyphen ? Sep::kHyphen : Sep::kSpace;
    }
    words_before = words.size();
    wbegin = std::string_view::npos;
    wclass = LetterClass::kNeutral;
    wdict = false;
    saw_hyphen = saw_breaker = false;
  };

  for (size_t i = 0; i < text.size();) {
    size_t len;
    uint32_t cp = DecodeAt(text, i, &len);
    LetterClass lc;
    CharKind kind = KindOf(cp, &lc);
    if (kind == CharKind::kLetter) {
      if (wbegin != std::string_view::npos && lc != LetterClass::kNeutral &&
          wclass != LetterClass::kNeutral && lc != wclass &&
          (lc != LetterClass::kOther || wclass != LetterClass::kOther)) {
        finish(i);
        saw_breaker = true;  // script change: not an article boundary
      }
      if (wbegin == std::string_view::npos) wbegin = i;
      if (lc != LetterClass::kNeutral) wclass = lc;
      if (!wdict && lc == LetterClass::kOther && NeedsDictionaryBreak(cp)) wdict = true;
    } else if (kind == CharKind::kWord) {
      if (wbegin == std::string_view::npos) {
        // A mark or format character cannot start a word.
        int8_t t = cp < 0x80 ? static_cast<int8_t>(U_DECIMAL_DIGIT_NUMBER)
                             : u_charType(static_cast<UChar32>(cp));
        if (IsNumberType(t) || t == U_PRIVATE_USE_CHAR) wbegin = i;
      }
    } else if (kind == CharKind::kApostrophe && wbegin != std::string_view::npos &&
               wclass == LetterClass::kLatin && i + len < text.size()) {
      size_t nlen;
      uint32_t next = DecodeAt(text, i + len, &nlen);
      LetterClass nlc;
      if (KindOf(next, &nlc) == CharKind::kLetter && nlc != LetterClass::kArabic &&
          nlc != LetterClass::kOther) {
        i += len;  // internal: Ma'loula
        continue;
      }
      finish(i);
      saw_breaker = true;
    } else {
      finish(i);
      if (kind == CharKind::kHyphen) {
        saw_hyphen = true;
      } else if (kind != CharKind::kJoiner) {
        saw_breaker = true;
      }
    }
    i += len;
  }
  finish(text.size());

  // Articles take the key of the word after them.
  for (size_t k = words.size(); k-- > 1;) {
    Word& a = words[k - 1];
    if (IsArticle(a.exact, words[k].exact, seps[k - 1])) {
      a.article = true;
      a.skel = words[k].skel;
    }
  }
  return words;
}

Tokens Tokenize(std::string_view text) {
  Tokens t;
  std::vector<Word> words = SplitWords(text);
  t.count = words.size();
  size_t n = 0;
  for (const Word& w : words) n += w.exact.size() + 1;
  t.exact.reserve(n);
  t.stem.reserve(n);
  t.skel.reserve(n);
  for (size_t k = 0; k < words.size(); ++k) {
    if (k > 0) {
      t.exact += ' ';
      t.stem += ' ';
      t.skel += ' ';
    }
    t.exact += words[k].exact;
    t.stem += words[k].stem;
    t.skel += words[k].skel;
  }
  return t;
}

std::string ToNfc(std::string_view utf8_text) {
  const icu::Normalizer2* nfc = GetNormalizers().nfc;
  if (nfc == nullptr || !core::IsValidUtf8(utf8_text)) return std::string(utf8_text);
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8_text.data(), static_cast<int32_t>(utf8_text.size())));
  UErrorCode st = U_ZERO_ERROR;
  if (nfc->isNormalized(u, st) && U_SUCCESS(st)) return std::string(utf8_text);
  st = U_ZERO_ERROR;
  icu::UnicodeString composed = nfc->normalize(u, st);
  if (U_FAILURE(st)) return std::string(utf8_text);
  std::string out;
  composed.toUTF8String(out);
  return out;
}

bool IsBlank(std::string_view utf8_text) {
  bool shown = false;
  const bool valid = core::ForEachCodePoint(utf8_text, [&shown](uint32_t cp) {
    const auto c = static_cast<UChar32>(cp);
    const int8_t t = u_charType(c);
    if (!u_isUWhiteSpace(c) && t != U_FORMAT_CHAR && t != U_CONTROL_CHAR) shown = true;
  });
  return valid && !shown;
}

}  // namespace isnad::text
