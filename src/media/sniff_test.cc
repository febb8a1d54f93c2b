#include "media/sniff.h"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace isnad::media
