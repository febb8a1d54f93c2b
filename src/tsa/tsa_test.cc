// RFC 3161: real responses from a public TSA (../shared/testdata/rfc3161-digitorus, see
// its README for what each file must give) and a local TSA on 127.0.0.1 that behaves
// or misbehaves (tsa/fake_tsa.h).
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/digest.h"
#include "core/encoding.h"
#include "core/status.h"
#include "tsa/fake_tsa.h"
#include "tsa/timestamp.h"

namespace isnad::tsa {
namespace {

using core::Code;
using testing::FakeTsa;
using testing::Misbehave;

const std::string kData = std::string(ISNAD_TESTDATA_DIR) + "/rfc3161-digitorus";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

#define SKIP_WITHOUT_DATA()                                                            \
  do {                                                                                 \
    if (!std::filesystem::exists(kData + "/respNonce.tsr")) {                          \
      GTEST_SKIP() << "conformance data absent: " << kData << " (../shared/testdata)"; \
    }                                                                                  \
  } while (0)

core::Hash HashedMessage() {
  auto h = core::Hash::FromBytes(ReadAll(kData + "/hashedMessage.bin"));
  EXPECT_TRUE(h.ok()) << h.status().ToString();
  return h.ok() ? *h : core::Hash{};
}

// The nonce of a request file, big-endian bytes.
std::string RequestNonce(const std::string& file) {
  std::string der = ReadAll(kData + "/" + file);
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  TS_REQ* req = d2i_TS_REQ(nullptr, &p, static_cast<long>(der.size()));
  EXPECT_NE(req, nullptr) << file;
  if (req == nullptr) return {};
  std::string out;
  if (const ASN1_INTEGER* n = TS_REQ_get_nonce(req); n != nullptr) {
    BIGNUM* bn = ASN1_INTEGER_to_BN(n, nullptr);
    out.resize(static_cast<size_t>(BN_num_bytes(bn)));
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
    BN_free(bn);
  }
  TS_REQ_free(req);
  return out;
}

// The certificates embedded in a response, as PEM (index -1: all of them).
std::string EmbeddedPem(const std::string& file, int index = -1) {
  std::string der = ReadAll(kData + "/" + file);
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  TS_RESP* resp = d2i_TS_RESP(nullptr, &p, static_cast<long>(der.size()));
  EXPECT_NE(resp, nullptr);
  if (resp == nullptr) return {};
  STACK_OF(X509)* certs = TS_RESP_get_token(resp)->d.sign->cert;
  BIO* bio = BIO_new(BIO_s_mem());
  for (int i = 0; i < sk_X509_num(certs); ++i) {
    if (index < 0 || index == i) PEM_write_bio_X509(bio, sk_X509_value(certs, i));
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  TS_RESP_free(resp);
  return out;
}

// ---------------------------------------------------------------- conformance

TEST(Rfc3161Conformance, RespNonceVerifiesAtGenTimeWithItsOwnCertificates) {
  SKIP_WITHOUT_DATA();
  std::string nonce = RequestNonce("reqNonce.tsq");
  EXPECT_EQ(core::HexEncode(nonce), "092ef19ffb5d2ae8");
  VerifyOptions o;
  o.expected_nonce = nonce;
  auto info = Verify(ReadAll(kData + "/respNonce.tsr"), HashedMessage(), o);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->gen_time, "2017-04-19T06:29:53Z");
  EXPECT_EQ(info->accuracy_us, 1000000);  // the README: accuracy 1 s
  EXPECT_EQ(info->policy, "1.3.6.1.4.1.4146.2.1");
  EXPECT_EQ(info->nonce, nonce);
  EXPECT_EQ(info->imprint, HashedMessage());
  EXPECT_FALSE(info->chain_checked);
  EXPECT_NE(info->tsa_name.find("GlobalSign"), std::string::npos) << info->tsa_name;
  EXPECT_FALSE(info->serial.empty());
}

TEST(Rfc3161Conformance, RespNonceChainsToTheEmbeddedCaGivenAsRoot) {
  SKIP_WITHOUT_DATA();
  // The second embedded certificate is "GlobalSign Primary SHA256 CA for Adobe"; the
  // Adobe root above it is not included, so it is given as the anchor.
  VerifyOptions o;
  o.roots_pem = EmbeddedPem("respNonce.tsr", 1);
  ASSERT_FALSE(o.roots_pem.empty());
  auto info = Verify(ReadAll(kData + "/respNonce.tsr"), HashedMessage(), o);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(info->chain_checked);
}

TEST(Rfc3161Conformance, VerifyingNowInsteadOfAtGenTimeFails) {
  SKIP_WITHOUT_DATA();
  // The TSA certificate expired on 2022-05-24; the token did not.
  VerifyOptions o;
  o.at_time = static_cast<int64_t>(std::time(nullptr));
  auto info = Verify(ReadAll(kData + "/respNonce.tsr"), HashedMessage(), o);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), Code::kIntegrity);
  EXPECT_NE(info.status().message().find("expired"), std::string::npos) << info.status().ToString();
}

