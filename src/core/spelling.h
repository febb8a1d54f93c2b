// Spelling slips: what a mistyped word most likely meant, for suggesting the
// right command or option and for refusing a type name a letter off a known one.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace isnad::core {

// Levenshtein distance: insertions, deletions and substitutions of bytes.
size_t EditDistance(std::string_view a, std::string_view b);

// The name in `names` that `typed` most likely meant (at most two letters off,
// and fewer than the name has), or "" when none is that close.
std::string Closest(std::string_view typed, const std::vector<std::string>& names);

}  // namespace isnad::core
