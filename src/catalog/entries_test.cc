#include "catalog/entries.h"

#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <string>

#include "core/canonical_json.h"
#include "core/digest.h"

namespace isnad::catalog {
namespace {

using core::Code;
using core::Hash;
using core::Json;

const Actor kAlice{"2026-11-29T10:41:34.123Z", "alice@laptop"};
constexpr char kHelloSha[] = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

Hash HelloSha() { return core::Sha256Of("hello\n"); }

Provenance HelloFrom() {
  return {"hello.txt", "/home/alice/evidence/hello.txt", "https://example.org/hello.txt",
          "seized from the laptop"};
}

// Asserts that ParseEntry rejects `entry` with kIntegrity and a message
// containing every one of `parts`.
void ExpectRejected(const std::string& entry, std::initializer_list<std::string> parts) {
  auto parsed = ParseEntry(entry);
  ASSERT_FALSE(parsed.ok()) << entry;
  EXPECT_EQ(parsed.status().code(), Code::kIntegrity) << parsed.status().ToString();
  for (const std::string& part : parts) {
    EXPECT_NE(parsed.status().message().find(part), std::string::npos)
        << "message \"" << parsed.status().message() << "\" lacks \"" << part << "\"";
  }
}

// Returns `entry` (canonical) re-serialised after `edit`.
template <typename F>
std::string Edited(const std::string& entry, F edit) {
  Json v = Json::parse(entry);
  edit(v);
  return *core::CanonicalJson(v);
}

TEST(ItemId, FormatsAndParses) {
  EXPECT_EQ(ItemId(0), "i0");
  EXPECT_EQ(ItemId(42), "i42");
  EXPECT_EQ(ParseItemId("i0"), 0u);
  EXPECT_EQ(ParseItemId("i42"), 42u);
  EXPECT_EQ(ParseItemId("i18446744073709551615"), UINT64_MAX);
  for (const char* bad : {"", "i", "i01", "i00", "x1", "I1", "1", "i-1", "i+1", "i 1", "i1 ", "i1a",
                          "i18446744073709551616", "i99999999999999999999"}) {
    EXPECT_FALSE(ParseItemId(bad).has_value()) << bad;
  }
  for (uint64_t n : {0ull, 1ull, 9ull, 10ull, 123456789ull, 18446744073709551615ull}) {
    EXPECT_EQ(ParseItemId(ItemId(n)), n);
  }
}

// Golden bytes: these exact strings are what the log hashes; the same
// examples appear in docs/formats/log-entry.md.
TEST(Entries, GoldenBytes) {
  auto created = ArchiveCreatedEntry(
      kAlice, "example.org/isnad/case-2026-17",
      "example.org/isnad/case-2026-17+a30e8730+AXbF0sW8JxQpmZ4kGQmsQx1D5nAVYZqTGxVyrD1kq2Xk",
      "isnad 0.1.0");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(*created, R"({"operator":"alice@laptop","origin":"example.org/isnad/case-2026-17",)"
                      R"("software":"isnad 0.1.0","time":"2026-11-29T10:41:34.123Z",)"
                      R"("type":"archive.created","vkey":"example.org/isnad/case-2026-17+a30e8730+)"
                      R"(AXbF0sW8JxQpmZ4kGQmsQx1D5nAVYZqTGxVyrD1kq2Xk"})");

  auto ingested = ItemIngestedEntry(kAlice, HelloSha(), 6, "text/plain", HelloFrom());
  ASSERT_TRUE(ingested.ok()) << ingested.status().ToString();
  EXPECT_EQ(*ingested,
            R"({"media_type":"text/plain","name":"hello.txt","note":"seized from the laptop",)"
            R"("operator":"alice@laptop","path":"/home/alice/evidence/hello.txt",)"
            R"("sha256":"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",)"
            R"("size":6,"time":"2026-11-29T10:41:34.123Z","type":"item.ingested",)"
            R"("url":"https://example.org/hello.txt"})");

  Actor bob{"2026-11-30T08:00:00.000Z", "bob@lab"};
  auto source =
      SourceAddedEntry(bob, "i1", HelloSha(), {"copy-of-hello.txt", "/mnt/usb/copy-of-hello.txt"});
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  EXPECT_EQ(*source,
            R"({"item":"i1","name":"copy-of-hello.txt","operator":"bob@lab",)"
            R"("path":"/mnt/usb/copy-of-hello.txt",)"
            R"("sha256":"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",)"
            R"("time":"2026-11-30T08:00:00.000Z","type":"source.added"})");

  auto note =
      NoteAddedEntry(bob, "i1", "Checked against the USB copy: \"identical\".\n", std::nullopt);
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  EXPECT_EQ(*note, R"({"item":"i1","operator":"bob@lab",)"
                   R"("text":"Checked against the USB copy: \"identical\".\n",)"
                   R"("time":"2026-11-30T08:00:00.000Z","type":"note.added"})");

