/*
 * parse_floor.c - the parse-only floor of impact's benchmark.
 *
 * Reads NUL-separated file paths on stdin, then parses every file with
 * tree-sitter-python on one thread, nothing else (no import extraction, no
 * git), and prints the parse time in milliseconds. Reading the files is
 * done first and not timed: the floor is the parser's own cost.
 */
#include "buf.h"

#include <time.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_python(void);

int main(void)
{
	impact_buf list = IMPACT_BUF_INIT;
	impact_buf *files = NULL;
	size_t n = 0, alloc = 0, bytes = 0;
	TSParser *parser = ts_parser_new();
	struct timespec a, b;
	char chunk[65536];
	size_t got;

	while ((got = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		impact_buf_put(&list, chunk, got);
	for (size_t off = 0; off < list.size;) {
		const char *path = list.ptr + off;
		size_t len = strlen(path);
		impact_buf content = IMPACT_BUF_INIT;
		if (len && impact_buf_read_file(&content, path, (size_t)1 << 30) == 0) {
			bytes += content.size;
			IMPACT_PUSH(files, n, alloc, content);
		}
		off += len + 1;
	}
	ts_parser_set_language(parser, tree_sitter_python());
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (size_t i = 0; i < n; i++) {
		TSTree *tree = ts_parser_parse_string(parser, NULL, files[i].ptr,
		                                      (uint32_t)files[i].size);
		ts_tree_delete(tree);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.1f\n", (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6);
	fprintf(stderr, "parse_floor: %zu files, %zu bytes\n", n, bytes);
	for (size_t i = 0; i < n; i++)
		impact_buf_release(&files[i]);
	free(files);
	impact_buf_release(&list);
	ts_parser_delete(parser);
	return 0;
}
