// Time-stamping the archive's signed checkpoints with RFC 3161 TSAs (see timestamp.h).
#include "archive/timestamp.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "catalog/entries.h"
#include "core/canonical_json.h"
#include "tsa/timestamp.h"

namespace isnad::archive {
namespace {

using core::Json;
using core::Status;
using core::StatusOr;

// Tokens are a few kilobytes; a stored one far larger is not one of ours.
constexpr size_t kMaxTokenBytes = size_t{1} << 20;

StatusOr<std::string> ReadBlob(const Archive& a, const core::Hash& sha256) {
  return a.blobs().ReadAll(sha256, kMaxTokenBytes);
}

// The signed checkpoint of `size` as kept in checkpoints/<size>.
StatusOr<std::string> HistoryCheckpoint(const Archive& a, uint64_t size) {
  auto text = core::Env::Default()->ReadFile(a.layout().CheckpointHistory(size));
  if (!text.ok()) {
    return core::NotFound(
        "checkpoints/" + std::to_string(size) +
        " (the signed checkpoint the token covers) cannot be read: " + text.status().message());
  }
  return text;
}

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

size_t TimestampResult::recorded() const {
  return static_cast<size_t>(
      std::count_if(tsas.begin(), tsas.end(), [](const TsaOutcome& o) { return o.status.ok(); }));
}

Status CheckTsaUrl(const std::string& url) {
  // The URL goes into timestamp.added entries and config/tsa.txt: never a password,
  // and one is never echoed in a message either, whatever the scheme.
  if (const size_t at = url.find("://"); at != std::string::npos) {
    const std::string_view authority = std::string_view(url).substr(at + 3);
    if (authority.substr(0, authority.find_first_of("/?#")).find('@') != std::string_view::npos) {
      return core::InvalidArgument(
          "a TSA URL may not hold a user name or password (\"user:password@\"): the URL is "
          "recorded in the custody log for good; give the TSA's URL without them");
    }
  }
  std::string_view rest;
  if (url.rfind("https://", 0) == 0) {
    rest = std::string_view(url).substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = std::string_view(url).substr(7);
  } else {
    return core::InvalidArgument("a TSA URL must start with http:// or https://: \"" + url + "\"");
  }
  if (rest.empty() || rest.front() == '/') {
    return core::InvalidArgument("the TSA URL \"" + url + "\" names no host");
  }
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f) {
      return core::InvalidArgument("a TSA URL may not hold spaces or control characters");
    }
  }
  return Status::Ok();
}

StatusOr<TimestampResult> TimestampCheckpoint(Archive& a, const std::vector<std::string>& tsa_urls,
                                              const tsa::VerifyOptions& options,
                                              int timeout_seconds) {
  if (tsa_urls.empty()) return core::InvalidArgument("no TSA to ask");
  // The exact bytes every verifier will hash: log/checkpoint now, and checkpoints/<size>
  // for good (the history is what `isnad timestamps` checks the tokens against later).
  const std::string note = a.log().checkpoint_note();
  const uint64_t size = a.log().size();
  ISNAD_ASSIGN_OR_RETURN(std::string kept, HistoryCheckpoint(a, size));
  if (kept != note) {
    return core::Integrity("checkpoints/" + std::to_string(size) +
                           " differs from log/checkpoint; run `isnad verify` before time-stamping");
  }
  TimestampResult result;
  result.checkpoint_size = size;
  result.checkpoint_sha256 = core::Sha256Of(note);

  std::vector<Json> bodies;
  std::vector<size_t> recorded;  // index in result.tsas of each body
  for (const std::string& url : tsa_urls) {
    TsaOutcome& out = result.tsas.emplace_back();
    out.url = url;
    out.status = [&]() -> Status {
      ISNAD_RETURN_IF_ERROR(CheckTsaUrl(url));
      ISNAD_ASSIGN_OR_RETURN(tsa::Request request, tsa::MakeRequest(result.checkpoint_sha256));
      ISNAD_ASSIGN_OR_RETURN(std::string response, tsa::Fetch(url, request, timeout_seconds));
      tsa::VerifyOptions o = options;
      o.expected_nonce = request.nonce;
      ISNAD_RETURN_IF_ERROR(tsa::Verify(response, result.checkpoint_sha256, o).status());
      ISNAD_ASSIGN_OR_RETURN(std::string token, tsa::TokenDer(response));
      // What is stored is what was verified: the token's own bytes (OpenSSL
      // re-encodes them out of the response), checked again as `timestamps`
      // and `verify-bag` will read them.
      ISNAD_ASSIGN_OR_RETURN(out.token, tsa::Verify(token, result.checkpoint_sha256, o));
      if (!o.untrusted_pem.empty()) {
        // A bag carries the token alone, and verify-bag has only the roots: a
        // token that verifies only with extra certificates could never be
        // verified there.
        tsa::VerifyOptions alone = o;
        alone.untrusted_pem.clear();
        if (Status s = tsa::Verify(token, result.checkpoint_sha256, alone).status(); !s.ok()) {
          return core::FailedPrecondition(
              "the token verifies only with the certificates given with --certs, which it "
              "does not carry (" +
              s.message() +
              "), so an exported case file could not be verified; not recorded: use a TSA "
              "that includes its certificates in its tokens (isnad asks for them)");
        }
      }
      ISNAD_ASSIGN_OR_RETURN(out.token_sha256, a.StoreBytes(token));
      return Status::Ok();
    }();
    if (!out.status.ok()) continue;
    bodies.push_back(Json{{"type", std::string(catalog::kTimestampAdded)},
                          {"checkpoint_size", size},
                          {"checkpoint_sha256", result.checkpoint_sha256.Hex()},
                          {"tsa", url},
                          {"token_sha256", out.token_sha256.Hex()},
                          {"gen_time", out.token.gen_time}});
    recorded.push_back(result.tsas.size() - 1);
  }
  if (!bodies.empty()) {
    auto first = a.Record(bodies);
    if (!first.ok()) {
      return first.status().WithContext(
          "the tokens were fetched and verified, but recording them failed");
    }
    for (size_t k = 0; k < recorded.size(); ++k) result.tsas[recorded[k]].leaf_index = *first + k;
  }
  return result;
}

