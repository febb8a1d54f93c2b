// The user's search language, translated to an FTS5 MATCH expression over the
// catalogue's columns exact/stem/skel (see normalize.h and
// docs/design/search.md); and the cross-script name evaluation behind
// tools crossscript_eval and text_test. Thread safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace isnad::text {

// Parses the user's query language and returns an FTS5 MATCH expression over
// columns exact/stem/skel.
//
// Syntax: words (implicit AND), "quoted phrases" (also “...”), AND, OR, NOT
// (upper case keywords; lower case ones are words), a leading '-' on a word,
// phrase or parenthesis = NOT, prefix* (a word ending in *), parentheses.
// Arabic and Latin words mix freely. Precedence: NOT, then AND, then OR.
//
// Each plain word w becomes
//   (exact:"N(w)" OR stem:"S(w)" OR skel:"K1(w)" OR skel:"K2(w)" ...)
// with the word's normalized form, stem and cross-script keys
// (CrossScriptQueryKeys). A phrase, or a word that normalizes to several
// (al-Sham, U.S), becomes the same three alternatives as phrases; articles
// ("al", "el-", "ash-") are left out of its skel phrase, and a lone "al"/"el"
// before a word joins it ("al Assad" = "al-Assad"). A prefix word searches
// exact and skel prefixes only, and no skel prefix of one letter (dou* -> d
// would match most keys). FTS5's NOT needs a left operand, so
// `sarin -video` becomes `(...sarin...) NOT (...video...)`, and
// `sarin -a -b` `(...sarin...) NOT ((...a...) OR (...b...))`. What is left
// out (-word, NOT word, -(group)) is matched as written and through its stem
// only, never through keys: `army -sarin` must not drop a document that says
// "Syrian". Every token is quoted, so words like AND, OR and NEAR in data are
// never operators.
//
// Errors (kInvalidArgument, with what, where as a character offset, and how to
// fix it): an empty query; an unterminated quote; an unmatched '(' or ')'; an
// empty phrase or "()"; AND/OR/NOT without an operand; a '*' with no word; a
// query or OR branch that only excludes (`-video`, `a OR NOT b`); groups
// nested so deeply that FTS5's parser could not take the expression (more
// than 28 levels of parentheses in it).
//
// With `cross_script` false (search --as-written), words match as written and
// through their stems only: no skel alternatives, so "sarin" does not find
// "Syrian" (one key, srn), nor Zamalka زملكا.
core::StatusOr<std::string> ToFtsMatch(std::string_view user_query, bool cross_script = true);

// ---------------------------------------------------------------------------
// Cross-script name matching, as the skel part of ToFtsMatch applies it to a
// plain-word query: a document matches when every non-article word of the
// query has a key (CrossScriptQueryKeys) equal to the skel key of some word of
// the document.

// The key sets of the non-article words of `text`, one set per word.
std::vector<std::vector<std::string>> QueryKeySets(std::string_view text);
// The skel keys of the words of `text` (Tokenize's skel column, split).
std::vector<std::string> DocumentKeys(std::string_view text);
bool SkelMatches(const std::vector<std::vector<std::string>>& query_keys,
                 const std::vector<std::string>& document_keys);

// Counts for one direction (or kind) of the evaluation.
struct MatchStats {
  size_t pairs = 0;      // (query, same-entity spelling in the other script) pairs
  size_t found = 0;      // of those, matched
  size_t hits = 0;       // (query, document) matches
  size_t true_hits = 0;  // of those, same entity
  double Recall() const { return pairs == 0 ? 0.0 : static_cast<double>(found) / pairs; }
  double Precision() const { return hits == 0 ? 1.0 : static_cast<double>(true_hits) / hits; }
  MatchStats& operator+=(const MatchStats& o) {
    pairs += o.pairs;
    found += o.found;
    hits += o.hits;
    true_hits += o.true_hits;
    return *this;
  }
};

// Transliteration figures for one value of the `kind` column (by the query's
// entity).
struct KindEvaluation {
  std::string kind;
  size_t entities = 0;
  // Entities with at least one transliteration pair across scripts (an
  // unmarked Latin spelling and an unmarked Arabic one).
  size_t transliterated = 0;
  MatchStats latin_to_arabic;
  MatchStats arabic_to_latin;
  MatchStats Cross() const {
    MatchStats s = latin_to_arabic;
    s += arabic_to_latin;
    return s;
  }
};

// The result of evaluating cross-script keys on a names file.
//
// Recall counts transliteration pairs only: two spellings of one entity, in
// different scripts, neither marked '=' (a translation, exonym, other name or
// acronym, which no phonetic key should match; the catalogue's gazetteer
// bridges those). Precision counts every hit of every query against every
// document, marked spellings included: a false hit is a false hit.
struct NameEvaluation {
  size_t entities = 0;
  size_t spellings = 0;
  size_t marked = 0;                    // spellings marked '='
  MatchStats latin_to_arabic;           // Latin queries against Arabic documents
  MatchStats arabic_to_latin;           // Arabic queries against Latin documents
  MatchStats all;                       // any script: unmarked pairs, every hit
  std::vector<KindEvaluation> by_kind;  // in the order of first appearance
  // Cross-script pairs with exactly one marked spelling (Damascus / دمشق):
  // pairs and found only. Expected near 0.
  MatchStats translations;
  // Cross-script pairs of two marked spellings (Kobani / كوباني, Damascus /
  // الشام): some are transliterations of each other, some not; not scored.
  MatchStats other_names;
  std::vector<std::string> misses;              // transliteration misses, one line each
  std::vector<std::string> translations_found;  // marked pairs the keys found
  std::vector<std::string> false_hits;          // one line each

  // Transliteration recall over both cross-script directions.
  double CrossRecall() const;
  // Precision over both cross-script directions.
  double CrossPrecision() const;
};

// Evaluates a names file: UTF-8 TSV with the header
// `kind<TAB>arabic<TAB>latin<TAB>arabic_variants`, `latin` and
// `arabic_variants` holding '|'-separated spellings, '#' lines comments. A
// spelling in `latin` or `arabic_variants` that starts with '=' is marked: it
// is not a transliteration of the entity's Arabic name (tests/data/names/
// README.md). Each spelling is indexed as a document; each spelling is then a
// query against every other document. kInvalidArgument (with the line
// number) when the file is malformed.
core::StatusOr<NameEvaluation> EvaluateNames(std::string_view tsv);

}  // namespace isnad::text
