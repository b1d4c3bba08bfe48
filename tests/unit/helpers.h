/*
 * helpers.h - fixtures shared by more than one unit test binary (the
 * Makefile links helpers.o into every tests/unit/test_* binary).  They
 * assert with cmocka, so they are only for use inside a cmocka test or
 * fixture.
 */
#ifndef MM_TEST_HELPERS_H
#define MM_TEST_HELPERS_H

#include "httpd.h"

/* Remove dir and everything below it (a test's own mkdtemp directory). */
void helper_rm_rf(const char *dir);

/*
 * Start a stub HTTP server on 127.0.0.1 at a free port, with 4 threads,
 * calling handler(req, resp, ctx) for every request; fails the test when it
 * cannot start.  Sets *port to the bound port; httpd_stop() ends it.
 */
struct httpd *helper_stub_start(httpd_handler_fn handler, void *ctx, int *port);

#endif
