/* schemas_vs.c - the request-body tables for vector stores, their files and batches, and the
 * search endpoint.
 *
 * Transcribed from the spec's CreateVectorStoreRequest, UpdateVectorStoreRequest,
 * CreateVectorStoreFileRequest, UpdateVectorStoreFileAttributesRequest,
 * CreateVectorStoreFileBatchRequest and VectorStoreSearchRequest. Rules the tables cannot say
 * (file_ids or files, not both; a static chunk overlap of at most half the chunk) are checked
 * by the handlers. */
#include "schemas.h"

#include <stddef.h>

static const struct sc_schema str = { .type = SC_STRING };
static const struct sc_schema boolean = { .type = SC_BOOL };
static const struct sc_schema number = { .type = SC_NUMBER };
static const struct sc_schema id_str = { .type = SC_STRING, .min_len = 1, .max_len = 64 };

/* VectorStoreExpirationAfter: {anchor: "last_active_at", days: 1..365}. */
static const char *const anchor_values[] = { "last_active_at", NULL };
static const struct sc_schema anchor = { .type = SC_ENUM, .values = anchor_values };
static const struct sc_schema days = {
	.type = SC_INT, .has_min = true, .has_max = true, .min = 1, .max = 365 };
static const struct sc_field expires_fields[] = {
	{ "anchor", &anchor, true },
	{ "days", &days, true },
	{ NULL, NULL, false },
};
static const struct sc_schema expires_after = { .type = SC_OBJECT, .fields = expires_fields };
static const struct sc_schema expires_after_null = {
	.type = SC_OBJECT, .nullable = true, .fields = expires_fields };

/* VectorStoreFileAttributes: at most 16 keys of 64 characters; a string of 512, a number or a
 * boolean each. */
static const struct sc_schema attr_str = { .type = SC_STRING, .max_len = 512 };
static const struct sc_schema *const attr_alts[] = { &attr_str, &number, &boolean, NULL };
static const struct sc_schema attr_value = { .type = SC_ANYOF, .alts = attr_alts };
static const struct sc_schema attributes = {
	.type = SC_MAP, .nullable = true, .items = &attr_value, .max_items = 16,
	.max_key_len = 64 };

/* --- CreateVectorStoreRequest / UpdateVectorStoreRequest --- */
static const struct sc_schema file_ids_500 = {
	.type = SC_ARRAY, .items = &id_str, .max_items = 500 };
static const struct sc_schema name_str = { .type = SC_STRING, .max_len = 256 };
static const struct sc_schema name_null = { .type = SC_STRING, .nullable = true, .max_len = 256 };
static const struct sc_field create_vs_fields[] = {
	{ "file_ids", &file_ids_500, false },
	{ "name", &name_str, false },
	{ "description", &str, false },
	{ "expires_after", &expires_after, false },
	{ "chunking_strategy", &sc_chunking_strategy, false },
	{ "metadata", &sc_metadata, false },
	{ NULL, NULL, false },
};
const struct sc_schema sc_create_vector_store = { .type = SC_OBJECT, .fields = create_vs_fields };

static const struct sc_field update_vs_fields[] = {
	{ "name", &name_null, false },
	{ "expires_after", &expires_after_null, false },
	{ "metadata", &sc_metadata, false },
	{ NULL, NULL, false },
};
const struct sc_schema sc_update_vector_store = { .type = SC_OBJECT, .fields = update_vs_fields };

/* --- CreateVectorStoreFileRequest / UpdateVectorStoreFileAttributesRequest --- */
static const struct sc_field create_file_fields[] = {
	{ "file_id", &id_str, true },
	{ "chunking_strategy", &sc_chunking_strategy, false },
	{ "attributes", &attributes, false },
	{ NULL, NULL, false },
};
const struct sc_schema sc_create_vs_file = { .type = SC_OBJECT, .fields = create_file_fields };

static const struct sc_field update_file_fields[] = {
	{ "attributes", &attributes, true },
	{ NULL, NULL, false },
};
const struct sc_schema sc_update_vs_file = { .type = SC_OBJECT, .fields = update_file_fields };

