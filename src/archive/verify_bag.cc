// Verification of an export bag without the archive: docs/formats/bag.md,
// "What verify-bag checks".
#include "archive/verify_bag.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "archive/archive.h"
#include "archive/export.h"
#include "catalog/entries.h"
#include "core/canonical_json.h"
#include "core/digest.h"
#include "core/encoding.h"
#include "core/utf8.h"
#include "log/checkpoint.h"
#include "log/merkle.h"
#include "log/note.h"
#include "tsa/timestamp.h"

namespace isnad::archive {

using core::Json;
using core::Status;
using core::StatusOr;

bool BagVerifyReport::ok() const { return errors() == 0; }
uint64_t BagVerifyReport::errors() const {
  return static_cast<uint64_t>(std::count_if(problems.begin(), problems.end(),
                                             [](const bag::Problem& p) { return !p.warning; }));
}
uint64_t BagVerifyReport::warnings() const { return problems.size() - errors(); }

namespace {

constexpr std::string_view kCustody = "data/custody/";
constexpr std::string_view kCheckpointFile = "data/custody/checkpoint";
constexpr std::string_view kVkeyFile = "data/custody/log.vkey";
constexpr std::string_view kEntriesFile = "data/custody/entries.jsonl";
constexpr std::string_view kConsistencyFile = "data/custody/consistency.jsonl";
constexpr std::string_view kCheckpointsDir = "data/custody/checkpoints/";
constexpr std::string_view kTimestampsDir = "data/custody/timestamps/";
constexpr std::string_view kNotesDir = "data/custody/notes/";
constexpr std::string_view kAnalysisDir = "data/custody/analysis/";
constexpr std::string_view kExhibitsDir = "data/exhibits/";
constexpr uint64_t kMaxCustodyFile = uint64_t{1} << 30;

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string Trim(std::string_view s) { return std::string(core::StripAsciiSpace(s)); }

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    out.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

// bag-info.txt: labels -> first value (continuation lines joined), and each isnad
// label (Isnad-*, in any case) given more than once.
struct BagInfo {
  std::map<std::string, std::string> fields;
  std::vector<std::string> repeated;
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

BagInfo ParseBagInfo(std::string_view text) {
  BagInfo out;
  std::set<std::string> isnad_labels;  // lower case
  std::string last;
  for (std::string_view line : Lines(text)) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      if (!last.empty()) out.fields[last] += " " + std::string(line.substr(1));
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string label(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    // RFC 8493 2.2.2 lets a label repeat, but an export writes each of its own once:
    // a second Isnad-Vkey is one a reader may copy instead of the one checked.
    const std::string lower = Lower(label);
    if (StartsWith(lower, "isnad-") && !isnad_labels.insert(lower).second) {
      out.repeated.push_back(label);
    }
    if (out.fields.count(label)) {
      last.clear();
      continue;
    }
    out.fields[label] = std::string(value);
    last = label;
  }
  return out;
}

StatusOr<std::vector<core::Hash>> DecodeProof(const Json& arr) {
  if (!arr.is_array()) return core::Integrity("the proof is not a list of hashes");
  std::vector<core::Hash> out;
  for (const Json& v : arr) {
    if (!v.is_string()) return core::Integrity("a proof hash is not a string");
    auto raw = core::Base64Decode(v.get<std::string>());
    if (!raw.ok()) return core::Integrity("a proof hash is not canonical base64");
    auto h = core::Hash::FromBytes(*raw);
    if (!h.ok()) return core::Integrity("a proof hash is not 32 bytes");
    out.push_back(*h);
  }
  return out;
}

std::optional<uint64_t> JsonSize(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<uint64_t>();
}

class Checker {
 public:
  Checker(const bag::Bag& bag, BagVerifyReport* r) : bag_(bag), r_(r) {
    for (const auto& f : bag_.Files()) files_.insert(f);
  }

  void Problem(std::string_view file, std::string what) {
    r_->problems.push_back({std::string(file), std::move(what), false});
  }
  bool Has(std::string_view file) const { return files_.count(std::string(file)) > 0; }
  std::optional<std::string> Read(std::string_view file, bool required) {
    if (!Has(file)) {
      if (required) Problem(file, "missing");
      return std::nullopt;
    }
    auto text = bag_.ReadFile(std::string(file), kMaxCustodyFile);
    if (!text.ok()) {
      Problem(file, "cannot be read: " + text.status().message());
      return std::nullopt;
    }
    return std::move(*text);
  }

