/*
 * data_lock.c - the data folder's exclusive lock (see data_lock.h).
 */
#include "app/data_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int app_data_lock_take(const char *data_dir, char *error, size_t error_size)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", data_dir, APP_DATA_LOCK_FILE);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(error, error_size, "data folder %s: cannot open %s: %s", data_dir, path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int saved = errno;
        if (saved == EWOULDBLOCK) {
            char holder[32] = "";
            ssize_t length = pread(fd, holder, sizeof holder - 1, 0);
            holder[length > 0 ? length : 0] = '\0';
            holder[strcspn(holder, "\r\n")] = '\0';
            snprintf(error, error_size,
                     "data folder %s is in use by another omsgw process (pid %s); stop it or use another "
                     "--data-dir",
                     data_dir, holder[0] ? holder : "unknown");
        } else {
            snprintf(error, error_size, "data folder %s: cannot lock %s: %s", data_dir, path, strerror(saved));
        }
        close(fd);
        return -1;
    }
    /* The pid is only a hint for the message above; the lock itself is the flock. */
    char pid[32];
    int length = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)length, 0) != length) {
        snprintf(error, error_size, "data folder %s: cannot write %s: %s", data_dir, path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

void app_data_lock_release(int fd)
{
    if (fd >= 0)
        close(fd); /* closing the last descriptor drops the flock */
}
