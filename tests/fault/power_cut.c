/*
 * A power cut, for the tests (tests/common/fault.rs): preloaded into `asyncpay` with
 * LD_PRELOAD, it keeps, for every regular file whose path contains $ASYNCPAY_TEST_POWER_OF,
 * what each write (write, writev, pwrite, pwrite64, ftruncate) replaced since that file's
 * last successful fsync or fdatasync. Once the file $ASYNCPAY_TEST_POWER_CUT exists, the
 * process puts every such file back as its last sync left it, newest write first, appends
 * "PID seen N undone M" (the writes to such files it saw, and those it took back) to the
 * file $ASYNCPAY_TEST_POWER_CUT.said, and exits at once with status 137, as if the machine
 * had lost its power: what was written but not synced is gone; what was synced stays.
 *
 * Writes to those files, and their syncs, hold one lock, which the cut takes and keeps:
 * no write or sync is half done when the power goes. Not modelled: directory entries (a
 * file created, renamed or removed since its directory's last sync stays as it is), and
 * SQLite's -shm index (used through a shared memory map; SQLite rebuilds it from the log
 * after a crash), left alone. Every call goes to the C library.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* What one write replaced: the bytes at `offset` before it (`len` of them) and the size of
 * the file before it. */
struct undo {
    char *path;
    dev_t dev;
    ino_t ino;
    off_t offset;
    char *old;
    size_t len;
    off_t old_size;
    struct undo *prev;
};

static struct undo *newest;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* Writes to watched files seen so far (lock held). */
static long seen;

#define REAL(ret, name, ...)                                                       \
    static ret (*real_##name)(__VA_ARGS__);                                        \
    static ret (*get_##name(void))(__VA_ARGS__) {                                  \
        if (real_##name == NULL) {                                                 \
            real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name);            \
        }                                                                          \
        return real_##name;                                                        \
    }

REAL(ssize_t, write, int, const void *, size_t)
REAL(ssize_t, writev, int, const struct iovec *, int)
REAL(ssize_t, pwrite, int, const void *, size_t, off_t)
REAL(ssize_t, pwrite64, int, const void *, size_t, off_t)
REAL(int, ftruncate, int, off_t)
REAL(int, ftruncate64, int, off_t)
REAL(int, fsync, int)
REAL(int, fdatasync, int)

/* Whether `fd` is a regular file whose path contains $ASYNCPAY_TEST_POWER_OF; its path
 * and status then. */
static int watched(int fd, char *path, size_t cap, struct stat *st) {
    const char *of = getenv("ASYNCPAY_TEST_POWER_OF");
    if (of == NULL || fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        return 0;
    }
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, cap - 1);
    if (n < 0) {
        return 0;
    }
    path[n] = '\0';
    /* SQLite's -shm index is used through a shared memory map, which a cut shrinking the
     * file under the process's other threads would turn into SIGBUS; it is left as it is
     * (SQLite rebuilds it from the log after a crash). */
    size_t len = strlen(path);
    int shm = len >= 4 && strcmp(path + len - 4, "-shm") == 0;
    return strstr(path, of) != NULL && strstr(path, " (deleted)") == NULL && !shm;
}

/* Keeps what a write of `len` bytes at `offset` of `path` replaces (lock held). */
static void remember(const char *path, const struct stat *st, off_t offset, size_t len) {
    struct undo *u = calloc(1, sizeof *u);
    if (u == NULL) {
        abort();
    }
    u->path = strdup(path);
    u->dev = st->st_dev;
    u->ino = st->st_ino;
    u->offset = offset;
    u->old_size = st->st_size;
    size_t have = 0;
    if (offset < st->st_size) {
        have = (size_t)(st->st_size - offset) < len ? (size_t)(st->st_size - offset) : len;
    }
    u->old = malloc(have > 0 ? have : 1);
    if (u->path == NULL || u->old == NULL) {
        abort();
    }
    if (have > 0) {
        /* Read through a descriptor of our own: the writer's may be write-only. */
        int rd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t got = rd >= 0 ? pread(rd, u->old, have, offset) : -1;
        if (rd >= 0) {
            close(rd);
        }
        if (got != (ssize_t)have) {
            abort();
        }
    }
    u->len = have;
    u->prev = newest;
    newest = u;
    seen++;
}

/* Where the next write(2) on `fd` goes. */
static off_t position(int fd, const struct stat *st) {
    int flags = fcntl(fd, F_GETFL);
    return (flags >= 0 && (flags & O_APPEND)) ? st->st_size : lseek(fd, 0, SEEK_CUR);
}

