"""A loopback HTTP/1.1 proxy that stalls every Nth response (issue 19 item 4, `bench/stall.py`).

The bench's twin of the tests' FaultInjectingTcpProxy, reduced to the one fault it measures:
requests and responses are framed (Content-Length or chunked), and every Nth response the
server sends is never forwarded — the connection stays open until the client gives up on it,
as a stalled connection on a bad network does. N = 0 forwards everything, so a fault-free run
pays the same proxy as a stalled one.

Runs as its own process (`python3 stallproxy.py --upstream PORT --every N --port-file F`) so
the harness can pin it with the emulator, on the "server" side of the link. Each response is
one line on stdout: `<number> <seconds since start> <method> <target> <status> stall|-`; the harness counts the
lines written during a run to tell how many responses and stalls it had.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

CHUNK = 256 * 1024


async def read_head(reader: asyncio.StreamReader) -> bytes | None:
    """The next message head including its blank line, or None at the end of the stream."""
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as e:
        if not e.partial:
            return None
        raise
    except asyncio.LimitOverrunError:
        raise ConnectionError("message head too long")


def header(head: bytes, name: bytes) -> bytes | None:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    return None


async def copy_exactly(reader, writer, count: int) -> None:
    while count > 0:
        data = await reader.read(min(count, CHUNK))
        if not data:
            raise ConnectionError("connection closed inside a body")
        writer.write(data)
        await writer.drain()
        count -= len(data)


async def copy_body(reader, writer, head: bytes, has_body: bool, is_response: bool) -> None:
    if not has_body:
        return
    length = header(head, b"content-length")
    if length is not None:
        await copy_exactly(reader, writer, int(length))
        return
    if b"chunked" in (header(head, b"transfer-encoding") or b"").lower():
        while True:
            line = await reader.readuntil(b"\r\n")
            writer.write(line)
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                while (trailer := await reader.readuntil(b"\r\n")) != b"\r\n":
                    writer.write(trailer)
                writer.write(trailer)
                await writer.drain()
                return
            await copy_exactly(reader, writer, size + 2)
        return
    if is_response:  # delimited by the end of the connection
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()


class Proxy:
    def __init__(self, upstream: int, every: int):
        self.upstream, self.every, self.responses = upstream, every, 0
        self.started = time.monotonic()

    async def serve(self, client_reader, client_writer) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.upstream)
        except OSError:
            client_writer.close()
            return
        sent: asyncio.Queue = asyncio.Queue()
        tasks = [asyncio.create_task(self._requests(client_reader, server_writer, sent)),
                 asyncio.create_task(self._responses(server_reader, client_writer, sent))]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for w in (client_writer, server_writer):
                w.close()

    async def _requests(self, reader, writer, sent: asyncio.Queue) -> None:
        while (head := await read_head(reader)) is not None:
            method, target = head.split(b" ", 2)[:2]
            await sent.put((method.decode(), target.decode()))
            writer.write(head)
            await copy_body(reader, writer, head, True, is_response=False)

    async def _responses(self, reader, writer, sent: asyncio.Queue) -> None:
        while (head := await read_head(reader)) is not None:
            status = int(head.split(b" ", 2)[1])
            if status == 100:
                writer.write(head)
                await writer.drain()
                continue
            method, target = await sent.get()
            self.responses += 1
            stall = self.every > 0 and self.responses % self.every == 0
            print(f"{self.responses} {time.monotonic() - self.started:.3f} {method} {target} {status} {'stall' if stall else '-'}", flush=True)
            if stall:
                # Never answer; the client's hedge or timeout ends this connection.
                await asyncio.Event().wait()
            writer.write(head)
            await copy_body(reader, writer, head, method != "HEAD" and status not in (204, 304), is_response=True)


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--upstream", type=int, required=True, help="the emulator's port on 127.0.0.1")
    p.add_argument("--every", type=int, default=10, help="stall every Nth response (0 = never)")
    p.add_argument("--port-file", required=True, help="where to write the port this proxy listens on")
    a = p.parse_args()
    proxy = Proxy(a.upstream, a.every)
    server = await asyncio.start_server(proxy.serve, "127.0.0.1", 0, limit=1 << 20)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(server.sockets[0].getsockname()[1]))
    os.replace(a.port_file + ".tmp", a.port_file)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
