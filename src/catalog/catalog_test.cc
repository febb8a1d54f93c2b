#include "catalog/catalog.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "catalog/entries.h"
#include "catalog/sql.h"
#include "core/digest.h"
#include "core/testing/temp_dir.h"

namespace isnad::catalog {
namespace {

using core::Code;
using core::Hash;

const Actor kAlice{"2026-11-29T10:41:34.123Z", "alice@laptop"};
const Actor kBob{"2026-11-30T08:00:00.000Z", "bob@lab"};

// A stand-in for the log root after `size` entries; the catalogue only records it.
Hash RootAt(uint64_t size) { return core::Sha256Of("root " + std::to_string(size)); }

Hash HashOf(const std::string& hex) { return *Hash::FromHex(hex); }

std::string Created() { return *ArchiveCreatedEntry(kAlice, "example.org/case", "vkey", "isnad"); }

std::string Ingested(const Hash& sha, const std::string& name, uint64_t size = 1,
                     const Actor& by = kAlice) {
  auto e = ItemIngestedEntry(by, sha, size, "application/octet-stream", {name, "/in/" + name});
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return e.ok() ? *e : "";
}

std::string Source(const std::string& item, const Hash& sha, const Provenance& from) {
  auto e = SourceAddedEntry(kBob, item, sha, from);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return e.ok() ? *e : "";
}

std::string Note(const std::string& item, const std::string& text,
                 std::optional<Hash> sha = std::nullopt) {
  auto e = NoteAddedEntry(kBob, item, text, sha);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return e.ok() ? *e : "";
}

std::unique_ptr<Catalog> OpenOrDie(const std::string& path, bool read_only = false) {
  auto c = Catalog::Open(path, read_only);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(c).value() : nullptr;
}

// Applies `entries` after what `c` already holds, as one batch.
core::Status ApplyNext(Catalog& c, const std::vector<std::string>& entries) {
  auto size = c.AppliedSize();
  if (!size.ok()) return size.status();
  return c.Apply(*size, entries, RootAt(*size + entries.size()));
}

// The sample history: archive, two items, a second source, two notes.
std::vector<std::string> SampleLog() {
  Hash a = core::Sha256Of("a"), b = core::Sha256Of("b");
  return {
      Created(),                                                          // 0
      Ingested(a, "a.txt", 1),                                            // 1 -> i1
      Ingested(b, "b.txt", 1, kBob),                                      // 2 -> i2
      Source("i1", a, {"copy-a.txt", "", "https://x.test/a", "mirror"}),  // 3
      Note("i1", "first look"),                                           // 4
      Note("i1", "", core::Sha256Of("a long note")),                      // 5
  };
}

void ExpectCode(const core::Status& s, Code code, const std::string& part = "") {
  EXPECT_EQ(s.code(), code) << s.ToString();
  EXPECT_NE(s.message().find(part), std::string::npos)
      << "message \"" << s.message() << "\" lacks \"" << part << "\"";
}

class CatalogTest : public ::testing::Test {
 protected:
  std::string Path() const { return dir_.Join("catalog.db"); }
  core::testing::TempDir dir_;
};

TEST_F(CatalogTest, NewCatalogIsEmpty) {
  auto c = OpenOrDie(Path());
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(*c->AppliedSize(), 0u);
  EXPECT_EQ(*c->AppliedRoot(), Hash{});
  EXPECT_EQ(*c->ItemCount(), 0u);
  EXPECT_TRUE(c->Items()->empty());
  ExpectCode(c->Resolve("i0").status(), Code::kNotFound, "no item i0");
  EXPECT_FALSE(c->FindBySha256(core::Sha256Of("a"))->has_value());
  // An empty batch changes nothing.
  ASSERT_TRUE(c->Apply(0, {}, RootAt(0)).ok());
  EXPECT_EQ(*c->AppliedSize(), 0u);
}

TEST_F(CatalogTest, ApplyAndQuery) {
  auto c = OpenOrDie(Path());
  ASSERT_NE(c, nullptr);
  auto log = SampleLog();
  ASSERT_TRUE(c->Apply(0, log, RootAt(6)).ok());
  EXPECT_EQ(*c->AppliedSize(), 6u);
  EXPECT_EQ(*c->AppliedRoot(), RootAt(6));
  EXPECT_EQ(*c->ItemCount(), 2u);

  auto items = c->Items();
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 2u);
  const ItemRecord& a = (*items)[0];
  EXPECT_EQ(a.id, "i1");
  EXPECT_EQ(a.leaf_index, 1u);
  EXPECT_EQ(a.sha256, core::Sha256Of("a"));
  EXPECT_EQ(a.size_bytes, 1u);
  EXPECT_EQ(a.name, "a.txt");
  EXPECT_EQ(a.media_type, "application/octet-stream");
  EXPECT_EQ(a.ingested_at, kAlice.time);
  EXPECT_EQ(a.operator_, kAlice.operator_);
  EXPECT_EQ(a.source_count, 2u);
  const ItemRecord& b = (*items)[1];
  EXPECT_EQ(b.id, "i2");
  EXPECT_EQ(b.operator_, kBob.operator_);
  EXPECT_EQ(b.source_count, 1u);

