/*
 * canary.c - the canary judge (canary.h): its configuration file, the
 * classification of one metric from the two samples, and the score.
 *
 * The statistics themselves are lib/twosample; this file decides what they
 * mean for a release: which test speaks for a metric, whether the effect is
 * beyond what the file allows, and how results add up to a verdict.  Every
 * threshold a verdict used is kept in the result so the reports can show it
 * (Kayenta #521: a verdict nobody can check is not trusted).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "canary.h"
#include "xalloc.h"
#include "yaml.h"

static const char *const dir_names[] = {"increase", "decrease", "either"};
static const char *const class_names[] = {"pass", "high", "low", "nodata"};
static const char *const verdict_names[] = {"pass", "marginal", "fail"};
static const char *const type_names[] = {"gauge", "counter", "histogram"};

const char *
canary_dir_name(enum canary_dir d)
{
	return dir_names[d];
}

const char *
canary_class_name(enum canary_class c)
{
	return class_names[c];
}

const char *
canary_verdict_name(enum canary_verdict v)
{
	return verdict_names[v];
}

/* ---- configuration ---- */

static void
metric_release(struct canary_metric *m)
{
	size_t i;

	free(m->name);
	free(m->description);
	free(m->group);
	free(m->sel.metric);
	free(m->sel.unit);
	for (i = 0; i < m->sel.nlabels; i++) {
		free(m->sel.labels[i].name);
		free(m->sel.labels[i].value);
	}
}

void
canary_free(struct canary_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->nmetrics; i++)
		metric_release(&cfg->metrics[i]);
	for (i = 0; i < cfg->ngroups; i++)
		free(cfg->groups[i].name);
	metric_release(&cfg->defaults);
	free(cfg->metrics);
	free(cfg->groups);
	free(cfg->file);
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

static int
lookup(const struct ynode *n, const char *const *names, size_t count, const char *what, int *out,
       struct mm_err *err)
{
	const char *s;
	size_t i;

	if (ynode_str(n, &s, err) < 0)
		return -1;
	for (i = 0; i < count; i++)
		if (strcmp(names[i], s) == 0) {
			*out = (int)i;
			return 0;
		}
	return ynode_errf(n, err, "unknown %s '%s' (expected %s%s%s%s%s)", what, s, names[0],
			  count > 1 ? ", " : "", count > 1 ? names[1] : "", count > 2 ? " or " : "",
			  count > 2 ? names[2] : "");
}

static int
get_fraction(const struct ynode *n, double *out, int allow_inf, struct mm_err *err)
{
	if (allow_inf && n->kind == YNODE_SCALAR && !n->quoted && strcmp(n->str, "none") == 0) {
		*out = INFINITY;
		return 0;
	}
	if (ynode_double(n, out, err) < 0)
		return -1;
	if (!(*out >= 0) || !isfinite(*out))
		return ynode_errf(n, err, "expected a relative change >= 0 (0.10 is 10%%)%s",
				  allow_inf ? " or none" : "");
	return 0;
}

/*
 * The judging keys shared by defaults: and each metric (direction, allowed,
 * critical_effect, critical, must_have_data, min_samples, group, weight).
 */
static int
load_judging(const struct ynode *map, struct canary_metric *m, struct mm_err *err)
{
	const struct ynode *n;
	int v;

	if ((n = ynode_get(map, "direction"))) {
		if (lookup(n, dir_names, 3, "direction", &v, err) < 0)
			return -1;
		m->direction = (enum canary_dir)v;
	}
	if ((n = ynode_get(map, "allowed")) && get_fraction(n, &m->allowed, 0, err) < 0)
		return -1;
	if ((n = ynode_get(map, "critical_effect")) &&
	    get_fraction(n, &m->critical_effect, 1, err) < 0)
		return -1;
	if ((n = ynode_get(map, "critical")) && ynode_bool(n, &m->critical, err) < 0)
		return -1;
	if ((n = ynode_get(map, "must_have_data")) && ynode_bool(n, &m->must_have_data, err) < 0)
		return -1;
	if ((n = ynode_get(map, "min_samples")) &&
	    ynode_long(n, 1, CANARY_MAX_SAMPLES, &m->min_samples, err) < 0)
		return -1;
	if ((n = ynode_get(map, "weight"))) {
		if (ynode_double(n, &m->weight, err) < 0)
			return -1;
		if (!(m->weight > 0) || !isfinite(m->weight))
			return ynode_errf(n, err, "weight must be greater than 0");
	}
	if ((n = ynode_get(map, "group"))) {
		const char *s;

		if (ynode_str(n, &s, err) < 0)
			return -1;
		if (!valid_name(s, 0))
			return ynode_errf(n, err,
					  "'%s' is not a valid group name (letters, digits, _)", s);
		free(m->group);
		m->group = xstrdup(s);
	}
	if (m->critical_effect < m->allowed)
		return ynode_errf(map, err, "critical_effect %g is below allowed %g",
				  m->critical_effect, m->allowed);
	return 0;
}

