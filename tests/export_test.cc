// `isnad export` and `isnad verify-bag` end to end through the real binary: round
// trips as a folder, .zip and .tar; every tampering the issue lists, each caught
// and named; the BagIt conformance suite; and selective disclosure (the bag of
// one exhibit of an archive of 2,000 holds nothing of the others).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "archive/archive.h"
#include "archive/timestamp.h"
#include "bag_test_util.h"
#include "core/canonical_json.h"
#include "core/digest.h"
#include "core/encoding.h"
#include "core/testing/temp_dir.h"
#include "log/checkpoint.h"
#include "log/note.h"
#include "subprocess.h"
#include "tsa/fake_tsa.h"
#include "tsa/timestamp.h"

namespace isnad {
namespace {

namespace fs = std::filesystem;
using core::Json;
using core::testing::ReadTestFile;
using core::testing::TempDir;
using core::testing::WriteTestFile;
using testing::FilesUnder;
using testing::Rebag;
using testing::RunProcess;
using testing::RunResult;

const std::string kSuite = std::string(ISNAD_TESTDATA_DIR) + "/bagit-conformance-suite";
const std::string kTsaData = std::string(ISNAD_TESTDATA_DIR) + "/rfc3161-digitorus";

std::vector<Json> JsonLines(const std::string& out) {
  std::vector<Json> v;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) v.push_back(Json::parse(line));
  }
  return v;
}

std::vector<std::string> TextLines(const std::string& text) {
  std::vector<std::string> v;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) v.push_back(line);
  return v;
}

