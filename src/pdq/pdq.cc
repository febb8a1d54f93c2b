// PDQ hashing. The float arithmetic follows the reference operation for operation (the same
// coefficients, the same order of additions, divisions where it divides), so that the same
// luma gives the same bits: loops are reordered only where each output element still sees
// the same sequence of operations (which lets the compiler vectorise across elements). Built
// with -ffp-contract=off so that no multiply-add is fused.
#include "pdq/pdq.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace isnad::pdq {
namespace {

constexpr int kSide = 64;  // the downsampled image is kSide x kSide
constexpr int kDct = 16;   // the hash comes from the kDct x kDct low-frequency block
constexpr int kJaroszPasses = 2;

// The 16x64 DCT-II basis, rows 1..16 (row 0, the mean, is not used), scaled by sqrt(2/64).
struct DctMatrix {
  float d[kDct][kSide];   // d[i][k]
  float dt[kSide][kDct];  // the transpose, for the second product
  DctMatrix() {
    const double pi = 3.14159265358979323846;
    const float scale = static_cast<float>(std::sqrt(2.0 / double{kSide}));
    for (int i = 0; i < kDct; i++) {
      for (int k = 0; k < kSide; k++) {
        d[i][k] = static_cast<float>(
            scale * std::cos((pi / 2.0 / double{kSide}) * double(i + 1) * double(2 * k + 1)));
        dt[k][i] = d[i][k];
      }
    }
  }
};
const DctMatrix& Dct() {
  static const DctMatrix m;
  return m;
}

// Jarosz: a box filter applied twice in each direction approximates a tent; the window is
// half the input pixels per output pixel, rounded up.
int JaroszWindow(int old_dim, int new_dim) { return (old_dim + 2 * new_dim - 1) / (2 * new_dim); }

// One box-filter pass along each of `n` rows of `cols` values, `in` to `out`. Edges
// average over the part of the window inside the row (the reference's four phases). The
// running sums are serial, so N rows advance together to overlap their dependency chains;
// each sum is stored and divided afterwards, in a loop the compiler vectorises: the same
// IEEE operations as dividing on the way.
template <int N>
void RowSums(const float* in, float* out, int cols, int window) {
  const int half = (window + 2) / 2;
  float sum[N] = {};
  int li = 0, ri = 0, oi = 0;
  for (int i = 0; i < half - 1; i++, ri++) {
    for (int n = 0; n < N; n++) sum[n] += in[n * cols + ri];
  }
  for (int i = 0; i < window - half + 1; i++, ri++, oi++) {
    for (int n = 0; n < N; n++) {
      sum[n] += in[n * cols + ri];
      out[n * cols + oi] = sum[n];
    }
  }
  for (int i = 0; i < cols - window; i++, ri++, li++, oi++) {
    for (int n = 0; n < N; n++) {
      sum[n] += in[n * cols + ri];
      sum[n] -= in[n * cols + li];
      out[n * cols + oi] = sum[n];
    }
  }
  for (int i = 0; i < half - 1; i++, li++, oi++) {
    for (int n = 0; n < N; n++) {
      sum[n] -= in[n * cols + li];
      out[n * cols + oi] = sum[n];
    }
  }
}

#if defined(__SSE2__)
// RowSums for kSimdRows rows at once, one row a lane: the rows are transposed 4x4 at a time
// into `t` (cols x kSimdRows floats), summed with the same additions and subtractions in the
// same order as RowSums, each lane's sum divided by `divisor` into `u`, and transposed back.
// Every output element sees exactly RowSums' operations, then the division BoxRows makes.
constexpr int kSimdGroups = 4;  // 4 independent vectors of 4 rows: the adds overlap
constexpr int kSimdRows = 4 * kSimdGroups;

// With `keep` (kSide column numbers), only those columns are output, into `out` rows of
// kSide values: only they are divided and stored (the sums still run along the whole row).
template <bool kKeep>
void RowSumsSimd(const float* in, float* out, int cols, int window, const float* divisor, float* t,
                 float* u, const int* keep) {
  constexpr int G = kSimdGroups;
  auto at = [](float* base, int c, int g) { return base + (size_t(c) * G + size_t(g)) * 4; };
  for (int g = 0; g < G; g++) {
    const float* r0 = in + size_t(4 * g) * cols;
    const float* r1 = r0 + cols;
    const float* r2 = r1 + cols;
    const float* r3 = r2 + cols;
    int c = 0;
    for (; c + 4 <= cols; c += 4) {
      __m128 a = _mm_loadu_ps(r0 + c), b = _mm_loadu_ps(r1 + c), e = _mm_loadu_ps(r2 + c),
             f = _mm_loadu_ps(r3 + c);
      _MM_TRANSPOSE4_PS(a, b, e, f);
      _mm_storeu_ps(at(t, c, g), a);
      _mm_storeu_ps(at(t, c + 1, g), b);
      _mm_storeu_ps(at(t, c + 2, g), e);
      _mm_storeu_ps(at(t, c + 3, g), f);
    }
    for (; c < cols; c++) _mm_storeu_ps(at(t, c, g), _mm_setr_ps(r0[c], r1[c], r2[c], r3[c]));
  }
  const int half = (window + 2) / 2;
  __m128 sum[G];
  for (int g = 0; g < G; g++) sum[g] = _mm_setzero_ps();
  int li = 0, ri = 0, oi = 0;
  for (int i = 0; i < half - 1; i++, ri++) {
    for (int g = 0; g < G; g++) sum[g] = _mm_add_ps(sum[g], _mm_loadu_ps(at(t, ri, g)));
  }
  for (int i = 0; i < window - half + 1; i++, ri++, oi++) {
    const __m128 d = _mm_set1_ps(divisor[oi]);
    for (int g = 0; g < G; g++) {
      sum[g] = _mm_add_ps(sum[g], _mm_loadu_ps(at(t, ri, g)));
      _mm_storeu_ps(at(u, oi, g), kKeep ? sum[g] : _mm_div_ps(sum[g], d));
    }
  }
  for (int i = 0; i < cols - window; i++, ri++, li++, oi++) {
    const __m128 d = _mm_set1_ps(divisor[oi]);
    for (int g = 0; g < G; g++) {
      sum[g] = _mm_add_ps(sum[g], _mm_loadu_ps(at(t, ri, g)));
      sum[g] = _mm_sub_ps(sum[g], _mm_loadu_ps(at(t, li, g)));
      _mm_storeu_ps(at(u, oi, g), kKeep ? sum[g] : _mm_div_ps(sum[g], d));
    }
  }
  for (int i = 0; i < half - 1; i++, li++, oi++) {
    const __m128 d = _mm_set1_ps(divisor[oi]);
    for (int g = 0; g < G; g++) {
      sum[g] = _mm_sub_ps(sum[g], _mm_loadu_ps(at(t, li, g)));
      _mm_storeu_ps(at(u, oi, g), kKeep ? sum[g] : _mm_div_ps(sum[g], d));
    }
  }
  if constexpr (kKeep) {
    for (int g = 0; g < G; g++) {
      for (int j = 0; j < kSide; j++) {
        float v[4];
        _mm_storeu_ps(v,
                      _mm_div_ps(_mm_loadu_ps(at(u, keep[j], g)), _mm_set1_ps(divisor[keep[j]])));
        for (int n = 0; n < 4; n++) out[size_t(4 * g + n) * kSide + size_t(j)] = v[n];
      }
    }
    return;
  }
  for (int g = 0; g < G; g++) {
    float* r0 = out + size_t(4 * g) * cols;
    float* r1 = r0 + cols;
    float* r2 = r1 + cols;
    float* r3 = r2 + cols;
    int c = 0;
    for (; c + 4 <= cols; c += 4) {
      __m128 a = _mm_loadu_ps(at(u, c, g)), b = _mm_loadu_ps(at(u, c + 1, g)),
             e = _mm_loadu_ps(at(u, c + 2, g)), f = _mm_loadu_ps(at(u, c + 3, g));
      _MM_TRANSPOSE4_PS(a, b, e, f);
      _mm_storeu_ps(r0 + c, a);
      _mm_storeu_ps(r1 + c, b);
      _mm_storeu_ps(r2 + c, e);
      _mm_storeu_ps(r3 + c, f);
    }
    for (; c < cols; c++) {
      const float* v = at(u, c, g);
      r0[c] = v[0];
      r1[c] = v[1];
      r2[c] = v[2];
      r3[c] = v[3];
    }
  }
}
#endif

// `divisor` holds cols floats; `t` and `u` kSimdRows x cols floats each (SSE2 builds).
// With `keep` (kSide column numbers), `narrow` receives only those columns (rows x kSide),
// and `out` is scratch.
void BoxRows(const float* in, float* out, int rows, int cols, int window, float* divisor, float* t,
             float* u, const int* keep = nullptr, float* narrow = nullptr) {
  // How many values each output averaged: growing, then `window`, then shrinking.
  const int half = (window + 2) / 2;
  int size = half - 1, oi = 0;
  for (int i = 0; i < window - half + 1; i++) divisor[oi++] = static_cast<float>(++size);
  for (int i = 0; i < cols - window; i++) divisor[oi++] = static_cast<float>(size);
  for (int i = 0; i < half - 1; i++) divisor[oi++] = static_cast<float>(--size);
  int r = 0;
#if defined(__SSE2__)
  for (; r + kSimdRows <= rows; r += kSimdRows) {
    if (keep) {
      RowSumsSimd<true>(in + size_t(r) * cols, narrow + size_t(r) * kSide, cols, window, divisor, t,
                        u, keep);
    } else {
      RowSumsSimd<false>(in + size_t(r) * cols, out + size_t(r) * cols, cols, window, divisor, t, u,
                         nullptr);
    }
  }
#else
  (void)t;
  (void)u;
#endif
  const int first = r;
  for (; r + 4 <= rows; r += 4)
    RowSums<4>(in + size_t(r) * cols, out + size_t(r) * cols, cols, window);
  for (; r < rows; r++) RowSums<1>(in + size_t(r) * cols, out + size_t(r) * cols, cols, window);
  for (int i = first; i < rows; i++) {
    float* p = out + size_t(i) * cols;
    for (int j = 0; j < cols; j++) p[j] /= divisor[j];
    if (keep) {
      for (int j = 0; j < kSide; j++) narrow[size_t(i) * kSide + size_t(j)] = p[keep[j]];
    }
  }
}

// The same pass down every column at once: sums[] holds one running sum per column, so each
// element sees exactly the operations BoxRows applies along its column.
void BoxColumns(const float* in, float* out, int rows, int cols, int window, float* sums) {
  const int half = (window + 2) / 2;
  std::fill(sums, sums + cols, 0.0f);
  int li = 0, ri = 0, oi = 0, size = 0;
  auto add = [&](int r) {
    const float* p = in + size_t(r) * cols;
    for (int j = 0; j < cols; j++) sums[j] += p[j];
  };
  auto sub = [&](int r) {
    const float* p = in + size_t(r) * cols;
    for (int j = 0; j < cols; j++) sums[j] -= p[j];
  };
  auto write = [&](int r) {
    float* p = out + size_t(r) * cols;
    const float s = static_cast<float>(size);
    for (int j = 0; j < cols; j++) p[j] = sums[j] / s;
  };
  for (int i = 0; i < half - 1; i++) {
    add(ri++);
    size++;
  }
  for (int i = 0; i < window - half + 1; i++) {
    add(ri++);
    size++;
    write(oi++);
  }
  for (int i = 0; i < rows - window; i++) {
    // add(ri), sub(li), write(oi) fused: the same operations, one pass over the row.
    const float* pa = in + size_t(ri++) * cols;
    const float* ps = in + size_t(li++) * cols;
    float* po = out + size_t(oi++) * cols;
    const float s = static_cast<float>(size);
    for (int j = 0; j < cols; j++) {
      float v = sums[j] + pa[j];
      v -= ps[j];
      sums[j] = v;
      po[j] = v / s;
    }
  }
  for (int i = 0; i < half - 1; i++) {
    sub(li++);
    size--;
    write(oi++);
  }
}

// Returns the reference quality metric of the 64x64 image: the sum of quantised gradients.
int Quality(const float (&a)[kSide][kSide]) {
  int gradient_sum = 0;
  for (int i = 0; i < kSide - 1; i++) {
    for (int j = 0; j < kSide; j++) {
      const int d = static_cast<int>(((a[i][j] - a[i + 1][j]) * 100) / 255);
      gradient_sum += std::abs(d);
    }
  }
  for (int i = 0; i < kSide; i++) {
    for (int j = 0; j < kSide - 1; j++) {
      const int d = static_cast<int>(((a[i][j] - a[i][j + 1]) * 100) / 255);
      gradient_sum += std::abs(d);
    }
  }
  return std::min(gradient_sum / 90, 100);
}

using Block = float[kDct][kDct];

// The 16x16 DCT block and quality of a luma plane.
struct Dct16 {
  Block b;
  int quality = 0;
};

// Box filter down the columns, one output row at a time as the input rows arrive: the
// same operations on each element as BoxColumns (which it replaces for the full-width
// first pass), so that the filter can run in strips of rows that stay in cache.
class ColumnStream {
 public:
  ColumnStream(int rows, int cols, int window, float* sums)
      : rows_(rows), cols_(cols), window_(window), half_((window + 2) / 2), sums_(sums) {
    std::fill(sums, sums + cols, 0.0f);
  }
  bool Done() const { return oi_ == rows_; }
  // The last input row the next output row reads.
  int Needs() const { return std::min(oi_ + half_ - 1, rows_ - 1); }
  // The first input row any later output row reads.
  int Oldest() const { return li_; }
  // Writes output row oi_ to `out`; `row(r)` gives input row r, for r in Oldest()..Needs().
  template <class RowOf>
  void Step(RowOf row, float* out) {
    const int n = cols_;
    float* sums = sums_;
    if (oi_ == 0) {
      for (int i = 0; i < half_ - 1; i++) {
        const float* p = row(ri_++);
        for (int j = 0; j < n; j++) sums[j] += p[j];
        size_++;
      }
    }
    const int grow_end = window_ - half_ + 1, full_end = grow_end + rows_ - window_;
    if (oi_ < grow_end) {
      const float* p = row(ri_++);
      for (int j = 0; j < n; j++) sums[j] += p[j];
      size_++;
      const float s = static_cast<float>(size_);
      for (int j = 0; j < n; j++) out[j] = sums[j] / s;
    } else if (oi_ < full_end) {
      const float* pa = row(ri_++);
      const float* ps = row(li_++);
      const float s = static_cast<float>(size_);
      for (int j = 0; j < n; j++) {
        float v = sums[j] + pa[j];
        v -= ps[j];
        sums[j] = v;
        out[j] = v / s;
      }
    } else {
      const float* p = row(li_++);
      for (int j = 0; j < n; j++) sums[j] -= p[j];
      size_--;
      const float s = static_cast<float>(size_);
      for (int j = 0; j < n; j++) out[j] = sums[j] / s;
    }
    oi_++;
  }

