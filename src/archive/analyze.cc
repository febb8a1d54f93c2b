#include "archive/analyze.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "archive/archive.h"
#include "catalog/entries.h"
#include "core/canonical_json.h"
#include "core/time.h"
#include "core/utf8.h"
#include "media/metadata.h"
#include "media/ocr.h"
#include "media/sniff.h"
#include "pdq/image.h"

namespace isnad::archive {

using core::Json;
using core::Status;
using core::StatusOr;

namespace {

// The most bytes of an image read whole for PDQ (larger images are hashed by FFmpeg).
constexpr uint64_t kMaxImageBytes = uint64_t{256} << 20;
// Members of the entry are cut to this many bytes, failures to this many.
constexpr size_t kMaxMemberBytes = 1024;
constexpr size_t kMaxFailures = 32;
// Near-duplicates named in an entry, earliest first (an item copied thousands of times would
// otherwise pass the 64 KiB entry limit); `isnad similar` lists them all.
constexpr size_t kMaxNearDuplicates = 1000;

std::string Cut(std::string s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

bool IsVideo(const std::string& media_type) { return media_type.starts_with("video/"); }
bool IsImage(const std::string& media_type) { return media_type.starts_with("image/"); }

StatusOr<std::string> ReadWhole(const std::string& path, uint64_t max_bytes) {
  core::Env* env = core::Env::Default();
  ISNAD_ASSIGN_OR_RETURN(auto file, env->NewSequentialFile(path));
  std::string bytes;
  (void)env;
  std::string buf(1 << 20, '\0');
  while (true) {
    ISNAD_ASSIGN_OR_RETURN(size_t n, file->Read(buf.data(), buf.size()));
    if (n == 0) break;
    bytes.append(buf.data(), n);
    if (bytes.size() > max_bytes)
      return core::ResourceExhausted("over " + std::to_string(max_bytes));
  }
  return bytes;
}

std::string Seconds(uint64_t ms) {
  std::string s = std::to_string(ms / 1000);
  uint64_t tenths = (ms % 1000) / 100;
  return s + "." + std::to_string(tenths) + " s";
}

// What analysing one item's bytes gave, before anything is stored.
struct Outcome {
  Json body = Json::object();           // the entry's members that do not need blobs
  std::string metadata_json;            // canonical JSON of everything read
  std::string text;                     // PDF text and OCR text
  std::string frames_text;              // vPDQ frame lines (videos)
  std::vector<vpdq::FrameHash> hashes;  // for the index: image hash or useful distinct frames
  std::vector<pdq::Hash> query;         // image: 8 dihedral hashes
  // video: its frames' dihedral variants, one frame a second (SimilarQuery::frame_variants)
  std::vector<std::vector<vpdq::FrameHash>> variants;
  bool video = false;
  AnalyzedItem shown;
};

// isnad and each library it read the file with, once each.
std::string AnalyzerName(const AnalyzeOptions& options) {
  std::string parts = media::MetadataExtractorVersions() + "; " + vpdq::DecoderVersions();
  if (options.ocr) parts += "; " + media::OcrVersion(options.ocr_languages);
  std::string name(kSoftware);
  std::set<std::string> seen;
  size_t at = 0;
  while (at <= parts.size()) {
    size_t end = parts.find("; ", at);
    if (end == std::string::npos) end = parts.size();
    std::string part = parts.substr(at, end - at);
    if (!part.empty() && seen.insert(part).second) name += "; " + part;
    at = end + 2;
  }
  return name;
}

// Useful distinct frames, in time order: what the index holds for a video.
std::vector<vpdq::FrameHash> UsefulFrames(const std::vector<vpdq::FrameHash>& frames) {
  std::vector<vpdq::FrameHash> out;
  std::set<std::array<uint64_t, 4>> seen;
  for (const vpdq::FrameHash& f : frames) {
    if (f.quality < pdq::kMinUsefulQuality) continue;
    if (!seen.insert(f.hash.words).second) continue;
    out.push_back(f);
  }
  return out;
}

// SimilarQuery::frame_variants of a video hashed with dihedral hashes. With `per_second`,
// only the first frame of each second is kept (the ingest check of a densely hashed
// video: 8 probes a frame would be 8 times the work for little more).
std::vector<std::vector<vpdq::FrameHash>> FrameVariants(const vpdq::VideoHash& v, bool per_second) {
  std::vector<vpdq::FrameHash> frames;
  std::vector<pdq::DihedralResult> dihedral;
  int64_t last = -1;
  for (size_t i = 0; i < v.frames.size() && i < v.dihedral.size(); i++) {
    const auto second = static_cast<int64_t>(v.frames[i].timestamp_s);
    if (per_second && second == last) continue;
    last = second;
    frames.push_back(v.frames[i]);
    dihedral.push_back(v.dihedral[i]);
  }
  if (frames.empty()) return {};
  std::vector<std::vector<vpdq::FrameHash>> out(pdq::kDihedralCount);
  for (int d = 1; d < pdq::kDihedralCount; d++) {
    out[size_t(d)] = vpdq::TransformedFrames(frames, dihedral, static_cast<pdq::Dihedral>(d));
  }
  return out;
}

Outcome AnalyzeOne(const std::string& path, const catalog::ItemRecord& item,
                   const AnalyzeOptions& options) {
  Outcome o;
  const std::string& type = item.media_type;
  o.shown.id = item.id;
  o.shown.media_type = type;
  std::vector<std::string> failures;
  Json meta = Json::object();
  meta["media_type"] = type;

  if (media::HasMetadataExtractor(type)) {
    auto md = media::ExtractMetadata(path, type);
    if (!md.ok()) {
      failures.push_back("metadata: " + md.status().message());
    } else {
      if (md->width) o.body["width"] = *md->width;
      if (md->height) o.body["height"] = *md->height;
      if (md->duration_ms) o.body["duration_ms"] = *md->duration_ms;
      if (!md->captured_at.empty()) o.body["captured_at"] = md->captured_at;
      if (md->gps && catalog::IsLatitude(md->gps->lat) && catalog::IsLongitude(md->gps->lon)) {
        o.body["lat"] = md->gps->lat;
        o.body["lon"] = md->gps->lon;
      }
      auto text_member = [&](const char* name, const std::string& v) {
        std::string t = Cut(core::LossyUtf8(v), kMaxMemberBytes);
        if (!t.empty()) o.body[name] = t;
      };
      text_member("camera", md->camera);
      text_member("title", md->title);
      text_member("author", md->author);
      meta["fields"] = md->fields;
      if (md->orientation) meta["orientation"] = *md->orientation;
      if (!md->software.empty()) meta["software"] = core::LossyUtf8(md->software);
      o.text = md->text;
      for (const std::string& f : md->failures) failures.push_back(f);
    }
  }

  if (IsImage(type)) {
    bool hashed = false;
    auto bytes = ReadWhole(path, kMaxImageBytes);
    if (bytes.ok() && (type == "image/jpeg" || type == "image/png")) {
      auto h = pdq::HashImage(
          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()));
      if (h.ok()) {
        hashed = true;
        o.body["pdq"] = pdq::ToHex(h->hash());
        o.body["pdq_quality"] = static_cast<uint64_t>(h->quality());
        // A plain or tiny picture's hash (quality < 50) is recorded but never matched: all
        // such pictures hash alike (docs/formats/pdq.md).
        if (h->quality() >= pdq::kMinUsefulQuality) {
          o.hashes.push_back(vpdq::FrameHash{0, h->quality(), h->hash(), 0});
          o.query.assign(h->dihedral.hashes.begin(), h->dihedral.hashes.end());
        }
        if (!o.body.contains("width")) o.body["width"] = static_cast<uint64_t>(h->width);
        if (!o.body.contains("height")) o.body["height"] = static_cast<uint64_t>(h->height);
      } else {
        failures.push_back("pdq: " + h.status().message());
      }
    }
    if (!hashed && (!bytes.ok() || (type != "image/jpeg" && type != "image/png"))) {
      // Other image formats (WebP, GIF, TIFF, ...) through FFmpeg's decoders: the first frame.
      vpdq::HashOptions ho;
      ho.first_frames = 1;  // an animated GIF is hashed as its first frame
      ho.limits.max_millis = 30'000;
      auto v = vpdq::HashVideo(path, ho);
      if (v.ok() && !v->frames.empty()) {
        const vpdq::FrameHash& f = v->frames.front();
        o.body["pdq"] = pdq::ToHex(f.hash);
        o.body["pdq_quality"] = static_cast<uint64_t>(std::max(0, f.quality));
        if (f.quality >= pdq::kMinUsefulQuality) {
          o.hashes.push_back(vpdq::FrameHash{0, f.quality, f.hash, 0});
          o.query.push_back(f.hash);
        }
      } else {
        failures.push_back("pdq: " +
                           (v.ok() ? std::string("no frame decoded") : v.status().message()));
      }
    }
  } else if (IsVideo(type)) {
    vpdq::HashOptions ho;
    ho.crop_black_bars = true;
    ho.collapse_identical = true;
    ho.dihedral = true;  // for the ingest check only: the catalogue keeps the plain hashes
    auto v = vpdq::HashVideo(path, ho);
    if (v.ok()) {
      o.video = true;
      o.variants = FrameVariants(*v, /*per_second=*/true);
      v->dihedral.clear();
      v->dihedral.shrink_to_fit();
      o.frames_text = vpdq::FormatFrames(v->frames);
      o.body["frames"] = static_cast<uint64_t>(v->frames.size());
      o.hashes = UsefulFrames(v->frames);
      if (v->crop_w > 0 && (v->crop_w != v->width || v->crop_h != v->height)) {
        meta["vpdq_crop"] = {v->crop_x, v->crop_y, v->crop_w, v->crop_h};
      }
      for (const std::string& f : v->failures) failures.push_back("vpdq: " + f);
    } else {
      failures.push_back("vpdq: " + v.status().message());
    }
  }

  if (options.ocr && media::HasOcr(type)) {
    media::OcrOptions oo;
    oo.languages = options.ocr_languages;
    auto r = media::Ocr(path, type, oo);
    if (r.ok()) {
      o.body["ocr"] = media::OcrVersion(options.ocr_languages);
      if (!r->text.empty()) {
        if (!o.text.empty()) o.text += "\f";
        o.text += r->text;
      }
      meta["ocr"] = {{"pages", r->pages}, {"mean_confidence", r->mean_confidence}};
      for (const std::string& f : r->failures) failures.push_back("ocr: " + f);
    } else {
      failures.push_back("ocr: " + r.status().message());
    }
  }

  meta["failures"] = failures;
  auto canon = core::CanonicalJson(meta);
  if (canon.ok()) {
    o.metadata_json = std::move(*canon);
  } else {
    // A float slipped into the fields: keep what was read, as JSON text.
    failures.push_back("metadata: not canonical JSON (" + canon.status().message() + ")");
    o.metadata_json = meta.dump();
  }
  std::vector<std::string> kept;
  for (const std::string& f : failures) {
    if (kept.size() == kMaxFailures) {
      kept.push_back(std::to_string(failures.size() - kMaxFailures) + " more failures");
      break;
    }
    std::string t = Cut(core::LossyUtf8(f), kMaxMemberBytes);
    if (!t.empty()) kept.push_back(std::move(t));
  }
  if (!kept.empty()) o.body["failures"] = kept;
  o.shown.failures = kept;

  std::string summary;
  auto add = [&summary](const std::string& part) {
    if (part.empty()) return;
    if (!summary.empty()) summary += ", ";
    summary += part;
  };
  if (o.body.contains("width") && o.body.contains("height")) {
    add(std::to_string(o.body["width"].get<uint64_t>()) + "x" +
        std::to_string(o.body["height"].get<uint64_t>()));
  }
  if (o.body.contains("duration_ms")) add(Seconds(o.body["duration_ms"].get<uint64_t>()));
  if (o.body.contains("captured_at")) add(o.body["captured_at"].get<std::string>());
  if (o.body.contains("lat")) {
    add(o.body["lat"].get<std::string>() + "," + o.body["lon"].get<std::string>());
  }
  if (o.body.contains("pdq"))
    add("pdq quality " + std::to_string(o.body["pdq_quality"].get<uint64_t>()));
  if (o.body.contains("frames")) add(std::to_string(o.body["frames"].get<uint64_t>()) + " frames");
  o.shown.summary = summary;
  return o;
}

}  // namespace

bool IsAnalyzable(const std::string& media_type) {
  for (const std::string& p : AnalyzablePrefixes())
    if (media_type.starts_with(p)) return true;
  return false;
}

// ---------------------------------------------------------------------------
// NearDuplicateIndex

struct NearDuplicateIndex::Impl {
  similar::Index index;
  struct Row {
    uint64_t leaf;
    vpdq::FrameHash frame;
  };
  std::vector<Row> rows;                                        // index id -> row
  std::unordered_map<uint64_t, std::vector<uint32_t>> rows_of;  // leaf -> its rows
  std::unordered_map<uint64_t, bool> is_video;
  bool built = true;
};

NearDuplicateIndex::NearDuplicateIndex() : impl_(std::make_unique<Impl>()) {}
NearDuplicateIndex::~NearDuplicateIndex() = default;
NearDuplicateIndex::NearDuplicateIndex(NearDuplicateIndex&&) noexcept = default;
NearDuplicateIndex& NearDuplicateIndex::operator=(NearDuplicateIndex&&) noexcept = default;

size_t NearDuplicateIndex::hashes() const { return impl_->rows.size(); }

StatusOr<NearDuplicateIndex> NearDuplicateIndex::Load(const catalog::Catalog& catalog) {
  NearDuplicateIndex out;
  ISNAD_ASSIGN_OR_RETURN(std::vector<catalog::PerceptualHashRow> rows, catalog.PerceptualHashes());
  out.impl_->index.Reserve(rows.size());
  uint64_t leaf = UINT64_MAX;
  std::vector<vpdq::FrameHash> frames;
  bool video = false;
  auto flush = [&] {
    if (leaf != UINT64_MAX && !frames.empty()) out.AddItem(leaf, frames, video);
    frames.clear();
    video = false;
  };
  for (const catalog::PerceptualHashRow& r : rows) {
    if (r.item_leaf != leaf) {
      flush();
      leaf = r.item_leaf;
    }
    auto h = pdq::HashFromHex(r.hash);
    if (!h.ok()) {
      return core::Integrity("perceptual hash of item " + catalog::ItemId(r.item_leaf) +
                             " in the catalogue is not 64 hex digits; run `isnad reindex`");
    }
    video = video || r.t_ms > 0 || !frames.empty();
    frames.push_back(vpdq::FrameHash{0, r.quality, *h, static_cast<double>(r.t_ms) / 1000.0});
  }
  flush();
  out.impl_->index.Build();
  return out;
}

void NearDuplicateIndex::AddItem(uint64_t leaf, const std::vector<vpdq::FrameHash>& hashes,
                                 bool video) {
  Impl& m = *impl_;
  m.is_video[leaf] = video;
  for (const vpdq::FrameHash& f : hashes) {
    if (f.quality < pdq::kMinUsefulQuality) continue;  // not used for matching
    const auto id = static_cast<uint32_t>(m.rows.size());
    m.rows.push_back(Impl::Row{leaf, f});
    m.rows_of[leaf].push_back(id);
    m.index.Add(f.hash, id);
  }
  m.built = false;
}

std::vector<SimilarMatch> NearDuplicateIndex::Find(const SimilarQuery& query, int max_distance,
                                                   std::optional<uint64_t> exclude,
                                                   double min_video_pct) const {
  Impl& m = *impl_;
  if (!m.built) {
    m.index.Build();
    m.built = true;
  }
  // Candidates: every item with some hash within reach, with its closest pair.
  struct Best {
    int distance = 1 << 20;
    double query_t = 0, match_t = 0;
    int transform = 0;
  };
  std::map<uint64_t, Best> found;
  auto probe = [&](const pdq::Hash& h, double query_t, int transform) {
    for (const similar::Match& hit : m.index.Query(h, max_distance)) {
      const Impl::Row& row = m.rows[hit.id];
      if (exclude && row.leaf == *exclude) continue;
      Best& b = found[row.leaf];
      if (hit.distance < b.distance) {
        b = Best{hit.distance, query_t, row.frame.timestamp_s, transform};
      }
    }
  };
  // Video: [d] the useful frames under transform d ([0] as hashed); empty: not tried.
  std::vector<std::vector<vpdq::FrameHash>> variants;
  if (query.video) {
    variants.push_back(UsefulFrames(query.frames));
    for (size_t d = 1; d < query.frame_variants.size() && d < size_t(pdq::kDihedralCount); d++) {
      variants.push_back(UsefulFrames(query.frame_variants[d]));
    }
    for (size_t d = 0; d < variants.size(); d++) {
      for (const vpdq::FrameHash& f : variants[d]) probe(f.hash, f.timestamp_s, int(d));
    }
  } else {
    // 8 hashes are the dihedral ones, in pdq::Dihedral order.
    const bool dihedral = query.image_hashes.size() == size_t(pdq::kDihedralCount);
    for (size_t d = 0; d < query.image_hashes.size(); d++) {
      probe(query.image_hashes[d], 0, dihedral ? int(d) : 0);
    }
  }
  std::vector<SimilarMatch> out;
  for (const auto& [leaf, best] : found) {
    SimilarMatch s;
    s.id = catalog::ItemId(leaf);
    s.leaf_index = leaf;
    s.video = m.is_video[leaf];
    s.distance = best.distance;
    s.query_timestamp_s = best.query_t;
    s.match_timestamp_s = best.match_t;
    s.transform = static_cast<pdq::Dihedral>(best.transform);
    if (query.video && s.video) {
      std::vector<vpdq::FrameHash> target;
      for (uint32_t id : m.rows_of[leaf]) target.push_back(m.rows[id].frame);
      vpdq::MatchOptions mo;
      mo.max_distance = max_distance;
      vpdq::Similarity sim = vpdq::CompareDihedral(variants, target, mo);
      s.query_pct = sim.query_pct;
      s.match_pct = sim.match_pct;
      s.transform = sim.transform;
      if (sim.best_distance <= max_distance) {
        s.distance = sim.best_distance;
        s.query_timestamp_s = sim.query_timestamp_s;
        s.match_timestamp_s = sim.match_timestamp_s;
      }
      if (std::max(s.query_pct, s.match_pct) < min_video_pct) continue;
    }
    out.push_back(s);
  }
  std::sort(out.begin(), out.end(), [](const SimilarMatch& a, const SimilarMatch& b) {
    double pa = std::max(a.query_pct, a.match_pct), pb = std::max(b.query_pct, b.match_pct);
    if (pa != pb) return pa > pb;
    if (a.distance != b.distance) return a.distance < b.distance;
    return a.leaf_index < b.leaf_index;
  });
  return out;
}

namespace {

// A picture whose PDQ hash is too plain to be matched (docs/formats/pdq.md).
Status TooPlain(const std::string& what, int quality) {
  return core::FailedPrecondition(
      what + " is too plain (PDQ quality " + std::to_string(std::max(0, quality)) + " < " +
      std::to_string(pdq::kMinUsefulQuality) +
      ") to match anything: every plain or tiny picture hashes alike, so its hash is "
      "never matched");
}

}  // namespace

StatusOr<SimilarQuery> QueryOfFile(const std::string& path) {
  core::Env* env = core::Env::Default();
  ISNAD_ASSIGN_OR_RETURN(auto file, env->NewSequentialFile(path));
  std::string head(4096, '\0');
  ISNAD_ASSIGN_OR_RETURN(size_t n, file->Read(head.data(), head.size()));
  head.resize(n);
  const std::string type = media::SniffMediaType(head);
  SimilarQuery q;
  if (type == "image/jpeg" || type == "image/png") {
    ISNAD_ASSIGN_OR_RETURN(std::string bytes, ReadWhole(path, kMaxImageBytes));
    auto h = pdq::HashImage(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    if (!h.ok()) return h.status().WithContext(path);
    if (h->quality() < pdq::kMinUsefulQuality) return TooPlain(path, h->quality());
    q.image_hashes.assign(h->dihedral.hashes.begin(), h->dihedral.hashes.end());
    return q;
  }
  vpdq::HashOptions ho;
  ho.crop_black_bars = true;
  if (IsVideo(type)) {
    ho.seconds_per_hash = 1;
    ho.dihedral = true;
  } else if (IsImage(type)) {
    ho.first_frames = 1;  // an animated GIF is matched by its first frame
  } else {
    return core::InvalidArgument(path + " is " + type +
                                 ", not an image or a video; `isnad similar` matches pictures");
  }
  auto v = vpdq::HashVideo(path, ho);
  if (!v.ok()) return v.status().WithContext(path);
  if (IsVideo(type)) {
    q.video = true;
    q.frame_variants = FrameVariants(*v, /*per_second=*/false);
    q.frames = std::move(v->frames);
  } else if (!v->frames.empty()) {
    const int quality = v->frames.front().quality;
    if (quality < pdq::kMinUsefulQuality) return TooPlain(path, quality);
    q.image_hashes.push_back(v->frames.front().hash);
  }
  return q;
}

StatusOr<SimilarQuery> QueryOfItem(const catalog::Catalog& catalog,
                                   const catalog::MediaRecord& media,
                                   const std::string& blob_path) {
  SimilarQuery q;
  if (!blob_path.empty() && (media.media_type == "image/jpeg" || media.media_type == "image/png")) {
    auto bytes = ReadWhole(blob_path, kMaxImageBytes);
    if (bytes.ok()) {
      auto h = pdq::HashImage(
          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()));
      if (h.ok()) {
        if (h->quality() >= pdq::kMinUsefulQuality) {
          q.image_hashes.assign(h->dihedral.hashes.begin(), h->dihedral.hashes.end());
        }
        return q;
      }
    }
    // Unreadable now (verify reports why): fall back to the recorded hash.
  }
  ISNAD_ASSIGN_OR_RETURN(std::vector<catalog::PerceptualHashRow> rows,
                         catalog.PerceptualHashes(media.item));
  q.video = media.media_type.starts_with("video/");
  if (q.video && !blob_path.empty()) {
    // The catalogue has the plain frame hashes; their rotations and flips need the frames.
    vpdq::HashOptions ho;
    ho.crop_black_bars = true;
    ho.seconds_per_hash = 1;
    ho.dihedral = true;
    auto v = vpdq::HashVideo(blob_path, ho);
    if (v.ok()) q.frame_variants = FrameVariants(*v, /*per_second=*/false);
    // Unreadable now (verify reports why): the recorded hashes alone.
  }
  for (const catalog::PerceptualHashRow& r : rows) {
    ISNAD_ASSIGN_OR_RETURN(pdq::Hash h, pdq::HashFromHex(r.hash));
    if (r.quality < pdq::kMinUsefulQuality) continue;  // not used for matching
    if (q.video) {
      q.frames.push_back(vpdq::FrameHash{0, r.quality, h, static_cast<double>(r.t_ms) / 1000.0});
    } else {
      q.image_hashes.push_back(h);
    }
  }
  return q;
}

// ---------------------------------------------------------------------------
// Analyzer

StatusOr<uint64_t> Analyzer::Run(Archive* a, const std::vector<catalog::ItemRecord>& items,
                                 const AnalyzeOptions& options, const AnalyzeCallbacks& callbacks) {
  if (!a->signer_) return core::FailedPrecondition("the archive was opened read-only");
  if (items.empty()) return uint64_t{0};
  const std::string analyzer = AnalyzerName(options);

  // Workers analyse ahead; this thread records in item order. They stay within `ahead`
  // items of the next one to record, so that a worker stuck on a long video does not let
  // the others fill memory with outcomes (a PDF's text can be 16 MiB).
  const int jobs = std::max(1, options.jobs);
  const size_t ahead = 2 * static_cast<size_t>(jobs);
  std::mutex mu;
  std::condition_variable ready;  // an outcome is done
  std::condition_variable room;   // an outcome was recorded, or stop
  std::map<size_t, Outcome> done;
  size_t consumed = 0;  // items taken from `done`, under mu
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  auto worker = [&] {
    while (!stop) {
      size_t k = next++;
      if (k >= items.size()) break;
      {
        std::unique_lock<std::mutex> g(mu);
        room.wait(g, [&] { return stop || k < consumed + ahead; });
      }
      if (stop) break;
      Outcome o;
      try {
        o = AnalyzeOne(a->blobs().PathOf(items[k].sha256), items[k], options);
      } catch (const std::exception& e) {
        // A library threw where it should have returned an error: record it, go on.
        o = Outcome();
        o.shown.id = items[k].id;
        o.shown.media_type = items[k].media_type;
        o.shown.failures = {core::LossyUtf8(std::string("analysis stopped: ") + e.what())};
        o.body["failures"] = o.shown.failures;
        o.metadata_json = "{}";
      }
      std::lock_guard<std::mutex> g(mu);
      done.emplace(k, std::move(o));
      ready.notify_all();
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < jobs && static_cast<size_t>(t) < items.size(); ++t) {
    threads.emplace_back(worker);
  }
  struct Joiner {
    std::vector<std::thread>* threads;
    std::atomic<bool>* stop;
    std::mutex* mu;
    std::condition_variable* room;
    ~Joiner() {
      {
        std::lock_guard<std::mutex> g(*mu);
        *stop = true;
      }
      room->notify_all();
      for (auto& t : *threads) t.join();
    }
  } joiner{&threads, &stop, &mu, &room};

  std::optional<NearDuplicateIndex> index;
  std::vector<std::string> entries;
  std::vector<AnalyzedItem> pending;
  uint64_t recorded = 0;
  auto commit = [&]() -> Status {
    if (entries.empty()) return Status::Ok();
    ISNAD_RETURN_IF_ERROR(a->AppendAndApply(entries).status());
    recorded += entries.size();
    entries.clear();
    for (const AnalyzedItem& s : pending)
      if (callbacks.on_analyzed) callbacks.on_analyzed(s);
    pending.clear();
    return Status::Ok();
  };
  for (size_t k = 0; k < items.size(); ++k) {
    Outcome o;
    {
      std::unique_lock<std::mutex> g(mu);
      ready.wait(g, [&] { return done.count(k) > 0; });
      o = std::move(done[k]);
      done.erase(k);
      consumed = k + 1;
    }
    room.notify_all();
    const catalog::ItemRecord& item = items[k];
    o.body["item"] = item.id;
    o.body["analyzer"] = analyzer;
    o.body["media_type"] = item.media_type;
    ISNAD_ASSIGN_OR_RETURN(core::Hash meta_sha, a->StoreBytes(o.metadata_json));
    o.body["metadata_sha256"] = meta_sha.Hex();
    if (!o.frames_text.empty()) {
      ISNAD_ASSIGN_OR_RETURN(core::Hash frames_sha, a->StoreBytes(o.frames_text));
      o.body["frames_sha256"] = frames_sha.Hex();
    } else {
      o.body.erase("frames");
    }
    if (!o.text.empty()) {
      ISNAD_ASSIGN_OR_RETURN(core::Hash text_sha, a->StoreBytes(core::LossyUtf8(o.text)));
      o.body["text_sha256"] = text_sha.Hex();
    }
    // Near-duplicates among everything analysed before it.
    if (!o.hashes.empty()) {
      if (!index.has_value()) {
        ISNAD_RETURN_IF_ERROR(commit());  // the index reads the catalogue
        ISNAD_ASSIGN_OR_RETURN(NearDuplicateIndex loaded, NearDuplicateIndex::Load(*a->catalog_));
        index = std::move(loaded);
      }
      SimilarQuery q;
      q.video = o.video;
      if (o.video) {
        q.frames = o.hashes;
        q.frame_variants = o.variants;
      } else {
        q.image_hashes = o.query.empty() ? std::vector<pdq::Hash>{o.hashes.front().hash} : o.query;
      }
      std::vector<SimilarMatch> near =
          index->Find(q, options.max_distance, item.leaf_index, kVideoMatchPct);
      std::vector<std::string> ids;
      for (const SimilarMatch& s : near) ids.push_back(s.id);
      std::sort(ids.begin(), ids.end(), [](const std::string& x, const std::string& y) {
        return catalog::ParseItemId(x) < catalog::ParseItemId(y);
      });
      if (ids.size() > kMaxNearDuplicates) {
        const std::string more = std::to_string(ids.size() - kMaxNearDuplicates) +
                                 " more near-duplicates not listed (isnad similar " + item.id +
                                 " lists them all)";
        ids.resize(kMaxNearDuplicates);
        Json failures = o.body.contains("failures") ? o.body["failures"] : Json::array();
        failures.push_back(more);
        o.body["failures"] = std::move(failures);
        o.shown.failures.push_back(more);
      }
      if (!ids.empty()) o.body["near_duplicates"] = ids;
      o.shown.near_duplicates = ids;
      index->AddItem(item.leaf_index, o.hashes, o.video);
    }
    catalog::Actor by{core::NowUtc(), a->OperatorName()};
    auto made = catalog::ItemAnalyzedEntry(by, o.body);
    if (!made.ok()) {
      // What the file claims (its size, dates, place, names) did not fit the entry's
      // grammar: record the item without those claims, saying why, rather than stopping
      // the analysis of this and every later item. The full metadata is in its blob.
      std::string why =
          Cut(core::LossyUtf8("summary not recorded: " + made.status().message()), kMaxMemberBytes);
      for (const char* claim : {"width", "height", "duration_ms", "captured_at", "lat", "lon",
                                "camera", "title", "author"}) {
        o.body.erase(claim);
      }
      Json failures = o.body.contains("failures") ? o.body["failures"] : Json::array();
      if (failures.size() <= kMaxFailures) failures.push_back(why);
      o.body["failures"] = std::move(failures);
      o.shown.failures.push_back(why);
      made = catalog::ItemAnalyzedEntry(by, o.body);
    }
    ISNAD_ASSIGN_OR_RETURN(std::string entry, std::move(made));
    entries.push_back(std::move(entry));
    pending.push_back(std::move(o.shown));
    if (callbacks.on_progress) callbacks.on_progress(k + 1, items.size());
    if (entries.size() >= options.batch) ISNAD_RETURN_IF_ERROR(commit());
  }
  ISNAD_RETURN_IF_ERROR(commit());
  return recorded;
}

}  // namespace isnad::archive