static void
copy_judging(struct canary_metric *dst, const struct canary_metric *src)
{
	dst->direction = src->direction;
	dst->allowed = src->allowed;
	dst->critical_effect = src->critical_effect;
	dst->critical = src->critical;
	dst->must_have_data = src->must_have_data;
	dst->min_samples = src->min_samples;
	dst->weight = src->weight;
	dst->group = xstrdup(src->group);
	dst->quantile = NAN;
	dst->sel.scale = 1;
	dst->sel.unit = xstrdup("");
	dst->sel.metric = xstrdup("");
	dst->description = xstrdup("");
}

static int
load_labels(const struct ynode *n, struct series_sel *s, struct mm_err *err)
{
	size_t i;

	if (n->kind != YNODE_MAP)
		return ynode_errf(n, err, "labels: expected a mapping of label name to value");
	if (n->n > GATES_MAX_LABELS)
		return ynode_errf(n, err, "labels: more than %d matchers", GATES_MAX_LABELS);
	for (i = 0; i < n->n; i++) {
		const struct ynode *k = n->pairs[i].key, *v = n->pairs[i].val;

		if (!valid_name(k->str, 0) || strncmp(k->str, "__", 2) == 0)
			return ynode_errf(k, err, "'%s' is not a valid label name", k->str);
		if (s->type == MTYPE_HISTOGRAM && strcmp(k->str, "le") == 0)
			return ynode_errf(k, err, "a histogram selector cannot match on 'le'");
		if (v->kind != YNODE_SCALAR)
			return ynode_errf(v, err, "label '%s': expected a string value", k->str);
		s->labels[s->nlabels].name = xstrdup(k->str);
		s->labels[s->nlabels].value = xstrdup(v->str);
		s->nlabels++;
	}
	return 0;
}

static int
load_metric(struct canary_config *cfg, const struct ynode *map, struct canary_metric *m,
	    struct mm_err *err)
{
	static const char *const keys[] = {
	    "name",
	    "description",
	    "metric",
	    "type",
	    "labels",
	    "quantile",
	    "scale",
	    "unit",
	    "direction",
	    "allowed",
	    "critical_effect",
	    "critical",
	    "must_have_data",
	    "min_samples",
	    "group",
	    "weight",
	    NULL,
	};
	const struct ynode *n;
	const char *s;
	size_t i;
	int t;

	if (ynode_check_keys(map, keys, err) < 0)
		return -1;
	m->line = map->line;
	m->col = map->col;
	if (!(n = ynode_get(map, "name")) || ynode_is_null(n))
		return ynode_errf(map, err, "metric: missing key 'name'");
	if (ynode_str(n, &s, err) < 0)
		return -1;
	if (!valid_name(s, 0))
		return ynode_errf(n, err, "'%s' is not a valid name (letters, digits, _)", s);
	for (i = 0; i < cfg->nmetrics; i++)
		if (strcmp(cfg->metrics[i].name, s) == 0)
			return ynode_errf(n, err, "duplicate metric name '%s'", s);
	m->name = xstrdup(s);
	if ((n = ynode_get(map, "description")) && !ynode_is_null(n)) {
		if (ynode_str(n, &s, err) < 0)
			return -1;
		free(m->description);
		m->description = xstrdup(s);
	}
	if (!(n = ynode_get(map, "metric")) || ynode_is_null(n))
		return ynode_errf(map, err, "metric '%s': missing key 'metric'", m->name);
	if (ynode_str(n, &s, err) < 0)
		return -1;
	if (!valid_name(s, 1))
		return ynode_errf(n, err, "'%s' is not a valid metric name", s);
	free(m->sel.metric);
	m->sel.metric = xstrdup(s);
	if (!(n = ynode_get(map, "type")) || ynode_is_null(n))
		return ynode_errf(map, err,
				  "metric '%s': missing key 'type' (gauge, counter or histogram)",
				  m->name);
	if (lookup(n, type_names, 3, "metric type", &t, err) < 0)
		return -1;
	m->sel.type = (enum metric_type)t;
	if ((n = ynode_get(map, "labels")) && !ynode_is_null(n) && load_labels(n, &m->sel, err) < 0)
		return -1;
	n = ynode_get(map, "quantile");
	if (m->sel.type == MTYPE_HISTOGRAM) {
		if (!n)
			return ynode_errf(
			    map, err, "metric '%s': a histogram needs 'quantile' (0.95)", m->name);
		if (ynode_double(n, &m->quantile, err) < 0)
			return -1;
		if (!(m->quantile > 0 && m->quantile < 1))
			return ynode_errf(n, err, "quantile must be between 0 and 1");
	} else if (n) {
		return ynode_errf(n, err, "quantile is for histograms only");
	}
	if ((n = ynode_get(map, "scale"))) {
		if (ynode_double(n, &m->sel.scale, err) < 0)
			return -1;
		if (!(m->sel.scale > 0) || !isfinite(m->sel.scale))
			return ynode_errf(n, err, "scale must be greater than 0");
	}
	if ((n = ynode_get(map, "unit")) && !ynode_is_null(n)) {
		if (ynode_str(n, &s, err) < 0)
			return -1;
		free(m->sel.unit);
		m->sel.unit = xstrdup(s);
	}
	return load_judging(map, m, err);
}

