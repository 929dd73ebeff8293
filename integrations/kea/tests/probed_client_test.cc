// Unit test of ProbedClient against a fake probed: a Unix listener in this process that reads
// JSON lines and answers as the test tells it. No Kea server is involved; the client runs on
// an asiolink IOService driven by one thread, as in the hook.
#include <config.h>  // Kea's build configuration; its headers require it first

#include "probed_client.h"
#include "probed_config.h"

#include <asiolink/io_service.h>
#include <cc/data.h>
#include <exceptions/exceptions.h>
#include <log/logger_support.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/make_shared.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;
using probed_kea::ProbedClient;
using probed_kea::Verdict;
using Clock = std::chrono::steady_clock;

namespace {

int failures = 0;

#define EXPECT(condition)                                                                    \
    do {                                                                                     \
        if (!(condition)) {                                                                  \
            std::fprintf(stderr, "  FAILED %s:%d: %s\n", __FILE__, __LINE__, #condition);    \
            ++failures;                                                                      \
        }                                                                                    \
    } while (false)

/// A fake probed: a listening Unix socket; each accepted connection is given to the test.
class FakeProbed {
public:
    explicit FakeProbed(std::string path) : path_(std::move(path)) {
        ::unlink(path_.c_str());
        listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", path_.c_str());
        if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 || ::listen(listener_, 8) != 0) {
            std::perror("fake probed: bind/listen");
            std::exit(2);
        }
    }
    ~FakeProbed() {
        close();
    }
    void close() {
        if (listener_ >= 0) {
            ::close(listener_);
            listener_ = -1;
            ::unlink(path_.c_str());
        }
    }
    /// Accepts one connection (blocking, with a bound).
    int accept() {
        timeval timeout{5, 0};
        ::setsockopt(listener_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
        int const fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
            ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
        }
        return fd;
    }
    /// Reads ``count`` request lines from ``fd``.
    static std::vector<isc::data::ConstElementPtr> readLines(int fd, std::size_t count) {
        std::vector<isc::data::ConstElementPtr> lines;
        std::string buffer;
        char chunk[4096];
        while (lines.size() < count) {
            std::size_t newline;
            while (lines.size() < count && (newline = buffer.find('\n')) != std::string::npos) {
                lines.push_back(isc::data::Element::fromJSON(buffer.substr(0, newline)));
                buffer.erase(0, newline + 1);
            }
            if (lines.size() == count) {
                break;
            }
            ssize_t const n = ::read(fd, chunk, sizeof(chunk));
            if (n <= 0) {
                break;
            }
            buffer.append(chunk, static_cast<std::size_t>(n));
        }
        return lines;
    }
    static void write(int fd, const std::string& text) {
        std::size_t done = 0;
        while (done < text.size()) {
            ssize_t const n = ::write(fd, text.data() + done, text.size() - done);
            if (n <= 0) {
                return;
            }
            done += static_cast<std::size_t>(n);
        }
    }

private:
    std::string path_;
    int listener_ = -1;
};

/// An I/O service run by one thread, as the hook's I/O thread pool runs it.
struct IoThread {
    isc::asiolink::IOServicePtr io = boost::make_shared<isc::asiolink::IOService>();
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard =
        boost::asio::make_work_guard(io->getInternalIOService());
    std::thread thread{[this]() { io->getInternalIOService().run(); }};
    ~IoThread() {
        guard.reset();
        io->getInternalIOService().stop();
        thread.join();
    }
};

/// Collects verdicts from the I/O thread.
struct Results {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::pair<std::string, Verdict>> verdicts;
    std::vector<Clock::time_point> times;

    ProbedClient::Handler handler(std::string tag) {
        return [this, tag](const Verdict& verdict) {
            std::lock_guard lock(mutex);
            verdicts.emplace_back(tag, verdict);
            times.push_back(Clock::now());
            changed.notify_all();
        };
    }
    bool waitFor(std::size_t count, std::chrono::milliseconds bound = 5000ms) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, bound, [&]() { return verdicts.size() >= count; });
    }
    const Verdict* find(const std::string& tag) {
        std::lock_guard lock(mutex);
        for (auto const& [t, v] : verdicts) {
            if (t == tag) {
                return &v;
            }
        }
        return nullptr;
    }
};

