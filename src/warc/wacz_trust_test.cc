// WACZ packages made to deceive: a domain signature whose certificate chain
// is forged with an ordinary (non-CA) certificate, and a ZIP holding a member
// name twice. The PKI (a private root, CAs, leaves, a timestamp authority) is
// made here with OpenSSL's C API and trusted through wacz_internal.h.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>
#include <utility>
#include <vector>

#include "core/digest.h"
#include "core/encoding.h"
#include "core/testing/temp_dir.h"
#include "warc/wacz.h"
#include "warc/wacz_internal.h"

namespace isnad::warc {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

// A certificate and its key.
struct Cert {
  std::unique_ptr<X509, X509Free> x;
  std::unique_ptr<EVP_PKEY, PkeyFree> key;
};

using Exts = std::vector<std::pair<int, const char*>>;

// A certificate for `cn`, valid from an hour ago for a day, issued by
// `issuer` (self-signed when null), with the extensions `exts` (openssl
// config syntax).
Cert MakeCert(const char* cn, const Cert* issuer, const Exts& exts) {
  static long serial = 1;
  Cert c;
  c.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  c.x.reset(X509_new());
  X509* x = c.x.get();
  X509_set_version(x, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509* issuer_x = issuer ? issuer->x.get() : x;
  X509_set_issuer_name(x, X509_get_subject_name(issuer_x));
  X509_set_pubkey(x, c.key.get());
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer_x, x, nullptr, nullptr, 0);
  for (const auto& [nid, value] : exts) {
    X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    EXPECT_NE(e, nullptr) << value;
    if (e) X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
  }
  X509_sign(x, issuer ? issuer->key.get() : c.key.get(), EVP_sha256());
  return c;
}

const Exts kCa = {{NID_basic_constraints, "critical,CA:TRUE"},
                  {NID_key_usage, "critical,keyCertSign,cRLSign"},
                  {NID_subject_key_identifier, "hash"}};

Exts ServerLeaf(const char* san) {
  return {{NID_basic_constraints, "critical,CA:FALSE"},
          {NID_key_usage, "critical,digitalSignature"},
          {NID_ext_key_usage, "serverAuth"},
          {NID_subject_alt_name, san}};
}

std::string Pem(const std::vector<const Cert*>& chain) {
  std::string out;
  for (const Cert* c : chain) {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, c->x.get());
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    out.append(data, static_cast<size_t>(n));
    BIO_free(bio);
  }
  return out;
}

