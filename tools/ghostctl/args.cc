#include "tools/ghostctl/args.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ghost::ctl {
namespace {

const OptionSpec* Find(const std::vector<OptionSpec>& spec,
                       const std::string& name) {
  for (const OptionSpec& o : spec) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

}  // namespace

std::optional<std::string> ParsedArgs::Get(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& words,
                                     const std::vector<OptionSpec>& spec,
                                     bool stop_at_first_positional) {
  ParsedArgs parsed;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w == "--") {
      parsed.dashdash = true;
      parsed.rest.assign(words.begin() + i + 1, words.end());
      break;
    }
    if (w == "-h" || w == "--help") {
      parsed.help = true;
      continue;
    }
    if (!absl::StartsWith(w, "--") || w.size() == 2) {
      if (absl::StartsWith(w, "-") && w.size() > 1 &&
          !(w[1] >= '0' && w[1] <= '9')) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown option ", w, " (options are spelt --name)"));
      }
      if (stop_at_first_positional) {
        parsed.rest.assign(words.begin() + i, words.end());
        break;
      }
      parsed.positional.push_back(w);
      continue;
    }
    std::string name = w.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const OptionSpec* o = Find(spec, name);
    if (o == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown option --", name));
    }
    if (o->takes_value && !value.has_value()) {
      if (i + 1 == words.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--", name, " needs a value (--", name, " ", o->value_name, ")"));
      }
      value = words[++i];
    }
    if (!o->takes_value && value.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " takes no value"));
    }
    parsed.options[name] = value.value_or("");
  }
  return parsed;
}

}  // namespace ghost::ctl
