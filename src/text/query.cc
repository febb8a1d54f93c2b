#include "text/query.h"

#include <unicode/uchar.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "core/utf8.h"
#include "text/normalize.h"

namespace isnad::text {
namespace {

constexpr int kMaxDepth = 64;
constexpr int kMaxFtsDepth = 28;  // levels of parentheses in the FTS5 expression
constexpr size_t kMaxSkelAlternatives = 8;

enum class Tok { kWord, kPhrase, kAnd, kOr, kNot, kLParen, kRParen };

struct Token {
  Tok kind;
  std::string text;  // words and phrases: the raw text
  size_t offset;     // in characters
  bool negated = false;
  bool prefix = false;
};

// Decodes one code point at s[i]; a byte that is not valid UTF-8 is U+FFFD,
// length 1.
uint32_t Decode(std::string_view s, size_t i, size_t* len) {
  auto c = static_cast<unsigned char>(s[i]);
  *len = 1;
  if (c < 0x80) return c;
  size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0xFFFD;
  uint32_t cp = 0;
  bool ok = core::ForEachCodePoint(s.substr(i, n), [&](uint32_t v) { cp = v; });
  if (!ok) return 0xFFFD;
  *len = n;
  return cp;
}

bool IsSpace(uint32_t cp) {
  if (cp < 0x80)
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v';
  return u_charType(static_cast<UChar32>(cp)) == U_SPACE_SEPARATOR;
}
bool IsOpenQuote(uint32_t cp) { return cp == '"' || cp == 0x201C || cp == 0x201D || cp == 0xAB; }
bool IsCloseQuote(uint32_t cp) { return cp == '"' || cp == 0x201C || cp == 0x201D || cp == 0xBB; }

// Character offsets of byte positions asked for in increasing order (the
// lexer's), counted on from the last one: linear in the query, not quadratic.
class CharOffsets {
 public:
  explicit CharOffsets(std::string_view s) : s_(s) {}
  size_t At(size_t byte) {
    for (; byte_ < byte && byte_ < s_.size(); ++byte_) {
      if ((static_cast<unsigned char>(s_[byte_]) & 0xC0) != 0x80) ++chars_;
    }
    return chars_;
  }

