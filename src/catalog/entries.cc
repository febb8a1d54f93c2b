#include "catalog/entries.h"

#include <array>
#include <charconv>
#include <cstddef>
#include <span>

#include "core/encoding.h"

namespace isnad::catalog {
namespace {

using core::Json;
using core::Status;
using core::StatusOr;

// What a member's value must be.
enum class Kind {
  kText,       // non-empty string
  kSha256,     // 64 lower-case hex digits
  kSize,       // integer 0 .. 2^53-1 (canonical JSON refuses anything larger)
  kTime,       // "YYYY-MM-DDTHH:MM:SS.mmmZ"
  kItem,       // "i<leaf index>", see ParseItemId
  kAbsPath,    // non-empty string starting with '/'
  kMediaType,  // non-empty string containing '/', e.g. "application/pdf"
  kBase64,     // non-empty canonical standard base64
};

struct Member {
  std::string_view name;
  Kind kind;
  bool required;
};

// The grammar, one table per type; docs/formats/log-entry.md mirrors it.
// "type" is checked separately and listed so that it counts as known.
constexpr std::array kArchiveCreatedMembers = {
    Member{"type", Kind::kText, true},     Member{"time", Kind::kTime, true},
    Member{"operator", Kind::kText, true}, Member{"origin", Kind::kText, true},
    Member{"vkey", Kind::kText, true},     Member{"software", Kind::kText, true},
};
constexpr std::array kItemIngestedMembers = {
    Member{"type", Kind::kText, true},
    Member{"time", Kind::kTime, true},
    Member{"operator", Kind::kText, true},
    Member{"sha256", Kind::kSha256, true},
    Member{"size", Kind::kSize, true},
    Member{"name", Kind::kText, true},
    Member{"media_type", Kind::kMediaType, true},
    Member{"path", Kind::kAbsPath, false},
    Member{"path_b64", Kind::kBase64, false},
    Member{"url", Kind::kText, false},
    Member{"note", Kind::kText, false},
};
constexpr std::array kSourceAddedMembers = {
    Member{"type", Kind::kText, true},     Member{"time", Kind::kTime, true},
    Member{"operator", Kind::kText, true}, Member{"item", Kind::kItem, true},
    Member{"sha256", Kind::kSha256, true}, Member{"name", Kind::kText, true},
    Member{"path", Kind::kAbsPath, false}, Member{"path_b64", Kind::kBase64, false},
    Member{"url", Kind::kText, false},     Member{"note", Kind::kText, false},
};
// Exactly one of "text" / "text_sha256" (checked after the table).
constexpr std::array kNoteAddedMembers = {
    Member{"type", Kind::kText, true},     Member{"time", Kind::kTime, true},
    Member{"operator", Kind::kText, true}, Member{"item", Kind::kItem, true},
    Member{"text", Kind::kText, false},    Member{"text_sha256", Kind::kSha256, false},
};

std::span<const Member> MembersOf(std::string_view type) {
  if (type == kArchiveCreated) return kArchiveCreatedMembers;
  if (type == kItemIngested) return kItemIngestedMembers;
  if (type == kSourceAdded) return kSourceAddedMembers;
  if (type == kNoteAdded) return kNoteAddedMembers;
  return {};
}

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

int Number(std::string_view digits) {
  int n = 0;
  for (char c : digits) n = n * 10 + (c - '0');
  return n;
}

// "YYYY-MM-DDTHH:MM:SS.mmmZ" naming a real calendar instant (seconds 00-59).
bool IsEntryTime(std::string_view t) {
  if (t.size() != 24) return false;
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddZ";
  for (size_t i = 0; i < t.size(); ++i) {
    if (kShape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != kShape[i]) return false;
  }
  int year = Number(t.substr(0, 4)), month = Number(t.substr(5, 2)), day = Number(t.substr(8, 2));
  int hour = Number(t.substr(11, 2)), minute = Number(t.substr(14, 2));
  int second = Number(t.substr(17, 2));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  int max_day = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  return day <= max_day;
}

// Quotes `s` for an error message, shortened when long.
std::string Shown(std::string_view s) {
  constexpr size_t kMax = 72;
  if (s.size() <= kMax) return "\"" + std::string(s) + "\"";
  size_t cut = kMax;  // not inside a UTF-8 sequence
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return "\"" + std::string(s.substr(0, cut)) + "...\" (" + std::to_string(s.size()) + " bytes)";
}

std::string Describe(const Json& v) {
  if (v.is_string()) return Shown(v.get_ref<const std::string&>());
  return std::string("a JSON ") + v.type_name();
}

// Returns "" when `v` is a valid value of `kind`, else what it should be.
std::string CheckValue(const Json& v, Kind kind) {
  if (kind == Kind::kSize) {
    // Canonical parsing already refused floats and integers beyond 2^53-1;
    // a negative integer parses as number_integer.
    return v.is_number_unsigned() ? "" : "a non-negative integer";
  }
  if (!v.is_string()) {
    switch (kind) {
      case Kind::kSha256:
        return "a string of 64 lower-case hex digits";
      case Kind::kTime:
        return "a string \"YYYY-MM-DDTHH:MM:SS.mmmZ\" (RFC 3339 UTC with milliseconds)";
      case Kind::kItem:
        return "a string item id \"i<leaf index>\"";
      default:
        return "a non-empty string";
    }
  }
  const std::string& s = v.get_ref<const std::string&>();
  switch (kind) {
    case Kind::kText:
      return s.empty() ? "a non-empty string (leave optional members out instead)" : "";
    case Kind::kSha256:
      return s.size() == 64 && IsLowerHex(s) ? "" : "64 lower-case hex digits";
    case Kind::kTime:
      return IsEntryTime(s) ? "" : "\"YYYY-MM-DDTHH:MM:SS.mmmZ\" (RFC 3339 UTC with milliseconds)";
    case Kind::kItem:
      return ParseItemId(s).has_value() ? "" : "an item id \"i<leaf index>\" without leading zeros";
    case Kind::kAbsPath:
      return !s.empty() && s.front() == '/' ? "" : "an absolute path starting with '/'";
    case Kind::kMediaType: {
      size_t slash = s.find('/');
      return slash != std::string::npos && slash > 0 && slash + 1 < s.size()
                 ? ""
                 : "a media type \"type/subtype\", e.g. \"application/octet-stream\"";
    }
    case Kind::kBase64:
      return !s.empty() && core::Base64Decode(s).ok() ? "" : "non-empty canonical base64";
    case Kind::kSize:
      break;
  }
  return "";
}

// Checks `entry` against the grammar in one pass over its members, without
// allocating unless it fails. Returns "" when valid, else a message naming the
// entry type and the member; the caller picks the code (kIntegrity when
// reading the log, kInvalidArgument when building).
std::string Validate(const Json& entry) {
  if (!entry.is_object()) return "entry is " + Describe(entry) + ", not a JSON object";
  auto type_it = entry.find("type");
  if (type_it == entry.end()) return "entry has no \"type\" member";
  if (!type_it->is_string()) {
    return "entry member \"type\" is " + Describe(*type_it) + ", not a string";
  }
  const std::string& type = type_it->get_ref<const std::string&>();
  std::span<const Member> members = MembersOf(type);
  if (members.empty()) {
    return "unknown entry type " + Shown(type) +
           " (known: archive.created, item.ingested, source.added, note.added; a newer isnad "
           "may have written it)";
  }
  auto where = [&type] { return type + " entry: "; };
  uint32_t seen = 0;  // bit i: members[i] is present
  static_assert(kItemIngestedMembers.size() <= 32);
  for (auto it = entry.begin(); it != entry.end(); ++it) {
    const std::string& key = it.key();
    size_t i = 0;
    while (i < members.size() && members[i].name != key) ++i;
    if (i == members.size()) return where() + "unknown member " + Shown(key);
    seen |= uint32_t{1} << i;
    if (std::string want = CheckValue(*it, members[i].kind); !want.empty()) {
      return where() + "member \"" + key + "\" must be " + want + ", got " + Describe(*it);
    }
  }
  for (size_t i = 0; i < members.size(); ++i) {
    if (members[i].required && (seen & (uint32_t{1} << i)) == 0) {
      return where() + "required member \"" + std::string(members[i].name) + "\" is missing";
    }
  }
  if (type == kNoteAdded && entry.contains("text") == entry.contains("text_sha256")) {
    return where() + "exactly one of \"text\" and \"text_sha256\" must be present";
  }
  return "";
}

// Canonicalises, validates and size-checks a builder's entry.
StatusOr<std::string> Finish(const Json& entry, std::string_view type) {
  const std::string where = std::string(type) + " entry";
  auto canon = core::CanonicalJson(entry);
  if (!canon.ok()) return core::InvalidArgument(where + ": " + canon.status().message());
  if (std::string problem = Validate(entry); !problem.empty()) {
    return core::InvalidArgument(problem);
  }
  if (canon->size() > kMaxEntryBytes) {
    std::string advice = type == kNoteAdded
                             ? "store the text as a blob and record its text_sha256 instead"
                             : "shorten the name, path, url or note";
    return core::InvalidArgument(where + " is " + std::to_string(canon->size()) +
                                 " bytes, over the " + std::to_string(kMaxEntryBytes) +
                                 "-byte limit for one log entry; " + advice);
  }
  return std::move(canon).value();
}

Json Common(std::string_view type, const Actor& by) {
  Json e = Json::object();
  e["type"] = std::string(type);
  e["time"] = by.time;
  e["operator"] = by.operator_;
  return e;
}

void SetIfNotEmpty(Json& e, const char* name, const std::string& value) {
  if (!value.empty()) e[name] = value;
}

void SetProvenance(Json& e, const Provenance& from) {
  e["name"] = from.name;
  SetIfNotEmpty(e, "path", from.path);
  if (!from.path_bytes.empty()) e["path_b64"] = core::Base64Encode(from.path_bytes);
  SetIfNotEmpty(e, "url", from.url);
  SetIfNotEmpty(e, "note", from.note);
}

}  // namespace

std::string ItemId(uint64_t leaf_index) { return "i" + std::to_string(leaf_index); }

std::optional<uint64_t> ParseItemId(std::string_view id) {
  if (id.size() < 2 || id.front() != 'i') return std::nullopt;
  std::string_view digits = id.substr(1);
  if (!IsDigits(digits) || (digits.size() > 1 && digits.front() == '0')) return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

StatusOr<std::string> ArchiveCreatedEntry(const Actor& by, std::string_view origin,
                                          std::string_view vkey, std::string_view software) {
  Json e = Common(kArchiveCreated, by);
  e["origin"] = std::string(origin);
  e["vkey"] = std::string(vkey);
  e["software"] = std::string(software);
  return Finish(e, kArchiveCreated);
}

StatusOr<std::string> ItemIngestedEntry(const Actor& by, const core::Hash& sha256,
                                        uint64_t size_bytes, std::string_view media_type,
                                        const Provenance& from) {
  Json e = Common(kItemIngested, by);
  e["sha256"] = sha256.Hex();
  e["size"] = size_bytes;  // CanonicalJson refuses sizes beyond 2^53-1 (8 PiB)
  e["media_type"] = std::string(media_type);
  SetProvenance(e, from);
  return Finish(e, kItemIngested);
}

StatusOr<std::string> SourceAddedEntry(const Actor& by, std::string_view item_id,
                                       const core::Hash& sha256, const Provenance& from) {
  Json e = Common(kSourceAdded, by);
  e["item"] = std::string(item_id);
  e["sha256"] = sha256.Hex();
  SetProvenance(e, from);
  return Finish(e, kSourceAdded);
}

StatusOr<std::string> NoteAddedEntry(const Actor& by, std::string_view item_id,
                                     std::string_view text,
                                     const std::optional<core::Hash>& text_sha256) {
  if (text.empty() == !text_sha256.has_value()) {
    return core::InvalidArgument(
        "note.added entry: give exactly one of the note text and the sha256 of a text blob");
  }
  Json e = Common(kNoteAdded, by);
  e["item"] = std::string(item_id);
  if (text_sha256.has_value()) {
    e["text_sha256"] = text_sha256->Hex();
  } else {
    e["text"] = std::string(text);
  }
  return Finish(e, kNoteAdded);
}

StatusOr<Json> ParseEntry(std::string_view entry) {
  if (entry.size() > kMaxEntryBytes) {
    return core::Integrity("log entry is " + std::to_string(entry.size()) + " bytes, over the " +
                           std::to_string(kMaxEntryBytes) + "-byte limit");
  }
  auto parsed = core::ParseCanonicalJson(entry);
  if (!parsed.ok()) {
    return core::Integrity("log entry is not RFC 8785 canonical JSON: " +
                           parsed.status().message());
  }
  if (std::string problem = Validate(*parsed); !problem.empty()) {
    return core::Integrity(problem);
  }
  return std::move(parsed).value();
}

}  // namespace isnad::catalog