  // Paging.
  EXPECT_EQ(c->Items(1)->front().id, "i2");
  EXPECT_EQ(c->Items(0, 1)->size(), 1u);
  EXPECT_TRUE(c->Items(2)->empty());
  EXPECT_EQ(c->Items(0, UINT64_MAX)->size(), 2u);

  auto sources = c->Sources("i1");
  ASSERT_TRUE(sources.ok()) << sources.status().ToString();
  ASSERT_EQ(sources->size(), 2u);
  EXPECT_EQ((*sources)[0].leaf_index, 1u);
  EXPECT_EQ((*sources)[0].type, "item.ingested");
  EXPECT_EQ((*sources)[0].name, "a.txt");
  EXPECT_EQ((*sources)[0].path, "/in/a.txt");
  EXPECT_EQ((*sources)[0].url, "");
  EXPECT_EQ((*sources)[0].time, kAlice.time);
  EXPECT_EQ((*sources)[1].leaf_index, 3u);
  EXPECT_EQ((*sources)[1].type, "source.added");
  EXPECT_EQ((*sources)[1].name, "copy-a.txt");
  EXPECT_EQ((*sources)[1].path, "");
  EXPECT_EQ((*sources)[1].url, "https://x.test/a");
  EXPECT_EQ((*sources)[1].note, "mirror");
  EXPECT_EQ((*sources)[1].operator_, kBob.operator_);

  auto notes = c->Notes("i1");
  ASSERT_TRUE(notes.ok()) << notes.status().ToString();
  ASSERT_EQ(notes->size(), 2u);
  EXPECT_EQ((*notes)[0].leaf_index, 4u);
  EXPECT_EQ((*notes)[0].text, "first look");
  EXPECT_FALSE((*notes)[0].text_sha256.has_value());
  EXPECT_EQ((*notes)[0].time, kBob.time);
  EXPECT_EQ((*notes)[1].text, "");
  EXPECT_EQ((*notes)[1].text_sha256, core::Sha256Of("a long note"));
  EXPECT_TRUE(c->Notes("i2")->empty());

  ExpectCode(c->Sources("i3").status(), Code::kNotFound, "no item i3");
  ExpectCode(c->Notes("i0").status(), Code::kNotFound, "no item i0");
  ExpectCode(c->Sources("abc").status(), Code::kInvalidArgument, "not an item id");

  auto found = c->FindBySha256(core::Sha256Of("b"));
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, "i2");
  // A batch's look-up: each hash answered in its place, "" where nothing holds it.
  auto ids = c->FindItemIds(
      {core::Sha256Of("b"), core::Sha256Of("z"), core::Sha256Of("a"), core::Sha256Of("b")});
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_EQ(*ids, (std::vector<std::string>{"i2", "", "i1", "i2"}));
  EXPECT_TRUE(c->FindItemIds({})->empty());

