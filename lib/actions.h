/*
 * actions.h - run the policy's actions for one decision: HTTP requests
 * (lib/http.h) and argv commands (lib/runcmd.h), in policy order, each with
 * its timeout and retries.
 *
 * An HTTP action succeeds on a 2xx answer; transport errors, 408, 429 and
 * 5xx are retried, other statuses are final.  A command succeeds when it
 * exits 0 within its timeout; any failure is retried.  A failed action does
 * not stop the ones after it (a rollback that cannot scale the strategy
 * down should still open the circuit breaker).  An action whose required
 * variable is empty is "skipped".
 *
 * Results are JSON objects:
 *   {"name":"scale_strategy_to_zero","kind":"http","result":"ok",
 *    "attempts":1,"duration_seconds":0.004,"http_status":200,
 *    "target":"POST http://127.0.0.1:9101/admin/scale"}
 * with "error" on failure, "exit_code" for commands, and "reason" when
 * skipped.  Secrets never appear: targets and plans use the masked text.
 */
#ifndef MM_ACTIONS_H
#define MM_ACTIONS_H

#include <jansson.h>

#include "policy.h"

#define ACTIONS_MAX_RESPONSE  ((size_t)64 << 10) /* response body kept per HTTP action */
#define ACTIONS_ERROR_SNIPPET 200		 /* bytes of a failing body or stderr in "error" */

struct actions_env {
	/* Called after each action with its result (borrowed); may be NULL. */
	void (*on_result)(const struct policy_action *a, const json_t *result, void *arg);
	/* Non-zero: stop before the next action or attempt (shutdown); may be NULL. */
	int (*stopping)(void *arg);
	void *arg;
};

/*
 * What decision k would run for ctx, without running anything: a JSON array
 * (new reference) of {"name","kind","status":<status_word> or "skipped",
 * "method","url","headers","body" | "argv","env", "timeout_seconds",
 * "retries"}, everything rendered with secrets masked.  status_word is
 * "planned" (dry-run) or "queued".
 */
json_t *actions_plan(const struct policy *p, enum decision_kind k, const struct tpl_ctx *ctx,
		     const char *status_word);

/*
 * Run every action of decision k for ctx, in order, and return their
 * results (a JSON array, new reference).  When env->stopping() turns true the
 * run ends early and NULL is returned: the job is unfinished and will be
 * resumed by the next start.
 */
json_t *actions_run(const struct policy *p, enum decision_kind k, const struct tpl_ctx *ctx,
		    const struct actions_env *env);

/* Run one action (all its attempts); result is a new reference. */
json_t *actions_run_one(const struct policy_action *a, const struct tpl_ctx *ctx,
			const struct actions_env *env);

#endif
