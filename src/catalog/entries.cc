#include "catalog/entries.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <map>
#include <regex>
#include <span>

#include "core/encoding.h"
#include "core/spelling.h"
#include "core/utf8.h"
#include "text/normalize.h"

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
  // Evidence graph values.
  kLang,       // BCP 47 tag, e.g. "ar", "en", "fr-CA"
  kLangMap,    // {"en": "…", "ar": "…"}: at least one, keys kLang, values text
  kTextList,   // ["…", …]: at least one non-empty string
  kDate,       // ParseEventDate
  kLat,        // decimal degrees as a string, -90 .. 90
  kLon,        // decimal degrees as a string, -180 .. 180
  kPlace,      // "pl<leaf>"
  kIncident,   // "inc<leaf>"
  kActor,      // "ac<leaf>"
  kCase,       // "case<leaf>"
  kRelation,   // "rel<leaf>"
  kCaseEvent,  // "ev<leaf>"
  kActorOrIncident,
  kItemList,   // ["i<leaf>", …], at least one, no repeats
  kPlaceList,  // ["pl<leaf>", …]
  kStatus,     // "unreviewed" | "verified" | "disputed" | "rejected"
  kActorType,  // "person" | "unit" | "organisation"
  kWord,       // lower-case word: [a-z][a-z0-9_]*, e.g. "subordinate_of"
  kSources,    // [{"item": "i<leaf>", "confidence": "low"|"medium"|"high"}, …]
  kParties,    // [{"actor": "ac<leaf>", "role": text}, …]
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
    Member{"link_target", Kind::kAbsPath, false},
    Member{"url", Kind::kText, false},
    Member{"note", Kind::kText, false},
};
constexpr std::array kSourceAddedMembers = {
    Member{"type", Kind::kText, true},
    Member{"time", Kind::kTime, true},
    Member{"operator", Kind::kText, true},
    Member{"item", Kind::kItem, true},
    Member{"sha256", Kind::kSha256, true},
    Member{"name", Kind::kText, true},
    Member{"path", Kind::kAbsPath, false},
    Member{"path_b64", Kind::kBase64, false},
    Member{"link_target", Kind::kAbsPath, false},
    Member{"url", Kind::kText, false},
    Member{"note", Kind::kText, false},
};
// Exactly one of "text" / "text_sha256" (checked after the table).
constexpr std::array kNoteAddedMembers = {
    Member{"type", Kind::kText, true},     Member{"time", Kind::kTime, true},
    Member{"operator", Kind::kText, true}, Member{"item", Kind::kItem, true},
    Member{"text", Kind::kText, false},    Member{"text_sha256", Kind::kSha256, false},
};

// The evidence graph. "time" and "operator" as everywhere.
#define ISNAD_COMMON_MEMBERS                                                     \
  Member{"type", Kind::kText, true}, Member{"time", Kind::kTime, true}, Member { \
    "operator", Kind::kText, true                                                \
  }
