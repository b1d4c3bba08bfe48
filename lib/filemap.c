/*
 * filemap.c - whole input files: mmap(2) for big regular files, populated
 * and advised sequential, buf_read_file() for everything else.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filemap.h"

void
filemap_init(struct filemap *m)
{
	m->data = "";
	m->len = 0;
	buf_init(&m->owned, 0);
	m->map = NULL;
	m->maplen = 0;
}

/* Map a big regular file: 1 done, 0 not a candidate (read it), -1 error. */
static int
try_map(struct filemap *m, const char *path, size_t cap, struct mm_err *err)
{
	struct stat st;
	void *p;
	int fd, ret = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0; /* buf_read_file() reports it */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size < FILEMAP_MIN)
		goto out;
	if ((size_t)st.st_size > cap) {
		ret = mm_errf(err, MM_E_LIMIT, "'%s' is larger than the limit of %zu bytes", path,
			      cap);
		goto out;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (p == MAP_FAILED)
		goto out; /* fall back to reading */
	(void)madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
	m->map = p;
	m->maplen = (size_t)st.st_size;
	m->data = p;
	m->len = m->maplen;
	ret = 1;
out:
	close(fd);
	return ret;
}

int
filemap_load(struct filemap *m, const char *path, size_t cap, struct mm_err *err)
{
	int r;

	filemap_init(m);
	if (strcmp(path, "-") != 0 && (r = try_map(m, path, cap, err)) != 0)
		return r < 0 ? -1 : 0;
	buf_init(&m->owned, cap);
	if (buf_read_file(&m->owned, path, err) < 0)
		return -1;
	m->data = m->owned.data ? m->owned.data : "";
	m->len = m->owned.len;
	return 0;
}

void
filemap_release(struct filemap *m)
{
	if (!m)
		return;
	buf_release(&m->owned);
	if (m->map)
		munmap(m->map, m->maplen);
	filemap_init(m);
}
