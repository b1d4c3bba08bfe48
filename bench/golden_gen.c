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
 * usage: golden_gen BASELINE ACTUAL [MEGABYTES (50)] [SEED (1)]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DRIFT_EVERY 20011	/* a prime, so drift kinds rotate */

static uint64_t rng_state;

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

static const char *const symbols[] = { "BTC-USDT", "ETH-USDT", "SOL-USDT", "XRP-USDT",
				       "DOGE-USDT", "ADA-USDT", "AVAX-USDT", "LINK-USDT" };
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

static void
fill(struct out *base, struct out *act, unsigned long i, int last)
{
	char common[512], tail[256];
	const char *sym = symbols[rng() % NSYM];
	double price = 100.0 + unif() * 60000.0, qty = unif() * 3.0, edge = unif() * 6.0 - 1.0;
	double pa = price, ea = edge;
	int drift = i % DRIFT_EVERY == DRIFT_EVERY - 1 ? (int)((i / DRIFT_EVERY) % 4) + 1 : 0;
	unsigned long ms = 1714564800000UL + i * 137UL;

	/* Floats re-computed by the new build: off by far less than the tolerance. */
	if (i % 3 == 0)
		ea = edge + 1e-12;
	if (drift == 1)
		pa = price * 1.001;
	snprintf(common, sizeof(common),
		 "    {\n"
		 "      \"id\": %lu,\n"
		 "      \"ts\": \"2024-05-01T%02lu:%02lu:%02lu.%03luZ\",\n"
		 "      \"symbol\": \"%s\",\n"
		 "      \"side\": \"%s\",\n",
		 i, (ms / 3600000) % 24, (ms / 60000) % 60, (ms / 1000) % 60, ms % 1000, sym,
		 rng() & 1 ? "buy" : "sell");
	put2(base, act, common);
	fprintf(base->f, "      \"price\": %.8f,\n", price);
	fprintf(act->f, "      \"price\": %.8f,\n", pa);
	snprintf(common, sizeof(common), "      \"qty\": %.6f,\n", qty);
	put2(base, act, common);
	fprintf(base->f, "      \"edge_bps\": %.17g,\n", edge);
	fprintf(act->f, "      \"edge_bps\": %.17g,\n", ea);
	snprintf(common, sizeof(common),
		 "      \"fees\": {\n"
		 "        \"maker\": %.6f,\n"
		 "        \"taker\": %.6f\n"
		 "      },\n"
		 "      \"latency_ms\": [\n"
		 "        %.3f,\n"
		 "        %.3f,\n"
		 "        %.3f\n"
		 "      ],\n",
		 -0.0001 * unif(), 0.0004 * unif(), unif() * 20, unif() * 50, unif() * 150);
	put2(base, act, common);
	snprintf(tail, sizeof(tail), "      \"maker\": %s,\n      \"note\": null\n    }%s\n",
		 rng() % 10 ? "true" : "false", last ? "" : ",");
	if (drift == 2) {
		/* the new build dropped "maker" */
		fputs(tail, base->f);
		fprintf(act->f, "      \"note\": null\n    }%s\n", last ? "" : ",");
	} else if (drift == 3) {
		fputs(tail, base->f);
		fprintf(act->f, "      \"maker\": true,\n      \"note\": null,\n      \"venue\": \"x\"\n    }%s\n",
			last ? "" : ",");
	} else if (drift == 4) {
		fputs(tail, base->f);
		fprintf(act->f, "      \"maker\": \"true\",\n      \"note\": null\n    }%s\n", last ? "" : ",");
	} else {
		put2(base, act, tail);
	}
}

int
main(int argc, char **argv)
{
	struct out base, act;
	unsigned long i, n, mb = 50;
	char *end;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: golden_gen BASELINE ACTUAL [MEGABYTES] [SEED]\n");
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
			 "    \"%s\": {\n      \"edge_bps_ema1h\": %.10f,\n      \"edge_bps_ema24h\": %.10f,\n"
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