 private:
  std::string_view s_;
  size_t byte_ = 0;
  size_t chars_ = 0;
};

core::Status Error(std::string what) { return core::InvalidArgument("query: " + std::move(what)); }

std::string AtChar(size_t offset) { return "at character " + std::to_string(offset); }

core::StatusOr<std::vector<Token>> Lex(std::string_view q) {
  std::vector<Token> out;
  CharOffsets offsets(q);
  size_t i = 0;
  while (i < q.size()) {
    size_t len;
    uint32_t cp = Decode(q, i, &len);
    if (IsSpace(cp)) {
      i += len;
      continue;
    }
    size_t start = i;
    bool neg = false;
    if (cp == '-' && i + 1 < q.size()) {
      size_t nlen;
      uint32_t next = Decode(q, i + 1, &nlen);
      if (!IsSpace(next) && next != ')' && next != '-') {
        neg = true;
        i += 1;
        cp = next;
        len = nlen;
      }
    }
    size_t off = offsets.At(start);
    if (cp == '(') {
      out.push_back({Tok::kLParen, "", off, neg});
      i += 1;
      continue;
    }
    if (cp == ')') {
      out.push_back({Tok::kRParen, "", off});
      i += 1;
      continue;
    }
    if (IsOpenQuote(cp)) {
      size_t qoff = offsets.At(i);
      size_t j = i + len;
      size_t close = std::string_view::npos;
      size_t clen = 0;
      while (j < q.size()) {
        size_t l;
        uint32_t c = Decode(q, j, &l);
        if (IsCloseQuote(c)) {
          close = j;
          clen = l;
          break;
        }
        j += l;
      }
      if (close == std::string_view::npos) {
        return Error("unterminated quote " + AtChar(qoff) +
                     ": the phrase is never closed; add a closing '\"' after it, or remove "
                     "the quote");
      }
      out.push_back({Tok::kPhrase, std::string(q.substr(i + len, close - i - len)), off, neg});
      i = close + clen;
      continue;
    }
    if (IsCloseQuote(cp)) {  // a closing quote with no opening one: noise
      i += len;
      continue;
    }
    size_t j = i;
    while (j < q.size()) {
      size_t l;
      uint32_t c = Decode(q, j, &l);
      if (IsSpace(c) || c == '(' || c == ')' || IsOpenQuote(c) || IsCloseQuote(c)) break;
      j += l;
    }
    std::string raw(q.substr(i, j - i));
    i = j;
    if (!neg && (raw == "AND" || raw == "OR" || raw == "NOT")) {
      out.push_back({raw == "AND" ? Tok::kAnd : raw == "OR" ? Tok::kOr : Tok::kNot, raw, off});
      continue;
    }
    bool prefix = false;
    while (!raw.empty() && raw.back() == '*') {
      raw.pop_back();
      prefix = true;
    }
    if (prefix && NormalizeWord(raw).empty()) {
      return Error("'*' " + AtChar(off) +
                   " has no word before it; a prefix search needs the start of a word, e.g. "
                   "zam*");
    }
    out.push_back({Tok::kWord, std::move(raw), off, neg, prefix});
  }
  // A lone article joins the word after it: "al Assad" is "al-Assad".
  std::vector<Token> joined;
  joined.reserve(out.size());
  for (size_t k = 0; k < out.size(); ++k) {
    Token a = std::move(out[k]);
    if (k + 1 < out.size() && a.kind == Tok::kWord && !a.prefix && out[k + 1].kind == Tok::kWord &&
        !out[k + 1].negated) {
      std::string n = NormalizeWord(a.text);
      if (n == "al" || n == "el") {
        a.text += ' ';
        a.text += out[k + 1].text;
        a.prefix = out[k + 1].prefix;
        ++k;
      }
    }
    joined.push_back(std::move(a));
  }
  return joined;
}

std::string Quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  out += s;
  out += '"';
  return out;
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k > 0) out += sep;
    out += parts[k];
  }
  return out;
}

// The FTS5 expression of a word or phrase; empty when it has no words. Without
// `cross_script`, the word as written and its stem only (no skel alternatives).
std::string TermExpr(std::string_view raw, bool prefix, bool cross_script) {
  std::vector<Word> words = SplitWords(raw);
  if (words.empty()) return "";
  std::vector<std::string> exact, stem;
  for (const Word& w : words) {
    exact.push_back(w.exact);
    stem.push_back(w.stem);
  }
  std::vector<std::string> alts;  // OR'ed alternatives
  if (prefix) {
    alts.push_back("exact:" + Quote(Join(exact, " ")) + "*");
    if (!cross_script) {
      alts.push_back(TermExpr(raw, /*prefix=*/false, false));
      return "(" + Join(alts, " OR ") + ")";
    }
    std::vector<std::string> skel;
    for (size_t k = 0; k + 1 < words.size(); ++k) {
      if (!words[k].article) skel.push_back(words[k].skel);
    }
    // A key prefix of one letter ("dou*" -> d) would merge the doclists of
    // most keys in the index: not searched (the exact prefix still is).
    std::string last = CrossScriptPrefixKey(words.back().exact);
    if (last.size() >= 2 || (!last.empty() && !skel.empty())) {
      skel.push_back(last);
      alts.push_back("skel:" + Quote(Join(skel, " ")) + "*");
    }
    // What the words find without the '*' too ("غوطة*" finds what "غوطة"
    // finds: الغوطة, Ghouta), since a prefix key reads a last letter that the
    // whole word's key may fold away (a final ة).
    alts.push_back(TermExpr(raw, /*prefix=*/false, true));
    return "(" + Join(alts, " OR ") + ")";
  }
  alts.push_back("exact:" + Quote(Join(exact, " ")));
  alts.push_back("stem:" + Quote(Join(stem, " ")));
  // skel: every combination of the words' keys, canonical first, at most 8.
  std::vector<std::vector<std::string>> keys;
  for (const Word& w : words) {
    if (!w.article && cross_script) keys.push_back(CrossScriptQueryKeys(w.exact));
  }
  if (!keys.empty()) {
    std::vector<size_t> choice(keys.size(), 0);
    std::vector<std::string> seen;
    for (size_t n = 0; n < kMaxSkelAlternatives; ++n) {
      std::vector<std::string> parts;
      for (size_t k = 0; k < keys.size(); ++k) parts.push_back(keys[k][choice[k]]);
      std::string phrase = Join(parts, " ");
      if (std::find(seen.begin(), seen.end(), phrase) == seen.end()) {
        alts.push_back("skel:" + Quote(phrase));
        seen.push_back(std::move(phrase));
      }
      size_t k = 0;
      while (k < keys.size() && ++choice[k] == keys[k].size()) choice[k++] = 0;
      if (k == keys.size()) break;
    }
  }
  return "(" + Join(alts, " OR ") + ")";
}