TEST(Rfc3161Conformance, RespNoNonceVerifies) {
  SKIP_WITHOUT_DATA();
  EXPECT_EQ(RequestNonce("reqNoNonce.tsq"), "");
  auto info = Verify(ReadAll(kData + "/respNoNonce.tsr"), HashedMessage(), {});
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->gen_time, "2017-04-19T06:28:13Z");
  EXPECT_EQ(info->nonce, "");
}

TEST(Rfc3161Conformance, RespNoNonceFailsWhenANonceWasSent) {
  SKIP_WITHOUT_DATA();
  VerifyOptions o;
  o.expected_nonce = RequestNonce("reqNonce.tsq");
  auto info = Verify(ReadAll(kData + "/respNoNonce.tsr"), HashedMessage(), o);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), Code::kIntegrity);
  EXPECT_NE(info.status().message().find("nonce"), std::string::npos) << info.status().ToString();
}

TEST(Rfc3161Conformance, NonceMismatchFails) {
  SKIP_WITHOUT_DATA();
  VerifyOptions o;
  o.expected_nonce = RequestNonce("reqNoCert.tsq");
  EXPECT_EQ(core::HexEncode(o.expected_nonce), "b1fc81dec95749d9");
  auto info = Verify(ReadAll(kData + "/respNonce.tsr"), HashedMessage(), o);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), Code::kIntegrity);
  EXPECT_NE(info.status().message().find("nonce mismatch"), std::string::npos)
      << info.status().ToString();
}

TEST(Rfc3161Conformance, RespNoCertVerifiesOnlyWithTheCertificatesSuppliedSeparately) {
  SKIP_WITHOUT_DATA();
  VerifyOptions o;
  o.expected_nonce = RequestNonce("reqNoCert.tsq");
  const std::string resp = ReadAll(kData + "/respNoCert.tsr");
  auto alone = Verify(resp, HashedMessage(), o);
  ASSERT_FALSE(alone.ok());
  EXPECT_EQ(alone.status().code(), Code::kIntegrity);
  EXPECT_NE(alone.status().message().find("signer"), std::string::npos)
      << alone.status().ToString();

  o.untrusted_pem = EmbeddedPem("respNonce.tsr");
  auto info = Verify(resp, HashedMessage(), o);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->gen_time, "2017-04-19T06:32:43Z");
  EXPECT_NE(info->tsa_name.find("GlobalSign"), std::string::npos) << info->tsa_name;

  // The same, with the CA as the anchor.
  o.roots_pem = EmbeddedPem("respNonce.tsr", 1);
  auto chained = Verify(resp, HashedMessage(), o);
  ASSERT_TRUE(chained.ok()) << chained.status().ToString();
  EXPECT_TRUE(chained->chain_checked);
}

TEST(Rfc3161Conformance, BareTokenParses) {
  SKIP_WITHOUT_DATA();
  auto info = Inspect(ReadAll(kData + "/timeStampToken.p7s"));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  std::string hex = info->imprint.Hex();
  EXPECT_EQ(hex.substr(0, 8), "2da82c15");
  EXPECT_EQ(hex.substr(60), "a2ff");
  EXPECT_EQ(info->gen_time, "2017-02-01T15:39:50Z");
  EXPECT_EQ(info->accuracy_us, 1000000);
  EXPECT_EQ(FormatAccuracy(*info->accuracy_us), "1 s");
  EXPECT_EQ(info->policy, "1.3.6.1.4.1.4146.1.31");
  // It verifies over its own imprint with the certificate it carries.
  auto verified = Verify(ReadAll(kData + "/timeStampToken.p7s"), info->imprint, {});
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(verified->gen_time, "2017-02-01T15:39:50Z");
  // A bare token is its own token DER.
  auto der = TokenDer(ReadAll(kData + "/timeStampToken.p7s"));
  ASSERT_TRUE(der.ok());
  EXPECT_EQ(*der, ReadAll(kData + "/timeStampToken.p7s"));
}

