#include "config/config.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <set>

#include <memegen/detail/files.hpp>
#include <memegen/error.hpp>

#include "config/json_kind.hpp"
#include "config/timezone.hpp"
#include "sources/reddit_sources.hpp"

extern char** environ;

namespace memegen::bot {

using nlohmann::json;
namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Small value types

std::string_view to_string(Language language) noexcept {
    return language == Language::ru ? "ru" : "en";
}

std::string_view to_string(RenderIsolation isolation) noexcept {
    return isolation == RenderIsolation::thread ? "thread" : "process";
}

std::string_view to_string(MissedSlotPolicy policy) noexcept {
    return policy == MissedSlotPolicy::skip ? "skip" : "catch_up_one";
}

std::string ChatRef::to_string() const {
    return username.empty() ? std::to_string(id) : username;
}

std::optional<ClockTime> ClockTime::parse(std::string_view text) {
    if (text.size() != 5 || text[2] != ':')
        return std::nullopt;
    for (const std::size_t i : {0u, 1u, 3u, 4u}) {
        if (text[i] < '0' || text[i] > '9')
            return std::nullopt;
    }
    const int hours = (text[0] - '0') * 10 + (text[1] - '0');
    const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
    if (minutes > 59 || hours > 24 || (hours == 24 && minutes != 0))
        return std::nullopt;
    return ClockTime{hours * 60 + minutes};
}

std::string ClockTime::to_string() const {
    return fmt::format("{:02}:{:02}", minutes / 60, minutes % 60);
}

bool BotConfig::is_admin(std::int64_t user_id) const noexcept {
    return user_id != 0 && (user_id == owner_id || std::find(admin_ids.begin(), admin_ids.end(),
                                                             user_id) != admin_ids.end());
}

std::string ConfigProblem::to_string() const {
    return key.empty() ? message : key + ": " + message;
}

Environment process_environment() {
    Environment env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const auto eq = text.find('=');
        if (eq == std::string_view::npos)
            continue;
        env.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
    }
    return env;
}

// ---------------------------------------------------------------------------------------------
// The key table: one source for the reference text and for the unknown-key check.

