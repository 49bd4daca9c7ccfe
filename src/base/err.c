/* err.c - lookups into the error table of err.h. */
#include "err.h"

struct err_info {
	const char *name;
	int status;
	const char *type;
	const char *message;
};

static const struct err_info table[ERR_COUNT] = {
	[ERR_OK] = { "ERR_OK", 200, "", "" },
#define ERR_ROW(name, status, type, msg) [name] = { #name, status, type, msg },
	ERR_TABLE(ERR_ROW)
#undef ERR_ROW
};

static const struct err_info *info(int err)
{
	if (err < 0 || err >= ERR_COUNT)
		return &table[ERR_INTERNAL];
	return &table[err];
}

int err_status(int err)
{
	return info(err)->status;
}

const char *err_type(int err)
{
	return info(err)->type;
}

const char *err_message(int err)
{
	return info(err)->message;
}

const char *err_name(int err)
{
	return info(err)->name;
}