static const struct canary_group *
find_group(const struct canary_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->ngroups; i++)
		if (strcmp(cfg->groups[i].name, name) == 0)
			return &cfg->groups[i];
	return NULL;
}

static int
load_root(struct canary_config *cfg, const struct ynode *root, struct mm_err *err)
{
	static const char *const keys[] = {
	    "version", "confidence", "aggregate", "score", "defaults", "groups", "metrics", NULL,
	};
	static const char *const score_keys[] = {"pass", "marginal", NULL};
	static const char *const default_keys[] = {
	    "direction",   "allowed", "critical_effect", "critical", "must_have_data",
	    "min_samples", "group",   "weight",		 NULL,
	};
	const struct ynode *n, *k;
	long version;
	size_t i;

	if (!root)
		return mm_errf_at(err, MM_E_CONFIG, cfg->file, 1, 1, "the canary file is empty");
	if (ynode_check_keys(root, keys, err) < 0)
		return -1;
	if (!(n = ynode_get(root, "version")) || ynode_is_null(n))
		return ynode_errf(root, err, "canary file: missing key 'version'");
	if (ynode_long(n, 1, 1, &version, err) < 0)
		return -1;
	if ((n = ynode_get(root, "confidence"))) {
		if (ynode_double(n, &cfg->confidence, err) < 0)
			return -1;
		if (!(cfg->confidence >= 0.5 && cfg->confidence < 1))
			return ynode_errf(n, err, "confidence must be at least 0.5 and below 1");
	}
	if ((n = ynode_get(root, "aggregate"))) {
		if (ynode_duration(n, &cfg->aggregate, err) < 0)
			return -1;
		if (!(cfg->aggregate > 0))
			return ynode_errf(n, err, "aggregate must be longer than 0s");
	}
	if ((n = ynode_get(root, "score"))) {
		if (ynode_check_keys(n, score_keys, err) < 0)
			return -1;
		if ((k = ynode_get(n, "pass")) && ynode_double(k, &cfg->pass, err) < 0)
			return -1;
		if ((k = ynode_get(n, "marginal")) && ynode_double(k, &cfg->marginal, err) < 0)
			return -1;
		if (!(cfg->marginal >= 0 && cfg->marginal <= cfg->pass && cfg->pass <= 100))
			return ynode_errf(n, err, "score: need 0 <= marginal <= pass <= 100");
	}
	if ((n = ynode_get(root, "defaults"))) {
		if (ynode_check_keys(n, default_keys, err) < 0 ||
		    load_judging(n, &cfg->defaults, err) < 0)
			return -1;
	}
	if ((n = ynode_get(root, "groups")) && !ynode_is_null(n)) {
		if (n->kind != YNODE_MAP)
			return ynode_errf(n, err,
					  "groups: expected a mapping of group name to weight");
		if (n->n > CANARY_MAX_GROUPS)
			return ynode_errf(n, err, "groups: more than %d groups", CANARY_MAX_GROUPS);
		cfg->groups = xcalloc(n->n ? n->n : 1, sizeof(*cfg->groups));
		for (i = 0; i < n->n; i++) {
			struct canary_group *g = &cfg->groups[cfg->ngroups];

			if (!valid_name(n->pairs[i].key->str, 0))
				return ynode_errf(n->pairs[i].key, err,
						  "'%s' is not a valid group name",
						  n->pairs[i].key->str);
			if (ynode_double(n->pairs[i].val, &g->weight, err) < 0)
				return -1;
			if (!(g->weight > 0) || !isfinite(g->weight))
				return ynode_errf(n->pairs[i].val, err,
						  "a group weight must be greater than 0");
			g->name = xstrdup(n->pairs[i].key->str);
			cfg->ngroups++;
		}
		if (!find_group(cfg, cfg->defaults.group))
			return ynode_errf(n, err, "groups: the default group '%s' is not listed",
					  cfg->defaults.group);
	}
	if ((n = ynode_get(root, "metrics")) && !ynode_is_null(n)) {
		if (n->kind != YNODE_SEQ)
			return ynode_errf(n, err, "metrics: expected a list");
		if (n->n > CANARY_MAX_METRICS)
			return ynode_errf(n, err, "metrics: more than %d entries",
					  CANARY_MAX_METRICS);
		cfg->metrics = xcalloc(CANARY_MAX_METRICS, sizeof(*cfg->metrics));
		for (i = 0; i < n->n; i++) {
			struct canary_metric *m = &cfg->metrics[cfg->nmetrics];

			copy_judging(m, &cfg->defaults);
			if (load_metric(cfg, n->items[i], m, err) < 0) {
				cfg->nmetrics++; /* released with the rest */
				return -1;
			}
			cfg->nmetrics++;
			if (cfg->ngroups && !find_group(cfg, m->group))
				return ynode_errf(
				    n->items[i], err,
				    "metric '%s': group '%s' is not listed under groups:", m->name,
				    m->group);
		}
	}
	return 0;
}