const std::vector<ConfigKeyInfo>& config_keys() {
    static const std::vector<ConfigKeyInfo> keys = {
        {"token", "string (secret)", "required", "TELEGRAM_BOT_TOKEN",
         "Bot API token from @BotFather. Never logged, printed or dumped."},
        {"api_url", "string (URL)", "\"https://api.telegram.org\"", "TELEGRAM_API_URL",
         "Bot API server; a self-hosted server (e.g. \"http://127.0.0.1:8081\") allows larger "
         "uploads."},
        {"ca_file", "string (path)", "system CA bundle", "",
         "PEM file of trusted CAs for HTTPS to api_url."},
        {"owner_id", "integer", "required", "MEMEGEN_OWNER_ID",
         "Telegram user id of the owner: may run every command and reviews candidates."},
        {"admin_ids", "array of integers", "[]", "MEMEGEN_ADMIN_IDS (comma-separated)",
         "Other user ids allowed to run the owner's commands."},
        {"review_chat", "integer or \"@name\"", "owner_id", "",
         "Chat that receives candidates for review."},
        {"channel", "integer or \"@name\"", "none", "MEMEGEN_CHANNEL",
         "Where Publish posts; without it Publish replies that no channel is set."},
        {"daily_generations", "integer 0..24", "3", "DAILY_GENERATIONS",
         "Scheduled jobs per day, spread over the posting window; 0 disables the schedule."},
        {"candidates", "integer 1..10", "3", "", "Candidates made by each scheduled job."},
        {"window_start", "\"HH:MM\"", "\"10:00\"", "",
         "Start of the daily posting window, local time in `timezone`."},
        {"window_end", "\"HH:MM\" (may be \"24:00\")", "\"24:00\"", "",
         "End of the posting window; must be later than window_start (no overnight windows)."},
        {"timezone", "IANA name or \"+HH:MM\"", "the system's zone", "MEMEGEN_TIMEZONE",
         "Zone of the schedule and timestamps, e.g. \"Asia/Tomsk\" (checked against "
         "/usr/share/zoneinfo) or a fixed offset \"+07:00\"."},
        {"language", "\"en\" | \"ru\"", "\"en\"", "", "Language of the bot's replies."},
        {"auto_publish", "boolean", "false", "",
         "Publish the first good candidate of a scheduled job without waiting for review."},
        {"state_dir", "string (path)", "\"./state\" (working directory)", "MEMEGEN_STATE_DIR",
         "State files: schedule.json, offset.json, generation_state.json, crash.log."},
        {"media_dir", "string (path)", "demo pack \"data/demo/memes\"", "MEMEGEN_MEDIA_DIR",
         "Meme library (images, GIFs, videos). The default is looked up beside the config file, "
         "then in the working directory."},
        {"music_dir", "string (path)", "demo pack \"data/demo/music\"", "MEMEGEN_MUSIC_DIR",
         "Music library; default looked up like media_dir."},
        {"render", "object", "{}", "", "Render settings (keys below)."},
        {"render.size", "\"WIDTHxHEIGHT\"", "\"1080x1920\"", "",
         "Output frame; both even, 64..4096."},
        {"render.fps", "integer 1..60", "24", "", "Output frame rate."},
        {"render.crf", "integer 0..51", "23", "", "x264 constant rate factor (lower = better)."},
        {"render.preset", "x264 preset name", "\"veryfast\"", "",
         "ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, veryslow."},
        {"render.background", "\"black\" | \"blur\"", "\"black\"", "",
         "What fills the frame around the fitted meme."},
        {"render.font", "string (path)", "DejaVu Sans Bold", "", "Caption font file."},
        {"render.min_seconds", "number 1..60", "7", "", "Shortest random length of a still."},
        {"render.max_seconds", "number 1..60", "12", "",
         "Longest random length of a still; >= min_seconds."},
        {"render.max_video_seconds", "number 1..600", "60", "",
         "GIFs and videos are cut here; >= max_seconds."},
        {"render.max_output_mb", "integer 1..2000", "50", "",
         "The MP4 is kept under this many MB; <= upload_limit_mb."},
        {"render.captions", "boolean", "true", "",
         "Draw the captions of the meme's sidecar JSON, and the track's \"artist — title\" "
         "from its sidecar as the badge line (see config/library-sidecar.md)."},
        {"library", "object", "{}", "", "How files get into the libraries (keys below)."},
        {"library.max_file_mb", "integer 1..10000", "100", "",
         "Library files larger than this many MB are skipped (logged) and never rendered."},
        {"library.max_pixels", "integer 10000..1000000000", "50000000", "",
         "Pictures whose header claims more pixels (width x height) are skipped before "
         "decoding."},
        {"library.uploads", "boolean", "true", "",
         "The owner and admins may add memes and music by sending them to the bot."},
        {"library.max_upload_mb", "integer 1..2000", "20", "",
         "Largest file the bot downloads (the public Bot API serves at most 20 MB)."},
        {"library.rescan_minutes", "integer 0..1440", "10", "",
         "How often the library directories are checked for new or changed files (each probed "
         "once, in the background); 0: only at start-up and when a library is empty."},
        {"max_batch", "integer 1..100", "20", "", "Largest N accepted by /generate N."},
        {"max_attempts", "integer 1..10", "3", "",
         "Tries per meme; also how often a crashing update is retried before it is skipped."},
        {"render_isolation", "\"process\" | \"thread\"", "\"process\"", "",
         "Render in a child process (survives crashes and OOM kills) or in a thread."},
        {"upload_limit_mb", "integer 1..2000", "50", "",
         "Upload limit of the Bot API server; above 50 only with a self-hosted api_url."},
        {"scheduled_wait_minutes", "integer 0..720", "30", "",
         "How long a scheduled job waits for a running generation before it is skipped."},
        {"missed_slots", "\"skip\" | \"catch_up_one\"", "\"catch_up_one\"", "",
         "Slots that passed while the bot was down: all skipped, or the most recent one of today "
         "runs once at start-up and the others are skipped."},
        {"open_generate", "boolean", "false", "",
         "Let any user run /generate (one meme, rate-limited); otherwise owner and admins only."},
        {"generate_cooldown_seconds", "integer 0..86400", "300", "",
         "Per-user pause between /generate requests when open_generate is on."},
        {"log_level", "\"debug\" | \"info\" | \"warning\" | \"error\" | \"off\"", "\"info\"",
         "MEMEGEN_LOG_LEVEL", "Minimum level of log lines."},
        {"reddit", "object", "{}", "", "Memes from subreddits (keys below; off by default)."},
        {"reddit.sources_file", "string (path)", "none (off)", "",
         "reddit_sources.json: the subreddits and how to read them (see "
         "sources/README.md). Fetched memes are probed and join the meme library."},
        {"reddit.fetch_minutes", "integer 1..1440", "60", "",
         "How often fresh posts are fetched, in the background."},
        {"reddit.fetch_count", "integer 1..20", "3", "", "Memes fetched each time."},
        {"metrics", "object", "{}", "", "Optional metrics endpoint (keys below)."},
        {"metrics.enabled", "boolean", "false", "", "Serve metrics over HTTP."},
        {"metrics.address", "string (IP address)", "\"127.0.0.1\"", "",
         "Address to bind; loopback by default."},
        {"metrics.port", "integer 1..65535", "9464", "", "Port to bind."},
    };
    return keys;
}

