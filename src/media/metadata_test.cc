// Tests of ExtractMetadata on files made here with the tools an investigator's files come
// from: JPEGs written by FFmpeg with EXIF/IPTC/XMP set by the exiv2 CLI, MP4/MOV/M4A/WAV written
// by the ffmpeg CLI with creation and location tags, a PDF drawn with cairo. Then the same
// files truncated, with flipped bytes, and random bytes under each label: never a crash, the
// damage reported in failures. Tests needing the ffmpeg/exiv2 programs skip without them.
#include "media/metadata.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "core/canonical_json.h"
#include "core/utf8.h"
#include "media/metadata_internal.h"
#include "media/nested_xobject_pdf.h"

// Fontconfig (behind cairo's text in MakePdf) keeps its cache for the life of the process.
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }

namespace isnad::media {
namespace {

namespace fs = std::filesystem;

bool Shell(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

bool HaveTool(const std::string& name) { return Shell("command -v " + name); }

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteAll(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::string Joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + " | ";
  return s;
}

// Makes a two-page PDF with cairo: Info title, author and creation date, a line on each page.
void MakePdf(const fs::path& path) {
  cairo_surface_t* surface = cairo_pdf_surface_create(path.c_str(), 595, 842);
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, "Report on Zamalka");
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_AUTHOR, "Witness 12");
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE,
                                 "2013-08-21T02:45:00+03:00");
  cairo_t* cr = cairo_create(surface);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, 14);
  cairo_move_to(cr, 72, 72);
  cairo_show_text(cr, "Chain of custody");
  cairo_show_page(cr);
  cairo_move_to(cr, 72, 72);
  cairo_show_text(cr, "Second page");
  cairo_show_page(cr);
  cairo_destroy(cr);
  cairo_surface_finish(surface);
  cairo_surface_destroy(surface);
}

class MetadataTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/isnad-metadata-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = new fs::path(tmpl);
    MakePdf(*dir_ / "doc.pdf");
    have_tools_ = HaveTool("ffmpeg") && HaveTool("exiv2");
    if (!have_tools_) return;
    const std::string d = dir_->string() + "/";
    const std::string ff = "ffmpeg -nostdin -v error -y ";
    tools_ok_ =
        Shell(ff + "-f lavfi -i testsrc=size=320x240 -frames:v 1 " + d + "north.jpg") &&
        Shell(
            "exiv2"
            " -M'set Exif.GPSInfo.GPSLatitude 33/1 30/1 4968/100' -M'set "
            "Exif.GPSInfo.GPSLatitudeRef N'"
            " -M'set Exif.GPSInfo.GPSLongitude 36/1 16/1 3540/100' -M'set "
            "Exif.GPSInfo.GPSLongitudeRef E'"
            " -M'set Exif.Photo.DateTimeOriginal 2013:08:21 02:45:00'"
            " -M'set Exif.Photo.OffsetTimeOriginal +03:00'"
            " -M'set Exif.Image.Make Canon' -M'set Exif.Image.Model Canon EOS 5D'"
            " -M'set Exif.Image.Orientation 6' -M'set Exif.Image.Software Witness Cam 1.0'"
            " -M'set Exif.Photo.ExposureTime 1/250'"
            " -M'set Xmp.dc.title lang=x-default Zamalka'"
            " -M'add Iptc.Application2.Keywords ghouta' -M'add Iptc.Application2.Keywords "
            "chemical' " +
            d + "north.jpg") &&
        Shell(ff + "-f lavfi -i testsrc=size=64x48 -frames:v 1 " + d + "south.jpg") &&
        Shell(
            "exiv2"
            " -M'set Exif.GPSInfo.GPSLatitude 12/1 3/1 0/1' -M'set Exif.GPSInfo.GPSLatitudeRef S'"
            " -M'set Exif.GPSInfo.GPSLongitude 77/1 2/1 24/1' -M'set Exif.GPSInfo.GPSLongitudeRef "
            "W'"
            " -M'set Exif.Photo.DateTimeOriginal 0000:00:00 00:00:00'"
            " -M'set Exif.Photo.DateTimeDigitized 2020:01:02 03:04:05'"
            " -M'set Exif.Image.Make NIKON' -M'set Exif.Image.Model D750'"
            " -M\"set Exif.Image.ImageDescription $(printf 'A\\377B "
            "\\330\\262\\331\\205\\331\\204')\" " +
            d + "south.jpg") &&
        Shell(ff + "-f lavfi -i testsrc=size=64x48 -frames:v 1 " + d + "badgps.jpg") &&
        Shell(
            "exiv2 -M'set Exif.GPSInfo.GPSLatitude 95/1 0/1 0/1' -M'set "
            "Exif.GPSInfo.GPSLatitudeRef N'"
            " -M'set Exif.GPSInfo.GPSLongitude 10/1 0/1 0/1' -M'set Exif.GPSInfo.GPSLongitudeRef E'"
            " -M'set Exif.Image.Orientation 9' " +
            d + "badgps.jpg") &&
        Shell(ff +
              "-f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i "
              "sine=frequency=440:sample_rate=44100 "
              "-t 2 -c:v mpeg4 -c:a aac -metadata creation_time=2013-08-21T02:45:00Z "
              "-metadata location=+33.5138+036.2765/ -metadata title='Test title' -metadata "
              "artist=Witness " +
              d + "clip.mp4") &&
        Shell(
            ff +
            "-f lavfi -i testsrc=size=160x120:rate=25 -t 1 -c:v mpeg4 -movflags use_metadata_tags "
            "-metadata com.apple.quicktime.location.ISO6709=+33.5138-036.2765+100.000/ "
            "-metadata com.apple.quicktime.creationdate=2013-08-21T05:45:00+0300 "
            "-metadata com.apple.quicktime.make=Apple -metadata 'com.apple.quicktime.model=iPhone "
            "5' " +
            d + "phone.mov") &&
        Shell(ff + "-f lavfi -i sine=frequency=440:sample_rate=44100 -t 1.5 -c:a aac " + d +
              "tone.m4a") &&
        Shell(ff + "-f lavfi -i sine=frequency=440:sample_rate=8000 -t 1.5 " + d + "tone.wav");
  }

  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
  }

  void SetUp() override {
    if (!have_tools_)
      GTEST_SKIP() << "needs the ffmpeg and exiv2 programs (apt-get install ffmpeg exiv2)";
    ASSERT_TRUE(tools_ok_) << "ffmpeg or exiv2 failed to make the samples in " << *dir_;
  }

  static std::string Path(const std::string& name) { return (*dir_ / name).string(); }

  static Metadata Extract(const std::string& name, const std::string& type,
                          const ExtractLimits& limits = {}) {
    auto md = ExtractMetadata(Path(name), type, limits);
    EXPECT_TRUE(md.ok()) << md.status().ToString();
    if (!md.ok()) return {};
    // Whatever was read can go into a custody entry as it is.
    EXPECT_TRUE(core::CanonicalJson(md->fields).ok()) << md->fields.dump();
    for (const std::string* s :
         {&md->captured_at, &md->camera, &md->software, &md->title, &md->author, &md->text})
      EXPECT_TRUE(core::IsValidUtf8(*s)) << *s;
    for (const auto& f : md->failures) EXPECT_TRUE(core::IsValidUtf8(f)) << f;
    return *md;
  }

  static inline fs::path* dir_ = nullptr;
  static inline bool have_tools_ = false;
  static inline bool tools_ok_ = false;
};

TEST_F(MetadataTest, JpegExifGpsDateCameraOrientation) {
  Metadata md = Extract("north.jpg", "image/jpeg");
  EXPECT_TRUE(md.failures.empty()) << Joined(md.failures);
  EXPECT_EQ(md.width, 320u);
  EXPECT_EQ(md.height, 240u);
  ASSERT_TRUE(md.gps.has_value());
  EXPECT_EQ(md.gps->lat, "33.5138");
  EXPECT_EQ(md.gps->lon, "36.2765");
  EXPECT_EQ(md.captured_at, "2013-08-21T02:45:00+03:00");
  EXPECT_EQ(CapturedAtZone(md.captured_at), "+03:00");
  EXPECT_EQ(md.camera, "Canon EOS 5D");  // Model already starts with Make
  EXPECT_EQ(md.software, "Witness Cam 1.0");
  EXPECT_EQ(md.orientation, 6);
  EXPECT_EQ(md.title, "Zamalka");
  EXPECT_EQ(md.fields["exif"]["Exif.GPSInfo.GPSLatitude"], "33/1 30/1 4968/100");
  EXPECT_EQ(md.fields["exif"]["Exif.Photo.ExposureTime"], "1/250");
  EXPECT_EQ(md.fields["iptc"]["Iptc.Application2.Keywords"],
            core::Json::array({"ghouta", "chemical"}));
  EXPECT_TRUE(md.fields["xmp"].contains("Xmp.dc.title"));
  EXPECT_TRUE(md.text.empty());
}

