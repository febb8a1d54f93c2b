// Test-only HTTP/1.1 server: see http_server.h.
#include "http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace isnad::testing {

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
  }
  if (fd >= 0) ::close(fd);
  return port;
}
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "http_server: %s\n", what.c_str());
  std::abort();
}

template <auto F>
struct Free {
  template <typename T>
  void operator()(T* p) const {
    F(p);
  }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Free<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Free<BIO_free>>;

X509Ptr NewCert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key, long serial,
                const std::vector<std::pair<int, const char*>>& extensions) {
  X509Ptr cert(X509_new());
  if (!cert) Die("X509_new");
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24L * 3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509_set_pubkey(cert.get(), key);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (ext == nullptr || !X509_add_ext(cert.get(), ext, -1)) Die(std::string("ext ") + value);
    X509_EXTENSION_free(ext);
  }
  if (!X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256())) Die("X509_sign");
  return cert;
}

std::string Pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || !PEM_write_bio_X509(bio.get(), cert)) Die("PEM_write_bio_X509");
  char* p = nullptr;
  long n = BIO_get_mem_data(bio.get(), &p);
  return std::string(p, static_cast<size_t>(n));
}

uint64_t QueryNumber(const std::string& target, const char* name, uint64_t fallback) {
  std::string key = std::string(name) + "=";
  size_t q = target.find('?');
  if (q == std::string::npos) return fallback;
  size_t at = target.find(key, q);
  if (at == std::string::npos) return fallback;
  return std::strtoull(target.c_str() + at + key.size(), nullptr, 10);
}

// Bytes 0..n of an endless pattern of printable text.
void Pattern(uint64_t offset, char* out, size_t n) {
  static constexpr std::string_view kText =
      "the quick brown fox jumps over the lazy dog 0123456789\n";
  for (size_t i = 0; i < n; ++i) out[i] = kText[(offset + i) % kText.size()];
}

}  // namespace

