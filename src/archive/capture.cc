// Capturing URLs into the archive: see capture.h.
#include "archive/capture.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "archive/webarchive.h"
#include "catalog/entries.h"
#include "core/canonical_json.h"
#include "core/time.h"
#include "core/utf8.h"
#include "media/sniff.h"

namespace isnad::archive {

using core::Json;
using core::Status;
using core::StatusOr;

namespace {

// "example.org-20261129T161344Z.warc.gz": the WARC item's name.
std::string WarcName(const capture::Result& r) {
  std::string host = capture::HostOf(r.url);
  std::string stamp;
  for (char c : r.started.substr(0, 19)) {
    if (c != '-' && c != ':') stamp += c;
  }
  return (host.empty() ? "capture" : host) + "-" + stamp + "Z" +
         (r.warc_gzip ? ".warc.gz" : ".warc");
}

// The payload item's name: the last path segment of the final URL, else the host.
std::string PayloadName(const capture::Result& r) {
  std::string u = r.final_url;
  u = u.substr(0, u.find_first_of("?#"));
  size_t scheme = u.find("://");
  std::string path = scheme == std::string::npos ? u : u.substr(scheme + 3);
  size_t slash = path.find('/');
  std::string last = slash == std::string::npos ? "" : path.substr(path.rfind('/') + 1);
  if (!last.empty()) return last;
  std::string host = capture::HostOf(r.final_url);
  return host.empty() ? "index" : host;
}

// What the payload is: sniffed from its bytes; the server's word when they
// say nothing more specific.
std::string PayloadType(const capture::Result& r) {
  std::string sniffed = media::SniffMediaType(r.payload_head);
  if (sniffed != "application/octet-stream" && sniffed != "text/plain") return sniffed;
  std::string declared = core::AsciiLower(r.content_type.substr(0, r.content_type.find(';')));
  while (!declared.empty() && declared.back() == ' ') declared.pop_back();
  // type "/" subtype, both RFC 9110 tokens (section 8.3.1): a server's stray bytes
  // (not UTF-8, control characters) never become an item's media type.
  auto token = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  };
  size_t slash = declared.find('/');
  // (RFC 6838 4.2: type and subtype names of at most 127 characters each).
  bool valid =
      declared.size() <= 255 && slash != std::string::npos && slash > 0 &&
      slash + 1 < declared.size() &&
      std::all_of(declared.begin(), declared.end(), [&](char c) { return c == '/' || token(c); }) &&
      declared.find('/', slash + 1) == std::string::npos;
  return valid ? declared : sniffed;
}

}  // namespace

// A friend of Archive: stores captures through its blob store and log.
class Capturer {
 public:
  Capturer(Archive& a, const CaptureRequest& request, const CaptureCallbacks& callbacks)
      : a_(a), request_(request), callbacks_(callbacks) {}

  StatusOr<CaptureSummary> Run();

 private:
  struct Job {
    size_t order = 0;  // the URL's place in the request
    std::string url;
    std::string host;
  };
  struct Done {
    size_t order = 0;
    capture::Result result;
    // The payload's media type, sniffed on the fetching thread: libmagic takes
    // about a millisecond for a page of HTML, which on the committing thread
    // (the one that bounds a capture of many pages) was 15 % of its time.
    std::string media_type;
    // Its WARC's records, read on the fetching thread too (IndexCaptureWarc).
    ReadWarcRecords warc_records;
  };

  void Worker();
  Status Commit(std::vector<Done>& batch);
  void Report(const CaptureOutcome& o);

  Archive& a_;
  const CaptureRequest& request_;
  const CaptureCallbacks& callbacks_;
  CaptureSummary summary_;
  std::string spool_dir_;

  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  // Waiting jobs by host, hosts in the order they were first listed.
  std::map<std::string, std::deque<Job>> pending_;
  std::vector<std::string> hosts_;
  size_t waiting_ = 0;
  std::map<std::string, int> active_;  // host -> fetches running
  std::deque<Done> done_;
  bool stop_ = false;
};

void Capturer::Report(const CaptureOutcome& o) {
  switch (o.kind) {
    case CaptureOutcome::Kind::kCaptured:
      summary_.captured++;
      if (o.changed.has_value() && !*o.changed) summary_.unchanged++;
      break;
    case CaptureOutcome::Kind::kFailed:
      summary_.failed++;
      break;
    case CaptureOutcome::Kind::kSkipped:
      summary_.skipped++;
      break;
  }
  if (callbacks_.on_done) callbacks_.on_done(o);
}

