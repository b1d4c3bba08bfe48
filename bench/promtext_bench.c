/*
 * promtext_bench.c - time lib/promtext over one exposition file: read it
 * once, parse it N times (default 5), print the best run as
 * "promtext: BYTES bytes SAMPLES samples BEST_S s MB_S MB/s" for
 * bench/promtext.sh to compare with promtool and the Python client.
 * Every sample's value is summed so the work cannot be optimised away.
 */
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "clock.h"
#include "promtext.h"

int
main(int argc, char **argv)
{
	struct buf b = BUF_INIT((size_t)1 << 30);
	struct mm_err err;
	double best = 1e9, sum = 0;
	size_t n = 0;
	int runs = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 5, i;

	if (argc < 2) {
		fprintf(stderr, "usage: promtext_bench FILE [RUNS]\n");
		return 2;
	}
	if (buf_read_file(&b, argv[1], &err) < 0) {
		fprintf(stderr, "promtext_bench: %s\n", err.msg);
		return 2;
	}
	for (i = 0; i < (runs > 0 ? runs : 1); i++) {
		struct promtext p;
		struct prom_sample s;
		double t0 = clock_mono(), dt;
		int r;

		n = 0;
		promtext_init(&p, b.data, b.len, argv[1], 0);
		while ((r = promtext_next(&p, &s, &err)) == 1) {
			sum += s.value + (double)s.nlabels;
			n++;
		}
		promtext_release(&p);
		if (r < 0) {
			char msg[1024];

			fprintf(stderr, "promtext_bench: %s\n",
				mm_err_format(&err, msg, sizeof(msg)));
			return 1;
		}
		dt = clock_mono() - t0;
		if (dt < best)
			best = dt;
	}
	printf("promtext: %zu bytes %zu samples %.6f s %.1f MB/s (checksum %g)\n", b.len, n, best,
	       (double)b.len / best / 1e6, sum);
	buf_release(&b);
	return 0;
}
