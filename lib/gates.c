/*
 * gates.c - loading deploy/gates/soak.yaml and judging a gate.  The loader
 * is strict (every key, metric, aggregate, operator checked with its
 * file:line:col before a soak starts, so a typo never surfaces 72 hours
 * later); the judge turns the engine's numbers into one of four verdicts
 * with the evidence a person needs to act on it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "gates.h"
#include "xalloc.h"
#include "yaml.h"

struct agg_info {
	const char *name;
	double q;	/* quantile, -1 for the others */
	unsigned types; /* bit per enum metric_type accepted */
};

#define T_G (1u << MTYPE_GAUGE)
#define T_C (1u << MTYPE_COUNTER)
#define T_H (1u << MTYPE_HISTOGRAM)

static const struct agg_info aggs[AGG_COUNT_] = {
    [AGG_P50] = {"p50", 0.50, T_H | T_G},    [AGG_P90] = {"p90", 0.90, T_H | T_G},
    [AGG_P95] = {"p95", 0.95, T_H | T_G},    [AGG_P99] = {"p99", 0.99, T_H | T_G},
    [AGG_P999] = {"p999", 0.999, T_H | T_G}, [AGG_MEAN] = {"mean", -1, T_G},
    [AGG_MIN] = {"min", -1, T_G | T_C},	     [AGG_MAX] = {"max", -1, T_G | T_C},
    [AGG_LAST] = {"last", -1, T_G | T_C},    [AGG_INCREASE] = {"increase", -1, T_C},
    [AGG_EMA1H] = {"ema1h", -1, T_G},	     [AGG_EMA24H] = {"ema24h", -1, T_G},
};

