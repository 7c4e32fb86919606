#include "node/cli_common.hpp"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "node/did_you_mean.hpp"
#include "rpc/logging.hpp"

namespace claimsync::node {
namespace {

constexpr const char* kDefaultConfigPath = "claimsync.toml";
constexpr const char* kConfigEnv = "CLAIMSYNC_CONFIG";

std::string default_config_path() {
  const char* env = std::getenv(kConfigEnv);
  return (env != nullptr && *env != '\0') ? env : kDefaultConfigPath;
}

void print_help(const CommandLine& cl) {
  std::cout << "Usage: " << cl.usage << "\n\n" << cl.description << "\n\n" << cl.options;
}

std::string pad(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

// Trailing spaces of the last column are noise in terminals and diffs.
std::string rstrip(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

CommandLine::CommandLine(std::string name_, std::string usage_, std::string description_)
    : name(std::move(name_)),
      usage(std::move(usage_)),
      description(std::move(description_)),
      options("Options") {}

void add_common_options(po::options_description& options, CommonOptions& out) {
  options.add_options()(
      "config,c",
      po::value<std::string>(&out.config_path)
          ->value_name("FILE")
          ->default_value(default_config_path()),
      "config file (TOML, see config.example.toml); the default comes from $CLAIMSYNC_CONFIG "
      "when set");
  add_json_option(options, out.json);
}

void add_json_option(po::options_description& options, bool& json) {
  options.add_options()("json", po::bool_switch(&json), "print machine-readable JSON on stdout");
}

std::optional<int> parse_command_line(CommandLine& cl, const std::vector<std::string>& args) {
  cl.options.add_options()("help,h", "show this help");
  try {
    po::store(po::command_line_parser(args).options(cl.options).positional(cl.positional).run(),
              cl.vm);
    if (cl.vm.count("help") != 0) {
      print_help(cl);
      return kExitOk;
    }
    po::notify(cl.vm);
  } catch (const po::error& e) {
    return usage_error(cl.name, e.what());
  }
  return std::nullopt;
}

int usage_error(const std::string& command, const std::string& message) {
  std::cerr << "claimsync " << command << ": " << message << "\n"
            << "Run 'claimsync " << command << " --help' for usage.\n";
  return kExitUsage;
}

std::optional<Config> open_config(const std::string& command, const std::string& path) {
  Result<Config> config = load_config(path);
  if (!config.ok()) {
    std::cerr << "claimsync " << command << ": invalid configuration\n"
              << config.status().message() << "\n";
    if (config.status().code() == ErrorCode::kNotFound) {
      std::cerr << "Pass --config FILE (or set " << kConfigEnv
                << "); config.example.toml is a starting point.\n";
    } else {
      std::cerr << "Fix the file (every key is documented in config.example.toml) and check it "
                   "with 'claimsync config check --config "
                << path << "'.\n";
    }
    return std::nullopt;
  }
  setup_logging(config->log);
  return std::move(config).value();
}

void setup_logging(const LogConfig& log) {
  LogLevel level = LogLevel::kInfo;
  if (log.level == "debug")
    level = LogLevel::kDebug;
  else if (log.level == "warn")
    level = LogLevel::kWarn;
  else if (log.level == "error")
    level = LogLevel::kError;
  set_log_level(level);
  set_log_json(log.format == "json");
}

std::string format_command_list(const std::vector<Command>& commands) {
  std::size_t width = 0;
  for (const Command& c : commands) width = std::max(width, std::string(c.name).size());
  std::string out;
  for (const Command& c : commands) out += "  " + pad(c.name, width) + "  " + c.summary + "\n";
  return out;
}

int run_subcommand(const std::string& group, const std::vector<Command>& subcommands,
                   const std::vector<std::string>& args) {
  const std::string list = format_command_list(subcommands);
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << "Usage: claimsync " << group << " <sub-command> [options]\n\nSub-commands:\n"
              << list << "\nRun 'claimsync " << group
              << " <sub-command> --help' for its options.\n";
    return kExitOk;
  }
  if (args.empty()) {
    std::cerr << "claimsync " << group << ": missing sub-command; one of:\n" << list;
    return kExitUsage;
  }
  const auto it = std::find_if(subcommands.begin(), subcommands.end(),
                               [&](const Command& c) { return args[0] == c.name; });
  if (it == subcommands.end()) {
    std::vector<std::string> names;
    for (const Command& c : subcommands) names.emplace_back(c.name);
    std::cerr << "claimsync " << group << ": unknown sub-command '" << args[0] << "'";
    if (auto guess = did_you_mean(args[0], names))
      std::cerr << " (did you mean '" << *guess << "'?)";
    std::cerr << "; one of:\n" << list;
    return kExitUsage;
  }
  return it->run(std::vector<std::string>(args.begin() + 1, args.end()));
}

void print_json(const nlohmann::json& value) { std::cout << value.dump(2) << "\n"; }

std::string format_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(headers.size());
  for (std::size_t i = 0; i < headers.size(); ++i) widths[i] = headers[i].size();
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < widths.size(); ++i) {
      out += pad(i < cells.size() ? cells[i] : "", widths[i]) + (i + 1 < widths.size() ? "  " : "");
    }
    return rstrip(out) + "\n";
  };
  std::string out = line(headers);
  for (const auto& row : rows) out += line(row);
  return out;
}

void print_table(const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows) {
  std::cout << format_table(headers, rows);
}

std::string format_fields(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::size_t width = 0;
  for (const auto& [key, value] : fields) width = std::max(width, key.size() + 1);
  std::string out;
  for (const auto& [key, value] : fields) out += rstrip(pad(key + ":", width) + " " + value) + "\n";
  return out;
}

void print_fields(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::cout << format_fields(fields);
}

}  // namespace claimsync::node
