// WACZ 1.x packages (https://specs.webrecorder.net/wacz/1.1.1/): a ZIP holding
// WARCs (archive/), indexes (indexes/), a page list (pages/pages.jsonl) and
// datapackage.json (1.1 "hash"/"bytes" or 1.0 "stats"+"hashing"), whose
// resource hashes and sizes are checked here against
// every member, plus datapackage-digest.json against datapackage.json. Each
// archive/*.warc[.gz] member is handed to a visitor as a stream in the same one
// read (read it with warc::Reader). A WACZ Auth 0.1.0 signature
// (datapackage-digest.json "signedData") is verified: see VerifyWaczSignature.
// Not thread safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/env.h"
#include "core/status.h"

namespace isnad::warc {

struct WaczResource {
  std::string path;  // as listed in datapackage.json
  std::string hash;  // as listed ("sha256:<hex>")
  uint64_t bytes = 0;
  bool present = false;  // a ZIP member of that path exists
  bool hash_ok = false;
  bool bytes_ok = false;
};

struct WaczReport {
  std::string wacz_version;  // datapackage.json "wacz_version"
  std::string title, created, software;
  std::vector<WaczResource> resources;
  // Members that are WARCs (.warc or .warc.gz, any case), in ZIP order: under
  // archive/, or elsewhere, which is also a problem.
  std::vector<std::string> warcs;
  bool digest_file = false;  // datapackage-digest.json present
  bool digest_ok = false;    // and its hash matches datapackage.json
  // "absent" (no signedData), else VerifyWaczSignature's finding; an
  // "invalid: ..." one is also among the problems.
  std::string signature = "absent";
  // Why the package is not a valid WACZ, one line each; empty when valid.
  std::vector<std::string> problems;
  bool ok() const { return problems.empty(); }
};

class WaczWarcVisitor {
 public:
  virtual ~WaczWarcVisitor() = default;
  // Called for each *.warc or *.warc.gz member (see `warcs`) with its bytes as a
  // stream; what the visitor does not read is read (and hashed) afterwards.
  // An error stops reading and is returned by ReadWacz.
  virtual core::Status OnWarc(const std::string& member, core::SequentialFile* stream) = 0;
};

// Verifies WACZ Auth 0.1.0 `signed_data` (https://specs.webrecorder.net/wacz-auth/0.1.0/)
// for a datapackage.json whose digest is `package_hash` ("sha256:<hex>"): the
// signature is ECDSA with SHA-256 over the `hash` string (DER, or WebCrypto's
// raw r||s). Anonymous (`publicKey`, SubjectPublicKeyInfo): verified with that
// key, which names no one. Domain-signed (`domain`, `domainCert`,
// `timeSignature`, `timestampCert`): verified with the first domainCert key,
// the domain, the chain's signatures, created within the certificate's
// validity, the chain's RFC 5280 path validation as at created (OpenSSL
// X509_verify_cert: issuers are CAs, path length, key usage, purpose SSL
// server, the domain), the RFC 3161 timestamp of `signature` (as at its own
// time) within 10 minutes of created; then both chains must end at a root that
// authsign, the reference verifier, trusts (pinned here by SHA-256).
// Returns "valid: <who, when>", "invalid: <why>" (a check failed), or
// "not-checked: <why>" (all holds, but a chain ends at a root isnad does not
// trust, so the signer or the time is not established). docs/formats/warc.md.
std::string VerifyWaczSignature(const core::Json& signed_data, const std::string& package_hash);

// For a stream ReadWacz handed to OnWarc, once it has ended: "" when its bytes
// are the bytes the ZIP recorded, else what is wrong (after "the ZIP member is
// damaged: "), with `cut` set when the member ends at the damage (the rest of
// it unread) rather than being read whole with wrong bytes.
std::string WaczMemberDamage(const core::SequentialFile* stream, bool* cut);

// Reads and validates the WACZ at `path`. Errors: the file is not a readable
// ZIP (kIntegrity), I/O (kIoError), or the visitor's. A readable ZIP that is
// not a valid WACZ is returned with its problems. A ZIP holding a member name
// more than once is such a package, and none of its WARCs is visited.
core::StatusOr<WaczReport> ReadWacz(const std::string& path, WaczWarcVisitor* visitor);

}  // namespace isnad::warc
