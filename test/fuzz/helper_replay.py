#!/usr/bin/python3
"""Serve inputs through the real eoswath-granule helper, as the backend does.

usage: helper_replay.py HELPER INPUT_OR_DIR...

For each input: a describe, a footprint, the pixels of pair 0 and a subset
of a box, each through the helper's protocol (src/granule_proto.h) with its
sandbox and limits (1 GB memory, 60 s CPU, 64 MB output).  Prints, per
request, how it ended: "ok", "error SQLSTATE message" (a clean error), or
"killed by signal N" (a crash the sandbox contained: the backend reports
XX001 "the granule helper crashed").  This is what the fuzz target's
verdicts mean for the backend: a library-internal crash under ASan may be a
clean error here, or a contained crash, but never a hang or a wrong reply.

Exit status: 1 if the helper broke its protocol, hung or died itself.
"""
import os
import struct
import subprocess
import sys
import tempfile

GP = {"DESCRIBE": 1, "FOOTPRINT": 2, "PIXELS": 3, "SUBSET": 4}
INFO, FOOTPRINT_REPLY, PIXEL_BLOCK, SUBSET_REPLY, DONE, ERROR, STATUS = 64, 65, 66, 67, 68, 69, 80
ENDS = {0: "exit", 1: "signal", 2: "protocol", 3: "start"}


def i64(v):
    return struct.pack("<q", v)


def f64(v):
    return struct.pack("<d", v)


def string(s):
    if s is None:
        return struct.pack("<I", 0xFFFFFFFF)
    b = s if isinstance(s, bytes) else s.encode()
    return struct.pack("<I", len(b)) + b


def frame(t, payload):
    return struct.pack("<I", len(payload) + 1) + bytes([t]) + payload


def box_wkb(lon, lat, d=1.5):
    pts = [(lon - d, lat - d), (lon + d, lat - d), (lon + d, lat + d), (lon - d, lat + d), (lon - d, lat - d)]
    return b"\x01" + struct.pack("<II", 3, 1) + struct.pack("<I", 5) + \
        b"".join(struct.pack("<dd", x, y) for x, y in pts)


class Helper:
    def __init__(self, path):
        self.p = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def read_exact(self, n):
        b = b""
        while len(b) < n:
            c = self.p.stdout.read(n - len(b))
            if not c:
                raise EOFError("helper closed its output")
            b += c
        return b

    def request(self, t, common, extra=b""):
        self.p.stdin.write(frame(t, common + extra))
        self.p.stdin.flush()
        frames = []
        while True:
            hdr = self.read_exact(5)
            n = struct.unpack("<I", hdr[:4])[0]
            body = self.read_exact(n - 1) if n > 1 else b""
            if hdr[4] == STATUS:
                end, code = struct.unpack("<qq", body)
                return frames, ENDS.get(end, str(end)), code
            frames.append((hdr[4], body))

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


def describe_error(body):
    code = struct.unpack("<q", body[:8])[0]
    n = struct.unpack("<I", body[8:12])[0]
    msg = body[12:12 + n].decode("utf-8", "replace")
    state = "".join(chr(((code >> (6 * i)) & 0x3F) + ord("0")) for i in range(5))
    return f"error {state} {msg}"


def verdict(frames, end, code):
    if end == "signal":
        return f"killed by signal {code}"
    if end != "exit":
        return f"ended: {end} {code}"
    for t, body in frames:
        if t == ERROR:
            return describe_error(body)
    if frames and frames[-1][0] == DONE:
        return "ok"
    return f"exit {code} without DONE"


def main():
    helper, paths = sys.argv[1], sys.argv[2:]
    files = []
    for a in paths:
        if os.path.isdir(a):
            files += [os.path.join(a, n) for n in sorted(os.listdir(a)) if not n.startswith(".")]
        else:
            files.append(a)
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        h = Helper(helper)
        for f in files:
            out = os.path.join(tmp, "subset.nc")
            results = []
            try:
                for name in ("DESCRIBE", "FOOTPRINT", "PIXELS", "SUBSET"):
                    open(out, "w").close()
                    common = string("object 0000000000001") + string(os.path.abspath(f)) + \
                        string(out if name == "SUBSET" else None) + \
                        i64(1 << 30) + i64(60) + i64(64 << 20) + i64(1)
                    extra = b""
                    if name == "FOOTPRINT":
                        extra = i64(-1) + i64(0) + f64(0) + f64(0) + f64(0)
                    elif name == "PIXELS":
                        extra = i64(0)
                    elif name == "SUBSET":
                        extra = string(box_wkb(12.5, 41.9)) + i64(1) + i64(0) + string("replay") + i64(16 << 20)
                    frames, end, code = h.request(GP[name], common, extra)
                    results.append(f"{name.lower()}: {verdict(frames, end, code)}")
                    if end == "protocol":
                        bad = 1
            except (EOFError, BrokenPipeError) as e:
                results.append(f"the helper itself died: {e}")
                bad = 1
                h = Helper(helper)
            print(f"{os.path.basename(f)}")
            for r in results:
                print(f"    {r[:220]}")
        h.close()
    sys.exit(bad)


if __name__ == "__main__":
    main()
