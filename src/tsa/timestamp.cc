// RFC 3161 messages with OpenSSL's TS API: building requests, reading responses and
// tokens, and verifying them (signature, ESS signing certificate, timeStamping EKU,
// imprint, nonce, chain at genTime). Fetching is fetch.cc.
#include "tsa/timestamp.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/encoding.h"
#include "core/utf8.h"

namespace isnad::tsa {
namespace {

using core::Status;
using core::StatusOr;

template <auto Fn>
struct Free {
  template <typename T>
  void operator()(T* p) const {
    Fn(p);
  }
};
using ReqPtr = std::unique_ptr<TS_REQ, Free<TS_REQ_free>>;
using RespPtr = std::unique_ptr<TS_RESP, Free<TS_RESP_free>>;
using Pkcs7Ptr = std::unique_ptr<PKCS7, Free<PKCS7_free>>;
using TstInfoPtr = std::unique_ptr<TS_TST_INFO, Free<TS_TST_INFO_free>>;
using MsgImprintPtr = std::unique_ptr<TS_MSG_IMPRINT, Free<TS_MSG_IMPRINT_free>>;
using AlgorPtr = std::unique_ptr<X509_ALGOR, Free<X509_ALGOR_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Free<BN_free>>;
using AsnIntPtr = std::unique_ptr<ASN1_INTEGER, Free<ASN1_INTEGER_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Free<X509_STORE_free>>;
using VerifyCtxPtr = std::unique_ptr<TS_VERIFY_CTX, Free<TS_VERIFY_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, Free<BIO_free_all>>;
void FreeCerts(STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); }
using CertsPtr = std::unique_ptr<STACK_OF(X509), Free<FreeCerts>>;

// Drains OpenSSL's error queue into one line: "reason (detail); reason ...".
std::string OpenSslErrors() {
  std::string out;
  const char* data = nullptr;
  int flags = 0;
  unsigned long e;
  while ((e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) != 0) {
    const char* reason = ERR_reason_error_string(e);
    std::string part = reason != nullptr ? reason : "OpenSSL error " + std::to_string(e);
    if ((flags & ERR_TXT_STRING) != 0 && data != nullptr && *data != '\0') {
      part += std::string(" (") + data + ")";
    }
    if (out.find(part) != std::string::npos) continue;
    if (!out.empty()) out += "; ";
    out += part;
  }
  return out.empty() ? "no detail from OpenSSL" : out;
}

std::string_view AsnBytes(const ASN1_STRING* s) {
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
          static_cast<size_t>(ASN1_STRING_length(s))};
}

// Big-endian magnitude of an INTEGER without leading zero bytes ("" for zero).
std::string IntegerBytes(const ASN1_INTEGER* i) {
  BnPtr bn(ASN1_INTEGER_to_BN(i, nullptr));
  if (!bn) return {};
  std::string out(static_cast<size_t>(BN_num_bytes(bn.get())), '\0');
  BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

AsnIntPtr IntegerFromBytes(std::string_view bytes) {
  BnPtr bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                     static_cast<int>(bytes.size()), nullptr));
  if (!bn) return nullptr;
  return AsnIntPtr(BN_to_ASN1_INTEGER(bn.get(), nullptr));
}

std::string NameLine(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return {};
  // RFC 2253 order and escaping, but UTF-8 kept as it is.
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* p = nullptr;
  long n = BIO_get_mem_data(bio.get(), &p);
  return n > 0 ? std::string(p, static_cast<size_t>(n)) : std::string();
}

struct GenTime {
  std::string rfc3339;
  time_t seconds = 0;
};

