// Private to metadata*.cc: the pieces the exiv2, FFmpeg and poppler readers share (field
// groups with limits, date and coordinate normalisation, a per-thread capture of the
// libraries' log messages). Not part of isnad_media's interface; tested through metadata.h.
// Thread safe: no shared mutable state except the once-only library set-up.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/canonical_json.h"
#include "media/metadata.h"

namespace isnad::media::internal {

// The wall-clock end of one file's extraction.
class Deadline {
 public:
  explicit Deadline(uint64_t max_millis)
      : end_(std::chrono::steady_clock::now() + std::chrono::milliseconds(max_millis)) {}
  bool Passed() const { return std::chrono::steady_clock::now() >= end_; }
  // Milliseconds left, 0 once passed.
  uint64_t RemainingMillis() const {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    end_ - std::chrono::steady_clock::now())
                    .count();
    return left > 0 ? static_cast<uint64_t>(left) : 0;
  }

 private:
  std::chrono::steady_clock::time_point end_;
};

// Returns `s` made valid UTF-8 (lossy) and cut to at most `max_bytes` at a character boundary;
// sets `*cut` when it cut.
std::string CleanValue(std::string_view s, size_t max_bytes, bool* cut);

// A JSON object of one source's fields ("exif", "xmp", a stream's "tags"...) that keeps at
// most `limits.max_fields` members and cuts values at `limits.max_value_bytes`. A key set
// twice becomes an array of its values (IPTC keywords repeat).
class FieldGroup {
 public:
  FieldGroup(std::string name, const ExtractLimits& limits)
      : name_(std::move(name)), limits_(limits) {}

  void Set(std::string_view key, std::string_view value);
  void SetInt(std::string_view key, int64_t value);
  void SetJson(std::string_view key, core::Json value);
  bool empty() const { return json_.empty(); }
  // Moves the object out.
  core::Json Take() { return std::move(json_); }
  // Appends what was dropped or cut, e.g. "exif: 5000 fields, kept the first 4096".
  void ReportTo(std::vector<std::string>& failures) const;

 private:
  bool Admit(std::string_view key, std::string* clean_key);

  std::string name_;
  const ExtractLimits& limits_;
  core::Json json_ = core::Json::object();
  uint64_t seen_ = 0;  // values offered
  uint64_t kept_ = 0;  // values kept (at most limits_.max_fields)
  uint64_t values_cut_ = 0;
};

// Formats decimal degrees with at most 7 decimals and no trailing zeros ("33.5138", "-0.1",
// "36"). nullopt when `v` is not finite.
std::optional<std::string> FormatDegrees(long double v);

// Checks lat/lon ranges and fills `gps`; otherwise appends "<source>: ... out of range" to
// `failures`.
void SetGpsChecked(long double lat, long double lon, std::string_view source, Metadata& md);

// Parses an EXIF date "YYYY:MM:DD HH:MM:SS" (also with '-' in the date, 'T' between, trailing
// NULs or spaces) into "YYYY-MM-DDTHH:MM:SS". nullopt when not a valid calendar date and time.
std::optional<std::string> ParseExifDateTime(std::string_view s);

// Parses an ISO 8601 date-time "YYYY-MM-DDTHH:MM[:SS[.frac]][Z|+HH:MM|+HHMM|+HH]" into
// "YYYY-MM-DDTHH:MM:SS" followed by "Z" or "+HH:MM" when a zone was given (fraction dropped).
// nullopt when invalid or when there is no time of day.
std::optional<std::string> ParseIsoDateTime(std::string_view s);

// Normalises an EXIF OffsetTime value ("+03:00", "-0500") to "+HH:MM"; nullopt when invalid.
std::optional<std::string> ParseZoneOffset(std::string_view s);

// Parses a PDF date "D:YYYYMMDDHHmmSSOHH'mm'" (PDF 32000-1 7.9.4; fields after the day
// optional and zero by default) into the form of ParseIsoDateTime. nullopt when invalid.
std::optional<std::string> ParsePdfDate(std::string_view s);

// Parses an ISO 6709 point "+33.5138+036.2765/" (degrees, DDMM.m or DDMMSS.s forms, optional
// altitude) into degrees. nullopt when malformed.
std::optional<std::pair<long double, long double>> ParseIso6709(std::string_view s);

// Collects the libraries' log messages written on this thread while alive (they otherwise
// go to stderr or nowhere), so that a failure can say why. Keeps the first few.
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // Called by the libraries' log handlers: records `message` on this thread's capture if any.
  static void Record(std::string_view message);
  // Appends "<prefix>: <message>" for each captured message, and a count of the rest.
  void ReportTo(std::string_view prefix, std::vector<std::string>& failures);

 private:
  LogCapture* previous_;
  std::vector<std::string> messages_;
  uint64_t dropped_ = 0;
};

// The readers. Each fills `md` and appends to `md.failures`; none throws.
void ReadImageMetadata(const std::string& path, const ExtractLimits& limits, Metadata& md);
void ReadAvMetadata(int fd, const ExtractLimits& limits, const Deadline& deadline, Metadata& md);
void ReadPdfMetadata(const std::string& path, const ExtractLimits& limits, const Deadline& deadline,
                     Metadata& md);
// Decodes an XMP packet (e.g. a PDF's metadata stream) into fields["xmp"] and fills title and
// author when they are still empty.
void ReadXmpPacket(const std::string& packet, const ExtractLimits& limits, Metadata& md);

std::string ExivVersion();
std::string AvVersions();
std::string PopplerVersion();

}  // namespace isnad::media::internal