  // Data survives reopening.
  c.reset();
  c = OpenOrDie(Path());
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(*c->AppliedSize(), 6u);
  EXPECT_EQ(c->Resolve("i2")->name, "b.txt");
}

TEST_F(CatalogTest, ApplyMustContinueAtAppliedSize) {
  auto c = OpenOrDie(Path());
  ASSERT_NE(c, nullptr);
  ExpectCode(c->Apply(1, {Created()}, RootAt(2)), Code::kFailedPrecondition, "from index 0");
  ASSERT_TRUE(c->Apply(0, {Created()}, RootAt(1)).ok());
  ExpectCode(c->Apply(0, {Ingested(core::Sha256Of("x"), "x")}, RootAt(1)),
             Code::kFailedPrecondition, "from index 1");
  ExpectCode(c->Apply(2, {Ingested(core::Sha256Of("x"), "x")}, RootAt(3)),
             Code::kFailedPrecondition, "from index 1");
}

TEST_F(CatalogTest, ApplyRejectsInconsistentEntries) {
  auto c = OpenOrDie(Path());
  ASSERT_NE(c, nullptr);
  Hash a = core::Sha256Of("a");
  ASSERT_TRUE(c->Apply(0, {Created(), Ingested(a, "a")}, RootAt(2)).ok());

  // The same content ingested twice: must have been a source.added.
  ExpectCode(c->Apply(2, {Ingested(a, "again")}, RootAt(3)), Code::kIntegrity, "log entry 2");
  ExpectCode(c->Apply(2, {Ingested(a, "again")}, RootAt(3)), Code::kIntegrity, "already item i1");
  // Unknown items; an id that is not an item (i0 is archive.created); a forward reference.
  ExpectCode(c->Apply(2, {Source("i9", a, {"x"})}, RootAt(3)), Code::kIntegrity, "log entry 2");
  ExpectCode(c->Apply(2, {Source("i0", a, {"x"})}, RootAt(3)), Code::kIntegrity, "item i0");
  ExpectCode(c->Apply(2, {Note("i2", "hi")}, RootAt(3)), Code::kIntegrity, "item i2");
  ExpectCode(c->Apply(2, {Note("i7", "hi")}, RootAt(3)), Code::kIntegrity, "log entry 2");
  // A sha256 that does not match the item.
  ExpectCode(c->Apply(2, {Source("i1", core::Sha256Of("b"), {"x"})}, RootAt(3)), Code::kIntegrity,
             "does not match item i1");
  // A second archive.created (it is entry 0 and only entry 0).
  ExpectCode(c->Apply(2, {Created()}, RootAt(3)), Code::kIntegrity, "only be log entry 0");
  // Not an entry at all.
  ExpectCode(c->Apply(2, {"{}"}, RootAt(3)), Code::kIntegrity, "log entry 2");
  ExpectCode(c->Apply(2, {Note("i1", "ok"), "garbage"}, RootAt(4)), Code::kIntegrity,
             "log entry 3");

  EXPECT_EQ(*c->AppliedSize(), 2u);
  EXPECT_EQ(*c->ItemCount(), 1u);
  // Entries within one batch may refer to items created earlier in it.
  Hash b = core::Sha256Of("b");
  ASSERT_TRUE(
      c->Apply(2, {Ingested(b, "b"), Source("i2", b, {"b2"}), Note("i2", "n")}, RootAt(5)).ok());
  EXPECT_EQ(c->Resolve("i2")->source_count, 2u);
}

