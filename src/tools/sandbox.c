/* sandbox.c - the sandbox manager's interface, and calls: queueing, running, answering.
 *
 * A session moves STARTING (bubblewrap spawned, waiting for the driver's hello) → READY →
 * BUSY (a call runs) → READY ... → DEAD. Jobs (calls and file placements) queue on the
 * session and run one at a time. A session that dies (a limit, the code killed it, the
 * watchdog stopped it) answers its running call with what it has and "restarted", and its
 * queued jobs move to a fresh session for the same key. Starting, finding and ending
 * sessions is sandbox_sess.c's. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "../base/log.h"
#include "sandbox_int.h"

#define WATCH_MS 250
#define WALL_GRACE_MS 2000   /* the driver's own alarm gets this long before the kill */
#define FREE_WAIT_MS 10000

static void sess_next(struct sbx_sess *sess);

static const char *const limit_names[] = {
	[SBX_LIMIT_NONE] = "", [SBX_LIMIT_CPU] = "cpu", [SBX_LIMIT_WALL] = "wall",
	[SBX_LIMIT_MEMORY] = "memory", [SBX_LIMIT_OUTPUT] = "output", [SBX_LIMIT_DISK] = "disk",
};

const char *sbx_limit_name(enum sbx_limit limit)
{
	return limit_names[limit];
}

void sbx_result_free(struct sbx_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->nfiles; i++)
		free(res->files[i].name);
	free(res->files);
	free(res->logs);
	free(res);
}

/* --- calls ------------------------------------------------------------------------------ */

static struct sbx_result *result_new(struct sbx_sess *sess, bool restarted)
{
	struct sbx_result *res = xcalloc(1, sizeof(*res));

	res->restarted = restarted;
	res->limit = sess->limit;
	res->wall_ms = clock_ms() - sess->started_ms;
	return res;
}

/* Hands res to the call's callback, then carries on with key's next job if it has one.
 * Takes ownership of key. The callback may call into the manager (but not sbx_free). */
static void deliver(struct sbx *s, char *key, struct sbx_job *job, struct sbx_result *res)
{
	struct sbx_sess *sess;

	job->done(job->ctx, res);
	sbx_job_free(job);
	sess = key ? sbx_sess_find(s, key) : NULL;
	if (sess && sess->state == SBX_READY)
		sess_next(sess);
	free(key);
}

static void apply_reply(struct sbx_sess *sess, struct sbx_result *res, const jv *reply)
{
	static const struct { const char *name; enum sbx_limit limit; } named[] = {
		{ "cpu", SBX_LIMIT_CPU },
		{ "wall", SBX_LIMIT_WALL },
		{ "memory", SBX_LIMIT_MEMORY },
	};
	const char *limit = jv_get_str(reply, "limit");
	struct sbx_snapshot after = { 0 };

	res->raised = jv_true(jv_get(reply, "raised"));
	if (jv_is_int(jv_get(reply, "cpu_ms")) && jv_int_value(jv_get(reply, "cpu_ms")) >= 0)
		res->cpu_ms = jv_int_value(jv_get(reply, "cpu_ms"));
	for (size_t i = 0; limit && i < sizeof(named) / sizeof(named[0]); i++) {
		if (strcmp(limit, named[i].name) == 0)
			res->limit = named[i].limit;
	}
	sbx_files_scan(sess, &after);
	sbx_files_diff(&sess->before, &after, jv_get(reply, "figures"), &res->files,
		       &res->nfiles);
	sbx_snapshot_cleanup(&after);
}

