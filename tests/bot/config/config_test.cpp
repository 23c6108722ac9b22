#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <memegen/detail/files.hpp>
#include <memegen/log.hpp>

#include "config/config.hpp"
#include "config/publish_template.hpp"
#include "telegram/bot_api.hpp"
#include "temp_dir.hpp"

using memegen::bot::BotConfig;
using memegen::bot::ChatId;
using memegen::bot::ConfigLoadResult;
using memegen::bot::ConfigProblem;
using memegen::bot::Environment;
using memegen::bot::Language;
using memegen::bot::load_config;
using memegen::bot::MissedSlotPolicy;
using memegen::bot::RenderIsolation;
using memegen::bot::to_json;
using memegen::test::TempDir;
namespace fs = std::filesystem;

namespace {

fs::path write(const fs::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::binary);
    out << text;
    return file;
}

// The problem reported for `key`, or nullptr.
const ConfigProblem* problem_for(const ConfigLoadResult& r, const std::string& key) {
    const auto it = std::find_if(r.problems.begin(), r.problems.end(),
                                 [&](const ConfigProblem& p) { return p.key == key; });
    return it == r.problems.end() ? nullptr : &*it;
}

std::string all_problems(const ConfigLoadResult& r) {
    std::string text;
    for (const auto& p : r.problems)
        text += p.to_string() + "\n";
    return text;
}

const char* kMinimal = R"({"token": "111:minimal-token", "owner_id": 42})";

}  // namespace

TEST_CASE("a full valid file is loaded with every value taken from it") {
    TempDir dir;
    fs::create_directories(dir / "memes");
    fs::create_directories(dir / "music");
    write(dir / "ca.pem", "-----BEGIN CERTIFICATE-----\n");
    const auto file = write(dir / "bot.json", R"({
        "_comment": "ignored",
        "token": "123456:full-token",
        "api_url": "http://127.0.0.1:8081/",
        "ca_file": "ca.pem",
        "owner_id": 1001,
        "admin_ids": [2002, 3003],
        "review_chat": -100555,
        "channel": "@memes_daily",
        "daily_generations": 5,
        "candidates": 4,
        "window_start": "09:30",
        "window_end": "23:00",
        "timezone": "Asia/Tomsk",
        "language": "ru",
        "auto_publish": true,
        "state_dir": "var/state",
        "media_dir": "memes",
        "music_dir": "music",
        "render": {"size": "720x1280", "fps": 30, "crf": 28, "preset": "fast",
                   "background": "blur", "min_seconds": 5, "max_seconds": 9.5,
                   "max_video_seconds": 30, "max_output_mb": 200, "_note": "x"},
        "max_batch": 10,
        "max_attempts": 2,
        "render_isolation": "thread",
        "upload_limit_mb": 2000,
        "scheduled_wait_minutes": 15,
        "missed_slots": "skip",
        "open_generate": true,
        "generate_cooldown_seconds": 60,
        "log_level": "debug",
        "metrics": {"enabled": true, "address": "0.0.0.0", "port": 9100}
    })");
    const auto r = load_config(file, {});
    INFO(all_problems(r));
    REQUIRE(r.ok());
    const BotConfig& c = r.config;
    CHECK(c.token == "123456:full-token");
    CHECK(c.api_url == "http://127.0.0.1:8081");
    CHECK(c.ca_file == dir / "ca.pem");
    CHECK(c.owner_id == 1001);
    CHECK(c.admin_ids == std::vector<std::int64_t>{2002, 3003});
    CHECK(c.is_admin(3003));
    CHECK(c.is_admin(1001));
    CHECK_FALSE(c.is_admin(7));
    CHECK(c.review_chat == ChatId(std::int64_t{-100555}));
    REQUIRE(c.channel);
    CHECK(c.channel->to_string() == "@memes_daily");
    CHECK(c.daily_generations == 5);
    CHECK(c.candidates == 4);
    CHECK(c.window_start.to_string() == "09:30");
    CHECK(c.window_end.minutes == 23 * 60);
    CHECK(c.timezone == "Asia/Tomsk");
    CHECK(c.language == Language::ru);
    CHECK(c.auto_publish);
    CHECK(c.state_dir == dir / "var/state");
    CHECK(c.media_dir == dir / "memes");
    CHECK(c.music_dir == dir / "music");
    CHECK(c.render.size == memegen::FrameSize{720, 1280});
    CHECK(c.render.fps == 30);
    CHECK(c.render.crf == 28);
    CHECK(c.render.preset == "fast");
    CHECK(c.render.background == memegen::Background::blur);
    CHECK(c.render.min_seconds == 5);
    CHECK(c.render.max_seconds == 9.5);
    CHECK(c.render.max_video_seconds == 30);
    CHECK(c.render.max_output_mb == 200);
    CHECK(c.max_batch == 10);
    CHECK(c.max_attempts == 2);
    CHECK(c.render_isolation == RenderIsolation::thread);
    CHECK(c.upload_limit_mb == 2000);
    CHECK(c.scheduled_wait_minutes == 15);
    CHECK(c.missed_slots == MissedSlotPolicy::skip);
    CHECK(c.open_generate);
    CHECK(c.generate_cooldown_seconds == 60);
    CHECK(c.log_level == memegen::LogLevel::debug);
    CHECK(c.metrics.enabled);
    CHECK(c.metrics.address == "0.0.0.0");
    CHECK(c.metrics.port == 9100);
}

