// Test-only TSA: certificates made with the OpenSSL API, tokens made by OpenSSL's
// TS_RESP_CTX (or, for certificates TS_RESP_CTX refuses to sign with, by hand the way
// it does), served over a plain HTTP/1.1 socket on a thread.
#include "tsa/fake_tsa.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace isnad::tsa::testing {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "fake TSA: %s\n", what.c_str());
  ERR_print_errors_fp(stderr);
  std::abort();
}

template <auto Fn>
struct Free {
  template <typename T>
  void operator()(T* p) const {
    Fn(p);
  }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Free<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Free<BIO_free_all>>;
using RespCtxPtr = std::unique_ptr<TS_RESP_CTX, Free<TS_RESP_CTX_free>>;
using RespPtr = std::unique_ptr<TS_RESP, Free<TS_RESP_free>>;
using ReqPtr = std::unique_ptr<TS_REQ, Free<TS_REQ_free>>;
using TstPtr = std::unique_ptr<TS_TST_INFO, Free<TS_TST_INFO_free>>;
using Pkcs7Ptr = std::unique_ptr<PKCS7, Free<PKCS7_free>>;
using ObjPtr = std::unique_ptr<ASN1_OBJECT, Free<ASN1_OBJECT_free>>;
using IntPtr = std::unique_ptr<ASN1_INTEGER, Free<ASN1_INTEGER_free>>;
using TimePtr = std::unique_ptr<ASN1_GENERALIZEDTIME, Free<ASN1_GENERALIZEDTIME_free>>;
using StatusPtr = std::unique_ptr<TS_STATUS_INFO, Free<TS_STATUS_INFO_free>>;
using StringPtr = std::unique_ptr<ASN1_STRING, Free<ASN1_STRING_free>>;
using EssPtr = std::unique_ptr<ESS_SIGNING_CERT_V2, Free<ESS_SIGNING_CERT_V2_free>>;

constexpr const char* kPolicy = "1.3.6.1.4.1.99999.1.1";

KeyPtr NewKey() {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) Die("cannot make a key");
  return key;
}

