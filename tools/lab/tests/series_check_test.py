import unittest

from lab import patches, series_check
from lab.progress import LabError


def _patch(name, *files):
    text = "".join(f"--- a/{f}\n+++ b/{f}\n@@ -1 +1 @@\n-a\n+b\n"
                   for f in files)
    return patches.Patch(name, text)


class FirstErrorsTest(unittest.TestCase):

    def test_compiler_error_with_its_context(self):
        log = "\n".join([
            "  CC      kernel/sched/ghost.o",
            "/src/kernel/sched/ghost.c: In function 'ghost_fork':",
            "/src/kernel/sched/ghost.c:12:9: error: implicit declaration "
            "of function 'ghost_attach'",
            "   12 |         ghost_attach(p);",
            "      |         ^~~~~~~~~~~~",
            "make[4]: *** [scripts/Makefile.build:229: kernel/sched/ghost.o]"
            " Error 1",
        ])
        lines = series_check.first_errors(log)
        self.assertEqual(lines[0],
                         "/src/kernel/sched/ghost.c: In function 'ghost_fork':")
        self.assertIn("error: implicit declaration", lines[1])
        self.assertIn("ghost_attach(p);", lines[2])
        self.assertFalse(any(line.startswith("make") for line in lines))

    def test_a_warning_turned_error_counts(self):
        log = ("kernel/sched/ghost.c:40:13: error: 'ghost_x' defined but not "
               "used [-Werror=unused-function]\n")
        self.assertEqual(len(series_check.first_errors(log)), 1)

    def test_link_errors(self):
        log = ("  LD      vmlinux.o\nld: kernel/sched/core.o: in function "
               "`sched_fork':\ncore.c:(.text+0x1): undefined reference to "
               "`ghost_fork'\nmake[2]: *** [vmlinux] Error 1\n")
        lines = series_check.first_errors(log)
        self.assertTrue(any("undefined reference to `ghost_fork'" in line
                            for line in lines))

    def test_without_a_diagnostic_make_says_why(self):
        log = "  CC      a.o\nmake[1]: *** [Makefile:1] Error 2\n" \
              "make: *** [Makefile:224: __sub-make] Error 2\n"
        self.assertEqual(series_check.first_errors(log)[-1],
                         "make: *** [Makefile:224: __sub-make] Error 2")

    def test_limit(self):
        log = "".join(f"f.c:{i}:1: error: e{i}\n" for i in range(100))
        self.assertEqual(len(series_check.first_errors(log, limit=5)), 5)


class NeedsConfigureTest(unittest.TestCase):

    def test_first_patch_and_kconfig_edits_reconfigure(self):
        plain = _patch("0002-x.patch", "kernel/sched/ghost.c")
        kconfig = _patch("0003-y.patch", "kernel/Kconfig.preempt",
                         "kernel/sched/ghost.c")
        top = _patch("0004-z.patch", "Kconfig")
        self.assertTrue(series_check.needs_configure(plain, first=True))
        self.assertFalse(series_check.needs_configure(plain, first=False))
        self.assertTrue(series_check.needs_configure(kconfig, first=False))
        self.assertTrue(series_check.needs_configure(top, first=False))

    def test_a_file_named_like_kconfig_in_a_path_is_not_kconfig(self):
        p = _patch("0005-k.patch", "Documentation/Kconfig.d/readme.txt")
        self.assertFalse(series_check.needs_configure(p, first=False))


class StepsTest(unittest.TestCase):

    def setUp(self):
        self.series = [_patch(f"000{i}-p.patch", "a.c") for i in (1, 2, 3)]

    def test_every_prefix_in_order(self):
        got = series_check.steps(self.series, 1)
        self.assertEqual([i for i, _, _ in got], [1, 2, 3])
        self.assertEqual([len(prefix) for _, _, prefix in got], [1, 2, 3])
        self.assertIs(got[1][1], self.series[1])

    def test_from_a_later_patch(self):
        got = series_check.steps(self.series, 3)
        self.assertEqual([(i, len(prefix)) for i, _, prefix in got], [(3, 3)])

    def test_out_of_range(self):
        with self.assertRaises(LabError):
            series_check.steps(self.series, 0)
        with self.assertRaises(LabError):
            series_check.steps(self.series, 4)


class UnavailableTest(unittest.TestCase):

    def test_options_the_tree_does_not_know_yet(self):
        config = ("CONFIG_SMP=y\n# CONFIG_PREEMPT_NONE is not set\n"
                  "CONFIG_NR_CPUS=16\n")
        requested = {"CONFIG_SMP": "y", "CONFIG_PREEMPT_NONE": "n",
                     "CONFIG_SCHED_CLASS_GHOST": "y",
                     "CONFIG_GONE": "n"}
        self.assertEqual(series_check.unavailable(requested, config),
                         ["CONFIG_SCHED_CLASS_GHOST"])


class FragmentTest(unittest.TestCase):

    def test_the_fragment_parses_and_asks_for_ghost(self):
        from lab import kconfig, paths
        options = kconfig.parse(
            (paths.PATCH_DIR / series_check.FRAGMENT).read_text())
        self.assertEqual(options["CONFIG_SCHED_CLASS_GHOST"], "y")
        self.assertEqual(options["CONFIG_WERROR"], "y")


if __name__ == "__main__":
    unittest.main()
