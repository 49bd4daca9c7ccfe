/* events.h - a run's stream of server-sent events, shared by the engine and its readers.
 *
 * The engine appends events ("thread.run.created", JSON data) to a channel as a run moves;
 * any number of readers on HTTP threads read them in order, each at its own position, and
 * are woken through a callback when more arrive. A channel covers one stretch of a run: from
 * creation (or from a submit_tool_outputs) to the next terminal or requires_action event,
 * after which the engine closes it. Channels are reference counted; this is the one place,
 * with engine.c's command queue, that holds a mutex.
 *
 * Memory: a channel keeps only what its readers still need. Consecutive deltas of one text
 * that no reader has reached yet are merged into one event; events every reader has read
 * are dropped; with no reader left (only the writer's reference), nothing is kept. Readers
 * get their reference when the channel is made, before anything can be dropped. */
#ifndef ASSISTD_EVENTS_H
#define ASSISTD_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/buf.h"

struct events;

/* A reader's wake-up: called (from the engine thread) once after a read returned
 * EVENTS_WAIT, when an event is appended or the channel closes. */
struct events_waker {
	void (*wake)(void *ctx);
	void *ctx;
};

enum events_read {
	EVENTS_MORE, /* event text was appended to out */
	EVENTS_WAIT, /* nothing new: the waker will be called */
	EVENTS_END,  /* the channel is closed and everything was read */
};

/* Returns a new channel with one reference (owned by the caller). */
struct events *events_new(void);
struct events *events_ref(struct events *ch);
void events_unref(struct events *ch);

/* Appends an event; data is JSON text (copied). Wakes the waiting readers. */
void events_append(struct events *ch, const char *name, const char *data);
/* No more events will come; wakes the waiting readers. */
void events_close(struct events *ch);

/* Appends to out, in server-sent event format ("event: NAME\ndata: JSON\n\n"), the events
 * from position *pos on (up to about max_bytes), advancing *pos. When there are none,
 * registers w (replacing the reader's earlier registration with the same ctx) and returns
 * EVENTS_WAIT; the check and the registration are atomic. */
enum events_read events_read(struct events *ch, size_t *pos, struct buf *out, size_t max_bytes,
			     const struct events_waker *w);
/* Forgets the waker registered with ctx (a reader that goes away). When it returns, no wake
 * with ctx is running or will run. Must not be called from inside a wake. */
void events_forget(struct events *ch, void *ctx);

/* The name of event number pos, for tests; NULL when it is not held (dropped, or past the
 * end). Borrowed until the event is dropped: a reader that reads without a waker keeps
 * every event. */
const char *events_name_at(struct events *ch, size_t pos);
size_t events_count(struct events *ch);

#endif
