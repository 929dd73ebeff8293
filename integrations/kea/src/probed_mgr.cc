#include <config.h>  // Kea's build configuration; its headers require it first

#include "probed_mgr.h"

#include "probed_log.h"

#include <asiolink/io_service_mgr.h>
#include <dhcpsrv/cfgmgr.h>
#include <dhcpsrv/host_mgr.h>
#include <dhcpsrv/shared_network.h>
#include <dhcpsrv/subnet.h>
#include <hooks/callout_handle.h>
#include <hooks/parking_lots.h>
#include <stats/stats_mgr.h>
#include <util/multi_threading_mgr.h>

#include <boost/make_shared.hpp>

namespace probed_kea {

using isc::dhcp::ConstHostPtr;
using isc::dhcp::Lease4Ptr;
using isc::dhcp::Pkt4Ptr;
using isc::hooks::CalloutHandle;
using isc::hooks::ParkingLotHandlePtr;

namespace {

constexpr char critical_section_name[] = "PROBED";

/// True when a user-context holds {"probed": {"enable": false}}.
bool disabledIn(const isc::data::ConstElementPtr& context) {
    if (!context || context->getType() != isc::data::Element::map) {
        return false;
    }
    auto const probed = context->get("probed");
    if (!probed || probed->getType() != isc::data::Element::map) {
        return false;
    }
    auto const enable = probed->get("enable");
    return enable && enable->getType() == isc::data::Element::boolean && !enable->boolValue();
}

void count(const std::string& statistic) {
    isc::stats::StatsMgr::instance().addValue(statistic, static_cast<int64_t>(1));
}

/// Sets offer_address_in_use on the parked query's callout handle, OR-ed with what another
/// hook may already have set, then unparks the query.
void release(const Pkt4Ptr& query, const ParkingLotHandlePtr& parking_lot, bool in_use) {
    auto const handle = query->getCalloutHandle();
    bool already = false;
    try {
        handle->getArgument("offer_address_in_use", already);
    } catch (const std::exception&) {
        already = false;  // not set yet
    }
    handle->setArgument("offer_address_in_use", already || in_use);
    parking_lot->unpark(query);
    count("probed-released");
}

}  // namespace

ProbedMgr::ProbedMgr(ProbedConfig config) : config_(std::move(config)), io_service_(boost::make_shared<isc::asiolink::IOService>()) {}

ProbedMgr::~ProbedMgr() {
    stop();
}

void ProbedMgr::configured() {
    if (registered_) {
        return;
    }
    // Kea settles its threading mode after the hooks' dhcp4_srv_configured callouts: start
    // from Kea's main loop, which polls this I/O service, as soon as it runs.
    isc::asiolink::IOServiceMgr::instance().registerIOService(io_service_);
    registered_ = true;
    io_service_->post([this]() { start(); });
}

void ProbedMgr::start() {
    if (client_.load()) {
        return;
    }
    ProbedClient::Options options;
    options.socket = config_.socket;
    options.timeout_ms = config_.timeout_ms;
    options.max_age_ms = config_.max_age_ms;
    auto& mt = isc::util::MultiThreadingMgr::instance();
    if (mt.getMode()) {
        // One I/O thread of the hook's own, on an I/O service of its own.
        thread_pool_ = std::make_unique<isc::asiolink::IoServiceThreadPool>(isc::asiolink::IOServicePtr(), 1, true);
        // Kea pauses its packet threads around reconfiguration; the I/O thread pauses with them
        // so that no offer is unparked meanwhile.
        auto* pool = thread_pool_.get();
        mt.addCriticalSectionCallbacks(
            critical_section_name, [pool]() { pool->checkPausePermissions(); }, [pool]() { pool->pause(); },
            [pool]() { pool->run(); });
        auto client = ProbedClient::create(thread_pool_->getIOService(), options);
        client->start();
        client_.store(client);
        thread_pool_->run();
        LOG_INFO(probed_logger, PROBED_STARTED).arg("one I/O thread");
    } else {
        auto client = ProbedClient::create(io_service_, options);
        client->start();
        client_.store(client);
        LOG_INFO(probed_logger, PROBED_STARTED).arg("polled by Kea's main thread");
    }
}

void ProbedMgr::stop() {
    if (thread_pool_) {
        isc::util::MultiThreadingMgr::instance().removeCriticalSectionCallbacks(critical_section_name);
        thread_pool_->stop();
        thread_pool_.reset();
    }
    if (auto client = client_.exchange(nullptr)) {
        client->stop();
    }
    if (registered_) {
        isc::asiolink::IOServiceMgr::instance().unregisterIOService(io_service_);
        registered_ = false;
    }
}

std::string ProbedMgr::skipReason(const Lease4Ptr& lease, const Lease4Ptr& old_lease, const ConstHostPtr& host) const {
    if (host && host->getIPv4Reservation() == lease->addr_) {
        return "reserved address";
    }
    if (old_lease && old_lease->addr_ == lease->addr_ && old_lease->belongsToClient(lease->hwaddr_, lease->client_id_) &&
        !old_lease->expired()) {
        return "the client's own lease";
    }
    auto const subnet =
        isc::dhcp::CfgMgr::instance().getCurrentCfg()->getCfgSubnets4()->getBySubnetId(lease->subnet_id_);
    if (subnet) {
        if (disabledIn(subnet->getContext())) {
            return "disabled in the subnet's user-context";
        }
        isc::dhcp::SharedNetwork4Ptr network;
        subnet->getSharedNetwork(network);
        if (network && disabledIn(network->getContext())) {
            return "disabled in the shared network's user-context";
        }
    }
    return {};
}

int ProbedMgr::lease4Offer(CalloutHandle& handle) {
    auto const status = handle.getStatus();
    if (status == CalloutHandle::NEXT_STEP_DROP || status == CalloutHandle::NEXT_STEP_SKIP) {
        return 0;
    }
    Pkt4Ptr query;
    Lease4Ptr lease;
    ParkingLotHandlePtr parking_lot;
    bool referenced = false;
    try {
        handle.getArgument("query4", query);
        isc::dhcp::Lease4CollectionPtr leases;
        handle.getArgument("leases4", leases);
        Lease4Ptr old_lease;
        handle.getArgument("old_lease", old_lease);
        // Kea 3.0 passes the client's reservation as "host"; Kea 2.6 does not, and the
        // reservation of the offered address is then looked up.
        ConstHostPtr host;
        bool host_known = true;
        try {
            handle.getArgument("host", host);
        } catch (const isc::hooks::NoSuchArgument&) {
            host_known = false;
        }

        if (!query || query->getType() != isc::dhcp::DHCPDISCOVER || !leases) {
            return 0;
        }
        if (leases->empty()) {
            // Kea offers the client's current lease again (lease reuse, see cache-threshold):
            // nothing new to check.
            LOG_DEBUG(probed_logger, probed_dbg_offer, PROBED_SKIPPED)
                .arg(query->getLabel())
                .arg("the current lease")
                .arg("a reused lease");
            count("probed-skipped");
            return 0;
        }
        lease = leases->front();
        if (!host_known) {
            host = isc::dhcp::HostMgr::instance().get4(lease->subnet_id_, lease->addr_);
        }
        if (std::string const reason = skipReason(lease, old_lease, host); !reason.empty()) {
            LOG_DEBUG(probed_logger, probed_dbg_offer, PROBED_SKIPPED)
                .arg(query->getLabel())
                .arg(lease->addr_.toText())
                .arg(reason);
            count("probed-skipped");
            return 0;
        }
        parking_lot = handle.getParkingLotHandlePtr();
        if (!parking_lot) {
            return 0;  // the server does not park this packet
        }
        auto const client = client_.load();
        if (!client) {
            // Kea's main loop has not started the client yet (the first moments after start).
            std::string const reason = "the hook is not started yet";
            if (config_.on_unknown == OnUnknown::decline) {
                LOG_WARN(probed_logger, PROBED_FAIL_CLOSED).arg(query->getLabel()).arg(lease->addr_.toText()).arg(reason);
                count("probed-fail-closed");
                handle.setStatus(CalloutHandle::NEXT_STEP_DROP);  // no offer; the client asks again
            } else {
                LOG_WARN(probed_logger, PROBED_FAIL_OPEN).arg(query->getLabel()).arg(lease->addr_.toText()).arg(reason);
                count("probed-fail-open");
            }
            return 0;
        }
        parking_lot->reference(query);
        referenced = true;
        handle.setStatus(CalloutHandle::NEXT_STEP_PARK);
        count("probed-checks");

        std::string address = lease->addr_.toText();
        std::string label = query->getLabel();
        OnUnknown const on_unknown = config_.on_unknown;
        client->check(address, [query, parking_lot, address, label, on_unknown](const Verdict& verdict) {
            bool in_use = false;
            switch (verdict.state) {
            case Verdict::State::in_use:
                in_use = true;
                LOG_WARN(probed_logger, PROBED_DECLINE)
                    .arg(label)
                    .arg(address)
                    .arg(verdict.evidence)
                    .arg(verdict.mac.empty() ? std::string() : ", mac " + verdict.mac);
                count("probed-declined");
                break;
            case Verdict::State::free:
                LOG_DEBUG(probed_logger, probed_dbg_offer, PROBED_FREE).arg(label).arg(address).arg(verdict.evidence);
                break;
            case Verdict::State::unknown:
                if (on_unknown == OnUnknown::decline) {
                    in_use = true;
                    LOG_WARN(probed_logger, PROBED_FAIL_CLOSED).arg(label).arg(address).arg(verdict.reason);
                    count("probed-fail-closed");
                } else {
                    LOG_WARN(probed_logger, PROBED_FAIL_OPEN).arg(label).arg(address).arg(verdict.reason);
                    count("probed-fail-open");
                }
                break;
            }
            try {
                release(query, parking_lot, in_use);
            } catch (const std::exception& ex) {
                LOG_ERROR(probed_logger, PROBED_OFFER_FAILED).arg(label).arg(address).arg(ex.what());
            }
        });
    } catch (const std::exception& ex) {
        LOG_ERROR(probed_logger, PROBED_OFFER_FAILED)
            .arg(query ? query->getLabel() : std::string("<no query>"))
            .arg(lease ? lease->addr_.toText() : std::string("<no lease>"))
            .arg(ex.what());
        if (referenced) {
            parking_lot->dereference(query);
            handle.setStatus(CalloutHandle::NEXT_STEP_CONTINUE);
        }
        return 1;
    }
    return 0;
}

}  // namespace probed_kea
