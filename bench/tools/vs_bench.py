#!/usr/bin/env python3
"""vs_bench.py - the vector store benchmarks' client side (bench/cases/vs_*.sh).

  vs_bench.py PORT PID ingest FILE [MAX OVERLAP]
      Uploads FILE, attaches it to a new vector store (static chunking MAX/OVERLAP tokens when
      given, else auto) and waits for "completed", sampling the server's VmRSS every 20 ms.
      Prints JSON: seconds from upload to completed, MB/s, the server's CPU seconds meanwhile
      (with PID,DB: and PostgreSQL's, as for search), idle and peak RSS (kB), the store id.
  vs_bench.py PORT PID rawfts DB
      Inserts the chunks assistd stored in DB (its assistd.db, read after an ingest) into a new
      FTS5 table with the same tokenizer, in one transaction, and prints JSON: seconds, CPU
      seconds, bytes.
  vs_bench.py 0 0 corpus OUT BYTES
      Writes a plain-text file of about BYTES bytes to OUT: SciFact's abstracts, over and over.
  vs_bench.py PORT PID search STORE QUERIES N
      Runs the first N lines of QUERIES (JSONL with "text") through the search endpoint over one
      keep-alive connection and prints JSON: p50, p90, mean latency in ms, and the server's CPU
      time per query (all its threads; steadier than latency on a busy machine). PID may be
      PID,DB: then the CPU time of DB (a PostgreSQL postmaster) and its children (the backends
      serving the queries) counts too, and is also given apart as db_cpu_ms.

Standard library only. Exits 1 with a message when a call does not answer 200.
"""
import http.client
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid

HEADERS = {"OpenAI-Beta": "assistants=v2", "Content-Type": "application/json"}
TOKENIZE = "porter unicode61 remove_diacritics 2"


class Api:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def call(self, method, path, body=None, headers=None):
        data = body if isinstance(body, bytes) else (None if body is None else json.dumps(body))
        self.conn.request(method, path, body=data, headers=headers or HEADERS)
        res = self.conn.getresponse()
        text = res.read()
        if res.status != 200:
            sys.exit(f"vs_bench: {method} {path}: {res.status} {text[:300]!r}")
        return json.loads(text)


def cpu_s(pid):
    """User plus system CPU time of process pid so far, in seconds (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid):
    """The processes whose parent is pid."""
    out = []
    for d in os.listdir("/proc"):
        try:
            with open(f"/proc/{d}/stat") as f:
                if d.isdigit() and int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(d))
        except (OSError, ValueError):
            pass
    return out


def tree_cpu_s(pid):
    """CPU seconds of pid and its living children; 0 without a pid."""
    total = 0.0
    for p in ([pid] + children(pid)) if pid else []:
        try:
            total += cpu_s(p)
        except OSError:
            pass
    return total


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    """Keeps the highest VmRSS of pid until stopped."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self):
        while not self.done.is_set():
            self.peak = max(self.peak, rss_kb(self.pid))
            time.sleep(0.02)


def upload(api, path):
    boundary = uuid.uuid4().hex
    with open(path, "rb") as f:
        data = f.read()
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n"
            f"assistants\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{os.path.basename(path)}\"\r\nContent-Type: text/plain\r\n\r\n").encode()
    body += data + f"\r\n--{boundary}--\r\n".encode()
    h = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    return api.call("POST", "/v1/files", body, h)["id"], len(data)


