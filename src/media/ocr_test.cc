// OCR of real rendered text: lines drawn with pango (DejaVu Sans covers Arabic) into PNGs and
// PDFs at test time, read back with Tesseract. Tesseract is slow, so the cases are few.
#include "media/ocr.h"

#include <allheaders.h>  // Leptonica, to write a multi-page TIFF
#include <cairo-pdf.h>
#include <cairo.h>
#include <gtest/gtest.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "media/nested_xobject_pdf.h"

// Under LeakSanitizer: fontconfig (under pango, which draws the test images) keeps its
// configuration for the life of the process.
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }

namespace isnad::media {
namespace {

namespace fs = std::filesystem;

const char kEnglish[] = "Chemical attack in Zamalka, 21 August 2013";
const char kArabic[] = "هجوم كيميائي على الغوطة";
const char kArabicSentence[] = "شهد سكان زملكا والغوطة الشرقية هجوما بالأسلحة الكيميائية";

// The Debian package that holds a language's data, when it is missing.
std::string MissingLanguagePackage() {
  for (const char* lang : {"ara", "eng"}) {
    if (!fs::exists(std::string("/usr/share/tesseract-ocr/5/tessdata/") + lang + ".traineddata")) {
      return std::string("tesseract-ocr-") + lang;
    }
  }
  return "";
}

#define SKIP_WITHOUT_LANGUAGE_DATA()                                                  \
  do {                                                                                \
    if (std::string p = MissingLanguagePackage(); !p.empty()) {                       \
      GTEST_SKIP() << "Tesseract language data not installed: apt-get install " << p; \
    }                                                                                 \
  } while (0)

class OcrTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("isnad-ocr-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

// `lines` in DejaVu Sans, `px` pixels high, black on white, one line height apart (Tesseract
// loses an Arabic line set tight under an English one), as an opaque image surface.
cairo_surface_t* RenderLines(const std::vector<std::string>& lines, int px) {
  const int margin = px;
  PangoFontDescription* font = pango_font_description_from_string("DejaVu Sans");
  pango_font_description_set_absolute_size(font, px * PANGO_SCALE);
  auto layout_for = [&](cairo_t* cr, const std::string& line) {
    PangoLayout* layout = pango_cairo_create_layout(cr);
    pango_layout_set_font_description(layout, font);
    pango_layout_set_text(layout, line.c_str(), -1);
    return layout;
  };
  cairo_surface_t* probe = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
  cairo_t* cr = cairo_create(probe);
  int width = 0, height = 0;
  for (const std::string& line : lines) {
    PangoLayout* layout = layout_for(cr, line);
    int w = 0, h = 0;
    pango_layout_get_pixel_size(layout, &w, &h);
    width = std::max(width, w);
    height = std::max(height, h);
    g_object_unref(layout);
  }
  cairo_destroy(cr);
  cairo_surface_destroy(probe);

  const int n = static_cast<int>(lines.size());
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width + 2 * margin,
                                                        2 * margin + n * height + (n - 1) * px);
  cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_set_source_rgb(cr, 0, 0, 0);
  for (int i = 0; i < n; ++i) {
    cairo_move_to(cr, margin, margin + i * (height + px));
    PangoLayout* layout = layout_for(cr, lines[i]);
    pango_cairo_show_layout(cr, layout);
    g_object_unref(layout);
  }
  pango_font_description_free(font);
  cairo_destroy(cr);
  cairo_surface_flush(surface);
  return surface;
}

void WritePng(const std::vector<std::string>& lines, const std::string& path) {
  cairo_surface_t* surface = RenderLines(lines, 40);
  ASSERT_EQ(cairo_surface_write_to_png(surface, path.c_str()), CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy(surface);
}

// One A4 page per entry: text drawn as text (born digital, 14 pt) when `as_text`, else only an
// image of the text at 300 dpi (a scan: no text objects).
struct PdfPage {
  std::vector<std::string> lines;
  bool as_text;
};

void WritePdf(const std::vector<PdfPage>& pages, const std::string& path) {
  cairo_surface_t* pdf = cairo_pdf_surface_create(path.c_str(), 595, 842);
  cairo_t* cr = cairo_create(pdf);
  for (const PdfPage& page : pages) {
    if (page.as_text) {
      cairo_set_source_rgb(cr, 0, 0, 0);
      cairo_move_to(cr, 72, 72);
      PangoLayout* layout = pango_cairo_create_layout(cr);
      PangoFontDescription* font = pango_font_description_from_string("DejaVu Sans 14");
      pango_layout_set_font_description(layout, font);
      std::string text;
      for (const std::string& line : page.lines) text += line + "\n";
      pango_layout_set_text(layout, text.c_str(), -1);
      pango_cairo_show_layout(cr, layout);
      pango_font_description_free(font);
      g_object_unref(layout);
    } else {
      // 14 pt text scanned at 300 dpi is about 58 px high.
      cairo_surface_t* scan = RenderLines(page.lines, 58);
      cairo_save(cr);
      cairo_translate(cr, 36, 72);
      cairo_scale(cr, 72.0 / 300, 72.0 / 300);
      cairo_set_source_surface(cr, scan, 0, 0);
      cairo_paint(cr);
      cairo_restore(cr);
      cairo_surface_destroy(scan);
    }
    cairo_show_page(cr);
  }
  cairo_destroy(cr);
  cairo_surface_finish(pdf);
  ASSERT_EQ(cairo_surface_status(pdf), CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy(pdf);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Arabic as search normalises it: no tatweel or harakat, one alef, dotless yeh as yeh.
std::string NormaliseArabic(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    std::string ch = s.substr(i, n);
    i += n;
    if (n == 2) {
      unsigned cp = ((c & 0x1F) << 6) | (static_cast<unsigned char>(ch[1]) & 0x3F);
      if (cp == 0x640 || (cp >= 0x64B && cp <= 0x652)) continue;     // tatweel, harakat
      if (cp == 0x622 || cp == 0x623 || cp == 0x625) ch = "\u0627";  // alef forms
      if (cp == 0x649) ch = "\u064A";                                // alef maksura
    }
    out += ch;
  }
  return out;
}

TEST_F(OcrTest, ReadsAnEnglishLineFromAPng) {
  SKIP_WITHOUT_LANGUAGE_DATA();
  const std::string png = Path("english.png");
  WritePng({kEnglish}, png);
  auto r = Ocr(png, "image/png");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->pages, 1u);
  EXPECT_NE(r->text.find("Zamalka"), std::string::npos) << r->text;
  EXPECT_NE(r->text.find("August"), std::string::npos) << r->text;
  EXPECT_NE(r->text.find("2013"), std::string::npos) << r->text;
  EXPECT_GT(r->mean_confidence, 60);
  EXPECT_TRUE(r->failures.empty());
  EXPECT_EQ(r->text, r->text.substr(0, r->text.find_last_not_of(" \n") + 1)) << "trimmed";
}

// Each call has its own engine: two threads at once read the same as one.
TEST_F(OcrTest, TwoThreadsReadAtOnce) {
  SKIP_WITHOUT_LANGUAGE_DATA();
  const std::string png = Path("english.png");
  WritePng({kEnglish}, png);
  OcrOptions options;
  options.languages = "eng";
  core::StatusOr<OcrResult> a = core::Internal("not run"), b = core::Internal("not run");
  std::thread other([&] { b = Ocr(png, "image/png", options); });
  a = Ocr(png, "image/png", options);
  other.join();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_NE(a->text.find("Zamalka"), std::string::npos) << a->text;
  EXPECT_EQ(a->text, b->text);
}

TEST_F(OcrTest, ReadsAnArabicLineFromAPng) {
  SKIP_WITHOUT_LANGUAGE_DATA();
  const std::string png = Path("arabic.png");
  WritePng({kArabic}, png);
  auto r = Ocr(png, "image/png");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->pages, 1u);
  const std::string text = NormaliseArabic(r->text);
  // All four words are read in this rendering; the two that a search would use are required.
  EXPECT_NE(text.find(NormaliseArabic("الغوطة")), std::string::npos) << r->text;
  EXPECT_NE(text.find(NormaliseArabic("كيميائي")), std::string::npos) << r->text;
  EXPECT_NE(text.find(NormaliseArabic("هجوم")), std::string::npos) << r->text;
}

// Page 1 born digital (its own text), page 2 a scan: only page 2 is OCRed, and its text is the
// second form-feed-separated part.
TEST_F(OcrTest, ReadsOnlyTheScannedPagesOfAPdf) {
  SKIP_WITHOUT_LANGUAGE_DATA();
  const std::string pdf = Path("mixed.pdf");
  WritePdf({{{"Witness statement, page one, typed and saved as PDF."}, true},
            {{kEnglish, kArabic, kArabicSentence}, false}},
           pdf);
  auto r = Ocr(pdf, "application/pdf");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->pages, 1u);
  ASSERT_FALSE(r->text.empty());
  EXPECT_EQ(r->text[0], '\f') << r->text;
  EXPECT_EQ(r->text.find("Witness"), std::string::npos) << "page 1 was OCRed: " << r->text;
  EXPECT_NE(r->text.find("Zamalka"), std::string::npos) << r->text;
  EXPECT_NE(r->text.find("August"), std::string::npos) << r->text;
  // Arabic under English on one page: Tesseract switches language word by word and reads
  // some Arabic words as Latin (here "الغوطة" as "ab gall"), so one of the two is required.
  const std::string arabic = NormaliseArabic(r->text);
  EXPECT_TRUE(arabic.find(NormaliseArabic("الغوطة")) != std::string::npos ||
              arabic.find(NormaliseArabic("كيميائي")) != std::string::npos)
      << r->text;
  EXPECT_NE(arabic.find(NormaliseArabic("الشرقية")), std::string::npos) << r->text;
  EXPECT_TRUE(r->failures.empty());
}

TEST_F(OcrTest, DoesNotReadABornDigitalPdf) {
  SKIP_WITHOUT_LANGUAGE_DATA();
  const std::string pdf = Path("digital.pdf");
  WritePdf({{{kEnglish, kArabic}, true}, {{"A second page of typed text, long enough."}, true}},
           pdf);
  auto r = Ocr(pdf, "application/pdf");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->pages, 0u);
  EXPECT_EQ(r->text, "");
  EXPECT_TRUE(r->failures.empty());
}

