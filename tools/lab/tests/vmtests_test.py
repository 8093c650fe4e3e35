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


if __name__ == "__main__":
    unittest.main()
