/*
 * grafana.h - dashboards as code: a client of Grafana's HTTP API (health,
 * get a dashboard by uid, search, save) and the dashboard linter.
 *
 * The client talks to the documented API of Grafana 8 to 11
 * (/api/health, /api/dashboards/uid/:uid, /api/dashboards/db, /api/search)
 * through lib/http: timeouts, a body cap, TLS verification, and redirects
 * never followed, so the Authorization header never reaches another host.
 * A non-2xx answer becomes one line that carries Grafana's own `message`
 * and says what to do about it (401: the credentials; 403: the role;
 * 404: the uid; 412: diff or --overwrite; 5xx: Grafana's logs).
 *
 * A dashboard on disk is the `dashboard` object of the API's answer without
 * the keys the server rewrites on every save (grafana_churn_keys), written
 * in jsontree's canonical form, so exporting an unchanged dashboard twice
 * gives the same bytes and a diff shows only what a person changed.
 *
 * The linter needs no server: every problem comes with its RFC 6901 JSON
 * Pointer and, when the file text is at hand, its line and column.  The
 * rules are in docs/grafana.md; the metric contract and the thresholds
 * come from a gates file (lib/gates, deploy/gates/soak.yaml).
 */
#ifndef MM_GRAFANA_H
#define MM_GRAFANA_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"
#include "gates.h"

#define GRAFANA_MAX_BODY	 ((size_t)64 << 20) /* cap of one API answer */
#define GRAFANA_UID_MAX		 40		    /* Grafana's limit on a uid */
#define GRAFANA_GRID_COLUMNS	 24		    /* width of the dashboard grid */
#define GRAFANA_SEARCH_LIMIT	 1000		    /* default page size of /api/search */
#define GRAFANA_SEARCH_MAX_PAGES 100000		    /* a server that never ends a listing */
#define GRAFANA_SECRET_MAX	 4096		    /* bytes of a token or user:password file */
#define GRAFANA_MAX_PROBLEMS	 10000		    /* lint problems kept (all are counted) */

/* Keys of the dashboard object the server owns and changes on every save. */
extern const char *const grafana_churn_keys[]; /* NULL-terminated: "id", "version", "iteration" */

struct grafana_client {
	char *base;	     /* the URL, without trailing slashes; owned */
	char *auth;	     /* the Authorization header value or NULL; owned */
	const char *ca_file; /* borrowed; NULL = the system's CA bundle */
	double timeout;	     /* seconds per request; 0 = HTTP_DEFAULT_TIMEOUT */
};

/*
 * Set up a client of the Grafana at url (http or https, an optional path
 * prefix such as http://host/grafana is kept).  -1 and MM_E_USAGE for a URL
 * that is not http(s) or that carries a query or user:password@.
 */
int grafana_client_init(struct grafana_client *c, const char *url, struct mm_err *err);
void grafana_client_release(struct grafana_client *c);

/*
 * Credentials.  The token is sent as "Bearer TOKEN"; user_pass
 * ("user:password") as HTTP basic auth.  -1 and MM_E_USAGE when the secret
 * is empty or holds a control character (it would split the header).
 */
int grafana_client_set_token(struct grafana_client *c, const char *token, struct mm_err *err);
int grafana_client_set_basic(struct grafana_client *c, const char *user_pass, struct mm_err *err);

/*
 * Read a secret from path: its first line without the line end and the
 * trailing blanks.  Caller frees.  NULL and err (MM_E_IO, MM_E_LIMIT past
 * GRAFANA_SECRET_MAX, MM_E_CONFIG when empty).
 */
char *grafana_read_secret(const char *path, struct mm_err *err);

/*
 * What the server answered, for the caller's decisions (exit codes, "not
 * found means create").  status is the HTTP status, 0 when none came;
 * gstatus Grafana's "status" field ("version-mismatch", "name-exists"),
 * message its "message", both "" when absent.
 */
struct grafana_status {
	long status;
	char gstatus[64];
	char message[256];
};

/*
 * GET /api/health.  0 when Grafana answers 200 with database "ok"; *version
 * (may be NULL) gets its version string, caller frees.  -1 and err: MM_E_NET
 * for transport errors and non-200 answers (the database is down: 503).
 */
int grafana_health(const struct grafana_client *c, char **version, struct grafana_status *st,
		   struct mm_err *err);

