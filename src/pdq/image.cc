// JPEG (libjpeg-turbo) and PNG (libpng) decoding for PDQ. Both libraries report fatal errors
// by longjmp. Each decode therefore runs in a function whose state all lives in a job struct
// owned by the caller, and which holds no automatic object with a destructor, so the jump
// skips nothing; the caller frees the library's state and turns what the job recorded into a
// Status. Neither library may print: their message hooks are replaced.
#include "pdq/image.h"

#include <jpeglib.h>
// after jpeglib.h, which it needs
#include <jerror.h>
#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>

namespace isnad::pdq {
namespace {

std::string Dims(uint64_t w, uint64_t h) { return std::to_string(w) + "x" + std::to_string(h); }

core::Status TooLarge(const char* format, uint64_t w, uint64_t h, const DecodeLimits& limits) {
  return core::ResourceExhausted("the " + std::string(format) + " is " + Dims(w, h) + " (" +
                                 std::to_string(w * h) + " pixels), over the limit of " +
                                 std::to_string(limits.max_pixels) + " pixels");
}

// ---------------------------------------------------------------- JPEG

struct JpegJob;

struct JpegErr {
  jpeg_error_mgr pub;  // first: libjpeg casts cinfo->err to this
  JpegJob* job;
};

struct JpegProgress {
  jpeg_progress_mgr pub;  // first: libjpeg casts cinfo->progress to this
  JpegJob* job;
};

struct JpegJob {
  jpeg_decompress_struct cinfo;
  JpegErr err;
  JpegProgress progress;
  std::jmp_buf jump;
  const DecodeLimits* limits = nullptr;
  const uint8_t* data = nullptr;
  size_t size = 0;
  Image* out = nullptr;
  // Decode a large JPEG as luma only, DCT-scaled when very large (HashImage's fast path).
  bool reduce_large = false;
  bool luma_only = false;  // what was done
  bool created = false;
  // What went wrong, when RunJpeg returns false.
  enum class Why { kNone, kDamaged, kTooLarge, kTooManyScans } why = Why::kNone;
  char message[JMSG_LENGTH_MAX] = {};
};

[[noreturn]] void JpegFail(j_common_ptr cinfo) {
  JpegJob* job = reinterpret_cast<JpegErr*>(cinfo->err)->job;
  if (job->why == JpegJob::Why::kNone) {
    job->why = JpegJob::Why::kDamaged;
    (*cinfo->err->format_message)(cinfo, job->message);
  }
  std::longjmp(job->jump, 1);
}

// Warnings (level -1) that mean the picture is not all there: a truncated file or damaged
// entropy-coded data, which libjpeg would paper over with grey or smeared blocks. The others
// (extra bytes between markers, unusual JFIF versions) leave the pixels intact.
void JpegMessage(j_common_ptr cinfo, int level) {
  if (level >= 0) return;  // trace messages
  switch (cinfo->err->msg_code) {
    case JWRN_JPEG_EOF:
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_MUST_RESYNC:
    case JWRN_NOT_SEQUENTIAL:
    case JWRN_BOGUS_PROGRESSION:
    case JWRN_ARITH_BAD_CODE:
      JpegFail(cinfo);
    default:
      cinfo->err->num_warnings++;
  }
}

void JpegSilent(j_common_ptr) {}

void JpegProgressHook(j_common_ptr cinfo) {
  JpegJob* job = reinterpret_cast<JpegProgress*>(cinfo->progress)->job;
  if (job->cinfo.input_scan_number > job->limits->max_jpeg_scans) {
    job->why = JpegJob::Why::kTooManyScans;
    std::longjmp(job->jump, 1);
  }
}

// CMYK (or YCCK, which libjpeg outputs as CMYK) to RGB, as a viewer shows it. Adobe writes
// the ink values inverted, which is what nearly every CMYK JPEG in the wild is.
void CmykRowToRgb(const JSAMPLE* in, uint8_t* out, int width, bool inverted) {
  for (int x = 0; x < width; x++) {
    int c = in[4 * x], m = in[4 * x + 1], y = in[4 * x + 2], k = in[4 * x + 3];
    if (!inverted) {
      c = 255 - c;
      m = 255 - m;
      y = 255 - y;
      k = 255 - k;
    }
    out[3 * x] = static_cast<uint8_t>((c * k + 127) / 255);
    out[3 * x + 1] = static_cast<uint8_t>((m * k + 127) / 255);
    out[3 * x + 2] = static_cast<uint8_t>((y * k + 127) / 255);
  }
}

// Returns false with job->why set on any failure. No automatic objects with destructors here:
// a longjmp lands in the setjmp below.
bool RunJpeg(JpegJob* job) {
  if (setjmp(job->jump)) return false;
  jpeg_decompress_struct* cinfo = &job->cinfo;
  cinfo->err = jpeg_std_error(&job->err.pub);
  job->err.pub.error_exit = JpegFail;
  job->err.pub.emit_message = JpegMessage;
  job->err.pub.output_message = JpegSilent;
  job->err.job = job;
  jpeg_create_decompress(cinfo);
  job->created = true;
  cinfo->mem->max_memory_to_use = static_cast<long>(job->limits->max_decoder_memory_bytes);
  job->progress.pub.progress_monitor = JpegProgressHook;
  job->progress.job = job;
  cinfo->progress = &job->progress.pub;
  jpeg_mem_src(cinfo, job->data, static_cast<unsigned long>(job->size));
  jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xFFFF);
  jpeg_read_header(cinfo, TRUE);