  auto blob_note = NoteAddedEntry(bob, "i1", "", HelloSha());
  ASSERT_TRUE(blob_note.ok()) << blob_note.status().ToString();
  EXPECT_EQ(*blob_note,
            R"({"item":"i1","operator":"bob@lab",)"
            R"("text_sha256":"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",)"
            R"("time":"2026-11-30T08:00:00.000Z","type":"note.added"})");
}

TEST(Entries, RoundTripEveryType) {
  auto created = ArchiveCreatedEntry(kAlice, "origin", "vkey", "isnad 0.1.0");
  ASSERT_TRUE(created.ok());
  auto e = ParseEntry(*created);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)["type"], "archive.created");
  EXPECT_EQ((*e)["time"], kAlice.time);
  EXPECT_EQ((*e)["operator"], kAlice.operator_);
  EXPECT_EQ((*e)["origin"], "origin");
  EXPECT_EQ((*e)["vkey"], "vkey");
  EXPECT_EQ((*e)["software"], "isnad 0.1.0");

  // Non-ASCII and control characters survive the round trip.
  Provenance from{"r\xc3\xa9sum\xc3\xa9\t.pdf", "/data/r\xc3\xa9sum\xc3\xa9\t.pdf", "", ""};
  auto ingested =
      ItemIngestedEntry(kAlice, HelloSha(), (uint64_t{1} << 53) - 1, "application/pdf", from);
  ASSERT_TRUE(ingested.ok()) << ingested.status().ToString();
  e = ParseEntry(*ingested);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)["type"], "item.ingested");
  EXPECT_EQ((*e)["sha256"], kHelloSha);
  EXPECT_EQ((*e)["size"].get<uint64_t>(), (uint64_t{1} << 53) - 1);
  EXPECT_EQ((*e)["name"], from.name);
  EXPECT_EQ((*e)["path"], from.path);
  EXPECT_EQ((*e)["media_type"], "application/pdf");
  // Empty optional members are left out, never null or "".
  EXPECT_FALSE(e->contains("url"));
  EXPECT_FALSE(e->contains("note"));
  EXPECT_EQ(e->size(), 8u);

  auto source = SourceAddedEntry(kAlice, "i7", HelloSha(), {"a.bin", "", "https://x.test/a", ""});
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  e = ParseEntry(*source);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)["type"], "source.added");
  EXPECT_EQ((*e)["item"], "i7");
  EXPECT_EQ((*e)["sha256"], kHelloSha);
  EXPECT_EQ((*e)["url"], "https://x.test/a");
  EXPECT_FALSE(e->contains("path"));
  EXPECT_FALSE(e->contains("note"));

  auto note = NoteAddedEntry(kAlice, "i0", "text", std::nullopt);
  ASSERT_TRUE(note.ok());
  e = ParseEntry(*note);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)["text"], "text");
  EXPECT_FALSE(e->contains("text_sha256"));

  auto blob_note = NoteAddedEntry(kAlice, "i0", "", HelloSha());
  ASSERT_TRUE(blob_note.ok());
  e = ParseEntry(*blob_note);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)["text_sha256"], kHelloSha);
  EXPECT_FALSE(e->contains("text"));
}

