#include "lib/util/json_writer.h"

#include <cmath>

#include "gtest/gtest.h"

namespace ghost {
namespace {

TEST(JsonWriter, ObjectWithEveryKindOfValue) {
  JsonWriter j;
  j.BeginObject();
  j.Key("s");
  j.String("cfs");
  j.Key("i");
  j.Int(-12);
  j.Key("d");
  j.Double(0.25);
  j.Key("b");
  j.Bool(true);
  j.Key("n");
  j.Null();
  j.EndObject();
  EXPECT_EQ(j.str(), R"({"s":"cfs","i":-12,"d":0.25,"b":true,"n":null})");
}

TEST(JsonWriter, NestedArraysAndObjectsGetTheirCommas) {
  JsonWriter j;
  j.BeginObject();
  j.Key("a");
  j.BeginArray();
  j.Int(1);
  j.BeginObject();
  j.Key("x");
  j.BeginArray();
  j.EndArray();
  j.EndObject();
  j.Int(2);
  j.EndArray();
  j.Key("z");
  j.Int(3);
  j.EndObject();
  EXPECT_EQ(j.str(), R"({"a":[1,{"x":[]},2],"z":3})");
}

TEST(JsonWriter, NonFiniteDoublesBecomeNull) {
  JsonWriter j;
  j.BeginArray();
  j.Double(NAN);
  j.Double(INFINITY);
  j.EndArray();
  EXPECT_EQ(j.str(), "[null,null]");
}

TEST(JsonWriter, StringsAreEscaped) {
  JsonWriter j;
  j.String("a\"b\\c\nd\x01");
  EXPECT_EQ(j.str(), "\"a\\\"b\\\\c\\nd\\u0001\"");
}

}  // namespace
}  // namespace ghost