std::string config_reference() {
    std::string out =
        "memegen-bot configuration\n"
        "\n"
        "A JSON object given with --config FILE; environment variables override the file.\n"
        "Keys starting with \"_\" (e.g. \"_comment\") are ignored at any level, so a file can\n"
        "carry its own notes. A key set to null takes its default. An empty environment\n"
        "variable counts as unset. Relative paths in the file are resolved against the file's\n"
        "directory; paths from the environment against the working directory.\n"
        "--check-config prints every problem (each naming its key or variable) and exits 1.\n"
        "\n";
    for (const auto& k : config_keys()) {
        out += fmt::format("{}  ({})\n    default: {}", k.key, k.type, k.default_text);
        if (!k.env.empty())
            out += fmt::format("; env: {}", k.env);
        out += fmt::format("\n    {}\n", k.description);
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Loading

namespace {

const std::set<std::string_view> kPresets = {
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"};

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = up;
        }
    }
    return row[b.size()];
}

std::string_view leaf_of(std::string_view key) {
    const auto dot = key.rfind('.');
    return dot == std::string_view::npos ? key : key.substr(dot + 1);
}

// The known key closest to `key` (same level by edit distance, or the same leaf elsewhere).
std::optional<std::string> suggestion_for(const std::string& key) {
    std::optional<std::string> best;
    std::size_t best_distance = std::max<std::size_t>(2, leaf_of(key).size() / 3) + 1;
    for (const auto& info : config_keys()) {
        std::size_t d = edit_distance(key, info.key);
        if (leaf_of(info.key) == leaf_of(key))
            d = std::min<std::size_t>(d, 1);
        if (d < best_distance) {
            best_distance = d;
            best = std::string(info.key);
        }
    }
    return best;
}

// A value as a problem text shows it: short, JSON-quoted.
std::string describe(const json& value) {
    if (value.is_object())
        return "an object";
    if (value.is_array())
        return "an array";
    std::string text = value.dump();
    if (text.size() > 60)
        text = text.substr(0, 57) + "...";
    return text;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
        text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
        text.remove_suffix(1);
    }
    if (!text.empty() && text.front() == '+')
        text.remove_prefix(1);
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

class Loader {
  public:
    Loader(std::vector<ConfigProblem>& problems, fs::path file_dir, fs::path cwd)
        : problems_(problems), file_dir_(std::move(file_dir)), cwd_(std::move(cwd)) {}

    json merged = json::object();               // the file with env overrides applied
    std::map<std::string, std::string> origin;  // key -> environment variable that set it

    void problem(const std::string& key, std::string message) {
        problems_.push_back({name(key), std::move(message)});
    }

    [[nodiscard]] std::string name(const std::string& key) const {
        const auto it = origin.find(key);
        return it == origin.end() ? key : it->second;
    }

    // The value at a dotted key ("render.crf"); nullptr when absent or null.
    [[nodiscard]] const json* find(const std::string& key) const {
        const json* node = &merged;
        std::string_view rest = key;
        while (true) {
            const auto dot = rest.find('.');
            const std::string part(rest.substr(0, dot));
            if (!node->is_object())
                return nullptr;
            const auto it = node->find(part);
            if (it == node->end() || it->is_null())
                return nullptr;
            node = &*it;
            if (dot == std::string_view::npos)
                return node;
            rest.remove_prefix(dot + 1);
        }
    }

    template <typename Int>
    void read_int(const std::string& key, std::int64_t min, std::int64_t max, Int& out) {
        const json* v = find(key);
        if (v == nullptr)
            return;
        // Unsigned values above INT64_MAX do not fit; everything else is range-checked.
        if (v->is_number_integer() &&
            (!v->is_number_unsigned() ||
             v->get<std::uint64_t>() <=
                 static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))) {
            const auto value = v->get<std::int64_t>();
            if (value >= min && value <= max) {
                out = static_cast<Int>(value);
                return;
            }
        }
        if (max == std::numeric_limits<std::int64_t>::max()) {
            problem(key, fmt::format("must be an integer >= {}, got {}", min, describe(*v)));
        } else {
            problem(key, fmt::format("must be an integer {}..{}, got {}", min, max, describe(*v)));
        }
    }

    void read_number(const std::string& key, double min, double max, double& out) {
        const json* v = find(key);
        if (v == nullptr)
            return;
        if (v->is_number()) {
            const auto value = v->get<double>();
            if (value >= min && value <= max) {
                out = value;
                return;
            }
        }
        problem(key, fmt::format("must be a number {}..{}, got {}", min, max, describe(*v)));
    }

    void read_bool(const std::string& key, bool& out) {
        const json* v = find(key);
        if (v == nullptr)
            return;
        if (v->is_boolean()) {
            out = v->get<bool>();
            return;
        }
        problem(key, fmt::format("must be true or false, got {}", describe(*v)));
    }

    // A string value, or nullopt (with a problem) when the value is not a string.
    std::optional<std::string> read_string(const std::string& key) {
        const json* v = find(key);
        if (v == nullptr)
            return std::nullopt;
        if (v->is_string())
            return v->get<std::string>();
        problem(key, fmt::format("must be a string, got {}", describe(*v)));
        return std::nullopt;
    }

    // One of `names`, mapped through `values`.
    template <typename Enum>
    void read_choice(const std::string& key,
                     const std::vector<std::pair<std::string, Enum>>& choices, Enum& out) {
        const json* v = find(key);
        if (v == nullptr)
            return;
        std::string list;
        for (const auto& [text, value] : choices) {
            if (v->is_string() && v->get<std::string>() == text) {
                out = value;
                return;
            }
            list += (list.empty() ? "\"" : ", \"") + text + "\"";
        }
        problem(key, fmt::format("must be one of {}, got {}", list, describe(*v)));
    }

    // A path, made absolute: against the config file's directory, or the working directory
    // when it came from the environment or there is no file.
    std::optional<fs::path> read_path(const std::string& key) {
        auto text = read_string(key);
        if (!text)
            return std::nullopt;
        if (text->empty()) {
            problem(key, "must not be empty");
            return std::nullopt;
        }
        return resolve(key, *text);
    }

    [[nodiscard]] fs::path resolve(const std::string& key, const fs::path& p) const {
        if (p.is_absolute())
            return p.lexically_normal();
        const fs::path& base = origin.count(key) != 0 ? cwd_ : file_dir_;
        return (base / p).lexically_normal();
    }

    std::optional<ChatRef> read_chat(const std::string& key) {
        const json* v = find(key);
        if (v == nullptr)
            return std::nullopt;
        if (v->is_number_integer() && !v->is_number_unsigned() && v->get<std::int64_t>() != 0) {
            return ChatRef{v->get<std::int64_t>(), {}};
        }
        if (v->is_number_unsigned() && v->get<std::uint64_t>() != 0 &&
            v->get<std::uint64_t>() <=
                static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return ChatRef{v->get<std::int64_t>(), {}};
        }
        if (v->is_string()) {
            const auto text = v->get<std::string>();
            // Public usernames: 5..32 characters of letters, digits and underscores.
            const bool username =
                text.size() >= 6 && text.size() <= 33 && text[0] == '@' &&
                std::all_of(text.begin() + 1, text.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                });
            if (username)
                return ChatRef{0, text};
        }
        problem(key, fmt::format("must be a chat id (non-zero integer) or \"@username\", got {}",
                                 describe(*v)));
        return std::nullopt;
    }

    // Unknown keys of the object at `prefix` ("" for the top level).
    void check_unknown(const json& object, const std::string& prefix) {
        for (const auto& [name_in_file, value] : object.items()) {
            if (name_in_file.starts_with('_'))
                continue;
            const std::string key = prefix.empty() ? name_in_file : prefix + "." + name_in_file;
            const bool known = std::any_of(config_keys().begin(), config_keys().end(),
                                           [&](const ConfigKeyInfo& k) { return k.key == key; });
            if (known)
                continue;
            std::string message = "unknown key";
            if (const auto hint = suggestion_for(key)) {
                message += fmt::format(" (did you mean \"{}\"?)", *hint);
            }
            problems_.push_back({key, std::move(message)});
        }
    }

    [[nodiscard]] const fs::path& file_dir() const { return file_dir_; }
    [[nodiscard]] const fs::path& cwd() const { return cwd_; }

  private:
    std::vector<ConfigProblem>& problems_;
    fs::path file_dir_;
    fs::path cwd_;
};

