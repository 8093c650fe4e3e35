import unittest

from lab import verdict

_CLEAN = "[    0.000000] Linux version 6.12.117\nghost-lab: command done\n"

_PANIC = """[    1.0] sysrq: Trigger a crash
[    1.1] Kernel panic - not syncing: sysrq triggered crash
[    1.2] CPU: 0 PID: 1 Comm: sh
"""

_LOCKDEP = """[    2.0] ======================================================
[    2.0] WARNING: possible circular locking dependency detected
[    2.0] 6.12.117 #1 Not tainted
"""

_KASAN = "[    3.0] BUG: KASAN: slab-use-after-free in ghostfs_x+0x10/0x20\n"


class JudgeTest(unittest.TestCase):

    def test_clean_run_with_status_zero_passes(self):
        v = verdict.judge(_CLEAN, exit_status=0, timed_out=False,
                          timeout_s=60)
        self.assertTrue(v.ok, v.problems)

    def test_nonzero_guest_status_fails_and_says_so(self):
        v = verdict.judge(_CLEAN, exit_status=3, timed_out=False,
                          timeout_s=60)
        self.assertFalse(v.ok)
        self.assertIn("exited with status 3", v.problems[0])

    def test_panic_fails_with_the_panic_line_in_the_excerpt(self):
        v = verdict.judge(_CLEAN + _PANIC, exit_status=None, timed_out=False,
                          timeout_s=60)
        self.assertEqual(v.problems[0], "kernel report: kernel panic")
        self.assertIn("sysrq triggered crash", v.excerpts[0])
        self.assertIn("never reported", v.problems[1])

    def test_warning_fails_even_when_the_command_succeeded(self):
        v = verdict.judge(_LOCKDEP, exit_status=0, timed_out=False,
                          timeout_s=60)
        self.assertEqual(v.problems, ["kernel report: WARNING"])

    def test_kasan_report_is_named(self):
        v = verdict.judge(_KASAN, exit_status=0, timed_out=False,
                          timeout_s=60)
        self.assertEqual(v.problems, ["kernel report: BUG"])
        self.assertIn("KASAN", v.excerpts[0])

    def test_timeout_fails_and_names_the_limit(self):
        v = verdict.judge(_CLEAN, exit_status=None, timed_out=True,
                          timeout_s=42)
        self.assertIn("within 42 s", v.problems[0])

    def test_hung_task_and_rcu_stall_are_reports(self):
        names = [n for n, _ in verdict.scan_console(
            "INFO: task sh:1 blocked for more than 30 seconds.\n"
            + "\n" * 10 +
            "rcu: INFO: rcu_preempt self-detected stall on CPU\n")]
        self.assertEqual(names, ["hung task", "RCU stall"])

    def test_ordinary_boot_lines_are_not_reports(self):
        boot = ("[    0.1] rcu: Preemptible hierarchical RCU implementation.\n"
                "[    0.2] Warning: unable to open an initial console.\n"
                "[    0.3] ghost: ghostfs registered, ABI version 1\n")
        self.assertEqual(verdict.scan_console(boot), [])


if __name__ == "__main__":
    unittest.main()
