/*
 * readiness.c - release readiness: the scoring configuration, one scorer per
 * kind of evidence (soak gates summary, golden report, JUnit XML, alert
 * rules, rollback policy, canary), and the readiness.json they add up to.
 * The built-in configuration is lib/readiness_default.c (generated from
 * deploy/readiness.yaml); the validator is readiness_validate.c.  Scorers never fail: whatever is
 * wrong with a piece of evidence becomes its section's status and reason, because a release gate
 * must explain a HOLD, not crash on it.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "buf.h"
#include "clock.h"
#include "jsontree.h"
#include "junit.h"
#include "policy.h"
#include "readiness.h"
#include "xalloc.h"
#include "yaml.h"

#define REASON_MAX 2048 /* a section's reason line is cut (at a whole item) past this */
#define LIST_MAX   64	/* items listed per evidence array (gates, alerts, files) */

static const char *const check_names[RCHECK_COUNT] = {
    [RCHECK_SOAK_GATES] = "soak_gates",
    [RCHECK_GOLDEN] = "golden",
    [RCHECK_JUNIT] = "junit",
    [RCHECK_ALERT_RULES] = "alert_rules",
    [RCHECK_ROLLBACK_POLICY] = "rollback_policy",
    [RCHECK_CANARY] = "canary",
};

const char *
readiness_check_name(enum readiness_check c)
{
	return (unsigned)c < RCHECK_COUNT ? check_names[c] : NULL;
}

int
readiness_check_parse(const char *s)
{
	int i;

	for (i = 0; i < RCHECK_COUNT; i++)
		if (strcmp(check_names[i], s) == 0)
			return i;
	return -1;
}

/* ---- small helpers ---------------------------------------------------- */

/*
 * A JSON string of s.  Paths come from argv and may not be UTF-8, which
 * jansson refuses: such bytes become '?' rather than losing the value.
 */
static json_t *
jstr(const char *s)
{
	json_t *j;
	char *copy;
	size_t i;

	if (!s)
		return json_null();
	if ((j = json_string(s)))
		return j;
	copy = xstrdup(s);
	for (i = 0; copy[i]; i++)
		if ((unsigned char)copy[i] >= 0x80)
			copy[i] = '?';
	j = json_string(copy);
	free(copy);
	return j ? j : json_string("");
}

static void
set_str(json_t *obj, const char *key, const char *val)
{
	json_object_set_new(obj, key, jstr(val));
}

static void
set_int(json_t *obj, const char *key, long v)
{
	json_object_set_new(obj, key, json_integer((json_int_t)v));
}

enum sstatus { ST_PASS, ST_FAIL, ST_MISSING, ST_INVALID, ST_COUNT };
_Static_assert(ST_COUNT == READINESS_NSTATUS, "readiness.h lists every status");

/* Shared with the validator (readiness_validate.c). */
const char *const readiness_status_names[READINESS_NSTATUS] = {"pass", "fail", "missing",
							       "invalid"};

/*
 * The section object: points are the maximum for a pass and 0 otherwise.
 * Takes evidence.  The reason is cut at REASON_MAX (callers build it with
 * buf_addf, whose all-or-nothing appends never split a UTF-8 sequence).
 */
static json_t *
section_new(enum readiness_check c, long max, enum sstatus st, json_t *evidence, const char *fmt,
	    ...)
{
	char reason[REASON_MAX];
	json_t *s = json_object();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	set_str(s, "check", readiness_check_name(c));
	set_int(s, "max", max);
	set_int(s, "points", st == ST_PASS ? max : 0);
	set_str(s, "status", readiness_status_names[st]);
	set_str(s, "reason", reason);
	json_object_set_new(s, "evidence", evidence ? evidence : json_object());
	return s;
}

/* An evidence object {"path": name}. */
static json_t *
evidence_new(const char *name)
{
	json_t *e = json_object();

	set_str(e, "path", name);
	return e;
}

/*
 * Append ", item" (or "item" first) to a capped list text.  An item that
 * does not fit is replaced by a single ", ..." so the text says it was cut.
 */
