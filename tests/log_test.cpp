#include <doctest/doctest.h>

#include <memegen/log.hpp>

#include <string>
#include <vector>

TEST_CASE("a registered secret never reaches a log line") {
    std::vector<std::string> lines;
    memegen::set_log_sink([&](memegen::LogLevel, std::string_view m) { lines.emplace_back(m); });
    memegen::register_secret("123456:ABCdefSECRET");
    memegen::log_error("POST https://api.telegram.org/bot{}/sendVideo failed",
                       "123456:ABCdefSECRET");
    memegen::log_info("twice: 123456:ABCdefSECRET and 123456:ABCdefSECRET");
    memegen::set_log_sink({});
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "POST https://api.telegram.org/bot<redacted>/sendVideo failed");
    CHECK(lines[1] == "twice: <redacted> and <redacted>");
    CHECK(memegen::redact("x 123456:ABCdefSECRET y") == "x <redacted> y");
}

TEST_CASE("lines below the level are dropped") {
    std::vector<std::string> lines;
    memegen::set_log_sink([&](memegen::LogLevel, std::string_view m) { lines.emplace_back(m); });
    memegen::set_log_level(memegen::LogLevel::warning);
    memegen::log_info("hidden");
    memegen::log_warning("shown {}", 1);
    memegen::set_log_level(memegen::LogLevel::info);
    memegen::set_log_sink({});
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "shown 1");
}

TEST_CASE("level names parse both ways") {
    CHECK(memegen::parse_log_level("debug") == memegen::LogLevel::debug);
    CHECK(memegen::parse_log_level("warn") == memegen::LogLevel::warning);
    CHECK_FALSE(memegen::parse_log_level("loud"));
    CHECK(memegen::to_string(memegen::LogLevel::error) == "ERROR");
}
