// WACZ reading: see wacz.h.
#include "warc/wacz.h"

#include <archive.h>
#include <archive_entry.h>

#include <map>
#include <memory>

#include "core/canonical_json.h"
#include "core/digest.h"

namespace isnad::warc {
namespace {

constexpr size_t kChunk = 1 << 16;
constexpr size_t kMaxJson = 16 << 20;

struct ReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};

struct Member {
  uint64_t bytes = 0;
  core::Hash sha256;
};

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string ArchiveMessage(archive* a) {
  const char* m = archive_error_string(a);
  return m ? m : "unknown libarchive error";
}

// One ZIP member as a SequentialFile, hashing what is read.
class MemberStream : public core::SequentialFile {
 public:
  MemberStream(archive* a, std::string name) : a_(a), name_(std::move(name)) {}
  core::StatusOr<size_t> Read(char* buf, size_t n) override {
    la_ssize_t k = archive_read_data(a_, buf, n);
    if (k < 0)
      return core::Integrity("cannot read ZIP member " + name_ + ": " + ArchiveMessage(a_));
    sha_.Update(buf, static_cast<size_t>(k));
    bytes_ += static_cast<uint64_t>(k);
    if (keep_ && kept_.size() < kMaxJson) kept_.append(buf, static_cast<size_t>(k));
    return static_cast<size_t>(k);
  }
  // Reads what is left.
  core::Status Drain() {
    std::unique_ptr<char[]> buf(new char[kChunk]);
    while (true) {
      ISNAD_ASSIGN_OR_RETURN(size_t k, Read(buf.get(), kChunk));
      if (k == 0) return core::Status::Ok();
    }
  }
  Member Finish() { return {bytes_, sha_.Finish()}; }
  void Keep() { keep_ = true; }
  const std::string& kept() const { return kept_; }

