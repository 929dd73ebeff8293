// notifywait: starts a daemon with NOTIFY_SOCKET pointing at a datagram socket of its own, and
// measures what systemd would see.
//
//   notifywait ready TIMEOUT_S -- COMMAND…
//       Time from fork(2) to READY=1, then SIGTERM and the time to exit.
//       Prints: ready_ms=… stop_ms=… exit=…
//   notifywait serve INFOFILE TIMEOUT_S -- COMMAND…
//       Writes "pid=… ready_ms=…" to INFOFILE once READY=1 came, keeps reading notifications until
//       the daemon exits, forwards SIGTERM/SIGINT to it, and exits with its status.
//   notifywait idle SECONDS SETTLE_S WATCHDOG_S TIMEOUT_S -- COMMAND…
//       With WATCHDOG_USEC set (WATCHDOG_S, 0 for none): after READY=1 and SETTLE_S seconds, counts
//       for SECONDS seconds every thread's context switches (its wakeups) and CPU time, and the
//       notifications that came. Prints "thread …" lines, then one line of totals.
//
// Every wait is bounded by TIMEOUT_S; the daemon is killed (SIGKILL) when it does not exit within
// it after SIGTERM.
#define _GNU_SOURCE 1
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int notify_fd = -1;
static char notify_path[108];
static pid_t child = -1;
static long ready_count, watchdog_count, status_count, other_count;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void cleanup(void) {
    if (notify_path[0]) unlink(notify_path);
}

static void die(const char *what) {
    fprintf(stderr, "notifywait: %s: %s\n", what, strerror(errno));
    if (child > 0) kill(child, SIGKILL);
    cleanup();
    exit(2);
}