TEST_F(CatalogTest, FailedApplyChangesNothing) {
  auto c = OpenOrDie(Path());
  ASSERT_NE(c, nullptr);
  auto log = SampleLog();
  ASSERT_TRUE(c->Apply(0, log, RootAt(6)).ok());
  auto before = c->Fingerprint();
  ASSERT_TRUE(before.ok()) << before.status().ToString();

  Hash x = core::Sha256Of("x");
  std::vector<std::string> batch = {
      Ingested(x, "x"),                      // 6 -> i6
      Source("i6", x, {"x2"}),               // 7
      Ingested(core::Sha256Of("a"), "dup"),  // 8: the 3rd entry is bad
      Note("i6", "never applied"),           // 9
  };
  ExpectCode(c->Apply(6, batch, RootAt(10)), Code::kIntegrity, "log entry 8");
  EXPECT_EQ(*c->AppliedSize(), 6u);
  EXPECT_EQ(*c->AppliedRoot(), RootAt(6));
  EXPECT_EQ(*c->ItemCount(), 2u);
  ExpectCode(c->Resolve("i6").status(), Code::kNotFound);
  EXPECT_EQ(*c->Fingerprint(), *before);

  // The same also holds after reopening (nothing half-committed on disk).
  c.reset();
  c = OpenOrDie(Path());
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(*c->Fingerprint(), *before);
  batch[2] = Note("i6", "fixed");
  ASSERT_TRUE(c->Apply(6, batch, RootAt(10)).ok());
  EXPECT_EQ(*c->AppliedSize(), 10u);
  EXPECT_EQ(c->Notes("i6")->size(), 2u);
}

TEST_F(CatalogTest, ResolveIdsAndPrefixes) {
  auto c = OpenOrDie(Path());
  ASSERT_NE(c, nullptr);
  // Two digests sharing their first 13 hex digits, one distinct, and one of all f.
  const std::string twin1 = "abcdef0123456" + std::string(51, '1');
  const std::string twin2 = "abcdef0123456" + std::string(51, '2');
  const std::string lone = "0123456789ab" + std::string(52, 'c');
  const std::string all_f(64, 'f');
  ASSERT_TRUE(c->Apply(0,
                       {Created(), Ingested(HashOf(twin1), "t1"), Ingested(HashOf(twin2), "t2"),
                        Ingested(HashOf(lone), "lone"), Ingested(HashOf(all_f), "f")},
                       RootAt(5))
                  .ok());

  EXPECT_EQ(c->Resolve("i1")->name, "t1");
  EXPECT_EQ(c->Resolve("i3")->name, "lone");
  ExpectCode(c->Resolve("i5").status(), Code::kNotFound, "no item i5");
  ExpectCode(c->Resolve("i0").status(), Code::kNotFound, "no item i0");
  ExpectCode(c->Resolve("i18446744073709551615").status(), Code::kNotFound);

  // Unique prefixes, exact length 12, longer, upper case, the full digest.
  EXPECT_EQ(c->Resolve("0123456789ab")->id, "i3");
  EXPECT_EQ(c->Resolve("0123456789ABCC")->id, "i3");
  EXPECT_EQ(c->Resolve(lone)->id, "i3");
  EXPECT_EQ(c->Resolve(twin1.substr(0, 14))->id, "i1");
  EXPECT_EQ(c->Resolve(twin2)->id, "i2");
  EXPECT_EQ(c->Resolve("ffffffffffff")->id, "i4");

  // Ambiguous: the message lists both.
  auto amb = c->Resolve(twin1.substr(0, 12));
  ExpectCode(amb.status(), Code::kInvalidArgument, "i1, i2");
  amb = c->Resolve("ABCDEF0123456");
  ExpectCode(amb.status(), Code::kInvalidArgument, "several");

  // Too short, even when it would be unique.
  ExpectCode(c->Resolve("0123456789a").status(), Code::kInvalidArgument, "at least 12");
  ExpectCode(c->Resolve("abc").status(), Code::kInvalidArgument, "at least 12");

  // No match; not an id nor hex; longer than a digest.
  ExpectCode(c->Resolve("0123456789ac").status(), Code::kNotFound, "no item");
  ExpectCode(c->Resolve("i01").status(), Code::kNotFound, "no item \"i01\"");
  ExpectCode(c->Resolve("hello").status(), Code::kNotFound, "no item \"hello\"");
  ExpectCode(c->Resolve("").status(), Code::kNotFound, "no item");
  ExpectCode(c->Resolve(lone + "0").status(), Code::kNotFound, "no item");
}

