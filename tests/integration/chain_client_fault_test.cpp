// Fault tests: the chain client behind an in-process fault-injecting proxy in front of a
// real anvil. Whatever the proxy does (429 + Retry-After, 5xx, truncated JSON, wrong or
// duplicate ids, logs of another contract, removed logs, "too many results" above a span,
// slow answers past the timeout, closed connections), the client returns the right data or
// a clear error within a bounded time, and never returns bad data.
//
// Backoff waits run on a ManualClock (instant, and measurable); HTTP timeouts are real.
#include <catch2/catch.hpp>

#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "rpc/backoff.hpp"
#include "rpc/erc1155.hpp"
#include "rpc/json_rpc.hpp"
#include "rpc/rpc_chain_source.hpp"
#include "tests/support/anvil.hpp"
#include "tests/support/fault_server.hpp"
#include "tests/support/lagging_rpc_proxy.hpp"
#include "tests/support/process.hpp"

using namespace claimsync;
using namespace claimsync::eth;
using claimsync::testing::Anvil;
using claimsync::testing::Fault;
using claimsync::testing::FaultServer;

namespace {

using Kind = Fault::Kind;
using SteadyClock = std::chrono::steady_clock;

Address addr(const std::string& s) { return Address::parse(s).value(); }
Hash32 hash(const std::string& s) { return Hash32::parse(s).value(); }

Fault fault(Kind kind, int times = 1, std::string method = "") {
  Fault f;
  f.kind = kind;
  f.times = times;
  f.method = std::move(method);
  return f;
}

Fault http_status(int status, int times = 1, std::string retry_after = "") {
  Fault f = fault(Kind::kHttpStatus, times);
  f.status = status;
  f.body = "upstream says no";
  f.retry_after = std::move(retry_after);
  return f;
}

JsonRpcClientOptions options_for(std::vector<std::string> urls) {
  JsonRpcClientOptions o;
  o.urls = std::move(urls);
  o.chain_id = 31337;
  o.timeout_ms = 400;
  o.max_retries = 4;
  o.backoff_initial_ms = 100;
  o.backoff_max_ms = 10'000;
  o.logs_initial_span = 100;
  o.logs_max_span = 100;
  o.rng_seed = 42;
  return o;
}

// A chain with mints spread over blocks, behind one fault proxy.
struct Fixture {
  Anvil chain;
  std::string nft = chain.deploy_claim_nft();
  std::vector<std::string> txs = [this] {
    std::vector<std::string> out;
    for (std::uint64_t i = 0; i < 6; ++i)
      out.push_back(chain.mint(nft, chain.account(1 + i % 3), 1 + i, 1));
    out.push_back(chain.mint_batch(nft, chain.account(4), {7, 8, 9}, {1, 2, 3}));
    return out;
  }();
  std::uint64_t head = chain.block_number();
  FaultServer proxy{chain.url()};
  ManualClock clock;

  std::unique_ptr<RpcChainSource> source(JsonRpcClientOptions o) {
    auto s = RpcChainSource::create(o, clock);
    REQUIRE(s.ok());
    return std::move(*s);
  }
  std::unique_ptr<RpcChainSource> source() { return source(options_for({proxy.url()})); }

  LogFilter filter() const {
    LogFilter f;
    f.address = addr(nft);
    f.topics = {{transfer_single_topic(), transfer_batch_topic()}, {}, {Hash32()}};
    f.from_block = 0;
    f.to_block = head;
    return f;
  }
  // The logs straight from anvil, for comparison.
  std::vector<LogEntry> truth() {
    FaultServer direct(chain.url());
    ManualClock c;
    auto s = RpcChainSource::create(options_for({direct.url()}), c);
    auto logs = (*s)->logs(filter());
    REQUIRE(logs.ok());
    REQUIRE(logs->size() == 7);
    return *logs;
  }
};

void check_same(const std::vector<LogEntry>& got, const std::vector<LogEntry>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].tx_hash == want[i].tx_hash);
    CHECK(got[i].block_hash == want[i].block_hash);
    CHECK(got[i].log_index == want[i].log_index);
    CHECK(got[i].address == want[i].address);
    CHECK(got[i].data == want[i].data);
  }
}