// GeneralizedTime "YYYYMMDDHHMMSS[.f+]Z" -> RFC 3339 "YYYY-MM-DDTHH:MM:SS[.f+]Z".
StatusOr<GenTime> ReadGenTime(const ASN1_GENERALIZEDTIME* t) {
  struct tm tm = {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    return core::Integrity("the token's genTime is malformed");
  }
  std::string fraction;
  std::string_view raw = AsnBytes(t);
  if (size_t dot = raw.find('.'); dot != std::string_view::npos) {
    for (size_t i = dot + 1; i < raw.size() && raw[i] >= '0' && raw[i] <= '9'; ++i) {
      fraction += raw[i];
    }
    if (!fraction.empty()) fraction = "." + fraction;
  }
  std::array<char, 64> buf{};
  std::snprintf(buf.data(), buf.size(), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  GenTime out;
  out.rfc3339 = std::string(buf.data()) + fraction + "Z";
  out.seconds = timegm(&tm);
  return out;
}

std::string StatusName(long status) {
  static constexpr std::array<const char*, 6> kNames = {
      "granted", "grantedWithMods",   "rejection",
      "waiting", "revocationWarning", "revocationNotification"};
  if (status >= 0 && status < static_cast<long>(kNames.size())) return kNames[status];
  return "unknown status " + std::to_string(status);
}

// Why a TSA said no: "status rejection: "text"; failure info addInfoNotAvailable".
std::string DescribeStatus(const TS_STATUS_INFO* si) {
  std::string out = "status " + StatusName(ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si)));
  if (const auto* texts = TS_STATUS_INFO_get0_text(si); texts != nullptr) {
    for (int i = 0; i < sk_ASN1_UTF8STRING_num(texts); ++i) {
      // The server's own words: terminal controls and bidi overrides escaped.
      out += ": \"" + core::Printable(AsnBytes(sk_ASN1_UTF8STRING_value(texts, i))) + "\"";
    }
  }
  static constexpr std::array<std::pair<int, const char*>, 8> kFailures = {{
      {TS_INFO_BAD_ALG, "badAlg"},
      {TS_INFO_BAD_REQUEST, "badRequest"},
      {TS_INFO_BAD_DATA_FORMAT, "badDataFormat"},
      {TS_INFO_TIME_NOT_AVAILABLE, "timeNotAvailable"},
      {TS_INFO_UNACCEPTED_POLICY, "unacceptedPolicy"},
      {TS_INFO_UNACCEPTED_EXTENSION, "unacceptedExtension"},
      {TS_INFO_ADD_INFO_NOT_AVAILABLE, "addInfoNotAvailable"},
      {TS_INFO_SYSTEM_FAILURE, "systemFailure"},
  }};
  if (const ASN1_BIT_STRING* fi = TS_STATUS_INFO_get0_failure_info(si); fi != nullptr) {
    std::string names;
    for (const auto& [bit, name] : kFailures) {
      if (ASN1_BIT_STRING_get_bit(fi, bit)) names += std::string(names.empty() ? "" : ", ") + name;
    }
    if (!names.empty()) out += "; failure info " + names;
  }
  return out;
}

// A response or bare token, parsed: `token` and `tst` point into `resp` or are owned.
struct Parsed {
  RespPtr resp;
  Pkcs7Ptr owned_token;
  TstInfoPtr owned_tst;
  PKCS7* token = nullptr;
  TS_TST_INFO* tst = nullptr;
};

StatusOr<Parsed> Parse(std::string_view der) {
  if (der.empty()) return core::Integrity("not a time-stamp response or token: no bytes");
  const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
  const auto* end = begin + der.size();
  Parsed p;
  const unsigned char* in = begin;
  p.resp.reset(d2i_TS_RESP(nullptr, &in, static_cast<long>(der.size())));
  if (p.resp) {
    if (in != end) {
      return core::Integrity("not a time-stamp response: " + std::to_string(end - in) +
                             " bytes after its end");
    }
    const TS_STATUS_INFO* si = TS_RESP_get_status_info(p.resp.get());
    long status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si));
    if (status != TS_STATUS_GRANTED && status != TS_STATUS_GRANTED_WITH_MODS) {
      ERR_clear_error();
      return core::FailedPrecondition("the TSA did not grant a time-stamp: " + DescribeStatus(si));
    }
    p.token = TS_RESP_get_token(p.resp.get());
    p.tst = TS_RESP_get_tst_info(p.resp.get());
    if (p.token == nullptr || p.tst == nullptr) {
      return core::Integrity("the TSA granted a time-stamp but sent no token");
    }
    return p;
  }
  ERR_clear_error();
  in = begin;
  p.owned_token.reset(d2i_PKCS7(nullptr, &in, static_cast<long>(der.size())));
  if (!p.owned_token) {
    ERR_clear_error();
    return core::Integrity(
        "not a time-stamp response or token (DER TimeStampResp or CMS "
        "SignedData expected)");
  }
  if (in != end) {
    return core::Integrity("not a time-stamp token: " + std::to_string(end - in) +
                           " bytes after its end");
  }
  p.owned_tst.reset(PKCS7_to_TS_TST_INFO(p.owned_token.get()));
  if (!p.owned_tst) {
    return core::Integrity("not a time-stamp token: " + OpenSslErrors());
  }
  p.token = p.owned_token.get();
  p.tst = p.owned_tst.get();
  return p;
}

