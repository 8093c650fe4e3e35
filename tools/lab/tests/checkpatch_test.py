import unittest

from lab import checkpatch

_OUTPUT = """CHECK:SPACING: spaces preferred around that '*' (ctx:ExV)
#75: FILE: include/asm-generic/vmlinux.lds.h:133:
+	*(__ghost_agent_sched_class)		\\

WARNING:LONG_LINE: line length of 120 exceeds 100 columns
#90: FILE: kernel/sched/ghost.c:12:
+	something long

total: 0 errors, 1 warnings, 1 checks, 330 lines checked
"""


class CheckpatchTest(unittest.TestCase):

    def test_parses_level_type_and_file(self):
        found = checkpatch.findings(_OUTPUT)
        self.assertEqual([(f[0], f[1], f[2]) for f in found], [
            ("CHECK", "SPACING", "include/asm-generic/vmlinux.lds.h"),
            ("WARNING", "LONG_LINE", "kernel/sched/ghost.c")])

    def test_allowlist_removes_only_listed_file_and_type(self):
        allowed = checkpatch.read_allowlist(
            "# comment\ninclude/asm-generic/vmlinux.lds.h SPACING  # why\n")
        bad = checkpatch.unexpected(_OUTPUT, allowed)
        self.assertEqual([f[1] for f in bad], ["LONG_LINE"])

    def test_dash_allows_findings_without_a_file(self):
        output = ("WARNING:FILE_PATH_CHANGES: added, moved or deleted file(s),"
                  " does MAINTAINERS need updating?\n#12: \nnew file mode"
                  " 100644\n\n" + _OUTPUT)
        self.assertEqual(
            [f[1] for f in checkpatch.unexpected(output, set())],
            ["FILE_PATH_CHANGES", "SPACING", "LONG_LINE"])
        allowed = checkpatch.read_allowlist("- FILE_PATH_CHANGES  # why\n")
        self.assertEqual(
            [f[1] for f in checkpatch.unexpected(output, allowed)],
            ["SPACING", "LONG_LINE"])


if __name__ == "__main__":
    unittest.main()
