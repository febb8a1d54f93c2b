// The custody entries: what each log entry says. Every entry is one RFC 8785
// canonical JSON object (core/canonical_json.h) of at most 65,535 bytes; the
// catalogue is their projection. The grammar, with examples, is in
// docs/formats/log-entry.md; change both together.
//
// Common members: "type", "time" (RFC 3339 UTC, ms), "operator" (who ran it).
//   archive.created  origin, vkey, software
//   item.ingested    sha256 (64 hex), size, name, media_type, [path], [path_b64], [url], [note]
//   source.added     item, sha256, name, [path], [path_b64], [url], [note]
//   note.added       item, text | text_sha256 (when the text is too long for an entry)
// The evidence graph (docs/formats/log-entry.md, "Evidence graph"):
//   item.described   item, [lang, title, description], [event_date], [place], [lat, lon]
//   item.tagged      item, [add], [remove]
//   item.reviewed    item, status, reason
//   item.derived     item, original
//   place.added      names, [variants], [lat, lon], [within]
//   incident.added   title, [category], [date], [description], [places]
//   incident.linked  incident, items
//   incident.unlinked incident, items, reason
//   actor.added      actor_type, names, [variants], [description]
//   relation.added   subject, predicate, object, [from], [to], sources
//   relation.withdrawn relation, reason
//   case.added       title, [jurisdiction], [description], [parties]
//   case.event       case, event, date, [description], [documents]
//   case.event_withdrawn event, reason
//   case.linked      case, items
//   case.unlinked    case, items, reason
// Trusted time (RFC 3161):
//   timestamp.added  checkpoint_size, checkpoint_sha256, tsa, token_sha256, gen_time
// Web capture:
//   capture.recorded url, captured, (status, final_url, warc, warc_sha256,
//                    [payload, payload_sha256, payload_size], [content_type]) | error
// Web archives added as items:
//   warc.record      container, [member], offset, length, [record_id], [warc_type],
//                    [target_uri], [warc_date], [content_type], [http_status],
//                    [digest], [problem], [payload]
//   warc.indexed     item, [member], result, records, digests_passed, digests_failed,
//                    [problems], [signature], [error]
// An item's id is "i" followed by the leaf index of its item.ingested entry:
// stable, printable, and derived from the log alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/canonical_json.h"
#include "core/digest.h"
#include "core/status.h"