std::string Gzip(std::string_view data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    Die("deflateInit2");
  std::string out(compressBound(static_cast<uLong>(data.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) Die("deflate");
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

struct HttpServer::Tls {
  SSL_CTX* ctx = nullptr;
  ~Tls() {
    if (ctx) SSL_CTX_free(ctx);
  }
};

// One connection: plain socket or TLS over it.
class HttpServer::Conn {
 public:
  Conn(int fd, SSL* ssl, const std::atomic<bool>* stop) : fd_(fd), ssl_(ssl), stop_(stop) {}
  ~Conn() {
    if (ssl_) {
      SSL_shutdown(ssl_);
      SSL_free(ssl_);
    }
  }
  bool Send(std::string_view data) {
    while (!data.empty()) {
      long n = ssl_ ? SSL_write(ssl_, data.data(), static_cast<int>(data.size()))
                    : ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Reads the next request head ("" at end of stream or when stopping).
  std::string ReadHead() {
    while (true) {
      size_t end = buf_.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::string head = buf_.substr(0, end + 4);
        buf_.erase(0, end + 4);
        return head;
      }
      if (buf_.size() > (1 << 20)) return "";
      if (!ssl_ || SSL_pending(ssl_) == 0) {
        pollfd p{fd_, POLLIN, 0};
        int r = ::poll(&p, 1, 100);
        if (stop_->load()) return "";
        if (r == 0) continue;
        if (r < 0) return "";
      }
      char tmp[16384];
      long n = ssl_ ? SSL_read(ssl_, tmp, sizeof tmp) : ::recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) return "";
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }
  // Waits until the peer closes or the server stops.
  void WaitClosed() {
    while (!stop_->load()) {
      pollfd p{fd_, POLLIN, 0};
      int r = ::poll(&p, 1, 100);
      if (r < 0) return;
      if (r > 0) {
        char tmp[4096];
        if (::recv(fd_, tmp, sizeof tmp, 0) <= 0) return;
      }
    }
  }
  bool Sleep(int ms) {
    for (int waited = 0; waited < ms; waited += 10) {
      if (stop_->load()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

 private:
  int fd_;
  SSL* ssl_;
  const std::atomic<bool>* stop_;
  std::string buf_;
};

HttpServer::HttpServer(bool tls) : tls_(tls) {
  // TLS writes to a peer that went away must fail, not kill the test.
  ::signal(SIGPIPE, SIG_IGN);
  if (tls_) {
    ssl_ = std::make_unique<Tls>();
    KeyPtr root_key(EVP_EC_gen("P-256"));
    KeyPtr leaf_key(EVP_EC_gen("P-256"));
    if (!root_key || !leaf_key) Die("EVP_EC_gen");
    X509Ptr root = NewCert(root_key.get(), "isnad test root", nullptr, nullptr, 1,
                           {{NID_basic_constraints, "critical,CA:TRUE"},
                            {NID_key_usage, "critical,keyCertSign,cRLSign"},
                            {NID_subject_key_identifier, "hash"}});
    X509Ptr leaf = NewCert(leaf_key.get(), "127.0.0.1", root.get(), root_key.get(), 2,
                           {{NID_basic_constraints, "critical,CA:FALSE"},
                            {NID_key_usage, "critical,digitalSignature"},
                            {NID_ext_key_usage, "serverAuth"},
                            {NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"}});
    cert_pem_ = Pem(root.get());
    chain_pem_ = Pem(leaf.get()) + cert_pem_;
    {
      BioPtr bio(BIO_new(BIO_s_mem()));
      if (!bio || !PEM_write_bio_PrivateKey(bio.get(), leaf_key.get(), nullptr, nullptr, 0, nullptr,
                                            nullptr)) {
        Die("PEM_write_bio_PrivateKey");
      }
      char* p = nullptr;
      long n = BIO_get_mem_data(bio.get(), &p);
      key_pem_.assign(p, static_cast<size_t>(n));
    }
    ssl_->ctx = SSL_CTX_new(TLS_server_method());
    if (!ssl_->ctx) Die("SSL_CTX_new");
    if (SSL_CTX_use_certificate(ssl_->ctx, leaf.get()) != 1 ||
        SSL_CTX_use_PrivateKey(ssl_->ctx, leaf_key.get()) != 1 ||
        SSL_CTX_add1_chain_cert(ssl_->ctx, root.get()) != 1) {
      Die("SSL_CTX certificate");
    }
  }
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) Die("socket");
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 512) != 0) {
    Die("bind/listen");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

HttpServer::~HttpServer() {
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> g(mu_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
}

std::string HttpServer::Url(const std::string& path) const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<std::string> HttpServer::peers() const {
  std::lock_guard<std::mutex> g(mu_);
  return peers_;
}

void HttpServer::set_mutable(const std::string& body) {
  std::lock_guard<std::mutex> g(mu_);
  mutable_body_ = body;
}

void HttpServer::set_file(const std::string& path, const std::string& content_type,
                          const std::string& body) {
  std::lock_guard<std::mutex> g(mu_);
  files_[path] = {content_type, body};
}

void HttpServer::set_raw(const std::string& path, const std::string& response) {
  std::lock_guard<std::mutex> g(mu_);
  raw_[path] = response;
}

void HttpServer::Accept() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    int r = ::poll(&p, 1, 100);
    if (r <= 0) continue;
    sockaddr_in peer{};
    socklen_t peer_len = sizeof peer;
    int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char ip[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
    std::lock_guard<std::mutex> g(mu_);
    peers_.emplace_back(ip);
    fds_.push_back(fd);
    workers_.emplace_back([this, fd] { Serve(fd); });
  }
}

void HttpServer::Serve(int fd) {
  {
    SSL* ssl = nullptr;
    if (tls_) {
      ssl = SSL_new(ssl_->ctx);
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) != 1) {
        SSL_free(ssl);
        ssl = nullptr;
        ERR_clear_error();
      }
    }
    if (!tls_ || ssl != nullptr) {
      Conn conn(fd, ssl, &stop_);
      while (!stop_) {
        std::string head = conn.ReadHead();
        if (head.empty()) break;
        size_t sp1 = head.find(' ');
        size_t sp2 = head.find(' ', sp1 + 1);
        if (sp1 == std::string::npos || sp2 == std::string::npos) break;
        ++requests_;
        if (!Handle(conn, head.substr(0, sp1), head.substr(sp1 + 1, sp2 - sp1 - 1))) break;
      }
    }
  }
  std::lock_guard<std::mutex> g(mu_);
  for (auto it = fds_.begin(); it != fds_.end(); ++it) {
    if (*it == fd) {
      fds_.erase(it);
      break;
    }
  }
  ::close(fd);
}

bool HttpServer::Handle(Conn& conn, const std::string& method, const std::string& target) {
  (void)method;
  const std::string path = target.substr(0, target.find('?'));
  auto respond = [&conn](int status, const std::string& type, const std::string& body,
                         const std::string& extra = "") {
    std::string reason = status == 200 ? "OK" : status == 302 ? "Found" : "Status";
    return conn.Send(
        "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Type: " + type +
        "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body);
  };
  if (path == "/plain") {
    std::string body(QueryNumber(target, "size", 100), '\0');
    Pattern(0, body.data(), body.size());
    return respond(200, "text/plain", body);
  }
  if (path == "/chunked") {
    std::string body(QueryNumber(target, "size", 100), '\0');
    Pattern(0, body.data(), body.size());
    std::string out =
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (size_t at = 0; at < body.size(); at += 37) {
      std::string piece = body.substr(at, 37);
      char size[32];
      std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
      out += size + piece + "\r\n";
    }
    out += "0\r\n\r\n";
    return conn.Send(out);
  }
  if (path == "/badchunks") {
    conn.Send(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\nzz\r\nnot hex\r\n0\r\n\r\n");
    return false;
  }
  if (path == "/gzip") {
    return respond(200, "text/html", Gzip("<html><body><p>compressed page</p></body></html>\n"),
                   "Content-Encoding: gzip\r\n");
  }
  if (path == "/badgzip") {
    return respond(200, "text/html", "this is not gzip at all", "Content-Encoding: gzip\r\n");
  }
  if (path == "/latin1") {
    return respond(200, "text/html; charset=iso-8859-1",
                   "<html><body>caf\xe9 na\xefve \xff\xfe</body></html>\n");
  }
  if (path.rfind("/page/", 0) == 0) {
    std::string k = path.substr(6);
    std::string body = "<!doctype html><html><head><title>page " + k +
                       "</title></head><body><h1>Report " + k + "</h1><p>";
    while (body.size() < 1000) body += "Witness statement number " + k + ". ";
    body += "</p></body></html>\n";
    return respond(200, "text/html; charset=utf-8", body);
  }
  if (path == "/huge") {
    uint64_t size = QueryNumber(target, "size", uint64_t{1} << 20);
    if (!conn.Send("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
                   std::to_string(size) + "\r\n\r\n")) {
      return false;
    }
    std::string buf(1 << 18, '\0');
    Pattern(0, buf.data(), buf.size());
    // The pattern repeats every 55 bytes; 262,130 = 55 * 4766 keeps it seamless.
    const size_t step = 55 * 4766;
    for (uint64_t sent = 0; sent < size;) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(step, size - sent));
      if (!conn.Send(std::string_view(buf.data(), n))) return false;
      sent += n;
    }
    return true;
  }
  if (path == "/trickle") {
    if (!conn.Send(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000000\r\n\r\n"))
      return false;
    while (conn.Sleep(200)) {
      if (!conn.Send("x")) return false;
    }
    return false;
  }
  if (path == "/hang") {
    conn.WaitClosed();
    return false;
  }
  if (path == "/short") {
    conn.Send(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n0123456789");
    return false;  // close
  }
  if (path == "/long") {
    conn.Send(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n"
        "0123456789abcdefghij");
    return false;
  }
  if (path.rfind("/status/", 0) == 0) {
    int status = std::atoi(path.c_str() + 8);
    return respond(status, "text/plain", "status " + std::to_string(status) + "\n");
  }
  if (path.rfind("/redirect/", 0) == 0) {
    int k = std::atoi(path.c_str() + 10);
    std::string to = k <= 0 ? "/plain" : "/redirect/" + std::to_string(k - 1);
    return respond(302, "text/plain", "moved\n", "Location: " + to + "\r\n");
  }
  if (path == "/loop") return respond(302, "text/plain", "again\n", "Location: /loop\r\n");
  if (path == "/mutable") {
    std::string body;
    {
      std::lock_guard<std::mutex> g(mu_);
      body = mutable_body_;
    }
    return respond(200, "text/plain", body);
  }
  {
    std::unique_lock<std::mutex> g(mu_);
    if (auto it = files_.find(path); it != files_.end()) {
      auto [type, body] = it->second;
      g.unlock();
      return respond(200, type, body);
    }
    if (auto it = raw_.find(path); it != raw_.end()) {
      std::string response = it->second;
      g.unlock();
      conn.Send(response);
      return false;
    }
  }
  return respond(404, "text/plain", "not found\n");
}

}  // namespace isnad::testing
