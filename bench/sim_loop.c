/*
 * sim_loop.c - the loop `mmops soak --mock` runs, timed in its three parts:
 * 72 simulated hours at 1 s steps (259,200 steps) of sim_advance, then as
 * many sim_render calls, then as many promtext parses of the rendered
 * exposition.  Prints each part's total and per-call time.
 * usage: sim_loop [STEPS]
 */
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "clock.h"
#include "promtext.h"
#include "sim.h"

int
main(int argc, char **argv)
{
	long steps = argc > 1 ? strtol(argv[1], NULL, 10) : 259200, i;
	struct sim_config cfg = {0};
	struct buf b = BUF_INIT(1 << 20);
	struct mm_err err;
	struct sim *s;
	double t0, t1, t2, t3;
	size_t n = 0;

	cfg.seed = 1;
	if (steps <= 0 || !(s = sim_new(&cfg, &err)))
		return 2;
	t0 = clock_mono();
	for (i = 0; i < steps; i++)
		sim_advance(s, 1);
	t1 = clock_mono();
	for (i = 0; i < steps; i++) {
		buf_reset(&b);
		sim_render(s, &b);
	}
	t2 = clock_mono();
	for (i = 0; i < steps; i++) {
		struct promtext p;
		struct prom_sample x;

		promtext_init(&p, b.data, b.len, "sim", 0);
		while (promtext_next(&p, &x, &err) == 1)
			n++;
		promtext_release(&p);
	}
	t3 = clock_mono();
	printf(
	    "steps %ld: advance %.3f s, render %.3f s (%.2f us, %zu bytes), parse %.3f s (%.2f us, "
	    "%zu samples), total %.3f s\n",
	    steps, t1 - t0, t2 - t1, (t2 - t1) / (double)steps * 1e6, b.len, t3 - t2,
	    (t3 - t2) / (double)steps * 1e6, n / (size_t)steps, t3 - t0);
	buf_release(&b);
	sim_free(s);
	return 0;
}
