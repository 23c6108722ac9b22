#include "sources/reddit_sources.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "net/url.hpp"
#include "state/json_kind.hpp"

namespace memegen::bot {

using nlohmann::json;

namespace {

constexpr std::string_view kSorts[] = {"hot", "new", "top", "rising"};
constexpr std::string_view kTimes[] = {"hour", "day", "week", "month", "year", "all"};

/// Collects problems of one file.
class Checker {
  public:
    explicit Checker(std::string_view origin) : origin_(origin) {}

    void problem(std::string_view key, std::string message) {
        SourceProblem p;
        p.kind = SourceProblemKind::config;
        p.url = origin_;
        p.message = key.empty() ? std::move(message) : fmt::format("{}: {}", key, message);
        problems_.push_back(std::move(p));
    }

    std::vector<SourceProblem> take() { return std::move(problems_); }

  private:
    std::string origin_;
    std::vector<SourceProblem> problems_;
};

bool is_one_of(std::string_view value, const auto& list) {
    return std::find(std::begin(list), std::end(list), value) != std::end(list);
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) {
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

bool valid_name(std::string_view name) {
    return name.size() >= 2 && name.size() <= 21 &&
           name.find_first_not_of(
               "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
               std::string_view::npos;
}

/// Reads an integer in [min, max] at `key`; false (and a problem) otherwise.
bool read_int(Checker& c, const json& value, std::string_view key, std::int64_t min,
              std::int64_t max, std::int64_t& out) {
    if (!value.is_number_integer()) {
        c.problem(key, fmt::format("must be a whole number from {} to {}, got {}", min, max,
                                   json_value_text(value)));
        return false;
    }
    const bool negative =
        value.is_number_integer() && !value.is_number_unsigned() && value.get<std::int64_t>() < 0;
    const std::int64_t v = negative ? value.get<std::int64_t>()
                                    : static_cast<std::int64_t>(std::min<std::uint64_t>(
                                          value.get<std::uint64_t>(), INT64_MAX));
    if (v < min || v > max) {
        c.problem(key, fmt::format("must be from {} to {}, got {}", min, max, v));
        return false;
    }
    out = v;
    return true;
}

/// Reads a number (fractions allowed) in (0, max] at `key`.
bool read_positive(Checker& c, const json& value, std::string_view key, double max, double& out) {
    if (!value.is_number()) {
        c.problem(key, fmt::format("must be a number above 0 and at most {}, got {}", max,
                                   json_value_text(value)));
        return false;
    }
    const double v = value.get<double>();
    if (!std::isfinite(v) || v <= 0 || v > max) {
        c.problem(key, fmt::format("must be above 0 and at most {}, got {}", max, v));
        return false;
    }
    out = v;
    return true;
}

bool read_string(Checker& c, const json& value, std::string_view key, std::string& out) {
    if (!value.is_string()) {
        c.problem(key, fmt::format("must be a string, got {}", json_value_text(value)));
        return false;
    }
    out = value.get<std::string>();
    return true;
}

void read_sort(Checker& c, const json& value, std::string_view key, std::string& out) {
    std::string s;
    if (!read_string(c, value, key, s))
        return;
    if (!is_one_of(s, kSorts)) {
        c.problem(key, fmt::format("must be one of hot, new, top, rising, got \"{}\"", s));
        return;
    }
    out = s;
}

void read_time(Checker& c, const json& value, std::string_view key, std::string& out) {
    std::string s;
    if (!read_string(c, value, key, s))
        return;
    if (!is_one_of(s, kTimes)) {
        c.problem(key,
                  fmt::format("must be one of hour, day, week, month, year, all, got \"{}\"", s));
        return;
    }
    out = s;
}

void read_limit(Checker& c, const json& value, std::string_view key, int& out) {
    std::int64_t v = 0;
    if (read_int(c, value, key, 1, 100, v))
        out = static_cast<int>(v);
}

std::string bad_name_message(std::string_view text) {
    return fmt::format(
        "\"{}\" is not a subreddit: expected \"name\", \"r/name\" or "
        "\"https://www.reddit.com/r/name/\" with a name of 2 to 21 letters, digits or '_'",
        text);
}

void read_entry(Checker& c, const json& entry, std::string_view key, const SubredditSource& base,
                std::vector<SubredditSource>& out) {
    SubredditSource s = base;
    if (entry.is_string()) {
        s.name = normalize_subreddit(entry.get<std::string>());
        if (s.name.empty()) {
            c.problem(key, bad_name_message(entry.get<std::string>()));
            return;
        }
        out.push_back(std::move(s));
        return;
    }
    if (!entry.is_object()) {
        c.problem(key, fmt::format("must be a subreddit name or an object with \"name\", got {}",
                                   json_value_text(entry)));
        return;
    }
    bool ok = true;
    if (!entry.contains("name")) {
        c.problem(fmt::format("{}.name", key), "is required");
        ok = false;
    }
    bool time_given = false;
    for (const auto& [k, v] : entry.items()) {
        const std::string sub = fmt::format("{}.{}", key, k);
        if (!k.empty() && k[0] == '_')
            continue;
        if (k == "name") {
            std::string text;
            if (!read_string(c, v, sub, text)) {
                ok = false;
                continue;
            }
            s.name = normalize_subreddit(text);
            if (s.name.empty()) {
                c.problem(sub, bad_name_message(text));
                ok = false;
            }
        } else if (k == "sort") {
            read_sort(c, v, sub, s.sort);
        } else if (k == "time") {
            time_given = true;
            read_time(c, v, sub, s.time);
        } else if (k == "limit") {
            read_limit(c, v, sub, s.limit);
        } else {
            c.problem(sub, "unknown key (expected name, sort, time, limit)");
        }
    }
    if (time_given && s.sort != "top") {
        c.problem(fmt::format("{}.time", key),
                  fmt::format("only applies to sort \"top\", but sort is \"{}\"", s.sort));
    }
    if (ok)
        out.push_back(std::move(s));
}

void read_subreddits(Checker& c, const json& list, std::string_view key,
                     const SubredditSource& base, std::vector<SubredditSource>& out) {
    if (!list.is_array()) {
        c.problem(key,
                  fmt::format("must be an array of subreddits, got {}", json_value_text(list)));
        return;
    }
    std::set<std::string> seen;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string entry_key = fmt::format("{}[{}]", key, i);
        const std::size_t count = out.size();
        read_entry(c, list[i], entry_key, base, out);
        if (out.size() > count && !seen.insert(lower(out.back().name)).second) {
            c.problem(entry_key, fmt::format("r/{} is listed twice", out.back().name));
            out.pop_back();
        }
    }
}

}  // namespace

std::string normalize_subreddit(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    std::string path;
    const bool is_url = text.substr(0, 7) == "http://" || text.substr(0, 8) == "https://";
    if (is_url) {
        const auto url = parse_http_url(text);
        if (!url)
            return {};
        const std::string_view host = url->host;
        const bool reddit = host == "reddit.com" ||
                            (host.size() > 11 && host.substr(host.size() - 11) == ".reddit.com");
        if (!reddit)
            return {};
        path = url->path();
    } else {
        path = std::string(text);
    }
    std::string_view p = path;
    if (!p.empty() && p.front() == '/')
        p.remove_prefix(1);
    if (p.substr(0, 2) == "r/" || p.substr(0, 2) == "R/")
        p.remove_prefix(2);
    else if (!path.empty() && path.front() == '/')
        return {};  // "/memes" or a URL path that is not /r/...
    if (is_url) {
        p = p.substr(0, p.find('/'));  // ".../r/memes/top/?t=week" names r/memes
    } else if (!p.empty() && p.back() == '/') {
        p.remove_suffix(1);
    }
    if (!valid_name(p))
        return {};
    return std::string(p);
}

namespace {

void read_user_agent(Checker& c, const json& value, const std::string& key,
                     RedditSourcesConfig& cfg) {
    std::string ua;
    if (!read_string(c, value, key, ua))
        return;
    const bool control = std::any_of(ua.begin(), ua.end(), [](char ch) {
        return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f;
    });
    if (ua.empty() || ua.size() > 256 || control) {
        c.problem(key,
                  "must be 1 to 256 characters without control characters, like "
                  "\"linux:memegen-bot:0.1.0 (by /u/yourname)\"");
    } else {
        cfg.user_agent = ua;
    }
}

void read_media_hosts(Checker& c, const json& value, const std::string& key,
                      RedditSourcesConfig& cfg) {
    if (!value.is_array() || value.empty()) {
        c.problem(key, fmt::format("must be a non-empty array of host names, got {}",
                                   json_value_text(value)));
        return;
    }
    std::vector<std::string> hosts;
    for (std::size_t n = 0; n < value.size(); ++n) {
        const std::string host_key = fmt::format("{}[{}]", key, n);
        std::string host;
        if (!read_string(c, value[n], host_key, host))
            continue;
        const auto parsed = parse_http_url("https://" + host);
        if (!parsed || parsed->host != host || parsed->target != "/") {
            c.problem(host_key, fmt::format("\"{}\" is not a lower-case host name", host));
            continue;
        }
        hosts.push_back(host);
    }
    cfg.media_hosts = std::move(hosts);
}

// The clients' own check of a base URL (net/url.hpp), so what passes here works there.
void read_base_url(Checker& c, const json& value, const std::string& key,
                   RedditSourcesConfig& cfg) {
    std::string url;
    if (!read_string(c, value, key, url))
        return;
    if (!parse_base_url(url)) {
        c.problem(key, fmt::format("\"{}\" is not an http(s)://host[:port] URL", url));
        return;
    }
    cfg.base_url = url;
    while (!cfg.base_url.empty() && cfg.base_url.back() == '/')
        cfg.base_url.pop_back();
}

// Seconds given as a positive number, kept as milliseconds.
void read_seconds(Checker& c, const json& value, const std::string& key, double max,
                  std::chrono::milliseconds& out) {
    double d = 0;
    if (read_positive(c, value, key, max, d))
        out = std::chrono::milliseconds(std::llround(d * 1000));
}

// One key of the object form other than the entry defaults; false for an unknown key.
bool read_setting(Checker& c, const std::string& key, const json& value, RedditSourcesConfig& cfg) {
    std::int64_t i = 0;
    double d = 0;
    if (key == "allow_nsfw") {
        if (value.is_boolean())
            cfg.allow_nsfw = value.get<bool>();
        else
            c.problem(key, fmt::format("must be true or false, got {}", json_value_text(value)));
    } else if (key == "max_download_mb") {
        if (read_positive(c, value, key, 2000, d))
            cfg.max_download_bytes = static_cast<std::uint64_t>(d * 1024 * 1024);
    } else if (key == "user_agent") {
        read_user_agent(c, value, key, cfg);
    } else if (key == "connect_timeout_s") {
        read_seconds(c, value, key, 300, cfg.connect_timeout);
    } else if (key == "read_timeout_s") {
        read_seconds(c, value, key, 600, cfg.read_timeout);
    } else if (key == "retry_backoff_s") {
        read_seconds(c, value, key, 60, cfg.retry_backoff);
    } else if (key == "max_attempts") {
        if (read_int(c, value, key, 1, 10, i))
            cfg.max_attempts = static_cast<int>(i);
    } else if (key == "max_retry_after_s") {
        if (read_int(c, value, key, 0, 3600, i))
            cfg.max_retry_after = std::chrono::seconds(i);
    } else if (key == "listing_ttl_s") {
        if (read_int(c, value, key, 0, 86400, i))
            cfg.listing_ttl = std::chrono::seconds(i);
    } else if (key == "max_downloads_per_fetch") {
        if (read_int(c, value, key, 1, 50, i))
            cfg.max_downloads_per_fetch = static_cast<int>(i);
    } else if (key == "media_hosts") {
        read_media_hosts(c, value, key, cfg);
    } else if (key == "base_url") {
        read_base_url(c, value, key, cfg);
    } else if (key == "ca_file") {
        std::string path;
        if (read_string(c, value, key, path)) {
            if (path.empty())
                c.problem(key, "must not be empty");
            else
                cfg.ca_file = path;
        }
    } else {
        return false;
    }
    return true;
}

// The defaults every entry starts from, read before the entries whatever the key order, so
// "sort": "top" at the top applies to all.
SubredditSource read_entry_defaults(Checker& c, const json& document) {
    SubredditSource defaults;
    if (const auto it = document.find("sort"); it != document.end())
        read_sort(c, *it, "sort", defaults.sort);
    if (const auto it = document.find("time"); it != document.end()) {
        read_time(c, *it, "time", defaults.time);
        if (defaults.sort != "top")
            c.problem("time", "only applies to sort \"top\"");
    }
    if (const auto it = document.find("limit"); it != document.end())
        read_limit(c, *it, "limit", defaults.limit);
    return defaults;
}

}  // namespace

RedditSourcesLoadResult parse_reddit_sources(const json& document, std::string_view origin) {
    Checker c(origin);
    RedditSourcesLoadResult result;
    RedditSourcesConfig& cfg = result.config;
    if (document.is_array()) {
        // The seed's form: just the list.
        read_subreddits(c, document, "subreddits", SubredditSource{}, cfg.subreddits);
    } else if (!document.is_object()) {
        c.problem("", fmt::format("must be an array of subreddits or an object with "
                                  "\"subreddits\", got {}",
                                  json_value_text(document)));
    } else {
        const SubredditSource defaults = read_entry_defaults(c, document);
        if (!document.contains("subreddits"))
            c.problem("subreddits", "is required (an array of subreddit names)");
        for (const auto& [key, value] : document.items()) {
            if ((!key.empty() && key[0] == '_') || key == "sort" || key == "time" ||
                key == "limit") {
                continue;  // comments, and the defaults read above
            }
            if (key == "subreddits")
                read_subreddits(c, value, key, defaults, cfg.subreddits);
            else if (!read_setting(c, key, value, cfg))
                c.problem(key, "unknown key (see apps/memegen-bot/sources/README.md)");
        }
    }
    result.problems = c.take();
    return result;
}

RedditSourcesLoadResult load_reddit_sources(const std::filesystem::path& file) {
    const std::string origin = file.string();
    RedditSourcesLoadResult result;
    const auto fail = [&](std::string message) {
        SourceProblem p;
        p.kind = SourceProblemKind::config;
        p.url = origin;
        p.message = std::move(message);
        result.problems.push_back(std::move(p));
        return result;
    };
    std::error_code ec;
    if (!std::filesystem::exists(file, ec))
        return fail("the file does not exist");
    if (std::filesystem::is_directory(file, ec))
        return fail("is a directory, not a JSON file");
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return fail("cannot be opened for reading");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        return fail("could not be read");
    const std::string body = text.str();
    if (body.find_first_not_of(" \t\r\n") == std::string::npos)
        return fail("is empty (expected a JSON array of subreddits or an object)");
    try {
        return parse_reddit_sources(json::parse(body), origin);
    } catch (const json::parse_error& e) {
        return fail(fmt::format("is not valid JSON (at byte {}): {}", e.byte, e.what()));
    }
}

}  // namespace memegen::bot
