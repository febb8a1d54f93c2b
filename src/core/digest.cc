#include "core/digest.h"

#include <openssl/evp.h>

#include <stdexcept>

#include "core/encoding.h"

namespace isnad::core {

std::string Hash::Hex() const { return HexEncode(View()); }

StatusOr<Hash> Hash::FromHex(std::string_view hex) {
  if (hex.size() != 64) {
    return InvalidArgument("a SHA-256 digest is 64 hex digits, got " + std::to_string(hex.size()) +
                           " characters");
  }
  ISNAD_ASSIGN_OR_RETURN(std::string raw, HexDecode(hex));
  return FromBytes(raw);
}

StatusOr<Hash> Hash::FromBytes(std::string_view raw) {
  if (raw.size() != 32) {
    return InvalidArgument("a SHA-256 digest is 32 bytes, got " + std::to_string(raw.size()));
  }
  Hash h;
  std::copy(raw.begin(), raw.end(), h.bytes.begin());
  return h;
}

namespace {
// EVP failures here mean the process is out of memory or OpenSSL is broken;
// neither is recoverable input error, so they end the process loudly.
EVP_MD_CTX* NewCtx(const EVP_MD* md) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, md, nullptr) != 1) {
    throw std::runtime_error("OpenSSL digest initialisation failed");
  }
  return ctx;
}
}  // namespace

struct Sha256::Impl {
  EVP_MD_CTX* ctx;
};

Sha256::Sha256() : impl_(new Impl{NewCtx(EVP_sha256())}) {}
Sha256::~Sha256() { EVP_MD_CTX_free(impl_->ctx); }
void Sha256::Update(const void* data, size_t size) { EVP_DigestUpdate(impl_->ctx, data, size); }
Hash Sha256::Finish() {
  Hash h;
  unsigned int n = 0;
  EVP_DigestFinal_ex(impl_->ctx, h.bytes.data(), &n);
  return h;
}

Hash Sha256Of(std::string_view data) {
  Hash h;
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), h.bytes.data(), &n, EVP_sha256(), nullptr);
  return h;
}

struct Sha512::Impl {
  EVP_MD_CTX* ctx;
};

Sha512::Sha512() : impl_(new Impl{NewCtx(EVP_sha512())}) {}
Sha512::~Sha512() { EVP_MD_CTX_free(impl_->ctx); }
void Sha512::Update(const void* data, size_t size) { EVP_DigestUpdate(impl_->ctx, data, size); }
std::array<uint8_t, 64> Sha512::Finish() {
  std::array<uint8_t, 64> out{};
  unsigned int n = 0;
  EVP_DigestFinal_ex(impl_->ctx, out.data(), &n);
  return out;
}

}  // namespace isnad::core