TEST_F(MetadataTest, JpegSouthWestFallbackDateAndLossyText) {
  Metadata md = Extract("south.jpg", "image/jpeg");
  ASSERT_TRUE(md.gps.has_value());
  EXPECT_EQ(md.gps->lat, "-12.05");
  EXPECT_EQ(md.gps->lon, "-77.04");
  // The zero DateTimeOriginal is reported, and DateTimeDigitized (no zone given) used.
  EXPECT_EQ(md.captured_at, "2020-01-02T03:04:05");
  EXPECT_EQ(CapturedAtZone(md.captured_at), "");  // the camera's clock, zone unknown
  ASSERT_EQ(md.failures.size(), 1u) << Joined(md.failures);
  EXPECT_NE(md.failures[0].find("DateTimeOriginal is not a valid date: '0000:00:00 00:00:00'"),
            std::string::npos)
      << md.failures[0];
  EXPECT_EQ(md.camera, "NIKON D750");
  EXPECT_FALSE(md.orientation.has_value());
  // The invalid byte becomes U+FFFD; the Arabic stays.
  EXPECT_EQ(md.fields["exif"]["Exif.Image.ImageDescription"], "A\uFFFDB \u0632\u0645\u0644");
}

TEST_F(MetadataTest, OutOfRangeGpsAndOrientationAreFailuresNotValues) {
  Metadata md = Extract("badgps.jpg", "image/jpeg");
  EXPECT_FALSE(md.gps.has_value());
  EXPECT_FALSE(md.orientation.has_value());
  std::string all = Joined(md.failures);
  EXPECT_NE(all.find("GPS position out of range: latitude 95"), std::string::npos) << all;
  EXPECT_NE(all.find("Orientation is not 1 to 8"), std::string::npos) << all;
  EXPECT_EQ(md.width, 64u);
}

TEST_F(MetadataTest, NegativeOrOverflowingGpsRationalsAreRefused) {
  // EXIF GPSLatitude/GPSLongitude are unsigned rationals (EXIF 2.32, 4.6.6), the hemisphere
  // in their Refs. A signed -33 30' with Ref S must not become 32.5 north; 75 minutes is
  // not a position either.
  const std::string d = dir_->string() + "/";
  ASSERT_TRUE(Shell("ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=64x48 -frames:v 1 " + d +
                    "signed.jpg && cp " + d + "signed.jpg " + d + "minutes.jpg"));
  ASSERT_TRUE(
      Shell("exiv2 -M'set Exif.GPSInfo.GPSLatitude SRational -33/1 30/1 0/1'"
            " -M'set Exif.GPSInfo.GPSLatitudeRef S' -M'set Exif.GPSInfo.GPSLongitude 36/1 0/1 0/1'"
            " -M'set Exif.GPSInfo.GPSLongitudeRef E' " +
            d + "signed.jpg"));
  ASSERT_TRUE(Shell(
      "exiv2 -M'set Exif.GPSInfo.GPSLatitude 33/1 75/1 0/1' -M'set Exif.GPSInfo.GPSLatitudeRef N'"
      " -M'set Exif.GPSInfo.GPSLongitude 36/1 0/1 60/1' -M'set Exif.GPSInfo.GPSLongitudeRef E' " +
      d + "minutes.jpg"));
  for (const char* name : {"signed.jpg", "minutes.jpg"}) {
    Metadata md = Extract(name, "image/jpeg");
    EXPECT_FALSE(md.gps.has_value()) << name << ": " << md.gps->lat << "," << md.gps->lon;
    std::string all = Joined(md.failures);
    EXPECT_NE(all.find("exif: GPS position is not"), std::string::npos) << name << ": " << all;
  }
}

TEST_F(MetadataTest, ImplausibleDurationIsAFailureNotAValue) {
  // A Matroska header claiming 9.1e15 ms: more than a custody entry's integers hold.
  const std::string path = Path("huge.mkv");
  ASSERT_TRUE(
      Shell("ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=64x48:rate=10 -t 1 "
            "-c:v ffv1 " +
            path));
  std::string bytes = ReadAll(path);
  const size_t at = bytes.find("\x44\x89\x88");  // Segment Info's Duration, an 8-byte float
  ASSERT_NE(at, std::string::npos);
  const double claimed = 9.1e15;
  uint64_t bits;
  std::memcpy(&bits, &claimed, 8);
  for (int k = 0; k < 8; ++k) bytes[at + 3 + k] = static_cast<char>(bits >> (56 - 8 * k));
  WriteAll(path, bytes);
  Metadata md = Extract("huge.mkv", "video/x-matroska");
  EXPECT_FALSE(md.duration_ms.has_value()) << *md.duration_ms;
  EXPECT_NE(Joined(md.failures).find("ms is not plausible"), std::string::npos)
      << Joined(md.failures);
  EXPECT_EQ(md.width, 64u);
}

