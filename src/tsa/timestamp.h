// RFC 3161 time-stamping: requests, responses and their verification (OpenSSL's TS
// API), and fetching a token from a time-stamping authority over HTTP (libcurl).
// The messages are DER; nothing here knows of the custody log.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/digest.h"
#include "core/status.h"

namespace isnad::tsa {

struct Request {
  std::string der;    // TimeStampReq
  std::string nonce;  // big-endian bytes, "" when none
};
// A request for a SHA-256 imprint, with a random 64-bit nonce and certReq = true.
core::StatusOr<Request> MakeRequest(const core::Hash& sha256_imprint);

// An accuracy for people: "1 s", "0.5 s", "0.000001 s".
std::string FormatAccuracy(int64_t accuracy_us);

struct TokenInfo {
  std::string gen_time;  // RFC 3339 UTC, e.g. "2017-04-19T06:29:53Z"
  // The TSA's stated accuracy of gen_time (RFC 3161 2.4.2: the time is gen_time
  // plus or minus this), in microseconds; nullopt when the token states none.
  std::optional<int64_t> accuracy_us;
  std::string policy;    // dotted OID
  std::string serial;    // hex
  std::string tsa_name;  // the signer's subject, one line
  core::Hash imprint;    // the SHA-256 imprint it covers
  std::string nonce;     // big-endian bytes, "" when none
  // Verify only: true when the signer's chain was checked against `roots_pem`; false
  // when no roots were given and only the token's own certificates vouch for it.
  bool chain_checked = false;
};

struct VerifyOptions {
  // PEM certificates the chain must end in (a TSA's roots; each one given is trusted as
  // an anchor, an intermediate CA too); empty: the chain is not checked against roots,
  // only the signature with the certificates in the token or `untrusted_pem` (the
  // signer's certificate is its own anchor), and the caller is told (chain_checked).
  std::string roots_pem;
  std::string untrusted_pem;   // extra certificates (a TSA that does not include its own)
  std::string expected_nonce;  // "" = no nonce check
  // Seconds since the epoch at which to check the chain instead of the token's genTime
  // (0: genTime, always, in isnad). For tests that show why genTime matters.
  int64_t at_time = 0;
};

// Parses a TimeStampResp (status + token) or a bare TimeStampToken. A response whose
// status is not granted is kFailedPrecondition naming the status, its text and failure
// info; bytes that are neither are kIntegrity; an imprint that is not SHA-256 is
// kUnimplemented. Checks no signature.
core::StatusOr<TokenInfo> Inspect(std::string_view der);
// Returns the TimeStampToken (DER CMS ContentInfo) of a granted response, or `der`
// itself when it is a bare token: what an archive keeps.
core::StatusOr<std::string> TokenDer(std::string_view der);
// Verifies a response or token against the imprint: imprint equality, the CMS
// signature, the signer certificate's critical timeStamping extended key usage, the
// nonce when asked, and the chain to `roots_pem` at the token's genTime (never at
// "now": TSA certificates expire, tokens do not). kIntegrity naming the failed check.
core::StatusOr<TokenInfo> Verify(std::string_view der, const core::Hash& sha256_imprint,
                                 const VerifyOptions& options);

// POSTs a request to a TSA (Content-Type application/timestamp-query), with a timeout,
// and returns the response DER (not yet checked: give it to Verify). kIoError naming the
// URL when it cannot be reached, does not answer within `timeout_seconds` (the whole
// exchange), answers other than HTTP 200 or sends over 1 MiB; kInvalidArgument for a
// URL that is not http:// or https://, or that holds a user name or password (the URL is
// recorded in the custody log). Redirects are followed (at most 5).
core::StatusOr<std::string> Fetch(const std::string& url, const Request& request,
                                  int timeout_seconds = 30);

}  // namespace isnad::tsa