constexpr std::array kItemDescribedMembers = {
    ISNAD_COMMON_MEMBERS,
    Member{"item", Kind::kItem, true},
    Member{"lang", Kind::kLang, false},
    Member{"title", Kind::kText, false},
    Member{"description", Kind::kText, false},
    Member{"event_date", Kind::kDate, false},
    Member{"place", Kind::kPlace, false},
    Member{"lat", Kind::kLat, false},
    Member{"lon", Kind::kLon, false},
};
constexpr std::array kItemTaggedMembers = {
    ISNAD_COMMON_MEMBERS,
    Member{"item", Kind::kItem, true},
    Member{"add", Kind::kTextList, false},
    Member{"remove", Kind::kTextList, false},
};
constexpr std::array kItemReviewedMembers = {
    ISNAD_COMMON_MEMBERS,
    Member{"item", Kind::kItem, true},
    Member{"status", Kind::kStatus, true},
    Member{"reason", Kind::kText, true},
};
constexpr std::array kItemDerivedMembers = {
    ISNAD_COMMON_MEMBERS,
    Member{"item", Kind::kItem, true},
    Member{"original", Kind::kItem, true},
};
constexpr std::array kPlaceAddedMembers = {
    ISNAD_COMMON_MEMBERS,
    Member{"names", Kind::kLangMap, true},
    Member{"variants", Kind::kTextList, false},
    Member{"lat", Kind::kLat, false},
    Member{"lon", Kind::kLon, false},
    Member{"within", Kind::kPlace, false},
};
constexpr std::array kIncidentAddedMembers = {
    ISNAD_COMMON_MEMBERS,
    Member{"title", Kind::kLangMap, true},
    Member{"category", Kind::kText, false},
    Member{"date", Kind::kDate, false},
    Member{"description", Kind::kLangMap, false},
    Member{"places", Kind::kPlaceList, false},
};
constexpr std::array kIncidentLinkedMembers = {
    ISNAD_COMMON_MEMBERS,
    Member{"incident", Kind::kIncident, true},
    Member{"items", Kind::kItemList, true},
};
constexpr std::array kIncidentUnlinkedMembers = {
    ISNAD_COMMON_MEMBERS,
    Member{"incident", Kind::kIncident, true},
    Member{"items", Kind::kItemList, true},
    Member{"reason", Kind::kText, true},
};
constexpr std::array kActorAddedMembers = {
    ISNAD_COMMON_MEMBERS,
    Member{"actor_type", Kind::kActorType, true},
    Member{"names", Kind::kLangMap, true},
    Member{"variants", Kind::kTextList, false},
    Member{"description", Kind::kLangMap, false},
};
constexpr std::array kRelationAddedMembers = {
    ISNAD_COMMON_MEMBERS,
    Member{"subject", Kind::kActor, true},
    Member{"predicate", Kind::kWord, true},
    Member{"object", Kind::kActorOrIncident, true},
    Member{"from", Kind::kDate, false},
    Member{"to", Kind::kDate, false},
    Member{"sources", Kind::kSources, true},
};
constexpr std::array kRelationWithdrawnMembers = {
    ISNAD_COMMON_MEMBERS,
    Member{"relation", Kind::kRelation, true},
    Member{"reason", Kind::kText, true},
};
constexpr std::array kCaseAddedMembers = {
    ISNAD_COMMON_MEMBERS,
    Member{"title", Kind::kLangMap, true},
    Member{"jurisdiction", Kind::kText, false},
    Member{"description", Kind::kLangMap, false},
    Member{"parties", Kind::kParties, false},
};
constexpr std::array kCaseEventMembers = {
    ISNAD_COMMON_MEMBERS,
    Member{"case", Kind::kCase, true},
    Member{"event", Kind::kWord, true},
    Member{"date", Kind::kDate, true},
    Member{"description", Kind::kLangMap, false},
    Member{"documents", Kind::kItemList, false},
};
constexpr std::array kCaseEventWithdrawnMembers = {
    ISNAD_COMMON_MEMBERS,
    Member{"event", Kind::kCaseEvent, true},
    Member{"reason", Kind::kText, true},
};
constexpr std::array kCaseLinkedMembers = {
    ISNAD_COMMON_MEMBERS,
    Member{"case", Kind::kCase, true},
    Member{"items", Kind::kItemList, true},
};
constexpr std::array kCaseUnlinkedMembers = {
    ISNAD_COMMON_MEMBERS,
    Member{"case", Kind::kCase, true},
    Member{"items", Kind::kItemList, true},
    Member{"reason", Kind::kText, true},
};
constexpr std::array kTimestampAddedMembers = {
    ISNAD_COMMON_MEMBERS,
    Member{"checkpoint_size", Kind::kSize, true},
    Member{"checkpoint_sha256", Kind::kSha256, true},
    Member{"tsa", Kind::kText, true},
    Member{"token_sha256", Kind::kSha256, true},
    Member{"gen_time", Kind::kText, true},
};
constexpr std::array kCaptureRecordedMembers = {
    ISNAD_COMMON_MEMBERS,
    Member{"url", Kind::kText, true},
    Member{"captured", Kind::kTime, true},
    Member{"final_url", Kind::kText, false},
    Member{"status", Kind::kSize, false},
    Member{"warc", Kind::kItem, false},
    Member{"warc_sha256", Kind::kSha256, false},
    Member{"payload", Kind::kItem, false},
    Member{"payload_sha256", Kind::kSha256, false},
    Member{"payload_size", Kind::kSize, false},
    Member{"payload_note", Kind::kText, false},
    Member{"content_type", Kind::kText, false},
    Member{"redirect_not_followed", Kind::kText, false},
    Member{"error", Kind::kText, false},
};
constexpr std::array kCaptureExtractedMembers = {
    ISNAD_COMMON_MEMBERS,
    Member{"url", Kind::kText, true},
    Member{"capture", Kind::kSize, true},
    Member{"extractor", Kind::kText, true},
    Member{"exit_status", Kind::kSize, false},
    Member{"media", Kind::kItem, false},
    Member{"media_sha256", Kind::kSha256, false},
    Member{"media_size", Kind::kSize, false},
    Member{"info", Kind::kItem, false},
    Member{"info_sha256", Kind::kSha256, false},
    Member{"error", Kind::kText, false},
};
constexpr std::array kWarcRecordMembers = {
    ISNAD_COMMON_MEMBERS,
    Member{"container", Kind::kItem, true},
    Member{"member", Kind::kText, false},
    Member{"offset", Kind::kSize, true},
    Member{"length", Kind::kSize, true},
    Member{"record_id", Kind::kText, false},
    Member{"warc_type", Kind::kText, false},
    Member{"target_uri", Kind::kText, false},
    Member{"warc_date", Kind::kText, false},
    Member{"content_type", Kind::kText, false},
    Member{"http_status", Kind::kSize, false},
    Member{"digest", Kind::kText, false},
    Member{"problem", Kind::kText, false},
    Member{"payload", Kind::kItem, false},
};
constexpr std::array kWarcIndexedMembers = {
    ISNAD_COMMON_MEMBERS,
    Member{"item", Kind::kItem, true},
    Member{"member", Kind::kText, false},
    Member{"result", Kind::kText, true},
    Member{"records", Kind::kSize, true},
    Member{"digests_passed", Kind::kSize, true},
    Member{"digests_failed", Kind::kSize, true},
    Member{"problems", Kind::kTextList, false},
    Member{"signature", Kind::kText, false},
    Member{"error", Kind::kText, false},
};
constexpr std::array kItemAnalyzedMembers = {
    ISNAD_COMMON_MEMBERS,
    Member{"item", Kind::kItem, true},
    Member{"analyzer", Kind::kText, true},
    Member{"media_type", Kind::kMediaType, true},
    Member{"metadata_sha256", Kind::kSha256, false},
    Member{"width", Kind::kSize, false},
    Member{"height", Kind::kSize, false},
    Member{"duration_ms", Kind::kSize, false},
    Member{"captured_at", Kind::kText, false},
    Member{"lat", Kind::kLat, false},
    Member{"lon", Kind::kLon, false},
    Member{"camera", Kind::kText, false},
    Member{"title", Kind::kText, false},
    Member{"author", Kind::kText, false},
    Member{"pdq", Kind::kSha256, false},  // 64 lower-case hex digits, like a sha256
    Member{"pdq_quality", Kind::kSize, false},
    Member{"frames_sha256", Kind::kSha256, false},
    Member{"frames", Kind::kSize, false},
    Member{"text_sha256", Kind::kSha256, false},
    Member{"ocr", Kind::kText, false},
    Member{"failures", Kind::kTextList, false},
    Member{"near_duplicates", Kind::kItemList, false},
};
#undef ISNAD_COMMON_MEMBERS

