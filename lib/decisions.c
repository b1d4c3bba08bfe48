/*
 * decisions.c - the watcher's decisions, made durable.  An in-memory hash
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
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "crc32c.h"
#include "atomicfile.h"
#include "jsonwrite.h"
#include "jsontree.h"
#include "decisions.h"
#include "log.h"
#include "xalloc.h"

#define STATE_FILE     "state.json"
#define JOURNAL_FILE   "journal.jsonl"
#define LOCK_FILE      "lock"
#define MAX_STATE_FILE ((size_t)1 << 30)
#define PENDING_CAP    ((size_t)1 << 30) /* records waiting for a pass; far above any burst */
/* A checksummed line: LINE_HEAD "<8 hex>" LINE_MID RECORD "}" */
#define LINE_HEAD  "{\"crc\":\""
#define LINE_MID   "\",\"r\":"
#define SNAP_MID   "\",\"state\":"
#define REDO_CAP   ((size_t)16 << 20) /* completions kept aside while the disk refuses */
#define MAX_LOSSES 20		      /* losses named one by one at start-up; then counted */

/* Record sequence numbers of passes that failed: their waiters must not see success. */
struct seq_range {
	uint64_t lo, hi;
};

struct entry {
	char *key; /* fingerprint '\n' startsAt */
	double first_seen, last_seen;
	uint64_t seq; /* record that made the decision durable (0: loaded from disk) */
	long rollback_id;
	unsigned char decision;
	unsigned char resolved;
};

struct table {
	struct entry **slots;
	size_t cap, n;
};

