/* vs.h - what the vector store handlers share (vs.c): building VectorStore and
 * VectorStoreFile objects, checking file ids and chunking strategies, attaching files and
 * waking the ingestion workers. Also used by tool_resources' inline vector store creation. */
#ifndef ASSISTD_VS_H
#define ASSISTD_VS_H

#include "../base/id.h"
#include "../store/vstore.h"
#include "common.h"

/* Files about to be attached, each with its VectorStoreFile JSON. */
struct vs_attach {
	struct vsf_new *files; /* owned; n of them, strings owned by the arrays below */
	size_t n;
	char **names;          /* owned filenames */
	char **bodies;         /* owned JSON texts */
	bool indexed;          /* errors name items[i] (false: the one file_id of the request) */
};

/* Prepares the files of items (an array of file id strings, or of {file_id, attributes,
 * chunking_strategy} objects whose missing members take strategy and attrs) for vector store
 * vs. Every file must exist in the project; errors name param[i] (or just param when it is
 * "file_id", a single file's request). Fills *a (free with
 * vs_attach_cleanup). Errors: ERR_NOT_FOUND, ERR_INVALID (recorded). */
int vs_attach_prepare(struct http_req *req, const char *vs, const jv *items, const jv *strategy,
		      const jv *attrs, const char *param, struct vs_attach *a);
void vs_attach_cleanup(struct vs_attach *a);
/* Writes a's files to vs in one transaction, after inserting create (the vector store itself,
 * or a batch whose id is batch) when not NULL, and wakes the ingestion workers. */
int vs_attach_commit(struct http_req *req, const char *vs, const struct store_obj *create,
		     const char *batch, const struct vs_attach *a);

/* Creates a vector store from in (a CreateVectorStoreRequest, or a tool_resources helper),
 * with its files. *id receives its id (size ID_MAX + 1); *text, when not NULL, its owned JSON.
 * param prefixes error params ("" for the top level). */
int vs_create(struct http_req *req, const jv *in, const char *param, char *id, char **text);

/* Checks vs exists in the project and has not expired: 404 or 400 (recorded). When body is
 * not NULL it receives the store's owned JSON. */
int vs_usable(struct http_req *req, const char *vs, char **body);

/* Checks vs exists in the project (expired or not): else 404 (recorded). */
int vs_find(struct http_req *req, const char *vs);

/* Every vector_store_ids list of a tool_resources object names a usable store. */
int vs_check_ids(struct http_req *req, const jv *ids, const char *param);

/* The five file counters, all 0 (owned). */
jv *vs_counts_zero(void);

#endif