  // Opens a signed checkpoint with the key: its body, or nullopt after saying why.
  std::optional<tlog::Checkpoint> OpenCheckpoint(std::string_view file, const std::string& note,
                                                 const tlog::NoteVerifier& key) {
    auto opened = tlog::OpenNote(note, {key});
    if (!opened.ok()) {
      std::string what = opened.status().message();
      if (what.find("no verifiable signatures") != std::string::npos) {
        what = "not signed by the key " + key.name() + "+" + KeyIdHex(key) + " (" + what + ")";
      } else if (what.find("invalid signature") != std::string::npos) {
        // The key's signature line is there but does not hold: what it signed was changed
        // (its origin, size or root), or the signature itself; not a signature by another key.
        what +=
            ": the signed text (origin, size or root hash) or the signature was changed "
            "since the archive signed it";
      }
      Problem(file, "signature: " + what);
      return std::nullopt;
    }
    auto cp = tlog::Checkpoint::Parse(opened->text);
    if (!cp.ok()) {
      Problem(file, cp.status().message());
      return std::nullopt;
    }
    if (cp->origin != key.name()) {
      Problem(file, "origin \"" + cp->origin + "\" is not the key's name \"" + key.name() + "\"");
      return std::nullopt;
    }
    return *cp;
  }

  static std::string KeyIdHex(const tlog::NoteVerifier& key) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    for (int shift = 28; shift >= 0; shift -= 4) s += kHex[(key.key_id() >> shift) & 0xF];
    return s;
  }

  // `sha256`: each file's SHA-256 as BagIt validation read it (bag::Report::sha256).
  void Custody(const BagVerifyOptions& options, const std::map<std::string, std::string>& sha256);

