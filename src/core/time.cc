#include "core/time.h"

#include <fmt/format.h>

#include <cstdlib>
#include <ctime>

namespace isnad::core {

std::string FormatUtc(Clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
}

std::string NowUtc() {
  if (const char* fake = std::getenv("ISNAD_FAKE_TIME"); fake != nullptr && *fake != '\0') {
    return fake;
  }
  return FormatUtc(Clock::now());
}

}  // namespace isnad::core
