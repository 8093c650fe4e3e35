#include "experiments/antagonist/cpu_share.h"

#include <cstddef>

namespace ghost::antagonist {

std::vector<double> SharesBetween(const ShareSample& a, const ShareSample& b) {
  std::vector<double> shares;
  const int64_t wall = b.t_ns - a.t_ns;
  if (wall <= 0 || a.cpu_ns.size() != b.cpu_ns.size()) return shares;
  for (std::size_t i = 0; i < a.cpu_ns.size(); ++i) {
    shares.push_back(static_cast<double>(b.cpu_ns[i] - a.cpu_ns[i]) /
                     static_cast<double>(wall));
  }
  return shares;
}

double TotalCpus(const std::vector<double>& shares) {
  double sum = 0;
  for (double s : shares) sum += s;
  return sum;
}

}  // namespace ghost::antagonist
