/*
 * grafana_lint.c - the linter half of grafana.h: the rules a dashboard in
 * the repo must keep (docs/grafana.md lists them), the PromQL scan that
 * finds the metric names an expression reads, and the gates cross-check
 * that keeps a panel's threshold step equal to the soak's and the alert's.
 *
 * Problems are collected with their JSON Pointer while walking the jansson
 * tree; when the text is at hand, each pointer is then walked again in the
 * text with jsonpull to give it a line and a column.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "grafana.h"
#include "jsonpull.h"
#include "jsontree.h"
#include "xalloc.h"

#define PTR_MAX 512 /* bytes of a pointer the linter builds */

struct lint {
	struct grafana_lint *out;
	const struct gate_config *gates;
	const json_t *doc;
};

static void problem(struct lint *l, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct lint *l, const char *ptr, const char *fmt, ...)
{
	struct grafana_problem *p;
	va_list ap;
	char msg[1024];

	l->out->count++;
	if (l->out->n >= GRAFANA_MAX_PROBLEMS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	l->out->v = xreallocarray(l->out->v, l->out->n + 1, sizeof(*l->out->v));
	p = &l->out->v[l->out->n++];
	p->pointer = xstrdup(ptr);
	p->msg = xstrdup(msg);
	p->line = p->col = 0;
}

/* ptr + "/" + key (escaped per RFC 6901) into out. */
static void
ptr_key(char *out, size_t n, const char *ptr, const char *key)
{
	size_t len = (size_t)snprintf(out, n, "%s/", ptr);

	for (; *key && len + 3 < n; key++) {
		if (*key == '~') {
			out[len++] = '~';
			out[len++] = '0';
		} else if (*key == '/') {
			out[len++] = '~';
			out[len++] = '1';
		} else {
			out[len++] = *key;
		}
	}
	out[len < n ? len : n - 1] = '\0';
}

static void
ptr_idx(char *out, size_t n, const char *ptr, size_t i)
{
	int k = snprintf(out, n, "%s/%zu", ptr, i);

	if (k < 0 || (size_t)k >= n)
		out[n - 1] = '\0'; /* a pointer past PTR_MAX is cut, never overrun */
}

/* An integer value (a real with no fraction counts, as Grafana reads JSON numbers). */
static int
int_value(const json_t *j, long long *v)
{
	if (json_is_integer(j)) {
		*v = json_integer_value(j);
		return 1;
	}
	if (json_is_real(j)) {
		double d = json_real_value(j);

		if (d == floor(d) && fabs(d) < 9e15) {
			*v = (long long)d;
			return 1;
		}
	}
	return 0;
}

/* ---- PromQL metric names ---------------------------------------------- */

static const char *const promql_keywords[] = {
    "and",	   "or",   "unless", "by",  "without", "on",	"ignoring", "group_left",
    "group_right", "bool", "offset", "inf", "nan",     "atan2", NULL,
};

/* Keywords followed by a parenthesised list of label names. */
static const char *const label_list_keywords[] = {
    "by", "without", "on", "ignoring", "group_left", "group_right", NULL,
};

static int
word_in(const char *s, size_t n, const char *const *list)
{
	size_t i;

	for (i = 0; list[i]; i++)
		if (strlen(list[i]) == n && strncasecmp(list[i], s, n) == 0)
			return 1;
	return 0;
}

static int
ident_start(int c)
{
	return isalpha(c) || c == '_' || c == ':';
}

static int
ident_char(int c)
{
	return isalnum(c) || c == '_' || c == ':';
}

/* Skip a quoted string starting at p (on the quote); returns the byte after it. */
static const char *
skip_string(const char *p)
{
	char q = *p++;

	while (*p && *p != q) {
		if (*p == '\\' && q != '`' && p[1])
			p++;
		p++;
	}
	return *p ? p + 1 : p;
}

static const char *
skip_space(const char *p)
{
	while (*p && isspace((unsigned char)*p))
		p++;
	return p;
}

/* Skip a balanced (...) starting at p (on the paren). */
static const char *
skip_parens(const char *p)
{
	int depth = 0;

	while (*p) {
		if (*p == '"' || *p == '\'' || *p == '`') {
			p = skip_string(p);
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p + 1;
		p++;
	}
	return p;
}

/*
 * Inside {...}: report __name__="x" as a metric; everything else is label
 * names and values.  Returns the byte after the closing brace.
 */
static const char *
scan_matchers(const char *p, void (*fn)(const char *, size_t, void *), void *ctx, size_t *count)
{
	p++; /* '{' */
	while (*p && *p != '}') {
		if (ident_start((unsigned char)*p)) {
			const char *w = p;
			size_t n;

			while (ident_char((unsigned char)*p))
				p++;
			n = (size_t)(p - w);
			p = skip_space(p);
			if (n == 8 && strncmp(w, "__name__", 8) == 0 && p[0] == '=' &&
			    p[1] != '~') {
				p = skip_space(p + 1);
				if (*p == '"' || *p == '\'' || *p == '`') {
					const char *e = skip_string(p);
					size_t len = (size_t)(e - p);

					if (len >= 2 && e[-1] == *p) {
						fn(p + 1, len - 2, ctx);
						(*count)++;
					}
					p = e;
				}
			}
			continue;
		}
		if (*p == '"' || *p == '\'' || *p == '`') {
			p = skip_string(p);
			continue;
		}
		p++;
	}
	return *p ? p + 1 : p;
}

/* Whether the word at p is "by" or "without" (an aggregation's clause before its arguments). */
static int
next_is_grouping(const char *p)
{
	size_t n = 0;

	while (ident_char((unsigned char)p[n]))
		n++;
	return (n == 2 && strncasecmp(p, "by", 2) == 0) ||
	       (n == 7 && strncasecmp(p, "without", 7) == 0);
}

size_t
grafana_expr_metrics(const char *expr, void (*fn)(const char *name, size_t len, void *ctx),
		     void *ctx)
{
	const char *p = expr;
	size_t count = 0;

	while (p && *p) {
		unsigned char ch = (unsigned char)*p;

		if (isspace(ch)) {
			p++;
		} else if (ch == '#') {
			while (*p && *p != '\n')
				p++;
		} else if (ch == '"' || ch == '\'' || ch == '`') {
			p = skip_string(p);
		} else if (ch == '{') {
			p = scan_matchers(p, fn, ctx, &count);
		} else if (ch == '[') {
			/* a range, a subquery step or a [[variable]] */
			while (*p && *p != ']')
				p++;
			while (*p == ']')
				p++;
		} else if (ch == '$') {
			p++;
			if (*p == '{') {
				while (*p && *p != '}')
					p++;
				if (*p)
					p++;
			} else {
				while (ident_char((unsigned char)*p))
					p++;
			}
		} else if (isdigit(ch) || (ch == '.' && isdigit((unsigned char)p[1]))) {
			/* numbers, 0x1f, 1e3 and durations (5m, 1h30m) */
			while (isalnum((unsigned char)*p) || *p == '.' || *p == '_' ||
			       ((*p == '+' || *p == '-') && (p[-1] == 'e' || p[-1] == 'E')))
				p++;
		} else if (ident_start(ch)) {
			const char *w = p, *q;
			size_t n;

			while (ident_char((unsigned char)*p))
				p++;
			n = (size_t)(p - w);
			q = skip_space(p);
			if (word_in(w, n, label_list_keywords)) {
				if (*q == '(')
					p = skip_parens(q);
			} else if (word_in(w, n, promql_keywords)) {
				/* an operator or modifier */
			} else if (*q == '(' || next_is_grouping(q)) {
				/* a function, or an aggregation (sum by (le) (...)) */
			} else {
				fn(w, n, ctx);
				count++;
			}
		} else {
			p++;
		}
	}
	return count;
}

/* ---- the metric contract ----------------------------------------------- */

static const struct metric_decl *
find_metric(const struct gate_config *g, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < g->nmetrics; i++)
		if (strlen(g->metrics[i].name) == n && strncmp(g->metrics[i].name, name, n) == 0)
			return &g->metrics[i];
	return NULL;
}

/* A declared metric, or a histogram's _bucket, _sum or _count series. */
static int
in_contract(const struct gate_config *g, const char *name, size_t n)
{
	static const char *const sfx[] = {"_bucket", "_sum", "_count", NULL};
	size_t i;

	if (find_metric(g, name, n))
		return 1;
	for (i = 0; sfx[i]; i++) {
		size_t k = strlen(sfx[i]);
		const struct metric_decl *m;

		if (n > k && strncmp(name + n - k, sfx[i], k) == 0 &&
		    (m = find_metric(g, name, n - k)) && m->type == MTYPE_HISTOGRAM)
			return 1;
	}
	return 0;
}

struct contract_ctx {
	struct lint *l;
	const char *ptr;
};

static void
check_metric(const char *name, size_t n, void *vctx)
{
	struct contract_ctx *c = vctx;

	if (!in_contract(c->l->gates, name, n))
		problem(c->l, c->ptr,
			"metric '%.*s' is not in the metric contract (the metrics: of %s, "
			"docs/metrics.md)",
			(int)n, name, c->l->gates->file);
}

/* ---- datasources ------------------------------------------------------- */

/* "$ds", "${ds}", "${ds:raw}", "[[ds]]": the variable's name into out; 0 when none. */
static int
var_ref(const char *s, char *out, size_t n)
{
	size_t len;

	if (s[0] == '$' && s[1] == '{') {
		len = strcspn(s + 2, ":}");
		if (s[2 + len] == '\0')
			return 0;
		snprintf(out, n, "%.*s", (int)len, s + 2);
		return len > 0;
	}
	if (s[0] == '$') {
		snprintf(out, n, "%s", s + 1);
		return s[1] != '\0';
	}
	if (s[0] == '[' && s[1] == '[') {
		len = strcspn(s + 2, "]");
		snprintf(out, n, "%.*s", (int)len, s + 2);
		return len > 0;
	}
	return 0;
}

/* A datasource variable the dashboard defines under templating.list. */
static int
ds_variable(const json_t *doc, const char *name)
{
	const json_t *list = json_object_get(json_object_get(doc, "templating"), "list"), *v;
	size_t i;

	json_array_foreach(list, i, v)
	{
		if (strcmp(jsontree_str(v, "name", ""), name) == 0 &&
		    strcmp(jsontree_str(v, "type", ""), "datasource") == 0)
			return 1;
	}
	return 0;
}

/* Grafana's own pseudo datasources: not a hard-coded Prometheus. */
static int
builtin_ds(const char *uid)
{
	return strcmp(uid, "-- Mixed --") == 0 || strcmp(uid, "-- Grafana --") == 0 ||
	       strcmp(uid, "-- Dashboard --") == 0 || strcmp(uid, "grafana") == 0;
}

/*
 * The datasource at ptr (a panel's or a target's) must come from a
 * datasource template variable.  required: absent is a problem too.
 * Returns its type ("prometheus", "" when unknown) for the caller.
 */
static const char *
check_datasource(struct lint *l, const json_t *ds, const char *ptr, int required)
{
	char var[128], p[PTR_MAX];
	const char *ref = NULL;

	if (!ds || json_is_null(ds)) {
		if (required)
			problem(
			    l, ptr,
			    "no datasource: set it to a datasource variable (\"${datasource}\"), "
			    "not the server's default");
		return "";
	}
	if (json_is_string(ds)) {
		ref = json_string_value(ds);
		snprintf(p, sizeof(p), "%s", ptr);
	} else if (json_is_object(ds)) {
		ref = jsontree_str(ds, "uid", NULL);
		ptr_key(p, sizeof(p), ptr, "uid");
		if (!ref) {
			problem(l, ptr, "the datasource has no uid: use \"${datasource}\"");
			return jsontree_str(ds, "type", "");
		}
	} else {
		problem(l, ptr, "the datasource is neither an object nor a string");
		return "";
	}
	if (builtin_ds(ref))
		return json_is_object(ds) ? jsontree_str(ds, "type", "") : "";
	if (!var_ref(ref, var, sizeof(var)))
		problem(l, p,
			"datasource '%s' is hard-coded: take it from a datasource variable "
			"(\"${datasource}\") so the dashboard works on every Grafana",
			ref);
	else if (!ds_variable(l->doc, var))
		problem(l, p, "datasource variable '%s' is not defined under /templating/list",
			var);
	return json_is_object(ds) ? jsontree_str(ds, "type", "") : "";
}

/* ---- thresholds against the gates --------------------------------------- */

/* Seconds per Grafana time unit, 0 when unit is not a time unit. */
static double
time_unit(const char *u)
{
	static const struct {
		const char *id;
		double s;
	} t[] = {
	    {"ns", 1e-9}, {"µs", 1e-6}, {"us", 1e-6}, {"ms", 1e-3},
	    {"s", 1},	  {"m", 60},	{"h", 3600},  {"d", 86400},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(u, t[i].id) == 0)
			return t[i].s;
	return 0;
}

/*
 * The factor that turns a value in the gate's unit into the panel's unit
 * (ms -> s is 0.001; a ratio shown as "percent" is 100); 0 when the panel's
 * unit cannot show the gate's quantity.
 */
static double
unit_factor(const char *gate_unit, const char *panel_unit)
{
	double tg = time_unit(gate_unit), tp = time_unit(panel_unit);
	int plain =
	    !*panel_unit || strcmp(panel_unit, "none") == 0 || strcmp(panel_unit, "short") == 0;

	if (tg > 0)
		return tp > 0 ? tg / tp : 0;
	if (!*gate_unit) {
		if (plain || strcmp(panel_unit, "percentunit") == 0)
			return 1;
		return strcmp(panel_unit, "percent") == 0 ? 100 : 0;
	}
	if (plain || strcmp(panel_unit, gate_unit) == 0)
		return 1;
	if (strncmp(panel_unit, "currency", 8) == 0 && strcmp(panel_unit + 8, gate_unit) == 0)
		return 1;
	return 0;
}

/* PromQL text without whitespace, for comparing an expr with a gate's alert expr. */
static void
squeeze(const char *s, struct buf *b)
{
	buf_reset(b);
	buf_adds(b, "");
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			buf_addc(b, *s);
}

static const struct gate_def *
gate_for_expr(const struct gate_config *g, const char *expr)
{
	struct buf a = BUF_INIT(1 << 20), b = BUF_INIT(1 << 20);
	const struct gate_def *found = NULL;
	size_t i;

	squeeze(expr, &a);
	for (i = 0; i < g->ngates && !found; i++) {
		if (!g->gates[i].alert.expr)
			continue;
		squeeze(g->gates[i].alert.expr, &b);
		if (!buf_failed(&a) && strcmp(a.data, b.data) == 0)
			found = &g->gates[i];
	}
	buf_release(&a);
	buf_release(&b);
	return found;
}

/*
 * The property id ("thresholds", "unit") that applies to the frames of
 * refId: an override matching byFrameRefID refId, else the defaults.  ptr
 * gets where it was found.
 */
static const json_t *
field_prop(const json_t *panel, const char *panel_ptr, const char *refid, const char *id, char *ptr,
	   size_t n)
{
	const json_t *fc = json_object_get(panel, "fieldConfig"), *ov, *o;
	char fcp[PTR_MAX], tmp[PTR_MAX];
	size_t i, k;

	ptr_key(fcp, sizeof(fcp), panel_ptr, "fieldConfig");
	ov = json_object_get(fc, "overrides");
	json_array_foreach(ov, i, o)
	{
		const json_t *m = json_object_get(o, "matcher"), *props, *pr;

		if (strcmp(jsontree_str(m, "id", ""), "byFrameRefID") != 0 ||
		    strcmp(jsontree_str(m, "options", ""), refid) != 0)
			continue;
		props = json_object_get(o, "properties");
		json_array_foreach(props, k, pr)
		{
			if (strcmp(jsontree_str(pr, "id", ""), id) == 0) {
				int w = snprintf(ptr, n, "%s/overrides/%zu/properties/%zu/value",
						 fcp, i, k);

				if (w < 0 || (size_t)w >= n)
					ptr[n - 1] = '\0';
				return json_object_get(pr, "value");
			}
		}
	}
	ptr_key(tmp, sizeof(tmp), fcp, "defaults");
	ptr_key(ptr, n, tmp, id);
	return json_object_get(json_object_get(fc, "defaults"), id);
}

static void
check_threshold(struct lint *l, const json_t *panel, const char *panel_ptr, const char *tptr,
		const char *refid, const struct gate_def *g)
{
	char tp[PTR_MAX], up[PTR_MAX], sp[PTR_MAX], list[256];
	const json_t *th = field_prop(panel, panel_ptr, refid, "thresholds", tp, sizeof(tp));
	const json_t *unit = field_prop(panel, panel_ptr, refid, "unit", up, sizeof(up));
	const char *pu = json_is_string(unit) ? json_string_value(unit) : "";
	const char *gu = g->sel.unit ? g->sel.unit : "";
	const json_t *steps, *s;
	double f = unit_factor(gu, pu), want;
	size_t i, len = 0;

	(void)tptr;
	if (f == 0) {
		problem(l, up, "unit '%s' cannot show gate %s's threshold in %s", *pu ? pu : "none",
			g->name, *gu ? gu : "a ratio");
		return;
	}
	want = g->threshold * f;
	if (!json_is_object(th)) {
		problem(l, tp, "no thresholds: gate %s (%s %s %g%s%s) needs a step at %g", g->name,
			g->alert.name ? g->alert.name : "", gates_op_name(g->op), g->threshold,
			*gu ? " " : "", gu, want);
		return;
	}
	if (strcmp(jsontree_str(th, "mode", "absolute"), "absolute") != 0) {
		ptr_key(sp, sizeof(sp), tp, "mode");
		problem(l, sp, "thresholds in mode '%s': gate %s needs absolute ones",
			jsontree_str(th, "mode", ""), g->name);
		return;
	}
	steps = json_object_get(th, "steps");
	ptr_key(sp, sizeof(sp), tp, "steps");
	list[0] = '\0';
	json_array_foreach(steps, i, s)
	{
		const json_t *v = json_object_get(s, "value");
		double d;

		if (!json_is_number(v))
			continue;
		d = json_number_value(v);
		if (fabs(d - want) <= 1e-9 * fmax(1, fabs(want)))
			return;
		if (len < sizeof(list) - 32)
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%g",
						len ? ", " : "", d);
	}
	problem(l, sp,
		"no step at %g%s%s, the threshold of gate %s (%s %g%s%s in %s:%lu); the steps "
		"are %s",
		want, time_unit(pu) > 0 ? " " : "",
		time_unit(pu) > 0	     ? pu
		: strcmp(pu, "percent") == 0 ? "%"
					     : "",
		g->name, gates_op_name(g->op), g->threshold, *gu ? " " : "", gu, l->gates->file,
		g->line, len ? list : "none");
}