 private:
  archive* a_;
  std::string name_;
  core::Sha256 sha_;
  uint64_t bytes_ = 0;
  bool keep_ = false;
  std::string kept_;
};

std::string Str(const core::Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

core::StatusOr<WaczReport> ReadWacz(const std::string& path, WaczWarcVisitor* visitor) {
  std::unique_ptr<archive, ReadFree> a(archive_read_new());
  archive_read_support_format_zip(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), kChunk) != ARCHIVE_OK) {
    return core::Integrity("cannot open " + path + " as a ZIP (WACZ): " + ArchiveMessage(a.get()));
  }
  WaczReport report;
  std::map<std::string, Member> members;
  std::string datapackage, digest_json;
  bool have_datapackage = false, have_digest = false;
  archive_entry* e = nullptr;
  while (true) {
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN)
      return core::Integrity(path + " is not a readable ZIP (WACZ): " + ArchiveMessage(a.get()));
    const char* n = archive_entry_pathname_utf8(e);
    if (n == nullptr) n = archive_entry_pathname(e);
    std::string name = n ? n : "";
    if (archive_entry_filetype(e) == AE_IFDIR || EndsWith(name, "/")) continue;
    MemberStream stream(a.get(), name);
    if (name == "datapackage.json" || name == "datapackage-digest.json") stream.Keep();
    bool is_warc =
        name.rfind("archive/", 0) == 0 && (EndsWith(name, ".warc") || EndsWith(name, ".warc.gz"));
    if (is_warc) {
      report.warcs.push_back(name);
      if (visitor) ISNAD_RETURN_IF_ERROR(visitor->OnWarc(name, &stream));
    }
    ISNAD_RETURN_IF_ERROR(stream.Drain());
    if (name == "datapackage.json") {
      have_datapackage = true;
      datapackage = stream.kept();
    }
    if (name == "datapackage-digest.json") {
      have_digest = true;
      digest_json = stream.kept();
    }
    members[name] = stream.Finish();
  }

  auto& problems = report.problems;
  if (!have_datapackage) {
    problems.push_back("no datapackage.json: not a WACZ package");
    return report;
  }
  core::Json dp = core::Json::parse(datapackage, nullptr, /*allow_exceptions=*/false);
  if (!dp.is_object()) {
    problems.push_back("datapackage.json is not a JSON object");
    return report;
  }
  report.wacz_version = Str(dp, "wacz_version");
  report.title = Str(dp, "title");
  report.created = Str(dp, "created");
  report.software = Str(dp, "software");
  if (report.wacz_version.empty()) problems.push_back("datapackage.json has no wacz_version");
  auto res = dp.find("resources");
  if (res == dp.end() || !res->is_array()) {
    problems.push_back("datapackage.json has no resources list");
  } else {
    for (const core::Json& rj : *res) {
      WaczResource r;
      if (!rj.is_object()) {
        problems.push_back("a datapackage.json resource is not an object");
        continue;
      }
      r.path = Str(rj, "path");
      r.hash = Str(rj, "hash");
      // WACZ 1.0.0 (frictionless data-package 1.0): "stats": {"hash", "bytes"}
      // with the algorithm in "hashing"; 1.1: "hash": "sha256:..." and "bytes".
      const core::Json* sizes = &rj;
      auto stats = rj.find("stats");
      if (r.hash.empty() && stats != rj.end() && stats->is_object()) {
        std::string algo = Str(rj, "hashing");
        r.hash = (algo.empty() ? std::string("md5") : algo) + ":" + Str(*stats, "hash");
        sizes = &*stats;
      }
      auto b = sizes->find("bytes");
      bool has_bytes = b != sizes->end() && b->is_number_unsigned();
      if (has_bytes) r.bytes = b->get<uint64_t>();
      auto m = members.find(r.path);
      r.present = m != members.end();
      if (!r.present) {
        problems.push_back("resource " + r.path + " is listed in datapackage.json but absent");
      } else {
        r.hash_ok = r.hash == "sha256:" + m->second.sha256.Hex();
        r.bytes_ok = has_bytes && r.bytes == m->second.bytes;
        if (r.hash.rfind("sha256:", 0) != 0) {
          problems.push_back("resource " + r.path + " has no sha256 hash (\"" + r.hash +
                             "\"); isnad checks sha256");
        } else if (!r.hash_ok) {
          problems.push_back("resource " + r.path + ": its sha256 is " + m->second.sha256.Hex() +
                             ", not the " + r.hash + " datapackage.json lists");
        }
        if (!r.bytes_ok)
          problems.push_back("resource " + r.path + ": it holds " +
                             std::to_string(m->second.bytes) + " bytes, not the " +
                             (has_bytes ? std::to_string(r.bytes) : std::string("(missing)")) +
                             " datapackage.json lists");
      }
      report.resources.push_back(std::move(r));
    }
  }
  for (const auto& [name, m] : members) {
    if (name == "datapackage.json" || name == "datapackage-digest.json") continue;
    bool listed = false;
    for (const WaczResource& r : report.resources) listed |= r.path == name;
    if (!listed) problems.push_back("member " + name + " is not listed in datapackage.json");
  }
  if (report.warcs.empty()) problems.push_back("no WARC under archive/");
  if (members.count("pages/pages.jsonl") == 0) problems.push_back("no pages/pages.jsonl");
  bool index = false;
  for (const auto& [name, m] : members)
    index |=
        name.rfind("indexes/", 0) == 0 && (EndsWith(name, ".cdx") || EndsWith(name, ".cdx.gz") ||
                                           EndsWith(name, ".cdxj") || EndsWith(name, ".idx"));
  if (!index) problems.push_back("no index under indexes/ (.cdx, .cdx.gz, .cdxj or .idx)");

  report.digest_file = have_digest;
  if (have_digest) {
    core::Json dj = core::Json::parse(digest_json, nullptr, false);
    std::string want = "sha256:" + members["datapackage.json"].sha256.Hex();
    report.digest_ok = dj.is_object() && Str(dj, "hash") == want &&
                       (Str(dj, "path").empty() || Str(dj, "path") == "datapackage.json");
    if (!report.digest_ok)
      problems.push_back("datapackage-digest.json does not hold the sha256 of datapackage.json (" +
                         want + ")");
    if (dj.is_object() && dj.contains("signedData")) report.signature = "not-checked";
  }
  return report;
}

}  // namespace isnad::warc
