// Printing for the CLI: JSON Lines for machines, aligned text for people, and a
// progress bar on a terminal. Not thread safe except ProgressBar::Update.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/canonical_json.h"
#include "core/status.h"
#include "core/utf8.h"

namespace isnad::cli {

// Prints `j` as one line of JSON on stdout. Bytes that are not UTF-8 are replaced.
void PrintJsonLine(const core::Json& j);
// "1.2 GB" style.
std::string HumanBytes(uint64_t n);
// Printable(s): core::Printable, the one escaping of terminal controls (core/utf8.h).
using core::Printable;
// Reports a file that could not be processed while the others go on: a JSON line
// {"file", "error", "code"} with `json`, else "isnad: <status>" on stderr.
void PrintFileError(bool json, const std::string& file, const core::Status& s);
// Runs `each` on every file in turn; a file that fails is reported (PrintFileError) and
// the others go on. Returns the exit code: 0 when all succeeded; for one file, the code
// of its error; for several, or an integrity failure among them, kExitError (1).
int ForEachFile(bool json, const std::vector<std::string>& files,
                const std::function<core::Status(const std::string& file)>& each);

// A one-line progress bar on stderr, drawn only when stderr is a terminal.
class ProgressBar {
 public:
  // `unit` names what Update(done, total) counts ("URLs", "entries"); "bytes"
  // prints them as sizes.
  explicit ProgressBar(std::string label, std::string unit = "bytes");
  ~ProgressBar();
  // Thread safe; redraws at most ten times a second.
  void Update(uint64_t bytes, uint64_t files_done, uint64_t files_total);
  void Update(uint64_t done, uint64_t total);
  // A new step of a longer job: redraws at once under the new label and unit.
  // total 0 (with done 0) for a step that cannot say how far it is.
  void Step(std::string_view label, std::string_view unit, uint64_t done, uint64_t total);
  // Clears the line (before printing something else, and at the end).
  void Clear();

 private:
  // Draws "label  42%  420 of 1,000 unit" (mu_ held).
  void DrawCount(uint64_t done, uint64_t total);

  std::string label_;
  std::string unit_;
  bool enabled_;
  bool drawn_ = false;
  std::mutex mu_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace isnad::cli
