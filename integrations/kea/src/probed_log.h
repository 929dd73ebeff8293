// The hook library's logger: everything it says goes through Kea's logging, never stdout.
#ifndef PROBED_KEA_LOG_H
#define PROBED_KEA_LOG_H

#include <log/log_dbglevels.h>
#include <log/logger_support.h>
#include <log/macros.h>

#include "probed_messages.h"

namespace probed_kea {

/// The logger "probed-hooks" (configure it in Kea's "loggers" as "kea-dhcp4.probed-hooks").
extern isc::log::Logger probed_logger;

/// Debug level of per-offer messages (free verdicts, skipped checks, late answers).
inline int const probed_dbg_offer = isc::log::DBGLVL_TRACE_BASIC;

}  // namespace probed_kea

#endif
