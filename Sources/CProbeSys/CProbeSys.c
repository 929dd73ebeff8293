// Wrappers for the GNU-only calls declared in include/CProbeSys.h.
#define _GNU_SOURCE 1
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <errno.h>
#include <sys/random.h>
#include <sys/socket.h>
#include "CProbeSys.h"

_Static_assert(sizeof(struct cprobe_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr layout");
_Static_assert(offsetof(struct cprobe_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "mmsghdr layout");

_Static_assert(sizeof(struct cprobe_ucred) == sizeof(struct ucred), "ucred layout");

int cprobe_recvmmsg(int fd, struct cprobe_mmsghdr *vec, unsigned int n, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)vec, n, flags, NULL);
}

int cprobe_sendmmsg(int fd, struct cprobe_mmsghdr *vec, unsigned int n, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)vec, n, flags);
}

int cprobe_ppoll(struct pollfd *fds, nfds_t n, int64_t timeout_ns) {
    if (timeout_ns < 0) {
        return ppoll(fds, n, NULL, NULL);
    }
    struct timespec ts;
    ts.tv_sec = (time_t)(timeout_ns / 1000000000LL);
    ts.tv_nsec = (long)(timeout_ns % 1000000000LL);
    return ppoll(fds, n, &ts, NULL);
}

// Swift concurrency's hook for enqueueing a job on the global executor (swift/Runtime/
// Concurrency.h). Referenced here rather than looked up with dlsym: in a build with the Swift
// runtime linked in statically, the symbol is not in the dynamic symbol table.
extern void *swift_task_enqueueGlobal_hook;

int cprobe_install_enqueue_global_hook(const void *hook) {
    if (swift_task_enqueueGlobal_hook != NULL) {
        return 0;
    }
    swift_task_enqueueGlobal_hook = (void *)hook;
    return 1;
}

void cprobe_set_thread_name(const char *name) {
    pthread_setname_np(pthread_self(), name);
}

int cprobe_random_bytes(void *buffer, size_t length) {
    size_t filled = 0;
    while (filled < length) {
        ssize_t got = getrandom((char *)buffer + filled, length - filled, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        filled += (size_t)got;
    }
    return 0;
}
