// BenchOptions: the command line of a benchmark (bench/*_bench.cpp), on Boost.Program_options
// as the node's commands are (node/cli_common). Each option is bound to a field of the
// bench's own Args struct, whose initial value is the default shown by --help.
//
//   Args a;
//   bench::BenchOptions cl("intake_bench", "[--threads N] [--duration-s D] [--help]",
//                          "POST /v1/claims against a real `claimsync run`.");
//   cl.number("threads", "N", a.threads, 1u, 64u, "client threads");
//   bench::add_runs(cl, a.runs, "alternating runs; medians");
//   cl.parse(argc, argv);
//
// parse(): --help / -h prints the usage, the description and every option with its
// default to stdout and exits 0. An unknown option (names are exact: no prefixes), a stray
// word, a missing or malformed value, a number outside its range or an option given twice
// (other than repeated() ones) prints "<bench>: <what is wrong>" and a hint to run --help
// to stderr and exits 2, before the bench starts anything. Numbers are decimal, strictly:
// "-1", "12x" and "" are errors.
//
// Not thread-safe; use from main() only. The bound fields must outlive parse().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

namespace claimsync::bench {

class BenchOptions {
 public:
  // `name` names the executable in messages; `synopsis` follows "usage: <name> ".
  BenchOptions(std::string name, std::string synopsis, std::string description);

  // --<name> VALUE: an integer in [lo, hi] (or a double for double fields), into `out`.
  template <typename T>
  BenchOptions& number(const std::string& name, const std::string& value_name, T& out, T lo, T hi,
                       const std::string& help);
  // --<name> VALUE: any string, into `out`.
  BenchOptions& text(const std::string& name, const std::string& value_name, std::string& out,
                     const std::string& help);
  // --<name>: a switch that sets `out` to true.
  BenchOptions& flag(const std::string& name, bool& out, const std::string& help);
  // --<name> VALUE, repeatable: each occurrence appends to `out`.
  BenchOptions& repeated(const std::string& name, const std::string& value_name,
                         std::vector<std::string>& out, const std::string& help);
  // --<name> A,B,C: a comma-separated list replacing `out` (no empty items).
  BenchOptions& list(const std::string& name, const std::string& value_name,
                     std::vector<std::string>& out, const std::string& help);
  BenchOptions& list(const std::string& name, const std::string& value_name,
                     std::vector<std::size_t>& out, std::size_t lo, const std::string& help);

  // Parses; returns only when the bench should run (see the header comment).
  void parse(int argc, char** argv);

  // For checks across options after parse(): prints like a parse error and exits 2.
  [[noreturn]] void fail(const std::string& message) const;

 private:
  std::string name_;
  std::string synopsis_;
  std::string description_;
  boost::program_options::options_description options_;
};

// The options several benches share, with their common meaning.
// --runs R (>= 1): alternating runs of what the bench compares; medians are reported.
void add_runs(BenchOptions& cl, int& runs, const std::string& what);
// --state FILE: anvil's state file, reused when present (--load-state), else written on
// exit (--dump-state), so the slow chain fill happens once.
void add_state(BenchOptions& cl, std::string& state);
// --threads N (1..64): client threads, one keep-alive connection each.
void add_threads(BenchOptions& cl, unsigned& threads);

}  // namespace claimsync::bench
