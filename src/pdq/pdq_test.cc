// PDQ: conformance with the upstream goldens (../shared/testdata/pdq, README there), the
// dihedral hashes against really rotated and flipped pixels, robustness to the edits a
// re-upload makes, EXIF orientation, and the decoders under damaged and hostile input.
#include "pdq/pdq.h"

#include <gtest/gtest.h>
#include <jpeglib.h>
#include <png.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "pdq/image.h"

namespace isnad::pdq {
namespace {

const std::string kDir = std::string(ISNAD_TESTDATA_DIR) + "/pdq/";

#define SKIP_WITHOUT_TESTDATA()                                                                    \
  do {                                                                                             \
    if (!std::ifstream(kDir + "README.md")) GTEST_SKIP() << "no PDQ conformance data in " << kDir; \
  } while (0)

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

Hash Hex(const std::string& hex) {
  auto h = HashFromHex(hex);
  EXPECT_TRUE(h.ok()) << hex;
  return h.ok() ? *h : Hash{};
}

ImageHash HashFile(const std::string& relative, const ImageHashOptions& o = {}) {
  const std::string bytes = ReadAll(kDir + relative);
  auto r = HashImage(Bytes(bytes), o);
  EXPECT_TRUE(r.ok()) << relative << ": " << r.status().ToString();
  return r.ok() ? *r : ImageHash{};
}

Image DecodeFile(const std::string& relative) {
  const std::string bytes = ReadAll(kDir + relative);
  auto r = DecodeImage(Bytes(bytes));
  EXPECT_TRUE(r.ok()) << relative << ": " << r.status().ToString();
  return r.ok() ? std::move(*r) : Image{};
}

Result HashOf(const Image& image) {
  auto r = HashPixels(image.view());
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Result{};
}

struct Row {
  std::string path, hash, quality;
};

// Reads a CSV of path,hash,quality[,...] (no quoted fields in these files).
std::vector<Row> ReadCsv(const std::string& relative) {
  std::ifstream f(kDir + relative);
  std::vector<Row> rows;
  std::string line;
  std::getline(f, line);  // header
  while (std::getline(f, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    if (cells.size() >= 3) rows.push_back({cells[0], cells[1], cells[2]});
  }
  return rows;
}

// ---------------------------------------------------------------- image helpers

Image Blank(int w, int h, int channels = 3) {
  Image im;
  im.format = "test";
  im.width = w;
  im.height = h;
  im.channels = channels;
  im.pixels.assign(size_t(w) * size_t(h) * size_t(channels), 0);
  return im;
}

// Bilinear resize (sampling at pixel centres).
Image Resize(const Image& in, int w, int h) {
  Image out = Blank(w, h, in.channels);
  const int c = in.channels;
  for (int y = 0; y < h; y++) {
    const double fy = std::clamp((y + 0.5) * in.height / h - 0.5, 0.0, in.height - 1.0);
    const int y0 = int(fy), y1 = std::min(y0 + 1, in.height - 1);
    const double ay = fy - y0;
    for (int x = 0; x < w; x++) {
      const double fx = std::clamp((x + 0.5) * in.width / w - 0.5, 0.0, in.width - 1.0);
      const int x0 = int(fx), x1 = std::min(x0 + 1, in.width - 1);
      const double ax = fx - x0;
      for (int k = 0; k < c; k++) {
        auto at = [&](int xx, int yy) {
          return double(in.pixels[(size_t(yy) * in.width + xx) * c + k]);
        };
        const double v = (1 - ay) * ((1 - ax) * at(x0, y0) + ax * at(x1, y0)) +
                         ay * ((1 - ax) * at(x0, y1) + ax * at(x1, y1));
        out.pixels[(size_t(y) * w + x) * c + k] = uint8_t(std::lround(v));
      }
    }
  }
  return out;
}

Image Crop(const Image& in, int x0, int y0, int w, int h) {
  Image out = Blank(w, h, in.channels);
  const size_t c = size_t(in.channels);
  for (int y = 0; y < h; y++) {
    std::copy_n(&in.pixels[(size_t(y + y0) * in.width + x0) * c], size_t(w) * c,
                &out.pixels[size_t(y) * w * c]);
  }
  return out;
}

// Puts `in` on a canvas `pad` pixels larger on every side, filled with `value`.
Image Border(const Image& in, int pad_x, int pad_y, uint8_t value) {
  Image out = Blank(in.width + 2 * pad_x, in.height + 2 * pad_y, in.channels);
  std::fill(out.pixels.begin(), out.pixels.end(), value);
  const size_t c = size_t(in.channels);
  for (int y = 0; y < in.height; y++) {
    std::copy_n(&in.pixels[size_t(y) * in.width * c], size_t(in.width) * c,
                &out.pixels[(size_t(y + pad_y) * out.width + pad_x) * c]);
  }
  return out;
}

struct JpegOut {
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  ~JpegOut() { free(buf); }
};

// Encodes with libjpeg; `app1` (when not empty) is written as an APP1 segment.
std::string EncodeJpeg(const Image& im, int quality, bool progressive = false,
                       const std::string& app1 = "") {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  JpegOut out;
  jpeg_mem_dest(&c, &out.buf, &out.size);
  c.image_width = JDIMENSION(im.width);
  c.image_height = JDIMENSION(im.height);
  c.input_components = im.channels;
  c.in_color_space = im.channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, quality, TRUE);
  if (progressive) jpeg_simple_progression(&c);
  jpeg_start_compress(&c, TRUE);
  if (!app1.empty()) {
    jpeg_write_marker(&c, JPEG_APP0 + 1, reinterpret_cast<const JOCTET*>(app1.data()),
                      unsigned(app1.size()));
  }
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(
        &im.pixels[size_t(c.next_scanline) * size_t(im.width) * size_t(im.channels)]);
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  return std::string(reinterpret_cast<char*>(out.buf), out.size);
}

std::string EncodePng(const Image& im) {
  png_image p{};
  p.version = PNG_IMAGE_VERSION;
  p.width = png_uint_32(im.width);
  p.height = png_uint_32(im.height);
  p.format = im.channels == 4   ? PNG_FORMAT_RGBA
             : im.channels == 3 ? PNG_FORMAT_RGB
                                : PNG_FORMAT_GRAY;
  png_alloc_size_t size = 0;
  EXPECT_TRUE(png_image_write_to_memory(&p, nullptr, &size, 0, im.pixels.data(), 0, nullptr));
  std::string out(size, '\0');
  EXPECT_TRUE(png_image_write_to_memory(&p, out.data(), &size, 0, im.pixels.data(), 0, nullptr));
  out.resize(size);
  return out;
}

Image Decode(const std::string& bytes) {
  auto r = DecodeImage(Bytes(bytes));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(*r) : Image{};
}

// An EXIF block (after "Exif\0\0") holding only an orientation tag.
std::string ExifWithOrientation(int orientation, bool little_endian) {
  std::string t;
  auto u16 = [&](unsigned v) {
    if (little_endian) {
      t += char(v & 0xFF), t += char(v >> 8);
    } else {
      t += char(v >> 8), t += char(v & 0xFF);
    }
  };
  auto u32 = [&](unsigned v) {
    if (little_endian) {
      u16(v & 0xFFFF), u16(v >> 16);
    } else {
      u16(v >> 16), u16(v & 0xFFFF);
    }
  };
  t += little_endian ? "II" : "MM";
  u16(42);
  u32(8);  // IFD0 right after the header
  u16(1);  // one entry
  u16(0x0112), u16(3), u32(1), u16(unsigned(orientation)), u16(0);
  u32(0);  // no next IFD
  return t;
}

// ---------------------------------------------------------------- hash format

TEST(PdqHash, HexIsBigEndianWithBitZeroLast) {
  Hash h;
  h.words[0] = 1;
  EXPECT_EQ(ToHex(h), std::string(63, '0') + "1");
  Hash top;
  top.words[3] = uint64_t{1} << 63;
  EXPECT_EQ(ToHex(top), "8" + std::string(63, '0'));
  EXPECT_TRUE(top.bit(255));
  EXPECT_FALSE(top.bit(0));
  const std::string hex = "f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22";
  EXPECT_EQ(ToHex(Hex(hex)), hex);
  EXPECT_EQ(Hex("F8F8F0CCE0F4E84D0E370A22028F67F0B36E2ED596623E1D33E6339C4E9C9B22"), Hex(hex));
  EXPECT_EQ(Distance(Hex(hex), Hex(hex)), 0);
  Hash all;
  all.words = {~0ull, ~0ull, ~0ull, ~0ull};
  EXPECT_EQ(Distance(all, Hash{}), 256);
  EXPECT_EQ(Distance(h, Hash{}), 1);
}

TEST(PdqHash, BadHexIsRefusedWithTheReason) {
  auto short_one = HashFromHex("abc");
  ASSERT_FALSE(short_one.ok());
  EXPECT_EQ(short_one.status().code(), core::Code::kInvalidArgument);
  EXPECT_NE(short_one.status().message().find("64 hex digits"), std::string::npos);
  auto bad = HashFromHex(std::string(63, '0') + "g");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("character 64"), std::string::npos);
}

TEST(PdqHash, HaystackHashesRoundTrip) {
  SKIP_WITHOUT_TESTDATA();
  std::ifstream f(kDir + "reg-test-input/haystack.txt");
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    auto h = HashFromHex(line);
    ASSERT_TRUE(h.ok()) << line;
    ASSERT_EQ(ToHex(*h), line);
    n++;
  }
  EXPECT_EQ(n, 1350);
}

