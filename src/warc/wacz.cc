// WACZ reading: see wacz.h.
#include "warc/wacz.h"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "core/canonical_json.h"
#include "core/digest.h"
#include "core/utf8.h"
#include "warc/wacz_internal.h"

namespace isnad::warc {
namespace {

constexpr size_t kChunk = 1 << 16;
constexpr size_t kMaxJson = 16 << 20;
// How much ReadWacz does again, in all, to go on after damaged members: each
// reopening reads the central directory (every member) and passes the members
// before. A ZIP of thousands of members, each damaged, would be quadratic;
// this bounds it to about a second, past the first few.
constexpr size_t kMaxReopenCost = 250'000;
constexpr size_t kMinReopens = 32;

struct ReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};

struct Member {
  uint64_t bytes = 0;
  core::Hash sha256;
  bool cut = false;  // damaged before its end: bytes and sha256 are of a part
};

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string ArchiveMessage(archive* a) {
  const char* m = archive_error_string(a);
  std::string s = m ? m : "libarchive gave no reason: the ZIP's structure is damaged";
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// How a member could not be read as the ZIP recorded it.
enum class Damage {
  kNone,
  kWrongBytes,   // all read, but not the CRC-32 or size recorded (ARCHIVE_WARN)
  kUndecodable,  // unsupported method or encrypted (ARCHIVE_FAILED); the ZIP reads on
  kCut,          // the member ends at the damage (ARCHIVE_FATAL)
};

// One ZIP member as a SequentialFile, hashing what is read. Where libarchive
// cannot give the rest or finds the bytes are not what the ZIP recorded, the
// stream ends there and damage() says how: what was read stands, so a WARC
// reader keeps every record before the damage.
class MemberStream : public core::SequentialFile {
 public:
  MemberStream(archive* a, std::string name) : a_(a), name_(std::move(name)) {}
  core::StatusOr<size_t> Read(char* buf, size_t n) override {
    // Block by block: archive_read_data drops what it copied in the call that
    // meets an error, and libarchive reports a wrong CRC-32 with the last block.
    while (left_ == 0) {
      if (end_) return size_t{0};
      const void* block = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      int r = archive_read_data_block(a_, &block, &size, &offset);
      if (r == ARCHIVE_EOF) {
        end_ = true;
        return size_t{0};
      }
      if (r < ARCHIVE_WARN) {
        End(r == ARCHIVE_FAILED ? Damage::kUndecodable : Damage::kCut, ArchiveMessage(a_));
        return size_t{0};
      }
      // With ARCHIVE_WARN the block stands; the member ends with it.
      if (r == ARCHIVE_WARN) End(Damage::kWrongBytes, ArchiveMessage(a_));
      if (offset < 0 || static_cast<uint64_t>(offset) != bytes_) {
        End(Damage::kCut, "libarchive gave its data out of order");
        return size_t{0};
      }
      at_ = static_cast<const char*>(block);
      left_ = size;
    }
    const size_t k = std::min(n, left_);
    std::memcpy(buf, at_, k);
    at_ += k;
    left_ -= k;
    sha_.Update(buf, k);
    bytes_ += k;
    if (keep_ && kept_.size() < kMaxJson) kept_.append(buf, k);
    return k;
  }
  // Reads what is left.
  core::Status Drain() {
    std::unique_ptr<char[]> buf(new char[kChunk]);
    while (true) {
      ISNAD_ASSIGN_OR_RETURN(size_t k, Read(buf.get(), kChunk));
      if (k == 0) return core::Status::Ok();
    }
  }
  Member Finish() {
    return {bytes_, sha_.Finish(), damage_ == Damage::kCut || damage_ == Damage::kUndecodable};
  }
  void Keep() { keep_ = true; }
  const std::string& kept() const { return kept_; }
  Damage damage() const { return damage_; }
  // What the damage is, after "the member is damaged: "; "" when none.
  std::string Why() const {
    switch (damage_) {
      case Damage::kNone:
        return "";
      case Damage::kWrongBytes:
        return "its " + std::to_string(bytes_) + " bytes are not the bytes the ZIP recorded (" +
               why_ + "); all of it was read, and its records' digests show which are affected";
      case Damage::kUndecodable:
        return "it cannot be decoded (" + why_ + ")";
      case Damage::kCut:
        break;
    }
    return "only its first " + std::to_string(bytes_) + " bytes could be read (" + why_ +
           "); the records within them were read, the rest of it was not";
  }

 private:
  void End(Damage d, std::string why) {
    damage_ = d;
    why_ = std::move(why);
    end_ = true;
  }

  archive* a_;
  std::string name_;
  core::Sha256 sha_;
  uint64_t bytes_ = 0;
  bool keep_ = false;
  std::string kept_;
  const char* at_ = nullptr;  // the rest of the current block
  size_t left_ = 0;
  bool end_ = false;
  Damage damage_ = Damage::kNone;
  std::string why_;
};

std::string Str(const core::Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// ---------------------------------------------------------------------------
// WACZ Auth 0.1.0 signatures (docs/formats/warc.md, "WACZ signatures").

// The trusted roots: internal::DefaultWaczRoots below.
constexpr int64_t kStampSkewSeconds = 10 * 60;  // created vs the timestamp (spec step 6)

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct StackFree {  // the stack only: its certificates are owned elsewhere
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// Standard base64, whitespace allowed; nullopt when malformed.
std::optional<std::string> Base64Decode(std::string_view in) {
  std::string clean;
  for (char c : in)
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') clean += c;
  if (clean.empty() || clean.size() % 4 != 0) return std::nullopt;
  std::string out(clean.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()),
                          static_cast<int>(clean.size()));
  if (n < 0) return std::nullopt;
  size_t pad = clean.ends_with("==") ? 2 : clean.ends_with("=") ? 1 : 0;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

// The certificates of a PEM chain, in order.
std::vector<X509Ptr> PemChain(const std::string& pem) {
  std::vector<X509Ptr> out;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  if (!bio) return out;
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(x);
  ERR_clear_error();  // the end of the input reads as an error
  return out;
}

std::string Fingerprint(X509* x) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(x, EVP_sha256(), md, &n) != 1) return "";
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < n; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 15];
  }
  return hex;
}

