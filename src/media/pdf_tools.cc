#include "media/pdf_tools.h"

#include <algorithm>
#include <csignal>
#include <cstring>
#include <string_view>

#include "core/process.h"  // no shell, own process group, timeout, output cap

namespace isnad::media::internal {
namespace {

std::string_view ToolName(std::string_view tool) {
  size_t slash = tool.rfind('/');
  return slash == std::string_view::npos ? tool : tool.substr(slash + 1);
}

// "Syntax Error (123): msg" -> "error (123): msg", as poppler-cpp's error function words it.
std::string AsPopplerCppMessage(std::string_view line) {
  size_t colon = line.find(": ");
  if (colon == std::string_view::npos) return std::string(line);
  std::string_view head = line.substr(0, colon), pos;
  if (size_t open = head.find(" ("); open != std::string_view::npos && head.ends_with(')')) {
    pos = head.substr(open + 2, head.size() - open - 3);
    head = head.substr(0, open);
  }
  if (!head.ends_with("Error") && !head.ends_with("Warning") && head != "Unimplemented Feature") {
    return std::string(line);
  }
  std::string out = pos.empty() ? "error" : "error (" + std::string(pos) + ")";
  return out + std::string(line.substr(colon));
}

}  // namespace

std::string PdfPathArg(const std::string& path) {
  return !path.empty() && path[0] == '-' ? "./" + path : path;
}

PdfToolRun RunPdfTool(const std::string& tool, const std::vector<std::string>& args,
                      const PdfToolLimits& limits) {
  PdfToolRun run;
  const std::string name(ToolName(tool));
  std::vector<std::string> argv;
  if (limits.max_memory_bytes > 0) {
    argv = {kPrlimit, "--as=" + std::to_string(limits.max_memory_bytes), "--"};
  }
  argv.push_back(tool);
  argv.insert(argv.end(), args.begin(), args.end());
  const int timeout = static_cast<int>(std::min<uint64_t>(limits.timeout_ms, 1'000'000'000));
  core::ProcessResult p = core::RunProcess(argv, timeout, limits.max_output_bytes);
  run.out = std::move(p.out);
  run.out_truncated = p.out_truncated;
  run.timed_out = p.timed_out;
  std::string_view err = p.err;
  bool out_of_memory = false;
  while (!err.empty()) {
    size_t nl = err.find('\n');
    std::string_view line = err.substr(0, nl);
    err = nl == std::string_view::npos ? std::string_view() : err.substr(nl + 1);
    if (line.empty()) continue;
    if (line.find("Out of memory") != std::string_view::npos ||
        line.find("bad_alloc") != std::string_view::npos) {
      out_of_memory = true;
      continue;
    }
    if (line.starts_with("prlimit: ")) {
      run.messages.push_back(std::string(line));
      continue;
    }
    run.messages.push_back(AsPopplerCppMessage(line));
  }
  const std::string memory =
      "memory limit of " + std::to_string(limits.max_memory_bytes >> 20) + " MiB";
  if (!p.started) {
    run.failure = name + ": cannot be run (" + argv[0] + ": " + std::strerror(p.spawn_errno) +
                  "; install poppler-utils and util-linux)";
  } else if (p.timed_out) {
    const uint64_t named =
        limits.named_time_limit_ms > 0 ? limits.named_time_limit_ms : limits.timeout_ms;
    run.failure = name + ": time limit of " + std::to_string(named) + " ms reached";
  } else if (out_of_memory && limits.max_memory_bytes > 0) {
    run.failure = name + ": " + memory + " reached";
  } else if (p.signal != 0) {
    run.failure = name + ": ended by signal " + std::to_string(p.signal) + " (" +
                  (p.signal == SIGSEGV || p.signal == SIGABRT || p.signal == SIGBUS
                       ? "a crash, or its " + memory
                       : std::string("killed")) +
                  ")";
  } else if (p.exit_status == 127 && limits.max_memory_bytes > 0) {
    run.failure = name + ": cannot be run (" + tool + " not found; install poppler-utils)";
  } else if (p.exit_status != 0) {
    run.failure = name + ": exited with status " + std::to_string(p.exit_status);
  }
  return run;
}

PdfPageTexts ReadPdfPageTexts(const std::string& path, int first, int last,
                              const PdfToolLimits& limits) {
  PdfPageTexts t;
  t.run = RunPdfTool(kPdfToText,
                     {"-layout", "-enc", "UTF-8", "-eol", "unix", "-f", std::to_string(first), "-l",
                      std::to_string(last), PdfPathArg(path), "-"},
                     limits);
  // pdftotext ends every page with a form feed; a page without one was cut off.
  std::string_view out = t.run.out;
  for (size_t ff; (ff = out.find('\f')) != std::string_view::npos; out = out.substr(ff + 1)) {
    t.pages.emplace_back(out.substr(0, ff + 1));
  }
  return t;
}

}  // namespace isnad::media::internal
