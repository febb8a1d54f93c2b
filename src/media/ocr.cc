#include "media/ocr.h"

#include <allheaders.h>  // Leptonica
#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>
#include <tesseract/baseapi.h>
#include <tesseract/ocrclass.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string_view>

#include "media/metadata_internal.h"
#include "media/pdf_tools.h"

namespace isnad::media {
namespace {

using Clock = std::chrono::steady_clock;

// Debian's tesseract-ocr-<lang> packages install here; named explicitly so that the
// environment (TESSDATA_PREFIX) cannot change which data reads the evidence.
constexpr char kTessdataDir[] = "/usr/share/tesseract-ocr/5/tessdata";
// Images up to this many times `max_pixels` are decoded and then scaled down; larger ones are
// not decoded at all (a decompression bomb would need gigabytes). JPEGs are decoded at 1/2,
// 1/4 or 1/8 scale instead, so they are read up to 64 times `max_pixels`.
constexpr uint64_t kDecodeFactor = 4;
// Tesseract's boxes have 16-bit coordinates.
constexpr int kMaxSide = 32000;
// OCR text kept at most per file; Tesseract's output is bounded by the pixels, this by bytes.
constexpr size_t kMaxTextBytes = 16u << 20;

struct PixDeleter {
  void operator()(Pix* pix) const { pixDestroy(&pix); }
};
using PixPtr = std::unique_ptr<Pix, PixDeleter>;

// Poppler's handler is process-wide and shared with metadata.cc, which captures poppler's
// messages per thread while it reads a PDF: this one does the same (whichever is installed
// last), and outside such a capture, as during OCR, messages go nowhere.
void PopplerMessages(const std::string& message, void*) { internal::LogCapture::Record(message); }

// The libraries' own diagnostics go nowhere: the library reports through its return values.
// Tesseract's `debug_file` and Leptonica's severity are process-wide, so they are set once.
// (libpng, under Leptonica, still prints "libpng error: ..." for a damaged PNG.)
void SilenceLibraries() {
  static std::once_flag once;
  std::call_once(once, [] {
    setMsgSeverity(L_SEVERITY_NONE);
    poppler::set_debug_error_function(PopplerMessages, nullptr);
    tesseract::TessBaseAPI api;
    api.SetVariable("debug_file", "/dev/null");
  });
}

std::vector<std::string> SplitLanguages(const std::string& languages) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= languages.size()) {
    size_t end = languages.find('+', start);
    if (end == std::string::npos) end = languages.size();
    out.push_back(languages.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The language codes must be names of installed data files: letters, digits and '_' only,
// so that no code names a path outside the data directory.
core::Status CheckLanguages(const std::string& languages) {
  for (const std::string& lang : SplitLanguages(languages)) {
    bool ok =
        !lang.empty() && lang.size() <= 32 && std::all_of(lang.begin(), lang.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_';
        });
    if (!ok) {
      return core::InvalidArgument("OCR languages \"" + languages +
                                   "\" are not Tesseract language codes joined by '+' "
                                   "(e.g. \"ara+eng\")");
    }
    std::error_code ec;
    std::string file = std::string(kTessdataDir) + "/" + lang + ".traineddata";
    if (!std::filesystem::is_regular_file(file, ec)) {
      std::string package = "tesseract-ocr-" + lang;
      std::transform(package.begin(), package.end(), package.begin(), [](char c) {
        return c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      });
      return core::NotFound("no Tesseract language data for \"" + lang + "\" (" + file +
                            "); install the Debian package " + package);
    }
  }
  return core::Status::Ok();
}

// Whether `languages` names one written in Arabic script (Tesseract's codes).
bool HasArabicScript(const std::string& languages) {
  for (const std::string& lang : SplitLanguages(languages)) {
    for (const char* code : {"ara", "fas", "urd", "pus", "snd", "uig", "kur_ara"}) {
      if (lang == code) return true;
    }
  }
  return false;
}

std::string Ms(uint64_t ms) { return std::to_string(ms) + " ms"; }

// Counts characters that are not white space, stopping at `enough`.
uint32_t NonSpaceChars(std::string_view utf8, uint32_t enough) {
  uint32_t n = 0;
  for (unsigned char c : utf8) {
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') continue;
    if (++n >= enough) break;
  }
  return n;
}

void TrimTrailingSpace(std::string* s) {
  size_t end = s->find_last_not_of(" \t\n\r\f\v");
  s->resize(end == std::string::npos ? 0 : end + 1);
}

// Whether a UTF-8 string may be cut before byte `i`.
bool IsCharBoundary(const std::string& s, size_t i) {
  return i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
}

// Gray, alpha over white, colormap removed, at most `max_pixels` and kMaxSide: what Tesseract
// reads best and with bounded memory. Null when Leptonica cannot convert it.
PixPtr Prepare(Pix* pix, uint64_t max_pixels) {
  PixPtr blended;
  if (pixGetDepth(pix) == 32 && pixGetSpp(pix) == 4) {
    blended.reset(pixAlphaBlendUniform(pix, 0xffffff00));
    if (blended == nullptr) return nullptr;
    pix = blended.get();
  }
  PixPtr gray(pixConvertTo8(pix, 0));
  if (gray == nullptr) return nullptr;
  if (pixGetColormap(gray.get()) != nullptr) {
    gray.reset(pixRemoveColormap(gray.get(), REMOVE_CMAP_TO_GRAYSCALE));
    if (gray == nullptr) return nullptr;
  }
  const double w = pixGetWidth(gray.get()), h = pixGetHeight(gray.get());
  double scale = 1.0;
  if (max_pixels > 0 && w * h > static_cast<double>(max_pixels)) {
    scale = std::sqrt(static_cast<double>(max_pixels) / (w * h));
  }
  scale = std::min({scale, kMaxSide / w, kMaxSide / h});
  if (scale < 1.0) {
    gray.reset(pixScale(gray.get(), static_cast<float>(scale), static_cast<float>(scale)));
  }
  return gray;
}

// One Tesseract engine for one Ocr call (TessBaseAPI is not thread safe); started only when a
// page needs it, so a born-digital PDF costs no Init.
class Engine {
 public:
  explicit Engine(const std::string& languages) : languages_(languages) {}
  ~Engine() {
    if (started_) api_.End();
  }

  core::Status Start() {
    if (started_) return core::Status::Ok();
    if (api_.Init(kTessdataDir, languages_.c_str(), tesseract::OEM_LSTM_ONLY) != 0) {
      return core::NotFound("Tesseract could not load the language data \"" + languages_ +
                            "\" from " + kTessdataDir +
                            "; reinstall the Debian tesseract-ocr-* packages for it");
    }
    api_.SetPageSegMode(tesseract::PSM_AUTO);
    if (HasArabicScript(languages_)) {
      // Tesseract's noise filter drops whole lines of dotted Arabic script (the dots look like
      // noise): tesseract-ocr/tesseract issues 657, 4375, 4582. Measured here: a lone line of
      // "هجوم كيميائي على الغوطة" at 56, 58 or 64 px was lost, and read with these off.
      api_.SetVariable("textord_noise_rejrows", "0");
      api_.SetVariable("textord_noise_rejwords", "0");
    }
    started_ = true;
    return core::Status::Ok();
  }

  struct Page {
    std::string text;  // trailing white space trimmed
    int confidence = 0;
    bool timed_out = false;
    bool failed = false;
  };

  // Reads `pix` (8 bpp gray) with the time left until `deadline`; `dpi` 0 when unknown.
  Page Read(Pix* pix, int dpi, Clock::time_point deadline) {
    Page page;
    api_.SetImage(pix);
    if (dpi > 0) api_.SetSourceResolution(dpi);
    tesseract::ETEXT_DESC monitor;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    monitor.set_deadline_msecs(
        static_cast<int32_t>(std::clamp<int64_t>(left.count(), 1, INT32_MAX)));
    if (api_.Recognize(&monitor) != 0) {
      // After a timeout the words recognised so far are kept; after another failure there is
      // nothing to read (and GetUTF8Text would start again without a deadline).
      page.timed_out = monitor.deadline_exceeded();
      page.failed = !page.timed_out;
    }
    if (!page.failed) {
      std::unique_ptr<char[]> text(api_.GetUTF8Text());
      if (text != nullptr) page.text = text.get();
      page.confidence = std::clamp(api_.MeanTextConf(), 0, 100);
    }
    api_.Clear();
    TrimTrailingSpace(&page.text);
    return page;
  }

 private:
  std::string languages_;
  tesseract::TessBaseAPI api_;
  bool started_ = false;
};

// Collects pages into an OcrResult: text per page joined by form feeds (page k of a PDF is the
// k-th part; pages not OCRed are empty), a confidence weighted by characters read.
class Collector {
 public:
  explicit Collector(OcrResult* result) : result_(result) {}

  // Appends a page that was not OCRed (it has its own text, or could not be read).
  void Skip() { index_++; }

  // Appends an OCRed page; false when the output limit was reached.
  bool Add(Engine::Page page) {
    result_->pages++;
    if (!page.text.empty()) {
      uint32_t chars = NonSpaceChars(page.text, UINT32_MAX);
      weighted_confidence_ += static_cast<uint64_t>(page.confidence) * chars;
      chars_ += chars;
      // Form feeds for the pages since the last one with text: written only when text follows,
      // so the text ends with the last page that had any (and is "" when none had).
      result_->text.append(index_ - form_feeds_, '\f');
      form_feeds_ = index_;
      result_->text += page.text;
    }
    index_++;
    if (result_->text.size() > kMaxTextBytes) {
      size_t cut = kMaxTextBytes;
      while (cut > 0 && !IsCharBoundary(result_->text, cut)) cut--;
      result_->text.resize(cut);
      result_->failures.push_back("OCR text cut at " + std::to_string(kMaxTextBytes) +
                                  " bytes; the rest was not kept");
      return false;
    }
    return true;
  }

  void Finish() {
    if (chars_ > 0) result_->mean_confidence = static_cast<int>(weighted_confidence_ / chars_);
  }

 private:
  OcrResult* result_;
  size_t index_ = 0;       // of the next page
  size_t form_feeds_ = 0;  // in result_->text
  uint64_t weighted_confidence_ = 0;
  uint64_t chars_ = 0;
};

std::string PageName(size_t index, size_t count) {
  return "page " + std::to_string(index + 1) + " of " + std::to_string(count);
}

// --- Images ---------------------------------------------------------------------------------

bool IsTiff(int format) {
  return format == IFF_TIFF || format == IFF_TIFF_PACKBITS || format == IFF_TIFF_RLE ||
         format == IFF_TIFF_G3 || format == IFF_TIFF_G4 || format == IFF_TIFF_LZW ||
         format == IFF_TIFF_ZIP || format == IFF_TIFF_JPEG;
}

// GIF's logical screen size, read before Leptonica decodes it (its header reader decodes the
// whole image); nullopt when the file is not a GIF.
std::optional<uint64_t> GifPixels(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char head[10] = {};
  if (!in.read(reinterpret_cast<char*>(head), sizeof head)) return std::nullopt;
  if (std::string_view(reinterpret_cast<char*>(head), 3) != "GIF") return std::nullopt;
  uint64_t w = head[6] | (head[7] << 8), h = head[8] | (head[9] << 8);
  return w * h;
}

std::string TooLarge(uint64_t w, uint64_t h, uint64_t max_pixels) {
  return "image of " + std::to_string(w) + "x" + std::to_string(h) +
         " pixels not decoded: more than " + std::to_string(kDecodeFactor) +
         " times the limit of " + std::to_string(max_pixels) + " pixels (OcrOptions::max_pixels)";
}

core::StatusOr<OcrResult> OcrImage(const std::string& path, const std::string& media_type,
                                   const OcrOptions& options, Clock::time_point deadline) {
  const std::string cannot = "cannot decode the " + media_type + " image " + path;
  const uint64_t max_decoded = options.max_pixels * kDecodeFactor;
  if (media_type == "image/gif") {
    std::optional<uint64_t> pixels = GifPixels(path);
    if (!pixels) return core::Integrity(cannot + ": no GIF header");
    if (options.max_pixels > 0 && *pixels > max_decoded) {
      OcrResult result;
      result.failures.push_back("GIF screen of " + std::to_string(*pixels) +
                                " pixels not decoded: more than " + std::to_string(kDecodeFactor) +
                                " times OcrOptions::max_pixels");
      return result;
    }
  }
  l_int32 format = 0, w = 0, h = 0, bps = 0, spp = 0, cmap = 0;
  if (pixReadHeader(path.c_str(), &format, &w, &h, &bps, &spp, &cmap) != 0 || w <= 0 || h <= 0) {
    return core::Integrity(cannot + ": not an image Leptonica can read, or damaged");
  }

  OcrResult result;
  Collector pages(&result);
  Engine engine(options.languages);
  auto read = [&](PixPtr pix, const std::string& where) -> core::Status {
    PixPtr gray = Prepare(pix.get(), options.max_pixels);
    pix.reset();
    if (gray == nullptr) {
      result.failures.push_back(where + ": could not be converted to gray for OCR");
      pages.Skip();
      return core::Status::Ok();
    }
    ISNAD_RETURN_IF_ERROR(engine.Start());
    Engine::Page page = engine.Read(gray.get(), 0, deadline);
    if (page.failed) result.failures.push_back(where + ": Tesseract could not read it");
    if (page.timed_out) {
      result.failures.push_back(where + ": time limit of " + Ms(options.max_millis) +
                                " reached; only what was read by then is kept");
    }
    pages.Add(std::move(page));
    return core::Status::Ok();
  };

  if (IsTiff(format)) {
    // Multi-page TIFF (faxes, scanner output): each page is read, up to max_pages.
    l_int32 count = 0;
    if (FILE* f = std::fopen(path.c_str(), "rb")) {
      if (tiffGetCount(f, &count) != 0) count = 0;
      std::fclose(f);
    }
    if (count <= 0) return core::Integrity(cannot + ": no TIFF page can be read");
    for (l_int32 i = 0; i < count; ++i) {
      const std::string where = PageName(i, count);
      if (static_cast<uint32_t>(i) >= options.max_pages) {  // damaged pages count too
        result.failures.push_back("pages " + std::to_string(i + 1) + " to " +
                                  std::to_string(count) + " not read: limit of " +
                                  std::to_string(options.max_pages) + " pages");
        break;
      }
      if (Clock::now() >= deadline) {
        result.failures.push_back("pages " + std::to_string(i + 1) + " to " +
                                  std::to_string(count) + " not read: time limit of " +
                                  Ms(options.max_millis) + " reached");
        break;
      }
      l_int32 pw = 0, ph = 0, pbps = 0, pspp = 0, res = 0, pcmap = 0, pformat = 0;
      if (readHeaderTiff(path.c_str(), i, &pw, &ph, &pbps, &pspp, &res, &pcmap, &pformat) != 0 ||
          pw <= 0 || ph <= 0) {
        result.failures.push_back(where + ": damaged TIFF page");
        pages.Skip();
        continue;
      }
      if (options.max_pixels > 0 && static_cast<uint64_t>(pw) * ph > max_decoded) {
        result.failures.push_back(where + ": " + TooLarge(pw, ph, options.max_pixels));
        pages.Skip();
        continue;
      }
      PixPtr pix(pixReadTiff(path.c_str(), i));
      if (pix == nullptr) {
        if (count == 1) return core::Integrity(cannot + ": damaged TIFF");
        result.failures.push_back(where + ": damaged TIFF page");
        pages.Skip();
        continue;
      }
      ISNAD_RETURN_IF_ERROR(read(std::move(pix), where));
    }
    pages.Finish();
    return result;
  }

  const uint64_t pixels = static_cast<uint64_t>(w) * h;
  PixPtr pix;
  if (format == IFF_JFIF_JPEG && options.max_pixels > 0 && pixels > options.max_pixels) {
    // libjpeg decodes at 1/2, 1/4 or 1/8 scale for almost nothing.
    int reduction = 1;
    while (reduction < 8 && pixels / (reduction * reduction) > options.max_pixels) reduction *= 2;
    if (pixels / (reduction * reduction) > max_decoded) {
      result.failures.push_back(TooLarge(w, h, options.max_pixels));
      return result;
    }
    pix.reset(pixReadJpeg(path.c_str(), 0, reduction, nullptr, 0));
  } else {
    if (options.max_pixels > 0 && pixels > max_decoded) {
      result.failures.push_back(TooLarge(w, h, options.max_pixels));
      return result;
    }
    pix.reset(pixRead(path.c_str()));
  }
  if (pix == nullptr) return core::Integrity(cannot + ": damaged or truncated");
  ISNAD_RETURN_IF_ERROR(read(std::move(pix), "the image"));
  pages.Finish();
  return result;
}

// --- PDF --------------------------------------------------------------------------------------

// The text of a PDF's pages, read ahead with pdftotext in a child process (pdf_tools.h) from
// the first page asked for that is not yet known, bounded by the time left and the memory
// limit. A page whose text could not be read is treated as one with no text of its own.
class PdfPageText {
 public:
  PdfPageText(const std::string& path, int count, const OcrOptions& options,
              Clock::time_point deadline)
      : path_(path), count_(count), options_(options), deadline_(deadline) {}

  // Page i's (0-based) own text; sets `failure` when it could not be read.
  std::string Get(int i, std::string* failure) {
    if (i < first_ || i >= first_ + static_cast<int>(pages_.size())) {
      pages_.clear();
      first_ = i;
      internal::PdfToolLimits limits;
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
      limits.timeout_ms = static_cast<uint64_t>(std::max<int64_t>(left.count(), 1));
      limits.named_time_limit_ms = options_.max_millis;
      limits.max_output_bytes = kReadAhead;
      limits.max_memory_bytes = options_.max_pdf_tool_memory_bytes;
      internal::PdfPageTexts read = internal::ReadPdfPageTexts(path_, i + 1, count_, limits);
      pages_ = std::move(read.pages);
      failure_ = read.run.failure;
    }
    if (i < first_ + static_cast<int>(pages_.size())) return pages_[i - first_];
    *failure = failure_.empty() ? "pdftotext gave no text for it" : failure_;
    pages_.clear();
    first_ = i + 1;  // the next page starts a new read
    return "";
  }

 private:
  static constexpr size_t kReadAhead = 8u << 20;
  std::string path_;
  int count_;
  const OcrOptions& options_;
  Clock::time_point deadline_;
  int first_ = 0;
  std::vector<std::string> pages_;
  std::string failure_;
};

std::string Decimal(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

core::StatusOr<OcrResult> OcrPdf(const std::string& path, const OcrOptions& options,
                                 Clock::time_point deadline) {
  // Document-level reads only (page count and sizes) in process; page text and rendering,
  // which interpret content streams and cannot be stopped in process, in a child.
  std::unique_ptr<poppler::document> doc(poppler::document::load_from_file(path));
  if (doc == nullptr) {
    return core::Integrity("cannot open the PDF " + path + ": damaged, truncated or not a PDF");
  }
  OcrResult result;
  if (doc->is_locked()) {
    result.failures.push_back("the PDF is locked with a password; its pages were not read");
    return result;
  }
  Collector pages(&result);
  Engine engine(options.languages);
  const int count = std::max(doc->pages(), 0);
  PdfPageText texts(path, count, options, deadline);
  for (int i = 0; i < count; ++i) {
    const std::string where = PageName(i, count);
    if (Clock::now() >= deadline) {
      result.failures.push_back("pages " + std::to_string(i + 1) + " to " + std::to_string(count) +
                                " not read: time limit of " + Ms(options.max_millis) + " reached");
      break;
    }
    std::unique_ptr<poppler::page> page(doc->create_page(i));
    if (page == nullptr) {
      result.failures.push_back(where + ": damaged page");
      pages.Skip();
      continue;
    }
    std::string text_failure;
    const std::string own = texts.Get(i, &text_failure);
    if (!text_failure.empty()) {
      result.failures.push_back(where + ": its own text could not be read: " + text_failure);
      if (Clock::now() >= deadline) continue;  // reported as not read at the next page
    }
    if (NonSpaceChars(own, options.pdf_text_chars_enough) >= options.pdf_text_chars_enough) {
      pages.Skip();  // born digital: its text is the PDF's own
      continue;
    }
    if (result.pages >= options.max_pages) {
      result.failures.push_back("pages from " + std::to_string(i + 1) + " on not OCRed: limit of " +
                                std::to_string(options.max_pages) + " pages");
      break;
    }
    // The page's size decides the resolution: at most max_pixels (and kMaxSide) are rendered.
    const poppler::rectf box = page->page_rect();
    page.reset();
    const double w_in = std::abs(box.width()) / 72.0, h_in = std::abs(box.height()) / 72.0;
    if (!(w_in > 0 && h_in > 0 && std::isfinite(w_in * h_in))) {
      result.failures.push_back(where + ": page has no size");
      pages.Skip();
      continue;
    }
    double dpi = options.pdf_dpi > 0 ? options.pdf_dpi : 300;
    if (options.max_pixels > 0 &&
        w_in * h_in * dpi * dpi > static_cast<double>(options.max_pixels)) {
      dpi = std::sqrt(static_cast<double>(options.max_pixels) / (w_in * h_in));
    }
    dpi = std::min({dpi, kMaxSide / w_in, kMaxSide / h_in});
    if (w_in * dpi < 1 || h_in * dpi < 1) {
      result.failures.push_back(where + ": page too long and thin to render");
      pages.Skip();
      continue;
    }
    // pdftoppm writes the page as an 8-bit grey PGM on its stdout, in a child bounded by the
    // time left and the memory limit (pdf_tools.h).
    internal::PdfToolLimits limits;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    limits.timeout_ms = static_cast<uint64_t>(std::max<int64_t>(left.count(), 1));
    limits.named_time_limit_ms = options.max_millis;
    limits.max_output_bytes = static_cast<size_t>((w_in * dpi + 2) * (h_in * dpi + 2)) + 4096;
    limits.max_memory_bytes = options.max_pdf_tool_memory_bytes;
    const std::string n = std::to_string(i + 1);
    internal::PdfToolRun render =
        internal::RunPdfTool(internal::kPdfToPpm,
                             {"-gray", "-aa", "yes", "-aaVector", "yes", "-r", Decimal(dpi), "-f",
                              n, "-l", n, internal::PdfPathArg(path)},
                             limits);
    PixPtr pix;
    if (render.failure.empty() && !render.out_truncated) {
      pix.reset(pixReadMem(reinterpret_cast<const l_uint8*>(render.out.data()), render.out.size()));
    }
    render.out.clear();
    render.out.shrink_to_fit();
    if (pix == nullptr) {
      result.failures.push_back(where + ": could not be rendered" +
                                (render.failure.empty() ? std::string() : ": " + render.failure));
      pages.Skip();
      continue;
    }
    ISNAD_RETURN_IF_ERROR(engine.Start());
    Engine::Page read = engine.Read(pix.get(), static_cast<int>(std::lround(dpi)), deadline);
    pix.reset();
    if (read.failed) result.failures.push_back(where + ": Tesseract could not read it");
    if (read.timed_out) {
      result.failures.push_back(where + ": time limit of " + Ms(options.max_millis) +
                                " reached; only what was read by then is kept");
    }
    if (!pages.Add(std::move(read))) break;
  }
  pages.Finish();
  return result;
}

}  // namespace

bool HasOcr(const std::string& media_type) {
  return media_type == "application/pdf" || media_type == "image/jpeg" ||
         media_type == "image/png" || media_type == "image/tiff" || media_type == "image/gif" ||
         media_type == "image/webp" || media_type == "image/bmp" ||
         media_type == "image/x-ms-bmp" || media_type == "image/jp2";
}

core::StatusOr<OcrResult> Ocr(const std::string& path, const std::string& media_type,
                              const OcrOptions& options) {
  if (!HasOcr(media_type)) {
    return core::InvalidArgument("no OCR for media type " + media_type + " (" + path +
                                 "): only images and PDF are read");
  }
  ISNAD_RETURN_IF_ERROR(CheckLanguages(options.languages));
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return core::NotFound("cannot open " + path + " for OCR: no such file");
  }
  SilenceLibraries();
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(std::min<uint64_t>(
                                                        options.max_millis, 1'000'000'000'000));
  try {
    if (media_type == "application/pdf") return OcrPdf(path, options, deadline);
    return OcrImage(path, media_type, options, deadline);
  } catch (const std::bad_alloc&) {
    return core::ResourceExhausted("out of memory during OCR of " + path);
  } catch (const std::exception& e) {
    return core::Internal("OCR of " + path + " failed: " + e.what());
  }
}

std::string OcrVersion(const std::string& languages) {
  return std::string("tesseract ") + tesseract::TessBaseAPI::Version() + " (" + languages + ")";
}

}  // namespace isnad::media
