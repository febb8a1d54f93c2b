// HashVideo: FFmpeg decoding within limits, the optional black-bar crop, PDQ of each frame.
// The decode path is upstream's (facebook/ThreatExchange vpdq ffmpegwrapper/filehasher):
// frames in decode order, swscale to RGB24 with SWS_AREA at the frame's own size or n x n,
// PDQ with no pre-resize, timestamp = frame number / frame rate (in float, as upstream).
#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "vpdq/vpdq.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/frame.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

namespace isnad::vpdq {
namespace {

using Clock = std::chrono::steady_clock;

// Containers a video may come in. Playlist and concatenating demuxers (hls, concat, ...)
// are left out: they would open further files named inside a hostile input.
constexpr const char* kFormatWhitelist =
    "mov,mp4,matroska,webm,avi,flv,mpegts,mpeg,asf,ogg,h264,hevc,m4v,mpegvideo,gif,ivf,dv,"
    "rm,nut,mxf,wtv,yuv4mpegpipe,3gp,"
    // Still pictures that are not JPEG or PNG (hashed as their first frame): the demuxers
    // that read one file's bytes, not image2, which reads file name patterns.
    "webp_pipe,bmp_pipe,tiff_pipe,j2k_pipe,png_pipe,jpeg_pipe";

// Bar detection (docs/formats/vpdq.md, "Black bars"): a row or column of the picture is
// part of a bar when its mean luma (full range) is at most kBarMeanMax and its standard
// deviation at most kBarSdMax.
constexpr double kBarMeanMax = 24;
constexpr double kBarSdMax = 12;
// Frames sampled to decide the crop: every kDenseStepSeconds over the first
// kDenseSampleFrames decoded frames, then each key frame, kMaxBarSamples in all.
constexpr int kDenseSampleFrames = 60;
constexpr double kDenseStepSeconds = 0.2;
constexpr int kMaxBarSamples = 60;
// Bars thinner than this share of the side are left (a border line is no letterbox), and
// a crop keeping less than kMinKeptShare of a side is not made (a dark video with one
// bright spot is no letterbox either).
constexpr double kMinBarShare = 0.02;
constexpr double kMinKeptShare = 0.25;

struct Deadline {
  Clock::time_point end;
  bool Expired() const { return Clock::now() >= end; }
};

int InterruptCallback(void* opaque) { return static_cast<const Deadline*>(opaque)->Expired(); }

std::string AvError(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof buf);
  return buf;
}

struct FormatCloser {
  void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
struct CodecFreer {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameFreer {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketFreer {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsFreer {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};
struct AvFreer {
  void operator()(uint8_t* p) const { av_free(p); }
};

// FFmpeg logs to stderr by default; library code does not print. This is process-wide.
void SilenceFfmpeg() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_QUIET); });
}

core::Status DeadlineError(const std::string& path, const VideoLimits& limits) {
  return core::ResourceExhausted(path + ": hashing took longer than the " +
                                 std::to_string(limits.max_millis) +
                                 " ms allowed for one video; raise the time limit or hash a "
                                 "shorter cut");
}

// One open video stream, decoding frame by frame in decode order.
class Decoder {
 public:
  static core::StatusOr<std::unique_ptr<Decoder>> Open(const std::string& path,
                                                       const HashOptions& options,
                                                       const Deadline* deadline) {
    auto d = std::unique_ptr<Decoder>(new Decoder(path, options.limits, deadline));
    ISNAD_RETURN_IF_ERROR(d->Init(options));
    return d;
  }

