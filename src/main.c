/*
 * main.c - mmops' entry point: one table of commands, dispatched git-style.
 * `mmops help CMD` and `mmops CMD --help` both print the command's own table.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	int daemon; /* long-running and networked: SIGPIPE must never kill it */
	const char *about;
};

static const struct cmd cmds[] = {
    {"soak", cmd_soak, 1, "run a soak test (live or compressed) and judge its gates"},
    {"golden", cmd_golden, 0, "compare a JSON report with its golden file"},
    {"readiness", cmd_readiness, 0, "score release readiness and validate readiness.json"},
    {"watch", cmd_watch, 1, "rollback watcher: Alertmanager webhook to rollback actions"},
    {"scrape", cmd_scrape, 0, "fetch or read a Prometheus exposition and show what mmops sees"},
    {"canary", cmd_canary, 0,
     "judge a candidate release against its baseline (U, Hodges-Lehmann, KS)"},
    {"sim", cmd_sim, 1, "simulated market maker: /metrics, admin API, faults, edge report"},
    {"alerts", cmd_alerts, 0, "render the Prometheus alert rules from the gates; check them"},
    {"grafana", cmd_grafana, 0,
     "dashboards as code: export, import, diff and lint against Grafana"},
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp,
		"usage: mmops [--version] [--help] <command> [<args>]\n\n"
		"mmops is the release-safety toolkit of a market-making bot: soak tests with\n"
		"gates, golden regression, release readiness and an automatic rollback watcher.\n\n"
		"commands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(fp, "  %-11s %s\n", cmds[i].name, cmds[i].about);
	fprintf(fp,
		"\n'mmops help <command>' or 'mmops <command> --help' shows a command's options.\n"
		"exit codes: 0 ok, 1 negative verdict (gate failed, drift, HOLD), 2 usage or bad\n"
		"input, 3 runtime failure (network, upstream, I/O).\n");
}

static const struct cmd *
find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

static int
unknown(const char *name)
{
	size_t i, best = NCMDS;

	fprintf(stderr, "mmops: '%s' is not a command\n", name);
	/* Suggest a command sharing the first letters, as git does for typos. */
	for (i = 0; i < NCMDS; i++)
		if (strncmp(cmds[i].name, name, 2) == 0)
			best = i;
	if (best < NCMDS)
		fprintf(stderr, "hint: did you mean 'mmops %s'?\n", cmds[best].name);
	else
		fprintf(stderr, "hint: see 'mmops --help'\n");
	return 2;
}

int
main(int argc, char **argv)
{
	const struct cmd *c;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("mmops %s\n", MMOPS_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0) {
		char *hargv[8];
		int i, n = 0;

		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		if (!(c = find_cmd(argv[2])))
			return unknown(argv[2]);
		/* "mmops help readiness score" is "mmops readiness score --help". */
		for (i = 2; i < argc && n < 6; i++)
			hargv[n++] = argv[i];
		hargv[n++] = (char *)"--help";
		hargv[n] = NULL;
		return c->fn(n, hargv);
	}
	if (argv[1][0] == '-') {
		fprintf(stderr, "mmops: unknown option '%s'\nhint: see 'mmops --help'\n", argv[1]);
		return 2;
	}
	if (!(c = find_cmd(argv[1])))
		return unknown(argv[1]);
	/*
	 * A daemon's peer closing a socket or pipe must surface as EPIPE, not
	 * kill it.  A filter (golden, readiness, scrape) keeps the default, so
	 * `mmops golden ... | head` ends quietly, as cat or jq would.
	 */
	if (c->daemon)
		signal(SIGPIPE, SIG_IGN);
	return c->fn(argc - 1, argv + 1);
}
