#include "archive/named_blobs.h"

#include "catalog/entries.h"

namespace isnad::archive::internal {

void ForEachNamedBlob(const core::Json& entry, uint64_t leaf,
                      const std::function<void(NamedBlob)>& fn) {
  const std::string type = entry.value("type", "");
  auto named = [&](const char* member, std::string item, bool with_size) {
    auto h = core::Hash::FromHex(entry.value(member, ""));
    if (!h.ok()) return;
    fn(NamedBlob{*h, std::move(item), with_size ? entry.value("size", uint64_t{0}) : 0, with_size});
  };
  if (type == catalog::kItemIngested) {
    named("sha256", catalog::ItemId(leaf), true);
  } else if (type == catalog::kSourceAdded) {
    named("sha256", entry.value("item", ""), false);
  } else if (type == catalog::kNoteAdded && entry.contains("text_sha256")) {
    named("text_sha256", entry.value("item", ""), false);
  } else if (type == catalog::kTimestampAdded) {
    named("token_sha256", "", false);  // the token's DER, stored as a blob
  } else if (type == catalog::kItemAnalyzed) {
    // What the analysis extracted, each stored as a blob: checked like the media.
    for (const char* member : {"metadata_sha256", "frames_sha256", "text_sha256"}) {
      named(member, entry.value("item", ""), false);
    }
  }
}

}  // namespace isnad::archive::internal