 private:
  const bag::Bag& bag_;
  BagVerifyReport* r_;
  std::set<std::string> files_;
};

void Checker::Custody(const BagVerifyOptions& options,
                      const std::map<std::string, std::string>& sha256) {
  // Payload files that a check below vouches for (or reports); any other file under
  // data/ is content nothing in the custody evidence covers.
  std::set<std::string> vouched = {"data/README.txt",
                                   std::string(kVkeyFile),
                                   std::string(kCheckpointFile),
                                   std::string(kEntriesFile),
                                   std::string(kConsistencyFile),
                                   "data/report/report-en.html",
                                   "data/report/report-ar.html",
                                   "data/report/report-en.pdf",
                                   "data/report/report-ar.pdf",
                                   "data/tools/verifying.md",
                                   "data/tools/verify-bag.py"};
  // ---- 2. The key and the checkpoint.
  std::optional<tlog::NoteVerifier> key;
  std::optional<std::string> bag_vkey = Read(kVkeyFile, options.vkey.empty());
  if (!options.vkey.empty()) {
    auto v = tlog::NoteVerifier::FromVkey(Trim(options.vkey));
    if (v.ok()) key = *v;  // checked by VerifyBag before
    r_->key_pinned = true;
    if (bag_vkey && Trim(*bag_vkey) != key->vkey()) {
      Problem(kVkeyFile, "is not the key given (" + key->vkey() + ")");
    }
  } else if (bag_vkey) {
    auto v = tlog::NoteVerifier::FromVkey(Trim(*bag_vkey));
    if (!v.ok()) {
      Problem(kVkeyFile, v.status().message());
    } else {
      key = *v;
      r_->notes.push_back(
          "the key was not pinned: the checkpoint was checked against the bag's own " +
          std::string(kVkeyFile) +
          ", which proves only that the bag is consistent with itself; give the archive's key, "
          "obtained by another channel, with --key");
    }
  }
  if (key) r_->key = key->vkey();
  std::optional<std::string> note = Read(kCheckpointFile, true);
  std::optional<tlog::Checkpoint> head;
  // A key the bag was not signed with fails every checkpoint and every proof for the
  // same reason: said once, with the key the bag was signed with, not once a file.
  bool wrong_key = false;
  if (key && note && r_->key_pinned && bag_vkey && !tlog::OpenNote(*note, {*key}).ok()) {
    auto named = tlog::NoteVerifier::FromVkey(Trim(*bag_vkey));
    if (named.ok() && named->vkey() != key->vkey() && tlog::OpenNote(*note, {*named}).ok()) {
      wrong_key = true;
      r_->other_key = named->name() + "+" + KeyIdHex(*named);
      Problem(kCheckpointFile, "signed by " + r_->other_key + " (the key in " +
                                   std::string(kVkeyFile) + "), not by the key given, " +
                                   key->name() + "+" + KeyIdHex(*key) +
                                   ": nothing in the bag is proved against the key given. Ask "
                                   "the archive's keeper which key is the archive's");
    }
  }
  if (key && note && !wrong_key) head = OpenCheckpoint(kCheckpointFile, *note, *key);
  r_->checkpoint_verified = head.has_value();
  std::optional<BagInfo> bag_info;
  if (auto text = Read("bag-info.txt", false)) bag_info = ParseBagInfo(*text);
  if (bag_info) {
    for (const std::string& label : bag_info->repeated) {
      Problem("bag-info.txt",
              "gives " + label + " twice (an isnad export writes each Isnad-* label once)");
    }
  }
  if (head) {
    r_->checkpoint_size = head->size;
    if (bag_info) {
      const auto& fields = bag_info->fields;
      if (auto it = fields.find("Isnad-Checkpoint-Size");
          it != fields.end() && it->second != std::to_string(head->size)) {
        Problem("bag-info.txt", "Isnad-Checkpoint-Size is " + it->second + " but " +
                                    std::string(kCheckpointFile) + " is of size " +
                                    std::to_string(head->size));
      }
      // People copy the key from here: it must be the one the checkpoint was checked with.
      if (auto it = fields.find("Isnad-Vkey"); it != fields.end() && it->second != key->vkey()) {
        Problem("bag-info.txt", "Isnad-Vkey is " + it->second + ", not the key " + key->vkey() +
                                    " that signed " + std::string(kCheckpointFile));
      }
      if (auto it = fields.find("Isnad-Checkpoint-Root");
          it != fields.end() && it->second != core::Base64Encode(head->root.View())) {
        Problem("bag-info.txt",
                "Isnad-Checkpoint-Root is not the root of " + std::string(kCheckpointFile));
      }
    }
  }

  // ---- 2b. The archive's signature over the payload manifest (export.h): with
  // BagIt's check of that manifest, it vouches for every file in data/ at once, so
  // that an entry or exhibit taken out (manifests remade) cannot pass.
  const std::string statement(kBagStatementName);
  if (!Has(statement)) {
    r_->problems.push_back(
        {statement,
         "absent: the bag is not signed as a whole (exported before isnad signed bags, or "
         "from a copy of the archive without its secret key). Every entry still present is "
         "proved, but an entry taken out of " +
             std::string(kEntriesFile) +
             " could not be noticed, and the titles, statuses and dates of the exhibits' "
             "metadata.json and of the report are not vouched for: read them from the proved "
             "entries, or ask the archive's keeper for a signed export",
         true});
  } else if (key && head) {
    std::optional<std::string> text = Read(statement, true);
    std::optional<std::string> manifest = Read("manifest-sha256.txt", true);
    if (text && manifest) {
      auto opened = tlog::OpenNote(*text, {*key});
      if (!opened.ok()) {
        Problem(statement, "signature: " + opened.status().message());
      } else if (opened->text !=
                 BagStatementText(key->name(), head->size, core::Sha256Of(*manifest))) {
        Problem(statement,
                "does not state this bag's manifest-sha256.txt, checkpoint and origin: a file "
                "under data/ was changed, added or taken out since the archive exported the bag");
      } else {
        r_->signed_as_a_whole = true;
      }
    }
  }

  // ---- 3. Entries and their inclusion proofs.
  std::map<uint64_t, Json> entries;  // leaf -> parsed entry, for those whose proof holds
  if (auto text = Read(kEntriesFile, true)) {
    uint64_t line_no = 0;
    std::optional<uint64_t> last;
    for (std::string_view line : Lines(*text)) {
      ++line_no;
      std::string where = "line " + std::to_string(line_no);
      Json j = Json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        Problem(kEntriesFile, where + ": not a JSON object");
        continue;
      }
      auto leaf = JsonSize(j, "leaf_index");
      auto entry_it = j.find("entry");
      if (!leaf || entry_it == j.end() || !entry_it->is_string() || !j.contains("inclusion")) {
        Problem(kEntriesFile, where + ": needs leaf_index, entry and inclusion");
        continue;
      }
      where += " (entry " + std::to_string(*leaf) + ")";
      if (last && *leaf <= *last) {
        Problem(kEntriesFile, where + ": out of order (after entry " + std::to_string(*last) + ")");
      }
      last = *leaf;
      ++r_->entries;
      const std::string entry = entry_it->get<std::string>();
      auto parsed = catalog::ParseEntry(entry);
      if (!parsed.ok()) {
        Problem(kEntriesFile, where + ": " + parsed.status().message());
        continue;
      }
      auto proof = DecodeProof(j["inclusion"]);
      if (!proof.ok()) {
        Problem(kEntriesFile, where + ": " + proof.status().message());
        continue;
      }
      if (!head) continue;  // nothing to prove against (said above)
      Status holds =
          tlog::VerifyInclusion(*leaf, head->size, tlog::LeafHash(entry), *proof, head->root);
      if (!holds.ok()) {
        Problem(kEntriesFile, where + ": inclusion proof does not hold against the checkpoint (" +
                                  holds.message() + ")");
        continue;
      }
      if ((*parsed).value("type", "") == catalog::kArchiveCreated && key &&
          (*parsed).value("vkey", "") != key->vkey()) {
        Problem(kEntriesFile, where + ": archive.created names another key (" +
                                  (*parsed).value("vkey", "") + ")");
      }
      entries[*leaf] = std::move(*parsed);
      ++r_->entries_proved;
    }
  }

