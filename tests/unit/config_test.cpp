// Config: the example parses and documents every key with its real default; every kind of
// mistake is an error naming the key and the line; secrets come from the environment and
// never show in the rendered config.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <set>
#include <string>

#include <toml++/toml.h>

#include "node/config.hpp"

using claimsync::ErrorCode;
using claimsync::node::Config;
using claimsync::node::FinalityMode;
using claimsync::node::load_config;
using claimsync::node::mask_rpc_url;
using claimsync::node::mask_url;
using claimsync::node::mask_ws_url;
using claimsync::node::parse_config;
using claimsync::node::render_config;

namespace {

const std::string kExample = std::string(CLAIMSYNC_SOURCE_DIR) + "/config.example.toml";

// The required keys only, on lines 1..4; cases append their lines from line 5 on.
const std::string kMinimal =
    "[chain]\n"
    "rpc_urls = [\"http://127.0.0.1:8545\"]\n"
    "chain_id = 31337\n"
    "contract = \"0x5FbDB2315678afecb367f032d93F642f64180aa3\"\n";

// Every dotted key of a TOML document ("chain.chain_id", ...), arrays as leaves.
void collect_keys(const toml::table& table, const std::string& prefix, std::set<std::string>& out) {
  for (const auto& [key, node] : table) {
    const std::string dotted =
        prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    if (node.is_table())
      collect_keys(*node.as_table(), dotted, out);
    else
      out.insert(dotted);
  }
}

std::set<std::string> keys_of(const std::string& toml_text) {
  std::set<std::string> keys;
  collect_keys(toml::parse(toml_text), "", keys);
  return keys;
}

// Parses text that must be rejected and returns the error message.
std::string error_of(const std::string& text) {
  auto result = parse_config(text, "test.toml");
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == ErrorCode::kInvalidArgument);
  return result.status().message();
}

// Sets an environment variable for the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
    ::setenv(name_.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name_.c_str()); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
};

// render_config without its first line (which names the source file).
std::string body(const std::string& rendered) { return rendered.substr(rendered.find('\n') + 1); }

}  // namespace

TEST_CASE("config.example.toml parses with the anvil defaults", "[config]") {
  auto config = load_config(kExample);
  REQUIRE(config.ok());
  CHECK(config->source_path == kExample);
  CHECK(config->chain.chain_id == 31337);
  CHECK(config->chain.rpc_urls == std::vector<std::string>{"http://127.0.0.1:8545"});
  CHECK(config->chain.contract.checksummed() == "0x5FbDB2315678afecb367f032d93F642f64180aa3");
  CHECK(config->chain.finality == FinalityMode::kConfirmations);
  REQUIRE(config->chain.levels.size() == 19);
  CHECK(config->chain.levels.front() == 1);
  CHECK(config->chain.levels.back() == 19);
  CHECK(config->sink.url == "sqlite:./claimsync.sqlite");
  CHECK(config->storage.data_dir == "./claimsync-data");
}

TEST_CASE("config.example.toml documents every key with its real default", "[config]") {
  auto example = load_config(kExample);
  auto minimal = parse_config(kMinimal, "minimal.toml");
  REQUIRE(example.ok());
  REQUIRE(minimal.ok());
  // The same effective config: the example's values are the defaults.
  CHECK(body(render_config(*example)) == body(render_config(*minimal)));
  // The same keys: every key the node reads (all rendered) is in the example.
  std::set<std::string> in_file;
  collect_keys(toml::parse_file(kExample), "", in_file);
  CHECK(in_file == keys_of(render_config(*minimal)));
}

TEST_CASE("a minimal config gets defaults, levels 1..19 included", "[config]") {
  auto config = parse_config(kMinimal, "minimal.toml");
  REQUIRE(config.ok());
  CHECK(config->chain.levels.size() == 19);
  CHECK(config->chain.confirmations == 20);
  CHECK(config->rpc.logs_max_span == 5000);
  CHECK(config->api.admin_token.empty());
  CHECK(config->log.level == "info");
}

