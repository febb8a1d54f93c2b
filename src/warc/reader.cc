// WARC reader: see reader.h. Layers, bottom up: Input (the file, plain or
// inflated gzip members, remembering where each member starts), Buffered
// (lines and bytes over Input), and Reader::Impl (records).
#include "warc/reader.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>

#include "core/async_feed.h"
#include "core/encoding.h"
#include "core/utf8.h"
#include "warc/base32.h"
#include "warc/content_coding.h"

namespace isnad::warc {
namespace {

constexpr size_t kBufSize = 1 << 16;
constexpr size_t kMaxHeaderBytes = 1 << 20;
// A record whose block has this many bytes left after its HTTP headers has its
// payload digest computed on a second thread.
constexpr uint64_t kAsyncDigestBytes = uint64_t{8} << 20;

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) { return TrimHttpSpace(s); }

// A printable excerpt of `s` for error messages.
std::string Excerpt(std::string_view s) {
  std::string r;
  for (char c : s.substr(0, 60)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u == '\r' || u == '\n') continue;
    r += (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  if (s.size() > 60) r += "...";
  return r;
}

// The file, plain or as a sequence of gzip members inflated one after another.
// A damaged member (invalid deflate data, a wrong CRC, cut short, or bytes that
// are not gzip where a member should start) is a break: Read returns 0 there,
// as at the end of the file, until Resume goes on at the next member that
// holds a WARC record.
class Input {
 public:
  struct Member {
    uint64_t u;  // uncompressed offset of its first byte
    uint64_t c;  // compressed offset of its first byte
  };
  // Where reading broke, and why.
  struct Damage {
    uint64_t c = 0;  // compressed offset of the damaged member (or of the bytes that are not gzip)
    uint64_t u = 0;  // uncompressed offset where that member's data began
    std::string message;
    bool at_end = false;  // the file ends inside the member (cut short, or the file is)
  };

  explicit Input(core::SequentialFile* f) : f_(f), in_(kBufSize) {}
  ~Input() {
    if (z_init_) inflateEnd(&zs_);
  }

  // Reads the first bytes and decides plain or gzip.
  core::Status Start() {
    ISNAD_RETURN_IF_ERROR(FillIn());
    gzip_ = in_len_ - in_pos_ >= 2 && static_cast<unsigned char>(in_[in_pos_]) == 0x1f &&
            static_cast<unsigned char>(in_[in_pos_ + 1]) == 0x8b;
    if (gzip_) {
      std::memset(&zs_, 0, sizeof zs_);
      if (inflateInit2(&zs_, 15 + 16) != Z_OK) return core::Internal("zlib inflateInit2 failed");
      z_init_ = true;
      in_member_ = true;
      members_.push_back({0, 0});
    }
    return core::Status::Ok();
  }

  bool gzip() const { return gzip_; }
  // Inside a gzip member (false between members: the last one ended whole).
  bool in_member() const { return in_member_; }
  uint64_t coffset() const { return consumed_; }  // compressed bytes consumed
  std::deque<Member>& members() { return members_; }
  // At a damaged member: Read returns 0 until Resume.
  bool broken() const { return broken_; }
  const Damage& damage() const { return damage_; }
  // Where the last Resume began its search: past damage().c + 1 when the
  // damage was found so far on that the bytes before had been dropped.
  uint64_t search_from() const { return search_from_; }

  // Reads up to `n` bytes. Returns 0 at the end of the file, or at a break.
  core::StatusOr<size_t> Read(char* buf, size_t n) {
    if (!gzip_) {
      if (in_pos_ == in_len_) ISNAD_RETURN_IF_ERROR(FillIn());
      size_t k = std::min(n, in_len_ - in_pos_);
      std::memcpy(buf, in_.data() + in_pos_, k);
      in_pos_ += k;
      consumed_ += k;
      uoffset_ += k;
      return k;
    }
    if (broken_) return size_t{0};
    if (lead_pos_ < lead_.size()) {  // a resumed member's first bytes, inflated by Resume
      size_t k = std::min(n, lead_.size() - lead_pos_);
      std::memcpy(buf, lead_.data() + lead_pos_, k);
      lead_pos_ += k;
      uoffset_ += k;
      return k;
    }
    while (true) {
      if (!in_member_) {
        // Between members: the end, or the next member.
        if (in_pos_ == in_len_) ISNAD_RETURN_IF_ERROR(FillIn());
        if (in_pos_ == in_len_) return size_t{0};
        if (static_cast<unsigned char>(in_[in_pos_]) != 0x1f) {
          Break(consumed_, uoffset_,
                "bytes after the gzip member ending at byte " + std::to_string(consumed_) +
                    " are not gzip data");
          return size_t{0};
        }
        inflateReset(&zs_);
        in_member_ = true;
        // An empty member before this one holds no byte: forget it (a file of
        // millions of empty members must not grow this list).
        if (!members_.empty() && members_.back().u == uoffset_) members_.pop_back();
        members_.push_back({uoffset_, consumed_});
      }
      if (in_pos_ == in_len_) ISNAD_RETURN_IF_ERROR(FillIn());
      if (in_pos_ == in_len_) {
        Break(members_.back().c, members_.back().u,
              "the gzip data ends inside the member that starts at byte " +
                  std::to_string(members_.back().c));
        damage_.at_end = true;
        return size_t{0};
      }
      zs_.next_in = reinterpret_cast<Bytef*>(in_.data() + in_pos_);
      zs_.avail_in = static_cast<uInt>(in_len_ - in_pos_);
      zs_.next_out = reinterpret_cast<Bytef*>(buf);
      zs_.avail_out = static_cast<uInt>(n);
      int rc = inflate(&zs_, Z_NO_FLUSH);
      size_t used = (in_len_ - in_pos_) - zs_.avail_in;
      in_pos_ += used;
      consumed_ += used;
      size_t produced = n - zs_.avail_out;
      uoffset_ += produced;
      if (rc == Z_STREAM_END) {
        in_member_ = false;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        Break(members_.back().c, members_.back().u,
              "invalid gzip data in the member that starts at byte " +
                  std::to_string(members_.back().c) + ": " +
                  (zs_.msg ? zs_.msg : "zlib error " + std::to_string(rc)));
        // What this call inflated comes first (a bad CRC is found only after the
        // member's last bytes): the break is the next read's, whatever the chunking.
        return produced;
      }
      if (produced > 0) return produced;
    }
  }

  // After a break: goes on at the next gzip member whose data begins with
  // "WARC/" (a record's version line), searched for from the byte after the
  // damaged member's first, as far back as the bytes kept reach (at least
  // kBack: the damage may be found only past its member's end, and a member
  // cut short runs on into the next ones, to the end of the file at worst).
  // Returns false when no such member follows, to the end of the file.
  core::StatusOr<bool> Resume() {
    broken_ = false;
    in_member_ = false;
    const uint64_t base = consumed_ - in_pos_;  // compressed offset of in_[0]
    search_from_ = std::max(damage_.c + 1, base);
    in_pos_ = static_cast<size_t>(std::min<uint64_t>(search_from_ - base, in_len_));
    consumed_ = base + in_pos_;
    while (true) {
      ISNAD_RETURN_IF_ERROR(FillAtLeast(kProbe));
      if (in_pos_ == in_len_) return false;
      const void* m = std::memchr(in_.data() + in_pos_, 0x1f, in_len_ - in_pos_);
      const size_t at = m ? static_cast<size_t>(static_cast<const char*>(m) - in_.data()) : in_len_;
      consumed_ += at - in_pos_;
      in_pos_ = at;
      if (m == nullptr) continue;
      ISNAD_RETURN_IF_ERROR(FillAtLeast(kProbe));
      if (TryMember()) return true;
      ++in_pos_;
      ++consumed_;
    }
  }

 private:
  // Stops reading at a damaged member.
  void Break(uint64_t c, uint64_t u, std::string message) {
    broken_ = true;
    damage_ = Damage{c, u, std::move(message), false};
  }

  // The size of the gzip member header at b[0..have), or 0 when it is not
  // one (RFC 1952 2.3.1: ID1 ID2, CM deflate, no reserved FLG bit) or runs
  // past `have`. A file name or comment is searched for its end with memchr,
  // so that a crafted run of candidates costs little each.
  static size_t HeaderSize(const unsigned char* b, size_t have) {
    if (have < 10 || b[0] != 0x1f || b[1] != 0x8b || b[2] != 8 || (b[3] & 0xe0) != 0) return 0;
    const unsigned flg = b[3];
    size_t n = 10;
    if (flg & 0x04) {  // FEXTRA
      if (have < n + 2) return 0;
      n += 2 + (b[n] | (size_t{b[n + 1]} << 8));
    }
    for (unsigned bit : {0x08u, 0x10u}) {  // FNAME, FCOMMENT: zero-terminated
      if (!(flg & bit)) continue;
      if (n >= have) return 0;
      const void* z = std::memchr(b + n, 0, have - n);
      if (z == nullptr) return 0;
      n = static_cast<size_t>(static_cast<const unsigned char*>(z) - b) + 1;
    }
    if (flg & 0x02) n += 2;  // FHCRC
    return n <= have ? n : 0;
  }

  // A gzip member starts at in_pos_ and its data at "WARC/": if so, reads on
  // inside it (its first bytes kept in lead_ for Read).
  bool TryMember() {
    const auto* b = reinterpret_cast<const unsigned char*>(in_.data() + in_pos_);
    const size_t have = std::min(in_len_ - in_pos_, kProbe);
    const size_t header = HeaderSize(b, have);
    if (header == 0) return false;
    inflateReset(&zs_);
    char head[5];
    zs_.next_in = reinterpret_cast<Bytef*>(in_.data() + in_pos_);
    // The header and a first deflate block's header (a few hundred bytes at most).
    const size_t probe = std::min(have, header + 1024);
    zs_.avail_in = static_cast<uInt>(probe);
    zs_.next_out = reinterpret_cast<Bytef*>(head);
    zs_.avail_out = sizeof head;
    const int rc = inflate(&zs_, Z_NO_FLUSH);
    if ((rc != Z_OK && rc != Z_STREAM_END) || zs_.avail_out != 0 ||
        std::memcmp(head, "WARC/", sizeof head) != 0)
      return false;
    const size_t used = probe - zs_.avail_in;
    members_.push_back({uoffset_, consumed_});
    in_pos_ += used;
    consumed_ += used;
    lead_.assign(head, sizeof head);
    lead_pos_ = 0;
    in_member_ = rc != Z_STREAM_END;
    return true;
  }

  // Refills an empty buffer. In a gzip file the bytes read before are kept
  // for Resume: the buffer grows up to kMaxIn, and once it is full its last
  // kBack bytes move to its front (a copy of kBack every kMaxIn - kBack bytes
  // read). A plain file needs none.
  core::Status FillIn() {
    if (in_pos_ < in_len_) return core::Status::Ok();
    if (!gzip_) {
      in_pos_ = in_len_ = 0;
    } else if (in_.size() - in_len_ < kBufSize) {
      if (in_.size() < kMaxIn) {
        in_.resize(std::min(kMaxIn, std::max(in_.size() * 2, in_len_ + kBufSize)));
      } else {
        const size_t keep = std::min(in_len_, kBack);
        std::memmove(in_.data(), in_.data() + in_len_ - keep, keep);
        in_pos_ = in_len_ = keep;
      }
    }
    ISNAD_ASSIGN_OR_RETURN(size_t k, f_->Read(in_.data() + in_len_, kBufSize));
    in_len_ += k;
    return core::Status::Ok();
  }

  // At least `n` bytes from in_pos_ on (fewer only at the end of the file),
  // the bytes before in_pos_ dropped.
  core::Status FillAtLeast(size_t n) {
    if (in_len_ - in_pos_ >= n) return core::Status::Ok();
    std::memmove(in_.data(), in_.data() + in_pos_, in_len_ - in_pos_);
    in_len_ -= in_pos_;
    in_pos_ = 0;
    while (in_len_ < n) {
      ISNAD_ASSIGN_OR_RETURN(size_t k, f_->Read(in_.data() + in_len_, in_.size() - in_len_));
      if (k == 0) break;
      in_len_ += k;
    }
    return core::Status::Ok();
  }

  static constexpr size_t kBack = size_t{1} << 20;  // at least this much kept before in_pos_
  static constexpr size_t kMaxIn = size_t{4} << 20;
  static constexpr size_t kProbe = 4096;  // bytes enough to find a member's first five

  core::SequentialFile* f_;
  std::vector<char> in_;
  size_t in_pos_ = 0, in_len_ = 0;
  uint64_t consumed_ = 0, uoffset_ = 0;
  bool gzip_ = false, z_init_ = false, in_member_ = false;
  bool broken_ = false;
  Damage damage_;
  uint64_t search_from_ = 0;
  std::string lead_;
  size_t lead_pos_ = 0;
  z_stream zs_{};
  std::deque<Member> members_;
};

// Lines and bytes over Input, with the uncompressed offset of the next byte.
class Buffered {
 public:
  explicit Buffered(Input* in) : in_(in), buf_(kBufSize) {}

  uint64_t offset() const { return base_ + pos_; }

  // The bytes available now (empty at the end of the file).
  core::StatusOr<std::string_view> Peek() {
    if (pos_ == end_) {
      base_ += end_;
      pos_ = end_ = 0;
      ISNAD_ASSIGN_OR_RETURN(size_t k, in_->Read(buf_.data(), buf_.size()));
      end_ = k;
      ended_ = k == 0;
    }
    return std::string_view(buf_.data() + pos_, end_ - pos_);
  }
  void Consume(size_t n) { pos_ += n; }

  // Every byte read, and the last read found no more: the end of the file, or
  // a break in it (Input::broken).
  bool exhausted() const { return ended_ && pos_ == end_; }

  // At least `n` bytes from the next one on (fewer only at the end of the
  // file), without consuming them; `n` at most the buffer's size.
  core::StatusOr<std::string_view> PeekAtLeast(size_t n) {
    if (end_ - pos_ < n && pos_ > 0) {
      std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
      base_ += pos_;
      end_ -= pos_;
      pos_ = 0;
    }
    while (end_ - pos_ < n) {
      ISNAD_ASSIGN_OR_RETURN(size_t k, in_->Read(buf_.data() + end_, buf_.size() - end_));
      ended_ = k == 0;
      if (k == 0) break;
      end_ += k;
    }
    return std::string_view(buf_.data() + pos_, end_ - pos_);
  }

  // Reads one line (with its "\n") into `*line`, at most `limit` bytes; keeps
  // at most `keep` bytes of it. Returns the line's full length (0 at the end).
  core::StatusOr<uint64_t> ReadLine(std::string* line, uint64_t limit, size_t keep) {
    line->clear();
    uint64_t total = 0;
    while (total < limit) {
      ISNAD_ASSIGN_OR_RETURN(std::string_view avail, Peek());
      if (avail.empty()) break;
      avail = avail.substr(0, std::min<uint64_t>(avail.size(), limit - total));
      size_t nl = avail.find('\n');
      size_t take = nl == std::string_view::npos ? avail.size() : nl + 1;
      if (line->size() < keep) line->append(avail.substr(0, std::min(take, keep - line->size())));
      Consume(take);
      total += take;
      if (nl != std::string_view::npos) break;
    }
    return total;
  }

 private:
  Input* in_;
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0;
  uint64_t base_ = 0;
  bool ended_ = false;
};

bool IsBlank(std::string_view line) { return Trim(line).empty(); }

// "WARC-Type: response": a line that reads like a WARC named field.
bool IsWarcField(std::string_view line) {
  if (line.substr(0, 5) != "WARC-") return false;
  size_t colon = line.find(':');
  return colon != std::string_view::npos &&
         std::all_of(line.begin(), line.begin() + colon, [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-';
         });
}

// "WARC/1.0", "WARC/1.1": the line a record starts with (WARC 1.1, section 4).
bool IsVersionLine(std::string_view line) {
  std::string_view t = Trim(line);
  if (t.substr(0, 5) != "WARC/") return false;
  t.remove_prefix(5);
  size_t dot = t.find('.');
  auto digits = [](std::string_view d) {
    return !d.empty() && d.size() <= 4 &&
           std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  return dot != std::string_view::npos && digits(t.substr(0, dot)) && digits(t.substr(dot + 1));
}

// Removes chunked transfer coding as the bytes stream through.
class Dechunker {
 public:
  // Feeds raw bytes; decoded bytes go to `out`. Returns false once malformed.
  template <typename Out>
  bool Feed(std::string_view in, Out&& out) {
    while (!in.empty() && !failed_ && state_ != kDone) {
      switch (state_) {
        case kSize:
        case kDataEnd:
        case kTrailer: {
          size_t nl = in.find('\n');
          size_t take = nl == std::string_view::npos ? in.size() : nl + 1;
          if (line_.size() + take > 4096) return Fail();
          line_.append(in.substr(0, take));
          in.remove_prefix(take);
          if (nl == std::string_view::npos) break;
          std::string_view l = Trim(line_);
          if (state_ == kSize) {
            std::string_view hex = l.substr(0, l.find(';'));
            hex = Trim(hex);
            // Leading zeros are allowed (RFC 9112 7.1: 1*HEXDIG); more than 15
            // significant digits is no real chunk.
            if (hex.empty()) return Fail();
            while (hex.size() > 1 && hex.front() == '0') hex.remove_prefix(1);
            if (hex.size() > 15) return Fail();
            uint64_t n = 0;
            for (char c : hex) {
              int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                      : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                      : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                                  : -1;
              if (v < 0) return Fail();
              n = n * 16 + static_cast<uint64_t>(v);
            }
            left_ = n;
            state_ = n == 0 ? kTrailer : kData;
          } else if (state_ == kDataEnd) {
            if (!l.empty()) return Fail();
            state_ = kSize;
          } else if (l.empty()) {
            state_ = kDone;
          }
          line_.clear();
          break;
        }
        case kData: {
          size_t take = static_cast<size_t>(std::min<uint64_t>(left_, in.size()));
          out(in.substr(0, take));
          in.remove_prefix(take);
          left_ -= take;
          if (left_ == 0) state_ = kDataEnd;
          break;
        }
        case kDone:
          break;
      }
    }
    return !failed_;
  }
  // True when the last chunk and trailer were read (or the message ended
  // right after the last chunk's size line, which many servers do).
  bool done() const { return state_ == kDone || (state_ == kTrailer && line_.empty()); }
  bool failed() const { return failed_; }

 private:
  bool Fail() {
    failed_ = true;
    return false;
  }
  enum State { kSize, kData, kDataEnd, kTrailer, kDone } state_ = kSize;
  std::string line_;
  uint64_t left_ = 0;
  bool failed_ = false;
};

}  // namespace

std::string DigestProblem(const DigestCheck& d) {
  if (d.result == DigestResult::kUnknownAlgorithm) return "names no digest algorithm isnad knows";
  if (d.computed.empty())
    return "does not hold: the record is cut short, so its content is not all there";
  return "does not match the content (" + d.computed + ")";
}

std::string_view DigestResultName(DigestResult r) {
  switch (r) {
    case DigestResult::kAbsent:
      return "absent";
    case DigestResult::kPass:
      return "pass";
    case DigestResult::kFail:
      return "fail";
    case DigestResult::kUnknownAlgorithm:
      return "unknown-algorithm";
    case DigestResult::kNotChecked:
      return "not-checked";
  }
  return "?";
}

const std::string* Record::Get(std::string_view name) const {
  for (const Field& f : fields)
    if (IEquals(f.name, name)) return &f.value;
  return nullptr;
}

bool Record::ok() const {
  auto bad = [](const DigestCheck& d) {
    return d.result == DigestResult::kFail || d.result == DigestResult::kUnknownAlgorithm;
  };
  return problems.empty() && !bad(block_digest) && !bad(payload_digest);
}

// ---- Digests -------------------------------------------------------------

std::unique_ptr<Digester> Digester::ForField(std::string_view field_value) {
  size_t colon = field_value.find(':');
  if (colon == std::string_view::npos) return nullptr;
  std::string algo = core::AsciiLower(Trim(field_value.substr(0, colon)));
  std::string name = algo;
  if (name == "sha-1") name = "sha1";
  if (name == "sha-256") name = "sha256";
  if (name == "sha-512") name = "sha512";
  if (name == "sha-384") name = "sha384";
  static const char* kAllowed[] = {"sha1", "sha224", "sha256", "sha384", "sha512", "md5"};
  if (std::find_if(std::begin(kAllowed), std::end(kAllowed),
                   [&](const char* a) { return name == a; }) == std::end(kAllowed))
    return nullptr;
  const EVP_MD* md = EVP_get_digestbyname(name.c_str());
  if (md == nullptr) return nullptr;
  std::unique_ptr<Digester> d(new Digester());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, md, nullptr) != 1) {
    EVP_MD_CTX_free(ctx);
    return nullptr;
  }
  d->ctx_ = ctx;
  d->algorithm_ = name;
  return d;
}