  const uint64_t w = cinfo->image_width, h = cinfo->image_height;
  if (w * h > job->limits->max_pixels) {
    job->why = JpegJob::Why::kTooLarge;
    return false;
  }
  for (jpeg_saved_marker_ptr m = cinfo->marker_list; m != nullptr; m = m->next) {
    if (m->marker == JPEG_APP0 + 1 && m->data_length > 6 &&
        std::memcmp(m->data, "Exif\0\0", 6) == 0) {
      job->out->exif_orientation =
          ExifOrientation(std::span<const uint8_t>(m->data + 6, m->data_length - 6));
      break;
    }
  }

  const bool cmyk = cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK;
  const bool grey = cinfo->jpeg_color_space == JCS_GRAYSCALE;
  if (job->reduce_large && w * h > kExactDecodeMaxPixels) {
    // Y alone: libjpeg then skips the chroma IDCT, upsampling and colour conversion. (An
    // RGB-coded JPEG has no Y to take; CMYK is converted as usual.)
    job->luma_only = cinfo->jpeg_color_space == JCS_YCbCr;
    // The largest of 1/2, 1/4, 1/8 that keeps the shorter side (rounded up, as libjpeg
    // rounds) at least kMinScaledShortSide.
    const uint64_t shorter = std::min(w, h);
    unsigned denom = 1;
    while (denom < 8 && (shorter + 2 * denom - 1) / (2 * denom) >= uint64_t{kMinScaledShortSide})
      denom *= 2;
    cinfo->scale_num = 1;
    cinfo->scale_denom = denom;
  }
  const bool one_channel = grey || job->luma_only;
  cinfo->out_color_space = cmyk ? JCS_CMYK : one_channel ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(cinfo);