std::string Subject(X509* x) {
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(x), buf, sizeof buf);
  return buf;
}

// Seconds since the epoch of an RFC 3339 UTC time ("2022-01-18T19:00:12Z",
// fractions allowed); nullopt when malformed.
std::optional<int64_t> ParseCreated(const std::string& s) {
  struct tm t = {};
  int n = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &t.tm_year, &t.tm_mon, &t.tm_mday,
                  &t.tm_hour, &t.tm_min, &t.tm_sec, &n) != 6)
    return std::nullopt;
  std::string_view rest = std::string_view(s).substr(static_cast<size_t>(n));
  if (!rest.empty() && rest[0] == '.') {
    size_t i = 1;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') ++i;
    rest = rest.substr(i);
  }
  if (rest != "Z" && rest != "+00:00") return std::nullopt;
  t.tm_year -= 1900;
  t.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&t));
}

std::optional<int64_t> Seconds(const ASN1_TIME* a) {
  struct tm t = {};
  if (!a || ASN1_TIME_to_tm(a, &t) != 1) return std::nullopt;
  return static_cast<int64_t>(timegm(&t));
}

std::string Utc(int64_t secs) {
  time_t tt = static_cast<time_t>(secs);
  struct tm t = {};
  gmtime_r(&tt, &t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &t);
  return buf;
}

// ECDSA with SHA-256 over `message`; `sig` DER (authsign) or the raw r||s of
// WebCrypto (ArchiveWeb.page).
bool EcdsaVerify(EVP_PKEY* key, std::string_view message, const std::string& sig) {
  // No key: a certificate whose public key OpenSSL cannot decode.
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return false;
  std::string der = sig;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
  ECDSA_SIG* parsed = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
  const bool is_der =
      parsed && p == reinterpret_cast<const unsigned char*>(sig.data()) + sig.size();
  ECDSA_SIG_free(parsed);
  ERR_clear_error();
  const size_t half = static_cast<size_t>((EVP_PKEY_get_bits(key) + 7) / 8);
  if (!is_der) {
    if (sig.size() != 2 * half) return false;
    ECDSA_SIG* s = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()),
                          static_cast<int>(half), nullptr);
    BIGNUM* ss = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()) + half,
                           static_cast<int>(half), nullptr);
    if (!s || !r || !ss || ECDSA_SIG_set0(s, r, ss) != 1) {
      BN_free(r);
      BN_free(ss);
      ECDSA_SIG_free(s);
      return false;
    }
    unsigned char* out = nullptr;
    int len = i2d_ECDSA_SIG(s, &out);
    ECDSA_SIG_free(s);
    if (len <= 0) return false;
    der.assign(reinterpret_cast<char*>(out), static_cast<size_t>(len));
    OPENSSL_free(out);
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  bool ok =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  ERR_clear_error();
  return ok;
}

