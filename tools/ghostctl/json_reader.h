// JsonValue and ParseJson: a small, strict JSON reader, for tests that
// check ghostctl's --json output parses and holds the documented keys.
// (Test-only: ghostctl itself never reads JSON.)
//
//   absl::StatusOr<JsonValue> v = ParseJson(R"({"id":7})");
//   v->Get("id")->number;  // 7
#ifndef GHOST_TOOLS_GHOSTCTL_JSON_READER_H_
#define GHOST_TOOLS_GHOSTCTL_JSON_READER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ghost::ctl {

struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<JsonValue> array;
  std::map<std::string, JsonValue> object;

  // The member `key` of an object, or nullptr.
  const JsonValue* Get(const std::string& key) const;
};

// The whole of `text` must be one JSON value (surrounding whitespace
// allowed); InvalidArgument with the offset otherwise.
absl::StatusOr<JsonValue> ParseJson(absl::string_view text);

}  // namespace ghost::ctl

#endif  // GHOST_TOOLS_GHOSTCTL_JSON_READER_H_