// Scanner and fax output: every page of a TIFF is read, and page k is the k-th part of the text.
TEST_F(OcrTest, ReadsEachPageOfAMultiPageTiff) {
  SKIP_WITHOUT_LANGUAGE_DATA();
  WritePng({kEnglish}, Path("english.png"));
  Pix* text = pixRead(Path("english.png").c_str());
  ASSERT_NE(text, nullptr);
  Pix* blank = pixCreate(600, 200, 8);
  pixSetAll(blank);  // white
  const std::string tiff = Path("scan.tiff");
  ASSERT_EQ(pixWriteTiff(tiff.c_str(), blank, IFF_TIFF_ZIP, "w"), 0);
  ASSERT_EQ(pixWriteTiff(tiff.c_str(), text, IFF_TIFF_ZIP, "a"), 0);
  pixDestroy(&blank);
  pixDestroy(&text);

  OcrOptions options;
  options.languages = "eng";
  auto r = Ocr(tiff, "image/tiff", options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->pages, 2u);
  ASSERT_FALSE(r->text.empty());
  EXPECT_EQ(r->text[0], '\f') << r->text;
  EXPECT_NE(r->text.find("Zamalka"), std::string::npos) << r->text;

  options.max_pages = 1;
  auto first = Ocr(tiff, "image/tiff", options);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->pages, 1u);
  EXPECT_EQ(first->text, "");
  ASSERT_EQ(first->failures.size(), 1u);
  EXPECT_NE(first->failures[0].find("limit of 1 pages"), std::string::npos) << first->failures[0];
}

