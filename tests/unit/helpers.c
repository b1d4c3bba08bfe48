/*
 * helpers.c - the fixtures that several unit tests need word for word:
 * removing a test's temp directory tree, and starting a stub HTTP server on
 * a free 127.0.0.1 port (the stand-in for the bot's admin API and for the
 * webhook targets).  Linked into every unit test binary.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "xalloc.h"

void
helper_rm_rf(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR)
			helper_rm_rf(p);
		else
			unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

struct httpd *
helper_stub_start(httpd_handler_fn handler, void *ctx, int *port)
{
	struct httpd_config c;
	struct mm_err err;
	struct httpd *h;

	memset(&c, 0, sizeof(c));
	c.listen = "127.0.0.1:0";
	c.threads = 4;
	c.handler = handler;
	c.ctx = ctx;
	h = httpd_start(&c, &err);
	assert_non_null(h);
	*port = httpd_port(h);
	return h;
}