// ---------------------------------------------------------------- conformance

TEST(PdqConformance, CppReferenceGoldens) {
  SKIP_WITHOUT_TESTDATA();
  const std::vector<Row> rows = ReadCsv("expected/cpp-reference.csv");
  ASSERT_EQ(rows.size(), 16u);
  const std::map<std::string, int> quality = {{"reg-test-input/labelme-subset/q0003.jpg", 3},
                                              {"reg-test-input/labelme-subset/q0004.jpg", 4}};
  for (const Row& row : rows) {
    const ImageHash h = HashFile(row.path);
    const int d = Distance(h.hash(), Hex(row.hash));
    const bool exact = row.path.find("q0291") != std::string::npos ||
                       row.path.find("q1050") != std::string::npos ||
                       row.path.find("q2821") != std::string::npos;
    if (exact) {
      EXPECT_EQ(d, 0) << row.path << ": " << ToHex(h.hash());
      EXPECT_EQ(h.quality(), 100) << row.path;
    } else if (h.quality() >= 80) {
      EXPECT_LE(d, 10) << row.path << ": " << ToHex(h.hash());
    }
    if (!row.quality.empty()) {
      EXPECT_EQ(h.quality(), std::stoi(row.quality)) << row.path;
    }
    if (auto q = quality.find(row.path); q != quality.end()) {
      EXPECT_EQ(h.quality(), q->second) << row.path;
      EXPECT_LT(h.quality(), kMinUsefulQuality);
    }
  }
}