TEST_CASE("explicit values are read", "[config]") {
  auto config = parse_config(kMinimal +
                                 "finality = \"finalized\"\n"
                                 "levels = [7, 3, 2147483647]\n"
                                 "start_block = 123456789\n"
                                 "[rpc]\nmax_batch = 7\n"
                                 "[sink]\nurl = \"postgresql://u@db.internal:5432/members\"\n"
                                 "migrate_on_start = false\n"
                                 "[api]\nenabled = true\nlisten = \"0.0.0.0:0\"\n"
                                 "[log]\nlevel = \"debug\"\nformat = \"json\"\n",
                             "x.toml");
  REQUIRE(config.ok());
  CHECK(config->chain.finality == FinalityMode::kFinalized);
  CHECK(config->chain.levels == std::vector<std::uint32_t>{7, 3, 2147483647u});
  CHECK(config->chain.start_block == 123456789);
  CHECK(config->rpc.max_batch == 7);
  CHECK(config->sink.url == "postgresql://u@db.internal:5432/members");
  CHECK_FALSE(config->sink.migrate_on_start);
  CHECK(config->api.enabled);
  CHECK(config->log.format == "json");
  CHECK(parse_config(kMinimal + "finality = \"safe\"\n", "x")->chain.finality ==
        FinalityMode::kSafe);
}