  // ---- 4. Earlier checkpoints and their consistency proofs.
  std::map<uint64_t, std::pair<uint64_t, std::vector<core::Hash>>>
      consistency;  // old -> new, proof
  if (auto text = Read(kConsistencyFile, false)) {
    uint64_t line_no = 0;
    for (std::string_view line : Lines(*text)) {
      ++line_no;
      std::string where = "line " + std::to_string(line_no);
      Json j = Json::parse(line, nullptr, false);
      auto old_size = j.is_object() ? JsonSize(j, "old_size") : std::nullopt;
      auto new_size = j.is_object() ? JsonSize(j, "new_size") : std::nullopt;
      if (!old_size || !new_size || !j.contains("proof")) {
        Problem(kConsistencyFile, where + ": needs old_size, new_size and proof");
        continue;
      }
      auto proof = DecodeProof(j["proof"]);
      if (!proof.ok()) {
        Problem(kConsistencyFile, where + ": " + proof.status().message());
        continue;
      }
      if (!Has(std::string(kCheckpointsDir) + std::to_string(*old_size))) {
        Problem(kConsistencyFile, where + ": no checkpoint " + std::string(kCheckpointsDir) +
                                      std::to_string(*old_size));
      }
      consistency[*old_size] = {*new_size, std::move(*proof)};
    }
  }
  std::map<uint64_t, std::string> checkpoint_files;  // size -> bag path, N included
  if (head) checkpoint_files[head->size] = std::string(kCheckpointFile);
  for (const std::string& f : files_) {
    if (!StartsWith(f, kCheckpointsDir)) continue;
    vouched.insert(f);  // checked below, or reported
    auto size = ParseHistoryName(std::string_view(f).substr(kCheckpointsDir.size()));
    if (!size) {
      Problem(f, "not a checkpoint size");
      continue;
    }
    ++r_->checkpoints;
    auto text = Read(f, true);
    if (!text || !key || wrong_key) continue;
    auto cp = OpenCheckpoint(f, *text, *key);
    if (!cp) continue;
    if (cp->size != *size) {
      Problem(f, "is a checkpoint of size " + std::to_string(cp->size));
      continue;
    }
    checkpoint_files[*size] = f;
    if (!head) continue;
    auto it = consistency.find(*size);
    if (it == consistency.end()) {
      Problem(f, "no consistency proof for it in " + std::string(kConsistencyFile));
      continue;
    }
    if (it->second.first != head->size) {
      Problem(kConsistencyFile, "the proof from " + std::to_string(*size) + " is to size " +
                                    std::to_string(it->second.first) +
                                    ", not to the checkpoint's " + std::to_string(head->size));
      continue;
    }
    Status holds =
        tlog::VerifyConsistency(*size, head->size, it->second.second, cp->root, head->root);
    if (!holds.ok()) {
      Problem(f, "not consistent with " + std::string(kCheckpointFile) + ": the proof in " +
                     std::string(kConsistencyFile) + " does not hold (" + holds.message() + ")");
    }
  }