TEST(Entries, BuildersRejectMalformedFields) {
  auto code = [](const core::StatusOr<std::string>& s) { return s.status().code(); };
  Hash h = HelloSha();
  EXPECT_EQ(code(ItemIngestedEntry({"", "alice"}, h, 1, "text/plain", {"a"})),
            Code::kInvalidArgument);
  EXPECT_EQ(code(ItemIngestedEntry({"2026-11-29T10:41:34Z", "alice"}, h, 1, "text/plain", {"a"})),
            Code::kInvalidArgument);
  EXPECT_EQ(code(ItemIngestedEntry({kAlice.time, ""}, h, 1, "text/plain", {"a"})),
            Code::kInvalidArgument);
  EXPECT_EQ(code(ItemIngestedEntry(kAlice, h, 1, "text/plain", {""})), Code::kInvalidArgument);
  EXPECT_EQ(code(ItemIngestedEntry(kAlice, h, 1, "", {"a"})), Code::kInvalidArgument);
  EXPECT_EQ(code(ItemIngestedEntry(kAlice, h, 1, "plain", {"a"})), Code::kInvalidArgument);
  EXPECT_EQ(code(ItemIngestedEntry(kAlice, h, 1, "text/plain", {"a", "relative/a"})),
            Code::kInvalidArgument);
  EXPECT_EQ(code(ItemIngestedEntry(kAlice, h, uint64_t{1} << 53, "text/plain", {"a"})),
            Code::kInvalidArgument);
  EXPECT_EQ(code(ItemIngestedEntry(kAlice, h, 1, "text/plain", {"\xff"})), Code::kInvalidArgument);
  EXPECT_EQ(code(SourceAddedEntry(kAlice, "i01", h, {"a"})), Code::kInvalidArgument);
  EXPECT_EQ(code(SourceAddedEntry(kAlice, "x", h, {"a"})), Code::kInvalidArgument);
  EXPECT_EQ(code(NoteAddedEntry(kAlice, "i1", "", std::nullopt)), Code::kInvalidArgument);
  EXPECT_EQ(code(NoteAddedEntry(kAlice, "i1", "both", h)), Code::kInvalidArgument);
  EXPECT_EQ(code(ArchiveCreatedEntry(kAlice, "", "vkey", "isnad")), Code::kInvalidArgument);
  // A calendar check, not only a shape check.
  EXPECT_EQ(code(ArchiveCreatedEntry({"2026-02-29T00:00:00.000Z", "a"}, "o", "v", "s")),
            Code::kInvalidArgument);
  EXPECT_TRUE(ArchiveCreatedEntry({"2028-02-29T23:59:59.999Z", "a"}, "o", "v", "s").ok());

  auto bad = ItemIngestedEntry(kAlice, h, 1, "text/plain", {"a", "relative/a"});
  EXPECT_NE(bad.status().message().find("\"path\""), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("item.ingested"), std::string::npos);
}

// item.analyzed: the golden byte form, and the rules between members.
TEST(Entries, ItemAnalyzed) {
  Json body = {{"item", "i3"},
               {"analyzer", "isnad 0.1.0; exiv2 0.27.6"},
               {"media_type", "image/jpeg"},
               {"width", uint64_t{640}},
               {"height", uint64_t{480}},
               {"captured_at", "2013-08-21T02:45:00"},
               {"lat", "33.5138"},
               {"lon", "36.36"},
               {"pdq", std::string(64, 'a')},
               {"pdq_quality", uint64_t{100}},
               {"near_duplicates", {"i1"}}};
  auto built = ItemAnalyzedEntry(kAlice, body);
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  EXPECT_EQ(*built,
            "{\"analyzer\":\"isnad 0.1.0; exiv2 0.27.6\",\"captured_at\":\"2013-08-21T02:45:00\","
            "\"height\":480,\"item\":\"i3\",\"lat\":\"33.5138\",\"lon\":\"36.36\",\"media_type\":"
            "\"image/jpeg\",\"near_duplicates\":[\"i1\"],\"operator\":\"" +
                kAlice.operator_ + "\",\"pdq\":\"" + std::string(64, 'a') +
                "\",\"pdq_quality\":100,\"time\":\"" + kAlice.time +
                "\",\"type\":\"item.analyzed\",\"width\":640}");
  EXPECT_TRUE(ParseEntry(*built).ok());
  auto refused = [&](const char* why, std::function<void(Json&)> change) {
    Json b = body;
    change(b);
    auto r = ItemAnalyzedEntry(kAlice, b);
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << why;
  };
  refused("lat without lon", [](Json& b) { b.erase("lon"); });
  refused("pdq without quality", [](Json& b) { b.erase("pdq_quality"); });
  refused("quality over 100", [](Json& b) { b["pdq_quality"] = uint64_t{101}; });
  refused("frames without blob", [](Json& b) { b["frames"] = uint64_t{3}; });
  refused("its own near-duplicate", [](Json& b) { b["near_duplicates"] = {"i3"}; });
  refused("latitude out of range", [](Json& b) { b["lat"] = "91"; });
  refused("no analyzer", [](Json& b) { b.erase("analyzer"); });
  refused("unknown member", [](Json& b) { b["colour"] = "red"; });
  // Not a graph entry.
  Json graph = body;
  graph["type"] = "item.analyzed";
  EXPECT_EQ(GraphEntry(kAlice, graph).status().code(), Code::kInvalidArgument);
}