struct canary_config *
canary_loadb(const char *data, size_t len, const char *name, struct mm_err *err)
{
	struct canary_config *cfg;
	struct ydoc *doc;

	if (!(doc = yaml_loadb(data, len, name, err)))
		return NULL;
	cfg = xcalloc(1, sizeof(*cfg));
	cfg->file = xstrdup(name);
	cfg->confidence = CANARY_DEFAULT_CONFIDENCE;
	cfg->aggregate = CANARY_DEFAULT_AGGREGATE;
	cfg->pass = CANARY_DEFAULT_PASS;
	cfg->marginal = CANARY_DEFAULT_MARGINAL;
	cfg->defaults.direction = CANARY_EITHER;
	cfg->defaults.allowed = CANARY_DEFAULT_ALLOWED;
	cfg->defaults.critical_effect = INFINITY;
	cfg->defaults.min_samples = CANARY_DEFAULT_MIN_SAMPLES;
	cfg->defaults.weight = 1;
	cfg->defaults.group = xstrdup("default");
	cfg->defaults.quantile = NAN;
	if (load_root(cfg, doc->root, err) < 0) {
		if (err && err->code == MM_E_PARSE)
			err->code = MM_E_CONFIG;
		canary_free(cfg);
		cfg = NULL;
	} else if (!cfg->metrics) {
		cfg->metrics = xcalloc(CANARY_MAX_METRICS, sizeof(*cfg->metrics));
	}
	ydoc_free(doc);
	return cfg;
}

struct canary_config *
canary_load_file(const char *path, struct mm_err *err)
{
	struct buf b = BUF_INIT(YAML_MAX_FILE);
	struct canary_config *cfg;

	if (buf_read_file(&b, path, err) < 0)
		return NULL;
	cfg = canary_loadb(b.data ? b.data : "", b.len, path, err);
	buf_release(&b);
	return cfg;
}

struct canary_config *
canary_load_default(struct mm_err *err)
{
	return canary_loadb(canary_default_yaml, strlen(canary_default_yaml), "<built-in canary>",
			    err);
}

struct canary_metric *
canary_add_default_metric(struct canary_config *cfg, const char *name)
{
	struct canary_metric *m;

	if (cfg->nmetrics >= CANARY_MAX_METRICS)
		return NULL;
	m = &cfg->metrics[cfg->nmetrics++];
	memset(m, 0, sizeof(*m));
	copy_judging(m, &cfg->defaults);
	m->name = xstrdup(name);
	return m;
}

void
canary_drop_metrics(struct canary_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nmetrics; i++)
		metric_release(&cfg->metrics[i]);
	memset(cfg->metrics, 0, CANARY_MAX_METRICS * sizeof(*cfg->metrics));
	cfg->nmetrics = 0;
}

const struct canary_metric *
canary_find(const struct canary_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nmetrics; i++)
		if (strcmp(cfg->metrics[i].name, name) == 0)
			return &cfg->metrics[i];
	return NULL;
}

/* ---- judging one metric ---- */

/* Quantile of sorted v by linear interpolation (numpy's default, PromQL's). */
static double
sorted_quantile(const double *v, size_t n, double q)
{
	double r, f;
	size_t i;

	if (!n)
		return NAN;
	r = q * (double)(n - 1);
	i = (size_t)floor(r);
	f = r - (double)i;
	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (v[i + 1] - v[i]) * f;
}

