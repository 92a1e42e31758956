/*
 * test_refnames.c - the name index kept with a cached graph (refnames.c):
 * the names a module's facts are looked up under, an index built from
 * them, read back in place, patched with a file named again or left
 * out (the bytes a build gives), lists of several files, damaged
 * sizes and lists refused, and a file's names read for one name only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "refnames.h"

static impact_pyfacts *facts_of_src(impact_pyparser *p, const char *src)
{
	impact_pyfacts *f = NULL;
	assert_int_equal(impact_pyfacts_extract(&f, p, src, strlen(src)), 0);
	return f;
}

static bool has(const impact_refnames *v, int kind, const char *name, uint32_t file)
{
	impact_u32vec files = { 0 };
	bool found = false;
	impact_refnames_files(v, kind, name, strlen(name), 16, &files);
	for (size_t i = 0; i < files.n; i++)
		found = found || files.v[i] == file;
	impact_u32vec_release(&files);
	return found;
}

static void build(impact_buf *out, impact_pyfacts *const *f, size_t n, uint32_t unknown)
{
	impact_refnames_builder *b = impact_refnames_builder_new();
	for (size_t i = 0; i < n; i++)
		impact_refnames_builder_add_facts(b, (uint32_t)i, f[i]);
	impact_refnames_builder_add_unknown(b, unknown);
	impact_refnames_builder_encode(b, out);
	impact_refnames_builder_free(b);
}

static void refnames__build_read_copy(void **state)
{
	impact_pyparser *p = impact_pyparser_new();
	impact_pyfacts *f[2];
	impact_buf a = IMPACT_BUF_INIT, b = IMPACT_BUF_INIT, c = IMPACT_BUF_INIT;
	impact_refnames v, w;
	bool keep[3] = { true, false, true };
	(void)state;
	f[0] = facts_of_src(p, "from pkg.core import helper\nfrom pkg import *\n\n\n"
	                       "class Box(Base):\n    def run(self):\n        return pkg.mod.helper(getattr(self, n))\n");
	f[1] = facts_of_src(p, "def other():\n    return x.update()\n");
	build(&a, f, 2, 2);
	assert_int_equal(a.size % 4, 0);
	assert_int_equal(impact_refnames_view(&v, a.ptr, a.size), 0);
	assert_true(has(&v, IMPACT_RN_BIND, "helper", 0));
	assert_true(has(&v, IMPACT_RN_REF, "helper", 0));
	assert_true(has(&v, IMPACT_RN_REF, "mod", 0)); /* each part of a chain */
	assert_true(has(&v, IMPACT_RN_REF, "pkg", 0));
	assert_true(has(&v, IMPACT_RN_STAR, "", 0));
	assert_true(has(&v, IMPACT_RN_GETATTR, "", 0));
	assert_true(has(&v, IMPACT_RN_CLASS, "", 0));
	assert_true(has(&v, IMPACT_RN_DEF, "run", 0)); /* the last part of Box.run */
	assert_true(has(&v, IMPACT_RN_DEF, "other", 1));
	assert_false(has(&v, IMPACT_RN_CLASS, "", 1));
	assert_false(has(&v, IMPACT_RN_REF, "helper", 1));
	assert_false(has(&v, IMPACT_RN_REF, "nothing", 0));
	assert_true(has(&v, IMPACT_RN_UNKNOWN, "", 2));

	/* A patch: file 1 left out of the old index and named again, the same bytes. */
	{
		impact_refnames_builder *pb = impact_refnames_builder_new();
		impact_refnames_builder_add_facts(pb, 1, f[1]);
		impact_refnames_patch(&v, keep, 3, pb, NULL, &b);
		impact_refnames_builder_free(pb);
	}
	assert_int_equal(b.size, a.size);
	assert_memory_equal(b.ptr, a.ptr, a.size);
	/* ... and not named again: its names are gone, file 0's stay. */
	{
		impact_refnames_builder *pb = impact_refnames_builder_new();
		impact_refnames_patch(&v, keep, 3, pb, NULL, &c);
		impact_refnames_builder_free(pb);
	}
	assert_int_equal(impact_refnames_view(&w, c.ptr, c.size), 0);
	assert_false(has(&w, IMPACT_RN_DEF, "other", 1));
	assert_true(has(&w, IMPACT_RN_DEF, "run", 0));
	assert_true(has(&w, IMPACT_RN_UNKNOWN, "", 2));
	/* ... which is what a build of file 0's names and file 2 unknown gives. */
	impact_buf_clear(&b);
	build(&b, f, 1, 2);
	assert_int_equal(b.size, c.size);
	assert_memory_equal(b.ptr, c.ptr, c.size);

	/* Damaged sizes are refused. */
	assert_int_equal(impact_refnames_view(&w, a.ptr, a.size - 4), IMPACT_EINVALID);
	assert_int_equal(impact_refnames_view(&w, a.ptr, 8), IMPACT_EINVALID);
	impact_error_clear();

	impact_buf_release(&a);
	impact_buf_release(&b);
	impact_buf_release(&c);
	impact_pyfacts_free(f[0]);
	impact_pyfacts_free(f[1]);
	impact_pyparser_free(p);
}

