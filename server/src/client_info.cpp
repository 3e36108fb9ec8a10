#include "sipas/server/client_info.hpp"

#include <algorithm>

namespace sipas {
namespace {

std::string trim(std::string s) {
  const char* space = " \t";
  s.erase(0, s.find_first_not_of(space));
  s.erase(s.find_last_not_of(space) + 1);
  return s;
}

// Every comma-separated entry of every instance of `name`, in order.
std::vector<std::string> header_list(const httplib::Request& req, const char* name) {
  std::vector<std::string> out;
  const std::size_t n = req.get_header_value_count(name);
  for (std::size_t i = 0; i < n; ++i) {
    std::string v = req.get_header_value(name, i);
    std::size_t start = 0;
    for (;;) {
      std::size_t comma = v.find(',', start);
      out.push_back(trim(v.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

// An IPv4 address mapped into IPv6 is the same client as the IPv4 address.
std::string plain(const std::string& address) {
  const std::string mapped = "::ffff:";
  if (address.rfind(mapped, 0) == 0 && address.find('.') != std::string::npos) {
    return address.substr(mapped.size());
  }
  return address;
}

}  // namespace

bool is_loopback(const std::string& address) {
  const std::string a = plain(address);
  return a == "::1" || a.rfind("127.", 0) == 0;
}

ClientInfo client_info(const httplib::Request& req, bool tls,
                       const std::vector<std::string>& trusted_proxies) {
  auto trusted = [&](const std::string& a) {
    return std::find(trusted_proxies.begin(), trusted_proxies.end(), plain(a)) !=
           trusted_proxies.end();
  };
  ClientInfo c{plain(req.remote_addr), tls, false};
  if (!trusted(c.address)) return c;
  c.via_proxy = true;
  auto hops = header_list(req, "X-Forwarded-For");
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    if (it->empty()) continue;
    c.address = plain(*it);
    if (!trusted(*it)) break;
  }
  // The proxy that spoke to us set the last value.
  auto protos = header_list(req, "X-Forwarded-Proto");
  if (!protos.empty()) c.https = protos.back() == "https";
  return c;
}

}  // namespace sipas
