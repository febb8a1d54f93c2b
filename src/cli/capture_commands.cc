// `isnad capture`: fetch URLs into WARC files stored as items, with their
// payloads as items and a capture.recorded entry each (archive/capture.h).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "archive/capture.h"
#include "cli/common.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "core/canonical_json.h"
#include "core/env.h"
#include "core/status.h"
#include "core/utf8.h"

namespace isnad::cli {

// Registered from main.cc.
void RegisterCaptureCommands(CLI::App& app, const Globals& g, Commands& out);

namespace {

using core::Json;
using core::Status;

struct CaptureArgs {
  std::vector<std::string> urls;
  std::string from;
  int concurrency = 16;
  int per_host = 4;
  int timeout = 120;
  uint64_t max_size = uint64_t{2} << 30;
  std::string user_agent;
  std::string proxy;
  std::string ca_file;
  bool again = false;
  bool allow_local_redirects = false;
  bool analyze = true;
  std::string extractor = "auto";
  int extractor_timeout = 600;
};

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// One CSV record (RFC 4180: quoted fields, "" inside quotes) from `text` at
// `*at`; advances past its line end.
std::vector<std::string> CsvRecord(const std::string& text, size_t* at) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  size_t i = *at;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c == '\n') {
      ++i;
      break;
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  *at = i;
  return fields;
}

// A URL from a --from file and the line it starts on (from 1), to name in a failure.
struct ListedUrl {
  std::string url;
  size_t line = 0;
};

// URLs from a file: one per line ('#' comments, blank lines skipped), or a CSV
// whose header row has a "url" column (any case). A first line that is itself
// a URL makes a list, commas and all (a map link "…/@33.57,36.40,14z"). A CSV
// row with other values but no URL is named on stderr, not dropped unseen.
core::StatusOr<std::vector<ListedUrl>> ReadUrlFile(const std::string& path) {
  auto text = core::Env::Default()->ReadFile(path);
  if (!text.ok()) return text.status().WithContext("cannot read the URL list " + path);
  std::vector<ListedUrl> urls;
  // A UTF-8 byte order mark (spreadsheets write one, "CSV UTF-8") is not part of the first line.
  size_t at = text->rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
  const size_t body = at;
  // The line `pos` is on, counted forward from the last call's position.
  size_t line = 1, counted_to = 0;
  auto line_at = [&](size_t pos) {
    line += static_cast<size_t>(std::count(text->begin() + static_cast<std::ptrdiff_t>(counted_to),
                                           text->begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
    counted_to = pos;
    return line;
  };
  const std::string first_line =
      core::AsciiLower(Trim(std::string_view(*text).substr(at, text->find('\n', at) - at)));
  const bool listed_url = first_line.starts_with("http://") || first_line.starts_with("https://");
  std::vector<std::string> header = CsvRecord(*text, &at);
  int url_column = -1;
  if (!listed_url && (header.size() > 1 || core::AsciiLower(Trim(header[0])) == "url")) {
    for (size_t c = 0; c < header.size(); ++c) {
      if (core::AsciiLower(Trim(header[c])) == "url") url_column = static_cast<int>(c);
    }
    if (url_column < 0) {
      return core::InvalidArgument(path +
                                   " looks like CSV (commas in its first line) but has no "
                                   "\"url\" column in its header row");
    }
    while (at < text->size()) {
      const size_t row_line = line_at(at);
      std::vector<std::string> row = CsvRecord(*text, &at);
      std::string url;
      if (static_cast<size_t>(url_column) < row.size()) {
        url = Trim(row[static_cast<size_t>(url_column)]);
      }
      if (!url.empty()) {
        urls.push_back({std::move(url), row_line});
      } else if (std::any_of(row.begin(), row.end(),
                             [](const std::string& f) { return !Trim(f).empty(); })) {
        // A spreadsheet's empty row (",,,") is skipped unseen; a row with other fields is not.
        std::fprintf(stderr, "%s line %zu: no URL in its \"url\" column; skipped\n", path.c_str(),
                     row_line);
      }
    }
    return urls;
  }
  for (size_t start = body; start < text->size();) {
    size_t end = text->find('\n', start);
    if (end == std::string::npos) end = text->size();
    std::string url = Trim(std::string_view(*text).substr(start, end - start));
    if (!url.empty() && url.front() != '#') urls.push_back({std::move(url), line_at(start)});
    start = end + 1;
  }
  return urls;
}

// A short name for why a capture failed, for the summary.
std::string ReasonOf(const core::Status& s) {
  const std::string& m = s.message();
  if (m.find("resolve") != std::string::npos) return "host not found (DNS)";
  if (m.find("cannot connect") != std::string::npos) return "connection refused or unreachable";
  if (m.find("timed out") != std::string::npos) return "timed out";
  if (m.find("redirects") != std::string::npos) return "too many redirects";
  if (s.code() == core::Code::kResourceExhausted) return "over the size cap";
  if (m.find("TLS") != std::string::npos) return "TLS";
  if (m.find("before the whole body") != std::string::npos) return "truncated response";
  if (s.code() == core::Code::kInvalidArgument) return "not a valid URL";
  return "other";
}

Json OutcomeJson(const archive::CaptureOutcome& o) {
  using Kind = archive::CaptureOutcome::Kind;
  Json j = {{"url", o.url},
            {"result", o.kind == Kind::kCaptured  ? "captured"
                       : o.kind == Kind::kSkipped ? "skipped"
                                                  : "failed"}};
  j["status"] = o.status == 0 ? Json(nullptr) : Json(o.status);
  j["id"] = o.warc_id.empty() ? Json(nullptr) : Json(o.warc_id);
  j["payload_id"] = o.payload_id.empty() ? Json(nullptr) : Json(o.payload_id);
  if (!o.final_url.empty()) j["final_url"] = o.final_url;
  if (!o.redirect_not_followed.empty()) j["redirect_not_followed"] = o.redirect_not_followed;
  if (o.kind == Kind::kCaptured) {
    j["warc_sha256"] = o.warc_sha256.Hex();
    j["warc_size"] = o.warc_size;
    if (!o.payload_id.empty()) {
      j["payload_sha256"] = o.payload_sha256.Hex();
      j["payload_size"] = o.payload_size;
      j["media_type"] = o.media_type;
    }
    if (!o.payload_note.empty()) j["payload_note"] = o.payload_note;
    j["changed"] = o.changed.has_value() ? Json(*o.changed) : Json(nullptr);
  }
  if (o.recorded) j["leaf_index"] = o.leaf_index;
  if (!o.error.ok()) j["error"] = o.error.message();
  if (o.extracted.wanted) {
    const archive::ExtractOutcome& x = o.extracted;
    j["extractor"] = x.extractor.empty() ? Json(nullptr) : Json(x.extractor);
    j["extracted_id"] = x.media_id.empty() ? Json(nullptr) : Json(x.media_id);
    if (!x.media_id.empty()) {
      j["extracted_sha256"] = x.media_sha256.Hex();
      j["extracted_size"] = x.media_size;
      j["extracted_media_type"] = x.media_type;
    }
    if (!x.info_id.empty()) j["extracted_info_id"] = x.info_id;
    if (x.recorded) j["extracted_leaf_index"] = x.leaf_index;
    if (!x.error.ok()) j["extract_error"] = x.error.message();
  }
  return j;
}

int CmdCapture(const Globals& g, const CaptureArgs& args) {
  archive::CaptureRequest req;
  req.urls = args.urls;
  // The --from line of each URL by its place in req.urls; 0 for one given as an argument.
  std::vector<size_t> line_of(req.urls.size(), 0);
  if (!args.from.empty()) {
    auto listed = ReadUrlFile(args.from);
    if (!listed.ok()) return Fail(listed.status());
    for (ListedUrl& l : *listed) {
      req.urls.push_back(std::move(l.url));
      line_of.push_back(l.line);
    }
  }
  // ", urls.csv line 12" for a URL from the --from file.
  auto where = [&](const archive::CaptureOutcome& o) -> std::string {
    if (o.listed >= line_of.size() || line_of[o.listed] == 0) return "";
    return fmt::format(" ({} line {})", args.from, line_of[o.listed]);
  };
  if (req.urls.empty()) {
    return Fail(core::InvalidArgument(
        args.from.empty() ? "capture needs URLs, or --from FILE listing them"
                          : args.from + " lists no URL: one per line, or a CSV with a \"url\" "
                                        "column; nothing was captured"));
  }
  if (!args.proxy.empty()) {
    bool known = false;
    for (const char* scheme :
         {"http://", "https://", "socks4://", "socks4a://", "socks5://", "socks5h://"}) {
      known |= args.proxy.rfind(scheme, 0) == 0;
    }
    if (!known) {
      return Fail(core::InvalidArgument(
          "--proxy must start with http://, https://, socks4://, socks5:// or socks5h:// "
          "(socks5h://127.0.0.1:9050 for Tor), not \"" +
          args.proxy + "\""));
    }
  }
  if (!args.ca_file.empty() && !core::Exists(core::Env::Default(), args.ca_file)) {
    return Fail(core::NotFound("no CA file " + args.ca_file));
  }
  if (!args.ca_file.empty()) {
    if (core::Status s = capture::CheckCaFile(args.ca_file); !s.ok()) return Fail(s);
  }
  req.concurrency = args.concurrency;
  req.per_host = args.per_host;
  req.again = args.again;
  req.fetch.timeout_s = args.timeout;
  req.fetch.connect_timeout_s = std::min(args.timeout, req.fetch.connect_timeout_s);
  req.fetch.low_speed_time_s = std::min(args.timeout, req.fetch.low_speed_time_s);
  req.fetch.max_size = args.max_size;
  if (!args.user_agent.empty()) req.fetch.user_agent = args.user_agent;
  req.fetch.proxy = args.proxy;
  req.fetch.ca_file = args.ca_file;
  req.fetch.allow_local_redirects = args.allow_local_redirects;
  auto mode = capture::ParseExtractorMode(args.extractor);
  if (!mode.ok()) return Fail(mode.status());
  req.fetch.extractor = *mode;
  req.fetch.extractor_timeout_s = args.extractor_timeout;

  auto a = OpenArchive(g, archive::Mode::kWrite);
  if (!a.ok()) return Fail(a.status());
  ProgressBar bar("capturing", "URLs");
  std::map<std::string, uint64_t> reasons;
  uint64_t already = 0;
  archive::CaptureCallbacks cb;
  cb.on_progress = [&](uint64_t done, uint64_t total) { bar.Update(done, total); };
  cb.on_done = [&](const archive::CaptureOutcome& o) {
    using Kind = archive::CaptureOutcome::Kind;
    if (o.kind == Kind::kFailed) reasons[ReasonOf(o.error)]++;
    if (o.kind == Kind::kSkipped && o.error.code() == core::Code::kAlreadyExists &&
        !o.warc_id.empty()) {
      already++;
    }
    bar.Clear();
    if (g.json) {
      Json j = OutcomeJson(o);
      if (o.listed < line_of.size() && line_of[o.listed] != 0) j["line"] = line_of[o.listed];
      PrintJsonLine(j);
      return;
    }
    switch (o.kind) {
      case Kind::kCaptured: {
        std::string what = fmt::format("{} {}", o.status, o.warc_id);
        if (!o.payload_id.empty()) {
          what += fmt::format(" payload {} ({}, {})", o.payload_id, o.media_type,
                              HumanBytes(o.payload_size));
        }
        if (o.changed.has_value()) what += *o.changed ? " changed" : " unchanged";
        // A 4xx or 5xx is a capture (what the server answered, evidence a page is gone),
        // but not the page: said so that it does not read as the page preserved.
        if (o.status >= 400) {
          what += fmt::format(" (the server answered {}: recorded as its answer, not the page)",
                              o.status);
        }
        std::printf("captured  %s  %s\n", Printable(o.url).c_str(), what.c_str());
        for (const std::string* line : {&o.redirect_not_followed, &o.payload_note}) {
          if (!line->empty()) std::printf("          %s\n", Printable(*line).c_str());
        }
        const archive::ExtractOutcome& x = o.extracted;
        if (x.wanted && x.error.ok()) {
          std::printf("extracted %s  %s media %s (%s, %s)\n", Printable(o.url).c_str(),
                      x.extractor.c_str(), x.media_id.c_str(), x.media_type.c_str(),
                      HumanBytes(x.media_size).c_str());
        } else if (x.wanted) {
          std::printf("extractor %s  %s\n", Printable(o.url).c_str(),
                      Printable(x.error.message()).c_str());
        }
        break;
      }
      case Kind::kSkipped:
        std::printf("skipped   %s  %s%s\n", Printable(o.url).c_str(), o.error.message().c_str(),
                    Printable(where(o)).c_str());
        break;
      case Kind::kFailed:
        std::printf("failed    %s  %s%s\n", Printable(o.url).c_str(),
                    Printable(o.error.message()).c_str(), Printable(where(o)).c_str());
        break;
    }
  };
  const uint64_t first_leaf = (*a)->NextLeafIndex();
  auto sum = archive::CaptureUrls(**a, req, cb);
  bar.Clear();
  std::fflush(stdout);
  if (!sum.ok()) return Fail(sum.status());
  if (args.analyze) {
    // The payloads and downloads captured: metadata, perceptual hashes, near-duplicates.
    archive::AnalyzeOptions ao;
    auto analysed =
        (*a)->AnalyzeNew(first_leaf, ao, g.json ? archive::AnalyzeCallbacks() : AnalysisPrinter(g));
    if (!analysed.ok()) {
      return Fail(analysed.status().WithContext(
          "the captures are stored, but analysing them failed (run `isnad analyze` to finish)"));
    }
  }
  std::string line = fmt::format(
      "captured {}{}, failed {}", sum->captured,
      sum->unchanged == 0 ? std::string()
                          : fmt::format(" ({} unchanged since the last capture)", sum->unchanged),
      sum->failed);
  if (sum->skipped > 0) {
    line += fmt::format(", skipped {} ({} already captured; --again captures them anew)",
                        sum->skipped, already);
  }
  std::fprintf(stderr, "%s\n", line.c_str());
  for (const auto& [why, n] : reasons)
    std::fprintf(stderr, "  failed: %s: %llu\n", why.c_str(), static_cast<unsigned long long>(n));
  return sum->failed > 0 ? kExitError : kExitOk;
}

}  // namespace

void RegisterCaptureCommands(CLI::App& app, const Globals& g, Commands& out) {
  auto ca = std::make_shared<CaptureArgs>();
  auto* cap = app.add_subcommand(
      "capture", "fetch web pages and media into WARC files, each stored with its payload");
  cap->add_option("urls", ca->urls, "http:// or https:// URLs");
  cap->add_option("--from", ca->from, "a file of URLs: one per line, or CSV with a \"url\" column");
  cap->add_option("--concurrency", ca->concurrency, "fetches at once (default 16)")
      ->check(CLI::Range(1, 256));
  cap->add_option("--per-host", ca->per_host, "fetches at once from one host (default 4)")
      ->check(CLI::Range(1, 256));
  cap->add_option("--timeout", ca->timeout, "seconds for one capture, redirects included (120)")
      ->check(CLI::Range(1, 86400));
  cap->add_option("--max-size", ca->max_size, "the most bytes of one response (2 GiB)")
      ->check(CLI::Range(uint64_t{1}, capture::kMaxSizeLimit));
  cap->add_option("--user-agent", ca->user_agent, "the User-Agent to send");
  cap->add_flag("!--no-analyze", ca->analyze,
                "do not analyse the captured media now (`isnad analyze` does it later)");
  cap->add_option("--proxy", ca->proxy,
                  "proxy URL: http://host:port, socks5h://127.0.0.1:9050 (Tor)");
  cap->add_option("--ca-file", ca->ca_file,
                  "PEM file of CA certificates to trust instead of the system's");
  cap->add_flag("--again", ca->again, "capture URLs that already have a capture anew");
  cap->add_flag("--allow-local-redirects", ca->allow_local_redirects,
                "follow a redirect from the internet to this machine or a private network "
                "(not followed by default)");
  cap->add_option("--extractor", ca->extractor,
                  "media extractor: auto (yt-dlp for known video platforms), yt-dlp (for "
                  "every URL), none (default auto)");
  cap->add_option("--extractor-timeout", ca->extractor_timeout,
                  "seconds before a media extractor is killed (600)")
      ->check(CLI::Range(1, 86400));
  cap->footer(
      "Each URL becomes a WARC 1.1 file (request and response of every redirect hop, and a\n"
      "metadata record with addresses, timings and TLS certificates) stored as an item; a 2xx\n"
      "payload becomes its own item. Failures (DNS, refused, timeout, size cap) are recorded\n"
      "too. Run again, URLs already captured are skipped. Exit 1 when any URL failed.\n"
      "A redirect from a public address to this machine or a private network (127.0.0.1,\n"
      "192.168.x.x, 169.254.169.254, ...) is recorded but not followed, unless\n"
      "--allow-local-redirects.\n"
      "On video platforms (YouTube, X/Twitter, Facebook, Instagram, TikTok, Telegram, Vimeo,\n"
      "...) yt-dlp, when installed (apt-get install yt-dlp), also downloads the media and its\n"
      "info JSON as items, linked by a capture.extracted entry; its failure is recorded and\n"
      "does not fail the capture.\n"
      "Example:\n  isnad capture https://example.org/post/123 --from urls.csv --json");
  out.emplace_back(cap, [&g, ca]() { return CmdCapture(g, *ca); });
}

}  // namespace isnad::cli
