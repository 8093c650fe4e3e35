// JsonWriter: builds one compact JSON text (ghostctl's --json output, the
// experiments' result files). Keys are written in the order given, so the
// output is stable; NaN and infinities become null.
//
//   JsonWriter w;
//   w.BeginObject().Key("id").Int(7).Key("cpus").String("1-3").EndObject();
//   w.str();  // {"id":7,"cpus":"1-3"}
#ifndef GHOST_LIB_UTIL_JSON_WRITER_H_
#define GHOST_LIB_UTIL_JSON_WRITER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ghost {

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

}  // namespace ghost

#endif  // GHOST_LIB_UTIL_JSON_WRITER_H_
