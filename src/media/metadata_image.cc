// Image metadata with exiv2 0.27: EXIF, IPTC and XMP groups, and the summary fields (size,
// capture time, GPS, camera, software, orientation, title, author). exiv2 throws on damaged
// files; whatever it read before throwing is still used. Its log messages are captured on
// this thread and reported as failures instead of going to stderr.
#include <exiv2/exiv2.hpp>
#include <fstream>
#include <mutex>
#include <string>

#include "media/metadata_internal.h"

namespace isnad::media::internal {
namespace {

// Binary EXIF values longer than this are given as "<N bytes>" (MakerNote, thumbnails...).
constexpr long kMaxBinaryShown = 256;
// Bytes of a bad value quoted in a failure.
constexpr size_t kQuoteBytes = 64;

// JPEGs larger than this are not walked for their end marker.
constexpr std::streamoff kMaxJpegWalkBytes = 256 << 20;

std::once_flag g_exiv2_once;
std::mutex g_xmp_mutex;

void XmpLock(void* /*data*/, bool lock) {
  if (lock) {
    g_xmp_mutex.lock();
  } else {
    g_xmp_mutex.unlock();
  }
}

void ExivLogHandler(int /*level*/, const char* message) {
  if (message != nullptr) LogCapture::Record(message);
}

void InitExiv2() {
  std::call_once(g_exiv2_once, [] {
    Exiv2::LogMsg::setLevel(Exiv2::LogMsg::warn);
    Exiv2::LogMsg::setHandler(ExivLogHandler);
    Exiv2::XmpParser::initialize(XmpLock, nullptr);
  });
}

std::string Quote(std::string_view s) {
  bool cut = false;
  std::string q = CleanValue(s, kQuoteBytes, &cut);
  return "'" + q + (cut ? "...'" : "'");
}

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(std::string(" \t\r\n\0", 5));
  return s.substr(b, e - b + 1);
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (prefix.size() > s.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(s[i]) != lower(prefix[i])) return false;
  }
  return true;
}

std::string ExifValueString(const Exiv2::Exifdatum& d) {
  switch (d.typeId()) {
    case Exiv2::undefined:
    case Exiv2::unsignedByte:
    case Exiv2::signedByte:
      if (d.size() > kMaxBinaryShown) return "<" + std::to_string(d.size()) + " bytes>";
      // exiv2's interpretation of known tags: ExifVersion "2.30", XPTitle as text.
      return d.print();
    case Exiv2::comment:
      if (const auto* c = dynamic_cast<const Exiv2::CommentValue*>(&d.value())) return c->comment();
      return d.toString();
    default: {
      std::string s = d.toString();
      while (!s.empty() && s.back() == '\0') s.pop_back();
      return s;
    }
  }
}

const Exiv2::Exifdatum* FindExif(const Exiv2::ExifData& exif, const char* key) {
  auto it = exif.findKey(Exiv2::ExifKey(key));
  return it == exif.end() ? nullptr : &*it;
}

const Exiv2::Xmpdatum* FindXmp(const Exiv2::XmpData& xmp, const char* key) {
  auto it = xmp.findKey(Exiv2::XmpKey(key));
  return it == xmp.end() ? nullptr : &*it;
}

// A text of an XMP value: the x-default of a language alternative, the first of an array.
std::string XmpText(const Exiv2::Xmpdatum& d) {
  if (const auto* alt = dynamic_cast<const Exiv2::LangAltValue*>(&d.value())) {
    auto it = alt->value_.find("x-default");
    if (it != alt->value_.end()) return it->second;
    return alt->value_.empty() ? "" : alt->value_.begin()->second;
  }
  if (d.count() > 1) return d.toString(0);
  return d.toString();
}

// Degrees from EXIF's 1 to 3 rationals (degrees, minutes, seconds). They are unsigned (EXIF
// 2.32, 4.6.6: the hemisphere is in the Ref): a negative value, written as a signed rational,
// would flip the Ref's sign; minutes or seconds of 60 or more are not a position either.
std::optional<long double> ExifDegrees(const Exiv2::Exifdatum& d) {
  long n = d.count();
  if (n < 1 || n > 3) return std::nullopt;
  const auto* unsigned_value = dynamic_cast<const Exiv2::URationalValue*>(&d.value());
  long double v = 0;
  long double unit = 1;
  for (long k = 0; k < n; ++k) {
    long double num, den;
    if (unsigned_value != nullptr && static_cast<size_t>(k) < unsigned_value->value_.size()) {
      num = unsigned_value->value_[k].first;
      den = unsigned_value->value_[k].second;
    } else {
      Exiv2::Rational r = d.toRational(k);
      num = r.first;
      den = r.second;
    }
    if (den == 0) return std::nullopt;
    const long double part = num / den;
    if (part < 0 || (k > 0 && part >= 60)) return std::nullopt;
    v += part / unit;
    unit *= 60;
  }
  return v;
}