  // Returns the next decoded frame (valid until the next call), or nullptr at the end of
  // the stream; why it ended early, if it did, is in stop_reason(). An error only for the
  // limits.
  core::StatusOr<AVFrame*> Next() {
    while (!done_) {
      if (deadline_->Expired()) return DeadlineError(path_, limits_);
      int r = avcodec_receive_frame(ctx_.get(), frame_.get());
      if (r == 0) {
        if (uint64_t(frame_->width) * uint64_t(frame_->height) > limits_.max_pixels ||
            frame_->width <= 0 || frame_->height <= 0) {
          return PixelsError(frame_->width, frame_->height);
        }
        decoded_++;
        return frame_.get();
      }
      if (r == AVERROR_EOF) break;
      if (r != AVERROR(EAGAIN)) {
        Stop("decoding stopped at frame " + std::to_string(decoded_) + ": " + AvError(r));
        break;
      }
      if (flushing_) break;  // nothing more will come
      r = av_read_frame(fmt_.get(), packet_.get());
      if (r < 0) {
        if (deadline_->Expired() || r == AVERROR_EXIT) return DeadlineError(path_, limits_);
        if (r != AVERROR_EOF) {
          Stop("reading stopped after frame " + std::to_string(decoded_) + ": " + AvError(r));
        }
        Flush();
        continue;
      }
      if (packet_->stream_index != stream_) {
        av_packet_unref(packet_.get());
        continue;
      }
      r = avcodec_send_packet(ctx_.get(), packet_.get());
      av_packet_unref(packet_.get());
      if (r < 0 && r != AVERROR(EAGAIN)) {
        // Damaged data: stop here, keeping the frames the decoder already holds.
        Stop("decoding stopped at frame " + std::to_string(decoded_) + ": " + AvError(r));
        Flush();
      }
    }
    done_ = true;
    return static_cast<AVFrame*>(nullptr);
  }

  // Decodes only key frames from now on (bar detection's sampling; never for hashing).
  void KeyFramesOnly() { ctx_->skip_frame = AVDISCARD_NONKEY; }

  double frame_rate() const { return frame_rate_; }
  double time_base() const { return av_q2d(fmt_->streams[stream_]->time_base); }
  int width() const { return width_; }
  int height() const { return height_; }
  double duration_s() const {
    return fmt_->duration > 0 ? double(fmt_->duration) / AV_TIME_BASE : 0.0;
  }
  const std::string& stop_reason() const { return stop_reason_; }

 private:
  Decoder(const std::string& path, const VideoLimits& limits, const Deadline* deadline)
      : path_(path), limits_(limits), deadline_(deadline) {}

