// The evidence graph: entry grammar, projection into the catalogue, reindex
// equality over a large random history, search, timelines and warnings.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/entries.h"
#include "core/digest.h"
#include "core/testing/temp_dir.h"

namespace isnad::catalog {
namespace {

using core::Code;
using core::Json;

const Actor kBy{"2026-11-29T10:41:34.123Z", "analyst@desk"};

core::Hash RootAt(uint64_t size) { return core::Sha256Of("root " + std::to_string(size)); }

// Builds a log one entry at a time, so that ids follow from positions.
class History {
 public:
  History() {
    entries_.push_back(*ArchiveCreatedEntry(kBy, "example.org/test", "vkey", "isnad test"));
  }
  uint64_t next() const { return entries_.size(); }
  std::string Item(const std::string& name, const std::string& media_type = "video/mp4") {
    auto e = ItemIngestedEntry(kBy, core::Sha256Of(name), 10, media_type, {name, "/in/" + name});
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return Push(*e, EntityKind::kItem);
  }
  std::string Graph(Json body, EntityKind kind = EntityKind::kRelation) {
    auto e = GraphEntry(kBy, std::move(body));
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return Push(e.ok() ? *e : "", kind);
  }
  const std::vector<std::string>& entries() const { return entries_; }

 private:
  std::string Push(std::string entry, EntityKind kind) {
    entries_.push_back(std::move(entry));
    return EntityId(kind, entries_.size() - 1);
  }
  std::vector<std::string> entries_;
};

// Applies `entries` in batches of `batch` (0: one) to a catalogue at `path`.
// With `bulk_entries`, the batches up to there are one bulk load, as
// Archive::Reindex makes it, and the rest are applied as updates.
std::unique_ptr<Catalog> Build(const std::vector<std::string>& entries, size_t batch = 0,
                               const std::string& path = ":memory:", size_t bulk_entries = 0) {
  auto c = Catalog::Open(path, false);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  if (!c.ok()) return nullptr;
  if (batch == 0) batch = entries.size();
  bool bulk = bulk_entries > 0;
  if (bulk) {
    EXPECT_TRUE((*c)->BeginBulkLoad().ok());
  }
  for (size_t at = 0; at < entries.size(); at += batch) {
    if (bulk && at >= bulk_entries) {
      EXPECT_TRUE((*c)->EndBulkLoad().ok());
      bulk = false;
    }
    size_t n = std::min(batch, entries.size() - at);
    std::vector<std::string> part(entries.begin() + at, entries.begin() + at + n);
    core::Status s = (*c)->Apply(at, part, RootAt(at + n));
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  if (bulk) {
    EXPECT_TRUE((*c)->EndBulkLoad().ok());
  }
  return std::move(c).value();
}

// Runs `sql` on the database file at `path` and returns the first column of
// each row, "|"-joined; "error: ..." when it fails.
std::string Sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return "error: open";
  char* err = nullptr;
  int rc = sqlite3_exec(
      db, sql.c_str(),
      [](void* o, int, char** cols, char**) {
        auto* s = static_cast<std::string*>(o);
        if (!s->empty()) *s += '|';
        *s += cols[0] ? cols[0] : "NULL";
        return 0;
      },
      &out, &err);
  if (rc != SQLITE_OK) out = std::string("error: ") + (err ? err : "?");
  sqlite3_free(err);
  sqlite3_close(db);
  return out;
}

std::vector<std::string> Ids(const SearchResult& r) {
  std::vector<std::string> ids;
  for (const auto& h : r.hits) ids.push_back(h.id);
  return ids;
}

TEST(GraphEntries, GrammarRefusesWhatIsWrong) {
  struct Case {
    Json body;
    std::string says;
  };
  const Case cases[] = {
      {{{"type", "item.described"}, {"item", "i1"}, {"title", "x"}}, "needs \"lang\""},
      {{{"type", "item.described"}, {"item", "i1"}}, "says nothing"},
      {{{"type", "item.described"}, {"item", "i1"}, {"event_date", "2013-02-30"}}, "date"},
      {{{"type", "item.described"}, {"item", "i1"}, {"event_date", "21/08/2013"}}, "date"},
      {{{"type", "item.described"}, {"item", "i1"}, {"lat", "33.5"}}, "go together"},
      {{{"type", "item.described"}, {"item", "i1"}, {"lat", "91"}, {"lon", "36"}}, "latitude"},
      {{{"type", "item.described"}, {"item", "pl1"}, {"event_date", "2013"}}, "item id"},
      {{{"type", "item.tagged"}, {"item", "i1"}}, "add"},
      {{{"type", "item.tagged"}, {"item", "i1"}, {"add", Json::array()}}, "at least one"},
      {{{"type", "item.reviewed"}, {"item", "i1"}, {"status", "true"}, {"reason", "r"}},
       "verified"},
      {{{"type", "item.derived"}, {"item", "i1"}, {"original", "i1"}}, "itself"},
      {{{"type", "place.added"}, {"names", {{"english", "X"}}}}, "language tag"},
      {{{"type", "actor.added"}, {"actor_type", "army"}, {"names", {{"en", "X"}}}}, "person"},
      {{{"type", "relation.added"},
        {"subject", "ac1"},
        {"predicate", "commands"},
        {"object", "ac2"},
        {"sources", Json::array()}},
       "at least one"},
      {{{"type", "relation.added"},
        {"subject", "ac1"},
        {"predicate", "commands"},
        {"object", "ac2"},
        {"from", "2014"},
        {"to", "2012"},
        {"sources", {{{"item", "i1"}, {"confidence", "high"}}}}},
       "after"},
      {{{"type", "relation.added"},
        {"subject", "ac1"},
        {"predicate", "Commands"},
        {"object", "ac2"},
        {"sources", {{{"item", "i1"}, {"confidence", "high"}}}}},
       "lower-case"},
      {{{"type", "case.event"}, {"case", "case3"}, {"event", "warrant"}}, "date"},
      {{{"type", "item.ingested"}}, "not an evidence graph entry"},
  };
  for (const Case& c : cases) {
    auto e = GraphEntry(kBy, c.body);
    ASSERT_FALSE(e.ok()) << c.body.dump();
    EXPECT_EQ(e.status().code(), Code::kInvalidArgument);
    EXPECT_NE(e.status().message().find(c.says), std::string::npos)
        << e.status().message() << " lacks " << c.says;
  }
}

// A date as people and spreadsheets write it gets the date it most likely
// meant, or says why two are possible; what is no date gets no guess.
TEST(GraphEntries, DateHintsSayWhatWasMeant) {
  EXPECT_EQ(DateHint("21/08/2013"), "Did you mean 2013-08-21 (year-month-day)?");
  EXPECT_EQ(DateHint("08/2013"), "Did you mean 2013-08 (year-month)?");
  EXPECT_EQ(DateHint("13/2013"), "");
  EXPECT_EQ(DateHint("2013-08-05/2013-08-04"),
            "The range ends before it begins: give the earlier date first "
            "(2013-08-04/2013-08-05).");
  EXPECT_EQ(DateHint("08/21/2013"), "Did you mean 2013-08-21 (year-month-day)?");
  EXPECT_EQ(DateHint("21.8.2013"), "Did you mean 2013-08-21 (year-month-day)?");
  EXPECT_NE(DateHint("04/08/2013")
                .find("2013-08-04 if the day is first, 2013-04-08 if the "
                      "month is"),
            std::string::npos)
      << DateHint("04/08/2013");
  EXPECT_EQ(DateHint("05/05/2013"), "Did you mean 2013-05-05 (year-month-day)?");
  EXPECT_EQ(DateHint("31/02/2013"), "");  // no such day either way
  EXPECT_NE(DateHint("41507").find("it is 2013-08-21"), std::string::npos) << DateHint("41507");
  EXPECT_NE(DateHint("2013-08-21 14:30").find("give 2013-08-21"), std::string::npos);
  EXPECT_NE(DateHint("2013/08/21").find("Did you mean 2013-08-21?"), std::string::npos);
  EXPECT_EQ(DateHint("last summer"), "");
  // A month or day without its zero, and a day the month does not have.
  EXPECT_EQ(DateHint("2013-8-21"), "Did you mean 2013-08-21?");
  EXPECT_EQ(DateHint("2013-08-1"), "Did you mean 2013-08-01?");
  EXPECT_EQ(DateHint("2013-8"), "Did you mean 2013-08 (year-month)?");
  EXPECT_EQ(DateHint("2013-02-30"), "2013-02 has 28 days; there is no day 30.");
  EXPECT_EQ(DateHint("2012-02-30"), "2012-02 has 29 days; there is no day 30.");
  EXPECT_EQ(DateHint("2013-13-01"), "");
  EXPECT_EQ(DateHint("2013-08-21"), "");
  EXPECT_EQ(WithoutMidnight("2013-08-21 00:00:00"), "2013-08-21");
  EXPECT_EQ(WithoutMidnight("2013-08-21T00:00:00Z"), "2013-08-21");
  EXPECT_EQ(WithoutMidnight(" 2013-08-21 "), "2013-08-21");
  EXPECT_EQ(WithoutMidnight("2013-08-21 14:00:00"), "2013-08-21 14:00:00");
  EXPECT_EQ(WithoutMidnight("2013-08"), "2013-08");
  // A Hijri year taken for a Gregorian one is valid, and said.
  EXPECT_NE(DateNote("1434-10-14").find("1434 AH began in 2012"), std::string::npos)
      << DateNote("1434-10-14");
  EXPECT_NE(DateNote("1434-10~").find("Hijri"), std::string::npos);
  // A Solar Hijri year not begun yet is no reading: 1434 SH would be 2055.
  EXPECT_EQ(DateNote("1434-10-14").find(" SH "), std::string::npos) << DateNote("1434-10-14");
  EXPECT_NE(DateNote("1402-06-25").find("1402 SH began in March 2023"), std::string::npos)
      << DateNote("1402-06-25");
  EXPECT_EQ(DateNote("2013-08-21"), "");
  EXPECT_EQ(DateNote("1899"), "");
  EXPECT_EQ(DateNote("not a date"), "");
  // A value longer than any date is no date, and is never matched (std::regex
  // recurses a character at a time: 40 KB once ran out of stack).
  const std::string long_value = std::string(100000, ' ') + "2013-08-21 14:30";
  EXPECT_EQ(DateHint(long_value), "");
  EXPECT_EQ(WithoutMidnight(long_value), long_value);
}

TEST(GraphEntries, DatesAndIds) {
  auto d = ParseEventDate("2013-08");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->lo, "2013-08-01");
  EXPECT_EQ(d->hi, "2013-08-31");
  d = ParseEventDate("2012-02~");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->hi, "2012-02-29");
  EXPECT_TRUE(d->approximate);
  d = ParseEventDate("2013-08-04/2013-08-05");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->lo, "2013-08-04");
  EXPECT_EQ(d->hi, "2013-08-05");
  for (const char* bad : {"", "13", "2013-13", "2013-8-1", "2013-08-05/2013-08-04", "2013/",
                          "2013-02-29", "2013-08-21T10:00"}) {
    EXPECT_FALSE(ParseEventDate(bad).has_value()) << bad;
  }
  EXPECT_EQ(ParseEntityId("inc12")->kind, EntityKind::kIncident);
  EXPECT_EQ(ParseEntityId("i12")->kind, EntityKind::kItem);
  EXPECT_EQ(ParseEntityId("case0")->leaf_index, 0u);
  for (const char* bad : {"inc", "inc01", "x3", "I3", "pl-1", "ac1a"}) {
    EXPECT_FALSE(ParseEntityId(bad).has_value()) << bad;
  }
}