TEST_F(MetadataTest, LimitsOnFieldsAndValueBytes) {
  ExtractLimits limits;
  limits.max_fields = 3;
  limits.max_value_bytes = 7;
  Metadata md = Extract("south.jpg", "image/jpeg", limits);
  EXPECT_LE(md.fields["exif"].size(), 3u);
  std::string all = Joined(md.failures);
  EXPECT_NE(all.find("exif: "), std::string::npos);
  EXPECT_NE(all.find("more fields not kept (limit 3 values per group)"), std::string::npos) << all;
  for (const auto& [k, v] : md.fields["exif"].items()) {
    ASSERT_TRUE(v.is_string());
    EXPECT_LE(v.get<std::string>().size(), 7u);
  }
  limits = {};
  limits.max_value_bytes = 7;  // "A\uFFFDB \u0632": 7 bytes would split the zain; cut before it
  md = Extract("south.jpg", "image/jpeg", limits);
  EXPECT_EQ(md.fields["exif"]["Exif.Image.ImageDescription"], "A\uFFFDB ");
  EXPECT_NE(Joined(md.failures).find("values cut at 7 bytes"), std::string::npos);
  // Values are counted, not keys: north.jpg's two IPTC keywords share one key, and a file
  // repeating a key thousands of times is held to the limit all the same.
  limits = {};
  limits.max_fields = 1;
  md = Extract("north.jpg", "image/jpeg", limits);
  size_t iptc_values = 0;
  for (const auto& [k, v] : md.fields["iptc"].items()) iptc_values += v.is_array() ? v.size() : 1;
  EXPECT_EQ(iptc_values, 1u) << md.fields["iptc"].dump();
  EXPECT_NE(Joined(md.failures).find("iptc: "), std::string::npos) << Joined(md.failures);
}

TEST_F(MetadataTest, Mp4DurationCodecsLocationCreationTime) {
  Metadata md = Extract("clip.mp4", "video/mp4");
  EXPECT_TRUE(md.failures.empty()) << Joined(md.failures);
  ASSERT_TRUE(md.duration_ms.has_value());
  EXPECT_NEAR(static_cast<double>(*md.duration_ms), 2000, 50);
  EXPECT_EQ(md.width, 320u);
  EXPECT_EQ(md.height, 240u);
  ASSERT_TRUE(md.gps.has_value());
  EXPECT_EQ(md.gps->lat, "33.5138");
  EXPECT_EQ(md.gps->lon, "36.2765");
  EXPECT_EQ(md.captured_at, "2013-08-21T02:45:00Z");
  EXPECT_EQ(CapturedAtZone(md.captured_at), "Z");
  EXPECT_EQ(md.title, "Test title");
  EXPECT_EQ(md.author, "Witness");
  EXPECT_EQ(md.software.rfind("Lavf", 0), 0u) << md.software;
  ASSERT_EQ(md.fields["streams"].size(), 2u);
  EXPECT_EQ(md.fields["streams"][0]["codec"], "mpeg4");
  EXPECT_EQ(md.fields["streams"][0]["type"], "video");
  EXPECT_EQ(md.fields["streams"][0]["width"], 320);
  EXPECT_EQ(md.fields["streams"][0]["frame_rate"], "25/1");
  EXPECT_EQ(md.fields["streams"][1]["codec"], "aac");
  EXPECT_EQ(md.fields["streams"][1]["sample_rate"], 44100);
  EXPECT_EQ(md.fields["streams"][1]["channels"], 1);
  EXPECT_EQ(md.fields["format"]["tags"]["location"], "+33.5138+036.2765/");
}

TEST_F(MetadataTest, QuickTimeAppleKeysKeepLocalOffset) {
  Metadata md = Extract("phone.mov", "video/quicktime");
  EXPECT_TRUE(md.failures.empty()) << Joined(md.failures);
  ASSERT_TRUE(md.gps.has_value());
  EXPECT_EQ(md.gps->lat, "33.5138");
  EXPECT_EQ(md.gps->lon, "-36.2765");
  EXPECT_EQ(md.captured_at, "2013-08-21T05:45:00+03:00");
  EXPECT_EQ(md.camera, "Apple iPhone 5");
  EXPECT_EQ(md.width, 160u);
  EXPECT_NEAR(static_cast<double>(md.duration_ms.value_or(0)), 1000, 50);
}