// Real time taken by `f`, in ms.
template <typename F>
std::int64_t elapsed_ms(F&& f) {
  auto t0 = SteadyClock::now();
  f();
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t0).count();
}

}  // namespace

TEST_CASE("faults: HTTP 429 with Retry-After, 500, 503") {
  Fixture fx;
  auto source = fx.source();
  REQUIRE(source->chain_id().ok());  // verified: later requests are the calls under test

  SECTION("429 with Retry-After is honoured, then the call succeeds") {
    fx.proxy.add(http_status(429, 1, "3"));
    const std::int64_t t0 = fx.clock.now_ms();
    auto n = source->block_number();
    REQUIRE(n.ok());
    CHECK(*n == fx.head);
    CHECK(fx.clock.now_ms() - t0 >= 3000);
  }

  SECTION("an absurd Retry-After is capped at backoff_max_ms") {
    fx.proxy.add(http_status(429, 1, "86400"));
    const std::int64_t t0 = fx.clock.now_ms();
    REQUIRE(source->block_number().ok());
    CHECK(fx.clock.now_ms() - t0 <= 10'000);
  }

  SECTION("500 then 503: retried") {
    fx.proxy.add(http_status(500));
    fx.proxy.add(http_status(503, 1, "1"));
    const std::size_t before = fx.proxy.requests();
    auto h = source->header(fx.head);
    REQUIRE(h.ok());
    CHECK(h->hash == hash(fx.chain.block_hash(fx.head)));
    CHECK(fx.proxy.requests() - before == 3);
  }

  SECTION("a 503 that never ends: kUnavailable after max_retries + 1 attempts") {
    fx.proxy.add(http_status(503, -1));
    const std::size_t before = fx.proxy.requests();
    auto h = source->header(fx.head);
    REQUIRE_FALSE(h.ok());
    CHECK(h.status().code() == ErrorCode::kUnavailable);
    CHECK(h.status().message().find("503") != std::string::npos);
    CHECK(fx.proxy.requests() - before == 5);
  }

  SECTION("a 429 that never ends: kRateLimited") {
    fx.proxy.add(http_status(429, -1, "1"));
    auto r = source->receipt(hash(fx.txs[0]));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == ErrorCode::kRateLimited);
  }

  SECTION("JSON-RPC rate-limit error inside a batch: only that call is re-sent") {
    Fault f = fault(Kind::kRpcError, 1, "eth_getBlockByNumber");
    f.rpc_code = -32005;
    f.rpc_message = "daily request count exceeded, request rate limited";
    fx.proxy.add(f);
    auto headers = source->headers({1, 2, 3});
    REQUIRE(headers.ok());
    CHECK((*headers)[2].hash == hash(fx.chain.block_hash(3)));
  }

  SECTION("a permanent JSON-RPC error is returned at once, not retried") {
    Fault f = fault(Kind::kRpcError, -1, "eth_getTransactionReceipt");
    f.rpc_code = -32601;
    f.rpc_message = "the method eth_getTransactionReceipt does not exist/is not available";
    fx.proxy.add(f);
    const std::size_t before = fx.proxy.requests();
    auto r = source->receipt(hash(fx.txs[0]));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == ErrorCode::kRemoteError);
    CHECK(fx.proxy.requests() - before == 1);
  }
}

