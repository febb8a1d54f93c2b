// A list of messages that keeps its first `cap` and counts the rest, so that a
// file with millions of faults (a hostile or badly damaged web archive) is
// reported in bounded memory: what a person reads is the first ones and how
// many more there were.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace isnad::core {

class CappedList {
 public:
  static constexpr size_t kDefaultCap = 1000;

  explicit CappedList(size_t cap = kDefaultCap) : cap_(cap) {}

  void push_back(std::string s) {
    ++total_;
    if (kept_.size() < cap_) kept_.push_back(std::move(s));
  }
  // Appends `other`'s messages, each after `prefix`, and counts those it dropped.
  void Append(const CappedList& other, const std::string& prefix = "") {
    for (const std::string& s : other.kept_) push_back(prefix + s);
    total_ += other.dropped();
  }
  void clear() {
    kept_.clear();
    total_ = 0;
  }

  // Every message added, kept or not.
  size_t size() const { return total_; }
  bool empty() const { return total_ == 0; }
  // Those not kept.
  size_t dropped() const { return total_ - kept_.size(); }
  // The kept ones, in the order added.
  const std::vector<std::string>& kept() const { return kept_; }
  std::vector<std::string>::const_iterator begin() const { return kept_.begin(); }
  std::vector<std::string>::const_iterator end() const { return kept_.end(); }
  const std::string& operator[](size_t i) const { return kept_[i]; }  // i < kept().size()

  // The kept ones, then "... and N more" when some were dropped.
  std::vector<std::string> Lines() const {
    std::vector<std::string> out = kept_;
    if (dropped() > 0) out.push_back("... and " + std::to_string(dropped()) + " more");
    return out;
  }

 private:
  size_t cap_;
  size_t total_ = 0;
  std::vector<std::string> kept_;
};

}  // namespace isnad::core