std::span<const Member> MembersOf(std::string_view type) {
  if (type == kArchiveCreated) return kArchiveCreatedMembers;
  if (type == kItemDescribed) return kItemDescribedMembers;
  if (type == kItemTagged) return kItemTaggedMembers;
  if (type == kItemReviewed) return kItemReviewedMembers;
  if (type == kItemDerived) return kItemDerivedMembers;
  if (type == kPlaceAdded) return kPlaceAddedMembers;
  if (type == kIncidentAdded) return kIncidentAddedMembers;
  if (type == kIncidentLinked) return kIncidentLinkedMembers;
  if (type == kIncidentUnlinked) return kIncidentUnlinkedMembers;
  if (type == kActorAdded) return kActorAddedMembers;
  if (type == kRelationAdded) return kRelationAddedMembers;
  if (type == kRelationWithdrawn) return kRelationWithdrawnMembers;
  if (type == kCaseAdded) return kCaseAddedMembers;
  if (type == kCaseEvent) return kCaseEventMembers;
  if (type == kCaseEventWithdrawn) return kCaseEventWithdrawnMembers;
  if (type == kCaseLinked) return kCaseLinkedMembers;
  if (type == kCaseUnlinked) return kCaseUnlinkedMembers;
  if (type == kTimestampAdded) return kTimestampAddedMembers;
  if (type == kCaptureRecorded) return kCaptureRecordedMembers;
  if (type == kCaptureExtracted) return kCaptureExtractedMembers;
  if (type == kWarcRecord) return kWarcRecordMembers;
  if (type == kWarcIndexed) return kWarcIndexedMembers;
  if (type == kItemAnalyzed) return kItemAnalyzedMembers;
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
std::string CheckGraphValue(const Json& v, Kind kind);

bool IsGraphKind(Kind kind) { return kind >= Kind::kLang; }

std::string CheckValue(const Json& v, Kind kind) {
  if (IsGraphKind(kind)) return CheckGraphValue(v, kind);
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
    default:
      break;
  }
  return "";
}

bool IsLang(std::string_view s) {
  // primary language subtag, then optional subtags: [a-z]{2,3}(-[A-Za-z0-9]{1,8})*
  size_t i = 0;
  while (i < s.size() && s[i] >= 'a' && s[i] <= 'z') ++i;
  if (i < 2 || i > 3) return false;
  while (i < s.size()) {
    if (s[i] != '-') return false;
    size_t start = ++i;
    while (i < s.size() && std::isalnum(static_cast<unsigned char>(s[i]))) ++i;
    if (i == start || i - start > 8) return false;
  }
  return true;
}

// "-33.5376": optional '-', 1-3 digits, optional '.' and 1-8 digits, |v| <= limit.
bool IsDegrees(std::string_view s, int limit) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  size_t int_start = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  size_t int_digits = i - int_start;
  if (int_digits == 0 || int_digits > 3) return false;
  if (int_digits > 1 && s[int_start] == '0') return false;
  int whole = Number(s.substr(int_start, int_digits));
  bool fraction_nonzero = false;
  if (i < s.size()) {
    if (s[i] != '.') return false;
    size_t frac_start = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      fraction_nonzero |= s[i] != '0';
      ++i;
    }
    if (i != s.size() || i == frac_start || i - frac_start > 8) return false;
  }
  return whole < limit || (whole == limit && !fraction_nonzero);
}

bool IsWord(std::string_view s) {
  if (s.empty() || s.size() > 64 || s[0] < 'a' || s[0] > 'z') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool IsRef(const Json& v, EntityKind kind) {
  if (!v.is_string()) return false;
  auto ref = ParseEntityId(v.get_ref<const std::string&>());
  return ref.has_value() && ref->kind == kind;
}

std::string CheckRefList(const Json& v, EntityKind kind, const char* want) {
  if (!v.is_array() || v.empty()) return want;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!IsRef(v[i], kind)) return want;
    for (size_t j = 0; j < i; ++j) {
      if (v[j] == v[i]) return std::string(want) + " without repeats";
    }
  }
  return "";
}

