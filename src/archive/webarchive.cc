// Indexing web archive items: see webarchive.h.
#include "archive/webarchive.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "archive/archive.h"
#include "catalog/entries.h"
#include "core/time.h"
#include "core/utf8.h"
#include "media/sniff.h"
#include "warc/reader.h"
#include "warc/wacz.h"

namespace isnad::archive {
namespace {

using core::Json;
using core::Status;
using core::StatusOr;

constexpr size_t kBatchRecords = 256;
constexpr uint64_t kBatchBytes = uint64_t{256} << 20;
constexpr size_t kMaxProblems = 20;
constexpr size_t kMaxText = 4000;  // bytes of one text member (a URI, a problem)

std::atomic<uint64_t> stop_after_records{0};                    // StopAfterRecordsForTesting
std::atomic<uint64_t> payload_budget_floor{uint64_t{1} << 30};  // SetPayloadBudgetFloorForTesting

bool IEndsWith(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    char c = s[s.size() - suffix.size() + i];
    if (std::tolower(static_cast<unsigned char>(c)) != suffix[i]) return false;
  }
  return true;
}

// Valid UTF-8, control characters but tab as U+FFFD, at most kMaxText bytes (cut
// at a character boundary).
std::string Text(std::string_view s) {
  std::string t = core::LossyUtf8(s);
  // A control character would take six bytes in the entry's JSON (\u0001), so
  // a field of them could take an entry past its size limit: U+FFFD instead.
  if (std::any_of(t.begin(), t.end(), [](char c) { return c >= 0 && c < 0x20 && c != '\t'; })) {
    std::string clean;
    for (char c : t) {
      if (c >= 0 && c < 0x20 && c != '\t') {
        clean += "\xEF\xBF\xBD";
      } else {
        clean += c;
      }
    }
    t = std::move(clean);
  }
  if (t.size() > kMaxText) {
    size_t cut = kMaxText;
    while (cut > 0 && (static_cast<unsigned char>(t[cut]) & 0xC0) == 0x80) --cut;
    t = t.substr(0, cut) + "...";
  }
  return t;
}

void SetText(Json& e, const char* name, std::string_view value) {
  if (!value.empty()) e[name] = Text(value);
}

// A file name for a payload: the URI's last path segment, else its host.
std::string PayloadName(const std::string& uri) {
  std::string u = uri.substr(0, uri.find_first_of("?#"));
  while (!u.empty() && u.back() == '/') u.pop_back();
  size_t scheme = u.find("://");
  size_t slash = u.rfind('/');
  std::string name =
      slash == std::string::npos || (scheme != std::string::npos && slash < scheme + 3)
          ? u.substr(scheme == std::string::npos ? 0 : scheme + 3)
          : u.substr(slash + 1);
  name = Text(name);
  return name.empty() ? "payload" : name;
}

std::string DigestSummary(const warc::Record& r) {
  using warc::DigestResult;
  auto any = [&](DigestResult d) {
    return r.block_digest.result == d || r.payload_digest.result == d;
  };
  if (any(DigestResult::kFail)) return "fail";
  if (any(DigestResult::kUnknownAlgorithm)) return "unknown-algorithm";
  if (any(DigestResult::kPass)) return "pass";
  if (any(DigestResult::kNotChecked)) return "not-checked";
  return "absent";
}

// Whether a record's payload is worth an item: a resource, a 2xx response;
// not a part of one (a 206 Partial Content, a record cut short by its writer,
// WARC-Truncated, or one segment of a record continued in others), nor one in
// a transfer coding that cannot be undone: an item holds a whole file or
// nothing. The record itself stays in the WARC.
bool WantsItem(const warc::Record& r) {
  if (r.Get("WARC-Truncated") != nullptr || r.Get("WARC-Segment-Number") != nullptr ||
      r.transfer_coded) {
    return false;
  }
  return r.type == "resource" || (r.type == "response" && r.http && r.http_status >= 200 &&
                                  r.http_status < 300 && r.http_status != 206);
}

// Spools the payloads worth an item to temp files.
class Spool : public warc::PayloadSink {
 public:
  // `skip`: true for a record whose payload is not wanted (indexed already).
  // `budget_left`: payload bytes this web archive may still spool (shared by
  // all its WARCs); a payload that would pass it is dropped, not spooled.
  Spool(core::Env* env, std::string dir, std::function<bool()> skip, uint64_t* budget_left)
      : env_(env), dir_(std::move(dir)), skip_(std::move(skip)), budget_left_(budget_left) {}
  ~Spool() override { Discard(); }

