// Validate: RFC 8493 (BagIt 1.0) and the drafts before it (0.93-0.97), as
// docs/design/bagit.md describes: what is an error, what a warning, and why.
#include <unicode/ucnv.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bag/bag.h"
#include "bag/internal.h"
#include "core/encoding.h"
#include "core/utf8.h"

namespace isnad::bag {

using core::Status;
using core::StatusOr;
using internal::Alg;

namespace {

constexpr uint64_t kTagFileMax = uint64_t{1} << 30;  // manifests of millions of files

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "M.N" with digits on both sides.
std::optional<std::pair<int, int>> ParseVersion(std::string_view v) {
  const size_t dot = v.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string_view a = v.substr(0, dot), b = v.substr(dot + 1);
  if (!AllDigits(a) || !AllDigits(b) || a.size() > 4 || b.size() > 4) return std::nullopt;
  return std::make_pair(std::stoi(std::string(a)), std::stoi(std::string(b)));
}

// `s` in quotes, with terminal controls and bidi overrides escaped (core::Printable):
// a bag's names and lines are its sender's, and reach the user's terminal.
std::string Quote(std::string_view s) { return "\"" + core::Printable(s) + "\""; }

struct Expect {
  Alg alg;
  std::string hex;       // lower case
  std::string manifest;  // where it is listed
};

struct ManifestFile {
  std::string name;
  Alg alg;
  bool tag;
  std::vector<char> lists;  // per file index: listed here
  std::set<std::string> paths;
};

class Validator {
 public:
  Validator(const Bag& bag, Report& report)
      : bag_(bag),
        report_(report),
        files_(bag.Files()),
        expect_(files_.size()),
        listed_anywhere_(files_.size(), 0) {
    for (uint32_t i = 0; i < files_.size(); ++i) index_[files_[i]] = i;
  }

  Status Run() {
    for (const Problem& p : bag_.OpenProblems()) report_.problems.push_back(p);
    ISNAD_RETURN_IF_ERROR(ReadDeclaration());
    ISNAD_RETURN_IF_ERROR(ReadBagInfo());
    ISNAD_RETURN_IF_ERROR(ReadManifests());
    ISNAD_RETURN_IF_ERROR(ReadFetch());
    CheckCoverage();
    ISNAD_RETURN_IF_ERROR(HashAll());
    CompareDigests();
    CheckFetchLengths();
    CheckOxum();
    CheckNames();
    // Every text is the user's to read on a terminal, and names the bag's sender chose
    // (archive entries, link targets, read errors) are in some: escape their controls.
    for (Problem& p : report_.problems) p.what = core::Printable(p.what);
    return Status::Ok();
  }

 private:
  void Error(const std::string& file, std::string what) {
    report_.problems.push_back({file, std::move(what), false});
  }
  void Warn(const std::string& file, std::string what) {
    report_.problems.push_back({file, std::move(what), true});
  }
  // An RFC 8493 MUST that the drafts before 1.0 did not have: an error in a
  // 1.0 bag, a warning in an older one.
  void ErrorIn1(const std::string& file, std::string what) {
    if (v1_) {
      Error(file, std::move(what));
    } else {
      Warn(file, std::move(what) + " (accepted in BagIt " + report_.version + ")");
    }
  }
  bool Has(const std::string& rel) const { return index_.count(rel) > 0; }
  bool AtLeast(int major, int minor) const {
    return version_.first > major || (version_.first == major && version_.second >= minor);
  }

