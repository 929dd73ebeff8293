#ifndef PROBED_CSYSTEMD_SHIM_H
#define PROBED_CSYSTEMD_SHIM_H
#include <systemd/sd-daemon.h>
#endif