TEST_CASE("a minimal file gets the documented defaults") {
    TempDir dir;
    const auto r = load_config(write(dir / "bot.json", kMinimal), {});
    INFO(all_problems(r));
    REQUIRE(r.ok());
    const BotConfig& c = r.config;
    CHECK(c.api_url == "https://api.telegram.org");
    CHECK_FALSE(c.ca_file);
    CHECK(c.admin_ids.empty());
    CHECK(c.review_chat == ChatId(std::int64_t{42}));  // the owner
    CHECK_FALSE(c.channel);
    CHECK(c.daily_generations == 3);
    CHECK(c.candidates == 3);
    CHECK(c.window_start.to_string() == "10:00");
    CHECK(c.window_end.to_string() == "24:00");
    CHECK(c.timezone.empty());
    CHECK(c.language == Language::en);
    CHECK_FALSE(c.auto_publish);
    CHECK(c.state_dir == fs::current_path() / "state");
    CHECK(c.media_dir.filename() == "memes");
    CHECK(c.music_dir.filename() == "music");
    CHECK(c.render.size == memegen::FrameSize{1080, 1920});
    CHECK(c.render.fps == 24);
    CHECK(c.render.crf == 23);
    CHECK(c.render.background == memegen::Background::black);
    CHECK(c.render.max_output_mb == 50);
    CHECK(c.max_batch == 20);
    CHECK(c.max_attempts == 3);
    CHECK(c.render_isolation == RenderIsolation::process);
    CHECK(c.upload_limit_mb == 50);
    CHECK(c.scheduled_wait_minutes == 30);
    CHECK(c.missed_slots == MissedSlotPolicy::catch_up_one);
    CHECK_FALSE(c.open_generate);
    CHECK(c.generate_cooldown_seconds == 300);
    CHECK(c.log_level == memegen::LogLevel::info);
    CHECK_FALSE(c.metrics.enabled);
    CHECK(c.metrics.address == "127.0.0.1");
}

TEST_CASE("the demo pack beside the config file is the default library") {
    TempDir dir;
    fs::create_directories(dir / "data/demo/memes");
    fs::create_directories(dir / "data/demo/music");
    const auto r = load_config(write(dir / "bot.json", kMinimal), {});
    REQUIRE(r.ok());
    CHECK(r.config.media_dir == dir / "data/demo/memes");
    CHECK(r.config.music_dir == dir / "data/demo/music");
}

TEST_CASE("every kind of problem is collected at once, each naming its key") {
    TempDir dir;
    const auto file = write(dir / "bot.json", R"({
        "token": "111:abc",
        "owner_id": "me",
        "daly_generations": 3,
        "daily_generations": 99,
        "candidates": 0,
        "window_start": "25:00",
        "timezone": "Mars/Olympus_Mons",
        "language": "fr",
        "auto_publish": "yes",
        "admin_ids": [1, "two"],
        "channel": "no-at-sign",
        "media_dir": "missing-folder",
        "render": {"size": "1080x", "crf": "high", "fps": 0, "preset": "turbo",
                   "background": "pink", "crff": 1},
        "render_isolation": "fork",
        "missed_slots": "all",
        "metrics": {"port": 70000}
    })");
    const auto r = load_config(file, {});
    INFO(all_problems(r));
    for (const char* key :
         {"owner_id",     "daly_generations", "daily_generations", "candidates",
          "window_start", "timezone",         "language",          "auto_publish",
          "admin_ids",    "channel",          "media_dir",         "render.size",
          "render.crf",   "render.fps",       "render.preset",     "render.background",
          "render.crff",  "render_isolation", "missed_slots",      "metrics.port"}) {
        CAPTURE(key);
        CHECK(problem_for(r, key) != nullptr);
    }
    CHECK(problem_for(r, "render.crf")->to_string() ==
          "render.crf: must be an integer 0..51, got \"high\"");
    CHECK(problem_for(r, "daily_generations")->message == "must be an integer 0..24, got 99");
    CHECK(problem_for(r, "daly_generations")->message ==
          "unknown key (did you mean \"daily_generations\"?)");
    CHECK(problem_for(r, "render.crff")->message == "unknown key (did you mean \"render.crf\"?)");
    CHECK(problem_for(r, "render.size")->message.find("\"1080x\"") != std::string::npos);
    CHECK(problem_for(r, "timezone")->message.find("Mars/Olympus_Mons") != std::string::npos);
    CHECK(problem_for(r, "admin_ids")->message.find("item 1") != std::string::npos);
    CHECK(problem_for(r, "token") == nullptr);
}

