// The callouts: each hands over to the one ProbedMgr.
#include <config.h>  // Kea's build configuration; its headers require it first

#include "probed_log.h"
#include "probed_mgr.h"

#include <hooks/hooks.h>
#include <process/daemon.h>

#include <memory>

namespace {

std::unique_ptr<probed_kea::ProbedMgr> mgr;

}  // namespace

using isc::hooks::CalloutHandle;
using isc::hooks::LibraryHandle;
using namespace probed_kea;

extern "C" {

int version() {
    return KEA_HOOKS_VERSION;
}

int load(LibraryHandle& handle) {
    try {
        if (isc::process::Daemon::getProcName() != "kea-dhcp4") {
            isc_throw(isc::Unexpected, "loaded by " << isc::process::Daemon::getProcName() << ", not kea-dhcp4");
        }
        auto config = probed_kea::ProbedConfig::parse(handle.getParameters());
        mgr = std::make_unique<probed_kea::ProbedMgr>(config);
        LOG_INFO(probed_logger, PROBED_LOAD_OK)
            .arg(config.socket)
            .arg(config.timeout_ms)
            .arg(config.max_age_ms ? std::to_string(*config.max_age_ms) : std::string("(probed's TTLs)"))
            .arg(config.onUnknownText());
    } catch (const std::exception& ex) {
        LOG_ERROR(probed_logger, PROBED_LOAD_FAILED).arg(ex.what());
        return 1;
    }
    return 0;
}

int unload() {
    mgr.reset();
    LOG_INFO(probed_logger, PROBED_UNLOAD);
    return 0;
}

int multi_threading_compatible() {
    return 1;
}

int dhcp4_srv_configured(CalloutHandle&) {
    try {
        if (mgr) {
            mgr->configured();
        }
    } catch (const std::exception& ex) {
        LOG_ERROR(probed_logger, PROBED_LOAD_FAILED).arg(ex.what());
        return 1;
    }
    return 0;
}

int lease4_offer(CalloutHandle& handle) {
    return mgr ? mgr->lease4Offer(handle) : 0;
}

}  // extern "C"
