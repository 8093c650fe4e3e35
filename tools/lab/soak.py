"""`ghost lab soak`: a long run of real workloads under agents that keep
being replaced, on the debug kernel, judged at the end.

For `--seconds` (default 600): stress-ng (fork, clone, exec, switch,
futex, mmap) and hackbench run in loops inside an enclave on CPUs 1-3,
while the FIFO agent is replaced every 30 s, alternating an upgrade in
place (a successor of the other mode takes over) and a kill -9 followed
by a fresh start. It passes if the watchdog never ended the enclave, the
kernel's object counters are back to 0 once everything is torn down, and
the console shows no kernel report (the lab's verdict, as for every run).
Not part of `lab test` (it takes minutes); run it on demand.
"""

from lab import bazel, kernel, paths, qemu, testrun
from lab.progress import step

SOAK_SCRIPT = r"""
set -u
G=/sys/fs/ghost
DUR=__SECONDS__
now() { date +%s; }
end=$(( $(now) + DUR ))
fail=0
problem() { echo "soak: PROBLEM: $*"; fail=1; }

wait_agents() {
  for i in $(seq 300); do
    [ "$(cat $G/enclave_1/agent_online 2>/dev/null)" = "$1" ] && return 0
    sleep 0.1
  done
  return 1
}

echo "soak: ${DUR} s of stress-ng and hackbench under agents replaced every 30 s"
agent_fifo --mode=percpu --cpus=1-3 --enclave=1 --on_exit=keep \
  > /tmp/agent-0.log 2>&1 &
agent=$!
wait_agents 3 || problem "the first agent did not come up"
echo 30000 > $G/enclave_1/runnable_timeout

ghostctl run --enclave 1 -- sh -c "while [ \$(date +%s) -lt $end ]; do
  stress-ng --fork 2 --clone 2 --exec 1 --switch 2 --futex 2 --mmap 1 \
    --timeout 20s -q || true; done" > /tmp/stress.log 2>&1 &
stress=$!
ghostctl run --enclave 1 -- sh -c "while [ \$(date +%s) -lt $end ]; do
  hackbench -g 2 -l 50 > /dev/null || true; done" > /tmp/hackbench.log 2>&1 &
hack=$!

round=0
mode=percpu
while [ $(now) -lt $((end - 30)) ]; do
  sleep 30
  round=$((round + 1))
  [ -d $G/enclave_1 ] || { problem "enclave 1 is gone: $(tail -n 1 $G/destroyed)"; break; }
  if [ $((round % 2)) = 1 ]; then
    mode=$([ $mode = percpu ] && echo centralized || echo percpu)
    echo "soak: round $round: upgrade in place to --mode=$mode"
    agent_fifo --mode=$mode --enclave=1 --on_exit=keep \
      > /tmp/agent-$round.log 2>&1 &
    new=$!
    wait $agent 2>/dev/null || true
    agent=$new
  else
    echo "soak: round $round: kill -9 the agent, then a fresh one"
    kill -KILL $agent; wait $agent 2>/dev/null || true
    agent_fifo --mode=$mode --enclave=1 --on_exit=keep \
      > /tmp/agent-$round.log 2>&1 &
    agent=$!
  fi
  sleep 2
  grep -h "blackout\|ready" /tmp/agent-$round.log | tail -n 2 | sed 's/^/  /'
done

wait $stress; wait $hack
[ -d $G/enclave_1 ] || problem "enclave 1 is gone: $(tail -n 1 $G/destroyed)"
echo "soak: enclave 1 at the end:"
ghostctl enclave status 1 | sed 's/^/  /'
kill -TERM $agent; wait $agent 2>/dev/null || true
ghostctl enclave destroy 1 2>/dev/null || true
for i in $(seq 100); do
  [ "$(tr '\n' ' ' < $G/objects)" = "enclaves 0 tasks 0 queues 0 " ] && break
  sleep 0.1
done
echo "soak: kernel objects left: $(tr '\n' ' ' < $G/objects)"
[ "$(tr '\n' ' ' < $G/objects)" = "enclaves 0 tasks 0 queues 0 " ] || problem "objects leaked"
grep -q "watchdog" $G/destroyed && problem "the watchdog ended an enclave: $(grep watchdog $G/destroyed)"
echo "soak: $round agent replacements; $( [ $fail = 0 ] && echo passed || echo FAILED )"
exit $fail
"""


def run_soak(args):
    """Boots the lab and runs the soak (docstring above)."""
    if not args.no_deps:
        testrun.install_deps()
    bazel.build_vm(testrun.VM_BINARIES)
    image = kernel.build(args.flavour)
    initrd = testrun.build_initramfs(args.flavour)
    step(f"soak: {args.seconds} s on the {args.flavour} kernel "
         f"(-smp {args.smp})")
    script = SOAK_SCRIPT.replace("__SECONDS__", str(args.seconds))
    result = qemu.run(image, initrd, script, paths.OUT / "vm" / "soak",
                      smp=args.smp, memory=args.memory,
                      timeout=args.timeout or args.seconds + 600)
    return qemu.report(result, "soak")
