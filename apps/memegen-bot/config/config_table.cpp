// The table of configuration keys: each key's type and range, member, environment variable and
// doc line, written once. Reading, environment overrides, the reference text (--help-config,
// memegen-bot.example.md) and to_json() are all derived from it (config_field.hpp).

#include <algorithm>
#include <cctype>

#include <memegen/error.hpp>
#include <memegen/render_options.hpp>

#include "config/config_field.hpp"
#include "config/publish_template.hpp"
#include "config/timezone.hpp"
#include "net/url.hpp"
#include "sources/reddit_sources.hpp"

namespace memegen::bot {

namespace fs = std::filesystem;
using field::Parsed;
using field::PathMust;
using nlohmann::json;

namespace {

std::string got(const std::string& text) {
    return json_value_text(json(text));
}

// The token is never quoted, not even when it is wrong.
Parsed<std::string> parse_token(ConfigReader&, const std::string&, const std::string& text) {
    if (text.empty())
        return {std::nullopt, {}};  // the required-key rule reports it
    const bool clean = std::none_of(text.begin(), text.end(), [](char ch) {
        return std::isspace(static_cast<unsigned char>(ch)) || ch == '/' ||
               static_cast<unsigned char>(ch) < 0x20;
    });
    if (!clean) {
        return {std::nullopt,
                "must not contain spaces, control characters or '/' (check for a stray newline "
                "or quote)"};
    }
    return {text, {}};
}

// The check BotApi makes (parse_base_url), so that a URL --check-config accepts never stops
// the bot at start-up; only the message is more precise.
Parsed<std::string> parse_api_url(ConfigReader&, const std::string&, const std::string& text) {
    if (parse_base_url(text)) {
        std::string url = text;
        while (url.ends_with('/'))
            url.pop_back();
        return {url, {}};
    }
    if (parse_http_url(text)) {
        const char* part =
            text.find('?') != std::string::npos ? "a query (\"?...\")" : "a fragment (\"#...\")";
        return {std::nullopt, fmt::format("must not have {}: the bot appends "
                                          "/bot<token>/<method> to it, got {}",
                                          part, got(text))};
    }
    return {std::nullopt, fmt::format("must be an http:// or https:// URL "
                                      "(http(s)://host[:port][/path]), got {}",
                                      got(text))};
}

Parsed<std::string> parse_zone(ConfigReader&, const std::string&, const std::string& text) {
    if (auto error = validate_timezone(text))
        return {std::nullopt, *error};
    return {text, {}};
}

Parsed<ClockTime> parse_clock(ConfigReader&, const std::string&, const std::string& text) {
    if (auto t = ClockTime::parse(text))
        return {*t, {}};
    return {std::nullopt,
            fmt::format("must be a time \"HH:MM\" between 00:00 and 24:00, got {}", got(text))};
}

Parsed<std::string> parse_address(ConfigReader&, const std::string&, const std::string& text) {
    if (text.empty() || text.find_first_of(" \t/") != std::string::npos) {
        return {std::nullopt,
                fmt::format("must be an IP address such as \"127.0.0.1\", got {}", got(text))};
    }
    return {text, {}};
}

// Review buttons and quiet hours (issue 13).
Parsed<std::optional<QuietHours>> parse_quiet_hours(ConfigReader&, const std::string&,
                                                    const std::string& text) {
    if (text.empty())
        return {std::make_optional(std::optional<QuietHours>{}), {}};
    auto parsed = QuietHours::parse(text);
    if (auto* hours = std::get_if<QuietHours>(&parsed))
        return {std::make_optional(std::optional<QuietHours>{*hours}), {}};
    return {std::nullopt, fmt::format("{}, got {}", std::get<std::string>(parsed), got(text))};
}

json show_quiet_hours(const std::optional<QuietHours>& hours) {
    return hours ? json(hours->to_string()) : json(nullptr);
}

json show_text(const std::string& text) {
    return text.empty() ? json(nullptr) : json(text);
}

json show_clock(const ClockTime& t) {
    return t.to_string();
}

ConfigField frame_size(KeyDoc doc) {
    ConfigField f;
    f.doc = doc;
    f.type = "\"WIDTHxHEIGHT\"";
    f.from_env = field::env_text;
    f.read = [](ConfigReader& r, const json& v, BotConfig& c) {
        std::optional<FrameSize> size;
        try {
            if (v.is_string())
                size = FrameSize::parse(v.get_ref<const std::string&>());
        } catch (const MediaError&) {
            // reported below, in the configuration's words
        }
        if (!size) {
            r.problem("render.size",
                      fmt::format("must be \"WIDTHxHEIGHT\" with even numbers 64..4096, got {}",
                                  json_value_text(v)));
            return;
        }
        c.render.size = *size;
    };
    f.dump = [](const BotConfig& c) { return json(c.render.size.to_string()); };
    return field::finish(std::move(f));
}

std::vector<std::string> reddit_sources_problems(const fs::path& file) {
    // Checked here so --check-config shows a broken sources file with the rest.
    std::vector<std::string> out;
    for (const auto& problem : load_reddit_sources(file).problems)
        out.push_back(problem.to_string());
    return out;
}

#define M MEMEGEN_CONFIG_MEMBER

std::vector<ConfigField> access_keys() {
    using namespace field;
    using S = std::string;
    constexpr auto kNoMax = std::numeric_limits<std::int64_t>::max();
    return {
        text({.key = "token",
              .doc = "Bot API token from @BotFather. Never logged, printed or "
                     "dumped.",
              .env = "TELEGRAM_BOT_TOKEN",
              .shown_default = "required",
              .required = true,
              .secret = true},
             "string (secret)", M(token), parse_token,
             [](const S& t) { return t.empty() ? json(nullptr) : json("<redacted>"); }),
        text({.key = "api_url",
              .doc = "Bot API server; a self-hosted server (e.g. "
                     "\"http://127.0.0.1:8081\") allows larger uploads.",
              .env = "TELEGRAM_API_URL"},
             "string (URL)", M(api_url), parse_api_url, show_text),
        path({.key = "ca_file",
              .doc = "PEM file of trusted CAs for HTTPS to api_url.",
              .shown_default = "system CA bundle"},
             M(ca_file), PathMust::be_a_file),
        integer({.key = "owner_id",
                 .doc = "Telegram user id of the owner: may run every command "
                        "and reviews candidates.",
                 .env = "MEMEGEN_OWNER_ID",
                 .shown_default = "required",
                 .required = true,
                 .required_hint = " (your Telegram user id)"},
                M(owner_id), 1, kNoMax),
        id_list({.key = "admin_ids",
                 .doc = "Other user ids allowed to run the owner's commands.",
                 .env = "MEMEGEN_ADMIN_IDS",
                 .env_note = " (comma-separated)"},
                M(admin_ids)),
        chat({.key = "review_chat",
              .doc = "Chat that receives candidates for review.",
              .shown_default = "owner_id"},
             M(review_chat)),
        chat({.key = "channel",
              .doc = "Where Publish posts; without it Publish replies that no "
                     "channel is set.",
              .env = "MEMEGEN_CHANNEL"},
             M(channel)),
    };
}

std::vector<ConfigField> schedule_and_path_keys() {
    using namespace field;
    using S = std::string;
    return {
        integer({.key = "daily_generations",
                 .doc = "Scheduled jobs per day, spread over the "
                        "posting window; 0 disables the schedule.",
                 .env = "DAILY_GENERATIONS"},
                M(daily_generations), 0, 24),
        integer({.key = "candidates", .doc = "Candidates made by each scheduled job."},
                M(candidates), 1, 10),
        text({.key = "window_start",
              .doc = "Start of the daily posting window, local time in "
                     "`timezone`."},
             "\"HH:MM\"", M(window_start), parse_clock, show_clock),
        text({.key = "window_end",
              .doc = "End of the posting window; must be later than "
                     "window_start (no overnight windows)."},
             "\"HH:MM\" (may be \"24:00\")", M(window_end), parse_clock, show_clock),
        text({.key = "timezone",
              .doc = "Zone of the schedule and the times the bot shows, e.g. "
                     "\"Asia/Tomsk\" (checked against /usr/share/zoneinfo) "
                     "or a fixed offset \"+07:00\".",
              .env = "MEMEGEN_TIMEZONE",
              .shown_default = "the system's zone"},
             "IANA name or \"+HH:MM\"", M(timezone), parse_zone, show_text),
        // Review buttons and quiet hours (issue 13).
        text({.key = "quiet_hours",
              .doc = "Local time (in `timezone`) when messages the bot sends to the owner or "
                     "review chat on its own come without a sound, e.g. \"00:00-10:00\" or "
                     "\"22:30-07:00\"; replies while the owner is active still notify. Empty: "
                     "none.",
              .shown_default = "none"},
             "\"HH:MM-HH:MM\"", M(quiet_hours), parse_quiet_hours, show_quiet_hours),
        integer(
            {.key = "dislike_days", .doc = "Days a source disliked with 👎 is not picked again."},
            M(dislike_days), 1, 365),
        choice({.key = "language", .doc = "Language of the bot's replies."}, M(language),
               std::vector<std::pair<S, Language>>{{"en", Language::en}, {"ru", Language::ru}}),
        boolean({.key = "auto_publish",
                 .doc = "Publish the first good candidate of a scheduled job to "
                        "publish.default_targets without waiting for review (the owner "
                        "still sees it, with a line per target)."},
                M(auto_publish)),
        path({.key = "state_dir",
              .doc = "State files: schedule.json, offset.json, "
                     "generation_state.json, crash.log.",
              .env = "MEMEGEN_STATE_DIR",
              .shown_default = "\"./state\" (working directory)"},
             M(state_dir), PathMust::not_be_a_file),
        path({.key = "media_dir",
              .doc = "Meme library (images, GIFs, videos). The default is "
                     "looked up beside the config file, then in the "
                     "working directory.",
              .env = "MEMEGEN_MEDIA_DIR",
              .shown_default = "demo pack \"data/demo/memes\""},
             M(media_dir), PathMust::be_a_directory),
        path({.key = "music_dir",
              .doc = "Music library; default looked up like media_dir.",
              .env = "MEMEGEN_MUSIC_DIR",
              .shown_default = "demo pack \"data/demo/music\""},
             M(music_dir), PathMust::be_a_directory),
    };
}

// Every x264 preset but placebo, by its own name.
std::vector<std::pair<std::string, std::string>> x264_presets() {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto name : kX264Presets) {
        if (name != "placebo")
            out.emplace_back(name, name);
    }
    return out;
}

std::vector<ConfigField> render_keys() {
    using namespace field;
    using S = std::string;
    return {
        section({.key = "render", .doc = "Render settings (keys below)."}),
        frame_size({.key = "render.size", .doc = "Output frame; both even, 64..4096."}),
        integer({.key = "render.fps", .doc = "Output frame rate."}, M(render.fps), 1, 60),
        integer({.key = "render.crf", .doc = "x264 constant rate factor (lower = better)."},
                M(render.crf), 0, 51),
        choice({.key = "render.preset",
                .doc = "x264 speed against file size. placebo is left out: it is slower than "
                       "veryslow for no visible gain."},
               M(render.preset), x264_presets(), "an x264 preset"),
        choice({.key = "render.background",
                .doc = "What fills the frame around the fitted "
                       "meme."},
               M(render.background),
               std::vector<std::pair<S, Background>>{
                   {S(to_string(Background::black)), Background::black},
                   {S(to_string(Background::blur)), Background::blur}}),
        path({.key = "render.font",
              .doc = "Caption font file.",
              .shown_default = "DejaVu Sans Bold"},
             M(render.font), PathMust::be_a_file),
        number({.key = "render.min_seconds", .doc = "Shortest random length of a still."},
               M(render.min_seconds), 1, 60),
        number({.key = "render.max_seconds",
                .doc = "Longest random length of a still; >= "
                       "min_seconds."},
               M(render.max_seconds), 1, 60),
        number({.key = "render.max_video_seconds",
                .doc = "GIFs and videos are cut here; >= "
                       "max_seconds."},
               M(render.max_video_seconds), 1, 600),
        integer({.key = "render.max_output_mb",
                 .doc = "The MP4 is kept under this many MB; <= "
                        "upload_limit_mb."},
                M(render.max_output_mb), 1, 2000),
        boolean({.key = "render.captions",
                 .doc = "Draw the captions of the meme's sidecar JSON, and the track's \"artist "
                        "— title\" from its sidecar as the badge line (see "
                        "config/library-sidecar.md)."},
                M(render.captions)),
    };
}

std::vector<ConfigField> library_and_limit_keys() {
    using namespace field;
    using S = std::string;
    return {
        section({.key = "library", .doc = "How files get into the libraries (keys below)."}),
        integer({.key = "library.max_file_mb",
                 .doc = "Library files larger than this many MB "
                        "are skipped (logged) and never rendered."},
                M(library.max_file_mb), 1, 10000),
        integer({.key = "library.max_pixels",
                 .doc = "Pictures whose header claims more pixels "
                        "(width x height) are skipped before "
                        "decoding."},
                M(library.max_pixels), 10000, 1'000'000'000),
        boolean({.key = "library.uploads",
                 .doc = "The owner and admins may add memes and music "
                        "by sending them to the bot."},
                M(library.uploads)),
        integer({.key = "library.max_upload_mb",
                 .doc = "Largest file the bot downloads (the "
                        "public Bot API serves at most 20 MB)."},
                M(library.max_upload_mb), 1, 2000),
        integer({.key = "library.rescan_minutes",
                 .doc = "How often the library directories are checked for new or changed files "
                        "(each probed once, in the background); 0: only at start-up and when a "
                        "library is empty."},
                M(library.rescan_minutes), 0, 1440),
        integer({.key = "library.duplicate_distance",
                 .doc = "A meme sent to the bot or fetched from a subreddit is refused when its "
                        "perceptual hash is at most this many bits (of 64) from a library meme's "
                        "or a published or disliked one's; copies measure 0-10, distinct memes 20 "
                        "and more; "
                        "0: no check."},
                M(library.duplicate_distance), 0, 32),
        integer({.key = "max_batch", .doc = "Largest N accepted by /generate N."}, M(max_batch), 1,
                100),
        integer({.key = "max_attempts",
                 .doc = "Tries per meme; also how often a crashing update "
                        "is retried before it is skipped."},
                M(max_attempts), 1, 10),
        choice({.key = "render_isolation",
                .doc = "Render in a child process (survives crashes "
                       "and OOM kills) or in a thread."},
               M(render_isolation),
               std::vector<std::pair<S, RenderIsolation>>{{"process", RenderIsolation::process},
                                                          {"thread", RenderIsolation::thread}}),
        integer({.key = "upload_limit_mb",
                 .doc = "Upload limit of the Bot API server; above 50 "
                        "only with a self-hosted api_url."},
                M(upload_limit_mb), 1, 2000),
        integer({.key = "scheduled_wait_minutes",
                 .doc = "How long a scheduled job waits for a "
                        "running generation before it is "
                        "skipped."},
                M(scheduled_wait_minutes), 0, 720),
        integer({.key = "cleanup_hours",
                 .doc = "Work files (leftover renders, request files, partial downloads) older "
                        "than this many hours are removed by /cleanup and by the daily sweep."},
                M(cleanup_hours), 1, 720),
        choice({.key = "missed_slots",
                .doc = "Slots that passed while the bot was down: all skipped, or the most "
                       "recent one of today runs once at start-up and the others are skipped."},
               M(missed_slots),
               std::vector<std::pair<S, MissedSlotPolicy>>{
                   {"skip", MissedSlotPolicy::skip},
                   {"catch_up_one", MissedSlotPolicy::catch_up_one}}),
        boolean({.key = "open_generate",
                 .doc = "Let any user run /generate (one meme, "
                        "rate-limited); otherwise owner and admins only."},
                M(open_generate)),
        integer({.key = "generate_cooldown_seconds",
                 .doc = "Per-user pause between /generate "
                        "requests when open_generate is on."},
                M(generate_cooldown_seconds), 0, 86400),
        choice(
            {.key = "log_level", .doc = "Minimum level of log lines.", .env = "MEMEGEN_LOG_LEVEL"},
            M(log_level),
            std::vector<std::pair<S, LogLevel>>{{"debug", LogLevel::debug},
                                                {"info", LogLevel::info},
                                                {"warning", LogLevel::warning},
                                                {"error", LogLevel::error},
                                                {"off", LogLevel::off}}),
    };
}

std::vector<ConfigField> source_and_metrics_keys() {
    using namespace field;
    using S = std::string;
    return {
        section({.key = "reddit", .doc = "Memes from subreddits (keys below; off by default)."}),
        path({.key = "reddit.sources_file",
              .doc = "reddit_sources.json: the subreddits and how to read them (see "
                     "sources/README.md). Fetched memes are probed and join the meme library.",
              .shown_default = "none (off)"},
             M(reddit.sources_file), PathMust::be_anything, reddit_sources_problems),
        integer({.key = "reddit.fetch_minutes",
                 .doc = "How often fresh posts are fetched, in "
                        "the background."},
                M(reddit.fetch_minutes), 1, 1440),
        integer({.key = "reddit.fetch_count", .doc = "Memes fetched each time."},
                M(reddit.fetch_count), 1, 20),
        section({.key = "metrics", .doc = "Optional metrics endpoint (keys below)."}),
        boolean({.key = "metrics.enabled", .doc = "Serve metrics over HTTP."}, M(metrics.enabled)),
        text({.key = "metrics.address", .doc = "Address to bind; loopback by default."},
             "string (IP address)", M(metrics.address), parse_address,
             [](const S& a) { return json(a); }),
        integer({.key = "metrics.port", .doc = "Port to bind."}, M(metrics.port), 1, 65535),
    };
}

// ---------------------------------------------------------------- publish.*

// A secret of a publishing target: never quoted, dumped as "<redacted>".
Parsed<std::string> parse_secret(ConfigReader&, const std::string&, const std::string& text) {
    const bool clean = std::none_of(text.begin(), text.end(), [](char ch) {
        return std::isspace(static_cast<unsigned char>(ch)) ||
               static_cast<unsigned char>(ch) < 0x20;
    });
    if (!clean)
        return {std::nullopt,
                "must not contain spaces or control characters (check for a stray "
                "newline or quote)"};
    return {text, {}};
}

json show_secret(const std::string& s) {
    return s.empty() ? json(nullptr) : json("<redacted>");
}

Parsed<std::string> parse_publish_url(ConfigReader&, const std::string&, const std::string& text) {
    if (!parse_base_url(text)) {
        return {std::nullopt, fmt::format("must be an http:// or https:// URL without a query "
                                          "(http(s)://host[:port][/path]), got {}",
                                          got(text))};
    }
    std::string url = text;
    while (url.ends_with('/'))
        url.pop_back();
    return {url, {}};
}

Parsed<std::string> parse_template(ConfigReader&, const std::string&, const std::string& text) {
    if (auto problem = template_problem(text))
        return {std::nullopt, fmt::format("{}, got {}", *problem, got(text))};
    return {text, {}};
}

// A JSON array of non-empty strings; from the environment, comma-separated.
template <typename Get>
ConfigField string_list(KeyDoc doc, Get get, std::vector<std::string> allowed = {}) {
    ConfigField f;
    f.doc = doc;
    f.type = "array of strings";
    f.from_env = [](ConfigReader&, const std::string& text) {
        auto value = json::array();
        std::string_view rest = text;
        for (;;) {
            const auto comma = rest.find(',');
            auto item = rest.substr(0, comma);
            while (!item.empty() && item.front() == ' ')
                item.remove_prefix(1);
            while (!item.empty() && item.back() == ' ')
                item.remove_suffix(1);
            if (!item.empty())
                value.push_back(std::string(item));
            if (comma == std::string_view::npos)
                break;
            rest.remove_prefix(comma + 1);
        }
        return value;
    };
    f.read = [get, allowed, key = std::string(doc.key)](ConfigReader& r, const json& v,
                                                        BotConfig& c) {
        if (!v.is_array()) {
            r.problem(key, fmt::format("must be an array of strings, got {}", json_value_text(v)));
            return;
        }
        std::vector<std::string> out;
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (!v[i].is_string() || v[i].get_ref<const std::string&>().empty()) {
                r.problem(key, fmt::format("item {} must be a non-empty string, got {}", i,
                                           json_value_text(v[i])));
            } else {
                out.push_back(v[i].get<std::string>());
            }
        }
        get(c) = std::move(out);
    };
    f.dump = [get](const BotConfig& c) { return json(get(c)); };
    return field::finish(std::move(f));
}

// A JSON array of chats (ids or "@name").
template <typename Get>
ConfigField chat_list(KeyDoc doc, Get get) {
    ConfigField f;
    f.doc = doc;
    f.type = "array of integers or \"@name\"";
    f.from_env = field::env_text;
    f.read = [get, key = std::string(doc.key)](ConfigReader& r, const json& v, BotConfig& c) {
        if (!v.is_array()) {
            r.problem(key, fmt::format("must be an array of chats, got {}", json_value_text(v)));
            return;
        }
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (auto chat = field::parse_chat(v[i])) {
                get(c).push_back(*chat);
            } else {
                r.problem(key, fmt::format("item {} must be a chat id (non-zero integer) or "
                                           "\"@username\", got {}",
                                           i, json_value_text(v[i])));
            }
        }
    };
    f.dump = [get](const BotConfig& c) {
        auto out = json::array();
        for (const auto& chat : get(c))
            out.push_back(chat.to_json());
        return out;
    };
    return field::finish(std::move(f));
}

