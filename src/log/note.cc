#include "log/note.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <functional>
#include <memory>
#include <set>
#include <utility>

#include "core/digest.h"
#include "core/encoding.h"

namespace isnad::tlog {
namespace {

constexpr unsigned char kAlgEd25519 = 0x01;
constexpr size_t kKeySize = 32;
constexpr size_t kSigSize = 64;
// Go's note.Open refuses more, so that a hostile note cannot make us verify forever.
constexpr int kMaxSignatures = 100;
constexpr std::string_view kSigPrefix = "\xE2\x80\x94 ";  // U+2014 em dash, space
constexpr std::string_view kSkeyPrefix = "PRIVATE+KEY+";

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

const unsigned char* Bytes(std::string_view s) {
  // OpenSSL may not accept a null pointer even for zero bytes.
  static const unsigned char kEmpty = 0;
  return s.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(s.data());
}

// Decodes one UTF-8 sequence at s[i] the way Go's utf8.DecodeRune does:
// returns the code point and sets *size, or returns -1 (with *size = 1) for an
// invalid, overlong, surrogate or out-of-range sequence.
int32_t DecodeRune(std::string_view s, size_t i, size_t* size) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  auto cont = [&](size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  *size = 1;
  unsigned char c = b(0);
  if (c < 0x80) return c;
  if (c >= 0xC2 && c <= 0xDF && cont(1)) {
    *size = 2;
    return ((c & 0x1F) << 6) | (b(1) & 0x3F);
  }
  if (c >= 0xE0 && c <= 0xEF && cont(1) && cont(2)) {
    int32_t r = ((c & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    if (r < 0x800 || (r >= 0xD800 && r <= 0xDFFF)) return -1;
    *size = 3;
    return r;
  }
  if (c >= 0xF0 && c <= 0xF4 && cont(1) && cont(2) && cont(3)) {
    int32_t r = ((c & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
    if (r < 0x10000 || r > 0x10FFFF) return -1;
    *size = 4;
    return r;
  }
  return -1;
}

// Go's unicode.IsSpace.
bool IsSpace(int32_t r) {
  switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return r >= 0x2000 && r <= 0x200A;
  }
}

// Go's note.isValidName: non-empty valid UTF-8 without spaces or '+'.
bool IsValidName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size();) {
    size_t n = 0;
    int32_t r = DecodeRune(name, i, &n);
    if (r < 0 || IsSpace(r) || r == '+') return false;
    i += n;
  }
  return true;
}

std::string IdHex(uint32_t id) {
  const unsigned char raw[4] = {
      static_cast<unsigned char>(id >> 24), static_cast<unsigned char>(id >> 16),
      static_cast<unsigned char>(id >> 8), static_cast<unsigned char>(id)};
  return core::HexEncode({reinterpret_cast<const char*>(raw), 4});
}

uint32_t BigEndian32(std::string_view raw) {
  auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(raw[k])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

// `alg_key` is the algorithm byte followed by the public key.
uint32_t KeyId(std::string_view name, std::string_view alg_key) {
  core::Sha256 h;
  h.Update(name);
  h.Update("\n");
  h.Update(alg_key);
  return BigEndian32(h.Finish().View());
}

// Returns the text before the first `sep` and advances `s` past it; with no
// `sep`, returns all of `s` and leaves it empty (Go's chop).
std::string_view Chop(std::string_view& s, char sep) {
  size_t i = s.find(sep);
  std::string_view head = s.substr(0, i);
  s = i == std::string_view::npos ? std::string_view() : s.substr(i + 1);
  return head;
}

// Parses "<8 lower-case hex digits>". Go also takes upper case; one key, one text.
bool ParseKeyIdHex(std::string_view hex, uint32_t* id) {
  if (hex.size() != 8) return false;
  uint32_t v = 0;
  for (char c : hex) {
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint32_t>(d);
  }
  *id = v;
  return true;
}

// Decodes the base64 key part and checks the algorithm byte and key length.
// Returns the 32 key bytes.
core::StatusOr<std::string> DecodeKeyMaterial(std::string_view b64, std::string_view what) {
  auto raw = core::Base64Decode(b64);
  if (!raw.ok() || raw->empty()) {
    return core::InvalidArgument(std::string(what) + ": malformed key material");
  }
  if (static_cast<unsigned char>((*raw)[0]) != kAlgEd25519) {
    OPENSSL_cleanse(raw->data(), raw->size());
    return core::InvalidArgument(std::string(what) + ": unknown key algorithm");
  }
  if (raw->size() != 1 + kKeySize) {
    OPENSSL_cleanse(raw->data(), raw->size());
    return core::InvalidArgument(std::string(what) + ": wrong key length");
  }
  std::string key = raw->substr(1);
  OPENSSL_cleanse(raw->data(), raw->size());
  return key;
}

// Returns the public key for `seed`, or an empty string when OpenSSL fails.
std::string PublicKeyOf(std::string_view seed) {
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, Bytes(seed), seed.size()));
  if (!pkey) return {};
  std::string pub(kKeySize, '\0');
  size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), reinterpret_cast<unsigned char*>(pub.data()), &len) !=
          1 ||
      len != kKeySize) {
    return {};
  }
  return pub;
}

