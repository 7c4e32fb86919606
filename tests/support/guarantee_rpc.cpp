#include "tests/support/guarantee_rpc.hpp"

#include <httplib.h>

#include <map>
#include <stdexcept>

namespace claimsync::testing {

using nlohmann::json;

RawRpc::RawRpc(unsigned short port, std::chrono::milliseconds timeout)
    : port_(port), timeout_(timeout) {}

json RawRpc::post(const json& body) {
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(std::chrono::seconds(2));
  client.set_read_timeout(timeout_);
  client.set_write_timeout(std::chrono::seconds(10));
  auto res = client.Post("/", body.dump(), "application/json");
  if (!res) throw std::runtime_error("raw rpc: transport error " + httplib::to_string(res.error()));
  if (res->status != 200) {
    throw std::runtime_error("raw rpc: HTTP " + std::to_string(res->status) + " " +
                             res->body.substr(0, 500));
  }
  return json::parse(res->body);
}

json RawRpc::call(const std::string& method, json params) {
  json response = post(
      {{"jsonrpc", "2.0"}, {"id", next_id_++}, {"method", method}, {"params", std::move(params)}});
  if (response.contains("error")) {
    throw std::runtime_error("raw rpc " + method + ": " + response["error"].dump());
  }
  return response["result"];
}

std::vector<json> RawRpc::batch_raw(const std::vector<Call>& calls) {
  if (calls.empty()) return {};
  json body = json::array();
  std::map<std::uint64_t, std::size_t> position;  // id -> index in `calls`
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const std::uint64_t id = next_id_++;
    position[id] = i;
    body.push_back(
        {{"jsonrpc", "2.0"}, {"id", id}, {"method", calls[i].first}, {"params", calls[i].second}});
  }
  json response = post(body);
  if (!response.is_array() || response.size() != calls.size()) {
    throw std::runtime_error("raw rpc: batch of " + std::to_string(calls.size()) + " got " +
                             response.dump().substr(0, 500));
  }
  // A server may answer a batch in any order: put the answers back by id.
  std::vector<json> out(calls.size());
  for (auto& item : response) {
    auto it = position.find(item.value("id", std::uint64_t{0}));
    if (it == position.end()) throw std::runtime_error("raw rpc: unknown id in " + item.dump());
    out[it->second] = std::move(item);
  }
  return out;
}

std::vector<json> RawRpc::batch(const std::vector<Call>& calls) {
  std::vector<json> raw = batch_raw(calls);
  std::vector<json> results;
  results.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i].contains("error")) {
      throw std::runtime_error("raw rpc " + calls[i].first + " " + calls[i].second.dump() + ": " +
                               raw[i]["error"].dump());
    }
    results.push_back(std::move(raw[i]["result"]));
  }
  return results;
}

std::uint64_t quantity_to_u64(const json& v) {
  if (!v.is_string()) throw std::runtime_error("not a quantity: " + v.dump());
  const std::string s = v.get<std::string>();
  if (s.size() < 3 || s.size() > 18 || s.rfind("0x", 0) != 0) {
    throw std::runtime_error("not a 64-bit quantity: " + s);
  }
  std::size_t used = 0;
  const std::uint64_t n = std::stoull(s.substr(2), &used, 16);
  if (used != s.size() - 2) throw std::runtime_error("not a quantity: " + s);
  return n;
}

std::string u64_to_quantity(std::uint64_t v) {
  static const char* kDigits = "0123456789abcdef";
  if (v == 0) return "0x0";
  std::string s;
  for (; v != 0; v >>= 4) s.insert(s.begin(), kDigits[v & 0xf]);
  return "0x" + s;
}

}  // namespace claimsync::testing