TEST_CASE("each kind of mistake is an error naming the file, line and key", "[config]") {
  struct Case {
    const char* what;
    std::string text;
    const char* expected;  // "<file>:<line>: key <key>"
  };
  const std::string header = "[chain]\nrpc_urls = [\"http://127.0.0.1:8545\"]\n";
  const std::string contract = "contract = \"0x5FbDB2315678afecb367f032d93F642f64180aa3\"\n";
  const std::vector<Case> cases = {
      {"wrong type", header + "chain_id = \"abc\"\n" + contract,
       "test.toml:3: key chain.chain_id: expected an integer"},
      {"unknown finality", kMinimal + "finality = \"latest\"\n",
       "test.toml:5: key chain.finality: must be one of"},
      {"unknown key", kMinimal + "confirmaitons = 3\n",
       "test.toml:5: key chain.confirmaitons: unknown key"},
      {"unknown section", kMinimal + "[sinks]\nurl = \"sqlite:x\"\n",
       "test.toml:5: key sinks: unknown key"},
      {"missing key", header + contract,
       "test.toml:1: key chain.chain_id: required key is missing"},
      {"missing table", "[log]\nlevel = \"info\"\n", "test.toml: key chain: required table"},
      {"bad checksum",
       header + "chain_id = 1\ncontract = \"0x5FbDB2315678afecb367f032d93F642f64180aA3\"\n",
       "test.toml:4: key chain.contract:"},
      {"bad address", header + "chain_id = 1\ncontract = \"0x1234\"\n",
       "test.toml:4: key chain.contract:"},
      {"zero address",
       header + "chain_id = 1\ncontract = \"0x0000000000000000000000000000000000000000\"\n",
       "test.toml:4: key chain.contract: must not be the zero address"},
      {"rpc url scheme", "[chain]\nrpc_urls = [\"ws://127.0.0.1:8545\"]\nchain_id = 1\n" + contract,
       "test.toml:2: key chain.rpc_urls[0]: must start with http:// or https://"},
      {"empty rpc_urls", "[chain]\nrpc_urls = []\nchain_id = 1\n" + contract,
       "test.toml:2: key chain.rpc_urls: must not be empty"},
      {"sink url scheme", kMinimal + "[sink]\nurl = \"mysql://u:pw@h/db\"\n",
       "test.toml:6: key sink.url: must be postgres://"},
      {"duplicate levels", kMinimal + "levels = [1, 2, 3, 2]\n",
       "test.toml:5: key chain.levels[3]: duplicate level 2"},
      {"level zero", kMinimal + "levels = [0]\n",
       "test.toml:5: key chain.levels[0]: must be between 1 and 2147483647"},
      {"level too big", kMinimal + "levels = [4294967296]\n",
       "test.toml:5: key chain.levels[0]: must be between"},
      {"level above the int columns", kMinimal + "levels = [1, 2147483648]\n",
       "test.toml:5: key chain.levels[1]: must be between 1 and 2147483647, got 2147483648 "
       "(levels are stored in integer columns: nft_level, current_level)"},
      {"level not int", kMinimal + "levels = [\"1\"]\n",
       "test.toml:5: key chain.levels[0]: expected an integer"},
      {"negative", kMinimal + "start_block = -1\n",
       "test.toml:5: key chain.start_block: must be between 0"},
      {"float for int", kMinimal + "[rpc]\ntimeout_ms = 1.5\n",
       "test.toml:6: key rpc.timeout_ms: expected an integer, got a float"},
      {"bool type", kMinimal + "[api]\nenabled = \"yes\"\n",
       "test.toml:6: key api.enabled: expected a boolean"},
      {"span order", kMinimal + "[rpc]\nlogs_min_span = 10\nlogs_initial_span = 5\n",
       "key rpc.logs_initial_span: must be >= rpc.logs_min_span"},
      {"backoff order", kMinimal + "[replicator]\nbackoff_max_ms = 10\n",
       "test.toml:6: key replicator.backoff_max_ms: must be >="},
      {"listen", kMinimal + "[api]\nlisten = \"localhost\"\n",
       "test.toml:6: key api.listen: must be HOST:PORT"},
      {"env name", kMinimal + "[sink]\nurl_env = \"MY-VAR\"\n",
       "test.toml:6: key sink.url_env: must be an environment variable name"},
      {"token in file", kMinimal + "[api]\nadmin_token = \"hunter2\"\n",
       "test.toml:6: key api.admin_token: unknown key (secrets"},
      {"log level", kMinimal + "[log]\nlevel = \"verbose\"\n",
       "test.toml:6: key log.level: must be one of"},
      {"section not a table", kMinimal + "rpc = 5\n", "key chain.rpc: unknown key"},
      {"root section not a table", "log = 5\n" + kMinimal,
       "test.toml:1: key log: expected a table [log]"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const std::string message = error_of(c.text);
    INFO(message);
    CHECK(message.find(c.expected) != std::string::npos);
  }
}

TEST_CASE("a typo gets a did-you-mean hint", "[config]") {
  CHECK(error_of(kMinimal + "confirmaitons = 3\n").find("did you mean chain.confirmations?") !=
        std::string::npos);
  CHECK(error_of(kMinimal + "[sinks]\n").find("did you mean [sink]?") != std::string::npos);
}

TEST_CASE("every problem of a file is reported, in file order", "[config]") {
  const std::string message = error_of(kMinimal + "finality = \"latest\"\n[rpc]\nmax_batch = 0\n");
  const auto first = message.find("test.toml:5: key chain.finality");
  const auto second = message.find("test.toml:7: key rpc.max_batch");
  CHECK(first != std::string::npos);
  CHECK(second != std::string::npos);
  CHECK(first < second);
}

TEST_CASE("TOML syntax errors name the line", "[config]") {
  CHECK(error_of("[chain\n").rfind("test.toml:1:", 0) == 0);
  CHECK(error_of(kMinimal + "chain_id = 2\n").rfind("test.toml:5:", 0) == 0);  // duplicate key
}

TEST_CASE("a missing file is kNotFound naming the path", "[config]") {
  auto config = load_config("/nonexistent/claimsync.toml");
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().code() == ErrorCode::kNotFound);
  CHECK(config.status().message().find("/nonexistent/claimsync.toml") != std::string::npos);
}

