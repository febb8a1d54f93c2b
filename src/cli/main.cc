// The `isnad` command: parses arguments with CLI11, calls the archive module,
// prints text for people or JSON Lines for machines (--json), and turns
// statuses into exit codes (exit_codes.h). No archive logic lives here.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string_view>
#include <tuple>

#include "archive/archive.h"
#include "catalog/catalog.h"
#include "catalog/entries.h"
#include "cli/common.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "core/allocator.h"
#include "core/encoding.h"
#include "core/spelling.h"
#include "core/time.h"
#include "core/utf8.h"
#include "log/checkpoint.h"
#include "log/merkle.h"
#include "log/note.h"

namespace isnad::cli {

int Fail(const core::Status& s) {
  // Messages carry paths, which may hold any byte: never raw control characters.
  std::fprintf(stderr, "isnad: %s\n", Printable(s.ToString()).c_str());
  return ExitCodeFor(s);
}

void Example(CLI::App* command, const std::string& text) { command->footer("Example:\n  " + text); }

// pdq: perceptual hashes of image files, no archive (pdq_commands.cc).
void RegisterPdqCommands(CLI::App& app, const Globals& g, Commands& out);
// vpdq, vpdq-compare: perceptual hashes of video frames, no archive (vpdq_commands.cc).
void RegisterVpdqCommands(CLI::App& app, const Globals& g, Commands& out);
// capture: URLs to WARC files (capture_commands.cc).
void RegisterCaptureCommands(CLI::App& app, const Globals& g, Commands& out);
// warc: web archives' records, checking WARC/WACZ files (webarchive_commands.cc).
void RegisterWebArchiveCommands(CLI::App& app, const Globals& g, Commands& out);
// The web archive lines of `show`: records of a WARC/WACZ item, or the record
// an item is the payload of (webarchive_commands.cc). Into `json` when given.
void PrintWebArchiveSection(const archive::Archive& a, const std::string& id, core::Json* json);
// analyze, similar, dupes (media_commands.cc); the analysis lines of `show`.
void RegisterMediaCommands(CLI::App& app, const Globals& g, Commands& out);
void PrintMediaSection(const archive::Archive& a, const std::string& id, core::Json* json);

namespace {

using core::Json;
using core::Status;

std::string ArchiveDir(const Globals& g) {
  if (!g.archive.empty()) return g.archive;
  return ".";
}

archive::Options MakeOptions(const Globals& g) {
  archive::Options o;
  o.operator_name = g.operator_name;
  return o;
}

}  // namespace

namespace {

const char* interrupted_message = "";  // set by SayOnInterrupt before the handler

// Only async-signal-safe calls here.
extern "C" void SayInterruptedAndDie(int sig) {
  ssize_t written = ::write(STDERR_FILENO, interrupted_message, std::strlen(interrupted_message));
  (void)written;
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

}  // namespace

void SayOnInterrupt(const char* message) {
  interrupted_message = message;
  // The message says that what was reported is safe: so every reported line
  // must be out of the process when a signal ends it, also into a file or a
  // pipe (fully buffered by default, and a signal flushes nothing). One
  // write(2) per line there; a terminal is line-buffered already, and
  // /dev/null (a character device too) loses nothing either way.
  struct stat out {};
  if (::fstat(STDOUT_FILENO, &out) == 0 && !S_ISCHR(out.st_mode)) {
    std::fflush(stdout);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
  }
  for (int sig : {SIGINT, SIGTERM}) {
    // Keep "ignored" (a background job of a shell without job control) as it is.
    if (std::signal(sig, SayInterruptedAndDie) == SIG_IGN) std::signal(sig, SIG_IGN);
  }
}

core::StatusOr<std::unique_ptr<archive::Archive>> OpenArchive(const Globals& g,
                                                              archive::Mode mode) {
  if (mode != archive::Mode::kRead) {
    // A command that changes the archive runs to its end even when whoever reads
    // its output goes away (`isnad add DIR | head`): SIGPIPE would end it half-way
    // through the files it was asked to preserve. main() says so on stderr.
    std::signal(SIGPIPE, SIG_IGN);
  }
  if (mode == archive::Mode::kWrite || mode == archive::Mode::kRebuild) {
    // Ctrl-C (or kill) during a command that writes: the process still ends at
    // once (what was committed is complete, what was in progress is not
    // recorded), but the user is told where that leaves the archive.
    SayOnInterrupt(
        "\nisnad: interrupted. Every file or entry reported above as added or recorded is safe "
        "in the archive; what was in progress was not recorded (its temporary files are removed "
        "by the next command that writes). `isnad log` lists what is recorded; run the same "
        "command again to finish.\n");
  }
  auto opened = archive::Archive::Open(ArchiveDir(g), mode, MakeOptions(g));
  if (opened.ok() && !(*opened)->catalog_lag().empty()) {
    std::fprintf(stderr, "warning: %s\n", Printable((*opened)->catalog_lag()).c_str());
  }
  if (!opened.ok() && opened.status().code() == core::Code::kNotFound && g.archive.empty() &&
      opened.status().message().starts_with("no isnad archive at")) {
    // The user most likely forgot to say where the archive is.
    std::error_code ec;
    std::string here = std::filesystem::current_path(ec).string();
    return core::NotFound(
        "no isnad archive in the current folder (" + here +
        "), and neither --archive nor ISNAD_ARCHIVE says where one is. Name yours with "
        "`--archive DIR` (before or after the command) or `export ISNAD_ARCHIVE=DIR`; to create "
        "one: `isnad --archive DIR init`");
  }
  return opened;
}

namespace {

std::vector<std::string> ProofB64(const std::vector<core::Hash>& hashes) {
  std::vector<std::string> out;
  for (const auto& h : hashes) out.push_back(core::Base64Encode(h.View()));
  return out;
}

Json ItemJson(const catalog::ItemRecord& r) {
  return Json{{"id", r.id},
              {"sha256", r.sha256.Hex()},
              {"size", r.size_bytes},
              {"name", r.name},
              {"media_type", r.media_type},
              {"leaf_index", r.leaf_index},
              {"ingested_at", r.ingested_at},
              {"operator", r.operator_},
              {"sources", r.source_count}};
}

// ---------------------------------------------------------------- init
int CmdInit(const Globals& g, const std::string& name) {
  std::string dir = ArchiveDir(g);
  std::string origin = name;
  if (origin.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
      std::snprintf(host, sizeof host, "localhost");
    std::string base = std::filesystem::absolute(dir).lexically_normal().filename().string();
    if (base.empty()) base = "archive";
    origin = std::string(host) + "/isnad/" + base;
    for (char& c : origin) {
      if (c == ' ' || c == '+' || static_cast<unsigned char>(c) < 0x21) c = '-';
    }
  }
  // The folder that holds the archive must exist: a mistyped or unmounted drive
  // (/media/usbdirve/evidence) would otherwise put the evidence on the wrong disk.
  std::filesystem::path where = std::filesystem::absolute(dir).lexically_normal();
  if (!where.has_filename()) where = where.parent_path();  // "evidence/"
  std::error_code ec;
  if (!std::filesystem::is_directory(where.parent_path(), ec)) {
    return Fail(core::NotFound(
        where.parent_path().string() + " does not exist, so the archive " + dir +
        " was not created; check the path (a drive not mounted, a mistyped name?), or create the "
        "folder first: mkdir -p '" +
        where.parent_path().string() + "'"));
  }
  auto a = archive::Archive::Init(dir, origin, MakeOptions(g));
  if (!a.ok()) return Fail(a.status());
  if (g.json) {
    PrintJsonLine({{"archive", dir}, {"origin", (*a)->origin()}, {"vkey", (*a)->vkey()}});
    return kExitOk;
  }
  fmt::print("Created archive {} (origin \"{}\").\n", dir, (*a)->origin());
  fmt::print(
      "Public key (give it to anyone who must verify this archive; keep it somewhere else too):\n  "
      "{}\n",
      (*a)->vkey());
  fmt::print("Secret signing key: {} (mode 0600; back it up, never share it).\n",
             (*a)->layout().SignerKey());
  fmt::print(
      "To save the public key in a file for `verify --key` and `verify-bag --key`:\n"
      "  isnad --archive {} key > archive.vkey\n",
      dir);
  return kExitOk;
}

// ---------------------------------------------------------------- add
int CmdAdd(const Globals& g, archive::AddRequest req) {
  auto a = OpenArchive(g, archive::Mode::kWrite);
  if (!a.ok()) return Fail(a.status());
  // Each line printed is an acknowledgement: let a pipe see it at once.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  ProgressBar bar("adding");
  archive::AddCallbacks cb;
  // Said in the summary: what an archivist should look at again.
  uint64_t empty = 0, unreadable = 0;
  cb.on_added = [&](const archive::AddedFile& f) {
    if (f.size_bytes == 0) {
      ++empty;
      if (!g.json) {
        bar.Clear();
        std::fprintf(stderr,
                     "note: %s is empty (0 bytes): there is nothing in it to preserve (a failed "
                     "download or copy?)\n",
                     Printable(f.path).c_str());
      }
    }
    if (!f.replaced_damaged.empty()) {
      bar.Clear();
      std::fprintf(stderr,
                   "WARNING: the stored copy of %s was damaged; it was moved to %s and replaced by "
                   "the intact bytes of %s. Run `isnad verify`.\n",
                   f.id.c_str(), f.replaced_damaged.c_str(), Printable(f.path).c_str());
    }
    if (g.json) {
      PrintJsonLine({{"id", f.id},
                     {"sha256", f.sha256.Hex()},
                     {"size", f.size_bytes},
                     {"name", f.name},
                     {"path", f.path},
                     {"link_target", f.link_target},
                     {"leaf_index", f.leaf_index},
                     {"new_item", f.new_item},
                     {"already_recorded", f.already_recorded},
                     {"media_type", f.media_type}});
      return;
    }
    bar.Clear();
    fmt::print("{} {:<8} {}  {:>9}  {}{}\n",
               f.new_item           ? "added"
               : f.already_recorded ? "same "
                                    : "known",
               f.id, f.sha256.Hex().substr(0, 12), HumanBytes(f.size_bytes), Printable(f.path),
               f.link_target.empty() ? "" : " -> " + Printable(f.link_target));
  };
  cb.on_skipped = [&](const std::string& path, const Status& why) {
    bar.Clear();
    std::fprintf(stderr, "skipped %s: %s\n", Printable(path).c_str(),
                 Printable(why.message()).c_str());
    // A script reading --json must see it too; no "id", so it cannot pass for an added file.
    if (g.json) PrintJsonLine({{"path", path}, {"skipped", why.message()}});
  };
  cb.on_progress = [&](uint64_t bytes, uint64_t done, uint64_t total) {
    bar.Update(bytes, done, total);
  };
  // A web archive whose digests or records fail: an integrity failure (10). A
  // file named like one in which not one record could be read (a text file
  // called notes.warc): kept as a plain item, and the add is partly done (1).
  bool web_archive_invalid = false, web_archive_unread = false;
  cb.on_web_archive = [&](const archive::WebArchiveSummary& w) {
    bar.Clear();
    if (w.result == "unreadable" && w.records == 0) {
      web_archive_unread = true;
    } else if (w.result != "valid") {
      web_archive_invalid = true;
    }
    if (g.json) {
      // At most 1,000 problems, the count of the rest after them: a hostile
      // package can list millions.
      core::Json problems = w.problems.Lines();
      PrintJsonLine({{"id", w.id},
                     {"web_archive", w.kind},
                     {"result", w.result},
                     {"records", w.records},
                     {"digests_passed", w.digests_passed},
                     {"digests_failed", w.digests_failed},
                     {"payloads", w.payload_ids},
                     {"problems", problems},
                     {"error", w.error},
                     {"signature", w.signature}});
      return;
    }
    fmt::print(
        "indexed {:<6} {} {}: {} records, {} payload item(s) ({} new), digests {} passed, "
        "{} failed{}\n",
        w.id, w.kind,
        w.result == "valid"     ? "VALID"
        : w.result == "invalid" ? "INVALID"
                                : "UNREADABLE",
        w.records, w.payloads, w.new_payload_items, w.digests_passed, w.digests_failed,
        w.signature.empty() || w.signature == "absent" ? "" : "; WACZ signature " + w.signature);
    for (size_t i = 0; i < w.problems.size() && i < 20; ++i)
      std::fprintf(stderr, "  problem: %s\n", Printable(w.problems[i]).c_str());
    if (w.problems.size() > 20)
      std::fprintf(stderr, "  ... and %zu more problems (isnad show %s)\n", w.problems.size() - 20,
                   w.id.c_str());
    if (!w.error.empty()) std::fprintf(stderr, "  error: %s\n", Printable(w.error).c_str());
    if (w.result != "valid")
      std::fprintf(stderr,
                   "  %s is preserved as added, byte for byte; the failure is recorded in "
                   "the log (isnad show %s).\n",
                   w.id.c_str(), w.id.c_str());
  };
  // With --json, stdout keeps one object per file; `show --json` gives the analysis.
  if (!g.json) {
    cb.analysis = AnalysisPrinter(g);
    cb.analysis.on_analyzed = [&unreadable,
                               print = cb.analysis.on_analyzed](const archive::AnalyzedItem& item) {
      if (!item.failures.empty()) ++unreadable;
      print(item);
    };
  }
  req.analysis.jobs = req.jobs;
  auto summary = (*a)->Add(req, cb);
  bar.Clear();
  if (!summary.ok()) {
    // A batch whose checkpoint was written but whose folder could not be synced is
    // in the log, and reported above, yet not known to survive a power cut.
    const bool unsure =
        summary.status().message().find("could not be confirmed durable") != std::string::npos;
    std::fprintf(stderr, "%s",
                 unsure ? "isnad: adding stopped early; the files reported above as added are "
                          "in the log, but the disk did not confirm the last batch durable: run "
                          "`isnad verify` once the disk is sound.\n"
                        : "isnad: adding stopped early; every file reported above as added is "
                          "safe.\n");
    return Fail(summary.status());
  }
  if (!g.json) {
    std::string already =
        summary->already == 0
            ? ""
            : fmt::format(
                  ", {} already recorded from the same path and source (\"same\": "
                  "nothing new written)",
                  summary->already);
    if (empty > 0) already += fmt::format(", {} empty", empty);
    if (unreadable > 0) {
      already +=
          fmt::format(", {} kept that analysis could not read (damaged or cut short?)", unreadable);
    }
    std::fprintf(stderr,
                 "%llu new item(s), %llu new source(s) of items already held%s, %llu skipped; %s. "
                 "Log size %llu.\n",
                 static_cast<unsigned long long>(summary->added),
                 static_cast<unsigned long long>(summary->sources), already.c_str(),
                 static_cast<unsigned long long>(summary->skipped),
                 HumanBytes(summary->bytes).c_str(),
                 static_cast<unsigned long long>((*a)->log().size()));
  }
  if (web_archive_invalid) return kExitIntegrity;  // preserved, but its digests or format fail
  return summary->skipped > 0 || web_archive_unread ? kExitError : kExitOk;
}

// ---------------------------------------------------------------- ls / show / cat
int CmdLs(const Globals& g) {
  auto a = OpenArchive(g, archive::Mode::kRead);
  if (!a.ok()) return Fail(a.status());
  auto items = (*a)->catalog().Items();
  if (!items.ok()) return Fail(items.status());
  for (const auto& r : *items) {
    if (g.json) {
      PrintJsonLine(ItemJson(r));
    } else {
      fmt::print("{:<8} {}  {:>9}  {:<24} {}\n", r.id, r.sha256.Hex().substr(0, 12),
                 HumanBytes(r.size_bytes), r.media_type, Printable(r.name));
    }
  }
  return kExitOk;
}

int CmdShow(const Globals& g, const std::string& id) {
  auto a = OpenArchive(g, archive::Mode::kRead);
  if (!a.ok()) return Fail(a.status());
  auto r = (*a)->Resolve(id);
  if (!r.ok()) return Fail(r.status());
  // The hash shown is the one an exhibit list copies: the log's, or nothing.
  if (auto st = (*a)->CheckAgainstLog(*r); !st.ok()) return Fail(st);
  auto sources = (*a)->catalog().Sources(r->id);
  if (!sources.ok()) return Fail(sources.status());
  auto notes = (*a)->catalog().Notes(r->id);
  if (!notes.ok()) return Fail(notes.status());
  auto details = (*a)->catalog().Details(r->id);
  if (!details.ok()) return Fail(details.status());
  const catalog::ItemDetails& d = *details;
  int unreadable = kExitOk;  // a long note's blob that cannot be read
  if (g.json) {
    Json j = ItemJson(*r);
    j["title"] = d.titles;
    j["description"] = d.descriptions;
    j["event_date"] = d.event_date;
    j["place"] = d.place;
    if (!d.lat.empty()) j["location"] = {{"lat", d.lat}, {"lon", d.lon}};
    j["tags"] = d.tags;
    j["status"] = d.status;
    Json reviews = Json::array();
    for (const auto& rv : d.reviews) {
      reviews.push_back({{"leaf_index", rv.leaf_index},
                         {"status", rv.status},
                         {"reason", rv.reason},
                         {"time", rv.time},
                         {"operator", rv.operator_}});
    }
    j["reviews"] = reviews;
    j["original"] = d.original;
    j["derived"] = d.derived;
    j["incidents"] = d.incidents;
    j["cases"] = d.cases;
    Json taken = Json::array();
    for (const auto& t : d.taken_back) {
      Json tj{{"from", t.from},
              {"as", t.role},
              {"reason", t.reason},
              {"time", t.time},
              {"entry", t.leaf_index}};
      if (!t.event.empty()) tj["event"] = t.event;
      taken.push_back(tj);
    }
    j["taken_back"] = taken;
    j["path"] = sources->empty() ? "" : sources->front().path;
    Json src = Json::array();
    for (const auto& s : *sources) {
      src.push_back({{"leaf_index", s.leaf_index},
                     {"type", s.type},
                     {"name", s.name},
                     {"path", s.path},
                     {"link_target", s.link_target},
                     {"url", s.url},
                     {"note", s.note},
                     {"time", s.time},
                     {"operator", s.operator_}});
    }
    j["provenance"] = src;
    Json ns = Json::array();
    for (const auto& n : *notes) {
      Json nj{{"leaf_index", n.leaf_index},
              {"text", n.text},
              {"time", n.time},
              {"operator", n.operator_}};
      if (n.text_sha256) {
        nj["text_sha256"] = n.text_sha256->Hex();
        auto text = (*a)->NoteText(*n.text_sha256);
        if (text.ok()) {
          nj["text"] = core::LossyUtf8(*text);
        } else {  // the rest is still shown; the exit code says it
          nj["text_error"] = text.status().message();
          unreadable = Fail(text.status().WithContext("note " + std::to_string(n.leaf_index)));
        }
      }
      ns.push_back(nj);
    }
    j["notes"] = ns;
    PrintWebArchiveSection(**a, r->id, &j);
    PrintMediaSection(**a, r->id, &j);
    PrintJsonLine(j);
    return unreadable;
  }
  fmt::print("item        {}\n", r->id);
  fmt::print("name        {}\n", Printable(r->name));
  fmt::print("sha256      {}\n", r->sha256.Hex());
  fmt::print("size        {} ({} bytes)\n", HumanBytes(r->size_bytes), r->size_bytes);
  fmt::print("media type  {}\n", r->media_type);
  // Operator names come from the environment, or from another archive's entries: any text.
  fmt::print("ingested    {} by {} (log entry {})\n", r->ingested_at, Printable(r->operator_),
             r->leaf_index);
  fmt::print("stored at   {}\n", (*a)->blobs().PathOf(r->sha256));
  for (const auto& [lang, t] : d.titles) fmt::print("title [{}]  {}\n", lang, Printable(t));
  for (const auto& [lang, t] : d.descriptions) fmt::print("about [{}]  {}\n", lang, Printable(t));
  if (!d.event_date.empty()) fmt::print("event date  {}\n", d.event_date);
  if (!d.place.empty() || !d.lat.empty()) {
    std::string where = d.place;
    if (!d.place.empty()) {
      auto place = (*a)->catalog().Entity(d.place);
      if (place.ok()) where = place->Label() + " (" + d.place + ")";
    }
    if (!d.lat.empty()) where += (where.empty() ? "" : ", ") + d.lat + "," + d.lon;
    fmt::print("place       {}\n", Printable(where));
  }
  if (!d.tags.empty())
    fmt::print("tags        {}\n", Printable(fmt::format("{}", fmt::join(d.tags, ", "))));
  fmt::print("status      {}\n", d.status);
  for (const auto& rv : d.reviews) {
    fmt::print("  review [{}] {} by {}: {} — {}\n", rv.leaf_index, rv.time, Printable(rv.operator_),
               rv.status, Printable(rv.reason));
  }
  if (!d.original.empty()) fmt::print("copy of     {} (the evidentiary original)\n", d.original);
  if (!d.derived.empty())
    fmt::print("copies      {}\n", fmt::format("{}", fmt::join(d.derived, ", ")));
  if (!d.incidents.empty())
    fmt::print("incidents   {}\n", fmt::format("{}", fmt::join(d.incidents, ", ")));
  if (!d.cases.empty()) fmt::print("cases       {}\n", fmt::format("{}", fmt::join(d.cases, ", ")));
  // Where it was taken out of, and why: a court asks what an item was once used for.
  for (const auto& t : d.taken_back) {
    // A withdrawn event's document may still be an exhibit of that case: what
    // left is its part in the event.
    const std::string what =
        t.role == "incident"  ? "of " + t.from + " as an item of the incident"
        : t.role == "exhibit" ? "of " + t.from + " as an exhibit"
                              : "as the document of event " + t.event + " (withdrawn) in " + t.from;
    fmt::print("taken out   {}, by log entry {} ({}): {}\n", what, t.leaf_index, t.time,
               Printable(t.reason));
  }
  fmt::print("provenance  {} record(s):\n", sources->size());
  for (const auto& s : *sources) {
    fmt::print("  [{}] {} {} by {}\n", s.leaf_index, s.time,
               s.type == catalog::kItemIngested ? "ingested" : "source added",
               Printable(s.operator_));
    if (!s.path.empty()) fmt::print("      path    {}\n", Printable(s.path));
    if (!s.link_target.empty()) {
      fmt::print("      link    reached through a symbolic link; its bytes were read from {}\n",
                 Printable(s.link_target));
    }
    if (s.path.find("\uFFFD") != std::string::npos) {
      // A name that was not UTF-8 is shown with U+FFFD; the entry keeps its bytes.
      fmt::print(
          "      (a U+FFFD in the path may stand for bytes that are not UTF-8; the entry's "
          "path_b64 then holds them exactly: isnad log --json --from {} --limit 1)\n",
          s.leaf_index);
    }
    // --source takes "URL or description" ("WhatsApp from witness 12"): only a URL is a url.
    if (!s.url.empty()) {
      const bool url = s.url.find("://") != std::string::npos;
      fmt::print("      {}{}\n", url ? "url     " : "source  ", Printable(s.url));
    }
    if (!s.note.empty()) fmt::print("      note    {}\n", Printable(s.note));
  }
  for (const auto& n : *notes) {
    std::string text = n.text;
    if (n.text_sha256) {  // a long note, stored as a blob
      auto long_text = (*a)->NoteText(*n.text_sha256);
      if (long_text.ok()) {
        text = *long_text;
      } else {  // the rest is still shown; the exit code says it
        text = "(long note stored as blob " + n.text_sha256->Hex() +
               ", which cannot be read: " + long_text.status().message() + ")";
        unreadable = Fail(long_text.status().WithContext("note " + std::to_string(n.leaf_index)));
      }
    }
    fmt::print("note [{}] {} by {}: {}\n", n.leaf_index, n.time, Printable(n.operator_),
               Printable(text));
  }
  PrintWebArchiveSection(**a, r->id, nullptr);
  PrintMediaSection(**a, r->id, nullptr);
  fmt::print("prove it with: isnad prove {}\n", r->id);
  return unreadable;
}

int CmdCat(const Globals& g, const std::string& id) {
  auto a = OpenArchive(g, archive::Mode::kRead);
  if (!a.ok()) return Fail(a.status());
  auto r = (*a)->Resolve(id);
  if (!r.ok()) return Fail(r.status());
  const std::string& type = r->media_type;
  const bool readable = type.starts_with("text/") || type == "application/json" ||
                        type == "application/xml" || type.ends_with("+json") ||
                        type.ends_with("+xml");
  if (::isatty(STDOUT_FILENO) == 1 && !readable) {
    // A picture or video written to a terminal is garbage on screen, and may leave
    // the terminal in a strange state; the user almost certainly forgot `> FILE`.
    bool plain = !r->name.empty() && r->name.front() != '-';
    for (char c : r->name) {
      plain &= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    }
    return Fail(core::InvalidArgument(fmt::format(
        "{} ({}, {}) is not text, and standard output is the terminal; nothing was written. Save "
        "its original bytes to a file: isnad cat {} > {}",
        r->id, r->media_type, HumanBytes(r->size_bytes), r->id, plain ? r->name : "FILE")));
  }
  if (auto st = (*a)->CheckAgainstLog(*r); !st.ok()) return Fail(st);
  auto file = (*a)->blobs().Open(r->sha256);
  if (!file.ok()) return Fail(file.status());
  // Hash while streaming: if the stored bytes were altered, say so loudly.
  core::Sha256 sha;
  std::vector<char> buf(1 << 20);
  while (true) {
    auto n = (*file)->Read(buf.data(), buf.size());
    if (!n.ok()) return Fail(n.status());
    if (*n == 0) break;
    sha.Update(buf.data(), *n);
    if (std::fwrite(buf.data(), 1, *n, stdout) != *n) {
      return Fail(core::IoError("cannot write to standard output"));
    }
  }
  if (std::fflush(stdout) != 0) return Fail(core::IoError("cannot write to standard output"));
  if (sha.Finish() != r->sha256) {
    return Fail(core::Integrity(
        "the stored bytes of " + r->id +
        " do not match their SHA-256; the output above is NOT the original. Run `isnad verify`."));
  }
  return kExitOk;
}

// ---------------------------------------------------------------- log / checkpoint / key
int CmdLog(const Globals& g, uint64_t from, uint64_t limit) {
  auto a = OpenArchive(g, archive::Mode::kRead);
  if (!a.ok()) return Fail(a.status());
  uint64_t size = (*a)->log().size();
  // --limit absent: every entry from --from on (no overflow past the log's end).
  uint64_t end = limit == 0 || limit > size - std::min(size, from) ? size : from + limit;
  if (from >= end) return kExitOk;
  Status s = (*a)->log().ForEachEntry(from, end, [&](uint64_t i, std::string_view e) -> Status {
    auto j = catalog::ParseEntry(e);
    if (!j.ok()) return j.status().WithContext("entry " + std::to_string(i));
    std::string type = (*j)["type"];
    // The id the entry gives a new record (item, place, ..., case event), else the item it is
    // about.
    using catalog::EntityKind;
    const std::optional<EntityKind> creates =
        type == catalog::kItemIngested    ? EntityKind::kItem
        : type == catalog::kPlaceAdded    ? EntityKind::kPlace
        : type == catalog::kActorAdded    ? EntityKind::kActor
        : type == catalog::kIncidentAdded ? EntityKind::kIncident
        : type == catalog::kCaseAdded     ? EntityKind::kCase
        : type == catalog::kRelationAdded ? EntityKind::kRelation
        : type == catalog::kCaseEvent     ? std::optional(EntityKind::kCaseEvent)
                                          : std::nullopt;
    std::string id;
    if (creates.has_value()) {
      id = catalog::EntityId(*creates, i);
    } else if (j->contains("item") && (*j)["item"].is_string()) {
      id = (*j)["item"];
    }
    if (g.json) {
      Json out{{"leaf_index", i},
               {"type", type},
               {"time", (*j)["time"]},
               {"operator", (*j)["operator"]},
               {"entry", *j},
               {"entry_b64", core::Base64Encode(e)},
               {"leaf_hash", tlog::LeafHash(e).Hex()}};
      if (!id.empty()) out["id"] = id;
      if (j->contains("sha256")) out["sha256"] = (*j)["sha256"];
      PrintJsonLine(out);
      return Status::Ok();
    }
    std::string what;
    if (type == catalog::kItemIngested || type == catalog::kSourceAdded) {
      what = fmt::format("{} {} {}", id, std::string((*j)["sha256"]).substr(0, 12),
                         Printable(j->value("name", "")));
    } else if (type == catalog::kNoteAdded) {
      what = id;
    } else if (type == catalog::kArchiveCreated) {
      what = j->value("origin", "");
    } else if (type == catalog::kCaptureRecorded) {
      what = j->contains("error")
                 ? "failed " + Printable(j->value("url", ""))
                 : fmt::format("{} {} {}", j->value("warc", ""), (*j)["status"].get<uint64_t>(),
                               Printable(j->value("url", "")));
    } else if (type == catalog::kPlaceAdded || type == catalog::kActorAdded ||
               type == catalog::kIncidentAdded || type == catalog::kCaseAdded) {
      // The new entity's id and its label: English where there is one.
      const Json label = j->value(j->contains("names") ? "names" : "title", Json::object());
      std::string text = label.contains("en") ? label["en"].get<std::string>()
                         : label.empty()      ? ""
                                              : label.begin()->get<std::string>();
      what = fmt::format("{} {}", id, Printable(text));
    } else if (type == catalog::kRelationAdded) {
      what = fmt::format("{}: {} {} {}", id, j->value("subject", ""), j->value("predicate", ""),
                         j->value("object", ""));
    } else if (type == catalog::kRelationWithdrawn || type == catalog::kCaseEventWithdrawn) {
      what = fmt::format("{}: {}",
                         j->value(type == catalog::kRelationWithdrawn ? "relation" : "event", ""),
                         Printable(j->value("reason", "")));
    } else if (type == catalog::kIncidentLinked || type == catalog::kCaseLinked ||
               type == catalog::kIncidentUnlinked || type == catalog::kCaseUnlinked) {
      bool to_case = type == catalog::kCaseLinked || type == catalog::kCaseUnlinked;
      what = j->value(to_case ? "case" : "incident", "");
      for (const Json& item : j->value("items", Json::array())) {
        what += " " + item.get<std::string>();
      }
      if (j->contains("reason")) what += ": " + Printable(j->value("reason", ""));
    } else if (type == catalog::kItemTagged) {
      what = Printable(j->value("item", ""));
      for (const char* k : {"add", "remove"}) {
        for (const Json& t : j->value(k, Json::array())) {
          if (t.is_string()) what += (k[0] == 'a' ? " +" : " -") + Printable(t.get<std::string>());
        }
      }
    } else if (type == catalog::kItemReviewed) {
      what = Printable(j->value("item", "") + " " + j->value("status", ""));
    } else if (type == catalog::kCaseEvent) {
      what = fmt::format("{}: {}", id,
                         Printable(j->value("case", "") + " " + j->value("event", "") + " " +
                                   j->value("date", "")));
    } else if (j->contains("item") && (*j)["item"].is_string()) {
      // item.described, item.analyzed, ...: at least which item, and what it touched.
      what = Printable(j->value("item", ""));
      std::string fields;
      for (const char* k : {"title", "description", "event_date", "place", "lat"}) {
        if (j->contains(k)) fields += (fields.empty() ? " " : "/") + std::string(k);
      }
      what += fields;
    }
    fmt::print("{:>7}  {}  {:<20} {:<22} {}\n", i, std::string((*j)["time"]), type,
               Printable(j->value("operator", "")), what);
    return Status::Ok();
  });
  if (!s.ok()) return Fail(s);
  return kExitOk;
}

int CmdCheckpoint(const Globals& g, int64_t size) {
  auto a = OpenArchive(g, archive::Mode::kRead);
  if (!a.ok()) return Fail(a.status());
  uint64_t want = size < 0 ? (*a)->log().size() : static_cast<uint64_t>(size);
  auto note = (*a)->CheckpointAt(want);
  if (!note.ok()) return Fail(note.status());
  if (g.json) {
    auto opened = tlog::OpenNote(*note, {(*a)->verifier()});
    if (!opened.ok()) return Fail(opened.status());
    auto cp = tlog::Checkpoint::Parse(opened->text);
    if (!cp.ok()) return Fail(cp.status());
    PrintJsonLine({{"origin", cp->origin},
                   {"size", cp->size},
                   {"root_b64", core::Base64Encode(cp->root.View())},
                   {"root_hex", cp->root.Hex()},
                   {"checkpoint", *note}});
  } else {
    std::fwrite(note->data(), 1, note->size(), stdout);
  }
  return kExitOk;
}

int CmdKey(const Globals& g) {
  auto a = OpenArchive(g, archive::Mode::kRead);
  if (!a.ok()) return Fail(a.status());
  if (g.json) {
    PrintJsonLine({{"vkey", (*a)->vkey()}});
  } else {
    fmt::print("{}\n", (*a)->vkey());
  }
  return kExitOk;
}

// ---------------------------------------------------------------- prove / consistency
int CmdProve(const Globals& g, const std::string& id, int64_t entry) {
  auto a = OpenArchive(g, archive::Mode::kRead);
  if (!a.ok()) return Fail(a.status());
  auto p = entry >= 0 ? (*a)->ProveEntry(static_cast<uint64_t>(entry)) : (*a)->Prove(id);
  if (!p.ok()) return Fail(p.status());
  if (g.json) {
    PrintJsonLine({{"leaf_index", p->leaf_index},
                   {"tree_size", p->tree_size},
                   {"entry_b64", core::Base64Encode(p->entry)},
                   {"leaf_hash", tlog::LeafHash(p->entry).Hex()},
                   {"proof_b64", ProofB64(p->hashes)},
                   {"checkpoint", p->checkpoint_note}});
    return kExitOk;
  }
  fmt::print("entry {} of {} (RFC 9162 inclusion proof, verified against the signed checkpoint):\n",
             p->leaf_index, p->tree_size);
  fmt::print("  entry      {}\n", p->entry);
  fmt::print("  leaf hash  {}\n", tlog::LeafHash(p->entry).Hex());
  for (size_t i = 0; i < p->hashes.size(); ++i)
    fmt::print("  proof[{}]   {}\n", i, p->hashes[i].Hex());
  fmt::print("checkpoint:\n{}", p->checkpoint_note);
  return kExitOk;
}

int CmdConsistency(const Globals& g, uint64_t old_size, int64_t new_size_arg) {
  auto a = OpenArchive(g, archive::Mode::kRead);
  if (!a.ok()) return Fail(a.status());
  uint64_t new_size = new_size_arg < 0 ? (*a)->log().size() : static_cast<uint64_t>(new_size_arg);
  if (old_size == 0 || old_size > new_size || new_size > (*a)->log().size()) {
    return Fail(core::InvalidArgument(
        fmt::format("need 0 < OLD_SIZE <= NEW_SIZE <= {} (the log's size); got {} and {}",
                    (*a)->log().size(), old_size, new_size)));
  }
  auto proof = (*a)->log().ConsistencyProof(old_size, new_size);
  if (!proof.ok()) return Fail(proof.status());
  auto r1 = (*a)->log().RootAt(old_size);
  auto r2 = (*a)->log().RootAt(new_size);
  if (!r1.ok()) return Fail(r1.status());
  if (!r2.ok()) return Fail(r2.status());
  Status check = tlog::VerifyConsistency(old_size, new_size, *proof, *r1, *r2);
  if (!check.ok()) return Fail(check);
  // The roots above come from today's tiles; hold them to what was signed at
  // those sizes, so the proof shows the archive kept its word, not only that
  // it agrees with itself.
  std::string old_note, new_note;
  for (auto [size, root, note] :
       {std::tuple{old_size, *r1, &old_note}, std::tuple{new_size, *r2, &new_note}}) {
    auto text = (*a)->CheckpointAt(size);
    // Not every size had a checkpoint of its own; one that is there but is not
    // the signed checkpoint of that size and tree is an integrity failure.
    if (!text.ok() && text.status().code() == core::Code::kNotFound) continue;
    if (!text.ok()) return Fail(text.status());
    auto opened = tlog::OpenNote(*text, {(*a)->verifier()});
    auto cp = opened.ok() ? tlog::Checkpoint::Parse(opened->text) : opened.status();
    if (!cp.ok() || cp->root != root) {
      return Fail(
          core::Integrity("the log's tree of " + std::to_string(size) +
                          " entries differs from the checkpoint signed at that size (checkpoints/" +
                          std::to_string(size) + "); run `isnad verify`"));
    }
    *note = *text;
  }
  if (g.json) {
    PrintJsonLine({{"old_size", old_size},
                   {"new_size", new_size},
                   {"old_root_b64", core::Base64Encode(r1->View())},
                   {"new_root_b64", core::Base64Encode(r2->View())},
                   {"proof_b64", ProofB64(*proof)},
                   {"old_checkpoint", old_note},
                   {"new_checkpoint", new_note}});
    return kExitOk;
  }
  fmt::print("tree {} (root {}) is a prefix of tree {} (root {}); RFC 9162 consistency proof:\n",
             old_size, r1->Hex(), new_size, r2->Hex());
  for (size_t i = 0; i < proof->size(); ++i) fmt::print("  proof[{}]  {}\n", i, (*proof)[i].Hex());
  return kExitOk;
}

// ---------------------------------------------------------------- verify / reindex / note
int CmdVerify(const Globals& g, bool key_given, const std::string& vkey_arg, int jobs) {
  // `--key "$(cat archive.vkey)"` with the file missing gives an empty key: checking
  // without one would print OK as if the archive's key had been held to the trusted one.
  if (key_given && vkey_arg.empty()) return Fail(EmptyKeyError());
  auto vkey = KeyArgument(vkey_arg);
  if (!vkey.ok()) return Fail(vkey.status().WithContext("--key"));
  if (key_given) {
    if (auto v = tlog::NoteVerifier::FromVkey(*vkey); !v.ok()) {
      return Fail(core::InvalidArgument(
          "--key is not a public key nor a file holding one (" + v.status().message() +
          "); nothing was checked. Give the line that `isnad key` printed, e.g. "
          "example.org/ghouta-2013+8f302a4a+AR5H..., or the file you saved it in: --key "
          "archive.vkey"));
    }
  }
  auto a = OpenArchive(g, archive::Mode::kAudit);
  if (!a.ok()) {
    // A checkpoint or key that stops the check at the door is still its
    // finding: a script reading --json gets it as one, with the summary line.
    if (g.json && a.status().code() == core::Code::kIntegrity) {
      PrintJsonLine({{"problem", a.status().message()}, {"file", ""}, {"item", ""}});
      PrintJsonLine({{"ok", false}, {"problems", 1}});
    }
    return Fail(a.status());
  }
  ProgressBar bar("verifying");
  auto report = (*a)->Verify(
      *vkey, jobs, [&](const archive::Progress& p) { bar.Step(p.step, p.unit, p.done, p.total); });
  bar.Clear();
  if (!report.ok()) return Fail(report.status());
  for (const auto& p : report->problems) {
    if (g.json) {
      PrintJsonLine(
          {{"problem", p.what}, {"file", p.file}, {"item", p.item}, {"unreadable", p.unreadable}});
    } else {
      // File names in the archive may hold any byte (a stray "x\nOK: ..." in objects/).
      fmt::print("{} {}{}: {}\n", p.unreadable ? "NOT CHECKED" : "PROBLEM", Printable(p.file),
                 p.item.empty() ? "" : " (item " + p.item + ")", Printable(p.what));
    }
  }
  for (const auto& n : report->notes) {
    if (g.json) {
      PrintJsonLine({{"note", n}});  // not a failure, but a script may need to know
    } else {
      fmt::print("note: {}\n", Printable(n));
    }
  }
  bool ok = report->problems.empty();
  // Files that could not be read were not checked: the archive is not shown
  // damaged (exit 10) unless something that was read is.
  const size_t unreadable = report->Unreadable();
  const bool damaged = report->problems.size() > unreadable;
  if (g.json) {
    PrintJsonLine({{"ok", ok},
                   {"problems", report->problems.size()},
                   {"unreadable", unreadable},
                   {"entries", report->entries_checked},
                   {"blobs", report->blobs_checked},
                   {"bytes", report->bytes_checked},
                   {"checkpoints", report->checkpoints_checked},
                   {"tree_size", (*a)->log().size()},
                   {"root_hex", (*a)->log().root().Hex()}});
  } else {
    fmt::print(
        "{}: {} entries, {} blobs ({}), {} signed checkpoints checked; tree size {}, root {}\n",
        ok        ? std::string("OK")
        : damaged ? fmt::format("FAILED with {} problem(s)", report->problems.size())
                  : fmt::format("INCOMPLETE: {} file(s) could not be read, nothing read was found "
                                "damaged",
                                unreadable),
        report->entries_checked, report->blobs_checked, HumanBytes(report->bytes_checked),
        report->checkpoints_checked, (*a)->log().size(), (*a)->log().root().Hex());
    // Hash tiles are derived from the entries: a damaged one has a remedy here.
    // (Not for files it could not read, nor for entries that changed: verify named those.)
    const bool tiles = std::any_of(report->problems.begin(), report->problems.end(), [](auto& p) {
      if (p.unreadable) return false;
      return p.file == "log/" ||
             (p.file.starts_with("log/tile/") && !p.file.starts_with("log/tile/entries/")) ||
             p.what.starts_with("superseded partial entry bundle");
    });
    if (tiles) {
      fmt::print(
          "Next: `isnad repair-log` rebuilds the log's hash tiles from its entries when these "
          "prove the signed checkpoint; otherwise it names the damaged entry bundle and writes "
          "nothing.\n");
    }
  }
  return ok ? kExitOk : damaged ? kExitIntegrity : kExitIo;
}

int CmdReindex(const Globals& g) {
  auto a = OpenArchive(g, archive::Mode::kRebuild);
  if (!a.ok()) return Fail(a.status());
  ProgressBar bar("reindexing");
  Status s =
      (*a)->Reindex([&](const archive::Progress& p) { bar.Step(p.step, p.unit, p.done, p.total); });
  bar.Clear();
  if (!s.ok()) return Fail(s);
  auto n = (*a)->catalog().ItemCount();
  if (!n.ok()) return Fail(n.status());
  if (g.json) {
    PrintJsonLine({{"entries", (*a)->log().size()}, {"items", *n}});
  } else {
    fmt::print("Rebuilt the catalogue from {} log entries: {} items.\n", (*a)->log().size(), *n);
  }
  return kExitOk;
}

int CmdRepairLog(const Globals& g, bool dry_run) {
  auto a = OpenArchive(g, archive::Mode::kRepair);
  if (!a.ok()) return Fail(a.status());
  ProgressBar bar("checking the log's entries");
  std::vector<tlog::RepairedFile> list;
  Status s = (*a)->RepairLog(dry_run, &list, [&](const archive::Progress& p) {
    bar.Step(p.step, p.unit, p.done, p.total);
  });
  bar.Clear();
  // Listed also when it stopped part-way: what was rewritten is the operator's record.
  for (const auto& r : list) {
    if (g.json) {
      PrintJsonLine({{"file", r.file}, {"was", r.why}, {"rewritten", !dry_run}});
    } else {
      fmt::print("{} {}: it was {}\n", dry_run ? "would rewrite" : "rewrote", Printable(r.file),
                 r.why);
    }
  }
  if (!s.ok()) return Fail(s);
  const std::vector<tlog::RepairedFile>* repaired = &list;
  const tlog::Checkpoint& cp = (*a)->log().checkpoint();
  if (g.json) {
    PrintJsonLine({{"entries", cp.size},
                   {"root", cp.root.Hex()},
                   {"files", repaired->size()},
                   {"dry_run", dry_run}});
  } else if (repaired->empty()) {
    fmt::print(
        "Nothing to repair: the log's {} entries prove its signed checkpoint (root {}), and every "
        "hash tile is what they give.\n",
        cp.size, cp.root.Hex());
  } else if (dry_run) {
    fmt::print(
        "Would rebuild {} file(s) of the log from its {} entries, which prove its signed "
        "checkpoint (root {}). Nothing was written: run it without --dry-run.\n",
        repaired->size(), cp.size, cp.root.Hex());
  } else {
    fmt::print(
        "Rebuilt {} file(s) of the log from its {} entries, which prove its signed checkpoint "
        "(root {}): they are now byte for byte what the signed tree had. No entry's text, "
        "blob or checkpoint was changed. Next: `isnad verify`, which checks the whole "
        "archive.\n",
        repaired->size(), cp.size, cp.root.Hex());
  }
  return kExitOk;
}

int CmdReclaim(const Globals& g, bool remove) {
  // A writer without the catalogue or the secret key (nothing is signed): the
  // lock keeps any add or capture from storing a blob meanwhile.
  auto a = OpenArchive(g, archive::Mode::kRebuild);
  if (!a.ok()) return Fail(a.status());
  ProgressBar bar(remove ? "reclaiming" : "looking for unreferenced blobs");
  auto found = (*a)->Reclaim(
      remove, [&](const archive::Progress& p) { bar.Step(p.step, p.unit, p.done, p.total); });
  bar.Clear();
  if (!found.ok()) return Fail(found.status());
  uint64_t bytes = 0;
  for (const auto& u : *found) {
    bytes += u.size_bytes;
    const std::string written = core::FormatUtc(core::Clock::time_point(
        std::chrono::duration_cast<core::Clock::duration>(std::chrono::nanoseconds(u.mtime_ns))));
    const std::string path = store::BlobStore::RelativePath(u.sha256);
    if (g.json) {
      PrintJsonLine({{"sha256", u.sha256.Hex()},
                     {"path", path},
                     {"size", u.size_bytes},
                     {"written", written},
                     {"removed", u.removed}});
    } else {
      fmt::print("{}  {}  written {}{}\n", path, HumanBytes(u.size_bytes), written,
                 u.removed ? "  removed" : "");
    }
  }
  if (g.json) {
    PrintJsonLine({{"unreferenced", found->size()}, {"bytes", bytes}, {"removed", remove}});
  } else if (found->empty()) {
    fmt::print(
        "Every blob in the archive is named by an entry of the custody log: nothing to "
        "reclaim.\n");
  } else if (remove) {
    fmt::print("Removed {} blob(s), {}, that no entry of the custody log named.\n", found->size(),
               HumanBytes(bytes));
  } else {
    fmt::print(
        "{} blob(s), {}, are named by no entry of the custody log: bytes stored by an add, capture "
        "or analysis that was stopped before it recorded them. They are not evidence of this "
        "archive (no entry says what they are or when they came). Nothing was removed; `isnad "
        "reclaim --remove` deletes them. (Adding the same files again records them instead.)\n",
        found->size(), HumanBytes(bytes));
  }
  return kExitOk;
}

int CmdNote(const Globals& g, const std::string& id, const std::string& text) {
  if (catalog::IsBlank(text)) {
    return Fail(core::InvalidArgument("the note is blank: give its text, e.g. isnad note " + id +
                                      " \"uploader confirmed by phone\""));
  }
  auto a = OpenArchive(g, archive::Mode::kWrite);
  if (!a.ok()) return Fail(a.status());
  auto leaf = (*a)->AddNote(id, text);
  if (!leaf.ok()) return Fail(leaf.status());
  if (g.json) {
    PrintJsonLine({{"leaf_index", *leaf}});
  } else {
    fmt::print("Note on {} recorded as log entry {}.\n", Printable(id), *leaf);
  }
  return kExitOk;
}

// ---------------------------------------------------------------- mistyped commands and options
// The first word of the command line that is not an option, when it names no
// command: CLI11 would only say "A subcommand is required".
// Its place in argv.
std::optional<int> UnknownCommand(const CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-A" || arg == "--archive" || arg == "--operator") {
      ++i;  // its value
      continue;
    }
    if (arg.starts_with("-")) continue;
    for (const CLI::App* sub : app.get_subcommands({})) {
      if (sub->check_name(arg)) return std::nullopt;
    }
    return i;
  }
  return std::nullopt;
}

// The query of `search` may begin with an excluded word ("-video sarin"), but
// CLI11 reads an argument that begins with '-' as options: "-hello world" even
// as -h, printing the help and exiting 0. So after the search command, an
// argument that begins with one '-' and is neither an option of it (nor of
// isnad) nor an option's value is moved behind a "--", where CLI11 takes it as
// it is. Anything already behind a "--" is left alone.
std::vector<std::string> QueryBehindDashes(const CLI::App& app, std::vector<std::string> args) {
  const CLI::App* search = nullptr;
  for (const CLI::App* sub : app.get_subcommands({})) {
    if (sub->get_name() == "search") search = sub;
  }
  auto option = [&](const std::string& name) -> const CLI::Option* {
    if (const CLI::Option* o = search->get_option_no_throw(name)) return o;
    return app.get_option_no_throw(name);
  };
  auto takes_value = [](const CLI::Option* o) { return o != nullptr && o->get_expected_min() > 0; };
  size_t at = 1;  // args[0] is the program
  for (; at < args.size(); ++at) {
    const std::string& a = args[at];
    if (a == "--") return args;
    if (a.starts_with("-")) {
      if (a.find('=') == std::string::npos && takes_value(app.get_option_no_throw(a))) ++at;
      continue;
    }
    if (a != "search" || search == nullptr) return args;
    break;
  }
  std::vector<std::string> kept(
      args.begin(), args.begin() + static_cast<std::ptrdiff_t>(std::min(at + 1, args.size())));
  std::vector<std::string> query;
  for (size_t i = at + 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      kept.insert(kept.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    const bool single_dash = a.size() > 1 && a[0] == '-' && a[1] != '-';
    if (a.starts_with("--")) {
      kept.push_back(a);
      if (a.find('=') == std::string::npos && takes_value(option(a)) && i + 1 < args.size()) {
        kept.push_back(args[++i]);  // its value, whatever it begins with
      }
    } else if (single_dash && option(a) != nullptr) {
      kept.push_back(a);  // -h, or a short option given alone
      if (takes_value(option(a)) && i + 1 < args.size()) kept.push_back(args[++i]);
    } else if (single_dash && takes_value(search->get_option_no_throw(a.substr(0, 2)))) {
      // A short option of search's own with its value attached. Not isnad's
      // -A: "-Aleppo hospital" is a query ("-A/path" goes before `search`).
      kept.push_back(a);
    } else if (single_dash) {
      query.push_back(a);
    } else {
      kept.push_back(a);
    }
  }
  if (!query.empty() && std::find(kept.begin(), kept.end(), "--") == kept.end()) {
    kept.push_back("--");
    kept.insert(kept.end(), query.begin(), query.end());
  } else {
    kept.insert(kept.end(), query.begin(), query.end());  // beside a "--" given: CLI11 says
  }
  return kept;
}

// After "The following argument was not expected: --sorce": says which option was meant.
// True when it named one for every unknown option (CLI11's own message adds nothing then).
bool SuggestOptions(const CLI::App& app, int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  std::vector<std::string> names;
  std::vector<const CLI::App*> todo{&app};
  while (!todo.empty()) {
    const CLI::App* cur = todo.back();
    todo.pop_back();
    for (const CLI::Option* opt : cur->get_options()) {
      for (const std::string& l : opt->get_lnames()) names.push_back("--" + l);
    }
    for (const CLI::App* sub : cur->get_subcommands({})) {
      if (std::find(words.begin(), words.end(), sub->get_name()) != words.end())
        todo.push_back(sub);
    }
  }
  int named = 0, unnamed = 0;
  for (const std::string& w : words) {
    if (!w.starts_with("--")) continue;
    std::string name = w.substr(0, w.find('='));
    if (std::find(names.begin(), names.end(), name) != names.end()) continue;
    std::string near = core::Closest(name, names);
    if (near.empty()) {
      ++unnamed;
      continue;
    }
    ++named;
    std::fprintf(stderr, "isnad: %s is not an option here; did you mean %s?\n",
                 Printable(name).c_str(), near.c_str());
  }
  return named > 0 && unnamed == 0;
}

// "isnad incident list": a command made of commands (place, incident, actor, relation,
// case, ...) given none of its own. CLI11 says only "A subcommand is required"; this names
// them, and the one meant. True when it said so.
bool SayGroupCommands(const CLI::App& app, int argc, char** argv) {
  const CLI::App* group = nullptr;
  for (const CLI::App* sub : app.get_subcommands({})) {
    if (sub->parsed() && sub->get_require_subcommand_min() > 0) group = sub;
  }
  if (group == nullptr) return false;
  // One of its commands was given and lacks something ("actor show" with no actor):
  // CLI11's "… is required" says what.
  for (const CLI::App* sub : group->get_subcommands({})) {
    if (sub->parsed()) return false;
  }
  std::vector<std::string> names;
  for (const CLI::App* sub : group->get_subcommands({})) names.push_back(sub->get_name());
  if (names.empty()) return false;
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
  // The word after the group's name, when there is one that is no option.
  std::string typed;
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == group->get_name() && argv[i + 1][0] != '-') {
      typed = argv[i + 1];
      break;
    }
  }
  const std::string& g = group->get_name();
  if (typed.empty()) {
    std::fprintf(stderr, "isnad %s needs one of its commands: %s (e.g. `isnad %s %s`)\n", g.c_str(),
                 list.c_str(), g.c_str(), names.front().c_str());
  } else {
    std::string near = typed == "list" || typed == "dir" ? "ls" : core::Closest(typed, names);
    std::fprintf(stderr, "isnad %s: \"%s\" is not one of its commands (%s)%s\n", g.c_str(),
                 Printable(typed).c_str(), list.c_str(),
                 near.empty() || std::find(names.begin(), names.end(), near) == names.end()
                     ? ""
                     : ("; did you mean `isnad " + g + " " + near + "`?").c_str());
  }
  return true;
}

