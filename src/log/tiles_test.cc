// tlog-tiles tests: path encoding and parsing, tile sets, entry bundles, and
// the exact bytes a Log writes for the RFC 6962 reference tree.
#include "log/tiles.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "core/encoding.h"
#include "core/env.h"
#include "core/testing/temp_dir.h"
#include "log/log.h"

namespace isnad::tlog {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

const std::string kTestdata = ISNAD_TESTDATA_DIR;

Json ReadJson(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str());
}

#define SKIP_WITHOUT(folder)                                                                       \
  if (!fs::exists(kTestdata + "/" folder)) {                                                       \
    GTEST_SKIP() << "conformance data folder " folder " not found at " << kTestdata << "/" folder; \
  }

std::vector<std::string> Paths(const std::vector<TileId>& tiles) {
  std::vector<std::string> out;
  for (const auto& t : tiles) out.push_back(HashTilePath(t.level, t.index, t.width));
  return out;
}

TEST(TilesVectors, IndexEncoding) {
  SKIP_WITHOUT("tlog-tiles");
  Json v = ReadJson(kTestdata + "/tlog-tiles/vectors.json");
  ASSERT_FALSE(v.at("index_encoding").empty());
  for (const auto& item : v.at("index_encoding")) {
    uint64_t n = item.at("n");
    std::string want = item.at("path_elems");
    EXPECT_EQ(TileIndexPath(n), want);
    auto id = ParseTilePath("tile/0/" + want);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    EXPECT_EQ(id->index, n);
    EXPECT_EQ(id->width, kTileWidth);
    EXPECT_EQ(EntryBundlePath(n, 5), "tile/entries/" + want + ".p/5");
  }
}

TEST(TilesVectors, TileSets) {
  SKIP_WITHOUT("tlog-tiles");
  Json v = ReadJson(kTestdata + "/tlog-tiles/vectors.json");
  ASSERT_EQ(v.at("tile_sets").size(), 4u);
  for (const auto& set : v.at("tile_sets")) {
    uint64_t size = set.at("tree_size");
    SCOPED_TRACE("tree size " + std::to_string(size));
    auto tiles = HashTilesForSize(size);
    auto paths = Paths(tiles);
    if (set.contains("paths")) {
      EXPECT_EQ(paths, set.at("paths").get<std::vector<std::string>>());
    }
    if (set.contains("paths_count")) {
      EXPECT_EQ(paths.size(), set.at("paths_count").get<size_t>());
    }
    std::vector<std::string> not_full0;  // everything but the full level-0 tiles
    std::vector<std::string> above0;
    size_t full0 = 0;
    for (const auto& t : tiles) {
      if (t.level == 0 && t.width == kTileWidth) {
        ++full0;
      } else {
        not_full0.push_back(HashTilePath(t.level, t.index, t.width));
      }
      if (t.level > 0) above0.push_back(HashTilePath(t.level, t.index, t.width));
    }
    if (set.contains("non_full_level0_paths")) {
      EXPECT_EQ(not_full0, set.at("non_full_level0_paths").get<std::vector<std::string>>());
    }
    if (set.contains("level0_full_count")) {
      EXPECT_EQ(full0, set.at("level0_full_count").get<size_t>());
    }
    if (set.contains("non_level0_paths")) {
      EXPECT_EQ(above0, set.at("non_level0_paths").get<std::vector<std::string>>());
    }
    // Every path parses back to its tile.
    for (const auto& t : tiles) {
      auto id = ParseTilePath(HashTilePath(t.level, t.index, t.width));
      ASSERT_TRUE(id.ok());
      EXPECT_EQ(*id, t);
    }
  }
}