TEST_CASE("sink.url_env overrides sink.url when set and non-empty", "[config]") {
  const std::string text =
      kMinimal + "[sink]\nurl = \"sqlite:./file.sqlite\"\nurl_env = \"CLAIMSYNC_TEST_SINK_URL\"\n";
  SECTION("unset: the file wins") {
    ::unsetenv("CLAIMSYNC_TEST_SINK_URL");
    CHECK(parse_config(text, "t")->sink.url == "sqlite:./file.sqlite");
  }
  SECTION("empty: the file wins") {
    ScopedEnv env("CLAIMSYNC_TEST_SINK_URL", "");
    CHECK(parse_config(text, "t")->sink.url == "sqlite:./file.sqlite");
  }
  SECTION("set: the environment wins, and the rendered config masks its password") {
    ScopedEnv env("CLAIMSYNC_TEST_SINK_URL", "postgres://claimsync:s3cret@127.0.0.1:5432/members");
    auto config = parse_config(text, "t");
    REQUIRE(config.ok());
    CHECK(config->sink.url == "postgres://claimsync:s3cret@127.0.0.1:5432/members");
    const std::string rendered = render_config(*config);
    CHECK(rendered.find("postgres://claimsync:***@127.0.0.1:5432/members") != std::string::npos);
    CHECK(rendered.find("s3cret") == std::string::npos);
  }
  SECTION("set to garbage: an error naming sink.url that does not echo the value") {
    ScopedEnv env("CLAIMSYNC_TEST_SINK_URL", "mysql://root:s3cret@h/db");
    const std::string message = error_of(text);
    CHECK(message.find("test.toml:7: key sink.url") != std::string::npos);
    CHECK(message.find("CLAIMSYNC_TEST_SINK_URL") != std::string::npos);
    CHECK(message.find("s3cret") == std::string::npos);
  }
}

TEST_CASE("the admin token comes from the environment and is never rendered", "[config]") {
  ScopedEnv env("CLAIMSYNC_TEST_ADMIN_TOKEN", "tok-0123456789");
  auto config =
      parse_config(kMinimal + "[api]\nadmin_token_env = \"CLAIMSYNC_TEST_ADMIN_TOKEN\"\n", "t");
  REQUIRE(config.ok());
  CHECK(config->api.admin_token == "tok-0123456789");
  const std::string rendered = render_config(*config);
  CHECK(rendered.find("tok-0123456789") == std::string::npos);
  CHECK(rendered.find("admin token: set") != std::string::npos);
}

TEST_CASE("render_config round-trips through parse_config", "[config]") {
  auto config = parse_config(kMinimal +
                                 "finality = \"safe\"\nlevels = [5, 1]\n"
                                 "[storage]\ndata_dir = \"/var/lib/claim \\\"sync\\\"\"\n"
                                 "[sink]\nurl = \"postgres://u@h/db?sslmode=require\"\n",
                             "t");
  REQUIRE(config.ok());
  const std::string once = render_config(*config);
  auto again = parse_config(once, "rendered");
  REQUIRE(again.ok());
  CHECK(again->storage.data_dir == "/var/lib/claim \"sync\"");
  CHECK(body(render_config(*again)) == body(once));
}

TEST_CASE("mask_url hides passwords only", "[config]") {
  CHECK(mask_url("postgres://u:secret@h/db") == "postgres://u:***@h/db");
  CHECK(mask_url("postgresql://u:p%40ss@h:5432/db?sslmode=require") ==
        "postgresql://u:***@h:5432/db?sslmode=require");
  CHECK(mask_url("postgres://u@h/db") == "postgres://u@h/db");
  CHECK(mask_url("postgres://h/db?user=u&password=secret&x=1") ==
        "postgres://h/db?user=u&password=***&x=1");
  CHECK(mask_url("postgres://h/db?password=secret") == "postgres://h/db?password=***");
  CHECK(mask_url("https://user:pw@rpc.example/v1/key") == "https://user:***@rpc.example/v1/key");
  CHECK(mask_url("http://127.0.0.1:8545") == "http://127.0.0.1:8545");
  CHECK(mask_url("sqlite:./claimsync.sqlite") == "sqlite:./claimsync.sqlite");
  CHECK(mask_url("") == "");
}

