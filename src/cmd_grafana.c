/*
 * cmd_grafana.c - `mmops grafana export | import | diff | lint`: the
 * dashboards of deploy/grafana/dashboards/ kept in sync with a live Grafana
 * (SEED.md "Grafana Export Tool", tools/ops/grafana_export.py).  The API
 * client and the linter are lib/grafana.c and lib/grafana_lint.c; here are
 * the options, the credentials, the output and the exit codes:
 *   0 done (exported, imported or unchanged, no drift, lint clean)
 *   1 drift (diff), lint problems, or an import refused because the
 *     dashboard changed on the server (412) and --overwrite was not given
 *   2 usage, an unreadable or malformed file
 *   3 network, TLS, timeouts and every other Grafana error (401, 403, 404, 5xx)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "cmds.h"
#include "err.h"
#include "atomicfile.h"
#include "gates.h"
#include "golden.h"
#include "grafana.h"
#include "jsonpull.h"
#include "jsontree.h"
#include "opt.h"
#include "xalloc.h"

#define DRIFT_VALUE_MAX	   72 /* bytes of a value shown in a drift line */
#define DEFAULT_GATES_NAME "deploy/gates/soak.yaml (built-in copy)"

/* Options; reset before every parse. */
static const char *url, *token_file, *basic_file, *ca_file, *uid, *output, *input, *folder_uid,
    *message, *gates_path;
static double timeout_s;
static int all, overwrite, dry_run, no_gates;
static long page_size, base_version;

static void
reset_options(void)
{
	url = token_file = basic_file = ca_file = uid = output = input = folder_uid = NULL;
	message = gates_path = NULL;
	timeout_s = 10;
	all = overwrite = dry_run = no_gates = 0;
	page_size = GRAFANA_SEARCH_LIMIT;
	base_version = -1;
}

/* The connection options every subcommand that talks to Grafana takes. */
/* clang-format off */
#define CONN_OPTS \
	{"url", 0, OPT_STRING, &url, "URL", "Grafana's address, e.g. http://grafana:3000 (required)", 0, 0}, \
	{"token-file", 0, OPT_STRING, &token_file, "FILE", \
	 "read the API / service account token from FILE (default: $GRAFANA_TOKEN)", 0, 0}, \
	{"basic-auth-file", 0, OPT_STRING, &basic_file, "FILE", \
	 "read 'user:password' for basic auth from FILE", 0, 0}, \
	{"ca-file", 0, OPT_STRING, &ca_file, "FILE", \
	 "verify Grafana's TLS certificate with this PEM bundle (default: the system's)", 0, 0}, \
	{"timeout", 0, OPT_DURATION, &timeout_s, "DUR", "give up on a request after DUR (default 10s)", 0, 0}
/* clang-format on */

static const struct opt export_opts[] = {
    CONN_OPTS,
    {"uid", 0, OPT_STRING, &uid, "UID", "the dashboard to export (or --all)", 0, 0},
    {"output", 'o', OPT_STRING, &output, "FILE",
     "where to write it, '-' for stdout; with --all a directory (required)", 0, 0},
    {"all", 0, OPT_BOOL, &all, NULL,
     "every dashboard /api/search lists: DIR/UID.json and its folder uid in DIR/UID.folder", 0, 0},
    {"page-size", 0, OPT_LONG, &page_size, "N", "dashboards per search page (default 1000)", 1,
     5000},
    {NULL, 0, 0, NULL, NULL, NULL, 0, 0},
};

