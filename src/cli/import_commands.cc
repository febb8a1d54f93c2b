// The catalogue import and export commands of `isnad`: `import FILE.csv|FILE.jsonl`
// and `export-catalog`. The work is archive/import.h; this file parses the
// command line and prints (text for people, --json for JSON Lines).
// Formats: docs/formats/catalog-import.md.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>
#include <vector>

#include "archive/archive.h"
#include "archive/import.h"
#include "cli/common.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "core/canonical_json.h"
#include "core/env.h"
#include "core/status.h"

namespace isnad::cli {
namespace {

// Whether `text` names a relation (relN) whose leaf lies in [first, end).
bool NamesARelationIn(std::string_view text, uint64_t first, uint64_t end) {
  for (size_t at = text.find("rel"); at != std::string_view::npos; at = text.find("rel", at + 3)) {
    uint64_t leaf = 0;
    size_t k = at + 3, digits = 0;
    for (; k < text.size() && text[k] >= '0' && text[k] <= '9' && digits < 19; ++k, ++digits) {
      leaf = leaf * 10 + static_cast<uint64_t>(text[k] - '0');
    }
    if (digits > 0 && leaf >= first && leaf < end) return true;
  }
  return false;
}

// The graph warnings (contradicting dates, cycles) that the batch's claims are
// part of, as `relation add` prints them: recorded as the sources say, and said.
void PrintImportedWarnings(const Globals& g, const archive::Archive& a, const std::string& file,
                           const archive::ImportReport& r) {
  if (r.entities == 0 || r.entries == 0) return;
  auto warnings = a.catalog().Warnings("");
  if (!warnings.ok()) {
    std::fprintf(stderr, "warning: the graph's warnings could not be read: %s\n",
                 Printable(warnings.status().message()).c_str());
    return;
  }
  constexpr size_t kShown = 10;
  size_t n = 0;
  for (const auto& w : *warnings) {
    if (!NamesARelationIn(w.id + " " + w.what, r.first_leaf, r.first_leaf + r.entries)) continue;
    if (g.json) {
      PrintJsonLine({{"file", file}, {"warning", w.what}, {"id", w.id}});
    } else if (++n <= kShown) {
      std::fprintf(stderr, "warning: %s: %s\n", w.id.c_str(), Printable(w.what).c_str());
    }
  }
  if (n > kShown) {
    std::fprintf(stderr,
                 "warning: ... and %zu more warning(s) about the claims imported (`isnad actor "
                 "show ACTOR` lists an actor's)\n",
                 n - kShown);
  }
}

using core::Json;
using core::Status;

struct ImportArgs {
  std::string file;
  bool dry_run = false;
  int jobs = 2;
};

struct ExportArgs {
  std::string format = "jsonl";
  std::string out;
  bool force = false;
};

int CmdImport(const Globals& g, const ImportArgs& args) {
  // A dry run writes nothing: a reader is enough, and does not wait for a writer.
  auto a = OpenArchive(g, args.dry_run ? archive::Mode::kRead : archive::Mode::kWrite);
  if (!a.ok()) return Fail(a.status());
  if (!args.dry_run) {
    SayOnInterrupt(
        "\nisnad: interrupted. The files this import had stored are safe in the archive, as "
        "items without their descriptions; its descriptions, entities and links are recorded "
        "all together or not at all. Run the same import again to finish: a file already "
        "stored only gains a source. `isnad log` lists what is recorded.\n");
  }
  archive::ImportOptions options;
  options.dry_run = args.dry_run;
  options.jobs = args.jobs;
  ProgressBar bar("importing: storing files");
  options.on_progress = [&bar](uint64_t bytes, uint64_t files_done, uint64_t files_total) {
    bar.Update(bytes, files_done, files_total);
  };
  // The files it ingests go through Archive::Add, which analyses them.
  auto report = archive::Import(**a, args.file, options);
  bar.Clear();
  if (!report.ok()) return Fail(report.status());
  const archive::ImportReport& r = *report;
  if (!r.problems.empty()) {
    // A problem of the whole file (a date format, an encoding) would otherwise be one
    // line per row: on a terminal, ten per column, then how many more.
    constexpr size_t kShownPerColumn = 10;
    std::map<std::string, size_t> per_column;
    for (const auto& p : r.problems) {
      if (!g.json && ++per_column[p.column] > kShownPerColumn) continue;
      if (g.json) {
        PrintJsonLine(
            {{"file", args.file}, {"row", p.row}, {"column", p.column}, {"problem", p.what}});
      } else if (p.row == 0) {  // the whole file
        std::fprintf(stderr, "%s: %s\n", Printable(args.file).c_str(), Printable(p.what).c_str());
      } else if (p.column.empty()) {
        std::fprintf(stderr, "%s:%llu: %s\n", Printable(args.file).c_str(),
                     static_cast<unsigned long long>(p.row), Printable(p.what).c_str());
      } else {
        std::fprintf(stderr, "%s:%llu: column %s: %s\n", Printable(args.file).c_str(),
                     static_cast<unsigned long long>(p.row), Printable(p.column).c_str(),
                     Printable(p.what).c_str());
      }
    }
    if (!g.json) {
      for (const auto& [column, n] : per_column) {
        if (n <= kShownPerColumn) continue;
        std::fprintf(stderr, "%s: ... and %zu more problem(s)%s like those above\n",
                     Printable(args.file).c_str(), n - kShownPerColumn,
                     column.empty() ? "" : (" in column " + Printable(column)).c_str());
      }
    }
    if (g.json) {
      PrintJsonLine({{"ok", false}, {"file", args.file}, {"problems", r.problems.size()}});
    } else {
      std::fprintf(stderr, "isnad: %zu problem(s) in %s; nothing was imported.\n",
                   r.problems.size(), Printable(args.file).c_str());
    }
    return kExitUsage;
  }
  size_t warned = 0;
  for (const auto& n : r.warnings) {  // imported all the same; ten on a terminal
    if (!g.json && ++warned > 10) continue;
    if (g.json) {
      PrintJsonLine({{"file", args.file}, {"row", n.row}, {"column", n.column}, {"note", n.what}});
    } else {
      std::fprintf(stderr, "%s:%llu: column %s: note: %s\n", Printable(args.file).c_str(),
                   static_cast<unsigned long long>(n.row), Printable(n.column).c_str(),
                   Printable(n.what).c_str());
    }
  }
  if (warned > 10) {
    std::fprintf(stderr, "%s: ... and %zu more note(s) like those above\n",
                 Printable(args.file).c_str(), warned - 10);
  }
  if (!args.dry_run) PrintImportedWarnings(g, **a, args.file, r);
  if (g.json) {
    Json j{{"ok", true},
           {"file", args.file},
           {"format", r.format},
           {"dry_run", args.dry_run},
           {"rows", r.rows},
           {"files", r.files},
           {"items_described", r.items_described},
           {"entities", r.entities},
           {"entries", r.entries},
           {"notes", r.notes},
           {"warnings", r.warnings.size()}};
    if (!args.dry_run) {
      j["items_added"] = r.items_added;
      j["sources_added"] = r.sources_added;
      j["files_unchanged"] = r.files_unchanged;
      j["unchanged"] = r.unchanged;
      if (r.entries > 0) j["first_leaf"] = r.first_leaf;
      j["log_size"] = (*a)->log().size();
    }
    PrintJsonLine(j);
    return kExitOk;
  }
  if (args.dry_run) {
    fmt::print(
        "{}: {} row(s) checked, no problems. Importing it would ingest {} file(s), describe {} "
        "item(s), create {} entities and record {} entries ({} note(s)) in one signed batch. "
        "Nothing was written (--dry-run).\n",
        Printable(args.file), r.rows, r.files, r.items_described, r.entities, r.entries, r.notes);
    return kExitOk;
  }
  fmt::print("Imported {} ({} row(s)):\n", Printable(args.file), r.rows);
  if (r.files > 0) {
    fmt::print("  {} file(s): {} new item(s), {} new source(s) of items already held{}\n", r.files,
               r.items_added, r.sources_added,
               r.files_unchanged == 0
                   ? ""
                   : fmt::format(", {} recorded from the same path before (nothing new)",
                                 r.files_unchanged));
  }
  fmt::print("  {} item(s) described, {} entities created\n", r.items_described, r.entities);
  if (r.entries > 0) {
    fmt::print("  {} entries ({} note(s)) in one signed batch: log entries {}..{}\n", r.entries,
               r.notes, r.first_leaf, r.first_leaf + r.entries - 1);
  }
  if (r.unchanged > 0) {
    fmt::print("  {} entr{} left out: {} what the archive already records (imported before?)\n",
               r.unchanged, r.unchanged == 1 ? "y" : "ies",
               r.unchanged == 1 ? "it says" : "they say");
  }
  fmt::print("Log size {}.\n", (*a)->log().size());
  return kExitOk;
}

// An std::ostream's bytes appended to a core::WritableFile, 64 KiB at a time
// (ExportCatalog writes to a stream; the file comes from WriteFileAtomically).
class FileStreamBuf : public std::streambuf {
 public:
  explicit FileStreamBuf(core::WritableFile& file) : file_(file), buf_(size_t{64} << 10) {
    setp(buf_.data(), buf_.data() + buf_.size());
  }
  // The first write error, if any.
  Status status() const { return status_; }

