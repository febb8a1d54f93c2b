// BagIt (RFC 8493): validating bags made by any tool (versions 0.93 to 1.0, as
// folders, .zip or .tar), and writing BagIt 1.0 bags with SHA-256 and SHA-512
// manifests computed in one read of each file. Knows nothing of isnad's custody
// log: the export layout on top of it is docs/formats/bag.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace isnad::bag {

// One thing wrong with a bag. A warning (an RFC 8493 SHOULD) does not make it invalid.
struct Problem {
  std::string file;  // relative to the bag root, "" for the bag as a whole
  std::string what;  // safe to print: terminal controls escaped (core::Printable)
  bool warning = false;
};

struct Report {
  std::string version;  // BagIt-Version
  uint64_t payload_files = 0, payload_bytes = 0;
  std::vector<Problem> problems;
  bool valid() const;  // no problem that is not a warning
  // Added by the implementation: bag-info.txt (package-info.txt before 0.95) as
  // read, labels and values in order (continuation lines joined with a space),
  // and the payload manifests' algorithms ("sha256", ...).
  std::vector<std::pair<std::string, std::string>> bag_info;
  std::vector<std::string> payload_algorithms;
  // Added by the implementation: the SHA-256 (lower-case hex) of the bytes as read of
  // each file that a sha256 manifest or tag manifest lists, by path. What a caller
  // compares with a digest it knows, instead of parsing the manifest again (which
  // could read a path differently from the validator).
  std::map<std::string, std::string> sha256;
};

// A bag opened for reading: a folder, or a .zip / .tar / .tar.gz read with libarchive.
class Bag {
 public:
  virtual ~Bag() = default;
  static core::StatusOr<std::unique_ptr<Bag>> Open(const std::string& path);
  // Every regular file, as paths relative to the bag root with '/' separators, sorted.
  virtual const std::vector<std::string>& Files() const = 0;
  // The whole content of a (small) file; kNotFound when absent. `max_bytes` guards
  // against a hostile bag. In a .zip or .tar, the first call reads the archive once and
  // keeps every file of up to 1 MiB (256 MiB in all), so that reading many small files
  // costs one pass, not one each.
  virtual core::StatusOr<std::string> ReadFile(const std::string& relative,
                                               uint64_t max_bytes = uint64_t{64} << 20) const = 0;
  // Streams every file once, in an order of the implementation's choosing (an
  // archive is read front to back), calling `sink(path, chunk)` per chunk and
  // `sink(path, "")` at each file's end. A file whose bytes are another's (LinkedTo)
  // is not streamed: its bytes are streamed once, under the other file's name.
  virtual core::Status ForEachFile(
      const std::function<core::Status(const std::string&, std::string_view)>& sink) const = 0;
  // Added by the implementation: whether `relative` is a folder of the bag ("data").
  virtual bool IsDirectory(const std::string& relative) const = 0;
  // Added by the implementation: the file of the bag whose bytes are, by the bag's
  // structure, those of `relative` (a tar hard link), or "" when none. A hostile tar
  // of a few KB can give one big entry thousands of names: read and hash it once.
  virtual std::string LinkedTo(const std::string& /*relative*/) const { return ""; }
  // Added by the implementation: what Open found wrong but left out of Files()
  // instead of failing: symbolic links (never followed), devices and FIFOs, archive
  // entries with an absolute or `..` path, entries outside the bag's top folder.
  virtual const std::vector<Problem>& OpenProblems() const = 0;
};

// Validates everything RFC 8493 asks of a bag: bagit.txt (version, encoding, no BOM),
// bag-info.txt, every manifest and tag manifest (every algorithm present; md5, sha1,
// sha256, sha512), every listed file present with the right digests, no payload file
// unlisted, no path escaping the bag (.., absolute, ~), Payload-Oxum, fetch.txt
// (files listed there must be present: isnad never fetches). Reads each file once and
// computes every needed digest in that read. Problems are collected, not returned as
// an error; the status is an error only when the bag cannot be read at all.
core::StatusOr<Report> Validate(const Bag& bag);

// Writes a BagIt 1.0 bag to `path`: a folder (which must not exist), or a .zip or .tar
// file (by the name). Files go under data/ unless added as tag files.
class Writer {
 public:
  virtual ~Writer() = default;
  static core::StatusOr<std::unique_ptr<Writer>> Create(const std::string& path);
  // What AddFile computed in its one read of the file (lower-case hex).
  struct FileDigests {
    std::string sha256, sha512;
    uint64_t size = 0;
  };
  // Copies a file into data/<relative>, computing SHA-256 and SHA-512 in the same read
  // (on two threads), and returns them so that a caller can check the copy against a
  // digest it already knows without reading the file a second time. `progress`, when
  // set, is called with the bytes of this file copied so far. Refuses a relative path
  // that escapes data/ or repeats one.
  virtual core::StatusOr<FileDigests> AddFile(
      const std::string& relative, const std::string& source_path,
      const std::function<void(uint64_t)>& progress = nullptr) = 0;
  virtual core::Status AddBytes(const std::string& relative, std::string_view bytes) = 0;
  // Added by the implementation: a tag file beside bagit.txt (e.g. "isnad/log.vkey"),
  // listed in the tag manifests. Refuses reserved names (bagit.txt, bag-info.txt,
  // fetch.txt, manifest-*.txt, tagmanifest-*.txt) and anything under data/.
  virtual core::Status AddTagFile(const std::string& relative, std::string_view bytes) = 0;
  // Given the exact bytes of manifest-sha256.txt, returns a tag file (relative name,
  // bytes) to add beside it, listed in the tag manifests: e.g. a statement signed over
  // the payload manifest, which vouches for every payload file at once.
  using ManifestTag = std::function<core::StatusOr<std::pair<std::string, std::string>>(
      std::string_view manifest_sha256)>;
  // Writes bagit.txt, bag-info.txt (the given fields in order, then Payload-Oxum and
  // Bag-Size), manifest-sha256/sha512.txt, the tag file of `manifest_tag` when set,
  // tagmanifest-sha256/sha512.txt, and closes.
  virtual core::Status Finish(const std::vector<std::pair<std::string, std::string>>& bag_info,
                              const ManifestTag& manifest_tag = nullptr) = 0;
};

}  // namespace isnad::bag