TEST_F(MetadataTest, AudioDurationAndStream) {
  for (const auto& [name, type, rate] :
       {std::tuple<const char*, const char*, int>{"tone.m4a", "audio/mp4", 44100},
        {"tone.wav", "audio/x-wav", 8000}}) {
    SCOPED_TRACE(name);
    Metadata md = Extract(name, type);
    EXPECT_TRUE(md.failures.empty()) << Joined(md.failures);
    EXPECT_NEAR(static_cast<double>(md.duration_ms.value_or(0)), 1500, 50);
    EXPECT_FALSE(md.width.has_value());
    ASSERT_EQ(md.fields["streams"].size(), 1u);
    EXPECT_EQ(md.fields["streams"][0]["type"], "audio");
    EXPECT_EQ(md.fields["streams"][0]["sample_rate"], rate);
  }
}

TEST_F(MetadataTest, PdfTextTitleAuthorDate) {
  Metadata md = Extract("doc.pdf", "application/pdf");
  EXPECT_TRUE(md.failures.empty()) << Joined(md.failures);
  EXPECT_EQ(md.title, "Report on Zamalka");
  EXPECT_EQ(md.author, "Witness 12");
  EXPECT_EQ(md.captured_at, "2013-08-21T02:45:00+03:00");
  EXPECT_EQ(md.fields["pdf"]["pages"], 2);
  size_t ff = md.text.find('\f');
  ASSERT_NE(ff, std::string::npos) << md.text;
  EXPECT_NE(md.text.substr(0, ff).find("Chain of custody"), std::string::npos) << md.text;
  EXPECT_NE(md.text.substr(ff).find("Second page"), std::string::npos) << md.text;
  EXPECT_NE(md.software.find("cairo"), std::string::npos) << md.software;
}

TEST_F(MetadataTest, PdfTextCutAtLimit) {
  ExtractLimits limits;
  limits.max_text_bytes = 5;
  Metadata md = Extract("doc.pdf", "application/pdf", limits);
  EXPECT_EQ(md.text, "Chain");
  EXPECT_NE(Joined(md.failures).find("text cut at 5 bytes"), std::string::npos)
      << Joined(md.failures);
}

// An incremental update that adds a standard-security /Encrypt dictionary whose user password
// is not empty: poppler opens the file but cannot decrypt it without the password.
TEST_F(MetadataTest, EncryptedPdfIsAFailureNotAnError) {
  std::string pdf = ReadAll(Path("doc.pdf"));
  size_t sx = pdf.rfind("startxref");
  ASSERT_NE(sx, std::string::npos);
  std::string prev = pdf.substr(sx + 10, pdf.find_first_of("\r\n", sx + 10) - (sx + 10));
  size_t root = pdf.find("/Root ", pdf.rfind("trailer"));
  ASSERT_NE(root, std::string::npos);
  std::string root_ref = pdf.substr(root + 6, pdf.find('R', root + 6) - (root + 6) + 1);
  size_t obj = pdf.size();
  pdf += "99 0 obj\n<< /Filter /Standard /V 1 /R 2 /O <" + std::string(64, '0') + "> /U <" +
         std::string(64, '1') + "> /P -4 >>\nendobj\n";
  size_t xref = pdf.size();
  char entry[32];
  std::snprintf(entry, sizeof entry, "%010zu 00000 n \n", obj);
  pdf += "xref\n99 1\n" + std::string(entry) + "trailer\n<< /Size 100 /Root " + root_ref +
         " /Prev " + prev +
         " /Encrypt 99 0 R /ID [<00112233445566778899aabbccddeeff> "
         "<00112233445566778899aabbccddeeff>] >>\n"
         "startxref\n" +
         std::to_string(xref) + "\n%%EOF\n";
  WriteAll(Path("locked.pdf"), pdf);
  Metadata md = Extract("locked.pdf", "application/pdf");
  EXPECT_NE(Joined(md.failures).find("poppler: the document is encrypted and needs a password"),
            std::string::npos)
      << Joined(md.failures);
  EXPECT_EQ(md.fields["pdf"]["encrypted"], "yes");
  EXPECT_TRUE(md.text.empty());
  EXPECT_TRUE(md.title.empty());
}