std::string socketPath(const std::string& name) {
    return "/tmp/probed-kea-test-" + std::to_string(::getpid()) + "-" + name + ".sock";
}

ProbedClient::Options options(const std::string& path, uint32_t timeout_ms = 300) {
    ProbedClient::Options options;
    options.socket = path;
    options.timeout_ms = timeout_ms;
    options.min_backoff = 20ms;
    options.max_backoff = 100ms;
    return options;
}

bool waitConnected(const std::shared_ptr<ProbedClient>& client, uint64_t connections) {
    auto const end = Clock::now() + 5s;
    while (Clock::now() < end) {
        if (client->connected() && client->connections() >= connections) {
            return true;
        }
        std::this_thread::sleep_for(2ms);  // polling a condition with a bounded deadline
    }
    return false;
}

// Pipelined requests on one connection, answered out of order, matched by id.
void testPipelinedOutOfOrder() {
    FakeProbed probed(socketPath("order"));
    IoThread io;
    auto client = ProbedClient::create(io.io, options(socketPath("order")));
    client->start();
    int const fd = probed.accept();
    EXPECT(fd >= 0);
    EXPECT(waitConnected(client, 1));
    Results results;
    client->check("198.51.100.10", results.handler("a"));
    client->check("198.51.100.11", results.handler("b"));
    client->check("198.51.100.12", results.handler("c"));
    // All three arrive before any is answered: the client does not wait between requests.
    auto const lines = FakeProbed::readLines(fd, 3);
    EXPECT(lines.size() == 3);
    if (lines.size() == 3) {
        EXPECT(lines[0]->get("op")->stringValue() == "check");
        EXPECT(lines[0]->get("addr")->stringValue() == "198.51.100.10");
        EXPECT(lines[0]->get("timeout_ms")->intValue() == 300);
        EXPECT(!lines[0]->get("max_age_ms"));
        auto id = [&](int i) { return std::to_string(lines[i]->get("id")->intValue()); };
        FakeProbed::write(fd, "{\"id\":" + id(2) + ",\"ok\":true,\"addr\":\"198.51.100.12\",\"state\":\"unknown\",\"evidence\":\"send_failed\",\"reason\":\"network unreachable\"}\n"
                              "{\"id\":" + id(0) + ",\"ok\":true,\"addr\":\"198.51.100.10\",\"state\":\"in_use\",\"evidence\":\"neighbor\",\"mac\":\"02:00:00:00:00:14\"}\r\n"
                              "\n{\"id\":" + id(1) + ",\"ok\":true,\"addr\":\"198.51.100.11\",\"state\":\"free\",\"evidence\":\"timeout\"}\n");
    }
    EXPECT(results.waitFor(3));
    auto const* a = results.find("a");
    auto const* b = results.find("b");
    auto const* c = results.find("c");
    EXPECT(a && a->state == Verdict::State::in_use && a->evidence == "neighbor" && a->mac == "02:00:00:00:00:14");
    EXPECT(b && b->state == Verdict::State::free && b->evidence == "timeout");
    EXPECT(c && c->state == Verdict::State::unknown && c->reason == "network unreachable");
    EXPECT(client->connections() == 1);
    client->stop();
    ::close(fd);
}

// max-age-ms reaches the request; an error answer is unknown with probed's code.
void testMaxAgeAndErrors() {
    FakeProbed probed(socketPath("error"));
    IoThread io;
    auto opts = options(socketPath("error"), 100);
    opts.max_age_ms = 10000;
    auto client = ProbedClient::create(io.io, opts);
    client->start();
    int const fd = probed.accept();
    EXPECT(waitConnected(client, 1));
    Results results;
    client->check("203.0.113.9", results.handler("x"));
    auto const lines = FakeProbed::readLines(fd, 1);
    EXPECT(lines.size() == 1);
    if (lines.size() == 1) {
        EXPECT(lines[0]->get("max_age_ms")->intValue() == 10000);
        EXPECT(lines[0]->get("timeout_ms")->intValue() == 100);
        FakeProbed::write(fd, "{\"id\":" + std::to_string(lines[0]->get("id")->intValue()) +
                                  ",\"ok\":false,\"error\":{\"code\":\"not_allowed\",\"message\":\"outside\"}}\n");
    }
    EXPECT(results.waitFor(1));
    auto const* x = results.find("x");
    EXPECT(x && x->state == Verdict::State::unknown && x->reason.find("not_allowed") != std::string::npos);
    client->stop();
    ::close(fd);
}

