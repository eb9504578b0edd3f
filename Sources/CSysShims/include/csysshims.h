#ifndef CSYSSHIMS_H
#define CSYSSHIMS_H
#include <sys/types.h>

/// copy_file_range(2) (a GNU extension the Swift Glibc module does not export): copies up to `len`
/// bytes between file descriptors inside the kernel. Returns bytes copied, 0 at end, -1 with errno.
ssize_t dc_copy_file_range(int fd_in, int fd_out, size_t len);

#endif