// The RFC 3161 timestamp `tsr` (a TimeStampResp) of `data`, signed by the first
// certificate of `chain`, verified as at its own time; sets `*when`. "" when
// it holds, else why not.
std::string VerifyTimestamp(const std::string& tsr, const std::string& data,
                            const std::vector<X509Ptr>& chain, int64_t* when) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(tsr.data());
  std::unique_ptr<TS_RESP, decltype(&TS_RESP_free)> resp(
      d2i_TS_RESP(nullptr, &p, static_cast<long>(tsr.size())), TS_RESP_free);
  if (!resp) return "timeSignature is not an RFC 3161 timestamp response";
  TS_TST_INFO* info = TS_RESP_get_tst_info(resp.get());
  if (!info) return "timeSignature holds no timestamp token";
  std::optional<int64_t> at = Seconds(TS_TST_INFO_get_time(info));
  if (!at) return "timeSignature has no readable time";
  *when = *at;
  X509_STORE* store = X509_STORE_new();
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  TS_VERIFY_CTX* ctx = TS_VERIFY_CTX_new();
  BIO* bio = BIO_new_mem_buf(data.data(), static_cast<int>(data.size()));
  if (!store || !untrusted || !ctx || !bio) {
    X509_STORE_free(store);
    sk_X509_free(untrusted);
    TS_VERIFY_CTX_free(ctx);
    BIO_free(bio);
    return "out of memory verifying timeSignature";
  }
  X509_STORE_add_cert(store, chain.back().get());  // pinned by fingerprint by the caller
  X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), static_cast<time_t>(*at));
  for (const X509Ptr& x : chain) {
    X509_up_ref(x.get());
    sk_X509_push(untrusted, x.get());
  }
  TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_DATA);
  TS_VERIFY_CTX_set_store(ctx, store);  // owned by ctx from here on
  TS_VERIFY_CTX_set_certs(ctx, untrusted);
  TS_VERIFY_CTX_set_data(ctx, bio);
  const bool ok = TS_RESP_verify_response(ctx, resp.get()) == 1;
  std::string why;
  if (!ok) {
    unsigned long e = ERR_peek_last_error();
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    why = std::string(
              "timeSignature does not verify as a timestamp of signature by "
              "timestampCert (") +
          buf + ")";
  }
  ERR_clear_error();
  TS_VERIFY_CTX_free(ctx);
  return why;
}

// The domainCert chain `certs` checked by OpenSSL's path validation
// (X509_verify_cert, RFC 5280) as at `at`: each issuer a CA (basicConstraints)
// within its path length and key usage, every certificate valid then, the
// purpose SSL server (extended key usage), the first certificate for `domain`.
// The chain's last certificate is the anchor, whose trust the caller decides by
// its fingerprint; the middle ones are untrusted intermediates. "" when it
// holds, else why not.
std::string VerifyDomainChain(const std::vector<X509Ptr>& certs, const std::string& domain,
                              int64_t at) {
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  // Holds pointers only: `certs` owns the certificates.
  std::unique_ptr<STACK_OF(X509), StackFree> middle(sk_X509_new_null());
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                      X509_STORE_CTX_free);
  if (!store || !middle || !ctx || X509_STORE_add_cert(store.get(), certs.back().get()) != 1) {
    ERR_clear_error();
    return "out of memory verifying the domainCert chain";
  }
  for (size_t i = 1; i + 1 < certs.size(); ++i) sk_X509_push(middle.get(), certs[i].get());
  if (X509_STORE_CTX_init(ctx.get(), store.get(), certs[0].get(), middle.get()) != 1) {
    ERR_clear_error();
    return "out of memory verifying the domainCert chain";
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(at));
  // The anchor need not be self-signed (a cross-signed root ends some chains).
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  X509_VERIFY_PARAM_set1_host(param, domain.data(), domain.size());
  const int ok = X509_verify_cert(ctx.get());
  std::string why;
  if (ok != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
    X509* at_cert = X509_STORE_CTX_get_current_cert(ctx.get());
    why = "the domainCert chain does not verify as at created: certificate " +
          std::to_string(depth + 1) + (at_cert ? " (" + Subject(at_cert) + ")" : std::string()) +
          ": " + X509_verify_cert_error_string(err);
    if (err == X509_V_ERR_INVALID_CA)
      why += " (it is not a CA, so it cannot issue the certificate before it)";
  }
  ERR_clear_error();
  return why;
}

