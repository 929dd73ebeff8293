// The hook's parameters, parsed and validated once, at load time.
#ifndef PROBED_KEA_CONFIG_H
#define PROBED_KEA_CONFIG_H

#include <cc/data.h>

#include <cstdint>
#include <optional>
#include <string>

namespace probed_kea {

/// What an offer whose address could not be checked becomes.
enum class OnUnknown { offer, decline };

/// The parameters of libdhcp_probed.so ("parameters" of its "hooks-libraries" entry).
///
/// Every parameter is optional. An unknown parameter, a wrong type or a value out of range
/// makes ``parse`` throw isc::BadValue with a message that names the parameter, so that Kea
/// refuses to load the library.
struct ProbedConfig {
    /// probed's query socket ("socket").
    std::string socket = "/run/probed/probed.sock";
    /// The check's timeout_ms ("timeout-ms", 1-10000).
    uint32_t timeout_ms = 300;
    /// The check's max_age_ms ("max-age-ms", 0-31536000000); absent: probed's TTLs decide.
    std::optional<int64_t> max_age_ms;
    /// "on-unknown": "offer" (fail open) or "decline".
    OnUnknown on_unknown = OnUnknown::offer;

    /// Parses the library's parameters (null: every default).
    static ProbedConfig parse(const isc::data::ConstElementPtr& parameters);

    /// "offer" or "decline".
    std::string onUnknownText() const;
};

}  // namespace probed_kea

#endif
