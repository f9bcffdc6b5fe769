"""The soak test's end (README: "The soak test"): settle the operations
whose COMMIT outcome is unknown, the repair pass (the driver's, or the
background workers'), the checks of the archive against the ledger, the
server log scan, and --sabotage, the self-test of those checks.  A mixin of
soak.Soak: it uses the driver's ledger, statistics, connection helpers and
violation list."""
import hashlib
import json
import os
import random
import re
import time

import psycopg2

MiB = 1024 * 1024


def log(msg):
    print('soak: %s %s' % (time.strftime('%H:%M:%S'), msg), flush=True)


class Checks:
    def resolve(self, conn):
        """Settle every operation whose COMMIT outcome was unknown."""
        L = self.ledger
        for token, p in list(L.pending.items()):
            if p['kind'] == 'reserve':
                row = self.q(conn, 'SELECT state FROM eoswath.objects WHERE oid = %s::wosoid', (p['oid'],), fetch='one')
                if row is None:
                    L.rolled_back(p['oid'], None, 'reservation lost with its COMMIT')
                else:
                    L.reserved(p['oid'], p['policy'])
                self.stats.op('resolved reserve')
                continue
            rows = self.q(conn, "SELECT oid::text, state FROM eoswath.objects WHERE meta->>'soak' = %s", (token,))
            if p['kind'] == 'putoid':
                row = self.q(conn, 'SELECT state, meta->>%s FROM eoswath.objects WHERE oid = %s::wosoid',
                             ('soak', p['oid']), fetch='one')
                if row and row[0] == 'stored' and row[1] == token:
                    L.committed(p['oid'], token, p['sha'], p['size'], p['policy'], 'putoid (resolved)')
                elif row and row[0] == 'reserved':
                    L.reserved(p['oid'], p['policy'])
                    L.rolled_back(None, token, 'putoid lost with its COMMIT')
                else:
                    self.violation('reserved id %s: after a lost putoid COMMIT the row is %r' % (p['oid'], row))
                self.stats.op('resolved putoid')
                continue
            if len(rows) > 1:
                self.violation('token %s is in %d objects: %r' % (token, len(rows), rows))
            elif rows:
                oid = rows[0][0]
                if p['oid'] is not None and p['oid'] != oid:
                    self.violation('token %s: the put returned %s but the catalog has %s' % (token, p['oid'], oid))
                L.committed(oid, token, p['sha'], p['size'], p['policy'], p['kind'] + ' (resolved)')
            else:
                L.rolled_back(p['oid'], token, 'lost with its COMMIT')
            self.stats.op('resolved ' + p['kind'])
        L.pending.clear()
        for oid in list(L.unknown_deletes):
            row = self.q(conn, 'SELECT 1 FROM eoswath.objects WHERE oid = %s::wosoid', (oid,), fetch='one')
            if row:
                L.set_state(oid, 'committed')
            else:
                L.delete_done(oid)
            self.stats.op('resolved delete')
        # a putoid whose reservation was being filled when everything stopped
        with L.lock:
            for oid, r in L.obj.items():
                if r['state'] == 'filling':
                    r['state'] = 'reserved'

    def repair_pass(self, conn):
        """With the background workers: wait until the scrub has made a
        whole pass, the sweep has run and the delete queue is empty, all
        since the load ended; then wos_verify(repair => false) must find
        nothing (the scrub repaired and re-replicated everything).  Without
        them: wos_sweep() and wos_verify() are the repair pass."""
        if self.workers:
            self.wait_workers(conn)
            row = self.q(conn, '''SELECT (SELECT sum(repaired) FROM eoswath.scrub_counters),
                                         (SELECT sweep_removed FROM eoswath.scrub_state)''', fetch='one')
            repaired, swept = int(row[0] or 0), int(row[1] or 0)
            log('repair pass: the scrub worker repaired %d copies, its sweeps removed %d files'
                % (repaired, swept))
            for r in self.q(conn, 'SELECT oid::text, site, status, action FROM wos_verify(repair => false)'):
                self.violation("after the scrub worker's pass wos_verify() finds object %s on site %s: %s" % r[:3])
            for r in self.q(conn, 'SELECT oid::text, policy, copies_wanted, copies_intact, status, detail '
                                  'FROM wos_health_objects'):
                self.violation('wos_health_objects after the scrub: %r' % (r,))
            for r in self.q(conn, 'SELECT site, entry, oid::text, action FROM wos_sweep(dry_run => true)'):
                self.violation("after the worker's sweep wos_sweep() would still remove %r" % (r,))
            return repaired, swept
        swept = len(self.q(conn, 'SELECT site, entry, oid::text, action FROM wos_sweep()'))
        log('repair pass: wos_sweep() removed %d files' % swept)
        rows = self.q(conn, 'SELECT oid::text, site, status, action FROM wos_verify()')
        bad = [r for r in rows if r[3] != 'repaired']
        repaired = len(rows) - len(bad)
        log('repair pass: wos_verify() repaired %d copies' % repaired)
        for r in bad:
            self.violation('wos_verify(): object %s on site %s: %s, %s' % r)
        again = self.q(conn, 'SELECT oid::text, site, status, action FROM wos_verify(repair => false)')
        for r in again:
            self.violation('after the repair pass wos_verify() still finds object %s on site %s: %s' % r[:3])
        return repaired, swept

    def wait_workers(self, conn):
        t0 = self.q(conn, 'SELECT now()', fetch='one')[0]
        log('waiting for the workers: a scrub pass and a sweep that start after %s, an empty delete queue' % t0)
        end = time.time() + self.a.scrub_wait
        while True:
            row = self.q(conn, '''SELECT last_pass_started >= %s AND last_pass_finished >= last_pass_started,
                                         last_sweep >= %s, (SELECT count(*) FROM eoswath.delete_queue)
                                  FROM eoswath.scrub_state''', (t0, t0), fetch='one')
            if row[0] and row[1] and row[2] == 0:
                return
            if time.time() > end:
                self.violation('the workers did not finish within %d s of the end of the load: scrub pass '
                               'done: %s, sweep done: %s, delete queue: %s; worker_status: %r'
                               % (self.a.scrub_wait, row[0], row[1], row[2],
                                  self.q(conn, 'SELECT * FROM eoswath.worker_status()')))
                return
            time.sleep(2)

    def check(self, conn):
        L = self.ledger
        sites = self.sites(conn)
        catalog = {}
        blocks = 'o.block_size, o.block_sha256' if self.block_checksums else 'NULL, NULL'
        for oid, state, size, sha, policy, sids, token, copies, bsize, bsha in self.q(conn, '''
                SELECT o.oid::text, o.state, o.size, encode(o.sha256, 'hex'), o.policy, o.sites,
                       o.meta->>'soak', p.copies, %s
                FROM eoswath.objects o JOIN eoswath.policies p ON p.name = o.policy''' % blocks):
            catalog[oid] = dict(state=state, size=size, sha=sha, policy=policy, sites=sids,
                                token=token, copies=copies, block_size=bsize,
                                block_sha=bytes(bsha) if bsha is not None else None)
            if self.block_checksums and state == 'stored' and bsize is None:
                self.violation('object %s has no block checksums' % oid)
        files = {}
        temporaries = []
        for sid, name, path in self.copy_files(sites):
            if '.' in name:
                temporaries.append(path)
            else:
                files.setdefault(name, {})[sid] = path
        checked = 0
        checked_bytes = 0
        # every committed object: in the catalog, right size and hash, every
        # copy byte-identical, at its policy's copy count on distinct sites
        for oid, r in sorted(L.obj.items()):
            c = catalog.get(oid)
            if r['state'] == 'reserved':
                if c is None or c['state'] != 'reserved':
                    self.violation('reserved id %s: catalog row %r' % (oid, c))
                continue
            if c is None:
                self.violation('committed object %s (%s, token %s) is missing from the catalog'
                               % (oid, r['how'], r['token']))
                continue
            if c['state'] != 'stored' or c['size'] != r['size'] or c['sha'] != r['sha']:
                self.violation('object %s: catalog says %s size %s sha256 %s, the ledger size %s sha256 %s'
                               % (oid, c['state'], c['size'], c['sha'], r['size'], r['sha']))
            if len(set(c['sites'])) != len(c['sites']) or len(c['sites']) != c['copies']:
                self.violation('object %s (policy %s, %d copies) lists sites %s'
                               % (oid, c['policy'], c['copies'], c['sites']))
            for sid in c['sites']:
                path = files.get(oid, {}).get(sid)
                if path is None:
                    self.violation('object %s: no file on site %s' % (oid, sites.get(sid, (sid,))[0]))
                    continue
                h = hashlib.sha256()
                bsize = c['block_size'] or 4 * MiB
                digests = []
                with open(path, 'rb') as f:
                    for blk in iter(lambda: f.read(bsize), b''):
                        h.update(blk)
                        digests.append(hashlib.sha256(blk).digest())
                if h.hexdigest() != r['sha']:
                    self.violation('object %s: the copy %s differs from the committed bytes' % (oid, path))
                elif c['block_sha'] is not None and b''.join(digests) != c['block_sha']:
                    self.violation('object %s: the block checksums in the catalog do not match its intact copy %s'
                                   % (oid, path))
            try:
                data = self.q(conn, 'SELECT wos_get(%s)', (oid,), fetch='one')[0]
            except psycopg2.Error as e:
                self.violation('object %s: wos_get fails: %s %s' % (oid, e.pgcode, str(e).strip()))
                continue
            if hashlib.sha256(data).hexdigest() != r['sha']:
                self.violation('object %s: wos_get returns other bytes than were committed' % oid)
            checked += 1
            checked_bytes += len(data)
            del data
        # nothing else is in the catalog: no rolled-back or deleted id, no
        # object the clients did not commit
        for oid, c in catalog.items():
            if oid in L.obj:
                continue
            why = L.gone.get(oid)
            if why is None and c['token'] in L.gone_tokens:
                why = 'token of a rolled-back put'
            self.violation('catalog has object %s (token %s, state %s) that %s'
                           % (oid, c['token'], c['state'],
                              'was ' + why if why else 'no client committed'))
        for oid, why in L.gone.items():
            r = self.q(conn, 'SELECT 1 FROM eoswath.objects WHERE oid = %s::wosoid', (oid,), fetch='one')
            if r:
                self.violation('%s id %s is visible' % (why, oid))
        # sites and catalog match exactly
        for oid, by_site in files.items():
            c = catalog.get(oid)
            for sid, path in by_site.items():
                if c is None or c['state'] != 'stored' or sid not in c['sites']:
                    self.violation('orphan file %s (object %s %s)' % (
                        path, oid, 'not in the catalog' if c is None else 'lists sites %s' % c['sites']))
        for oid, c in catalog.items():
            for sid in c['sites'] if c['state'] == 'stored' else []:
                if sid not in files.get(oid, {}):
                    self.violation('catalog copy of %s on site %s has no file' % (oid, sites.get(sid, (sid,))[0]))
        for t in temporaries:
            self.violation('temporary file left after the sweep: %s' % t)
        return checked, checked_bytes, len(catalog)

    def scan_log(self):
        """Internal errors in the server log: XX000, PANIC, TRAP, a server
        process that died of something other than our SIGKILLs."""
        bad = []
        ours = re.compile(r'(?:server process|background worker "[^"]*") \(PID (\d+)\) was terminated by signal 9')
        with open(self.a.log, errors='replace') as f:
            lines = f.readlines()
        for n, line in enumerate(lines):
            m = ours.search(line)
            if m:
                if int(m.group(1)) not in self.killed_pids:
                    bad.append((n, line))
                continue
            if re.search(r'\bXX000\b|PANIC:|TRAP:|terminated by signal|was terminated by exception'
                         r'|internal error', line):
                bad.append((n, line))
        for n, line in bad:
            ctx = ''.join(lines[max(0, n - 3):n + 4])
            self.violation('server log line %d: %s\n%s' % (n + 1, line.strip(), ctx))
        return len(lines)

    def sabotage(self, conn):
        """--sabotage: the checks must catch what a defect would leave.
        After the repair pass, damage the archive behind eoswath's back and
        return the violations the checks must now report."""
        rng = random.Random(self.seed)
        L = self.ledger
        if self.workers:
            # the damage must stay until the checks see it: no scrub, no sweep
            self.q(conn, 'ALTER SYSTEM SET eoswath.scrub_interval = 0', fetch=None)
            self.q(conn, 'ALTER SYSTEM SET eoswath.sweep_interval = 0', fetch=None)
            self.q(conn, 'SELECT pg_reload_conf()')
            time.sleep(3)
        sites = self.sites(conn)
        for i in range(3):
            # objects with two copies to damage, whatever the short run left
            data = rng.randbytes(1000 + i)
            token = 'sabotage-%d' % i
            oid = self.q(conn, "SELECT wos_put(%s, %s, 'replicate')::text",
                         (psycopg2.Binary(data), json.dumps({'soak': token})), fetch='one')[0]
            L.committed(oid, token, hashlib.sha256(data).hexdigest(), len(data), 'replicate', 'put')
        files = {}
        for sid, name, path in self.copy_files(sites):
            files.setdefault(name, []).append(path)
        multi = sorted(o for o, r in L.obj.items() if r['state'] == 'committed' and len(files.get(o, [])) > 1)
        a, b, c = rng.sample(multi, 3)
        expect = {}
        # a copy that differs from the committed bytes
        path = files[a][0]
        with open(path, 'r+b') as f:
            byte = f.read(1)
            f.seek(0)
            f.write(bytes([byte[0] ^ 1]))
        expect['bad copy'] = 'object %s: the copy %s differs' % (a, path)
        # every copy of an object gone: a catalog copy without a file
        for path in files[b]:
            os.unlink(path)
        expect['lost object'] = 'catalog copy of %s on site' % b
        # an orphan file
        orphan = os.path.join(os.path.dirname(files[c][0]), '00000000ZZZZZ')
        with open(orphan, 'wb') as f:
            f.write(b'orphan')
        expect['orphan'] = 'orphan file %s' % orphan
        # a temporary file left behind
        tmp = files[c][0] + '.tmp1'
        with open(tmp, 'wb') as f:
            f.write(b'tmp')
        expect['temporary'] = 'temporary file left after the sweep: %s' % tmp
        # an object no client committed
        oid = self.q(conn, "SELECT wos_put('\\x00'::bytea)::text", fetch='one')[0]
        expect['stranger'] = 'catalog has object %s' % oid
        # a rolled-back id that is visible: the ledger says c was rolled back
        with L.lock:
            rec = L.obj.pop(c)
            L.gone[c] = 'rolled back'
        expect['visible rollback'] = 'rolled back id %s is visible' % c
        # an internal error in the server log
        with open(self.a.log, 'a') as f:
            f.write('2000-01-01 00:00:00.000 UTC [1] XX000 ERROR:  soak sabotage\n')
        expect['log'] = 'XX000 ERROR:  soak sabotage'
        return expect

    def judge_sabotage(self, expect):
        missed = [k for k, text in expect.items() if not any(text in v for v in self.violations)]
        for k, text in expect.items():
            print('soak: sabotage %-16s %s' % (k, 'caught' if k not in missed else 'MISSED: ' + text))
        if missed:
            print('soak: FAIL: the checks missed %d of %d planted faults' % (len(missed), len(expect)))
            return 1
        print('soak: ok: every planted fault was caught (%d violations reported)' % len(self.violations))
        return 0
