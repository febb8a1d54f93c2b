#include "archive/import.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "catalog/catalog.h"
#include "catalog/entries.h"
#include "core/canonical_json.h"
#include "core/digest.h"
#include "core/spelling.h"
#include "core/utf8.h"

namespace isnad::archive {

// ------------------------------------------------------------------ CSV

std::vector<CsvRecord> ParseCsv(std::string_view text, std::vector<ImportProblem>* problems) {
  std::vector<CsvRecord> out;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  auto problem = [problems](uint64_t row, size_t col, std::string what) {
    problems->push_back({row, "#" + std::to_string(col), std::move(what)});
  };
  size_t i = 0;
  uint64_t row = 0;
  while (i < text.size()) {
    CsvRecord rec;
    rec.row = ++row;
    bool bad = false;
    bool quoted_any = false;
    while (true) {  // one field per turn
      std::string field;
      const size_t col = rec.fields.size() + 1;
      if (i < text.size() && text[i] == '"') {
        quoted_any = true;
        const uint64_t opened_row = row;
        ++i;
        bool closed = false;
        while (i < text.size()) {
          if (text[i] == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            closed = true;
            break;
          }
          field += text[i++];
        }
        if (!closed) {
          problem(opened_row, col,
                  "the quoted field opened here is never closed (a '\"' is missing; it runs to "
                  "the end of the file)");
          return out;
        }
        if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          problem(row, col,
                  "text after the closing quote; inside a quoted field write a quote as \"\"");
          bad = true;
          while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') ++i;
        }
      } else {
        while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          if (text[i] == '"' && !bad) {
            problem(row, col,
                    "a quote inside a field that does not start with one; quote the whole field "
                    "and double the quote (\"a \"\"b\"\" c\")");
            bad = true;
          }
          field += text[i++];
        }
      }
      if (!core::IsValidUtf8(field)) {
        problem(row, col, "is not UTF-8 text (save the file as CSV UTF-8)");
        bad = true;
      }
      rec.fields.push_back(std::move(field));
      if (i >= text.size()) break;
      if (text[i] == ',') {
        ++i;
        continue;
      }
      if (text[i] == '\r') {
        if (i + 1 < text.size() && text[i + 1] == '\n') {
          i += 2;
        } else {
          problem(row, col,
                  "a carriage return (CR) not followed by a line feed; end lines with LF or CRLF");
          bad = true;
          // The rest of the line belongs to this record.
          while (i < text.size() && text[i] != '\n') ++i;
          if (i < text.size()) ++i;
        }
        break;
      }
      ++i;  // '\n'
      break;
    }
    bool blank = rec.fields.size() == 1 && rec.fields[0].empty() && !quoted_any;
    if (!bad && !blank) out.push_back(std::move(rec));
  }
  return out;
}

