/*
 * driver.c - runs a libFuzzer target over files, for compilers without
 * libFuzzer (gcc) and for the regression tests: each argument is a file,
 * or a folder whose files are each one input. Exit 0 when every input
 * went through; a crash is the target's (abort, a sanitizer report).
 */
#include "common.h"
#include "buf.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	impact_buf b = IMPACT_BUF_INIT;
	int rc = impact_buf_read_file(&b, path, (size_t)64 << 20);
	if (rc == 0)
		LLVMFuzzerTestOneInput((const uint8_t *)b.ptr, b.size);
	else
		fprintf(stderr, "fuzz driver: cannot read '%s'\n", path);
	impact_buf_release(&b);
	return rc;
}

int main(int argc, char **argv)
{
	size_t n = 0;
	int bad = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *e;
		if (stat(argv[i], &st) < 0 || !S_ISDIR(st.st_mode)) {
			bad |= run_file(argv[i]) < 0;
			n++;
			continue;
		}
		if (!(d = opendir(argv[i])))
			return 2;
		while ((e = readdir(d)) != NULL) {
			impact_buf p = IMPACT_BUF_INIT;
			if (e->d_name[0] == '.')
				continue;
			impact_buf_printf(&p, "%s/%s", argv[i], e->d_name);
			bad |= run_file(p.ptr) < 0;
			n++;
			impact_buf_release(&p);
		}
		closedir(d);
	}
	printf("fuzz driver: %zu inputs\n", n);
	return bad ? 1 : 0;
}
