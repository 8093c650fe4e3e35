#include "tests/vm/fuzz/inputs.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/vm/fuzz/layout.h"

namespace ghost::fuzz {
namespace {

// Never lets a digit run mean CPU 0, nor "all" mean every CPU: whatever
// the kernel makes of a fuzzed list, CPU 0 stays out of every enclave.
std::string AvoidCpu0(std::string s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (!absl::ascii_isdigit(s[i])) {
      out += s[i++];
      continue;
    }
    size_t j = i;
    while (j < s.size() && absl::ascii_isdigit(s[j])) ++j;
    const std::string run = s.substr(i, j - i);
    out += run.find_first_not_of('0') == std::string::npos ? "1" : run;
    i = j;
  }
  for (size_t pos; (pos = absl::AsciiStrToLower(out).find("all")) !=
                   std::string::npos;) {
    out[pos] = 'x';
  }
  return out;
}

// A few random edits of `s`: flipped, inserted, deleted or doubled bytes.
std::string Mutate(FuzzRng& rng, std::string s) {
  const int edits = static_cast<int>(rng.Range(1, 3));
  for (int i = 0; i < edits; ++i) {
    const size_t at = s.empty() ? 0 : rng.Below(s.size() + 1);
    switch (rng.Below(5)) {
      case 0:
        if (!s.empty()) s[std::min(at, s.size() - 1)] = rng.Next();
        break;
      case 1:
        s.insert(at, 1, rng.Pick({' ', '\n', '\0', '-', '+', ',', '9', 'x'}));
        break;
      case 2:
        if (at < s.size()) s.erase(at, 1);
        break;
      case 3:
        s += s;
        break;
      default:
        s.insert(at, absl::StrCat(rng.Edgy32()));
        break;
    }
  }
  return s;
}

unsigned int RandomId(FuzzRng& rng) {
  if (rng.OneIn(4)) {
    return rng.Pick<unsigned int>({0, 1, 4294967295u, 2147483648u, 99});
  }
  return kPoolBase + static_cast<unsigned int>(rng.Below(kPoolSize));
}

}  // namespace

std::vector<std::string> BadCtlInputs(const std::string& id) {
  return {"\n", "create", "destroy", "create ", "create x", "create -1",
          "destroy -0", absl::StrCat("create +", id),
          absl::StrCat("create ", id, " ", id), "create 0x10",
          "create 4294967296", "create 99999999999999999999", "frobnicate 1",
          "CREATE 1", "create 1.5", "create 1e3",
          absl::StrCat("destroy ", id, " now"),
          absl::StrCat("create ", id, " ephemeral x"),
          absl::StrCat("create ", id, " Ephemeral"),
          absl::StrCat("destroy ", id, " ephemeral")};
}

// Out of range (the VM has CPUs 0-3) or malformed. Commas and blanks only
// separate, so "1,,2" and "2 3" are fine; "1-3:0/1" is the empty set.
const std::vector<std::string> kBadCpulists = {
    "4",  "1-4", "15",   "16",   "4096", "99999999999", "1-3,7", "3,2147483647",
    "1-", "-1",  "a",    "3-1",  "1--2", "1:2",         "1-3:1/0", "1-3:2/1",
    "+"};

const std::vector<std::string> kBadTids = {
    "0",  "-1",  "-2147483648", "2147483647", "abc", "1 2",
    "0x10", "99999999999", "\n"};

const std::vector<std::string> kBadTicks = {"2",  "-1",  "01",   "\n", "yes",
                                            "1 1", "10", "true", "\x01"};

const std::vector<std::string> kBadTimeouts = {
    "3600001", "4294967295", "4294967296", "-1", "abc",
    "\n",      "1ms",        "1 2",        "0x10"};

const std::vector<std::string> kBadEnclaveCtl = {
    "destroy x", "destroyx", "create 1", "DESTROY", "destroy 1", "\n"};

Input TopCtlInput(FuzzRng& rng) {
  const std::string id = absl::StrCat(RandomId(rng));
  const char* verb = rng.OneIn(2) ? "create" : "destroy";
  switch (rng.Below(7)) {
    case 0:
    case 1:
      // An ephemeral enclave goes when this write's file is closed.
      return {absl::StrCat(verb, " ", id,
                           rng.OneIn(4) ? " ephemeral" : "",
                           rng.OneIn(2) ? "\n" : ""),
              false};
    case 2:
      return {rng.Pick(BadCtlInputs(id)), true};
    case 3:
      return {absl::StrCat(verb, " ", id, std::string(1, '\0'), "7"), false};
    case 4:
      // Longer than the page kernfs passes on: the tail is cut off.
      return {rng.OneIn(2) ? absl::StrCat(verb, " ", id, std::string(5000, ' '))
                           : absl::StrCat(verb, " ", std::string(5000, '7')),
              false};
    default:
      return {Mutate(rng, absl::StrCat(verb, " ", id)), false};
  }
}

Input CpulistInput(FuzzRng& rng) {
  switch (rng.Below(6)) {
    case 0:
    case 1:
      return {rng.OneIn(6) ? "" : RandomCpuSet(rng), false};
    case 2:
    case 3:
      return {rng.Pick(kBadCpulists), true};
    default:
      return {AvoidCpu0(Mutate(rng, RandomCpuSet(rng))), false};
  }
}

Input TasksInput(World& w, FuzzRng& rng) {
  switch (rng.Below(8)) {
    case 0:
    case 1: {
      const pid_t tid = w.SleepingWorker(rng);
      if (tid == 0) return {"-1", true};
      return {absl::StrCat(rng.OneIn(8) ? "+" : "", tid,
                           rng.OneIn(2) ? "\n" : ""),
              false};
    }
    case 2:  // kernel threads
      return {absl::StrCat(w.kthreads.empty() ? 2 : rng.Pick(w.kthreads)),
              true};
    case 3:  // no such thread
      return {absl::StrCat(w.pid_max + rng.Range(1, 1000)), true};
    case 4:
      return {rng.Pick(kBadTids), true};
    default: {
      const pid_t tid = w.SleepingWorker(rng);
      if (tid == 0) return {"x", true};
      // A mutated tid may name any thread; only workers' are safe to move.
      return {absl::StrCat(tid, std::string(1, rng.Pick({' ', '\n', 'x'}))),
              false};
    }
  }
}

Input TicksInput(FuzzRng& rng) {
  if (rng.OneIn(2)) {
    return {rng.Pick<std::string>({"0", "1", "0\n", "1\n", " 1 "}), false};
  }
  return {rng.Pick(kBadTicks), true};
}

Input TimeoutInput(FuzzRng& rng) {
  switch (rng.Below(3)) {
    case 0:
      return {absl::StrCat(rng.Pick<uint32_t>({0, 1, 5, 50, 200, 1000, 10000,
                                               3600000})),
              false};
    case 1:
      return {rng.Pick(kBadTimeouts), true};
    default:
      return {absl::StrCat(rng.Range(0, 3600000), rng.OneIn(2) ? "\n" : ""),
              false};
  }
}

// A random non-empty subset of CPUs 1-3 as a list.
std::string RandomCpuSet(FuzzRng& rng) {
  std::vector<std::string> cpus;
  const uint64_t mask = rng.Range(1, 7);
  for (int c = 1; c <= kLastCpu; ++c) {
    if (mask & (1u << (c - 1))) cpus.push_back(absl::StrCat(c));
  }
  return absl::StrJoin(cpus, ",");
}

}  // namespace ghost::fuzz
