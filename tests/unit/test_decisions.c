/*
 * test_decisions.c - the watcher's decisions and their persistence: rollback
 * once per (fingerprint, startsAt), one rollback at a time, the cooldown,
 * notify, ignored, resolved never undoing, dry-run, the journal replayed
 * after a crash (no repeat, unfinished jobs resumed), torn and corrupt
 * journals, the directory lock, the audit log, group commit under threads,
 * failing closed when the disk refuses, and forgetting old alerts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "atomicfile.h"
#include "helpers.h"
#include "jsontree.h"
#include "decisions.h"
#include "xalloc.h"

#define T0 1760000000.0

static const char policy_text[] = "cooldown: 10m\n"
				  "hard:\n"
				  "  alertnames: [HardA, HardB]\n"
				  "soft:\n"
				  "  alertnames: [SoftC]\n"
				  "actions:\n"
				  "  - name: stop\n"
				  "    http: {url: 'http://127.0.0.1:1/admin/scale'}\n"
				  "  - name: tell\n"
				  "    on: [rollback, notify]\n"
				  "    http: {url: 'http://127.0.0.1:1/notify'}\n";

struct fx {
	struct policy *pol;
	char dir[64];
};

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct mm_err err;

	f->pol = policy_loadb(policy_text, strlen(policy_text), "p.yaml", &err);
	assert_non_null(f->pol);
	snprintf(f->dir, sizeof(f->dir), "/tmp/mmops-ledger-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	helper_rm_rf(f->dir);
	policy_free(f->pol);
	free(f);
	return 0;
}

static char *
path_in(struct fx *f, const char *name)
{
	return xasprintf("%s/%s", f->dir, name);
}

static struct decisions *
open_l(const char *dir, const char *audit, int read_only)
{
	struct decisions_opts o;
	struct mm_err err;
	struct decisions *l;

	memset(&o, 0, sizeof(o));
	o.state_dir = dir;
	o.audit_path = audit;
	o.read_only = read_only;
	l = decisions_open(&o, T0, &err);
	if (!l)
		fail_msg("decisions_open: %s:%lu: %s", err.file, err.line, err.msg);
	return l;
}

/* Decide one alert (name, status, startsAt, fingerprint) and commit; returns the verdict kind. */
static enum decision_kind
decide1(struct fx *f, struct decisions *l, const char *name, const char *status, const char *starts,
	const char *fp, double now, int dry_run, struct decisions_verdict *keep)
{
	char *body = xasprintf("{\"alerts\":[{\"status\":\"%s\",\"labels\":{\"alertname\":\"%s\"},"
			       "\"startsAt\":\"%s\",\"fingerprint\":\"%s\"}]}",
			       status, name, starts, fp);
	struct alert_payload p;
	struct decisions_verdict v;
	struct mm_err err;
	uint64_t seq;

	assert_int_equal(alert_payload_decode(body, strlen(body), &p, &err), 0);
	if (decisions_decide(l, f->pol, &p, now, dry_run, &v, &seq, &err) < 0)
		fail_msg("decide: %s", err.msg);
	assert_int_equal(decisions_commit(l, seq, &err), 0);
	alert_payload_release(&p);
	free(body);
	if (keep)
		*keep = v;
	else
		decisions_job_free(v.job);
	return v.kind;
}

static void
finish(struct decisions *l, struct decisions_job *j, double now)
{
	struct mm_err err;
	json_t *res = json_pack("[{s:s, s:s}]", "name", "stop", "result", "ok");

	assert_int_equal(decisions_job_done(l, j, res, now, &err), 0);
	json_decref(res);
	decisions_job_free(j);
}

static void
test_hard_alert_rolls_back_once(void **state)
{
	struct fx *f = *state;
	struct decisions *l = open_l(f->dir, NULL, 0);
	struct decisions_verdict v;

	assert_int_equal(
	    decide1(f, l, "HardA", "firing", "2025-10-11T10:00:00Z", "aaaa", T0, 0, &v),
	    DECISION_ROLLBACK);
	assert_int_equal(v.rollback_id, 1);
	assert_int_equal(v.gate, HARDNESS_HARD);
	assert_non_null(v.job);
	assert_int_equal(v.job->kind, DECISION_ROLLBACK);
	assert_string_equal(alert_name(&v.job->alert), "HardA");
	/* Alertmanager retries, repeats, a second Alertmanager: all duplicates */
	assert_int_equal(
	    decide1(f, l, "HardA", "firing", "2025-10-11T10:00:00Z", "aaaa", T0 + 1, 0, NULL),
	    DECISION_DUPLICATE);
	finish(l, v.job, T0 + 2);
	assert_int_equal(decide1(f, l, "HardA", "firing", "2025-10-11T10:00:00Z", "aaaa",
				 T0 + 3600 * 5, 0, NULL),
			 DECISION_DUPLICATE);
	decisions_close(l, T0);
}

