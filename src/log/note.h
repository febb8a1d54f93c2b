// C2SP signed-note (https://c2sp.org/signed-note) with Ed25519 keys, the
// envelope of every checkpoint. Key text forms:
//   signer key  PRIVATE+KEY+<name>+<hex key id>+base64(0x01 || 32-byte seed)
//   verifier key        <name>+<hex key id>+base64(0x01 || 32-byte public key)
// key id = first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key).
// Verification follows Go's golang.org/x/mod/sumdb/note (and thereby OpenSSL's
// Ed25519): see docs/formats/checkpoint.md. Thread safety: NoteSigner and
// NoteVerifier are immutable after creation and may be shared.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace isnad::tlog {

class NoteVerifier {
 public:
  // Parses a verifier key. On any deviation from the form above (wrong id,
  // unknown algorithm byte, wrong key length, bad name, key id not exactly 8
  // lower-case hex digits, non-canonical base64): kInvalidArgument.
  static core::StatusOr<NoteVerifier> FromVkey(std::string_view vkey);

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  const std::string& vkey() const { return vkey_; }
  // Returns true when `sig` (64 bytes) is a valid Ed25519 signature of `msg`.
  bool Verify(std::string_view msg, std::string_view sig) const;

 private:
  std::string name_;
  uint32_t key_id_ = 0;
  std::string public_key_;  // 32 raw bytes
  std::string vkey_;
};

class NoteSigner {
 public:
  // Returns a fresh key pair for `name` as a signer-key string (secret).
  static core::StatusOr<std::string> GenerateSkey(std::string_view name);
  // Parses a signer key. On failure: kInvalidArgument.
  static core::StatusOr<NoteSigner> FromSkey(std::string_view skey);

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  // Returns the matching verifier key text.
  const std::string& vkey() const { return vkey_; }
  // Returns the Ed25519 signature (64 bytes) of `msg`; empty only if OpenSSL
  // fails (e.g. out of memory).
  std::string Sign(std::string_view msg) const;

 private:
  std::string name_;
  uint32_t key_id_ = 0;
  std::string seed_;  // 32 raw bytes
  std::string vkey_;
};

// Returns the signed note: `text` (must end in '\n'), a blank line, and one
// signature line per signer. On a text without final newline, a text OpenNote
// would refuse (invalid UTF-8, control characters other than '\n'), no signers
// or a null signer: kInvalidArgument.
core::StatusOr<std::string> SignNote(std::string_view text,
                                     const std::vector<const NoteSigner*>& signers);

struct NoteSignature {
  std::string name;
  uint32_t key_id = 0;
  std::string signature;  // raw bytes after the 4-byte key id
};

struct OpenedNote {
  std::string text;                       // up to and including the last '\n' before the blank line
  std::vector<NoteSignature> verified;    // signatures by known keys that verified
  std::vector<NoteSignature> unverified;  // signatures by unknown keys (ignored)
};

// Parses and verifies `note` against `known`. As in Go, repeated lines by one
// known key count once (only the first is checked) and signatures by unknown
// keys are never checked. Messages begin with Go's text; detail may follow.
// Errors:
//   kIntegrity "malformed note"                         (syntax)
//   kIntegrity "invalid signature for key <name>+<id>"  (a known key's signature fails)
//   kIntegrity "note has no verifiable signatures"
//   kInvalidArgument for ambiguous known keys (two with the same name and id).
core::StatusOr<OpenedNote> OpenNote(std::string_view note, const std::vector<NoteVerifier>& known);

}  // namespace isnad::tlog
