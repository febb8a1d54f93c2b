// ExtractMetadata's dispatch by media type, and the helpers the three readers share: field
// groups with limits, dates, coordinates and the capture of library log messages.
// The readers are metadata_image.cc (exiv2), metadata_av.cc (FFmpeg), metadata_pdf.cc
// (poppler). Layout of the result: docs/formats/metadata.md.
#include "media/metadata.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/utf8.h"
#include "media/metadata_internal.h"

namespace isnad::media {
namespace internal {
namespace {

constexpr size_t kMaxLogMessages = 8;
constexpr size_t kMaxLogMessageBytes = 512;
// Keys are names chosen by the file's writer (FFmpeg tags); cut apart from values so that a
// small max_value_bytes does not make distinct keys collide.
constexpr size_t kMaxKeyBytes = 256;
constexpr int64_t kMaxJsonInt = (int64_t{1} << 53) - 1;

thread_local LogCapture* t_capture = nullptr;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads `n` decimal digits at `s[*i]`; false when there are fewer.
bool Digits(std::string_view s, size_t* i, size_t n, int* out) {
  if (*i + n > s.size()) return false;
  int v = 0;
  for (size_t k = 0; k < n; ++k) {
    char c = s[*i + k];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *i += n;
  *out = v;
  return true;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool ValidDateTime(int y, int mo, int d, int h, int mi, int s) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1 || mo < 1 || mo > 12 || d < 1) return false;
  int dim = kDays[mo - 1] + (mo == 2 && IsLeap(y) ? 1 : 0);
  return d <= dim && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 60;
}

std::string FormatDateTime(int y, int mo, int d, int h, int mi, int s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d, h, mi, s);
  return buf;
}

std::string FormatZone(char sign, int h, int m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", sign, h, m);
  return buf;
}

std::string_view TrimEnd(std::string_view s) {
  while (!s.empty() &&
         (s.back() == '\0' || s.back() == ' ' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Parses a zone at s[*i..]: "Z", "+HH", "+HHMM", "+HH:MM" (PDF's "+HH'mm'" when `pdf`).
// Returns "" for no zone (end of input), nullopt when malformed.
std::optional<std::string> ParseZoneAt(std::string_view s, size_t i, bool pdf) {
  if (i == s.size()) return std::string();
  if (s[i] == 'Z' || s[i] == 'z') {
    // PDF writers often put "Z00'00'" for UTC.
    if (i + 1 == s.size() ||
        (pdf && s.substr(i + 1).find_first_not_of("0'") == std::string_view::npos))
      return std::string("Z");
    return std::nullopt;
  }
  if (s[i] != '+' && s[i] != '-') return std::nullopt;
  char sign = s[i++];
  int h = 0, m = 0;
  if (!Digits(s, &i, 2, &h)) return std::nullopt;
  if (i < s.size() && (s[i] == ':' || (pdf && s[i] == '\''))) ++i;
  if (i < s.size() && IsDigit(s[i])) {
    if (!Digits(s, &i, 2, &m)) return std::nullopt;
    if (pdf && i < s.size() && s[i] == '\'') ++i;
  }
  if (i != s.size() || h > 23 || m > 59) return std::nullopt;
  return FormatZone(sign, h, m);
}

// Reads an unsigned decimal with an optional fraction at s[*i]; `int_digits` gets the number
// of digits before the point. Locale-independent.
bool ReadDecimal(std::string_view s, size_t* i, long double* out, size_t* int_digits) {
  size_t start = *i;
  long double v = 0;
  while (*i < s.size() && IsDigit(s[*i])) v = v * 10 + (s[(*i)++] - '0');
  *int_digits = *i - start;
  if (*int_digits == 0) return false;
  if (*i < s.size() && s[*i] == '.') {
    ++*i;
    long double scale = 0.1L;
    size_t fstart = *i;
    while (*i < s.size() && IsDigit(s[*i])) {
      v += (s[(*i)++] - '0') * scale;
      scale /= 10;
    }
    if (*i == fstart) return false;
  }
  *out = v;
  return true;
}

// One ISO 6709 coordinate: sign, then D..D (deg_digits), D..DMM or D..DMMSS, optional fraction.
std::optional<long double> ReadIso6709Coordinate(std::string_view s, size_t* i, size_t deg_digits) {
  if (*i >= s.size() || (s[*i] != '+' && s[*i] != '-')) return std::nullopt;
  bool negative = s[(*i)++] == '-';
  size_t start = *i;
  long double v = 0;
  size_t int_digits = 0;
  if (!ReadDecimal(s, i, &v, &int_digits)) return std::nullopt;
  auto whole = [&](size_t from, size_t n) {
    long double w = 0;
    for (size_t k = 0; k < n; ++k) w = w * 10 + (s[start + from + k] - '0');
    return w;
  };
  long double frac = v - std::floor(v);
  long double degrees;
  if (int_digits == deg_digits) {
    degrees = v;
  } else if (int_digits == deg_digits + 2) {
    long double minutes = whole(deg_digits, 2) + frac;
    if (minutes >= 60) return std::nullopt;
    degrees = whole(0, deg_digits) + minutes / 60;
  } else if (int_digits == deg_digits + 4) {
    long double minutes = whole(deg_digits, 2);
    long double seconds = whole(deg_digits + 2, 2) + frac;
    if (minutes >= 60 || seconds >= 60) return std::nullopt;
    degrees = whole(0, deg_digits) + minutes / 60 + seconds / 3600;
  } else {
    return std::nullopt;
  }
  return negative ? -degrees : degrees;
}

}  // namespace

std::string CleanValue(std::string_view s, size_t max_bytes, bool* cut) {
  std::string v = core::LossyUtf8(s);
  *cut = false;
  if (v.size() > max_bytes) {
    core::TruncateUtf8(v, max_bytes);
    *cut = true;
  }
  return v;
}

bool FieldGroup::Admit(std::string_view key, std::string* clean_key) {
  ++seen_;
  bool cut = false;
  *clean_key = CleanValue(key, kMaxKeyBytes, &cut);
  // Values are counted, not keys: a key repeated thousands of times (IPTC keywords) is held
  // to the same limit as thousands of keys.
  if (kept_ >= limits_.max_fields) return false;
  ++kept_;
  return true;
}

void FieldGroup::Set(std::string_view key, std::string_view value) {
  bool cut = false;
  std::string v = CleanValue(value, limits_.max_value_bytes, &cut);
  if (cut) ++values_cut_;
  SetJson(key, core::Json(std::move(v)));
}

void FieldGroup::SetInt(std::string_view key, int64_t value) {
  if (value > kMaxJsonInt || value < -kMaxJsonInt) {
    Set(key, std::to_string(value));
  } else {
    SetJson(key, core::Json(value));
  }
}

void FieldGroup::SetJson(std::string_view key, core::Json value) {
  std::string k;
  if (!Admit(key, &k)) return;
  auto it = json_.find(k);
  if (it == json_.end()) {
    json_[k] = std::move(value);
  } else if (it->is_array()) {
    it->push_back(std::move(value));
  } else {
    core::Json both = core::Json::array({std::move(*it), std::move(value)});
    *it = std::move(both);
  }
}

void FieldGroup::ReportTo(std::vector<std::string>& failures) const {
  if (seen_ > kept_) {
    failures.push_back(name_ + ": " + std::to_string(seen_ - kept_) +
                       " more fields not kept (limit " + std::to_string(limits_.max_fields) +
                       " values per group)");
  }
  if (values_cut_ > 0) {
    failures.push_back(name_ + ": " + std::to_string(values_cut_) + " values cut at " +
                       std::to_string(limits_.max_value_bytes) + " bytes");
  }
}

std::optional<std::string> FormatDegrees(long double v) {
  if (!std::isfinite(v) || std::fabs(v) > 1e6L) return std::nullopt;
  long long units = std::llround(v * 10'000'000.0L);
  bool negative = units < 0;
  unsigned long long a = negative ? -static_cast<unsigned long long>(units) : units;
  std::string out = (negative ? "-" : "") + std::to_string(a / 10'000'000);
  unsigned long long frac = a % 10'000'000;
  if (frac != 0) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%07llu", frac);
    std::string f = buf;
    while (f.back() == '0') f.pop_back();
    out += "." + f;
  }
  return out;
}

void SetGpsChecked(long double lat, long double lon, std::string_view source, Metadata& md) {
  auto la = FormatDegrees(lat);
  auto lo = FormatDegrees(lon);
  if (!la || !lo || std::fabs(lat) > 90 || std::fabs(lon) > 180) {
    md.failures.push_back(std::string(source) + ": GPS position out of range: latitude " +
                          la.value_or("?") + ", longitude " + lo.value_or("?"));
    return;
  }
  // llround can leave "-0" only for values that round to zero; one form for zero.
  if (*la == "-0") *la = "0";
  if (*lo == "-0") *lo = "0";
  md.gps = Gps{*la, *lo};
}

std::optional<std::string> ParseExifDateTime(std::string_view s) {
  s = TrimEnd(s);
  if (s.size() != 19) return std::nullopt;
  size_t i = 0;
  int y, mo, d, h, mi, sec;
  auto sep = [&](std::string_view allowed) {
    if (i >= s.size() || allowed.find(s[i]) == std::string_view::npos) return false;
    ++i;
    return true;
  };
  if (!Digits(s, &i, 4, &y) || !sep(":-") || !Digits(s, &i, 2, &mo) || !sep(":-") ||
      !Digits(s, &i, 2, &d) || !sep(" T") || !Digits(s, &i, 2, &h) || !sep(":") ||
      !Digits(s, &i, 2, &mi) || !sep(":") || !Digits(s, &i, 2, &sec))
    return std::nullopt;
  if (!ValidDateTime(y, mo, d, h, mi, sec)) return std::nullopt;
  return FormatDateTime(y, mo, d, h, mi, sec);
}

std::optional<std::string> ParseIsoDateTime(std::string_view s) {
  s = TrimEnd(s);
  size_t i = 0;
  int y, mo, d, h, mi, sec = 0;
  auto expect = [&](char c) {
    if (i >= s.size() || s[i] != c) return false;
    ++i;
    return true;
  };
  if (!Digits(s, &i, 4, &y) || !expect('-') || !Digits(s, &i, 2, &mo) || !expect('-') ||
      !Digits(s, &i, 2, &d))
    return std::nullopt;
  if (i >= s.size() || (s[i] != 'T' && s[i] != ' ')) return std::nullopt;
  ++i;
  if (!Digits(s, &i, 2, &h) || !expect(':') || !Digits(s, &i, 2, &mi)) return std::nullopt;
  if (i < s.size() && s[i] == ':') {
    ++i;
    if (!Digits(s, &i, 2, &sec)) return std::nullopt;
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
      size_t f = ++i;
      while (i < s.size() && IsDigit(s[i])) ++i;
      if (i == f) return std::nullopt;
    }
  }
  if (!ValidDateTime(y, mo, d, h, mi, sec)) return std::nullopt;
  auto zone = ParseZoneAt(s, i, /*pdf=*/false);
  if (!zone) return std::nullopt;
  return FormatDateTime(y, mo, d, h, mi, sec) + *zone;
}

std::optional<std::string> ParseZoneOffset(std::string_view s) {
  s = TrimEnd(s);
  if (s.empty()) return std::nullopt;
  auto zone = ParseZoneAt(s, 0, /*pdf=*/false);
  if (!zone || zone->empty() || *zone == "Z") return std::nullopt;
  return zone;
}

std::optional<std::string> ParsePdfDate(std::string_view s) {
  s = TrimEnd(s);
  if (s.substr(0, 2) == "D:") s.remove_prefix(2);
  size_t i = 0;
  int y, mo, d, h, mi, sec = 0;
  if (!Digits(s, &i, 4, &y) || !Digits(s, &i, 2, &mo) || !Digits(s, &i, 2, &d) ||
      !Digits(s, &i, 2, &h) || !Digits(s, &i, 2, &mi))
    return std::nullopt;
  if (i < s.size() && IsDigit(s[i]) && !Digits(s, &i, 2, &sec)) return std::nullopt;
  if (!ValidDateTime(y, mo, d, h, mi, sec)) return std::nullopt;
  auto zone = ParseZoneAt(s, i, /*pdf=*/true);
  if (!zone) return std::nullopt;
  return FormatDateTime(y, mo, d, h, mi, sec) + *zone;
}

std::optional<std::pair<long double, long double>> ParseIso6709(std::string_view s) {
  s = TrimEnd(s);
  size_t i = 0;
  auto lat = ReadIso6709Coordinate(s, &i, 2);
  if (!lat) return std::nullopt;
  auto lon = ReadIso6709Coordinate(s, &i, 3);
  if (!lon) return std::nullopt;
  // Altitude and a coordinate reference system may follow; the point ends with '/'.
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    ++i;
    long double alt;
    size_t n;
    if (!ReadDecimal(s, &i, &alt, &n)) return std::nullopt;
  }
  if (i < s.size() && s.substr(i, 3) == "CRS") i = s.find('/', i);
  if (i == std::string_view::npos || (i < s.size() && s[i] != '/')) return std::nullopt;
  if (i < s.size() && i + 1 != s.size()) return std::nullopt;
  return std::make_pair(*lat, *lon);
}

LogCapture::LogCapture() : previous_(t_capture) { t_capture = this; }
LogCapture::~LogCapture() { t_capture = previous_; }

void LogCapture::Record(std::string_view message) {
  LogCapture* c = t_capture;
  if (c == nullptr) return;
  message = TrimEnd(message);
  if (message.empty()) return;
  if (c->messages_.size() >= kMaxLogMessages) {
    ++c->dropped_;
    return;
  }
  bool cut = false;
  std::string m = CleanValue(message, kMaxLogMessageBytes, &cut);
  // Libraries repeat themselves on damaged files; one line each.
  for (const auto& seen : c->messages_)
    if (seen == m) return;
  c->messages_.push_back(std::move(m));
}

void LogCapture::ReportTo(std::string_view prefix, std::vector<std::string>& failures) {
  for (const auto& m : messages_) failures.push_back(std::string(prefix) + ": " + m);
  if (dropped_ > 0)
    failures.push_back(std::string(prefix) + ": " + std::to_string(dropped_) + " more messages");
  messages_.clear();
  dropped_ = 0;
}

}  // namespace internal

namespace {

constexpr size_t kMaxFailureBytes = 1024;

enum class Kind { kNone, kImage, kAv, kPdf };

Kind KindOf(std::string_view media_type) {
  media_type = media_type.substr(0, media_type.find(';'));
  std::string t;
  for (char c : media_type)
    if (c != ' ') t += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (t == "application/pdf") return Kind::kPdf;
  // SVG is XML text, not something exiv2 reads.
  if (t.starts_with("image/") && t != "image/svg+xml") return Kind::kImage;
  if (t.starts_with("video/") || t.starts_with("audio/")) return Kind::kAv;
  return Kind::kNone;
}

}  // namespace

std::string_view CapturedAtZone(std::string_view captured_at) {
  constexpr size_t kClock = 19;  // "YYYY-MM-DDTHH:MM:SS"
  if (captured_at.size() <= kClock) return {};
  std::string_view zone = captured_at.substr(kClock);
  if (zone == "Z") return zone;
  if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') return zone;
  return {};
}

bool HasMetadataExtractor(const std::string& media_type) {
  return KindOf(media_type) != Kind::kNone;
}

core::StatusOr<Metadata> ExtractMetadata(const std::string& path, const std::string& media_type,
                                         const ExtractLimits& limits) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return core::ErrnoStatus("cannot open", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    int err = S_ISDIR(st.st_mode) ? EISDIR : errno;
    ::close(fd);
    return core::ErrnoStatus("cannot read", path, err);
  }
  Metadata md;
  internal::Deadline deadline(limits.max_millis);
  switch (KindOf(media_type)) {
    case Kind::kImage:
      internal::ReadImageMetadata(path, limits, md);
      break;
    case Kind::kAv:
      internal::ReadAvMetadata(fd, limits, deadline, md);
      break;
    case Kind::kPdf:
      internal::ReadPdfMetadata(path, limits, deadline, md);
      break;
    case Kind::kNone:
      break;
  }
  ::close(fd);
  // Library messages can quote the file's bytes; failures go into custody entries as JSON.
  for (std::string& f : md.failures) {
    bool cut = false;
    f = internal::CleanValue(f, kMaxFailureBytes, &cut);
  }
  return md;
}

std::string MetadataExtractorVersions() {
  return internal::ExivVersion() + "; " + internal::AvVersions() + "; " +
         internal::PopplerVersion();
}

}  // namespace isnad::media
