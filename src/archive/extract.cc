// Storing an extractor's media and info JSON: see extract.h.
#include "archive/extract.h"

#include <utility>

#include "core/canonical_json.h"
#include "core/utf8.h"
#include "media/sniff.h"

namespace isnad::archive {

using core::Json;
using core::Status;

Status StageExtraction(
    const capture::Result& r,
    const std::function<Status(const std::string&, const core::Hash&, uint64_t)>& stage) {
  const capture::Extraction& x = r.extraction;
  if (!r.error.ok() || !r.extraction_wanted || !x.error.ok()) return Status::Ok();
  ISNAD_RETURN_IF_ERROR(stage(x.media_path, x.media_sha256, x.media_size));
  if (!x.info_path.empty()) ISNAD_RETURN_IF_ERROR(stage(x.info_path, x.info_sha256, x.info_size));
  return Status::Ok();
}

Status RecordExtraction(
    const capture::Result& r, const catalog::Actor& by, uint64_t capture_leaf, uint64_t base,
    const std::function<Status(const core::Hash&, uint64_t, const std::string&,
                               const catalog::Provenance&, std::string*)>& item_for,
    std::vector<std::string>* entries, ExtractOutcome* out) {
  const capture::Extraction& x = r.extraction;
  out->wanted = r.error.ok() && r.extraction_wanted;
  if (!out->wanted) return Status::Ok();
  out->extractor = x.extractor;
  out->error = x.error;
  if (!x.attempted) return Status::Ok();  // not installed: reported, not recorded
  Json body = {{"url", r.url}, {"capture", capture_leaf}, {"extractor", x.extractor}};
  if (x.exit_status >= 0) body["exit_status"] = static_cast<uint64_t>(x.exit_status);
  if (x.error.ok()) {
    catalog::Provenance from;
    from.name = x.media_name;
    from.url = r.url;
    std::string sniffed = media::SniffMediaType(x.media_head);
    out->media_type = sniffed;
    ISNAD_RETURN_IF_ERROR(item_for(x.media_sha256, x.media_size, sniffed, from, &out->media_id));
    out->media_sha256 = x.media_sha256;
    out->media_size = x.media_size;
    body["media"] = out->media_id;
    body["media_sha256"] = x.media_sha256.Hex();
    body["media_size"] = x.media_size;
    if (!x.info_path.empty()) {
      catalog::Provenance info_from;
      info_from.name = x.media_name.substr(0, x.media_name.rfind('.')) + ".info.json";
      info_from.url = r.url;
      ISNAD_RETURN_IF_ERROR(
          item_for(x.info_sha256, x.info_size, "application/json", info_from, &out->info_id));
      if (out->info_id != out->media_id) {
        body["info"] = out->info_id;
        body["info_sha256"] = x.info_sha256.Hex();
      }
    }
  } else {
    std::string why = x.error.message();
    if (why.empty()) why = std::string(core::CodeName(x.error.code()));
    why = core::LossyUtf8(why);
    core::TruncateUtf8(why, 2000);
    body["error"] = why;
  }
  ISNAD_ASSIGN_OR_RETURN(std::string entry, catalog::CaptureExtractedEntry(by, std::move(body)));
  out->leaf_index = base + entries->size();
  out->recorded = true;
  entries->push_back(std::move(entry));
  return Status::Ok();
}

}  // namespace isnad::archive