TEST(Rfc3161Conformance, RejectionIsReportedWithItsStatusText) {
  SKIP_WITHOUT_DATA();
  const std::string resp = ReadAll(kData + "/respRejection.tsr");
  std::vector<core::StatusOr<TokenInfo>> results;
  results.push_back(Inspect(resp));
  results.push_back(Verify(resp, HashedMessage(), {}));
  for (const auto& result : results) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), Code::kFailedPrecondition);
    const std::string m = result.status().message();
    EXPECT_NE(m.find("rejection"), std::string::npos) << m;
    EXPECT_NE(m.find("Error during serial number generation."), std::string::npos) << m;
    EXPECT_NE(m.find("addInfoNotAvailable"), std::string::npos) << m;
  }
}

// A TSA's status text is whatever the server sent: ESC (a terminal escape sequence) or a
// bidi override in it must not reach the user's terminal through the error message.
TEST(Rfc3161, StatusTextWithTerminalControlsIsEscaped) {
  const std::string text = "busy \x1b[2J\u202Eno";
  auto tlv = [](char tag, const std::string& body) {
    return std::string(1, tag) + static_cast<char>(body.size()) + body;  // short lengths only
  };
  // TimeStampResp { PKIStatusInfo { rejection (2), PKIFreeText { UTF8String } } }
  const std::string resp =
      tlv(0x30, tlv(0x30, tlv(0x02, std::string(1, '\x02')) + tlv(0x30, tlv(0x0c, text))));
  auto info = Inspect(resp);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), Code::kFailedPrecondition);
  const std::string m = info.status().message();
  EXPECT_EQ(m.find('\x1b'), std::string::npos) << m;
  EXPECT_EQ(m.find("\u202E"), std::string::npos) << m;
  EXPECT_NE(m.find("\"busy \\x1b[2J\\u202eno\""), std::string::npos) << m;
}

TEST(Rfc3161Conformance, ResponseOverAnotherImprintFails) {
  SKIP_WITHOUT_DATA();
  auto info = Verify(ReadAll(kData + "/respNonce.tsr"), core::Sha256Of("something else"), {});
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), Code::kIntegrity);
}

TEST(Rfc3161Conformance, EveryAlteredByteOfWhatIsSignedIsCaught) {
  SKIP_WITHOUT_DATA();
  auto token = TokenDer(ReadAll(kData + "/respNonce.tsr"));
  ASSERT_TRUE(token.ok());
  // What the verification rests on: the TSTInfo, each signed attribute (content type,
  // message digest, ESS signing certificate), the signature value and the signer's
  // certificate. (Not: the CA certificate sent along, unused when the anchor is the
  // signer's certificate or a root the caller gives; the SignerInfo's version and
  // algorithm fields, which OpenSSL takes from the certificate and the attributes.)
  const auto* p = reinterpret_cast<const unsigned char*>(token->data());
  PKCS7* p7 = d2i_PKCS7(nullptr, &p, static_cast<long>(token->size()));
  ASSERT_NE(p7, nullptr);
  std::vector<std::string> parts;
  // Takes the DER that an i2d call wrote to `der` (allocated by OpenSSL).
  auto add_der = [&](int len, unsigned char*& der) {
    ASSERT_GT(len, 0);
    parts.emplace_back(reinterpret_cast<char*>(der), static_cast<size_t>(len));
    OPENSSL_free(der);
    der = nullptr;
  };
  TS_TST_INFO* tst = PKCS7_to_TS_TST_INFO(p7);
  ASSERT_NE(tst, nullptr);
  unsigned char* der = nullptr;
  int len = i2d_TS_TST_INFO(tst, &der);
  add_der(len, der);
  TS_TST_INFO_free(tst);
  PKCS7_SIGNER_INFO* si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(p7), 0);
  for (int i = 0; i < sk_X509_ATTRIBUTE_num(si->auth_attr); ++i) {
    len = i2d_X509_ATTRIBUTE(sk_X509_ATTRIBUTE_value(si->auth_attr, i), &der);
    add_der(len, der);
  }
  parts.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(si->enc_digest)),
                     static_cast<size_t>(ASN1_STRING_length(si->enc_digest)));
  len = i2d_X509(sk_X509_value(p7->d.sign->cert, 0), &der);  // the TSA's own
  add_der(len, der);
  PKCS7_free(p7);
  ASSERT_EQ(parts.size(), 6u);  // TSTInfo, 3 attributes, signature, certificate

  size_t checked = 0;
  for (const std::string& part : parts) {
    const size_t at = token->find(part);
    ASSERT_NE(at, std::string::npos);
    for (size_t i = at; i < at + part.size(); i += 3) {
      std::string bad = *token;
      bad[i] = static_cast<char>(bad[i] ^ 0x01);
      auto info = Verify(bad, HashedMessage(), {});
      EXPECT_FALSE(info.ok()) << "byte " << i << " altered, still verifies";
      ++checked;
    }
  }
  EXPECT_GT(checked, 500u);
}