// The 8-leaf reference tree written by a real Log: the files must be these bytes.
TEST(TilesVectors, ReferenceTreeFilesByteForByte) {
  SKIP_WITHOUT("tlog-tiles");
  SKIP_WITHOUT("merkle-rfc6962");
  Json v = ReadJson(kTestdata + "/tlog-tiles/vectors.json").at("reference_tree_size8");
  Json tree = ReadJson(kTestdata + "/merkle-rfc6962/tree-hashes.json");
  std::vector<std::string> leaves;
  for (const auto& hex : tree.at("leaf_inputs_hex")) {
    leaves.push_back(*core::HexDecode(hex.get<std::string>()));
  }
  ASSERT_EQ(leaves.size(), 8u);

  std::string want_tile = *core::HexDecode(v.at("tile/0/000.p/8_hex").get<std::string>());
  std::string want_bundle = *core::HexDecode(v.at("tile/entries/000.p/8_hex").get<std::string>());
  EXPECT_EQ(EncodeEntryBundle(leaves), want_bundle);
  auto decoded = DecodeEntryBundle(want_bundle, 8);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, leaves);

  auto signer = NoteSigner::FromSkey(*NoteSigner::GenerateSkey("example.com/tiles-test"));
  ASSERT_TRUE(signer.ok());
  core::testing::TempDir tmp;
  std::string dir = tmp.Join("log");
  auto log = Log::Create(core::Env::Default(), dir, *signer);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ASSERT_TRUE((*log)->Append(leaves, *signer).ok());
  EXPECT_EQ(core::testing::ReadTestFile(dir + "/tile/0/000.p/8"), want_tile);
  EXPECT_EQ(core::testing::ReadTestFile(dir + "/tile/entries/000.p/8"), want_bundle);
  EXPECT_EQ(core::Base64Encode((*log)->root().View()), v.at("checkpoint_root_b64"));
  EXPECT_EQ((*log)->checkpoint().size, 8u);
  EXPECT_NE((*log)->checkpoint_note().find(v.at("checkpoint_root_b64").get<std::string>()),
            std::string::npos);
  // Nothing else: no level-1 tile for 8 leaves, no stray temporary files.
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back(fs::relative(e.path(), dir).string());
  }
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files,
            (std::vector<std::string>{"checkpoint", "tile/0/000.p/8", "tile/entries/000.p/8"}));
}

// Go's sumdb tiles (golang.org/x/mod/sumdb/tlog) carry the tile height as an
// extra first element (tile/H/L/N) and name the entries level "data". None of
// those paths is a C2SP path, so ParseTilePath must reject every one of them,
// including the ones Go accepts.
TEST(TilesVectors, SumdbPathsAreNotC2sp) {
  SKIP_WITHOUT("tlog-tiles");
  Json v = ReadJson(kTestdata + "/tlog-tiles/vectors.json").at("sumdb_tile_paths_NOT_c2sp");
  ASSERT_FALSE(v.at("vectors").empty());
  for (const auto& item : v.at("vectors")) {
    std::string path = item.at(0);
    EXPECT_FALSE(ParseTilePath(path).ok()) << path;
  }
}

TEST(TilePaths, Encoding) {
  EXPECT_EQ(TileIndexPath(0), "000");
  EXPECT_EQ(TileIndexPath(7), "007");
  EXPECT_EQ(TileIndexPath(1234067), "x001/x234/067");
  EXPECT_EQ(TileIndexPath(18446744073709551615ull), "x018/x446/x744/x073/x709/x551/615");
  EXPECT_EQ(HashTilePath(0, 0, 256), "tile/0/000");
  EXPECT_EQ(HashTilePath(2, 1234067, 17), "tile/2/x001/x234/067.p/17");
  EXPECT_EQ(EntryBundlePath(3, 256), "tile/entries/003");
  EXPECT_EQ(EntryBundlePath(1000, 1), "tile/entries/x001/000.p/1");
}

TEST(TilePaths, ParseAcceptsCanonical) {
  auto id = ParseTilePath("tile/entries/x001/000.p/1");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, (TileId{-1, 1000, 1}));
  id = ParseTilePath("tile/63/x018/x446/x744/x073/x709/x551/615");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, (TileId{63, 18446744073709551615ull, 256}));
  id = ParseTilePath("tile/1/000.p/255");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, (TileId{1, 0, 255}));
}

TEST(TilePaths, ParseRejectsNonCanonical) {
  for (const char* bad : {
           "tile/0/x000/001",                           // leading zero group
           "tile/0/x000/x001/002",                      // same, longer
           "tile/0/0001",                               // four digits
           "tile/0/01",                                 // two digits
           "tile/0/1",                                  // one digit
           "tile/0/x1/000",                             // short x group
           "tile/0/001/002",                            // x missing before a non-final group
           "tile/0/x001",                               // x on the last group
           "tile/0/001.p/0",                            // zero width
           "tile/0/001.p/256",                          // full width spelled as partial
           "tile/0/001.p/",                             // empty width
           "tile/0/001.p/007",                          // width with leading zeros
           "tile/0/001.p/12a",                          // width not decimal
           "tile/0/001.p",                              // no width element
           "tile/0/001.p/3/4",                          // extra element
           "tile/00/001",                               // level with a leading zero
           "tile/64/001",                               // level beyond 63
           "tile/-1/001",                               // negative level
           "tile/data/001",                             // Go sumdb's name for the entries level
           "tile//001",                                 // empty level
           "tile/0/",                                   // no index
           "tile/0",                                    // no index
           "tile/0/001/",                               // trailing slash
           "/tile/0/001",                               // absolute
           "tiles/0/001",                               // wrong root
           "tile/0/x018/x446/x744/x073/x709/x551/616",  // 2^64
           "tile/0/x001/x000/x000/x000/x000/x000/x000/000",  // too many groups
           "tile/0/0a1",                                     // not digits
           "tile/entries/000.p/256",
       }) {
    EXPECT_FALSE(ParseTilePath(bad).ok()) << bad;
    EXPECT_EQ(ParseTilePath(bad).status().code(), core::Code::kInvalidArgument) << bad;
  }
}

