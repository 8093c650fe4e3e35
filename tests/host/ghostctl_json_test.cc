#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/util/json_writer.h"
#include "tools/ghostctl/json_reader.h"

namespace ghost::ctl {
namespace {

TEST(JsonWriter, WritesNestedValuesWithCommas) {
  JsonWriter w;
  w.BeginObject()
      .Key("id")
      .Int(7)
      .Key("cpus")
      .BeginArray()
      .Int(1)
      .Int(2)
      .EndArray()
      .Key("ok")
      .Bool(true)
      .Key("x")
      .Null()
      .Key("inner")
      .BeginObject()
      .EndObject()
      .EndObject();
  EXPECT_EQ(w.str(), R"({"id":7,"cpus":[1,2],"ok":true,"x":null,"inner":{}})");
}

TEST(JsonWriter, EscapesStrings) {
  EXPECT_EQ(JsonQuote("a\"b\\c\n\x01"), R"("a\"b\\c\n\u0001")");
}

TEST(JsonWriter, OptionalIntIsNullWhenAbsent) {
  JsonWriter w;
  w.BeginArray().OptionalInt(std::nullopt).OptionalInt(3).EndArray();
  EXPECT_EQ(w.str(), "[null,3]");
}

TEST(JsonReader, ReadsBackWhatTheWriterWrote) {
  JsonWriter w;
  w.BeginObject()
      .Key("name")
      .String("tab\there \"q\"")
      .Key("n")
      .Int(-42)
      .Key("list")
      .BeginArray()
      .Bool(false)
      .Double(0.5)
      .EndArray()
      .EndObject();
  absl::StatusOr<JsonValue> v = ParseJson(w.str());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->Get("name")->string, "tab\there \"q\"");
  EXPECT_EQ(v->Get("n")->number, -42);
  ASSERT_EQ(v->Get("list")->array.size(), 2u);
  EXPECT_EQ(v->Get("list")->array[0].type, JsonValue::Type::kBool);
  EXPECT_FALSE(v->Get("list")->array[0].boolean);
  EXPECT_EQ(v->Get("list")->array[1].number, 0.5);
  EXPECT_EQ(v->Get("missing"), nullptr);
}

TEST(JsonReader, RejectsBrokenJson) {
  for (const char* bad : {"", "{", "{\"a\":}", "[1,]", "{\"a\":1,\"a\":2}",
                          "tru", "[1] 2", "\"unterminated", "{a:1}", "-"}) {
    EXPECT_FALSE(ParseJson(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace ghost::ctl
