// Each platform's limits on a post's texts (publish/text_limits.hpp): what YouTube and X would
// refuse is cut or cleaned, on character boundaries, and what fits goes through unchanged.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "publish/text_limits.hpp"

using namespace memegen::bot::publish;

namespace {

// Characters (code points) of valid UTF-8.
std::size_t chars(const std::string& s) {
    std::size_t n = 0;
    for (const unsigned char c : s)
        n += (c & 0xC0) != 0x80;
    return n;
}

std::string repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i)
        out += s;
    return out;
}

}  // namespace

TEST_CASE("a YouTube title") {
    SUBCASE("that fits is kept as it is") {
        CHECK(youtube_title("Friday deploy 🚀") == "Friday deploy 🚀");
        CHECK(youtube_title(repeat("a", 100)) == repeat("a", 100));
    }
    SUBCASE("that is too long ends in … at 100 characters, never inside a character") {
        const auto title = youtube_title(repeat("кот ", 40));
        CHECK(chars(title) <= 100);
        CHECK(title.ends_with("кот…"));
        const auto emoji = youtube_title(repeat("😀", 150));
        CHECK(chars(emoji) == 100);
        CHECK(emoji == repeat("😀", 99) + "…");
    }
    SUBCASE("is one line without < or >, trimmed") {
        CHECK(youtube_title("  <b>WHEN</b> IT\nWORKS  ") == "bWHEN/b IT WORKS");
    }
    SUBCASE("that is empty becomes #Shorts, which YouTube accepts") {
        CHECK(youtube_title("") == "#Shorts");
        CHECK(youtube_title(" <> ") == "#Shorts");
    }
    SUBCASE("with invalid UTF-8 carries U+FFFD instead, so its JSON is valid") {
        CHECK(youtube_title("cat\xff\xfe dog") == "cat\xEF\xBF\xBD\xEF\xBF\xBD dog");
        CHECK(youtube_title("cut \xE2\x82") == "cut \xEF\xBF\xBD\xEF\xBF\xBD");
    }
}

TEST_CASE("a YouTube description is at most 5,000 bytes, keeps its lines, drops < and >") {
    CHECK(youtube_description("TOP\nsource\n🎵 track\n\n#Shorts <3") ==
          "TOP\nsource\n🎵 track\n\n#Shorts 3");
    const auto long_one = youtube_description(repeat("ж", 3000));  // 6,000 bytes
    CHECK(long_one.size() <= 5000);
    CHECK(long_one.ends_with("ж…"));
}

TEST_CASE("YouTube tags: cleaned, each once, at most 500 characters in all") {
    CHECK(youtube_tags({"memes", "Memes", "", " friday ", "a,b", "<x>", "two words"}) ==
          std::vector<std::string>{"memes", "friday", "ab", "x", "two words"});
    // 60 tags of 9 characters: 9 + 59 × 10 = 599 > 500, so the first 50 fit (9 + 49 × 10 = 499).
    std::vector<std::string> many;
    for (int i = 0; i < 60; ++i)
        many.push_back("tag" + std::to_string(100000 + i));
    CHECK(youtube_tags(many).size() == 50);
    // A tag with a space counts its quotes.
    std::vector<std::string> spaced(60, "");
    for (int i = 0; i < 60; ++i)
        spaced[i] = "t " + std::to_string(100000 + i);  // 8 characters, 10 with quotes
    CHECK(youtube_tags(spaced).size() == 45);           // 10 + 44 × 11 = 494
}

TEST_CASE("an X post is at most 280 by X's weighted count") {
    CHECK(x_weight(U'a') == 1);
    CHECK(x_weight(U'ж') == 1);
    CHECK(x_weight(U'—') == 1);
    CHECK(x_weight(U'猫') == 2);
    CHECK(x_weight(U'😀') == 2);
    CHECK(x_post_text("New: cat 🎵 Artist — Song") == "New: cat 🎵 Artist — Song");
    CHECK(x_post_text(repeat("a", 280)) == repeat("a", 280));
    // 281 Latin letters: 278 and "…", which weighs 2 (U+2026 is outside X's light ranges).
    const auto latin = x_post_text(repeat("a", 281));
    CHECK(latin == repeat("a", 278) + "…");
    // CJK weighs 2: 140 fit, 141 do not.
    CHECK(x_post_text(repeat("猫", 140)) == repeat("猫", 140));
    CHECK(x_post_text(repeat("猫", 141)) == repeat("猫", 139) + "…");
}