std::string CheckGraphValue(const Json& v, Kind kind) {
  auto text = [&v]() -> const std::string* {
    return v.is_string() && !v.get_ref<const std::string&>().empty()
               ? &v.get_ref<const std::string&>()
               : nullptr;
  };
  switch (kind) {
    case Kind::kLang:
      return text() && IsLang(*text()) ? "" : "a language tag such as \"ar\", \"en\", \"fr\"";
    case Kind::kLangMap: {
      const char* want = "an object of language tag -> non-empty text, e.g. {\"en\": \"Zamalka\"}";
      if (!v.is_object() || v.empty()) return want;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!IsLang(it.key()) || !it->is_string() || it->get_ref<const std::string&>().empty()) {
          return want;
        }
      }
      return "";
    }
    case Kind::kTextList: {
      const char* want = "an array of at least one non-empty string";
      if (!v.is_array() || v.empty()) return want;
      for (const Json& x : v) {
        if (!x.is_string() || x.get_ref<const std::string&>().empty()) return want;
      }
      return "";
    }
    case Kind::kDate:
      return text() && ParseEventDate(*text()).has_value()
                 ? ""
                 : "a date \"YYYY\", \"YYYY-MM\", \"YYYY-MM-DD\" or a range \"A/B\" (EDTF), "
                   "optionally ending in ~ (approximate) or ? (uncertain)";
    case Kind::kLat:
      return text() && IsDegrees(*text(), 90)
                 ? ""
                 : "a latitude in decimal degrees as a string, -90 to 90, with at most 8 "
                   "decimals (about 1 mm), e.g. \"33.5376\"";
    case Kind::kLon:
      return text() && IsDegrees(*text(), 180)
                 ? ""
                 : "a longitude in decimal degrees as a string, -180 to 180, with at most 8 "
                   "decimals (about 1 mm), e.g. \"36.3558\"";
    case Kind::kPlace:
      return IsRef(v, EntityKind::kPlace) ? "" : "a place id \"pl<leaf index>\"";
    case Kind::kIncident:
      return IsRef(v, EntityKind::kIncident) ? "" : "an incident id \"inc<leaf index>\"";
    case Kind::kActor:
      return IsRef(v, EntityKind::kActor) ? "" : "an actor id \"ac<leaf index>\"";
    case Kind::kCase:
      return IsRef(v, EntityKind::kCase) ? "" : "a case id \"case<leaf index>\"";
    case Kind::kRelation:
      return IsRef(v, EntityKind::kRelation) ? "" : "a relation id \"rel<leaf index>\"";
    case Kind::kCaseEvent:
      return IsRef(v, EntityKind::kCaseEvent) ? "" : "a case event id \"ev<leaf index>\"";
    case Kind::kActorOrIncident:
      return IsRef(v, EntityKind::kActor) || IsRef(v, EntityKind::kIncident)
                 ? ""
                 : "an actor id \"ac<leaf index>\" or an incident id \"inc<leaf index>\"";
    case Kind::kItemList:
      return CheckRefList(v, EntityKind::kItem, "an array of item ids \"i<leaf index>\"");
    case Kind::kPlaceList:
      return CheckRefList(v, EntityKind::kPlace, "an array of place ids \"pl<leaf index>\"");
    case Kind::kStatus:
      return text() && (*text() == "unreviewed" || *text() == "verified" || *text() == "disputed" ||
                        *text() == "rejected")
                 ? ""
                 : "one of \"unreviewed\", \"verified\", \"disputed\", \"rejected\"";
    case Kind::kActorType:
      return text() && (*text() == "person" || *text() == "unit" || *text() == "organisation")
                 ? ""
                 : "one of \"person\", \"unit\", \"organisation\"";
    case Kind::kWord:
      return text() && IsWord(*text())
                 ? ""
                 : "a lower-case word of letters, digits and _, e.g. \"subordinate_of\"";
    case Kind::kSources: {
      const char* want =
          "an array of at least one {\"item\": \"i<leaf index>\", \"confidence\": "
          "\"low\"|\"medium\"|\"high\"}";
      if (!v.is_array() || v.empty()) return want;
      for (const Json& s : v) {
        if (!s.is_object() || s.size() != 2 || !s.contains("item") ||
            !IsRef(s["item"], EntityKind::kItem) || !s.contains("confidence") ||
            !s["confidence"].is_string()) {
          return want;
        }
        const std::string& c = s["confidence"].get_ref<const std::string&>();
        if (c != "low" && c != "medium" && c != "high") return want;
      }
      return "";
    }
    case Kind::kParties: {
      const char* want = "an array of at least one {\"actor\": \"ac<leaf index>\", \"role\": text}";
      if (!v.is_array() || v.empty()) return want;
      for (const Json& p : v) {
        if (!p.is_object() || p.size() != 2 || !p.contains("actor") ||
            !IsRef(p["actor"], EntityKind::kActor) || !p.contains("role") ||
            !p["role"].is_string() || p["role"].get_ref<const std::string&>().empty()) {
          return want;
        }
      }
      return "";
    }
    default:
      return "";
  }
}

// The rules between members of a graph entry; "" when they hold.
std::string ValidateGraphRules(const std::string& type, const Json& e) {
  auto where = [&type] { return type + " entry: "; };
  if (e.contains("lat") != e.contains("lon")) {
    return where() + "\"lat\" and \"lon\" go together; give both or neither";
  }
  if (type == kItemDescribed) {
    bool text = e.contains("title") || e.contains("description");
    if (text != e.contains("lang")) {
      return where() + (text ? "a title or description needs \"lang\", the language it is in"
                             : "\"lang\" is only for a title or description");
    }
    if (!text && !e.contains("event_date") && !e.contains("place") && !e.contains("lat")) {
      return where() + "says nothing: give a title, description, event_date, place or lat/lon";
    }
  } else if (type == kItemTagged) {
    if (!e.contains("add") && !e.contains("remove")) {
      return where() + "give tags to \"add\" or to \"remove\"";
    }
  } else if (type == kItemDerived) {
    if (e["item"] == e["original"]) return where() + "an item cannot be derived from itself";
  } else if (type == kRelationAdded) {
    if (e["subject"] == e["object"]) return where() + "an actor cannot be related to itself";
    if (e.contains("from") && e.contains("to")) {
      auto from = ParseEventDate(e["from"].get_ref<const std::string&>());
      auto to = ParseEventDate(e["to"].get_ref<const std::string&>());
      if (from && to && from->lo > to->hi) {
        return where() + "\"from\" (" + from->lo + ") is after \"to\" (" + to->hi + ")";
      }
    }
  }
  return "";
}

