import unittest

from lab import summary


class ShortCommandTest(unittest.TestCase):

    def test_a_short_command_is_quoted_whole(self):
        self.assertEqual(summary.short_command("ghostctl status"),
                         "'ghostctl status'")

    def test_a_long_command_is_cut_with_an_ellipsis(self):
        text = summary.short_command("stress-ng --cpu 2 " * 10, limit=20)
        self.assertEqual(text, "'stress-ng --cpu 2...'")
        self.assertLessEqual(len(text), 20 + 2)

    def test_lines_and_runs_of_spaces_become_one_space(self):
        self.assertEqual(summary.short_command("a &\n  b;\tc"), "'a & b; c'")


class TimeBreakdownTest(unittest.TestCase):

    def test_the_total_is_the_sum_and_each_phase_is_named(self):
        self.assertEqual(
            summary.time_breakdown([("build", 70), ("kernel", 842.4),
                                    ("VM", 53)]),
            "16m05s (build 1m10s, kernel 14m02s, VM 53s)")

    def test_a_phase_under_a_second_still_shows(self):
        self.assertEqual(summary.time_breakdown([("kernel", 0.2),
                                                 ("VM", 30)]),
                         "30s (kernel 0s, VM 30s)")


if __name__ == "__main__":
    unittest.main()