TEST_CASE("faults: malformed responses are never accepted") {
  Fixture fx;
  auto source = fx.source();
  REQUIRE(source->chain_id().ok());

  SECTION("truncated JSON once: retried, right answer") {
    fx.proxy.add(fault(Kind::kTruncate));
    auto r = source->receipt(hash(fx.txs[1]));
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    CHECK((*r)->tx_hash == hash(fx.txs[1]));
  }

  SECTION("truncated JSON forever: kBadResponse") {
    fx.proxy.add(fault(Kind::kTruncate, -1));
    auto r = source->receipt(hash(fx.txs[1]));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == ErrorCode::kBadResponse);
    CHECK(r.status().message().find("not valid JSON") != std::string::npos);
  }

  SECTION("valid JSON with the wrong id: rejected") {
    fx.proxy.add(fault(Kind::kWrongId, -1));
    auto n = source->block_number();
    REQUIRE_FALSE(n.ok());
    CHECK(n.status().code() == ErrorCode::kBadResponse);
    CHECK(n.status().message().find("does not match any request") != std::string::npos);
  }

  SECTION("wrong id once: retried, right answer") {
    fx.proxy.add(fault(Kind::kWrongId));
    CHECK(source->block_number().value() == fx.head);
  }

  SECTION("duplicate ids in a batch: rejected") {
    fx.proxy.add(fault(Kind::kDuplicateId, -1));
    auto headers = source->headers({1, 2, 3});
    REQUIRE_FALSE(headers.ok());
    CHECK(headers.status().code() == ErrorCode::kBadResponse);
    CHECK(headers.status().message().find("duplicate reply id") != std::string::npos);
  }

  SECTION("a response larger than max_response_bytes: rejected") {
    JsonRpcClientOptions o = options_for({fx.proxy.url()});
    o.max_response_bytes = 4096;
    auto small = fx.source(o);
    CHECK(small->block_number().ok());
    std::vector<std::uint64_t> numbers = {1, 2, 3, 4, 5, 6, 7, 8};
    auto headers = small->headers(numbers);
    REQUIRE_FALSE(headers.ok());
    CHECK(headers.status().code() == ErrorCode::kBadResponse);
    CHECK(headers.status().message().find("larger than the configured maximum") !=
          std::string::npos);
  }
}

TEST_CASE("faults: eth_getLogs is validated and adapts its span") {
  Fixture fx;
  const std::vector<LogEntry> truth = fx.truth();
  auto source = fx.source();

  SECTION("logs of another address: never returned") {
    fx.proxy.add(fault(Kind::kOtherAddress, -1, "eth_getLogs"));
    auto logs = source->logs(fx.filter());
    REQUIRE_FALSE(logs.ok());
    CHECK(logs.status().code() == ErrorCode::kBadResponse);
    CHECK(logs.status().message().find("not of the requested") != std::string::npos);
  }

  SECTION("logs of another address once: retried, right logs") {
    fx.proxy.add(fault(Kind::kOtherAddress, 1, "eth_getLogs"));
    auto logs = source->logs(fx.filter());
    REQUIRE(logs.ok());
    check_same(*logs, truth);
  }

  SECTION("removed logs: rejected") {
    fx.proxy.add(fault(Kind::kRemoved, -1, "eth_getLogs"));
    auto logs = source->logs(fx.filter());
    REQUIRE_FALSE(logs.ok());
    CHECK(logs.status().code() == ErrorCode::kBadResponse);
  }

  SECTION("\"too many results\" above a span: halves until it fits, same logs") {
    fx.proxy.limit_logs_span(3);
    auto logs = source->logs(fx.filter());
    REQUIRE(logs.ok());
    check_same(*logs, truth);
    CHECK(source->current_logs_span() <= 3);
    auto spans = fx.proxy.logs_spans();
    REQUIRE(spans.size() >= 2);
    CHECK(spans.front() == std::min<std::uint64_t>(100, fx.head + 1));
  }

  SECTION("Alchemy-style error with a suggested range: jumps to it") {
    fx.proxy.limit_logs_span(
        2, -32602,
        "Log response size exceeded. You can make eth_getLogs requests with up to a "
        "2K block range and no limit on the response size, or you can request any block "
        "range with a cap of 10K logs in the response. Based on your parameters and the "
        "response size limit, this block range should work: [0x0, 0x1]");
    auto logs = source->logs(fx.filter());
    REQUIRE(logs.ok());
    check_same(*logs, truth);
    auto spans = fx.proxy.logs_spans();
    REQUIRE(spans.size() >= 2);
    CHECK(spans[1] == 2);
  }

  SECTION("an answer above max_response_bytes: shrinks the span like too many results") {
    // The whole range answers ~6 KB; one block with its pinned header ~2 KB.
    JsonRpcClientOptions o = options_for({fx.proxy.url()});
    o.max_response_bytes = 3500;
    auto capped = fx.source(o);
    auto logs = capped->logs(fx.filter());
    INFO(logs.status().to_string());
    REQUIRE(logs.ok());
    check_same(*logs, truth);
    CHECK(capped->current_logs_span() < 100);
    auto spans = fx.proxy.logs_spans();
    REQUIRE(spans.size() >= 2);
    CHECK(spans[1] < spans[0]);
  }

  SECTION("too large even at the minimum span: a clear error, bounded") {
    JsonRpcClientOptions o = options_for({fx.proxy.url()});
    o.max_response_bytes = 100;
    o.max_retries = 2;
    auto capped = fx.source(o);
    auto logs = capped->logs(fx.filter());
    REQUIRE_FALSE(logs.ok());
    CHECK(logs.status().message().find("minimum span") != std::string::npos);
  }

  SECTION("a provider that refuses even one block: clear error, bounded") {
    fx.proxy.limit_logs_span(0, -32000, "block range is too large");
    auto logs = source->logs(fx.filter());
    REQUIRE_FALSE(logs.ok());
    CHECK(logs.status().message().find("minimum span") != std::string::npos);
  }

  SECTION("the span grows again after successes") {
    JsonRpcClientOptions o = options_for({fx.proxy.url()});
    o.logs_initial_span = 1;
    o.logs_max_span = 8;
    auto growing = fx.source(o);
    auto logs = growing->logs(fx.filter());
    REQUIRE(logs.ok());
    check_same(*logs, truth);
    CHECK(growing->current_logs_span() > 1);
  }

  SECTION("a slow eth_getLogs past the timeout: shrinks and retries, bounded in time") {
    Fault slow = fault(Kind::kDelay, 1, "eth_getLogs");
    slow.delay_ms = 3000;
    fx.proxy.add(slow);
    std::vector<LogEntry> got;
    const auto ms = elapsed_ms([&] {
      auto logs = source->logs(fx.filter());
      REQUIRE(logs.ok());
      got = *logs;
    });
    check_same(got, truth);
    CHECK(ms < 2500);
    CHECK(source->current_logs_span() < 100);
  }
}

