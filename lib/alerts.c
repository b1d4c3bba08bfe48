/*
 * alerts.c - Prometheus alerting rules rendered from the gates file, their
 * time scaling for compressed runs, and the line diff `mmops alerts check`
 * prints when the committed rules drift from the rendering.  The rule text
 * is written by hand, not through libyaml's emitter, so that the committed
 * file reads like a person wrote it; every string is double-quoted and
 * escaped, and the tests parse the result with promtool.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "jsontree.h"
#include "xalloc.h"

void
alerts_opts_init(struct alerts_opts *o)
{
	o->time_scale = 1;
	o->runbook_base = NULL;
	o->source = "soak.yaml";
}

const char *
alerts_format_duration(double seconds, char *buf, size_t n)
{
	static const struct {
		const char *unit;
		long long ms;
	} units[] = {
	    {"h", 3600000},
	    {"m", 60000},
	    {"s", 1000},
	    {"ms", 1},
	};
	long long ms;
	size_t i, off = 0;

	if (!isfinite(seconds) || seconds <= 0 || seconds > 1e12)
		return NULL;
	ms = llround(seconds * 1000);
	if (ms <= 0)
		return NULL;
	buf[0] = '\0';
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		long long q = ms / units[i].ms;

		ms %= units[i].ms;
		if (q && off < n)
			off += (size_t)snprintf(buf + off, n - off, "%lld%s", q, units[i].unit);
	}
	return buf;
}

/* ---- time scaling of an expression ---- */

/*
 * A PromQL duration at s ("5m", "1h30m", "500ms"): its seconds and length.
 * 0 when there is none at s.
 */
static size_t
parse_duration(const char *s, double *seconds)
{
	static const struct {
		const char *unit;
		double s;
	} units[] = {
	    {"ms", 0.001}, {"s", 1},	  {"m", 60},	   {"h", 3600},
	    {"d", 86400},  {"w", 604800}, {"y", 31536000},
	};
	const char *p = s;
	double total = 0;

	while (isdigit((unsigned char)*p)) {
		double v = 0;
		size_t i, ul = 0;

		while (isdigit((unsigned char)*p)) {
			v = v * 10 + (*p - '0');
			if (v > 1e15)
				return 0;
			p++;
		}
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			ul = strlen(units[i].unit);
			if (strncmp(p, units[i].unit, ul) == 0 &&
			    !(ul == 1 && units[i].unit[0] == 'm' && p[1] == 's'))
				break;
		}
		if (i == sizeof(units) / sizeof(units[0]))
			return 0;
		total += v * units[i].s;
		p += ul;
	}
	if (p == s || isalnum((unsigned char)*p) || *p == '_')
		return 0;
	*seconds = total;
	return (size_t)(p - s);
}

static int
scaled_duration(const char *expr, size_t at, double k, struct buf *out, struct mm_err *err,
		size_t *len)
{
	char d[64];
	double s;

	if (!(*len = parse_duration(expr + at, &s)))
		return mm_errf(err, MM_E_CONFIG, "expression byte %zu: expected a duration",
			       at + 1);
	if (!alerts_format_duration(s / k, d, sizeof(d)))
		return mm_errf(err, MM_E_CONFIG,
			       "expression byte %zu: duration %.*s divided by %g is under 1ms",
			       at + 1, (int)*len, expr + at, k);
	buf_adds(out, d);
	return 0;
}

static size_t
skip_space(const char *e, size_t i, struct buf *out)
{
	while (e[i] == ' ' || e[i] == '\t' || e[i] == '\n' || e[i] == '\r')
		buf_addc(out, e[i++]);
	return i;
}