TEST(PdqConformance, DegenerateAndTinyImages) {
  SKIP_WITHOUT_TESTDATA();
  std::map<std::string, std::string> python;
  for (const Row& r : ReadCsv("expected/python-pil-reference.csv")) python[r.path] = r.hash;
  // A smooth gradient: nothing to hash. Quality 0 and the upstream degenerate hash.
  const ImageHash small = HashFile("misc-images/small.jpg");
  EXPECT_EQ(small.quality(), 0);
  EXPECT_LE(Distance(small.hash(), Hex(python["misc-images/small.jpg"])), 4);
  // 34x42 pixels: still hashable, close to upstream.
  const ImageHash wee = HashFile("misc-images/wee.jpg");
  EXPECT_EQ(wee.width, 34);
  EXPECT_EQ(wee.height, 42);
  EXPECT_EQ(wee.quality(), 100);
  EXPECT_LE(Distance(wee.hash(), Hex(python["misc-images/wee.jpg"])), 10);
  // Under 5 pixels on a side: the zero hash, quality 0 (upstream's rule).
  Image tiny = Blank(4, 40);
  for (size_t i = 0; i < tiny.pixels.size(); i++) tiny.pixels[i] = uint8_t(i * 37);
  const Result t = HashOf(tiny);
  EXPECT_EQ(t.hash, Hash{});
  EXPECT_EQ(t.quality, 0);
  const Result flat = HashOf(Blank(100, 100));
  EXPECT_EQ(flat.quality, 0);
}

TEST(PdqConformance, RgbaPngAlphaIsDropped) {
  SKIP_WITHOUT_TESTDATA();
  const ImageHash pen = HashFile("reg-test-input/pen-and-coaster.png");
  EXPECT_EQ(pen.format, "png");
  EXPECT_EQ(pen.width, 924);
  EXPECT_EQ(pen.height, 735);
  EXPECT_EQ(pen.quality(), 100);
  for (const Row& r : ReadCsv("expected/cpp-reference.csv")) {
    if (r.path == "reg-test-input/pen-and-coaster.png") {
      EXPECT_LE(Distance(pen.hash(), Hex(r.hash)), 10) << ToHex(pen.hash());
    }
  }
  // The same colours with any alpha hash the same, from a PNG or from RGBA pixels.
  const Image rgb = DecodeFile("reg-test-input/labelme-subset/q2821.jpg");
  Image rgba = Blank(rgb.width, rgb.height, 4);
  for (size_t i = 0; i < size_t(rgb.width) * rgb.height; i++) {
    std::copy_n(&rgb.pixels[i * 3], 3, &rgba.pixels[i * 4]);
    rgba.pixels[i * 4 + 3] = uint8_t(i * 7);
  }
  const Hash expected = HashOf(rgb).hash;
  EXPECT_EQ(HashOf(rgba).hash, expected);
  auto from_png = HashImage(Bytes(EncodePng(rgba)));
  ASSERT_TRUE(from_png.ok()) << from_png.status().ToString();
  EXPECT_EQ(from_png->hash(), expected);
}

