/*
 * opt.h - the option tables every command parses with and prints its help
 * from, so that --help and the parser cannot drift (curl's aliases[]).
 */
#ifndef MM_OPT_H
#define MM_OPT_H

#include <stddef.h>

enum opt_type {
	OPT_BOOL,     /* --flag: int *dst = 1 */
	OPT_STRING,   /* --name VALUE or --name=VALUE: const char **dst (borrowed from argv) */
	OPT_DOUBLE,   /* double *dst, any finite number */
	OPT_LONG,     /* long *dst, range-checked against min..max */
	OPT_DURATION, /* double *dst seconds, "15m", "72h", "1h30m" */
	OPT_LIST,     /* repeatable: struct strlist *dst collects every value */
};

struct strlist {
	const char **v; /* borrowed from argv; the array itself is owned: strlist_release() */
	size_t n;
};
void strlist_release(struct strlist *l);

struct opt {
	const char *name; /* long name without the dashes */
	char shortopt;	  /* 0 for none */
	enum opt_type type;
	void *dst;
	const char *metavar; /* shown in help: "FILE", "N" */
	const char *help;    /* one line; say the default here */
	long min, max;	     /* OPT_LONG only */
};

struct cmd_help {
	const char *name;	/* "golden", "readiness score" */
	const char *synopsis;	/* "--baseline FILE --actual FILE [options]" */
	const char *about;	/* one paragraph */
	const struct opt *opts; /* terminated by { NULL } */
	const char *examples;	/* optional, printed verbatim */
};

/*
 * Parse argv[1..argc) against h->opts.  Positional arguments are collected
 * (in order) into pos, which must have room for argc entries; *npos gets
 * their count.  "--" ends the options.  Returns 0 on success, 1 when --help
 * was asked for (help printed to stdout), 2 after printing a usage error to
 * stderr ("mmops golden: unknown option '--x'" and a hint).
 */
int opt_parse(const struct cmd_help *h, int argc, char **argv, const char **pos, int *npos);

/* Print the help of a command to stdout. */
void opt_print_help(const struct cmd_help *h);

/* Print "mmops NAME: MSG" and the --help hint to stderr; returns 2. */
int opt_usage_error(const struct cmd_help *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
