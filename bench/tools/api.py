#!/usr/bin/env python3
"""api.py - the few Assistants API calls the benchmarks need, over one keep-alive connection.

  api.py PORT threads N               create N threads, print their ids
  api.py PORT messages THREAD N       create N user messages in THREAD, print their ids
  api.py PORT verify ACKED THREAD...  page through every message of the threads and compare
                                      with the ids in file ACKED (one a line); prints
                                      "acked A stored S survived V" (V = acked ids found)
  api.py PORT get PATH N              GET PATH N times (a fixed amount of work, for profiles;
                                      PATH may answer JSON or text, like /metrics)

Exits 1 with a message on stderr when a call does not answer 200.
"""
import http.client
import json
import sys

HEADERS = {
    "Authorization": "Bearer x",
    "OpenAI-Beta": "assistants=v2",
    "Content-Type": "application/json",
}


class Api:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body)
        self.conn.request(method, path, body=data, headers=HEADERS)
        res = self.conn.getresponse()
        text = res.read()
        if res.status != 200:
            sys.exit(f"api.py: {method} {path} -> {res.status}: {text[:300]!r}")
        if not res.getheader("Content-Type", "").startswith("application/json"):
            return text  # /metrics: Prometheus text
        return json.loads(text)


def create_threads(api, n):
    for _ in range(n):
        print(api.call("POST", "/v1/threads", {})["id"])


def create_messages(api, tid, n):
    for i in range(n):
        msg = {"role": "user", "content": f"benchmark message {i}: hello there"}
        print(api.call("POST", f"/v1/threads/{tid}/messages", msg)["id"])


def thread_message_ids(api, tid):
    ids, after = [], None
    while True:
        path = f"/v1/threads/{tid}/messages?limit=100&order=asc"
        if after:
            path += f"&after={after}"
        page = api.call("GET", path)
        ids.extend(m["id"] for m in page["data"])
        if not page.get("has_more") or not page["data"]:
            return ids
        after = page["data"][-1]["id"]


def verify(api, acked_file, tids):
    with open(acked_file) as f:
        acked = {line.strip() for line in f if line.strip()}
    stored = set()
    for tid in tids:
        stored.update(thread_message_ids(api, tid))
    print(f"acked {len(acked)} stored {len(stored)} survived {len(acked & stored)}")


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    api = Api(int(argv[1]))
    cmd, args = argv[2], argv[3:]
    if cmd == "threads" and len(args) == 1:
        create_threads(api, int(args[0]))
    elif cmd == "messages" and len(args) == 2:
        create_messages(api, args[0], int(args[1]))
    elif cmd == "get" and len(args) == 2:
        for _ in range(int(args[1])):
            api.call("GET", args[0])
    elif cmd == "verify" and len(args) >= 2:
        verify(api, args[0], args[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
