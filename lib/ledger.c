/*
 * ledger.c - the watcher's decisions, made durable.  An in-memory hash
 * table keyed by (fingerprint, startsAt) answers "seen before?"; the last
 * rollback and the unfinished jobs answer "cooldown?" and "in progress?".
 * Every change is a JSON line in journal.jsonl (and a line in the audit
 * log), fdatasync'ed by group commit before the watcher answers; the
 * journal is folded into the state.json snapshot at start-up and whenever
 * it grows long, so a restart replays little.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "fsx.h"
#include "jsonw.h"
#include "jsonx.h"
#include "ledger.h"
#include "log.h"
#include "xalloc.h"

#define STATE_FILE "state.json"
#define JOURNAL_FILE "journal.jsonl"
#define LOCK_FILE "lock"
#define MAX_STATE_FILE ((size_t)1 << 30)
#define PENDING_CAP ((size_t)1 << 30)	/* records waiting for a pass; far above any burst */

struct entry {
	char *key;		/* fingerprint '\n' startsAt */
	double first_seen, last_seen;
	uint64_t seq;		/* record that made the decision durable (0: loaded from disk) */
	long rollback_id;
	unsigned char decision;
	unsigned char resolved;
};

struct table {
	struct entry **slots;
	size_t cap, n;
};

struct ledger {
	pthread_mutex_t mu;		/* everything below except the sync fields */
	struct table t;
	size_t max_entries;
	char *dir, *state_path, *journal_path, *audit_path;
	int read_only, failed;
	char failmsg[MM_ERR_MSG_MAX];
	int lockfd, jfd, afd;
	pthread_rwlock_t afd_lock;	/* writers of afd (read side) vs reopen (write side) */
	size_t journal_lines;
	long next_job, next_rollback;
	json_t *pending;		/* "<id>": job JSON */
	int pending_taken;
	long active_rollback;		/* a rollback job not finished, 0 when none */
	/* the last rollback */
	long lr_id;
	double lr_decided, lr_finished;
	int lr_dry_run;
	json_t *lr_info;		/* alertname, fingerprint, startsAt, reason */
	json_t *lr_results;
	/* recent decisions for /status (their audit lines), a ring */
	char *recent[LEDGER_RECENT];
	size_t recent_next;
	/* group commit: records wait in pend_* (under mu) for the next pass */
	struct buf pend_j, pend_a;
	uint64_t appended_seq;		/* under mu */
	pthread_mutex_t sync_mu;
	pthread_cond_t sync_cv;
	uint64_t synced_seq;		/* under sync_mu */
	int syncing;			/* a pass is running (under sync_mu) */
};

/* ---- the table ---- */

