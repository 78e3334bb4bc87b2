// SPDX-License-Identifier: MIT
#include "resync/json_writer.hpp"

#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "resync/util/utf8.hpp"

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
  EXPECT_EQ(json_string("caf\xc3\xa9 / \x7f"),
            "\"caf\xc3\xa9 / \\u007f\"");  // UTF-8 passes, DEL is escaped
}

TEST(JsonWriterTest, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(json_string("a\xff"
                        "b"),
            R"("a\ufffdb")");
  EXPECT_EQ(json_string("\xc3"), R"("\ufffd")");        // truncated at the end
  EXPECT_EQ(json_string("\xe2\x82x"), R"("\ufffdx")");  // one U+FFFD per maximal subpart
  EXPECT_EQ(json_string("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");   // a UTF-16 surrogate
  EXPECT_EQ(json_string("\xc0\xaf"), R"("\ufffd\ufffd")");             // overlong "/"
  EXPECT_EQ(json_string("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");  // valid 4-byte sequence kept
  EXPECT_EQ(json_string("\xe2\x80\xa8\xe2\x80\xa9"), R"("\u2028\u2029")");
}

// Whatever bytes a target sends, the string is valid JSON: only printable ASCII and valid UTF-8.
TEST(JsonWriterTest, AnyBytesGiveValidJson) {
  uint32_t state = 12345;
  for (int round = 0; round < 2000; ++round) {
    std::string bytes;
    for (int i = 0; i < 40; ++i) {
      state = state * 1103515245u + 12345u;
      bytes += static_cast<char>(state >> 24);
    }
    const std::string out = json_string(bytes);
    for (size_t i = 0; i < out.size();) {
      const Utf8Step step = utf8_step(out, i);
      ASSERT_TRUE(step.valid) << "round " << round;
      ASSERT_FALSE(step.length == 1 &&
                   (static_cast<unsigned char>(out[i]) < 0x20 || out[i] == 0x7f))
          << round;
      i += step.length;
    }
    Poco::JSON::Parser parser;
    EXPECT_NO_THROW(parser.parse("[" + out + "]")) << "round " << round;
  }
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
  EXPECT_EQ(
      out,
      R"({"s":"x","n":1.5,"i":7,"b":true,"empty":{},"list":[-3,18446744073709551615,null,null,)"
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
