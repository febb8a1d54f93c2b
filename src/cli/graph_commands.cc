// The evidence graph commands of `isnad`: describing items (describe, tag,
// review, derive), places, incidents, actors, relations between them, legal
// cases, timelines and search. Each write command builds entry bodies as the
// grammar in catalog/entries.h has them, references given by a person
// resolved to ids first, and records them with Archive::Record (one signed
// batch); the read commands print what the catalogue derives. Text for people,
// --json for JSON Lines.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "archive/archive.h"
#include "catalog/catalog.h"
#include "catalog/entries.h"
#include "cli/common.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "core/canonical_json.h"
#include "core/status.h"
#include "core/time.h"
#include "core/utf8.h"

namespace isnad::cli {
namespace {

using catalog::EntityKind;
using catalog::EntityRecord;
using core::Json;
using core::Status;
using core::StatusOr;
using ArchivePtr = std::unique_ptr<archive::Archive>;

constexpr std::string_view kDateForms =
    "give YYYY, YYYY-MM, YYYY-MM-DD or a range A/B (EDTF), each optionally ending in ~ "
    "(approximate) or ? (uncertain)";

// Notes on what a command is about to record (a date in the future, say), said
// once it is recorded: a note that ends "recorded as given" must not come before
// a refusal for another reason, when nothing was recorded.
std::vector<std::string>& PendingNotes() {
  static std::vector<std::string> notes;
  return notes;
}

// Runs a command body that prints its own output and turns its status into an exit code.
int Finish(const Status& s) {
  if (s.ok()) {
    for (const std::string& note : PendingNotes()) fmt::print(stderr, "{}\n", note);
  }
  PendingNotes().clear();
  return s.ok() ? kExitOk : Fail(s);
}

// ---------------------------------------------------------------- checking input

Status CheckDate(std::string_view flag, const std::string& value) {
  if (catalog::HasYearZero(value)) {
    return core::InvalidArgument(
        fmt::format("{} \"{}\": year 0000 is not a year this archive records; give the real year",
                    flag, Printable(value)));
  }
  if (value.empty()) return Status::Ok();
  if (auto range = catalog::ParseEventDate(value); range.has_value()) {
    if (std::string note = catalog::DateNote(value); !note.empty()) {
      PendingNotes().push_back(fmt::format("note: {} \"{}\": {}", flag, Printable(value), note));
    }
    // Recorded as given (a hearing set for next month is a date too), but said: a
    // slipped year (2031 for 2013) would otherwise stand in the timeline for good.
    const std::string today = core::NowUtc().substr(0, 10);
    if (range->lo > today) {
      PendingNotes().push_back(
          fmt::format("note: {} \"{}\" is in the future (today is {}); recorded as given", flag,
                      Printable(value), today));
    }
    return Status::Ok();
  }
  const std::string hint = catalog::DateHint(value);
  return core::InvalidArgument(fmt::format("{} \"{}\" is not a date: {}.{}", flag, Printable(value),
                                           kDateForms, hint.empty() ? "" : " " + hint));
}

// A date bound for search filters: YYYY, YYYY-MM or YYYY-MM-DD.
Status CheckDay(std::string_view flag, const std::string& value) {
  if (value.empty()) return Status::Ok();
  if (catalog::HasYearZero(value)) return CheckDate(flag, value);
  bool plain = value.find_first_of("/~?") == std::string::npos;
  if (plain && catalog::ParseEventDate(value).has_value()) return Status::Ok();
  const std::string hint = catalog::DateHint(value);
  return core::InvalidArgument(
      fmt::format("{} \"{}\" is not a date: give YYYY, YYYY-MM or YYYY-MM-DD.{}", flag,
                  Printable(value), hint.empty() ? "" : " " + hint));
}

Status CheckCoordinates(const std::string& lat, const std::string& lon) {
  if (lat.empty() != lon.empty()) {
    return core::InvalidArgument("--lat and --lon go together; give both or neither");
  }
  if (!lat.empty() && !catalog::IsLatitude(lat)) {
    return core::InvalidArgument(fmt::format(
        "--lat \"{}\" is not a latitude: give decimal degrees from -90 to 90, north positive "
        "(Zamalka: --lat 33.5376 --lon 36.3558); degrees-minutes-seconds must be converted",
        Printable(lat)));
  }
  if (!lon.empty() && !catalog::IsLongitude(lon)) {
    return core::InvalidArgument(fmt::format(
        "--lon \"{}\" is not a longitude: give decimal degrees from -180 to 180, east positive "
        "(Zamalka: --lat 33.5376 --lon 36.3558)",
        Printable(lon)));
  }
  return Status::Ok();
}

bool IsLowerWord(std::string_view s) {
  if (s.empty() || s.size() > 64 || s[0] < 'a' || s[0] > 'z') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// "Cassation request" -> "cassation_request": ASCII letters lower-cased,
// spaces and hyphens to one "_". kInvalidArgument naming `flag` when what is
// left is not a lower-case word.
StatusOr<std::string> ToWord(std::string_view flag, std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == ' ' || c == '-' || c == '\t') c = '_';
    if (c == '_' && (out.empty() || out.back() == '_')) continue;
    out.push_back(c);
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (!IsLowerWord(out)) {
    return core::InvalidArgument(fmt::format(
        "{} \"{}\" must be a word of letters a-z, digits and _ (spaces become _), starting with a "
        "letter, e.g. \"cassation_request\"",
        flag, Printable(std::string(text))));
  }
  return out;
}

// A command's text option in the language --lang names: --title, --name,
// --description; `ar_option` (--name-ar) where the command has one for it.
struct PlainText {
  std::string_view option;
  const std::string* text;
  std::string_view ar_option = "";
};

// The language of a command's plain text options: --lang read as a tag, or
// "en" when it is not given. With no --lang, text mostly in Arabic script is
// refused: recorded under "en", it would be labelled English for good. A
// --lang given is taken as meant.
StatusOr<std::string> TextLanguage(const std::string& lang,
                                   std::initializer_list<PlainText> texts) {
  if (!lang.empty()) {
    StatusOr<std::string> tag = catalog::ReadLanguageTag(lang);
    if (!tag.ok()) return core::InvalidArgument("--lang " + tag.status().message());
    return tag;
  }
  for (const PlainText& t : texts) {
    if (!catalog::InArabicScript(*t.text)) continue;
    return core::InvalidArgument(fmt::format(
        "{} is in Arabic script, but no --lang gives its language, so it would be recorded as "
        "English: {}add --lang ar (or fa, ur, ku, ...)",
        t.option, t.ar_option.empty() ? "" : fmt::format("give it with {}, or ", t.ar_option)));
  }
  return std::string("en");
}

// --name-ar, --title-ar: text with Latin letters and not one Arabic letter is a slip
// (the English name given twice, say); recorded as Arabic, no Arabic search finds it.
Status CheckArabicOption(std::string_view option, const std::string& text,
                         std::string_view plain_option) {
  const catalog::LetterCounts letters = catalog::CountLetters(text);
  if (letters.arabic > 0 || letters.other == 0) return Status::Ok();
  return core::InvalidArgument(fmt::format(
      "{} \"{}\" has no Arabic letter, so it would be recorded as the Arabic {}: give the "
      "Arabic spelling with {}, or a Latin spelling with {}{}; nothing was recorded",
      option, Printable(text), option.substr(2, option.size() - 5), option, plain_option,
      plain_option == "--name" ? " (or --variant)" : ""));
}

// Adds `text` under `lang` to `map`, refusing a second text for one language.
Status AddLang(Json& map, const std::string& lang, const std::string& text, std::string_view what) {
  if (catalog::IsBlank(text)) return Status::Ok();
  if (map.contains(lang)) {
    return core::InvalidArgument(
        fmt::format("two {}s in language \"{}\"; give one (--lang sets the language of the "
                    "plain option)",
                    what, lang));
  }
  map[lang] = text;
  return Status::Ok();
}

// A value given but blank (white space or invisible characters only) is refused,
// as import refuses it: recorded, it would show as nothing and make the archive's
// own export-catalog a file that import rejects.
Status NotBlank(std::string_view flag, const std::string& value) {
  if (value.empty() || !catalog::IsBlank(value)) return Status::Ok();
  return core::InvalidArgument(fmt::format(
      "{} is blank (only spaces or invisible characters); give the text, or leave {} out", flag,
      flag));
}

std::vector<std::string> Unique(const std::vector<std::string>& v) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& s : v) {
    if (!catalog::IsBlank(s) && seen.insert(s).second) out.push_back(s);
  }
  return out;
}

// Tags as given, with spaces around them cut (" sarin" and "sarin" are one
// tag), blank ones dropped, each once.
std::vector<std::string> Tags(const std::vector<std::string>& v) {
  std::vector<std::string> trimmed;
  for (const auto& t : v) {
    size_t b = t.find_first_not_of(" \t\r\n"), e = t.find_last_not_of(" \t\r\n");
    if (b != std::string::npos) trimmed.push_back(t.substr(b, e - b + 1));
  }
  return Unique(trimmed);
}

// ---------------------------------------------------------------- resolving references

StatusOr<std::string> ResolveItem(const archive::Archive& a, const std::string& ref) {
  ISNAD_ASSIGN_OR_RETURN(catalog::ItemRecord r, a.Resolve(ref));
  return r.id;
}

StatusOr<std::vector<std::string>> ResolveItems(const archive::Archive& a,
                                                const std::vector<std::string>& refs) {
  std::vector<std::string> ids;
  for (const auto& ref : refs) {
    ISNAD_ASSIGN_OR_RETURN(std::string id, ResolveItem(a, ref));
    ids.push_back(id);
  }
  return Unique(ids);
}

StatusOr<std::string> ResolveRef(const archive::Archive& a, EntityKind kind,
                                 const std::string& ref) {
  return a.catalog().ResolveRef(kind, ref);
}

// Resolves `ref` as one of `kinds`; a name that fits several kinds is ambiguous.
StatusOr<std::string> ResolveOneOf(const archive::Archive& a, const std::vector<EntityKind>& kinds,
                                   const std::string& ref) {
  if (auto parsed = catalog::ParseEntityId(ref)) {
    if (std::find(kinds.begin(), kinds.end(), parsed->kind) == kinds.end()) {
      std::string_view kind = catalog::EntityKindName(parsed->kind);
      return core::InvalidArgument(fmt::format("{} is {} {}; give an incident, case or actor", ref,
                                               kind[0] == 'i' ? "an" : "a", kind));
    }
    return a.catalog().ResolveRef(parsed->kind, ref);
  }
  std::vector<std::string> found;
  for (EntityKind kind : kinds) {
    auto id = a.catalog().ResolveRef(kind, ref);
    if (id.ok()) {
      found.push_back(*id);
    } else if (id.status().code() != core::Code::kNotFound) {
      return id.status();
    }
  }
  if (found.empty()) {
    return core::NotFound(
        fmt::format("no incident, case or actor is named \"{}\"", Printable(ref)));
  }
  if (found.size() > 1) {
    std::string list;
    for (const auto& id : found) list += (list.empty() ? "" : ", ") + id;
    return core::InvalidArgument(
        fmt::format("\"{}\" names several: {}; give an id", Printable(ref), list));
  }
  return found.front();
}

// ---------------------------------------------------------------- labels and JSON

// English if given, else Arabic, else the first; "" when empty.
std::string PreferredText(const catalog::LangMap& m) {
  for (const char* lang : {"en", "ar"}) {
    if (auto it = m.find(lang); it != m.end()) return it->second;
  }
  return m.empty() ? "" : m.begin()->second;
}

// A short name for any id: an entity's label, an item's title or file name.
std::string LabelOf(const catalog::Catalog& c, const std::string& id) {
  auto ref = catalog::ParseEntityId(id);
  if (!ref.has_value()) return "";
  if (ref->kind == EntityKind::kItem) {
    auto details = c.Details(id);
    if (details.ok() && !details->titles.empty()) return PreferredText(details->titles);
    auto item = c.Resolve(id);
    return item.ok() ? item->name : "";
  }
  if (ref->kind == EntityKind::kRelation) return "";
  auto e = c.Entity(id);
  return e.ok() ? e->Label() : "";
}

// "pl3 Zamalka" (the id alone when it has no label).
std::string Named(const catalog::Catalog& c, const std::string& id) {
  std::string label = LabelOf(c, id);
  return label.empty() ? id : id + " " + Printable(label);
}

std::string NamedList(const catalog::Catalog& c, const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + Named(c, id);
  return out;
}

// Every text of a language map, the label's first: "Zamalka / زملكا".
std::string AllNames(const catalog::LangMap& names, const std::string& label) {
  std::string out = Printable(label);
  for (const auto& [lang, text] : names) {
    if (text != label) out += (out.empty() ? "" : " / ") + Printable(text);
  }
  return out;
}

Json LangJson(const catalog::LangMap& m) {
  Json j = Json::object();
  for (const auto& [lang, text] : m) j[lang] = text;
  return j;
}

Json StringsJson(const std::vector<std::string>& v) {
  Json j = Json::array();
  for (const auto& s : v) j.push_back(s);
  return j;
}

Json WithdrawnJson(const std::vector<EntityRecord::Withdrawal>& withdrawn) {
  Json j = Json::array();
  for (const auto& w : withdrawn) {
    j.push_back(
        {{"item", w.item}, {"reason", w.reason}, {"time", w.time}, {"entry", w.leaf_index}});
  }
  return j;
}

Json EventsWithdrawnJson(const std::vector<EntityRecord::EventWithdrawal>& withdrawn) {
  Json j = Json::array();
  for (const auto& w : withdrawn) {
    j.push_back({{"event", w.event},
                 {"type", w.what},
                 {"date", w.date},
                 {"reason", w.reason},
                 {"time", w.time},
                 {"entry", w.leaf_index}});
  }
  return j;
}

// Items taken back, each with why and the entry that did it, after the
// ones that stand: the history a reader of `show` should not have to dig for.
void PrintWithdrawn(const catalog::Catalog& c, const char* heading,
                    const std::vector<EntityRecord::Withdrawal>& withdrawn) {
  if (withdrawn.empty()) return;
  fmt::print("{}:\n", heading);
  for (const auto& w : withdrawn) {
    fmt::print("  {}\n      {} (log entry {}, {})\n", Named(c, w.item), Printable(w.reason),
               w.leaf_index, w.time);
  }
}

// Members named as in the import format (docs/formats/catalog-import.md).
Json EntityJson(const EntityRecord& e) {
  Json j{{"id", e.id},
         {"kind", std::string(catalog::EntityKindName(e.kind))},
         {"label", e.Label()},
         {"leaf_index", e.leaf_index}};
  switch (e.kind) {
    case EntityKind::kPlace:
      j["names"] = LangJson(e.names);
      j["variants"] = StringsJson(e.variants);
      j["lat"] = e.lat;
      j["lon"] = e.lon;
      j["within"] = e.within;
      break;
    case EntityKind::kIncident:
      j["title"] = LangJson(e.names);
      j["type"] = e.category;
      j["date"] = e.date;
      j["places"] = StringsJson(e.places);
      j["description"] = LangJson(e.descriptions);
      j["items"] = StringsJson(e.items);
      j["withdrawn"] = WithdrawnJson(e.withdrawn);
      break;
    case EntityKind::kActor:
      j["type"] = e.category;
      j["names"] = LangJson(e.names);
      j["variants"] = StringsJson(e.variants);
      j["description"] = LangJson(e.descriptions);
      break;
    case EntityKind::kCase: {
      j["title"] = LangJson(e.names);
      j["jurisdiction"] = e.jurisdiction;
      j["description"] = LangJson(e.descriptions);
      Json parties = Json::array();
      for (const auto& [actor, role] : e.parties) {
        parties.push_back({{"actor", actor}, {"role", role}});
      }
      j["parties"] = parties;
      j["exhibits"] = StringsJson(e.items);
      j["withdrawn"] = WithdrawnJson(e.withdrawn);
      j["events_withdrawn"] = EventsWithdrawnJson(e.events_withdrawn);
      break;
    }
    case EntityKind::kCaseEvent:
      j["case"] = e.owner;
      j["type"] = e.category;
      j["date"] = e.date;
      j["description"] = LangJson(e.descriptions);
      j["documents"] = StringsJson(e.items);
      if (!e.events_withdrawn.empty()) j["withdrawn"] = EventsWithdrawnJson(e.events_withdrawn);
      break;
    default:
      break;
  }
  j["time"] = e.time;
  j["operator"] = e.operator_;
  return j;
}

