// crossscript_eval FILE: measures how well cross-script keys (normalize.h) let
// a Latin spelling of a name find its Arabic spelling and the reverse.
//
// FILE is a names TSV (kind, arabic, latin, arabic_variants; see query.h and
// tests/data/names/README.md). Every spelling is indexed as a document, then
// used as a query against all the others with the rule the skel part of an
// FTS query applies: every query word has a key equal to the key of some
// document word. Prints first the transliteration figures (recall over pairs
// of unmarked spellings; precision over every hit, marked spellings included)
// per direction and per kind, then how many pairs with a spelling marked '='
// (translations, exonyms, other names, acronyms) the keys happen to find, then
// the misses, the marked pairs found and the false hits. Exit status 0 after
// a report, 2 when the file cannot be read or parsed.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "text/query.h"

namespace {

void PrintStats(const char* name, const isnad::text::MatchStats& s) {
  std::printf("  %-24s recall %.3f (%zu/%zu)  precision %.3f (%zu/%zu)\n", name, s.Recall(),
              s.found, s.pairs, s.Precision(), s.true_hits, s.hits);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: crossscript_eval FILE\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "crossscript_eval: cannot open %s\n", argv[1]);
    return 2;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  auto ev = isnad::text::EvaluateNames(buf.str());
  if (!ev.ok()) {
    std::fprintf(stderr, "crossscript_eval: %s\n", ev.status().ToString().c_str());
    return 2;
  }
  std::printf("%s: %zu entities, %zu spellings (%zu marked '=': not transliterations)\n", argv[1],
              ev->entities, ev->spellings, ev->marked);
  std::printf("entities with a transliteration pair across scripts:");
  for (const auto& k : ev->by_kind) {
    std::printf(" %s %zu/%zu", k.kind.c_str(), k.transliterated, k.entities);
  }
  std::printf(
      "\n\ntransliterations (recall: pairs of unmarked spellings; precision: every hit,"
      " marked spellings included):\n");
  PrintStats("latin->arabic", ev->latin_to_arabic);
  PrintStats("arabic->latin", ev->arabic_to_latin);
  isnad::text::MatchStats cross = ev->latin_to_arabic;
  cross += ev->arabic_to_latin;
  PrintStats("cross-script", cross);
  for (const auto& k : ev->by_kind) {
    PrintStats((k.kind + " latin->arabic").c_str(), k.latin_to_arabic);
    PrintStats((k.kind + " arabic->latin").c_str(), k.arabic_to_latin);
    PrintStats((k.kind + " cross-script").c_str(), k.Cross());
  }
  PrintStats("all spellings, any script", ev->all);
  std::printf(
      "\nmarked pairs across scripts (not transliterations; the gazetteer bridges them):\n");
  std::printf("  %-24s found %zu/%zu\n", "one spelling marked", ev->translations.found,
              ev->translations.pairs);
  std::printf("  %-24s found %zu/%zu\n", "both marked", ev->other_names.found,
              ev->other_names.pairs);
  std::printf("\ntransliteration misses (%zu):\n", ev->misses.size());
  for (const std::string& m : ev->misses) std::printf("  %s\n", m.c_str());
  std::printf("\nmarked pairs found (%zu):\n", ev->translations_found.size());
  for (const std::string& m : ev->translations_found) std::printf("  %s\n", m.c_str());
  std::printf("\nfalse hits (%zu):\n", ev->false_hits.size());
  for (const std::string& f : ev->false_hits) std::printf("  %s\n", f.c_str());
  return 0;
}