TEST(Rfc3161Conformance, TrailingBytesAndGarbageAreRefused) {
  SKIP_WITHOUT_DATA();
  auto trailing = Inspect(ReadAll(kData + "/respNonce.tsr") + "x");
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.status().code(), Code::kIntegrity);
  for (std::string bad :
       {std::string(), std::string("hello"), std::string("\x30\x03\x02\x01", 4)}) {
    auto info = Inspect(bad);
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.status().code(), Code::kIntegrity);
  }
}

TEST(Rfc3161Conformance, EveryTruncationIsRefusedWithoutACrash) {
  SKIP_WITHOUT_DATA();
  for (const char* file : {"respNonce.tsr", "respNoCert.tsr", "timeStampToken.p7s"}) {
    const std::string der = ReadAll(kData + "/" + file);
    for (size_t n = 0; n < der.size(); ++n) {
      const std::string cut = der.substr(0, n);
      EXPECT_FALSE(Inspect(cut).ok()) << file << " cut to " << n << " bytes";
      EXPECT_FALSE(TokenDer(cut).ok()) << file << " cut to " << n << " bytes";
      auto verified = Verify(cut, HashedMessage(), {});
      ASSERT_FALSE(verified.ok()) << file << " cut to " << n << " bytes";
      EXPECT_EQ(verified.status().code(), Code::kIntegrity) << file << " cut to " << n;
    }
  }
}

// ---------------------------------------------------------------- requests

TEST(Request, HasSha256ImprintRandomNonceAndCertReq) {
  core::Hash h = core::Sha256Of("checkpoint");
  auto a = MakeRequest(h);
  auto b = MakeRequest(h);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->nonce, b->nonce);
  EXPECT_FALSE(a->nonce.empty());
  EXPECT_LE(a->nonce.size(), 8u);
  const auto* p = reinterpret_cast<const unsigned char*>(a->der.data());
  TS_REQ* req = d2i_TS_REQ(nullptr, &p, static_cast<long>(a->der.size()));
  ASSERT_NE(req, nullptr);
  EXPECT_EQ(TS_REQ_get_version(req), 1);
  EXPECT_EQ(TS_REQ_get_cert_req(req), 1);
  TS_MSG_IMPRINT* mi = TS_REQ_get_msg_imprint(req);
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, TS_MSG_IMPRINT_get_algo(mi));
  EXPECT_EQ(OBJ_obj2nid(oid), NID_sha256);
  const ASN1_OCTET_STRING* msg = TS_MSG_IMPRINT_get_msg(mi);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(msg)),
                        static_cast<size_t>(ASN1_STRING_length(msg))),
            std::string(h.View()));
  BIGNUM* bn = ASN1_INTEGER_to_BN(TS_REQ_get_nonce(req), nullptr);
  std::string nonce(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(nonce.data()));
  BN_free(bn);
  EXPECT_EQ(nonce, a->nonce);
  TS_REQ_free(req);
}

// ---------------------------------------------------------------- a local TSA

struct Got {
  core::StatusOr<std::string> response = core::Internal("not fetched");
  Request request;
};

Got Ask(const FakeTsa& tsa, const core::Hash& h, int timeout = 10) {
  Got g;
  auto req = MakeRequest(h);
  EXPECT_TRUE(req.ok());
  g.request = *req;
  g.response = Fetch(tsa.url(), g.request, timeout);
  return g;
}

