/*
 * decisions.h - the watcher's memory: which alert (fingerprint, startsAt) was
 * decided how, the last rollback and its cooldown, and the jobs (rollbacks,
 * notifications) decided but not yet finished.  It is what makes the
 * watcher idempotent across Alertmanager retries, duplicate deliveries from
 * an Alertmanager cluster and its own restarts.
 *
 * On disk (state_dir): state.json, a snapshot written atomically, and
 * journal.jsonl, one JSON line per decision and per finished job, appended
 * and fdatasync'ed.  Each carries a CRC-32C of its content: a journal line is
 * {"crc":"<8 hex>","r":RECORD} and the snapshot {"crc":"<8 hex>","state":STATE},
 * the checksum taken over the bytes of RECORD or STATE as written (both stay
 * plain JSON for jq).  Opening loads the snapshot, replays the journal, writes
 * a fresh snapshot and empties the journal.  Whatever cannot be read back
 * intact -- a journal line that fails its checksum, a journal that ends inside
 * a record, a snapshot that fails its checksum or is missing while the
 * journal exists -- is a loss: the good records are kept, each loss is named
 * (file, line, bytes), and opening fails (MM_E_PARSE) unless accept_loss says
 * to continue with the shorter history.  The directory itself is flock'ed on
 * a descriptor held for the ledger's life, so deleting the "lock" file (which
 * only holds the pid, for people) lets no second watcher in.
 *
 * Durability uses group commit: decisions_decide() writes the records of a
 * request (journal and audit log) under the state lock and returns a
 * sequence number; decisions_commit() waits until one fdatasync pass has covered
 * it, and whichever caller arrives first does the fdatasync for everyone
 * waiting.  A duplicate only waits for the record of the decision it
 * repeats.  After a write or fdatasync failure (a full disk) the ledger is
 * "failed": the journal and audit log are cut back to their last whole
 * record, and calls return MM_E_WRITE (the watcher answers 500, Alertmanager
 * retries, /health says 503) until a recovery succeeds.  decisions_recover(),
 * tried by the next call after DECISIONS_RETRY_INTERVAL and by the watcher every
 * second, rebuilds the memory from what is really on disk (so a decision
 * answered 500 is decided again, never half-remembered), re-applies the job
 * completions that could not be written, and writes a snapshot: when that
 * works the ledger is healthy again without a restart.  Without a state dir
 * (or read-only) only the audit log can fail; the memory is then kept as it
 * is, so a decision answered 500 meanwhile counts as made.
 *
 * All functions are thread-safe.
 */
#ifndef MM_LEDGER_H
#define MM_LEDGER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "err.h"
#include "policy.h"

#define DECISIONS_MAX_ENTRIES	200000 /* remembered alerts before the oldest are forgotten */
#define DECISIONS_COMPACT_LINES 20000  /* journal lines that trigger a compaction */
#define DECISIONS_RECENT	50     /* decisions kept for /status */
#define DECISIONS_STATE_FORMAT	2      /* 2: checksummed snapshot and journal lines */
#define DECISIONS_MAX_PENDING_NOTIFY                                                               \
	1024			      /* unfinished notifications kept; past it new ones are shed */
#define DECISIONS_RETRY_INTERVAL 0.25 /* seconds between recovery attempts after a failure */

struct decisions_opts {
	const char *state_dir; /* NULL: memory only (nothing survives a restart) */
	int read_only;	       /* load state_dir when it exists, never write or lock it (dry-run) */
	const char *audit_path; /* NULL: no audit log */
	size_t max_entries;	/* 0 = DECISIONS_MAX_ENTRIES */
	int accept_loss; /* open even when records were lost (they are logged and in /status) */
	size_t max_pending_notify; /* 0 = DECISIONS_MAX_PENDING_NOTIFY */
};

/* A rollback or notification to run, decided and durable. */
struct decisions_job {
	long id;
	enum decision_kind kind; /* DECISION_ROLLBACK or DECISION_NOTIFY */
	long rollback_id;	 /* 0 for a notification */
	enum hardness gate;
	struct alert alert;
	char *receiver, *external_url, *group_key;
	double decided_at;
	int resumed; /* 1: found unfinished at start-up */
};
void decisions_job_free(struct decisions_job *j);