static const struct {
	const char *name, *negated;
} ops[] = {
    [OP_LT] = {"<", ">="}, [OP_LE] = {"<=", ">"},  [OP_GT] = {">", "<="},
    [OP_GE] = {">=", "<"}, [OP_EQ] = {"==", "!="}, [OP_NE] = {"!=", "=="},
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

static const char *const type_names[] = {
    [MTYPE_GAUGE] = "gauge",
    [MTYPE_COUNTER] = "counter",
    [MTYPE_HISTOGRAM] = "histogram",
};
static const char *const verdict_names[] = {
    [VERDICT_PASS] = "pass",
    [VERDICT_FAIL] = "fail",
    [VERDICT_NO_DATA] = "no_data",
    [VERDICT_ERROR] = "error",
};
static const char *const nodata_names[] = {
    [NODATA_NO_DATA] = "no_data",
    [NODATA_FAIL] = "fail",
    [NODATA_PASS] = "pass",
};

const char *
gates_agg_name(enum gate_agg a)
{
	return (unsigned)a < AGG_COUNT_ ? aggs[a].name : "?";
}

double
gates_agg_quantile(enum gate_agg a)
{
	return (unsigned)a < AGG_COUNT_ ? aggs[a].q : -1;
}

const char *
gates_op_name(enum gate_op op)
{
	return (unsigned)op < NOPS ? ops[op].name : "?";
}

const char *
gates_op_negated(enum gate_op op)
{
	return (unsigned)op < NOPS ? ops[op].negated : "?";
}

const char *
gates_type_name(enum metric_type t)
{
	return (unsigned)t <= MTYPE_HISTOGRAM ? type_names[t] : "?";
}

const char *
gates_verdict_name(enum gate_verdict v)
{
	return (unsigned)v <= VERDICT_ERROR ? verdict_names[v] : "?";
}

const char *
gates_nodata_name(enum gate_nodata r)
{
	return (unsigned)r <= NODATA_PASS ? nodata_names[r] : "?";
}

int
gates_compare(enum gate_op op, double v, double t)
{
	if (isnan(v) || isnan(t))
		return 0;
	switch (op) {
	case OP_LT:
		return v < t;
	case OP_LE:
		return v <= t;
	case OP_GT:
		return v > t;
	case OP_GE:
		return v >= t;
	case OP_EQ:
		return v == t;
	case OP_NE:
		return v != t;
	}
	return 0;
}

const char *
gates_selector_str(const struct series_sel *s, char *buf, size_t n)
{
	struct buf b = BUF_INIT(4096);
	size_t i;

	buf_adds(&b, s->metric);
	if (s->nlabels) {
		buf_addc(&b, '{');
		for (i = 0; i < s->nlabels; i++) {
			const char *p;

			buf_addf(&b, "%s%s=\"", i ? "," : "", s->labels[i].name);
			for (p = s->labels[i].value; *p; p++) {
				if (*p == '"' || *p == '\\')
					buf_addc(&b, '\\');
				if (*p == '\n')
					buf_adds(&b, "\\n");
				else
					buf_addc(&b, *p);
			}
			buf_addc(&b, '"');
		}
		buf_addc(&b, '}');
	}
	snprintf(buf, n, "%s", b.data ? b.data : "");
	buf_release(&b);
	return buf;
}

/* The shortest text that reads back as the same double ("150", "0.02"). */
static void
fmt_num(double v, char *buf, size_t n)
{
	int prec;

	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(buf, n, "%.0f", v);
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

const char *
gates_alert_expr(const struct gate_def *g, char *buf, size_t n)
{
	char num[40];
	const char *e = g->alert.expr;
	/* and/or/unless bind looser than comparisons: keep the value whole. */
	int paren = strstr(e, " and ") || strstr(e, " or ") || strstr(e, " unless ");

	fmt_num(g->threshold, num, sizeof(num));
	snprintf(buf, n, "%s%s%s %s %s", paren ? "(" : "", e, paren ? ")" : "",
		 gates_op_negated(g->op), num);
	return buf;
}

/* ---- loading ---- */

static void
sel_release(struct series_sel *s)
{
	size_t i;

	free(s->metric);
	free(s->unit);
	for (i = 0; i < s->nlabels; i++) {
		free(s->labels[i].name);
		free(s->labels[i].value);
	}
	memset(s, 0, sizeof(*s));
}

void
gates_free(struct gate_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->nmetrics; i++)
		free(cfg->metrics[i].name);
	free(cfg->metrics);
	for (i = 0; i < cfg->nrecord; i++) {
		free(cfg->record[i].name);
		sel_release(&cfg->record[i].sel);
	}
	free(cfg->record);
	for (i = 0; i < cfg->ngates; i++) {
		struct gate_def *g = &cfg->gates[i];

		free(g->name);
		free(g->description);
		sel_release(&g->sel);
		free(g->alert.name);
		free(g->alert.expr);
		free(g->alert.summary);
	}
	free(cfg->gates);
	free(cfg->file);
	free(cfg->text);
	free(cfg);
}

static int
valid_name(const char *s, int colons)
{
	const char *p;

	if (!*s || strlen(s) >= GATES_NAME_MAX)
		return 0;
	for (p = s; *p; p++) {
		int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
			 (colons && *p == ':') || (p != s && *p >= '0' && *p <= '9');

		if (!ok)
			return 0;
	}
	return 1;
}

/* A required key: its node, or an error at the mapping naming what is missing. */
static const struct ynode *
need(const struct ynode *map, const char *key, const char *what, struct mm_err *err)
{
	const struct ynode *n = ynode_get(map, key);

	if (!n || ynode_is_null(n)) {
		ynode_errf(map, err, "%s: missing key '%s'", what, key);
		return NULL;
	}
	return n;
}

static int
get_str(const struct ynode *n, char **out, struct mm_err *err)
{
	const char *s;

	if (ynode_str(n, &s, err) < 0)
		return -1;
	*out = xstrdup(s);
	return 0;
}

static int
lookup(const struct ynode *n, const char *const *names, size_t count, const char *what, int *out,
       struct mm_err *err)
{
	struct buf list = BUF_INIT(1024);
	const char *s;
	size_t i;

	if (ynode_str(n, &s, err) < 0)
		return -1;
	for (i = 0; i < count; i++)
		if (names[i] && strcmp(names[i], s) == 0) {
			*out = (int)i;
			return 0;
		}
	for (i = 0; i < count; i++)
		if (names[i])
			buf_addf(&list, "%s%s", list.len ? ", " : "", names[i]);
	ynode_errf(n, err, "unknown %s '%s' (expected one of: %s)", what, s,
		   list.data ? list.data : "");
	buf_release(&list);
	return -1;
}

static const struct metric_decl *
find_metric(const struct gate_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nmetrics; i++)
		if (strcmp(cfg->metrics[i].name, name) == 0)
			return &cfg->metrics[i];
	return NULL;
}

