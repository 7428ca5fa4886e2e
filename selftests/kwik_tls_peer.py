#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""kwik_tls_peer - a Kwik server path that turns bad after the handshake.

Accepts one TCP connection on ADDR:PORT, completes TLS 1.3 as a server
(userspace TLS, Python's ssl), answers the client's HELLO and its PINGs so
the path comes up, and once the file TRIGGER exists misbehaves:

  close-notify  sends a TLS close_notify alert        (client: ECONNRESET)
  garbage       writes a bogus application-data record
                below TLS on the TCP socket            (client: EBADMSG)
  urgent        sends a valid record (a PING) whose last
                byte goes as TCP urgent data (MSG_OOB) (client: EPROTO)

TLS runs over memory BIOs, so that the records' bytes can be sent as
the mode needs.

It never accepts a session (JOINs are ignored), so a client session keeps
using its other paths.  Prints "up" when the HELLO exchange is done and
"done MODE" after misbehaving; exits when the client closes.
"""
import argparse
import os
import select
import socket
import ssl
import struct
import sys
import time

HDR = struct.Struct(">BBHIQ")          # type, flags, reserved, len, session
FT_HELLO, FT_PING, FT_PONG = 1, 7, 8


class Tls:
    """A server-side TLS connection over a socket, through memory BIOs."""

    def __init__(self, ctx, raw):
        self.raw = raw
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_side=True)
        self._call(self.obj.do_handshake)

    def flush(self):
        data = self.out.read()
        if data:
            self.raw.sendall(data)

    def _call(self, fn, *args):
        while True:
            try:
                ret = fn(*args)
                self.flush()
                return ret
            except ssl.SSLWantReadError:
                self.flush()
                data = self.raw.recv(16384)
                if not data:
                    raise EOFError
                self.inc.write(data)

    def readable(self, timeout):
        return (self.obj.pending() or self.inc.pending or
                select.select([self.raw], [], [], timeout)[0])

    def recv(self, n):
        try:
            return self._call(self.obj.read, n)
        except ssl.SSLZeroReturnError:
            return b""

    def sendall(self, data):
        self.obj.write(data)
        self.flush()

    def record(self, data):
        """The bytes of the records carrying data, not sent."""
        self.obj.write(data)
        return self.out.read()


def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def read_frame(s):
    ftype, _, _, flen, _ = HDR.unpack(read_exact(s, HDR.size))
    return ftype, read_exact(s, flen) if flen else b""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("listen")
    ap.add_argument("cert")
    ap.add_argument("key")
    ap.add_argument("mode", choices=["close-notify", "garbage", "urgent"])
    ap.add_argument("trigger")
    a = ap.parse_args()

    host, port = a.listen.rsplit(":", 1)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(a.cert, a.key)
    ctx.num_tickets = 0

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, int(port)))
    ls.listen(1)
    print("listening", flush=True)
    raw, _ = ls.accept()
    s = Tls(ctx, raw)
    raw.settimeout(10)

    ftype, _ = read_frame(s)
    if ftype != FT_HELLO:
        sys.exit("expected HELLO, got type %d" % ftype)
    # HELLO: version 1, role 1 (server), flags 0, host nonce.
    s.sendall(HDR.pack(FT_HELLO, 0, 0, 16, 0) +
              struct.pack(">BBHIQ", 1, 1, 0, 0, 0x6b77696b))
    print("up", flush=True)

    while not os.path.exists(a.trigger):
        if not s.readable(0.1):
            continue
        try:
            ftype, body = read_frame(s)
        except EOFError:
            sys.exit("client closed before the trigger")
        if ftype == FT_PING:
            s.sendall(HDR.pack(FT_PONG, 0, 0, len(body), 0) + body)

    if a.mode == "close-notify":
        try:
            s.obj.unwrap()              # close_notify, then the client's
        except (OSError, ssl.SSLError):
            pass                        # not awaited: the client closes
        s.flush()
    elif a.mode == "garbage":
        # A record header for 64 bytes of application data that no key
        # made: the client's kTLS cannot authenticate it.
        raw.sendall(bytes([23, 3, 3, 0, 64]) + os.urandom(64))
    else:
        rec = s.record(HDR.pack(FT_PING, 0, 0, 8, 0) + b"urgent!!")
        raw.sendall(rec[:-1])
        raw.send(rec[-1:], socket.MSG_OOB)
    print("done", a.mode, flush=True)
    # Wait for the client to close the path.
    deadline = time.time() + 30
    while time.time() < deadline:
        if select.select([raw], [], [], 1)[0]:
            try:
                if not raw.recv(4096):
                    break
            except OSError:
                break


if __name__ == "__main__":
    main()
