// TempDir: a fresh folder under $TMPDIR (or /tmp) for one test, removed with
// everything in it on destruction. Not thread safe.
#pragma once

#include <string>

namespace isnad::core::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Returns path()/name.
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Writes `data` to `path` (creating parents); aborts the test binary on failure.
void WriteTestFile(const std::string& path, const std::string& data);
// Returns the whole file, or "" when absent.
std::string ReadTestFile(const std::string& path);

}  // namespace isnad::core::testing
