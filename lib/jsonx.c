/*
 * jsonx.c - jansson with the project's rules: strict loading with positioned
 * errors, and one canonical dump (sorted keys, indent 2, trailing newline)
 * for every machine-readable output.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsx.h"
#include "jsonx.h"
#include "xalloc.h"

#define DUMP_FLAGS (JSON_SORT_KEYS | JSON_REAL_PRECISION(15) | JSON_ENCODE_ANY)

json_t *
jsonx_loadb(const char *data, size_t len, const char *name, struct mm_err *err)
{
	json_error_t je;
	json_t *j;

	j = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (!j) {
		/* jansson counts the column of a bad token from its end; keep it 1-based. */
		mm_errf_at(err, MM_E_PARSE, name, je.line > 0 ? (unsigned long)je.line : 1,
			   je.column > 0 ? (unsigned long)je.column : 1, "%s", je.text);
		return NULL;
	}
	return j;
}

json_t *
jsonx_load_file(const char *path, struct mm_err *err)
{
	struct buf b = BUF_INIT(JSONX_MAX_FILE);
	json_t *j;

	if (buf_read_file(&b, path, err) < 0) {
		buf_release(&b);
		return NULL;
	}
	j = jsonx_loadb(b.data ? b.data : "", b.len, strcmp(path, "-") ? path : "<stdin>", err);
	buf_release(&b);
	return j;
}

char *
jsonx_dumps(const json_t *j)
{
	char *s = json_dumps(j, DUMP_FLAGS | JSON_INDENT(2));
	char *out;
	size_t n;

	if (!s)
		return xstrdup("null\n");
	n = strlen(s);
	out = xmalloc(n + 2);
	memcpy(out, s, n);
	out[n] = '\n';
	out[n + 1] = '\0';
	free(s);
	return out;
}

char *
jsonx_dumps_compact(const json_t *j)
{
	char *s = json_dumps(j, DUMP_FLAGS | JSON_COMPACT);
	char *out;

	if (!s)
		return xstrdup("null");
	out = xstrdup(s);
	free(s);
	return out;
}

int
jsonx_write_file(const char *path, const json_t *j, struct mm_err *err)
{
	char *s = jsonx_dumps(j);
	int r = fsx_write_atomic(path, s, strlen(s), err);

	free(s);
	return r;
}

json_t *
jsonx_tool_meta(void)
{
	return json_pack("{s:s, s:s}", "tool", "mmops", "version", MMOPS_VERSION);
}

const char *
jsonx_str(const json_t *obj, const char *key, const char *dflt)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : dflt;
}

double
jsonx_num(const json_t *obj, const char *key, double dflt)
{
	json_t *v = json_object_get(obj, key);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

int
jsonx_bool(const json_t *obj, const char *key, int dflt)
{
	json_t *v = json_object_get(obj, key);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

json_t *
jsonx_real(double v)
{
	/* JSON has no NaN or Infinity: a value that is not finite is null. */
	if (!isfinite(v))
		return json_null();
	return json_real(v);
}