  // -- bagit.txt (RFC 8493 §2.1.1) -------------------------------------------
  Status ReadDeclaration() {
    const std::string name = "bagit.txt";
    if (!Has(name)) {
      Error(name, "is missing: this is not a bag (RFC 8493 §2.1.1)");
      return Status::Ok();
    }
    StatusOr<std::string> read = bag_.ReadFile(name, 1 << 20);
    if (!read.ok() && read.status().code() == core::Code::kResourceExhausted) {
      Error(name, "is over 1 MiB; a bag declaration is two short lines");
      return Status::Ok();
    }
    if (!read.ok()) return read.status();
    const std::string& text = *read;
    std::string_view t = text;
    if (t.substr(0, 3) == "\xEF\xBB\xBF") {
      Error(name, "begins with a byte-order mark, which RFC 8493 §2.1.1 forbids");
      t.remove_prefix(3);
    }
    // Fields first, then the version, which decides how strict the rest is.
    struct Field {
      size_t line;
      std::string_view raw, label, value;
    };
    std::vector<Field> fields;
    std::vector<std::string_view> lines = internal::SplitLines(t);
    std::optional<std::string> version, encoding;
    for (size_t i = 0; i < lines.size(); ++i) {
      std::string_view line = lines[i];
      if (TrimSpace(line).empty()) {
        Warn(name, "has an empty line " + std::to_string(i + 1));
        continue;
      }
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) {
        Error(name, "line " + std::to_string(i + 1) + " is not \"Label: value\": " + Quote(line));
        continue;
      }
      Field f{i + 1, line, line.substr(0, colon), line.substr(colon + 1)};
      const std::string label = core::AsciiLower(TrimSpace(f.label));
      if (label == "bagit-version" && !version) version = std::string(TrimSpace(f.value));
      if (label == "tag-file-character-encoding" && !encoding) {
        encoding = std::string(TrimSpace(f.value));
      }
      fields.push_back(f);
    }
    if (version) {
      report_.version = *version;
      static const std::set<std::string> kKnown = {"0.93", "0.94", "0.95", "0.96", "0.97", "1.0"};
      auto v = ParseVersion(*version);
      if (!v) {
        Error(name, "BagIt-Version " + Quote(*version) + " is not of the form M.N");
      } else if (!kKnown.count(*version)) {
        Error(name, "BagIt-Version " + *version +
                        " is not one isnad can check (0.93 to 0.97, and 1.0); checked as 1.0");
      } else {
        version_ = *v;
        v1_ = AtLeast(1, 0);
      }
    }
    bool seen_version = false, seen_encoding = false;
    for (size_t k = 0; k < fields.size(); ++k) {
      const Field& f = fields[k];
      const std::string at = "line " + std::to_string(f.line);
      if (f.label != TrimSpace(f.label)) {
        // Invalid in every version (the conformance suite's 0.97 and 1.0 bags).
        Error(name, at +
                        " has whitespace around the label before ':' (RFC 8493 §2.1.1 is "
                        "exactly \"BagIt-Version: M.N\"): " +
                        Quote(f.raw));
      }
      std::string_view value = f.value;
      if (value.empty() || !IsSpace(value.front())) {
        ErrorIn1(name, at + " has no space after ':': " + Quote(f.raw));
      } else {
        value.remove_prefix(1);
        if (!value.empty() && IsSpace(value.front())) {
          Warn(name, at + " has more than one space after ':': " + Quote(f.raw));
        }
      }
      if (!value.empty() && IsSpace(value.back())) {
        Warn(name, at + " has trailing whitespace: " + Quote(f.raw));
      }
      const std::string label = core::AsciiLower(TrimSpace(f.label));
      if (label == "bagit-version" && !seen_version) {
        seen_version = true;
        if (k != 0) ErrorIn1(name, "BagIt-Version is not the first line (RFC 8493 §2.1.1)");
      } else if (label == "tag-file-character-encoding" && !seen_encoding) {
        seen_encoding = true;
        if (k != 1) {
          ErrorIn1(name, "Tag-File-Character-Encoding is not the second line (RFC 8493 §2.1.1)");
        }
      } else {
        ErrorIn1(name,
                 at + " is neither BagIt-Version nor Tag-File-Character-Encoding: " + Quote(f.raw));
      }
    }
    if (!version) Error(name, "has no BagIt-Version line (RFC 8493 §2.1.1)");
    if (!encoding) {
      Error(name, "has no Tag-File-Character-Encoding line (RFC 8493 §2.1.1)");
    } else if (core::AsciiLower(*encoding) != "utf-8") {
      UErrorCode err = U_ZERO_ERROR;
      UConverter* conv = ucnv_open(encoding->c_str(), &err);
      if (U_FAILURE(err) || conv == nullptr) {
        Error(name, "Tag-File-Character-Encoding " + Quote(*encoding) +
                        " is not an encoding isnad knows; the tag files cannot be read");
        encoding_unknown_ = true;
      } else {
        ucnv_close(conv);
        encoding_ = *encoding;
        Warn(name, "Tag-File-Character-Encoding is " + *encoding +
                       "; RFC 8493 §2.1.1 says it SHOULD be UTF-8");
      }
    }
    return Status::Ok();
  }