#define WRITE_AT(fd, at, len, call)                                                \
    do {                                                                           \
        char path[4096];                                                           \
        struct stat st;                                                            \
        if (!watched(fd, path, sizeof path, &st)) {                                \
            return call;                                                           \
        }                                                                          \
        pthread_mutex_lock(&lock);                                                 \
        /* Looked at again under the lock: another writer may have moved it. */    \
        if (fstat(fd, &st) != 0) {                                                 \
            pthread_mutex_unlock(&lock);                                           \
            return call;                                                           \
        }                                                                          \
        remember(path, &st, (at), (len));                                          \
        ssize_t done = call;                                                       \
        pthread_mutex_unlock(&lock);                                               \
        return done;                                                               \
    } while (0)

ssize_t write(int fd, const void *buf, size_t len) {
    WRITE_AT(fd, position(fd, &st), len, get_write()(fd, buf, len));
}

ssize_t writev(int fd, const struct iovec *iov, int count) {
    size_t len = 0;
    for (int i = 0; i < count; i++) {
        len += iov[i].iov_len;
    }
    WRITE_AT(fd, position(fd, &st), len, get_writev()(fd, iov, count));
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t offset) {
    WRITE_AT(fd, offset, len, get_pwrite()(fd, buf, len, offset));
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t offset) {
    WRITE_AT(fd, offset, len, get_pwrite64()(fd, buf, len, offset));
}

/* A truncation replaces the bytes from the new end to the old one. */
static int truncate_watched(int fd, off_t size, int (*real)(int, off_t)) {
    char path[4096];
    struct stat st;
    if (!watched(fd, path, sizeof path, &st)) {
        return real(fd, size);
    }
    pthread_mutex_lock(&lock);
    if (fstat(fd, &st) == 0) {
        remember(path, &st, size, st.st_size > size ? (size_t)(st.st_size - size) : 0);
    }
    int done = real(fd, size);
    pthread_mutex_unlock(&lock);
    return done;
}

int ftruncate(int fd, off_t size) {
    return truncate_watched(fd, size, get_ftruncate());
}

int ftruncate64(int fd, off_t size) {
    return truncate_watched(fd, size, get_ftruncate64());
}

/* A sync that succeeded makes every write to the file before it stay. */
static int sync_watched(int fd, int (*real)(int)) {
    char path[4096];
    struct stat st;
    if (!watched(fd, path, sizeof path, &st)) {
        return real(fd);
    }
    pthread_mutex_lock(&lock);
    int done = real(fd);
    if (done == 0) {
        struct undo **at = &newest;
        while (*at != NULL) {
            struct undo *u = *at;
            if (u->dev == st.st_dev && u->ino == st.st_ino) {
                *at = u->prev;
                free(u->path);
                free(u->old);
                free(u);
            } else {
                at = &u->prev;
            }
        }
    }
    pthread_mutex_unlock(&lock);
    return done;
}

int fsync(int fd) {
    return sync_watched(fd, get_fsync());
}

int fdatasync(int fd) {
    return sync_watched(fd, get_fdatasync());
}

/* Waits for the trigger file, then cuts the power. */
static void *cut_when_told(void *arg) {
    const char *trigger = arg;
    struct timespec tick = {0, 1000000};
    while (access(trigger, F_OK) != 0) {
        nanosleep(&tick, NULL);
    }
    pthread_mutex_lock(&lock);
    long undone = 0;
    for (struct undo *u = newest; u != NULL; u = u->prev) {
        struct stat st;
        int fd = open(u->path, O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        /* The file the write went to, not another one made at its path since. */
        if (fstat(fd, &st) != 0 || st.st_dev != u->dev || st.st_ino != u->ino) {
            close(fd);
            continue;
        }
        undone++;
        if (u->len > 0) {
            get_pwrite()(fd, u->old, u->len, u->offset);
        }
        get_ftruncate()(fd, u->old_size);
        get_fsync()(fd);
        close(fd);
    }
    char said_path[4096];
    char line[128];
    snprintf(said_path, sizeof said_path, "%s.said", trigger);
    int said = open(said_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (said >= 0) {
        int n = snprintf(line, sizeof line, "%d seen %ld undone %ld\n", (int)getpid(), seen,
                         undone);
        get_write()(said, line, (size_t)n);
        close(said);
    }
    _exit(137);
}

__attribute__((constructor)) static void start(void) {
    const char *trigger = getenv("ASYNCPAY_TEST_POWER_CUT");
    if (trigger == NULL || getenv("ASYNCPAY_TEST_POWER_OF") == NULL) {
        return;
    }
    pthread_t t;
    if (pthread_create(&t, NULL, cut_when_told, (void *)trigger) == 0) {
        pthread_detach(t);
    }
}
