/* test_atomicfile.c - atomic replacement, parent creation, no temp left behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "atomicfile.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mmops-test-atomicfile.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char *argv[] = {"rm", "-rf", dir, NULL};

	(void)state;
	if (fork() == 0) {
		execvp("rm", argv);
		_exit(127);
	}
	while (wait(NULL) > 0)
		;
	return 0;
}

static int has_temp(const char *d);

static void
test_fsx_write_atomic_follows_symlinks(void **state)
{
	char target[320], link[320], dangling[320], made[320];
	struct buf b = BUF_INIT(1024);
	struct mm_err err;
	struct stat st;

	(void)state;
	snprintf(target, sizeof(target), "%s/target.json", dir);
	snprintf(link, sizeof(link), "%s/link.json", dir);
	assert_int_equal(atomicfile_write_atomic(target, "old", 3, &err), 0);
	assert_int_equal(symlink("target.json", link), 0);
	assert_int_equal(atomicfile_write_atomic(link, "new", 3, &err), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(buf_read_file(&b, target, &err), 0);
	assert_string_equal(b.data, "new");
	/* A link to a file that does not exist yet creates that file. */
	snprintf(dangling, sizeof(dangling), "%s/dangling", dir);
	snprintf(made, sizeof(made), "%s/made-by-link", dir);
	assert_int_equal(symlink("made-by-link", dangling), 0);
	assert_int_equal(atomicfile_write_atomic(dangling, "x", 1, &err), 0);
	assert_int_equal(lstat(dangling, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(stat(made, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	buf_release(&b);
}

static void
test_fsx_write_atomic_writes_through_a_fifo(void **state)
{
	char fifo[320], got[16] = {0};
	struct mm_err err;
	struct stat st;
	int rfd;

	(void)state;
	/* A FIFO stands in for /dev/stdout or /dev/null: it must not be replaced. */
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	rfd = open(fifo, O_RDONLY | O_NONBLOCK);
	assert_true(rfd >= 0);
	assert_int_equal(atomicfile_write_atomic(fifo, "piped", 5, &err), 0);
	assert_int_equal(read(rfd, got, sizeof(got) - 1), 5);
	assert_string_equal(got, "piped");
	close(rfd);
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_false(has_temp(dir));
}

static size_t
count_entries(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *de;
	size_t n = 0;

	while (dp && (de = readdir(dp)))
		if (de->d_name[0] != '.')
			n++;
	if (dp)
		closedir(dp);
	return n;
}

static void
test_fsx_write_atomic_creates_parents_and_replaces(void **state)
{
	char path[320], sub[256];
	struct buf b = BUF_INIT(1024);
	struct mm_err err;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	snprintf(path, sizeof(path), "%s/report.json", sub);
	assert_int_equal(atomicfile_write_atomic(path, "one\n", 4, &err), 0);
	assert_int_equal(buf_read_file(&b, path, &err), 0);
	assert_string_equal(b.data, "one\n");
	buf_reset(&b);
	assert_int_equal(atomicfile_write_atomic(path, "two", 3, &err), 0);
	assert_int_equal(buf_read_file(&b, path, &err), 0);
	assert_string_equal(b.data, "two");
	assert_int_equal(count_entries(sub), 1);
	buf_release(&b);
}

static void
test_fsx_write_atomic_keeps_mode_of_existing_file(void **state)
{
	char path[256];
	struct mm_err err;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/mode", dir);
	assert_int_equal(atomicfile_write_atomic(path, "x", 1, &err), 0);
	chmod(path, 0600);
	assert_int_equal(atomicfile_write_atomic(path, "y", 1, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void
test_fsx_write_atomic_fails_cleanly(void **state)
{
	char path[320], blocker[256];
	struct mm_err err;

	(void)state;
	/* A parent that is a file: nothing is written and the error says why. */
	snprintf(blocker, sizeof(blocker), "%s/file", dir);
	assert_int_equal(atomicfile_write_atomic(blocker, "x", 1, &err), 0);
	snprintf(path, sizeof(path), "%s/file/sub/out.json", dir);
	assert_int_equal(atomicfile_write_atomic(path, "x", 1, &err), -1);
	assert_int_equal(err.code, MM_E_WRITE);
	assert_non_null(strstr(err.msg, "cannot create directory"));
	assert_int_equal(atomicfile_write_atomic("", "x", 1, &err), -1);
	/* A directory in the way of the target: rename fails, the temp is removed. */
	snprintf(path, sizeof(path), "%s/adir", dir);
	mkdir(path, 0755);
	{
		char inner[400];

		snprintf(inner, sizeof(inner), "%s/x", path);
		assert_int_equal(atomicfile_write_atomic(inner, "x", 1, &err), 0);
	}
	assert_int_equal(atomicfile_write_atomic(path, "x", 1, &err), -1);
	assert_false(has_temp(dir));
}

static void
test_fsx_append_sync_appends(void **state)
{
	char path[256];
	struct buf b = BUF_INIT(1024);
	struct mm_err err;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	assert_true(fd >= 0);
	assert_int_equal(atomicfile_append_sync(fd, "a\n", 2, &err), 0);
	assert_int_equal(atomicfile_append_sync(fd, "b\n", 2, &err), 0);
	close(fd);
	assert_int_equal(buf_read_file(&b, path, &err), 0);
	assert_string_equal(b.data, "a\nb\n");
	buf_release(&b);
}

static int
has_temp(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *de;
	int found = 0;

	while (dp && (de = readdir(dp)))
		if (strstr(de->d_name, ".tmp."))
			found = 1;
	if (dp)
		closedir(dp);
	return found;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fsx_write_atomic_creates_parents_and_replaces),
	    cmocka_unit_test(test_fsx_write_atomic_keeps_mode_of_existing_file),
	    cmocka_unit_test(test_fsx_write_atomic_fails_cleanly),
	    cmocka_unit_test(test_fsx_append_sync_appends),
	    cmocka_unit_test(test_fsx_write_atomic_follows_symlinks),
	    cmocka_unit_test(test_fsx_write_atomic_writes_through_a_fifo),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
