/*
 * yaml.h - every YAML file mmops reads, as a small tree that remembers where
 * each node came from, so that configuration errors say "file:line:col: what".
 *
 * Built on libyaml.  Supports block and flow mappings and sequences and
 * scalars; anchors and aliases, tags other than the core ones and multiple
 * documents are refused with a positioned error, as are duplicate keys.
 */
#ifndef MM_YAML_H
#define MM_YAML_H

#include <stddef.h>

#include "err.h"

#define YAML_MAX_FILE  ((size_t)16 << 20) /* 16 MiB */
#define YAML_MAX_DEPTH 64

enum ynode_kind { YNODE_SCALAR, YNODE_SEQ, YNODE_MAP };

struct ynode;

struct ypair {
	struct ynode *key; /* always a scalar */
	struct ynode *val;
};

struct ynode {
	enum ynode_kind kind;
	unsigned long line, col; /* 1-based start of the node */
	const char *file;	 /* borrowed from the owning ydoc */
	/* YNODE_SCALAR */
	char *str;
	int quoted; /* written quoted: always a string, never null/bool/number */
	/* YNODE_SEQ: items[n]; YNODE_MAP: pairs[n], in file order */
	size_t n;
	struct ynode **items;
	struct ypair *pairs;
};

struct ydoc {
	char *file;
	struct ynode *root; /* NULL for an empty document */
};

/* Parse a file / a buffer.  Caller frees with ydoc_free(). NULL and err on failure. */
struct ydoc *yaml_load_file(const char *path, struct mm_err *err);
struct ydoc *yaml_loadb(const char *data, size_t len, const char *name, struct mm_err *err);
void ydoc_free(struct ydoc *doc);

/* The value of key in a mapping, or NULL (also when map is not a mapping). */
const struct ynode *ynode_get(const struct ynode *map, const char *key);

/* Fill err with "file:line:col: <fmt>" at node n; returns -1. */
int ynode_errf(const struct ynode *n, struct mm_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Check that every key of map is in allowed (NULL-terminated); the first
 * unknown key is an error at its position, naming the allowed keys.
 * Also errors when map is not a mapping.
 */
int ynode_check_keys(const struct ynode *map, const char *const *allowed, struct mm_err *err);

/* Typed reads of a scalar, each with a positioned error when it does not fit. */
int ynode_str(const struct ynode *n, const char **out, struct mm_err *err);
int ynode_double(const struct ynode *n, double *out, struct mm_err *err);
int ynode_long(const struct ynode *n, long min, long max, long *out, struct mm_err *err);
int ynode_bool(const struct ynode *n, int *out, struct mm_err *err);
int ynode_duration(const struct ynode *n, double *seconds, struct mm_err *err);
/* Whether an unquoted scalar is null ("", "~", "null"). */
int ynode_is_null(const struct ynode *n);

#endif