static void
test_one_rollback_at_a_time_then_cooldown(void **state)
{
	struct fx *f = *state;
	struct decisions *l = open_l(f->dir, NULL, 0);
	struct decisions_verdict v, v2;
	int in_progress;

	assert_int_equal(
	    decide1(f, l, "HardA", "firing", "2025-10-11T10:00:00Z", "aaaa", T0, 0, &v),
	    DECISION_ROLLBACK);
	/* another hard alert while the rollback runs */
	assert_int_equal(
	    decide1(f, l, "HardB", "firing", "2025-10-11T10:00:00Z", "bbbb", T0 + 1, 0, &v2),
	    DECISION_COOLDOWN);
	assert_non_null(strstr(v2.reason, "rollback 1 is in progress"));
	assert_null(v2.job);
	decisions_cooldown_remaining(l, f->pol, T0 + 1, &in_progress);
	assert_true(in_progress);
	finish(l, v.job, T0 + 5);
	decisions_cooldown_remaining(l, f->pol, T0 + 6, &in_progress);
	assert_false(in_progress);
	/* finished, but within the 10m cooldown */
	assert_int_equal(
	    decide1(f, l, "HardB", "firing", "2025-10-11T10:01:00Z", "bbbb", T0 + 60, 0, &v2),
	    DECISION_COOLDOWN);
	assert_non_null(strstr(v2.reason, "within the cooldown of rollback 1 (540s left)"));
	assert_float_equal(decisions_cooldown_remaining(l, f->pol, T0 + 60, NULL), 540, 0.001);
	/* after the cooldown a new alert rolls back again */
	assert_int_equal(
	    decide1(f, l, "HardB", "firing", "2025-10-11T10:11:00Z", "bbbb", T0 + 601, 0, &v2),
	    DECISION_ROLLBACK);
	assert_int_equal(v2.rollback_id, 2);
	decisions_job_free(v2.job);
	decisions_close(l, T0);
}

static void
test_soft_notifies_unknown_is_ignored(void **state)
{
	struct fx *f = *state;
	struct decisions *l = open_l(f->dir, NULL, 0);
	struct decisions_verdict v;

	assert_int_equal(
	    decide1(f, l, "SoftC", "firing", "2025-10-11T10:00:00Z", "cccc", T0, 0, &v),
	    DECISION_NOTIFY);
	assert_non_null(v.job);
	assert_int_equal(v.job->kind, DECISION_NOTIFY);
	assert_int_equal(v.job->rollback_id, 0);
	decisions_job_free(v.job);
	assert_int_equal(
	    decide1(f, l, "Other", "firing", "2025-10-11T10:00:00Z", "dddd", T0, 0, &v),
	    DECISION_IGNORED);
	assert_null(v.job);
	assert_int_equal(
	    decide1(f, l, "Other", "firing", "2025-10-11T10:00:00Z", "dddd", T0, 0, NULL),
	    DECISION_DUPLICATE);
	decisions_close(l, T0);
}

static void
test_resolved_is_recorded_and_never_undoes(void **state)
{
	struct fx *f = *state;
	struct decisions *l = open_l(f->dir, NULL, 0);
	struct decisions_verdict v, r;
	json_t *st;

	assert_int_equal(
	    decide1(f, l, "HardA", "firing", "2025-10-11T10:00:00Z", "aaaa", T0, 0, &v),
	    DECISION_ROLLBACK);
	assert_int_equal(
	    decide1(f, l, "HardA", "resolved", "2025-10-11T10:00:00Z", "aaaa", T0 + 10, 0, &r),
	    DECISION_IGNORED);
	assert_non_null(strstr(r.reason, "never undone"));
	assert_null(r.job);
	/* the rollback is still in progress and still the last one */
	st = decisions_status(l, f->pol, T0 + 11);
	assert_true(json_is_true(json_object_get(st, "rollback_in_progress")));
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(st, "last_rollback"), "id")), 1);
	json_decref(st);
	assert_int_equal(
	    decide1(f, l, "HardA", "resolved", "2025-10-11T10:00:00Z", "aaaa", T0 + 20, 0, NULL),
	    DECISION_DUPLICATE);
	/* a late firing copy from another Alertmanager */
	assert_int_equal(
	    decide1(f, l, "HardA", "firing", "2025-10-11T10:00:00Z", "aaaa", T0 + 30, 0, NULL),
	    DECISION_DUPLICATE);
	/* a resolution of an alert never seen firing is recorded too */
	assert_int_equal(
	    decide1(f, l, "HardB", "resolved", "2025-10-11T09:00:00Z", "bbbb", T0 + 40, 0, NULL),
	    DECISION_IGNORED);
	finish(l, v.job, T0 + 50);
	decisions_close(l, T0);
}