namespace isnad::catalog {

inline constexpr std::string_view kArchiveCreated = "archive.created";
inline constexpr std::string_view kItemIngested = "item.ingested";
inline constexpr std::string_view kSourceAdded = "source.added";
inline constexpr std::string_view kNoteAdded = "note.added";

inline constexpr std::string_view kItemDescribed = "item.described";
inline constexpr std::string_view kItemTagged = "item.tagged";
inline constexpr std::string_view kItemReviewed = "item.reviewed";
inline constexpr std::string_view kItemDerived = "item.derived";
inline constexpr std::string_view kPlaceAdded = "place.added";
inline constexpr std::string_view kIncidentAdded = "incident.added";
inline constexpr std::string_view kIncidentLinked = "incident.linked";
// A correction: `items` taken out of `incident` (they were linked to it), with
// the `reason`. The link entries stay in the log; the catalogue drops the link.
inline constexpr std::string_view kIncidentUnlinked = "incident.unlinked";
inline constexpr std::string_view kActorAdded = "actor.added";
inline constexpr std::string_view kRelationAdded = "relation.added";
// A correction: the claim `relation` (current when written) taken back, with
// the `reason`. Its relation.added entry stays in the log; the catalogue drops
// the relation and its sources.
inline constexpr std::string_view kRelationWithdrawn = "relation.withdrawn";
inline constexpr std::string_view kCaseAdded = "case.added";
inline constexpr std::string_view kCaseEvent = "case.event";
// A correction: the case event `event` (standing when written) taken back,
// with the `reason`. Its case.event entry stays in the log; the catalogue drops
// the event and its documents' role (as relation.withdrawn does a claim).
inline constexpr std::string_view kCaseEventWithdrawn = "case.event_withdrawn";
inline constexpr std::string_view kCaseLinked = "case.linked";
// Exhibits withdrawn from `case`, with the `reason` (as incident.unlinked).
inline constexpr std::string_view kCaseUnlinked = "case.unlinked";
// An RFC 3161 token over the signed checkpoint of checkpoint_size (whose file's
// SHA-256 is checkpoint_sha256), from the TSA at `tsa`, stored as a blob
// (token_sha256), generated at gen_time (RFC 3339 UTC, seconds or finer).
inline constexpr std::string_view kTimestampAdded = "timestamp.added";
// A web capture (`isnad capture`): `url` fetched from `captured` (RFC 3339 UTC,
// ms) on. Recorded: its WARC as item `warc` (warc_sha256), the last hop's
// HTTP `status` and `final_url`, and when that is 2xx with a body, the body as
// item `payload` (payload_sha256, payload_size). A fetch that recorded no
// response (DNS, refused, timeout, over the size cap, redirect loop) has
// `error` instead, and no items. See docs/formats/log-entry.md.
inline constexpr std::string_view kCaptureRecorded = "capture.recorded";
// An external extractor (yt-dlp) run for the capture.recorded entry at leaf
// `capture` of `url`: `extractor` (name and version), its `exit_status`, and
// either the media as item `media` (media_sha256, media_size) with yt-dlp's
// info JSON as item `info` (info_sha256), or `error`. See log-entry.md.
inline constexpr std::string_view kCaptureExtracted = "capture.extracted";
// Web archives added as items (`isnad add x.warc|.warc.gz|.wacz`): one
// warc.record per WARC record read from `container` (the archive file's item;
// `member` the WARC's path inside a WACZ), at `offset`/`length` in that WARC,
// with the record's WARC-Record-ID, WARC-Type, target URI, WARC-Date, content
// type, digest result and first problem; `payload` is the item made of a
// response's or resource's payload. One warc.indexed per WARC (and one per
// WACZ, without `member`): how many records, digests passed and failed,
// "valid" / "invalid" / "unreadable", the problems. See docs/formats/warc.md.
inline constexpr std::string_view kWarcRecord = "warc.record";
inline constexpr std::string_view kWarcIndexed = "warc.indexed";
// Media analysis (media/metadata.h, pdq, vpdq, OCR): what was extracted from an
// item's bytes and by which versions; the full metadata, frame hashes and text
// are blobs named by their sha256.
inline constexpr std::string_view kItemAnalyzed = "item.analyzed";

// What an id names. Every entity's id is a prefix and the leaf index of the
// entry that created it: i42 (item), pl7 (place), inc3 (incident), ac9
// (actor), rel12 (relation), case2 (case), ev20 (case event).
enum class EntityKind { kItem, kPlace, kIncident, kActor, kRelation, kCase, kCaseEvent };
struct EntityRef {
  EntityKind kind = EntityKind::kItem;
  uint64_t leaf_index = 0;
};
std::string_view EntityKindName(EntityKind kind);    // "item", "place", ...
std::string EntityKindWithArticle(EntityKind kind);  // "an item", "a place", ...
std::string EntityId(EntityKind kind, uint64_t leaf_index);
// nullopt when `id` is not a prefix above followed by a decimal without leading zeros.
std::optional<EntityRef> ParseEntityId(std::string_view id);

// An event date: EDTF (ISO 8601-2) level 0 and a little of level 1: "2013",
// "2013-08", "2013-08-21", an interval "2013-08-04/2013-08-05", each end
// optionally ending in "~" (approximate) or "?" (uncertain). `lo` and `hi` are
// the first and last day it can mean, "YYYY-MM-DD", for ordering and filters.
struct DateRange {
  std::string lo, hi;
  bool approximate = false;
};
std::optional<DateRange> ParseEventDate(std::string_view date);
// Year 0000 (a date's first four digits, or those after its "/"): the calendar
// has it, but in a person's input it is a slip for a real year, refused by the
// CLI and import alike (a log entry written with it still applies).
bool HasYearZero(std::string_view date);
// What a value that is not an event date most likely meant, as sentences to
// add after its refusal, or "": a day written day or month first ("21/08/2013"),
// a spreadsheet's day number ("41507"), a moment ("2013-08-21 14:00"), or
// slashes for hyphens ("2013/08/21").
std::string DateHint(std::string_view value);
// A note on an event date that is valid but most likely not what was meant,
// or "": a year from 1300 to 1500, long before any digital record, is what a
// Hijri (AH) date of our time looks like (1434 AH is 2012-2013).
std::string DateNote(std::string_view date);
// A day as a spreadsheet saves a date cell, "2013-08-21 00:00:00" (or with a
// "T", or surrounded by spaces), as the day it shows, "2013-08-21"; any other
// value unchanged.
std::string WithoutMidnight(std::string_view value);

// Shows nothing (text::IsBlank: white space, format and control characters
// only, or nothing): a name, title or tag so given is taken as not given, as
// an empty one is.
bool IsBlank(std::string_view text);

// Every name an entity is known by: its names by language (`{"ar": ..., "en":
// ...}`, strings), then its variants, each once, in that order.
std::vector<std::string> EveryName(const core::Json& names,
                                   const std::vector<std::string>& variants);

// The grammar's value checks, for callers that validate a person's input
// before building entries (import, the CLI).
bool IsLanguageTag(std::string_view tag);    // "ar", "en", "fr-CA"
bool IsLatitude(std::string_view degrees);   // "-33.5376": decimal string, -90 .. 90
bool IsLongitude(std::string_view degrees);  // -180 .. 180
bool IsEntryWord(std::string_view word);     // [a-z][a-z0-9_]*, e.g. "cassation_request"

// The letters of `text` of the Arabic script (Arabic, Persian, Urdu, Kurdish, ...), and
// of the Latin, Greek and Cyrillic scripts.
struct LetterCounts {
  size_t arabic = 0, other = 0;
};
LetterCounts CountLetters(std::string_view text);
// Whether most letters of `text` are of the Arabic script: text that should not be
// recorded under "en" by default.
bool InArabicScript(std::string_view text);
// The language tag of a language written by its name ("Arabic", "arabe",
// "العربية", "Farsi" -> "ar", "ar", "ar", "fa"), for a hint; "" when unknown.
std::string LanguageTagFor(std::string_view name);
// A language as a person gives it, as a tag: the spaces around it dropped and
// its primary subtag lower-cased (" AR " -> "ar"; tags are case-insensitive).
// Not a tag: an error that says so, with the tag a language's name stands for
// ("Arabic": "did you mean ar?").
core::StatusOr<std::string> ReadLanguageTag(std::string_view given);

// What separates tags in a CSV cell: ';' or ',', and the Arabic '؛' and '،'. A tag
// holding one cannot pass through the CSV form, so none is recorded with one.
inline const std::vector<std::string>& TagSeparators() {
  static const std::vector<std::string> separators = {";", ",", "\xD8\x9B", "\xD8\x8C"};
  return separators;
}
// The first separator `tag` holds, or "".
inline std::string TagSeparatorIn(std::string_view tag) {
  for (const auto& sep : TagSeparators()) {
    if (tag.find(sep) != std::string_view::npos) return sep;
  }
  return "";
}

// The relation types (predicates) and case event types isnad names in its help
// and reports. Any other entry word is allowed as a type of its own.
inline const std::vector<std::string>& StandardRelationTypes() {
  static const std::vector<std::string> types = {"commands", "member_of", "subordinate_of",
                                                 "present_at", "responsible_for"};
  return types;
}
inline const std::vector<std::string>& StandardCaseEventTypes() {
  static const std::vector<std::string> types = {
      "complaint", "investigation", "indictment", "warrant", "trial",
      "ruling",    "verdict",       "sentence",   "appeal",  "cassation_request"};
  return types;
}
// The type in `known` that `word`, not one of them, is most likely a slip for:
// a letter or two off ("comands"), or the start of one ("member" for
// member_of). "" when `word` is known or near none.
std::string TypeSlip(const std::string& word, const std::vector<std::string>& known);

// The most bytes one canonical entry may have. A note whose entry would be
// larger is stored as a blob and recorded by its text_sha256.
inline constexpr size_t kMaxEntryBytes = 65535;

// Returns "i<leaf_index>".
std::string ItemId(uint64_t leaf_index);
// Parses "i<decimal>" (no leading zeros). nullopt when `id` is not of that form.
std::optional<uint64_t> ParseItemId(std::string_view id);

struct Provenance {
  std::string name;  // original file name (last path element)
  std::string path;  // absolute path it was found at; "" when not from a file
  std::string url;   // --source URL, "" when none
  std::string note;  // --note text, "" when none
  // The path's exact bytes when they are not valid UTF-8 (a name from an old
  // drive, say); `name` and `path` then hold display forms with U+FFFD in place
  // of the bytes that are not UTF-8. Recorded as "path_b64". "" otherwise.
  std::string path_bytes;
  // When `path` is a symbolic link that was followed (`add --follow-symlinks`):
  // the absolute path of the file it leads to, every link resolved, which is
  // what was read. Recorded as "link_target". "" otherwise.
  std::string link_target;
};

struct Actor {
  std::string time;       // core::NowUtc() unless pinned
  std::string operator_;  // e.g. "alice@laptop"
};

// Builders. Each returns the canonical entry bytes, or kInvalidArgument when a
// field is malformed or the entry would exceed 65,535 bytes.
core::StatusOr<std::string> ArchiveCreatedEntry(const Actor& by, std::string_view origin,
                                                std::string_view vkey, std::string_view software);
core::StatusOr<std::string> ItemIngestedEntry(const Actor& by, const core::Hash& sha256,
                                              uint64_t size_bytes, std::string_view media_type,
                                              const Provenance& from);
core::StatusOr<std::string> SourceAddedEntry(const Actor& by, std::string_view item_id,
                                             const core::Hash& sha256, const Provenance& from);
// Exactly one of `text` / `text_sha256` is set.
core::StatusOr<std::string> NoteAddedEntry(const Actor& by, std::string_view item_id,
                                           std::string_view text,
                                           const std::optional<core::Hash>& text_sha256);

// Builds an evidence graph entry: `body` holds "type" and that type's
// members (the table in docs/formats/log-entry.md); "time" and "operator" are
// added from `by`. kInvalidArgument naming the member when one is malformed.
// References to other entities are checked by the catalogue, not here.
core::StatusOr<std::string> GraphEntry(const Actor& by, core::Json body);

// Builds a capture.recorded entry from `body`: its members (url, captured,
// ...) without type, time and operator, which are added. kInvalidArgument
// naming the member or rule that does not hold.
core::StatusOr<std::string> CaptureRecordedEntry(const Actor& by, core::Json body);
// Builds a capture.extracted entry the same way.
core::StatusOr<std::string> CaptureExtractedEntry(const Actor& by, core::Json body);
// Builds a warc.record or warc.indexed entry from `body` ("type" and its
// members; time and operator are added).
core::StatusOr<std::string> WebArchiveEntry(const Actor& by, core::Json body);
// Builds an item.analyzed entry from `body` (its members without type, time
// and operator, which are added).
core::StatusOr<std::string> ItemAnalyzedEntry(const Actor& by, core::Json body);

// Parses and validates one entry: canonical JSON, a known type, the members
// that type requires with the right JSON types. On failure: kIntegrity saying
// which member is wrong.
core::StatusOr<core::Json> ParseEntry(std::string_view entry);

}  // namespace isnad::catalog