static const struct opt import_opts[] = {
    CONN_OPTS,
    {"input", 'i', OPT_STRING, &input, "FILE", "the dashboard file (required)", 0, 0},
    {"folder-uid", 0, OPT_STRING, &folder_uid, "UID",
     "the folder to save into (default: FILE's .folder beside it, else where the dashboard is "
     "now, else General)",
     0, 0},
    {"message", 'm', OPT_STRING, &message, "TEXT", "the version's message in Grafana's history", 0,
     0},
    {"overwrite", 0, OPT_BOOL, &overwrite, NULL,
     "replace the dashboard even when it changed on the server", 0, 0},
    {"expect-version", 0, OPT_LONG, &base_version, "N",
     "refuse unless the live dashboard is still at version N (as diff or --dry-run showed)", 0,
     1000000000},
    {"dry-run", 'n', OPT_BOOL, &dry_run, NULL, "print what would change and write nothing", 0, 0},
    {NULL, 0, 0, NULL, NULL, NULL, 0, 0},
};

static const struct opt diff_opts[] = {
    CONN_OPTS,
    {"uid", 0, OPT_STRING, &uid, "UID", "the live dashboard (default: the file's uid)", 0, 0},
    {"input", 'i', OPT_STRING, &input, "FILE", "the dashboard file (required)", 0, 0},
    {NULL, 0, 0, NULL, NULL, NULL, 0, 0},
};

static const struct opt lint_opts[] = {
    {"gates", 0, OPT_STRING, &gates_path, "FILE",
     "metric contract and thresholds (default: the built-in copy of deploy/gates/soak.yaml)", 0, 0},
    {"no-gates", 0, OPT_BOOL, &no_gates, NULL,
     "skip the metric contract and threshold checks (a dashboard of another system)", 0, 0},
    {NULL, 0, 0, NULL, NULL, NULL, 0, 0},
};

static const struct cmd_help export_help = {
    "grafana export",
    "--url URL (--uid UID --output FILE | --all --output DIR) [options]",
    "GET /api/health, then GET /api/dashboards/uid/UID, and write the dashboard object\n"
    "without what the server changes on every save (id, version, iteration): sorted keys,\n"
    "two-space indent, written atomically, so an unchanged dashboard exports to the same\n"
    "bytes.  --all exports every dashboard GET /api/search?type=dash-db lists (paged).\n"
    "Credentials: $GRAFANA_TOKEN (Bearer), --token-file or --basic-auth-file; never argv.\n"
    "Exit codes: 0 written, 2 usage, 3 network or Grafana error (401, 403, 404, 5xx).",
    export_opts,
    "  GRAFANA_TOKEN=<token> mmops grafana export --url http://grafana:3000 \\\n"
    "    --uid mm-operability --output deploy/grafana/dashboards/mm_operability.json\n"
    "  mmops grafana export --url https://grafana.example --token-file ~/.grafana-token \\\n"
    "    --all --output backup/\n",
};

static const struct cmd_help import_help = {
    "grafana import",
    "--url URL --input FILE [--folder-uid UID] [--message M] [--overwrite] [--dry-run]",
    "POST /api/dashboards/db the dashboard in FILE, keyed by its uid (id null), always\n"
    "with a folderUid (a save without one moves the dashboard to General).  The live\n"
    "dashboard is read first: when it already equals FILE (server churn ignored) nothing\n"
    "is written and the version stays.  A dashboard saved by someone else meanwhile\n"
    "(412 version-mismatch) is refused unless --overwrite.  --dry-run lists the changes\n"
    "as JSON Pointers and sends no write.\n"
    "Exit codes: 0 imported or unchanged, 1 refused (changed on the server), 2 usage or\n"
    "bad file (also Grafana's 400), 3 network or Grafana error.",
    import_opts,
    "  GRAFANA_TOKEN=<token> mmops grafana import --url http://grafana:3000 \\\n"
    "    --input deploy/grafana/dashboards/mm_operability.json\n"
    "  mmops grafana import --url http://grafana:3000 --input d.json --dry-run\n"
    "  mmops grafana import --url http://grafana:3000 --input d.json --folder-uid ops \\\n"
    "    --message 'raise the latency gate' --overwrite\n",
};

