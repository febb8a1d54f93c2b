#include "core/encoding.h"

#include <openssl/evp.h>

namespace isnad::core {

std::string HexEncode(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.resize(raw.size() * 2);
  for (size_t i = 0; i < raw.size(); ++i) {
    auto b = static_cast<unsigned char>(raw[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 0xf];
  }
  return out;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

bool IsHex(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (HexValue(c) < 0) return false;
  }
  return true;
}

StatusOr<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return InvalidArgument("hex string has odd length");
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return InvalidArgument("not a hex digit at offset " +
                             std::to_string(hi < 0 ? 2 * i : 2 * i + 1));
    }
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return out;
}

// OpenSSL's block functions take an int length: inputs are fed in pieces of
// whole groups (3 bytes, 4 characters) well under INT_MAX.
constexpr size_t kGroupsPerPiece = size_t{1} << 24;

std::string Base64Encode(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3), '\0');
  size_t written = 0;
  for (size_t at = 0; at < raw.size(); at += 3 * kGroupsPerPiece) {
    std::string_view piece = raw.substr(at, 3 * kGroupsPerPiece);
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + written),
                            reinterpret_cast<const unsigned char*>(piece.data()),
                            static_cast<int>(piece.size()));
    written += static_cast<size_t>(n);
  }
  out.resize(written);
  return out;
}

StatusOr<std::string> Base64Decode(std::string_view b64) {
  if (b64.size() % 4 != 0) return InvalidArgument("base64 length is not a multiple of 4");
  for (size_t i = 0; i < b64.size(); ++i) {
    char c = b64[i];
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    bool pad = c == '=' && i + 2 >= b64.size() && (i + 1 == b64.size() || b64[i + 1] == '=');
    if (!alnum && c != '+' && c != '/' && !pad) {
      return InvalidArgument("not a base64 character at offset " + std::to_string(i));
    }
  }
  std::string out(3 * (b64.size() / 4), '\0');
  size_t written = 0;
  for (size_t at = 0; at < b64.size(); at += 4 * kGroupsPerPiece) {
    std::string_view piece = b64.substr(at, 4 * kGroupsPerPiece);
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data() + written),
                            reinterpret_cast<const unsigned char*>(piece.data()),
                            static_cast<int>(piece.size()));
    if (n < 0) return InvalidArgument("malformed base64");
    written += static_cast<size_t>(n);
  }
  size_t pads = 0;
  if (!b64.empty() && b64.back() == '=') pads++;
  if (b64.size() >= 2 && b64[b64.size() - 2] == '=') pads++;
  out.resize(written - pads);
  // Canonical form only: re-encoding must give the input back (rejects
  // non-zero trailing bits, which would give two texts for one value).
  if (Base64Encode(out) != b64) return InvalidArgument("non-canonical base64");
  return out;
}

}  // namespace isnad::core