 private:
  int rows_, cols_, window_, half_;
  float* sums_;
  int li_ = 0, ri_ = 0, oi_ = 0, size_ = 0;
};

// Rows are filtered kStrip at a time (the SIMD row pass's height).
#if defined(__SSE2__)
constexpr int kStrip = kSimdRows;
#else
constexpr int kStrip = 16;
#endif

// Buffers kept from call to call on each thread: a fresh buffer costs more in page faults
// and zeroing than the filter itself. The filter runs in strips of rows, so they hold a few
// dozen rows and two columns of kSide values a row, not the picture: about 0.6 MB for a
// 720p frame, 1.4 MB for 3200x2008. Kept unless over kKeepBytes (only for pictures tens of
// thousands of pixels wide).
struct Scratch {
  std::vector<float> strip, ring, cstrip, t, u, narrow, sums, divisor;
  size_t Bytes() const {
    return (strip.capacity() + ring.capacity() + cstrip.capacity() + t.capacity() + u.capacity() +
            narrow.capacity() + sums.capacity() + divisor.capacity()) *
           sizeof(float);
  }
};
constexpr size_t kKeepBytes = size_t{64} << 20;

float* Grow(std::vector<float>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

// Fills `rows_out` filtered-luma rows from `first` on (each cols values) into `out`.
using LumaRows = void (*)(const PixelView& p, int k, int first, int rows_out, int cols, float* out);

// The 64x64 decimated image of the rows x cols luma that `luma` produces, filtered as the
// reference does (two Jarosz passes, each along the rows then down the columns), in
// strips: luma rows -> first row pass -> a ring of rows -> first column pass -> second row
// pass (only the kSide sampled columns stored) -> second column pass on those. Each value
// sees exactly the reference's operations.
void Filter(const PixelView& p, int k, LumaRows luma, int rows, int cols, Scratch& sc,
            float (&a)[kSide][kSide]) {
  const int w_rows = JaroszWindow(cols, kSide);  // window along each row
  const int w_cols = JaroszWindow(rows, kSide);  // window down each column
  static_assert(kJaroszPasses == 2);
  // Decimation samples the centres of the 64x64 target pixels: rows si, columns sj.
  int keep[kSide];
  for (int j = 0; j < kSide; j++) keep[j] = static_cast<int>(((j + 0.5) * cols) / kSide);
  const size_t c = size_t(cols);
  const int strip_rows = std::min(kStrip, rows);
  // The ring holds the first row pass's output for the rows the column pass still reads
  // (at most w_cols before the strip being written) and the strip: whole strips, so that
  // each strip is contiguous in it; never more rows than the picture has.
  const int ring_rows = std::min((w_cols + 2 * kStrip + kStrip - 1) / kStrip * kStrip,
                                 (rows + kStrip - 1) / kStrip * kStrip);
  float* strip = Grow(sc.strip, size_t(strip_rows) * c);
  float* ring = Grow(sc.ring, size_t(ring_rows) * c);
  float* cstrip = Grow(sc.cstrip, size_t(strip_rows) * c);
#if defined(__SSE2__)
  const size_t simd = rows >= kSimdRows ? size_t(kSimdRows) * c : 0;
#else
  const size_t simd = 0;
#endif
  float* t = Grow(sc.t, simd);
  // u: the SIMD pass's second buffer, or for a strip of fewer rows the scalar pass's output.
  float* u = Grow(sc.u, std::max(simd, size_t(strip_rows) * c));
  float* narrow = Grow(sc.narrow, 2 * size_t(rows) * kSide);  // rows x kSide, twice
  float* narrow2 = narrow + size_t(rows) * kSide;
  float* sums = Grow(sc.sums, std::max(c, size_t(kSide)));
  float* divisor = Grow(sc.divisor, c);

  ColumnStream columns(rows, cols, w_cols, sums);
  auto ring_row = [&](int r) { return ring + size_t(r % ring_rows) * c; };
  int done2 = 0;    // rows of the second row pass done
  int pending = 0;  // rows in cstrip
  for (int r0 = 0; r0 < rows; r0 += kStrip) {
    const int n = std::min(kStrip, rows - r0);
    luma(p, k, r0, n, cols, strip);
    BoxRows(strip, ring_row(r0), n, cols, w_rows, divisor, t, u);
    const int have = r0 + n - 1;  // the last row in the ring
    while (!columns.Done() && columns.Needs() <= have) {
      columns.Step(ring_row, cstrip + size_t(pending) * c);
      if (++pending == strip_rows || done2 + pending == rows) {
        BoxRows(cstrip, u, pending, cols, w_rows, divisor, t, u, keep,
                narrow + size_t(done2) * kSide);
        done2 += pending;
        pending = 0;
      }
    }
  }
  BoxColumns(narrow, narrow2, rows, kSide, w_cols, sums);  // the stream is done with sums
  for (int i = 0; i < kSide; i++) {
    const int si = static_cast<int>(((i + 0.5) * rows) / kSide);
    for (int j = 0; j < kSide; j++) a[i][j] = narrow2[size_t(si) * kSide + size_t(j)];
  }
}

// The 16x16 DCT block and quality of the luma `luma` produces from `p`.
void ComputeDct(const PixelView& p, int k, LumaRows luma, int rows, int cols,
                const HashOptions& options, Scratch& sc, Dct16& out) {
  float a[kSide][kSide];
  if (rows == kSide && cols == kSide) {
    luma(p, k, 0, rows, cols, &a[0][0]);
  } else {
    Filter(p, k, luma, rows, cols, sc, a);
  }
  if (options.luma_black != 0.0f || options.luma_scale != 1.0f) {
    // The filter and decimation are linear, so this equals mapping every pixel first (up
    // to float rounding), at 4,096 values' cost.
    for (auto& row : a) {
      for (float& v : row) v = (v - options.luma_black) * options.luma_scale;
    }
  }
  out.quality = Quality(a);

  // B = D A D^T, with T = D A first. Each sum runs over k in increasing order, from 0.
  const DctMatrix& m = Dct();
  float t[kDct][kSide];
  for (int i = 0; i < kDct; i++) {
    for (int j = 0; j < kSide; j++) t[i][j] = 0.0f;
    for (int k = 0; k < kSide; k++) {
      const float d = m.d[i][k];
      for (int j = 0; j < kSide; j++) t[i][j] += d * a[k][j];
    }
  }
  for (int i = 0; i < kDct; i++) {
    for (int j = 0; j < kDct; j++) out.b[i][j] = 0.0f;
    for (int k = 0; k < kSide; k++) {
      const float v = t[i][k];
      for (int j = 0; j < kDct; j++) out.b[i][j] += v * m.dt[k][j];
    }
  }
}

// One bit per coefficient: above the median (the 128th smallest of the 256).
Hash Bits(const Block& b) {
  float sorted[kDct * kDct];
  std::memcpy(sorted, b, sizeof sorted);
  std::nth_element(sorted, sorted + 127, sorted + kDct * kDct);
  const float median = sorted[127];
  Hash h;
  for (int i = 0; i < kDct; i++) {
    for (int j = 0; j < kDct; j++) {
      if (b[i][j] > median) {
        const int k = i * kDct + j;
        h.words[k >> 6] |= uint64_t{1} << (k & 63);
      }
    }
  }
  return h;
}

// The DCT of a rotated or flipped image, from the DCT of the original: a transform of the
// pixel grid only transposes the block and negates the odd-frequency rows or columns.
void Transform(const Block& a, Dihedral d, Block& b) {
  for (int i = 0; i < kDct; i++) {
    for (int j = 0; j < kDct; j++) {
      const float v = a[i][j];
      switch (d) {
        case Dihedral::kOriginal:
          b[i][j] = v;
          break;
        case Dihedral::kRotate90:
          b[j][i] = (j & 1) ? v : -v;
          break;
        case Dihedral::kRotate180:
          b[i][j] = ((i + j) & 1) ? -v : v;
          break;
        case Dihedral::kRotate270:
          b[j][i] = (i & 1) ? v : -v;
          break;
        case Dihedral::kFlipX:
          b[i][j] = (i & 1) ? v : -v;
          break;
        case Dihedral::kFlipY:
          b[i][j] = (j & 1) ? v : -v;
          break;
        case Dihedral::kFlipPlus1:
          b[j][i] = v;
          break;
        case Dihedral::kFlipMinus1:
          b[j][i] = ((i + j) & 1) ? -v : v;
          break;
      }
    }
  }
}

core::Status CheckView(const PixelView& p) {
  if (p.channels != 1 && p.channels != 3 && p.channels != 4) {
    return core::InvalidArgument("PDQ hashes grey, RGB or RGBA pixels, not " +
                                 std::to_string(p.channels) + " channels");
  }
  if (p.width < 0 || p.height < 0) return core::InvalidArgument("negative image size");
  if (p.width == 0 || p.height == 0) return core::Status::Ok();
  const uint64_t row = uint64_t(p.width) * uint64_t(p.channels);
  if (p.stride_bytes < row) {
    return core::InvalidArgument("pixel rows overlap: stride " + std::to_string(p.stride_bytes) +
                                 " < " + std::to_string(row) + " bytes");
  }
  // stride * (height - 1) + row <= size, in a form that cannot overflow.
  const uint64_t size = p.data.size();
  if (size < row || (size - row) / p.stride_bytes < uint64_t(p.height - 1)) {
    return core::InvalidArgument("pixel buffer of " + std::to_string(size) +
                                 " bytes is too small for a " + std::to_string(p.width) + "x" +
                                 std::to_string(p.height) + " image with rows " +
                                 std::to_string(p.stride_bytes) + " bytes apart");
  }
  return core::Status::Ok();
}

template <int C>
inline float LumaAt(const uint8_t* px) {
  if constexpr (C == 1) {
    return static_cast<float>(px[0]);
  } else {
    return 0.299f * static_cast<float>(px[0]) + 0.587f * static_cast<float>(px[1]) +
           0.114f * static_cast<float>(px[2]);
  }
}

// Fills `n` rows of luma from row `first` on (cols values each) into `luma`, each value
// the mean of a k x k block of pixels (k = 1: one pixel each, exactly as the reference
// computes it). A LumaRows.
template <int C>
void Luma(const PixelView& p, int k, int first, int n, int cols, float* luma) {
  if (k > 1) std::fill(luma, luma + size_t(n) * size_t(cols), 0.0f);
  for (int y = first * k; y < (first + n) * k; y++) {
    const uint8_t* row = p.data.data() + size_t(y) * p.stride_bytes;
    float* out = luma + size_t(y / k - first) * size_t(cols);
    if (k == 1) {
      for (int x = 0; x < cols; x++) out[x] = LumaAt<C>(row + size_t(x) * C);
    } else {
      for (int x = 0; x < cols * k; x++) out[x / k] += LumaAt<C>(row + size_t(x) * C);
    }
  }
  if (k > 1) {
    const float kk = static_cast<float>(k * k);
    for (size_t i = 0; i < size_t(n) * size_t(cols); i++) luma[i] /= kk;
  }
}

core::StatusOr<Dct16> DctOf(const PixelView& p, const HashOptions& options, bool* tiny) {
  ISNAD_RETURN_IF_ERROR(CheckView(p));
  Dct16 out;
  *tiny = p.width < kMinHashableDim || p.height < kMinHashableDim;
  if (*tiny) return out;
  int k = 1;
  const uint64_t limit = options.max_filter_pixels;
  while (limit > 0 && uint64_t(p.width / k) * uint64_t(p.height / k) > limit) k++;
  const int rows = p.height / k, cols = p.width / k;
  if (rows < kMinHashableDim || cols < kMinHashableDim) {  // a sliver: hash it as one
    *tiny = true;
    return out;
  }
  thread_local Scratch scratch;
  LumaRows luma = p.channels == 1 ? &Luma<1> : p.channels == 3 ? &Luma<3> : &Luma<4>;
  ComputeDct(p, k, luma, rows, cols, options, scratch, out);
  if (scratch.Bytes() > kKeepBytes) scratch = Scratch{};
  return out;
}

}  // namespace

std::string ToHex(const Hash& h) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s(64, '0');
  for (int i = 0; i < 64; i++) {
    const int nibble = 63 - i;  // the most significant nibble first
    s[size_t(i)] = kDigits[(h.words[nibble >> 4] >> ((nibble & 15) * 4)) & 15];
  }
  return s;
}