TEST_F(OcrTest, StopsAtTheTimeLimitAndKeepsWhatWasRead) {
  SKIP_WITHOUT_LANGUAGE_DATA();
  const std::string png = Path("english.png");
  WritePng({kEnglish, kEnglish, kEnglish, kEnglish}, png);
  OcrOptions options;
  options.max_millis = 1;
  auto r = Ocr(png, "image/png", options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_FALSE(r->failures.empty());
  EXPECT_NE(r->failures[0].find("time limit of 1 ms"), std::string::npos) << r->failures[0];
}

// A 3 KiB page of nested form XObjects keeps poppler busy for minutes; its text and rendering
// run in a child killed at the time limit, so OCR returns by then with the page's failure.
TEST_F(OcrTest, HostilePdfPageEndsAtTheTimeLimitAsAFailure) {
  SKIP_WITHOUT_LANGUAGE_DATA();
  const std::string pdf = Path("nested.pdf");
  WriteFile(pdf, testing::NestedXObjectPdf(3, 100));
  OcrOptions options;
  options.max_millis = 1500;
  const auto start = std::chrono::steady_clock::now();
  auto r = Ocr(pdf, "application/pdf", options);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::string failures;
  for (const auto& f : r->failures) failures += f + " | ";
  EXPECT_NE(failures.find("page 1 of 1: "), std::string::npos) << failures;
  EXPECT_TRUE(failures.find("time limit of 1500 ms reached") != std::string::npos ||
              failures.find("memory limit of") != std::string::npos)
      << failures;
  EXPECT_EQ(r->text, "");
}

TEST_F(OcrTest, ScalesDownLargeImagesAndRefusesHugeOnes) {
  SKIP_WITHOUT_LANGUAGE_DATA();
  const std::string png = Path("english.png");
  WritePng({kEnglish}, png);  // about 1100 x 130 pixels
  OcrOptions options;
  options.languages = "eng";
  options.max_pixels = 100'000;  // read at about 0.8 of its size
  auto scaled = Ocr(png, "image/png", options);
  ASSERT_TRUE(scaled.ok()) << scaled.status().ToString();
  EXPECT_EQ(scaled->pages, 1u);
  EXPECT_NE(scaled->text.find("Zamalka"), std::string::npos) << scaled->text;

  options.max_pixels = 10'000;  // more than 4 times over: not decoded at all
  auto refused = Ocr(png, "image/png", options);
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_EQ(refused->pages, 0u);
  EXPECT_EQ(refused->text, "");
  ASSERT_EQ(refused->failures.size(), 1u);
  EXPECT_NE(refused->failures[0].find("not decoded"), std::string::npos) << refused->failures[0];
}

TEST_F(OcrTest, DamagedFilesGiveErrorsNotCrashes) {
  SKIP_WITHOUT_LANGUAGE_DATA();
  const std::string png = Path("english.png");
  WritePng({kEnglish}, png);
  const std::string bytes = ReadFile(png);
  WriteFile(Path("truncated.png"), bytes.substr(0, bytes.size() / 2));
  std::mt19937 rng(42);
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  WriteFile(Path("noise"), noise);
  WriteFile(Path("noise.png"), "\x89PNG\r\n\x1a\n" + noise);
  WriteFile(Path("noise.pdf"), "%PDF-1.7\n" + noise);
  WriteFile(Path("empty"), "");

  auto truncated = Ocr(Path("truncated.png"), "image/png");
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.status().code(), core::Code::kIntegrity);
  EXPECT_NE(truncated.status().message().find("truncated.png"), std::string::npos);
  for (const char* name : {"noise", "noise.png", "empty"}) {
    auto r = Ocr(Path(name), "image/png");
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.status().code(), core::Code::kIntegrity) << r.status().ToString();
  }
  for (const char* name : {"noise", "noise.pdf", "empty"}) {
    auto r = Ocr(Path(name), "application/pdf");
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.status().code(), core::Code::kIntegrity) << r.status().ToString();
  }
}

