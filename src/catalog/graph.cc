// The evidence graph in the catalogue: applying its entries, the search index,
// and the queries the CLI asks (details, entities, relations, warnings,
// timelines, search). docs/formats/catalog.md describes the tables.
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/graph_apply.h"
#include "catalog/sql.h"
#include "core/utf8.h"
#include "core/worker.h"
#include "text/normalize.h"
#include "text/query.h"

namespace isnad::catalog {
namespace {

std::string KindName(EntityKind kind) { return std::string(EntityKindName(kind)); }

std::optional<EntityKind> KindFromName(std::string_view name) {
  for (EntityKind k :
       {EntityKind::kItem, EntityKind::kPlace, EntityKind::kIncident, EntityKind::kActor,
        EntityKind::kRelation, EntityKind::kCase, EntityKind::kCaseEvent}) {
    if (EntityKindName(k) == name) return k;
  }
  return std::nullopt;
}

bool IsTextDocument(std::string_view media_type) {
  return media_type.starts_with("text/") || media_type == "application/xhtml+xml" ||
         media_type == "application/json";
}

// The most text of one document that goes into the index.
constexpr size_t kMaxIndexedText = size_t{1} << 20;

// Search counts at most this many hits (SearchResult::total_capped beyond).
constexpr uint64_t kMaxCounted = 10'000;
// With more hits than kMaxCounted, only the newest this many are ranked.
constexpr uint64_t kRankWindow = 2'000;

// A tag as filters match it: "Sarin", "sarin" and "SARIN" are one tag to a
// search, as are Arabic spellings that differ only as search folds them (the
// form names are looked up by); one of punctuation alone is kept as given.
std::string TagFold(std::string_view tag) {
  std::string folded = text::Tokenize(tag).exact;
  return folded.empty() ? std::string(tag) : folded;
}

// Filter keys: tokens an item's search row carries in its keys column so that
// a tag or event-date filter narrows the text hits inside FTS5 (an AND of
// doclists) before the filter itself is checked row by row. A key only has to
// select a superset of the items that pass the filter: a word of the text that
// happens to equal one costs time, never a wrong hit; and no text query
// reads the keys column (every phrase of text::ToFtsMatch names its column).
// docs/formats/catalog.md.
std::string TagKey(std::string_view tag) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a 64
  for (unsigned char c : tag) {
    h ^= c;
    h *= 1099511628211ull;
  }
  static const char kHex[] = "0123456789abcdef";
  std::string key = "0t";
  for (int shift = 60; shift >= 0; shift -= 4) key += kHex[(h >> shift) & 0xf];
  return key;
}

// Months and years of a "YYYY-MM-DD" day.
struct YearMonth {
  int year = 0, month = 0;
  int Index() const { return year * 12 + month - 1; }
};
std::optional<YearMonth> YearMonthOf(std::string_view day) {
  if (day.size() < 7 || day[4] != '-') return std::nullopt;
  YearMonth ym;
  for (size_t i = 0; i < 4; ++i) {
    if (day[i] < '0' || day[i] > '9') return std::nullopt;
    ym.year = ym.year * 10 + (day[i] - '0');
  }
  if (day[5] < '0' || day[5] > '9' || day[6] < '0' || day[6] > '9') return std::nullopt;
  ym.month = (day[5] - '0') * 10 + (day[6] - '0');
  if (ym.month < 1 || ym.month > 12) return std::nullopt;
  return ym;
}

constexpr int kNarrowMonths = 24;  // a date range of up to this many months is narrow
constexpr int kMaxKeyYears = 50;   // a wider range than this many years is "0wall"

std::string MonthKey(int index) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0m%04d%02d", index / 12, index % 12 + 1);
  return buf;
}
std::string YearKey(const char* kind, int year) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%s%04d", kind, year);
  return buf;
}

// The keys of an item whose event date is [lo, hi]: a narrow range has its
// months (0mYYYYMM) and years (0yYYYY), a wider one its years as 0wYYYY, one
// wider than kMaxKeyYears 0wall.
std::string DateKeys(std::string_view lo, std::string_view hi) {
  std::optional<YearMonth> a = YearMonthOf(lo), b = YearMonthOf(hi);
  if (!a.has_value() || !b.has_value() || b->Index() < a->Index()) return "";
  std::string out;
  auto add = [&out](const std::string& k) {
    if (!out.empty()) out += ' ';
    out += k;
  };
  if (b->Index() - a->Index() < kNarrowMonths) {
    for (int m = a->Index(); m <= b->Index(); ++m) add(MonthKey(m));
    for (int y = a->year; y <= b->year; ++y) add(YearKey("0y", y));
  } else if (b->year - a->year < kMaxKeyYears) {
    for (int y = a->year; y <= b->year; ++y) add(YearKey("0w", y));
  } else {
    add("0wall");
  }
  return out;
}

// The keys, one of which every item dated within [lo, hi] has; empty when
// the range is too wide to narrow anything.
std::vector<std::string> DateKeyQuery(std::string_view lo, std::string_view hi) {
  std::optional<YearMonth> a = YearMonthOf(lo), b = YearMonthOf(hi);
  std::vector<std::string> out;
  if (!a.has_value() || !b.has_value() || b->Index() < a->Index()) return out;
  if (b->year - a->year >= kMaxKeyYears) return out;
  if (b->Index() - a->Index() < kNarrowMonths) {
    for (int m = a->Index(); m <= b->Index(); ++m) out.push_back(MonthKey(m));
  } else {
    for (int y = a->year; y <= b->year; ++y) out.push_back(YearKey("0y", y));
  }
  for (int y = a->year; y <= b->year; ++y) out.push_back(YearKey("0w", y));
  out.push_back("0wall");
  return out;
}

}  // namespace

namespace internal {

// An item's working copies, for Details (show, describe, import): without it each
// scanned every item's facts (0.75 ms an item at 20,000 items). Partial: most
// items are no copy.
const char* const kGraphAddedIndexesSql =
    "CREATE INDEX IF NOT EXISTS item_facts_by_original ON item_facts (original_leaf) WHERE "
    "original_leaf IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS withdrawals_by_item ON withdrawals (item_leaf);";

const char* const kGraphSchemaSql = R"sql(
CREATE TABLE entities (
  leaf_index INTEGER PRIMARY KEY,
  kind       TEXT NOT NULL,
  time       TEXT NOT NULL,
  operator   TEXT NOT NULL
);
CREATE TABLE texts (
  owner      INTEGER NOT NULL,
  field      TEXT NOT NULL,
  lang       TEXT NOT NULL,
  text       TEXT NOT NULL,
  leaf_index INTEGER NOT NULL,
  PRIMARY KEY (owner, field, lang)
) WITHOUT ROWID;
CREATE TABLE variants (
  owner INTEGER NOT NULL,
  name  TEXT NOT NULL,
  PRIMARY KEY (owner, name)
) WITHOUT ROWID;
CREATE TABLE names (
  folded TEXT NOT NULL,
  owner  INTEGER NOT NULL,
  PRIMARY KEY (folded, owner)
) WITHOUT ROWID;
CREATE TABLE item_facts (
  item_leaf     INTEGER PRIMARY KEY,
  event_date    TEXT,
  date_lo       TEXT,
  date_hi       TEXT,
  place_leaf    INTEGER,
  lat           TEXT,
  lon           TEXT,
  status        TEXT NOT NULL DEFAULT 'unreviewed',
  original_leaf INTEGER
);
CREATE TABLE tags (
  item_leaf INTEGER NOT NULL,
  tag       TEXT NOT NULL,
  folded    TEXT NOT NULL,
  PRIMARY KEY (item_leaf, tag)
) WITHOUT ROWID;
CREATE INDEX tags_by_folded ON tags (folded);
CREATE TABLE reviews (
  leaf_index INTEGER PRIMARY KEY,
  item_leaf  INTEGER NOT NULL,
  status     TEXT NOT NULL,
  reason     TEXT NOT NULL,
  time       TEXT NOT NULL,
  operator   TEXT NOT NULL
);
CREATE INDEX reviews_by_item ON reviews (item_leaf, leaf_index);
CREATE TABLE places (
  leaf_index  INTEGER PRIMARY KEY,
  lat         TEXT,
  lon         TEXT,
  within_leaf INTEGER
);
CREATE TABLE incidents (
  leaf_index INTEGER PRIMARY KEY,
  category   TEXT,
  date       TEXT,
  date_lo    TEXT,
  date_hi    TEXT
);
CREATE TABLE incident_places (
  incident_leaf INTEGER NOT NULL,
  place_leaf    INTEGER NOT NULL,
  PRIMARY KEY (incident_leaf, place_leaf)
) WITHOUT ROWID;
CREATE TABLE links (
  owner      INTEGER NOT NULL,
  role       TEXT NOT NULL,
  item_leaf  INTEGER NOT NULL,
  leaf_index INTEGER NOT NULL,
  PRIMARY KEY (owner, role, item_leaf)
) WITHOUT ROWID;
CREATE INDEX links_by_item ON links (item_leaf);
CREATE TABLE relation_withdrawals (
  relation_leaf INTEGER PRIMARY KEY,
  leaf_index    INTEGER NOT NULL,
  reason        TEXT NOT NULL,
  time          TEXT NOT NULL,
  subject_leaf  INTEGER NOT NULL,  -- what the claim said, for its actors' pages
  predicate     TEXT NOT NULL,
  object_leaf   INTEGER NOT NULL
);
CREATE INDEX relation_withdrawals_by_subject ON relation_withdrawals (subject_leaf);
CREATE INDEX relation_withdrawals_by_object ON relation_withdrawals (object_leaf);
CREATE TABLE withdrawals (
  owner      INTEGER NOT NULL,
  role       TEXT NOT NULL,
  item_leaf  INTEGER NOT NULL,
  leaf_index INTEGER NOT NULL,
  reason     TEXT NOT NULL,
  time       TEXT NOT NULL,
  PRIMARY KEY (owner, role, leaf_index, item_leaf)
) WITHOUT ROWID;
CREATE TABLE actors (
  leaf_index INTEGER PRIMARY KEY,
  actor_type TEXT NOT NULL
);
CREATE TABLE relations (
  leaf_index   INTEGER PRIMARY KEY,
  subject_leaf INTEGER NOT NULL,
  predicate    TEXT NOT NULL,
  object_leaf  INTEGER NOT NULL,
  date_from    TEXT,
  date_to      TEXT,
  from_lo      TEXT,
  to_hi        TEXT
);
CREATE INDEX relations_by_subject ON relations (subject_leaf);
CREATE INDEX relations_by_object ON relations (object_leaf);
CREATE TABLE relation_sources (
  relation_leaf INTEGER NOT NULL,
  item_leaf     INTEGER NOT NULL,
  confidence    TEXT NOT NULL,
  PRIMARY KEY (relation_leaf, item_leaf)
) WITHOUT ROWID;
CREATE INDEX relation_sources_by_item ON relation_sources (item_leaf);
CREATE TABLE cases (
  leaf_index   INTEGER PRIMARY KEY,
  jurisdiction TEXT
);
CREATE TABLE case_parties (
  case_leaf  INTEGER NOT NULL,
  actor_leaf INTEGER NOT NULL,
  role       TEXT NOT NULL,
  PRIMARY KEY (case_leaf, actor_leaf, role)
) WITHOUT ROWID;
CREATE TABLE case_events (
  leaf_index INTEGER PRIMARY KEY,
  case_leaf  INTEGER NOT NULL,
  event      TEXT NOT NULL,
  date       TEXT NOT NULL,
  date_lo    TEXT NOT NULL,
  date_hi    TEXT NOT NULL
);
CREATE INDEX case_events_by_case ON case_events (case_leaf, date_lo);
CREATE TABLE event_withdrawals (
  event_leaf INTEGER PRIMARY KEY,
  case_leaf  INTEGER NOT NULL,
  event      TEXT NOT NULL,
  date       TEXT NOT NULL,
  leaf_index INTEGER NOT NULL,
  reason     TEXT NOT NULL,
  time       TEXT NOT NULL
);
CREATE INDEX event_withdrawals_by_case ON event_withdrawals (case_leaf);
CREATE TABLE timestamps (
  leaf_index        INTEGER PRIMARY KEY,
  checkpoint_size   INTEGER NOT NULL,
  checkpoint_sha256 TEXT NOT NULL,
  tsa               TEXT NOT NULL,
  token_sha256      TEXT NOT NULL,
  gen_time          TEXT NOT NULL
);
CREATE INDEX timestamps_by_size ON timestamps (checkpoint_size);
CREATE TABLE item_content (
  item_leaf INTEGER PRIMARY KEY,
  text      TEXT NOT NULL
);
CREATE VIRTUAL TABLE search USING fts5(exact, stem, skel, keys, tokenize = "ascii");
CREATE TABLE search_terms (
  col  INTEGER NOT NULL,
  term TEXT NOT NULL,
  PRIMARY KEY (col, term)
) WITHOUT ROWID;
)sql";

Stmt& GraphApplier::Q(const char* sql) {
  auto it = stmts_.find(sql);
  if (it != stmts_.end()) return it->second;
  auto st = Stmt::Prepare(db_, sql);
  // A statement that does not prepare is a bug in this file; the error
  // surfaces on first use as "bad parameter or other API misuse".
  return stmts_.emplace(sql, st.ok() ? std::move(st).value() : Stmt()).first->second;
}

StatusOr<int64_t> GraphApplier::Expect(const Json& id, EntityKind kind, int64_t leaf) {
  const std::string& text = id.get_ref<const std::string&>();
  std::optional<EntityRef> ref = ParseEntityId(text);  // validated by the grammar
  if (!ref.has_value() || ref->kind != kind) {
    return core::InvalidArgument("\"" + text + "\" is not " + KindName(kind) + " id");
  }
  if (ref->leaf_index >= static_cast<uint64_t>(leaf)) {
    return core::NotFound("no " + KindName(kind) + " " + text + " before this entry");
  }
  Stmt& st = Q("SELECT kind FROM entities WHERE leaf_index = ?1");
  st.Int(1, static_cast<int64_t>(ref->leaf_index));
  ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("looking up " + text));
  std::string found = row ? st.ColText(0) : "";
  st.Reset();
  if (found != EntityKindName(kind)) {
    return core::NotFound("no " + KindName(kind) + " " + text);
  }
  return static_cast<int64_t>(ref->leaf_index);
}

Status GraphApplier::AddEntity(int64_t leaf, EntityKind kind, const Json& e) {
  Stmt& st = Q("INSERT INTO entities (leaf_index, kind, time, operator) VALUES (?1, ?2, ?3, ?4)");
  st.Int(1, leaf);
  st.TextRef(2, EntityKindName(kind));
  st.TextRef(3, Member(e, "time"));
  st.TextRef(4, Member(e, "operator"));
  ISNAD_RETURN_IF_ERROR(st.Run("recording an entity"));
  fresh_.insert(leaf);
  dirty_.insert(leaf);
  return Status::Ok();
}

Status GraphApplier::AddName(int64_t owner, std::string_view name) {
  std::string folded = text::Tokenize(name).exact;
  if (folded.empty()) return Status::Ok();
  Stmt& st = Q("INSERT OR IGNORE INTO names (folded, owner) VALUES (?1, ?2)");
  st.Text(1, folded);
  st.Int(2, owner);
  return st.Run("recording a name");
}

Status GraphApplier::SetText(int64_t owner, const char* field, const std::string& lang,
                             const std::string& value) {
  Stmt& st =
      Q("INSERT INTO texts (owner, field, lang, text, leaf_index) VALUES (?1, ?2, ?3, ?4, ?1) "
        "ON CONFLICT (owner, field, lang) DO UPDATE SET text = excluded.text");
  st.Int(1, owner);
  st.TextRef(2, field);
  st.TextRef(3, lang);
  st.TextRef(4, value);
  return st.Run("recording a text");
}

Status GraphApplier::SetTexts(int64_t owner, const char* field, const Json& lang_map) {
  for (auto it = lang_map.begin(); it != lang_map.end(); ++it) {
    ISNAD_RETURN_IF_ERROR(SetText(owner, field, it.key(), it->get_ref<const std::string&>()));
  }
  return Status::Ok();
}

Status GraphApplier::AddNames(int64_t owner, const Json& names, const char* field) {
  ISNAD_RETURN_IF_ERROR(SetTexts(owner, field, names));
  for (auto it = names.begin(); it != names.end(); ++it) {
    ISNAD_RETURN_IF_ERROR(AddName(owner, it->get_ref<const std::string&>()));
  }
  return Status::Ok();
}

Status GraphApplier::AddVariants(int64_t owner, const Json& e) {
  for (const Json& v : e.value("variants", Json::array())) {
    Stmt& st = Q("INSERT OR IGNORE INTO variants (owner, name) VALUES (?1, ?2)");
    st.Int(1, owner);
    st.TextRef(2, v.get_ref<const std::string&>());
    ISNAD_RETURN_IF_ERROR(st.Run("recording a variant"));
    ISNAD_RETURN_IF_ERROR(AddName(owner, v.get_ref<const std::string&>()));
  }
  return Status::Ok();
}

