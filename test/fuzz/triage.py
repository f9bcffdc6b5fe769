#!/usr/bin/python3
"""Replay fuzzing artifacts and sort them into ours and the libraries'.

usage: triage.py [options] FUZZ_BINARY ARTIFACT_OR_DIR...

Each input is replayed once with the fuzz target (as libFuzzer replays a
file: one run, the same sanitizer settings) under a time and memory bound
(all in one process first: when that passes, every input passes), and
classified by its report:

  ours       the fault is in our code: the first stack frame that is not the
             sanitizer runtime, libFuzzer or libc is in src/ or test/fuzz/
             (or a broken promise of the granule library, "eoswath-fuzz: ",
             or an ERROR with no handler), or a library overran a buffer our
             code allocated (we passed it too small a buffer), or a hang or
             an out-of-memory whose innermost frame is ours
  library    the fault is entirely inside libnetcdf / libhdf5 (or what they
             call): not ours to fix; the helper's sandbox contains it, and
             the SQL-level hostile suite must see a clean error for it
  passes     the input no longer fails (fixed since, or not reproducible)

Duplicates (same kind and same three innermost frames of the same class)
are reported once, with the smallest input kept as the example.

  --save-library DIR   copy one input per library signature into DIR
                       (named by libFuzzer's crash-/timeout-/oom-<sha1>)
  --save-ours DIR      copy one input per signature of ours into DIR
  --json FILE          the whole classification, for tools
  --timeout S          per-input bound in seconds (default 60)
  --rss-limit-mb MB    (default 2048)

Exit status: 1 if any input is ours, else 0.
"""
import argparse
import collections
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

FRAME = re.compile(r"^\s+#(\d+) 0x[0-9a-f]+ in (\S+)(?: (.*))?$|^\s+#(\d+) 0x[0-9a-f]+ +\((.*)\)")
RUNTIME_FUNCS = re.compile(
    r"^(__sanitizer|__asan|__ubsan|__interceptor_|__lsan|fuzzer::|__libc_start|_start$"
    r"|malloc$|calloc$|realloc$|free$|operator |memcpy$|memmove$|memset$|strlen$|strcmp$"
    r"|__GI_|raise$|abort$|__pthread_kill|pthread_kill|__assert|__sanitizer_print_stack_trace"
    r"|__libc_|__memcpy|__memmove|__memset|__strlen|__strcmp|__mem)")
OUR_PATH = re.compile(r"(^|/)(src|test/fuzz)/[^ ]+\.[ch](:\d+)")
LIBRARY_MODULE = re.compile(r"lib(hdf5|netcdf|sz|aec|z|curl|xml2|blosc|zstd|bz2)[^/]*\.so")


def frames_of(block):
    """(function, location) of each frame of one stack trace"""
    out = []
    for line in block:
        m = FRAME.match(line)
        if not m:
            continue
        if m.group(2):
            out.append((m.group(2), m.group(3) or ""))
        else:
            out.append(("?", m.group(5) or ""))
    return out


def stacks(lines):
    """the stack traces of a report, in order: lists of frame lines"""
    blocks, cur = [], []
    for line in lines:
        if FRAME.match(line):
            cur.append(line)
        elif cur:
            blocks.append(cur)
            cur = []
    if cur:
        blocks.append(cur)
    return blocks


def where(frame):
    func, loc = frame
    if OUR_PATH.search(loc):
        return "ours"
    if LIBRARY_MODULE.search(loc):
        return "library"
    if "libc.so" in loc or "libm.so" in loc or "ld-linux" in loc:
        return "libc"
    if "/fuzz_granule" in loc and RUNTIME_FUNCS.match(func):
        return "runtime"
    if RUNTIME_FUNCS.match(func):
        return "runtime"
    if "libpgcommon" in loc or "libpgport" in loc or func.startswith("pg_") or \
            func in ("appendStringInfo", "appendStringInfoVA", "psprintf", "pvsnprintf",
                     "enlargeStringInfo", "initStringInfo"):
        return "ours"                   # linked statically: PostgreSQL's, on our behalf
    return "other"


def innermost(frames):
    """the first frame that is not the sanitizer runtime, libFuzzer or libc"""
    for f in frames:
        w = where(f)
        if w not in ("runtime", "libc"):
            return f, w
    return (frames[0], where(frames[0])) if frames else (("?", ""), "other")


def short(frame):
    func, loc = frame
    m = OUR_PATH.search(loc)
    if m:
        loc = loc[m.start():].lstrip("/")
    else:
        m = re.search(r"(lib[^/ ]+\.so[^+ ]*)", loc)
        loc = m.group(1) if m else os.path.basename(loc.split(" ")[0])
    return f"{func} {loc}".strip()


