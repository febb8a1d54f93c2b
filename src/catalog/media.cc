// The media tables: one row per analysed item (its latest item.analyzed entry),
// its perceptual hashes, and the near-duplicate links the analysis found.
#include <algorithm>
#include <charconv>
#include <set>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/entries.h"
#include "catalog/media_apply.h"
#include "catalog/sql.h"
#include "core/utf8.h"

namespace isnad::catalog {
namespace internal {

// docs/formats/catalog.md, "Media"; change both together.
const char* const kMediaSchemaSql = R"sql(
CREATE TABLE media (
  item_leaf       INTEGER PRIMARY KEY,
  leaf_index      INTEGER NOT NULL,
  analyzer        TEXT NOT NULL,
  media_type      TEXT NOT NULL,
  width           INTEGER,
  height          INTEGER,
  duration_ms     INTEGER,
  captured_at     TEXT,
  lat             TEXT,
  lon             TEXT,
  camera          TEXT,
  title           TEXT,
  author          TEXT,
  pdq             TEXT,
  pdq_quality     INTEGER,
  frames          INTEGER,
  frames_sha256   TEXT,
  text_sha256     TEXT,
  metadata_sha256 TEXT,
  ocr             TEXT,
  failures        TEXT,
  near_duplicates TEXT
);
CREATE TABLE perceptual_hashes (
  item_leaf INTEGER NOT NULL,
  t_ms      INTEGER NOT NULL,
  quality   INTEGER NOT NULL,
  hash      TEXT NOT NULL
);
CREATE INDEX perceptual_hashes_by_item ON perceptual_hashes (item_leaf, t_ms);
CREATE TABLE near_duplicates (
  a_leaf     INTEGER NOT NULL,
  b_leaf     INTEGER NOT NULL,
  leaf_index INTEGER NOT NULL,
  PRIMARY KEY (a_leaf, b_leaf)
) WITHOUT ROWID;
CREATE INDEX near_duplicates_by_b ON near_duplicates (b_leaf, a_leaf);
)sql";

namespace {

// The most bytes of a frame-hash or text blob read into the catalogue (docs/formats/catalog.md,
// "Media": the blobs themselves keep everything).
constexpr uint64_t kMaxFramesBytes = uint64_t{64} << 20;
constexpr uint64_t kMaxTextBytes = uint64_t{4} << 20;
constexpr int kMinUsefulQuality = 50;

std::string JoinJson(const Json& e, const char* member) {
  return e.contains(member) ? e[member].dump() : std::string();
}

struct FrameRow {
  uint64_t t_ms = 0;
  int quality = 0;
  std::string hash;
};

// Parses vPDQ frame lines "frame,quality,hex,seconds" (docs/formats/vpdq.md),
// keeping useful frames, each distinct hash once at its first time.
StatusOr<std::vector<FrameRow>> ParseFrameLines(std::string_view text) {
  std::vector<FrameRow> out;
  std::set<std::string> seen;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.empty()) continue;
    std::string_view f[4];
    size_t at = 0;
    for (int k = 0; k < 4; ++k) {
      size_t comma = k < 3 ? line.find(',', at) : std::string_view::npos;
      if (k < 3 && comma == std::string_view::npos) {
        return core::InvalidArgument("frame hashes line " + std::to_string(line_no) +
                                     " has fewer than 4 fields");
      }
      f[k] = line.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at);
      at = comma + 1;
    }
    int quality = 0;
    std::from_chars(f[1].data(), f[1].data() + f[1].size(), quality);
    if (f[2].size() != 64) {
      return core::InvalidArgument("frame hashes line " + std::to_string(line_no) +
                                   " has no 64-digit hash");
    }
    // Seconds with up to 3 decimals, as milliseconds, without floating point.
    uint64_t whole = 0, frac = 0;
    std::string_view secs = f[3];
    size_t dot = secs.find('.');
    std::from_chars(secs.data(), secs.data() + std::min(dot, secs.size()), whole);
    if (dot != std::string_view::npos) {
      std::string_view d = secs.substr(dot + 1, 3);
      std::from_chars(d.data(), d.data() + d.size(), frac);
      for (size_t k = d.size(); k < 3; ++k) frac *= 10;
    }
    if (quality < kMinUsefulQuality) continue;
    std::string hash(f[2]);
    if (!seen.insert(hash).second) continue;
    out.push_back(FrameRow{whole * 1000 + frac, quality, std::move(hash)});
  }
  return out;
}

}  // namespace