std::string VerifyDomainSigned(const core::Json& sd, const std::string& hash,
                               const std::string& sig, const internal::WaczTrustedRoots& roots) {
  const std::string domain = Str(sd, "domain");
  std::vector<X509Ptr> certs = PemChain(Str(sd, "domainCert"));
  if (certs.empty()) return "invalid: domainCert holds no PEM certificate";
  if (!EcdsaVerify(X509_get0_pubkey(certs[0].get()), hash, sig))
    return "invalid: signature is not a signature of hash by the key of domainCert";
  if (domain.empty() ||
      X509_check_host(certs[0].get(), domain.data(), domain.size(), 0, nullptr) != 1)
    return "invalid: domainCert is not a certificate of the domain \"" + domain + "\"";
  for (size_t i = 0; i + 1 < certs.size(); ++i) {
    if (X509_verify(certs[i].get(), X509_get0_pubkey(certs[i + 1].get())) != 1) {
      ERR_clear_error();
      return "invalid: domainCert certificate " + std::to_string(i + 1) +
             " is not signed by the next one";
    }
  }
  std::optional<int64_t> created = ParseCreated(Str(sd, "created"));
  if (!created) return "invalid: created is not an RFC 3339 UTC time";
  std::optional<int64_t> from = Seconds(X509_get0_notBefore(certs[0].get()));
  std::optional<int64_t> until = Seconds(X509_get0_notAfter(certs[0].get()));
  if (!from || !until || *created < *from || *created > *until)
    return "invalid: domainCert was not valid at created (" + Str(sd, "created") + ")";
  if (std::string why = VerifyDomainChain(certs, domain, *created); !why.empty())
    return "invalid: " + why;
  std::vector<X509Ptr> ts_certs = PemChain(Str(sd, "timestampCert"));
  const std::string time_sig = Str(sd, "timeSignature");
  if (ts_certs.empty() || time_sig.empty())
    return "invalid: no timeSignature and timestampCert (a domain signature needs both)";
  std::optional<std::string> tsr = Base64Decode(time_sig);
  if (!tsr) return "invalid: timeSignature is not base64";
  const std::string ts_root = Fingerprint(ts_certs.back().get());
  const bool ts_trusted =
      std::find(roots.timestamp.begin(), roots.timestamp.end(), ts_root) != roots.timestamp.end();
  int64_t stamped = 0;
  if (std::string why = VerifyTimestamp(*tsr, Str(sd, "signature"), ts_certs, &stamped);
      !why.empty())
    return "invalid: " + why;
  if (std::llabs(stamped - *created) > kStampSkewSeconds)
    return "invalid: the timestamp (" + Utc(stamped) + ") is more than 10 minutes from created (" +
           Str(sd, "created") + ")";
  // Everything holds; whether the chains end at a trusted root decides.
  const std::string who = domain + ", timestamped " + Utc(stamped);
  const std::string root = Fingerprint(certs.back().get());
  if (std::find(roots.domain.begin(), roots.domain.end(), root) == roots.domain.end())
    return "not-checked: signed for " + who + ", but the domainCert chain ends at " +
           Subject(certs.back().get()) + " (sha256 " + root +
           "), not a root isnad trusts, so who signed is not established";
  if (!ts_trusted)
    return "not-checked: signed for " + who + ", but the timestampCert chain ends at " +
           Subject(ts_certs.back().get()) + " (sha256 " + ts_root +
           "), not a timestamp root isnad trusts, so when is not established";
  return "valid: signed for " + who;
}

}  // namespace

namespace internal {

// SHA-256 fingerprints of the roots authsign, the reference verifier, trusts
// (github.com/webrecorder/authsign, authsign/trusted/roots.yaml, production
// list): Let's Encrypt roots for domain certificates, freetsa.org for
// timestamps.
const WaczTrustedRoots& DefaultWaczRoots() {
  static const WaczTrustedRoots* roots = new WaczTrustedRoots{
      {
          "96bcec06264976f37460779acf28c5a7cfe8a3c0aae11a8ffcee05c0bddf08c6",  // ISRG Root X1
          "69729b8e15a86efc177a57afb7171dfc64add28c2fca8cf1507e34453ccb1470",  // ISRG Root X2
          "6d99fb265eb1c5b3744765fcbc648f3cd8e1bffafdc4c2f99b9d47cf7ff1c24f",  // X1 cross-signed
          "ee5f7abd6981bb0255632cd8f49283451b4b18844d12040b44ee00f07b8fe2c6",  // X1 cross-signed
      },
      {
          "a6379e7cecc05faa3cbf076013d745e327bbbaa38c0b9af22469d4701d18aabc",  // freetsa.org
      }};
  return *roots;
}

std::string VerifyWaczSignature(const core::Json& signed_data, const std::string& package_hash,
                                const WaczTrustedRoots& roots) {
  if (!signed_data.is_object()) return "invalid: signedData is not an object";
  const std::string hash = Str(signed_data, "hash");
  if (hash != package_hash)
    return "invalid: signedData hash " + hash + " is not the sha256 of datapackage.json (" +
           package_hash + ")";
  std::optional<std::string> sig = Base64Decode(Str(signed_data, "signature"));
  if (!sig) return "invalid: signedData has no base64 signature";
  if (signed_data.contains("publicKey")) {
    std::optional<std::string> spki = Base64Decode(Str(signed_data, "publicKey"));
    if (!spki) return "invalid: publicKey is not base64";
    const unsigned char* p = reinterpret_cast<const unsigned char*>(spki->data());
    PkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki->size())));
    ERR_clear_error();
    if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_EC)
      return "invalid: publicKey is not an ECDSA public key (SubjectPublicKeyInfo)";
    if (!EcdsaVerify(key.get(), hash, *sig))
      return "invalid: signature is not a signature of hash by publicKey";
    return "valid: anonymous key, SubjectPublicKeyInfo sha256 " + core::Sha256Of(*spki).Hex();
  }
  if (signed_data.contains("domainCert")) return VerifyDomainSigned(signed_data, hash, *sig, roots);
  return "invalid: signedData has neither publicKey nor domainCert";
}

}  // namespace internal