int
alerts_scale_expr(const char *e, double k, struct buf *out, struct mm_err *err)
{
	size_t i = 0, n;

	if (!(k > 0) || !isfinite(k))
		return mm_errf(err, MM_E_USAGE, "time scale %g is not a positive number", k);
	while (e[i]) {
		char c = e[i];

		if (c == '"' || c == '\'' || c == '`') {
			size_t start = i++;

			while (e[i] && e[i] != c) {
				if (c != '`' && e[i] == '\\' && e[i + 1])
					i++;
				i++;
			}
			if (!e[i])
				return mm_errf(err, MM_E_CONFIG,
					       "expression byte %zu: unterminated string",
					       start + 1);
			buf_add(out, e + start, ++i - start);
		} else if (c == '#') {
			/* A comment runs to the end of the line: copied as is. */
			while (e[i] && e[i] != '\n')
				buf_addc(out, e[i++]);
		} else if (c == '[') {
			/* [range] or [range:step] or [range:] */
			buf_addc(out, e[i++]);
			i = skip_space(e, i, out);
			if (scaled_duration(e, i, k, out, err, &n) < 0)
				return -1;
			i = skip_space(e, i + n, out);
			if (e[i] == ':') {
				buf_addc(out, e[i++]);
				i = skip_space(e, i, out);
				if (e[i] != ']') {
					if (scaled_duration(e, i, k, out, err, &n) < 0)
						return -1;
					i = skip_space(e, i + n, out);
				}
			}
			if (e[i] != ']')
				return mm_errf(err, MM_E_CONFIG,
					       "expression byte %zu: expected ']'", i + 1);
			buf_addc(out, e[i++]);
		} else if (isalpha((unsigned char)c) || c == '_' || c == ':') {
			size_t start = i;

			while (isalnum((unsigned char)e[i]) || e[i] == '_' || e[i] == ':')
				i++;
			buf_add(out, e + start, i - start);
			if (i - start == 6 && strncmp(e + start, "offset", 6) == 0 &&
			    (e[i] == ' ' || e[i] == '\t')) {
				i = skip_space(e, i, out);
				if (e[i] == '-')
					buf_addc(out, e[i++]);
				if (scaled_duration(e, i, k, out, err, &n) < 0)
					return -1;
				i += n;
			}
		} else {
			buf_addc(out, e[i++]);
		}
	}
	return buf_failed(out) ? mm_errf(err, MM_E_LIMIT, "scaled expression too long") : 0;
}

/* ---- the rule file ---- */

/* A YAML double-quoted scalar. */
static void
yaml_quoted(struct buf *out, const char *s)
{
	buf_addc(out, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			buf_addf(out, "\\%c", c);
		else if (c == '\n')
			buf_adds(out, "\\n");
		else if (c == '\t')
			buf_adds(out, "\\t");
		else if (c < 0x20 || c == 0x7f)
			buf_addf(out, "\\x%02x", c);
		else
			buf_addc(out, (char)c);
	}
	buf_addc(out, '"');
}

/* The threshold as written in the gates file: "150", "0.02", "2". */
static void
fmt_threshold(double v, char *b, size_t n)
{
	size_t len = jsontree_format_real(v, b, n);

	if (len > 2 && strcmp(b + len - 2, ".0") == 0)
		b[len - 2] = '\0';
}

static int
render_rule(const struct gate_def *g, const struct alerts_opts *o, struct buf *out,
	    struct mm_err *err)
{
	struct buf expr = BUF_INIT(ALERTS_MAX_OUTPUT), desc = BUF_INIT(ALERTS_MAX_OUTPUT);
	char full[8192], forb[64], th[JSONTREE_REAL_MAX], name[GATES_NAME_MAX + 1];
	const char *unit = g->sel.unit ? g->sel.unit : "";
	size_t i;
	int ret = -1;

	if (strlen(gates_alert_expr(g, full, sizeof(full))) + 1 >= sizeof(full)) {
		mm_errf(err, MM_E_CONFIG, "gate '%s': alert expression too long", g->name);
		goto out;
	}
	if (o->time_scale == 1) {
		buf_adds(&expr, full);
	} else if (alerts_scale_expr(full, o->time_scale, &expr, err) < 0) {
		char msg[MM_ERR_MSG_MAX];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		mm_errf(err, MM_E_CONFIG, "gate '%s': %s", g->name, msg);
		goto out;
	}
	if (!alerts_format_duration(g->alert.for_s / o->time_scale, forb, sizeof(forb))) {
		if (g->alert.for_s > 0) {
			mm_errf(err, MM_E_CONFIG, "gate '%s': for: %gs divided by %g is under 1ms",
				g->name, g->alert.for_s, o->time_scale);
			goto out;
		}
		snprintf(forb, sizeof(forb), "0s");
	}
	fmt_threshold(g->threshold, th, sizeof(th));
	buf_addf(&desc,
		 "Now {{ $value | printf \"%%.4g\" }}%s%s, past the %s gate %s (%s %s%s%s) "
		 "for %s.",
		 *unit ? " " : "", unit, g->hard ? "hard" : "soft", g->name, gates_op_name(g->op),
		 th, *unit ? " " : "", unit, forb);
	if (*g->description)
		buf_addf(&desc, " The gate: %s.", g->description);
	for (i = 0; g->alert.name[i] && i < GATES_NAME_MAX; i++)
		name[i] = (char)tolower((unsigned char)g->alert.name[i]);
	name[i] = '\0';