TEST_F(CatalogTest, PrefixLookupUsesTheIndex) {
  auto c = OpenOrDie(Path());
  ASSERT_NE(c, nullptr);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(Path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "EXPLAIN QUERY PLAN SELECT * FROM items i "
                               "WHERE i.sha256 >= ?1 AND i.sha256 < ?2 ORDER BY i.sha256",
                               -1, &st, nullptr),
            SQLITE_OK);
  std::string plan;
  while (sqlite3_step(st) == SQLITE_ROW) {
    plan += reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_NE(plan.find("SEARCH i USING INDEX items_by_sha256 (sha256>? AND sha256<?)"),
            std::string::npos)
      << plan;
  EXPECT_EQ(plan.find("SCAN"), std::string::npos) << plan;
}

// isnad's main() turns SQLite's allocation counter off before any catalogue
// opens; a catalogue then works as ever and nothing is counted.
TEST_F(CatalogTest, SqliteProcessSettingsTakeEffectBeforeFirstUse) {
  if (!ConfigureSqliteForProcess()) {
    GTEST_SKIP() << "SQLite was already in use in this process (an earlier test in it)";
  }
  auto c = OpenOrDie(Path());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(ApplyNext(*c, SampleLog()).ok());
  EXPECT_EQ(*c->ItemCount(), 2u);
  EXPECT_EQ(sqlite3_memory_used(), 0);
  // Too late once SQLite is in use: refused, and says so.
  EXPECT_FALSE(ConfigureSqliteForProcess());
}

TEST_F(CatalogTest, FingerprintDependsOnContentOnly) {
  auto log = SampleLog();
  for (int i = 0; i < 20; ++i) log.push_back(Ingested(core::Sha256Of(std::to_string(i)), "f"));

  auto one = OpenOrDie(dir_.Join("one.db"));
  auto many = OpenOrDie(dir_.Join("many.db"));
  auto memory = OpenOrDie(":memory:");
  ASSERT_TRUE(one && many && memory);
  ASSERT_TRUE(one->Apply(0, log, RootAt(log.size())).ok());
  for (size_t i = 0, n = 1; i < log.size(); i += n, ++n) {
    std::vector<std::string> batch(log.begin() + i, log.begin() + std::min(log.size(), i + n));
    ASSERT_TRUE(many->Apply(i, batch, RootAt(i + batch.size())).ok());
  }
  for (size_t i = 0; i < log.size(); ++i) {
    ASSERT_TRUE(memory->Apply(i, {log[i]}, RootAt(i + 1)).ok());
  }
  // A private temporary file, bulk loaded, as verify builds its copy.
  auto scratch = OpenOrDie(kScratchFile);
  ASSERT_TRUE(scratch);
  ASSERT_TRUE(scratch->BeginBulkLoad().ok());
  ASSERT_TRUE(scratch->Apply(0, log, RootAt(log.size())).ok());
  auto f1 = one->Fingerprint();
  ASSERT_TRUE(f1.ok()) << f1.status().ToString();
  EXPECT_EQ(*many->Fingerprint(), *f1);
  EXPECT_EQ(*memory->Fingerprint(), *f1);
  EXPECT_EQ(*scratch->Fingerprint(), *f1);
  // Nothing to read in a scratch catalogue.
  EXPECT_EQ(Catalog::Open(kScratchFile, true).status().code(), Code::kInvalidArgument);
  EXPECT_NE(*f1, *OpenOrDie(":memory:")->Fingerprint());

  // One more entry changes it.
  ASSERT_TRUE(ApplyNext(*many, {Note("i1", "one more")}).ok());
  EXPECT_NE(*many->Fingerprint(), *f1);

  // So does a different recorded root for the same entries.
  auto other_root = OpenOrDie(":memory:");
  ASSERT_TRUE(other_root->Apply(0, log, RootAt(999)).ok());
  EXPECT_NE(*other_root->Fingerprint(), *f1);

  // And so does any edited row, even NULL versus "".
  int n = 0;
  for (const char* edit :
       {"UPDATE sources SET url = '' WHERE leaf_index = 1",
        "UPDATE items SET size = 2 WHERE leaf_index = 1",
        "UPDATE notes SET time = '2026-11-30T08:00:00.001Z' WHERE leaf_index = 4",
        "UPDATE archive SET software = 'isnad2'", "UPDATE meta SET applied_size = applied_size + 1",
        "DELETE FROM sources WHERE leaf_index = 3"}) {
    const std::string path = dir_.Join("edited" + std::to_string(n++) + ".db");
    auto edited = OpenOrDie(path);
    ASSERT_NE(edited, nullptr);
    ASSERT_TRUE(edited->Apply(0, log, RootAt(log.size())).ok());
    ASSERT_EQ(*edited->Fingerprint(), *f1);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, edit, nullptr, nullptr, nullptr), SQLITE_OK) << edit;
    EXPECT_EQ(sqlite3_changes(db), 1) << edit;
    sqlite3_close(db);
    EXPECT_NE(*edited->Fingerprint(), *f1) << edit;
  }
}

