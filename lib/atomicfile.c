/*
 * atomicfile.c - atomic file replacement (temp file, fsync, rename, fsync of the
 * directory) and durable appends, so that reports and state survive a crash
 * or a full disk whole or not at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "xalloc.h"

int
atomicfile_mkdir_p(const char *dir, int mode, struct mm_err *err)
{
	char *p = xstrdup(dir), *s;
	struct stat st;
	int ret = -1;

	for (s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
				mm_errf(err, MM_E_WRITE, "cannot create directory '%s': %s", p,
					strerror(errno));
				goto out;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		mm_errf(err, MM_E_WRITE, "cannot create directory '%s': Not a directory", dir);
		goto out;
	}
	ret = 0;
out:
	free(p);
	return ret;
}

int
atomicfile_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The target exists and is not a regular file.  A symlink is followed, so the
 * file it names is replaced atomically and the link stays; a device or FIFO
 * (/dev/stdout, /dev/null, a pipe) is written in place, since renaming over
 * it would replace the device node itself.
 */
static int
write_special(const char *path, const struct stat *lst, const void *data, size_t len,
	      struct mm_err *err)
{
	char *real;
	int fd, r;

	if (S_ISLNK(lst->st_mode) && (real = realpath(path, NULL))) {
		struct stat st;

		/* realpath() resolved every link, so this recursion ends. */
		if (stat(real, &st) == 0 && S_ISREG(st.st_mode))
			r = atomicfile_write_atomic(real, data, len, err);
		else
			r = write_special(real, &st, data, len, err);
		free(real);
		return r;
	}
	if (S_ISDIR(lst->st_mode))
		return mm_errf(err, MM_E_WRITE, "cannot write '%s': Is a directory", path);
	/* A device, a FIFO, or a link to nothing yet: write through it. */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return mm_errf(err, MM_E_WRITE, "cannot write '%s': %s", path, strerror(errno));
	if (atomicfile_write_all(fd, data, len) < 0) {
		mm_errf(err, MM_E_WRITE, "cannot write '%s': %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (close(fd) < 0)
		return mm_errf(err, MM_E_WRITE, "cannot write '%s': %s", path, strerror(errno));
	return 0;
}

int
atomicfile_write_atomic(const char *path, const void *data, size_t len, struct mm_err *err)
{
	char *dir, *slash, *tmp = NULL;
	int fd = -1, dfd, ret = -1;
	mode_t mode = 0644;
	struct stat st;

	if (!*path)
		return mm_errf(err, MM_E_WRITE, "cannot write '': No such file or directory");
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return write_special(path, &st, data, len, err);
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		memcpy(dir, ".", 2); /* fits: path is not empty */
	if (slash && atomicfile_mkdir_p(dir, 0755, err) < 0)
		goto out;
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	tmp = xasprintf("%s.tmp.XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0) {
		mm_errf(err, MM_E_WRITE, "cannot write '%s': %s", path, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, mode) < 0 || atomicfile_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		mm_errf(err, MM_E_WRITE, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		mm_errf(err, MM_E_WRITE, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		mm_errf(err, MM_E_WRITE, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(dir);
	return ret;
}

int
atomicfile_append_sync(int fd, const void *data, size_t len, struct mm_err *err)
{
	if (atomicfile_write_all(fd, data, len) < 0 || fdatasync(fd) < 0)
		return mm_errf(err, MM_E_WRITE, "cannot append: %s", strerror(errno));
	return 0;
}
