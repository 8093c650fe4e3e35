import unittest

from lab import debversion


class CompareTest(unittest.TestCase):

    def assertBefore(self, older, newer):
        self.assertEqual(debversion.compare(older, newer), -1,
                         f"{older} should sort before {newer}")
        self.assertEqual(debversion.compare(newer, older), 1)

    def test_point_releases_compare_as_numbers(self):
        self.assertBefore("6.12.99-1~deb12u1", "6.12.117-1~deb12u1")
        self.assertBefore("6.12.117-1~deb12u1", "6.12.118-1~deb12u1")

    def test_tilde_sorts_before_the_end(self):
        self.assertBefore("6.12.118-1~deb12u1", "6.12.118-1")
        self.assertBefore("1.0~rc1", "1.0")

    def test_revision_and_epoch(self):
        self.assertBefore("6.12.115-1~deb12u1", "6.12.115-2~deb12u1")
        self.assertBefore("6.12.118-1~deb12u1", "6.12.118-1~deb12u2")
        self.assertBefore("9.9-9", "1:0.1-1")

    def test_letters_sort_before_other_characters(self):
        self.assertBefore("1.0a", "1.0+")

    def test_equal(self):
        self.assertEqual(debversion.compare("6.12.117-1~deb12u1",
                                            "6.12.117-1~deb12u1"), 0)

    def test_newest_first_drops_duplicates(self):
        self.assertEqual(
            debversion.newest_first(["6.12.107-1~deb12u1",
                                     "6.12.118-1~deb12u1",
                                     "6.12.115-2~deb12u1",
                                     "6.12.118-1~deb12u1"]),
            ["6.12.118-1~deb12u1", "6.12.115-2~deb12u1",
             "6.12.107-1~deb12u1"])


if __name__ == "__main__":
    unittest.main()