static void
side_summary(const double *v, size_t n, struct canary_side *s)
{
	double sum = 0, ss = 0;
	size_t i, nz = 0;

	memset(s, 0, sizeof(*s));
	s->n = n;
	s->mean = s->stddev = s->min = s->max = s->p01 = s->p50 = s->p95 = s->p99 = NAN;
	s->event_rate = NAN;
	if (!n)
		return;
	for (i = 0; i < n; i++) {
		sum += v[i];
		nz += v[i] != 0;
	}
	s->mean = sum / (double)n;
	for (i = 0; i < n; i++)
		ss += (v[i] - s->mean) * (v[i] - s->mean);
	if (n > 1)
		s->stddev = sqrt(ss / (double)(n - 1));
	s->min = v[0];
	s->max = v[n - 1];
	s->p01 = sorted_quantile(v, n, 0.01);
	s->p50 = sorted_quantile(v, n, 0.50);
	s->p95 = sorted_quantile(v, n, 0.95);
	s->p99 = sorted_quantile(v, n, 0.99);
	s->event_rate = (double)nz / (double)n;
}

/* (c - b) / |b|; 0 when equal, +-INFINITY from a zero baseline. */
static double
rel_change(double c, double b)
{
	if (c == b)
		return 0;
	if (b == 0)
		return c > 0 ? INFINITY : -INFINITY;
	return (c - b) / fabs(b);
}

double
canary_autocorr(const double *v, size_t n)
{
	double mean = 0, num = 0, den = 0;
	size_t i;

	if (n < 3)
		return NAN;
	for (i = 0; i < n; i++)
		mean += v[i];
	mean /= (double)n;
	for (i = 0; i < n; i++) {
		den += (v[i] - mean) * (v[i] - mean);
		if (i)
			num += (v[i] - mean) * (v[i - 1] - mean);
	}
	return den > 0 ? num / den : NAN;
}

static size_t
drop_nan(double *v, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (!isnan(v[i]))
			v[k++] = v[i];
	return k;
}

/* "+30.1%", "-4%", "+inf%" */
static const char *
fmt_pct(double rel, char *buf, size_t n)
{
	if (isinf(rel))
		snprintf(buf, n, "%s", rel > 0 ? "+inf%" : "-inf%");
	else
		snprintf(buf, n, "%+.3g%%", rel * 100);
	return buf;
}

static const char *
fmt_p(double p, char *buf, size_t n)
{
	if (p == 0)
		snprintf(buf, n, "<1e-300"); /* below the smallest double: not "0" */
	else
		snprintf(buf, n, "%.2g", p);
	return buf;
}

/* p of a normal z after dividing it by the inflation. */
static double
p_inflated(double z, double p, double inflation)
{
	if (inflation == 1 || isnan(z))
		return p; /* exact small samples: no z to inflate */
	return fmax(0, fmin(1, erfc(z / inflation / M_SQRT2)));
}

/*
 * The autocorrelation adjustment (canary.h): AR(1) with the larger lag-1
 * autocorrelation of the two sides, so the tests count n / inflation^2
 * independent samples instead of n.
 */
static void
adjust(struct canary_result *r, const double *b, size_t nb, const double *c, size_t nc,
       double confidence)
{
	double rho = 0, en;

	if (r->base.autocorr > rho)
		rho = r->base.autocorr;
	if (r->cand.autocorr > rho)
		rho = r->cand.autocorr;
	if (rho > CANARY_MAX_RHO)
		rho = CANARY_MAX_RHO;
	r->rho = rho;
	r->inflation = sqrt((1 + rho) / (1 - rho));
	r->mwu_p_adj = p_inflated(r->mwu.z, r->mwu.p, r->inflation);
	r->hl_adj = r->hl;
	if (r->inflation != 1)
		twosample_hl_interval(c, nc, b, nb, confidence, r->inflation, &r->hl_adj);
	if (r->inflation == 1 || isnan(r->ks.d)) {
		r->ks_p_adj = r->ks.p;
		return;
	}
	en = (double)nb * (double)nc / ((double)nb + (double)nc) / (r->inflation * r->inflation);
	r->ks_p_adj = twosample_kolmogorov_sf(r->ks.d, en < 1 ? 1 : (long)nearbyint(en));
}

