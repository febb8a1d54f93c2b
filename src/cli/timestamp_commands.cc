// The RFC 3161 commands of `isnad`: `timestamp` asks time-stamping authorities to sign
// the current checkpoint and records their tokens; `timestamps` lists the recorded
// tokens and verifies each again. The work is archive/timestamp.h.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "archive/archive.h"
#include "archive/timestamp.h"
#include "cli/common.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "core/canonical_json.h"
#include "core/env.h"
#include "core/status.h"
#include "tsa/timestamp.h"

namespace isnad::cli {
namespace {

using core::Json;
using core::Status;

struct TrustArgs {
  std::string roots;  // PEM file
  std::string certs;  // PEM file
};

struct TimestampArgs {
  std::vector<std::string> tsa;
  bool save = false;
  int timeout = 30;
  TrustArgs trust;
};

core::StatusOr<tsa::VerifyOptions> ReadTrust(const TrustArgs& t) {
  tsa::VerifyOptions o;
  for (auto [path, out] :
       {std::pair{&t.roots, &o.roots_pem}, std::pair{&t.certs, &o.untrusted_pem}}) {
    if (path->empty()) continue;
    auto text = core::Env::Default()->ReadFile(*path);
    if (!text.ok()) return text.status();
    *out = std::move(text).value();
  }
  return o;
}

// A status code as one stable word for --json ("io_error", "integrity", ...).
std::string CodeWord(core::Code code) {
  switch (code) {
    case core::Code::kOk:
      return "ok";
    case core::Code::kInvalidArgument:
      return "invalid_argument";
    case core::Code::kNotFound:
      return "not_found";
    case core::Code::kAlreadyExists:
      return "already_exists";
    case core::Code::kFailedPrecondition:
      return "failed_precondition";
    case core::Code::kLocked:
      return "locked";
    case core::Code::kResourceExhausted:
      return "resource_exhausted";
    case core::Code::kIoError:
      return "io_error";
    case core::Code::kIntegrity:
      return "integrity";
    case core::Code::kUnimplemented:
      return "unimplemented";
    case core::Code::kInternal:
      return "internal";
  }
  return "unknown";
}

const char* kNoRoots = "chain not checked against roots (give --roots PEM_FILE)";

// " (± 1 s)" after a genTime, when the token states its accuracy.
std::string AccuracyText(const tsa::TokenInfo& token) {
  return token.accuracy_us ? " (\u00b1 " + tsa::FormatAccuracy(*token.accuracy_us) + ")" : "";
}

int CmdTimestamp(const Globals& g, const TimestampArgs& args) {
  if (args.save && args.tsa.empty()) {
    return Fail(core::InvalidArgument("--save needs at least one --tsa URL"));
  }
  auto options = ReadTrust(args.trust);
  if (!options.ok()) return Fail(options.status());
  auto a = OpenArchive(g, archive::Mode::kWrite);
  if (!a.ok()) return Fail(a.status());
  const archive::Layout& layout = (*a)->layout();
  std::vector<std::string> urls = args.tsa;
  if (urls.empty()) {
    auto listed = archive::ReadTsaUrls(core::Env::Default(), layout);
    if (!listed.ok()) return Fail(listed.status());
    urls = *listed;
    if (urls.empty()) {
      return Fail(core::InvalidArgument(
          "no time-stamping authority: give --tsa URL (with --save to remember it) or list URLs "
          "in " +
          archive::TsaConfigPath(layout)));
    }
  } else {
    for (const auto& url : urls) {
      Status s = archive::CheckTsaUrl(url);
      if (!s.ok()) return Fail(s);
    }
  }
  if (args.save) {
    Status s = archive::SaveTsaUrls(core::Env::Default(), layout, urls);
    if (!s.ok()) return Fail(s);
  }
  auto result = archive::TimestampCheckpoint(**a, urls, *options, args.timeout);
  if (!result.ok()) return Fail(result.status());
  const archive::TimestampResult& r = *result;
  for (const auto& t : r.tsas) {
    if (g.json) {
      Json j{{"tsa", t.url},
             {"ok", t.status.ok()},
             {"checkpoint_size", r.checkpoint_size},
             {"checkpoint_sha256", r.checkpoint_sha256.Hex()}};
      if (t.status.ok()) {
        j["gen_time"] = t.token.gen_time;
        if (t.token.accuracy_us) j["accuracy_us"] = *t.token.accuracy_us;
        j["serial"] = t.token.serial;
        j["policy"] = t.token.policy;
        j["tsa_name"] = t.token.tsa_name;
        j["token_sha256"] = t.token_sha256.Hex();
        j["leaf_index"] = t.leaf_index;
        j["chain_checked"] = t.token.chain_checked;
      } else {
        j["error"] = t.status.message();
        j["code"] = CodeWord(t.status.code());
      }
      PrintJsonLine(j);
    } else if (t.status.ok()) {
      fmt::print(
          "{}\n  genTime     {}{}\n  serial      {}\n  TSA         {}\n  checkpoint  {} (sha256 "
          "{})\n"
          "  entry       {} (timestamp.added; token blob {})\n",
          Printable(t.url), t.token.gen_time, AccuracyText(t.token), t.token.serial,
          Printable(t.token.tsa_name), r.checkpoint_size, r.checkpoint_sha256.Hex(), t.leaf_index,
          t.token_sha256.Hex());
      if (!t.token.chain_checked) fmt::print("  note        {}\n", kNoRoots);
    } else {
      std::fprintf(stderr, "isnad: %s: %s\n", Printable(t.url).c_str(),
                   Printable(t.status.ToString()).c_str());
    }
  }
  const size_t ok = r.recorded();
  if (!g.json) {
    std::fprintf(stderr, "%zu of %zu TSA(s) time-stamped checkpoint %llu.\n", ok, r.tsas.size(),
                 static_cast<unsigned long long>(r.checkpoint_size));
  }
  return ok > 0 ? kExitOk : kExitError;
}

int CmdTimestamps(const Globals& g, const TrustArgs& trust) {
  auto options = ReadTrust(trust);
  if (!options.ok()) return Fail(options.status());
  auto a = OpenArchive(g, archive::Mode::kRead);
  if (!a.ok()) return Fail(a.status());
  auto checks = archive::CheckTimestamps(**a, *options);
  if (!checks.ok()) return Fail(checks.status());
  size_t failed = 0;
  bool integrity = false;
  for (const auto& c : *checks) {
    const catalog::TimestampRecord& r = c.record;
    if (!c.status.ok()) {
      ++failed;
      integrity = integrity || c.status.code() == core::Code::kIntegrity;
    }
    if (g.json) {
      Json j{{"leaf_index", r.leaf_index},
             {"checkpoint_size", r.checkpoint_size},
             {"checkpoint_sha256", r.checkpoint_sha256.Hex()},
             {"tsa", r.tsa},
             {"token_sha256", r.token_sha256.Hex()},
             {"gen_time", r.gen_time},
             {"ok", c.status.ok()}};
      if (c.status.ok()) {
        if (c.token.accuracy_us) j["accuracy_us"] = *c.token.accuracy_us;
        j["serial"] = c.token.serial;
        j["policy"] = c.token.policy;
        j["tsa_name"] = c.token.tsa_name;
        j["chain_checked"] = c.token.chain_checked;
      } else {
        j["error"] = c.status.message();
        j["code"] = CodeWord(c.status.code());
      }
      PrintJsonLine(j);
      continue;
    }
    fmt::print("[{}] checkpoint {}  {}{}  {}  {}\n", r.leaf_index, r.checkpoint_size, r.gen_time,
               c.status.ok() ? AccuracyText(c.token) : "", Printable(r.tsa),
               c.status.ok() ? (c.token.chain_checked ? "OK" : std::string("OK; ") + kNoRoots)
                             : "FAILED: " + Printable(c.status.ToString()));
  }
  if (!g.json) {
    if (checks->empty()) {
      std::fprintf(stderr, "No time-stamps recorded yet (isnad timestamp --tsa URL).\n");
    } else if (failed == 0) {
      std::fprintf(stderr, "%zu time-stamp(s), all verify against checkpoints/.\n", checks->size());
    } else {
      std::fprintf(stderr, "%zu of %zu time-stamp(s) do NOT verify.\n", failed, checks->size());
    }
  }
  if (failed == 0) return kExitOk;
  return integrity ? kExitIntegrity : kExitError;
}

void AddTrustOptions(CLI::App* command, TrustArgs& t) {
  command->add_option("--roots", t.roots,
                      "PEM file of the certificates the TSA's chain must end in (checked at the "
                      "token's genTime); without it only the token's own certificates vouch");
  command->add_option("--certs", t.certs,
                      "PEM file of extra certificates, for a TSA that does not send its own "
                      "(`timestamp` records a token only if it also verifies without them, as "
                      "an exported case file must)");
}

}  // namespace

void RegisterTimestampCommands(CLI::App& app, const Globals& g, Commands& out) {
  auto ta = std::make_shared<TimestampArgs>();
  auto* ts = app.add_subcommand(
      "timestamp",
      "have time-stamping authorities (RFC 3161) sign the current checkpoint; record their tokens");
  ts->add_option("--tsa", ta->tsa,
                 "TSA URL (repeat for several; default: the URLs in <archive>/config/tsa.txt)");
  ts->add_flag("--save", ta->save, "add the --tsa URLs to <archive>/config/tsa.txt");
  ts->add_option("--timeout", ta->timeout, "seconds to wait for each TSA (default 30)")
      ->check(CLI::Range(1, 600));
  AddTrustOptions(ts, ta->trust);
  ts->footer(
      "The token covers the SHA-256 of the signed checkpoint's exact bytes (log/checkpoint, kept\n"
      "as checkpoints/<size>), so it dates every entry and blob in that tree. Each token is\n"
      "verified (imprint, nonce, signature, timeStamping EKU, chain at genTime), kept as a blob\n"
      "and named by a timestamp.added entry. Exit 0 when at least one TSA's token was recorded;\n"
      "the TSAs that failed are listed on stderr with the reason.\n"
      "Example:\n  isnad timestamp --tsa http://timestamp.digicert.com --save");
  out.emplace_back(ts, [&g, ta]() { return CmdTimestamp(g, *ta); });

  auto trust = std::make_shared<TrustArgs>();
  auto* list = app.add_subcommand(
      "timestamps", "list the recorded RFC 3161 tokens and verify each against its checkpoint");
  AddTrustOptions(list, *trust);
  Example(list, "isnad timestamps --roots tsa-roots.pem --json");
  out.emplace_back(list, [&g, trust]() { return CmdTimestamps(g, *trust); });
}

}  // namespace isnad::cli
