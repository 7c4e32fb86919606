// The claimsync binary as an operator runs it: exit codes (0 ok, 2 usage / bad config) and
// what it prints for --help, version, config check and mistakes.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "node/command.hpp"
#include "tests/support/process.hpp"

using claimsync::testing::RunResult;
using claimsync::testing::SpawnOptions;
using claimsync::testing::TempDir;

namespace {

const std::string kExample = std::string(CLAIMSYNC_SOURCE_DIR) + "/config.example.toml";

RunResult claimsync_run(std::vector<std::string> args, const SpawnOptions& opts = {}) {
  args.insert(args.begin(), CLAIMSYNC_BINARY);
  RunResult r = claimsync::testing::run_command(args, std::chrono::seconds(30), opts);
  UNSCOPED_INFO("claimsync output:\n" << r.output);
  return r;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string write_file(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.file(name);
  std::ofstream(path) << text;
  return path;
}

const std::string kChainHeader =
    "[chain]\n"
    "rpc_urls = [\"http://127.0.0.1:8545\"]\n";
const std::string kContract = "contract = \"0x5FbDB2315678afecb367f032d93F642f64180aa3\"\n";

}  // namespace

TEST_CASE("claimsync --help lists every command of the table", "[cli]") {
  RunResult r = claimsync_run({"--help"});
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "version"));
  CHECK(contains(r.output, "config"));
  for (const auto& command : claimsync::node::command_table()) {
    INFO(command.name);
    CHECK(contains(r.output, command.name));
    CHECK(contains(r.output, command.summary));
  }
}

TEST_CASE("claimsync <command> --help works for each command", "[cli]") {
  for (const auto& command : claimsync::node::command_table()) {
    INFO(command.name);
    RunResult r = claimsync_run({command.name, "--help"});
    CHECK(r.exit_code == 0);
    CHECK(contains(r.output, command.name));
  }
  RunResult r = claimsync_run({"config", "check", "--help"});
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "--config"));
  CHECK(contains(r.output, "--json"));
}

TEST_CASE("usage mistakes exit 2 with a hint", "[cli]") {
  SECTION("unknown command") {
    RunResult r = claimsync_run({"frobnicate"});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, "unknown command 'frobnicate'"));
    CHECK(contains(r.output, "claimsync --help"));
  }
  SECTION("a typo gets a suggestion") {
    RunResult r = claimsync_run({"confgi"});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, "did you mean 'config'?"));
  }
  SECTION("no command") { CHECK(claimsync_run({}).exit_code == 2); }
  SECTION("unknown top-level option") { CHECK(claimsync_run({"--frob"}).exit_code == 2); }
  SECTION("missing and unknown sub-command") {
    CHECK(claimsync_run({"config"}).exit_code == 2);
    RunResult r = claimsync_run({"config", "chek"});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, "did you mean 'check'?"));
  }
  SECTION("unknown option of a command") {
    RunResult r = claimsync_run({"config", "check", "--frob"});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, "claimsync config check --help"));
  }
}

TEST_CASE("claimsync version prints the version, as text or JSON", "[cli]") {
  RunResult text = claimsync_run({"version"});
  CHECK(text.exit_code == 0);
  CHECK(text.output == std::string("claimsync version ") + CLAIMSYNC_VERSION + "\n");
  CHECK(claimsync_run({"--version"}).output == text.output);
  RunResult json = claimsync_run({"version", "--json"});
  CHECK(json.exit_code == 0);
  const auto j = nlohmann::json::parse(json.output);
  CHECK(j.at("name") == "claimsync");
  CHECK(j.at("version") == CLAIMSYNC_VERSION);
}

TEST_CASE("config check prints the effective config of the example", "[cli]") {
  RunResult r = claimsync_run({"config", "check", "--config", kExample});
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "chain_id = 31337"));
  CHECK(contains(r.output,
                 "levels = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]"));

  RunResult json = claimsync_run({"config", "check", "--config", kExample, "--json"});
  CHECK(json.exit_code == 0);
  const auto j = nlohmann::json::parse(json.output);
  CHECK(j.at("chain").at("chain_id") == 31337);
  CHECK(j.at("sink").at("url") == "sqlite:./claimsync.sqlite");

  SpawnOptions from_env;
  from_env.env["CLAIMSYNC_CONFIG"] = kExample;
  CHECK(claimsync_run({"config", "check"}, from_env).exit_code == 0);
}

TEST_CASE("config check masks passwords, from the file or the environment", "[cli]") {
  TempDir dir("claimsync-cli");
  const std::string path =
      write_file(dir, "pw.toml",
                 kChainHeader + "chain_id = 1\n" + kContract +
                     "[sink]\nurl = \"postgres://claimsync:hunter2@127.0.0.1:5432/members\"\n"
                     "url_env = \"CLAIMSYNC_CLI_TEST_SINK_URL\"\n");
  SECTION("password in the file") {
    RunResult r = claimsync_run({"config", "check", "--config", path});
    CHECK(r.exit_code == 0);
    CHECK(contains(r.output, "postgres://claimsync:***@127.0.0.1:5432/members"));
    CHECK_FALSE(contains(r.output, "hunter2"));
  }
  SECTION("password in the environment") {
    SpawnOptions opts;
    opts.env["CLAIMSYNC_CLI_TEST_SINK_URL"] = "postgresql://ops:correct-horse@10.0.0.5/prod";
    RunResult r = claimsync_run({"config", "check", "--config", path, "--json"}, opts);
    CHECK(r.exit_code == 0);
    CHECK(nlohmann::json::parse(r.output).at("sink").at("url") ==
          "postgresql://ops:***@10.0.0.5/prod");
    CHECK_FALSE(contains(r.output, "correct-horse"));
    CHECK_FALSE(contains(r.output, "hunter2"));
  }
}

TEST_CASE("config check rejects a bad file with exit 2, naming the key and line", "[cli]") {
  TempDir dir("claimsync-cli");
  SECTION("wrong type") {
    const std::string path =
        write_file(dir, "type.toml", kChainHeader + "chain_id = \"abc\"\n" + kContract);
    RunResult r = claimsync_run({"config", "check", "--config", path});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, path + ":3: key chain.chain_id: expected an integer, got a string"));
  }
  SECTION("unknown finality mode") {
    const std::string path =
        write_file(dir, "finality.toml",
                   kChainHeader + "chain_id = 1\n" + kContract + "finality = \"latest\"\n");
    RunResult r = claimsync_run({"config", "check", "--config", path});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, path + ":5: key chain.finality: must be one of"));
  }
  SECTION("missing file") {
    RunResult r = claimsync_run({"config", "check", "--config", dir.file("absent.toml")});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, dir.file("absent.toml")));
  }
  SECTION("syntax error") {
    const std::string path = write_file(dir, "syntax.toml", "[chain\n");
    RunResult r = claimsync_run({"config", "check", "--config", path});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, path + ":1:"));
  }
}