  // A tag file as UTF-8 text (decoded from the declared encoding), or nullopt
  // after reporting why it cannot be.
  StatusOr<std::optional<std::string>> ReadTagText(const std::string& name) {
    StatusOr<std::string> read = bag_.ReadFile(name, kTagFileMax);
    if (!read.ok() && read.status().code() == core::Code::kResourceExhausted) {
      Error(name, "is over 1 GiB; isnad does not read tag files that large");
      return std::optional<std::string>();
    }
    if (!read.ok()) return read.status();
    std::string raw = std::move(read).value();
    if (encoding_unknown_) return std::optional<std::string>();
    if (encoding_.empty()) {
      if (raw.compare(0, 3, "\xEF\xBB\xBF") == 0) {
        ErrorIn1(name,
                 "begins with a byte-order mark, which RFC 8493 §2.3 forbids in UTF-8 "
                 "tag files");
        raw.erase(0, 3);
      }
      return std::optional<std::string>(std::move(raw));
    }
    UErrorCode err = U_ZERO_ERROR;
    UConverter* conv = ucnv_open(encoding_.c_str(), &err);
    if (U_FAILURE(err) || conv == nullptr) return std::optional<std::string>();
    icu::UnicodeString text(raw.data(), static_cast<int32_t>(raw.size()), conv, err);
    ucnv_close(conv);
    if (U_FAILURE(err)) {
      Error(name, "cannot be decoded as " + encoding_);
      return std::optional<std::string>();
    }
    if (text.length() > 0 && text.charAt(0) == 0xFEFF) text.remove(0, 1);
    std::string out;
    text.toUTF8String(out);
    return std::optional<std::string>(std::move(out));
  }

  // -- bag-info.txt (RFC 8493 §2.2.2) ----------------------------------------
  Status ReadBagInfo() {
    std::string name = AtLeast(0, 95) ? "bag-info.txt" : "package-info.txt";
    if (!Has(name) && !AtLeast(0, 95) && Has("bag-info.txt")) name = "bag-info.txt";
    if (!Has(name)) return Status::Ok();
    ISNAD_ASSIGN_OR_RETURN(std::optional<std::string> text, ReadTagText(name));
    if (!text) return Status::Ok();
    auto& info = report_.bag_info;
    std::vector<std::string_view> lines = internal::SplitLines(*text);
    for (size_t i = 0; i < lines.size(); ++i) {
      std::string_view line = lines[i];
      const std::string where = "line " + std::to_string(i + 1);
      if (TrimSpace(line).empty()) continue;
      if (IsSpace(line.front())) {
        if (info.empty()) {
          Error(name, where + " is a continuation line with no label before it");
        } else {
          info.back().second += " ";
          info.back().second += TrimSpace(line);
        }
        continue;
      }
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) {
        Error(name, where + " is not \"Label: value\": " + Quote(line));
        continue;
      }
      std::string_view label = line.substr(0, colon);
      if (label != TrimSpace(label) && v1_) {
        Warn(name, where + ": the label " + Quote(label) +
                       " ends with whitespace (RFC 8493 §2.2.2 allows it only before 1.0)");
      }
      info.emplace_back(std::string(TrimSpace(label)),
                        std::string(TrimSpace(line.substr(colon + 1))));
    }
    std::map<std::string, int> count;
    for (const auto& [label, value] : info) ++count[core::AsciiLower(label)];
    for (const char* once : {"bagging-date", "bag-size", "bag-group-identifier", "bag-count"}) {
      if (count[once] > 1)
        Warn(name, std::string(once) + " is repeated; RFC 8493 §2.2.2 says it SHOULD NOT be");
    }
    if (count["payload-oxum"] > 1) {
      Error(name, "Payload-Oxum appears " + std::to_string(count["payload-oxum"]) +
                      " times; RFC 8493 §2.2.2 says it MUST NOT be repeated");
    }
    for (const auto& [label, value] : info) {
      if (core::AsciiLower(label) != "payload-oxum") continue;
      const size_t dot = value.find('.');
      if (dot == std::string::npos || !AllDigits(value.substr(0, dot)) ||
          !AllDigits(value.substr(dot + 1)) || dot > 19 || value.size() - dot - 1 > 19) {
        Error(name, "Payload-Oxum " + Quote(value) + " is not OctetCount.StreamCount");
      } else {
        oxum_.push_back({std::stoull(value.substr(0, dot)), std::stoull(value.substr(dot + 1))});
      }
    }
    info_name_ = name;
    return Status::Ok();
  }

