// Content codings (RFC 9110 8.4) as isnad undoes them for a payload handed on:
// the image, video or page as the user saw it. One gzip (x-gzip) or deflate
// coding is removed; several, or another (br, zstd), are left as sent, with a
// note saying so. Shared by the WARC reader (a web archive added) and by web
// capture, so that the same response makes the same payload item either way.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace isnad::warc {

// `s` without leading and trailing spaces and tabs (and a trailing CR or LF):
// an HTTP or WARC field value as it is meant.
std::string_view TrimHttpSpace(std::string_view s);

// Appends the codings listed in one Content-Encoding or Transfer-Encoding
// value ("gzip, br"), lower case, "identity" left out. Repeated header lines
// are one list (RFC 9110 5.3): call it for each, in order.
void AppendCodings(std::string_view value, std::vector<std::string>* codings);

// What is done with a payload whose Content-Encoding codings are `codings`.
struct PayloadCoding {
  // The one coding removed: "gzip", "x-gzip" or "deflate"; "" when none is.
  std::string removed;
  // When codings are left as sent: "Content-Encoding 'br' is not removed: the
  // payload is as sent". "" otherwise.
  std::string note;
};
PayloadCoding ChoosePayloadCoding(const std::vector<std::string>& codings);

// What is done with an HTTP/1.1 body whose Transfer-Encoding codings (every
// line, in order) are `codings`. Only chunked alone is undone (RFC 9112 7.1);
// another coding ("gzip, chunked", "chunked, chunked") leaves bytes that are
// not the payload: the payload digest is then over the body as sent, and there
// is no payload item, `note` saying why. Shared by the WARC reader and web
// capture, so that a WARC isnad writes checks with the digests isnad reads.
struct BodyTransferCoding {
  bool chunked = false;  // the body is chunked, and only chunked
  std::string note;      // "Transfer-Encoding 'gzip, chunked' is not undone: ..."; "" otherwise
};
BodyTransferCoding ChooseTransferCoding(const std::vector<std::string>& codings);

// The codings of every `name` line (Content-Encoding, Transfer-Encoding; any
// case, and, as curl reads them, no white space before the colon) of an HTTP
// head given as text, status line first, in order.
std::vector<std::string> HeadCodings(std::string_view head, std::string_view name);

// Why a payload whose `coding` could not be undone has no item.
std::string InvalidCodingNote(const std::string& coding);

// Removes gzip or deflate content coding as the bytes stream through: a zlib
// stream, raw deflate (as some servers send "deflate"), or gzip, of one member
// or several inflated one after another as gzip -d does (RFC 1952 2.2).
class Inflater {
 public:
  Inflater();
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Inflates `in`, handing what comes out to `out` in pieces. Returns ok().
  bool Feed(std::string_view in, const std::function<void(std::string_view)>& out);
  // False once the data is found invalid; nothing more is inflated.
  bool ok() const;
  // True when the compressed data ended (its last member's end was read).
  bool ended() const;
  // Bytes that are not another gzip member came after the end of the
  // compressed data: what was inflated is not the whole payload.
  bool trailing() const;
  // True when the payload inflated is whole: ok, ended, nothing after it.
  bool whole() const { return ok() && ended() && !trailing(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace isnad::warc