/* The driver answered the running call. */
static void finish(struct sbx_sess *sess, const jv *reply)
{
	struct sbx *s = sess->s;
	struct sbx_job *job = sess->cur;
	struct sbx_result *res;

	loop_timer_stop(s->l, &sess->watch);
	sbx_logs_drain(sess, 4 << 20);
	if (sbx_files_full(sess))
		sess->limit = SBX_LIMIT_DISK;
	res = result_new(sess, false);
	apply_reply(sess, res, reply);
	res->logs = sbx_logs_finish(sess, res, NULL, &res->logs_len);
	sess->cur = NULL;
	sess->state = SBX_READY;
	sess->last_used = clock_ms();
	if (!sess->head)
		sbx_idle_start(sess);
	deliver(s, xstrdup(sess->key), job, res);
}

/* Moves the jobs queued on a dead session to a new session for key. One that died before
 * it ever started would likely fail again: its jobs are refused, with no restart loop. */
static void requeue(struct sbx *s, const char *key, struct sbx_job *queued, bool started)
{
	struct sbx_sess *next;

	if (!started && ++s->start_failures == SBX_START_FAILURES)
		log_error("sandbox: %d sessions in a row failed to start; no more are started "
			  "ahead until one works", SBX_START_FAILURES);
	if (!queued)
		return;
	next = key && started ? sbx_sess_get(s, key) : NULL;
	if (!next) {
		sbx_refuse_jobs(s, queued, "the sandbox session failed to start");
		return;
	}
	next->head = queued;
	for (next->tail = queued; next->tail->next; next->tail = next->tail->next)
		;
}

/* sess died or had to be stopped: the running call gets what it printed and a note, the
 * queued jobs move to a new session for the same key. */
void sbx_die(struct sbx_sess *sess, enum sbx_limit limit, const char *why)
{
	struct sbx *s = sess->s;
	struct sbx_job *job = sess->cur;
	struct sbx_job *queued = sess->head;
	struct sbx_result *res = NULL;
	char *key = sess->key ? xstrdup(sess->key) : NULL;
	bool started = sess->state != SBX_STARTING;

	if (job) {
		sbx_logs_drain(sess, 4 << 20);
		if (limit != SBX_LIMIT_NONE)
			sess->limit = limit;
		res = result_new(sess, true);
		res->raised = true;
		res->logs = sbx_logs_finish(sess, res, why, &res->logs_len);
	} else {
		log_warn("sandbox: session %s ended: %s", key ? key : "(pool)", why);
	}
	sess->cur = NULL;
	sess->head = sess->tail = NULL;
	sbx_sess_kill(sess);
	requeue(s, key, queued, started);
	sbx_pool_fill(s);
	if (job) {
		deliver(s, key, job, res);
		return;
	}
	sess = key ? sbx_sess_find(s, key) : NULL;
	if (sess && sess->state == SBX_READY)
		sess_next(sess);
	free(key);
}

void sbx_on_watch(void *arg)
{
	struct sbx_sess *sess = arg;
	struct sbx *s = sess->s;
	int64_t wall_ms = (int64_t)s->lim.wall_s * 1000 + WALL_GRACE_MS;

	if (clock_ms() - sess->started_ms > wall_ms) {
		sbx_die(sess, SBX_LIMIT_WALL,
			"the code ran past the wall time limit and was stopped");
		return;
	}
	if (sbx_files_full(sess) && sess->limit != SBX_LIMIT_DISK) {
		sess->limit = SBX_LIMIT_DISK;
		if (sbx_files_entries(sess) > (uint64_t)s->lim.max_files) {
			sbx_die(sess, SBX_LIMIT_DISK, "the code made too many files in /mnt/data");
			return;
		}
	}
	loop_timer_start(s->l, &sess->watch, WATCH_MS);
}

