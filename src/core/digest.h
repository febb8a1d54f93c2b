// SHA-256 and SHA-512 digests (OpenSSL EVP), streaming and one-shot, plus the
// 32-byte Hash value type used for blob addresses and Merkle tree nodes.
// Thread safety: a Sha256/Sha512 object is not shared between threads; Hash is a value.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace isnad::core {

// A SHA-256 output. Compared and ordered byte-wise.
struct Hash {
  std::array<uint8_t, 32> bytes{};

  // Returns 64 lower-case hex digits.
  std::string Hex() const;
  // Returns the 32 raw bytes as a string.
  std::string_view View() const {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
  // Parses exactly 64 hex digits (either case). On failure: kInvalidArgument.
  static StatusOr<Hash> FromHex(std::string_view hex);
  // Takes exactly 32 raw bytes. On failure: kInvalidArgument.
  static StatusOr<Hash> FromBytes(std::string_view raw);

  auto operator<=>(const Hash&) const = default;
};

// Streaming SHA-256. Update() any number of times, then Finish() once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  Hash Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Returns SHA-256(data).
Hash Sha256Of(std::string_view data);

// Streaming SHA-512 (for BagIt manifests). Finish() returns 64 raw bytes.
class Sha512 {
 public:
  Sha512();
  ~Sha512();
  Sha512(const Sha512&) = delete;
  Sha512& operator=(const Sha512&) = delete;

  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  std::array<uint8_t, 64> Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace isnad::core