Json RelationJson(const catalog::Catalog& c, const catalog::RelationRecord& r) {
  Json sources = Json::array();
  for (const auto& s : r.sources)
    sources.push_back({{"item", s.item}, {"confidence", s.confidence}});
  return Json{{"id", r.id},
              {"subject", r.subject},
              {"subject_label", LabelOf(c, r.subject)},
              {"predicate", r.predicate},
              {"object", r.object},
              {"object_label", LabelOf(c, r.object)},
              {"from", r.from},
              {"to", r.to},
              {"sources", sources},
              {"time", r.time},
              {"operator", r.operator_}};
}

Json WarningsJson(const std::vector<catalog::GraphWarning>& warnings) {
  Json j = Json::array();
  for (const auto& w : warnings) j.push_back({{"id", w.id}, {"what", w.what}});
  return j;
}

std::string Period(const std::string& from, const std::string& to) {
  if (from.empty() && to.empty()) return "";
  if (from == to) return from;
  if (to.empty()) return "from " + from;
  if (from.empty()) return "until " + to;
  return from + " .. " + to;
}

std::string SourcesLine(const std::vector<catalog::RelationSource>& sources) {
  std::string out;
  for (const auto& s : sources) {
    out += fmt::format("{}{} ({})", out.empty() ? "" : ", ", s.item, s.confidence);
  }
  return out;
}

void PrintRelation(const catalog::Catalog& c, const catalog::RelationRecord& r) {
  std::string period = Period(r.from, r.to);
  fmt::print("  {:<8} {} {} {}{}\n", r.id, Named(c, r.subject), r.predicate, Named(c, r.object),
             period.empty() ? "" : "  [" + period + "]");
  fmt::print("           sources: {}\n", SourcesLine(r.sources));
}

// Claims taken back, with why: the mistake and its correction both stay readable.
void PrintWithdrawnRelations(const catalog::Catalog& c,
                             const std::vector<catalog::WithdrawnRelation>& withdrawn) {
  if (withdrawn.empty()) return;
  fmt::print("claims withdrawn:\n");
  for (const auto& w : withdrawn) {
    fmt::print("  {:<8} {} {} {}\n", w.id, Named(c, w.subject), w.predicate, Named(c, w.object));
    fmt::print("           withdrawn {} by log entry {}: {}\n", w.time, w.leaf_index,
               Printable(w.reason));
  }
}

Json WithdrawnRelationsJson(const std::vector<catalog::WithdrawnRelation>& withdrawn) {
  Json j = Json::array();
  for (const auto& w : withdrawn) {
    j.push_back({{"id", w.id},
                 {"subject", w.subject},
                 {"predicate", w.predicate},
                 {"object", w.object},
                 {"reason", w.reason},
                 {"time", w.time},
                 {"entry", w.leaf_index}});
  }
  return j;
}

void PrintWarnings(const std::vector<catalog::GraphWarning>& warnings) {
  if (warnings.empty()) return;
  fmt::print("warnings:\n");
  for (const auto& w : warnings) fmt::print("  {}: {}\n", w.id, Printable(w.what));
}

// One "key  value" line of a show command, skipped when the value is empty.
void Field(std::string_view key, const std::string& value) {
  if (!value.empty()) fmt::print("{:<13}{}\n", key, value);
}

// Language-tagged texts, one line each, English first, then Arabic, then the
// others: "title        Zamalka (en)".
void LangFields(std::string_view key, const catalog::LangMap& m) {
  std::vector<std::pair<std::string, std::string>> ordered;
  for (const char* lang : {"en", "ar"}) {
    if (auto it = m.find(lang); it != m.end()) ordered.emplace_back(*it);
  }
  for (const auto& [lang, text] : m) {
    if (lang != "en" && lang != "ar") ordered.emplace_back(lang, text);
  }
  bool first = true;
  for (const auto& [lang, text] : ordered) {
    fmt::print("{:<13}{} ({})\n", first ? key : "", Printable(text), lang);
    first = false;
  }
}

// ---------------------------------------------------------------- recording

StatusOr<uint64_t> RecordBodies(archive::Archive& a, const std::vector<Json>& bodies) {
  return a.Record(bodies);
}

// Prints what a write recorded. `id` is the entity it created, or "" when the
// entry is about `subject` (an item, incident or case) instead.
// After recording entity `id`: a warning for each of its names (or variants)
// that now names more than one entity of its kind, since entities are never
// merged and such a name no longer resolves (two people can share a name; a
// place or unit added twice by mistake is the commoner cause).
void WarnSharedNames(const catalog::Catalog& c, EntityKind kind, const std::string& id,
                     const Json& names, const std::vector<std::string>& variants = {}) {
  for (const std::string& n : catalog::EveryName(names, variants)) {
    auto found = c.EntitiesNamed(kind, n);
    if (!found.ok() || found->size() < 2) continue;
    std::string others;
    for (const auto& f : *found)
      if (f != id) others += (others.empty() ? "" : ", ") + f;
    std::fprintf(stderr,
                 "warning: \"%s\" now names %zu %ss (%s, and %s): refer to them by id; entities "
                 "are never merged\n",
                 Printable(n).c_str(), found->size(),
                 std::string(catalog::EntityKindName(kind)).c_str(), id.c_str(), others.c_str());
  }
}

// Before recording a new entity: refuses one any of whose names (or variants) already
// names an entity of its kind, unless `anyway` (--new). Running an `add` twice is the
// commonest cause, and the second entity could never be taken out of the signed log;
// `import` refuses the same (docs/design/decisions.md).
Status RefuseSharedNames(const catalog::Catalog& c, EntityKind kind, const Json& names,
                         const std::vector<std::string>& variants, bool anyway) {
  if (anyway) return Status::Ok();
  const std::string kind_name(catalog::EntityKindName(kind));
  const std::string a_kind = (kind_name.find_first_of("aeiou") == 0 ? "an " : "a ") + kind_name;
  for (const std::string& n : catalog::EveryName(names, variants)) {
    ISNAD_ASSIGN_OR_RETURN(std::vector<std::string> found, c.EntitiesNamed(kind, n));
    if (found.empty()) continue;
    std::string ids;
    for (const auto& f : found) ids += (ids.empty() ? "" : ", ") + f;
    return core::InvalidArgument(fmt::format(
        "{} named \"{}\" is already recorded ({}): nothing was recorded. Refer to it by its "
        "id; if this is another {} of the same name, run the command again with --new (entities "
        "are never merged, so the name will then need an id wherever it is used)",
        a_kind, Printable(n), ids, kind_name));
  }
  return Status::Ok();
}

void PrintRecorded(const Globals& g, const catalog::Catalog& c, std::string_view type,
                   uint64_t leaf, const std::string& id, std::string_view subject_key,
                   const std::string& subject) {
  if (g.json) {
    Json j{{"type", std::string(type)}, {"leaf_index", leaf}};
    if (!id.empty()) {
      j["id"] = id;
      j["label"] = LabelOf(c, id);
    }
    if (!subject_key.empty()) j[std::string(subject_key)] = subject;
    PrintJsonLine(j);
    return;
  }
  if (!id.empty()) {
    fmt::print("Recorded {} (log entry {}).\n", Named(c, id), leaf);
  } else {
    fmt::print("Recorded {} for {} (log entry {}).\n", type, Named(c, subject), leaf);
  }
}

using Handler = std::function<Status()>;

void Add(Commands& out, CLI::App* command, Handler handler) {
  command->fallthrough();
  out.emplace_back(command, [handler = std::move(handler)]() { return Finish(handler()); });
}

StatusOr<ArchivePtr> OpenForWrite(const Globals& g) {
  return OpenArchive(g, archive::Mode::kWrite);
}
StatusOr<ArchivePtr> OpenForRead(const Globals& g) { return OpenArchive(g, archive::Mode::kRead); }

// ---------------------------------------------------------------- describe / tag / review / derive

struct DescribeOptions {
  std::string item, title, description, lang, date, place, lat, lon;  // lang "": en
};

Status Describe(const Globals& g, const DescribeOptions& o) {
  ISNAD_RETURN_IF_ERROR(NotBlank("--title", o.title));
  ISNAD_RETURN_IF_ERROR(NotBlank("--description", o.description));
  ISNAD_RETURN_IF_ERROR(CheckDate("--date", o.date));
  ISNAD_RETURN_IF_ERROR(CheckCoordinates(o.lat, o.lon));
  ISNAD_ASSIGN_OR_RETURN(
      const std::string text_lang,
      TextLanguage(o.lang, {{"--title", &o.title}, {"--description", &o.description}}));
  if (o.title.empty() && o.description.empty() && o.date.empty() && o.place.empty() &&
      o.lat.empty()) {
    return core::InvalidArgument(
        "describe says nothing: give --title, --description, --date, --place or --lat/--lon");
  }
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForWrite(g));
  ISNAD_ASSIGN_OR_RETURN(std::string item, ResolveItem(*a, o.item));
  Json body{{"type", std::string(catalog::kItemDescribed)}, {"item", item}};
  if (!o.title.empty() || !o.description.empty()) {
    body["lang"] = text_lang;
    if (!o.title.empty()) body["title"] = o.title;
    if (!o.description.empty()) body["description"] = o.description;
  }
  if (!o.date.empty()) body["event_date"] = o.date;
  if (!o.place.empty()) {
    ISNAD_ASSIGN_OR_RETURN(std::string place, ResolveRef(*a, EntityKind::kPlace, o.place));
    body["place"] = place;
  }
  if (!o.lat.empty()) {
    body["lat"] = o.lat;
    body["lon"] = o.lon;
  }
  // A correction replaces what the catalogue shows; the log keeps both. Say what
  // it replaces, so that a slip of the wrong item or field is seen at once.
  ISNAD_ASSIGN_OR_RETURN(catalog::ItemDetails before, a->catalog().Details(item));
  struct Replaced {
    std::string key, label, value;  // key: as in the entry, for --json
  };
  std::vector<Replaced> replaced;
  auto was = [&](const std::string& key, const std::string& label, const std::string& old_value,
                 bool given, const std::string& new_value) {
    if (given && !old_value.empty() && old_value != new_value) {
      replaced.push_back({key, label, old_value});
    }
  };
  auto in = [](const catalog::LangMap& m, const std::string& lang) {
    auto it = m.find(lang);
    return it == m.end() ? std::string() : it->second;
  };
  const std::string lang = " [" + text_lang + "]";
  was("title", "title" + lang, in(before.titles, text_lang), !o.title.empty(), o.title);
  was("description", "description" + lang, in(before.descriptions, text_lang),
      !o.description.empty(), o.description);
  was("event_date", "event date", before.event_date, !o.date.empty(), o.date);
  was("place", "place", before.place, body.contains("place"), body.value("place", ""));
  // Compared as numbers: "33.50" is the point "33.5" already was, and replaces nothing.
  auto same_degrees = [](const std::string& x, const std::string& y) {
    double a = 0, b = 0;  // from_chars: no locale's decimal comma
    return x == y ||
           (!x.empty() && !y.empty() &&
            std::from_chars(x.data(), x.data() + x.size(), a).ec == std::errc() &&
            std::from_chars(y.data(), y.data() + y.size(), b).ec == std::errc() && a == b);
  };
  if (!(same_degrees(before.lat, o.lat) && same_degrees(before.lon, o.lon))) {
    was("coordinates", "coordinates", before.lat.empty() ? "" : before.lat + "," + before.lon,
        !o.lat.empty(), o.lat + "," + o.lon);
  }
  ISNAD_ASSIGN_OR_RETURN(uint64_t leaf, RecordBodies(*a, {body}));
  if (g.json) {
    Json r{{"type", std::string(catalog::kItemDescribed)}, {"leaf_index", leaf}, {"item", item}};
    for (const auto& x : replaced) r["replaced"][x.key] = x.value;
    PrintJsonLine(r);
    return Status::Ok();
  }
  PrintRecorded(g, a->catalog(), catalog::kItemDescribed, leaf, "", "item", item);
  for (const auto& x : replaced) {
    const std::string shown = x.key == "place" ? Named(a->catalog(), x.value) : x.value;
    fmt::print("  it replaces {} \"{}\" (the log keeps both)\n", x.label, Printable(shown));
  }
  return Status::Ok();
}

// A command that would record only what the log holds already (a tag the item has,
// an item linked already): nothing is written, and it says so. Not a failure: a
// command run twice leaves the archive as the first run did.
// `said`: the sentence for a person, e.g. "i4 has the tag sarin already".
Status SayNothingNew(const Globals& g, std::string_view type, const std::string& subject,
                     const std::vector<std::string>& had, const std::string& said) {
  if (g.json) {
    PrintJsonLine(
        {{"type", std::string(type)}, {"recorded", false}, {"subject", subject}, {"already", had}});
    return Status::Ok();
  }
  fmt::print("Nothing recorded: {}.\n", said);
  return Status::Ok();
}

// Takes out of `wanted` what `held` has, and returns it, in `wanted`'s order.
std::vector<std::string> TakeHeld(std::vector<std::string>* wanted,
                                  const std::vector<std::string>& held) {
  std::vector<std::string> had;
  std::erase_if(*wanted, [&](const std::string& w) {
    if (std::find(held.begin(), held.end(), w) == held.end()) return false;
    had.push_back(w);
    return true;
  });
  return had;
}

std::string Listed(const std::vector<std::string>& v) {
  std::string list;
  for (const auto& x : v) list += (list.empty() ? "" : ", ") + Printable(x);
  return list;
}

struct TagOptions {
  std::string item;
  std::vector<std::string> tags;
  bool remove = false;
};