static void
test_dry_run_creates_no_job_and_writes_nothing(void **state)
{
	struct fx *f = *state;
	char *dir = path_in(f, "never-created");
	struct decisions *l = open_l(dir, NULL, 1);
	struct decisions_verdict v;
	struct stat st;
	json_t *s;

	assert_int_equal(
	    decide1(f, l, "HardA", "firing", "2025-10-11T10:00:00Z", "aaaa", T0, 1, &v),
	    DECISION_ROLLBACK);
	assert_null(v.job);
	/* a dry-run rollback counts as done at once, so the cooldown shows */
	assert_int_equal(
	    decide1(f, l, "HardB", "firing", "2025-10-11T10:00:00Z", "bbbb", T0 + 1, 1, &v),
	    DECISION_COOLDOWN);
	assert_non_null(strstr(v.reason, "within the cooldown"));
	assert_int_equal(
	    decide1(f, l, "SoftC", "firing", "2025-10-11T10:00:00Z", "cccc", T0, 1, &v),
	    DECISION_NOTIFY);
	assert_null(v.job);
	s = decisions_status(l, f->pol, T0 + 2);
	assert_true(json_is_true(json_object_get(json_object_get(s, "last_rollback"), "dry_run")));
	json_decref(s);
	decisions_close(l, T0);
	assert_int_equal(stat(dir, &st), -1);
	free(dir);
}

static void
test_dry_run_reads_but_never_writes_existing_state(void **state)
{
	struct fx *f = *state;
	struct decisions *l = open_l(f->dir, NULL, 0), *dry;
	char *snap = path_in(f, "state.json");
	struct buf before = BUF_INIT(1 << 20), after = BUF_INIT(1 << 20);
	struct mm_err err;

	assert_int_equal(
	    decide1(f, l, "HardA", "firing", "2025-10-11T10:00:00Z", "aaaa", T0, 0, NULL),
	    DECISION_ROLLBACK);
	decisions_close(l, T0 + 1);
	assert_int_equal(buf_read_file(&before, snap, &err), 0);
	dry = open_l(f->dir, NULL, 1);
	/* the real watcher's decision is known to the dry run */
	assert_int_equal(
	    decide1(f, dry, "HardA", "firing", "2025-10-11T10:00:00Z", "aaaa", T0 + 2, 1, NULL),
	    DECISION_DUPLICATE);
	assert_int_equal(
	    decide1(f, dry, "HardB", "firing", "2025-10-11T10:00:00Z", "bbbb", T0 + 2, 1, NULL),
	    DECISION_COOLDOWN);
	decisions_close(dry, T0 + 3);
	assert_int_equal(buf_read_file(&after, snap, &err), 0);
	assert_int_equal(before.len, after.len);
	assert_memory_equal(before.data, after.data, before.len);
	buf_release(&before);
	buf_release(&after);
	free(snap);
}

static void
copy_file(const char *from, const char *to)
{
	struct buf b = BUF_INIT(1 << 24);
	struct mm_err err;

	assert_int_equal(buf_read_file(&b, from, &err), 0);
	assert_int_equal(atomicfile_write_atomic(to, b.data ? b.data : "", b.len, &err), 0);
	buf_release(&b);
}

/* Copy the on-disk state as a crash would leave it (no final snapshot). */
static char *
crash_copy(struct fx *f, const char *name)
{
	char *dir = path_in(f, name), *a, *b;
	struct mm_err err;

	assert_int_equal(atomicfile_mkdir_p(dir, 0755, &err), 0);
	a = path_in(f, "state.json");
	b = xasprintf("%s/state.json", dir);
	copy_file(a, b);
	free(a);
	free(b);
	a = path_in(f, "journal.jsonl");
	b = xasprintf("%s/journal.jsonl", dir);
	copy_file(a, b);
	free(a);
	free(b);
	return dir;
}

static void
test_crash_restart_neither_repeats_nor_forgets(void **state)
{
	struct fx *f = *state;
	struct decisions *l = open_l(f->dir, NULL, 0), *l2;
	struct decisions_verdict v;
	struct decisions_job **jobs, **again;
	char *dir;
	size_t n;
	json_t *st;

	assert_int_equal(
	    decide1(f, l, "HardA", "firing", "2025-10-11T10:00:00Z", "aaaa", T0, 0, &v),
	    DECISION_ROLLBACK);
	decisions_job_free(v.job);
	assert_int_equal(
	    decide1(f, l, "SoftC", "firing", "2025-10-11T10:00:00Z", "cccc", T0, 0, &v),
	    DECISION_NOTIFY);
	finish(l, v.job, T0 + 1);
	/* crash now: the rollback's actions never finished */
	dir = crash_copy(f, "crashed");
	l2 = open_l(dir, NULL, 0);
	assert_int_equal(
	    decide1(f, l2, "HardA", "firing", "2025-10-11T10:00:00Z", "aaaa", T0 + 5, 0, NULL),
	    DECISION_DUPLICATE);
	assert_int_equal(
	    decide1(f, l2, "SoftC", "firing", "2025-10-11T10:00:00Z", "cccc", T0 + 5, 0, NULL),
	    DECISION_DUPLICATE);
	assert_int_equal(
	    decide1(f, l2, "HardB", "firing", "2025-10-11T10:00:00Z", "bbbb", T0 + 5, 0, NULL),
	    DECISION_COOLDOWN);
	n = decisions_take_pending(l2, &jobs);
	assert_int_equal(n, 1);
	assert_int_equal(jobs[0]->kind, DECISION_ROLLBACK);
	assert_int_equal(jobs[0]->rollback_id, 1);
	assert_true(jobs[0]->resumed);
	assert_string_equal(alert_name(&jobs[0]->alert), "HardA");
	assert_int_equal(decisions_take_pending(l2, &again), 0);
	finish(l2, jobs[0], T0 + 6);
	free(jobs);
	st = decisions_status(l2, f->pol, T0 + 7);
	assert_false(json_is_true(json_object_get(st, "rollback_in_progress")));
	assert_int_equal(json_integer_value(json_object_get(st, "pending_jobs")), 0);
	json_decref(st);
	decisions_close(l2, T0 + 8);
	/* and a clean restart from the snapshot alone */
	l2 = open_l(dir, NULL, 0);
	assert_int_equal(decisions_take_pending(l2, &jobs), 0);
	assert_int_equal(decisions_entries(l2), 3);
	assert_int_equal(
	    decide1(f, l2, "HardA", "firing", "2025-10-11T10:00:00Z", "aaaa", T0 + 9, 0, NULL),
	    DECISION_DUPLICATE);
	decisions_close(l2, T0 + 10);
	decisions_close(l, T0);
	free(dir);
}

