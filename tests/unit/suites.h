/* suites.h - the suite table of every unit test file, for t_main.c. */
#ifndef ASSISTD_SUITES_H
#define ASSISTD_SUITES_H

#include "t.h"

extern const struct t_case base_tests[];
extern const struct t_case loop_tests[];
extern const struct t_case json_tests[];
extern const struct t_case store_tests[];
extern const struct t_case store_events_tests[];
extern const struct t_case store_events_pg_tests[];
extern const struct t_case store_pg_tests[];
extern const struct t_case sqlite_pool_tests[];
extern const struct t_case blob_tests[];
extern const struct t_case http_tests[];
extern const struct t_case api_tests[];
extern const struct t_case engine_tests[];
extern const struct t_case providers_tests[];
extern const struct t_case docs_tests[];
extern const struct t_case tools_tests[];
extern const struct t_case ingest_tests[];
extern const struct t_case docs_reader_tests[];
extern const struct t_case sandbox_tests[];
extern const struct t_case text_tests[];
extern const struct t_case server_tools_tests[];
extern const struct t_case vec_tests[];
extern const struct t_case vec_pg_tests[];
extern const struct t_case vstore_tests[];
extern const struct t_case vstore_pg_tests[];
extern const struct t_case limits_tests[];
extern const struct t_case lease_tests[];
extern const struct t_case lease_pg_tests[];

#endif
