"""What an experiment runs in its one boot, and the guest script that runs it.

A plan is a list of runs (mode x offered load x repeat, and for the
antagonist experiment with and without the antagonist), interleaved: each
repeat goes over the loads, and at each load over the modes, in an order
that rotates from one repeat to the next, so slow drift of the host (other
VMs on the same cores) spreads over every mode instead of hitting one.
"""

import dataclasses

from lab import experiment_modes

CPUS = "1-3"      # the enclave's CPUs, and the workers' under CFS
N_CPUS = 3
CONTROL_CPU = 0   # generator, dispatcher, the antagonist's sampler


@dataclasses.dataclass
class Plan:
    experiment: str            # "rocksdb" or "antagonist"
    modes: list                # names in experiment_modes.MODES
    loads: list                # fractions of capacity (3 CPUs / mean service)
    repeats: int
    warmup_s: float
    duration_s: float
    drain_s: float = 2.0
    workers: int = 16
    keys: int = 100000
    antagonist_threads: int = N_CPUS
    # Each antagonist thread runs this share of every 10 ms and sleeps the
    # rest: a FIFO without preemption would otherwise give a thread that
    # never blocks its CPU forever (RocksDB starves, the watchdog ends the
    # enclave), and there would be nothing to compare.
    antagonist_want: float = 0.9
    range_fraction: float = 0.01
    # Antagonist experiment: RocksDB alone (False) and beside it (True).
    arms: tuple = (False, True)


@dataclasses.dataclass(frozen=True)
class Run:
    name: str
    mode: str
    load: float
    repeat: int
    antagonist: bool


