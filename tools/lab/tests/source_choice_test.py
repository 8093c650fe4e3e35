import unittest

from lab import source_choice
from lab.progress import LabError

PINNED = "6.12.117-1~deb12u1"
MADISON = """\
linux-source-6.12 | 6.12.118-1~deb12u1 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-source-6.12 | 6.12.117-1~deb12u1 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-source-6.12 | 6.12.115-2~deb12u1 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
"""


class Applies:
    """conflict_of for tests: the series applies to `good` versions only;
    records which versions were asked, in order."""

    def __init__(self, good=()):
        self.good = set(good)
        self.asked = []

    def __call__(self, version):
        self.asked.append(version)
        if version in self.good:
            return None
        return f"kernel patch 0002 does not apply to {version}: conflict " \
               "in kernel/sched/core.c"


class ChooseTest(unittest.TestCase):

    def test_the_pinned_version_is_built_while_apt_has_it(self):
        applies = Applies()
        choice = source_choice.choose(
            PINNED, source_choice.parse_madison(MADISON), applies)
        self.assertEqual(choice.version, PINNED)
        self.assertIsNone(choice.note)
        self.assertEqual(applies.asked, [], "no unpacking when pinned")

    def test_pinned_even_when_a_newer_one_is_installed(self):
        choice = source_choice.choose(
            PINNED, ["6.12.118-1~deb12u1", PINNED], Applies())
        self.assertEqual(choice.version, PINNED)

    def test_the_pinned_version_is_gone_the_newest_that_applies_is_built(self):
        applies = Applies(good={"6.12.118-1~deb12u1"})
        available = ["6.12.115-2~deb12u1", "6.12.118-1~deb12u1"]
        choice = source_choice.choose(PINNED, available, applies)
        self.assertEqual(choice.version, "6.12.118-1~deb12u1")
        self.assertIn(PINNED, choice.note)
        self.assertIn("6.12.118-1~deb12u1", choice.note)
        self.assertEqual(len(choice.note.splitlines()), 1)
        self.assertEqual(applies.asked, ["6.12.118-1~deb12u1"])

    def test_a_newest_that_conflicts_falls_back_to_an_older_one(self):
        applies = Applies(good={"6.12.115-2~deb12u1"})
        choice = source_choice.choose(
            PINNED, ["6.12.115-2~deb12u1", "6.12.119-1~deb12u1",
                     "6.12.118-1~deb12u1"], applies)
        self.assertEqual(choice.version, "6.12.115-2~deb12u1")
        self.assertEqual(applies.asked, ["6.12.119-1~deb12u1",
                                         "6.12.118-1~deb12u1",
                                         "6.12.115-2~deb12u1"])

    def test_no_version_takes_the_series_stops_with_the_newest_conflict(self):
        with self.assertRaises(LabError) as caught:
            source_choice.choose(
                PINNED, ["6.12.118-1~deb12u1", "6.12.119-1~deb12u1"],
                Applies())
        text = str(caught.exception)
        self.assertIn("does not apply to 6.12.119-1~deb12u1", text)
        self.assertIn("kernel/sched/core.c", text)
        self.assertIn("kernel-patches/source-version", text)
        self.assertIn("rebase", text)

    def test_apt_offers_nothing(self):
        with self.assertRaises(LabError) as caught:
            source_choice.choose(PINNED, [], Applies())
        self.assertIn("apt-get update", str(caught.exception))


class ParseMadisonTest(unittest.TestCase):

    def test_versions_in_order_of_the_listing(self):
        self.assertEqual(source_choice.parse_madison(MADISON),
                         ["6.12.118-1~deb12u1", PINNED, "6.12.115-2~deb12u1"])

    def test_other_packages_and_junk_are_ignored(self):
        text = ("linux-source-6.1 | 6.1.1-1 | x\nnot a line\n\n"
                "linux-source-6.12 | 6.12.1-1 | x Sources\n")
        self.assertEqual(source_choice.parse_madison(text), ["6.12.1-1"])


if __name__ == "__main__":
    unittest.main()