static void
write_text(const char *path, const char *text)
{
	struct mm_err err;

	assert_int_equal(atomicfile_write_atomic(path, text, strlen(text), &err), 0);
}

static char *
read_text(const char *path)
{
	struct buf b = BUF_INIT(1 << 26);
	struct mm_err err;

	assert_int_equal(buf_read_file(&b, path, &err), 0);
	return buf_detach(&b, NULL);
}

/* decisions_open that must fail; returns err.msg copied (caller frees). */
static char *
open_refused(const char *dir, int code)
{
	struct decisions_opts o;
	struct mm_err err;
	struct decisions *l;

	memset(&o, 0, sizeof(o));
	o.state_dir = dir;
	l = decisions_open(&o, T0, &err);
	if (l) {
		decisions_close(l, T0);
		fail_msg("decisions_open of '%s' should have failed", dir);
	}
	assert_int_equal(err.code, code);
	return xstrdup(err.msg);
}

static struct decisions *
open_accepting(const char *dir)
{
	struct decisions_opts o;
	struct mm_err err;
	struct decisions *l;

	memset(&o, 0, sizeof(o));
	o.state_dir = dir;
	o.accept_loss = 1;
	l = decisions_open(&o, T0, &err);
	if (!l)
		fail_msg("decisions_open (accept_loss): %s", err.msg);
	return l;
}

/* A crashed state dir holding three decisions: HardA (rollback 1), Other (ignored), HardB
 * (cooldown). */
static char *
three_decisions_crashed(struct fx *f, struct decisions **keep)
{
	struct decisions *l = open_l(f->dir, NULL, 0);
	struct decisions_verdict v;

	assert_int_equal(
	    decide1(f, l, "HardA", "firing", "2025-10-11T10:00:00Z", "aaaa", T0, 0, &v),
	    DECISION_ROLLBACK);
	decisions_job_free(v.job);
	assert_int_equal(
	    decide1(f, l, "Other", "firing", "2025-10-11T10:00:00Z", "oooo", T0, 0, NULL),
	    DECISION_IGNORED);
	assert_int_equal(
	    decide1(f, l, "HardB", "firing", "2025-10-11T10:00:00Z", "bbbb", T0, 0, NULL),
	    DECISION_COOLDOWN);
	*keep = l;
	return crash_copy(f, "crashed");
}

/* Byte offset of the start of line n (1-based) of text. */
static size_t
line_start(const char *text, int n)
{
	const char *p = text;

	while (--n > 0) {
		p = strchr(p, '\n');
		assert_non_null(p);
		p++;
	}
	return (size_t)(p - text);
}

static void
test_journal_lines_and_snapshot_carry_checksums(void **state)
{
	struct fx *f = *state;
	struct decisions *l;
	char *dir = three_decisions_crashed(f, &l), *jp = xasprintf("%s/journal.jsonl", dir);
	char *sp = xasprintf("%s/state.json", dir), *text = read_text(jp), *p, *nl;
	json_t *snap;
	int n = 0;

	/* each line is JSON: {"crc":"<8 hex>","r":{record}} */
	for (p = text; *p; p = nl + 1) {
		json_t *line;

		nl = strchr(p, '\n');
		assert_non_null(nl);
		line = json_loadb(p, (size_t)(nl - p), 0, NULL);
		assert_non_null(line);
		assert_int_equal(strlen(json_string_value(json_object_get(line, "crc"))), 8);
		assert_true(json_is_object(json_object_get(line, "r")));
		json_decref(line);
		n++;
	}
	assert_int_equal(n, 3);
	snap = json_load_file(sp, 0, NULL);
	assert_non_null(snap);
	assert_int_equal(strlen(json_string_value(json_object_get(snap, "crc"))), 8);
	assert_int_equal(jsontree_num(json_object_get(snap, "state"), "format", 0),
			 DECISIONS_STATE_FORMAT);
	json_decref(snap);
	free(text);
	free(jp);
	free(sp);
	decisions_close(l, T0);
	free(dir);
}