Status GraphApplier::Link(int64_t owner, const char* role, const Json& items, int64_t leaf) {
  for (const Json& item : items) {
    ISNAD_ASSIGN_OR_RETURN(int64_t item_leaf, Expect(item, EntityKind::kItem, leaf));
    Stmt& st = Q(
        "INSERT OR IGNORE INTO links (owner, role, item_leaf, leaf_index) VALUES (?1, ?2, ?3, ?4)");
    st.Int(1, owner);
    st.TextRef(2, role);
    st.Int(3, item_leaf);
    st.Int(4, leaf);
    ISNAD_RETURN_IF_ERROR(st.Run("linking an item"));
  }
  return Status::Ok();
}

// An unlink of an item that is not linked (then) changes nothing: the CLI and
// import refuse to write one, and the log, once written, is applied as it is.
Status GraphApplier::Unlink(int64_t owner, const char* role, const Json& e, int64_t leaf) {
  for (const Json& item : e["items"]) {
    ISNAD_ASSIGN_OR_RETURN(int64_t item_leaf, Expect(item, EntityKind::kItem, leaf));
    Stmt& st = Q("DELETE FROM links WHERE owner = ?1 AND role = ?2 AND item_leaf = ?3");
    st.Int(1, owner);
    st.TextRef(2, role);
    st.Int(3, item_leaf);
    ISNAD_RETURN_IF_ERROR(st.Run("withdrawing a link"));
    // An item that was not linked then: nothing was withdrawn.
    if (sqlite3_changes(db_) == 0) continue;
    Stmt& w =
        Q("INSERT OR IGNORE INTO withdrawals (owner, role, item_leaf, leaf_index, reason, time) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    w.Int(1, owner);
    w.TextRef(2, role);
    w.Int(3, item_leaf);
    w.Int(4, leaf);
    w.TextRef(5, Member(e, "reason"));
    w.TextRef(6, Member(e, "time"));
    ISNAD_RETURN_IF_ERROR(w.Run("recording a withdrawal"));
  }
  return Status::Ok();
}

Status GraphApplier::EnsureFacts(int64_t item_leaf) {
  Stmt& st = Q("INSERT OR IGNORE INTO item_facts (item_leaf) VALUES (?1)");
  st.Int(1, item_leaf);
  return st.Run("recording item facts");
}

Status GraphApplier::ItemIngested(int64_t leaf, const Json& e) {
  ISNAD_RETURN_IF_ERROR(AddEntity(leaf, EntityKind::kItem, e));
  const std::string& media_type = Member(e, "media_type");
  if (text_source_ == nullptr || !*text_source_ || !IsTextDocument(media_type)) {
    return Status::Ok();
  }
  auto hash = core::Hash::FromHex(Member(e, "sha256"));
  if (!hash.ok()) return hash.status();
  auto text = (*text_source_)(*hash, media_type);
  // A blob that cannot be read now (damaged, say) is reported by verify; the
  // item stays findable by its name.
  if (!text.ok() || text->empty()) return Status::Ok();
  core::TruncateUtf8(*text, kMaxIndexedText);
  Stmt& st = Q("INSERT INTO item_content (item_leaf, text) VALUES (?1, ?2)");
  st.Int(1, leaf);
  st.Text(2, core::LossyUtf8(*text));
  return st.Run("recording an item's text");
}

Status GraphApplier::Apply(int64_t leaf, const std::string& type, const Json& e) {
  auto date_cols = [](Stmt& st, int at, const std::string& date) {
    std::optional<DateRange> r = ParseEventDate(date);  // validated
    st.TextRefOrNull(at, date);
    if (r.has_value()) {
      st.Text(at + 1, r->lo);
      st.Text(at + 2, r->hi);
    }
  };
  if (type == kItemDescribed || type == kItemTagged || type == kItemReviewed ||
      type == kItemDerived) {
    ISNAD_ASSIGN_OR_RETURN(int64_t item, Expect(e["item"], EntityKind::kItem, leaf));
    dirty_.insert(item);
    ISNAD_RETURN_IF_ERROR(EnsureFacts(item));
    if (type == kItemDescribed) {
      const std::string& lang = Member(e, "lang");
      if (e.contains("title"))
        ISNAD_RETURN_IF_ERROR(SetText(item, "title", lang, Member(e, "title")));
      if (e.contains("description")) {
        ISNAD_RETURN_IF_ERROR(SetText(item, "description", lang, Member(e, "description")));
      }
      if (e.contains("event_date")) {
        Stmt& st =
            Q("UPDATE item_facts SET event_date = ?2, date_lo = ?3, date_hi = ?4 WHERE item_leaf = "
              "?1");
        st.Int(1, item);
        date_cols(st, 2, Member(e, "event_date"));
        ISNAD_RETURN_IF_ERROR(st.Run("recording an event date"));
      }
      if (e.contains("place")) {
        ISNAD_ASSIGN_OR_RETURN(int64_t place, Expect(e["place"], EntityKind::kPlace, leaf));
        Stmt& st = Q("UPDATE item_facts SET place_leaf = ?2 WHERE item_leaf = ?1");
        st.Int(1, item);
        st.Int(2, place);
        ISNAD_RETURN_IF_ERROR(st.Run("recording a place"));
      }
      if (e.contains("lat")) {
        Stmt& st = Q("UPDATE item_facts SET lat = ?2, lon = ?3 WHERE item_leaf = ?1");
        st.Int(1, item);
        st.TextRef(2, Member(e, "lat"));
        st.TextRef(3, Member(e, "lon"));
        ISNAD_RETURN_IF_ERROR(st.Run("recording coordinates"));
      }
      return Status::Ok();
    }
    if (type == kItemTagged) {
      for (const Json& tag : e.value("add", Json::array())) {
        Stmt& st = Q("INSERT OR IGNORE INTO tags (item_leaf, tag, folded) VALUES (?1, ?2, ?3)");
        st.Int(1, item);
        st.TextRef(2, tag.get_ref<const std::string&>());
        st.Text(3, TagFold(tag.get_ref<const std::string&>()));
        ISNAD_RETURN_IF_ERROR(st.Run("tagging"));
      }
      for (const Json& tag : e.value("remove", Json::array())) {
        Stmt& st = Q("DELETE FROM tags WHERE item_leaf = ?1 AND tag = ?2");
        st.Int(1, item);
        st.TextRef(2, tag.get_ref<const std::string&>());
        ISNAD_RETURN_IF_ERROR(st.Run("untagging"));
      }
      return Status::Ok();
    }
    if (type == kItemReviewed) {
      Stmt& st = Q(
          "INSERT INTO reviews (leaf_index, item_leaf, status, reason, time, operator) VALUES (?1, "
          "?2, ?3, ?4, ?5, ?6)");
      st.Int(1, leaf);
      st.Int(2, item);
      st.TextRef(3, Member(e, "status"));
      st.TextRef(4, Member(e, "reason"));
      st.TextRef(5, Member(e, "time"));
      st.TextRef(6, Member(e, "operator"));
      ISNAD_RETURN_IF_ERROR(st.Run("recording a review"));
      Stmt& up = Q("UPDATE item_facts SET status = ?2 WHERE item_leaf = ?1");
      up.Int(1, item);
      up.TextRef(2, Member(e, "status"));
      return up.Run("recording a review");
    }
    // item.derived: the original must not itself come from this item.
    ISNAD_ASSIGN_OR_RETURN(int64_t original, Expect(e["original"], EntityKind::kItem, leaf));
    for (int64_t at = original, hops = 0; hops < 10000; ++hops) {
      if (at == item) {
        return core::InvalidArgument(ItemId(static_cast<uint64_t>(item)) + " cannot be a copy of " +
                                     ItemId(static_cast<uint64_t>(original)) +
                                     ", which is itself derived from it");
      }
      Stmt& st = Q("SELECT original_leaf FROM item_facts WHERE item_leaf = ?1");
      st.Int(1, at);
      ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("following derivations"));
      bool has = row && !st.ColIsNull(0);
      int64_t next = has ? st.ColInt(0) : 0;
      st.Reset();
      if (!has) break;
      at = next;
    }
    Stmt& st = Q("UPDATE item_facts SET original_leaf = ?2 WHERE item_leaf = ?1");
    st.Int(1, item);
    st.Int(2, original);
    return st.Run("recording a derivation");
  }
  if (type == kPlaceAdded) {
    int64_t within = 0;
    if (e.contains("within")) {
      ISNAD_ASSIGN_OR_RETURN(within, Expect(e["within"], EntityKind::kPlace, leaf));
    }
    ISNAD_RETURN_IF_ERROR(AddEntity(leaf, EntityKind::kPlace, e));
    ISNAD_RETURN_IF_ERROR(AddNames(leaf, e["names"], "name"));
    ISNAD_RETURN_IF_ERROR(AddVariants(leaf, e));
    Stmt& st = Q("INSERT INTO places (leaf_index, lat, lon, within_leaf) VALUES (?1, ?2, ?3, ?4)");
    st.Int(1, leaf);
    st.TextRefOrNull(2, Member(e, "lat"));
    st.TextRefOrNull(3, Member(e, "lon"));
    if (within != 0 || e.contains("within")) st.Int(4, within);
    return st.Run("recording a place");
  }
  if (type == kIncidentAdded) {
    std::vector<int64_t> places;
    for (const Json& p : e.value("places", Json::array())) {
      ISNAD_ASSIGN_OR_RETURN(int64_t place, Expect(p, EntityKind::kPlace, leaf));
      places.push_back(place);
    }
    ISNAD_RETURN_IF_ERROR(AddEntity(leaf, EntityKind::kIncident, e));
    ISNAD_RETURN_IF_ERROR(AddNames(leaf, e["title"], "title"));
    if (e.contains("description"))
      ISNAD_RETURN_IF_ERROR(SetTexts(leaf, "description", e["description"]));
    Stmt& st = Q(
        "INSERT INTO incidents (leaf_index, category, date, date_lo, date_hi) VALUES (?1, ?2, ?3, "
        "?4, ?5)");
    st.Int(1, leaf);
    st.TextRefOrNull(2, Member(e, "category"));
    date_cols(st, 3, Member(e, "date"));
    ISNAD_RETURN_IF_ERROR(st.Run("recording an incident"));
    for (int64_t place : places) {
      Stmt& ip =
          Q("INSERT OR IGNORE INTO incident_places (incident_leaf, place_leaf) VALUES (?1, ?2)");
      ip.Int(1, leaf);
      ip.Int(2, place);
      ISNAD_RETURN_IF_ERROR(ip.Run("recording an incident's place"));
    }
    return Status::Ok();
  }
  if (type == kIncidentLinked || type == kIncidentUnlinked) {
    ISNAD_ASSIGN_OR_RETURN(int64_t incident, Expect(e["incident"], EntityKind::kIncident, leaf));
    ISNAD_RETURN_IF_ERROR(type == kIncidentLinked ? Link(incident, "incident", e["items"], leaf)
                                                  : Unlink(incident, "incident", e, leaf));
    for (const Json& item : e["items"]) {
      dirty_.insert(
          static_cast<int64_t>(ParseEntityId(item.get_ref<const std::string&>())->leaf_index));
    }
    return Status::Ok();
  }
  if (type == kActorAdded) {
    ISNAD_RETURN_IF_ERROR(AddEntity(leaf, EntityKind::kActor, e));
    ISNAD_RETURN_IF_ERROR(AddNames(leaf, e["names"], "name"));
    ISNAD_RETURN_IF_ERROR(AddVariants(leaf, e));
    if (e.contains("description"))
      ISNAD_RETURN_IF_ERROR(SetTexts(leaf, "description", e["description"]));
    Stmt& st = Q("INSERT INTO actors (leaf_index, actor_type) VALUES (?1, ?2)");
    st.Int(1, leaf);
    st.TextRef(2, Member(e, "actor_type"));
    return st.Run("recording an actor");
  }
  if (type == kRelationAdded) {
    ISNAD_ASSIGN_OR_RETURN(int64_t subject, Expect(e["subject"], EntityKind::kActor, leaf));
    const std::string& object_id = Member(e, "object");
    EntityKind object_kind = ParseEntityId(object_id)->kind;
    ISNAD_ASSIGN_OR_RETURN(int64_t object, Expect(e["object"], object_kind, leaf));
    std::vector<std::pair<int64_t, std::string>> sources;
    for (const Json& s : e["sources"]) {
      ISNAD_ASSIGN_OR_RETURN(int64_t item, Expect(s["item"], EntityKind::kItem, leaf));
      sources.emplace_back(item, s["confidence"].get<std::string>());
    }
    ISNAD_RETURN_IF_ERROR(AddEntity(leaf, EntityKind::kRelation, e));
    dirty_.erase(leaf);  // relations have no search row of their own
    fresh_.erase(leaf);
    Stmt& st =
        Q("INSERT INTO relations (leaf_index, subject_leaf, predicate, object_leaf, date_from, "
          "date_to, from_lo, to_hi) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    st.Int(1, leaf);
    st.Int(2, subject);
    st.TextRef(3, Member(e, "predicate"));
    st.Int(4, object);
    st.TextRefOrNull(5, Member(e, "from"));
    st.TextRefOrNull(6, Member(e, "to"));
    if (auto r = ParseEventDate(Member(e, "from"))) st.Text(7, r->lo);
    if (auto r = ParseEventDate(Member(e, "to"))) st.Text(8, r->hi);
    ISNAD_RETURN_IF_ERROR(st.Run("recording a relation"));
    for (const auto& [item, confidence] : sources) {
      Stmt& rs =
          Q("INSERT OR REPLACE INTO relation_sources (relation_leaf, item_leaf, confidence) VALUES "
            "(?1, ?2, ?3)");
      rs.Int(1, leaf);
      rs.Int(2, item);
      rs.Text(3, confidence);
      ISNAD_RETURN_IF_ERROR(rs.Run("recording a relation's source"));
    }
    return Status::Ok();
  }
  if (type == kRelationWithdrawn) {
    // The claim leaves the catalogue (shows, timelines, warnings, the --actor
    // filter); its entity row stays, so the id still names what was withdrawn.
    // Applied from the log, withdrawing one withdrawn already changes nothing.
    ISNAD_ASSIGN_OR_RETURN(int64_t relation, Expect(e["relation"], EntityKind::kRelation, leaf));
    // The first withdrawal is the one that took it back (a later one finds no
    // standing claim to copy); what the claim said stays for its actors' pages.
    Stmt& w =
        Q("INSERT OR IGNORE INTO relation_withdrawals (relation_leaf, leaf_index, reason, time, "
          "subject_leaf, predicate, object_leaf) SELECT leaf_index, ?2, ?3, ?4, subject_leaf, "
          "predicate, object_leaf FROM relations WHERE leaf_index = ?1");
    w.Int(1, relation);
    w.Int(2, leaf);
    w.TextRef(3, Member(e, "reason"));
    w.TextRef(4, Member(e, "time"));
    ISNAD_RETURN_IF_ERROR(w.Run("recording a relation's withdrawal"));
    Stmt& rs = Q("DELETE FROM relation_sources WHERE relation_leaf = ?1");
    rs.Int(1, relation);
    ISNAD_RETURN_IF_ERROR(rs.Run("withdrawing a relation's sources"));
    Stmt& st = Q("DELETE FROM relations WHERE leaf_index = ?1");
    st.Int(1, relation);
    return st.Run("withdrawing a relation");
  }
  if (type == kCaseAdded) {
    std::vector<std::pair<int64_t, std::string>> parties;
    for (const Json& p : e.value("parties", Json::array())) {
      ISNAD_ASSIGN_OR_RETURN(int64_t actor, Expect(p["actor"], EntityKind::kActor, leaf));
      parties.emplace_back(actor, p["role"].get<std::string>());
    }
    ISNAD_RETURN_IF_ERROR(AddEntity(leaf, EntityKind::kCase, e));
    ISNAD_RETURN_IF_ERROR(AddNames(leaf, e["title"], "title"));
    if (e.contains("description"))
      ISNAD_RETURN_IF_ERROR(SetTexts(leaf, "description", e["description"]));
    Stmt& st = Q("INSERT INTO cases (leaf_index, jurisdiction) VALUES (?1, ?2)");
    st.Int(1, leaf);
    st.TextRefOrNull(2, Member(e, "jurisdiction"));
    ISNAD_RETURN_IF_ERROR(st.Run("recording a case"));
    for (const auto& [actor, role] : parties) {
      Stmt& cp =
          Q("INSERT OR IGNORE INTO case_parties (case_leaf, actor_leaf, role) VALUES (?1, ?2, ?3)");
      cp.Int(1, leaf);
      cp.Int(2, actor);
      cp.Text(3, role);
      ISNAD_RETURN_IF_ERROR(cp.Run("recording a party"));
    }
    return Status::Ok();
  }
  if (type == kCaseEvent) {
    ISNAD_ASSIGN_OR_RETURN(int64_t case_leaf, Expect(e["case"], EntityKind::kCase, leaf));
    ISNAD_RETURN_IF_ERROR(AddEntity(leaf, EntityKind::kCaseEvent, e));
    dirty_.erase(leaf);
    fresh_.erase(leaf);
    dirty_.insert(case_leaf);
    if (e.contains("description"))
      ISNAD_RETURN_IF_ERROR(SetTexts(leaf, "description", e["description"]));
    Stmt& st =
        Q("INSERT INTO case_events (leaf_index, case_leaf, event, date, date_lo, date_hi) VALUES "
          "(?1, ?2, ?3, ?4, ?5, ?6)");
    st.Int(1, leaf);
    st.Int(2, case_leaf);
    st.TextRef(3, Member(e, "event"));
    date_cols(st, 4, Member(e, "date"));
    ISNAD_RETURN_IF_ERROR(st.Run("recording a case event"));
    if (e.contains("documents"))
      ISNAD_RETURN_IF_ERROR(Link(leaf, "document", e["documents"], leaf));
    return Status::Ok();
  }
  if (type == kCaseEventWithdrawn) {
    // The event leaves the case (case show, timelines, search, exports) and its
    // documents their role in it; its entity row stays, so the id still names what
    // was withdrawn, and event_withdrawals keeps what it was and why it went.
    // Applied from the log, withdrawing one withdrawn already changes nothing.
    ISNAD_ASSIGN_OR_RETURN(int64_t event, Expect(e["event"], EntityKind::kCaseEvent, leaf));
    Stmt& w =
        Q("INSERT OR IGNORE INTO event_withdrawals (event_leaf, case_leaf, event, date, "
          "leaf_index, reason, time) SELECT leaf_index, case_leaf, event, date, ?2, ?3, ?4 FROM "
          "case_events WHERE leaf_index = ?1");
    w.Int(1, event);
    w.Int(2, leaf);
    w.TextRef(3, Member(e, "reason"));
    w.TextRef(4, Member(e, "time"));
    ISNAD_RETURN_IF_ERROR(w.Run("recording a case event's withdrawal"));
    if (sqlite3_changes(db_) == 0) return Status::Ok();
    Stmt& c = Q("SELECT case_leaf FROM case_events WHERE leaf_index = ?1");
    c.Int(1, event);
    ISNAD_ASSIGN_OR_RETURN(bool row, c.Step("reading a case event"));
    if (row) dirty_.insert(c.ColInt(0));  // the case's search row held the event's text
    c.Reset();
    // Its documents are withdrawn with it: the item's history (show) keeps why.
    Stmt& kept =
        Q("INSERT OR IGNORE INTO withdrawals (owner, role, item_leaf, leaf_index, reason, time) "
          "SELECT owner, role, item_leaf, ?2, ?3, ?4 FROM links WHERE owner = ?1 AND role = "
          "'document'");
    kept.Int(1, event);
    kept.Int(2, leaf);
    kept.TextRef(3, Member(e, "reason"));
    kept.TextRef(4, Member(e, "time"));
    ISNAD_RETURN_IF_ERROR(kept.Run("recording a case event's documents as withdrawn"));
    Stmt& d = Q("DELETE FROM links WHERE owner = ?1 AND role = 'document'");
    d.Int(1, event);
    ISNAD_RETURN_IF_ERROR(d.Run("withdrawing a case event's documents"));
    Stmt& st = Q("DELETE FROM case_events WHERE leaf_index = ?1");
    st.Int(1, event);
    return st.Run("withdrawing a case event");
  }
  if (type == kCaseLinked) {
    ISNAD_ASSIGN_OR_RETURN(int64_t case_leaf, Expect(e["case"], EntityKind::kCase, leaf));
    return Link(case_leaf, "exhibit", e["items"], leaf);
  }
  if (type == kCaseUnlinked) {
    ISNAD_ASSIGN_OR_RETURN(int64_t case_leaf, Expect(e["case"], EntityKind::kCase, leaf));
    return Unlink(case_leaf, "exhibit", e, leaf);
  }
  if (type == kTimestampAdded) {
    const uint64_t size = e["checkpoint_size"].get<uint64_t>();
    if (size == 0 || size > static_cast<uint64_t>(leaf)) {
      return core::InvalidArgument(
          "a timestamp can only cover a checkpoint signed before it (size 1 to " +
          std::to_string(leaf) + "), not size " + std::to_string(size));
    }
    Stmt& st =
        Q("INSERT INTO timestamps (leaf_index, checkpoint_size, checkpoint_sha256, tsa, "
          "token_sha256, gen_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    st.Int(1, leaf);
    st.Int(2, static_cast<int64_t>(size));
    st.TextRef(3, Member(e, "checkpoint_sha256"));
    st.TextRef(4, Member(e, "tsa"));
    st.TextRef(5, Member(e, "token_sha256"));
    st.TextRef(6, Member(e, "gen_time"));
    return st.Run("recording a timestamp");
  }
  return core::InvalidArgument("entry type \"" + type + "\" is not part of the evidence graph");
}

namespace {

// Adds the distinct terms of a search column (tokens separated by single spaces)
// to `out` as col digit + term, skipping those already in `seen`.
void AddTerms(char col, std::string_view column, std::unordered_set<std::string>* seen,
              std::vector<std::string>* out) {
  while (!column.empty()) {
    size_t sp = column.find(' ');
    std::string term(1, col);
    term += column.substr(0, sp);
    column = sp == std::string_view::npos ? std::string_view() : column.substr(sp + 1);
    if (term.size() > 1 && seen->insert(term).second) out->push_back(std::move(term));
  }
}

}  // namespace

Status GraphApplier::GatherDoc(int64_t leaf, std::optional<std::string>* out, std::string* keys) {
  keys->clear();
  std::string doc;
  auto add = [&doc](const std::string& s) {
    if (s.empty()) return;
    doc += s;
    doc += '\n';
  };
  auto add_rows = [&](const char* sql, int64_t key) -> Status {
    Stmt& st = Q(sql);
    st.Int(1, key);
    while (true) {
      ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("gathering text to index"));
      if (!row) break;
      add(st.ColText(0));
    }
    return Status::Ok();
  };
  Stmt& kind_st = Q("SELECT kind FROM entities WHERE leaf_index = ?1");
  kind_st.Int(1, leaf);
  ISNAD_ASSIGN_OR_RETURN(bool found, kind_st.Step("looking up an entity"));
  std::string kind = found ? kind_st.ColText(0) : "";
  kind_st.Reset();
  if (!found) return Status::Ok();  // *out stays empty: no search row

  ISNAD_RETURN_IF_ERROR(
      add_rows("SELECT text FROM texts WHERE owner = ?1 ORDER BY field, lang", leaf));
  ISNAD_RETURN_IF_ERROR(add_rows("SELECT name FROM variants WHERE owner = ?1 ORDER BY name", leaf));
  if (kind == "item") {
    {
      // Every name it arrived under, and where from (--source, --note of `add`), each
      // once: "what did witness 12 give us?" and a forwarded copy's own name find it.
      Stmt& st = Q("SELECT name, url, note FROM sources WHERE item_leaf = ?1 ORDER BY leaf_index");
      st.Int(1, leaf);
      // At most kMaxSourceTexts distinct texts, the earliest: bytes that arrive very
      // often (an empty file) would otherwise grow a row rebuilt at every arrival.
      constexpr size_t kMaxSourceTexts = 256;
      std::unordered_set<std::string> seen;
      while (seen.size() < kMaxSourceTexts) {
        ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("gathering text to index"));
        if (!row) break;
        for (int col = 0; col < 3; ++col) {
          if (st.ColIsNull(col)) continue;
          std::string text = st.ColText(col);
          if (seen.insert(text).second) add(text);
        }
      }
      st.Reset();
    }
    {
      Stmt& st = Q("SELECT tag, folded FROM tags WHERE item_leaf = ?1 ORDER BY tag");
      st.Int(1, leaf);
      while (true) {
        ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("gathering text to index"));
        if (!row) break;
        add(st.ColText(0));
        *keys += ' ';
        *keys += TagKey(st.ColText(1));
      }
    }
    std::optional<int64_t> place;
    {
      Stmt& st = Q("SELECT date_lo, date_hi, place_leaf FROM item_facts WHERE item_leaf = ?1");
      st.Int(1, leaf);
      ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("gathering text to index"));
      std::string dates = row ? DateKeys(st.ColText(0), st.ColText(1)) : "";
      if (row && !st.ColIsNull(2)) place = st.ColInt(2);
      st.Reset();
      if (!dates.empty()) *keys += ' ' + dates;
    }
    ISNAD_RETURN_IF_ERROR(add_rows(
        "SELECT text FROM notes WHERE item_leaf = ?1 AND text IS NOT NULL ORDER BY leaf_index",
        leaf));
    // The names of its place, so that a place name finds what was filmed there.
    if (place.has_value()) {
      ISNAD_RETURN_IF_ERROR(add_rows(
          "SELECT text FROM texts WHERE owner = ?1 AND field = 'name' ORDER BY lang", *place));
    }
    ISNAD_RETURN_IF_ERROR(add_rows("SELECT text FROM item_content WHERE item_leaf = ?1", leaf));
  } else if (kind == "incident") {
    ISNAD_RETURN_IF_ERROR(add_rows("SELECT category FROM incidents WHERE leaf_index = ?1", leaf));
    ISNAD_RETURN_IF_ERROR(add_rows(
        "SELECT t.text FROM incident_places p JOIN texts t ON t.owner = p.place_leaf AND t.field = "
        "'name' WHERE p.incident_leaf = ?1 ORDER BY p.place_leaf, t.lang",
        leaf));
  } else if (kind == "case") {
    ISNAD_RETURN_IF_ERROR(add_rows("SELECT jurisdiction FROM cases WHERE leaf_index = ?1", leaf));
    ISNAD_RETURN_IF_ERROR(
        add_rows("SELECT t.text FROM case_events e JOIN texts t ON t.owner = e.leaf_index WHERE "
                 "e.case_leaf = ?1 ORDER BY e.leaf_index, t.lang",
                 leaf));
  }
  *out = std::move(doc);
  return Status::Ok();
}

