import csv
import json
import pathlib
import tempfile
import unittest

from lab import experiment_modes, experiment_plan
from lab import experiment_results as er


def summary(p50, p99, p999=None, count=100, unfinished=0):
    return {"count": count, "unfinished": unfinished, "p50_ns": p50,
            "p99_ns": p99, "p999_ns": p999 if p999 is not None else p99,
            "mean_ns": p50, "max_ns": p99}


def kind(offered, completed, p50, p99, wake=1000):
    return {"offered": offered, "completed": completed,
            "unfinished": offered - completed,
            "total": summary(p50, p99, count=completed,
                             unfinished=offered - completed),
            "stages": {"wake": summary(wake, wake), "queue": summary(1, 2),
                       "generate": summary(1, 3),
                       "service": summary(5, 6)}}


def run(mode, load, p99, *, completed=100, antagonist=False, ok=True,
        worker_cpus=1.0, seed=1):
    return {"name": f"x-{mode}-{load}-r{seed}",
            "config": {"mode": mode, "load": load, "offered_rps": 1000.0},
            "ok": ok, "window": {"start_ns": 0, "end_ns": 1000},
            "worker_cpus_used": worker_cpus, "with_antagonist": antagonist,
            "get": kind(100, completed, 1_000_000, p99),
            "range": kind(2, 2, 5_000_000, 9_000_000)}


class AntagonistCpusTest(unittest.TestCase):

    def test_interpolates_each_thread_over_the_window(self):
        samples = [[0, 0, 0], [100, 100, 50]]
        # thread 0 ran all the time (1 CPU), thread 1 half (0.5).
        self.assertAlmostEqual(er.antagonist_cpus(samples, 25, 75), 1.5)

    def test_a_starved_thread_adds_nothing(self):
        samples = [[0, 0, 7], [50, 50, 7], [100, 100, 7]]
        self.assertAlmostEqual(er.antagonist_cpus(samples, 0, 100), 1.0)

    def test_a_window_outside_the_samples_is_unknown(self):
        self.assertIsNone(er.antagonist_cpus([[10, 0], [20, 5]], 0, 15))
        self.assertIsNone(er.antagonist_cpus([], 0, 15))


class RowsTest(unittest.TestCase):

    def test_repeats_combine_into_one_row_per_point(self):
        rows = er.rows([run("cfs", 0.5, 2_000_000, seed=1),
                        run("cfs", 0.5, 4_000_000, seed=2),
                        run("ghost", 0.5, 3_000_000)])
        self.assertEqual([(r["mode"], r["repeats"]) for r in rows],
                         [("cfs", 2), ("ghost", 1)])
        cfs = rows[0]
        self.assertEqual(cfs["get_p99_ms"], 3.0)  # the median of 2 and 4
        self.assertEqual(cfs["get_p99_ms_min"], 2.0)
        self.assertEqual(cfs["get_p99_ms_max"], 4.0)
        self.assertEqual(cfs["get_offered"], 200)
        self.assertEqual(cfs["completed_ratio"], 1.0)
        self.assertEqual(cfs["idle_cpus"], 2.0)

    def test_the_agents_cpu_is_not_left_idle(self):
        rows = er.rows([run("ghost", 0.5, 1, worker_cpus=1.5)],
                       agent_cpus={"ghost": 1})
        self.assertEqual(rows[0]["idle_cpus"], 0.5)

    def test_unfinished_requests_make_the_p99_unknown_not_small(self):
        rows = er.rows([run("cfs", 0.9, None, completed=90, seed=1),
                        run("cfs", 0.9, None, completed=95, seed=2),
                        run("cfs", 0.9, 5_000_000, seed=3)])
        self.assertIsNone(rows[0]["get_p99_ms"])
        self.assertIsNone(rows[0]["get_p99_ms_max"])
        self.assertEqual(rows[0]["get_p99_ms_min"], 5.0)
        self.assertEqual(rows[0]["get_unfinished"], 15)
        self.assertAlmostEqual(rows[0]["completed_ratio"], 291 / 306, 4)

    def test_the_antagonist_share_is_of_what_rocksdb_left_idle(self):
        r = run("cfs", 0.3, 1_000_000, antagonist=True, worker_cpus=1.0)
        r["antagonist_result"] = {"samples": [[0, 0, 0], [1000, 1000, 800]]}
        row = er.rows([r])[0]
        self.assertAlmostEqual(row["antagonist_cpus"], 1.8)
        self.assertAlmostEqual(row["antagonist_share_of_idle"], 0.9)


class SaturationTest(unittest.TestCase):

    def test_the_lowest_load_over_the_threshold_or_unfinished(self):
        rows = er.rows([run("cfs", 0.3, 1_000_000), run("cfs", 0.6, 9_000_000),
                        run("cfs", 0.9, 20_000_000),
                        run("ghost", 0.3, 1_000_000),
                        run("ghost", 0.6, 1_000_000, completed=99),
                        run("ghost", 0.9, None, completed=90),
                        run("fine", 0.9, 1_000_000)])
        self.assertEqual(er.saturation(rows, 5.0),
                         {"cfs": 0.6, "ghost": 0.6, "fine": None})

    def test_a_noisy_point_below_a_good_one_is_not_saturation(self):
        rows = er.rows([run("cfs", 0.1, 9_000_000), run("cfs", 0.3, 1_000_000),
                        run("cfs", 0.6, 9_000_000)])
        self.assertEqual(er.saturation(rows, 5.0), {"cfs": 0.6})