static uint64_t
hash_key(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static struct entry **
table_slot(struct table *t, const char *key)
{
	size_t i = (size_t)hash_key(key) & (t->cap - 1);

	while (t->slots[i] && strcmp(t->slots[i]->key, key) != 0)
		i = (i + 1) & (t->cap - 1);
	return &t->slots[i];
}

static struct entry *
table_get(struct table *t, const char *key)
{
	if (!t->cap)
		return NULL;
	return *table_slot(t, key);
}

static void
table_put(struct table *t, struct entry *e)
{
	if ((t->n + 1) * 2 > t->cap) {
		struct entry **old = t->slots;
		size_t oldcap = t->cap, i;

		t->cap = oldcap ? oldcap * 2 : 1024;
		t->slots = xcalloc(t->cap, sizeof(*t->slots));
		for (i = 0; i < oldcap; i++)
			if (old[i])
				*table_slot(t, old[i]->key) = old[i];
		free(old);
	}
	*table_slot(t, e->key) = e;
	t->n++;
}

static void
entry_free(struct entry *e)
{
	if (e) {
		free(e->key);
		free(e);
	}
}

static void
table_release(struct table *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		entry_free(t->slots[i]);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

static char *
make_key(const char *fp, const char *starts_at)
{
	return xasprintf("%s\n%s", fp, starts_at);
}

/* ---- jobs ---- */

void
ledger_job_free(struct ledger_job *j)
{
	if (!j)
		return;
	alert_release(&j->alert);
	free(j->receiver);
	free(j->external_url);
	free(j->group_key);
	free(j);
}

static json_t *
job_to_json(const struct ledger_job *j)
{
	return json_pack("{s:I, s:s, s:I, s:s, s:o, s:s, s:s, s:s, s:f}",
			 "id", (json_int_t)j->id, "kind", decision_name(j->kind),
			 "rollback_id", (json_int_t)j->rollback_id, "gate", gate_name(j->gate),
			 "alert", alert_to_json(&j->alert), "receiver", j->receiver,
			 "externalURL", j->external_url, "groupKey", j->group_key,
			 "decided_at", j->decided_at);
}

static struct ledger_job *
job_from_json(const json_t *o, struct mm_err *err)
{
	struct ledger_job *j = xcalloc(1, sizeof(*j));
	const char *kind = jsonx_str(o, "kind", ""), *gate = jsonx_str(o, "gate", "");

	j->id = (long)jsonx_num(o, "id", 0);
	j->kind = strcmp(kind, "notify") == 0 ? DECISION_NOTIFY : DECISION_ROLLBACK;
	j->rollback_id = (long)jsonx_num(o, "rollback_id", 0);
	j->gate = strcmp(gate, "hard") == 0 ? GATE_HARD : strcmp(gate, "soft") == 0 ? GATE_SOFT
										     : GATE_NONE;
	j->receiver = xstrdup(jsonx_str(o, "receiver", ""));
	j->external_url = xstrdup(jsonx_str(o, "externalURL", ""));
	j->group_key = xstrdup(jsonx_str(o, "groupKey", ""));
	j->decided_at = jsonx_num(o, "decided_at", 0);
	if (j->id <= 0 || alert_from_json(json_object_get(o, "alert"), "job.alert", &j->alert,
					  err) < 0) {
		if (j->id <= 0)
			mm_errf(err, MM_E_PARSE, "job without an id");
		free(j->receiver);
		free(j->external_url);
		free(j->group_key);
		free(j);
		return NULL;
	}
	return j;
}

/* ---- applying records (shared by live decisions and replay) ---- */

static struct entry *
remember(struct ledger *l, const char *fp, const char *starts_at, enum decision_kind d,
	 int resolved, double t, long rollback_id)
{
	char *key = make_key(fp, starts_at);
	struct entry *e = table_get(&l->t, key);

	if (e) {
		free(key);
		if (resolved)
			e->resolved = 1;
		if (t > e->last_seen)
			e->last_seen = t;
		return e;
	}
	e = xcalloc(1, sizeof(*e));
	e->key = key;
	e->decision = (unsigned char)d;
	e->resolved = (unsigned char)(resolved != 0);
	e->first_seen = e->last_seen = t;
	e->rollback_id = rollback_id;
	table_put(&l->t, e);
	return e;
}

static void
set_last_rollback(struct ledger *l, long id, double t, const char *alertname, const char *fp,
		  const char *starts_at, int dry_run)
{
	l->lr_id = id;
	l->lr_decided = t;
	l->lr_finished = 0;
	l->lr_dry_run = dry_run;
	json_decref(l->lr_info);
	l->lr_info = json_pack("{s:s, s:s, s:s}", "alertname", alertname, "fingerprint", fp,
			       "startsAt", starts_at);
	json_decref(l->lr_results);
	l->lr_results = NULL;
	if (id >= l->next_rollback)
		l->next_rollback = id + 1;
}

/* Replay one journal record. */
static int
apply_record(struct ledger *l, const json_t *r, struct mm_err *err)
{
	const char *type = jsonx_str(r, "type", "");
	double t = jsonx_num(r, "t", 0);

	if (strcmp(type, "decision") == 0) {
		const char *fp = jsonx_str(r, "fingerprint", NULL), *sa = jsonx_str(r, "startsAt", "");
		int d = decision_from_name(jsonx_str(r, "decision", ""));
		long rid = (long)jsonx_num(r, "rollback_id", 0);
		const json_t *job = json_object_get(r, "job");

		if (!fp || d < 0)
			return mm_errf(err, MM_E_PARSE, "decision record without fingerprint or decision");
		remember(l, fp, sa, (enum decision_kind)d,
			 strcmp(jsonx_str(r, "status", ""), "resolved") == 0, t, rid);
		if (d == DECISION_ROLLBACK && rid >= l->next_rollback)
			set_last_rollback(l, rid, t, jsonx_str(r, "alertname", ""), fp, sa, 0);
		if (json_is_object(job)) {
			long id = (long)jsonx_num(job, "id", 0);
			char k[32];

			if (id >= l->next_job) {
				snprintf(k, sizeof(k), "%ld", id);
				json_object_set(l->pending, k, (json_t *)job);
				l->next_job = id + 1;
				if (d == DECISION_ROLLBACK)
					l->active_rollback = rid;
			}
		}
		return 0;
	}
	if (strcmp(type, "done") == 0) {
		long id = (long)jsonx_num(r, "job", 0), rid = (long)jsonx_num(r, "rollback_id", 0);
		char k[32];

		snprintf(k, sizeof(k), "%ld", id);
		json_object_del(l->pending, k);
		if (rid && rid == l->lr_id) {
			l->lr_finished = t;
			json_decref(l->lr_results);
			l->lr_results = json_incref(json_object_get(r, "results"));
		}
		if (rid && rid == l->active_rollback)
			l->active_rollback = 0;
		return 0;
	}
	return mm_errf(err, MM_E_PARSE, "unknown record type '%s'", type);
}

/* ---- loading ---- */

static int
load_snapshot(struct ledger *l, struct mm_err *err)
{
	const json_t *a, *v, *lr;
	struct stat st;
	json_t *root;
	size_t i;
	int ret = -1;

	if (stat(l->state_path, &st) < 0 && errno == ENOENT)
		return 0;
	if (!(root = jsonx_load_file(l->state_path, err)))
		return -1;
	if (!json_is_object(root) || jsonx_num(root, "format", 0) != LEDGER_STATE_FORMAT) {
		mm_errf_at(err, MM_E_PARSE, l->state_path, 1, 1, "not a watcher state file "
			   "(format %d)", LEDGER_STATE_FORMAT);
		goto out;
	}
	l->next_job = (long)jsonx_num(root, "next_job", 1);
	l->next_rollback = (long)jsonx_num(root, "next_rollback", 1);
	a = json_object_get(root, "alerts");
	json_array_foreach(a, i, v) {
		struct entry *e;
		int d = decision_from_name(json_string_value(json_array_get(v, 2)) ?
					   json_string_value(json_array_get(v, 2)) : "");

		if (!json_is_array(v) || json_array_size(v) != 7 ||
		    !json_is_string(json_array_get(v, 0)) || !json_is_string(json_array_get(v, 1)) ||
		    d < 0) {
			mm_errf_at(err, MM_E_PARSE, l->state_path, 1, 1, "alerts[%zu] is malformed", i);
			goto out;
		}
		e = remember(l, json_string_value(json_array_get(v, 0)),
			     json_string_value(json_array_get(v, 1)), (enum decision_kind)d,
			     json_is_true(json_array_get(v, 3)),
			     json_number_value(json_array_get(v, 4)),
			     (long)json_integer_value(json_array_get(v, 6)));
		e->last_seen = json_number_value(json_array_get(v, 5));
	}
	a = json_object_get(root, "pending");
	json_array_foreach(a, i, v) {
		char k[32];

		snprintf(k, sizeof(k), "%ld", (long)jsonx_num(v, "id", 0));
		json_object_set(l->pending, k, (json_t *)v);
		if (strcmp(jsonx_str(v, "kind", ""), "rollback") == 0)
			l->active_rollback = (long)jsonx_num(v, "rollback_id", 0);
	}
	if ((lr = json_object_get(root, "last_rollback")) && json_is_object(lr)) {
		l->lr_id = (long)jsonx_num(lr, "id", 0);
		l->lr_decided = jsonx_num(lr, "decided_ts", 0);
		l->lr_finished = jsonx_num(lr, "finished_ts", 0);
		l->lr_dry_run = 0;
		l->lr_info = json_pack("{s:s, s:s, s:s}", "alertname", jsonx_str(lr, "alertname", ""),
				       "fingerprint", jsonx_str(lr, "fingerprint", ""),
				       "startsAt", jsonx_str(lr, "startsAt", ""));
		if ((v = json_object_get(lr, "results")) && json_is_array(v))
			l->lr_results = json_incref((json_t *)v);
	}
	ret = 0;
out:
	json_decref(root);
	return ret;
}

/* Replay the journal; a last line without its newline is a torn write and is dropped. */
static int
replay_journal(struct ledger *l, struct mm_err *err)
{
	struct buf b = BUF_INIT(MAX_STATE_FILE);
	struct stat st;
	size_t lineno = 0;
	char *p, *nl;
	int ret = -1;

	if (stat(l->journal_path, &st) < 0 && errno == ENOENT)
		return 0;
	if (buf_read_file(&b, l->journal_path, err) < 0)
		goto out;
	for (p = b.data; p && *p; p = nl + 1) {
		struct mm_err jerr;
		json_t *r;

		lineno++;
		if (!(nl = strchr(p, '\n'))) {
			mm_log(MM_LOG_WARN, "%s:%zu: dropping a torn last record", l->journal_path,
			       lineno);
			break;
		}
		if (nl == p)
			continue;
		if (!(r = jsonx_loadb(p, (size_t)(nl - p), l->journal_path, &jerr))) {
			mm_errf_at(err, MM_E_PARSE, l->journal_path, lineno, jerr.col, "%s", jerr.msg);
			goto out;
		}
		if (apply_record(l, r, &jerr) < 0) {
			json_decref(r);
			mm_errf_at(err, MM_E_PARSE, l->journal_path, lineno, 1, "%s", jerr.msg);
			goto out;
		}
		json_decref(r);
	}
	ret = 0;
out:
	buf_release(&b);
	return ret;
}

/* ---- writing ---- */

static json_t *
last_rollback_json(struct ledger *l)
{
	char t1[CLOCK_RFC3339_MAX], t2[CLOCK_RFC3339_MAX];
	json_t *o;

	if (!l->lr_id)
		return json_null();
	o = json_deep_copy(l->lr_info);
	json_object_set_new(o, "id", json_integer(l->lr_id));
	json_object_set_new(o, "decided_at", json_string(clock_format_rfc3339(l->lr_decided, t1,
									    sizeof(t1))));
	json_object_set_new(o, "decided_ts", json_real(l->lr_decided));
	json_object_set_new(o, "finished_at", l->lr_finished ?
			    json_string(clock_format_rfc3339(l->lr_finished, t2, sizeof(t2))) :
			    json_null());
	json_object_set_new(o, "finished_ts", json_real(l->lr_finished));
	json_object_set_new(o, "dry_run", json_boolean(l->lr_dry_run));
	json_object_set_new(o, "in_progress", json_boolean(l->active_rollback == l->lr_id));
	json_object_set_new(o, "results", l->lr_results ? json_incref(l->lr_results) : json_null());
	return o;
}

static int
entry_older(const void *a, const void *b)
{
	double x = (*(struct entry *const *)a)->last_seen, y = (*(struct entry *const *)b)->last_seen;

	return x < y ? -1 : x > y;
}

/* Drop entries last seen before cutoff, then the oldest beyond keep.  Caller holds mu. */
static void
prune(struct ledger *l, double cutoff, size_t keep)
{
	struct entry **all = xcalloc(l->t.n ? l->t.n : 1, sizeof(*all));
	size_t i, n = 0, start = 0;

	for (i = 0; i < l->t.cap; i++)
		if (l->t.slots[i])
			all[n++] = l->t.slots[i];
	qsort(all, n, sizeof(*all), entry_older);
	while (start < n && all[start]->last_seen < cutoff)
		start++;
	if (n - start > keep)
		start = n - keep;
	if (start)
		mm_log(MM_LOG_INFO, "ledger: forgetting %zu alerts not seen since before the "
		       "retention cutoff or past the cap", start);
	for (i = 0; i < start; i++)
		entry_free(all[i]);
	free(l->t.slots);
	l->t.slots = NULL;
	l->t.cap = l->t.n = 0;
	for (i = start; i < n; i++)
		table_put(&l->t, all[i]);
	free(all);
}

static json_t *
snapshot_json(struct ledger *l, double now)
{
	char ts[CLOCK_RFC3339_MAX];
	json_t *root = jsonx_tool_meta(), *alerts = json_array(), *pending = json_array(), *v;
	const char *k;
	size_t i;

	for (i = 0; i < l->t.cap; i++) {
		struct entry *e = l->t.slots[i];
		char *nl;

		if (!e)
			continue;
		nl = strchr(e->key, '\n');
		json_array_append_new(alerts, json_pack("[s%, s, s, b, f, f, I]", e->key,
							(size_t)(nl - e->key), nl + 1,
							decision_name(e->decision), e->resolved,
							e->first_seen, e->last_seen,
							(json_int_t)e->rollback_id));
	}
	json_object_foreach(l->pending, k, v)
		json_array_append(pending, v);
	json_object_set_new(root, "format", json_integer(LEDGER_STATE_FORMAT));
	json_object_set_new(root, "saved_at", json_string(clock_format_rfc3339(now, ts, sizeof(ts))));
	json_object_set_new(root, "next_job", json_integer(l->next_job));
	json_object_set_new(root, "next_rollback", json_integer(l->next_rollback));
	json_object_set_new(root, "last_rollback", last_rollback_json(l));
	json_object_set_new(root, "pending", pending);
	json_object_set_new(root, "alerts", alerts);
	return root;
}

/* Enter the failed state (caller holds mu); errnum 0 means what says it all. */
static int
fail(struct ledger *l, struct mm_err *err, const char *what, int errnum)
{
	if (!l->failed) {
		l->failed = 1;
		if (errnum)
			snprintf(l->failmsg, sizeof(l->failmsg), "%s: %s", what, strerror(errnum));
		else
			snprintf(l->failmsg, sizeof(l->failmsg), "%s", what);
		mm_log(MM_LOG_ERROR, "ledger failed, refusing further decisions until restarted: %s",
		       l->failmsg);
	}
	return mm_errf(err, MM_E_IO, "%s", l->failmsg);
}

/* Snapshot + empty journal.  Caller holds mu. */
static int
compact_locked(struct ledger *l, double now, struct mm_err *err)
{
	json_t *snap;
	int rc;

	if (l->read_only || !l->dir)
		return 0;
	if (l->failed)
		return mm_errf(err, MM_E_IO, "%s", l->failmsg);
	snap = snapshot_json(l, now);
	rc = jsonx_write_file(l->state_path, snap, err);
	json_decref(snap);
	if (rc < 0)
		return fail(l, err, err ? err->msg : "cannot write the state snapshot", 0);
	if (l->jfd >= 0 && ftruncate(l->jfd, 0) < 0)
		return fail(l, err, "cannot empty the journal", errno);
	l->journal_lines = 0;
	return 0;
}

static void
ledger_free(struct ledger *l)
{
	size_t i;

	table_release(&l->t);
	json_decref(l->pending);
	json_decref(l->lr_info);
	json_decref(l->lr_results);
	for (i = 0; i < LEDGER_RECENT; i++)
		free(l->recent[i]);
	if (l->jfd >= 0)
		close(l->jfd);
	if (l->afd >= 0)
		close(l->afd);
	if (l->lockfd >= 0)
		close(l->lockfd);
	free(l->dir);
	free(l->state_path);
	free(l->journal_path);
	free(l->audit_path);
	buf_release(&l->pend_j);
	buf_release(&l->pend_a);
	pthread_mutex_destroy(&l->mu);
	pthread_rwlock_destroy(&l->afd_lock);
	pthread_mutex_destroy(&l->sync_mu);
	pthread_cond_destroy(&l->sync_cv);
	free(l);
}

static int
lock_dir(struct ledger *l, struct mm_err *err)
{
	char *path = xasprintf("%s/%s", l->dir, LOCK_FILE);
	char pid[32];
	int n;

	l->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (l->lockfd < 0) {
		mm_errf(err, MM_E_IO, "cannot open '%s': %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (flock(l->lockfd, LOCK_EX | LOCK_NB) < 0) {
		mm_errf(err, MM_E_IO, "state dir '%s' is in use by another mmops watch (%s)", l->dir,
			errno == EWOULDBLOCK ? "locked" : strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(l->lockfd, 0) == 0)
		(void)!write(l->lockfd, pid, (size_t)n);
	return 0;
}

struct ledger *
ledger_open(const struct ledger_opts *o, double now, struct mm_err *err)
{
	struct ledger *l = xcalloc(1, sizeof(*l));

	pthread_mutex_init(&l->mu, NULL);
	pthread_rwlock_init(&l->afd_lock, NULL);
	pthread_mutex_init(&l->sync_mu, NULL);
	pthread_cond_init(&l->sync_cv, NULL);
	l->lockfd = l->jfd = l->afd = -1;
	buf_init(&l->pend_j, PENDING_CAP);
	buf_init(&l->pend_a, PENDING_CAP);
	l->read_only = o->read_only;
	l->max_entries = o->max_entries ? o->max_entries : LEDGER_MAX_ENTRIES;
	l->next_job = l->next_rollback = 1;
	l->pending = json_object();
	if (o->state_dir) {
		struct stat st;

		l->dir = xstrdup(o->state_dir);
		l->state_path = xasprintf("%s/%s", l->dir, STATE_FILE);
		l->journal_path = xasprintf("%s/%s", l->dir, JOURNAL_FILE);
		if (!l->read_only) {
			if (fsx_mkdir_p(l->dir, 0750, err) < 0 || lock_dir(l, err) < 0)
				goto fail;
		} else if (stat(l->dir, &st) < 0) {
			/* dry-run with a state dir that does not exist yet: start empty */
			free(l->dir);
			l->dir = NULL;
		}
		if (l->dir && (load_snapshot(l, err) < 0 || replay_journal(l, err) < 0))
			goto fail;
		if (l->dir && !l->read_only) {
			l->jfd = open(l->journal_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
			if (l->jfd < 0) {
				mm_errf(err, MM_E_IO, "cannot open '%s': %s", l->journal_path,
					strerror(errno));
				goto fail;
			}
			if (compact_locked(l, now, err) < 0)
				goto fail;
		}
	}
	if (o->audit_path) {
		l->audit_path = xstrdup(o->audit_path);
		l->afd = open(o->audit_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (l->afd < 0) {
			mm_errf(err, MM_E_IO, "cannot open audit log '%s': %s", o->audit_path,
				strerror(errno));
			goto fail;
		}
	}
	return l;
fail:
	ledger_free(l);
	return NULL;
}

static int lead_pass(struct ledger *l, int new_afd, struct mm_err *err);

void
ledger_close(struct ledger *l, double now)
{
	if (!l)
		return;
	(void)lead_pass(l, -1, NULL);
	pthread_mutex_lock(&l->mu);
	if (!l->failed)
		(void)compact_locked(l, now, NULL);
	pthread_mutex_unlock(&l->mu);
	ledger_free(l);
}

/*
 * Queue journal and audit text for the next group-commit pass (caller holds
 * mu); returns its sequence number for ledger_commit(), or 0 on failure.
 */
static uint64_t
append_locked(struct ledger *l, const struct buf *journal, size_t jlines, const struct buf *audit,
	      struct mm_err *err)
{
	if (journal->len && l->jfd >= 0) {
		if (buf_add(&l->pend_j, journal->data, journal->len) < 0) {
			fail(l, err, "too many journal records waiting for the disk", 0);
			return 0;
		}
		l->journal_lines += jlines;
	}
	if (audit->len && l->afd >= 0 && buf_add(&l->pend_a, audit->data, audit->len) < 0) {
		fail(l, err, "too many audit records waiting for the disk", 0);
		return 0;
	}
	return ++l->appended_seq;
}

/*
 * One group-commit pass, run by one thread at a time (the caller set
 * syncing): take everything queued, write it and fdatasync, outside mu so
 * that deciding goes on meanwhile.  *target gets the last sequence number
 * the pass covered.  new_afd >= 0 switches the audit log after the pass.
 */
static int
flush_pass(struct ledger *l, uint64_t *target, int new_afd, struct mm_err *err)
{
	struct buf j, a;
	const char *what = NULL;
	int jfd, afd, e = 0;

	pthread_mutex_lock(&l->mu);
	j = l->pend_j;
	a = l->pend_a;
	buf_init(&l->pend_j, PENDING_CAP);
	buf_init(&l->pend_a, PENDING_CAP);
	*target = l->appended_seq;
	jfd = l->jfd;
	afd = l->afd;
	pthread_mutex_unlock(&l->mu);
	pthread_rwlock_rdlock(&l->afd_lock);
	if (j.len && fsx_write_all(jfd, j.data, j.len) < 0)
		what = "cannot append to the journal", e = errno;
	else if (a.len && fsx_write_all(afd, a.data, a.len) < 0)
		what = "cannot append to the audit log", e = errno;
	else if (j.len && fdatasync(jfd) < 0)
		what = "cannot sync the journal", e = errno;
	/* also when only duplicates were written since the last pass */
	else if (afd >= 0 && (a.len || new_afd >= 0) && fdatasync(afd) < 0)
		what = "cannot sync the audit log", e = errno;
	pthread_rwlock_unlock(&l->afd_lock);
	buf_release(&j);
	buf_release(&a);
	pthread_mutex_lock(&l->mu);
	if (what)
		fail(l, err, what, e);
	if (new_afd >= 0) {
		pthread_rwlock_wrlock(&l->afd_lock);
		if (l->afd >= 0)
			close(l->afd);
		l->afd = new_afd;
		pthread_rwlock_unlock(&l->afd_lock);
	}
	pthread_mutex_unlock(&l->mu);
	return what ? -1 : 0;
}

/* Run a pass as the leader once no other pass runs; returns its result. */
static int
lead_pass(struct ledger *l, int new_afd, struct mm_err *err)
{
	uint64_t target;
	int rc;

	pthread_mutex_lock(&l->sync_mu);
	while (l->syncing)
		pthread_cond_wait(&l->sync_cv, &l->sync_mu);
	l->syncing = 1;
	pthread_mutex_unlock(&l->sync_mu);
	rc = flush_pass(l, &target, new_afd, err);
	pthread_mutex_lock(&l->sync_mu);
	l->syncing = 0;
	if (rc == 0 && target > l->synced_seq)
		l->synced_seq = target;
	pthread_cond_broadcast(&l->sync_cv);
	pthread_mutex_unlock(&l->sync_mu);
	return rc;
}

static void
add_line(struct buf *b, const json_t *j)
{
	char *s = jsonx_dumps_compact(j);

	buf_adds(b, s);
	buf_addc(b, '\n');
	free(s);
}

static void
remember_recent(struct ledger *l, const char *line, size_t len)
{
	free(l->recent[l->recent_next]);
	l->recent[l->recent_next] = xstrndup(line, len);
	l->recent_next = (l->recent_next + 1) % LEDGER_RECENT;
}

static double
cooldown_left(struct ledger *l, const struct policy *pol, double now)
{
	double left;

	if (!l->lr_id)
		return 0;
	left = l->lr_decided + pol->cooldown - now;
	return left > 0 ? left : 0;
}

static struct ledger_job *
new_job(struct ledger *l, enum decision_kind k, long rollback_id, enum gate g,
	const struct alert *a, const struct alert_payload *p, double now)
{
	struct ledger_job *j = xcalloc(1, sizeof(*j));

	j->id = l->next_job++;
	j->kind = k;
	j->rollback_id = rollback_id;
	j->gate = g;
	alert_copy(&j->alert, a);
	j->receiver = xstrdup(p->receiver ? p->receiver : "");
	j->external_url = xstrdup(p->external_url ? p->external_url : "");
	j->group_key = xstrdup(p->group_key ? p->group_key : "");
	j->decided_at = now;
	return j;
}

/* Decide one alert; caller holds mu.  Returns the record seq it depends on via *dep. */
static void
decide_one(struct ledger *l, const struct policy *pol, const struct alert_payload *p,
	   const struct alert *a, double now, int dry_run, struct ledger_verdict *v,
	   json_t **jrec, struct entry **made, uint64_t *dep)
{
	char key_why[256], ts[CLOCK_RFC3339_MAX];
	char *key = make_key(a->fingerprint, a->starts_at);
	struct entry *e = table_get(&l->t, key);
	int resolved = a->status == ALERT_RESOLVED;

	free(key);
	memset(v, 0, sizeof(*v));
	*jrec = NULL;
	*made = NULL;
	v->gate = policy_classify(pol, a, key_why, sizeof(key_why));
	if (e && (!resolved || e->resolved)) {
		v->kind = DECISION_DUPLICATE;
		v->rollback_id = e->rollback_id;
		snprintf(v->reason, sizeof(v->reason), "%s already recorded: decided %s at %s",
			 resolved ? "resolution" : "alert", decision_name(e->decision),
			 clock_format_rfc3339(e->first_seen, ts, sizeof(ts)));
		if (now > e->last_seen)
			e->last_seen = now;
		if (e->seq > *dep)
			*dep = e->seq;
		return;
	}
	if (resolved) {
		v->kind = DECISION_IGNORED;
		snprintf(v->reason, sizeof(v->reason), "resolved: recorded; a rollback is never "
			 "undone automatically");
	} else if (v->gate == GATE_HARD) {
		double left = cooldown_left(l, pol, now);

		if (l->active_rollback) {
			v->kind = DECISION_COOLDOWN;
			v->rollback_id = l->active_rollback;
			snprintf(v->reason, sizeof(v->reason), "hard (%s), but rollback %ld is in "
				 "progress", key_why, l->active_rollback);
		} else if (left > 0) {
			v->kind = DECISION_COOLDOWN;
			v->rollback_id = l->lr_id;
			snprintf(v->reason, sizeof(v->reason), "hard (%s), but within the cooldown of "
				 "rollback %ld (%.0fs left)", key_why, l->lr_id, left);
		} else {
			v->kind = DECISION_ROLLBACK;
			v->rollback_id = l->next_rollback;
			snprintf(v->reason, sizeof(v->reason), "hard (%s)", key_why);
			set_last_rollback(l, v->rollback_id, now, alert_name(a), a->fingerprint,
					  a->starts_at, dry_run);
			if (dry_run) {
				l->lr_finished = now;
			} else {
				v->job = new_job(l, DECISION_ROLLBACK, v->rollback_id, v->gate, a, p,
						 now);
				l->active_rollback = v->rollback_id;
			}
		}
	} else if (v->gate == GATE_SOFT) {
		v->kind = DECISION_NOTIFY;
		snprintf(v->reason, sizeof(v->reason), "soft (%s): notify only", key_why);
		if (!dry_run && policy_count_actions(pol, DECISION_NOTIFY))
			v->job = new_job(l, DECISION_NOTIFY, 0, v->gate, a, p, now);
	} else {
		v->kind = DECISION_IGNORED;
		snprintf(v->reason, sizeof(v->reason), "matches neither hard nor soft");
	}
	if (e) {
		/* a resolution of an alert already decided while firing */
		e->resolved = 1;
		e->last_seen = now;
		*made = e;
	} else {
		*made = remember(l, a->fingerprint, a->starts_at, v->kind, resolved, now,
				 v->kind == DECISION_ROLLBACK ? v->rollback_id : 0);
	}
	if (l->t.n >= l->max_entries)
		l->journal_lines = LEDGER_COMPACT_LINES;	/* ask for a compaction */
	*jrec = json_pack("{s:s, s:f, s:s, s:s, s:s, s:s, s:s}", "type", "decision", "t", now,
			  "fingerprint", a->fingerprint, "startsAt", a->starts_at,
			  "status", alert_status_name(a->status), "decision", decision_name(v->kind),
			  "alertname", alert_name(a));
	if (v->kind == DECISION_ROLLBACK)
		json_object_set_new(*jrec, "rollback_id", json_integer(v->rollback_id));
	if (v->job) {
		char k[32];
		json_t *jj = job_to_json(v->job);

		snprintf(k, sizeof(k), "%ld", v->job->id);
		json_object_set(l->pending, k, jj);
		json_object_set_new(*jrec, "job", jj);
	}
}

/*
 * Append the audit line of one decision to out (keys in sorted order, as
 * jsonx_dumps_compact would write them: this runs for every alert of every
 * request, duplicates included, so it skips building a jansson tree).
 */
static void
audit_decision(struct buf *out, const struct alert_payload *p, const struct alert *a,
	       const struct ledger_verdict *v, double now, int dry_run)
{
	char ts[CLOCK_RFC3339_MAX];
	struct jsonw w;

	jsonw_begin(&w, out);
	jsonw_str(&w, "alertname", alert_name(a));
	jsonw_str(&w, "decision", decision_name(v->kind));
	jsonw_bool(&w, "dry_run", dry_run);
	jsonw_str(&w, "event", "decision");
	jsonw_str(&w, "fingerprint", a->fingerprint);
	jsonw_str(&w, "gate", gate_name(v->gate));
	jsonw_str(&w, "groupKey", p->group_key ? p->group_key : "");
	if (v->job)
		jsonw_int(&w, "job", v->job->id);
	jsonw_str(&w, "reason", v->reason);
	jsonw_str(&w, "receiver", p->receiver ? p->receiver : "");
	if (v->rollback_id)
		jsonw_int(&w, "rollback_id", v->rollback_id);
	jsonw_str(&w, "startsAt", a->starts_at);
	jsonw_str(&w, "status", alert_status_name(a->status));
	jsonw_str(&w, "ts", clock_format_rfc3339(now, ts, sizeof(ts)));
	jsonw_end(&w);
	buf_addc(out, '\n');
}

int
ledger_decide(struct ledger *l, const struct policy *pol, const struct alert_payload *p,
	      double now, int dry_run, struct ledger_verdict *out, uint64_t *seq,
	      struct mm_err *err)
{
	struct buf journal = BUF_INIT((size_t)1 << 30), audit = BUF_INIT((size_t)1 << 30);
	struct entry **made = p->nalerts ? xcalloc(p->nalerts, sizeof(*made)) : NULL;
	uint64_t dep = 0, s;
	size_t i, jlines = 0;
	int ret = -1, fresh = 0;

	*seq = 0;
	for (i = 0; i < p->nalerts; i++)
		memset(&out[i], 0, sizeof(out[i]));
	pthread_mutex_lock(&l->mu);
	if (l->failed) {
		mm_errf(err, MM_E_IO, "%s", l->failmsg);
		goto out;
	}
	for (i = 0; i < p->nalerts; i++) {
		size_t start = audit.len;
		json_t *jrec;

		decide_one(l, pol, p, &p->alerts[i], now, dry_run, &out[i], &jrec, &made[i], &dep);
		if (jrec) {
			add_line(&journal, jrec);
			jlines++;
			json_decref(jrec);
		}
		audit_decision(&audit, p, &p->alerts[i], &out[i], now, dry_run);
		if (buf_failed(&journal) || buf_failed(&audit)) {
			mm_errf(err, MM_E_LIMIT, "decision records larger than %zu bytes", audit.cap);
			goto out;
		}
		remember_recent(l, audit.data + start, audit.len - start - 1);
	}
	for (i = 0; i < p->nalerts; i++)
		if (made[i])
			fresh = 1;
	if (fresh) {
		/* New decisions: queued for the group commit the caller waits for. */
		if (!(s = append_locked(l, &journal, jlines, &audit, err)))
			goto out;
		for (i = 0; i < p->nalerts; i++)
			if (made[i]) {
				made[i]->seq = s;
				dep = s;
			}
		audit.len = 0;
	}
	*seq = dep;
	ret = 0;
out:
	pthread_mutex_unlock(&l->mu);
	if (ret == 0 && audit.len && l->afd >= 0) {
		/*
		 * Only duplicates: their lines change no state, so they are written
		 * at once (outside the state lock) but not fdatasync'ed; the next
		 * pass syncs them along.  The decisions they repeat are waited for.
		 */
		int e = 0;

		pthread_rwlock_rdlock(&l->afd_lock);
		if (fsx_write_all(l->afd, audit.data, audit.len) < 0)
			e = errno;
		pthread_rwlock_unlock(&l->afd_lock);
		if (e) {
			pthread_mutex_lock(&l->mu);
			fail(l, err, "cannot append to the audit log", e);
			pthread_mutex_unlock(&l->mu);
			ret = -1;
		}
	}
	if (ret < 0)
		for (i = 0; i < p->nalerts; i++) {
			ledger_job_free(out[i].job);
			out[i].job = NULL;
		}
	free(made);
	buf_release(&journal);
	buf_release(&audit);
	return ret;
}

int
ledger_commit(struct ledger *l, uint64_t seq, struct mm_err *err)
{
	int ret = 0;

	if (!seq)
		return 0;
	pthread_mutex_lock(&l->sync_mu);
	while (l->synced_seq < seq && ret == 0) {
		if (!l->syncing) {
			/* Lead a pass: it covers every record queued so far, ours included. */
			uint64_t target;
			int rc;

			l->syncing = 1;
			pthread_mutex_unlock(&l->sync_mu);
			rc = flush_pass(l, &target, -1, err);
			pthread_mutex_lock(&l->sync_mu);
			l->syncing = 0;
			if (rc == 0 && target > l->synced_seq)
				l->synced_seq = target;
			pthread_cond_broadcast(&l->sync_cv);
			if (rc < 0)
				ret = -1;
		} else {
			pthread_cond_wait(&l->sync_cv, &l->sync_mu);
		}
	}
	pthread_mutex_unlock(&l->sync_mu);
	if (ret == 0 && l->failed) {
		pthread_mutex_lock(&l->mu);
		ret = mm_errf(err, MM_E_IO, "%s", l->failmsg);
		pthread_mutex_unlock(&l->mu);
	}
	return ret;
}

int
ledger_audit(struct ledger *l, const json_t *rec, double now, int sync, struct mm_err *err)
{
	struct buf none = BUF_INIT(1), audit = BUF_INIT((size_t)1 << 30);
	char ts[CLOCK_RFC3339_MAX];
	json_t *r = json_deep_copy(rec);
	uint64_t seq = 0;
	int ret = -1;

	json_object_set_new(r, "ts", json_string(clock_format_rfc3339(now, ts, sizeof(ts))));
	add_line(&audit, r);
	json_decref(r);
	pthread_mutex_lock(&l->mu);
	if (l->failed)
		mm_errf(err, MM_E_IO, "%s", l->failmsg);
	else if ((seq = append_locked(l, &none, 0, &audit, err)))
		ret = 0;
	pthread_mutex_unlock(&l->mu);
	buf_release(&audit);
	if (ret == 0 && sync)
		ret = ledger_commit(l, seq, err);
	return ret;
}

int
ledger_job_done(struct ledger *l, const struct ledger_job *j, const json_t *results, double now,
		struct mm_err *err)
{
	struct buf journal = BUF_INIT((size_t)1 << 30), audit = BUF_INIT((size_t)1 << 30);
	char ts[CLOCK_RFC3339_MAX], k[32];
	json_t *rec;
	uint64_t seq = 0;
	int ret = -1;

	rec = json_pack("{s:s, s:f, s:I, s:s, s:I, s:O}", "type", "done", "t", now,
			"job", (json_int_t)j->id, "kind", decision_name(j->kind),
			"rollback_id", (json_int_t)j->rollback_id, "results", (json_t *)results);
	add_line(&journal, rec);
	json_object_del(rec, "type");
	json_object_del(rec, "t");
	json_object_set_new(rec, "ts", json_string(clock_format_rfc3339(now, ts, sizeof(ts))));
	json_object_set_new(rec, "event", json_string("job_done"));
	json_object_set_new(rec, "alertname", json_string(alert_name(&j->alert)));
	json_object_set_new(rec, "fingerprint", json_string(j->alert.fingerprint));
	add_line(&audit, rec);
	json_decref(rec);
	pthread_mutex_lock(&l->mu);
	if (l->failed) {
		mm_errf(err, MM_E_IO, "%s", l->failmsg);
	} else {
		snprintf(k, sizeof(k), "%ld", j->id);
		json_object_del(l->pending, k);
		if (j->rollback_id && j->rollback_id == l->lr_id) {
			l->lr_finished = now;
			json_decref(l->lr_results);
			l->lr_results = json_deep_copy(results);
		}
		if (j->rollback_id && j->rollback_id == l->active_rollback)
			l->active_rollback = 0;
		if ((seq = append_locked(l, &journal, 1, &audit, err)))
			ret = 0;
	}
	pthread_mutex_unlock(&l->mu);
	buf_release(&journal);
	buf_release(&audit);
	if (ret == 0)
		ret = ledger_commit(l, seq, err);
	return ret;
}

size_t
ledger_take_pending(struct ledger *l, struct ledger_job ***jobs)
{
	struct ledger_job **v = NULL;
	const char *k;
	json_t *o;
	size_t n = 0;

	*jobs = NULL;
	pthread_mutex_lock(&l->mu);
	if (!l->pending_taken) {
		l->pending_taken = 1;
		v = xcalloc(json_object_size(l->pending) + 1, sizeof(*v));
		json_object_foreach(l->pending, k, o) {
			struct mm_err jerr;
			struct ledger_job *j = job_from_json(o, &jerr);

			if (!j) {
				mm_log(MM_LOG_ERROR, "ledger: pending job %s is unreadable: %s", k,
				       jerr.msg);
				continue;
			}
			j->resumed = 1;
			v[n++] = j;
		}
	}
	pthread_mutex_unlock(&l->mu);
	if (!n) {
		free(v);
		return 0;
	}
	*jobs = v;
	return n;
}

double
ledger_cooldown_remaining(struct ledger *l, const struct policy *pol, double now,
			  int *in_progress)
{
	double left;

	pthread_mutex_lock(&l->mu);
	left = cooldown_left(l, pol, now);
	if (in_progress)
		*in_progress = l->active_rollback != 0;
	pthread_mutex_unlock(&l->mu);
	return left;
}

json_t *
ledger_status(struct ledger *l, const struct policy *pol, double now)
{
	json_t *o = json_object(), *recent = json_array();
	size_t i;

	pthread_mutex_lock(&l->mu);
	for (i = 0; i < LEDGER_RECENT; i++) {
		/* newest first */
		size_t k = (l->recent_next + LEDGER_RECENT - 1 - i) % LEDGER_RECENT;

		if (l->recent[k])
			json_array_append_new(recent, json_loads(l->recent[k], 0, NULL));
	}
	json_object_set_new(o, "last_rollback", last_rollback_json(l));
	json_object_set_new(o, "cooldown_seconds", json_real(pol->cooldown));
	json_object_set_new(o, "cooldown_remaining_seconds", json_real(cooldown_left(l, pol, now)));
	json_object_set_new(o, "rollback_in_progress", json_boolean(l->active_rollback != 0));
	json_object_set_new(o, "pending_jobs", json_integer((json_int_t)json_object_size(l->pending)));
	json_object_set_new(o, "remembered_alerts", json_integer((json_int_t)l->t.n));
	json_object_set_new(o, "recent_decisions", recent);
	json_object_set_new(o, "ledger_failed", json_boolean(l->failed));
	pthread_mutex_unlock(&l->mu);
	return o;
}

int
ledger_needs_compact(struct ledger *l)
{
	int r;

	pthread_mutex_lock(&l->mu);
	r = !l->failed && l->journal_lines >= LEDGER_COMPACT_LINES;
	pthread_mutex_unlock(&l->mu);
	return r;
}

int
ledger_compact(struct ledger *l, double now, double retention, struct mm_err *err)
{
	int rc;

	pthread_mutex_lock(&l->mu);
	prune(l, now - retention, l->max_entries * 9 / 10);
	if (l->read_only || !l->dir)
		l->journal_lines = 0;
	rc = compact_locked(l, now, err);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

size_t
ledger_entries(struct ledger *l)
{
	size_t n;

	pthread_mutex_lock(&l->mu);
	n = l->t.n;
	pthread_mutex_unlock(&l->mu);
	return n;
}

int
ledger_reopen_audit(struct ledger *l, struct mm_err *err)
{
	int fd;

	if (!l->audit_path)
		return 0;
	fd = open(l->audit_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return mm_errf(err, MM_E_IO, "cannot reopen audit log '%s': %s", l->audit_path,
			       strerror(errno));
	/* What is queued goes to the old file, synced; the rest to the new one. */
	return lead_pass(l, fd, err);
}