Status ApplyAnalysis(StmtCache& q, int64_t leaf, const Json& e, const BlobSource& blobs,
                     int64_t* item_leaf, std::string* text) {
  sqlite3* db = q.db();
  ISNAD_ASSIGN_OR_RETURN(int64_t item, EarlierItem(q, e, "item", leaf));
  *item_leaf = item;
  std::vector<int64_t> near;
  if (e.contains("near_duplicates")) {
    for (const Json& id : e["near_duplicates"]) {
      Json one = {{"type", Member(e, "type")}, {"near", id}};
      ISNAD_ASSIGN_OR_RETURN(int64_t other, EarlierItem(q, one, "near", leaf));
      near.push_back(other);
    }
  }
  // The latest analysis replaces the one before: its hashes and its links.
  for (const char* sql : {"DELETE FROM perceptual_hashes WHERE item_leaf = ?1",
                          "DELETE FROM near_duplicates WHERE a_leaf = ?1"}) {
    ISNAD_ASSIGN_OR_RETURN(Stmt del, Stmt::Prepare(db, sql));
    del.Int(1, item);
    ISNAD_RETURN_IF_ERROR(del.Run("replacing an earlier analysis"));
  }
  ISNAD_ASSIGN_OR_RETURN(
      Stmt st,
      Stmt::Prepare(db,
                    "INSERT OR REPLACE INTO media (item_leaf, leaf_index, analyzer, media_type, "
                    "width, height, duration_ms, captured_at, lat, lon, camera, title, author, "
                    "pdq, pdq_quality, frames, frames_sha256, text_sha256, metadata_sha256, ocr, "
                    "failures, near_duplicates) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                    "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)"));
  st.Int(1, item);
  st.Int(2, leaf);
  st.TextRef(3, Member(e, "analyzer"));
  st.TextRef(4, Member(e, "media_type"));
  auto size_or_null = [&](int at, const char* m) {
    if (e.contains(m)) st.Int(at, static_cast<int64_t>(e[m].get<uint64_t>()));
  };
  size_or_null(5, "width");
  size_or_null(6, "height");
  size_or_null(7, "duration_ms");
  st.TextRefOrNull(8, Member(e, "captured_at"));
  st.TextRefOrNull(9, Member(e, "lat"));
  st.TextRefOrNull(10, Member(e, "lon"));
  st.TextRefOrNull(11, Member(e, "camera"));
  st.TextRefOrNull(12, Member(e, "title"));
  st.TextRefOrNull(13, Member(e, "author"));
  st.TextRefOrNull(14, Member(e, "pdq"));
  size_or_null(15, "pdq_quality");
  size_or_null(16, "frames");
  st.TextRefOrNull(17, Member(e, "frames_sha256"));
  st.TextRefOrNull(18, Member(e, "text_sha256"));
  st.TextRefOrNull(19, Member(e, "metadata_sha256"));
  st.TextRefOrNull(20, Member(e, "ocr"));
  const std::string failures = JoinJson(e, "failures");
  const std::string near_json = JoinJson(e, "near_duplicates");
  st.TextRefOrNull(21, failures);
  st.TextRefOrNull(22, near_json);
  ISNAD_RETURN_IF_ERROR(st.Run("recording an analysis"));

  ISNAD_ASSIGN_OR_RETURN(Stmt hash_st,
                         Stmt::Prepare(db,
                                       "INSERT INTO perceptual_hashes (item_leaf, t_ms, quality, "
                                       "hash) VALUES (?1, ?2, ?3, ?4)"));
  auto add_hash = [&](uint64_t t_ms, int quality, std::string_view hex) {
    hash_st.Int(1, item);
    hash_st.Int(2, static_cast<int64_t>(t_ms));
    hash_st.Int(3, quality);
    hash_st.TextRef(4, hex);
    return hash_st.Run("recording a perceptual hash");
  };
  if (e.contains("pdq")) {
    ISNAD_RETURN_IF_ERROR(
        add_hash(0, static_cast<int>(e["pdq_quality"].get<uint64_t>()), Member(e, "pdq")));
  }
  if (e.contains("frames_sha256") && blobs) {
    auto sha = core::Hash::FromHex(Member(e, "frames_sha256"));
    if (!sha.ok()) return sha.status();
    // A blob that cannot be read now (damaged, say) is reported by verify; the
    // item keeps its metadata, without frame hashes to match.
    // The same for one that reads but does not parse: verify names the blob, and the
    // catalogue is still built. Past kMaxFramesBytes the frames after the cut are left out
    // (and the line the cut falls in).
    auto bytes = blobs(*sha, kMaxFramesBytes);
    if (bytes.ok()) {
      if (bytes->size() >= kMaxFramesBytes) bytes->resize(bytes->rfind('\n') + 1);
      auto frames = ParseFrameLines(*bytes);
      if (frames.ok()) {
        for (const FrameRow& f : *frames) {
          ISNAD_RETURN_IF_ERROR(add_hash(f.t_ms, f.quality, f.hash));
        }
      }
    }
  }
  if (!near.empty()) {
    ISNAD_ASSIGN_OR_RETURN(Stmt link,
                           Stmt::Prepare(db,
                                         "INSERT OR IGNORE INTO near_duplicates (a_leaf, b_leaf, "
                                         "leaf_index) VALUES (?1, ?2, ?3)"));
    for (int64_t other : near) {
      link.Int(1, item);
      link.Int(2, other);
      link.Int(3, leaf);
      ISNAD_RETURN_IF_ERROR(link.Run("recording a near-duplicate"));
    }
  }

  // What search finds the item by: its descriptive metadata and its text.
  text->clear();
  for (const char* m : {"title", "author", "camera"}) {
    const std::string& v = Member(e, m);
    if (v.empty()) continue;
    if (!text->empty()) text->push_back('\n');
    text->append(v);
  }
  if (e.contains("text_sha256") && blobs) {
    auto sha = core::Hash::FromHex(Member(e, "text_sha256"));
    if (!sha.ok()) return sha.status();
    auto bytes = blobs(*sha, kMaxTextBytes);
    if (bytes.ok() && !bytes->empty()) {
      core::TruncateUtf8(*bytes, kMaxTextBytes);
      if (!text->empty()) text->push_back('\n');
      text->append(*bytes);
    }
  }
  return Status::Ok();
}

}  // namespace internal

