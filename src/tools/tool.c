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

jv *tool_function(const struct tool *t, const jv *def)
{
	return t->function(def);
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
	free(j);
}

void tool_run(struct tool_job *j)
{
	j->tool->run(j);
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
