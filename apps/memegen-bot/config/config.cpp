#include "config/config.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include <memegen/detail/files.hpp>
#include <memegen/error.hpp>

#include "config/config_field.hpp"
#include "config/config_reader.hpp"
#include "net/url.hpp"
#include "state/json_kind.hpp"

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

std::vector<ChatId> BotConfig::telegram_channels() const {
    std::vector<ChatId> out;
    if (channel)
        out.push_back(*channel);
    for (const auto& c : publish.telegram_channels) {
        if (std::find(out.begin(), out.end(), c) == out.end())
            out.push_back(c);
    }
    return out;
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
// The reference, derived from the table of keys (config_table.cpp)

const std::vector<ConfigKeyInfo>& config_keys() {
    static const std::vector<ConfigKeyInfo> keys = [] {
        std::vector<ConfigKeyInfo> out;
        for (const auto& f : config_fields()) {
            out.push_back({f.doc.key, f.type, f.default_text, f.env_text, f.doc.doc, f.doc.env});
        }
        return out;
    }();
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
    for (const auto& f : config_fields()) {
        std::size_t d = edit_distance(key, f.doc.key);
        if (leaf_of(f.doc.key) == leaf_of(key))
            d = std::min<std::size_t>(d, 1);
        if (d < best_distance) {
            best_distance = d;
            best = f.key();
        }
    }
    return best;
}

// Unknown keys of the object at `prefix` ("" for the top level), and of its sections.
void check_unknown(ConfigReader& reader, const json& object, const std::string& prefix) {
    for (const auto& [name_in_file, value] : object.items()) {
        if (name_in_file.starts_with('_'))
            continue;
        const std::string key = prefix.empty() ? name_in_file : prefix + "." + name_in_file;
        const auto& fields = config_fields();
        const auto it = std::find_if(fields.begin(), fields.end(),
                                     [&](const ConfigField& f) { return f.doc.key == key; });
        if (it == fields.end()) {
            std::string message = "unknown key";
            if (const auto hint = suggestion_for(key))
                message += fmt::format(" (did you mean \"{}\"?)", *hint);
            reader.problem_as_is(key, std::move(message));
        } else if (it->is_section() && value.is_object()) {
            check_unknown(reader, value, key);
        }
    }
}

// Applies the environment onto reader.merged. A value that does not convert is kept as a
// string so that reading reports it with the variable's name and the expected type.
void apply_environment(ConfigReader& reader, const Environment& env) {
    for (const auto& f : config_fields()) {
        if (f.doc.env.empty())
            continue;
        const auto it = env.find(std::string(f.doc.env));
        if (it == env.end() || it->second.empty())
            continue;
        reader.origin[f.key()] = it->first;
        reader.merged[json::json_pointer("/" + [&] {
            std::string p = f.key();
            std::replace(p.begin(), p.end(), '.', '/');
            return p;
        }())] = f.from_env(reader, it->second);
    }
}

fs::path default_library(const ConfigReader& reader, bool have_file, const char* relative) {
    std::error_code ec;
    if (have_file) {
        const auto beside = (reader.file_dir() / relative).lexically_normal();
        if (fs::is_directory(beside, ec))
            return beside;
    }
    return (reader.cwd() / relative).lexically_normal();
}

// Every key through its row of the table, in reference order.
void read_fields(ConfigReader& reader, BotConfig& c) {
    for (const auto& f : config_fields()) {
        const json* v = reader.find(f.key());
        if (v != nullptr)
            f.read(reader, *v, c);
        const bool unset =
            v == nullptr || (v->is_string() && v->get_ref<const std::string&>().empty());
        if (f.doc.required && unset) {
            reader.problem(f.key(), fmt::format("required: set \"{}\"{} in the file or {}", f.key(),
                                                f.doc.required_hint, f.doc.env));
        }
    }
}

// The rules that tie keys together; a rule about a key that already has a problem stays quiet
// where the comparison would only repeat it.
void check_across(ConfigReader& r, BotConfig& c) {
    if (c.review_chat.empty())
        c.review_chat = ChatId(c.owner_id);

    if (!r.has_problem("window_start") && !r.has_problem("window_end") &&
        c.window_start >= c.window_end) {
        r.problem("window_end", fmt::format("must be later than window_start ({}), got {}",
                                            c.window_start.to_string(), c.window_end.to_string()));
    }

    const auto& render = c.render;
    if (render.min_seconds > render.max_seconds) {
        r.problem("render.max_seconds",
                  fmt::format("must be at least render.min_seconds ({}), got {}",
                              render.min_seconds, render.max_seconds));
    }
    if (render.max_seconds > render.max_video_seconds) {
        r.problem("render.max_video_seconds",
                  fmt::format("must be at least render.max_seconds ({}), got {}",
                              render.max_seconds, render.max_video_seconds));
    }

    const auto api = parse_base_url(c.api_url);
    if (c.upload_limit_mb > 50 && api && api->host == "api.telegram.org") {
        r.problem("upload_limit_mb",
                  fmt::format("the public Bot API server accepts at most 50 MB, got {}; larger "
                              "uploads need a self-hosted server in api_url",
                              c.upload_limit_mb));
    }
    if (render.max_output_mb > c.upload_limit_mb) {
        r.problem("render.max_output_mb",
                  fmt::format("must not exceed upload_limit_mb ({}), got {}", c.upload_limit_mb,
                              render.max_output_mb));
    }
}

// publish.*: a target is enabled when configured; a named default target must be, and a
// target configured by halves is a mistake worth naming (it would silently stay off).
void check_publish(ConfigReader& r, const BotConfig& c) {
    const auto& p = c.publish;
    const auto& yt = p.youtube;
    if (!yt.client_id.empty() && yt.client_secret.empty()) {
        r.problem("publish.youtube.client_secret",
                  "required with publish.youtube.client_id (the OAuth client's secret)");
    }
    if (yt.client_id.empty() && (!yt.client_secret.empty() || !yt.refresh_token.empty())) {
        r.problem("publish.youtube.client_id",
                  "required with publish.youtube.client_secret or refresh_token (the OAuth "
                  "client of type \"TVs and Limited Input devices\")");
    }
    const auto& x = p.x;
    const std::pair<const char*, const std::string*> x_keys[] = {
        {"publish.x.consumer_key", &x.consumer_key},
        {"publish.x.consumer_secret", &x.consumer_secret},
        {"publish.x.access_token", &x.access_token},
        {"publish.x.access_token_secret", &x.access_token_secret}};
    const bool any_x = std::any_of(std::begin(x_keys), std::end(x_keys),
                                   [](const auto& k) { return !k.second->empty(); });
    if (any_x) {
        for (const auto& [key, value] : x_keys) {
            if (value->empty())
                r.problem(key, "required: the X target needs all four OAuth 1.0a keys");
        }
    }
    // The default ["telegram"] without a channel keeps today's answer ("no channel is set");
    // a list the operator wrote must name configured targets only.
    if (r.find("publish.default_targets") == nullptr || r.has_problem("publish.default_targets"))
        return;
    for (const auto& target : p.default_targets) {
        const bool configured = target == "telegram"  ? !c.telegram_channels().empty()
                                : target == "youtube" ? yt.enabled()
                                : target == "x"       ? x.enabled()
                                                      : false;
        if (target != "telegram" && target != "youtube" && target != "x") {
            r.problem("publish.default_targets",
                      fmt::format("unknown target \"{}\" (known: telegram, youtube, x)", target));
        } else if (!configured) {
            r.problem("publish.default_targets",
                      fmt::format("target \"{}\" is not configured (set {})", target,
                                  target == "telegram" ? "channel or publish.telegram.channels"
                                  : target == "youtube"
                                      ? "publish.youtube.client_id and client_secret"
                                      : "publish.x.consumer_key, consumer_secret, access_token "
                                        "and access_token_secret"));
        }
    }
}

// Reads `file` into reader.merged; false (with a problem naming the file) if it cannot be used.
bool read_file_into(ConfigReader& reader, const fs::path& file) {
    const std::string name = file.string();
    std::optional<std::string> text;
    try {
        text = detail::read_file(file);
    } catch (const Error& e) {
        reader.problem_as_is(name, fmt::format("cannot read: {}", e.what()));
        return false;
    }
    if (!text) {
        reader.problem_as_is(name, "no such file");
        return false;
    }
    try {
        reader.merged = json::parse(*text);
    } catch (const json::parse_error& e) {
        reader.merged = json::object();
        reader.problem_as_is(name, "invalid JSON: " + json_parse_error_text(e));
        return false;
    }
    if (!reader.merged.is_object()) {
        reader.problem_as_is(name, fmt::format("must contain a JSON object {{...}}, got {}",
                                               json_kind(reader.merged)));
        reader.merged = json::object();
        return false;
    }
    return true;
}

// Belt and braces: whatever path a value took, the token is never quoted in a problem.
void redact_token(ConfigLoadResult& result, const ConfigReader& reader, const Environment& env) {
    if (!result.config.token.empty())
        register_secret(result.config.token);
    std::vector<std::string> secrets;
    if (const auto it = env.find("TELEGRAM_BOT_TOKEN"); it != env.end())
        secrets.push_back(it->second);
    if (const auto it = reader.merged.find("token"); it != reader.merged.end() && it->is_string())
        secrets.push_back(it->get<std::string>());
    // The publishing targets' secrets, as the table marks them, go the same way.
    for (const auto& f : config_fields()) {
        if (!f.doc.secret || f.key() == "token")
            continue;
        if (const json* v = reader.find(f.key());
            v != nullptr && v->is_string() && !v->get_ref<const std::string&>().empty()) {
            register_secret(v->get<std::string>());
            secrets.push_back(v->get<std::string>());
        }
    }
    for (auto& p : result.problems) {
        p.message = detail::redact_with(std::move(p.message), secrets);
        p.key = detail::redact_with(std::move(p.key), secrets);
    }
}

}  // namespace