// capture.recorded: a capture (status, final_url, warc, warc_sha256) or an
// error, never both; the payload's three members together, only with a capture.
std::string ValidateCaptureRules(const Json& e) {
  const std::string where = std::string(kCaptureRecorded) + " entry: ";
  const int capture = e.contains("status") + e.contains("final_url") + e.contains("warc") +
                      e.contains("warc_sha256");
  const int payload =
      e.contains("payload") + e.contains("payload_sha256") + e.contains("payload_size");
  if (e.contains("error")) {
    if (capture + payload > 0 || e.contains("content_type") ||
        e.contains("redirect_not_followed") || e.contains("payload_note")) {
      return where + "a failed capture (\"error\") records no status, final_url or items";
    }
    return "";
  }
  if (capture != 4) {
    return where + "give \"status\", \"final_url\", \"warc\" and \"warc_sha256\", or \"error\"";
  }
  if (payload != 0 && payload != 3) {
    return where + "\"payload\", \"payload_sha256\" and \"payload_size\" go together";
  }
  if (payload == 3 && e["payload"] == e["warc"]) {
    return where + "the payload and the WARC are different items";
  }
  return "";
}

// capture.extracted: the media's three members together, or "error", never
// both; the info JSON's two together, only with media; the capture before it.
std::string ValidateExtractedRules(const Json& e) {
  const std::string where = std::string(kCaptureExtracted) + " entry: ";
  const int media = e.contains("media") + e.contains("media_sha256") + e.contains("media_size");
  const int info = e.contains("info") + e.contains("info_sha256");
  if (media != 0 && media != 3) {
    return where + "\"media\", \"media_sha256\" and \"media_size\" go together";
  }
  if (info != 0 && info != 2) return where + "\"info\" and \"info_sha256\" go together";
  if (e.contains("error") == (media == 3)) return where + "give the media or \"error\", not both";
  if (info == 2 && media == 0) return where + "an info JSON comes with media";
  if (info == 2 && e["info"] == e["media"])
    return where + "the media and its info are different items";
  return "";
}

// warc.record: the payload is another item than its container; digest is one
// of the reader's results. warc.indexed: result is valid|invalid|unreadable,
// an "error" only with "unreadable", signature absent or a finding (valid,
// invalid, not-checked, each optionally with ": why").
std::string ValidateWebArchiveRules(std::string_view type, const Json& e) {
  const std::string where = std::string(type) + " entry: ";
  auto one_of = [&](const char* m, std::initializer_list<std::string_view> allowed) {
    if (!e.contains(m)) return true;
    const std::string& v = e[m].get_ref<const std::string&>();
    for (std::string_view a : allowed)
      if (v == a) return true;
    return false;
  };
  if (type == kWarcRecord) {
    if (e.contains("payload") && e["payload"] == e["container"])
      return where + "the payload and its container are different items";
    if (!one_of("digest", {"pass", "fail", "absent", "unknown-algorithm", "not-checked"}))
      return where +
             "member \"digest\" must be pass, fail, absent, unknown-algorithm or "
             "not-checked";
    return "";
  }
  if (!one_of("result", {"valid", "invalid", "unreadable"}))
    return where + "member \"result\" must be valid, invalid or unreadable";
  if (e.contains("error") != (e["result"] == "unreadable"))
    return where + "\"error\" is given exactly when the result is unreadable";
  if (e.contains("signature")) {
    // "absent", or a finding: "valid", "invalid" or "not-checked", alone or
    // followed by ": " and the detail (warc.md, "WACZ signatures").
    const std::string& v = e["signature"].get_ref<const std::string&>();
    bool ok = v == "absent";
    for (std::string_view f : {"valid", "invalid", "not-checked"})
      ok |= v == f ||
            (v.starts_with(f) && v.substr(f.size()).starts_with(": ") && v.size() > f.size() + 2);
    if (!ok)
      return where +
             "member \"signature\" must be absent, or valid, invalid or not-checked "
             "(optionally followed by \": \" and why)";
  }
  return "";
}