static void
test_journal_cut_inside_the_first_record_is_refused_then_accepted(void **state)
{
	struct fx *f = *state;
	struct decisions *l, *l2;
	char *dir = three_decisions_crashed(f, &l), *jp = xasprintf("%s/journal.jsonl", dir);
	char *msg;

	/* the same as a truncated file: the rollback decided (and answered) is gone */
	assert_int_equal(truncate(jp, 40), 0);
	msg = open_refused(dir, MM_E_PARSE);
	assert_non_null(strstr(msg, "journal.jsonl:1: the journal ends inside a record"));
	assert_non_null(strstr(msg, "refusing to start with a shorter history"));
	free(msg);
	/* nothing was changed by the refusal: it is refused again */
	msg = open_refused(dir, MM_E_PARSE);
	free(msg);
	l2 = open_accepting(dir);
	assert_int_equal(decisions_entries(l2), 0);
	decisions_close(l2, T0);
	/* once accepted, the next start is clean */
	l2 = open_l(dir, NULL, 0);
	decisions_close(l2, T0);
	decisions_close(l, T0);
	free(jp);
	free(dir);
}

static void
test_flipped_byte_in_a_journal_value_is_a_loss_the_rest_is_kept(void **state)
{
	struct fx *f = *state;
	struct decisions *l, *l2;
	char *dir = three_decisions_crashed(f, &l), *jp = xasprintf("%s/journal.jsonl", dir);
	char *text = read_text(jp), *msg, *fp;
	size_t at = line_start(text, 2);

	/* "oooo" becomes "oooq": still JSON, a phantom entry without the checksum */
	fp = strstr(text + at, "oooo");
	assert_non_null(fp);
	fp[3] = 'q';
	write_text(jp, text);
	msg = open_refused(dir, MM_E_PARSE);
	assert_non_null(strstr(msg, "journal.jsonl:2: record fails its checksum"));
	free(msg);
	l2 = open_accepting(dir);
	/* records 1 and 3 are kept: HardA stays rolled back, its cooldown holds */
	assert_int_equal(decisions_entries(l2), 2);
	assert_int_equal(
	    decide1(f, l2, "HardA", "firing", "2025-10-11T10:00:00Z", "aaaa", T0 + 1, 0, NULL),
	    DECISION_DUPLICATE);
	assert_int_equal(
	    decide1(f, l2, "HardB", "firing", "2025-10-11T10:00:00Z", "bbb2", T0 + 1, 0, NULL),
	    DECISION_COOLDOWN);
	decisions_close(l2, T0);
	decisions_close(l, T0);
	free(text);
	free(jp);
	free(dir);
}

static void
test_deleted_or_damaged_snapshot_is_refused(void **state)
{
	struct fx *f = *state;
	struct decisions *l, *l2;
	struct decisions_verdict v;
	char *sp, *text, *msg, *p;

	l = open_l(f->dir, NULL, 0);
	assert_int_equal(
	    decide1(f, l, "HardA", "firing", "2025-10-11T10:00:00Z", "aaaa", T0, 0, &v),
	    DECISION_ROLLBACK);
	decisions_job_free(v.job);
	decisions_close(l, T0); /* all in the snapshot now, the journal empty */
	sp = path_in(f, "state.json");
	text = read_text(sp);
	/* a flipped byte inside a value */
	p = strstr(text, "aaaa");
	assert_non_null(p);
	p[0] = 'b';
	write_text(sp, text);
	msg = open_refused(f->dir, MM_E_PARSE);
	assert_non_null(strstr(msg, "state.json fails its checksum"));
	free(msg);
	p[0] = 'a';
	write_text(sp, text);
	l2 = open_l(f->dir, NULL, 0);
	decisions_close(l2, T0);
	/* deleted: it would start empty and roll back a second time */
	assert_int_equal(unlink(sp), 0);
	msg = open_refused(f->dir, MM_E_PARSE);
	assert_non_null(strstr(msg, "state.json is missing but"));
	free(msg);
	l2 = open_accepting(f->dir);
	assert_int_equal(decisions_entries(l2), 0);
	decisions_close(l2, T0);
	free(text);
	free(sp);
}

static void
test_journal_from_an_older_mmops_without_checksums_is_read(void **state)
{
	struct fx *f = *state;
	char *j = path_in(f, "journal.jsonl"), *s = path_in(f, "state.json");
	struct decisions *l;

	write_text(s, "{\"format\":1,\"next_job\":1,\"next_rollback\":1,\"alerts\":[],"
		      "\"pending\":[],\"last_rollback\":null}\n");
	write_text(j, "{\"type\":\"decision\",\"t\":1,\"fingerprint\":\"aaaa\",\"startsAt\":\"\","
		      "\"status\":\"firing\",\"decision\":\"ignored\"}\n");
	l = open_l(f->dir, NULL, 0);
	assert_int_equal(decisions_entries(l), 1);
	decisions_close(l, T0);
	free(j);
	free(s);
}

