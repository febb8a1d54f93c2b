// Helpers for the tests of export bags (export_test.cc, verifying_doc_test.cc):
// listing a folder bag, and re-making its BagIt manifests after a test has
// tampered with it, so that only the custody checks can catch the change.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/digest.h"
#include "core/encoding.h"
#include "core/testing/temp_dir.h"

namespace isnad::testing {

// Every regular file under `root`, relative, '/'-separated, sorted.
inline std::vector<std::string> FilesUnder(const std::string& root) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) {
      out.push_back(std::filesystem::relative(e.path(), root).generic_string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string Sha256Hex(const std::string& bytes) { return core::Sha256Of(bytes).Hex(); }
inline std::string Sha512Hex(const std::string& bytes) {
  core::Sha512 h;
  h.Update(bytes);
  auto d = h.Finish();
  return core::HexEncode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

// Recomputes manifest-sha256/512.txt over data/, Payload-Oxum in bag-info.txt,
// and tagmanifest-sha256/512.txt over the other top-level files: what one who
// tampers with a bag can do. The archive's signed statement over the payload
// manifest (isnad-statement.txt) cannot be remade, so it is removed, as such a
// forger would, unless `keep_statement` (then it no longer matches).
inline void Rebag(const std::string& bag, bool keep_statement = false) {
  using core::testing::ReadTestFile;
  using core::testing::WriteTestFile;
  if (!keep_statement) std::filesystem::remove(bag + "/isnad-statement.txt");
  std::string m256, m512;
  uint64_t bytes = 0, files = 0;
  for (const std::string& f : FilesUnder(bag)) {
    if (f.rfind("data/", 0) != 0) continue;
    std::string content = ReadTestFile(bag + "/" + f);
    m256 += Sha256Hex(content) + "  " + f + "\n";
    m512 += Sha512Hex(content) + "  " + f + "\n";
    bytes += content.size();
    ++files;
  }
  WriteTestFile(bag + "/manifest-sha256.txt", m256);
  WriteTestFile(bag + "/manifest-sha512.txt", m512);
  std::istringstream info(ReadTestFile(bag + "/bag-info.txt"));
  std::string line, out;
  while (std::getline(info, line)) {
    if (line.rfind("Payload-Oxum:", 0) == 0) {
      line = "Payload-Oxum: " + std::to_string(bytes) + "." + std::to_string(files);
    }
    out += line + "\n";
  }
  WriteTestFile(bag + "/bag-info.txt", out);
  std::string t256, t512;
  for (const std::string& f : FilesUnder(bag)) {
    if (f.rfind("data/", 0) == 0 || f.rfind("tagmanifest-", 0) == 0) continue;
    std::string content = ReadTestFile(bag + "/" + f);
    t256 += Sha256Hex(content) + "  " + f + "\n";
    t512 += Sha512Hex(content) + "  " + f + "\n";
  }
  WriteTestFile(bag + "/tagmanifest-sha256.txt", t256);
  WriteTestFile(bag + "/tagmanifest-sha512.txt", t512);
}

// Copies a folder tree.
inline void CopyTree(const std::string& from, const std::string& to) {
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

}  // namespace isnad::testing