void Capturer::Worker() {
  const int per_host = std::max(1, request_.per_host);
  while (true) {
    Job job;
    {
      std::unique_lock<std::mutex> g(mu_);
      while (true) {
        if (stop_ || waiting_ == 0) return;
        // The first listed host with jobs waiting and room for one more fetch.
        bool found = false;
        for (const std::string& host : hosts_) {
          auto q = pending_.find(host);
          if (q == pending_.end() || q->second.empty()) continue;
          auto a = active_.find(host);
          if (a != active_.end() && a->second >= per_host) continue;
          job = std::move(q->second.front());
          q->second.pop_front();
          if (q->second.empty()) {
            pending_.erase(q);
            hosts_.erase(std::find(hosts_.begin(), hosts_.end(), host));
          }
          --waiting_;
          active_[job.host]++;
          found = true;
          break;
        }
        if (found) break;
        work_cv_.wait(g);
      }
    }
    Done d;
    d.order = job.order;
    d.result = capture::Capture(job.url, request_.fetch, spool_dir_);
    if (d.result.error.ok()) {
      if (!d.result.payload_path.empty()) d.media_type = PayloadType(d.result);
      d.warc_records = ReadAllWarcRecords(request_.fetch.env, d.result.warc_path);
    }
    std::lock_guard<std::mutex> g(mu_);
    if (--active_[job.host] == 0) active_.erase(job.host);
    done_.push_back(std::move(d));
    done_cv_.notify_one();
    work_cv_.notify_all();
  }
}