class Parser {
 public:
  Parser(const std::vector<Token>& t, bool cross_script) : t_(t), cross_script_(cross_script) {}

  core::StatusOr<std::string> Parse() {
    ISNAD_ASSIGN_OR_RETURN(std::string e, ParseOr(0));
    if (p_ < t_.size()) {
      // Only a ')' stops ParseOr early.
      return Error("unmatched ')' " + AtChar(t_[p_].offset) +
                   ": there is no '(' before it; remove it or add the missing '('");
    }
    if (e.empty()) {
      return Error(
          "empty query: there is nothing to search for; type a word or a \"quoted phrase\", "
          "e.g. sarin");
    }
    return e;
  }

 private:
  bool At(Tok k) const { return p_ < t_.size() && t_[p_].kind == k; }

  core::StatusOr<std::string> ParseOr(int depth) {
    std::vector<std::string> branches;
    ISNAD_ASSIGN_OR_RETURN(std::string first, ParseAnd(depth));
    if (first.empty() && At(Tok::kOr)) {
      return Error("OR " + AtChar(t_[p_].offset) +
                   " has nothing before it; write a word on each side, e.g. 'sarin OR chlorine'");
    }
    branches.push_back(std::move(first));
    while (At(Tok::kOr)) {
      size_t off = t_[p_].offset;
      ++p_;
      ISNAD_ASSIGN_OR_RETURN(std::string next, ParseAnd(depth));
      if (next.empty()) {
        return Error("OR " + AtChar(off) +
                     " has nothing after it; write a word on each side, e.g. 'sarin OR chlorine'");
      }
      branches.push_back(std::move(next));
    }
    if (branches.size() == 1) return std::move(branches[0]);
    return "(" + Join(branches, " OR ") + ")";
  }

