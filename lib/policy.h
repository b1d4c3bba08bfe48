/*
 * policy.h - the rollback policy (deploy/policies/rollback.yaml): which
 * alerts are hard (roll back) and which soft (notify only), the ordered
 * actions a decision runs, and the cooldown between rollbacks.
 *
 *   version: 1
 *   cooldown: 15m
 *   dedup_retention: 168h              # optional: forget a decided alert this long after last seen
 *   variables:                         # ${name} in URLs, headers, bodies, argv, env
 *     admin_url: {env: MMOPS_ADMIN_URL, default: "http://127.0.0.1:9101"}
 *     token: {env: MMOPS_ADMIN_TOKEN, file: /run/credentials/x/token, default: "", secret: true}
 *   hard:
 *     alertnames: [SoakLatencyP95High, ...]
 *     matchers: ['gate="hard"', '{severity="critical", team=~"mm|ops"}']
 *   soft:
 *     alertnames: [SoakWSLagHigh, ...]
 *     matchers: ['gate="soft"']
 *   actions:
 *     - name: scale_strategy_to_zero
 *       on: [rollback]                 # decisions that run it: rollback, notify
 *       requires: [admin_url]          # skipped (not an error) while a listed variable is empty
 *       http:
 *         method: POST
 *         url: ${admin_url}/admin/scale
 *         headers: {Content-Type: application/json}
 *         body: '{"replicas":0,"reason":"{{alertname}}"}'
 *       timeout: 5s
 *       retries: 2
 *       retry_delay: 1s
 *     - name: local_script
 *       command: [/usr/local/bin/notify, --alert, "{{alertname}}"]
 *       env: {TOKEN: "${token}"}
 *
 * An alert is hard when its alertname is listed under hard.alertnames or
 * when any entry of hard.matchers matches its own labels; an entry is one
 * Alertmanager matcher (name=value, !=, =~, !~; regexes are anchored POSIX
 * extended) or a brace group of them that must all match.  Hard wins over
 * soft.  Unknown keys, unknown variables, unknown template fields, bad
 * regexes and bad URLs are errors at file:line:col.
 *
 * Variables resolve once, at load: the environment variable when set and not
 * empty, else the file's contents (one trailing newline dropped), else the
 * default; with none of them the load fails.  A secret variable is shown as
 * "***" wherever the policy is reported (dry-run plans, the audit log).
 *
 * A header whose value uses an empty variable is not sent ("Authorization:
 * Bearer ${token}" without a token sends no Authorization header).
 *
 * Templates (lib/tpl.h): ${var} anywhere; {{field}} only in a body, an argv element
 * after the first, or an env value, where field is one of POLICY_FIELDS or
 * labels.NAME / annotations.NAME.  In a body, substituted alert values are
 * JSON-string escaped (bodies are JSON); "$$" is a literal "$".
 *
 * A loaded policy is immutable and may be shared by any number of threads.
 */
#ifndef MM_POLICY_H
#define MM_POLICY_H

#include <regex.h>
#include <stddef.h>

#include "alert.h"
#include "buf.h"
#include "err.h"
#include "tpl.h"

#define POLICY_VERSION		   1
#define POLICY_DEFAULT_COOLDOWN	   (15 * 60.0)
#define POLICY_DEFAULT_RETENTION   (168 * 3600.0)
#define POLICY_DEFAULT_TIMEOUT	   5.0
#define POLICY_DEFAULT_RETRY_DELAY 1.0
#define POLICY_MAX_ACTIONS	   32
#define POLICY_MAX_RETRIES	   10
#define POLICY_MAX_TIMEOUT	   300.0
#define POLICY_MAX_VARIABLES	   64
#define POLICY_MAX_VALUE	   ((size_t)64 << 10) /* a variable's value (secret files) */
#define POLICY_MAX_MATCHERS	   64
#define POLICY_MAX_ARGS		   64
#define POLICY_SECRET_MASK	   "***"

/* What the watcher decided for one alert. */
enum decision_kind {
	DECISION_ROLLBACK,
	DECISION_NOTIFY,
	DECISION_IGNORED,
	DECISION_DUPLICATE,
	DECISION_COOLDOWN,
	DECISION__COUNT
};
const char *decision_name(enum decision_kind k);
/* -1 when s is not a decision name. */
int decision_from_name(const char *s);

enum matcher_op { MATCH_EQ, MATCH_NE, MATCH_RE, MATCH_NRE };

struct matcher {
	char *name;
	enum matcher_op op;
	char *value;
	regex_t re; /* MATCH_RE / MATCH_NRE: ^(value)$ */
	int has_re;
};

/* Matchers that must all match; text is the entry as written. */
struct matcher_group {
	struct matcher *m;
	size_t n;
	char *text;
};

/*
 * Parse one matchers entry: 'name="v"', 'name=~"re"', or '{a="x", b!~"y"}'.
 * g is filled (release with matcher_group_release) or -1 and err
 * (MM_E_CONFIG, message without position).
 */
int matcher_group_parse(const char *s, struct matcher_group *g, struct mm_err *err);
void matcher_group_release(struct matcher_group *g);
/* 1 when every matcher matches l (a missing label reads as ""). */
int matcher_group_match(const struct matcher_group *g, const struct alert_labels *l);

/* A class of alerts: "hard" or "soft". */
struct alert_class {
	char **alertnames;
	size_t nnames;
	struct matcher_group *groups;
	size_t ngroups;
};

/* The whitelisted alert fields a template may name: see tpl.h. */
#define POLICY_FIELDS TPL_FIELDS

enum action_kind { ACTION_HTTP, ACTION_COMMAND };

struct policy_header {
	char *name;
	char *value; /* variables substituted */
	char *shown; /* secrets masked */
};

struct policy_action {
	char *name;
	enum action_kind kind;
	unsigned on;	   /* bit (1u << DECISION_ROLLBACK) | (1u << DECISION_NOTIFY) */
	char *skip_reason; /* non-NULL: a required variable is empty, the action is skipped */
	/* ACTION_HTTP */
	char *method;
	char *url, *url_shown;
	struct policy_header *headers;
	size_t nheaders;
	struct tpl body;
	int has_body;
	/* ACTION_COMMAND */
	struct tpl *argv; /* argv[0] is literal and absolute */
	size_t argc;
	struct tpl *env; /* "NAME=value" templates */
	size_t nenv;
	double timeout;
	long retries;
	double retry_delay;
	unsigned long line, col; /* where the action starts in the policy file */
};

struct policy {
	char *file;
	double cooldown;  /* seconds between rollbacks */
	double retention; /* seconds a decided alert is remembered after last seen */
	struct alert_class hard, soft;
	struct policy_action *actions;
	size_t nactions;
};

/* Load and check a policy; NULL and err (MM_E_CONFIG / MM_E_PARSE / MM_E_IO with file:line:col). */
struct policy *policy_load_file(const char *path, struct mm_err *err);
struct policy *policy_loadb(const char *data, size_t len, const char *name, struct mm_err *err);
void policy_free(struct policy *p);

enum hardness { HARDNESS_NONE, HARDNESS_SOFT, HARDNESS_HARD };
const char *hardness_name(enum hardness g);

/*
 * Classify one alert on its own labels.  why (when non-NULL) receives what
 * matched: "alertname SoakGuardTrip" or "matcher gate=\"hard\"" ("" for
 * HARDNESS_NONE).
 */
enum hardness policy_classify(const struct policy *p, const struct alert *a, char *why,
			      size_t whysz);

/* How many actions run for decision k (skipped ones included). */
size_t policy_count_actions(const struct policy *p, enum decision_kind k);

#endif
