#!/usr/bin/env python3
"""scifact.py - retrieval quality of assistd's keyword search on BEIR SciFact.

Puts every SciFact document in one vector store (one file per document, its id in the file's
attributes as doc_id), runs every test query through POST /v1/vector_stores/{id}/search, and
scores the rankings with nDCG@10 and recall@10 as BEIR does (pytrec_eval's ndcg_cut_10 and
recall_10, averaged over the queries that have judgements). Beside it, in the same run, a
plain BM25 written here (Lucene's formula, k1 0.9, b 0.4, lower-cased words, no stemming, no
stop words) ranks the same documents for the same queries.

    bench/tools/scifact.py URL [DATA_DIR]

URL is a running server's base URL (http://127.0.0.1:PORT); DATA_DIR defaults to
/work/shared/data/beir/scifact. With SCIFACT_REUSE=1 a store indexed by an earlier run against
the same data directory is searched again instead of indexing anew. Prints one JSON line: {"assistd": {...}, "plain_bm25": {...}}.
Uses the Python standard library only.
"""
import gzip
import json
import math
import os
import re
import sys
import time
import urllib.request
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

K = 10


def call(url, method="GET", body=None, headers=None):
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    h = {"Content-Type": "application/json"} if isinstance(body, (dict, list)) else {}
    h.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    with urllib.request.urlopen(req, timeout=300) as r:
        return json.loads(r.read())


def upload(base, name, text):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n"
            f"assistants\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{name}\"\r\nContent-Type: text/plain\r\n\r\n").encode()
    body += text.encode() + f"\r\n--{boundary}--\r\n".encode()
    h = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    return call(f"{base}/v1/files", "POST", body, h)["id"]


def load(data_dir):
    with gzip.open(os.path.join(data_dir, "corpus.jsonl.gz"), "rt") as f:
        corpus = {d["_id"]: (d.get("title", "") + "\n\n" + d["text"]) for d in map(json.loads, f)}
    with open(os.path.join(data_dir, "queries.jsonl")) as f:
        queries = {q["_id"]: q["text"] for q in map(json.loads, f)}
    qrels = defaultdict(dict)
    with open(os.path.join(data_dir, "qrels", "test.tsv")) as f:
        next(f)
        for line in f:
            q, d, s = line.strip().split("\t")
            qrels[q][d] = int(s)
    return corpus, {q: queries[q] for q in qrels}, qrels


def existing(base, n):
    """A vector store "scifact" of n completed files left by an earlier run, or None."""
    for v in call(f"{base}/v1/vector_stores?limit=100")["data"]:
        if v["name"] == "scifact" and v["file_counts"]["completed"] == n:
            return v["id"]
    return None


def index(base, corpus):
    """Uploads the documents and attaches them in batches; returns the vector store id."""
    ids = list(corpus)
    if os.environ.get("SCIFACT_REUSE") and existing(base, len(ids)):
        return existing(base, len(ids))
    with ThreadPoolExecutor(8) as ex:
        fids = list(ex.map(lambda d: upload(base, f"{d}.txt", corpus[d]), ids))
    vs = call(f"{base}/v1/vector_stores", "POST", {"name": "scifact"})["id"]
    t0 = time.time()
    for i in range(0, len(ids), 2000):
        files = [{"file_id": f, "attributes": {"doc_id": d}}
                 for d, f in zip(ids[i:i + 2000], fids[i:i + 2000])]
        call(f"{base}/v1/vector_stores/{vs}/file_batches", "POST", {"files": files})
    while True:
        v = call(f"{base}/v1/vector_stores/{vs}")
        if v["file_counts"]["in_progress"] == 0:
            break
        time.sleep(0.5)
    fc = v["file_counts"]
    if fc["completed"] != len(ids):
        sys.exit(f"scifact: only {fc['completed']} of {len(ids)} documents indexed: {fc}")
    print(f"scifact: indexed {len(ids)} documents in {time.time() - t0:.1f} s", file=sys.stderr)
    return vs


def search(base, vs, query):
    r = call(f"{base}/v1/vector_stores/{vs}/search", "POST",
             {"query": query, "max_num_results": 50})
    ranked = []
    for hit in r["data"]:
        d = hit["attributes"]["doc_id"]
        if d not in ranked:
            ranked.append(d)
    return ranked[:K]


WORD = re.compile(r"[a-z0-9]+")


class PlainBM25:
    def __init__(self, corpus, k1=0.9, b=0.4):
        self.k1, self.b = k1, b
        self.tf = {d: Counter(WORD.findall(t.lower())) for d, t in corpus.items()}
        self.dl = {d: sum(c.values()) for d, c in self.tf.items()}
        self.avgdl = sum(self.dl.values()) / len(self.dl)
        df = Counter(w for c in self.tf.values() for w in c)
        n = len(self.tf)
        self.idf = {w: math.log(1 + (n - m + 0.5) / (m + 0.5)) for w, m in df.items()}

    def rank(self, query):
        scores = defaultdict(float)
        for w in WORD.findall(query.lower()):
            if w not in self.idf:
                continue
            for d, c in self.tf.items():
                f = c.get(w)
                if f:
                    norm = f + self.k1 * (1 - self.b + self.b * self.dl[d] / self.avgdl)
                    scores[d] += self.idf[w] * f * (self.k1 + 1) / norm
        return [d for d, _ in sorted(scores.items(), key=lambda x: (-x[1], x[0]))[:K]]


def ndcg(ranked, rel):
    dcg = sum(rel.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:K]))
    ideal = sorted(rel.values(), reverse=True)[:K]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall(ranked, rel):
    hits = sum(1 for d in ranked[:K] if rel.get(d, 0) > 0)
    return hits / sum(1 for r in rel.values() if r > 0)


def score(rankings, qrels):
    n = len(qrels)
    return {"ndcg@10": round(sum(ndcg(rankings.get(q, []), qrels[q]) for q in qrels) / n, 4),
            "recall@10": round(sum(recall(rankings.get(q, []), qrels[q]) for q in qrels) / n, 4),
            "queries": n}


def main():
    base = sys.argv[1].rstrip("/")
    data_dir = sys.argv[2] if len(sys.argv) > 2 else "/work/shared/data/beir/scifact"
    corpus, queries, qrels = load(data_dir)
    vs = index(base, corpus)
    t0 = time.time()
    ours = {q: search(base, vs, text) for q, text in queries.items()}
    took = time.time() - t0
    bm25 = PlainBM25(corpus)
    plain = {q: bm25.rank(text) for q, text in queries.items()}
    out = {"assistd": score(ours, qrels), "plain_bm25": score(plain, qrels),
           "search_ms_mean": round(took * 1000 / len(queries), 2)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