  // ---- 5. Timestamp tokens over the checkpoints. An export writes each token the
  // archive recorded as timestamps/<checkpoint size>-<k>.tst, with its timestamp.added
  // entry; nothing else is ever in timestamps/.
  bool any_token = false;
  std::set<std::pair<uint64_t, std::string>> tokens;  // (checkpoint size, SHA-256) of each
  for (const std::string& f : files_) {
    if (!StartsWith(f, kTimestampsDir)) continue;
    vouched.insert(f);  // checked below, or reported
    std::string_view name = std::string_view(f).substr(kTimestampsDir.size());
    size_t dash = name.find('-');
    const bool tst = name.size() > 4 && name.substr(name.size() - 4) == ".tst";
    const std::optional<uint64_t> parsed = dash == std::string_view::npos || !tst
                                               ? std::nullopt
                                               : ParseHistoryName(name.substr(0, dash));
    if (!parsed.has_value() ||
        !ParseHistoryName(name.substr(dash + 1, name.size() - 4 - (dash + 1))).has_value()) {
      Problem(f, "not part of an isnad export, which writes no file in " +
                     std::string(kTimestampsDir) +
                     " but tokens named <checkpoint size>-<k>.tst: nothing vouches for it "
                     "(added after the export?)");
      continue;
    }
    const uint64_t size = parsed.value_or(0);
    ++r_->timestamps;
    any_token = true;
    auto der = Read(f, true);
    if (!der) continue;
    const std::string token_hex = core::Sha256Of(*der).Hex();
    tokens.insert({size, token_hex});
    std::string cp_path = head && size == head->size
                              ? std::string(kCheckpointFile)
                              : std::string(kCheckpointsDir) + std::to_string(size);
    auto cp_bytes = Read(cp_path, false);
    if (!cp_bytes) {
      Problem(f, "covers checkpoint " + std::to_string(size) + ", which is not in the bag (" +
                     cp_path + ")");
      continue;
    }
    tsa::VerifyOptions vo;
    vo.roots_pem = options.tsa_roots_pem;
    auto info = tsa::Verify(*der, core::Sha256Of(*cp_bytes), vo);
    if (!info.ok()) {
      Problem(f, "RFC 3161 token over " + cp_path + ": " + info.status().message());
      continue;
    }
    // The archive recorded the token it got: a timestamp.added entry names its
    // hash, and what it says of the token is what the token says (the report
    // prints the entry's genTime).
    bool recorded = false;
    for (const auto& [leaf, e] : entries) {
      if (e.value("type", "") == catalog::kTimestampAdded &&
          e.value("token_sha256", "") == token_hex &&
          e.value("checkpoint_size", uint64_t{0}) == size) {
        recorded = true;
        if (e.value("gen_time", "") != info->gen_time ||
            e.value("checkpoint_sha256", "") != core::Sha256Of(*cp_bytes).Hex()) {
          Problem(f, "the timestamp.added entry of log index " + std::to_string(leaf) +
                         " says genTime " + e.value("gen_time", "") + " and checkpoint sha256 " +
                         e.value("checkpoint_sha256", "") + "; the token says " + info->gen_time +
                         " over " + core::Sha256Of(*cp_bytes).Hex());
        }
      }
    }
    if (!recorded) {
      r_->problems.push_back(
          {f, "valid, but no timestamp.added entry in " + std::string(kEntriesFile) + " records it",
           /*warning=*/true});
    }
  }
  // A bag carries the timestamp.added entry of its tokens only, so each proved one
  // names a token of the bag: one removed (and the manifests remade) is missing evidence.
  for (const auto& [leaf, e] : entries) {
    if (e.value("type", "") != catalog::kTimestampAdded) continue;
    const uint64_t size = e.value("checkpoint_size", uint64_t{0});
    const std::string hex = e.value("token_sha256", "");
    if (tokens.contains({size, hex})) continue;
    Problem(kTimestampsDir, "missing: the bag's custody entry " + std::to_string(leaf) +
                                " (timestamp.added) records a token over checkpoint " +
                                std::to_string(size) + " with SHA-256 " + hex +
                                ", but the bag holds no such " + std::string(kTimestampsDir) +
                                std::to_string(size) + "-<k>.tst");
  }
  if (any_token && options.tsa_roots_pem.empty()) {
    r_->notes.push_back(
        "the timestamp tokens' signatures were checked with the certificates they carry, but their "
        "chains were not checked against trusted roots; give the authorities' root certificates "
        "with --tsa-roots");
  }

  // Long notes stored by hash, each named by a proved note.added entry.
  std::set<std::string> note_files, named_notes;
  for (const auto& [leaf, e] : entries) {
    if (e.value("type", "") == catalog::kNoteAdded && e.contains("text_sha256")) {
      named_notes.insert(std::string(kNotesDir) + e.value("text_sha256", "") + ".txt");
    }
  }
  note_files = named_notes;
  for (const std::string& f : files_) {
    if (StartsWith(f, kNotesDir)) note_files.insert(f);
  }
  for (const std::string& f : note_files) {
    vouched.insert(f);
    auto text = Read(f, true);
    if (!text) continue;
    std::string name = f.substr(kNotesDir.size());
    if (name.size() != 68 || name.substr(64) != ".txt" ||
        core::Sha256Of(*text).Hex() != name.substr(0, 64)) {
      Problem(f, "its text does not hash to its name");
    } else if (!named_notes.contains(f) && head) {
      Problem(f, "no note.added entry in " + std::string(kEntriesFile) +
                     " names this text: nothing in the custody log vouches for it");
    }
  }