  // -- manifests (RFC 8493 §2.1.3, §2.2.1) -----------------------------------

  // Decodes and checks one manifest or fetch.txt path; nullopt when unusable.
  std::optional<std::string> CleanPath(const std::string& where, std::string_view raw,
                                       bool allow_star) {
    std::string path(raw);
    if (allow_star && !path.empty() && path.front() == '*') {
      Warn(where, "marks " + Quote(path.substr(1)) +
                      " with '*' (the binary-mode marker of md5sum-style tools); read as the "
                      "path without it");
      path.erase(0, 1);
    }
    if (AtLeast(0, 96)) path = internal::PercentDecodePath(path);
    if (path.rfind("./", 0) == 0) {
      Warn(where, "lists " + Quote(path) +
                      " with a './' relative-path marker (RFC 8493 paths "
                      "are relative to the bag root without one)");
      while (path.rfind("./", 0) == 0) path.erase(0, 2);
    }
    if (auto why = internal::EscapeReason(path)) {
      Error(where, "lists " + Quote(path) + ": " + *why +
                       " would reach outside the bag (RFC 8493 "
                       "§5.1); not read");
      return std::nullopt;
    }
    return path;
  }

  // The file a listed path names: itself, or the one file whose name differs
  // only in Unicode normalisation (a bag made on macOS, read elsewhere).
  std::optional<uint32_t> Resolve(const std::string& where, const std::string& path) {
    auto it = index_.find(path);
    if (it != index_.end()) return it->second;
    if (nfc_index_.empty()) {
      for (uint32_t i = 0; i < files_.size(); ++i) {
        nfc_index_[internal::NormalizeName(files_[i], false)].push_back(i);
      }
    }
    auto n = nfc_index_.find(internal::NormalizeName(path, false));
    if (n != nfc_index_.end() && n->second.size() == 1) {
      Warn(files_[n->second[0]], "is listed in " + where + " as " + Quote(path) +
                                     ", which differs only in Unicode normalisation");
      return n->second[0];
    }
    return std::nullopt;
  }

  Status ReadManifests() {
    for (const std::string& f : files_) {
      if (f.find('/') != std::string::npos) continue;
      bool tag = false;
      std::string_view alg_name;
      if (f.rfind("tagmanifest-", 0) == 0 && f.size() > 16 && f.substr(f.size() - 4) == ".txt") {
        tag = true;
        alg_name = std::string_view(f).substr(12, f.size() - 16);
      } else if (f.rfind("manifest-", 0) == 0 && f.size() > 13 &&
                 f.substr(f.size() - 4) == ".txt") {
        alg_name = std::string_view(f).substr(9, f.size() - 13);
      } else {
        continue;
      }
      std::optional<Alg> alg = internal::AlgFromName(alg_name);
      if (!alg) {
        Warn(f, "uses the algorithm " + Quote(alg_name) +
                    ", which isnad does not support (md5, sha1, sha224, sha256, sha384, sha512); "
                    "its checksums are not checked");
        continue;
      }
      ISNAD_ASSIGN_OR_RETURN(std::optional<std::string> text, ReadTagText(f));
      if (!text) continue;
      ManifestFile m{f, *alg, tag, std::vector<char>(files_.size(), 0), {}};
      ParseManifest(m, *text);
      if (tag) {
        tag_manifests_.push_back(std::move(m));
      } else {
        report_.payload_algorithms.emplace_back(alg_name);
        manifests_.push_back(std::move(m));
      }
    }
    if (manifests_.empty()) {
      Error("",
            "has no payload manifest (manifest-<algorithm>.txt) that isnad can check; RFC 8493 "
            "§2.1.3 requires at least one");
    }
    bool strong = false;
    for (const ManifestFile& m : manifests_) {
      strong = strong || m.alg == Alg::kSha256 || m.alg == Alg::kSha512;
    }
    if (!manifests_.empty() && !strong) {
      Warn("", "has only " + report_.payload_algorithms.front() +
                   (manifests_.size() > 1 ? " and weaker" : "") +
                   " payload manifests; RFC 8493 §2.4 says bags SHOULD use SHA-512 or SHA-256");
    }
    if (v1_) {
      for (const ManifestFile& t : tag_manifests_) {
        for (const ManifestFile& m : manifests_) {
          if (!t.paths.count(m.name)) {
            Warn(t.name, "does not list the payload manifest " + m.name + " (RFC 8493 §2.2.1)");
          }
        }
      }
    }
    return Status::Ok();
  }