// SHA-256 of the certificate's DER, as wacz.cc pins roots.
std::string Fingerprint(const Cert& c) {
  unsigned char* der = nullptr;
  int n = i2d_X509(c.x.get(), &der);
  std::string raw(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return core::Sha256Of(raw).Hex();
}

// ECDSA with SHA-256 (DER), as authsign signs.
std::string Sign(EVP_PKEY* key, const std::string& msg) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t n = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key);
  EVP_DigestSign(ctx, nullptr, &n, reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
  std::string sig(n, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &n,
                 reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
  sig.resize(n);
  EVP_MD_CTX_free(ctx);
  return sig;
}

// An RFC 3161 TimeStampResp (DER) for `data`, by the timestamp authority `tsa`.
std::string Timestamp(const Cert& tsa, const std::string& data) {
  const core::Hash digest = core::Sha256Of(data);
  TS_REQ* req = TS_REQ_new();
  TS_MSG_IMPRINT* imprint = TS_MSG_IMPRINT_new();
  X509_ALGOR* algo = X509_ALGOR_new();
  X509_ALGOR_set0(algo, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nullptr);
  TS_MSG_IMPRINT_set_algo(imprint, algo);  // copies it
  X509_ALGOR_free(algo);
  std::string raw(digest.View());
  TS_MSG_IMPRINT_set_msg(imprint, reinterpret_cast<unsigned char*>(raw.data()),
                         static_cast<int>(raw.size()));
  TS_REQ_set_version(req, 1);
  TS_REQ_set_msg_imprint(req, imprint);
  TS_REQ_set_cert_req(req, 1);
  BIO* req_bio = BIO_new(BIO_s_mem());
  i2d_TS_REQ_bio(req_bio, req);
  TS_RESP_CTX* ctx = TS_RESP_CTX_new();
  TS_RESP_CTX_set_signer_cert(ctx, tsa.x.get());
  TS_RESP_CTX_set_signer_key(ctx, tsa.key.get());
  TS_RESP_CTX_set_signer_digest(ctx, EVP_sha256());
  ASN1_OBJECT* policy = OBJ_txt2obj("1.2.3.4.1", 1);
  TS_RESP_CTX_set_def_policy(ctx, policy);
  TS_RESP_CTX_add_md(ctx, EVP_sha256());
  TS_RESP* resp = TS_RESP_create_response(ctx, req_bio);
  std::string out;
  if (resp) {
    unsigned char* der = nullptr;
    int n = i2d_TS_RESP(resp, &der);
    if (n > 0) out.assign(reinterpret_cast<char*>(der), static_cast<size_t>(n));
    OPENSSL_free(der);
  }
  TS_RESP_free(resp);
  ASN1_OBJECT_free(policy);
  TS_RESP_CTX_free(ctx);
  BIO_free(req_bio);
  TS_MSG_IMPRINT_free(imprint);
  TS_REQ_free(req);
  return out;
}

std::string Now() {
  time_t t = time(nullptr);
  struct tm tm = {};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// A private PKI: a root, a timestamp authority under it, and an ordinary TLS
// certificate for attacker.example issued by an intermediate CA.
struct Pki {
  Cert root = MakeCert("Test Root", nullptr, kCa);
  Cert tsa = MakeCert("Test TSA", &root,
                      {{NID_basic_constraints, "critical,CA:FALSE"},
                       {NID_key_usage, "critical,digitalSignature"},
                       {NID_ext_key_usage, "critical,timeStamping"}});
  Cert inter = MakeCert("Test Intermediate CA", &root, kCa);
  Cert attacker = MakeCert("attacker.example", &inter, ServerLeaf("DNS:attacker.example"));
  internal::WaczTrustedRoots trust{{Fingerprint(root)}, {Fingerprint(root)}};

  // signedData for `hash`, signed with `leaf`'s key for `domain`, `chain` as
  // domainCert, timestamped now.
  core::Json SignedData(const std::string& hash, const std::string& domain, const Cert& leaf,
                        const std::vector<const Cert*>& chain) const {
    const std::string signature = core::Base64Encode(Sign(leaf.key.get(), hash));
    return {{"hash", hash},
            {"created", Now()},
            {"software", "isnad test"},
            {"signature", signature},
            {"domain", domain},
            {"domainCert", Pem(chain)},
            {"timeSignature", core::Base64Encode(Timestamp(tsa, signature))},
            {"timestampCert", Pem({&tsa, &root})}};
  }
};

const std::string kHash = "sha256:" + core::Sha256Of("datapackage.json bytes").Hex();

TEST(WaczSignatureChain, ProperChainFromATrustedRootIsValid) {
  Pki pki;
  Cert victim = MakeCert("victim.org", &pki.inter, ServerLeaf("DNS:victim.org"));
  core::Json sd = pki.SignedData(kHash, "victim.org", victim, {&victim, &pki.inter, &pki.root});
  std::string got = internal::VerifyWaczSignature(sd, kHash, pki.trust);
  EXPECT_TRUE(got.starts_with("valid: signed for victim.org, timestamped ")) << got;
  // The same chain, its root not trusted: sound but signer not established.
  got = VerifyWaczSignature(sd, kHash);
  EXPECT_TRUE(got.starts_with("not-checked: signed for victim.org")) << got;
  EXPECT_NE(got.find("Test Root"), std::string::npos) << got;
}

// The reviewer's attack: the key of an ordinary leaf certificate (CA:FALSE)
// issues a certificate for another domain.
TEST(WaczSignatureChain, CertificateIssuedByANonCaLeafIsInvalid) {
  Pki pki;
  Cert forged = MakeCert("victim.org", &pki.attacker, ServerLeaf("DNS:victim.org"));
  core::Json sd =
      pki.SignedData(kHash, "victim.org", forged, {&forged, &pki.attacker, &pki.inter, &pki.root});
  for (const std::string& got :
       {internal::VerifyWaczSignature(sd, kHash, pki.trust), VerifyWaczSignature(sd, kHash)}) {
    EXPECT_TRUE(got.starts_with("invalid: the domainCert chain does not verify")) << got;
    EXPECT_NE(got.find("certificate 2 (/CN=attacker.example): invalid CA certificate"),
              std::string::npos)
        << got;
  }
  // A leaf without basicConstraints at all is no CA either.
  Cert bare = MakeCert("attacker.example", &pki.inter, {{NID_ext_key_usage, "serverAuth"}});
  Cert forged2 = MakeCert("victim.org", &bare, ServerLeaf("DNS:victim.org"));
  std::string got = internal::VerifyWaczSignature(
      pki.SignedData(kHash, "victim.org", forged2, {&forged2, &bare, &pki.inter, &pki.root}), kHash,
      pki.trust);
  EXPECT_NE(got.find("invalid CA certificate"), std::string::npos) << got;
}

TEST(WaczSignatureChain, PathLengthAndPurposeAreEnforced) {
  Pki pki;
  // A CA limited to issuing leaves (pathlen:0) issues another CA.
  Cert limited = MakeCert("Limited CA", &pki.root,
                          {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                           {NID_key_usage, "critical,keyCertSign"}});
  Cert sub = MakeCert("Sub CA", &limited, kCa);
  Cert victim = MakeCert("victim.org", &sub, ServerLeaf("DNS:victim.org"));
  std::string got = internal::VerifyWaczSignature(
      pki.SignedData(kHash, "victim.org", victim, {&victim, &sub, &limited, &pki.root}), kHash,
      pki.trust);
  EXPECT_TRUE(got.starts_with("invalid: ")) << got;
  EXPECT_NE(got.find("path length constraint exceeded"), std::string::npos) << got;
  // A certificate for client authentication only is not a server's.
  Cert client = MakeCert("victim.org", &pki.inter,
                         {{NID_basic_constraints, "critical,CA:FALSE"},
                          {NID_ext_key_usage, "clientAuth"},
                          {NID_subject_alt_name, "DNS:victim.org"}});
  got = internal::VerifyWaczSignature(
      pki.SignedData(kHash, "victim.org", client, {&client, &pki.inter, &pki.root}), kHash,
      pki.trust);
  EXPECT_TRUE(got.starts_with("invalid: ")) << got;
  EXPECT_NE(got.find("unsuitable certificate purpose"), std::string::npos) << got;
}

// ---------------------------------------------------------------------------
// A member name held twice.

struct Member {
  std::string name, data;
};

void WriteZip(const std::string& path, const std::vector<Member>& members) {
  std::unique_ptr<archive, decltype(&archive_write_free)> a(archive_write_new(),
                                                            archive_write_free);
  archive_write_set_format_zip(a.get());
  archive_write_zip_set_compression_store(a.get());
  ASSERT_EQ(archive_write_open_filename(a.get(), path.c_str()), ARCHIVE_OK);
  for (const Member& m : members) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(m.data.size()));
    ASSERT_EQ(archive_write_header(a.get(), e), ARCHIVE_OK);
    archive_write_data(a.get(), m.data.data(), m.data.size());
    archive_entry_free(e);
  }
  ASSERT_EQ(archive_write_close(a.get()), ARCHIVE_OK);
}

