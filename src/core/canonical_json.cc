#include "core/canonical_json.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/utf8.h"

namespace isnad::core {
namespace {

constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;
// Arrays and objects nested deeper than this are refused: isnad's own values
// are a few levels deep, and a hostile 64 KiB entry of brackets must not
// recurse until the stack runs out.
constexpr int kMaxDepth = 256;

// Decodes UTF-8 into UTF-16 code units for RFC 8785 §3.2.3 member ordering.
// Returns false on invalid UTF-8.
bool ToUtf16(std::string_view s, std::u16string* out) {
  out->clear();
  return ForEachCodePoint(s, [out](uint32_t cp) {
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out->push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out->push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out->push_back(static_cast<char16_t>(cp));
    }
  });
}

Status AppendString(std::string_view s, const std::string& where, std::string* out) {
  if (!IsValidUtf8(s)) return InvalidArgument("invalid UTF-8 in string at " + where);
  out->reserve(out->size() + s.size() + 2);
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\b':
        *out += "\\b";
        break;
      case '\f':
        *out += "\\f";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (c < 0x20) {
          *out += "\\u00";
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xf]);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
  return Status::Ok();
}

Status Append(const Json& v, const std::string& where, int depth, std::string* out) {
  if (depth > kMaxDepth && (v.is_array() || v.is_object())) {
    return InvalidArgument("arrays and objects nested more than " + std::to_string(kMaxDepth) +
                           " deep at " +
                           (where.size() > 200 ? where.substr(0, 200) + "..." : where));
  }
  switch (v.type()) {
    case Json::value_t::null:
      *out += "null";
      return Status::Ok();
    case Json::value_t::boolean:
      *out += v.get<bool>() ? "true" : "false";
      return Status::Ok();
    case Json::value_t::number_integer: {
      int64_t n = v.get<int64_t>();
      if (n > kMaxSafeInteger || n < -kMaxSafeInteger) {
        return InvalidArgument("integer outside the exact IEEE-754 range at " + where);
      }
      *out += std::to_string(n);
      return Status::Ok();
    }
    case Json::value_t::number_unsigned: {
      uint64_t n = v.get<uint64_t>();
      if (n > static_cast<uint64_t>(kMaxSafeInteger)) {
        return InvalidArgument("integer outside the exact IEEE-754 range at " + where);
      }
      *out += std::to_string(n);
      return Status::Ok();
    }
    case Json::value_t::number_float:
      return InvalidArgument("floating-point number at " + where +
                             " (isnad entries hold exact values; write it as a string)");
    case Json::value_t::string:
      return AppendString(v.get_ref<const std::string&>(), where, out);
    case Json::value_t::array: {
      out->push_back('[');
      size_t i = 0;
      for (const auto& e : v) {
        if (i) out->push_back(',');
        ISNAD_RETURN_IF_ERROR(Append(e, where + "/" + std::to_string(i), depth + 1, out));
        ++i;
      }
      out->push_back(']');
      return Status::Ok();
    }
    case Json::value_t::object: {
      std::vector<std::pair<std::u16string, const std::string*>> keys;
      keys.reserve(v.size());
      for (auto it = v.begin(); it != v.end(); ++it) {
        std::u16string k16;
        if (!ToUtf16(it.key(), &k16))
          return InvalidArgument("invalid UTF-8 in member name at " + where);
        keys.emplace_back(std::move(k16), &it.key());
      }
      std::sort(keys.begin(), keys.end());
      out->push_back('{');
      bool first = true;
      for (const auto& [k16, key] : keys) {
        if (!first) out->push_back(',');
        first = false;
        ISNAD_RETURN_IF_ERROR(AppendString(*key, where, out));
        out->push_back(':');
        ISNAD_RETURN_IF_ERROR(Append(v.at(*key), where + "/" + *key, depth + 1, out));
      }
      out->push_back('}');
      return Status::Ok();
    }
    case Json::value_t::binary:
    case Json::value_t::discarded:
      break;
  }
  return InvalidArgument("value of unsupported type at " + where);
}

}  // namespace

StatusOr<std::string> CanonicalJson(const Json& value) {
  std::string out;
  out.reserve(256);
  ISNAD_RETURN_IF_ERROR(Append(value, "", 0, &out));
  return out;
}

StatusOr<Json> ParseCanonicalJson(std::string_view text) {
  Json v = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded()) return Integrity("not valid JSON");
  auto canon = CanonicalJson(v);
  if (!canon.ok()) return Integrity(canon.status().message());
  if (*canon != text) return Integrity("JSON is not in RFC 8785 canonical form");
  return v;
}

}  // namespace isnad::core