using core::StatusOr;
using internal::Stmt;
using internal::Tx;

namespace {

StatusOr<int64_t> LeafOf(std::string_view item_id) {
  std::optional<uint64_t> leaf = ParseItemId(item_id);
  if (!leaf) {
    return core::InvalidArgument("not an item id: " + std::string(item_id) +
                                 " (item ids look like i42)");
  }
  return static_cast<int64_t>(*leaf);
}

std::vector<std::string> StringList(const std::string& json) {
  std::vector<std::string> out;
  if (json.empty()) return out;
  core::Json j = core::Json::parse(json, nullptr, false);
  if (!j.is_array()) return out;
  for (const core::Json& v : j)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

}  // namespace

StatusOr<std::optional<MediaRecord>> Catalog::Media(std::string_view item_id) const {
  ISNAD_ASSIGN_OR_RETURN(int64_t leaf, LeafOf(item_id));
  Tx tx(db_);
  ISNAD_RETURN_IF_ERROR(tx.Begin(/*write=*/false));
  ISNAD_ASSIGN_OR_RETURN(
      Stmt st, Stmt::Prepare(db_,
                             "SELECT leaf_index, analyzer, media_type, width, height, "
                             "duration_ms, captured_at, lat, lon, camera, title, author, pdq, "
                             "pdq_quality, frames, frames_sha256, text_sha256, metadata_sha256, "
                             "ocr, failures, near_duplicates FROM media WHERE item_leaf = ?1"));
  st.Int(1, leaf);
  ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("reading an item's analysis"));
  if (!row) return std::optional<MediaRecord>();
  MediaRecord m;
  m.leaf_index = static_cast<uint64_t>(st.ColInt(0));
  m.item = std::string(item_id);
  m.analyzer = st.ColText(1);
  m.media_type = st.ColText(2);
  auto opt = [&](int col) -> std::optional<uint64_t> {
    if (st.ColIsNull(col)) return std::nullopt;
    return static_cast<uint64_t>(st.ColInt(col));
  };
  m.width = opt(3);
  m.height = opt(4);
  m.duration_ms = opt(5);
  m.captured_at = st.ColText(6);
  m.lat = st.ColText(7);
  m.lon = st.ColText(8);
  m.camera = st.ColText(9);
  m.title = st.ColText(10);
  m.author = st.ColText(11);
  m.pdq = st.ColText(12);
  m.pdq_quality = static_cast<int>(st.ColInt(13));
  m.frames = static_cast<uint64_t>(st.ColInt(14));
  auto hash = [&](int col) -> std::optional<core::Hash> {
    auto h = core::Hash::FromHex(st.ColText(col));
    if (!h.ok()) return std::nullopt;
    return *h;
  };
  m.frames_sha256 = hash(15);
  m.text_sha256 = hash(16);
  m.metadata_sha256 = hash(17);
  m.ocr = st.ColText(18);
  m.failures = StringList(st.ColText(19));
  m.near_duplicates = StringList(st.ColText(20));
  st.Reset();
  return std::optional<MediaRecord>(std::move(m));
}