def full_plan(experiment):
    if experiment == "rocksdb":
        return Plan("rocksdb", ["cfs", "ghost_fifo", "shinjuku"],
                    [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
                    repeats=2, warmup_s=1, duration_s=6)
    return Plan("antagonist", ["cfs", "ghost_fifo", "shinjuku"],
                [0.1, 0.3, 0.5, 0.7], repeats=2, warmup_s=1, duration_s=6)


def quick_plan(experiment):
    """A few points of a few seconds: every mode must complete, and below
    saturation complete what was offered."""
    if experiment == "rocksdb":
        return Plan("rocksdb", ["cfs", "ghost_fifo", "shinjuku"],
                    [0.2, 0.4], repeats=1, warmup_s=0.5, duration_s=2,
                    drain_s=1.5, keys=20000)
    # Only beside the antagonist: RocksDB alone is the rocksdb quick plan's.
    return Plan("antagonist", ["cfs", "ghost_fifo", "shinjuku"], [0.3],
                repeats=1, warmup_s=0.5, duration_s=2, drain_s=1.5,
                keys=20000, arms=(True,))


def runs(plan):
    """Every run of `plan`, in the order they happen."""
    out = []
    arms = [False] if plan.experiment == "rocksdb" else list(plan.arms)
    for rep in range(1, plan.repeats + 1):
        for li, load in enumerate(plan.loads):
            shift = (rep - 1 + li) % len(plan.modes)
            order = plan.modes[shift:] + plan.modes[:shift]
            for mode in order:
                for with_antagonist in arms:
                    tag = "-antagonist" if with_antagonist else ""
                    out.append(Run(f"{plan.experiment}-{mode}-{load:.2f}-"
                                   f"r{rep}{tag}", mode, load, rep,
                                   with_antagonist))
    return out


_PRELUDE = r"""
set +e -u  # a failed run is counted and the sweep goes on
G=/sys/fs/ghost
R=/host/results
mkdir -p $R
CPUS=__CPUS__
NCPUS=__NCPUS__
AGENT=
say() { echo "experiment: $*"; }

start_agent() {  # $1: the mode's agent arguments
  ghost_agent $1 --cpus=$CPUS --enclave=1 > /tmp/agent.log 2>&1 &
  AGENT=$!
  for i in $(seq 400); do
    [ "$(cat $G/enclave_1/agent_online 2>/dev/null)" = "$NCPUS" ] && break
    sleep 0.05
  done
  if [ "$(cat $G/enclave_1/agent_online 2>/dev/null)" != "$NCPUS" ]; then
    say "the agent did not come up ($1):"; sed 's/^/  agent: /' /tmp/agent.log
    kill -KILL $AGENT 2>/dev/null; wait $AGENT 2>/dev/null; AGENT=
    return 1
  fi
  # Above any wait of a run's (a Range behind others is well under a
  # second): a thread left runnable this long was lost by the agent; the
  # watchdog then ends the enclave, the run's check says so, and the
  # process can exit (a ghost thread that never runs cannot die).
  echo 15000 > $G/enclave_1/runnable_timeout
}

stop_agent() {  # $1: where to keep the enclave's counters and the log
  [ -n "$AGENT" ] || return 0
  cat $G/enclave_1/stats > "$1.stats" 2>/dev/null
  if ! kill -TERM $AGENT 2>/dev/null; then
    say "the agent had already exited; last destroyed: $(tail -n 1 $G/destroyed)"
  fi
  wait $AGENT 2>/dev/null; AGENT=
  cp /tmp/agent.log "$1.agent.log"
  for i in $(seq 100); do [ -d $G/enclave_1 ] || break; sleep 0.05; done
}

DB="--db=/tmp/rocksdb --keys=__KEYS__"
say "filling the database (__KEYS__ keys on tmpfs)"
rocksdb_bench $DB --fill_only --cpus=$CPUS || exit 1

say "calibrating (Get, Range, wake round trip under CFS and ghost)"
start_agent "__CALIBRATION_AGENT__" || exit 1
rocksdb_bench $DB --calibrate --cpus=$CPUS --enclave=1 \
  --calibration_env=/tmp/calib.env --json=$R/calibration.json || exit 1
stop_agent $R/calibration
. /tmp/calib.env
SLICE_US=$(( GET_NS * __SLICE_GETS__ / 1000 ))
HALF_GET_US=$(( GET_NS / 2000 ))
say "service times: Get $GET_NS ns, Range $RANGE_NS ns; slice $SLICE_US us"
FAILED=0
"""

_RUN = r"""
say "run __I__/__N__: __NAME__"
if __START_AGENT__; then
  __START_ANTAGONIST__
  rocksdb_bench $DB --mode=__MODE__ --cpus=$CPUS --control_cpu=__CONTROL__ \
    --workers=__WORKERS__ --load=__LOAD__ --get_ns=$GET_NS \
    --range_ns=$RANGE_NS --range_fraction=__RANGE_FRACTION__ \
    --warmup_s=__WARMUP__ --duration_s=__DURATION__ --drain_s=__DRAIN__ \
    --seed=__SEED__ __WORKER_FLAGS__ --json=$R/__NAME__.json \
    || { FAILED=$((FAILED + 1)); say "run __NAME__ failed"; }
  __STOP_ANTAGONIST__
else
  FAILED=$((FAILED + 1)); say "run __NAME__ skipped: no agent"
fi
__STOP_AGENT__
"""

_END = r"""
cat $G/destroyed > $R/destroyed.txt 2>/dev/null
if grep -q watchdog $R/destroyed.txt; then
  say "the watchdog ended an enclave (a thread runnable and never run):"
  grep watchdog $R/destroyed.txt | sed 's/^/  /'
fi
say "done: $FAILED runs failed"
"""


def guest_script(plan):
    """The shell script (busybox sh) that runs `plan` in the VM."""
    modes = {m.name: m for m in experiment_modes.modes(plan.modes)}
    calibration_agent = experiment_modes.MODES["ghost_fifo"].agent_args
    text = (_PRELUDE.replace("__CPUS__", CPUS)
            .replace("__NCPUS__", str(N_CPUS))
            .replace("__KEYS__", str(plan.keys))
            .replace("__CALIBRATION_AGENT__", calibration_agent)
            .replace("__SLICE_GETS__", str(experiment_modes.SLICE_GETS)))
    all_runs = runs(plan)
    for i, run in enumerate(all_runs, 1):
        mode = modes[run.mode]
        start_agent, stop_agent, start_ant, stop_ant = "true", "", ":", ":"
        if mode.ghost:
            args = (mode.agent_args.replace("{slice_us}", "${SLICE_US}")
                    .replace("{half_get_us}", "${HALF_GET_US}"))
            start_agent = f'start_agent "{args}"'
            stop_agent = f"stop_agent $R/{run.name}"
        if run.antagonist:
            start_ant = (f"antagonist --threads={plan.antagonist_threads} "
                         f"--want={plan.antagonist_want} "
                         f"--cpus=$CPUS --control_cpu={CONTROL_CPU} "
                         f"--mode={run.mode} {mode.antagonist_flags} "
                         f"--json=$R/{run.name}.antagonist.json "
                         f"> /tmp/antagonist.log 2>&1 & ANT=$!")
            stop_ant = ("kill -TERM $ANT; wait $ANT || FAILED=$((FAILED + 1)); "
                        "sed 's/^/  /' /tmp/antagonist.log")
        worker_flags = mode.worker_flags
        text += (_RUN.replace("__I__", str(i))
                 .replace("__N__", str(len(all_runs)))
                 .replace("__NAME__", run.name)
                 .replace("__START_AGENT__", start_agent)
                 .replace("__STOP_AGENT__", stop_agent)
                 .replace("__START_ANTAGONIST__", start_ant)
                 .replace("__STOP_ANTAGONIST__", stop_ant)
                 .replace("__MODE__", run.mode)
                 .replace("__CONTROL__", str(CONTROL_CPU))
                 .replace("__WORKERS__", str(plan.workers))
                 .replace("__LOAD__", f"{run.load:.2f}")
                 .replace("__RANGE_FRACTION__", str(plan.range_fraction))
                 .replace("__WARMUP__", str(plan.warmup_s))
                 .replace("__DURATION__", str(plan.duration_s))
                 .replace("__DRAIN__", str(plan.drain_s))
                 .replace("__SEED__", str(run.repeat))
                 .replace("__WORKER_FLAGS__", worker_flags))
    return text + _END