  core::Status Init(const HashOptions& options) {
    AVFormatContext* raw = avformat_alloc_context();
    if (!raw) return core::ResourceExhausted("out of memory opening " + path_);
    raw->interrupt_callback = {&InterruptCallback, const_cast<Deadline*>(deadline_)};
    AVDictionary* opts = nullptr;
    av_dict_set(&opts, "protocol_whitelist", "file", 0);
    av_dict_set(&opts, "format_whitelist", kFormatWhitelist, 0);
    // "file:" so that a path with a colon in its first part ("ev:1/objects/...",
    // "2024-01-01T12:30.mp4") is not taken for a protocol name.
    const std::string url = "file:" + path_;
    int r = avformat_open_input(&raw, url.c_str(), nullptr, &opts);  // frees raw on error
    av_dict_free(&opts);
    if (r < 0) {
      if (deadline_->Expired()) return DeadlineError(path_, limits_);
      return core::Integrity(path_ + ": not a video file FFmpeg can open (" + AvError(r) + ")");
    }
    fmt_.reset(raw);
    r = avformat_find_stream_info(fmt_.get(), nullptr);
    if (r < 0) {
      if (deadline_->Expired()) return DeadlineError(path_, limits_);
      return core::Integrity(path_ + ": cannot read the streams (" + AvError(r) + ")");
    }
    // The first video stream, as upstream; cover art in an audio file is no video.
    for (unsigned i = 0; i < fmt_->nb_streams; i++) {
      const AVStream* s = fmt_->streams[i];
      if (s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
          !(s->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
        stream_ = int(i);
        break;
      }
    }
    if (stream_ < 0) {
      return core::InvalidArgument(path_ + " has no video stream (" +
                                   std::to_string(fmt_->nb_streams) +
                                   " streams, none of them video): vPDQ hashes videos only");
    }
    AVStream* st = fmt_->streams[stream_];
    const AVCodecParameters* par = st->codecpar;
    width_ = par->width;
    height_ = par->height;
    if (width_ <= 0 || height_ <= 0) {
      return core::Integrity(path_ + ": the video stream has no picture size");
    }
    if (uint64_t(width_) * uint64_t(height_) > limits_.max_pixels) {
      return PixelsError(width_, height_);
    }
    const AVCodec* codec = avcodec_find_decoder(par->codec_id);
    if (!codec) {
      return core::Integrity(path_ + ": no decoder for the video codec \"" +
                             std::string(avcodec_get_name(par->codec_id)) + "\"");
    }
    ctx_.reset(avcodec_alloc_context3(codec));
    if (!ctx_) return core::ResourceExhausted("out of memory opening " + path_);
    if (avcodec_parameters_to_context(ctx_.get(), par) < 0) {
      return core::Integrity(path_ + ": bad codec parameters");
    }
    // The decoder refuses pictures over the limit before allocating them. It counts the
    // coded size, which codecs round up (H.264: to 16 pixels), hence the allowance; the
    // exact limit is checked on each decoded frame.
    const uint64_t coded = std::min<uint64_t>(limits_.max_pixels, uint64_t{1} << 60);
    ctx_->max_pixels = int64_t(coded + coded / 8 + 65536);
    ctx_->thread_count = std::max(0, options.threads);
    ctx_->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    r = avcodec_open2(ctx_.get(), codec, nullptr);
    if (r < 0) return core::Integrity(path_ + ": cannot open the decoder (" + AvError(r) + ")");

    AVRational rate = st->avg_frame_rate;
    if (rate.num == 0 || rate.den == 0) rate = st->r_frame_rate;
    if (rate.num > 0 && rate.den > 0) frame_rate_ = av_q2d(rate);
    if (!std::isfinite(frame_rate_) || frame_rate_ <= 0) frame_rate_ = 0;

    frame_.reset(av_frame_alloc());
    packet_.reset(av_packet_alloc());
    if (!frame_ || !packet_) return core::ResourceExhausted("out of memory opening " + path_);
    return core::Status::Ok();
  }

  core::Status PixelsError(int w, int h) const {
    return core::ResourceExhausted(path_ + ": frames of " + std::to_string(w) + "x" +
                                   std::to_string(h) + " pixels, over the limit of " +
                                   std::to_string(limits_.max_pixels) + " pixels a frame");
  }

  void Stop(std::string why) {
    if (stop_reason_.empty()) stop_reason_ = std::move(why);
  }
  void Flush() {
    if (!flushing_) avcodec_send_packet(ctx_.get(), nullptr);
    flushing_ = true;
  }

  std::string path_;
  VideoLimits limits_;
  const Deadline* deadline_;
  std::unique_ptr<AVFormatContext, FormatCloser> fmt_;
  std::unique_ptr<AVCodecContext, CodecFreer> ctx_;
  std::unique_ptr<AVFrame, FrameFreer> frame_;
  std::unique_ptr<AVPacket, PacketFreer> packet_;
  int stream_ = -1;
  int width_ = 0, height_ = 0;
  double frame_rate_ = 0;
  uint64_t decoded_ = 0;
  bool flushing_ = false, done_ = false;
  std::string stop_reason_;
};

// Converts frames to one pixel format and size, reusing the context and the buffer.
class Converter {
 public:
  Converter(AVPixelFormat dst_format, int channels, int flags, bool full_range)
      : dst_format_(dst_format), channels_(channels), flags_(flags), full_range_(full_range) {}

