/* status.h - the statuses of runs and run steps, and the one table of moves between them.
 *
 * A status is an enum everywhere in C and its name only in JSON and SQL. Every change of a
 * run's or step's status goes through status_run_move / status_step_move, which apply a move
 * the table lists and refuse (and log) any other, as curl's mstate() does for its handles.
 * The engine moves runs and steps with them, the store checks each write of a run or step
 * against status_*_legal inside its transaction, and the store's "thread is busy" guard and
 * the API's poll hold read their sets of statuses (active, moving) from the same table. */
#ifndef ASSISTD_STATUS_H
#define ASSISTD_STATUS_H

#include <stdbool.h>

#include "err.h"

enum run_status {
	RUN_QUEUED,
	RUN_IN_PROGRESS,
	RUN_REQUIRES_ACTION,
	RUN_CANCELLING,
	RUN_CANCELLED,
	RUN_FAILED,
	RUN_COMPLETED,
	RUN_INCOMPLETE,
	RUN_EXPIRED,
	RUN_STATUS_COUNT
};

enum step_status {
	STEP_IN_PROGRESS,
	STEP_CANCELLED,
	STEP_FAILED,
	STEP_COMPLETED,
	STEP_EXPIRED,
	STEP_STATUS_COUNT
};

/* The status's name as the API spells it ("in_progress"); static. An out-of-range value
 * gives "unknown". */
const char *status_run_name(enum run_status s);
const char *status_step_name(enum step_status s);

/* Finds the status named name (NULL allowed). Errors: ERR_INVALID for any other string. */
int status_run_parse(const char *name, enum run_status *out) MUST_CHECK;
int status_step_parse(const char *name, enum step_status *out) MUST_CHECK;

/* The object member stamped with the time a status is entered ("completed_at"), or NULL
 * when it has none; static. */
const char *status_run_stamp(enum run_status s);
const char *status_step_stamp(enum step_status s);

/* True when the table lists the move from -> to. Staying in a status is not a move. */
bool status_run_legal(enum run_status from, enum run_status to);
bool status_step_legal(enum step_status from, enum step_status to);

/* Moves *cur to `to` when that is legal. An illegal move is a bug: it is logged with id (the
 * run or step) and refused with ERR_INTERNAL, leaving *cur as it was. */
int status_run_move(enum run_status *cur, enum run_status to, const char *id) MUST_CHECK;
int status_step_move(enum step_status *cur, enum step_status to, const char *id) MUST_CHECK;

/* A run that has no move left (completed, failed, ...). */
bool status_run_terminal(enum run_status s);
/* An active run holds its thread: the thread takes no new message and no other run. */
bool status_run_active(enum run_status s);
/* A run the server moves on by itself, without the client (queued, in_progress,
 * cancelling): worth holding a poll for. */
bool status_run_moving(enum run_status s);

#endif