static const struct cmd_help diff_help = {
    "grafana diff",
    "--url URL --input FILE [--uid UID] [options]",
    "Compare the live dashboard with FILE through the golden comparison, ignoring what\n"
    "the server changes on every save; every drift is listed with its JSON Pointer.\n"
    "Exit codes: 0 no drift, 1 drift, 2 usage or bad file, 3 network or Grafana error.",
    diff_opts,
    "  GRAFANA_TOKEN=<token> mmops grafana diff --url http://grafana:3000 \\\n"
    "    --uid mm-operability --input deploy/grafana/dashboards/mm_operability.json\n",
};

static const struct cmd_help lint_help = {
    "grafana lint",
    "[--gates FILE | --no-gates] FILE...",
    "Check dashboard files without a server; every problem is printed as\n"
    "file:line:col: POINTER: what.  Rules: a title; a uid of at most 40 characters of\n"
    "A-Z a-z 0-9 _ -; a schemaVersion; unique panel ids; gridPos inside the 24-column grid\n"
    "(x + w <= 24, h > 0) and no two panels overlapping; every query with a refId and a\n"
    "non-empty expr; datasources from a datasource variable, never a hard-coded uid;\n"
    "every metric an expr reads in the metric contract (the gates file's metrics:); and\n"
    "each panel query that is a gate's alert expression has a threshold step equal to the\n"
    "gate's threshold, in the panel's unit (docs/grafana.md).\n"
    "Exit codes: 0 clean, 1 problems, 2 usage or an unreadable or malformed file.",
    lint_opts,
    "  mmops grafana lint deploy/grafana/dashboards/*.json\n"
    "  mmops grafana lint --gates deploy/gates/soak.yaml "
    "deploy/grafana/dashboards/mm_operability.json\n",
};

static const struct cmd_help grafana_help = {
    "grafana",
    "export | import | diff | lint [options]",
    "Dashboards as code against Grafana's HTTP API:\n"
    "  export   write a live dashboard to a file (or every dashboard to a directory)\n"
    "  import   save a dashboard file to Grafana (idempotent; --dry-run)\n"
    "  diff     list where the live dashboard and the file differ (exit 1 on drift)\n"
    "  lint     check dashboard files, no server needed\n"
    "'mmops grafana SUBCOMMAND --help' shows its options.",
    NULL,
    "  GRAFANA_TOKEN=<token> mmops grafana export --url http://grafana:3000 \\\n"
    "    --uid mm-operability --output deploy/grafana/dashboards/mm_operability.json\n"
    "  GRAFANA_TOKEN=<token> mmops grafana import --url http://grafana:3000 \\\n"
    "    --input deploy/grafana/dashboards/mm_operability.json\n",
};

/* ---- shared ------------------------------------------------------------- */

static int
fail(const struct cmd_help *h, const struct mm_err *err)
{
	return cmd_fail(h->name, err);
}

/* Exit code of a failed API call: 3, except Grafana's 400 (the file is bad). */
static int
api_fail(const struct cmd_help *h, const struct grafana_status *st, const struct mm_err *err)
{
	char msg[MM_ERR_MSG_MAX + MM_ERR_FILE_MAX + 64];

	fprintf(stderr, "mmops %s: %s\n", h->name, mm_err_format(err, msg, sizeof(msg)));
	if (err->code == MM_E_USAGE)
		return 2;
	return st->status == 400 ? 2 : 3;
}