Digester::~Digester() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Digester::Update(std::string_view data) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}

std::string Digester::FinishRaw() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

bool DigestMatches(std::string_view field_value, std::string_view raw) {
  size_t colon = field_value.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view v = Trim(field_value.substr(colon + 1));
  size_t b32_len = (raw.size() + 4) / 5 * 8;
  size_t b32_unpadded = (raw.size() * 8 + 4) / 5;
  core::StatusOr<std::string> decoded = core::InvalidArgument("");
  if (v.size() == b32_len || v.size() == b32_unpadded) {
    decoded = Base32Decode(v);
  }
  // md5 in base16 is as long as md5 in padded base32 (32): hex when not base32.
  if (v.size() == raw.size() * 2 && (!decoded.ok() || *decoded != raw)) {
    decoded = core::HexDecode(v);
  } else if (v.size() != b32_len && v.size() != b32_unpadded) {
    decoded = Base64DecodeLenient(v);
  }
  return decoded.ok() && *decoded == raw;
}

// ---- Records ---------------------------------------------------------------

struct Reader::Impl {
  explicit Impl(core::SequentialFile* f) : input(f), buf(&input) {}

  Input input;
  Buffered buf;
  bool started = false;
  bool done = false;
  int records = 0;
  // The next record's first line, already read, and where it began.
  std::optional<std::string> pending;
  uint64_t pending_u = 0;
  // The gzip member (compressed offset) the previous record started in.
  std::optional<uint64_t> prev_member;
  // An error met after a whole record, returned by the next call.
  std::optional<core::Status> deferred;
  // Damaged gzip data before the first record: the problem of the first found,
  // or the error when none is.
  std::optional<std::string> lead_damage;