// A small case: places, an incident, actors, relations, a case and its events.
struct Sample {
  History h;
  std::string video, report, zamalka, ghouta, attack, assad, unit, brigade, rel_cmd, the_case;
  Sample() {
    video = h.Item("zamalka-0821.mp4");
    report = h.Item("report.pdf", "application/pdf");
    ghouta = h.Graph(
        {{"type", "place.added"}, {"names", {{"en", "Eastern Ghouta"}, {"ar", "الغوطة الشرقية"}}}},
        EntityKind::kPlace);
    zamalka = h.Graph({{"type", "place.added"},
                       {"names", {{"en", "Zamalka"}, {"ar", "زملكا"}}},
                       {"variants", {"Zamalkah"}},
                       {"lat", "33.521"},
                       {"lon", "36.355"},
                       {"within", ghouta}},
                      EntityKind::kPlace);
    h.Graph({{"type", "item.described"},
             {"item", video},
             {"lang", "ar"},
             {"title", "قصف بالصواريخ على المدينة"},
             {"event_date", "2013-08-21"},
             {"place", zamalka}},
            EntityKind::kItem);
    h.Graph({{"type", "item.tagged"}, {"item", video}, {"add", {"sarin", "rockets"}}},
            EntityKind::kItem);
    h.Graph({{"type", "item.reviewed"},
             {"item", video},
             {"status", "verified"},
             {"reason", "geolocated by two analysts"}},
            EntityKind::kItem);
    attack = h.Graph({{"type", "incident.added"},
                      {"title", {{"en", "Chemical attack on Eastern Ghouta"}}},
                      {"category", "chemical attack"},
                      {"date", "2013-08-21"},
                      {"places", {zamalka}}},
                     EntityKind::kIncident);
    h.Graph({{"type", "incident.linked"}, {"incident", attack}, {"items", {video}}},
            EntityKind::kIncident);
    assad = h.Graph({{"type", "actor.added"},
                     {"actor_type", "person"},
                     {"names", {{"en", "Bashar al-Assad"}, {"ar", "بشار الأسد"}}}},
                    EntityKind::kActor);
    unit = h.Graph({{"type", "actor.added"},
                    {"actor_type", "unit"},
                    {"names", {{"en", "Fourth Armoured Division"}}}},
                   EntityKind::kActor);
    brigade = h.Graph(
        {{"type", "actor.added"}, {"actor_type", "unit"}, {"names", {{"en", "155th Brigade"}}}},
        EntityKind::kActor);
    rel_cmd = h.Graph({{"type", "relation.added"},
                       {"subject", assad},
                       {"predicate", "commands"},
                       {"object", unit},
                       {"from", "2000"},
                       {"sources", {{{"item", report}, {"confidence", "high"}}}}});
    h.Graph({{"type", "relation.added"},
             {"subject", unit},
             {"predicate", "present_at"},
             {"object", attack},
             {"from", "2013-08-21"},
             {"to", "2013-08-21"},
             {"sources", {{{"item", video}, {"confidence", "low"}}}}});
    the_case = h.Graph({{"type", "case.added"},
                        {"title", {{"en", "Complaint over the August 2013 attacks"}}},
                        {"jurisdiction", "France"},
                        {"parties", {{{"actor", assad}, {"role", "accused"}}}}},
                       EntityKind::kCase);
    h.Graph({{"type", "case.event"},
             {"case", the_case},
             {"event", "warrant"},
             {"date", "2023-11"},
             {"documents", {report}}},
            EntityKind::kCaseEvent);
    h.Graph({{"type", "case.event"},
             {"case", the_case},
             {"event", "complaint"},
             {"date", "2021-03~"},
             {"description", {{"en", "filed by three organisations"}}}},
            EntityKind::kCaseEvent);
    h.Graph({{"type", "case.linked"}, {"case", the_case}, {"items", {video}}}, EntityKind::kCase);
  }
};

