/*
 * fuzz_canary.c - the canary config loader (lib/canary) and the two-sample
 * statistics (lib/twosample) on arbitrary input.  The first byte picks:
 *   even  the bytes after it are a canary.yaml: no crash or leak; a refusal
 *         says what and where; what loads is consistent (confidence in
 *         [0.5, 1), aggregate > 0, 0 <= marginal <= pass <= 100, unique
 *         metric names, allowed <= critical_effect, a histogram's quantile
 *         in (0, 1), weights > 0, every group listed when groups are given)
 *   odd   the bytes are two samples of doubles (split at the second byte):
 *         p-values in [0, 1], U in [0, n*m], D in [0, 1], the
 *         Hodges-Lehmann interval around its estimate, and every order
 *         statistic of the differences equal to the brute-force one
 * Any broken property aborts, so libFuzzer keeps the input.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "canary.h"
#include "twosample.h"

static void
check_config(const struct canary_config *c)
{
	size_t i, j;

	if (!(c->confidence >= 0.5 && c->confidence < 1) || !(c->aggregate > 0) ||
	    !(c->marginal >= 0 && c->marginal <= c->pass && c->pass <= 100))
		abort();
	for (i = 0; i < c->nmetrics; i++) {
		const struct canary_metric *m = &c->metrics[i];
		int listed = !c->ngroups;

		if (!*m->name || !(m->allowed >= 0) || m->critical_effect < m->allowed ||
		    !(m->weight > 0) || m->min_samples < 1 || !(m->sel.scale > 0))
			abort();
		if (m->sel.type == MTYPE_HISTOGRAM && !(m->quantile > 0 && m->quantile < 1))
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(c->metrics[j].name, m->name) == 0)
				abort();
		for (j = 0; j < c->ngroups; j++)
			if (strcmp(c->groups[j].name, m->group) == 0)
				listed = 1;
		if (!listed)
			abort();
	}
}

static int
cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
check_stats(const uint8_t *data, size_t size)
{
	size_t n = 0, m = 0, split, i, j;
	double x[64], y[64], d[64 * 64];
	struct mwu_result u;
	struct hl_result h;
	struct ks_result k;

	if (size < 2)
		return;
	split = 2 + (size_t)data[1] % 64 * 2;
	/* values from pairs of bytes: small integers and halves, so ties happen */
	for (i = 2; i + 1 < size && n + m < 128; i += 2) {
		double v = (double)(int8_t)data[i] + (data[i + 1] & 1) * 0.5;

		if (i < split && n < 64)
			x[n++] = v;
		else if (m < 64)
			y[m++] = v;
	}
	twosample_sort(x, n);
	twosample_sort(y, m);
	twosample_mwu(x, n, y, m, &u);
	twosample_ks(x, n, y, m, &k);
	twosample_hl(x, n, y, m, 0.9, &h);
	if (!n || !m) {
		if (!isnan(u.p) || !isnan(k.p) || !isnan(h.estimate))
			abort();
		return;
	}
	if (!(u.p >= 0 && u.p <= 1) || !(u.u >= 0 && u.u <= (double)(n * m)))
		abort();
	if (!(k.p >= 0 && k.p <= 1) || !(k.d >= 0 && k.d <= 1))
		abort();
	if (!(h.ci_low <= h.estimate && h.estimate <= h.ci_high))
		abort();
	for (i = 0; i < n; i++)
		for (j = 0; j < m; j++)
			d[i * m + j] = x[i] - y[j];
	qsort(d, n * m, sizeof(*d), cmpd);
	/* every order statistic of small inputs, a spread of 32 of larger ones */
	for (i = 1; i <= n * m; i += n * m <= 256 ? 1 : n * m / 32)
		if (twosample_diff_select(x, n, y, m, i) != d[i - 1])
			abort();
	if (twosample_diff_select(x, n, y, m, n * m) != d[n * m - 1])
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mm_err err;
	struct canary_config *c;

	if (!size)
		return 0;
	if (data[0] & 1) {
		check_stats(data, size);
		return 0;
	}
	mm_err_init(&err);
	c = canary_loadb((const char *)data + 1, size - 1, "fuzz.yaml", &err);
	if (!c) {
		if (!err.msg[0] || err.code == MM_E_OK)
			abort();
		return 0;
	}
	check_config(c);
	canary_free(c);
	return 0;
}
