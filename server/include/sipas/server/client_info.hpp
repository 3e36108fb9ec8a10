// Who a request really comes from, and whether it came over HTTPS, when the server may sit
// behind a TLS-terminating proxy on the same or another host.
//
// Forwarding headers are believed only from the proxies the administrator named
// (serve --behind-proxy ADDRESS,...): anyone else could write them. From a trusted proxy,
// X-Forwarded-For is read from the right, skipping further trusted proxies, so the address is
// the last hop nobody trusted vouches for; X-Forwarded-Proto says whether the citizen's browser
// used HTTPS. Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include <httplib.h>

namespace sipas {

struct ClientInfo {
  std::string address;     // the client's address as far as can be trusted
  bool https = false;      // the browser's connection was HTTPS (here or at the proxy)
  bool via_proxy = false;  // the TCP peer is a trusted proxy
};

// `tls`: this server itself served the request over TLS. `trusted_proxies`: exact addresses.
ClientInfo client_info(const httplib::Request& req, bool tls,
                       const std::vector<std::string>& trusted_proxies);

bool is_loopback(const std::string& address);

}  // namespace sipas