/* The client from --url and the credentials; 0, or the exit code. */
static int
client_setup(const struct cmd_help *h, struct grafana_client *c)
{
	const char *env = getenv("GRAFANA_TOKEN");
	struct mm_err err;
	char *secret = NULL;
	int r = 0;

	mm_err_init(&err);
	if (grafana_client_init(c, url, &err) < 0)
		return opt_usage_error(h, "%s", err.msg);
	c->ca_file = ca_file;
	c->timeout = timeout_s;
	if (token_file && basic_file)
		return opt_usage_error(h, "--token-file and --basic-auth-file exclude each other");
	if (token_file || basic_file) {
		if (!(secret = grafana_read_secret(token_file ? token_file : basic_file, &err)))
			return fail(h, &err);
		r = token_file ? grafana_client_set_token(c, secret, &err)
			       : grafana_client_set_basic(c, secret, &err);
		memset(secret, 0, strlen(secret));
		free(secret);
		if (r < 0) {
			fprintf(stderr, "mmops %s: '%s': %s\n", h->name,
				token_file ? token_file : basic_file, err.msg);
			return 2;
		}
	} else if (env && *env && grafana_client_set_token(c, env, &err) < 0) {
		fprintf(stderr, "mmops %s: GRAFANA_TOKEN: %s\n", h->name, err.msg);
		return 2;
	}
	return 0;
}

static int
health(const struct cmd_help *h, const struct grafana_client *c)
{
	struct grafana_status st;
	struct mm_err err;

	mm_err_init(&err);
	if (grafana_health(c, NULL, &st, &err) < 0)
		return api_fail(h, &st, &err);
	return 0;
}

/* The canonical text of the normalized dashboard; caller frees. */
static char *
canonical(const json_t *dash)
{
	json_t *n = grafana_normalize(dash);
	char *s = n ? jsontree_dumps(n) : NULL;

	json_decref(n);
	return s;
}

static void
put_value(struct buf *b, const char *label, const char *text, size_t off, size_t len)
{
	struct buf v = BUF_INIT(1 << 20);

	buf_addf(b, "%s ", label);
	if (!len) {
		buf_adds(b, "(none)");
		return;
	}
	if (jsonpull_compact(text + off, len, &v) < 0 || v.len > DRIFT_VALUE_MAX)
		buf_addf(b, "%.*s...", DRIFT_VALUE_MAX, v.data ? v.data : "");
	else
		buf_add(b, v.data, v.len);
	buf_release(&v);
}

/*
 * Compare two canonical dashboards (base_text named base_label...) and
 * print one line per drift.  Returns the drift count, -1 on error (printed).
 */
static long
print_drifts(const struct cmd_help *h, const char *base_text, const char *base_label,
	     const char *act_text, const char *act_label)
{
	struct golden_doc base, act;
	struct golden_opts o;
	struct golden_result r = {0};
	struct mm_err err;
	struct buf line = BUF_INIT(1 << 20);
	size_t i;
	long n = -1;

	golden_doc_init(&base, base_label, base_text, strlen(base_text));
	golden_doc_init(&act, act_label, act_text, strlen(act_text));
	golden_opts_init(&o);
	o.tolerance = 0;
	o.max_drifts = GOLDEN_DEFAULT_MAX_DRIFTS;
	mm_err_init(&err);
	if (golden_compare(&base, &act, &o, &r, &err) < 0) {
		fail(h, &err);
		goto out;
	}
	for (i = 0; i < r.ndrifts; i++) {
		const struct golden_drift *d = &r.drifts[i];

		buf_reset(&line);
		buf_addf(&line, "  %-8s %.*s: ", golden_kind_name(d->kind), (int)d->pointer_len,
			 d->pointer[0] ? d->pointer : "/");
		if (d->kind == GOLDEN_LENGTH) {
			buf_addf(&line, "%s %zu elements, %s %zu", base_label, d->base_count,
				 act_label, d->act_count);
		} else {
			put_value(&line, base_label, base_text, d->base_off, d->base_len);
			buf_adds(&line, ", ");
			put_value(&line, act_label, act_text, d->act_off, d->act_len);
		}
		printf("%s\n", line.data);
	}
	if (r.ndrifts < r.drift_count)
		printf("  ... and %zu more\n", r.drift_count - r.ndrifts);
	n = (long)r.drift_count;
out:
	buf_release(&line);
	golden_result_release(&r);
	golden_doc_release(&base);
	golden_doc_release(&act);
	return n;
}

