// Text normalization for search: folding, stemming and cross-script keys.
//
// The catalogue's FTS5 table has three columns filled from Tokenize(), aligned
// token by token (docs/design/search.md):
//   exact: each word normalized (NFKC, case folded, Latin diacritics removed,
//          Arabic folded);
//   stem:  each word's Snowball stem ("arabic" for Arabic-script words,
//          "english" for Latin ones, the exact form otherwise);
//   skel:  each word's cross-script key, so that "Zamalka" and "زملكا" meet.
// Every token holds letters and digits only (lower case), so FTS5's unicode61
// tokenizer (remove_diacritics 0) reads each one as exactly one token.
//
// Thread safety: all functions are safe to call from any number of threads
// (ICU objects and Snowball stemmers are kept per thread). Invalid UTF-8 never
// fails: a byte that is not part of a valid sequence separates words.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace isnad::text {

// The three aligned, space-separated token strings of a text.
struct Tokens {
  std::string exact, stem, skel;
  size_t count = 0;  // tokens in each of the three strings
};

// One word of a text with its three forms.
struct Word {
  std::string exact;  // NormalizeWord
  std::string stem;   // StemWord(exact)
  std::string skel;   // CrossScriptKey(exact); for an article, the next word's key
  // A Latin article written apart from its noun ("al Sham", "al-Sham",
  // "ash-Sham", "ez-Zor"). Its skel is the key of the word after it, so the
  // skel column reads like the Arabic, where the article is part of the word;
  // queries leave articles out of their skel part.
  bool article = false;
};

// Arabic folding: removes tashkeel (U+064B-U+065F), superscript alef U+0670,
// tatweel U+0640 and Quranic marks; أ إ آ ٱ -> ا; ى ی ێ -> ي; ة ۀ ۃ ە ھ ہ -> ه;
// ؤ -> و; ئ -> ي; ک -> ك; Kurdish ڕ ڵ ۆ -> ر ل و; Arabic-Indic and Eastern
// Arabic-Indic digits -> ASCII digits; ZWNJ/ZWJ removed. Other text unchanged
// (invalid UTF-8 bytes are copied as they are).
std::string FoldArabic(std::string_view utf8);

// Normalizes one word: NFKC, case folding, Latin (and Greek, Cyrillic)
// diacritics removed (é -> e, ā -> a, ḥ -> h, ø -> o), the transliteration
// signs ʿ ʾ ' ’ removed, FoldArabic. Anything left that is not a letter or a
// digit is dropped, so the result is one unicode61 token (or empty).
std::string NormalizeWord(std::string_view word);

// Returns the Snowball stem of a normalized word: "arabic" for Arabic-script
// words, "english" for ASCII Latin words, the word itself otherwise.
std::string StemWord(std::string_view normalized_word);

// Returns the cross-script key of a normalized word: a consonant skeleton
// shared by an Arabic spelling and its usual Latin transliterations (the key
// of "الغوطة", "Ghouta" and "Ghuta" is "gte"). Words that are neither Latin
// nor Arabic script, or that hold digits, are their own key.
std::string CrossScriptKey(std::string_view normalized_word);

// Returns the keys a query word should look for: CrossScriptKey first, then
// the keys of other likely readings (a final ة read as "-at" in "Jabhat", a
// Latin "-at" read as ة, ذ read as z, ...). At most 8, no duplicates.
std::vector<std::string> CrossScriptQueryKeys(std::string_view normalized_word);

// Returns the key of a word prefix typed by a user ("zam" of "zam*"): no
// end-of-word rules and no final marker, so it is a prefix of the keys of the
// words it starts.
std::string CrossScriptPrefixKey(std::string_view normalized_prefix);

// Splits text into words: runs of Unicode letters, digits and combining marks;
// ' ʿ ʾ ’ between Latin letters stay inside a word (Ma'loula); a change
// between Latin and Arabic script ends a word; French elision (l', d') and the
// English possessive 's are split off; compounds are split (عبدالسلام =
// عبد السلام, كفربطنا = كفر بطنا, Kafranbel = kafr nbel; docs/design/search.md);
// Chinese, Japanese, Thai, Lao, Khmer and Burmese runs are cut into words with
// ICU's dictionary word breaker.
std::vector<Word> SplitWords(std::string_view utf8_text);

// SplitWords, as the three aligned strings the catalogue stores.
Tokens Tokenize(std::string_view utf8_text);

// `utf8_text` in Unicode Normalization Form C (composed: "é" one code point,
// as Linux and Windows write names; macOS writes them decomposed). Text that is
// not valid UTF-8 is returned as it is.
std::string ToNfc(std::string_view utf8_text);

// True when `utf8_text` shows nothing: every code point is white space
// (Unicode's, the no-break space included), a format character (the
// right-to-left mark, a zero-width joiner) or a control character. Empty text
// is blank; invalid UTF-8 is not (its bytes are something).
bool IsBlank(std::string_view utf8_text);

}  // namespace isnad::text