std::map<std::string, std::string> DihedralFiles() {
  std::map<std::string, std::string> files;  // transform name -> file
  std::ifstream f(kDir + "expected/dihedral.csv");
  std::string line;
  std::getline(f, line);
  while (std::getline(f, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    files[cells[0]] = cells[2];
  }
  return files;
}

// The 8 hashes computed in the DCT domain from the original each match the golden of the
// file that really has that transform, and none of the other seven.
TEST(PdqConformance, DihedralHashesMatchTheTransformedFiles) {
  SKIP_WITHOUT_TESTDATA();
  std::map<std::string, Hash> golden;
  for (const Row& r : ReadCsv("expected/cpp-reference.csv")) golden[r.path] = Hex(r.hash);
  const std::map<std::string, std::string> files = DihedralFiles();
  ASSERT_EQ(files.size(), 8u);
  const ImageHash orig = HashFile("reg-test-input/dih/bridge-1-original.jpg");
  std::map<std::string, Hash> ours;
  for (const auto& [name, file] : files) ours[file] = HashFile(file).hash();
  for (int d = 0; d < kDihedralCount; d++) {
    const std::string name(DihedralName(Dihedral(d)));
    ASSERT_TRUE(files.count(name)) << name;
    const Hash& mine = orig.dihedral.hashes[size_t(d)];
    for (const auto& [other_name, file] : files) {
      const int to_golden = Distance(mine, golden[file]);
      const int to_own = Distance(mine, ours[file]);
      if (other_name == name) {
        EXPECT_LE(to_golden, 10) << name << " vs " << file;
        EXPECT_LE(to_own, 10) << name << " vs our hash of " << file;
      } else {
        EXPECT_GE(to_golden, 90) << name << " vs " << file;
      }
    }
  }
  // Without dihedral hashing a rotated copy does not match.
  EXPECT_GT(Distance(orig.hash(), ours[files.at("rot90")]), 90);
}

TEST(PdqConformance, EditedCopiesOfTheBridgeStayWithinTheMatchDistance) {
  SKIP_WITHOUT_TESTDATA();
  std::map<std::string, std::string> python;
  for (const Row& r : ReadCsv("expected/python-pil-reference.csv")) python[r.path] = r.hash;
  const Hash orig = HashFile("reg-test-input/dih/bridge-1-original.jpg").hash();
  const char* mods[] = {"blur-a-little",    "blur-a-lot",     "high-contrast",   "high-saturation",
                        "sharpen-a-little", "sharpen-a-lot",  "shrink-a-little", "shrink-a-lot",
                        "square-128x128",   "square-256x256", "square-512x512"};
  for (const char* m : mods) {
    const std::string path = std::string("bridge-mods/") + m + ".jpg";
    const ImageHash h = HashFile(path);
    EXPECT_EQ(h.quality(), 100) << path;
    EXPECT_LE(Distance(h.hash(), orig), 20) << path;  // upstream: 0-18; match at <= 31
    // The upstream Python test allows 16 between ports.
    EXPECT_LE(Distance(h.hash(), Hex(python[path])), 16) << path;
  }
}

// HashImage decodes a JPEG over kExactDecodeMaxPixels as luma only (and DCT-scaled from a
// shorter side of 2 x kMinScaledShortSide up); smaller ones, and every JPEG with
// exact_decode, in full RGB. Both stay within the goldens' tolerance; exact_decode gives
// exactly the hash of DecodeImage's pixels (the reference's path).
TEST(PdqConformance, LargeJpegsAreHashedFromLumaAndStillMatchTheGoldens) {
  SKIP_WITHOUT_TESTDATA();
  ImageHashOptions exact;
  exact.exact_decode = true;
  for (const Row& row : ReadCsv("expected/cpp-reference.csv")) {
    if (row.path.find(".jpg") == std::string::npos) continue;
    const ImageHash fast = HashFile(row.path);
    const ImageHash full = HashFile(row.path, exact);
    const Image pixels = DecodeFile(row.path);
    const bool large = uint64_t(pixels.width) * uint64_t(pixels.height) > kExactDecodeMaxPixels;
    EXPECT_EQ(fast.luma_only, large) << row.path;
    EXPECT_FALSE(full.luma_only) << row.path;
    EXPECT_EQ(full.hash(), HashOf(pixels).hash) << row.path;
    EXPECT_EQ(full.quality(), fast.quality()) << row.path;
    for (const ImageHash* h : {&fast, &full}) {
      EXPECT_EQ(h->width, pixels.width) << row.path;
      EXPECT_EQ(h->height, pixels.height) << row.path;
      // Under 1536 pixels on the shorter side: never scaled.
      EXPECT_EQ(h->hashed_width, pixels.width) << row.path;
      EXPECT_EQ(h->hashed_height, pixels.height) << row.path;
    }
    if (!large) {
      EXPECT_EQ(fast.hash(), full.hash()) << row.path;
    } else {
      EXPECT_EQ(fast.quality(), 100) << row.path;
      const int to_golden = Distance(fast.hash(), Hex(row.hash));
      const int to_exact = Distance(fast.hash(), full.hash());
      std::printf("%s: luma only %d bits from the golden, %d from the RGB decode's hash\n",
                  row.path.c_str(), to_golden, to_exact);
      EXPECT_LE(to_golden, 8) << row.path;  // as the RGB decode: 2-8 (PdqConformance)
      EXPECT_LE(to_exact, 2) << row.path;
    }
  }
  // A 3200x2008 JPEG (the bridge with every pixel doubled) is decoded at 1/2 in the DCT
  // domain, luma only: it hashes the 1600x1004 grid, still near the golden.
  const Image bridge = DecodeFile("reg-test-input/dih/bridge-1-original.jpg");
  Image doubled = Blank(bridge.width * 2, bridge.height * 2);
  for (int y = 0; y < doubled.height; y++) {
    for (int x = 0; x < doubled.width; x++) {
      std::copy_n(&bridge.pixels[(size_t(y / 2) * bridge.width + size_t(x / 2)) * 3], 3,
                  &doubled.pixels[(size_t(y) * doubled.width + size_t(x)) * 3]);
    }
  }
  const std::string big = EncodeJpeg(doubled, 90);
  auto fast = HashImage(Bytes(big));
  ASSERT_TRUE(fast.ok());
  EXPECT_TRUE(fast->luma_only);
  EXPECT_EQ(fast->width, 3200);
  EXPECT_EQ(fast->height, 2008);
  EXPECT_EQ(fast->hashed_width, 1600);
  EXPECT_EQ(fast->hashed_height, 1004);
  Hash golden;
  for (const Row& r : ReadCsv("expected/cpp-reference.csv")) {
    if (r.path == "reg-test-input/dih/bridge-1-original.jpg") golden = Hex(r.hash);
  }
  const Hash original = HashOf(bridge).hash;
  std::printf(
      "bridge-1 doubled, scaled back by the decoder: %d bits from the golden, %d from "
      "the original's hash\n",
      Distance(fast->hash(), golden), Distance(fast->hash(), original));
  EXPECT_LE(Distance(fast->hash(), golden), 10);
  EXPECT_LE(Distance(fast->hash(), original), 4);
  // EXIF orientation is applied to the scaled picture as to a full one.
  const std::string tagged =
      EncodeJpeg(doubled, 90, false, "Exif" + std::string(2, '\0') + ExifWithOrientation(6, true));
  ImageHashOptions displayed;
  displayed.apply_exif_orientation = true;
  auto shown = HashImage(Bytes(tagged), displayed);
  ASSERT_TRUE(shown.ok());
  EXPECT_TRUE(shown->orientation_applied);
  EXPECT_TRUE(shown->luma_only);
  EXPECT_EQ(shown->exif_orientation, 6);
  EXPECT_EQ(shown->width, 3200);
  EXPECT_LE(Distance(shown->hash(), HashOf(Oriented(bridge, 6)).hash), 4);
  EXPECT_GT(Distance(shown->hash(), fast->hash()), 60);
  // The fast path keeps the limits and refuses damage as the full decode does.
  ImageHashOptions small;
  small.limits.max_pixels = 3200 * 2007;
  auto refused = HashImage(Bytes(big), small);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), core::Code::kResourceExhausted);
  for (size_t n : {big.size() / 3, big.size() / 2, big.size() - 1}) {
    auto cut = HashImage(Bytes(big.substr(0, n)));
    ASSERT_FALSE(cut.ok()) << n;
    EXPECT_EQ(cut.status().code(), core::Code::kIntegrity) << cut.status().ToString();
  }
}