  void ParseManifest(ManifestFile& m, const std::string& text) {
    std::map<std::string, std::string> seen;  // path -> checksum
    const size_t want = internal::AlgHexLength(m.alg);
    std::vector<std::string_view> lines = internal::SplitLines(text);
    for (size_t i = 0; i < lines.size(); ++i) {
      std::string_view line = lines[i];
      if (TrimSpace(line).empty()) continue;
      const std::string where = "line " + std::to_string(i + 1);
      size_t sep = 0;
      while (sep < line.size() && !IsSpace(line[sep])) ++sep;
      std::string_view checksum = line.substr(0, sep);
      size_t start = sep;
      while (start < line.size() && IsSpace(line[start])) ++start;
      if (sep == line.size() || start == line.size()) {
        Error(m.name, where + " is not \"checksum filepath\": " + Quote(line));
        continue;
      }
      std::optional<std::string> path = CleanPath(m.name, line.substr(start), true);
      if (!path) continue;
      const std::string hex = core::AsciiLower(checksum);
      if (!core::IsHex(hex) || hex.size() != want) {
        Error(m.name, where + ": " + Quote(checksum) + " is not a " +
                          std::string(internal::AlgName(m.alg)) + " checksum (" +
                          std::to_string(want) + " hex digits) for " + Quote(*path));
        continue;
      }
      auto [it, fresh] = seen.emplace(*path, hex);
      if (!fresh) {
        if (it->second != hex) {
          Error(*path, "is listed twice in " + m.name + " with different checksums");
        } else {
          ErrorIn1(*path, "is listed twice in " + m.name + " (RFC 8493 §2.1.3: exactly once)");
        }
        continue;
      }
      m.paths.insert(*path);
      const bool payload = path->rfind("data/", 0) == 0;
      if (!m.tag && !payload) {
        Error(m.name, "lists " + Quote(*path) +
                          ", which is not in the payload folder data/ (RFC 8493 §2.1.3)");
        continue;
      }
      if (m.tag && payload) {
        ErrorIn1(m.name, "lists the payload file " + Quote(*path) +
                             "; a tag manifest MUST NOT (RFC 8493 §2.2.1)");
      }
      if (m.tag && *path == m.name) {
        Warn(m.name, "lists itself, which cannot hold; that line is not checked");
        continue;
      }
      if (m.tag && path->rfind("tagmanifest-", 0) == 0) {
        Warn(m.name,
             "lists the tag manifest " + *path + " (RFC 8493 §2.2.1: it MUST NOT); checked");
      }
      std::optional<uint32_t> file = Resolve(m.name, *path);
      if (!file) {
        if (bag_.IsDirectory(*path)) {
          Error(*path, "is listed in " + m.name + " but is a folder (RFC 8493 §2.1.3)");
        } else {
          missing_[*path].push_back(m.name);
        }
        continue;
      }
      if (m.lists[*file]) {
        Warn(files_[*file],
             "is listed twice in " + m.name + ", in different Unicode normalisations");
      }
      m.lists[*file] = 1;
      if (!m.tag) listed_anywhere_[*file] = 1;
      expect_[*file].push_back({m.alg, hex, m.name});
    }
  }