/* "U p=2.4e-116" or "U p=2.4e-116 (adj. 3e-05, r=0.41)" */
static const char *
fmt_padj(const char *what, double p, double padj, double rho, char *buf, size_t n)
{
	char a[32], b[32];

	if (rho >= 0.05 && padj != p)
		snprintf(buf, n, "%s p=%s (%s adjusted for autocorrelation r=%.2f)", what,
			 fmt_p(p, a, sizeof(a)), fmt_p(padj, b, sizeof(b)), rho);
	else
		snprintf(buf, n, "%s p=%s", what, fmt_p(p, a, sizeof(a)));
	return buf;
}

/* Which side a breach went to, when the direction says it is bad; -1 none. */
static int
bad_side(enum canary_dir d, double rel, double allowed)
{
	if (rel > allowed && (d == CANARY_INCREASE || d == CANARY_EITHER))
		return CANARY_HIGH;
	if (-rel > allowed && (d == CANARY_DECREASE || d == CANARY_EITHER))
		return CANARY_LOW;
	return -1;
}

static void
judge_sparse(const struct canary_metric *m, double alpha, struct canary_result *r)
{
	size_t nb = r->base.n, nc = r->cand.n, i;
	double *ib = xmalloc(nb * sizeof(*ib)), *ic = xmalloc(nc * sizeof(*ic));
	struct mwu_result u;
	char a[32], b[32], p[32];
	double rel;
	int side;

	for (i = 0; i < nb; i++)
		ib[i] = r->bv[i] != 0;
	for (i = 0; i < nc; i++)
		ic[i] = r->cv[i] != 0;
	twosample_sort(ib, nb);
	twosample_sort(ic, nc);
	twosample_mwu(ic, nc, ib, nb, &u);
	free(ib);
	free(ic);
	r->sparse = 1;
	r->rate_p = p_inflated(u.z, u.p, r->inflation);
	r->rate_ratio = r->base.event_rate > 0	 ? r->cand.event_rate / r->base.event_rate
			: r->cand.event_rate > 0 ? INFINITY
						 : 1;
	rel = rel_change(r->cand.event_rate, r->base.event_rate);
	side = bad_side(m->direction, rel, m->allowed);
	r->test = "event_rate";
	if (side >= 0 && r->rate_p < alpha) {
		r->cls = (enum canary_class)side;
		r->critical_breach = m->critical || fabs(rel) > m->critical_effect;
		snprintf(
		    r->reason, sizeof(r->reason),
		    "event rate %s (%.3g%% of intervals vs %.3g%%; allowed %s), rank test p=%s",
		    fmt_pct(rel, a, sizeof(a)), 100 * r->cand.event_rate, 100 * r->base.event_rate,
		    fmt_pct(side == CANARY_HIGH ? m->allowed : -m->allowed, b, sizeof(b)),
		    fmt_p(r->rate_p, p, sizeof(p)));
		return;
	}
	r->cls = CANARY_PASS;
	snprintf(r->reason, sizeof(r->reason),
		 "sparse: event rate %.3g%% vs %.3g%% (%s, allowed %.3g%%), rank test p=%s",
		 100 * r->cand.event_rate, 100 * r->base.event_rate, fmt_pct(rel, a, sizeof(a)),
		 100 * m->allowed, fmt_p(r->rate_p, p, sizeof(p)));
}

