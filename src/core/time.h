// UTC time as isnad records it: RFC 3339 with millisecond precision and 'Z',
// e.g. "2026-11-29T10:41:34.123Z". Thread safe.
#pragma once

#include <chrono>
#include <string>

namespace isnad::core {

using Clock = std::chrono::system_clock;

// Returns `t` formatted as RFC 3339 UTC with milliseconds.
std::string FormatUtc(Clock::time_point t);
// Returns FormatUtc(now). Tests may pin "now" by setting ISNAD_FAKE_TIME to an
// RFC 3339 string; that keeps golden outputs stable.
std::string NowUtc();

}  // namespace isnad::core