/* A list of several files read back whole; damaged list bytes read as none, not as other files. */
static void refnames__lists_and_damage(void **state)
{
	impact_pyparser *p = impact_pyparser_new();
	impact_pyfacts *f[3];
	impact_buf a = IMPACT_BUF_INIT;
	impact_refnames v;
	impact_u32vec files = { 0 };
	unsigned char *bytes;
	(void)state;
	f[0] = facts_of_src(p, "import os\nA = os.sep\n");
	f[1] = facts_of_src(p, "def lone():\n    pass\n");
	f[2] = facts_of_src(p, "import os\nB = os.sep\n");
	build(&a, f, 3, 15);
	assert_int_equal(impact_refnames_view(&v, a.ptr, a.size), 0);
	assert_true(impact_refnames_files(&v, IMPACT_RN_REF, "os", 2, 16, &files));
	assert_int_equal(files.n, 2);
	assert_int_equal(files.v[0], 0);
	assert_int_equal(files.v[1], 2);
	/* Ids at or past nfiles are damage. */
	assert_false(impact_refnames_files(&v, IMPACT_RN_REF, "os", 2, 2, &files));
	assert_int_equal(files.n, 0);
	assert_false(impact_refnames_files(&v, IMPACT_RN_UNKNOWN, "", 0, 15, &files));
	/* Every list byte set to a varint that never ends: no list of several files reads. */
	bytes = (unsigned char *)a.ptr + 8 + (size_t)v.nkeys * 8;
	memset(bytes, 0xff, v.nbytes);
	assert_false(impact_refnames_files(&v, IMPACT_RN_REF, "os", 2, 16, &files));
	assert_int_equal(files.n, 0);
	assert_true(impact_refnames_files(&v, IMPACT_RN_DEF, "lone", 4, 16, &files)); /* one file: no list bytes */
	assert_int_equal(files.v[0], 1);
	impact_u32vec_release(&files);
	impact_buf_release(&a);
	for (size_t i = 0; i < 3; i++)
		impact_pyfacts_free(f[i]);
	impact_pyparser_free(p);
}

/* The calls of impact_refnames_each, one a line: "kind name index". */
static void record(void *ctx, int kind, const char *s, size_t len, uint32_t index)
{
	impact_buf *b = ctx;
	impact_buf_putc(b, (char)kind);
	impact_buf_putc(b, ' ');
	impact_buf_put(b, s, len);
	impact_buf_printf(b, " %u\n", index);
}

/* Only the calls of one name, in order. */
static void keep_lines(impact_buf *out, const impact_buf *all, int kind, const char *name)
{
	impact_buf want = IMPACT_BUF_INIT;
	impact_buf_printf(&want, "%c %s ", kind, name);
	for (const char *s = all->ptr; s && *s;) {
		const char *nl = strchr(s, '\n');
		if (!strncmp(s, want.ptr, want.size) && !memchr(s + want.size, ' ', (size_t)(nl - s) - want.size))
			impact_buf_put(out, s, (size_t)(nl - s + 1));
		s = nl + 1;
	}
	impact_buf_release(&want);
}

