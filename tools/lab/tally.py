"""The test command's account of every case, and its closing line."""

from lab.progress import say


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failures = []  # "tier: name — why"

    def add(self, tier, name, ok, why=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            self.failures.append(f"{tier}: {name}" + (f" ({why})" if why
                                                      else ""))

    def add_counts(self, tier, passed, failed, failed_names):
        self.passed += passed
        self.failed += failed
        self.failures += [f"{tier}: {n}" for n in failed_names]

    def finish(self):
        """Prints the failures and the closing line; returns the exit code."""
        if self.failures:
            say("failed:")
            for failure in self.failures:
                say(f"  - {failure}")
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 0 if self.failed == 0 else 1