Status Tag(const Globals& g, const TagOptions& o) {
  std::vector<std::string> tags = Tags(o.tags);
  if (tags.empty()) return core::InvalidArgument("give at least one non-empty tag");
  for (const std::string& t : tags) {
    // Removing one stays possible: archives made before this rule hold such tags.
    if (std::string sep = catalog::TagSeparatorIn(t); !o.remove && !sep.empty()) {
      return core::InvalidArgument(fmt::format(
          "the tag \"{}\" holds a '{}', which separates tags in CSV import and export; give "
          "each tag as its own argument (isnad tag i1 sarin rockets)",
          Printable(t), sep));
    }
  }
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForWrite(g));
  ISNAD_ASSIGN_OR_RETURN(std::string item, ResolveItem(*a, o.item));
  if (o.remove) {
    // Removing a tag the item does not have would record an entry that
    // changes nothing, and say it removed it.
    ISNAD_ASSIGN_OR_RETURN(catalog::ItemDetails d, a->catalog().Details(item));
    for (std::string& t : tags) {
      if (std::find(d.tags.begin(), d.tags.end(), t) != d.tags.end()) continue;
      // "Sarin" for the item's "sarin": the same tag to search, as when adding.
      auto same = std::find_if(d.tags.begin(), d.tags.end(), [&t](const std::string& held) {
        return catalog::TagAsCompared(held) == catalog::TagAsCompared(t);
      });
      if (same != d.tags.end()) {
        t = *same;
        continue;
      }
      std::string has;
      for (const auto& x : d.tags) has += (has.empty() ? "" : ", ") + Printable(x);
      return core::InvalidArgument(
          fmt::format("{} has no tag \"{}\" (its tags: {}); nothing was recorded", item,
                      Printable(t), has.empty() ? "none" : has));
    }
  }
  if (!o.remove) {
    // "isnad tag i8 i9 witness" meant two items: i9 would become a tag of i8.
    for (const std::string& t : tags) {
      if (!catalog::ParseItemId(t) || !a->Resolve(t).ok()) continue;
      return core::InvalidArgument(fmt::format(
          "\"{}\" is the id of an item, not a tag: `isnad tag` tags one item, the first id "
          "given ({}); tag {} with a command of its own (isnad tag {} {}); nothing was recorded",
          t, item, t, t, tags.size() > 1 ? Printable(tags.back()) : "TAG"));
    }
    // Tags the item has already: a command run twice records nothing new. A tag
    // that differs from one it has only as search folds tags (Medical, medical)
    // is the same tag to every filter and facet: not recorded twice either.
    ISNAD_ASSIGN_OR_RETURN(catalog::ItemDetails d, a->catalog().Details(item));
    std::vector<std::string> had = TakeHeld(&tags, d.tags);
    std::erase_if(tags, [&](const std::string& t) {
      const std::string key = catalog::TagAsCompared(t);
      for (const auto& held : d.tags) {
        if (catalog::TagAsCompared(held) != key) continue;
        had.push_back(held);
        PendingNotes().push_back(
            fmt::format("note: {} has the tag \"{}\" already; \"{}\" is the same tag to search and "
                        "--tag, so it was not recorded again",
                        item, Printable(held), Printable(t)));
        return true;
      }
      return false;
    });
    if (tags.empty()) {
      return SayNothingNew(g, catalog::kItemTagged, item, had,
                           fmt::format("{} has {} {} already", item,
                                       had.size() == 1 ? "the tag" : "the tags", Listed(had)));
    }
  }
  Json body{{"type", std::string(catalog::kItemTagged)}, {"item", item}};
  body[o.remove ? "remove" : "add"] = StringsJson(tags);
  ISNAD_ASSIGN_OR_RETURN(uint64_t leaf, RecordBodies(*a, {body}));
  if (g.json) {
    PrintJsonLine({{"type", std::string(catalog::kItemTagged)},
                   {"leaf_index", leaf},
                   {"item", item},
                   {o.remove ? "remove" : "add", StringsJson(tags)}});
    return Status::Ok();
  }
  std::string list;
  for (const auto& t : tags) list += (list.empty() ? "" : ", ") + Printable(t);
  fmt::print("{} {} {} {} (log entry {}).\n", o.remove ? "Removed" : "Tagged",
             Named(a->catalog(), item), o.remove ? "tags" : "with", list, leaf);
  return Status::Ok();
}

struct ReviewOptions {
  std::string item, status, reason;
};

Status Review(const Globals& g, const ReviewOptions& o) {
  if (catalog::IsBlank(o.reason)) {
    return core::InvalidArgument(
        "--reason is blank: say why the item has this status (what was checked, by whom), e.g. "
        "--reason \"geolocated, shadows match 02:30\"");
  }
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForWrite(g));
  ISNAD_ASSIGN_OR_RETURN(std::string item, ResolveItem(*a, o.item));
  Json body{{"type", std::string(catalog::kItemReviewed)},
            {"item", item},
            {"status", o.status},
            {"reason", o.reason}};
  ISNAD_ASSIGN_OR_RETURN(uint64_t leaf, RecordBodies(*a, {body}));
  if (g.json) {
    PrintJsonLine({{"type", std::string(catalog::kItemReviewed)},
                   {"leaf_index", leaf},
                   {"item", item},
                   {"status", o.status}});
    return Status::Ok();
  }
  fmt::print("{} is now {} (log entry {}).\n", Named(a->catalog(), item), o.status, leaf);
  return Status::Ok();
}

struct DeriveOptions {
  std::string copy, original;
};

Status Derive(const Globals& g, const DeriveOptions& o) {
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForWrite(g));
  ISNAD_ASSIGN_OR_RETURN(std::string copy, ResolveItem(*a, o.copy));
  ISNAD_ASSIGN_OR_RETURN(std::string original, ResolveItem(*a, o.original));
  if (copy == original) {
    return core::InvalidArgument(copy + " cannot be a working copy of itself");
  }
  Json body{{"type", std::string(catalog::kItemDerived)}, {"item", copy}, {"original", original}};
  ISNAD_ASSIGN_OR_RETURN(uint64_t leaf, RecordBodies(*a, {body}));
  if (g.json) {
    PrintJsonLine({{"type", std::string(catalog::kItemDerived)},
                   {"leaf_index", leaf},
                   {"item", copy},
                   {"original", original}});
    return Status::Ok();
  }
  fmt::print("{} is a working copy of {} (log entry {}).\n", copy, original, leaf);
  return Status::Ok();
}

// ---------------------------------------------------------------- place

struct PlaceOptions {
  std::string name, name_ar, lang, lat, lon, within;
  std::vector<std::string> variants;
  bool anyway = false;  // --new: record it though its name is taken
};

Status PlaceAdd(const Globals& g, const PlaceOptions& o) {
  ISNAD_RETURN_IF_ERROR(CheckCoordinates(o.lat, o.lon));
  ISNAD_ASSIGN_OR_RETURN(const std::string lang,
                         TextLanguage(o.lang, {{"--name", &o.name, "--name-ar"}}));
  Json names = Json::object();
  ISNAD_RETURN_IF_ERROR(AddLang(names, lang, o.name, "name"));
  ISNAD_RETURN_IF_ERROR(CheckArabicOption("--name-ar", o.name_ar, "--name"));
  ISNAD_RETURN_IF_ERROR(AddLang(names, "ar", o.name_ar, "name"));
  if (names.empty()) return core::InvalidArgument("a place needs a name: --name or --name-ar");
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForWrite(g));
  ISNAD_RETURN_IF_ERROR(
      RefuseSharedNames(a->catalog(), EntityKind::kPlace, names, o.variants, o.anyway));
  Json body{{"type", std::string(catalog::kPlaceAdded)}, {"names", names}};
  if (auto variants = Unique(o.variants); !variants.empty())
    body["variants"] = StringsJson(variants);
  if (!o.lat.empty()) {
    body["lat"] = o.lat;
    body["lon"] = o.lon;
  }
  if (!o.within.empty()) {
    ISNAD_ASSIGN_OR_RETURN(std::string within, ResolveRef(*a, EntityKind::kPlace, o.within));
    body["within"] = within;
  }
  ISNAD_ASSIGN_OR_RETURN(uint64_t leaf, RecordBodies(*a, {body}));
  PrintRecorded(g, a->catalog(), catalog::kPlaceAdded, leaf,
                catalog::EntityId(EntityKind::kPlace, leaf), "", "");
  WarnSharedNames(a->catalog(), EntityKind::kPlace, catalog::EntityId(EntityKind::kPlace, leaf),
                  names, o.variants);
  return Status::Ok();
}

// " (also X, Y)": the variants a name may be given as, for a list.
std::string AlsoNamed(const EntityRecord& e) {
  if (e.variants.empty()) return "";
  std::string v;
  for (const auto& x : e.variants) v += (v.empty() ? "" : ", ") + Printable(x);
  return " (also " + v + ")";
}

Status PlaceLs(const Globals& g) {
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForRead(g));
  const catalog::Catalog& c = a->catalog();
  ISNAD_ASSIGN_OR_RETURN(std::vector<EntityRecord> places, c.Entities(EntityKind::kPlace));
  for (const auto& p : places) {
    if (g.json) {
      PrintJsonLine(EntityJson(p));
      continue;
    }
    std::string line = fmt::format("{:<8} {}{}", p.id, AllNames(p.names, p.Label()), AlsoNamed(p));
    if (!p.lat.empty()) line += fmt::format("  at {}, {}", p.lat, p.lon);
    if (!p.within.empty()) line += "  within " + Named(c, p.within);
    fmt::print("{}\n", line);
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- incident

struct IncidentOptions {
  std::string title, title_ar, lang, type, date, description;
  std::vector<std::string> places;
  bool anyway = false;  // --new: record it though its title is taken
};

Status IncidentAdd(const Globals& g, const IncidentOptions& o) {
  ISNAD_RETURN_IF_ERROR(NotBlank("--type", o.type));
  ISNAD_RETURN_IF_ERROR(NotBlank("--description", o.description));
  ISNAD_RETURN_IF_ERROR(CheckDate("--date", o.date));
  ISNAD_ASSIGN_OR_RETURN(const std::string lang,
                         TextLanguage(o.lang, {{"--title", &o.title, "--title-ar"},
                                               {"--description", &o.description}}));
  Json title = Json::object();
  ISNAD_RETURN_IF_ERROR(AddLang(title, lang, o.title, "title"));
  ISNAD_RETURN_IF_ERROR(CheckArabicOption("--title-ar", o.title_ar, "--title"));
  ISNAD_RETURN_IF_ERROR(AddLang(title, "ar", o.title_ar, "title"));
  if (title.empty()) return core::InvalidArgument("an incident needs --title or --title-ar");
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForWrite(g));
  ISNAD_RETURN_IF_ERROR(
      RefuseSharedNames(a->catalog(), EntityKind::kIncident, title, {}, o.anyway));
  Json body{{"type", std::string(catalog::kIncidentAdded)}, {"title", title}};
  if (!o.type.empty()) body["category"] = o.type;
  if (!o.date.empty()) body["date"] = o.date;
  if (!o.description.empty()) body["description"] = Json{{lang, o.description}};
  std::vector<std::string> places;
  for (const auto& p : o.places) {
    ISNAD_ASSIGN_OR_RETURN(std::string id, ResolveRef(*a, EntityKind::kPlace, p));
    places.push_back(id);
  }
  if (places = Unique(places); !places.empty()) body["places"] = StringsJson(places);
  ISNAD_ASSIGN_OR_RETURN(uint64_t leaf, RecordBodies(*a, {body}));
  PrintRecorded(g, a->catalog(), catalog::kIncidentAdded, leaf,
                catalog::EntityId(EntityKind::kIncident, leaf), "", "");
  WarnSharedNames(a->catalog(), EntityKind::kIncident,
                  catalog::EntityId(EntityKind::kIncident, leaf), title);
  return Status::Ok();
}

Status IncidentLs(const Globals& g) {
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForRead(g));
  const catalog::Catalog& c = a->catalog();
  ISNAD_ASSIGN_OR_RETURN(std::vector<EntityRecord> incidents, c.Entities(EntityKind::kIncident));
  for (const auto& e : incidents) {
    if (g.json) {
      PrintJsonLine(EntityJson(e));
      continue;
    }
    fmt::print("{:<8} {:<12} {}{}{}\n", e.id, e.date.empty() ? "-" : e.date, Printable(e.Label()),
               e.category.empty() ? "" : "  (" + Printable(e.category) + ")",
               e.items.empty() ? "" : fmt::format("  {} item(s)", e.items.size()));
  }
  return Status::Ok();
}

struct ShowOptions {
  std::string ref;
};

// An incident or actor with the relations that touch it, for `show`.
struct Shown {
  ArchivePtr archive;
  EntityRecord entity;
  std::vector<catalog::RelationRecord> relations;
  std::vector<catalog::WithdrawnRelation> relations_withdrawn;
  std::vector<catalog::GraphWarning> warnings;
};

StatusOr<Shown> LoadShown(const Globals& g, EntityKind kind, const std::string& ref) {
  Shown s;
  ISNAD_ASSIGN_OR_RETURN(s.archive, OpenForRead(g));
  const catalog::Catalog& c = s.archive->catalog();
  ISNAD_ASSIGN_OR_RETURN(std::string id, ResolveRef(*s.archive, kind, ref));
  ISNAD_ASSIGN_OR_RETURN(s.entity, c.Entity(id));
  ISNAD_ASSIGN_OR_RETURN(s.relations, c.Relations(id));
  ISNAD_ASSIGN_OR_RETURN(s.relations_withdrawn, c.WithdrawnRelations(id));
  ISNAD_ASSIGN_OR_RETURN(s.warnings, c.Warnings(id));
  return s;
}

void PrintShownJson(const Shown& s) {
  Json j = EntityJson(s.entity);
  Json rels = Json::array();
  for (const auto& r : s.relations) rels.push_back(RelationJson(s.archive->catalog(), r));
  j["relations"] = rels;
  j["relations_withdrawn"] = WithdrawnRelationsJson(s.relations_withdrawn);
  j["warnings"] = WarningsJson(s.warnings);
  PrintJsonLine(j);
}

void PrintRecordedBy(const EntityRecord& e) {
  fmt::print("recorded     {} by {} (log entry {})\n", e.time, Printable(e.operator_),
             e.leaf_index);
}

Status IncidentShow(const Globals& g, const ShowOptions& o) {
  ISNAD_ASSIGN_OR_RETURN(Shown shown, LoadShown(g, EntityKind::kIncident, o.ref));
  if (g.json) {
    PrintShownJson(shown);
    return Status::Ok();
  }
  const catalog::Catalog& c = shown.archive->catalog();
  const EntityRecord& e = shown.entity;
  const auto& relations = shown.relations;
  Field("incident", e.id);
  LangFields("title", e.names);
  Field("type", Printable(e.category));
  Field("date", e.date);
  Field("places", NamedList(c, e.places));
  LangFields("description", e.descriptions);
  if (!e.items.empty()) {
    fmt::print("items:\n");
    for (const auto& item : e.items) fmt::print("  {}\n", Named(c, item));
  }
  PrintWithdrawn(c, "taken out", e.withdrawn);
  if (!relations.empty()) {
    fmt::print("relations:\n");
    for (const auto& r : relations) PrintRelation(c, r);
  }
  PrintWithdrawnRelations(c, shown.relations_withdrawn);
  PrintWarnings(shown.warnings);
  PrintRecordedBy(e);
  return Status::Ok();
}

struct LinkOptions {
  std::string target;
  std::vector<std::string> items;
};