/* ---- panels ------------------------------------------------------------- */

struct rect {
	long long x, y, w, h;
	char ptr[PTR_MAX];
};

struct idseen {
	long long id;
	char ptr[PTR_MAX];
};

struct walk {
	struct idseen *ids;
	size_t nids;
};

static void
check_gridpos(struct lint *l, const json_t *panel, const char *pptr, struct rect **rects,
	      size_t *nrects)
{
	static const char *const keys[] = {"x", "y", "w", "h"};
	const json_t *gp = json_object_get(panel, "gridPos");
	long long v[4];
	char p[PTR_MAX], kp[PTR_MAX];
	size_t i;
	int ok = 1;

	ptr_key(p, sizeof(p), pptr, "gridPos");
	if (!json_is_object(gp)) {
		problem(l, p, "no gridPos: the panel has no place on the grid");
		return;
	}
	for (i = 0; i < 4; i++) {
		ptr_key(kp, sizeof(kp), p, keys[i]);
		if (!int_value(json_object_get(gp, keys[i]), &v[i])) {
			problem(l, kp, "gridPos.%s is missing or not an integer", keys[i]);
			ok = 0;
		}
	}
	if (!ok)
		return;
	if (v[0] < 0 || v[1] < 0) {
		problem(l, p, "x %lld, y %lld: a position is never negative", v[0], v[1]);
		ok = 0;
	}
	if (v[2] < 1 || v[0] + v[2] > GRAFANA_GRID_COLUMNS) {
		problem(l, p, "x %lld + w %lld = %lld: the panel must fit the %d-column grid", v[0],
			v[2], v[0] + v[2], GRAFANA_GRID_COLUMNS);
		ok = 0;
	}
	if (v[3] <= 0) {
		problem(l, p, "h %lld: a panel needs a height above 0", v[3]);
		ok = 0;
	}
	if (!ok)
		return;
	for (i = 0; i < *nrects; i++) {
		const struct rect *r = &(*rects)[i];

		if (v[0] < r->x + r->w && r->x < v[0] + v[2] && v[1] < r->y + r->h &&
		    r->y < v[1] + v[3])
			problem(l, p,
				"overlaps %s (x %lld..%lld, y %lld..%lld) at x %lld..%lld, y "
				"%lld..%lld",
				r->ptr, r->x, r->x + r->w, r->y, r->y + r->h, v[0], v[0] + v[2],
				v[1], v[1] + v[3]);
	}
	*rects = xreallocarray(*rects, *nrects + 1, sizeof(**rects));
	(*rects)[*nrects].x = v[0];
	(*rects)[*nrects].y = v[1];
	(*rects)[*nrects].w = v[2];
	(*rects)[*nrects].h = v[3];
	snprintf((*rects)[*nrects].ptr, PTR_MAX, "%s", pptr);
	(*nrects)++;
}