  bool Begin(const warc::Record& r) override {
    Discard();
    if (skip_() || !WantsItem(r)) return false;
    static std::atomic<uint64_t> counter{0};
    path_ = core::JoinPath(
        dir_, "warc-payload-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    auto f = env_->NewWritableFile(path_);
    if (!f.ok()) {
      status_ = f.status();
      return true;  // Data() reports it
    }
    file_ = std::move(*f);
    return true;
  }
  Status Data(std::string_view bytes) override {
    if (!status_.ok()) return status_;
    if (over_budget_) return Status::Ok();  // read on for the digests; keep nothing
    if (bytes.size() > *budget_left_ - spooled_) {
      over_budget_ = true;
      file_.reset();
      (void)env_->RemoveFile(path_);
      return Status::Ok();
    }
    spooled_ += bytes.size();
    return file_->Append(bytes);
  }
  // True when this record's payload was dropped for passing the budget.
  bool over_budget() const { return over_budget_; }
  // The spooled payload's path, closed; "" when none was spooled.
  StatusOr<std::string> Finish() {
    if (!file_) return std::string();
    ISNAD_RETURN_IF_ERROR(file_->Close());
    file_.reset();
    *budget_left_ -= spooled_;
    spooled_ = 0;
    return path_;
  }
  void Discard() {
    file_.reset();
    if (!path_.empty()) (void)env_->RemoveFile(path_);
    path_.clear();
    status_ = Status::Ok();
    spooled_ = 0;
    over_budget_ = false;
  }

 private:
  core::Env* env_;
  std::string dir_;
  std::function<bool()> skip_;
  uint64_t* budget_left_;
  uint64_t spooled_ = 0;  // bytes of the current payload
  bool over_budget_ = false;
  std::string path_;
  std::unique_ptr<core::WritableFile> file_;
  Status status_;
};

}  // namespace

WebArchiveKind WebArchiveKindOf(std::string_view name) {
  if (IEndsWith(name, ".wacz")) return WebArchiveKind::kWacz;
  if (IEndsWith(name, ".warc") || IEndsWith(name, ".warc.gz")) return WebArchiveKind::kWarc;
  return WebArchiveKind::kNone;
}

WebArchiveKind WebArchiveKindOfBytes(WebArchiveKind by_name, std::string_view head) {
  if (by_name == WebArchiveKind::kNone) return by_name;
  if (head.starts_with(std::string_view("PK\x03\x04", 4))) return WebArchiveKind::kWacz;
  if (head.starts_with("\x1f\x8b") || head.starts_with("WARC/")) return WebArchiveKind::kWarc;
  return by_name;
}

StatusOr<WebArchiveKind> WebArchiveKindOfFile(core::Env* env, const std::string& path,
                                              WebArchiveKind by_name) {
  if (by_name == WebArchiveKind::kNone) return by_name;
  ISNAD_ASSIGN_OR_RETURN(std::string head, core::ReadHead(env, path, 8));
  return WebArchiveKindOfBytes(by_name, head);
}

// One indexing run over one item (and, for a WACZ, each of its WARCs).
class WebArchiveIndexer::Run {
 public:
  Run(Archive* a, std::string id) : a_(a), id_(std::move(id)) {}

  struct Pending {
    std::string prepared;  // a whole entry (a WACZ member's warc.indexed), else:
    Json body;             // warc.record without payload
    std::optional<store::StagedBlob> blob;
    std::string media_type, name, url, note;
  };

  // What an earlier, interrupted run of this item recorded: its warc.record
  // rows by WARC (member), in file order, and the WARCs it finished.
  Status LoadDone() {
    ISNAD_ASSIGN_OR_RETURN(auto rows, a_->catalog_->WarcRecords(id_));
    for (catalog::WarcRecordRow& r : rows) done_records_[r.member].push_back(std::move(r));
    ISNAD_ASSIGN_OR_RETURN(auto indexes, a_->catalog_->WarcIndexes(id_));
    for (const catalog::WarcIndexRow& r : indexes) done_indexed_.insert(r.member);
    return Status::Ok();
  }

  // Capture mode: entries go to `out` (the caller appends them), no payload
  // item is made, and the response whose verified payload digest is
  // `w.record_payload_sha256` links `w.payload_id`.
  void ForCapture(const CaptureWarc& w, std::vector<std::string>* out) {
    capture_ = &w;
    out_ = out;
  }

