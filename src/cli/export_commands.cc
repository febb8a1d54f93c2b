// The evidence package commands of `isnad`: `export` writes the exhibits of a
// case, an incident or a list of items as a BagIt bag with their custody proofs
// (archive/export.h), and `verify-bag` checks such a bag, or any BagIt bag,
// with no archive at all (archive/verify_bag.h). Layout: docs/formats/bag.md;
// checking by hand: docs/verifying.md.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "archive/export.h"
#include "archive/verify_bag.h"
#include "cli/common.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "core/canonical_json.h"
#include "core/env.h"
#include "core/status.h"
#include "core/utf8.h"
#include "log/note.h"

// Under LeakSanitizer (scripts/test's sanitizer pass runs this binary): fontconfig,
// which Pango uses to find the report's fonts, keeps its configuration for the life
// of the process and frees it only in FcFini, which is unsafe while Pango may still
// hold fonts. That is one allocation per process, not a leak that grows.
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }

namespace isnad::cli {

core::StatusOr<std::string> KeyArgument(const std::string& given) {
  // Copied from `isnad init`'s indented output, or from a mail: spaces and line ends around it.
  const std::string key(core::StripAsciiSpace(given));
  if (key.empty() || tlog::NoteVerifier::FromVkey(key).ok()) return key;
  std::error_code ec;
  if (std::filesystem::is_regular_file(given, ec)) {
    auto text = core::Env::Default()->ReadFile(given);
    if (!text.ok()) return text.status();
    return std::string(core::StripAsciiSpace(*text));
  }
  if (key.find('+') == std::string::npos) {
    // A vkey always holds '+': this was meant as a file name.
    return core::InvalidArgument(
        key +
        ": no such file, and not a public key either; nothing was checked. Save the "
        "archive's public key in that file (its keeper gives it by another channel than the "
        "package; on the archive, `isnad --archive DIR key > " +
        key + "` writes it), or give the key itself (one line: name+id+key)");
  }
  return key;  // VerifyBag says why it is not a key
}

core::Status EmptyKeyError() {
  return core::InvalidArgument(
      "--key is empty (was the file holding the key missing?); nothing was checked. Give the "
      "public key that `isnad key` printed, kept apart from what it checks: --key archive.vkey "
      "or --key \"$(cat archive.vkey)\"; or leave --key out to use the one that came with it");
}

namespace {

using core::Json;

struct BagExportArgs {
  std::string case_ref, incident_ref;
  std::vector<std::string> items;
  std::string out;
};

struct VerifyBagArgs {
  std::string path;
  std::string key;
  bool key_given = false;
  std::string tsa_roots;
};

int CmdExportBag(const Globals& g, const BagExportArgs& args) {
  auto a = OpenArchive(g, archive::Mode::kRead);
  if (!a.ok()) return Fail(a.status());
  if (!(*a)->catalog_lag().empty()) {
    // The exhibits are chosen from the catalogue but proved against the whole log: a link
    // or review the catalogue lacks would be left out of a package that still verifies.
    return Fail(core::FailedPrecondition(
        "export needs the catalogue up to date with the log, and here it is not (see the "
        "warning above); nothing was written. Run the export where the archive can be "
        "written, or copy the archive to writable storage first"));
  }
  SayOnInterrupt(
      "\nisnad: interrupted: the export was not finished, and nothing was written under the "
      "--out name. Its temporary copy beside it (NAME.tmp-PID) is removed by the next export "
      "to the same place; run the same command again.\n");
  archive::ExportRequest req;
  req.case_id = args.case_ref;
  req.incident_id = args.incident_ref;
  req.items = args.items;
  req.out = args.out;
  ProgressBar bar("hashing exhibits");
  req.progress = [&](uint64_t done, uint64_t total) { bar.Update(done, total); };
  auto sum = archive::Export(**a, req);
  bar.Clear();
  if (!sum.ok()) return Fail(sum.status());
  for (const auto& w : sum->warnings) {
    std::fprintf(stderr, "warning: %s\n", Printable(w).c_str());
  }
  if (g.json) {
    PrintJsonLine({{"out", sum->out},
                   {"title", sum->title},
                   {"exhibits", sum->exhibits},
                   {"captures", sum->captures},
                   {"event_documents", sum->event_documents},
                   {"exhibit_bytes", sum->exhibit_bytes},
                   {"entries", sum->entries},
                   {"checkpoint_size", sum->checkpoint_size},
                   {"checkpoints", sum->checkpoints},
                   {"timestamps", sum->timestamps},
                   {"warnings", sum->warnings}});
    return kExitOk;
  }
  std::string brought =
      sum->captures.empty()
          ? ""
          : fmt::format(
                ", of which {} the web capture(s) that exhibits came from (the WARC: "
                "what the server sent)",
                sum->captures.size());
  if (!sum->event_documents.empty()) {
    brought += fmt::format("{} {} document(s) of the case's events, not exhibits of the case ({})",
                           brought.empty() ? ", of which" : " and", sum->event_documents.size(),
                           fmt::join(sum->event_documents, ", "));
  }
  fmt::print(
      "Exported {} exhibit(s) ({}{}) with {} custody entries proved against checkpoint {}, {} "
      "earlier checkpoint(s) and {} timestamp token(s) to {}.\n",
      sum->exhibits.size(), HumanBytes(sum->exhibit_bytes), brought, sum->entries,
      sum->checkpoint_size, sum->checkpoints.size(), sum->timestamps, Printable(sum->out));
  // The key proves something only if it reaches the other side apart from the package.
  fmt::print(
      "Send the archive's public key by another channel than the package (read it out, print "
      "it in a filing): {}\nCheck it anywhere with: isnad verify-bag {} --key archive.vkey "
      "(a file holding that key), or by hand: docs/verifying.md\n",
      (*a)->vkey(), Printable(sum->out));
  return kExitOk;
}

int CmdVerifyBag(const Globals& g, const VerifyBagArgs& args) {
  std::error_code ec;
  if (!std::filesystem::exists(args.path, ec)) {
    return Fail(core::NotFound("no bag at " + args.path));
  }
  archive::BagVerifyOptions options;
  auto key = KeyArgument(args.key);
  if (!key.ok()) return Fail(key.status());
  // Blank, or an empty file (a failed `isnad key > archive.vkey`): never the bag's own key.
  if (args.key_given && key->empty()) return Fail(EmptyKeyError());
  options.vkey = *key;
  if (!args.tsa_roots.empty()) {
    auto pem = core::Env::Default()->ReadFile(args.tsa_roots);
    if (!pem.ok()) return Fail(pem.status().WithContext("--tsa-roots"));
    options.tsa_roots_pem = *pem;
  }
  auto report = archive::VerifyBag(args.path, options);
  if (!report.ok()) return Fail(report.status());
  const archive::BagVerifyReport& r = *report;
  for (const auto& p : r.problems) {
    const std::string file = p.file.empty() ? "(bag)" : p.file;
    if (g.json) {
      PrintJsonLine({{"file", file}, {"problem", p.what}, {"warning", p.warning}});
    } else {
      fmt::print("{}{}: {}\n", p.warning ? "warning: " : "", Printable(file), Printable(p.what));
    }
  }
  for (const auto& n : r.notes) {
    if (g.json) {
      PrintJsonLine({{"note", n}});
    } else {
      fmt::print("note: {}\n", n);
    }
  }
  // An isnad package whose entries are proved but which the archive did not sign
  // as a whole: what it says beyond each entry present is not vouched for.
  const bool partly = r.custody && r.checkpoint_verified && !r.signed_as_a_whole;
  if (g.json) {
    PrintJsonLine(
        {{"ok", r.ok() && !partly},
         {"bag", args.path},
         {"bagit_version", r.bagit_version},
         {"payload_files", r.payload_files},
         {"payload_bytes", r.payload_bytes},
         {"custody", r.custody},
         {"key", r.key},
         {"key_pinned", r.key_pinned},
         {"checkpoint_verified", r.checkpoint_verified},
         {"signed_by_another_key", r.other_key.empty() ? Json(nullptr) : Json(r.other_key)},
         {"checkpoint_size", r.checkpoint_size},
         {"exhibits", r.exhibits},
         {"entries", r.entries},
         {"entries_proved", r.entries_proved},
         {"checkpoints", r.checkpoints},
         {"timestamps", r.timestamps},
         {"signed_as_a_whole", r.signed_as_a_whole},
         {"problems", r.errors()},
         {"warnings", r.warnings()}});
    return !r.ok() ? kExitIntegrity : partly ? kExitError : kExitOk;
  }
  std::string what = fmt::format("BagIt {} bag, {} payload file(s) ({})", r.bagit_version,
                                 r.payload_files, HumanBytes(r.payload_bytes));
  if (r.custody && r.checkpoint_verified) {
    // Counted as proved only what was: a failed proof is not one.
    const std::string proved =
        r.entries_proved == r.entries
            ? fmt::format("{} custody entries proved", r.entries)
            : fmt::format("{} of {} custody entries proved", r.entries_proved, r.entries);
    what += fmt::format(
        "; {} exhibit(s), {} against checkpoint {} signed by {}{}, {} earlier checkpoint(s), {} "
        "timestamp token(s)",
        r.exhibits, proved, r.checkpoint_size, r.key.empty() ? "(no key)" : Printable(r.key),
        r.key_pinned ? "" : " (not pinned)", r.checkpoints, r.timestamps);
    // Said only of a bag that passed: after a failure it would read as if it were sound.
    if (r.signed_as_a_whole && r.ok()) what += "; the bag is signed as a whole by that key";
  } else if (r.custody) {
    // Nothing was proved: the summary must not count entries as if they were.
    what +=
        fmt::format("; {} exhibit(s) and {} custody entries, none proved: ", r.exhibits, r.entries);
    what += !r.other_key.empty() ? fmt::format("the bag was signed by {}, not by the key given",
                                               Printable(r.other_key))
                                 : "its checkpoint was not verified";
  }
  if (r.ok() && partly) {
    fmt::print(
        "PROVED IN PART: {}: {}; but the bag is not signed as a whole (no isnad-statement.txt): "
        "an entry taken out, or a title, status or date changed in metadata.json or the "
        "report, would not be noticed{}.\n",
        Printable(args.path), what,
        r.warnings() > 1 ? fmt::format(" ({} warning(s))", r.warnings()) : "");
    return kExitError;
  }
  if (r.ok()) {
    fmt::print("OK: {}: {}{}{}.\n", Printable(args.path), what,
               r.warnings() ? fmt::format(" ({} warning(s))", r.warnings()) : "",
               r.custody && !r.key_pinned
                   ? "; the key was not pinned: give the archive's key with --key"
                   : "");
    return kExitOk;
  }
  fmt::print("FAILED: {}: {} problem(s); {}.\n", Printable(args.path), r.errors(), what);
  return kExitIntegrity;
}

}  // namespace

void RegisterExportCommands(CLI::App& app, const Globals& g, Commands& out) {
  auto ea = std::make_shared<BagExportArgs>();
  auto* exp = app.add_subcommand(
      "export",
      "write an evidence package: a BagIt bag of exhibits with their custody proofs and a report");
  auto* c = exp->add_option("--case", ea->case_ref,
                            "a case's exhibits and event documents: case id (case12) or title");
  auto* inc = exp->add_option("--incident", ea->incident_ref,
                              "an incident's linked items: incident id (inc3) or title");
  auto* items =
      exp->add_option("--items", ea->items, "these items: ids or sha256 prefixes (12+ hex digits)");
  c->excludes(inc)->excludes(items);
  inc->excludes(items);
  exp->add_option("--out", ea->out,
                  "a new folder, or a file ending in .zip, .tar or .tar.gz (any case)")
      ->required();
  exp->footer(
      "Only the chosen exhibits and the custody entries about them go into the package;\n"
      "proofs carry hashes only. Layout: docs/formats/bag.md.\n"
      "Example:\n  isnad export --case case12 --out case12.zip");
  out.emplace_back(exp, [&g, ea]() {
    if (ea->case_ref.empty() && ea->incident_ref.empty() && ea->items.empty()) {
      return Fail(core::InvalidArgument("export needs one of --case, --incident or --items"));
    }
    return CmdExportBag(g, *ea);
  });

  auto va = std::make_shared<VerifyBagArgs>();
  auto* vb = app.add_subcommand("verify-bag",
                                "check an evidence package (or any BagIt bag) without the archive: "
                                "files, proofs, signatures");
  vb->add_option("path", va->path, "the bag: a folder, .zip, .tar or .tar.gz")->required();
  vb->add_option("--key", va->key,
                 "the archive's public key (vkey, or a file holding it), obtained from its keeper "
                 "by another channel; default: the bag's own, reported as not pinned");
  vb->add_option("--tsa-roots", va->tsa_roots,
                 "PEM file of trusted time-stamping authority roots for the RFC 3161 tokens");
  vb->footer(
      "Prints each problem as FILE: what, and warnings (which do not fail) as warning: FILE: "
      "what.\n"
      "Exit 0 when everything holds; 1 when every entry present is proved but the bag is not "
      "signed as a whole (PROVED IN PART); 10 when anything does not hold. Steps by hand: "
      "docs/verifying.md.\n"
      "Example:\n  isnad verify-bag case12.zip --key \"$(cat archive.vkey)\"");
  out.emplace_back(vb, [&g, va, vb]() {
    va->key_given = vb->count("--key") > 0;
    return CmdVerifyBag(g, *va);
  });
}

}  // namespace isnad::cli
