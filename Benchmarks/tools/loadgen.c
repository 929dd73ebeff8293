// loadgen: the benchmarks' load client. Plain C speaking probed's JSON lines over the Unix
// socket, so that the client costs as little as it can and the numbers are the daemon's.
// Every mode is bounded in count and in time, and prints one line of key=value pairs.
//
//   loadgen latency  SOCK COUNT WARMUP BASE NADDR [EXTRA]
//       One connection, one request at a time: a `check` of BASE+(i mod NADDR), timed from
//       before write(2) to the end of the answer line. Against udsecho it times the same lines
//       echoed back (the bare round trip).
//   loadgen pipeline SOCK CONNS WINDOW COUNT MAXSEC BASE NADDR [EXTRA]
//       COUNT checks over CONNS connections, each keeping WINDOW requests unanswered; answers/s.
//   loadgen burst    SOCK CONNS COUNT MAXSEC BASE DEADLINE_MS [EXTRA]
//       COUNT checks of distinct addresses BASE, BASE+1, … written at once over CONNS
//       connections; each answer's latency is timed from the moment its request line was fully
//       written. Counts states, and answers later than DEADLINE_MS + 10 ms.
//
// BASE is an IPv4 address; EXTRA is a JSON fragment added to every request, such as
// ',"max_age_ms":0,"timeout_ms":200' ("-" or absent for none).
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 256
#define IN_CAPACITY (1 << 20)

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what) {
    fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
    exit(2);
}

static int connect_to(const char *path, int nonblocking) {
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof address.sun_path) {
        fprintf(stderr, "loadgen: socket path too long\n");
        exit(2);
    }
    strcpy(address.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) die(path);
    if (nonblocking) {
        int flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) die("fcntl");
    }
    return fd;
}

static uint32_t parse_base(const char *text) {
    struct in_addr address;
    if (inet_pton(AF_INET, text, &address) != 1) {
        fprintf(stderr, "loadgen: bad IPv4 address %s\n", text);
        exit(2);
    }
    return ntohl(address.s_addr);
}

static const char *extra_fragment(int argc, char **argv, int index) {
    if (index >= argc || strcmp(argv[index], "-") == 0) return "";
    return argv[index];
}

// Appends one check request line; returns its length.
static int format_check(char *into, size_t capacity, long id, uint32_t address, const char *extra) {
    return snprintf(into, capacity, "{\"id\":%ld,\"op\":\"check\",\"addr\":\"%u.%u.%u.%u\"%s}\n", id, address >> 24,
                    (address >> 16) & 255, (address >> 8) & 255, address & 255, extra);
}

// What one answer line says.
struct answer {
    long id;
    int ok, cached, free, in_use, unknown;
};

static struct answer parse_answer(const char *line, size_t length) {
    struct answer a = {.id = -1};
    const char *id = memmem(line, length, "\"id\":", 5);
    if (id) a.id = strtol(id + 5, NULL, 10);
    a.ok = memmem(line, length, "\"ok\":true", 9) != NULL;
    a.cached = memmem(line, length, "\"cached\":true", 13) != NULL;
    a.free = memmem(line, length, "\"state\":\"free\"", 14) != NULL;
    a.in_use = memmem(line, length, "\"state\":\"in_use\"", 16) != NULL;
    a.unknown = memmem(line, length, "\"state\":\"unknown\"", 17) != NULL;
    return a;
}

static int compare_int64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

// Nearest-rank percentile of sorted values, in microseconds.
static double percentile_us(const int64_t *sorted, long count, double q) {
    if (count == 0) return 0;
    long rank = (long)(q * (double)count + 0.999999999);
    if (rank < 1) rank = 1;
    if (rank > count) rank = count;
    return (double)sorted[rank - 1] / 1000.0;
}

static void print_distribution(int64_t *values, long count) {
    qsort(values, (size_t)count, sizeof *values, compare_int64);
    double sum = 0;
    for (long i = 0; i < count; i++) sum += (double)values[i];
    printf("n=%ld mean_us=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f", count,
           count ? sum / (double)count / 1000.0 : 0.0, percentile_us(values, count, 0.50), percentile_us(values, count, 0.90),
           percentile_us(values, count, 0.99), percentile_us(values, count, 0.999), count ? (double)values[count - 1] / 1000.0 : 0.0);
}