// ---------------------------------------------------------------- dihedral vs pixels

// Which dihedral hash approximates the image shown under each EXIF orientation.
constexpr Dihedral kForOrientation[9] = {
    Dihedral::kOriginal,  Dihedral::kOriginal,   Dihedral::kFlipY,
    Dihedral::kRotate180, Dihedral::kFlipX,      Dihedral::kFlipPlus1,
    Dihedral::kRotate270, Dihedral::kFlipMinus1, Dihedral::kRotate90};

TEST(PdqDihedral, EachOfTheEightEqualsTheHashOfThePixelsTransformed) {
  SKIP_WITHOUT_TESTDATA();
  // Photos big enough for the tent filter to blur over the sampling grid; on 256x256
  // thumbnails a mirror shifts the grid by a pixel against a 3-pixel tent, and the
  // DCT-domain hash is 26-64 bits from the mirrored pixels' (PdqRobustness).
  // 512x512 samples every 8 pixels under a tent of 7: 12-26 bits, still within 31.
  const std::vector<std::pair<const char*, int>> files = {
      {"reg-test-input/dih/bridge-1-original.jpg", 10},
      {"bridge-mods/shrink-a-little.jpg", 10},
      {"reg-test-input/pen-and-coaster.png", 12},
      {"bridge-mods/square-512x512.jpg", 30}};
  for (const auto& [file, tolerance] : files) {
    const Image image = DecodeFile(file);
    auto all = HashPixelsDihedral(image.view());
    ASSERT_TRUE(all.ok());
    EXPECT_EQ((*all)[Dihedral::kOriginal], HashOf(image).hash);
    for (int o = 2; o <= 8; o++) {
      const Hash shown = HashOf(Oriented(image, o)).hash;
      EXPECT_LE(Distance((*all)[kForOrientation[o]], shown), tolerance)
          << file << " orientation " << o << " as " << DihedralName(kForOrientation[o]);
      EXPECT_GE(Distance(all->hashes[0], shown), 60) << file << " orientation " << o;
      std::printf("%s orientation %d as %s: %d bits\n", file, o,
                  std::string(DihedralName(kForOrientation[o])).c_str(),
                  Distance((*all)[kForOrientation[o]], shown));
    }
  }
}

// ---------------------------------------------------------------- robustness

struct Edit {
  const char* name;
  int max_distance;
  std::function<Image(const Image&)> apply;
};

TEST(PdqRobustness, ReuploadEditsStayNearAndUnrelatedImagesStayFar) {
  SKIP_WITHOUT_TESTDATA();
  auto recompress = [](int q) {
    return [q](const Image& im) { return Decode(EncodeJpeg(im, q)); };
  };
  auto crop = [](int pct10) {  // pct10: tenths of a percent cut from each side
    return [pct10](const Image& im) {
      const int dx = im.width * pct10 / 1000, dy = im.height * pct10 / 1000;
      return Crop(im, dx, dy, im.width - 2 * dx, im.height - 2 * dy);
    };
  };
  auto border = [](int pct10) {
    return [pct10](const Image& im) {
      return Border(im, im.width * pct10 / 1000, im.height * pct10 / 1000, 255);
    };
  };
  const std::vector<Edit> edits = {
      {"jpeg q75", 10, recompress(75)},
      {"jpeg q30", 10, recompress(30)},
      {"half size", 12, [](const Image& im) { return Resize(im, im.width / 2, im.height / 2); }},
      {"0.7x, jpeg q60", 20,
       [](const Image& im) {
         return Decode(EncodeJpeg(Resize(im, im.width * 7 / 10, im.height * 7 / 10), 60));
       }},
      {"squashed square", 31, [](const Image& im) { return Resize(im, 256, 256); }},
      {"crop 0.5%", 20, crop(5)},
      {"crop 1%", 31, crop(10)},
      // Further crops and borders move the whole picture against the DCT basis: measured
      // 34-48 bits at 2%, 82-148 at 5%, so not found at the default distance.
      {"crop 2%", 256, crop(20)},
      {"border 0.5%", 20, border(5)},
      {"border 1%", 31, border(10)},
      {"border 2%", 256, border(20)},
      {"grey", 6,
       [](const Image& im) {
         Image g = Blank(im.width, im.height, 1);
         for (size_t i = 0; i < g.pixels.size(); i++) {
           g.pixels[i] =
               uint8_t(std::lround(0.299 * im.pixels[3 * i] + 0.587 * im.pixels[3 * i + 1] +
                                   0.114 * im.pixels[3 * i + 2]));
         }
         return g;
       }},
  };
  // Photos of 0.25 to 0.83 megapixels: what the thresholds above are for.
  const std::vector<std::string> photos = {"bridge-mods/shrink-a-little.jpg",
                                           "reg-test-input/pen-and-coaster.png",
                                           "bridge-mods/square-512x512.jpg"};
  for (const std::string& f : photos) {
    const Image image = DecodeFile(f);
    const Result orig = HashOf(image);
    std::printf("%s:", f.c_str());
    for (const Edit& e : edits) {
      const Result r = HashOf(e.apply(image));
      const int d = Distance(r.hash, orig.hash);
      std::printf(" %s %d,", e.name, d);
      EXPECT_LE(d, e.max_distance) << f << ", " << e.name;
      EXPECT_GE(r.quality, kMinUsefulQuality) << f << ", " << e.name;
    }
    // Mirrored and rotated copies, re-encoded: found through the dihedral hashes.
    auto copy_of = HashPixelsDihedral(image.view());
    ASSERT_TRUE(copy_of.ok());
    for (int o : {2, 4, 6, 8}) {
      const Image turned = Decode(EncodeJpeg(Oriented(image, o), 80));
      const int d = copy_of->MinDistance(HashOf(turned).hash);
      std::printf(" orientation %d %d,", o, d);
      EXPECT_LE(d, 24) << f << " orientation " << o;
      EXPECT_GT(Distance(copy_of->hashes[0], HashOf(turned).hash), 60) << f << " " << o;
    }
    std::printf("\n");
  }
  // 256x256 thumbnails have little to blur (a tent of 3 pixels, sampled every 4): they
  // survive re-compression, but a half-size copy or a mirror moves them 10-64 bits.
  const std::vector<std::string> thumbs = {
      "reg-test-input/labelme-subset/q0122.jpg", "reg-test-input/labelme-subset/q0291.jpg",
      "reg-test-input/labelme-subset/q0746.jpg", "reg-test-input/labelme-subset/q1050.jpg",
      "reg-test-input/labelme-subset/q2821.jpg"};
  std::vector<Hash> unrelated = {HashFile(photos[0]).hash(), HashFile(photos[1]).hash()};
  for (const std::string& f : thumbs) {
    const Image image = DecodeFile(f);
    const Result orig = HashOf(image);
    unrelated.push_back(orig.hash);
    EXPECT_LE(Distance(HashOf(Decode(EncodeJpeg(image, 75))).hash, orig.hash), 4) << f;
  }
  // Unrelated pictures are far apart: nowhere near the match distance of 31.
  for (size_t i = 0; i < unrelated.size(); i++) {
    for (size_t j = i + 1; j < unrelated.size(); j++) {
      EXPECT_GE(Distance(unrelated[i], unrelated[j]), 96) << i << " vs " << j;
    }
  }
}

