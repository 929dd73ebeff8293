// The hook's manager: the configuration, the client of probed's socket, the I/O service that
// runs it, and the lease4_offer logic (skip, park, check, unpark).
#ifndef PROBED_KEA_MGR_H
#define PROBED_KEA_MGR_H

#include "probed_client.h"
#include "probed_config.h"

#include <asiolink/io_service.h>
#include <asiolink/io_service_thread_pool.h>
#include <dhcp/pkt4.h>
#include <dhcpsrv/host.h>
#include <dhcpsrv/lease.h>
#include <hooks/callout_handle.h>

#include <atomic>
#include <memory>
#include <string>

namespace probed_kea {

/// Owns everything the hook library does; the callouts only hand over to it.
class ProbedMgr {
public:
    explicit ProbedMgr(ProbedConfig config);
    ~ProbedMgr();
    ProbedMgr(const ProbedMgr&) = delete;
    ProbedMgr& operator=(const ProbedMgr&) = delete;

    /// dhcp4_srv_configured: registers the hook's I/O service with Kea's main loop and posts
    /// ``start`` to it, which then runs once Kea's threading mode is settled. Idempotent.
    void configured();
    /// Starts the client: in multi-threaded mode on one I/O thread of the hook's own; otherwise
    /// on the I/O service that Kea's main loop polls. Runs on Kea's main thread. Idempotent.
    void start();
    /// Stops the I/O thread and closes the connection (unload).
    void stop();

    /// The lease4_offer callout: parks the offer and checks its address, or lets it go.
    int lease4Offer(isc::hooks::CalloutHandle& handle);

    const ProbedConfig& config() const { return config_; }

private:
    /// Why the offer of ``lease`` is not checked, or empty when it is.
    std::string skipReason(const isc::dhcp::Lease4Ptr& lease, const isc::dhcp::Lease4Ptr& old_lease,
                           const isc::dhcp::ConstHostPtr& host) const;

    ProbedConfig const config_;
    isc::asiolink::IOServicePtr io_service_;
    /// Set once on Kea's main thread, read by the packet threads.
    std::atomic<std::shared_ptr<ProbedClient>> client_;
    std::unique_ptr<isc::asiolink::IoServiceThreadPool> thread_pool_;
    bool registered_ = false;
};

}  // namespace probed_kea

#endif