/* Runs queued placements, then starts the first queued call. */
static void sess_next(struct sbx_sess *sess)
{
	struct sbx *s = sess->s;
	struct sbx_job *job;

	while (sess->state == SBX_READY && (job = sess->head)) {
		sess->head = job->next;
		if (!sess->head)
			sess->tail = NULL;
		job->next = NULL;
		if (job->code)
			break;
		if (sbx_files_put(sess, job->name, job->src_fd))
			sbx_logs_notef(sess, "[note: %s could not be placed in /mnt/data: it is "
				       "full]\n", job->name);
		sbx_job_free(job);
		job = NULL;
	}
	if (sess->state != SBX_READY || !job)
		return;
	loop_timer_stop(s->l, &sess->idle);
	sess->cur = job;
	sess->state = SBX_BUSY;
	sess->limit = SBX_LIMIT_NONE;
	sess->started_ms = clock_ms();
	sbx_logs_begin(sess);
	sbx_files_scan(sess, &sess->before);
	if (sbx_proc_send(sess, job->code)) {
		sbx_die(sess, SBX_LIMIT_NONE, "the sandbox stopped taking code");
		return;
	}
	loop_timer_start(s->l, &sess->watch, WATCH_MS);
}

static void on_frame(struct sbx_sess *sess)
{
	char why[128];
	jv *reply = jv_parse(sess->frame.p + 4, sess->frame.len - 4, why, sizeof(why));

	buf_reset(&sess->frame);
	if (!reply || sess->state != SBX_BUSY) {
		jv_free(reply);
		sbx_die(sess, SBX_LIMIT_NONE, "the sandbox's driver sent something unexpected");
		return;
	}
	finish(sess, reply);
	jv_free(reply);
}

void sbx_on_chan(void *arg, int fd, int ready)
{
	struct sbx_sess *sess = arg;
	bool done = false;
	int err;

	if (sess->state == SBX_STARTING) {
		err = sbx_proc_ready(sess);
		if (err == ERR_TIMEOUT)
			return;
		if (err) {
			sbx_die(sess, SBX_LIMIT_NONE, "the sandbox failed to start");
			return;
		}
		sess->state = SBX_READY;
		sess->s->start_failures = 0;
		sess_next(sess);
		if (sess->state == SBX_READY && !sess->head && sess->key)
			sbx_idle_start(sess);
		return;
	}
	err = sbx_proc_read_frame(sess, &done);
	if (err)
		sbx_die(sess, SBX_LIMIT_NONE, SBX_ENDED);
	else if (done)
		on_frame(sess);
}

void sbx_on_out(void *arg, int fd, int ready)
{
	struct sbx_sess *sess = arg;

	if (sbx_logs_read(sess))
		loop_io_stop(sess->s->l, &sess->out_io);
}

/* --- the interface ---------------------------------------------------------------------- */

static void set_limits(struct sbx_limits *lim, const struct sbx_config *c)
{
	lim->bwrap = xstrdup(c->bwrap ? c->bwrap : "/usr/bin/bwrap");
	lim->python = xstrdup(c->python ? c->python : "/usr/bin/python3");
	lim->cpu_s = c->cpu_s > 0 ? c->cpu_s : 60;
	lim->wall_s = c->wall_s > 0 ? c->wall_s : 60;
	lim->memory = c->memory > 0 ? c->memory : (int64_t)1 << 30;
	lim->nproc = c->nproc > 0 ? c->nproc : 64;
	lim->file_size = c->file_size > 0 ? c->file_size : (int64_t)256 << 20;
	lim->disk = c->disk > 0 ? c->disk : (int64_t)512 << 20;
	lim->tmp = c->tmp > 0 ? c->tmp : (int64_t)64 << 20;
	lim->max_files = c->max_files > 0 ? c->max_files : 10000;
	lim->output = c->output > 0 ? c->output : 64 * 1024;
	lim->idle_s = c->idle_s > 0 ? c->idle_s : 1800;
	lim->max_sessions = c->max_sessions > 0 ? c->max_sessions : 16;
	lim->pool = c->pool > 0 ? c->pool : (c->pool < 0 ? 0 : 1);
	lim->uid = c->sandbox_uid ? c->sandbox_uid : 65534;
}

