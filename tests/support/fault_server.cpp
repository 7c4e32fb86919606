#include "tests/support/fault_server.hpp"

#include <httplib.h>

#include <chrono>
#include <stdexcept>

#include "tests/support/process.hpp"

namespace claimsync::testing {
namespace {

using nlohmann::json;

// Every call object of a request (one for a single call, each element of a batch).
std::vector<const json*> calls_of(const json& request) {
  std::vector<const json*> out;
  if (request.is_array()) {
    for (const auto& c : request) out.push_back(&c);
  } else if (request.is_object()) {
    out.push_back(&request);
  }
  return out;
}

std::uint64_t hex_number(const json& v) {
  return v.is_string() ? std::stoull(v.get<std::string>(), nullptr, 16) : 0;
}

json error_reply(const json& call, std::int64_t code, const std::string& message) {
  return {{"jsonrpc", "2.0"},
          {"id", call.value("id", json())},
          {"error", {{"code", code}, {"message", message}}}};
}

// Applies `edit` to every reply object of a response body (single or batch).
template <typename Edit>
std::string edit_replies(const std::string& body, Edit edit) {
  json response = json::parse(body, nullptr, false);
  if (response.is_discarded()) return body;
  if (response.is_array()) {
    for (auto& r : response) edit(r);
  } else {
    edit(response);
  }
  return response.dump();
}

// Applies `edit` to every log object in reply results that are arrays of logs.
template <typename Edit>
void edit_logs(json& reply, Edit edit) {
  if (!reply.contains("result") || !reply["result"].is_array()) return;
  for (auto& log : reply["result"]) {
    if (log.is_object() && log.contains("logIndex")) edit(log);
  }
}

}  // namespace

FaultServer::FaultServer(std::string upstream_url) : upstream_(std::move(upstream_url)) {
  server_ = std::make_unique<httplib::Server>();
  server_->Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
    Outcome out = handle(req.body);
    if (out.close) {
      // Promise a body, then fail to write it: the connection closes mid-response.
      res.set_content_provider(1000, "application/json",
                               [](std::size_t, std::size_t, httplib::DataSink&) { return false; });
      return;
    }
    res.status = out.status;
    if (!out.retry_after.empty()) res.set_header("Retry-After", out.retry_after);
    res.set_content(out.body, "application/json");
  });
  const int port = server_->bind_to_any_port("127.0.0.1");
  if (port <= 0) throw std::runtime_error("fault server: cannot bind 127.0.0.1");
  url_ = "http://127.0.0.1:" + std::to_string(port);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  if (!wait_until([this] { return server_->is_running(); }, std::chrono::milliseconds(5000))) {
    server_->stop();
    thread_.join();
    throw std::runtime_error("fault server did not start");
  }
}

FaultServer::~FaultServer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

void FaultServer::add(Fault fault) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.push_back(std::move(fault));
}

void FaultServer::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.clear();
  logs_max_span_.reset();
}

void FaultServer::limit_logs_span(std::uint64_t max_span, std::int64_t code, std::string message) {
  std::lock_guard<std::mutex> lock(mu_);
  logs_max_span_ = max_span;
  logs_limit_code_ = code;
  logs_limit_message_ = std::move(message);
}

std::vector<std::string> FaultServer::methods() const {
  std::lock_guard<std::mutex> lock(mu_);
  return methods_;
}

std::vector<std::uint64_t> FaultServer::logs_spans() const {
  std::lock_guard<std::mutex> lock(mu_);
  return logs_spans_;
}

bool FaultServer::wait_or_stop(std::int64_t ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
}

std::optional<Fault> FaultServer::take_fault(const json& request) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const json* call : calls_of(request)) {
    const std::string method = call->value("method", "");
    methods_.push_back(method);
    if (method == "eth_getLogs" && call->contains("params") && !(*call)["params"].empty()) {
      const json& f = (*call)["params"][0];
      logs_spans_.push_back(hex_number(f.value("toBlock", json("0x0"))) -
                            hex_number(f.value("fromBlock", json("0x0"))) + 1);
    }
  }
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    bool matches = it->method.empty();
    for (const json* call : calls_of(request))
      matches = matches || call->value("method", "") == it->method;
    if (!matches) continue;
    Fault fault = *it;
    if (it->times > 0 && --it->times == 0) faults_.erase(it);
    return fault;
  }
  return std::nullopt;
}

std::optional<std::string> FaultServer::span_limited(const json& request) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!logs_max_span_ || !request.is_object() || request.value("method", "") != "eth_getLogs")
    return std::nullopt;
  const json& f = request["params"][0];
  const std::uint64_t span = hex_number(f["toBlock"]) - hex_number(f["fromBlock"]) + 1;
  if (span <= *logs_max_span_) return std::nullopt;
  return error_reply(request, logs_limit_code_, logs_limit_message_).dump();
}

FaultServer::Outcome FaultServer::forward(const std::string& body) {
  httplib::Client client(upstream_);
  client.set_connection_timeout(std::chrono::seconds(5));
  client.set_read_timeout(std::chrono::seconds(30));
  auto res = client.Post("/", body, "application/json");
  if (!res) return {502, "upstream unreachable", "", false};
  return {res->status, res->body, "", false};
}

FaultServer::Outcome FaultServer::handle(const std::string& body) {
  ++requests_;
  const json request = json::parse(body, nullptr, false);
  std::optional<Fault> fault = take_fault(request);
  if (!fault) {
    if (auto limited = span_limited(request)) return {200, *limited, "", false};
    return forward(body);
  }
  using Kind = Fault::Kind;
  switch (fault->kind) {
    case Kind::kHttpStatus: return {fault->status, fault->body, fault->retry_after, false};
    case Kind::kClose: return {200, "", "", true};
    case Kind::kRpcError: {
      json replies = json::array();
      for (const json* call : calls_of(request))
        replies.push_back(error_reply(*call, fault->rpc_code, fault->rpc_message));
      return {200, request.is_array() ? replies.dump() : replies[0].dump(), fault->retry_after,
              false};
    }
    case Kind::kDelay:
      if (wait_or_stop(fault->delay_ms)) return {503, "shutting down", "", false};
      return forward(body);
    default: break;
  }
  Outcome out = forward(body);
  switch (fault->kind) {
    case Kind::kTruncate: out.body = out.body.substr(0, out.body.size() / 2); break;
    case Kind::kWrongId:
      out.body = edit_replies(out.body, [](json& r) {
        if (r.contains("id") && r["id"].is_number()) r["id"] = r["id"].get<std::uint64_t>() + 1000;
      });
      break;
    case Kind::kDuplicateId: {
      json response = json::parse(out.body, nullptr, false);
      if (response.is_array() && response.size() >= 2) response[1]["id"] = response[0]["id"];
      out.body = response.dump();
      break;
    }
    case Kind::kOtherAddress:
      out.body = edit_replies(out.body, [&](json& r) {
        edit_logs(r, [&](json& log) { log["address"] = fault->address; });
      });
      break;
    case Kind::kRemoved:
      out.body = edit_replies(
          out.body, [](json& r) { edit_logs(r, [](json& log) { log["removed"] = true; }); });
      break;
    default: break;
  }
  return out;
}

}  // namespace claimsync::testing