  // What media analyses read, stored by hash: each file and each blob an
  // included item.analyzed entry names.
  std::set<std::string> analysis_hashes;
  for (const auto& [leaf, e] : entries) {
    if (e.value("type", "") != catalog::kItemAnalyzed) continue;
    for (const char* m : {"metadata_sha256", "text_sha256", "frames_sha256"}) {
      if (e.contains(m)) analysis_hashes.insert(e.value(m, ""));
    }
  }
  const std::set<std::string> named_analyses = analysis_hashes;
  for (const std::string& f : files_) {
    if (!StartsWith(f, kAnalysisDir)) continue;
    vouched.insert(f);
    auto bytes = Read(f, true);
    if (!bytes) continue;
    std::string hex = f.substr(kAnalysisDir.size(), 64);
    if (core::Sha256Of(*bytes).Hex() != hex) {
      Problem(f, "its bytes do not hash to its name");
    } else if (!named_analyses.contains(hex) && head) {
      Problem(f, "no item.analyzed entry in " + std::string(kEntriesFile) +
                     " names these bytes: nothing in the custody log vouches for them");
    }
    analysis_hashes.erase(hex);
  }
  for (const std::string& hex : analysis_hashes) {
    Problem(std::string(kAnalysisDir) + hex + "…",
            "an analysis entry names this file, but the bag does not hold it");
  }

  // Media extractions (capture.extracted): each item one names is an exhibit of
  // the bag, with a proved item.ingested entry of the SHA-256 it names; the page
  // capture it refers to, when in the bag, is a capture.recorded of the same URL.
  for (const auto& [leaf, e] : entries) {
    if (e.value("type", "") != catalog::kCaptureExtracted) continue;
    const std::string where = "entry " + std::to_string(leaf) + " (capture.extracted)";
    for (const auto& [member, digest] :
         {std::pair<const char*, const char*>{"media", "media_sha256"}, {"info", "info_sha256"}}) {
      if (!e.contains(member)) continue;
      const std::string id = e.value(member, "");
      auto item_leaf = catalog::ParseItemId(id);
      auto ingested = item_leaf ? entries.find(*item_leaf) : entries.end();
      if (ingested == entries.end() ||
          ingested->second.value("type", "") != catalog::kItemIngested) {
        Problem(kEntriesFile, where + ": its " + std::string(member) + " is " + id +
                                  ", but the bag holds no proved item.ingested entry for it");
        continue;
      }
      if (ingested->second.value("sha256", "") != e.value(digest, "")) {
        Problem(kEntriesFile, where + ": its " + std::string(digest) +
                                  " is not the sha256 of item " + id + "'s entry");
      }
      const std::string dir = std::string(kExhibitsDir) + id + "/";
      if (!Has(dir + "metadata.json")) {
        Problem(dir, "missing: " + where + " names it as its " + std::string(member));
      }
    }
    auto c = e.contains("capture") && e["capture"].is_number_unsigned()
                 ? entries.find(e["capture"].get<uint64_t>())
                 : entries.end();
    if (c != entries.end()) {
      if (c->second.value("type", "") != catalog::kCaptureRecorded ||
          c->second.value("url", "") != e.value("url", "")) {
        Problem(kEntriesFile, where + ": entry " + std::to_string(c->first) +
                                  ", which it names as its capture, is not a capture.recorded "
                                  "of the same URL");
      }
    }
  }