  core::StatusOr<std::string> ParseAnd(int depth) {
    std::vector<std::string> pos, neg;
    size_t first_neg_offset = 0;
    bool pending_and = false;
    size_t and_offset = 0;
    while (p_ < t_.size() && !At(Tok::kOr) && !At(Tok::kRParen)) {
      const Token& tok = t_[p_];
      if (tok.kind == Tok::kAnd) {
        if (pending_and) {
          return Error("AND " + AtChar(and_offset) +
                       " has nothing after it; write a word on each side, e.g. 'sarin AND "
                       "video'");
        }
        if (pos.empty() && neg.empty()) {
          return Error("AND " + AtChar(tok.offset) +
                       " has nothing before it; write a word on each side, e.g. 'sarin AND "
                       "video'");
        }
        pending_and = true;
        and_offset = tok.offset;
        ++p_;
        continue;
      }
      bool negated = false;
      size_t neg_offset = tok.offset;
      if (tok.kind == Tok::kNot) {
        ++p_;
        if (p_ >= t_.size() || At(Tok::kAnd) || At(Tok::kOr) || At(Tok::kNot) || At(Tok::kRParen)) {
          return Error("NOT " + AtChar(tok.offset) +
                       " has nothing after it; write the word to leave out, e.g. 'sarin NOT "
                       "video'");
        }
        negated = true;
      }
      const Token& prim = t_[p_];
      negated = negated || prim.negated;
      // What is left out is left out as written (and its word forms): through the
      // keys, "-sarin" would also drop every document that says "Syrian" (one
      // key, srn), silently. A wider search is a hit too many; a narrower one
      // loses evidence.
      const bool outer_cross_script = cross_script_;
      if (negated) cross_script_ = false;
      struct Restore {
        bool& flag;
        bool value;
        ~Restore() { flag = value; }
      } restore{cross_script_, outer_cross_script};
      std::string e;
      if (prim.kind == Tok::kLParen) {
        if (depth >= kMaxDepth) {
          return Error("parentheses nested too deeply " + AtChar(prim.offset) +
                       "; use fewer levels");
        }
        ++p_;
        ISNAD_ASSIGN_OR_RETURN(e, ParseOr(depth + 1));
        if (!At(Tok::kRParen)) {
          return Error("unmatched '(' " + AtChar(prim.offset) +
                       ": it is never closed; add a ')' after the group, or remove it");
        }
        if (e.empty()) {
          return Error("empty parentheses " + AtChar(prim.offset) +
                       ": put words inside them, or remove them");
        }
        ++p_;
      } else if (prim.kind == Tok::kPhrase) {
        e = TermExpr(prim.text, false, cross_script_);
        if (e.empty()) {
          return Error("empty phrase " + AtChar(prim.offset) +
                       ": put words between the quotes, or remove them");
        }
        ++p_;
      } else {  // a word
        e = TermExpr(prim.text, prim.prefix, cross_script_);
        ++p_;
        if (e.empty()) continue;  // punctuation only: nothing to search for
      }
      pending_and = false;
      if (negated) {
        if (neg.empty()) first_neg_offset = neg_offset;
        neg.push_back(std::move(e));
      } else {
        pos.push_back(std::move(e));
      }
    }
    if (pending_and) {
      return Error("AND " + AtChar(and_offset) +
                   " has nothing after it; write a word on each side, e.g. 'sarin AND video'");
    }
    if (pos.empty()) {
      if (neg.empty()) return std::string();
      return Error("the exclusion " + AtChar(first_neg_offset) +
                   " has nothing to exclude from: a query (or each side of OR) needs a word to "
                   "search for, e.g. 'sarin -video' or 'sarin NOT video'");
    }
    std::string e = pos.size() == 1 ? std::move(pos[0]) : "(" + Join(pos, " AND ") + ")";
    if (neg.empty()) return e;
    // a NOT b NOT c as a NOT (b OR c): one level of parentheses however many
    // words are left out (FTS5's parser has a small stack).
    return "(" + e + " NOT " + (neg.size() == 1 ? neg[0] : "(" + Join(neg, " OR ") + ")") + ")";
  }

  const std::vector<Token>& t_;
  bool cross_script_;  // false inside what is left out
  size_t p_ = 0;
};

std::vector<std::string_view> SplitOn(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (true) {
    size_t j = s.find(sep, i);
    if (j == std::string_view::npos) {
      out.push_back(s.substr(i));
      return out;
    }
    out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\r' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string KeysText(const std::vector<std::vector<std::string>>& q) {
  std::string out = "[";
  for (size_t k = 0; k < q.size(); ++k) {
    if (k > 0) out += ' ';
    out += Join(q[k], "|");
  }
  return out + "]";
}

std::string KeysText(const std::vector<std::string>& d) { return "[" + Join(d, " ") + "]"; }

}  // namespace

