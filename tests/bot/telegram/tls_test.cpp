// Certificate verification is on: a client trusting a throwaway CA (made with the openssl
// CLI at test time) reaches an HTTPS server on loopback; the same client with the system CA
// bundle is refused with a TLS/certificate error.

#include <doctest/doctest.h>
#include <httplib.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "telegram/bot_api.hpp"
#include "temp_dir.hpp"

using memegen::bot::BotApi;
using memegen::bot::TelegramError;
using memegen::test::TempDir;

namespace {

constexpr const char* kToken = "4242:TlsTestToken_abcdefghijklmnopqrstuvw";

void run(const std::string& command) {
    const std::string quiet = command + " >/dev/null 2>&1";
    REQUIRE_MESSAGE(std::system(quiet.c_str()) == 0, command);
}

/// A CA and a server certificate for 127.0.0.1 signed by it.
void make_certificates(const TempDir& dir) {
    const std::string d = dir.path().string();
    {
        std::ofstream ext(dir / "server.ext");
        ext << "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n";
    }
    run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj '/CN=memegen test CA' -keyout " +
        d + "/ca.key -out " + d + "/ca.pem");
    run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "-subj '/CN=127.0.0.1' -keyout " +
        d + "/server.key -out " + d + "/server.csr");
    run("openssl x509 -req -days 2 -in " + d + "/server.csr -CA " + d + "/ca.pem -CAkey " + d +
        "/ca.key -CAcreateserial -extfile " + d + "/server.ext -out " + d + "/server.pem");
}

}  // namespace

TEST_CASE("the client verifies the server certificate against its CA file") {
    TempDir dir("tg-tls");
    make_certificates(dir);
    httplib::SSLServer server((dir / "server.pem").c_str(), (dir / "server.key").c_str());
    REQUIRE(server.is_valid());
    server.Post(".*", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(R"({"ok":true,"result":{"id":1,"is_bot":true,"first_name":"TLS"}})",
                        "application/json");
    });
    const int port = server.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    std::thread thread([&] { server.listen_after_bind(); });
    while (!server.is_running())
        std::this_thread::sleep_for(std::chrono::milliseconds(1));

    memegen::bot::BotApiOptions options;
    options.token = kToken;
    options.base_url = "https://127.0.0.1:" + std::to_string(port);
    options.retry.max_attempts = 2;
    options.retry.initial_backoff = std::chrono::milliseconds(10);

    SUBCASE("trusting the test CA succeeds") {
        options.ca_file = (dir / "ca.pem").string();
        BotApi client(options);
        CHECK(client.get_me()["first_name"] == "TLS");
    }
    SUBCASE("with the system CA bundle the certificate is refused") {
        BotApi client(options);
        try {
            client.get_me();
            FAIL("expected a certificate error");
        } catch (const TelegramError& e) {
            CHECK(e.kind() == TelegramError::Kind::tls);
            CHECK(std::string(e.what()).find("certificate") != std::string::npos);
            CHECK(std::string(e.what()).find(kToken) == std::string::npos);
        }
    }
    server.stop();
    thread.join();
}