TEST_CASE("config check shows RPC URLs without the API keys in their paths", "[config]") {
  CHECK(mask_rpc_url("https://arb-mainnet.example/v2/SeCrEtKeY123") ==
        "https://arb-mainnet.example:443/…");
  CHECK(mask_rpc_url("https://rpc.example/?apikey=SeCrEtKeY123") == "https://rpc.example:443/…");
  CHECK(mask_rpc_url("http://127.0.0.1:8545") == "http://127.0.0.1:8545");
  auto config = parse_config(
      "[chain]\nrpc_urls = [\"https://arb-mainnet.example/v2/SeCrEtKeY123\"]\nchain_id = 42161\n"
      "contract = \"0x00000000000000000000000000000000000000c1\"\n",
      "keys.toml");
  REQUIRE(config.ok());
  const std::string rendered = render_config(*config);
  CHECK(rendered.find("SeCrEtKeY123") == std::string::npos);
  CHECK(rendered.find("https://arb-mainnet.example:443/…") != std::string::npos);
}

TEST_CASE("chain.ws_urls: optional ws:// / wss:// URLs, at most one per RPC endpoint", "[config]") {
  const std::string two_rpc =
      "[chain]\nrpc_urls = [\"http://a:8545\", \"http://b:8545\"]\nchain_id = 31337\n"
      "contract = \"0x5FbDB2315678afecb367f032d93F642f64180aa3\"\n";
  auto none = parse_config(kMinimal, "x.toml");
  REQUIRE(none.ok());
  CHECK(none->chain.ws_urls.empty());
  CHECK(render_config(*none).find("ws_urls") == std::string::npos);
  auto empty = parse_config(kMinimal + "ws_urls = []\n", "x.toml");
  REQUIRE(empty.ok());
  CHECK(empty->chain.ws_urls.empty());

  auto two = parse_config(two_rpc + "ws_urls = [\"ws://a:8546\", \"WSS://b.example/v2/SeCrEt\"]\n",
                          "x.toml");
  REQUIRE(two.ok());
  CHECK(two->chain.ws_urls == std::vector<std::string>{"ws://a:8546", "WSS://b.example/v2/SeCrEt"});
  const std::string rendered = render_config(*two);
  CHECK(rendered.find("SeCrEt") == std::string::npos);
  CHECK(rendered.find("ws_urls = [\"ws://a:8546\", \"wss://b.example:443/…\"]") !=
        std::string::npos);
  auto again = parse_config(rendered, "rendered.toml");
  REQUIRE(again.ok());
  CHECK(body(render_config(*again)) == body(rendered));

  CHECK(error_of(kMinimal + "ws_urls = [\"http://127.0.0.1:8545\"]\n")
            .find("test.toml:5: key chain.ws_urls[0]: must start with ws:// or wss://") !=
        std::string::npos);
  CHECK(error_of(kMinimal + "ws_urls = [\"ws://\"]\n")
            .find("test.toml:5: key chain.ws_urls[0]: URL has no host") != std::string::npos);
  CHECK(error_of(kMinimal + "ws_urls = [\"ws://h:99999\"]\n")
            .find("test.toml:5: key chain.ws_urls[0]: URL port '99999' is not 1..65535") !=
        std::string::npos);
  CHECK(error_of(kMinimal + "ws_urls = [7]\n")
            .find("test.toml:5: key chain.ws_urls[0]: expected a string, got an integer") !=
        std::string::npos);
  CHECK(error_of(kMinimal + "ws_urls = \"ws://h\"\n")
            .find("test.toml:5: key chain.ws_urls: expected an array, got a string") !=
        std::string::npos);
  CHECK(error_of(kMinimal + "ws_urls = [\"ws://a\", \"ws://b\"]\n")
            .find("test.toml:5: key chain.ws_urls: has 2 URLs but chain.rpc_urls has 1") !=
        std::string::npos);
  CHECK(mask_ws_url("wss://arb.example/v2/KEY") == "wss://arb.example:443/…");
  CHECK(mask_ws_url("ws://127.0.0.1:8545") == "ws://127.0.0.1:8545");
}