bool HasLineStarting(const std::string& out, const std::string& prefix) {
  for (const auto& l : TextLines(out)) {
    if (l.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

RunResult VerifyBag(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {testing::IsnadBinary(), "verify-bag"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv);
}

class Export : public ::testing::Test {
 protected:
  void SetUp() override {
    archive_ = tmp_.Join("ar");
    ASSERT_EQ(isnad({"init", "--name", "test.example/ar"}).exit_code, 0);
    vkey_ = JsonLines(isnad({"key", "--json"}).out)[0]["vkey"].get<std::string>();
  }
  RunResult isnad(std::vector<std::string> args) {
    args.insert(args.begin(), {testing::IsnadBinary(), "--archive", archive_});
    return RunProcess(args, {{"ISNAD_OPERATOR", "tester@test"}});
  }
  // Adds one file (its own batch: its own checkpoint) and returns its item id.
  std::string Add(const std::string& rel, const std::string& bytes) {
    WriteTestFile(tmp_.Join("in/" + rel), bytes);
    auto r = isnad({"add", tmp_.Join("in/" + rel), "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto lines = JsonLines(r.out);
    return lines.empty() ? "" : lines[0]["id"].get<std::string>();
  }
  // The archive opened for writing, as the library's user.
  std::unique_ptr<archive::Archive> OpenForWriting() {
    archive::Options o;
    o.operator_name = "tester@test";
    auto a = archive::Archive::Open(archive_, archive::Mode::kWrite, o);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? std::move(*a) : nullptr;
  }
  // Has `authority` (checked against its own root) time-stamp the current checkpoint.
  archive::TimestampResult Stamp(archive::Archive& a, const tsa::testing::FakeTsa& authority) {
    tsa::VerifyOptions vo;
    vo.roots_pem = authority.root_pem();
    auto stamped = archive::TimestampCheckpoint(a, {authority.url()}, vo, 10);
    EXPECT_TRUE(stamped.ok()) << stamped.status().ToString();
    if (!stamped.ok()) return {};
    EXPECT_EQ(stamped->recorded(), 1u) << stamped->tsas[0].status.ToString();
    return std::move(*stamped);
  }
  std::string Recorded(std::vector<std::string> args) {
    args.push_back("--json");
    auto r = isnad(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto lines = JsonLines(r.out);
    return lines.empty() || !lines[0].contains("id") ? "" : lines[0]["id"].get<std::string>();
  }
  // A case with two exhibits and an event documented by a third item, each
  // described, tagged, reviewed and annotated (one long note, stored as a
  // blob), beside an unrelated item with its own secrets.
  void MakeCase() {
    photo_ = Add("a/photo of impact.jpg", "\xff\xd8\xff\xe0 impact site photo bytes");
    // Named as macOS writes names (decomposed, NFD: "e" + U+0301): the bag names it composed.
    report_ = Add("b/lab-report-ble\u0301.pdf", "%PDF-1.4 laboratory report on samples");
    warrant_ = Add("c/warrant.txt", "Arrest warrant text\n");
    other_ = Add("z/unrelated-secret-file.txt", "unrelated secret bytes\n");
    ASSERT_EQ(isnad({"describe", photo_, "--title", "Impact site, Zamalka", "--date", "2013-08-21"})
                  .exit_code,
              0);
    ASSERT_EQ(isnad({"tag", photo_, "sarin", "rocket"}).exit_code, 0);
    ASSERT_EQ(isnad({"review", photo_, "--status", "verified", "--reason", "geolocated"}).exit_code,
              0);
    ASSERT_EQ(isnad({"note", photo_, "seen by two witnesses"}).exit_code, 0);
    ASSERT_EQ(isnad({"note", report_, std::string(70000, 'L')}).exit_code, 0);
    ASSERT_EQ(isnad({"tag", other_, "other-secret-tag"}).exit_code, 0);
    ASSERT_EQ(isnad({"note", other_, "other secret note"}).exit_code, 0);
    case_ = Recorded({"case", "add", "--title", "Prosecutor v. Unit 155", "--title-ar",
                      "النيابة ضد الوحدة ١٥٥", "--jurisdiction", "Paris"});
    ASSERT_FALSE(case_.empty());
    ASSERT_EQ(isnad({"case", "link", case_, photo_, report_}).exit_code, 0);
    ASSERT_EQ(isnad({"case", "event", case_, "--type", "warrant", "--date", "2023-11-15",
                     "--document", warrant_, "--description", "arrest warrants issued"})
                  .exit_code,
              0);
  }
  // verify-bag and the bundled verify-bag.py both pass `bag`, pinned to the archive's key.
  void ExpectBothVerifiersPass(const std::string& bag) {
    auto v = VerifyBag({bag, "--key", vkey_});
    EXPECT_EQ(v.exit_code, 0) << v.out;
    WriteTestFile(tmp_.Join("archive.vkey"), vkey_ + "\n");
    auto py = RunProcess({"/usr/bin/env", "python3",
                          std::string(ISNAD_SOURCE_DIR) + "/scripts/verify-bag.py", "--key",
                          tmp_.Join("archive.vkey"), bag});
    EXPECT_EQ(py.exit_code, 0) << py.out << py.err;
  }
  // The bag's custody entries of `type` taken out and the manifests remade: both
  // verifiers fail it, saying `item` (which that entry excused) is a missing exhibit.
  void ExpectMissingWithout(const std::string& bag, const std::vector<Json>& entries,
                            const std::string& type, const std::string& item) {
    std::string text;
    for (const Json& l : entries) {
      if (Json::parse(l["entry"].get<std::string>())["type"] != type) text += l.dump() + "\n";
    }
    WriteTestFile(bag + "/data/custody/entries.jsonl", text);
    Rebag(bag);
    auto v = VerifyBag({bag, "--key", vkey_});
    EXPECT_EQ(v.exit_code, 10) << v.out;
    EXPECT_TRUE(HasLineStarting(v.out, "data/exhibits/" + item + "/")) << v.out;
    WriteTestFile(tmp_.Join("archive.vkey"), vkey_ + "\n");
    auto py = RunProcess({"/usr/bin/env", "python3",
                          std::string(ISNAD_SOURCE_DIR) + "/scripts/verify-bag.py", "--key",
                          tmp_.Join("archive.vkey"), bag});
    EXPECT_EQ(py.exit_code, 1) << py.out;
    EXPECT_TRUE(HasLineStarting(py.out, "FAIL data/exhibits/" + item + "/")) << py.out;
  }
  std::string ExportCase(const std::string& out) {
    auto r = isnad({"export", "--case", case_, "--out", out, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
    return r.out;
  }

  TempDir tmp_;
  std::string archive_, vkey_;
  std::string photo_, report_, warrant_, other_, case_;
};

// ---------------------------------------------------------------- round trips

class RoundTrip : public Export, public ::testing::WithParamInterface<const char*> {};

TEST_P(RoundTrip, ExportThenVerifyBagPasses) {
  MakeCase();
  const std::string out = tmp_.Join(std::string("case") + GetParam());
  auto summary = JsonLines(ExportCase(out));
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(summary[0]["exhibits"], Json({photo_, report_, warrant_}));
  EXPECT_GT(summary[0]["entries"].get<int>(), 8);
  EXPECT_FALSE(summary[0]["checkpoints"].empty()) << "entries in earlier checkpoints";

  auto r = VerifyBag({out, "--key", vkey_});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(HasLineStarting(r.out, "OK: ")) << r.out;
  EXPECT_EQ(r.out.find("not pinned"), std::string::npos) << r.out;

  auto j = VerifyBag({out, "--key", vkey_, "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.out;
  Json last = JsonLines(j.out).back();
  EXPECT_EQ(last["ok"], true);
  EXPECT_EQ(last["custody"], true);
  EXPECT_EQ(last["key_pinned"], true);
  EXPECT_EQ(last["exhibits"], 3);
  EXPECT_EQ(last["bagit_version"], "1.0");

  // Without a key: still verifies against the bag's own, and says so.
  auto unpinned = VerifyBag({out});
  EXPECT_EQ(unpinned.exit_code, 0) << unpinned.out;
  EXPECT_NE(unpinned.out.find("not pinned"), std::string::npos) << unpinned.out;

  // The key may also be given as a file.
  WriteTestFile(tmp_.Join("archive.vkey"), vkey_ + "\n");
  EXPECT_EQ(VerifyBag({out, "--key", tmp_.Join("archive.vkey")}).exit_code, 0);

  // The bundled script takes the key as text too, and a folder or a .zip as it is;
  // a .tar, or a key that is neither, is a mistake in the call (exit 2), not a
  // finding about the bag.
  const std::string script = std::string(ISNAD_SOURCE_DIR) + "/scripts/verify-bag.py";
  auto py = RunProcess({"/usr/bin/env", "python3", script, "--key", vkey_, out});
  if (std::string(GetParam()) == ".tar") {
    EXPECT_EQ(py.exit_code, 2) << py.out << py.err;
    EXPECT_NE(py.err.find("unpack a .tar"), std::string::npos) << py.err;
  } else {
    EXPECT_EQ(py.exit_code, 0) << py.out << py.err;
    EXPECT_TRUE(HasLineStarting(py.out, "OK")) << py.out;
  }
  auto bad_key = RunProcess({"/usr/bin/env", "python3", script, "--key", "no-such.vkey", out});
  EXPECT_EQ(bad_key.exit_code, 2) << bad_key.out << bad_key.err;
  EXPECT_NE(bad_key.err.find("neither a file"), std::string::npos) << bad_key.err;
}

// ".ZIP": the ending in any case (a name typed on a system that shows them in capitals).
INSTANTIATE_TEST_SUITE_P(Formats, RoundTrip, ::testing::Values("", ".zip", ".tar", ".ZIP"),
                         [](const auto& info) {
                           std::string s = info.param;
                           return s.empty() ? std::string("folder") : s.substr(1);
                         });

TEST_F(Export, FolderBagHasTheDocumentedLayout) {
  MakeCase();
  const std::string bag = tmp_.Join("bag");
  ExportCase(bag);
  std::set<std::string> files;
  for (const auto& f : FilesUnder(bag)) files.insert(f);
  for (const char* f :
       {"bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt",
        "tagmanifest-sha256.txt", "tagmanifest-sha512.txt", "data/README.txt",
        "data/custody/log.vkey", "data/custody/checkpoint", "data/custody/entries.jsonl",
        "data/custody/consistency.jsonl", "data/report/report-en.html",
        "data/report/report-ar.html", "data/report/report-en.pdf", "data/report/report-ar.pdf"}) {
    EXPECT_TRUE(files.count(f)) << f;
  }
  EXPECT_TRUE(files.count("data/exhibits/" + photo_ + "/photo of impact.jpg"));
  EXPECT_TRUE(files.count("data/exhibits/" + photo_ + "/metadata.json"));
  EXPECT_TRUE(files.count("data/exhibits/" + warrant_ + "/warrant.txt"));
  EXPECT_EQ(ReadTestFile(bag + "/data/exhibits/" + photo_ + "/photo of impact.jpg"),
            "\xff\xd8\xff\xe0 impact site photo bytes");
  EXPECT_EQ(ReadTestFile(bag + "/data/custody/log.vkey"), vkey_ + "\n");
  // The procedure and the script to check it without isnad travel with it.
  const std::string source = ISNAD_SOURCE_DIR;
  EXPECT_EQ(ReadTestFile(bag + "/data/tools/verify-bag.py"),
            ReadTestFile(source + "/scripts/verify-bag.py"));
  EXPECT_EQ(ReadTestFile(bag + "/data/tools/verifying.md"),
            ReadTestFile(source + "/docs/verifying.md"));
  // The long note travels as its blob, named by its hash.
  const std::string note = std::string(70000, 'L');
  EXPECT_TRUE(files.count("data/custody/notes/" + core::Sha256Of(note).Hex() + ".txt"));

  std::string info = ReadTestFile(bag + "/bag-info.txt");
  for (const char* label :
       {"Source-Organization: test.example/ar", "Bagging-Date: ", "Bag-Software-Agent: isnad",
        "External-Identifier: test.example/ar/", "External-Description: Prosecutor v. Unit 155",
        "Payload-Oxum: ", "Isnad-Checkpoint-Size: ", "Isnad-Checkpoint-Root: ", "Isnad-Vkey: "}) {
    EXPECT_NE(info.find(label), std::string::npos) << label << "\n" << info;
  }

  Json meta = Json::parse(ReadTestFile(bag + "/data/exhibits/" + photo_ + "/metadata.json"));
  EXPECT_EQ(meta["file"], "photo of impact.jpg");
  EXPECT_EQ(meta["name"], "photo of impact.jpg");
  EXPECT_EQ(meta["status"], "verified");
  EXPECT_EQ(meta["title"]["en"], "Impact site, Zamalka");
  EXPECT_EQ(meta["cases"], Json({case_}));
  EXPECT_EQ(meta["tags"], Json({"rocket", "sarin"}));
  EXPECT_EQ(meta["sha512"].get<std::string>().size(), 128u);

  // Entries: entry 0, everything about the three exhibits (the photo's media analysis
  // too: its bytes are a JPEG head, so `add` analysed it), and the case's own.
  std::set<std::string> types;
  for (const auto& line : JsonLines(ReadTestFile(bag + "/data/custody/entries.jsonl"))) {
    Json e = Json::parse(line["entry"].get<std::string>());
    types.insert(e["type"].get<std::string>());
    EXPECT_EQ(line["entry"].get<std::string>().find(other_ + "\""), std::string::npos);
  }
  EXPECT_EQ(types,
            (std::set<std::string>{"archive.created", "item.ingested", "item.analyzed",
                                   "item.described", "item.tagged", "item.reviewed", "note.added",
                                   "case.added", "case.linked", "case.event"}));
  // The report names the exhibits with their hashes, in both languages.
  std::string en = ReadTestFile(bag + "/data/report/report-en.html");
  std::string ar = ReadTestFile(bag + "/data/report/report-ar.html");
  for (const std::string* html : {&en, &ar}) {
    EXPECT_NE(html->find(core::Sha256Of("Arrest warrant text\n").Hex()), std::string::npos);
  }
  EXPECT_NE(ar.find("rtl"), std::string::npos);
  // The case's jurisdiction is in the report; its recording is dated the day it entered the
  // archive, not called the case's opening.
  EXPECT_NE(en.find("<th>Jurisdiction</th><td><bdi>Paris</bdi>"), std::string::npos) << en;
  EXPECT_NE(en.find("case recorded in the archive"), std::string::npos) << en;
  EXPECT_EQ(ar.find("فُتح ملف القضية"), std::string::npos);
  EXPECT_EQ(ReadTestFile(bag + "/data/report/report-en.pdf").substr(0, 5), "%PDF-");
  // Nothing of the unrelated item, anywhere.
  for (const auto& f : FilesUnder(bag)) {
    std::string content = ReadTestFile(bag + "/" + f);
    for (const std::string& secret :
         {std::string("unrelated-secret-file"), std::string("other-secret-tag"),
          std::string("other secret note"), core::Sha256Of("unrelated secret bytes\n").Hex()}) {
      EXPECT_EQ(content.find(secret), std::string::npos) << secret << " in " << f;
    }
  }
}

TEST_F(Export, IncidentAndItemsExports) {
  MakeCase();
  std::string inc = Recorded({"incident", "add", "--title", "Ghouta attack", "--date", "2013-08-21",
                              "--type", "chemical attack"});
  ASSERT_FALSE(inc.empty());
  ASSERT_EQ(isnad({"incident", "link", inc, photo_}).exit_code, 0);
  auto r = isnad({"export", "--incident", "Ghouta attack", "--out", tmp_.Join("inc.zip")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Exported 1 exhibit"), std::string::npos) << r.out;
  EXPECT_EQ(VerifyBag({tmp_.Join("inc.zip"), "--key", vkey_}).exit_code, 0);

  r = isnad({"export", "--items", report_, warrant_, "--out", tmp_.Join("items.tar")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto v = VerifyBag({tmp_.Join("items.tar"), "--key", vkey_, "--json"});
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_EQ(JsonLines(v.out).back()["exhibits"], 2);
}

// A case's package carries what its exhibits back beyond themselves: the incidents
// they are linked to (with their places) and the claims (relations) that cite them as
// sources, with the actors those name and any withdrawal; a claim resting only on
// items outside the package stays out. Both verifiers accept it, and the report lists
// each claim with its sources and confidence.
TEST_F(Export, ACasePackageCarriesTheIncidentsAndTheChainOfCommandItsExhibitsBack) {
  MakeCase();
  const std::string zamalka = Recorded({"place", "add", "--name", "Zamalka"});
  const std::string inc = Recorded(
      {"incident", "add", "--title", "Ghouta attack", "--date", "2013-08-21", "--place", zamalka});
  ASSERT_EQ(isnad({"incident", "link", inc, photo_}).exit_code, 0);
  const std::string brigade =
      Recorded({"actor", "add", "--type", "unit", "--name", "155th Missile Brigade"});
  const std::string commander =
      Recorded({"actor", "add", "--type", "person", "--name", "Commander Alpha"});
  const std::string elsewhere = Recorded({"actor", "add", "--type", "unit", "--name", "Unit Far"});
  const std::string commands =
      Recorded({"relation", "add", commander, "commands", brigade, "--from", "2012", "--source",
                photo_ + ":high", "--source", other_ + ":low"});
  const std::string responsible =
      Recorded({"relation", "add", brigade, "responsible_for", inc, "--source", report_});
  const std::string mistaken =
      Recorded({"relation", "add", elsewhere, "subordinate_of", brigade, "--source", photo_});
  ASSERT_EQ(isnad({"relation", "withdraw", mistaken, "--reason", "the wrong unit"}).exit_code, 0);
  const std::string unrelated =
      Recorded({"relation", "add", elsewhere, "member_of", commander, "--source", other_});
  ASSERT_FALSE(unrelated.empty());
  // Another incident: the photo linked alone, then taken out with an item not exported.
  const std::string side = Recorded({"incident", "add", "--title", "Side incident"});
  ASSERT_EQ(isnad({"incident", "link", side, photo_}).exit_code, 0);
  ASSERT_EQ(isnad({"incident", "link", side, other_}).exit_code, 0);
  ASSERT_EQ(
      isnad({"incident", "unlink", side, photo_, other_, "--reason", "secret reason"}).exit_code,
      0);

  const std::string bag = tmp_.Join("case");
  // The warrant is in the bag as the document of a case event, not as an exhibit.
  Json summary = JsonLines(ExportCase(bag)).back();
  EXPECT_EQ(summary["event_documents"], Json::array({warrant_})) << summary.dump();
  EXPECT_EQ(Json::parse(ReadTestFile(bag + "/data/exhibits/" + warrant_ + "/metadata.json"))
                .value("event_document", false),
            true);
  std::set<std::string> types;
  std::set<std::string> relations;
  for (const auto& line : JsonLines(ReadTestFile(bag + "/data/custody/entries.jsonl"))) {
    Json e = Json::parse(line["entry"].get<std::string>());
    types.insert(e["type"].get<std::string>());
    const std::string leaf = std::to_string(line["leaf_index"].get<uint64_t>());
    if (e["type"] == "relation.added") relations.insert("rel" + leaf);
    if (e["type"] == "actor.added") relations.insert("ac" + leaf);
  }
  for (const char* t : {"incident.added", "incident.linked", "place.added", "actor.added",
                        "relation.added", "relation.withdrawn"}) {
    EXPECT_TRUE(types.count(t)) << t;
  }
  EXPECT_EQ(relations, (std::set<std::string>{commands, responsible, mistaken, brigade, commander,
                                              elsewhere}));
  Json meta = Json::parse(ReadTestFile(bag + "/data/exhibits/" + photo_ + "/metadata.json"));
  EXPECT_EQ(meta["incidents"], Json::array({inc})) << meta.dump();
  EXPECT_FALSE(meta.contains("event_document")) << meta.dump();
  // Its custody names the claims it is a source of.
  Json listed = meta["custody_entries"];
  for (const std::string& rel : {commands, mistaken}) {
    const uint64_t leaf = std::stoull(rel.substr(3));
    EXPECT_NE(std::find(listed.begin(), listed.end(), Json(leaf)), listed.end()) << rel;
  }
  const uint64_t not_its = std::stoull(responsible.substr(3));
  EXPECT_EQ(std::find(listed.begin(), listed.end(), Json(not_its)), listed.end());

  EXPECT_EQ(VerifyBag({bag, "--key", vkey_}).exit_code, 0);
  WriteTestFile(tmp_.Join("archive.vkey"), vkey_ + "\n");
  auto py = RunProcess({"/usr/bin/env", "python3",
                        std::string(ISNAD_SOURCE_DIR) + "/scripts/verify-bag.py", "--key",
                        tmp_.Join("archive.vkey"), bag});
  EXPECT_EQ(py.exit_code, 0) << py.out << py.err;

  const std::string en = ReadTestFile(bag + "/data/report/report-en.html");
  EXPECT_NE(en.find("incident: Ghouta attack (" + inc + ") — 2013-08-21 — places: Zamalka (" +
                    zamalka + ") — exhibits linked to it: " + photo_),
            std::string::npos)
      << en;
  EXPECT_NE(en.find("claim " + commands + ": Commander Alpha (" + commander +
                    ") commands 155th Missile Brigade (" + brigade + ") (2012 – …) — sources: " +
                    photo_ + " (high), " + other_ + " (low; not in this package)"),
            std::string::npos)
      << en;
  EXPECT_NE(en.find("responsible_for Ghouta attack (" + inc + ")"), std::string::npos);
  EXPECT_NE(en.find("a source of claim " + commands + ": " + commander + " commands " + brigade),
            std::string::npos)
      << en;
  EXPECT_NE(en.find("TAKEN BACK"), std::string::npos);
  EXPECT_NE(en.find("the wrong unit"), std::string::npos);
  EXPECT_EQ(en.find("member_of"), std::string::npos) << "a claim none of the exhibits backs";
  // An unlink that names an item outside the bag stays out, with its reason.
  for (const auto& f : FilesUnder(bag)) {
    EXPECT_EQ(ReadTestFile(bag + "/" + f).find("secret reason"), std::string::npos) << f;
  }
  // The case's own timeline holds the case's events, not the incidents the claims name.
  const size_t timeline = en.find("<section id=\"timeline\">");
  ASSERT_NE(timeline, std::string::npos);
  const std::string own = en.substr(timeline, en.find("</section>", timeline) - timeline);
  EXPECT_EQ(own.find("Ghouta attack"), std::string::npos) << own;
}

// An exhibit withdrawn from the case (case.unlinked) is not in the bag, but the
// link that made it one and the withdrawal with its reason are: both verifiers
// accept that, the report says it, and a bag with the withdrawal taken out
// fails as missing the exhibit.
TEST_F(Export, AWithdrawnExhibitLeavesItsLinkAndTheWithdrawalInTheBag) {
  MakeCase();
  auto u = isnad({"case", "unlink", case_, report_, "--reason", "chain of custody broken"});
  ASSERT_EQ(u.exit_code, 0) << u.err;
  const std::string bag = tmp_.Join("bag");
  ExportCase(bag);
  EXPECT_FALSE(fs::exists(bag + "/data/exhibits/" + report_));
  EXPECT_TRUE(fs::exists(bag + "/data/exhibits/" + photo_));
  std::vector<Json> entries = JsonLines(ReadTestFile(bag + "/data/custody/entries.jsonl"));
  int links = 0, unlinks = 0;
  for (const Json& l : entries) {
    Json e = Json::parse(l["entry"].get<std::string>());
    if (e["type"] == "case.linked") {
      ++links;
      EXPECT_EQ(e["items"], Json::array({photo_, report_}));
    }
    if (e["type"] == "case.unlinked") {
      ++unlinks;
      EXPECT_EQ(e["reason"], "chain of custody broken");
    }
  }
  EXPECT_EQ(links, 1) << "the link naming the photo and the withdrawn report";
  EXPECT_EQ(unlinks, 1);
  ExpectBothVerifiersPass(bag);
  std::string en = ReadTestFile(bag + "/data/report/report-en.html");
  EXPECT_NE(en.find("exhibits withdrawn: " + report_ + " — chain of custody broken"),
            std::string::npos);
  EXPECT_NE(ReadTestFile(bag + "/data/README.txt").find("but for the id of an item"),
            std::string::npos);

  // The withdrawal taken out (manifests remade): the report is a missing exhibit.
  ExpectMissingWithout(bag, entries, "case.unlinked", report_);

  // Linked again: an exhibit once more, and the report says so after the withdrawal.
  ASSERT_EQ(isnad({"case", "link", case_, report_}).exit_code, 0);
  const std::string again = tmp_.Join("again");
  ExportCase(again);
  EXPECT_TRUE(fs::exists(again + "/data/exhibits/" + report_));
  ExpectBothVerifiersPass(again);
  en = ReadTestFile(again + "/data/report/report-en.html");
  size_t withdrawn_at = en.find("exhibits withdrawn: " + report_);
  size_t again_at = en.find("linked again: " + report_);
  ASSERT_NE(withdrawn_at, std::string::npos);
  ASSERT_NE(again_at, std::string::npos) << "the relink is in the report's timeline";
  EXPECT_LT(withdrawn_at, again_at);
}

// A case event withdrawn (a wrong date): the bag keeps the event and its
// withdrawal, so the court sees both, but not the document that was in the case
// only through that event; both verifiers accept its absence because of the
// withdrawal, and refuse it once the withdrawal is taken out of the bag.
TEST_F(Export, AWithdrawnCaseEventStaysInTheBagWithoutItsDocument) {
  MakeCase();
  auto shown = JsonLines(isnad({"case", "show", case_, "--json"}).out);
  ASSERT_EQ(shown.size(), 1u);
  ASSERT_EQ(shown[0]["events"].size(), 1u);
  const std::string event = shown[0]["events"][0]["id"];
  auto w = isnad(
      {"case", "withdraw-event", event, "--reason", "wrong day: issued on 2023-11-14", "--json"});
  ASSERT_EQ(w.exit_code, 0) << w.err;
  const Json withdrawal = JsonLines(w.out).at(0)["leaf_index"];
  const std::string bag = tmp_.Join("bag");
  ExportCase(bag);
  EXPECT_FALSE(fs::exists(bag + "/data/exhibits/" + warrant_));
  EXPECT_TRUE(fs::exists(bag + "/data/exhibits/" + report_));
  std::vector<Json> entries = JsonLines(ReadTestFile(bag + "/data/custody/entries.jsonl"));
  int events = 0, withdrawals = 0;
  for (const Json& l : entries) {
    Json e = Json::parse(l["entry"].get<std::string>());
    events += e["type"] == "case.event";
    if (e["type"] == "case.event_withdrawn") {
      ++withdrawals;
      EXPECT_EQ(e["event"], event);
    }
  }
  EXPECT_EQ(events, 1);
  EXPECT_EQ(withdrawals, 1);
  ExpectBothVerifiersPass(bag);
  std::string en = ReadTestFile(bag + "/data/report/report-en.html");
  EXPECT_NE(en.find("(WITHDRAWN on "), std::string::npos) << en;
  EXPECT_NE(en.find("case event withdrawn: " + event + " (2023-11-15 warrant: arrest warrants"),
            std::string::npos)
      << en;
  EXPECT_NE(en.find("wrong day: issued on 2023-11-14"), std::string::npos);

  // The withdrawal taken out (manifests remade): the document is a missing exhibit.
  ExpectMissingWithout(bag, entries, "case.event_withdrawn", warrant_);

  // The right event recorded: its document is in the bag again, beside the history.
  ASSERT_EQ(isnad({"case", "event", case_, "--type", "warrant", "--date", "2023-11-14",
                   "--document", warrant_, "--description", "arrest warrants issued"})
                .exit_code,
            0);
  const std::string again = tmp_.Join("again");
  ExportCase(again);
  EXPECT_TRUE(fs::exists(again + "/data/exhibits/" + warrant_));
  ExpectBothVerifiersPass(again);
  en = ReadTestFile(again + "/data/report/report-en.html");
  EXPECT_NE(en.find("case event withdrawn: " + event), std::string::npos);
  EXPECT_NE(en.find("2023-11-14"), std::string::npos);
  // The document's own custody holds the withdrawn event and its withdrawal too.
  Json meta = Json::parse(ReadTestFile(again + "/data/exhibits/" + warrant_ + "/metadata.json"));
  Json listed = meta["custody_entries"];
  EXPECT_NE(std::find(listed.begin(), listed.end(), withdrawal), listed.end()) << meta.dump();
}

TEST_F(Export, RefusesBadRequests) {
  MakeCase();
  // Nothing chosen, two things chosen, an unknown case, an existing output.
  EXPECT_EQ(isnad({"export", "--out", tmp_.Join("x")}).exit_code, 2);
  EXPECT_EQ(
      isnad({"export", "--case", case_, "--items", photo_, "--out", tmp_.Join("x")}).exit_code, 2);
  EXPECT_EQ(isnad({"export", "--case", "case999", "--out", tmp_.Join("x")}).exit_code, 3);
  fs::create_directories(tmp_.Join("exists"));
  EXPECT_NE(isnad({"export", "--case", case_, "--out", tmp_.Join("exists")}).exit_code, 0);
  EXPECT_FALSE(fs::exists(tmp_.Join("x")));
  // A kind of file isnad does not write is refused, not made a folder of that name.
  auto seven = isnad({"export", "--case", case_, "--out", tmp_.Join("case.7z")});
  EXPECT_EQ(seven.exit_code, 2) << seven.err;
  EXPECT_NE(seven.err.find("did you mean " + tmp_.Join("case.zip") + "?"), std::string::npos)
      << seven.err;
  EXPECT_FALSE(fs::exists(tmp_.Join("case.7z")));
  // verify-bag: no such bag (3), a key that is not a key (2).
  EXPECT_EQ(VerifyBag({tmp_.Join("nothing-here")}).exit_code, 3);
  ExportCase(tmp_.Join("bag"));
  EXPECT_EQ(VerifyBag({tmp_.Join("bag"), "--key", "not-a-key"}).exit_code, 2);
}

// Exhibits are read once, copied and hashed in the same pass; bytes that no
// longer match their entry fail the export and leave no package behind.
TEST_F(Export, DamagedExhibitFailsAndLeavesNothing) {
  std::string good = Add("good.txt", "bytes that stay as they were");
  const std::string bytes = "bytes that will be damaged on disk";
  std::string bad = Add("bad.txt", bytes);
  const std::string hex = core::Sha256Of(bytes).Hex();
  const std::string blob =
      archive_ + "/objects/sha256/" + hex.substr(0, 2) + "/" + hex.substr(2, 2) + "/" + hex;
  ASSERT_TRUE(fs::exists(blob)) << blob;
  fs::permissions(blob, fs::perms::owner_write, fs::perm_options::add);
  WriteTestFile(blob, "bytes that were damaged on disk!!!");
  for (const std::string out : {"bag", "bag.zip"}) {
    auto r = isnad({"export", "--items", good, bad, "--out", tmp_.Join(out)});
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_NE(r.err.find("damaged"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(bad), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(tmp_.Join(out))) << out;
  }
  for (const auto& entry : fs::directory_iterator(tmp_.path())) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos)
        << entry.path() << " left behind";
  }
  // The undamaged exhibit alone still exports.
  EXPECT_EQ(isnad({"export", "--items", good, "--out", tmp_.Join("good")}).exit_code, 0);
}

TEST_F(Export, ExhibitNamesNeverCollideOrEscape) {
  std::string a = Add("one/metadata.json", "a file that is called metadata.json");
  std::string b = Add("two/..hidden:name", "a hidden name with a colon");
  std::string c = Add("three/same.txt", "same name, bytes one");
  std::string d = Add("four/same.txt", "same name, bytes two");
  // Names Windows would not unpack as they are: a device name, trailing dots and space.
  std::string e = Add("five/Aux.txt", "a device name on Windows");
  std::string f = Add("six/trail. .", "trailing dot and space");
  std::string g = Add("seven/nul .txt", "a device name with a space before its dot");
  auto r = isnad({"export", "--items", a, b, c, d, e, f, g, "--out", tmp_.Join("bag")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string bag = tmp_.Join("bag");
  EXPECT_TRUE(fs::exists(bag + "/data/exhibits/" + a + "/_metadata.json"));
  EXPECT_TRUE(fs::exists(bag + "/data/exhibits/" + b + "/hidden_name"));
  EXPECT_TRUE(fs::exists(bag + "/data/exhibits/" + c + "/same.txt"));
  EXPECT_TRUE(fs::exists(bag + "/data/exhibits/" + d + "/same.txt"));
  EXPECT_TRUE(fs::exists(bag + "/data/exhibits/" + e + "/_Aux.txt"));
  EXPECT_TRUE(fs::exists(bag + "/data/exhibits/" + f + "/trail"));
  EXPECT_TRUE(fs::exists(bag + "/data/exhibits/" + g + "/_nul .txt"));
  Json meta = Json::parse(ReadTestFile(bag + "/data/exhibits/" + b + "/metadata.json"));
  EXPECT_EQ(meta["name"], "..hidden:name");
  EXPECT_EQ(VerifyBag({bag, "--key", vkey_}).exit_code, 0);
}

// ---------------------------------------------------------------- tampering

// An export killed half-way leaves `<out>.tmp-<pid>`; the next export to the
// same place removes it (its process is gone), and never one of a live process:
// while that one is at work, a second export to the same place is refused at
// once (exit 4, locked), rather than failing after writing the whole bag.
TEST_F(Export, TheNextExportRemovesWhatAKilledOneLeft) {
  MakeCase();
  pid_t gone = testing::StartProcess({"/bin/true"}, "/dev/null", "/dev/null");
  ASSERT_EQ(testing::WaitProcess(gone), 0);
  const std::string out = tmp_.Join("case.zip"), folder = tmp_.Join("bag");
  const std::string dead_zip = out + ".tmp-" + std::to_string(gone);
  const std::string dead_folder = folder + ".tmp-" + std::to_string(gone);
  WriteTestFile(dead_zip, "half a zip");
  WriteTestFile(dead_folder + "/data/exhibits/i1/x", "half a bag");
  ExportCase(out);
  ExportCase(folder);
  EXPECT_FALSE(fs::exists(dead_zip));
  EXPECT_FALSE(fs::exists(dead_folder));
  EXPECT_EQ(VerifyBag({out, "--key", vkey_}).exit_code, 0);
  const std::string busy = tmp_.Join("busy.zip");
  const std::string live = busy + ".tmp-" + std::to_string(::getpid());
  WriteTestFile(live, "another export at work");
  RunResult second = isnad({"export", "--case", case_, "--out", busy});
  EXPECT_EQ(second.exit_code, 4) << second.err;
  EXPECT_NE(second.err.find("another export to " + busy + " is under way"), std::string::npos)
      << second.err;
  EXPECT_EQ(ReadTestFile(live), "another export at work");
  EXPECT_FALSE(fs::exists(busy));
}

class Tamper : public Export {
 protected:
  void SetUp() override {
    Export::SetUp();
    MakeCase();
    bag_ = tmp_.Join("bag");
    ExportCase(bag_);
    ASSERT_EQ(VerifyBag({bag_, "--key", vkey_}).exit_code, 0);
  }
  // verify-bag must fail (10) and print a line "FILE: ..." naming `file`.
  void ExpectCaught(const std::string& file, const std::string& what = "") {
    auto r = VerifyBag({bag_, "--key", vkey_});
    EXPECT_EQ(r.exit_code, 10) << r.out << r.err;
    bool named = false;
    for (const auto& l : TextLines(r.out)) {
      if (l.rfind(file + ":", 0) == 0 && l.find(what) != std::string::npos) named = true;
    }
    EXPECT_TRUE(named) << "no line \"" << file << ": ..." << what << "\" in:\n" << r.out;
    EXPECT_TRUE(HasLineStarting(r.out, "FAILED: ")) << r.out;
  }
  std::vector<Json> Entries() {
    std::vector<Json> v = JsonLines(ReadTestFile(bag_ + "/data/custody/entries.jsonl"));
    return v;
  }
  void WriteEntries(const std::vector<Json>& lines) {
    std::string text;
    for (const auto& l : lines) text += l.dump() + "\n";
    WriteTestFile(bag_ + "/data/custody/entries.jsonl", text);
  }
  std::string ExhibitPath(const std::string& id, const std::string& name) {
    return "data/exhibits/" + id + "/" + name;
  }
  std::string bag_;
};

TEST_F(Tamper, FlippedExhibitByte) {
  const std::string rel = ExhibitPath(photo_, "photo of impact.jpg");
  std::string bytes = ReadTestFile(bag_ + "/" + rel);
  bytes[3] ^= 1;
  WriteTestFile(bag_ + "/" + rel, bytes);
  ExpectCaught(rel);
  // Even with the manifests made to match, the custody log names the true hash.
  Rebag(bag_);
  ExpectCaught(rel, "custody entry");
}

TEST_F(Tamper, MissingFile) {
  const std::string rel = ExhibitPath(warrant_, "warrant.txt");
  fs::remove(bag_ + "/" + rel);
  ExpectCaught(rel);
  Rebag(bag_);  // removed from the manifests too: metadata.json still names it
  ExpectCaught(rel, "missing");
}

// The whole folder of an exhibit removed, and the manifests remade: no file is then
// missing by BagIt's rules, but the custody entries still record the exhibit.
TEST_F(Tamper, RemovedExhibitFolder) {
  fs::remove_all(bag_ + "/data/exhibits/" + warrant_);
  Rebag(bag_);
  ExpectCaught("data/exhibits/" + warrant_ + "/", "item.ingested");
}

// The folder and its item.ingested entry both taken out, the manifests remade
// (which takes out the signed statement too): the proved case.linked entry
// still names the exhibit.
TEST_F(Tamper, RemovedExhibitAndItsEntry) {
  fs::remove_all(bag_ + "/data/exhibits/" + photo_);
  std::vector<Json> kept;
  const uint64_t photo_leaf = std::stoull(photo_.substr(1));  // "i7" -> 7
  for (const Json& l : Entries()) {
    if (l["leaf_index"].get<uint64_t>() != photo_leaf) kept.push_back(l);
  }
  ASSERT_LT(kept.size(), Entries().size()) << "the photo's item.ingested line was found";
  WriteEntries(kept);
  Rebag(bag_);
  ExpectCaught("data/exhibits/" + photo_ + "/", "case.linked");
}

TEST_F(Tamper, ExtraFile) {
  WriteTestFile(bag_ + "/data/exhibits/" + photo_ + "/planted.jpg", "planted");
  ExpectCaught("data/exhibits/" + photo_ + "/planted.jpg");
}

TEST_F(Tamper, BagItWarningIsPrintedButDoesNotFail) {
  WriteTestFile(bag_ + "/data/Thumbs.db", "left behind by Windows");
  // Remade manifests take out the archive's statement: a second warning, and the bag is
  // then proved in part (exit 1), not failed (10): nothing in it contradicts the proofs.
  Rebag(bag_);
  auto r = VerifyBag({bag_, "--key", vkey_});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(HasLineStarting(r.out, "warning: data/Thumbs.db: ")) << r.out;
  EXPECT_TRUE(HasLineStarting(r.out, "PROVED IN PART: ")) << r.out;
  auto j = VerifyBag({bag_, "--key", vkey_, "--json"});
  EXPECT_EQ(j.exit_code, 1);
  auto lines = JsonLines(j.out);
  EXPECT_EQ(lines.front()["warning"], true);
  EXPECT_EQ(lines.back()["ok"], false);
  EXPECT_EQ(lines.back()["problems"], 0);
  EXPECT_EQ(lines.back()["warnings"], 2);
  EXPECT_TRUE(HasLineStarting(r.out, "warning: isnad-statement.txt: absent")) << r.out;
}

TEST_F(Tamper, ManifestLineOutsideTheBag) {
  std::string m = ReadTestFile(bag_ + "/manifest-sha256.txt");
  m += core::Sha256Of("root:x:0:0").Hex() + "  ../../etc/passwd\n";
  WriteTestFile(bag_ + "/manifest-sha256.txt", m);
  auto r = VerifyBag({bag_, "--key", vkey_});
  EXPECT_EQ(r.exit_code, 10);
  EXPECT_NE(r.out.find("../../etc/passwd"), std::string::npos) << r.out;
  ExpectCaught("manifest-sha256.txt");
}

TEST_F(Tamper, SwappedHashesInAnInclusionProof) {
  auto lines = Entries();
  size_t k = 0;
  while (k < lines.size() && lines[k]["inclusion"].size() < 2) ++k;
  ASSERT_LT(k, lines.size());
  std::swap(lines[k]["inclusion"][0], lines[k]["inclusion"][1]);
  WriteEntries(lines);
  ExpectCaught("data/custody/entries.jsonl");  // BagIt: the file changed
  Rebag(bag_);
  ExpectCaught("data/custody/entries.jsonl",
               "line " + std::to_string(k + 1) + " (entry " +
                   std::to_string(lines[k]["leaf_index"].get<uint64_t>()) +
                   "): inclusion proof does not hold");
}

TEST_F(Tamper, EntriesReorderedAgainstTheirProofs) {
  auto lines = Entries();
  ASSERT_GE(lines.size(), 4u);
  std::swap(lines[1]["entry"], lines[2]["entry"]);
  WriteEntries(lines);
  Rebag(bag_);
  ExpectCaught("data/custody/entries.jsonl", "line 2");
  ExpectCaught("data/custody/entries.jsonl", "line 3");
}

TEST_F(Tamper, WholeLinesReordered) {
  auto lines = Entries();
  std::swap(lines[1], lines[2]);
  WriteEntries(lines);
  Rebag(bag_);
  ExpectCaught("data/custody/entries.jsonl", "out of order");
}

TEST_F(Tamper, CheckpointSignedByAnotherKey) {
  auto skey = tlog::NoteSigner::GenerateSkey("test.example/ar");
  ASSERT_TRUE(skey.ok());
  auto signer = tlog::NoteSigner::FromSkey(*skey);
  ASSERT_TRUE(signer.ok());
  std::string note = ReadTestFile(bag_ + "/data/custody/checkpoint");
  std::string text = note.substr(0, note.find("\n\n") + 1);
  auto forged = tlog::SignNote(text, {&*signer});
  ASSERT_TRUE(forged.ok());
  WriteTestFile(bag_ + "/data/custody/checkpoint", *forged);
  Rebag(bag_);
  ExpectCaught("data/custody/checkpoint", "not signed by the key");
  // The forger also replaces the bag's key: a pinned key still catches it...
  WriteTestFile(bag_ + "/data/custody/log.vkey", signer->vkey() + "\n");
  Rebag(bag_);
  ExpectCaught("data/custody/log.vkey", "not the key given");
  // ...and, unpinned, entry 0 still records the archive's real key.
  auto r = VerifyBag({bag_});
  EXPECT_EQ(r.exit_code, 10) << r.out;
  EXPECT_NE(r.out.find("archive.created names another key"), std::string::npos) << r.out;
}

// Checking a genuine bag with another archive's key is one mistake: said once, naming the
// key that did sign it, with no per-file cascade and no summary counting entries "proved".
TEST_F(Tamper, AnotherArchivesKeyIsOneCauseSaidOnce) {
  auto skey = tlog::NoteSigner::GenerateSkey("test.example/other");
  ASSERT_TRUE(skey.ok());
  auto other = tlog::NoteSigner::FromSkey(*skey);
  ASSERT_TRUE(other.ok());
  auto ours = tlog::NoteVerifier::FromVkey(vkey_);
  ASSERT_TRUE(ours.ok());
  auto r = VerifyBag({bag_, "--key", other->vkey()});
  EXPECT_EQ(r.exit_code, 10) << r.out;
  std::vector<std::string> problems;
  for (const auto& l : TextLines(r.out)) {
    if (l.rfind("FAILED: ", 0) != 0 && l.rfind("note: ", 0) != 0) problems.push_back(l);
  }
  EXPECT_EQ(problems.size(), 3u) << r.out;  // log.vkey, checkpoint, exhibits
  EXPECT_TRUE(HasLineStarting(r.out, "data/custody/checkpoint: signed by " + ours->name() + "+"))
      << r.out;
  EXPECT_EQ(r.out.find("proved against checkpoint"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("none proved: the bag was signed by " + ours->name()), std::string::npos)
      << r.out;
  // Its own key still passes.
  EXPECT_EQ(VerifyBag({bag_, "--key", vkey_}).exit_code, 0);
}

TEST_F(Tamper, EarlierCheckpointAndConsistencyProof) {
  std::vector<std::string> earlier;
  for (const auto& f : FilesUnder(bag_ + "/data/custody/checkpoints")) earlier.push_back(f);
  ASSERT_FALSE(earlier.empty());
  const std::string rel = "data/custody/checkpoints/" + earlier[0];
  // A consistency proof with a hash altered.
  auto lines = JsonLines(ReadTestFile(bag_ + "/data/custody/consistency.jsonl"));
  ASSERT_FALSE(lines.empty());
  std::string text;
  for (auto& l : lines) {
    if (!l["proof"].empty()) {
      std::string raw = *core::Base64Decode(l["proof"][0].get<std::string>());
      raw[0] ^= 1;
      l["proof"][0] = core::Base64Encode(raw);
    }
    text += l.dump() + "\n";
  }
  WriteTestFile(bag_ + "/data/custody/consistency.jsonl", text);
  Rebag(bag_);
  auto r = VerifyBag({bag_, "--key", vkey_});
  EXPECT_EQ(r.exit_code, 10);
  EXPECT_NE(r.out.find("not consistent with data/custody/checkpoint"), std::string::npos) << r.out;
}

// ---------------------------------------------------------------- timestamps

TEST_F(Export, TimestampTokensAreExportedAndChecked) {
  MakeCase();
  tsa::testing::FakeTsa authority;
  uint64_t stamped_size = 0;
  {
    archive::Options o;
    o.operator_name = "tester@test";
    auto a = archive::Archive::Open(archive_, archive::Mode::kWrite, o);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    stamped_size = (*a)->log().size();
    tsa::VerifyOptions vo;
    vo.roots_pem = authority.root_pem();
    auto stamped = archive::TimestampCheckpoint(**a, {authority.url()}, vo, 10);
    ASSERT_TRUE(stamped.ok()) << stamped.status().ToString();
    ASSERT_EQ(stamped->recorded(), 1u) << stamped->tsas[0].status.ToString();
    ASSERT_EQ(stamped->checkpoint_size, stamped_size);
  }
  ASSERT_EQ(isnad({"note", photo_, "after the timestamp"}).exit_code, 0);
  const std::string bag = tmp_.Join("bag");
  auto summary = JsonLines(ExportCase(bag));
  EXPECT_EQ(summary[0]["timestamps"], 1);
  const std::string token = "data/custody/timestamps/" + std::to_string(stamped_size) + "-0.tst";
  ASSERT_TRUE(fs::exists(bag + "/" + token));
  ASSERT_TRUE(fs::exists(bag + "/data/custody/checkpoints/" + std::to_string(stamped_size)));

  WriteTestFile(tmp_.Join("roots.pem"), authority.root_pem());
  auto r = VerifyBag({bag, "--key", vkey_, "--tsa-roots", tmp_.Join("roots.pem")});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.find("trusted roots"), std::string::npos) << r.out;
  EXPECT_FALSE(HasLineStarting(r.out, "warning: ")) << r.out;  // its entry is in the bag
  r = VerifyBag({bag, "--key", vkey_});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("not checked against trusted roots"), std::string::npos) << r.out;
  // Against a root that issued nothing of this authority's: the chain fails.
  WriteTestFile(tmp_.Join("other.pem"), tsa::testing::UnrelatedRootPem());
  r = VerifyBag({bag, "--key", vkey_, "--tsa-roots", tmp_.Join("other.pem")});
  EXPECT_EQ(r.exit_code, 10) << r.out;
  EXPECT_TRUE(HasLineStarting(r.out, token + ":")) << r.out;

  // A token over another checkpoint: the real token claimed for checkpoint N.
  std::string head = ReadTestFile(bag + "/data/custody/checkpoint");
  auto cp = tlog::Checkpoint::Parse(head.substr(0, head.find("\n\n") + 1));
  ASSERT_TRUE(cp.ok());
  ASSERT_NE(cp->size, stamped_size);
  const std::string moved = "data/custody/timestamps/" + std::to_string(cp->size) + "-0.tst";
  fs::rename(bag + "/" + token, bag + "/" + moved);
  Rebag(bag);
  r = VerifyBag({bag, "--key", vkey_});
  EXPECT_EQ(r.exit_code, 10) << r.out;
  EXPECT_TRUE(HasLineStarting(r.out, moved + ": RFC 3161 token over data/custody/checkpoint"))
      << r.out;
  // And a genuine token of a public TSA over something else entirely.
  if (fs::exists(kTsaData + "/respNonce.tsr")) {
    fs::remove(bag + "/" + moved);
    WriteTestFile(bag + "/" + token, ReadTestFile(kTsaData + "/respNonce.tsr"));
    Rebag(bag);
    r = VerifyBag({bag, "--key", vkey_});
    EXPECT_EQ(r.exit_code, 10) << r.out;
    EXPECT_TRUE(HasLineStarting(r.out, token + ":")) << r.out;
  }
}

// A token that verifies only with extra certificates (--certs) is not recorded:
// a bag carries the token alone, and verify-bag could never verify it.
TEST_F(Export, ATokenWithoutItsCertificatesIsNotRecorded) {
  MakeCase();
  tsa::testing::FakeTsa authority(tsa::testing::Misbehave::kNoCertificates);
  auto a = OpenForWriting();
  ASSERT_NE(a, nullptr);
  const uint64_t size = a->log().size();
  tsa::VerifyOptions vo;
  vo.roots_pem = authority.root_pem();
  vo.untrusted_pem = authority.cert_pem();
  auto stamped = archive::TimestampCheckpoint(*a, {authority.url()}, vo, 10);
  ASSERT_TRUE(stamped.ok()) << stamped.status().ToString();
  EXPECT_EQ(stamped->recorded(), 0u);
  ASSERT_EQ(stamped->tsas.size(), 1u);
  EXPECT_NE(stamped->tsas[0].status.message().find("does not carry"), std::string::npos)
      << stamped->tsas[0].status.ToString();
  EXPECT_EQ(a->log().size(), size);
  // The same TSA's token with its certificates is recorded.
  authority.set_mode(tsa::testing::Misbehave::kNone);
  Stamp(*a, authority);
}

// The timestamp.added entry that records a token says what the token says: an
// entry (signed by the archive's key) claiming another genTime for a genuine
// token fails verify-bag, whose report would print the entry's genTime.
TEST_F(Export, ATimestampEntryClaimingAnotherGenTimeFailsVerifyBag) {
  MakeCase();
  tsa::testing::FakeTsa authority;
  {
    auto a = OpenForWriting();
    ASSERT_NE(a, nullptr);
    archive::TimestampResult stamped = Stamp(*a, authority);
    ASSERT_EQ(stamped.recorded(), 1u);
    ASSERT_NE(stamped.tsas[0].token.gen_time, "2001-01-01T00:00:00Z");
    core::Json forged = {{"type", std::string(catalog::kTimestampAdded)},
                         {"checkpoint_size", stamped.checkpoint_size},
                         {"checkpoint_sha256", stamped.checkpoint_sha256.Hex()},
                         {"tsa", authority.url()},
                         {"token_sha256", stamped.tsas[0].token_sha256.Hex()},
                         {"gen_time", "2001-01-01T00:00:00Z"}};
    ASSERT_TRUE(a->Record({forged}).ok());
  }
  const std::string bag = tmp_.Join("bag");
  ExportCase(bag);
  auto r = VerifyBag({bag, "--key", vkey_});
  EXPECT_EQ(r.exit_code, 10) << r.out;
  EXPECT_NE(r.out.find("says genTime 2001-01-01T00:00:00Z"), std::string::npos) << r.out;
}

// A token removed, or stored where an export writes none, with the manifests remade:
// both verifiers fail the bag, naming the same file.
TEST_F(Export, MissingOrPlantedTimestampTokensAreCaughtByBothVerifiers) {
  MakeCase();
  tsa::testing::FakeTsa authority;
  std::vector<uint64_t> stamped;
  for (int i = 0; i < 2; ++i) {  // two tokens, over two checkpoints
    auto a = OpenForWriting();
    ASSERT_NE(a, nullptr);
    archive::TimestampResult s = Stamp(*a, authority);
    ASSERT_EQ(s.recorded(), 1u);
    stamped.push_back(s.checkpoint_size);
    a.reset();
    // An entry between the two: the second token is the earliest over it.
    ASSERT_EQ(isnad({"note", photo_, "after timestamp " + std::to_string(i)}).exit_code, 0);
  }
  const std::string genuine = tmp_.Join("genuine");
  ExportCase(genuine);
  const std::string dir = "data/custody/timestamps/";
  const std::string first = dir + std::to_string(stamped[0]) + "-0.tst";
  const std::string second = dir + std::to_string(stamped[1]) + "-0.tst";
  ASSERT_TRUE(fs::exists(genuine + "/" + first));
  ASSERT_TRUE(fs::exists(genuine + "/" + second));
  WriteTestFile(tmp_.Join("archive.vkey"), vkey_ + "\n");
  const std::string script = std::string(ISNAD_SOURCE_DIR) + "/scripts/verify-bag.py";
  auto both = [&](const std::string& name, const std::function<void(const std::string&)>& tamper,
                  const std::string& named, const std::string& what) {
    const std::string bag = tmp_.Join("t-" + name);
    testing::CopyTree(genuine, bag);
    if (tamper) {
      tamper(bag);
      Rebag(bag);
    }
    auto cc = VerifyBag({bag, "--key", vkey_});
    auto py =
        RunProcess({"/usr/bin/env", "python3", script, "--key", tmp_.Join("archive.vkey"), bag});
    EXPECT_EQ(cc.exit_code, named.empty() ? 0 : 10) << name << "\n" << cc.out;
    EXPECT_EQ(py.exit_code, named.empty() ? 0 : 1) << name << "\n" << py.out << py.err;
    if (named.empty()) return;
    EXPECT_TRUE(HasLineStarting(cc.out, named + ": " + what)) << name << "\n" << cc.out;
    EXPECT_TRUE(HasLineStarting(py.out, "FAIL " + named + ":")) << name << "\n" << py.out;
  };
  both("genuine", nullptr, "", "");
  both(
      "all-removed", [&](const std::string& bag) { fs::remove_all(bag + "/" + dir); }, dir,
      "missing: the bag's custody entry");
  both(
      "one-removed", [&](const std::string& bag) { fs::remove(bag + "/" + first); }, dir,
      "missing: the bag's custody entry");
  // The same bytes as a .tsr: a name an export never writes, and the .tst it replaced
  // is missing.
  const std::string tsr = dir + std::to_string(stamped[1]) + "-0.tsr";
  both(
      "renamed-tsr",
      [&](const std::string& bag) { fs::rename(bag + "/" + second, bag + "/" + tsr); }, tsr,
      "not part of an isnad export");
  both(
      "planted-tsr",
      [&](const std::string& bag) { fs::copy_file(bag + "/" + second, bag + "/" + tsr); }, tsr,
      "not part of an isnad export");
}

// ---------------------------------------------------------------- conformance suite

TEST(ConformanceSuite, VerifyBagAgreesWithEveryBag) {
  if (!fs::exists(kSuite)) GTEST_SKIP() << "conformance data absent: " << kSuite;
  int checked = 0;
  for (const auto& version : fs::directory_iterator(kSuite)) {
    if (!version.is_directory()) continue;
    for (const auto& cls : fs::directory_iterator(version.path())) {
      const std::string kind = cls.path().filename().string();
      if (kind == "windows-only") continue;  // valid on Linux
      for (const auto& b : fs::directory_iterator(cls.path())) {
        if (!b.is_directory()) continue;
        auto r = VerifyBag({b.path().string()});
        const std::string name =
            version.path().filename().string() + "/" + kind + "/" + b.path().filename().string();
        ++checked;
        if (kind == "valid") {
          EXPECT_EQ(r.exit_code, 0) << name << "\n" << r.out << r.err;
          EXPECT_NE(r.out.find("BagIt bag only"), std::string::npos) << name << r.out;
        } else if (kind == "warning") {
          EXPECT_EQ(r.exit_code, 0) << name << "\n" << r.out << r.err;
          EXPECT_TRUE(HasLineStarting(r.out, "warning: ")) << name << "\n" << r.out;
        } else {  // invalid, linux-only
          EXPECT_EQ(r.exit_code, 10) << name << "\n" << r.out << r.err;
          EXPECT_TRUE(HasLineStarting(r.out, "FAILED: ")) << name << "\n" << r.out;
        }
      }
    }
  }
  EXPECT_GT(checked, 0);
}

// ---------------------------------------------------------------- selective disclosure

TEST_F(Export, OneExhibitOfTwoThousandRevealsNothingOfTheOthers) {
  constexpr int kItems = 2000;
  auto name = [](int k) { return "witness-upload-" + std::to_string(10000 + k) + ".txt"; };
  auto bytes = [](int k) { return "statement number " + std::to_string(k) + " of a witness\n"; };
  for (int k = 0; k < kItems; ++k) WriteTestFile(tmp_.Join("many/" + name(k)), bytes(k));
  auto added = isnad({"add", tmp_.Join("many"), "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  std::map<std::string, int> id_of;  // item id -> k
  for (const auto& j : JsonLines(added.out)) {
    std::string n = j["name"];
    id_of[j["id"]] = std::stoi(n.substr(15, 5)) - 10000;
  }
  ASSERT_EQ(id_of.size(), static_cast<size_t>(kItems));
  // Some of the others carry graph entries and notes of their own.
  std::vector<std::string> ids;
  for (const auto& [id, k] : id_of) ids.push_back(id);
  const std::string chosen = ids[1234];
  for (int k = 0; k < 5; ++k) {
    ASSERT_EQ(isnad({"tag", ids[k], "secret-tag-" + std::to_string(k)}).exit_code, 0);
    ASSERT_EQ(isnad({"note", ids[k], "secret note " + std::to_string(k)}).exit_code, 0);
  }
  ASSERT_EQ(isnad({"describe", ids[7], "--title", "Secret title seven"}).exit_code, 0);
  ASSERT_EQ(isnad({"describe", chosen, "--title", "The chosen one"}).exit_code, 0);
  std::string inc = Recorded({"incident", "add", "--title", "Secret incident"});
  ASSERT_EQ(isnad({"incident", "link", inc, ids[3], chosen}).exit_code, 0);

  const std::string bag = tmp_.Join("one");
  auto r = isnad({"export", "--items", chosen, "--out", bag});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(VerifyBag({bag, "--key", vkey_}).exit_code, 0);

  // Exactly one exhibit, with exactly its bytes.
  std::vector<std::string> exhibit_files;
  for (const auto& f : FilesUnder(bag + "/data/exhibits")) exhibit_files.push_back(f);
  const int k_chosen = id_of[chosen];
  EXPECT_EQ(exhibit_files,
            (std::vector<std::string>{chosen + "/metadata.json", chosen + "/" + name(k_chosen)}));
  EXPECT_EQ(ReadTestFile(bag + "/data/exhibits/" + chosen + "/" + name(k_chosen)), bytes(k_chosen));

  // No file of the bag holds any other item's name, hash, id-bearing entry or secrets.
  std::vector<std::string> contents;
  for (const auto& f : FilesUnder(bag)) contents.push_back(ReadTestFile(bag + "/" + f));
  for (const auto& [id, k] : id_of) {
    if (id == chosen) continue;
    const std::string sha = core::Sha256Of(bytes(k)).Hex();
    for (const std::string& c : contents) {
      ASSERT_EQ(c.find(name(k)), std::string::npos) << name(k);
      ASSERT_EQ(c.find(sha), std::string::npos) << sha;
      ASSERT_EQ(c.find("\"" + id + "\""), std::string::npos) << id;
      ASSERT_EQ(c.find("\\\"" + id + "\\\""), std::string::npos) << id;  // inside an entry
    }
  }
  for (const std::string& c : contents) {
    for (const std::string& secret :
         {std::string("secret-tag-"), std::string("secret note"), std::string("Secret title"),
          std::string("Secret incident")}) {
      EXPECT_EQ(c.find(secret), std::string::npos) << secret;
    }
  }
  // Entries: entry 0 and those about the chosen item only.
  for (const auto& line : JsonLines(ReadTestFile(bag + "/data/custody/entries.jsonl"))) {
    Json e = Json::parse(line["entry"].get<std::string>());
    const std::string type = e["type"];
    uint64_t leaf = line["leaf_index"];
    if (type == "archive.created") {
      EXPECT_EQ(leaf, 0u);
    } else if (type == "item.ingested") {
      EXPECT_EQ("i" + std::to_string(leaf), chosen);
    } else {
      EXPECT_EQ(e.value("item", ""), chosen) << e.dump();
    }
  }
}

// ---------------------------------------------------------------- scripts/verify-bag.py

// The independent script (docs/verifying.md step 3) and `isnad verify-bag` give the
// same verdict on a case bag (reports, long note, case entries) and on tampered
// copies whose manifests were remade, so that BagIt alone cannot tell.
TEST_F(Export, VerifyBagScriptAgreesWithVerifyBag) {
  MakeCase();
  const std::string genuine = tmp_.Join("genuine");
  ExportCase(genuine);
  WriteTestFile(tmp_.Join("archive.vkey"), vkey_ + "\n");
  const std::string script = std::string(ISNAD_SOURCE_DIR) + "/scripts/verify-bag.py";
  // The verdicts: passed (0); every entry present proved but the bag not signed as a
  // whole, as when its statement was taken out (1); failed (10; the script exits 1).
  constexpr int kPass = 0, kInPart = 1, kFail = 10;
  // Tampers with a copy and remakes its manifests (taking out the archive's signed
  // statement, as a forger must, unless `keep_statement`); both verifiers judge alike.
  auto both = [&](const std::string& name, const std::function<void(const std::string&)>& tamper,
                  int verdict, const std::string& named, bool keep_statement = false) {
    const std::string bag = tmp_.Join("t-" + name);
    testing::CopyTree(genuine, bag);
    if (tamper) {
      tamper(bag);
      Rebag(bag, keep_statement);
    }
    auto cc = VerifyBag({bag, "--key", vkey_});
    auto py =
        RunProcess({"/usr/bin/env", "python3", script, "--key", tmp_.Join("archive.vkey"), bag});
    EXPECT_EQ(cc.exit_code, verdict) << name << "\n" << cc.out;
    EXPECT_EQ(py.exit_code, verdict == kPass ? 0 : 1) << name << "\n" << py.out << py.err;
    EXPECT_EQ(HasLineStarting(py.out, "PROVED IN PART"), verdict == kInPart) << name << py.out;
    EXPECT_EQ(HasLineStarting(cc.out, "PROVED IN PART"), verdict == kInPart) << name << cc.out;
    EXPECT_EQ(py.err.find("Traceback"), std::string::npos) << name << "\n" << py.err;
    if (!named.empty()) {
      EXPECT_TRUE(HasLineStarting(py.out, "FAIL " + named)) << name << py.out;
    }
  };
  both("genuine", nullptr, kPass, "");
  // Checked by BagIt only (bag.md): both pass once the manifests are remade.
  both(
      "report",
      [](const std::string& bag) {
        WriteTestFile(bag + "/data/report/report-en.html", "<p>altered</p>");
      },
      kInPart, "");
  both(
      "note-removed", [](const std::string& bag) { fs::remove_all(bag + "/data/custody/notes"); },
      kFail, "data/custody/notes/");
  both(
      "entry-twice",
      [](const std::string& bag) {
        const std::string f = bag + "/data/custody/entries.jsonl";
        auto lines = TextLines(ReadTestFile(f));
        WriteTestFile(f, ReadTestFile(f) + lines.back() + "\n");
      },
      kFail, "data/custody/entries.jsonl: line");
  both(
      "folder-renamed",
      [&](const std::string& bag) {
        fs::rename(bag + "/data/exhibits/" + photo_, bag + "/data/exhibits/i0" + photo_.substr(1));
      },
      kFail, "data/exhibits/" + photo_ + "/: missing");
  both(
      "exhibit-and-entry-removed",
      [&](const std::string& bag) {
        fs::remove_all(bag + "/data/exhibits/" + photo_);
        const std::string f = bag + "/data/custody/entries.jsonl";
        std::string kept;
        for (const std::string& line : TextLines(ReadTestFile(f))) {
          if (line.find("\"leaf_index\":" + photo_.substr(1) + "}") == std::string::npos) {
            kept += line + "\n";
          }
        }
        ASSERT_NE(kept, ReadTestFile(f));
        WriteTestFile(f, kept);
      },
      kFail, "data/exhibits/" + photo_ + "/: missing");
  both(
      "metadata-not-json",
      [&](const std::string& bag) {
        WriteTestFile(bag + "/data/exhibits/" + report_ + "/metadata.json",
                      std::string(100000, '['));
      },
      kFail, "data/exhibits/" + report_ + "/metadata.json: ");
  both(
      "bag-info-root",
      [](const std::string& bag) {
        std::string info = ReadTestFile(bag + "/bag-info.txt");
        size_t at = info.find("Isnad-Checkpoint-Root: ") + 23;
        info[at] = info[at] == 'A' ? 'B' : 'A';
        WriteTestFile(bag + "/bag-info.txt", info);
      },
      kFail, "bag-info.txt: Isnad-Checkpoint-Root");
  both(
      "bag-info-second-key",
      [](const std::string& bag) {
        WriteTestFile(bag + "/bag-info.txt",
                      ReadTestFile(bag + "/bag-info.txt") +
                          "Isnad-Vkey: forger.example+01234567+AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB"
                          "AQEBAQEBAQE=\n");
      },
      kFail, "bag-info.txt: gives Isnad-Vkey twice");

  // The archive's statement over the payload manifest catches what nothing else can: a
  // report altered, or an entry taken out (here the review of an exhibit), once the
  // manifests are remade. Without it (taken out too) both pass, with a warning.
  auto review_taken_out = [](const std::string& bag) {
    const std::string f = bag + "/data/custody/entries.jsonl";
    std::string kept;
    for (const std::string& line : TextLines(ReadTestFile(f))) {
      if (line.find("item.reviewed") == std::string::npos) kept += line + "\n";
    }
    ASSERT_NE(kept, ReadTestFile(f));
    WriteTestFile(f, kept);
  };
  both(
      "report-signed",
      [](const std::string& bag) {
        WriteTestFile(bag + "/data/report/report-en.html", "<p>altered</p>");
      },
      kFail, "isnad-statement.txt: does not state", true);
  both("review-taken-out-signed", review_taken_out, kFail, "isnad-statement.txt: does not state",
       true);
  // Without it, the exhibit's metadata.json still lists the entry taken out.
  both("review-taken-out", review_taken_out, kFail, "");
  // A blank key (an empty key file, a failed `isnad key > archive.vkey`) is refused, never
  // replaced by the bag's own.
  EXPECT_EQ(VerifyBag({genuine, "--key", "  "}).exit_code, 2);
  // The key as pasted from `isnad init`'s indented line.
  const auto cc = VerifyBag({genuine, "--key", "  " + vkey_ + " "});
  EXPECT_EQ(cc.exit_code, 0) << cc.out << cc.err;
  EXPECT_NE(cc.out.find("the bag is signed as a whole by that key"), std::string::npos) << cc.out;
  const auto unsigned_cc = VerifyBag({tmp_.Join("t-review-taken-out"), "--key", vkey_});
  EXPECT_TRUE(HasLineStarting(unsigned_cc.out, "warning: isnad-statement.txt: absent"))
      << unsigned_cc.out;
  EXPECT_NE(unsigned_cc.out.find("/metadata.json: names custody entry"), std::string::npos)
      << unsigned_cc.out;
  // A failed bag's summary counts as proved only the entries whose proof holds, and does
  // not call the bag signed as a whole.
  const std::string bad_proof = tmp_.Join("bad-proof");
  testing::CopyTree(genuine, bad_proof);
  {
    const std::string f = bad_proof + "/data/custody/entries.jsonl";
    std::string text;
    bool changed = false;
    for (Json& l : JsonLines(ReadTestFile(f))) {
      if (!changed && !l["inclusion"].empty()) {
        std::string h = l["inclusion"][0].get<std::string>();
        h[0] = h[0] == 'A' ? 'B' : 'A';  // another hash, still base64
        l["inclusion"][0] = h;
        changed = true;
      }
      text += l.dump() + "\n";
    }
    ASSERT_TRUE(changed);
    WriteTestFile(f, text);
  }
  const auto failed = VerifyBag({bad_proof, "--key", vkey_});
  EXPECT_EQ(failed.exit_code, 10) << failed.out;
  EXPECT_TRUE(HasLineStarting(failed.out, "FAILED")) << failed.out;
  const size_t lines = JsonLines(ReadTestFile(bad_proof + "/data/custody/entries.jsonl")).size();
  EXPECT_NE(failed.out.find(" of " + std::to_string(lines) + " custody entries proved"),
            std::string::npos)
      << failed.out;
  EXPECT_EQ(failed.out.find("signed as a whole by that key"), std::string::npos) << failed.out;
}

// An archive copied without its secret key still exports, saying that the bag is not
// signed as a whole; the bag is then proved in part (exit 1), not OK.
TEST_F(Export, WithoutTheSecretKeyTheBagIsNotSignedAsAWhole) {
  MakeCase();
  fs::rename(archive_ + "/keys/log.skey", tmp_.Join("log.skey"));
  const std::string bag = tmp_.Join("unsigned");
  auto r = isnad({"export", "--case", case_, "--out", bag});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("not signed as a whole"), std::string::npos) << r.out << r.err;
  EXPECT_FALSE(fs::exists(bag + "/isnad-statement.txt"));
  auto v = VerifyBag({bag, "--key", vkey_});
  EXPECT_EQ(v.exit_code, 1) << v.out;
  EXPECT_TRUE(HasLineStarting(v.out, "warning: isnad-statement.txt: absent")) << v.out;
  EXPECT_TRUE(HasLineStarting(v.out, "PROVED IN PART")) << v.out;
}

}  // namespace
}  // namespace isnad