struct EnvOverride {
    const char* variable;
    const char* key;
    enum Kind { text, integer, chat, id_list } kind;
};

constexpr EnvOverride kEnvOverrides[] = {
    {"TELEGRAM_BOT_TOKEN", "token", EnvOverride::text},
    {"TELEGRAM_API_URL", "api_url", EnvOverride::text},
    {"MEMEGEN_OWNER_ID", "owner_id", EnvOverride::integer},
    {"MEMEGEN_ADMIN_IDS", "admin_ids", EnvOverride::id_list},
    {"MEMEGEN_CHANNEL", "channel", EnvOverride::chat},
    {"DAILY_GENERATIONS", "daily_generations", EnvOverride::integer},
    {"MEMEGEN_TIMEZONE", "timezone", EnvOverride::text},
    {"MEMEGEN_STATE_DIR", "state_dir", EnvOverride::text},
    {"MEMEGEN_MEDIA_DIR", "media_dir", EnvOverride::text},
    {"MEMEGEN_MUSIC_DIR", "music_dir", EnvOverride::text},
    {"MEMEGEN_LOG_LEVEL", "log_level", EnvOverride::text},
};

// Applies the environment onto loader.merged. A value that does not convert is kept as a
// string so that validation reports it with the variable's name and the expected type.
void apply_environment(Loader& loader, const Environment& env) {
    for (const auto& o : kEnvOverrides) {
        const auto it = env.find(o.variable);
        if (it == env.end() || it->second.empty())
            continue;
        const std::string& text = it->second;
        loader.origin[o.key] = o.variable;
        json value = text;
        switch (o.kind) {
            case EnvOverride::text:
                break;
            case EnvOverride::integer:
            case EnvOverride::chat:
                if (const auto number = parse_int(text))
                    value = *number;
                break;
            case EnvOverride::id_list: {
                value = json::array();
                std::string_view rest = text;
                for (std::size_t position = 1;; ++position) {
                    const auto comma = rest.find(',');
                    const auto item = rest.substr(0, comma);
                    if (item.find_first_not_of(" \t") != std::string_view::npos) {
                        if (const auto id = parse_int(item)) {
                            value.push_back(*id);
                        } else {
                            loader.problem(o.key, fmt::format("item {} is not a user id: \"{}\" "
                                                              "(comma-separated integers expected)",
                                                              position, item));
                        }
                    }
                    if (comma == std::string_view::npos)
                        break;
                    rest.remove_prefix(comma + 1);
                }
                break;
            }
        }
        loader.merged[o.key] = std::move(value);
    }
}

