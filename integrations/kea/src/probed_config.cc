#include <config.h>  // Kea's build configuration; its headers require it first

#include "probed_config.h"

#include <exceptions/exceptions.h>
#include <sys/un.h>

namespace probed_kea {

using isc::data::ConstElementPtr;
using isc::data::Element;

namespace {

int64_t integerParameter(const std::string& name, const ConstElementPtr& value, int64_t min, int64_t max) {
    if (value->getType() != Element::integer) {
        isc_throw(isc::BadValue, "parameter '" << name << "' must be an integer, not " << value->str());
    }
    int64_t const number = value->intValue();
    if (number < min || number > max) {
        isc_throw(isc::BadValue, "parameter '" << name << "' must be between " << min << " and " << max
                                               << ", not " << number);
    }
    return number;
}

std::string stringParameter(const std::string& name, const ConstElementPtr& value) {
    if (value->getType() != Element::string) {
        isc_throw(isc::BadValue, "parameter '" << name << "' must be a string, not " << value->str());
    }
    return value->stringValue();
}

}  // namespace

ProbedConfig ProbedConfig::parse(const ConstElementPtr& parameters) {
    ProbedConfig config;
    if (!parameters) {
        return config;
    }
    if (parameters->getType() != Element::map) {
        isc_throw(isc::BadValue, "the parameters must be a map, not " << parameters->str());
    }
    for (auto const& [name, value] : parameters->mapValue()) {
        if (name == "socket") {
            config.socket = stringParameter(name, value);
            if (config.socket.empty() || config.socket.front() != '/') {
                isc_throw(isc::BadValue, "parameter 'socket' must be an absolute path, not '" << config.socket << "'");
            }
            if (config.socket.size() >= sizeof(sockaddr_un::sun_path)) {
                isc_throw(isc::BadValue, "parameter 'socket' is longer than " << sizeof(sockaddr_un::sun_path) - 1
                                                                              << " bytes");
            }
        } else if (name == "timeout-ms") {
            config.timeout_ms = static_cast<uint32_t>(integerParameter(name, value, 1, 10000));
        } else if (name == "max-age-ms") {
            config.max_age_ms = integerParameter(name, value, 0, 31536000000);
        } else if (name == "on-unknown") {
            std::string const text = stringParameter(name, value);
            if (text == "offer") {
                config.on_unknown = OnUnknown::offer;
            } else if (text == "decline") {
                config.on_unknown = OnUnknown::decline;
            } else {
                isc_throw(isc::BadValue, "parameter 'on-unknown' must be \"offer\" or \"decline\", not \"" << text << "\"");
            }
        } else {
            isc_throw(isc::BadValue, "unknown parameter '" << name
                                                           << "' (known: socket, timeout-ms, max-age-ms, on-unknown)");
        }
    }
    return config;
}

std::string ProbedConfig::onUnknownText() const {
    return on_unknown == OnUnknown::offer ? "offer" : "decline";
}

}  // namespace probed_kea
