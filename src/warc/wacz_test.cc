// WACZ reading: conformance over py-wacz's fixtures
// (../shared/testdata/wacz-pywacz, expectations from its README.md).
#include "warc/wacz.h"

#include <gtest/gtest.h>

#include "warc/reader.h"

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
      ISNAD_ASSIGN_OR_RETURN(bool more, reader.Next(&r));
      if (!more) break;
      ++records;
      not_ok += !r.ok();
      if (r.type == "response") urls.push_back(r.target_uri);
    }
    members.push_back(member);
    return core::Status::Ok();
  }
  int records = 0, not_ok = 0;
  std::vector<std::string> members, urls;
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

TEST(WaczConformance, SignedPackagesAreStructurallyValidButSignatureNotChecked) {
  REQUIRE_WACZ_DATA();
  for (const char* name : {"valid_signed_example_1.wacz", "invalid_signed_example_1.wacz"}) {
    SCOPED_TRACE(name);
    ReadWarcs v;
    auto r = ReadWacz(kWacz + name, &v);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->ok()) << Problems(*r);
    EXPECT_TRUE(r->digest_ok);
    // isnad does not verify WACZ Auth: both say so, neither says "valid".
    EXPECT_EQ(r->signature, "not-checked");
    EXPECT_EQ(v.not_ok, 0);
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