// item.analyzed: lat and lon together; pdq with its quality, frames with their
// blob; an item is not its own near-duplicate.
std::string ValidateAnalysisRules(const Json& e) {
  const std::string where = std::string(kItemAnalyzed) + " entry: ";
  if (e.contains("lat") != e.contains("lon")) return where + "\"lat\" and \"lon\" go together";
  if (e.contains("pdq") != e.contains("pdq_quality"))
    return where + "\"pdq\" and \"pdq_quality\" go together";
  if (e.contains("frames") != e.contains("frames_sha256"))
    return where + "\"frames\" and \"frames_sha256\" go together";
  if (e.contains("pdq_quality") && e["pdq_quality"].get<uint64_t>() > 100)
    return where + "\"pdq_quality\" is 0..100";
  if (e.contains("near_duplicates")) {
    for (const Json& id : e["near_duplicates"])
      if (id == e["item"]) return where + "an item is not its own near-duplicate";
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
           " (docs/formats/log-entry.md lists the known ones; a newer isnad may have written "
           "it)";
  }
  auto where = [&type] { return type + " entry: "; };
  uint32_t seen = 0;  // bit i: members[i] is present
  static_assert(kItemIngestedMembers.size() <= 32 && kItemDescribedMembers.size() <= 32);
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
  if ((type == kItemIngested || type == kSourceAdded) && entry.contains("link_target") &&
      !entry.contains("path")) {
    return where() + "\"link_target\" needs the \"path\" of the link it is the target of";
  }
  if (type == kCaptureRecorded) return ValidateCaptureRules(entry);
  if (type == kCaptureExtracted) return ValidateExtractedRules(entry);
  if (type == kWarcRecord || type == kWarcIndexed) return ValidateWebArchiveRules(type, entry);
  if (type == kItemAnalyzed) return ValidateAnalysisRules(entry);
  return ValidateGraphRules(type, entry);
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
                             : "shorten the longest text in it (a long description belongs in a "
                               "note, which may be of any length)";
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
  SetIfNotEmpty(e, "link_target", from.link_target);
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

namespace {

struct KindPrefix {
  EntityKind kind;
  std::string_view prefix, name;
};
// Longer prefixes first where one begins another ("inc" before "i").
constexpr KindPrefix kKindPrefixes[] = {
    {EntityKind::kIncident, "inc", "incident"},   {EntityKind::kItem, "i", "item"},
    {EntityKind::kPlace, "pl", "place"},          {EntityKind::kActor, "ac", "actor"},
    {EntityKind::kRelation, "rel", "relation"},   {EntityKind::kCase, "case", "case"},
    {EntityKind::kCaseEvent, "ev", "case event"},
};

const KindPrefix& PrefixOf(EntityKind kind) {
  for (const KindPrefix& p : kKindPrefixes) {
    if (p.kind == kind) return p;
  }
  return kKindPrefixes[1];
}

bool ParseDay(std::string_view s, std::string* lo, std::string* hi) {
  // "YYYY", "YYYY-MM" or "YYYY-MM-DD"
  auto digits = [&s](size_t at, size_t n) {
    return s.size() >= at + n && IsDigits(s.substr(at, n));
  };
  if (!digits(0, 4)) return false;
  int year = Number(s.substr(0, 4));
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  auto last_day = [year](int month) {
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  };
  auto two = [](int n) { return std::string(n < 10 ? "0" : "") + std::to_string(n); };
  if (s.size() == 4) {
    *lo = std::string(s) + "-01-01";
    *hi = std::string(s) + "-12-31";
    return true;
  }
  if (s[4] != '-' || !digits(5, 2)) return false;
  int month = Number(s.substr(5, 2));
  if (month < 1 || month > 12) return false;
  if (s.size() == 7) {
    *lo = std::string(s) + "-01";
    *hi = std::string(s) + "-" + two(last_day(month));
    return true;
  }
  if (s.size() != 10 || s[7] != '-' || !digits(8, 2)) return false;
  int day = Number(s.substr(8, 2));
  if (day < 1 || day > last_day(month)) return false;
  *lo = *hi = std::string(s);
  return true;
}

}  // namespace

// (Both match with std::regex, which recurses once a character: a value longer
// than any date is no date, and is never matched.)
constexpr size_t kLongestDate = 64;

std::string WithoutMidnight(std::string_view value) {
  if (value.size() > kLongestDate) return std::string(value);
  static const std::regex kMidnight(
      R"(\s*(\d{4}-\d{2}-\d{2})(?:[ T]00:00(?::00(?:\.0+)?)?Z?)?\s*)");
  std::match_results<std::string_view::const_iterator> m;
  if (std::regex_match(value.begin(), value.end(), m, kMidnight)) return m[1].str();
  return std::string(value);
}

std::string DateNote(std::string_view date) {
  auto range = ParseEventDate(date);
  if (!range) return "";
  for (const std::string& day : {range->lo, range->hi}) {
    const int year = std::stoi(day.substr(0, 4));
    if (year < 1300 || year > 1500) continue;
    // A Hijri year is 354 or 355 days: year H AH begins in about 0.970229 H + 621.57.
    // A Solar Hijri year (Iran, Afghanistan) begins at the March equinox of H + 621.
    const int gregorian = static_cast<int>(0.970229 * year + 621.5643);
    const std::string y = std::to_string(year);
    // A Solar Hijri year that has not begun yet (1434 SH is 2055) is no reading of it.
    const int this_year = static_cast<int>(std::chrono::year_month_day{
        std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())}
                                               .year());
    return "the year " + y +
           " is long before any digital record. If the date is in the Hijri calendar, " + y +
           " AH began in " + std::to_string(gregorian) +
           (year + 621 <= this_year
                ? " (and in the Solar Hijri calendar of Iran and Afghanistan, " + y +
                      " SH began in March " + std::to_string(year + 621) + ")"
                : std::string()) +
           ". An event date is Gregorian; the source's own date can go in a note";
  }
  return "";
}

