/*
 * fsx.c - atomic file replacement (temp file, fsync, rename, fsync of the
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

#include "fsx.h"
#include "xalloc.h"

int
fsx_mkdir_p(const char *dir, int mode, struct mm_err *err)
{
	char *p = xstrdup(dir), *s;
	struct stat st;
	int ret = -1;

	for (s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
				mm_errf(err, MM_E_IO, "cannot create directory '%s': %s", p, strerror(errno));
				goto out;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		mm_errf(err, MM_E_IO, "cannot create directory '%s': Not a directory", dir);
		goto out;
	}
	ret = 0;
out:
	free(p);
	return ret;
}

int
fsx_write_all(int fd, const void *data, size_t len)
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

int
fsx_write_atomic(const char *path, const void *data, size_t len, struct mm_err *err)
{
	char *dir, *slash, *tmp = NULL;
	int fd = -1, dfd, ret = -1;
	mode_t mode = 0644;
	struct stat st;

	if (!*path)
		return mm_errf(err, MM_E_IO, "cannot write '': No such file or directory");
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		memcpy(dir, ".", 2);	/* fits: path is not empty */
	if (slash && fsx_mkdir_p(dir, 0755, err) < 0)
		goto out;
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	tmp = xasprintf("%s.tmp.XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0) {
		mm_errf(err, MM_E_IO, "cannot write '%s': %s", path, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, mode) < 0 || fsx_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		mm_errf(err, MM_E_IO, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		mm_errf(err, MM_E_IO, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		mm_errf(err, MM_E_IO, "cannot write '%s': %s", path, strerror(errno));
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
fsx_append_sync(int fd, const void *data, size_t len, struct mm_err *err)
{
	if (fsx_write_all(fd, data, len) < 0 || fdatasync(fd) < 0)
		return mm_errf(err, MM_E_IO, "cannot append: %s", strerror(errno));
	return 0;
}