// A link made by mistake is taken back by a later entry with its reason: the
// catalogue drops it (details, search filters, the owner's items), reindex
// agrees, and a later link brings it back.
TEST(Graph, UnlinkTakesALinkBackAndRelinkRestoresIt) {
  Sample s;
  History h = s.h;
  h.Graph({{"type", "incident.linked"}, {"incident", s.attack}, {"items", {s.report}}},
          EntityKind::kIncident);
  h.Graph({{"type", "case.linked"}, {"case", s.the_case}, {"items", {s.report}}},
          EntityKind::kCase);
  // Without a reason, or with no items, it is not an entry.
  EXPECT_FALSE(
      GraphEntry(kBy, {{"type", "incident.unlinked"}, {"incident", s.attack}, {"items", {s.video}}})
          .ok());
  EXPECT_FALSE(GraphEntry(kBy, {{"type", "case.unlinked"},
                                {"case", s.the_case},
                                {"items", Json::array()},
                                {"reason", "none"}})
                   .ok());
  h.Graph({{"type", "incident.unlinked"},
           {"incident", s.attack},
           {"items", {s.video}},
           {"reason", "filmed in 2012, not this attack"}},
          EntityKind::kIncident);
  h.Graph({{"type", "case.unlinked"},
           {"case", s.the_case},
           {"items", {s.report}},
           {"reason", "a duplicate of the video's own report"}},
          EntityKind::kCase);
  auto c = Build(h.entries());
  ASSERT_NE(c, nullptr);
  auto d = c->Details(s.video);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->incidents.empty());
  EXPECT_EQ(d->cases, std::vector<std::string>{s.the_case});
  auto r = c->Details(s.report);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->incidents, std::vector<std::string>{s.attack});
  // Still of the case as the warrant's document (case.event), not as an exhibit.
  EXPECT_EQ(r->cases, std::vector<std::string>{s.the_case});
  EXPECT_EQ(c->Entity(s.attack)->items, std::vector<std::string>{s.report});
  EXPECT_EQ(c->Entity(s.the_case)->items, std::vector<std::string>{s.video});
  auto hits = c->Search({.query = "", .incident = s.attack});
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->hits.size(), 1u);
  EXPECT_EQ(hits->hits[0].id, s.report);
  // Each shows what was taken out of it, why, and by which entry.
  auto withdrawn = c->Entity(s.attack)->withdrawn;
  ASSERT_EQ(withdrawn.size(), 1u);
  EXPECT_EQ(withdrawn[0].item, s.video);
  EXPECT_EQ(withdrawn[0].reason, "filmed in 2012, not this attack");
  EXPECT_EQ(withdrawn[0].leaf_index, h.next() - 2);
  ASSERT_EQ(c->Entity(s.the_case)->withdrawn.size(), 1u);
  EXPECT_EQ(c->Entity(s.the_case)->withdrawn[0].item, s.report);
  // Batched or one at a time, and rebuilt: the same catalogue.
  EXPECT_EQ(*c->Fingerprint(), *Build(h.entries(), 1)->Fingerprint());
  // Taken out again while not linked: nothing more was withdrawn.
  h.Graph({{"type", "incident.unlinked"},
           {"incident", s.attack},
           {"items", {s.video}},
           {"reason", "said twice"}},
          EntityKind::kIncident);
  EXPECT_EQ(Build(h.entries())->Entity(s.attack)->withdrawn.size(), 1u);
  // Linked again later: back, and the withdrawal stays in the history.
  h.Graph({{"type", "incident.linked"}, {"incident", s.attack}, {"items", {s.video}}},
          EntityKind::kIncident);
  auto again = Build(h.entries());
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->Details(s.video)->incidents, std::vector<std::string>{s.attack});
  EXPECT_EQ(again->Entity(s.attack)->withdrawn.size(), 1u);
  EXPECT_EQ(*again->Fingerprint(), *Build(h.entries(), 1)->Fingerprint());
}

// The unit is subordinate to the brigade and the brigade to the unit, both
// from the report: a cycle. Returns the second claim's id.
std::string AddSubordinationCycle(Sample& s) {
  auto sources = Json::array({{{"item", s.report}, {"confidence", "medium"}}});
  s.h.Graph({{"type", "relation.added"},
             {"subject", s.unit},
             {"predicate", "subordinate_of"},
             {"object", s.brigade},
             {"sources", sources}});
  return s.h.Graph({{"type", "relation.added"},
                    {"subject", s.brigade},
                    {"predicate", "subordinate_of"},
                    {"object", s.unit},
                    {"sources", sources}});
}

TEST(Graph, AWithdrawnRelationLeavesShowsTimelinesWarningsAndFilters) {
  Sample s;
  History& h = s.h;
  std::string back = AddSubordinationCycle(s);
  auto before = Build(h.entries());
  ASSERT_NE(before, nullptr);
  ASSERT_FALSE(before->Warnings(s.unit)->empty());  // the cycle
  // Without a reason, or naming no relation, it is not an entry.
  EXPECT_FALSE(GraphEntry(kBy, {{"type", "relation.withdrawn"}, {"relation", back}}).ok());
  EXPECT_FALSE(
      GraphEntry(kBy, {{"type", "relation.withdrawn"}, {"relation", s.unit}, {"reason", "x"}})
          .ok());
  h.Graph({{"type", "relation.withdrawn"},
           {"relation", back},
           {"reason", "the report names the 105th Brigade, not the 155th"}});
  h.Graph({{"type", "relation.withdrawn"},
           {"relation", s.rel_cmd},
           {"reason", "entered against the wrong actor"}});
  auto c = Build(h.entries());
  ASSERT_NE(c, nullptr);
  // The cycle is gone with the claim that closed it; nothing else warns.
  auto w = c->Warnings(s.unit);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_TRUE(w->empty()) << w->front().what;
  EXPECT_TRUE(c->Warnings(back)->empty());
  auto r = c->Relation(back);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("withdrawn"), std::string::npos);
  auto unit_rels = c->Relations(s.unit);
  ASSERT_TRUE(unit_rels.ok()) << unit_rels.status().ToString();
  std::vector<std::string> ids;
  for (const auto& rel : *unit_rels) ids.push_back(rel.id);
  EXPECT_EQ(ids.size(), 2u);  // present_at and the first subordinate_of
  EXPECT_EQ(std::count(ids.begin(), ids.end(), back), 0);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), s.rel_cmd), 0);
  EXPECT_TRUE(c->Relations(s.assad)->empty());
  // The report backed only withdrawn claims and the unit's first one; as
  // assad's source it is gone, and the actor's timeline has no claim left.
  auto hits = c->Search({.query = "", .actor = s.assad});
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  EXPECT_TRUE(hits->hits.empty());
  auto tl = c->Timeline(s.assad);
  ASSERT_TRUE(tl.ok()) << tl.status().ToString();
  for (const auto& ev : *tl) EXPECT_EQ(ev.id.find("rel"), std::string::npos) << ev.id;
  // Batched or one at a time: the same catalogue.
  EXPECT_EQ(*c->Fingerprint(), *Build(h.entries(), 1)->Fingerprint());
}

// A case event taken back: out of the case's events, timeline and search, its
// documents out of the case; kept, with why, in the case's events_withdrawn and
// readable by its id. A second withdrawal in the log changes nothing.
TEST(Graph, AWithdrawnCaseEventLeavesItsCaseAndKeepsWhy) {
  History h;
  const std::string doc = h.Item("order.pdf");
  const std::string kase =
      h.Graph({{"type", "case.added"}, {"title", {{"en", "A complaint"}}}}, EntityKind::kCase);
  const std::string ev = h.Graph({{"type", "case.event"},
                                  {"case", kase},
                                  {"event", "warrant"},
                                  {"date", "2023-11-15"},
                                  {"description", {{"en", "arrest warrants issued"}}},
                                  {"documents", {doc}}},
                                 EntityKind::kCaseEvent);
  EXPECT_FALSE(
      GraphEntry(kBy, {{"type", "case.event_withdrawn"}, {"event", kase}, {"reason", "x"}}).ok());
  EXPECT_FALSE(GraphEntry(kBy, {{"type", "case.event_withdrawn"}, {"event", ev}}).ok());
  auto before = Build(h.entries());
  ASSERT_NE(before, nullptr);
  ASSERT_EQ(before->Search({.query = "warrants"})->hits.size(), 1u);  // the case, by its event
  h.Graph({{"type", "case.event_withdrawn"}, {"event", ev}, {"reason", "the wrong day"}});
  h.Graph({{"type", "case.event_withdrawn"}, {"event", ev}, {"reason", "said twice"}});
  auto c = Build(h.entries());
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->Entities(EntityKind::kCaseEvent)->empty());
  auto k = c->Entity(kase);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  ASSERT_EQ(k->events_withdrawn.size(), 1u);
  EXPECT_EQ(k->events_withdrawn[0].event, ev);
  EXPECT_EQ(k->events_withdrawn[0].what, "warrant");
  EXPECT_EQ(k->events_withdrawn[0].date, "2023-11-15");
  EXPECT_EQ(k->events_withdrawn[0].reason, "the wrong day");
  EXPECT_EQ(k->events_withdrawn[0].leaf_index, 4u);
  auto e = c->Entity(ev);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->owner, kase);
  EXPECT_EQ(e->category, "warrant");
  EXPECT_TRUE(e->items.empty());
  ASSERT_EQ(e->events_withdrawn.size(), 1u);
  auto d = c->Details(doc);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->cases.empty());
  auto tl = c->Timeline(kase);
  ASSERT_TRUE(tl.ok()) << tl.status().ToString();
  EXPECT_TRUE(tl->empty());
  auto hits = c->Search({.query = "warrants"});
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  EXPECT_TRUE(hits->hits.empty()) << "the case is no longer found by the event's words";
  EXPECT_EQ(*c->Fingerprint(), *Build(h.entries(), 1)->Fingerprint());
}

