// SPDX-License-Identifier: MIT
#include "resync/util/utf8.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace resync {
namespace {

// (length, valid) of each step over `s`.
std::vector<std::pair<size_t, bool>> steps(std::string_view s) {
  std::vector<std::pair<size_t, bool>> out;
  for (size_t i = 0; i < s.size();) {
    const Utf8Step step = utf8_step(s, i);
    out.emplace_back(step.length, step.valid);
    i += step.length;
  }
  return out;
}

using Steps = std::vector<std::pair<size_t, bool>>;

TEST(Utf8Test, ValidSequencesOfEveryLength) {
  EXPECT_EQ(steps("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"),
            (Steps{{1, true}, {2, true}, {3, true}, {4, true}}));
  EXPECT_EQ(steps("\xF4\x8F\xBF\xBF"), (Steps{{4, true}}));  // U+10FFFF
  EXPECT_EQ(steps("\xED\x9F\xBF"), (Steps{{3, true}}));      // U+D7FF, just below the surrogates
}

TEST(Utf8Test, InvalidSequencesAreCutIntoMaximalSubparts) {
  EXPECT_EQ(steps("\x80"), (Steps{{1, false}}));                  // lone continuation
  EXPECT_EQ(steps("\xC0\xAF"), (Steps{{1, false}, {1, false}}));  // overlong lead
  EXPECT_EQ(steps("\xE0\x80\x80"), (Steps{{1, false}, {1, false}, {1, false}}));  // overlong
  EXPECT_EQ(steps("\xED\xA0\x80"), (Steps{{1, false}, {1, false}, {1, false}}));  // surrogate
  EXPECT_EQ(steps("\xF4\x90\x80\x80"), (Steps{{1, false}, {1, false}, {1, false}, {1, false}}));
  EXPECT_EQ(steps("\xE2\x82"), (Steps{{2, false}}));  // truncated at the end
  EXPECT_EQ(steps("\xE2\x82x"), (Steps{{2, false}, {1, true}}));
  EXPECT_EQ(steps("\xF0\x9F\x98"), (Steps{{3, false}}));
  EXPECT_EQ(steps("\xFF\xFE"), (Steps{{1, false}, {1, false}}));
}

}  // namespace
}  // namespace resync