StatusOr<std::vector<TimestampCheck>> CheckTimestamps(const Archive& a,
                                                      const tsa::VerifyOptions& options) {
  ISNAD_ASSIGN_OR_RETURN(std::vector<catalog::TimestampRecord> records, a.catalog().Timestamps());
  tsa::VerifyOptions o = options;
  o.expected_nonce.clear();
  std::vector<TimestampCheck> out;
  for (auto& record : records) {
    TimestampCheck& check = out.emplace_back();
    check.record = std::move(record);
    const catalog::TimestampRecord& r = check.record;
    check.status = [&]() -> Status {
      auto kept = HistoryCheckpoint(a, r.checkpoint_size);
      if (!kept.ok()) {
        // A recorded token whose checkpoint is gone can no longer be checked:
        // evidence of when the archive held what it holds is lost.
        return core::Integrity(std::string(kept.status().message()) +
                               "; restore it from a backup or an export of this archive");
      }
      std::string checkpoint = std::move(*kept);
      if (core::Sha256Of(checkpoint) != r.checkpoint_sha256) {
        return core::Integrity("checkpoints/" + std::to_string(r.checkpoint_size) +
                               " does not hash to the recorded " + r.checkpoint_sha256.Hex());
      }
      ISNAD_ASSIGN_OR_RETURN(std::string token, ReadBlob(a, r.token_sha256));
      ISNAD_ASSIGN_OR_RETURN(check.token, tsa::Verify(token, r.checkpoint_sha256, o));
      if (check.token.gen_time != r.gen_time) {
        return core::Integrity("the token's genTime is " + check.token.gen_time +
                               ", the entry recorded " + r.gen_time);
      }
      return Status::Ok();
    }();
  }
  return out;
}

std::string TsaConfigPath(const Layout& layout) {
  return core::JoinPath(core::JoinPath(layout.root, "config"), "tsa.txt");
}

StatusOr<std::vector<std::string>> ReadTsaUrls(core::Env* env, const Layout& layout) {
  const std::string path = TsaConfigPath(layout);
  std::vector<std::string> urls;
  if (!core::Exists(env, path)) return urls;
  ISNAD_ASSIGN_OR_RETURN(std::string text, env->ReadFile(path));
  size_t line_no = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = Trim(std::string_view(text).substr(start, end - start));
    start = end + 1;
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    Status s = CheckTsaUrl(line);
    if (!s.ok()) return s.WithContext(path + ":" + std::to_string(line_no));
    if (std::find(urls.begin(), urls.end(), line) == urls.end()) urls.push_back(line);
  }
  return urls;
}

Status SaveTsaUrls(core::Env* env, const Layout& layout, const std::vector<std::string>& urls) {
  for (const auto& url : urls) ISNAD_RETURN_IF_ERROR(CheckTsaUrl(url));
  ISNAD_ASSIGN_OR_RETURN(std::vector<std::string> listed, ReadTsaUrls(env, layout));
  const std::string path = TsaConfigPath(layout);
  std::string text;
  if (core::Exists(env, path)) {
    ISNAD_ASSIGN_OR_RETURN(text, env->ReadFile(path));
  } else {
    text =
        "# Time-stamping authorities (RFC 3161) that `isnad timestamp` asks when no --tsa is\n"
        "# given: one URL per line; '#' starts a comment.\n";
  }
  bool changed = false;
  for (const auto& url : urls) {
    if (std::find(listed.begin(), listed.end(), url) != listed.end()) continue;
    if (!text.empty() && text.back() != '\n') text += '\n';
    text += url + "\n";
    listed.push_back(url);
    changed = true;
  }
  if (!changed) return Status::Ok();
  ISNAD_RETURN_IF_ERROR(core::CreateDirs(env, core::DirName(path)));
  return core::WriteFileAtomically(env, path, text, /*sync=*/true);
}

}  // namespace isnad::archive