// A WACZ whose datapackage.json lists `listed` as archive/data.warc, with
// `extra` members before it.
std::vector<Member> Package(const std::string& listed, std::vector<Member> extra,
                            const std::string& warc_name = "archive/data.warc") {
  std::vector<Member> files = {{warc_name, listed},
                               {"indexes/index.cdxj", "org,example)/ 20261129000000 {}\n"},
                               {"pages/pages.jsonl", "{\"format\": \"json-pages-1.0\"}\n"}};
  core::Json resources = core::Json::array();
  for (const Member& m : files)
    resources.push_back({{"path", m.name},
                         {"hash", "sha256:" + core::Sha256Of(m.data).Hex()},
                         {"bytes", m.data.size()}});
  core::Json dp = {{"wacz_version", "1.1.1"}, {"resources", resources}};
  extra.insert(extra.end(), files.begin(), files.end());
  extra.push_back({"datapackage.json", dp.dump()});
  return extra;
}

struct Visited : WaczWarcVisitor {
  core::Status OnWarc(const std::string& member, core::SequentialFile*) override {
    members.push_back(member);
    return core::Status::Ok();
  }
  std::vector<std::string> members;
};

TEST(WaczMembers, ANameHeldTwiceFailsThePackageAndNothingIsIndexed) {
  core::testing::TempDir dir;
  const std::string listed = "WARC the signed datapackage.json lists";
  // The control: the same package, one copy.
  WriteZip(dir.Join("one.wacz"), Package(listed, {}));
  Visited v1;
  auto one = ReadWacz(dir.Join("one.wacz"), &v1);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_TRUE(one->ok()) << (one->problems.empty() ? "" : one->problems[0]);
  EXPECT_EQ(v1.members, std::vector<std::string>{"archive/data.warc"});
  // Another archive/data.warc first: it would be indexed, the second checked.
  WriteZip(dir.Join("two.wacz"),
           Package(listed, {{"archive/data.warc", "WARC the attacker slipped in"}}));
  Visited v2;
  auto two = ReadWacz(dir.Join("two.wacz"), &v2);
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  EXPECT_FALSE(two->ok());
  ASSERT_EQ(two->problems.size(), 1u);
  EXPECT_TRUE(two->problems[0].starts_with("ZIP member archive/data.warc occurs 2 times"))
      << two->problems[0];
  EXPECT_TRUE(v2.members.empty());
  EXPECT_TRUE(two->warcs.empty());
}

TEST(WaczMembers, AWarcNamedInUpperCaseIsReadToo) {
  core::testing::TempDir dir;
  WriteZip(dir.Join("upper.wacz"), Package("WARC bytes", {}, "archive/DATA.WARC.GZ"));
  Visited v;
  auto got = ReadWacz(dir.Join("upper.wacz"), &v);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(v.members, std::vector<std::string>{"archive/DATA.WARC.GZ"});
}

TEST(WaczMembers, AnOversizedDatapackageIsNamedAsSuch) {
  core::testing::TempDir dir;
  std::vector<Member> files = Package("WARC bytes", {});
  files.back().data = "{\"pad\": \"" + std::string(17 << 20, 'x') + "\"}";
  WriteZip(dir.Join("big.wacz"), files);
  auto got = ReadWacz(dir.Join("big.wacz"), nullptr);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_FALSE(got->problems.empty());
  EXPECT_NE(got->problems[0].find("more than the"), std::string::npos) << got->problems[0];
}

}  // namespace
}  // namespace isnad::warc
