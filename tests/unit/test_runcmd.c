/*
 * test_runcmd.c - argv commands without a shell: output capture and its
 * cap, exit status, the minimal environment, no inherited descriptors, the
 * own process group, stdin from /dev/null, reset signal dispositions, the
 * timeout's SIGTERM then SIGKILL, and leftovers of the group being killed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runcmd.h"

static int
run(const char *const *argv, double timeout, double grace, size_t cap, struct runcmd_result *r,
    struct mm_err *err)
{
	struct runcmd c;

	memset(&c, 0, sizeof(c));
	c.argv = argv;
	c.timeout = timeout;
	c.grace = grace;
	c.output_cap = cap;
	return runcmd_run(&c, r, err);
}

static void
test_captures_stdout_stderr_and_exit_code(void **state)
{
	const char *argv[] = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3", NULL};
	struct runcmd_result r;
	struct mm_err err;
	char how[64];

	(void)state;
	runcmd_result_init(&r);
	assert_int_equal(run(argv, 5, 0, 0, &r, &err), 0);
	assert_true(r.exited);
	assert_int_equal(r.exit_code, 3);
	assert_false(runcmd_ok(&r));
	assert_string_equal(r.out.data, "out\n");
	assert_string_equal(r.err.data, "err\n");
	assert_string_equal(runcmd_describe(&r, how, sizeof(how)), "exit 3");
	runcmd_result_release(&r);
}

static void
test_bare_name_is_found_in_the_minimal_path(void **state)
{
	const char *argv[] = {"true", NULL};
	struct runcmd_result r;
	struct mm_err err;

	(void)state;
	runcmd_result_init(&r);
	assert_int_equal(run(argv, 5, 0, 0, &r, &err), 0);
	assert_true(runcmd_ok(&r));
	runcmd_result_release(&r);
}

static void
test_missing_program_is_an_error(void **state)
{
	const char *argv[] = {"/nonexistent/prog", NULL};
	const char *argv2[] = {"no-such-program-mmops", NULL};
	const char *empty[] = {NULL};
	struct runcmd_result r;
	struct mm_err err;

	(void)state;
	runcmd_result_init(&r);
	assert_int_equal(run(argv, 5, 0, 0, &r, &err), -1);
	assert_non_null(strstr(err.msg, "cannot run '/nonexistent/prog'"));
	assert_int_equal(run(argv2, 5, 0, 0, &r, &err), -1);
	assert_non_null(strstr(err.msg, "not found in /usr/bin:/bin"));
	assert_int_equal(run(empty, 5, 0, 0, &r, &err), -1);
	assert_int_equal(err.code, MM_E_USAGE);
	runcmd_result_release(&r);
}

static void
test_environment_is_minimal(void **state)
{
	const char *argv[] = {"/usr/bin/env", NULL};
	const char *env[] = {"MMOPS_X=1", NULL};
	struct runcmd c;
	struct runcmd_result r;
	struct mm_err err;

	(void)state;
	setenv("MMOPS_SECRET_IN_PARENT", "leak", 1);
	memset(&c, 0, sizeof(c));
	c.argv = argv;
	c.env = env;
	runcmd_result_init(&r);
	assert_int_equal(runcmd_run(&c, &r, &err), 0);
	assert_string_equal(r.out.data, "PATH=/usr/bin:/bin\nLANG=C\nMMOPS_X=1\n");
	runcmd_result_release(&r);
	unsetenv("MMOPS_SECRET_IN_PARENT");
}

static void
test_bad_env_entry_is_refused(void **state)
{
	const char *argv[] = {"/bin/true", NULL};
	const char *env[] = {"NOEQUALS", NULL};
	struct runcmd c;
	struct runcmd_result r;
	struct mm_err err;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.argv = argv;
	c.env = env;
	runcmd_result_init(&r);
	assert_int_equal(runcmd_run(&c, &r, &err), -1);
	assert_int_equal(err.code, MM_E_USAGE);
	runcmd_result_release(&r);
}

static void
test_no_descriptor_leaks_into_the_child(void **state)
{
	const char *argv[] = {"/bin/ls", "/proc/self/fd", NULL};
	struct runcmd_result r;
	struct mm_err err;
	int fd = open("/dev/null", O_RDONLY); /* deliberately without O_CLOEXEC */

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, 57), 57);
	runcmd_result_init(&r);
	assert_int_equal(run(argv, 5, 0, 0, &r, &err), 0);
	assert_true(runcmd_ok(&r));
	/* 0-2 and the directory ls itself opened, nothing of ours */
	assert_null(strstr(r.out.data, "57"));
	assert_non_null(strstr(r.out.data, "0\n1\n2\n"));
	runcmd_result_release(&r);
	close(57);
	close(fd);
}

static void
test_child_leads_its_own_process_group(void **state)
{
	/* field 5 of /proc/PID/stat is the process group */
	const char *argv[] = {"/bin/sh", "-c", "echo $$; cut -d' ' -f5 /proc/$$/stat", NULL};
	struct runcmd_result r;
	struct mm_err err;
	long pid, pgrp;

	(void)state;
	runcmd_result_init(&r);
	assert_int_equal(run(argv, 5, 0, 0, &r, &err), 0);
	assert_int_equal(sscanf(r.out.data, "%ld %ld", &pid, &pgrp), 2);
	assert_int_equal(pid, pgrp);
	assert_int_not_equal(pgrp, (long)getpgrp());
	runcmd_result_release(&r);
}