void ReadExifGps(const Exiv2::ExifData& exif, Metadata& md) {
  const auto* lat = FindExif(exif, "Exif.GPSInfo.GPSLatitude");
  const auto* lon = FindExif(exif, "Exif.GPSInfo.GPSLongitude");
  if (lat == nullptr && lon == nullptr) return;
  if (lat == nullptr || lon == nullptr) {
    md.failures.push_back("exif: GPS position has only one of latitude and longitude");
    return;
  }
  const auto* lat_ref = FindExif(exif, "Exif.GPSInfo.GPSLatitudeRef");
  const auto* lon_ref = FindExif(exif, "Exif.GPSInfo.GPSLongitudeRef");
  std::string la_ref = lat_ref ? Trim(lat_ref->toString()) : "";
  std::string lo_ref = lon_ref ? Trim(lon_ref->toString()) : "";
  // Without its reference the sign (hemisphere) is unknown: no position rather than a guess.
  if ((la_ref != "N" && la_ref != "S") || (lo_ref != "E" && lo_ref != "W")) {
    md.failures.push_back("exif: GPS position without valid GPSLatitudeRef/GPSLongitudeRef (" +
                          Quote(la_ref) + ", " + Quote(lo_ref) + ")");
    return;
  }
  auto la = ExifDegrees(*lat);
  auto lo = ExifDegrees(*lon);
  if (!la || !lo) {
    md.failures.push_back(
        "exif: GPS position is not 1 to 3 rationals (degrees, minutes and seconds under 60, "
        "none negative) with non-zero denominators: " +
        Quote(lat->toString()) + ", " + Quote(lon->toString()));
    return;
  }
  SetGpsChecked(la_ref == "S" ? -*la : *la, lo_ref == "W" ? -*lo : *lo, "exif", md);
}

void ReadExifDates(const Exiv2::ExifData& exif, Metadata& md) {
  struct Pair {
    const char* date;
    const char* offset;
  };
  static constexpr Pair kDates[] = {
      {"Exif.Photo.DateTimeOriginal", "Exif.Photo.OffsetTimeOriginal"},
      {"Exif.Photo.DateTimeDigitized", "Exif.Photo.OffsetTimeDigitized"},
      {"Exif.Image.DateTime", "Exif.Photo.OffsetTime"},
  };
  for (const auto& p : kDates) {
    const auto* d = FindExif(exif, p.date);
    if (d == nullptr) continue;
    std::string raw = d->toString();
    auto when = ParseExifDateTime(raw);
    if (!when) {
      md.failures.push_back(std::string("exif: ") + p.date + " is not a valid date: " + Quote(raw));
      continue;
    }
    if (const auto* o = FindExif(exif, p.offset)) {
      std::string raw_offset = Trim(o->toString());
      if (auto zone = ParseZoneOffset(raw_offset)) {
        *when += *zone;
      } else if (raw_offset.find_first_not_of(" :") != std::string::npos) {
        md.failures.push_back(std::string("exif: ") + p.offset +
                              " is not a valid offset: " + Quote(raw_offset));
      }
    }
    md.captured_at = *when;
    return;
  }
}

void ReadXmpSummary(const Exiv2::XmpData& xmp, Metadata& md) {
  if (md.captured_at.empty()) {
    for (const char* key :
         {"Xmp.photoshop.DateCreated", "Xmp.exif.DateTimeOriginal", "Xmp.xmp.CreateDate"}) {
      const auto* d = FindXmp(xmp, key);
      if (d == nullptr) continue;
      std::string raw = d->toString();
      if (auto when = ParseIsoDateTime(raw)) {
        md.captured_at = *when;
        break;
      }
      md.failures.push_back(std::string("xmp: ") + key +
                            " is not a valid date and time: " + Quote(raw));
    }
  }
  if (md.title.empty())
    if (const auto* d = FindXmp(xmp, "Xmp.dc.title")) md.title = Trim(XmpText(*d));
  if (md.author.empty())
    if (const auto* d = FindXmp(xmp, "Xmp.dc.creator")) md.author = Trim(XmpText(*d));
  if (md.software.empty())
    if (const auto* d = FindXmp(xmp, "Xmp.xmp.CreatorTool")) md.software = Trim(XmpText(*d));
}