def ingest(port, pids, path, chunk=None):
    api = Api(port)
    pid, db = (list(map(int, pids.split(","))) + [0])[:2]
    idle = rss_kb(pid)
    sampler = Sampler(pid)
    sampler.start()
    cpu0 = cpu_s(pid) + tree_cpu_s(db)
    t0 = time.time()
    fid, size = upload(api, path)
    body = {"file_ids": [fid]}
    if chunk:
        body["chunking_strategy"] = {"type": "static", "static": {
            "max_chunk_size_tokens": int(chunk[0]), "chunk_overlap_tokens": int(chunk[1])}}
    vs = api.call("POST", "/v1/vector_stores", body)["id"]
    while True:
        f = api.call("GET", f"/v1/vector_stores/{vs}/files/{fid}")
        if f["status"] != "in_progress":
            break
        time.sleep(0.02)
    took = time.time() - t0
    cpu = cpu_s(pid) + tree_cpu_s(db) - cpu0
    sampler.done.set()
    sampler.join()
    if f["status"] != "completed":
        sys.exit(f"vs_bench: ingestion ended {f['status']}: {f['last_error']}")
    print(json.dumps({"seconds": round(took, 3), "mb_s": round(size / 1e6 / took, 2),
                      "cpu_s": round(cpu, 3), "bytes": size, "idle_kb": idle,
                      "peak_kb": sampler.peak, "store": vs}))


def rawfts(db):
    src = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = src.execute("SELECT text FROM chunks ORDER BY id").fetchall()
    with tempfile.TemporaryDirectory() as d:
        dst = sqlite3.connect(os.path.join(d, "raw.db"))
        dst.execute("PRAGMA journal_mode = WAL")
        dst.execute("PRAGMA synchronous = NORMAL")
        dst.execute(f"CREATE VIRTUAL TABLE t USING fts5(text, tokenize='{TOKENIZE}')")
        t0, cpu0 = time.time(), time.process_time()
        with dst:
            dst.executemany("INSERT INTO t (text) VALUES (?)", rows)
        took, cpu = time.time() - t0, time.process_time() - cpu0
    print(json.dumps({"seconds": round(took, 3), "cpu_s": round(cpu, 3), "chunks": len(rows),
                      "bytes": sum(len(r[0].encode()) for r in rows)}))


def search(port, pids, vs, queries, n):
    api = Api(port)
    pid, db = (list(map(int, pids.split(","))) + [0])[:2]
    with open(queries) as f:
        texts = [json.loads(line)["text"] for line in f][:n]
    times = []
    db0 = tree_cpu_s(db)
    cpu0 = cpu_s(pid) + db0
    for q in texts:
        t0 = time.perf_counter()
        api.call("POST", f"/v1/vector_stores/{vs}/search", {"query": q})
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    db_ms = (tree_cpu_s(db) - db0) * 1000 / len(times)
    cpu_ms = (cpu_s(pid) + tree_cpu_s(db) - cpu0) * 1000 / len(times)
    print(json.dumps({"queries": len(times), "p50_ms": round(statistics.median(times), 2),
                      "server_cpu_ms": round(cpu_ms, 2), "db_cpu_ms": round(db_ms, 2),
                      "p90_ms": round(times[int(len(times) * 0.9)], 2),
                      "mean_ms": round(statistics.mean(times), 2)}))


def corpus(out, size):
    import gzip
    src = "/work/shared/data/beir/scifact/corpus.jsonl.gz"
    with gzip.open(src, "rt") as f:
        docs = [(d["title"] + "\n" + d["text"] + "\n\n").encode() for d in map(json.loads, f)]
    written = 0
    with open(out, "wb") as f:
        while written < size:
            for d in docs:
                f.write(d)
                written += len(d)
                if written >= size:
                    break


def main():
    port, cmd = int(sys.argv[1]), sys.argv[3]
    if cmd == "ingest":
        ingest(port, sys.argv[2], sys.argv[4], sys.argv[5:7] if len(sys.argv) > 6 else None)
    elif cmd == "rawfts":
        rawfts(sys.argv[4])
    elif cmd == "corpus":
        corpus(sys.argv[4], int(sys.argv[5]))
    elif cmd == "search":
        search(port, sys.argv[2], sys.argv[4], sys.argv[5], int(sys.argv[6]))
    else:
        sys.exit(f"vs_bench: unknown command {cmd}")


if __name__ == "__main__":
    main()
