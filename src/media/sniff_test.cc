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

// Web pages as servers send them: the HTML doctype first (in its spellings,
// after a byte order mark or white space), then markup, English and Arabic
// text, scripts, styles, comments and embedded SVG, from a few hundred bytes to
// past the 64 KiB that are sniffed (cut inside an Arabic letter, too).
TEST(Sniff, HtmlPagesAgreeWithLibmagic) {
  std::mt19937 rng(2013);
  const std::vector<std::string> opens = {
      "<!DOCTYPE html>",
      "<!doctype html>",
      "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" "
      "\"http://www.w3.org/TR/html4/strict.dtd\">",
      "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\">",
      "<!Doctype Html >",
  };
  const std::vector<std::string> leads = {"", "\n", "  \r\n\t", "\xef\xbb\xbf", "\xef\xbb\xbf\n"};
  const std::vector<std::string> parts = {
      "<html lang=\"ar\" dir=\"rtl\"><head><meta "
      "charset=\"utf-8\"><title>\xd8\xb2\xd9\x85\xd9\x84\xd9\x83\xd8\xa7</title></head>",
      "<body><h1>Report</h1><p>Witnesses in Zamalka described the attack at 2:30 a.m.</p>",
      "<p>\xd9\x82\xd8\xa7\xd9\x84 \xd8\xb4\xd8\xa7\xd9\x87\xd8\xaf "
      "\xd8\xb9\xd9\x8a\xd8\xa7\xd9\x86 \xd9\x81\xd9\x8a \xd8\xba\xd9\x88\xd8\xb7\xd8\xa9 "
      "\xd8\xaf\xd9\x85\xd8\xb4\xd9\x82</p>\n",
      "<script>var data = {\"id\": 42, \"items\": [1, 2, 3]}; if (a < b && c > d) { go(); "
      "}</script>\n",
      "<style>body { font-family: sans-serif; } .x > p { margin: 0 }</style>",
      "<!-- generated by a content management system -->\n",
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><rect/></svg>",
      "<pre>#!/bin/sh\necho hello\n<?php echo 1; ?>\n<?xml version=\"1.0\"?></pre>",
      "<table><tr><td>1</td><td>2</td></tr></table>\f",
      "<p>From: a witness\nSubject: video\nGIF89a IHDR</p>",
  };
  // Quoted now and then: a PDF header, which libmagic looks for in the first KiB.
  const std::string pdf = "<p>From: a witness\nSubject: video\n%PDF-1.4 GIF89a IHDR</p>";
  int answered = 0;
  for (int n = 0; n < 120; ++n) {
    std::string page = leads[rng() % leads.size()] + opens[rng() % opens.size()] + "\n";
    const size_t size = n % 10 == 0 ? 70'000 + rng() % 4'000 : 200 + rng() % 6'000;
    while (page.size() < size) page += n % 5 == 1 ? pdf : parts[rng() % parts.size()];
    for (const std::string& bytes : {page, page.substr(0, kSniffBytes)}) {
      std::string_view fast = SniffSignature(bytes);
      // Only a PDF header in the first KiB leaves a page to libmagic.
      EXPECT_EQ(fast.empty(), bytes.substr(0, 1024).find("%PDF-") != std::string::npos) << n;
      if (fast.empty()) continue;
      ++answered;
      EXPECT_EQ(fast, "text/html");
      EXPECT_EQ(SniffWithLibmagic(bytes), fast) << n << ": " << bytes.substr(0, 200);
    }
  }
  EXPECT_GT(answered, 150);  // of 240: all but the pages quoting a PDF header
}

// Pages that do not open with the doctype, or hold what is not text, are
// left to libmagic.
TEST(Sniff, HtmlNearMissesAreLeftToLibmagic) {
  using std::string;
  const string body = "<html><body><p>Report</p></body></html>\n";
  EXPECT_EQ(SniffSignature(body), "");
  EXPECT_EQ(SniffSignature("<?xml version=\"1.0\"?>\n<!DOCTYPE html>" + body), "");
  EXPECT_EQ(SniffSignature("<!doctype htmlx>" + body), "");
  EXPECT_EQ(SniffSignature("<!doctype html"), "");
  EXPECT_EQ(SniffSignature("x<!doctype html>" + body), "");
  EXPECT_EQ(SniffSignature(string(5000, ' ') + "<!doctype html>" + body), "");  // past 4 KiB
  EXPECT_EQ(SniffSignature(string("<!doctype html>\0", 16) + body), "");
  EXPECT_EQ(SniffSignature("<!doctype html>\x1b[31m" + body), "");
  EXPECT_EQ(SniffSignature("<!doctype html>\xff\xfe" + body), "");  // not UTF-8
  EXPECT_EQ(SniffSignature("<!doctype html>\xc3\x28" + body), "");  // a bad sequence
  EXPECT_EQ(SniffSignature("<!doctype html>\x80" + body), "");      // a stray continuation
  EXPECT_EQ(SniffSignature("<!doctype html>" + body + "\xd8"), "text/html");  // cut short
  // A PDF header in the first KiB: libmagic says PDF (the bytes may be both).
  const string polyglot = "<!doctype html>\n<p>From: a witness\n%PDF-1.4 GIF89a</p>" + body;
  EXPECT_EQ(SniffSignature(polyglot), "");
  // Past the first KiB a PDF header is text to libmagic too.
  const string later = "<!doctype html>" + string(1100, ' ') + "%PDF-1.4 obj" + body;
  EXPECT_EQ(SniffSignature(later), "text/html");
  EXPECT_EQ(SniffWithLibmagic(later), "text/html");
}

}  // namespace
}  // namespace isnad::media
