#include "tests/vm/fuzz/surface_fds.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "tests/vm/fuzz/layout.h"

namespace ghost::fuzz {

SurfaceFds::SurfaceFds() {
  others.push_back(open("/dev/null", O_RDONLY | O_CLOEXEC));
  others.push_back(open("/proc/self/stat", O_RDONLY | O_CLOEXEC));
  others.push_back(open(kMount.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  others.push_back(open((kMount + "/version").c_str(), O_RDONLY | O_CLOEXEC));
  const std::string home = EnclaveDir(kHomeId);
  others.push_back(
      open((home + "/sw_regions").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  others.push_back(open((home + "/cpulist").c_str(), O_RDONLY | O_CLOEXEC));
  std::erase(others, -1);
}

SurfaceFds::~SurfaceFds() {
  for (int fd : others) close(fd);
  for (int fd : dirs) close(fd);
  for (int fd : queues) close(fd);
}

}  // namespace ghost::fuzz
