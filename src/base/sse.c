/* sse.c - server-sent event framing (see sse.h). */
#include "sse.h"

#include <string.h>

static int frame(struct buf *out, const char *event, const char *data)
{
	int err = buf_printf(out, "event: %s\n", event);

	for (;;) {
		size_t n = strcspn(data, "\n");

		if (!err)
			err = buf_puts(out, "data: ");
		if (!err)
			err = buf_append(out, data, n);
		if (!err)
			err = buf_putc(out, '\n');
		if (err || data[n] == '\0')
			break;
		data += n + 1;
	}
	return err ? err : buf_putc(out, '\n');
}

int sse_frame(struct buf *out, const char *event, const char *data)
{
	size_t mark = out->len;
	int err = frame(out, event, data);

	if (err) {
		out->len = mark;
		if (out->p)
			out->p[mark] = '\0';
	}
	return err;
}
