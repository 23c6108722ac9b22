// Telegram-HTML helpers: escaping, UTF-8 repair, UTF-16 lengths, cutting and splitting.
// Every produced text is checked with the fake server's Telegram-HTML parser.

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "fake_bot_api.hpp"
#include "telegram/html.hpp"

using memegen::bot::escape_html;
using memegen::bot::html_text_length;
using memegen::bot::sanitize_utf8;
using memegen::bot::split_html;
using memegen::bot::truncate_html;
using memegen::bot::utf16_length;
using memegen::test::FakeBotApi;

namespace {

std::string plain_of(const std::string& html) {
    std::string text;
    std::string error;
    REQUIRE_MESSAGE(FakeBotApi::parse_telegram_html(html, text, error), error);
    return text;
}

bool parses(const std::string& html) {
    std::string text;
    std::string error;
    return FakeBotApi::parse_telegram_html(html, text, error);
}

// A nasty mix: markup look-alikes, ampersands, emoji (2 UTF-16 units), accents, invalid
// bytes, newlines, long words.
std::string nasty_text(std::size_t pieces, unsigned seed) {
    static const std::vector<std::string> kPieces = {
        "<b>",
        "</i>",
        "&",
        "&amp;",
        "&#128512;",
        "\xF0\x9F\x98\x80",
        "\xC3\xA9",
        "\xFF",
        "\xC0\xAF",
        "\xED\xA0\x80",
        "\xE2\x82",
        "\n",
        " ",
        "word",
        "\"quoted\"",
        "<a href=x>",
        "averyveryveryverylongwordwithoutanyspaceatall",
        "\n\n",
        "<",
        ">",
        "tab\t"};
    std::mt19937 rng(seed);
    std::uniform_int_distribution<std::size_t> pick(0, kPieces.size() - 1);
    std::string out;
    for (std::size_t i = 0; i < pieces; ++i)
        out += kPieces[pick(rng)];
    return out;
}

}  // namespace

TEST_CASE("escape_html escapes the characters Telegram's HTML parser reserves") {
    CHECK(escape_html("a < b && c > \"d\"") == "a &lt; b &amp;&amp; c &gt; &quot;d&quot;");
    CHECK(escape_html("<b>bold</b>") == "&lt;b&gt;bold&lt;/b&gt;");
    CHECK(escape_html("caf\xC3\xA9 \xF0\x9F\x98\x80") == "caf\xC3\xA9 \xF0\x9F\x98\x80");
    CHECK(plain_of(escape_html("x <y> & \"z\"")) == "x <y> & \"z\"");
}

TEST_CASE("invalid UTF-8 is replaced by U+FFFD and valid text is kept") {
    const std::string fffd = "\xEF\xBF\xBD";
    CHECK(sanitize_utf8("ok") == "ok");
    CHECK(sanitize_utf8("a\xFFz") == "a" + fffd + "z");
    CHECK(sanitize_utf8("\xC0\xAF") == fffd + fffd);             // overlong '/'
    CHECK(sanitize_utf8("\xED\xA0\x80") == fffd + fffd + fffd);  // a UTF-16 surrogate
    CHECK(sanitize_utf8("\xE2\x82") == fffd + fffd);             // truncated euro sign
    CHECK(sanitize_utf8("\xF4\x90\x80\x80").find("\xF4") == std::string::npos);  // > U+10FFFF
    CHECK(sanitize_utf8("\xE2\x82\xAC") == "\xE2\x82\xAC");
}

TEST_CASE("lengths are counted in UTF-16 code units after entity parsing") {
    CHECK(utf16_length("abc") == 3);
    CHECK(utf16_length("\xC3\xA9") == 1);
    CHECK(utf16_length("\xF0\x9F\x98\x80") == 2);
    CHECK(html_text_length("<b>a</b>&amp;&lt;&#128512;") == 5);
    CHECK(html_text_length(escape_html("<>&")) == 3);
}

TEST_CASE("split_html keeps every part within the limit and the text intact") {
    SUBCASE("plain escaped text of 10 000 characters") {
        std::string text;
        for (int i = 0; i < 1000; ++i)
            text += "line " + std::to_string(i) + "\n";
        text += std::string(3000, 'x');
        const auto parts = split_html(escape_html(text));
        REQUIRE(parts.size() >= 3);
        std::string joined;
        for (const auto& p : parts) {
            CHECK(html_text_length(p) <= memegen::bot::kMaxMessageLength);
            joined += plain_of(p);
        }
        CHECK(joined == text);
    }
    SUBCASE("a bold span is closed at each cut and reopened in the next part") {
        const std::string html = "<b>" + std::string(5000, 'a') + "</b> tail";
        const auto parts = split_html(html, 4096);
        REQUIRE(parts.size() == 2);
        CHECK(parts[0].rfind("<b>", 0) == 0);
        CHECK(parts[0].substr(parts[0].size() - 4) == "</b>");
        CHECK(parts[1].rfind("<b>", 0) == 0);
        CHECK(parses(parts[0]));
        CHECK(parses(parts[1]));
    }
    SUBCASE("cuts prefer line breaks") {
        const std::string html = std::string(3000, 'a') + "\n" + std::string(3000, 'b');
        const auto parts = split_html(html, 4096);
        REQUIRE(parts.size() == 2);
        CHECK(plain_of(parts[0]) == std::string(3000, 'a') + "\n");
        CHECK(plain_of(parts[1]) == std::string(3000, 'b'));
    }
    SUBCASE("an emoji is never cut in half") {
        std::string text;
        for (int i = 0; i < 3000; ++i)
            text += "\xF0\x9F\x98\x80";
        const auto parts = split_html(escape_html(text), 4095);
        for (const auto& p : parts) {
            CHECK(utf16_length(plain_of(p)) <= 4095);
            CHECK(sanitize_utf8(p) == p);
        }
    }
}

TEST_CASE("escaping then splitting nasty strings always yields text Telegram accepts") {
    for (unsigned seed = 1; seed <= 30; ++seed) {
        CAPTURE(seed);
        const std::string raw = nasty_text(1500, seed);
        const auto parts = split_html(escape_html(raw), 1000);
        REQUIRE_FALSE(parts.empty());
        for (const auto& p : parts) {
            std::string text;
            std::string error;
            REQUIRE_MESSAGE(FakeBotApi::parse_telegram_html(p, text, error), error);
            CHECK(utf16_length(text) <= 1000);
            CHECK(text.find_first_not_of(" \t\r\n") != std::string::npos);
        }
        const std::string caption = truncate_html(escape_html(raw), 1024);
        CHECK(parses(caption));
        CHECK(html_text_length(caption) <= 1024);
    }
}

TEST_CASE("truncate_html cuts to the limit, appends an ellipsis and closes open tags") {
    const std::string html = "<b>bold <i>" + std::string(2000, 'z') + "</i></b>";
    const std::string cut = truncate_html(html, 1024);
    CHECK(html_text_length(cut) <= 1024);
    CHECK(parses(cut));
    CHECK(cut.find("\xE2\x80\xA6</i></b>") != std::string::npos);
    CHECK(truncate_html("short", 1024) == "short");
    CHECK(truncate_html("a &amp; b", 1024) == "a &amp; b");
}

TEST_CASE("stray markup characters in HTML input are repaired, not passed through") {
    const auto parts = split_html("1 < 2 & 3 > 0 <b>ok</b>");
    REQUIRE(parts.size() == 1);
    CHECK(parses(parts[0]));
    CHECK(plain_of(parts[0]) == "1 < 2 & 3 > 0 ok");
}