// The signer's certificate from the token's certificates and `extra`, or null.
X509* FindSigner(PKCS7* token, STACK_OF(X509) * extra) {
  STACK_OF(X509)* signers = PKCS7_get0_signers(token, extra, 0);
  X509* signer = nullptr;
  if (signers != nullptr && sk_X509_num(signers) == 1) signer = sk_X509_value(signers, 0);
  sk_X509_free(signers);
  ERR_clear_error();
  return signer;
}

// Fills what the token says; kUnimplemented when its imprint is not SHA-256.
StatusOr<std::pair<TokenInfo, time_t>> ReadInfo(const Parsed& p, STACK_OF(X509) * extra) {
  TokenInfo info;
  ISNAD_ASSIGN_OR_RETURN(GenTime gt, ReadGenTime(TS_TST_INFO_get_time(p.tst)));
  info.gen_time = gt.rfc3339;
  if (const TS_ACCURACY* acc = TS_TST_INFO_get_accuracy(p.tst); acc != nullptr) {
    // Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] INTEGER (1..999)
    // OPTIONAL, micros [1] INTEGER (1..999) OPTIONAL }
    auto part = [](const ASN1_INTEGER* v, int64_t max, int64_t* out) {
      if (v == nullptr) return true;
      return ASN1_INTEGER_get_int64(out, v) == 1 && *out >= 0 && *out <= max;
    };
    int64_t sec = 0, ms = 0, us = 0;
    if (!part(TS_ACCURACY_get_seconds(acc), int64_t{1} << 40, &sec) ||
        !part(TS_ACCURACY_get_millis(acc), 999, &ms) ||
        !part(TS_ACCURACY_get_micros(acc), 999, &us)) {
      ERR_clear_error();
      return core::Integrity("the token's accuracy is malformed (RFC 3161 2.4.2)");
    }
    info.accuracy_us = sec * 1000000 + ms * 1000 + us;
  }
  if (const ASN1_OBJECT* policy = TS_TST_INFO_get_policy_id(p.tst); policy != nullptr) {
    std::array<char, 128> buf{};
    int n = OBJ_obj2txt(buf.data(), static_cast<int>(buf.size()), policy, 1);
    if (n > 0) info.policy = std::string(buf.data(), std::min<size_t>(n, buf.size() - 1));
  }
  if (const ASN1_INTEGER* serial = TS_TST_INFO_get_serial(p.tst); serial != nullptr) {
    std::string bytes = IntegerBytes(serial);
    info.serial = bytes.empty() ? "00" : core::HexEncode(bytes);
  }
  if (const ASN1_INTEGER* nonce = TS_TST_INFO_get_nonce(p.tst); nonce != nullptr) {
    info.nonce = IntegerBytes(nonce);
  }
  TS_MSG_IMPRINT* mi = TS_TST_INFO_get_msg_imprint(p.tst);
  const X509_ALGOR* alg = mi != nullptr ? TS_MSG_IMPRINT_get_algo(mi) : nullptr;
  const ASN1_OCTET_STRING* msg = mi != nullptr ? TS_MSG_IMPRINT_get_msg(mi) : nullptr;
  if (alg == nullptr || msg == nullptr) return core::Integrity("the token has no message imprint");
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, alg);
  if (OBJ_obj2nid(oid) != NID_sha256) {
    std::array<char, 128> buf{};
    OBJ_obj2txt(buf.data(), static_cast<int>(buf.size()), oid, 0);
    return core::Unimplemented(std::string("the token's imprint is ") + buf.data() +
                               "; isnad reads SHA-256 imprints only");
  }
  auto imprint = core::Hash::FromBytes(AsnBytes(msg));
  if (!imprint.ok()) return core::Integrity("the token's SHA-256 imprint is not 32 bytes");
  info.imprint = *imprint;
  if (X509* signer = FindSigner(p.token, extra); signer != nullptr) {
    info.tsa_name = NameLine(X509_get_subject_name(signer));
  } else if (const GENERAL_NAME* tsa = TS_TST_INFO_get_tsa(p.tst);
             tsa != nullptr && tsa->type == GEN_DIRNAME) {
    info.tsa_name = NameLine(tsa->d.directoryName);
  }
  return std::pair{std::move(info), gt.seconds};
}