fs::path default_library(const Loader& loader, bool have_file, const char* relative) {
    std::error_code ec;
    if (have_file) {
        const auto beside = (loader.file_dir() / relative).lexically_normal();
        if (fs::is_directory(beside, ec))
            return beside;
    }
    return (loader.cwd() / relative).lexically_normal();
}

void validate(Loader& l, BotConfig& c, bool have_file) {
    // token: required; no value is ever quoted.
    if (const json* v = l.find("token")) {
        if (!v->is_string()) {
            l.problem("token", "must be a string, got " + json_kind(*v));
        } else {
            c.token = v->get<std::string>();
            const bool clean = std::none_of(c.token.begin(), c.token.end(), [](char ch) {
                return std::isspace(static_cast<unsigned char>(ch)) || ch == '/' ||
                       static_cast<unsigned char>(ch) < 0x20;
            });
            if (!clean) {
                l.problem("token",
                          "must not contain spaces, control characters or '/' "
                          "(check for a stray newline or quote)");
            }
        }
    }
    if (const json* v = l.find("token"); v == nullptr || (v->is_string() && c.token.empty())) {
        l.problem("token", "required: set \"token\" in the file or TELEGRAM_BOT_TOKEN");
    }

    if (auto url = l.read_string("api_url")) {
        while (url->ends_with('/'))
            url->pop_back();
        const bool scheme = url->starts_with("https://") || url->starts_with("http://");
        const auto host_start = url->find("://") + 3;
        if (!scheme || url->size() <= host_start ||
            url->find_first_of(" \t\n") != std::string::npos) {
            l.problem("api_url", fmt::format("must be an http:// or https:// URL, got {}",
                                             describe(*l.find("api_url"))));
        } else {
            c.api_url = *url;
        }
    }

    if (auto ca = l.read_path("ca_file")) {
        std::error_code ec;
        if (!fs::is_regular_file(*ca, ec)) {
            l.problem("ca_file", fmt::format("no such file: {}", ca->string()));
        } else {
            c.ca_file = *ca;
        }
    }

    l.read_int("owner_id", 1, std::numeric_limits<std::int64_t>::max(), c.owner_id);
    if (l.find("owner_id") == nullptr) {
        l.problem("owner_id",
                  "required: set \"owner_id\" (your Telegram user id) in the file or "
                  "MEMEGEN_OWNER_ID");
    }

    if (const json* v = l.find("admin_ids")) {
        if (!v->is_array()) {
            l.problem("admin_ids",
                      fmt::format("must be an array of user ids, got {}", describe(*v)));
        } else {
            for (std::size_t i = 0; i < v->size(); ++i) {
                const json& item = (*v)[i];
                if (item.is_number_integer() && item.get<std::int64_t>() > 0) {
                    c.admin_ids.push_back(item.get<std::int64_t>());
                } else {
                    l.problem("admin_ids", fmt::format("item {} must be a positive integer user "
                                                       "id, got {}",
                                                       i, describe(item)));
                }
            }
        }
    }

    if (auto chat = l.read_chat("review_chat"))
        c.review_chat = *chat;
    if (c.review_chat.empty())
        c.review_chat = ChatRef{c.owner_id, {}};
    if (auto chat = l.read_chat("channel"))
        c.channel = *chat;

    l.read_int("daily_generations", 0, 24, c.daily_generations);
    l.read_int("candidates", 1, 10, c.candidates);

    bool window_ok = true;
    for (const auto& [key, target] :
         {std::pair{"window_start", &c.window_start}, std::pair{"window_end", &c.window_end}}) {
        if (auto text = l.read_string(key)) {
            if (auto t = ClockTime::parse(*text)) {
                *target = *t;
            } else {
                window_ok = false;
                l.problem(key, fmt::format("must be a time \"HH:MM\" between 00:00 and 24:00, "
                                           "got {}",
                                           describe(*l.find(key))));
            }
        } else if (l.find(key) != nullptr) {
            window_ok = false;
        }
    }
    if (window_ok && c.window_start >= c.window_end) {
        l.problem("window_end", fmt::format("must be later than window_start ({}), got {}",
                                            c.window_start.to_string(), c.window_end.to_string()));
    }

    if (auto zone = l.read_string("timezone")) {
        if (auto error = validate_timezone(*zone)) {
            l.problem("timezone", *error);
        } else {
            c.timezone = *zone;
        }
    }

    l.read_choice<Language>("language", {{"en", Language::en}, {"ru", Language::ru}}, c.language);
    l.read_bool("auto_publish", c.auto_publish);

    c.state_dir = (l.cwd() / "state").lexically_normal();
    if (auto dir = l.read_path("state_dir")) {
        std::error_code ec;
        if (fs::exists(*dir, ec) && !fs::is_directory(*dir, ec)) {
            l.problem("state_dir", fmt::format("exists but is not a directory: {}", dir->string()));
        }
        c.state_dir = *dir;
    }
    for (const auto& [key, target, fallback] :
         {std::tuple{"media_dir", &c.media_dir, "data/demo/memes"},
          std::tuple{"music_dir", &c.music_dir, "data/demo/music"}}) {
        *target = default_library(l, have_file, fallback);
        if (auto dir = l.read_path(key)) {
            std::error_code ec;
            if (!fs::is_directory(*dir, ec)) {
                l.problem(key, fmt::format("no such directory: {}", dir->string()));
            }
            *target = *dir;
        }
    }

    // render
    if (const json* render = l.find("render"); render != nullptr && !render->is_object()) {
        l.problem("render", fmt::format("must be an object, got {}", describe(*render)));
    } else {
        auto& r = c.render;
        if (auto size = l.read_string("render.size")) {
            int width = 0;
            int height = 0;
            const auto x = size->find('x');
            bool ok = x != std::string::npos;
            if (ok) {
                const auto w = parse_int(std::string_view(*size).substr(0, x));
                const auto h = parse_int(std::string_view(*size).substr(x + 1));
                ok = w && h && *w >= 64 && *w <= 4096 && *h >= 64 && *h <= 4096 && *w % 2 == 0 &&
                     *h % 2 == 0 && size->find(' ') == std::string::npos;
                if (ok) {
                    width = static_cast<int>(*w);
                    height = static_cast<int>(*h);
                }
            }
            if (ok) {
                r.width = width;
                r.height = height;
            } else {
                l.problem("render.size",
                          fmt::format("must be \"WIDTHxHEIGHT\" with even numbers 64..4096, got {}",
                                      describe(*l.find("render.size"))));
            }
        }
        l.read_int("render.fps", 1, 60, r.fps);
        l.read_int("render.crf", 0, 51, r.crf);
        if (auto preset = l.read_string("render.preset")) {
            if (kPresets.count(*preset) != 0) {
                r.preset = *preset;
            } else {
                l.problem("render.preset",
                          fmt::format("must be an x264 preset (ultrafast, superfast, veryfast, "
                                      "faster, fast, medium, slow, slower, veryslow), got {}",
                                      describe(*l.find("render.preset"))));
            }
        }
        l.read_choice<std::string>("render.background", {{"black", "black"}, {"blur", "blur"}},
                                   r.background);
        if (auto font = l.read_path("render.font")) {
            std::error_code ec;
            if (!fs::is_regular_file(*font, ec)) {
                l.problem("render.font", fmt::format("no such file: {}", font->string()));
            } else {
                r.font = *font;
            }
        }
        l.read_number("render.min_seconds", 1, 60, r.min_seconds);
        l.read_number("render.max_seconds", 1, 60, r.max_seconds);
        l.read_number("render.max_video_seconds", 1, 600, r.max_video_seconds);
        if (r.min_seconds > r.max_seconds) {
            l.problem("render.max_seconds",
                      fmt::format("must be at least render.min_seconds ({}), got {}", r.min_seconds,
                                  r.max_seconds));
        }
        if (r.max_seconds > r.max_video_seconds) {
            l.problem("render.max_video_seconds",
                      fmt::format("must be at least render.max_seconds ({}), got {}", r.max_seconds,
                                  r.max_video_seconds));
        }
        l.read_int("render.max_output_mb", 1, 2000, r.max_output_mb);
        l.read_bool("render.captions", r.captions);
    }

    if (const json* library = l.find("library"); library != nullptr && !library->is_object()) {
        l.problem("library", fmt::format("must be an object, got {}", describe(*library)));
    } else {
        auto& lib = c.library;
        l.read_int("library.max_file_mb", 1, 10000, lib.max_file_mb);
        l.read_int("library.max_pixels", 10000, 1'000'000'000, lib.max_pixels);
        l.read_bool("library.uploads", lib.uploads);
        l.read_int("library.max_upload_mb", 1, 2000, lib.max_upload_mb);
        l.read_int("library.rescan_minutes", 0, 1440, lib.rescan_minutes);
    }

    l.read_int("max_batch", 1, 100, c.max_batch);
    l.read_int("max_attempts", 1, 10, c.max_attempts);
    l.read_choice<RenderIsolation>(
        "render_isolation",
        {{"process", RenderIsolation::process}, {"thread", RenderIsolation::thread}},
        c.render_isolation);
    l.read_int("upload_limit_mb", 1, 2000, c.upload_limit_mb);
    if (c.upload_limit_mb > 50 && c.api_url.find("://api.telegram.org") != std::string::npos) {
        l.problem("upload_limit_mb",
                  fmt::format("the public Bot API server accepts at most 50 MB, got {}; larger "
                              "uploads need a self-hosted server in api_url",
                              c.upload_limit_mb));
    }
    if (c.render.max_output_mb > c.upload_limit_mb) {
        l.problem("render.max_output_mb",
                  fmt::format("must not exceed upload_limit_mb ({}), got {}", c.upload_limit_mb,
                              c.render.max_output_mb));
    }
    l.read_int("scheduled_wait_minutes", 0, 720, c.scheduled_wait_minutes);
    l.read_choice<MissedSlotPolicy>(
        "missed_slots",
        {{"skip", MissedSlotPolicy::skip}, {"catch_up_one", MissedSlotPolicy::catch_up_one}},
        c.missed_slots);
    l.read_bool("open_generate", c.open_generate);
    l.read_int("generate_cooldown_seconds", 0, 86400, c.generate_cooldown_seconds);
    l.read_choice<LogLevel>("log_level",
                            {{"debug", LogLevel::debug},
                             {"info", LogLevel::info},
                             {"warning", LogLevel::warning},
                             {"error", LogLevel::error},
                             {"off", LogLevel::off}},
                            c.log_level);

    if (const json* reddit = l.find("reddit"); reddit != nullptr && !reddit->is_object()) {
        l.problem("reddit", fmt::format("must be an object, got {}", describe(*reddit)));
    } else {
        if (auto file = l.read_path("reddit.sources_file")) {
            // Checked here so --check-config shows a broken sources file with the rest.
            const auto loaded = load_reddit_sources(*file);
            for (const auto& problem : loaded.problems)
                l.problem("reddit.sources_file", problem.to_string());
            c.reddit.sources_file = *file;
        }
        l.read_int("reddit.fetch_minutes", 1, 1440, c.reddit.fetch_minutes);
        l.read_int("reddit.fetch_count", 1, 20, c.reddit.fetch_count);
    }

    if (const json* metrics = l.find("metrics"); metrics != nullptr && !metrics->is_object()) {
        l.problem("metrics", fmt::format("must be an object, got {}", describe(*metrics)));
    } else {
        l.read_bool("metrics.enabled", c.metrics.enabled);
        if (auto address = l.read_string("metrics.address")) {
            if (address->empty() || address->find_first_of(" \t/") != std::string::npos) {
                l.problem("metrics.address",
                          fmt::format("must be an IP address such as \"127.0.0.1\", got {}",
                                      describe(*l.find("metrics.address"))));
            } else {
                c.metrics.address = *address;
            }
        }
        l.read_int("metrics.port", 1, 65535, c.metrics.port);
    }
}

}  // namespace