static void
test_second_watcher_on_the_same_dir_is_refused(void **state)
{
	struct fx *f = *state;
	struct decisions *l = open_l(f->dir, NULL, 0);
	char *lock = path_in(f, "lock"), *msg;

	msg = open_refused(f->dir, MM_E_RUNTIME);
	assert_non_null(strstr(msg, "in use by another mmops watch"));
	free(msg);
	/* the lock is the directory's, held on a descriptor: deleting the file changes nothing */
	assert_int_equal(unlink(lock), 0);
	msg = open_refused(f->dir, MM_E_RUNTIME);
	assert_non_null(strstr(msg, "in use by another mmops watch"));
	free(msg);
	decisions_close(l, T0);
	l = open_l(f->dir, NULL, 0);
	decisions_close(l, T0);
	free(lock);
}

static void
test_audit_log_has_a_line_per_decision_and_result(void **state)
{
	struct fx *f = *state;
	char *audit = path_in(f, "audit.jsonl");
	struct decisions *l = open_l(f->dir, audit, 0);
	struct decisions_verdict v;
	struct buf b = BUF_INIT(1 << 20);
	struct mm_err err;
	json_t *rec;
	char *p, *nl;
	size_t lines = 0;

	assert_int_equal(
	    decide1(f, l, "HardA", "firing", "2025-10-11T10:00:00Z", "aaaa", T0, 0, &v),
	    DECISION_ROLLBACK);
	assert_int_equal(
	    decide1(f, l, "HardA", "firing", "2025-10-11T10:00:00Z", "aaaa", T0, 0, NULL),
	    DECISION_DUPLICATE);
	rec = json_pack("{s:s, s:s}", "event", "action", "action", "stop");
	assert_int_equal(decisions_audit(l, rec, T0 + 1, 1, &err), 0);
	json_decref(rec);
	finish(l, v.job, T0 + 2);
	assert_int_equal(buf_read_file(&b, audit, &err), 0);
	for (p = b.data; (nl = strchr(p, '\n')); p = nl + 1) {
		json_t *j = jsontree_loadb(p, (size_t)(nl - p), "audit", &err);

		assert_non_null(j);
		assert_non_null(json_object_get(j, "ts"));
		if (lines == 0) {
			assert_string_equal(jsontree_str(j, "event", ""), "decision");
			assert_string_equal(jsontree_str(j, "decision", ""), "rollback");
			assert_string_equal(jsontree_str(j, "alertname", ""), "HardA");
			assert_string_equal(jsontree_str(j, "ts", ""), "2025-10-09T08:53:20Z");
		}
		if (lines == 1)
			assert_string_equal(jsontree_str(j, "decision", ""), "duplicate");
		if (lines == 2)
			assert_string_equal(jsontree_str(j, "event", ""), "action");
		if (lines == 3)
			assert_string_equal(jsontree_str(j, "event", ""), "job_done");
		json_decref(j);
		lines++;
	}
	assert_int_equal(lines, 4);
	buf_release(&b);
	decisions_close(l, T0);
	free(audit);
}

struct thr {
	struct fx *f;
	struct decisions *l;
	int id;
};

static void *
decide_many(void *arg)
{
	struct thr *t = arg;
	int i;

	for (i = 0; i < 50; i++) {
		char fp[32];

		snprintf(fp, sizeof(fp), "t%dn%d", t->id, i);
		if (decide1(t->f, t->l, "Other", "firing", "2025-10-11T10:00:00Z", fp, T0, 0,
			    NULL) != DECISION_IGNORED)
			abort();
	}
	return NULL;
}

static _Atomic int deciding;

static void *
compact_loop(void *arg)
{
	struct thr *t = arg;
	struct mm_err err;

	while (deciding)
		if (decisions_compact(t->l, T0, 3600 * 24 * 365, &err) < 0)
			abort();
	return NULL;
}

static void
test_concurrent_decisions_are_all_durable(void **state)
{
	struct fx *f = *state;
	struct decisions *l = open_l(f->dir, NULL, 0), *l2;
	pthread_t th[4], compactor;
	struct thr t[4], ct;
	char *dir;
	int i;

	/* snapshots are taken and the journal emptied while decisions stream in */
	deciding = 1;
	ct.f = f;
	ct.l = l;
	ct.id = -1;
	assert_int_equal(pthread_create(&compactor, NULL, compact_loop, &ct), 0);
	for (i = 0; i < 4; i++) {
		t[i].f = f;
		t[i].l = l;
		t[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, decide_many, &t[i]), 0);
	}
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	deciding = 0;
	pthread_join(compactor, NULL);
	assert_int_equal(decisions_entries(l), 200);
	dir = crash_copy(f, "crashed");
	l2 = open_l(dir, NULL, 0);
	assert_int_equal(decisions_entries(l2), 200);
	decisions_close(l2, T0);
	decisions_close(l, T0);
	free(dir);
}