  // Reads one WARC stream; appends its warc.record entries and its
  // warc.indexed entry (with `member` when inside a WACZ).
  // With `read` (capture mode), its records stand for the file's, `in` unused.
  Status ReadWarc(core::SequentialFile* in, const std::string& member, WebArchiveSummary* total,
                  ReadWarcRecords* read = nullptr) {
    std::optional<warc::Reader> reader;
    if (read == nullptr) reader.emplace(in);
    size_t next_read = 0;
    // Records of this WARC an interrupted run recorded already, in order.
    static const std::vector<catalog::WarcRecordRow> kNone;
    auto done_it = done_records_.find(member);
    const std::vector<catalog::WarcRecordRow>& done =
        done_it == done_records_.end() ? kNone : done_it->second;
    WebArchiveSummary s;
    Spool spool(
        a_->options_.env, core::JoinPath(a_->layout_.root, "tmp"),
        [&] { return s.records < done.size(); }, &payload_budget_left_);
    bool linked = false;
    while (true) {
      warc::Record r;
      StatusOr<bool> more = false;
      if (read == nullptr) {
        more = reader->Next(&r, capture_ ? nullptr : &spool);
      } else if (next_read < read->records.size()) {
        r = std::move(read->records[next_read++]);
        more = true;
      } else if (!read->end.ok()) {
        more = read->end;
      }
      if (!more.ok()) {
        if (more.status().code() == core::Code::kIoError ||
            more.status().code() == core::Code::kResourceExhausted)
          return more.status();  // our disk, not the file
        s.error = more.status().message();
        break;
      }
      if (!*more) break;
      ++s.records;
      for (const warc::DigestCheck* d : {&r.block_digest, &r.payload_digest}) {
        if (d->result == warc::DigestResult::kPass) ++s.digests_passed;
        if (d->result == warc::DigestResult::kFail ||
            d->result == warc::DigestResult::kUnknownAlgorithm)
          ++s.digests_failed;
      }
      std::string where = "record " + std::to_string(s.records) +
                          (r.record_id.empty() ? "" : " " + r.record_id) +
                          (r.target_uri.empty() ? "" : " (" + r.target_uri + ")");
      auto digest_problem = [&](const char* field, const warc::DigestCheck& d) {
        if (d.result == warc::DigestResult::kFail ||
            d.result == warc::DigestResult::kUnknownAlgorithm)
          s.problems.push_back(where + ": " + field + " " + d.field + " " + warc::DigestProblem(d));
      };
      digest_problem("WARC-Block-Digest", r.block_digest);
      digest_problem("WARC-Payload-Digest", r.payload_digest);
      for (const std::string& p : r.problems) s.problems.push_back(where + ": " + p);

      if (s.records <= done.size()) {
        // Recorded by the interrupted run: counted, not written again.
        const catalog::WarcRecordRow& row = done[s.records - 1];
        if (row.offset != r.offset || row.record_id != Text(r.record_id)) {
          return core::Internal("web archive " + id_ + (member.empty() ? "" : " " + member) + ": " +
                                where + " reads differently than when it was indexed");
        }
        spool.Discard();
        if (WantsItem(r) && !(r.payload_complete && r.payload_size > 0) &&
            !r.payload_note.empty()) {
          s.problems.push_back(where + ": no payload item: " + r.payload_note);
        }
        if (!row.payload.empty()) {
          ++s.payloads;
          if (s.payload_ids.size() < 1000) s.payload_ids.push_back(row.payload);
        }
        continue;
      }

      Pending p;
      Json& e = p.body;
      e["type"] = std::string(catalog::kWarcRecord);
      e["container"] = id_;
      SetText(e, "member", member);
      e["offset"] = r.offset;
      e["length"] = r.length;
      SetText(e, "record_id", r.record_id);
      SetText(e, "warc_type", r.type);
      SetText(e, "target_uri", r.target_uri);
      SetText(e, "warc_date", r.date);
      SetText(e, "content_type", r.http ? r.payload_type : r.content_type);
      if (r.http_status > 0) e["http_status"] = static_cast<uint64_t>(r.http_status);
      e["digest"] = DigestSummary(r);
      if (!r.problems.empty()) e["problem"] = Text(r.problems.front());
      if (capture_) {
        // The capture's payload item, when this is the response it came from.
        if (!linked && !capture_->payload_id.empty() && r.type == "response" &&
            r.http_status >= 200 && r.http_status < 300 &&
            r.payload_digest.result == warc::DigestResult::kPass &&
            warc::DigestMatches(r.payload_digest.field, capture_->record_payload_sha256.View())) {
          e["payload"] = capture_->payload_id;
          linked = true;
          ++s.payloads;
          s.payload_ids.push_back(capture_->payload_id);
        }
      } else {
        ISNAD_ASSIGN_OR_RETURN(std::string spooled, spool.Finish());
        if (!spooled.empty()) {
          if (r.payload_complete && r.payload_size > 0) {
            auto staged = a_->blobs_->Stage(spooled, nullptr, nullptr, /*private_file=*/true);
            if (!staged.ok()) return staged.status();
            p.media_type = media::SniffMediaType(staged->head);
            staged->head.clear();
            batch_bytes_ += staged->size_bytes;
            p.blob = std::move(*staged);
            p.name = PayloadName(r.target_uri);
            p.url = Text(r.target_uri);
            p.note = Text("payload of WARC record " + r.record_id + " (" + r.type + ", " + r.date +
                          ") in " + id_ + (member.empty() ? "" : " " + member));
          } else if (!r.payload_note.empty()) {
            s.problems.push_back(where + ": no payload item: " + r.payload_note);
          }
          spool.Discard();
        } else if (spool.over_budget()) {
          s.problems.push_back(
              where + ": no payload item: the payloads of this web archive would pass " +
              std::to_string(payload_budget_) + " bytes (" +
              std::to_string(WebArchiveIndexer::kPayloadExpansion) +
              " times its size, never less than " + std::to_string(payload_budget_floor.load()) +
              "), which only a decompression bomb or an "
              "extraordinary archive reaches; the record is preserved in the WARC: extract its "
              "payload with a WARC tool and add it as a file if it is wanted");
          spool.Discard();
        }
      }
      pending_.push_back(std::move(p));
      const uint64_t stop = stop_after_records.load();
      if (stop > 0 && committed_ + PendingRecords() >= stop) {
        ISNAD_RETURN_IF_ERROR(Commit(&s));
        return core::IoError("indexing of " + id_ + " stopped after " + std::to_string(stop) +
                             " records (test hook)");
      }
      if (!capture_ && (pending_.size() >= kBatchRecords || batch_bytes_ >= kBatchBytes)) {
        ISNAD_RETURN_IF_ERROR(Commit(&s));
      }
    }
    // A WACZ member ZIP damage cut short, or whose bytes are not the ZIP's.
    if (!member.empty() && in != nullptr) {
      bool cut = false;
      const std::string damage = warc::WaczMemberDamage(in, &cut);
      // Cut, the damage is why reading stopped (an error the reader met at the
      // cut, "the file is empty" say, only follows from it).
      if (cut) s.error = "the ZIP member is damaged: " + damage;
      if (!damage.empty() && !cut) s.problems.push_back("the ZIP member is damaged: " + damage);
    }
    // A WACZ member's entries wait for the next batch: a package of many small
    // WARCs is not one signed checkpoint per WARC (each writes tiles).
    if (member.empty() || pending_.size() >= kBatchRecords) ISNAD_RETURN_IF_ERROR(Commit(&s));
    s.result = !s.error.empty()                              ? "unreadable"
               : s.digests_failed > 0 || !s.problems.empty() ? "invalid"
                                                             : "valid";
    if (s.records == 0 && s.error.empty()) {
      s.result = "unreadable";
      s.error = "no WARC records";
    }
    // A WACZ member finished by the interrupted run has its entry already.
    if (member.empty() || !done_indexed_.contains(member)) {
      ISNAD_RETURN_IF_ERROR(AppendIndexed(member, s));
    }
    // Into the item's total.
    total->records += s.records;
    total->digests_passed += s.digests_passed;
    total->digests_failed += s.digests_failed;
    total->payloads += s.payloads;
    total->new_payload_items += s.new_payload_items;
    for (auto& id : s.payload_ids)
      if (total->payload_ids.size() < 1000) total->payload_ids.push_back(id);
    total->problems.Append(s.problems, member.empty() ? "" : member + ": ");
    // The first few WARCs' errors in the item's; each is in its own warc.indexed.
    if (!s.error.empty() && ++errors_ <= kMaxErrors)
      total->error +=
          (total->error.empty() ? "" : "; ") + (member.empty() ? s.error : member + ": " + s.error);
    return Status::Ok();
  }

