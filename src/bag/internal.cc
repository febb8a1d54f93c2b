#include "bag/internal.h"

#include <openssl/evp.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <system_error>

#include "core/digest.h"
#include "core/encoding.h"
#include "core/utf8.h"

namespace isnad::bag::internal {

namespace {

struct AlgInfo {
  Alg alg;
  std::string_view name;
  size_t hex_length;
};
constexpr std::array<AlgInfo, kAlgCount> kAlgs = {{
    {Alg::kMd5, "md5", 32},
    {Alg::kSha1, "sha1", 40},
    {Alg::kSha224, "sha224", 56},
    {Alg::kSha256, "sha256", 64},
    {Alg::kSha384, "sha384", 96},
    {Alg::kSha512, "sha512", 128},
}};

class Sha256Hasher : public Hasher {
 public:
  void Update(const char* data, size_t size) override { h_.Update(data, size); }
  std::string FinishHex() override { return h_.Finish().Hex(); }

 private:
  core::Sha256 h_;
};

class Sha512Hasher : public Hasher {
 public:
  void Update(const char* data, size_t size) override { h_.Update(data, size); }
  std::string FinishHex() override {
    auto raw = h_.Finish();
    return core::HexEncode(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
  }

 private:
  core::Sha512 h_;
};

// md5, sha1, sha224, sha384: OpenSSL EVP directly.
class EvpHasher : public Hasher {
 public:
  explicit EvpHasher(const EVP_MD* md) : ctx_(EVP_MD_CTX_new()) {
    ok_ = ctx_ != nullptr && EVP_DigestInit_ex(ctx_, md, nullptr) == 1;
  }
  ~EvpHasher() override { EVP_MD_CTX_free(ctx_); }
  void Update(const char* data, size_t size) override {
    if (ok_) ok_ = EVP_DigestUpdate(ctx_, data, size) == 1;
  }
  std::string FinishHex() override {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!ok_ || EVP_DigestFinal_ex(ctx_, out, &n) != 1) return "(digest failed)";
    return core::HexEncode(std::string_view(reinterpret_cast<const char*>(out), n));
  }

