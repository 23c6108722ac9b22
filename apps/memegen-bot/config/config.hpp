#pragma once
/// \file config.hpp
/// BotConfig: the bot's settings, read from a JSON file (`--config FILE`) and then overridden by
/// environment variables. Loading never stops at the first mistake: every problem is collected,
/// each naming its key (or environment variable), so `--check-config` can list them all.
/// The token never appears in a problem text or in to_json().

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <memegen/log.hpp>
#include <memegen/perceptual_hash.hpp>
#include <memegen/render_options.hpp>

#include "telegram/types.hpp"

#include "config/quiet_hours.hpp"

namespace memegen::bot {

/// Environment variables by name (injectable for tests).
using Environment = std::map<std::string, std::string>;

/// The variables of this process (environ).
[[nodiscard]] Environment process_environment();

/// The language of the bot's replies.
enum class Language { en, ru };

/// How a render is isolated from the bot: a child process (survives crashes, OOM) or a thread.
enum class RenderIsolation { process, thread };

/// What happens at start-up to scheduled slots that passed while the bot was not running.
enum class MissedSlotPolicy {
    skip,          ///< every missed slot is marked skipped
    catch_up_one,  ///< the most recent missed slot of today runs once; the others are skipped
};

/// "en" / "ru".
[[nodiscard]] std::string_view to_string(Language language) noexcept;
/// "process" / "thread".
[[nodiscard]] std::string_view to_string(RenderIsolation isolation) noexcept;
/// "skip" / "catch_up_one".
[[nodiscard]] std::string_view to_string(MissedSlotPolicy policy) noexcept;

/// A local wall-clock time of the posting window, in minutes after midnight (0..1440).
struct ClockTime {
    int minutes = 0;  ///< 0 = 00:00, 1440 = 24:00

    /// Parses "HH:MM" (00:00..24:00); nullopt otherwise.
    [[nodiscard]] static std::optional<ClockTime> parse(std::string_view text);
    /// "HH:MM".
    [[nodiscard]] std::string to_string() const;

    friend auto operator<=>(const ClockTime&, const ClockTime&) = default;
};

/// RenderOptions' defaults, the one place the bot's render defaults come from.
[[nodiscard]] inline const RenderOptions& render_defaults() {
    static const RenderOptions defaults;
    return defaults;
}

/// The render keys of the configuration; each default is RenderOptions' own, and
/// render_options_of() maps them onto it.
struct RenderSettings {
    FrameSize size = render_defaults().size;               ///< output frame, "size": "1080x1920"
    int fps = render_defaults().fps;                       ///< 1..60
    int crf = render_defaults().crf;                       ///< x264 constant rate factor 0..51
    std::string preset = render_defaults().preset;         ///< x264 preset
    Background background = render_defaults().background;  ///< what surrounds the meme
    std::filesystem::path font;  ///< caption font; empty: RenderOptions' default
    double min_seconds = render_defaults().min_seconds;  ///< shortest random length of a still
    double max_seconds = render_defaults().max_seconds;  ///< longest random length of a still
    double max_video_seconds = render_defaults().max_video_seconds;  ///< GIFs/videos cut here
    /// The MP4 is kept under this many MB (10^6 bytes).
    int max_output_mb = static_cast<int>(render_defaults().max_output_bytes / 1'000'000);
    bool captions = true;  ///< sidecar captions and the track's "artist — title" badge are drawn
};

/// `settings` as RenderOptions, every other option at its default: what each render starts
/// from before the candidate's own seed, music, captions and effects are set.
[[nodiscard]] RenderOptions render_options_of(const RenderSettings& settings);

/// How files get into the libraries: probe limits, uploads, rescans.
struct LibrarySettings {
    int max_file_mb = 100;                 ///< library files above this are skipped (10^6 bytes)
    std::int64_t max_pixels = 50'000'000;  ///< pictures above width×height are skipped
    bool uploads = true;                   ///< owner/admins may add media by sending it
    int max_upload_mb = 20;                ///< largest file downloaded (the Bot API serves 20)
    int rescan_minutes = 10;               ///< library directories re-checked; 0: at start only
    /// A meme within this many bits of one seen (library, published, disliked) is refused at
    /// intake; 0: no check.
    int duplicate_distance = kNearDuplicateDistance;
};

/// Memes fetched from subreddits (sources/README.md), on a background cadence.
struct RedditSettings {
    std::filesystem::path sources_file;  ///< reddit_sources.json; empty: subreddits off
    int fetch_minutes = 60;              ///< how often fresh posts are fetched
    int fetch_count = 3;                 ///< memes fetched each time
};

/// The optional Prometheus-style metrics endpoint.
struct MetricsSettings {
    bool enabled = false;               ///< off unless asked for
    std::string address = "127.0.0.1";  ///< loopback unless told otherwise
    int port = 9464;                    ///< 1..65535
};

/// Where Publish posts (publish.*): every target is enabled when configured.
struct YouTubeSettings {
    std::string client_id;      ///< OAuth client ("TVs and Limited Input devices"); empty: off
    std::string client_secret;  ///< that client's secret (secret)
    std::string refresh_token;  ///< an operator-given refresh token (secret); /connect stores one
    std::string api_url = "https://www.googleapis.com";
    std::string oauth_url = "https://oauth2.googleapis.com";
    std::string privacy = "private";  ///< private | unlisted | public
    bool made_for_kids = false;
    std::string title_template = "{source}";
    std::string description_template = "{captions}\n{source}\n🎵 {track}\n\n#Shorts";
    std::vector<std::string> tags{"shorts", "memes"};
    bool thumbnail = true;  ///< thumbnails.set with the candidate's JPEG after the upload

