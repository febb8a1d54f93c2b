#include "cli/output.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "cli/exit_codes.h"

namespace isnad::cli {

void PrintJsonLine(const core::Json& j) {
  std::string line = j.dump(-1, ' ', false, core::Json::error_handler_t::replace);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stdout);
}

std::string HumanBytes(uint64_t n) {
  static const char* kUnits[] = {"B", "KB", "MB", "GB", "TB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", n) : fmt::format("{:.1f} {}", v, kUnits[u]);
}

namespace {

// 2099280 -> "2,099,280".
std::string Grouped(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

ProgressBar::ProgressBar(std::string label, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), enabled_(::isatty(STDERR_FILENO) == 1) {}

ProgressBar::~ProgressBar() { Clear(); }

void ProgressBar::Update(uint64_t bytes, uint64_t files_done, uint64_t files_total) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> g(mu_);
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < std::chrono::milliseconds(100) && files_done != files_total) return;
  last_ = now;
  double frac =
      files_total ? static_cast<double>(files_done) / static_cast<double>(files_total) : 1;
  int width = 30;
  int full = static_cast<int>(frac * width);
  std::string bar(static_cast<size_t>(full), '=');
  bar.resize(static_cast<size_t>(width), ' ');
  std::fprintf(stderr, "\r%s [%s] %3d%%  %llu/%llu files  %s   ", label_.c_str(), bar.c_str(),
               static_cast<int>(frac * 100), static_cast<unsigned long long>(files_done),
               static_cast<unsigned long long>(files_total), HumanBytes(bytes).c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::Update(uint64_t done, uint64_t total) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> g(mu_);
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < std::chrono::milliseconds(100) && done != total) return;
  last_ = now;
  DrawCount(done, total);
}

void ProgressBar::Step(std::string_view label, std::string_view unit, uint64_t done,
                       uint64_t total) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> g(mu_);
  auto now = std::chrono::steady_clock::now();
  const bool same = label == label_ && unit == unit_;
  if (same && drawn_ && now - last_ < std::chrono::milliseconds(100) && done != total) return;
  last_ = now;
  if (!same) {
    label_ = label;
    unit_ = unit;
    if (drawn_) std::fprintf(stderr, "\r\033[K");
  }
  DrawCount(done, total);
}

void ProgressBar::DrawCount(uint64_t done, uint64_t total) {
  if (total == 0) {
    std::fprintf(stderr, "\r%s ...   ", label_.c_str());
  } else {
    const bool bytes = unit_ == "bytes";
    std::string of = bytes ? HumanBytes(done) + " of " + HumanBytes(total)
                           : Grouped(done) + " of " + Grouped(total) + " " + unit_;
    double frac = static_cast<double>(done) / static_cast<double>(total);
    std::fprintf(stderr, "\r%s %3d%%  %s   ", label_.c_str(), static_cast<int>(frac * 100),
                 of.c_str());
  }
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::Clear() {
  std::lock_guard<std::mutex> g(mu_);
  if (!drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

void PrintFileError(bool json, const std::string& file, const core::Status& s) {
  if (json) {
    PrintJsonLine(
        {{"file", file}, {"error", s.message()}, {"code", std::string(core::CodeName(s.code()))}});
  } else if (s.code() == core::Code::kIntegrity) {
    // A file of the user's own, not the archive's: damaged or not of the format the
    // command reads, which is no "INTEGRITY FAILURE" of anything isnad keeps.
    std::fprintf(stderr, "isnad: %s\n", Printable(s.message()).c_str());
  } else {
    std::fprintf(stderr, "isnad: %s\n", Printable(s.ToString()).c_str());
  }
}

int ForEachFile(bool json, const std::vector<std::string>& files,
                const std::function<core::Status(const std::string& file)>& each) {
  int failures = 0;
  core::Status last;
  for (const std::string& file : files) {
    if (core::Status s = each(file); !s.ok()) {
      failures++;
      last = s;
      PrintFileError(json, file, s);
    }
  }
  std::fflush(stdout);
  if (failures == 0) return kExitOk;
  if (files.size() != 1 || last.code() == core::Code::kIntegrity) return kExitError;
  return ExitCodeFor(last);
}

}  // namespace isnad::cli