TEST_CASE("an unknown key anywhere gets a suggestion when a known key is close") {
    TempDir dir;
    const auto r = load_config(
        write(dir / "bot.json", R"({"token": "1:a", "owner_id": 1, "crf": 20, "zzzzzz": 1})"), {});
    REQUIRE(problem_for(r, "crf"));
    CHECK(problem_for(r, "crf")->message == "unknown key (did you mean \"render.crf\"?)");
    REQUIRE(problem_for(r, "zzzzzz"));
    CHECK(problem_for(r, "zzzzzz")->message == "unknown key");
}

TEST_CASE("a window whose end is not after its start is refused") {
    TempDir dir;
    const auto r = load_config(write(dir / "bot.json", R"({"token": "1:a", "owner_id": 1,
        "window_start": "22:00", "window_end": "09:00"})"),
                               {});
    REQUIRE(problem_for(r, "window_end"));
    CHECK(problem_for(r, "window_end")->message ==
          "must be later than window_start (22:00), got 09:00");
    SUBCASE("24:00 is a valid end, 24:30 is not") {
        const auto ok = load_config(write(dir / "b.json", R"({"token": "1:a", "owner_id": 1,
            "window_end": "24:00"})"),
                                    {});
        CHECK(ok.ok());
        const auto bad = load_config(write(dir / "c.json", R"({"token": "1:a", "owner_id": 1,
            "window_end": "24:30"})"),
                                     {});
        CHECK(problem_for(bad, "window_end"));
    }
}

TEST_CASE("a fixed UTC offset is a valid time zone and a bad one is not") {
    TempDir dir;
    const auto ok = load_config(
        write(dir / "a.json", R"({"token": "1:a", "owner_id": 1, "timezone": "+07:00"})"), {});
    CHECK(ok.ok());
    CHECK(ok.config.timezone == "+07:00");
    const auto bad = load_config(
        write(dir / "b.json", R"({"token": "1:a", "owner_id": 1, "timezone": "+15:00"})"), {});
    CHECK(problem_for(bad, "timezone"));
    const auto traversal = load_config(
        write(dir / "c.json", R"({"token": "1:a", "owner_id": 1, "timezone": "../../etc/passwd"})"),
        {});
    CHECK(problem_for(traversal, "timezone"));
}

TEST_CASE("invalid JSON is reported with its line and column") {
    TempDir dir;
    const auto file = write(dir / "bot.json", "{\n  \"token\": \"1:a\",\n  \"owner_id\": 1,,\n}\n");
    const auto r = load_config(file, {});
    REQUIRE(r.problems.size() == 1);  // no "required" noise for a file that could not be read
    CHECK(r.problems[0].key == file.string());
    CHECK(r.problems[0].message.find("invalid JSON") != std::string::npos);
    CHECK(r.problems[0].message.find("line 3, column 17") != std::string::npos);
}

TEST_CASE("a missing file is a problem naming the file") {
    TempDir dir;
    const auto r = load_config(dir / "nope.json", {});
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].to_string() == (dir / "nope.json").string() + ": no such file");
}

TEST_CASE("a file that is not a JSON object is a problem") {
    TempDir dir;
    const auto r = load_config(write(dir / "bot.json", "[1, 2]"), {});
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].message.find("JSON object") != std::string::npos);
}

TEST_CASE("token and owner are required, from the file or the environment") {
    SUBCASE("missing everywhere") {
        const auto r = load_config(std::nullopt, {});
        CHECK(problem_for(r, "token"));
        CHECK(problem_for(r, "owner_id"));
    }
    SUBCASE("environment only, without a file") {
        const auto r = load_config(
            std::nullopt, {{"TELEGRAM_BOT_TOKEN", "5:env-token"}, {"MEMEGEN_OWNER_ID", "77"}});
        INFO(all_problems(r));
        CHECK(r.ok());
        CHECK(r.config.owner_id == 77);
    }
}

