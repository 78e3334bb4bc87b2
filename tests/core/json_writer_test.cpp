// SPDX-License-Identifier: MIT
#include "resync/json_writer.hpp"

#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace resync {
namespace {

std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

std::string json_number(double v) {
  std::string out;
  append_json_number(out, v);
  return out;
}

TEST(JsonWriterTest, EscapesWhatRfc8259Requires) {
  EXPECT_EQ(json_string("plain"), "\"plain\"");
  EXPECT_EQ(json_string("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(json_string("line\nnext\r\ttab"), R"("line\nnext\r\ttab")");
  EXPECT_EQ(json_string(std::string_view("\x01\x1f\b\f", 4)), R"("\u0001\u001f\u0008\u000c")");
  EXPECT_EQ(json_string(std::string_view("nul\0end", 7)), R"("nul\u0000end")");
  EXPECT_EQ(json_string("caf\xc3\xa9 / \x7f"), "\"caf\xc3\xa9 / \x7f\"");  // UTF-8 and DEL pass through
}

TEST(JsonWriterTest, EscapedStringsParseBack) {
  const std::string nasty = std::string("q\"b\\n\n\x01\x1f tab\t") + "\xe2\x82\xac";
  Poco::JSON::Parser parser;  // Poco parses only objects and arrays at the top level
  const auto v = parser.parse("[" + json_string(nasty) + "]");
  EXPECT_EQ(v.extract<Poco::JSON::Array::Ptr>()->getElement<std::string>(0), nasty);
}

TEST(JsonWriterTest, NumbersAreShortestAndExact) {
  EXPECT_EQ(json_number(0), "0");
  EXPECT_EQ(json_number(42), "42");
  EXPECT_EQ(json_number(0.1), "0.1");
  EXPECT_EQ(json_number(-2.5), "-2.5");
  EXPECT_EQ(json_number(1e21), "1e+21");
  EXPECT_EQ(json_number(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(std::stod(json_number(123456.789e-3)), 123456.789e-3);
}

TEST(JsonWriterTest, NoNegativeZero) {
  EXPECT_EQ(json_number(-0.0), "0");
  EXPECT_EQ(json_number(-1e-320 * 0), "0");
}

TEST(JsonWriterTest, NaNAndInfinityAreNull) {
  EXPECT_EQ(json_number(std::nan("")), "null");
  EXPECT_EQ(json_number(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(json_number(-std::numeric_limits<double>::infinity()), "null");
}

TEST(JsonWriterTest, WritesCommasAndNesting) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("s", "x").field("n", 1.5).field("i", 7).field("b", true);
  w.key("empty").begin_object().end_object();
  w.key("list").begin_array();
  w.value(int64_t{-3}).value(uint64_t{18446744073709551615ull}).null().value(std::nan(""));
  w.begin_object().field("k", false).end_object();
  w.begin_array().end_array();
  w.end_array();
  w.key("raw").raw(R"({"pre":[1,2]})");
  w.end_object();
  EXPECT_EQ(out, R"({"s":"x","n":1.5,"i":7,"b":true,"empty":{},"list":[-3,18446744073709551615,null,null,)"
                 R"({"k":false},[]],"raw":{"pre":[1,2]}})");
  Poco::JSON::Parser parser;
  EXPECT_NO_THROW(parser.parse(out));
}

TEST(JsonWriterTest, TopLevelArrayOfObjects) {
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  for (int i = 0; i < 3; ++i) w.begin_object().field("i", i).end_object();
  w.end_array();
  EXPECT_EQ(out, R"([{"i":0},{"i":1},{"i":2}])");
}

}  // namespace
}  // namespace resync