TEST_F(CatalogTest, ReadOnlyOpenCannotWrite) {
  ExpectCode(Catalog::Open(Path(), /*read_only=*/true).status(), Code::kNotFound, "reindex");
  {
    auto rw = OpenOrDie(Path());
    ASSERT_NE(rw, nullptr);
    ASSERT_TRUE(rw->Apply(0, SampleLog(), RootAt(6)).ok());
  }
  auto ro = OpenOrDie(Path(), /*read_only=*/true);
  ASSERT_NE(ro, nullptr);
  EXPECT_EQ(*ro->AppliedSize(), 6u);
  EXPECT_EQ(ro->Resolve("i2")->name, "b.txt");
  EXPECT_EQ(ro->Sources("i1")->size(), 2u);
  auto before = ro->Fingerprint();
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  ExpectCode(ro->Apply(6, {Note("i1", "x")}, RootAt(7)), Code::kFailedPrecondition, "read-only");
  EXPECT_EQ(*ro->AppliedSize(), 6u);
  EXPECT_EQ(*ro->Fingerprint(), *before);

  // Not a catalogue at all.
  core::testing::WriteTestFile(dir_.Join("junk.db"), std::string(4096, 'j'));
  auto junk = Catalog::Open(dir_.Join("junk.db"), /*read_only=*/true);
  ExpectCode(junk.status(), Code::kIntegrity, "reindex");
  EXPECT_EQ(Catalog::Open(dir_.Join("junk.db"), false).status().code(), Code::kIntegrity);
  EXPECT_EQ(Catalog::Open(dir_.Join("no/such/dir/c.db"), false).status().code(), Code::kIoError);
}