 private:
  EVP_MD_CTX* ctx_;
  bool ok_ = false;
};

}  // namespace

std::optional<Alg> AlgFromName(std::string_view name) {
  for (const AlgInfo& a : kAlgs) {
    if (a.name == name) return a.alg;
  }
  return std::nullopt;
}

std::string_view AlgName(Alg alg) { return kAlgs[static_cast<size_t>(alg)].name; }
size_t AlgHexLength(Alg alg) { return kAlgs[static_cast<size_t>(alg)].hex_length; }

std::unique_ptr<Hasher> NewHasher(Alg alg) {
  switch (alg) {
    case Alg::kSha256:
      return std::make_unique<Sha256Hasher>();
    case Alg::kSha512:
      return std::make_unique<Sha512Hasher>();
    case Alg::kMd5:
      return std::make_unique<EvpHasher>(EVP_md5());
    case Alg::kSha1:
      return std::make_unique<EvpHasher>(EVP_sha1());
    case Alg::kSha224:
      return std::make_unique<EvpHasher>(EVP_sha224());
    case Alg::kSha384:
      return std::make_unique<EvpHasher>(EVP_sha384());
  }
  return nullptr;
}

// ---------------------------------------------------------------------------
// HashPipeline: a ring of `blocks` slots. The producer writes slot produced_ %
// N once every consumer has moved past the block that held it before; consumer
// i reads slot consumed_[i] % N once it is submitted.

HashPipeline::HashPipeline(std::vector<Alg> consumers, DoneFn done, size_t blocks,
                           size_t block_size)
    : algs_(std::move(consumers)),
      done_(std::move(done)),
      block_size_(block_size),
      slots_(std::max<size_t>(blocks, 2)),
      consumed_(algs_.size(), 0) {
  for (Slot& s : slots_) s.data.reset(new char[block_size_]);
}

HashPipeline::~HashPipeline() { Close(); }

core::Status HashPipeline::Start() {
  for (size_t i = 0; i < algs_.size(); ++i) {
    try {
      threads_.emplace_back([this, i] { Run(i); });
    } catch (const std::system_error& e) {
      Close();
      return core::ResourceExhausted(std::string("cannot start a hashing thread: ") + e.what());
    }
  }
  return core::Status::Ok();
}

char* HashPipeline::Take() {
  std::unique_lock<std::mutex> lock(mu_);
  const size_t n = slots_.size();
  consumed_cv_.wait(lock, [&] {
    uint64_t slowest = produced_;
    for (uint64_t c : consumed_) slowest = std::min(slowest, c);
    return produced_ - slowest < n;
  });
  taken_ = true;
  return slots_[produced_ % n].data.get();
}

void HashPipeline::Submit(size_t size, uint32_t file, bool end, uint64_t mask) {
  std::lock_guard<std::mutex> lock(mu_);
  Slot& s = slots_[produced_ % slots_.size()];
  s.size = size;
  s.file = file;
  s.end = end;
  s.mask = mask;
  taken_ = false;
  ++produced_;
  produced_cv_.notify_all();
}

void HashPipeline::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
    produced_cv_.notify_all();
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void HashPipeline::Run(size_t consumer) {
  const Alg alg = algs_[consumer];
  const uint64_t bit = uint64_t{1} << consumer;
  std::unique_ptr<Hasher> hasher;
  while (true) {
    const Slot* slot;
    {
      std::unique_lock<std::mutex> lock(mu_);
      produced_cv_.wait(lock, [&] { return consumed_[consumer] < produced_ || closing_; });
      if (consumed_[consumer] >= produced_) return;  // closing, and nothing left
      slot = &slots_[consumed_[consumer] % slots_.size()];
    }
    // The slot is ours to read until consumed_ moves past it.
    if (slot->mask & bit) {
      if (!hasher) hasher = NewHasher(alg);
      hasher->Update(slot->data.get(), slot->size);
      if (slot->end) {
        done_(slot->file, alg, hasher->FinishHex());
        hasher.reset();
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    ++consumed_[consumer];
    consumed_cv_.notify_all();
  }
}

// ---------------------------------------------------------------------------

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' || text[i] == '\r') {
      lines.push_back(text.substr(start, i - start));
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

std::string PercentEncodePath(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    if (c == '%') {
      out += "%25";
    } else if (c == '\n') {
      out += "%0A";
    } else if (c == '\r') {
      out += "%0D";
    } else {
      out += c;
    }
  }
  return out;
}

std::string PercentDecodePath(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size()) {
      const char a = path[i + 1];
      const char b = static_cast<char>(path[i + 2] | 0x20);  // either case
      if (a == '2' && b == '5') {
        out += '%';
        i += 2;
        continue;
      }
      if (a == '0' && b == 'a') {
        out += '\n';
        i += 2;
        continue;
      }
      if (a == '0' && b == 'd') {
        out += '\r';
        i += 2;
        continue;
      }
    }
    out += path[i];
  }
  return out;
}

std::optional<std::string> EscapeReason(std::string_view path) {
  if (path.empty()) return "an empty path";
  if (path.front() == '/') return "an absolute path";
  if (path.front() == '~') return "a '~' home-folder reference";
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (path.substr(start, slash - start) == "..") return "a '..' element";
    start = slash + 1;
  }
  return std::nullopt;
}

std::string NormalizeName(std::string_view utf8, bool fold) {
  if (!core::IsValidUtf8(utf8)) return std::string(utf8);
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(err);
  if (U_FAILURE(err) || nfc == nullptr) return std::string(utf8);
  icu::UnicodeString s = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  icu::UnicodeString n = nfc->normalize(s, err);
  if (U_FAILURE(err)) return std::string(utf8);
  if (fold) n.foldCase();
  std::string out;
  n.toUTF8String(out);
  return out;
}

std::string HumanSize(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"KB", "MB", "GB", "TB", "PB"};
  if (bytes < 1000) return std::to_string(bytes) + " bytes";
  double v = static_cast<double>(bytes);
  size_t unit = 0;
  v /= 1000;
  while (v >= 1000 && unit + 1 < std::size(kUnits)) {
    v /= 1000;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[unit]);
  return buf;
}

bool IsSystemFileName(std::string_view base) {
  return base == "Thumbs.db" || base == "thumbs.db" || base == "ehthumbs.db" ||
         base == "desktop.ini" || base == "Desktop.ini" || base == ".DS_Store" ||
         base == ".Spotlight-V100" || base == ".Trashes" || base == ".fseventsd" ||
         (base.size() > 2 && base.substr(0, 2) == "._");
}

}  // namespace isnad::bag::internal
