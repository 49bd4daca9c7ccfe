/* tool.c - the table of server-side tools and the jobs that carry their calls (see tool.h).
 * A new server tool is one row in `tools` and a file of its own (file_search.c). */
#include "tool.h"

#include <stdlib.h>
#include <string.h>

#include "../base/alloc.h"
#include "../base/clock.h"
#include "tool_int.h"

static const struct tool *const tools[] = {
	&tool_file_search,
	&tool_code_interpreter,
};

#define NTOOLS (sizeof(tools) / sizeof(tools[0]))

const struct tool *tool_find(const char *type)
{
	for (size_t i = 0; type && i < NTOOLS; i++) {
		if (strcmp(tools[i]->name, type) == 0)
			return tools[i];
	}
	return NULL;
}

const struct tool *tool_by_function(const jv *run_tools, const char *name)
{
	for (size_t i = 0; name && i < jv_size(run_tools); i++) {
		const struct tool *t = tool_find(jv_get_str(jv_at(run_tools, i), "type"));

		if (t && strcmp(t->name, name) == 0)
			return t;
	}
	return NULL;
}

const char *tool_name(const struct tool *t)
{
	return t->name;
}

jv *tool_function(const struct tool *t, const jv *def, const struct tool_scope *sc)
{
	return t->function(def, sc);
}

int tool_check(const struct tool *t, const struct tool_scope *sc, char **why)
{
	*why = NULL;
	return t->check ? t->check(sc, why) : 0;
}

const char *tool_instructions(const struct tool *t)
{
	return t->instructions;
}

struct tool_job *tool_job_new(const struct tool *t, const struct tool_env *env,
			      const char *project, const jv *run, const char *call_id,
			      const char *arguments, int ordinal)
{
	struct tool_job *j = xcalloc(1, sizeof(*j));

	j->tool = t;
	j->env = env;
	j->project = xstrdup(project);
	j->call_id = xstrdup(call_id);
	j->arguments = xstrdup(arguments ? arguments : "");
	j->run = jv_copy(run);
	j->ordinal = ordinal;
	j->wait_until_ms = clock_ms() + TOOL_WAIT_MS;
	return j;
}

void tool_job_free(struct tool_job *j)
{
	if (!j)
		return;
	free(j->project);
	free(j->call_id);
	free(j->arguments);
	jv_free(j->run);
	jv_free(j->call);
	free(j->fail_code);
	free(j->fail_message);
	if (j->work && j->tool->work_free)
		j->tool->work_free(j->work);
	free(j);
}

unsigned tool_phases(const struct tool *t)
{
	return (t->prepare ? TOOL_PREPARE : 0) | (t->start ? TOOL_START : 0) |
	       (t->run ? TOOL_RUN : 0);
}

void tool_prepare(struct tool_job *j)
{
	j->tool->prepare(j);
}

void tool_start(struct tool_job *j, tool_done_fn *done)
{
	j->tool->start(j, done);
}

void tool_run(struct tool_job *j)
{
	j->tool->run(j);
}

jv *tool_input_delta(const struct tool *t, const char *args, size_t *shown)
{
	return t->input_delta ? t->input_delta(args ? args : "", shown) : NULL;
}

jv *tool_result_delta(const struct tool *t, const jv *call)
{
	return t->result_delta ? t->result_delta(call) : NULL;
}

void tool_fail(struct tool_job *j, int err, const char *code, char *message)
{
	j->err = err;
	j->fail_code = xstrdup(code);
	j->fail_message = message;
}

void tool_output(const struct tool *t, const jv *call, int ordinal, char **arguments,
		 char **output)
{
	t->output(call, ordinal, arguments, output);
}

bool tool_citable(const struct tool *t)
{
	return t->source != NULL;
}

const char *tool_source(const struct tool *t, const jv *call, int64_t result)
{
	return t->source ? t->source(call, result) : NULL;
}

const jv *tool_files(const struct tool *t, const jv *call)
{
	return t->files ? t->files(call) : NULL;
}

bool tool_attached_for(const jv *attachment, const char *type)
{
	const jv *listed = jv_get(attachment, "tools");

	for (size_t i = 0; i < jv_size(listed); i++) {
		const char *t = jv_get_str(jv_at(listed, i), "type");

		if (t && strcmp(t, type) == 0)
			return true;
	}
	return false;
}
