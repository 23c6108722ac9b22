// Listings over https: certificate verification is on. A client trusting a throwaway CA (made
// with the openssl CLI at test time) reads a listing from an HTTPS server on loopback; with
// the system CA bundle the same server is a tls problem, not retried.

#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "sources/reddit_client.hpp"
#include "sources_test_helpers.hpp"

using memegen::bot::RedditClient;
using memegen::bot::RedditSourcesConfig;
using memegen::bot::SourceProblemKind;
using memegen::bot::SubredditSource;
using memegen::test::TempDir;

namespace {

void run(const std::string& command) {
    const std::string quiet = command + " >/dev/null 2>&1";
    REQUIRE_MESSAGE(std::system(quiet.c_str()) == 0, command);
}

/// A CA and a server certificate for 127.0.0.1 signed by it, in `dir`.
void make_certificates(const std::filesystem::path& dir) {
    const std::string d = dir.string();
    {
        std::ofstream ext(dir / "server.ext");
        ext << "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n";
    }
    run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj '/CN=memegen reddit test CA' -keyout " +
        d + "/ca.key -out " + d + "/ca.pem");
    run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "-subj '/CN=127.0.0.1' -keyout " +
        d + "/server.key -out " + d + "/server.csr");
    run("openssl x509 -req -days 2 -in " + d + "/server.csr -CA " + d + "/ca.pem -CAkey " + d +
        "/ca.key -CAcreateserial -extfile " + d + "/server.ext -out " + d + "/server.pem");
}

}  // namespace

TEST_CASE("https listings are read only from a server whose certificate the CA file trusts") {
    TempDir dir;
    make_certificates(dir.path());
    httplib::SSLServer server((dir.path() / "server.pem").c_str(),
                              (dir.path() / "server.key").c_str());
    REQUIRE(server.is_valid());
    std::atomic<int> requests{0};
    server.Get(".*", [&](const httplib::Request&, httplib::Response& res) {
        ++requests;
        res.set_content(R"({"kind": "Listing", "data": {"children": []}})", "application/json");
    });
    const int port = server.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    std::thread thread([&] { server.listen_after_bind(); });
    while (!server.is_running())
        std::this_thread::sleep_for(std::chrono::milliseconds(1));

    RedditSourcesConfig config;
    config.base_url = "https://127.0.0.1:" + std::to_string(port);
    config.retry_backoff = std::chrono::milliseconds(10);
    SubredditSource memes;
    memes.name = "memes";

    SUBCASE("trusting the test CA succeeds") {
        config.ca_file = (dir.path() / "ca.pem").string();
        const auto r = RedditClient(config).get_listing(memes);
        REQUIRE(r.ok());
        CHECK(r.value->find("Listing") != std::string::npos);
        CHECK(requests == 1);
    }
    SUBCASE("with the system CA bundle the certificate is refused, once") {
        const auto r = RedditClient(config).get_listing(memes);
        REQUIRE_FALSE(r.ok());
        CHECK(r.problem->kind == SourceProblemKind::tls);
        CHECK(r.problem->message.find("certificate") != std::string::npos);
        CHECK(r.attempts.size() == 1);
        CHECK(requests == 0);
    }
    server.stop();
    thread.join();
}
