// WACZ reading: conformance over py-wacz's fixtures
// (../shared/testdata/wacz-pywacz, expectations from its README.md).
#include "warc/wacz.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cctype>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/digest.h"
#include "core/encoding.h"
#include "core/utf8.h"
#include "warc/reader.h"
#include "warc/testing_source.h"

namespace isnad::warc {
namespace {

const std::string kWacz = std::string(ISNAD_TESTDATA_DIR) + "/wacz-pywacz/";

#define REQUIRE_WACZ_DATA()                                     \
  if (!core::Exists(core::Env::Default(), kWacz + "README.md")) \
  GTEST_SKIP() << "conformance data wacz-pywacz absent (" << kWacz << ")"

// Reads every WARC in the package with warc::Reader.
class ReadWarcs : public WaczWarcVisitor {
 public:
  core::Status OnWarc(const std::string& member, core::SequentialFile* stream) override {
    Reader reader(stream);
    while (true) {
      Record r;
      auto more = reader.Next(&r);
      if (!more.ok()) {  // as isnad add does: the WARC ends there, the package goes on
        errors.push_back(more.status().ToString());
        break;
      }
      if (!*more) break;
      ++records;
      not_ok += !r.ok();
      if (r.type == "response") urls.push_back(r.target_uri);
    }
    members.push_back(member);
    return core::Status::Ok();
  }
  int records = 0, not_ok = 0;
  std::vector<std::string> members, urls, errors;
};

std::string Problems(const WaczReport& r) {
  std::string s;
  for (const std::string& p : r.problems) s += p + "\n";
  return s;
}

TEST(WaczConformance, ValidPackagesValidateAndTheirWarcsRead) {
  REQUIRE_WACZ_DATA();
  for (const char* name : {"valid_example_1.wacz", "valid_example_2.wacz"}) {
    SCOPED_TRACE(name);
    ReadWarcs v;
    auto r = ReadWacz(kWacz + name, &v);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->ok()) << Problems(*r);
    EXPECT_FALSE(r->wacz_version.empty());
    EXPECT_EQ(r->warcs, v.members);
    EXPECT_GE(v.records, 1);
    EXPECT_EQ(v.not_ok, 0);
    EXPECT_TRUE(v.errors.empty());
    EXPECT_FALSE(v.urls.empty());
    for (const WaczResource& res : r->resources) {
      EXPECT_TRUE(res.present && res.hash_ok && res.bytes_ok) << res.path;
    }
    // Not signed: never reported as verified.
    EXPECT_EQ(r->signature, "absent");
  }
}

TEST(WaczConformance, DigestFileMatchesDatapackage) {
  REQUIRE_WACZ_DATA();
  auto r = ReadWacz(kWacz + "valid_example_2.wacz", nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->wacz_version, "1.1.1");
  EXPECT_TRUE(r->digest_file);
  EXPECT_TRUE(r->digest_ok);
  auto r1 = ReadWacz(kWacz + "valid_example_1.wacz", nullptr);
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->wacz_version, "1.0.0");
  EXPECT_FALSE(r1->digest_file);
}

TEST(WaczConformance, InvalidPackageFailsOnPathsAndHashes) {
  REQUIRE_WACZ_DATA();
  auto r = ReadWacz(kWacz + "invalid_example_1.wacz", nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->ok());
  std::string p = Problems(*r);
  EXPECT_NE(p.find("data/indexes/index.cdx.gz is listed in datapackage.json but absent"),
            std::string::npos)
      << p;
  EXPECT_NE(p.find("no WARC under archive/"), std::string::npos) << p;
  EXPECT_NE(p.find("no pages/pages.jsonl"), std::string::npos) << p;
  EXPECT_NE(p.find("data/archive/test.txt is not listed"), std::string::npos) << p;
}

