// OCR of images and scanned PDFs, in Arabic and English, with Tesseract (Debian
// tesseract-ocr with the -ara and -eng language data). A PDF page is rendered with poppler
// and read only when it holds (almost) no text of its own, so a born-digital PDF is not
// read twice. The text is made searchable by the archive (an `item.analyzed` entry's text).
//
// Bounded: at most `max_pages` pages, images over `max_pixels` are scaled down first, a
// wall-clock limit per file. A PDF page's text and image come from poppler-utils (pdftotext,
// pdftoppm) in a child process killed at that limit, under a memory limit (media/pdf_tools.h),
// so that a hostile page ends as a failure, never as a hang. Bad input gives an error value, never
// a crash. Thread safe: each call has its own Tesseract engine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace isnad::media {

struct OcrOptions {
  std::string languages = "ara+eng";  // Tesseract language codes joined by '+'
  uint32_t max_pages = 200;           // PDF pages read at most
  uint32_t pdf_dpi = 300;             // rendering resolution of scanned PDF pages
  uint64_t max_pixels = 40'000'000;   // larger images are scaled down before OCR
  uint64_t max_millis = 120'000;      // per file; what was read by then is returned
  // A PDF page's text and rendering are done by poppler-utils in a child process, killed at
  // the time left and limited to this much address space (RLIMIT_AS); 0: no limit.
  uint64_t max_pdf_tool_memory_bytes = 1ull << 30;
  // A PDF page with at least this many characters of its own text is not OCRed.
  uint32_t pdf_text_chars_enough = 32;
};

struct OcrResult {
  std::string text;                   // UTF-8, pages separated by form feeds
  uint32_t pages = 0;                 // pages (or images: 1) read with OCR
  int mean_confidence = 0;            // Tesseract's mean word confidence 0..100 over what was read
  std::vector<std::string> failures;  // pages that could not be read, time limit reached...
};

// OCRs the image (any type Leptonica reads: JPEG, PNG, TIFF, GIF, WebP, BMP) or PDF at `path`
// whose bytes sniffed as `media_type`. kInvalidArgument for other types; kNotFound when the
// language data is not installed (the message names the Debian package); kIntegrity when the
// file cannot be decoded at all.
core::StatusOr<OcrResult> Ocr(const std::string& path, const std::string& media_type,
                              const OcrOptions& options = {});

// Whether Ocr reads this media type.
bool HasOcr(const std::string& media_type);

// "tesseract 5.3.0 (ara+eng)" for the languages given.
std::string OcrVersion(const std::string& languages = "ara+eng");

}  // namespace isnad::media
