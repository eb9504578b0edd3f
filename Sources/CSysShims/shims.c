#define _GNU_SOURCE
#include <unistd.h>
#include <errno.h>
#include <dirent.h>
#include <sys/syscall.h>
#include "csysshims.h"

ssize_t dc_copy_file_range(int fd_in, int fd_out, size_t len) {
#if defined(__linux__)
    return copy_file_range(fd_in, NULL, fd_out, NULL, len, 0);
#else
    errno = ENOSYS;
    return -1;
#endif
}

ssize_t dc_getdents64(int fd, void *buf, size_t len) {
#if defined(__linux__)
    return syscall(SYS_getdents64, fd, buf, len);
#else
    errno = ENOSYS;
    return -1;
#endif
}