TEST(Entries, SizeLimit) {
  // Fill a note up to exactly the limit, then one byte more.
  auto probe = NoteAddedEntry(kAlice, "i1", "x", std::nullopt);
  ASSERT_TRUE(probe.ok());
  const size_t overhead = probe->size() - 1;
  auto fits =
      NoteAddedEntry(kAlice, "i1", std::string(kMaxEntryBytes - overhead, 'x'), std::nullopt);
  ASSERT_TRUE(fits.ok()) << fits.status().ToString();
  EXPECT_EQ(fits->size(), kMaxEntryBytes);
  EXPECT_TRUE(ParseEntry(*fits).ok());

  auto over =
      NoteAddedEntry(kAlice, "i1", std::string(kMaxEntryBytes - overhead + 1, 'x'), std::nullopt);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), Code::kInvalidArgument);
  EXPECT_NE(over.status().message().find("65535"), std::string::npos) << over.status().message();
  EXPECT_NE(over.status().message().find("65536 bytes"), std::string::npos);
  EXPECT_NE(over.status().message().find("text_sha256"), std::string::npos);

  // Escapes count: the limit is on the canonical bytes.
  auto escaped = NoteAddedEntry(kAlice, "i1", std::string(kMaxEntryBytes / 2, '\n'), std::nullopt);
  EXPECT_EQ(escaped.status().code(), Code::kInvalidArgument);

  auto long_name =
      ItemIngestedEntry(kAlice, HelloSha(), 1, "text/plain", {std::string(70000, 'n')});
  EXPECT_EQ(long_name.status().code(), Code::kInvalidArgument);
  EXPECT_NE(long_name.status().message().find("70"), std::string::npos);

  std::string big = Edited(*fits, [](Json& v) { v["text"] = v["text"].get<std::string>() + "y"; });
  ExpectRejected(big, {"65536", "65535"});
}

TEST(Entries, ParseRejectsNonCanonicalJson) {
  auto entry = NoteAddedEntry(kAlice, "i1", "text", std::nullopt);
  ASSERT_TRUE(entry.ok());
  ExpectRejected("", {"canonical"});
  ExpectRejected("not json", {"canonical"});
  ExpectRejected(" " + *entry, {"canonical"});
  ExpectRejected(*entry + "\n", {"canonical"});
  // Members out of order.
  ExpectRejected(
      R"({"operator":"alice@laptop","item":"i1","text":"text","time":"2026-11-29T10:41:34.123Z","type":"note.added"})",
      {"canonical"});
  // A non-mandatory escape.
  ExpectRejected(
      R"({"item":"i1","operator":"alice@laptop","text":"\u0074ext","time":"2026-11-29T10:41:34.123Z","type":"note.added"})",
      {"canonical"});
  // A duplicate member.
  ExpectRejected(
      R"({"item":"i1","item":"i2","operator":"alice@laptop","text":"text","time":"2026-11-29T10:41:34.123Z","type":"note.added"})",
      {"canonical"});
  // Floats are never canonical here (canonical_json.h refuses them).
  ExpectRejected(
      R"({"item":"i1","operator":"alice@laptop","size":1.5,"text":"text","time":"2026-11-29T10:41:34.123Z","type":"note.added"})",
      {"canonical", "floating-point"});
}

