import unittest

from lab import demo_headline


def row(mode, p50, p99):
    return {"mode": mode, "load": 0.6, "offered_rps": 5400.0,
            "get_p50_ms": p50, "get_p99_ms": p99, "completed_ratio": 1.0,
            "get_samples": 26000}


class HeadlineTest(unittest.TestCase):

    def test_both_modes_side_by_side_with_the_ratio(self):
        text = demo_headline.headline(row("cfs", 0.5, 8.0),
                                      row("shinjuku", 0.4, 2.0),
                                      {"get_service_ns": 250000})
        self.assertIn("60% of capacity (5400 requests/s, Get = 250 us", text)
        cfs = next(line for line in text.splitlines() if "CFS" in line)
        self.assertEqual(cfs.split()[1:3], ["0.50", "8.00"])
        self.assertIn("Shinjuku 4.0x lower than CFS", text)

    def test_the_cpus_each_mode_had_are_said(self):
        cfs, sj = row("cfs", 0.5, 8.0), row("shinjuku", 0.4, 2.0)
        cfs["worker_cpus"], sj["worker_cpus"] = 1.5, 1.75
        text = demo_headline.headline(cfs, sj, None)
        self.assertIn("CFS 1.50 of 3, Shinjuku 1.75 of 2 + the agent's",
                      text)

    def test_a_worse_shinjuku_is_said_as_such(self):
        text = demo_headline.headline(row("cfs", 0.5, 2.0),
                                      row("shinjuku", 0.4, 3.0), None)
        self.assertIn("Shinjuku 1.5x higher than CFS", text)
        self.assertNotIn("Get =", text)

    def test_the_plan_is_one_point_of_both_modes_in_one_boot(self):
        p = demo_headline.plan()
        self.assertEqual(p.modes, ["cfs", "shinjuku"])
        self.assertEqual(p.loads, [demo_headline.LOAD])
        self.assertEqual(p.repeats, 1)


if __name__ == "__main__":
    unittest.main()
