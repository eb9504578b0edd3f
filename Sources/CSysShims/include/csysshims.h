#ifndef CSYSSHIMS_H
#define CSYSSHIMS_H
#include <sys/types.h>

/// copy_file_range(2) (a GNU extension the Swift Glibc module does not export): copies up to `len`
/// bytes between file descriptors inside the kernel. Returns bytes copied, 0 at end, -1 with errno.
ssize_t dc_copy_file_range(int fd_in, int fd_out, size_t len);

/// getdents64(2): reads directory entries (struct linux_dirent64: u64 d_ino, s64 d_off, u16 d_reclen,
/// u8 d_type, NUL-terminated d_name) from an open directory into `buf`. Returns bytes read, 0 at the
/// end, -1 with errno. Listing through it costs one system call per buffer, where fdopendir adds
/// an fstat and two fcntl calls per directory.
ssize_t dc_getdents64(int fd, void *buf, size_t len);

#endif