    /// True when the target is configured (a client id).
    [[nodiscard]] bool enabled() const noexcept { return !client_id.empty(); }
};

/// X (publish.x.*): OAuth 1.0a user-context keys of an X app.
struct XSettings {
    std::string consumer_key;         ///< secret
    std::string consumer_secret;      ///< secret
    std::string access_token;         ///< secret
    std::string access_token_secret;  ///< secret
    std::string api_url = "https://api.x.com";
    std::string text_template = "{source} 🎵 {track}";

    /// True when the target is configured (a consumer key).
    [[nodiscard]] bool enabled() const noexcept { return !consumer_key.empty(); }
};

/// publish.*: where Publish goes and each target's settings.
struct PublishSettings {
    std::vector<std::string> default_targets{"telegram"};  ///< "telegram", "youtube", "x"
    std::vector<ChatId> telegram_channels;  ///< besides `channel`, the Telegram target's chats
    YouTubeSettings youtube;
    XSettings x;
};

/// Every setting of the bot, with the defaults documented in config_reference().
struct BotConfig {
    std::string token;                                 ///< Bot API token (secret)
    std::string api_url = "https://api.telegram.org";  ///< no trailing slash
    std::optional<std::filesystem::path> ca_file;      ///< CA bundle for TLS; default: the system's
    std::int64_t owner_id = 0;                         ///< the owner's Telegram user id
    std::vector<std::int64_t> admin_ids;               ///< other users allowed to command the bot
    ChatId review_chat;                                ///< where candidates go; default: the owner
    std::optional<ChatId> channel;                     ///< where Publish posts; none: not set
    int daily_generations = 3;                         ///< scheduled jobs a day; 0 disables
    int candidates = 3;                                ///< candidates per scheduled job
    ClockTime window_start{600};                       ///< posting window start, local time
    ClockTime window_end{1440};                        ///< posting window end (exclusive)
    std::string timezone;                       ///< IANA name or "+07:00"; empty: the system's
    Language language = Language::en;           ///< language of replies
    bool auto_publish = false;                  ///< publish scheduled memes without review
    std::filesystem::path state_dir = "state";  ///< state files (absolute after loading)
    std::filesystem::path media_dir;            ///< meme library (absolute after loading)
    std::filesystem::path music_dir;            ///< music library (absolute after loading)
    RenderSettings render;                      ///< how videos are made
    LibrarySettings library;                    ///< probing and uploads of library files
    int max_batch = 20;                         ///< cap of /generate N
    int max_attempts = 3;                       ///< tries per meme (and per poison update)
    RenderIsolation render_isolation = RenderIsolation::process;  ///< how renders run
    int upload_limit_mb = 50;         ///< sendVideo limit of the Bot API server
    int scheduled_wait_minutes = 30;  ///< how long a scheduled job waits for the guard
    int cleanup_hours = 24;           ///< work files older than this are removed (/cleanup, daily)
    MissedSlotPolicy missed_slots = MissedSlotPolicy::catch_up_one;  ///< see MissedSlotPolicy
    bool open_generate = false;           ///< anyone may /generate (else owner+admins)
    int generate_cooldown_seconds = 300;  ///< per-user pause between open /generate
    LogLevel log_level = LogLevel::info;  ///< minimum level logged
    MetricsSettings metrics;              ///< optional metrics endpoint
    RedditSettings reddit;                ///< optional subreddit sources
    // Review buttons and quiet hours (issue 13).
    int dislike_days = 1;                   ///< a 👎 source is not picked for this many days
    std::optional<QuietHours> quiet_hours;  ///< owner messages without a sound; none: always