TEST(Graph, ProjectsEveryEntry) {
  Sample s;
  auto c = Build(s.h.entries());
  ASSERT_NE(c, nullptr);
  auto d = c->Details(s.video);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->titles.at("ar"), "قصف بالصواريخ على المدينة");
  EXPECT_EQ(d->event_date, "2013-08-21");
  EXPECT_EQ(d->place, s.zamalka);
  EXPECT_EQ(d->tags, (std::vector<std::string>{"rockets", "sarin"}));
  EXPECT_EQ(d->status, "verified");
  ASSERT_EQ(d->reviews.size(), 1u);
  EXPECT_EQ(d->reviews[0].reason, "geolocated by two analysts");
  EXPECT_EQ(d->incidents, std::vector<std::string>{s.attack});
  EXPECT_EQ(d->cases, std::vector<std::string>{s.the_case});

  auto place = c->Entity(s.zamalka);
  ASSERT_TRUE(place.ok());
  EXPECT_EQ(place->within, s.ghouta);
  EXPECT_EQ(place->Label(), "Zamalka");
  EXPECT_EQ(*c->ResolveRef(EntityKind::kPlace, "زملكا"), s.zamalka);
  EXPECT_EQ(*c->ResolveRef(EntityKind::kPlace, "ZAMALKAH"), s.zamalka);
  EXPECT_EQ(c->ResolveRef(EntityKind::kActor, "Zamalka").status().code(), Code::kNotFound);
  EXPECT_EQ(c->ResolveRef(EntityKind::kActor, s.zamalka).status().code(), Code::kInvalidArgument);

  auto rels = c->Relations(s.unit);
  ASSERT_TRUE(rels.ok());
  ASSERT_EQ(rels->size(), 2u);
  EXPECT_EQ((*rels)[0].predicate, "commands");
  EXPECT_EQ((*rels)[0].sources[0].confidence, "high");

  auto timeline = c->Timeline(s.the_case);
  ASSERT_TRUE(timeline.ok()) << timeline.status().ToString();
  ASSERT_EQ(timeline->size(), 3u);
  EXPECT_EQ((*timeline)[0].date, "2013-08-21");  // the exhibit, by its event date
  EXPECT_NE((*timeline)[1].what.find("complaint: filed by three"), std::string::npos);
  EXPECT_EQ((*timeline)[2].date, "2023-11");
  EXPECT_EQ((*timeline)[2].sources, std::vector<std::string>{s.report});
}

TEST(Graph, RefusesDanglingAndWrongKindReferences) {
  Sample s;
  auto c = Build(s.h.entries());
  ASSERT_NE(c, nullptr);
  const uint64_t size = s.h.next();
  auto entry = [](Json body) { return *GraphEntry(kBy, std::move(body)); };
  // An item that does not exist, a place id that names an actor, a forward reference.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {entry({{"type", "item.tagged"}, {"item", "i999"}, {"add", {"x"}}}), "i999"},
      {entry({{"type", "item.described"}, {"item", s.video}, {"place", "pl" + s.assad.substr(2)}}),
       "no place"},
      {entry({{"type", "case.linked"},
              {"case", "case" + std::to_string(size)},
              {"items", {s.video}}}),
       "before this entry"},
  };
  for (const auto& [e, says] : bad) {
    core::Status st = c->Check(size, {e});
    EXPECT_TRUE(st.code() == Code::kNotFound || st.code() == Code::kInvalidArgument)
        << st.ToString();
    EXPECT_NE(st.message().find(says), std::string::npos) << st.message();
    // Replaying such an entry from a log is damage.
    auto copy = Build(s.h.entries());
    core::Status applied = copy->Apply(size, {e}, RootAt(size + 1));
    EXPECT_EQ(applied.code(), Code::kIntegrity) << applied.ToString();
  }
  // Check changed nothing.
  auto fresh = Build(s.h.entries());
  EXPECT_EQ(*c->Fingerprint(), *fresh->Fingerprint());
  // A derivation cycle.
  History h = s.h;
  h.Graph({{"type", "item.derived"}, {"item", s.report}, {"original", s.video}}, EntityKind::kItem);
  auto c2 = Build(h.entries());
  core::Status st = c2->Check(
      h.next(), {entry({{"type", "item.derived"}, {"item", s.video}, {"original", s.report}})});
  EXPECT_EQ(st.code(), Code::kInvalidArgument) << st.ToString();
}

TEST(Graph, WarnsAboutCyclesAndContradictingDates) {
  Sample s;
  History& h = s.h;
  std::string back = AddSubordinationCycle(s);
  auto c = Build(h.entries());
  auto w = c->Warnings(back);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_FALSE(w->empty());
  EXPECT_NE(w->front().what.find("cycle"), std::string::npos) << w->front().what;

  // Two superiors over overlapping periods; presence outside the incident's date.
  History h2 = Sample().h;
  Sample t;
  auto sources = Json::array({{{"item", t.report}, {"confidence", "medium"}}});
  t.h.Graph({{"type", "relation.added"},
             {"subject", t.brigade},
             {"predicate", "subordinate_of"},
             {"object", t.unit},
             {"from", "2012"},
             {"to", "2014"},
             {"sources", sources}});
  t.h.Graph({{"type", "relation.added"},
             {"subject", t.brigade},
             {"predicate", "subordinate_of"},
             {"object", t.assad},
             {"from", "2013-06"},
             {"sources", sources}});
  t.h.Graph({{"type", "relation.added"},
             {"subject", t.brigade},
             {"predicate", "present_at"},
             {"object", t.attack},
             {"from", "2015"},
             {"sources", sources}});
  auto c2 = Build(t.h.entries());
  auto w2 = c2->Warnings(t.brigade);
  ASSERT_TRUE(w2.ok());
  ASSERT_EQ(w2->size(), 2u);
  EXPECT_NE((*w2)[0].what.find("contradicting dates"), std::string::npos) << (*w2)[0].what;
  EXPECT_NE((*w2)[1].what.find("incident"), std::string::npos) << (*w2)[1].what;
  // The sample alone has none.
  auto c3 = Build(Sample().h.entries());
  EXPECT_TRUE(c3->Warnings("")->empty());

  // A cycle only across periods that do not meet is a reorganisation: the unit
  // under the brigade until 2012, the brigade under the unit from 2014.
  Sample r;
  r.h.Graph({{"type", "relation.added"},
             {"subject", r.unit},
             {"predicate", "subordinate_of"},
             {"object", r.brigade},
             {"to", "2012"},
             {"sources", sources}});
  std::string later = r.h.Graph({{"type", "relation.added"},
                                 {"subject", r.brigade},
                                 {"predicate", "subordinate_of"},
                                 {"object", r.unit},
                                 {"from", "2014"},
                                 {"sources", sources}});
  auto c4 = Build(r.h.entries());
  auto w4 = c4->Warnings(later);
  ASSERT_TRUE(w4.ok());
  EXPECT_TRUE(w4->empty()) << w4->front().what;
  // A third claim, the brigade under the unit in 2010-2011, meets the first:
  // a cycle at that time, whichever actor is asked about, and for each claim
  // on it; not for `later`, which is on no cycle with them.
  std::string earlier = r.h.Graph({{"type", "relation.added"},
                                   {"subject", r.brigade},
                                   {"predicate", "subordinate_of"},
                                   {"object", r.unit},
                                   {"from", "2010"},
                                   {"to", "2011"},
                                   {"sources", sources}});
  auto c6 = Build(r.h.entries());
  for (const std::string& who : {r.unit, r.brigade, earlier}) {
    auto w6 = c6->Warnings(who);
    ASSERT_TRUE(w6.ok());
    ASSERT_EQ(w6->size(), 1u) << who;
    EXPECT_NE(w6->front().what.find("cycle"), std::string::npos) << w6->front().what;
  }
  EXPECT_TRUE(c6->Warnings(later)->empty()) << c6->Warnings(later)->front().what;
  // Over periods that meet (2013), the same two claims are a cycle again.
  Sample m;
  m.h.Graph({{"type", "relation.added"},
             {"subject", m.unit},
             {"predicate", "subordinate_of"},
             {"object", m.brigade},
             {"to", "2013"},
             {"sources", sources}});
  std::string meeting = m.h.Graph({{"type", "relation.added"},
                                   {"subject", m.brigade},
                                   {"predicate", "subordinate_of"},
                                   {"object", m.unit},
                                   {"from", "2013-06"},
                                   {"sources", sources}});
  auto c5 = Build(m.h.entries());
  auto w5 = c5->Warnings(meeting);
  ASSERT_TRUE(w5.ok());
  ASSERT_EQ(w5->size(), 1u);
  EXPECT_NE(w5->front().what.find("cycle"), std::string::npos) << w5->front().what;
}

