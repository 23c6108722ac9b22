#include "net/url.hpp"

#include <algorithm>

namespace memegen::bot {

namespace {

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool valid_target(std::string_view target) {
    // Anything below 0x21 or 0x7f would break the request line or smuggle a header.
    return std::none_of(target.begin(), target.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7f;
    });
}

}  // namespace

std::string HttpUrl::path() const {
    return target.substr(0, target.find_first_of("?#"));
}

std::optional<HttpUrl> parse_http_url(std::string_view url) {
    HttpUrl out;
    std::string_view rest;
    const auto starts_with_ci = [&](std::string_view prefix) {
        if (url.size() < prefix.size())
            return false;
        for (std::size_t i = 0; i < prefix.size(); ++i) {
            if (lower(url[i]) != prefix[i])
                return false;
        }
        return true;
    };
    if (starts_with_ci("https://")) {
        out.https = true;
        rest = url.substr(8);
    } else if (starts_with_ci("http://")) {
        rest = url.substr(7);
    } else {
        return std::nullopt;
    }
    const std::size_t end = rest.find_first_of("/?#");
    const std::string_view authority = rest.substr(0, end);
    std::string_view target = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    if (const auto hash = target.find('#'); hash != std::string_view::npos)
        target = target.substr(0, hash);  // a fragment is never sent
    if (authority.find('@') != std::string_view::npos)
        return std::nullopt;  // user info has no business in a media link
    std::string_view host = authority;
    std::string_view port;
    // An IPv6 literal keeps its brackets ("[::1]"), as cpp-httplib wants the host.
    const bool ipv6 = !authority.empty() && authority[0] == '[';
    const std::size_t host_end = ipv6 ? authority.find(']') : 0;
    if (ipv6 && host_end == std::string_view::npos)
        return std::nullopt;
    if (const std::size_t colon = authority.rfind(':');
        colon != std::string_view::npos && colon > host_end) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
        if (port.empty() || port.size() > 5 ||
            port.find_first_not_of("0123456789") != std::string_view::npos) {
            return std::nullopt;
        }
    }
    if (ipv6) {
        if (host.size() != host_end + 1 || host.size() < 3 ||
            host.substr(1, host.size() - 2).find_first_not_of("0123456789abcdefABCDEF:.") !=
                std::string_view::npos) {
            return std::nullopt;
        }
    } else if (host.empty() || host.size() > 253 ||
               host.find_first_not_of(
                   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
                   std::string_view::npos) {
        return std::nullopt;
    }
    if (!valid_target(target))
        return std::nullopt;
    out.host.reserve(host.size());
    for (const char c : host)
        out.host += lower(c);
    out.scheme_host_port = std::string(out.https ? "https://" : "http://") + out.host;
    if (!port.empty()) {
        out.scheme_host_port += ':';
        out.scheme_host_port += port;
    }
    out.target = target.empty() ? "/" : std::string(target);
    if (out.target[0] == '?')
        out.target.insert(out.target.begin(), '/');  // (a C string here trips GCC 12's -Wrestrict)
    return out;
}

std::optional<HttpUrl> parse_base_url(std::string_view url) {
    if (url.find_first_of("?#") != std::string_view::npos)
        return std::nullopt;  // a path is appended to it; a query would end up in the middle
    auto out = parse_http_url(url);
    if (!out)
        return std::nullopt;
    while (!out->target.empty() && out->target.back() == '/')
        out->target.pop_back();
    return out;
}

std::optional<HttpUrl> resolve_location(const HttpUrl& base, std::string_view location) {
    if (location.substr(0, 2) == "//") {
        return parse_http_url(std::string(base.https ? "https:" : "http:") + std::string(location));
    }
    if (!location.empty() && location[0] == '/') {
        if (!valid_target(location))
            return std::nullopt;
        HttpUrl out = base;
        out.target = std::string(location.substr(0, location.find('#')));
        return out;
    }
    return parse_http_url(location);
}

std::string url_extension(const HttpUrl& url) {
    const std::string path = url.path();
    const std::size_t slash = path.rfind('/');
    const std::string name = path.substr(slash == std::string::npos ? 0 : slash + 1);
    const std::size_t dot = name.rfind('.');
    if (dot == std::string::npos || dot == 0)
        return {};
    std::string ext = name.substr(dot);
    for (auto& c : ext)
        c = lower(c);
    return ext;
}

}  // namespace memegen::bot