static void
test_stdin_is_dev_null(void **state)
{
	const char *argv[] = {"/bin/cat", NULL};
	struct runcmd_result r;
	struct mm_err err;

	(void)state;
	runcmd_result_init(&r);
	assert_int_equal(run(argv, 5, 0, 0, &r, &err), 0);
	assert_true(runcmd_ok(&r));
	assert_int_equal(r.out.len, 0);
	runcmd_result_release(&r);
}

static void
test_ignored_signals_are_reset(void **state)
{
	const char *argv[] = {"/bin/grep", "SigIgn", "/proc/self/status", NULL};
	struct runcmd_result r;
	struct mm_err err;
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	void (*oldterm)(int) = signal(SIGTERM, SIG_IGN);
	unsigned long long mask;

	(void)state;
	runcmd_result_init(&r);

	assert_int_equal(run(argv, 5, 0, 0, &r, &err), 0);
	assert_int_equal(sscanf(r.out.data, "SigIgn: %llx", &mask), 1);
	/* SIGPIPE, SIGINT, SIGTERM (bits sig-1) are back to their defaults */
	assert_int_equal(mask & (1ULL << (SIGPIPE - 1)), 0);
	assert_int_equal(mask & (1ULL << (SIGINT - 1)), 0);
	assert_int_equal(mask & (1ULL << (SIGTERM - 1)), 0);
	runcmd_result_release(&r);
	signal(SIGPIPE, old);
	signal(SIGTERM, oldterm);
}

static void
test_output_past_the_cap_is_dropped_without_blocking(void **state)
{
	const char *argv[] = {"/bin/sh", "-c", "head -c 300000 /dev/zero; echo done >&2", NULL};
	struct runcmd_result r;
	struct mm_err err;

	(void)state;
	runcmd_result_init(&r);
	assert_int_equal(run(argv, 10, 0, 1000, &r, &err), 0);
	assert_true(runcmd_ok(&r));
	assert_int_equal(r.out.len, 1000);
	assert_true(r.out_truncated);
	assert_false(r.err_truncated);
	assert_string_equal(r.err.data, "done\n");
	runcmd_result_release(&r);
}

static void
test_timeout_sends_sigterm(void **state)
{
	const char *argv[] = {"/bin/sleep", "30", NULL};
	struct runcmd_result r;
	struct mm_err err;

	(void)state;
	runcmd_result_init(&r);
	assert_int_equal(run(argv, 0.2, 5, 0, &r, &err), 0);
	assert_true(r.timed_out);
	assert_true(r.signaled);
	assert_int_equal(r.term_signal, SIGTERM);
	assert_false(runcmd_ok(&r));
	runcmd_result_release(&r);
}

static void
test_sigterm_ignored_gets_sigkill_after_grace(void **state)
{
	/* the ignored SIGTERM is inherited by sleep across exec */
	const char *argv[] = {"/bin/sh", "-c", "trap '' TERM; /bin/sleep 30; /bin/sleep 30", NULL};
	struct runcmd_result r;
	struct mm_err err;
	char how[64];

	(void)state;
	runcmd_result_init(&r);
	assert_int_equal(run(argv, 0.2, 0.2, 0, &r, &err), 0);
	assert_true(r.timed_out);
	assert_true(r.signaled);
	assert_int_equal(r.term_signal, SIGKILL);
	assert_non_null(strstr(runcmd_describe(&r, how, sizeof(how)), "(killed)"));
	runcmd_result_release(&r);
}

static void
test_leftover_of_the_group_is_killed(void **state)
{
	/* the background sleep keeps stdout open after the shell exits */
	const char *argv[] = {"/bin/sh", "-c", "/bin/sleep 30 & echo started", NULL};
	struct runcmd_result r;
	struct mm_err err;

	(void)state;
	runcmd_result_init(&r);
	assert_int_equal(run(argv, 20, 0, 0, &r, &err), 0);
	assert_true(runcmd_ok(&r));
	assert_false(r.timed_out);
	/* not timed out: the caller was not held until the 20 s timeout by the leftover */
	assert_string_equal(r.out.data, "started\n");
	runcmd_result_release(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_captures_stdout_stderr_and_exit_code),
	    cmocka_unit_test(test_bare_name_is_found_in_the_minimal_path),
	    cmocka_unit_test(test_missing_program_is_an_error),
	    cmocka_unit_test(test_environment_is_minimal),
	    cmocka_unit_test(test_bad_env_entry_is_refused),
	    cmocka_unit_test(test_no_descriptor_leaks_into_the_child),
	    cmocka_unit_test(test_child_leads_its_own_process_group),
	    cmocka_unit_test(test_stdin_is_dev_null),
	    cmocka_unit_test(test_ignored_signals_are_reset),
	    cmocka_unit_test(test_output_past_the_cap_is_dropped_without_blocking),
	    cmocka_unit_test(test_timeout_sends_sigterm),
	    cmocka_unit_test(test_sigterm_ignored_gets_sigkill_after_grace),
	    cmocka_unit_test(test_leftover_of_the_group_is_killed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