  // Reading stopped at a damaged gzip member (not at the end of the file).
  bool AtBreak() const { return input.broken() && buf.exhausted(); }

  // The compressed offset of the member holding uncompressed offset `u`;
  // sets *aligned when `u` is the member's first byte.
  uint64_t MemberOf(uint64_t u, bool* aligned) {
    auto& m = input.members();
    while (m.size() >= 2 && m[1].u <= u) m.pop_front();
    *aligned = !m.empty() && m.front().u == u;
    return m.empty() ? 0 : m.front().c;
  }

  // Skips blank lines; leaves the next non-blank line in `pending`.
  core::Status SkipBlankLines() {
    std::string line;
    while (true) {
      uint64_t at = buf.offset();
      ISNAD_ASSIGN_OR_RETURN(uint64_t n, buf.ReadLine(&line, kMaxHeaderBytes, kMaxHeaderBytes));
      if (n == 0 || AtBreak()) return core::Status::Ok();
      if (n >= kMaxHeaderBytes)
        return core::Integrity("a line of over 1 MiB where a WARC record should start (byte " +
                               std::to_string(at) + " of the uncompressed data)");
      if (IsBlank(line)) continue;
      pending = std::move(line);
      pending_u = at;
      return core::Status::Ok();
    }
  }

  // A line of `n` bytes at uncompressed offset `at` that starts a record after
  // bytes that are not one: a version line, at a member start in a gzip file.
  // The version line must also be followed by a record's header: named
  // fields up to a blank line, a numeric Content-Length among them (a payload
  // line "WARC/1.0" seldom is), judged on the next 16 KiB (a longer header is
  // taken on trust).
  core::StatusOr<bool> StartsRecord(std::string_view line, uint64_t n, uint64_t at) {
    if (n >= 64 || !IsVersionLine(line)) return false;
    bool aligned = true;
    if (input.gzip()) MemberOf(at, &aligned);
    if (!aligned) return false;
    constexpr size_t kLook = 16 << 10;
    ISNAD_ASSIGN_OR_RETURN(std::string_view head, buf.PeekAtLeast(kLook));
    bool length = false;
    while (true) {
      size_t nl = head.find('\n');
      if (nl == std::string_view::npos) return head.size() >= kLook;  // not judged: a record
      std::string_view field = head.substr(0, nl);
      if (IsBlank(field)) return length;
      size_t colon = field.find(':');
      if (colon == std::string_view::npos) return false;
      if (IEquals(Trim(field.substr(0, colon)), "Content-Length")) {
        std::string_view v = Trim(field.substr(colon + 1));
        length = !v.empty() && v.size() <= 19 &&
                 std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
      }
      head.remove_prefix(nl + 1);
    }
  }