static void
list_add(struct buf *b, const char *fmt, ...)
{
	char item[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(item, sizeof(item), fmt, ap);
	va_end(ap);
	if (b->len >= 3 && strcmp(b->data + b->len - 3, "...") == 0)
		return;
	if (buf_addf(b, "%s%s", b->len ? ", " : "", item) < 0)
		buf_adds(b, b->len ? ", ..." : "...");
}

/*
 * Read one evidence file.  0 on success; otherwise -1 with *st MISSING (the
 * file does not exist) or INVALID (unreadable, too big) and why filled.
 */
static int
read_evidence(const char *path, struct buf *b, enum sstatus *st, char *why, size_t n)
{
	struct mm_err err;
	struct stat sb;

	buf_init(b, READINESS_MAX_FILE);
	if (strcmp(path, "-") != 0 && stat(path, &sb) < 0 &&
	    (errno == ENOENT || errno == ENOTDIR)) {
		*st = ST_MISSING;
		snprintf(why, n, "'%s' does not exist", path);
		return -1;
	}
	mm_err_init(&err);
	if (buf_read_file(b, path, &err) < 0) {
		*st = ST_INVALID;
		snprintf(why, n, "%s", err.msg);
		buf_release(b);
		return -1;
	}
	return 0;
}

/* ---- configuration ---------------------------------------------------- */

static void
section_conf_release(struct readiness_section_conf *s)
{
	size_t i;

	free(s->name);
	for (i = 0; i < s->nevidence; i++)
		free(s->evidence[i]);
	free(s->evidence);
	for (i = 0; i < s->nrequire; i++)
		free(s->require_alerts[i]);
	free(s->require_alerts);
	memset(s, 0, sizeof(*s));
}

void
readiness_conf_release(struct readiness_conf *conf)
{
	size_t i;

	if (!conf)
		return;
	for (i = 0; i < conf->n; i++)
		section_conf_release(&conf->sections[i]);
	free(conf->sections);
	conf->sections = NULL;
	conf->n = 0;
}

/* A string or a list of strings, into a fresh array of at most max copies. */
static int
load_strings(const struct ynode *n, const char *key, size_t max, char ***out, size_t *nout,
	     struct mm_err *err)
{
	const char *s;
	size_t i;

	if (n->kind == YNODE_SCALAR) {
		if (ynode_str(n, &s, err) < 0)
			return -1;
		if (!*s)
			return ynode_errf(n, err, "%s: empty path", key);
		*out = xcalloc(1, sizeof(char *));
		(*out)[0] = xstrdup(s);
		*nout = 1;
		return 0;
	}
	if (n->kind != YNODE_SEQ)
		return ynode_errf(n, err, "%s: expected a string or a list of strings", key);
	if (n->n > max)
		return ynode_errf(n, err, "%s: %zu entries, at most %zu allowed", key, n->n, max);
	*out = xcalloc(n->n ? n->n : 1, sizeof(char *));
	*nout = 0;
	for (i = 0; i < n->n; i++) {
		if (ynode_str(n->items[i], &s, err) < 0)
			return -1;
		if (!*s)
			return ynode_errf(n->items[i], err, "%s: empty entry", key);
		(*out)[(*nout)++] = xstrdup(s);
	}
	return 0;
}

static int
valid_name(const char *s)
{
	size_t i;

	if (!*s || strlen(s) > READINESS_MAX_NAME)
		return 0;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

static int
load_section(const struct ynode *n, struct readiness_section_conf *s, struct mm_err *err)
{
	static const char *const keys[] = {
	    "name", "check", "max", "evidence", "require_alerts", "require_hard_alerts", NULL};
	const struct ynode *v;
	const char *str;
	int c;

	if (ynode_check_keys(n, keys, err) < 0)
		return -1;
	if (!(v = ynode_get(n, "name")))
		return ynode_errf(n, err, "section without 'name'");
	if (ynode_str(v, &str, err) < 0)
		return -1;
	if (!valid_name(str))
		return ynode_errf(v, err, "section name '%s' must be 1..%d of [a-z0-9_]", str,
				  READINESS_MAX_NAME);
	s->name = xstrdup(str);
	if (!(v = ynode_get(n, "check")))
		return ynode_errf(n, err, "section '%s' without 'check'", s->name);
	if (ynode_str(v, &str, err) < 0)
		return -1;
	if ((c = readiness_check_parse(str)) < 0)
		return ynode_errf(v, err,
				  "unknown check '%s' (expected one of: soak_gates, golden, "
				  "junit, alert_rules, rollback_policy)",
				  str);
	s->check = (enum readiness_check)c;
	if (!(v = ynode_get(n, "max")))
		return ynode_errf(n, err, "section '%s' without 'max'", s->name);
	if (ynode_long(v, 1, READINESS_TOTAL, &s->max, err) < 0)
		return -1;
	if ((v = ynode_get(n, "evidence")) && !ynode_is_null(v)) {
		if (load_strings(v, "evidence", READINESS_MAX_EVIDENCE, &s->evidence, &s->nevidence,
				 err) < 0)
			return -1;
		if (s->check != RCHECK_JUNIT && s->nevidence > 1)
			return ynode_errf(v, err, "a %s section reads one file, not %zu",
					  check_names[s->check], s->nevidence);
	}
	if ((v = ynode_get(n, "require_alerts")) && s->check != RCHECK_ALERT_RULES)
		return ynode_errf(v, err, "require_alerts belongs to alert_rules sections only");
	if (!v && (v = ynode_get(n, "require_hard_alerts")) && s->check != RCHECK_ROLLBACK_POLICY)
		return ynode_errf(v, err,
				  "require_hard_alerts belongs to rollback_policy sections only");
	if (v) {
		if (v->kind != YNODE_SEQ)
			return ynode_errf(v, err, "expected a list of alert names");
		if (load_strings(v, "alert names", READINESS_MAX_REQUIRED, &s->require_alerts,
				 &s->nrequire, err) < 0)
			return -1;
	}
	return 0;
}

static int
load_conf(struct readiness_conf *conf, const struct ydoc *doc, struct mm_err *err)
{
	static const char *const keys[] = {"sections", NULL};
	const struct ynode *root = doc->root, *secs;
	long total = 0;
	size_t i, j;

	if (!root)
		return mm_errf_at(err, MM_E_CONFIG, doc->file, 1, 1, "empty configuration");
	if (ynode_check_keys(root, keys, err) < 0)
		return -1;
	if (!(secs = ynode_get(root, "sections")))
		return ynode_errf(root, err, "no 'sections'");
	if (secs->kind != YNODE_SEQ || secs->n == 0)
		return ynode_errf(secs, err, "sections: expected a non-empty list");
	if (secs->n > READINESS_MAX_SECTIONS)
		return ynode_errf(secs, err, "%zu sections, at most %d allowed", secs->n,
				  READINESS_MAX_SECTIONS);
	conf->sections = xcalloc(secs->n, sizeof(*conf->sections));
	for (i = 0; i < secs->n; i++) {
		conf->n = i + 1;
		if (load_section(secs->items[i], &conf->sections[i], err) < 0)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(conf->sections[j].name, conf->sections[i].name) == 0)
				return ynode_errf(secs->items[i], err,
						  "section '%s' is defined twice",
						  conf->sections[i].name);
		total += conf->sections[i].max;
	}
	if (total != READINESS_TOTAL)
		return ynode_errf(secs, err, "the section maxima add up to %ld, not %d", total,
				  READINESS_TOTAL);
	return 0;
}

int
readiness_conf_loadb(struct readiness_conf *conf, const char *data, size_t len, const char *name,
		     struct mm_err *err)
{
	struct ydoc *doc;
	int r;

	conf->sections = NULL;
	conf->n = 0;
	if (!(doc = yaml_loadb(data, len, name, err)))
		return -1;
	r = load_conf(conf, doc, err);
	if (r < 0)
		readiness_conf_release(conf);
	ydoc_free(doc);
	return r;
}

int
readiness_conf_load(struct readiness_conf *conf, const char *path, struct mm_err *err)
{
	struct buf b = BUF_INIT(YAML_MAX_FILE);
	int r;

	conf->sections = NULL;
	conf->n = 0;
	if (buf_read_file(&b, path, err) < 0) {
		buf_release(&b);
		return -1;
	}
	r = readiness_conf_loadb(conf, b.data ? b.data : "", b.len, path, err);
	buf_release(&b);
	return r;
}

int
readiness_conf_default(struct readiness_conf *conf, struct mm_err *err)
{
	return readiness_conf_loadb(conf, readiness_default_yaml, strlen(readiness_default_yaml),
				    "<built-in readiness.yaml>", err);
}

size_t
readiness_conf_set_evidence(struct readiness_conf *conf, enum readiness_check c,
			    const char *const *paths, size_t n)
{
	size_t i, j, changed = 0;

	for (i = 0; i < conf->n; i++) {
		struct readiness_section_conf *s = &conf->sections[i];

		if (s->check != c)
			continue;
		for (j = 0; j < s->nevidence; j++)
			free(s->evidence[j]);
		free(s->evidence);
		s->evidence = xcalloc(n ? n : 1, sizeof(char *));
		for (j = 0; j < n; j++)
			s->evidence[j] = xstrdup(paths[j]);
		s->nevidence = n;
		changed++;
	}
	return changed;
}

/* ---- soak gates summary ------------------------------------------------ */

enum gverdict { GV_PASS, GV_FAIL, GV_NO_DATA, GV_ERROR, GV_UNKNOWN };

static const char *const gverdict_names[] = {"pass", "fail", "no_data", "error", "unknown"};

struct word {
	const char *w;
	int v;
};

static int
word_lookup(const struct word *tab, const char *s, int dflt)
{
	for (; tab->w; tab++)
		if (strcasecmp(tab->w, s) == 0)
			return tab->v;
	return dflt;
}

/* The spellings of a gate verdict that mmops soak and the seed's runner use. */
static const struct word gate_words[] = {
    {"pass", GV_PASS},	    {"passed", GV_PASS},       {"ok", GV_PASS},
    {"success", GV_PASS},   {"fail", GV_FAIL},	       {"failed", GV_FAIL},
    {"breach", GV_FAIL},    {"breached", GV_FAIL},     {"no_data", GV_NO_DATA},
    {"nodata", GV_NO_DATA}, {"no data", GV_NO_DATA},   {"no-data", GV_NO_DATA},
    {"error", GV_ERROR},    {"query_error", GV_ERROR}, {NULL, 0},
};

static enum gverdict
gate_verdict(const json_t *g)
{
	static const char *const str_keys[] = {"verdict", "status", "result", NULL};
	static const char *const bool_keys[] = {"pass", "passed", "ok", NULL};
	size_t i;

	for (i = 0; str_keys[i]; i++) {
		json_t *v = json_object_get(g, str_keys[i]);

		if (json_is_string(v))
			return word_lookup(gate_words, json_string_value(v), GV_UNKNOWN);
		if (json_is_boolean(v))
			return json_is_true(v) ? GV_PASS : GV_FAIL;
	}
	for (i = 0; bool_keys[i]; i++) {
		json_t *v = json_object_get(g, bool_keys[i]);

		if (json_is_boolean(v))
			return json_is_true(v) ? GV_PASS : GV_FAIL;
	}
	return GV_UNKNOWN;
}

static const struct word hard_words[] = {
    {"hard", 1}, {"critical", 1}, {"soft", 0}, {"warning", 0}, {"warn", 0}, {NULL, 0},
};

/* 1 hard, 0 soft, -1 when the gate does not say (dflt comes from the list it is in). */
static int
gate_hardness(const json_t *g, int dflt)
{
	static const char *const keys[] = {"kind", "type", "severity", "class", NULL};
	json_t *v = json_object_get(g, "hard");
	size_t i;

	if (json_is_boolean(v))
		return json_is_true(v);
	v = json_object_get(g, "soft");
	if (json_is_boolean(v))
		return !json_is_true(v);
	for (i = 0; keys[i]; i++) {
		v = json_object_get(g, keys[i]);
		if (json_is_string(v))
			return word_lookup(hard_words, json_string_value(v), dflt);
	}
	return dflt;
}

struct gate_tally {
	long gates, hard, hard_passed, soft, soft_passed, unknown_kind, malformed;
	json_t *hard_not_passed, *soft_not_passed;
	struct buf hard_list, soft_list;
};

static void
tally_gate(struct gate_tally *t, const char *name, const json_t *g, int dflt_hard)
{
	static const char *const copy_keys[] = {"value", "threshold", "op", NULL};
	enum gverdict v;
	json_t *item;
	int hard;
	size_t i;

	if (!json_is_object(g)) {
		t->malformed++;
		return;
	}
	t->gates++;
	if (!name) {
		name = jsontree_str(g, "name", NULL);
		if (!name)
			name = jsontree_str(g, "gate", NULL);
		if (!name)
			name = jsontree_str(g, "id", "(unnamed)");
	}
	hard = gate_hardness(g, dflt_hard);
	if (hard < 0) {
		/* A gate that does not say what it is counts as hard: HOLD rather than guess. */
		t->unknown_kind++;
		hard = 1;
	}
	v = gate_verdict(g);
	if (hard)
		t->hard++;
	else
		t->soft++;
	if (v == GV_PASS) {
		if (hard)
			t->hard_passed++;
		else
			t->soft_passed++;
		return;
	}
	item = json_object();
	set_str(item, "name", name);
	set_str(item, "verdict", gverdict_names[v]);
	for (i = 0; copy_keys[i]; i++) {
		json_t *x = json_object_get(g, copy_keys[i]);

		if (x && (json_is_number(x) || json_is_string(x) || json_is_null(x)))
			json_object_set(item, copy_keys[i], x);
	}
	if (hard) {
		if (json_array_size(t->hard_not_passed) < LIST_MAX)
			json_array_append_new(t->hard_not_passed, item);
		else
			json_decref(item);
		list_add(&t->hard_list, "%s (%s)", name, gverdict_names[v]);
	} else {
		if (json_array_size(t->soft_not_passed) < LIST_MAX)
			json_array_append_new(t->soft_not_passed, item);
		else
			json_decref(item);
		list_add(&t->soft_list, "%s (%s)", name, gverdict_names[v]);
	}
}

/* "gates" (and the seed-style "hard_gates"/"soft_gates") as a list or a map by name. */
static void
tally_list(struct gate_tally *t, const json_t *list, int dflt_hard)
{
	const char *key;
	json_t *g;
	size_t i;

	if (json_is_array(list)) {
		json_array_foreach(list, i, g) tally_gate(t, NULL, g, dflt_hard);
	} else if (json_is_object(list)) {
		json_object_foreach((json_t *)list, key, g)
		    tally_gate(t, jsontree_str(g, "name", key), g, dflt_hard);
	} else if (list) {
		t->malformed++;
	}
}

static const struct word summary_words[] = {
    {"pass", GV_PASS},
    {"passed", GV_PASS},
    {"ok", GV_PASS},
    {"success", GV_PASS},
    {"warn", GV_PASS},
    {"warning", GV_PASS},
    {"pass_with_warnings", GV_PASS},
    {NULL, 0},
};

json_t *
readiness_eval_soak_gates(const char *data, size_t len, const char *name, long max)
{
	const enum readiness_check c = RCHECK_SOAK_GATES;
	struct gate_tally t = {0};
	json_t *doc, *ev = evidence_new(name), *res;
	const char *verdict, *source;
	int mock;
	struct mm_err err;
	char pos[MM_ERR_MSG_MAX + MM_ERR_FILE_MAX + 32];

	mm_err_init(&err);
	if (!(doc = jsontree_loadb(data, len, name, &err))) {
		mm_err_format(&err, pos, sizeof(pos));
		set_str(ev, "error", pos);
		return section_new(c, max, ST_INVALID, ev, "gates summary is not JSON: %s", pos);
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		return section_new(c, max, ST_INVALID, ev,
				   "gates summary '%s' is not a JSON object", name);
	}
	t.hard_not_passed = json_array();
	t.soft_not_passed = json_array();
	buf_init(&t.hard_list, 1024);
	buf_init(&t.soft_list, 1024);
	tally_list(&t, json_object_get(doc, "gates"), -1);
	tally_list(&t, json_object_get(doc, "hard_gates"), 1);
	tally_list(&t, json_object_get(doc, "soft_gates"), 0);
	verdict = jsontree_str(doc, "verdict", NULL);
	if (verdict)
		set_str(ev, "summary_verdict", verdict);
	/* Where the soak's data came from: a simulator run is worth saying so. */
	source = jsontree_str(json_object_get(doc, "run"), "source", NULL);
	if (source)
		set_str(ev, "source", source);
	mock = source && strcmp(source, "mock") == 0;
	set_int(ev, "gates", t.gates);
	set_int(ev, "hard", t.hard);
	set_int(ev, "hard_passed", t.hard_passed);
	set_int(ev, "soft", t.soft);
	set_int(ev, "soft_passed", t.soft_passed);
	json_object_set_new(ev, "hard_not_passed", t.hard_not_passed);
	json_object_set_new(ev, "soft_not_passed", t.soft_not_passed);
	if (t.unknown_kind)
		set_int(ev, "gates_without_kind", t.unknown_kind);

	if (t.malformed)
		res = section_new(c, max, ST_INVALID, ev,
				  "gates summary has %ld malformed gate entr%s (expected objects)",
				  t.malformed, t.malformed == 1 ? "y" : "ies");
	else if (t.gates == 0)
		res = section_new(c, max, ST_INVALID, ev, "gates summary lists no gates");
	else if (t.hard == 0)
		res = section_new(c, max, ST_FAIL, ev, "gates summary has no hard gate");
	else if (t.hard_passed < t.hard)
		res = section_new(c, max, ST_FAIL, ev, "%ld of %ld hard gates not passed: %s",
				  t.hard - t.hard_passed, t.hard, t.hard_list.data);
	else if (verdict && word_lookup(summary_words, verdict, GV_FAIL) != GV_PASS)
		res = section_new(c, max, ST_FAIL, ev,
				  "every hard gate passed but the summary's verdict is '%s'",
				  verdict);
	else if (t.soft_passed < t.soft)
		res = section_new(c, max, ST_PASS, ev,
				  "all %ld hard gates passed%s; soft gates not passed: %s", t.hard,
				  mock ? " (simulated soak)" : "", t.soft_list.data);
	else
		res = section_new(c, max, ST_PASS, ev, "all %ld hard gates passed%s", t.hard,
				  mock ? " (simulated soak)" : "");
	buf_release(&t.hard_list);
	buf_release(&t.soft_list);
	json_decref(doc);
	return res;
}

/* ---- golden report ----------------------------------------------------- */

json_t *
readiness_eval_golden(const char *data, size_t len, const char *name, long max)
{
	static const char *const copy_keys[] = {"baseline", "actual", NULL};
	const enum readiness_check c = RCHECK_GOLDEN;
	json_t *doc, *ev = evidence_new(name), *drift, *count, *res, *list;
	struct mm_err err;
	char pos[MM_ERR_MSG_MAX + MM_ERR_FILE_MAX + 32];
	json_int_t n = -1;
	size_t i;

	mm_err_init(&err);
	if (!(doc = jsontree_loadb(data, len, name, &err))) {
		mm_err_format(&err, pos, sizeof(pos));
		set_str(ev, "error", pos);
		return section_new(c, max, ST_INVALID, ev, "golden report is not JSON: %s", pos);
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		return section_new(c, max, ST_INVALID, ev,
				   "golden report '%s' is not a JSON object", name);
	}
	for (i = 0; copy_keys[i]; i++)
		if (json_is_string(json_object_get(doc, copy_keys[i])))
			json_object_set(ev, copy_keys[i], json_object_get(doc, copy_keys[i]));
	drift = json_object_get(doc, "drift");
	count = json_object_get(doc, "drift_count");
	if (json_is_integer(count))
		n = json_integer_value(count);
	if (!json_is_boolean(drift)) {
		res = section_new(
		    c, max, ST_INVALID, ev,
		    "golden report has no boolean 'drift' (is it `mmops golden --format json`?)");
		goto out;
	}
	json_object_set(ev, "drift", drift);
	if (count && (!json_is_integer(count) || n < 0)) {
		res = section_new(c, max, ST_INVALID, ev,
				  "golden report's 'drift_count' is not a non-negative integer");
		goto out;
	}
	if (count)
		set_int(ev, "drift_count", (long)n);
	/* The first few drifting pointers, so a HOLD says where to look. */
	list = json_object_get(doc, "drifts");
	if (json_is_array(list) && json_array_size(list)) {
		json_t *ptrs = json_array(), *d;

		json_array_foreach(list, i, d)
		{
			const char *p = jsontree_str(d, "pointer", jsontree_str(d, "path", NULL));

			if (json_array_size(ptrs) >= 10)
				break;
			if (p)
				json_array_append_new(ptrs, jstr(p));
		}
		json_object_set_new(ev, "first_drifts", ptrs);
	}
	if (json_is_true(drift) && n > 0)
		res = section_new(c, max, ST_FAIL, ev, "golden report shows %lld drift%s",
				  (long long)n, n == 1 ? "" : "s");
	else if (json_is_true(drift))
		res = section_new(c, max, ST_FAIL, ev, "golden report shows drift");
	else if (n > 0)
		res =
		    section_new(c, max, ST_FAIL, ev,
				"golden report says no drift but counts %lld drifts", (long long)n);
	else
		res = section_new(c, max, ST_PASS, ev, "no drift from the golden baseline");
out:
	json_decref(doc);
	return res;
}

static json_t *
eval_junit_files(const struct readiness_section_conf *s)
{
	const enum readiness_check c = RCHECK_JUNIT;
	struct junit_counts total = {0};
	json_t *ev = json_object(), *files = json_array();
	struct buf bad = BUF_INIT(1024);
	enum sstatus worst = ST_PASS;
	char why[MM_ERR_MSG_MAX + MM_ERR_FILE_MAX + 32];
	json_t *res;
	size_t i;

	json_object_set_new(ev, "files", files);
	if (s->nevidence == 0) {
		json_decref(ev);
		return section_new(c, s->max, ST_MISSING, json_object(),
				   "no JUnit XML file given (--junit FILE)");
	}
	for (i = 0; i < s->nevidence; i++) {
		const char *path = s->evidence[i];
		struct junit_counts one = {0};
		json_t *f = evidence_new(path);
		enum sstatus st;
		struct mm_err err;
		struct buf b;

		json_array_append_new(files, f);
		if (read_evidence(path, &b, &st, why, sizeof(why)) < 0) {
			set_str(f, "error", why);
			if (st == ST_INVALID || worst == ST_PASS)
				worst = st;
			list_add(&bad, "%s", why);
			continue;
		}
		mm_err_init(&err);
		if (junit_count(b.data ? b.data : "", b.len, path, &one, &err) < 0) {
			mm_err_format(&err, why, sizeof(why));
			set_str(f, "error", why);
			worst = ST_INVALID;
			list_add(&bad, "%s", why);
		} else {
			set_int(f, "suites", one.suites);
			set_int(f, "tests", one.tests);
			set_int(f, "failures", one.failures);
			set_int(f, "errors", one.errors);
			set_int(f, "skipped", one.skipped);
			if (one.from_attributes)
				json_object_set_new(f, "from_attributes", json_true());
			junit_counts_add(&total, &one);
		}
		buf_release(&b);
	}
	set_int(ev, "tests", total.tests);
	set_int(ev, "failures", total.failures);
	set_int(ev, "errors", total.errors);
	set_int(ev, "skipped", total.skipped);
	if (worst != ST_PASS)
		res = section_new(c, s->max, worst, ev, "test results %s: %s",
				  worst == ST_MISSING ? "missing" : "unusable", bad.data);
	else if (total.failures || total.errors)
		res = section_new(c, s->max, ST_FAIL, ev, "%ld of %ld tests failed, %ld errored",
				  total.failures, total.tests, total.errors);
	else if (total.tests == 0)
		res = section_new(c, s->max, ST_FAIL, ev, "the JUnit results hold no test");
	else
		res = section_new(c, s->max, ST_PASS, ev,
				  "%ld tests, 0 failures, 0 errors (%ld skipped)", total.tests,
				  total.skipped);
	buf_release(&bad);
	return res;
}

/* ---- alert rules ------------------------------------------------------- */

/* Why an alerting rule falls short of the contract, or NULL when it does not. */
static const char *
rule_shortfall(const struct ynode *rule, char *buf, size_t n)
{
	const struct ynode *v, *labels;
	struct mm_err err;
	double secs;

	v = ynode_get(rule, "expr");
	if (!v || v->kind != YNODE_SCALAR || ynode_is_null(v))
		return "no expr";
	v = ynode_get(rule, "for");
	if (!v)
		return "no for";
	if (ynode_duration(v, &secs, &err) < 0) {
		snprintf(buf, n, "for: %s", err.msg);
		return buf;
	}
	labels = ynode_get(rule, "labels");
	if (!labels || labels->kind != YNODE_MAP)
		return "no labels";
	v = ynode_get(labels, "severity");
	if (!v || v->kind != YNODE_SCALAR || ynode_is_null(v))
		return "no labels.severity";
	return NULL;
}

/* A structural problem "line:col: what" into the evidence list and the reason text. */
static void
rule_problem(json_t *list, struct buf *text, const struct ynode *n, const char *fmt, ...)
{
	char what[256], line[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%lu:%lu: %s", n ? n->line : 1, n ? n->col : 1, what);
	if (json_array_size(list) < LIST_MAX)
		json_array_append_new(list, jstr(line));
	list_add(text, "%s", line);
}

json_t *
readiness_eval_alert_rules(const char *data, size_t len, const char *name, long max,
			   const char *const *required, size_t nrequired)
{
	const enum readiness_check c = RCHECK_ALERT_RULES;
	json_t *ev = evidence_new(name), *problems = json_array(), *missing = json_array();
	json_t *incomplete = json_array(), *res;
	struct buf ptext = BUF_INIT(1024), mtext = BUF_INIT(1024);
	const struct ynode *root, *groups;
	const struct ynode **found;
	const char **why;
	struct ydoc *doc;
	struct mm_err err;
	char pos[MM_ERR_MSG_MAX + MM_ERR_FILE_MAX + 32];
	long nrules = 0, nalerts = 0;
	size_t i, j, k;

	found = xcalloc(nrequired ? nrequired : 1, sizeof(*found));
	why = xcalloc(nrequired ? nrequired : 1, sizeof(*why));
	mm_err_init(&err);
	if (!(doc = yaml_loadb(data, len, name, &err))) {
		mm_err_format(&err, pos, sizeof(pos));
		set_str(ev, "error", pos);
		res = section_new(c, max, ST_INVALID, ev, "alert rules are not YAML: %s", pos);
		goto out;
	}
	root = doc->root;
	groups = ynode_get(root, "groups");
	if (!groups || groups->kind != YNODE_SEQ) {
		res = section_new(c, max, ST_INVALID, ev,
				  "'%s' has no 'groups' list (not a Prometheus rule file)", name);
		goto out;
	}
	for (i = 0; i < groups->n; i++) {
		const struct ynode *g = groups->items[i], *gname, *rules;

		if (g->kind != YNODE_MAP) {
			rule_problem(problems, &ptext, g, "group is not a mapping");
			continue;
		}
		gname = ynode_get(g, "name");
		if (!gname || gname->kind != YNODE_SCALAR || ynode_is_null(gname))
			rule_problem(problems, &ptext, g, "group without a name");
		rules = ynode_get(g, "rules");
		if (!rules || rules->kind != YNODE_SEQ) {
			rule_problem(problems, &ptext, g, "group without a 'rules' list");
			continue;
		}
		for (j = 0; j < rules->n; j++) {
			const struct ynode *r = rules->items[j], *an;
			char buf[MM_ERR_MSG_MAX + 16];
			const char *short_of;

			if (r->kind != YNODE_MAP) {
				rule_problem(problems, &ptext, r, "rule is not a mapping");
				continue;
			}
			nrules++;
			an = ynode_get(r, "alert");
			if (!an) {
				if (!ynode_get(r, "record"))
					rule_problem(problems, &ptext, r,
						     "rule is neither 'alert' nor 'record'");
				continue;
			}
			if (an->kind != YNODE_SCALAR || ynode_is_null(an)) {
				rule_problem(problems, &ptext, an, "alert name is not a string");
				continue;
			}
			nalerts++;
			short_of = rule_shortfall(r, buf, sizeof(buf));
			for (k = 0; k < nrequired; k++) {
				if (strcmp(required[k], an->str) != 0)
					continue;
				/* Several rules may share a name: one complete rule is enough. */
				if (!found[k] || why[k]) {
					found[k] = r;
					free((char *)why[k]);
					why[k] = short_of ? xstrdup(short_of) : NULL;
				}
			}
		}
	}
	for (k = 0; k < nrequired; k++) {
		if (!found[k]) {
			json_array_append_new(missing, jstr(required[k]));
			list_add(&mtext, "%s missing", required[k]);
		} else if (why[k]) {
			json_t *item = json_object();

			set_str(item, "alert", required[k]);
			set_str(item, "problem", why[k]);
			snprintf(pos, sizeof(pos), "%lu:%lu", found[k]->line, found[k]->col);
			set_str(item, "at", pos);
			json_array_append_new(incomplete, item);
			list_add(&mtext, "%s: %s", required[k], why[k]);
		}
	}
	set_int(ev, "groups", (long)groups->n);
	set_int(ev, "rules", nrules);
	set_int(ev, "alerts", nalerts);
	set_int(ev, "required", (long)nrequired);
	json_object_set(ev, "missing", missing);
	json_object_set(ev, "incomplete", incomplete);
	json_object_set(ev, "problems", problems);
	if (json_array_size(problems))
		res = section_new(c, max, ST_INVALID, ev, "rule file structure: %s", ptext.data);
	else if (mtext.len)
		res = section_new(c, max, ST_FAIL, ev, "%s", mtext.data);
	else if (nrequired == 0 && nalerts == 0)
		res = section_new(c, max, ST_FAIL, ev, "no alerting rules");
	else
		res = section_new(
		    c, max, ST_PASS, ev,
		    "all %zu required alerts present with expr, for and labels.severity",
		    nrequired);
out:
	for (k = 0; k < nrequired; k++)
		free((char *)why[k]);
	free(why);
	free(found);
	json_decref(problems);
	json_decref(missing);
	json_decref(incomplete);
	buf_release(&ptext);
	buf_release(&mtext);
	ydoc_free(doc);
	return res;
}

/* ---- rollback policy --------------------------------------------------- */

/* Would the policy roll back on an alert that carries only this alertname? */
static int
rolls_back(const struct policy *p, const char *alertname, char *why, size_t n)
{
	struct alert_label l = {(char *)"alertname", (char *)alertname};
	struct alert a;

	memset(&a, 0, sizeof(a));
	a.status = ALERT_FIRING;
	a.labels.v = &l;
	a.labels.n = 1;
	return policy_classify(p, &a, why, n) == HARDNESS_HARD;
}

json_t *
readiness_eval_rollback_policy(const char *data, size_t len, const char *name, long max,
			       const char *const *hard, size_t nhard)
{
	const enum readiness_check c = RCHECK_ROLLBACK_POLICY;
	json_t *ev = evidence_new(name), *not_hard, *res;
	struct buf text = BUF_INIT(1024);
	char pos[MM_ERR_MSG_MAX + MM_ERR_FILE_MAX + 32], why[256];
	struct policy *p;
	struct mm_err err;
	size_t i, nroll;

	mm_err_init(&err);
	set_str(ev, "validated_by", "lib/policy (the loader of mmops watch)");
	if (!(p = policy_loadb(data, len, name, &err))) {
		mm_err_format(&err, pos, sizeof(pos));
		set_str(ev, "error", pos);
		return section_new(c, max, ST_INVALID, ev, "rollback policy does not load: %s",
				   pos);
	}
	nroll = policy_count_actions(p, DECISION_ROLLBACK);
	set_str(ev, "cooldown", clock_format_duration(p->cooldown, why, sizeof(why)));
	set_int(ev, "actions", (long)p->nactions);
	set_int(ev, "rollback_actions", (long)nroll);
	set_int(ev, "notify_actions", (long)policy_count_actions(p, DECISION_NOTIFY));
	set_int(ev, "hard_alertnames", (long)p->hard.nnames);
	set_int(ev, "hard_matchers", (long)p->hard.ngroups);
	set_int(ev, "soft_alertnames", (long)p->soft.nnames);
	set_int(ev, "soft_matchers", (long)p->soft.ngroups);
	not_hard = json_array();
	for (i = 0; i < nhard; i++) {
		if (rolls_back(p, hard[i], why, sizeof(why)))
			continue;
		if (json_array_size(not_hard) < LIST_MAX)
			json_array_append_new(not_hard, jstr(hard[i]));
		list_add(&text, "%s", hard[i]);
	}
	set_int(ev, "required_hard", (long)nhard);
	json_object_set_new(ev, "not_rolled_back", not_hard);
	if (p->hard.nnames == 0 && p->hard.ngroups == 0)
		res = section_new(c, max, ST_FAIL, ev, "rollback policy names no hard alert");
	else if (nroll == 0)
		res = section_new(c, max, ST_FAIL, ev, "rollback policy has no action on rollback");
	else if (text.len)
		res = section_new(c, max, ST_FAIL, ev,
				  "hard alerts the policy would not roll back: %s", text.data);
	else
		res = section_new(c, max, ST_PASS, ev,
				  "policy loads; %zu rollback action%s, cooldown %s%s", nroll,
				  nroll == 1 ? "" : "s", jsontree_str(ev, "cooldown", "?"),
				  nhard ? "; every required hard alert rolls back" : "");
	buf_release(&text);
	policy_free(p);
	return res;
}

/* ---- scoring ----------------------------------------------------------- */

/* ---- canary ------------------------------------------------------------ */

json_t *
readiness_eval_canary(const char *data, size_t len, const char *name, long max)
{
	const enum readiness_check c = RCHECK_CANARY;
	json_t *doc, *ev = evidence_new(name), *m, *breached = json_array(), *res;
	struct buf list = BUF_INIT(4096);
	const char *verdict;
	struct mm_err err;
	char pos[MM_ERR_MSG_MAX + MM_ERR_FILE_MAX + 32];
	size_t i;

	mm_err_init(&err);
	if (!(doc = jsontree_loadb(data, len, name, &err))) {
		json_decref(breached);
		mm_err_format(&err, pos, sizeof(pos));
		set_str(ev, "error", pos);
		return section_new(c, max, ST_INVALID, ev, "canary report is not JSON: %s", pos);
	}
	verdict = jsontree_str(doc, "verdict", NULL);
	if (!json_is_object(doc) || !verdict || !json_is_number(json_object_get(doc, "score")) ||
	    !json_is_array(json_object_get(doc, "metrics"))) {
		json_decref(doc);
		json_decref(breached);
		return section_new(c, max, ST_INVALID, ev,
				   "'%s' is not a canary report (verdict, score, metrics)", name);
	}
	json_array_foreach(json_object_get(doc, "metrics"), i, m)
	{
		const char *cl = jsontree_str(m, "classification", "");

		if (strcmp(cl, "high") == 0 || strcmp(cl, "low") == 0) {
			json_array_append_new(breached, jstr(jsontree_str(m, "name", "?")));
			list_add(&list, "%s %s", jsontree_str(m, "name", "?"), cl);
		}
	}
	set_str(ev, "verdict", verdict);
	json_object_set_new(ev, "score", json_real(jsontree_num(doc, "score", 0)));
	json_object_set_new(ev, "breached", breached);
	if (strcmp(verdict, "pass") == 0)
		res = section_new(c, max, ST_PASS, ev, "canary passed (score %g)",
				  jsontree_num(doc, "score", 0));
	else
		res = section_new(c, max, ST_FAIL, ev, "canary %s (score %g)%s%s", verdict,
				  jsontree_num(doc, "score", 0), list.len ? ": " : "",
				  list.data ? list.data : "");
	buf_release(&list);
	json_decref(doc);
	return res;
}

json_t *
readiness_score_section(const struct readiness_section_conf *s)
{
	char why[MM_ERR_MSG_MAX + 64];
	const char *path;
	enum sstatus st;
	struct buf b;
	json_t *res;

	if (s->check == RCHECK_JUNIT)
		return eval_junit_files(s);
	if (s->nevidence == 0)
		return section_new(s->check, s->max, ST_MISSING, json_object(),
				   "no evidence file given");
	path = s->evidence[0];
	if (read_evidence(path, &b, &st, why, sizeof(why)) < 0) {
		json_t *ev = evidence_new(path);

		set_str(ev, "error", why);
		return section_new(s->check, s->max, st, ev, "%s", why);
	}
	switch (s->check) {
	case RCHECK_SOAK_GATES:
		res = readiness_eval_soak_gates(b.data ? b.data : "", b.len, path, s->max);
		break;
	case RCHECK_GOLDEN:
		res = readiness_eval_golden(b.data ? b.data : "", b.len, path, s->max);
		break;
	case RCHECK_ALERT_RULES:
		res =
		    readiness_eval_alert_rules(b.data ? b.data : "", b.len, path, s->max,
					       (const char *const *)s->require_alerts, s->nrequire);
		break;
	case RCHECK_CANARY:
		res = readiness_eval_canary(b.data ? b.data : "", b.len, path, s->max);
		break;
	case RCHECK_ROLLBACK_POLICY:
	default:
		res = readiness_eval_rollback_policy(b.data ? b.data : "", b.len, path, s->max,
						     (const char *const *)s->require_alerts,
						     s->nrequire);
		break;
	}
	buf_release(&b);
	return res;
}

json_t *
readiness_score(const struct readiness_conf *conf, double now)
{
	json_t *doc = jsontree_tool_meta(), *sections = json_object(), *runtime = json_object();
	char utc[CLOCK_RFC3339_MAX];
	long score = 0;
	size_t i;

	for (i = 0; i < conf->n; i++) {
		json_t *s = readiness_score_section(&conf->sections[i]);

		score += (long)json_integer_value(json_object_get(s, "points"));
		json_object_set_new(sections, conf->sections[i].name, s);
	}
	set_str(runtime, "utc", clock_format_rfc3339(now, utc, sizeof(utc)));
	set_str(runtime, "version", MMOPS_VERSION);
	json_object_set_new(doc, "runtime", runtime);
	json_object_set_new(doc, "sections", sections);
	set_int(doc, "score", score);
	set_str(doc, "verdict", score == READINESS_TOTAL ? "GO" : "HOLD");
	return doc;
}