  Image& out = *job->out;
  out.width = static_cast<int>(cinfo->output_width);
  out.height = static_cast<int>(cinfo->output_height);
  out.channels = one_channel ? 1 : 3;
  const size_t stride = size_t(out.width) * size_t(out.channels);
  // Grow only: HashImage reuses one Image per thread (bad_alloc is caught by the caller).
  if (out.pixels.size() < stride * size_t(out.height))
    out.pixels.resize(stride * size_t(out.height));
  JSAMPARRAY cmyk_row = nullptr;
  if (cmyk) {
    cmyk_row = (*cinfo->mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(cinfo), JPOOL_IMAGE,
                                           cinfo->output_width * 4, 1);
  }
  while (cinfo->output_scanline < cinfo->output_height) {
    uint8_t* row = out.pixels.data() + stride * cinfo->output_scanline;
    if (cmyk) {
      jpeg_read_scanlines(cinfo, cmyk_row, 1);
      CmykRowToRgb(cmyk_row[0], row, out.width, cinfo->saw_Adobe_marker);
    } else {
      JSAMPROW rows[1] = {row};
      jpeg_read_scanlines(cinfo, rows, 1);
    }
  }
  jpeg_finish_decompress(cinfo);
  return true;
}

// What a decode produced besides the pixels: the file's own size (the Image holds the
// decoded grid's) and whether only the luma was decoded.
struct Decoded {
  uint64_t file_width = 0;
  uint64_t file_height = 0;
  bool luma_only = false;
};

core::Status DecodeJpeg(std::span<const uint8_t> bytes, const DecodeLimits& limits,
                        bool reduce_large, Image& image, Decoded& decoded) {
  auto job = std::make_unique<JpegJob>();
  std::memset(&job->cinfo, 0, sizeof job->cinfo);
  job->limits = &limits;
  job->reduce_large = reduce_large;
  job->data = bytes.data();
  job->size = bytes.size();
  image.format = "jpeg";
  job->out = &image;
  bool ok = false;
  try {
    ok = RunJpeg(job.get());
  } catch (const std::bad_alloc&) {
    const std::string dims = Dims(job->cinfo.image_width, job->cinfo.image_height);
    if (job->created) jpeg_destroy_decompress(&job->cinfo);
    return core::ResourceExhausted("out of memory decoding a " + dims + " JPEG");
  }
  const uint64_t w = job->cinfo.image_width, h = job->cinfo.image_height;
  if (job->created) jpeg_destroy_decompress(&job->cinfo);
  if (ok) {
    decoded = Decoded{w, h, job->luma_only};
    return core::Status::Ok();
  }
  switch (job->why) {
    case JpegJob::Why::kTooLarge:
      return TooLarge("JPEG", w, h, limits);
    case JpegJob::Why::kTooManyScans:
      return core::ResourceExhausted("the JPEG has more than " +
                                     std::to_string(limits.max_jpeg_scans) +
                                     " progressive scans; refused as a likely decoder bomb");
    default:
      return core::Integrity(std::string("damaged JPEG: ") + job->message);
  }
}

// ---------------------------------------------------------------- PNG

struct PngJob {
  png_structp png = nullptr;
  png_infop info = nullptr;
  std::jmp_buf jump;
  const DecodeLimits* limits = nullptr;
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t pos = 0;
  Image* out = nullptr;
  std::vector<png_bytep>* rows = nullptr;
  bool too_large = false;
  char message[256] = {};
};

[[noreturn]] void PngFail(png_structp png, png_const_charp msg) {
  auto* job = static_cast<PngJob*>(png_get_error_ptr(png));
  std::snprintf(job->message, sizeof job->message, "%s", msg);
  std::longjmp(job->jump, 1);
}

void PngWarn(png_structp, png_const_charp) {}

void PngRead(png_structp png, png_bytep dest, size_t n) {
  auto* job = static_cast<PngJob*>(png_get_io_ptr(png));
  if (job->size - job->pos < n) png_error(png, "the file ends early (truncated)");
  std::memcpy(dest, job->data + job->pos, n);
  job->pos += n;
}

bool RunPng(PngJob* job) {
  if (setjmp(job->jump)) return false;
  png_structp png = job->png;
  png_infop info = job->info;
  png_set_read_fn(png, job, PngRead);
  // Ancillary chunks (text, ICC profiles) may not decompress into more than this.
  png_set_chunk_malloc_max(png, 16u << 20);
  png_read_info(png, info);
  const uint64_t w = png_get_image_width(png, info), h = png_get_image_height(png, info);
  if (w * h > job->limits->max_pixels) {
    job->too_large = true;
    return false;
  }
  const int color = png_get_color_type(png, info);
  png_set_scale_16(png);
  png_set_palette_to_rgb(png);
  png_set_expand_gray_1_2_4_to_8(png);
  // Alpha is dropped, not composited: the reference hashes the colour values.
  png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);