void CollectXmp(const Exiv2::XmpData& xmp, const ExtractLimits& limits, Metadata& md) {
  FieldGroup group("xmp", limits);
  for (const auto& d : xmp) group.Set(d.key(), d.toString());
  group.ReportTo(md.failures);
  if (!group.empty()) md.fields["xmp"] = group.Take();
  ReadXmpSummary(xmp, md);
}

void Collect(Exiv2::Image& image, const ExtractLimits& limits, Metadata& md) {
  if (image.pixelWidth() > 0 && image.pixelHeight() > 0) {
    md.width = static_cast<uint32_t>(image.pixelWidth());
    md.height = static_cast<uint32_t>(image.pixelHeight());
  }
  const Exiv2::ExifData& exif = image.exifData();
  FieldGroup group("exif", limits);
  for (const auto& d : exif) {
    try {
      group.Set(d.key(), ExifValueString(d));
    } catch (const std::exception& e) {
      md.failures.push_back("exiv2: " + d.key() + ": " + e.what());
    }
  }
  group.ReportTo(md.failures);
  if (!group.empty()) md.fields["exif"] = group.Take();

  ReadExifDates(exif, md);
  ReadExifGps(exif, md);
  auto text = [&](const char* key) {
    const auto* d = FindExif(exif, key);
    return d ? Trim(d->toString()) : std::string();
  };
  std::string make = text("Exif.Image.Make");
  std::string model = text("Exif.Image.Model");
  if (!make.empty() && StartsWithNoCase(model, make)) make.clear();
  md.camera = Trim(make + " " + model);
  md.software = text("Exif.Image.Software");
  md.author = text("Exif.Image.Artist");
  if (const auto* o = FindExif(exif, "Exif.Image.Orientation")) {
    long v = o->count() == 1 ? o->toLong() : 0;
    if (v >= 1 && v <= 8) {
      md.orientation = static_cast<int>(v);
    } else {
      md.failures.push_back("exif: Exif.Image.Orientation is not 1 to 8: " + Quote(o->toString()));
    }
  }

  const Exiv2::IptcData& iptc = image.iptcData();
  FieldGroup iptc_group("iptc", limits);
  for (const auto& d : iptc) iptc_group.Set(d.key(), d.toString());
  iptc_group.ReportTo(md.failures);
  if (!iptc_group.empty()) md.fields["iptc"] = iptc_group.Take();

  // XMP's dc:title and dc:creator before IPTC's, as the Metadata Working Group advises.
  std::string exif_author = md.author;
  md.author.clear();
  CollectXmp(image.xmpData(), limits, md);
  if (md.author.empty()) md.author = exif_author;
  auto iptc_text = [&](const char* key) {
    auto it = iptc.findKey(Exiv2::IptcKey(key));
    return it == iptc.end() ? std::string() : Trim(it->toString());
  };
  if (md.title.empty()) md.title = iptc_text("Iptc.Application2.ObjectName");
  if (md.author.empty()) md.author = iptc_text("Iptc.Application2.Byline");
  if (!md.orientation) {
    if (const auto* o = FindXmp(image.xmpData(), "Xmp.tiff.Orientation")) {
      long v = o->toLong();
      if (v >= 1 && v <= 8) md.orientation = static_cast<int>(v);
    }
  }

  if (!image.comment().empty()) {
    bool cut = false;
    md.fields["comment"] = CleanValue(image.comment(), limits.max_value_bytes, &cut);
  }
  for (std::string* s : {&md.camera, &md.software, &md.title, &md.author}) {
    bool cut = false;
    *s = CleanValue(*s, limits.max_value_bytes, &cut);
  }
}