// A unit with a superior unit and a commander over the same years, or a person
// in a party and a unit, is ordinary: only two claims of one kind (two
// superiors, two commanders) over one period contradict each other.

TEST(Graph, WarnsAboutACycleOfAnyLength) {
  // 100 units, each subordinate to the next, the last to the first: a cycle far
  // longer than any chain of command, which must be reported all the same.
  Sample s;
  History& h = s.h;
  auto sources = Json::array({{{"item", s.report}, {"confidence", "low"}}});
  constexpr int kUnits = 100;
  std::vector<std::string> units, rels;
  for (int i = 0; i < kUnits; ++i) {
    units.push_back(h.Graph({{"type", "actor.added"},
                             {"actor_type", "unit"},
                             {"names", {{"en", "Unit " + std::to_string(i)}}}},
                            EntityKind::kActor));
  }
  for (int i = 0; i < kUnits; ++i) {
    rels.push_back(h.Graph({{"type", "relation.added"},
                            {"subject", units[i]},
                            {"predicate", "subordinate_of"},
                            {"object", units[(i + 1) % kUnits]},
                            {"sources", sources}}));
  }
  auto c = Build(h.entries());
  for (const std::string& scope : {std::string(), units[37], rels.back()}) {
    auto w = c->Warnings(scope);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    std::vector<GraphWarning> cycles;
    for (const auto& x : *w)
      if (x.what.find("cycle") != std::string::npos) cycles.push_back(x);
    ASSERT_EQ(cycles.size(), 1u) << "scope '" << scope << "'";
    const std::string& what = cycles[0].what;
    for (const std::string& r : rels) {  // each followed by ", " or, the last, by "; "
      EXPECT_TRUE(what.find(r + ",") != std::string::npos ||
                  what.find(r + ";") != std::string::npos)
          << r << " is not named: " << what;
    }
  }
  // The relation that closed it is the one a warning about it is given for.
  EXPECT_EQ(c->Warnings(rels.back())->front().id, rels.back());
}
// Dates are as precise as they were given: a unit under one brigade "until
// 2013-06" and under another "from 2013-06" changed hands that month, and
// circa dates ("2013-09~") may meet anywhere in their year. Only an overlap
// beyond where one claim's end and the other's start may fall contradicts.
TEST(Graph, AHandoverOrCircaDatesAreNoContradiction) {
  auto sources = [](const Sample& s) {
    return Json::array({{{"item", s.report}, {"confidence", "medium"}}});
  };
  auto under = [&](Sample& s, const std::string& superior, const char* from, const char* to) {
    Json body = {{"type", "relation.added"},
                 {"subject", s.unit},
                 {"predicate", "subordinate_of"},
                 {"object", superior},
                 {"sources", sources(s)}};
    if (*from) body["from"] = from;
    if (*to) body["to"] = to;
    return s.h.Graph(body);
  };
  auto second_brigade = [](Sample& s) {
    return s.h.Graph(
        {{"type", "actor.added"}, {"actor_type", "unit"}, {"names", {{"en", "Second Brigade"}}}},
        EntityKind::kActor);
  };
  auto warnings = [](Sample& s) {
    auto c = Build(s.h.entries());
    auto w = c->Warnings(s.unit);
    EXPECT_TRUE(w.ok());
    std::vector<std::string> what;
    for (const auto& x : *w) what.push_back(x.what);
    return what;
  };
  {
    Sample s;
    std::string other = second_brigade(s);
    under(s, s.brigade, "2011", "2013-06");
    under(s, other, "2013-06", "");
    EXPECT_TRUE(warnings(s).empty()) << warnings(s).front();
  }
  {
    Sample s;
    std::string other = second_brigade(s);
    under(s, s.brigade, "2011", "2013-09~");
    under(s, other, "2013-03~", "");
    EXPECT_TRUE(warnings(s).empty()) << warnings(s).front();
  }
  {
    Sample s;  // exact months three apart: a contradiction
    std::string other = second_brigade(s);
    under(s, s.brigade, "2011", "2013-09");
    under(s, other, "2013-06", "");
    ASSERT_EQ(warnings(s).size(), 1u);
    EXPECT_NE(warnings(s)[0].find("contradicting dates"), std::string::npos);
  }
  for (const char* when : {"2016-05", "2016"}) {
    Sample s;  // under two superiors "during May 2016" (or 2016): no handover, a contradiction
    std::string other = second_brigade(s);
    under(s, s.brigade, when, when);
    under(s, other, when, when);
    ASSERT_EQ(warnings(s).size(), 1u) << when;
    EXPECT_NE(warnings(s)[0].find("contradicting dates"), std::string::npos);
  }
  {
    Sample s;  // during May 2016, then from May 2016 on: a handover within the month
    std::string other = second_brigade(s);
    under(s, s.brigade, "2016-05", "2016-05");
    under(s, other, "2016-05", "");
    EXPECT_TRUE(warnings(s).empty()) << warnings(s).front();
  }
  {
    Sample s;  // present at the 21 August 2013 attack "from about September 2013"
    s.h.Graph({{"type", "relation.added"},
               {"subject", s.unit},
               {"predicate", "present_at"},
               {"object", s.attack},
               {"from", "2013-09~"},
               {"sources", sources(s)}});
    EXPECT_TRUE(warnings(s).empty()) << warnings(s).front();
  }
}

TEST(Graph, ARelationsWarningsAreThoseItIsPartOf) {
  Sample s;
  auto sources = Json::array({{{"item", s.report}, {"confidence", "medium"}}});
  auto actor = [&](const char* name) {
    return s.h.Graph({{"type", "actor.added"}, {"actor_type", "unit"}, {"names", {{"en", name}}}},
                     EntityKind::kActor);
  };
  auto under = [&](const std::string& unit, const std::string& superior) {
    return s.h.Graph({{"type", "relation.added"},
                      {"subject", unit},
                      {"predicate", "subordinate_of"},
                      {"object", superior},
                      {"from", "2013-08"},
                      {"to", "2013-08"},
                      {"sources", sources}});
  };
  const std::string forces = actor("Strategic Forces"), division = actor("4th Division");
  const std::string unit450 = actor("Unit 450"), brigade155 = actor("155th Brigade");
  // Unit 450 under both in August 2013: a contradiction that names Strategic Forces.
  const std::string a = under(unit450, division), b = under(unit450, forces);
  // 155th Brigade under Strategic Forces: no part of it.
  const std::string other = under(brigade155, forces);
  auto c = Build(s.h.entries());
  EXPECT_TRUE(c->Warnings(other)->empty()) << c->Warnings(other)->front().what;
  EXPECT_EQ(c->Warnings(b)->size(), 1u);
  EXPECT_EQ(c->Warnings(a)->size(), 1u);
  EXPECT_EQ(c->Warnings(forces)->size(), 1u);  // the actor's page: a claim names it
}

TEST(Graph, ASuperiorAndACommanderAtOnceIsNoContradiction) {
  Sample s;
  History& h = s.h;
  auto sources = Json::array({{{"item", s.report}, {"confidence", "medium"}}});
  auto rel = [&](const std::string& a, const char* p, const std::string& b, const char* from) {
    return h.Graph({{"type", "relation.added"},
                    {"subject", a},
                    {"predicate", p},
                    {"object", b},
                    {"from", from},
                    {"to", "2014"},
                    {"sources", sources}});
  };
  std::string party = h.Graph(
      {{"type", "actor.added"}, {"actor_type", "organisation"}, {"names", {{"en", "Party"}}}},
      EntityKind::kActor);
  rel(s.brigade, "subordinate_of", s.unit, "2012");
  rel(s.assad, "commands", s.brigade, "2013");
  rel(s.assad, "member_of", party, "2000");
  std::string guard =
      h.Graph({{"type", "actor.added"}, {"actor_type", "unit"}, {"names", {{"en", "Guard"}}}},
              EntityKind::kActor);
  rel(s.assad, "member_of", guard, "2010");
  auto c = Build(h.entries());
  ASSERT_NE(c, nullptr);
  auto w = c->Warnings("");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  for (const auto& x : *w) ADD_FAILURE() << x.id << ": " << x.what;
  // A second commander over the same period is one.
  std::string general =
      h.Graph({{"type", "actor.added"}, {"actor_type", "person"}, {"names", {{"en", "General"}}}},
              EntityKind::kActor);
  std::string second = rel(general, "commands", s.brigade, "2013-06");
  c = Build(h.entries());
  w = c->Warnings(s.brigade);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_EQ(w->size(), 1u);
  EXPECT_EQ((*w)[0].id, second);
  EXPECT_NE((*w)[0].what.find("contradicting dates"), std::string::npos) << (*w)[0].what;
}

