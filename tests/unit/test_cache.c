/*
 * test_cache.c - the parse cache: store and reload, versioning, damage,
 * and the facts codec it stores.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cache.h"
#include "pyimports.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/impact-test-cache-XXXXXX";
static char path[128];

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/cache.sqlite", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	impact_cache_remove(path);
	rmdir(dir);
	return 0;
}

static git_oid oid_of(int n)
{
	git_oid o;
	memset(&o, 0, sizeof(o));
	o.id[0] = (unsigned char)n;
	o.id[19] = 0x5a;
	return o;
}

static void cache__put_get_version(void **state)
{
	impact_cache *c = NULL;
	impact_buf b = IMPACT_BUF_INIT;
	git_oid a = oid_of(1), z = oid_of(2);
	char *warn = NULL;
	(void)state;

	impact_cache_remove(path);
	assert_int_equal(impact_cache_open(&c, path, 7, &warn), 0);
	assert_null(warn);
	assert_int_equal(impact_cache_get(c, &a, &b), IMPACT_ENOTFOUND);
	assert_int_equal(impact_cache_begin(c), 0);
	assert_int_equal(impact_cache_put(c, &a, "hello", 5), 0);
	assert_int_equal(impact_cache_commit(c), 0);
	assert_int_equal(impact_cache_get(c, &a, &b), 0);
	assert_int_equal(b.size, 5);
	assert_memory_equal(b.ptr, "hello", 5);
	assert_int_equal(impact_cache_get(c, &z, &b), IMPACT_ENOTFOUND);
	impact_cache_close(c);

	/* Same version: still there. */
	impact_buf_clear(&b);
	assert_int_equal(impact_cache_open(&c, path, 7, NULL), 0);
	assert_int_equal(impact_cache_get(c, &a, &b), 0);
	impact_cache_stats st;
	assert_int_equal(impact_cache_stats_get(c, &st), 0);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.version, 7);
	impact_cache_close(c);

	/* Another version: emptied. */
	assert_int_equal(impact_cache_open(&c, path, 8, NULL), 0);
	assert_int_equal(impact_cache_get(c, &a, &b), IMPACT_ENOTFOUND);
	impact_cache_close(c);
	impact_buf_release(&b);
}

static void cache__damaged_file_rebuilt(void **state)
{
	impact_cache *c = NULL;
	char *warn = NULL;
	FILE *f;
	(void)state;

	impact_cache_remove(path);
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 4096; i++)
		fputc(i * 7, f);
	fclose(f);
	assert_int_equal(impact_cache_open(&c, path, 1, &warn), 0);
	assert_non_null(warn);
	assert_non_null(strstr(warn, "damaged"));
	free(warn);
	impact_cache_close(c);
	/* Rebuilt: opens clean now. */
	assert_int_equal(impact_cache_open(&c, path, 1, &warn), 0);
	assert_null(warn);
	impact_cache_close(c);
}

static void cache__unwritable_is_an_error(void **state)
{
	impact_cache *c = NULL;
	(void)state;
	assert_true(impact_cache_open(&c, "/nonexistent-dir/x/cache.sqlite", 1, NULL) < 0);
	assert_null(c);
	/* NULL cache: every call is a miss, nothing crashes. */
	impact_buf b = IMPACT_BUF_INIT;
	git_oid a = oid_of(3);
	assert_int_equal(impact_cache_get(NULL, &a, &b), IMPACT_ENOTFOUND);
	impact_cache_close(NULL);
}

static const char source[] =
	"import os\n"
	"from . import sibling as s\n"
	"def f():\n    import pkg.lazy\n"
	"pytest_plugins = ['a.b']\n"
	"x = importlib.import_module('..rel', __package__)\n";

static void codec__roundtrip_and_damage(void **state)
{
	impact_pyparser *p = impact_pyparser_new();
	impact_pyfacts *f = NULL, *g = NULL;
	impact_buf enc = IMPACT_BUF_INIT;
	(void)state;

	assert_non_null(p);
	assert_int_equal(impact_pyfacts_extract(&f, p, source, sizeof(source) - 1), 0);
	assert_true(f->nimports >= 4);
	assert_int_equal(impact_pyfacts_encode(&enc, f), 0);
	assert_int_equal(impact_pyfacts_decode(&g, enc.ptr, enc.size), 0);
	assert_int_equal(g->nimports, f->nimports);
	assert_int_equal(g->flags, f->flags);
	for (size_t i = 0; i < f->nimports; i++) {
		assert_string_equal(g->imports[i].module, f->imports[i].module);
		assert_int_equal(g->imports[i].line, f->imports[i].line);
		assert_int_equal(g->imports[i].level, f->imports[i].level);
		assert_int_equal(g->imports[i].kind, f->imports[i].kind);
		assert_int_equal(g->imports[i].flags, f->imports[i].flags);
		if (f->imports[i].name)
			assert_string_equal(g->imports[i].name, f->imports[i].name);
		else
			assert_null(g->imports[i].name);
		if (f->imports[i].asname)
			assert_string_equal(g->imports[i].asname, f->imports[i].asname);
		else
			assert_null(g->imports[i].asname);
	}
	impact_pyfacts_free(g);
	g = NULL;

	/* Every single-byte corruption and every truncation is refused, never a crash. */
	for (size_t i = 0; i < enc.size; i++) {
		enc.ptr[i] ^= 0x41;
		assert_int_not_equal(impact_pyfacts_decode(&g, enc.ptr, enc.size), 0);
		assert_null(g);
		enc.ptr[i] ^= 0x41;
	}
	for (size_t n = 0; n < enc.size; n++)
		assert_int_not_equal(impact_pyfacts_decode(&g, enc.ptr, n), 0);

	/*
	 * With the checksum made right (as fuzz_pyfacts.c does): sealing the
	 * record rewrites the checksum encode wrote, and damage past it is
	 * decoded or refused, never a crash.
	 */
	{
		unsigned char sum[4];
		memcpy(sum, enc.ptr + enc.size - 4, 4);
		impact_pyfacts_seal(enc.ptr, enc.size);
		assert_memory_equal(sum, enc.ptr + enc.size - 4, 4);
	}
	for (size_t i = 4; i + 4 < enc.size; i++) {
		enc.ptr[i] ^= 0xff;
		impact_pyfacts_seal(enc.ptr, enc.size);
		if (impact_pyfacts_decode(&g, enc.ptr, enc.size) == 0)
			impact_pyfacts_free(g);
		g = NULL;
		if (impact_pyfacts_decode_slim(&g, enc.ptr, enc.size) == 0)
			impact_pyfacts_free(g);
		g = NULL;
		enc.ptr[i] ^= 0xff;
	}
	impact_buf_release(&enc);
	impact_pyfacts_free(f);
	impact_pyparser_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cache__put_get_version),
		cmocka_unit_test(cache__damaged_file_rebuilt),
		cmocka_unit_test(cache__unwritable_is_an_error),
		cmocka_unit_test(codec__roundtrip_and_damage),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