TEST_CASE("environment overrides win over the file") {
    TempDir dir;
    const auto file = write(dir / "bot.json", R"({"token": "1:file-token", "owner_id": 1,
        "daily_generations": 3, "timezone": "Asia/Tomsk", "state_dir": "file-state"})");
    const Environment env = {{"TELEGRAM_BOT_TOKEN", "2:env-token"},
                             {"TELEGRAM_API_URL", "http://localhost:8081"},
                             {"MEMEGEN_OWNER_ID", "99"},
                             {"MEMEGEN_ADMIN_IDS", "5, 6,7"},
                             {"DAILY_GENERATIONS", "0"},
                             {"MEMEGEN_TIMEZONE", "Europe/Berlin"},
                             {"MEMEGEN_STATE_DIR", "env-state"},
                             {"MEMEGEN_CHANNEL", "-1001234"},
                             {"MEMEGEN_LOG_LEVEL", "warning"},
                             {"UNRELATED", "x"}};
    const auto r = load_config(file, env);
    INFO(all_problems(r));
    REQUIRE(r.ok());
    CHECK(r.config.token == "2:env-token");
    CHECK(r.config.api_url == "http://localhost:8081");
    CHECK(r.config.owner_id == 99);
    CHECK(r.config.admin_ids == std::vector<std::int64_t>{5, 6, 7});
    CHECK(r.config.daily_generations == 0);
    CHECK(r.config.timezone == "Europe/Berlin");
    CHECK(r.config.state_dir == fs::current_path() / "env-state");  // env: against the cwd
    REQUIRE(r.config.channel);
    CHECK(*r.config.channel == ChatId(std::int64_t{-1001234}));
    CHECK(r.config.log_level == memegen::LogLevel::warning);
    SUBCASE("an empty variable counts as unset") {
        const auto r2 = load_config(file, {{"DAILY_GENERATIONS", ""}});
        CHECK(r2.ok());
        CHECK(r2.config.daily_generations == 3);
    }
}

TEST_CASE("bad environment values are problems naming the variable") {
    TempDir dir;
    const auto file = write(dir / "bot.json", kMinimal);
    const auto r = load_config(file, {{"DAILY_GENERATIONS", "three"},
                                      {"MEMEGEN_OWNER_ID", "12x"},
                                      {"MEMEGEN_ADMIN_IDS", "1,bob"},
                                      {"MEMEGEN_TIMEZONE", "Nowhere/City"},
                                      {"MEMEGEN_LOG_LEVEL", "loud"}});
    INFO(all_problems(r));
    REQUIRE(problem_for(r, "DAILY_GENERATIONS"));
    CHECK(problem_for(r, "DAILY_GENERATIONS")->message ==
          "must be an integer 0..24, got \"three\"");
    CHECK(problem_for(r, "MEMEGEN_OWNER_ID"));
    REQUIRE(problem_for(r, "MEMEGEN_ADMIN_IDS"));
    CHECK(problem_for(r, "MEMEGEN_ADMIN_IDS")->message.find("\"bob\"") != std::string::npos);
    CHECK(problem_for(r, "MEMEGEN_TIMEZONE"));
    CHECK(problem_for(r, "MEMEGEN_LOG_LEVEL"));
    CHECK(problem_for(r, "daily_generations") == nullptr);
    CHECK(r.problems.size() == 5);
}

TEST_CASE("the token never appears in a problem or in a dump") {
    TempDir dir;
    const std::string secret = "424242:SUPERSECRETTOKENVALUE";
    SUBCASE("to_json redacts it") {
        const auto r = load_config(
            write(dir / "bot.json", R"({"token": ")" + secret + R"(", "owner_id": 1})"), {});
        REQUIRE(r.ok());
        const auto dumped = to_json(r.config).dump();
        CHECK(dumped.find("SUPERSECRET") == std::string::npos);
        CHECK(to_json(r.config)["token"] == "<redacted>");
        CHECK(memegen::redact("url /bot" + secret + "/getMe") == "url /bot<redacted>/getMe");
    }
    SUBCASE("a malformed token is described, not quoted") {
        const auto r = load_config(
            std::nullopt, {{"TELEGRAM_BOT_TOKEN", secret + " \n"}, {"MEMEGEN_OWNER_ID", "1"}});
        REQUIRE(problem_for(r, "TELEGRAM_BOT_TOKEN"));
        CHECK(all_problems(r).find("SUPERSECRET") == std::string::npos);
    }
    SUBCASE("a token of the wrong type is described, not quoted") {
        const auto r =
            load_config(write(dir / "bot.json", R"({"token": 4242424242, "owner_id": 1})"), {});
        REQUIRE(problem_for(r, "token"));
        CHECK(problem_for(r, "token")->message == "must be a string, got a number");
    }
    SUBCASE("a JSON error inside the token does not quote it") {
        const auto r = load_config(
            write(dir / "bot.json", "{\"owner_id\": 1, \"token\": \"" + secret + "\n"), {});
        REQUIRE_FALSE(r.problems.empty());
        CHECK(all_problems(r).find("SUPERSECRET") == std::string::npos);
    }
    SUBCASE("a token pasted into another value is redacted") {
        const auto r = load_config(
            write(dir / "bot.json", R"({"token": ")" + secret +
                                        R"(", "owner_id": 1, "api_url": ")" + secret + R"("})"),
            {});
        REQUIRE(problem_for(r, "api_url"));
        CHECK(all_problems(r).find("SUPERSECRET") == std::string::npos);
    }
}

