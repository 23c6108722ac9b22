#include <doctest/doctest.h>
#include <sys/stat.h>

#include <memegen/log.hpp>

#include <cstdio>
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

TEST_CASE("stderr lines carry a timestamp, or a syslog priority when stderr is the journal") {
    SUBCASE("terminal or file: local time with milliseconds, level, message") {
        const auto line = memegen::detail::format_stderr_line(memegen::LogLevel::warning,
                                                              "[rendering] Memory: 1MB", false);
        // "2026-03-01T12:00:00.123+00:00 WARN  [rendering] Memory: 1MB\n"
        CHECK(line.size() > 30);
        CHECK(line[4] == '-');
        CHECK(line[10] == 'T');
        CHECK(line.find(" WARN  [rendering] Memory: 1MB\n") != std::string::npos);
    }
    SUBCASE("journal: <N> prefix journald turns into the priority, no own timestamp") {
        using memegen::LogLevel;
        using memegen::detail::format_stderr_line;
        CHECK(format_stderr_line(LogLevel::error, "boom", true) == "<3>ERROR boom\n");
        CHECK(format_stderr_line(LogLevel::warning, "hot", true) == "<4>WARN  hot\n");
        CHECK(format_stderr_line(LogLevel::info, "ok", true) == "<6>INFO  ok\n");
        CHECK(format_stderr_line(LogLevel::debug, "x", true) == "<7>DEBUG x\n");
    }
    SUBCASE("JOURNAL_STREAM must name this very descriptor") {
        std::FILE* file = std::tmpfile();
        REQUIRE(file);
        struct stat st {};
        REQUIRE(::fstat(::fileno(file), &st) == 0);
        const auto matching = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
        const auto other = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);
        CHECK(memegen::detail::is_journal_stream(::fileno(file), matching.c_str()));
        CHECK_FALSE(memegen::detail::is_journal_stream(::fileno(file), other.c_str()));
        CHECK_FALSE(memegen::detail::is_journal_stream(::fileno(file), nullptr));
        CHECK_FALSE(memegen::detail::is_journal_stream(::fileno(file), "garbage"));
        std::fclose(file);
    }
}
