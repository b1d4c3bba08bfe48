/*
 * replay.c - a main() for libFuzzer targets built without libFuzzer: feeds
 * every file named on the command line (directories are walked one level)
 * to LLVMFuzzerTestOneInput, so `make check` replays each corpus with the
 * normal compiler and the sanitizer build.  Prints "replay: N inputs".
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
	struct buf b = BUF_INIT((size_t)64 << 20);
	struct mm_err err;
	uint8_t *copy;

	if (buf_read_file(&b, path, &err) < 0) {
		fprintf(stderr, "replay: %s\n", err.msg);
		buf_release(&b);
		return -1;
	}
	/* An exact-size copy, so reads past the input are caught by ASan. */
	copy = malloc(b.len ? b.len : 1);
	if (!copy)
		abort();
	if (b.len)
		memcpy(copy, b.data, b.len);
	LLVMFuzzerTestOneInput(copy, b.len);
	free(copy);
	buf_release(&b);
	return 0;
}

int
main(int argc, char **argv)
{
	int i, n = 0, bad = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0) {
			perror(argv[i]);
			bad++;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *de;

			while (d && (de = readdir(d))) {
				char path[4096];

				if (de->d_name[0] == '.')
					continue;
				snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
				if (run_file(path) < 0)
					bad++;
				else
					n++;
			}
			if (d)
				closedir(d);
		} else if (run_file(argv[i]) < 0) {
			bad++;
		} else {
			n++;
		}
	}
	printf("replay: %d inputs\n", n);
	return bad ? 1 : 0;
}