// After CLI11's ExtrasError for words that are no option ("isnad note i2 the uploader was
// called"): CLI11 lists them last word first, and a user who left out the quotes around a
// text should be told that. Says so and returns true when every extra word is a plain
// word; false (CLI11's message, then SuggestOptions) when one looks like an option.
bool SayExtraWords(const CLI::App& app, int argc, char** argv) {
  const CLI::App* cur = &app;
  for (bool deeper = true; deeper;) {
    deeper = false;
    for (const CLI::App* sub : cur->get_subcommands({})) {
      if (sub->parsed()) {
        cur = sub;
        deeper = true;
        break;
      }
    }
  }
  std::vector<std::string> extra = app.remaining(true);  // they fall through to the top
  if (extra.empty()) return false;
  for (const std::string& w : extra) {
    if (w.starts_with("-")) return false;
  }
  // In the order typed: each extra word's first unclaimed place on the command line.
  std::vector<bool> claimed(static_cast<size_t>(argc), false);
  std::vector<std::pair<int, std::string>> placed;
  for (const std::string& w : extra) {
    for (int i = argc - 1; i >= 1; --i) {
      if (!claimed[static_cast<size_t>(i)] && w == argv[i]) {
        claimed[static_cast<size_t>(i)] = true;
        placed.emplace_back(i, w);
        break;
      }
    }
  }
  std::sort(placed.begin(), placed.end());
  std::string words;
  for (const auto& [i, w] : placed) words += (words.empty() ? "" : " ") + w;
  std::string command;  // "place add"
  for (const CLI::App* c = cur; c != nullptr && c != &app; c = c->get_parent()) {
    command = c->get_name() + (command.empty() ? "" : " ") + command;
  }
  std::fprintf(stderr,
               "isnad %s: more words than it takes: \"%s\" %s not expected; nothing was "
               "done. Text with spaces (a note, a title, a name) must be in quotes, e.g. "
               "\"the uploader was called Abu Omar\". `isnad %s --help` shows what it takes.\n",
               command.c_str(), Printable(words).c_str(), placed.size() == 1 ? "was" : "were",
               command.c_str());
  return true;
}

