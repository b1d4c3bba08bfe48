/*
 * atomicfile.h - file writes that are never half-done.
 *
 * Reports, baselines and state files are written to a temporary file in the
 * same directory, fsync'ed, renamed over the target and the directory
 * fsync'ed: a crash or a full disk leaves either the old file or the new
 * one, never a torn one.
 */
#ifndef MM_FSX_H
#define MM_FSX_H

#include <stddef.h>

#include "err.h"

/*
 * Atomically replace path with len bytes of data.  Missing parent
 * directories are created (mode 0755).  The new file gets mode 0644 (or the
 * old file's mode when it exists).  -1 and err (MM_E_WRITE) on failure, in
 * which case path is untouched and no temporary file is left behind.
 * A symlink is followed (the file it names is replaced, the link stays); a
 * device or FIFO such as /dev/stdout is written in place, never replaced.
 */
int atomicfile_write_atomic(const char *path, const void *data, size_t len, struct mm_err *err);

/* mkdir -p; -1 and err (MM_E_WRITE) on failure. */
int atomicfile_mkdir_p(const char *dir, int mode, struct mm_err *err);

/* write(2) all of len bytes, retrying short writes and EINTR; -1 with errno set. */
int atomicfile_write_all(int fd, const void *data, size_t len);

/*
 * Append one record (data, len) to an open append-only file descriptor and
 * fdatasync it before returning, retrying short writes.  For audit logs.
 */
int atomicfile_append_sync(int fd, const void *data, size_t len, struct mm_err *err);

#endif