  // Appends the pending records (and their payload items) in one batch. On an
  // error the batch is dropped, never half sent again: its blobs are left to
  // reclaim, and an import that is added again resumes before it.
  Status Commit(WebArchiveSummary* s) {
    Status st = CommitBatch(s);
    if (!st.ok()) {
      std::vector<store::StagedBlob> left;
      for (const Pending& p : pending_)
        if (p.blob) left.push_back(*p.blob);
      if (!left.empty()) a_->blobs_->Abort(left);
      pending_.clear();
      batch_bytes_ = 0;
    }
    return st;
  }

  Status CommitBatch(WebArchiveSummary* s) {
    if (pending_.empty()) return Status::Ok();
    std::vector<store::StagedBlob> staged;
    for (const Pending& p : pending_)
      if (p.blob) staged.push_back(*p.blob);
    if (!staged.empty()) {
      auto committed = a_->blobs_->Commit(staged);
      if (!committed.ok()) {
        a_->blobs_->Abort(staged);
        return committed.status();
      }
    }
    catalog::Actor by{core::NowUtc(), a_->OperatorName()};
    const uint64_t base = a_->log_->size();
    std::vector<std::string> entries;
    std::map<core::Hash, std::string> batch_items;
    for (Pending& p : pending_) {
      if (!p.prepared.empty()) {
        entries.push_back(std::move(p.prepared));
        continue;
      }
      if (p.blob) {
        std::optional<std::string> known;
        if (auto it = batch_items.find(p.blob->sha256); it != batch_items.end()) {
          known = it->second;
        } else {
          ISNAD_ASSIGN_OR_RETURN(auto found, a_->catalog_->FindBySha256(p.blob->sha256));
          if (found) known = found->id;
        }
        if (known && *known == id_) {
          known.reset();  // a WARC holding itself: no payload link
        } else {
          catalog::Provenance from;
          from.name = p.name;
          from.url = p.url;
          from.note = p.note;
          StatusOr<std::string> entry =
              known ? catalog::SourceAddedEntry(by, *known, p.blob->sha256, from)
                    : catalog::ItemIngestedEntry(by, p.blob->sha256, p.blob->size_bytes,
                                                 p.media_type, from);
          if (entry.ok()) {
            std::string pid = known ? *known : catalog::ItemId(base + entries.size());
            if (!known) {
              batch_items[p.blob->sha256] = pid;
              ++s->new_payload_items;
            }
            entries.push_back(std::move(*entry));
            p.body["payload"] = pid;
            ++s->payloads;
            if (s->payload_ids.size() < 1000) s->payload_ids.push_back(pid);
          } else {
            s->problems.push_back("a payload could not be recorded: " + entry.status().message());
          }
        }
      }
      auto rec = catalog::WebArchiveEntry(by, p.body);
      if (!rec.ok()) return rec.status().WithContext("recording a WARC record of " + id_);
      entries.push_back(std::move(*rec));
    }
    committed_ += PendingRecords();
    pending_.clear();
    batch_bytes_ = 0;
    return Append(std::move(entries));
  }

