import unittest

from lab import workload_bench


class ScriptTest(unittest.TestCase):

    def test_every_placeholder_is_filled(self):
        script = workload_bench.script(smp=4)
        self.assertNotIn("__", script.replace("__builtins__", ""))

    def test_workers_follow_the_enclave_cpus(self):
        script = workload_bench.script(smp=8, names=["yield", "pipe"])
        self.assertIn("run cfs yield 14 ", script)  # two per CPU, 7 CPUs
        self.assertIn("run cfs pipe 2 ", script)
        self.assertNotIn("run cfs fork", script)

    def test_scale_and_policies_reach_the_runs(self):
        script = workload_bench.script(smp=4, names=["fork"], scale=0.5,
                                       policies=["fifo_percpu"])
        self.assertIn("run cfs fork 3 25", script)
        self.assertIn("for policy in fifo_percpu; do", script)

    def test_the_enclaves_get_the_short_watchdog(self):
        script = workload_bench.script(smp=4)
        self.assertIn(f"echo {workload_bench.WATCHDOG_MS} > "
                      "$G/enclave_$E/runnable_timeout", script)


if __name__ == "__main__":
    unittest.main()
