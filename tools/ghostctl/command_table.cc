#include "tools/ghostctl/command_table.h"

#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "lib/uapi/linux/ghost.h"
#include "tools/ghostctl/commands.h"

namespace ghost::ctl {
namespace {

const OptionSpec kJson{"json", false, "", "machine-readable output"};
const OptionSpec kSocketDir{"socket_dir", true, "DIR",
                            "where agents serve their control sockets "
                            "(/run/ghost)"};

std::vector<Command> MakeCommands() {
  return {
      {"status",
       "[--json]",
       "ghostfs (mounted if needed), ABI versions, "
       "enclaves",
       "Mounts ghostfs if it is not mounted, shows the kernel's and "
       "ghostctl's ABI versions and the enclaves. Exits 1 if the versions "
       "differ.",
       {kJson},
       0,
       0,
       false,
       RunStatus},
      {"enclave create",
       "<id> [--cpus LIST]",
       "make enclave <id>",
       "Creates enclave <id> (a decimal number) and gives it the CPUs in "
       "LIST, e.g. 1-3,6. If the CPUs cannot be given, the enclave is not "
       "kept. Needs root with CAP_SYS_NICE.",
       {{"cpus", true, "LIST", "the enclave's CPUs"}},
       1,
       1,
       false,
       RunEnclaveCreate},
      {"enclave destroy",
       "<id>",
       "destroy an enclave; its threads go back "
       "to CFS",
       "Destroys enclave <id>: its CPUs are released and its threads run "
       "under CFS again. Needs root with CAP_SYS_NICE.",
       {},
       1,
       1,
       false,
       RunEnclaveDestroy},
      {"enclave list",
       "[--json]",
       "the enclaves, with CPUs and members",
       "One line per enclave: id, state, CPUs, agents, threads.",
       {kJson},
       0,
       0,
       false,
       RunEnclaveList},
      {"enclave status",
       "<id> [--json]",
       "CPUs, agents, threads, message and commit counters",
       "Everything about enclave <id>: its CPUs, agents, threads (and how "
       "many are runnable or on a CPU: this needs root, to read the status "
       "words), the tids, and the message and commit counters of its stats "
       "file. agent_online and runnable_timeout are shown if the kernel "
       "has them.",
       {kJson},
       1,
       1,
       false,
       RunEnclaveStatus},
      {"enclave cpus",
       "<id> <LIST>",
       "set an enclave's CPUs (\"\" for none)",
       "Gives enclave <id> exactly the CPUs in LIST (e.g. 1-3,6); an empty "
       "LIST releases them all. The CPUs must be online and in no other "
       "enclave; on error the old list stays.",
       {},
       2,
       2,
       false,
       RunEnclaveCpus},
      {"move",
       "<id> <pid|tid>... [--thread]",
       "move processes (all their threads) into an enclave",
       "Moves every thread of each process into enclave <id> (the threads "
       "in /proc/PID/task; a tid names its whole process). With --thread, "
       "moves just the given threads. Prints what happened to each thread; "
       "exits 1 if any failed. Needs root, CAP_SYS_NICE, or the same owner "
       "as the threads. A thread that is running when it moves keeps its "
       "CPU until it blocks; after that only an agent runs it.",
       {{"thread", false, "", "move only the given tids"}},
       2,
       -1,
       false,
       RunMove},
      {"run",
       "--enclave <id> [--qos <class>] [--] <command> [args...]",
       "run a command inside an enclave",
       "Starts <command> with its threads, and all children it starts, in "
       "enclave <id>, waits for it and exits with its exit status (128+N "
       "if signal N killed it; 127 if it could not be started). The "
       "command runs only when an agent schedules it. --qos gives the "
       "command's first thread a QoS class (0 first) in a hint region "
       "handed to the agent, for policies that read hints (shinjuku); "
       "an agent that does not is an error, and nothing starts.",
       {{"enclave", true, "ID", "the enclave to run in"},
        {"qos", true, "CLASS", "the first thread's QoS class (0-3)"},
        kSocketDir},
       0,
       0,
       true,
       RunRun},
      {"watch",
       "[<id>] [--interval DURATION] [--count N] [--json]",
       "a live view of enclaves and their commit results",
       "Every interval (default 1s; e.g. 500ms, 2s) shows each enclave (or "
       "just <id>): CPUs, agents, threads, runnable threads, and the "
       "change of its message and commit counters over the interval. "
       "--count N stops after N intervals. --json prints one JSON object "
       "per interval, one per line.",
       {{"interval", true, "DURATION", "time between samples (1s)"},
        {"count", true, "N", "stop after N samples"},
        kJson},
       0,
       1,
       false,
       RunWatch},
      {"ext status",
       "[--json]",
       "the sched_ext backend: state, scheduler, SCHED_EXT threads",
       "On a stock kernel the ghost agents run on sched_ext "
       "(ghost_agent --backend=sched_ext) and schedule every thread whose "
       "policy is SCHED_EXT. Shows whether sched_ext is there and which "
       "scheduler is loaded, counts the SCHED_EXT threads, and lists what "
       "this backend cannot do that the ghost kernel does.",
       {kJson},
       0,
       0,
       false,
       RunExtStatus},
      {"ext move",
       "<pid|tid>... [--thread]",
       "give processes (all their threads) the SCHED_EXT policy",
       "The sched_ext backend's move: sched_setscheduler(SCHED_EXT) for "
       "every thread of each process (with --thread, just the given "
       "threads). Their children inherit it. Without a ghost agent "
       "attached they run in the fair class.",
       {{"thread", false, "", "only the given tids"}},
       1,
       -1,
       false,
       RunExtMove},
      {"ext run",
       "[--] <command> [args...]",
       "run a command with the SCHED_EXT policy",
       "Starts <command> as a SCHED_EXT process (its children inherit the "
       "policy), waits for it and exits with its status.",
       {},
       0,
       0,
       true,
       RunExtRun},
      {"agent list",
       "[--socket_dir DIR]",
       "the running agents: policy, pid, CPUs, commits, since when",
       "Asks every agent that serves a control socket in DIR (default "
       "/run/ghost, one enclave_<id>.sock per enclave) who it is. Agents "
       "built on the runtime (ghost_agent, agent_fifo) serve one; the "
       "sockets are root's.",
       {kSocketDir},
       0,
       0,
       false,
       RunAgentList},
      {"agent status",
       "<id> [--json] [--socket_dir DIR]",
       "the agent of an enclave: policy, since when, CPUs, counters",
       "Asks the agent of enclave <id> through its control socket: its "
       "program and pid, policy, start time, CPUs, and its counters "
       "(tasks, messages, commits, failed commits, ...). Says what to do "
       "when no agent answers.",
       {kJson, kSocketDir},
       1,
       1,
       false,
       RunAgentStatus},
      {"agent stop",
       "<id> [--socket_dir DIR]",
       "stop the agent of an enclave",
       "Asks the agent of enclave <id> to stop, as SIGTERM does, and waits "
       "(up to 10 s) until it has. The agent then keeps or destroys the "
       "enclave as its --on_exit says.",
       {kSocketDir},
       1,
       1,
       false,
       RunAgentStop},
  };
}

const Command* Find(const std::string& name) {
  for (const Command& c : Commands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string GroupUsage(const std::string& group) {
  std::string out;
  for (const Command& c : Commands()) {
    if (group.empty() || absl::StartsWith(c.name, group + " ")) {
      absl::StrAppend(&out, absl::StrFormat("  %-16s %s\n", c.name, c.summary));
    }
  }
  return out;
}

// Pulls the global options (before the command words) out of `words`.
int ParseGlobal(std::vector<std::string>& words, std::string* ghostfs) {
  while (!words.empty() && absl::StartsWith(words.front(), "--ghostfs")) {
    std::string w = words.front();
    words.erase(words.begin());
    if (absl::StartsWith(w, "--ghostfs=")) {
      *ghostfs = w.substr(10);
    } else if (w == "--ghostfs" && !words.empty()) {
      *ghostfs = words.front();
      words.erase(words.begin());
    } else {
      return UsageError("", "--ghostfs needs a path");
    }
  }
  return kExitOk;
}

int RunCommand(const Command& c, const std::vector<std::string>& rest,
               const std::string& ghostfs) {
  absl::StatusOr<ParsedArgs> args =
      ParseArgs(rest, c.options, c.stop_at_first_positional);
  if (!args.ok()) {
    return UsageError(c.name, std::string(args.status().message()));
  }
  if (args->help) {
    printf("%s", CommandHelp(c).c_str());
    return kExitOk;
  }
  const int n = args->positional.size();
  if (n < c.min_positional || (c.max_positional >= 0 && n > c.max_positional)) {
    return UsageError(c.name, n < c.min_positional ? "missing arguments"
                                                   : "too many arguments");
  }
  return c.run(Invocation{ghostfs, *std::move(args)});
}

}  // namespace

const std::vector<Command>& Commands() {
  static const std::vector<Command>* commands =
      new std::vector<Command>(MakeCommands());
  return *commands;
}

std::string MainUsage() {
  return absl::StrCat(
      "usage: ghostctl [--ghostfs PATH] <command> [args]\n\ncommands:\n",
      GroupUsage(""),
      "\n'ghostctl <command> --help' tells more. Exit status: 0 ok, 1 the "
      "operation failed, 2 usage error.\n--ghostfs PATH: where ghostfs is or "
      "gets mounted (default " GHOSTFS_MOUNT_POINT ").\n");
}

namespace {

// `text` broken into lines of at most 76 columns.
std::string Wrap(const std::string& text) {
  std::string out, line;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (!line.empty() && line.size() + 1 + word.size() > 76) {
      absl::StrAppend(&out, line, "\n");
      line.clear();
    }
    absl::StrAppend(&line, line.empty() ? "" : " ", word);
  }
  return absl::StrCat(out, line, "\n");
}

}  // namespace

std::string CommandHelp(const Command& c) {
  std::string out = absl::StrCat("usage: ghostctl ", c.name, " ", c.synopsis,
                                 "\n\n", Wrap(c.details));
  if (!c.options.empty()) absl::StrAppend(&out, "\noptions:\n");
  for (const OptionSpec& o : c.options) {
    absl::StrAppend(
        &out, absl::StrFormat(
                  "  --%-20s %s\n",
                  absl::StrCat(o.name, o.takes_value ? " " : "", o.value_name),
                  o.help));
  }
  return out;
}

int Fail(const absl::Status& status) {
  fprintf(stderr, "ghostctl: %s\n", std::string(status.message()).c_str());
  return kExitFailed;
}

int UsageError(const std::string& command, const std::string& why) {
  const Command* c = Find(command);
  if (c == nullptr) {
    fprintf(stderr, "ghostctl: %s\n\n%s", why.c_str(), MainUsage().c_str());
  } else {
    fprintf(stderr,
            "ghostctl %s: %s\nusage: ghostctl %s %s\n(ghostctl %s "
            "--help tells more)\n",
            command.c_str(), why.c_str(), c->name.c_str(), c->synopsis.c_str(),
            c->name.c_str());
  }
  return kExitUsage;
}

int Dispatch(const std::vector<std::string>& input) {
  std::vector<std::string> words = input;
  std::string ghostfs = GHOSTFS_MOUNT_POINT;
  if (int rc = ParseGlobal(words, &ghostfs); rc != kExitOk) return rc;
  if (words.empty()) return UsageError("", "no command given");
  if (words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
    if (words.size() == 1) {
      printf("%s", MainUsage().c_str());
      return kExitOk;
    }
    words.erase(words.begin());
    words.push_back("--help");
  }
  if (words.size() >= 2) {
    if (const Command* c = Find(words[0] + " " + words[1])) {
      return RunCommand(*c, {words.begin() + 2, words.end()}, ghostfs);
    }
  }
  if (const Command* c = Find(words[0])) {
    return RunCommand(*c, {words.begin() + 1, words.end()}, ghostfs);
  }
  const std::string group = GroupUsage(words[0]);
  if (!group.empty()) {
    const bool help =
        words.size() == 2 && (words[1] == "--help" || words[1] == "-h");
    FILE* out = help ? stdout : stderr;
    if (!help) {
      fprintf(
          out, "ghostctl %s: %s\n", words[0].c_str(),
          words.size() == 1
              ? "which subcommand?"
              : absl::StrCat("unknown subcommand \"", words[1], "\"").c_str());
    }
    fprintf(out, "usage: ghostctl %s <subcommand> [args]\n\n%s commands:\n%s",
            words[0].c_str(), words[0].c_str(), group.c_str());
    return help ? kExitOk : kExitUsage;
  }
  // The forms before the enclave group ("ghostctl create 1", "show 1").
  const std::string old = words[0] == "show" ? "status" : words[0];
  if (Find("enclave " + old) != nullptr) {
    return UsageError(
        "", absl::StrCat("unknown command \"", words[0],
                         "\"; did you mean 'ghostctl enclave ", old, "'?"));
  }
  return UsageError("", absl::StrCat("unknown command \"", words[0], "\""));
}

}  // namespace ghost::ctl
