// Test-only: an HTTP/1.1 server on 127.0.0.1 (plain, or TLS with a self-signed
// certificate made in the process with OpenSSL) that serves well and badly on
// purpose, for the capture tests and benchmark. One thread accepts; each
// connection gets a thread (keep-alive). Never linked into isnad.
//
// Paths (query "size" in bytes where it applies):
//   /plain?size=N      text/plain, N bytes, Content-Length (default 100)
//   /chunked?size=N    the same, Transfer-Encoding: chunked
//   /badchunks         Transfer-Encoding: chunked with a chunk size that is not hex
//   /gzip              text/html, Content-Encoding: gzip (valid)
//   /badgzip           Content-Encoding: gzip, but the body is not gzip
//   /latin1            text/html; charset=iso-8859-1 with bytes that are not UTF-8
//   /page/K            a small HTML page (about 1 KiB), different for each K
//   /huge?size=N       N bytes of a repeating pattern with Content-Length, streamed
//   /trickle           Content-Length 1000000, then one byte every 200 ms
//   /hang              reads the request and never answers
//   /short             Content-Length 1000, sends 10 bytes and closes
//   /long              Content-Length 10, sends 20 bytes
//   /status/N          status N with a short text body
//   /redirect/K        302 to /redirect/K-1; /redirect/0 is /plain
//   /loop              302 to /loop, forever
//   /mutable           the body set with set_mutable (text/plain)
//   any path given to set_file: that body with that Content-Type
//   any path given to set_raw: those bytes exactly (head and body), then it closes
// Thread safety: every accessor may be used while the server runs.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace isnad::testing {

// A port on 127.0.0.1 that nothing listens on (as of now): for refused connections and
// dead proxies.
int FreePort();

class HttpServer {
 public:
  // Starts serving; aborts the test process when it cannot (no socket, OpenSSL).
  explicit HttpServer(bool tls = false);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT" followed by `path`.
  std::string Url(const std::string& path) const;
  int port() const { return port_; }
  // TLS: the server certificate (self-signed; it is its own CA) as PEM.
  const std::string& cert_pem() const { return cert_pem_; }
  // TLS: the server's certificate then the root (PEM), and its private key (PKCS#8
  // PEM), for another server (nghttpd) that should be trusted with cert_pem().
  const std::string& chain_pem() const { return chain_pem_; }
  const std::string& key_pem() const { return key_pem_; }
  // The address each accepted connection came from, in order ("127.0.0.1", ...).
  std::vector<std::string> peers() const;
  // Requests answered or started so far.
  uint64_t requests() const { return requests_; }
  void set_mutable(const std::string& body);
  // Serves `body` as `content_type` at `path` (exact, query ignored).
  void set_file(const std::string& path, const std::string& content_type, const std::string& body);
  // Answers a request for `path` (exact, query ignored) with `response` as it is
  // (a hostile or malformed head, say), then closes the connection.
  void set_raw(const std::string& path, const std::string& response);

 private:
  struct Tls;
  class Conn;
  void Accept();
  void Serve(int fd);
  bool Handle(Conn& conn, const std::string& method, const std::string& target);

  bool tls_;
  std::unique_ptr<Tls> ssl_;
  std::string cert_pem_;
  std::string chain_pem_;
  std::string key_pem_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> requests_{0};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::vector<std::thread> workers_;
  std::vector<std::string> peers_;
  std::vector<int> fds_;
  std::string mutable_body_ = "first version\n";
  std::map<std::string, std::pair<std::string, std::string>> files_;  // path -> type, body
  std::map<std::string, std::string> raw_;                            // path -> response
};

// `data` as one gzip member (RFC 1952), as a server sends Content-Encoding: gzip.
std::string Gzip(std::string_view data);

}  // namespace isnad::testing
