/* pg_vs_schema.c - the PostgreSQL schema of vector-store files, chunks and the keyword
 * index: one migration, which pg_migrate.c runs after the core tables.
 *
 * vs_files: one row per file attached to a vector store, as on SQLite (body is JSONB);
 * claimed_by is the node that runs its ingestion job (pg_vs_claim.c).
 * chunks: a file's text in pieces, each with its tsvector, its length in tokens (for BM25)
 * and its vector (float32, native byte order, or NULL). The text search configuration
 * assistd_text stems English words and keeps stop words, like the SQLite index's porter
 * tokenizer. The GIN index on tsv finds the chunks holding a lexeme. chunk_stats (one row)
 * holds the number of chunks and their total length in tokens, which BM25 needs, kept by
 * statement triggers (its row lock is held from a chunk write's end to its commit only).
 * Inserting or deleting chunks with vectors NOTIFYs the store's change topic
 * "vec:<project>/<vector_store_id>" (pg_notify.c's channel), which every node's vector cache
 * watches (pg_vec_listen.c).
 * assistd_vs_recount and assistd_vs_move keep the stores' and batches' file_counts, status and
 * usage_bytes (pg_vs.c); assistd_anyq makes the tsquery matching any of a list of lexemes. */
#include "pg_vs_int.h"

/* The five counters of the vs_files rows matching cond, as a JSONB object, and the number in
 * progress. */
#define COUNTS(cond)                                                                          \
	"SELECT jsonb_build_object("                                                          \
	"'in_progress', count(*) FILTER (WHERE status = 'in_progress'), "                    \
	"'completed', count(*) FILTER (WHERE status = 'completed'), "                        \
	"'failed', count(*) FILTER (WHERE status = 'failed'), "                              \
	"'cancelled', count(*) FILTER (WHERE status = 'cancelled'), 'total', count(*)) "     \
	"AS counts, count(*) FILTER (WHERE status = 'in_progress') AS ip, "                  \
	"coalesce(sum(usage_bytes), 0) AS usage FROM vs_files WHERE " cond

