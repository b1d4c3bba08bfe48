/*
 * canary_bench.c - the canary judge on N x N samples (DESIGN.md §7: 100,000
 * x 100,000 within 2 s) against the naive Hodges-Lehmann: materialise the
 * n*m differences and select their median (quickselect, O(n*m)).  The naive
 * way cannot hold 10^10 differences (80 GB), so it is timed on a smaller
 * M x M and scaled by (N/M)^2, which is generous to it (no cache misses of
 * an 80 GB array are counted).
 * usage: canary_bench N M      prints "judge S", "naive_small S", "naive_scaled S"
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "canary.h"
#include "twosample.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A deterministic heavy-tailed latency-like sample. */
static void
fill(double *v, size_t n, unsigned long long seed, double scale)
{
	size_t i;

	for (i = 0; i < n; i++) {
		double u;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		u = ((double)(seed >> 11) + 0.5) / 9007199254740992.0;
		v[i] = scale * (50 - 20 * log(u));
	}
}

/* k-th smallest (0-based) by quickselect, reordering v. */
static double
select_k(double *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		double p = v[lo + (hi - lo) / 2];
		size_t i = lo, j = hi;

		while (i <= j) {
			while (v[i] < p)
				i++;
			while (v[j] > p)
				j--;
			if (i <= j) {
				double t = v[i];

				v[i] = v[j];
				v[j] = t;
				i++;
				if (j)
					j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return v[k];
	}
	return v[k];
}

int
main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	size_t m = argc > 2 ? strtoul(argv[2], NULL, 10) : 4000;
	double *b = malloc(n * sizeof(*b)), *c = malloc(n * sizeof(*c)), *d, t0, t1, med;
	struct canary_config *cfg;
	struct canary_result r;
	struct mm_err err;
	size_t i, j;

	cfg = canary_load_default(&err);
	if (!cfg || !b || !c)
		return 2;
	fill(b, n, 1, 1.0);
	fill(c, n, 2, 1.1);
	t0 = now();
	canary_judge(canary_find(cfg, "latency_p95"), cfg->confidence, 1, b, n, c, n, &r);
	t1 = now();
	printf("judge %.4f\n", t1 - t0);
	printf("result %s U=%.17g p=%.3g HL=%.6g [%.6g, %.6g] KS D=%.6g p=%.3g\n",
	       canary_class_name(r.cls), r.mwu.u, r.mwu.p, r.hl.estimate, r.hl.ci_low, r.hl.ci_high,
	       r.ks.d, r.ks.p);

	/* the naive way on m x m */
	d = malloc(m * m * sizeof(*d));
	fill(b, m, 1, 1.0);
	fill(c, m, 2, 1.1);
	t0 = now();
	for (i = 0; i < m; i++)
		for (j = 0; j < m; j++)
			d[i * m + j] = c[i] - b[j];
	med = select_k(d, m * m, m * m / 2);
	t1 = now();
	printf("naive_small %.4f (m=%zu, median %.6g)\n", t1 - t0, m, med);
	printf("naive_scaled %.4f\n",
	       (t1 - t0) * ((double)n / (double)m) * ((double)n / (double)m));
	free(d);
	free(b);
	free(c);
	canary_free(cfg);
	return 0;
}