Status GraphApplier::WriteDoc(int64_t leaf, const text::Tokens& tokens, const std::string& keys) {
  if (!fresh_.contains(leaf)) {
    // The old row's terms that the new one lacks may now be in no row at all:
    // Finish checks them, so that search_terms holds exactly the terms in the
    // index however the log was cut into batches (reindex gives the same).
    Stmt& old = Q("SELECT exact, skel FROM search WHERE rowid = ?1");
    old.Int(1, leaf);
    ISNAD_ASSIGN_OR_RETURN(bool row, old.Step("reading the old search row"));
    if (row) {
      std::unordered_set<std::string> now;
      std::vector<std::string> unused, before;
      AddTerms('0', tokens.exact, &now, &unused);
      AddTerms('2', tokens.skel, &now, &unused);
      AddTerms('0', old.ColText(0), &now, &before);
      AddTerms('2', old.ColText(1), &now, &before);
      gone_.insert(std::make_move_iterator(before.begin()), std::make_move_iterator(before.end()));
    }
    old.Reset();
    Stmt& del = Q("DELETE FROM search WHERE rowid = ?1");
    del.Int(1, leaf);
    ISNAD_RETURN_IF_ERROR(del.Run("updating the search index"));
  }
  Stmt& ins = Q("INSERT INTO search (rowid, exact, stem, skel, keys) VALUES (?1, ?2, ?3, ?4, ?5)");
  ins.Int(1, leaf);
  ins.TextRef(2, tokens.exact);
  ins.TextRef(3, tokens.stem);
  ins.TextRef(4, tokens.skel);
  ins.TextRef(5, keys);
  return ins.Run("updating the search index");
}

Status GraphApplier::Finish() {
  std::vector<int64_t> leaves(dirty_.begin(), dirty_.end());
  std::sort(leaves.begin(), leaves.end());  // deterministic rowid order in the index
  // Documents are gathered here (SQLite), tokenized on a second thread, and
  // written here a block later, so the two overlap.
  constexpr size_t kBlock = 2048;
  struct Block {
    std::vector<int64_t> leaves;
    std::vector<std::string> keys;  // filter keys, each "" or " key key..."
    // The documents' tokens, and the distinct terms of their exact (col 0)
    // and skel (col 2) columns as col digit + term.
    std::future<std::pair<std::vector<text::Tokens>, std::vector<std::string>>> tokens;
  };
  auto write = [this](Block& b) -> Status {
    auto [tokens, terms] = b.tokens.get();
    for (size_t k = 0; k < b.leaves.size(); ++k) {
      ISNAD_RETURN_IF_ERROR(WriteDoc(b.leaves[k], tokens[k], b.keys[k]));
    }
    for (std::string& t : terms) {
      if (terms_.contains(t)) continue;
      Stmt& st = Q("INSERT OR IGNORE INTO search_terms (col, term) VALUES (?1, ?2)");
      st.Int(1, t[0] - '0');
      st.TextRef(2, std::string_view(t).substr(1));
      ISNAD_RETURN_IF_ERROR(st.Run("recording search terms"));
      terms_.insert(std::move(t));
    }
    return Status::Ok();
  };
  Block pending;
  core::Worker tokenizer;  // after `pending`: an early return joins it first
  for (size_t from = 0; from < leaves.size(); from += kBlock) {
    Block b;
    std::vector<std::string> docs;
    for (size_t k = from; k < std::min(leaves.size(), from + kBlock); ++k) {
      std::optional<std::string> doc;
      std::string keys;
      Status s = GatherDoc(leaves[k], &doc, &keys);
      if (!s.ok()) {
        if (pending.tokens.valid()) pending.tokens.wait();
        return s;
      }
      if (!doc.has_value()) continue;
      b.leaves.push_back(leaves[k]);
      b.keys.push_back(std::move(keys));
      docs.push_back(std::move(*doc));
    }
    b.tokens = tokenizer.Run([docs = std::move(docs)] {
      std::vector<text::Tokens> out;
      out.reserve(docs.size());
      for (const std::string& d : docs) out.push_back(text::Tokenize(d));
      std::unordered_set<std::string> seen;
      std::vector<std::string> terms;
      for (const text::Tokens& t : out) {
        AddTerms('0', t.exact, &seen, &terms);
        AddTerms('2', t.skel, &seen, &terms);
      }
      std::sort(terms.begin(), terms.end());  // inserted in key order: fewer pages touched
      return std::pair{std::move(out), std::move(terms)};
    });
    if (pending.tokens.valid()) {
      Status s = write(pending);
      if (!s.ok()) {
        b.tokens.wait();
        return s;
      }
    }
    pending = std::move(b);
  }
  if (pending.tokens.valid()) ISNAD_RETURN_IF_ERROR(write(pending));
  // Terms that left a rewritten row and are in no row now leave search_terms.
  std::vector<std::string> gone(gone_.begin(), gone_.end());
  std::sort(gone.begin(), gone.end());
  gone_.clear();
  for (const std::string& t : gone) {
    std::string phrase = t[0] == '0' ? "exact:\"" : "skel:\"";
    for (char c : std::string_view(t).substr(1)) {
      if (c == '"') phrase += '"';
      phrase += c;
    }
    phrase += '"';
    Stmt& any = Q("SELECT rowid FROM search WHERE search MATCH ?1 LIMIT 1");
    any.Text(1, phrase);
    ISNAD_ASSIGN_OR_RETURN(bool used, any.Step("checking a search term"));
    any.Reset();
    if (used) continue;
    Stmt& del = Q("DELETE FROM search_terms WHERE col = ?1 AND term = ?2");
    del.Int(1, t[0] - '0');
    del.TextRef(2, std::string_view(t).substr(1));
    ISNAD_RETURN_IF_ERROR(del.Run("removing a search term"));
    terms_.erase(t);
  }
  dirty_.clear();
  fresh_.clear();
  return Status::Ok();
}

}  // namespace internal

using core::Json;
using core::Status;
using core::StatusOr;
using internal::Stmt;
using internal::Tx;

namespace {

std::string Id(EntityKind kind, int64_t leaf) {
  return EntityId(kind, static_cast<uint64_t>(leaf));
}

// Reads rows of (lang, text) into a LangMap.
Status ReadLangMap(sqlite3* db, int64_t owner, const char* field, LangMap* out) {
  ISNAD_ASSIGN_OR_RETURN(
      Stmt st, Stmt::Prepare(db, "SELECT lang, text FROM texts WHERE owner = ?1 AND field = ?2"));
  st.Int(1, owner);
  st.Text(2, field);
  while (true) {
    ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("reading texts"));
    if (!row) break;
    (*out)[st.ColText(0)] = st.ColText(1);
  }
  return Status::Ok();
}

// Runs `sql` with ?1 = key and calls `f` for each row.
Status ForRows(sqlite3* db, const char* sql, int64_t key, const std::function<void(Stmt&)>& f) {
  ISNAD_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db, sql));
  st.Int(1, key);
  while (true) {
    ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("reading the evidence graph"));
    if (!row) break;
    f(st);
  }
  return Status::Ok();
}

