/* sandbox_logs.c - a call's logs: the output the code printed, capped, and the notes around it.
 *
 * The driver's stdout and stderr are one pipe, read as it fills so the code never blocks on
 * it. Past the cap the bytes are counted and spliced to /dev/null, never copied, so an
 * endless print loop costs the loop thread little and ends at the wall-time limit. The logs
 * handed out are valid UTF-8 (bad bytes become U+FFFD): they go into JSON. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "sandbox_int.h"

#define READ_CHUNK 65536

void sbx_logs_begin(struct sbx_sess *sess)
{
	buf_reset(&sess->logs);
	sess->dropped = 0;
	if (!sess->out_eof && loop_io_set(sess->s->l, &sess->out_io, LOOP_READ))
		sess->out_eof = true;
}

static void keep(struct sbx_sess *sess, const char *p, size_t n)
{
	size_t room = sess->s->lim.output - sess->logs.len;
	size_t take = n < room ? n : room;

	if (sess->state != SBX_BUSY)
		return;
	if (take && buf_append(&sess->logs, p, take))
		take = 0;
	sess->dropped += n - take;
}

/* One read: >0 bytes kept or dropped, 0 nothing there, -1 closed. */
static ssize_t read_some(struct sbx_sess *sess)
{
	char tmp[READ_CHUNK];
	ssize_t n = read(sess->out, tmp, sizeof(tmp));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		sess->out_eof = true;
		return -1;
	}
	keep(sess, tmp, (size_t)n);
	return n;
}

/* Like read_some, for bytes nobody will see: moved to /dev/null inside the kernel. */
static ssize_t discard_some(struct sbx_sess *sess)
{
	ssize_t n = splice(sess->out, NULL, sess->s->null, NULL, 1 << 20, SPLICE_F_NONBLOCK);

	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return read_some(sess); /* no splice here: read and drop */
	if (n < 0)
		return 0;
	if (n == 0) {
		sess->out_eof = true;
		return -1;
	}
	if (sess->state == SBX_BUSY)
		sess->dropped += (size_t)n;
	return n;
}

/* Reads or discards up to a few MiB, so one chatty session cannot hold the loop. */
static bool pump(struct sbx_sess *sess, size_t max)
{
	size_t got = 0;

	while (got < max) {
		bool full = sess->dropped > 0 || sess->state != SBX_BUSY;
		ssize_t n = full ? discard_some(sess) : read_some(sess);

		if (n < 0)
			return true;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return false;
}

bool sbx_logs_read(struct sbx_sess *sess)
{
	return pump(sess, 4 << 20);
}

void sbx_logs_drain(struct sbx_sess *sess, size_t max)
{
	if (!sess->out_eof)
		pump(sess, max);
}

/* Appends to b; past a capped buffer's maximum the text is dropped, as notes may be. */
static void addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void addv(struct buf *b, const char *fmt, va_list ap)
{
	int dropped = buf_vprintf(b, fmt, ap);

	(void)dropped;
}

static void addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	addv(b, fmt, ap);
	va_end(ap);
}

void sbx_logs_notef(struct sbx_sess *sess, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	addv(&sess->notes, fmt, ap);
	va_end(ap);
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len = p[0] < 0x80 ? 1 : p[0] >= 0xc2 && p[0] < 0xe0 ? 2 :
		     p[0] >= 0xe0 && p[0] < 0xf0 ? 3 : p[0] >= 0xf0 && p[0] < 0xf5 ? 4 : 0;
	uint32_t cp;

	if (len == 0 || len > n)
		return 0;
	cp = len == 1 ? p[0] : (uint32_t)(p[0] & (0x7f >> len));
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

static void put_utf8(struct buf *b, const char *text, size_t n)
{
	const unsigned char *p = (const unsigned char *)text;

	for (size_t i = 0; i < n;) {
		size_t len = utf8_len(p + i, n - i);

		if (len == 0 ? buf_append(b, "\xef\xbf\xbd", 3) : buf_append(b, p + i, len))
			return;
		i += len ? len : 1;
	}
}

static const char *limit_note(const struct sbx_sess *sess, const struct sbx_result *res,
			      char *tmp, size_t len)
{
	const struct sbx_limits *lim = &sess->s->lim;

	switch (res->limit) {
	case SBX_LIMIT_CPU:
		snprintf(tmp, len, "CPU time limit hit (%d s per call)", lim->cpu_s);
		break;
	case SBX_LIMIT_WALL:
		snprintf(tmp, len, "wall time limit hit (%d s per call)", lim->wall_s);
		break;
	case SBX_LIMIT_MEMORY:
		snprintf(tmp, len, "memory limit hit (%lld MiB)", (long long)(lim->memory >> 20));
		break;
	case SBX_LIMIT_DISK:
		snprintf(tmp, len, "/mnt/data is full (%lld MiB, at most %d files): delete files "
			 "to make room", (long long)(lim->disk >> 20), lim->max_files);
		break;
	default:
		return NULL;
	}
	return tmp;
}

char *sbx_logs_finish(struct sbx_sess *sess, struct sbx_result *res, const char *why,
		      size_t *len)
{
	struct buf b;
	char tmp[160];
	const char *note;

	if (res->limit == SBX_LIMIT_NONE && sess->dropped > 0)
		res->limit = SBX_LIMIT_OUTPUT;
	note = limit_note(sess, res, tmp, sizeof(tmp));
	buf_init(&b, 0);
	put_utf8(&b, sess->notes.p ? sess->notes.p : "", sess->notes.len);
	buf_reset(&sess->notes);
	put_utf8(&b, sess->logs.p ? sess->logs.p : "", sess->logs.len);
	if (b.len && b.p[b.len - 1] != '\n' && (sess->dropped || note || why))
		addf(&b, "\n");
	if (sess->dropped)
		addf(&b, "[output truncated: %zu more bytes were printed; the first %zu are "
		     "shown]\n", sess->dropped, sess->s->lim.output);
	if (note)
		addf(&b, "[%s]\n", note);
	if (why)
		addf(&b, "[%s; the sandbox session was restarted: variables, imports and "
		     "files in /mnt/data from before are gone]\n", why);
	*len = b.len;
	return buf_release(&b);
}