  // -- fetch.txt (RFC 8493 §2.2.3): isnad never fetches ----------------------
  Status ReadFetch() {
    const std::string name = "fetch.txt";
    if (!Has(name)) return Status::Ok();
    ISNAD_ASSIGN_OR_RETURN(std::optional<std::string> text, ReadTagText(name));
    if (!text) return Status::Ok();
    std::vector<std::string_view> lines = internal::SplitLines(*text);
    for (size_t i = 0; i < lines.size(); ++i) {
      std::string_view line = lines[i];
      if (TrimSpace(line).empty()) continue;
      const std::string where = "line " + std::to_string(i + 1);
      size_t a = 0;
      while (a < line.size() && !IsSpace(line[a])) ++a;
      size_t b = a;
      while (b < line.size() && IsSpace(line[b])) ++b;
      size_t c = b;
      while (c < line.size() && !IsSpace(line[c])) ++c;
      size_t d = c;
      while (d < line.size() && IsSpace(line[d])) ++d;
      if (a == 0 || b == c || d == line.size()) {
        Error(name, where + " is not \"url length filepath\": " + Quote(line));
        continue;
      }
      std::string_view url = line.substr(0, a), length = line.substr(b, c - b);
      if (length != "-" && !AllDigits(length)) {
        Error(name, where + ": the length " + Quote(length) + " is neither a number nor '-'");
      }
      if (url.find(':') == std::string_view::npos) {
        Warn(name, where + ": " + Quote(url) + " is not an absolute URL (RFC 8493 §2.2.3)");
      }
      std::optional<std::string> path = CleanPath(name, line.substr(d), false);
      if (!path) continue;
      if (path->rfind("data/", 0) != 0) {
        Error(name, "lists " + Quote(*path) + ", which is not a payload file (RFC 8493 §2.2.3)");
        continue;
      }
      for (const ManifestFile& m : manifests_) {
        if (!m.paths.count(*path)) {
          ErrorIn1(*path,
                   "is in fetch.txt but not in " + m.name +
                       " (RFC 8493 §2.2.3: every fetched file is in every payload manifest)");
        }
      }
      std::optional<uint32_t> file = Resolve(name, *path);
      if (!file) {
        Error(*path,
              "is listed in fetch.txt and is not in the bag; isnad never fetches: fetch "
              "it, then validate again");
        missing_.erase(*path);
      } else if (AllDigits(length) && length.size() < 20) {
        fetch_lengths_.emplace_back(*file, std::stoull(std::string(length)));
      }
    }
    return Status::Ok();
  }

  // -- completeness (RFC 8493 §3) --------------------------------------------
  void CheckCoverage() {
    for (const auto& [path, where] : missing_) {
      std::string in;
      for (const std::string& w : where) in += (in.empty() ? "" : ", ") + w;
      Error(path, "is listed in " + in + " but is not in the bag");
    }
    bool any_payload = false;
    for (uint32_t i = 0; i < files_.size(); ++i) {
      const std::string& f = files_[i];
      if (f.rfind("data/", 0) != 0) continue;
      any_payload = true;
      if (manifests_.empty()) continue;
      if (!listed_anywhere_[i]) {
        Error(f, "is in the payload but in no payload manifest");
        continue;
      }
      for (const ManifestFile& m : manifests_) {
        if (!m.lists[i]) {
          ErrorIn1(f, "is not listed in " + m.name +
                          " (RFC 8493 §3: every payload file in every payload manifest)");
        }
      }
    }
    if (!any_payload && !bag_.IsDirectory("data")) {
      Error("data", "the payload folder data/ is missing (RFC 8493 §2.1.2)");
    }
  }