static int
load_metrics(struct gate_config *cfg, const struct ynode *m, struct mm_err *err)
{
	size_t i;

	if (!m || m->kind != YNODE_MAP)
		return ynode_errf(m, err, "metrics: expected a mapping of metric name to type");
	if (m->n > GATES_MAX_METRICS)
		return ynode_errf(m, err, "metrics: more than %d metrics", GATES_MAX_METRICS);
	cfg->metrics = xcalloc(m->n ? m->n : 1, sizeof(*cfg->metrics));
	for (i = 0; i < m->n; i++) {
		const struct ynode *k = m->pairs[i].key, *v = m->pairs[i].val;
		int t;

		if (!valid_name(k->str, 1))
			return ynode_errf(k, err, "'%s' is not a valid metric name", k->str);
		if (lookup(v, type_names, 3, "metric type", &t, err) < 0)
			return -1;
		cfg->metrics[cfg->nmetrics].name = xstrdup(k->str);
		cfg->metrics[cfg->nmetrics].type = (enum metric_type)t;
		cfg->nmetrics++;
	}
	return 0;
}

/* metric, labels, scale, unit of a gate or record entry. */
static int
load_sel(const struct gate_config *cfg, const struct ynode *map, const char *what,
	 struct series_sel *s, struct mm_err *err)
{
	const struct ynode *n;
	const struct metric_decl *md;
	const char *name;
	size_t i;

	s->scale = 1;
	if (!(n = need(map, "metric", what, err)))
		return -1;
	if (ynode_str(n, &name, err) < 0)
		return -1;
	if (!(md = find_metric(cfg, n->str)))
		return ynode_errf(n, err,
				  "unknown metric '%s' (declare it under metrics: with its type)",
				  n->str);
	s->metric = xstrdup(md->name);
	s->type = md->type;
	if ((n = ynode_get(map, "labels")) && !ynode_is_null(n)) {
		if (n->kind != YNODE_MAP)
			return ynode_errf(n, err,
					  "labels: expected a mapping of label name to value");
		if (n->n > GATES_MAX_LABELS)
			return ynode_errf(n, err, "labels: more than %d matchers",
					  GATES_MAX_LABELS);
		for (i = 0; i < n->n; i++) {
			const struct ynode *k = n->pairs[i].key, *v = n->pairs[i].val;

			if (!valid_name(k->str, 0) || strncmp(k->str, "__", 2) == 0)
				return ynode_errf(k, err, "'%s' is not a valid label name", k->str);
			if (s->type == MTYPE_HISTOGRAM && strcmp(k->str, "le") == 0)
				return ynode_errf(k, err,
						  "a histogram selector cannot match on 'le'");
			if (v->kind != YNODE_SCALAR)
				return ynode_errf(v, err, "label '%s': expected a string value",
						  k->str);
			s->labels[s->nlabels].name = xstrdup(k->str);
			s->labels[s->nlabels].value = xstrdup(v->str);
			s->nlabels++;
		}
	}
	if ((n = ynode_get(map, "scale"))) {
		if (ynode_double(n, &s->scale, err) < 0)
			return -1;
		if (s->scale <= 0)
			return ynode_errf(n, err, "scale must be greater than 0");
	}
	if ((n = ynode_get(map, "unit")) && !ynode_is_null(n)) {
		if (get_str(n, &s->unit, err) < 0)
			return -1;
	} else {
		s->unit = xstrdup("");
	}
	return 0;
}

