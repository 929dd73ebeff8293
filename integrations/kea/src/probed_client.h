// The one client of probed's socket: a persistent, pipelined JSON-lines connection on an
// asiolink IOService, with reconnect and backoff, answers matched by id, and a deadline per
// check enforced by a timer.
#ifndef PROBED_KEA_CLIENT_H
#define PROBED_KEA_CLIENT_H

#include <asiolink/io_service.h>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace probed_kea {

/// probed's answer to one check, or the reason there is none.
struct Verdict {
    enum class State { in_use, free, unknown };
    State state = State::unknown;
    /// probed's evidence ("echo_reply", "neighbor", "timeout", ...); empty when probed did not answer.
    std::string evidence;
    /// The MAC probed saw (neighbour evidence), or empty.
    std::string mac;
    /// Why the state is unknown: probed's reason, its error, or the client's own failure.
    std::string reason;
};

/// A connection to probed shared by every offer.
///
/// Threading: ``check`` may be called from any thread (Kea's packet threads). It registers the
/// check and, when the connection is idle, sends its line at once with a non-blocking send;
/// otherwise the line waits for the I/O thread's next write. It never blocks on the socket and
/// never calls a handler itself. Everything else, and every handler, runs on the thread that
/// runs the I/O service, one thread at a time (the hook's single I/O thread, or Kea's main
/// thread polling it). ``stop`` must be called on that thread or once it no longer runs the
/// service.
class ProbedClient : public std::enable_shared_from_this<ProbedClient> {
public:
    struct Options {
        std::string socket;
        uint32_t timeout_ms = 300;
        std::optional<int64_t> max_age_ms;
        /// Added to timeout_ms to make the check's deadline: probed answers a silent address
        /// at timeout_ms, so the margin covers its answer's trip, not a second wait.
        std::chrono::milliseconds margin{50};
        std::chrono::milliseconds min_backoff{50};
        std::chrono::milliseconds max_backoff{2000};
    };
    using Handler = std::function<void(const Verdict&)>;
    /// Only ``create`` can make one (it must live in a shared_ptr).
    class Key {
        friend class ProbedClient;
        Key() = default;
    };

    static std::shared_ptr<ProbedClient> create(isc::asiolink::IOServicePtr io_service, Options options);
    ProbedClient(Key, isc::asiolink::IOServicePtr io_service, Options options);
    ~ProbedClient();
    ProbedClient(const ProbedClient&) = delete;
    ProbedClient& operator=(const ProbedClient&) = delete;

    /// Opens the connection (asynchronously). Any thread.
    void start();
    /// Closes the connection and drops every pending check without calling its handler.
    void stop();
    /// Asks probed about ``address``; ``handler`` is called exactly once (unless ``stop`` comes
    /// first), on the I/O thread, at the latest at the deadline. Any thread; never blocks.
    void check(std::string address, Handler handler);

    /// timeout_ms plus the margin: the longest a check waits.
    std::chrono::milliseconds deadline() const;
    /// Connections established so far (tests).
    uint64_t connections() const { return connections_.load(); }
    /// Whether the connection is up now (tests).
    bool connected() const { return connected_.load(); }

private:
    enum class Link { idle, connecting, connected, waiting };
    struct Pending {
        Handler handler;
        std::unique_ptr<boost::asio::steady_timer> timer;
    };

    // "Locked": called with mutex_ held.
    std::string requestLine(uint64_t id, const std::string& address) const;
    void connectLocked();
    void onConnect(uint64_t generation, const boost::system::error_code& error);
    void readLocked();
    void onRead(uint64_t generation, const boost::system::error_code& error, std::size_t count);
    /// false when the line made it drop the connection.
    bool handleLine(uint64_t generation, const std::string& line);
    void flushLocked();
    void expire(uint64_t id);
    void lose(uint64_t generation, const std::string& reason);
    void closeSocketLocked();
    void scheduleReconnectLocked();
    std::unordered_map<uint64_t, Pending> takePendingLocked();
    static void fail(std::unordered_map<uint64_t, Pending>& failed, const std::string& reason);

    isc::asiolink::IOServicePtr io_service_;
    Options const options_;
    /// Guards the connection's state, the pending checks and the outgoing lines: ``check``
    /// runs on Kea's packet threads, everything else on the I/O thread. Handlers are called
    /// with it released.
    std::mutex mutex_;
    std::unique_ptr<boost::asio::local::stream_protocol::socket> socket_;
    boost::asio::steady_timer reconnect_timer_;
    Link link_ = Link::idle;
    uint64_t generation_ = 0;
    uint64_t next_id_ = 1;
    unsigned attempts_ = 0;
    bool outage_logged_ = false;
    std::chrono::milliseconds backoff_;
    std::unordered_map<uint64_t, Pending> pending_;
    std::string outbox_;
    std::string writing_buffer_;
    bool writing_ = false;
    bool flush_posted_ = false;
    std::string inbox_;
    std::array<char, 16384> read_buffer_{};
    std::atomic<bool> stopped_{false};
    std::atomic<bool> connected_{false};
    std::atomic<uint64_t> connections_{0};
};

}  // namespace probed_kea

#endif
