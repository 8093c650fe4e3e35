// ghostctl: the user's command line for ghost. `ghostctl --help` lists the
// commands; the user guide is docs/guide.md.
#include <string>
#include <vector>

#include "tools/ghostctl/command_table.h"

int main(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  return ghost::ctl::Dispatch(words);
}