TEST_F(MetadataTest, TimeLimitStopsFfmpegAndPdfText) {
  ExtractLimits limits;
  limits.max_millis = 0;
  Metadata md = Extract("clip.mp4", "video/mp4", limits);
  EXPECT_NE(Joined(md.failures).find("time limit of 0 ms"), std::string::npos)
      << Joined(md.failures);
  md = Extract("doc.pdf", "application/pdf", limits);
  EXPECT_TRUE(md.text.empty());
  EXPECT_NE(Joined(md.failures).find("time limit of 0 ms"), std::string::npos)
      << Joined(md.failures);
  EXPECT_EQ(md.title, "Report on Zamalka");  // the Info dictionary is still read
}

// A PDF whose author is only in its XMP packet (the catalog's Metadata stream, read by
// `pdfinfo -meta` in a bounded child): the author comes from dc:creator.
TEST_F(MetadataTest, PdfXmpIsReadInABoundedChild) {
  const std::string xmp =
      "<?xpacket begin=\"\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?><x:xmpmeta xmlns:x=\"adobe:ns:meta/\">"
      "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description "
      "rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:creator><rdf:Seq>"
      "<rdf:li>Witness 7</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF>"
      "</x:xmpmeta><?xpacket end=\"w\"?>";
  const std::vector<std::string> objects = {
      "<< /Type /Catalog /Pages 2 0 R /Metadata 4 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>",
      "<< /Type /Metadata /Subtype /XML /Length " + std::to_string(xmp.size()) + " >>\nstream\n" +
          xmp + "\nendstream"};
  WriteAll(Path("xmp.pdf"), testing::PdfOfObjects(objects));
  Metadata md = Extract("xmp.pdf", "application/pdf");
  EXPECT_EQ(md.author, "Witness 7") << Joined(md.failures);
}

// A 3 KiB page of nested form XObjects (100^3 text draws) kept poppler busy for minutes with
// its memory growing, past the time limit, when page text was read in process. Now the
// child reading it is killed at the limit: a recorded failure naming the limit, the document's
// own fields still read, within a few seconds.
TEST_F(MetadataTest, HostilePdfPageEndsAtTheTimeLimitAsAFailure) {
  WriteAll(Path("nested.pdf"), testing::NestedXObjectPdf(3, 100));
  ExtractLimits limits;
  limits.max_millis = 1500;
  const auto start = std::chrono::steady_clock::now();
  Metadata md = Extract("nested.pdf", "application/pdf", limits);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(10));
  const std::string failures = Joined(md.failures);
  EXPECT_NE(failures.find("poppler: text of pages 1 to 1 not read: pdftotext: "), std::string::npos)
      << failures;
  EXPECT_TRUE(failures.find("time limit of 1500 ms reached") != std::string::npos ||
              failures.find("memory limit of") != std::string::npos)
      << failures;
  EXPECT_EQ(md.fields["pdf"]["pages"], 1);
  EXPECT_EQ(md.fields["pdf"]["version"], "1.4");
}

// The same page under a small memory limit: the child is stopped by it, not by the time.
TEST_F(MetadataTest, HostilePdfPageStopsAtTheMemoryLimit) {
  WriteAll(Path("nested4.pdf"), testing::NestedXObjectPdf(4, 100));
  ExtractLimits limits;
  limits.max_millis = 8000;
  limits.max_pdf_tool_memory_bytes = 64u << 20;
  Metadata md = Extract("nested4.pdf", "application/pdf", limits);
  const std::string failures = Joined(md.failures);
  EXPECT_NE(failures.find("poppler: text of pages 1 to 1 not read: pdftotext: "), std::string::npos)
      << failures;
  EXPECT_NE(failures.find("memory limit of 64 MiB"), std::string::npos) << failures;
  EXPECT_TRUE(md.text.empty());
  // An ordinary PDF is read whole under that limit.
  md = Extract("doc.pdf", "application/pdf", limits);
  EXPECT_TRUE(md.failures.empty()) << Joined(md.failures);
  EXPECT_NE(md.text.find("Second page"), std::string::npos) << md.text;
}

TEST_F(MetadataTest, TruncatedJpegKeepsWhatExiv2Read) {
  std::string bytes = ReadAll(Path("north.jpg"));
  WriteAll(Path("cut.jpg"), bytes.substr(0, bytes.size() * 6 / 10));
  Metadata md = Extract("cut.jpg", "image/jpeg");
  EXPECT_EQ(Joined(md.failures),
            "jpeg: truncated: the file ends before the end-of-image marker | ");
  ASSERT_TRUE(md.gps.has_value()) << Joined(md.failures);
  EXPECT_EQ(md.gps->lat, "33.5138");
  EXPECT_EQ(md.captured_at, "2013-08-21T02:45:00+03:00");
}