int Run(int argc, char** argv) {
  CLI::App app{
      "isnad: preserve digital evidence byte for byte, and prove it.\n"
      "Every change is an entry in a signed Merkle log (RFC 9162, C2SP tlog-tiles);\n"
      "anyone with the public key can check the archive without trusting it.",
      "isnad"};
  app.set_version_flag("--version", "isnad 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();
  app.footer(
      "Archive folder: --archive DIR (before or after the command) or $ISNAD_ARCHIVE; default: the "
      "current folder.\n"
      "Exit codes: 0 ok, 1 failed or partly done, 2 bad usage, 3 not found, 4 archive locked,\n"
      "            5 I/O error or disk full, 10 integrity failure (a hash, proof or signature does "
      "not hold).\n"
      "Example: isnad --archive ./evidence init --name example.org/evidence && isnad -A ./evidence "
      "add videos/");
  Globals g;
  app.add_option("-A,--archive", g.archive, "archive folder")->envname("ISNAD_ARCHIVE");
  app.add_option("--operator", g.operator_name,
                 "who is acting, recorded in entries (default $USER@host)")
      ->envname("ISNAD_OPERATOR");
  app.add_flag("--json", g.json, "JSON Lines output: one object per line");

  auto example = Example;

  std::string init_name;
  auto* init = app.add_subcommand("init", "create a new archive with a fresh Ed25519 signing key");
  init->add_option(
      "--name", init_name,
      "log origin and key name, e.g. example.org/syria-2013 (default host/isnad/folder)");
  example(init, "isnad --archive ./evidence init --name example.org/ghouta-2013");

  archive::AddRequest add_req;
  auto* add = app.add_subcommand(
      "add", "preserve files and folders (recursively); same bytes are stored once");
  add->add_option("paths", add_req.paths, "files and folders")->required();
  add->add_option("--source", add_req.url, "where the material came from (URL or description)");
  add->add_option("--note", add_req.note, "a note recorded with each file");
  add->add_option("-j,--jobs", add_req.jobs, "files read at once (default 2)")
      ->check(CLI::Range(1, 64));
  add->add_flag("--follow-symlinks", add_req.follow_symlinks, "add what symbolic links point to");
  add->add_flag("!--no-analyze", add_req.analyze,
                "do not analyse the new media now (`isnad analyze` does it later)");
  add->add_flag("--ocr", add_req.analysis.ocr,
                "also read the text of images and scanned PDFs (Tesseract, Arabic and English)");
  add->add_option("--batch-files", add_req.batch_files,
                  "files per commit (one signed checkpoint per batch; default 10000)")
      ->check(CLI::Range(1, 1000000));
  example(add,
          "isnad add ~/uploads/witness-12/ --source https://example.org/post/123 --note \"from "
          "witness 12\"");

  auto* ls = app.add_subcommand("ls", "list items");
  example(ls, "isnad ls --json | jq .sha256");

  std::string id;
  auto* show = app.add_subcommand("show", "show an item: hashes, provenance, notes");
  show->add_option("id", id, "item id (i42) or a sha256 prefix of 12+ hex digits")->required();
  example(show, "isnad show i1");

  auto* cat = app.add_subcommand(
      "cat", "write an item's original bytes to standard output, checking their hash");
  cat->add_option("id", id, "item id or sha256 prefix")->required();
  example(cat, "isnad cat i1 > copy.mp4");

  uint64_t log_from = 0, log_limit = 0;  // 0: not given
  auto* logc = app.add_subcommand("log", "list custody log entries");
  // A whole number of at least `min`, said in words (CLI11's ranges print 300 digits,
  // and a negative number would wrap around into a huge count).
  auto at_least = [](uint64_t min, std::string hint) {
    return CLI::Validator(
        [min, hint](std::string& v) -> std::string {
          const bool digits = !v.empty() && v.find_first_not_of("0123456789") == std::string::npos;
          if (digits && (min == 0 || v.find_first_not_of('0') != std::string::npos)) return "";
          return "must be a whole number, " + std::to_string(min) + " or more" + hint;
        },
        "N >= " + std::to_string(min));
  };
  logc->add_option("--from", log_from, "first entry index")->check(at_least(0, ""));
  logc->add_option("--limit", log_limit, "at most this many entries")
      ->check(at_least(1, " (leave --limit out for every entry)"));
  example(logc, "isnad log --json --from 0 --limit 10");

  int64_t cp_size = -1;
  auto* cp = app.add_subcommand("checkpoint", "print the signed checkpoint (C2SP signed note)");
  cp->add_option("--size", cp_size, "an earlier checkpoint from the history, by tree size")
      ->check(CLI::NonNegativeNumber);
  example(cp, "isnad checkpoint > checkpoint.txt");

  auto* key = app.add_subcommand("key", "print the archive's public key (C2SP vkey)");
  example(key, "isnad key > archive.vkey");

  int64_t entry = -1;
  auto* prove = app.add_subcommand(
      "prove", "inclusion proof of an item's ingest entry in the signed checkpoint");
  prove->add_option("id", id, "item id or sha256 prefix");
  prove->add_option("--entry", entry, "prove log entry N instead of an item")
      ->check(CLI::NonNegativeNumber);
  example(prove, "isnad prove i1 --json");

  uint64_t old_size = 0;
  int64_t new_size = -1;
  auto* cons =
      app.add_subcommand("consistency", "consistency proof: tree OLD_SIZE is a prefix of NEW_SIZE");
  cons->add_option("old_size", old_size, "older tree size")
      ->required()
      ->check(CLI::NonNegativeNumber);
  cons->add_option("new_size", new_size, "newer tree size (default: current)")
      ->check(CLI::NonNegativeNumber);
  example(cons, "isnad consistency 1 --json");

  std::string verify_key;
  int verify_jobs = 2;
  auto* verify =
      app.add_subcommand("verify", "check everything: blobs, tiles, root, signatures, catalogue");
  verify->add_option(
      "--key", verify_key,
      "the public key (vkey) you trust, or a file holding it, kept outside the archive");
  verify->add_option("-j,--jobs", verify_jobs, "blobs hashed at once")->check(CLI::Range(1, 64));
  example(verify, "isnad verify --key \"$(cat archive.vkey)\"");

  auto* reindex = app.add_subcommand("reindex", "delete the catalogue and rebuild it from the log");
  example(reindex, "isnad reindex");

  bool repair_dry_run = false;
  auto* repair = app.add_subcommand(
      "repair-log",
      "rebuild the log's hash tiles from its entries, when these prove the signed checkpoint");
  repair->add_flag("--dry-run", repair_dry_run, "list what would be rewritten; write nothing");
  example(repair, "isnad repair-log --dry-run");

  bool reclaim_remove = false;
  auto* reclaim = app.add_subcommand(
      "reclaim", "list blobs that no log entry names (left by a stopped add or capture); --remove");
  reclaim->add_flag("--remove", reclaim_remove, "delete them (default: only list them)");
  example(reclaim, "isnad reclaim --remove");

  std::string note_text;
  auto* note = app.add_subcommand("note", "record a note about an item");
  note->add_option("id", id, "item id or sha256 prefix")->required();
  note->add_option("text", note_text, "the note")->required();
  example(note, "isnad note i3 \"uploader confirmed by phone, 2013-08-22\"");

  Commands commands;
  RegisterGraphCommands(app, g, commands);
  RegisterImportCommands(app, g, commands);
  RegisterTimestampCommands(app, g, commands);
  RegisterExportCommands(app, g, commands);
  RegisterPdqCommands(app, g, commands);
  RegisterVpdqCommands(app, g, commands);
  RegisterCaptureCommands(app, g, commands);
  RegisterWebArchiveCommands(app, g, commands);
  RegisterMediaCommands(app, g, commands);

  for (CLI::App* sub : app.get_subcommands({})) sub->fallthrough();

  if (std::optional<int> at = UnknownCommand(app, argc, argv)) {
    const std::string typed = argv[*at];
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
    std::string near = core::Closest(typed, names);
    // "isnad --archiv x ls": the mistyped option, not its value, is what went wrong.
    std::vector<std::string> options;
    for (const CLI::Option* opt : app.get_options()) {
      for (const std::string& l : opt->get_lnames()) options.push_back("--" + l);
    }
    for (int i = 1; i < *at; ++i) {
      const std::string w = std::string(argv[i]).substr(0, std::string(argv[i]).find('='));
      if (!w.starts_with("--") || std::find(options.begin(), options.end(), w) != options.end()) {
        continue;
      }
      const std::string near_option = core::Closest(w, options);
      std::fprintf(stderr,
                   "isnad: %s is not an option of isnad%s (so \"%s\" was taken for a "
                   "command); `isnad --help` lists the options and commands\n",
                   Printable(w).c_str(),
                   near_option.empty() ? "" : ("; did you mean " + near_option + "?").c_str(),
                   Printable(typed).c_str());
      return kExitUsage;
    }
    std::string hint = near.empty() ? "" : "; did you mean `isnad " + near + "`?";
    std::fprintf(stderr, "isnad: there is no command \"%s\"%s (`isnad --help` lists them all)\n",
                 Printable(typed).c_str(), hint.c_str());
    return kExitUsage;
  }
  std::vector<std::string> args =
      QueryBehindDashes(app, std::vector<std::string>(argv, argv + argc));
  std::vector<char*> parsed_argv;
  for (std::string& a : args) parsed_argv.push_back(a.data());
  try {
    app.parse(static_cast<int>(parsed_argv.size()), parsed_argv.data());
  } catch (const CLI::ParseError& e) {
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr &&
        SayGroupCommands(app, argc, argv)) {
      return kExitUsage;
    }
    const bool extras = dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr;
    if (extras && (SayExtraWords(app, argc, argv) || SuggestOptions(app, argc, argv))) {
      return kExitUsage;
    }
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }

  if (init->parsed()) return CmdInit(g, init_name);
  if (add->parsed()) return CmdAdd(g, add_req);
  if (ls->parsed()) return CmdLs(g);
  if (show->parsed()) return CmdShow(g, id);
  if (cat->parsed()) return CmdCat(g, id);
  if (logc->parsed()) return CmdLog(g, log_from, log_limit);
  if (cp->parsed()) return CmdCheckpoint(g, cp_size);
  if (key->parsed()) return CmdKey(g);
  if (prove->parsed()) {
    if (id.empty() && entry < 0)
      return Fail(core::InvalidArgument("prove needs an item id or --entry N"));
    if (!id.empty() && entry >= 0) {
      return Fail(core::InvalidArgument(
          "prove takes an item id or --entry N, not both (the item's ingest entry is what `prove " +
          id + "` proves; `isnad show " + id + "` gives its leaf index)"));
    }
    return CmdProve(g, id, entry);
  }
  if (cons->parsed()) return CmdConsistency(g, old_size, new_size);
  if (verify->parsed()) return CmdVerify(g, verify->count("--key") > 0, verify_key, verify_jobs);
  if (reindex->parsed()) return CmdReindex(g);
  if (reclaim->parsed()) return CmdReclaim(g, reclaim_remove);
  if (repair->parsed()) return CmdRepairLog(g, repair_dry_run);
  if (note->parsed()) return CmdNote(g, id, note_text);
  for (auto& [command, handler] : commands) {
    if (command->parsed()) return handler();
  }
  return kExitUsage;
}

}  // namespace
}  // namespace isnad::cli

int main(int argc, char** argv) {
  isnad::core::KeepFreedMemoryForReuse();
  isnad::catalog::ConfigureSqliteForProcess();
  try {
    int rc = isnad::cli::Run(argc, argv);
    if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
      std::fprintf(stderr,
                   "isnad: not all of the output could be written (a full disk, or the reader "
                   "of a pipe went away); what the command recorded in the archive is "
                   "complete: `isnad log` lists it\n");
      if (rc == isnad::cli::kExitOk) rc = isnad::cli::kExitIo;
    }
    return rc;
  } catch (const std::exception& e) {
    // Third-party code (JSON, CLI11) may throw; nothing may end without a message.
    std::fprintf(stderr, "isnad: internal error: %s\n", e.what());
    return isnad::cli::kExitError;
  }
}
