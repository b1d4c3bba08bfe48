/*
 * yaml.c - libyaml's event stream folded into a small tree whose every node
 * knows its file:line:col, so configuration errors point at the exact spot.
 * Only what configuration needs is accepted: one document of mappings,
 * sequences and scalars.  Aliases, anchors, custom tags and duplicate keys
 * are refused rather than half-supported.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "buf.h"
#include "clock.h"
#include "xalloc.h"
#include "yaml.h"

struct builder {
	yaml_parser_t parser;
	const char *file;
	struct mm_err *err;
};

static void
ynode_free(struct ynode *n)
{
	size_t i;

	if (!n)
		return;
	free(n->str);
	for (i = 0; n->items && i < n->n; i++)
		ynode_free(n->items[i]);
	for (i = 0; n->pairs && i < n->n; i++) {
		ynode_free(n->pairs[i].key);
		ynode_free(n->pairs[i].val);
	}
	free(n->items);
	free(n->pairs);
	free(n);
}

void
ydoc_free(struct ydoc *doc)
{
	if (!doc)
		return;
	ynode_free(doc->root);
	free(doc->file);
	free(doc);
}

static struct ynode *
node_new(struct builder *b, enum ynode_kind kind, const yaml_event_t *ev)
{
	struct ynode *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->line = ev->start_mark.line + 1;
	n->col = ev->start_mark.column + 1;
	n->file = b->file;
	return n;
}

static int
next_event(struct builder *b, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&b->parser, ev)) {
		const yaml_mark_t *m = &b->parser.problem_mark;

		return mm_errf_at(b->err, MM_E_PARSE, b->file, m->line + 1, m->column + 1, "%s%s%s",
				  b->parser.problem ? b->parser.problem : "invalid YAML",
				  b->parser.context ? " " : "",
				  b->parser.context ? b->parser.context : "");
	}
	return 0;
}

static int
check_tag(struct builder *b, const yaml_event_t *ev, const unsigned char *tag)
{
	if (tag && strncmp((const char *)tag, "tag:yaml.org,2002:", 18) != 0)
		return mm_errf_at(b->err, MM_E_PARSE, b->file, ev->start_mark.line + 1,
				  ev->start_mark.column + 1, "tag '%s' is not supported", tag);
	return 0;
}

static struct ynode *build(struct builder *b, yaml_event_t *ev, int depth);

/* Build the children of a sequence or mapping until its end event. */
static int
build_children(struct builder *b, struct ynode *n, yaml_event_type_t end, int depth)
{
	yaml_event_t ev;

	for (;;) {
		struct ynode *child;

		if (next_event(b, &ev) < 0)
			return -1;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			return 0;
		}
		child = build(b, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!child)
			return -1;
		if (n->kind == YNODE_SEQ) {
			n->items = xreallocarray(n->items, n->n + 1, sizeof(*n->items));
			n->items[n->n++] = child;
			continue;
		}
		/* A mapping: child is the key, the value follows. */
		if (child->kind != YNODE_SCALAR) {
			mm_errf_at(b->err, MM_E_PARSE, b->file, child->line, child->col,
				   "mapping keys must be scalars");
			ynode_free(child);
			return -1;
		}
		if (ynode_get(n, child->str)) {
			mm_errf_at(b->err, MM_E_PARSE, b->file, child->line, child->col,
				   "duplicate key '%s'", child->str);
			ynode_free(child);
			return -1;
		}
		n->pairs = xreallocarray(n->pairs, n->n + 1, sizeof(*n->pairs));
		n->pairs[n->n].key = child;
		n->pairs[n->n].val = NULL;
		n->n++;
		if (next_event(b, &ev) < 0)
			return -1;
		child = build(b, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!child)
			return -1;
		n->pairs[n->n - 1].val = child;
	}
}