// A certificate for `key` named CN=`cn`, issued by `issuer` (self-signed when null).
X509Ptr NewCert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key,
                long serial, const std::vector<std::pair<int, const char*>>& extensions) {
  X509Ptr cert(X509_new());
  if (!cert) Die("X509_new");
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24L * 3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3650L * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("isnad tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509_set_pubkey(cert.get(), key);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (ext == nullptr || !X509_add_ext(cert.get(), ext, -1))
      Die(std::string("extension ") + value);
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

X509Ptr NewRoot(EVP_PKEY* key, const std::string& cn) {
  return NewCert(key, cn, nullptr, nullptr, 1,
                 {{NID_basic_constraints, "critical,CA:TRUE"},
                  {NID_key_usage, "critical,keyCertSign,cRLSign"},
                  {NID_subject_key_identifier, "hash"}});
}

template <typename T, typename F>
std::string Der(T* value, F i2d) {
  int len = i2d(value, nullptr);
  if (len <= 0) Die("DER encoding");
  std::string out(static_cast<size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  i2d(value, &p);
  return out;
}

ASN1_INTEGER* NextSerial(TS_RESP_CTX* /*ctx*/, void* data) {
  auto* counter = static_cast<std::atomic<long>*>(data);
  ASN1_INTEGER* serial = ASN1_INTEGER_new();
  if (serial != nullptr) ASN1_INTEGER_set(serial, ++*counter);
  return serial;
}

// Refuses the way OpenSSL's own serial callback does when it cannot make a serial.
ASN1_INTEGER* NoSerial(TS_RESP_CTX* ctx, void* /*data*/) {
  TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION, "Error during serial number generation.");
  TS_RESP_CTX_add_failure_info(ctx, TS_INFO_ADD_INFO_NOT_AVAILABLE);
  return nullptr;
}

}  // namespace

struct FakeTsa::Pki {
  KeyPtr root_key, tsa_key, bad_key;
  X509Ptr root, tsa, no_eku, non_critical_eku;
  std::string root_pem, tsa_pem;
  std::atomic<long> serial{0};
};

std::string UnrelatedRootPem() {
  KeyPtr key = NewKey();
  X509Ptr root = NewRoot(key.get(), "isnad tests unrelated root");
  return Pem(root.get());
}

FakeTsa::FakeTsa(Misbehave mode) : pki_(std::make_unique<Pki>()), mode_(mode) {
  Pki& k = *pki_;
  k.root_key = NewKey();
  k.tsa_key = NewKey();
  k.bad_key = NewKey();
  k.root = NewRoot(k.root_key.get(), "isnad tests root");
  k.tsa = NewCert(k.tsa_key.get(), "isnad tests TSA", k.root.get(), k.root_key.get(), 2,
                  {{NID_basic_constraints, "critical,CA:FALSE"},
                   {NID_key_usage, "critical,digitalSignature,nonRepudiation"},
                   {NID_ext_key_usage, "critical,timeStamping"},
                   {NID_subject_key_identifier, "hash"},
                   {NID_authority_key_identifier, "keyid:always"}});
  k.no_eku =
      NewCert(k.bad_key.get(), "isnad tests signer without EKU", k.root.get(), k.root_key.get(), 3,
              {{NID_basic_constraints, "critical,CA:FALSE"},
               {NID_key_usage, "critical,digitalSignature,nonRepudiation"},
               {NID_subject_key_identifier, "hash"},
               {NID_authority_key_identifier, "keyid:always"}});
  k.non_critical_eku = NewCert(k.bad_key.get(), "isnad tests signer with a non-critical EKU",
                               k.root.get(), k.root_key.get(), 4,
                               {{NID_basic_constraints, "critical,CA:FALSE"},
                                {NID_key_usage, "critical,digitalSignature,nonRepudiation"},
                                {NID_ext_key_usage, "timeStamping"},
                                {NID_subject_key_identifier, "hash"},
                                {NID_authority_key_identifier, "keyid:always"}});
  k.root_pem = Pem(k.root.get());
  k.tsa_pem = Pem(k.tsa.get());

  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) Die("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Die("cannot listen on 127.0.0.1");
  }
  url_ = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
  // Requests to it must not go through a proxy the environment names (libcurl reads
  // no_proxy; the isnad processes a test starts inherit it).
  for (const char* name : {"no_proxy", "NO_PROXY"}) {
    const char* now = std::getenv(name);
    std::string list = now != nullptr ? now : "";
    if (list.find("127.0.0.1") == std::string::npos) {
      ::setenv(name, (list.empty() ? std::string("127.0.0.1") : list + ",127.0.0.1").c_str(), 1);
    }
  }
  thread_ = std::thread([this] { Serve(); });
}

FakeTsa::~FakeTsa() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
}

const std::string& FakeTsa::root_pem() const { return pki_->root_pem; }
const std::string& FakeTsa::cert_pem() const { return pki_->tsa_pem; }

void FakeTsa::Serve() {
  std::vector<int> held;  // connections of kSilent, closed at the end
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++requests_;
    if (mode_ == Misbehave::kSilent) {
      held.push_back(fd);
      continue;
    }
    Handle(fd);
    ::close(fd);
  }
  for (int fd : held) ::close(fd);
}

