/* status.c - the run and step status tables and the moves between them (see status.h). */
#include "status.h"

#include <stddef.h>
#include <string.h>

#include "log.h"
#include "metrics.h"

#define BIT(s) (1u << (s))

/* One status: its name, its stamp member, the statuses it may move to (bits), and for runs
 * whether it holds its thread (active) and moves on without the client (moving). */
struct status_row {
	const char *name;
	const char *stamp;
	unsigned next;
	bool active;
	bool moving;
};

/* The run's life. Cancel: queued and requires_action runs end at once, in_progress ones pass
 * through cancelling while their model call stops. Expiry ends a run that is waiting
 * (queued, requires_action) or working (in_progress). */
static const struct status_row run_rows[RUN_STATUS_COUNT] = {
	[RUN_QUEUED] = { "queued", NULL,
			 BIT(RUN_IN_PROGRESS) | BIT(RUN_CANCELLED) | BIT(RUN_EXPIRED), true, true },
	[RUN_IN_PROGRESS] = { "in_progress", NULL,
			      BIT(RUN_REQUIRES_ACTION) | BIT(RUN_CANCELLING) |
				      BIT(RUN_CANCELLED) | BIT(RUN_COMPLETED) |
				      BIT(RUN_INCOMPLETE) | BIT(RUN_FAILED) | BIT(RUN_EXPIRED),
			      true, true },
	[RUN_REQUIRES_ACTION] = { "requires_action", NULL,
				  BIT(RUN_QUEUED) | BIT(RUN_CANCELLED) | BIT(RUN_EXPIRED),
				  true, false },
	[RUN_CANCELLING] = { "cancelling", NULL, BIT(RUN_CANCELLED), true, true },
	[RUN_CANCELLED] = { "cancelled", "cancelled_at", 0, false, false },
	[RUN_FAILED] = { "failed", "failed_at", 0, false, false },
	[RUN_COMPLETED] = { "completed", "completed_at", 0, false, false },
	[RUN_INCOMPLETE] = { "incomplete", NULL, 0, false, false },
	[RUN_EXPIRED] = { "expired", NULL, 0, false, false }, /* a run keeps expires_at */
};

/* A step is open while its run works, and ends once. */
static const struct status_row step_rows[STEP_STATUS_COUNT] = {
	[STEP_IN_PROGRESS] = { "in_progress", NULL,
			       BIT(STEP_CANCELLED) | BIT(STEP_FAILED) | BIT(STEP_COMPLETED) |
				       BIT(STEP_EXPIRED),
			       false, false },
	[STEP_CANCELLED] = { "cancelled", "cancelled_at", 0, false, false },
	[STEP_FAILED] = { "failed", "failed_at", 0, false, false },
	[STEP_COMPLETED] = { "completed", "completed_at", 0, false, false },
	[STEP_EXPIRED] = { "expired", "expired_at", 0, false, false },
};

struct status_table {
	const struct status_row *rows;
	unsigned n;
	const char *what; /* for the log: "run", "step" */
};

static const struct status_table runs = { run_rows, RUN_STATUS_COUNT, "run" };
static const struct status_table steps = { step_rows, STEP_STATUS_COUNT, "step" };

static const struct status_row *row(const struct status_table *t, unsigned s)
{
	return s < t->n ? &t->rows[s] : NULL;
}

static const char *name_of(const struct status_table *t, unsigned s)
{
	const struct status_row *r = row(t, s);

	return r ? r->name : "unknown";
}

static int parse(const struct status_table *t, const char *name, unsigned *out)
{
	for (unsigned s = 0; name && s < t->n; s++) {
		if (strcmp(t->rows[s].name, name) == 0) {
			*out = s;
			return 0;
		}
	}
	return ERR_INVALID;
}

static bool legal(const struct status_table *t, unsigned from, unsigned to)
{
	const struct status_row *r = row(t, from);

	return r && to < t->n && (r->next & BIT(to));
}

static int move(const struct status_table *t, unsigned *cur, unsigned to, const char *id)
{
	if (!legal(t, *cur, to)) {
		log_error("bug: %s %s cannot move from %s to %s", t->what, id ? id : "?",
			  name_of(t, *cur), name_of(t, to));
		return ERR_INTERNAL;
	}
	*cur = to;
	return 0;
}

const char *status_run_name(enum run_status s)
{
	return name_of(&runs, s);
}

const char *status_step_name(enum step_status s)
{
	return name_of(&steps, s);
}

int status_run_parse(const char *name, enum run_status *out)
{
	unsigned s;
	int err = parse(&runs, name, &s);

	if (!err)
		*out = (enum run_status)s;
	return err;
}

int status_step_parse(const char *name, enum step_status *out)
{
	unsigned s;
	int err = parse(&steps, name, &s);

	if (!err)
		*out = (enum step_status)s;
	return err;
}

const char *status_run_stamp(enum run_status s)
{
	return row(&runs, s) ? run_rows[s].stamp : NULL;
}

const char *status_step_stamp(enum step_status s)
{
	return row(&steps, s) ? step_rows[s].stamp : NULL;
}

bool status_run_legal(enum run_status from, enum run_status to)
{
	return legal(&runs, from, to);
}

bool status_step_legal(enum step_status from, enum step_status to)
{
	return legal(&steps, from, to);
}

int status_run_move(enum run_status *cur, enum run_status to, const char *id)
{
	unsigned s = *cur;
	int err = move(&runs, &s, to, id);

	if (!err)
		metrics_run_entered(to);
	*cur = (enum run_status)s;
	return err;
}

int status_step_move(enum step_status *cur, enum step_status to, const char *id)
{
	unsigned s = *cur;
	int err = move(&steps, &s, to, id);

	*cur = (enum step_status)s;
	return err;
}

bool status_run_terminal(enum run_status s)
{
	return row(&runs, s) && run_rows[s].next == 0;
}

bool status_run_active(enum run_status s)
{
	return row(&runs, s) && run_rows[s].active;
}

bool status_run_moving(enum run_status s)
{
	return row(&runs, s) && run_rows[s].moving;
}
