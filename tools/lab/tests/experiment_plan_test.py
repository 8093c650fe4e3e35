import re
import subprocess
import unittest

from lab import experiment_modes, experiment_plan


class RunsTest(unittest.TestCase):

    def test_every_mode_load_and_repeat_runs_once(self):
        plan = experiment_plan.full_plan("rocksdb")
        plan.modes = ["cfs", "ghost_fifo", "ghost_fifo_slice"]
        runs = experiment_plan.runs(plan)
        keys = [(r.mode, r.load, r.repeat) for r in runs]
        self.assertEqual(len(keys), len(set(keys)))
        self.assertEqual(len(keys),
                         len(plan.modes) * len(plan.loads) * plan.repeats)
        self.assertTrue(all(not r.antagonist for r in runs))

    def test_the_mode_order_rotates_between_points(self):
        plan = experiment_plan.Plan("rocksdb", ["a", "b", "c"], [0.1, 0.2],
                                    repeats=2, warmup_s=1, duration_s=1)
        order = [r.mode for r in experiment_plan.runs(plan)]
        self.assertEqual(order, ["a", "b", "c", "b", "c", "a",
                                 "b", "c", "a", "c", "a", "b"])

    def test_the_antagonist_experiment_runs_each_point_alone_and_with_it(self):
        plan = experiment_plan.full_plan("antagonist")
        runs = experiment_plan.runs(plan)
        for mode in plan.modes:
            arms = [r.antagonist for r in runs if r.mode == mode]
            per_arm = len(plan.loads) * plan.repeats
            self.assertEqual(arms.count(False), per_arm)
            self.assertEqual(arms.count(True), per_arm)
        self.assertTrue(any(r.name.endswith("-antagonist") for r in runs))

    def test_the_quick_antagonist_plan_runs_only_beside_it(self):
        runs = experiment_plan.runs(experiment_plan.quick_plan("antagonist"))
        self.assertTrue(runs)
        self.assertTrue(all(r.antagonist for r in runs))

    def test_names_are_unique_and_say_mode_load_and_repeat(self):
        runs = experiment_plan.runs(experiment_plan.quick_plan("rocksdb"))
        self.assertEqual(runs[0].name, "rocksdb-cfs-0.20-r1")
        self.assertEqual(len({r.name for r in runs}), len(runs))


class GuestScriptTest(unittest.TestCase):

    def _script(self, experiment, modes=None):
        plan = experiment_plan.quick_plan(experiment)
        if modes:
            plan.modes = modes
        return experiment_plan.guest_script(plan)

    def test_the_script_is_valid_shell(self):
        for experiment in ("rocksdb", "antagonist"):
            proc = subprocess.run(["sh", "-n"], input=self._script(experiment),
                                  text=True, capture_output=True)
            self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_ghost_runs_start_their_agent_and_move_the_workers(self):
        script = self._script("rocksdb",
                              ["cfs", "ghost_fifo", "ghost_fifo_slice"])
        self.assertIn('start_agent "--policy=fifo_centralized"', script)
        self.assertIn(
            'start_agent "--policy=fifo_centralized --slice=${SLICE_US}us"',
            script)
        ghost_run = script[script.index("run 2/6"):script.index("run 3/6")]
        self.assertIn("--enclave=1", ghost_run)
        self.assertIn("stop_agent", ghost_run)

    def test_cfs_runs_start_no_agent_and_renice_the_workers(self):
        script = self._script("rocksdb")
        cfs_run = script[script.index("run 1/6"):script.index("run 2/6")]
        self.assertIn("if true; then", cfs_run)
        self.assertIn("--worker_nice=-20", cfs_run)
        self.assertNotIn("--enclave", cfs_run)

    def test_the_antagonist_goes_where_the_mode_says(self):
        script = self._script("antagonist")
        self.assertIn("antagonist --threads=3 --want=0.9 --cpus=$CPUS "
                      "--control_cpu=0 --mode=cfs --nice=19", script)
        self.assertIn("--mode=ghost_fifo --enclave=1 --json=", script)

    def test_a_failed_run_is_counted_and_the_sweep_goes_on(self):
        script = self._script("rocksdb")
        self.assertIn("set +e", script)
        self.assertIn("FAILED=$((FAILED + 1))", script)


class ModesTest(unittest.TestCase):

    def test_an_unknown_mode_is_named(self):
        with self.assertRaisesRegex(ValueError, "lottery"):
            experiment_modes.modes(["cfs", "lottery"])

    def test_shinjuku_puts_the_antagonist_below_rocksdb(self):
        m = experiment_modes.MODES["shinjuku"]
        self.assertIn("--policy=shinjuku", m.agent_args)
        self.assertIn("--qos=0", m.worker_flags)
        self.assertIn("--qos=3", m.antagonist_flags)

    def test_every_placeholder_of_every_mode_becomes_a_shell_variable(self):
        plan = experiment_plan.Plan("rocksdb", list(experiment_modes.MODES),
                                    [0.5], repeats=1, warmup_s=1,
                                    duration_s=1)
        script = experiment_plan.guest_script(plan)
        for m in experiment_modes.MODES.values():
            self.assertLessEqual(set(re.findall(r"\{(\w+)\}", m.agent_args)),
                                 {"slice_us", "half_get_us"}, m.name)
        self.assertNotIn("{slice_us}", script)
        self.assertNotIn("{half_get_us}", script)
        self.assertIn("--slice=${HALF_GET_US}us", script)
        self.assertIn("HALF_GET_US=$(( GET_NS / 2000 ))", script)

    def test_cfs_has_no_agent_and_ghost_modes_do(self):
        self.assertFalse(experiment_modes.MODES["cfs"].ghost)
        self.assertTrue(experiment_modes.MODES["ghost_fifo"].ghost)


if __name__ == "__main__":
    unittest.main()