int sbx_new(const struct sbx_config *cfg, struct loop *l, struct sbx **out)
{
	struct sbx *s = xcalloc(1, sizeof(*s));

	s->l = l;
	set_limits(&s->lim, cfg);
	s->null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (s->null < 0) {
		free(s);
		return ERR_INTERNAL;
	}
	s->why = sbx_proc_probe(&s->lim);
	if (s->why)
		log_warn("code_interpreter is unavailable: %s. Runs that use it fail with this "
			 "reason; code never runs outside the sandbox.", s->why);
	else
		log_info("code_interpreter: sandbox ready (bubblewrap, no network, limits per call "
			 "in assistd --help)");
	sbx_pool_fill(s);
	*out = s;
	return 0;
}

void sbx_free(struct sbx *s)
{
	int64_t end;

	if (!s)
		return;
	s->freeing = true;
	while (s->bound)
		sbx_sess_kill(s->bound);
	while (s->pool)
		sbx_sess_kill(s->pool);
	end = clock_ms() + FREE_WAIT_MS;
	while (s->ndying > 0 && clock_ms() < end)
		loop_run_once(s->l, 100);
	if (s->ndying > 0)
		log_error("sandbox: %zu sessions did not exit after SIGKILL", s->ndying);
	close(s->null);
	free(s->lim.bwrap);
	free(s->lim.python);
	free(s->why);
	free(s);
}

bool sbx_check(const struct sbx *s, const char **why)
{
	if (why)
		*why = s->why;
	return !s->why;
}

static struct sbx_job *job_new(void)
{
	struct sbx_job *j = xcalloc(1, sizeof(*j));

	j->src_fd = -1;
	return j;
}

static void enqueue(struct sbx_sess *sess, struct sbx_job *j)
{
	if (sess->tail)
		sess->tail->next = j;
	else
		sess->head = j;
	sess->tail = j;
	sess->last_used = clock_ms();
	if (sess->state == SBX_READY)
		sess_next(sess);
}

void sbx_exec(struct sbx *s, const char *key, const char *code, sbx_done_fn *done, void *ctx)
{
	struct sbx_sess *sess;
	struct sbx_job *j;

	if (s->why) {
		sbx_refuse(s, done, ctx, ERR_UNAVAILABLE, s->why);
		return;
	}
	sess = sbx_sess_get(s, key);
	if (!sess) {
		sbx_refuse(s, done, ctx, ERR_RATE,
			   "every sandbox session is busy; try again shortly");
		return;
	}
	j = job_new();
	j->code = xstrdup(code);
	j->done = done;
	j->ctx = ctx;
	enqueue(sess, j);
}

int sbx_put_file(struct sbx *s, const char *key, const char *name, const char *src_path)
{
	struct sbx_sess *sess;
	struct sbx_job *j;
	int fd;

	if (s->why)
		return ERR_UNAVAILABLE;
	if (!sbx_files_name_ok(name))
		return ERR_INVALID;
	fd = open(src_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ERR_NOT_FOUND;
	sess = sbx_sess_get(s, key);
	if (!sess) {
		close(fd);
		return ERR_RATE;
	}
	j = job_new();
	j->name = xstrdup(name);
	j->src_fd = fd;
	enqueue(sess, j);
	return 0;
}

int sbx_open_file(struct sbx *s, const char *key, const char *name, int *fd)
{
	struct sbx_sess *sess = sbx_sess_find(s, key);

	*fd = -1;
	if (!name[0] || name[0] == '/' || strstr(name, ".."))
		return ERR_INVALID;
	if (!sess || sess->data < 0)
		return ERR_NOT_FOUND;
	return sbx_files_open(sess->data, name, fd);
}

void sbx_end(struct sbx *s, const char *key)
{
	struct sbx_sess *sess = sbx_sess_find(s, key);

	if (!sess)
		return;
	sbx_sess_kill(sess);
	sbx_pool_fill(s);
}

size_t sbx_sessions(const struct sbx *s)
{
	return s->nbound;
}

size_t sbx_pooled(const struct sbx *s)
{
	return s->npool;
}