  // -- one read of every file, all digests at once ----------------------------
  Status HashAll() {
    std::vector<uint8_t> needs(files_.size(), 0);
    uint8_t used = 0;
    for (uint32_t i = 0; i < files_.size(); ++i) {
      for (const Expect& e : expect_[i]) needs[i] |= uint8_t(1u << static_cast<int>(e.alg));
      used |= needs[i];
    }
    // A file whose bytes are another's (a tar hard link) is streamed once, under that
    // other name: hashed there with every algorithm either needs, then copied.
    std::vector<std::pair<uint32_t, uint32_t>> links;  // file, the file whose bytes it is
    for (uint32_t i = 0; i < files_.size(); ++i) {
      const std::string to = bag_.LinkedTo(files_[i]);
      if (to.empty()) continue;
      auto it = index_.find(to);
      if (it == index_.end()) return core::Internal(files_[i] + " is linked to an unknown " + to);
      links.emplace_back(i, it->second);
      needs[it->second] |= needs[i];
    }
    // One consumer thread per algorithm; a single algorithm gets one lane per
    // core instead, hashing different files at once.
    std::vector<Alg> consumers;
    for (int a = 0; a < internal::kAlgCount; ++a) {
      if (used & (1u << a)) consumers.push_back(static_cast<Alg>(a));
    }
    if (consumers.size() == 1) {
      const unsigned lanes = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
      consumers.assign(lanes, consumers.front());
    }
    digests_.assign(files_.size(), {});
    sizes_.assign(files_.size(), 0);
    internal::HashPipeline pipe(consumers, [this](uint32_t file, Alg alg, std::string hex) {
      digests_[file][static_cast<size_t>(alg)] = std::move(hex);
    });
    ISNAD_RETURN_IF_ERROR(pipe.Start());
    auto mask_for = [&](uint32_t f) {
      uint64_t mask = 0;
      std::array<int, internal::kAlgCount> lanes{}, lane{};
      for (Alg a : consumers) ++lanes[static_cast<size_t>(a)];
      for (size_t c = 0; c < consumers.size(); ++c) {
        const size_t a = static_cast<size_t>(consumers[c]);
        const int my_lane = lane[a]++;
        if ((needs[f] & (1u << a)) &&
            static_cast<int>(f % static_cast<uint32_t>(lanes[a])) == my_lane) {
          mask |= uint64_t{1} << c;
        }
      }
      return mask;
    };

    std::string current;
    uint32_t cur = 0;
    uint64_t mask = 0;
    char* block = nullptr;
    size_t fill = 0;
    bool payload = false;
    std::vector<char> seen(files_.size(), 0);
    const size_t bs = pipe.block_size();
    Status s = bag_.ForEachFile([&](const std::string& path, std::string_view chunk) -> Status {
      if (path != current) {
        auto it = index_.find(path);
        if (it == index_.end()) return core::Internal("the bag streamed an unknown file " + path);
        current = path;
        cur = it->second;
        mask = mask_for(cur);
        payload = path.rfind("data/", 0) == 0;
        fill = 0;
        block = nullptr;
      }
      const bool end = chunk.empty();
      if (payload) report_.payload_bytes += chunk.size();
      sizes_[cur] += chunk.size();
      if (mask != 0) {
        while (!chunk.empty()) {
          if (block == nullptr) block = pipe.Take();
          const size_t n = std::min(chunk.size(), bs - fill);
          std::memcpy(block + fill, chunk.data(), n);
          fill += n;
          chunk.remove_prefix(n);
          if (fill == bs) {
            pipe.Submit(fill, cur, false, mask);
            block = nullptr;
            fill = 0;
          }
        }
        if (end) {
          if (block == nullptr) block = pipe.Take();
          pipe.Submit(fill, cur, true, mask);
          block = nullptr;
          fill = 0;
        }
      }
      if (end) {
        if (payload) ++report_.payload_files;
        seen[cur] = 1;
        current.clear();
      }
      return Status::Ok();
    });
    pipe.Close();
    if (!s.ok()) {
      // A damaged archive (a bad CRC, a truncated tar) is a problem of the bag:
      // what was read before the damage is still checked.
      if (s.code() != core::Code::kIntegrity) return s;
      Error("", s.message());
    }
    for (const auto& [f, to] : links) {
      if (!seen[to]) continue;
      seen[f] = 1;
      digests_[f] = digests_[to];
      sizes_[f] = sizes_[to];
      if (files_[f].rfind("data/", 0) == 0) {
        report_.payload_bytes += sizes_[f];
        ++report_.payload_files;
      }
    }
    seen_ = std::move(seen);
    for (uint32_t i = 0; i < files_.size(); ++i) {
      if (seen_[i]) continue;
      Error(files_[i], s.ok() ? "was not read (did the bag change while it was validated?)"
                              : "could not be read: the archive is damaged");
    }
    return Status::Ok();
  }