static void
check_targets(struct lint *l, const json_t *panel, const char *pptr, const char *panel_ds_type)
{
	const json_t *targets = json_object_get(panel, "targets"), *t;
	char tsp[PTR_MAX];
	size_t i, k;

	ptr_key(tsp, sizeof(tsp), pptr, "targets");
	if (targets && !json_is_array(targets)) {
		problem(l, tsp, "targets is not a list");
		return;
	}
	json_array_foreach(targets, i, t)
	{
		char tp[PTR_MAX], p[PTR_MAX];
		const json_t *expr, *refid, *t2;
		const char *type;

		ptr_idx(tp, sizeof(tp), tsp, i);
		if (!json_is_object(t)) {
			problem(l, tp, "a target is an object");
			continue;
		}
		ptr_key(p, sizeof(p), tp, "datasource");
		type = json_object_get(t, "datasource")
			   ? check_datasource(l, json_object_get(t, "datasource"), p, 0)
			   : panel_ds_type;
		refid = json_object_get(t, "refId");
		ptr_key(p, sizeof(p), tp, "refId");
		if (!json_is_string(refid) || !*json_string_value(refid)) {
			problem(l, p, "no refId: every query needs one (A, B, ...)");
		} else {
			json_array_foreach(targets, k, t2)
			{
				if (k >= i)
					break;
				if (strcmp(jsontree_str(t2, "refId", ""),
					   json_string_value(refid)) == 0) {
					problem(l, p, "refId '%s' is also %s/%zu's",
						json_string_value(refid), tsp, k);
					break;
				}
			}
		}
		/* A query of another kind of datasource has no PromQL to check. */
		if (*type && strcmp(type, "prometheus") != 0)
			continue;
		expr = json_object_get(t, "expr");
		ptr_key(p, sizeof(p), tp, "expr");
		if (!json_is_string(expr) || !*json_string_value(expr)) {
			problem(l, p, "no expr: a Prometheus query needs a PromQL expression");
			continue;
		}
		if (l->gates) {
			struct contract_ctx c = {l, p};
			const struct gate_def *g;

			grafana_expr_metrics(json_string_value(expr), check_metric, &c);
			g = gate_for_expr(l->gates, json_string_value(expr));
			if (g)
				check_threshold(l, panel, pptr, tp, jsontree_str(t, "refId", ""),
						g);
		}
	}
}