// A timeline's dates are valid EDTF however the relation's ends were given,
// events on one day follow the log (i9 before i10, the incident itself first),
// and an actor's case events carry their documents, once per event.
TEST(Graph, TimelineDatesTiesAndSourcesAreRight) {
  History h;
  std::vector<std::string> items;
  for (int n = 1; n <= 10; ++n) items.push_back(h.Item("file" + std::to_string(n)));
  std::string attack =
      h.Graph({{"type", "incident.added"}, {"title", {{"en", "Attack"}}}, {"date", "2013-08-21"}},
              EntityKind::kIncident);
  h.Graph({{"type", "incident.linked"}, {"incident", attack}, {"items", {items[9], items[8]}}},
          EntityKind::kIncident);
  for (int n : {9, 8}) {
    h.Graph({{"type", "item.described"}, {"item", items[n]}, {"event_date", "2013-08-21"}},
            EntityKind::kItem);
  }
  std::string unit =
      h.Graph({{"type", "actor.added"}, {"actor_type", "unit"}, {"names", {{"en", "Unit"}}}},
              EntityKind::kActor);
  std::string boss =
      h.Graph({{"type", "actor.added"}, {"actor_type", "unit"}, {"names", {{"en", "Boss"}}}},
              EntityKind::kActor);
  auto sources = Json::array({{{"item", items[0]}, {"confidence", "low"}}});
  std::string open = h.Graph({{"type", "relation.added"},
                              {"subject", unit},
                              {"predicate", "subordinate_of"},
                              {"object", boss},
                              {"from", "2013-08-21/2013-08-22"},
                              {"sources", sources}});
  std::string both = h.Graph({{"type", "relation.added"},
                              {"subject", unit},
                              {"predicate", "present_at"},
                              {"object", attack},
                              {"from", "2013-08-20/2013-08-21"},
                              {"to", "2013-08-21/2013-08-23~"},
                              {"sources", sources}});
  std::string kase =
      h.Graph({{"type", "case.added"},
               {"title", {{"en", "Case"}}},
               {"parties",
                {{{"actor", unit}, {"role", "accused"}}, {{"actor", unit}, {"role", "suspect"}}}}},
              EntityKind::kCase);
  std::string warrant = h.Graph({{"type", "case.event"},
                                 {"case", kase},
                                 {"event", "warrant"},
                                 {"date", "2023-11"},
                                 {"documents", {items[2]}}},
                                EntityKind::kCaseEvent);
  auto c = Build(h.entries());
  ASSERT_NE(c, nullptr);

  auto of_incident = c->Timeline(attack);
  ASSERT_TRUE(of_incident.ok()) << of_incident.status().ToString();
  std::vector<std::string> ids;
  for (const auto& ev : *of_incident) ids.push_back(ev.id);
  EXPECT_EQ(ids, (std::vector<std::string>{both, attack, items[8], items[9]}));

  auto of_unit = c->Timeline(unit);
  ASSERT_TRUE(of_unit.ok()) << of_unit.status().ToString();
  ASSERT_EQ(of_unit->size(), 3u);
  for (const auto& ev : *of_unit) {
    // At most one "/": "A/B", "A/..", never "A/B/..".
    EXPECT_LE(std::count(ev.date.begin(), ev.date.end(), '/'), 1) << ev.id << " " << ev.date;
  }
  EXPECT_EQ((*of_unit)[0].id, both);
  EXPECT_EQ((*of_unit)[0].date, "2013-08-20/2013-08-23~");
  EXPECT_EQ((*of_unit)[1].id, open);
  EXPECT_EQ((*of_unit)[1].date, "2013-08-21/..");
  EXPECT_EQ((*of_unit)[2].id, warrant);
  EXPECT_EQ((*of_unit)[2].sources, std::vector<std::string>{items[2]});
  EXPECT_NE((*of_unit)[2].what.find("accused, suspect"), std::string::npos) << (*of_unit)[2].what;
}