  Status AppendIndexed(const std::string& member, const WebArchiveSummary& s,
                       const std::string& signature = "") {
    Json e;
    e["type"] = std::string(catalog::kWarcIndexed);
    e["item"] = id_;
    SetText(e, "member", member);
    e["result"] = s.result;
    e["records"] = s.records;
    e["digests_passed"] = s.digests_passed;
    e["digests_failed"] = s.digests_failed;
    if (!s.problems.empty()) {
      Json list = Json::array();
      for (size_t i = 0; i < s.problems.size() && i < kMaxProblems; ++i)
        list.push_back(Text(s.problems[i].substr(0, 600)));
      if (s.problems.size() > kMaxProblems)
        list.push_back("... and " + std::to_string(s.problems.size() - kMaxProblems) + " more");
      e["problems"] = list;
    }
    SetText(e, "signature", signature);
    if (s.result == "unreadable") e["error"] = Text(s.error.empty() ? "unreadable" : s.error);
    catalog::Actor by{core::NowUtc(), a_->OperatorName()};
    ISNAD_ASSIGN_OR_RETURN(std::string entry, catalog::WebArchiveEntry(by, e));
    if (member.empty()) return Append({std::move(entry)});
    // A WACZ member's: after its records, in the batch they wait in.
    pending_.push_back(Pending{.prepared = std::move(entry)});
    return Status::Ok();
  }