StatusOr<std::vector<PerceptualHashRow>> Catalog::PerceptualHashes(std::string_view item_id) const {
  Tx tx(db_);
  ISNAD_RETURN_IF_ERROR(tx.Begin(/*write=*/false));
  const bool one = !item_id.empty();
  ISNAD_ASSIGN_OR_RETURN(
      Stmt st, Stmt::Prepare(db_, one ? "SELECT item_leaf, t_ms, quality, hash FROM "
                                        "perceptual_hashes WHERE item_leaf = ?1 ORDER BY t_ms"
                                      : "SELECT item_leaf, t_ms, quality, hash FROM "
                                        "perceptual_hashes ORDER BY item_leaf, t_ms"));
  if (one) {
    ISNAD_ASSIGN_OR_RETURN(int64_t leaf, LeafOf(item_id));
    st.Int(1, leaf);
  }
  std::vector<PerceptualHashRow> out;
  while (true) {
    ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("listing perceptual hashes"));
    if (!row) break;
    out.push_back(PerceptualHashRow{static_cast<uint64_t>(st.ColInt(0)),
                                    static_cast<uint64_t>(st.ColInt(1)),
                                    static_cast<int>(st.ColInt(2)), st.ColText(3)});
  }
  return out;
}

StatusOr<std::vector<std::string>> Catalog::NearDuplicates(std::string_view item_id) const {
  ISNAD_ASSIGN_OR_RETURN(int64_t leaf, LeafOf(item_id));
  Tx tx(db_);
  ISNAD_RETURN_IF_ERROR(tx.Begin(/*write=*/false));
  ISNAD_ASSIGN_OR_RETURN(Stmt st, Stmt::Prepare(db_,
                                                "SELECT b_leaf FROM near_duplicates WHERE a_leaf "
                                                "= ?1 UNION SELECT a_leaf FROM near_duplicates "
                                                "WHERE b_leaf = ?1 ORDER BY 1"));
  st.Int(1, leaf);
  std::vector<std::string> out;
  while (true) {
    ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("listing near-duplicates"));
    if (!row) break;
    out.push_back(ItemId(static_cast<uint64_t>(st.ColInt(0))));
  }
  return out;
}

StatusOr<std::vector<ItemRecord>> Catalog::ItemsToAnalyze(const std::vector<std::string>& prefixes,
                                                          uint64_t min_leaf) const {
  std::vector<std::string> ids;
  {
    Tx tx(db_);
    ISNAD_RETURN_IF_ERROR(tx.Begin(/*write=*/false));
    ISNAD_ASSIGN_OR_RETURN(
        Stmt st, Stmt::Prepare(db_,
                               "SELECT i.leaf_index, i.media_type FROM items i LEFT JOIN media m "
                               "ON m.item_leaf = i.leaf_index WHERE i.leaf_index >= ?1 AND "
                               "m.item_leaf IS NULL ORDER BY i.leaf_index"));
    st.Int(1, static_cast<int64_t>(min_leaf));
    while (true) {
      ISNAD_ASSIGN_OR_RETURN(bool row, st.Step("listing items to analyse"));
      if (!row) break;
      const std::string type = st.ColText(1);
      bool wanted = false;
      for (const std::string& p : prefixes) wanted = wanted || type.starts_with(p);
      if (wanted) ids.push_back(ItemId(static_cast<uint64_t>(st.ColInt(0))));
    }
  }
  std::vector<ItemRecord> out;
  out.reserve(ids.size());
  for (const std::string& id : ids) {
    ISNAD_ASSIGN_OR_RETURN(ItemRecord r, Resolve(id));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace isnad::catalog