TEST(Entries, ParseRejectsBadStructure) {
  auto ingested = ItemIngestedEntry(kAlice, HelloSha(), 6, "text/plain", HelloFrom());
  ASSERT_TRUE(ingested.ok());
  const std::string& e = *ingested;

  ExpectRejected("[]", {"not a JSON object"});
  ExpectRejected("\"item.ingested\"", {"not a JSON object"});
  ExpectRejected(Edited(e, [](Json& v) { v.erase("type"); }), {"\"type\""});
  ExpectRejected(Edited(e, [](Json& v) { v["type"] = 7; }), {"\"type\""});
  ExpectRejected(Edited(e, [](Json& v) { v["type"] = "item.deleted"; }),
                 {"unknown entry type", "item.deleted"});
  // Missing and extra members.
  for (const char* member : {"time", "operator", "sha256", "size", "name", "media_type"}) {
    ExpectRejected(Edited(e, [&](Json& v) { v.erase(member); }),
                   {"item.ingested", std::string("\"") + member + "\"", "missing"});
  }
  ExpectRejected(Edited(e, [](Json& v) { v["colour"] = "red"; }),
                 {"item.ingested", "unknown member", "colour"});
  ExpectRejected(Edited(e, [](Json& v) { v["item"] = "i1"; }),
                 {"item.ingested", "unknown member", "item"});
  // Wrong JSON types.
  ExpectRejected(Edited(e, [](Json& v) { v["size"] = "6"; }), {"item.ingested", "\"size\""});
  ExpectRejected(Edited(e, [](Json& v) { v["size"] = -6; }), {"\"size\"", "non-negative"});
  ExpectRejected(Edited(e, [](Json& v) { v["size"] = true; }), {"\"size\""});
  ExpectRejected(Edited(e, [](Json& v) { v["name"] = 5; }), {"\"name\"", "number"});
  ExpectRejected(Edited(e, [](Json& v) { v["name"] = nullptr; }), {"\"name\"", "null"});
  ExpectRejected(Edited(e, [](Json& v) { v["note"] = Json::array({"a"}); }), {"\"note\""});
  ExpectRejected(Edited(e, [](Json& v) { v["url"] = ""; }), {"\"url\"", "non-empty"});
  ExpectRejected(Edited(e, [](Json& v) { v["path"] = "rel/x"; }), {"\"path\"", "absolute"});
  ExpectRejected(Edited(e, [](Json& v) { v["link_target"] = "rel/x"; }),
                 {"\"link_target\"", "absolute"});
  ExpectRejected(Edited(e,
                        [](Json& v) {
                          v.erase("path");
                          v["link_target"] = "/x";
                        }),
                 {"\"link_target\"", "\"path\""});
  ExpectRejected(Edited(e, [](Json& v) { v["media_type"] = "pdf"; }), {"\"media_type\""});
  // Bad sha256 values.
  ExpectRejected(Edited(e, [](Json& v) { v["sha256"] = std::string(kHelloSha).substr(1); }),
                 {"\"sha256\"", "64 lower-case hex"});
  std::string upper = kHelloSha;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ExpectRejected(Edited(e, [&](Json& v) { v["sha256"] = upper; }), {"\"sha256\""});
  ExpectRejected(Edited(e, [](Json& v) { v["sha256"] = std::string(64, 'g'); }), {"\"sha256\""});
  // Bad times.
  for (const char* t :
       {"2026-11-29T10:41:34Z", "2026-11-29 10:41:34.123Z", "2026-11-29T10:41:34.123+00:00",
        "2026-13-29T10:41:34.123Z", "2026-11-31T10:41:34.123Z", "2026-11-29T24:00:00.000Z"}) {
    ExpectRejected(Edited(e, [&](Json& v) { v["time"] = t; }), {"\"time\""});
  }

  auto source = SourceAddedEntry(kAlice, "i1", HelloSha(), {"a"});
  ASSERT_TRUE(source.ok());
  ExpectRejected(Edited(*source, [](Json& v) { v["item"] = "i01"; }), {"source.added", "\"item\""});
  ExpectRejected(Edited(*source, [](Json& v) { v["item"] = 1; }), {"source.added", "\"item\""});
  ExpectRejected(Edited(*source, [](Json& v) { v["size"] = 1; }),
                 {"source.added", "unknown member", "size"});

  auto note = NoteAddedEntry(kAlice, "i1", "text", std::nullopt);
  ASSERT_TRUE(note.ok());
  ExpectRejected(Edited(*note, [](Json& v) { v.erase("text"); }), {"note.added", "exactly one"});
  ExpectRejected(Edited(*note, [](Json& v) { v["text_sha256"] = kHelloSha; }),
                 {"note.added", "exactly one"});
  ExpectRejected(Edited(*note, [](Json& v) { v["text"] = ""; }), {"note.added", "\"text\""});

  auto created = ArchiveCreatedEntry(kAlice, "o", "v", "s");
  ASSERT_TRUE(created.ok());
  ExpectRejected(Edited(*created, [](Json& v) { v.erase("vkey"); }),
                 {"archive.created", "\"vkey\"", "missing"});
}

}  // namespace
}  // namespace isnad::catalog
