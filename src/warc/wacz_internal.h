// Internal to warc: WACZ signature verification against a given set of
// trusted roots, so that tests can trust a private CA made at test time.
// Everything else uses VerifyWaczSignature (wacz.h) and its pinned roots.
#pragma once

#include <string>
#include <vector>

#include "core/canonical_json.h"

namespace isnad::warc::internal {

// SHA-256 fingerprints (lower-case hex) of the certificates a chain may end at
// to be trusted: `domain` for domainCert, `timestamp` for timestampCert.
struct WaczTrustedRoots {
  std::vector<std::string> domain, timestamp;
};

// The roots authsign, the reference verifier, trusts (see wacz.cc).
const WaczTrustedRoots& DefaultWaczRoots();

// VerifyWaczSignature with `roots` in place of DefaultWaczRoots().
std::string VerifyWaczSignature(const core::Json& signed_data, const std::string& package_hash,
                                const WaczTrustedRoots& roots);

}  // namespace isnad::warc::internal