StatusOr<EntityRef> Existing(sqlite3* db, std::string_view id) {
  std::optional<EntityRef> ref = ParseEntityId(id);
  if (!ref.has_value()) {
    return core::InvalidArgument("\"" + std::string(id) +
                                 "\" is not an id; ids look like i42 (item), pl7 (place), inc3 "
                                 "(incident), ac9 (actor), case2 (case), ev20 (case event), rel12 "
                                 "(relation)");
  }
  ISNAD_ASSIGN_OR_RETURN(Stmt st,
                         Stmt::Prepare(db, "SELECT kind FROM entities WHERE leaf_index = ?1"));
  st.Int(1, static_cast<int64_t>(ref->leaf_index));
  ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("looking up " + std::string(id)));
  std::string kind = row ? st.ColText(0) : "";
  st.Reset();
  if (kind != EntityKindName(ref->kind)) {
    // What that entry did create, if anything: ev3 typed for case3, or for item i3.
    std::string other;
    for (EntityKind k : {EntityKind::kPlace, EntityKind::kIncident, EntityKind::kActor,
                         EntityKind::kRelation, EntityKind::kCase, EntityKind::kCaseEvent}) {
      if (kind == EntityKindName(k)) other = EntityId(k, ref->leaf_index);
    }
    if (other.empty() && ref->kind != EntityKind::kItem) {
      ISNAD_ASSIGN_OR_RETURN(Stmt item,
                             Stmt::Prepare(db, "SELECT 1 FROM items WHERE leaf_index = ?1"));
      item.Int(1, static_cast<int64_t>(ref->leaf_index));
      ISNAD_ASSIGN_OR_RETURN(bool is_item, item.Step("looking up " + std::string(id)));
      if (is_item) other = EntityId(EntityKind::kItem, ref->leaf_index);
    }
    std::string no = "no " + std::string(EntityKindName(ref->kind)) + " " + std::string(id);
    if (other.empty()) return core::NotFound(no);
    return core::NotFound(no + ": log entry " + std::to_string(ref->leaf_index) + " recorded " +
                          other + ", not " + EntityKindWithArticle(ref->kind));
  }
  return *ref;
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? std::string(sep) : "") + v[i];
  return out;
}

}  // namespace

std::string EntityRecord::Label() const {
  if (auto it = names.find("en"); it != names.end()) return it->second;
  if (auto it = names.find("ar"); it != names.end()) return it->second;
  if (!names.empty()) return names.begin()->second;
  return category.empty() ? id : category;
}

Status Catalog::Check(uint64_t first_index, const std::vector<std::string>& entries) {
  Tx tx(db_);  // never committed: rolled back on return
  ISNAD_RETURN_IF_ERROR(tx.Begin(/*write=*/true));
  return ApplyLocked(first_index, entries, /*checking=*/true);
}

StatusOr<ItemDetails> Catalog::Details(std::string_view item_id) const {
  Tx tx(db_);
  ISNAD_RETURN_IF_ERROR(tx.Begin(false));
  ISNAD_ASSIGN_OR_RETURN(EntityRef ref, Existing(db_, item_id));
  if (ref.kind != EntityKind::kItem)
    return core::InvalidArgument(std::string(item_id) + " is not an item");
  const auto leaf = static_cast<int64_t>(ref.leaf_index);
  ItemDetails d;
  ISNAD_RETURN_IF_ERROR(ReadLangMap(db_, leaf, "title", &d.titles));
  ISNAD_RETURN_IF_ERROR(ReadLangMap(db_, leaf, "description", &d.descriptions));
  ISNAD_RETURN_IF_ERROR(ForRows(
      db_,
      "SELECT event_date, place_leaf, lat, lon, status, original_leaf FROM item_facts WHERE "
      "item_leaf = ?1",
      leaf, [&d](Stmt& st) {
        d.event_date = st.ColText(0);
        if (!st.ColIsNull(1)) d.place = Id(EntityKind::kPlace, st.ColInt(1));
        d.lat = st.ColText(2);
        d.lon = st.ColText(3);
        d.status = st.ColText(4);
        if (!st.ColIsNull(5)) d.original = Id(EntityKind::kItem, st.ColInt(5));
      }));
  ISNAD_RETURN_IF_ERROR(ForRows(db_, "SELECT tag FROM tags WHERE item_leaf = ?1 ORDER BY tag", leaf,
                                [&d](Stmt& st) { d.tags.push_back(st.ColText(0)); }));
  ISNAD_RETURN_IF_ERROR(ForRows(
      db_,
      "SELECT leaf_index, status, reason, time, operator FROM reviews WHERE item_leaf = ?1 ORDER "
      "BY leaf_index",
      leaf, [&d](Stmt& st) {
        ReviewRecord r;
        r.leaf_index = static_cast<uint64_t>(st.ColInt(0));
        r.status = st.ColText(1);
        r.reason = st.ColText(2);
        r.time = st.ColText(3);
        r.operator_ = st.ColText(4);
        d.reviews.push_back(std::move(r));
      }));
  ISNAD_RETURN_IF_ERROR(
      ForRows(db_, "SELECT item_leaf FROM item_facts WHERE original_leaf = ?1 ORDER BY item_leaf",
              leaf, [&d](Stmt& st) { d.derived.push_back(Id(EntityKind::kItem, st.ColInt(0))); }));
  ISNAD_RETURN_IF_ERROR(ForRows(
      db_,
      "SELECT l.owner, l.role, e.case_leaf FROM links l LEFT JOIN case_events e ON e.leaf_index = "
      "l.owner WHERE l.item_leaf = ?1 ORDER BY l.owner",
      leaf, [&d](Stmt& st) {
        std::string role = st.ColText(1);
        if (role == "incident") {
          d.incidents.push_back(Id(EntityKind::kIncident, st.ColInt(0)));
        } else {
          std::string c = Id(EntityKind::kCase, role == "document" ? st.ColInt(2) : st.ColInt(0));
          if (std::find(d.cases.begin(), d.cases.end(), c) == d.cases.end()) d.cases.push_back(c);
        }
      }));
  ISNAD_RETURN_IF_ERROR(ForRows(
      db_,
      "SELECT w.owner, w.role, w.leaf_index, w.reason, w.time, e.case_leaf FROM withdrawals w "
      "LEFT JOIN event_withdrawals e ON e.event_leaf = w.owner WHERE w.item_leaf = ?1 ORDER BY "
      "w.leaf_index, w.owner",
      leaf, [&d](Stmt& st) {
        ItemDetails::TakenBack t;
        std::string role = st.ColText(1);
        const int64_t owner = st.ColInt(0);
        t.role = role;
        if (role == "incident") {
          t.from = Id(EntityKind::kIncident, owner);
        } else if (role == "document") {
          t.event = Id(EntityKind::kCaseEvent, owner);
          t.from = st.ColIsNull(5) ? "" : Id(EntityKind::kCase, st.ColInt(5));
        } else {
          t.from = Id(EntityKind::kCase, owner);
        }
        t.leaf_index = static_cast<uint64_t>(st.ColInt(2));
        t.reason = st.ColText(3);
        t.time = st.ColText(4);
        d.taken_back.push_back(std::move(t));
      }));
  ISNAD_RETURN_IF_ERROR(tx.Commit());
  return d;
}

namespace {

// Fills an EntityRecord of any non-item kind.
Status ReadEntity(sqlite3* db, EntityRef ref, EntityRecord* r) {
  const auto leaf = static_cast<int64_t>(ref.leaf_index);
  r->id = EntityId(ref.kind, ref.leaf_index);
  r->kind = ref.kind;
  r->leaf_index = ref.leaf_index;
  ISNAD_RETURN_IF_ERROR(
      ForRows(db, "SELECT time, operator FROM entities WHERE leaf_index = ?1", leaf, [r](Stmt& st) {
        r->time = st.ColText(0);
        r->operator_ = st.ColText(1);
      }));
  const char* name_field =
      ref.kind == EntityKind::kIncident || ref.kind == EntityKind::kCase ? "title" : "name";
  ISNAD_RETURN_IF_ERROR(ReadLangMap(db, leaf, name_field, &r->names));
  ISNAD_RETURN_IF_ERROR(ReadLangMap(db, leaf, "description", &r->descriptions));
  ISNAD_RETURN_IF_ERROR(ForRows(db, "SELECT name FROM variants WHERE owner = ?1 ORDER BY name",
                                leaf, [r](Stmt& st) { r->variants.push_back(st.ColText(0)); }));
  auto items_of = [&](const char* role, int64_t owner) {
    return ForRows(
        db,
        role[0] == 'i'   ? "SELECT item_leaf FROM links WHERE owner = ?1 AND role = 'incident' "
                           "ORDER BY leaf_index, item_leaf"
        : role[0] == 'e' ? "SELECT item_leaf FROM links WHERE owner = ?1 AND role = 'exhibit' "
                           "ORDER BY leaf_index, item_leaf"
                         : "SELECT item_leaf FROM links WHERE owner = ?1 AND role = 'document' "
                           "ORDER BY leaf_index, item_leaf",
        owner, [r](Stmt& st) { r->items.push_back(Id(EntityKind::kItem, st.ColInt(0))); });
  };
  auto withdrawn_from = [&](const char* role, int64_t owner) {
    return ForRows(db,
                   role[0] == 'i' ? "SELECT item_leaf, reason, time, leaf_index FROM withdrawals "
                                    "WHERE owner = ?1 AND role = 'incident' ORDER BY leaf_index, "
                                    "item_leaf"
                                  : "SELECT item_leaf, reason, time, leaf_index FROM withdrawals "
                                    "WHERE owner = ?1 AND role = 'exhibit' ORDER BY leaf_index, "
                                    "item_leaf",
                   owner, [r](Stmt& st) {
                     r->withdrawn.push_back({Id(EntityKind::kItem, st.ColInt(0)), st.ColText(1),
                                             st.ColText(2), static_cast<uint64_t>(st.ColInt(3))});
                   });
  };
  auto events_withdrawn = [&](const char* where, int64_t owner) {
    return ForRows(db,
                   where[0] == 'c'
                       ? "SELECT event_leaf, event, date, reason, time, leaf_index FROM "
                         "event_withdrawals WHERE case_leaf = ?1 ORDER BY leaf_index"
                       : "SELECT event_leaf, event, date, reason, time, leaf_index FROM "
                         "event_withdrawals WHERE event_leaf = ?1",
                   owner, [r](Stmt& st) {
                     r->events_withdrawn.push_back(
                         {Id(EntityKind::kCaseEvent, st.ColInt(0)), st.ColText(1), st.ColText(2),
                          st.ColText(3), st.ColText(4), static_cast<uint64_t>(st.ColInt(5))});
                   });
  };
  switch (ref.kind) {
    case EntityKind::kPlace:
      return ForRows(db, "SELECT lat, lon, within_leaf FROM places WHERE leaf_index = ?1", leaf,
                     [r](Stmt& st) {
                       r->lat = st.ColText(0);
                       r->lon = st.ColText(1);
                       if (!st.ColIsNull(2)) r->within = Id(EntityKind::kPlace, st.ColInt(2));
                     });
    case EntityKind::kIncident:
      ISNAD_RETURN_IF_ERROR(ForRows(
          db, "SELECT category, date FROM incidents WHERE leaf_index = ?1", leaf, [r](Stmt& st) {
            r->category = st.ColText(0);
            r->date = st.ColText(1);
          }));
      ISNAD_RETURN_IF_ERROR(ForRows(
          db, "SELECT place_leaf FROM incident_places WHERE incident_leaf = ?1 ORDER BY place_leaf",
          leaf, [r](Stmt& st) { r->places.push_back(Id(EntityKind::kPlace, st.ColInt(0))); }));
      ISNAD_RETURN_IF_ERROR(withdrawn_from("incident", leaf));
      return items_of("incident", leaf);
    case EntityKind::kActor:
      return ForRows(db, "SELECT actor_type FROM actors WHERE leaf_index = ?1", leaf,
                     [r](Stmt& st) { r->category = st.ColText(0); });
    case EntityKind::kCase:
      ISNAD_RETURN_IF_ERROR(ForRows(db, "SELECT jurisdiction FROM cases WHERE leaf_index = ?1",
                                    leaf, [r](Stmt& st) { r->jurisdiction = st.ColText(0); }));
      ISNAD_RETURN_IF_ERROR(ForRows(db,
                                    "SELECT actor_leaf, role FROM case_parties WHERE case_leaf = "
                                    "?1 ORDER BY actor_leaf, role",
                                    leaf, [r](Stmt& st) {
                                      r->parties.emplace_back(Id(EntityKind::kActor, st.ColInt(0)),
                                                              st.ColText(1));
                                    }));
      ISNAD_RETURN_IF_ERROR(withdrawn_from("exhibit", leaf));
      ISNAD_RETURN_IF_ERROR(events_withdrawn("case", leaf));
      return items_of("exhibit", leaf);
    case EntityKind::kCaseEvent:
      // A withdrawn event is read from its withdrawal, which keeps what it was.
      ISNAD_RETURN_IF_ERROR(ForRows(db,
                                    "SELECT event, date, case_leaf FROM case_events WHERE "
                                    "leaf_index = ?1 UNION ALL SELECT event, date, case_leaf FROM "
                                    "event_withdrawals WHERE event_leaf = ?1",
                                    leaf, [r](Stmt& st) {
                                      r->category = st.ColText(0);
                                      r->date = st.ColText(1);
                                      r->owner = Id(EntityKind::kCase, st.ColInt(2));
                                    }));
      ISNAD_RETURN_IF_ERROR(events_withdrawn("event", leaf));
      return items_of("document", leaf);
    default:
      return Status::Ok();
  }
}

}  // namespace

StatusOr<EntityRecord> Catalog::Entity(std::string_view id) const {
  Tx tx(db_);
  ISNAD_RETURN_IF_ERROR(tx.Begin(false));
  ISNAD_ASSIGN_OR_RETURN(EntityRef ref, Existing(db_, id));
  if (ref.kind == EntityKind::kItem || ref.kind == EntityKind::kRelation) {
    return core::InvalidArgument(
        std::string(id) + " is " + std::string(EntityKindName(ref.kind)) +
        (ref.kind == EntityKind::kItem ? "; use `isnad show`" : "; use Relation()"));
  }
  EntityRecord r;
  ISNAD_RETURN_IF_ERROR(ReadEntity(db_, ref, &r));
  ISNAD_RETURN_IF_ERROR(tx.Commit());
  return r;
}

StatusOr<std::vector<EntityRecord>> Catalog::Entities(EntityKind kind) const {
  Tx tx(db_);
  ISNAD_RETURN_IF_ERROR(tx.Begin(false));
  std::vector<int64_t> leaves;
  ISNAD_ASSIGN_OR_RETURN(
      Stmt st,
      Stmt::Prepare(db_, kind == EntityKind::kCaseEvent
                             // Standing events only: a withdrawn one is its case's history.
                             ? "SELECT leaf_index FROM case_events WHERE ?1 NOT NULL ORDER BY "
                               "leaf_index"
                             : "SELECT leaf_index FROM entities WHERE kind = ?1 ORDER BY "
                               "leaf_index"));
  st.Text(1, EntityKindName(kind));
  while (true) {
    ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("listing entities"));
    if (!row) break;
    leaves.push_back(st.ColInt(0));
  }
  std::vector<EntityRecord> out;
  for (int64_t leaf : leaves) {
    EntityRecord r;
    ISNAD_RETURN_IF_ERROR(ReadEntity(db_, EntityRef{kind, static_cast<uint64_t>(leaf)}, &r));
    out.push_back(std::move(r));
  }
  ISNAD_RETURN_IF_ERROR(tx.Commit());
  return out;
}

StatusOr<std::vector<std::string>> Catalog::EntitiesNamed(EntityKind kind,
                                                          std::string_view name) const {
  std::vector<std::string> ids;
  std::string folded = text::Tokenize(name).exact;
  if (folded.empty()) return ids;
  ISNAD_ASSIGN_OR_RETURN(Stmt st,
                         Stmt::Prepare(db_,
                                       "SELECT DISTINCT n.owner FROM names n JOIN entities "
                                       "e ON e.leaf_index = n.owner WHERE n.folded = ?1 "
                                       "AND e.kind = ?2 ORDER BY n.owner"));
  st.Text(1, folded);
  st.Text(2, std::string(EntityKindName(kind)));
  while (true) {
    ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("looking up a name"));
    if (!row) break;
    ids.push_back(Id(kind, st.ColInt(0)));
  }
  return ids;
}

StatusOr<std::optional<std::pair<std::string, std::string>>> Catalog::TagHolding(
    std::string_view text) const {
  ISNAD_ASSIGN_OR_RETURN(
      Stmt st, Stmt::Prepare(db_,
                             "SELECT item_leaf, tag FROM tags WHERE instr(tag, ?1) > 0 ORDER BY "
                             "item_leaf, tag LIMIT 1"));
  st.Text(1, std::string(text));
  ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("looking through the tags"));
  if (!row) return std::optional<std::pair<std::string, std::string>>();
  return std::optional(std::pair(Id(EntityKind::kItem, st.ColInt(0)), st.ColText(1)));
}

