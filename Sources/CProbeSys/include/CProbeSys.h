// Linux system interfaces that Swift's Glibc module does not expose (GNU extensions, macros),
// wrapped as small functions. Nothing here holds logic; it only makes the kernel API callable.
// The header avoids _GNU_SOURCE (its struct layouts would clash with Swift's Glibc module); the
// GNU-only calls are wrapped in CProbeSys.c.
#ifndef PROBED_CPROBESYS_H
#define PROBED_CPROBESYS_H

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/icmp6.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/// The layout of glibc's `struct mmsghdr` (declared only under _GNU_SOURCE).
struct cprobe_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};

/// The layout of glibc's `struct ucred` (SO_PEERCRED; declared only under _GNU_SOURCE).
struct cprobe_ucred {
    pid_t pid;
    uid_t uid;
    gid_t gid;
};

/// recvmmsg(2) without a timeout.
int cprobe_recvmmsg(int fd, struct cprobe_mmsghdr *vec, unsigned int n, int flags);

/// sendmmsg(2).
int cprobe_sendmmsg(int fd, struct cprobe_mmsghdr *vec, unsigned int n, int flags);

/// ppoll(2) with a relative timeout in nanoseconds; negative waits forever.
/// Sets Swift concurrency's global-enqueue hook to `hook` (a thin Swift function taking the job and
/// the original enqueue function). Returns 1, or 0 (nothing changed) when a hook is already set.
/// Call it once, before the first task is created.
int cprobe_install_enqueue_global_hook(const void *hook);

/// Names the calling thread (at most 15 bytes show), as `top -H` and `/proc/PID/task/*/comm`
/// show it.
void cprobe_set_thread_name(const char *name);

/// Fills `length` bytes with the kernel's random numbers (getrandom(2)); returns 0, or -1 with errno.
int cprobe_random_bytes(void *buffer, size_t length);

int cprobe_ppoll(struct pollfd *fds, nfds_t n, int64_t timeout_ns);

/// CLOCK_MONOTONIC in nanoseconds.
static inline uint64_t cprobe_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/// Asks the CPU to start loading the cache line at `address` (to be written), without waiting:
/// the checker issues these for a batch of outcomes before it works through them, so that their
/// table lookups miss the cache in parallel rather than one after another.
static inline void cprobe_prefetch(const void *address) { __builtin_prefetch(address, 1, 3); }

/// `cprobe_prefetch` for every cache line of the `length` bytes at `address` (a record that may
/// straddle two lines).
static inline void cprobe_prefetch_bytes(const void *address, size_t length) {
    uintptr_t line = (uintptr_t)address & ~(uintptr_t)63;
    for (uintptr_t end = (uintptr_t)address + length; line < end; line += 64) __builtin_prefetch((const void *)line, 1, 3);
}

/// The ICMPv6 type filter: block every type, then pass the given ones.
static inline void cprobe_icmp6_filter_pass_only(struct icmp6_filter *f, const uint8_t *types, int n) {
    ICMP6_FILTER_SETBLOCKALL(f);
    for (int i = 0; i < n; i++) {
        ICMP6_FILTER_SETPASS(types[i], f);
    }
}

/// Packet sockets (PacketSocket.c). A non-blocking, close-on-exec AF_PACKET datagram socket for
/// one Ethernet protocol (host order, e.g. 0x0806 for ARP) on every interface; -1 with errno.
int cprobe_packet_socket(uint16_t protocol);

/// sendto(2) on a packet socket: `payload` out of `ifindex` to the link-layer `destination`.
ssize_t cprobe_packet_send(int fd, int ifindex, uint16_t protocol, const uint8_t *destination, size_t destination_length,
                           const void *payload, size_t length);

/// recvfrom(2) on a packet socket, without blocking: the interface it came in on and its
/// PACKET_* type (PACKET_OUTGOING for this host's own frames).
ssize_t cprobe_packet_receive(int fd, void *buffer, size_t length, int *ifindex, int *packet_type);

/// An interface's hardware address (first `capacity` bytes, at most 6), its ARPHRD_* type and
/// its IFF_* flags (SIOCGIFHWADDR, SIOCGIFFLAGS); 0, or -1 with errno.
int cprobe_interface_hardware(int ifindex, uint8_t *address, size_t capacity, int *hardware_type, int *flags);

#endif