/* The dashboard file: a JSON object with a string uid.  NULL after printing why. */
static json_t *
load_dashboard(const struct cmd_help *h, const char *path)
{
	struct mm_err err;
	json_t *d;

	mm_err_init(&err);
	if (!(d = jsontree_load_file(path, &err))) {
		fail(h, &err);
		return NULL;
	}
	if (!json_is_object(d) || !json_is_string(json_object_get(d, "uid"))) {
		fprintf(stderr,
			"mmops %s: '%s' is not a dashboard with a uid (an object with \"uid\"; see "
			"'mmops grafana lint %s')\n",
			h->name, path, path);
		json_decref(d);
		return NULL;
	}
	return d;
}

/* ---- export ------------------------------------------------------------- */

static int
write_out(const char *path, const char *text, struct mm_err *err)
{
	if (strcmp(path, "-") == 0) {
		if (fputs(text, stdout) == EOF || fflush(stdout) != 0)
			return mm_errf(err, MM_E_WRITE, "cannot write to stdout: %s",
				       strerror(errno));
		return 0;
	}
	return atomicfile_write_atomic(path, text, strlen(text), err);
}

/* Export one dashboard to path; with folder_path, its folder uid too.  Exit code. */
static int
export_one(const struct grafana_client *c, const char *u, const char *path, const char *folder_path)
{
	struct grafana_status st;
	struct mm_err err;
	json_t *ans;
	char *text;
	int r = 0;

	mm_err_init(&err);
	if (!(ans = grafana_get_dashboard(c, u, &st, &err)))
		return api_fail(&export_help, &st, &err);
	text = canonical(json_object_get(ans, "dashboard"));
	if (write_out(path, text, &err) < 0) {
		fail(&export_help, &err);
		r = 3;
	} else if (folder_path) {
		char *f =
		    xasprintf("%s\n", jsontree_str(json_object_get(ans, "meta"), "folderUid", ""));

		if (atomicfile_write_atomic(folder_path, f, strlen(f), &err) < 0) {
			fail(&export_help, &err);
			r = 3;
		}
		free(f);
	}
	if (!r && strcmp(path, "-") != 0)
		fprintf(stderr,
			"mmops grafana export: wrote dashboard '%s' (version %lld) to '%s'\n", u,
			(long long)json_integer_value(
			    json_object_get(json_object_get(ans, "dashboard"), "version")),
			path);
	free(text);
	json_decref(ans);
	return r;
}

static int
run_export(struct grafana_client *c)
{
	struct grafana_status st;
	struct grafana_hit *hits = NULL;
	struct mm_err err;
	size_t n = 0, i;
	int r, worst = 0;

	if ((r = health(&export_help, c)))
		return r;
	if (!all)
		return export_one(c, uid, output, NULL);
	mm_err_init(&err);
	if (grafana_search(c, (size_t)page_size, &hits, &n, &st, &err) < 0)
		return api_fail(&export_help, &st, &err);
	if (atomicfile_mkdir_p(output, 0755, &err) < 0) {
		grafana_hits_free(hits, n);
		fail(&export_help, &err);
		return 3;
	}
	for (i = 0; i < n; i++) {
		char *path, *fpath;

		if (!grafana_uid_valid(hits[i].uid)) {
			fprintf(
			    stderr,
			    "mmops grafana export: skipped '%s': its uid is no safe file name\n",
			    hits[i].uid);
			worst = 3;
			continue;
		}
		path = xasprintf("%s/%s.json", output, hits[i].uid);
		fpath = xasprintf("%s/%s.folder", output, hits[i].uid);
		r = export_one(c, hits[i].uid, path, fpath);
		if (r > worst)
			worst = r;
		free(path);
		free(fpath);
	}
	fprintf(stderr, "mmops grafana export: %zu dashboard%s listed, to '%s'\n", n,
		n == 1 ? "" : "s", output);
	grafana_hits_free(hits, n);
	return worst;
}