class QuickCheckTest(unittest.TestCase):

    def test_all_complete_passes(self):
        rows = er.rows([run("cfs", 0.2, 1), run("ghost", 0.2, 1)])
        self.assertEqual(er.quick_check(rows, ["cfs", "ghost"], [0.2]), [])

    def test_too_few_completed_fails(self):
        rows = er.rows([run("cfs", 0.2, 1), run("ghost", 0.2, 1,
                                                completed=80)])
        problems = er.quick_check(rows, ["cfs", "ghost"], [0.2])
        self.assertEqual(len(problems), 1)
        self.assertIn("ghost at load 0.2: completed/offered", problems[0])

    def test_a_mode_without_runs_or_with_an_invalid_run_fails(self):
        rows = er.rows([run("cfs", 0.2, 1, ok=False)])
        problems = er.quick_check(rows, ["cfs", "ghost"], [0.2])
        self.assertEqual(len(problems), 2)
        self.assertIn("invalid", problems[0])
        self.assertIn("ghost at load 0.2: no run finished", problems[1])


    def test_beside_the_antagonist_only_validity_and_samples_count(self):
        alone = run("cfs", 0.2, 1)
        with_ant = run("cfs", 0.2, 1, antagonist=True, completed=50)
        with_ant["antagonist_result"] = {"samples": [[0, 0], [1000, 900]]}
        rows = er.rows([alone, with_ant])
        self.assertEqual(er.quick_check(rows, ["cfs"], [0.2]), [])
        del with_ant["antagonist_result"]
        rows = er.rows([alone, with_ant])
        problems = er.quick_check(rows, ["cfs"], [0.2])
        self.assertEqual(len(problems), 1)
        self.assertIn("no antagonist samples", problems[0])


class FilesTest(unittest.TestCase):

    def test_csv_leaves_unknown_values_empty(self):
        rows = er.rows([run("cfs", 0.9, None, completed=90)])
        with tempfile.TemporaryDirectory() as d:
            path = pathlib.Path(d) / "r.csv"
            er.write_csv(rows, path)
            got = list(csv.DictReader(open(path)))
        self.assertEqual(got[0]["get_p99_ms"], "")
        self.assertEqual(got[0]["get_p50_ms"], "1.0")
        self.assertEqual(list(got[0]), er.ROW_FIELDS)

    def test_load_results_pairs_runs_with_their_antagonist(self):
        with tempfile.TemporaryDirectory() as d:
            d = pathlib.Path(d)
            (d / "calibration.json").write_text('{"get_service_ns": 5}')
            r = run("cfs", 0.3, 1)
            (d / "a-cfs-0.30-r1-antagonist.json").write_text(json.dumps(r))
            (d / "a-cfs-0.30-r1-antagonist.antagonist.json").write_text(
                '{"samples": [[0, 0], [1000, 500]]}')
            (d / "a-cfs-0.30-r1.json").write_text(json.dumps(r))
            cal, runs = er.load_results(d)
        self.assertEqual(cal, {"get_service_ns": 5})
        by_arm = {x["with_antagonist"]: x for x in runs}
        self.assertEqual(len(runs), 2)
        self.assertIn("antagonist_result", by_arm[True])
        self.assertNotIn("antagonist_result", by_arm[False])


class HintProblemsTest(unittest.TestCase):

    def _runs(self):
        plan = experiment_plan.Plan("rocksdb", ["cfs", "shinjuku"], [0.3],
                                    repeats=1, warmup_s=1, duration_s=1)
        return experiment_plan.runs(plan)

    def test_a_qos_mode_whose_agent_applied_no_hint_is_a_problem(self):
        runs = self._runs()
        sj = [r for r in runs if r.mode == "shinjuku"][0]
        stop = ("ghost_agent: stopped: 10 commits completed, 0 failed, 20 "
                "messages (slice_preemptions=1 hints=%d lent=2); enclave 1 "
                "destroyed")
        modes = experiment_modes.MODES
        self.assertEqual(er.hint_problems(runs, modes,
                                          {sj.name: stop % 16}), [])
        problems = er.hint_problems(runs, modes, {sj.name: stop % 0})
        self.assertEqual(len(problems), 1)
        self.assertIn(sj.name, problems[0])
        self.assertIn("no QoS hint", problems[0])
        # A log without a stop line (the agent died): no proof either.
        self.assertEqual(len(er.hint_problems(runs, modes,
                                              {sj.name: "ready"})), 1)

    def test_modes_without_classes_and_runs_without_an_agent_are_skipped(self):
        runs = self._runs()
        self.assertEqual(er.hint_problems(runs, experiment_modes.MODES, {}),
                         [])


if __name__ == "__main__":
    unittest.main()