/* The decision for one alert. */
struct decisions_verdict {
	enum decision_kind kind;
	enum hardness gate;
	char reason[320];
	long rollback_id;	   /* rollback: its id; cooldown: the rollback that blocks */
	int shed;		   /* notify without a job: too many notifications pending */
	struct decisions_job *job; /* owned by the caller: run it after decisions_commit() */
};

struct decisions;

/*
 * Open (creating state_dir unless read_only) and load.  now is used for the
 * snapshot's time.  NULL and err: MM_E_WRITE (cannot create or write),
 * MM_E_IO (cannot read), MM_E_RUNTIME (locked: "state dir 'D' is in use by
 * another mmops watch"), MM_E_PARSE (records
 * lost, each named, and accept_loss not set; or a state file of another
 * format).
 */
struct decisions *decisions_open(const struct decisions_opts *o, double now, struct mm_err *err);
/* Write a final snapshot (unless read-only or failed) and free.  Accepts NULL. */
void decisions_close(struct decisions *l, double now);

/*
 * Decide every alert of p at time now with policy pol (hard/soft classes,
 * cooldown).  dry_run: decide and remember in memory, but create no jobs;
 * a dry-run rollback counts as finished at once (so cooldown still shows).
 * Fills out[0..p->nalerts) and *seq for decisions_commit().  -1 and err
 * (MM_E_WRITE) when the ledger has failed or a record cannot be written.
 */
int decisions_decide(struct decisions *l, const struct policy *pol, const struct alert_payload *p,
		     double now, int dry_run, struct decisions_verdict *out, uint64_t *seq,
		     struct mm_err *err);

/* Wait until every record up to seq is on disk (fdatasync).  -1 and err (MM_E_WRITE). */
int decisions_commit(struct decisions *l, uint64_t seq, struct mm_err *err);

/*
 * Job j finished with results (a JSON array of action results, borrowed):
 * recorded in the journal and the audit log and synced; a rollback stops
 * being "in progress" and becomes the last rollback's outcome.
 */
int decisions_job_done(struct decisions *l, const struct decisions_job *j, const json_t *results,
		       double now, struct mm_err *err);

/* Append one audit record (borrowed; "ts" is added) and, when sync, fdatasync it. */
int decisions_audit(struct decisions *l, const json_t *rec, double now, int sync,
		    struct mm_err *err);

/*
 * The jobs found unfinished when the ledger was opened (their decision is
 * on disk, their completion is not).  The caller owns the returned array and
 * the jobs; later calls return 0.
 */
size_t decisions_take_pending(struct decisions *l, struct decisions_job ***jobs);

/*
 * Status for GET /status (new reference): last_rollback, cooldown_remaining_seconds,
 * rollback_in_progress, pending_jobs, remembered_alerts, recent_decisions.
 */
json_t *decisions_status(struct decisions *l, const struct policy *pol, double now);

/* Seconds of cooldown left at now (0 when none); *in_progress set when a rollback runs. */
double decisions_cooldown_remaining(struct decisions *l, const struct policy *pol, double now,
				    int *in_progress);

/* 1 when the journal is long or the table full enough for decisions_compact(). */
int decisions_needs_compact(struct decisions *l);

/*
 * Forget alerts not seen for retention seconds (and the oldest past
 * max_entries), write a snapshot and empty the journal.  No-op when
 * read-only or memory-only.
 */
int decisions_compact(struct decisions *l, double now, double retention, struct mm_err *err);

/*
 * Reopen the audit log by its path (after logrotate moved it): the old file
 * is synced and closed, later records go to a new file at the path.
 */
int decisions_reopen_audit(struct decisions *l, struct mm_err *err);

/*
 * When the ledger has failed, try to recover (see above); 0 when it is
 * healthy (again), -1 and err (MM_E_WRITE, the reason) while it is not.
 * Attempts closer than DECISIONS_RETRY_INTERVAL apart return -1 at once.
 */
int decisions_recover(struct decisions *l, struct mm_err *err);

/*
 * 1 when decisions can be made durable; 0 when failed, with the reason and
 * since when (wall-clock seconds) in *why / *since (why: a buffer of n bytes).
 */
int decisions_healthy(struct decisions *l, char *why, size_t n, double *since);

/* For tests: make every later journal/audit/snapshot write fail with errnum (0 stops). */
void decisions_inject_write_error(struct decisions *l, int errnum);

/* Remembered alerts (for tests and metrics). */
size_t decisions_entries(struct decisions *l);

#endif