std::string FormatVkey(std::string_view name, uint32_t id, std::string_view pub) {
  std::string alg_key(1, static_cast<char>(kAlgEd25519));
  alg_key.append(pub);
  return std::string(name) + "+" + IdHex(id) + "+" + core::Base64Encode(alg_key);
}

// Go's rule for note bytes: valid UTF-8 and no control character except '\n'.
// DEL and C1 controls pass, as in Go.
bool IsValidNoteText(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = 0;
    int32_t r = DecodeRune(s, i, &n);
    if (r < 0 || (r < 0x20 && r != '\n')) return false;
    i += n;
  }
  return true;
}

core::Status Malformed(std::string_view detail) {
  return core::Integrity("malformed note: " + std::string(detail));
}

}  // namespace

core::StatusOr<NoteVerifier> NoteVerifier::FromVkey(std::string_view vkey) {
  std::string_view rest = vkey;
  std::string_view name = Chop(rest, '+');
  std::string_view hex = Chop(rest, '+');
  uint32_t id = 0;
  if (!IsValidName(name)) return core::InvalidArgument("verifier key: invalid key name");
  if (!ParseKeyIdHex(hex, &id)) {
    return core::InvalidArgument("verifier key: key id is not 8 lower-case hex digits");
  }
  ISNAD_ASSIGN_OR_RETURN(std::string pub, DecodeKeyMaterial(rest, "verifier key"));
  std::string alg_key(1, static_cast<char>(kAlgEd25519));
  alg_key += pub;
  if (KeyId(name, alg_key) != id) {
    return core::InvalidArgument("verifier key: key id does not match name and key");
  }
  NoteVerifier v;
  v.name_ = std::string(name);
  v.key_id_ = id;
  v.public_key_ = std::move(pub);
  v.vkey_ = std::string(vkey);
  return v;
}

bool NoteVerifier::Verify(std::string_view msg, std::string_view sig) const {
  if (sig.size() != kSigSize || public_key_.size() != kKeySize) return false;
  // Cofactorless check that compares R byte-wise, as Go's crypto/ed25519: it
  // rejects a non-canonical R and a low-order residue, accepts the rest (CCTV).
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, Bytes(public_key_),
                                           public_key_.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!pkey || !ctx) return false;
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), Bytes(sig), sig.size(), Bytes(msg), msg.size()) == 1;
}

core::StatusOr<std::string> NoteSigner::GenerateSkey(std::string_view name) {
  if (!IsValidName(name)) {
    return core::InvalidArgument("key name must be non-empty UTF-8 without spaces or '+'");
  }
  std::array<unsigned char, 1 + kKeySize> raw{};
  raw[0] = kAlgEd25519;
  if (RAND_bytes(raw.data() + 1, static_cast<int>(kKeySize)) != 1) {
    return core::Internal("no randomness for a new key");
  }
  std::string pub = PublicKeyOf({reinterpret_cast<const char*>(raw.data() + 1), kKeySize});
  if (pub.empty()) {
    OPENSSL_cleanse(raw.data(), raw.size());
    return core::Internal("cannot derive an Ed25519 public key");
  }
  std::string alg_pub(1, static_cast<char>(kAlgEd25519));
  alg_pub += pub;
  std::string skey = std::string(kSkeyPrefix) + std::string(name) + "+" +
                     IdHex(KeyId(name, alg_pub)) + "+" +
                     core::Base64Encode({reinterpret_cast<const char*>(raw.data()), raw.size()});
  OPENSSL_cleanse(raw.data(), raw.size());
  return skey;
}

core::StatusOr<NoteSigner> NoteSigner::FromSkey(std::string_view skey) {
  if (skey.substr(0, kSkeyPrefix.size()) != kSkeyPrefix) {
    return core::InvalidArgument("signer key: does not begin with PRIVATE+KEY+");
  }
  std::string_view rest = skey.substr(kSkeyPrefix.size());
  std::string_view name = Chop(rest, '+');
  std::string_view hex = Chop(rest, '+');
  uint32_t id = 0;
  if (!IsValidName(name)) return core::InvalidArgument("signer key: invalid key name");
  if (!ParseKeyIdHex(hex, &id)) {
    return core::InvalidArgument("signer key: key id is not 8 lower-case hex digits");
  }
  ISNAD_ASSIGN_OR_RETURN(std::string seed, DecodeKeyMaterial(rest, "signer key"));
  std::string pub = PublicKeyOf(seed);
  if (pub.empty()) {
    OPENSSL_cleanse(seed.data(), seed.size());
    return core::Internal("cannot derive an Ed25519 public key");
  }
  std::string alg_pub(1, static_cast<char>(kAlgEd25519));
  alg_pub += pub;
  if (KeyId(name, alg_pub) != id) {
    OPENSSL_cleanse(seed.data(), seed.size());
    return core::InvalidArgument("signer key: key id does not match name and key");
  }
  NoteSigner s;
  s.name_ = std::string(name);
  s.key_id_ = id;
  s.seed_ = std::move(seed);
  s.vkey_ = FormatVkey(name, id, pub);
  return s;
}