TEST_CASE("relative paths in the file are resolved against the file's directory") {
    TempDir dir;
    fs::create_directories(dir / "etc/lib/memes");
    const auto file = write(dir / "etc/bot.json", R"({"token": "1:a", "owner_id": 1,
        "media_dir": "lib/memes", "state_dir": "../var"})");
    const auto r = load_config(file, {});
    INFO(all_problems(r));
    REQUIRE(r.ok());
    CHECK(r.config.media_dir == dir / "etc/lib/memes");
    CHECK(r.config.state_dir == dir / "var");
}

TEST_CASE("uploads above 50 MB need a self-hosted Bot API server") {
    TempDir dir;
    const auto r = load_config(
        write(dir / "a.json", R"({"token": "1:a", "owner_id": 1, "upload_limit_mb": 100})"), {});
    CHECK(problem_for(r, "upload_limit_mb"));
    const auto big_render = load_config(write(dir / "b.json", R"({"token": "1:a", "owner_id": 1,
        "render": {"max_output_mb": 80}})"),
                                        {});
    CHECK(problem_for(big_render, "render.max_output_mb"));
    const auto local = load_config(write(dir / "c.json", R"({"token": "1:a", "owner_id": 1,
        "api_url": "http://127.0.0.1:8081", "upload_limit_mb": 2000})"),
                                   {});
    CHECK(local.ok());
}

TEST_CASE("null takes the default and underscore keys are ignored at any level") {
    TempDir dir;
    const auto r = load_config(write(dir / "a.json", R"({"token": "1:a", "owner_id": 1,
        "_comment": "x", "_anything": {"nested": true}, "daily_generations": null,
        "render": {"_comment": "y", "crf": null}})"),
                               {});
    INFO(all_problems(r));
    REQUIRE(r.ok());
    CHECK(r.config.daily_generations == 3);
    CHECK(r.config.render.crf == 23);
}

TEST_CASE("render length limits must be ordered") {
    TempDir dir;
    const auto r = load_config(write(dir / "a.json", R"({"token": "1:a", "owner_id": 1,
        "render": {"min_seconds": 10, "max_seconds": 8}})"),
                               {});
    REQUIRE(problem_for(r, "render.max_seconds"));
}

TEST_CASE("the render keys become the renderer's options, the rest at RenderOptions' defaults") {
    TempDir dir;
    const auto r = load_config(write(dir / "a.json", R"({"token": "1:a", "owner_id": 1,
        "render": {"size": "720x1280", "fps": 30, "crf": 28, "preset": "fast",
                   "background": "blur", "min_seconds": 5, "max_seconds": 9.5,
                   "max_video_seconds": 30, "max_output_mb": 20}})"),
                               {});
    INFO(all_problems(r));
    REQUIRE(r.ok());
    const memegen::RenderOptions defaults;
    const auto o = memegen::bot::render_options_of(r.config.render);
    CHECK(o.size == memegen::FrameSize{720, 1280});
    CHECK(o.fps == 30);
    CHECK(o.crf == 28);
    CHECK(o.preset == "fast");
    CHECK(o.background == memegen::Background::blur);
    CHECK(o.min_seconds == 5);
    CHECK(o.max_seconds == 9.5);
    CHECK(o.max_video_seconds == 30);
    CHECK(o.max_output_bytes == 20'000'000);
    CHECK(o.font == defaults.font);  // no render.font: the renderer's own
    CHECK(o.encoder_threads == defaults.encoder_threads);
    CHECK(o.audio == defaults.audio);
    CHECK_FALSE(o.effects);

    SUBCASE("and a minimal file's render keys are RenderOptions' defaults, 50 MB included") {
        const auto minimal = load_config(write(dir / "b.json", kMinimal), {});
        REQUIRE(minimal.ok());
        const auto d = memegen::bot::render_options_of(minimal.config.render);
        CHECK(nlohmann::json(d) == nlohmann::json(defaults));
    }
}

TEST_CASE("the example configuration loads without problems") {
    const char* path = std::getenv("MEMEGEN_EXAMPLE_CONFIG");
    REQUIRE_MESSAGE(path != nullptr, "run through meson test");
    const auto r = load_config(fs::path(path), {});
    INFO(all_problems(r));
    CHECK(r.ok());
    SUBCASE("and sets every documented key") {
        const auto text = memegen::detail::read_file(path);
        REQUIRE(text);
        const auto j = nlohmann::json::parse(*text);
        for (const auto& info : memegen::bot::config_keys()) {
            CAPTURE(info.key);
            CHECK(j.contains(nlohmann::json::json_pointer("/" + [&] {
                std::string p(info.key);
                std::replace(p.begin(), p.end(), '.', '/');
                return p;
            }())));
        }
    }
}

TEST_CASE("the reference documents every key and environment variable") {
    const std::string reference = memegen::bot::config_reference();
    for (const auto& info : memegen::bot::config_keys()) {
        CAPTURE(info.key);
        CHECK(reference.find(std::string(info.key) + "  (") != std::string::npos);
    }
    for (const char* env :
         {"TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL", "MEMEGEN_OWNER_ID", "MEMEGEN_ADMIN_IDS",
          "DAILY_GENERATIONS", "MEMEGEN_TIMEZONE", "MEMEGEN_STATE_DIR", "MEMEGEN_CHANNEL"}) {
        CAPTURE(env);
        CHECK(reference.find(env) != std::string::npos);
    }
}