static struct ynode *
build(struct builder *b, yaml_event_t *ev, int depth)
{
	struct ynode *n;
	const unsigned char *anchor = NULL, *tag = NULL;

	if (depth > YAML_MAX_DEPTH) {
		mm_errf_at(b->err, MM_E_LIMIT, b->file, ev->start_mark.line + 1,
			   ev->start_mark.column + 1, "nested deeper than %d levels",
			   YAML_MAX_DEPTH);
		return NULL;
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		mm_errf_at(b->err, MM_E_PARSE, b->file, ev->start_mark.line + 1,
			   ev->start_mark.column + 1, "aliases (*%s) are not supported",
			   ev->data.alias.anchor);
		return NULL;
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		break;
	default:
		mm_errf_at(b->err, MM_E_PARSE, b->file, ev->start_mark.line + 1,
			   ev->start_mark.column + 1, "unexpected YAML event");
		return NULL;
	}
	if (anchor) {
		mm_errf_at(b->err, MM_E_PARSE, b->file, ev->start_mark.line + 1,
			   ev->start_mark.column + 1, "anchors (&%s) are not supported", anchor);
		return NULL;
	}
	if (check_tag(b, ev, tag) < 0)
		return NULL;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = node_new(b, YNODE_SCALAR, ev);
		n->str = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		if (strlen(n->str) != ev->data.scalar.length) {
			mm_errf_at(b->err, MM_E_PARSE, b->file, n->line, n->col,
				   "NUL character in a scalar");
			ynode_free(n);
			return NULL;
		}
		n->quoted = ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
			    ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE ||
			    ev->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
			    ev->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
		return n;
	case YAML_SEQUENCE_START_EVENT:
		n = node_new(b, YNODE_SEQ, ev);
		if (build_children(b, n, YAML_SEQUENCE_END_EVENT, depth) < 0) {
			ynode_free(n);
			return NULL;
		}
		return n;
	default:
		n = node_new(b, YNODE_MAP, ev);
		if (build_children(b, n, YAML_MAPPING_END_EVENT, depth) < 0) {
			ynode_free(n);
			return NULL;
		}
		return n;
	}
}

struct ydoc *
yaml_loadb(const char *data, size_t len, const char *name, struct mm_err *err)
{
	struct builder b;
	struct ydoc *doc = xcalloc(1, sizeof(*doc));
	yaml_event_t ev;
	int state = 0; /* 0 before document, 1 after root, 2 after document end */

	doc->file = xstrdup(name);
	b.file = doc->file;
	b.err = err;
	if (len > YAML_MAX_FILE) {
		mm_errf(err, MM_E_LIMIT, "'%s' is larger than %zu bytes", name, YAML_MAX_FILE);
		ydoc_free(doc);
		return NULL;
	}
	yaml_parser_initialize(&b.parser);
	yaml_parser_set_input_string(&b.parser, (const unsigned char *)data, len);
	for (;;) {
		if (next_event(&b, &ev) < 0)
			goto fail;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (state) {
				mm_errf_at(err, MM_E_PARSE, b.file, ev.start_mark.line + 1,
					   ev.start_mark.column + 1,
					   "only one YAML document is allowed");
				yaml_event_delete(&ev);
				goto fail;
			}
			break;
		default:
			doc->root = build(&b, &ev, 0);
			if (!doc->root) {
				yaml_event_delete(&ev);
				goto fail;
			}
			state = 1;
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&b.parser);
	return doc;
fail:
	yaml_parser_delete(&b.parser);
	ydoc_free(doc);
	return NULL;
}

struct ydoc *
yaml_load_file(const char *path, struct mm_err *err)
{
	struct buf b = BUF_INIT(YAML_MAX_FILE);
	struct ydoc *doc;

	if (buf_read_file(&b, path, err) < 0) {
		buf_release(&b);
		return NULL;
	}
	doc = yaml_loadb(b.data ? b.data : "", b.len, path, err);
	buf_release(&b);
	return doc;
}

const struct ynode *
ynode_get(const struct ynode *map, const char *key)
{
	size_t i;

	if (!map || map->kind != YNODE_MAP)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (map->pairs[i].key && strcmp(map->pairs[i].key->str, key) == 0)
			return map->pairs[i].val;
	return NULL;
}

