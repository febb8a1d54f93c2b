// External media extractors: for a page on a video platform, `yt-dlp` (Debian
// package yt-dlp) is run as a subprocess beside the WARC capture to download
// the media itself and its info JSON (title, uploader, upload date, formats:
// what the platform said about it). Optional: without yt-dlp, capture works
// and says how to install it.
//
// yt-dlp runs with posix_spawn (no shell: argv only), in its own process
// group, with stdin from /dev/null, stdout and stderr captured up to a cap,
// its configuration files and cache ignored, and a wall-clock timeout after
// which the whole group is killed. It writes into a fresh folder inside the
// spool folder; what it made is moved next to the other spool files and the
// folder removed.
//
// Thread safety: Extract may run on many threads at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/digest.h"
#include "core/env.h"
#include "core/process.h"
#include "core/status.h"

namespace isnad::capture {

enum class ExtractorMode {
  kNone,   // never
  kAuto,   // yt-dlp for URLs on known video platforms (IsVideoPlatform)
  kYtDlp,  // yt-dlp for every URL
};

// "auto", "yt-dlp", "none"; kInvalidArgument otherwise.
core::StatusOr<ExtractorMode> ParseExtractorMode(std::string_view name);

// True when the URL's host is, or is under, one of the known video platforms:
// youtube.com, youtu.be, x.com, twitter.com, facebook.com, fb.watch,
// instagram.com, tiktok.com, t.me, vimeo.com, dailymotion.com, rumble.com,
// bitchute.com, odysee.com, reddit.com, v.redd.it, streamable.com.
bool IsVideoPlatform(const std::string& url);

struct ExtractOptions {
  core::Env* env = core::Env::Default();
  // The program: a path, or a name looked up in PATH.
  std::string program = "yt-dlp";
  int timeout_s = 600;            // wall clock, the whole run
  int socket_timeout_s = 20;      // yt-dlp --socket-timeout
  uint64_t max_size = 0;          // yt-dlp --max-filesize; 0 = none
  std::string proxy;              // yt-dlp --proxy ("" = direct, *_proxy variables ignored)
  size_t output_cap = 64 * 1024;  // bytes kept of stdout and of stderr each
};

// What one extractor run gave. `attempted` is false when it was not started
// (not installed: `error` says how to install it).
struct Extraction {
  bool attempted = false;
  std::string extractor;  // "yt-dlp 2023.03.04"
  int exit_status = -1;   // -1: killed (timeout) or not started
  // ok when media was extracted; else why not (not installed, timed out,
  // failed with yt-dlp's own last error line, no media found).
  core::Status error;
  // When ok: the media file and the info JSON (in the spool folder; the caller
  // takes them). info_path is "" when yt-dlp wrote none.
  std::string media_path;
  std::string media_ext;   // "mp4", "webm", ... as yt-dlp named it
  std::string media_name;  // "<extractor>-<id>.<ext>" from the info JSON, else "media.<ext>"
  core::Hash media_sha256;
  uint64_t media_size = 0;
  std::string media_head;  // its first bytes (up to 64 KiB), for sniffing its type
  std::string info_path;
  core::Hash info_sha256;
  uint64_t info_size = 0;
};

// Runs yt-dlp on `url`, writing into `spool_dir` (which must exist). Never
// throws; returns by `options.timeout_s` (plus the time to kill and reap). On
// failure nothing is left in `spool_dir`.
Extraction Extract(const std::string& url, const ExtractOptions& options,
                   const std::string& spool_dir);

// Deletes what an Extraction left in the spool folder.
void DiscardExtraction(core::Env* env, const Extraction& e);

// The SHA-256 and size of the file at `path` (read whole, 1 MiB at a time), and
// with `head` its first `head_bytes` bytes, for sniffing its type.
core::Status HashFile(core::Env* env, const std::string& path, core::Hash* sha, uint64_t* size,
                      std::string* head = nullptr, size_t head_bytes = 0);

// The process runner extractors use (core/process.h), named here for the tests.
using core::ProcessResult;
using core::RunProcess;

}  // namespace isnad::capture