/*
 * GET /api/dashboards/uid/:uid (the uid is percent-encoded).  Returns the
 * whole answer ({"dashboard":..., "meta":...}, both checked to be objects),
 * a new reference; NULL and err otherwise, st->status 404 when the uid is
 * unknown.
 */
json_t *grafana_get_dashboard(const struct grafana_client *c, const char *uid,
			      struct grafana_status *st, struct mm_err *err);

/* One dashboard /api/search listed. */
struct grafana_hit {
	char *uid, *title, *folder_uid, *folder_title; /* owned; "" when absent */
};

/*
 * Every dashboard (type=dash-db), paging with limit=page_size (0 =
 * GRAFANA_SEARCH_LIMIT) and page=1, 2, ... until a page comes back short.
 * *hits (caller frees with grafana_hits_free) and *n.  A uid listed twice
 * (pages shifted under a concurrent save) is kept once.
 */
int grafana_search(const struct grafana_client *c, size_t page_size, struct grafana_hit **hits,
		   size_t *n, struct grafana_status *st, struct mm_err *err);
void grafana_hits_free(struct grafana_hit *hits, size_t n);

struct grafana_save {
	const json_t *dashboard; /* the file's dashboard object; borrowed, not modified */
	const char *folder_uid;	 /* always sent; "" is the General folder */
	const char *message;	 /* the version's message; NULL = none */
	int overwrite;		 /* replace whatever version the server has */
	long long version;	 /* the version the change is based on; < 0 = none (a new one) */
};

/*
 * POST /api/dashboards/db with {"dashboard": the dashboard with "id": null
 * and "version": s->version (absent when < 0), "folderUid", "message",
 * "overwrite"}.  Returns Grafana's answer ({"status":"success", "version":
 * N, "url": ...}), a new reference; NULL and err otherwise (st->status 412
 * with st->gstatus "version-mismatch" when the server's version moved).
 * The request body is also left in *sent (may be NULL; caller frees).
 */
json_t *grafana_save_dashboard(const struct grafana_client *c, const struct grafana_save *s,
			       char **sent, struct grafana_status *st, struct mm_err *err);

/* A deep copy of dash without the churn keys.  NULL when dash is not an object. */
json_t *grafana_normalize(const json_t *dash);

/*
 * Whether uid is what Grafana accepts: 1..GRAFANA_UID_MAX characters of
 * [A-Za-z0-9_-].  (Also what makes it safe as a file name.)
 */
int grafana_uid_valid(const char *uid);

/*
 * The metric names a PromQL expression reads, in order of appearance (a
 * name may repeat): selectors, `{__name__="x"}`, skipping functions,
 * keywords, label names (in braces and in by/without/on/ignoring lists),
 * strings, durations, numbers and Grafana variables ($var, ${var},
 * [[var]]).  Calls fn(name, len, ctx) for each; returns how many.
 */
size_t grafana_expr_metrics(const char *expr, void (*fn)(const char *name, size_t len, void *ctx),
			    void *ctx);

/* One problem the linter found. */
struct grafana_problem {
	char *pointer;		 /* RFC 6901; owned */
	char *msg;		 /* owned */
	unsigned long line, col; /* where the pointer leads in the text; 0 when unknown */
};

struct grafana_lint {
	size_t count;		   /* problems found */
	struct grafana_problem *v; /* the first min(count, GRAFANA_MAX_PROBLEMS) */
	size_t n;
};

/*
 * Lint the dashboard doc.  gates gives the metric contract (its
 * `metrics:`) and the thresholds of the gated panels; NULL skips both
 * checks.  gates_name names the gates file in messages.  text/len, when
 * non-NULL, is the text doc was parsed from: each problem gets the line and
 * column its pointer leads to.  Fills out (release with
 * grafana_lint_release in every case).
 */
void grafana_lint_doc(const json_t *doc, const struct gate_config *gates, const char *text,
		      size_t len, struct grafana_lint *out);

/*
 * Parse len bytes named name and lint them.  0 when the text is JSON
 * (problems or not); -1 and err (MM_E_PARSE, name:line:col) when not.
 */
int grafana_lint_text(const char *text, size_t len, const char *name,
		      const struct gate_config *gates, struct grafana_lint *out,
		      struct mm_err *err);
void grafana_lint_release(struct grafana_lint *l);

#endif
