// The server under test and its client in one process: an open-loop
// Poisson generator thread, a dispatcher (the calling thread) and a pool of
// worker threads that serve Gets and Range scans from the RocksDB database,
// each padded to its target CPU time.
//
//   generator --(queue, FIFO)--> dispatcher --(one request)--> idle worker
//
// The generator and the dispatcher run under CFS on the control CPU; the
// workers on the worker CPUs, under CFS or in a ghost enclave (they move
// themselves in). A worker asleep waiting for a request is blocked, so
// every request's start is a wakeup the scheduler decides.
//
//   LoadServer server(db, options);
//   absl::Status s = server.Start();          // workers placed and ready
//   LoadOutcome out = server.Run();           // the load, then the drain
//   server.Stop();                            // workers exit
#ifndef GHOST_EXPERIMENTS_ROCKSDB_LOAD_SERVER_H_
#define GHOST_EXPERIMENTS_ROCKSDB_LOAD_SERVER_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "experiments/rocksdb/database.h"
#include "experiments/rocksdb/request.h"
#include "experiments/rocksdb/run_report.h"
#include "experiments/rocksdb/thread_setup.h"

namespace ghost::rocksdb_exp {

struct ServerOptions {
  int workers = 16;
  ThreadPlacement worker_placement;
  int control_cpu = 0;
  double rate_per_s = 1000;
  double warmup_s = 1;
  double duration_s = 4;
  double drain_s = 2;  // after the last arrival, how long to wait
  int64_t get_ns = 100'000;
  int64_t range_ns = 2'000'000;
  double range_fraction = 0.01;
  int range_len = 100;
  uint64_t seed = 1;
};

struct LoadOutcome {
  Window window;
  std::vector<RequestRecord> records;  // every generated request, in order
  int64_t generator_max_lag_ns = 0;
  bool generator_ran_out = false;
  int64_t worker_cpu_ns = 0;  // in the window (scaled to its length)
  std::vector<pid_t> worker_tids;
};

class LoadServer {
 public:
  LoadServer(Database& db, const ServerOptions& options);
  ~LoadServer();
  LoadServer(const LoadServer&) = delete;
  LoadServer& operator=(const LoadServer&) = delete;

  // Starts the workers and waits until each has placed itself (an error
  // of any, e.g. a refused move into the enclave, is returned).
  absl::Status Start();

  // Generates the load and dispatches it until the drain ends.
  LoadOutcome Run();

  // Tells the workers to exit and waits for them, at most `limit_s`;
  // returns how many did not exit (a starved worker, say).
  int Stop(double limit_s);

 private:
  struct Slot;
  struct Worker;

  void WorkerMain(Worker& w);
  void Serve(Slot& slot, Worker& w);
  void GeneratorMain(int64_t start_ns, int64_t end_ns);
  bool DispatchOne(Slot& slot);
  void RingDoorbell();
  int64_t WorkerCpuNs();

  Database& db_;
  ServerOptions options_;
  size_t capacity_;
  std::unique_ptr<Slot[]> slots_;
  std::vector<std::unique_ptr<Worker>> workers_;
  size_t next_idle_scan_ = 0;

  // Generator -> dispatcher: slots [0, published_) are filled.
  std::atomic<size_t> published_{0};
  std::atomic<bool> generator_done_{false};
  int64_t generator_max_lag_ns_ = 0;
  bool generator_ran_out_ = false;
  // Anyone with news for the dispatcher bumps it and wakes it if asleep.
  std::atomic<uint32_t> doorbell_{0};
  std::atomic<bool> dispatcher_asleep_{false};

  std::atomic<bool> stop_{false};
  std::atomic<int> ready_{0};
  std::atomic<int> exited_{0};
};

}  // namespace ghost::rocksdb_exp

#endif  // GHOST_EXPERIMENTS_ROCKSDB_LOAD_SERVER_H_