ConfigLoadResult load_config(const std::optional<fs::path>& file, const Environment& env) {
    ConfigLoadResult result;
    std::error_code ec;
    fs::path cwd = fs::current_path(ec);
    if (ec)
        cwd = ".";
    fs::path file_dir = cwd;
    if (file)
        file_dir = (cwd / *file).lexically_normal().parent_path();
    Loader loader(result.problems, file_dir, cwd);

    bool file_ok = true;
    if (file) {
        const std::string name = file->string();
        std::optional<std::string> text;
        try {
            text = detail::read_file(*file);
        } catch (const Error& e) {
            result.problems.push_back({name, fmt::format("cannot read: {}", e.what())});
            file_ok = false;
        }
        if (file_ok && !text) {
            result.problems.push_back({name, "no such file"});
            file_ok = false;
        }
        if (file_ok) {
            try {
                loader.merged = json::parse(*text);
                if (!loader.merged.is_object()) {
                    result.problems.push_back(
                        {name, fmt::format("must contain a JSON object {{...}}, got {}",
                                           json_kind(loader.merged))});
                    loader.merged = json::object();
                    file_ok = false;
                }
            } catch (const json::parse_error& e) {
                result.problems.push_back({name, "invalid JSON: " + json_parse_error_text(e)});
                loader.merged = json::object();
                file_ok = false;
            }
        }
    }
    // The file's unknown keys, before the environment adds its own.
    loader.check_unknown(loader.merged, "");
    for (const char* section : {"render", "metrics", "library", "reddit"}) {
        const auto it = loader.merged.find(section);
        if (it != loader.merged.end() && it->is_object())
            loader.check_unknown(*it, section);
    }
    apply_environment(loader, env);
    // A broken file still gets the environment checked, but its problems come first and the
    // "required" complaints would only be noise.
    const std::size_t before = result.problems.size();
    validate(loader, result.config, file.has_value());
    if (!file_ok) {
        result.problems.erase(
            std::remove_if(
                result.problems.begin() + static_cast<std::ptrdiff_t>(before),
                result.problems.end(),
                [](const ConfigProblem& p) { return p.message.starts_with("required"); }),
            result.problems.end());
    }

    // Belt and braces: whatever path a value took, the token is never quoted in a problem.
    if (!result.config.token.empty()) {
        register_secret(result.config.token);
    }
    std::vector<std::string> secrets;
    if (const auto it = env.find("TELEGRAM_BOT_TOKEN"); it != env.end()) {
        secrets.push_back(it->second);
    }
    if (const auto it = loader.merged.find("token"); it != loader.merged.end() && it->is_string()) {
        secrets.push_back(it->get<std::string>());
    }
    for (auto& p : result.problems) {
        p.message = detail::redact_with(std::move(p.message), secrets);
        p.key = detail::redact_with(std::move(p.key), secrets);
    }
    return result;
}

