// The human-readable report that goes into an export bag: HTML and PDF, in English
// and Arabic (right to left, shaped), listing the exhibits with their hashes, capture
// provenance, custody timeline, review status, and how to verify the package. Pure
// presentation: it is given the data and writes bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace isnad::report {

struct Line {
  std::string date, what;  // one step of a timeline
};

struct Exhibit {
  std::string id, name, bag_path;  // item id, original name, path inside the bag
  std::string sha256, sha512, media_type;
  uint64_t size = 0;
  std::string title, description;  // in the report's language when known, else any
  std::string event_date, place, status;
  std::vector<std::string> provenance;  // one line per source record
  std::vector<Line> custody;            // custody entries about it, in log order
};

struct Content {
  std::string lang;   // "en" or "ar"
  std::string title;  // the case, incident or selection
  // For a case: its jurisdiction, its parties ("name (id): role; ..."), its description.
  std::string jurisdiction, parties, description;
  std::string origin, vkey, checkpoint_size, checkpoint_root, bagging_date;
  std::vector<Exhibit> exhibits;
  std::vector<Line> timeline;  // the case's or incident's events, when any
  // The incidents the exhibits are linked to and the claims (relations: who commanded
  // whom, who was responsible for what) they back, one line each, when any.
  std::vector<std::string> claims;
  std::vector<std::string> timestamps;  // one line per RFC 3161 token
};

// Both: labels in Arabic when lang is "ar", else in English. Every content string is shown
// as given, except that bytes that are not UTF-8 and control characters show as U+FFFD and
// bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) as "[U+202E]", so
// that no name can display as something it is not. Thread safe; the same content always
// gives the same bytes.

// A complete HTML document (UTF-8, inline CSS, dir="rtl" for Arabic; no scripts, no
// external resources).
std::string Html(const Content& content);
// A PDF (Cairo + Pango, fonts embedded, Arabic shaped by HarfBuzz), A4, pages numbered
// "n / N"; its creation date is bagging_date (none when that is not YYYY-MM-DD...).
// kFailedPrecondition when the DejaVu fonts are not installed (fonts-dejavu-core);
// kInternal when Cairo fails.
core::StatusOr<std::string> Pdf(const Content& content);

}  // namespace isnad::report
