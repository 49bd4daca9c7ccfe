/* filter.h - a vector store search's attribute filter (a ComparisonFilter or CompoundFilter
 * the API validated) walked into a SQL condition (filter.c). The walk is the same on both
 * backends; each says how one comparison of an attribute with a scalar reads in its SQL
 * (sqlite_filter.c, pg_search_filter.c). Private to src/store.
 *
 * A comparison is false when the attribute is missing or of another JSON type than the value,
 * so strings compare with strings and numbers with numbers; ne and nin are the negations of
 * eq and in, so they also keep files without the attribute. */
#ifndef ASSISTD_FILTER_H
#define ASSISTD_FILTER_H

#include "../base/buf.h"
#include "../json/json.h"

struct filter_dialect {
	const char *yes, *no; /* the SQL of true and false */
	/* Appends to b the comparison of attribute key with scalar v by op ("=", ">", ">=",
	 * "<", "<="): never NULL, no for a missing attribute or another type. Returns 0 or
	 * ERR_LIMIT. */
	int (*scalar)(void *ctx, struct buf *b, const char *key, const char *op, const jv *v);
};

/* Appends filters' condition to b, with d's scalars given ctx. Errors: ERR_INVALID (nested
 * deeper than JV_MAX_DEPTH), ERR_LIMIT. */
int filter_walk(struct buf *b, const jv *filters, const struct filter_dialect *d, void *ctx)
	MUST_CHECK;

#endif