TEST(PdqRobustness, HugeImagesAreReducedFirstWithoutMovingTheHash) {
  SKIP_WITHOUT_TESTDATA();
  // The default limit is 16 Mi pixels; a lower one exercises the same reduction on a photo
  // small enough for the sanitizer build: 1600x1004 over 1 Mi pixels is averaged 2x2.
  const Image photo = DecodeFile("reg-test-input/dih/bridge-1-original.jpg");
  HashOptions reduce;
  reduce.max_filter_pixels = 1u << 20;
  HashOptions full;
  full.max_filter_pixels = 0;
  auto reduced = HashPixels(photo.view(), reduce);
  auto unreduced = HashPixels(photo.view(), full);
  ASSERT_TRUE(reduced.ok() && unreduced.ok());
  EXPECT_EQ(unreduced->hash, HashOf(photo).hash);  // under the default limit: not reduced
  EXPECT_LE(Distance(reduced->hash, unreduced->hash), 8);
  EXPECT_EQ(reduced->quality, unreduced->quality);
  std::printf("2x2-reduced vs full: %d bits\n", Distance(reduced->hash, unreduced->hash));
}

// ---------------------------------------------------------------- pixels in memory

TEST(PdqPixels, PaddedRowsHashLikePackedOnes) {
  SKIP_WITHOUT_TESTDATA();
  const Image image = DecodeFile("reg-test-input/labelme-subset/q0291.jpg");
  const size_t row = size_t(image.width) * 3, stride = row + 29;
  std::vector<uint8_t> padded(stride * size_t(image.height), 0xAB);
  for (int y = 0; y < image.height; y++) {
    std::copy_n(&image.pixels[size_t(y) * row], row, &padded[size_t(y) * stride]);
  }
  auto r = HashPixels(PixelView{padded, image.width, image.height, stride, 3});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ToHex(r->hash), "a0fe94f1e5cc1cc8dd855948498dc9243f7ca27336f036d7f212b74bc103c9a7");
}

TEST(PdqPixels, ViewsThatDoNotFitTheirBufferAreRefused) {
  std::vector<uint8_t> buf(100 * 100 * 3);
  EXPECT_FALSE(HashPixels(PixelView{buf, 100, 100, 299, 3}).ok());  // rows overlap
  EXPECT_FALSE(HashPixels(PixelView{buf, 100, 101, 300, 3}).ok());  // one row short
  EXPECT_FALSE(HashPixels(PixelView{buf, 100, 100, 300, 2}).ok());  // 2 channels
  EXPECT_FALSE(HashPixels(PixelView{buf, -1, 100, 300, 3}).ok());
  EXPECT_TRUE(HashPixels(PixelView{buf, 100, 100, 300, 3}).ok());
  auto zero = HashPixels(PixelView{{}, 0, 0, 0, 3});
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->quality, 0);
}