/* ---- import ------------------------------------------------------------- */

/* FILE.json -> FILE.folder, when that exists: its first line.  Caller frees. */
static char *
sidecar_folder(const char *path)
{
	size_t n = strlen(path);
	char *side, *f = NULL;
	struct stat sb;

	if (n > 5 && strcmp(path + n - 5, ".json") == 0)
		n -= 5;
	side = xasprintf("%.*s.folder", (int)n, path);
	if (stat(side, &sb) == 0) {
		struct buf b = BUF_INIT(4096);

		if (buf_read_file(&b, side, NULL) == 0)
			f = xstrndup(b.data ? b.data : "", b.data ? strcspn(b.data, "\r\n") : 0);
		buf_release(&b);
	}
	free(side);
	return f;
}

static int
run_import(struct grafana_client *c)
{
	struct grafana_status st;
	struct grafana_save sv;
	struct mm_err err;
	json_t *file = NULL, *live = NULL, *ans = NULL;
	const json_t *meta = NULL;
	const char *u, *folder, *live_folder = NULL;
	char *side = NULL, *want = NULL, *have = NULL, *msg = NULL;
	long long live_version = -1;
	int ret = 2;
	long drifts;

	if (!(file = load_dashboard(&import_help, input)))
		goto out;
	u = json_string_value(json_object_get(file, "uid"));
	if ((ret = health(&import_help, c)))
		goto out;
	mm_err_init(&err);
	live = grafana_get_dashboard(c, u, &st, &err);
	if (!live && st.status != 404) {
		ret = api_fail(&import_help, &st, &err);
		goto out;
	}
	if (live) {
		meta = json_object_get(live, "meta");
		live_folder = jsontree_str(meta, "folderUid", "");
		live_version = json_integer_value(
		    json_object_get(json_object_get(live, "dashboard"), "version"));
	}
	side = sidecar_folder(input);
	folder = folder_uid ? folder_uid : side ? side : live_folder ? live_folder : "";
	want = canonical(file);
	if (base_version >= 0 && !live && !overwrite) {
		fprintf(
		    stderr,
		    "mmops grafana import: dashboard '%s' does not exist, not at version %ld: it "
		    "was deleted since; import without --expect-version to create it again\n",
		    u, base_version);
		ret = 1;
		goto out;
	}
	if (base_version >= 0 && live && live_version != base_version && !overwrite) {
		fprintf(
		    stderr,
		    "mmops grafana import: dashboard '%s' is at version %lld, not %ld: it changed "
		    "since; see what changed with 'mmops grafana diff --url %s --input %s', or "
		    "replace it with --overwrite\n",
		    u, live_version, base_version, c->base, input);
		ret = 1;
		goto out;
	}
	if (live) {
		have = canonical(json_object_get(live, "dashboard"));
		if (strcmp(have, want) == 0 && strcmp(live_folder, folder) == 0) {
			printf(
			    "dashboard '%s' is unchanged (version %lld, folder '%s'): nothing to "
			    "write\n",
			    u, live_version, folder);
			ret = 0;
			goto out;
		}
	}
	if (dry_run) {
		if (!live) {
			printf("would create dashboard '%s' in folder '%s'\n", u, folder);
		} else {
			printf("would update dashboard '%s' (version %lld):\n", u, live_version);
			if (strcmp(live_folder, folder) != 0)
				printf("  folder   '%s' -> '%s'\n", live_folder, folder);
			if ((drifts = print_drifts(&import_help, have, "grafana", want, "file")) <
			    0) {
				ret = 2;
				goto out;
			}
		}
		printf("dry run: nothing was written\n");
		ret = 0;
		goto out;
	}
	msg = message ? xstrdup(message) : xasprintf("mmops grafana import %s", input);
	sv.dashboard = file;
	sv.folder_uid = folder;
	sv.message = msg;
	sv.overwrite = overwrite;
	sv.version = live ? live_version : -1;
	if (!(ans = grafana_save_dashboard(c, &sv, NULL, &st, &err))) {
		if (st.status == 412) {
			fprintf(stderr, "mmops grafana import: %s\n", err.msg);
			fprintf(
			    stderr,
			    "hint: see what changed with 'mmops grafana diff --url %s --input %s', "
			    "or replace it with --overwrite\n",
			    c->base, input);
			ret = 1;
		} else {
			ret = api_fail(&import_help, &st, &err);
		}
		goto out;
	}
	printf("%s dashboard '%s': version %lld in folder '%s' (%s%s)\n",
	       live ? "updated" : "created", u,
	       (long long)json_integer_value(json_object_get(ans, "version")), folder, c->base,
	       jsontree_str(ans, "url", ""));
	ret = 0;
out:
	json_decref(file);
	json_decref(live);
	json_decref(ans);
	free(side);
	free(want);
	free(have);
	free(msg);
	return ret;
}