// ---- latency ---------------------------------------------------------------------------------

static int run_latency(int argc, char **argv) {
    if (argc < 7) return -1;
    const char *path = argv[2];
    long count = atol(argv[3]), warmup = atol(argv[4]);
    uint32_t base = parse_base(argv[5]);
    long naddr = atol(argv[6]);
    const char *extra = extra_fragment(argc, argv, 7);
    if (count <= 0 || warmup < 0 || naddr <= 0) return -1;

    int fd = connect_to(path, 0);
    int64_t *samples = malloc(sizeof *samples * (size_t)count);
    static char line[512], in[65536];
    long cached = 0, failed = 0;
    for (long i = 0; i < warmup + count; i++) {
        int length = format_check(line, sizeof line, i + 1, base + (uint32_t)(i % naddr), extra);
        int64_t start = now_ns();
        for (int offset = 0; offset < length;) {
            ssize_t written = write(fd, line + offset, (size_t)(length - offset));
            if (written < 0) {
                if (errno == EINTR) continue;
                die("write");
            }
            offset += (int)written;
        }
        size_t have = 0;
        for (;;) {
            ssize_t got = read(fd, in + have, sizeof in - have);
            if (got <= 0) {
                if (got < 0 && errno == EINTR) continue;
                fprintf(stderr, "loadgen: the server closed the connection\n");
                return 2;
            }
            have += (size_t)got;
            if (in[have - 1] == '\n') break;
            if (have == sizeof in) {
                fprintf(stderr, "loadgen: answer too long\n");
                return 2;
            }
        }
        int64_t end = now_ns();
        if (i < warmup) continue;
        samples[i - warmup] = end - start;
        struct answer a = parse_answer(in, have);
        cached += a.cached;
        if (memmem(in, have, "\"ok\":false", 10)) failed++;
    }
    print_distribution(samples, count);
    printf(" cached=%ld failed=%ld\n", cached, failed);
    close(fd);
    return 0;
}

// ---- connections for the pipelined modes --------------------------------------------------------

struct conn {
    int fd;
    char *out;
    size_t out_len, out_off, out_cap;
    char *in;
    size_t in_len;
    long outstanding;
    long quota;  // requests still to be queued on this connection
    // burst: where each queued line ends in `out`, and its id, to time it once written
    long *line_end, *line_id;
    long lines, lines_timed;
};

static void out_reserve(struct conn *c, size_t more) {
    if (c->out_len + more <= c->out_cap) return;
    if (c->out_off > 0) {
        memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
        c->out_len -= c->out_off;
        for (long i = c->lines_timed; i < c->lines; i++) c->line_end[i] -= (long)c->out_off;
        c->out_off = 0;
    }
    while (c->out_len + more > c->out_cap) {
        c->out_cap = c->out_cap ? c->out_cap * 2 : 1 << 16;
        c->out = realloc(c->out, c->out_cap);
        if (!c->out) die("realloc");
    }
}

// Writes what it can; returns 0, or -1 when the server went away.
static int flush_out(struct conn *c) {
    while (c->out_off < c->out_len) {
        ssize_t written = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (written < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            if (errno == EINTR) continue;
            return -1;
        }
        c->out_off += (size_t)written;
    }
    c->out_off = c->out_len = 0;
    return 0;
}

// Reads what is there and hands every complete line to `handle`; returns -1 on EOF or error.
static int read_lines(struct conn *c, void (*handle)(const char *, size_t, void *), void *context) {
    for (;;) {
        ssize_t got = read(c->fd, c->in + c->in_len, IN_CAPACITY - c->in_len);
        if (got < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            if (errno == EINTR) continue;
            return -1;
        }
        if (got == 0) return -1;
        c->in_len += (size_t)got;
        size_t start = 0;
        for (;;) {
            char *newline = memchr(c->in + start, '\n', c->in_len - start);
            if (!newline) break;
            size_t end = (size_t)(newline - c->in);
            c->outstanding--;
            handle(c->in + start, end - start, context);
            start = end + 1;
        }
        memmove(c->in, c->in + start, c->in_len - start);
        c->in_len -= start;
        if (c->in_len == IN_CAPACITY) {
            fprintf(stderr, "loadgen: answer line too long\n");
            exit(2);
        }
        if ((size_t)got < IN_CAPACITY / 2) return 0;
    }
}

