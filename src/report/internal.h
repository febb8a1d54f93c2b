// What the HTML and PDF writers share: the fixed labels in English and Arabic, and the
// cleaning that every content string goes through before it is shown.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace isnad::report::internal {

// Every fixed text of the report, in one language.
struct Labels {
  const char* lang;  // "en" or "ar"
  bool rtl;
  const char* report;   // the document's heading
  const char* archive;  // section: the archive and its custody log
  const char* origin;
  const char* vkey;
  const char* checkpoint_size;
  const char* checkpoint_root;
  const char* checkpoint_note;
  const char* bagging_date;
  const char* exhibits;  // section: the exhibit list
  const char* exhibit_count;
  const char* no_exhibits;
  const char* id;
  const char* name;
  const char* bag_path;
  const char* size;
  const char* bytes;
  const char* media_type;
  const char* sha256;
  const char* sha512;
  const char* title;
  const char* description;
  const char* event_date;
  const char* place;
  const char* status;
  const char* provenance;
  const char* custody;
  const char* jurisdiction;  // of the case, under the title
  const char* parties;       // of the case: "name (role); ..."
  const char* timeline;      // section: the case's or incident's events
  const char* claims;        // section: incidents and the claims the exhibits back
  const char* claims_intro;
  const char* timestamps;  // section: RFC 3161 tokens
  const char* no_timestamps;
  const char* verify;  // section: how to verify this package
  const char* verify_intro;
  const char* step_manifest;
  const char* step_bag;
  const char* step_bag_note;
  const char* step_docs;
  const char* generated;
};

// The literal verification commands and document, the same in both languages.
inline constexpr const char* kCmdManifest = "sha256sum -c manifest-sha256.txt";
inline constexpr const char* kCmdVerifyBag = "isnad verify-bag BAG --key VKEY";
inline constexpr const char* kDocVerifying = "data/tools/verifying.md";

// The Arabic labels for "ar", the English ones for anything else.
const Labels& LabelsFor(std::string_view lang);

// Returns `s` made safe to show: bytes that are not UTF-8 become U+FFFD, and so do
// control characters; when `multiline`, "\n" (and "\r\n", U+2028, U+2029) stays a line
// break and a tab becomes a space. Bidi embeddings, overrides and isolates (U+202A to
// U+202E, U+2066 to U+2069), which could make a name read differently from what it is,
// are shown as "[U+202E]"; the exact strings are in the exhibits' metadata.json.
std::string Clean(std::string_view s, bool multiline = false);

// Returns the size in binary units, "1.5 MiB", or "" below 1 KiB.
std::string BinarySize(uint64_t size);

// Returns the exhibit number shown to readers: "1", "2", ...
std::string Number(uint64_t n);

}  // namespace isnad::report::internal
