// Shared by the files of the `isnad` command: the global options, opening the
// archive, turning a status into an exit code, and how command files register
// their subcommands (each file owns a group of commands; main.cc calls its
// Register function and runs the handler of the one that was parsed).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "archive/archive.h"
#include "core/canonical_json.h"
#include "core/status.h"

namespace isnad::cli {

struct Globals {
  std::string archive;
  std::string operator_name;
  bool json = false;
};

// Prints "isnad: <status>" on stderr and returns its exit code.
int Fail(const core::Status& s);
core::StatusOr<std::unique_ptr<archive::Archive>> OpenArchive(const Globals& g, archive::Mode mode);
// From now on Ctrl-C (SIGINT) or SIGTERM ends the process at once, as by
// default, after writing `message` (a string literal: it must outlive the
// process) to stderr: what the interrupted command leaves, and what to do.
void SayOnInterrupt(const char* message);
// --key of verify and verify-bag: the vkey itself, or a file that holds it.
core::StatusOr<std::string> KeyArgument(const std::string& key);
// `--key ""`, as `--key "$(cat archive.vkey)"` gives when the file is missing.
core::Status EmptyKeyError();
// Adds "Example:\n  TEXT" to a subcommand's help.
void Example(CLI::App* command, const std::string& text);

// The subcommands a file registered, each with what to run when it is parsed.
using Commands = std::vector<std::pair<CLI::App*, std::function<int()>>>;

// Evidence graph: describe, tag, review, derive, incident, place, actor,
// relation, case, timeline, search (graph_commands.cc).
void RegisterGraphCommands(CLI::App& app, const Globals& g, Commands& out);
// import, export-catalog (import_commands.cc).
void RegisterImportCommands(CLI::App& app, const Globals& g, Commands& out);
// timestamp, timestamps: RFC 3161 tokens over signed checkpoints (timestamp_commands.cc).
void RegisterTimestampCommands(CLI::App& app, const Globals& g, Commands& out);
// export (an evidence package as a BagIt bag), verify-bag (export_commands.cc).
void RegisterExportCommands(CLI::App& app, const Globals& g, Commands& out);
// Prints a line per item analysed by add, import, capture and analyze, or a JSON
// object with --json (media_commands.cc).
archive::AnalyzeCallbacks AnalysisPrinter(const Globals& g);

}  // namespace isnad::cli