  // ---- 6. Every exhibit against its item.ingested entry.
  std::set<std::string> exhibit_ids;
  for (const std::string& f : files_) {
    if (!StartsWith(f, kExhibitsDir)) continue;
    std::string rest = f.substr(kExhibitsDir.size());
    size_t slash = rest.find('/');
    if (slash == std::string::npos) {
      Problem(f, "not inside an exhibit's folder");
      continue;
    }
    exhibit_ids.insert(rest.substr(0, slash));
  }
  for (const std::string& id : exhibit_ids) {
    const std::string dir = std::string(kExhibitsDir) + id + "/";
    ++r_->exhibits;
    auto leaf = catalog::ParseItemId(id);
    if (!leaf) {
      Problem(dir, "not an item id");
      continue;
    }
    vouched.insert(dir + "metadata.json");
    auto meta_text = Read(dir + "metadata.json", true);
    if (!meta_text) continue;
    Json meta = Json::parse(*meta_text, nullptr, false);
    if (meta.is_discarded() || !meta.is_object() || !meta.contains("file") ||
        !meta["file"].is_string()) {
      Problem(dir + "metadata.json", "not a JSON object with \"file\"");
      continue;
    }
    const std::string file = dir + meta["file"].get<std::string>();
    vouched.insert(file);
    if (!Has(file)) {
      Problem(file, "missing (named by " + dir + "metadata.json)");
      continue;
    }
    auto e = entries.find(*leaf);
    if (e == entries.end() || e->second.value("type", "") != catalog::kItemIngested) {
      // With no verified checkpoint nothing is proved; that is said once, below.
      if (head) {
        Problem(file, "no proved item.ingested entry " + std::to_string(*leaf) + " in " +
                          std::string(kEntriesFile) + " for " + id);
      }
      continue;
    }
    // The entries the export listed for this exhibit are in the bag: one taken
    // out (manifests remade, and with the statement gone) is missed otherwise.
    if (auto listed = meta.find("custody_entries"); head && listed != meta.end()) {
      if (!listed->is_array()) {
        Problem(dir + "metadata.json", "custody_entries is not a list of entry indices");
      }
      for (const Json& n : listed->is_array() ? *listed : Json::array()) {
        if (n.is_number_unsigned() && entries.contains(n.get<uint64_t>())) continue;
        Problem(dir + "metadata.json",
                "names custody entry " + n.dump() + ", but " + std::string(kEntriesFile) +
                    " holds no proved entry of that index: it was taken out of the bag, or its "
                    "proof failed (above)");
      }
    }
    const std::string want = e->second.value("sha256", "");
    if (meta.value("sha256", "") != want) {
      Problem(dir + "metadata.json", "sha256 is not that of entry " + std::to_string(*leaf));
    }
    // The SHA-256 of the bytes as BagIt validation read them (which step 1 also
    // compared with the manifest), not the manifest's text read a second time.
    auto m = sha256.find(file);
    if (m == sha256.end()) {
      Problem(file, "not in manifest-sha256.txt");
    } else if (m->second != want) {
      Problem(file, "its bytes hash to " + m->second + " (as in manifest-sha256.txt), but its " +
                        "custody entry " + std::to_string(*leaf) + " records " + want);
    }
  }
  // A bag carries the item.ingested entry of its exhibits only, so each one names an
  // exhibit: a folder removed (and the manifests remade to match) is missing evidence.
  for (const auto& [leaf, j] : entries) {
    if (j.value("type", "") != catalog::kItemIngested) continue;
    const std::string id = catalog::ItemId(leaf);
    if (exhibit_ids.contains(id)) continue;
    Problem(std::string(kExhibitsDir) + id + "/",
            "missing: the bag's custody entry " + std::to_string(leaf) +
                " (item.ingested) records this exhibit, but its folder is not in the bag");
  }
  // An export keeps a link of items to the case (or incident), and a case
  // event's documents, only when every item it names is an exhibit (bag.md):
  // an item such a proved entry names whose folder is gone was removed, even
  // with its item.ingested entry and the signed statement taken out too.
  // An item taken out of the case or incident later, by an entry in the bag
  // (case.unlinked, incident.unlinked), is rightly not an exhibit.
  // A case event withdrawn by an entry in the bag (case.event_withdrawn) is rightly
  // there without its documents.
  std::map<std::pair<std::string, std::string>, uint64_t> withdrawn;  // (owner, item) -> last
  std::map<std::string, uint64_t> events_withdrawn;  // "ev20" -> the withdrawal's leaf
  for (const auto& [leaf, j] : entries) {
    const std::string type = j.value("type", "");
    if (type == catalog::kCaseEventWithdrawn) events_withdrawn[j.value("event", "")] = leaf;
    const char* owner = type == catalog::kCaseUnlinked       ? "case"
                        : type == catalog::kIncidentUnlinked ? "incident"
                                                             : nullptr;
    if (owner == nullptr || !j.contains("items") || !j["items"].is_array()) continue;
    for (const Json& item : j["items"]) {
      if (item.is_string()) withdrawn[{j.value(owner, ""), item.get<std::string>()}] = leaf;
    }
  }
  for (const auto& [leaf, j] : entries) {
    const std::string type = j.value("type", "");
    const char* member = type == catalog::kCaseLinked || type == catalog::kIncidentLinked ? "items"
                         : type == catalog::kCaseEvent ? "documents"
                                                       : nullptr;
    if (member == nullptr || !j.contains(member) || !j[member].is_array()) continue;
    if (auto w = events_withdrawn.find("ev" + std::to_string(leaf));
        type == catalog::kCaseEvent && w != events_withdrawn.end() && w->second > leaf) {
      continue;
    }
    const std::string owner =
        j.value(type == catalog::kIncidentLinked ? "incident" : "case", std::string());
    for (const Json& item : j[member]) {
      const std::string id = item.is_string() ? item.get<std::string>() : "";
      if (id.empty() || exhibit_ids.contains(id)) continue;
      if (auto w = withdrawn.find({owner, id});
          member[0] == 'i' && w != withdrawn.end() && w->second > leaf) {
        continue;
      }
      Problem(std::string(kExhibitsDir) + id + "/",
              "missing: the bag's custody entry " + std::to_string(leaf) + " (" + type +
                  ") names " + id + " as an exhibit, but its folder is not in the bag");
    }
  }
  if (r_->exhibits == 0) Problem(kExhibitsDir, "the bag holds no exhibit");
  if (!head && r_->exhibits > 0) {
    Problem(kExhibitsDir, "none of the " + std::to_string(r_->exhibits) +
                              " exhibit(s) is proved: " + std::string(kCheckpointFile) +
                              " was not verified (above), so no custody entry is");
  }
  // Anything else under data/ was not written by an export (or not checked above):
  // a file planted in an exhibit's folder, with the manifests remade, would
  // otherwise pass as part of the case file.
  for (const std::string& f : files_) {
    if (!StartsWith(f, "data/")) {
      // Beside data/: only what BagIt itself defines (each read by step 1). Any other
      // tag file (a "READ-ME-FIRST.txt" beside bagit.txt) is covered by nothing.
      const bool manifest = f.find('/') == std::string::npos &&
                            (StartsWith(f, "manifest-") || StartsWith(f, "tagmanifest-")) &&
                            f.size() > 4 && f.substr(f.size() - 4) == ".txt";
      if (f == "bagit.txt" || f == "bag-info.txt" || manifest || f == statement) continue;
      Problem(f,
              "not part of an isnad export (which writes no tag file but bagit.txt, "
              "bag-info.txt, the manifests and " +
                  statement + "): nothing vouches for it (added after the export?)");
      continue;
    }
    if (vouched.contains(f)) continue;
    if (StartsWith(f, kExhibitsDir) && f.find('/', kExhibitsDir.size()) == std::string::npos) {
      continue;  // reported above: not inside an exhibit's folder
    }
    const std::string base = f.substr(f.rfind('/') + 1);
    if (base == "Thumbs.db" || base == "desktop.ini" || base == ".DS_Store" ||
        (base.size() > 2 && StartsWith(base, "._"))) {
      continue;  // left by an operating system: BagIt validation warned of it
    }
    Problem(f,
            "not part of an isnad export: no custody entry or proof vouches for it (added "
            "after the export?)");
  }
}

}  // namespace

