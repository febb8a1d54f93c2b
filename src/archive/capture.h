// Capturing URLs into the archive (`isnad capture`): each URL is fetched by
// the capture module (capture/capture.h) into a WARC file; the WARC becomes an
// item, the final payload (2xx, non-empty) its own item (stored once by
// sha256 like any other: bytes already held get a new source), and a
// capture.recorded entry links them with the URL, final URL, status and time
// (docs/formats/log-entry.md). The WARC's records are indexed in the same
// append, as an added WARC's are (archive/webarchive.h: warc.record entries,
// the response linked to that payload item, and a warc.indexed entry), so
// `isnad warc ls` lists them. A fetch that fails (DNS, refused, timeout,
// over the cap, redirect loop) is recorded too, as a capture.recorded entry
// with the reason and no items: evidence that the content could not be had.
//
// Many URLs are fetched at once (`concurrency` threads, at most `per_host` on
// one host) while this thread stores what arrives in batches, one signed
// checkpoint per batch. An interrupted run keeps every batch it committed;
// run again, URLs that already have a capture are skipped unless `again`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "archive/archive.h"
#include "archive/extract.h"
#include "capture/capture.h"
#include "core/digest.h"
#include "core/status.h"

namespace isnad::archive {

struct CaptureRequest {
  std::vector<std::string> urls;
  capture::Options fetch;
  int concurrency = 16;
  int per_host = 4;
  bool again = false;  // capture URLs that already have a capture
  // A batch is committed (one checkpoint) at this many captures, or when the
  // oldest waiting capture has waited `batch_wait`.
  size_t batch_captures = 1000;
  std::chrono::milliseconds batch_wait{2000};
};

struct CaptureOutcome {
  std::string url;
  size_t listed = 0;  // its place in CaptureRequest::urls, counted from 0
  enum class Kind { kCaptured, kFailed, kSkipped };
  Kind kind = Kind::kFailed;
  // kFailed: why. kSkipped: why not fetched (already captured, listed twice).
  core::Status error;
  bool recorded = false;  // a capture.recorded entry was written (not for a malformed URL)
  uint64_t leaf_index = 0;
  int status = 0;
  std::string final_url;
  // Why the last hop's redirect was not followed (capture::Result), "" when none.
  std::string redirect_not_followed;
  std::string warc_id;
  core::Hash warc_sha256;
  uint64_t warc_size = 0;
  std::string payload_id;  // "" when none
  core::Hash payload_sha256;
  uint64_t payload_size = 0;
  std::string media_type;
  // Why the 2xx body is no payload item, or one as sent (capture::Result).
  std::string payload_note;
  // Against the URL's previous capture with a response; nullopt for the first.
  std::optional<bool> changed;
  // The external extractor's result (archive/extract.h), when one was wanted.
  ExtractOutcome extracted;
};

struct CaptureSummary {
  uint64_t captured = 0;   // responses recorded (any status)
  uint64_t unchanged = 0;  // of those, payload as at the previous capture
  uint64_t failed = 0;
  uint64_t skipped = 0;
};

struct CaptureCallbacks {
  // Each URL's outcome once it is committed (or skipped, or failed), on the calling thread.
  std::function<void(const CaptureOutcome&)> on_done;
  // URLs finished fetching so far, of `total`; from the calling thread.
  std::function<void(uint64_t done, uint64_t total)> on_progress;
};

// Captures `request.urls` into `a` (opened kWrite). Returns an error only when
// storing stopped (disk full, log failure): everything committed before stays.
core::StatusOr<CaptureSummary> CaptureUrls(Archive& a, const CaptureRequest& request,
                                           const CaptureCallbacks& callbacks);

}  // namespace isnad::archive
