#include "report/report.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/digest.h"
#include "core/encoding.h"
#include "core/testing/temp_dir.h"
#include "core/utf8.h"
#include "report/internal.h"

// Fontconfig keeps its configuration and font caches for the life of the process, by
// design; the sanitizer pass (scripts/test) runs with leak detection on.
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }

namespace isnad::report {
namespace {

using core::testing::ReadTestFile;
using core::testing::TempDir;
using core::testing::WriteTestFile;

std::string Sha512Hex(std::string_view data) {
  core::Sha512 h;
  h.Update(data);
  auto raw = h.Finish();
  return core::HexEncode(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
}

Exhibit MakeExhibit(int n) {
  std::string body = "exhibit bytes " + std::to_string(n);
  Exhibit x;
  x.id = "i" + std::to_string(n);
  x.name = "video-" + std::to_string(n) + ".mp4";
  x.bag_path = "data/exhibits/" + x.id + "/" + x.name;
  x.sha256 = core::Sha256Of(body).Hex();
  x.sha512 = Sha512Hex(body);
  x.media_type = "video/mp4";
  x.size = 1572864 + static_cast<uint64_t>(n);
  x.title = "Shelling of the market, view from the north";
  x.description = "Filmed from a rooftop.\nSecond paragraph: smoke rises over زملكا.";
  x.event_date = "2013-08-21";
  x.place = "Zamalka / زملكا";
  x.status = "verified";
  x.provenance = {"captured from https://example.org/watch?v=abc by capture-bot 1.2",
                  "uploaded by the witness on 2013-08-22"};
  x.custody = {{"2024-01-05T10:00:00Z", "item.ingested"},
               {"2024-01-06T09:30:00Z", "item.reviewed: verified"}};
  return x;
}

Content MakeContent(std::string lang, int exhibits) {
  Content c;
  c.lang = std::move(lang);
  c.title = "Ghouta chemical attack, 21 August 2013 — الغوطة";
  c.origin = "archive.example.org/isnad";
  c.vkey = "archive.example.org/isnad+4f2a9c1e+AaWvXG6pZ0qYw7iS3R5m4V2tN8bK1cD9eF0gH2jL3mN4";
  c.checkpoint_size = "1234";
  c.checkpoint_root = "q1Zr0mJ8k9aXbT2cV4dW6eY8fZ0gA2hB4iC6jD8kE0E=";
  c.bagging_date = "2024-03-01";
  for (int i = 1; i <= exhibits; ++i) c.exhibits.push_back(MakeExhibit(i));
  c.timeline = {{"2013-08-21T02:00:00Z", "First reports of the attack"},
                {"2013-08-21T06:00:00Z", "أول الصور من زملكا"}};
  c.timestamps = {"checkpoint 1234: 2024-03-01T12:00:00Z by tsa.example.org (token 1234-0.tsr)"};
  return c;
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

size_t Count(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// Runs `command` and returns its standard output; fails the test when it does not exit 0.
std::string Run(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run " << command;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  int rc = pclose(pipe);
  EXPECT_EQ(rc, 0) << command << " (poppler-utils is in scripts/deps.sh)";
  return out;
}

struct PdfText {
  std::string text, info;
};

// The text pdftotext reads back from `pdf`, and pdfinfo's summary.
PdfText ReadBack(const std::string& pdf) {
  TempDir dir;
  WriteTestFile(dir.Join("r.pdf"), pdf);
  PdfText out;
  Run("pdftotext -enc UTF-8 '" + dir.Join("r.pdf") + "' '" + dir.Join("r.txt") + "' 2>&1");
  out.text = ReadTestFile(dir.Join("r.txt"));
  out.info = Run("pdfinfo '" + dir.Join("r.pdf") + "' 2>&1");
  return out;
}

// pdftotext (poppler 22) reads the lam-alef ligature of right-to-left text back with its
// two letters swapped ("الأدلة" as "األدلة"): the PDF maps the one glyph to "لأ" in
// logical order, and poppler reverses the characters of the whole right-to-left word,
// including those of the ligature. Returns `s` as poppler gives it back.
std::string AsPopplerReadsIt(std::string_view s) {
  constexpr std::string_view kLam = "ل";
  std::string out(s);
  for (std::string_view alef : {"ا", "أ", "إ", "آ"}) {
    std::string pair = std::string(kLam) + std::string(alef);
    std::string swapped = std::string(alef) + std::string(kLam);
    for (size_t at = out.find(pair); at != std::string::npos; at = out.find(pair, at + 1)) {
      out.replace(at, pair.size(), swapped);
    }
  }
  return out;
}

int Pages(const std::string& info) {
  size_t at = info.find("Pages:");
  if (at == std::string::npos) return -1;
  return std::stoi(info.substr(at + 6));
}

TEST(ReportHtml, EnglishHasLabelsHashesAndVerificationSteps) {
  Content c = MakeContent("en", 3);
  std::string html = Html(c);
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\">"));
  EXPECT_TRUE(core::IsValidUtf8(html));
  for (const char* label : {"Evidence report",
                            "Archive origin",
                            "Public key (vkey)",
                            "Checkpoint size",
                            "Checkpoint root",
                            "Bagging date",
                            "Exhibit list",
                            "Original name",
                            "Path in the bag",
                            "Media type",
                            "SHA-256 hash",
                            "SHA-512 hash",
                            "Event date",
                            "Place",
                            "Review status",
                            "Capture provenance",
                            "Custody timeline",
                            "Case and incident timeline",
                            "RFC 3161 timestamps",
                            "How to verify this package",
                            "sha256sum -c manifest-sha256.txt",
                            "isnad verify-bag BAG --key VKEY",
                            "data/tools/verifying.md"}) {
    EXPECT_TRUE(Contains(html, label)) << label;
  }
  for (const Exhibit& x : c.exhibits) {
    EXPECT_TRUE(Contains(html, x.sha256)) << x.id;
    EXPECT_TRUE(Contains(html, x.sha512)) << x.id;
    EXPECT_TRUE(Contains(html, "<bdi>" + x.name + "</bdi>")) << x.id;
    EXPECT_TRUE(Contains(html, x.bag_path)) << x.id;
  }
  EXPECT_TRUE(Contains(html, "1572865 bytes (<bdi dir=\"ltr\">1.5 MiB</bdi>)"));
  EXPECT_TRUE(Contains(html, c.vkey));
  EXPECT_TRUE(Contains(html, c.checkpoint_root));
  EXPECT_TRUE(Contains(html, "First reports of the attack"));
  EXPECT_TRUE(Contains(html, "tsa.example.org"));
  EXPECT_TRUE(Contains(html, "@page { size: A4;"));
  // Mixed-direction content is isolated: the Arabic in the title keeps its direction.
  EXPECT_TRUE(Contains(html, "<p class=\"subject\" dir=\"auto\">Ghouta chemical attack"));
  EXPECT_TRUE(Contains(html, "<bdi>أول الصور من زملكا</bdi>"));
  // Each paragraph of a description takes its own direction.
  EXPECT_TRUE(Contains(html,
                       "<p class=\"text\" dir=\"auto\">Filmed from a rooftop.</p>"
                       "<p class=\"text\" dir=\"auto\">Second paragraph: smoke rises over "
                       "زملكا.</p>"));
  EXPECT_EQ(Html(c), html);
}

TEST(ReportHtml, ArabicIsRightToLeftWithArabicLabels) {
  Content c = MakeContent("ar", 2);
  std::string html = Html(c);
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>\n<html lang=\"ar\" dir=\"rtl\">"));
  EXPECT_TRUE(core::IsValidUtf8(html));
  for (const char* label : {"تقرير الأدلة",
                            "مصدر الأرشيف",
                            "المفتاح العام",
                            "حجم نقطة التحقق",
                            "جذر نقطة التحقق",
                            "تاريخ إعداد الحزمة",
                            "قائمة الأدلة",
                            "الاسم الأصلي",
                            "المسار داخل الحزمة",
                            "نوع الوسائط",
                            "بصمة SHA-256",
                            "بصمة SHA-512",
                            "تاريخ الحدث",
                            "المكان",
                            "حالة المراجعة",
                            "مصدر الالتقاط",
                            "التسلسل الزمني لسلسلة الحيازة",
                            "الطوابع الزمنية",
                            "كيفية التحقق من هذه الحزمة",
                            "sha256sum -c manifest-sha256.txt",
                            "isnad verify-bag BAG --key VKEY",
                            "data/tools/verifying.md"}) {
    EXPECT_TRUE(Contains(html, label)) << label;
  }
  EXPECT_FALSE(Contains(html, "Exhibit list"));
  EXPECT_FALSE(Contains(html, "How to verify"));
  for (const Exhibit& x : c.exhibits) {
    EXPECT_TRUE(Contains(html, x.sha256)) << x.id;
    EXPECT_TRUE(Contains(html, x.sha512)) << x.id;
  }
  // Hashes, keys and commands stay left to right inside the right-to-left page.
  EXPECT_TRUE(Contains(html, "<code class=\"hash\" dir=\"ltr\">" + c.exhibits[0].sha256));
  EXPECT_TRUE(Contains(html, "<pre class=\"cmd\" dir=\"ltr\">sha256sum -c manifest-sha256.txt"));
}

TEST(ReportHtml, EscapesEveryContentString) {
  Content c = MakeContent("en", 1);
  Exhibit& x = c.exhibits[0];
  x.name = "<script>alert(1)</script>.mp4";
  x.title = "\"quoted\" & 'single' <b>bold</b>";
  x.description = "<img src=x onerror=alert(2)>";
  x.place = "evil\xE2\x80\xAEgpj.exe";  // U+202E RIGHT-TO-LEFT OVERRIDE
  x.status = std::string("bad\xff\xfe bytes and a \x01 control");
  x.custody.push_back({"<i>date</i>", "</li><script>x</script>"});
  c.title = "</title><script>alert(3)</script>";
  c.origin = "<a href=\"https://evil.example\">x</a>";
  c.timestamps = {"<style>body{display:none}</style>"};
  std::string html = Html(c);
  EXPECT_TRUE(Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;.mp4"));
  EXPECT_TRUE(Contains(html, "&quot;quoted&quot; &amp; &#39;single&#39; &lt;b&gt;bold&lt;/b&gt;"));
  EXPECT_TRUE(Contains(html, "&lt;img src=x onerror=alert(2)&gt;"));
  EXPECT_TRUE(Contains(html, "&lt;/title&gt;&lt;script&gt;alert(3)&lt;/script&gt;"));
  EXPECT_TRUE(Contains(html, "evil[U+202E]gpj.exe"));
  EXPECT_TRUE(Contains(html, "bad\xEF\xBF\xBD\xEF\xBF\xBD bytes and a \xEF\xBF\xBD control"));
  EXPECT_TRUE(core::IsValidUtf8(html));
  // No markup from content, no scripts, nothing loaded from outside.
  for (const char* bad : {"<script", "<img", "<a ", "href=\"", "src=\"", "url(", "@import", "<link",
                          "<iframe", "<style>body", "\xE2\x80\xAE"}) {
    EXPECT_FALSE(Contains(html, bad)) << bad;
  }
  EXPECT_TRUE(Contains(html, "Content-Security-Policy\" content=\"default-src 'none'"));
  EXPECT_EQ(Count(html, "<style>"), 1u);
}

TEST(ReportHtml, EmptyExhibitListStillRenders) {
  Content c;
  c.lang = "en";
  std::string html = Html(c);
  EXPECT_TRUE(Contains(html, "This package holds no exhibits."));
  EXPECT_TRUE(Contains(html, "This package holds no timestamp tokens."));
  EXPECT_TRUE(Contains(html, "How to verify this package"));
  EXPECT_FALSE(Contains(html, "Case and incident timeline"));
  EXPECT_TRUE(html.ends_with("</html>\n"));
  c.lang = "ar";
  EXPECT_TRUE(Contains(Html(c), "لا تحتوي هذه الحزمة على أي دليل."));
}

TEST(ReportPdf, EnglishReadsBackWithHashesAndLabels) {
  Content c = MakeContent("en", 3);
  auto pdf = Pdf(c);
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  EXPECT_TRUE(pdf->starts_with("%PDF-"));
  PdfText back = ReadBack(*pdf);
  for (const char* label :
       {"Evidence report", "Archive origin", "Exhibit list", "Original name", "SHA-256 hash",
        "SHA-512 hash", "Review status", "Capture provenance", "Custody timeline",
        "Case and incident timeline", "RFC 3161 timestamps", "How to verify this package",
        "sha256sum -c manifest-sha256.txt", "isnad verify-bag BAG --key VKEY",
        "data/tools/verifying.md", "Size: 1572865 bytes (1.5 MiB)"}) {
    EXPECT_TRUE(Contains(back.text, label)) << label;
  }
  for (const Exhibit& x : c.exhibits) {
    EXPECT_TRUE(Contains(back.text, x.sha256)) << x.id;
    // A SHA-512 hash is printed as two lines of 64 digits.
    EXPECT_TRUE(Contains(back.text, x.sha512.substr(0, 64))) << x.id;
    EXPECT_TRUE(Contains(back.text, x.sha512.substr(64))) << x.id;
    EXPECT_TRUE(Contains(back.text, x.bag_path)) << x.id;
  }
  EXPECT_TRUE(Contains(back.text, "Filmed from a rooftop."));
  EXPECT_TRUE(Contains(back.info, "Creator:         isnad")) << back.info;
  EXPECT_TRUE(Contains(back.info, "Title:           Evidence report — Ghouta")) << back.info;
  EXPECT_TRUE(Contains(back.info, "Page size:       595.276 x 841.89 pts (A4)")) << back.info;
  int pages = Pages(back.info);
  EXPECT_GE(pages, 1);
  EXPECT_TRUE(Contains(back.text, "1 / " + std::to_string(pages)));
}

TEST(ReportPdf, ArabicReadsBackWithArabicLabels) {
  Content c = MakeContent("ar", 2);
  auto pdf = Pdf(c);
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  EXPECT_TRUE(pdf->starts_with("%PDF-"));
  PdfText back = ReadBack(*pdf);
  for (const char* label :
       {"قائمة الأدلة", "كيفية التحقق من هذه الحزمة", "تقرير الأدلة", "الاسم الأصلي",
        "حالة المراجعة", "مصدر الالتقاط", "بصمة", "التسلسل الزمني لسلسلة الحيازة", "نوع الوسائط",
        "المسار داخل الحزمة", "تاريخ الحدث"}) {
    EXPECT_TRUE(Contains(back.text, label) || Contains(back.text, AsPopplerReadsIt(label)))
        << label << "\n"
        << back.text;
  }
  // Words without a lam-alef come back exactly.
  EXPECT_TRUE(Contains(back.text, "كيفية التحقق من هذه الحزمة"));
  EXPECT_TRUE(Contains(back.text, "التسلسل الزمني لسلسلة الحيازة"));
  EXPECT_FALSE(Contains(back.text, "Exhibit list"));
  for (const Exhibit& x : c.exhibits) {
    EXPECT_TRUE(Contains(back.text, x.sha256)) << x.id;
    EXPECT_TRUE(Contains(back.text, x.sha512.substr(0, 64))) << x.id;
  }
  EXPECT_TRUE(Contains(back.text, "isnad verify-bag BAG --key VKEY"));
  EXPECT_TRUE(Contains(back.info, "Title:           تقرير الأدلة")) << back.info;
}

TEST(ReportPdf, TwoHundredExhibitsPaginate) {
  Content c = MakeContent("en", 200);
  auto pdf = Pdf(c);
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  PdfText back = ReadBack(*pdf);
  int pages = Pages(back.info);
  EXPECT_GT(pages, 1);
  std::string total = " / " + std::to_string(pages);
  EXPECT_TRUE(Contains(back.text, "1" + total));
  EXPECT_TRUE(Contains(back.text, std::to_string(pages) + total));
  EXPECT_EQ(Count(back.text, total), static_cast<size_t>(pages));
  EXPECT_TRUE(Contains(back.text, c.exhibits[199].sha256));
  EXPECT_TRUE(Contains(back.text, "200. i200"));

  c.lang = "ar";
  auto ar = Pdf(c);
  ASSERT_TRUE(ar.ok()) << ar.status().ToString();
  PdfText ar_back = ReadBack(*ar);
  EXPECT_GT(Pages(ar_back.info), 1);
  EXPECT_TRUE(Contains(ar_back.text, "1 / " + std::to_string(Pages(ar_back.info))));
}

TEST(ReportPdf, EmptyExhibitListStillRenders) {
  Content c;
  c.lang = "en";
  auto pdf = Pdf(c);
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  PdfText back = ReadBack(*pdf);
  EXPECT_TRUE(Contains(back.text, "This package holds no exhibits."));
  EXPECT_TRUE(Contains(back.text, "How to verify this package"));
  EXPECT_EQ(Pages(back.info), 1);
  c.lang = "ar";
  EXPECT_TRUE(Pdf(c).ok());
}

TEST(ReportPdf, SameContentGivesSameBytes) {
  for (const char* lang : {"en", "ar"}) {
    Content c = MakeContent(lang, 5);
    auto a = Pdf(c);
    auto b = Pdf(c);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(*a, *b) << lang;
    EXPECT_EQ(Html(c), Html(c)) << lang;
  }
  // The creation date is the bagging date, not the time of rendering.
  auto pdf = Pdf(MakeContent("en", 1));
  ASSERT_TRUE(pdf.ok());
  // (Cairo 1.16.0 writes it without the "D:" prefix; later versions with it.)
  size_t at = pdf->find("/CreationDate (");
  ASSERT_NE(at, std::string::npos);
  EXPECT_TRUE(Contains(pdf->substr(at, 40), "20240301000000")) << pdf->substr(at, 40);
  // Without a bagging date there is no date at all, so the bytes still never vary.
  Content undated = MakeContent("en", 1);
  undated.bagging_date = "";
  auto first = Pdf(undated);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(Contains(*first, "/CreationDate"));
  EXPECT_EQ(*first, *Pdf(undated));
}

TEST(ReportPdf, ConcurrentRendersAgree) {
  Content c = MakeContent("ar", 10);
  auto expected = Pdf(c);
  ASSERT_TRUE(expected.ok());
  std::vector<std::string> got(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < got.size(); ++i) {
    threads.emplace_back([&, i] {
      auto pdf = Pdf(c);
      if (pdf.ok()) got[i] = *std::move(pdf);
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& pdf : got) EXPECT_TRUE(pdf == *expected);
}

TEST(ReportPdf, HostileAndOversizedContentRenders) {
  Content c = MakeContent("en", 2);
  Exhibit& x = c.exhibits[0];
  x.name = "<script>alert(1)</script>" + std::string(400, 'A') + ".mp4";
  x.place = "evil\xE2\x80\xAEgpj.exe";
  x.status = std::string("bad\xff bytes\x00 and NUL", 19);
  std::string long_text;
  for (int i = 0; i < 150; ++i)
    long_text += "Line " + std::to_string(i) + " of a very long note.\n";
  x.description = long_text;  // taller than a page
  c.exhibits[1].sha512 = "";  // missing values still render
  c.exhibits[1].name = "شهادة الشاهد الأولى (witness 1).mp4";
  auto pdf = Pdf(c);
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  PdfText back = ReadBack(*pdf);
  EXPECT_GT(Pages(back.info), 2);
  EXPECT_TRUE(Contains(back.text, "<script>alert(1)<"));  // may wrap after "</"
  EXPECT_TRUE(Contains(back.text, "evil[U+202E]gpj.exe"));
  EXPECT_TRUE(Contains(back.text, "Line 149 of a very long note."));
  EXPECT_TRUE(Contains(back.text, c.exhibits[1].sha256));
}

// Pango lays out one paragraph in time that grows with the square of its length: a
// long description (pasted OCR text, a transcript), URL or path must not stall the
// export for minutes (before the fix: about 45 s here; 1 MB took tens of minutes).
TEST(ReportPdf, VeryLongValuesRenderQuickly) {
  Content c = MakeContent("en", 1);
  std::string arabic;
  while (arabic.size() < 200000) arabic += "شهادة الشاهد ";
  c.exhibits[0].description = "START " + std::string(150000, 'x') + " MIDDLE\n" + arabic + "END";
  // One content value in a labelled line, and a non-ASCII path in monospace.
  c.exhibits[0].provenance[0] = "captured from https://x.example/?q=" + std::string(200000, 'q');
  c.exhibits[0].bag_path = "data/" + arabic.substr(0, 100000) + "TAIL";
  const auto start = std::chrono::steady_clock::now();
  auto pdf = Pdf(c);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  EXPECT_LT(seconds, 20.0) << "one long paragraph took " << seconds << " s";
  PdfText back = ReadBack(*pdf);
  EXPECT_TRUE(Contains(back.text, "START"));
  EXPECT_TRUE(Contains(back.text, "MIDDLE"));
  EXPECT_TRUE(Contains(back.text, "END"));
  EXPECT_TRUE(Contains(back.text, "TAIL"));
  EXPECT_TRUE(Contains(back.text, "captured from"));
  EXPECT_TRUE(Contains(back.text, std::string(60, 'q')));
}

TEST(ReportText, CleanAndSizes) {
  using internal::Clean;
  EXPECT_EQ(Clean("plain زملكا"), "plain زملكا");
  EXPECT_EQ(Clean("a\nb\tc"),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD"
            "c");
  EXPECT_EQ(Clean("a\r\nb\tc\rd", true), "a\nb c\nd");
  EXPECT_EQ(Clean("x\xE2\x81\xA7y"), "x[U+2067]y");
  EXPECT_EQ(Clean("\xC3\x28"), "\xEF\xBF\xBD(");
  EXPECT_EQ(Clean("rtl\xE2\x80\x8Fmark"), "rtl\xE2\x80\x8Fmark");  // marks stay
  using internal::BinarySize;
  EXPECT_EQ(BinarySize(0), "");
  EXPECT_EQ(BinarySize(1023), "");
  EXPECT_EQ(BinarySize(1024), "1.0 KiB");
  EXPECT_EQ(BinarySize(1536), "1.5 KiB");
  EXPECT_EQ(BinarySize(1048575), "1.0 MiB");
  EXPECT_EQ(BinarySize(1048576 * 1023 + 1048576 / 2), "1023.5 MiB");
  EXPECT_EQ(BinarySize(UINT64_MAX), "16.0 EiB");
  EXPECT_STREQ(internal::LabelsFor("fr").lang, "en");
}

}  // namespace
}  // namespace isnad::report
