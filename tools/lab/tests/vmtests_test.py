import unittest

from lab import vmtests

_OUTPUT = """ok 1 GhostfsType.IsRegistered
#   tests/vm/ghostfs_test.cc:40
not ok 2 GhostfsTest.Version
ok 3 GhostfsTest.Skipped # skipped
not ok 4 GhostfsTest.Hangs # timed out: the test hung; runner stops here
2 passed, 1 failed
"""


class ParseTapTest(unittest.TestCase):

    def test_splits_passed_and_failed_cases(self):
        passed, failed = vmtests.parse_tap(_OUTPUT)
        self.assertEqual(passed, ["GhostfsType.IsRegistered",
                                  "GhostfsTest.Skipped"])
        self.assertEqual(failed, ["GhostfsTest.Version", "GhostfsTest.Hangs"])

    def test_finds_the_closing_line(self):
        self.assertEqual(vmtests.summary_line(_OUTPUT), "2 passed, 1 failed")
        self.assertIsNone(vmtests.summary_line("ok 1 x\n"))


class SkippedTest(unittest.TestCase):

    def test_names_the_skipped_cases(self):
        self.assertEqual(vmtests.skipped(_OUTPUT), ["GhostfsTest.Skipped"])


class NumaFilterTest(unittest.TestCase):

    def test_no_filter_runs_the_numa_cases_apart(self):
        self.assertTrue(vmtests.wants_numa_boot(None))
        self.assertEqual(vmtests.numa_filter(None), "Numa*")
        self.assertEqual(vmtests.without_numa_cases(None), "*-Numa*")

    def test_a_filter_without_numa_cases_needs_no_numa_boot(self):
        self.assertFalse(vmtests.wants_numa_boot("Ghostfs*"))
        self.assertEqual(vmtests.without_numa_cases("Ghostfs*"),
                         "Ghostfs*-Numa*")

    def test_a_filter_naming_numa_cases_runs_only_those_there(self):
        self.assertEqual(vmtests.numa_filter("Ghostfs*:NumaTest.Lib*"),
                         "NumaTest.Lib*")
        self.assertEqual(vmtests.without_numa_cases("Ghostfs*:NumaTest.Lib*"),
                         "Ghostfs*:NumaTest.Lib*-Numa*")

    def test_a_filter_leaving_the_numa_cases_out_needs_no_numa_boot(self):
        self.assertFalse(vmtests.wants_numa_boot("*-Numa*"))
        self.assertFalse(vmtests.wants_numa_boot("*-Agent*:NumaTest.*"))

    def test_a_filter_of_numa_cases_alone_needs_no_one_node_boot(self):
        self.assertTrue(vmtests.only_numa_cases("Numa*"))
        self.assertTrue(vmtests.only_numa_cases("NumaTest.A*:NumaTest.B*"))
        self.assertFalse(vmtests.only_numa_cases("Numa*:Ghostfs*"))
        self.assertFalse(vmtests.only_numa_cases(None))

    def test_negative_patterns_stay(self):
        self.assertEqual(vmtests.numa_filter("*-Agent*"), "Numa*-Agent*")
        self.assertEqual(vmtests.without_numa_cases("*-Agent*"),
                         "*-Agent*:Numa*")


if __name__ == "__main__":
    unittest.main()
