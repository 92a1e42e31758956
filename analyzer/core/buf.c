/*
 * buf.c - impact_buf, the growable byte string (see buf.h).
 */
#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

char impact_buf__initbuf[1];

void impact_buf_init(impact_buf *b)
{
	b->ptr = impact_buf__initbuf;
	b->size = 0;
	b->asize = 0;
}

void impact_buf_release(impact_buf *b)
{
	if (b->asize)
		free(b->ptr);
	impact_buf_init(b);
}

void impact_buf_clear(impact_buf *b)
{
	b->size = 0;
	if (b->asize)
		b->ptr[0] = '\0';
}

char *impact_buf_detach(impact_buf *b)
{
	char *p = b->asize ? b->ptr : impact_xstrdup("");
	impact_buf_init(b);
	return p;
}

int impact_buf_grow(impact_buf *b, size_t extra)
{
	size_t need, n;

	if (extra > IMPACT_BUF_MAX - b->size - 1)
		return impact_error_set(IMPACT_ERROR,
		                        "string too large (over %zu bytes)",
		                        (size_t)IMPACT_BUF_MAX);
	need = b->size + extra + 1;
	if (need <= b->asize)
		return 0;
	n = b->asize ? b->asize : 64;
	while (n < need)
		n = n * 3 / 2 + 16;
	if (b->asize) {
		b->ptr = impact_xrealloc(b->ptr, n);
	} else {
		b->ptr = impact_xmalloc(n);
		b->ptr[0] = '\0';
	}
	b->asize = n;
	return 0;
}

int impact_buf__put_grow(impact_buf *b, const void *data, size_t len)
{
	if (impact_buf_grow(b, len) < 0)
		return IMPACT_ERROR;
	if (len)
		memmove(b->ptr + b->size, data, len);
	b->size += len;
	b->ptr[b->size] = '\0';
	return 0;
}

int impact_buf_puts(impact_buf *b, const char *s)
{
	return impact_buf_put(b, s, strlen(s));
}

int impact_buf_vprintf(impact_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int len;

	va_copy(cp, ap);
	len = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (len < 0)
		return impact_error_set(IMPACT_ERROR, "bad format string '%s'", fmt);
	if (impact_buf_grow(b, (size_t)len) < 0)
		return IMPACT_ERROR;
	vsnprintf(b->ptr + b->size, (size_t)len + 1, fmt, ap);
	b->size += (size_t)len;
	return 0;
}

int impact_buf_printf(impact_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = impact_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void impact_buf_truncate(impact_buf *b, size_t len)
{
	if (len < b->size) {
		b->size = len;
		b->ptr[len] = '\0';
	}
}

int impact_buf_sets(impact_buf *b, const char *s)
{
	impact_buf_clear(b);
	return impact_buf_puts(b, s);
}

int impact_buf_read_file(impact_buf *b, const char *path, size_t max)
{
	struct stat st;
	int fd, rc = IMPACT_ERROR;
	size_t start = b->size;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return impact_error_set(IMPACT_ENOTFOUND,
			                        "'%s' does not exist", path);
		return impact_error_from_errno(errno, "cannot open '%s'", path);
	}
	if (fstat(fd, &st) < 0) {
		impact_error_from_errno(errno, "cannot stat '%s'", path);
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		impact_error_set(IMPACT_ERROR, "'%s' is a directory", path);
		goto done;
	}
	for (;;) {
		ssize_t n;
		if (b->size - start > max) {
			impact_error_set(IMPACT_ERROR,
			                 "'%s' is larger than %zu bytes", path, max);
			goto done;
		}
		if (impact_buf_grow(b, 65536) < 0)
			goto done;
		n = read(fd, b->ptr + b->size, b->asize - b->size - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			impact_error_from_errno(errno, "cannot read '%s'", path);
			goto done;
		}
		if (n == 0)
			break;
		b->size += (size_t)n;
		b->ptr[b->size] = '\0';
	}
	rc = 0;
done:
	if (rc < 0)
		impact_buf_truncate(b, start);
	close(fd);
	return rc;
}

static int replace_parts(const char *path, const impact_file_part *parts, size_t nparts,
                         unsigned mode, unsigned flags)
{
	impact_buf tmp = IMPACT_BUF_INIT;
	int fd, rc = 0, err = 0;

	impact_buf_printf(&tmp, "%s.%d.tmp", path, (int)getpid());
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
	if (fd < 0)
		err = errno;
	for (size_t i = 0; fd >= 0 && !err && i < nparts; i++) {
		const char *d = parts[i].data;
		size_t done = 0;
		while (done < parts[i].len) {
			ssize_t w = write(fd, d + done, parts[i].len - done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				err = w < 0 ? errno : EIO;
				break;
			}
			done += (size_t)w;
		}
	}
	if (fd >= 0 && !err && !(flags & IMPACT_REPLACE_NO_FSYNC) && fsync(fd) < 0 && errno != EINVAL)
		err = errno; /* EINVAL: a file system without fsync */
	if (fd >= 0 && close(fd) < 0 && !err)
		err = errno;
	if (err) {
		rc = impact_error_from_errno(err, "cannot write '%s'", tmp.ptr);
		unlink(tmp.ptr);
	} else if (rename(tmp.ptr, path) < 0) {
		rc = impact_error_from_errno(errno, "cannot replace '%s'", path);
		unlink(tmp.ptr);
	}
	impact_buf_release(&tmp);
	return rc;
}

int impact_file_replace(const char *path, const void *data, size_t len)
{
	impact_file_part part = { data, len };
	return replace_parts(path, &part, 1, 0666, 0);
}

int impact_file_replace_mode(const char *path, const void *data, size_t len, unsigned mode)
{
	impact_file_part part = { data, len };
	return replace_parts(path, &part, 1, mode, 0);
}

int impact_file_replace_parts(const char *path, const impact_file_part *parts, size_t nparts,
                              unsigned flags)
{
	return replace_parts(path, parts, nparts, 0666, flags);
}

void impact_strlist_push(impact_strlist *l, const char *s)
{
	IMPACT_PUSH(l->items, l->n, l->alloc, impact_xstrdup(s));
}

void impact_strlist_release(impact_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = l->alloc = 0;
}