std::string NoteSigner::Sign(std::string_view msg) const {
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, Bytes(seed_), seed_.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!pkey || !ctx) return {};
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) return {};
  std::string sig(kSigSize, '\0');
  size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, Bytes(msg),
                     msg.size()) != 1 ||
      len != kSigSize) {
    return {};
  }
  return sig;
}

core::StatusOr<std::string> SignNote(std::string_view text,
                                     const std::vector<const NoteSigner*>& signers) {
  if (text.empty() || text.back() != '\n') {
    return core::InvalidArgument("note text must end with a newline");
  }
  // Go signs such a text, but its own Open would refuse the note; refuse early.
  if (!IsValidNoteText(text)) {
    return core::InvalidArgument("note text must be UTF-8 without control characters but '\\n'");
  }
  if (signers.empty()) return core::InvalidArgument("a note needs at least one signer");
  std::string sigs;
  for (const NoteSigner* s : signers) {
    if (s == nullptr) return core::InvalidArgument("null signer");
    std::string sig = s->Sign(text);
    if (sig.size() != kSigSize) return core::Internal("Ed25519 signing failed");
    const unsigned char id[4] = {static_cast<unsigned char>(s->key_id() >> 24),
                                 static_cast<unsigned char>(s->key_id() >> 16),
                                 static_cast<unsigned char>(s->key_id() >> 8),
                                 static_cast<unsigned char>(s->key_id())};
    std::string raw(reinterpret_cast<const char*>(id), 4);
    raw += sig;
    sigs.append(kSigPrefix).append(s->name()).append(" ").append(core::Base64Encode(raw));
    sigs += '\n';
  }
  std::string note(text);
  note += '\n';
  note += sigs;
  return note;
}

core::StatusOr<OpenedNote> OpenNote(std::string_view note, const std::vector<NoteVerifier>& known) {
  if (!IsValidNoteText(note)) {
    return Malformed("not UTF-8, or a control character other than newline");
  }
  size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) return Malformed("no blank line before the signatures");
  OpenedNote opened;
  opened.text = std::string(note.substr(0, split + 1));
  std::string_view sigs = note.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n') {
    return Malformed("signature block is empty or lacks its final newline");
  }

  std::set<std::pair<std::string, uint32_t>> seen;
  std::set<std::string, std::less<>> seen_unverified;
  int num_sigs = 0;
  while (!sigs.empty()) {
    size_t nl = sigs.find('\n');
    std::string_view line = sigs.substr(0, nl);
    sigs = sigs.substr(nl + 1);
    if (line.substr(0, kSigPrefix.size()) != kSigPrefix) {
      return Malformed("a line after the blank line is not a signature line");
    }
    line = line.substr(kSigPrefix.size());
    std::string_view b64 = line;
    std::string_view name = Chop(b64, ' ');
    auto raw = core::Base64Decode(b64);
    if (!raw.ok() || !IsValidName(name) || b64.empty() || raw->size() < 5) {
      return Malformed("bad signature line");
    }
    uint32_t id = BigEndian32(*raw);
    if (++num_sigs > kMaxSignatures) return Malformed("more than 100 signatures");

    const NoteVerifier* verifier = nullptr;
    int matches = 0;
    for (const NoteVerifier& v : known) {
      if (v.name() == name && v.key_id() == id) {
        verifier = &v;
        matches++;
      }
    }
    NoteSignature sig{std::string(name), id, raw->substr(4)};
    if (matches == 0) {
      // Repeats of the same line are one signature; unknown keys are never checked.
      if (seen_unverified.insert(std::string(line)).second) {
        opened.unverified.push_back(std::move(sig));
      }
      continue;
    }
    std::string key = sig.name + "+" + IdHex(id);
    if (matches > 1) {
      return core::InvalidArgument("ambiguous key " + key + ": configured more than once");
    }
    // Like Go, only the first signature line of a key counts; later ones are skipped unchecked.
    if (!seen.emplace(sig.name, id).second) continue;
    if (!verifier->Verify(opened.text, sig.signature)) {
      return core::Integrity("invalid signature for key " + key);
    }
    opened.verified.push_back(std::move(sig));
  }
  if (opened.verified.empty()) {
    return core::Integrity("note has no verifiable signatures");
  }
  return opened;
}

}  // namespace isnad::tlog