static int
load_record(struct gate_config *cfg, const struct ynode *list, struct mm_err *err)
{
	static const char *const keys[] = {"name", "metric", "labels", "scale", "unit", NULL};
	size_t i, j;

	if (!list || list->kind != YNODE_SEQ)
		return ynode_errf(list, err, "record: expected a list");
	if (list->n > GATES_MAX_RECORD)
		return ynode_errf(list, err, "record: more than %d entries", GATES_MAX_RECORD);
	cfg->record = xcalloc(list->n ? list->n : 1, sizeof(*cfg->record));
	for (i = 0; i < list->n; i++) {
		const struct ynode *m = list->items[i], *n;
		struct record_def *r = &cfg->record[cfg->nrecord];

		if (ynode_check_keys(m, keys, err) < 0)
			return -1;
		cfg->nrecord++;
		if (!(n = need(m, "name", "record entry", err)) || get_str(n, &r->name, err) < 0)
			return -1;
		if (!valid_name(r->name, 0))
			return ynode_errf(n, err, "'%s' is not a valid name (letters, digits, _)",
					  r->name);
		for (j = 0; j + 1 < cfg->nrecord; j++)
			if (strcmp(cfg->record[j].name, r->name) == 0)
				return ynode_errf(n, err, "duplicate record name '%s'", r->name);
		if (load_sel(cfg, m, "record entry", &r->sel, err) < 0)
			return -1;
	}
	return 0;
}

static int
load_alert(const struct ynode *m, struct gate_alert *a, struct mm_err *err)
{
	static const char *const keys[] = {"name", "expr", "for", "summary", NULL};
	const struct ynode *n;

	if (ynode_check_keys(m, keys, err) < 0)
		return -1;
	if (!(n = need(m, "name", "alert", err)) || get_str(n, &a->name, err) < 0)
		return -1;
	if (!valid_name(a->name, 0))
		return ynode_errf(n, err, "'%s' is not a valid alert name", a->name);
	if (!(n = need(m, "expr", "alert", err)) || get_str(n, &a->expr, err) < 0)
		return -1;
	if (!(n = need(m, "for", "alert", err)) || ynode_duration(n, &a->for_s, err) < 0)
		return -1;
	if ((n = ynode_get(m, "summary")) && !ynode_is_null(n)) {
		if (get_str(n, &a->summary, err) < 0)
			return -1;
	} else {
		a->summary = xstrdup("");
	}
	return 0;
}