TEST_CASE("faults: pinned eth_getLogs (the header of the range end in the same request)") {
  Fixture fx;
  const std::vector<LogEntry> truth = fx.truth();
  auto source = fx.source();
  auto head = source->header(fx.head);
  REQUIRE(head.ok());
  LogFilter pinned = fx.filter();
  pinned.pin = BlockPin{fx.head, head->hash};

  SECTION("the pinned header goes in the same HTTP request; the same logs") {
    const std::size_t before = fx.proxy.requests();
    auto logs = source->logs(pinned);
    REQUIRE(logs.ok());
    check_same(*logs, truth);
    CHECK(fx.proxy.requests() == before + 1);
    const auto methods = fx.proxy.methods();
    REQUIRE(methods.size() >= 2);
    CHECK(methods[methods.size() - 2] == "eth_getLogs");
    CHECK(methods.back() == "eth_getBlockByNumber");
  }

  SECTION("another hash at the range end: kReorg, no logs") {
    pinned.pin->hash = Hash32();
    auto logs = source->logs(pinned);
    REQUIRE_FALSE(logs.ok());
    CHECK(logs.status().code() == ErrorCode::kReorg);
  }

  SECTION("malformed batch answers are retried, never accepted") {
    fx.proxy.add(fault(Kind::kTruncate, 1, "eth_getLogs"));
    fx.proxy.add(fault(Kind::kWrongId, 1, "eth_getLogs"));
    fx.proxy.add(fault(Kind::kDuplicateId, 1, "eth_getLogs"));
    auto logs = source->logs(pinned);
    INFO(logs.status().to_string());
    REQUIRE(logs.ok());
    check_same(*logs, truth);
  }

  SECTION("an endpoint that does not serve the range end fails over; alone, kNotFound") {
    testing::LaggingRpcProxy lagging({fx.chain.url()});
    lagging.set_lag(3);
    auto both = fx.source(options_for({lagging.url(), fx.proxy.url()}));
    REQUIRE(both->block_number().ok());  // a head for the high-water mark
    auto logs = both->logs(pinned);
    INFO(logs.status().to_string());
    REQUIRE(logs.ok());
    check_same(*logs, truth);
    auto alone = fx.source(options_for({lagging.url()}));
    auto none = alone->logs(pinned);
    REQUIRE_FALSE(none.ok());
    CHECK(none.status().code() == ErrorCode::kNotFound);
  }
}