StatusOr<std::string> Catalog::ResolveRef(EntityKind kind, std::string_view id_or_name) const {
  const std::string kind_name(EntityKindName(kind));
  if (std::optional<EntityRef> ref = ParseEntityId(id_or_name); ref.has_value()) {
    if (ref->kind != kind) {
      return core::InvalidArgument(std::string(id_or_name) + " is " +
                                   EntityKindWithArticle(ref->kind) + " id; " +
                                   EntityKindWithArticle(kind) + " is needed here");
    }
    ISNAD_ASSIGN_OR_RETURN(EntityRef found, Existing(db_, id_or_name));
    return EntityId(found.kind, found.leaf_index);
  }
  if (text::Tokenize(id_or_name).exact.empty()) {
    return core::InvalidArgument("\"" + std::string(id_or_name) +
                                 "\" is not a name: give an id or a name with letters or digits");
  }
  ISNAD_ASSIGN_OR_RETURN(std::vector<std::string> ids, EntitiesNamed(kind, id_or_name));
  if (ids.empty()) {
    // A name is matched as written (folded); search also matches spelling
    // variants and the other script ("Moadamiyah" for Moadamiyat al-Sham).
    // What it finds is offered, never taken: the name may mean another.
    std::string like;
    if (kind != EntityKind::kCaseEvent && kind != EntityKind::kRelation &&
        kind != EntityKind::kItem) {
      SearchRequest req;
      std::string phrase;
      for (char c : id_or_name) phrase += c == '"' ? ' ' : c;
      req.query = "\"" + phrase + "\"";
      req.kind = kind_name;
      req.limit = 3;
      if (auto found = Search(req); found.ok()) {
        for (const SearchHit& h : found->hits) {
          like += (like.empty() ? "" : ", ") + h.id + " " + h.name;
        }
      }
    }
    return core::NotFound("no " + kind_name + " named \"" + std::string(id_or_name) + "\"" +
                          (like.empty() ? "" : "; search finds " + like + " (give the id)") +
                          "; `isnad " + kind_name + " ls` lists them, or give an id");
  }
  if (ids.size() > 1) {
    return core::InvalidArgument("\"" + std::string(id_or_name) + "\" names several " + kind_name +
                                 "s (" + Join(ids, ", ") + "); give the id");
  }
  return ids.front();
}

std::string TagAsCompared(std::string_view tag) { return TagFold(tag); }

namespace {

StatusOr<std::vector<RelationRecord>> ReadRelations(sqlite3* db, const char* where, int64_t key) {
  std::string sql =
      "SELECT r.leaf_index, r.subject_leaf, r.predicate, r.object_leaf, o.kind, r.date_from, "
      "r.date_to, e.time, e.operator FROM relations r JOIN entities e ON e.leaf_index = "
      "r.leaf_index JOIN entities o ON o.leaf_index = r.object_leaf WHERE " +
      std::string(where) + " ORDER BY coalesce(r.from_lo, ''), r.leaf_index";
  ISNAD_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db, sql));
  st.Int(1, key);
  std::vector<RelationRecord> out;
  while (true) {
    ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("reading relations"));
    if (!row) break;
    RelationRecord r;
    r.id = Id(EntityKind::kRelation, st.ColInt(0));
    r.subject = Id(EntityKind::kActor, st.ColInt(1));
    r.predicate = st.ColText(2);
    r.object = Id(KindFromName(st.ColText(4)).value_or(EntityKind::kActor), st.ColInt(3));
    r.from = st.ColText(5);
    r.to = st.ColText(6);
    r.time = st.ColText(7);
    r.operator_ = st.ColText(8);
    out.push_back(std::move(r));
  }
  for (RelationRecord& r : out) {
    ISNAD_RETURN_IF_ERROR(ForRows(
        db,
        "SELECT item_leaf, confidence FROM relation_sources WHERE relation_leaf = ?1 ORDER BY "
        "item_leaf",
        static_cast<int64_t>(ParseEntityId(r.id)->leaf_index), [&r](Stmt& st) {
          r.sources.push_back({Id(EntityKind::kItem, st.ColInt(0)), st.ColText(1)});
        }));
  }
  return out;
}

}  // namespace

namespace {

// The distinct values of one text column, in order.
StatusOr<std::vector<std::string>> Distinct(sqlite3* db, const char* sql, const char* what) {
  Tx tx(db);
  ISNAD_RETURN_IF_ERROR(tx.Begin(/*write=*/false));
  ISNAD_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db, sql));
  std::vector<std::string> out;
  while (true) {
    ISNAD_ASSIGN_OR_RETURN(bool row, st.Step(what));
    if (!row) break;
    out.push_back(st.ColText(0));
  }
  return out;
}

}  // namespace

StatusOr<std::vector<std::string>> Catalog::RelationTypesInUse() const {
  return Distinct(db_, "SELECT DISTINCT predicate FROM relations ORDER BY 1",
                  "listing relation types");
}

StatusOr<std::vector<std::string>> Catalog::CaseEventTypesInUse() const {
  return Distinct(db_, "SELECT DISTINCT event FROM case_events ORDER BY 1",
                  "listing case event types");
}

StatusOr<std::vector<RelationRecord>> Catalog::Relations(std::string_view id) const {
  Tx tx(db_);
  ISNAD_RETURN_IF_ERROR(tx.Begin(false));
  if (id.empty()) {
    ISNAD_ASSIGN_OR_RETURN(auto all, ReadRelations(db_, "?1 = 0", 0));
    ISNAD_RETURN_IF_ERROR(tx.Commit());
    return all;
  }
  ISNAD_ASSIGN_OR_RETURN(EntityRef ref, Existing(db_, id));
  ISNAD_ASSIGN_OR_RETURN(auto out, ReadRelations(db_, "r.subject_leaf = ?1 OR r.object_leaf = ?1",
                                                 static_cast<int64_t>(ref.leaf_index)));
  ISNAD_RETURN_IF_ERROR(tx.Commit());
  return out;
}

StatusOr<RelationRecord> Catalog::Relation(std::string_view relation_id) const {
  Tx tx(db_);
  ISNAD_RETURN_IF_ERROR(tx.Begin(false));
  ISNAD_ASSIGN_OR_RETURN(EntityRef ref, Existing(db_, relation_id));
  if (ref.kind != EntityKind::kRelation) {
    return core::InvalidArgument(std::string(relation_id) + " is not a relation");
  }
  const auto leaf = static_cast<int64_t>(ref.leaf_index);
  ISNAD_ASSIGN_OR_RETURN(auto out, ReadRelations(db_, "r.leaf_index = ?1", leaf));
  std::string withdrawn;
  ISNAD_RETURN_IF_ERROR(ForRows(
      db_, "SELECT leaf_index, time, reason FROM relation_withdrawals WHERE relation_leaf = ?1",
      leaf, [&](Stmt& st) {
        withdrawn = " by log entry " + std::to_string(st.ColInt(0)) + " (" + st.ColText(1) +
                    "): " + st.ColText(2);
      }));
  ISNAD_RETURN_IF_ERROR(tx.Commit());
  if (out.empty()) {
    return core::FailedPrecondition(std::string(relation_id) + " was withdrawn" + withdrawn +
                                    "; `isnad log --from " + std::to_string(leaf) +
                                    "` shows the claim, its sources and the withdrawal");
  }
  return out.front();
}

StatusOr<EntityRecord::Withdrawal> Catalog::RelationWithdrawal(std::string_view relation_id) const {
  Tx tx(db_);
  ISNAD_RETURN_IF_ERROR(tx.Begin(false));
  ISNAD_ASSIGN_OR_RETURN(EntityRef ref, Existing(db_, relation_id));
  std::optional<EntityRecord::Withdrawal> w;
  ISNAD_RETURN_IF_ERROR(ForRows(
      db_, "SELECT leaf_index, time, reason FROM relation_withdrawals WHERE relation_leaf = ?1",
      static_cast<int64_t>(ref.leaf_index), [&](Stmt& st) {
        w = EntityRecord::Withdrawal{std::string(relation_id), st.ColText(2), st.ColText(1),
                                     static_cast<uint64_t>(st.ColInt(0))};
      }));
  ISNAD_RETURN_IF_ERROR(tx.Commit());
  if (!w) return core::NotFound(std::string(relation_id) + " stands: it was not withdrawn");
  return *w;
}

StatusOr<std::vector<WithdrawnRelation>> Catalog::WithdrawnRelations(std::string_view id) const {
  Tx tx(db_);
  ISNAD_RETURN_IF_ERROR(tx.Begin(false));
  ISNAD_ASSIGN_OR_RETURN(EntityRef ref, Existing(db_, id));
  std::vector<WithdrawnRelation> out;
  ISNAD_RETURN_IF_ERROR(ForRows(
      db_,
      "SELECT w.relation_leaf, w.subject_leaf, w.predicate, w.object_leaf, w.leaf_index, "
      "w.reason, w.time, o.kind FROM relation_withdrawals w JOIN entities o ON o.leaf_index = "
      "w.object_leaf WHERE w.subject_leaf = ?1 OR w.object_leaf = ?1 ORDER BY w.leaf_index, "
      "w.relation_leaf",
      static_cast<int64_t>(ref.leaf_index), [&](Stmt& st) {
        WithdrawnRelation w;
        w.id = Id(EntityKind::kRelation, st.ColInt(0));
        w.subject = Id(EntityKind::kActor, st.ColInt(1));
        w.predicate = st.ColText(2);
        const int64_t object = st.ColInt(3);
        w.object = Id(KindFromName(st.ColText(7)).value_or(EntityKind::kActor), object);
        w.leaf_index = static_cast<uint64_t>(st.ColInt(4));
        w.reason = st.ColText(5);
        w.time = st.ColText(6);
        out.push_back(std::move(w));
      }));
  ISNAD_RETURN_IF_ERROR(tx.Commit());
  return out;
}

namespace {

// A person-readable name for any entity: its English name or title, else
// Arabic, else any; an item without a title shows its file name.
StatusOr<std::string> LabelOf(sqlite3* db, int64_t leaf) {
  std::string best, best_lang;
  ISNAD_RETURN_IF_ERROR(ForRows(
      db,
      "SELECT lang, text FROM texts WHERE owner = ?1 AND field IN ('name', 'title') ORDER BY lang",
      leaf, [&](Stmt& st) {
        std::string lang = st.ColText(0);
        auto rank = [](const std::string& l) { return l == "en" ? 0 : l == "ar" ? 1 : 2; };
        if (best.empty() || rank(lang) < rank(best_lang)) {
          best = st.ColText(1);
          best_lang = lang;
        }
      }));
  if (!best.empty()) return best;
  ISNAD_RETURN_IF_ERROR(ForRows(db, "SELECT name FROM items WHERE leaf_index = ?1", leaf,
                                [&](Stmt& st) { best = st.ColText(0); }));
  if (!best.empty()) return best;
  ISNAD_RETURN_IF_ERROR(ForRows(db, "SELECT event FROM case_events WHERE leaf_index = ?1", leaf,
                                [&](Stmt& st) { best = st.ColText(0); }));
  return best;
}

// The days a person's date allows: its range ("2013-06": June), and for an
// approximate one ("2013-06~", circa) its whole year or years. "" "" for none.
std::pair<std::string, std::string> DaysAllowed(const std::string& date) {
  std::optional<DateRange> r = date.empty() ? std::nullopt : ParseEventDate(date);
  if (!r.has_value()) return {"", ""};
  if (!r->approximate) return {r->lo, r->hi};
  return {r->lo.substr(0, 4) + "-01-01", r->hi.substr(0, 4) + "-12-31"};
}

struct Edge {
  int64_t relation, from, to;  // child -> parent in a hierarchy
  std::string lo, hi;          // dates, "" when open
  std::string predicate;
  // The days its own `from` and `to` allow (DaysAllowed): where one claim's end
  // and another's start may meet without contradicting each other.
  std::pair<std::string, std::string> starts, ends;
};

// Two claims of one kind about one actor overlap only where the end of one and
// the start of the other, each as precise as it was given, may both fall (a
// handover "until 2013-06" and "from 2013-06", or circa dates): no
// contradiction. `lo`..`hi` is their overlap. A handover goes from somewhere
// to somewhere: the claim that ends must reach back before the overlap, or the
// one that starts on past it. Two claims each given as the same one month or
// year ("2016-05" to "2016-05": during May) lie wholly inside it, and clash.
bool OnlyAHandover(const Edge& a, const Edge& b, const std::string& lo, const std::string& hi) {
  auto within = [&lo, &hi](const std::pair<std::string, std::string>& days) {
    return !lo.empty() && !hi.empty() && !days.first.empty() && days.first <= lo &&
           hi <= days.second;
  };
  auto hands_over = [&lo, &hi](const Edge& ending, const Edge& starting) {
    return ending.lo.empty() || ending.lo < lo || starting.hi.empty() || starting.hi > hi;
  };
  return (within(a.ends) && within(b.starts) && hands_over(a, b)) ||
         (within(b.ends) && within(a.starts) && hands_over(b, a));
}

bool Overlap(const std::string& lo1, const std::string& hi1, const std::string& lo2,
             const std::string& hi2) {
  // Open ends reach forever; two periods overlap unless one ends before the other starts.
  if (!hi1.empty() && !lo2.empty() && hi1 < lo2) return false;
  if (!hi2.empty() && !lo1.empty() && hi2 < lo1) return false;
  return true;
}

std::string PeriodText(const std::string& lo, const std::string& hi) {
  return (lo.empty() ? "?" : lo) + ".." + (hi.empty() ? "?" : hi);
}

}  // namespace

