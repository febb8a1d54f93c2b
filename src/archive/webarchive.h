// Web archives added as items: `isnad add x.warc | x.warc.gz | x.wacz` stores
// the file as an item like any other (its bytes are never modified), then
// reads it with warc::Reader / warc::ReadWacz and records, in the custody log,
// one warc.record entry per WARC record (URL, date, type, content type, offset,
// length, digest result) and one warc.indexed entry per WARC (and per WACZ)
// with the validation result. The payload of every 2xx response and every
// resource record becomes its own item (item.ingested, or source.added when
// the bytes are already held), linked from its warc.record entry, so search and
// media see it. A file whose digests fail, or that cannot be read to the end,
// is still preserved; the failure is recorded and reported, never hidden.
// A capture's own WARC (`isnad capture`) is indexed the same way, in the same
// append as its capture.recorded entry, its last response linked to the
// payload item the capture made (no second item). An index interrupted by a
// crash is resumed when the file is added again: records already in the log
// are not written twice, and the result is the one an uninterrupted run gives.
// Format and profile: docs/formats/warc.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/capped_list.h"
#include "core/digest.h"
#include "core/env.h"
#include "core/status.h"
#include "warc/reader.h"

namespace isnad::archive {

class Archive;
struct AddedFile;
struct AddCallbacks;

enum class WebArchiveKind { kNone, kWarc, kWacz };
// By name: *.warc, *.warc.gz, *.wacz (ASCII case-insensitive).
WebArchiveKind WebArchiveKindOf(std::string_view name);
// What a web archive named as `by_name` (not kNone) is read as, by its first
// bytes `head`: a ZIP ("PK\3\4") as a WACZ, gzip or "WARC/" as a WARC, else as
// named (and the reader says what is wrong). A file saved under the other name
// is indexed, not left unreadable.
WebArchiveKind WebArchiveKindOfBytes(WebArchiveKind by_name, std::string_view head);
// The same for the file at `path` (its first bytes read through `env`).
core::StatusOr<WebArchiveKind> WebArchiveKindOfFile(core::Env* env, const std::string& path,
                                                    WebArchiveKind by_name);

// What indexing one web archive item found and recorded.
struct WebArchiveSummary {
  std::string id;      // the web archive item
  std::string kind;    // "warc" or "wacz"
  std::string result;  // "valid", "invalid" (digests or format), "unreadable"
  uint64_t records = 0;
  uint64_t digests_passed = 0, digests_failed = 0;
  uint64_t payloads = 0;                 // payload items linked (new or already held)
  uint64_t new_payload_items = 0;        // of which new items
  std::vector<std::string> payload_ids;  // first 1,000
  core::CappedList problems;             // one line each: the first 1,000, and a count
  std::string error;                     // why it could not be read to the end
  // WACZ: "absent", "valid", "invalid: why", "not-checked: why" (warc.md).
  std::string signature;
};

// A capture's WARC item and the payload item its capture.recorded entry names.
struct CaptureWarc {
  std::string warc_id;
  core::Hash warc_sha256;
  std::string payload_id;  // "" when the capture has no payload
  // The SHA-256 its response record's WARC-Payload-Digest covers: the body
  // before its Content-Encoding was removed (capture::Result).
  core::Hash record_payload_sha256;
};

// A capture's WARC read through (digests checked, payloads not kept) on the
// thread that fetched it, before it is stored: IndexCaptureWarc then records
// these instead of reading the file again on the committing thread (the one
// that bounds a capture of many pages).
struct ReadWarcRecords {
  std::vector<warc::Record> records;
  // How reading ended: ok at the end of the file, else the reader's error
  // (handled as if met while reading the stored file).
  core::Status end;
};
// Reads every record of the WARC at `path`.
ReadWarcRecords ReadAllWarcRecords(core::Env* env, const std::string& path);

// Friend of Archive: appends the entries above with the archive's signer.
class WebArchiveIndexer {
 public:
  // Indexes each web archive among `added` that has no warc.indexed entry yet,
  // reporting each to callbacks.on_web_archive. Errors are the archive's own
  // (disk, log); a web archive that is invalid or unreadable is not an error.
  static core::Status IndexAdded(Archive* archive, const std::vector<AddedFile>& added,
                                 const AddCallbacks& callbacks);
  // Indexes item `id` (bytes `sha256`) as a web archive of `kind`.
  static core::StatusOr<WebArchiveSummary> Index(Archive* archive, const std::string& id,
                                                 const core::Hash& sha256, WebArchiveKind kind);
  // Appends to `entries` the warc.record entries of the capture WARC `w`
  // (stored already) and its warc.indexed entry, for the caller to append
  // after the capture.recorded entry. The response whose verified payload
  // digest is the capture payload's sha256 links `w.payload_id`; no payload
  // item is made. `read` is ReadAllWarcRecords of the WARC's bytes before
  // they were stored (moved from): the stored file is not read again.
  static core::StatusOr<WebArchiveSummary> IndexCaptureWarc(Archive* archive, const CaptureWarc& w,
                                                            ReadWarcRecords& read,
                                                            std::vector<std::string>* entries);
  // For tests: an indexing run stops, as if the process died, once this many
  // records are committed (0, the default: never), returning kIoError there.
  static void StopAfterRecordsForTesting(uint64_t records);
  // Payload items of one web archive may add up to kPayloadExpansion times its
  // size, and at least this many bytes (default 1 GiB); past that, records are
  // still read and indexed but make no payload item (a problem says so). A few
  // KB of nested gzip can otherwise expand to terabytes of items.
  static constexpr uint64_t kPayloadExpansion = 256;
  static void SetPayloadBudgetFloorForTesting(uint64_t bytes);
  class Run;  // one indexing run (webarchive.cc)
};

}  // namespace isnad::archive