    PublishSettings publish;  ///< publishing targets (publish.*)

    /// True if `user_id` is the owner or an admin.
    [[nodiscard]] bool is_admin(std::int64_t user_id) const noexcept;
    /// The Telegram target's chats: `channel`, then publish.telegram.channels (no repeats).
    [[nodiscard]] std::vector<ChatId> telegram_channels() const;
};

/// One thing wrong with the configuration.
struct ConfigProblem {
    std::string key;      ///< "render.crf", an environment variable, or the file's path
    std::string message;  ///< what is wrong, never containing the token

    /// "key: message".
    [[nodiscard]] std::string to_string() const;
};

/// What load_config() found.
struct ConfigLoadResult {
    BotConfig config;                     ///< usable only when problems is empty
    std::vector<ConfigProblem> problems;  ///< unknown keys first, then values in reference order

    /// True when there is no problem.
    [[nodiscard]] bool ok() const noexcept { return problems.empty(); }
};

/// Reads `file` (if given), applies the overrides of `env`, validates everything and collects
/// every problem. Relative paths in the file are resolved against the file's directory, those
/// from the environment against the working directory. Keys starting with '_' (such as
/// "_comment") are ignored at any level. Registers a non-empty token with register_secret().
/// Never throws for bad input; a file that cannot be read is a problem.
[[nodiscard]] ConfigLoadResult load_config(const std::optional<std::filesystem::path>& file,
                                           const Environment& env);

/// The configuration as JSON, in the file's format; the token is "<redacted>".
[[nodiscard]] nlohmann::json to_json(const BotConfig& config);

/// The reference of every key: type, default, environment override, meaning (--help-config).
[[nodiscard]] std::string config_reference();

/// One documented key, as the table of keys in config_table.cpp declares it (the source of
/// reading, environment overrides, config_reference() and to_json()).
struct ConfigKeyInfo {
    std::string_view key;           ///< "render.crf"
    std::string_view type;          ///< "integer 0..51"
    std::string_view default_text;  ///< "23"
    std::string_view env;           ///< environment override as documented, or empty
    std::string_view description;   ///< one sentence
    std::string_view variable;      ///< the environment variable alone, or empty
};

/// Every key the loader accepts, in reference order.
[[nodiscard]] const std::vector<ConfigKeyInfo>& config_keys();

}  // namespace memegen::bot