// incident.linked or case.linked: `key` is "incident" or "case".
Status Link(const Globals& g, const LinkOptions& o, EntityKind kind) {
  bool incident = kind == EntityKind::kIncident;
  std::string key = incident ? "incident" : "case";
  std::string_view type = incident ? catalog::kIncidentLinked : catalog::kCaseLinked;
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForWrite(g));
  ISNAD_ASSIGN_OR_RETURN(std::string target, ResolveRef(*a, kind, o.target));
  ISNAD_ASSIGN_OR_RETURN(std::vector<std::string> items, ResolveItems(*a, o.items));
  if (items.empty()) return core::InvalidArgument("give at least one item");
  // Items linked already: a command run twice records nothing new.
  ISNAD_ASSIGN_OR_RETURN(catalog::EntityRecord owner, a->catalog().Entity(target));
  const std::vector<std::string> had = TakeHeld(&items, owner.items);
  const std::string already = fmt::format(
      "{} {} {} {} already", Listed(had), had.size() == 1 ? "is" : "are",
      incident ? "linked to" : (had.size() == 1 ? "an exhibit of" : "exhibits of"), target);
  if (items.empty()) return SayNothingNew(g, type, target, had, already);
  if (!had.empty() && !g.json) fmt::print(stderr, "note: {}; not recorded again\n", already);
  Json body{{"type", std::string(type)}, {key, target}, {"items", StringsJson(items)}};
  ISNAD_ASSIGN_OR_RETURN(uint64_t leaf, RecordBodies(*a, {body}));
  if (g.json) {
    PrintJsonLine(
        {{"type", std::string(type)}, {"leaf_index", leaf}, {key, target}, {"items", items}});
    return Status::Ok();
  }
  std::string list;
  for (const auto& i : items) list += (list.empty() ? "" : ", ") + i;
  fmt::print("Linked {} to {} (log entry {}).\n", list, Named(a->catalog(), target), leaf);
  return Status::Ok();
}

// The events of `case_id` in date order (first day it can mean, then last, then leaf).
StatusOr<std::vector<EntityRecord>> CaseEvents(const catalog::Catalog& c,
                                               const std::string& case_id) {
  ISNAD_ASSIGN_OR_RETURN(std::vector<EntityRecord> all, c.Entities(EntityKind::kCaseEvent));
  std::vector<EntityRecord> events;
  for (auto& e : all) {
    if (e.owner == case_id) events.push_back(std::move(e));
  }
  auto key = [](const EntityRecord& e) {
    auto d = catalog::ParseEventDate(e.date);
    return std::tuple(d ? d->lo : e.date, d ? d->hi : e.date, e.leaf_index);
  };
  std::stable_sort(
      events.begin(), events.end(),
      [&key](const EntityRecord& x, const EntityRecord& y) { return key(x) < key(y); });
  return events;
}

struct UnlinkOptions {
  std::string target, reason;
  std::vector<std::string> items;
};

// incident.unlinked or case.unlinked: a link made by mistake, or an exhibit
// withdrawn, taken back with the reason. The link's entry stays in the log.
Status Unlink(const Globals& g, const UnlinkOptions& o, EntityKind kind) {
  bool incident = kind == EntityKind::kIncident;
  std::string key = incident ? "incident" : "case";
  std::string_view type = incident ? catalog::kIncidentUnlinked : catalog::kCaseUnlinked;
  if (catalog::IsBlank(o.reason)) {
    return core::InvalidArgument(
        "--reason is blank: say why the link is taken back (it is kept "
        "in the custody log, and in an exported case file)");
  }
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForWrite(g));
  ISNAD_ASSIGN_OR_RETURN(std::string target, ResolveRef(*a, kind, o.target));
  ISNAD_ASSIGN_OR_RETURN(std::vector<std::string> items, ResolveItems(*a, o.items));
  if (items.empty()) return core::InvalidArgument("give at least one item");
  ISNAD_ASSIGN_OR_RETURN(catalog::EntityRecord owner, a->catalog().Entity(target));
  for (const std::string& item : items) {
    if (std::find(owner.items.begin(), owner.items.end(), item) == owner.items.end()) {
      // In the case only as an event's document: that event is what to take back.
      std::string events;
      if (!incident) {
        ISNAD_ASSIGN_OR_RETURN(std::vector<catalog::EntityRecord> evs,
                               CaseEvents(a->catalog(), target));
        for (const auto& ev : evs) {
          if (std::find(ev.items.begin(), ev.items.end(), item) == ev.items.end()) continue;
          events += fmt::format("{}{} ({} on {})", events.empty() ? "" : ", ", ev.id, ev.category,
                                ev.date);
        }
      }
      if (!events.empty()) {
        return core::FailedPrecondition(fmt::format(
            "{} is not an exhibit of case {}: it is in the case as the document of event {}; "
            "nothing was written. If that event was recorded by mistake, take it back with `isnad "
            "case withdraw-event EV --reason TEXT`",
            item, target, events));
      }
      return core::FailedPrecondition(fmt::format(
          "{} is not {} {}, so there is nothing to take back; nothing was written (see `isnad "
          "{} show {}`)",
          item, incident ? "linked to incident" : "an exhibit of case", target, key, target));
    }
  }
  Json body{{"type", std::string(type)},
            {key, target},
            {"items", StringsJson(items)},
            {"reason", o.reason}};
  ISNAD_ASSIGN_OR_RETURN(uint64_t leaf, RecordBodies(*a, {body}));
  if (g.json) {
    PrintJsonLine({{"type", std::string(type)},
                   {"leaf_index", leaf},
                   {key, target},
                   {"items", items},
                   {"reason", o.reason}});
    return Status::Ok();
  }
  std::string list;
  for (const auto& i : items) list += (list.empty() ? "" : ", ") + i;
  fmt::print("Took {} out of {} (log entry {}); the earlier link stays in the custody log.\n", list,
             Named(a->catalog(), target), leaf);
  return Status::Ok();
}

// ---------------------------------------------------------------- actor

struct ActorOptions {
  std::string type, name, name_ar, lang, description;
  std::vector<std::string> variants;
  bool anyway = false;  // --new: record it though its name is taken
};

Status ActorAdd(const Globals& g, const ActorOptions& o) {
  ISNAD_RETURN_IF_ERROR(NotBlank("--description", o.description));
  std::string type = core::AsciiLower(o.type);  // "Person" as a spreadsheet has it
  if (type == "organization") type = "organisation";
  if (type != "person" && type != "unit" && type != "organisation") {
    return core::InvalidArgument(
        fmt::format("--type \"{}\" must be person, unit or organisation", Printable(o.type)));
  }
  ISNAD_ASSIGN_OR_RETURN(
      const std::string lang,
      TextLanguage(o.lang, {{"--name", &o.name, "--name-ar"}, {"--description", &o.description}}));
  Json names = Json::object();
  ISNAD_RETURN_IF_ERROR(AddLang(names, lang, o.name, "name"));
  ISNAD_RETURN_IF_ERROR(CheckArabicOption("--name-ar", o.name_ar, "--name"));
  ISNAD_RETURN_IF_ERROR(AddLang(names, "ar", o.name_ar, "name"));
  if (names.empty()) return core::InvalidArgument("an actor needs a name: --name or --name-ar");
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForWrite(g));
  ISNAD_RETURN_IF_ERROR(
      RefuseSharedNames(a->catalog(), EntityKind::kActor, names, o.variants, o.anyway));
  Json body{{"type", std::string(catalog::kActorAdded)}, {"actor_type", type}, {"names", names}};
  if (auto variants = Unique(o.variants); !variants.empty())
    body["variants"] = StringsJson(variants);
  if (!o.description.empty()) body["description"] = Json{{lang, o.description}};
  ISNAD_ASSIGN_OR_RETURN(uint64_t leaf, RecordBodies(*a, {body}));
  PrintRecorded(g, a->catalog(), catalog::kActorAdded, leaf,
                catalog::EntityId(EntityKind::kActor, leaf), "", "");
  WarnSharedNames(a->catalog(), EntityKind::kActor, catalog::EntityId(EntityKind::kActor, leaf),
                  names, o.variants);
  return Status::Ok();
}

Status ActorLs(const Globals& g) {
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForRead(g));
  ISNAD_ASSIGN_OR_RETURN(std::vector<EntityRecord> actors,
                         a->catalog().Entities(EntityKind::kActor));
  for (const auto& e : actors) {
    if (g.json) {
      PrintJsonLine(EntityJson(e));
      continue;
    }
    fmt::print("{:<8} {:<13} {}{}\n", e.id, e.category, AllNames(e.names, e.Label()), AlsoNamed(e));
  }
  return Status::Ok();
}

Status ActorShow(const Globals& g, const ShowOptions& o) {
  ISNAD_ASSIGN_OR_RETURN(Shown shown, LoadShown(g, EntityKind::kActor, o.ref));
  if (g.json) {
    PrintShownJson(shown);
    return Status::Ok();
  }
  const catalog::Catalog& c = shown.archive->catalog();
  const EntityRecord& e = shown.entity;
  const std::string& id = e.id;
  Field("actor", e.id);
  Field("type", e.category);
  LangFields("name", e.names);
  if (!e.variants.empty()) {
    std::string v;
    for (const auto& x : e.variants) v += (v.empty() ? "" : ", ") + Printable(x);
    Field("also", v);
  }
  LangFields("description", e.descriptions);
  std::vector<catalog::RelationRecord> outgoing, incoming;
  for (const auto& r : shown.relations) (r.subject == id ? outgoing : incoming).push_back(r);
  if (!outgoing.empty()) {
    fmt::print("relations (as subject):\n");
    for (const auto& r : outgoing) PrintRelation(c, r);
  }
  if (!incoming.empty()) {
    fmt::print("relations (as object):\n");
    for (const auto& r : incoming) PrintRelation(c, r);
  }
  PrintWithdrawnRelations(c, shown.relations_withdrawn);
  PrintWarnings(shown.warnings);
  PrintRecordedBy(e);
  return Status::Ok();
}

struct ChainOptions {
  std::string ref, at;
};

// The chain of command above an actor: its superiors (subordinate_of), commanders
// (X commands it) and the bodies it is a member of, then theirs, as the claims
// say, with each claim's period and sources. At --at, only claims whose period
// may include that date; two superiors at once are both shown (and `actor show`
// warns). A claim leading back to an actor already on the path is a cycle: said,
// not followed.
Status ActorChain(const Globals& g, const ChainOptions& o) {
  std::optional<catalog::DateRange> at;
  if (!o.at.empty()) {
    ISNAD_RETURN_IF_ERROR(CheckDate("--at", o.at));
    at = catalog::ParseEventDate(o.at);
  }
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForRead(g));
  const catalog::Catalog& c = a->catalog();
  ISNAD_ASSIGN_OR_RETURN(std::string start, ResolveRef(*a, EntityKind::kActor, o.ref));
  // Whether a claim's period may include the date asked about (open ends reach forever).
  auto holds = [&at](const catalog::RelationRecord& r) {
    if (!at.has_value()) return true;
    auto from = catalog::ParseEventDate(r.from), to = catalog::ParseEventDate(r.to);
    return (!from.has_value() || from->lo <= at->hi) && (!to.has_value() || to->hi >= at->lo);
  };
  constexpr size_t kMaxDepth = 32;
  std::vector<std::string> path = {start};
  size_t steps = 0;
  if (!g.json) fmt::print("{}\n", Named(c, start));
  std::function<Status(const std::string&, size_t)> up = [&](const std::string& who,
                                                             size_t depth) -> Status {
    ISNAD_ASSIGN_OR_RETURN(std::vector<catalog::RelationRecord> rels, c.Relations(who));
    size_t superiors = 0;  // claims shown that put `who` under someone
    for (const catalog::RelationRecord& r : rels) {
      std::string above, how;
      if (r.subject == who && r.predicate == "subordinate_of") {
        above = r.object, how = "under";
      } else if (r.subject == who && r.predicate == "member_of") {
        above = r.object, how = "member of";
      } else if (r.object == who && r.predicate == "commands") {
        above = r.subject, how = "commanded by";
      } else {
        continue;
      }
      if (!holds(r)) continue;
      ++steps;
      if (how != "member of") ++superiors;
      const bool cycle = std::find(path.begin(), path.end(), above) != path.end();
      if (g.json) {
        Json sources = Json::array();
        for (const auto& src : r.sources) {
          sources.push_back({{"item", src.item}, {"confidence", src.confidence}});
        }
        PrintJsonLine({{"depth", depth},
                       {"actor", who},
                       {"actor_name", LabelOf(c, who)},
                       {"relation", r.id},
                       {"how", how},
                       {"above", above},
                       {"above_name", LabelOf(c, above)},
                       {"from", r.from},
                       {"to", r.to},
                       {"sources", sources},
                       {"cycle", cycle}});
      } else {
        const std::string period = Period(r.from, r.to);
        fmt::print("{}{} {}{}  [{}; sources: {}]{}\n", std::string(2 * depth, ' '), how,
                   Named(c, above), period.empty() ? "" : " (" + period + ")", r.id,
                   SourcesLine(r.sources),
                   cycle ? "  CYCLE: already in this chain; not followed" : "");
      }
      if (cycle || depth >= kMaxDepth) continue;
      path.push_back(above);
      ISNAD_RETURN_IF_ERROR(up(above, depth + 1));
      path.pop_back();
    }
    if (superiors >= 2) {
      // Two superiors (or commanders) shown at once: the graph's warning about them.
      ISNAD_ASSIGN_OR_RETURN(std::vector<catalog::GraphWarning> warnings, c.Warnings(who));
      for (const auto& w : warnings) {
        if (w.what.find("puts " + who + " under") == std::string::npos) continue;
        if (g.json) {
          PrintJsonLine({{"depth", depth}, {"actor", who}, {"warning", w.what}, {"id", w.id}});
        } else {
          fmt::print("{}warning: {}: {}\n", std::string(2 * depth, ' '), w.id, Printable(w.what));
        }
      }
    }
    return Status::Ok();
  };
  ISNAD_RETURN_IF_ERROR(up(start, 1));
  if (!g.json && steps == 0) {
    fmt::print("  no superior, commander or body it is a member of is recorded{}\n",
               at.has_value() ? " for " + o.at : "");
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- relation

struct RelationOptions {
  std::string subject, predicate, object, from, to, confidence = "medium";
  std::vector<std::string> sources;
  bool new_type = false;
  bool anyway = false;  // --new: record it though the same claim stands
};

// A type word (a relation's predicate, a case event's --type) that is neither a
// standard one nor one recorded before: a slip a letter or two off a known one
// ("comands") would stay in the signed log as a type of its own, which no
// search, timeline or filter for the right one finds. That is refused unless
// `new_type`; a word far from every known one is taken. Returns the note to
// print once it is recorded ("" for a known type).
StatusOr<std::string> CheckTypeWord(std::string_view what, const std::string& word,
                                    std::vector<std::string> known,
                                    const std::vector<std::string>& in_use, bool new_type) {
  const size_t standard = known.size();
  for (const auto& w : in_use) {
    if (std::find(known.begin(), known.end(), w) == known.end()) known.push_back(w);
  }
  if (std::find(known.begin(), known.end(), word) != known.end()) return std::string();
  // The standard types, and at most ten of the archive's own.
  std::string list;
  for (size_t i = 0; i < known.size() && i < standard + 10; ++i) {
    list += (list.empty() ? "" : ", ") + known[i];
  }
  if (known.size() > standard + 10) list += ", …";
  std::string near = catalog::TypeSlip(word, known);
  if (!near.empty() && !new_type) {
    return core::InvalidArgument(fmt::format(
        "\"{}\" is not a {} type this archive knows; did you mean {}? Known: {}. Nothing was "
        "recorded. If \"{}\" is meant as a type of its own, add --new-type",
        word, what, near, list, word));
  }
  return fmt::format("note: \"{}\" is a new {} type in this archive (known: {})", word, what, list);
}

Status RelationAdd(const Globals& g, const RelationOptions& o) {
  ISNAD_RETURN_IF_ERROR(CheckDate("--from", o.from));
  ISNAD_RETURN_IF_ERROR(CheckDate("--to", o.to));
  if (!o.from.empty() && !o.to.empty()) {
    auto from = catalog::ParseEventDate(o.from), to = catalog::ParseEventDate(o.to);
    if (from->lo > to->hi) {
      return core::InvalidArgument(
          fmt::format("--from {} is after --to {}", Printable(o.from), Printable(o.to)));
    }
  }
  ISNAD_ASSIGN_OR_RETURN(std::string predicate, ToWord("PREDICATE", o.predicate));
  if (o.sources.empty()) {
    return core::InvalidArgument("a relation needs at least one --source ITEM backing it");
  }
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForWrite(g));
  ISNAD_ASSIGN_OR_RETURN(std::vector<std::string> types, a->catalog().RelationTypesInUse());
  ISNAD_ASSIGN_OR_RETURN(
      std::string type_note,
      CheckTypeWord("relation", predicate, catalog::StandardRelationTypes(), types, o.new_type));
  ISNAD_ASSIGN_OR_RETURN(std::string subject, ResolveRef(*a, EntityKind::kActor, o.subject));
  // The predicate says the object's kind (as import's relation lines do): a
  // name of the other kind is not taken in its place.
  bool about_incident = predicate == "present_at" || predicate == "responsible_for";
  auto object =
      ResolveRef(*a, about_incident ? EntityKind::kIncident : EntityKind::kActor, o.object);
  if (!object.ok()) {
    return object.status().WithContext(fmt::format("OBJECT of {} ({} is needed)", predicate,
                                                   about_incident ? "an incident" : "an actor"));
  }
  if (subject == *object) {
    return core::InvalidArgument(subject + " cannot be related to itself");
  }
  // A source is ITEM or ITEM:CONFIDENCE; --confidence for those without one.
  Json sources = Json::array();
  std::map<std::string, std::string> seen;  // item -> its confidence
  for (const auto& s : o.sources) {
    std::string ref = s, confidence = o.confidence;
    if (size_t colon = s.rfind(':'); colon != std::string::npos) {
      ref = s.substr(0, colon);
      confidence = s.substr(colon + 1);
      if (confidence != "low" && confidence != "medium" && confidence != "high") {
        return core::InvalidArgument(fmt::format(
            "--source \"{}\": the confidence after ':' must be low, medium or high", Printable(s)));
      }
    }
    auto item = ResolveItem(*a, ref);
    if (!item.ok()) return item.status().WithContext("--source " + Printable(ref));
    if (auto [at, added] = seen.emplace(*item, confidence); !added) {
      if (at->second == confidence) continue;
      return core::InvalidArgument(
          fmt::format("--source {} is given twice, with confidence {} and {}; give it once", *item,
                      at->second, confidence));
    }
    sources.push_back({{"item", *item}, {"confidence", confidence}});
  }
  if (!o.anyway) {
    // The same claim, standing, from the same sources: a command run twice. Two
    // entries would read as two claims agreeing, in a timeline and in court.
    ISNAD_ASSIGN_OR_RETURN(std::vector<catalog::RelationRecord> standing,
                           a->catalog().Relations(subject));
    for (const catalog::RelationRecord& r : standing) {
      if (r.subject != subject || r.predicate != predicate || r.object != *object ||
          r.from != o.from || r.to != o.to) {
        continue;
      }
      // The same claim from other sources: a second claim, each keeping its own.
      PendingNotes().push_back(fmt::format(
          "note: {} makes the same claim from {}; this one is recorded beside it with its own "
          "sources (each claim keeps the sources that bear it out; timelines list both)",
          r.id, SourcesLine(r.sources)));
      if (r.sources.size() != seen.size()) continue;
      bool same = true;
      for (const catalog::RelationSource& src : r.sources) {
        auto it = seen.find(src.item);
        same = same && it != seen.end() && it->second == src.confidence;
      }
      if (!same) continue;
      return core::AlreadyExists(fmt::format(
          "the same claim is recorded already, from the same sources: {} (`isnad relation show "
          "{}`); nothing was recorded. To correct it, withdraw it (`isnad relation withdraw {} "
          "--reason ...`) and record the corrected claim; to record it again as a claim of its "
          "own, add --new",
          r.id, r.id, r.id));
    }
  }
  Json body{{"type", std::string(catalog::kRelationAdded)},
            {"subject", subject},
            {"predicate", predicate},
            {"object", *object},
            {"sources", sources}};
  if (!o.from.empty()) body["from"] = o.from;
  if (!o.to.empty()) body["to"] = o.to;
  ISNAD_ASSIGN_OR_RETURN(uint64_t leaf, RecordBodies(*a, {body}));
  const catalog::Catalog& c = a->catalog();
  std::string id = catalog::EntityId(EntityKind::kRelation, leaf);
  // The relation is recorded as the sources said it; what looks wrong is a warning.
  ISNAD_ASSIGN_OR_RETURN(std::vector<catalog::GraphWarning> warnings, c.Warnings(id));
  if (g.json) {
    PrintJsonLine({{"type", std::string(catalog::kRelationAdded)},
                   {"leaf_index", leaf},
                   {"id", id},
                   {"subject", subject},
                   {"predicate", predicate},
                   {"object", *object},
                   {"warnings", WarningsJson(warnings)}});
  } else {
    fmt::print("Recorded {}: {} {} {} (log entry {}).\n", id, Named(c, subject), predicate,
               Named(c, *object), leaf);
  }
  std::fflush(stdout);
  if (!type_note.empty()) fmt::print(stderr, "{}\n", type_note);
  // What this claim is part of (Warnings of a relation: only those): what stood
  // before it about the same actors is theirs, shown by `isnad actor show`.
  for (const auto& w : warnings) {
    std::fprintf(stderr, "warning: %s: %s\n", w.id.c_str(), Printable(w.what).c_str());
  }
  return Status::Ok();
}