TEST_CASE("the configuration document lists every key") {
    const char* path = std::getenv("MEMEGEN_CONFIG_DOC");
    REQUIRE_MESSAGE(path != nullptr, "run through meson test");
    const auto text = memegen::detail::read_file(path);
    REQUIRE(text);
    for (const auto& info : memegen::bot::config_keys()) {
        CAPTURE(info.key);
        CHECK(text->find("| `" + std::string(info.key) + "` |") != std::string::npos);
    }
}

// ---------------------------------------------------------------------------------------------
// The table of keys drives everything: these check that nothing escapes it.

namespace {

// One row of memegen-bot.example.md's key table, as the table of keys says it should read.
std::string markdown_row(const memegen::bot::ConfigKeyInfo& k) {
    const auto cell = [](std::string_view text) {
        std::string out;
        for (const char c : text) {
            if (c == '|')
                out += '\\';
            out += c;
        }
        return out;
    };
    const std::string env = k.env.empty() ? "—" : "`" + std::string(k.env) + "`";
    return "| `" + std::string(k.key) + "` | " + cell(k.type) + " | " + cell(k.default_text) +
           " | " + env + " | " + cell(k.description) + " |";
}

std::string pointer_of(std::string_view key) {
    std::string p = "/" + std::string(key);
    std::replace(p.begin(), p.end(), '.', '/');
    return p;
}

}  // namespace

TEST_CASE("the document's key table is the one the table of keys generates") {
    const char* path = std::getenv("MEMEGEN_CONFIG_DOC");
    REQUIRE_MESSAGE(path != nullptr, "run through meson test");
    const auto text = memegen::detail::read_file(path);
    REQUIRE(text);
    std::string expected;
    for (const auto& info : memegen::bot::config_keys())
        expected += markdown_row(info) + "\n";
    const auto start = text->find("|---|---|---|---|---|\n");
    REQUIRE(start != std::string::npos);
    const auto body = start + std::string_view("|---|---|---|---|---|\n").size();
    const auto end = text->find("\n\n", body);
    const std::string actual = text->substr(body, end - body + 1);
    INFO("expected rows:\n" << expected);
    CHECK(actual == expected);
}

TEST_CASE("every documented environment variable overrides its key") {
    TempDir dir;
    fs::create_directories(dir / "memes");
    fs::create_directories(dir / "music");
    // The publishing targets configured, so that one key from the environment completes them.
    const auto file = write(dir / "bot.json", R"({"token": "111:minimal-token", "owner_id": 42,
        "publish": {"youtube": {"client_id": "id.apps.googleusercontent.com",
                                "client_secret": "file-client-secret"},
                    "x": {"consumer_key": "file-ck", "consumer_secret": "file-cs",
                          "access_token": "file-at", "access_token_secret": "file-ats"}}})");
    // A valid value for each variable, and what to_json() then shows for the key. A new
    // variable in the table without a line here fails below.
    const std::map<std::string, std::pair<std::string, nlohmann::json>> samples = {
        {"TELEGRAM_BOT_TOKEN", {"9:from-env", "<redacted>"}},
        {"TELEGRAM_API_URL", {"http://127.0.0.1:8081/", "http://127.0.0.1:8081"}},
        {"MEMEGEN_OWNER_ID", {"77", 77}},
        {"MEMEGEN_ADMIN_IDS", {"5, 6", nlohmann::json::array({5, 6})}},
        {"MEMEGEN_CHANNEL", {"@env_channel", "@env_channel"}},
        {"DAILY_GENERATIONS", {"7", 7}},
        {"MEMEGEN_TIMEZONE", {"Europe/Berlin", "Europe/Berlin"}},
        {"MEMEGEN_STATE_DIR", {(dir / "env-state").string(), (dir / "env-state").string()}},
        {"MEMEGEN_MEDIA_DIR", {(dir / "memes").string(), (dir / "memes").string()}},
        {"MEMEGEN_MUSIC_DIR", {(dir / "music").string(), (dir / "music").string()}},
        {"MEMEGEN_LOG_LEVEL", {"error", "error"}},
        {"MEMEGEN_YOUTUBE_CLIENT_SECRET", {"GOCSPX-env-secret", "<redacted>"}},
        {"MEMEGEN_YOUTUBE_REFRESH_TOKEN", {"1//env-refresh-token", "<redacted>"}},
        {"MEMEGEN_X_CONSUMER_KEY", {"env-consumer-key", "<redacted>"}},
        {"MEMEGEN_X_CONSUMER_SECRET", {"env-consumer-secret", "<redacted>"}},
        {"MEMEGEN_X_ACCESS_TOKEN", {"env-access-token", "<redacted>"}},
        {"MEMEGEN_X_ACCESS_TOKEN_SECRET", {"env-access-token-secret", "<redacted>"}},
    };
    std::size_t variables = 0;
    for (const auto& info : memegen::bot::config_keys()) {
        if (info.variable.empty())
            continue;
        ++variables;
        const std::string variable(info.variable);
        CAPTURE(variable);
        const auto sample = samples.find(variable);
        REQUIRE_MESSAGE(sample != samples.end(), "no sample value for this variable");
        const auto r = load_config(file, {{variable, sample->second.first}});
        INFO(all_problems(r));
        REQUIRE(r.ok());
        CHECK(to_json(r.config).at(nlohmann::json::json_pointer(pointer_of(info.key))) ==
              sample->second.second);
        // And a value it cannot take is a problem named by the variable (any state_dir that
        // is not a file will do).
        if (variable != "MEMEGEN_STATE_DIR") {
            const auto bad = load_config(file, {{variable, "[not valid"}});
            CHECK(problem_for(bad, variable) != nullptr);
        }
    }
    CHECK(variables == samples.size());
}