// Writes a 16-bit, optionally Adam7-interlaced PNG of `im` (RGB or grey) with libpng's
// classic API (each 8-bit value v becomes v * 257).
std::string EncodePng16(const Image& im, bool interlaced) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep data, size_t n) {
        static_cast<std::string*>(png_get_io_ptr(p))->append(reinterpret_cast<char*>(data), n);
      },
      nullptr);
  png_set_IHDR(png, info, png_uint_32(im.width), png_uint_32(im.height), 16,
               im.channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
               interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  std::vector<uint8_t> wide(im.pixels.size() * 2);
  for (size_t i = 0; i < im.pixels.size(); i++) wide[2 * i] = wide[2 * i + 1] = im.pixels[i];
  std::vector<png_bytep> rows(size_t(im.height));
  for (size_t y = 0; y < rows.size(); y++) {
    rows[y] = &wide[y * size_t(im.width) * size_t(im.channels) * 2];
  }
  png_set_rows(png, info, rows.data());
  png_write_png(png, info, PNG_TRANSFORM_IDENTITY, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

TEST(PdqDecode, PngVariantsGiveTheSamePixels) {
  SKIP_WITHOUT_TESTDATA();
  const Image rgb = DecodeFile("reg-test-input/labelme-subset/q2821.jpg");
  // 16-bit, plain and interlaced: scaled back to exactly the 8-bit values.
  for (bool interlaced : {false, true}) {
    const Image back = Decode(EncodePng16(rgb, interlaced));
    EXPECT_EQ(back.channels, 3);
    EXPECT_EQ(back.pixels, rgb.pixels) << "interlaced " << interlaced;
  }
  // A palette with transparency (64 colours): expanded to RGB, the transparency dropped.
  Image quantised = rgb;
  for (uint8_t& v : quantised.pixels) v = uint8_t((v & 0xC0) | 0x20);
  Image with_alpha = Blank(rgb.width, rgb.height, 4);
  for (size_t i = 0; i < size_t(rgb.width) * rgb.height; i++) {
    std::copy_n(&quantised.pixels[i * 3], 3, &with_alpha.pixels[i * 4]);
    with_alpha.pixels[i * 4 + 3] = (quantised.pixels[i * 3] & 0x40) ? 255 : 0;
  }
  png_image p{};
  p.version = PNG_IMAGE_VERSION;
  p.width = png_uint_32(rgb.width);
  p.height = png_uint_32(rgb.height);
  p.format = PNG_FORMAT_RGBA_COLORMAP;
  std::vector<uint8_t> indices(size_t(rgb.width) * rgb.height), colormap(256 * 4);
  std::map<uint32_t, uint8_t> palette;
  for (size_t i = 0; i < indices.size(); i++) {
    const uint8_t* px = &with_alpha.pixels[i * 4];
    const uint32_t key = uint32_t(px[0]) << 24 | uint32_t(px[1]) << 16 | px[2] << 8 | px[3];
    auto [it, added] = palette.emplace(key, uint8_t(palette.size()));
    if (added) std::copy_n(px, 4, &colormap[size_t(it->second) * 4]);
    indices[i] = it->second;
  }
  ASSERT_LE(palette.size(), 256u);
  p.colormap_entries = png_uint_32(palette.size());
  png_alloc_size_t size = 0;
  ASSERT_TRUE(png_image_write_to_memory(&p, nullptr, &size, 0, indices.data(), 0, colormap.data()));
  std::string png(size, '\0');
  ASSERT_TRUE(
      png_image_write_to_memory(&p, png.data(), &size, 0, indices.data(), 0, colormap.data()));
  png.resize(size);
  const Image pal = Decode(png);
  EXPECT_EQ(pal.channels, 3);
  EXPECT_EQ(pal.pixels, quantised.pixels);
  // Grey with alpha: the grey values.
  Image ga = Blank(rgb.width, rgb.height, 2);
  for (size_t i = 0; i < size_t(rgb.width) * rgb.height; i++) {
    ga.pixels[2 * i] = rgb.pixels[3 * i];
    ga.pixels[2 * i + 1] = uint8_t(i);
  }
  png_image g{};
  g.version = PNG_IMAGE_VERSION;
  g.width = png_uint_32(rgb.width);
  g.height = png_uint_32(rgb.height);
  g.format = PNG_FORMAT_GA;
  size = 0;
  ASSERT_TRUE(png_image_write_to_memory(&g, nullptr, &size, 0, ga.pixels.data(), 0, nullptr));
  std::string gpng(size, '\0');
  ASSERT_TRUE(png_image_write_to_memory(&g, gpng.data(), &size, 0, ga.pixels.data(), 0, nullptr));
  gpng.resize(size);
  const Image grey = Decode(gpng);
  ASSERT_EQ(grey.channels, 1);
  for (size_t i = 0; i < grey.pixels.size(); i++) ASSERT_EQ(grey.pixels[i], rgb.pixels[3 * i]);
}

// ---------------------------------------------------------------- EXIF orientation

TEST(PdqExif, OrientationIsReadInBothByteOrdersAndNeverOutOfBounds) {
  for (int o = 1; o <= 8; o++) {
    for (bool le : {true, false}) {
      const std::string t = ExifWithOrientation(o, le);
      EXPECT_EQ(ExifOrientation(Bytes(t)), o);
    }
  }
  const std::string good = ExifWithOrientation(6, true);
  for (size_t n = 0; n < good.size(); n++) {  // every truncation: no tag, or a tag
    const int o = ExifOrientation(Bytes(good.substr(0, n)));
    EXPECT_TRUE(o == 0 || o == 6) << n;
  }
  EXPECT_EQ(ExifOrientation(Bytes(ExifWithOrientation(9, true))), 0);
  std::string far = good;
  far[4] = '\xF0';  // IFD offset beyond the block
  EXPECT_EQ(ExifOrientation(Bytes(far)), 0);
}

TEST(PdqExif, StoredGridByDefaultDisplayedOnRequest) {
  SKIP_WITHOUT_TESTDATA();
  const Image image = DecodeFile("reg-test-input/dih/bridge-1-original.jpg");  // 1600x1004
  const std::string plain = EncodeJpeg(image, 90);
  const std::string tagged =
      EncodeJpeg(image, 90, false, "Exif" + std::string(2, '\0') + ExifWithOrientation(6, false));
  auto a = HashImage(Bytes(plain));
  auto b = HashImage(Bytes(tagged));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->exif_orientation, 0);
  EXPECT_EQ(b->exif_orientation, 6);
  EXPECT_FALSE(b->orientation_applied);
  EXPECT_EQ(b->hash(), a->hash());  // the reference ignores the tag; so do we by default
  ImageHashOptions displayed;
  displayed.apply_exif_orientation = true;
  auto c = HashImage(Bytes(tagged), displayed);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->orientation_applied);
  EXPECT_EQ(c->width, 1600);  // the stored size
  EXPECT_EQ(c->hash(), HashOf(Oriented(Decode(plain), 6)).hash);
  EXPECT_GT(Distance(c->hash(), a->hash()), 60);
  // Either way the other policy's hash is among the 8.
  EXPECT_LE(a->dihedral.MinDistance(c->hash()), 10);
  EXPECT_LE(c->dihedral.MinDistance(a->hash()), 10);
}