  // After a record's block and its trailer: skips blank lines, and bytes that
  // are not a record, up to the next record, which it leaves in `pending` (no
  // pending at the end of the file). The next record is the first non-blank
  // line when it starts with "WARC/" (as the first record of a file may);
  // after bytes that are not a record, only a version line found where a
  // record may start: anywhere in a plain file, at the start of a gzip member
  // in a gzip file (where each record is its own member; a version line inside
  // a member is a payload's). Returns where the skipped bytes began, how many
  // there were (blank lines at either end not counted) and the start of the
  // first skipped line. Constant memory: a skipped line is not kept.
  struct Skipped {
    uint64_t from = 0;
    uint64_t bytes = 0;
    std::string first;        // the first skipped line's first bytes
    bool warc_field = false;  // a skipped line reads like a WARC header field
  };

  core::StatusOr<Skipped> SkipToNextRecord(bool skipping) {
    Skipped s;
    std::string line;
    while (true) {
      uint64_t at = buf.offset();
      ISNAD_ASSIGN_OR_RETURN(uint64_t n, buf.ReadLine(&line, UINT64_MAX, 64));
      if (n == 0 || AtBreak()) return s;  // a line cut by a break is not counted
      bool record = false;
      if (n < 64 && !skipping && s.bytes == 0) {
        record = line.compare(0, 5, "WARC/") == 0;
      } else {
        ISNAD_ASSIGN_OR_RETURN(record, StartsRecord(line, n, at));
      }
      if (record) {
        pending = std::move(line);
        pending_u = at;
        return s;
      }
      if (n < 64 && IsBlank(line)) continue;
      if (s.bytes == 0) {
        s.from = at;
        s.first = line;
      }
      s.warc_field |= IsWarcField(line);
      s.bytes = at + n - s.from;
      if (input.gzip()) {
        bool aligned = true;
        MemberOf(at, &aligned);  // forgets the members skipped
      }
    }
  }

