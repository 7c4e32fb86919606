#include "bench/bench_options.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <sstream>

namespace claimsync::bench {
namespace po = boost::program_options;
namespace {

template <typename T>
std::string to_text(const T& v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::vector<std::string> split(const std::string& option, const std::string& text) {
  std::vector<std::string> items;
  std::string::size_type from = 0;
  while (true) {
    const auto comma = text.find(',', from);
    items.push_back(text.substr(from, comma - from));
    if (items.back().empty()) throw po::error("--" + option + " '" + text + "': an empty item");
    if (comma == std::string::npos) return items;
    from = comma + 1;
  }
}

// The whole of `text` as a T in [lo, hi], else a po::error naming the option. from_chars:
// no sign for unsigned types (lexical_cast would wrap "-1"), no spaces, no trailing text.
template <typename T>
T parse_number(const std::string& option, const std::string& text, T lo, T hi) {
  T v{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end) {
    throw po::error("--" + option + " '" + text + "': not a " +
                    (std::is_integral_v<T> ? "whole number" : "number"));
  }
  if (v < lo || v > hi) {
    throw po::error("--" + option + " " + text + ": out of range " + to_text(lo) + ".." +
                    to_text(hi));
  }
  return v;
}

}  // namespace

BenchOptions::BenchOptions(std::string name, std::string synopsis, std::string description)
    : name_(std::move(name)),
      synopsis_(std::move(synopsis)),
      description_(std::move(description)),
      options_("Options") {
  options_.add_options()("help,h", "show this help");
}

template <typename T>
BenchOptions& BenchOptions::number(const std::string& name, const std::string& value_name, T& out,
                                   T lo, T hi, const std::string& help) {
  // Bound as text and converted by the notifier, so the parse is strict (parse_number).
  options_.add_options()(name.c_str(),
                         po::value<std::string>()
                             ->value_name(value_name)
                             ->default_value(to_text(out))
                             ->notifier([&out, name, lo, hi](const std::string& s) {
                               out = parse_number<T>(name, s, lo, hi);
                             }),
                         help.c_str());
  return *this;
}

template BenchOptions& BenchOptions::number<int>(const std::string&, const std::string&, int&, int,
                                                 int, const std::string&);
template BenchOptions& BenchOptions::number<unsigned>(const std::string&, const std::string&,
                                                      unsigned&, unsigned, unsigned,
                                                      const std::string&);
template BenchOptions& BenchOptions::number<unsigned long>(const std::string&, const std::string&,
                                                           unsigned long&, unsigned long,
                                                           unsigned long, const std::string&);
template BenchOptions& BenchOptions::number<double>(const std::string&, const std::string&, double&,
                                                    double, double, const std::string&);

BenchOptions& BenchOptions::text(const std::string& name, const std::string& value_name,
                                 std::string& out, const std::string& help) {
  options_.add_options()(name.c_str(), po::value<std::string>(&out)->value_name(value_name),
                         help.c_str());
  return *this;
}

BenchOptions& BenchOptions::flag(const std::string& name, bool& out, const std::string& help) {
  options_.add_options()(name.c_str(), po::bool_switch(&out), help.c_str());
  return *this;
}

BenchOptions& BenchOptions::repeated(const std::string& name, const std::string& value_name,
                                     std::vector<std::string>& out, const std::string& help) {
  options_.add_options()(
      name.c_str(), po::value<std::vector<std::string>>(&out)->value_name(value_name)->composing(),
      help.c_str());
  return *this;
}

BenchOptions& BenchOptions::list(const std::string& name, const std::string& value_name,
                                 std::vector<std::string>& out, const std::string& help) {
  options_.add_options()(
      name.c_str(),
      po::value<std::string>()
          ->value_name(value_name)
          ->default_value(join(out))
          ->notifier([&out, name](const std::string& s) { out = split(name, s); }),
      help.c_str());
  return *this;
}

BenchOptions& BenchOptions::list(const std::string& name, const std::string& value_name,
                                 std::vector<std::size_t>& out, std::size_t lo,
                                 const std::string& help) {
  std::vector<std::string> shown;
  for (std::size_t v : out) shown.push_back(std::to_string(v));
  options_.add_options()(name.c_str(),
                         po::value<std::string>()
                             ->value_name(value_name)
                             ->default_value(join(shown))
                             ->notifier([&out, name, lo](const std::string& s) {
                               out.clear();
                               for (const std::string& item : split(name, s)) {
                                 out.push_back(parse_number<std::size_t>(
                                     name, item, lo, std::numeric_limits<std::size_t>::max()));
                               }
                             }),
                         help.c_str());
  return *this;
}

void BenchOptions::parse(int argc, char** argv) {
  po::variables_map vm;
  try {
    // Exact names only: a prefix (--mint for --mints) is an unknown option, not a guess.
    const int style =
        po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    // No positional arguments: a stray word is an error ("too many positional options").
    const po::positional_options_description none;
    po::store(
        po::command_line_parser(argc, argv).options(options_).positional(none).style(style).run(),
        vm);
    if (vm.count("help") != 0) {
      std::cout << "usage: " << name_ << " " << synopsis_ << "\n\n"
                << description_ << "\n\n"
                << options_;
      std::exit(0);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    fail(e.what());
  }
}

void BenchOptions::fail(const std::string& message) const {
  std::cerr << name_ << ": " << message << "\nRun '" << name_ << " --help' for usage.\n";
  std::exit(2);
}

void add_runs(BenchOptions& cl, int& runs, const std::string& what) {
  cl.number("runs", "R", runs, 1, std::numeric_limits<int>::max(), what);
}

void add_state(BenchOptions& cl, std::string& state) {
  cl.text("state", "FILE", state,
          "anvil's state file: the filled chain is reused from FILE when it exists "
          "(--load-state), else written there on exit (--dump-state)");
}

void add_threads(BenchOptions& cl, unsigned& threads) {
  cl.number("threads", "N", threads, 1u, 64u, "client threads, one keep-alive connection each");
}

}  // namespace claimsync::bench