int
ynode_errf(const struct ynode *n, struct mm_err *err, const char *fmt, ...)
{
	char msg[MM_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!n)
		return mm_errf(err, MM_E_CONFIG, "%s", msg);
	return mm_errf_at(err, MM_E_CONFIG, n->file, n->line, n->col, "%s", msg);
}

static const char *
kind_name(const struct ynode *n)
{
	static const char *names[] = {"a scalar", "a list", "a mapping"};

	return n ? names[n->kind] : "nothing";
}

int
ynode_check_keys(const struct ynode *map, const char *const *allowed, struct mm_err *err)
{
	size_t i, j;

	if (!map || map->kind != YNODE_MAP)
		return ynode_errf(map, err, "expected a mapping, found %s", kind_name(map));
	for (i = 0; i < map->n; i++) {
		const char *k = map->pairs[i].key->str;
		struct buf list = BUF_INIT(1024);
		int found = 0;

		for (j = 0; allowed[j]; j++)
			if (strcmp(allowed[j], k) == 0)
				found = 1;
		if (found)
			continue;
		for (j = 0; allowed[j]; j++)
			buf_addf(&list, "%s%s", j ? ", " : "", allowed[j]);
		ynode_errf(map->pairs[i].key, err, "unknown key '%s' (expected one of: %s)", k,
			   list.data ? list.data : "");
		buf_release(&list);
		return -1;
	}
	return 0;
}

static int
want_scalar(const struct ynode *n, const char *what, struct mm_err *err)
{
	if (!n || n->kind != YNODE_SCALAR)
		return ynode_errf(n, err, "expected %s, found %s", what, kind_name(n));
	return 0;
}

int
ynode_is_null(const struct ynode *n)
{
	return !n || (n->kind == YNODE_SCALAR && !n->quoted &&
		      (!*n->str || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
		       strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0));
}

int
ynode_str(const struct ynode *n, const char **out, struct mm_err *err)
{
	if (want_scalar(n, "a string", err) < 0)
		return -1;
	*out = n->str;
	return 0;
}

int
ynode_double(const struct ynode *n, double *out, struct mm_err *err)
{
	char *end;
	double v;

	if (want_scalar(n, "a number", err) < 0)
		return -1;
	errno = 0;
	v = strtod(n->str, &end);
	if (n->quoted || !*n->str || *end || errno || !isfinite(v))
		return ynode_errf(n, err, "expected a number, found '%s'", n->str);
	*out = v;
	return 0;
}

int
ynode_long(const struct ynode *n, long min, long max, long *out, struct mm_err *err)
{
	char *end;
	long v;

	if (want_scalar(n, "an integer", err) < 0)
		return -1;
	errno = 0;
	v = strtol(n->str, &end, 10);
	if (n->quoted || !*n->str || *end || errno)
		return ynode_errf(n, err, "expected an integer, found '%s'", n->str);
	if (v < min || v > max)
		return ynode_errf(n, err, "%ld is out of range %ld..%ld", v, min, max);
	*out = v;
	return 0;
}

int
ynode_bool(const struct ynode *n, int *out, struct mm_err *err)
{
	if (want_scalar(n, "true or false", err) < 0)
		return -1;
	if (!n->quoted && (strcmp(n->str, "true") == 0 || strcmp(n->str, "True") == 0 ||
			   strcmp(n->str, "TRUE") == 0)) {
		*out = 1;
		return 0;
	}
	if (!n->quoted && (strcmp(n->str, "false") == 0 || strcmp(n->str, "False") == 0 ||
			   strcmp(n->str, "FALSE") == 0)) {
		*out = 0;
		return 0;
	}
	return ynode_errf(n, err, "expected true or false, found '%s'", n->str);
}

int
ynode_duration(const struct ynode *n, double *seconds, struct mm_err *err)
{
	struct mm_err e;

	if (want_scalar(n, "a duration", err) < 0)
		return -1;
	if (clock_parse_duration(n->str, seconds, &e) < 0)
		return ynode_errf(n, err, "%s", e.msg);
	return 0;
}