TEST(LocalTsa, GrantsATokenThatVerifiesWithNonceAndChain) {
  FakeTsa tsa;
  core::Hash h = core::Sha256Of("a signed checkpoint");
  Got g = Ask(tsa, h);
  ASSERT_TRUE(g.response.ok()) << g.response.status().ToString();
  EXPECT_EQ(tsa.requests(), 1);

  VerifyOptions o;
  o.expected_nonce = g.request.nonce;
  auto info = Verify(*g.response, h, o);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_FALSE(info->chain_checked);
  EXPECT_EQ(info->nonce, g.request.nonce);
  EXPECT_EQ(info->policy, "1.3.6.1.4.1.99999.1.1");
  EXPECT_EQ(info->serial, "01");
  EXPECT_NE(info->tsa_name.find("CN=isnad tests TSA"), std::string::npos) << info->tsa_name;
  EXPECT_EQ(info->gen_time.size(), 20u) << info->gen_time;

  o.roots_pem = tsa.root_pem();
  auto chained = Verify(*g.response, h, o);
  ASSERT_TRUE(chained.ok()) << chained.status().ToString();
  EXPECT_TRUE(chained->chain_checked);

  // The bare token (what the archive keeps) verifies the same way, without the nonce.
  auto token = TokenDer(*g.response);
  ASSERT_TRUE(token.ok());
  EXPECT_LT(token->size(), g.response->size());
  o.expected_nonce.clear();
  auto bare = Verify(*token, h, o);
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  EXPECT_EQ(bare->gen_time, info->gen_time);
  auto inspected = Inspect(*token);
  ASSERT_TRUE(inspected.ok());
  EXPECT_EQ(inspected->serial, "01");
}

TEST(LocalTsa, RootsThatDoNotChainAreCaught) {
  FakeTsa tsa;
  core::Hash h = core::Sha256Of("x");
  Got g = Ask(tsa, h);
  ASSERT_TRUE(g.response.ok()) << g.response.status().ToString();
  VerifyOptions o;
  o.roots_pem = testing::UnrelatedRootPem();
  auto info = Verify(*g.response, h, o);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), Code::kIntegrity);
  EXPECT_NE(info.status().message().find("certificate"), std::string::npos)
      << info.status().ToString();
}

TEST(LocalTsa, RootsThatAreNotPemAreABadArgument) {
  FakeTsa tsa;
  core::Hash h = core::Sha256Of("x");
  Got g = Ask(tsa, h);
  ASSERT_TRUE(g.response.ok());
  VerifyOptions o;
  o.roots_pem = "not a certificate";
  auto info = Verify(*g.response, h, o);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), Code::kInvalidArgument);
}

TEST(LocalTsa, Http500IsAnIoErrorNamingTheUrl) {
  FakeTsa tsa(Misbehave::kHttp500);
  Got g = Ask(tsa, core::Sha256Of("x"));
  ASSERT_FALSE(g.response.ok());
  EXPECT_EQ(g.response.status().code(), Code::kIoError);
  EXPECT_NE(g.response.status().message().find("HTTP 500"), std::string::npos);
  EXPECT_NE(g.response.status().message().find(tsa.url()), std::string::npos);
}

TEST(LocalTsa, ATsaThatNeverAnswersTimesOut) {
  FakeTsa tsa(Misbehave::kSilent);
  auto start = std::chrono::steady_clock::now();
  Got g = Ask(tsa, core::Sha256Of("x"), /*timeout=*/1);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(g.response.ok());
  EXPECT_EQ(g.response.status().code(), Code::kIoError);
  EXPECT_NE(g.response.status().message().find("timed out"), std::string::npos)
      << g.response.status().ToString();
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(LocalTsa, NothingListeningIsAnIoError) {
  std::string url;
  {
    FakeTsa gone;
    url = gone.url();
  }
  auto req = MakeRequest(core::Sha256Of("x"));
  ASSERT_TRUE(req.ok());
  auto resp = Fetch(url, *req, 5);
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), Code::kIoError);
}

// The TSA URL is recorded in the custody log, which is append-only and exported: a user
// name or password in it would be published for good, so it is refused, and not echoed.
TEST(LocalTsa, AUrlWithCredentialsIsRefusedWithoutEchoingThem) {
  FakeTsa tsa;
  auto req = MakeRequest(core::Sha256Of("x"));
  ASSERT_TRUE(req.ok());
  const std::string host = tsa.url().substr(7);  // "127.0.0.1:PORT/"
  for (const std::string& url : {"http://alice:s3cret@" + host, "http://s3cret@" + host}) {
    auto resp = Fetch(url, *req, 5);
    ASSERT_FALSE(resp.ok()) << url;
    EXPECT_EQ(resp.status().code(), Code::kInvalidArgument) << url;
    EXPECT_EQ(resp.status().message().find("s3cret"), std::string::npos) << resp.status().message();
  }
  EXPECT_EQ(tsa.requests(), 0);
  // An '@' after the host is not a credential.
  auto ok = Fetch(tsa.url() + "?who=a@b", *req, 5);
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
}

