/*
 * promhist.c - the exporters' histogram: counting an observation is a scan
 * of a dozen bounds (cheaper than a binary search at that size), and the
 * exposition accumulates the per-bucket counts as it writes.
 */
#include "promhist.h"

size_t
promhist_bucket(const double *bounds, size_t nb, double v)
{
	size_t i;

	for (i = 0; i < nb; i++)
		if (v <= bounds[i])
			return i;
	return nb;
}

void
promhist_observe(struct promhist *h, const double *bounds, size_t nb, double v)
{
	h->n[promhist_bucket(bounds, nb, v)]++;
	h->sum += v;
	h->count++;
}

void
promhist_write(struct buf *out, const char *name, const char *labels, const struct promhist *h,
	       const double *bounds, size_t nb)
{
	const char *sep = *labels ? "," : "";
	uint64_t cum = 0;
	size_t i;

	for (i = 0; i < nb; i++) {
		cum += h->n[i];
		buf_addf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep, bounds[i],
			 (unsigned long long)cum);
	}
	buf_addf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
		 (unsigned long long)h->count);
	buf_addf(out, "%s_sum%s%s%s %.9g\n", name, *labels ? "{" : "", labels, *labels ? "}" : "",
		 h->sum);
	buf_addf(out, "%s_count%s%s%s %llu\n", name, *labels ? "{" : "", labels, *labels ? "}" : "",
		 (unsigned long long)h->count);
}