std::string DateHint(std::string_view value) {
  if (value.size() > kLongestDate) return "";
  using Match = std::match_results<std::string_view::const_iterator>;
  auto two = [](unsigned n) { return std::string(n < 10 ? "0" : "") + std::to_string(n); };
  auto day = [&](int y, unsigned mo, unsigned d) {
    std::string s = std::to_string(y) + "-" + two(mo) + "-" + two(d);
    return ParseEventDate(s) ? s : "";
  };
  Match m;
  static const std::regex kNumeric(R"((\d{1,2})[/.-](\d{1,2})[/.-](\d{4}))");
  if (std::regex_match(value.begin(), value.end(), m, kNumeric)) {
    const int y = std::stoi(m[3].str());
    const unsigned a = std::stoul(m[1].str()), b = std::stoul(m[2].str());
    const std::string day_first = day(y, b, a), month_first = day(y, a, b);
    if (a == b || month_first.empty()) {
      return day_first.empty() ? "" : "Did you mean " + day_first + " (year-month-day)?";
    }
    if (day_first.empty()) return "Did you mean " + month_first + " (year-month-day)?";
    return "The day and month could be either way round: write " + day_first +
           " if the day is first, " + month_first + " if the month is (year-month-day).";
  }
  static const std::regex kSerial(R"(\d{5})");
  if (std::regex_match(value.begin(), value.end(), m, kSerial)) {
    // Spreadsheets number days so that counting from 1899-12-30 gives every day
    // from 1900-03-01 on (before it, Lotus's 1900-02-29 that never was).
    const std::chrono::year_month_day ymd{
        std::chrono::sys_days{std::chrono::year{1899} / std::chrono::December / 30} +
        std::chrono::days{std::stol(m[0].str())}};
    const std::string d = day(static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                              static_cast<unsigned>(ymd.day()));
    return "If this is a spreadsheet's day number, it is " + d +
           ": write it year-month-day (in a spreadsheet, format the column as text first).";
  }
  static const std::regex kMoment(R"((\d{4}-\d{2}-\d{2})[ T]\d{2}:\d{2}.*)");
  if (std::regex_match(value.begin(), value.end(), m, kMoment) && ParseEventDate(m[1].str())) {
    return "A date here is a day, not a moment: give " + m[1].str() +
           " (of an item, the time of day can go in a note).";
  }
  // Month or day without its leading zero: 2013-8-21, 2013-8.
  static const std::regex kUnpadded(R"((\d{4})-(\d{1,2})(?:-(\d{1,2}))?)");
  if (std::regex_match(value.begin(), value.end(), m, kUnpadded)) {
    const int y = std::stoi(m[1].str());
    const unsigned mo = std::stoul(m[2].str());
    if (m[3].matched) {
      const unsigned d = std::stoul(m[3].str());
      const std::string padded = day(y, mo, d);
      if (!padded.empty() && padded != value) return "Did you mean " + padded + "?";
      if (padded.empty() && mo >= 1 && mo <= 12 && d >= 1) {
        // A day the month does not have: 2013-02-30.
        const std::chrono::year_month_day_last last{std::chrono::year{y} / std::chrono::month{mo} /
                                                    std::chrono::last};
        return std::to_string(y) + "-" + two(mo) + " has " +
               std::to_string(static_cast<unsigned>(last.day())) + " days; there is no day " +
               std::to_string(d) + ".";
      }
    } else if (mo >= 1 && mo <= 12 && m[2].length() == 1) {
      return "Did you mean " + m[1].str() + "-" + two(mo) + " (year-month)?";
    }
  }
  static const std::regex kSlashes(R"((\d{4})/(\d{1,2})/(\d{1,2}))");
  if (std::regex_match(value.begin(), value.end(), m, kSlashes)) {
    const std::string d =
        day(std::stoi(m[1].str()), std::stoul(m[2].str()), std::stoul(m[3].str()));
    if (!d.empty()) return "Did you mean " + d + "? (\"/\" separates the two ends of a range.)";
  }
  static const std::regex kMonthYear(R"((\d{1,2})[/.-](\d{4}))");
  if (std::regex_match(value.begin(), value.end(), m, kMonthYear)) {
    const unsigned month = std::stoul(m[1].str());
    if (month >= 1 && month <= 12) {
      return "Did you mean " + m[2].str() + "-" + (month < 10 ? "0" : "") + std::to_string(month) +
             " (year-month)?";
    }
  }
  // A range whose ends are each a date, the later one first.
  if (size_t slash = value.find('/'); slash != std::string_view::npos) {
    auto from = ParseEventDate(value.substr(0, slash)),
         to = ParseEventDate(value.substr(slash + 1));
    if (from && to && from->lo > to->hi) {
      return "The range ends before it begins: give the earlier date first (" +
             std::string(value.substr(slash + 1)) + "/" + std::string(value.substr(0, slash)) +
             ").";
    }
  }
  return "";
}

bool IsLanguageTag(std::string_view tag) { return IsLang(tag); }
bool IsLatitude(std::string_view degrees) { return IsDegrees(degrees, 90); }
bool IsLongitude(std::string_view degrees) { return IsDegrees(degrees, 180); }
LetterCounts CountLetters(std::string_view text) {
  size_t arabic = 0, other = 0;
  core::ForEachCodePoint(text, [&](uint32_t cp) {
    if ((cp >= 0x0620 && cp <= 0x064A) || (cp >= 0x066E && cp <= 0x06D3) ||
        (cp >= 0x0750 && cp <= 0x077F) || (cp >= 0x08A0 && cp <= 0x08FF) ||
        (cp >= 0xFB50 && cp <= 0xFDFF) || (cp >= 0xFE70 && cp <= 0xFEFC)) {
      ++arabic;
    } else if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
               (cp >= 0x00C0 && cp <= 0x024F) || (cp >= 0x0370 && cp <= 0x04FF)) {
      ++other;
    }
  });
  return {arabic, other};
}

bool InArabicScript(std::string_view text) {
  const LetterCounts n = CountLetters(text);
  return n.arabic > n.other;
}