Status Capturer::Commit(std::vector<Done>& batch) {
  if (batch.empty()) return Status::Ok();
  std::sort(batch.begin(), batch.end(),
            [](const Done& x, const Done& y) { return x.order < y.order; });
  core::Env* env = a_.options_.env;
  std::vector<store::StagedBlob> staged;
  auto discard_all = [&] {
    for (const Done& d : batch) capture::Discard(env, d.result);
  };
  for (const Done& d : batch) {
    const capture::Result& r = d.result;
    if (!r.error.ok()) continue;
    auto stage = [&](const std::string& path, const core::Hash& sha, uint64_t size) -> Status {
      ISNAD_RETURN_IF_ERROR(env->MakeReadOnly(path));
      store::StagedBlob b;
      b.sha256 = sha;
      b.size_bytes = size;
      b.temp_path = path;
      staged.push_back(std::move(b));
      return Status::Ok();
    };
    Status s = stage(r.warc_path, r.warc_sha256, r.warc_size);
    if (s.ok() && !r.payload_path.empty()) {
      s = stage(r.payload_path, r.payload_sha256, r.payload_size);
    }
    if (s.ok()) s = StageExtraction(r, stage);
    if (!s.ok()) {
      discard_all();
      return s;
    }
  }
  // 1. Blob data durable and in place (one file system sync for the batch).
  if (!staged.empty()) {
    auto committed = a_.blobs_->Commit(staged);
    if (!committed.ok()) {
      a_.blobs_->Abort(staged);
      discard_all();
      return committed.status();
    }
  }
  // 2. Entries: the WARC item, the payload item (or a new source of it), the capture.
  catalog::Actor by{core::NowUtc(), a_.OperatorName()};
  std::vector<std::string> entries;
  std::vector<CaptureOutcome> outcomes;
  std::map<core::Hash, std::string> batch_items;      // sha256 -> item id, new in this batch
  std::map<std::string, std::string> batch_payloads;  // url -> payload sha hex (or ""), this batch
  const uint64_t base = a_.log_->size();
  std::vector<core::Hash> new_items;  // added to batch_items for the capture being recorded
  auto item_for = [&](const core::Hash& sha, uint64_t size, const std::string& media_type,
                      const catalog::Provenance& from, std::string* id) -> Status {
    std::optional<std::string> known;
    if (auto it = batch_items.find(sha); it != batch_items.end()) {
      known = it->second;
    } else {
      ISNAD_ASSIGN_OR_RETURN(auto found, a_.catalog_->FindBySha256(sha));
      if (found) known = found->id;
    }
    const uint64_t leaf = base + entries.size();
    ISNAD_ASSIGN_OR_RETURN(std::string e,
                           known ? catalog::SourceAddedEntry(by, *known, sha, from)
                                 : catalog::ItemIngestedEntry(by, sha, size, media_type, from));
    entries.push_back(std::move(e));
    *id = known ? *known : catalog::ItemId(leaf);
    if (!known) {
      batch_items[sha] = *id;
      new_items.push_back(sha);
    }
    return Status::Ok();
  };
  for (Done& d : batch) {
    // Each capture's entries are timed when they are made: the indexing entries
    // of the capture before took the time then, and the log's times never go
    // back from one entry to the next.
    by.time = core::NowUtc();
    const capture::Result& r = d.result;
    CaptureOutcome o;
    o.url = r.url;
    o.listed = d.order;
    o.status = r.status;
    o.final_url = r.final_url;
    o.redirect_not_followed = r.redirect_not_followed;
    Json body = {{"url", r.url}, {"captured", r.started}};
    bool index_warc = false;
    const size_t mark = entries.size();
    new_items.clear();
    std::optional<std::string> payload_now;
    if (r.error.ok()) {
      o.kind = CaptureOutcome::Kind::kCaptured;
      catalog::Provenance from;
      from.name = WarcName(r);
      from.url = r.url;
      const bool new_warc = !batch_items.contains(r.warc_sha256);
      const std::string new_id = catalog::ItemId(base + entries.size());
      ISNAD_RETURN_IF_ERROR(
          item_for(r.warc_sha256, r.warc_size, "application/warc", from, &o.warc_id));
      index_warc = new_warc && o.warc_id == new_id;  // held before: indexed before
      o.warc_sha256 = r.warc_sha256;
      o.warc_size = r.warc_size;
      body["status"] = static_cast<uint64_t>(r.status);
      body["final_url"] = r.final_url;
      if (!r.redirect_not_followed.empty()) {
        body["redirect_not_followed"] = r.redirect_not_followed;
      }
      body["warc"] = o.warc_id;
      body["warc_sha256"] = r.warc_sha256.Hex();
      // The server's bytes, made valid UTF-8 for the entry (the WARC has them as sent).
      // Shortened: a server's header of any length must not make the entry too long.
      if (!r.content_type.empty()) {
        std::string type = core::LossyUtf8(r.content_type);
        core::TruncateUtf8(type, 1000);
        body["content_type"] = type;
      }
      if (!r.payload_path.empty()) {
        catalog::Provenance pfrom;
        pfrom.name = PayloadName(r);
        pfrom.url = r.final_url;
        o.media_type = d.media_type;
        ISNAD_RETURN_IF_ERROR(
            item_for(r.payload_sha256, r.payload_size, o.media_type, pfrom, &o.payload_id));
        o.payload_sha256 = r.payload_sha256;
        o.payload_size = r.payload_size;
        body["payload"] = o.payload_id;
        body["payload_sha256"] = r.payload_sha256.Hex();
        body["payload_size"] = r.payload_size;
      }
      if (!r.payload_note.empty()) {
        // A server's coding names are its bytes: made valid UTF-8, shortened.
        std::string note = core::LossyUtf8(r.payload_note);
        core::TruncateUtf8(note, 2000);
        body["payload_note"] = note;
        o.payload_note = std::move(note);
      }
      // Changed since the last capture with a response (in this batch, or committed)?
      const std::string now = r.payload_path.empty() ? "" : r.payload_sha256.Hex();
      if (auto it = batch_payloads.find(r.url); it != batch_payloads.end()) {
        o.changed = it->second != now;
      } else {
        ISNAD_ASSIGN_OR_RETURN(auto last, a_.catalog_->LastCapture(r.url));
        if (last) {
          o.changed = (last->payload_sha256 ? last->payload_sha256->Hex() : "") != now;
        }
      }
      payload_now = now;
    } else {
      o.kind = CaptureOutcome::Kind::kFailed;
      o.error = r.error;
      std::string why = r.error.message();
      if (why.empty()) why = std::string(core::CodeName(r.error.code()));
      why = core::LossyUtf8(why);
      core::TruncateUtf8(why, 2000);
      body["error"] = why;
    }
    auto entry = catalog::CaptureRecordedEntry(by, body);
    if (!entry.ok()) {
      // A URL too long for one entry, say: reported, not recorded, and neither are
      // its items (their entries would name a capture the log does not hold).
      entries.resize(mark);
      for (const core::Hash& h : new_items) batch_items.erase(h);
      CaptureOutcome failed;
      failed.url = r.url;
      failed.listed = d.order;
      failed.kind = CaptureOutcome::Kind::kFailed;
      failed.error = entry.status();
      outcomes.push_back(std::move(failed));
      continue;
    }
    if (payload_now) batch_payloads[r.url] = *payload_now;
    o.recorded = true;
    o.leaf_index = base + entries.size();
    entries.push_back(std::move(entry).value());
    ISNAD_RETURN_IF_ERROR(
        RecordExtraction(r, by, o.leaf_index, base, item_for, &entries, &o.extracted));
    if (index_warc) {
      // The WARC's records indexed like an added WARC's, after the capture
      // that names it, its response linked to the payload item made above.
      CaptureWarc w{o.warc_id, o.warc_sha256, o.payload_id, r.record_payload_sha256};
      ISNAD_RETURN_IF_ERROR(
          WebArchiveIndexer::IndexCaptureWarc(&a_, w, d.warc_records, &entries).status());
    }
    outcomes.push_back(std::move(o));
  }
  // 3. One append, one signed checkpoint, then the catalogue.
  Status after_commit = Status::Ok();
  if (!entries.empty()) {
    const uint64_t before = a_.log_->size();
    after_commit = a_.AppendAndApply(entries).status();
    // Failed after the commit (the history, the catalogue on a full disk): the
    // captures are recorded all the same, and are reported as such.
    if (!after_commit.ok() && a_.log_->size() == before) return after_commit;
  }
  for (const CaptureOutcome& o : outcomes) Report(o);
  return after_commit;
}