// exiv2 stops reading a JPEG at its first scan, so a file cut inside the image data reads
// as complete. Walks the segments and scans to the end-of-image marker and reports a file
// that ends before it (the most common damage of evidence: an interrupted download).
void CheckJpegEnd(const std::string& path, Metadata& md) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::streamoff size = in ? static_cast<std::streamoff>(in.tellg()) : -1;
  if (size < 4 || size > kMaxJpegWalkBytes) return;
  std::string b(static_cast<size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(b.data(), size)) return;
  auto at = [&](size_t i) { return static_cast<unsigned char>(b[i]); };
  if (at(0) != 0xFF || at(1) != 0xD8) return;
  size_t pos = 2;
  while (true) {
    if (pos >= b.size()) break;
    if (at(pos) != 0xFF) {
      md.failures.push_back("jpeg: damaged: no marker at byte " + std::to_string(pos));
      return;
    }
    while (pos < b.size() && at(pos) == 0xFF) ++pos;  // fill bytes
    if (pos >= b.size()) break;
    unsigned marker = at(pos++);
    if (marker == 0xD9) return;  // end of image
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;
    if (pos + 2 > b.size()) break;
    size_t length = (size_t{at(pos)} << 8) | at(pos + 1);
    if (length < 2) {
      md.failures.push_back("jpeg: damaged: segment length " + std::to_string(length) +
                            " at byte " + std::to_string(pos));
      return;
    }
    pos += length;
    if (marker != 0xDA) continue;
    // Entropy-coded data: 0xFF is stuffed as FF 00; restart markers continue the scan.
    while (pos + 1 < b.size() &&
           !(at(pos) == 0xFF && at(pos + 1) != 0 && (at(pos + 1) < 0xD0 || at(pos + 1) > 0xD7)))
      ++pos;
    if (pos + 1 >= b.size()) break;
  }
  md.failures.push_back("jpeg: truncated: the file ends before the end-of-image marker");
}

}  // namespace

void ReadImageMetadata(const std::string& path, const ExtractLimits& limits, Metadata& md) {
  InitExiv2();
  LogCapture capture;
  // exiv2 0.27's interface hands out std::auto_ptr, which C++17 deprecates.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  Exiv2::Image::AutoPtr image;
  try {
    // A FileIo, not ImageFactory::open(path): exiv2 would fetch a path that looks like a URL.
    Exiv2::BasicIo::AutoPtr io(new Exiv2::FileIo(path));
    image = Exiv2::ImageFactory::open(io);
  } catch (const std::exception& e) {
    md.failures.push_back(std::string("exiv2: ") + e.what());
  }
#pragma GCC diagnostic pop
  if (image.get() == nullptr) {
    if (md.failures.empty())
      md.failures.push_back("exiv2: the file is not an image type exiv2 reads");
    capture.ReportTo("exiv2", md.failures);
    return;
  }
  // exiv2 0.27 as Debian builds it also parses QuickTime, RIFF, Matroska and ASF; those
  // readers overflow buffers on damaged files (found by metadata_fuzz; removed in exiv2 0.28).
  // A video is FFmpeg's to read, whatever its label said.
  if (std::string mime = image->mimeType(); mime.starts_with("video/")) {
    md.failures.push_back("exiv2: the file is a video container (" + mime +
                          "), not read as an image");
    capture.ReportTo("exiv2", md.failures);
    return;
  }
  try {
    image->readMetadata();
  } catch (const std::exception& e) {
    md.failures.push_back(std::string("exiv2: ") + e.what());
  } catch (...) {
    md.failures.push_back("exiv2: unknown error while reading metadata");
  }
  try {
    Collect(*image, limits, md);
  } catch (const std::exception& e) {
    md.failures.push_back(std::string("exiv2: ") + e.what());
  } catch (...) {
    md.failures.push_back("exiv2: unknown error while collecting metadata");
  }
  if (image->mimeType() == "image/jpeg") CheckJpegEnd(path, md);
  capture.ReportTo("exiv2", md.failures);
}

void ReadXmpPacket(const std::string& packet, const ExtractLimits& limits, Metadata& md) {
  InitExiv2();
  LogCapture capture;
  try {
    Exiv2::XmpData xmp;
    if (Exiv2::XmpParser::decode(xmp, packet) != 0) {
      md.failures.push_back("exiv2: the XMP packet could not be decoded");
    } else {
      CollectXmp(xmp, limits, md);
    }
  } catch (const std::exception& e) {
    md.failures.push_back(std::string("exiv2: XMP: ") + e.what());
  } catch (...) {
    md.failures.push_back("exiv2: XMP: unknown error");
  }
  capture.ReportTo("exiv2", md.failures);
}

std::string ExivVersion() { return "exiv2 " + Exiv2::versionString(); }

}  // namespace isnad::media::internal