std::string VerifyWaczSignature(const core::Json& signed_data, const std::string& package_hash) {
  return internal::VerifyWaczSignature(signed_data, package_hash, internal::DefaultWaczRoots());
}

namespace {

using ZipPtr = std::unique_ptr<archive, ReadFree>;

// How a ZIP is read: through its central directory (libarchive's seekable
// reader, as unzip and Python's zipfile read it), or, where that index is
// missing or damaged, from the members' own local headers in file order.
enum class ZipMode { kCentral, kLocal };

struct OpenedZip {
  ZipPtr a;
  ZipMode mode = ZipMode::kCentral;
  std::string problem;  // with kLocal: why the central directory was not used
};

core::StatusOr<ZipPtr> OpenZipAs(const std::string& path, ZipMode mode) {
  ZipPtr a(archive_read_new());
  if (mode == ZipMode::kCentral) {
    archive_read_support_format_zip_seekable(a.get());
  } else {
    archive_read_support_format_zip_streamable(a.get());
  }
  if (archive_read_open_filename(a.get(), path.c_str(), kChunk) != ARCHIVE_OK) {
    return core::Integrity(ArchiveMessage(a.get()));
  }
  return a;
}

// Whether the last end-of-central-directory record ends the file at `path`,
// as it must. libarchive's seekable reader takes the last one it finds near the
// end, which in a WACZ cut short can be that of a ZIP stored inside it (a
// captured .docx), so that the outer ZIP's members would not be read at all.
core::StatusOr<bool> EocdEndsFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  f.seekg(0, std::ios::end);
  const std::streamoff size = f.tellg();
  if (!f || size < 0) return core::IoError("cannot read the end of " + path);
  const std::streamoff n = std::min<std::streamoff>(size, 22 + 0xFFFF);
  std::string tail(static_cast<size_t>(n), '\0');
  f.seekg(size - n);
  f.read(tail.data(), n);
  if (!f) return core::IoError("cannot read the end of " + path);
  for (size_t i = tail.size() >= 22 ? tail.size() - 22 : std::string::npos;
       i != std::string::npos && tail.size() - i <= 22 + 0xFFFF; --i) {
    if (tail.compare(i, 4, "PK\x05\x06", 4) == 0) {
      // The last one, as libarchive takes it (a signature inside the ZIP's
      // comment makes libarchive, unzip and zipfile miss the central directory).
      const size_t comment = static_cast<uint8_t>(tail[i + 20]) |
                             static_cast<size_t>(static_cast<uint8_t>(tail[i + 21])) << 8;
      return i + 22 + comment == tail.size();
    }
    if (i == 0) break;
  }
  return false;
}

constexpr const char* kLocalProblem =
    "the ZIP's central directory (the index at its end) is missing, damaged, or not at the end "
    "of the file: the file is probably cut short. Its members were read from their own "
    "headers, so the last may be incomplete and members after the damage are lost; seek a "
    "complete copy from its source";

// Opens the ZIP at `path` for reading member by member: by its central
// directory; else, when the file starts as a ZIP (a file cut short loses the
// central directory at its end first), from its local headers, with a problem
// saying so. kIntegrity, saying what the file is instead, when it is no ZIP.
// `first_member_failed`: the central directory opened before, but its first
// member could not be read.
core::StatusOr<OpenedZip> OpenZip(const std::string& path, bool first_member_failed = false) {
  std::string central_why;  // why the central directory is not used
  if (first_member_failed) {
    central_why = "its central directory opens, but its first member cannot be read";
  } else if (auto central = OpenZipAs(path, ZipMode::kCentral); !central.ok()) {
    central_why =
        "it has no ZIP central directory (" + std::string(central.status().message()) + ")";
  } else {
    ISNAD_ASSIGN_OR_RETURN(bool at_end, EocdEndsFile(path));
    if (at_end) return OpenedZip{std::move(*central), ZipMode::kCentral, ""};
    central_why = "the end record of its central directory does not end the file";
  }
  ISNAD_ASSIGN_OR_RETURN(std::string head, core::ReadHead(core::Env::Default(), path, 8));
  if (head.starts_with(std::string_view("PK\x03\x04", 4))) {
    auto local = OpenZipAs(path, ZipMode::kLocal);
    if (local.ok()) return OpenedZip{std::move(*local), ZipMode::kLocal, kLocalProblem};
  }
  std::string what;
  if (head.empty()) {
    what = "the file is empty";
  } else if (head.starts_with("\x1f\x8b")) {
    what = "it is gzip data, not a ZIP: a .warc.gz named as a WACZ? Add it under a .warc.gz name";
  } else if (head.starts_with("WARC/")) {
    what = "it is a WARC file, not a ZIP: add it under a .warc name";
  } else {
    what = "it does not start as a ZIP does (with a member's local header), and " + central_why;
  }
  return core::Integrity("not a readable ZIP (WACZ): " + what);
}

