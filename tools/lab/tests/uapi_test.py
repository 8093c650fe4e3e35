"""The kernel's uapi header (as the patch series installs it) and the
library's copy must be identical, byte for byte."""

import difflib
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


if __name__ == "__main__":
    unittest.main()
