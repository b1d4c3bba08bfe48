/* test_yaml.c - the positioned YAML tree and its typed getters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "yaml.h"

static struct ydoc *
load(const char *s, struct mm_err *err)
{
	return yaml_loadb(s, strlen(s), "g.yaml", err);
}

static void
test_yaml_tree_keeps_positions(void **state)
{
	struct mm_err err;
	struct ydoc *d = load("gates:\n  - name: latency_p95\n    threshold: 150\n", &err);
	const struct ynode *gates, *g, *t;
	double v;

	(void)state;
	assert_non_null(d);
	gates = ynode_get(d->root, "gates");
	assert_non_null(gates);
	assert_int_equal(gates->kind, YNODE_SEQ);
	assert_int_equal(gates->n, 1);
	g = gates->items[0];
	t = ynode_get(g, "threshold");
	assert_int_equal(t->line, 3);
	assert_int_equal(t->col, 16);
	assert_int_equal(ynode_double(t, &v, &err), 0);
	assert_true(v == 150);
	ydoc_free(d);
}

static void
test_yaml_unknown_key_is_positioned(void **state)
{
	static const char *const allowed[] = {"name", "threshold", NULL};
	struct mm_err err;
	struct ydoc *d = load("name: x\nthreshhold: 3\n", &err);

	(void)state;
	assert_int_equal(ynode_check_keys(d->root, allowed, &err), -1);
	assert_string_equal(err.file, "g.yaml");
	assert_int_equal(err.line, 2);
	assert_int_equal(err.col, 1);
	assert_non_null(strstr(err.msg, "unknown key 'threshhold'"));
	assert_non_null(strstr(err.msg, "name, threshold"));
	ydoc_free(d);
}

static void
test_yaml_refuses_duplicates_aliases_and_syntax_errors(void **state)
{
	struct mm_err err;

	(void)state;
	assert_null(load("a: 1\nb: 2\na: 3\n", &err));
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.msg, "duplicate key 'a'"));
	assert_null(load("a: &x 1\nb: *x\n", &err));
	assert_non_null(strstr(err.msg, "not supported"));
	assert_null(load("a: [1, 2\n", &err));
	assert_int_equal(err.code, MM_E_PARSE);
	assert_true(err.line >= 1);
	assert_null(load("a: 1\n---\nb: 2\n", &err));
	assert_null(load("a: !custom 1\n", &err));
}

static void
test_yaml_typed_getters(void **state)
{
	struct mm_err err;
	struct ydoc *d =
	    load("n: 12\nq: \"12\"\nb: true\nd: 15m\nz: ~\nbig: 99\nf: 1.5e2\nx: abc\n", &err);
	const char *s;
	double v;
	long l;
	int b;

	(void)state;
	assert_non_null(d);
	assert_int_equal(ynode_long(ynode_get(d->root, "n"), 0, 100, &l, &err), 0);
	assert_int_equal(l, 12);
	assert_int_equal(ynode_long(ynode_get(d->root, "big"), 0, 10, &l, &err), -1);
	assert_non_null(strstr(err.msg, "out of range"));
	assert_int_equal(ynode_double(ynode_get(d->root, "q"), &v, &err), -1);
	assert_int_equal(ynode_str(ynode_get(d->root, "q"), &s, &err), 0);
	assert_string_equal(s, "12");
	assert_int_equal(ynode_bool(ynode_get(d->root, "b"), &b, &err), 0);
	assert_int_equal(b, 1);
	assert_int_equal(ynode_bool(ynode_get(d->root, "x"), &b, &err), -1);
	assert_int_equal(ynode_duration(ynode_get(d->root, "d"), &v, &err), 0);
	assert_true(v == 900);
	assert_int_equal(ynode_double(ynode_get(d->root, "f"), &v, &err), 0);
	assert_true(v == 150);
	assert_true(ynode_is_null(ynode_get(d->root, "z")));
	assert_false(ynode_is_null(ynode_get(d->root, "q")));
	assert_int_equal(ynode_double(ynode_get(d->root, "x"), &v, &err), -1);
	assert_int_equal(err.line, 8);
	assert_int_equal(ynode_str(d->root, &s, &err), -1);
	assert_non_null(strstr(err.msg, "found a mapping"));
	ydoc_free(d);
}

static void
test_yaml_empty_document(void **state)
{
	struct mm_err err;
	struct ydoc *d = load("", &err);

	(void)state;
	assert_non_null(d);
	assert_null(d->root);
	ydoc_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_yaml_tree_keeps_positions),
	    cmocka_unit_test(test_yaml_unknown_key_is_positioned),
	    cmocka_unit_test(test_yaml_refuses_duplicates_aliases_and_syntax_errors),
	    cmocka_unit_test(test_yaml_typed_getters),
	    cmocka_unit_test(test_yaml_empty_document),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