// ---------------------------------------------------------------- bad input

TEST(PdqDecode, NotAnImage) {
  for (const std::string& bytes : {std::string(), std::string("hello"), std::string("GIF89a")}) {
    auto r = DecodeImage(Bytes(bytes));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), core::Code::kInvalidArgument);
  }
}

TEST(PdqDecode, LimitsRefuseBeforeDecoding) {
  SKIP_WITHOUT_TESTDATA();
  const std::string jpeg = ReadAll(kDir + "reg-test-input/labelme-subset/q0291.jpg");
  DecodeLimits small;
  small.max_pixels = 256 * 255;
  auto r = DecodeImage(Bytes(jpeg), small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::Code::kResourceExhausted);
  EXPECT_NE(r.status().message().find("256x256"), std::string::npos) << r.status().message();
  const std::string png = EncodePng(Decode(jpeg));
  auto p = DecodeImage(Bytes(png), small);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), core::Code::kResourceExhausted);

  // A progressive JPEG has about ten scans; allow three.
  const std::string progressive = EncodeJpeg(Decode(jpeg), 85, true);
  ASSERT_TRUE(DecodeImage(Bytes(progressive)).ok());
  DecodeLimits few_scans;
  few_scans.max_jpeg_scans = 3;
  auto s = DecodeImage(Bytes(progressive), few_scans);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), core::Code::kResourceExhausted);
  EXPECT_NE(s.status().message().find("scans"), std::string::npos);

  // A header that claims 65500 x 65500 pixels is refused without allocating them.
  std::string huge = jpeg;
  const size_t sof = huge.find("\xFF\xC0");
  ASSERT_NE(sof, std::string::npos);
  huge[sof + 5] = huge[sof + 7] = '\xFF';
  huge[sof + 6] = huge[sof + 8] = '\xDC';
  auto h = DecodeImage(Bytes(huge));
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), core::Code::kResourceExhausted);
}

// Truncated and corrupted copies of real files: every one decodes or fails with a message;
// nothing crashes (the sanitizer build runs this too), and no truncated file passes as whole.
TEST(PdqDecode, TruncatedAndCorruptedFilesFailCleanly) {
  SKIP_WITHOUT_TESTDATA();
  std::vector<std::pair<std::string, std::string>> samples = {
      {"q0291.jpg", ReadAll(kDir + "reg-test-input/labelme-subset/q0291.jpg")},
      {"wee.jpg", ReadAll(kDir + "misc-images/wee.jpg")},
      {"small.jpg", ReadAll(kDir + "misc-images/small.jpg")},
  };
  const Image wee = Decode(samples[1].second);
  samples.push_back({"progressive.jpg", EncodeJpeg(wee, 80, true)});
  samples.push_back({"wee.png", EncodePng(wee)});
  Image grey = Blank(wee.width, wee.height, 1);
  samples.push_back({"grey.png", EncodePng(grey)});
  std::mt19937 rng(6);  // deterministic
  int cases = 0, failed = 0;
  for (const auto& [name, bytes] : samples) {
    ASSERT_TRUE(DecodeImage(Bytes(bytes)).ok()) << name;
    // Truncations: about 40 lengths spread over the file, and the last few bytes.
    std::vector<size_t> lengths;
    for (size_t i = 0; i < 40; i++) lengths.push_back(bytes.size() * i / 40);
    for (size_t k = 1; k <= 3; k++) lengths.push_back(bytes.size() - k);
    for (size_t n : lengths) {
      auto r = DecodeImage(Bytes(bytes.substr(0, n)));
      cases++;
      EXPECT_FALSE(r.ok()) << name << " truncated to " << n << " of " << bytes.size();
      if (!r.ok()) {
        failed++;
        EXPECT_FALSE(r.status().message().empty());
      }
    }
    // Corruptions: random bytes overwritten, bits flipped, a stretch zeroed.
    for (int i = 0; i < 40; i++) {
      std::string bad = bytes;
      const int kind = i % 3;
      const size_t at = 8 + rng() % (bad.size() - 8);  // keep the signature
      if (kind == 0) {
        for (int k = 0; k < 4; k++) bad[8 + rng() % (bad.size() - 8)] = char(rng());
      } else if (kind == 1) {
        bad[at] = char(bad[at] ^ (1 << (rng() % 8)));
      } else {
        std::fill(bad.begin() + at, bad.begin() + std::min(bad.size(), at + 64), '\0');
      }
      auto r = DecodeImage(Bytes(bad));
      cases++;
      if (r.ok()) {
        // Whatever decodes must hash.
        EXPECT_TRUE(HashPixelsDihedral(r->view()).ok());
      } else {
        failed++;
        EXPECT_FALSE(r.status().message().empty());
        EXPECT_TRUE(r.status().code() == core::Code::kIntegrity ||
                    r.status().code() == core::Code::kResourceExhausted)
            << r.status().ToString();
      }
    }
  }
  EXPECT_GE(cases, 400);
  EXPECT_GT(failed, cases / 2);
}

}  // namespace
}  // namespace isnad::pdq