  // Records waiting in the batch (a WACZ member's warc.indexed aside).
  uint64_t PendingRecords() const {
    return static_cast<uint64_t>(std::count_if(
        pending_.begin(), pending_.end(), [](const Pending& p) { return p.prepared.empty(); }));
  }

  ~Run() {
    std::vector<store::StagedBlob> left;
    for (const Pending& p : pending_)
      if (p.blob) left.push_back(*p.blob);
    if (!left.empty()) a_->blobs_->Abort(left);
  }

 private:
  // Into the log (one signed checkpoint), or, for a capture, to the caller.
  Status Append(std::vector<std::string> entries) {
    if (out_) {
      for (std::string& e : entries) out_->push_back(std::move(e));
      return Status::Ok();
    }
    return a_->AppendAndApply(entries).status();
  }

  Archive* a_;
  std::string id_;
  std::vector<Pending> pending_;
  uint64_t batch_bytes_ = 0;
  uint64_t committed_ = 0;  // records committed by this run
  uint64_t errors_ = 0;     // WARCs read only in part

 public:
  static constexpr uint64_t kMaxErrors = 10;
  // How many WARCs' errors were left out of the item's error.
  uint64_t ErrorsLeftOut() const { return errors_ > kMaxErrors ? errors_ - kMaxErrors : 0; }

 private:
  std::map<std::string, std::vector<catalog::WarcRecordRow>> done_records_;
  std::set<std::string> done_indexed_;
  const CaptureWarc* capture_ = nullptr;
  std::vector<std::string>* out_ = nullptr;
  uint64_t payload_budget_ = 0;       // see SetPayloadBudget
  uint64_t payload_budget_left_ = 0;  // what is left of it

 public:
  // The budget of payload bytes for a web archive of `container_bytes`.
  void SetPayloadBudget(uint64_t container_bytes) {
    const uint64_t cap =
        std::numeric_limits<uint64_t>::max() / WebArchiveIndexer::kPayloadExpansion;
    payload_budget_ =
        std::max(payload_budget_floor.load(),
                 std::min(container_bytes, cap) * WebArchiveIndexer::kPayloadExpansion);
    payload_budget_left_ = payload_budget_;
  }
};

namespace {

class WaczVisitor : public warc::WaczWarcVisitor {
 public:
  WaczVisitor(WebArchiveIndexer::Run* run, WebArchiveSummary* total) : run_(run), total_(total) {}
  Status OnWarc(const std::string& member, core::SequentialFile* stream) override {
    return run_->ReadWarc(stream, member, total_);
  }