  // At a break (AtBreak): goes on at the next gzip member that starts a
  // record, which it leaves in `pending` (none when no record follows), and
  // says what was lost as a problem: of `r` when the damage cut it short
  // (`own`: no payload item then), of the record before the damage otherwise,
  // or, with no `r` (before the first record), of the first record found.
  core::Status Recover(Record* r, bool own) {
    const Input::Damage damage = input.damage();
    std::optional<uint64_t> searched_from;  // of the first search
    while (true) {
      ISNAD_ASSIGN_OR_RETURN(bool found, input.Resume());
      if (!searched_from) searched_from = input.search_from();
      if (!found) break;
      ISNAD_RETURN_IF_ERROR(SkipToNextRecord(/*skipping=*/true).status());
      if (pending || !AtBreak()) break;  // a record, the end, or the next member damaged too
    }
    bool aligned = true;
    const uint64_t next = pending ? MemberOf(pending_u, &aligned) : input.coffset();
    std::string p = damage.message;
    if (pending) {
      if (damage.at_end) {  // the member cut short, the ones after it read as its data
        p = "the gzip member that starts at byte " + std::to_string(damage.c) +
            " is cut short: its data runs on to the end of the file";
      }
      p += "; reading went on at " +
           std::string(r == nullptr ? "this record" : "the next WARC record") +
           ", at the gzip member at byte " + std::to_string(next) + " (" +
           std::to_string(next - damage.c) + " bytes skipped)";
    } else {
      p += damage.at_end ? "; the file is truncated"
                         : "; no WARC record follows, to the end of the file";
    }
    if (*searched_from > damage.c + 1) {
      p += "; the damage showed so far on that the bytes before byte " +
           std::to_string(*searched_from) +
           " were no longer at hand: a record there was not looked for";
    }
    if (r == nullptr) {
      lead_damage = std::move(p);
      return core::Status::Ok();
    }
    if (own) {
      r->problems.push_back("its gzip data is damaged: " + p);
      r->length = next - r->offset;
      r->payload_complete = false;  // no payload item from damaged data
      r->payload_note = "its gzip member is damaged";
    } else {
      r->problems.push_back("the gzip data after it is damaged: " + p);
      r->length = damage.c - r->offset;  // its own members, whole
    }
    return core::Status::Ok();
  }

  // "byte N" of a plain file; of a gzip file, the uncompressed offset.
  std::string At(uint64_t u) {
    return "byte " + std::to_string(u) + (input.gzip() ? " of the uncompressed data" : "");
  }

  core::StatusOr<bool> Next(Record* r, PayloadSink* sink);
  core::Status ReadBlock(Record* r, PayloadSink* sink);
};

