// Test-only: a time-stamping authority on 127.0.0.1, with its own root CA and TSA
// certificate made fresh for each instance (OpenSSL API, no subprocess). It answers
// RFC 3161 requests over HTTP with OpenSSL's TS_RESP_CTX, or misbehaves in one chosen
// way. Never linked into isnad. Construction adds 127.0.0.1 to $no_proxy/$NO_PROXY (so
// neither the test nor the isnad processes it starts send its requests to a proxy).
// Thread safety: set_mode and the accessors may be used while the server thread answers.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

namespace isnad::tsa::testing {

enum class Misbehave {
  kNone,            // a correct TSA (nonce echoed, certificates included when asked)
  kHttp500,         // HTTP 500, empty body
  kSilent,          // accepts the connection, never answers
  kGarbage,         // HTTP 200 with bytes that are not DER
  kOtherImprint,    // a valid token over another SHA-256 imprint
  kWrongNonce,      // a valid token with another nonce
  kNoNonce,         // a valid token without the nonce
  kNoEku,           // signed by a certificate of the same root without extendedKeyUsage
  kNonCriticalEku,  // signed by a certificate whose timeStamping EKU is not critical
  kRejection,       // status rejection with a reason
  kNoCertificates,  // a valid token without its certificates (the request's certReq ignored)
};

// Returns a fresh self-signed CA certificate (PEM) that issued nothing of this TSA's.
std::string UnrelatedRootPem();

class FakeTsa {
 public:
  explicit FakeTsa(Misbehave mode = Misbehave::kNone);
  ~FakeTsa();
  FakeTsa(const FakeTsa&) = delete;
  FakeTsa& operator=(const FakeTsa&) = delete;

  // "http://127.0.0.1:PORT/".
  const std::string& url() const { return url_; }
  const std::string& root_pem() const;
  const std::string& cert_pem() const;  // the TSA's signer certificate
  void set_mode(Misbehave mode) { mode_ = mode; }
  int requests() const { return requests_; }

  // Answers a DER TimeStampReq as the HTTP server would (the body of its 200 reply).
  std::string Respond(std::string_view request_der);

 private:
  struct Pki;
  void Serve();
  void Handle(int fd);

  std::unique_ptr<Pki> pki_;
  std::atomic<Misbehave> mode_;
  std::atomic<int> requests_{0};
  std::atomic<bool> stop_{false};
  int listen_fd_ = -1;
  std::string url_;
  std::thread thread_;
};

}  // namespace isnad::tsa::testing
