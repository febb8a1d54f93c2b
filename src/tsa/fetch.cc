// Asking a time-stamping authority over HTTP (RFC 3161 §3.4) with libcurl.
#include <curl/curl.h>

#include <memory>
#include <mutex>
#include <string>

#include "tsa/timestamp.h"

namespace isnad::tsa {
namespace {

// A TSA response is a few kilobytes; anything far larger is not one.
constexpr size_t kMaxResponseBytes = size_t{1} << 20;

struct Sink {
  std::string body;
  bool too_large = false;
};

size_t Write(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  if (sink->body.size() + size * n > kMaxResponseBytes) {
    sink->too_large = true;
    return 0;  // libcurl stops with CURLE_WRITE_ERROR
  }
  sink->body.append(data, size * n);
  return size * n;
}

struct CurlFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

core::StatusOr<std::string> Fetch(const std::string& url, const Request& request,
                                  int timeout_seconds) {
  if (timeout_seconds <= 0) return core::InvalidArgument("the TSA timeout must be positive");
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return core::InvalidArgument("a TSA URL must start with http:// or https://, not \"" + url +
                                 "\"");
  }
  // The URL is recorded in the custody log (append-only, exported): no credentials in it.
  const size_t host = url.find("//") + 2;
  const size_t authority_end = url.find_first_of("/?#", host);
  if (url.substr(host, authority_end - host).find('@') != std::string::npos) {
    return core::InvalidArgument(
        "a TSA URL may not hold a user name or password (\"user:password@\"): the URL is "
        "recorded in the custody log for good; give the TSA's URL without them");
  }
  static std::once_flag once;
  static CURLcode init = CURLE_OK;
  std::call_once(once, [] { init = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (init != CURLE_OK) {
    return core::Internal(std::string("cannot start libcurl: ") + curl_easy_strerror(init));
  }
  std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());
  if (!curl) return core::Internal("cannot start libcurl");
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/timestamp-query");
  headers = headers ? curl_slist_append(headers, "Accept: application/timestamp-reply") : nullptr;
  std::unique_ptr<curl_slist, CurlFree> header_list(headers);
  if (!header_list) return core::Internal("out of memory");

  Sink sink;
  char error[CURL_ERROR_SIZE] = {};
  CURL* c = curl.get();
  bool set =
      curl_easy_setopt(c, CURLOPT_URL, url.c_str()) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_POSTREDIR, static_cast<long>(CURL_REDIR_POST_ALL)) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_POST, 1L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.der.data()) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.der.size())) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, header_list.get()) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_USERAGENT, "isnad/0.1.0") == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Write) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error) == CURLE_OK &&
      // Threads may be running: no signals for timeouts.
      curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(timeout_seconds)) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(timeout_seconds)) == CURLE_OK;
  if (!set) return core::Internal("cannot set up libcurl for " + url);

  CURLcode rc = curl_easy_perform(c);
  if (sink.too_large) {
    return core::IoError("the TSA at " + url + " sent more than " +
                         std::to_string(kMaxResponseBytes) + " bytes; not a time-stamp response");
  }
  if (rc != CURLE_OK) {
    std::string why = error[0] != '\0' ? error : curl_easy_strerror(rc);
    return core::IoError("cannot get a time-stamp from " + url + ": " + why);
  }
  long http = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http);
  if (http != 200) {
    return core::IoError("the TSA at " + url + " answered HTTP " + std::to_string(http));
  }
  if (sink.body.empty()) return core::IoError("the TSA at " + url + " sent an empty answer");
  return std::move(sink.body);
}

}  // namespace isnad::tsa