  Image& out = *job->out;
  out.width = static_cast<int>(w);
  out.height = static_cast<int>(h);
  out.channels = (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) ? 1 : 3;
  const size_t stride = size_t(out.width) * size_t(out.channels);
  if (png_get_rowbytes(png, info) != stride) png_error(png, "unexpected row layout");
  if (out.pixels.size() < stride * size_t(out.height))
    out.pixels.resize(stride * size_t(out.height));
  job->rows->resize(size_t(out.height));
  for (size_t y = 0; y < size_t(out.height); y++) (*job->rows)[y] = out.pixels.data() + y * stride;
  png_read_image(png, job->rows->data());
  png_read_end(png, nullptr);
  return true;
}

core::Status DecodePng(std::span<const uint8_t> bytes, const DecodeLimits& limits, Image& image,
                       Decoded& decoded) {
  auto job = std::make_unique<PngJob>();
  job->limits = &limits;
  job->data = bytes.data();
  job->size = bytes.size();
  image.format = "png";
  job->out = &image;
  std::vector<png_bytep> rows;
  job->rows = &rows;
  job->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, job.get(), PngFail, PngWarn);
  if (job->png == nullptr) return core::ResourceExhausted("cannot start the PNG decoder");
  job->info = png_create_info_struct(job->png);
  if (job->info == nullptr) {
    png_destroy_read_struct(&job->png, nullptr, nullptr);
    return core::ResourceExhausted("cannot start the PNG decoder");
  }
  bool ok = false;
  try {
    ok = RunPng(job.get());
  } catch (const std::bad_alloc&) {
    png_destroy_read_struct(&job->png, &job->info, nullptr);
    return core::ResourceExhausted("out of memory decoding a PNG");
  }
  const uint64_t w = png_get_image_width(job->png, job->info);
  const uint64_t h = png_get_image_height(job->png, job->info);
  png_destroy_read_struct(&job->png, &job->info, nullptr);
  if (ok) {
    decoded = Decoded{w, h, false};
    return core::Status::Ok();
  }
  if (job->too_large) return TooLarge("PNG", w, h, limits);
  return core::Integrity(std::string("damaged PNG: ") + job->message);
}

uint32_t Read16(const uint8_t* p, bool le) {
  return le ? uint32_t(p[0]) | uint32_t(p[1]) << 8 : uint32_t(p[0]) << 8 | uint32_t(p[1]);
}
uint32_t Read32(const uint8_t* p, bool le) {
  return le ? Read16(p, true) | Read16(p + 2, true) << 16
            : Read16(p, false) << 16 | Read16(p + 2, false);
}

}  // namespace

int ExifOrientation(std::span<const uint8_t> t) {
  if (t.size() < 8) return 0;
  bool le;
  if (t[0] == 'I' && t[1] == 'I') {
    le = true;
  } else if (t[0] == 'M' && t[1] == 'M') {
    le = false;
  } else {
    return 0;
  }
  if (Read16(&t[2], le) != 42) return 0;
  const uint64_t ifd = Read32(&t[4], le);
  if (ifd + 2 > t.size()) return 0;
  const uint32_t n = Read16(&t[ifd], le);
  for (uint64_t i = 0; i < n; i++) {
    const uint64_t e = ifd + 2 + 12 * i;
    if (e + 12 > t.size()) return 0;
    if (Read16(&t[e], le) != 0x0112) continue;
    const uint32_t type = Read16(&t[e + 2], le), count = Read32(&t[e + 4], le);
    if (type != 3 || count != 1) return 0;  // SHORT, one value, held in the entry itself
    const uint32_t v = Read16(&t[e + 8], le);
    return v >= 1 && v <= 8 ? int(v) : 0;
  }
  return 0;
}