// probed never answers: the handler is called at the deadline (timeout + margin), not later;
// a late answer is ignored; the connection stays.
void testDeadline() {
    FakeProbed probed(socketPath("deadline"));
    IoThread io;
    auto client = ProbedClient::create(io.io, options(socketPath("deadline"), 100));
    client->start();
    int const fd = probed.accept();
    EXPECT(waitConnected(client, 1));
    Results results;
    auto const start = Clock::now();
    client->check("198.51.100.77", results.handler("late"));
    auto const lines = FakeProbed::readLines(fd, 1);
    EXPECT(results.waitFor(1));
    auto const elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(results.times.at(0) - start);
    std::fprintf(stderr, "  deadline fired after %lld ms (deadline %lld ms)\n", static_cast<long long>(elapsed.count()),
                 static_cast<long long>(client->deadline().count()));
    EXPECT(elapsed >= client->deadline() - 1ms);
    EXPECT(elapsed < client->deadline() + 100ms);
    auto const* late = results.find("late");
    EXPECT(late && late->state == Verdict::State::unknown && late->reason.find("no answer") != std::string::npos);
    if (lines.size() == 1) {
        FakeProbed::write(fd, "{\"id\":" + std::to_string(lines[0]->get("id")->intValue()) +
                                  ",\"ok\":true,\"state\":\"free\",\"evidence\":\"timeout\"}\n");
    }
    std::this_thread::sleep_for(50ms);  // give a wrong second call the chance to happen
    EXPECT(results.verdicts.size() == 1);
    EXPECT(client->connected());
    client->stop();
    ::close(fd);
}

// probed goes away: pending checks fail at once; checks while disconnected fail at once; the
// client reconnects with backoff when probed is back, and checks flow again.
void testReconnect() {
    std::string const path = socketPath("reconnect");
    auto probed = std::make_unique<FakeProbed>(path);
    IoThread io;
    auto client = ProbedClient::create(io.io, options(path, 300));
    client->start();
    int fd = probed->accept();
    EXPECT(waitConnected(client, 1));
    Results results;
    client->check("198.51.100.50", results.handler("pending"));
    FakeProbed::readLines(fd, 1);
    auto const start = Clock::now();
    ::close(fd);
    probed.reset();  // no listener: reconnects fail
    EXPECT(results.waitFor(1, 1000ms));
    EXPECT(results.times.at(0) - start < 200ms);
    auto const* pending = results.find("pending");
    EXPECT(pending && pending->state == Verdict::State::unknown && pending->reason.find("lost") != std::string::npos);

    std::this_thread::sleep_for(30ms);
    client->check("198.51.100.51", results.handler("down"));
    EXPECT(results.waitFor(2, 1000ms));
    auto const* down = results.find("down");
    EXPECT(down && down->state == Verdict::State::unknown);

    probed = std::make_unique<FakeProbed>(path);
    fd = probed->accept();
    EXPECT(fd >= 0);
    EXPECT(waitConnected(client, 2));
    client->check("198.51.100.52", results.handler("back"));
    auto const lines = FakeProbed::readLines(fd, 1);
    EXPECT(lines.size() == 1);
    if (lines.size() == 1) {
        FakeProbed::write(fd, "{\"id\":" + std::to_string(lines[0]->get("id")->intValue()) +
                                  ",\"ok\":true,\"state\":\"in_use\",\"evidence\":\"echo_reply\"}\n");
    }
    EXPECT(results.waitFor(3));
    auto const* back = results.find("back");
    EXPECT(back && back->state == Verdict::State::in_use);
    client->stop();
    ::close(fd);
}