  // Converts `frame` (possibly cropped) to dst_w x dst_h. Returns false when swscale cannot.
  bool Convert(const AVFrame* frame, int dst_w, int dst_h) {
    SwsContext* s = sws_getCachedContext(sws_.release(), frame->width, frame->height,
                                         AVPixelFormat(frame->format), dst_w, dst_h, dst_format_,
                                         flags_, nullptr, nullptr, nullptr);
    sws_.reset(s);
    if (!s) return false;
    if (full_range_) {
      int *inv_table, *table, src_range, dst_range, brightness, contrast, saturation;
      if (sws_getColorspaceDetails(s, &inv_table, &src_range, &table, &dst_range, &brightness,
                                   &contrast, &saturation) >= 0 &&
          dst_range != 1) {
        sws_setColorspaceDetails(s, inv_table, src_range, table, 1, brightness, contrast,
                                 saturation);
      }
    }
    // Rows 64-byte aligned, and a spare row: swscale's SIMD writes whole vectors.
    const size_t stride = (size_t(dst_w) * size_t(channels_) + 63) & ~size_t(63);
    const size_t need = stride * (size_t(dst_h) + 1);
    if (need > capacity_) {
      buffer_.reset(static_cast<uint8_t*>(av_malloc(need)));
      capacity_ = buffer_ ? need : 0;
      if (!buffer_) return false;
    }
    uint8_t* dst[4] = {buffer_.get(), nullptr, nullptr, nullptr};
    int dst_stride[4] = {int(stride), 0, 0, 0};
    const int rows = sws_scale(s, frame->data, frame->linesize, 0, frame->height, dst, dst_stride);
    if (rows != dst_h) return false;
    view_ =
        pdq::PixelView{{buffer_.get(), stride * size_t(dst_h)}, dst_w, dst_h, stride, channels_};
    return true;
  }
  const pdq::PixelView& view() const { return view_; }