ConfigLoadResult load_config(const std::optional<fs::path>& file, const Environment& env) {
    ConfigLoadResult result;
    std::error_code ec;
    fs::path cwd = fs::current_path(ec);
    if (ec)
        cwd = ".";
    const fs::path file_dir = file ? (cwd / *file).lexically_normal().parent_path() : cwd;
    ConfigReader reader(result.problems, file_dir, cwd);

    const bool file_ok = !file || read_file_into(reader, *file);
    // The file's unknown keys, before the environment adds its own.
    check_unknown(reader, reader.merged, "");
    apply_environment(reader, env);

    BotConfig& c = result.config;
    // Defaults that depend on where the bot runs; the table's rows override them.
    c.state_dir = (cwd / "state").lexically_normal();
    c.media_dir = default_library(reader, file.has_value(), "data/demo/memes");
    c.music_dir = default_library(reader, file.has_value(), "data/demo/music");

    const std::size_t before = result.problems.size();
    read_fields(reader, c);
    check_across(reader, c);
    check_publish(reader, c);
    // A broken file still gets the environment checked, but its problems come first and the
    // "required" complaints would only be noise.
    if (!file_ok) {
        result.problems.erase(
            std::remove_if(
                result.problems.begin() + static_cast<std::ptrdiff_t>(before),
                result.problems.end(),
                [](const ConfigProblem& p) { return p.message.starts_with("required"); }),
            result.problems.end());
    }
    redact_token(result, reader, env);
    return result;
}

nlohmann::json to_json(const BotConfig& config) {
    json j = json::object();
    for (const auto& f : config_fields()) {
        if (f.is_section())
            continue;
        std::string pointer = "/" + f.key();
        std::replace(pointer.begin(), pointer.end(), '.', '/');
        j[json::json_pointer(pointer)] = f.dump(config);
    }
    return j;
}

}  // namespace memegen::bot
