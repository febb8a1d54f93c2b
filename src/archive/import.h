// Catalogue import and export: `isnad import FILE.csv|FILE.jsonl` and
// `isnad export-catalog`. The formats are docs/formats/catalog-import.md; what
// this code adds to that page is listed under "Extensions" below.
//
// Import is all or nothing as far as checking goes: every row is checked first
// (dates, coordinates, languages, every reference, every file, derivations
// that would make an item a copy of its own copy) and ALL problems
// are collected; when there is any, nothing is written and the report carries
// them. Only a file without problems is applied, in two steps:
//   1. the files named by `path` are ingested with Archive::Add (one call per
//      distinct `source` URL, in order of first appearance; the same bytes
//      twice are one item);
//   2. every evidence graph entry the file describes, notes (`note`, as
//      note.added) included, is recorded with ONE Archive::Record call: one
//      batch under one signed checkpoint, entries in file order, so that
//      entities created by the file get the ids NextLeafIndex() + k (k =
//      position in the batch). An item line gives, in this order:
//      item.described (one per language, in tag order; the first also carries
//      event_date, place, lat/lon), item.tagged, item.reviewed,
//      incident.linked, item.derived, note.added. An incident line gives
//      incident.added then incident.linked (`items`); a case line case.added
//      then case.linked (`exhibits`).
// When step 1 succeeds and step 2 fails (disk full, a crash), the ingested
// files are preserved and acknowledged but no description was recorded; the
// error says so. Re-running the same import is then safe: re-adding bytes the
// archive already holds from the same paths records nothing new. A file that Add skips
// (changed or unreadable since the check) stops the import before step 2,
// with the same guarantee.
//
// Row numbers: CSV rows are records counted from the header (row 1), so the
// first data row is row 2, as a spreadsheet shows it (a record with a quoted
// line break is still one row). JSON Lines rows are line numbers.
//
// References (JSON Lines): a value may be a `ref` defined on an EARLIER line,
// an archive id (i42, pl7, inc3, ac9, case2) or, for places, actors and
// incidents, a name that names exactly one of them. Names are matched against
// the archive with its normalisation (Catalog::ResolveRef) and against the
// entities defined earlier in the file exactly. A ref used before the line
// that defines it is a problem, whatever the archive holds. An item line's
// `id` may also be such a ref.
//
// Extensions beyond the page (so that an export holds the whole log's graph):
//  * `lang` is accepted beside `language` (both rows and lines), and sets the
//    language of plain-string text fields on every kind of line.
//  * CSV accepts every JSON Lines item member as a column (ref, source, note,
//    original, ...); `tags` and `remove_tags` cells are separated by `;`.
//  * item members `remove_tags` (item.tagged "remove") and `status` with
//    `reason` (item.reviewed).
//  * `{"kind":"link","incident"|"case": ref, "items": [refs]}`: links items to
//    an incident or case defined before (incident.linked / case.linked).
//  * `{"kind":"unlink","incident"|"case": ref, "items": [refs], "reason": text}`:
//    takes back links made before, in the archive or by an earlier line
//    (incident.unlinked / case.unlinked); a file this import adds, only from
//    a link made by an earlier line.
//  * `id` and `sha256` may be given together; they must name the same item.
//  * case_event `type` is lower-cased with spaces and '-' turned into '_'
//    ("Cassation request" -> "cassation_request").
//
// Export (JSON Lines) walks the log in order and writes one line per evidence
// graph entry (time and operator are the archive's own and are not written):
// first one line per item it mentions, {"kind":"item","ref":"i5","sha256":..}
// in item order, then the entries, every entity carrying its archive id as its
// ref and every reference written as a ref. Importing the export into an
// archive that holds the same files therefore recreates the same entries in
// the same order; when the files were added in the same order and nothing
// else was recorded (e.g. a fresh archive: init, add, import), the entities
// get the same ids and exporting again gives the same bytes. Otherwise the
// second export differs only in the ids. Export (CSV) writes the current state
// of every item: one row per item, more when it has text in several languages
// or several incidents; place and incident are written by name when the name
// names exactly that one, else by id.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "archive/archive.h"
#include "core/status.h"

