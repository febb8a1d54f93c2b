#include <gtest/gtest.h>

#include "media/text.h"

namespace isnad::media {
namespace {

TEST(ExtractText, HtmlWithoutMarkupScriptsOrStyles) {
  auto t = ExtractText(
      "<html><head><style>p{color:red}</style><script>var hidden=1;</script></head>"
      "<body><p>Sarin in <b>Zamalka</b></p><div>قصف الغوطة</div></body></html>",
      "text/html");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_NE(t->find("Sarin in"), std::string::npos);
  EXPECT_NE(t->find("Zamalka"), std::string::npos);
  EXPECT_NE(t->find("قصف الغوطة"), std::string::npos);
  EXPECT_EQ(t->find("hidden"), std::string::npos);
  EXPECT_EQ(t->find("color"), std::string::npos);
  // Words of adjacent blocks do not run together.
  EXPECT_EQ(t->find("Zamalkaقصف"), std::string::npos);
}

TEST(ExtractText, PlainTextIsKeptAndBrokenBytesReplaced) {
  auto t = ExtractText(std::string("caf\xe9 ok", 7), "text/plain");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "caf\xEF\xBF\xBD ok");
  EXPECT_EQ(*ExtractText("\x89PNG", "image/png"), "");
  // Tag soup does not fail.
  EXPECT_TRUE(ExtractText("<p><b>unclosed <i>tags", "text/html").ok());
}

// Pages nest deeper than libxml2's default 256 levels (tag soup of unclosed <font> or
// <b> tags grows with the page): the text past that depth, and after it, was not
// indexed; and the walk over the tree must not recurse once per level.
TEST(ExtractText, DeeplyNestedHtmlKeepsAllItsText) {
  for (int depth : {300, 3000, 400000}) {
    SCOPED_TRACE(depth);
    std::string page = "<html><body>before ";
    for (int i = 0; i < depth; ++i) page += "<b>";
    page += "deepword";
    if (depth < 10000) {
      for (int i = 0; i < depth; ++i) page += "</b>";
      page += " afterword";
    }
    page += "</body></html>";
    auto t = ExtractText(page, "text/html");
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_NE(t->find("before"), std::string::npos);
    EXPECT_NE(t->find("deepword"), std::string::npos);
    if (depth < 10000) {
      EXPECT_NE(t->find("afterword"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace isnad::media