const char pg_vs_schema[] =
	"CREATE TEXT SEARCH DICTIONARY assistd_stem (TEMPLATE = snowball, Language = english);"
	"CREATE TEXT SEARCH CONFIGURATION assistd_text (COPY = english);"
	"ALTER TEXT SEARCH CONFIGURATION assistd_text ALTER MAPPING FOR asciiword, asciihword, "
	" hword_asciipart, word, hword, hword_part WITH assistd_stem;"
	"CREATE SEQUENCE vs_files_seq;"
	"CREATE TABLE vs_files ("
	" project TEXT NOT NULL,"
	" vector_store_id TEXT NOT NULL,"
	" file_id TEXT NOT NULL,"
	" batch_id TEXT,"
	" status TEXT NOT NULL,"
	" filename TEXT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" seq BIGINT NOT NULL,"
	" usage_bytes BIGINT NOT NULL DEFAULT 0,"
	" claimed_by TEXT,"
	" body JSONB NOT NULL,"
	" PRIMARY KEY (project, vector_store_id, file_id));"
	"CREATE INDEX vs_files_list ON vs_files (project, vector_store_id, created_at, seq);"
	"CREATE INDEX vs_files_batch ON vs_files (project, batch_id, created_at, seq)"
	" WHERE batch_id IS NOT NULL;"
	"CREATE INDEX vs_files_file ON vs_files (project, file_id);"
	"CREATE INDEX vs_files_jobs ON vs_files (seq) WHERE status = 'in_progress';"
	"CREATE TABLE chunks ("
	" id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" project TEXT NOT NULL,"
	" vector_store_id TEXT NOT NULL,"
	" file_id TEXT NOT NULL,"
	" idx BIGINT NOT NULL,"
	" text TEXT NOT NULL,"
	" tsv TSVECTOR NOT NULL,"
	" len INTEGER NOT NULL,"
	" vec BYTEA);"
	"CREATE INDEX chunks_file ON chunks (project, vector_store_id, file_id, idx);"
	"CREATE INDEX chunks_tsv ON chunks USING gin (tsv);"
	"CREATE TABLE chunk_stats (one BOOLEAN PRIMARY KEY DEFAULT true CHECK (one),"
	" rows BIGINT NOT NULL, tokens BIGINT NOT NULL);"
	"INSERT INTO chunk_stats VALUES (true, 0, 0);"
	"CREATE FUNCTION assistd_stats_add() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	" UPDATE chunk_stats SET rows = rows + d.n, tokens = tokens + d.t FROM (SELECT"
	" count(*) AS n, coalesce(sum(len), 0) AS t FROM changed) AS d WHERE d.n > 0;"
	" RETURN NULL; END $$;"
	"CREATE FUNCTION assistd_stats_sub() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	" UPDATE chunk_stats SET rows = rows - d.n, tokens = tokens - d.t FROM (SELECT"
	" count(*) AS n, coalesce(sum(len), 0) AS t FROM changed) AS d WHERE d.n > 0;"
	" RETURN NULL; END $$;"
	"CREATE TRIGGER chunks_stats_ai AFTER INSERT ON chunks REFERENCING NEW TABLE AS changed"
	" FOR EACH STATEMENT EXECUTE FUNCTION assistd_stats_add();"
	"CREATE TRIGGER chunks_stats_ad AFTER DELETE ON chunks REFERENCING OLD TABLE AS changed"
	" FOR EACH STATEMENT EXECUTE FUNCTION assistd_stats_sub();"
	"CREATE FUNCTION assistd_vec_notify() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	" PERFORM pg_notify('assistd', k) FROM (SELECT DISTINCT"
	" 'vec:' || project || '/' || vector_store_id AS k FROM changed WHERE vec IS NOT NULL)"
	" AS d;"
	" RETURN NULL; END $$;"
	"CREATE TRIGGER chunks_vec_ai AFTER INSERT ON chunks REFERENCING NEW TABLE AS changed"
	" FOR EACH STATEMENT EXECUTE FUNCTION assistd_vec_notify();"
	"CREATE TRIGGER chunks_vec_ad AFTER DELETE ON chunks REFERENCING OLD TABLE AS changed"
	" FOR EACH STATEMENT EXECUTE FUNCTION assistd_vec_notify();"
	/* Recounts store vs (an expired one stays expired) and batch (a cancelled one stays
	 * cancelled; NULL: none) from their files. */
	"CREATE FUNCTION assistd_vs_recount(p TEXT, vs TEXT, batch TEXT) RETURNS void"
	" LANGUAGE sql AS $$"
	" UPDATE objects o SET version = o.version + 1, body = jsonb_set(jsonb_set(jsonb_set("
	" o.body::jsonb, '{file_counts}', c.counts), '{usage_bytes}', to_jsonb(c.usage)),"
	" '{status}', to_jsonb(CASE WHEN o.body::jsonb->>'status' = 'expired' THEN 'expired'"
	" WHEN c.ip > 0 THEN 'in_progress' ELSE 'completed' END))"
	" FROM (" COUNTS("project = p AND vector_store_id = vs") ") AS c"
	" WHERE o.project = p AND o.id = vs AND o.kind = 'vector_store';"
	" UPDATE objects o SET version = o.version + 1, body = jsonb_set(jsonb_set("
	" o.body::jsonb, '{file_counts}', c.counts), '{status}', to_jsonb(CASE"
	" WHEN o.body::jsonb->>'status' = 'cancelled' THEN 'cancelled'"
	" WHEN c.ip > 0 THEN 'in_progress' ELSE 'completed' END))"
	" FROM (" COUNTS("project = p AND batch_id = batch") ") AS c"
	" WHERE batch IS NOT NULL AND o.project = p AND o.id = batch"
	" AND o.kind = 'vector_store_batch'; $$;"
	/* Body b with one file moved from counter src to counter dst (NULL src: a new file,
	 * NULL dst: a file gone), usage added to usage_bytes (NULL: no such member), and the
	 * status following the files in progress unless it is keep. */
	"CREATE FUNCTION assistd_vs_step(b JSONB, src TEXT, dst TEXT, usage BIGINT, keep TEXT)"
	" RETURNS JSONB LANGUAGE plpgsql IMMUTABLE AS $$"
	" DECLARE fc JSONB := b->'file_counts'; BEGIN"
	" IF src IS NOT NULL AND dst IS NOT NULL AND src = dst THEN src := NULL; dst := NULL;"
	" END IF;"
	" IF src IS NOT NULL THEN"
	"  fc := jsonb_set(fc, ARRAY[src], to_jsonb((fc->>src)::bigint - 1));"
	"  fc := jsonb_set(fc, '{total}', to_jsonb((fc->>'total')::bigint - 1)); END IF;"
	" IF dst IS NOT NULL THEN"
	"  fc := jsonb_set(fc, ARRAY[dst], to_jsonb((fc->>dst)::bigint + 1));"
	"  fc := jsonb_set(fc, '{total}', to_jsonb((fc->>'total')::bigint + 1)); END IF;"
	" b := jsonb_set(b, '{file_counts}', fc);"
	" IF usage IS NOT NULL THEN"
	"  b := jsonb_set(b, '{usage_bytes}', to_jsonb((b->>'usage_bytes')::bigint + usage));"
	" END IF;"
	" IF b->>'status' IS DISTINCT FROM keep THEN"
	"  b := jsonb_set(b, '{status}', to_jsonb(CASE WHEN (fc->>'in_progress')::bigint > 0"
	"  THEN 'in_progress' ELSE 'completed' END)); END IF;"
	" RETURN b; END $$;"
	/* Moves one file of store vs and of batch from counter src to counter dst. */
	"CREATE FUNCTION assistd_vs_move(p TEXT, vs TEXT, batch TEXT, src TEXT, dst TEXT,"
	" usage BIGINT) RETURNS void LANGUAGE sql AS $$"
	" UPDATE objects SET version = version + 1,"
	" body = assistd_vs_step(body::jsonb, src, dst, usage, 'expired')"
	" WHERE project = p AND id = vs AND kind = 'vector_store';"
	" UPDATE objects SET version = version + 1,"
	" body = assistd_vs_step(body::jsonb, src, dst, NULL, 'cancelled')"
	" WHERE batch IS NOT NULL AND project = p AND id = batch"
	" AND kind = 'vector_store_batch'; $$;"
	/* The tsquery matching any of the lexemes (quoted: taken as they are). */
	"CREATE FUNCTION assistd_anyq(lexemes TEXT[]) RETURNS tsquery LANGUAGE sql IMMUTABLE AS $$"
	" SELECT string_agg('''' || replace(replace(l, '\\', '\\\\'), '''', '''''') || '''',"
	" ' | ')::tsquery FROM unnest(lexemes) AS l $$;";
