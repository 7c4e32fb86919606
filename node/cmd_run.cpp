// `claimsync run --config FILE [--no-migrate]`: the node. SIGINT/SIGTERM/SIGHUP stop it
// cleanly.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <thread>

#include "node/cli_common.hpp"
#include "node/daemon.hpp"
#include "rpc/logging.hpp"

namespace claimsync::node {
namespace {

// Blocks SIGINT/SIGTERM/SIGHUP in every thread (threads inherit the mask) and turns them
// into StopFlag requests on one dedicated thread. SIGHUP (a closed terminal; there is no
// config reload) stops as cleanly as SIGTERM instead of killing the node mid-batch. A second signal
// while stopping forces exit: the store is synced after every write, so nothing committed is lost.
class SignalStopper {
 public:
  explicit SignalStopper(StopFlag& stop) : stop_(stop) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    thread_ = std::thread([this] { loop(); });
  }
  ~SignalStopper() {
    done_ = true;
    thread_.join();
  }
  SignalStopper(const SignalStopper&) = delete;
  SignalStopper& operator=(const SignalStopper&) = delete;

 private:
  void loop() {
    const timespec tick{0, 200'000'000};  // bounded wait so the destructor can join
    while (!done_) {
      const int sig = sigtimedwait(&set_, nullptr, &tick);
      if (sig <= 0) continue;
      if (stop_.stop_requested()) {
        log_warn("forced_exit",
                 {{"signal", sig}, {"next", "state on disk is consistent; restart when ready"}});
        std::_Exit(1);
      }
      log_info("signal_received", {{"signal", sig}, {"next", "stopping after the work in flight"}});
      stop_.request_stop();
    }
  }

  StopFlag& stop_;
  sigset_t set_{};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace

int cmd_run(const std::vector<std::string>& args) {
  CommonOptions common;
  bool no_migrate = false;
  CommandLine cl("run", "claimsync run [--config FILE] [--no-migrate]",
                 "Runs the node: follows the chain into the outbox and replicates the outbox "
                 "into the membership database, until SIGINT/SIGTERM. Starts even when the "
                 "database or the RPC is down, and catches up once they are back.");
  add_common_options(cl.options, common);
  cl.options.add_options()("no-migrate", po::bool_switch(&no_migrate),
                           "do not apply pending database migrations when connecting");
  if (auto exit = parse_command_line(cl, args)) return *exit;
  auto config = open_config(cl.name, common.config_path);
  if (!config) return kExitUsage;

  DaemonOptions options;
  options.migrate = !no_migrate && config->sink.migrate_on_start;
  StopFlag stop;
  SignalStopper signals(stop);
  return run_daemon(*config, options, stop);
}

}  // namespace claimsync::node
