#include "tests/support/lagging_rpc_proxy.hpp"

#include <httplib.h>

#include <chrono>
#include <optional>
#include <stdexcept>

#include "tests/support/process.hpp"

namespace claimsync::testing {
namespace {

using nlohmann::json;

std::string quantity(std::uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(n));
  return buf;
}

std::optional<std::uint64_t> number_of(const json& v) {
  if (!v.is_string()) return std::nullopt;
  const std::string s = v.get<std::string>();
  if (s.rfind("0x", 0) != 0 || s.size() < 3) return std::nullopt;
  return std::stoull(s.substr(2), nullptr, 16);
}

bool is_tag(const json& v) {
  return v.is_string() && (v == "latest" || v == "safe" || v == "finalized" || v == "pending");
}

json reply(const json& call, json result) {
  return {{"jsonrpc", "2.0"}, {"id", call.value("id", json())}, {"result", std::move(result)}};
}

// One JSON-RPC call to `url`; the whole reply object (result or error), or an error
// object of our own when the upstream cannot be reached. Bounded by its timeouts.
json upstream_call(const std::string& url, const json& call) {
  httplib::Client client(url);
  client.set_connection_timeout(std::chrono::seconds(5));
  client.set_read_timeout(std::chrono::seconds(30));
  auto res = client.Post("/", call.dump(), "application/json");
  json parsed = res ? json::parse(res->body, nullptr, false) : json();
  if (!res || res->status != 200 || !parsed.is_object()) {
    return {{"jsonrpc", "2.0"},
            {"id", call.value("id", json())},
            {"error", {{"code", -32603}, {"message", "lagging proxy: upstream unavailable"}}}};
  }
  parsed["id"] = call.value("id", json());
  return parsed;
}

// The block number of a block / receipt / tx object, if it has one.
std::optional<std::uint64_t> object_block(const json& result) {
  if (!result.is_object()) return std::nullopt;
  if (result.contains("blockNumber")) return number_of(result["blockNumber"]);
  if (result.contains("number")) return number_of(result["number"]);
  return std::nullopt;
}

}  // namespace

struct LaggingRpcProxy::View {
  std::string upstream;
  std::uint64_t head = 0;  // head - lag
};

LaggingRpcProxy::LaggingRpcProxy(std::vector<std::string> upstream_urls)
    : upstreams_(std::move(upstream_urls)) {
  if (upstreams_.empty()) throw std::runtime_error("lagging proxy: no upstream");
  server_ = std::make_unique<httplib::Server>();
  server_->Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
    res.set_content(handle(req.body), "application/json");
  });
  const int port = server_->bind_to_any_port("127.0.0.1");
  if (port <= 0) throw std::runtime_error("lagging proxy: cannot bind 127.0.0.1");
  url_ = "http://127.0.0.1:" + std::to_string(port);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  if (!wait_until([this] { return server_->is_running(); }, std::chrono::milliseconds(5000))) {
    server_->stop();
    thread_.join();
    throw std::runtime_error("lagging proxy did not start");
  }
}

LaggingRpcProxy::~LaggingRpcProxy() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

const std::string& LaggingRpcProxy::url() const { return url_; }
void LaggingRpcProxy::set_lag(std::uint64_t blocks) { lag_ = blocks; }
std::uint64_t LaggingRpcProxy::lag() const { return lag_.load(); }
std::size_t LaggingRpcProxy::requests() const { return requests_.load(); }

void LaggingRpcProxy::set_upstream(std::size_t index) {
  if (index >= upstreams_.size()) throw std::logic_error("lagging proxy: no such upstream");
  upstream_ = index;
}

std::string LaggingRpcProxy::handle(const std::string& body) {
  ++requests_;
  const json request = json::parse(body, nullptr, false);
  if (!request.is_array() && !request.is_object()) {
    return json{{"jsonrpc", "2.0"},
                {"id", nullptr},
                {"error", {{"code", -32700}, {"message", "parse error"}}}}
        .dump();
  }
  View view;
  view.upstream = upstreams_[upstream_.load()];
  const std::uint64_t lag = lag_.load();
  const json head = upstream_call(
      view.upstream,
      {{"jsonrpc", "2.0"}, {"id", 0}, {"method", "eth_blockNumber"}, {"params", json::array()}});
  const std::uint64_t real = number_of(head.value("result", json())).value_or(0);
  view.head = real > lag ? real - lag : 0;
  if (!request.is_array()) return answer(request, view).dump();
  json out = json::array();
  for (const json& call : request) out.push_back(answer(call, view));
  return out.dump();
}

json LaggingRpcProxy::answer(const json& call, const View& view) {
  const std::string method = call.value("method", "");
  json params = call.value("params", json::array());
  if (!params.is_array()) params = json::array();
  if (method == "eth_blockNumber") return reply(call, quantity(view.head));
  // Block tags mean the lagged head; numbers above it do not exist here.
  for (auto& p : params) {
    if (is_tag(p)) p = quantity(view.head);
  }
  if (method == "eth_getBlockByNumber" && !params.empty()) {
    if (auto n = number_of(params[0]); n && *n > view.head) return reply(call, nullptr);
  }
  if (method == "eth_getLogs" && !params.empty() && params[0].is_object()) {
    json& f = params[0];
    if (!f.contains("blockHash")) {
      const std::uint64_t from = number_of(f.value("fromBlock", json())).value_or(0);
      if (from > view.head) return reply(call, json::array());
      const auto to = number_of(f.value("toBlock", json()));
      if (!to || *to > view.head) f["toBlock"] = quantity(view.head);
      if (!f.contains("fromBlock") || is_tag(f["fromBlock"])) f["fromBlock"] = quantity(from);
    }
  }
  json forwarded = call;
  forwarded["params"] = params;
  json out = upstream_call(view.upstream, forwarded);
  if (!out.contains("result")) return out;
  json& result = out["result"];
  if (method == "eth_getLogs" && result.is_array()) {
    json kept = json::array();
    for (auto& log : result) {
      if (object_block(log).value_or(0) <= view.head) kept.push_back(std::move(log));
    }
    result = std::move(kept);
  } else if (method == "eth_getBlockByHash" || method == "eth_getTransactionReceipt" ||
             method == "eth_getTransactionByHash" || method == "eth_getBlockByNumber") {
    if (auto n = object_block(result); n && *n > view.head) result = nullptr;
  }
  return out;
}

}  // namespace claimsync::testing
