/* pool.h - a small pool of worker threads for blocking work, reporting back to a loop.
 *
 * The thread that relays tokens never blocks on the store or the disk: it hands such work
 * (building a prompt from a long thread, a large store read, later file ingestion) to a
 * pool, and carries on. A job is two functions: work(arg) runs on a worker thread, then
 * done(arg) runs on the loop's thread (through loop_post), where the result is picked up.
 * Jobs start in the order submitted; with several workers they may finish in any order.
 * Workers run at a lower CPU priority (nice +10) than the thread that made the pool.
 *
 * Threads: pool_submit may be called from any thread. work must not touch state that
 * belongs to the loop's thread; arg is what carries the inputs in and the result out. */
#ifndef ASSISTD_POOL_H
#define ASSISTD_POOL_H

#include "err.h"
#include "loop.h"

#define POOL_DEFAULT_THREADS 2

struct pool;

/* A pool of up to threads workers (<= 0: POOL_DEFAULT_THREADS) that report to l (borrowed; it
 * must outlive the pool). Workers start with the jobs that need them, not here. *out is owned:
 * free with pool_free. Returns 0. */
int pool_new(int threads, struct loop *l, struct pool **out) MUST_CHECK;
/* Finishes every job submitted (their done callbacks are posted to the loop, which must
 * still run them: loop_free does), then stops the workers and frees the pool. NULL is a
 * no-op. */
void pool_free(struct pool *p);

/* Queues a job, starting a worker when none is idle and the pool is not full; arg is borrowed
 * by both callbacks, which decide who frees it (usually done). Never fails (out of memory
 * aborts; when not even one worker can be started, work runs on the calling thread). */
void pool_submit(struct pool *p, void (*work)(void *arg), void (*done)(void *arg), void *arg);

#endif
