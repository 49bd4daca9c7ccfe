#!/usr/bin/env python3
"""preauth_upload.py - many large uploads at once without an API key.

    python3 bench/tools/preauth_upload.py PORT [CONNECTIONS] [MB]

Opens CONNECTIONS connections (default 200) at once; each sends POST /v1/assistants with a
Content-Length of MB megabytes (default 4) and no Authorization header, then writes the body
as fast as the server takes it, until the server answers or closes. Prints one line:
"CONNECTIONS STATUSES SENT_MB SECONDS", where STATUSES counts the status codes seen (a
connection reset before its answer could be read counts as "closed").
"""
import asyncio
import collections
import sys
import time

CHUNK = 64 * 1024


def outcome(answer):
    """The status line the server sent, or b"" (and the future's error counts as seen)."""
    if not answer.done():
        answer.cancel()
        return b""
    if answer.cancelled() or answer.exception() is not None:
        return b""
    return answer.result()


async def upload(port, size, statuses, sent):
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        statuses["connect-failed"] += 1
        return
    head = (f"POST /v1/assistants HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n")
    answer = asyncio.ensure_future(reader.readline())
    chunk = b" " * CHUNK
    left = size
    try:
        writer.write(head.encode())
        while left > 0 and not answer.done():
            n = min(CHUNK, left)
            writer.write(chunk[:n])
            await writer.drain()
            left -= n
            sent[0] += n
        await asyncio.wait_for(asyncio.shield(answer), 120)
    except (OSError, asyncio.TimeoutError):
        pass
    parts = outcome(answer).split()
    statuses[parts[1].decode() if len(parts) > 1 else "closed"] += 1
    writer.close()


async def main():
    port = int(sys.argv[1])
    conns = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    mb = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    statuses = collections.Counter()
    sent = [0]
    t0 = time.monotonic()
    await asyncio.gather(*(upload(port, mb << 20, statuses, sent) for _ in range(conns)),
                         return_exceptions=True)
    summary = ",".join(f"{k}x{v}" for k, v in sorted(statuses.items()))
    print(f"{conns} {summary} {sent[0] / 1048576:.1f} {time.monotonic() - t0:.2f}")


asyncio.run(main())
