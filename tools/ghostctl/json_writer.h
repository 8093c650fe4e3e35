// JsonWriter: builds one compact JSON text for ghostctl's --json output.
// Keys are written in the order given, so the output is stable.
//
//   JsonWriter w;
//   w.BeginObject().Key("id").Int(7).Key("cpus").String("1-3").EndObject();
//   w.str();  // {"id":7,"cpus":"1-3"}
#ifndef GHOST_TOOLS_GHOSTCTL_JSON_WRITER_H_
#define GHOST_TOOLS_GHOSTCTL_JSON_WRITER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ghost::ctl {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(absl::string_view key);
  JsonWriter& String(absl::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // An int, or null if absent.
  JsonWriter& OptionalInt(const std::optional<int64_t>& value);

  const std::string& str() const { return out_; }

 private:
  void BeforeValue();

  std::string out_;
  // One entry per open object/array: true once it holds an element.
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

// `text` as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view text);

}  // namespace ghost::ctl

#endif  // GHOST_TOOLS_GHOSTCTL_JSON_WRITER_H_
