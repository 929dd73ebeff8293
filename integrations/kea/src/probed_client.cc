#include <config.h>  // Kea's build configuration; its headers require it first

#include "probed_client.h"

#include "probed_log.h"

#include <cc/data.h>

#include <boost/asio/write.hpp>

#include <sys/socket.h>

#include <sstream>

namespace probed_kea {

using boost::asio::local::stream_protocol;
using isc::data::ConstElementPtr;
using isc::data::Element;

namespace {

/// An answer line longer than this without a newline means the stream is broken.
constexpr std::size_t max_line_bytes = 1 << 20;

Verdict unknown(std::string reason) {
    Verdict verdict;
    verdict.reason = std::move(reason);
    return verdict;
}

std::string stringField(const ConstElementPtr& map, const std::string& name) {
    ConstElementPtr value = map->get(name);
    return value && value->getType() == Element::string ? value->stringValue() : std::string();
}

}  // namespace

std::shared_ptr<ProbedClient> ProbedClient::create(isc::asiolink::IOServicePtr io_service, Options options) {
    return std::make_shared<ProbedClient>(Key{}, std::move(io_service), std::move(options));
}

ProbedClient::ProbedClient(Key, isc::asiolink::IOServicePtr io_service, Options options)
    : io_service_(std::move(io_service)),
      options_(std::move(options)),
      reconnect_timer_(io_service_->getInternalIOService()),
      backoff_(options_.min_backoff) {}

ProbedClient::~ProbedClient() {
    stop();
}

std::chrono::milliseconds ProbedClient::deadline() const {
    return std::chrono::milliseconds(options_.timeout_ms) + options_.margin;
}

void ProbedClient::start() {
    std::weak_ptr<ProbedClient> weak = weak_from_this();
    io_service_->post([weak]() {
        auto self = weak.lock();
        if (!self) {
            return;
        }
        std::lock_guard lock(self->mutex_);
        if (!self->stopped_ && self->link_ == Link::idle) {
            self->connectLocked();
        }
    });
}

void ProbedClient::stop() {
    std::unordered_map<uint64_t, Pending> dropped;
    {
        std::lock_guard lock(mutex_);
        if (stopped_.exchange(true)) {
            return;
        }
        reconnect_timer_.cancel();
        closeSocketLocked();
        for (auto& [id, pending] : pending_) {
            pending.timer->cancel();
        }
        dropped.swap(pending_);
    }
    // The handlers are dropped without being called (outside the lock: they own Kea's packets).
}

std::string ProbedClient::requestLine(uint64_t id, const std::string& address) const {
    std::ostringstream line;
    line << "{\"id\":" << id << ",\"op\":\"check\",\"addr\":\"" << address << "\",\"timeout_ms\":" << options_.timeout_ms;
    if (options_.max_age_ms) {
        line << ",\"max_age_ms\":" << *options_.max_age_ms;
    }
    line << "}\n";
    return line.str();
}

void ProbedClient::check(std::string address, Handler handler) {
    std::weak_ptr<ProbedClient> weak = weak_from_this();
    std::unique_lock lock(mutex_);
    if (stopped_) {
        return;
    }
    if (link_ != Link::connected && link_ != Link::connecting) {
        lock.unlock();
        // Never call the handler on the caller's thread: it would unpark inside Kea's callout.
        Verdict const verdict = unknown("not connected to probed at " + options_.socket);
        io_service_->post([handler = std::move(handler), verdict]() { handler(verdict); });
        return;
    }
    uint64_t const id = next_id_++;
    auto timer = std::make_unique<boost::asio::steady_timer>(io_service_->getInternalIOService(), deadline());
    timer->async_wait([weak, id](const boost::system::error_code& error) {
        if (auto self = weak.lock(); self && !error && !self->stopped_) {
            self->expire(id);
        }
    });
    pending_.emplace(id, Pending{std::move(handler), std::move(timer)});
    std::string const line = requestLine(id, address);

    // The common case sends right here, on the caller's thread: one line, a non-blocking send
    // on an idle connection, and no wake-up of the I/O thread. Anything else queues for the
    // I/O thread, which owns the asynchronous writes.
    std::size_t sent = 0;
    if (link_ == Link::connected && !writing_ && outbox_.empty()) {
        ssize_t const n = ::send(socket_->native_handle(), line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            sent = static_cast<std::size_t>(n);
        }
        // An error other than a full buffer shows again in the I/O thread's write, which then
        // drops the connection.
    }
    if (sent == line.size()) {
        return;
    }
    outbox_.append(line, sent, std::string::npos);
    if (link_ == Link::connected && !writing_ && !flush_posted_) {
        flush_posted_ = true;
        io_service_->post([weak]() {
            if (auto self = weak.lock(); self && !self->stopped_) {
                std::lock_guard lock(self->mutex_);
                self->flush_posted_ = false;
                self->flushLocked();
            }
        });
    }
}

void ProbedClient::expire(uint64_t id) {
    Handler handler;
    {
        std::lock_guard lock(mutex_);
        auto found = pending_.find(id);
        if (found == pending_.end()) {
            return;
        }
        handler = std::move(found->second.handler);
        pending_.erase(found);
    }
    handler(unknown("no answer from probed within " + std::to_string(deadline().count()) + " ms"));
}

void ProbedClient::connectLocked() {
    link_ = Link::connecting;
    ++attempts_;
    uint64_t const generation = ++generation_;
    socket_ = std::make_unique<stream_protocol::socket>(io_service_->getInternalIOService());
    std::weak_ptr<ProbedClient> weak = weak_from_this();
    socket_->async_connect(stream_protocol::endpoint(options_.socket),
                           [weak, generation](const boost::system::error_code& error) {
                               if (auto self = weak.lock(); self && !self->stopped_) {
                                   self->onConnect(generation, error);
                               }
                           });
}

void ProbedClient::onConnect(uint64_t generation, const boost::system::error_code& error) {
    std::unique_lock lock(mutex_);
    if (generation != generation_) {
        return;
    }
    if (error) {
        if (!outage_logged_) {
            LOG_WARN(probed_logger, PROBED_CONNECT_FAILED).arg(options_.socket).arg(error.message());
            outage_logged_ = true;
        }
        closeSocketLocked();
        auto failed = takePendingLocked();
        scheduleReconnectLocked();
        lock.unlock();
        fail(failed, "cannot connect to probed at " + options_.socket + ": " + error.message());
        return;
    }
    link_ = Link::connected;
    connected_ = true;
    ++connections_;
    LOG_INFO(probed_logger, PROBED_CONNECTED).arg(options_.socket).arg(attempts_);
    attempts_ = 0;
    backoff_ = options_.min_backoff;
    outage_logged_ = false;
    readLocked();
    flushLocked();
}

void ProbedClient::readLocked() {
    uint64_t const generation = generation_;
    std::weak_ptr<ProbedClient> weak = weak_from_this();
    socket_->async_read_some(boost::asio::buffer(read_buffer_),
                             [weak, generation](const boost::system::error_code& error, std::size_t count) {
                                 if (auto self = weak.lock(); self && !self->stopped_) {
                                     self->onRead(generation, error, count);
                                 }
                             });
}

void ProbedClient::onRead(uint64_t generation, const boost::system::error_code& error, std::size_t count) {
    {
        std::lock_guard lock(mutex_);
        if (generation != generation_ || link_ != Link::connected) {
            return;
        }
    }
    if (error) {
        lose(generation, error == boost::asio::error::eof ? std::string("probed closed the connection") : error.message());
        return;
    }
    inbox_.append(read_buffer_.data(), count);
    std::size_t start = 0;
    for (std::size_t end; (end = inbox_.find('\n', start)) != std::string::npos; start = end + 1) {
        std::string line = inbox_.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        if (line.find_first_not_of(" \t") != std::string::npos && !handleLine(generation, line)) {
            return;  // the connection was dropped
        }
    }
    inbox_.erase(0, start);
    if (inbox_.size() > max_line_bytes) {
        lose(generation, "an answer from probed is longer than " + std::to_string(max_line_bytes) + " bytes");
        return;
    }
    std::lock_guard lock(mutex_);
    if (generation == generation_) {
        readLocked();
    }
}

bool ProbedClient::handleLine(uint64_t generation, const std::string& line) {
    ConstElementPtr answer;
    try {
        answer = Element::fromJSON(line);
    } catch (const std::exception& ex) {
        lose(generation, std::string("unparsable answer from probed: ") + ex.what());
        return false;
    }
    if (answer->getType() != Element::map) {
        lose(generation, "an answer from probed is not a JSON object");
        return false;
    }
    ConstElementPtr id = answer->get("id");
    if (!id || id->getType() != Element::integer) {
        return true;  // a connection-level error (id null); probed closes the connection after it
    }
    Verdict verdict;
    ConstElementPtr ok = answer->get("ok");
    if (ok && ok->getType() == Element::boolean && ok->boolValue()) {
        std::string const state = stringField(answer, "state");
        verdict.state = state == "in_use" ? Verdict::State::in_use
                        : state == "free" ? Verdict::State::free
                                          : Verdict::State::unknown;
        verdict.evidence = stringField(answer, "evidence");
        verdict.mac = stringField(answer, "mac");
        verdict.reason = stringField(answer, "reason");
        if (verdict.state == Verdict::State::unknown && verdict.reason.empty()) {
            verdict.reason = "probed answered " + (state.empty() ? std::string("no state") : state) +
                             (verdict.evidence.empty() ? std::string() : ", evidence " + verdict.evidence);
        }
    } else {
        ConstElementPtr error = answer->get("error");
        std::string code, message;
        if (error && error->getType() == Element::map) {
            code = stringField(error, "code");
            message = stringField(error, "message");
        }
        verdict.reason = "probed error " + code + ": " + message;
    }
    Handler handler;
    {
        std::lock_guard lock(mutex_);
        auto found = pending_.find(static_cast<uint64_t>(id->intValue()));
        if (found == pending_.end()) {
            LOG_DEBUG(probed_logger, probed_dbg_offer, PROBED_LATE_ANSWER).arg(id->intValue());
            return true;
        }
        found->second.timer->cancel();
        handler = std::move(found->second.handler);
        pending_.erase(found);
    }
    handler(verdict);
    return true;
}

void ProbedClient::flushLocked() {
    if (writing_ || outbox_.empty() || link_ != Link::connected) {
        return;
    }
    writing_ = true;
    writing_buffer_.swap(outbox_);
    outbox_.clear();
    uint64_t const generation = generation_;
    std::weak_ptr<ProbedClient> weak = weak_from_this();
    boost::asio::async_write(*socket_, boost::asio::buffer(writing_buffer_),
                             [weak, generation](const boost::system::error_code& error, std::size_t) {
                                 auto self = weak.lock();
                                 if (!self || self->stopped_) {
                                     return;
                                 }
                                 {
                                     std::lock_guard lock(self->mutex_);
                                     if (generation != self->generation_) {
                                         return;
                                     }
                                     self->writing_ = false;
                                     self->writing_buffer_.clear();
                                     if (!error) {
                                         self->flushLocked();
                                         return;
                                     }
                                 }
                                 self->lose(generation, error.message());
                             });
}

void ProbedClient::lose(uint64_t generation, const std::string& reason) {
    std::unique_lock lock(mutex_);
    if (generation != generation_) {
        return;
    }
    LOG_WARN(probed_logger, PROBED_DISCONNECTED).arg(options_.socket).arg(reason);
    outage_logged_ = true;
    closeSocketLocked();
    auto failed = takePendingLocked();
    scheduleReconnectLocked();
    lock.unlock();
    fail(failed, "connection to probed lost: " + reason);
}

void ProbedClient::closeSocketLocked() {
    ++generation_;
    connected_ = false;
    if (socket_) {
        boost::system::error_code ignored;
        socket_->close(ignored);
    }
    writing_ = false;
    writing_buffer_.clear();
    outbox_.clear();
    inbox_.clear();
}

void ProbedClient::scheduleReconnectLocked() {
    link_ = Link::waiting;
    reconnect_timer_.expires_after(backoff_);
    backoff_ = std::min(backoff_ * 2, options_.max_backoff);
    std::weak_ptr<ProbedClient> weak = weak_from_this();
    reconnect_timer_.async_wait([weak](const boost::system::error_code& error) {
        auto self = weak.lock();
        if (!self || error) {
            return;
        }
        std::lock_guard lock(self->mutex_);
        if (!self->stopped_) {
            self->connectLocked();
        }
    });
}

std::unordered_map<uint64_t, ProbedClient::Pending> ProbedClient::takePendingLocked() {
    std::unordered_map<uint64_t, Pending> taken;
    taken.swap(pending_);
    for (auto& [id, pending] : taken) {
        pending.timer->cancel();
    }
    return taken;
}

void ProbedClient::fail(std::unordered_map<uint64_t, Pending>& failed, const std::string& reason) {
    for (auto& [id, pending] : failed) {
        pending.handler(unknown(reason));
    }
}

}  // namespace probed_kea
