// Crash safety: the real binary is killed with SIGKILL at random moments, many
// times over, and after each kill the archive must hold what a user relies on:
// - `add` of many files: `verify` passes and every acknowledged item is held
//   and provable;
// - `import` of a CSV: `verify` passes, every row is described or none is, and
//   importing again gives what an uninterrupted import gives;
// - graph commands (describe, tag, review, incident add, relation add): every
//   command that exited 0 has its effect;
// - `reindex`: every read command answers as before, or says to run reindex;
//   reindex then succeeds;
// - `capture --from LIST`: `verify` passes, and running it again captures every
//   URL exactly once.
// CrashAtEveryPoint.* kill `add`, `import`, `describe` and `reindex` not at
// random moments but on entry to each rename, sync and unlink they make, in
// turn (strace's fault injection; skipped where strace or ptrace is missing).
// ISNAD_SOAK=1 runs many more rounds (scripts/test documents it).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <thread>
#include <utility>

#include "core/canonical_json.h"
#include "core/testing/temp_dir.h"
#include "http_server.h"
#include "subprocess.h"

namespace isnad {
namespace {

using core::testing::TempDir;
using core::testing::WriteTestFile;

bool Soak() {
  const char* soak = std::getenv("ISNAD_SOAK");
  return soak != nullptr && *soak != '\0';
}

// Rounds of a test: `soak` under ISNAD_SOAK; under the sanitizers (every
// command several times slower) half of `normal`, to keep the suite's time.
int Rounds(int normal, int soak) {
  if (Soak()) return soak;
#if defined(__SANITIZE_ADDRESS__)
  return std::max(4, normal / 2);
#else
  return normal;
#endif
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// `isnad --archive AR ARGS...`, run to the end.
testing::RunResult Isnad(const std::string& ar, std::vector<std::string> args) {
  args.insert(args.begin(), {testing::IsnadBinary(), "--archive", ar});
  return testing::RunProcess(args);
}

using Clock = std::chrono::steady_clock;

int64_t MicrosSince(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
}

// Starts `isnad --archive AR ARGS...`, kills it with SIGKILL after a random
// delay in [from_us, to_us), and returns its exit code (-SIGKILL when the kill
// landed; the exit code when it ended first).
int RunAndKill(const std::string& ar, std::vector<std::string> args, int64_t from_us, int64_t to_us,
               std::mt19937& rng, const std::string& out, const std::string& err) {
  args.insert(args.begin(), {testing::IsnadBinary(), "--archive", ar});
  pid_t pid = testing::StartProcess(args, out, err);
  std::this_thread::sleep_for(std::chrono::microseconds(
      from_us + rng() % static_cast<uint64_t>(std::max<int64_t>(1, to_us - from_us))));
  ::kill(pid, SIGKILL);
  return testing::WaitProcess(pid);
}

// The catalogue's items as `export-catalog --format csv` writes them, keyed by
// sha256, without the id (ids are leaf indexes, which differ between archives).
std::map<std::string, std::string> ItemsBySha(const std::string& ar) {
  auto r = Isnad(ar, {"export-catalog", "--format", "csv"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::string> items;
  std::istringstream lines(r.out);
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    size_t a = line.find(',');
    size_t b = a == std::string::npos ? a : line.find(',', a + 1);
    if (b == std::string::npos) continue;
    items[line.substr(a + 1, b - a - 1)] = line.substr(b + 1);
  }
  return items;
}

TEST(Crash, KilledAddsLoseNothingAcknowledged) {
  const int rounds = Rounds(25, 300);
  TempDir tmp;
  std::string ar = tmp.Join("ar");
  std::string bin = testing::IsnadBinary();
  ASSERT_EQ(
      testing::RunProcess({bin, "--archive", ar, "init", "--name", "crash.example/ar"}).exit_code,
      0);
  std::mt19937 rng(20130821);
  size_t acknowledged_total = 0;
  int64_t window_us = 0;
  int killed = 0;
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    // Fresh content each round (some repeated, to exercise the source path),
    // with a few large files so kills land inside copies as well as commits.
    std::string in = tmp.Join("in" + std::to_string(round));
    for (int i = 0; i < 100; ++i) {
      size_t size = (i % 20 == 0) ? (2u << 20) : 512 + rng() % 4096;
      std::string body =
          "round " + std::to_string(round % 7 == 0 ? 0 : round) + " file " + std::to_string(i);
      body.resize(size, static_cast<char>('a' + i % 26));
      WriteTestFile(in + "/f" + std::to_string(i), body);
    }
    std::string out = tmp.Join("out"), err = tmp.Join("err");
    pid_t pid = testing::StartProcess({bin, "--archive", ar, "add", in, "--json", "-j", "2",
                                       "--batch-files", std::to_string(1 + rng() % 8)},
                                      out, err);
    int rc;
    if (round == 0) {
      // The first add runs to the end: its duration sets the window for the kills.
      auto t0 = std::chrono::steady_clock::now();
      rc = testing::WaitProcess(pid);
      window_us = std::max<int64_t>(20000, std::chrono::duration_cast<std::chrono::microseconds>(
                                               std::chrono::steady_clock::now() - t0)
                                               .count());
    } else {
      std::this_thread::sleep_for(
          std::chrono::microseconds(rng() % static_cast<uint64_t>(window_us)));
      ::kill(pid, SIGKILL);
      rc = testing::WaitProcess(pid);
    }
    killed += rc == -SIGKILL;
    // An add that ended before its kill says the window is too wide (the first
    // add can be slow for reasons of its own: a cold cache, a busy machine):
    // halve it, so that the kills keep landing inside the work.
    if (round > 0 && rc != -SIGKILL) window_us = std::max<int64_t>(20000, window_us / 2);

    // Acknowledged = complete lines printed before the kill.
    std::vector<core::Json> acked;
    std::istringstream lines(core::testing::ReadTestFile(out));
    std::string line;
    while (std::getline(lines, line)) {
      if (lines.eof()) break;  // a partial last line was not acknowledged
      acked.push_back(core::Json::parse(line));
    }
    acknowledged_total += acked.size();

    auto verify = testing::RunProcess({bin, "--archive", ar, "verify"});
    ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    // Every acknowledged item is held, under its id, with its hash (one `ls` a round)...
    auto ls = testing::RunProcess({bin, "--archive", ar, "ls", "--json"});
    ASSERT_EQ(ls.exit_code, 0) << ls.err;
    std::map<std::string, std::string> held;
    std::istringstream listed(ls.out);
    while (std::getline(listed, line)) {
      core::Json item = core::Json::parse(line);
      held[item["id"].get<std::string>()] = item["sha256"].get<std::string>();
    }
    for (size_t k = 0; k < acked.size(); ++k) {
      const core::Json& a = acked[k];
      auto it = held.find(a["id"].get<std::string>());
      ASSERT_NE(it, held.end()) << "acknowledged but not held: " << a.dump();
      EXPECT_EQ(it->second, a["sha256"].get<std::string>()) << a.dump();
      // ...and provable: every seventh, and the last (a process each; slow under ASan).
      if (k % 7 != 0 && k + 1 != acked.size()) continue;
      auto prove = testing::RunProcess({bin, "--archive", ar, "prove", "--entry",
                                        std::to_string(a["leaf_index"].get<uint64_t>())});
      ASSERT_EQ(prove.exit_code, 0) << prove.err;
    }
  }
  // The kills must really have interrupted work, or the test proves nothing.
  EXPECT_GE(killed, rounds / 4);
  EXPECT_GT(acknowledged_total, 0u);
  std::cout << "crash rounds: " << rounds << ", killed mid-run: " << killed
            << ", acknowledged items checked: " << acknowledged_total << "\n";
}

// `isnad import` of a CSV of many rows, each naming a new file, killed at a
// random moment: the archive verifies, every row's description is recorded or
// none is (files already ingested stay, as plain items), and importing the same
// file again gives exactly what an uninterrupted import gives (checked against
// a second archive that imports every file without being killed).
TEST(Crash, KilledImportIsAllOrNothingAndReimports) {
  const int rounds = Rounds(8, 60);
  const int rows = 100;
  TempDir tmp;
  const std::string ar = tmp.Join("ar"), ref = tmp.Join("ref");
  for (const std::string& a : {ar, ref}) {
    ASSERT_EQ(Isnad(a, {"init", "--name", "crash.example/import"}).exit_code, 0);
  }
  std::mt19937 rng(20170404);
  int killed = 0, described_at_kill = 0;
  int64_t window_us = 0;
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    // Rows name new files (a few large, so kills land in copies too) and
    // describe them with words of this round only.
    const std::string dir = tmp.Join("in" + std::to_string(round));
    const std::string marker = "round" + std::to_string(round);
    std::string csv = "path,title,description,tags,event_date,language\n";
    for (int i = 0; i < rows; ++i) {
      // Large ones binary: text is indexed, and that is not what is tested here.
      const bool large = i % 50 == 0;
      std::string name = "f" + std::to_string(i) + (large ? ".bin" : ".txt");
      std::string body = large ? std::string("\x00\x01\x02", 3) : std::string();
      body += marker + " file " + std::to_string(i) + " ";
      body.resize(large ? (1u << 20) : 256 + rng() % 2048, large ? '\x03' : ' ');
      WriteTestFile(dir + "/" + name, body);
      csv += name + "," + marker + " row " + std::to_string(i) + ",witness " + std::to_string(i) +
             " of " + marker + "," + marker + ";crash," + "2013-08-" + std::to_string(10 + i % 20) +
             ",en\n";
    }
    const std::string file = dir + "/catalogue.csv";
    WriteTestFile(file, csv);

    // The reference import runs to the end; its duration sets the kill window.
    auto t0 = Clock::now();
    auto whole = Isnad(ref, {"import", file});
    ASSERT_EQ(whole.exit_code, 0) << whole.err;
    window_us = std::max<int64_t>(20000, MicrosSince(t0));

    const std::string out = tmp.Join("out"), err = tmp.Join("err");
    // Odd rounds aim at the end, where the descriptions are recorded.
    int rc = round % 2 == 0 ? RunAndKill(ar, {"import", file}, 0, window_us, rng, out, err)
                            : RunAndKill(ar, {"import", file}, window_us * 7 / 10,
                                         window_us * 13 / 10, rng, out, err);
    killed += rc == -SIGKILL;
    if (rc != -SIGKILL) {
      ASSERT_EQ(rc, 0) << core::testing::ReadTestFile(err);
    }

    auto verify = Isnad(ar, {"verify"});
    ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    // All rows of this file described, or none.
    int described = 0;
    for (const auto& [sha, row] : ItemsBySha(ar)) described += Contains(row, marker + " row ");
    if (rc == 0) {
      EXPECT_EQ(described, rows);
    } else {
      EXPECT_TRUE(described == 0 || described == rows) << described << " of " << rows;
    }
    described_at_kill += rc == -SIGKILL && described == rows;
    // What search and show answer agrees.
    auto search = Isnad(ar, {"search", "row", "--tag", marker, "--json", "--limit", "1000"});
    ASSERT_EQ(search.exit_code, 0) << search.err;
    size_t hits = 0;
    for (const core::Json& j : testing::JsonLines(search.out)) hits += j.contains("id");
    EXPECT_EQ(hits, static_cast<size_t>(described));

    // Importing again completes, and the catalogue is the reference's.
    auto again = Isnad(ar, {"import", file});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    ASSERT_EQ(ItemsBySha(ar), ItemsBySha(ref));
    // The newest item is this round's, and shows its row.
    auto listed = testing::JsonLines(Isnad(ar, {"ls", "--json"}).out);
    ASSERT_FALSE(listed.empty());
    auto show =
        Isnad(ar, {"show", listed.back()["sha256"].get<std::string>().substr(0, 16), "--json"});
    ASSERT_EQ(show.exit_code, 0) << show.err;
    EXPECT_TRUE(Contains(show.out, marker)) << show.out;
  }
  EXPECT_GE(killed, rounds / 4);
  std::cout << "import rounds: " << rounds << ", killed mid-run: " << killed
            << " (all rows described at the kill: " << described_at_kill << ")\n";
}

// Graph commands (describe, tag, review, incident add, relation add), one after
// another, the last one killed at a random moment: the archive verifies and
// every command that exited 0 before has its effect, as show says.
TEST(Crash, KilledGraphCommandsKeepEveryAcknowledgedEffect) {
  const int rounds = Rounds(16, 100);
  TempDir tmp;
  const std::string ar = tmp.Join("ar");
  ASSERT_EQ(Isnad(ar, {"init", "--name", "crash.example/graph"}).exit_code, 0);
  constexpr int kItems = 12;
  for (int i = 0; i < kItems; ++i) {
    WriteTestFile(tmp.Join("in/f" + std::to_string(i) + ".txt"),
                  "statement " + std::to_string(i) + " of a witness\n");
  }
  auto added = Isnad(ar, {"add", tmp.Join("in"), "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  std::vector<std::string> items;
  for (const core::Json& j : testing::JsonLines(added.out)) items.push_back(j["id"]);
  ASSERT_EQ(items.size(), static_cast<size_t>(kItems));
  auto actor = testing::JsonLines(
      Isnad(ar, {"actor", "add", "--type", "unit", "--name", "Crash Brigade", "--json"}).out);
  ASSERT_EQ(actor.size(), 1u);
  const std::string ac = actor[0]["id"];
  auto incident = testing::JsonLines(
      Isnad(ar, {"incident", "add", "--title", "Shelling", "--date", "2013", "--json"}).out);
  ASSERT_EQ(incident.size(), 1u);
  const std::string inc = incident[0]["id"];

  // A command and how to see its effect: a read command and what its output holds.
  struct Step {
    std::vector<std::string> args;
    std::vector<std::string> check;  // read command; "{id}" = the id the command printed
    std::string expect;              // in the read command's output ("{id}" likewise)
  };
  std::mt19937 rng(20140503);
  int killed = 0, acknowledged = 0;
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<std::string> shuffled = items;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    const std::string r = "r" + std::to_string(round) + "x";
    std::vector<Step> steps;
    const int n = 3 + static_cast<int>(rng() % 6);
    for (int k = 0; k < n; ++k) {
      const std::string item = shuffled[static_cast<size_t>(k)];  // one command per item a round
      const std::string word = r + std::to_string(k);
      switch (rng() % 5) {
        case 0:
          steps.push_back({{"describe", item, "--title", "Title " + word, "--date", "2013-08-21"},
                           {"show", item, "--json"},
                           "Title " + word});
          break;
        case 1:
          steps.push_back({{"tag", item, word}, {"show", item, "--json"}, "\"" + word + "\""});
          break;
        case 2:
          steps.push_back({{"review", item, "--status", k % 2 ? "verified" : "disputed", "--reason",
                            "reason " + word},
                           {"show", item, "--json"},
                           "reason " + word});
          break;
        case 3:
          steps.push_back({{"incident", "add", "--title", "Incident " + word, "--date", "2013"},
                           {"incident", "show", "{id}", "--json"},
                           "Incident " + word});
          break;
        default:
          // A period of its own: the same claim from the same source is refused.
          steps.push_back({{"relation", "add", ac, "present_at", inc, "--source", item,
                            "--confidence", "low", "--from", std::to_string(1000 + round * 10 + k)},
                           {"actor", "show", ac, "--json"},
                           "\"{id}\""});
          break;
      }
      steps.back().args.push_back("--json");
    }
    // All but the last run to the end: acknowledged.
    // The kill comes within the quickest of this round's commands (and a
    // little after): one slow command on a loaded machine (under a sanitizer,
    // beside other tests) must not push every kill past the end of the next.
    std::vector<std::pair<const Step*, std::string>> acked;  // step, id printed
    int64_t quickest_us = std::numeric_limits<int64_t>::max();
    for (size_t k = 0; k + 1 < steps.size(); ++k) {
      auto t0 = Clock::now();
      auto res = Isnad(ar, steps[k].args);
      quickest_us = std::min(quickest_us, MicrosSince(t0));
      ASSERT_EQ(res.exit_code, 0) << res.err;
      auto lines = testing::JsonLines(res.out);
      ASSERT_EQ(lines.size(), 1u) << res.out;
      acked.push_back({&steps[k], lines[0].value("id", "")});
    }
    const std::string out = tmp.Join("out"), err = tmp.Join("err");
    const int64_t window_us = std::max<int64_t>(20000, quickest_us * 6 / 5);
    int rc = RunAndKill(ar, steps.back().args, 0, window_us, rng, out, err);
    killed += rc == -SIGKILL;
    if (rc == 0) {
      auto lines = testing::JsonLines(core::testing::ReadTestFile(out));
      ASSERT_EQ(lines.size(), 1u);
      acked.push_back({&steps.back(), lines[0].value("id", "")});
    } else {
      ASSERT_EQ(rc, -SIGKILL) << core::testing::ReadTestFile(err);
    }

    auto verify = Isnad(ar, {"verify"});
    ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    for (const auto& [step, id] : acked) {
      auto subst = [&id](std::string s) {
        size_t at = s.find("{id}");
        return at == std::string::npos ? s : s.replace(at, 4, id);
      };
      std::vector<std::string> check;
      for (const std::string& a : step->check) check.push_back(subst(a));
      auto seen = Isnad(ar, check);
      ASSERT_EQ(seen.exit_code, 0) << step->args[0] << ": " << seen.err;
      EXPECT_TRUE(Contains(seen.out, subst(step->expect)))
          << step->args[0] << " " << step->args[1] << " acknowledged, but " << check[0] << " "
          << check[1] << " shows:\n"
          << seen.out;
      ++acknowledged;
    }
  }
  EXPECT_GE(killed, rounds / 4);
  std::cout << "graph rounds: " << rounds << ", killed mid-command: " << killed
            << ", acknowledged commands checked: " << acknowledged << "\n";
}

// `isnad reindex` killed at a random moment: every read command answers exactly
// as before (byte for byte), or fails saying to run reindex; never a wrong
// answer. Reindex then succeeds, and verify passes.
TEST(Crash, KilledReindexNeverAnswersWrong) {
  const int rounds = Rounds(10, 80);
  TempDir tmp;
  const std::string ar = tmp.Join("ar");
  ASSERT_EQ(Isnad(ar, {"init", "--name", "crash.example/reindex"}).exit_code, 0);
  // Enough described text that a rebuild takes a while.
  std::string csv = "path,title,description,tags,event_date\n";
  for (int i = 0; i < 300; ++i) {
    std::string name = "s" + std::to_string(i) + ".txt";
    std::string body = "statement " + std::to_string(i) + ": ";
    for (int w = 0; w < 60; ++w) body += "witness" + std::to_string((i * 7 + w) % 97) + " saw ";
    WriteTestFile(tmp.Join("in/" + name), body + "\n");
    csv += name + ",Statement " + std::to_string(i) + ",told to the medical office,statement;t" +
           std::to_string(i % 5) + ",2013-08-" + std::to_string(10 + i % 20) + "\n";
  }
  WriteTestFile(tmp.Join("in/catalogue.csv"), csv);
  auto imported = Isnad(ar, {"import", tmp.Join("in/catalogue.csv")});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  auto first = Isnad(ar, {"reindex"});
  ASSERT_EQ(first.exit_code, 0) << first.err;

  auto listed = testing::JsonLines(Isnad(ar, {"ls", "--json"}).out);
  ASSERT_EQ(listed.size(), 300u);
  const std::vector<std::vector<std::string>> reads = {
      {"ls", "--json"},
      {"show", listed[0]["id"], "--json"},
      {"show", listed[150]["id"], "--json"},
      {"search", "witness12", "--json", "--limit", "1000"},
      {"search", "statement", "--tag", "t3", "--facets", "--json", "--limit", "1000"},
      {"log", "--json"}};
  std::vector<std::string> before;
  for (const auto& args : reads) {
    auto r = Isnad(ar, args);
    ASSERT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    before.push_back(r.out);
  }
  // Every read answers as before, or says to reindex.
  auto check_reads = [&](bool may_refuse) {
    for (size_t k = 0; k < reads.size(); ++k) {
      auto r = Isnad(ar, reads[k]);
      if (r.exit_code != 0 && may_refuse) {
        EXPECT_TRUE(Contains(r.err, "reindex"))
            << reads[k][0] << " failed without saying what to do: " << r.err;
        continue;
      }
      ASSERT_EQ(r.exit_code, 0) << reads[k][0] << ": " << r.err;
      EXPECT_TRUE(r.out == before[k])
          << reads[k][0] << " " << reads[k][1] << " answers differently after a killed reindex";
    }
  };

  std::mt19937 rng(20120315);
  int64_t window_us = 0;
  {
    auto t0 = Clock::now();
    ASSERT_EQ(Isnad(ar, {"reindex"}).exit_code, 0);
    window_us = std::max<int64_t>(20000, MicrosSince(t0));
  }
  int killed = 0;
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string out = tmp.Join("out"), err = tmp.Join("err");
    auto t0 = Clock::now();
    int rc = RunAndKill(ar, {"reindex"}, 0, window_us * 5 / 4, rng, out, err);
    killed += rc == -SIGKILL;
    if (rc != -SIGKILL) {
      ASSERT_EQ(rc, 0) << core::testing::ReadTestFile(err);
      // It ran to the end before the kill: the machine is faster now than when
      // the window was measured (a loaded CI runner). RunAndKill waits out its
      // whole random delay, so this is at least the run's time: aim within it.
      window_us = std::max<int64_t>(20000, MicrosSince(t0));
    }
    check_reads(/*may_refuse=*/true);
    auto verify = Isnad(ar, {"verify"});
    if (verify.exit_code != 0) {
      EXPECT_TRUE(Contains(verify.out + verify.err, "reindex")) << verify.out << verify.err;
    }
    // Every other round a reindex repairs; the others leave what the kill left
    // to the next kill.
    if (round % 2 == 1 || round + 1 == rounds) {
      auto again = Isnad(ar, {"reindex"});
      ASSERT_EQ(again.exit_code, 0) << again.err;
      verify = Isnad(ar, {"verify"});
      ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
      check_reads(/*may_refuse=*/false);
    }
  }
  EXPECT_GE(killed, rounds / 4);
  std::cout << "reindex rounds: " << rounds << ", killed mid-run: " << killed << "\n";
}

// `isnad capture --from LIST` of many pages from a server of this test, killed
// at a random moment: the archive verifies, and running the same list again
// completes, each URL then recorded exactly once.
TEST(Crash, KilledCaptureResumesCapturingEachUrlOnce) {
  const int rounds = Rounds(6, 40);
  const int pages = 60;
  TempDir tmp;
  testing::HttpServer server;
  const std::string ar = tmp.Join("ar");
  ASSERT_EQ(Isnad(ar, {"init", "--name", "crash.example/capture"}).exit_code, 0);
  std::mt19937 rng(20110315);
  int64_t window_us = 0;
  int killed = 0;
  std::map<std::string, int> recorded;  // url -> capture.recorded entries
  size_t log_seen = 0;
  auto count_recorded = [&] {
    auto log = Isnad(ar, {"log", "--json"});
    EXPECT_EQ(log.exit_code, 0) << log.err;
    auto lines = testing::JsonLines(log.out);
    for (size_t k = log_seen; k < lines.size(); ++k) {
      const core::Json& e = lines[k]["entry"];
      if (e.value("type", "") == "capture.recorded") ++recorded[e.value("url", "")];
    }
    log_seen = lines.size();
  };
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<std::string> urls;
    std::string list;
    for (int k = 0; k < pages; ++k) {
      urls.push_back(server.Url("/page/" + std::to_string(round * 1000 + k)));
      list += urls.back() + "\n";
    }
    const std::string file = tmp.Join("urls" + std::to_string(round) + ".txt");
    WriteTestFile(file, list);
    const std::string out = tmp.Join("out"), err = tmp.Join("err");
    int rc;
    if (round == 0) {
      // The first runs to the end: its duration sets the window for the kills.
      auto t0 = Clock::now();
      rc = Isnad(ar, {"capture", "--from", file, "--json"}).exit_code;
      window_us = std::max<int64_t>(20000, MicrosSince(t0));
    } else {
      rc = RunAndKill(ar, {"capture", "--from", file, "--json"}, 0, window_us, rng, out, err);
    }
    killed += rc == -SIGKILL;
    if (rc != -SIGKILL) {
      ASSERT_EQ(rc, 0) << (round == 0 ? "" : core::testing::ReadTestFile(err));
    }

    auto verify = Isnad(ar, {"verify"});
    ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    auto again = Isnad(ar, {"capture", "--from", file, "--json"});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    size_t answered = 0;
    for (const core::Json& l : testing::JsonLines(again.out)) {
      ++answered;
      EXPECT_TRUE(l["result"] == "captured" || l["result"] == "skipped") << l.dump();
    }
    EXPECT_EQ(answered, urls.size());
    count_recorded();
    for (const std::string& url : urls) EXPECT_EQ(recorded[url], 1) << url;
    verify = Isnad(ar, {"verify"});
    ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  }
  EXPECT_GE(killed, rounds / 4);
  std::cout << "capture rounds: " << rounds << ", killed mid-run: " << killed << "\n";
}

// ---------------------------------------------------------------------------
// Deterministic kills at every durability point. Random kills rarely land just
// around a commit, so these tests run a command under strace, list every call
// it makes to the syscalls that make work durable or visible (renames, syncs,
// unlinks), and then, for each such call, run the command again from the same
// starting archive with strace killing it (SIGKILL, on entry, so the call
// itself never happens). After each kill the archive must verify, the command's
// promise must hold (all or nothing), and running the command again must end
// where an uninterrupted run ends.

// The syscalls at which a command is killed.
constexpr const char* kDurabilitySyscalls =
    "rename,renameat,renameat2,fsync,fdatasync,syncfs,unlink,unlinkat";

// strace's path, from PATH; "" when absent.
std::string FindStrace() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/strace";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// Why strace cannot trace here ("" when it can): absent, or ptrace refused
// (a container's seccomp profile, a Yama setting).
std::string StraceUnusable(const std::string& strace) {
  if (strace.empty()) return "strace is not installed (scripts/deps.sh installs it)";
  auto r = testing::RunProcess({strace, "-f", "-qq", "-o", "/dev/null", "/bin/true"});
  if (r.exit_code != 0) return "strace cannot trace here (ptrace refused?): " + r.err;
  return "";
}

// The environment of a traced isnad: LeakSanitizer stops the world with
// ptrace, which fails under strace, so leak checks are off there (the other
// tests run the same commands with them on).
std::map<std::string, std::string> TracedEnv() {
#if defined(__SANITIZE_ADDRESS__)
  const char* asan = std::getenv("ASAN_OPTIONS");
  return {{"ASAN_OPTIONS", std::string(asan != nullptr ? asan : "") + ":detect_leaks=0"}};
#else
  return {};
#endif
}

// A call at which to kill: the `nth` call to `syscall` by one thread (strace
// counts per syscall and per thread), and the line strace wrote for it.
struct KillPoint {
  std::string syscall;
  int nth = 0;
  std::string line;
};

std::string Describe(const KillPoint& p) {
  return "killed on entry to " + p.syscall + " #" + std::to_string(p.nth) + ": " + p.line;
}

// Runs `isnad --archive AR ARGS...` to the end under strace and returns its
// durability calls in the order made (a call counted for several threads
// appears once, at its first).
std::vector<KillPoint> TraceKillPoints(const std::string& strace, const std::string& ar,
                                       std::vector<std::string> args, const std::string& trace) {
  args.insert(args.begin(),
              {strace, "-f", "-qq", "-o", trace, "-e", std::string("trace=") + kDurabilitySyscalls,
               testing::IsnadBinary(), "--archive", ar});
  auto r = testing::RunProcess(args, TracedEnv());
  EXPECT_EQ(r.exit_code, 0) << "the traced run failed: " << r.err;
  std::vector<KillPoint> points;
  std::map<std::pair<std::string, std::string>, int> per_thread;  // (pid, syscall) -> calls
  std::map<std::pair<std::string, int>, bool> seen;
  std::istringstream lines(core::testing::ReadTestFile(trace));
  std::string line;
  while (std::getline(lines, line)) {
    // "PID NAME(ARGS..." opens a call; "PID <... NAME resumed>" continues one.
    size_t space = line.find(' ');
    if (space == std::string::npos) continue;
    size_t name_at = line.find_first_not_of(' ', space);
    size_t paren = line.find('(', name_at);
    if (name_at == std::string::npos || paren == std::string::npos) continue;
    std::string name = line.substr(name_at, paren - name_at);
    if (name.empty() ||
        name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
      continue;
    }
    int nth = ++per_thread[{line.substr(0, space), name}];
    if (seen[{name, nth}]) continue;
    seen[{name, nth}] = true;
    size_t unfinished = line.find(" <unfinished");
    points.push_back(
        {name, nth,
         line.substr(name_at,
                     unfinished == std::string::npos ? std::string::npos : unfinished - name_at)});
  }
  return points;
}

// Runs `isnad --archive AR ARGS...` under strace, killed on entry to `p`;
// returns the exit code (-SIGKILL when the kill landed).
testing::RunResult RunKilledAt(const std::string& strace, const std::string& ar,
                               std::vector<std::string> args, const KillPoint& p) {
  args.insert(args.begin(),
              {strace, "-f", "-qq", "-o", "/dev/null", "-e", "trace=" + p.syscall, "-e",
               "inject=" + p.syscall + ":signal=KILL:when=" + std::to_string(p.nth),
               testing::IsnadBinary(), "--archive", ar});
  return testing::RunProcess(args, TracedEnv());
}

// Replaces `ar` with a copy of `start`.
void Restore(const std::string& start, const std::string& ar) {
  std::filesystem::remove_all(ar);
  std::filesystem::copy(start, ar, std::filesystem::copy_options::recursive);
}

// The kill points of `isnad ARGS` run on a copy of `start` at `ar`: every one
// under ISNAD_SOAK; otherwise, to keep the suite's time, every k-th (the last
// always) so that at most 16 remain, and every third at most under the
// sanitizers (each run several times slower there).
std::vector<KillPoint> SelectedKillPoints(const std::string& strace, const std::string& start,
                                          const std::string& ar,
                                          const std::vector<std::string>& args,
                                          const std::string& trace) {
  Restore(start, ar);
  std::vector<KillPoint> all = TraceKillPoints(strace, ar, args, trace);
  constexpr size_t kMaxPoints = 16;
  size_t stride = Soak() ? 1 : (all.size() + kMaxPoints - 1) / kMaxPoints;
#if defined(__SANITIZE_ADDRESS__)
  if (!Soak()) stride = std::max<size_t>(stride, 3);
#endif
  stride = std::max<size_t>(stride, 1);
  std::vector<KillPoint> chosen;
  for (size_t k = 0; k < all.size(); ++k) {
    if (k % stride == 0 || k + 1 == all.size()) chosen.push_back(all[k]);
  }
  std::cout << args[0] << ": " << all.size() << " durability calls, killing at " << chosen.size()
            << "\n";
  return chosen;
}

// The types of the log's entries, counted.
std::map<std::string, int> EntryTypes(const std::string& ar) {
  auto log = Isnad(ar, {"log", "--json"});
  EXPECT_EQ(log.exit_code, 0) << log.err;
  std::map<std::string, int> types;
  for (const core::Json& l : testing::JsonLines(log.out)) ++types[l["entry"].value("type", "")];
  return types;
}

// Every entry type is counted at least as in `once` (the log of one
// uninterrupted run) and at most as in `twice` (two uninterrupted runs: a step
// that had been committed before the kill is recorded again by the rerun, as
// it is when a user runs the command twice), with no other type.
void ExpectEntriesBetween(const std::map<std::string, int>& got,
                          const std::map<std::string, int>& once,
                          const std::map<std::string, int>& twice) {
  for (const auto& [type, n] : twice) {
    const int least = once.count(type) ? once.at(type) : 0;
    const int seen = got.count(type) ? got.at(type) : 0;
    EXPECT_TRUE(seen >= least && seen <= n)
        << type << ": " << seen << " entries, expected " << least << ".." << n;
  }
  for (const auto& [type, n] : got) EXPECT_TRUE(twice.count(type)) << "unexpected " << type;
}

// Skips the calling test when strace cannot run; evaluates to strace's path.
#define ISNAD_REQUIRE_STRACE(var)                            \
  const std::string var = FindStrace();                      \
  if (std::string why = StraceUnusable(var); !why.empty()) { \
    GTEST_SKIP() << why;                                     \
  }

// `add` of a few files, killed at each durability call: the archive verifies,
// every item held is one the add would have made (same row), and adding again
// ends with the catalogue and log an uninterrupted add gives.
TEST(CrashAtEveryPoint, Add) {
  ISNAD_REQUIRE_STRACE(strace);
  TempDir tmp;
  const std::string start = tmp.Join("start"), ar = tmp.Join("ar"), in = tmp.Join("in");
  ASSERT_EQ(Isnad(start, {"init", "--name", "crash.example/points"}).exit_code, 0);
  WriteTestFile(tmp.Join("first/a.txt"), "an earlier statement\n");
  ASSERT_EQ(Isnad(start, {"add", tmp.Join("first")}).exit_code, 0);
  for (int i = 0; i < 4; ++i) {
    WriteTestFile(in + "/f" + std::to_string(i) + ".txt",
                  "statement " + std::to_string(i) + " of a witness\n");
  }
  // One staging thread: strace counts calls per thread, so with several the Nth
  // call of a thread could fall to another in the killed run and never come.
  const std::vector<std::string> cmd = {"add", in, "--json", "-j", "1"};
  Restore(start, ar);
  ASSERT_EQ(Isnad(ar, cmd).exit_code, 0);
  const auto ref_items = ItemsBySha(ar);
  const auto once_types = EntryTypes(ar);
  ASSERT_EQ(Isnad(ar, cmd).exit_code, 0);
  const auto twice_types = EntryTypes(ar);
  ASSERT_EQ(ref_items.size(), 5u);

  auto points = SelectedKillPoints(strace, start, ar, cmd, tmp.Join("trace"));
  ASSERT_GE(points.size(), 5u);
  int killed = 0;
  for (const KillPoint& p : points) {
    SCOPED_TRACE(Describe(p));
    Restore(start, ar);
    auto run = RunKilledAt(strace, ar, cmd, p);
    killed += run.exit_code == -SIGKILL;
    auto verify = Isnad(ar, {"verify"});
    ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    for (const auto& [sha, row] : ItemsBySha(ar)) {
      auto it = ref_items.find(sha);
      ASSERT_NE(it, ref_items.end()) << "held but never added: " << sha;
      EXPECT_EQ(row, it->second) << sha;
    }
    auto again = Isnad(ar, cmd);
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(ItemsBySha(ar), ref_items);
    ExpectEntriesBetween(EntryTypes(ar), once_types, twice_types);
  }
  EXPECT_EQ(killed, static_cast<int>(points.size()));
  std::cout << "add: killed at " << killed << " of " << points.size() << " points\n";
}

// `import` of a small CSV naming new files, killed at each durability call:
// the archive verifies, every row is described or none is, and importing again
// ends where an uninterrupted import ends.
TEST(CrashAtEveryPoint, Import) {
  ISNAD_REQUIRE_STRACE(strace);
  TempDir tmp;
  const std::string start = tmp.Join("start"), ar = tmp.Join("ar"), in = tmp.Join("in");
  ASSERT_EQ(Isnad(start, {"init", "--name", "crash.example/points"}).exit_code, 0);
  constexpr int kRows = 4;
  std::string csv = "path,title,description,tags,event_date,language\n";
  for (int i = 0; i < kRows; ++i) {
    const std::string name = "f" + std::to_string(i) + ".txt";
    WriteTestFile(in + "/" + name, "imported statement " + std::to_string(i) + "\n");
    csv += name + ",pointrow " + std::to_string(i) + ",witness " + std::to_string(i) +
           ",points;crash,2013-08-2" + std::to_string(i) + ",en\n";
  }
  WriteTestFile(in + "/catalogue.csv", csv);
  const std::vector<std::string> cmd = {"import", in + "/catalogue.csv", "-j", "1"};  // as add
  Restore(start, ar);
  ASSERT_EQ(Isnad(ar, cmd).exit_code, 0);
  const auto ref_items = ItemsBySha(ar);
  const auto once_types = EntryTypes(ar);
  ASSERT_EQ(Isnad(ar, cmd).exit_code, 0);
  const auto twice_types = EntryTypes(ar);
  ASSERT_EQ(ref_items.size(), static_cast<size_t>(kRows));

  auto points = SelectedKillPoints(strace, start, ar, cmd, tmp.Join("trace"));
  ASSERT_GE(points.size(), 5u);
  int killed = 0, all_described = 0;
  for (const KillPoint& p : points) {
    SCOPED_TRACE(Describe(p));
    Restore(start, ar);
    auto run = RunKilledAt(strace, ar, cmd, p);
    killed += run.exit_code == -SIGKILL;
    auto verify = Isnad(ar, {"verify"});
    ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    int described = 0;
    for (const auto& [sha, row] : ItemsBySha(ar)) described += Contains(row, "pointrow ");
    EXPECT_TRUE(described == 0 || described == kRows) << described << " of " << kRows;
    all_described += described == kRows;
    auto search = Isnad(ar, {"search", "pointrow", "--json", "--limit", "100"});
    ASSERT_EQ(search.exit_code, 0) << search.err;
    int hits = 0;
    for (const core::Json& j : testing::JsonLines(search.out)) hits += j.contains("id");
    EXPECT_EQ(hits, described) << search.out;
    auto again = Isnad(ar, cmd);
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(ItemsBySha(ar), ref_items);
    ExpectEntriesBetween(EntryTypes(ar), once_types, twice_types);
  }
  EXPECT_EQ(killed, static_cast<int>(points.size()));
  std::cout << "import: killed at " << killed << " of " << points.size()
            << " points (all rows described at the kill: " << all_described << ")\n";
}

// `describe`, killed at each durability call: the archive verifies; its entry
// is in the log or not, and `show` shows the description exactly when it is;
// describing again ends with the catalogue an uninterrupted describe gives.
TEST(CrashAtEveryPoint, Describe) {
  ISNAD_REQUIRE_STRACE(strace);
  TempDir tmp;
  const std::string start = tmp.Join("start"), ar = tmp.Join("ar");
  ASSERT_EQ(Isnad(start, {"init", "--name", "crash.example/points"}).exit_code, 0);
  for (int i = 0; i < 3; ++i) {
    WriteTestFile(tmp.Join("in/f" + std::to_string(i) + ".txt"),
                  "statement " + std::to_string(i) + "\n");
  }
  auto added = Isnad(start, {"add", tmp.Join("in"), "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const std::string item = testing::JsonLines(added.out).at(1)["id"];
  const std::vector<std::string> cmd = {"describe",      item,     "--title",
                                        "Pointed title", "--date", "2013-08-21"};
  auto described_in_log = [](const std::string& a) {
    auto types = EntryTypes(a);
    return types.count("item.described") ? types.at("item.described") : 0;
  };
  auto shows = [&item](const std::string& a) {
    auto show = Isnad(a, {"show", item, "--json"});
    EXPECT_EQ(show.exit_code, 0) << show.err;
    return Contains(show.out, "Pointed title");
  };
  Restore(start, ar);
  const int before = described_in_log(ar);
  ASSERT_EQ(Isnad(ar, cmd).exit_code, 0);
  ASSERT_TRUE(shows(ar));
  const auto ref_items = ItemsBySha(ar);

  auto points = SelectedKillPoints(strace, start, ar, cmd, tmp.Join("trace"));
  ASSERT_GE(points.size(), 3u);
  int killed = 0, kept = 0;
  for (const KillPoint& p : points) {
    SCOPED_TRACE(Describe(p));
    Restore(start, ar);
    auto run = RunKilledAt(strace, ar, cmd, p);
    killed += run.exit_code == -SIGKILL;
    auto verify = Isnad(ar, {"verify"});
    ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    const int entries = described_in_log(ar) - before;
    ASSERT_TRUE(entries == 0 || entries == 1) << entries;
    EXPECT_EQ(shows(ar), entries == 1)
        << "the entry is " << (entries ? "" : "not ") << "in the log, but show disagrees";
    kept += entries;
    auto again = Isnad(ar, cmd);
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_TRUE(shows(ar));
    EXPECT_EQ(ItemsBySha(ar), ref_items);
  }
  EXPECT_EQ(killed, static_cast<int>(points.size()));
  std::cout << "describe: killed at " << killed << " of " << points.size()
            << " points (entry kept: " << kept << ")\n";
}

// `reindex`, killed at each durability call: `ls` and `search` answer exactly
// as before or refuse saying to run reindex, `verify` passes or says to run
// reindex; reindexing again then answers exactly as before and verifies.
TEST(CrashAtEveryPoint, Reindex) {
  ISNAD_REQUIRE_STRACE(strace);
  TempDir tmp;
  const std::string start = tmp.Join("start"), ar = tmp.Join("ar");
  ASSERT_EQ(Isnad(start, {"init", "--name", "crash.example/points"}).exit_code, 0);
  std::string csv = "path,title,description,tags,event_date\n";
  for (int i = 0; i < 6; ++i) {
    const std::string name = "s" + std::to_string(i) + ".txt";
    WriteTestFile(tmp.Join("in/" + name), "statement " + std::to_string(i) + ": witness" +
                                              std::to_string(i % 3) + " saw\n");
    csv += name + ",Statement " + std::to_string(i) + ",told to the office,statement;t" +
           std::to_string(i % 2) + ",2013-08-1" + std::to_string(i) + "\n";
  }
  WriteTestFile(tmp.Join("in/catalogue.csv"), csv);
  auto imported = Isnad(start, {"import", tmp.Join("in/catalogue.csv")});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  const std::vector<std::vector<std::string>> reads = {
      {"ls", "--json"},
      {"search", "witness1", "--json"},
      {"search", "statement", "--tag", "t0", "--facets", "--json"}};
  std::vector<std::string> before;
  Restore(start, ar);
  for (const auto& args : reads) {
    auto r = Isnad(ar, args);
    ASSERT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    before.push_back(r.out);
  }
  ASSERT_TRUE(Contains(before[1], "\"id\"")) << before[1];
  auto check_reads = [&](bool may_refuse) {
    for (size_t k = 0; k < reads.size(); ++k) {
      auto r = Isnad(ar, reads[k]);
      if (r.exit_code != 0 && may_refuse) {
        EXPECT_TRUE(Contains(r.err, "reindex"))
            << reads[k][0] << " failed without saying what to do: " << r.err;
        continue;
      }
      ASSERT_EQ(r.exit_code, 0) << reads[k][0] << ": " << r.err;
      EXPECT_EQ(r.out, before[k]) << reads[k][0] << " " << reads[k][1] << " answers differently";
    }
  };

  auto points = SelectedKillPoints(strace, start, ar, {"reindex"}, tmp.Join("trace"));
  ASSERT_GE(points.size(), 3u);
  int killed = 0;
  for (const KillPoint& p : points) {
    SCOPED_TRACE(Describe(p));
    Restore(start, ar);
    auto run = RunKilledAt(strace, ar, {"reindex"}, p);
    killed += run.exit_code == -SIGKILL;
    check_reads(/*may_refuse=*/true);
    auto verify = Isnad(ar, {"verify"});
    if (verify.exit_code != 0) {
      EXPECT_TRUE(Contains(verify.out + verify.err, "reindex")) << verify.out << verify.err;
    }
    auto again = Isnad(ar, {"reindex"});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    check_reads(/*may_refuse=*/false);
    verify = Isnad(ar, {"verify"});
    ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  }
  EXPECT_EQ(killed, static_cast<int>(points.size()));
  std::cout << "reindex: killed at " << killed << " of " << points.size() << " points\n";
}

}  // namespace
}  // namespace isnad