core::StatusOr<std::string> ToFtsMatch(std::string_view user_query, bool cross_script) {
  ISNAD_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(user_query));
  if (tokens.empty()) {
    return Error(
        "empty query: there is nothing to search for; type a word or a \"quoted phrase\", "
        "e.g. sarin");
  }
  Parser p(tokens, cross_script);
  ISNAD_ASSIGN_OR_RETURN(std::string match, p.Parse());
  // FTS5's parser has a fixed stack: about 33 levels of parentheses of
  // binary operators overflow it ("fts5: parser stack overflow"). The
  // catalogue may add two levels (filter keys, prefix terms).
  int depth = 0, deepest = 0;
  bool quoted = false;
  for (char c : match) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '(') deepest = std::max(deepest, ++depth);
    if (c == ')') --depth;
  }
  if (deepest > kMaxFtsDepth) {
    return Error(
        "the query nests too deeply (parentheses within parentheses, each group of words "
        "adding a level); use fewer levels of parentheses");
  }
  return match;
}

std::vector<std::vector<std::string>> QueryKeySets(std::string_view text) {
  std::vector<std::vector<std::string>> out;
  for (const Word& w : SplitWords(text)) {
    if (!w.article) out.push_back(CrossScriptQueryKeys(w.exact));
  }
  return out;
}

std::vector<std::string> DocumentKeys(std::string_view text) {
  std::vector<std::string> out;
  for (Word& w : SplitWords(text)) out.push_back(std::move(w.skel));
  return out;
}