std::vector<ConfigField> publish_keys() {
    using namespace field;
    using S = std::string;
    const auto secret = [](KeyDoc doc, auto get) {
        doc.secret = true;
        return text(doc, "string (secret)", get, parse_secret, show_secret);
    };
    const auto url = [](KeyDoc doc, auto get) {
        return text(doc, "string (URL)", get, parse_publish_url, show_text);
    };
    const auto templ = [](KeyDoc doc, auto get) {
        return text(doc, "string (template)", get, parse_template,
                    [](const S& t) { return json(t); });
    };
    return {
        section({.key = "publish",
                 .doc = "Where Publish posts: Telegram channels, YouTube Shorts, X (keys below); "
                        "a target is enabled when configured."}),
        string_list({.key = "publish.default_targets",
                     .doc = "Targets of the Publish button: \"telegram\", \"youtube\", \"x\"; "
                            "each must be configured."},
                    M(publish.default_targets)),
        section({.key = "publish.telegram", .doc = "The Telegram target (keys below)."}),
        chat_list({.key = "publish.telegram.channels",
                   .doc = "Channels the Telegram target posts to, besides `channel`."},
                  M(publish.telegram_channels)),
        section({.key = "publish.youtube",
                 .doc = "The YouTube Shorts target (keys below); on when client_id is set."}),
        text({.key = "publish.youtube.client_id",
              .doc = "OAuth client id of type \"TVs and Limited Input devices\" (Google Cloud "
                     "console)."},
             "string", M(publish.youtube.client_id), parse_secret, show_text),
        secret({.key = "publish.youtube.client_secret",
                .doc = "That OAuth client's secret. Never logged, printed or dumped.",
                .env = "MEMEGEN_YOUTUBE_CLIENT_SECRET"},
               M(publish.youtube.client_secret)),
        secret({.key = "publish.youtube.refresh_token",
                .doc = "A refresh token you already have; otherwise /connect youtube stores one "
                       "in state_dir.",
                .env = "MEMEGEN_YOUTUBE_REFRESH_TOKEN"},
               M(publish.youtube.refresh_token)),
        url({.key = "publish.youtube.api_url", .doc = "YouTube Data API base URL."},
            M(publish.youtube.api_url)),
        url({.key = "publish.youtube.oauth_url", .doc = "Google OAuth 2.0 base URL."},
            M(publish.youtube.oauth_url)),
        choice({.key = "publish.youtube.privacy", .doc = "Privacy of uploaded videos."},
               M(publish.youtube.privacy),
               std::vector<std::pair<S, S>>{
                   {"private", "private"}, {"unlisted", "unlisted"}, {"public", "public"}}),
        boolean({.key = "publish.youtube.made_for_kids",
                 .doc = "Declare uploads as made for kids (YouTube's audience setting)."},
                M(publish.youtube.made_for_kids)),
        templ({.key = "publish.youtube.title_template",
               .doc = "Video title (cut to YouTube's 100 characters); {source} is the meme's "
                      "file name, {track} the track, {captions} the captions drawn on it."},
              M(publish.youtube.title_template)),
        templ({.key = "publish.youtube.description_template",
               .doc = "Video description; same placeholders; keep #Shorts. A placeholder "
                      "that is empty leaves no blank line at the start or end."},
              M(publish.youtube.description_template)),
        string_list({.key = "publish.youtube.tags",
                     .doc = "Video tags; the meme's sidecar tags follow them (up to YouTube's "
                            "500 characters)."},
                    M(publish.youtube.tags)),
        boolean({.key = "publish.youtube.thumbnail",
                 .doc = "Set the candidate's JPEG as the video's thumbnail after the upload "
                        "(thumbnails.set, 50 quota units); a failure leaves the video up with a "
                        "note."},
                M(publish.youtube.thumbnail)),
        section({.key = "publish.x",
                 .doc = "The X target (keys below); on when the four OAuth 1.0a keys are set."}),
        secret({.key = "publish.x.consumer_key",
                .doc = "The X app's API key (consumer key).",
                .env = "MEMEGEN_X_CONSUMER_KEY"},
               M(publish.x.consumer_key)),
        secret({.key = "publish.x.consumer_secret",
                .doc = "The X app's API key secret.",
                .env = "MEMEGEN_X_CONSUMER_SECRET"},
               M(publish.x.consumer_secret)),
        secret({.key = "publish.x.access_token",
                .doc = "Access token of the posting account (read and write).",
                .env = "MEMEGEN_X_ACCESS_TOKEN"},
               M(publish.x.access_token)),
        secret({.key = "publish.x.access_token_secret",
                .doc = "That access token's secret.",
                .env = "MEMEGEN_X_ACCESS_TOKEN_SECRET"},
               M(publish.x.access_token_secret)),
        url({.key = "publish.x.api_url", .doc = "X API base URL."}, M(publish.x.api_url)),
        templ({.key = "publish.x.text_template",
               .doc = "Text of the post (cut to X's 280); {source}, {track} and {captions} "
                      "as for YouTube."},
              M(publish.x.text_template)),
    };
}

std::vector<ConfigField> make_table() {
    std::vector<ConfigField> all;
    for (auto part : {access_keys(), schedule_and_path_keys(), render_keys(),
                      library_and_limit_keys(), source_and_metrics_keys(), publish_keys()})
        std::move(part.begin(), part.end(), std::back_inserter(all));
    return all;
}

#undef M

}  // namespace

const std::vector<ConfigField>& config_fields() {
    static const std::vector<ConfigField> fields = make_table();
    return fields;
}

}  // namespace memegen::bot
