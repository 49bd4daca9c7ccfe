/* schemas.h - the request-body schemas of the API, as tables for sc_check (schema.h).
 *
 * One exported schema per request body of the spec; the pieces they share (metadata, tools,
 * tool_resources, response_format, message content) are defined once in schemas.c. */
#ifndef ASSISTD_SCHEMAS_H
#define ASSISTD_SCHEMAS_H

#include "schema.h"

#define API_METADATA_MAX_PAIRS 16
#define API_METADATA_MAX_KEY 64
#define API_METADATA_MAX_VALUE 512

/* Pieces the vector store schemas (schemas_vs.c) share with these. */
extern const struct sc_schema sc_metadata;
extern const struct sc_schema sc_chunking_strategy;

extern const struct sc_schema sc_create_assistant;
extern const struct sc_schema sc_modify_assistant;
extern const struct sc_schema sc_create_thread;
extern const struct sc_schema sc_modify_thread;
extern const struct sc_schema sc_create_message;
extern const struct sc_schema sc_modify_metadata; /* ModifyMessageRequest, ModifyRunRequest */
extern const struct sc_schema sc_create_run;
extern const struct sc_schema sc_create_thread_and_run;
extern const struct sc_schema sc_submit_tool_outputs;
extern const struct sc_schema sc_create_file; /* the form fields besides the file */
/* schemas_vs.c */
extern const struct sc_schema sc_create_vector_store;
extern const struct sc_schema sc_update_vector_store;
extern const struct sc_schema sc_create_vs_file;
extern const struct sc_schema sc_update_vs_file;
extern const struct sc_schema sc_create_vs_batch;
extern const struct sc_schema sc_search_vector_store;

#endif