static int
load_gate(struct gate_config *cfg, const struct ynode *m, struct gate_def *g, struct mm_err *err)
{
	static const char *const keys[] = {
	    "name",	 "description", "kind",	     "metric", "labels",  "scale", "unit",
	    "aggregate", "op",		"threshold", "window", "no_data", "alert", NULL,
	};
	static const char *const kinds[] = {"soft", "hard"};
	const char *agg_names[AGG_COUNT_], *op_names[NOPS];
	const struct ynode *n;
	size_t i;
	int v;

	for (i = 0; i < AGG_COUNT_; i++)
		agg_names[i] = aggs[i].name;
	for (i = 0; i < NOPS; i++)
		op_names[i] = ops[i].name;
	if (ynode_check_keys(m, keys, err) < 0)
		return -1;
	g->line = m->line;
	g->col = m->col;
	g->window = GATES_DEFAULT_WINDOW;
	if (!(n = need(m, "name", "gate", err)) || get_str(n, &g->name, err) < 0)
		return -1;
	if (!valid_name(g->name, 0))
		return ynode_errf(n, err, "'%s' is not a valid gate name (letters, digits, _)",
				  g->name);
	if ((n = ynode_get(m, "description")) && !ynode_is_null(n)) {
		if (get_str(n, &g->description, err) < 0)
			return -1;
	} else {
		g->description = xstrdup("");
	}
	if (!(n = need(m, "kind", "gate", err)) || lookup(n, kinds, 2, "kind", &v, err) < 0)
		return -1;
	g->hard = v;
	if (load_sel(cfg, m, "gate", &g->sel, err) < 0)
		return -1;
	if (!(n = need(m, "aggregate", "gate", err)) ||
	    lookup(n, agg_names, AGG_COUNT_, "aggregate", &v, err) < 0)
		return -1;
	g->agg = (enum gate_agg)v;
	if (!(aggs[g->agg].types & (1u << g->sel.type)))
		return ynode_errf(n, err, "aggregate '%s' does not apply to %s '%s'",
				  aggs[g->agg].name, type_names[g->sel.type], g->sel.metric);
	if (!(n = need(m, "op", "gate", err)) || lookup(n, op_names, NOPS, "operator", &v, err) < 0)
		return -1;
	g->op = (enum gate_op)v;
	if (!(n = need(m, "threshold", "gate", err)) || ynode_double(n, &g->threshold, err) < 0)
		return -1;
	if ((n = ynode_get(m, "window")) && !ynode_is_null(n)) {
		if (ynode_duration(n, &g->window, err) < 0)
			return -1;
		/* 0s: the sample itself, which only a mean can be windowed to. */
		if (g->window <= 0 && g->agg != AGG_MEAN)
			return ynode_errf(n, err,
					  "window must be longer than 0s for aggregate '%s'",
					  aggs[g->agg].name);
	}
	g->no_data = NODATA_NO_DATA;
	if ((n = ynode_get(m, "no_data")) && !ynode_is_null(n)) {
		if (lookup(n, nodata_names, 3, "no_data rule", &v, err) < 0)
			return -1;
		g->no_data = (enum gate_nodata)v;
	}
	if (!(n = need(m, "alert", "gate", err)) || load_alert(n, &g->alert, err) < 0)
		return -1;
	return 0;
}

static int
load_gates(struct gate_config *cfg, const struct ynode *list, struct mm_err *err)
{
	size_t i, j;

	if (!list || list->kind != YNODE_SEQ)
		return ynode_errf(list, err, "gates: expected a list");
	if (list->n == 0)
		return ynode_errf(list, err, "gates: the list is empty");
	if (list->n > GATES_MAX)
		return ynode_errf(list, err, "gates: more than %d gates", GATES_MAX);
	cfg->gates = xcalloc(list->n, sizeof(*cfg->gates));
	for (i = 0; i < list->n; i++) {
		struct gate_def *g = &cfg->gates[cfg->ngates];

		cfg->ngates++;
		if (load_gate(cfg, list->items[i], g, err) < 0)
			return -1;
		for (j = 0; j + 1 < cfg->ngates; j++) {
			if (strcmp(cfg->gates[j].name, g->name) == 0)
				return ynode_errf(ynode_get(list->items[i], "name"), err,
						  "duplicate gate name '%s'", g->name);
			if (strcmp(cfg->gates[j].alert.name, g->alert.name) == 0)
				return ynode_errf(
				    ynode_get(ynode_get(list->items[i], "alert"), "name"), err,
				    "duplicate alert name '%s'", g->alert.name);
		}
	}
	return 0;
}