void
canary_judge(const struct canary_metric *m, double confidence, int time_ordered, double *b,
	     size_t nb, double *c, size_t nc, struct canary_result *r)
{
	double alpha = 1 - confidence, tail_rel, ab, ac;
	const char *unit = m->sel.unit ? m->sel.unit : "";
	char s1[32], s2[32], s4[32], s5[128], s6[128];
	int side, tside;

	memset(r, 0, sizeof(*r));
	r->def = m;
	r->test = "";
	r->ratio = r->shift_rel = r->p99_ratio = r->rate_ratio = r->rate_p = NAN;
	r->mwu.u = r->mwu.p = r->mwu.z = NAN;
	r->hl.estimate = r->hl.ci_low = r->hl.ci_high = NAN;
	r->hl.confidence = confidence;
	r->ks.d = r->ks.p = NAN;
	r->rho = r->inflation = r->mwu_p_adj = r->ks_p_adj = NAN;
	r->hl_adj = r->hl;
	nb = drop_nan(b, nb);
	nc = drop_nan(c, nc);
	ab = time_ordered ? canary_autocorr(b, nb) : NAN;
	ac = time_ordered ? canary_autocorr(c, nc) : NAN;
	twosample_sort(b, nb);
	twosample_sort(c, nc);
	r->bv = b;
	r->cv = c;
	side_summary(b, nb, &r->base);
	side_summary(c, nc, &r->cand);
	r->base.autocorr = ab;
	r->cand.autocorr = ac;
	if ((long)nb < m->min_samples || (long)nc < m->min_samples || !nb || !nc) {
		r->cls = CANARY_NODATA;
		snprintf(r->reason, sizeof(r->reason),
			 "%s%s: baseline n=%zu, candidate n=%zu, need %ld per side",
			 !nb || !nc ? "no data" : "too few samples",
			 m->must_have_data ? " (must_have_data)" : "", nb, nc, m->min_samples);
		if (nb && nc)
			goto stats; /* show what there is, judge nothing */
		return;
	}
stats:
	twosample_mwu(c, nc, b, nb, &r->mwu);
	twosample_hl(c, nc, b, nb, confidence, &r->hl);
	twosample_ks(c, nc, b, nb, &r->ks);
	adjust(r, b, nb, c, nc, confidence);
	r->ratio = r->base.p50 != 0 ? r->cand.p50 / r->base.p50 : NAN;
	r->p99_ratio = r->base.p99 != 0 ? r->cand.p99 / r->base.p99 : NAN;
	if (r->cls == CANARY_NODATA)
		return;
	r->shift_rel = r->base.p50 != 0	     ? r->hl.estimate / fabs(r->base.p50)
		       : r->hl.estimate == 0 ? 0
		       : r->hl.estimate > 0  ? INFINITY
					     : -INFINITY;

	if (r->base.event_rate <= CANARY_SPARSE_FRACTION ||
	    r->cand.event_rate <= CANARY_SPARSE_FRACTION) {
		judge_sparse(m, alpha, r);
		return;
	}

	/* location: significant, the interval on one side of 0, the shift beyond allowed */
	side = bad_side(m->direction, r->shift_rel, m->allowed);
	if (side == CANARY_HIGH && !(r->hl_adj.ci_low > 0))
		side = -1;
	if (side == CANARY_LOW && !(r->hl_adj.ci_high < 0))
		side = -1;
	if (side >= 0 && r->mwu_p_adj < alpha) {
		r->cls = (enum canary_class)side;
		r->test = "location";
		r->critical_breach = m->critical || fabs(r->shift_rel) > m->critical_effect;
		snprintf(r->reason, sizeof(r->reason),
			 "median %s (allowed %s), %s, HL %+.4g%s%s [%.4g, %.4g]",
			 fmt_pct(r->shift_rel, s1, sizeof(s1)),
			 fmt_pct(side == CANARY_HIGH ? m->allowed : -m->allowed, s2, sizeof(s2)),
			 fmt_padj("U", r->mwu.p, r->mwu_p_adj, r->rho, s5, sizeof(s5)),
			 r->hl.estimate, *unit ? " " : "", unit, r->hl_adj.ci_low,
			 r->hl_adj.ci_high);
		return;
	}

	/*
	 * tail: the P99 (or the P1 for decrease) moved beyond allowed by more
	 * than the location shift explains (a change of spread or shape, which
	 * the rank test cannot see: Kayenta #780), KS significant
	 */
	tside = -1;
	tail_rel = 0;
	if (m->direction != CANARY_DECREASE) {
		tail_rel = rel_change(r->cand.p99 - r->hl.estimate, r->base.p99);
		if (tail_rel > m->allowed)
			tside = CANARY_HIGH;
	}
	if (tside < 0 && m->direction != CANARY_INCREASE) {
		tail_rel = rel_change(r->cand.p01 - r->hl.estimate, r->base.p01);
		if (-tail_rel > m->allowed)
			tside = CANARY_LOW;
	}
	if (tside >= 0 && r->ks_p_adj < alpha) {
		r->cls = (enum canary_class)tside;
		r->test = "tail";
		r->critical_breach = m->critical || fabs(tail_rel) > m->critical_effect;
		snprintf(r->reason, sizeof(r->reason),
			 "%s %s beyond the shift (allowed %s), median %s, KS D=%.3g %s",
			 tside == CANARY_HIGH ? "P99" : "P1", fmt_pct(tail_rel, s1, sizeof(s1)),
			 fmt_pct(tside == CANARY_HIGH ? m->allowed : -m->allowed, s2, sizeof(s2)),
			 fmt_pct(r->shift_rel, s4, sizeof(s4)), r->ks.d,
			 fmt_padj("", r->ks.p, r->ks_p_adj, r->rho, s5, sizeof(s5)) + 1);
		return;
	}
	r->cls = CANARY_PASS;
	snprintf(r->reason, sizeof(r->reason),
		 "median %s, P99 %s (allowed %.3g%%), %s, HL %+.4g%s%s [%.4g, %.4g], %s",
		 fmt_pct(r->shift_rel, s1, sizeof(s1)),
		 fmt_pct(rel_change(r->cand.p99, r->base.p99), s2, sizeof(s2)), 100 * m->allowed,
		 fmt_padj("U", r->mwu.p, r->mwu_p_adj, r->rho, s5, sizeof(s5)), r->hl.estimate,
		 *unit ? " " : "", unit, r->hl_adj.ci_low, r->hl_adj.ci_high,
		 fmt_padj("KS", r->ks.p, r->ks_p_adj, r->rho, s6, sizeof(s6)));
}

