#include "media/sniff.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace isnad::media {
namespace {

TEST(Sniff, RecognisesCommonEvidenceFormats) {
  EXPECT_EQ(SniffMediaType("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"),
            "application/pdf");
  EXPECT_EQ(SniffMediaType(std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16)), "image/png");
  EXPECT_EQ(SniffMediaType("The attack began at about 2:30 a.m.\n"), "text/plain");
  EXPECT_EQ(SniffMediaType(std::string("\xff\xd8\xff\xe0\0\x10JFIF\0", 11)), "image/jpeg");
}

TEST(Sniff, UnknownBytesAreOctetStream) {
  EXPECT_EQ(SniffMediaType(""), "application/x-empty");
  EXPECT_EQ(SniffMediaType(std::string("\x00\x01\x02\x03\xfe\xfd", 6)), "application/octet-stream");
}

// The leading bytes of real files of each format the signature table knows,
// as the tools that make them write them.
std::vector<std::string> SignatureHeads() {
  using std::string;
  return {
      string("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 20),
      string("\xff\xd8\xff\xe1\x00\x22"
             "Exif\x00\x00MM\x00*\x00\x00\x00\x08",
             20),
      string("\xff\xd8\xff\xdb\x00\x43\x00\x08\x06\x06\x07\x06\x05\x08", 14),
      string("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x01\x00\x00\x00\x00\xc0\x08\x02\x00\x00"
             "\x00",
             29),
      string("GIF89a\x40\x01\xf0\x00\xf7\x00\x00", 13),
      string("GIF87a\x10\x00\x10\x00\x80\x00\x00", 13),
      string("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
      string("RIFF\x24\x10\x00\x00WEBPVP8 \x18\x10\x00\x00\x30\x01\x00\x9d\x01\x2a", 26),
      string("RIFF\x24\x10\x00\x00WEBPVP8L\x18\x10\x00\x00\x2f\x3f", 22),
      string("RIFF\x24\x10\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x02\x00\x44\xac\x00\x00\x10\xb1"
             "\x02\x00\x04\x00\x10\x00",
             36),
      string("RIFF\x24\x10\x00\x00"
             "AVI LIST\x7e\x01\x00\x00hdrlavih\x38\x00\x00\x00",
             32),
      string("II*\x00\x08\x00\x00\x00\x0c\x00\x00\x01\x03\x00", 14),
      string("MM\x00*\x00\x00\x00\x08\x00\x0c\x01\x00\x00\x03", 14),
      string("fLaC\x00\x00\x00\x22\x10\x00\x10\x00", 12),
      string("\x00\x00\x00\x20"
             "ftypisom\x00\x00\x02\x00isomiso2avc1mp41",
             32),
      string("\x00\x00\x00\x18"
             "ftypmp42\x00\x00\x00\x00mp42isom",
             24),
      string("\x00\x00\x00\x1c"
             "ftypmp41\x00\x00\x00\x00mp41isom",
             24),
      string("\x00\x00\x00\x14"
             "ftypqt  \x20\x05\x03\x00qt  ",
             20),
  };
}

// Every row of the signature table answers what libmagic answers, for heads
// followed by random bytes (as a short file) and followed by zeros.
TEST(Sniff, SignatureTableAgreesWithLibmagic) {
  std::mt19937 rng(7);
  for (const std::string& head : SignatureHeads()) {
    std::string_view fast = SniffSignature(head);
    ASSERT_FALSE(fast.empty()) << "no table row for a head of " << head.size() << " bytes";
    std::string noisy = head;
    while (noisy.size() < 4096) noisy.push_back(static_cast<char>(rng()));
    std::string zeros = head + std::string(4096 - head.size(), '\0');
    for (const std::string& bytes : {head, noisy, zeros}) {
      EXPECT_EQ(SniffWithLibmagic(bytes), fast)
          << "table and libmagic disagree on a head starting " << testing::PrintToString(head);
      EXPECT_EQ(SniffMediaType(bytes), fast);
    }
  }
}

// Near misses fall through to libmagic rather than being guessed.
TEST(Sniff, NearMissesAreLeftToLibmagic) {
  using std::string;
  EXPECT_EQ(SniffSignature(string("\xff\xd8", 2)), "");
  EXPECT_EQ(SniffSignature("RIFF\x24\x10\x00\x00XXXX"), "");
  EXPECT_EQ(SniffSignature(string("\x00\x00\x00\x18"
                                  "ftypheic\x00\x00\x00\x00",
                                  16)),
            "");
  EXPECT_EQ(SniffSignature("GIF88a"), "");
  // An ID3 tag says nothing of what follows it; libmagic looks past it.
  EXPECT_EQ(SniffSignature(string("ID3\x03\x00\x00\x00\x00\x0f\x76", 10)), "");
  EXPECT_EQ(SniffSignature("The attack began"), "");
}

}  // namespace
}  // namespace isnad::media