StatusOr<BagVerifyReport> VerifyBag(const std::string& path, const BagVerifyOptions& options) {
  if (!options.vkey.empty()) {
    auto v = tlog::NoteVerifier::FromVkey(Trim(options.vkey));
    if (!v.ok()) return v.status().WithContext("--key");
  }
  ISNAD_ASSIGN_OR_RETURN(std::unique_ptr<bag::Bag> b, bag::Bag::Open(path));
  BagVerifyReport r;
  // ---- 1. BagIt.
  ISNAD_ASSIGN_OR_RETURN(bag::Report bagit, bag::Validate(*b));
  r.bagit_version = bagit.version;
  r.payload_files = bagit.payload_files;
  r.payload_bytes = bagit.payload_bytes;
  r.problems = std::move(bagit.problems);
  Checker checker(*b, &r);
  for (const auto& f : b->Files()) {
    if (StartsWith(f, kCustody)) {
      r.custody = true;
      break;
    }
  }
  if (!r.custody && !options.vkey.empty()) {
    // A key was given to check custody evidence against: a bag stripped of it (and
    // its manifests remade) must not pass as merely "a BagIt bag".
    r.problems.push_back({std::string(kCustody),
                          "missing: a key was given (--key), but the bag holds no custody "
                          "evidence to check against it; an isnad export always has "
                          "data/custody/",
                          false});
    return r;
  }
  if (!r.custody) {
    r.notes.push_back(
        "no data/custody/: not an isnad export, so it was checked as a BagIt bag only (no "
        "signatures or proofs to check)");
    return r;
  }
  // BagIt 0.97's "Serialization" (draft-kunze-bagit-14; RFC 8493 has no such
  // section): a serialization holds the bag's folder and nothing else. A third-party
  // bag is only warned of that; beside an isnad export it is content nothing vouches
  // for, unpacked next to the case file.
  for (bag::Problem& p : r.problems) {
    if (p.warning && p.file.empty() &&
        p.what.find("lie outside the bag's folder") != std::string::npos) {
      p.warning = false;
      p.what += "; an isnad export holds nothing else (BagIt 0.97, \"Serialization\")";
    }
  }
  checker.Custody(options, bagit.sha256);
  return r;
}

StatusOr<BagVerifyReport> VerifyBag(const std::string& path, const std::string& vkey) {
  BagVerifyOptions o;
  o.vkey = vkey;
  return VerifyBag(path, o);
}

}  // namespace isnad::archive