TEST_F(MetadataTest, TruncatedMp4WithIndexFirstIsReported) {
  ASSERT_TRUE(Shell("ffmpeg -nostdin -v error -y -i " + Path("clip.mp4") +
                    " -c copy -movflags faststart " + Path("fast.mp4")));
  std::string bytes = ReadAll(Path("fast.mp4"));
  WriteAll(Path("fast-cut.mp4"), bytes.substr(0, bytes.size() / 2));
  Metadata md = Extract("fast-cut.mp4", "video/mp4");
  EXPECT_NE(Joined(md.failures).find("ffmpeg: truncated: stream "), std::string::npos)
      << Joined(md.failures);
  EXPECT_EQ(md.width, 320u);  // what the header says is still read
  md = Extract("fast.mp4", "video/mp4");
  EXPECT_TRUE(md.failures.empty()) << Joined(md.failures);
}

// Truncated, byte-flipped and random copies of every sample under every label: ok status, no
// crash (the sanitizer build checks memory), and a truncated or random file reports failures.
TEST_F(MetadataTest, BadMediaNeverCrashes) {
  std::mt19937 rng(6);
  const std::vector<std::pair<std::string, std::string>> samples = {
      {"north.jpg", "image/jpeg"}, {"clip.mp4", "video/mp4"},   {"phone.mov", "video/quicktime"},
      {"tone.m4a", "audio/mp4"},   {"tone.wav", "audio/x-wav"}, {"doc.pdf", "application/pdf"}};
  for (const auto& [name, type] : samples) {
    std::string bytes = ReadAll(Path(name));
    ASSERT_FALSE(bytes.empty()) << name;
    for (size_t cut : {size_t{0}, size_t{3}, size_t{100}, bytes.size() / 2}) {
      SCOPED_TRACE(name + " cut at " + std::to_string(cut));
      WriteAll(Path("bad"), bytes.substr(0, cut));
      Metadata md = Extract("bad", type);
      // A WAV cut after its header is a shorter recording, not a damaged one.
      if (name != "tone.wav" || cut < 44) {
        EXPECT_FALSE(md.failures.empty());
      }
    }
    for (int round = 0; round < 8; ++round) {
      std::string flipped = bytes;
      for (int k = 0; k < 16; ++k)
        flipped[rng() % flipped.size()] ^= static_cast<char>(1 + rng() % 255);
      WriteAll(Path("bad"), flipped);
      for (const auto& [other, other_type] : samples) Extract("bad", other_type);
    }
  }
  for (const char* type : {"image/jpeg", "video/mp4", "audio/mpeg", "application/pdf"}) {
    SCOPED_TRACE(type);
    std::string random(4096, '\0');
    for (char& c : random) c = static_cast<char>(rng());
    WriteAll(Path("bad"), random);
    Metadata md = Extract("bad", type);
    EXPECT_FALSE(md.failures.empty());
  }
}

