// Test support: child processes, free loopback ports, temp dirs, bounded waits.
// Used by the anvil and PostgreSQL harnesses and by tests that run the claimsync binary.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace claimsync::testing {

struct SpawnOptions {
  std::map<std::string, std::string> env;  // added to / overriding the parent's environment
  std::string output_file;                 // stdout+stderr go here (append); empty = /dev/null
  std::string working_dir;                 // empty = inherit
  std::optional<std::string> run_as_user;  // e.g. "postgres" (we run as root in CI)
};

// A child process owned by the test. Move-only; the destructor SIGKILLs and reaps it.
class ChildProcess {
 public:
  ChildProcess() = default;
  // Throws std::runtime_error when fork/exec fails (a broken test environment).
  static ChildProcess spawn(const std::vector<std::string>& argv, const SpawnOptions& opts = {});
  ChildProcess(ChildProcess&& o) noexcept;
  ChildProcess& operator=(ChildProcess&& o) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  bool running();        // false once it has exited (reaps it)
  void signal(int sig);  // no-op if not running
  // Waits up to `timeout` for exit; returns the exit status (WEXITSTATUS, or 128+signal)
  // or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit status.
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close).
unsigned short free_loopback_port();

// Polls `cond` every `poll` until it returns true or `deadline` passes. Returns cond's
// last value. Never sleeps past the deadline.
bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds deadline,
                std::chrono::milliseconds poll = std::chrono::milliseconds(50));

// A fresh directory under $TMPDIR (or /tmp), removed recursively on destruction unless
// CLAIMSYNC_KEEP_TEST_DIRS is set. chmod 0777 so a child running as `postgres` can use it.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "claimsync-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct RunResult {
  int exit_code = -1;  // -1: timed out (the process was killed)
  std::string output;  // stdout + stderr interleaved
};

// Runs argv to completion (bounded by `timeout`), capturing its output.
RunResult run_command(const std::vector<std::string>& argv,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(60000),
                      const SpawnOptions& opts = {});

// Reads a whole file ("" if absent).
std::string read_file(const std::string& path);

}  // namespace claimsync::testing
