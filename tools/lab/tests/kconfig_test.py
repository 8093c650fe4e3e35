import unittest

from lab import kconfig


class ParseTest(unittest.TestCase):

    def test_reads_set_unset_and_values(self):
        opts = kconfig.parse("# comment\nCONFIG_A=y\n# CONFIG_B is not set\n"
                             "CONFIG_C=16\nCONFIG_D=\"x y\"\n\n")
        self.assertEqual(opts, {"CONFIG_A": "y", "CONFIG_B": "n",
                                "CONFIG_C": "16", "CONFIG_D": '"x y"'})

    def test_rejects_a_line_that_is_not_kconfig(self):
        with self.assertRaisesRegex(kconfig.FragmentError, "f.config:2"):
            kconfig.parse("CONFIG_A=y\nA=y\n", "f.config")


class ScriptsConfigArgsTest(unittest.TestCase):

    def test_maps_each_kind_of_value(self):
        args = kconfig.scripts_config_args(
            {"CONFIG_A": "y", "CONFIG_B": "n", "CONFIG_C": "16",
             "CONFIG_D": '"s"', "CONFIG_E": "m"})
        self.assertEqual(args, ["--enable", "A", "--disable", "B",
                                "--set-val", "C", "16", "--set-str", "D", "s",
                                "--module", "E"])


class MismatchesTest(unittest.TestCase):

    def test_reports_dropped_and_changed_options_only(self):
        final = "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=8\n"
        wrong = kconfig.mismatches(
            {"CONFIG_A": "y", "CONFIG_B": "n", "CONFIG_C": "16",
             "CONFIG_D": "y", "CONFIG_E": "n"}, final)
        self.assertEqual(wrong, [("CONFIG_C", "16", "8"),
                                 ("CONFIG_D", "y", "n")])


if __name__ == "__main__":
    unittest.main()
