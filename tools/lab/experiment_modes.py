"""The scheduling modes the experiments compare, one entry each.

A mode says how the RocksDB workers are scheduled and where the antagonist
goes. CFS modes start no agent; ghost modes start `ghost_agent` with
`agent_args` on the enclave's CPUs before each run and stop it after
(`--on_exit` default: the enclave goes with it). In `agent_args`,
`{slice_us}` becomes SLICE_GETS calibrated Get service times in us, and
`{half_get_us}` half of one.

Adding a policy is one more entry here (see "shinjuku" below: its agent
arguments, its workers' and antagonist's flags) and naming it in an
experiment's `modes`.
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class Mode:
    name: str                 # in file names, CSV and plots
    label: str                # in plot legends
    agent_args: str = ""      # "" : CFS, no agent
    # The RocksDB workers' flags in this mode (besides --cpus).
    worker_flags: str = ""
    # The antagonist's flags and, in words, where it runs and whether the
    # mode can give it a lower priority than RocksDB.
    antagonist_flags: str = ""
    antagonist: str = ""
    known_problem: str = ""
    # Enclave CPUs the agent keeps for itself (a centralized agent spins
    # on one): not there for RocksDB or the antagonist. A centralized
    # agent lends its CPU to a waiting thread when every other enclave CPU
    # is busy, so this is what it keeps at most.
    agent_cpus: int = 0

    @property
    def ghost(self):
        return bool(self.agent_args)


MODES = {
    "cfs": Mode(
        "cfs", "CFS",
        worker_flags="--worker_nice=-20",
        antagonist_flags="--nice=19",
        antagonist="CFS, nice 19 against RocksDB's nice -20: CFS weights "
                   "give it what RocksDB leaves (weight 15 vs 88761)"),
    "ghost_fifo": Mode(
        "ghost_fifo", "ghost centralized FIFO",
        agent_args="--policy=fifo_centralized",
        agent_cpus=1,
        worker_flags="--enclave=1",
        antagonist_flags="--enclave=1",
        antagonist="in the enclave, same FIFO as RocksDB: no QoS classes; "
                   "an antagonist burst keeps its CPU until the thread "
                   "sleeps or, while others wait, for the policy's default "
                   "slice (4 ms)"),
    "ghost_fifo_slice": Mode(
        "ghost_fifo_slice", "ghost centralized FIFO, slice 2x Get",
        agent_args="--policy=fifo_centralized --slice={slice_us}us",
        agent_cpus=1,
        worker_flags="--enclave=1",
        antagonist_flags="--enclave=1",
        antagonist="in the enclave, same FIFO as RocksDB, preempted after "
                   "its slice when others wait: round robin, no QoS (a "
                   "policy with classes, Shinjuku, would put it below "
                   "RocksDB)",
        # Not in the default sweeps: in this lab the agent loses threads
        # it preempted in the kernel (docs/experiments.md, "Known
        # problems"). Run it with --modes to reproduce.
        known_problem="loses threads preempted inside a system call: "
                      "watchdog and RCU stall (docs/experiments.md)"),
    "shinjuku": Mode(
        "shinjuku", "ghost Shinjuku, slice 2x Get",
        agent_args="--policy=shinjuku --slice={slice_us}us",
        agent_cpus=1,
        worker_flags="--enclave=1 --qos=0",
        antagonist_flags="--enclave=1 --qos=3",
        antagonist="in the enclave at QoS class 3 (hint region) below "
                   "RocksDB's class 0: it runs on CPUs no worker wants, and "
                   "a waking worker takes its CPU at once"),
    # Shinjuku with a slice shorter than CFS's own (about 3 ms on four
    # CPUs): half a Get. Not in the default sweeps.
    "shinjuku_half": Mode(
        "shinjuku_half", "ghost Shinjuku, slice Get/2",
        agent_args="--policy=shinjuku --slice={half_get_us}us",
        agent_cpus=1,
        worker_flags="--enclave=1 --qos=0",
        antagonist_flags="--enclave=1 --qos=3",
        antagonist="as shinjuku, with half a Get's slice"),
}

# The slice of ghost_fifo_slice and shinjuku, in Get service times.
SLICE_GETS = 2


def agent_cpus():
    """{mode name: CPUs its agent keeps}, for the results."""
    return {name: m.agent_cpus for name, m in MODES.items()}


def modes(names):
    """The Mode objects for `names`; a clear error for an unknown name."""
    unknown = [n for n in names if n not in MODES]
    if unknown:
        raise ValueError(f"unknown mode(s) {', '.join(unknown)}; known: "
                         f"{', '.join(MODES)}")
    return [MODES[n] for n in names]