static void open_notify_socket(void) {
    snprintf(notify_path, sizeof notify_path, "/tmp/notifywait-%d.sock", getpid());
    unlink(notify_path);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    strcpy(address.sun_path, notify_path);
    notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (notify_fd < 0 || bind(notify_fd, (struct sockaddr *)&address, sizeof address) != 0) die("notify socket");
    int size = 1 << 20;
    setsockopt(notify_fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

static void start(char **command, double watchdog_s) {
    child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
        setenv("NOTIFY_SOCKET", notify_path, 1);
        if (watchdog_s > 0) {
            char value[32];
            snprintf(value, sizeof value, "%.0f", watchdog_s * 1e6);
            setenv("WATCHDOG_USEC", value, 1);
            snprintf(value, sizeof value, "%d", getpid());
            setenv("WATCHDOG_PID", value, 1);
        } else {
            unsetenv("WATCHDOG_USEC");
            unsetenv("WATCHDOG_PID");
        }
        execvp(command[0], command);
        perror("notifywait: exec");
        _exit(127);
    }
}

// Reads notifications for up to `wait_ms` (or until `until_ready` sees READY=1); returns 1 when
// READY=1 came, 0 on timeout, -1 when the child exited.
static int pump(double wait_ms, int until_ready) {
    double deadline = now_ms() + wait_ms;
    for (;;) {
        double remaining = deadline - now_ms();
        if (remaining <= 0) return 0;
        struct pollfd p = {.fd = notify_fd, .events = POLLIN};
        int timeout = (int)remaining + 1;
        if (timeout > 50) timeout = 50;  // also notice the child's exit
        int ready = poll(&p, 1, timeout);
        if (ready < 0 && errno != EINTR) die("poll");
        if (ready > 0) {
            char message[4096];
            ssize_t got = recv(notify_fd, message, sizeof message - 1, 0);
            if (got > 0) {
                message[got] = 0;
                int is_ready = 0;
                for (char *line = strtok(message, "\n"); line; line = strtok(NULL, "\n")) {
                    if (strcmp(line, "READY=1") == 0) {
                        ready_count++;
                        is_ready = 1;
                    } else if (strcmp(line, "WATCHDOG=1") == 0) {
                        watchdog_count++;
                    } else if (strncmp(line, "STATUS=", 7) == 0) {
                        status_count++;
                    } else {
                        other_count++;
                    }
                }
                if (is_ready && until_ready) return 1;
            }
            continue;
        }
        int status;
        if (waitpid(child, &status, WNOHANG) == child) {
            child = -1;
            return -1;
        }
    }
}

// SIGTERM, then waits up to `timeout_s`; returns the exit status (128+signal when killed).
static int stop(double timeout_s, double *stop_ms) {
    double begin = now_ms();
    kill(child, SIGTERM);
    int status = 0;
    for (;;) {
        pid_t done = waitpid(child, &status, WNOHANG);
        if (done == child) break;
        if (now_ms() - begin > timeout_s * 1e3) {
            kill(child, SIGKILL);
            waitpid(child, &status, 0);
            break;
        }
        pump(10, 0);
    }
    if (stop_ms) *stop_ms = now_ms() - begin;
    child = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char **command_after_dashes(int argc, char **argv, int from) {
    for (int i = from; i < argc; i++)
        if (strcmp(argv[i], "--") == 0 && i + 1 < argc) return argv + i + 1;
    return NULL;
}

// ---- idle: per-thread wakeups ----------------------------------------------------------------

#define MAX_THREADS 256
struct thread_sample {
    int tid;
    char name[32];
    long switches;  // voluntary + involuntary context switches
    long ticks;     // utime + stime
};

static int sample_threads(pid_t pid, struct thread_sample *samples) {
    char path[128];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *dir = opendir(path);
    if (!dir) return 0;
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) && count < MAX_THREADS) {
        if (entry->d_name[0] == '.') continue;
        struct thread_sample *s = &samples[count];
        memset(s, 0, sizeof *s);
        s->tid = atoi(entry->d_name);
        char file[512], buffer[4096];
        snprintf(file, sizeof file, "%s/%s/comm", path, entry->d_name);
        FILE *f = fopen(file, "r");
        if (f) {
            if (fgets(s->name, sizeof s->name, f)) s->name[strcspn(s->name, "\n")] = 0;
            fclose(f);
        }
        for (char *c = s->name; *c; c++)
            if (*c == ' ') *c = '_';
        snprintf(file, sizeof file, "%s/%s/status", path, entry->d_name);
        f = fopen(file, "r");
        if (f) {
            while (fgets(buffer, sizeof buffer, f)) {
                long value;
                if (sscanf(buffer, "voluntary_ctxt_switches: %ld", &value) == 1) s->switches += value;
                if (sscanf(buffer, "nonvoluntary_ctxt_switches: %ld", &value) == 1) s->switches += value;
            }
            fclose(f);
        }
        snprintf(file, sizeof file, "%s/%s/stat", path, entry->d_name);
        f = fopen(file, "r");
        if (f) {
            if (fgets(buffer, sizeof buffer, f)) {
                char *after = strrchr(buffer, ')');
                unsigned long utime = 0, stime = 0;
                // Fields after the command: state(3) … utime(14) stime(15).
                if (after && sscanf(after + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) == 2)
                    s->ticks = (long)(utime + stime);
            }
            fclose(f);
        }
        count++;
    }
    closedir(dir);
    return count;
}

