#include "experiments/microbench/bench_report.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ghost::bench {

Summary Summarize(absl::Span<const uint64_t> samples) {
  Summary s;
  if (samples.empty()) return s;
  std::vector<uint64_t> sorted(samples.begin(), samples.end());
  std::sort(sorted.begin(), sorted.end());
  const size_t n = sorted.size();
  s.count = static_cast<int>(n);
  double sum = 0;
  for (uint64_t v : sorted) sum += static_cast<double>(v);
  s.mean = sum / static_cast<double>(n);
  s.median = n % 2 == 1 ? static_cast<double>(sorted[n / 2])
                        : (static_cast<double>(sorted[n / 2 - 1]) +
                           static_cast<double>(sorted[n / 2])) / 2;
  // Nearest rank: the smallest value with at least 99% of samples <= it.
  const size_t rank = static_cast<size_t>(std::ceil(0.99 * static_cast<double>(n)));
  s.p99 = static_cast<double>(sorted[std::max<size_t>(rank, 1) - 1]);
  s.min = static_cast<double>(sorted.front());
  s.max = static_cast<double>(sorted.back());
  return s;
}

double Ratio(const Summary& a, const Summary& b, bool use_median) {
  if (a.count == 0 || b.count == 0) return 0;
  const double num = use_median ? a.median : a.mean;
  const double den = use_median ? b.median : b.mean;
  return den > 0 ? num / den : 0;
}

namespace {

std::string Ns(const Summary& s, bool median) {
  if (s.count == 0) return "-";
  return absl::StrFormat("%.0f", median ? s.median : s.mean);
}

std::string RatioText(const Row& r, bool median) {
  const double ratio = Ratio(r.value, r.baseline, median);
  return ratio > 0 ? absl::StrFormat("%.2fx", ratio) : "-";
}

std::string JsonSummary(const Summary& s) {
  return absl::StrFormat(
      "{\"count\": %d, \"mean_ns\": %.1f, \"median_ns\": %.1f, "
      "\"p99_ns\": %.1f, \"min_ns\": %.1f, \"max_ns\": %.1f}",
      s.count, s.mean, s.median, s.p99, s.min, s.max);
}

}  // namespace

std::string FormatTable(absl::Span<const Row> rows) {
  std::string out = absl::StrFormat("%-40s %9s %9s %9s  %-28s %9s %9s %7s %7s\n",
                                    "measurement", "median", "mean", "p99",
                                    "baseline", "median", "mean", "ratio",
                                    "(mean)");
  std::vector<const Row*> failed;
  for (const Row& r : rows) {
    if (!r.failure.empty()) {
      absl::StrAppendFormat(&out, "%-40s FAILED (see below)\n", r.name);
      failed.push_back(&r);
      continue;
    }
    absl::StrAppendFormat(
        &out, "%-40s %9s %9s %9s  %-28s %9s %9s %7s %7s\n", r.name,
        Ns(r.value, true), Ns(r.value, false),
        r.value.count ? absl::StrFormat("%.0f", r.value.p99) : "-",
        r.baseline_name.empty() ? "-" : r.baseline_name,
        r.baseline_name.empty() ? "-" : Ns(r.baseline, true),
        r.baseline_name.empty() ? "-" : Ns(r.baseline, false),
        RatioText(r, true), RatioText(r, false));
  }
  for (const Row* r : failed) {
    absl::StrAppend(&out, "FAILED ", r->name, ": ", r->failure, "\n");
  }
  return out;
}

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string FormatJson(
    absl::Span<const std::pair<std::string, std::string>> meta,
    absl::Span<const Row> rows) {
  std::string out = "{\n";
  for (const auto& [key, value] : meta) {
    absl::StrAppend(&out, "  ", JsonString(key), ": ", JsonString(value), ",\n");
  }
  out += "  \"results\": [\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    absl::StrAppend(&out, "    {\"name\": ", JsonString(r.name));
    if (!r.failure.empty()) {
      absl::StrAppend(&out, ", \"failure\": ", JsonString(r.failure));
    } else {
      absl::StrAppend(&out, ", \"value\": ", JsonSummary(r.value));
      if (!r.baseline_name.empty()) {
        absl::StrAppend(&out, ", \"baseline_name\": ", JsonString(r.baseline_name),
                        ", \"baseline\": ", JsonSummary(r.baseline),
                        absl::StrFormat(", \"ratio_median\": %.3f, \"ratio_mean\": %.3f",
                                        Ratio(r.value, r.baseline, true),
                                        Ratio(r.value, r.baseline, false)));
      }
    }
    absl::StrAppend(&out, "}", i + 1 < rows.size() ? "," : "", "\n");
  }
  out += "  ]\n}\n";
  return out;
}

}  // namespace ghost::bench
