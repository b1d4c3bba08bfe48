/*
 * jsontree.c - jansson with the project's rules: strict loading with positioned
 * errors, and one canonical dump (sorted keys, indent 2, trailing newline)
 * for every machine-readable output.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "atomicfile.h"
#include "jsonpull.h"
#include "jsontree.h"
#include "xalloc.h"

#define DUMP_MAX ((size_t)1 << 31) /* 2 GiB: more than any document mmops builds */

json_t *
jsontree_loadb(const char *data, size_t len, const char *name, struct mm_err *err)
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
jsontree_load_file(const char *path, struct mm_err *err)
{
	struct buf b = BUF_INIT(JSONTREE_MAX_FILE);
	json_t *j;

	if (buf_read_file(&b, path, err) < 0) {
		buf_release(&b);
		return NULL;
	}
	j = jsontree_loadb(b.data ? b.data : "", b.len, strcmp(path, "-") ? path : "<stdin>", err);
	buf_release(&b);
	return j;
}

size_t
jsontree_format_real(double v, char *out, size_t n)
{
	char tmp[JSONTREE_REAL_MAX];
	int prec, len;
	char *e, *from, *to;

	if (!isfinite(v))
		return (size_t)snprintf(out, n, "null");
	/*
	 * The shortest %.Ng that reads back to the same bits: 17 significant
	 * digits always do (DBL_DECIMAL_DIG).  For a normal double, a 15-digit
	 * grid is coarser than its ulp, so if a form of 15 or fewer digits reads
	 * back, %.15g (which drops trailing zeros) is it; a subnormal has fewer
	 * bits and may need fewer digits, so it tries from 1.
	 */
	for (prec = fabs(v) < DBL_MIN ? 1 : 15;; prec++) {
		len = snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (prec == 17 || strtod(tmp, NULL) == v)
			break;
	}
	if (v == 0 && signbit(v))
		len = snprintf(tmp, sizeof(tmp), "-0");
	/* As jansson writes a real: "1e300", not "1e+300"; "1e-5", not "1e-05"; "2.0", not "2". */
	if ((e = strchr(tmp, 'e')) != NULL) {
		from = to = e + 1;
		if (*from == '+')
			from++;
		else if (*from == '-')
			from = ++to;
		while (*from == '0' && from[1])
			from++;
		memmove(to, from, strlen(from) + 1);
		len = (int)strlen(tmp);
	} else if (!strchr(tmp, '.')) {
		tmp[len++] = '.';
		tmp[len++] = '0';
		tmp[len] = '\0';
	}
	return (size_t)snprintf(out, n, "%s", tmp);
}

static int
cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
newline(struct buf *b, int indent, int depth)
{
	if (indent < 0)
		return;
	buf_addc(b, '\n');
	for (int i = 0; i < indent * depth; i++)
		buf_addc(b, ' ');
}

/* indent < 0: compact. */
static void
emit(const json_t *j, struct buf *b, int indent, int depth)
{
	char num[JSONTREE_REAL_MAX];
	size_t i, n;

	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char **keys;
		const char *k;
		json_t *v;

		n = json_object_size(j);
		if (n == 0) {
			buf_adds(b, "{}");
			break;
		}
		keys = xcalloc(n, sizeof(*keys));
		i = 0;
		json_object_foreach((json_t *)j, k, v) keys[i++] = k;
		qsort(keys, n, sizeof(*keys), cmp_keys);
		buf_addc(b, '{');
		for (i = 0; i < n; i++) {
			if (i)
				buf_addc(b, ',');
			newline(b, indent, depth + 1);
			jsonpull_quote(keys[i], strlen(keys[i]), b);
			buf_adds(b, indent < 0 ? ":" : ": ");
			emit(json_object_get(j, keys[i]), b, indent, depth + 1);
		}
		free(keys);
		newline(b, indent, depth);
		buf_addc(b, '}');
		break;
	}
	case JSON_ARRAY:
		n = json_array_size(j);
		if (n == 0) {
			buf_adds(b, "[]");
			break;
		}
		buf_addc(b, '[');
		for (i = 0; i < n; i++) {
			if (i)
				buf_addc(b, ',');
			newline(b, indent, depth + 1);
			emit(json_array_get(j, i), b, indent, depth + 1);
		}
		newline(b, indent, depth);
		buf_addc(b, ']');
		break;
	case JSON_STRING:
		jsonpull_quote(json_string_value(j), json_string_length(j), b);
		break;
	case JSON_INTEGER:
		buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		break;
	case JSON_REAL:
		jsontree_format_real(json_real_value(j), num, sizeof(num));
		buf_adds(b, num);
		break;
	case JSON_TRUE:
		buf_adds(b, "true");
		break;
	case JSON_FALSE:
		buf_adds(b, "false");
		break;
	default:
		buf_adds(b, "null");
		break;
	}
}

int
jsontree_dump_buf(const json_t *j, struct buf *b, int compact)
{
	if (!j)
		buf_adds(b, "null");
	else
		emit(j, b, compact ? -1 : 2, 0);
	if (!compact)
		buf_addc(b, '\n');
	return buf_failed(b) ? -1 : 0;
}

char *
jsontree_dumps(const json_t *j)
{
	struct buf b = BUF_INIT(DUMP_MAX);

	if (jsontree_dump_buf(j, &b, 0) < 0)
		abort(); /* 2 GiB of JSON from mmops' own trees: a bug, not an input */
	return buf_detach(&b, NULL);
}

char *
jsontree_dumps_compact(const json_t *j)
{
	struct buf b = BUF_INIT(DUMP_MAX);

	if (jsontree_dump_buf(j, &b, 1) < 0)
		abort();
	return buf_detach(&b, NULL);
}

int
jsontree_write_file(const char *path, const json_t *j, struct mm_err *err)
{
	struct buf b = BUF_INIT(DUMP_MAX);
	int r;

	/* the file writers get an error, not the abort of jsontree_dumps() */
	if (jsontree_dump_buf(j, &b, 0) < 0)
		r = mm_errf(err, MM_E_WRITE, "cannot write '%s': the JSON is larger than %zu bytes",
			    path, DUMP_MAX);
	else
		r = atomicfile_write_atomic(path, b.data, b.len, err);
	buf_release(&b);
	return r;
}

json_t *
jsontree_tool_meta(void)
{
	return json_pack("{s:s, s:s}", "tool", "mmops", "version", MMOPS_VERSION);
}

const char *
jsontree_str(const json_t *obj, const char *key, const char *dflt)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : dflt;
}

double
jsontree_num(const json_t *obj, const char *key, double dflt)
{
	json_t *v = json_object_get(obj, key);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

int
jsontree_bool(const json_t *obj, const char *key, int dflt)
{
	json_t *v = json_object_get(obj, key);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

json_t *
jsontree_real(double v)
{
	/* JSON has no NaN or Infinity: a value that is not finite is null. */
	if (!isfinite(v))
		return json_null();
	return json_real(v);
}