TEST_F(CatalogTest, RefusesAnotherSchemaVersion) {
  ASSERT_NE(OpenOrDie(Path()), nullptr);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(Path().c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 1", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  ExpectCode(Catalog::Open(Path(), false).status(), Code::kFailedPrecondition, "reindex");
  ExpectCode(Catalog::Open(Path(), true).status(), Code::kFailedPrecondition, "reindex");
  // An empty SQLite file (no schema yet) cannot be read.
  ASSERT_EQ(sqlite3_open_v2(dir_.Join("empty.db").c_str(), &db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t (x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  ExpectCode(Catalog::Open(dir_.Join("empty.db"), true).status(), Code::kFailedPrecondition,
             "no isnad schema");
}

// A reader in another connection (as another process would be) keeps working
// while a writer applies batches, and sees only whole batches.
TEST_F(CatalogTest, ReaderWhileWriterApplies) {
  auto writer = OpenOrDie(Path());
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->Apply(0, {Created()}, RootAt(1)).ok());
  auto reader = OpenOrDie(Path(), /*read_only=*/true);
  ASSERT_NE(reader, nullptr);

  constexpr int kBatches = 30, kBatch = 200;
  std::vector<std::vector<std::string>> batches(kBatches);
  for (int b = 0; b < kBatches; ++b) {
    for (int i = 0; i < kBatch; ++i) {
      batches[b].push_back(Ingested(core::Sha256Of(std::to_string(b * kBatch + i)), "n"));
    }
  }
  std::atomic<bool> done{false};
  core::Status writer_status;
  std::thread t([&] {
    for (int b = 0; b < kBatches && writer_status.ok(); ++b) {
      writer_status = writer->Apply(1 + b * kBatch, batches[b], RootAt(1 + (b + 1) * kBatch));
    }
    done = true;
  });
  int reads = 0;
  uint64_t last = 0;
  while (!done || reads < 3) {
    auto size = reader->AppliedSize();
    auto items = reader->Items();
    EXPECT_TRUE(size.ok()) << size.status().ToString();
    EXPECT_TRUE(items.ok()) << items.status().ToString();
    if (!size.ok() || !items.ok()) break;  // (no ASSERT: the writer thread must be joined)
    EXPECT_EQ((*size - 1) % kBatch, 0u);
    EXPECT_GE(*size, last);
    EXPECT_EQ(items->size() % kBatch, 0u);  // whole batches only
    last = *size;
    ++reads;
  }
  t.join();
  std::printf("[   INFO   ] %d reads while the writer applied %d batches\n", reads, kBatches);
  ASSERT_TRUE(writer_status.ok()) << writer_status.ToString();
  EXPECT_EQ(*reader->AppliedSize(), 1u + kBatches * kBatch);
  EXPECT_EQ(*reader->ItemCount(), uint64_t{kBatches} * kBatch);
  EXPECT_EQ(*reader->Fingerprint(), *writer->Fingerprint());
}

// Look-ups keep their statements prepared between calls (StmtCache), yet a
// look-up that found its row leaves no read open: a reader sees each item a
// writer adds afterwards, on the next look-up, as it did when every look-up
// prepared its own statement.
TEST_F(CatalogTest, RepeatedLookUpsSeeWhatAWriterAddsSinceTheLast) {
  auto writer = OpenOrDie(Path());
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(ApplyNext(*writer, {Created(), Ingested(core::Sha256Of("0"), "0.txt")}).ok());
  auto reader = OpenOrDie(Path(), /*read_only=*/true);
  ASSERT_NE(reader, nullptr);
  for (int i = 1; i <= 5; ++i) {
    // Found (a row was read), then not yet there, then added by the writer.
    auto before = reader->FindBySha256(core::Sha256Of(std::to_string(i - 1)));
    ASSERT_TRUE(before.ok()) << before.status().ToString();
    ASSERT_TRUE(before->has_value());
    auto missing = reader->FindBySha256(core::Sha256Of(std::to_string(i)));
    ASSERT_TRUE(missing.ok()) << missing.status().ToString();
    EXPECT_FALSE(missing->has_value());
    ASSERT_TRUE(ApplyNext(*writer, {Ingested(core::Sha256Of(std::to_string(i)), "n")}).ok());
    auto found = reader->FindBySha256(core::Sha256Of(std::to_string(i)));
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    ASSERT_TRUE(found->has_value()) << "item " << i << " added by the writer is not seen";
    EXPECT_EQ((*found)->id, "i" + std::to_string(i + 1));
  }
  // The writer's own WAL can be checkpointed whole: no reader holds a snapshot.
  int log_frames = -1, checkpointed = -1;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(Path().c_str(), &db), SQLITE_OK);
  EXPECT_EQ(
      sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &checkpointed),
      SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(checkpointed, log_frames);
}

// A statement asked for again while lent out (a nested use of the same SQL)
// is a statement of its own: a nested loop over one query counts every pair.
TEST(StmtCacheTest, NestedUseOfOneStatementGetsItsOwn) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  ASSERT_TRUE(
      internal::Exec(db, "CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3)", "setup").ok());
  {
    internal::StmtCache cache(db);
    constexpr const char* kSql = "SELECT x FROM t ORDER BY x";
    int pairs = 0;
    internal::Stmt* kept = nullptr;
    {
      auto outer = cache.Get(kSql);
      ASSERT_TRUE(outer.ok()) << outer.status().ToString();
      kept = &**outer;
      while (*(*outer)->Step("outer")) {
        auto inner = cache.Get(kSql);
        ASSERT_TRUE(inner.ok()) << inner.status().ToString();
        EXPECT_NE(&**inner, kept);
        while (*(*inner)->Step("inner")) ++pairs;
      }
      ASSERT_TRUE(*(*outer)->Step("outer again"));  // left on its first row
    }
    EXPECT_EQ(pairs, 9);
    // Given back, reset: the next use gets the kept statement from its start.
    auto again = cache.Get(kSql);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(&**again, kept);
    ASSERT_TRUE(*(*again)->Step("again"));
    EXPECT_EQ((*again)->ColInt(0), 1);
  }
  sqlite3_close(db);
}

// A writer waits (busy_timeout) for another connection's write lock instead of
// failing at once, and readers are not blocked meanwhile.
TEST_F(CatalogTest, WriterWaitsForAnotherWriter) {
  auto c = OpenOrDie(Path());
  auto reader = OpenOrDie(Path(), /*read_only=*/true);
  ASSERT_TRUE(c && reader);
  ASSERT_TRUE(c->Apply(0, {Created()}, RootAt(1)).ok());

  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open_v2(Path().c_str(), &other, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_EQ(*reader->AppliedSize(), 1u);  // not blocked by the held write lock
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
  });
  auto start = std::chrono::steady_clock::now();
  core::Status s = c->Apply(1, {Ingested(core::Sha256Of("x"), "x")}, RootAt(2));
  auto waited = std::chrono::steady_clock::now() - start;
  release.join();
  sqlite3_close(other);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_EQ(*reader->AppliedSize(), 2u);
}