// Moves to the next member that is a file (folders are skipped) and sets `name`; false at
// the end of the ZIP.
core::StatusOr<bool> NextFileMember(archive* a, std::string* name) {
  archive_entry* e = nullptr;
  // Names are converted as the header is read: in the "C" locale a non-ASCII
  // one (an Arabic file name) would come back empty.
  core::ScopedUtf8Locale utf8;
  while (true) {
    int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF) return false;
    if (r < ARCHIVE_WARN) {
      return core::Integrity("not a readable ZIP (WACZ): " + ArchiveMessage(a));
    }
    const char* n = archive_entry_pathname_utf8(e);
    if (n == nullptr) n = archive_entry_pathname(e);
    *name = n ? n : "";
    if (archive_entry_filetype(e) == AE_IFDIR || EndsWith(*name, "/")) continue;
    return true;
  }
}

// Reopens `zip` and moves past its first `n` file members: after a damaged
// member libarchive's reading state is not to be trusted.
core::Status ReopenAfter(OpenedZip* zip, const std::string& path, size_t n) {
  ISNAD_ASSIGN_OR_RETURN(zip->a, OpenZipAs(path, zip->mode));
  std::string name;
  for (size_t i = 0; i < n; ++i) {
    ISNAD_ASSIGN_OR_RETURN(bool more, NextFileMember(zip->a.get(), &name));
    if (!more) return core::Integrity("the ZIP ended before member " + std::to_string(n));
  }
  return core::Status::Ok();
}

// The member names (directories aside) that occur more than once in the ZIP
// at `path`, with how often, read from the headers alone (as far as they can be
// read: ReadWacz reports where they cannot); sets `members` to how many it read.
core::StatusOr<std::map<std::string, int>> RepeatedMembers(const std::string& path,
                                                           size_t* members) {
  ISNAD_ASSIGN_OR_RETURN(OpenedZip zip, OpenZip(path));
  std::map<std::string, int> count;
  std::string name;
  *members = 0;
  while (true) {
    auto more = NextFileMember(zip.a.get(), &name);
    if (!more.ok() || !*more) break;
    ++count[name];
    ++*members;
  }
  std::erase_if(count, [](const auto& kv) { return kv.second < 2; });
  return count;
}

}  // namespace

std::string WaczMemberDamage(const core::SequentialFile* stream, bool* cut) {
  const auto* m = dynamic_cast<const MemberStream*>(stream);
  *cut = m != nullptr && (m->damage() == Damage::kCut || m->damage() == Damage::kUndecodable);
  return m == nullptr ? "" : m->Why();
}

