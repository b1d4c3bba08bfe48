/* fuzz_yaml.c - the YAML tree builder on arbitrary input: no crash, no leak,
 * and every error carries a position or a message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "yaml.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mm_err err;
	struct ydoc *d = yaml_loadb((const char *)data, size, "fuzz.yaml", &err);
	static const char *const keys[] = {"name", "gates", NULL};

	if (!d) {
		if (!err.msg[0])
			abort();
		return 0;
	}
	if (d->root && d->root->kind == YNODE_MAP)
		(void)ynode_check_keys(d->root, keys, &err);
	ydoc_free(d);
	return 0;
}