StatusOr<std::vector<GraphWarning>> Catalog::Warnings(std::string_view id) const {
  Tx tx(db_);
  ISNAD_RETURN_IF_ERROR(tx.Begin(false));
  std::set<int64_t> scope;      // actors (and incidents) the warnings must touch; empty = all
  int64_t scope_relation = -1;  // when `id` is a relation: its leaf
  if (!id.empty()) {
    ISNAD_ASSIGN_OR_RETURN(EntityRef ref, Existing(db_, id));
    if (ref.kind == EntityKind::kRelation) {
      scope_relation = static_cast<int64_t>(ref.leaf_index);
      ISNAD_RETURN_IF_ERROR(
          ForRows(db_, "SELECT subject_leaf, object_leaf FROM relations WHERE leaf_index = ?1",
                  static_cast<int64_t>(ref.leaf_index), [&](Stmt& st) {
                    scope.insert(st.ColInt(0));
                    scope.insert(st.ColInt(1));
                  }));
      // A withdrawn claim touches nothing (an empty scope would mean the whole graph).
      if (scope.empty()) return std::vector<GraphWarning>{};
    } else {
      scope.insert(static_cast<int64_t>(ref.leaf_index));
    }
  }
  auto in_scope = [&scope](int64_t a, int64_t b) {
    return scope.empty() || scope.contains(a) || scope.contains(b);
  };
  // Asked about one relation: only warnings that claim is part of (another claim
  // about one of its actors is that actor's warning, not this relation's).
  auto concerns = [&](int64_t relation, int64_t a, int64_t b) {
    return scope_relation >= 0 ? relation == scope_relation : in_scope(a, b);
  };
  // Hierarchy edges, child -> parent.
  std::vector<Edge> edges;
  std::vector<GraphWarning> out;
  ISNAD_RETURN_IF_ERROR(ForRows(
      db_,
      "SELECT leaf_index, subject_leaf, predicate, object_leaf, coalesce(from_lo, ''), "
      "coalesce(to_hi, ''), coalesce(date_from, ''), coalesce(date_to, '') FROM relations WHERE "
      "?1 = ?1 AND predicate IN ('subordinate_of', 'member_of', 'commands') ORDER BY leaf_index",
      0, [&](Stmt& st) {
        Edge e{st.ColInt(0),
               st.ColInt(1),
               st.ColInt(3),
               st.ColText(4),
               st.ColText(5),
               st.ColText(2),
               DaysAllowed(st.ColText(6)),
               DaysAllowed(st.ColText(7))};
        if (st.ColText(2) == "commands") std::swap(e.from, e.to);
        edges.push_back(e);
      }));
  auto actor = [](int64_t leaf) { return Id(EntityKind::kActor, leaf); };
  auto rel = [](int64_t leaf) { return Id(EntityKind::kRelation, leaf); };
  std::map<int64_t, std::vector<size_t>> by_child;  // actor -> its edges, in order
  for (size_t i = 0; i < edges.size(); ++i) by_child[edges[i].from].push_back(i);
  // Cycles, of any length, in time linear in the hierarchy: a relation lies on a
  // cycle exactly when both its ends are in one strongly connected component
  // (Tarjan's algorithm, iterative so that a long chain cannot exhaust the
  // stack). One warning per component, naming one cycle through it.
  std::vector<int64_t> nodes;
  for (const Edge& e : edges) nodes.insert(nodes.end(), {e.from, e.to});
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  auto node_of = [&nodes](int64_t actor_leaf) {
    return static_cast<size_t>(std::lower_bound(nodes.begin(), nodes.end(), actor_leaf) -
                               nodes.begin());
  };
  std::vector<size_t> child(edges.size()), parent(edges.size());
  std::vector<std::vector<size_t>> up(nodes.size());  // node -> its edges to parents
  for (size_t i = 0; i < edges.size(); ++i) {
    child[i] = node_of(edges[i].from);
    parent[i] = node_of(edges[i].to);
    up[child[i]].push_back(i);
  }
  constexpr size_t kUnvisited = static_cast<size_t>(-1);
  std::vector<size_t> order(nodes.size(), kUnvisited), low(nodes.size()), component(nodes.size());
  std::vector<bool> on_stack(nodes.size(), false);
  std::vector<size_t> stack;
  size_t visited = 0, components = 0;
  for (size_t root = 0; root < nodes.size(); ++root) {
    if (order[root] != kUnvisited) continue;
    std::vector<std::pair<size_t, size_t>> calls;  // node, next edge of up[node] to follow
    auto enter = [&](size_t v) {
      order[v] = low[v] = visited++;
      stack.push_back(v);
      on_stack[v] = true;
      calls.push_back({v, 0});
    };
    enter(root);
    while (!calls.empty()) {
      const size_t v = calls.back().first;
      if (calls.back().second < up[v].size()) {
        const size_t w = parent[up[v][calls.back().second++]];
        if (order[w] == kUnvisited) {
          enter(w);
        } else if (on_stack[w]) {
          low[v] = std::min(low[v], order[w]);
        }
        continue;
      }
      if (low[v] == order[v]) {
        size_t w;
        do {
          w = stack.back();
          stack.pop_back();
          on_stack[w] = false;
          component[w] = components;
        } while (w != v);
        ++components;
      }
      calls.pop_back();
      if (!calls.empty()) low[calls.back().first] = std::min(low[calls.back().first], low[v]);
    }
  }
  // Each component's relations on cycles, in log order; the cycle named starts
  // with the relation asked about, else the first that touches the scope.
  std::vector<std::vector<size_t>> cyclic(components);
  for (size_t i = 0; i < edges.size(); ++i) {
    if (component[child[i]] == component[parent[i]]) cyclic[component[child[i]]].push_back(i);
  }
  std::vector<size_t> via(nodes.size(), kUnvisited);  // the edge that reached a node
  // A claim holds at `moment` ("" is before every date): open ends reach forever.
  auto holds_at = [&edges](size_t e, const std::string& moment) {
    const Edge& x = edges[e];
    return (x.lo.empty() || (!moment.empty() && x.lo <= moment)) &&
           (x.hi.empty() || moment.empty() || moment <= x.hi);
  };
  // The shortest cycle through edge `first` of claims that all hold at
  // `*moment` (any claim, dates aside, for none): breadth-first over parents
  // inside the component, from the start's parent back to its child. Its
  // edges in order, or none. `budget` counts the edges looked at, so that a
  // large knot stays cheap.
  auto shortest_cycle = [&](size_t first, const std::string* moment, size_t* budget) {
    const size_t c = component[child[first]];
    std::vector<size_t> frontier = {parent[first]}, reached = frontier;
    via[parent[first]] = first;
    while (via[child[first]] == kUnvisited && !frontier.empty() && *budget > 0) {
      std::vector<size_t> next;
      for (size_t v : frontier) {
        if (*budget == 0) break;
        for (size_t e : up[v]) {
          if (*budget == 0) break;  // looked at enough: no cycle named
          --*budget;
          const size_t w = parent[e];
          if (component[w] != c || via[w] != kUnvisited) continue;
          if (moment != nullptr && !holds_at(e, *moment)) continue;
          via[w] = e;
          reached.push_back(w);
          next.push_back(w);
        }
      }
      frontier = std::move(next);
    }
    std::vector<size_t> path;
    if (via[child[first]] != kUnvisited) {
      for (size_t node = child[first];;) {
        const size_t e = via[node];
        path.push_back(e);
        if (e == first) break;
        node = child[e];
      }
      std::reverse(path.begin(), path.end());
    }
    for (size_t v : reached) via[v] = kUnvisited;
    return path;
  };
  for (const std::vector<size_t>& knot : cyclic) {
    if (knot.empty()) continue;
    // A cycle is a contradiction only if its claims hold at one time: some
    // moment when all of them do, which is then the latest start among them
    // (or before every date). A cycle only through claims of periods that
    // never meet (a unit under another until 2012, that one under it from
    // 2014) is a reorganisation.
    std::vector<std::string> moments = {""};
    for (size_t i : knot) {
      if (!edges[i].lo.empty()) moments.push_back(edges[i].lo);
    }
    std::sort(moments.begin(), moments.end());
    moments.erase(std::unique(moments.begin(), moments.end()), moments.end());
    size_t budget = 4'000'000;
    std::vector<size_t> path;
    for (size_t m = 0; m < moments.size() && path.empty() && budget > 0; ++m) {
      // Through the relation asked about, or the first that touches the actor (all: any).
      std::vector<size_t> starts;
      for (size_t i : knot) {
        if (!holds_at(i, moments[m])) continue;
        if (concerns(edges[i].relation, edges[i].from, edges[i].to)) starts.push_back(i);
      }
      for (size_t k = 0; k < starts.size() && path.empty() && budget > 0; ++k) {
        path = shortest_cycle(starts[k], &moments[m], &budget);
      }
    }
    if (path.empty() && budget == 0) {
      // Too large to settle in time: say so as a cycle, dates aside, rather than keep quiet.
      for (size_t i : knot) {
        if (concerns(edges[i].relation, edges[i].from, edges[i].to)) {
          size_t unlimited = static_cast<size_t>(-1);
          path = shortest_cycle(i, nullptr, &unlimited);
          break;
        }
      }
    }
    if (path.empty()) continue;
    const Edge& start = edges[path.front()];
    std::vector<std::string> names;
    for (size_t e : path) names.push_back(rel(edges[e].relation));
    std::string more;
    if (knot.size() > path.size()) {
      more = " (" + std::to_string(knot.size() - path.size()) +
             " more relation(s) among these actors are on cycles too)";
    }
    out.push_back(
        {rel(start.relation), "the hierarchy has a cycle: " + actor(start.from) +
                                  " is above itself through " + Join(names, ", ") + more +
                                  "; one of these claims is probably wrong, review their sources"});
  }
  // One superior at a time: a unit subordinate to two others, or commanded by
  // two, over the same period. Only edges from the same actor with the same
  // predicate clash (a unit has a superior unit and a commander at once; a
  // person is a member of several bodies): each edge is paired with the later
  // edges of its actor (not with every edge of the archive).
  for (size_t i = 0; i < edges.size(); ++i) {
    const std::vector<size_t>& same_child = by_child[edges[i].from];
    for (auto k = std::upper_bound(same_child.begin(), same_child.end(), i); k != same_child.end();
         ++k) {
      const Edge& a = edges[i];
      const Edge& b = edges[*k];
      if (a.to == b.to ||
          (!concerns(a.relation, a.from, a.to) && !concerns(b.relation, b.from, b.to))) {
        continue;
      }
      if (a.predicate != b.predicate || a.predicate == "member_of") continue;
      if ((a.lo.empty() && a.hi.empty()) || (b.lo.empty() && b.hi.empty())) continue;
      if (!Overlap(a.lo, a.hi, b.lo, b.hi)) continue;
      const std::string& lo = a.lo.empty() || (!b.lo.empty() && b.lo > a.lo) ? b.lo : a.lo;
      const std::string& hi = a.hi.empty() || (!b.hi.empty() && b.hi < a.hi) ? b.hi : a.hi;
      if (OnlyAHandover(a, b, lo, hi)) continue;
      out.push_back({rel(b.relation), "contradicting dates: " + rel(a.relation) + " puts " +
                                          actor(a.from) + " under " + actor(a.to) + " " +
                                          PeriodText(a.lo, a.hi) + " but " + rel(b.relation) +
                                          " puts it under " + actor(b.to) + " " +
                                          PeriodText(b.lo, b.hi)});
    }
  }
  // present_at an incident outside the relation's own period.
  ISNAD_RETURN_IF_ERROR(ForRows(
      db_,
      "SELECT r.leaf_index, r.subject_leaf, r.object_leaf, coalesce(r.date_from, ''), "
      "coalesce(r.date_to, ''), i.date_lo, i.date_hi FROM relations r JOIN incidents i ON "
      "i.leaf_index = r.object_leaf WHERE ?1 = ?1 AND i.date_lo IS NOT NULL ORDER BY r.leaf_index",
      0, [&](Stmt& st) {
        int64_t subject = st.ColInt(1), object = st.ColInt(2);
        if (!concerns(st.ColInt(0), subject, object)) return;
        // Circa dates ("from 2013-09~") reach their whole year: present at an
        // incident of 21 August 2013 is then no contradiction.
        std::string lo = DaysAllowed(st.ColText(3)).first, hi = DaysAllowed(st.ColText(4)).second;
        if (lo.empty() && hi.empty()) return;
        if (Overlap(lo, hi, st.ColText(5), st.ColText(6))) return;
        out.push_back({rel(st.ColInt(0)), "contradicting dates: " + rel(st.ColInt(0)) +
                                              " is dated " + PeriodText(lo, hi) + " but incident " +
                                              Id(EntityKind::kIncident, object) + " happened " +
                                              PeriodText(st.ColText(5), st.ColText(6))});
      }));
  ISNAD_RETURN_IF_ERROR(tx.Commit());
  return out;
}

StatusOr<std::vector<TimelineEvent>> Catalog::Timeline(std::string_view id) const {
  Tx tx(db_);
  ISNAD_RETURN_IF_ERROR(tx.Begin(false));
  ISNAD_ASSIGN_OR_RETURN(EntityRef ref, Existing(db_, id));
  const auto leaf = static_cast<int64_t>(ref.leaf_index);
  std::vector<TimelineEvent> out;
  Status failed = Status::Ok();
  auto label = [&](int64_t l) {
    auto s = LabelOf(db_, l);
    if (!s.ok()) {
      failed = s.status();
      return std::string();
    }
    return *s;
  };
  // Items with their event date, else their capture time.
  auto add_items = [&](const char* sql, int64_t key, const std::string& why) -> Status {
    return ForRows(db_, sql, key, [&](Stmt& st) {
      TimelineEvent ev;
      int64_t item = st.ColInt(0);
      ev.id = Id(EntityKind::kItem, item);
      ev.date = st.ColText(1);
      ev.sort_lo = st.ColText(2);
      if (ev.date.empty()) {
        ev.date = st.ColText(3).substr(0, 10);
        ev.sort_lo = ev.date;
        // Not when it happened: the day the archive received it (`describe --date` says when).
        ev.what = why + " " + label(item) + " (no event date: the day it entered the archive)";
      } else {
        ev.what = why + " " + label(item);
      }
      ev.sources = {ev.id};
      ev.status = st.ColText(4);
      out.push_back(std::move(ev));
    });
  };
  auto add_relations = [&](const char* where) -> Status {
    ISNAD_ASSIGN_OR_RETURN(auto rels, ReadRelations(db_, where, leaf));
    for (const RelationRecord& r : rels) {
      TimelineEvent ev;
      ev.id = r.id;
      // EDTF: an open end is "..": "2011/..", "../2014"; undated claims sort last.
      // An end given as an interval contributes its own outer end ("A/B" from,
      // "C/D" to: "A/D"), so the period stays one interval.
      auto start = [](const std::string& d) { return d.substr(0, d.find('/')); };
      auto end = [](const std::string& d) {
        size_t slash = d.find('/');
        return slash == std::string::npos ? d : d.substr(slash + 1);
      };
      if (!r.from.empty() && r.to == r.from) {
        ev.date = r.from;
      } else if (!r.from.empty() || !r.to.empty()) {
        ev.date = (r.from.empty() ? ".." : start(r.from)) + "/" + (r.to.empty() ? ".." : end(r.to));
      }
      auto lo = ParseEventDate(r.from.empty() ? r.to : r.from);
      ev.sort_lo = lo ? lo->lo : "9999";
      ev.what = label(static_cast<int64_t>(ParseEntityId(r.subject)->leaf_index)) + " " +
                r.predicate + " " +
                label(static_cast<int64_t>(ParseEntityId(r.object)->leaf_index));
      for (const RelationSource& s : r.sources) {
        ev.sources.push_back(s.item);
        ev.confidence.push_back(s.confidence);
      }
      out.push_back(std::move(ev));
    }
    return Status::Ok();
  };
  constexpr const char* kItemCols =
      "SELECT l.item_leaf, coalesce(f.event_date, ''), coalesce(f.date_lo, ''), i.ingested_at, "
      "coalesce(f.status, 'unreviewed') FROM links l JOIN items i ON i.leaf_index = l.item_leaf "
      "LEFT JOIN item_facts f ON "
      "f.item_leaf = l.item_leaf ";
  if (ref.kind == EntityKind::kIncident) {
    ISNAD_RETURN_IF_ERROR(ForRows(
        db_, "SELECT date, date_lo FROM incidents WHERE leaf_index = ?1 AND date IS NOT NULL", leaf,
        [&](Stmt& st) {
          out.push_back(
              {st.ColText(0), st.ColText(1), std::string(id), "incident: " + label(leaf), {}});
        }));
    ISNAD_RETURN_IF_ERROR(
        add_items((std::string(kItemCols) + "WHERE l.owner = ?1 AND l.role = 'incident'").c_str(),
                  leaf, "item:"));
    ISNAD_RETURN_IF_ERROR(add_relations("r.object_leaf = ?1"));
  } else if (ref.kind == EntityKind::kCase) {
    std::vector<std::pair<int64_t, TimelineEvent>> events;
    ISNAD_RETURN_IF_ERROR(ForRows(
        db_, "SELECT leaf_index, event, date, date_lo FROM case_events WHERE case_leaf = ?1", leaf,
        [&](Stmt& st) {
          TimelineEvent ev;
          ev.id = Id(EntityKind::kCaseEvent, st.ColInt(0));
          ev.date = st.ColText(2);
          ev.sort_lo = st.ColText(3);
          std::string what = st.ColText(1);
          std::replace(what.begin(), what.end(), '_', ' ');
          ev.what = what;
          events.emplace_back(st.ColInt(0), std::move(ev));
        }));
    for (auto& [ev_leaf, ev] : events) {
      LangMap desc;
      ISNAD_RETURN_IF_ERROR(ReadLangMap(db_, ev_leaf, "description", &desc));
      if (!desc.empty()) {
        ev.what += ": " + (desc.contains("en") ? desc["en"] : desc.begin()->second);
      }
      ISNAD_RETURN_IF_ERROR(ForRows(
          db_,
          "SELECT item_leaf FROM links WHERE owner = ?1 AND role = 'document' ORDER BY item_leaf",
          ev_leaf,
          [&ev = ev](Stmt& st) { ev.sources.push_back(Id(EntityKind::kItem, st.ColInt(0))); }));
      out.push_back(std::move(ev));
    }
    ISNAD_RETURN_IF_ERROR(
        add_items((std::string(kItemCols) + "WHERE l.owner = ?1 AND l.role = 'exhibit'").c_str(),
                  leaf, "exhibit:"));
  } else if (ref.kind == EntityKind::kActor) {
    ISNAD_RETURN_IF_ERROR(add_relations("r.subject_leaf = ?1 OR r.object_leaf = ?1"));
    // Each event of the actor's cases once, with every role the actor has in
    // that case and the event's documents as its sources.
    std::map<int64_t, std::pair<TimelineEvent, std::vector<std::string>>> events;
    ISNAD_RETURN_IF_ERROR(ForRows(
        db_,
        "SELECT e.leaf_index, e.event, e.date, e.date_lo, p.role, p.case_leaf FROM case_parties p "
        "JOIN case_events e ON e.case_leaf = p.case_leaf WHERE p.actor_leaf = ?1 ORDER BY "
        "e.leaf_index, p.role",
        leaf, [&](Stmt& st) {
          auto& [ev, roles] = events[st.ColInt(0)];
          roles.push_back(st.ColText(4));
          if (!ev.id.empty()) return;
          std::string what = st.ColText(1);
          std::replace(what.begin(), what.end(), '_', ' ');
          ev = {st.ColText(2),
                st.ColText(3),
                Id(EntityKind::kCaseEvent, st.ColInt(0)),
                what + " in " + label(st.ColInt(5)),
                {}};
        }));
    for (auto& [ev_leaf, event] : events) {
      auto& [ev, roles] = event;
      ev.what += " (as " + Join(roles, ", ") + ")";
      ISNAD_RETURN_IF_ERROR(ForRows(
          db_,
          "SELECT item_leaf FROM links WHERE owner = ?1 AND role = 'document' ORDER BY item_leaf",
          ev_leaf,
          [&ev = ev](Stmt& st) { ev.sources.push_back(Id(EntityKind::kItem, st.ColInt(0))); }));
      out.push_back(std::move(ev));
    }
  } else {
    return core::InvalidArgument("a timeline is drawn for an incident, a case or an actor; " +
                                 std::string(id) + " is " + std::string(EntityKindName(ref.kind)));
  }
  ISNAD_RETURN_IF_ERROR(failed);
  // By first day; on one day the timeline's own entity first, then in log
  // order (i9 before i10: by leaf index, not by the id's text).
  auto tie = [&id](const TimelineEvent& e) {
    std::optional<EntityRef> r = ParseEntityId(e.id);
    return std::pair(e.id != id, r ? r->leaf_index : 0);
  };
  std::stable_sort(out.begin(), out.end(), [&tie](const TimelineEvent& a, const TimelineEvent& b) {
    return a.sort_lo != b.sort_lo ? a.sort_lo < b.sort_lo : tie(a) < tie(b);
  });
  ISNAD_RETURN_IF_ERROR(tx.Commit());
  return out;
}