namespace {

// Decodes into `image`, whose pixel buffer may be larger than the image (it is only grown).
// `reduce_large`: HashImage's fast decode of large JPEGs (kExactDecodeMaxPixels).
core::Status DecodeInto(std::span<const uint8_t> bytes, const DecodeLimits& limits,
                        bool reduce_large, Image& image, Decoded& decoded) {
  static const uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  image.exif_orientation = 0;
  if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) {
    return DecodeJpeg(bytes, limits, reduce_large, image, decoded);
  }
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), kPng, 8) == 0) {
    return DecodePng(bytes, limits, image, decoded);
  }
  if (bytes.empty()) return core::InvalidArgument("empty file: not an image");
  return core::InvalidArgument(
      "not a JPEG or PNG file (PDQ reads those two; convert others first, e.g. with "
      "ImageMagick: convert in.webp out.png)");
}

}  // namespace

core::StatusOr<Image> DecodeImage(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
  Image image;
  Decoded decoded;
  ISNAD_RETURN_IF_ERROR(DecodeInto(bytes, limits, /*reduce_large=*/false, image, decoded));
  image.pixels.resize(size_t(image.width) * size_t(image.height) * size_t(image.channels));
  return image;
}

Image Oriented(const Image& in, int orientation) {
  if (orientation < 2 || orientation > 8) return in;
  const bool swap = orientation >= 5;  // 5..8 exchange width and height
  Image out;
  out.format = in.format;
  out.channels = in.channels;
  out.exif_orientation = in.exif_orientation;
  out.width = swap ? in.height : in.width;
  out.height = swap ? in.width : in.height;
  out.pixels.resize(in.pixels.size());
  const int W = in.width, H = in.height, c = in.channels;
  for (int y = 0; y < out.height; y++) {
    for (int x = 0; x < out.width; x++) {
      int sx = x, sy = y;
      switch (orientation) {
        case 2:  // mirrored
          sx = W - 1 - x;
          break;
        case 3:  // rotated 180
          sx = W - 1 - x;
          sy = H - 1 - y;
          break;
        case 4:  // upside down
          sy = H - 1 - y;
          break;
        case 5:  // transposed
          sx = y;
          sy = x;
          break;
        case 6:  // shown rotated 90 clockwise
          sx = y;
          sy = H - 1 - x;
          break;
        case 7:  // transposed about the other diagonal
          sx = W - 1 - y;
          sy = H - 1 - x;
          break;
        case 8:  // shown rotated 90 counter-clockwise
          sx = W - 1 - y;
          sy = x;
          break;
      }
      std::memcpy(&out.pixels[(size_t(y) * size_t(out.width) + size_t(x)) * size_t(c)],
                  &in.pixels[(size_t(sy) * size_t(W) + size_t(sx)) * size_t(c)], size_t(c));
    }
  }
  return out;
}

core::StatusOr<ImageHash> HashImage(std::span<const uint8_t> bytes,
                                    const ImageHashOptions& options) {
  // One pixel buffer per thread, kept between calls: a fresh one of megabytes costs page
  // faults and zeroing comparable to decoding. Over 64 MiB it is given back after use.
  thread_local Image image;
  struct Release {
    ~Release() {
      if (image.pixels.size() > (size_t{64} << 20)) image = Image{};
    }
  } release;
  Decoded decoded;
  ISNAD_RETURN_IF_ERROR(DecodeInto(bytes, options.limits, !options.exact_decode, image, decoded));
  ImageHash r;
  r.format = image.format;
  r.width = static_cast<int>(decoded.file_width);
  r.height = static_cast<int>(decoded.file_height);
  r.hashed_width = image.width;
  r.hashed_height = image.height;
  r.luma_only = decoded.luma_only;
  r.exif_orientation = image.exif_orientation;
  if (options.apply_exif_orientation && image.exif_orientation >= 2) {
    Image packed = image;
    packed.pixels.resize(size_t(image.width) * size_t(image.height) * size_t(image.channels));
    const Image shown = Oriented(packed, image.exif_orientation);
    r.orientation_applied = true;
    ISNAD_ASSIGN_OR_RETURN(r.dihedral, HashPixelsDihedral(shown.view(), options.hash));
    return r;
  }
  ISNAD_ASSIGN_OR_RETURN(r.dihedral, HashPixelsDihedral(image.view(), options.hash));
  return r;
}

}  // namespace isnad::pdq