// A relation named by its id (relations have no names); `what` is the argument.
StatusOr<catalog::RelationRecord> ResolveRelation(const archive::Archive& a, const std::string& ref,
                                                  std::string_view what) {
  auto parsed = catalog::ParseEntityId(ref);
  constexpr std::string_view kWhereIds =
      "`isnad actor show ACTOR` lists an actor's relations with their ids";
  if (!parsed || parsed->kind != EntityKind::kRelation) {
    return core::InvalidArgument(
        fmt::format("{} \"{}\" is not a relation id: give one such as rel12 ({})", what,
                    Printable(ref), kWhereIds));
  }
  auto r = a.catalog().Relation(ref);
  if (r.status().code() == core::Code::kNotFound) {
    return core::NotFound(fmt::format("{}; {}", r.status().message(), kWhereIds));
  }
  return r;
}

struct RelationRefOptions {
  std::string ref, reason;
};

Status RelationShow(const Globals& g, const RelationRefOptions& o) {
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForRead(g));
  const catalog::Catalog& c = a->catalog();
  auto found = ResolveRelation(*a, o.ref, "RELATION");
  // A claim taken back is shown from its entry in the log, with why it was withdrawn.
  std::optional<catalog::EntityRecord::Withdrawal> withdrawn;
  if (found.status().code() == core::Code::kFailedPrecondition) {
    ISNAD_ASSIGN_OR_RETURN(withdrawn, c.RelationWithdrawal(o.ref));
  }
  if (!found.ok() && !withdrawn) return found.status();
  catalog::RelationRecord r;
  if (withdrawn) {
    const uint64_t leaf = catalog::ParseEntityId(o.ref)->leaf_index;
    ISNAD_ASSIGN_OR_RETURN(std::string bytes, a->log().Entry(leaf));
    const Json e = Json::parse(bytes, nullptr, false);
    if (!e.is_object())
      return core::Integrity("log entry " + std::to_string(leaf) + " is not JSON");
    r.id = o.ref;
    r.subject = e.value("subject", "");
    r.predicate = e.value("predicate", "");
    r.object = e.value("object", "");
    r.from = e.value("from", "");
    r.to = e.value("to", "");
    r.time = e.value("time", "");
    r.operator_ = e.value("operator", "");
    for (const Json& src : e.value("sources", Json::array())) {
      r.sources.push_back({src.value("item", ""), src.value("confidence", "")});
    }
  } else {
    r = std::move(*found);
  }
  std::vector<catalog::GraphWarning> warnings;
  if (!withdrawn) {
    ISNAD_ASSIGN_OR_RETURN(warnings, c.Warnings(r.id));
  }
  if (g.json) {
    Json j = RelationJson(c, r);
    j["warnings"] = WarningsJson(warnings);
    if (withdrawn) {
      j["withdrawn"] = {{"leaf_index", withdrawn->leaf_index},
                        {"reason", withdrawn->reason},
                        {"time", withdrawn->time}};
    }
    PrintJsonLine(j);
    return Status::Ok();
  }
  if (withdrawn) {
    fmt::print("WITHDRAWN    by log entry {} ({}): {}\n", withdrawn->leaf_index, withdrawn->time,
               Printable(withdrawn->reason));
  }
  Field("relation", r.id);
  Field("subject", Named(c, r.subject));
  Field("predicate", r.predicate);
  Field("object", Named(c, r.object));
  Field("period", Period(r.from, r.to));
  fmt::print("sources:\n");
  for (const auto& s : r.sources) fmt::print("  {} ({})\n", Named(c, s.item), s.confidence);
  PrintWarnings(warnings);
  fmt::print("recorded     {} by {}\n", r.time, Printable(r.operator_));
  return Status::Ok();
}

// Every relation not withdrawn, or those of one actor or incident: a line each.
Status RelationLs(const Globals& g, const std::string& ref) {
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForRead(g));
  const catalog::Catalog& c = a->catalog();
  std::string id;
  if (!ref.empty()) {
    auto actor = ResolveRef(*a, EntityKind::kActor, ref);
    if (!actor.ok()) {
      auto incident = ResolveRef(*a, EntityKind::kIncident, ref);
      if (!incident.ok()) return actor.status();
      actor = incident;
    }
    id = *actor;
  }
  ISNAD_ASSIGN_OR_RETURN(std::vector<catalog::RelationRecord> relations, c.Relations(id));
  for (const auto& r : relations) {
    if (g.json) {
      PrintJsonLine(RelationJson(c, r));
      continue;
    }
    std::string sources;
    for (const auto& s : r.sources) sources += (sources.empty() ? "" : ", ") + s.item;
    const std::string period = Period(r.from, r.to);
    fmt::print("{:<8} {} {} {}{}  sources: {}\n", r.id, Named(c, r.subject), r.predicate,
               Named(c, r.object), period.empty() ? "" : "  " + period, sources);
  }
  if (!g.json && relations.empty()) {
    std::fprintf(stderr, "no relations%s\n", ref.empty() ? "" : (" of " + id).c_str());
  }
  return Status::Ok();
}

// relation.withdrawn: a claim entered by mistake, or one its sources no longer
// bear out, taken back with the reason. The relation.added entry stays in the log.
Status RelationWithdraw(const Globals& g, const RelationRefOptions& o) {
  if (catalog::IsBlank(o.reason)) {
    return core::InvalidArgument(
        "--reason is blank: say why the claim is withdrawn (it is kept in the custody log)");
  }
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForWrite(g));
  const catalog::Catalog& c = a->catalog();
  auto r = ResolveRelation(*a, o.ref, "RELATION");
  if (!r.ok()) {
    if (r.status().code() != core::Code::kFailedPrecondition) return r.status();
    return core::FailedPrecondition(fmt::format("{}; nothing was written", r.status().message()));
  }
  Json body{{"type", std::string(catalog::kRelationWithdrawn)},
            {"relation", r->id},
            {"reason", o.reason}};
  ISNAD_ASSIGN_OR_RETURN(uint64_t leaf, RecordBodies(*a, {body}));
  if (g.json) {
    PrintJsonLine({{"type", std::string(catalog::kRelationWithdrawn)},
                   {"leaf_index", leaf},
                   {"relation", r->id},
                   {"reason", o.reason}});
    return Status::Ok();
  }
  fmt::print(
      "Withdrew {}: {} {} {} (log entry {}); the claim and its sources stay in the custody "
      "log.\n",
      r->id, Named(c, r->subject), r->predicate, Named(c, r->object), leaf);
  return Status::Ok();
}

// ---------------------------------------------------------------- case

struct CaseOptions {
  std::string title, title_ar, lang, jurisdiction, description;
  std::vector<std::string> parties;
  bool anyway = false;    // --new: record it though its title is taken
  bool new_role = false;  // --new-role: a party role close to a known one is meant
};

// Party roles as courts and complaints name them; any other is taken as given, unless
// it is a letter or two off one of these ("acused").
const std::vector<std::string>& StandardPartyRoles() {
  static const std::vector<std::string> roles = {
      "complainant", "accused",    "civil_party", "victim", "witness",
      "defendant",   "prosecutor", "counsel",     "expert", "judge"};
  return roles;
}

Status CaseAdd(const Globals& g, const CaseOptions& o) {
  ISNAD_RETURN_IF_ERROR(NotBlank("--jurisdiction", o.jurisdiction));
  ISNAD_RETURN_IF_ERROR(NotBlank("--description", o.description));
  ISNAD_ASSIGN_OR_RETURN(const std::string lang,
                         TextLanguage(o.lang, {{"--title", &o.title, "--title-ar"},
                                               {"--description", &o.description}}));
  Json title = Json::object();
  ISNAD_RETURN_IF_ERROR(AddLang(title, lang, o.title, "title"));
  ISNAD_RETURN_IF_ERROR(CheckArabicOption("--title-ar", o.title_ar, "--title"));
  ISNAD_RETURN_IF_ERROR(AddLang(title, "ar", o.title_ar, "title"));
  if (title.empty()) return core::InvalidArgument("a case needs --title or --title-ar");
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForWrite(g));
  ISNAD_RETURN_IF_ERROR(RefuseSharedNames(a->catalog(), EntityKind::kCase, title, {}, o.anyway));
  Json body{{"type", std::string(catalog::kCaseAdded)}, {"title", title}};
  if (!o.jurisdiction.empty()) body["jurisdiction"] = o.jurisdiction;
  if (!o.description.empty()) body["description"] = Json{{lang, o.description}};
  Json parties = Json::array();
  for (const auto& p : o.parties) {
    size_t colon = p.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == p.size()) {
      return core::InvalidArgument(
          fmt::format("--party \"{}\" must be ACTOR:ROLE, e.g. \"ac9:complainant\"", Printable(p)));
    }
    const std::string role = p.substr(colon + 1);
    if (auto word = ToWord("--party role", role); word.ok() && !o.new_role) {
      const auto& known = StandardPartyRoles();
      auto is_known = [&known](const std::string& w) {
        return std::find(known.begin(), known.end(), w) != known.end();
      };
      // A plural of a known role ("witnesses", "judges") is no slip.
      const bool plural = (word->ends_with("es") && is_known(word->substr(0, word->size() - 2))) ||
                          (word->ends_with("s") && is_known(word->substr(0, word->size() - 1)));
      const std::string near = is_known(*word) || plural ? "" : catalog::TypeSlip(*word, known);
      if (!near.empty()) {
        return core::InvalidArgument(fmt::format(
            "--party \"{}\": \"{}\" is not a party role isnad knows; did you mean {}? Nothing "
            "was recorded. If \"{}\" is meant as a role of its own, add --new-role",
            Printable(p), Printable(role), near, Printable(role)));
      }
    }
    ISNAD_ASSIGN_OR_RETURN(std::string actor,
                           ResolveRef(*a, EntityKind::kActor, p.substr(0, colon)));
    parties.push_back({{"actor", actor}, {"role", role}});
  }
  if (!parties.empty()) body["parties"] = parties;
  ISNAD_ASSIGN_OR_RETURN(uint64_t leaf, RecordBodies(*a, {body}));
  PrintRecorded(g, a->catalog(), catalog::kCaseAdded, leaf,
                catalog::EntityId(EntityKind::kCase, leaf), "", "");
  WarnSharedNames(a->catalog(), EntityKind::kCase, catalog::EntityId(EntityKind::kCase, leaf),
                  title);
  return Status::Ok();
}