 protected:
  int_type overflow(int_type c) override {
    if (sync() != 0) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override {
    if (status_.ok() && pptr() > pbase()) {
      status_ = file_.Append(std::string_view(pbase(), static_cast<size_t>(pptr() - pbase())));
    }
    setp(buf_.data(), buf_.data() + buf_.size());
    return status_.ok() ? 0 : -1;
  }

 private:
  core::WritableFile& file_;
  std::vector<char> buf_;
  Status status_;
};

int CmdExport(const Globals& g, const ExportArgs& args) {
  core::Env* env = core::Env::Default();
  // Said before any work; the rename below refuses too, should one appear meanwhile.
  const auto exists = [&args] {
    return core::AlreadyExists(args.out +
                               " already exists; nothing was written. Remove it or choose "
                               "another name for --out, or give --force to replace it");
  };
  if (!args.out.empty() && !args.force && core::Exists(env, args.out)) return Fail(exists());
  auto a = OpenArchive(g, archive::Mode::kRead);
  if (!a.ok()) return Fail(a.status());
  if (args.out.empty()) {
    Status s = archive::ExportCatalog(**a, args.format, std::cout);
    return s.ok() ? kExitOk : Fail(s);
  }
  // Written beside the target, made durable, then renamed into place: an export
  // that is interrupted or fails never leaves a half-written file under that name.
  Status s = core::WriteFileAtomically(
      env, args.out,
      [&](core::WritableFile& file) {
        FileStreamBuf buf(file);
        std::ostream out(&buf);
        Status exported = archive::ExportCatalog(**a, args.format, out);
        out.flush();
        return exported.ok() ? buf.status() : exported;
      },
      /*sync=*/true, /*replace=*/args.force);
  if (s.code() == core::Code::kAlreadyExists) return Fail(exists());
  if (!s.ok()) return Fail(s);
  if (g.json) {
    PrintJsonLine({{"out", args.out}, {"format", args.format}});
  } else {
    std::fprintf(stderr, "Wrote the catalogue (%s) to %s.\n", args.format.c_str(),
                 Printable(args.out).c_str());
  }
  return kExitOk;
}

}  // namespace

void RegisterImportCommands(CLI::App& app, const Globals& g, Commands& out) {
  auto ia = std::make_shared<ImportArgs>();
  auto* imp = app.add_subcommand("import",
                                 "import a catalogue: a CSV of items or JSON Lines of the whole "
                                 "graph (every row checked before anything is written)");
  imp->add_option("file", ia->file,
                  "FILE.csv (one row per item) or FILE.jsonl (items, places, incidents, actors, "
                  "relations, cases, case events); paths in it are relative to its folder")
      ->required();
  imp->add_flag("--dry-run", ia->dry_run, "check every row and report; write nothing");
  imp->add_option("-j,--jobs", ia->jobs, "files read at once (default 2)")
      ->check(CLI::Range(1, 64));
  imp->footer(
      "Every row is checked first; any problem is printed as FILE:ROW: column C: reason and\n"
      "nothing is written (exit 2). Then the files are stored, and the descriptions recorded\n"
      "in one batch; an import stopped while storing files keeps what it stored: run it again.\n"
      "Format: docs/formats/catalog-import.md.\n"
      "Example:\n  isnad import examples/ghouta-2013/case.jsonl --dry-run");
  out.emplace_back(imp, [&g, ia]() { return CmdImport(g, *ia); });

  auto ea = std::make_shared<ExportArgs>();
  auto* exp = app.add_subcommand(
      "export-catalog", "write the catalogue: JSON Lines (the whole graph) or CSV (the items)");
  exp->add_option("--format", ea->format, "jsonl (default) or csv")
      ->check(CLI::IsMember({"jsonl", "csv"}));
  exp->add_option("--out", ea->out,
                  "write to FILE, which must not exist (default: standard output)");
  exp->add_flag("--force", ea->force, "replace FILE if it exists");
  Example(exp, "isnad export-catalog --format jsonl --out catalogue.jsonl");
  out.emplace_back(exp, [&g, ea]() { return CmdExport(g, *ea); });
}

}  // namespace isnad::cli