static int run_idle(int argc, char **argv) {
    if (argc < 7) return -1;
    double seconds = atof(argv[2]), settle = atof(argv[3]), watchdog = atof(argv[4]), timeout = atof(argv[5]);
    char **command = command_after_dashes(argc, argv, 6);
    if (!command || seconds <= 0) return -1;
    open_notify_socket();
    start(command, watchdog);
    if (pump(timeout * 1e3, 1) != 1) {
        fprintf(stderr, "notifywait: no READY=1\n");
        if (child > 0) stop(timeout, NULL);
        cleanup();
        return 2;
    }
    pump(settle * 1e3, 0);
    static struct thread_sample before[MAX_THREADS], after[MAX_THREADS];
    int nbefore = sample_threads(child, before);
    long watchdog0 = watchdog_count, status0 = status_count, other0 = other_count;
    double begin = now_ms();
    pump(seconds * 1e3, 0);
    double elapsed = (now_ms() - begin) / 1e3;
    int nafter = sample_threads(child, after);
    long total_switches = 0, total_ticks = 0, busy_threads = 0;
    for (int i = 0; i < nafter; i++) {
        long switches = after[i].switches, ticks = after[i].ticks;
        for (int j = 0; j < nbefore; j++)
            if (before[j].tid == after[i].tid) {
                switches -= before[j].switches;
                ticks -= before[j].ticks;
            }
        total_switches += switches;
        total_ticks += ticks;
        if (switches > 0) busy_threads++;
        printf("thread tid=%d name=%s wakeups=%ld cpu_ms=%ld\n", after[i].tid, after[i].name, switches, ticks * 1000 / sysconf(_SC_CLK_TCK));
    }
    long watchdogs = watchdog_count - watchdog0, statuses = status_count - status0, others = other_count - other0;
    double stop_ms;
    int exit_status = stop(timeout, &stop_ms);
    printf("seconds=%.2f threads=%d threads_woken=%ld wakeups=%ld cpu_ms=%ld watchdog=%ld status=%ld other=%ld exit=%d\n", elapsed,
           nafter, busy_threads, total_switches, total_ticks * 1000 / sysconf(_SC_CLK_TCK), watchdogs, statuses, others,
           exit_status);
    cleanup();
    return 0;
}

// ---- ready, serve --------------------------------------------------------------------------------

static volatile sig_atomic_t forward_signal;
static void on_signal(int number) { forward_signal = number; }

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    if (argc >= 2 && strcmp(argv[1], "idle") == 0) {
        int status = run_idle(argc, argv);
        if (status >= 0) return status;
    }
    if (argc >= 4 && strcmp(argv[1], "ready") == 0) {
        double timeout = atof(argv[2]);
        char **command = command_after_dashes(argc, argv, 3);
        if (command) {
            open_notify_socket();
            double begin = now_ms();
            start(command, 0);
            int got = pump(timeout * 1e3, 1);
            double ready_ms = now_ms() - begin;
            if (got != 1) {
                fprintf(stderr, got < 0 ? "notifywait: the daemon exited before READY=1\n" : "notifywait: no READY=1 within %.0f s\n", timeout);
                if (child > 0) stop(timeout, NULL);
                cleanup();
                return 2;
            }
            double stop_ms;
            int exit_status = stop(timeout, &stop_ms);
            printf("ready_ms=%.2f stop_ms=%.2f exit=%d\n", ready_ms, stop_ms, exit_status);
            cleanup();
            return 0;
        }
    }
    if (argc >= 5 && strcmp(argv[1], "serve") == 0) {
        const char *info = argv[2];
        double timeout = atof(argv[3]);
        char **command = command_after_dashes(argc, argv, 4);
        if (command) {
            struct sigaction action = {.sa_handler = on_signal};
            sigaction(SIGTERM, &action, NULL);
            sigaction(SIGINT, &action, NULL);
            open_notify_socket();
            double begin = now_ms();
            start(command, 0);
            int got = pump(timeout * 1e3, 1);
            if (got != 1) {
                fprintf(stderr, got < 0 ? "notifywait: the daemon exited before READY=1\n" : "notifywait: no READY=1 within %.0f s\n", timeout);
                if (child > 0) stop(timeout, NULL);
                cleanup();
                return 2;
            }
            FILE *f = fopen(info, "w");
            if (!f) die(info);
            fprintf(f, "pid=%d ready_ms=%.2f\n", child, now_ms() - begin);
            fclose(f);
            while (child > 0) {
                if (forward_signal) {
                    int exit_status = stop(timeout, NULL);
                    cleanup();
                    return exit_status;
                }
                pump(100, 0);
            }
            cleanup();
            return 0;
        }
    }
    fprintf(stderr,
            "usage: notifywait ready TIMEOUT_S -- COMMAND…\n"
            "       notifywait serve INFOFILE TIMEOUT_S -- COMMAND…\n"
            "       notifywait idle SECONDS SETTLE_S WATCHDOG_S TIMEOUT_S -- COMMAND…\n");
    return 2;
}
