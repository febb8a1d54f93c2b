// Video and audio metadata with the FFmpeg libraries (libavformat probes, demuxes headers and
// decodes as little as avformat_find_stream_info needs). The file is read through our own
// AVIOContext over the already-open descriptor, so no protocol is ever opened: a hostile
// playlist or reference cannot make FFmpeg fetch a URL or read another file (io_open refuses,
// and the protocol whitelist is empty). Reads stop at the deadline.
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
}

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include "media/metadata_internal.h"

namespace isnad::media::internal {
namespace {

constexpr int kIoBufferBytes = 64 * 1024;
// What avformat_find_stream_info may read and decode: FFmpeg's defaults, written out so that a
// change of defaults does not change what is extracted.
constexpr int64_t kProbeBytes = 5'000'000;
constexpr int64_t kAnalyzeMicros = 5'000'000;

std::once_flag g_av_once;

void AvLogHandler(void* /*avcl*/, int level, const char* fmt, va_list args) {
  if (level > AV_LOG_ERROR) return;
  // The message alone: FFmpeg's own prefix holds a pointer, which would make the failure
  // strings (and the custody entry holding them) differ from run to run.
  char line[512];
  va_list copy;
  va_copy(copy, args);
  std::vsnprintf(line, sizeof line, fmt, copy);
  va_end(copy);
  LogCapture::Record(line);
}

void InitAv() {
  std::call_once(g_av_once, [] {
    av_log_set_level(AV_LOG_QUIET);
    av_log_set_callback(AvLogHandler);
  });
}

std::string AvError(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof buf);
  return buf;
}

struct Source {
  int fd;
  int64_t pos;
  int64_t size;
  const Deadline* deadline;
};

int ReadPacket(void* opaque, uint8_t* buf, int n) {
  auto* s = static_cast<Source*>(opaque);
  if (s->deadline->Passed()) return AVERROR_EXIT;
  ssize_t r;
  do {
    r = ::pread(s->fd, buf, static_cast<size_t>(n), s->pos);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return AVERROR(errno);
  if (r == 0) return AVERROR_EOF;
  s->pos += r;
  return static_cast<int>(r);
}

int64_t Seek(void* opaque, int64_t offset, int whence) {
  auto* s = static_cast<Source*>(opaque);
  whence &= ~AVSEEK_FORCE;
  int64_t base;
  switch (whence) {
    case AVSEEK_SIZE:
      return s->size;
    case SEEK_SET:
      base = 0;
      break;
    case SEEK_CUR:
      base = s->pos;
      break;
    case SEEK_END:
      base = s->size;
      break;
    default:
      return AVERROR(EINVAL);
  }
  int64_t target;
  if (__builtin_add_overflow(base, offset, &target) || target < 0) return AVERROR(EINVAL);
  s->pos = target;
  return target;
}

int Interrupt(void* opaque) { return static_cast<const Deadline*>(opaque)->Passed() ? 1 : 0; }

int RefuseOpen(AVFormatContext* /*s*/, AVIOContext** /*pb*/, const char* /*url*/, int /*flags*/,
               AVDictionary** /*options*/) {
  return AVERROR(EPERM);
}

const char* Tag(const AVDictionary* dict, const char* key) {
  const AVDictionaryEntry* e = av_dict_get(dict, key, nullptr, 0);
  return e != nullptr && e->value != nullptr ? e->value : nullptr;
}

core::Json Tags(const AVDictionary* dict, const std::string& name, const ExtractLimits& limits,
                std::vector<std::string>& failures) {
  FieldGroup group(name, limits);
  const AVDictionaryEntry* e = nullptr;
  while ((e = av_dict_get(dict, "", e, AV_DICT_IGNORE_SUFFIX)) != nullptr)
    group.Set(e->key, e->value != nullptr ? e->value : "");
  group.ReportTo(failures);
  return group.Take();
}

std::string Rational(AVRational r) { return std::to_string(r.num) + "/" + std::to_string(r.den); }

core::Json Stream(const AVStream& st, const ExtractLimits& limits,
                  std::vector<std::string>& failures) {
  const AVCodecParameters& par = *st.codecpar;
  std::string name = "stream " + std::to_string(st.index);
  FieldGroup s(name, limits);
  s.SetInt("index", st.index);
  const char* type = av_get_media_type_string(par.codec_type);
  s.Set("type", type != nullptr ? type : "unknown");
  s.Set("codec", avcodec_get_name(par.codec_id));
  if (const char* profile = avcodec_profile_name(par.codec_id, par.profile))
    s.Set("profile", profile);
  if (par.width > 0 && par.height > 0) {
    s.SetInt("width", par.width);
    s.SetInt("height", par.height);
  }
  if (par.sample_rate > 0) s.SetInt("sample_rate", par.sample_rate);
  if (par.ch_layout.nb_channels > 0) s.SetInt("channels", par.ch_layout.nb_channels);
  if (par.bit_rate > 0) s.SetInt("bit_rate", par.bit_rate);
  if (st.avg_frame_rate.num > 0 && st.avg_frame_rate.den > 0)
    s.Set("frame_rate", Rational(st.avg_frame_rate));
  if (st.duration != AV_NOPTS_VALUE && st.duration > 0 && st.time_base.num > 0 &&
      st.time_base.den > 0)
    s.SetInt("duration_ms", av_rescale_q(st.duration, st.time_base, AVRational{1, 1000}));
  size_t matrix_bytes = 0;
  const uint8_t* matrix = av_stream_get_side_data(&st, AV_PKT_DATA_DISPLAYMATRIX, &matrix_bytes);
  if (matrix != nullptr && matrix_bytes >= 9 * sizeof(int32_t)) {
    int32_t m[9];
    std::memcpy(m, matrix, sizeof m);
    double degrees = av_display_rotation_get(m);
    if (std::isfinite(degrees)) s.SetInt("rotation", std::lround(degrees) + 0);
  }
  core::Json disposition = core::Json::array();
  if (st.disposition & AV_DISPOSITION_DEFAULT) disposition.push_back("default");
  if (st.disposition & AV_DISPOSITION_ATTACHED_PIC) disposition.push_back("attached_pic");
  if (!disposition.empty()) s.SetJson("disposition", std::move(disposition));
  core::Json tags = Tags(st.metadata, name + " tags", limits, failures);
  if (!tags.empty()) s.SetJson("tags", std::move(tags));
  s.ReportTo(failures);
  return s.Take();
}

std::string Clean(const char* s, size_t max_bytes) {
  if (s == nullptr) return "";
  bool cut = false;
  std::string v = CleanValue(s, max_bytes, &cut);
  size_t b = v.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return v.substr(b, v.find_last_not_of(" \t\r\n") - b + 1);
}

void Summarise(const AVFormatContext& ctx, const ExtractLimits& limits, Metadata& md) {
  const AVDictionary* tags = ctx.metadata;
  if (ctx.duration != AV_NOPTS_VALUE && ctx.duration > 0 && ctx.duration < INT64_MAX - 500) {
    // A custody entry holds integers up to 2^53 - 1 (RFC 8785); a header claiming more
    // milliseconds (285,000 years) is not a duration.
    const auto ms = static_cast<uint64_t>((ctx.duration + 500) / 1000);
    if (ms <= (uint64_t{1} << 53) - 1) {
      md.duration_ms = ms;
    } else {
      md.failures.push_back("ffmpeg: duration of " + std::to_string(ms) +
                            " ms is not plausible; not kept");
    }
  }
  for (unsigned i = 0; i < ctx.nb_streams; ++i) {
    const AVStream& st = *ctx.streams[i];
    if (st.codecpar->codec_type != AVMEDIA_TYPE_VIDEO ||
        (st.disposition & AV_DISPOSITION_ATTACHED_PIC))
      continue;
    if (st.codecpar->width > 0 && st.codecpar->height > 0) {
      md.width = static_cast<uint32_t>(st.codecpar->width);
      md.height = static_cast<uint32_t>(st.codecpar->height);
    }
    break;
  }
  // Apple's creationdate keeps the camera's local offset; creation_time is UTC.
  for (const char* key : {"com.apple.quicktime.creationdate", "creation_time"}) {
    const char* raw = Tag(tags, key);
    if (raw == nullptr) continue;
    if (auto when = ParseIsoDateTime(raw)) {
      md.captured_at = *when;
      break;
    }
    md.failures.push_back(std::string("ffmpeg: ") + key + " is not a valid date and time: '" +
                          Clean(raw, 64) + "'");
  }
  for (const char* key : {"com.apple.quicktime.location.ISO6709", "location", "location-eng"}) {
    const char* raw = Tag(tags, key);
    if (raw == nullptr) continue;
    if (auto point = ParseIso6709(raw)) {
      SetGpsChecked(point->first, point->second, "ffmpeg", md);
    } else {
      md.failures.push_back(std::string("ffmpeg: ") + key + " is not an ISO 6709 point: '" +
                            Clean(raw, 64) + "'");
    }
    break;
  }
  auto first = [&](std::initializer_list<const char*> keys) {
    for (const char* key : keys)
      if (std::string v = Clean(Tag(tags, key), limits.max_value_bytes); !v.empty()) return v;
    return std::string();
  };
  md.software = first({"encoder", "com.apple.quicktime.software", "software"});
  md.title = first({"title"});
  md.author = first({"artist", "author", "com.apple.quicktime.author"});
  std::string make = first({"com.apple.quicktime.make", "com.android.manufacturer", "make"});
  std::string model = first({"com.apple.quicktime.model", "com.android.model", "model"});
  if (!make.empty() && model.size() >= make.size() &&
      av_strncasecmp(model.c_str(), make.c_str(), make.size()) == 0)
    make.clear();
  md.camera = make.empty() ? model : model.empty() ? make : make + " " + model;
}

// A file cut short keeps the headers that promise its samples (an MP4 with its index first
// reads as whole); the demuxer's index says where each sample lies, so a sample past the end
// of the file shows the cut without reading the samples.
void CheckIndexAgainstSize(const AVFormatContext& ctx, int64_t file_bytes, Metadata& md) {
  for (unsigned i = 0; i < ctx.nb_streams; ++i) {
    AVStream* st = ctx.streams[i];
    int n = avformat_index_get_entries_count(st);
    if (n <= 0) continue;
    const AVIndexEntry* last = avformat_index_get_entry(st, n - 1);
    if (last == nullptr || last->pos < 0) continue;
    int64_t end = last->pos + last->size;
    if (end > file_bytes) {
      md.failures.push_back("ffmpeg: truncated: stream " + std::to_string(i) +
                            "'s last sample ends at byte " + std::to_string(end) +
                            ", past the end of the file (" + std::to_string(file_bytes) +
                            " bytes)");
      return;
    }
  }
}

// Frees what avformat_open_input did not take: the custom AVIOContext and its buffer.
struct AvGuard {
  AVFormatContext* ctx = nullptr;
  AVIOContext* pb = nullptr;
  AVDictionary* options = nullptr;
  ~AvGuard() {
    avformat_close_input(&ctx);
    if (pb != nullptr) av_freep(&pb->buffer);
    avio_context_free(&pb);
    av_dict_free(&options);
  }
};

}  // namespace

void ReadAvMetadata(int fd, const ExtractLimits& limits, const Deadline& deadline, Metadata& md) {
  InitAv();
  LogCapture capture;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    md.failures.push_back(std::string("ffmpeg: cannot stat the file: ") + std::strerror(errno));
    return;
  }
  Source source{fd, 0, static_cast<int64_t>(st.st_size), &deadline};
  AvGuard g;
  g.ctx = avformat_alloc_context();
  auto* buffer = static_cast<unsigned char*>(av_malloc(kIoBufferBytes));
  if (g.ctx == nullptr || buffer == nullptr) {
    av_free(buffer);
    md.failures.push_back("ffmpeg: out of memory");
    return;
  }
  g.pb = avio_alloc_context(buffer, kIoBufferBytes, 0, &source, ReadPacket, nullptr, Seek);
  if (g.pb == nullptr) {
    av_free(buffer);
    md.failures.push_back("ffmpeg: out of memory");
    return;
  }
  g.ctx->pb = g.pb;
  g.ctx->flags |= AVFMT_FLAG_CUSTOM_IO;
  g.ctx->interrupt_callback = AVIOInterruptCB{Interrupt, const_cast<Deadline*>(&deadline)};
  g.ctx->io_open = RefuseOpen;
  g.ctx->probesize = kProbeBytes;
  g.ctx->max_analyze_duration = kAnalyzeMicros;
  av_dict_set(&g.options, "protocol_whitelist", "none", 0);