TEST(Graph, SearchFoldsArabicAndCrossesScripts) {
  Sample s;
  auto c = Build(s.h.entries());
  auto search = [&c](SearchRequest r) {
    auto res = c->Search(r);
    EXPECT_TRUE(res.ok()) << res.status().ToString();
    return res.ok() ? *res : SearchResult{};
  };
  // A prefix attached (بالصواريخ -> صواريخ), and the stem.
  EXPECT_EQ(Ids(search({.query = "الصواريخ"})), std::vector<std::string>{s.video});
  // Latin spelling finds the Arabic title's place; the place itself ranks too.
  auto z = Ids(search({.query = "Zamalka"}));
  EXPECT_NE(std::find(z.begin(), z.end(), s.zamalka), z.end());
  EXPECT_NE(std::find(z.begin(), z.end(), s.video), z.end());
  // Filters.
  EXPECT_EQ(Ids(search({.query = "zamalka", .kind = "item", .tags = {"sarin"}})),
            std::vector<std::string>{s.video});
  EXPECT_TRUE(search({.query = "zamalka", .tags = {"chlorine"}}).hits.empty());
  EXPECT_TRUE(search({.query = "zamalka", .event_from = "2014"}).hits.empty());
  EXPECT_EQ(search({.query = "zamalka", .event_from = "2013-08", .event_to = "2013-08"}).total, 1u);
  EXPECT_EQ(search({.near_lat = "33.52", .near_lon = "36.36", .radius_km = 2}).total, 1u);
  EXPECT_EQ(search({.near_lat = "33.40", .near_lon = "36.10", .radius_km = 2}).total, 0u);
  EXPECT_EQ(Ids(search({.incident = s.attack})), std::vector<std::string>{s.video});
  EXPECT_EQ(Ids(search({.case_id = s.the_case})), (std::vector<std::string>{s.video, s.report}));
  EXPECT_EQ(Ids(search({.actor = s.assad})), std::vector<std::string>{s.report});
  EXPECT_EQ(Ids(search({.media_type = "application/*"})), std::vector<std::string>{s.report});
  // '_' and '%' are themselves, not wildcards.
  EXPECT_EQ(search({.media_type = "applicatio_/*"}).total, 0u);
  EXPECT_EQ(search({.media_type = "%/*"}).total, 0u);
  EXPECT_EQ(Ids(search({.status = "verified"})), std::vector<std::string>{s.video});
  auto f = search({.query = "*", .facets = true});
  EXPECT_EQ(f.facets["media_type"]["video/mp4"], 1u);
  EXPECT_EQ(f.facets["status"]["verified"], 1u);
  EXPECT_EQ(f.facets["tag"]["sarin"], 1u);
  EXPECT_EQ(c->Search({.query = "\"unclosed"}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(c->Search({.query = "x", .kind = "place", .tags = {"sarin"}}).status().code(),
            Code::kInvalidArgument);
}

// Tag and event-date filters narrow the text hits through keys in the search
// index (graph.cc): every item that passes a filter is still found, whatever
// the width of its date, and a key that is also a word of the text or a tag
// taken off finds nothing wrong.
TEST(Graph, FiltersFindEveryItemThatPasses) {
  History h;
  std::vector<std::string> items;
  const char* dates[] = {"2013-08-21",              // a day
                         "2013",                    // a year
                         "2013-08-04/2015-12-31",   // wider than 24 months
                         "1900/2020",               // wider than 50 years
                         "2014-01~",                // another month
                         "2012-12-31/2013-01-01"};  // across a year's end
  for (size_t k = 0; k < std::size(dates); ++k) {
    items.push_back(h.Item("v" + std::to_string(k) + ".mp4"));
    h.Graph({{"type", "item.described"},
             {"item", items.back()},
             {"lang", "en"},
             {"title", "shelling of the market"},
             {"event_date", dates[k]}},
            EntityKind::kItem);
  }
  h.Graph({{"type", "item.tagged"}, {"item", items[0]}, {"add", {"barrel-bomb", "0m201308"}}});
  h.Graph({{"type", "item.tagged"}, {"item", items[1]}, {"add", {"barrel-bomb"}}});
  h.Graph({{"type", "item.tagged"}, {"item", items[1]}, {"remove", {"barrel-bomb"}}});
  h.Graph({{"type", "item.tagged"}, {"item", items[4]}, {"add", {"market"}}});
  for (size_t batch : {size_t{0}, size_t{1}}) {
    auto c = Build(h.entries(), batch);
    auto ids = [&c](SearchRequest r) {
      r.query = r.query.empty() ? "shelling" : r.query;
      auto res = c->Search(r);
      EXPECT_TRUE(res.ok()) << res.status().ToString();
      std::vector<std::string> out = res.ok() ? Ids(*res) : std::vector<std::string>{};
      std::sort(out.begin(), out.end());
      return out;
    };
    auto sorted = [](std::vector<std::string> v) {
      std::sort(v.begin(), v.end());
      return v;
    };
    EXPECT_EQ(ids({.event_from = "2013-08-21", .event_to = "2013-08-22"}),
              sorted({items[0], items[1], items[2], items[3]}));
    EXPECT_EQ(ids({.event_from = "2014-01-15", .event_to = "2014-01-15"}),
              sorted({items[2], items[3], items[4]}));
    EXPECT_EQ(ids({.event_from = "2011", .event_to = "2016"}),
              sorted({items[0], items[1], items[2], items[3], items[4], items[5]}));
    EXPECT_EQ(ids({.event_from = "2012-12", .event_to = "2012-12"}), sorted({items[3], items[5]}));
    EXPECT_EQ(ids({.event_from = "1990", .event_to = "1990"}), sorted({items[3]}));
    EXPECT_EQ(ids({.event_from = "1800", .event_to = "2100"}).size(), 6u);
    EXPECT_EQ(ids({.tags = {"barrel-bomb"}}), sorted({items[0]}));
    EXPECT_EQ(ids({.tags = {"market"}}), sorted({items[4]}));
    EXPECT_EQ(ids({.query = "0m201308"}), sorted({items[0]}));  // the tag, as a word
    EXPECT_EQ(ids({.event_from = "2013-08", .event_to = "2013-08", .tags = {"0m201308"}}),
              sorted({items[0]}));
    EXPECT_TRUE(ids({.event_from = "2014", .event_to = "2014", .tags = {"barrel-bomb"}}).empty());
    // Prefixes, searched as their terms or as FTS5 prefixes, find the same.
    EXPECT_EQ(ids({.query = "shel*"}).size(), 6u);
    EXPECT_EQ(ids({.query = "s*"}).size(), 6u);
    EXPECT_EQ(ids({.query = "mark* -shellz*"}).size(), 6u);
    // A word with '*' finds at least what the word finds, so excludes it too.
    EXPECT_EQ(ids({.query = "mark* -shellings*"}), ids({.query = "mark* -shellings"}));
    EXPECT_TRUE(ids({.query = "shellz*"}).empty());
    // Ranking is the text's: the keys add nothing to the score.
    auto plain = c->Search({.query = "market", .tags = {"market"}});
    auto keyed = c->Search({.query = "market", .event_from = "2014-01", .event_to = "2014-01"});
    ASSERT_TRUE(plain.ok() && keyed.ok());
    ASSERT_EQ(plain->hits.size(), 1u);
    ASSERT_EQ(keyed->hits.size(), 3u);
  }
}

// A filtered text query is counted and ranked in one pass over its hits: its
// total, order, scores, pages and snippets are those of the same text query
// without the filter, restricted to the items that pass it.
TEST(Graph, FilteredSearchRanksAndPagesLikeTheUnfilteredOne) {
  History h;
  std::vector<std::string> tagged;
  for (int k = 0; k < 24; ++k) {
    std::string item = h.Item("f" + std::to_string(k) + ".mp4");
    std::string title = "shelling";
    for (int r = 0; r < k % 5; ++r) title += " shelling";  // five scores, with ties
    for (int r = 0; r < k % 3; ++r) title += " of the old market";
    h.Graph({{"type", "item.described"},
             {"item", item},
             {"lang", "en"},
             {"title", title},
             {"event_date", k % 2 == 0 ? "2013-08-21" : "2015"}},
            EntityKind::kItem);
    if (k % 4 != 1) {
      h.Graph({{"type", "item.tagged"}, {"item", item}, {"add", {"market"}}});
      tagged.push_back(item);
    }
  }
  auto c = Build(h.entries());
  auto all = c->Search({.query = "shelling", .limit = 100});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::vector<SearchHit> expected;
  for (const SearchHit& hit : all->hits) {
    if (std::find(tagged.begin(), tagged.end(), hit.id) != tagged.end()) expected.push_back(hit);
  }
  ASSERT_EQ(expected.size(), tagged.size());
  for (uint64_t offset : {0, 5, 15, 17, 40}) {
    auto page = c->Search({.query = "shelling", .tags = {"market"}, .limit = 5, .offset = offset});
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_EQ(page->total, tagged.size());
    EXPECT_FALSE(page->total_capped);
    const size_t want =
        offset >= expected.size() ? 0 : std::min<size_t>(5, expected.size() - offset);
    ASSERT_EQ(page->hits.size(), want) << offset;
    for (size_t k = 0; k < want; ++k) {
      EXPECT_EQ(page->hits[k].id, expected[offset + k].id) << offset << " " << k;
      EXPECT_EQ(page->hits[k].score, expected[offset + k].score);
      EXPECT_EQ(page->hits[k].snippet, expected[offset + k].snippet);
      EXPECT_NE(page->hits[k].snippet.find("[shelling]"), std::string::npos);
    }
  }
  // An event-date filter (keys ANDed before the text) too.
  auto dated = c->Search(
      {.query = "shelling", .event_from = "2013-08", .event_to = "2013-08", .limit = 100});
  ASSERT_TRUE(dated.ok()) << dated.status().ToString();
  EXPECT_EQ(dated->total, 12u);  // the even ones
  double last = 1e300;
  for (const SearchHit& hit : dated->hits) {
    EXPECT_LE(hit.score, last);
    last = hit.score;
    auto it = std::find_if(all->hits.begin(), all->hits.end(),
                           [&hit](const SearchHit& a) { return a.id == hit.id; });
    ASSERT_NE(it, all->hits.end());
    EXPECT_EQ(it->score, hit.score);
  }
}

// Random histories: any batching, and a rebuild, give the same catalogue.
// The gazetteer adds a place's other names to a query that names it; a name
// or variant holding quote marks (Arabic text quotes with « », English with
// “ ”) must not break the user's query.
TEST(Graph, SearchByANameWhoseOtherNamesHoldQuoteMarks) {
  History h;
  std::string item = h.Item("v.mp4");
  std::string place = h.Graph({{"type", "place.added"},
                               {"names", {{"en", "Zamalka"}, {"ar", "«زملكا» الشرقية"}}},
                               {"variants", {"Zamalka “East”", "Zamalka \"the town\""}}},
                              EntityKind::kPlace);
  h.Graph({{"type", "item.described"}, {"item", item}, {"lang", "en"}, {"title", "Zamalka"}});
  auto c = Build(h.entries());
  ASSERT_NE(c, nullptr);
  auto r = c->Search({.query = "Zamalka"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto ids = Ids(*r);
  EXPECT_NE(std::find(ids.begin(), ids.end(), item), ids.end());
  EXPECT_NE(std::find(ids.begin(), ids.end(), place), ids.end());
  // A query the parser takes stays valid when the other names are added.
  const std::string deep = std::string(64, '(') + "Zamalka" + std::string(64, ')');
  r = c->Search({.query = deep});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->hits.empty());
}

TEST(Graph, ReindexEqualsOnALargeRandomHistory) {
  std::mt19937 rng(20130821);
  History h;
  std::vector<std::string> items, places, incidents, actors, cases, relations, events;
  auto pick = [&rng](const std::vector<std::string>& v) {
    return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
  };
  const char* words[] = {"قصف",   "المستشفى", "حلب",     "دوما",    "rocket", "hospital",
                         "Douma", "children", "الأطفال", "Zamalka", "زملكا",  "chemical"};
  auto phrase = [&] {
    std::string s;
    for (int i = 0; i < 5; ++i) s += std::string(i ? " " : "") + words[rng() % 12];
    return s;
  };
  auto sources = [&] { return Json::array({{{"item", pick(items)}, {"confidence", "medium"}}}); };
  for (int i = 0; i < 3000; ++i) {
    int r = static_cast<int>(rng() % 100);
    if (items.empty() || r < 30) {
      items.push_back(h.Item("f" + std::to_string(i) + ".mp4"));
    } else if (places.empty() || r < 36) {
      places.push_back(
          h.Graph({{"type", "place.added"}, {"names", {{"en", phrase()}}}}, EntityKind::kPlace));
    } else if (actors.size() < 2 || r < 42) {
      actors.push_back(
          h.Graph({{"type", "actor.added"}, {"actor_type", "unit"}, {"names", {{"ar", phrase()}}}},
                  EntityKind::kActor));
    } else if (incidents.empty() || r < 46) {
      incidents.push_back(h.Graph({{"type", "incident.added"},
                                   {"title", {{"en", phrase()}}},
                                   {"date", "2013-0" + std::to_string(1 + rng() % 9)},
                                   {"places", {pick(places)}}},
                                  EntityKind::kIncident));
    } else if (cases.empty() || r < 48) {
      cases.push_back(
          h.Graph({{"type", "case.added"}, {"title", {{"en", phrase()}}}}, EntityKind::kCase));
    } else if (r < 65) {
      h.Graph({{"type", "item.described"},
               {"item", pick(items)},
               {"lang", rng() % 2 ? "ar" : "en"},
               // A word of its own: describing the item again in that language drops it
               // from the index, and search_terms must drop it too, in every batching.
               {"title", phrase() + " w" + std::to_string(i)},
               {"description", phrase() + " " + phrase()},
               {"event_date", "201" + std::to_string(rng() % 10)},
               {"place", pick(places)}});
    } else if (r < 75) {
      h.Graph({{"type", "item.tagged"},
               {"item", pick(items)},
               {rng() % 4 ? "add" : "remove", {std::string(words[rng() % 12])}}});
    } else if (r < 80) {
      h.Graph({{"type", "item.reviewed"},
               {"item", pick(items)},
               {"status", rng() % 2 ? "verified" : "disputed"},
               {"reason", phrase()}});
    } else if (r < 83) {
      h.Graph(
          {{"type", "incident.linked"}, {"incident", pick(incidents)}, {"items", {pick(items)}}});
    } else if (r < 85) {
      // Often of an item not linked then: the log is applied as it is.
      if (rng() % 2) {
        h.Graph({{"type", "incident.unlinked"},
                 {"incident", pick(incidents)},
                 {"items", {pick(items)}},
                 {"reason", phrase()}});
      } else {
        h.Graph({{"type", "case.unlinked"},
                 {"case", pick(cases)},
                 {"items", {pick(items)}},
                 {"reason", phrase()}});
      }
    } else if (r < 91 || relations.empty()) {
      std::string a = pick(actors), b = pick(actors);
      if (a == b) continue;
      relations.push_back(h.Graph({{"type", "relation.added"},
                                   {"subject", a},
                                   {"predicate", rng() % 2 ? "subordinate_of" : "commands"},
                                   {"object", b},
                                   {"sources", sources()}}));
    } else if (r < 92) {
      // Sometimes of one withdrawn already: applied as it is, it changes nothing.
      h.Graph(
          {{"type", "relation.withdrawn"}, {"relation", pick(relations)}, {"reason", phrase()}});
    } else if (r < 97 || events.empty()) {
      events.push_back(h.Graph({{"type", "case.event"},
                                {"case", pick(cases)},
                                {"event", "hearing"},
                                {"date", "2020-0" + std::to_string(1 + rng() % 9)},
                                {"description", {{"en", phrase()}}},
                                {"documents", {pick(items)}}},
                               EntityKind::kCaseEvent));
    } else {
      // Sometimes of one withdrawn already, as above.
      h.Graph({{"type", "case.event_withdrawn"}, {"event", pick(events)}, {"reason", phrase()}});
    }
  }
  auto one = Build(h.entries());
  auto many = Build(h.entries(), 97);
  auto single = Build(h.entries(), 1);
  // As `isnad reindex` builds it (a bulk load whose index segments are merged
  // at the end), then updated as `add` and `describe` do.
  core::testing::TempDir dir;
  const std::string bulk_path = dir.Join("bulk.db");
  auto bulk = Build(h.entries(), 97, bulk_path, h.entries().size() * 2 / 3);
  ASSERT_NE(one, nullptr);
  ASSERT_NE(bulk, nullptr);
  auto fp = one->Fingerprint();
  ASSERT_TRUE(fp.ok());
  EXPECT_EQ(*fp, *many->Fingerprint());
  EXPECT_EQ(*fp, *single->Fingerprint());
  EXPECT_EQ(*fp, *bulk->Fingerprint());
  for (const char* q : {"زملكا", "hospital", "douma OR حلب", "\"rocket hospital\"", "chem*"}) {
    auto a = one->Search({.query = q, .limit = 50, .facets = true});
    auto b = many->Search({.query = q, .limit = 50, .facets = true});
    auto c = bulk->Search({.query = q, .limit = 50, .facets = true});
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_GT(a->total, 0u) << q;
    EXPECT_EQ(Ids(*a), Ids(*b)) << q;
    EXPECT_EQ(a->facets, b->facets) << q;
    EXPECT_EQ(Ids(*a), Ids(*c)) << q;
    EXPECT_EQ(a->facets, c->facets) << q;
  }
  bulk.reset();
  // The index FTS5 checks as sound, and the updates after the bulk load merge
  // segments as usual again (FTS5's defaults: 4 a level, 16 at most).
  EXPECT_EQ(Sql(bulk_path, "INSERT INTO search(search) VALUES ('integrity-check')"), "");
  EXPECT_EQ(Sql(bulk_path, "SELECT v FROM search_config WHERE k = 'automerge'"), "4");
  EXPECT_EQ(Sql(bulk_path, "SELECT v FROM search_config WHERE k = 'crisismerge'"), "16");
}

// A catalogue made anew stores 16 KiB pages (fewer, larger writes: a tenth
// off a reindex) and tokenizes its search index with FTS5's "ascii"
// tokenizer, which splits exactly where isnad put spaces; one made before
// keeps its 4 KiB pages and "unicode61" and is read and updated as before.
TEST(Graph, NewCatalogueLayoutAndOldOnesStillWork) {
  core::testing::TempDir dir;
  History h;
  std::string item = h.Item("v.mp4");
  h.Graph({{"type", "item.described"},
           {"item", item},
           {"lang", "ar"},
           {"title", "الهجوم على زملكا"},
           {"description", "Sarin attack on Zamalka"}});
  const std::string fresh = dir.Join("new.db");
  ASSERT_NE(Build(h.entries(), 0, fresh), nullptr);
  EXPECT_EQ(Sql(fresh, "PRAGMA page_size"), "16384");
  EXPECT_NE(Sql(fresh, "SELECT sql FROM sqlite_schema WHERE name = 'search'")
                .find("tokenize = \"ascii\""),
            std::string::npos);
  // An older catalogue: its tables made with 4 KiB pages and unicode61.
  const std::string old = dir.Join("old.db");
  {
    auto c = Catalog::Open(old, false);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
  }
  ASSERT_EQ(Sql(old,
                "PRAGMA journal_mode=DELETE; PRAGMA page_size=4096; VACUUM; "
                "DROP TABLE search; CREATE VIRTUAL TABLE search USING fts5(exact, stem, skel, "
                "keys, tokenize = \"unicode61 remove_diacritics 0\")"),
            "delete");
  ASSERT_EQ(Sql(old, "PRAGMA page_size"), "4096");
  auto c = Build(h.entries(), 1, old);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Sql(old, "PRAGMA page_size"), "4096");
  for (const char* q : {"زملكا", "zamalka", "sarin", "السارين", "\"attack on zamalka\""}) {
    auto r = c->Search({.query = q});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(Ids(*r), std::vector<std::string>{item}) << q;
  }
}

}  // namespace
}  // namespace isnad::catalog