TEST(TilePaths, RoundTripRandom) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 2000; ++i) {
    int level = static_cast<int>(rng() % 9) - 1;
    uint64_t index = rng() >> (rng() % 64);
    uint64_t width = 1 + rng() % 256;
    std::string path =
        level < 0 ? EntryBundlePath(index, width) : HashTilePath(level, index, width);
    auto id = ParseTilePath(path);
    ASSERT_TRUE(id.ok()) << path;
    EXPECT_EQ(*id, (TileId{level, index, width})) << path;
  }
}

TEST(TileSets, Shapes) {
  EXPECT_TRUE(HashTilesForSize(0).empty());
  EXPECT_EQ(Paths(HashTilesForSize(1)), std::vector<std::string>{"tile/0/000.p/1"});
  EXPECT_EQ(Paths(HashTilesForSize(257)),
            (std::vector<std::string>{"tile/0/000", "tile/0/001.p/1", "tile/1/000.p/1"}));
  // 2^24 leaves: 65536 full level-0 tiles, 256 level-1, one level-2, and a
  // level-3 partial of width 1 holding the root.
  auto big = HashTilesForSize(uint64_t{1} << 24);
  EXPECT_EQ(big.size(), 65536u + 256 + 1 + 1);
  EXPECT_EQ(big.back(), (TileId{3, 0, 1}));
}

TEST(EntryBundles, RoundTripAndLimits) {
  std::vector<std::string> entries = {"", "a", std::string(300, 'x'),
                                      std::string(kMaxEntrySize, '\xff')};
  std::string bundle = EncodeEntryBundle(entries);
  EXPECT_EQ(bundle.size(), 2 * 4 + 1 + 300 + kMaxEntrySize);
  EXPECT_EQ(bundle.substr(0, 5), std::string("\x00\x00\x00\x01"
                                             "a",
                                             5));
  auto back = DecodeEntryBundle(bundle, 4);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, entries);
  auto views = SplitEntryBundle(bundle, 4);
  ASSERT_TRUE(views.ok());
  EXPECT_EQ((*views)[2], entries[2]);
  EXPECT_EQ(EncodeEntryBundle({}), "");
  EXPECT_TRUE(DecodeEntryBundle("", 0).ok());
}

TEST(EntryBundles, DecodeRejectsWrongShapes) {
  std::string bundle = EncodeEntryBundle({"abc", "de"});
  // Too few entries asked for: bytes left over.
  auto s = DecodeEntryBundle(bundle, 1).status();
  EXPECT_EQ(s.code(), core::Code::kIntegrity);
  EXPECT_NE(s.message().find("after"), std::string::npos) << s.message();
  // Too many asked for, or cut short: truncated.
  s = DecodeEntryBundle(bundle, 3).status();
  EXPECT_EQ(s.code(), core::Code::kIntegrity);
  EXPECT_NE(s.message().find("truncated"), std::string::npos) << s.message();
  for (size_t cut = 0; cut < bundle.size(); ++cut) {
    EXPECT_EQ(DecodeEntryBundle(bundle.substr(0, cut), 2).status().code(), core::Code::kIntegrity)
        << cut;
  }
  EXPECT_FALSE(DecodeEntryBundle(bundle + "x", 2).ok());
  // A length prefix pointing past the end.
  EXPECT_FALSE(DecodeEntryBundle(std::string("\xff\xff"
                                             "abc",
                                             5),
                                 1)
                   .ok());
  // A huge width on a small bundle fails cleanly.
  EXPECT_FALSE(DecodeEntryBundle(bundle, 1ull << 62).ok());
}

}  // namespace
}  // namespace isnad::tlog