Status CaseLs(const Globals& g) {
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForRead(g));
  ISNAD_ASSIGN_OR_RETURN(std::vector<EntityRecord> cases, a->catalog().Entities(EntityKind::kCase));
  for (const auto& e : cases) {
    if (g.json) {
      PrintJsonLine(EntityJson(e));
      continue;
    }
    fmt::print("{:<8} {}{}\n", e.id, Printable(e.Label()),
               e.jurisdiction.empty() ? "" : "  (" + Printable(e.jurisdiction) + ")");
  }
  return Status::Ok();
}

// The documents a case event named when it was recorded, read from its
// case.event entry: a withdrawn event's are no longer in the catalogue.
StatusOr<std::vector<std::string>> RecordedDocuments(const archive::Archive& a,
                                                     const std::string& event_id) {
  auto ref = catalog::ParseEntityId(event_id);
  if (!ref.has_value()) return core::InvalidArgument(event_id + " is not a case event's id");
  ISNAD_ASSIGN_OR_RETURN(std::string entry, a.log().Entry(ref->leaf_index));
  ISNAD_ASSIGN_OR_RETURN(Json was, catalog::ParseEntry(entry));
  std::vector<std::string> docs;
  for (const Json& d : was.value("documents", Json::array())) docs.push_back(d.get<std::string>());
  return docs;
}

Status CaseShow(const Globals& g, const ShowOptions& o) {
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForRead(g));
  const catalog::Catalog& c = a->catalog();
  ISNAD_ASSIGN_OR_RETURN(std::string id, ResolveRef(*a, EntityKind::kCase, o.ref));
  ISNAD_ASSIGN_OR_RETURN(EntityRecord e, c.Entity(id));
  ISNAD_ASSIGN_OR_RETURN(std::vector<EntityRecord> events, CaseEvents(c, id));
  // What each withdrawn event was: its description and who recorded it (the
  // catalogue keeps them), its documents (its log entry).
  struct WasRecorded {
    EntityRecord event;
    std::vector<std::string> documents;
  };
  std::vector<WasRecorded> was;
  for (const auto& w : e.events_withdrawn) {
    ISNAD_ASSIGN_OR_RETURN(EntityRecord ev, c.Entity(w.event));
    ISNAD_ASSIGN_OR_RETURN(std::vector<std::string> docs, RecordedDocuments(*a, w.event));
    was.push_back({std::move(ev), std::move(docs)});
  }
  if (g.json) {
    Json j = EntityJson(e);
    Json evs = Json::array();
    for (const auto& ev : events) evs.push_back(EntityJson(ev));
    j["events"] = evs;
    for (size_t i = 0; i < was.size(); ++i) {
      Json& w = j["events_withdrawn"][i];
      if (!was[i].event.descriptions.empty()) w["description"] = was[i].event.descriptions;
      w["documents"] = was[i].documents;
      w["recorded"] = {{"time", was[i].event.time}, {"operator", was[i].event.operator_}};
    }
    PrintJsonLine(j);
    return Status::Ok();
  }
  Field("case", e.id);
  LangFields("title", e.names);
  Field("jurisdiction", Printable(e.jurisdiction));
  LangFields("description", e.descriptions);
  if (!e.parties.empty()) {
    fmt::print("parties:\n");
    for (const auto& [actor, role] : e.parties) {
      fmt::print("  {} ({})\n", Named(c, actor), Printable(role));
    }
  }
  if (!events.empty()) {
    fmt::print("events:\n");
    for (const auto& ev : events) {
      std::string text = PreferredText(ev.descriptions);
      if (!text.empty()) text = "  " + Printable(text);
      fmt::print("  {:<23} {:<18} {}{}\n", ev.date, ev.category, ev.id, text);
      for (const auto& doc : ev.items) fmt::print("      document {}\n", Named(c, doc));
    }
  }
  if (!e.items.empty()) {
    fmt::print("exhibits:\n");
    for (const auto& item : e.items) fmt::print("  {}\n", Named(c, item));
  }
  PrintWithdrawn(c, "exhibits withdrawn", e.withdrawn);
  if (!e.events_withdrawn.empty()) {
    fmt::print("events withdrawn:\n");
    for (size_t i = 0; i < was.size(); ++i) {
      const auto& w = e.events_withdrawn[i];
      const EntityRecord& ev = was[i].event;
      std::string text = PreferredText(ev.descriptions);
      if (!text.empty()) text = "  " + Printable(text);
      fmt::print("  {:<23} {:<18} {}{}\n", w.date, w.what, w.event, text);
      for (const auto& doc : was[i].documents) {
        fmt::print("      document {}\n", Named(c, doc));
      }
      fmt::print("      recorded {} by {} (log entry {})\n", ev.time, Printable(ev.operator_),
                 ev.leaf_index);
      fmt::print("      withdrawn {} by log entry {}: {}\n", w.time, w.leaf_index,
                 Printable(w.reason));
    }
  }
  PrintRecordedBy(e);
  return Status::Ok();
}

struct CaseEventOptions {
  std::string target, type, date, description, lang;
  std::vector<std::string> documents;
  bool new_type = false;
  bool anyway = false;  // --new: record it though the same event is recorded
};

Status CaseEventAdd(const Globals& g, const CaseEventOptions& o) {
  if (o.date.empty()) return core::InvalidArgument("a case event needs --date");
  ISNAD_RETURN_IF_ERROR(NotBlank("--description", o.description));
  ISNAD_RETURN_IF_ERROR(CheckDate("--date", o.date));
  ISNAD_ASSIGN_OR_RETURN(const std::string lang,
                         TextLanguage(o.lang, {{"--description", &o.description}}));
  ISNAD_ASSIGN_OR_RETURN(std::string event, ToWord("--type", o.type));
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForWrite(g));
  ISNAD_ASSIGN_OR_RETURN(std::vector<std::string> types, a->catalog().CaseEventTypesInUse());
  ISNAD_ASSIGN_OR_RETURN(
      std::string type_note,
      CheckTypeWord("case event", event, catalog::StandardCaseEventTypes(), types, o.new_type));
  ISNAD_ASSIGN_OR_RETURN(std::string case_id, ResolveRef(*a, EntityKind::kCase, o.target));
  Json body{{"type", std::string(catalog::kCaseEvent)},
            {"case", case_id},
            {"event", event},
            {"date", o.date}};
  if (!o.description.empty()) body["description"] = Json{{lang, o.description}};
  ISNAD_ASSIGN_OR_RETURN(std::vector<std::string> documents, ResolveItems(*a, o.documents));
  if (!documents.empty()) body["documents"] = StringsJson(documents);
  if (!o.anyway) {
    // The same event of the same case (type, date, description, documents): a command
    // run twice, which would show twice in the case, its timeline and the court report.
    ISNAD_ASSIGN_OR_RETURN(std::vector<catalog::EntityRecord> events,
                           a->catalog().Entities(EntityKind::kCaseEvent));
    for (const catalog::EntityRecord& ev : events) {
      const bool same_text = o.description.empty()
                                 ? ev.descriptions.empty()
                                 : ev.descriptions.size() == 1 && ev.descriptions.count(lang) &&
                                       ev.descriptions.at(lang) == o.description;
      std::vector<std::string> held = ev.items, given = documents;  // in any order
      std::sort(held.begin(), held.end());
      std::sort(given.begin(), given.end());
      if (ev.owner != case_id || ev.category != event || ev.date != o.date || !same_text ||
          held != given) {
        continue;
      }
      return core::AlreadyExists(
          fmt::format("{} {} on {} is recorded already as {} (`isnad case show {}`); nothing was "
                      "recorded. To record another {} on that day, add --new",
                      case_id, event, o.date, ev.id, case_id, event));
    }
    // The very event withdrawn as a mistake (a command run again from the shell's
    // history): recorded, it would undo the correction and put its documents back.
    ISNAD_ASSIGN_OR_RETURN(catalog::EntityRecord kase, a->catalog().Entity(case_id));
    for (const auto& w : kase.events_withdrawn) {
      if (w.what != event || w.date != o.date) continue;
      ISNAD_ASSIGN_OR_RETURN(std::vector<std::string> held, RecordedDocuments(*a, w.event));
      ISNAD_ASSIGN_OR_RETURN(catalog::EntityRecord was, a->catalog().Entity(w.event));
      std::vector<std::string> given = documents;  // in any order
      std::sort(held.begin(), held.end());
      std::sort(given.begin(), given.end());
      Json described = Json::object();
      for (const auto& [lang, text] : was.descriptions) described[lang] = text;
      if (held != given || described != body.value("description", Json::object())) continue;
      return core::AlreadyExists(fmt::format(
          "{} {} on {} with these documents is {}, withdrawn by log entry {} ({}): \"{}\"; nothing "
          "was recorded. To record it again all the same, add --new",
          case_id, event, o.date, w.event, w.leaf_index, w.time, Printable(w.reason)));
    }
  }
  // A document that is not one of the case's exhibits goes into the case's exports
  // as this event's document: said, since it may be one the case keeps back.
  if (!documents.empty()) {
    ISNAD_ASSIGN_OR_RETURN(catalog::EntityRecord kase, a->catalog().Entity(case_id));
    for (const std::string& d : documents) {
      if (std::find(kase.items.begin(), kase.items.end(), d) != kase.items.end()) continue;
      PendingNotes().push_back(fmt::format(
          "note: {} is not an exhibit of {}; as this event's document it goes into the case's "
          "exports (`isnad export --case {}`)",
          Named(a->catalog(), d), case_id, case_id));
    }
  }
  ISNAD_ASSIGN_OR_RETURN(uint64_t leaf, RecordBodies(*a, {body}));
  std::string id = catalog::EntityId(EntityKind::kCaseEvent, leaf);
  if (!type_note.empty()) fmt::print(stderr, "{}\n", type_note);
  if (g.json) {
    PrintJsonLine({{"type", std::string(catalog::kCaseEvent)},
                   {"leaf_index", leaf},
                   {"id", id},
                   {"case", case_id},
                   {"event", event},
                   {"date", o.date}});
    return Status::Ok();
  }
  fmt::print("Recorded {} {} on {} in {} (log entry {}).\n", event, id, o.date,
             Named(a->catalog(), case_id), leaf);
  return Status::Ok();
}

// case.event_withdrawn: an event recorded by mistake (a wrong date, type or
// document) taken back with the reason; the case.event entry stays in the log.
// The right one is then recorded anew with `isnad case event`.
Status CaseEventWithdraw(const Globals& g, const RelationRefOptions& o) {
  if (catalog::IsBlank(o.reason)) {
    return core::InvalidArgument(
        "--reason is blank: say why the event is withdrawn (it is kept in the custody log)");
  }
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForWrite(g));
  const catalog::Catalog& c = a->catalog();
  const std::string given = core::AsciiLower(o.ref);  // "EV20", as a printout may have it
  if (!given.empty() && given.find_first_not_of("0123456789") == std::string::npos) {
    // A bare number: which event it would be is said, not guessed (a withdrawal stays).
    std::string would = "ev" + given;
    auto ev = c.Entity(would);
    return core::InvalidArgument(fmt::format(
        "EVENT is a case event's id, which starts with ev, not the number \"{}\"{}; nothing "
        "was written",
        Printable(o.ref),
        ev.ok() && ev->kind == EntityKind::kCaseEvent
            ? fmt::format(": did you mean {} ({} on {} in {})?", would, ev->category, ev->date,
                          ev->owner)
            : ""));
  }
  auto ref = catalog::ParseEntityId(given);
  if (ref.has_value() && ref->kind == EntityKind::kCase) {
    // A case given: its events, to pick from.
    auto events = CaseEvents(c, given);
    std::string list;
    if (events.ok()) {
      for (const auto& ev : *events) {
        list += fmt::format("{}{} {} on {}", list.empty() ? "" : "; ", ev.id, ev.category, ev.date);
      }
    }
    return core::InvalidArgument(
        fmt::format("EVENT is a case event's id, not a case's; the events of {} are: {}", given,
                    list.empty() ? "none" : list));
  }
  if (!ref.has_value() || ref->kind != EntityKind::kCaseEvent) {
    return core::InvalidArgument(fmt::format(
        "EVENT is a case event's id, such as ev20 (`isnad case show CASE` lists them), not "
        "\"{}\"",
        Printable(o.ref)));
  }
  ISNAD_ASSIGN_OR_RETURN(EntityRecord ev, c.Entity(given));
  if (!ev.events_withdrawn.empty()) {
    const auto& w = ev.events_withdrawn.front();
    return core::FailedPrecondition(
        fmt::format("{} was withdrawn already by log entry {} ({}): {}; nothing was written", ev.id,
                    w.leaf_index, w.time, Printable(w.reason)));
  }
  Json body{
      {"type", std::string(catalog::kCaseEventWithdrawn)}, {"event", ev.id}, {"reason", o.reason}};
  ISNAD_ASSIGN_OR_RETURN(uint64_t leaf, RecordBodies(*a, {body}));
  if (g.json) {
    PrintJsonLine({{"type", std::string(catalog::kCaseEventWithdrawn)},
                   {"leaf_index", leaf},
                   {"event", ev.id},
                   {"case", ev.owner},
                   {"reason", o.reason}});
    return Status::Ok();
  }
  fmt::print(
      "Withdrew {}: {} on {} in {} (log entry {}); the event stays in the custody log. Record "
      "the right one with `isnad case event {} --type ... --date ...`.\n",
      ev.id, ev.category, ev.date, Named(c, ev.owner), leaf, ev.owner);
  return Status::Ok();
}

// ---------------------------------------------------------------- timeline