	buf_adds(out, "      - alert: ");
	buf_adds(out, g->alert.name);
	buf_adds(out, "\n        expr: ");
	yaml_quoted(out, expr.data ? expr.data : "");
	buf_addf(out,
		 "\n        for: %s\n        labels:\n          severity: %s\n          gate: %s\n"
		 "        annotations:\n          summary: ",
		 forb, g->hard ? "critical" : "warning", g->hard ? "hard" : "soft");
	yaml_quoted(out, *g->alert.summary ? g->alert.summary : g->alert.name);
	buf_adds(out, "\n          description: ");
	yaml_quoted(out, desc.data ? desc.data : "");
	buf_adds(out, "\n          runbook_url: \"");
	buf_adds(out, o->runbook_base ? o->runbook_base : ALERTS_RUNBOOK_BASE);
	buf_addf(out, "%s#%s\"\n", ALERTS_RUNBOOK_PAGE, name);
	if (buf_failed(&desc) || buf_failed(&expr)) {
		mm_errf(err, MM_E_LIMIT, "gate '%s': rule text too long", g->name);
		goto out;
	}
	ret = 0;
out:
	buf_release(&expr);
	buf_release(&desc);
	return ret;
}

int
alerts_render(const struct gate_config *cfg, const struct alerts_opts *o, struct buf *out,
	      struct mm_err *err)
{
	const char *base = o->runbook_base ? o->runbook_base : ALERTS_RUNBOOK_BASE;
	size_t i;

	if (!(o->time_scale >= 1 && o->time_scale <= ALERTS_MAX_SCALE))
		return mm_errf(err, MM_E_USAGE, "time scale %g is out of range (1 to %g)",
			       o->time_scale, ALERTS_MAX_SCALE);
	for (i = 0; base[i]; i++)
		if ((unsigned char)base[i] <= ' ' || base[i] == '"' || base[i] == '\\' ||
		    base[i] == 0x7f)
			return mm_errf(err, MM_E_USAGE, "runbook base '%s' is not a URL", base);
	buf_addf(out,
		 "# GENERATED by `mmops alerts render` from the gates file %s: do not\n"
		 "# edit.  Change a threshold or a `for:` there, then run\n"
		 "#   mmops alerts render --output deploy/prometheus/alerts_soak.yml\n"
		 "# (`mmops alerts check`, run by `make check`, fails while they differ).\n",
		 o->source ? o->source : "");
	if (o->time_scale != 1)
		buf_addf(out,
			 "# TIME-SCALED by %g for `mmops sim --speed %g`: every for: and range "
			 "window is\n# divided by %g.  Not for production.\n",
			 o->time_scale, o->time_scale, o->time_scale);
	buf_adds(out,
		 "# Hard gates (gate=\"hard\", severity critical) make `mmops watch` roll back;\n"
		 "# soft ones (gate=\"soft\", severity warning) only notify.  Metric names:\n"
		 "# docs/metrics.md; runbooks: docs/runbooks/.\n"
		 "groups:\n  - name: " ALERTS_GROUP "\n    rules:\n");
	for (i = 0; i < cfg->ngates; i++)
		if (render_rule(&cfg->gates[i], o, out, err) < 0)
			return -1;
	if (buf_failed(out))
		return mm_errf(err, MM_E_LIMIT, "the rule file is larger than %zu bytes", out->cap);
	return 0;
}

/* ---- the diff ---- */

struct lines {
	const char **p;
	size_t *len;
	size_t n;
};

static void
split_lines(const char *s, size_t n, struct lines *l)
{
	size_t i, cnt = 0, start = 0;

	for (i = 0; i < n; i++)
		if (s[i] == '\n')
			cnt++;
	cnt++;
	l->p = xcalloc(cnt, sizeof(*l->p));
	l->len = xcalloc(cnt, sizeof(*l->len));
	l->n = 0;
	for (i = 0; i <= n; i++)
		if (i == n || s[i] == '\n') {
			if (i == n && start == n)
				break; /* no empty last line after the final newline */
			l->p[l->n] = s + start;
			l->len[l->n++] = i - start;
			start = i + 1;
		}
}

