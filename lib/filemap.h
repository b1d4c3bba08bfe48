/*
 * filemap.h - a whole input file in memory, the cheapest way: a big regular
 * file is mapped read-only (reading 11 MB through read() costs a copy and a
 * page fault per fresh page, as much as parsing it), anything else (stdin,
 * a pipe, a small file) is read into a capped buffer.
 *
 * As with any mapped file, truncating a mapped file while it is being read
 * ends the process with SIGBUS; mmops maps only inputs it reads once and at
 * once (scrape files, golden documents).
 */
#ifndef MM_FILEMAP_H
#define MM_FILEMAP_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define FILEMAP_MIN ((size_t)1 << 20) /* regular files this big are mapped, not read */

struct filemap {
	const char *data; /* the bytes: mapped, or owned.data; never NULL after load */
	size_t len;
	struct buf owned; /* the copy of a small file or a pipe */
	void *map;	  /* the mapping of a big regular file */
	size_t maplen;
};

/* An empty map (data "", len 0); no allocation. */
void filemap_init(struct filemap *m);

/*
 * Load path ("-" is stdin) up to cap bytes.  -1 and err: MM_E_IO when it
 * cannot be read (with strerror), MM_E_LIMIT when it is larger than cap.
 * Read data is NUL-terminated; mapped data is not.
 */
int filemap_load(struct filemap *m, const char *path, size_t cap, struct mm_err *err);

/* Unmap or free; m is empty afterwards.  Accepts NULL. */
void filemap_release(struct filemap *m);

#endif