Status Timeline(const Globals& g, const ShowOptions& o) {
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForRead(g));
  ISNAD_ASSIGN_OR_RETURN(
      std::string id,
      ResolveOneOf(*a, {EntityKind::kIncident, EntityKind::kCase, EntityKind::kActor}, o.ref));
  ISNAD_ASSIGN_OR_RETURN(std::vector<catalog::TimelineEvent> events, a->catalog().Timeline(id));
  for (const auto& e : events) {
    if (g.json) {
      Json j{{"date", e.date}, {"what", e.what}, {"id", e.id}, {"sources", StringsJson(e.sources)}};
      if (!e.confidence.empty()) j["confidence"] = StringsJson(e.confidence);
      if (!e.status.empty()) j["status"] = e.status;
      PrintJsonLine(j);
      continue;
    }
    // A claim's sources with how far each bears it out; an item's review status, so
    // that a disputed item does not read like a verified one.
    std::string sources;
    for (size_t k = 0; k < e.sources.size(); ++k) {
      sources += (sources.empty() ? "" : ", ") + e.sources[k];
      if (k < e.confidence.size()) sources += " (" + e.confidence[k] + ")";
    }
    fmt::print("{:<23} {}  [{}]{}{}\n", e.date.empty() ? "-" : e.date, Printable(e.what), e.id,
               e.status.empty() ? "" : "  " + e.status,
               sources.empty() || e.sources == std::vector<std::string>{e.id}
                   ? ""
                   : "  sources: " + sources);
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- search

struct SearchOptions {
  std::string old_captured_from, old_captured_to;  // --captured-*: refused
  std::string query, kind, event_from, event_to, captured_from, captured_to, taken_from, taken_to,
      near, place, incident, actor, case_ref, media_type, status;
  std::vector<std::string> tags;
  double radius_km = 0;
  uint64_t limit = 20, offset = 0;
  bool facets = false;
  bool as_written = false;
};

// "33.5376,36.3558" -> lat, lon as given.
Status ParseNear(const std::string& near, std::string* lat, std::string* lon) {
  size_t comma = near.find(',');
  auto trim = [](std::string s) {
    size_t b = s.find_first_not_of(' '), e = s.find_last_not_of(' ');
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  auto number = [](const std::string& s, double limit) {
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return !s.empty() && ec == std::errc() && end == s.data() + s.size() && v >= -limit &&
           v <= limit;
  };
  if (comma != std::string::npos) {
    *lat = trim(near.substr(0, comma));
    *lon = trim(near.substr(comma + 1));
    if (number(*lat, 90) && number(*lon, 180)) return Status::Ok();
  }
  return core::InvalidArgument(fmt::format(
      "--near \"{}\" must be LAT,LON in decimal degrees, e.g. 33.5376,36.3558", Printable(near)));
}

Status Search(const Globals& g, const SearchOptions& o) {
  catalog::SearchRequest req;
  req.query = o.query;
  if (!o.kind.empty()) {
    static const std::set<std::string> kKinds = {"item", "place", "incident", "actor", "case"};
    if (!kKinds.contains(o.kind)) {
      return core::InvalidArgument(fmt::format(
          "--kind \"{}\" must be item, place, incident, actor or case", Printable(o.kind)));
    }
    req.kind = o.kind;
  }
  ISNAD_RETURN_IF_ERROR(CheckDay("--event-from", o.event_from));
  ISNAD_RETURN_IF_ERROR(CheckDay("--event-to", o.event_to));
  ISNAD_RETURN_IF_ERROR(CheckDay("--ingested-from", o.captured_from));
  ISNAD_RETURN_IF_ERROR(CheckDay("--ingested-to", o.captured_to));
  ISNAD_RETURN_IF_ERROR(CheckDay("--taken-from", o.taken_from));
  ISNAD_RETURN_IF_ERROR(CheckDay("--taken-to", o.taken_to));
  // "captured" was the old name of --ingested-*, but `show` says "captured at" for the
  // file's own clock (--taken-*): which one is meant cannot be told.
  for (const auto& [given, flag] :
       {std::pair<const std::string&, const char*>{o.old_captured_from, "from"},
        {o.old_captured_to, "to"}}) {
    if (given.empty()) continue;
    return core::InvalidArgument(fmt::format(
        "--captured-{} is no longer taken, since it could mean either of two dates: give "
        "--ingested-{} (when the item was added to the archive) or --taken-{} (when its file "
        "says the picture or video was made, as `show` gives it); nothing was searched",
        flag, flag, flag));
  }
  // A reversed range is a slip: for an ingest or capture time (one moment) nothing can
  // match, and for event dates (ranges, matched by overlap) it would find only the
  // items whose dates span both days.
  for (const auto& [from, to, what] :
       {std::tuple<const std::string&, const std::string&, const char*>{o.captured_from,
                                                                        o.captured_to, "ingested"},
        {o.taken_from, o.taken_to, "taken"},
        {o.event_from, o.event_to, "event"}}) {
    if (!from.empty() && !to.empty() &&
        catalog::ParseEventDate(from)->lo > catalog::ParseEventDate(to)->hi) {
      return core::InvalidArgument(
          fmt::format("--{}-from {} is after --{}-to {}: give the earlier day first", what,
                      Printable(from), what, Printable(to)));
    }
  }
  req.event_from = o.event_from;
  req.event_to = o.event_to;
  req.captured_from = o.captured_from;
  req.captured_to = o.captured_to;
  req.taken_from = o.taken_from;
  req.taken_to = o.taken_to;
  // --near LAT,LON, or a place with coordinates (read once the archive is open).
  bool near_a_place = false;
  if (!o.near.empty()) {
    if (Status numbers = ParseNear(o.near, &req.near_lat, &req.near_lon); !numbers.ok()) {
      if (o.near.find(',') != std::string::npos ||
          o.near.find_first_not_of(" 0123456789.-") == std::string::npos) {
        return numbers;
      }
      near_a_place = true;
    }
    if (!(o.radius_km > 0) || !std::isfinite(o.radius_km)) {
      return core::InvalidArgument("--near needs --radius-km, a distance above 0 in km");
    }
    req.radius_km = o.radius_km;
  } else if (o.radius_km != 0) {
    return core::InvalidArgument("--radius-km goes with --near LAT,LON");
  }
  if (!o.status.empty()) {
    const std::string status = core::AsciiLower(o.status);  // "Verified" as in review
    if (status != "unreviewed" && status != "verified" && status != "disputed" &&
        status != "rejected") {
      return core::InvalidArgument(
          fmt::format("--status \"{}\" must be unreviewed, verified, disputed or rejected",
                      Printable(o.status)));
    }
    req.status = status;
  }
  req.media_type = o.media_type;
  req.tags = Tags(o.tags);
  req.limit = o.limit;
  req.offset = o.offset;
  req.facets = o.facets;
  req.as_written = o.as_written;
  ISNAD_ASSIGN_OR_RETURN(ArchivePtr a, OpenForRead(g));
  const catalog::Catalog& c = a->catalog();
  if (!o.incident.empty()) {
    ISNAD_ASSIGN_OR_RETURN(req.incident, c.ResolveRef(EntityKind::kIncident, o.incident));
  }
  if (!o.actor.empty()) {
    ISNAD_ASSIGN_OR_RETURN(req.actor, c.ResolveRef(EntityKind::kActor, o.actor));
  }
  if (!o.case_ref.empty()) {
    ISNAD_ASSIGN_OR_RETURN(req.case_id, c.ResolveRef(EntityKind::kCase, o.case_ref));
  }
  if (!o.place.empty()) {
    ISNAD_ASSIGN_OR_RETURN(req.place, c.ResolveRef(EntityKind::kPlace, o.place));
  }
  if (near_a_place) {
    ISNAD_ASSIGN_OR_RETURN(std::string place, c.ResolveRef(EntityKind::kPlace, o.near));
    ISNAD_ASSIGN_OR_RETURN(EntityRecord p, c.Entity(place));
    if (p.lat.empty()) {
      return core::InvalidArgument(fmt::format(
          "--near {}: {} has no coordinates; give LAT,LON, or search within it with --place {}",
          Printable(o.near), Named(c, place), place));
    }
    req.near_lat = p.lat;
    req.near_lon = p.lon;
  }
  ISNAD_ASSIGN_OR_RETURN(catalog::SearchResult result, c.Search(req));
  if (result.total == 0 && !near_a_place && !req.near_lat.empty()) {
    // Longitude first by mistake (36.36,33.54 for Ghouta) finds nothing, silently.
    catalog::SearchRequest swapped = req;
    std::swap(swapped.near_lat, swapped.near_lon);
    swapped.limit = 1;
    swapped.facets = false;
    double lat = 0;
    const auto [end, ec] = std::from_chars(swapped.near_lat.data(),
                                           swapped.near_lat.data() + swapped.near_lat.size(), lat);
    if (ec == std::errc() && lat >= -90 && lat <= 90) {
      if (auto other = c.Search(swapped); other.ok() && other->total > 0) {
        PendingNotes().push_back(fmt::format(
            "note: nothing within {} km of {},{}, but {} hit(s) with the two numbers the other "
            "way round: --near is LAT,LON, latitude first (--near {},{})",
            req.radius_km, req.near_lat, req.near_lon, other->total, swapped.near_lat,
            swapped.near_lon));
      }
    }
  }
  if (g.json) {
    for (const auto& h : result.hits) {
      PrintJsonLine({{"id", h.id},
                     {"kind", h.kind},
                     {"name", h.name},
                     {"score", h.score},
                     {"snippet", h.snippet}});
    }
    if (o.facets) {
      Json facets = Json::object();
      for (const auto& [facet, counts] : result.facets) {
        Json values = Json::object();
        for (const auto& [value, n] : counts) values[value] = n;
        facets[facet] = values;
      }
      PrintJsonLine(
          {{"facets", facets}, {"total", result.total}, {"total_capped", result.total_capped}});
    }
    return Status::Ok();
  }
  for (const auto& h : result.hits) {
    fmt::print("{:<8} {:<9} {:>8.3f}  {}\n", h.id, h.kind, h.score, Printable(h.name));
    if (!h.snippet.empty()) fmt::print("{:<29}{}\n", "", Printable(h.snippet));
  }
  uint64_t first = result.hits.empty() ? 0 : o.offset + 1;
  fmt::print("{}{} hit(s){}\n", result.total, result.total_capped ? "+" : "",
             result.hits.empty()
                 ? ""
                 : fmt::format(", showing {}-{}", first, o.offset + result.hits.size()));
  if (!req.as_written && !result.total_capped && result.total > 0 && !req.query.empty()) {
    // Hits found only through a spelling variant or another script ("Syrian"
    // for sarin: one key) are counted, so that a reader knows the way out.
    catalog::SearchRequest written = req;
    written.as_written = true;
    written.facets = false;
    written.limit = 1;
    written.offset = 0;
    auto narrower = c.Search(written);
    if (narrower.ok() && narrower->total < result.total) {
      fmt::print(
          "{} of these match only through a spelling variant or another script (as Zamalka finds "
          "زملكا); --as-written leaves them out\n",
          result.total - narrower->total);
    }
  }
  if (o.facets) {
    fmt::print("facets:\n");
    for (const auto& [facet, counts] : result.facets) {
      std::string line;
      for (const auto& [value, n] : counts) {
        line += fmt::format("{}{} {}", line.empty() ? "" : ", ", Printable(value), n);
      }
      fmt::print("  {:<11} {}\n", facet, line);
    }
  }
  return Status::Ok();
}

}  // namespace

void RegisterGraphCommands(CLI::App& app, const Globals& g, Commands& out) {
  const std::vector<std::string> kStatuses = {"verified", "disputed", "rejected", "unreviewed"};
  const std::string kDateHelp = "YYYY, YYYY-MM, YYYY-MM-DD or A/B; ~ approximate, ? uncertain";

  // ---- describe
  {
    auto o = std::make_shared<DescribeOptions>();
    auto* c = app.add_subcommand("describe", "record what an item shows: title, date, place");
    c->add_option("item", o->item, "item id (i42) or a sha256 prefix of 12+ hex digits")
        ->required();
    c->add_option("--title", o->title, "title, in --lang");
    c->add_option("--description", o->description, "description, in --lang");
    c->add_option("--lang", o->lang, "language of --title and --description (default en)");
    c->add_option("--date", o->date, "when what it shows happened: " + kDateHelp);
    c->add_option("--place", o->place, "where: a place id (pl7) or a place's name in any script");
    c->add_option("--lat", o->lat, "latitude, decimal degrees (with --lon)");
    c->add_option("--lon", o->lon, "longitude, decimal degrees (with --lat)");
    Example(c,
            "isnad describe i3 --title \"Victims in Zamalka\" --date 2013-08-21 --place Zamalka\n"
            "  isnad describe i3 --lang ar --title \"الغوطة الشرقية\"");
    Add(out, c, [&g, o] { return Describe(g, *o); });
  }
  // ---- tag
  {
    auto o = std::make_shared<TagOptions>();
    auto* c = app.add_subcommand("tag", "add tags to an item, or remove them (--remove)");
    c->add_option("item", o->item, "item id or sha256 prefix")->required();
    c->add_option("tags", o->tags, "tags")->required();
    c->add_flag("--remove", o->remove, "remove these tags instead of adding them");
    Example(c, "isnad tag i3 sarin victims   # isnad tag i3 victims --remove");
    Add(out, c, [&g, o] { return Tag(g, *o); });
  }
  // ---- review
  {
    auto o = std::make_shared<ReviewOptions>();
    auto* c = app.add_subcommand("review", "record an item's verification status and why");
    c->add_option("item", o->item, "item id or sha256 prefix")->required();
    c->add_option("--status", o->status, "verified, disputed, rejected or unreviewed")
        ->required()
        ->transform(CLI::IsMember(kStatuses, CLI::ignore_case));
    c->add_option("--reason", o->reason, "why: what was checked, by what means")->required();
    Example(c,
            "isnad review i3 --status verified --reason \"geolocated to Zamalka; shadows match "
            "early morning\"");
    Add(out, c, [&g, o] { return Review(g, *o); });
  }
  // ---- derive
  {
    auto o = std::make_shared<DeriveOptions>();
    auto* c = app.add_subcommand(
        "derive", "record that an item is a working copy (transcoded, cropped) of an original");
    c->add_option("copy", o->copy, "the working copy: item id or sha256 prefix")->required();
    c->add_option("--from", o->original, "the evidentiary original: item id or sha256 prefix")
        ->required();
    Example(c, "isnad derive i7 --from i3");
    Add(out, c, [&g, o] { return Derive(g, *o); });
  }
  // ---- place
  {
    auto* place = app.add_subcommand("place", "places: add, ls");
    place->require_subcommand(1);
    Example(place, "isnad place add --name Zamalka --name-ar زملكا --lat 33.5376 --lon 36.3558");
    auto o = std::make_shared<PlaceOptions>();
    auto* add = place->add_subcommand("add", "record a place, its names in several scripts");
    add->add_option("--name", o->name, "name, in --lang");
    add->add_option("--lang", o->lang, "language of --name (default en)");
    add->add_option("--name-ar", o->name_ar, "name in Arabic");
    add->add_option("--variant", o->variants, "another spelling (repeatable)");
    add->add_option("--lat", o->lat, "latitude, decimal degrees (with --lon)");
    add->add_option("--lon", o->lon, "longitude, decimal degrees (with --lat)");
    add->add_option("--within", o->within, "the place that contains it (id or name)");
    add->add_flag("--new", o->anyway,
                  "record it even though a place of that name is already recorded (refused "
                  "otherwise: a command run twice would record it twice)");
    Example(add,
            "isnad place add --name Zamalka --name-ar زملكا --variant \"Zamalka'a\" --lat 33.5376 "
            "--lon 36.3558 --within \"Eastern Ghouta\"");
    Add(out, add, [&g, o] { return PlaceAdd(g, *o); });
    auto* ls = place->add_subcommand("ls", "list places");
    Example(ls, "isnad place ls --json");
    Add(out, ls, [&g] { return PlaceLs(g); });
    place->fallthrough();
  }
  // ---- incident
  {
    auto* incident = app.add_subcommand("incident", "incidents: add, ls, show, link, unlink");
    incident->require_subcommand(1);
    Example(incident, "isnad incident show inc5");
    auto o = std::make_shared<IncidentOptions>();
    auto* add = incident->add_subcommand("add", "record an incident");
    add->add_option("--title", o->title, "title, in --lang");
    add->add_option("--lang", o->lang, "language of --title and --description (default en)");
    add->add_option("--title-ar", o->title_ar, "title in Arabic");
    add->add_option("--type", o->type, "category, e.g. \"chemical attack\"");
    add->add_option("--date", o->date, "when: " + kDateHelp);
    add->add_option("--place", o->places, "where: place id or name (repeatable)");
    add->add_flag("--new", o->anyway,
                  "record it even though an incident of that title is already recorded (refused "
                  "otherwise: a command run twice would record it twice)");
    add->add_option("--description", o->description, "description, in --lang");
    Example(add,
            "isnad incident add --title \"Chemical attack on Eastern Ghouta\" --type \"chemical "
            "attack\" --date 2013-08-21 --place Zamalka --place \"Ein Tarma\"");
    Add(out, add, [&g, o] { return IncidentAdd(g, *o); });
    auto* ls = incident->add_subcommand("ls", "list incidents");
    Example(ls, "isnad incident ls");
    Add(out, ls, [&g] { return IncidentLs(g); });
    auto so = std::make_shared<ShowOptions>();
    auto* show = incident->add_subcommand(
        "show", "an incident: title, date, places, items, relations, warnings");
    show->add_option("incident", so->ref, "incident id (inc5) or its title")->required();
    Example(show, "isnad incident show inc5 --json");
    Add(out, show, [&g, so] { return IncidentShow(g, *so); });
    auto lo = std::make_shared<LinkOptions>();
    auto* link = incident->add_subcommand("link", "link items to an incident");
    link->add_option("incident", lo->target, "incident id or title")->required();
    link->add_option("items", lo->items, "item ids or sha256 prefixes")->required();
    Example(link, "isnad incident link inc5 i3 i4 i7");
    Add(out, link, [&g, lo] { return Link(g, *lo, EntityKind::kIncident); });
    auto uo = std::make_shared<UnlinkOptions>();
    auto* unlink = incident->add_subcommand(
        "unlink", "take items out of an incident (a correction; the link stays in the log)");
    unlink->add_option("incident", uo->target, "incident id or title")->required();
    unlink->add_option("items", uo->items, "item ids or sha256 prefixes")->required();
    unlink->add_option("--reason", uo->reason, "why (kept in the custody log)")->required();
    Example(unlink, "isnad incident unlink inc5 i7 --reason \"filmed in 2012, not this attack\"");
    Add(out, unlink, [&g, uo] { return Unlink(g, *uo, EntityKind::kIncident); });
    incident->fallthrough();
  }
  // ---- actor
  {
    auto* actor = app.add_subcommand("actor", "people, units, organisations: add, ls, show, chain");
    actor->require_subcommand(1);
    Example(actor, "isnad actor show \"155th Missile Brigade\"");
    auto o = std::make_shared<ActorOptions>();
    auto* add = actor->add_subcommand("add", "record a person, unit or organisation");
    add->add_option("--type", o->type, "person, unit or organisation")->required();
    add->add_option("--name", o->name, "name, in --lang");
    add->add_option("--lang", o->lang, "language of --name and --description (default en)");
    add->add_option("--name-ar", o->name_ar, "name in Arabic");
    add->add_option("--variant", o->variants, "another spelling (repeatable)");
    add->add_flag("--new", o->anyway,
                  "record it even though an actor of that name is already recorded (refused "
                  "otherwise: a command run twice would record it twice)");
    add->add_option("--description", o->description, "description, in --lang");
    Example(add,
            "isnad actor add --type unit --name \"155th Missile Brigade\" --name-ar \"اللواء "
            "155\"");
    Add(out, add, [&g, o] { return ActorAdd(g, *o); });
    auto* ls = actor->add_subcommand("ls", "list actors");
    Example(ls, "isnad actor ls --json");
    Add(out, ls, [&g] { return ActorLs(g); });
    auto so = std::make_shared<ShowOptions>();
    auto* show = actor->add_subcommand(
        "show", "an actor: names, relations both ways with sources and confidence, warnings");
    show->add_option("actor", so->ref, "actor id (ac9) or a name in any script")->required();
    Example(show, "isnad actor show ac9");
    Add(out, show, [&g, so] { return ActorShow(g, *so); });
    auto co = std::make_shared<ChainOptions>();
    auto* chain = actor->add_subcommand(
        "chain",
        "the chain of command above an actor: superiors, commanders, bodies it belongs to, "
        "and theirs, each claim with its period and sources");
    chain->add_option("actor", co->ref, "actor id (ac9) or a name in any script")->required();
    chain->add_option("--at", co->at,
                      "only claims whose period may include this date: " + kDateHelp);
    Example(chain, "isnad actor chain \"155th Missile Brigade\" --at 2013-08-21");
    Add(out, chain, [&g, co] { return ActorChain(g, *co); });
    actor->fallthrough();
  }
  // ---- relation
  {
    auto* relation =
        app.add_subcommand("relation", "relations between actors: add, ls, show, withdraw");
    relation->require_subcommand(1);
    Example(relation, "isnad relation add ac9 subordinate_of ac4 --source i3");
    auto o = std::make_shared<RelationOptions>();
    auto* add = relation->add_subcommand(
        "add",
        "record that SUBJECT PREDICATE OBJECT, as sources say (cycles and contradicting dates "
        "are recorded, with a warning)");
    add->add_option("subject", o->subject, "an actor: id or name")->required();
    add->add_option("predicate", o->predicate,
                    "commands, member_of, subordinate_of, present_at, responsible_for, or any "
                    "lower-case word")
        ->required();
    add->add_option("object", o->object, "an actor; an incident for present_at and responsible_for")
        ->required();
    add->add_option("--from", o->from, "since when: " + kDateHelp);
    add->add_option("--to", o->to, "until when: " + kDateHelp);
    add->add_option("--source", o->sources,
                    "an item backing it, ITEM or ITEM:low|medium|high (repeatable, at least one)")
        ->required();
    add->add_option("--confidence", o->confidence,
                    "how far the sources bear it out: low, medium (default), high")
        ->check(CLI::IsMember({"low", "medium", "high"}));
    add->add_flag("--new-type", o->new_type,
                  "PREDICATE is a new type, though close to a known one (otherwise refused as "
                  "a likely slip)");
    add->add_flag("--new", o->anyway,
                  "record it even though the same claim from the same sources stands (refused "
                  "otherwise: a command run twice would record it twice)");
    Example(add,
            "isnad relation add \"155th Missile Brigade\" present_at inc5 --from 2013-08-21 "
            "--source i3 --confidence low");
    Add(out, add, [&g, o] { return RelationAdd(g, *o); });
    auto lo = std::make_shared<std::string>();
    auto* ls = relation->add_subcommand(
        "ls", "list relations not withdrawn: all, or those of one actor or incident");
    ls->add_option("of", *lo, "an actor or incident: id or name (default: every relation)");
    Example(ls, "isnad relation ls \"155th Missile Brigade\"");
    Add(out, ls, [&g, lo] { return RelationLs(g, *lo); });
    auto ro = std::make_shared<RelationRefOptions>();
    auto* show =
        relation->add_subcommand("show", "show a relation: the claim, its sources, warnings");
    show->add_option("relation", ro->ref, "relation id, e.g. rel12")->required();
    Example(show, "isnad relation show rel12");
    Add(out, show, [&g, ro] { return RelationShow(g, *ro); });
    auto wo = std::make_shared<RelationRefOptions>();
    auto* withdraw = relation->add_subcommand(
        "withdraw", "take a claim back (a correction; the claim stays in the log), with why");
    withdraw->add_option("relation", wo->ref, "relation id, e.g. rel12")->required();
    withdraw->add_option("--reason", wo->reason, "why (kept in the custody log)")->required();
    Example(withdraw,
            "isnad relation withdraw rel12 --reason \"the source names the 104th Brigade, not the "
            "105th\"");
    Add(out, withdraw, [&g, wo] { return RelationWithdraw(g, *wo); });
    relation->fallthrough();
  }
  // ---- case
  {
    auto* kase = app.add_subcommand(
        "case", "legal cases: add, ls, show, event, withdraw-event, link, unlink");
    kase->require_subcommand(1);
    Example(kase, "isnad case show case12");
    auto o = std::make_shared<CaseOptions>();
    auto* add = kase->add_subcommand("add", "record a legal case");
    add->add_option("--title", o->title, "title, in --lang");
    add->add_option("--lang", o->lang, "language of --title and --description (default en)");
    add->add_option("--title-ar", o->title_ar, "title in Arabic");
    add->add_option("--jurisdiction", o->jurisdiction, "court or jurisdiction");
    add->add_option("--description", o->description, "description, in --lang");
    add->add_option("--party", o->parties,
                    "ACTOR:ROLE, e.g. ac9:complainant (repeatable); roles: complainant, accused, "
                    "civil_party, victim, witness, ... or your own");
    add->add_flag("--new-role", o->new_role,
                  "a --party role close to a known one is meant as given (otherwise refused as a "
                  "likely slip)");
    add->add_flag("--new", o->anyway,
                  "record it even though a case of that title is already recorded (refused "
                  "otherwise: a command run twice would record it twice)");
    Example(add,
            "isnad case add --title \"Ghouta complaint\" --jurisdiction \"France (Paris)\" "
            "--party \"Syrian Center for Media:complainant\"");
    Add(out, add, [&g, o] { return CaseAdd(g, *o); });
    auto* ls = kase->add_subcommand("ls", "list cases");
    Example(ls, "isnad case ls");
    Add(out, ls, [&g] { return CaseLs(g); });
    auto so = std::make_shared<ShowOptions>();
    auto* show = kase->add_subcommand(
        "show", "a case: parties, events in date order with their documents, exhibits");
    show->add_option("case", so->ref, "case id (case12) or its title")->required();
    Example(show, "isnad case show case12 --json");
    Add(out, show, [&g, so] { return CaseShow(g, *so); });
    auto eo = std::make_shared<CaseEventOptions>();
    auto* event = kase->add_subcommand("event", "record an event in a case");
    event->add_option("case", eo->target, "case id or title")->required();
    event
        ->add_option("--type", eo->type,
                     "complaint, investigation, warrant, appeal, ruling, cassation request, ...")
        ->required();
    event->add_option("--date", eo->date, "when: " + kDateHelp)->required();
    event->add_option("--description", eo->description, "description, in --lang");
    event->add_option("--lang", eo->lang, "language of --description (default en)");
    event->add_option("--document", eo->documents, "an item that documents it (repeatable)");
    event->add_flag("--new-type", eo->new_type,
                    "--type is a new type, though close to a known one (otherwise refused as a "
                    "likely slip)");
    event->add_flag("--new", eo->anyway,
                    "record it even though the same event (type, date, description, documents) "
                    "is recorded (refused otherwise: a command run twice would record it twice)");
    Example(event,
            "isnad case event case12 --type warrant --date 2023-11-15 --document i20 "
            "--description \"arrest warrants issued\"");
    Add(out, event, [&g, eo] { return CaseEventAdd(g, *eo); });
    auto wo = std::make_shared<RelationRefOptions>();
    auto* withdraw = kase->add_subcommand(
        "withdraw-event",
        "take back an event recorded by mistake (a correction; it stays in the log), with why");
    withdraw->add_option("event", wo->ref, "case event id, e.g. ev20 (case show lists them)")
        ->required();
    withdraw
        ->add_option("--reason", wo->reason,
                     "why (kept in the custody log, and shown in the case's exports: anyone given "
                     "the package reads it)")
        ->required();
    Example(withdraw,
            "isnad case withdraw-event ev20 --reason \"wrong date: the warrant was issued on "
            "2023-11-15\"");
    Add(out, withdraw, [&g, wo] { return CaseEventWithdraw(g, *wo); });
    auto lo = std::make_shared<LinkOptions>();
    auto* link = kase->add_subcommand("link", "add items to a case as exhibits");
    link->add_option("case", lo->target, "case id or title")->required();
    link->add_option("items", lo->items, "item ids or sha256 prefixes")->required();
    Example(link, "isnad case link case12 i3 i4");
    Add(out, link, [&g, lo] { return Link(g, *lo, EntityKind::kCase); });
    auto uo = std::make_shared<UnlinkOptions>();
    auto* unlink = kase->add_subcommand(
        "unlink", "withdraw exhibits from a case (a correction; the link stays in the log)");
    unlink->add_option("case", uo->target, "case id or title")->required();
    unlink->add_option("items", uo->items, "item ids or sha256 prefixes")->required();
    unlink->add_option("--reason", uo->reason, "why (kept in the custody log)")->required();
    Example(unlink, "isnad case unlink case12 i4 --reason \"duplicate of i3\"");
    Add(out, unlink, [&g, uo] { return Unlink(g, *uo, EntityKind::kCase); });
    kase->fallthrough();
  }
  // ---- timeline
  {
    auto o = std::make_shared<ShowOptions>();
    auto* c = app.add_subcommand(
        "timeline", "what happened, in date order, for an incident, case or actor, with sources");
    c->add_option("of", o->ref, "incident, case or actor: id or name")->required();
    Example(c, "isnad timeline \"155th Missile Brigade\" --json");
    Add(out, c, [&g, o] { return Timeline(g, *o); });
  }
  // ---- search
  {
    auto o = std::make_shared<SearchOptions>();
    auto* c = app.add_subcommand(
        "search",
        "full-text search (Arabic and English, spelling variants folded) with filters and facets");
    c->add_option("query", o->query,
                  "words, \"a phrase\", OR, -word, prefix*; empty: everything the filters allow");
    c->add_option("--kind", o->kind, "item, place, incident, actor or case");
    c->add_option("--event-from", o->event_from,
                  "items whose event date reaches this day or later");
    c->add_option("--event-to", o->event_to, "items whose event date begins this day or earlier");
    c->add_option("--ingested-from", o->captured_from,
                  "items added to the archive on or after (YYYY-MM-DD)");
    c->add_option("--ingested-to", o->captured_to,
                  "items added to the archive on or before (YYYY-MM-DD)");
    // The old names of --ingested-*, refused with what to give instead.
    c->add_option("--captured-from", o->old_captured_from)->group("");
    c->add_option("--captured-to", o->old_captured_to)->group("");
    c->add_option("--taken-from", o->taken_from,
                  "items whose file says it was made on or after (YYYY-MM-DD: a picture's or "
                  "video's capture time, a PDF's creation date; "
                  "the file's own clock, read by analysis)");
    c->add_option("--taken-to", o->taken_to,
                  "items whose file says it was made on or before (YYYY-MM-DD)");
    c->add_option("--near", o->near,
                  "LAT,LON, or a place with coordinates: items described at a place or point "
                  "near there, or whose file gives its GPS there (analyze)");
    c->add_option("--radius-km", o->radius_km, "with --near: how far, in km");
    c->add_option("--incident", o->incident, "items linked to this incident (id or title)");
    c->add_option("--actor", o->actor, "items backing relations of this actor (id or name)");
    c->add_option("--case", o->case_ref, "items used in this case (id or title)");
    c->add_option("--tag", o->tags, "items with this tag (repeatable: all of them)");
    c->add_option("--type", o->media_type, "media type, exact or \"image/*\"");
    c->add_option("--status", o->status, "verified, disputed, rejected or unreviewed");
    c->add_option("--limit", o->limit, "at most this many hits (default 20)")
        ->check(CLI::Range(1, 100000));
    c->add_option("--offset", o->offset, "skip this many hits first");
    c->add_option("--place", o->place,
                  "items placed at this place or any place within it, or linked to an incident "
                  "there (id or name)");
    c->add_flag("--facets", o->facets, "also count hits by kind, media type, tag and status");
    c->add_flag("--as-written", o->as_written,
                "match words as written and their word forms only: no spelling variants or "
                "other scripts (sarin then does not find Syrian, nor Zamalka زملكا)");
    Example(c,
            "isnad search \"غوطه sarin\" --kind item --event-from 2013-08 --near 33.54,36.36 "
            "--radius-km 5 --facets");
    Add(out, c, [&g, o] { return Search(g, *o); });
  }
}

}  // namespace isnad::cli