/* impact_refnames_each_named makes exactly the calls of impact_refnames_each for its name. */
static void refnames__each_named(void **state)
{
	static const char *const names[] = { "helper", "mod", "pkg", "Base", "x", "update", "n", "sep", "os", "nope",
		                             "a", "b", "c" };
	static const int kinds[] = { IMPACT_RN_REF, IMPACT_RN_BIND, IMPACT_RN_DEF };
	impact_pyparser *p = impact_pyparser_new();
	impact_pyfacts *f;
	impact_buf all = IMPACT_BUF_INIT, want = IMPACT_BUF_INIT, got = IMPACT_BUF_INIT;
	(void)state;
	f = facts_of_src(p, "import os\nfrom pkg.core import helper\nfrom pkg import *\n\n\n"
	                    "class Box(Base, pkg.mod.Base):\n    def run(self, x: helper.Kind):\n"
	                    "        os.sep.update(x.update)\n        return pkg.mod.helper(getattr(self, n))\n\n\n"
	                    "def g():\n    a.b()\n    a.c()\n    c.a(b)\n");
	impact_refnames_each(f, record, &all);
	/* Extracted facts, then the same decoded (texts one after another: one search over them). */
	for (int decoded = 0; decoded < 2; decoded++) {
		if (decoded) {
			impact_buf enc = IMPACT_BUF_INIT;
			impact_pyfacts *d = NULL;
			assert_int_equal(impact_pyfacts_encode(&enc, f), 0);
			assert_int_equal(impact_pyfacts_decode(&d, enc.ptr, enc.size), 0);
			assert_non_null(d->ref_text_end);
			impact_buf_release(&enc);
			impact_pyfacts_free(f);
			f = d;
		} else {
			assert_null(f->ref_text_end);
		}
		for (size_t k = 0; k < IMPACT_ARRAY_SIZE(kinds); k++)
			for (size_t i = 0; i < IMPACT_ARRAY_SIZE(names); i++) {
				impact_buf_clear(&want);
				impact_buf_clear(&got);
				keep_lines(&want, &all, kinds[k], names[i]);
				impact_refnames_each_named(f, kinds[k], names[i], record, &got);
				assert_string_equal(got.ptr ? got.ptr : "", want.ptr ? want.ptr : "");
				assert_true(strcmp(names[i], "helper") || kinds[k] == IMPACT_RN_DEF || got.size);
			}
	}
	impact_buf_release(&all);
	impact_buf_release(&want);
	impact_buf_release(&got);
	impact_pyfacts_free(f);
	impact_pyparser_free(p);
}

/*
 * A patch told the changed files' old names copies every other list as it
 * is: the bytes a build gives, as the patch that reads every list does.
 * Thirty files sharing some names (lists of several files, before and
 * after the changed ones'), one file changed to other names, two changed.
 */
static void refnames__patch_copies_untouched_lists(void **state)
{
	impact_pyparser *p = impact_pyparser_new();
	impact_pyfacts *f[30], *g[30];
	bool keep[32];
	char src[256];
	(void)state;
	for (int i = 0; i < 30; i++) {
		snprintf(src, sizeof(src), "import os\nimport mod%d\n\n\ndef f%d():\n    return os.path.join(x%d)\n",
		         i % 4, i, i % 3);
		f[i] = facts_of_src(p, src);
		snprintf(src, sizeof(src), "import sys\n\n\nclass K%d:\n    def g(self):\n        return sys.argv%d\n",
		         i, i % 5);
		g[i] = facts_of_src(p, src);
	}
	for (int changes = 1; changes <= 2; changes++) {
		impact_buf a = IMPACT_BUF_INIT, want = IMPACT_BUF_INIT, slow = IMPACT_BUF_INIT, fast = IMPACT_BUF_INIT;
		impact_pyfacts *now[30];
		impact_refnames v;
		memcpy(now, f, sizeof(now));
		for (int i = 0; i < 32; i++)
			keep[i] = true; /* 30 and 31: no file, and the unknown one */
		keep[7] = false;
		now[7] = g[7];
		if (changes == 2) {
			keep[29] = false;
			now[29] = g[29];
		}
		build(&a, f, 30, 31);
		build(&want, now, 30, 31);
		assert_int_equal(impact_refnames_view(&v, a.ptr, a.size), 0);
		for (int way = 0; way < 2; way++) {
			impact_refnames_builder *fresh = impact_refnames_builder_new();
			impact_refnames_builder *gone = way ? impact_refnames_builder_new() : NULL;
			for (int i = 0; i < 30; i++) {
				if (keep[i])
					continue;
				impact_refnames_builder_add_facts(fresh, (uint32_t)i, now[i]);
				if (gone)
					impact_refnames_builder_add_facts(gone, 0, f[i]);
			}
			impact_refnames_patch(&v, keep, 32, fresh, gone, way ? &fast : &slow);
			impact_refnames_builder_free(fresh);
			impact_refnames_builder_free(gone);
		}
		assert_int_equal(slow.size, want.size);
		assert_memory_equal(slow.ptr, want.ptr, want.size);
		assert_int_equal(fast.size, want.size);
		assert_memory_equal(fast.ptr, want.ptr, want.size);
		impact_buf_release(&a);
		impact_buf_release(&want);
		impact_buf_release(&slow);
		impact_buf_release(&fast);
	}
	for (int i = 0; i < 30; i++) {
		impact_pyfacts_free(f[i]);
		impact_pyfacts_free(g[i]);
	}
	impact_pyparser_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(refnames__build_read_copy),
		cmocka_unit_test(refnames__lists_and_damage),
		cmocka_unit_test(refnames__patch_copies_untouched_lists),
		cmocka_unit_test(refnames__each_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
