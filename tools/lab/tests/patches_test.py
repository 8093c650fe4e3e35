import os
import pathlib
import tempfile
import unittest

from lab import patches
from lab.progress import LabError


def _diff(path, old, new):
    """A one-line-change unified diff of `path` (git style)."""
    return (f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
            f"@@ -1 +1 @@\n-{old}\n+{new}\n")


def _new_file(path, line):
    return (f"diff --git a/{path} b/{path}\nnew file mode 100644\n"
            f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+{line}\n")


class SyncTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.tree = pathlib.Path(self.tmp.name)
        for name in ("a.c", "b.h"):
            (self.tree / name).write_text("original\n")
            os.utime(self.tree / name, ns=(10**18, 10**18))

    def tearDown(self):
        self.tmp.cleanup()

    def _mtime(self, name):
        return (self.tree / name).stat().st_mtime_ns

    def test_applies_the_series_once(self):
        series = [patches.Patch("0001-a.patch", _diff("a.c", "original", "A"))]
        self.assertTrue(patches.sync(self.tree, series, source_label="t"))
        self.assertEqual((self.tree / "a.c").read_text(), "A\n")
        self.assertFalse(patches.sync(self.tree, series, source_label="t"))
        self.assertEqual(patches.applied(self.tree), series)

    def test_editing_one_patch_keeps_mtimes_of_unchanged_files(self):
        p1 = patches.Patch("0001-h.patch", _diff("b.h", "original", "H"))
        p2 = patches.Patch("0002-c.patch", _diff("a.c", "original", "A"))
        patches.sync(self.tree, [p1, p2], source_label="t")
        header_mtime = self._mtime("b.h")
        p2_edited = patches.Patch("0002-c.patch",
                                  _diff("a.c", "original", "A2"))
        patches.sync(self.tree, [p1, p2_edited], source_label="t")
        self.assertEqual((self.tree / "a.c").read_text(), "A2\n")
        self.assertEqual(self._mtime("b.h"), header_mtime,
                         "b.h did not change, so make must not rebuild it")

    def test_new_files_come_and_go_with_their_patch(self):
        series = [patches.Patch("0001-new.patch", _new_file("n.c", "x"))]
        patches.sync(self.tree, series, source_label="t")
        self.assertEqual((self.tree / "n.c").read_text(), "x\n")
        patches.sync(self.tree, [], source_label="t")
        self.assertFalse((self.tree / "n.c").exists())

    def test_conflict_names_patch_and_file_and_leaves_tree_clean(self):
        good = patches.Patch("0001-a.patch", _diff("a.c", "original", "A"))
        bad = patches.Patch("0002-b.patch", _diff("b.h", "not there", "B"))
        with self.assertRaises(LabError) as ctx:
            patches.sync(self.tree, [good, bad], source_label="linux-x")
        message = str(ctx.exception)
        self.assertIn("0002-b.patch does not apply to linux-x", message)
        self.assertIn("b.h", message)
        self.assertEqual((self.tree / "a.c").read_text(), "original\n")
        self.assertEqual(patches.applied(self.tree), [])

    def test_a_patch_whose_context_differs_is_refused(self):
        (self.tree / "a.c").write_text("one\ntwo\nthree\nfour\n")
        fuzzy = patches.Patch("0001-fuzzy.patch", (
            "diff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n"
            "@@ -1,4 +1,4 @@\n one\n-two\n+TWO\n three\n fourish\n"))
        with self.assertRaisesRegex(LabError, "0001-fuzzy.patch does not "
                                    "apply"):
            patches.sync(self.tree, [fuzzy], source_label="t")
        self.assertEqual((self.tree / "a.c").read_text(),
                         "one\ntwo\nthree\nfour\n")

    def test_series_lists_missing_patch_clearly(self):
        folder = self.tree / "kp"
        folder.mkdir()
        (folder / "series").write_text("# comment\n0001-x.patch\n")
        with self.assertRaisesRegex(LabError, "0001-x.patch is listed"):
            patches.read_series(folder)


if __name__ == "__main__":
    unittest.main()