  int err = avformat_open_input(&g.ctx, "", nullptr, &g.options);
  if (err < 0) {
    // avformat_open_input freed the context on failure.
    g.ctx = nullptr;
    md.failures.push_back("ffmpeg: cannot open the media: " + AvError(err));
    if (deadline.Passed())
      md.failures.push_back("ffmpeg: stopped at the time limit of " +
                            std::to_string(limits.max_millis) + " ms");
    capture.ReportTo("ffmpeg", md.failures);
    return;
  }
  err = avformat_find_stream_info(g.ctx, nullptr);
  if (err < 0) md.failures.push_back("ffmpeg: cannot read the stream information: " + AvError(err));

  FieldGroup format("format", limits);
  if (g.ctx->iformat != nullptr && g.ctx->iformat->name != nullptr)
    format.Set("name", g.ctx->iformat->name);
  if (g.ctx->duration != AV_NOPTS_VALUE && g.ctx->duration > 0)
    format.SetInt("duration_us", g.ctx->duration);
  if (g.ctx->bit_rate > 0) format.SetInt("bit_rate", g.ctx->bit_rate);
  format.SetInt("stream_count", g.ctx->nb_streams);
  core::Json tags = Tags(g.ctx->metadata, "format tags", limits, md.failures);
  if (!tags.empty()) format.SetJson("tags", std::move(tags));
  format.ReportTo(md.failures);
  md.fields["format"] = format.Take();