namespace isnad::archive {

// One thing wrong with the import file.
struct ImportProblem {
  uint64_t row = 0;  // see "Row numbers" above; 0 when about the whole file
  std::string
      column;  // CSV: the header as written; JSON Lines: the member ("places[1]"); "" when none
  std::string what;
};

struct ImportOptions {
  bool dry_run = false;  // check everything, write nothing
  int jobs = 2;          // files hashed and copied at once
  // While the files named by `path` are stored (from worker threads): bytes
  // read so far, files done, and files to store, over the whole import.
  std::function<void(uint64_t bytes, uint64_t files_done, uint64_t files_total)> on_progress;
};

struct ImportReport {
  std::string format;                   // "csv" or "jsonl"
  std::vector<ImportProblem> problems;  // non-empty: nothing was written
  // What is valid but most likely not meant (a Hijri year as a Gregorian one):
  // imported all the same, and said.
  std::vector<ImportProblem> warnings;
  uint64_t rows = 0;           // data rows / non-blank lines read
  uint64_t files = 0;          // distinct files named by `path`
  uint64_t items_added = 0;    // new items among them (0 on a dry run)
  uint64_t sources_added = 0;  // files whose bytes were already held: a source recorded
  // Files held already from the same path (and source, note): nothing recorded,
  // as `isnad add` run twice. items_added + sources_added + files_unchanged = files.
  uint64_t files_unchanged = 0;
  // Distinct items given entries; a dry run counts two files with the same
  // bytes as two.
  uint64_t items_described = 0;
  uint64_t entities = 0;  // places, incidents, actors, relations, cases, case events created
  uint64_t entries = 0;   // entries in the batch, notes included
  uint64_t notes = 0;     // note.added entries among them
  // Entries left out because they would say what the archive already says of
  // an item (a title, date, tag or review it has): a file imported twice
  // records nothing new the second time. Not known on a dry run.
  uint64_t unchanged = 0;
  uint64_t first_leaf = 0;  // leaf index of the batch's first entry (when written)
};

// Imports `file` (.csv, or .jsonl/.ndjson for JSON Lines) into `archive`
// (opened kWrite; kRead is enough for a dry run). Returns the report (with
// problems, and nothing written, when the file has any), or an error status
// when the file cannot be read or applying it failed (see above).
core::StatusOr<ImportReport> Import(Archive& archive, const std::string& file,
                                    const ImportOptions& options);

// Writes the catalogue as "jsonl" (the whole evidence graph) or "csv" (items).
core::Status ExportCatalog(const Archive& archive, std::string_view format, std::ostream& out);

// ---- The CSV dialect, exposed for tests and for other writers ----

struct CsvRecord {
  uint64_t row = 0;  // 1 = the first record (the header)
  std::vector<std::string> fields;
};
// Parses RFC 4180 CSV: fields separated by ',', records by CRLF or LF, fields
// in double quotes may hold ',', line breaks and doubled quotes; a UTF-8 BOM
// at the start is skipped; blank records are dropped (their numbers are kept).
// Strict: a quote inside an unquoted field, text after a closing quote, an
// unterminated quote, a lone CR and bytes that are not UTF-8 are problems
// (column given as "#N", 1-based). Does not check the number of fields.
std::vector<CsvRecord> ParseCsv(std::string_view text, std::vector<ImportProblem>* problems);
// Returns `field` quoted for CSV when it needs it.
std::string CsvQuote(std::string_view field);
// A text cell made safe to open in a spreadsheet (CSV formula injection): text that
// would start with = + - @ TAB or CR, after any apostrophes, gets one more apostrophe
// in front, which spreadsheets show as text and do not run. FromSpreadsheetText takes
// that apostrophe off again, so that an exported CSV imports back to the same text; a
// cell such as "'Til" (no formula character after the apostrophes) is left alone both
// ways. docs/formats/catalog-import.md.
std::string ToSpreadsheetText(std::string_view text);
std::string FromSpreadsheetText(std::string_view cell);

}  // namespace isnad::archive
