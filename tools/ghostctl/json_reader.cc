#include "tools/ghostctl/json_reader.h"

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ghost::ctl {
namespace {

class Parser {
 public:
  explicit Parser(absl::string_view text) : text_(text) {}

  absl::StatusOr<JsonValue> ParseAll() {
    absl::StatusOr<JsonValue> v = Value();
    if (!v.ok()) return v;
    SkipSpace();
    if (pos_ != text_.size()) return Error("trailing characters");
    return v;
  }

 private:
  absl::Status Error(absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON: ", what, " at offset ", pos_));
  }
  void SkipSpace() {
    while (pos_ < text_.size() && absl::ascii_isspace(text_[pos_])) ++pos_;
  }
  bool Consume(absl::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  absl::StatusOr<JsonValue> Value() {
    SkipSpace();
    if (pos_ >= text_.size()) return Error("unexpected end");
    JsonValue v;
    const char c = text_[pos_];
    if (c == '{') return Object();
    if (c == '[') return Array();
    if (c == '"') {
      absl::StatusOr<std::string> s = String();
      if (!s.ok()) return s.status();
      v.type = JsonValue::Type::kString;
      v.string = *s;
      return v;
    }
    if (Consume("null")) return v;
    v.type = JsonValue::Type::kBool;
    if (Consume("true")) {
      v.boolean = true;
      return v;
    }
    if (Consume("false")) return v;
    return Number();
  }

  absl::StatusOr<JsonValue> Number() {
    const size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    while (pos_ < text_.size() &&
           (absl::ascii_isdigit(text_[pos_]) || text_[pos_] == '.' ||
            text_[pos_] == 'e' || text_[pos_] == 'E' || text_[pos_] == '+' ||
            text_[pos_] == '-')) {
      ++pos_;
    }
    const std::string digits(text_.substr(start, pos_ - start));
    char* end = nullptr;
    JsonValue v;
    v.type = JsonValue::Type::kNumber;
    v.number = std::strtod(digits.c_str(), &end);
    if (digits.empty() || end != digits.c_str() + digits.size() ||
        !absl::ascii_isdigit(digits.back())) {
      pos_ = start;
      return Error("not a value");
    }
    return v;
  }

  absl::StatusOr<std::string> String() {
    ++pos_;  // the opening quote
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      char c = text_[pos_++];
      if (static_cast<unsigned char>(c) < 0x20) {
        return Error("control character in string");
      }
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) break;
      c = text_[pos_++];
      switch (c) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case '"':
        case '\\':
        case '/':
          out += c;
          break;
        case 'u': {
          int code;
          if (pos_ + 4 > text_.size() ||
              !absl::SimpleHexAtoi(text_.substr(pos_, 4), &code)) {
            return Error("bad \\u escape");
          }
          pos_ += 4;
          if (code >= 0x80) return Error("non-ASCII \\u escape unsupported");
          out += static_cast<char>(code);
          break;
        }
        default:
          return Error("bad escape");
      }
    }
    if (pos_ >= text_.size()) return Error("unterminated string");
    ++pos_;  // the closing quote
    return out;
  }

  absl::StatusOr<JsonValue> Array() {
    ++pos_;
    JsonValue v;
    v.type = JsonValue::Type::kArray;
    SkipSpace();
    if (Consume("]")) return v;
    while (true) {
      absl::StatusOr<JsonValue> e = Value();
      if (!e.ok()) return e;
      v.array.push_back(*std::move(e));
      SkipSpace();
      if (Consume("]")) return v;
      if (!Consume(",")) return Error("expected , or ]");
    }
  }

  absl::StatusOr<JsonValue> Object() {
    ++pos_;
    JsonValue v;
    v.type = JsonValue::Type::kObject;
    SkipSpace();
    if (Consume("}")) return v;
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') {
        return Error("expected a key");
      }
      absl::StatusOr<std::string> key = String();
      if (!key.ok()) return key.status();
      SkipSpace();
      if (!Consume(":")) return Error("expected :");
      absl::StatusOr<JsonValue> e = Value();
      if (!e.ok()) return e;
      if (!v.object.emplace(*key, *std::move(e)).second) {
        return Error(absl::StrCat("duplicate key \"", *key, "\""));
      }
      SkipSpace();
      if (Consume("}")) return v;
      if (!Consume(",")) return Error("expected , or }");
    }
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

const JsonValue* JsonValue::Get(const std::string& key) const {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &it->second;
}

absl::StatusOr<JsonValue> ParseJson(absl::string_view text) {
  return Parser(text).ParseAll();
}

}  // namespace ghost::ctl