// The names and bytes of every member of the ZIP at `path`, in order.
std::vector<std::pair<std::string, std::string>> ZipMembers(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_format_zip(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) return out;
  archive_entry* e = nullptr;
  while (archive_read_next_header(a.get(), &e) == ARCHIVE_OK) {
    std::string bytes;
    char buf[1 << 14];
    la_ssize_t n;
    while ((n = archive_read_data(a.get(), buf, sizeof buf)) > 0)
      bytes.append(buf, static_cast<size_t>(n));
    out.emplace_back(archive_entry_pathname(e), std::move(bytes));
  }
  return out;
}

// The member `name` of the ZIP at `path` ("" when absent).
std::string ZipMember(const std::string& path, const std::string& name) {
  for (auto& [n, bytes] : ZipMembers(path)) {
    if (n == name) return std::move(bytes);
  }
  return "";
}

void WriteZip(const std::string& path, const testing::ZipMembers& members, bool store = false) {
  ASSERT_TRUE(testing::WriteZip(path, members, store)) << path;
}

// A resource hash written in upper-case hex is the same hash.
TEST(WaczConformance, ResourceHashesInUpperCaseHexMatch) {
  REQUIRE_WACZ_DATA();
  auto members = ZipMembers(kWacz + "valid_example_1.wacz");
  ASSERT_FALSE(members.empty());
  int upper = 0;
  for (auto& [name, bytes] : members) {
    if (name != "datapackage.json") continue;
    core::Json d = core::Json::parse(bytes);
    for (core::Json& r : d["resources"]) {
      // WACZ 1.1 "hash": "sha256:<hex>"; 1.0 "stats": {"hash": "<hex>"}.
      const bool v11 = r.contains("hash");
      core::Json& field = v11 ? r["hash"] : r["stats"]["hash"];
      std::string h = field;
      for (size_t k = v11 ? 7 : 0; k < h.size(); ++k) h[k] = static_cast<char>(std::toupper(h[k]));
      field = h;
      ++upper;
    }
    bytes = d.dump();
  }
  ASSERT_GT(upper, 0);
  const std::string path = ::testing::TempDir() + "/upper-hex.wacz";
  WriteZip(path, members);
  auto r = ReadWacz(path, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (const WaczResource& res : r->resources) EXPECT_TRUE(res.hash_ok) << res.path;
  EXPECT_EQ(Problems(*r).find("its sha256 is"), std::string::npos) << Problems(*r);
}

// A WARC whose name is not ASCII (an Arabic file name) is read under that name,
// also in the "C" locale the tests run in: before, it came back as "" and was
// neither listed nor read.
TEST(WaczConformance, MembersNamedInArabicAreRead) {
  REQUIRE_WACZ_DATA();
  auto members = ZipMembers(kWacz + "valid_example_1.wacz");
  std::string old_name;
  for (auto& [name, bytes] : members) {
    if (name.starts_with("archive/")) old_name = name;
  }
  ASSERT_FALSE(old_name.empty());
  const std::string new_name =
      "archive/دليل الغوطة.warc" + old_name.substr(old_name.find(".warc") + 5);
  for (auto& [name, bytes] : members) {
    if (name == old_name) name = new_name;
    if (name != "datapackage.json") continue;
    core::Json d = core::Json::parse(bytes);
    for (core::Json& r : d["resources"]) {
      if (r["path"] == old_name) r["path"] = new_name;
    }
    bytes = d.dump();
  }
  const std::string path = ::testing::TempDir() + "/arabic-name.wacz";
  WriteZip(path, members);
  struct Seen : WaczWarcVisitor {
    std::vector<std::string> names;
    core::Status OnWarc(const std::string& member, core::SequentialFile*) override {
      names.push_back(member);
      return core::Status::Ok();
    }
  } seen;
  auto r = ReadWacz(path, &seen);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(seen.names, std::vector<std::string>{new_name});
  EXPECT_EQ(Problems(*r).find("is not listed"), std::string::npos) << Problems(*r);
  EXPECT_EQ(Problems(*r).find("absent"), std::string::npos) << Problems(*r);
  for (const WaczResource& res : r->resources) EXPECT_TRUE(res.hash_ok) << res.path;
}

// `pem` with the uncompressed EC point of its first certificate's public key
// marked 07 instead of 04: the certificate still parses, its key does not.
std::string WithFirstCertKeyDamaged(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> in(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> x(
      PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr), X509_free);
  if (!x) return "";
  unsigned char* der = nullptr;
  const int n = i2d_X509(x.get(), &der);
  if (n <= 0) return "";
  std::string bytes(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  const size_t at = bytes.find(std::string_view("\x03\x42\x00\x04", 4));
  if (at == std::string::npos) return "";
  bytes[at + 3] = '\x07';
  const unsigned char* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::unique_ptr<X509, decltype(&X509_free)> damaged(d2i_X509(nullptr, &p, n), X509_free);
  ERR_clear_error();
  if (!damaged || X509_get0_pubkey(damaged.get()) != nullptr) return "";
  ERR_clear_error();
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(out.get(), damaged.get());
  char* data = nullptr;
  const long len = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

core::Json SignedData(const std::string& wacz) {
  core::Json d = core::Json::parse(ZipMember(kWacz + wacz, "datapackage-digest.json"));
  return d["signedData"];
}

// py-wacz's fixtures, signed by authsign for a domain with a Let's Encrypt
// certificate and a freetsa.org timestamp (certificates long expired: checked
// as at their time). The "invalid" one is signed with a Let's Encrypt staging
// certificate, whose root no verifier trusts.
TEST(WaczSignature, DomainSignedFixtures) {
  REQUIRE_WACZ_DATA();
  ReadWarcs v;
  auto good = ReadWacz(kWacz + "valid_signed_example_1.wacz", &v);
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_TRUE(good->ok()) << Problems(*good);
  EXPECT_EQ(good->signature,
            "valid: signed for btrix-sign-test.webrecorder.net, timestamped 2022-01-18T19:00:12Z");
  auto staging = ReadWacz(kWacz + "invalid_signed_example_1.wacz", &v);
  ASSERT_TRUE(staging.ok()) << staging.status().ToString();
  EXPECT_TRUE(staging->ok()) << Problems(*staging);  // structurally valid
  EXPECT_TRUE(
      staging->signature.starts_with("not-checked: signed for "
                                     "btrix-sign-test.webrecorder.net"))
      << staging->signature;
  EXPECT_NE(staging->signature.find("(STAGING)"), std::string::npos) << staging->signature;
}

TEST(WaczSignature, TamperedDomainSignaturesAreInvalid) {
  REQUIRE_WACZ_DATA();
  const core::Json sd = SignedData("valid_signed_example_1.wacz");
  const std::string hash = sd["hash"];
  ASSERT_TRUE(VerifyWaczSignature(sd, hash).starts_with("valid: "));
  auto check = [&](core::Json changed, const std::string& package_hash, const char* why) {
    std::string got = VerifyWaczSignature(changed, package_hash);
    EXPECT_TRUE(got.starts_with("invalid: ")) << got;
    EXPECT_NE(got.find(why), std::string::npos) << got;
  };
  // Another datapackage.json than the one signed.
  check(sd, "sha256:" + std::string(64, '0'), "is not the sha256 of datapackage.json");
  core::Json other_hash = sd;
  other_hash["hash"] = "sha256:" + std::string(64, '0');
  check(other_hash, other_hash["hash"], "is not a signature of hash by the key of domainCert");
  core::Json other_domain = sd;
  other_domain["domain"] = "example.org";
  check(other_domain, hash, "is not a certificate of the domain");
  core::Json late = sd;
  late["created"] = "2022-01-18T20:00:12Z";  // the timestamp says 19:00:12
  check(late, hash, "more than 10 minutes");
  core::Json restamped = sd;
  restamped["timeSignature"] = SignedData("invalid_signed_example_1.wacz")["timeSignature"];
  check(restamped, hash, "timeSignature does not verify");
  core::Json unsigned_ = sd;
  unsigned_.erase("timeSignature");
  check(unsigned_, hash, "no timeSignature");
  core::Json no_key = sd;
  no_key.erase("domainCert");
  check(no_key, hash, "neither publicKey nor domainCert");
  // A certificate whose public key cannot be decoded (its EC point's first
  // byte changed from 04, uncompressed, to 07): invalid, not a crash (found by
  // wacz_fuzz).
  core::Json bad_point = sd;
  bad_point["domainCert"] = WithFirstCertKeyDamaged(sd["domainCert"].get<std::string>());
  ASSERT_NE(bad_point["domainCert"], sd["domainCert"]);
  check(bad_point, hash, "is not a signature of hash by the key of domainCert");
}

// An anonymous signature as ArchiveWeb.page makes it: a P-384 key, ECDSA with
// SHA-256 over the hash string, the raw r||s of WebCrypto (or DER).
struct AnonSigner {
  AnonSigner() : key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384")) {}
  ~AnonSigner() { EVP_PKEY_free(key); }
  std::string Spki() const {
    unsigned char* der = nullptr;
    int n = i2d_PUBKEY(key, &der);
    std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
    OPENSSL_free(der);
    return out;
  }
  std::string SignDer(const std::string& msg) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t n = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key);
    EVP_DigestSign(ctx, nullptr, &n, reinterpret_cast<const unsigned char*>(msg.data()),
                   msg.size());
    std::string sig(n, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &n,
                   reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
    sig.resize(n);
    EVP_MD_CTX_free(ctx);
    return sig;
  }
  std::string SignRaw(const std::string& msg) const {
    std::string der = SignDer(msg);
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    ECDSA_SIG* s = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
    std::string raw(96, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(s), reinterpret_cast<unsigned char*>(raw.data()), 48);
    BN_bn2binpad(ECDSA_SIG_get0_s(s), reinterpret_cast<unsigned char*>(raw.data()) + 48, 48);
    ECDSA_SIG_free(s);
    return raw;
  }
  core::Json SignedData(const std::string& hash, const std::string& sig) const {
    return {{"hash", hash},
            {"created", "2026-11-29T16:00:00.000Z"},
            {"software", "isnad test"},
            {"signature", core::Base64Encode(sig)},
            {"publicKey", core::Base64Encode(Spki())}};
  }
  EVP_PKEY* key;
};

TEST(WaczSignature, AnonymousSignatures) {
  AnonSigner signer, other;
  ASSERT_NE(signer.key, nullptr);
  const std::string hash = "sha256:" + core::Sha256Of("datapackage.json bytes").Hex();
  const std::string fingerprint = core::Sha256Of(signer.Spki()).Hex();
  for (const std::string& sig : {signer.SignRaw(hash), signer.SignDer(hash)}) {
    EXPECT_EQ(VerifyWaczSignature(signer.SignedData(hash, sig), hash),
              "valid: anonymous key, SubjectPublicKeyInfo sha256 " + fingerprint);
  }
  // Tampered: another package, a signature of something else, another key.
  std::string got = VerifyWaczSignature(signer.SignedData(hash, signer.SignRaw(hash)),
                                        "sha256:" + core::Sha256Of("tampered").Hex());
  EXPECT_TRUE(got.starts_with("invalid: signedData hash ")) << got;
  const std::string wrong = "sha256:" + core::Sha256Of("other").Hex();
  got = VerifyWaczSignature(signer.SignedData(hash, signer.SignRaw(wrong)), hash);
  EXPECT_EQ(got, "invalid: signature is not a signature of hash by publicKey");
  core::Json swapped = signer.SignedData(hash, signer.SignRaw(hash));
  swapped["publicKey"] = core::Base64Encode(other.Spki());
  EXPECT_EQ(VerifyWaczSignature(swapped, hash),
            "invalid: signature is not a signature of hash by publicKey");
  std::string flipped = signer.SignRaw(hash);
  flipped[10] ^= 1;
  EXPECT_TRUE(VerifyWaczSignature(signer.SignedData(hash, flipped), hash).starts_with("invalid"));
  core::Json garbage = signer.SignedData(hash, signer.SignRaw(hash));
  garbage["publicKey"] = core::Base64Encode("not a key");
  EXPECT_EQ(VerifyWaczSignature(garbage, hash),
            "invalid: publicKey is not an ECDSA public key (SubjectPublicKeyInfo)");
}

using testing::ResourceWarc;

// A file `leaf` of the running test's own: ctest runs tests side by side, so
// two must not share a temporary file.
std::string TestPath(const std::string& leaf) {
  const ::testing::TestInfo* t = ::testing::UnitTest::GetInstance()->current_test_info();
  return ::testing::TempDir() + "/" + t->test_suite_name() + "." + t->name() + "-" + leaf;
}

// A WACZ holding `warc` as archive/data.warc (its first member), a page list,
// an index and datapackage.json (last), written by libarchive; its bytes.
std::string PackageWith(const std::string& warc, bool store) {
  const std::string path = TestPath("package.wacz");
  WriteZip(path, testing::WaczOf({{"archive/data.warc", warc}}), store);
  auto out = core::Env::Default()->ReadFile(path);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : "";
}

core::StatusOr<WaczReport> ReadBytes(const std::string& bytes, ReadWarcs* v) {
  const std::string path = TestPath("damaged.wacz");
  EXPECT_TRUE(core::WriteFileAtomically(core::Env::Default(), path, bytes, /*sync=*/false).ok());
  return ReadWacz(path, v);
}

// A member whose bytes fail the ZIP's CRC-32 (a stored member, one byte
// changed) is read to its end: every record is read, the changed one fails
// its digest, the member is named as damaged, and the members after it are
// still read and checked.
TEST(WaczDamage, AWrongCrcKeepsEveryRecordAndNamesTheMember) {
  const std::string warc = ResourceWarc(300);
  std::string zip = PackageWith(warc, /*store=*/true);
  const size_t at = zip.find(warc);
  ASSERT_NE(at, std::string::npos);
  const size_t body = zip.find("<p>record 137</p>", at);
  ASSERT_NE(body, std::string::npos);
  zip[body + 30] = 'y';
  ReadWarcs v;
  auto r = ReadBytes(zip, &v);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::string p = Problems(*r);
  EXPECT_EQ(v.records, 300) << p;
  EXPECT_EQ(v.not_ok, 1) << p;
  EXPECT_NE(p.find("ZIP member archive/data.warc is damaged: its " + std::to_string(warc.size()) +
                   " bytes are not the bytes the ZIP recorded"),
            std::string::npos)
      << p;
  EXPECT_NE(p.find("CRC"), std::string::npos) << p;
  EXPECT_EQ(p.find("no datapackage.json"), std::string::npos) << p;
  for (const WaczResource& res : r->resources)
    EXPECT_EQ(res.hash_ok, res.path != "archive/data.warc") << res.path;
}

// Deflate data damaged inside a member: where zlib can go on, the member is
// read to its end (the damage shows in the records' digests); where it cannot
// (a block of a type deflate does not have), the member ends there. Either way
// the ZIP is read on past it (its central directory says where the next
// member starts), and the members after it are checked.
TEST(WaczDamage, DamagedDeflateDataEndsOnlyThatMember) {
  const std::string warc = ResourceWarc(300);
  const std::string zip = PackageWith(warc, /*store=*/false);
  const size_t header = zip.find(std::string_view("PK\x03\x04", 4));
  ASSERT_EQ(zip.compare(header + 30, 17, "archive/data.warc"), 0);
  auto le16 = [&](size_t at) {
    return static_cast<size_t>(static_cast<uint8_t>(zip[at])) |
           static_cast<size_t>(static_cast<uint8_t>(zip[at + 1])) << 8;
  };
  const size_t data = header + 30 + le16(header + 26) + le16(header + 28);
  const size_t next = zip.find(std::string_view("PK\x03\x04", 4), data);
  ASSERT_NE(next, std::string::npos);
  struct Case {
    const char* what;
    size_t at;
    std::string bytes;
    const char* problem;
    int min_records;
  };
  const Case cases[] = {
      {"mid-stream", data + (next - data) / 2, std::string(16, '\xff'),
       "ZIP member archive/data.warc is damaged: its ", 10},
      {"a reserved block type first", data, std::string(1, '\x07'),
       "ZIP member archive/data.warc is damaged: only its first 0 bytes could be read", 0}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    std::string damaged = zip;
    damaged.replace(c.at, c.bytes.size(), c.bytes);
    ReadWarcs v;
    auto r = ReadBytes(damaged, &v);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const std::string p = Problems(*r);
    EXPECT_NE(p.find(c.problem), std::string::npos) << p;
    EXPECT_GE(v.records, c.min_records) << p;
    EXPECT_LT(v.records, 300) << p;
    EXPECT_EQ(p.find("no datapackage.json"), std::string::npos) << p;
    EXPECT_EQ(p.find("not reached"), std::string::npos) << p;
    ASSERT_EQ(r->resources.size(), 3u) << p;
    for (const WaczResource& res : r->resources) {
      EXPECT_EQ(res.hash_ok, res.path != "archive/data.warc") << res.path << "\n" << p;
    }
  }
}

// A WARC of `n` resource records of `size` random bytes each (deflate keeps
// them in stored blocks of at most 64 KiB).
std::string RandomWarc(int n, size_t size) {
  std::string out;
  uint64_t x = 20130821;
  for (int i = 0; i < n; ++i) {
    std::string body(size, '\0');
    for (char& c : body) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      c = static_cast<char>(x >> 56);
    }
    out += "WARC/1.1\r\nWARC-Type: resource\r\nWARC-Target-URI: http://example.org/r" +
           std::to_string(i) +
           "\r\nWARC-Block-Digest: sha256:" + Base32Encode(core::Sha256Of(body).View()) +
           "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + std::to_string(size) +
           "\r\n\r\n" + body + "\r\n\r\n";
  }
  return out;
}

// Deflate data that cannot be decoded far into a large member, read through
// the central directory: the blocks libarchive delivered before the damage
// (it decodes up to 256 KiB at a time, and drops the block the damage is in)
// are read, with their records, and so are the members after it.
TEST(WaczDamage, UndecodableDataFarIntoAMemberKeepsTheBlocksBefore) {
  const std::string warc = RandomWarc(16, 64 * 1024);  // about 1 MiB
  const std::string zip = PackageWith(warc, /*store=*/false);
  const size_t header = zip.find(std::string_view("PK\x03\x04", 4));
  ASSERT_EQ(zip.compare(header + 30, 17, "archive/data.warc"), 0);
  // 70 KiB of 0xff from 600 KiB in covers a stored block's header, whose
  // length and its complement then disagree.
  std::string damaged = zip;
  damaged.replace(header + 600 * 1024, 70 * 1024, std::string(70 * 1024, '\xff'));
  ReadWarcs v;
  auto r = ReadBytes(damaged, &v);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::string p = Problems(*r);
  EXPECT_NE(p.find("ZIP member archive/data.warc is damaged: only its first "), std::string::npos)
      << p;
  EXPECT_EQ(p.find("only its first 0 bytes"), std::string::npos) << p;
  EXPECT_GE(v.records, 7) << p;  // 7 records of 64 KiB: over 450 KiB read before the damage
  EXPECT_LT(v.records, 16) << p;
  ASSERT_EQ(r->resources.size(), 3u) << p;
  for (const WaczResource& res : r->resources) {
    EXPECT_EQ(res.hash_ok, res.path != "archive/data.warc") << res.path << "\n" << p;
  }
}

// Going on after a damaged member means opening the ZIP again: a ZIP of
// thousands of members, each damaged, stops at a bound instead of taking
// time quadratic in its members.
TEST(WaczDamage, ManyDamagedMembersStopAtABound) {
  testing::ZipMembers warcs;
  for (int i = 0; i < 2000; ++i)
    warcs.emplace_back("archive/w" + std::to_string(i) + ".warc", ResourceWarc(1, i));
  const std::string path = TestPath("many-damaged.wacz");
  WriteZip(path, testing::WaczOf(warcs));
  auto read = core::Env::Default()->ReadFile(path);
  ASSERT_TRUE(read.ok());
  std::string zip = *read;
  int damaged = 0;
  for (size_t at = zip.find(std::string_view("PK\x03\x04", 4)); at != std::string::npos;
       at = zip.find(std::string_view("PK\x03\x04", 4), at + 4)) {
    if (zip.compare(at + 30, 9, "archive/w") != 0) continue;
    const size_t n = static_cast<uint8_t>(zip[at + 26]) | static_cast<uint8_t>(zip[at + 27]) << 8;
    const size_t e = static_cast<uint8_t>(zip[at + 28]) | static_cast<uint8_t>(zip[at + 29]) << 8;
    zip[at + 30 + n + e] = '\x07';  // a deflate block of the reserved type
    ++damaged;
  }
  ASSERT_EQ(damaged, 2000);
  ReadWarcs v;
  auto r = ReadBytes(zip, &v);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::string p = Problems(*r);
  EXPECT_NE(p.find("so many ZIP members are damaged that reading stopped after archive/w"),
            std::string::npos);
  EXPECT_NE(p.find("ZIP member archive/w0.warc is damaged: only its first 0 bytes"),
            std::string::npos);
  EXPECT_LT(v.members.size(), 2000u);
  EXPECT_GT(v.members.size(), 50u);
}

constexpr const char* kCutShort =
    "central directory (the index at its end) is missing, damaged, or not at the end of the "
    "file: the file is probably cut short";

// A WACZ cut short loses its central directory (at the end) first. It is not
// read as valid: its members are read from their own headers, and a problem
// says the file is cut short.
TEST(WaczDamage, ACutShortZipIsReadFromItsHeadersAndReportedInvalid) {
  const std::string warc = ResourceWarc(50);
  const std::string zip = PackageWith(warc, /*store=*/false);
  const size_t central = zip.find(std::string_view("PK\x01\x02", 4));
  ASSERT_NE(central, std::string::npos);
  for (size_t cut : {zip.size() - 1, central + 20, central}) {
    SCOPED_TRACE(cut);
    ReadWarcs v;
    auto r = ReadBytes(zip.substr(0, cut), &v);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const std::string p = Problems(*r);
    EXPECT_FALSE(r->ok());
    EXPECT_NE(p.find(kCutShort), std::string::npos) << p;
    EXPECT_EQ(v.records, 50) << p;
  }
  // The central directory damaged, its end record intact: the same.
  {
    std::string damaged = zip;
    damaged[central + 1] = 'X';
    ReadWarcs v;
    auto r = ReadBytes(damaged, &v);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_NE(Problems(*r).find(kCutShort), std::string::npos) << Problems(*r);
    EXPECT_EQ(v.records, 50) << Problems(*r);
  }
  // Cut short after a member that is itself a ZIP (a captured .docx): its end
  // record is the last in the file, but does not end it, and the package's
  // members are still read from their own headers.
  {
    const std::string inner = PackageWith(ResourceWarc(1, 900), /*store=*/true);
    const std::string path = TestPath("with-inner.wacz");
    WriteZip(path, testing::WaczOf({{"archive/data.warc", warc}, {"archive/inner.zip", inner}}),
             /*store=*/true);
    auto bytes = core::Env::Default()->ReadFile(path);
    ASSERT_TRUE(bytes.ok());
    const size_t after_inner = bytes->find(inner) + inner.size() + 10;
    ReadWarcs v;
    auto r = ReadBytes(bytes->substr(0, after_inner), &v);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_NE(Problems(*r).find(kCutShort), std::string::npos) << Problems(*r);
    EXPECT_EQ(v.records, 50) << Problems(*r);
  }
  // Cut inside the WARC member: the records before the cut are read.
  ReadWarcs v;
  auto r = ReadBytes(zip.substr(0, zip.find("archive/data.warc") + 600), &v);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(Problems(*r).find("ZIP member archive/data.warc is damaged"), std::string::npos)
      << Problems(*r);
}

// A ZIP comment may hold the end record's signature by chance. libarchive
// (3.6), Info-ZIP unzip and Python's zipfile all then fail to find the central
// directory, so the package is read from its members' own headers, every
// record kept, and said to be damaged.
TEST(WaczDamage, TheEndSignatureInsideTheZipCommentLosesNothing) {
  std::string zip = PackageWith(ResourceWarc(50), /*store=*/false);
  ASSERT_EQ(zip.compare(zip.size() - 22, 4, "PK\x05\x06", 4), 0);  // no comment yet
  // The signature at least 22 bytes before the end, where an end record would start.
  const std::string comment =
      "written by a tool; " + std::string("PK\x05\x06", 4) + " occurs in this comment by chance";
  zip[zip.size() - 2] = static_cast<char>(comment.size());
  zip += comment;
  ReadWarcs v;
  auto r = ReadBytes(zip, &v);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(v.records, 50);
  EXPECT_NE(Problems(*r).find(kCutShort), std::string::npos) << Problems(*r);
  // A comment whose length runs past the end is a cut.
  zip.pop_back();
  ReadWarcs cut;
  r = ReadBytes(zip, &cut);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(Problems(*r).find(kCutShort), std::string::npos) << Problems(*r);
  EXPECT_EQ(cut.records, 50);
}

// A WARC outside archive/ is read like the others (its records are
// evidence), and the package is said to be malformed, naming it.
TEST(WaczStructure, AWarcOutsideArchiveIsReadAndReported) {
  const std::string path = TestPath("outside.wacz");
  WriteZip(path, testing::WaczOf({{"archive/data.warc", ResourceWarc(3)},
                                  {"extra/More.WARC", ResourceWarc(2)}}));
  ReadWarcs v;
  auto r = ReadWacz(path, &v);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(v.records, 5);
  EXPECT_EQ(r->warcs, (std::vector<std::string>{"archive/data.warc", "extra/More.WARC"}));
  ASSERT_EQ(r->problems.size(), 1u) << Problems(*r);
  EXPECT_NE(r->problems[0].find("extra/More.WARC is a WARC outside archive/"), std::string::npos)
      << Problems(*r);
  // With none under archive/, that is said too.
  WriteZip(path, testing::WaczOf({{"data.warc", ResourceWarc(1)}}));
  ReadWarcs only;
  r = ReadWacz(path, &only);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(only.records, 1);
  EXPECT_NE(Problems(*r).find("no WARC under archive/"), std::string::npos) << Problems(*r);
}

// What a file that is not a ZIP is, said plainly.
TEST(WaczDamage, NotAZipSaysWhatItIs) {
  const std::string warc = ResourceWarc(1);
  const std::pair<std::string, std::string> cases[] = {
      {"", "not a readable ZIP (WACZ): the file is empty"},
      {std::string("\x1f\x8b\x08\x00", 4) + "rest", "it is gzip data, not a ZIP"},
      {warc, "it is a WARC file, not a ZIP"},
      {"hello, plain text", "it does not start as a ZIP does"},
      // A ZIP after other bytes, cut short: no local header to read from.
      {"junk" + PackageWith(warc, /*store=*/false).substr(0, 900),
       "it does not start as a ZIP does (with a member's local header), and it has no ZIP "
       "central directory"}};
  for (const auto& [bytes, want] : cases) {
    ReadWarcs v;
    auto r = ReadBytes(bytes, &v);
    ASSERT_FALSE(r.ok()) << want;
    EXPECT_EQ(r.status().code(), core::Code::kIntegrity);
    EXPECT_NE(r.status().message().find(want), std::string::npos) << r.status().ToString();
  }
}

TEST(WaczConformance, NotAZipIsAnError) {
  REQUIRE_WACZ_DATA();
  auto r = ReadWacz(kWacz + "README.md", nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::Code::kIntegrity);
}

}  // namespace
}  // namespace isnad::warc