static void
check_panels(struct lint *l, const json_t *panels, const char *ptr, struct walk *w, int nested)
{
	struct rect *rects = NULL;
	size_t nrects = 0, i, k;
	const json_t *panel;

	if (!panels)
		return;
	if (!json_is_array(panels)) {
		problem(l, ptr, "panels is not a list");
		return;
	}
	json_array_foreach(panels, i, panel)
	{
		char pp[PTR_MAX], p[PTR_MAX];
		const char *type = jsontree_str(panel, "type", ""), *dstype = "";
		long long id;

		ptr_idx(pp, sizeof(pp), ptr, i);
		if (!json_is_object(panel)) {
			problem(l, pp, "a panel is an object");
			continue;
		}
		ptr_key(p, sizeof(p), pp, "id");
		if (!int_value(json_object_get(panel, "id"), &id)) {
			problem(l, p, "no integer id: links and alerts name a panel by it");
		} else {
			for (k = 0; k < w->nids; k++)
				if (w->ids[k].id == id) {
					problem(l, p, "id %lld is also %s's", id, w->ids[k].ptr);
					break;
				}
			w->ids = xreallocarray(w->ids, w->nids + 1, sizeof(*w->ids));
			w->ids[w->nids].id = id;
			snprintf(w->ids[w->nids].ptr, PTR_MAX, "%s", pp);
			w->nids++;
		}
		check_gridpos(l, panel, pp, &rects, &nrects);
		if (strcmp(type, "row") == 0) {
			ptr_key(p, sizeof(p), pp, "panels");
			if (!nested)
				check_panels(l, json_object_get(panel, "panels"), p, w, 1);
			continue;
		}
		ptr_key(p, sizeof(p), pp, "datasource");
		if (json_array_size(json_object_get(panel, "targets")) > 0 ||
		    json_object_get(panel, "datasource"))
			dstype = check_datasource(
			    l, json_object_get(panel, "datasource"), p,
			    json_array_size(json_object_get(panel, "targets")) > 0);
		check_targets(l, panel, pp, dstype);
	}
	free(rects);
}

