"""The kernel's uapi header (as the patch series installs it) and the
library's copy must be identical, byte for byte."""

import difflib
import re
import unittest

from lab import paths, uapi


class UapiHeaderTest(unittest.TestCase):

    def test_library_copy_matches_the_header_the_patches_install(self):
        kernel = uapi.header_from_series(paths.PATCH_DIR)
        self.assertIsNotNone(kernel, "no patch in kernel-patches/series "
                             f"creates {uapi.UAPI_PATH}")
        library = (paths.REPO / "lib/uapi/linux/ghost.h").read_text()
        diff = "".join(difflib.unified_diff(
            kernel.splitlines(True), library.splitlines(True),
            "kernel-patches (" + uapi.UAPI_PATH + ")",
            "lib/uapi/linux/ghost.h"))
        self.assertEqual(kernel, library,
                         "the two copies of the ghost uapi header differ; "
                         "change both in the same commit:\n" + diff)


class DocsAbiVersionTest(unittest.TestCase):

    def test_the_guides_sample_output_shows_the_current_abi_version(self):
        header = (paths.REPO / "lib/uapi/linux/ghost.h").read_text()
        version = re.search(r"#define GHOST_ABI_VERSION\s+(\d+)", header)
        self.assertIsNotNone(version)
        guide = (paths.REPO / "docs/guide.md").read_text()
        shown = re.findall(r"kernel ABI version: (\d+)", guide)
        self.assertTrue(shown, "docs/guide.md shows no ghostctl status")
        self.assertEqual(set(shown), {version.group(1)},
                         "docs/guide.md's sample `ghostctl status` output "
                         "shows another ABI version than "
                         "lib/uapi/linux/ghost.h")


if __name__ == "__main__":
    unittest.main()