std::string LanguageTagFor(std::string_view name) {
  static const std::map<std::string, std::string, std::less<>> kNames = {
      {"arabic", "ar"},   {"arabe", "ar"},    {"arabisch", "ar"},   {"العربية", "ar"},
      {"عربي", "ar"},     {"عربية", "ar"},    {"english", "en"},    {"anglais", "en"},
      {"englisch", "en"}, {"إنجليزي", "en"},  {"الإنجليزية", "en"}, {"french", "fr"},
      {"français", "fr"}, {"francais", "fr"}, {"فرنسي", "fr"},      {"persian", "fa"},
      {"farsi", "fa"},    {"فارسی", "fa"},    {"urdu", "ur"},       {"kurdish", "ku"},
      {"kurdî", "ku"},    {"turkish", "tr"},  {"türkçe", "tr"},     {"russian", "ru"},
      {"spanish", "es"},  {"español", "es"},  {"german", "de"},     {"deutsch", "de"},
      {"hebrew", "he"},   {"syriac", "syr"},  {"armenian", "hy"}};
  std::string key;
  for (char c : name) {
    if (c != ' ' && c != '\t') key += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  auto it = kNames.find(key);
  return it == kNames.end() ? "" : it->second;
}

core::StatusOr<std::string> ReadLanguageTag(std::string_view given) {
  const size_t b = given.find_first_not_of(" \t"), e = given.find_last_not_of(" \t");
  std::string tag(b == std::string_view::npos ? "" : given.substr(b, e - b + 1));
  const size_t dash = std::min(tag.find('-'), tag.size());
  for (size_t i = 0; i < dash; ++i) {
    if (tag[i] >= 'A' && tag[i] <= 'Z') tag[i] = static_cast<char>(tag[i] - 'A' + 'a');
  }
  if (IsLanguageTag(tag)) return tag;
  const std::string meant = LanguageTagFor(given);
  std::string shown = core::Printable(given);
  core::TruncateUtf8(shown, 80);
  return core::InvalidArgument(
      "\"" + shown +
      "\" is not a language tag (BCP 47, lower-case primary tag: ar, en, fr, fr-CA)" +
      (meant.empty() ? "" : "; did you mean " + meant + "?"));
}

std::string TypeSlip(const std::string& word, const std::vector<std::string>& known) {
  if (std::find(known.begin(), known.end(), word) != known.end()) return "";
  std::string near = core::Closest(word, known);
  for (const auto& k : known) {
    if (near.empty() && k.starts_with(word + "_")) near = k;
  }
  return near;
}

bool IsEntryWord(std::string_view word) { return IsWord(word); }

std::string_view EntityKindName(EntityKind kind) { return PrefixOf(kind).name; }

std::string EntityKindWithArticle(EntityKind kind) {
  const std::string name(EntityKindName(kind));
  return (name[0] == 'i' || name[0] == 'a' ? "an " : "a ") + name;
}

std::string EntityId(EntityKind kind, uint64_t leaf_index) {
  return std::string(PrefixOf(kind).prefix) + std::to_string(leaf_index);
}

std::optional<EntityRef> ParseEntityId(std::string_view id) {
  size_t letters = 0;
  while (letters < id.size() && id[letters] >= 'a' && id[letters] <= 'z') ++letters;
  std::string_view prefix = id.substr(0, letters), digits = id.substr(letters);
  if (!IsDigits(digits) || (digits.size() > 1 && digits.front() == '0')) return std::nullopt;
  for (const KindPrefix& p : kKindPrefixes) {
    if (p.prefix != prefix) continue;
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    return EntityRef{p.kind, value};
  }
  return std::nullopt;
}

bool HasYearZero(std::string_view date) {
  size_t slash = date.find('/');
  return date.starts_with("0000") ||
         (slash != std::string_view::npos && date.substr(slash + 1).starts_with("0000"));
}

bool IsBlank(std::string_view text) { return text::IsBlank(text); }

std::vector<std::string> EveryName(const core::Json& names,
                                   const std::vector<std::string>& variants) {
  std::vector<std::string> all;
  auto add = [&all](const std::string& n) {
    if (std::find(all.begin(), all.end(), n) == all.end()) all.push_back(n);
  };
  if (names.is_object()) {
    for (const auto& [lang, n] : names.items()) {
      if (n.is_string()) add(n.get<std::string>());
    }
  }
  for (const auto& n : variants) add(n);
  return all;
}

std::optional<DateRange> ParseEventDate(std::string_view date) {
  DateRange r;
  auto one = [&r](std::string_view part, std::string* lo, std::string* hi) {
    if (!part.empty() && (part.back() == '~' || part.back() == '?')) {
      r.approximate = true;
      part.remove_suffix(1);
    }
    return ParseDay(part, lo, hi);
  };
  size_t slash = date.find('/');
  if (slash == std::string_view::npos) {
    if (!one(date, &r.lo, &r.hi)) return std::nullopt;
    return r;
  }
  std::string lo_hi, hi_lo;
  if (!one(date.substr(0, slash), &r.lo, &lo_hi) || !one(date.substr(slash + 1), &hi_lo, &r.hi)) {
    return std::nullopt;
  }
  if (r.lo > r.hi) return std::nullopt;
  return r;
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

StatusOr<std::string> GraphEntry(const Actor& by, Json body) {
  if (!body.is_object() || !body.contains("type") || !body["type"].is_string()) {
    return core::InvalidArgument("a graph entry needs a \"type\"");
  }
  std::string type = body["type"].get<std::string>();
  if (type == kArchiveCreated || type == kItemIngested || type == kSourceAdded ||
      type == kNoteAdded || type == kCaptureRecorded || type == kCaptureExtracted ||
      type == kWarcRecord || type == kWarcIndexed || type == kItemAnalyzed ||
      MembersOf(type).empty()) {
    return core::InvalidArgument("\"" + type + "\" is not an evidence graph entry type");
  }
  body["time"] = by.time;
  body["operator"] = by.operator_;
  return Finish(body, type);
}

StatusOr<std::string> CaptureRecordedEntry(const Actor& by, Json body) {
  if (!body.is_object()) return core::InvalidArgument("a capture entry body must be an object");
  body["type"] = std::string(kCaptureRecorded);
  body["time"] = by.time;
  body["operator"] = by.operator_;
  return Finish(body, kCaptureRecorded);
}

StatusOr<std::string> CaptureExtractedEntry(const Actor& by, Json body) {
  if (!body.is_object()) return core::InvalidArgument("an extraction entry body must be an object");
  body["type"] = std::string(kCaptureExtracted);
  body["time"] = by.time;
  body["operator"] = by.operator_;
  return Finish(body, kCaptureExtracted);
}

StatusOr<std::string> WebArchiveEntry(const Actor& by, Json body) {
  if (!body.is_object() || !body.contains("type") || !body["type"].is_string() ||
      (body["type"] != kWarcRecord && body["type"] != kWarcIndexed)) {
    return core::InvalidArgument("a web archive entry is warc.record or warc.indexed");
  }
  std::string type = body["type"].get<std::string>();
  body["time"] = by.time;
  body["operator"] = by.operator_;
  return Finish(body, type);
}

StatusOr<std::string> ItemAnalyzedEntry(const Actor& by, Json body) {
  if (!body.is_object()) return core::InvalidArgument("an analysis entry body must be an object");
  body["type"] = std::string(kItemAnalyzed);
  body["time"] = by.time;
  body["operator"] = by.operator_;
  return Finish(body, kItemAnalyzed);
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
