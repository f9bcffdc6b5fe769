#!/usr/bin/python3
"""README.md as a test: every ```sql block runs, in order, against a fresh
database (test/suites/readme.sh starts the server and creates it).

  doctest.py README.md ROOT

Rules, as README's "Tests" section says:
- Blocks run in order in one psql session (ON_ERROR_STOP), so ids a block
  \\gset-s are there for the next ones.  A block right after the comment
  `<!-- not run: REASON -->` is skipped and reported with its reason;
  one after `<!-- run as: ROLE -->` runs in its own session as that
  (unprivileged, LOGIN) role, which the harness creates.
- Output a block shows as a psql table in comments under a statement
  (a header line, a line of dashes, rows) is compared with what psql
  prints for that statement, line by line (trailing blanks ignored).
  One-line comments are explanations, not compared.
- Sessions run with PGTZ=UTC.  Absolute paths of the examples (/data/..., /srv/...) are the same paths
  under ROOT, where the harness puts the real granules under the names
  the README uses.
Prints one line per block and exits non-zero on the first failure.
"""
import os
import re
import subprocess
import sys

readme, root = sys.argv[1], sys.argv[2]
lines = open(readme, encoding="utf-8").read().split("\n")

blocks = []          # (line number, marker, text lines)
i = 0
while i < len(lines):
    if lines[i].strip() == "```sql":
        start = i + 1
        j = start
        while lines[j].strip() != "```":
            j += 1
        k = i - 1
        while k >= 0 and lines[k].strip() == "":
            k -= 1
        m = re.match(r"<!--\s*(not run|run as):\s*(.*?)\s*-->", lines[k].strip()) if k >= 0 else None
        blocks.append((start, m.groups() if m else None, lines[start:j]))
        i = j
    i += 1


def statements(block):
    """Split a block into [statement text, comment lines after it]."""
    out, cur = [], []
    for ln in block:
        s = ln.strip()
        if not cur and (s.startswith("--") or s == ""):
            if out:
                out[-1][1].append(ln if s else "<blank>")
            continue
        cur.append(ln)
        code = re.sub(r"\s--\s.*$|^--.*$", "", s).strip()
        if code.endswith(";") or code.endswith("\\gset") or (code.startswith("\\") and len(cur) == 1):
            out.append(["\n".join(cur), []])
            cur = []
    if cur:
        out.append(["\n".join(cur), []])
    return out


def table(comment_lines):
    """The psql table shown in comment lines, or None."""
    if not comment_lines:
        return None
    body = []
    for ln in comment_lines:
        if ln == "<blank>":
            break
        body.append(re.sub(r"^\s*-- ?", "", ln).rstrip())
    if len(body) >= 2 and re.fullmatch(r"-+(\+-+)*", body[1]):
        return body
    return None


def mapped(text):
    return re.sub(r"(?<![\w/.])/(data|srv)/", lambda m: root + "/" + m.group(1) + "/", text)


def run(script, role=None):
    cmd = ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-P", "pager=off"]
    if role:
        cmd += ["-U", role]
    env = dict(os.environ, PGTZ="UTC")   # times as README shows them
    if role:
        env.pop("PGOPTIONS", None)      # a superuser's options are not the role's
    p = subprocess.run(cmd, input=script, capture_output=True, text=True, env=env)
    return p.returncode, p.stdout, p.stderr


checks, pending, outputs = [], [], []


def flush():
    """Run the blocks gathered so far in one session."""
    if not pending:
        return
    rc, out, err = run("".join(f"\\echo @@block {lab}\n" + sc for lab, sc in pending))
    outputs.append(out)
    if rc != 0:
        last = re.findall(r"@@block (.*)", out)
        print(f"not ok - {last[-1] if last else pending[0][0]}: psql failed\n{err}")
        sys.exit(1)
    for lab, _ in pending:
        print(f"ok - {lab} runs")
    pending.clear()


n = 0
for start, marker, block in blocks:
    n += 1
    label = f"README.md:{start} block {n}"
    if marker and marker[0] == "not run":
        print(f"skip - {label}: not run: {marker[1]}")
        continue
    parts = []
    for k, (sql, exp) in enumerate(statements(block)):
        tag = f"@@{n}.{k}@@"
        parts.append(f"\\echo {tag}\n{mapped(sql)}\n")
        t = table(exp)
        if t:
            checks.append((label, tag, sql, t))
    if marker and marker[0] == "run as":
        flush()
        role = marker[1].split()[0]
        rc, out, err = run("".join(parts), role)
        outputs.append(out)
        if rc != 0:
            print(f"not ok - {label} (as {role}): psql failed\n{err}")
            sys.exit(1)
        print(f"ok - {label} runs as {role}")
    else:
        pending.append((label, "".join(parts)))
flush()

failures = 0
text = "\n".join(outputs)
for label, tag, sql, want in checks:
    m = re.search(re.escape(tag) + r"\n(.*?)(?=\n@@|\Z)", text, re.S)
    got = [ln.rstrip() for ln in (m.group(1).split("\n") if m else [])]
    got = [ln for ln in got if not re.fullmatch(r"\(\d+ rows?\)", ln)]
    if got[:len(want)] != want:
        failures += 1
        print(f"not ok - {label}: output of\n  {sql}\nREADME shows:\n  " + "\n  ".join(want)
              + "\npsql prints:\n  " + "\n  ".join(got))
    else:
        print(f"ok - {label}: output of {sql.splitlines()[0][:60]!r} as shown")
print(f"readme: {len(blocks)} sql blocks, {len(checks)} outputs compared, {failures} differ")
sys.exit(1 if failures else 0)