  void CompareDigests() {
    for (uint32_t i = 0; i < files_.size(); ++i) {
      if (!seen_[i]) continue;  // reported already
      const std::string& sha256 = digests_[i][static_cast<size_t>(Alg::kSha256)];
      if (!sha256.empty()) report_.sha256[files_[i]] = sha256;
      for (const Expect& e : expect_[i]) {
        const std::string& got = digests_[i][static_cast<size_t>(e.alg)];
        if (got != e.hex) {
          Error(files_[i], "does not match " + e.manifest + ": its " +
                               std::string(internal::AlgName(e.alg)) + " is " + got +
                               ", the manifest says " + e.hex);
        }
      }
    }
  }

  void CheckFetchLengths() {
    for (const auto& [file, length] : fetch_lengths_) {
      if (sizes_[file] != length) {
        Warn(files_[file], "is " + std::to_string(sizes_[file]) + " bytes; fetch.txt says " +
                               std::to_string(length));
      }
    }
  }

  void CheckOxum() {
    for (const auto& [bytes, count] : oxum_) {
      if (bytes != report_.payload_bytes || count != report_.payload_files) {
        Error(info_name_, "Payload-Oxum is " + std::to_string(bytes) + "." + std::to_string(count) +
                              " but the payload is " + std::to_string(report_.payload_bytes) +
                              " bytes in " + std::to_string(report_.payload_files) + " files");
      }
    }
  }

  // -- names that do not survive another file system ---------------------------
  void CheckNames() {
    std::map<std::string, std::vector<std::string>> by_nfc, by_fold;
    for (const std::string& f : files_) {
      const size_t slash = f.rfind('/');
      const std::string_view base =
          slash == std::string::npos ? f : std::string_view(f).substr(slash + 1);
      if (internal::IsSystemFileName(base)) {
        Warn(f, "is a file the operating system leaves behind (" + std::string(base) +
                    "), not content");
      }
      by_nfc[internal::NormalizeName(f, false)].push_back(f);
    }
    for (const auto& [nfc, names] : by_nfc) {
      if (names.size() > 1) {
        std::string all;
        for (const std::string& n : names) all += (all.empty() ? "" : ", ") + Quote(n);
        Warn(names.front(),
             "names that differ only in Unicode normalisation (NFC vs NFD) are one "
             "file on some file systems: " +
                 all);
      }
      by_fold[internal::NormalizeName(nfc, true)].push_back(names.front());
    }
    for (const auto& [folded, names] : by_fold) {
      if (names.size() > 1) {
        std::string all;
        for (const std::string& n : names) all += (all.empty() ? "" : ", ") + Quote(n);
        Warn(names.front(),
             "names that differ only in case are one file on Windows and macOS: " + all);
      }
    }
  }

  const Bag& bag_;
  Report& report_;
  const std::vector<std::string>& files_;
  std::unordered_map<std::string, uint32_t> index_;
  std::unordered_map<std::string, std::vector<uint32_t>> nfc_index_;
  std::pair<int, int> version_{1, 0};
  bool v1_ = true;
  std::string encoding_;  // "" for UTF-8
  bool encoding_unknown_ = false;
  std::string info_name_ = "bag-info.txt";
  std::vector<std::pair<uint64_t, uint64_t>> oxum_;
  std::vector<ManifestFile> manifests_, tag_manifests_;
  std::vector<std::vector<Expect>> expect_;
  std::vector<char> listed_anywhere_;
  std::map<std::string, std::vector<std::string>> missing_;
  std::vector<std::pair<uint32_t, uint64_t>> fetch_lengths_;  // file, length in fetch.txt
  std::vector<uint64_t> sizes_;
  std::vector<char> seen_;
  std::vector<std::array<std::string, internal::kAlgCount>> digests_;
};

}  // namespace

StatusOr<Report> Validate(const Bag& bag) {
  Report report;
  Validator v(bag, report);
  ISNAD_RETURN_IF_ERROR(v.Run());
  return report;
}

}  // namespace isnad::bag
