"""The workload half of `ghost lab bench`: real programs' patterns, timed
under CFS and under each FIFO agent in the same boot.

Each workload of experiments/workloads (process and thread churn, a
mutex-and-yield loop, a pipe ping-pong, two CPU-bound threads per CPU)
does a fixed amount of work: under CFS pinned to the enclave's CPUs
(taskset), then inside an enclave on those CPUs under `ghost_agent
--policy=fifo_percpu` and `--policy=fifo_centralized`, with their default
options and a 2 s watchdog. Every combination runs --repeat times, interleaved (all
workloads under one scheduler, then the next), and the table gives the
median wall times and ghost / CFS ratios of the medians. A run that the
kernel's watchdog cut short (it destroyed the enclave) is counted as a
trip and its time left out; the verdict of the run (any kernel report,
e.g. a hung task) is the lab's, as for every VM run.
"""

# name, workers, units per worker (sized for 1-3 s under CFS in the TCG
# lab VM with 3 enclave CPUs, on a loaded 2-core host, where a cross-CPU
# wakeup costs a millisecond). "{n}" is the number of enclave CPUs.
WORKLOADS = [
    ("fork", "{n}", 50),
    ("exec", "{n}", 40),
    ("threads", "{n}", 400),
    ("yield", "2*{n}", 20000),
    ("pipe", "2", 1000),
    ("oversub", "2*{n}", 30000),
]

# The workloads' enclaves have a 2 s watchdog, a fifth of the default: a
# scheduler that leaves a runnable thread waiting for seconds (one that
# never takes the CPU from a thread that does not block) is caught by a
# run of a few seconds, as a trip in the table.
WATCHDOG_MS = 2000

POLICIES = ["fifo_percpu", "fifo_centralized"]

SCRIPT = r"""
set +e
G=/sys/fs/ghost
N=$(nproc)
NCPU=$((N - 1))
CPUS=1-$NCPU
E=50
REPEAT=__REPEAT__
LIMIT=__LIMIT__
RES=/tmp/workload-results
LOGS=/host/workloads
mkdir -p $LOGS
: > $RES
agent=

watchdog_trips() { grep -c watchdog $G/destroyed 2>/dev/null || true; }

start_agent() {
  ghost_agent --policy=$1 --cpus=$CPUS --enclave=$E \
    > $LOGS/agent-$1-$rep-$2.log 2>&1 &
  agent=$!
  for i in $(seq 300); do
    if [ "$(cat $G/enclave_$E/agent_online 2>/dev/null)" = "$NCPU" ]; then
      echo __WATCHDOG__ > $G/enclave_$E/runnable_timeout
      return 0
    fi
    sleep 0.1
  done
  echo "workloads: the $1 agent did not come up:"
  cat $LOGS/agent-$1-$rep-$2.log
  return 1
}

stop_agent() {
  [ -n "$agent" ] || return 0
  kill -TERM $agent 2>/dev/null
  wait $agent 2>/dev/null
  agent=
}

# run SCHED NAME WORKERS UNITS: one timed run, one line in $RES.
run() {
  sched=$1 name=$2 workers=$3 units=$4
  args="--workload=$name --threads=$workers --ops=$units --limit=${LIMIT}s"
  before=$(watchdog_trips)
  if [ $sched = cfs ]; then
    out=$(taskset -c $CPUS ghost_workloads $args 2>&1)
  else
    if [ ! -d $G/enclave_$E ]; then
      stop_agent
      start_agent $sched $name || { echo "$rep $sched $name - noagent" >> $RES; return; }
    fi
    cp $G/enclave_$E/stats /tmp/stats-before
    out=$(ghostctl run --enclave $E -- ghost_workloads $args 2>&1)
    if [ -d $G/enclave_$E ]; then
      echo "== $rep $sched $name" >> $LOGS/stats.txt
      paste /tmp/stats-before $G/enclave_$E/stats |
        awk '$4 - $2 > 0 { printf "%s %d\n", $1, $4 - $2 }' >> $LOGS/stats.txt
    fi
  fi
  secs=$(echo "$out" | awk '$1 == "RESULT" { print $3 }')
  status=ok
  [ -n "$secs" ] || { status=failed; secs=-; }
  [ "$(watchdog_trips)" != "$before" ] && { status=watchdog; secs=-; }
  printf "  %-16s %-8s %8s s  %s\n" $sched $name $secs $status
  [ $status = ok ] || echo "$out" | tail -n 3 | sed 's/^/    /'
  echo "$rep $sched $name $secs $status" >> $RES
}

echo "workloads: $NCPU enclave CPUs ($CPUS), $REPEAT rounds, watchdog __WATCHDOG__ ms"
for rep in $(seq $REPEAT); do
  echo "-- round $rep: CFS (taskset -c $CPUS)"
__CFS_RUNS__
  for policy in __POLICIES__; do
    echo "-- round $rep: $policy"
    start_agent $policy start || continue
__GHOST_RUNS__
    stop_agent
    tail -n 2 $LOGS/agent-$policy-$rep-start.log | sed 's/^/    agent: /'
  done
done
cp $RES $LOGS/results.txt
echo
echo "workload medians (s) over $REPEAT rounds; ratio = ghost / CFS, same boot"
sort -k3,3 -k2,2 -k4,4n $RES | awk -v policies="__POLICIES__" '
  { key = $3 " " $2
    if ($5 == "ok") { v[key, ++n[key]] = $4 } else { bad[key]++ }
    names[$3] = 1 }
  function median(k,  m) {
    m = n[k]; if (!m) return -1
    return (m % 2) ? v[k, (m + 1) / 2] : (v[k, m / 2] + v[k, m / 2 + 1]) / 2 }
  END {
    np = split(policies, p, " ")
    printf "%-10s %10s", "workload", "cfs"
    for (i = 1; i <= np; i++) printf " %26s", p[i]
    printf "\n"
    for (w in names) {
      c = median(w " cfs")
      printf "%-10s %10.3f", w, c
      for (i = 1; i <= np; i++) {
        g = median(w " " p[i]); k = w " " p[i]
        trips = bad[k] ? sprintf(" %d bad", bad[k]) : ""
        if (g < 0) printf " %26s", "-" trips
        else printf " %10.3f (%6.2fx)%s", g, (c > 0 ? g / c : 0), trips
      }
      printf "\n"
    }
  }' | tee $LOGS/table.txt
echo "trips of the watchdog in this boot: $(watchdog_trips)"
dmesg | grep -c "blocked for more than" | sed 's/^/hung task reports: /'
"""


def _workers(expr, n):
    return eval(expr.format(n=n), {"__builtins__": {}})  # "2*{n}" -> 6


def script(*, smp, repeat=3, limit=120, names=None, policies=None,
           scale=1.0):
    """The guest script for an `smp`-CPU VM (enclave: CPUs 1..smp-1)."""
    n = smp - 1
    chosen = [w for w in WORKLOADS if names is None or w[0] in names]
    runs = []
    for name, workers, units in chosen:
        runs.append((name, _workers(workers, n), max(1, int(units * scale))))
    cfs = "\n".join(f"  run cfs {w} {t} {u}" for w, t, u in runs)
    ghost = "\n".join(f"    run $policy {w} {t} {u}" for w, t, u in runs)
    return (SCRIPT.replace("__REPEAT__", str(repeat))
            .replace("__LIMIT__", str(limit))
            .replace("__POLICIES__", " ".join(policies or POLICIES))
            .replace("__CFS_RUNS__", cfs)
            .replace("__GHOST_RUNS__", ghost)
            .replace("__WATCHDOG__", str(WATCHDOG_MS)))