 private:
  AVPixelFormat dst_format_;
  int channels_, flags_;
  bool full_range_;
  std::unique_ptr<SwsContext, SwsFreer> sws_;
  std::unique_ptr<uint8_t, AvFreer> buffer_;
  size_t capacity_ = 0;
  pdq::PixelView view_;
};

struct Extent {
  int top = INT_MAX, bottom = -1, left = INT_MAX, right = -1;  // inclusive bounds
};

bool IsBar(uint64_t sum, uint64_t sum_sq, int n) {
  const double mean = double(sum) / n;
  const double var = double(sum_sq) / n - mean * mean;
  return mean <= kBarMeanMax && var <= kBarSdMax * kBarSdMax;
}

// Widens `e` to the rows and columns of `grey` that are not bars. False when every row is.
bool PictureExtent(const pdq::PixelView& grey, Extent& e) {
  const int w = grey.width, h = grey.height;
  std::vector<uint64_t> col_sum(size_t(w), 0), col_sq(size_t(w), 0);
  int top = -1, bottom = -1;
  for (int y = 0; y < h; y++) {
    const uint8_t* p = grey.data.data() + size_t(y) * grey.stride_bytes;
    uint64_t sum = 0, sq = 0;
    for (int x = 0; x < w; x++) {
      const uint64_t v = p[x];
      sum += v;
      sq += v * v;
      col_sum[size_t(x)] += v;
      col_sq[size_t(x)] += v * v;
    }
    if (!IsBar(sum, sq, w)) {
      if (top < 0) top = y;
      bottom = y;
    }
  }
  if (top < 0) return false;
  int left = -1, right = -1;
  for (int x = 0; x < w; x++) {
    if (!IsBar(col_sum[size_t(x)], col_sq[size_t(x)], h)) {
      if (left < 0) left = x;
      right = x;
    }
  }
  if (left < 0) return false;
  e.top = std::min(e.top, top);
  e.bottom = std::max(e.bottom, bottom);
  e.left = std::min(e.left, left);
  e.right = std::max(e.right, right);
  return true;
}

struct Crop {
  int x = 0, y = 0, w = 0, h = 0;
  int frame_w = 0, frame_h = 0;  // the frame size it applies to
  bool active() const { return w > 0 && (w != frame_w || h != frame_h); }
};

// Decides one crop for the whole video from a sample of its frames: the union of the
// picture areas found in each (so a dark scene does not shrink it), rounded to even
// pixels so that subsampled chroma planes crop exactly.
core::StatusOr<Crop> DetectBars(const std::string& path, const HashOptions& options,
                                const Deadline* deadline) {
  ISNAD_ASSIGN_OR_RETURN(std::unique_ptr<Decoder> dec, Decoder::Open(path, options, deadline));
  Converter grey(AV_PIX_FMT_GRAY8, 1, SWS_POINT, /*full_range=*/true);
  Crop crop;
  crop.frame_w = dec->width();
  crop.frame_h = dec->height();
  const int step = std::max(1, int(std::lround(dec->frame_rate() * kDenseStepSeconds)));
  Extent e;
  int index = 0, samples = 0;
  while (samples < kMaxBarSamples) {
    ISNAD_ASSIGN_OR_RETURN(AVFrame * f, dec->Next());
    if (!f) break;
    const int i = index++;
    if (i == kDenseSampleFrames) dec->KeyFramesOnly();
    if (i < kDenseSampleFrames && i % step != 0) continue;
    if (f->width != crop.frame_w || f->height != crop.frame_h) continue;
    if (!grey.Convert(f, f->width, f->height)) continue;
    samples++;
    PictureExtent(grey.view(), e);
  }
  if (e.bottom < 0) return crop;  // no picture seen: no crop
  const int W = crop.frame_w, H = crop.frame_h;
  int top = e.top, left = e.left, bottom = H - 1 - e.bottom, right = W - 1 - e.right;
  if (top < kMinBarShare * H) top = 0;
  if (bottom < kMinBarShare * H) bottom = 0;
  if (left < kMinBarShare * W) left = 0;
  if (right < kMinBarShare * W) right = 0;
  top += top & 1;
  left += left & 1;
  int w = (W - left - right) & ~1, h = (H - top - bottom) & ~1;
  if (top == 0 && bottom == 0) h = H;
  if (left == 0 && right == 0) w = W;
  if (w < kMinKeptShare * W || h < kMinKeptShare * H || w < pdq::kMinHashableDim ||
      h < pdq::kMinHashableDim) {
    return crop;
  }
  crop.x = left;
  crop.y = top;
  crop.w = w;
  crop.h = h;
  return crop;
}

// The Y plane of an 8-bit planar (or semi-planar) YUV frame, as grey pixels, and how to
// read it as the luma PDQ computes from swscale's RGB of the frame (docs/formats/vpdq.md,
// "Luma from the Y plane"). swscale converts with the BT.601 matrix whatever the frame's
// tagged colour space, and PDQ's luma weights are BT.601's, so the chroma cancels and
// 0.299 R + 0.587 G + 0.114 B = (Y - 16) x 255/219 for the limited-range formats, Y for
// the full-range (yuvj) ones, except where swscale clips or rounds R, G or B. swscale takes
// the range from the pixel format alone (not the frame's color_range), and so does this.
// Other formats (RGB, 10-bit, palettes, ...): nullopt, and the RGB path is used.
std::optional<pdq::PixelView> LumaPlane(const AVFrame* f, pdq::HashOptions& pdq_options) {
  bool full = false;
  switch (AVPixelFormat(f->format)) {
    case AV_PIX_FMT_YUV420P:
    case AV_PIX_FMT_YUV422P:
    case AV_PIX_FMT_YUV444P:
    case AV_PIX_FMT_YUV440P:
    case AV_PIX_FMT_YUV411P:
    case AV_PIX_FMT_YUV410P:
    case AV_PIX_FMT_NV12:
    case AV_PIX_FMT_NV21:
      break;
    case AV_PIX_FMT_YUVJ420P:
    case AV_PIX_FMT_YUVJ422P:
    case AV_PIX_FMT_YUVJ444P:
    case AV_PIX_FMT_YUVJ440P:
    case AV_PIX_FMT_YUVJ411P:
      full = true;
      break;
    default:
      return std::nullopt;
  }
  if (!f->data[0] || f->linesize[0] < f->width || f->width <= 0 || f->height <= 0) {
    return std::nullopt;
  }
  const size_t stride = size_t(f->linesize[0]);
  pdq_options.luma_black = full ? 0.0f : 16.0f;
  pdq_options.luma_scale = full ? 1.0f : 255.0f / 219.0f;
  return pdq::PixelView{{f->data[0], stride * size_t(f->height - 1) + size_t(f->width)},
                        f->width,
                        f->height,
                        stride,
                        1};
}

}  // namespace

core::StatusOr<VideoHash> HashVideo(const std::string& path, const HashOptions& options) {
  SilenceFfmpeg();
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) return core::NotFound("no such file: " + path);
  if (!std::filesystem::is_regular_file(st)) {
    return core::InvalidArgument(path + " is not a regular file");
  }
  if (options.downscale < 0 || options.seconds_per_hash < 0 ||
      !std::isfinite(options.seconds_per_hash)) {
    return core::InvalidArgument("vPDQ options: downscale and seconds_per_hash must be >= 0");
  }
  if (uint64_t(options.downscale) * uint64_t(options.downscale) > options.limits.max_pixels) {
    return core::InvalidArgument("vPDQ options: downscale " + std::to_string(options.downscale) +
                                 " makes frames over the limit of " +
                                 std::to_string(options.limits.max_pixels) + " pixels");
  }
  Deadline deadline{Clock::now() + std::chrono::milliseconds(
                                       std::min<uint64_t>(options.limits.max_millis, 1ull << 40))};

