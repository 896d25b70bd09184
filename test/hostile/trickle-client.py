#!/usr/bin/env python3
"""A hostile client for the trickle tests: N connections that send one byte
per send() (TCP_NODELAY, so one segment each) and read nothing, so that
echod has to hold what it cannot send (run it where socket buffers are small:
test/helpers/netns.ts). Bounded: stops at LIMIT bytes per connection or once every
connection has been blocked for 4 s, and every wait has a deadline.

  trickle-client.py PORT CONNECTIONS LIMIT [PREFIX_HEX] [NO_LF] [WRITE_SIZE]

WRITE_SIZE (default 1) sends that many bytes per send() instead, for bulk
floods through the same small receive buffer. With a 7th argument "until-stop"
a blocked connection is never given up on: the client sends until LIMIT, or
until a line "stop" arrives on stdin (the caller saw echod pause them all).

Prints one JSON line {"sent": [...]} when done sending, then waits for a
line on stdin. Given "read SUFFIX_HEX EXPECT", it sends SUFFIX to each
connection, reads until each got EXPECT bytes (or 30 s pass), and prints
{"received": [...], "mismatched": [...]}, checking every byte against what
that connection sent (PREFIX, then the pattern, then SUFFIX).
"""
import json
import select
import socket
import sys
import time

port, count, limit = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
prefix = bytes.fromhex(sys.argv[4]) if len(sys.argv) > 4 else b""
no_lf = len(sys.argv) > 5 and sys.argv[5] == "1"
write_size = int(sys.argv[6]) if len(sys.argv) > 6 else 1
until_stop = len(sys.argv) > 7 and sys.argv[7] == "until-stop"


def pattern(i):
    b = (i * 7 + 3) & 0xFF
    return 11 if no_lf and b == 10 else b


def byte_at(i):
    return prefix[i] if i < len(prefix) else pattern(i)


# The plain pattern repeats every 256 bytes: bulk sends and checks slice it.
PLAIN = bytes(((i * 7 + 3) & 0xFF) for i in range(256)) * 1025


def plain(offset, length):
    return PLAIN[offset % 256 : offset % 256 + length]


fast = not prefix and not no_lf


socks = []
for _ in range(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if write_size > 1:
        # Bulk floods read back through a 4 KiB receive buffer, as a slow client would.
        # (Not for 1-byte trickles: tiny segments overflow it and stall on retransmits.)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    socks.append(s)

sent = [0] * count
blocked_since = [None] * count
deadline = time.monotonic() + 90
while time.monotonic() < deadline:
    active = False
    for k, s in enumerate(socks):
        if sent[k] >= limit:
            continue
        if not until_stop and blocked_since[k] is not None and time.monotonic() - blocked_since[k] > 4:
            continue
        active = True
        for _ in range(256):
            if sent[k] >= limit:
                break
            try:
                if write_size > 1 and fast:
                    sent[k] += s.send(plain(sent[k], min(write_size, limit - sent[k], 256 * 1024)))
                else:
                    s.send(bytes((byte_at(sent[k]),)))
                    sent[k] += 1
                blocked_since[k] = None
            except BlockingIOError:
                if blocked_since[k] is None:
                    blocked_since[k] = time.monotonic()
                break
    if not active:
        break
    if until_stop and select.select([sys.stdin], [], [], 0)[0]:
        sys.stdin.readline()
        break
    if all(b is not None for b in blocked_since):
        time.sleep(0.01)

print(json.dumps({"sent": sent}), flush=True)
command = sys.stdin.readline().split()
if command and command[0] == "read":
    suffix = bytes.fromhex(command[1]) if command[1] != "-" else b""
    expect = int(command[2])
    for k, s in enumerate(socks):
        s.setblocking(True)
        s.sendall(suffix)
        s.setblocking(False)
    received = [0] * count
    mismatched = [False] * count
    closed = [False] * count
    end = time.monotonic() + 30
    while time.monotonic() < end:
        waiting = [s for k, s in enumerate(socks) if received[k] < expect and not closed[k]]
        if not waiting:
            break
        ready, _, _ = select.select(waiting, [], [], 0.5)
        for s in ready:
            k = socks.index(s)
            data = s.recv(65536)
            if not data:
                closed[k] = True
                continue
            if fast and received[k] + len(data) <= sent[k]:
                if data != plain(received[k], len(data)):
                    mismatched[k] = True
                received[k] += len(data)
                continue
            for j, b in enumerate(data):
                i = received[k] + j
                want = byte_at(i) if i < sent[k] else suffix[i - sent[k]] if i - sent[k] < len(suffix) else -1
                if b != want:
                    mismatched[k] = True
            received[k] += len(data)
    print(json.dumps({"received": received, "mismatched": mismatched}), flush=True)
for s in socks:
    s.close()
