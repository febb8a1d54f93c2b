// External media extractors (yt-dlp): see extract.h.
#include "capture/extract.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "capture/capture.h"
#include "core/canonical_json.h"
#include "core/utf8.h"

namespace isnad::capture {
namespace {

using core::Status;

constexpr size_t kSniffBytes = 64 * 1024;
constexpr uint64_t kMaxInfoJson = uint64_t{64} << 20;

// The platforms `auto` runs yt-dlp for: a host equal to one of these or under it.
constexpr std::string_view kVideoPlatforms[] = {
    "youtube.com",  "youtu.be",        "youtube-nocookie.com", "x.com",        "twitter.com",
    "facebook.com", "fb.watch",        "instagram.com",        "tiktok.com",   "t.me",
    "vimeo.com",    "dailymotion.com", "rumble.com",           "bitchute.com", "odysee.com",
    "reddit.com",   "v.redd.it",       "streamable.com",
};

// The last non-empty line of `text`.
std::string LastLine(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  size_t nl = text.rfind('\n');
  return std::string(nl == std::string_view::npos ? text : text.substr(nl + 1));
}

// yt-dlp's reason, without its advice to report a bug upstream.
std::string YtDlpWhy(const std::string& err) {
  std::string line;
  std::string_view rest = err;
  while (!rest.empty()) {  // the last "ERROR:" line, else the last line
    size_t nl = rest.find('\n');
    std::string_view l = rest.substr(0, nl);
    if (l.rfind("ERROR:", 0) == 0) line = std::string(l);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
  if (line.empty()) line = LastLine(err);
  for (const char* cut : {"; please report this issue", " (caused by "}) {
    if (size_t at = line.find(cut); at != std::string::npos) line.resize(at);
  }
  line = core::LossyUtf8(line);  // yt-dlp prints what a site sends, in any encoding
  core::TruncateUtf8(line, 1000);
  return line.empty() ? "no message" : line;
}

std::string UniqueName(const std::string& dir, const std::string& suffix) {
  static std::atomic<uint64_t> counter{0};
  return core::JoinPath(
      dir, "extract-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + suffix);
}

// "yt-dlp 2023.03.04" for `program`, asked once per process and program.
core::StatusOr<std::string> VersionOf(const std::string& program) {
  static std::mutex mu;
  static std::map<std::string, std::string> known;
  {
    std::lock_guard<std::mutex> g(mu);
    if (auto it = known.find(program); it != known.end()) return it->second;
  }
  ProcessResult p = RunProcess({program, "--version"}, 30000, 4096);
  if (!p.started) {
    if (p.spawn_errno == ENOENT) {
      return core::NotFound("extractor yt-dlp not installed: apt-get install yt-dlp");
    }
    return core::IoError("cannot start " + program + ": " + std::strerror(p.spawn_errno));
  }
  if (p.timed_out || p.exit_status != 0) {
    return core::IoError(program + " --version failed: " + YtDlpWhy(p.err));
  }
  std::string version = "yt-dlp " + LastLine(p.out);
  std::lock_guard<std::mutex> g(mu);
  known[program] = version;
  return version;
}

// [A-Za-z0-9._-] only, at most 80 characters; "" when nothing is left.
std::string SafeName(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (out.size() >= 80) break;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    out += ok ? c : '_';
  }
  while (!out.empty() && out.front() == '.') out.erase(out.begin());
  return out;
}

}  // namespace

Status HashFile(core::Env* env, const std::string& path, core::Hash* sha, uint64_t* size,
                std::string* head, size_t head_bytes) {
  ISNAD_ASSIGN_OR_RETURN(std::unique_ptr<core::SequentialFile> f, env->NewSequentialFile(path));
  core::Sha256 h;
  std::string buf(1 << 20, '\0');
  *size = 0;
  while (true) {
    ISNAD_ASSIGN_OR_RETURN(size_t n, f->Read(buf.data(), buf.size()));
    if (n == 0) break;
    h.Update(buf.data(), n);
    if (head != nullptr && head->size() < head_bytes) {
      head->append(buf.data(), std::min(n, head_bytes - head->size()));
    }
    *size += n;
  }
  *sha = h.Finish();
  return Status::Ok();
}

core::StatusOr<ExtractorMode> ParseExtractorMode(std::string_view name) {
  if (name == "auto") return ExtractorMode::kAuto;
  if (name == "yt-dlp") return ExtractorMode::kYtDlp;
  if (name == "none") return ExtractorMode::kNone;
  return core::InvalidArgument("--extractor must be auto, yt-dlp or none, not \"" +
                               std::string(name) + "\"");
}

bool IsVideoPlatform(const std::string& url) {
  std::string host = HostOf(url);
  for (std::string_view p : kVideoPlatforms) {
    if (host == p) return true;
    if (host.size() > p.size() && host.ends_with(p) && host[host.size() - p.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

void DiscardExtraction(core::Env* env, const Extraction& e) {
  if (!e.media_path.empty()) (void)env->RemoveFile(e.media_path);
  if (!e.info_path.empty()) (void)env->RemoveFile(e.info_path);
}

Extraction Extract(const std::string& url, const ExtractOptions& o, const std::string& spool_dir) {
  Extraction x;
  const std::string dir = UniqueName(spool_dir, ".d");
  if (Status s = o.env->CreateDir(dir); !s.ok()) {
    x.error = s.WithContext("cannot make a folder for yt-dlp");
    return x;
  }
  auto remove_dir = [&] {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  };
  std::string tmpl;  // yt-dlp's output template: "%" in the folder's name is doubled
  for (char c : dir) tmpl += c == '%' ? std::string("%%") : std::string(1, c);
  tmpl += "/media.%(ext)s";
  std::vector<std::string> argv = {o.program,
                                   "--ignore-config",
                                   "--no-cache-dir",
                                   "--no-playlist",
                                   "--playlist-items",
                                   "1",
                                   "--no-write-playlist-metafiles",
                                   "--no-progress",
                                   "--no-colors",
                                   "--no-mtime",
                                   "--write-info-json",
                                   "--no-write-comments",
                                   "--socket-timeout",
                                   std::to_string(std::max(1, o.socket_timeout_s)),
                                   "--proxy",
                                   o.proxy,
                                   "--print",
                                   "after_move:filepath",
                                   "--no-simulate",
                                   "-o",
                                   tmpl};
  if (o.max_size > 0) {
    argv.push_back("--max-filesize");
    argv.push_back(std::to_string(o.max_size));
  }
  argv.push_back("--");
  argv.push_back(url);
  const int timeout_ms =
      static_cast<int>(std::clamp<int64_t>(int64_t{o.timeout_s} * 1000, 1, INT_MAX));
  ProcessResult p = RunProcess(argv, timeout_ms, o.output_cap);
  x.attempted = p.started;
  x.exit_status = p.exit_status;
  // Its version: from the info JSON when it wrote one, else asked (once a process).
  auto version = [&] {
    if (!x.attempted || !x.extractor.empty()) return;
    auto v = VersionOf(o.program);
    x.extractor = v.ok() ? *v : "yt-dlp (version unknown)";
  };
  auto fail = [&](Status why) {
    version();
    remove_dir();
    DiscardExtraction(o.env, x);
    x.media_path.clear();
    x.info_path.clear();
    x.error = std::move(why);
    return std::move(x);
  };
  if (!p.started) {
    if (p.spawn_errno == ENOENT) {
      return fail(core::NotFound("extractor yt-dlp not installed: apt-get install yt-dlp"));
    }
    return fail(core::IoError("cannot start " + o.program + ": " + std::strerror(p.spawn_errno)));
  }

  if (p.timed_out) {
    return fail(core::IoError("yt-dlp did not finish within " + std::to_string(o.timeout_s) +
                              " s and was killed (raise --extractor-timeout)"));
  }
  if (p.signal != 0) {
    return fail(core::IoError("yt-dlp was killed by signal " + std::to_string(p.signal)));
  }
  if (p.exit_status != 0) {
    return fail(core::IoError("yt-dlp exited with status " + std::to_string(p.exit_status) + ": " +
                              YtDlpWhy(p.err)));
  }
  const std::string printed = LastLine(p.out);
  if (printed.empty() || printed.rfind(dir + "/", 0) != 0 ||
      printed.find("/..") != std::string::npos || !core::Exists(o.env, printed)) {
    return fail(core::NotFound("yt-dlp found no media at " + url));
  }
  const std::string base = core::BaseName(printed);
  x.media_ext = base.rfind("media.", 0) == 0 ? SafeName(base.substr(6)) : "";
  x.media_path = UniqueName(spool_dir, ".media");
  if (Status s = o.env->RenameNoReplace(printed, x.media_path); !s.ok()) {
    x.media_path.clear();
    return fail(s.WithContext("cannot take yt-dlp's download"));
  }
  std::string stem = "media";
  const std::string info = core::JoinPath(dir, "media.info.json");
  if (core::Exists(o.env, info)) {
    x.info_path = UniqueName(spool_dir, ".info.json");
    if (Status s = o.env->RenameNoReplace(info, x.info_path); !s.ok()) {
      x.info_path.clear();
      return fail(s.WithContext("cannot take yt-dlp's info JSON"));
    }
    if (Status s = HashFile(o.env, x.info_path, &x.info_sha256, &x.info_size); !s.ok()) {
      return fail(s);
    }
    if (x.info_size <= kMaxInfoJson) {
      auto text = o.env->ReadFile(x.info_path);
      if (text.ok()) {
        core::Json j = core::Json::parse(*text, nullptr, false);
        if (j.is_object() && j.contains("_version") && j["_version"].is_object() &&
            j["_version"].contains("version") && j["_version"]["version"].is_string()) {
          x.extractor = "yt-dlp " + j["_version"]["version"].get<std::string>();
        }
        if (j.is_object() && j.contains("id") && j["id"].is_string()) {
          std::string id = SafeName(j["id"].get<std::string>());
          std::string ex = j.contains("extractor") && j["extractor"].is_string()
                               ? SafeName(j["extractor"].get<std::string>())
                               : "";
          if (!id.empty()) stem = ex.empty() ? id : ex + "-" + id;
        }
      }
    }
  }
  x.media_name = x.media_ext.empty() ? stem : stem + "." + x.media_ext;
  if (Status s =
          HashFile(o.env, x.media_path, &x.media_sha256, &x.media_size, &x.media_head, kSniffBytes);
      !s.ok()) {
    return fail(s);
  }
  if (x.media_size == 0) return fail(core::NotFound("yt-dlp's download from " + url + " is empty"));
  version();
  remove_dir();
  x.error = Status::Ok();
  return x;
}

}  // namespace isnad::capture