nlohmann::json to_json(const BotConfig& c) {
    auto chat = [](const ChatRef& ref) -> json {
        if (ref.username.empty())
            return ref.id;
        return ref.username;
    };
    json j = {
        {"token", c.token.empty() ? json(nullptr) : json("<redacted>")},
        {"api_url", c.api_url},
        {"ca_file", c.ca_file ? json(c.ca_file->string()) : json(nullptr)},
        {"owner_id", c.owner_id},
        {"admin_ids", c.admin_ids},
        {"review_chat", chat(c.review_chat)},
        {"channel", c.channel ? chat(*c.channel) : json(nullptr)},
        {"daily_generations", c.daily_generations},
        {"candidates", c.candidates},
        {"window_start", c.window_start.to_string()},
        {"window_end", c.window_end.to_string()},
        {"timezone", c.timezone.empty() ? json(nullptr) : json(c.timezone)},
        {"language", to_string(c.language)},
        {"auto_publish", c.auto_publish},
        {"state_dir", c.state_dir.string()},
        {"media_dir", c.media_dir.string()},
        {"music_dir", c.music_dir.string()},
        {"render",
         {{"size", fmt::format("{}x{}", c.render.width, c.render.height)},
          {"fps", c.render.fps},
          {"crf", c.render.crf},
          {"preset", c.render.preset},
          {"background", c.render.background},
          {"font", c.render.font.empty() ? json(nullptr) : json(c.render.font.string())},
          {"min_seconds", c.render.min_seconds},
          {"max_seconds", c.render.max_seconds},
          {"max_video_seconds", c.render.max_video_seconds},
          {"max_output_mb", c.render.max_output_mb},
          {"captions", c.render.captions}}},
        {"library",
         {{"max_file_mb", c.library.max_file_mb},
          {"max_pixels", c.library.max_pixels},
          {"uploads", c.library.uploads},
          {"max_upload_mb", c.library.max_upload_mb},
          {"rescan_minutes", c.library.rescan_minutes}}},
        {"max_batch", c.max_batch},
        {"max_attempts", c.max_attempts},
        {"render_isolation", to_string(c.render_isolation)},
        {"upload_limit_mb", c.upload_limit_mb},
        {"scheduled_wait_minutes", c.scheduled_wait_minutes},
        {"missed_slots", to_string(c.missed_slots)},
        {"open_generate", c.open_generate},
        {"generate_cooldown_seconds", c.generate_cooldown_seconds},
        {"log_level",
         [&] {
             std::string name(memegen::to_string(c.log_level));
             std::transform(name.begin(), name.end(), name.begin(),
                            [](unsigned char ch) { return std::tolower(ch); });
             return name == "warn" ? std::string("warning") : name;
         }()},
        {"reddit",
         {{"sources_file",
           c.reddit.sources_file.empty() ? json(nullptr) : json(c.reddit.sources_file.string())},
          {"fetch_minutes", c.reddit.fetch_minutes},
          {"fetch_count", c.reddit.fetch_count}}},
        {"metrics",
         {{"enabled", c.metrics.enabled},
          {"address", c.metrics.address},
          {"port", c.metrics.port}}},
    };
    return j;
}

}  // namespace memegen::bot