static void locate_all(const char *text, size_t len, struct grafana_lint *out);

void
grafana_lint_doc(const json_t *doc, const struct gate_config *gates, const char *text, size_t len,
		 struct grafana_lint *out)
{
	struct lint l = {out, gates, doc};
	struct walk w = {NULL, 0};
	const json_t *uid, *title, *sv;
	long long v;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(doc)) {
		problem(&l, "", "a dashboard is a JSON object");
		goto out;
	}
	if (json_is_object(json_object_get(doc, "dashboard")) &&
	    json_is_object(json_object_get(doc, "meta"))) {
		problem(&l, "",
			"this is an API answer ({dashboard, meta}): keep only its dashboard "
			"object (mmops grafana export writes that)");
		goto out;
	}
	title = json_object_get(doc, "title");
	if (!json_is_string(title) || !*json_string_value(title))
		problem(&l, "/title", "no title: Grafana refuses to save without one");
	uid = json_object_get(doc, "uid");
	if (!json_is_string(uid))
		problem(
		    &l, "/uid",
		    "no uid: import and export key the dashboard by it (at most %d characters of "
		    "A-Z a-z 0-9 _ -)",
		    GRAFANA_UID_MAX);
	else if (!grafana_uid_valid(json_string_value(uid)))
		problem(
		    &l, "/uid",
		    "uid '%s' is not 1 to %d characters of A-Z a-z 0-9 _ - (Grafana refuses it)",
		    json_string_value(uid), GRAFANA_UID_MAX);
	sv = json_object_get(doc, "schemaVersion");
	if (!int_value(sv, &v) || v < 1)
		problem(&l, "/schemaVersion",
			"no schemaVersion: Grafana would migrate the panels as if from the oldest "
			"schema");
	check_panels(&l, json_object_get(doc, "panels"), "/panels", &w, 0);
	free(w.ids);
