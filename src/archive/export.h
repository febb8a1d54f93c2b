// Export: `isnad export` writes the exhibits of a case, an incident or a list of
// items as a BagIt 1.0 bag (RFC 8493) that anyone can verify without the archive
// (`isnad verify-bag`, or sha256sum, openssl and scripts/verify-bag.py as
// docs/verifying.md shows). The layout is docs/formats/bag.md: each exhibit's
// original bytes and metadata, the custody entries that concern them with
// RFC 9162 inclusion proofs against the current signed checkpoint, the earliest
// kept checkpoint that held each entry with its consistency proof, RFC 3161
// tokens over those checkpoints, the archive's public key, and a report (HTML and
// PDF, English and Arabic).
//
// Selective disclosure: nothing of any other item is written. An entry goes into
// the bag only when every item it names is an exhibit (and, for entries about a
// case or incident, when it is the exported one); proofs are hashes only.
//
// Exhibit bytes are streamed (hashed once to check them against their entry and
// to get SHA-512, then copied by the bag writer); no file is held in memory.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "archive/archive.h"
#include "core/digest.h"
#include "core/status.h"

namespace isnad::archive {

struct ExportRequest {
  // Exactly one of the three: a case (id or title), an incident (id or title),
  // or items (ids or sha256 prefixes of 12+ hex digits).
  std::string case_id, incident_id;
  std::vector<std::string> items;
  // A folder (must not exist), or a file ending in .zip or .tar.
  std::string out;
  // Called with exhibit bytes copied so far and their total (each exhibit is
  // read once: copied into the bag while SHA-256 and SHA-512 are computed).
  std::function<void(uint64_t done, uint64_t total)> progress;
};

struct ExportSummary {
  std::string out;
  std::string title;                  // the case's or incident's title; "" for items
  std::vector<std::string> exhibits;  // item ids, in log order
  // Of those, the WARCs of web captures exported because a chosen item was
  // fetched by them (what the server sent), though not chosen themselves.
  std::vector<std::string> captures;
  // Of those, the documents of a case's events that are not exhibits of the case
  // (`case show` lists them under their events, not as exhibits).
  std::vector<std::string> event_documents;
  uint64_t exhibit_bytes = 0;         // their sizes summed
  uint64_t entries = 0;               // custody entries written (custody/entries.jsonl)
  uint64_t checkpoint_size = 0;       // N: the checkpoint every inclusion proof is against
  std::vector<uint64_t> checkpoints;  // earlier checkpoints written (custody/checkpoints/)
  uint64_t timestamps = 0;            // RFC 3161 tokens written
  std::vector<std::string>
      warnings;  // what was left out and why (a token whose checkpoint is gone)
};

// Writes the bag. kInvalidArgument for a request that is not exactly one of
// case / incident / items, or an output that exists; kNotFound for an unknown
// case, incident or item; kFailedPrecondition when there is no exhibit;
// kIntegrity when an exhibit's stored bytes do not hash to its entry (the
// partial bag is removed; run `isnad verify`).
core::StatusOr<ExportSummary> Export(const Archive& archive, const ExportRequest& request);

// The tag file beside bagit.txt in which the archive signs the bag's payload
// manifest (a C2SP signed note by the log's key), and the text it signs:
// "isnad bag statement v1", "origin <origin>", "checkpoint <N>",
// "manifest-sha256.txt <hex SHA-256 of that file's bytes>", one line each.
inline constexpr std::string_view kBagStatementName = "isnad-statement.txt";
std::string BagStatementText(const std::string& origin, uint64_t checkpoint_size,
                             const core::Hash& manifest_sha256);

// The name an exhibit's bytes get inside exhibits/<id>/ (docs/formats/bag.md,
// "Names"): composed (Unicode NFC), '/', '\', control characters and what Windows
// cannot hold replaced by '_', leading dots removed, cut to 200 bytes at a character
// boundary, trailing dots and spaces removed, "content" when empty, and '_' put
// before a name that is one of the folder's own (metadata.json, capture.warc.gz) or
// a Windows device name (CON, aux.txt, COM1.jpg).
std::string BagName(std::string_view original);

}  // namespace isnad::archive
