// ghostctl: the user's command line for ghost. `ghostctl --help` lists the
// commands; the user guide is docs/guide.md.
#include <cstdio>
#include <string>
#include <vector>

#include "tools/ghostctl/command_table.h"

int main(int argc, char** argv) {
  // Per-thread reports go to stdout and failures to stderr: line buffering
  // keeps them in order when both go to one file or pipe.
  setvbuf(stdout, nullptr, _IOLBF, 0);
  std::vector<std::string> words(argv + 1, argv + argc);
  return ghost::ctl::Dispatch(words);
}
