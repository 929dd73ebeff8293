#include <config.h>  // Kea's build configuration; its headers require it first

#include "probed_log.h"

namespace probed_kea {

isc::log::Logger probed_logger("probed-hooks");

}  // namespace probed_kea