/* ---- the score ---- */

void
canary_score(const struct canary_config *cfg, const struct canary_result *r, size_t n,
	     struct canary_score *out)
{
	struct canary_group_score *g;
	double wsum = 0, ssum = 0;
	size_t i, j, ncrit = 0;
	const char *crit = NULL;

	memset(out, 0, sizeof(*out));
	out->groups = xcalloc(n + cfg->ngroups + 1, sizeof(*out->groups));
	for (i = 0; i < n; i++) {
		const struct canary_metric *m = r[i].def;
		const struct canary_group *cg = find_group(cfg, m->group);

		for (j = 0; j < out->ngroups; j++)
			if (strcmp(out->groups[j].name, m->group) == 0)
				break;
		g = &out->groups[j];
		if (j == out->ngroups) {
			out->ngroups++;
			g->name = m->group;
			g->weight = cg ? cg->weight : 1;
			g->score = NAN;
		}
		g->nmetrics++;
		switch (r[i].cls) {
		case CANARY_PASS:
			g->npass++;
			g->judged += m->weight;
			g->passed += m->weight;
			break;
		case CANARY_HIGH:
		case CANARY_LOW:
			if (r[i].cls == CANARY_HIGH)
				g->nhigh++;
			else
				g->nlow++;
			g->judged += m->weight;
			break;
		case CANARY_NODATA:
			g->nnodata++;
			if (m->must_have_data)
				g->judged += m->weight;
			break;
		}
		if (r[i].critical_breach ||
		    (r[i].cls == CANARY_NODATA && m->must_have_data && m->critical)) {
			if (!ncrit++)
				crit = m->name;
		}
	}
	for (j = 0; j < out->ngroups; j++) {
		g = &out->groups[j];
		if (g->judged > 0) {
			g->score = 100 * g->passed / g->judged;
			wsum += g->weight;
			ssum += g->weight * g->score;
		}
	}
	if (wsum == 0) {
		out->score = 0;
		snprintf(out->reason, sizeof(out->reason),
			 "nothing could be judged (no metric had data)");
	} else if (ncrit) {
		out->score = 0;
		snprintf(out->reason, sizeof(out->reason),
			 "critical: %s%s failed, so the score is 0 (the weighted score was %.4g)",
			 crit, ncrit > 1 ? " and others" : "", ssum / wsum);
	} else {
		out->score = ssum / wsum;
		snprintf(out->reason, sizeof(out->reason), "weighted score of %zu group%s",
			 out->ngroups, out->ngroups == 1 ? "" : "s");
	}
	out->verdict = out->score >= cfg->pass	     ? CANARY_V_PASS
		       : out->score >= cfg->marginal ? CANARY_V_MARGINAL
						     : CANARY_V_FAIL;
}

void
canary_score_release(struct canary_score *s)
{
	if (!s)
		return;
	free(s->groups);
	s->groups = NULL;
	s->ngroups = 0;
}

/* ---- aggregation ---- */

struct tv {
	double t, v;
};

static int
cmp_tv(const void *a, const void *b)
{
	double x = ((const struct tv *)a)->t, y = ((const struct tv *)b)->t;

	return (x > y) - (x < y);
}

size_t
canary_aggregate_mean(const double *t, const double *v, size_t n, double t0, double width,
		      double **out)
{
	struct tv *p = xcalloc(n ? n : 1, sizeof(*p));
	size_t i, k = 0, nout = 0;
	double *o;

	for (i = 0; i < n; i++)
		if (!isnan(v[i]) && !isnan(t[i])) {
			p[k].t = t[i];
			p[k].v = v[i];
			k++;
		}
	qsort(p, k, sizeof(*p), cmp_tv);
	o = xcalloc(k ? k : 1, sizeof(*o));
	for (i = 0; i < k;) {
		double slot = floor((p[i].t - t0) / width), sum = 0;
		size_t cnt = 0;

		while (i < k && floor((p[i].t - t0) / width) == slot) {
			sum += p[i].v;
			cnt++;
			i++;
		}
		o[nout++] = sum / (double)cnt;
	}
	free(p);
	*out = o;
	return nout;
}