  core::Json streams = core::Json::array();
  for (unsigned i = 0; i < g.ctx->nb_streams; ++i) {
    if (i >= limits.max_fields) {
      md.failures.push_back("ffmpeg: " + std::to_string(g.ctx->nb_streams - i) +
                            " more streams not kept (limit " + std::to_string(limits.max_fields) +
                            ")");
      break;
    }
    streams.push_back(Stream(*g.ctx->streams[i], limits, md.failures));
  }
  md.fields["streams"] = std::move(streams);
  Summarise(*g.ctx, limits, md);
  CheckIndexAgainstSize(*g.ctx, source.size, md);
  if (deadline.Passed())
    md.failures.push_back("ffmpeg: stopped at the time limit of " +
                          std::to_string(limits.max_millis) + " ms");
  capture.ReportTo("ffmpeg", md.failures);
}

std::string AvVersions() {
  auto v = [](const char* name, unsigned version) {
    return std::string(name) + " " + std::to_string(AV_VERSION_MAJOR(version)) + "." +
           std::to_string(AV_VERSION_MINOR(version)) + "." +
           std::to_string(AV_VERSION_MICRO(version));
  };
  return v("libavformat", avformat_version()) + "; " + v("libavcodec", avcodec_version()) + "; " +
         v("libavutil", avutil_version());
}

}  // namespace isnad::media::internal
