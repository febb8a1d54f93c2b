// libFuzzer target for the RFC 3161 parsing and checking: what a remote TSA sends back to
// `isnad timestamp`, and the .tsr/.tst files that a received bag carries. Any bytes must
// give token information or an error, never a crash, a leak or undefined behaviour; a
// token that Inspect reads must also be what TokenDer keeps, and read back the same.
// Built only with -DISNAD_FUZZ=ON and clang (see src/pdq/pdq_fuzz.cc for the commands):
//   ninja -C build-fuzz tsa_fuzz && build-fuzz/src/tsa/tsa_fuzz -max_total_time=60 CORPUS_DIR
// Seed CORPUS_DIR with ../shared/testdata/rfc3161-digitorus/*.tsr and timeStampToken.p7s.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tsa/timestamp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view der(reinterpret_cast<const char*>(data), size);
  auto info = isnad::tsa::Inspect(der);
  auto token = isnad::tsa::TokenDer(der);
  if (!info.ok()) return 0;
  if (!token.ok()) __builtin_trap();  // a token Inspect reads must be keepable
  auto again = isnad::tsa::Inspect(*token);
  if (!again.ok() || again->gen_time != info->gen_time || again->imprint != info->imprint ||
      again->nonce != info->nonce || again->serial != info->serial) {
    __builtin_trap();  // the kept token must read back the same
  }
  // The checks Verify adds: signature, ESS binding, EKU, chain to the token's own signer.
  isnad::tsa::VerifyOptions options;
  options.expected_nonce = info->nonce;
  auto verified = isnad::tsa::Verify(der, info->imprint, options);
  if (verified.ok() && (verified->imprint != info->imprint || verified->chain_checked)) {
    __builtin_trap();
  }
  return 0;
}