TEST_CASE("lag: the pool fails over from an endpoint behind the high-water head") {
  Fixture fx;
  testing::LaggingRpcProxy lagging({fx.chain.url()});
  JsonRpcClientOptions o = options_for({lagging.url(), fx.proxy.url()});
  o.max_lag_blocks = 2;
  auto source = fx.source(o);
  const std::uint64_t real = fx.chain.block_number();
  auto n = source->block_number();
  REQUIRE(n.ok());
  CHECK(*n == real);  // in sync: the first endpoint answers
  lagging.set_lag(5);
  const std::size_t proxied = fx.proxy.requests();
  n = source->block_number();
  REQUIRE(n.ok());
  CHECK(*n == real);  // the lagging answer was dropped, the second endpoint answered
  CHECK(fx.proxy.requests() > proxied);
  auto health = source->endpoint_health();
  CHECK(health[0].lagging);
  CHECK(health[0].lag_episodes == 1);
  CHECK_FALSE(health[1].lagging);
  // A stored block the lagging endpoint does not serve: asked elsewhere, not "gone".
  auto h = source->header(real);
  REQUIRE(h.ok());
  // With no up-to-date endpoint left, the low head comes back (the follower waits).
  auto alone = fx.source(options_for({lagging.url()}));
  lagging.set_lag(0);
  REQUIRE(alone->block_number().ok());
  lagging.set_lag(5);
  n = alone->block_number();
  REQUIRE(n.ok());
  CHECK(*n == real - 5);
  auto missing = alone->header(real);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == ErrorCode::kNotFound);
}

TEST_CASE("faults: slow answers and closed connections never hang the client") {
  Fixture fx;
  auto source = fx.source();
  REQUIRE(source->chain_id().ok());

  SECTION("one slow answer: times out, the retry succeeds") {
    Fault slow = fault(Kind::kDelay);
    slow.delay_ms = 3000;
    fx.proxy.add(slow);
    std::int64_t ms = elapsed_ms([&] { CHECK(source->block_number().value() == fx.head); });
    CHECK(ms >= 350);
    CHECK(ms < 2500);
  }

  SECTION("always slow: kTimeout within (max_retries + 1) x timeout") {
    Fault slow = fault(Kind::kDelay, -1);
    slow.delay_ms = 5000;
    fx.proxy.add(slow);
    Status st;
    std::int64_t ms = elapsed_ms([&] { st = source->header(fx.head).status(); });
    CHECK(st.code() == ErrorCode::kTimeout);
    CHECK(ms < 5 * 400 + 1500);
  }

  SECTION("connection closed mid-response once: retried") {
    fx.proxy.add(fault(Kind::kClose));
    CHECK(source->block_number().value() == fx.head);
  }

  SECTION("connection always closed: kUnavailable, bounded") {
    fx.proxy.add(fault(Kind::kClose, -1));
    Status st;
    std::int64_t ms = elapsed_ms([&] { st = source->block_number().status(); });
    CHECK(st.code() == ErrorCode::kUnavailable);
    CHECK(ms < 2000);
  }
}

TEST_CASE("faults: a lying endpoint behind failover") {
  Fixture fx;
  const std::vector<LogEntry> truth = fx.truth();
  FaultServer honest(fx.chain.url());
  fx.proxy.add(fault(Kind::kOtherAddress, -1, "eth_getLogs"));
  auto source = fx.source(options_for({fx.proxy.url(), honest.url()}));
  auto logs = source->logs(fx.filter());
  REQUIRE(logs.ok());
  check_same(*logs, truth);
  auto health = source->endpoint_health();
  CHECK(health[0].failures >= 1);
  CHECK(health[0].last_error.find("not of the requested") != std::string::npos);
  CHECK(health[1].successes >= 1);
}

TEST_CASE("faults: an endpoint answering for another chain is never used") {
  Fixture fx;
  testing::AnvilOptions other_options;
  other_options.chain_id = 1;
  Anvil other(other_options);
  FaultServer wrong(other.url());
  auto source = fx.source(options_for({wrong.url(), fx.proxy.url()}));
  for (int i = 0; i < 3; ++i) CHECK(source->block_number().value() == fx.head);
  auto methods = wrong.methods();
  REQUIRE(methods.size() == 1);
  CHECK(methods[0] == "eth_chainId");
}

// --- pure logic (no network) -----------------------------------------------------------

