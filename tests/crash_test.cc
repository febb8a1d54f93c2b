// Crash safety: `isnad add` of many files is killed with SIGKILL at random
// moments, many times over. After each kill, `isnad verify` must pass and every
// item that add had acknowledged (printed) must be present and provable.
// ISNAD_SOAK=1 runs many more rounds (scripts/test documents it).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "core/canonical_json.h"
#include "core/testing/temp_dir.h"
#include "subprocess.h"

namespace isnad {
namespace {

using core::testing::TempDir;
using core::testing::WriteTestFile;

TEST(Crash, KilledAddsLoseNothingAcknowledged) {
  const char* soak = std::getenv("ISNAD_SOAK");
  const int rounds = soak != nullptr && *soak != '\0' ? 300 : 25;
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

}  // namespace
}  // namespace isnad