std::string CsvQuote(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

namespace {

// Whether `text` is apostrophes then a character a spreadsheet starts a formula with.
bool LooksLikeFormula(std::string_view text) {
  size_t i = text.find_first_not_of('\'');
  return i != std::string_view::npos &&
         std::string_view("=+-@\t\r").find(text[i]) != std::string_view::npos;
}

}  // namespace

std::string ToSpreadsheetText(std::string_view text) {
  return LooksLikeFormula(text) ? "'" + std::string(text) : std::string(text);
}

std::string FromSpreadsheetText(std::string_view cell) {
  if (cell.starts_with('\'') && LooksLikeFormula(cell)) cell.remove_prefix(1);
  return std::string(cell);
}

namespace {

namespace fs = std::filesystem;
using catalog::EntityKind;
using core::Json;
using core::Status;
using core::StatusOr;

// Items named by a file that is not ingested yet get dummy ids from here
// while checking (no log comes near 10^15 entries).
constexpr uint64_t kDummyItemBase = 1000000000000000ULL;
// Placeholders in planned bodies: "\x1fP<n>" the file paths_[n], "\x1fE<k>"
// the entity created by body k. Replaced in reference members only.
constexpr char kMark = '\x1f';
// The CSV columns of free text, written with ToSpreadsheetText and read with
// FromSpreadsheetText (the others hold ids, hashes, dates and numbers).
const std::set<std::string> kSpreadsheetTextColumns = {"title", "description", "place",
                                                       "tags",  "incident",    "reason"};

std::string Quote(std::string_view s) {
  constexpr size_t kMax = 80;
  if (s.size() <= kMax) return "\"" + std::string(s) + "\"";
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return "\"" + std::string(s.substr(0, cut)) + "...\"";
}

std::string AKind(EntityKind kind) {
  std::string name(catalog::EntityKindName(kind));
  bool vowel = name[0] == 'a' || name[0] == 'e' || name[0] == 'i' || name[0] == 'o';
  return (vowel ? "an " : "a ") + name;
}

bool Under(const std::string& path, const std::string& root) {
  return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                          (root.back() == '/' || path[root.size()] == '/'));
}

// A byte order mark of UTF-16, as "Unicode text" from a spreadsheet starts.
bool IsUtf16(std::string_view text) {
  return text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF");
}
constexpr std::string_view kUtf16Problem =
    "the file is UTF-16 text (what spreadsheets call \"Unicode text\"), not UTF-8: save it as "
    "\"CSV UTF-8 (comma delimited)\" (or as UTF-8 JSON Lines) and import that";

// CSV header -> member: case, spaces (a no-break space too), tabs, '-' and '_'
// do not matter.
std::string NormaliseHeader(std::string_view h) {
  std::string out;
  for (size_t i = 0; i < h.size(); ++i) {
    const char c = h[i];
    if (c == ' ' || c == '_' || c == '-' || c == '\t') continue;
    if (h.substr(i, 2) == "\xC2\xA0") {  // a no-break space, as spreadsheets paste it
      ++i;
      continue;
    }
    out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  return out;
}

const std::map<std::string, std::string>& CsvColumns();

// The column a header most likely meant: a common other name ("Date",
// "Latitude", "File"), or one a letter or two off a column's name.
std::string LikelyColumn(const std::string& norm) {
  static const std::map<std::string, std::string> kOtherNames = {{"date", "event_date"},
                                                                 {"eventdates", "event_date"},
                                                                 {"when", "event_date"},
                                                                 {"latitude", "lat"},
                                                                 {"longitude", "lon"},
                                                                 {"long", "lon"},
                                                                 {"lng", "lon"},
                                                                 {"file", "path"},
                                                                 {"filename", "path"},
                                                                 {"filepath", "path"},
                                                                 {"link", "url"},
                                                                 {"tag", "tags"},
                                                                 {"keywords", "tags"},
                                                                 {"notes", "note"},
                                                                 {"comment", "note"},
                                                                 {"comments", "note"},
                                                                 {"location", "place"},
                                                                 {"hash", "sha256"},
                                                                 {"caption", "description"},
                                                                 {"name", "title"}};
  if (auto it = kOtherNames.find(norm); it != kOtherNames.end()) return it->second;
  std::vector<std::string> names;
  for (const auto& [n, member] : CsvColumns()) names.push_back(n);
  std::string near = core::Closest(norm, names);
  return near.empty() ? "" : CsvColumns().at(near);
}

const std::map<std::string, std::string>& CsvColumns() {
  static const std::map<std::string, std::string> kColumns = {
      {"path", "path"},
      {"url", "url"},
      {"id", "id"},
      {"sha256", "sha256"},
      {"title", "title"},
      {"description", "description"},
      {"language", "language"},
      {"lang", "lang"},
      {"eventdate", "event_date"},
      {"place", "place"},
      {"lat", "lat"},
      {"lon", "lon"},
      {"tags", "tags"},
      {"removetags", "remove_tags"},
      {"incident", "incident"},
      {"ref", "ref"},
      {"source", "source"},
      {"note", "note"},
      {"original", "original"},
      {"status", "status"},
      {"reason", "reason"},
  };
  return kColumns;
}

const std::set<std::string>& ItemMembers() {
  static const std::set<std::string> kMembers = {
      "kind",     "ref",    "path",       "url",      "id",     "sha256", "title", "description",
      "language", "lang",   "event_date", "place",    "lat",    "lon",    "tags",  "remove_tags",
      "incident", "source", "note",       "original", "status", "reason"};
  return kMembers;
}

class Importer {
 public:
  Importer(Archive& archive, std::string dir, bool csv, ImportReport* report)
      : archive_(archive), dir_(std::move(dir)), csv_(csv), report_(report) {
    std::error_code ec;
    auto root = fs::canonical(archive_.layout().root, ec);
    if (!ec) archive_root_ = root.string();
  }

  void CsvFile(std::string_view text);
  void JsonlFile(std::string_view text);
  // Checks the planned bodies against the entry grammar (with dummy ids).
  void CheckBodies();
  Status Apply(const ImportOptions& options, const std::string& file);
  void Count();

 private:
  struct RefDef {
    EntityKind kind;
    std::string value;
    uint64_t row;
  };
  struct Planned {
    Json body;
    uint64_t row;
  };
  struct AddGroup {
    std::string url;
    std::vector<std::string> paths;
    std::set<std::string> seen;
  };

  void Bad(const std::string& column, std::string what) {
    report_->problems.push_back({row_, Col(column), std::move(what)});
  }
  std::string Col(const std::string& member) const {
    if (!csv_) return member;
    auto it = headers_.find(member);
    return it == headers_.end() ? member : it->second;
  }

  void PreScan(uint64_t row, const Json& m);
  void Line(const Json& m);
  bool CheckMembers(const Json& m, const std::set<std::string>& allowed, const std::string& kind);

  std::optional<std::string> Str(const Json& m, const std::string& name,
                                 const char* hint = nullptr);
  bool Present(const Json& m, const std::string& name) const;
  std::optional<std::string> Lang(const Json& m);
  std::optional<Json> TextMap(const Json& m, const std::string& name, const std::string& lang);
  std::optional<std::string> Date(const Json& m, const std::string& name);
  void Coordinates(const Json& m, Json* body);
  std::vector<std::string> TextList(const Json& m, const std::string& name, bool split);
  std::optional<std::string> Resolve(EntityKind kind, const Json& v, const std::string& column);
  std::optional<std::string> ResolveName(EntityKind kind, const std::string& name,
                                         const std::string& column);
  std::vector<std::string> RefList(EntityKind kind, const Json& m, const std::string& name);
  void DefineRef(EntityKind kind, const Json& m, const std::string& value);
  // Refuses names that already name an entity of `kind` in the archive.
  void RefuseKnownNames(EntityKind kind, const std::string& column, const Json& names,
                        const std::vector<std::string>& variants);
  void IndexNames(EntityKind kind, const Json& names, const std::vector<std::string>& variants,
                  const std::string& value);
  std::string Shown(const std::string& value) const;
  // A relation or case event type a letter or two off a known one (standard, in the
  // archive, or used earlier in the file) is refused as a likely slip unless the
  // line says "new_type": true. `relation`: a predicate, else a case event type.
  void CheckType(bool relation, const Json& m, const std::string& column, const std::string& word);
  std::string NewEntity(EntityKind kind) {
    size_t k = bodies_.size();
    created_[k] = kind;
    return std::string(1, kMark) + "E" + std::to_string(k);
  }
  void Plan(Json body) {
    const std::string& type = body["type"].get_ref<const std::string&>();
    if (type == catalog::kIncidentLinked || type == catalog::kCaseLinked) {
      const std::string& owner = body[type == catalog::kIncidentLinked ? "incident" : "case"]
                                     .get_ref<const std::string&>();
      for (const Json& item : body["items"]) {
        linked_.insert({owner, item.get<std::string>()});
        unlinked_.erase({owner, item.get<std::string>()});
      }
    }
    bodies_.push_back({std::move(body), row_});
  }

  void ItemLine(const Json& m);
  void PlaceLine(const Json& m);
  void IncidentLine(const Json& m);
  void ActorLine(const Json& m);
  void RelationLine(const Json& m);
  void CaseLine(const Json& m);
  void CaseEventLine(const Json& m);
  void LinkLine(const Json& m);
  void UnlinkLine(const Json& m);
  void WithdrawLine(const Json& m);
  std::optional<std::pair<std::string, std::vector<std::string>>> LinkTarget(
      const Json& m, const std::string& what, bool* inc);

  std::optional<std::string> PathItem(const std::string& raw, const std::string& source);
  std::optional<std::string> UrlItem(const std::string& url);
  std::optional<std::string> ShaItem(const std::string& hex);

  // Replaces placeholders in the reference members of `body`. `path_ids`
  // null: dummy item ids (checking).
  Json Materialise(const Json& body, uint64_t base, const std::vector<std::string>* path_ids) const;
  // Leaves out of the plan what would record what the archive (or the plan
  // before it) already says of an item, so that a file imported twice records
  // nothing new; sets position_. Returns how many entries it left out.
  size_t LeaveOutUnchanged(const std::vector<std::string>& path_ids);
  std::string Real(const std::string& v, uint64_t base,
                   const std::vector<std::string>* path_ids) const;

  Archive& archive_;
  std::string dir_;  // canonical folder of the import file
  std::string archive_root_;
  bool csv_;
  ImportReport* report_;
  uint64_t row_ = 0;
  std::map<std::string, std::string> headers_;  // CSV: member -> header as written

  std::map<std::string, uint64_t> all_refs_;  // every ref in the file -> first row
  // (owner, item) links planned by this file, and those it takes back.
  std::set<std::pair<std::string, std::string>> linked_, unlinked_;
  std::set<std::string> withdrawn_;  // relations and case events this file withdraws
  // What this file says of each item ("<item>\n<what>") -> (row, value): two
  // rows that disagree are a slip, not an order to follow.
  std::map<std::string, std::pair<uint64_t, Json>> said_;
  // Known relation and case event types (CheckType), loaded when first needed.
  std::optional<std::vector<std::string>> relation_types_, event_types_;
  std::map<std::string, RefDef> refs_;  // refs defined so far
  // Names of entities defined in the file: kind -> name -> values.
  std::map<EntityKind, std::map<std::string, std::vector<std::string>>> file_names_;
  std::optional<std::map<std::string, std::vector<std::string>>> url_items_;

  std::vector<Planned> bodies_;
  std::map<size_t, EntityKind> created_;  // body index -> kind of entity it creates
  // Body index -> its place in the batch, once unchanged bodies are left out
  // (empty: the same), and whether it is kept.
  std::vector<uint64_t> position_;
  std::vector<bool> kept_;
  std::set<std::string> new_items_;  // items this import's files created: nothing said of them yet
  size_t notes_ = 0;
  std::vector<AddGroup> groups_;
  std::vector<std::string> paths_;  // placeholder n -> path given to Add
  std::map<std::string, size_t> path_index_;
  std::set<std::string> described_;
  std::map<std::string, std::string> originals_;  // item.derived planned: item -> original

  // The original of `item` once the entries planned so far are applied.
  std::optional<std::string> OriginalOf(const std::string& item) const {
    if (auto it = originals_.find(item); it != originals_.end()) return it->second;
    if (item.empty() || item[0] == kMark) return std::nullopt;  // not ingested yet
    auto d = archive_.catalog().Details(item);
    if (!d.ok() || d->original.empty()) return std::nullopt;
    return d->original;
  }
};

// ------------------------------------------------------------------ reading the file

void Importer::CsvFile(std::string_view text) {
  if (IsUtf16(text)) {
    report_->problems.push_back({0, "", std::string(kUtf16Problem)});
    return;
  }
  std::vector<ImportProblem> parse_problems;
  std::vector<CsvRecord> records = ParseCsv(text, &parse_problems);
  // One column whose name holds the separators of another CSV dialect: say so
  // once, rather than that every row has the wrong number of fields.
  if (!records.empty() && records[0].fields.size() == 1) {
    const std::string& h = records[0].fields[0];
    for (const auto& [sep, name] : {std::pair<char, const char*>{';', "semicolons"},
                                    std::pair<char, const char*>{'\t', "tabs"}}) {
      if (h.find(sep) == std::string::npos) continue;
      report_->problems.push_back(
          {records[0].row, "",
           std::string("the header is one column, ") + Quote(h) + ": the file is separated by " +
               name +
               ", as spreadsheets in some languages save CSV. Save it as \"CSV UTF-8 (comma "
               "delimited)\" and import that"});
      return;
    }
  }
  if (records.empty() && parse_problems.empty()) {
    report_->problems.push_back(
        {0, "", "the file is empty; it needs a header row naming the columns"});
    return;
  }
  std::vector<std::string> header_raw;
  std::vector<std::string> members;  // per column; "" when unknown
  std::set<size_t> unnamed;          // columns with no name in the header
  size_t first = 0;
  // The header is the first record, unless a record before it did not parse
  // (then that was the header; its problem is reported below).
  bool header_ok = !records.empty();
  for (const ImportProblem& p : parse_problems) {
    if (header_ok && p.row < records[0].row) header_ok = false;
  }
  if (header_ok) {
    header_raw = records[0].fields;
    first = 1;
    row_ = records[0].row;
    std::set<std::string> seen;
    for (const std::string& h : header_raw) {
      std::string norm = NormaliseHeader(h);
      auto it = CsvColumns().find(norm);
      if (NormaliseHeader(h).empty()) {
        // Spreadsheets save a trailing empty column so: fine while no row uses it.
        unnamed.insert(members.size());
        members.push_back("");
      } else if (it == CsvColumns().end()) {
        const std::string likely = LikelyColumn(norm);
        report_->problems.push_back(
            {row_, h,
             std::string("unknown column") +
                 (likely.empty() ? "." : "; did you mean " + likely + "?") +
                 " The columns are path, url, id, sha256, title, description, language, "
                 "event_date, place, lat, lon, tags, incident (and ref, source, note, original, "
                 "remove_tags, status, reason). Rename it, or remove it: a column isnad does "
                 "not know is refused rather than left out unsaid (to keep its text, put it "
                 "in note)"});
        members.push_back("");
      } else if (!seen.insert(it->second).second) {
        report_->problems.push_back({row_, h, "the column " + it->second + " is named twice"});
        members.push_back("");
      } else {
        members.push_back(it->second);
        headers_[it->second] = h;
      }
    }
  }
  // Parser problems name columns "#N": give the header's name instead.
  for (ImportProblem p : parse_problems) {
    size_t n = 0;
    std::from_chars(p.column.data() + 1, p.column.data() + p.column.size(), n);
    if (header_ok && p.row > records[0].row && n >= 1 && n <= header_raw.size() &&
        !header_raw[n - 1].empty()) {
      p.column = header_raw[n - 1];
    }
    report_->problems.push_back(std::move(p));
  }
  if (header_raw.empty()) return;

  std::vector<std::pair<uint64_t, Json>> rows;
  for (size_t r = first; r < records.size(); ++r) {
    row_ = records[r].row;
    report_->rows++;
    const auto& fields = records[r].fields;
    // A row of empty cells (",,,") is a blank line as a spreadsheet saves it.
    if (std::all_of(fields.begin(), fields.end(), [](const std::string& f) {
          return f.find_first_not_of(" \t") == std::string::npos;
        })) {
      report_->rows--;
      continue;
    }
    if (fields.size() != header_raw.size()) {
      Bad("", "has " + std::to_string(fields.size()) + " field(s); the header has " +
                  std::to_string(header_raw.size()) +
                  " (a field with a comma or line break must be in double quotes)");
      continue;
    }
    Json m = Json::object();
    for (size_t c : unnamed) {
      if (fields[c].find_first_not_of(" \t") != std::string::npos) {
        Bad("#" + std::to_string(c + 1),
            "this row has a value in column " + std::to_string(c + 1) +
                ", which has no name in the header: name the column, or move the value");
      }
    }
    for (size_t c = 0; c < fields.size(); ++c) {
      if (members[c].empty() || fields[c].empty()) continue;
      m[members[c]] =
          kSpreadsheetTextColumns.count(members[c]) ? FromSpreadsheetText(fields[c]) : fields[c];
    }
    rows.emplace_back(row_, std::move(m));
  }
  for (const auto& [row, m] : rows) PreScan(row, m);
  for (const auto& [row, m] : rows) {
    row_ = row;
    ItemLine(m);
  }
}

void Importer::JsonlFile(std::string_view text) {
  if (IsUtf16(text)) {
    report_->problems.push_back({0, "", std::string(kUtf16Problem)});
    return;
  }
  std::vector<std::pair<uint64_t, Json>> lines;
  uint64_t line_no = 0;
  size_t at = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    ++line_no;
    row_ = line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    report_->rows++;
    if (!core::IsValidUtf8(line)) {
      Bad("", "is not UTF-8 text (save the file as UTF-8, not UTF-16 or a legacy code page)");
      continue;
    }
    Json j;
    // A member named twice would keep only its last value, silently: refused.
    std::vector<std::set<std::string>> open_objects;
    std::string duplicate;
    auto members = [&](int, Json::parse_event_t event, Json& parsed) {
      if (event == Json::parse_event_t::object_start) {
        open_objects.emplace_back();
      } else if (event == Json::parse_event_t::object_end && !open_objects.empty()) {
        open_objects.pop_back();
      } else if (event == Json::parse_event_t::key && !open_objects.empty() &&
                 !open_objects.back().insert(parsed.get<std::string>()).second &&
                 duplicate.empty()) {
        duplicate = parsed.get<std::string>();
      }
      return true;
    };
    try {
      j = Json::parse(line, members);
    } catch (const Json::exception& e) {
      std::string what = e.what();
      if (size_t cut = what.find("] "); what.starts_with("[json.exception") && cut != what.npos) {
        what = what.substr(cut + 2);
      }
      Bad("", "is not valid JSON: " + what);
      continue;
    }
    if (!j.is_object()) {
      Bad("", std::string("is a JSON ") + j.type_name() + "; each line must be one JSON object");
      continue;
    }
    if (!duplicate.empty()) {
      Bad(duplicate,
          "is given twice in one object; only one value can be kept: remove one, or merge them");
      continue;
    }
    lines.emplace_back(line_no, std::move(j));
  }
  for (const auto& [row, m] : lines) PreScan(row, m);
  for (const auto& [row, m] : lines) {
    row_ = row;
    Line(m);
  }
}

void Importer::PreScan(uint64_t row, const Json& m) {
  auto it = m.find("ref");
  if (it != m.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
    all_refs_.emplace(it->get<std::string>(), row);
  }
}

void Importer::Line(const Json& m) {
  std::string kind = "item";
  if (auto it = m.find("kind"); it != m.end()) {
    if (!it->is_string()) {
      Bad("kind", "must be a string: item, place, incident, actor, relation, case, case_event");
      return;
    }
    kind = it->get<std::string>();
  }
  if (kind == "item") return ItemLine(m);
  if (kind == "place") return PlaceLine(m);
  if (kind == "incident") return IncidentLine(m);
  if (kind == "actor") return ActorLine(m);
  if (kind == "relation") return RelationLine(m);
  if (kind == "case") return CaseLine(m);
  if (kind == "case_event") return CaseEventLine(m);
  if (kind == "link") return LinkLine(m);
  if (kind == "unlink") return UnlinkLine(m);
  if (kind == "withdraw") return WithdrawLine(m);
  Bad("kind", Quote(kind) +
                  " is not a kind; the kinds are item, place, incident, actor, relation, case, "
                  "case_event (and link, unlink, withdraw)");
}

bool Importer::CheckMembers(const Json& m, const std::set<std::string>& allowed,
                            const std::string& kind) {
  bool ok = true;
  for (auto it = m.begin(); it != m.end(); ++it) {
    if (allowed.count(it.key()) == 0) {
      std::string list;
      for (const auto& a : allowed) {
        if (a == "kind") continue;
        list += (list.empty() ? "" : ", ") + a;
      }
      Bad(it.key(), "unknown member of " + kind + " (" + kind + " takes " + list + ")");
      ok = false;
    }
  }
  return ok;
}

// ------------------------------------------------------------------ values

bool Importer::Present(const Json& m, const std::string& name) const {
  auto it = m.find(name);
  if (it == m.end() || it->is_null()) return false;
  return !(it->is_string() && catalog::IsBlank(it->get_ref<const std::string&>()));
}

std::optional<std::string> Importer::Str(const Json& m, const std::string& name, const char* hint) {
  auto it = m.find(name);
  if (it == m.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) {
    Bad(name,
        hint ? std::string(hint) : std::string("must be a string, not a JSON ") + it->type_name());
    return std::nullopt;
  }
  if (it->get_ref<const std::string&>().empty()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<std::string> Importer::Lang(const Json& m) {
  auto language = Str(m, "language");
  auto lang = Str(m, "lang");
  if (language && lang && *language != *lang) {
    Bad("lang", "gives another language than `language`; give one of them");
  }
  auto l = language ? language : lang;
  if (!l) return l;
  core::StatusOr<std::string> tag = catalog::ReadLanguageTag(*l);
  if (!tag.ok()) {
    Bad(language ? "language" : "lang", tag.status().message());
    return std::nullopt;
  }
  return *tag;
}

std::optional<Json> Importer::TextMap(const Json& m, const std::string& name,
                                      const std::string& lang) {
  auto it = m.find(name);
  if (it == m.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) {
    if (catalog::IsBlank(it->get_ref<const std::string&>())) return std::nullopt;
    if (!Present(m, "language") && !Present(m, "lang") &&
        catalog::InArabicScript(it->get_ref<const std::string&>())) {
      // Recorded under "en" by default, Arabic text would be labelled English for good.
      Bad(csv_ ? "language" : name,
          "the " + name + " is in Arabic script, but the " + (csv_ ? "row" : "line") +
              " gives no language, so it would be recorded as English: give its language (ar, "
              "or fa, ur, ku, ...)" +
              (csv_ ? "" : ", as \"lang\" or as a map such as {\"ar\": \"...\"}"));
      return std::nullopt;
    }
    Json o = Json::object();
    o[lang] = *it;
    return o;
  }
  if (!it->is_object()) {
    Bad(name,
        "must be text, or an object of language tag -> text such as {\"en\": \"Zamalka\", "
        "\"ar\": \"زملكا\"}");
    return std::nullopt;
  }
  Json o = Json::object();
  for (auto e = it->begin(); e != it->end(); ++e) {
    if (!catalog::IsLanguageTag(e.key())) {
      Bad(name + "." + e.key(), "is not a language tag (BCP 47: ar, en, fr, fr-CA)");
    } else if (!e->is_string() || catalog::IsBlank(e->get_ref<const std::string&>())) {
      Bad(name + "." + e.key(), "must be text that is not blank");
    } else {
      o[e.key()] = *e;
    }
  }
  if (it->empty()) Bad(name, "is an empty object; give at least one language, or leave it out");
  if (o.empty()) return std::nullopt;
  return o;
}

std::optional<std::string> Importer::Date(const Json& m, const std::string& name) {
  auto s = Str(m, name);
  if (!s) return std::nullopt;
  s = catalog::WithoutMidnight(*s);
  if (catalog::HasYearZero(*s)) {
    Bad(name, Quote(*s) + ": year 0000 is not a year this archive records; give the real year");
    return std::nullopt;
  }
  if (std::string note = catalog::DateNote(*s); !note.empty()) {
    report_->warnings.push_back({row_, name, Quote(*s) + ": " + note});
  }
  if (!catalog::ParseEventDate(*s)) {
    const std::string hint = catalog::DateHint(*s);
    Bad(name, Quote(*s) +
                  " is not a date: give YYYY, YYYY-MM, YYYY-MM-DD or a range A/B, each optionally "
                  "ending in ~ (approximate) or ? (uncertain)." +
                  (hint.empty() ? "" : " " + hint));
    return std::nullopt;
  }
  return s;
}

void Importer::Coordinates(const Json& m, Json* body) {
  static const char* kHint = "must be decimal degrees written as a string, e.g. \"33.5376\"";
  bool has_lat = Present(m, "lat"), has_lon = Present(m, "lon");
  auto lat = Str(m, "lat", kHint), lon = Str(m, "lon", kHint);
  bool ok = true;
  if (lat && !catalog::IsLatitude(*lat)) {
    Bad("lat", Quote(*lat) +
                   " is not a latitude: decimal degrees from -90 to 90, at most 8 decimals, e.g. "
                   "\"33.5376\"");
    ok = false;
  }
  if (lon && !catalog::IsLongitude(*lon)) {
    Bad("lon", Quote(*lon) +
                   " is not a longitude: decimal degrees from -180 to 180, at most 8 decimals, "
                   "e.g. \"36.3558\"");
    ok = false;
  }
  if (has_lat != has_lon) {
    Bad(has_lat ? "lat" : "lon", std::string("is given without ") + (has_lat ? "lon" : "lat") +
                                     "; latitude and longitude go together (give both or neither)");
    return;
  }
  if (ok && lat && lon) {
    (*body)["lat"] = *lat;
    (*body)["lon"] = *lon;
  }
}

std::vector<std::string> Importer::TextList(const Json& m, const std::string& name, bool split) {
  std::vector<std::string> out;
  auto add = [&out](std::string s) {
    if (!catalog::IsBlank(s) && std::find(out.begin(), out.end(), s) == out.end())
      out.push_back(std::move(s));
  };
  auto it = m.find(name);
  if (it == m.end() || it->is_null()) return out;
  if (split && it->is_string()) {
    // Split at every separator: "sarin; rockets", "sarin, rockets", "سارين، صواريخ".
    std::string s = it->get<std::string>();
    for (const auto& sep : catalog::TagSeparators()) {
      for (size_t at = s.find(sep); at != std::string::npos; at = s.find(sep, at + 1)) {
        s.replace(at, sep.size(), ";");
      }
    }
    size_t at = 0;
    while (at <= s.size()) {
      size_t end = s.find(';', at);
      if (end == std::string::npos) end = s.size();
      std::string part = s.substr(at, end - at);
      size_t b = part.find_first_not_of(" \t"), e = part.find_last_not_of(" \t");
      if (b != std::string::npos) add(part.substr(b, e - b + 1));
      at = end + 1;
    }
    return out;
  }
  if (!it->is_array()) {
    Bad(name, "must be an array of strings, e.g. [\"sarin\", \"rocket\"]");
    return out;
  }
  for (size_t k = 0; k < it->size(); ++k) {
    const Json& v = (*it)[k];
    if (!v.is_string() || catalog::IsBlank(v.get_ref<const std::string&>())) {
      Bad(name + "[" + std::to_string(k) + "]", "must be text that is not blank");
      continue;
    }
    add(v.get<std::string>());
  }
  return out;
}

std::string Importer::Shown(const std::string& value) const {
  if (value.size() < 3 || value[0] != kMark) return value;
  size_t n = std::stoull(value.substr(2));
  if (value[1] == 'P') return "the file " + paths_[n];
  return "the " + std::string(catalog::EntityKindName(created_.at(n))) + " of line " +
         std::to_string(bodies_[n].row);
}

std::optional<std::string> Importer::Resolve(EntityKind kind, const Json& v,
                                             const std::string& column) {
  if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
    Bad(column, "must be a non-empty string: a ref, an id" +
                    std::string(kind == EntityKind::kPlace || kind == EntityKind::kActor ||
                                        kind == EntityKind::kIncident
                                    ? " or a name"
                                    : ""));
    return std::nullopt;
  }
  const std::string& s = v.get_ref<const std::string&>();
  if (auto it = refs_.find(s); it != refs_.end()) {
    if (it->second.kind != kind) {
      Bad(column, "ref " + Quote(s) + " is " + AKind(it->second.kind) + " (line " +
                      std::to_string(it->second.row) + "), not " + AKind(kind));
      return std::nullopt;
    }
    return it->second.value;
  }
  if (auto it = all_refs_.find(s); it != all_refs_.end()) {
    const std::string where = std::string(csv_ ? "row " : "line ") + std::to_string(it->second);
    if (it->second < row_) {
      Bad(column, "ref " + Quote(s) + " (" + where +
                      ") names nothing, because of the problems reported on that " +
                      (csv_ ? "row" : "line"));
      return std::nullopt;
    }
    Bad(column,
        it->second == row_
            ? "ref " + Quote(s) + " is the ref of this same line; a line cannot refer to itself"
            : "ref " + Quote(s) + " is defined later, on " + where +
                  "; a ref must be defined before it is used");
    return std::nullopt;
  }
  if (auto id = catalog::ParseEntityId(s)) {
    if (id->kind != kind) {
      Bad(column, Quote(s) + " is " + AKind(id->kind) + " id, not " + AKind(kind));
      return std::nullopt;
    }
    if (kind == EntityKind::kItem) {
      auto r = archive_.catalog().Resolve(s);
      if (!r.ok()) {
        Bad(column, r.status().code() == core::Code::kNotFound ? "no item " + s + " in the archive"
                                                               : r.status().message());
        return std::nullopt;
      }
      return r->id;
    }
    if (kind == EntityKind::kRelation) {
      // One withdrawn is still a relation; whether it stands is the line's question.
      auto r = archive_.catalog().Relation(s);
      if (!r.ok() && r.status().code() != core::Code::kFailedPrecondition) {
        Bad(column, r.status().code() == core::Code::kNotFound
                        ? "no relation " + s + " in the archive"
                        : r.status().message());
        return std::nullopt;
      }
      return s;
    }
    auto e = archive_.catalog().Entity(s);
    if (!e.ok() || e->kind != kind) {
      Bad(column,
          !e.ok() && e.status().code() != core::Code::kNotFound
              ? e.status().message()
              : "no " + std::string(catalog::EntityKindName(kind)) + " " + s + " in the archive");
      return std::nullopt;
    }
    return s;
  }
  if (kind == EntityKind::kPlace || kind == EntityKind::kActor || kind == EntityKind::kIncident) {
    return ResolveName(kind, s, column);
  }
  Bad(column, Quote(s) + " is neither a ref defined earlier in this file nor " + AKind(kind) +
                  " id (" +
                  (kind == EntityKind::kItem        ? "i42"
                   : kind == EntityKind::kCase      ? "case2"
                   : kind == EntityKind::kRelation  ? "rel12"
                   : kind == EntityKind::kCaseEvent ? "ev20"
                                                    : "") +
                  ")");
  return std::nullopt;
}

std::optional<std::string> Importer::ResolveName(EntityKind kind, const std::string& name,
                                                 const std::string& column) {
  std::vector<std::string> found;
  if (auto k = file_names_.find(kind); k != file_names_.end()) {
    if (auto n = k->second.find(name); n != k->second.end()) found = n->second;
  }
  auto r = archive_.catalog().ResolveRef(kind, name);
  const std::string kind_name(catalog::EntityKindName(kind));
  if (r.ok()) {
    found.push_back(*r);
  } else if (r.status().code() != core::Code::kNotFound) {
    Bad(column, r.status().message());  // ambiguous in the archive, or could not read it
    return std::nullopt;
  }
  if (found.size() == 1) return found[0];
  if (found.empty()) {
    Bad(column,
        "no " + kind_name + " is named " + Quote(name) +
            ", in the archive or earlier in this file (give a ref, an id or an exact name)");
    return std::nullopt;
  }
  std::string list;
  for (const auto& f : found) list += (list.empty() ? "" : ", ") + Shown(f);
  Bad(column, Quote(name) + " names more than one " + kind_name + ": " + list +
                  "; give a ref or an id instead");
  return std::nullopt;
}

std::vector<std::string> Importer::RefList(EntityKind kind, const Json& m,
                                           const std::string& name) {
  std::vector<std::string> out;
  auto it = m.find(name);
  if (it == m.end() || it->is_null()) return out;
  if (!it->is_array()) {
    Bad(name, "must be an array of refs or ids, e.g. [\"article\", \"i42\"]");
    return out;
  }
  for (size_t k = 0; k < it->size(); ++k) {
    auto v = Resolve(kind, (*it)[k], name + "[" + std::to_string(k) + "]");
    if (v && std::find(out.begin(), out.end(), *v) == out.end()) out.push_back(*v);
  }
  return out;
}

void Importer::DefineRef(EntityKind kind, const Json& m, const std::string& value) {
  auto it = m.find("ref");
  if (it == m.end() || it->is_null()) return;
  if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
    Bad("ref", "must be a non-empty string naming this line for the lines after it");
    return;
  }
  const std::string& ref = it->get_ref<const std::string&>();
  if (auto d = refs_.find(ref); d != refs_.end()) {
    Bad("ref", Quote(ref) + " is already the ref of " + (csv_ ? "row " : "line ") +
                   std::to_string(d->second.row) + "; refs must be unique within the file");
    return;
  }
  refs_[ref] = RefDef{kind, value, row_};
}

// Entities are never merged, so a name the archive already gives one would
// afterwards name two, and every later use of it would fail as ambiguous: most
// often the same file imported a second time. (Names repeated within one file
// are allowed: refs tell those apart, and an export of such an archive imports.)
void Importer::RefuseKnownNames(EntityKind kind, const std::string& column, const Json& names,
                                const std::vector<std::string>& variants) {
  for (const std::string& n : catalog::EveryName(names, variants)) {
    auto found = archive_.catalog().EntitiesNamed(kind, n);
    if (!found.ok()) {
      Bad(column, found.status().message());
      return;
    }
    if (found->empty()) continue;
    std::string list;
    for (const auto& f : *found) list += (list.empty() ? "" : ", ") + f;
    Bad(column, "the archive already has " + AKind(kind) + " named " + Quote(n) + " (" + list +
                    "); entities are never merged, so the name would then name two. Refer to it "
                    "by its id instead of defining it again (was this file imported already?)");
    return;
  }
}

void Importer::IndexNames(EntityKind kind, const Json& names,
                          const std::vector<std::string>& variants, const std::string& value) {
  auto& index = file_names_[kind];
  auto add = [&](const std::string& n) {
    auto& v = index[n];
    if (std::find(v.begin(), v.end(), value) == v.end()) v.push_back(value);
  };
  for (const std::string& n : catalog::EveryName(names, variants)) add(n);
}

// ------------------------------------------------------------------ items

std::optional<std::string> Importer::PathItem(const std::string& raw, const std::string& source) {
  fs::path p(raw);
  if (p.is_absolute()) {
    Bad("path", Quote(raw) +
                    " is an absolute path; give it relative to the folder of the import "
                    "file (" +
                    dir_ + ")");
    return std::nullopt;
  }
  fs::path joined = (fs::path(dir_) / p).lexically_normal();
  std::string abs = joined.string();
  while (abs.size() > 1 && abs.back() == '/') abs.pop_back();
  if (!Under(abs, dir_)) {
    Bad("path", Quote(raw) + " is outside the folder of the import file (" + dir_ +
                    "); only files in that folder and below it are imported");
    return std::nullopt;
  }
  struct stat lst {};
  if (::lstat(abs.c_str(), &lst) != 0) {
    int err = errno;
    Bad("path", err == ENOENT ? "no such file: " + abs
                              : core::ErrnoStatus("cannot read", abs, err).message());
    return std::nullopt;
  }
  std::error_code ec;
  fs::path canon = fs::canonical(abs, ec);
  if (ec) {
    Bad("path", abs + " cannot be followed: " + ec.message());
    return std::nullopt;
  }
  if (!Under(canon.string(), dir_)) {
    Bad("path", Quote(raw) + " leads (through a symbolic link) to " + canon.string() +
                    ", outside the folder of the import file");
    return std::nullopt;
  }
  if (!archive_root_.empty() && Under(canon.string(), archive_root_)) {
    Bad("path", Quote(raw) + " is inside the archive folder itself");
    return std::nullopt;
  }
  struct stat st {};
  if (::stat(canon.c_str(), &st) != 0) {
    Bad("path", core::ErrnoStatus("cannot read", abs, errno).message());
    return std::nullopt;
  }
  if (S_ISDIR(st.st_mode)) {
    Bad("path", Quote(raw) + " is a folder; give one file per row");
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    Bad("path", Quote(raw) + " is not a regular file (a device, socket or pipe)");
    return std::nullopt;
  }
  int fd = ::open(canon.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    Bad("path", core::ErrnoStatus("cannot read", abs, errno).message());
    return std::nullopt;
  }
  ::close(fd);
  // Add does not follow a symbolic link it is given: give it the target.
  const std::string add_path = S_ISLNK(lst.st_mode) ? canon.string() : abs;
  auto [it, fresh] = path_index_.emplace(add_path, paths_.size());
  if (fresh) paths_.push_back(add_path);
  auto g = std::find_if(groups_.begin(), groups_.end(),
                        [&source](const AddGroup& x) { return x.url == source; });
  if (g == groups_.end()) {
    groups_.push_back(AddGroup{source, {}, {}});
    g = groups_.end() - 1;
  }
  if (g->seen.insert(add_path).second) g->paths.push_back(add_path);
  return std::string(1, kMark) + "P" + std::to_string(it->second);
}

std::optional<std::string> Importer::UrlItem(const std::string& url) {
  if (!url_items_) {
    url_items_.emplace();
    auto items = archive_.catalog().Items();
    if (!items.ok()) {
      Bad("url", "cannot list the archive's items: " + items.status().message());
      return std::nullopt;
    }
    for (const auto& r : *items) {
      auto sources = archive_.catalog().Sources(r.id);
      if (!sources.ok()) {
        Bad("url", "cannot read the provenance of " + r.id + ": " + sources.status().message());
        return std::nullopt;
      }
      for (const auto& s : *sources) {
        if (s.url.empty()) continue;
        auto& v = (*url_items_)[s.url];
        if (std::find(v.begin(), v.end(), r.id) == v.end()) v.push_back(r.id);
      }
    }
  }
  auto it = url_items_->find(url);
  if (it == url_items_->end()) {
    Bad("url", "no item in the archive was captured from " + Quote(url) +
                   " (no provenance record has this url)");
    return std::nullopt;
  }
  if (it->second.size() > 1) {
    std::string list;
    for (const auto& id : it->second) list += (list.empty() ? "" : ", ") + id;
    Bad("url", "several items were captured from " + Quote(url) + ": " + list +
                   "; give id or sha256 instead");
    return std::nullopt;
  }
  return it->second[0];
}

std::optional<std::string> Importer::ShaItem(const std::string& hex) {
  const std::string lower = core::AsciiLower(hex);
  auto hash = core::Hash::FromHex(lower);
  if (lower.size() != 64 || !hash.ok()) {
    Bad("sha256", Quote(hex) + " is not a SHA-256: 64 hex digits");
    return std::nullopt;
  }
  auto found = archive_.catalog().FindBySha256(*hash);
  if (!found.ok()) {
    Bad("sha256", found.status().message());
    return std::nullopt;
  }
  if (!found->has_value()) {
    Bad("sha256", "no item in the archive has the SHA-256 " + lower +
                      " (add the file first, or give its path)");
    return std::nullopt;
  }
  return (*found)->id;
}

void Importer::ItemLine(const Json& m) {
  CheckMembers(m, ItemMembers(), "item");
  // Which item.
  auto path = Str(m, "path"), url = Str(m, "url"), sha = Str(m, "sha256"),
       source = Str(m, "source");
  bool has_id = Present(m, "id");
  int ways = (path ? 1 : 0) + (url ? 1 : 0) + (has_id || sha ? 1 : 0);
  std::optional<std::string> item;
  if (ways == 0) {
    Bad("", "does not say which item: give one of path, url, id, sha256");
  } else if (ways > 1) {
    Bad(path ? "path" : "url",
        "give only one of path, url and id/sha256 to say which item this row is about" +
            std::string(path && url ? " (to record the URL a file came from, name that column "
                                      "source)"
                                    : ""));
  } else if (path) {
    item = PathItem(*path, source.value_or(""));
  } else if (url) {
    item = UrlItem(*url);
  } else {
    std::optional<std::string> by_id, by_sha;
    if (has_id) by_id = Resolve(EntityKind::kItem, m["id"], "id");
    if (sha) by_sha = ShaItem(*sha);
    if (has_id && sha && by_id && by_sha && *by_id != *by_sha) {
      Bad("id", "names " + Shown(*by_id) + ", but sha256 names " + *by_sha +
                    "; give one of them, or make them agree");
    } else {
      item = by_id ? by_id : by_sha;
      if ((has_id && !by_id) || (sha && !by_sha)) item.reset();
    }
  }
  if (source && !path) {
    Bad("source",
        "is the URL recorded as provenance when `path` is ingested, and this row has no path "
        "(to find an item by the URL it came from, use `url`)");
  }
  // What is said about it.
  std::string lang = Lang(m).value_or("en");
  auto titles = TextMap(m, "title", lang);
  auto descriptions = TextMap(m, "description", lang);
  Json facts = Json::object();
  if (auto d = Date(m, "event_date")) facts["event_date"] = *d;
  if (Present(m, "place")) {
    if (auto p = Resolve(EntityKind::kPlace, m["place"], "place")) facts["place"] = *p;
  }
  Coordinates(m, &facts);
  auto tags = TextList(m, "tags", csv_);
  auto untags = TextList(m, "remove_tags", csv_);
  // (remove_tags may name one: archives made before this rule hold such tags.)
  for (const std::string& t : tags) {
    if (std::string sep = catalog::TagSeparatorIn(t); !sep.empty()) {
      Bad("tags", Quote(t) + " holds a '" + sep +
                      "', which separates tags in the CSV form; give each tag alone");
    }
  }
  auto status = Str(m, "status"), reason = Str(m, "reason");
  if (status && csv_) {  // a spreadsheet cell: "Verified", " verified "
    std::string word;
    for (char c : *status) {
      if (c != ' ' && c != '\t')
        word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    status = word;
  }
  if (status && *status != "unreviewed" && *status != "verified" && *status != "disputed" &&
      *status != "rejected") {
    Bad("status", Quote(*status) + " is not a status: unreviewed, verified, disputed, rejected");
    status.reset();
  }
  if (Present(m, "status") != Present(m, "reason")) {
    Bad(Present(m, "status") ? "status" : "reason",
        "status and reason go together: a review gives both");
  }
  std::optional<std::string> incident, original;
  if (Present(m, "incident")) incident = Resolve(EntityKind::kIncident, m["incident"], "incident");
  if (Present(m, "original")) original = Resolve(EntityKind::kItem, m["original"], "original");
  auto note = Str(m, "note");
  if (item && original && *item == *original) {
    Bad("original", "names this same item; an item cannot be derived from itself");
    original.reset();
  }
  if (item && original) {
    // The catalogue refuses a derivation whose original comes from the item
    // (a cycle): found here, with its row, before any file is ingested.
    std::string at = *original;
    for (int hops = 0; hops < 10000; ++hops) {
      std::optional<std::string> next = OriginalOf(at);
      if (!next) break;
      if (*next == *item) {
        Bad("original", Shown(*original) + " is itself derived from this item (through " +
                            Shown(at) + "); an item cannot be a copy of its own copy");
        original.reset();
        break;
      }
      at = *next;
    }
  }
  if (!item) return;
  // Two rows about one item that disagree (a row copied and half edited): which
  // would hold would depend on their order, so neither is taken.
  // (CSV only: a spreadsheet is a table, one state per item. JSON Lines is a
  // history, where a later line corrects an earlier one, as the archive's own
  // export writes each correction.)
  auto agrees = [&](const std::string& field, const std::string& what, const Json& value) {
    if (!csv_) return;
    auto [it, added] = said_.try_emplace(*item + "\n" + what, row_, value);
    if (added || it->second.second == value) return;
    const Json& other = it->second.second;
    Bad(field, std::string(csv_ ? "row " : "line ") + std::to_string(it->second.first) +
                   " gives this item another " + what + ", " +
                   (other.is_string() ? Quote(other.get<std::string>()) : other.dump()) +
                   ": give it once, or alike in every row");
  };
  for (const char* field : {"title", "description"}) {
    const auto& texts = std::string(field) == "title" ? titles : descriptions;
    if (!texts) continue;
    for (const auto& [l, t] : texts->items()) agrees(field, std::string(field) + " in " + l, t);
  }
  for (const auto& [k, v] : facts.items()) agrees(k, k, v);

  const size_t before = bodies_.size();
  std::set<std::string> langs;
  if (titles) {
    for (const auto& [l, t] : titles->items()) langs.insert(l);
  }
  if (descriptions) {
    for (const auto& [l, t] : descriptions->items()) langs.insert(l);
  }
  auto described = [&](Json body) {
    body["type"] = std::string(catalog::kItemDescribed);
    body["item"] = *item;
    return body;
  };
  bool first = true;
  for (const std::string& l : langs) {
    Json body = first ? facts : Json::object();
    first = false;
    body["lang"] = l;
    if (titles && titles->contains(l)) body["title"] = (*titles)[l];
    if (descriptions && descriptions->contains(l)) body["description"] = (*descriptions)[l];
    Plan(described(std::move(body)));
  }
  if (langs.empty() && !facts.empty()) Plan(described(facts));
  if (!tags.empty() || !untags.empty()) {
    Json body{{"type", std::string(catalog::kItemTagged)}, {"item", *item}};
    if (!tags.empty()) body["add"] = tags;
    if (!untags.empty()) body["remove"] = untags;
    Plan(std::move(body));
  }
  if (status && reason) {
    Plan(Json{{"type", std::string(catalog::kItemReviewed)},
              {"item", *item},
              {"status", *status},
              {"reason", *reason}});
  }
  if (incident) {
    Plan(Json{{"type", std::string(catalog::kIncidentLinked)},
              {"incident", *incident},
              {"items", Json::array({*item})}});
  }
  if (original) {
    Plan(Json{
        {"type", std::string(catalog::kItemDerived)}, {"item", *item}, {"original", *original}});
    originals_[*item] = *original;
  }
  if (note) {
    // Archive::Record takes note.added bodies too (a long text goes to a blob).
    Plan(Json{{"type", std::string(catalog::kNoteAdded)}, {"item", *item}, {"text", *note}});
    notes_++;
  }
  if (bodies_.size() > before) described_.insert(*item);
  DefineRef(EntityKind::kItem, m, *item);
}

// ------------------------------------------------------------------ the other kinds

void Importer::PlaceLine(const Json& m) {
  CheckMembers(m, {"kind", "ref", "lang", "names", "variants", "lat", "lon", "within"}, "place");
  std::string lang = Lang(m).value_or("en");
  auto names = TextMap(m, "names", lang);
  if (!Present(m, "names")) Bad("names", "a place needs names: {\"en\": \"Zamalka\", ...}");
  auto variants = TextList(m, "variants", false);
  Json body{{"type", std::string(catalog::kPlaceAdded)}};
  Coordinates(m, &body);
  if (Present(m, "within")) {
    if (auto w = Resolve(EntityKind::kPlace, m["within"], "within")) body["within"] = *w;
  }
  if (names) RefuseKnownNames(EntityKind::kPlace, "names", *names, variants);
  std::string value = NewEntity(EntityKind::kPlace);
  if (names) body["names"] = *names;
  if (!variants.empty()) body["variants"] = variants;
  Plan(std::move(body));
  if (names) IndexNames(EntityKind::kPlace, *names, variants, value);
  DefineRef(EntityKind::kPlace, m, value);
}

void Importer::IncidentLine(const Json& m) {
  CheckMembers(m,
               {"kind", "ref", "lang", "title", "type", "date", "places", "description", "items"},
               "incident");
  std::string lang = Lang(m).value_or("en");
  auto title = TextMap(m, "title", lang);
  if (!Present(m, "title")) Bad("title", "an incident needs a title: {\"en\": \"...\"}");
  auto description = TextMap(m, "description", lang);
  auto category = Str(m, "type");
  auto date = Date(m, "date");
  auto places = RefList(EntityKind::kPlace, m, "places");
  auto items = RefList(EntityKind::kItem, m, "items");
  Json body{{"type", std::string(catalog::kIncidentAdded)}};
  if (title) body["title"] = *title;
  if (category) body["category"] = *category;
  if (date) body["date"] = *date;
  if (description) body["description"] = *description;
  if (!places.empty()) body["places"] = places;
  if (title) RefuseKnownNames(EntityKind::kIncident, "title", *title, {});
  std::string value = NewEntity(EntityKind::kIncident);
  Plan(std::move(body));
  if (!items.empty()) {
    Plan(Json{
        {"type", std::string(catalog::kIncidentLinked)}, {"incident", value}, {"items", items}});
  }
  if (title) IndexNames(EntityKind::kIncident, *title, {}, value);
  DefineRef(EntityKind::kIncident, m, value);
}

void Importer::ActorLine(const Json& m) {
  CheckMembers(m, {"kind", "ref", "lang", "type", "names", "variants", "description"}, "actor");
  std::string lang = Lang(m).value_or("en");
  auto type = Str(m, "type");
  if (!type) {
    Bad("type", "an actor needs a type: person, unit or organisation");
  } else if (*type != "person" && *type != "unit" && *type != "organisation") {
    Bad("type", Quote(*type) + " is not an actor type: person, unit or organisation");
  }
  auto names = TextMap(m, "names", lang);
  if (!Present(m, "names")) Bad("names", "an actor needs names: {\"en\": \"...\"}");
  auto variants = TextList(m, "variants", false);
  auto description = TextMap(m, "description", lang);
  Json body{{"type", std::string(catalog::kActorAdded)}};
  if (type) body["actor_type"] = *type;
  if (names) body["names"] = *names;
  if (!variants.empty()) body["variants"] = variants;
  if (description) body["description"] = *description;
  if (names) RefuseKnownNames(EntityKind::kActor, "names", *names, variants);
  std::string value = NewEntity(EntityKind::kActor);
  Plan(std::move(body));
  if (names) IndexNames(EntityKind::kActor, *names, variants, value);
  DefineRef(EntityKind::kActor, m, value);
}

void Importer::RelationLine(const Json& m) {
  CheckMembers(
      m, {"kind", "ref", "subject", "predicate", "object", "from", "to", "sources", "new_type"},
      "relation");
  Json body{{"type", std::string(catalog::kRelationAdded)}};
  auto predicate = Str(m, "predicate");
  if (!predicate) {
    Bad("predicate",
        "a relation needs a predicate: commands, member_of, subordinate_of, "
        "present_at, responsible_for, ...");
  } else if (!catalog::IsEntryWord(*predicate)) {
    Bad("predicate", Quote(*predicate) +
                         " is not a predicate: a lower-case word of letters, digits and _, e.g. "
                         "subordinate_of");
  } else {
    body["predicate"] = *predicate;
    CheckType(/*relation=*/true, m, "predicate", *predicate);
  }
  std::optional<std::string> subject, object;
  if (!Present(m, "subject")) {
    Bad("subject", "a relation needs a subject (an actor)");
  } else {
    subject = Resolve(EntityKind::kActor, m["subject"], "subject");
  }
  EntityKind object_kind =
      predicate && (*predicate == "present_at" || *predicate == "responsible_for")
          ? EntityKind::kIncident
          : EntityKind::kActor;
  if (!Present(m, "object")) {
    Bad("object",
        "a relation needs an object (an actor; an incident for present_at and "
        "responsible_for)");
  } else {
    object = Resolve(object_kind, m["object"], "object");
  }
  if (subject && object && *subject == *object) {
    Bad("object", "is the subject itself; an actor cannot be related to itself");
  }
  auto from = Date(m, "from"), to = Date(m, "to");
  if (from && to) {
    auto f = catalog::ParseEventDate(*from), t = catalog::ParseEventDate(*to);
    if (f->lo > t->hi) Bad("to", "is before `from` (" + *from + ")");
  }
  Json sources = Json::array();
  auto it = m.find("sources");
  if (it == m.end() || !it->is_array() || it->empty()) {
    Bad("sources",
        "a relation needs sources: [{\"item\": ref, \"confidence\": \"low\"|\"medium\"|"
        "\"high\"}, ...], at least one");
  } else {
    std::map<std::string, std::pair<size_t, Json>> seen;  // item -> first position, confidence
    for (size_t k = 0; k < it->size(); ++k) {
      const Json& s = (*it)[k];
      const std::string at = "sources[" + std::to_string(k) + "]";
      if (!s.is_object()) {
        Bad(at, "must be an object {\"item\": ref, \"confidence\": \"low\"|\"medium\"|\"high\"}");
        continue;
      }
      for (auto e = s.begin(); e != s.end(); ++e) {
        if (e.key() != "item" && e.key() != "confidence") {
          Bad(at + "." + e.key(), "unknown member of a source (it takes item and confidence)");
        }
      }
      std::optional<std::string> item;
      if (!s.contains("item")) {
        Bad(at + ".item", "is missing: which item backs this relation");
      } else {
        item = Resolve(EntityKind::kItem, s["item"], at + ".item");
      }
      // No confidence: medium, as `relation add --source ITEM` takes it.
      const Json c = s.value("confidence", Json("medium"));
      bool conf_ok = c.is_string() && (c == "low" || c == "medium" || c == "high");
      if (!conf_ok) Bad(at + ".confidence", "must be \"low\", \"medium\" or \"high\"");
      if (!item || !conf_ok) continue;
      // The same source twice says it once (as `relation add` takes it); with
      // two confidences, which holds is the analyst's call, not import's.
      if (auto [first, added] = seen.emplace(*item, std::pair(k, c)); !added) {
        if (first->second.second != c) {
          Bad(at + ".item", "names the same item as sources[" +
                                std::to_string(first->second.first) + "] with confidence " +
                                c.get<std::string>() + " against " +
                                first->second.second.get<std::string>() +
                                "; give each item once, with the confidence it lends");
        }
      } else {
        sources.push_back(Json{{"item", *item}, {"confidence", c}});
      }
    }
  }
  if (subject) body["subject"] = *subject;
  if (object) body["object"] = *object;
  if (from) body["from"] = *from;
  if (to) body["to"] = *to;
  if (!sources.empty()) body["sources"] = sources;
  DefineRef(EntityKind::kRelation, m, NewEntity(EntityKind::kRelation));
  Plan(std::move(body));
}

void Importer::CaseLine(const Json& m) {
  CheckMembers(
      m, {"kind", "ref", "lang", "title", "jurisdiction", "description", "parties", "exhibits"},
      "case");
  std::string lang = Lang(m).value_or("en");
  auto title = TextMap(m, "title", lang);
  if (!Present(m, "title")) Bad("title", "a case needs a title: {\"en\": \"...\"}");
  auto jurisdiction = Str(m, "jurisdiction");
  auto description = TextMap(m, "description", lang);
  Json parties = Json::array();
  if (auto it = m.find("parties"); it != m.end() && !it->is_null()) {
    if (!it->is_array()) {
      Bad("parties", "must be an array of {\"actor\": ref, \"role\": text}");
    } else {
      for (size_t k = 0; k < it->size(); ++k) {
        const Json& p = (*it)[k];
        const std::string at = "parties[" + std::to_string(k) + "]";
        if (!p.is_object()) {
          Bad(at, "must be an object {\"actor\": ref, \"role\": text}");
          continue;
        }
        for (auto e = p.begin(); e != p.end(); ++e) {
          if (e.key() != "actor" && e.key() != "role") {
            Bad(at + "." + e.key(), "unknown member of a party (it takes actor and role)");
          }
        }
        std::optional<std::string> actor;
        if (!p.contains("actor")) {
          Bad(at + ".actor", "is missing");
        } else {
          actor = Resolve(EntityKind::kActor, p["actor"], at + ".actor");
        }
        auto r = p.find("role");
        bool role_ok = r != p.end() && r->is_string() && !r->get_ref<const std::string&>().empty();
        if (!role_ok) Bad(at + ".role", "must be non-empty text, e.g. \"complainant\"");
        if (actor && role_ok) parties.push_back(Json{{"actor", *actor}, {"role", *r}});
      }
    }
  }
  auto exhibits = RefList(EntityKind::kItem, m, "exhibits");
  Json body{{"type", std::string(catalog::kCaseAdded)}};
  if (title) body["title"] = *title;
  if (jurisdiction) body["jurisdiction"] = *jurisdiction;
  if (description) body["description"] = *description;
  if (!parties.empty()) body["parties"] = parties;
  if (title) RefuseKnownNames(EntityKind::kCase, "title", *title, {});
  std::string value = NewEntity(EntityKind::kCase);
  Plan(std::move(body));
  if (!exhibits.empty()) {
    Plan(Json{{"type", std::string(catalog::kCaseLinked)}, {"case", value}, {"items", exhibits}});
  }
  DefineRef(EntityKind::kCase, m, value);
}

void Importer::CheckType(bool relation, const Json& m, const std::string& column,
                         const std::string& word) {
  std::optional<std::vector<std::string>>& known = relation ? relation_types_ : event_types_;
  if (!known) {
    known = relation ? catalog::StandardRelationTypes() : catalog::StandardCaseEventTypes();
    auto in_use = relation ? archive_.catalog().RelationTypesInUse()
                           : archive_.catalog().CaseEventTypesInUse();
    if (in_use.ok()) {
      for (const auto& w : *in_use) {
        if (std::find(known->begin(), known->end(), w) == known->end()) known->push_back(w);
      }
    }
  }
  auto flag = m.find("new_type");
  if (flag != m.end() && !flag->is_boolean()) {
    Bad("new_type", "must be true or false");
    return;
  }
  const bool new_type = flag != m.end() && flag->get<bool>();
  if (std::string near = catalog::TypeSlip(word, *known); !near.empty() && !new_type) {
    Bad(column, Quote(word) + " is not a known " + (relation ? "relation" : "case event") +
                    " type (standard, in the archive, or of an earlier line); did you mean " +
                    near +
                    "? If it is meant as a type of its own, add \"new_type\": true to the line");
    return;
  }
  if (std::find(known->begin(), known->end(), word) == known->end()) known->push_back(word);
}

void Importer::CaseEventLine(const Json& m) {
  CheckMembers(
      m, {"kind", "ref", "lang", "case", "type", "date", "description", "documents", "new_type"},
      "case_event");
  std::string lang = Lang(m).value_or("en");
  std::optional<std::string> owner;
  if (!Present(m, "case")) {
    Bad("case", "a case event needs its case (a ref or an id)");
  } else {
    owner = Resolve(EntityKind::kCase, m["case"], "case");
  }
  auto type = Str(m, "type");
  std::optional<std::string> event;
  if (!type) {
    Bad("type",
        "a case event needs a type: complaint, investigation, warrant, appeal, ruling, ...");
  } else {
    std::string w;
    for (char c : *type) {
      if (c == ' ' || c == '-') {
        w += '_';
      } else {
        w += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      }
    }
    if (catalog::IsEntryWord(w)) {
      event = w;
      CheckType(/*relation=*/false, m, "type", w);
    } else {
      Bad("type", Quote(*type) +
                      " is not an event type: a word of letters, digits, spaces or _, e.g. "
                      "cassation_request");
    }
  }
  auto date = Date(m, "date");
  if (!Present(m, "date")) Bad("date", "a case event needs a date (YYYY, YYYY-MM or YYYY-MM-DD)");
  auto description = TextMap(m, "description", lang);
  auto documents = RefList(EntityKind::kItem, m, "documents");
  Json body{{"type", std::string(catalog::kCaseEvent)}};
  if (owner) body["case"] = *owner;
  if (event) body["event"] = *event;
  if (date) body["date"] = *date;
  if (description) body["description"] = *description;
  if (!documents.empty()) body["documents"] = documents;
  DefineRef(EntityKind::kCaseEvent, m, NewEntity(EntityKind::kCaseEvent));
  Plan(std::move(body));
}

// The owner and items of a link or unlink line (`what`: "a link", "an
// unlink"); nullopt after a problem is reported. `inc` says whether the owner is an incident.
std::optional<std::pair<std::string, std::vector<std::string>>> Importer::LinkTarget(
    const Json& m, const std::string& what, bool* inc) {
  *inc = Present(m, "incident");
  if (*inc == Present(m, "case")) {
    Bad(*inc ? "case" : "incident", what + " names an incident or a case (one of them)");
    return std::nullopt;
  }
  std::optional<std::string> owner = *inc
                                         ? Resolve(EntityKind::kIncident, m["incident"], "incident")
                                         : Resolve(EntityKind::kCase, m["case"], "case");
  auto items = RefList(EntityKind::kItem, m, "items");
  if (!Present(m, "items") || (m["items"].is_array() && m["items"].empty())) {
    Bad("items", what + " needs items: [ref, ...]");
  }
  if (!owner || items.empty()) return std::nullopt;
  return std::make_pair(*owner, items);
}

void Importer::LinkLine(const Json& m) {
  CheckMembers(m, {"kind", "incident", "case", "items"}, "link");
  bool inc = false;
  auto target = LinkTarget(m, "a link", &inc);
  if (!target) return;
  Plan(Json{{"type", std::string(inc ? catalog::kIncidentLinked : catalog::kCaseLinked)},
            {inc ? "incident" : "case", target->first},
            {"items", target->second}});
}

// A link taken back (incident.unlinked / case.unlinked): only of an item
// linked now, in the archive or earlier in this file.
void Importer::UnlinkLine(const Json& m) {
  CheckMembers(m, {"kind", "incident", "case", "items", "reason"}, "unlink");
  bool inc = false;
  auto target = LinkTarget(m, "an unlink", &inc);
  const bool typed = m.contains("reason") && !m["reason"].is_null() && !m["reason"].is_string();
  auto reason = Str(m, "reason");  // reports a reason that is not a string
  if (!typed && (!reason || catalog::IsBlank(*reason))) {
    Bad("reason", "an unlink needs a reason: why the link is taken back");
  }
  if (!target || !reason || catalog::IsBlank(*reason)) return;
  const std::string* owner = &target->first;
  const std::vector<std::string>& items = target->second;
  // A file this import adds has no id yet (the same bytes may turn out to be an
  // item the archive holds): its links in the archive cannot be told here, only
  // one made by an earlier line of this file.
  for (const std::string& item : items) {
    if (item.size() > 1 && item[0] == kMark && item[1] == 'P' && !linked_.count({*owner, item})) {
      Bad("items", Shown(item) +
                       " is added by this import; an unlink takes back a link already "
                       "made: name the item by its id or sha256");
      return;
    }
  }
  std::vector<std::string> now;
  if ((*owner)[0] != kMark) {
    if (auto e = archive_.catalog().Entity(*owner); e.ok()) now = e->items;
  }
  for (const std::string& item : items) {
    std::pair<std::string, std::string> link{*owner, item};
    bool is_linked = !unlinked_.count(link) &&
                     (linked_.count(link) || std::find(now.begin(), now.end(), item) != now.end());
    if (!is_linked) {
      Bad("items", Shown(item) + " is not " +
                       (inc ? "linked to that incident" : "an exhibit of that case") +
                       ", so there is nothing to take back");
      return;
    }
  }
  for (const std::string& item : items) {
    linked_.erase({*owner, item});
    unlinked_.insert({*owner, item});
  }
  const char* key = inc ? "incident" : "case";
  Plan(Json{{"type", std::string(inc ? catalog::kIncidentUnlinked : catalog::kCaseUnlinked)},
            {key, *owner},
            {"items", items},
            {"reason", *reason}});
}

// A claim (relation.withdrawn) or a case event (case.event_withdrawn) taken
// back: only one that stands now, in the archive or made by an earlier line of
// this file, and not withdrawn since.
void Importer::WithdrawLine(const Json& m) {
  CheckMembers(m, {"kind", "relation", "event", "reason"}, "withdraw");
  const bool event = Present(m, "event");
  const char* column = event ? "event" : "relation";
  const char* what = event ? "event" : "claim";
  std::optional<std::string> target;
  if (event == Present(m, "relation")) {
    Bad("relation",
        "a withdraw line names what it takes back, one of: \"relation\" (its ref or id, rel12) "
        "or \"event\" (a case event's ref or id, ev20)");
  } else {
    target = Resolve(event ? EntityKind::kCaseEvent : EntityKind::kRelation, m[column], column);
  }
  const bool typed = m.contains("reason") && !m["reason"].is_null() && !m["reason"].is_string();
  auto reason = Str(m, "reason");  // reports a reason that is not a string
  if (!typed && (!reason || catalog::IsBlank(*reason))) {
    Bad("reason",
        std::string("a withdraw line needs a reason: why the ") + what + " is taken back");
  }
  if (!target || !reason || catalog::IsBlank(*reason)) return;
  bool stands = !withdrawn_.count(*target);
  if (stands && (*target)[0] != kMark && event) {
    auto r = archive_.catalog().Entity(*target);
    if (!r.ok()) {
      Bad(column, r.status().message());
      return;
    }
    stands = r->events_withdrawn.empty();
  } else if (stands && (*target)[0] != kMark) {
    auto r = archive_.catalog().Relation(*target);
    if (!r.ok() && r.status().code() != core::Code::kFailedPrecondition) {
      Bad(column, r.status().message());
      return;
    }
    stands = r.ok();
  }
  if (!stands) {
    Bad(column, Shown(*target) + " is withdrawn already, so there is nothing to take back");
    return;
  }
  withdrawn_.insert(*target);
  Plan(Json{
      {"type", std::string(event ? catalog::kCaseEventWithdrawn : catalog::kRelationWithdrawn)},
      {column, *target},
      {"reason", *reason}});
}

// ------------------------------------------------------------------ checking and applying

std::string Importer::Real(const std::string& v, uint64_t base,
                           const std::vector<std::string>* path_ids) const {
  if (v.size() < 3 || v[0] != kMark) return v;
  uint64_t n = 0;
  std::from_chars(v.data() + 2, v.data() + v.size(), n);
  if (v[1] == 'P') return path_ids ? (*path_ids)[n] : catalog::ItemId(kDummyItemBase + n);
  return catalog::EntityId(created_.at(n), base + (position_.empty() ? n : position_[n]));
}

size_t Importer::LeaveOutUnchanged(const std::vector<std::string>& path_ids) {
  std::map<std::string, catalog::ItemDetails> state;   // as the batch so far leaves each item
  std::map<std::string, std::set<std::string>> notes;  // item -> SHA-256 (hex) of its notes
  auto details = [&](const std::string& id) -> catalog::ItemDetails* {
    auto it = state.find(id);
    if (it == state.end() && new_items_.count(id)) {
      it = state.emplace(id, catalog::ItemDetails{}).first;  // nothing to ask the catalogue
    } else if (it == state.end()) {
      auto d = archive_.catalog().Details(id);
      if (!d.ok()) return nullptr;  // kept as planned: recording it will say what is wrong
      it = state.emplace(id, std::move(*d)).first;
    }
    return &it->second;
  };
  // Takes `key` out of `body` when it says what `now` holds, else makes it what
  // `now` holds; returns whether it stays.
  auto same = [](Json& body, const char* key, std::string& now) {
    if (!body.contains(key)) return false;
    const std::string& v = body[key].get_ref<const std::string&>();
    if (v == now) {
      body.erase(key);
      return false;
    }
    now = v;
    return true;
  };
  std::vector<bool> keep(bodies_.size(), true);
  for (size_t n = 0; n < bodies_.size(); ++n) {
    Json& b = bodies_[n].body;
    const std::string type = b["type"].get<std::string>();
    if (type == catalog::kIncidentLinked || type == catalog::kIncidentUnlinked) {
      // A link the item already has is not recorded again.
      const std::string inc = b["incident"].get<std::string>();
      const bool link = type == catalog::kIncidentLinked;
      Json items = Json::array();
      for (const Json& v : b["items"]) {
        catalog::ItemDetails* d = details(Real(v.get<std::string>(), 0, &path_ids));
        if (!d) {
          items.push_back(v);
          continue;
        }
        const bool has =
            std::find(d->incidents.begin(), d->incidents.end(), inc) != d->incidents.end();
        if (link && has) continue;  // (an unlink of an absent link is refused earlier)
        if (link) {
          d->incidents.push_back(inc);
        } else {
          std::erase(d->incidents, inc);
        }
        items.push_back(v);
      }
      b["items"] = items;
      keep[n] = !items.empty();
      continue;
    }
    if (type == catalog::kNoteAdded && b.contains("item")) {
      // The same note on the same item again (by its text, or the hash of a
      // long one kept as a blob) is not recorded again.
      const std::string id = Real(b["item"].get<std::string>(), 0, &path_ids);
      auto [it, fresh] = notes.try_emplace(id);
      if (fresh && !new_items_.count(id)) {
        auto held = archive_.catalog().Notes(id);
        if (held.ok()) {
          for (const catalog::NoteRecord& r : *held) {
            it->second.insert(r.text_sha256 ? r.text_sha256->Hex() : core::Sha256Of(r.text).Hex());
          }
        }
      }
      const std::string& text = b["text"].get_ref<const std::string&>();
      keep[n] = it->second.insert(core::Sha256Of(text).Hex()).second;
      continue;
    }
    if (type == catalog::kItemDerived) {
      catalog::ItemDetails* d = details(Real(b["item"].get<std::string>(), 0, &path_ids));
      const std::string original = Real(b["original"].get<std::string>(), 0, &path_ids);
      if (d && d->original == original) keep[n] = false;
      if (d) d->original = original;
      continue;
    }
    if (type != catalog::kItemDescribed && type != catalog::kItemTagged &&
        type != catalog::kItemReviewed) {
      continue;
    }
    catalog::ItemDetails* d = details(Real(b["item"].get<std::string>(), 0, &path_ids));
    if (!d) continue;
    if (type == catalog::kItemDescribed) {
      if (b.contains("lang")) {
        const std::string lang = b["lang"].get<std::string>();
        bool text = same(b, "title", d->titles[lang]);
        text |= same(b, "description", d->descriptions[lang]);
        if (!text) b.erase("lang");
      }
      same(b, "event_date", d->event_date);
      same(b, "place", d->place);
      if (b.contains("lat") && b["lat"] == d->lat && b["lon"] == d->lon) {
        b.erase("lat");
        b.erase("lon");
      } else if (b.contains("lat")) {
        d->lat = b["lat"].get<std::string>();
        d->lon = b["lon"].get<std::string>();
      }
      keep[n] = b.size() > 2;  // more than its type and item
    } else if (type == catalog::kItemTagged) {
      auto has = [&](const std::string& t) {
        return std::find(d->tags.begin(), d->tags.end(), t) != d->tags.end();
      };
      Json add = Json::array(), remove = Json::array();
      for (const Json& t : b.value("add", Json::array())) {
        if (!has(t.get<std::string>())) {
          d->tags.push_back(t.get<std::string>());
          add.push_back(t);
        }
      }
      for (const Json& t : b.value("remove", Json::array())) {
        if (has(t.get<std::string>())) {
          std::erase(d->tags, t.get<std::string>());
          remove.push_back(t);
        }
      }
      b.erase("add");
      b.erase("remove");
      if (!add.empty()) b["add"] = add;
      if (!remove.empty()) b["remove"] = remove;
      keep[n] = !add.empty() || !remove.empty();
    } else {  // a review: the same status for the same reason again is no new review
      const std::string status = b["status"].get<std::string>();
      const std::string reason = b["reason"].get<std::string>();
      if (!d->reviews.empty() && d->reviews.back().status == status &&
          d->reviews.back().reason == reason) {
        keep[n] = false;
      } else {
        d->reviews.push_back(catalog::ReviewRecord{0, status, reason, "", ""});
      }
    }
  }
  position_.assign(bodies_.size(), 0);
  size_t left_out = 0;
  for (size_t n = 0; n < bodies_.size(); ++n) {
    position_[n] = n - left_out;
    if (!keep[n]) ++left_out;
  }
  kept_ = std::move(keep);
  return left_out;
}

Json Importer::Materialise(const Json& body, uint64_t base,
                           const std::vector<std::string>* path_ids) const {
  Json out = body;
  auto one = [&](Json& v) {
    if (v.is_string()) v = Real(v.get<std::string>(), base, path_ids);
  };
  for (const char* key : {"item", "original", "place", "within", "incident", "subject", "object",
                          "case", "relation", "event"}) {  // a case.event's word stays as it is
    if (out.contains(key)) one(out[key]);
  }
  for (const char* key : {"places", "items", "documents"}) {
    if (!out.contains(key)) continue;
    Json list = Json::array();
    for (Json v : out[key]) {
      one(v);
      if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
    }
    out[key] = list;
  }
  if (out.contains("sources")) {
    Json list = Json::array();
    std::set<std::string> seen;
    for (Json s : out["sources"]) {
      one(s["item"]);
      if (seen.insert(s["item"].get<std::string>()).second) list.push_back(s);
    }
    out["sources"] = list;
  }
  if (out.contains("parties")) {
    for (Json& p : out["parties"]) one(p["actor"]);
  }
  return out;
}

void Importer::CheckBodies() {
  // Time and operator as the archive will give them (an operator name of 64
  // bytes stands for the real one when checking the size limit).
  catalog::Actor by{"2000-01-01T00:00:00.000Z", std::string(64, 'o')};
  const uint64_t base = archive_.NextLeafIndex();
  std::set<uint64_t> bad_rows;
  for (const ImportProblem& p : report_->problems) bad_rows.insert(p.row);
  for (const Planned& p : bodies_) {
    if (bad_rows.count(p.row)) continue;  // already reported; its body may be incomplete
    // A note of any length is fine (Record stores a long one as a blob).
    if (p.body["type"].get_ref<const std::string&>() == catalog::kNoteAdded) continue;
    auto entry = catalog::GraphEntry(by, Materialise(p.body, base, nullptr));
    if (!entry.ok()) report_->problems.push_back({p.row, "", entry.status().message()});
  }
}

void Importer::Count() {
  report_->files = paths_.size();
  report_->entries = bodies_.size();
  report_->entities = created_.size();
  report_->notes = notes_;
  report_->items_described = described_.size();
}

Status Importer::Apply(const ImportOptions& options, const std::string& file) {
  // 1. The files.
  std::map<std::string, std::string> ids;  // path given to Add -> item id
  std::vector<std::string> skipped;
  uint64_t bytes_before = 0, files_before = 0;  // of the groups already stored
  for (const AddGroup& g : groups_) {
    AddRequest req;
    req.paths = g.paths;
    req.url = g.url;
    req.jobs = options.jobs;
    AddCallbacks cb;
    std::atomic<uint64_t> group_bytes{0};
    if (options.on_progress) {
      cb.on_progress = [&](uint64_t bytes, uint64_t done, uint64_t) {
        group_bytes.store(bytes, std::memory_order_relaxed);
        options.on_progress(bytes_before + bytes, files_before + done, paths_.size());
      };
    }
    cb.on_added = [&](const AddedFile& f) {
      ids[f.path] = f.id;
      if (f.new_item) {
        new_items_.insert(f.id);
        report_->items_added++;
      } else if (!f.already_recorded) {
        report_->sources_added++;
      } else {  // from the same path before: nothing recorded
        report_->files_unchanged++;
      }
    };
    cb.on_skipped = [&](const std::string& path, const Status& why) {
      skipped.push_back(path + ": " + why.message());
    };
    auto summary = archive_.Add(req, cb);
    bytes_before += group_bytes.load(std::memory_order_relaxed);
    files_before += g.paths.size();
    if (!summary.ok()) {
      return Status(summary.status().code(),
                    "importing " + file + ": ingesting its files stopped: " +
                        summary.status().message() + ". " + std::to_string(ids.size()) +
                        " file(s) were ingested before and are preserved; no description, "
                        "entity or link was recorded. Re-running the import is safe: re-adding "
                        "bytes the archive holds from the same paths records nothing new.");
    }
  }
  std::vector<std::string> path_ids;
  for (const std::string& p : paths_) {
    auto it = ids.find(p);
    if (it == ids.end()) {
      bool listed = false;
      for (const auto& s : skipped) listed |= s.starts_with(p + ": ");
      if (!listed) skipped.push_back(p + ": not reported as added");
      path_ids.push_back("");
    } else {
      path_ids.push_back(it->second);
    }
  }
  if (!skipped.empty()) {
    std::string list;
    for (const auto& s : skipped) list += "\n  " + s;
    return core::IoError("importing " + file + ": " + std::to_string(skipped.size()) +
                         " file(s) could not be ingested:" + list + "\nThe " +
                         std::to_string(ids.size()) +
                         " other file(s) were ingested and are preserved; no description, entity "
                         "or link was recorded. Fix the files and re-run the import: re-adding "
                         "bytes the archive holds from the same paths records nothing new.");
  }

  // 2. The graph, one batch.
  if (!bodies_.empty()) {
    const uint64_t base = archive_.NextLeafIndex();
    report_->unchanged = LeaveOutUnchanged(path_ids);
    std::vector<Json> bodies;
    bodies.reserve(bodies_.size());
    for (size_t n = 0; n < bodies_.size(); ++n) {
      if (kept_[n]) bodies.push_back(Materialise(bodies_[n].body, base, &path_ids));
    }
    report_->entries = bodies.size();
    report_->notes = 0;
    // Two paths with the same bytes are one item: count items, not paths; and
    // only those this batch says something new of.
    std::set<std::string> described, touched;
    for (const std::string& v : described_) described.insert(Real(v, base, &path_ids));
    for (const Json& b : bodies) {
      if (b["type"] == catalog::kNoteAdded) report_->notes++;
      for (const char* key : {"item", "items"}) {
        if (!b.contains(key)) continue;
        for (const Json& v : b[key].is_array() ? b[key] : Json::array({b[key]})) {
          if (v.is_string() && described.count(v.get<std::string>())) {
            touched.insert(v.get<std::string>());
          }
        }
      }
    }
    report_->items_described = touched.size();
    if (bodies.empty()) return Status::Ok();  // all of it was recorded before
    const uint64_t size_before = archive_.log().size();
    auto first = archive_.Record(bodies);
    if (!first.ok() && archive_.log().size() > size_before) {
      // Committed and signed, then a later step (the history file, the
      // catalogue) failed: the import is done; what failed says what is left.
      return Status(first.status().code(),
                    "importing " + file + ": the import is done (its " +
                        std::to_string(bodies.size()) +
                        " graph entries were recorded, log entries " + std::to_string(size_before) +
                        " to " + std::to_string(archive_.log().size() - 1) +
                        "), so do not import the file again. What failed after that: " +
                        first.status().message());
    }
    if (!first.ok()) {
      std::string files =
          paths_.empty()
              ? std::string("Nothing was written.")
              : std::to_string(paths_.size()) + " file(s) were ingested and are preserved (" +
                    std::to_string(report_->items_added) + " new item(s), " +
                    std::to_string(report_->sources_added) +
                    " already held); their descriptions were not. Fix the cause and re-run the "
                    "import: re-adding bytes the archive holds from the same paths records nothing "
                    "new.";
      return Status(first.status().code(),
                    "importing " + file + ": recording the " + std::to_string(bodies.size()) +
                        " graph entries failed, so none was recorded: " + first.status().message() +
                        ". " + files);
    }
    report_->first_leaf = *first;
  }

  return Status::Ok();
}

// ------------------------------------------------------------------ export

using Ordered = nlohmann::ordered_json;

Ordered ToOrdered(const Json& j) { return Ordered::parse(j.dump()); }

bool IsStandard(const std::vector<std::string>& types, const std::string& type) {
  return std::find(types.begin(), types.end(), type) != types.end();
}

void CopyIf(Ordered& line, const char* to, const Json& e, const char* from) {
  if (e.contains(from)) line[to] = ToOrdered(e[from]);
}

StatusOr<std::string> ReadBlobText(const Archive& archive, const std::string& hex) {
  ISNAD_ASSIGN_OR_RETURN(core::Hash hash, core::Hash::FromHex(hex));
  return archive.NoteText(hash);
}

Status ExportJsonl(const Archive& archive, std::ostream& out) {
  std::vector<std::pair<uint64_t, Json>> graph;
  std::set<std::string> mentioned;
  auto mention = [&mentioned](const Json& e) {
    for (const char* key : {"item", "original"}) {
      if (e.contains(key)) mentioned.insert(e[key].get<std::string>());
    }
    for (const char* key : {"items", "documents"}) {
      if (e.contains(key)) {
        for (const Json& v : e[key]) mentioned.insert(v.get<std::string>());
      }
    }
    if (e.contains("sources")) {
      for (const Json& s : e["sources"]) mentioned.insert(s["item"].get<std::string>());
    }
  };
  ISNAD_RETURN_IF_ERROR(archive.log().ForEachEntry(
      0, archive.log().size(), [&](uint64_t i, std::string_view bytes) -> Status {
        auto e = catalog::ParseEntry(bytes);
        if (!e.ok()) return e.status().WithContext("log entry " + std::to_string(i));
        const std::string& type = (*e)["type"].get_ref<const std::string&>();
        // The graph only: custody of bytes, captures, web archive indexes,
        // timestamps and media analyses stay with the log.
        if (type == catalog::kArchiveCreated || type == catalog::kItemIngested ||
            type == catalog::kSourceAdded || type == catalog::kItemAnalyzed ||
            type == catalog::kCaptureRecorded || type == catalog::kCaptureExtracted ||
            type == catalog::kWarcRecord || type == catalog::kWarcIndexed ||
            type == catalog::kTimestampAdded) {
          return Status::Ok();
        }
        mention(*e);
        graph.emplace_back(i, std::move(*e));
        return Status::Ok();
      }));
  auto write = [&out](const Ordered& line) { out << line.dump() << '\n'; };

  ISNAD_ASSIGN_OR_RETURN(auto items, archive.catalog().Items());
  for (const auto& r : items) {
    if (!mentioned.count(r.id)) continue;
    Ordered line;
    line["kind"] = "item";
    line["ref"] = r.id;
    line["sha256"] = r.sha256.Hex();
    write(line);
  }

  std::optional<Ordered> pending;  // the last line, held back so a link can join it
  uint64_t pending_leaf = 0;
  // What stands as the log is read, so that an unlink of an item not linked
  // then, or a second withdrawal of a claim or event (the log allows both; they change
  // nothing), is not written: import refuses such lines.
  std::set<std::pair<std::string, std::string>> linked;  // (incident or case, item)
  std::set<std::string> withdrawn;                       // relations and case events
  auto flush = [&] {
    if (pending) write(*pending);
    pending.reset();
  };
  for (const auto& [leaf, e] : graph) {
    const std::string& type = e["type"].get_ref<const std::string&>();
    Ordered line;
    auto item_line = [&line, &e = e] {
      line["kind"] = "item";
      line["id"] = e["item"].get<std::string>();
    };
    if (type == catalog::kItemDescribed) {
      item_line();
      if (e.contains("title"))
        line["title"] = Ordered{{e["lang"].get<std::string>(), e["title"].get<std::string>()}};
      if (e.contains("description")) {
        line["description"] =
            Ordered{{e["lang"].get<std::string>(), e["description"].get<std::string>()}};
      }
      for (const char* k : {"event_date", "place", "lat", "lon"}) CopyIf(line, k, e, k);
    } else if (type == catalog::kItemTagged) {
      item_line();
      CopyIf(line, "tags", e, "add");
      CopyIf(line, "remove_tags", e, "remove");
    } else if (type == catalog::kItemReviewed) {
      item_line();
      CopyIf(line, "status", e, "status");
      CopyIf(line, "reason", e, "reason");
    } else if (type == catalog::kItemDerived) {
      item_line();
      CopyIf(line, "original", e, "original");
    } else if (type == catalog::kNoteAdded) {
      item_line();
      if (e.contains("text")) {
        line["note"] = e["text"].get<std::string>();
      } else {
        auto text = ReadBlobText(archive, e["text_sha256"].get<std::string>());
        if (!text.ok()) {
          return text.status().WithContext("reading the long note of log entry " +
                                           std::to_string(leaf));
        }
        line["note"] = *text;
      }
    } else if (type == catalog::kPlaceAdded) {
      line["kind"] = "place";
      line["ref"] = catalog::EntityId(EntityKind::kPlace, leaf);
      for (const char* k : {"names", "variants", "lat", "lon", "within"}) CopyIf(line, k, e, k);
    } else if (type == catalog::kIncidentAdded) {
      line["kind"] = "incident";
      line["ref"] = catalog::EntityId(EntityKind::kIncident, leaf);
      CopyIf(line, "title", e, "title");
      CopyIf(line, "type", e, "category");
      for (const char* k : {"date", "places", "description"}) CopyIf(line, k, e, k);
    } else if (type == catalog::kIncidentLinked || type == catalog::kCaseLinked) {
      const bool inc = type == catalog::kIncidentLinked;
      const char* owner_key = inc ? "incident" : "case";
      const char* join_key = inc ? "items" : "exhibits";
      const std::string owner = e[owner_key].get<std::string>();
      for (const Json& item : e["items"]) linked.emplace(owner, item.get<std::string>());
      if (pending && pending_leaf + 1 == leaf &&
          (*pending)["kind"].get<std::string>() == owner_key && pending->contains("ref") &&
          (*pending)["ref"].get<std::string>() == owner && !pending->contains(join_key)) {
        (*pending)[join_key] = ToOrdered(e["items"]);
        pending_leaf = leaf;
        continue;
      }
      line["kind"] = "link";
      line[owner_key] = owner;
      line["items"] = ToOrdered(e["items"]);
    } else if (type == catalog::kIncidentUnlinked || type == catalog::kCaseUnlinked) {
      const char* owner_key = type == catalog::kIncidentUnlinked ? "incident" : "case";
      const std::string owner = e[owner_key].get<std::string>();
      Json items = Json::array();
      for (const Json& item : e["items"]) {
        if (linked.erase({owner, item.get<std::string>()}) > 0) items.push_back(item);
      }
      if (items.empty()) continue;
      line["kind"] = "unlink";
      line[owner_key] = owner;
      line["items"] = ToOrdered(items);
      line["reason"] = e["reason"].get<std::string>();
    } else if (type == catalog::kActorAdded) {
      line["kind"] = "actor";
      line["ref"] = catalog::EntityId(EntityKind::kActor, leaf);
      CopyIf(line, "type", e, "actor_type");
      for (const char* k : {"names", "variants", "description"}) CopyIf(line, k, e, k);
    } else if (type == catalog::kRelationWithdrawn || type == catalog::kCaseEventWithdrawn) {
      const char* key = type == catalog::kRelationWithdrawn ? "relation" : "event";
      if (!withdrawn.insert(e[key].get<std::string>()).second) continue;
      line["kind"] = "withdraw";
      line[key] = e[key].get<std::string>();
      line["reason"] = e["reason"].get<std::string>();
    } else if (type == catalog::kRelationAdded) {
      line["kind"] = "relation";
      line["ref"] = catalog::EntityId(EntityKind::kRelation, leaf);
      for (const char* k : {"subject", "predicate", "object", "from", "to", "sources"}) {
        CopyIf(line, k, e, k);
      }
      // A type of the archive's own imports again as one, never taken for a slip.
      if (!IsStandard(catalog::StandardRelationTypes(), e.value("predicate", ""))) {
        line["new_type"] = true;
      }
    } else if (type == catalog::kCaseAdded) {
      line["kind"] = "case";
      line["ref"] = catalog::EntityId(EntityKind::kCase, leaf);
      for (const char* k : {"title", "jurisdiction", "description", "parties"}) {
        CopyIf(line, k, e, k);
      }
    } else if (type == catalog::kCaseEvent) {
      line["kind"] = "case_event";
      line["ref"] = catalog::EntityId(EntityKind::kCaseEvent, leaf);
      CopyIf(line, "case", e, "case");
      CopyIf(line, "type", e, "event");
      for (const char* k : {"date", "description", "documents"}) CopyIf(line, k, e, k);
      if (!IsStandard(catalog::StandardCaseEventTypes(), e.value("event", ""))) {
        line["new_type"] = true;
      }
    } else {
      return core::Unimplemented("log entry " + std::to_string(leaf) + " is of type \"" + type +
                                 "\", which export-catalog does not know");
    }
    flush();
    pending = std::move(line);
    pending_leaf = leaf;
  }
  flush();
  return Status::Ok();
}

// The name to write for a place or incident: its label when that names
// exactly this one, else its id.
std::string NameOrId(const catalog::Catalog& cat, EntityKind kind, const std::string& id) {
  auto e = cat.Entity(id);
  if (!e.ok()) return id;
  std::string label = e->Label();
  if (label.empty()) return id;
  auto back = cat.ResolveRef(kind, label);
  return back.ok() && *back == id ? label : id;
}

Status ExportCsv(const Archive& archive, std::ostream& out) {
  // status and reason: the latest review, for an item reviewed at all (a lawyer
  // given the sheet must see what was verified, disputed or rejected).
  static const std::vector<std::string> kHeader = {
      "id",  "sha256", "language", "title",    "description", "event_date", "place",
      "lat", "lon",    "tags",     "incident", "status",      "reason"};
  auto write = [&out](const std::vector<std::string>& row) {
    for (size_t k = 0; k < row.size(); ++k) out << (k ? "," : "") << CsvQuote(row[k]);
    out << "\r\n";
  };
  const catalog::Catalog& cat = archive.catalog();
  // Checked before the first byte is written: standard output cannot be taken
  // back, and a file cut short after some rows would look whole.
  for (const auto& sep : catalog::TagSeparators()) {
    ISNAD_ASSIGN_OR_RETURN(auto holding, cat.TagHolding(sep));
    if (holding) {
      return core::InvalidArgument(
          "item " + holding->first + " has the tag " + Quote(holding->second) +
          ", which holds a '" + sep +
          "' and cannot be written in the CSV tags column (';', ',', '؛' and '،' separate tags "
          "there); use --format jsonl");
    }
  }
  write(kHeader);
  ISNAD_ASSIGN_OR_RETURN(auto items, cat.Items());
  for (const auto& r : items) {
    ISNAD_ASSIGN_OR_RETURN(catalog::ItemDetails d, cat.Details(r.id));
    std::set<std::string> lang_set;
    for (const auto& [l, t] : d.titles) lang_set.insert(l);
    for (const auto& [l, t] : d.descriptions) lang_set.insert(l);
    std::vector<std::string> langs(lang_set.begin(), lang_set.end());
    std::string tags;
    for (const auto& t : d.tags) {
      if (!catalog::TagSeparatorIn(t).empty()) {  // tagged since the check above
        return core::InvalidArgument("item " + r.id + " was given the tag " + Quote(t) +
                                     " during the export; use --format jsonl");
      }
      tags += (tags.empty() ? "" : ";") + t;
    }
    size_t rows = std::max<size_t>({1, langs.size(), d.incidents.size()});
    for (size_t k = 0; k < rows; ++k) {
      std::vector<std::string> row(kHeader.size());
      row[0] = r.id;
      row[1] = r.sha256.Hex();
      if (k < langs.size()) {
        const std::string& l = langs[k];
        row[2] = l;
        if (auto t = d.titles.find(l); t != d.titles.end()) row[3] = t->second;
        if (auto t = d.descriptions.find(l); t != d.descriptions.end()) row[4] = t->second;
      }
      if (k == 0) {
        row[5] = d.event_date;
        if (!d.place.empty()) row[6] = NameOrId(cat, EntityKind::kPlace, d.place);
        row[7] = d.lat;
        row[8] = d.lon;
        row[9] = tags;
        if (!d.reviews.empty()) {
          row[11] = d.reviews.back().status;
          row[12] = d.reviews.back().reason;
        }
      }
      if (k < d.incidents.size()) row[10] = NameOrId(cat, EntityKind::kIncident, d.incidents[k]);
      for (size_t c = 0; c < kHeader.size(); ++c) {
        if (kSpreadsheetTextColumns.count(kHeader[c])) row[c] = ToSpreadsheetText(row[c]);
      }
      write(row);
    }
  }
  return Status::Ok();
}

}  // namespace

namespace {

StatusOr<ImportReport> ImportFile(Archive& archive, const std::string& file,
                                  const ImportOptions& options) {
  ImportReport report;
  std::string ext = fs::path(file).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".csv") {
    report.format = "csv";
  } else if (ext == ".jsonl" || ext == ".ndjson") {
    report.format = "jsonl";
  } else {
    if (ext == ".xlsx" || ext == ".xls" || ext == ".ods" || ext == ".numbers") {
      return core::InvalidArgument(
          file +
          " is a spreadsheet workbook, which isnad does not read: in your spreadsheet "
          "program, save the sheet as \"CSV UTF-8 (comma delimited)\" and import that "
          ".csv file (renaming the workbook is not enough)");
    }
    return core::InvalidArgument("cannot tell the format of " + file +
                                 ": name it .csv (items) or .jsonl (JSON Lines, the whole graph)");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return core::ErrnoStatus("cannot open", file, errno);
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return core::IoError("cannot read " + file);
  const std::string text = ss.str();
  std::error_code ec;
  fs::path dir = fs::canonical(fs::absolute(file, ec).parent_path(), ec);
  if (ec) return core::IoError("cannot resolve the folder of " + file + ": " + ec.message());

  Importer importer(archive, dir.string(), report.format == "csv", &report);
  if (report.format == "csv") {
    importer.CsvFile(text);
  } else {
    importer.JsonlFile(text);
  }
  importer.CheckBodies();
  importer.Count();
  std::stable_sort(report.problems.begin(), report.problems.end(),
                   [](const ImportProblem& a, const ImportProblem& b) { return a.row < b.row; });
  if (!report.problems.empty() || options.dry_run) return report;
  ISNAD_RETURN_IF_ERROR(importer.Apply(options, file));
  return report;
}

}  // namespace

// nlohmann throws on misuse; nothing may leave this module but a status.
StatusOr<ImportReport> Import(Archive& archive, const std::string& file,
                              const ImportOptions& options) {
  try {
    return ImportFile(archive, file, options);
  } catch (const std::exception& e) {
    return core::Internal("importing " + file + ": " + e.what());
  }
}

Status ExportCatalog(const Archive& archive, std::string_view format, std::ostream& out) try {
  Status s;
  if (format == "jsonl") {
    s = ExportJsonl(archive, out);
  } else if (format == "csv") {
    s = ExportCsv(archive, out);
  } else {
    return core::InvalidArgument("unknown export format \"" + std::string(format) +
                                 "\": give jsonl or csv");
  }
  if (!s.ok()) return s;
  out.flush();
  if (!out) return core::IoError("cannot write the export");
  return Status::Ok();
} catch (const std::exception& e) {
  return core::Internal(std::string("exporting the catalogue: ") + e.what());
}

}  // namespace isnad::archive