TEST_CASE("backoff: full jitter within the exponential ceiling, Retry-After parsing") {
  BackoffPolicy p{100, 1000};
  CHECK(backoff_ceiling_ms(0, p) == 100);
  CHECK(backoff_ceiling_ms(1, p) == 200);
  CHECK(backoff_ceiling_ms(3, p) == 800);
  CHECK(backoff_ceiling_ms(4, p) == 1000);
  CHECK(backoff_ceiling_ms(4'000'000'000u, p) == 1000);
  std::mt19937_64 a(1), b(1);
  for (std::uint32_t i = 0; i < 50; ++i) {
    const auto d = full_jitter_delay(i, p, a);
    CHECK(d >= 0);
    CHECK(d <= backoff_ceiling_ms(i, p));
    CHECK(d == full_jitter_delay(i, p, b));  // deterministic for a seed
  }
  const std::int64_t now = 1'445'412'480'000;  // Wed, 21 Oct 2015 07:28:00 GMT
  CHECK(parse_retry_after_ms("2", now, 10'000) == 2000);
  CHECK(parse_retry_after_ms(" 120 ", now, 10'000) == 10'000);
  CHECK(parse_retry_after_ms("Wed, 21 Oct 2015 07:28:05 GMT", now, 10'000) == 5000);
  CHECK(parse_retry_after_ms("Wed, 21 Oct 2015 07:27:00 GMT", now, 10'000) == 0);
  CHECK_FALSE(parse_retry_after_ms("", now, 10'000).has_value());
  CHECK_FALSE(parse_retry_after_ms("soon", now, 10'000).has_value());
  CHECK_FALSE(parse_retry_after_ms("-5", now, 10'000).has_value());
}

TEST_CASE("JSON-RPC errors of common providers are classified") {
  auto kind = [](std::int64_t code, const std::string& message, bool logs) {
    return classify_rpc_error(RpcErrorObject{code, message, ""}, logs);
  };
  using K = RpcErrorKind;
  CHECK(kind(-32005, "query returned more than 10000 results", true) == K::kRangeTooLarge);
  CHECK(kind(-32005,
             "query returned more than 10000 results. Try with this block range [0x1, 0x2].",
             true) == K::kRangeTooLarge);
  CHECK(kind(-32602, "Log response size exceeded. ... this block range should work: [0x10, 0x4f]",
             true) == K::kRangeTooLarge);
  CHECK(kind(-32600, "block range is too wide", true) == K::kRangeTooLarge);
  CHECK(kind(-32614, "eth_getLogs is limited to a 10,000 range", true) == K::kRangeTooLarge);
  CHECK(kind(-32000, "exceed maximum block range: 50000", true) == K::kRangeTooLarge);
  CHECK(kind(-32000, "Block range limit exceeded.", true) == K::kRangeTooLarge);
  CHECK(kind(-32000, "logs matched by query exceeds limit of 10000", true) == K::kRangeTooLarge);
  CHECK(kind(-32000, "query timeout exceeded", true) == K::kRangeTooLarge);
  CHECK(kind(-32602, "invalid block range params", true) == K::kRangeTooLarge);
  CHECK(kind(-32005, "daily request count exceeded, request rate limited", true) ==
        K::kRateLimited);
  CHECK(kind(-32005, "limit exceeded", false) == K::kRateLimited);
  CHECK(kind(429, "Too Many Requests", false) == K::kRateLimited);
  CHECK(kind(-32000, "Your app has exceeded its compute units per second capacity", false) ==
        K::kRateLimited);
  CHECK(kind(-32603, "internal error", false) == K::kTransient);
  CHECK(kind(-32000, "header not found", false) == K::kTransient);
  CHECK(kind(-32601, "the method does not exist/is not available", false) == K::kPermanent);
  CHECK(kind(-32602, "invalid argument 0: hex string has length 3", false) == K::kPermanent);
  CHECK(kind(3, "execution reverted", false) == K::kPermanent);
  CHECK(kind(-32000, "execution reverted: timeout", true) == K::kPermanent);

  auto span = [](const std::string& message) {
    return suggested_log_span(RpcErrorObject{-32000, message, ""});
  };
  CHECK(span("this block range should work: [0x10, 0x4f]") == 64u);
  CHECK(span("query returned more than 10000 results. Try with this block range [0xA, 0xB].") ==
        2u);
  CHECK(span("requested too many blocks from 0 to 5000, maximum is set to 2048") == 2048u);
  CHECK(span("eth_getLogs is limited to a 10,000 range") == 10000u);
  CHECK(span("Max range: 800") == 800u);
  CHECK(span("query returned more than 10000 results") == std::nullopt);
}

TEST_CASE("JSON-RPC responses: ids are matched strictly") {
  auto ok = parse_rpc_response(
      R"([{"jsonrpc":"2.0","id":11,"result":"0x2"},{"jsonrpc":"2.0","id":10,"result":"0x1"}])", 10,
      2, true);
  REQUIRE(ok.ok());
  CHECK((*ok)[0].result == "0x1");  // reordered by id
  CHECK((*ok)[1].result == "0x2");
  auto code = [](const std::string& body, std::size_t n, bool batch) {
    return parse_rpc_response(body, 10, n, batch).status().code();
  };
  CHECK(code(R"([{"id":10,"result":1},{"id":10,"result":2}])", 2, true) ==
        ErrorCode::kBadResponse);                                                // duplicate
  CHECK(code(R"([{"id":10,"result":1}])", 2, true) == ErrorCode::kBadResponse);  // missing
  CHECK(code(R"([{"id":10,"result":1},{"id":12,"result":2}])", 2, true) ==
        ErrorCode::kBadResponse);                                                 // not ours
  CHECK(code(R"({"id":"10","result":1})", 1, false) == ErrorCode::kBadResponse);  // string id
  CHECK(code(R"({"id":10,"result":1,"error":{"code":1,"message":"x"}})", 1, false) ==
        ErrorCode::kBadResponse);
  CHECK(code(R"({"id":10})", 1, false) == ErrorCode::kBadResponse);
  CHECK(code(R"({"id":10,"result":)", 1, false) == ErrorCode::kBadResponse);   // truncated
  CHECK(code(R"({"id":10,"result":1})", 1, true) == ErrorCode::kBadResponse);  // not an array
  CHECK(code(R"({"id":null,"error":{"code":-32005,"message":"rate limited"}})", 2, true) ==
        ErrorCode::kRateLimited);
  auto single_error =
      parse_rpc_response(R"({"id":null,"error":{"code":-32600,"message":"bad"}})", 10, 1, false);
  REQUIRE(single_error.ok());
  CHECK((*single_error)[0].error->code == -32600);
}

TEST_CASE("https endpoints: verified TLS works, an untrusted certificate is a clear error") {
  testing::TempDir dir("claimsync-tls");
  const std::string cert = dir.file("cert.pem");
  const std::string key = dir.file("key.pem");
  auto made = testing::run_command({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                                    "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert});
  REQUIRE(made.exit_code == 0);
  httplib::SSLServer server(cert.c_str(), key.c_str());
  REQUIRE(server.is_valid());
  server.Post("/rpc", [](const httplib::Request& req, httplib::Response& res) {
    auto call = nlohmann::json::parse(req.body);
    const std::string result = call["method"] == "eth_chainId" ? "0x7a69" : "0x2a";
    res.set_content(
        nlohmann::json{{"jsonrpc", "2.0"}, {"id", call["id"]}, {"result", result}}.dump(),
        "application/json");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });
  REQUIRE(
      testing::wait_until([&] { return server.is_running(); }, std::chrono::milliseconds(5000)));
  const std::string url = "https://127.0.0.1:" + std::to_string(port) + "/rpc";
  ManualClock clock;
  JsonRpcClientOptions o = options_for({url});
  o.timeout_ms = 3000;
  o.max_retries = 1;

  SECTION("untrusted certificate") {
    auto source = RpcChainSource::create(o, clock);
    auto n = (*source)->block_number();
    REQUIRE_FALSE(n.ok());
    CHECK(n.status().code() == ErrorCode::kUnavailable);
    CHECK(n.status().message().find("TLS") != std::string::npos);
  }

  SECTION("certificate trusted through SSL_CERT_FILE") {
    setenv("SSL_CERT_FILE", cert.c_str(), 1);
    auto source = RpcChainSource::create(o, clock);
    auto n = (*source)->block_number();
    unsetenv("SSL_CERT_FILE");
    REQUIRE(n.ok());
    CHECK(*n == 42);
  }
  server.stop();
  thread.join();
}