/* ---- diff --------------------------------------------------------------- */

static int
run_diff(struct grafana_client *c)
{
	struct grafana_status st;
	struct mm_err err;
	json_t *file, *live = NULL;
	char *want = NULL, *have = NULL, *label = NULL;
	const char *u;
	long n;
	int ret;

	if (!(file = load_dashboard(&diff_help, input)))
		return 2;
	u = uid ? uid : json_string_value(json_object_get(file, "uid"));
	if ((ret = health(&diff_help, c)))
		goto out;
	mm_err_init(&err);
	if (!(live = grafana_get_dashboard(c, u, &st, &err))) {
		ret = api_fail(&diff_help, &st, &err);
		goto out;
	}
	want = canonical(file);
	have = canonical(json_object_get(live, "dashboard"));
	label = xstrdup("grafana");
	if (strcmp(want, have) == 0) {
		printf("no drift: dashboard '%s' (version %lld) matches '%s'\n", u,
		       (long long)json_integer_value(
			   json_object_get(json_object_get(live, "dashboard"), "version")),
		       input);
		ret = 0;
		goto out;
	}
	printf("drift: dashboard '%s' (version %lld) differs from '%s':\n", u,
	       (long long)json_integer_value(
		   json_object_get(json_object_get(live, "dashboard"), "version")),
	       input);
	n = print_drifts(&diff_help, want, "file", have, label);
	ret = n < 0 ? 2 : 1;
out:
	json_decref(file);
	json_decref(live);
	free(want);
	free(have);
	free(label);
	return ret;
}

/* ---- lint --------------------------------------------------------------- */

static int
run_lint(const char **files, int nfiles)
{
	struct gate_config *gates = NULL;
	struct mm_err err;
	size_t problems = 0;
	int i, bad_input = 0;

	mm_err_init(&err);
	if (!no_gates) {
		gates = gates_path ? gates_load_file(gates_path, &err)
				   : gates_loadb(gates_default_yaml, strlen(gates_default_yaml),
						 DEFAULT_GATES_NAME, &err);
		if (!gates)
			return fail(&lint_help, &err);
	}
	for (i = 0; i < nfiles; i++) {
		struct buf b = BUF_INIT(JSONTREE_MAX_FILE);
		struct grafana_lint l;
		const char *name = strcmp(files[i], "-") ? files[i] : "<stdin>";
		size_t k;

		if (buf_read_file(&b, files[i], &err) < 0 ||
		    grafana_lint_text(b.data ? b.data : "", b.len, name, gates, &l, &err) < 0) {
			fail(&lint_help, &err);
			bad_input = 1;
			buf_release(&b);
			continue;
		}
		for (k = 0; k < l.n; k++)
			printf("%s:%lu:%lu: %s: %s\n", name, l.v[k].line, l.v[k].col,
			       l.v[k].pointer[0] ? l.v[k].pointer : "/", l.v[k].msg);
		if (l.count > l.n)
			printf("%s: ... and %zu more problems\n", name, l.count - l.n);
		problems += l.count;
		grafana_lint_release(&l);
		buf_release(&b);
	}
	gates_free(gates);
	printf("lint: %d file%s, %zu problem%s\n", nfiles, nfiles == 1 ? "" : "s", problems,
	       problems == 1 ? "" : "s");
	return bad_input ? 2 : problems ? 1 : 0;
}