 private:
  WebArchiveIndexer::Run* run_;
  WebArchiveSummary* total_;
};

}  // namespace

StatusOr<WebArchiveSummary> WebArchiveIndexer::Index(Archive* a, const std::string& id,
                                                     const core::Hash& sha256,
                                                     WebArchiveKind kind) {
  if (!a->signer_) return core::FailedPrecondition("the archive was opened read-only");
  WebArchiveSummary total;
  total.id = id;
  WebArchiveIndexer::Run run(a, id);
  ISNAD_RETURN_IF_ERROR(run.LoadDone());  // resume an interrupted run
  ISNAD_ASSIGN_OR_RETURN(core::FileInfo stored, a->options_.env->Stat(a->blobs_->PathOf(sha256)));
  run.SetPayloadBudget(stored.size_bytes);
  if (kind == WebArchiveKind::kWarc) {
    total.kind = "warc";
    ISNAD_ASSIGN_OR_RETURN(auto file, a->blobs_->Open(sha256));
    ISNAD_RETURN_IF_ERROR(run.ReadWarc(file.get(), "", &total));
  } else {
    total.kind = "wacz";
    WaczVisitor visitor(&run, &total);
    StatusOr<warc::WaczReport> report = warc::ReadWacz(a->blobs_->PathOf(sha256), &visitor);
    if (!report.ok() && (report.status().code() == core::Code::kIoError ||
                         report.status().code() == core::Code::kResourceExhausted ||
                         report.status().code() == core::Code::kLocked ||
                         report.status().code() == core::Code::kFailedPrecondition)) {
      return report.status();
    }
    // The last members' entries wait in the batch: they go before the package's.
    // One that cannot be recorded stops the package as ReadWacz's errors do.
    if (Status st = run.Commit(&total); !st.ok()) {
      if (st.code() == core::Code::kIoError || st.code() == core::Code::kResourceExhausted ||
          st.code() == core::Code::kLocked || st.code() == core::Code::kFailedPrecondition)
        return st;
      if (report.ok()) report = st;
    }
    if (run.ErrorsLeftOut() > 0)
      total.error += "; and " + std::to_string(run.ErrorsLeftOut()) +
                     " more WARCs could not be read, each named in its warc.indexed entry";
    WebArchiveSummary package = total;
    package.problems.clear();
    if (!report.ok()) {
      package.error = report.status().message();
    } else {
      total.signature = report->signature;
      for (const std::string& p : report->problems) package.problems.push_back(p);
    }
    // The package's own result: its WARCs' findings and its own.
    package.problems.Append(total.problems);
    package.result = !package.error.empty()                                    ? "unreadable"
                     : package.digests_failed > 0 || !package.problems.empty() ? "invalid"
                                                                               : "valid";
    ISNAD_RETURN_IF_ERROR(run.AppendIndexed("", package, total.signature));
    total.problems = package.problems;
    total.error = package.error;
  }
  if (total.kind == "warc") {
    total.result = !total.error.empty()                                  ? "unreadable"
                   : total.digests_failed > 0 || !total.problems.empty() ? "invalid"
                                                                         : "valid";
    if (total.records == 0 && total.error.empty()) total.error = "no WARC records";
    if (total.records == 0) total.result = "unreadable";
  } else {
    total.result = !total.error.empty()                                  ? "unreadable"
                   : total.digests_failed > 0 || !total.problems.empty() ? "invalid"
                                                                         : "valid";
  }
  return total;
}

Status WebArchiveIndexer::IndexAdded(Archive* a, const std::vector<AddedFile>& added,
                                     const AddCallbacks& callbacks) {
  for (const AddedFile& f : added) {
    WebArchiveKind kind = WebArchiveKindOf(f.name);
    if (kind == WebArchiveKind::kNone) continue;
    ISNAD_ASSIGN_OR_RETURN(auto done, a->catalog_->WarcIndexes(f.id));
    // Indexed when first added (its last entry has no member); else not, or
    // interrupted: Index resumes it.
    if (std::any_of(done.begin(), done.end(),
                    [](const catalog::WarcIndexRow& r) { return r.member.empty(); }))
      continue;
    ISNAD_ASSIGN_OR_RETURN(
        kind, WebArchiveKindOfFile(a->options_.env, a->blobs_->PathOf(f.sha256), kind));
    ISNAD_ASSIGN_OR_RETURN(WebArchiveSummary s, Index(a, f.id, f.sha256, kind));
    if (callbacks.on_web_archive) callbacks.on_web_archive(s);
  }
  return Status::Ok();
}

ReadWarcRecords ReadAllWarcRecords(core::Env* env, const std::string& path) {
  ReadWarcRecords out;
  auto file = env->NewSequentialFile(path);
  if (!file.ok()) {
    out.end = file.status();
    return out;
  }
  warc::Reader reader(file->get());
  while (true) {
    warc::Record r;
    StatusOr<bool> more = reader.Next(&r);
    if (!more.ok()) {
      out.end = more.status();
      break;
    }
    if (!*more) break;
    out.records.push_back(std::move(r));
  }
  return out;
}

StatusOr<WebArchiveSummary> WebArchiveIndexer::IndexCaptureWarc(Archive* a, const CaptureWarc& w,
                                                                ReadWarcRecords& read,
                                                                std::vector<std::string>* entries) {
  WebArchiveSummary total;
  total.id = w.warc_id;
  total.kind = "warc";
  WebArchiveIndexer::Run run(a, w.warc_id);
  run.ForCapture(w, entries);
  ISNAD_RETURN_IF_ERROR(run.ReadWarc(nullptr, "", &total, &read));
  total.result = !total.error.empty()                                  ? "unreadable"
                 : total.digests_failed > 0 || !total.problems.empty() ? "invalid"
                                                                       : "valid";
  return total;
}

void WebArchiveIndexer::StopAfterRecordsForTesting(uint64_t records) {
  stop_after_records.store(records);
}

void WebArchiveIndexer::SetPayloadBudgetFloorForTesting(uint64_t bytes) {
  payload_budget_floor.store(bytes);
}

}  // namespace isnad::archive