out:
	if (text)
		locate_all(text, len, out);
}

/* ---- pointers to positions --------------------------------------------- */

/*
 * Walk the pointer in the text: the offset of the deepest value it reaches
 * (the parent, for a member that is missing).
 */
static size_t
locate(const char *text, size_t len, const char *ptr)
{
	struct jsonpull s;
	size_t best = 0;
	const char *p = ptr;

	jsonpull_init(&s, text, len, "", NULL);
	if (jsonpull_peek(&s) == JSONPULL_ERROR)
		goto out;
	best = jsonpull_tell(&s);
	while (*p == '/') {
		char seg[PTR_MAX];
		size_t n = 0;
		enum jsonpull_type t = jsonpull_peek(&s);
		int found = 0;

		for (p++; *p && *p != '/' && n < sizeof(seg) - 1; p++) {
			if (*p == '~' && (p[1] == '0' || p[1] == '1')) {
				seg[n++] = p[1] == '0' ? '~' : '/';
				p++;
			} else {
				seg[n++] = *p;
			}
		}
		seg[n] = '\0';
		if (t == JSONPULL_OBJECT) {
			struct jsonpull_key k;
			int r;

			if (jsonpull_begin(&s) < 0)
				goto out;
			while ((r = jsonpull_obj_next(&s, &k)) == 1) {
				if (k.len == n && memcmp(k.s, seg, n) == 0) {
					found = 1;
					break;
				}
				if (jsonpull_skip(&s, NULL) < 0)
					goto out;
			}
		} else if (t == JSONPULL_ARRAY) {
			char *end;
			unsigned long idx = strtoul(seg, &end, 10), i;
			int r = 0;

			if (*end || !n || jsonpull_begin(&s) < 0)
				goto out;
			for (i = 0; (r = jsonpull_arr_next(&s)) == 1; i++) {
				if (i == idx) {
					found = 1;
					break;
				}
				if (jsonpull_skip(&s, NULL) < 0)
					goto out;
			}
		}
		if (!found || jsonpull_peek(&s) == JSONPULL_ERROR)
			goto out;
		best = jsonpull_tell(&s);
	}
out:
	jsonpull_release(&s);
	return best;
}

static void
locate_all(const char *text, size_t len, struct grafana_lint *out)
{
	size_t i;

	for (i = 0; i < out->n; i++) {
		size_t off = locate(text, len, out->v[i].pointer);

		jsonpull_position(text, len, off, &out->v[i].line, &out->v[i].col);
	}
}

int
grafana_lint_text(const char *text, size_t len, const char *name, const struct gate_config *gates,
		  struct grafana_lint *out, struct mm_err *err)
{
	json_t *doc;

	memset(out, 0, sizeof(*out));
	if (!(doc = jsontree_loadb(text, len, name, err)))
		return -1;
	grafana_lint_doc(doc, gates, text, len, out);
	json_decref(doc);
	return 0;
}

void
grafana_lint_release(struct grafana_lint *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->v[i].pointer);
		free(l->v[i].msg);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}