// The library set-up (exiv2's XMP toolkit, log handlers) happens once whichever thread comes
// first; files read at the same time give what they give alone.
TEST_F(MetadataTest, ConcurrentExtractionsAgree) {
  const std::vector<std::pair<std::string, std::string>> samples = {
      {"north.jpg", "image/jpeg"}, {"clip.mp4", "video/mp4"}, {"doc.pdf", "application/pdf"}};
  std::vector<std::string> alone;
  for (const auto& [name, type] : samples) alone.push_back(Extract(name, type).fields.dump());
  std::vector<std::string> together(samples.size() * 4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < together.size(); ++i) {
    threads.emplace_back([&, i] {
      const auto& [name, type] = samples[i % samples.size()];
      auto md = ExtractMetadata(Path(name), type);
      if (md.ok()) together[i] = md->fields.dump();
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < together.size(); ++i)
    EXPECT_EQ(together[i], alone[i % samples.size()]) << i;
}

// exiv2's own video readers are not trusted with damaged files (see metadata_image.cc).
TEST_F(MetadataTest, VideoLabelledAsImageIsNotParsedByExiv2) {
  Metadata md = Extract("clip.mp4", "image/jpeg");
  EXPECT_EQ(Joined(md.failures),
            "exiv2: the file is a video container (video/quicktime), not read as an image | ");
  EXPECT_FALSE(md.fields.contains("exif"));
}

TEST(MetadataErrors, OnlyAnUnopenablePathIsAnError) {
  auto md = ExtractMetadata("/nonexistent/isnad/x.jpg", "image/jpeg");
  ASSERT_FALSE(md.ok());
  EXPECT_EQ(md.status().code(), core::Code::kNotFound);
  md = ExtractMetadata("/tmp", "video/mp4");
  ASSERT_FALSE(md.ok());
  EXPECT_EQ(md.status().code(), core::Code::kIoError);
}

TEST(MetadataTypes, ExtractorsByMediaType) {
  EXPECT_TRUE(HasMetadataExtractor("image/jpeg"));
  EXPECT_TRUE(HasMetadataExtractor("image/png"));
  EXPECT_TRUE(HasMetadataExtractor("video/mp4"));
  EXPECT_TRUE(HasMetadataExtractor("audio/mpeg"));
  EXPECT_TRUE(HasMetadataExtractor("application/pdf"));
  EXPECT_FALSE(HasMetadataExtractor("image/svg+xml"));
  EXPECT_FALSE(HasMetadataExtractor("text/plain"));
  std::string versions = MetadataExtractorVersions();
  EXPECT_NE(versions.find("exiv2 0."), std::string::npos) << versions;
  EXPECT_NE(versions.find("libavformat "), std::string::npos) << versions;
  EXPECT_NE(versions.find("poppler "), std::string::npos) << versions;
}

TEST(MetadataParsing, DatesCoordinatesAndDegrees) {
  using namespace internal;
  EXPECT_EQ(FormatDegrees(33.5138L), "33.5138");
  EXPECT_EQ(FormatDegrees(-0.1L), "-0.1");
  EXPECT_EQ(FormatDegrees(36.0L), "36");
  EXPECT_EQ(FormatDegrees(1.123456789L), "1.1234568");
  EXPECT_EQ(ParseExifDateTime("2013:08:21 02:45:00"), "2013-08-21T02:45:00");
  EXPECT_EQ(ParseExifDateTime("2013:02:29 02:45:00"), std::nullopt);  // not a leap year
  EXPECT_EQ(ParseExifDateTime("    :  :     :  :  "), std::nullopt);
  EXPECT_EQ(ParseIsoDateTime("2013-08-21T02:45:00.000000Z"), "2013-08-21T02:45:00Z");
  EXPECT_EQ(ParseIsoDateTime("2013-08-21T05:45:00+0300"), "2013-08-21T05:45:00+03:00");
  EXPECT_EQ(ParseIsoDateTime("2013-08-21T05:45"), "2013-08-21T05:45:00");
  EXPECT_EQ(ParseIsoDateTime("2013-08-21"), std::nullopt);
  EXPECT_EQ(ParseIsoDateTime("2013-13-21T05:45:00Z"), std::nullopt);
  EXPECT_EQ(ParseZoneOffset("-05:30"), "-05:30");
  EXPECT_EQ(ParseZoneOffset("+25:00"), std::nullopt);
  EXPECT_EQ(ParsePdfDate("D:20130821024500+03'00'"), "2013-08-21T02:45:00+03:00");
  EXPECT_EQ(ParsePdfDate("D:20130821024500Z00'00'"), "2013-08-21T02:45:00Z");
  EXPECT_EQ(ParsePdfDate("D:201308210245"), "2013-08-21T02:45:00");
  EXPECT_EQ(ParsePdfDate("D:2013"), std::nullopt);
  auto p = ParseIso6709("+33.5138+036.2765/");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(FormatDegrees(p->first), "33.5138");
  EXPECT_EQ(FormatDegrees(p->second), "36.2765");
  p = ParseIso6709("+3330.828-03616.59+100.5/");  // DDMM.mmm and DDDMM.mm forms
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(FormatDegrees(p->first), "33.5138");
  EXPECT_EQ(FormatDegrees(p->second), "-36.2765");
  p = ParseIso6709("+333049.68+0361635.4/");  // DDMMSS.ss
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(FormatDegrees(p->first), "33.5138");
  EXPECT_EQ(FormatDegrees(p->second), "36.2765");
  EXPECT_FALSE(ParseIso6709("33.5138,36.2765").has_value());
  EXPECT_FALSE(ParseIso6709("+33.5138+036.2765/x").has_value());
}

}  // namespace
}  // namespace isnad::media