TEST_CASE("[webhooks]: a provider is on when its secret variable is set; never rendered",
          "[config][webhooks]") {
  ScopedEnv env("CLAIMSYNC_TEST_QN_TOKEN", "qn-secret-token-123");
  auto config = parse_config(kMinimal +
                                 "[webhooks]\nmax_body_bytes = 2048\n"
                                 "[webhooks.quicknode]\nsecret_env = \"CLAIMSYNC_TEST_QN_TOKEN\"\n"
                                 "network = \"my-devnet\"\n",
                             "t");
  REQUIRE(config.ok());
  CHECK(config->webhooks.max_body_bytes == 2048);
  REQUIRE(config->webhooks.providers.size() == 5);
  CHECK(config->webhooks.providers.at("quicknode").secret == "qn-secret-token-123");
  CHECK(config->webhooks.providers.at("quicknode").network == "my-devnet");
  CHECK(config->webhooks.providers.at("alchemy").secret_env == "CLAIMSYNC_ALCHEMY_WEBHOOK_SECRET");
  const std::string rendered = render_config(*config);
  CHECK(rendered.find("qn-secret-token-123") == std::string::npos);
  CHECK(rendered.find("secret: set (hidden)") != std::string::npos);
}

TEST_CASE("[webhooks]: mistakes are errors naming the key, never the secret",
          "[config][webhooks]") {
  {
    auto c = parse_config(kMinimal + "[webhooks.alchemey]\nsecret_env = \"X\"\n", "t");
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().message().find("webhooks.alchemey") != std::string::npos);
    CHECK(c.status().message().find("did you mean webhooks.alchemy") != std::string::npos);
  }
  {
    ScopedEnv env("CLAIMSYNC_TEST_BAD_WHSEC", "whsec_not*base64");
    auto c = parse_config(
        kMinimal + "[webhooks.standard]\nsecret_env = \"CLAIMSYNC_TEST_BAD_WHSEC\"\n", "t");
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().message().find("webhooks.standard.secret_env") != std::string::npos);
    CHECK(c.status().message().find("not*base64") == std::string::npos);
  }
  {
    auto c = parse_config(kMinimal + "[webhooks.thirdweb]\nsecret = \"inline\"\n", "t");
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().message().find("webhooks.thirdweb.secret") != std::string::npos);
  }
}

TEST_CASE("[alerts]: off by default; on needs its URL variable, which is never rendered",
          "[config][alerts]") {
  {
    auto c = parse_config(kMinimal, "t");
    REQUIRE(c.ok());
    CHECK_FALSE(c->alerts.enabled);
    CHECK(c->alerts.webhook_url_env == "CLAIMSYNC_ALERTS_WEBHOOK_URL");
  }
  {
    ScopedEnv env("CLAIMSYNC_TEST_ALERT_URL", "https://hooks.slack.example/services/T0/B0/s3cr3t");
    auto c = parse_config(kMinimal +
                              "[alerts]\nenabled = true\nwebhook_url_env = "
                              "\"CLAIMSYNC_TEST_ALERT_URL\"\nformat = \"json\"\n"
                              "pending_age_s = 120\nblocks_behind = 7\n",
                          "t");
    REQUIRE(c.ok());
    CHECK(c->alerts.webhook_url == "https://hooks.slack.example/services/T0/B0/s3cr3t");
    CHECK(c->alerts.format == "json");
    CHECK(c->alerts.pending_age_s == 120);
    CHECK(c->alerts.blocks_behind == 7);
    const std::string rendered = render_config(*c);
    CHECK(rendered.find("s3cr3t") == std::string::npos);
    CHECK(rendered.find("webhook URL: set (hidden)") != std::string::npos);
  }
  // Mistakes: clear errors naming the key, never the URL.
  CHECK(
      error_of(kMinimal + "[alerts]\nenabled = true\nwebhook_url_env = \"CLAIMSYNC_TEST_UNSET\"\n")
          .find("alerts.webhook_url_env: alerts.enabled is true but environment variable "
                "CLAIMSYNC_TEST_UNSET is not set") != std::string::npos);
  {
    ScopedEnv env("CLAIMSYNC_TEST_ALERT_URL", "ftp://s3cr3t.example/x");
    const std::string e = error_of(
        kMinimal + "[alerts]\nenabled = true\nwebhook_url_env = \"CLAIMSYNC_TEST_ALERT_URL\"\n");
    CHECK(e.find("is not an http(s) URL") != std::string::npos);
    CHECK(e.find("s3cr3t") == std::string::npos);
  }
  CHECK(error_of(kMinimal + "[alerts]\nformat = \"teams\"\n").find("alerts.format") !=
        std::string::npos);
  CHECK(error_of(kMinimal + "[alerts]\nwebhook_url = \"http://x\"\n").find("alerts.webhook_url") !=
        std::string::npos);
}