namespace {

constexpr double kEarthRadiusKm = 6371.0088;

// geo_km(lat1, lon1, lat2, lon2): great-circle distance (haversine); NULL when
// any argument is NULL or not a number.
void GeoKm(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  double v[4];
  for (int i = 0; i < argc && i < 4; ++i) {
    if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
      sqlite3_result_null(ctx);
      return;
    }
    v[i] = sqlite3_value_double(argv[i]) * M_PI / 180.0;
  }
  double dlat = v[2] - v[0], dlon = v[3] - v[1];
  double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
             std::cos(v[0]) * std::cos(v[2]) * std::sin(dlon / 2) * std::sin(dlon / 2);
  sqlite3_result_double(ctx, 2 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(a))));
}

// One WHERE clause with its bound values, built up filter by filter.
struct Where {
  std::string sql;
  std::vector<std::string> text;  // bound in order as ?2, ?3, ... (?1 is the MATCH)
  void Add(const std::string& clause) { sql += " AND " + clause; }
  std::string Bind(std::string value) {
    text.push_back(std::move(value));
    return "?" + std::to_string(text.size() + 1);
  }
};

}  // namespace

namespace {

// isnad_bm25(search, w0, w1, w2[, skip[, lo, hi]]): FTS5's bm25() (same
// formula, same k1 = 1.2 and b = 0.75, negated like it), except for each
// phrase's document frequency. bm25() counts every document of every phrase
// before ranking the first row (~40 ms for a three-phrase query on a word in
// 40 % of a million documents); this counts up to kMaxCountedDf documents, in
// rowid order, and past that estimates the frequency from how far into the
// table's rowid range [lo, hi] the last one counted was (the count scaled by
// (hi - lo + 1) / (rowid - lo + 1); without lo and hi, the count itself).
// Below the cap the scores equal bm25()'s; above it the estimate is off by the
// sampling error of kMaxCountedDf documents and by how unevenly the phrase is
// spread over the rowids (a change of the IDF, ln(N/df), of well under 0.1 for
// a phrase spread evenly). The first `skip` phrases (Search's filter keys) add
// nothing to the score.
constexpr int64_t kMaxCountedDf = 2'000;
// exact, stem and skel; the fourth column holds filter keys.
constexpr int kTextColumns = 3;

struct Bm25Data {
  int64_t rows = 0;
  double avgdl = 0;
  std::vector<double> idf;
};

void Bm25Free(void* p) { delete static_cast<Bm25Data*>(p); }

struct DfCount {
  int64_t hits = 0;
  int64_t last_rowid = 0;
};

int CountHit(const Fts5ExtensionApi* api, Fts5Context* fts, void* user) {
  auto& n = *static_cast<DfCount*>(user);
  if (++n.hits < kMaxCountedDf) return SQLITE_OK;
  n.last_rowid = api->xRowid(fts);
  return SQLITE_DONE;
}

void IsnadBm25(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int argc,
               sqlite3_value** argv) {
  const int skip = argc > 3 ? sqlite3_value_int(argv[3]) : 0;
  auto* data = static_cast<Bm25Data*>(api->xGetAuxdata(fts, 0));
  if (data == nullptr) {
    auto fresh = std::make_unique<Bm25Data>();
    sqlite3_int64 rows = 0, tokens = 0;
    int rc = api->xRowCount(fts, &rows);
    // Document lengths count the text columns only, not the filter keys.
    for (int col = 0; rc == SQLITE_OK && col < kTextColumns; ++col) {
      sqlite3_int64 n = 0;
      rc = api->xColumnTotalSize(fts, col, &n);
      tokens += n;
    }
    fresh->rows = rows;
    fresh->avgdl = rows > 0 ? static_cast<double>(tokens) / static_cast<double>(rows) : 1.0;
    const bool range = argc > 5 && sqlite3_value_type(argv[4]) == SQLITE_INTEGER &&
                       sqlite3_value_type(argv[5]) == SQLITE_INTEGER;
    const int64_t lo = range ? sqlite3_value_int64(argv[4]) : 0;
    const int64_t hi = range ? sqlite3_value_int64(argv[5]) : 0;
    const int phrases = api->xPhraseCount(fts);
    for (int i = 0; rc == SQLITE_OK && i < phrases; ++i) {
      if (i < skip) {
        fresh->idf.push_back(0.0);
        continue;
      }
      DfCount count;
      rc = api->xQueryPhrase(fts, i, &count, CountHit);
      double hits = static_cast<double>(count.hits);
      if (count.hits >= kMaxCountedDf && range && count.last_rowid >= lo && hi > count.last_rowid) {
        hits =
            std::min(static_cast<double>(rows), hits * static_cast<double>(hi - lo + 1) /
                                                    static_cast<double>(count.last_rowid - lo + 1));
      }
      double idf = std::log((static_cast<double>(rows) - hits + 0.5) / (hits + 0.5));
      fresh->idf.push_back(idf <= 0.0 ? 1e-6 : idf);
    }
    if (rc == SQLITE_OK) rc = api->xSetAuxdata(fts, fresh.get(), Bm25Free);
    if (rc != SQLITE_OK) {
      sqlite3_result_error_code(ctx, rc);
      return;
    }
    data = fresh.release();
  }
  constexpr double k1 = 1.2, b = 0.75;
  const int phrases = static_cast<int>(data->idf.size());
  std::vector<double> freq(static_cast<size_t>(phrases), 0.0);
  int insts = 0;
  int rc = api->xInstCount(fts, &insts);
  for (int i = 0; rc == SQLITE_OK && i < insts; ++i) {
    int phrase = 0, col = 0, off = 0;
    rc = api->xInst(fts, i, &phrase, &col, &off);
    if (rc == SQLITE_OK && phrase >= skip && phrase < phrases) {
      freq[static_cast<size_t>(phrase)] +=
          col < kTextColumns && col < argc ? sqlite3_value_double(argv[col]) : 1.0;
    }
  }
  int doc_tokens = 0;
  for (int col = 0; rc == SQLITE_OK && col < kTextColumns; ++col) {
    int n = 0;
    rc = api->xColumnSize(fts, col, &n);
    doc_tokens += n;
  }
  if (rc != SQLITE_OK) {
    sqlite3_result_error_code(ctx, rc);
    return;
  }
  const double d = static_cast<double>(doc_tokens);
  double score = 0;
  for (int i = 0; i < phrases; ++i) {
    double f = freq[static_cast<size_t>(i)];
    score += data->idf[static_cast<size_t>(i)] * (f * (k1 + 1.0)) /
             (f + k1 * (1.0 - b + b * d / data->avgdl));
  }
  sqlite3_result_double(ctx, -score);
}

}  // namespace

namespace internal {
Status RegisterFunctions(sqlite3* db) {
  int rc = sqlite3_create_function(db, "geo_km", 4, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                                   GeoKm, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqlError(db, rc, "registering geo_km");
  fts5_api* fts5 = nullptr;
  sqlite3_stmt* st = nullptr;
  rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, nullptr);
  if (rc == SQLITE_OK) {
    sqlite3_bind_pointer(st, 1, static_cast<void*>(&fts5), "fts5_api_ptr", nullptr);
    sqlite3_step(st);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_OK) return SqlError(db, rc, "finding FTS5");
  if (fts5 == nullptr || fts5->iVersion < 2) {
    return core::Internal("this SQLite has no FTS5 (version 2 or later)");
  }
  rc = fts5->xCreateFunction(fts5, "isnad_bm25", nullptr, IsnadBm25, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : SqlError(db, rc, "registering isnad_bm25");
}
}  // namespace internal

namespace {

// The gazetteer: when the whole query is the name of a place, actor, incident
// or case (in any script or listed variant), the entity's other names, so that
// a translation or exonym finds what a key cannot (Damascus / دمشق). At most
// 16 names of at most 8 entities.
StatusOr<std::vector<std::string>> OtherNames(sqlite3* db, const std::string& query) {
  std::vector<std::string> out;
  std::string folded = text::Tokenize(query).exact;
  if (folded.empty()) return out;
  ISNAD_ASSIGN_OR_RETURN(
      Stmt st, Stmt::Prepare(db,
                             "SELECT t.text FROM names n JOIN texts t ON t.owner = n.owner AND "
                             "t.field IN ('name', 'title') WHERE n.folded = ?1 AND n.owner IN "
                             "(SELECT owner FROM names WHERE folded = ?1 LIMIT 8) UNION SELECT "
                             "v.name FROM names n JOIN variants v ON v.owner = n.owner WHERE "
                             "n.folded = ?1 AND n.owner IN (SELECT owner FROM names WHERE folded "
                             "= ?1 LIMIT 8) ORDER BY 1 LIMIT 16"));
  st.Text(1, folded);
  while (true) {
    ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("looking up the query in the gazetteer"));
    if (!row) break;
    std::string name = st.ColText(0);
    const std::string name_folded = text::Tokenize(name).exact;
    // Nothing to search for, or the query itself.
    if (name_folded.empty() || name_folded == folded) continue;
    // Each name becomes a quoted phrase of the user's query language: every
    // quote mark it knows (" “ ” « ») would end the phrase early.
    for (const char* quote : {"\"", "\u201C", "\u201D", "\u00AB", "\u00BB"}) {
      for (size_t at = name.find(quote); at != std::string::npos; at = name.find(quote, at)) {
        name.replace(at, std::strlen(quote), " ");
      }
    }
    out.push_back(std::move(name));
  }
  return out;
}

}  // namespace

// With at most this many terms in the index, a prefix is searched as its terms.
constexpr int kMaxPrefixTerms = 32;

// Rewrites each one-word prefix phrase of `match` (exact:"she"* or
// skel:"x"*) as the OR of the terms in search_terms that start with it, when
// there are at most kMaxPrefixTerms: FTS5 answers a prefix phrase by merging
// the whole doclists of all its terms before returning the first row, but
// walks an OR of terms lazily, newest first, so a capped count and the
// ranking window stop early. Same hits; each term is ranked as its own phrase.
StatusOr<std::string> ExpandPrefixes(sqlite3* db, const std::string& match) {
  std::string out;
  size_t at = 0;
  std::optional<Stmt> st;
  while (true) {
    size_t q = match.find('"', at);
    if (q == std::string::npos) break;
    size_t close = match.find('"', q + 1);
    if (close == std::string::npos) break;
    const std::string_view before = std::string_view(match).substr(0, q);
    const bool exact = before.ends_with("exact:"), skel = before.ends_with("skel:");
    const std::string prefix = match.substr(q + 1, close - q - 1);
    const bool is_prefix = close + 1 < match.size() && match[close + 1] == '*';
    if (!(exact || skel) || !is_prefix || prefix.empty() ||
        prefix.find_first_of(" \"") != std::string::npos) {
      out.append(match, at, close + 1 - at);
      at = close + 1;
      continue;
    }
    if (!st.has_value()) {
      ISNAD_ASSIGN_OR_RETURN(Stmt prepared,
                             Stmt::Prepare(db,
                                           "SELECT term FROM search_terms WHERE col = ?1 AND term "
                                           ">= ?2 AND term < ?3 ORDER BY term LIMIT " +
                                               std::to_string(kMaxPrefixTerms + 1)));
      st.emplace(std::move(prepared));
    }
    st->Int(1, exact ? 0 : 2);
    st->Text(2, prefix);
    st->Text(3, prefix + "\xff");  // above every UTF-8 string that starts with prefix
    std::vector<std::string> terms;
    while (true) {
      ISNAD_ASSIGN_OR_RETURN(bool row, st->Step("expanding a prefix"));
      if (!row) break;
      terms.push_back(st->ColText(0));
    }
    st->Reset();
    const size_t col_at = q - (exact ? 6 : 5);
    out.append(match, at, col_at - at);
    if (terms.empty() || terms.size() > static_cast<size_t>(kMaxPrefixTerms)) {
      out.append(match, col_at, close + 2 - col_at);  // as it was
    } else {
      out += '(';
      for (size_t k = 0; k < terms.size(); ++k) {
        if (k > 0) out += " OR ";
        out += (exact ? "exact:\"" : "skel:\"") + terms[k] + '"';
      }
      out += ')';
    }
    at = close + 2;
  }
  out.append(match, at, std::string::npos);
  return out;
}