core::StatusOr<Hash> HashFromHex(std::string_view hex) {
  if (hex.size() != 64) {
    return core::InvalidArgument("a PDQ hash is 64 hex digits, this has " +
                                 std::to_string(hex.size()) + " characters");
  }
  Hash h;
  for (int i = 0; i < 64; i++) {
    const char c = hex[size_t(i)];
    uint64_t v;
    if (c >= '0' && c <= '9') {
      v = uint64_t(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v = uint64_t(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      v = uint64_t(c - 'A' + 10);
    } else {
      return core::InvalidArgument("a PDQ hash is 64 hex digits; character " +
                                   std::to_string(i + 1) + " is not one");
    }
    const int nibble = 63 - i;
    h.words[nibble >> 4] |= v << ((nibble & 15) * 4);
  }
  return h;
}

int Distance(const Hash& a, const Hash& b) {
  int d = 0;
  for (int i = 0; i < 4; i++) d += std::popcount(a.words[i] ^ b.words[i]);
  return d;
}

std::string_view DihedralName(Dihedral d) {
  switch (d) {
    case Dihedral::kOriginal:
      return "orig";
    case Dihedral::kRotate90:
      return "rot90";
    case Dihedral::kRotate180:
      return "rot180";
    case Dihedral::kRotate270:
      return "rot270";
    case Dihedral::kFlipX:
      return "flipx";
    case Dihedral::kFlipY:
      return "flipy";
    case Dihedral::kFlipPlus1:
      return "flipplus1";
    case Dihedral::kFlipMinus1:
      return "flipminus1";
  }
  return "?";
}

int DihedralResult::MinDistance(const Hash& h) const {
  int best = 256;
  for (const Hash& x : hashes) best = std::min(best, Distance(x, h));
  return best;
}

core::StatusOr<Result> HashPixels(const PixelView& pixels, const HashOptions& options) {
  bool tiny = false;
  ISNAD_ASSIGN_OR_RETURN(Dct16 dct, DctOf(pixels, options, &tiny));
  Result r;
  if (tiny) return r;
  r.hash = Bits(dct.b);
  r.quality = dct.quality;
  return r;
}

core::StatusOr<DihedralResult> HashPixelsDihedral(const PixelView& pixels,
                                                  const HashOptions& options) {
  bool tiny = false;
  ISNAD_ASSIGN_OR_RETURN(Dct16 dct, DctOf(pixels, options, &tiny));
  DihedralResult r;
  if (tiny) return r;
  r.quality = dct.quality;
  for (int d = 0; d < kDihedralCount; d++) {
    Block b;
    Transform(dct.b, static_cast<Dihedral>(d), b);
    r.hashes[size_t(d)] = Bits(b);
  }
  return r;
}

}  // namespace isnad::pdq