TEST_CASE("to_json() reads back as the same configuration") {
    const char* path = std::getenv("MEMEGEN_EXAMPLE_CONFIG");
    REQUIRE_MESSAGE(path != nullptr, "run through meson test");
    TempDir dir;
    fs::create_directories(dir / "memes");
    fs::create_directories(dir / "music");
    // The demo pack the example falls back to may not exist here: libraries that do.
    const auto first =
        load_config(fs::path(path), {{"MEMEGEN_MEDIA_DIR", (dir / "memes").string()},
                                     {"MEMEGEN_MUSIC_DIR", (dir / "music").string()}});
    INFO(all_problems(first));
    REQUIRE(first.ok());
    SUBCASE("the example") {
        const auto dumped = to_json(first.config);
        const auto second = load_config(write(dir / "again.json", dumped.dump(2)), {});
        INFO(all_problems(second));
        REQUIRE(second.ok());
        CHECK(to_json(second.config) == dumped);
    }
    SUBCASE("every key away from its default") {
        auto j = to_json(first.config);
        j["api_url"] = "http://127.0.0.1:8081/tg";
        j["admin_ids"] = {5, 6};
        j["review_chat"] = "@review_here";
        j["channel"] = -1001234;
        j["window_start"] = "08:30";
        j["window_end"] = "21:15";
        j["timezone"] = "+05:45";
        j["language"] = "ru";
        j["auto_publish"] = true;
        j["render"]["size"] = "720x1280";
        j["render"]["preset"] = "slow";
        j["render"]["background"] = "blur";
        j["render"]["min_seconds"] = 2.5;
        j["library"]["max_pixels"] = 123456;
        j["render_isolation"] = "thread";
        j["upload_limit_mb"] = 1500;
        j["missed_slots"] = "skip";
        j["log_level"] = "warning";
        j["metrics"]["address"] = "0.0.0.0";
        const auto second = load_config(write(dir / "changed.json", j.dump(2)), {});
        INFO(all_problems(second));
        REQUIRE(second.ok());
        CHECK(to_json(second.config) == j);
    }
}

TEST_CASE("a Bot API URL with a query is a configuration problem, not a start-up failure") {
    TempDir dir;
    const auto r = load_config(write(dir / "bot.json", R"({"token": "1:a", "owner_id": 1,
        "api_url": "https://host/p?q=1"})"),
                               {});
    REQUIRE(problem_for(r, "api_url"));
    CHECK(problem_for(r, "api_url")->message.find("query") != std::string::npos);
    CHECK(problem_for(r, "api_url")->message.find("\"https://host/p?q=1\"") != std::string::npos);
    SUBCASE("from the environment too, named by the variable") {
        const auto e = load_config(write(dir / "min.json", kMinimal),
                                   {{"TELEGRAM_API_URL", "https://host/#frag"}});
        REQUIRE(problem_for(e, "TELEGRAM_API_URL"));
        CHECK(problem_for(e, "TELEGRAM_API_URL")->message.find("fragment") != std::string::npos);
    }
}

TEST_CASE("the configuration check and BotApi accept exactly the same Bot API URLs") {
    TempDir dir;
    const auto file = write(dir / "bot.json", kMinimal);
    for (const char* url : {"https://api.telegram.org",
                            "https://api.telegram.org/",
                            "http://127.0.0.1:8081",
                            "http://localhost:8081/tg/",
                            "https://proxy.example/tg/bot-api",
                            "HTTPS://API.example",
                            "http://[::1]:8081",
                            "https://host/p?q=1",
                            "https://host?q",
                            "https://host/#x",
                            "https://host#x",
                            "ftp://host",
                            "https://",
                            "https://user@host",
                            "https://host:",
                            "https://host:123456",
                            "https://ho st",
                            "https://host/a b",
                            "https://host/a\tb",
                            "http://[::1",
                            "api.telegram.org",
                            "https://host:8443/x/y//"}) {
        CAPTURE(url);
        const auto r = load_config(file, {{"TELEGRAM_API_URL", url}});
        memegen::bot::BotApiOptions options;
        options.token = "1:a";
        options.base_url = r.ok() ? r.config.api_url : std::string(url);
        bool api_accepts = true;
        try {
            memegen::bot::BotApi api(options);
        } catch (const memegen::Error&) {
            api_accepts = false;
        }
        CHECK(r.ok() == api_accepts);
    }
}