static void
test_write_failure_fails_closed(void **state)
{
	struct fx *f = *state;
	struct decisions *l = open_l(f->dir, "/dev/full", 0);
	static const char body[] =
	    "{\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"HardA\"}}]}";
	struct alert_payload p;
	struct decisions_verdict v;
	struct mm_err err;
	uint64_t seq;
	json_t *st;

	(void)state;
	assert_int_equal(alert_payload_decode(body, strlen(body), &p, &err), 0);
	/* the decision is made, but it cannot be made durable: the caller answers 500 */
	assert_int_equal(decisions_decide(l, f->pol, &p, T0, 0, &v, &seq, &err), 0);
	assert_int_equal(decisions_commit(l, seq, &err), -1);
	assert_int_equal(err.code, MM_E_WRITE);
	assert_non_null(strstr(err.msg, "cannot append to the audit log: No space left on device"));
	decisions_job_free(v.job);
	/* and it stays failed: no decision without the audit record */
	assert_int_equal(decisions_decide(l, f->pol, &p, T0, 0, &v, &seq, &err), -1);
	st = decisions_status(l, f->pol, T0);
	assert_true(json_is_true(json_object_get(st, "decisions_failed")));
	json_decref(st);
	alert_payload_release(&p);
	decisions_close(l, T0);
}

/* A job finishes while the disk refuses: its completion cannot be written yet. */
static void
finish_failing(struct decisions *l, struct decisions_job *j, double now)
{
	struct mm_err err;
	json_t *res = json_pack("[{s:s, s:s}]", "name", "stop", "result", "ok");

	assert_int_equal(decisions_job_done(l, j, res, now, &err), -1);
	json_decref(res);
	decisions_job_free(j);
}

/* Poll decisions_recover() until it succeeds; 0, or -1 after 5 s. */
static int
recover_within(struct decisions *l)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (decisions_recover(l, NULL) == 0)
			return 0;
		usleep(10000);
	}
	return -1;
}

/* Every line of path is a whole JSON document (nothing torn, nothing appended onto one). */
static size_t
all_lines_are_json(const char *path)
{
	char *text = read_text(path), *p, *nl;
	size_t n = 0;

	for (p = text; *p; p = nl + 1) {
		json_t *j;

		nl = strchr(p, '\n');
		assert_non_null(nl);
		j = json_loadb(p, (size_t)(nl - p), 0, NULL);
		if (!j)
			fail_msg("%s:%zu: not JSON: %.*s", path, n + 1, (int)(nl - p), p);
		json_decref(j);
		n++;
	}
	free(text);
	return n;
}

static void
test_write_failure_recovers_without_a_restart(void **state)
{
	struct fx *f = *state;
	char *audit = path_in(f, "audit.jsonl");
	struct decisions *l = open_l(f->dir, audit, 0);
	static const char body[] =
	    "{\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"HardA\"},"
	    "\"fingerprint\":\"aaaa\",\"startsAt\":\"2025-10-11T10:00:00Z\"}]}";
	struct alert_payload p;
	struct decisions_verdict v, w;
	struct decisions_job **jobs;
	struct mm_err err;
	char why[256];
	uint64_t seq;

	assert_int_equal(alert_payload_decode(body, strlen(body), &p, &err), 0);
	/* a rollback decided and durable; its job runs while the disk is full */
	assert_int_equal(
	    decide1(f, l, "HardB", "firing", "2025-10-11T09:00:00Z", "bbbb", T0, 0, &w),
	    DECISION_ROLLBACK);
	decisions_inject_write_error(l, ENOSPC);
	assert_int_equal(decisions_decide(l, f->pol, &p, T0 + 1000, 0, &v, &seq, &err), 0);
	assert_int_equal(decisions_commit(l, seq, &err), -1); /* answered 500 */
	assert_non_null(strstr(err.msg, "No space left on device"));
	decisions_job_free(v.job);
	assert_false(decisions_healthy(l, why, sizeof(why), NULL));
	assert_non_null(strstr(why, "No space left on device"));
	finish_failing(l, w.job, T0 + 1001);
	/* still full: still refused */
	usleep((useconds_t)(DECISIONS_RETRY_INTERVAL * 1e6) + 10000);
	assert_int_equal(decisions_decide(l, f->pol, &p, T0 + 1002, 0, &v, &seq, &err), -1);
	assert_int_equal(err.code, MM_E_WRITE);
	/* space freed: recovery without a restart */
	decisions_inject_write_error(l, 0);
	assert_int_equal(recover_within(l), 0);
	assert_true(decisions_healthy(l, NULL, 0, NULL));
	/* the alert answered 500 is decided again, as a rollback (rollback 1's job finished) */
	assert_int_equal(decisions_cooldown_remaining(l, f->pol, T0 + 1003, NULL), 0);
	assert_int_equal(decisions_decide(l, f->pol, &p, T0 + 1003, 0, &v, &seq, &err), 0);
	assert_int_equal(decisions_commit(l, seq, &err), 0);
	assert_int_equal(v.kind, DECISION_ROLLBACK);
	assert_int_equal(v.rollback_id, 2);
	decisions_job_free(v.job);
	decisions_close(l, T0 + 1004);
	/* what is on disk says the same, and both files are whole lines of JSON */
	assert_true(all_lines_are_json(audit) >= 3);
	l = open_l(f->dir, audit, 0);
	assert_int_equal(decisions_take_pending(l, &jobs), 1);
	assert_int_equal(jobs[0]->rollback_id, 2); /* rollback 1's completion was kept */
	decisions_job_free(jobs[0]);
	free(jobs);
	assert_int_equal(
	    decide1(f, l, "HardA", "firing", "2025-10-11T10:00:00Z", "aaaa", T0 + 1005, 0, NULL),
	    DECISION_DUPLICATE);
	decisions_close(l, T0 + 1005);
	alert_payload_release(&p);
	free(audit);
}