core::StatusOr<bool> Reader::Impl::Next(Record* r, PayloadSink* sink) {
  *r = Record();
  if (deferred) {
    done = true;
    core::Status st = std::move(*deferred);
    deferred.reset();
    return st;
  }
  if (done) return false;
  if (!started) {
    started = true;
    ISNAD_RETURN_IF_ERROR(input.Start());
    ISNAD_RETURN_IF_ERROR(SkipBlankLines());
    if (AtBreak()) ISNAD_RETURN_IF_ERROR(Recover(nullptr, false));
  }
  if (!pending) {
    done = true;
    if (records == 0 && lead_damage) return core::Integrity(*lead_damage);
    if (records == 0) return core::Integrity("the file is empty: no WARC records");
    return false;
  }
  if (lead_damage) {
    r->problems.push_back("the gzip data before this record is damaged: " + *lead_damage);
    lead_damage.reset();
  }
  std::string first = std::move(*pending);
  pending.reset();
  uint64_t start_u = pending_u;
  bool aligned = true;
  r->offset = input.gzip() ? MemberOf(start_u, &aligned) : start_u;
  std::string where = input.gzip() ? "the gzip member at byte " + std::to_string(r->offset)
                                   : "byte " + std::to_string(r->offset);

  std::string_view fl = Trim(first);
  if (fl.substr(0, 5) != "WARC/") {
    done = true;
    if (records == 0 && fl.substr(0, 11) == "filedesc://")
      return core::Unimplemented(
          "this is an ARC file (the format before WARC); isnad reads only WARC. Convert it "
          "first, e.g. with `warcio recompress` or Heritrix's arc2warc");
    return core::Integrity("not a WARC record at " + where + ": the line there is '" + Excerpt(fl) +
                           "'" +
                           (records == 0 ? "; is this a WARC file?"
                                         : "; the previous record's Content-Length may be wrong"));
  }
  if (input.gzip()) {
    if (records == 1 && prev_member && *prev_member == r->offset && r->offset == 0) {
      done = true;
      return core::Integrity(
          "the whole file is compressed as one gzip member, not one member per record, so "
          "its records cannot be reached by offset; recompress it (e.g. `warcio recompress`) "
          "and add the result");
    }
    if (!aligned) r->problems.push_back("the record does not start at a gzip member boundary");
    prev_member = r->offset;
  }
  ++records;
  r->version = std::string(fl);

  // Named fields up to the blank line.
  size_t header_bytes = first.size();
  std::string line;
  bool ended = false;
  while (true) {
    ISNAD_ASSIGN_OR_RETURN(uint64_t n, buf.ReadLine(&line, kMaxHeaderBytes, kMaxHeaderBytes));
    header_bytes += n;
    if (n == 0 || AtBreak()) break;  // a line cut by a break is not a field
    if (header_bytes > kMaxHeaderBytes) {
      done = true;
      return core::Integrity("the WARC header at " + where + " is over 1 MiB");
    }
    if (IsBlank(line)) {
      ended = true;
      break;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !r->fields.empty()) {
      r->fields.back().value += " " + std::string(Trim(line));
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;  // not a field: ignored, as warcio does
    r->fields.push_back({std::string(Trim(std::string_view(line).substr(0, colon))),
                         std::string(Trim(std::string_view(line).substr(colon + 1)))});
  }
  if (!ended && !AtBreak()) {
    done = true;
    return core::Integrity("the file ends inside the WARC header at " + where +
                           "; the file is truncated");
  }
  auto get = [&](std::string_view n) {
    const std::string* v = r->Get(n);
    return v ? *v : std::string();
  };
  r->type = get("WARC-Type");
  r->record_id = get("WARC-Record-ID");
  r->date = get("WARC-Date");
  r->content_type = get("Content-Type");
  std::string target = get("WARC-Target-URI");
  if (target.size() >= 2 && target.front() == '<' && target.back() == '>')
    target = target.substr(1, target.size() - 2);
  for (size_t p; (p = target.find(' ')) != std::string::npos;) target.replace(p, 1, "%20");
  r->target_uri = target;
  if (!ended) {  // its header cut by damaged gzip data: returned with the fields read whole
    ISNAD_RETURN_IF_ERROR(Recover(r, /*own=*/true));
    return true;
  }
  // Every record must name these (WARC 1.1, section 5; Content-Length is
  // checked below). Without them a record cannot be cited, dated or read as
  // what it is; it is still read, and the file is reported invalid.
  for (std::string_view mandatory : {"WARC-Record-ID", "WARC-Date", "WARC-Type"}) {
    const std::string* v = r->Get(mandatory);
    if (v == nullptr || v->empty()) {
      r->problems.push_back("the record has no " + std::string(mandatory) +
                            ", a field every WARC record must have (WARC 1.1, section 5)");
    }
  }
  std::string cl = get("Content-Length");
  if (cl.empty() || cl.size() > 19 ||
      !std::all_of(cl.begin(), cl.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    done = true;
    return core::Integrity("the WARC record at " + where +
                           (cl.empty() ? " has no Content-Length"
                                       : " has an invalid Content-Length '" + Excerpt(cl) + "'") +
                           "; its end cannot be found");
  }
  r->content_length = std::stoull(cl);

  ISNAD_RETURN_IF_ERROR(ReadBlock(r, sink));
  if (AtBreak()) {  // its block cut by damaged gzip data
    ISNAD_RETURN_IF_ERROR(Recover(r, /*own=*/true));
    return true;
  }
  const uint64_t block_end = buf.offset();

  // Between records: the line after the block should be the blank line that
  // begins the CRLF CRLF trailer; anything else means the Content-Length is
  // wrong (or the trailer missing). Reading goes on at the next record (see
  // SkipToNextRecord), and the bytes skipped to it are this record's problem
  // and part of its length. An error here (the next gzip member is damaged)
  // is the next record's: this one is whole, and is returned first.
  if (!done) {
    uint64_t at = buf.offset();
    core::StatusOr<uint64_t> n = buf.ReadLine(&line, UINT64_MAX, 64);
    if (!n.ok()) {
      deferred = n.status();
    } else if (!AtBreak()) {  // at a break, see below
      const bool misaligned = *n > 0 && line != "\r\n" && line != "\n";
      std::string first = line;
      core::StatusOr<Skipped> sk = Skipped{};
      core::StatusOr<bool> starts = misaligned ? StartsRecord(line, *n, at) : false;
      if (!starts.ok()) {
        deferred = starts.status();
      } else if (*starts) {
        pending = std::move(line);  // the Content-Length took in the trailer only
        pending_u = at;
      } else {
        sk = SkipToNextRecord(misaligned);
        if (!sk.ok()) deferred = sk.status();
      }
      uint64_t from = at, gap = 0;  // the bytes skipped (blank lines at either end not counted)
      if (sk.ok() && sk->bytes > 0) {
        from = misaligned ? at : sk->from;
        gap = sk->from + sk->bytes - from;
        if (!misaligned) first = sk->first;
      } else if (misaligned && !(starts.ok() && *starts)) {
        gap = *n;  // the line after the block only
      }
      if (misaligned || gap > 0) {
        // Which way a Content-Length is wrong cannot always be told: one too
        // small leaves the end of the block behind, one too large takes in the
        // start of the next record. Skipped bytes that begin with a WARC field
        // are the latter: that record's header was read as this block.
        const bool took_next = IsWarcField(first) || (sk.ok() && sk->warc_field);
        std::string p =
            misaligned ? "bytes follow its block where the record should end (at " + At(at) +
                             "): its Content-Length (" + std::to_string(r->content_length) +
                             ") is not the length of its block, or the CRLF CRLF that ends a "
                             "record is missing"
                       : std::to_string(gap) + " bytes that are not a WARC record follow it (at " +
                             At(from) + ")";
        if (misaligned && gap > 0) p += "; " + std::to_string(gap) + " bytes were skipped";
        if (pending && gap > 0) {
          bool aligned = true;
          p += "; reading went on at the next WARC record, at " +
               (input.gzip()
                    ? "the gzip member at byte " + std::to_string(MemberOf(pending_u, &aligned))
                    : At(pending_u));
        } else if (!pending && gap > 0 && !deferred && !AtBreak()) {
          p += "; no WARC record follows it, to the end of the file";
        }
        if (took_next) {
          p += ". The bytes after its block hold WARC header lines: if its Content-Length (" +
               std::to_string(r->content_length) +
               ") is too large, it took in the start of the record after it, which is lost";
        }
        r->problems.push_back(std::move(p));
        if (misaligned || took_next) {
          r->payload_complete = false;  // its end is not where its block ends
          r->payload_note = "its Content-Length is wrong, so where its payload ends is not known";
        }
      }
    }
  }
  if (!pending && !deferred && AtBreak()) {
    // Damaged gzip data met looking for the next record: in its own member
    // (a wrong CRC, found after its last bytes) or in a later one.
    ISNAD_RETURN_IF_ERROR(Recover(r, /*own=*/input.damage().u < block_end));
    return true;
  }
  uint64_t end_u = pending ? pending_u : buf.offset();
  if (input.gzip()) {
    if (pending) {
      bool next_aligned = false;
      uint64_t next = MemberOf(pending_u, &next_aligned);
      r->length = next - r->offset;
      if (next == r->offset && records > 1)
        r->problems.push_back("the next record starts in the same gzip member as this one");
      (void)end_u;
    } else {
      r->length = input.coffset() - r->offset;
    }
  } else {
    r->length = end_u - r->offset;
  }
  return true;
}

core::Status Reader::Impl::ReadBlock(Record* r, PayloadSink* sink) {
  const bool revisit = r->type == "revisit";
  const bool segment = r->Get("WARC-Segment-Number") != nullptr;
  std::unique_ptr<Digester> block_d, payload_d, payload_dechunked_d;
  if (const std::string* v = r->Get("WARC-Block-Digest")) {
    r->block_digest.field = *v;
    block_d = Digester::ForField(*v);
    r->block_digest.result = block_d ? DigestResult::kNotChecked : DigestResult::kUnknownAlgorithm;
  }
  if (const std::string* v = r->Get("WARC-Payload-Digest")) {
    r->payload_digest.field = *v;
    if (revisit || segment) {
      r->payload_digest.result = DigestResult::kNotChecked;
    } else {
      payload_d = Digester::ForField(*v);
      r->payload_digest.result =
          payload_d ? DigestResult::kNotChecked : DigestResult::kUnknownAlgorithm;
    }
  }
  uint64_t left = r->content_length;
  bool truncated = false;

  // HTTP headers, when the record holds an HTTP message.
  const bool http_type = r->type == "response" || r->type == "request" || revisit;
  // Schemes are case-insensitive (RFC 3986 3.1): "HTTP://" is HTTP too.
  const std::string scheme = core::AsciiLower(r->target_uri.substr(0, r->target_uri.find(':') + 1));
  const bool http_uri = scheme == "http:" || scheme == "https:";
  std::string line;
  // Where the payload starts, or what it is, cannot be told (headers over the
  // limit, a transfer coding other than chunked): no payload then.
  bool payload_unknown = false;
  if (http_type && http_uri && left > 0) {
    bool first = true, ended = false;
    uint64_t head = 0;
    while (left > 0) {
      // At most what `line` keeps, so that every byte read is hashed: past
      // the limit the rest of the block is read (and hashed) as payload.
      const uint64_t allow = std::min<uint64_t>(left, kMaxHeaderBytes + 1 - head);
      ISNAD_ASSIGN_OR_RETURN(uint64_t n, buf.ReadLine(&line, allow, kMaxHeaderBytes + 1));
      if (n == 0 || AtBreak()) {  // a line cut by a break is not a header
        truncated = true;
        break;
      }
      left -= n;
      head += n;
      if (block_d) block_d->Update(line);
      if (head > kMaxHeaderBytes) {
        r->problems.push_back("HTTP headers over 1 MiB");
        r->payload_note = "the HTTP headers are over 1 MiB: where the payload starts is not known";
        payload_unknown = true;
        break;
      }
      if (first) {
        first = false;
        std::string_view sl = Trim(line);
        r->http_start_line = std::string(sl);
        bool is_response = sl.substr(0, 5) == "HTTP/";
        bool looks_http =
            r->type == "request" ? sl.find(" HTTP/") != std::string_view::npos : is_response;
        if (!looks_http) {
          r->problems.push_back("the block does not start with an HTTP " +
                                std::string(r->type == "request" ? "request" : "status") +
                                " line: '" + Excerpt(sl) + "'");
        }
        if (is_response) {
          size_t sp = sl.find(' ');
          if (sp != std::string_view::npos) {
            std::string_view code = sl.substr(sp + 1, 3);
            if (code.size() == 3 &&
                std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }))
              r->http_status = std::stoi(std::string(code));
          }
        }
        continue;
      }
      if (IsBlank(line)) {
        ended = true;
        break;
      }
      if ((line[0] == ' ' || line[0] == '\t') && !r->http_headers.empty()) {
        r->http_headers.back().value += " " + std::string(Trim(line));
        continue;
      }
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      r->http_headers.push_back({std::string(Trim(std::string_view(line).substr(0, colon))),
                                 std::string(Trim(std::string_view(line).substr(colon + 1)))});
    }
    r->http = true;
    if (!ended && !truncated && !(revisit && left == 0)) {
      r->problems.push_back("the HTTP headers do not end with a blank line inside the block");
    }
    r->payload_offset = r->content_length - left;
    // The codings of every Content-Encoding and Transfer-Encoding line, in
    // order (RFC 9110 5.3: repeated lines are one comma-separated list).
    std::vector<std::string> content_codings, transfer_codings;
    for (const Field& h : r->http_headers) {
      if (IEquals(h.name, "Content-Type") && r->payload_type.empty()) r->payload_type = h.value;
      const bool ce = IEquals(h.name, "Content-Encoding");
      if (!ce && !IEquals(h.name, "Transfer-Encoding")) continue;
      AppendCodings(h.value, ce ? &content_codings : &transfer_codings);
    }
    // Only chunked alone is undone of the transfer codings; another (gzip,
    // chunked) leaves bytes that are not the payload, so there is no payload:
    // well-formed HTTP, not damage, so no problem either.
    BodyTransferCoding transfer = ChooseTransferCoding(transfer_codings);
    r->chunked = transfer.chunked;
    if (!transfer.note.empty()) {
      payload_unknown = true;
      r->transfer_coded = true;
      if (r->payload_note.empty()) r->payload_note = std::move(transfer.note);
    }
    // One gzip or deflate coding is removed; several, or another, are not.
    PayloadCoding coding = ChoosePayloadCoding(content_codings);
    r->content_encoding_removed = std::move(coding.removed);
    if (r->payload_note.empty()) r->payload_note = std::move(coding.note);
    if (r->type != "response") r->content_encoding_removed.clear();
  } else {
    r->payload_type = r->content_type;
  }
  if (payload_d && r->chunked) payload_dechunked_d = Digester::ForField(r->payload_digest.field);
  // A large payload's digest runs on a second thread, beside the block's (both
  // cover the same bytes): a 1 GB record is then one digest's time, not two.
  std::unique_ptr<core::AsyncFeed> payload_async;  // after payload_d: stopped before it goes
  if (payload_d && block_d && left >= kAsyncDigestBytes) {
    payload_async = std::make_unique<core::AsyncFeed>(
        [d = payload_d.get()](std::string_view bytes) { d->Update(bytes); });
  }

  bool want = sink != nullptr && sink->Begin(*r);
  Dechunker dechunker;
  core::Status sink_status;
  std::optional<Inflater> inflater;
  if (!r->content_encoding_removed.empty()) inflater.emplace();
  auto hand_on = [&](std::string_view d) {
    r->payload_size += d.size();
    if (want && sink_status.ok()) sink_status = sink->Data(d);
  };
  auto deliver = [&](std::string_view d) {
    if (payload_dechunked_d) payload_dechunked_d->Update(d);
    if (inflater) {
      if (inflater->ok()) inflater->Feed(d, hand_on);
    } else {
      hand_on(d);
    }
  };
  while (left > 0 && !truncated) {
    ISNAD_ASSIGN_OR_RETURN(std::string_view avail, buf.Peek());
    if (avail.empty()) {
      truncated = true;
      break;
    }
    avail = avail.substr(0, static_cast<size_t>(std::min<uint64_t>(avail.size(), left)));
    if (block_d) block_d->Update(avail);
    if (payload_async) {
      payload_async->Feed(avail);
    } else if (payload_d) {
      payload_d->Update(avail);
    }
    if (r->chunked) {
      if (!dechunker.failed()) dechunker.Feed(avail, deliver);
    } else {
      deliver(avail);
    }
    if (!sink_status.ok()) return sink_status;
    buf.Consume(avail.size());
    left -= avail.size();
    // Members wholly before the read position are not needed again: a block
    // spread over many small members keeps memory flat.
    if (input.gzip()) {
      bool aligned = false;
      (void)MemberOf(buf.offset(), &aligned);
    }
  }

  if (truncated) {
    if (!AtBreak()) {  // at a break, Recover says what was lost
      done = true;
      r->problems.push_back("the file ends " + std::to_string(left) +
                            " bytes before the end of "
                            "this record's block (Content-Length " +
                            std::to_string(r->content_length) + "): the file is truncated");
    }
    if (block_d) r->block_digest.result = DigestResult::kFail;
    if (payload_d) r->payload_digest.result = DigestResult::kFail;
    return core::Status::Ok();
  }
  r->payload_complete = !payload_unknown;
  if (r->chunked && (dechunker.failed() || !dechunker.done())) {
    r->payload_complete = false;
    r->problems.push_back(
        "the HTTP message says Transfer-Encoding: chunked but its chunks are "
        "malformed or incomplete");
  }
  if (inflater && r->payload_complete && !inflater->whole() &&
      r->content_length > r->payload_offset) {
    r->payload_complete = false;
    r->payload_note = InvalidCodingNote(r->content_encoding_removed);
  }
  if (block_d) {
    std::string raw = block_d->FinishRaw();
    r->block_digest.computed = block_d->algorithm() + ":" + Base32Encode(raw);
    r->block_digest.result =
        DigestMatches(r->block_digest.field, raw) ? DigestResult::kPass : DigestResult::kFail;
  }
  if (payload_async) payload_async->Finish();
  if (payload_d) {
    std::string raw = payload_d->FinishRaw();
    r->payload_digest.computed = payload_d->algorithm() + ":" + Base32Encode(raw);
    bool pass = DigestMatches(r->payload_digest.field, raw);
    if (!pass && payload_dechunked_d) {
      std::string raw2 = payload_dechunked_d->FinishRaw();
      if (DigestMatches(r->payload_digest.field, raw2)) {
        pass = true;
        r->payload_digest.computed = payload_d->algorithm() + ":" + Base32Encode(raw2);
      }
    }
    r->payload_digest.result = pass ? DigestResult::kPass : DigestResult::kFail;
  }
  return core::Status::Ok();
}

Reader::Reader(core::SequentialFile* in) : impl_(std::make_unique<Impl>(in)) {}
Reader::~Reader() = default;

core::StatusOr<bool> Reader::Next(Record* out, PayloadSink* sink) {
  core::StatusOr<bool> r = impl_->Next(out, sink);
  if (!r.ok()) impl_->done = true;
  return r;
}

bool Reader::gzip() const { return impl_->input.gzip(); }

}  // namespace isnad::warc
