/* events.h - a run's stream of server-sent events, shared by the engine and its readers.
 *
 * The engine appends events ("thread.run.created", JSON data) to a channel as a run moves;
 * any number of readers on HTTP threads read them in order, each at its own position, and
 * are woken through a callback when more arrive. A channel covers one stretch of a run: from
 * creation (or from a submit_tool_outputs) to the next terminal or requires_action event,
 * after which the engine closes it. Channels are reference counted; this is the one place,
 * with engine.c's command queue, that holds a mutex.
 *
 * Memory is bounded by what readers still need, whatever the size of the reply:
 *   - a new channel keeps everything until the one it is handed to either attaches as a
 *     reader (events_attach) or says it will not read (events_decline);
 *   - from then on, what every attached reader has passed is dropped; with no reader,
 *     nothing is kept at all (the store holds the run's state);
 *   - a text delta (events_append_delta) that follows a delta of the same object which no
 *     reader has read yet is merged into it: one valid delta carrying the joined text.
 * A reader reading as events come sees every delta on its own; a slow one sees fewer,
 * larger ones; a late reader starts at the oldest event still kept (with no reader before
 * it, the run's stored state plus what follows). */
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

/* Returns a new channel with one reference (owned by the caller). It keeps every event until
 * a reader attaches or the channel is declined. */
struct events *events_new(void);
struct events *events_ref(struct events *ch);
void events_unref(struct events *ch);

/* Appends an event; data is JSON text (copied). Wakes the waiting readers. */
void events_append(struct events *ch, const char *name, const char *data);
/* Appends an event whose data is head, span and tail joined (all copied), where span is the
 * escaped inside of one JSON string (no quotes): the text a delta adds. Merges it into the
 * last event instead when that one has the same name, head and tail and no reader has read
 * it yet. Wakes the waiting readers. */
void events_append_delta(struct events *ch, const char *name, const char *head,
			 const char *span, size_t span_len, const char *tail);
/* True when data, a delta's JSON made of head_len bytes of head, a span and tail_len bytes
 * of tail, has the given head and tail: a delta with those can be merged into it. */
bool events_delta_alike(const struct buf *data, size_t head_len, size_t tail_len,
			const char *head, const char *tail);
/* No more events will come; wakes the waiting readers. */
void events_close(struct events *ch);

/* Attaches a reader known by reader (a pointer of its own, valid until events_detach); it
 * starts at the oldest event the channel keeps. */
void events_attach(struct events *ch, void *reader);
/* The one the channel was handed to will not read it: stop keeping events for it. */
void events_decline(struct events *ch);
/* Appends to out, in server-sent event format ("event: NAME\ndata: JSON\n\n"), the events
 * reader has not read yet (up to about max_bytes), and moves it past them. When there are
 * none, registers w (when not NULL) and returns EVENTS_WAIT; the check and the registration
 * are atomic. reader must be attached. */
enum events_read events_read(struct events *ch, void *reader, struct buf *out,
			     size_t max_bytes, const struct events_waker *w);
/* Detaches reader and forgets its waker. When it returns, no wake with reader's waker is
 * running or will run. Must not be called from inside a wake. */
void events_detach(struct events *ch, void *reader);

/* True when the caller's reference is the only one left: nobody else will read ch. */
bool events_orphaned(struct events *ch);

/* For tests: the number of events the channel keeps right now. */
size_t events_kept(struct events *ch);

#endif
