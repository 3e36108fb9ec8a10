// HTTPS for tests: a throwaway self-signed certificate written to PEM files, and a small blocking
// OpenSSL client that reports which certificate the server presented. Every call is bounded in
// time (20 s); nothing here throws.
#pragma once

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

namespace sipas::test {

// Writes a self-signed certificate for common name `cn` and its EC P-256 key as PEM files.
inline bool write_self_signed(const std::string& cn, const std::string& cert_file,
                              const std::string& key_file) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) return false;
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return false;
  // Written under other names and renamed, as a certificate renewal would.
  const std::string cert_tmp = cert_file + ".tmp", key_tmp = key_file + ".tmp";
  FILE* c = std::fopen(cert_tmp.c_str(), "w");
  FILE* k = std::fopen(key_tmp.c_str(), "w");
  bool ok = c && k && PEM_write_X509(c, cert.get()) == 1 &&
            PEM_write_PrivateKey(k, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (c) std::fclose(c);
  if (k) std::fclose(k);
  return ok && std::rename(cert_tmp.c_str(), cert_file.c_str()) == 0 &&
         std::rename(key_tmp.c_str(), key_file.c_str()) == 0;
}

// One TLS connection to 127.0.0.1:port, certificate not verified (it is self-signed); open()
// tells whether the handshake succeeded.
class TlsClient {
 public:
  explicit TlsClient(int port) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (!ctx_ || fd_ < 0) return;
    timeval tv{20, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    open_ = SSL_connect(ssl_) == 1;
  }
  ~TlsClient() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  bool open() const { return open_; }

  // The common name of the certificate the server presented.
  std::string peer_name() const {
    if (!open_) return "";
    X509* cert = SSL_get1_peer_certificate(ssl_);
    if (!cert) return "";
    char cn[256] = {0};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    X509_free(cert);
    return cn;
  }

  // Sends `request` and reads until `stop_at` arrives after the reply's head, or the connection
  // ends.
  std::string exchange(const std::string& request, const std::string& stop_at) {
    if (!open_ || SSL_write(ssl_, request.data(), static_cast<int>(request.size())) <= 0) return "";
    std::string reply;
    char buf[4096];
    for (;;) {
      auto head_end = reply.find("\r\n\r\n");
      if (head_end != std::string::npos && reply.find(stop_at, head_end) != std::string::npos) break;
      int n = SSL_read(ssl_, buf, sizeof buf);
      if (n <= 0) break;
      reply.append(buf, static_cast<std::size_t>(n));
    }
    return reply;
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool open_ = false;
};

}  // namespace sipas::test