// 100,000 item.ingested entries in batches of 1,000. Correctness only; the
// time goes to the test output (the target is well under 5 s).
TEST_F(CatalogTest, HundredThousandIngests) {
  constexpr int kTotal = 100000, kBatch = 1000;
  std::vector<std::vector<std::string>> batches(kTotal / kBatch);
  for (int i = 0; i < kTotal; ++i) {
    batches[i / kBatch].push_back(Ingested(core::Sha256Of(std::to_string(i)),
                                           "f" + std::to_string(i), static_cast<uint64_t>(i)));
  }
  auto c = OpenOrDie(Path());
  ASSERT_NE(c, nullptr);
  auto cpu_seconds = [] {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
  };
  auto start = std::chrono::steady_clock::now();
  double cpu_start = cpu_seconds();
  for (size_t b = 0; b < batches.size(); ++b) {
    ASSERT_TRUE(c->Apply(b * kBatch, batches[b], RootAt((b + 1) * kBatch)).ok());
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double cpu = cpu_seconds() - cpu_start;
  double load[1] = {0};
  getloadavg(load, 1);
  std::printf(
      "[  TIMING  ] applied %d item.ingested entries in batches of %d: %.3f s wall, %.3f s CPU "
      "(load average %.1f)\n",
      kTotal, kBatch, secs, cpu, load[0]);
  RecordProperty("apply_seconds", std::to_string(secs));
  EXPECT_EQ(*c->AppliedSize(), uint64_t{kTotal});
  EXPECT_EQ(*c->ItemCount(), uint64_t{kTotal});
  EXPECT_EQ(c->Resolve("i99999")->name, "f99999");
  EXPECT_EQ(c->Resolve(core::Sha256Of("12345").Hex().substr(0, 12))->id, "i12345");
  EXPECT_EQ(c->Items(50000, 10)->front().id, "i50000");
}

}  // namespace
}  // namespace isnad::catalog