StatusOr<SearchResult> Catalog::Search(const SearchRequest& req) const {
  std::string match;
  if (!req.query.empty() && req.query != "*") {
    ISNAD_ASSIGN_OR_RETURN(match, text::ToFtsMatch(req.query, !req.as_written));  // syntax first
    ISNAD_ASSIGN_OR_RETURN(std::vector<std::string> others, OtherNames(db_, req.query));
    if (!others.empty()) {
      std::string expanded = "(" + req.query + ")";
      for (const std::string& name : others) expanded += " OR \"" + name + "\"";
      // The user's query parsed; should the other names not (its parentheses
      // one level too deep, say), it is searched without them.
      if (auto with_names = text::ToFtsMatch(expanded, !req.as_written); with_names.ok()) {
        match = std::move(with_names).value();
      }
    }
    ISNAD_ASSIGN_OR_RETURN(match, ExpandPrefixes(db_, match));
  }
  Where w;
  bool item_only = false;
  auto date_bound = [](const std::string& d, bool upper) -> StatusOr<std::string> {
    std::optional<DateRange> r = ParseEventDate(d);
    if (!r.has_value()) {
      return core::InvalidArgument("\"" + d + "\" is not a date; use YYYY, YYYY-MM or YYYY-MM-DD");
    }
    return upper ? r->hi : r->lo;
  };
  // Each date filter: the request's bound, which end of its range, the SQL it bounds,
  // and what follows the bound (the end of an ingest day).
  struct DateFilter {
    const std::string& value;
    bool upper;
    const char* sql;
    const char* day_end;
  };
  for (const DateFilter& d : {
           DateFilter{req.event_from, false, "f.date_hi >= ", ""},
           DateFilter{req.event_to, true, "f.date_lo <= ", ""},
           DateFilter{req.captured_from, false, "i.ingested_at >= ", ""},
           DateFilter{req.captured_to, true, "i.ingested_at <= ", "T23:59:59.999Z"},
           DateFilter{req.taken_from, false, "substr(md.captured_at, 1, 10) >= ", ""},
           DateFilter{req.taken_to, true, "substr(md.captured_at, 1, 10) <= ", ""},
       }) {
    if (d.value.empty()) continue;
    ISNAD_ASSIGN_OR_RETURN(std::string bound, date_bound(d.value, d.upper));
    w.Add(d.sql + w.Bind(bound + d.day_end));
    item_only = true;
  }
  if (req.radius_km > 0 || !req.near_lat.empty() || !req.near_lon.empty()) {
    char* end = nullptr;
    double lat = std::strtod(req.near_lat.c_str(), &end);
    bool ok = !req.near_lat.empty() && *end == '\0' && lat >= -90 && lat <= 90;
    double lon = std::strtod(req.near_lon.c_str(), &end);
    ok = ok && !req.near_lon.empty() && *end == '\0' && lon >= -180 && lon <= 180;
    if (!ok || !(req.radius_km > 0) || !std::isfinite(req.radius_km)) {
      return core::InvalidArgument(
          "a place filter needs a latitude (-90..90), a longitude (-180..180) and a radius in km "
          "above 0, e.g. --near 33.537,36.356 --radius-km 5");
    }
    w.Add("geo_km(" + w.Bind(req.near_lat) + ", " + w.Bind(req.near_lon) +
          ", coalesce(f.lat, p.lat, md.lat), coalesce(f.lon, p.lon, md.lon)) <= CAST(" +
          w.Bind(std::to_string(req.radius_km)) + " AS REAL)");
    item_only = true;
  }
  auto leaf_of = [this](EntityKind kind, const std::string& id) -> StatusOr<std::string> {
    ISNAD_ASSIGN_OR_RETURN(std::string resolved, ResolveRef(kind, id));
    return std::to_string(ParseEntityId(resolved)->leaf_index);
  };
  if (!req.place.empty()) {
    // The place and every place within it, at any depth (Eastern Ghouta holds
    // Zamalka and Ein Tarma): items placed there, or linked to an incident there.
    ISNAD_ASSIGN_OR_RETURN(std::string leaf, leaf_of(EntityKind::kPlace, req.place));
    const std::string within = "(WITH RECURSIVE sub(leaf) AS (SELECT CAST(" + w.Bind(leaf) +
                               " AS INTEGER) UNION SELECT pl.leaf_index FROM places pl JOIN sub ON "
                               "pl.within_leaf = sub.leaf) "
                               "SELECT leaf FROM sub)";
    w.Add("(f.place_leaf IN " + within +
          " OR EXISTS (SELECT 1 FROM links l JOIN incident_places ip ON ip.incident_leaf = "
          "l.owner WHERE l.item_leaf = e.leaf_index AND l.role = 'incident' AND ip.place_leaf IN " +
          within + "))");
    item_only = true;
  }
  if (!req.incident.empty()) {
    ISNAD_ASSIGN_OR_RETURN(std::string leaf, leaf_of(EntityKind::kIncident, req.incident));
    w.Add(
        "EXISTS (SELECT 1 FROM links l WHERE l.item_leaf = e.leaf_index AND l.role = 'incident' "
        "AND l.owner = " +
        w.Bind(leaf) + ")");
    item_only = true;
  }
  if (!req.case_id.empty()) {
    ISNAD_ASSIGN_OR_RETURN(std::string leaf, leaf_of(EntityKind::kCase, req.case_id));
    std::string p = w.Bind(leaf);
    w.Add(
        "(EXISTS (SELECT 1 FROM links l WHERE l.item_leaf = e.leaf_index AND l.role = "
        "'exhibit' AND l.owner = " +
        p +
        ") OR EXISTS (SELECT 1 FROM links l JOIN case_events "
        "ev ON ev.leaf_index = l.owner WHERE l.item_leaf = e.leaf_index AND l.role = 'document' "
        "AND ev.case_leaf = " +
        p + "))");
    item_only = true;
  }
  if (!req.actor.empty()) {
    ISNAD_ASSIGN_OR_RETURN(std::string leaf, leaf_of(EntityKind::kActor, req.actor));
    std::string p = w.Bind(leaf);
    w.Add(
        "EXISTS (SELECT 1 FROM relation_sources rs JOIN relations r ON r.leaf_index = "
        "rs.relation_leaf WHERE rs.item_leaf = e.leaf_index AND (r.subject_leaf = " +
        p + " OR r.object_leaf = " + p + "))");
    item_only = true;
  }
  for (const std::string& tag : req.tags) {
    w.Add("EXISTS (SELECT 1 FROM tags t WHERE t.item_leaf = e.leaf_index AND t.folded = " +
          w.Bind(TagFold(tag)) + ")");
    item_only = true;
  }
  if (!req.media_type.empty()) {
    if (req.media_type.ends_with("/*")) {
      // Every type under the prefix; '%' and '_' in it are the characters
      // themselves, not LIKE's wildcards ("te_t/*" is no "text/*").
      std::string prefix;
      for (char c : std::string_view(req.media_type).substr(0, req.media_type.size() - 1)) {
        if (c == '%' || c == '_' || c == '\\') prefix += '\\';
        prefix += c;
      }
      w.Add("i.media_type LIKE " + w.Bind(prefix + "%") + " ESCAPE '\\'");
    } else {
      w.Add("i.media_type = " + w.Bind(req.media_type));
    }
    item_only = true;
  }
  if (!req.status.empty()) {
    w.Add("coalesce(f.status, 'unreviewed') = " + w.Bind(req.status));
    item_only = true;
  }
  // Filter keys (TagKey, DateKeyQuery) ANDed before the text narrow its hits
  // to (a superset of) those that pass the tag and date filters.
  int key_phrases = 0;
  std::string text_match;  // match without the filter keys, for snippets
  if (!match.empty()) {
    std::string keys;
    auto add_keys = [&](const std::vector<std::string>& any) {
      if (any.empty()) return;
      keys += keys.empty() ? "(" : " AND (";
      for (size_t k = 0; k < any.size(); ++k) {
        keys += (k == 0 ? "keys:\"" : " OR keys:\"") + any[k] + "\"";
      }
      keys += ")";
      key_phrases += static_cast<int>(any.size());
    };
    for (const std::string& tag : req.tags) add_keys({TagKey(TagFold(tag))});
    if (!req.event_from.empty() && !req.event_to.empty()) {
      std::optional<DateRange> from = ParseEventDate(req.event_from);
      std::optional<DateRange> to = ParseEventDate(req.event_to);
      if (from.has_value() && to.has_value()) add_keys(DateKeyQuery(from->lo, to->hi));
    }
    text_match = match;
    if (!keys.empty()) match = keys + " AND (" + match + ")";
  }
  std::string kind = req.kind;
  if (!kind.empty() && !KindFromName(kind).has_value()) {
    return core::InvalidArgument("unknown kind \"" + kind +
                                 "\"; use item, place, incident, actor or case");
  }
  if (item_only) {
    if (!kind.empty() && kind != "item") {
      return core::InvalidArgument("the filters given apply to items; --kind " + kind +
                                   " finds none");
    }
    kind = "item";
  }
  // A text query with item filters joins its hits to items (which only items
  // have) and to the tables its filters read, not to entities.
  const bool item_join = !match.empty() && item_only;
  if (item_join) {
    for (size_t at = 0; (at = w.sql.find("= e.leaf_index", at)) != std::string::npos;) {
      w.sql.replace(at, 14, "= i.leaf_index");
    }
  } else if (!kind.empty()) {
    w.Add("e.kind = " + w.Bind(kind));
  } else if (match.empty()) {
    w.Add("e.kind NOT IN ('relation', 'case event')");
  }
  // Relations and case events have no search row (GraphApplier::Apply), so a
  // text query without filters or a kind reads the search table alone.
  const bool join = match.empty() || !w.sql.empty();

  // Items bring their tables along for filters and facets.
  const bool need_f = w.sql.find("f.") != std::string::npos;
  const bool need_p = w.sql.find("p.") != std::string::npos;
  // The position the file itself gives (camera GPS, read by analysis), after what an
  // analyst described: a place filter finds a photo nobody has described yet.
  const std::string media_join =
      w.sql.find("md.") != std::string::npos
          ? " LEFT JOIN media md ON md.item_leaf = " + std::string(item_join ? "i" : "e") +
                ".leaf_index"
          : "";
  const std::string joins =
      (item_join
           ? std::string(need_f ? " LEFT JOIN item_facts f ON f.item_leaf = i.leaf_index" : "") +
                 (need_p ? " LEFT JOIN places p ON p.leaf_index = f.place_leaf" : "")
           : std::string(" LEFT JOIN items i ON i.leaf_index = e.leaf_index LEFT JOIN item_facts "
                         "f ON f.item_leaf = e.leaf_index LEFT JOIN places p ON p.leaf_index = "
                         "f.place_leaf")) +
      media_join;
  std::string rowid_range = "NULL, NULL";  // set below, in the transaction
  // Selects `leaf` and `score` (when `scored`) of every hit.
  auto base = [&](bool scored) {
    if (match.empty()) {
      return std::string("SELECT e.leaf_index AS leaf") + (scored ? ", 0.0 AS score" : "") +
             " FROM entities e" + joins + " WHERE ?1 = ?1" + w.sql;
    }
    std::string sql = std::string("SELECT search.rowid AS leaf") +
                      (scored ? ", -isnad_bm25(search, 10.0, 3.0, 1.0, " +
                                    std::to_string(key_phrases) + ", " + rowid_range + ") AS score"
                              : "") +
                      " FROM search";
    if (item_join) {
      sql += " JOIN items i ON i.leaf_index = search.rowid" + joins;
    } else if (join) {
      sql += " JOIN entities e ON e.leaf_index = search.rowid" + joins;
    }
    return sql + " WHERE search MATCH ?1" + w.sql;
  };
  // The newest hits first: FTS5 walks its doclists backwards, and a LIMIT
  // stops it early.
  const std::string newest = match.empty() ? " ORDER BY leaf DESC" : " ORDER BY search.rowid DESC";
  auto bind = [&](Stmt& st) {
    st.Text(1, match);
    for (size_t k = 0; k < w.text.size(); ++k) st.Text(static_cast<int>(k + 2), w.text[k]);
  };

  Tx tx(db_);
  ISNAD_RETURN_IF_ERROR(tx.Begin(false));
  if (!match.empty()) {
    // The search table's rowid range, for isnad_bm25's estimate of common
    // phrases' document frequencies (FTS5 seeks either end).
    int64_t ends[2] = {0, -1};
    for (int k = 0; k < 2; ++k) {
      ISNAD_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_, k == 0 ? "SELECT rowid FROM search "
                                                                  "ORDER BY rowid LIMIT 1"
                                                                : "SELECT rowid FROM search "
                                                                  "ORDER BY rowid DESC LIMIT 1"));
      ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("reading the search index"));
      if (row) ends[k] = st.ColInt(0);
    }
    rowid_range = std::to_string(ends[0]) + ", " + std::to_string(ends[1]);
  }
  SearchResult result;
  const uint64_t limit = std::min<uint64_t>(req.limit, 1u << 30);
  const uint64_t offset = std::min<uint64_t>(req.offset, 1u << 30);
  std::vector<std::pair<int64_t, double>> page;  // (leaf, score), best first
  if (item_join) {
    // A filtered text query checks every hit against the item tables, the
    // bulk of its cost, so its hits are read once, newest first, scored,
    // counted and ranked here rather than in a count pass and a ranking pass
    // over the same rows. The same hits, total and order as below.
    ISNAD_ASSIGN_OR_RETURN(
        Stmt st, Stmt::Prepare(db_, base(true) + newest + " LIMIT " +
                                        std::to_string(std::max(kMaxCounted + 1, limit + offset))));
    bind(st);
    std::vector<std::pair<int64_t, double>> rows;
    while (true) {
      ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("searching"));
      if (!row) break;
      rows.emplace_back(st.ColInt(0), sqlite3_column_double(st.get(), 1));
    }
    result.total = rows.size();
    if (result.total > kMaxCounted) {
      result.total = kMaxCounted;
      result.total_capped = true;
      // Too many hits to rank them all: rank the newest kRankWindow.
      rows.resize(std::min<uint64_t>(rows.size(), std::max(kRankWindow, limit + offset)));
    }
    // ORDER BY score DESC, leaf
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    for (uint64_t k = offset; k < rows.size() && k < offset + limit; ++k) page.push_back(rows[k]);
  } else {
    {
      ISNAD_ASSIGN_OR_RETURN(Stmt st,
                             Stmt::Prepare(db_, "SELECT count(*) FROM (" + base(false) + " LIMIT " +
                                                    std::to_string(kMaxCounted + 1) + ")"));
      bind(st);
      ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("counting search hits"));
      result.total = row ? static_cast<uint64_t>(st.ColInt(0)) : 0;
      st.Reset();
      if (result.total > kMaxCounted) {
        result.total = kMaxCounted;
        result.total_capped = true;
      }
    }
    const std::string page_sql =
        " LIMIT " + std::to_string(limit) + " OFFSET " + std::to_string(offset);
    std::string sql;
    if (match.empty()) {
      sql = base(true) + " ORDER BY leaf" + page_sql;
    } else if (!result.total_capped) {
      sql = base(true) + " ORDER BY score DESC, leaf" + page_sql;
    } else {
      // Too many hits to rank them all: rank the newest kRankWindow.
      sql = "SELECT leaf, score FROM (" + base(true) + newest + " LIMIT " +
            std::to_string(std::max<uint64_t>(kRankWindow, limit + offset)) +
            ") ORDER BY score DESC, leaf" + page_sql;
    }
    ISNAD_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_, sql));
    bind(st);
    while (true) {
      ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("searching"));
      if (!row) break;
      page.emplace_back(st.ColInt(0), sqlite3_column_double(st.get(), 1));
    }
  }
  {
    ISNAD_ASSIGN_OR_RETURN(Stmt kind_st,
                           Stmt::Prepare(db_, "SELECT kind FROM entities WHERE leaf_index = ?1"));
    for (const auto& [leaf, score] : page) {
      SearchHit hit;
      kind_st.Int(1, leaf);
      ISNAD_ASSIGN_OR_RETURN(bool found, kind_st.Step("looking up a hit"));
      hit.kind = found ? kind_st.ColText(0) : "item";
      kind_st.Reset();
      hit.id = Id(KindFromName(hit.kind).value_or(EntityKind::kItem), leaf);
      hit.score = score;
      result.hits.push_back(std::move(hit));
    }
  }
  ISNAD_ASSIGN_OR_RETURN(Stmt snip,
                         Stmt::Prepare(db_,
                                       "SELECT snippet(search, 0, '[', ']', '…', 12) "
                                       "FROM search WHERE search MATCH ?1 AND rowid = ?2"));
  for (SearchHit& hit : result.hits) {
    int64_t leaf = static_cast<int64_t>(ParseEntityId(hit.id)->leaf_index);
    ISNAD_ASSIGN_OR_RETURN(hit.name, LabelOf(db_, leaf));
    if (match.empty()) continue;
    // The filter keys are left out: the snippet shows column 0 only.
    snip.Text(1, text_match);
    snip.Int(2, leaf);
    ISNAD_ASSIGN_OR_RETURN(bool row, snip.Step("making a snippet"));
    if (row) hit.snippet = snip.ColText(0);
    snip.Reset();
  }
  if (req.facets) {
    // Over every hit, or when the total is capped over the kMaxCounted the
    // listing draws from (the newest, or for an empty query, which lists
    // oldest first, the oldest): the hits are read once, then their kinds,
    // media types, statuses and tags.
    const std::string capped_order = match.empty() ? " ORDER BY leaf" : newest;
    std::string leaves = "[";
    {
      ISNAD_ASSIGN_OR_RETURN(
          Stmt st,
          Stmt::Prepare(db_, base(false) + (result.total_capped ? capped_order + " LIMIT " +
                                                                      std::to_string(kMaxCounted)
                                                                : std::string())));
      bind(st);
      while (true) {
        ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("counting facets"));
        if (!row) break;
        if (leaves.size() > 1) leaves += ',';
        leaves += std::to_string(st.ColInt(0));
      }
    }
    leaves += ']';
    auto& kinds = result.facets["kind"];
    auto& media = result.facets["media_type"];
    auto& status = result.facets["status"];
    auto& tags = result.facets["tag"];
    {
      ISNAD_ASSIGN_OR_RETURN(
          Stmt st,
          Stmt::Prepare(db_,
                        "SELECT e.kind, i.media_type, coalesce(f.status, 'unreviewed') FROM "
                        "json_each(?1) j JOIN entities e ON e.leaf_index = j.value LEFT JOIN items "
                        "i ON i.leaf_index = e.leaf_index LEFT JOIN item_facts f ON f.item_leaf = "
                        "i.leaf_index"));
      st.Text(1, leaves);
      while (true) {
        ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("counting facets"));
        if (!row) break;
        ++kinds[st.ColText(0)];
        if (st.ColIsNull(1)) continue;  // not an item
        ++media[st.ColText(1)];
        ++status[st.ColText(2)];
      }
    }
    {
      // As the tag filter matches: "Sarin" and "sarin" are one facet (shown by
      // its first spelling), counting each item once.
      ISNAD_ASSIGN_OR_RETURN(
          Stmt st,
          Stmt::Prepare(db_,
                        "SELECT min(t.tag), count(DISTINCT t.item_leaf) FROM json_each(?1) "
                        "j JOIN tags t ON t.item_leaf = j.value GROUP BY t.folded"));
      st.Text(1, leaves);
      while (true) {
        ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("counting facets"));
        if (!row) break;
        tags[st.ColText(0)] += static_cast<uint64_t>(st.ColInt(1));
      }
    }
  }
  ISNAD_RETURN_IF_ERROR(tx.Commit());
  return result;
}

StatusOr<std::vector<TimestampRecord>> Catalog::Timestamps() const {
  Tx tx(db_);
  ISNAD_RETURN_IF_ERROR(tx.Begin(false));
  std::vector<TimestampRecord> out;
  Status failed = Status::Ok();
  ISNAD_RETURN_IF_ERROR(
      ForRows(db_,
              "SELECT t.leaf_index, t.checkpoint_size, t.checkpoint_sha256, t.tsa, t.token_sha256, "
              "t.gen_time FROM timestamps t WHERE ?1 = ?1 ORDER BY t.leaf_index",
              0, [&](Stmt& st) {
                TimestampRecord r;
                r.leaf_index = static_cast<uint64_t>(st.ColInt(0));
                r.checkpoint_size = static_cast<uint64_t>(st.ColInt(1));
                auto cp = core::Hash::FromHex(st.ColText(2));
                auto tok = core::Hash::FromHex(st.ColText(4));
                if (!cp.ok() || !tok.ok()) {
                  failed = internal::Malformed(db_, "a timestamp row has a malformed hash");
                  return;
                }
                r.checkpoint_sha256 = *cp;
                r.tsa = st.ColText(3);
                r.token_sha256 = *tok;
                r.gen_time = st.ColText(5);
                out.push_back(std::move(r));
              }));
  ISNAD_RETURN_IF_ERROR(failed);
  ISNAD_RETURN_IF_ERROR(tx.Commit());
  return out;
}

}  // namespace isnad::catalog