TEST_CASE("[reconcile]: interval_s off by default, 1 s .. 30 days; balance_concurrency 1..16",
          "[config]") {
  auto c = parse_config(kMinimal, "t.toml");
  REQUIRE(c.ok());
  CHECK(c->reconcile.interval_s == 0);
  CHECK(c->reconcile.balance_concurrency == 4);
  c = parse_config(kMinimal + "[reconcile]\ninterval_s = 3600\nbalance_concurrency = 16\n",
                   "t.toml");
  REQUIRE(c.ok());
  CHECK(c->reconcile.interval_s == 3600);
  CHECK(c->reconcile.balance_concurrency == 16);
  // Short intervals are accepted (the node warns at start), so tests can use them.
  c = parse_config(kMinimal + "[reconcile]\ninterval_s = 1\n", "t.toml");
  REQUIRE(c.ok());
  CHECK(c->reconcile.interval_s == 1);
  CHECK(
      error_of(kMinimal + "[reconcile]\ninterval_s = -60\n")
          .find("test.toml:6: key reconcile.interval_s: must be between 0 and 2592000, got -60") !=
      std::string::npos);
  CHECK(error_of(kMinimal + "[reconcile]\ninterval_s = 2592001\n").find("reconcile.interval_s") !=
        std::string::npos);
  CHECK(error_of(kMinimal + "[reconcile]\ninterval_s = \"1h\"\n")
            .find("reconcile.interval_s: expected an integer, got a string") != std::string::npos);
  CHECK(error_of(kMinimal + "[reconcile]\nbalance_concurrency = 0\n")
            .find("reconcile.balance_concurrency: must be between 1 and 16, got 0") !=
        std::string::npos);
  CHECK(error_of(kMinimal + "[reconcile]\nbalance_concurrency = 17\n")
            .find("reconcile.balance_concurrency") != std::string::npos);
  CHECK(error_of(kMinimal + "[reconcile]\ninterval = 60\n")
            .find("did you mean reconcile.interval_s?") != std::string::npos);
}

TEST_CASE("sink.write_connections: 0 = 2 for Postgres, 1 for SQLite; more needs Postgres",
          "[config]") {
  auto c = parse_config(kMinimal, "t.toml");
  REQUIRE(c.ok());
  CHECK(c->sink.write_connections == 0);
  CHECK(c->sink.effective_write_connections() == 1);  // the default sink is SQLite
  const std::string pg = "[sink]\nurl = \"postgres://u@db:5432/m\"\n";
  c = parse_config(kMinimal + pg, "t.toml");
  REQUIRE(c.ok());
  CHECK(c->sink.effective_write_connections() == 2);
  c = parse_config(kMinimal + pg + "write_connections = 8\n", "t.toml");
  REQUIRE(c.ok());
  CHECK(c->sink.effective_write_connections() == 8);
  c = parse_config(kMinimal + "[sink]\nwrite_connections = 1\n", "t.toml");
  REQUIRE(c.ok());
  CHECK(c->sink.effective_write_connections() == 1);
  CHECK(error_of(kMinimal + "[sink]\nwrite_connections = 2\n")
            .find("test.toml:6: key sink.write_connections: more than one write connection "
                  "needs a Postgres sink.url") != std::string::npos);
  CHECK(error_of(kMinimal + pg + "write_connections = 9\n")
            .find("sink.write_connections: must be between 0 and 8, got 9") != std::string::npos);
  CHECK(render_config(*parse_config(kMinimal + pg, "t.toml")).find("write_connections = 2") !=
        std::string::npos);
}
