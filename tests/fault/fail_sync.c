/*
 * A disk that fails to sync, for the tests (tests/common/fault.rs): preloaded into
 * `asyncpay` with LD_PRELOAD, it makes fsync(2) and fdatasync(2) of every file whose path
 * contains $ASYNCPAY_TEST_FAIL_SYNC_OF fail with EIO, as a failing disk does: for as long
 * as the file $ASYNCPAY_TEST_FAIL_SYNC_WHEN exists (if set), and from the sync after the
 * first $ASYNCPAY_TEST_FAIL_SYNC_AFTER of those files on (if set; with neither, always),
 * $ASYNCPAY_TEST_FAIL_SYNC_COUNT of them (if set; else all).
 * Every other call goes to the C library.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The syncs of matching files so far. */
static long synced;

static int failing(int fd) {
    const char *of = getenv("ASYNCPAY_TEST_FAIL_SYNC_OF");
    const char *when = getenv("ASYNCPAY_TEST_FAIL_SYNC_WHEN");
    const char *after = getenv("ASYNCPAY_TEST_FAIL_SYNC_AFTER");
    if (of == NULL || (when != NULL && access(when, F_OK) != 0)) {
        return 0;
    }
    char link[64];
    char path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 0) {
        return 0;
    }
    path[n] = '\0';
    if (strstr(path, of) == NULL) {
        return 0;
    }
    if (after == NULL) {
        return 1;
    }
    long nth = __atomic_add_fetch(&synced, 1, __ATOMIC_SEQ_CST);
    const char *count = getenv("ASYNCPAY_TEST_FAIL_SYNC_COUNT");
    return nth > atol(after) && (count == NULL || nth <= atol(after) + atol(count));
}

/* `*real` (looked up as `name` the first time) on `fd`, or EIO. */
static int sync_or_fail(int fd, int (**real)(int), const char *name) {
    if (*real == NULL) {
        *real = (int (*)(int))dlsym(RTLD_NEXT, name);
    }
    if (failing(fd)) {
        errno = EIO;
        return -1;
    }
    return (*real)(fd);
}

int fsync(int fd) {
    static int (*real)(int);
    return sync_or_fail(fd, &real, "fsync");
}

int fdatasync(int fd) {
    static int (*real)(int);
    return sync_or_fail(fd, &real, "fdatasync");
}
