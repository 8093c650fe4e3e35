// A small JSON writer for the experiment's result files: objects, arrays,
// numbers, strings (escaped) and null, written in order with commas placed
// for the caller. Not a general library: keys are trusted identifiers.
//
//   JsonWriter j;
//   j.BeginObject();
//   j.Key("mode"); j.String("cfs");
//   j.Key("p99_ns"); j.Int(1200);
//   j.EndObject();
//   j.str()  // {"mode":"cfs","p99_ns":1200}
#ifndef GHOST_EXPERIMENTS_ROCKSDB_JSON_WRITER_H_
#define GHOST_EXPERIMENTS_ROCKSDB_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ghost::rocksdb_exp {

class JsonWriter {
 public:
  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  void Key(absl::string_view key);
  void String(absl::string_view value);
  void Int(int64_t value);
  void Double(double value);  // NaN and infinities become null
  void Bool(bool value);
  void Null();

  const std::string& str() const { return out_; }

 private:
  void BeforeValue();

  std::string out_;
  // One entry per open object/array: true once it has an element.
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

// `s` with JSON escapes (quotes, backslash, control characters).
std::string JsonEscape(absl::string_view s);

}  // namespace ghost::rocksdb_exp

#endif  // GHOST_EXPERIMENTS_ROCKSDB_JSON_WRITER_H_