static void
test_pending_notifications_are_bounded_and_shed(void **state)
{
	struct fx *f = *state;
	struct decisions_opts o;
	struct decisions_verdict v;
	struct mm_err err;
	struct decisions *l;
	char fp[32], *sp;
	json_t *st, *snap;
	int i, jobs = 0, shed = 0;

	memset(&o, 0, sizeof(o));
	o.state_dir = f->dir;
	o.max_pending_notify = 10;
	l = decisions_open(&o, T0, &err);
	assert_non_null(l);
	for (i = 0; i < 50; i++) {
		snprintf(fp, sizeof(fp), "soft%04d", i);
		assert_int_equal(
		    decide1(f, l, "SoftC", "firing", "2025-10-11T10:00:00Z", fp, T0, 0, &v),
		    DECISION_NOTIFY);
		if (v.job)
			jobs++;
		if (v.shed) {
			shed++;
			assert_non_null(strstr(v.reason, "notification shed, 10 already pending"));
		}
		decisions_job_free(v.job);
	}
	assert_int_equal(jobs, 10);
	assert_int_equal(shed, 40);
	/* a rollback is never shed */
	assert_int_equal(
	    decide1(f, l, "HardA", "firing", "2025-10-11T10:00:00Z", "aaaa", T0, 0, &v),
	    DECISION_ROLLBACK);
	assert_non_null(v.job);
	decisions_job_free(v.job);
	st = decisions_status(l, f->pol, T0);
	assert_int_equal(json_integer_value(json_object_get(st, "pending_jobs")), 11);
	json_decref(st);
	decisions_close(l, T0);
	sp = path_in(f, "state.json");
	snap = json_load_file(sp, 0, NULL);
	assert_non_null(snap);
	assert_int_equal(
	    json_array_size(json_object_get(json_object_get(snap, "state"), "pending")), 11);
	json_decref(snap);
	free(sp);
}

static void
test_old_alerts_are_forgotten_after_retention(void **state)
{
	struct fx *f = *state;
	struct decisions *l = open_l(f->dir, NULL, 0);
	struct mm_err err;

	assert_int_equal(
	    decide1(f, l, "Other", "firing", "2025-10-11T10:00:00Z", "old", T0, 0, NULL),
	    DECISION_IGNORED);
	assert_int_equal(
	    decide1(f, l, "Other", "firing", "2025-10-11T10:00:00Z", "new", T0 + 7200, 0, NULL),
	    DECISION_IGNORED);
	assert_int_equal(decisions_compact(l, T0 + 7300, 3600, &err), 0);
	assert_int_equal(decisions_entries(l), 1);
	assert_int_equal(
	    decide1(f, l, "Other", "firing", "2025-10-11T10:00:00Z", "new", T0 + 7400, 0, NULL),
	    DECISION_DUPLICATE);
	decisions_close(l, T0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_hard_alert_rolls_back_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_one_rollback_at_a_time_then_cooldown, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_soft_notifies_unknown_is_ignored, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resolved_is_recorded_and_never_undoes, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_dry_run_creates_no_job_and_writes_nothing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_dry_run_reads_but_never_writes_existing_state,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crash_restart_neither_repeats_nor_forgets, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_journal_lines_and_snapshot_carry_checksums, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_journal_cut_inside_the_first_record_is_refused_then_accepted, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_flipped_byte_in_a_journal_value_is_a_loss_the_rest_is_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deleted_or_damaged_snapshot_is_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_journal_from_an_older_mmops_without_checksums_is_read, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_second_watcher_on_the_same_dir_is_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_audit_log_has_a_line_per_decision_and_result,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_decisions_are_all_durable, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_write_failure_fails_closed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_failure_recovers_without_a_restart, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_pending_notifications_are_bounded_and_shed, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_old_alerts_are_forgotten_after_retention, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