bool SkelMatches(const std::vector<std::vector<std::string>>& query_keys,
                 const std::vector<std::string>& document_keys) {
  if (query_keys.empty()) return false;
  for (const auto& alternatives : query_keys) {
    bool any = false;
    for (const std::string& k : alternatives) {
      if (std::find(document_keys.begin(), document_keys.end(), k) != document_keys.end()) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}

double NameEvaluation::CrossRecall() const {
  size_t pairs = latin_to_arabic.pairs + arabic_to_latin.pairs;
  size_t found = latin_to_arabic.found + arabic_to_latin.found;
  return pairs == 0 ? 0.0 : static_cast<double>(found) / pairs;
}

double NameEvaluation::CrossPrecision() const {
  size_t hits = latin_to_arabic.hits + arabic_to_latin.hits;
  size_t good = latin_to_arabic.true_hits + arabic_to_latin.true_hits;
  return hits == 0 ? 1.0 : static_cast<double>(good) / hits;
}

core::StatusOr<NameEvaluation> EvaluateNames(std::string_view tsv) {
  struct Spelling {
    size_t entity;
    size_t kind;
    bool arabic;
    bool marked;  // '=': not a transliteration of the entity's name
    std::string text;
    std::vector<std::vector<std::string>> query;
    std::vector<std::string> doc;
  };
  std::vector<Spelling> sp;
  NameEvaluation ev;
  int col_kind = -1, col_arabic = -1, col_latin = -1, col_variants = -1;
  bool header = false;
  size_t line_no = 0;
  for (std::string_view line : SplitOn(tsv, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (Trim(line).empty() || line.front() == '#') continue;
    std::vector<std::string_view> cols = SplitOn(line, '\t');
    if (!header) {
      for (size_t c = 0; c < cols.size(); ++c) {
        std::string_view name = Trim(cols[c]);
        if (name == "kind") col_kind = static_cast<int>(c);
        if (name == "arabic") col_arabic = static_cast<int>(c);
        if (name == "latin") col_latin = static_cast<int>(c);
        if (name == "arabic_variants") col_variants = static_cast<int>(c);
      }
      if (col_arabic < 0 || col_latin < 0) {
        return core::InvalidArgument(
            "names file line " + std::to_string(line_no) +
            ": expected the header kind<TAB>arabic<TAB>latin<TAB>arabic_variants");
      }
      header = true;
      continue;
    }
    auto col = [&](int c) {
      return c >= 0 && static_cast<size_t>(c) < cols.size() ? cols[static_cast<size_t>(c)]
                                                            : std::string_view();
    };
    if (static_cast<int>(cols.size()) <= std::max(col_arabic, col_latin)) {
      return core::InvalidArgument("names file line " + std::to_string(line_no) +
                                   ": expected tab-separated columns kind, arabic, latin, "
                                   "arabic_variants");
    }
    if (Trim(col(col_arabic)).starts_with("=")) {
      return core::InvalidArgument("names file line " + std::to_string(line_no) +
                                   ": the arabic column is the entity's name and cannot be "
                                   "marked '='; mark the other spellings");
    }
    size_t entity = ev.entities++;
    std::string kind(Trim(col(col_kind)));
    size_t kind_index = 0;
    while (kind_index < ev.by_kind.size() && ev.by_kind[kind_index].kind != kind) ++kind_index;
    if (kind_index == ev.by_kind.size()) {
      ev.by_kind.emplace_back();
      ev.by_kind.back().kind = kind;
    }
    ++ev.by_kind[kind_index].entities;
    struct Name {
      bool arabic, marked;
      std::string text;
    };
    std::vector<Name> names;
    auto add = [&](bool arabic, std::string_view s) {
      s = Trim(s);
      bool marked = s.starts_with("=");
      if (marked) s = Trim(s.substr(1));
      if (s.empty()) return;
      std::string v(s);
      for (const auto& n : names) {
        if (n.arabic == arabic && n.text == v) return;
      }
      names.push_back(Name{arabic, marked, std::move(v)});
    };
    add(true, col(col_arabic));
    for (std::string_view v : SplitOn(col(col_variants), '|')) add(true, v);
    for (std::string_view v : SplitOn(col(col_latin), '|')) add(false, v);
    bool latin = false, arabic = false;
    for (auto& n : names) {
      if (!n.marked) (n.arabic ? arabic : latin) = true;
      if (n.marked) ++ev.marked;
      Spelling s{entity, kind_index, n.arabic, n.marked, std::move(n.text), {}, {}};
      s.query = QueryKeySets(s.text);
      s.doc = DocumentKeys(s.text);
      sp.push_back(std::move(s));
    }
    if (latin && arabic) ++ev.by_kind[kind_index].transliterated;
  }
  if (!header) return core::InvalidArgument("names file has no header line");
  ev.spellings = sp.size();

  auto describe = [](const char* dir, const Spelling& q, const Spelling& d) {
    return std::string(dir) + " '" + (q.marked ? "=" : "") + q.text + "' " + KeysText(q.query) +
           " -> '" + (d.marked ? "=" : "") + d.text + "' " + KeysText(d.doc);
  };
  for (size_t qi = 0; qi < sp.size(); ++qi) {
    const Spelling& q = sp[qi];
    KindEvaluation& ke = ev.by_kind[q.kind];
    for (size_t di = 0; di < sp.size(); ++di) {
      if (di == qi) continue;
      const Spelling& d = sp[di];
      bool match = SkelMatches(q.query, d.doc);
      bool same = q.entity == d.entity;
      bool translit = same && !q.marked && !d.marked;
      if (translit) {
        ++ev.all.pairs;
        if (match) ++ev.all.found;
      }
      if (match) {
        ++ev.all.hits;
        if (same) ++ev.all.true_hits;
      }
      if (q.arabic == d.arabic) {
        if (match && !same) {
          ev.false_hits.push_back(describe(q.arabic ? "ar->ar" : "la->la", q, d));
        }
        continue;
      }
      MatchStats& st = q.arabic ? ev.arabic_to_latin : ev.latin_to_arabic;
      MatchStats& kst = q.arabic ? ke.arabic_to_latin : ke.latin_to_arabic;
      const char* dir = q.arabic ? "ar->la" : "la->ar";
      if (translit) {
        ++st.pairs;
        ++kst.pairs;
        if (match) {
          ++st.found;
          ++kst.found;
        } else {
          ev.misses.push_back(ke.kind + " " + describe(dir, q, d));
        }
      } else if (same) {
        MatchStats& other = q.marked && d.marked ? ev.other_names : ev.translations;
        ++other.pairs;
        if (match) {
          ++other.found;
          ev.translations_found.push_back(ke.kind + " " + describe(dir, q, d));
        }
      }
      if (match) {
        ++st.hits;
        ++kst.hits;
        if (same) {
          ++st.true_hits;
          ++kst.true_hits;
        } else {
          ev.false_hits.push_back(describe(dir, q, d));
        }
      }
    }
  }
  return ev;
}

}  // namespace isnad::text
