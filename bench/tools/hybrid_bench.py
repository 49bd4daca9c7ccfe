#!/usr/bin/env python3
"""hybrid_bench.py - the hybrid search benchmark's measure of the embedding call alone.

  hybrid_bench.py embed PORT QUERIES N MODEL
      Sends the first N lines of QUERIES (JSONL with "text"), one by one over one keep-alive
      connection, to the fake upstream's POST /v1/embeddings on 127.0.0.1:PORT, as assistd
      embeds a search query (one input, dimensions 256), and prints JSON: p50, p90, mean in ms.

A hybrid search's latency minus this p50 is what the benchmark counts (bench/cases/
hybrid_search.sh). Standard library only.
"""
import http.client
import json
import statistics
import sys
import time


def embed(port, queries, n, model):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    with open(queries) as f:
        texts = [json.loads(line)["text"] for line in f][:n]
    times = []
    for q in texts:
        body = json.dumps({"model": model, "input": [q], "encoding_format": "float",
                           "dimensions": 256})
        t0 = time.perf_counter()
        conn.request("POST", "/v1/embeddings", body=body,
                     headers={"Content-Type": "application/json"})
        res = conn.getresponse()
        res.read()
        times.append((time.perf_counter() - t0) * 1000)
        if res.status != 200:
            sys.exit(f"hybrid_bench: /v1/embeddings answered {res.status}")
    times.sort()
    print(json.dumps({"queries": len(times), "p50_ms": round(statistics.median(times), 2),
                      "p90_ms": round(times[int(len(times) * 0.9)], 2),
                      "mean_ms": round(statistics.mean(times), 2)}))


def main():
    if len(sys.argv) != 6 or sys.argv[1] != "embed":
        sys.exit(__doc__)
    embed(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5])


if __name__ == "__main__":
    main()