core::StatusOr<WaczReport> ReadWacz(const std::string& path, WaczWarcVisitor* visitor) {
  WaczReport report;
  // A name held twice makes what datapackage.json lists ambiguous: one copy
  // would be checked and another indexed. Such a package fails, unread.
  size_t in_zip = 0;
  ISNAD_ASSIGN_OR_RETURN(auto repeated, RepeatedMembers(path, &in_zip));
  for (const auto& [name, times] : repeated)
    report.problems.push_back("ZIP member " + name + " occurs " + std::to_string(times) +
                              " times: which copy datapackage.json lists is ambiguous, so the " +
                              "package is not read and none of its WARCs is indexed");
  if (!repeated.empty()) return report;
  ISNAD_ASSIGN_OR_RETURN(OpenedZip zip, OpenZip(path));
  if (!zip.problem.empty()) report.problems.push_back(zip.problem);
  std::map<std::string, Member> members;
  std::string datapackage, digest_json;
  bool have_datapackage = false, have_digest = false;
  bool stopped = false;    // a member could not be passed: those after it are unread
  size_t passed = 0;       // file members passed
  size_t reopen_cost = 0;  // members read again after damage
  size_t reopens = 0;
  size_t in_archive = 0;  // WARC members under archive/
  std::string name, last;
  while (true) {
    auto more = NextFileMember(zip.a.get(), &name);
    if (!more.ok()) {
      if (passed == 0 && zip.mode == ZipMode::kCentral) {
        // The central directory is there but unreadable: the local headers.
        auto local = OpenZip(path, /*first_member_failed=*/true);
        if (local.ok()) {
          zip = std::move(*local);
          report.problems.push_back(zip.problem);
          continue;
        }
        // Both say "not a readable ZIP (WACZ): ..."; libarchive's words once.
        std::string_view why = more.status().message();
        if (const size_t colon = why.find(": "); colon != std::string_view::npos)
          why.remove_prefix(colon + 2);
        return core::Integrity(std::string(local.status().message()) + " (" + std::string(why) +
                               ")");
      }
      if (passed == 0) return more.status();
      // Read from local headers, the file has ended or is damaged here, as the
      // problem about its central directory says already.
      if (zip.mode == ZipMode::kCentral)
        report.problems.push_back("the ZIP could not be read past member " + last + " (" +
                                  std::string(more.status().message()) +
                                  "): the members after it were not read");
      stopped = true;
      break;
    }
    if (!*more) break;
    ++passed;
    last = name;
    if (members.count(name))  // RepeatedMembers saw none: the file changed
      return core::Integrity("the file changed while read: ZIP member " + name + " occurs twice");
    MemberStream stream(zip.a.get(), name);
    if (name == "datapackage.json" || name == "datapackage-digest.json") stream.Keep();
    // Any case: a WARC named archive/DATA.WARC.GZ is read and indexed too.
    const std::string lower = core::AsciiLower(name);
    const bool is_warc = EndsWith(lower, ".warc") || EndsWith(lower, ".warc.gz");
    if (is_warc && name.rfind("archive/", 0) != 0) {
      // Its records are evidence all the same: indexed, and the package said
      // to be malformed, since replay tools read WARCs from archive/ only.
      report.problems.push_back(
          "ZIP member " + name +
          " is a WARC outside archive/, where a WACZ keeps its WARCs: "
          "replay tools will not show its records, but isnad reads them as it does "
          "the others");
    } else if (is_warc) {
      ++in_archive;
    }
    if (is_warc) {
      report.warcs.push_back(name);
      if (visitor) ISNAD_RETURN_IF_ERROR(visitor->OnWarc(name, &stream));
    }
    ISNAD_RETURN_IF_ERROR(stream.Drain());
    if (name == "datapackage.json") {
      have_datapackage = true;
      datapackage = stream.kept();
    }
    if (name == "datapackage-digest.json") {
      have_digest = true;
      digest_json = stream.kept();
    }
    members[name] = stream.Finish();
    if (stream.damage() != Damage::kNone)
      report.problems.push_back("ZIP member " + name + " is damaged: " + stream.Why());
    // libarchive reads no further after such damage: through the central
    // directory, the ZIP is opened again past this member; from local headers
    // that would mean decoding every member before again, and the problem
    // about the central directory says members after damage are lost.
    if (stream.damage() == Damage::kCut && zip.mode == ZipMode::kLocal) {
      stopped = true;
      break;
    }
    if (stream.damage() == Damage::kCut) {
      // libarchive reads no further after such damage: the ZIP is opened again,
      // passing the members before, a cost bounded over the whole file.
      reopen_cost += in_zip + passed;
      if (++reopens > kMinReopens && reopen_cost > kMaxReopenCost) {
        report.problems.push_back("so many ZIP members are damaged that reading stopped after " +
                                  name + ": the members after it were not read");
        stopped = true;
        break;
      }
      if (core::Status s = ReopenAfter(&zip, path, passed); !s.ok()) {
        if (zip.mode == ZipMode::kCentral)
          report.problems.push_back("the ZIP could not be read past its damaged member " + name +
                                    " (" + std::string(s.message()) +
                                    "): the members after it were not read");
        stopped = true;
        break;
      }
    }
  }

  auto& problems = report.problems;
  if (!have_datapackage) {
    problems.push_back(stopped ? "datapackage.json was not reached, so nothing could be checked "
                                 "against it"
                               : "no datapackage.json: not a WACZ package");
    return report;
  }
  if (members["datapackage.json"].bytes >= kMaxJson) {
    problems.push_back("datapackage.json is " + std::to_string(members["datapackage.json"].bytes) +
                       " bytes, more than the " + std::to_string(kMaxJson) +
                       " isnad reads; a package index that large is not plausible");
    return report;
  }
  core::Json dp = core::Json::parse(datapackage, nullptr, /*allow_exceptions=*/false);
  if (!dp.is_object()) {
    problems.push_back("datapackage.json is not a JSON object");
    return report;
  }
  report.wacz_version = Str(dp, "wacz_version");
  report.title = Str(dp, "title");
  report.created = Str(dp, "created");
  report.software = Str(dp, "software");
  if (report.wacz_version.empty()) problems.push_back("datapackage.json has no wacz_version");
  auto res = dp.find("resources");
  if (res == dp.end() || !res->is_array()) {
    problems.push_back("datapackage.json has no resources list");
  } else {
    for (const core::Json& rj : *res) {
      WaczResource r;
      if (!rj.is_object()) {
        problems.push_back("a datapackage.json resource is not an object");
        continue;
      }
      r.path = Str(rj, "path");
      r.hash = Str(rj, "hash");
      // WACZ 1.0.0 (frictionless data-package 1.0): "stats": {"hash", "bytes"}
      // with the algorithm in "hashing"; 1.1: "hash": "sha256:..." and "bytes".
      const core::Json* sizes = &rj;
      auto stats = rj.find("stats");
      if (r.hash.empty() && stats != rj.end() && stats->is_object()) {
        std::string algo = Str(rj, "hashing");
        r.hash = (algo.empty() ? std::string("md5") : algo) + ":" + Str(*stats, "hash");
        sizes = &*stats;
      }
      auto b = sizes->find("bytes");
      bool has_bytes = b != sizes->end() && b->is_number_unsigned();
      if (has_bytes) r.bytes = b->get<uint64_t>();
      auto m = members.find(r.path);
      r.present = m != members.end();
      if (!r.present) {
        problems.push_back("resource " + r.path + " is listed in datapackage.json but " +
                           (stopped ? "was not reached (see above)" : "absent"));
      } else if (m->second.cut) {
        problems.push_back("resource " + r.path +
                           ": its sha256 and size were not checked, since it could not be read "
                           "whole (see above)");
      } else {
        // The hex digits in either case (Hex() is lower case).
        r.hash_ok = r.hash.rfind("sha256:", 0) == 0 &&
                    core::AsciiLower(std::string_view(r.hash).substr(7)) == m->second.sha256.Hex();
        r.bytes_ok = has_bytes && r.bytes == m->second.bytes;
        if (r.hash.rfind("sha256:", 0) != 0) {
          problems.push_back("resource " + r.path + " has no sha256 hash (\"" + r.hash +
                             "\"); isnad checks sha256");
        } else if (!r.hash_ok) {
          problems.push_back("resource " + r.path + ": its sha256 is " + m->second.sha256.Hex() +
                             ", not the " + r.hash + " datapackage.json lists");
        }
        if (!r.bytes_ok)
          problems.push_back("resource " + r.path + ": it holds " +
                             std::to_string(m->second.bytes) + " bytes, not the " +
                             (has_bytes ? std::to_string(r.bytes) : std::string("(missing)")) +
                             " datapackage.json lists");
      }
      report.resources.push_back(std::move(r));
    }
  }
  std::set<std::string_view> listed;
  for (const WaczResource& r : report.resources) listed.insert(r.path);
  for (const auto& [name, m] : members) {
    if (name == "datapackage.json" || name == "datapackage-digest.json") continue;
    if (!listed.contains(name)) {
      problems.push_back("member " + name + " is not listed in datapackage.json");
    }
  }
  // What was not reached is not reported missing: the problem above says why.
  if (!stopped) {
    if (in_archive == 0) problems.push_back("no WARC under archive/");
    if (members.count("pages/pages.jsonl") == 0) problems.push_back("no pages/pages.jsonl");
    bool index = false;
    for (const auto& [name, m] : members)
      index |=
          name.rfind("indexes/", 0) == 0 && (EndsWith(name, ".cdx") || EndsWith(name, ".cdx.gz") ||
                                             EndsWith(name, ".cdxj") || EndsWith(name, ".idx"));
    if (!index) problems.push_back("no index under indexes/ (.cdx, .cdx.gz, .cdxj or .idx)");
  }

  report.digest_file = have_digest;
  if (have_digest) {
    core::Json dj = core::Json::parse(digest_json, nullptr, false);
    std::string want = "sha256:" + members["datapackage.json"].sha256.Hex();
    report.digest_ok = dj.is_object() && Str(dj, "hash") == want &&
                       (Str(dj, "path").empty() || Str(dj, "path") == "datapackage.json");
    if (!report.digest_ok)
      problems.push_back("datapackage-digest.json does not hold the sha256 of datapackage.json (" +
                         want + ")");
    if (dj.is_object() && dj.contains("signedData")) {
      report.signature = VerifyWaczSignature(dj["signedData"], want);
      if (report.signature.starts_with("invalid"))
        problems.push_back("WACZ signature " + report.signature);
    }
  }
  return report;
}

}  // namespace isnad::warc