struct decisions {
	pthread_mutex_t mu; /* everything below except the sync fields */
	struct table t;
	size_t max_entries;
	char *dir, *state_path, *journal_path, *audit_path;
	int read_only, failed, accept_loss;
	char failmsg[MM_ERR_MSG_MAX];
	double failed_since;	 /* wall clock */
	double retry_at;	 /* monotonic: no recovery attempt before */
	atomic_int inject_errno; /* tests: writes fail with this */
	json_t *losses;		 /* what opening could not read back (strings) */
	size_t nlosses;
	struct seq_range *lost; /* under mu, sorted, merged */
	size_t nlost;
	struct buf redo_j, redo_a; /* job completions not yet durable (applied again on recovery) */
	size_t npending_notify, max_pending_notify;
	int lockfd, jfd, afd;
	pthread_rwlock_t afd_lock; /* writers of afd (read side) vs reopen (write side) */
	size_t journal_lines;
	long next_job, next_rollback;
	json_t *pending; /* "<id>": job JSON */
	int pending_taken;
	long active_rollback; /* a rollback job not finished, 0 when none */
	/* the last rollback */
	long lr_id;
	double lr_decided, lr_finished;
	int lr_dry_run;
	json_t *lr_info; /* alertname, fingerprint, startsAt, reason */
	json_t *lr_results;
	/* recent decisions for /status (their audit lines), a ring */
	char *recent[DECISIONS_RECENT];
	size_t recent_next;
	/* group commit: records wait in pend_* (under mu) for the next pass */
	struct buf pend_j, pend_a;
	uint64_t appended_seq; /* under mu */
	pthread_mutex_t sync_mu;
	pthread_cond_t sync_cv;
	uint64_t synced_seq; /* under sync_mu */
	int syncing;	     /* a pass is running (under sync_mu) */
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
decisions_job_free(struct decisions_job *j)
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
job_to_json(const struct decisions_job *j)
{
	return json_pack("{s:I, s:s, s:I, s:s, s:o, s:s, s:s, s:s, s:f}", "id", (json_int_t)j->id,
			 "kind", decision_name(j->kind), "rollback_id", (json_int_t)j->rollback_id,
			 "gate", hardness_name(j->gate), "alert", alert_to_json(&j->alert),
			 "receiver", j->receiver, "externalURL", j->external_url, "groupKey",
			 j->group_key, "decided_at", j->decided_at);
}

static struct decisions_job *
job_from_json(const json_t *o, struct mm_err *err)
{
	struct decisions_job *j = xcalloc(1, sizeof(*j));
	const char *kind = jsontree_str(o, "kind", ""), *gate = jsontree_str(o, "gate", "");

	j->id = (long)jsontree_num(o, "id", 0);
	j->kind = strcmp(kind, "notify") == 0 ? DECISION_NOTIFY : DECISION_ROLLBACK;
	j->rollback_id = (long)jsontree_num(o, "rollback_id", 0);
	j->gate = strcmp(gate, "hard") == 0   ? HARDNESS_HARD
		  : strcmp(gate, "soft") == 0 ? HARDNESS_SOFT
					      : HARDNESS_NONE;
	j->receiver = xstrdup(jsontree_str(o, "receiver", ""));
	j->external_url = xstrdup(jsontree_str(o, "externalURL", ""));
	j->group_key = xstrdup(jsontree_str(o, "groupKey", ""));
	j->decided_at = jsontree_num(o, "decided_at", 0);
	if (j->id <= 0 ||
	    alert_from_json(json_object_get(o, "alert"), "job.alert", &j->alert, err) < 0) {
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

/* ---- the pending set: "<id>" -> job JSON, with the notifications counted ---- */

static int
job_is_notify(const json_t *job)
{
	return strcmp(jsontree_str(job, "kind", ""), "notify") == 0;
}

static void
pending_put(struct decisions *l, const char *k, json_t *job)
{
	const json_t *old = json_object_get(l->pending, k);

	if (old && job_is_notify(old))
		l->npending_notify--;
	if (job_is_notify(job))
		l->npending_notify++;
	json_object_set(l->pending, k, job);
}

static void
pending_del(struct decisions *l, const char *k)
{
	const json_t *old = json_object_get(l->pending, k);

	if (old && job_is_notify(old))
		l->npending_notify--;
	json_object_del(l->pending, k);
}

/* ---- applying records (shared by live decisions and replay) ---- */

static struct entry *
remember(struct decisions *l, const char *fp, const char *starts_at, enum decision_kind d,
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
set_last_rollback(struct decisions *l, long id, double t, const char *alertname, const char *fp,
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
apply_record(struct decisions *l, const json_t *r, struct mm_err *err)
{
	const char *type = jsontree_str(r, "type", "");
	double t = jsontree_num(r, "t", 0);

	if (strcmp(type, "decision") == 0) {
		const char *fp = jsontree_str(r, "fingerprint", NULL),
			   *sa = jsontree_str(r, "startsAt", "");
		int d = decision_from_name(jsontree_str(r, "decision", ""));
		long rid = (long)jsontree_num(r, "rollback_id", 0);
		const json_t *job = json_object_get(r, "job");

		if (!fp || d < 0)
			return mm_errf(err, MM_E_PARSE,
				       "decision record without fingerprint or decision");
		remember(l, fp, sa, (enum decision_kind)d,
			 strcmp(jsontree_str(r, "status", ""), "resolved") == 0, t, rid);
		if (d == DECISION_ROLLBACK && rid >= l->next_rollback)
			set_last_rollback(l, rid, t, jsontree_str(r, "alertname", ""), fp, sa, 0);
		if (json_is_object(job)) {
			long id = (long)jsontree_num(job, "id", 0);
			char k[32];

			if (id >= l->next_job) {
				snprintf(k, sizeof(k), "%ld", id);
				pending_put(l, k, (json_t *)job);
				l->next_job = id + 1;
				if (d == DECISION_ROLLBACK)
					l->active_rollback = rid;
			}
		}
		return 0;
	}
	if (strcmp(type, "done") == 0) {
		long id = (long)jsontree_num(r, "job", 0),
		     rid = (long)jsontree_num(r, "rollback_id", 0);
		char k[32];

		snprintf(k, sizeof(k), "%ld", id);
		pending_del(l, k);
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

/* Name one thing that could not be read back intact (the first MAX_LOSSES by text). */
static void note_loss(struct decisions *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
note_loss(struct decisions *l, const char *fmt, ...)
{
	char msg[MM_ERR_MSG_MAX];
	va_list ap;

	l->nlosses++;
	if (json_array_size(l->losses) >= MAX_LOSSES)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(l->losses, json_string(msg));
}

/*
 * Check a checksummed wrapper LINE_HEAD "<hex>" mid INNER "}" over p[0..n):
 * 1 and *inner and *ilen when it holds, -1 when the checksum differs (*inner is
 * still set when the shape is right), 0 when p is not wrapped at all.
 */
static int
unwrap(const char *p, size_t n, const char *mid, const char **inner, size_t *ilen)
{
	size_t hl = sizeof(LINE_HEAD) - 1, ml = strlen(mid), i;
	char want[CRC32C_HEX_LEN + 1];

	*inner = NULL;
	*ilen = 0;
	if (n < hl + CRC32C_HEX_LEN + ml + 1 || memcmp(p, LINE_HEAD, hl) != 0)
		return 0;
	for (i = 0; i < CRC32C_HEX_LEN; i++)
		if (!strchr("0123456789abcdef", p[hl + i]) || !p[hl + i])
			return -1;
	if (memcmp(p + hl + CRC32C_HEX_LEN, mid, ml) != 0 || p[n - 1] != '}')
		return -1;
	*inner = p + hl + CRC32C_HEX_LEN + ml;
	*ilen = n - (hl + CRC32C_HEX_LEN + ml) - 1;
	crc32c_hex(crc32c(0, *inner, *ilen), want);
	return memcmp(want, p + hl, CRC32C_HEX_LEN) == 0 ? 1 : -1;
}

/* Append LINE_HEAD "<crc of inner>" mid inner "}" (and a newline when nl) to b. */
static void
wrap(struct buf *b, const char *mid, const char *inner, size_t ilen, int nl)
{
	char hex[CRC32C_HEX_LEN + 1];

	crc32c_hex(crc32c(0, inner, ilen), hex);
	buf_adds(b, LINE_HEAD);
	buf_adds(b, hex);
	buf_adds(b, mid);
	buf_add(b, inner, ilen);
	buf_addc(b, '}');
	if (nl)
		buf_addc(b, '\n');
}

static int
file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/*
 * Load state.json.  What cannot be trusted is noted as a loss; only a file
 * that is no watcher state at all (another format) is an error.  reload: the
 * snapshot is ours from a moment ago (recovery), so a missing one is no news.
 */
static int
load_snapshot(struct decisions *l, int reload, struct mm_err *err)
{
	struct buf b = BUF_INIT(MAX_STATE_FILE);
	const json_t *a, *v, *lr;
	const char *inner;
	struct mm_err jerr;
	json_t *root = NULL;
	size_t i, ilen, n;
	int ret = -1, rc, format;

	if (!file_exists(l->state_path)) {
		if (errno != ENOENT)
			return mm_errf(err, MM_E_IO, "cannot read '%s': %s", l->state_path,
				       strerror(errno));
		if (!reload && file_exists(l->journal_path))
			note_loss(l,
				  "%s is missing but %s exists: the snapshot was deleted, and "
				  "with it the alerts it remembered, the last rollback and its "
				  "cooldown",
				  l->state_path, l->journal_path);
		return 0;
	}
	if (buf_read_file(&b, l->state_path, err) < 0)
		goto out;
	n = b.len;
	while (n && (b.data[n - 1] == '\n' || b.data[n - 1] == ' '))
		n--;
	rc = unwrap(b.data, n, SNAP_MID, &inner, &ilen);
	format = rc == 0 ? 1 : DECISIONS_STATE_FORMAT;
	if (rc < 0)
		note_loss(l,
			  "%s fails its checksum: the snapshot was changed or damaged after it "
			  "was written; %s",
			  l->state_path,
			  inner ? "its content is used as found" : "it cannot be read");
	if (rc == 0) {
		inner = b.data;
		ilen = b.len;
	}
	if (inner && !(root = jsontree_loadb(inner, ilen, l->state_path, &jerr))) {
		note_loss(l, "%s: %s: everything the snapshot held is lost", l->state_path,
			  jerr.msg);
		ret = 0;
		goto out;
	}
	if (!root) {
		ret = 0;
		goto out;
	}
	if (!json_is_object(root) || jsontree_num(root, "format", 0) != format) {
		mm_errf_at(err, MM_E_PARSE, l->state_path, 1, 1,
			   "not a watcher state file "
			   "(format %d)",
			   DECISIONS_STATE_FORMAT);
		goto out;
	}
	l->next_job = (long)jsontree_num(root, "next_job", 1);
	l->next_rollback = (long)jsontree_num(root, "next_rollback", 1);
	a = json_object_get(root, "alerts");
	json_array_foreach(a, i, v)
	{
		struct entry *e;
		int d = decision_from_name(json_string_value(json_array_get(v, 2))
					       ? json_string_value(json_array_get(v, 2))
					       : "");

		if (!json_is_array(v) || json_array_size(v) != 7 ||
		    !json_is_string(json_array_get(v, 0)) ||
		    !json_is_string(json_array_get(v, 1)) || d < 0) {
			note_loss(l, "%s: alerts[%zu] is malformed: dropped", l->state_path, i);
			continue;
		}
		e = remember(l, json_string_value(json_array_get(v, 0)),
			     json_string_value(json_array_get(v, 1)), (enum decision_kind)d,
			     json_is_true(json_array_get(v, 3)),
			     json_number_value(json_array_get(v, 4)),
			     (long)json_integer_value(json_array_get(v, 6)));
		e->last_seen = json_number_value(json_array_get(v, 5));
	}
	a = json_object_get(root, "pending");
	json_array_foreach(a, i, v)
	{
		char k[32];

		if (job_is_notify(v) && l->npending_notify >= l->max_pending_notify) {
			/* an older watcher kept every notification; past the cap they are shed */
			mm_log(MM_LOG_WARN,
			       "ledger: shedding pending notification job %ld: %zu "
			       "already pending",
			       (long)jsontree_num(v, "id", 0), l->npending_notify);
			continue;
		}
		snprintf(k, sizeof(k), "%ld", (long)jsontree_num(v, "id", 0));
		pending_put(l, k, (json_t *)v);
		if (strcmp(jsontree_str(v, "kind", ""), "rollback") == 0)
			l->active_rollback = (long)jsontree_num(v, "rollback_id", 0);
	}
	if ((lr = json_object_get(root, "last_rollback")) && json_is_object(lr)) {
		l->lr_id = (long)jsontree_num(lr, "id", 0);
		l->lr_decided = jsontree_num(lr, "decided_ts", 0);
		l->lr_finished = jsontree_num(lr, "finished_ts", 0);
		l->lr_dry_run = 0;
		json_decref(l->lr_info);
		l->lr_info =
		    json_pack("{s:s, s:s, s:s}", "alertname", jsontree_str(lr, "alertname", ""),
			      "fingerprint", jsontree_str(lr, "fingerprint", ""), "startsAt",
			      jsontree_str(lr, "startsAt", ""));
		if ((v = json_object_get(lr, "results")) && json_is_array(v))
			l->lr_results = json_incref((json_t *)v);
	}
	ret = 0;
out:
	json_decref(root);
	buf_release(&b);
	return ret;
}

/*
 * Replay the journal.  A line that fails its checksum or cannot be applied
 * is dropped and noted; so is a last line without its newline (a write cut
 * short by a crash, or a truncated file: the two look the same, so it is
 * noted too).  The good records are all applied.
 */
static int
replay_journal(struct decisions *l, struct mm_err *err)
{
	struct buf b = BUF_INIT(MAX_STATE_FILE);
	size_t lineno = 0;
	char *p, *nl;
	int ret = -1;

	if (!file_exists(l->journal_path))
		return 0;
	if (buf_read_file(&b, l->journal_path, err) < 0)
		goto out;
	for (p = b.data; p && p < b.data + b.len; p = nl + 1) {
		size_t off = (size_t)(p - b.data), len, ilen;
		const char *inner;
		struct mm_err jerr;
		json_t *r;
		int rc;

		lineno++;
		if (!(nl = memchr(p, '\n', b.len - off))) {
			note_loss(l,
				  "%s:%zu: the journal ends inside a record (%zu bytes from offset "
				  "%zu, without their newline): a write cut short by a crash, or a "
				  "truncated file; that record and any after it are lost",
				  l->journal_path, lineno, b.len - off, off);
			break;
		}
		len = (size_t)(nl - p);
		if (!len)
			continue;
		rc = unwrap(p, len, LINE_MID, &inner, &ilen);
		if (rc < 0) {
			note_loss(l, "%s:%zu: record fails its checksum (bytes %zu-%zu): dropped",
				  l->journal_path, lineno, off, off + len);
			continue;
		}
		if (rc == 0) {
			/* a line written by an older mmops, before records had checksums */
			inner = p;
			ilen = len;
		}
		if (!(r = jsontree_loadb(inner, ilen, l->journal_path, &jerr))) {
			note_loss(l, "%s:%zu:%lu: %s: record dropped", l->journal_path, lineno,
				  jerr.col, jerr.msg);
			continue;
		}
		if (apply_record(l, r, &jerr) < 0)
			note_loss(l, "%s:%zu: %s: record dropped", l->journal_path, lineno,
				  jerr.msg);
		json_decref(r);
	}
	ret = 0;
out:
	buf_release(&b);
	return ret;
}

/* ---- writing ---- */

static json_t *
last_rollback_json(struct decisions *l)
{
	char t1[CLOCK_RFC3339_MAX], t2[CLOCK_RFC3339_MAX];
	json_t *o;

	if (!l->lr_id)
		return json_null();
	o = json_deep_copy(l->lr_info);
	json_object_set_new(o, "id", json_integer(l->lr_id));
	json_object_set_new(o, "decided_at",
			    json_string(clock_format_rfc3339(l->lr_decided, t1, sizeof(t1))));
	json_object_set_new(o, "decided_ts", json_real(l->lr_decided));
	json_object_set_new(o, "finished_at",
			    l->lr_finished
				? json_string(clock_format_rfc3339(l->lr_finished, t2, sizeof(t2)))
				: json_null());
	json_object_set_new(o, "finished_ts", json_real(l->lr_finished));
	json_object_set_new(o, "dry_run", json_boolean(l->lr_dry_run));
	json_object_set_new(o, "in_progress", json_boolean(l->active_rollback == l->lr_id));
	json_object_set_new(o, "results", l->lr_results ? json_incref(l->lr_results) : json_null());
	return o;
}

static int
entry_older(const void *a, const void *b)
{
	double x = (*(struct entry *const *)a)->last_seen,
	       y = (*(struct entry *const *)b)->last_seen;

	return x < y ? -1 : x > y;
}

/* Drop entries last seen before cutoff, then the oldest beyond keep.  Caller holds mu. */
static void
prune(struct decisions *l, double cutoff, size_t keep)
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
		mm_log(MM_LOG_INFO,
		       "ledger: forgetting %zu alerts not seen since before the "
		       "retention cutoff or past the cap",
		       start);
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
snapshot_json(struct decisions *l, double now)
{
	char ts[CLOCK_RFC3339_MAX];
	json_t *root = jsontree_tool_meta(), *alerts = json_array(), *pending = json_array(), *v;
	const char *k;
	size_t i;

	for (i = 0; i < l->t.cap; i++) {
		struct entry *e = l->t.slots[i];
		char *nl;

		if (!e)
			continue;
		nl = strchr(e->key, '\n');
		json_array_append_new(
		    alerts, json_pack("[s%, s, s, b, f, f, I]", e->key, (size_t)(nl - e->key),
				      nl + 1, decision_name(e->decision), e->resolved,
				      e->first_seen, e->last_seen, (json_int_t)e->rollback_id));
	}
	json_object_foreach(l->pending, k, v) json_array_append(pending, v);
	json_object_set_new(root, "format", json_integer(DECISIONS_STATE_FORMAT));
	json_object_set_new(root, "saved_at",
			    json_string(clock_format_rfc3339(now, ts, sizeof(ts))));
	json_object_set_new(root, "next_job", json_integer(l->next_job));
	json_object_set_new(root, "next_rollback", json_integer(l->next_rollback));
	json_object_set_new(root, "last_rollback", last_rollback_json(l));
	json_object_set_new(root, "pending", pending);
	json_object_set_new(root, "alerts", alerts);
	return root;
}

/* Enter (or stay in) the failed state (caller holds mu); errnum 0 means what says it all. */
static int
fail(struct decisions *l, struct mm_err *err, const char *what, int errnum)
{
	if (errnum)
		snprintf(l->failmsg, sizeof(l->failmsg), "%s: %s", what, strerror(errnum));
	else if (what != l->failmsg)
		snprintf(l->failmsg, sizeof(l->failmsg), "%s", what);
	if (!l->failed) {
		l->failed = 1;
		if (clock_now(&l->failed_since, NULL) < 0)
			l->failed_since = 0;
		l->retry_at = clock_mono() + DECISIONS_RETRY_INTERVAL;
		mm_log(MM_LOG_ERROR,
		       "ledger failed: decisions cannot be made durable (answering "
		       "500, retrying every %.2fs): %s",
		       DECISIONS_RETRY_INTERVAL, l->failmsg);
	}
	return mm_errf(err, MM_E_WRITE, "%s", l->failmsg);
}

/* write(2) all of it, unless a test asked writes to fail. */
static int
decisions_write(struct decisions *l, int fd, const void *data, size_t len)
{
	int e = atomic_load(&l->inject_errno);

	if (e) {
		errno = e;
		return -1;
	}
	return atomicfile_write_all(fd, data, len);
}

static int
decisions_sync(struct decisions *l, int fd)
{
	int e = atomic_load(&l->inject_errno);

	if (e) {
		errno = e;
		return -1;
	}
	return fdatasync(fd);
}

/*
 * Cut fd back to just after its last newline, so that nothing is ever
 * appended onto a torn last line.  0 (*cut: bytes removed) or -1 and errno.
 */
static int
cut_torn_tail(int fd, off_t *cut)
{
	char b[4096];
	struct stat st;
	off_t pos, keep = 0;

	*cut = 0;
	if (fstat(fd, &st) < 0)
		return -1;
	for (pos = st.st_size; pos > 0 && !keep;) {
		size_t n = pos > (off_t)sizeof(b) ? sizeof(b) : (size_t)pos, i;

		if (pread(fd, b, n, pos - (off_t)n) != (ssize_t)n)
			return -1;
		for (i = n; i > 0; i--)
			if (b[i - 1] == '\n') {
				keep = pos - (off_t)n + (off_t)i;
				break;
			}
		pos -= (off_t)n;
	}
	if (keep == st.st_size)
		return 0;
	*cut = st.st_size - keep;
	return ftruncate(fd, keep);
}

/* Write the checksummed snapshot atomically.  Caller holds mu. */
static int
write_snapshot(struct decisions *l, double now, struct mm_err *err)
{
	struct buf b = BUF_INIT(MAX_STATE_FILE);
	json_t *snap = snapshot_json(l, now);
	char *s = jsontree_dumps_compact(snap);
	int rc, e = atomic_load(&l->inject_errno);

	json_decref(snap);
	wrap(&b, SNAP_MID, s, strlen(s), 1);
	free(s);
	if (e)
		rc = mm_errf(err, MM_E_WRITE, "cannot write '%s': %s", l->state_path, strerror(e));
	else if (buf_failed(&b))
		rc = mm_errf(err, MM_E_LIMIT, "state snapshot larger than %zu bytes", b.cap);
	else
		rc = atomicfile_write_atomic(l->state_path, b.data, b.len, err);
	buf_release(&b);
	return rc;
}

/*
 * Snapshot + empty journal.  Caller holds mu and the pass token (no pass
 * writes meanwhile), or is alone (open, close).
 */
static int
compact_locked(struct decisions *l, double now, struct mm_err *err)
{
	struct mm_err e2;

	if (l->read_only || !l->dir)
		return 0;
	if (!err)
		err = &e2;
	if (write_snapshot(l, now, err) < 0)
		return fail(l, err, err->msg, 0);
	if (l->jfd >= 0 && ftruncate(l->jfd, 0) < 0)
		return fail(l, err, "cannot empty the journal", errno);
	l->journal_lines = 0;
	return 0;
}

/* Become the one thread that writes the journal (a pass, a compaction, a recovery). */
static void
token_take(struct decisions *l)
{
	pthread_mutex_lock(&l->sync_mu);
	while (l->syncing)
		pthread_cond_wait(&l->sync_cv, &l->sync_mu);
	l->syncing = 1;
	pthread_mutex_unlock(&l->sync_mu);
}

static void
token_give(struct decisions *l)
{
	pthread_mutex_lock(&l->sync_mu);
	l->syncing = 0;
	pthread_cond_broadcast(&l->sync_cv);
	pthread_mutex_unlock(&l->sync_mu);
}

/* Remember that records lo..hi never reached the disk (caller holds mu). */
static void
add_lost(struct decisions *l, uint64_t lo, uint64_t hi)
{
	if (l->nlost && l->lost[l->nlost - 1].hi + 1 >= lo) {
		l->lost[l->nlost - 1].hi = hi;
		return;
	}
	l->lost = xrealloc(l->lost, (l->nlost + 1) * sizeof(*l->lost));
	l->lost[l->nlost].lo = lo;
	l->lost[l->nlost].hi = hi;
	l->nlost++;
}

/* 1 when record seq was in a pass that failed (caller holds mu). */
static int
seq_lost(struct decisions *l, uint64_t seq)
{
	size_t lo = 0, hi = l->nlost;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (seq < l->lost[mid].lo)
			hi = mid;
		else if (seq > l->lost[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

/* Forget the decided state (not the recent ring): before reloading it from disk. */
static void
reset_state(struct decisions *l)
{
	table_release(&l->t);
	json_decref(l->pending);
	l->pending = json_object();
	l->npending_notify = 0;
	l->active_rollback = 0;
	l->lr_id = 0;
	l->lr_decided = l->lr_finished = 0;
	l->lr_dry_run = 0;
	json_decref(l->lr_info);
	json_decref(l->lr_results);
	l->lr_info = l->lr_results = NULL;
	l->next_job = l->next_rollback = 1;
	l->journal_lines = 0;
}

/* Apply the checksummed journal lines of b (our own, so all good). */
static void
apply_lines(struct decisions *l, const struct buf *b)
{
	const char *p, *nl, *inner;
	size_t ilen;

	for (p = b->data; p && p < b->data + b->len; p = nl + 1) {
		json_t *r;

		if (!(nl = memchr(p, '\n', (size_t)(b->data + b->len - p))))
			break;
		if (unwrap(p, (size_t)(nl - p), LINE_MID, &inner, &ilen) == 1 &&
		    (r = json_loadb(inner, ilen, 0, NULL))) {
			(void)apply_record(l, r, NULL);
			json_decref(r);
		}
	}
}

/*
 * Leave the failed state if the disk takes writes again.  Caller holds mu
 * and the pass token, and l->failed is set.  Every record not on disk is
 * written off (its waiters get an error, its decision is made again when
 * Alertmanager retries), the files are cut back to their last whole line,
 * the memory is rebuilt from the disk plus the job completions kept aside,
 * and a snapshot is written: if that works, the ledger is healthy.
 */
static int
recover_locked(struct decisions *l, struct mm_err *err)
{
	struct mm_err e2;
	uint64_t lo, hi;
	double now = 0, since = l->failed_since;
	size_t losses = l->nlosses;
	off_t cut;

	if (!err)
		err = &e2;
	pthread_mutex_lock(&l->sync_mu);
	lo = l->synced_seq + 1;
	hi = l->appended_seq;
	l->synced_seq = l->appended_seq;
	pthread_mutex_unlock(&l->sync_mu);
	if (lo <= hi)
		add_lost(l, lo, hi);
	buf_reset(&l->pend_j);
	buf_reset(&l->pend_a);
	if (l->jfd >= 0 && cut_torn_tail(l->jfd, &cut) < 0)
		return fail(l, err, "cannot cut the journal back to its last record", errno);
	if (l->afd >= 0 && cut_torn_tail(l->afd, &cut) < 0)
		return fail(l, err, "cannot cut the audit log back to its last line", errno);
	if (clock_now(&now, err) < 0)
		return fail(l, err, err->msg, 0);
	if (l->dir && !l->read_only) {
		reset_state(l);
		if (load_snapshot(l, 1, err) < 0 || replay_journal(l, err) < 0)
			return fail(l, err, err->msg, 0);
		if (l->nlosses != losses)
			return fail(l, err,
				    "the state on disk is damaged; restart to see what was "
				    "lost",
				    0);
		apply_lines(l, &l->redo_j);
		if (compact_locked(l, now, err) < 0)
			return -1;
	} else {
		size_t i;

		/*
		 * Memory only, or dry-run (which never writes the state): what
		 * was decided stays decided; nobody waits for lost records.
		 */
		for (i = 0; i < l->t.cap; i++)
			if (l->t.slots[i])
				l->t.slots[i]->seq = 0;
	}
	if (l->afd >= 0 && l->redo_a.len &&
	    (decisions_write(l, l->afd, l->redo_a.data, l->redo_a.len) < 0 ||
	     decisions_sync(l, l->afd) < 0)) {
		int e = errno;
		off_t c2;

		(void)cut_torn_tail(l->afd, &c2);
		return fail(l, err, "cannot append to the audit log", e);
	}
	buf_reset(&l->redo_j);
	buf_reset(&l->redo_a);
	l->failed = 0;
	mm_log(MM_LOG_WARN,
	       "ledger recovered after %.1fs: decisions are durable again (%zu alerts "
	       "remembered, %zu jobs pending)",
	       since > 0 ? now - since : 0.0, l->t.n, json_object_size(l->pending));
	return 0;
}

static uint64_t append_locked(struct decisions *l, const struct buf *journal, size_t jlines,
			      const struct buf *audit, struct mm_err *err);

/*
 * Healthy, but job completions are still kept aside (their record was
 * written off by a recovery that ran while the job finished): apply and
 * write them now; on failure they stay aside for the next attempt.
 */
static void
flush_redo(struct decisions *l)
{
	struct buf j, a;
	uint64_t seq = 0;

	pthread_mutex_lock(&l->mu);
	if (l->failed || (!l->redo_j.len && !l->redo_a.len)) {
		pthread_mutex_unlock(&l->mu);
		return;
	}
	j = l->redo_j;
	a = l->redo_a;
	buf_init(&l->redo_j, REDO_CAP);
	buf_init(&l->redo_a, REDO_CAP);
	apply_lines(l, &j);
	seq = append_locked(l, &j, 0, &a, NULL);
	pthread_mutex_unlock(&l->mu);
	if (!seq || decisions_commit(l, seq, NULL) < 0) {
		pthread_mutex_lock(&l->mu);
		buf_add(&l->redo_j, j.data, j.len);
		buf_add(&l->redo_a, a.data, a.len);
		pthread_mutex_unlock(&l->mu);
	}
	buf_release(&j);
	buf_release(&a);
}

int
decisions_recover(struct decisions *l, struct mm_err *err)
{
	int ret = 0;

	pthread_mutex_lock(&l->mu);
	if (l->failed && clock_mono() < l->retry_at)
		ret = mm_errf(err, MM_E_WRITE, "%s", l->failmsg);
	else if (l->failed)
		l->retry_at = clock_mono() + DECISIONS_RETRY_INTERVAL;
	else
		ret = l->redo_j.len || l->redo_a.len ? 2 : 1;
	pthread_mutex_unlock(&l->mu);
	if (ret == 2)
		flush_redo(l);
	if (ret)
		return ret < 0 ? -1 : 0;
	token_take(l);
	pthread_mutex_lock(&l->mu);
	if (l->failed)
		ret = recover_locked(l, err);
	pthread_mutex_unlock(&l->mu);
	token_give(l);
	return ret;
}

int
decisions_healthy(struct decisions *l, char *why, size_t n, double *since)
{
	int ok;

	pthread_mutex_lock(&l->mu);
	ok = !l->failed;
	if (!ok && why && n)
		snprintf(why, n, "%s", l->failmsg);
	if (since)
		*since = ok ? 0 : l->failed_since;
	pthread_mutex_unlock(&l->mu);
	return ok;
}

void
decisions_inject_write_error(struct decisions *l, int errnum)
{
	atomic_store(&l->inject_errno, errnum);
}

static void
decisions_free(struct decisions *l)
{
	size_t i;

	table_release(&l->t);
	json_decref(l->pending);
	json_decref(l->lr_info);
	json_decref(l->lr_results);
	json_decref(l->losses);
	for (i = 0; i < DECISIONS_RECENT; i++)
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
	free(l->lost);
	buf_release(&l->pend_j);
	buf_release(&l->pend_a);
	buf_release(&l->redo_j);
	buf_release(&l->redo_a);
	pthread_mutex_destroy(&l->mu);
	pthread_rwlock_destroy(&l->afd_lock);
	pthread_mutex_destroy(&l->sync_mu);
	pthread_cond_destroy(&l->sync_cv);
	free(l);
}

/*
 * Lock the state directory itself: the lock lives on a descriptor held
 * until close, so it cannot be lost by deleting a file.  The "lock" file
 * only tells people which process holds it.
 */
static int
lock_dir(struct decisions *l, struct mm_err *err)
{
	char *path;
	char pid[32];
	int n, fd;

	l->lockfd = open(l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->lockfd < 0)
		return mm_errf(err, MM_E_WRITE, "cannot open state dir '%s': %s", l->dir,
			       strerror(errno));
	if (flock(l->lockfd, LOCK_EX | LOCK_NB) < 0)
		return mm_errf(err, MM_E_RUNTIME,
			       "state dir '%s' is in use by another mmops watch (%s)", l->dir,
			       errno == EWOULDBLOCK ? "locked" : strerror(errno));
	path = xasprintf("%s/%s", l->dir, LOCK_FILE);
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		(void)!write(fd, pid, (size_t)n);
		close(fd);
	}
	free(path);
	return 0;
}

/* Say what opening lost; an error unless the caller accepts the loss. */
static int
soakreport_losses(struct decisions *l, struct mm_err *err)
{
	size_t i;

	if (!l->nlosses)
		return 0;
	for (i = 0; i < json_array_size(l->losses); i++)
		mm_log(MM_LOG_WARN, "state: lost: %s",
		       json_string_value(json_array_get(l->losses, i)));
	if (l->nlosses > json_array_size(l->losses))
		mm_log(MM_LOG_WARN, "state: lost: %zu more",
		       l->nlosses - json_array_size(l->losses));
	if (!l->accept_loss)
		return mm_errf(
		    err, MM_E_PARSE,
		    "state dir '%s' cannot be read back whole (%zu "
		    "loss%s, first: %s); refusing to start with a shorter history unless "
		    "the loss is accepted",
		    l->dir, l->nlosses, l->nlosses == 1 ? "" : "es",
		    json_string_value(json_array_get(l->losses, 0)));
	mm_log(MM_LOG_WARN,
	       "state: loss accepted: continuing with %zu alerts remembered, last "
	       "rollback %ld, %zu jobs pending",
	       l->t.n, l->lr_id, json_object_size(l->pending));
	return 0;
}

struct decisions *
decisions_open(const struct decisions_opts *o, double now, struct mm_err *err)
{
	struct decisions *l = xcalloc(1, sizeof(*l));

	pthread_mutex_init(&l->mu, NULL);
	pthread_rwlock_init(&l->afd_lock, NULL);
	pthread_mutex_init(&l->sync_mu, NULL);
	pthread_cond_init(&l->sync_cv, NULL);
	l->lockfd = l->jfd = l->afd = -1;
	buf_init(&l->pend_j, PENDING_CAP);
	buf_init(&l->pend_a, PENDING_CAP);
	buf_init(&l->redo_j, REDO_CAP);
	buf_init(&l->redo_a, REDO_CAP);
	l->read_only = o->read_only;
	l->accept_loss = o->accept_loss;
	l->max_entries = o->max_entries ? o->max_entries : DECISIONS_MAX_ENTRIES;
	l->max_pending_notify =
	    o->max_pending_notify ? o->max_pending_notify : DECISIONS_MAX_PENDING_NOTIFY;
	l->next_job = l->next_rollback = 1;
	l->pending = json_object();
	l->losses = json_array();
	if (o->state_dir) {
		struct stat st;

		l->dir = xstrdup(o->state_dir);
		l->state_path = xasprintf("%s/%s", l->dir, STATE_FILE);
		l->journal_path = xasprintf("%s/%s", l->dir, JOURNAL_FILE);
		if (!l->read_only) {
			if (atomicfile_mkdir_p(l->dir, 0750, err) < 0 || lock_dir(l, err) < 0)
				goto fail;
		} else if (stat(l->dir, &st) < 0) {
			/* dry-run with a state dir that does not exist yet: start empty */
			free(l->dir);
			l->dir = NULL;
		}
		if (l->dir && (load_snapshot(l, 0, err) < 0 || replay_journal(l, err) < 0 ||
			       soakreport_losses(l, err) < 0))
			goto fail;
		if (l->dir && !l->read_only) {
			/*
			 * The snapshot first, then the journal emptied: a journal
			 * without its snapshot beside it always means a loss.
			 */
			if (compact_locked(l, now, err) < 0)
				goto fail;
			l->jfd = open(l->journal_path,
				      O_RDWR | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
			if (l->jfd < 0) {
				mm_errf(err, MM_E_WRITE, "cannot open '%s': %s", l->journal_path,
					strerror(errno));
				goto fail;
			}
		}
	}
	if (o->audit_path) {
		off_t cut;

		l->audit_path = xstrdup(o->audit_path);
		l->afd = open(o->audit_path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (l->afd < 0 && errno == EACCES) /* a device such as /dev/full */
			l->afd =
			    open(o->audit_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (l->afd < 0) {
			mm_errf(err, MM_E_WRITE, "cannot open audit log '%s': %s", o->audit_path,
				strerror(errno));
			goto fail;
		}
		if (!l->read_only && cut_torn_tail(l->afd, &cut) == 0 && cut)
			mm_log(MM_LOG_WARN,
			       "audit log '%s' ended inside a line: %lld bytes cut, so "
			       "that no record is appended onto it",
			       o->audit_path, (long long)cut);
	}
	return l;
fail:
	decisions_free(l);
	return NULL;
}

static int lead_pass(struct decisions *l, int new_afd, struct mm_err *err);

void
decisions_close(struct decisions *l, double now)
{
	if (!l)
		return;
	/* a last recovery attempt: what was kept aside is written if the disk allows */
	pthread_mutex_lock(&l->mu);
	l->retry_at = 0;
	pthread_mutex_unlock(&l->mu);
	(void)decisions_recover(l, NULL);
	(void)lead_pass(l, -1, NULL);
	token_take(l);
	pthread_mutex_lock(&l->mu);
	if (!l->failed)
		(void)compact_locked(l, now, NULL);
	pthread_mutex_unlock(&l->mu);
	token_give(l);
	decisions_free(l);
}

/*
 * Queue journal and audit text for the next group-commit pass (caller holds
 * mu); returns its sequence number for decisions_commit(), or 0 on failure.
 */
static uint64_t
append_locked(struct decisions *l, const struct buf *journal, size_t jlines,
	      const struct buf *audit, struct mm_err *err)
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
 * One group-commit pass, run by one thread at a time (the caller holds the
 * token): take everything queued, write it and fdatasync, outside mu so
 * that deciding goes on meanwhile.  *target gets the last sequence number
 * the pass covered.  new_afd >= 0 switches the audit log after the pass.
 * A pass that fails cuts both files back to where it began, so a half-written
 * record is never followed by whole ones; once failed, passes write nothing
 * until decisions_recover().
 */
static int
flush_pass(struct decisions *l, uint64_t *target, int new_afd, struct mm_err *err)
{
	struct buf j, a;
	const char *what = NULL;
	int jfd, afd, e = 0, failed;
	off_t joff = -1, aoff = -1;

	pthread_mutex_lock(&l->mu);
	j = l->pend_j;
	a = l->pend_a;
	buf_init(&l->pend_j, PENDING_CAP);
	buf_init(&l->pend_a, PENDING_CAP);
	*target = l->appended_seq;
	jfd = l->jfd;
	afd = l->afd;
	failed = l->failed;
	pthread_mutex_unlock(&l->mu);
	pthread_rwlock_rdlock(&l->afd_lock);
	if (failed) {
		what = "";
	} else {
		if (j.len)
			joff = lseek(jfd, 0, SEEK_END);
		if (a.len)
			aoff = lseek(afd, 0, SEEK_END);
		if (j.len && decisions_write(l, jfd, j.data, j.len) < 0)
			what = "cannot append to the journal", e = errno;
		else if (a.len && decisions_write(l, afd, a.data, a.len) < 0)
			what = "cannot append to the audit log", e = errno;
		else if (j.len && decisions_sync(l, jfd) < 0)
			what = "cannot sync the journal", e = errno;
		/* also when only duplicates were written since the last pass */
		else if (afd >= 0 && (a.len || new_afd >= 0) && decisions_sync(l, afd) < 0)
			what = "cannot sync the audit log", e = errno;
		if (what) {
			/* never leave a torn record for the next one to be appended onto */
			if (joff >= 0)
				(void)!ftruncate(jfd, joff);
			if (aoff >= 0)
				(void)!ftruncate(afd, aoff);
		}
	}
	pthread_rwlock_unlock(&l->afd_lock);
	buf_release(&j);
	buf_release(&a);
	pthread_mutex_lock(&l->mu);
	if (failed)
		mm_errf(err, MM_E_WRITE, "%s", l->failmsg);
	else if (what)
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
lead_pass(struct decisions *l, int new_afd, struct mm_err *err)
{
	uint64_t target;
	int rc;

	token_take(l);
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
	char *s = jsontree_dumps_compact(j);

	buf_adds(b, s);
	buf_addc(b, '\n');
	free(s);
}

/* A journal line: the record with its checksum. */
static void
add_record(struct buf *b, const json_t *j)
{
	char *s = jsontree_dumps_compact(j);

	wrap(b, LINE_MID, s, strlen(s), 1);
	free(s);
}

static void
remember_recent(struct decisions *l, const char *line, size_t len)
{
	free(l->recent[l->recent_next]);
	l->recent[l->recent_next] = xstrndup(line, len);
	l->recent_next = (l->recent_next + 1) % DECISIONS_RECENT;
}

static double
cooldown_left(struct decisions *l, const struct policy *pol, double now)
{
	double left;

	if (!l->lr_id)
		return 0;
	left = l->lr_decided + pol->cooldown - now;
	return left > 0 ? left : 0;
}

static struct decisions_job *
new_job(struct decisions *l, enum decision_kind k, long rollback_id, enum hardness g,
	const struct alert *a, const struct alert_payload *p, double now)
{
	struct decisions_job *j = xcalloc(1, sizeof(*j));

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
decide_one(struct decisions *l, const struct policy *pol, const struct alert_payload *p,
	   const struct alert *a, double now, int dry_run, struct decisions_verdict *v,
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
		snprintf(v->reason, sizeof(v->reason),
			 "resolved: recorded; a rollback is never "
			 "undone automatically");
	} else if (v->gate == HARDNESS_HARD) {
		double left = cooldown_left(l, pol, now);

		if (l->active_rollback) {
			v->kind = DECISION_COOLDOWN;
			v->rollback_id = l->active_rollback;
			snprintf(v->reason, sizeof(v->reason),
				 "hard (%s), but rollback %ld is in "
				 "progress",
				 key_why, l->active_rollback);
		} else if (left > 0) {
			v->kind = DECISION_COOLDOWN;
			v->rollback_id = l->lr_id;
			snprintf(v->reason, sizeof(v->reason),
				 "hard (%s), but within the cooldown of "
				 "rollback %ld (%.0fs left)",
				 key_why, l->lr_id, left);
		} else {
			v->kind = DECISION_ROLLBACK;
			v->rollback_id = l->next_rollback;
			snprintf(v->reason, sizeof(v->reason), "hard (%s)", key_why);
			set_last_rollback(l, v->rollback_id, now, alert_name(a), a->fingerprint,
					  a->starts_at, dry_run);
			if (dry_run) {
				l->lr_finished = now;
			} else {
				v->job = new_job(l, DECISION_ROLLBACK, v->rollback_id, v->gate, a,
						 p, now);
				l->active_rollback = v->rollback_id;
			}
		}
	} else if (v->gate == HARDNESS_SOFT) {
		v->kind = DECISION_NOTIFY;
		snprintf(v->reason, sizeof(v->reason), "soft (%s): notify only", key_why);
		if (!dry_run && policy_count_actions(pol, DECISION_NOTIFY)) {
			if (l->npending_notify >= l->max_pending_notify) {
				/* bounded memory and snapshot: soft notifications are shed first */
				v->shed = 1;
				snprintf(v->reason, sizeof(v->reason),
					 "soft (%s): notification shed, "
					 "%zu already pending",
					 key_why, l->npending_notify);
			} else {
				v->job = new_job(l, DECISION_NOTIFY, 0, v->gate, a, p, now);
			}
		}
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
		l->journal_lines = DECISIONS_COMPACT_LINES; /* ask for a compaction */
	*jrec = json_pack("{s:s, s:f, s:s, s:s, s:s, s:s, s:s}", "type", "decision", "t", now,
			  "fingerprint", a->fingerprint, "startsAt", a->starts_at, "status",
			  alert_status_name(a->status), "decision", decision_name(v->kind),
			  "alertname", alert_name(a));
	if (v->kind == DECISION_ROLLBACK)
		json_object_set_new(*jrec, "rollback_id", json_integer(v->rollback_id));
	if (v->job) {
		char k[32];
		json_t *jj = job_to_json(v->job);

		snprintf(k, sizeof(k), "%ld", v->job->id);
		pending_put(l, k, jj);
		json_object_set_new(*jrec, "job", jj);
	}
}

/*
 * Append the audit line of one decision to out (keys in sorted order, as
 * jsontree_dumps_compact would write them: this runs for every alert of every
 * request, duplicates included, so it skips building a jansson tree).
 */
static void
audit_decision(struct buf *out, const struct alert_payload *p, const struct alert *a,
	       const struct decisions_verdict *v, double now, int dry_run)
{
	char ts[CLOCK_RFC3339_MAX];
	struct jsonwrite w;

	jsonwrite_begin(&w, out);
	jsonwrite_str(&w, "alertname", alert_name(a));
	jsonwrite_str(&w, "decision", decision_name(v->kind));
	jsonwrite_bool(&w, "dry_run", dry_run);
	jsonwrite_str(&w, "event", "decision");
	jsonwrite_str(&w, "fingerprint", a->fingerprint);
	jsonwrite_str(&w, "gate", hardness_name(v->gate));
	jsonwrite_str(&w, "groupKey", p->group_key ? p->group_key : "");
	if (v->job)
		jsonwrite_int(&w, "job", v->job->id);
	jsonwrite_str(&w, "reason", v->reason);
	jsonwrite_str(&w, "receiver", p->receiver ? p->receiver : "");
	if (v->rollback_id)
		jsonwrite_int(&w, "rollback_id", v->rollback_id);
	jsonwrite_str(&w, "startsAt", a->starts_at);
	jsonwrite_str(&w, "status", alert_status_name(a->status));
	jsonwrite_str(&w, "ts", clock_format_rfc3339(now, ts, sizeof(ts)));
	jsonwrite_end(&w);
	buf_addc(out, '\n');
}

int
decisions_decide(struct decisions *l, const struct policy *pol, const struct alert_payload *p,
		 double now, int dry_run, struct decisions_verdict *out, uint64_t *seq,
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
	/* after a failure: the next decision is what tries the disk again */
	if (decisions_recover(l, err) < 0) {
		free(made);
		return -1;
	}
	pthread_mutex_lock(&l->mu);
	if (l->failed) {
		mm_errf(err, MM_E_WRITE, "%s", l->failmsg);
		goto out;
	}
	for (i = 0; i < p->nalerts; i++) {
		size_t start = audit.len;
		json_t *jrec;

		decide_one(l, pol, p, &p->alerts[i], now, dry_run, &out[i], &jrec, &made[i], &dep);
		if (jrec) {
			add_record(&journal, jrec);
			jlines++;
			json_decref(jrec);
		}
		audit_decision(&audit, p, &p->alerts[i], &out[i], now, dry_run);
		if (buf_failed(&journal) || buf_failed(&audit)) {
			mm_errf(err, MM_E_LIMIT, "decision records larger than %zu bytes",
				audit.cap);
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
		if (decisions_write(l, l->afd, audit.data, audit.len) < 0)
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
			decisions_job_free(out[i].job);
			out[i].job = NULL;
		}
	free(made);
	buf_release(&journal);
	buf_release(&audit);
	return ret;
}

int
decisions_commit(struct decisions *l, uint64_t seq, struct mm_err *err)
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
	if (ret == 0) {
		/* covered, but by a pass that failed and was written off by a recovery */
		pthread_mutex_lock(&l->mu);
		if (seq_lost(l, seq))
			ret = mm_errf(err, MM_E_WRITE, "%s",
				      l->failed ? l->failmsg
						: "the record was lost to a write failure");
		pthread_mutex_unlock(&l->mu);
	}
	return ret;
}

int
decisions_audit(struct decisions *l, const json_t *rec, double now, int sync, struct mm_err *err)
{
	struct buf none = BUF_INIT(1), audit = BUF_INIT((size_t)1 << 30);
	char ts[CLOCK_RFC3339_MAX];
	json_t *r = json_deep_copy(rec);
	uint64_t seq = 0;
	int ret = -1;

	json_object_set_new(r, "ts", json_string(clock_format_rfc3339(now, ts, sizeof(ts))));
	add_line(&audit, r);
	json_decref(r);
	(void)decisions_recover(l, NULL);
	pthread_mutex_lock(&l->mu);
	if (l->failed)
		mm_errf(err, MM_E_WRITE, "%s", l->failmsg);
	else if ((seq = append_locked(l, &none, 0, &audit, err)))
		ret = 0;
	if (ret < 0 && l->afd >= 0)
		buf_add(&l->redo_a, audit.data, audit.len); /* written by the recovery */
	pthread_mutex_unlock(&l->mu);
	if (ret == 0 && sync && decisions_commit(l, seq, err) < 0) {
		pthread_mutex_lock(&l->mu);
		buf_add(&l->redo_a, audit.data, audit.len);
		pthread_mutex_unlock(&l->mu);
		ret = -1;
	}
	buf_release(&audit);
	return ret;
}

int
decisions_job_done(struct decisions *l, const struct decisions_job *j, const json_t *results,
		   double now, struct mm_err *err)
{
	struct buf journal = BUF_INIT((size_t)1 << 30), audit = BUF_INIT((size_t)1 << 30);
	char ts[CLOCK_RFC3339_MAX], k[32];
	json_t *rec;
	uint64_t seq = 0;
	int ret = -1;

	rec = json_pack("{s:s, s:f, s:I, s:s, s:I, s:O}", "type", "done", "t", now, "job",
			(json_int_t)j->id, "kind", decision_name(j->kind), "rollback_id",
			(json_int_t)j->rollback_id, "results", (json_t *)results);
	add_record(&journal, rec);
	json_object_del(rec, "type");
	json_object_del(rec, "t");
	json_object_set_new(rec, "ts", json_string(clock_format_rfc3339(now, ts, sizeof(ts))));
	json_object_set_new(rec, "event", json_string("job_done"));
	json_object_set_new(rec, "alertname", json_string(alert_name(&j->alert)));
	json_object_set_new(rec, "fingerprint", json_string(j->alert.fingerprint));
	add_line(&audit, rec);
	json_decref(rec);
	(void)decisions_recover(l, NULL);
	pthread_mutex_lock(&l->mu);
	{
		snprintf(k, sizeof(k), "%ld", j->id);
		pending_del(l, k);
		if (j->rollback_id && j->rollback_id == l->lr_id) {
			l->lr_finished = now;
			json_decref(l->lr_results);
			l->lr_results = json_deep_copy(results);
		}
		if (j->rollback_id && j->rollback_id == l->active_rollback)
			l->active_rollback = 0;
		if (l->failed)
			mm_errf(err, MM_E_WRITE, "%s", l->failmsg);
		else if ((seq = append_locked(l, &journal, 1, &audit, err)))
			ret = 0;
	}
	pthread_mutex_unlock(&l->mu);
	if (ret == 0 && decisions_commit(l, seq, err) < 0)
		ret = -1;
	if (ret < 0) {
		/*
		 * The job ran: keep its completion aside, so that the recovery
		 * writes it instead of leaving the job (and a rollback "in
		 * progress") pending until a restart runs it again.
		 */
		pthread_mutex_lock(&l->mu);
		buf_add(&l->redo_j, journal.data, journal.len);
		buf_add(&l->redo_a, audit.data, audit.len);
		pthread_mutex_unlock(&l->mu);
	}
	buf_release(&journal);
	buf_release(&audit);
	return ret;
}

size_t
decisions_take_pending(struct decisions *l, struct decisions_job ***jobs)
{
	struct decisions_job **v = NULL;
	const char *k;
	json_t *o;
	size_t n = 0;

	*jobs = NULL;
	pthread_mutex_lock(&l->mu);
	if (!l->pending_taken) {
		l->pending_taken = 1;
		v = xcalloc(json_object_size(l->pending) + 1, sizeof(*v));
		json_object_foreach(l->pending, k, o)
		{
			struct mm_err jerr;
			struct decisions_job *j = job_from_json(o, &jerr);

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
decisions_cooldown_remaining(struct decisions *l, const struct policy *pol, double now,
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
decisions_status(struct decisions *l, const struct policy *pol, double now)
{
	json_t *o = json_object(), *recent = json_array();
	size_t i;

	pthread_mutex_lock(&l->mu);
	for (i = 0; i < DECISIONS_RECENT; i++) {
		/* newest first */
		size_t k = (l->recent_next + DECISIONS_RECENT - 1 - i) % DECISIONS_RECENT;

		if (l->recent[k])
			json_array_append_new(recent, json_loads(l->recent[k], 0, NULL));
	}
	json_object_set_new(o, "last_rollback", last_rollback_json(l));
	json_object_set_new(o, "cooldown_seconds", json_real(pol->cooldown));
	json_object_set_new(o, "cooldown_remaining_seconds", json_real(cooldown_left(l, pol, now)));
	json_object_set_new(o, "rollback_in_progress", json_boolean(l->active_rollback != 0));
	json_object_set_new(o, "pending_jobs",
			    json_integer((json_int_t)json_object_size(l->pending)));
	json_object_set_new(o, "remembered_alerts", json_integer((json_int_t)l->t.n));
	json_object_set_new(o, "recent_decisions", recent);
	json_object_set_new(o, "decisions_failed", json_boolean(l->failed));
	json_object_set_new(o, "decisions_error",
			    l->failed ? json_string(l->failmsg) : json_null());
	json_object_set_new(o, "state_losses_at_start", json_deep_copy(l->losses));
	pthread_mutex_unlock(&l->mu);
	return o;
}

int
decisions_needs_compact(struct decisions *l)
{
	int r;

	pthread_mutex_lock(&l->mu);
	r = !l->failed && l->journal_lines >= DECISIONS_COMPACT_LINES;
	pthread_mutex_unlock(&l->mu);
	return r;
}

int
decisions_compact(struct decisions *l, double now, double retention, struct mm_err *err)
{
	int rc;

	token_take(l);
	pthread_mutex_lock(&l->mu);
	prune(l, now - retention, l->max_entries * 9 / 10);
	if (l->read_only || !l->dir)
		l->journal_lines = 0;
	rc = l->failed ? mm_errf(err, MM_E_WRITE, "%s", l->failmsg) : compact_locked(l, now, err);
	pthread_mutex_unlock(&l->mu);
	token_give(l);
	return rc;
}

size_t
decisions_entries(struct decisions *l)
{
	size_t n;

	pthread_mutex_lock(&l->mu);
	n = l->t.n;
	pthread_mutex_unlock(&l->mu);
	return n;
}

int
decisions_reopen_audit(struct decisions *l, struct mm_err *err)
{
	int fd;

	if (!l->audit_path)
		return 0;
	fd = open(l->audit_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return mm_errf(err, MM_E_WRITE, "cannot reopen audit log '%s': %s", l->audit_path,
			       strerror(errno));
	/* What is queued goes to the old file, synced; the rest to the new one. */
	return lead_pass(l, fd, err);
}