TEST(LocalTsa, OnlyHttpUrls) {
  auto req = MakeRequest(core::Sha256Of("x"));
  ASSERT_TRUE(req.ok());
  for (const char* url : {"file:///etc/passwd", "ftp://127.0.0.1/", "127.0.0.1"}) {
    auto resp = Fetch(url, *req, 5);
    ASSERT_FALSE(resp.ok());
    EXPECT_EQ(resp.status().code(), Code::kInvalidArgument) << url;
  }
}

TEST(LocalTsa, GarbageIsCaught) {
  FakeTsa tsa(Misbehave::kGarbage);
  core::Hash h = core::Sha256Of("x");
  Got g = Ask(tsa, h);
  ASSERT_TRUE(g.response.ok()) << g.response.status().ToString();
  auto info = Verify(*g.response, h, {});
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), Code::kIntegrity);
}

TEST(LocalTsa, ATokenOverAnotherImprintIsCaught) {
  FakeTsa tsa(Misbehave::kOtherImprint);
  core::Hash h = core::Sha256Of("x");
  Got g = Ask(tsa, h);
  ASSERT_TRUE(g.response.ok());
  VerifyOptions o;
  o.expected_nonce = g.request.nonce;
  o.roots_pem = tsa.root_pem();
  auto info = Verify(*g.response, h, o);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), Code::kIntegrity);
  EXPECT_NE(info.status().message().find("covers"), std::string::npos) << info.status().ToString();
}

TEST(LocalTsa, AWrongOrMissingNonceIsCaught) {
  for (Misbehave m : {Misbehave::kWrongNonce, Misbehave::kNoNonce}) {
    FakeTsa tsa(m);
    core::Hash h = core::Sha256Of("x");
    Got g = Ask(tsa, h);
    ASSERT_TRUE(g.response.ok());
    VerifyOptions o;
    o.expected_nonce = g.request.nonce;
    auto info = Verify(*g.response, h, o);
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.status().code(), Code::kIntegrity);
    EXPECT_NE(info.status().message().find("nonce"), std::string::npos) << info.status().ToString();
    // Without a nonce check the same token is fine: the nonce check is what caught it.
    o.expected_nonce.clear();
    EXPECT_TRUE(Verify(*g.response, h, o).ok());
  }
}

TEST(LocalTsa, ASignerWithoutACriticalTimeStampingEkuIsCaught) {
  for (Misbehave m : {Misbehave::kNoEku, Misbehave::kNonCriticalEku}) {
    FakeTsa tsa(m);
    core::Hash h = core::Sha256Of("x");
    Got g = Ask(tsa, h);
    ASSERT_TRUE(g.response.ok());
    // Everything else about the token holds: it parses and covers the imprint.
    auto parsed = Inspect(*g.response);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(parsed->imprint, h);
    for (bool with_roots : {false, true}) {
      VerifyOptions o;
      o.expected_nonce = g.request.nonce;
      if (with_roots) o.roots_pem = tsa.root_pem();
      auto info = Verify(*g.response, h, o);
      ASSERT_FALSE(info.ok()) << static_cast<int>(m) << " roots " << with_roots;
      EXPECT_EQ(info.status().code(), Code::kIntegrity);
      EXPECT_NE(info.status().message().find("unsuitable certificate purpose"), std::string::npos)
          << info.status().ToString();
    }
  }
}

TEST(LocalTsa, RejectionIsAFailedPreconditionWithItsReason) {
  FakeTsa tsa(Misbehave::kRejection);
  core::Hash h = core::Sha256Of("x");
  Got g = Ask(tsa, h);
  ASSERT_TRUE(g.response.ok());
  auto info = Verify(*g.response, h, {});
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(info.status().message().find("Error during serial number generation."),
            std::string::npos)
      << info.status().ToString();
}

TEST(Accuracy, IsWrittenForPeople) {
  EXPECT_EQ(FormatAccuracy(0), "0 s");
  EXPECT_EQ(FormatAccuracy(500000), "0.5 s");
  EXPECT_EQ(FormatAccuracy(1), "0.000001 s");
  EXPECT_EQ(FormatAccuracy(3010000), "3.01 s");
}

}  // namespace
}  // namespace isnad::tsa
