#include "publish/oauth1.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

#include "publish/http.hpp"

namespace memegen::bot::publish {

std::string oauth_percent_encode(std::string_view value) {
    return detail::form_encode(value);  // the same RFC 3986 unreserved set
}

std::string oauth_signature_base(std::string_view method, std::string_view base_url,
                                 const OAuthParams& params) {
    OAuthParams encoded;
    encoded.reserve(params.size());
    for (const auto& [k, v] : params)
        encoded.emplace_back(oauth_percent_encode(k), oauth_percent_encode(v));
    std::sort(encoded.begin(), encoded.end());  // by encoded key, then encoded value
    std::string joined;
    for (const auto& [k, v] : encoded) {
        if (!joined.empty())
            joined += '&';
        joined += k + "=" + v;
    }
    std::string upper(method);
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return upper + "&" + oauth_percent_encode(base_url) + "&" + oauth_percent_encode(joined);
}

std::string oauth_sign(std::string_view base, std::string_view consumer_secret,
                       std::string_view token_secret) {
    const std::string key =
        oauth_percent_encode(consumer_secret) + "&" + oauth_percent_encode(token_secret);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(base.data()), base.size(), digest,
             &length) == nullptr)
        throw std::runtime_error("[memegen.publish] x: HMAC-SHA1 failed in OpenSSL");
    std::string out(4 * ((length + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), digest,
                                  static_cast<int>(length));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string oauth_authorization(const OAuth1Credentials& credentials, std::string_view method,
                                std::string_view base_url, const OAuthParams& params,
                                const std::string& nonce, std::int64_t timestamp) {
    const OAuthParams oauth = {
        {"oauth_consumer_key", credentials.consumer_key},
        {"oauth_nonce", nonce},
        {"oauth_signature_method", "HMAC-SHA1"},
        {"oauth_timestamp", std::to_string(timestamp)},
        {"oauth_token", credentials.access_token},
        {"oauth_version", "1.0"},
    };
    OAuthParams all = params;
    all.insert(all.end(), oauth.begin(), oauth.end());
    const std::string signature =
        oauth_sign(oauth_signature_base(method, base_url, all), credentials.consumer_secret,
                   credentials.access_token_secret);
    std::string header = "OAuth ";
    for (const auto& [k, v] : oauth)
        header += oauth_percent_encode(k) + "=\"" + oauth_percent_encode(v) + "\", ";
    header += "oauth_signature=\"" + oauth_percent_encode(signature) + "\"";
    return header;
}

std::string oauth_nonce() {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        throw std::runtime_error("[memegen.publish] x: RAND_bytes failed in OpenSSL");
    std::string nonce;
    for (const unsigned char b : bytes)
        nonce += alphabet[b % 62];
    return nonce;
}

}  // namespace memegen::bot::publish