StatusOr<CertsPtr> ReadPemCerts(const std::string& pem, std::string_view what) {
  CertsPtr certs(sk_X509_new_null());
  if (!certs) return core::Internal("out of memory");
  if (pem.empty()) return certs;
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return core::Internal("out of memory");
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    sk_X509_push(certs.get(), cert);
  }
  unsigned long last = ERR_peek_last_error();
  // The loop ends on "no start line" at the end of the text; anything else is damage.
  if (ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE &&
      sk_X509_num(certs.get()) > 0) {
    ERR_clear_error();
  } else if (last != 0) {
    return core::InvalidArgument(std::string(what) +
                                 ": cannot read the PEM certificates: " + OpenSslErrors());
  }
  if (sk_X509_num(certs.get()) == 0) {
    return core::InvalidArgument(std::string(what) + " holds no PEM certificate");
  }
  return certs;
}

// A TimeStampReq v1 for a SHA-256 imprint with `nonce` (none when empty), certReq set.
StatusOr<ReqPtr> NewRequest(const core::Hash& sha256_imprint, std::string_view nonce) {
  auto fail = [](std::string_view what) {
    return core::Internal("cannot build a time-stamp request (" + std::string(what) +
                          "): " + OpenSslErrors());
  };
  ReqPtr req(TS_REQ_new());
  MsgImprintPtr mi(TS_MSG_IMPRINT_new());
  AlgorPtr alg(X509_ALGOR_new());
  if (!req || !mi || !alg) return fail("allocation");
  if (!TS_REQ_set_version(req.get(), 1)) return fail("version");
  if (!X509_ALGOR_set0(alg.get(), OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nullptr)) {
    return fail("algorithm");
  }
  if (!TS_MSG_IMPRINT_set_algo(mi.get(), alg.get()) ||
      !TS_MSG_IMPRINT_set_msg(mi.get(), const_cast<uint8_t*>(sha256_imprint.bytes.data()),
                              static_cast<int>(sha256_imprint.bytes.size())) ||
      !TS_REQ_set_msg_imprint(req.get(), mi.get())) {
    return fail("imprint");
  }
  if (!nonce.empty()) {
    AsnIntPtr asn_nonce = IntegerFromBytes(nonce);
    if (!asn_nonce || !TS_REQ_set_nonce(req.get(), asn_nonce.get())) return fail("nonce");
  }
  if (!TS_REQ_set_cert_req(req.get(), 1)) return fail("certReq");
  return req;
}

}  // namespace

std::string FormatAccuracy(int64_t accuracy_us) {
  std::string out = std::to_string(accuracy_us / 1000000);
  if (int64_t frac = accuracy_us % 1000000; frac != 0) {
    std::string digits = std::to_string(frac);
    digits.insert(0, 6 - digits.size(), '0');
    digits.erase(digits.find_last_not_of('0') + 1);
    out += "." + digits;
  }
  return out + " s";
}

StatusOr<Request> MakeRequest(const core::Hash& sha256_imprint) {
  ERR_clear_error();
  std::array<unsigned char, 8> random{};
  std::string nonce;
  while (nonce.empty()) {  // 64 random bits; zero would be encoded as no bytes
    if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
      return core::Internal("no random bytes for a nonce: " + OpenSslErrors());
    }
    nonce.assign(reinterpret_cast<const char*>(random.data()), random.size());
    nonce.erase(0, nonce.find_first_not_of('\0'));
  }
  ISNAD_ASSIGN_OR_RETURN(ReqPtr req, NewRequest(sha256_imprint, nonce));
  int len = i2d_TS_REQ(req.get(), nullptr);
  if (len <= 0) return core::Internal("cannot encode a time-stamp request: " + OpenSslErrors());
  Request out;
  out.der.resize(static_cast<size_t>(len));
  auto* p = reinterpret_cast<unsigned char*>(out.der.data());
  if (i2d_TS_REQ(req.get(), &p) != len) {
    return core::Internal("cannot encode a time-stamp request: " + OpenSslErrors());
  }
  out.nonce = std::move(nonce);
  return out;
}

StatusOr<TokenInfo> Inspect(std::string_view der) {
  ERR_clear_error();
  ISNAD_ASSIGN_OR_RETURN(Parsed p, Parse(der));
  ISNAD_ASSIGN_OR_RETURN(auto read, ReadInfo(p, nullptr));
  return std::move(read.first);
}

StatusOr<std::string> TokenDer(std::string_view der) {
  ERR_clear_error();
  ISNAD_ASSIGN_OR_RETURN(Parsed p, Parse(der));
  if (p.owned_token) return std::string(der);
  int len = i2d_PKCS7(p.token, nullptr);
  if (len <= 0) return core::Integrity("cannot encode the token: " + OpenSslErrors());
  std::string out(static_cast<size_t>(len), '\0');
  auto* q = reinterpret_cast<unsigned char*>(out.data());
  if (i2d_PKCS7(p.token, &q) != len) return core::Integrity("cannot encode the token");
  return out;
}