/* ---- dispatch ----------------------------------------------------------- */

/* A secret on the command line is refused before anything else is read. */
static int
secret_in_argv(const struct cmd_help *h, int argc, char **argv)
{
	static const char *const banned[] = {"token", "password", "basic-auth", "api-key", NULL};
	int i, k;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		for (k = 0; banned[k]; k++) {
			size_t n = strlen(banned[k]);

			if (strncmp(argv[i], "--", 2) == 0 &&
			    strncmp(argv[i] + 2, banned[k], n) == 0 &&
			    (argv[i][2 + n] == '\0' || argv[i][2 + n] == '='))
				return opt_usage_error(h,
						       "%s: secrets never go on the command line "
						       "(ps shows it to every "
						       "user): set GRAFANA_TOKEN, or use "
						       "--token-file or --basic-auth-file",
						       argv[i]);
		}
	}
	return 0;
}

int
cmd_grafana(int argc, char **argv)
{
	static const struct {
		const char *name;
		const struct cmd_help *help;
	} subs[] = {
	    {"export", &export_help},
	    {"import", &import_help},
	    {"diff", &diff_help},
	    {"lint", &lint_help},
	};
	const struct cmd_help *h = NULL;
	struct grafana_client c = {0};
	const char **pos;
	int npos = 0, r;
	size_t i;

	reset_options();
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		if (argc < 2) {
			opt_usage_error(&grafana_help, "which one: export, import, diff or lint?");
			return 2;
		}
		opt_print_help(&grafana_help);
		return 0;
	}
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			h = subs[i].help;
	if (!h)
		return opt_usage_error(&grafana_help, "'%s' is not export, import, diff or lint",
				       argv[1]);
	argc--;
	argv++;
	if ((r = secret_in_argv(h, argc, argv)))
		return r;
	pos = xcalloc((size_t)argc + 1, sizeof(*pos));
	r = opt_parse(h, argc, argv, pos, &npos);
	if (r == 1) {
		r = 0;
		goto out;
	}
	if (r != 0)
		goto out;
	r = 2;
	if (h == &lint_help) {
		if (npos == 0)
			opt_usage_error(h, "which files? (mmops grafana lint FILE...)");
		else if (no_gates && gates_path)
			opt_usage_error(h, "--gates and --no-gates exclude each other");
		else
			r = run_lint(pos, npos);
		goto out;
	}
	if (npos > 0) {
		opt_usage_error(h, "unexpected argument '%s'", pos[0]);
		goto out;
	}
	if (!url) {
		opt_usage_error(h, "--url is required");
		goto out;
	}
	if (h == &export_help) {
		if (!output)
			opt_usage_error(h, "--output is required ('-' for stdout)");
		else if (all && uid)
			opt_usage_error(h, "--uid and --all exclude each other");
		else if (!all && !uid)
			opt_usage_error(h, "--uid is required (or --all)");
		else if (all && strcmp(output, "-") == 0)
			opt_usage_error(
			    h, "--all writes one file per dashboard: --output is a directory");
		else if ((r = client_setup(h, &c)) == 0)
			r = run_export(&c);
	} else if (!input) {
		opt_usage_error(h, "--input is required");
	} else if ((r = client_setup(h, &c)) == 0) {
		r = h == &import_help ? run_import(&c) : run_diff(&c);
	}
out:
	grafana_client_release(&c);
	free(pos);
	return r;
}