static struct conn *open_conns(const char *path, int count) {
    struct conn *conns = calloc((size_t)count, sizeof *conns);
    for (int i = 0; i < count; i++) {
        conns[i].fd = connect_to(path, 1);
        conns[i].in = malloc(IN_CAPACITY);
    }
    return conns;
}

// ---- pipeline --------------------------------------------------------------------------------

struct tally {
    long answered, ok, cached, failed, free, in_use, unknown;
    int64_t *sent_at;  // burst: by id
    int64_t *latency;  // burst: in order of arrival
    long late;
    int64_t late_after;
};

static void count_answer(const char *line, size_t length, void *context) {
    struct tally *t = context;
    struct answer a = parse_answer(line, length);
    t->answered++;
    t->ok += a.ok;
    t->cached += a.cached;
    t->failed += !a.ok;
    t->free += a.free;
    t->in_use += a.in_use;
    t->unknown += a.unknown;
    if (t->sent_at && a.id >= 1) {
        int64_t latency = now_ns() - t->sent_at[a.id - 1];
        t->latency[t->answered - 1] = latency;
        if (latency > t->late_after) t->late++;
    }
}

static int run_pipeline(int argc, char **argv) {
    if (argc < 9) return -1;
    const char *path = argv[2];
    int nconns = atoi(argv[3]);
    long window = atol(argv[4]), count = atol(argv[5]);
    double maxsec = atof(argv[6]);
    uint32_t base = parse_base(argv[7]);
    long naddr = atol(argv[8]);
    const char *extra = extra_fragment(argc, argv, 9);
    if (nconns < 1 || nconns > MAX_CONNS || window < 1 || count < 1 || naddr < 1) return -1;

    struct conn *conns = open_conns(path, nconns);
    for (int i = 0; i < nconns; i++) conns[i].quota = count / nconns + (i < count % nconns);
    struct tally tally = {0};
    struct pollfd polls[MAX_CONNS];
    long next_id = 1;
    int64_t start = now_ns(), limit = start + (int64_t)(maxsec * 1e9);
    while (tally.answered < count && now_ns() < limit) {
        for (int i = 0; i < nconns; i++) {
            struct conn *c = &conns[i];
            while (c->quota > 0 && c->outstanding < window) {
                out_reserve(c, 256);
                long id = next_id++;
                c->out_len += (size_t)format_check(c->out + c->out_len, 256, id, base + (uint32_t)((id - 1) % naddr), extra);
                c->outstanding++;
                c->quota--;
            }
            if (flush_out(c) != 0) die("send");
            polls[i].fd = c->fd;
            polls[i].events = POLLIN | (c->out_off < c->out_len ? POLLOUT : 0);
            polls[i].revents = 0;
        }
        int ready = poll(polls, (nfds_t)nconns, 100);
        if (ready < 0 && errno != EINTR) die("poll");
        for (int i = 0; i < nconns && ready > 0; i++) {
            if (polls[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                if (read_lines(&conns[i], count_answer, &tally) != 0) {
                    fprintf(stderr, "loadgen: the server closed a connection\n");
                    return 2;
                }
            }
        }
    }
    double seconds = (double)(now_ns() - start) / 1e9;
    printf("answered=%ld of=%ld seconds=%.3f rate=%.0f ok=%ld cached=%ld failed=%ld free=%ld in_use=%ld unknown=%ld\n",
           tally.answered, count, seconds, (double)tally.answered / seconds, tally.ok, tally.cached, tally.failed, tally.free,
           tally.in_use, tally.unknown);
    return tally.answered == count ? 0 : 1;
}

// ---- burst -----------------------------------------------------------------------------------

static int run_burst(int argc, char **argv) {
    if (argc < 8) return -1;
    const char *path = argv[2];
    int nconns = atoi(argv[3]);
    long count = atol(argv[4]);
    double maxsec = atof(argv[5]);
    uint32_t base = parse_base(argv[6]);
    long deadline_ms = atol(argv[7]);
    const char *extra = extra_fragment(argc, argv, 8);
    if (nconns < 1 || nconns > MAX_CONNS || count < 1) return -1;

    struct conn *conns = open_conns(path, nconns);
    struct tally tally = {0};
    tally.sent_at = calloc((size_t)count, sizeof *tally.sent_at);
    tally.latency = calloc((size_t)count, sizeof *tally.latency);
    tally.late_after = (deadline_ms + 10) * 1000000LL;
    // Every line is queued before the first write, so that the burst leaves at once.
    for (int i = 0; i < nconns; i++) {
        long quota = count / nconns + (i < count % nconns);
        conns[i].line_end = calloc((size_t)quota, sizeof(long));
        conns[i].line_id = calloc((size_t)quota, sizeof(long));
    }
    for (long id = 1; id <= count; id++) {
        struct conn *c = &conns[(id - 1) % nconns];
        out_reserve(c, 256);
        c->out_len += (size_t)format_check(c->out + c->out_len, 256, id, base + (uint32_t)(id - 1), extra);
        c->line_end[c->lines] = (long)c->out_len;
        c->line_id[c->lines] = id;
        c->lines++;
        c->outstanding++;
    }
    struct pollfd polls[MAX_CONNS];
    int64_t start = now_ns(), limit = start + (int64_t)(maxsec * 1e9);
    int64_t last_written = start;
    while (tally.answered < count && now_ns() < limit) {
        for (int i = 0; i < nconns; i++) {
            struct conn *c = &conns[i];
            if (c->out_off < c->out_len) {
                size_t before = c->out_off;
                if (flush_out(c) != 0) die("send");
                // flush_out resets the offsets once everything is out.
                long written_to = c->out_len == 0 ? c->line_end[c->lines - 1] : (long)c->out_off;
                if (c->out_off != before || c->out_len == 0) {
                    int64_t now = now_ns();
                    while (c->lines_timed < c->lines && c->line_end[c->lines_timed] <= written_to) {
                        tally.sent_at[c->line_id[c->lines_timed] - 1] = now;
                        c->lines_timed++;
                    }
                    last_written = now;
                }
            }
            polls[i].fd = c->fd;
            polls[i].events = POLLIN | (c->out_off < c->out_len ? POLLOUT : 0);
            polls[i].revents = 0;
        }
        int ready = poll(polls, (nfds_t)nconns, 50);
        if (ready < 0 && errno != EINTR) die("poll");
        for (int i = 0; i < nconns && ready > 0; i++) {
            if (polls[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                if (read_lines(&conns[i], count_answer, &tally) != 0) {
                    fprintf(stderr, "loadgen: the server closed a connection\n");
                    return 2;
                }
            }
        }
    }
    printf("start_s=%.6f answered=%ld of=%ld write_ms=%.1f free=%ld in_use=%ld unknown=%ld failed=%ld late=%ld ", (double)start / 1e9, tally.answered, count,
           (double)(last_written - start) / 1e6, tally.free, tally.in_use, tally.unknown, tally.failed, tally.late);
    print_distribution(tally.latency, tally.answered);
    printf("\n");
    return tally.answered == count ? 0 : 1;
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    int status = -1;
    if (argc >= 2 && strcmp(argv[1], "latency") == 0) status = run_latency(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "pipeline") == 0) status = run_pipeline(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "burst") == 0) status = run_burst(argc, argv);
    if (status < 0) {
        fprintf(stderr,
                "usage: loadgen latency  SOCK COUNT WARMUP BASE NADDR [EXTRA]\n"
                "       loadgen pipeline SOCK CONNS WINDOW COUNT MAXSEC BASE NADDR [EXTRA]\n"
                "       loadgen burst    SOCK CONNS COUNT MAXSEC BASE DEADLINE_MS [EXTRA]\n");
        return 2;
    }
    return status;
}