def classify(text, rc):
    """(kind, class, signature frames, summary line) of one replay's output"""
    lines = text.splitlines()
    kind = None
    summary = ""
    for line in lines:
        if line.startswith("eoswath-fuzz: "):
            kind, summary = "contract", line
            break
        m = re.search(r"ERROR: AddressSanitizer: ([\w-]+)", line)
        if m:
            kind, summary = "asan-" + m.group(1), line.strip()
            break
        if "runtime error:" in line:
            kind, summary = "ubsan", line.strip()
            break
        m = re.search(r"ERROR: libFuzzer: (out-of-memory|timeout|deadly signal|fuzz target exited)", line)
        if m:
            kind = {"out-of-memory": "oom", "timeout": "timeout",
                    "deadly signal": "signal", "fuzz target exited": "exit"}[m.group(1)]
            summary = line.strip()
            break
        if line.startswith("eoswath-granule: "):  # an ERROR with no RT_TRY
            kind, summary = "exit", line
            break
    if kind is None:
        if rc == 0:
            return "passes", "passes", [], ""
        kind, summary = "exit", f"exit status {rc}"

    st = stacks(lines)
    frames = frames_of(st[0]) if st else []
    # skip libFuzzer's own frames at the top of an OOM/timeout/exit report
    frames = [f for f in frames if not f[0].startswith("fuzzer::")]
    top, cls = innermost(frames)
    if kind in ("contract", "exit"):
        cls = "ours"
    elif kind.startswith("asan-") and cls != "ours":
        # a library wrote past a buffer we allocated: ours (too small a buffer)
        for i, line in enumerate(lines):
            if re.search(r"(allocated|freed) by thread", line):
                alloc = frames_of(stacks(lines[i + 1:])[0]) if stacks(lines[i + 1:]) else []
                # the allocation through palloc (runtime.c) from the parsing code
                for f in alloc:
                    w = where(f)
                    if w in ("runtime", "libc"):
                        continue
                    if w == "ours":
                        cls = "ours"
                        summary += "  [the buffer is ours: " + short(f) + "]"
                    break
                break
    elif kind in ("oom", "timeout", "signal") and cls != "ours":
        # a library frame on top of a loop of ours is noted, not counted as ours
        first_ours = next((f for f in frames if where(f) == "ours"), None)
        if first_ours is not None:
            summary += "  [called from " + short(first_ours) + "]"
    if cls not in ("ours", "library"):
        cls = "library" if any(where(f) == "library" for f in frames[:8]) else "ours"
    sig = [short(f) for f in frames if where(f) not in ("runtime", "libc")][:3]
    if kind == "contract":
        # the promise broken, not the checker's frames; numbers vary
        sig = [re.sub(r"-?[0-9][0-9.e+-]*", "N", summary[len("eoswath-fuzz: "):])] + \
            [s for s in sig if not s.startswith(("broken ", "check_", "read_pixels "))][:2]
    return kind, cls, sig, summary


def replay(binary, path, timeout, rss):
    cmd = [binary, f"-timeout={timeout}", f"-rss_limit_mb={rss}", "-runs=1", path]
    env = dict(os.environ)
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout * 2 + 30, env=env)
        return p.stdout.decode("utf-8", "replace"), p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace")
        return out + "\nERROR: libFuzzer: timeout (replay killed)\n", -9


def inputs(args):
    for a in args:
        if os.path.isdir(a):
            for n in sorted(os.listdir(a)):
                p = os.path.join(a, n)
                if os.path.isfile(p) and not n.startswith("."):
                    yield p
        elif os.path.isfile(a):
            yield a


def artifact_name(path, kind):
    base = os.path.basename(path)
    if re.match(r"^(crash|timeout|oom|leak|slow-unit)-[0-9a-f]{40}$", base):
        return base
    prefix = {"timeout": "timeout", "oom": "oom"}.get(kind, "crash")
    with open(path, "rb") as f:
        return prefix + "-" + hashlib.sha1(f.read()).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary")
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--save-library")
    ap.add_argument("--save-ours")
    ap.add_argument("--json")
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--rss-limit-mb", type=int, default=2048)
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()

    results = []
    groups = collections.OrderedDict()
    paths = list(inputs(a.paths))
    # one process for all first (quick when all pass), one per input if not
    clean = False
    if len(paths) > 1:
        try:
            p = subprocess.run([a.binary, f"-timeout={a.timeout}", f"-rss_limit_mb={a.rss_limit_mb}",
                                "-runs=1"] + paths, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=a.timeout * len(paths) + 60)
            clean = p.returncode == 0
        except subprocess.TimeoutExpired:
            clean = False
    for path in paths:
        if clean:
            results.append({"input": path, "size": os.path.getsize(path), "kind": "passes",
                            "class": "passes", "signature": [], "summary": ""})
            continue
        text, rc = replay(a.binary, path, a.timeout, a.rss_limit_mb)
        kind, cls, sig, summary = classify(text, rc)
        r = {"input": path, "size": os.path.getsize(path), "kind": kind,
             "class": cls, "signature": sig, "summary": summary}
        results.append(r)
        if cls == "passes":
            continue
        key = (cls, kind, tuple(sig))
        g = groups.setdefault(key, [])
        g.append(r)
        if cls == "ours" and not a.quiet:
            sys.stdout.write(f"--- {path}\n{text[-6000:]}\n")

    counts = collections.Counter((r["class"], r["kind"]) for r in results)
    print(f"triage: {len(results)} inputs replayed")
    for (cls, kind), n in sorted(counts.items()):
        print(f"  {cls:8s} {kind:28s} {n}")
    for (cls, kind, sig), g in groups.items():
        g.sort(key=lambda r: r["size"])
        print(f"[{cls}] {kind}: {len(g)} input(s), e.g. {g[0]['input']} ({g[0]['size']} bytes)")
        print(f"    {g[0]['summary'][:300]}")
        for s in sig:
            print(f"      at {s}")
        dest = a.save_library if cls == "library" else a.save_ours
        if dest:
            os.makedirs(dest, exist_ok=True)
            name = artifact_name(g[0]["input"], kind)
            if not os.path.exists(os.path.join(dest, name)):
                shutil.copyfile(g[0]["input"], os.path.join(dest, name))
                print(f"    saved as {os.path.join(dest, name)}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"results": results,
                       "groups": [{"class": c, "kind": k, "signature": list(s),
                                   "inputs": [r["input"] for r in g]}
                                  for (c, k, s), g in groups.items()]}, f, indent=1)
    sys.exit(1 if any(r["class"] == "ours" for r in results) else 0)


if __name__ == "__main__":
    main()