void FakeTsa::Handle(int fd) {
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string in;
  char buf[4096];
  size_t header_end = std::string::npos;
  size_t content_length = 0;
  while (true) {
    if (header_end == std::string::npos) {
      header_end = in.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::string headers = in.substr(0, header_end);
        for (auto& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        size_t at = headers.find("content-length:");
        if (at != std::string::npos)
          content_length = std::strtoul(headers.c_str() + at + 15, nullptr, 10);
      }
    }
    if (header_end != std::string::npos && in.size() >= header_end + 4 + content_length) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    in.append(buf, static_cast<size_t>(n));
  }
  std::string body = in.substr(header_end + 4, content_length);
  std::string reply;
  Misbehave mode = mode_;
  if (mode == Misbehave::kHttp500) {
    reply = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  } else {
    std::string answer =
        mode == Misbehave::kGarbage ? "this is not a time-stamp response\n" : Respond(body);
    reply = "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: " +
            std::to_string(answer.size()) + "\r\nConnection: close\r\n\r\n" + answer;
  }
  size_t sent = 0;
  while (sent < reply.size()) {
    ssize_t n = ::send(fd, reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

std::string FakeTsa::Respond(std::string_view request_der) {
  Pki& k = *pki_;
  Misbehave mode = mode_;
  const auto* p = reinterpret_cast<const unsigned char*>(request_der.data());
  ReqPtr req(d2i_TS_REQ(nullptr, &p, static_cast<long>(request_der.size())));
  if (!req) return "not a request";
  if (mode == Misbehave::kOtherImprint) {
    unsigned char other[32];
    for (unsigned char& b : other) b = 0x5a;
    TS_MSG_IMPRINT_set_msg(TS_REQ_get_msg_imprint(req.get()), other, sizeof other);
  } else if (mode == Misbehave::kNoNonce) {
    // TS_REQ_set_nonce cannot remove one: answer a copy of the request without it.
    ReqPtr bare(TS_REQ_new());
    if (!bare || !TS_REQ_set_version(bare.get(), 1) ||
        !TS_REQ_set_msg_imprint(bare.get(), TS_REQ_get_msg_imprint(req.get())) ||
        !TS_REQ_set_cert_req(bare.get(), TS_REQ_get_cert_req(req.get()))) {
      Die("request without nonce");
    }
    req = std::move(bare);
  } else if (mode == Misbehave::kNoCertificates) {
    TS_REQ_set_cert_req(req.get(), 0);
  } else if (mode == Misbehave::kWrongNonce) {
    IntPtr nonce(ASN1_INTEGER_new());
    ASN1_INTEGER_set(nonce.get(), 42);
    TS_REQ_set_nonce(req.get(), nonce.get());
  }
  ObjPtr policy(OBJ_txt2obj(kPolicy, 1));

  if (mode == Misbehave::kNoEku || mode == Misbehave::kNonCriticalEku) {
    // TS_RESP_CTX refuses such a signer, so sign by hand as ts_RESP_sign does.
    X509* signer = mode == Misbehave::kNoEku ? k.no_eku.get() : k.non_critical_eku.get();
    TstPtr tst(TS_TST_INFO_new());
    IntPtr serial(ASN1_INTEGER_new());
    ASN1_INTEGER_set(serial.get(), ++k.serial);
    TimePtr now(ASN1_GENERALIZEDTIME_set(nullptr, std::time(nullptr)));
    if (!TS_TST_INFO_set_version(tst.get(), 1) ||
        !TS_TST_INFO_set_policy_id(tst.get(), policy.get()) ||
        !TS_TST_INFO_set_msg_imprint(tst.get(), TS_REQ_get_msg_imprint(req.get())) ||
        !TS_TST_INFO_set_serial(tst.get(), serial.get()) ||
        !TS_TST_INFO_set_time(tst.get(), now.get()) ||
        (TS_REQ_get_nonce(req.get()) != nullptr &&
         !TS_TST_INFO_set_nonce(tst.get(), TS_REQ_get_nonce(req.get())))) {
      Die("TST_INFO");
    }
    Pkcs7Ptr p7(PKCS7_new());
    if (!p7 || !PKCS7_set_type(p7.get(), NID_pkcs7_signed) ||
        !ASN1_INTEGER_set(p7->d.sign->version, 3) || !PKCS7_add_certificate(p7.get(), signer) ||
        !PKCS7_add_certificate(p7.get(), k.root.get())) {
      Die("PKCS7");
    }
    PKCS7_SIGNER_INFO* si = PKCS7_add_signature(p7.get(), signer, k.bad_key.get(), EVP_sha256());
    if (si == nullptr) Die("PKCS7_add_signature");
    if (!PKCS7_add_signed_attribute(si, NID_pkcs9_contentType, V_ASN1_OBJECT,
                                    OBJ_nid2obj(NID_id_smime_ct_TSTInfo))) {
      Die("content type attribute");
    }
    EssPtr ess(OSSL_ESS_signing_cert_v2_new_init(EVP_sha256(), signer, nullptr, 0));
    if (!ess) Die("ESS");
    std::string ess_der = Der(ess.get(), i2d_ESS_SIGNING_CERT_V2);
    StringPtr seq(ASN1_STRING_new());
    ASN1_STRING_set(seq.get(), ess_der.data(), static_cast<int>(ess_der.size()));
    if (!PKCS7_add_signed_attribute(si, NID_id_smime_aa_signingCertificateV2, V_ASN1_SEQUENCE,
                                    seq.get())) {
      Die("ESS attribute");
    }
    seq.release();  // the attribute owns it
    // Encapsulated content: id-smime-ct-TSTInfo, an OCTET STRING filled by dataFinal.
    Pkcs7Ptr inner(PKCS7_new());
    inner->d.other = ASN1_TYPE_new();
    inner->type = OBJ_nid2obj(NID_id_smime_ct_TSTInfo);
    ASN1_TYPE_set(inner->d.other, V_ASN1_OCTET_STRING, ASN1_OCTET_STRING_new());
    if (!PKCS7_set_content(p7.get(), inner.get())) Die("PKCS7_set_content");
    inner.release();
    BIO* bio = PKCS7_dataInit(p7.get(), nullptr);
    if (bio == nullptr || !i2d_TS_TST_INFO_bio(bio, tst.get()) || !PKCS7_dataFinal(p7.get(), bio)) {
      Die("signing");
    }
    BIO_free_all(bio);
    RespPtr resp(TS_RESP_new());
    StatusPtr status(TS_STATUS_INFO_new());
    TS_STATUS_INFO_set_status(status.get(), TS_STATUS_GRANTED);
    TS_RESP_set_status_info(resp.get(), status.get());
    TS_RESP_set_tst_info(resp.get(), p7.release(), tst.release());
    return Der(resp.get(), i2d_TS_RESP);
  }

  RespCtxPtr ctx(TS_RESP_CTX_new());
  STACK_OF(X509)* chain = sk_X509_new_null();
  sk_X509_push(chain, k.root.get());
  if (!ctx || !TS_RESP_CTX_set_signer_cert(ctx.get(), k.tsa.get()) ||
      !TS_RESP_CTX_set_signer_key(ctx.get(), k.tsa_key.get()) ||
      !TS_RESP_CTX_set_signer_digest(ctx.get(), EVP_sha256()) ||
      !TS_RESP_CTX_set_ess_cert_id_digest(ctx.get(), EVP_sha256()) ||
      !TS_RESP_CTX_set_certs(ctx.get(), chain) ||
      !TS_RESP_CTX_set_def_policy(ctx.get(), policy.get()) ||
      !TS_RESP_CTX_add_md(ctx.get(), EVP_sha256()) ||
      !TS_RESP_CTX_set_accuracy(ctx.get(), 1, 0, 0)) {
    Die("TS_RESP_CTX");
  }
  sk_X509_free(chain);  // set_certs copied it
  if (mode == Misbehave::kRejection) {
    TS_RESP_CTX_set_serial_cb(ctx.get(), &NoSerial, nullptr);
  } else {
    TS_RESP_CTX_set_serial_cb(ctx.get(), &NextSerial, &k.serial);
  }
  std::string req_der = Der(req.get(), i2d_TS_REQ);
  BioPtr in(BIO_new_mem_buf(req_der.data(), static_cast<int>(req_der.size())));
  RespPtr resp(TS_RESP_create_response(ctx.get(), in.get()));
  if (!resp) Die("TS_RESP_create_response");
  return Der(resp.get(), i2d_TS_RESP);
}

}  // namespace isnad::tsa::testing
