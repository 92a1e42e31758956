/*
 * live.c - the live status line (see live.h).
 *
 * pytest writes a file's progress characters as its tests finish, before
 * the newline, so the current (partial) line is re-counted on every chunk:
 * totals = counts of finished lines + counts of the line so far.
 */
#include "live.h"

#include "project.h"

#include <sys/ioctl.h>
#include <unistd.h>

enum { PASSED, FAILED, SKIPPED, NCOUNTS };

struct impact_live {
	int log_fd;
	bool colour;
	double start, last_draw;
	size_t done[NCOUNTS];   /* from finished lines */
	size_t part[NCOUNTS];   /* from the line being written */
	impact_buf line;        /* the current line so far */
	impact_buf current;     /* the test file or node being run */
	bool drawn;
};

impact_live *impact_live_new(int log_fd, bool colour)
{
	impact_live *l = impact_xcalloc(1, sizeof(*l));
	l->log_fd = log_fd;
	l->colour = colour;
	l->start = impact_now_ms();
	impact_buf_init(&l->line);
	impact_buf_init(&l->current);
	return l;
}

void impact_live_free(impact_live *l)
{
	if (!l)
		return;
	impact_buf_release(&l->line);
	impact_buf_release(&l->current);
	free(l);
}

/* Count one line of pytest's output into `counts`; note the current test. */
static void count_line(impact_live *l, const char *s, size_t n, size_t counts[NCOUNTS])
{
	static const struct { const char *word; int k; } verbose[] = {
		{ " PASSED", PASSED }, { " XPASS", PASSED }, { " FAILED", FAILED },
		{ " ERROR", FAILED }, { " SKIPPED", SKIPPED }, { " XFAIL", SKIPPED },
	};
	const char *sp = s ? memchr(s, ' ', n) : NULL;
	size_t head = sp ? (size_t)(sp - s) : n;

	memset(counts, 0, NCOUNTS * sizeof(size_t));
	if (!s || head < 4 || !(memmem(s, head, ".py", 3)))
		return;
	impact_buf_clear(&l->current);
	impact_buf_put(&l->current, s, head);
	if (memmem(s, head, "::", 2)) {
		for (size_t i = 0; i < IMPACT_ARRAY_SIZE(verbose); i++)
			if (memmem(s + head, n - head, verbose[i].word, strlen(verbose[i].word))) {
				counts[verbose[i].k]++;
				break;
			}
		return;
	}
	for (size_t i = head; i < n && s[i] != '['; i++) {
		switch (s[i]) {
		case '.': case 'X': counts[PASSED]++; break;
		case 'F': case 'E': counts[FAILED]++; break;
		case 's': case 'x': counts[SKIPPED]++; break;
		default: break;
		}
	}
}

static void draw(impact_live *l)
{
	struct winsize ws;
	size_t width = 80;
	impact_buf out = IMPACT_BUF_INIT, text = IMPACT_BUF_INIT;
	size_t c[NCOUNTS];
	for (int k = 0; k < NCOUNTS; k++)
		c[k] = l->done[k] + l->part[k];
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		width = ws.ws_col;
	impact_buf_printf(&text, "impact: [%5.1fs] %zu passed, %zu failed, %zu skipped  ",
	                  (impact_now_ms() - l->start) / 1000.0, c[PASSED], c[FAILED], c[SKIPPED]);
	impact_buf_put(&text, l->current.ptr, l->current.size);
	if (text.size >= width)
		impact_buf_truncate(&text, width - 1);
	impact_buf_puts(&out, "\r\033[K");
	if (l->colour)
		impact_buf_puts(&out, c[FAILED] ? "\033[31m" : "\033[32m");
	impact_buf_put(&out, text.ptr, text.size);
	if (l->colour)
		impact_buf_puts(&out, "\033[0m");
	if (write(STDERR_FILENO, out.ptr, out.size) < 0)
		l->drawn = false;
	else
		l->drawn = true;
	l->last_draw = impact_now_ms();
	impact_buf_release(&out);
	impact_buf_release(&text);
}

void impact_live_output(const char *data, size_t n, void *payload)
{
	impact_live *l = payload;
	if (l->log_fd > 0 && write(l->log_fd, data, n) < 0)
		l->log_fd = -1;
	for (size_t i = 0; i < n; i++) {
		if (data[i] == '\n') {
			count_line(l, l->line.ptr, l->line.size, l->part);
			for (int k = 0; k < NCOUNTS; k++)
				l->done[k] += l->part[k];
			memset(l->part, 0, sizeof(l->part));
			impact_buf_clear(&l->line);
		} else if (data[i] != '\r') {
			impact_buf_putc(&l->line, data[i]);
		}
	}
	count_line(l, l->line.ptr, l->line.size, l->part);
}

void impact_live_tick(void *payload)
{
	impact_live *l = payload;
	if (impact_now_ms() - l->last_draw >= 100)
		draw(l);
}

void impact_live_finish(impact_live *l)
{
	if (l && l->drawn && write(STDERR_FILENO, "\r\033[K", 4) < 0)
		l->drawn = false;
}