static int
load_root(struct gate_config *cfg, const struct ynode *root, struct mm_err *err)
{
	static const char *const keys[] = {
	    "version", "warmup", "staleness", "metrics", "record", "gates", NULL,
	};
	const struct ynode *n;
	long version;

	if (!root)
		return mm_errf_at(err, MM_E_CONFIG, cfg->file, 1, 1, "the gates file is empty");
	if (ynode_check_keys(root, keys, err) < 0)
		return -1;
	if (!(n = need(root, "version", "gates file", err)) ||
	    ynode_long(n, 1, 1, &version, err) < 0)
		return -1;
	cfg->warmup = GATES_DEFAULT_WARMUP;
	if ((n = ynode_get(root, "warmup")) && !ynode_is_null(n) &&
	    ynode_duration(n, &cfg->warmup, err) < 0)
		return -1;
	cfg->staleness = 300;
	if ((n = ynode_get(root, "staleness")) && !ynode_is_null(n)) {
		if (ynode_duration(n, &cfg->staleness, err) < 0)
			return -1;
		if (cfg->staleness <= 0)
			return ynode_errf(n, err, "staleness must be longer than 0s");
	}
	if (!(n = need(root, "metrics", "gates file", err)) || load_metrics(cfg, n, err) < 0)
		return -1;
	if ((n = ynode_get(root, "record")) && !ynode_is_null(n) && load_record(cfg, n, err) < 0)
		return -1;
	if (!(n = need(root, "gates", "gates file", err)) || load_gates(cfg, n, err) < 0)
		return -1;
	return 0;
}

struct gate_config *
gates_loadb(const char *data, size_t len, const char *name, struct mm_err *err)
{
	struct gate_config *cfg;
	struct ydoc *doc;

	if (!(doc = yaml_loadb(data, len, name, err)))
		return NULL;
	cfg = xcalloc(1, sizeof(*cfg));
	cfg->file = xstrdup(name);
	cfg->text = xmalloc(len + 1);
	memcpy(cfg->text, data, len);
	cfg->text[len] = '\0';
	cfg->text_len = len;
	if (load_root(cfg, doc->root, err) < 0) {
		gates_free(cfg);
		cfg = NULL;
	}
	ydoc_free(doc);
	return cfg;
}

struct gate_config *
gates_load_file(const char *path, struct mm_err *err)
{
	struct buf b = BUF_INIT(YAML_MAX_FILE);
	struct gate_config *cfg;

	if (buf_read_file(&b, path, err) < 0)
		return NULL;
	cfg = gates_loadb(b.data ? b.data : "", b.len, path, err);
	buf_release(&b);
	return cfg;
}

struct gate_config *
gates_load_default(struct mm_err *err)
{
	return gates_loadb(gates_default_yaml, strlen(gates_default_yaml), "<built-in gates>", err);
}

/* ---- judging ---- */

void
gate_eval_init(struct gate_eval *ev, const struct gate_def *def, double staleness)
{
	memset(ev, 0, sizeof(*ev));
	ev->def = def;
	ev->staleness = staleness > 0 ? staleness : 300;
	ev->last_t = NAN;
	ev->last_value = NAN;
	ev->first_breach = NAN;
	ev->longest_start = NAN;
	ev->first_sustained = NAN;
}

static void
end_streak(struct gate_eval *ev, double end)
{
	double d = end - ev->streak_start;

	if (d < 0)
		d = 0;
	ev->breach_seconds += d;
	if (d > ev->longest || isnan(ev->longest_start)) {
		ev->longest = d;
		ev->longest_start = ev->streak_start;
	}
	ev->in_streak = 0;
}

int
gate_eval_step(struct gate_eval *ev, double t, double v)
{
	const struct gate_def *g = ev->def;
	int breach, newly = 0;

	/* A gap past the staleness limit: the series was unknown, the streak ends. */
	if (ev->in_streak && !isnan(ev->last_t) && t - ev->last_t > ev->staleness)
		end_streak(ev, ev->last_breach_t);
	ev->last_t = t;
	ev->last_value = v;
	if (isnan(v)) {
		ev->nan_evals++;
		if (ev->in_streak)
			end_streak(ev, t);
		return 0;
	}
	ev->evals++;
	breach = !gates_compare(g->op, v, g->threshold);
	if (!breach) {
		if (ev->in_streak)
			end_streak(ev, t);
		return 0;
	}
	ev->breach_evals++;
	if (isnan(ev->first_breach))
		ev->first_breach = t;
	if (!ev->in_streak) {
		ev->in_streak = 1;
		ev->streak_start = t;
	}
	ev->last_breach_t = t;
	if (!ev->sustained && t - ev->streak_start >= g->alert.for_s) {
		ev->sustained = 1;
		ev->first_sustained = t;
		newly = 1;
	}
	return newly;
}