/* --- CreateVectorStoreFileBatchRequest --- */
static const struct sc_schema file_ids_2000 = {
	.type = SC_ARRAY, .items = &id_str, .min_items = 1, .max_items = 2000 };
static const struct sc_schema files_2000 = {
	.type = SC_ARRAY, .items = &sc_create_vs_file, .min_items = 1, .max_items = 2000 };
static const struct sc_field create_batch_fields[] = {
	{ "file_ids", &file_ids_2000, false },
	{ "files", &files_2000, false },
	{ "chunking_strategy", &sc_chunking_strategy, false },
	{ "attributes", &attributes, false },
	{ NULL, NULL, false },
};
const struct sc_schema sc_create_vs_batch = { .type = SC_OBJECT, .fields = create_batch_fields };

/* --- VectorStoreSearchRequest --- */
static const struct sc_schema query_str = { .type = SC_STRING, .max_len = 4096 };
static const struct sc_schema query_list = {
	.type = SC_ARRAY, .items = &query_str, .min_items = 1, .max_items = 10 };
static const struct sc_schema *const query_alts[] = { &query_str, &query_list, NULL };
static const struct sc_schema query = { .type = SC_ANYOF, .alts = query_alts };

/* ComparisonFilter: the value is a string, number, boolean or a list of strings and numbers. */
static const struct sc_schema *const list_item_alts[] = { &str, &number, NULL };
static const struct sc_schema list_item = { .type = SC_ANYOF, .alts = list_item_alts };
static const struct sc_schema value_list = { .type = SC_ARRAY, .items = &list_item };
static const struct sc_schema *const value_alts[] = {
	&str, &number, &boolean, &value_list, NULL };
static const struct sc_schema value = { .type = SC_ANYOF, .alts = value_alts };
static const struct sc_field comparison_fields[] = {
	{ "type", &str, true },
	{ "key", &str, true },
	{ "value", &value, true },
	{ NULL, NULL, false },
};
static const struct sc_schema comparison = { .type = SC_OBJECT, .fields = comparison_fields };

/* CompoundFilter: and/or over filters, nested (JSON depth bounds the nesting). */
static const struct sc_schema filter;
static const struct sc_schema filters_list = { .type = SC_ARRAY, .items = &filter };
static const struct sc_field compound_fields[] = {
	{ "type", &str, true },
	{ "filters", &filters_list, true },
	{ NULL, NULL, false },
};
static const struct sc_schema compound = { .type = SC_OBJECT, .fields = compound_fields };
static const struct sc_variant filter_variants[] = {
	{ "eq", &comparison }, { "ne", &comparison }, { "gt", &comparison },
	{ "gte", &comparison }, { "lt", &comparison }, { "lte", &comparison },
	{ "in", &comparison }, { "nin", &comparison }, { "and", &compound },
	{ "or", &compound }, { NULL, NULL },
};
static const struct sc_schema filter = { .type = SC_UNION, .variants = filter_variants };

static const char *const ranker_values[] = { "none", "auto", "default-2024-11-15", NULL };
static const struct sc_schema ranker = { .type = SC_ENUM, .values = ranker_values };
static const struct sc_schema threshold = {
	.type = SC_NUMBER, .has_min = true, .has_max = true, .min = 0, .max = 1 };
static const struct sc_field ranking_fields[] = {
	{ "ranker", &ranker, false },
	{ "score_threshold", &threshold, false },
	{ NULL, NULL, false },
};
static const struct sc_schema ranking = { .type = SC_OBJECT, .fields = ranking_fields };
static const struct sc_schema max_results = {
	.type = SC_INT, .has_min = true, .has_max = true, .min = 1, .max = 50 };
static const struct sc_field search_fields[] = {
	{ "query", &query, true },
	{ "rewrite_query", &boolean, false },
	{ "max_num_results", &max_results, false },
	{ "filters", &filter, false },
	{ "ranking_options", &ranking, false },
	{ NULL, NULL, false },
};
const struct sc_schema sc_search_vector_store = { .type = SC_OBJECT, .fields = search_fields };