// Many checks from many threads at once: one connection, every handler called exactly once.
void testConcurrentCallers() {
    FakeProbed probed(socketPath("many"));
    IoThread io;
    auto client = ProbedClient::create(io.io, options(socketPath("many"), 1000));
    client->start();
    int const fd = probed.accept();
    EXPECT(waitConnected(client, 1));
    Results results;
    constexpr int threads = 4, per_thread = 100;
    std::vector<std::thread> callers;
    for (int t = 0; t < threads; ++t) {
        callers.emplace_back([&, t]() {
            for (int i = 0; i < per_thread; ++i) {
                client->check("198.51.100." + std::to_string(i), results.handler(std::to_string(t * per_thread + i)));
            }
        });
    }
    for (auto& caller : callers) {
        caller.join();
    }
    auto const lines = FakeProbed::readLines(fd, threads * per_thread);
    EXPECT(lines.size() == threads * per_thread);
    std::string answers;
    for (auto const& line : lines) {
        answers += "{\"id\":" + std::to_string(line->get("id")->intValue()) + ",\"ok\":true,\"state\":\"free\",\"evidence\":\"timeout\"}\n";
    }
    FakeProbed::write(fd, answers);
    EXPECT(results.waitFor(threads * per_thread));
    std::this_thread::sleep_for(20ms);
    EXPECT(results.verdicts.size() == threads * per_thread);
    EXPECT(client->connections() == 1);
    client->stop();
    ::close(fd);
}

// The parameters: defaults, every value, and a bad parameter named in the error.
void testConfig() {
    using probed_kea::ProbedConfig;
    auto const defaults = ProbedConfig::parse(nullptr);
    EXPECT(defaults.socket == "/run/probed/probed.sock" && defaults.timeout_ms == 300 && !defaults.max_age_ms &&
           defaults.on_unknown == probed_kea::OnUnknown::offer);
    auto const full = ProbedConfig::parse(isc::data::Element::fromJSON(
        R"({"socket":"/run/p.sock","timeout-ms":100,"max-age-ms":10000,"on-unknown":"decline"})"));
    EXPECT(full.socket == "/run/p.sock" && full.timeout_ms == 100 && full.max_age_ms == 10000 &&
           full.on_unknown == probed_kea::OnUnknown::decline);
    auto rejects = [](const std::string& json, const std::string& named) {
        try {
            ProbedConfig::parse(isc::data::Element::fromJSON(json));
        } catch (const isc::BadValue& error) {
            return std::string(error.what()).find(named) != std::string::npos;
        }
        return false;
    };
    EXPECT(rejects(R"({"timeout-ms":0})", "'timeout-ms'"));
    EXPECT(rejects(R"({"timeout-ms":10001})", "'timeout-ms'"));
    EXPECT(rejects(R"({"timeout-ms":"300"})", "'timeout-ms'"));
    EXPECT(rejects(R"({"max-age-ms":-1})", "'max-age-ms'"));
    EXPECT(rejects(R"({"on-unknown":"maybe"})", "'on-unknown'"));
    EXPECT(rejects(R"({"socket":"relative.sock"})", "'socket'"));
    EXPECT(rejects(R"({"timeout_ms":300})", "'timeout_ms'"));
}

}  // namespace

int main() {
    isc::log::initLogger("probed-client-test", isc::log::WARN, 0, nullptr);
    std::vector<std::pair<const char*, std::function<void()>>> tests = {
        {"parameters parsed and validated", testConfig},
        {"pipelined, answered out of order, matched by id", testPipelinedOutOfOrder},
        {"max-age-ms and error answers", testMaxAgeAndErrors},
        {"deadline when probed does not answer", testDeadline},
        {"reconnect with backoff", testReconnect},
        {"concurrent callers share one connection", testConcurrentCallers},
    };
    for (auto const& [name, test] : tests) {
        int const before = failures;
        auto const start = Clock::now();
        test();
        auto const ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
        std::fprintf(stderr, "%s %s (%lld ms)\n", failures == before ? "ok  " : "FAIL", name, static_cast<long long>(ms));
    }
    std::fprintf(stderr, "%s: %d failure(s)\n", failures ? "FAILED" : "passed", failures);
    return failures ? 1 : 0;
}
