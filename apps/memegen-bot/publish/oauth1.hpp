#pragma once
/// \file oauth1.hpp
/// OAuth 1.0a request signing with HMAC-SHA1 (RFC 5849, as X's "Creating a signature"
/// describes it step by step): percent-encode every key and value (RFC 3986), sort by key then
/// value, join as k=v&..., build METHOD&encoded-base-URL&encoded-parameter-string, and sign it
/// with "encoded consumer secret&encoded token secret". Only query parameters and
/// application/x-www-form-urlencoded bodies are signed; JSON and multipart bodies are not.
/// X accepts this (user context) on the media upload and post endpoints; unlike an OAuth 2.0
/// user token it does not expire, which suits a bot.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace memegen::bot::publish {

/// The four keys of an X app acting as one account (never logged: see XPublisher).
struct OAuth1Credentials {
    std::string consumer_key;
    std::string consumer_secret;
    std::string access_token;
    std::string access_token_secret;
};

/// Name/value pairs as sent (not encoded).
using OAuthParams = std::vector<std::pair<std::string, std::string>>;

/// RFC 3986 percent-encoding: unreserved characters kept, every other byte as %XX (upper case).
[[nodiscard]] std::string oauth_percent_encode(std::string_view value);

/// The signature base string of a request: `base_url` without query; `params` are the query
/// and form parameters plus every oauth_* parameter except oauth_signature.
[[nodiscard]] std::string oauth_signature_base(std::string_view method, std::string_view base_url,
                                               const OAuthParams& params);

/// Base64 of HMAC-SHA1(base, encode(consumer_secret) & encode(token_secret)).
[[nodiscard]] std::string oauth_sign(std::string_view base, std::string_view consumer_secret,
                                     std::string_view token_secret);

/// The Authorization header value ("OAuth oauth_consumer_key=..., ...") for a request with
/// the given query/form `params`, `nonce` and `timestamp` (seconds since the epoch).
[[nodiscard]] std::string oauth_authorization(const OAuth1Credentials& credentials,
                                              std::string_view method, std::string_view base_url,
                                              const OAuthParams& params, const std::string& nonce,
                                              std::int64_t timestamp);

/// 32 random alphanumeric characters from OpenSSL's RAND_bytes.
[[nodiscard]] std::string oauth_nonce();

}  // namespace memegen::bot::publish
