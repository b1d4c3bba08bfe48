/*
 * fuzz_decisions.c - the watcher's state files read back: the input is written
 * as journal.jsonl (first byte even) or state.json (odd) of a fresh state
 * dir, which is opened with and without accept_loss.  No crash, no leak;
 * a refusal is a parse error with a reason; what opens answers /status and
 * writes a snapshot that opens again with no loss.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "decisions.h"
#include "policy.h"

static char dir[64], state_path[96], journal_path[96];

static void
cleanup(void)
{
	char lock[96];

	snprintf(lock, sizeof(lock), "%s/lock", dir);
	unlink(state_path);
	unlink(journal_path);
	unlink(lock);
	rmdir(dir);
}

static struct decisions *
open_dir(int accept)
{
	struct decisions_opts o;
	struct mm_err err;
	struct decisions *l;

	memset(&o, 0, sizeof(o));
	o.state_dir = dir;
	o.accept_loss = accept;
	l = decisions_open(&o, 1760000000.0, &err);
	if (!l && !err.msg[0])
		abort(); /* every refusal says why */
	return l;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct policy *pol;
	struct mm_err err;
	struct decisions *l;
	json_t *st;

	if (!dir[0]) {
		static const char ptext[] = "hard:\n  alertnames: [A]\nactions:\n  - name: s\n"
					    "    http: {url: 'http://127.0.0.1:9/x'}\n";

		snprintf(dir, sizeof(dir), "/tmp/mmops-fuzz-ledger-XXXXXX");
		if (!mkdtemp(dir))
			abort();
		snprintf(state_path, sizeof(state_path), "%s/state.json", dir);
		snprintf(journal_path, sizeof(journal_path), "%s/journal.jsonl", dir);
		pol = policy_loadb(ptext, sizeof(ptext) - 1, "p.yaml", &err);
		if (!pol)
			abort();
		atexit(cleanup);
	}
	unlink(state_path);
	unlink(journal_path);
	if (size && atomicfile_write_atomic(data[0] & 1 ? state_path : journal_path, data + 1,
					    size - 1, &err) < 0)
		abort();
	l = open_dir(0);
	if (!l)
		l = open_dir(1);
	if (!l)
		return 0; /* a state file of another format */
	st = decisions_status(l, pol, 1760000001.0);
	json_decref(st);
	decisions_close(l, 1760000002.0);
	/* what was written back is whole */
	if (!(l = open_dir(0)))
		abort();
	decisions_close(l, 1760000003.0);
	return 0;
}
