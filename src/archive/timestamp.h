// RFC 3161 time-stamps over the archive's signed checkpoints: a TSA's token over the
// SHA-256 of a checkpoint file's exact bytes proves that the whole tree of that size -
// every entry, every blob it names - existed by the token's genTime. The token's DER is
// kept as a blob and named by a timestamp.added entry (docs/formats/log-entry.md).
// Which TSAs to ask, when none is named on the command line: <archive>/config/tsa.txt
// (docs/formats/archive-layout.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "archive/archive.h"
#include "catalog/catalog.h"
#include "core/digest.h"
#include "core/env.h"
#include "core/status.h"
#include "tsa/timestamp.h"

namespace isnad::archive {

// What one TSA gave.
struct TsaOutcome {
  std::string url;
  core::Status status;      // ok: its token verified and is recorded; else why not
  tsa::TokenInfo token;     // when ok
  core::Hash token_sha256;  // when ok: the token's DER, a blob
  uint64_t leaf_index = 0;  // when ok: its timestamp.added entry
};

struct TimestampResult {
  uint64_t checkpoint_size = 0;
  core::Hash checkpoint_sha256;  // the imprint every TSA was asked to sign
  std::vector<TsaOutcome> tsas;  // in the order of the URLs
  size_t recorded() const;
};

// Asks each TSA (kWrite archive) for a token over the current signed checkpoint:
// request with a fresh nonce, fetch (`timeout_seconds` each), verify (imprint, nonce,
// signature, EKU, chain per `options` at genTime), keep the token (its DER, without the
// response wrapper) as a blob. Every token that verified is then recorded in one batch
// of timestamp.added entries. A TSA that fails is reported in its outcome and does not
// stop the others. An error means nothing could be asked or recording failed (tokens
// already stored stay as unreferenced blobs; verify notes them as harmless).
core::StatusOr<TimestampResult> TimestampCheckpoint(Archive& a,
                                                    const std::vector<std::string>& tsa_urls,
                                                    const tsa::VerifyOptions& options,
                                                    int timeout_seconds = 30);

// One recorded token, checked again.
struct TimestampCheck {
  catalog::TimestampRecord record;
  core::Status status;   // ok: checkpoints/<size> hashes to the recorded imprint, the token
                         // blob is intact and verifies over it, genTime as recorded
  tsa::TokenInfo token;  // when ok
};

// Re-verifies every recorded token against its checkpoint from the history
// (checkpoints/<size>) with `options` (its nonce is not known afterwards).
core::StatusOr<std::vector<TimestampCheck>> CheckTimestamps(const Archive& a,
                                                            const tsa::VerifyOptions& options);

// <archive>/config/tsa.txt: one TSA URL per line; blank lines and '#' comments ignored.
std::string TsaConfigPath(const Layout& layout);
// The URLs listed; none when the file is absent. kInvalidArgument naming the line for a
// line that is not an http(s) URL.
core::StatusOr<std::vector<std::string>> ReadTsaUrls(core::Env* env, const Layout& layout);
// Appends the URLs not listed yet (atomically rewriting the file, comments kept).
core::Status SaveTsaUrls(core::Env* env, const Layout& layout,
                         const std::vector<std::string>& urls);
// kInvalidArgument unless `url` is http:// or https:// with a host and no whitespace,
// control characters, user name or password (it is recorded in timestamp.added entries).
core::Status CheckTsaUrl(const std::string& url);

}  // namespace isnad::archive