// ---------------------------------------------------------------------------------------------
// publish.*

TEST_CASE("publishing targets are on when configured and named when missing") {
    TempDir dir;
    const auto load = [&](const std::string& publish, const Environment& env = {}) {
        return load_config(write(dir / "bot.json", R"({"token": "111:minimal-token",
            "owner_id": 42, "channel": "@memes_channel", "publish": )" +
                                                       publish + "}"),
                           env);
    };
    SUBCASE("the default is the channel, and listed channels join it once") {
        const auto r = load(R"({"telegram": {"channels": ["@other_channel", "@memes_channel"]}})");
        INFO(all_problems(r));
        REQUIRE(r.ok());
        CHECK(r.config.publish.default_targets == std::vector<std::string>{"telegram"});
        CHECK(r.config.telegram_channels() ==
              std::vector<ChatId>{"@memes_channel", "@other_channel"});
        CHECK_FALSE(r.config.publish.youtube.enabled());
        CHECK_FALSE(r.config.publish.x.enabled());
    }
    SUBCASE("a default target that is not configured is named with what to set") {
        const auto r = load(R"({"default_targets": ["telegram", "youtube"]})");
        const auto* p = problem_for(r, "publish.default_targets");
        REQUIRE(p != nullptr);
        CHECK(p->message ==
              "target \"youtube\" is not configured (set publish.youtube.client_id and "
              "client_secret)");
    }
    SUBCASE("an unknown target is named") {
        const auto r = load(R"({"default_targets": ["tiktok"]})");
        const auto* p = problem_for(r, "publish.default_targets");
        REQUIRE(p != nullptr);
        CHECK(p->message == "unknown target \"tiktok\" (known: telegram, youtube, x)");
    }
    SUBCASE("X keys given by halves are a problem for each missing one") {
        const auto r = load(R"({"x": {"consumer_key": "ck-value-123"}})");
        CHECK(problem_for(r, "publish.x.consumer_secret") != nullptr);
        CHECK(problem_for(r, "publish.x.access_token") != nullptr);
        CHECK(problem_for(r, "publish.x.access_token_secret") != nullptr);
    }
    SUBCASE("a template with an unknown placeholder is refused") {
        const auto r = load(R"({"youtube": {"title_template": "{title} #Shorts"}})");
        const auto* p = problem_for(r, "publish.youtube.title_template");
        REQUIRE(p != nullptr);
        CHECK(
            p->message.starts_with("has an unknown placeholder {title}: only {source}, "
                                   "{track} and {captions} are filled"));
    }
    SUBCASE("{captions} is a placeholder like {source} and {track}") {
        const auto r = load(R"({"youtube": {"title_template": "{captions} | {source}"},
                                "x": {"text_template": "{captions} 🎵 {track}"}})");
        CHECK(problem_for(r, "publish.youtube.title_template") == nullptr);
        CHECK(problem_for(r, "publish.x.text_template") == nullptr);
        CHECK(memegen::bot::fill_template("{captions} | {source} {{x}}",
                                          {"cat", "Artist — Song", "TOP BOTTOM"}) ==
              "TOP BOTTOM | cat {x}");
    }
    SUBCASE("secrets never appear in problems or in the dump") {
        const auto r = load(R"({"default_targets": ["youtube", "x"],
            "youtube": {"client_id": "cid.apps", "client_secret": "GOCSPX-file secret"},
            "x": {"consumer_key": "ck-file-1", "consumer_secret": "cs-file-1",
                  "access_token": "at-file-1", "access_token_secret": "ats-file-1"}})",
                            {{"MEMEGEN_YOUTUBE_REFRESH_TOKEN", "1//refresh-from-env"}});
        // The secret with a space is refused without being quoted.
        const auto* p = problem_for(r, "publish.youtube.client_secret");
        REQUIRE(p != nullptr);
        CHECK(all_problems(r).find("GOCSPX") == std::string::npos);
        const auto dump = to_json(r.config).dump();
        for (const char* secret :
             {"1//refresh-from-env", "ck-file-1", "cs-file-1", "at-file-1", "ats-file-1"}) {
            CAPTURE(secret);
            CHECK(dump.find(secret) == std::string::npos);
        }
        CHECK(r.config.publish.youtube.refresh_token == "1//refresh-from-env");
    }
}
