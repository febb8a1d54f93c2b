// Web archives: `isnad warc ls ID` (the records of a WARC or WACZ item and the
// items made of their payloads), `isnad warc check FILE...` (validate WARC and
// WACZ files without an archive), and the web archive part of `isnad show`.
#include <fmt/format.h>

#include <cstdio>

#include "archive/webarchive.h"
#include "cli/common.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "warc/reader.h"
#include "warc/wacz.h"

namespace isnad::cli {

namespace {

using core::Json;

Json RecordJson(const catalog::WarcRecordRow& r) {
  Json j{{"leaf_index", r.leaf_index}, {"container", r.container}, {"offset", r.offset},
         {"length", r.length},         {"record_id", r.record_id}, {"warc_type", r.warc_type},
         {"target_uri", r.target_uri}, {"warc_date", r.warc_date}, {"content_type", r.content_type},
         {"digest", r.digest},         {"payload", r.payload}};
  if (!r.member.empty()) j["member"] = r.member;
  if (r.http_status) j["http_status"] = r.http_status;
  if (!r.problem.empty()) j["problem"] = r.problem;
  return j;
}

Json IndexJson(const catalog::WarcIndexRow& x) {
  Json j{{"leaf_index", x.leaf_index},
         {"result", x.result},
         {"records", x.records},
         {"digests_passed", x.digests_passed},
         {"digests_failed", x.digests_failed},
         {"problems", x.problems}};
  if (!x.member.empty()) j["member"] = x.member;
  if (!x.signature.empty()) j["signature"] = x.signature;
  if (!x.error.empty()) j["error"] = x.error;
  return j;
}

void PrintRecordLine(const catalog::WarcRecordRow& r) {
  fmt::print("  {:>10} {:>8}  {:<9} {:<20} {:<4} {:<9} {:<8} {}\n", r.offset, r.length, r.warc_type,
             r.warc_date.substr(0, 20), r.http_status ? std::to_string(r.http_status) : "",
             r.digest, r.payload.empty() ? "-" : r.payload, Printable(r.target_uri));
  if (!r.problem.empty()) fmt::print("             problem: {}\n", Printable(r.problem));
}

int CmdWarcLs(const Globals& g, const std::string& id) {
  auto a = OpenArchive(g, archive::Mode::kRead);
  if (!a.ok()) return Fail(a.status());
  auto item = (*a)->Resolve(id);
  if (!item.ok()) return Fail(item.status());
  auto records = (*a)->catalog().WarcRecords(item->id);
  if (!records.ok()) return Fail(records.status());
  auto indexes = (*a)->catalog().WarcIndexes(item->id);
  if (!indexes.ok()) return Fail(indexes.status());
  if (indexes->empty()) {
    return Fail(core::NotFound(item->id + " (" + item->name +
                               ") was not indexed as a web archive: only .warc, .warc.gz and "
                               ".wacz files added with `isnad add` are"));
  }
  if (g.json) {
    for (const auto& r : *records) PrintJsonLine(RecordJson(r));
    return kExitOk;
  }
  std::string member = "\x01";
  fmt::print("  {:>10} {:>8}  {:<9} {:<20} {:<4} {:<9} {:<8} {}\n", "offset", "length", "type",
             "date", "http", "digest", "payload", "target URI");
  for (const auto& r : *records) {
    if (r.member != member && !r.member.empty()) fmt::print("{}:\n", Printable(r.member));
    member = r.member;
    PrintRecordLine(r);
  }
  return kExitOk;
}

// Validates files with the reader, no archive: one line per file (JSON: per file).
int CmdWarcCheck(const Globals& g, const std::vector<std::string>& files, bool verbose) {
  int exit = kExitOk;
  for (const std::string& path : files) {
    Json out{{"file", path}};
    uint64_t records = 0, passed = 0, failed = 0;
    core::CappedList problems;  // bounded: a damaged file can have millions
    std::string error;
    auto read_warc = [&](core::SequentialFile* in, const std::string& member) {
      warc::Reader reader(in);
      while (true) {
        warc::Record r;
        auto more = reader.Next(&r);
        if (!more.ok()) {
          error = (member.empty() ? "" : member + ": ") + more.status().message();
          return;
        }
        if (!*more) return;
        ++records;
        std::string where = (member.empty() ? "" : member + ": ") + "record " +
                            std::to_string(records) + " " + r.record_id + " " + r.target_uri;
        for (auto [name, d] : {std::pair{"WARC-Block-Digest", &r.block_digest},
                               std::pair{"WARC-Payload-Digest", &r.payload_digest}}) {
          if (d->result == warc::DigestResult::kPass) ++passed;
          if (d->result == warc::DigestResult::kFail ||
              d->result == warc::DigestResult::kUnknownAlgorithm) {
            ++failed;
            problems.push_back(where + ": " + name + " " + d->field + " " +
                               warc::DigestProblem(*d));
          }
        }
        for (const auto& p : r.problems) problems.push_back(where + ": " + p);
        if (verbose && !g.json)
          fmt::print("  {} {} {} block:{} payload:{}\n", r.offset, r.type, Printable(r.target_uri),
                     warc::DigestResultName(r.block_digest.result),
                     warc::DigestResultName(r.payload_digest.result));
      }
    };
    // By its first bytes, whatever its name (a name says WARC when it says nothing).
    archive::WebArchiveKind named = archive::WebArchiveKindOf(path);
    auto kind = archive::WebArchiveKindOfFile(
        core::Env::Default(), path,
        named == archive::WebArchiveKind::kNone ? archive::WebArchiveKind::kWarc : named);
    if (kind.ok() && *kind == archive::WebArchiveKind::kWacz) {
      struct V : warc::WaczWarcVisitor {
        std::function<void(core::SequentialFile*, const std::string&)> fn;
        core::Status OnWarc(const std::string& m, core::SequentialFile* s) override {
          fn(s, m);
          return core::Status::Ok();
        }
      } v;
      v.fn = [&](core::SequentialFile* s, const std::string& m) { read_warc(s, m); };
      auto report = warc::ReadWacz(path, &v);
      if (!report.ok()) {
        error = report.status().message();
      } else {
        for (const auto& p : report->problems) problems.push_back(p);
        out["signature"] = report->signature;
        out["wacz_version"] = report->wacz_version;
      }
    } else {
      auto f = core::Env::Default()->NewSequentialFile(path);
      if (!f.ok()) {
        // That file's failure; the others are still checked, and the exit
        // code is the gravest seen (an integrity failure before all else).
        int code = Fail(f.status());
        if (exit != kExitIntegrity) exit = code;
        if (g.json)
          PrintJsonLine({{"file", path}, {"result", "unopened"}, {"error", f.status().message()}});
        continue;
      }
      read_warc(f->get(), "");
    }
    std::string result = !error.empty()                    ? "unreadable"
                         : failed > 0 || !problems.empty() ? "invalid"
                                                           : "valid";
    if (result != "valid") exit = kExitIntegrity;
    if (g.json) {
      out["result"] = result;
      out["records"] = records;
      out["digests_passed"] = passed;
      out["digests_failed"] = failed;
      out["problems"] = problems.Lines();
      if (!error.empty()) out["error"] = error;
      PrintJsonLine(out);
      continue;
    }
    fmt::print("{}: {} ({} records, {} digests passed, {} failed)\n", Printable(path), result,
               records, passed, failed);
    for (const auto& p : problems.Lines()) fmt::print("  problem: {}\n", Printable(p));
    if (!error.empty()) fmt::print("  error: {}\n", Printable(error));
    if (out.contains("signature") && out["signature"] != "absent")
      fmt::print("  signature: {}\n", Printable(out["signature"].get<std::string>()));
  }
  return exit;
}

}  // namespace

void PrintWebArchiveSection(const archive::Archive& a, const std::string& id, Json* json) {
  auto indexes = a.catalog().WarcIndexes(id);
  auto records = a.catalog().WarcRecords(id);
  auto origin = a.catalog().WarcRecords(id, /*as_payload=*/true);
  if (!indexes.ok() || !records.ok() || !origin.ok()) return;
  if (json) {
    if (!indexes->empty()) {
      Json xs = Json::array();
      for (const auto& x : *indexes) xs.push_back(IndexJson(x));
      (*json)["web_archive"] = xs;
      Json rs = Json::array();
      for (const auto& r : *records) rs.push_back(RecordJson(r));
      (*json)["warc_records"] = rs;
    }
    if (!origin->empty()) {
      Json os = Json::array();
      for (const auto& r : *origin) os.push_back(RecordJson(r));
      (*json)["payload_of"] = os;
    }
    return;
  }
  for (const auto& x : *indexes) {
    fmt::print("web archive {}{}: {} records, {} digests passed, {} failed{}\n",
               x.member.empty() ? "" : Printable(x.member) + " ",
               x.result == "valid"     ? "VALID"
               : x.result == "invalid" ? "INVALID"
                                       : "UNREADABLE",
               x.records, x.digests_passed, x.digests_failed,
               x.signature == "not-checked" ? "; signature present, NOT checked" : "");
    if (!x.signature.empty() && x.signature != "absent" && x.signature != "not-checked")
      fmt::print("  signature: {}\n", Printable(x.signature));
    for (const auto& p : x.problems) fmt::print("  problem: {}\n", Printable(p));
    if (!x.error.empty()) fmt::print("  error: {}\n", Printable(x.error));
  }
  if (!records->empty()) {
    constexpr size_t kShown = 50;
    fmt::print("records     {} (offset, length, type, date, http, digest, payload, URI):\n",
               records->size());
    for (size_t i = 0; i < records->size() && i < kShown; ++i) PrintRecordLine((*records)[i]);
    if (records->size() > kShown)
      fmt::print("  ... {} more: isnad warc ls {}\n", records->size() - kShown, id);
  }
  for (const auto& r : *origin) {
    fmt::print("payload of  {} record {} ({}, {}) in {}{}\n", r.warc_type, r.record_id,
               Printable(r.target_uri), r.warc_date, r.container,
               r.member.empty() ? "" : " " + Printable(r.member));
  }
}

void RegisterWebArchiveCommands(CLI::App& app, const Globals& g, Commands& out) {
  auto* warc = app.add_subcommand("warc", "web archives (WARC, WACZ): list records, check files");
  warc->require_subcommand(1);
  auto* ls =
      warc->add_subcommand("ls", "the records of a WARC or WACZ item and their payload items");
  auto id = std::make_shared<std::string>();
  ls->add_option("id", *id, "item id or sha256 prefix")->required();
  Example(ls, "isnad warc ls i12");
  out.emplace_back(ls, [&g, id] { return CmdWarcLs(g, *id); });

  auto* check = warc->add_subcommand(
      "check", "validate WARC (.warc, .warc.gz) and WACZ files; no archive needed");
  auto files = std::make_shared<std::vector<std::string>>();
  auto verbose = std::make_shared<bool>(false);
  check->add_option("files", *files, "WARC or WACZ files")->required();
  check->add_flag("-v,--verbose", *verbose, "one line per record");
  Example(check, "isnad warc check capture.warc.gz");
  out.emplace_back(check, [&g, files, verbose] { return CmdWarcCheck(g, *files, *verbose); });
}

}  // namespace isnad::cli
