#include "log/checkpoint.h"

#include <limits>

#include "core/encoding.h"

namespace isnad::tlog {
namespace {

core::Status BadLine(int line, std::string_view what) {
  return core::Integrity("checkpoint line " + std::to_string(line) + ": " + std::string(what));
}

// Takes the next '\n'-terminated line (without its newline) off `rest`.
bool NextLine(std::string_view& rest, std::string_view* line) {
  size_t nl = rest.find('\n');
  if (nl == std::string_view::npos) return false;
  *line = rest.substr(0, nl);
  rest = rest.substr(nl + 1);
  return true;
}

// Canonical decimal only, so that one size has one text form.
bool ParseSize(std::string_view s, uint64_t* out) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    auto d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

}  // namespace

std::string Checkpoint::Body() const {
  std::string body = origin;
  body += '\n';
  body += std::to_string(size);
  body += '\n';
  body += core::Base64Encode(root.View());
  body += '\n';
  body += extensions;
  return body;
}

core::StatusOr<Checkpoint> Checkpoint::Parse(std::string_view body) {
  std::string_view rest = body;
  std::string_view line;
  Checkpoint cp;

  if (!NextLine(rest, &line)) return BadLine(1, "origin: missing or not ended by a newline");
  if (line.empty()) return BadLine(1, "origin is empty");
  cp.origin = std::string(line);

  if (!NextLine(rest, &line)) return BadLine(2, "tree size: missing or not ended by a newline");
  if (!ParseSize(line, &cp.size)) {
    return BadLine(2, "tree size is not a canonical decimal that fits 64 bits");
  }

  if (!NextLine(rest, &line)) return BadLine(3, "root hash: missing or not ended by a newline");
  auto raw = core::Base64Decode(line);
  if (!raw.ok()) return BadLine(3, "root hash is not canonical base64");
  auto root = core::Hash::FromBytes(*raw);
  if (!root.ok()) return BadLine(3, "root hash is not 32 bytes");
  cp.root = *root;

  cp.extensions = std::string(rest);
  for (int n = 4; !rest.empty(); ++n) {
    if (!NextLine(rest, &line)) return BadLine(n, "extension line not ended by a newline");
    if (line.empty()) return BadLine(n, "extension line is empty");
  }
  return cp;
}

}  // namespace isnad::tlog
