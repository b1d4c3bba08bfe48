/*
 * golden_gen.c - writes the pair of JSON reports bench/golden.sh compares:
 * a baseline and an "actual" copy of it in which some floats moved by less
 * than the tolerance (1e-12) and a handful of values really drifted (one
 * in DRIFT_EVERY records: a changed price, a missing key, an extra key, a
 * type change).  The shape is an edge report as the bot writes it: a meta
 * header, per-symbol summaries and a long list of fills, pretty-printed with
 * two-space indents like Python's json.dump(indent=2).  Deterministic: the
 * same arguments give byte-identical files.
 *
 * With "reorder", the actual file lists each fill's keys in reverse order
 * (as another JSON writer might), which golden compare must not count as
 * drift: that exercises its by-key path instead of the lockstep one.
 *
 * usage: golden_gen BASELINE ACTUAL [MEGABYTES (50)] [SEED (1)] [reorder]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define DRIFT_EVERY 20011 /* a prime, so drift kinds rotate */

static uint64_t rng_state;
static int reorder; /* write the actual file's fill keys in reverse order */

static uint64_t
rng(void)
{
	/* splitmix64: tiny, deterministic, good enough for test data */
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static double
unif(void)
{
	return (double)(rng() >> 11) / 9007199254740992.0;
}

static const char *const symbols[] = {"BTC-USDT",  "ETH-USDT", "SOL-USDT",  "XRP-USDT",
				      "DOGE-USDT", "ADA-USDT", "AVAX-USDT", "LINK-USDT"};
#define NSYM (sizeof(symbols) / sizeof(symbols[0]))

struct out {
	FILE *f;
	const char *path;
};

static void
put2(struct out *a, struct out *b, const char *s)
{
	fputs(s, a->f);
	fputs(s, b->f);
}

#define NFIELDS 12

/* Write one fill's fields to f in the order given, as a pretty-printed object. */
static void
put_fill(FILE *f, char field[NFIELDS][256], const int *order, int last)
{
	int i, n = 0, k;

	for (i = 0; i < NFIELDS; i++)
		if (field[order[i]][0])
			n++;
	fputs("    {\n", f);
	for (i = 0, k = 0; i < NFIELDS; i++) {
		if (!field[order[i]][0])
			continue;
		fprintf(f, "      %s%s\n", field[order[i]], ++k < n ? "," : "");
	}
	fprintf(f, "    }%s\n", last ? "" : ",");
}

static void
fill(struct out *base, struct out *act, unsigned long i, int last)
{
	static const int in_order[NFIELDS] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
	static const int reversed[NFIELDS] = {11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
	char b[NFIELDS][256], a[NFIELDS][256];
	const char *sym = symbols[rng() % NSYM];
	double price = 100.0 + unif() * 60000.0, qty = unif() * 3.0, edge = unif() * 6.0 - 1.0;
	int drift = i % DRIFT_EVERY == DRIFT_EVERY - 1 ? (int)((i / DRIFT_EVERY) % 4) + 1 : 0;
	unsigned long ms = 1714564800000UL + i * 137UL;
	int f;

	snprintf(b[0], sizeof(b[0]), "\"id\": %lu", i);
	snprintf(b[1], sizeof(b[1]), "\"ts\": \"2024-05-01T%02lu:%02lu:%02lu.%03luZ\"",
		 (ms / 3600000) % 24, (ms / 60000) % 60, (ms / 1000) % 60, ms % 1000);
	snprintf(b[2], sizeof(b[2]), "\"symbol\": \"%s\"", sym);
	snprintf(b[3], sizeof(b[3]), "\"side\": \"%s\"", rng() & 1 ? "buy" : "sell");
	snprintf(b[4], sizeof(b[4]), "\"price\": %.8f", price);
	snprintf(b[5], sizeof(b[5]), "\"qty\": %.6f", qty);
	snprintf(b[6], sizeof(b[6]), "\"edge_bps\": %.17g", edge);
	snprintf(b[7], sizeof(b[7]),
		 "\"fees\": {\n        \"maker\": %.6f,\n        \"taker\": %.6f\n      }",
		 -0.0001 * unif(), 0.0004 * unif());
	snprintf(b[8], sizeof(b[8]),
		 "\"latency_ms\": [\n        %.3f,\n        %.3f,\n        %.3f\n      ]",
		 unif() * 20, unif() * 50, unif() * 150);
	snprintf(b[9], sizeof(b[9]), "\"maker\": %s", rng() % 10 ? "true" : "false");
	snprintf(b[10], sizeof(b[10]), "\"note\": null");
	b[11][0] = '\0';
	for (f = 0; f < NFIELDS; f++)
		memcpy(a[f], b[f], sizeof(a[f]));
	/* Floats re-computed by the new build: off by far less than the tolerance. */
	if (i % 3 == 0)
		snprintf(a[6], sizeof(a[6]), "\"edge_bps\": %.17g", edge + 1e-12);
	/* One real drift every DRIFT_EVERY fills, of four kinds in turn. */
	if (drift == 1)
		snprintf(a[4], sizeof(a[4]), "\"price\": %.8f", price * 1.001);
	else if (drift == 2)
		a[9][0] = '\0'; /* the new build dropped "maker" */
	else if (drift == 3)
		snprintf(a[11], sizeof(a[11]), "\"venue\": \"x\"");
	else if (drift == 4)
		snprintf(a[9], sizeof(a[9]), "\"maker\": \"true\"");
	put_fill(base->f, b, in_order, last);
	put_fill(act->f, a, reorder ? reversed : in_order, last);
}

int
main(int argc, char **argv)
{
	struct out base, act;
	unsigned long i, n, mb = 50;
	char *end;

	if (argc < 3 || argc > 6) {
		fprintf(stderr, "usage: golden_gen BASELINE ACTUAL [MEGABYTES] [SEED] [reorder]\n");
		return 2;
	}
	if (argc > 3) {
		errno = 0;
		mb = strtoul(argv[3], &end, 10);
		if (errno || *end || mb == 0 || mb > 4096) {
			fprintf(stderr, "golden_gen: bad size '%s'\n", argv[3]);
			return 2;
		}
	}
	rng_state = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
	reorder = argc > 5 && strcmp(argv[5], "reorder") == 0;
	base.path = argv[1];
	act.path = argv[2];
	base.f = fopen(base.path, "w");
	act.f = fopen(act.path, "w");
	if (!base.f || !act.f) {
		fprintf(stderr, "golden_gen: cannot write: %s\n", strerror(errno));
		return 3;
	}
	/* about 410 bytes per fill */
	n = mb * 1000000UL / 410;
	put2(&base, &act,
	     "{\n"
	     "  \"report\": \"edge\",\n"
	     "  \"schema\": 3,\n"
	     "  \"run\": {\n"
	     "    \"commit\": \"4f6c2a9e\",\n"
	     "    \"seed\": 18446744073709551617,\n"
	     "    \"hours\": 72\n"
	     "  },\n"
	     "  \"summary\": {\n");
	for (i = 0; i < NSYM; i++) {
		char s[256];

		snprintf(s, sizeof(s),
			 "    \"%s\": {\n      \"edge_bps_ema1h\": %.10f,\n      "
			 "\"edge_bps_ema24h\": %.10f,\n"
			 "      \"fills\": %lu\n    }%s\n",
			 symbols[i], 2.0 + unif(), 2.0 + unif(), n / NSYM, i + 1 < NSYM ? "," : "");
		put2(&base, &act, s);
	}
	put2(&base, &act, "  },\n  \"fills\": [\n");
	for (i = 0; i < n; i++)
		fill(&base, &act, i, i + 1 == n);
	put2(&base, &act, "  ]\n}\n");
	if (fclose(base.f) != 0 || fclose(act.f) != 0) {
		fprintf(stderr, "golden_gen: write failed: %s\n", strerror(errno));
		return 3;
	}
	return 0;
}