  Crop crop;
  if (options.crop_black_bars) {
    ISNAD_ASSIGN_OR_RETURN(crop, DetectBars(path, options, &deadline));
  }
  ISNAD_ASSIGN_OR_RETURN(std::unique_ptr<Decoder> dec, Decoder::Open(path, options, &deadline));

  VideoHash out;
  out.frame_rate = dec->frame_rate();
  out.width = dec->width();
  out.height = dec->height();
  if (crop.active()) {
    out.crop_x = crop.x;
    out.crop_y = crop.y;
    out.crop_w = crop.w;
    out.crop_h = crop.h;
  }
  // Upstream converts to RGB24. At the frame's own size swscale's RGB0 output (4 bytes a
  // pixel, the 4th ignored by PDQ) has the same R, G, B values, measured bit-identical
  // hashes on every test video, and PDQ reads it 15% faster; when scaling, the
  // RGB24 path is kept, as its output stage differs by a bit here and there.
  Converter rgb24(AV_PIX_FMT_RGB24, 3, SWS_AREA, /*full_range=*/false);
  Converter rgb0(AV_PIX_FMT_RGB0, 4, SWS_AREA, /*full_range=*/false);
  pdq::HashOptions pdq_options;
  pdq_options.max_filter_pixels = 0;  // upstream hashes each frame at its own size
  const float fps_f = static_cast<float>(out.frame_rate);
  uint64_t index = 0;
  int64_t next_slot = 0;  // seconds_per_hash: the next multiple to cross
  bool have_kept = false;
  int64_t first_pts = AV_NOPTS_VALUE;
  for (;; index++) {
    if (options.first_frames > 0 && index >= options.first_frames) break;
    ISNAD_ASSIGN_OR_RETURN(AVFrame * f, dec->Next());
    if (!f) break;
    if (index >= options.limits.max_frames) {
      return core::ResourceExhausted(path + ": more than " +
                                     std::to_string(options.limits.max_frames) +
                                     " frames, the limit for one video");
    }
    double ts = 0;
    if (out.frame_rate > 0) {
      ts = static_cast<float>(index) / fps_f;  // float, as upstream
    } else if (f->best_effort_timestamp != AV_NOPTS_VALUE) {
      if (first_pts == AV_NOPTS_VALUE) first_pts = f->best_effort_timestamp;
      ts = std::max(0.0, double(f->best_effort_timestamp - first_pts) * dec->time_base());
    }
    if (options.seconds_per_hash > 0) {
      // Hash the first frame at or past each multiple of seconds_per_hash (a small epsilon
      // absorbs the rounding of frame / rate, so 30/30 is 1 s).
      const double exact = out.frame_rate > 0 ? double(index) / out.frame_rate : ts;
      const auto slot = int64_t(std::floor(exact / options.seconds_per_hash + 1e-9));
      if (slot < next_slot) continue;
      next_slot = slot + 1;
    }
    if (crop.active() && f->width == crop.frame_w && f->height == crop.frame_h) {
      f->crop_left = size_t(crop.x);
      f->crop_top = size_t(crop.y);
      f->crop_right = size_t(crop.frame_w - crop.x - crop.w);
      f->crop_bottom = size_t(crop.frame_h - crop.y - crop.h);
      if (av_frame_apply_cropping(f, AV_FRAME_CROP_UNALIGNED) < 0) {
        return core::Internal(path + ": cannot crop frame " + std::to_string(index));
      }
    }
    const int dst_w = options.downscale > 0 ? options.downscale : f->width;
    const int dst_h = options.downscale > 0 ? options.downscale : f->height;
    const bool native = dst_w == f->width && dst_h == f->height;
    pdq::HashOptions frame_options = pdq_options;
    std::optional<pdq::PixelView> plane;
    if (native && !options.rgb_luma) plane = LumaPlane(f, frame_options);
    Converter& rgb = native ? rgb0 : rgb24;
    if (!plane && !rgb.Convert(f, dst_w, dst_h)) {
      out.failures.push_back("frame " + std::to_string(index) +
                             ": cannot convert its pixels to RGB (format " +
                             std::string(av_get_pix_fmt_name(AVPixelFormat(f->format))
                                             ? av_get_pix_fmt_name(AVPixelFormat(f->format))
                                             : "unknown") +
                             "); stopped");
      break;
    }
    const pdq::PixelView& pixels = plane ? *plane : rgb.view();
    pdq::Result r;
    pdq::DihedralResult all;
    if (options.dihedral) {
      auto d = pdq::HashPixelsDihedral(pixels, frame_options);
      if (!d.ok()) return d.status().WithContext(path + ": frame " + std::to_string(index));
      all = *d;
      r.hash = all[pdq::Dihedral::kOriginal];
      r.quality = all.quality;
    } else {
      auto h = pdq::HashPixels(pixels, frame_options);
      if (!h.ok()) return h.status().WithContext(path + ": frame " + std::to_string(index));
      r = *h;
    }
    if (options.collapse_identical && have_kept && out.frames.back().hash == r.hash) continue;
    out.frames.push_back(FrameHash{index, r.quality, r.hash, ts});
    if (options.dihedral) out.dihedral.push_back(all);
    have_kept = true;
  }
  if (!dec->stop_reason().empty()) out.failures.push_back(dec->stop_reason());
  if (index == 0) {
    return core::Integrity(path + ": not one video frame decodes" +
                           (dec->stop_reason().empty() ? "" : " (" + dec->stop_reason() + ")"));
  }
  out.duration_s = dec->duration_s();
  if (out.duration_s <= 0 && out.frame_rate > 0) out.duration_s = double(index) / out.frame_rate;
  return out;
}

std::string DecoderVersions() {
  auto v = [](unsigned x) {
    return std::to_string(AV_VERSION_MAJOR(x)) + "." + std::to_string(AV_VERSION_MINOR(x)) + "." +
           std::to_string(AV_VERSION_MICRO(x));
  };
  return "libavcodec " + v(avcodec_version()) + "; libavformat " + v(avformat_version()) +
         "; libswscale " + v(swscale_version());
}

}  // namespace isnad::vpdq