StatusOr<CaptureSummary> Capturer::Run() {
  if (!a_.signer_) return core::FailedPrecondition("the archive was opened read-only");
  if (request_.concurrency < 1 || request_.concurrency > 256) {
    return core::InvalidArgument("--concurrency must be between 1 and 256");
  }
  if (request_.per_host < 1) return core::InvalidArgument("--per-host must be at least 1");
  spool_dir_ = core::JoinPath(a_.layout_.root, "tmp");
  ISNAD_RETURN_IF_ERROR(core::CreateDirs(a_.options_.env, spool_dir_));

  // What to fetch: each URL once, well formed, and (unless `again`) not captured yet.
  std::set<std::string> seen;
  for (size_t listed = 0; listed < request_.urls.size(); ++listed) {
    const std::string url = capture::NormalizeUrl(request_.urls[listed]);
    CaptureOutcome skip;
    skip.url = url;
    skip.listed = listed;
    if (!seen.insert(url).second) {
      skip.kind = CaptureOutcome::Kind::kSkipped;
      skip.error = core::AlreadyExists("listed more than once");
      Report(skip);
      continue;
    }
    if (Status s = capture::CheckUrl(url); !s.ok()) {
      skip.kind = CaptureOutcome::Kind::kFailed;
      skip.error = s;
      skip.url = capture::RedactUserinfo(url);  // not shown again in the output
      Report(skip);
      continue;
    }
    if (!request_.again) {
      ISNAD_ASSIGN_OR_RETURN(auto last, a_.catalog_->LastCapture(url));
      if (last) {
        skip.kind = CaptureOutcome::Kind::kSkipped;
        skip.error = core::AlreadyExists("already captured (" + last->warc + ", " +
                                         last->captured_at + "); --again captures it anew");
        skip.warc_id = last->warc;
        skip.payload_id = last->payload;
        skip.status = last->status;
        skip.final_url = last->final_url;
        Report(skip);
        continue;
      }
    }
    std::string host = capture::HostOf(url);
    auto& queue = pending_[host];
    if (queue.empty()) hosts_.push_back(host);
    queue.push_back(Job{listed, url, host});
    ++waiting_;
  }
  const size_t total = waiting_;
  std::vector<std::thread> threads;
  const size_t workers = std::min<size_t>(static_cast<size_t>(request_.concurrency), total);
  for (size_t t = 0; t < workers; ++t) threads.emplace_back([this] { Worker(); });

  Status failure;
  std::vector<Done> batch;
  size_t received = 0;
  auto oldest = std::chrono::steady_clock::now();
  while (received < total && failure.ok()) {
    std::unique_lock<std::mutex> g(mu_);
    auto have = [&] { return !done_.empty(); };
    if (!batch.empty()) {
      auto deadline = oldest + request_.batch_wait;
      if (!done_cv_.wait_until(g, deadline, have)) {
        g.unlock();
        failure = Commit(batch);
        batch.clear();
        continue;
      }
    } else {
      done_cv_.wait(g, have);
    }
    while (!done_.empty()) {
      if (batch.empty()) oldest = std::chrono::steady_clock::now();
      batch.push_back(std::move(done_.front()));
      done_.pop_front();
      ++received;
    }
    g.unlock();
    if (callbacks_.on_progress) callbacks_.on_progress(received, total);
    if (batch.size() >= request_.batch_captures) {
      failure = Commit(batch);
      batch.clear();
    }
  }
  if (failure.ok()) {
    failure = Commit(batch);
    batch.clear();
  }
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
    work_cv_.notify_all();
  }
  for (auto& t : threads) t.join();
  if (!failure.ok()) {
    // Fetched but not stored: their files go; nothing was acknowledged for them.
    core::Env* env = a_.options_.env;
    for (const Done& d : batch) capture::Discard(env, d.result);
    for (const Done& d : done_) capture::Discard(env, d.result);
    return failure;
  }
  return summary_;
}

StatusOr<CaptureSummary> CaptureUrls(Archive& a, const CaptureRequest& request,
                                     const CaptureCallbacks& callbacks) {
  Capturer c(a, request, callbacks);
  return c.Run();
}

}  // namespace isnad::archive