static int
line_eq(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && memcmp(a->p[i], b->p[j], a->len[i]) == 0;
}

/* An edit script entry: ' ' same, '-' only in a, '+' only in b. */
struct edit {
	char op;
	size_t ai, bi;
};

static void
put_hunk(struct buf *out, const struct lines *a, const struct lines *b, const struct edit *e,
	 size_t from, size_t to)
{
	size_t k, na = 0, nb = 0;

	for (k = from; k < to; k++) {
		na += e[k].op != '+';
		nb += e[k].op != '-';
	}
	buf_addf(out, "@@ -%zu,%zu +%zu,%zu @@\n", e[from].ai + (na ? 1 : 0), na,
		 e[from].bi + (nb ? 1 : 0), nb);
	for (k = from; k < to; k++) {
		const char *p = e[k].op == '+' ? b->p[e[k].bi] : a->p[e[k].ai];
		size_t len = e[k].op == '+' ? b->len[e[k].bi] : a->len[e[k].ai];

		buf_addc(out, e[k].op);
		buf_add(out, p, len);
		buf_addc(out, '\n');
	}
}

size_t
alerts_diff(const char *a, size_t alen, const char *aname, const char *b, size_t blen,
	    const char *bname, struct buf *out)
{
	struct lines la, lb;
	struct edit *e = NULL;
	size_t *lcs = NULL, i, j, ne = 0, changed = 0, k;

	split_lines(a, alen, &la);
	split_lines(b, blen, &lb);
	buf_addf(out, "--- %s\n+++ %s\n", aname, bname);
	if (la.n > ALERTS_DIFF_MAX_LINES || lb.n > ALERTS_DIFF_MAX_LINES) {
		for (i = 0; i < la.n && i < lb.n && line_eq(&la, i, &lb, i); i++)
			;
		if (i < la.n || i < lb.n) {
			buf_addf(out, "@@ first difference at line %zu @@\n", i + 1);
			changed = 1;
		}
		goto out;
	}
	/* lcs[i][j]: length of the longest common subsequence of a[i..], b[j..]. */
	lcs = xcalloc((la.n + 1) * (lb.n + 1), sizeof(*lcs));
#define LCS(i_, j_) lcs[(i_) * (lb.n + 1) + (j_)]
	for (i = la.n; i-- > 0;)
		for (j = lb.n; j-- > 0;)
			LCS(i, j) = line_eq(&la, i, &lb, j)	     ? LCS(i + 1, j + 1) + 1
				    : LCS(i + 1, j) >= LCS(i, j + 1) ? LCS(i + 1, j)
								     : LCS(i, j + 1);
	e = xcalloc(la.n + lb.n + 1, sizeof(*e));
	for (i = j = 0; i < la.n || j < lb.n;) {
		if (i < la.n && j < lb.n && line_eq(&la, i, &lb, j)) {
			e[ne++] = (struct edit){' ', i++, j++};
		} else if (i < la.n && (j == lb.n || LCS(i + 1, j) >= LCS(i, j + 1))) {
			e[ne++] = (struct edit){'-', i++, j};
			changed++;
		} else {
			e[ne++] = (struct edit){'+', i, j++};
			changed++;
		}
	}
#undef LCS
	if (!changed && (alen != blen || memcmp(a, b, alen) != 0)) {
		/* The same lines; only the final newline differs. */
		buf_addf(out, "@@ -%zu +%zu @@\n\\ No newline at end of %s\n", la.n, lb.n,
			 alen < blen ? aname : bname);
		changed = 1;
	}
	/* Hunks: changes with up to three lines of context, merged when close. */
	for (k = 0; k < ne;) {
		size_t from, to, last;

		while (k < ne && e[k].op == ' ')
			k++;
		if (k == ne)
			break;
		from = k >= 3 ? k - 3 : 0;
		last = k;
		for (to = k; to < ne; to++) {
			if (e[to].op != ' ')
				last = to;
			else if (to - last > 6)
				break;
		}
		to = last + 4 < ne ? last + 4 : ne;
		put_hunk(out, &la, &lb, e, from, to);
		k = to;
	}
out:
	free(lcs);
	free(e);
	free(la.p);
	free(la.len);
	free(lb.p);
	free(lb.len);
	return changed;
}
