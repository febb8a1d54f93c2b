// The evidence graph commands of `isnad` end to end, with the real binary in
// a temporary archive: describe, tag, review, derive, place, incident, actor,
// relation, case, timeline and search, their JSON Lines, their exit codes and
// warnings, and that a catalogue rebuilt from the log answers every one of
// them byte for byte as before.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "catalog/entries.h"
#include "core/canonical_json.h"
#include "core/testing/temp_dir.h"
#include "subprocess.h"

namespace isnad {
namespace {

using core::Json;
using core::testing::TempDir;
using core::testing::WriteTestFile;
using testing::JsonLines;
using testing::RunProcess;
using testing::RunResult;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The ids a --json search printed, in order (the facets line has none).
std::vector<std::string> HitIds(const std::string& out) {
  std::vector<std::string> ids;
  for (const Json& j : JsonLines(out)) {
    if (j.contains("id")) ids.push_back(j["id"]);
  }
  return ids;
}

bool Has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// The ids of a scenario: three items, places, an incident, actors, relations,
// a case with events out of date order.
struct Ghouta {
  std::string video, photo, report;
  std::string ghouta, zamalka, ein_tarma;
  std::string incident;
  std::string brigade, division, scm;
  std::string present, subordinate;
  std::string kase, warrant, complaint, appeal;
};

class GraphCli : public ::testing::Test {
 protected:
  void SetUp() override {
    archive_ = tmp_.Join("ar");
    WriteTestFile(tmp_.Join("in/video.bin"), std::string(5000, '\x01') + "\x02\x03 binary");
    WriteTestFile(
        tmp_.Join("in/photo.jpg"),
        std::string("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 20) +
            std::string(300, '\x7f'));
    WriteTestFile(tmp_.Join("in/report.txt"),
                  "Field report from the medical point: patients arrived before dawn.\n");
    ASSERT_EQ(isnad({"init", "--name", "test.example/graph"}).exit_code, 0);
  }

  RunResult isnad(std::vector<std::string> args, const std::string& fake_time = "") {
    args.insert(args.begin(), {testing::IsnadBinary(), "--archive", archive_});
    std::map<std::string, std::string> env = {{"ISNAD_OPERATOR", "tester@test"}};
    if (!fake_time.empty()) env["ISNAD_FAKE_TIME"] = fake_time;
    return RunProcess(args, env);
  }

  // Runs a command with --json that must succeed; returns its first line.
  Json One(std::vector<std::string> args) {
    args.push_back("--json");
    RunResult r = isnad(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    auto lines = JsonLines(r.out);
    EXPECT_FALSE(lines.empty()) << args[0];
    return lines.empty() ? Json::object() : lines.front();
  }
  std::string NewId(std::vector<std::string> args) {
    Json j = One(std::move(args));
    return j.contains("id") ? j["id"].get<std::string>() : "";
  }

  std::string AddFile(const std::string& name, const std::string& fake_time = "") {
    RunResult r = isnad({"add", tmp_.Join("in/" + name), "--json"}, fake_time);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto lines = JsonLines(r.out);
    return lines.empty() ? "" : lines[0]["id"].get<std::string>();
  }

  std::string AddText(const std::string& name, const std::string& text) {
    WriteTestFile(tmp_.Join("in/" + name), text);
    return AddFile(name);
  }

  std::vector<std::string> Search(std::vector<std::string> args) {
    args.insert(args.begin(), "search");
    args.push_back("--json");
    RunResult r = isnad(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return HitIds(r.out);
  }

  uint64_t LogSize() { return One({"checkpoint"})["size"].get<uint64_t>(); }
  // What export-catalog writes imports into a new archive holding the same video.
  void ExpectItsExportImportsElsewhere() {
    RunResult exported = isnad({"export-catalog"});
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    WriteTestFile(tmp_.Join("graph.jsonl"), exported.out);
    archive_ = tmp_.Join("other");
    ASSERT_EQ(isnad({"init", "--name", "test.example/other"}).exit_code, 0);
    AddFile("video.bin");
    RunResult imported = isnad({"import", tmp_.Join("graph.jsonl")});
    EXPECT_EQ(imported.exit_code, 0) << imported.out << imported.err;
  }

  Ghouta Build() {
    Ghouta s;
    s.video = AddFile("video.bin");
    s.photo = AddFile("photo.jpg");
    s.report = AddFile("report.txt");
    s.ghouta = NewId({"place", "add", "--name", "Eastern Ghouta", "--name-ar", "الغوطة الشرقية"});
    s.zamalka =
        NewId({"place", "add", "--name", "Zamalka", "--name-ar", "زملكا", "--variant", "Zamalka'a",
               "--lat", "33.5376", "--lon", "36.3558", "--within", "Eastern Ghouta"});
    s.ein_tarma = NewId({"place", "add", "--name", "Ein Tarma", "--lat", "33.5200", "--lon",
                         "36.3500", "--within", s.ghouta});
    s.incident = NewId({"incident", "add", "--title", "Chemical attack on Eastern Ghouta",
                        "--title-ar", "الهجوم الكيميائي على الغوطة", "--type", "chemical attack",
                        "--date", "2013-08-21", "--place", "Zamalka", "--place", "Ein Tarma",
                        "--description", "Rockets carrying sarin struck before dawn."});
    One({"incident", "link", s.incident, s.video, s.photo});
    One({"describe", s.video, "--title", "Victims in a Zamalka clinic", "--date", "2013-08-21",
         "--place", "Zamalka"});
    One({"describe", s.photo, "--title", "Rocket remnant", "--date", "2013-08-22", "--lat",
         "33.5200", "--lon", "36.3500"});
    s.brigade = NewId({"actor", "add", "--type", "unit", "--name", "155th Missile Brigade",
                       "--name-ar", "اللواء 155"});
    s.division = NewId({"actor", "add", "--type", "unit", "--name", "4th Armoured Division"});
    s.scm = NewId({"actor", "add", "--type", "organisation", "--name",
                   "Syrian Center for Media and Freedom of Expression", "--variant", "SCM"});
    s.present =
        NewId({"relation", "add", "155th Missile Brigade", "present_at", s.incident, "--from",
               "2013-08-21", "--to", "2013-08-21", "--source", s.video, "--confidence", "low"});
    s.subordinate = NewId({"relation", "add", s.brigade, "subordinate_of", s.division, "--from",
                           "2012", "--to", "2014", "--source", s.report + ":high"});
    s.kase = NewId({"case", "add", "--title", "Ghouta complaint (Paris)", "--jurisdiction",
                    "France (Paris judicial court)", "--party", "SCM:complainant"});
    s.warrant = NewId({"case", "event", s.kase, "--type", "warrant", "--date", "2023-11",
                       "--description", "arrest warrants issued", "--document", s.report});
    s.complaint = NewId({"case", "event", s.kase, "--type", "complaint", "--date", "2021-03-01"});
    s.appeal =
        NewId({"case", "event", s.kase, "--type", "Cassation request", "--date", "2024-05~"});
    One({"case", "link", s.kase, s.video, s.photo});
    return s;
  }

  TempDir tmp_;
  std::string archive_;
};

TEST_F(GraphCli, EveryGraphCommandHasHelpWithAnExample) {
  std::vector<std::vector<std::string>> commands = {{"describe"},
                                                    {"tag"},
                                                    {"review"},
                                                    {"derive"},
                                                    {"place"},
                                                    {"place", "add"},
                                                    {"place", "ls"},
                                                    {"incident"},
                                                    {"incident", "add"},
                                                    {"incident", "ls"},
                                                    {"incident", "show"},
                                                    {"incident", "link"},
                                                    {"incident", "unlink"},
                                                    {"actor"},
                                                    {"actor", "add"},
                                                    {"actor", "ls"},
                                                    {"actor", "show"},
                                                    {"actor", "chain"},
                                                    {"relation"},
                                                    {"relation", "add"},
                                                    {"case"},
                                                    {"case", "add"},
                                                    {"case", "ls"},
                                                    {"case", "show"},
                                                    {"case", "event"},
                                                    {"case", "withdraw-event"},
                                                    {"case", "link"},
                                                    {"case", "unlink"},
                                                    {"timeline"},
                                                    {"search"}};
  for (auto c : commands) {
    std::string name = c[0] + (c.size() > 1 ? " " + c[1] : "");
    c.push_back("--help");
    RunResult r = isnad(c);
    EXPECT_EQ(r.exit_code, 0) << name;
    EXPECT_TRUE(Contains(r.out, "Example")) << name << "\n" << r.out;
  }
}

TEST_F(GraphCli, DescribeRoundTripsThroughShowAndSearch) {
  std::string item = AddFile("video.bin");
  Json d = One({"describe", item, "--title", "Victims in a clinic", "--description",
                "Filmed by the medical office", "--date", "2013-08-21", "--lat", "33.5376", "--lon",
                "36.3558"});
  EXPECT_EQ(d["item"], item);
  EXPECT_EQ(d["type"], "item.described");
  EXPECT_TRUE(d["leaf_index"].is_number_unsigned());
  // What show prints holds what describe recorded.
  RunResult show = isnad({"show", item, "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_TRUE(Contains(show.out, "Victims in a clinic")) << show.out;
  EXPECT_TRUE(Contains(show.out, "2013-08-21")) << show.out;
  // The custody log holds the entry exactly as the grammar has it.
  RunResult log =
      isnad({"log", "--json", "--from", std::to_string(d["leaf_index"].get<uint64_t>())});
  Json entry = JsonLines(log.out).at(0)["entry"];
  EXPECT_EQ(entry["type"], "item.described");
  EXPECT_EQ(entry["lang"], "en");
  EXPECT_EQ(entry["event_date"], "2013-08-21");
  EXPECT_EQ(entry["lat"], "33.5376");
  EXPECT_EQ(entry["operator"], "tester@test");
  // Search finds it by title words, with a score and a name.
  RunResult r = isnad({"search", "clinic", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto hits = JsonLines(r.out);
  ASSERT_EQ(hits.size(), 1u) << r.out;
  EXPECT_EQ(hits[0]["id"], item);
  EXPECT_EQ(hits[0]["kind"], "item");
  EXPECT_EQ(hits[0]["name"], "Victims in a clinic");
  EXPECT_TRUE(hits[0]["score"].is_number());
  EXPECT_TRUE(hits[0].contains("snippet"));
  // Text output for people names it too.
  RunResult text = isnad({"search", "clinic"});
  EXPECT_TRUE(Contains(text.out, item)) << text.out;
  EXPECT_TRUE(Contains(text.out, "Victims in a clinic")) << text.out;
  // Saying nothing is refused before anything is written.
  uint64_t size = LogSize();
  RunResult empty = isnad({"describe", item});
  EXPECT_EQ(empty.exit_code, 2);
  RunResult half = isnad({"describe", item, "--lat", "33.5"});
  EXPECT_EQ(half.exit_code, 2);
  EXPECT_TRUE(Contains(half.err, "--lon")) << half.err;
  EXPECT_EQ(isnad({"describe", "i999", "--title", "x"}).exit_code, 3);
  EXPECT_EQ(LogSize(), size);
}

TEST_F(GraphCli, NegativeCoordinatesAreValuesNotOptions) {
  std::string item = AddFile("photo.jpg");
  RunResult r = isnad({"describe", item, "--lat", "-33.8688", "--lon", "-151.2093"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto hits = Search({"--near", "-33.87,-151.21", "--radius-km", "2"});
  EXPECT_EQ(hits, std::vector<std::string>{item});
}

TEST_F(GraphCli, ArabicDescriptionIsFoundByASpellingVariant) {
  std::string item = AddFile("video.bin");
  std::string other = AddFile("photo.jpg");
  One({"describe", item, "--lang", "ar", "--title", "الغوطة الشرقية", "--description",
       "ضحايا في مستشفى ميداني"});
  One({"describe", other, "--title", "Rocket remnant"});
  // Without the article, with ه for ة: the same word to a reader.
  auto hits = Search({"غوطه"});
  EXPECT_EQ(hits, std::vector<std::string>{item});
  EXPECT_EQ(Search({"الغوطة"}), std::vector<std::string>{item});
  RunResult log = isnad({"log", "--json"});
  auto entries = JsonLines(log.out);
  bool found = false;
  for (const auto& e : entries) {
    if (e["type"] == "item.described" && e["entry"].value("lang", "") == "ar") {
      found = true;
      EXPECT_EQ(e["entry"]["title"], "الغوطة الشرقية");
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(GraphCli, PlaceIsFoundFromEitherScript) {
  std::string pl = NewId({"place", "add", "--name", "Zamalka", "--name-ar", "زملكا", "--lat",
                          "33.5376", "--lon", "36.3558"});
  ASSERT_EQ(catalog::ParseEntityId(pl)->kind, catalog::EntityKind::kPlace);
  NewId({"place", "add", "--name", "Douma"});
  EXPECT_EQ(Search({"Zamalka"}), std::vector<std::string>{pl});
  EXPECT_EQ(Search({"زملكا"}), std::vector<std::string>{pl});
  EXPECT_EQ(Search({"زملكا", "--kind", "place"}), std::vector<std::string>{pl});
  EXPECT_TRUE(Search({"زملكا", "--kind", "actor"}).empty());
  // Either name resolves to the place wherever a place is expected.
  std::string item = AddFile("video.bin");
  One({"describe", item, "--place", "زملكا"});
  std::string inc = NewId({"incident", "add", "--title", "Shelling", "--place", "zamalka"});
  Json show = One({"incident", "show", inc});
  EXPECT_EQ(show["places"], Json::array({pl}));
  // place ls: both names, coordinates.
  RunResult ls = isnad({"place", "ls"});
  EXPECT_TRUE(Contains(ls.out, "Zamalka")) << ls.out;
  EXPECT_TRUE(Contains(ls.out, "زملكا")) << ls.out;
  EXPECT_TRUE(Contains(ls.out, "33.5376")) << ls.out;
  auto json = JsonLines(isnad({"place", "ls", "--json"}).out);
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0]["names"]["ar"], "زملكا");
  EXPECT_EQ(json[0]["names"]["en"], "Zamalka");
  // An unknown place is not found; nothing is written.
  uint64_t size = LogSize();
  RunResult r = isnad({"describe", item, "--place", "Atlantis"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(Contains(r.err, "Atlantis")) << r.err;
  EXPECT_EQ(LogSize(), size);
}

TEST_F(GraphCli, IncidentActorRelationCaseAndTimelinesRoundTrip) {
  Ghouta s = Build();
  // incident show: title in both scripts, date, places, items, relations.
  Json inc = One({"incident", "show", "Chemical attack on Eastern Ghouta"});
  EXPECT_EQ(inc["id"], s.incident);
  EXPECT_EQ(inc["title"]["ar"], "الهجوم الكيميائي على الغوطة");
  EXPECT_EQ(inc["type"], "chemical attack");
  EXPECT_EQ(inc["date"], "2013-08-21");
  EXPECT_EQ(inc["places"], Json::array({s.zamalka, s.ein_tarma}));
  EXPECT_EQ(inc["items"], Json::array({s.video, s.photo}));
  ASSERT_EQ(inc["relations"].size(), 1u);
  EXPECT_EQ(inc["relations"][0]["id"], s.present);
  EXPECT_TRUE(inc["warnings"].empty()) << inc["warnings"];
  RunResult inc_text = isnad({"incident", "show", s.incident});
  EXPECT_TRUE(Contains(inc_text.out, "Zamalka")) << inc_text.out;
  EXPECT_TRUE(Contains(inc_text.out, "present_at")) << inc_text.out;

  // actor show: relations both ways, with sources and confidence.
  Json brigade = One({"actor", "show", "اللواء 155"});
  EXPECT_EQ(brigade["id"], s.brigade);
  EXPECT_EQ(brigade["type"], "unit");
  ASSERT_EQ(brigade["relations"].size(), 2u);
  Json division = One({"actor", "show", s.division});
  ASSERT_EQ(division["relations"].size(), 1u) << "as the object of subordinate_of";
  Json rel = division["relations"][0];
  EXPECT_EQ(rel["subject"], s.brigade);
  EXPECT_EQ(rel["predicate"], "subordinate_of");
  EXPECT_EQ(rel["object"], s.division);
  EXPECT_EQ(rel["from"], "2012");
  EXPECT_EQ(rel["sources"], Json::array({{{"item", s.report}, {"confidence", "high"}}}));
  RunResult actor_text = isnad({"actor", "show", s.brigade});
  EXPECT_TRUE(Contains(actor_text.out, "subordinate_of")) << actor_text.out;
  EXPECT_TRUE(Contains(actor_text.out, s.video + " (low)")) << actor_text.out;
  auto actors = JsonLines(isnad({"actor", "ls", "--json"}).out);
  EXPECT_EQ(actors.size(), 3u);

  // case show: parties, events in date order with documents, exhibits.
  Json kase = One({"case", "show", s.kase});
  EXPECT_EQ(kase["jurisdiction"], "France (Paris judicial court)");
  EXPECT_EQ(kase["parties"], Json::array({{{"actor", s.scm}, {"role", "complainant"}}}));
  EXPECT_EQ(kase["exhibits"], Json::array({s.video, s.photo}));
  ASSERT_EQ(kase["events"].size(), 3u);
  EXPECT_EQ(kase["events"][0]["id"], s.complaint);
  EXPECT_EQ(kase["events"][1]["id"], s.warrant);
  EXPECT_EQ(kase["events"][1]["documents"], Json::array({s.report}));
  EXPECT_EQ(kase["events"][2]["id"], s.appeal);
  EXPECT_EQ(kase["events"][2]["type"], "cassation_request");
  RunResult case_text = isnad({"case", "show", s.kase});
  EXPECT_LT(case_text.out.find("complaint"), case_text.out.find("warrant")) << case_text.out;
  EXPECT_TRUE(Contains(case_text.out, "document " + s.report)) << case_text.out;

  // Timelines: chronological, with sources.
  auto dates_in_order = [](const std::vector<Json>& events) {
    std::vector<std::string> lo;
    for (const auto& e : events) {
      auto r = catalog::ParseEventDate(e["date"].get<std::string>());
      lo.push_back(r ? r->lo : "9999");
    }
    return std::is_sorted(lo.begin(), lo.end());
  };
  auto case_timeline = JsonLines(isnad({"timeline", s.kase, "--json"}).out);
  ASSERT_GE(case_timeline.size(), 3u);
  EXPECT_TRUE(dates_in_order(case_timeline));
  for (const auto& e : case_timeline) {
    for (const char* k : {"date", "what", "id", "sources"}) EXPECT_TRUE(e.contains(k)) << k;
  }
  std::vector<std::string> order;
  for (const auto& e : case_timeline) order.push_back(e["id"]);
  auto at = [&order](const std::string& id) {
    return std::find(order.begin(), order.end(), id) - order.begin();
  };
  EXPECT_LT(at(s.complaint), at(s.warrant));
  EXPECT_LT(at(s.warrant), at(s.appeal));
  auto inc_timeline =
      JsonLines(isnad({"timeline", "Chemical attack on Eastern Ghouta", "--json"}).out);
  ASSERT_GE(inc_timeline.size(), 3u);
  EXPECT_TRUE(dates_in_order(inc_timeline));
  bool saw_relation = false;
  for (const auto& e : inc_timeline) {
    if (e["id"] == s.present) {
      saw_relation = true;
      EXPECT_EQ(e["sources"], Json::array({s.video}));
      EXPECT_EQ(e["confidence"], Json::array({"low"}));
    }
    if (e["id"] == s.video) {
      EXPECT_EQ(e["status"], "unreviewed") << e.dump();
    }
  }
  EXPECT_TRUE(saw_relation);
  auto actor_timeline = JsonLines(isnad({"timeline", "155th Missile Brigade", "--json"}).out);
  ASSERT_EQ(actor_timeline.size(), 2u);
  EXPECT_EQ(actor_timeline[0]["id"], s.subordinate) << "2012 before 2013-08-21";
  EXPECT_EQ(actor_timeline[1]["id"], s.present);
  RunResult text = isnad({"timeline", s.incident});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(Contains(text.out, "2013-08-21")) << text.out;
  // A claim's sources with their confidence; an item's review status.
  EXPECT_TRUE(Contains(text.out, "sources: " + s.video + " (low)")) << text.out;
  EXPECT_TRUE(Contains(text.out, "[" + s.video + "]  unreviewed")) << text.out;
  // A timeline of something that has none.
  EXPECT_EQ(isnad({"timeline", s.zamalka}).exit_code, 2);
  EXPECT_EQ(isnad({"timeline", "nothing by this name"}).exit_code, 3);

  // Items say which incidents and cases use them; the search filters see the links.
  EXPECT_EQ(Search({"--incident", "Chemical attack on Eastern Ghouta"}),
            (std::vector<std::string>{s.video, s.photo}));
  auto in_case = Search({"--case", s.kase});
  EXPECT_TRUE(Has(in_case, s.report)) << "a document of a case event";
  EXPECT_TRUE(Has(in_case, s.video));
  EXPECT_EQ(Search({"--actor", "SCM"}), std::vector<std::string>{});
  auto backing = Search({"--actor", s.brigade});
  EXPECT_TRUE(Has(backing, s.video) && Has(backing, s.report)) << "the relations' sources";
  EXPECT_FALSE(Has(backing, s.photo));
}

TEST_F(GraphCli, WriteCommandsPrintTheNewIds) {
  std::string item = AddFile("video.bin");
  Json place = One({"place", "add", "--name", "Douma"});
  auto leaf = place["leaf_index"].get<uint64_t>();
  EXPECT_EQ(place["id"], catalog::EntityId(catalog::EntityKind::kPlace, leaf));
  EXPECT_EQ(place["type"], "place.added");
  RunResult text = isnad({"actor", "add", "--type", "person", "--name", "A. Witness"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(Contains(text.out, "ac" + std::to_string(leaf + 1))) << text.out;
  Json tag = One({"tag", item, "sarin", "victims", "sarin"});
  EXPECT_EQ(tag["add"], Json::array({"sarin", "victims"}));
  Json review = One({"review", item, "--status", "verified", "--reason", "geolocated"});
  EXPECT_EQ(review["status"], "verified");
  EXPECT_EQ(isnad({"review", item, "--status", "probably", "--reason", "x"}).exit_code, 2);
  EXPECT_EQ(isnad({"review", item, "--status", "verified"}).exit_code, 2) << "reason required";
  EXPECT_EQ(isnad({"actor", "add", "--type", "army", "--name", "x"}).exit_code, 2);
}

// Text given but blank is refused as import refuses it: recorded, it would show
// as nothing, and the archive's own export-catalog would no longer import.
TEST_F(GraphCli, BlankTextIsRefusedAsImportRefusesIt) {
  std::string item = AddFile("video.bin");
  const uint64_t before = LogSize();
  const std::string nbsp = "\xc2\xa0";  // a no-break space alone is blank too
  for (std::vector<std::string> args :
       {std::vector<std::string>{"describe", item, "--title", "   "},
        {"describe", item, "--description", nbsp, "--date", "2013"},
        {"review", item, "--status", "verified", "--reason", "  "},
        {"note", item, " \t "},
        {"incident", "add", "--title", "Attack", "--type", " "},
        {"case", "add", "--title", "Complaint", "--jurisdiction", "  "},
        {"actor", "add", "--type", "unit", "--name", "Brigade", "--description", " "}}) {
    auto r = isnad(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << " " << args[2] << ": " << r.out;
    EXPECT_NE(r.err.find("blank"), std::string::npos) << r.err;
  }
  EXPECT_EQ(LogSize(), before) << "a blank value was recorded";
  // What the command line records, import takes back.
  One({"describe", item, "--title", "Rockets", "--date", "2013-08-21"});
  One({"review", item, "--status", "verified", "--reason", "geolocated"});
  ExpectItsExportImportsElsewhere();
}

TEST_F(GraphCli, TagsAddAndRemoveAndDeriveLinksACopy) {
  std::string original = AddFile("video.bin");
  std::string copy = AddFile("photo.jpg");
  One({"tag", original, "sarin", "victims"});
  EXPECT_EQ(Search({"--tag", "sarin"}), std::vector<std::string>{original});
  One({"tag", original, "sarin", "--remove"});
  EXPECT_TRUE(Search({"--tag", "sarin"}).empty());
  EXPECT_EQ(Search({"--tag", "victims"}), std::vector<std::string>{original});
  // Spaces around a tag are not part of it; a blank tag is no tag.
  One({"tag", copy, " aleppo ", "\tvictims"});
  EXPECT_EQ(Search({"--tag", "aleppo"}), std::vector<std::string>{copy});
  EXPECT_EQ(Search({"--tag", "victims", "--tag", " aleppo"}), std::vector<std::string>{copy});
  EXPECT_EQ(isnad({"tag", copy, "  "}).exit_code, 2);
  // A separator of the CSV tags cell ("sarin, rockets") would be one tag here
  // and two after an export and import: refused, saying how to give two.
  RunResult comma = isnad({"tag", copy, "sarin, rockets"});
  EXPECT_EQ(comma.exit_code, 2);
  EXPECT_TRUE(Contains(comma.err, "holds a ','")) << comma.err;
  // A tag filter folds as search does: case, and Arabic spellings (ة/ه, أ/ا).
  One({"tag", copy, "Chemical-Attack", "الغوطة"});
  EXPECT_EQ(Search({"--tag", "chemical attack"}), std::vector<std::string>{copy});
  EXPECT_EQ(Search({"--tag", "CHEMICAL-ATTACK", "--tag", "الغوطه"}),
            std::vector<std::string>{copy});
  EXPECT_TRUE(Search({"--tag", "chemical"}).empty());  // the whole tag, not a word of it
  // Facets count as the filter matches: one facet for two spellings, each item once.
  One({"tag", original, "chemical attack"});
  // The copy has it as Chemical-Attack: another spelling of it is not recorded beside.
  EXPECT_EQ(One({"tag", copy, "CHEMICAL ATTACK"})["recorded"], false);
  // And removing it by another spelling removes the one the item has.
  One({"tag", original, "Victims", "--remove"});
  EXPECT_TRUE(Search({"--tag", "victims"}) == std::vector<std::string>{copy});
  One({"tag", original, "victims"});
  auto facets = JsonLines(isnad({"search", "--facets", "--json"}).out);
  ASSERT_FALSE(facets.empty());
  const Json& tag_facets = facets.back()["facets"]["tag"];
  int spellings = 0;
  for (const char* t : {"CHEMICAL ATTACK", "chemical attack", "Chemical-Attack"}) {
    if (!tag_facets.contains(t)) continue;
    ++spellings;
    EXPECT_EQ(tag_facets.value(t, 0), 2) << tag_facets.dump();
  }
  EXPECT_EQ(spellings, 1) << tag_facets.dump();
  Json d = One({"derive", copy, "--from", original});
  EXPECT_EQ(d["item"], copy);
  EXPECT_EQ(d["original"], original);
  RunResult show = isnad({"show", copy, "--json"});
  EXPECT_TRUE(Contains(show.out, original)) << show.out;
  EXPECT_EQ(isnad({"derive", copy, "--from", copy}).exit_code, 2);
  EXPECT_EQ(isnad({"derive", copy, "--from", "i999"}).exit_code, 3);
}

TEST_F(GraphCli, RelationWithAnUnknownSourceWritesNothing) {
  std::string item = AddFile("video.bin");
  std::string a = NewId({"actor", "add", "--type", "unit", "--name", "Unit A"});
  std::string b = NewId({"actor", "add", "--type", "unit", "--name", "Unit B"});
  uint64_t size = LogSize();
  RunResult r = isnad({"relation", "add", a, "subordinate_of", b, "--source", "i999"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(Contains(r.err, "i999")) << r.err;
  RunResult no_source = isnad({"relation", "add", a, "subordinate_of", b});
  EXPECT_EQ(no_source.exit_code, 2) << no_source.err;
  RunResult unknown_actor = isnad({"relation", "add", "Unit Z", "commands", b, "--source", item});
  EXPECT_EQ(unknown_actor.exit_code, 3);
  EXPECT_TRUE(Contains(unknown_actor.err, "Unit Z")) << unknown_actor.err;
  RunResult itself = isnad({"relation", "add", a, "commands", "Unit A", "--source", item});
  EXPECT_EQ(itself.exit_code, 2) << itself.err;
  RunResult bad_confidence =
      isnad({"relation", "add", a, "commands", b, "--source", item, "--confidence", "sure"});
  EXPECT_EQ(bad_confidence.exit_code, 2);
  EXPECT_EQ(LogSize(), size);
  // The predicate as a person writes it becomes the word the grammar wants.
  Json rel = One({"relation", "add", a, "Member of", b, "--source", item});
  EXPECT_EQ(rel["predicate"], "member_of");
}

// The predicate says what the object is: an actor, or for present_at and
// responsible_for an incident. A name of the other kind is not taken instead
// (the export of such a relation would not import), and a mistyped id is
// reported as not found, not as the wrong kind.
TEST_F(GraphCli, ARelationsObjectIsOfThePredicatesKind) {
  std::string item = AddFile("video.bin");
  NewId({"actor", "add", "--type", "unit", "--name", "Unit U"});
  NewId({"actor", "add", "--type", "person", "--name", "Person P"});
  NewId({"incident", "add", "--title", "Chemical attack", "--date", "2013-08-21"});
  uint64_t size = LogSize();
  RunResult incident =
      isnad({"relation", "add", "Unit U", "commands", "Chemical attack", "--source", item});
  EXPECT_EQ(incident.exit_code, 3) << incident.err;
  EXPECT_TRUE(Contains(incident.err, "an actor is needed")) << incident.err;
  RunResult actor =
      isnad({"relation", "add", "Unit U", "present_at", "Person P", "--source", item});
  EXPECT_EQ(actor.exit_code, 3) << actor.err;
  EXPECT_TRUE(Contains(actor.err, "an incident is needed")) << actor.err;
  RunResult typo = isnad({"relation", "add", "Unit U", "present_at", "inc999", "--source", item});
  EXPECT_NE(typo.exit_code, 0);
  EXPECT_TRUE(Contains(typo.err, "inc999")) << typo.err;
  EXPECT_FALSE(Contains(typo.err, "actor id")) << typo.err;
  EXPECT_EQ(LogSize(), size);
  Json ok = One({"relation", "add", "Unit U", "present_at", "Chemical attack", "--source", item});
  EXPECT_EQ(ok["predicate"], "present_at");
}

// A tag with ';' could not be written back by the CSV export, and removing a
// tag the item does not have would record an entry that changes nothing.
TEST_F(GraphCli, ASemicolonTagAndRemovingAnAbsentTagRecordNothing) {
  std::string item = AddFile("video.bin");
  One({"tag", item, "Sarin"});
  uint64_t size = LogSize();
  RunResult semicolon = isnad({"tag", item, "a;b"});
  EXPECT_EQ(semicolon.exit_code, 2) << semicolon.err;
  EXPECT_TRUE(Contains(semicolon.err, "';'")) << semicolon.err;
  RunResult absent = isnad({"tag", item, "chlorine", "--remove"});
  EXPECT_EQ(absent.exit_code, 2) << absent.err;
  EXPECT_TRUE(Contains(absent.err, "its tags: Sarin")) << absent.err;
  EXPECT_EQ(LogSize(), size);
  RunResult csv = isnad({"export-catalog", "--format", "csv"});
  EXPECT_EQ(csv.exit_code, 0) << csv.err;
  // Another spelling of a tag it has removes that tag (the same one to search).
  Json removed = One({"tag", item, "sarin", "--remove"});
  EXPECT_EQ(removed["remove"], Json::array({"Sarin"}));
  EXPECT_TRUE(Search({"--tag", "Sarin"}).empty());
}

// Entities are never merged, so a second place of a name already recorded is refused (a
// command run twice is the commoner cause, and the log keeps what it records for good);
// with --new it is recorded (two people can share a name), with a warning that the name no
// longer resolves alone.
TEST_F(GraphCli, ANameGivenTwiceIsRefusedUnlessNew) {
  std::string first = NewId({"place", "add", "--name", "Zamalka"});
  const uint64_t size = LogSize();
  RunResult refused = isnad({"place", "add", "--name", "zamalka", "--name-ar", "زملكا"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_TRUE(Contains(refused.err, "a place named \"zamalka\" is already recorded (" + first))
      << refused.err;
  EXPECT_TRUE(Contains(refused.err, "--new")) << refused.err;
  EXPECT_EQ(LogSize(), size);
  for (const std::vector<std::string>& twice :
       {std::vector<std::string>{"actor", "add", "--type", "unit", "--name", "155th Brigade"},
        {"incident", "add", "--title", "Attack on Zamalka"},
        {"case", "add", "--title", "Ghouta complaint"}}) {
    ASSERT_EQ(isnad(twice).exit_code, 0);
    RunResult again = isnad(twice);
    EXPECT_EQ(again.exit_code, 2) << twice[0] << ": " << again.err;
    EXPECT_TRUE(Contains(again.err, "is already recorded")) << again.err;
  }
  RunResult again = isnad({"place", "add", "--name", "zamalka", "--name-ar", "زملكا", "--new"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(Contains(again.err, "warning")) << again.err;
  EXPECT_TRUE(Contains(again.err, "now names 2 places")) << again.err;
  EXPECT_TRUE(Contains(again.err, first)) << again.err;
  RunResult other = isnad({"place", "add", "--name", "Ein Tarma"});
  EXPECT_FALSE(Contains(other.err, "warning")) << other.err;
  // A blank name is no name: nothing could ever look it up.
  RunResult blank = isnad({"place", "add", "--name", "  \t"});
  EXPECT_EQ(blank.exit_code, 2) << blank.err;
  EXPECT_TRUE(Contains(blank.err, "a place needs a name")) << blank.err;
}

// A correction says what it replaces, so that describing the wrong item or
// field shows at once; the log keeps both, and a first description replaces nothing.
TEST_F(GraphCli, ACorrectionSaysWhatItReplaces) {
  std::string item = AddFile("video.bin");
  RunResult first = isnad({"describe", item, "--title", "Rockets", "--date", "2013-08-21"});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_FALSE(Contains(first.out, "replaces")) << first.out;
  RunResult fix = isnad({"describe", item, "--title", "Rockets, Zamalka", "--date", "2013-08-21"});
  EXPECT_TRUE(Contains(fix.out, "it replaces title [en] \"Rockets\"")) << fix.out;
  EXPECT_FALSE(Contains(fix.out, "event date")) << "the same date replaces nothing: " << fix.out;
  Json j = One({"describe", item, "--date", "2013-08-22", "--json"});
  EXPECT_EQ(j["replaced"]["event_date"], "2013-08-21") << j.dump();
  EXPECT_FALSE(j["replaced"].contains("title")) << j.dump();
  // The export writes each correction as a later line, and imports so.
  ExpectItsExportImportsElsewhere();
}

// A relation or case event type a letter off a known one is a slip that would
// stay in the signed log as a type of its own, found by no filter for the right
// one: refused with the likely meaning, unless --new-type. A type far from every
// known one is recorded with a note, and is known from then on, also to import,
// where a line says "new_type": true; export-catalog marks such types so.
TEST_F(GraphCli, ATypeALetterOffAKnownOneIsRefusedUnlessNew) {
  std::string item = AddFile("video.bin");
  std::string officer = NewId({"actor", "add", "--type", "person", "--name", "Officer A"});
  std::string unit = NewId({"actor", "add", "--type", "unit", "--name", "Brigade B"});
  std::string kase = NewId({"case", "add", "--title", "Complaint, Paris"});
  const uint64_t size = LogSize();
  RunResult slip = isnad({"relation", "add", officer, "comands", unit, "--source", item});
  EXPECT_EQ(slip.exit_code, 2) << slip.err;
  EXPECT_TRUE(Contains(slip.err, "did you mean commands?")) << slip.err;
  EXPECT_TRUE(Contains(slip.err, "--new-type")) << slip.err;
  RunResult start = isnad({"relation", "add", officer, "member", unit, "--source", item});
  EXPECT_TRUE(Contains(start.err, "did you mean member_of?")) << start.err;
  RunResult event = isnad({"case", "event", kase, "--type", "warant", "--date", "2023-11"});
  EXPECT_EQ(event.exit_code, 2) << event.err;
  EXPECT_TRUE(Contains(event.err, "did you mean warrant?")) << event.err;
  EXPECT_EQ(LogSize(), size) << "a slip was recorded";

  RunResult own = isnad({"relation", "add", officer, "oversaw", unit, "--source", item});
  EXPECT_EQ(own.exit_code, 0) << own.err;
  EXPECT_TRUE(Contains(own.err, "note: \"oversaw\" is a new relation type")) << own.err;
  RunResult near_own = isnad({"relation", "add", officer, "oversee", unit, "--source", item});
  EXPECT_TRUE(Contains(near_own.err, "did you mean oversaw?")) << near_own.err;
  RunResult meant =
      isnad({"relation", "add", officer, "comands", unit, "--source", item, "--new-type"});
  EXPECT_EQ(meant.exit_code, 0) << meant.err;
  RunResult again = isnad({"relation", "add", unit, "comands", officer, "--source", item});
  EXPECT_EQ(again.exit_code, 0) << "recorded once, it is a known type: " << again.err;

  // Import: the same slip is a bad line; "new_type": true takes it.
  const std::string line = "{\"kind\":\"relation\",\"subject\":\"" + officer +
                           "\",\"predicate\":\"subordinte_of\",\"object\":\"" + unit +
                           "\",\"sources\":[{\"item\":\"" + item + "\",\"confidence\":\"low\"}]";
  WriteTestFile(tmp_.Join("slip.jsonl"), line + "}\n");
  RunResult bad = isnad({"import", tmp_.Join("slip.jsonl")});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_TRUE(Contains(bad.out + bad.err, "did you mean subordinate_of?")) << bad.out << bad.err;
  WriteTestFile(tmp_.Join("own.jsonl"), line + ",\"new_type\":true}\n");
  RunResult good = isnad({"import", tmp_.Join("own.jsonl")});
  EXPECT_EQ(good.exit_code, 0) << good.out << good.err;

  // The archive's own export imports into a new archive, its own types and all.
  RunResult exported = isnad({"export-catalog"});
  EXPECT_TRUE(Contains(exported.out, "\"new_type\":true")) << exported.out;
  ExpectItsExportImportsElsewhere();
}

// A command run twice records nothing the second time: a link or a tag the log holds
// already is said and skipped (exit 0); the same case event or the same standing claim
// from the same sources is refused unless --new (two entries would read as two events,
// or two claims agreeing). Slips that would record the wrong thing are refused: an item
// id given as a tag, a Latin name given as the Arabic one.
TEST_F(GraphCli, ACommandRunTwiceRecordsNothingNewAndSlipsAreRefused) {
  const std::string a = AddFile("photo.jpg"), b = AddFile("report.txt");
  const std::string inc = NewId({"incident", "add", "--title", "Attack on Zamalka"});
  const std::string kase = NewId({"case", "add", "--title", "Complaint"});
  const std::string unit = NewId({"actor", "add", "--type", "unit", "--name", "Brigade 155"});
  const std::string boss = NewId({"actor", "add", "--type", "person", "--name", "Officer A"});
  One({"incident", "link", inc, a});
  One({"case", "link", kase, a});
  One({"tag", a, "sarin"});
  One({"case", "event", kase, "--type", "complaint", "--date", "2021-03-01", "--document", b,
       "--document", a});
  const std::string rel =
      NewId({"relation", "add", boss, "commands", unit, "--from", "2012", "--source", a + ":high"});
  const uint64_t size = LogSize();

  RunResult again = isnad({"incident", "link", inc, a});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(Contains(again.out, "Nothing recorded: " + a + " is linked to " + inc + " already"))
      << again.out;
  EXPECT_EQ(One({"case", "link", kase, a})["recorded"], false);
  RunResult tag = isnad({"tag", a, "sarin"});
  EXPECT_EQ(tag.exit_code, 0) << tag.err;
  EXPECT_TRUE(Contains(tag.out, "has the tag sarin already")) << tag.out;
  RunResult event = isnad({"case", "event", kase, "--type", "complaint", "--date", "2021-03-01",
                           "--document", b, "--document", a});
  EXPECT_EQ(event.exit_code, 1) << event.err;
  EXPECT_TRUE(Contains(event.err, "is recorded already as ev")) << event.err;
  RunResult claim =
      isnad({"relation", "add", boss, "commands", unit, "--from", "2012", "--source", a + ":high"});
  EXPECT_EQ(claim.exit_code, 1) << claim.err;
  EXPECT_TRUE(
      Contains(claim.err, "the same claim is recorded already, from the same sources: " + rel))
      << claim.err;
  RunResult id_tag = isnad({"tag", a, b, "witness"});
  EXPECT_EQ(id_tag.exit_code, 2) << id_tag.err;
  EXPECT_TRUE(Contains(id_tag.err, "is the id of an item, not a tag")) << id_tag.err;
  RunResult latin = isnad({"place", "add", "--name", "Damascus", "--name-ar", "Damascus"});
  EXPECT_EQ(latin.exit_code, 2) << latin.err;
  EXPECT_TRUE(Contains(latin.err, "--name-ar \"Damascus\" has no Arabic letter")) << latin.err;
  RunResult role = isnad({"case", "add", "--title", "Another case", "--party", boss + ":acused"});
  EXPECT_EQ(role.exit_code, 2) << role.err;
  EXPECT_TRUE(Contains(role.err, "did you mean accused?")) << role.err;
  RunResult lat = isnad({"place", "add", "--name", "Nowhere", "--lat", "95", "--lon", "36"});
  EXPECT_EQ(lat.exit_code, 2) << lat.err;
  EXPECT_TRUE(Contains(lat.err, "--lat \"95\" is not a latitude")) << lat.err;
  EXPECT_EQ(LogSize(), size) << "nothing was recorded";
  // A date in the future is recorded as given, and said (a slipped year).
  RunResult future = isnad({"describe", b, "--date", "2999-01-01"});
  EXPECT_EQ(future.exit_code, 0) << future.err;
  EXPECT_TRUE(Contains(future.err, "--date \"2999-01-01\" is in the future")) << future.err;
  // Refused for another reason: no note that it was "recorded as given".
  RunResult refused = isnad({"describe", b, "--date", "2998-01-01", "--lat", "95", "--lon", "36"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_FALSE(Contains(refused.err, "in the future")) << refused.err;

  // What is new is recorded, and only that: b is linked, a is said to be linked already.
  RunResult part = isnad({"incident", "link", inc, a, b, "--json"});
  EXPECT_EQ(part.exit_code, 0) << part.err;
  EXPECT_EQ(JsonLines(part.out).at(0)["items"], Json::array({b})) << part.out;
  // With --new, the same event and the same claim are recorded on purpose.
  One({"case", "event", kase, "--type", "complaint", "--date", "2021-03-01", "--document", b,
       "--document", a, "--new"});
  One({"relation", "add", boss, "commands", unit, "--from", "2012", "--source", a + ":high",
       "--new"});
  EXPECT_EQ(LogSize(), size + 4);
  // Another case is the same tag to search and --tag: not recorded beside it.
  const uint64_t before_tags = LogSize();
  RunResult upper = isnad({"tag", a, "Sarin"});
  EXPECT_EQ(upper.exit_code, 0) << upper.err;
  EXPECT_EQ(LogSize(), before_tags) << upper.out;
  RunResult mixed = isnad({"tag", a, "SARIN", "rockets"});
  EXPECT_EQ(mixed.exit_code, 0) << mixed.err;
  EXPECT_TRUE(Contains(mixed.err, "\"SARIN\" is the same tag")) << mixed.err;
  EXPECT_EQ(One({"show", a})["tags"], Json::array({"rockets", "sarin"}));
  // The same claim from another source: recorded beside it, and said.
  RunResult second =
      isnad({"relation", "add", boss, "commands", unit, "--from", "2012", "--source", b});
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(Contains(second.err, "note: " + rel + " makes the same claim from " + a))
      << second.err;
}

// Filters given the wrong way round are a mistake to say, not an empty (or odd)
// answer: a reversed ingest or taken range (each a moment), a reversed event range
// (matched by overlap, it would find only items dated across the gap), an infinite
// radius. --captured-*, which could mean the ingest or the file's own time, is
// refused with both names to give instead.
TEST_F(GraphCli, ReversedDateFiltersAndAnInfiniteRadiusAreRefused) {
  std::string item = AddFile("video.bin");
  One({"describe", item, "--date", "2013-07/2013-09"});
  RunResult event = isnad({"search", "", "--event-from", "2013-09-01", "--event-to", "2013-07-31"});
  EXPECT_EQ(event.exit_code, 2) << event.err;
  EXPECT_TRUE(Contains(event.err, "--event-from 2013-09-01 is after --event-to 2013-07-31"))
      << event.err;
  RunResult ingested =
      isnad({"search", "", "--ingested-from", "2026-12-01", "--ingested-to", "2026-11"});
  EXPECT_EQ(ingested.exit_code, 2) << ingested.err;
  EXPECT_TRUE(Contains(ingested.err, "--ingested-from 2026-12-01 is after --ingested-to 2026-11"))
      << ingested.err;
  RunResult captured = isnad({"search", "", "--captured-from", "2013-08-21"});
  EXPECT_EQ(captured.exit_code, 2) << captured.err;
  EXPECT_TRUE(Contains(captured.err, "--ingested-from")) << captured.err;
  EXPECT_TRUE(Contains(captured.err, "--taken-from")) << captured.err;
  RunResult taken = isnad({"search", "", "--taken-from", "2013-08-22", "--taken-to", "2013-08-21"});
  EXPECT_EQ(taken.exit_code, 2) << taken.err;
  EXPECT_TRUE(Contains(taken.err, "--taken-from 2013-08-22 is after --taken-to")) << taken.err;
  RunResult inf = isnad({"search", "", "--near", "33.5,36.3", "--radius-km", "inf"});
  EXPECT_EQ(inf.exit_code, 2) << inf.err;
}

// A query may begin with an excluded word: it is the query, not options
// ("-hello ..." once printed the help and exited 0, as if it were -h).
TEST_F(GraphCli, AQueryThatBeginsWithAnExcludedWordIsTheQuery) {
  std::string footage = AddFile("video.bin");
  std::string photo = AddFile("photo.jpg");
  One({"describe", footage, "--title", "hospital corridor after the strike"});
  One({"describe", photo, "--title", "hospital entrance, helicopter overhead"});
  EXPECT_EQ(Search({"-helicopter hospital"}), std::vector<std::string>{footage});
  EXPECT_EQ(Search({"--kind", "item", "-helicopter hospital"}), std::vector<std::string>{footage});
  EXPECT_EQ(Search({"-Aleppo hospital"}).size(), 2u);  // not -A (--archive) with "leppo ..."
  RunResult only_not = isnad({"search", "-corridor"});
  EXPECT_EQ(only_not.exit_code, 2) << only_not.out;
  EXPECT_EQ(only_not.out.find("Usage"), std::string::npos) << only_not.out;
  RunResult dashes = isnad({"search", "--json", "--", "-helicopter hospital"});  // as before
  EXPECT_EQ(dashes.exit_code, 0) << dashes.err;
  EXPECT_EQ(HitIds(dashes.out), std::vector<std::string>{footage});
}

// One item given twice as a source with two confidences is a question, not
// something to settle silently; given twice alike, it is one source.
TEST_F(GraphCli, ASourceGivenTwiceWithTwoConfidencesIsRefused) {
  std::string item = AddFile("video.bin");
  std::string a = NewId({"actor", "add", "--type", "unit", "--name", "Unit A"});
  std::string b = NewId({"actor", "add", "--type", "unit", "--name", "Unit B"});
  uint64_t size = LogSize();
  RunResult r = isnad(
      {"relation", "add", a, "subordinate_of", b, "--source", item, "--source", item + ":high"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, item)) << r.err;
  EXPECT_TRUE(Contains(r.err, "high")) << r.err;
  EXPECT_EQ(LogSize(), size);
  Json rel = One({"relation", "add", a, "subordinate_of", b, "--source", item + ":low", "--source",
                  item + ":low"});
  Json shown = One({"actor", "show", a});
  ASSERT_EQ(shown["relations"].size(), 1u);
  EXPECT_EQ(shown["relations"][0]["sources"],
            Json::parse("[{\"item\":\"" + item + "\",\"confidence\":\"low\"}]"));
}

// A name holding bidi override or isolate controls cannot reorder what a
// terminal shows around it: text output escapes them, --json keeps them.
TEST_F(GraphCli, BidiControlsInNamesAreEscapedInTextOutput) {
  const std::string name = "Unit \u202Eevil\u2066x\u2069 \u009B2J";
  std::string id = NewId({"actor", "add", "--type", "unit", "--name", name});
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"actor", "ls"}, {"actor", "show", id}}) {
    RunResult r = isnad(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    for (const char* control : {"\u202E", "\u2066", "\u2069", "\u009B"}) {
      EXPECT_FALSE(Contains(r.out, control)) << args[0] << ": " << r.out;
    }
  }
  RunResult ls = isnad({"actor", "ls"});
  EXPECT_TRUE(Contains(ls.out, "Unit \\u202eevil\\u2066x\\u2069 \\u009b2J")) << ls.out;
  EXPECT_EQ(One({"actor", "ls"})["names"]["en"], name);
}

// Year 0000 is a typing slip, not a date of this archive's events.
TEST_F(GraphCli, YearZeroIsRefused) {
  std::string item = AddFile("video.bin");
  for (const char* date : {"0000", "0000-02-29", "0000/2013"}) {
    RunResult r = isnad({"describe", item, "--date", date});
    EXPECT_EQ(r.exit_code, 2) << date;
    EXPECT_TRUE(Contains(r.err, date)) << r.err;
    EXPECT_TRUE(Contains(r.err, "year 0000")) << r.err;
  }
  EXPECT_EQ(isnad({"describe", item, "--date", "2012-02-29"}).exit_code, 0);
}

TEST_F(GraphCli, ABadDateExits2AndNamesTheDate) {
  std::string item = AddFile("video.bin");
  uint64_t size = LogSize();
  std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"describe", item, "--date", "2013-02-30"}, "2013-02-30"},
      {{"describe", item, "--date", "21/08/2013"}, "21/08/2013"},
      {{"incident", "add", "--title", "x", "--date", "yesterday"}, "yesterday"},
      {{"relation", "add", "x", "commands", "y", "--source", item, "--from", "2013-13"}, "2013-13"},
      {{"search", "--event-from", "2013-8"}, "2013-8"},
  };
  for (const auto& [args, date] : cases) {
    RunResult r = isnad(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << " " << date;
    EXPECT_TRUE(Contains(r.err, date)) << r.err;
  }
  std::string kase = NewId({"case", "add", "--title", "A case"});
  size = LogSize();
  RunResult r = isnad({"case", "event", kase, "--type", "ruling", "--date", "2024-00-01"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "2024-00-01")) << r.err;
  EXPECT_EQ(LogSize(), size);
  // Approximate and ranged dates are dates.
  EXPECT_EQ(isnad({"describe", item, "--date", "2013-08~"}).exit_code, 0);
  EXPECT_EQ(isnad({"describe", item, "--date", "2013-08-04/2013-08-05"}).exit_code, 0);
}

TEST_F(GraphCli, AHierarchyCycleIsRecordedWithAWarning) {
  std::string item = AddFile("report.txt");
  std::string a = NewId({"actor", "add", "--type", "unit", "--name", "Unit A"});
  std::string b = NewId({"actor", "add", "--type", "unit", "--name", "Unit B"});
  RunResult first = isnad({"relation", "add", a, "subordinate_of", b, "--source", item});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_FALSE(Contains(first.err, "warning")) << first.err;
  RunResult second =
      isnad({"relation", "add", "Unit B", "subordinate_of", "Unit A", "--source", item, "--json"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(Contains(second.err, "warning:")) << second.err;
  EXPECT_TRUE(Contains(second.err, "cycle")) << second.err;
  Json rel = JsonLines(second.out).at(0);
  EXPECT_FALSE(rel["warnings"].empty());
  // Recorded as the sources said: both relations stand, and show warns.
  Json shown = One({"actor", "show", a});
  EXPECT_EQ(shown["relations"].size(), 2u);
  EXPECT_FALSE(shown["warnings"].empty());
  RunResult text = isnad({"actor", "show", b});
  EXPECT_TRUE(Contains(text.out, "warnings:")) << text.out;
}

TEST_F(GraphCli, ContradictingDatesAreRecordedWithAWarning) {
  std::string item = AddFile("report.txt");
  std::string a = NewId({"actor", "add", "--type", "unit", "--name", "Unit A"});
  std::string b = NewId({"actor", "add", "--type", "unit", "--name", "Unit B"});
  std::string c = NewId({"actor", "add", "--type", "unit", "--name", "Unit C"});
  RunResult first = isnad({"relation", "add", a, "subordinate_of", b, "--from", "2012", "--to",
                           "2014", "--source", item});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_FALSE(Contains(first.err, "warning")) << first.err;
  RunResult second = isnad({"relation", "add", a, "subordinate_of", c, "--from", "2013-06", "--to",
                            "2015", "--source", item});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(Contains(second.err, "warning:")) << second.err;
  EXPECT_TRUE(Contains(second.err, "contradicting dates")) << second.err;
  // Present at an incident outside the dates of the incident.
  std::string inc = NewId({"incident", "add", "--title", "Attack", "--date", "2013-08-21"});
  RunResult present =
      isnad({"relation", "add", a, "present_at", "Attack", "--from", "2016", "--source", item});
  ASSERT_EQ(present.exit_code, 0) << present.err;
  EXPECT_TRUE(Contains(present.err, "warning:")) << present.err;
  Json shown = One({"incident", "show", inc});
  EXPECT_FALSE(shown["warnings"].empty());
  // --from after --to in one relation is an error, not a warning.
  EXPECT_EQ(isnad({"relation", "add", a, "commands", c, "--from", "2015", "--to", "2014",
                   "--source", item})
                .exit_code,
            2);
}

TEST_F(GraphCli, SearchFiltersEachExcludeWhatTheyShould) {
  std::string video = AddFile("video.bin", "2020-01-10T09:00:00.000Z");
  std::string photo = AddFile("photo.jpg", "2024-03-05T09:00:00.000Z");
  std::string report = AddFile("report.txt", "2024-03-06T09:00:00.000Z");
  One({"describe", video, "--title", "clinic one", "--date", "2013-08-21", "--lat", "33.5376",
       "--lon", "36.3558"});
  One({"describe", photo, "--title", "clinic two", "--date", "2014-02", "--lat", "36.2021", "--lon",
       "37.1343"});
  One({"describe", report, "--title", "clinic three", "--date", "2013-08-04/2013-08-05"});
  One({"tag", video, "sarin"});
  One({"tag", photo, "sarin", "aleppo"});
  One({"review", photo, "--status", "disputed", "--reason", "metadata inconsistent"});
  auto all = Search({"clinic"});
  ASSERT_EQ(all.size(), 3u);

  EXPECT_EQ(Search({"clinic", "--tag", "sarin", "--tag", "aleppo"}),
            std::vector<std::string>{photo});
  auto sarin = Search({"clinic", "--tag", "sarin"});
  EXPECT_EQ(sarin.size(), 2u);
  EXPECT_FALSE(Has(sarin, report));

  EXPECT_EQ(Search({"clinic", "--status", "disputed"}), std::vector<std::string>{photo});
  auto unreviewed = Search({"clinic", "--status", "unreviewed"});
  EXPECT_EQ(unreviewed.size(), 2u);
  EXPECT_FALSE(Has(unreviewed, photo));

  EXPECT_EQ(Search({"clinic", "--event-from", "2013-08-10", "--event-to", "2013-12"}),
            std::vector<std::string>{video});
  auto august = Search({"clinic", "--event-from", "2013-08", "--event-to", "2013-08"});
  EXPECT_EQ(august.size(), 2u);
  EXPECT_FALSE(Has(august, photo));

  EXPECT_EQ(Search({"clinic", "--near", "33.54,36.36", "--radius-km", "5"}),
            std::vector<std::string>{video});
  EXPECT_EQ(Search({"--near", "36.20,37.13", "--radius-km", "5"}), std::vector<std::string>{photo});
  EXPECT_EQ(Search({"--near", "36.20,37.13", "--radius-km", "500"}).size(), 2u);

  RunResult ls = isnad({"ls", "--json"});
  std::map<std::string, std::string> type;
  for (const auto& j : JsonLines(ls.out)) type[j["id"]] = j["media_type"];
  ASSERT_NE(type[photo], type[report]);
  auto by_type = Search({"clinic", "--type", type[report]});
  EXPECT_TRUE(Has(by_type, report));
  EXPECT_FALSE(Has(by_type, photo));
  std::string major = type[photo].substr(0, type[photo].find('/'));
  auto by_major = Search({"--type", major + "/*"});
  EXPECT_TRUE(Has(by_major, photo));
  EXPECT_FALSE(Has(by_major, report));

  EXPECT_EQ(Search({"clinic", "--ingested-to", "2023-12-31"}), std::vector<std::string>{video});
  auto recent = Search({"clinic", "--ingested-from", "2024-03"});
  EXPECT_EQ(recent.size(), 2u);
  EXPECT_FALSE(Has(recent, video));

  // Limit, offset and facets.
  auto first = Search({"clinic", "--limit", "1"});
  auto second = Search({"clinic", "--limit", "1", "--offset", "1"});
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(first, second);
  RunResult facets = isnad({"search", "clinic", "--facets", "--limit", "1", "--json"});
  auto lines = JsonLines(facets.out);
  ASSERT_EQ(lines.size(), 2u) << facets.out;
  EXPECT_EQ(lines[1]["total"], 3);
  EXPECT_EQ(lines[1]["facets"]["tag"]["sarin"], 2);
  EXPECT_EQ(lines[1]["facets"]["status"]["disputed"], 1);
  EXPECT_EQ(lines[1]["facets"]["kind"]["item"], 3);
  RunResult text = isnad({"search", "clinic", "--facets"});
  EXPECT_TRUE(Contains(text.out, "3 hit(s)")) << text.out;
  EXPECT_TRUE(Contains(text.out, "sarin 2")) << text.out;

  // Filters for items do not mix with another kind; unusable filters are usage errors.
  EXPECT_EQ(isnad({"search", "--kind", "place", "--tag", "sarin"}).exit_code, 2);
  EXPECT_EQ(isnad({"search", "--kind", "planet"}).exit_code, 2);
  EXPECT_EQ(isnad({"search", "--near", "33.5"}).exit_code, 2);
  EXPECT_EQ(isnad({"search", "--near", "33.5,36.3"}).exit_code, 2) << "no radius";
  EXPECT_EQ(isnad({"search", "--status", "fine"}).exit_code, 2);
  EXPECT_EQ(isnad({"search", "--incident", "no such incident"}).exit_code, 3);
}

TEST_F(GraphCli, AQuerySyntaxErrorExits2WithTheParsersMessage) {
  AddFile("report.txt");
  RunResult r = isnad({"search", "\"unclosed phrase"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_TRUE(Contains(r.err, "isnad: ")) << r.err;
  EXPECT_GT(r.err.size(), std::string("isnad: invalid_argument: \n").size()) << r.err;
}

TEST_F(GraphCli, AmbiguousNamesAreRefusedWithTheCandidates) {
  std::string item = AddFile("video.bin");
  std::string one = NewId({"place", "add", "--name", "Harasta"});
  std::string two = NewId({"place", "add", "--name", "Harasta", "--new"});
  RunResult r = isnad({"describe", item, "--place", "Harasta"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, one) && Contains(r.err, two)) << r.err;
  EXPECT_EQ(isnad({"describe", item, "--place", two}).exit_code, 0);
  // An id of the wrong kind.
  EXPECT_EQ(isnad({"incident", "show", one}).exit_code, 2);
}

// A link made by mistake is taken back with its reason: the item leaves the
// incident (show, search) or the case, the correction is in the log and in
// export-catalog, and what is not linked cannot be unlinked.
TEST_F(GraphCli, UnlinkTakesAnItemOutWithItsReason) {
  Ghouta s = Build();
  Json out = One({"incident", "unlink", s.incident, s.photo, "--reason", "filmed in 2012"});
  EXPECT_EQ(out["type"], "incident.unlinked");
  EXPECT_EQ(out["items"], Json::array({s.photo}));
  EXPECT_EQ(out["reason"], "filmed in 2012");
  EXPECT_EQ(One({"incident", "show", s.incident})["items"], Json::array({s.video}));
  std::vector<std::string> hits = Search({"--incident", s.incident});
  EXPECT_TRUE(Has(hits, s.video));
  EXPECT_FALSE(Has(hits, s.photo));
  Json kase = One({"case", "unlink", "Ghouta complaint (Paris)", s.video, "--reason",
                   "the defence showed it was re-encoded"});
  EXPECT_EQ(kase["case"], s.kase);
  Json shown = One({"case", "show", s.kase});
  EXPECT_EQ(shown["exhibits"], Json::array({s.photo}));
  ASSERT_EQ(shown["withdrawn"].size(), 1u) << shown.dump();
  EXPECT_EQ(shown["withdrawn"][0]["item"], s.video);
  EXPECT_EQ(shown["withdrawn"][0]["reason"], "the defence showed it was re-encoded");
  EXPECT_EQ(shown["withdrawn"][0]["entry"], kase["leaf_index"]);
  // The plain show says what was taken out and why, under its own heading.
  RunResult plain = isnad({"incident", "show", s.incident});
  size_t heading = plain.out.find("taken out:");
  ASSERT_NE(heading, std::string::npos) << plain.out;
  EXPECT_NE(plain.out.find(s.photo, heading), std::string::npos) << plain.out;
  EXPECT_NE(plain.out.find("filmed in 2012", heading), std::string::npos) << plain.out;
  // Each item's own page says where it was taken out of, and why.
  Json photo = One({"show", s.photo});
  ASSERT_EQ(photo["taken_back"].size(), 1u) << photo.dump();
  EXPECT_EQ(photo["taken_back"][0]["from"], s.incident);
  EXPECT_EQ(photo["taken_back"][0]["as"], "incident");
  EXPECT_EQ(photo["taken_back"][0]["reason"], "filmed in 2012");
  RunResult video = isnad({"show", s.video});
  EXPECT_TRUE(Contains(video.out, "of " + s.kase + " as an exhibit, by log entry " +
                                      std::to_string(kase["leaf_index"].get<uint64_t>())))
      << video.out;

  // Refused, and nothing written: not linked (any more), no reason, a blank one.
  uint64_t size = LogSize();
  RunResult again = isnad({"incident", "unlink", s.incident, s.photo, "--reason", "twice"});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_TRUE(Contains(again.err, s.photo + " is not linked to incident " + s.incident))
      << again.err;
  EXPECT_TRUE(Contains(again.err, "nothing was written")) << again.err;
  RunResult never = isnad({"case", "unlink", s.kase, s.report, "--reason", "x"});
  EXPECT_TRUE(Contains(never.err, "is not an exhibit of case")) << never.err;
  EXPECT_EQ(isnad({"incident", "unlink", s.incident, s.video}).exit_code, 2);
  RunResult blank = isnad({"incident", "unlink", s.incident, s.video, "--reason", " \t"});
  EXPECT_EQ(blank.exit_code, 2);
  EXPECT_TRUE(Contains(blank.err, "--reason is blank")) << blank.err;
  EXPECT_EQ(LogSize(), size);

  // export-catalog keeps the history: the link, then the unlink with its reason.
  RunResult exported = isnad({"export-catalog", "--format", "jsonl"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  bool found = false;
  for (const Json& line : JsonLines(exported.out)) {
    if (line["kind"] == "unlink" && line.contains("incident")) {
      EXPECT_EQ(line["incident"], s.incident);
      EXPECT_EQ(line["items"], Json::array({s.photo}));
      EXPECT_EQ(line["reason"], "filmed in 2012");
      found = true;
    }
  }
  EXPECT_TRUE(found) << exported.out;
  // Linked again: back in.
  One({"incident", "link", s.incident, s.photo});
  EXPECT_TRUE(Has(Search({"--incident", s.incident}), s.photo));
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
}

TEST_F(GraphCli, WithdrawTakesAClaimBackWithItsReason) {
  Ghouta s = Build();
  Json shown = One({"relation", "show", s.subordinate});
  EXPECT_EQ(shown["subject"], s.brigade);
  EXPECT_EQ(shown["predicate"], "subordinate_of");
  EXPECT_EQ(shown["object"], s.division);
  RunResult plain = isnad({"relation", "show", s.subordinate});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_TRUE(Contains(plain.out, "subordinate_of")) << plain.out;
  EXPECT_TRUE(Contains(plain.out, s.report)) << plain.out;
  EXPECT_TRUE(Has(Search({"--actor", s.division}), s.report));
  // relation ls: every relation, or an actor's; a withdrawn one is not listed.
  auto ids = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"relation", "ls"});
    args.push_back("--json");
    RunResult r = isnad(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> out;
    for (const Json& j : JsonLines(r.out)) out.push_back(j["id"].get<std::string>());
    return out;
  };
  EXPECT_TRUE(Has(ids({}), s.subordinate));
  EXPECT_TRUE(Has(ids({}), s.present));
  EXPECT_EQ(ids({s.division}), std::vector<std::string>{s.subordinate});
  RunResult listed = isnad({"relation", "ls", s.division});
  EXPECT_TRUE(Contains(listed.out, s.subordinate + " ") && Contains(listed.out, "subordinate_of"))
      << listed.out;

  Json out =
      One({"relation", "withdraw", s.subordinate, "--reason", "the order names another brigade"});
  EXPECT_FALSE(Has(ids({}), s.subordinate));
  EXPECT_TRUE(Has(ids({}), s.present));
  EXPECT_EQ(out["type"], "relation.withdrawn");
  EXPECT_EQ(out["relation"], s.subordinate);
  EXPECT_EQ(out["reason"], "the order names another brigade");
  Json brigade = One({"actor", "show", s.brigade});
  for (const Json& r : brigade["relations"]) {
    EXPECT_NE(r["id"], s.subordinate) << r.dump();
  }
  EXPECT_TRUE(One({"actor", "show", s.division})["relations"].empty());
  // Both actors' pages still say the claim was made and taken back, and why.
  for (const std::string& who : {s.brigade, s.division}) {
    Json page = One({"actor", "show", who});
    ASSERT_EQ(page["relations_withdrawn"].size(), 1u) << page.dump();
    EXPECT_EQ(page["relations_withdrawn"][0]["id"], s.subordinate);
    EXPECT_EQ(page["relations_withdrawn"][0]["subject"], s.brigade);
    EXPECT_EQ(page["relations_withdrawn"][0]["object"], s.division);
    EXPECT_EQ(page["relations_withdrawn"][0]["entry"], out["leaf_index"]);
  }
  RunResult division_page = isnad({"actor", "show", s.division});
  EXPECT_TRUE(Contains(division_page.out, "claims withdrawn:")) << division_page.out;
  EXPECT_TRUE(Contains(division_page.out, "the order names another brigade")) << division_page.out;
  EXPECT_TRUE(One({"incident", "show", s.incident})["relations_withdrawn"].empty());
  EXPECT_FALSE(Has(Search({"--actor", s.division}), s.report));
  RunResult timeline = isnad({"timeline", s.division});
  EXPECT_FALSE(Contains(timeline.out, s.subordinate)) << timeline.out;

  // Refused, and nothing written: withdrawn already, not a relation, no or a blank reason.
  uint64_t size = LogSize();
  RunResult again = isnad({"relation", "withdraw", s.subordinate, "--reason", "twice"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_TRUE(Contains(again.err, s.subordinate + " was withdrawn")) << again.err;
  EXPECT_TRUE(Contains(again.err, "nothing was written")) << again.err;
  // Shown from its log entry, with the withdrawal first.
  RunResult gone = isnad({"relation", "show", s.subordinate});
  EXPECT_EQ(gone.exit_code, 0) << gone.err;
  EXPECT_TRUE(Contains(gone.out, "WITHDRAWN    by log entry " + out["leaf_index"].dump()))
      << gone.out;
  EXPECT_TRUE(Contains(gone.out, "the order names another brigade")) << gone.out;
  EXPECT_TRUE(Contains(gone.out, "subordinate_of")) << gone.out;
  Json gone_json = One({"relation", "show", s.subordinate});
  EXPECT_EQ(gone_json["withdrawn"]["leaf_index"], out["leaf_index"]) << gone_json.dump();
  EXPECT_EQ(gone_json["subject"], s.brigade) << gone_json.dump();
  RunResult missing = isnad({"relation", "show", "rel999"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_TRUE(Contains(missing.err, "lists an actor's relations")) << missing.err;
  RunResult actor = isnad({"relation", "withdraw", s.brigade, "--reason", "x"});
  EXPECT_EQ(actor.exit_code, 2);
  EXPECT_TRUE(Contains(actor.err, "is not a relation id")) << actor.err;
  EXPECT_EQ(isnad({"relation", "withdraw", s.present}).exit_code, 2);
  RunResult blank = isnad({"relation", "withdraw", s.present, "--reason", " "});
  EXPECT_EQ(blank.exit_code, 2);
  EXPECT_TRUE(Contains(blank.err, "--reason is blank")) << blank.err;
  EXPECT_EQ(LogSize(), size);

  // The plain log says which claim was withdrawn, and why, next to the claim.
  RunResult log = isnad({"log"});
  EXPECT_TRUE(Contains(log.out, "relation.withdrawn ")) << log.out;
  EXPECT_TRUE(Contains(log.out, s.subordinate + ": the order names another brigade")) << log.out;
  EXPECT_TRUE(Contains(log.out, s.subordinate + ": " + s.brigade + " subordinate_of " + s.division))
      << log.out;

  // export-catalog keeps the claim, with its ref, and the withdrawal after it.
  RunResult exported = isnad({"export-catalog", "--format", "jsonl"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  int claim = -1, withdrawal = -1, n = 0;
  for (const Json& line : JsonLines(exported.out)) {
    if (line["kind"] == "relation" && line["ref"] == s.subordinate) claim = n;
    if (line["kind"] == "withdraw") {
      EXPECT_EQ(line["relation"], s.subordinate);
      EXPECT_EQ(line["reason"], "the order names another brigade");
      withdrawal = n;
    }
    ++n;
  }
  EXPECT_GE(claim, 0) << exported.out;
  EXPECT_GT(withdrawal, claim) << exported.out;
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
}

// A case event recorded by mistake (here a warrant with a wrong date) is taken
// back with the reason: it leaves the case, its timeline and its documents' role,
// stays in the log and in `case show` under "events withdrawn", and the right one
// can then be recorded (it is no longer "the same event recorded already").
TEST_F(GraphCli, AWithdrawnCaseEventLeavesTheCaseButNotTheLog) {
  Ghouta s = Build();
  auto has_case = [&](const std::string& item) {
    Json shown = One({"show", item});
    return Has(shown["cases"].get<std::vector<std::string>>(), s.kase);
  };
  ASSERT_TRUE(has_case(s.report));  // in the case only as the warrant's document
  ASSERT_TRUE(Has(Search({"--case", s.kase}), s.report));
  // Unlinking that document is refused, naming the event to take back instead.
  RunResult unlink = isnad({"case", "unlink", s.kase, s.report, "--reason", "protected witness"});
  EXPECT_EQ(unlink.exit_code, 1);
  EXPECT_TRUE(Contains(unlink.err, "document of event " + s.warrant)) << unlink.err;
  EXPECT_TRUE(Contains(unlink.err, "case withdraw-event")) << unlink.err;
  // A bare number is not taken for an event id; the event it would be is named.
  const std::string number = s.warrant.substr(2);
  RunResult bare = isnad({"case", "withdraw-event", number, "--reason", "x"});
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_TRUE(Contains(bare.err, "did you mean " + s.warrant)) << bare.err;
  // An item's leaf given as an event: what that entry recorded is said.
  RunResult item = isnad({"case", "withdraw-event", "ev" + s.video.substr(1), "--reason", "x"});
  EXPECT_EQ(item.exit_code, 3);
  EXPECT_TRUE(Contains(item.err, "recorded " + s.video + ", not a case event")) << item.err;
  // Typed from a printout in capitals, the id is taken.
  Json out = One({"case", "withdraw-event", "EV" + number, "--reason",
                  "wrong month: the warrants were issued on 2023-11-14"});
  EXPECT_EQ(out["type"], "case.event_withdrawn");
  EXPECT_EQ(out["event"], s.warrant);
  EXPECT_EQ(out["case"], s.kase);

  Json kase = One({"case", "show", s.kase});
  std::vector<std::string> events;
  for (const Json& ev : kase["events"]) events.push_back(ev["id"].get<std::string>());
  EXPECT_FALSE(Has(events, s.warrant)) << kase.dump();
  EXPECT_TRUE(Has(events, s.complaint)) << kase.dump();
  ASSERT_EQ(kase["events_withdrawn"].size(), 1u) << kase.dump();
  EXPECT_EQ(kase["events_withdrawn"][0]["event"], s.warrant);
  EXPECT_EQ(kase["events_withdrawn"][0]["type"], "warrant");
  EXPECT_EQ(kase["events_withdrawn"][0]["date"], "2023-11");
  EXPECT_EQ(kase["events_withdrawn"][0]["entry"], out["leaf_index"]);
  // What the event was stays readable: its documents, description, who recorded it.
  EXPECT_EQ(kase["events_withdrawn"][0]["documents"], Json::array({s.report})) << kase.dump();
  EXPECT_EQ(kase["events_withdrawn"][0]["description"]["en"], "arrest warrants issued");
  EXPECT_FALSE(kase["events_withdrawn"][0]["recorded"]["operator"].get<std::string>().empty());
  RunResult plain = isnad({"case", "show", s.kase});
  EXPECT_TRUE(Contains(plain.out, "events withdrawn:")) << plain.out;
  EXPECT_TRUE(Contains(plain.out, "document " + s.report)) << plain.out;
  EXPECT_TRUE(Contains(plain.out, "arrest warrants issued")) << plain.out;
  EXPECT_TRUE(Contains(plain.out, "wrong month: the warrants were issued on 2023-11-14"))
      << plain.out;
  RunResult timeline = isnad({"timeline", s.kase});
  EXPECT_FALSE(Contains(timeline.out, s.warrant)) << timeline.out;
  EXPECT_TRUE(Contains(timeline.out, s.complaint)) << timeline.out;
  EXPECT_FALSE(has_case(s.report));
  EXPECT_FALSE(Has(Search({"--case", s.kase}), s.report));
  EXPECT_TRUE(Has(Search({"--case", s.kase}), s.video));
  // The item's own page says it left the case with that event, and why.
  Json report = One({"show", s.report});
  ASSERT_EQ(report["taken_back"].size(), 1u) << report.dump();
  EXPECT_EQ(report["taken_back"][0]["from"], s.kase);
  EXPECT_EQ(report["taken_back"][0]["as"], "document");
  EXPECT_EQ(report["taken_back"][0]["event"], s.warrant);
  EXPECT_EQ(report["taken_back"][0]["entry"], out["leaf_index"]);
  RunResult report_page = isnad({"show", s.report});
  EXPECT_TRUE(Contains(report_page.out,
                       "as the document of event " + s.warrant + " (withdrawn) in " + s.kase))
      << report_page.out;

  // Refused, and nothing written: withdrawn already, not an event, a blank reason.
  uint64_t size = LogSize();
  RunResult again = isnad({"case", "withdraw-event", s.warrant, "--reason", "twice"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_TRUE(Contains(again.err, s.warrant + " was withdrawn already")) << again.err;
  EXPECT_TRUE(Contains(again.err, "nothing was written")) << again.err;
  RunResult not_event = isnad({"case", "withdraw-event", s.kase, "--reason", "x"});
  EXPECT_EQ(not_event.exit_code, 2);
  EXPECT_TRUE(Contains(not_event.err, "case event's id")) << not_event.err;
  EXPECT_EQ(isnad({"case", "withdraw-event", "ev999", "--reason", "x"}).exit_code, 3);
  RunResult blank = isnad({"case", "withdraw-event", s.appeal, "--reason", " "});
  EXPECT_EQ(blank.exit_code, 2);
  EXPECT_TRUE(Contains(blank.err, "--reason is blank")) << blank.err;
  EXPECT_EQ(LogSize(), size);

  // The very event withdrawn, run again from the shell's history: refused, naming
  // the withdrawal (it would undo the correction), unless --new.
  RunResult undo = isnad({"case", "event", s.kase, "--type", "warrant", "--date", "2023-11",
                          "--description", "arrest warrants issued", "--document", s.report});
  EXPECT_NE(undo.exit_code, 0);
  EXPECT_TRUE(Contains(undo.err, s.warrant + ", withdrawn by log entry")) << undo.err;
  EXPECT_TRUE(Contains(undo.err, "wrong month")) << undo.err;
  EXPECT_EQ(LogSize(), size);
  // The right warrant is recorded anew; its document is said not to be an exhibit.
  RunResult right = isnad({"case", "event", s.kase, "--type", "warrant", "--date", "2023-11-14",
                           "--description", "arrest warrants issued", "--document", s.report});
  EXPECT_EQ(right.exit_code, 0) << right.err;
  EXPECT_TRUE(Contains(right.err, "is not an exhibit of " + s.kase)) << right.err;
  EXPECT_TRUE(has_case(s.report));

  // The log says which event was withdrawn and why.
  RunResult log = isnad({"log"});
  EXPECT_TRUE(Contains(log.out, "case.event_withdrawn ")) << log.out;
  EXPECT_TRUE(Contains(log.out, s.warrant + ": wrong month")) << log.out;
  EXPECT_TRUE(Contains(log.out, s.warrant + ": " + s.kase + " warrant 2023-11")) << log.out;
  bool found = false;
  for (const Json& e : JsonLines(isnad({"log", "--json"}).out)) {
    if (e["type"] == "case.event" && e.value("id", "") == s.warrant) found = true;
  }
  EXPECT_TRUE(found) << "log --json gives each case.event its ev id";
  // export-catalog gives each event its ref and the withdrawal after it.
  RunResult exported = isnad({"export-catalog", "--format", "jsonl"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  int event = -1, withdrawal = -1, n = 0;
  for (const Json& line : JsonLines(exported.out)) {
    if (line["kind"] == "case_event" && line["ref"] == s.warrant) event = n;
    if (line["kind"] == "withdraw" && line.value("event", "") == s.warrant) {
      EXPECT_EQ(line["reason"], "wrong month: the warrants were issued on 2023-11-14");
      withdrawal = n;
    }
    ++n;
  }
  EXPECT_GE(event, 0) << exported.out;
  EXPECT_GT(withdrawal, event) << exported.out;
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
}

TEST_F(GraphCli, ImportSaysWhichImportedClaimsContradict) {
  const std::string item = AddFile("report.txt");
  const std::string unit = NewId({"actor", "add", "--type", "unit", "--name", "Unit 450"});
  const std::string forces =
      NewId({"actor", "add", "--type", "unit", "--name", "Strategic Forces"});
  const std::string division = NewId({"actor", "add", "--type", "unit", "--name", "4th Division"});
  // An old contradiction, not the import's: not repeated by it.
  const std::string other = NewId({"actor", "add", "--type", "unit", "--name", "155th Brigade"});
  One({"relation", "add", other, "subordinate_of", forces, "--from", "2012", "--to", "2012",
       "--source", item});
  One({"relation", "add", other, "subordinate_of", division, "--from", "2012", "--to", "2012",
       "--source", item});
  auto line = [&](const std::string& superior) {
    return "{\"kind\":\"relation\",\"subject\":\"" + unit +
           "\",\"predicate\":\"subordinate_of\",\"object\":\"" + superior +
           "\",\"from\":\"2013-08\",\"to\":\"2013-08\",\"sources\":[{\"item\":\"" + item +
           "\",\"confidence\":\"low\"}]}\n";
  };
  WriteTestFile(tmp_.Join("claims.jsonl"), line(forces) + line(division));
  RunResult r = isnad({"import", tmp_.Join("claims.jsonl")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.err, "warning: ")) << r.err;
  EXPECT_TRUE(Contains(r.err, "contradicting dates")) << r.err;
  EXPECT_TRUE(Contains(r.err, unit)) << r.err;
  EXPECT_FALSE(Contains(r.err, other)) << "an earlier warning repeated: " << r.err;
  // Run again (the import refuses nothing here: two new claims), then --json.
  WriteTestFile(tmp_.Join("more.jsonl"), line(forces));
  RunResult j = isnad({"import", tmp_.Join("more.jsonl"), "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  bool warned = false;
  for (const Json& l : JsonLines(j.out)) warned = warned || l.contains("warning");
  EXPECT_TRUE(warned) << j.out;
}

TEST_F(GraphCli, ANameNotKnownAsWrittenOffersWhatSearchFinds) {
  Ghouta s = Build();
  // A spelling search matches but no name records: offered with its id, not taken.
  const uint64_t size = LogSize();
  RunResult r = isnad({"describe", s.photo, "--place", "Zamelka"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(Contains(r.err, "no place named \"Zamelka\"; search finds " + s.zamalka)) << r.err;
  EXPECT_EQ(LogSize(), size);
  RunResult none = isnad({"describe", s.photo, "--place", "Atlantis"});
  EXPECT_EQ(none.exit_code, 3);
  EXPECT_FALSE(Contains(none.err, "search finds")) << none.err;
}

TEST_F(GraphCli, SearchWithinAPlaceTakesItsSubPlacesAndNearTakesAPlace) {
  Ghouta s = Build();
  One({"describe", s.report, "--place", "Ein Tarma"});
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  // Eastern Ghouta holds Zamalka and Ein Tarma: everything placed in either.
  EXPECT_EQ(sorted(Search({"--place", "Eastern Ghouta"})), sorted({s.video, s.photo, s.report}));
  EXPECT_EQ(sorted(Search({"--place", "الغوطة الشرقية", "--kind", "item"})),
            sorted({s.video, s.photo, s.report}));
  // Zamalka: the video placed there, the photo through the incident there.
  EXPECT_EQ(sorted(Search({"--place", s.zamalka})), sorted({s.video, s.photo}));
  // --near a place with coordinates; a place without them is refused.
  EXPECT_EQ(Search({"--near", "Zamalka", "--radius-km", "1"}), std::vector<std::string>{s.video});
  RunResult bare = isnad({"search", "--near", "Eastern Ghouta", "--radius-km", "5"});
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_TRUE(Contains(bare.err, "has no coordinates")) << bare.err;
  // Longitude first: nothing, and the note says the numbers the other way round find some.
  RunResult swapped = isnad({"search", "--near", "36.3558,33.5376", "--radius-km", "1"});
  EXPECT_EQ(swapped.exit_code, 0) << swapped.err;
  EXPECT_TRUE(Contains(swapped.out, "0 hit(s)")) << swapped.out;
  EXPECT_TRUE(Contains(swapped.err, "--near is LAT,LON")) << swapped.err;
}

TEST_F(GraphCli, AnActorsChainOfCommandGoesUpClaimByClaim) {
  Ghouta s = Build();
  const std::string maher = NewId({"actor", "add", "--type", "person", "--name", "Maher"});
  const std::string commands = NewId({"relation", "add", maher, "commands", s.division, "--from",
                                      "2011", "--source", s.report + ":medium"});
  auto chain = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"actor", "chain"});
    args.push_back("--json");
    RunResult r = isnad(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return JsonLines(r.out);
  };
  // The brigade is under the division (2012-2014), which Maher commands (from 2011).
  std::vector<Json> up = chain({"155th Missile Brigade"});
  ASSERT_EQ(up.size(), 2u);
  EXPECT_EQ(up[0]["relation"], s.subordinate);
  EXPECT_EQ(up[0]["above"], s.division);
  EXPECT_EQ(up[0]["how"], "under");
  EXPECT_EQ(up[0]["above_name"], "4th Armoured Division");
  EXPECT_EQ(up[0]["actor_name"], "155th Missile Brigade");
  EXPECT_EQ(up[0]["depth"], 1);
  EXPECT_EQ(up[1]["relation"], commands);
  EXPECT_EQ(up[1]["above"], maher);
  EXPECT_EQ(up[1]["how"], "commanded by");
  EXPECT_EQ(up[1]["depth"], 2);
  // In 2011 the brigade's claim does not hold yet: no chain.
  EXPECT_TRUE(chain({s.brigade, "--at", "2011"}).empty());
  RunResult none = isnad({"actor", "chain", s.brigade, "--at", "2011"});
  EXPECT_TRUE(Contains(none.out, "no superior")) << none.out;
  // A claim back down to the brigade is a cycle: shown, not followed.
  NewId({"relation", "add", s.division, "subordinate_of", s.brigade, "--from", "2013", "--source",
         s.report});
  std::vector<Json> looped = chain({s.brigade, "--at", "2013-08-21"});
  bool cycle = false;
  for (const Json& l : looped) cycle = cycle || (l["cycle"] == true && l["above"] == s.brigade);
  EXPECT_TRUE(cycle);
  EXPECT_LE(looped.size(), 3u);
  RunResult plain = isnad({"actor", "chain", s.brigade, "--at", "2013-08-21"});
  EXPECT_TRUE(Contains(plain.out, "CYCLE")) << plain.out;
  EXPECT_EQ(isnad({"actor", "chain", s.brigade, "--at", "21/08/2013"}).exit_code, 2);
  // Two superiors at once: both shown, with the graph's warning about them.
  NewId({"relation", "add", s.brigade, "subordinate_of", s.scm, "--from", "2013-06", "--to",
         "2013-09", "--source", s.report});
  RunResult two = isnad({"actor", "chain", s.brigade, "--at", "2013-07"});
  EXPECT_TRUE(Contains(two.out, "warning: ")) << two.out;
  EXPECT_TRUE(Contains(two.out, "contradicting dates")) << two.out;
}

TEST_F(GraphCli, AsWrittenSearchLeavesOutSpellingVariants) {
  // "sarin" and "Syrian" share a cross-script key (srn): in a Syria archive the
  // word of a chemical-weapons search would find every "Syrian". --as-written
  // matches the word and its forms only, and the plain search says how many
  // hits came only through a key.
  std::string sarin = AddText("sarin.txt", "Sarin was found in the soil samples.");
  std::string syrian = AddText("syrian.txt", "Statement by the Syrian Arab Red Crescent.");
  std::string arabic = AddText("ar.txt", "عثر على السارين في العينات");
  std::vector<std::string> all = Search({"sarin"});
  EXPECT_TRUE(Has(all, sarin) && Has(all, syrian) && Has(all, arabic));
  EXPECT_EQ(all.front(), sarin);  // as typed ranks first
  EXPECT_EQ(Search({"sarin", "--as-written"}), std::vector<std::string>{sarin});
  EXPECT_EQ(Search({"\"Syrian Arab\"", "--as-written"}), std::vector<std::string>{syrian});
  EXPECT_EQ(Search({"sarins", "--as-written"}), std::vector<std::string>{sarin});  // its forms
  // What is left out is left out as written: "-sarin" keeps the Syrian statement.
  EXPECT_EQ(Search({"statement -sarin"}), std::vector<std::string>{syrian});
  EXPECT_EQ(Search({"statement NOT sarin"}), std::vector<std::string>{syrian});
  RunResult plain = isnad({"search", "sarin"});
  EXPECT_TRUE(Contains(plain.out, "2 of these match only through a spelling variant")) << plain.out;
  EXPECT_FALSE(Contains(isnad({"search", "sarin", "--as-written"}).out, "spelling variant"));
}

TEST_F(GraphCli, ReindexChangesNoGraphAnswer) {
  Ghouta s = Build();
  One({"tag", s.video, "sarin"});
  One({"review", s.photo, "--status", "verified", "--reason", "shadows match"});
  One({"derive", s.photo, "--from", s.video});
  One({"relation", "add", s.division, "subordinate_of", s.brigade, "--source", s.report});
  One({"incident", "unlink", s.incident, s.video, "--reason", "another day's footage"});
  One({"relation", "withdraw", s.present, "--reason", "the source is a rumour"});
  One({"case", "withdraw-event", s.warrant, "--reason", "the wrong month"});
  std::vector<std::vector<std::string>> queries = {
      {"place", "ls"},
      {"place", "ls", "--json"},
      {"incident", "ls"},
      {"incident", "ls", "--json"},
      {"incident", "show", s.incident},
      {"incident", "show", s.incident, "--json"},
      {"actor", "ls"},
      {"actor", "ls", "--json"},
      {"actor", "show", s.brigade},
      {"actor", "show", s.brigade, "--json"},
      {"actor", "show", s.division, "--json"},
      {"case", "ls"},
      {"case", "ls", "--json"},
      {"case", "show", s.kase},
      {"case", "show", s.kase, "--json"},
      {"timeline", s.incident},
      {"timeline", s.incident, "--json"},
      {"timeline", s.kase},
      {"timeline", s.kase, "--json"},
      {"timeline", s.brigade},
      {"timeline", s.brigade, "--json"},
      {"search", "Zamalka", "--facets"},
      {"search", "Zamalka", "--facets", "--json"},
      {"search", "--facets", "--json", "--limit", "100"},
      {"search", "غوطه"},
      {"search", "dawn", "--json"},
      {"search", "--tag", "sarin", "--json"},
      {"search", "--status", "verified", "--json"},
      {"search", "--near", "33.53,36.35", "--radius-km", "3", "--json"},
      {"search", "--incident", s.incident, "--event-from", "2013", "--json"},
      {"show", s.video, "--json"},
      {"show", s.photo},
      {"ls", "--json"},
  };
  std::vector<RunResult> before;
  for (const auto& q : queries) {
    before.push_back(isnad(q));
    EXPECT_EQ(before.back().exit_code, 0) << q[0] << " " << q[1] << ": " << before.back().err;
  }
  for (const char* f : {"catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm"}) {
    std::filesystem::remove(archive_ + "/" + f);
  }
  RunResult r = isnad({"reindex"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (size_t i = 0; i < queries.size(); ++i) {
    RunResult after = isnad(queries[i]);
    EXPECT_EQ(after.exit_code, before[i].exit_code);
    EXPECT_EQ(after.out, before[i].out) << queries[i][0] << " " << queries[i][1];
  }
  EXPECT_EQ(isnad({"verify"}).exit_code, 0);
}

// Arabic text given where the language defaults to English would be recorded
// as English for good: refused, saying how to give its language.
TEST_F(GraphCli, ArabicTextWithNoLanguageIsRefused) {
  std::string item = AddFile("video.bin");
  const uint64_t before = LogSize();
  RunResult title = isnad({"describe", item, "--title", "ضحايا في زملكا"});
  EXPECT_EQ(title.exit_code, 2);
  EXPECT_TRUE(Contains(title.err, "--lang ar")) << title.err;
  RunResult place = isnad({"place", "add", "--name", "زملكا"});
  EXPECT_EQ(place.exit_code, 2);
  EXPECT_TRUE(Contains(place.err, "--name-ar")) << place.err;
  EXPECT_EQ(LogSize(), before);
  One({"describe", item, "--title", "ضحايا في زملكا", "--lang", "ar"});
  One({"place", "add", "--name", "Zamalka", "--name-ar", "زملكا"});
  // A description is checked as a title is, in every command that takes one.
  RunResult description =
      isnad({"incident", "add", "--title", "Zamalka", "--description", "سقوط صواريخ على زملكا"});
  EXPECT_EQ(description.exit_code, 2);
  EXPECT_TRUE(Contains(description.err, "--description")) << description.err;
  // A language given by its name gets the tag it stands for.
  RunResult named =
      isnad({"actor", "add", "--type", "unit", "--name", "اللواء 155", "--lang", "Arabic"});
  EXPECT_EQ(named.exit_code, 2);
  EXPECT_TRUE(Contains(named.err, "did you mean ar?")) << named.err;
  EXPECT_EQ(LogSize(), before + 2);
  // A name with a few Arabic words in a Latin text is English.
  One({"describe", item, "--title", "Victims in Zamalka (زملكا)"});
  // --lang given is taken as meant, by every command alike.
  One({"place", "add", "--name", "كفربطنا", "--lang", "fa"});
  One({"case", "add", "--title", "شكوى", "--lang", " AR ", "--jurisdiction", "FR"});
  RunResult cases = isnad({"case", "ls", "--json"});
  EXPECT_TRUE(Contains(cases.out, "\"ar\":\"شكوى\"")) << cases.out;
}

// A copy forwarded under another name, from another witness, is found by that
// name and by where it came from, not only by the name it first arrived under.
TEST_F(GraphCli, SearchFindsAnItemByEveryNameAndSourceItArrivedWith) {
  std::string item = AddFile("video.bin");
  WriteTestFile(tmp_.Join("dump/VID-20130821-WA0015.mp4"),
                core::testing::ReadTestFile(tmp_.Join("in/video.bin")));
  RunResult again = isnad({"add", tmp_.Join("dump/VID-20130821-WA0015.mp4"), "--source",
                           "USB stick from witness W-19", "--note", "handed over in Gaziantep"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Search({"WA0015"}), std::vector<std::string>{item});
  EXPECT_EQ(Search({"\"witness W-19\""}), std::vector<std::string>{item});
  EXPECT_EQ(Search({"Gaziantep"}), std::vector<std::string>{item});
  // And so after a rebuild from the log.
  ASSERT_EQ(isnad({"reindex"}).exit_code, 0);
  EXPECT_EQ(Search({"WA0015"}), std::vector<std::string>{item});
}

// A mistake made in every row of a spreadsheet (here a date the way a
// spreadsheet shows it) is shown ten times on a terminal, then counted, not
// printed a thousand times; --json still gives every problem.
TEST_F(GraphCli, ImportShowsTenProblemsAColumnThenCountsTheRest) {
  std::string item = AddFile("video.bin");
  const uint64_t before = LogSize();
  std::string csv = "id,event_date\n";
  for (int i = 0; i < 25; ++i) csv += item + ",21/08/2013\n";
  WriteTestFile(tmp_.Join("rows.csv"), csv);
  RunResult r = isnad({"import", tmp_.Join("rows.csv")});
  EXPECT_NE(r.exit_code, 0);
  size_t shown = 0;
  for (size_t at = r.err.find("column event_date:"); at != std::string::npos;
       at = r.err.find("column event_date:", at + 1)) {
    ++shown;
  }
  EXPECT_EQ(shown, 10u) << r.err;
  EXPECT_TRUE(Contains(r.err, "... and 15 more problem(s) in column event_date")) << r.err;
  RunResult json = isnad({"import", tmp_.Join("rows.csv"), "--json"});
  size_t lines = 0;
  for (char c : json.out) lines += c == '\n';
  EXPECT_EQ(lines, 26u) << json.out;  // 25 problems and the summary
  EXPECT_EQ(LogSize(), before);
}

}  // namespace
}  // namespace isnad
