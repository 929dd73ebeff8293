#include <config.h>  // Kea's build configuration; its headers require it first

#include "probed_client.h"

#include "probed_log.h"

#include <cc/data.h>

#include <boost/asio/write.hpp>

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
        if (auto self = weak.lock(); self && !self->stopped_ && self->link_ == Link::idle) {
            self->connect();
        }
    });
}

void ProbedClient::stop() {
    if (stopped_.exchange(true)) {
        return;
    }
    reconnect_timer_.cancel();
    closeSocket();
    for (auto& [id, pending] : pending_) {
        pending.timer->cancel();
    }
    pending_.clear();
}

void ProbedClient::check(std::string address, Handler handler) {
    std::weak_ptr<ProbedClient> weak = weak_from_this();
    io_service_->post([weak, address = std::move(address), handler = std::move(handler)]() {
        if (auto self = weak.lock(); self && !self->stopped_) {
            self->startCheck(address, handler);
        }
    });
}

void ProbedClient::startCheck(const std::string& address, Handler handler) {
    if (link_ != Link::connected && link_ != Link::connecting) {
        handler(unknown("not connected to probed at " + options_.socket));
        return;
    }
    uint64_t const id = next_id_++;
    auto timer = std::make_unique<boost::asio::steady_timer>(io_service_->getInternalIOService(), deadline());
    std::weak_ptr<ProbedClient> weak = weak_from_this();
    timer->async_wait([weak, id](const boost::system::error_code& error) {
        if (auto self = weak.lock(); self && !error && !self->stopped_) {
            self->expire(id);
        }
    });
    pending_.emplace(id, Pending{std::move(handler), std::move(timer)});

    std::ostringstream line;
    line << "{\"id\":" << id << ",\"op\":\"check\",\"addr\":\"" << address << "\",\"timeout_ms\":" << options_.timeout_ms;
    if (options_.max_age_ms) {
        line << ",\"max_age_ms\":" << *options_.max_age_ms;
    }
    line << "}\n";
    outbox_ += line.str();
    flush();
}

void ProbedClient::expire(uint64_t id) {
    auto found = pending_.find(id);
    if (found == pending_.end()) {
        return;
    }
    Handler handler = std::move(found->second.handler);
    pending_.erase(found);
    handler(unknown("no answer from probed within " + std::to_string(deadline().count()) + " ms"));
}

void ProbedClient::connect() {
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
    if (generation != generation_) {
        return;
    }
    if (error) {
        if (!outage_logged_) {
            LOG_WARN(probed_logger, PROBED_CONNECT_FAILED).arg(options_.socket).arg(error.message());
            outage_logged_ = true;
        }
        closeSocket();
        failAll("cannot connect to probed at " + options_.socket + ": " + error.message());
        scheduleReconnect();
        return;
    }
    link_ = Link::connected;
    connected_ = true;
    ++connections_;
    LOG_INFO(probed_logger, PROBED_CONNECTED).arg(options_.socket).arg(attempts_);
    attempts_ = 0;
    backoff_ = options_.min_backoff;
    outage_logged_ = false;
    read();
    flush();
}

void ProbedClient::read() {
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
    if (generation != generation_ || link_ != Link::connected) {
        return;
    }
    if (error) {
        lose(error == boost::asio::error::eof ? std::string("probed closed the connection") : error.message());
        return;
    }
    inbox_.append(read_buffer_.data(), count);
    std::size_t start = 0;
    for (std::size_t end; (end = inbox_.find('\n', start)) != std::string::npos; start = end + 1) {
        std::string line = inbox_.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        if (line.find_first_not_of(" \t") != std::string::npos) {
            handleLine(line);
            if (generation != generation_) {
                return;  // handleLine dropped the connection
            }
        }
    }
    inbox_.erase(0, start);
    if (inbox_.size() > max_line_bytes) {
        lose("an answer from probed is longer than " + std::to_string(max_line_bytes) + " bytes");
        return;
    }
    read();
}

void ProbedClient::handleLine(const std::string& line) {
    ConstElementPtr answer;
    try {
        answer = Element::fromJSON(line);
    } catch (const std::exception& ex) {
        lose(std::string("unparsable answer from probed: ") + ex.what());
        return;
    }
    if (answer->getType() != Element::map) {
        lose("an answer from probed is not a JSON object");
        return;
    }
    ConstElementPtr id = answer->get("id");
    if (!id || id->getType() != Element::integer) {
        return;  // a connection-level error (id null); probed closes the connection after it
    }
    auto found = pending_.find(static_cast<uint64_t>(id->intValue()));
    if (found == pending_.end()) {
        LOG_DEBUG(probed_logger, probed_dbg_offer, PROBED_LATE_ANSWER).arg(id->intValue());
        return;
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
    found->second.timer->cancel();
    Handler handler = std::move(found->second.handler);
    pending_.erase(found);
    handler(verdict);
}

void ProbedClient::flush() {
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
                                 if (!self || self->stopped_ || generation != self->generation_) {
                                     return;
                                 }
                                 self->writing_ = false;
                                 self->writing_buffer_.clear();
                                 if (error) {
                                     self->lose(error.message());
                                     return;
                                 }
                                 self->flush();
                             });
}

void ProbedClient::lose(const std::string& reason) {
    LOG_WARN(probed_logger, PROBED_DISCONNECTED).arg(options_.socket).arg(reason);
    outage_logged_ = true;
    closeSocket();
    failAll("connection to probed lost: " + reason);
    scheduleReconnect();
}

void ProbedClient::closeSocket() {
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

void ProbedClient::scheduleReconnect() {
    link_ = Link::waiting;
    reconnect_timer_.expires_after(backoff_);
    backoff_ = std::min(backoff_ * 2, options_.max_backoff);
    std::weak_ptr<ProbedClient> weak = weak_from_this();
    reconnect_timer_.async_wait([weak](const boost::system::error_code& error) {
        if (auto self = weak.lock(); self && !error && !self->stopped_) {
            self->connect();
        }
    });
}

void ProbedClient::failAll(const std::string& reason) {
    auto failed = std::move(pending_);
    pending_.clear();
    for (auto& [id, pending] : failed) {
        pending.timer->cancel();
    }
    for (auto& [id, pending] : failed) {
        pending.handler(unknown(reason));
    }
}

}  // namespace probed_kea