TEST_F(OcrTest, RejectsOtherTypesAndMissingLanguages) {
  WriteFile(Path("a.txt"), "Zamalka");
  auto text = Ocr(Path("a.txt"), "text/plain");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().code(), core::Code::kInvalidArgument);
  EXPECT_FALSE(HasOcr("text/plain"));
  EXPECT_FALSE(HasOcr("video/mp4"));
  EXPECT_TRUE(HasOcr("image/jpeg"));
  EXPECT_TRUE(HasOcr("application/pdf"));

  OcrOptions options;
  options.languages = "ara+chi_sim";
  if (!fs::exists("/usr/share/tesseract-ocr/5/tessdata/chi_sim.traineddata")) {
    auto missing = Ocr(Path("a.txt"), "image/png", options);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.status().code(), core::Code::kNotFound);
    EXPECT_NE(missing.status().message().find("tesseract-ocr-chi-sim"), std::string::npos)
        << missing.status().message();
  }
  options.languages = "../../etc/passwd";
  auto bad = Ocr(Path("a.txt"), "image/png", options);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), core::Code::kInvalidArgument);

  EXPECT_TRUE(OcrVersion().starts_with("tesseract 5.")) << OcrVersion();
  EXPECT_TRUE(OcrVersion().ends_with(" (ara+eng)")) << OcrVersion();
}

}  // namespace
}  // namespace isnad::media