void
gate_eval_finish(struct gate_eval *ev, double t)
{
	if (ev->in_streak)
		end_streak(ev, t > ev->last_breach_t ? t : ev->last_breach_t);
}

static void
fmt_value(double v, const char *unit, char *buf, size_t n)
{
	if (isnan(v))
		snprintf(buf, n, "no value");
	else
		snprintf(buf, n, "%.6g%s%s", v, unit && *unit ? " " : "", unit ? unit : "");
}

void
gate_judge(const struct gate_def *g, const struct gate_eval *ev, double value, enum gate_data data,
	   const char *errmsg, struct gate_result *out)
{
	char v[64], th[64], dur[32], forb[32];

	memset(out, 0, sizeof(*out));
	out->def = g;
	out->value = value;
	out->first_breach = ev->first_breach;
	out->first_sustained = ev->first_sustained;
	out->longest = ev->longest;
	out->longest_start = ev->longest_start;
	out->breach_seconds = ev->breach_seconds;
	out->evals = ev->evals;
	out->breach_evals = ev->breach_evals;
	out->last_windowed = ev->last_value;
	fmt_value(value, g->sel.unit, v, sizeof(v));
	fmt_value(g->threshold, g->sel.unit, th, sizeof(th));

	if (data == GDATA_ERROR) {
		out->verdict = VERDICT_ERROR;
		snprintf(out->reason, sizeof(out->reason), "error: %s",
			 errmsg ? errmsg : "unknown");
		return;
	}
	if (data == GDATA_NONE || isnan(value)) {
		static const enum gate_verdict map[] = {
		    [NODATA_NO_DATA] = VERDICT_NO_DATA,
		    [NODATA_FAIL] = VERDICT_FAIL,
		    [NODATA_PASS] = VERDICT_PASS,
		};

		out->verdict = map[g->no_data];
		snprintf(out->reason, sizeof(out->reason),
			 "no data for %s after warm-up (no_data: %s)", g->sel.metric,
			 gates_nodata_name(g->no_data));
		return;
	}
	out->aggregate_breached = !gates_compare(g->op, value, g->threshold);
	clock_format_duration(ev->longest, dur, sizeof(dur));
	clock_format_duration(g->alert.for_s, forb, sizeof(forb));
	if (out->aggregate_breached) {
		out->verdict = VERDICT_FAIL;
		snprintf(out->reason, sizeof(out->reason),
			 "%s over the soak is %s, breaching %s %s", gates_agg_name(g->agg), v,
			 gates_op_name(g->op), th);
	} else if (ev->sustained) {
		out->verdict = VERDICT_FAIL;
		snprintf(out->reason, sizeof(out->reason),
			 "%s%s breached %s %s for %s (alert %s fires after %s)",
			 g->agg == AGG_MEAN && g->window <= 0 ? "the value" : "windowed ",
			 g->agg == AGG_MEAN && g->window <= 0 ? "" : gates_agg_name(g->agg),
			 gates_op_name(g->op), th, dur, g->alert.name, forb);
	} else {
		out->verdict = VERDICT_PASS;
		if (ev->breach_evals)
			snprintf(out->reason, sizeof(out->reason),
				 "%s %s %s %s; windowed breaches were shorter than %s (longest %s)",
				 gates_agg_name(g->agg), v, gates_op_name(g->op), th, forb, dur);
		else
			snprintf(out->reason, sizeof(out->reason), "%s %s %s %s",
				 gates_agg_name(g->agg), v, gates_op_name(g->op), th);
	}
}
