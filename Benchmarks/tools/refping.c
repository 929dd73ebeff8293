// refping: the benchmarks' reference pinger. One kernel ping socket (SOCK_DGRAM/IPPROTO_ICMP),
// one echo request per address of an IPv4 prefix, sent and received as fast as the kernel
// allows: non-blocking sends interleaved with recvmmsg drains, replies matched by sequence
// number, token and source address. It ends when every address has answered or `timeout_ms`
// after the last send, and prints one line of key=value pairs:
//
//   refping [--batch N] PREFIX TIMEOUT_MS
//   addresses=65534 sent=65534 replies=65534 seconds=0.912 rate=71858
//
// --batch N sends N requests per sendmmsg(2) call (default 1: one sendto(2) per request, as
// probed does). The network and broadcast addresses of a prefix shorter than /31 are left out.
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RECV_BATCH 64
#define MAX_BATCH 256
#define MAX_ADDRESSES 65536

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what) {
    perror(what);
    exit(2);
}

struct echo {
    struct icmphdr header;
    uint64_t token;
};

static uint32_t *targets;        // host-order addresses, index = sequence
static unsigned char *answered;  // per index
static uint64_t token_seed;
static long replies;

static uint64_t token_for(uint32_t index) { return token_seed ^ ((uint64_t)index * 0x9E3779B97F4A7C15ull); }

// Drains the socket without blocking; returns the number of valid replies matched.
static long drain(int fd) {
    static struct mmsghdr messages[RECV_BATCH];
    static struct iovec vectors[RECV_BATCH];
    static unsigned char buffers[RECV_BATCH][128];
    static struct sockaddr_in sources[RECV_BATCH];
    long matched = 0;
    for (;;) {
        for (int i = 0; i < RECV_BATCH; i++) {
            vectors[i].iov_base = buffers[i];
            vectors[i].iov_len = sizeof buffers[i];
            memset(&messages[i].msg_hdr, 0, sizeof messages[i].msg_hdr);
            messages[i].msg_hdr.msg_iov = &vectors[i];
            messages[i].msg_hdr.msg_iovlen = 1;
            messages[i].msg_hdr.msg_name = &sources[i];
            messages[i].msg_hdr.msg_namelen = sizeof sources[i];
        }
        int count = recvmmsg(fd, messages, RECV_BATCH, MSG_DONTWAIT, NULL);
        if (count < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return matched;
            die("recvmmsg");
        }
        for (int i = 0; i < count; i++) {
            if (messages[i].msg_len < sizeof(struct echo)) continue;
            struct echo *reply = (struct echo *)buffers[i];
            if (reply->header.type != ICMP_ECHOREPLY) continue;
            uint32_t index = ntohs(reply->header.un.echo.sequence);
            if (index >= MAX_ADDRESSES || answered[index]) continue;
            if (reply->token != token_for(index)) continue;
            if (ntohl(sources[i].sin_addr.s_addr) != targets[index]) continue;
            answered[index] = 1;
            matched++;
        }
        if (count < RECV_BATCH) return matched;
    }
}

int main(int argc, char **argv) {
    int batch = 1;
    int arg = 1;
    if (argc > 2 && strcmp(argv[1], "--batch") == 0) {
        batch = atoi(argv[2]);
        arg = 3;
    }
    if (argc - arg != 2 || batch < 1 || batch > MAX_BATCH) {
        fprintf(stderr, "usage: refping [--batch 1-%d] PREFIX TIMEOUT_MS\n", MAX_BATCH);
        return 2;
    }
    char prefix_text[64];
    snprintf(prefix_text, sizeof prefix_text, "%s", argv[arg]);
    char *slash = strchr(prefix_text, '/');
    if (!slash) {
        fprintf(stderr, "refping: prefix needs a length\n");
        return 2;
    }
    *slash = 0;
    int length = atoi(slash + 1);
    struct in_addr network;
    if (inet_pton(AF_INET, prefix_text, &network) != 1 || length < 16 || length > 32) {
        fprintf(stderr, "refping: IPv4 prefixes from /16 to /32 only\n");
        return 2;
    }
    double timeout = atof(argv[arg + 1]) / 1000.0;

    uint32_t base = ntohl(network.s_addr);
    uint32_t size = length == 32 ? 1u : (1u << (32 - length));
    uint32_t first = 0, last = size - 1;
    if (length < 31) {
        first = 1;
        last = size - 2;
    }
    uint32_t count = last - first + 1;
    targets = calloc(MAX_ADDRESSES, sizeof *targets);
    answered = calloc(MAX_ADDRESSES, 1);
    for (uint32_t i = 0; i < count; i++) targets[i] = base + first + i;
    token_seed = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL);

    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
    if (fd < 0) die("socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)");
    int bufsize = 16 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsize, sizeof bufsize) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof bufsize);
    // Don't Fragment, as probed sets it: the kernel then draws no IP identification per packet.
    int discovery = IP_PMTUDISC_DO;
    setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &discovery, sizeof discovery);

    static struct echo packets[MAX_BATCH];
    static struct sockaddr_in addresses[MAX_BATCH];
    static struct iovec vectors[MAX_BATCH];
    static struct mmsghdr messages[MAX_BATCH];

    double start = now_seconds();
    uint32_t next = 0;
    long sent = 0;
    while (next < count) {
        int n = 0;
        for (; n < batch && next + n < count; n++) {
            uint32_t index = next + n;
            memset(&packets[n], 0, sizeof packets[n]);
            packets[n].header.type = ICMP_ECHO;
            packets[n].header.un.echo.sequence = htons((uint16_t)index);
            packets[n].token = token_for(index);
            addresses[n].sin_family = AF_INET;
            addresses[n].sin_addr.s_addr = htonl(targets[index]);
            vectors[n].iov_base = &packets[n];
            vectors[n].iov_len = sizeof packets[n];
            memset(&messages[n].msg_hdr, 0, sizeof messages[n].msg_hdr);
            messages[n].msg_hdr.msg_iov = &vectors[n];
            messages[n].msg_hdr.msg_iovlen = 1;
            messages[n].msg_hdr.msg_name = &addresses[n];
            messages[n].msg_hdr.msg_namelen = sizeof addresses[n];
        }
        int done;
        if (batch == 1) {
            done = sendto(fd, &packets[0], sizeof packets[0], 0, (struct sockaddr *)&addresses[0], sizeof addresses[0]) < 0 ? -1 : 1;
        } else {
            done = sendmmsg(fd, messages, n, 0);
        }
        if (done < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
                replies += drain(fd);
                struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
                poll(&p, 1, 10);
                continue;
            }
            die("send");
        }
        next += (uint32_t)done;
        sent += done;
        // Interleave receiving so that the receive queue never overflows.
        if ((sent & 63) < (long)done || batch > 1) replies += drain(fd);
    }
    double last_send = now_seconds();
    while (replies < (long)count) {
        double remaining = last_send + timeout - now_seconds();
        if (remaining <= 0) break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ready = poll(&p, 1, (int)(remaining * 1000) + 1);
        if (ready < 0 && errno != EINTR) die("poll");
        if (ready > 0) replies += drain(fd);
    }
    double end = now_seconds();
    double seconds = end - start;
    printf("addresses=%u sent=%ld replies=%ld seconds=%.4f rate=%.0f\n", count, sent, replies, seconds, count / seconds);
    return replies == (long)count ? 0 : 1;
}
