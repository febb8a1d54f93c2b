// PDF metadata and text with poppler-cpp: the Info dictionary, the XMP metadata stream (decoded
// by exiv2), the page count and version, and each page's text. poppler repairs what it can of
// a damaged file and says so through its error function, which is captured on this thread and
// reported as failures. The pages' text is read by pdftotext in a child process
// (media/pdf_tools.h), stopped at the deadline, at max_text_bytes and at an address-space
// limit: a hostile page ends as a failure that names the limit, never as a hang.
#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-page.h>
#include <poppler/cpp/poppler-version.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>

#include "core/utf8.h"
#include "media/metadata_internal.h"
#include "media/pdf_tools.h"

namespace isnad::media::internal {
namespace {

std::once_flag g_poppler_once;

void PopplerLogHandler(const std::string& message, void* /*closure*/) {
  LogCapture::Record(message);
}

void InitPoppler() {
  std::call_once(g_poppler_once,
                 [] { poppler::set_debug_error_function(PopplerLogHandler, nullptr); });
}

std::string Utf8(const poppler::ustring& s) {
  poppler::byte_array bytes = s.to_utf8();
  return std::string(bytes.begin(), bytes.end());
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// The pages' text, read by pdftotext in a child process bounded by the time left, the text
// limit and an address-space limit (media/pdf_tools.h): content streams can make poppler work
// without end, and in process it cannot be stopped.
// The XMP packet (the catalog's Metadata stream), by `pdfinfo -meta` in a bounded child:
// the stream may be compressed many times over, and poppler-cpp would inflate it in process.
std::string ReadXmp(const std::string& path, const ExtractLimits& limits, const Deadline& deadline,
                    Metadata& md) {
  constexpr size_t kMaxXmpBytes = size_t{4} << 20;
  const uint64_t left = deadline.RemainingMillis();
  if (left == 0) {
    md.failures.push_back("poppler: XMP not read: time limit of " +
                          std::to_string(limits.max_millis) + " ms reached");
    return "";
  }
  PdfToolLimits tool;
  tool.timeout_ms = left;
  tool.named_time_limit_ms = limits.max_millis;
  tool.max_output_bytes = kMaxXmpBytes;
  tool.max_memory_bytes = limits.max_pdf_tool_memory_bytes;
  PdfToolRun run = RunPdfTool(kPdfInfo, {"-meta", PdfPathArg(path)}, tool);
  for (const std::string& m : run.messages) LogCapture::Record(m);
  if (!run.failure.empty()) {
    md.failures.push_back("poppler: XMP not read: " + run.failure);
    return "";
  }
  if (run.out_truncated) {
    md.failures.push_back("poppler: XMP not read: over " + std::to_string(kMaxXmpBytes >> 20) +
                          " MiB");
    return "";
  }
  return core::LossyUtf8(run.out);
}

void ReadText(const std::string& path, int pages, const ExtractLimits& limits,
              const Deadline& deadline, Metadata& md) {
  if (pages <= 0) return;
  auto not_read = [&](int from, const std::string& why) {
    md.failures.push_back("poppler: text of pages " + std::to_string(from) + " to " +
                          std::to_string(pages) + " not read: " + why);
  };
  const uint64_t left = deadline.RemainingMillis();
  if (left == 0) {
    not_read(1, "time limit of " + std::to_string(limits.max_millis) + " ms reached");
    return;
  }
  PdfToolLimits tool;
  tool.timeout_ms = left;
  tool.named_time_limit_ms = limits.max_millis;
  // md.text is never shorter than what pdftotext writes: one byte more than the limit is
  // enough to know where the text is cut.
  tool.max_output_bytes =
      static_cast<size_t>(std::min<uint64_t>(limits.max_text_bytes, 1u << 30)) + 1;
  tool.max_memory_bytes = limits.max_pdf_tool_memory_bytes;
  PdfPageTexts read = ReadPdfPageTexts(path, 1, pages, tool);
  for (const std::string& m : read.run.messages) LogCapture::Record(m);
  const int got = static_cast<int>(read.pages.size());
  for (int i = 0; i < got; ++i) {
    std::string text = std::move(read.pages[i]);
    if (i > 0) text.insert(text.begin(), '\f');
    if (md.text.size() + text.size() > limits.max_text_bytes) {
      bool cut = false;
      md.text += CleanValue(text, limits.max_text_bytes - md.text.size(), &cut);
      md.failures.push_back("poppler: text cut at " + std::to_string(limits.max_text_bytes) +
                            " bytes, in page " + std::to_string(i + 1) + " of " +
                            std::to_string(pages));
      return;
    }
    bool cut = false;
    md.text += CleanValue(text, text.size(), &cut);
  }
  if (read.run.out_truncated) {
    // More than the limit came out: the cut falls in the page that did not come out whole.
    std::string_view out(read.run.out);
    size_t ff = out.rfind('\f');
    std::string text = (got > 0 ? "\f" : "") +
                       std::string(ff == std::string_view::npos ? out : out.substr(ff + 1));
    bool cut = false;
    md.text += CleanValue(text, limits.max_text_bytes - md.text.size(), &cut);
    md.failures.push_back("poppler: text cut at " + std::to_string(limits.max_text_bytes) +
                          " bytes, in page " + std::to_string(got + 1) + " of " +
                          std::to_string(pages));
    return;
  }
  if (got < pages) {
    not_read(got + 1, read.run.failure.empty()
                          ? "pdftotext gave only " + std::to_string(got) + " pages"
                          : read.run.failure);
  } else if (!read.run.failure.empty()) {
    md.failures.push_back("poppler: " + read.run.failure);
  }
}

void Read(const std::string& path, const ExtractLimits& limits, const Deadline& deadline,
          Metadata& md) {
  std::unique_ptr<poppler::document> doc(poppler::document::load_from_file(path));
  if (!doc) {
    md.failures.push_back(
        "poppler: cannot load the document (not a PDF, or damaged beyond repair)");
    return;
  }
  FieldGroup pdf("pdf", limits);
  // A locked document is one poppler could not decrypt: nothing else may be asked of it
  // (poppler-cpp 22.12's get_pdf_version dereferences the missing catalogue).
  if (doc->is_locked()) {
    md.failures.push_back(
        "poppler: the document is encrypted and needs a password; nothing else was read");
    pdf.Set("encrypted", "yes");
    md.fields["pdf"] = pdf.Take();
    return;
  }
  int major = 0, minor = 0;
  doc->get_pdf_version(&major, &minor);
  pdf.Set("version", std::to_string(major) + "." + std::to_string(minor));
  if (doc->is_encrypted()) pdf.Set("encrypted", "yes");
  int pages = doc->pages();
  pdf.SetInt("pages", pages);
  if (doc->is_linearized()) pdf.Set("linearized", "yes");
  FieldGroup info("pdf info", limits);
  for (const std::string& key : doc->info_keys()) info.Set(key, Utf8(doc->info_key(key)));
  info.ReportTo(md.failures);
  core::Json info_json = info.Take();
  pdf.SetJson("info", info_json);
  pdf.ReportTo(md.failures);
  md.fields["pdf"] = pdf.Take();

  auto info_text = [&](const char* key) {
    auto it = info_json.find(key);
    return it != info_json.end() && it->is_string() ? Trim(it->get<std::string>()) : std::string();
  };
  md.title = info_text("Title");
  md.author = info_text("Author");
  // Producer wrote these bytes (as a video's encoder did); Creator is the authoring program.
  md.software = info_text("Producer");
  if (md.software.empty()) md.software = info_text("Creator");
  if (std::string raw = info_text("CreationDate"); !raw.empty()) {
    if (auto when = ParsePdfDate(raw)) {
      md.captured_at = *when;
    } else {
      bool cut = false;
      md.failures.push_back("pdf: CreationDate is not a full date and time: '" +
                            CleanValue(raw, 64, &cut) + "'");
    }
  }

  std::string xmp = ReadXmp(path, limits, deadline, md);
  if (!Trim(xmp).empty()) ReadXmpPacket(xmp, limits, md);
  ReadText(path, pages, limits, deadline, md);
}

}  // namespace

void ReadPdfMetadata(const std::string& path, const ExtractLimits& limits, const Deadline& deadline,
                     Metadata& md) {
  InitPoppler();
  LogCapture capture;
  try {
    Read(path, limits, deadline, md);
  } catch (const std::exception& e) {
    md.failures.push_back(std::string("poppler: ") + e.what());
  } catch (...) {
    md.failures.push_back("poppler: unknown error");
  }
  capture.ReportTo("poppler", md.failures);
}

std::string PopplerVersion() { return "poppler " + poppler::version_string(); }

}  // namespace isnad::media::internal
