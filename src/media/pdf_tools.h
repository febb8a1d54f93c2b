// The unbounded part of reading a PDF, page text and page rendering, run in a child process
// (Debian poppler-utils: pdftotext, pdftoppm, pdfinfo -meta) so that it can be stopped. poppler's
// content stream interpreter cannot be interrupted in process, and a few KiB of nested form
// XObjects keep it busy for minutes while its memory grows; in a child it is killed, with its
// process group, at the caller's remaining time, under an address-space limit (RLIMIT_AS, set with
// util-linux prlimit), with its output capped. Such a file ends as a failure that says which
// limit was reached, never as a hang. The XMP stream is read the same way (it may be deflated
// many times over). The cheap document-level reads (Info dictionary, page count, page sizes)
// stay in process with poppler-cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace isnad::media::internal {

inline constexpr const char* kPdfToText = "/usr/bin/pdftotext";
inline constexpr const char* kPdfToPpm = "/usr/bin/pdftoppm";
inline constexpr const char* kPdfInfo = "/usr/bin/pdfinfo";
inline constexpr const char* kPrlimit = "/usr/bin/prlimit";

struct PdfToolLimits {
  uint64_t timeout_ms = 0;
  // The limit a time-out failure names (the caller's whole limit, of which timeout_ms is what
  // is left); 0: timeout_ms.
  uint64_t named_time_limit_ms = 0;
  size_t max_output_bytes = 0;             // stdout kept at most
  uint64_t max_memory_bytes = 1ull << 30;  // the child's address space; 0: unlimited
};

struct PdfToolRun {
  // "" when the tool ran to its end with status 0; else what stopped it, for a failure:
  // "pdftotext: time limit of 2000 ms reached", "pdftotext: memory limit of 1024 MiB
  // reached", "pdftotext: exited with status 1", "pdftotext: not installed (...)".
  std::string failure;
  bool timed_out = false;
  std::string out;             // its stdout, at most max_output_bytes
  bool out_truncated = false;  // it wrote more than that
  // Its error lines in poppler-cpp's words ("error (123): Illegal character"), so that the
  // same complaint from the in-process read and from the tool is reported once.
  std::vector<std::string> messages;
};

// Runs `tool` (an absolute path) with `args` under `limits`. Never throws.
PdfToolRun RunPdfTool(const std::string& tool, const std::vector<std::string>& args,
                      const PdfToolLimits& limits);

// `path` as an argument that the tools do not take for an option.
std::string PdfPathArg(const std::string& path);

// The text of pages first..last (1-based) with pdftotext -layout, the layout poppler-cpp's
// page::text() gives (the same bytes, measured on the tests' PDFs). `pages` holds each page
// that came out whole, in order from `first`, each ending in a form feed as page::text() does;
// when fewer than asked came back, `run.failure` or `run.out_truncated` says why.
struct PdfPageTexts {
  std::vector<std::string> pages;
  PdfToolRun run;
};
PdfPageTexts ReadPdfPageTexts(const std::string& path, int first, int last,
                              const PdfToolLimits& limits);

}  // namespace isnad::media::internal
