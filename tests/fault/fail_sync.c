/*
 * A disk that fails to sync, for tests/adversary_disk.rs: preloaded into `asyncpay` with
 * LD_PRELOAD, it makes fsync(2) and fdatasync(2) of every file whose path contains
 * $ASYNCPAY_TEST_FAIL_SYNC_OF fail with EIO, as a failing disk does, for as long as the
 * file $ASYNCPAY_TEST_FAIL_SYNC_WHEN exists. Every other call goes to the C library.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failing(int fd) {
    const char *when = getenv("ASYNCPAY_TEST_FAIL_SYNC_WHEN");
    const char *of = getenv("ASYNCPAY_TEST_FAIL_SYNC_OF");
    if (when == NULL || of == NULL || access(when, F_OK) != 0) {
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
    return strstr(path, of) != NULL;
}

int fsync(int fd) {
    static int (*real)(int);
    if (real == NULL) {
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    }
    if (failing(fd)) {
        errno = EIO;
        return -1;
    }
    return real(fd);
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (real == NULL) {
        real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    }
    if (failing(fd)) {
        errno = EIO;
        return -1;
    }
    return real(fd);
}