StatusOr<TokenInfo> Verify(std::string_view der, const core::Hash& sha256_imprint,
                           const VerifyOptions& options) {
  ERR_clear_error();
  ISNAD_ASSIGN_OR_RETURN(Parsed p, Parse(der));
  CertsPtr untrusted(sk_X509_new_null());
  if (!options.untrusted_pem.empty()) {
    ISNAD_ASSIGN_OR_RETURN(untrusted,
                           ReadPemCerts(options.untrusted_pem, "the extra certificates"));
  }
  auto read = ReadInfo(p, untrusted.get());
  if (!read.ok()) {
    Status s = read.status();
    return s.code() == core::Code::kUnimplemented ? core::Integrity(s.message()) : s;
  }
  auto [info, gen_seconds] = std::move(read).value();

  // The checks whose failure needs the clearest words come first, then OpenSSL
  // repeats them along with the signature, ESS and chain checks.
  if (info.imprint != sha256_imprint) {
    return core::Integrity("the token covers SHA-256 " + info.imprint.Hex() + ", not " +
                           sha256_imprint.Hex());
  }
  if (!options.expected_nonce.empty()) {
    std::string expected = options.expected_nonce;
    expected.erase(0, expected.find_first_not_of('\0'));
    if (info.nonce.empty()) {
      return core::Integrity("the TSA did not return the request's nonce (" +
                             core::HexEncode(expected) + ")");
    }
    if (info.nonce != expected) {
      return core::Integrity("nonce mismatch: the token holds " + core::HexEncode(info.nonce) +
                             ", the request sent " + core::HexEncode(expected));
    }
  }

  StorePtr store(X509_STORE_new());
  if (!store) return core::Internal("out of memory");
  if (!options.roots_pem.empty()) {
    ISNAD_ASSIGN_OR_RETURN(CertsPtr roots, ReadPemCerts(options.roots_pem, "the roots"));
    for (int i = 0; i < sk_X509_num(roots.get()); ++i) {
      if (!X509_STORE_add_cert(store.get(), sk_X509_value(roots.get(), i))) {
        return core::Internal("cannot use a root certificate: " + OpenSslErrors());
      }
    }
  } else {
    // No roots: the signer's own certificate is the anchor (a partial chain), so the
    // signature, ESS binding, EKU and validity at genTime are checked, but not who
    // issued it. The caller is told (chain_checked = false).
    X509* signer = FindSigner(p.token, untrusted.get());
    if (signer == nullptr) {
      return core::Integrity(
          "the signer's certificate is neither in the token nor among the extra certificates "
          "given");
    }
    if (!X509_STORE_add_cert(store.get(), signer)) {
      return core::Internal("cannot use the signer certificate: " + OpenSslErrors());
    }
  }
  // Any certificate the caller trusts is an anchor, an intermediate CA included.
  X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
  // The chain as it stood when the token was made: TSA certificates expire, tokens do not.
  const time_t at = options.at_time != 0 ? static_cast<time_t>(options.at_time) : gen_seconds;
  X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store.get()), at);

  // OpenSSL 3.0 sets a context's imprint and nonce from a request (there is no
  // TS_VERIFY_CTX_set_nonce before 3.2): the request we would have sent.
  ISNAD_ASSIGN_OR_RETURN(ReqPtr expected, NewRequest(sha256_imprint, options.expected_nonce));
  VerifyCtxPtr ctx(TS_REQ_to_TS_VERIFY_CTX(expected.get(), nullptr));
  if (!ctx) return core::Internal("cannot set up verification: " + OpenSslErrors());
  // From the request: version, imprint (algorithm and value), nonce when there is one.
  TS_VERIFY_CTX_add_flags(ctx.get(), TS_VFY_SIGNATURE | TS_VFY_SIGNER);
  TS_VERIFY_CTX_set_store(ctx.get(), store.release());
  TS_VERIFY_CTX_set_certs(ctx.get(), untrusted.release());
  if (TS_RESP_verify_token(ctx.get(), p.token) != 1) {
    std::string why = OpenSslErrors();
    std::array<char, 32> when{};
    struct tm tm = {};
    gmtime_r(&at, &tm);
    std::strftime(when.data(), when.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return core::Integrity("the token does not verify: " + why + " (certificates checked at " +
                           when.data() +
                           (options.roots_pem.empty() ? ", against the signer's own certificate)"
                                                      : ", against the roots given)"));
  }
  info.chain_checked = !options.roots_pem.empty();
  return std::move(info);
}

}  // namespace isnad::tsa
