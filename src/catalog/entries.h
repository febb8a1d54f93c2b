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
// An item's id is "i" followed by the leaf index of its item.ingested entry:
// stable, printable, and derived from the log alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/canonical_json.h"
#include "core/digest.h"
#include "core/status.h"

namespace isnad::catalog {

inline constexpr std::string_view kArchiveCreated = "archive.created";
inline constexpr std::string_view kItemIngested = "item.ingested";
inline constexpr std::string_view kSourceAdded = "source.added";
inline constexpr std::string_view kNoteAdded = "note.added";

// The most bytes one canonical entry may have. A note whose entry would be
// larger is stored as a blob and recorded by its text_sha256.
inline constexpr size_t kMaxEntryBytes = 65535;

// Returns "i<leaf_index>".
std::string ItemId(uint64_t leaf_index);
// Parses "i<decimal>" (no leading zeros). nullopt when `id` is not of that form.
std::optional<uint64_t> ParseItemId(std::string_view id);

struct Provenance {
  std::string name;  // original file name (last path element)
  std::string path;  // absolute path it was read from; "" when not from a file
  std::string url;   // --source URL, "" when none
  std::string note;  // --note text, "" when none
  // The path's exact bytes when they are not valid UTF-8 (a name from an old
  // drive, say); `name` and `path` then hold display forms with U+FFFD in place
  // of the bytes that are not UTF-8. Recorded as "path_b64". "" otherwise.
  std::string path_bytes;
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

// Parses and validates one entry: canonical JSON, a known type, the members
// that type requires with the right JSON types. On failure: kIntegrity saying
// which member is wrong.
core::StatusOr<core::Json> ParseEntry(std::string_view entry);

}  // namespace isnad::catalog
