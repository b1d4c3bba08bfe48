/*
 * opt.c - table-driven option parsing and help for every command.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "opt.h"
#include "xalloc.h"

void
strlist_release(struct strlist *l)
{
	if (!l)
		return;
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
opt_usage_error(const struct cmd_help *h, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mmops %s: ", h->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nhint: see 'mmops %s --help'\n", h->name);
	return 2;
}

void
opt_print_help(const struct cmd_help *h)
{
	const struct opt *o;

	printf("usage: mmops %s %s\n\n%s\n", h->name, h->synopsis, h->about);
	if (h->opts && h->opts->name) {
		printf("\noptions:\n");
		for (o = h->opts; o->name; o++) {
			char left[64];

			if (o->shortopt)
				snprintf(left, sizeof(left), "-%c, --%s%s%s", o->shortopt, o->name,
					 o->metavar ? " " : "", o->metavar ? o->metavar : "");
			else
				snprintf(left, sizeof(left), "    --%s%s%s", o->name,
					 o->metavar ? " " : "", o->metavar ? o->metavar : "");
			if (strlen(left) > 26)
				printf("  %s\n  %-26s  %s\n", left, "", o->help);
			else
				printf("  %-26s  %s\n", left, o->help);
		}
	}
	printf("  %-26s  %s\n", "-h, --help", "show this help and exit");
	if (h->examples)
		printf("\nexamples:\n%s", h->examples);
}

static const struct opt *
find_long(const struct opt *opts, const char *name, size_t len)
{
	const struct opt *o;

	for (o = opts; o && o->name; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

static const struct opt *
find_short(const struct opt *opts, char c)
{
	const struct opt *o;

	for (o = opts; o && o->name; o++)
		if (o->shortopt == c)
			return o;
	return NULL;
}

static int
set_value(const struct cmd_help *h, const struct opt *o, const char *val)
{
	struct mm_err err;
	char *end;

	switch (o->type) {
	case OPT_BOOL:
		*(int *)o->dst = 1;
		return 0;
	case OPT_STRING:
		*(const char **)o->dst = val;
		return 0;
	case OPT_LIST: {
		struct strlist *l = o->dst;

		l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
		l->v[l->n++] = val;
		return 0;
	}
	case OPT_DOUBLE: {
		double d;

		errno = 0;
		d = strtod(val, &end);
		if (errno || end == val || *end || !isfinite(d))
			return opt_usage_error(h, "--%s: '%s' is not a number", o->name, val);
		*(double *)o->dst = d;
		return 0;
	}
	case OPT_LONG: {
		long l;

		errno = 0;
		l = strtol(val, &end, 10);
		if (errno || end == val || *end)
			return opt_usage_error(h, "--%s: '%s' is not an integer", o->name, val);
		if (l < o->min || l > o->max)
			return opt_usage_error(h, "--%s: %ld is out of range %ld..%ld", o->name, l,
					       o->min, o->max);
		*(long *)o->dst = l;
		return 0;
	}
	case OPT_DURATION:
		if (clock_parse_duration(val, (double *)o->dst, &err) < 0)
			return opt_usage_error(h, "--%s: %s", o->name, err.msg);
		return 0;
	}
	return 2;
}

int
opt_parse(const struct cmd_help *h, int argc, char **argv, const char **pos, int *npos)
{
	int i, only_pos = 0;

	*npos = 0;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct opt *o;
		const char *val = NULL;

		if (only_pos || a[0] != '-' || strcmp(a, "-") == 0) {
			pos[(*npos)++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			opt_print_help(h);
			return 1;
		}
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);

			o = find_long(h->opts, a + 2, len);
			if (!o)
				return opt_usage_error(h, "unknown option '--%.*s'", (int)len,
						       a + 2);
			if (eq) {
				if (o->type == OPT_BOOL)
					return opt_usage_error(h, "--%s takes no value", o->name);
				val = eq + 1;
			}
		} else {
			o = a[2] ? NULL : find_short(h->opts, a[1]);
			if (!o)
				return opt_usage_error(h, "unknown option '%s'", a);
		}
		if (o->type != OPT_BOOL && !val) {
			if (i + 1 >= argc)
				return opt_usage_error(h, "--%s needs a value (%s)", o->name,
						       o->metavar ? o->metavar : "VALUE");
			val = argv[++i];
		}
		if (set_value(h, o, val) != 0)
			return 2;
	}
	return 0;
}
