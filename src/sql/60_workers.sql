
-- ---------------------------------------------------------------------------
-- Background workers: the delete queue, the scrub's state, the health views
-- ---------------------------------------------------------------------------

-- Copies to remove after the deleting transaction committed.  The row is
-- written by that transaction (an abort drops it, a crash after commit
-- keeps it); the maintenance worker, wos_delete_pending() or wos_sweep()
-- removes the copy and the row.  Not dumped: a restored database owns no
-- site until it adopts it.
CREATE TABLE eoswath.delete_queue (
    id           bigserial PRIMARY KEY,
    oid          @extschema@.wosoid NOT NULL,
    site_id      integer NOT NULL,
    queued       timestamptz NOT NULL DEFAULT now(),
    attempts     integer NOT NULL DEFAULT 0,
    next_attempt timestamptz NOT NULL DEFAULT now(),
    last_error   text
);
COMMENT ON TABLE eoswath.delete_queue IS
    'copies of deleted (or moved) objects still to remove from their sites, written by the deleting transaction';

-- Where the scrub is, and when the sweep ran: one row.
CREATE TABLE eoswath.scrub_state (
    singleton          boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    pass_started       timestamptz,
    position           @extschema@.wosoid,
    checked_at         timestamptz,
    objects_checked    bigint NOT NULL DEFAULT 0,
    bytes_checked      bigint NOT NULL DEFAULT 0,
    last_pass_started  timestamptz,
    last_pass_finished timestamptz,
    last_sweep         timestamptz,
    sweep_removed      bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE eoswath.scrub_state IS
    'the scrub''s pass (position: the last object checked; pass_started NULL: between passes) and the last sweep';
INSERT INTO eoswath.scrub_state DEFAULT VALUES;

-- What the scrub found, per site, since the extension was created.
CREATE TABLE eoswath.scrub_counters (
    site_id        integer PRIMARY KEY REFERENCES eoswath.sites ON DELETE CASCADE,
    copies_checked bigint NOT NULL DEFAULT 0,
    corrupt_found  bigint NOT NULL DEFAULT 0,
    missing_found  bigint NOT NULL DEFAULT 0,
    repaired       bigint NOT NULL DEFAULT 0,
    repair_failed  bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE eoswath.scrub_counters IS
    'copies the scrub checked, found corrupt or missing, repaired, and could not repair, per site';

-- The copies the last look at an object left bad (not repaired).
CREATE TABLE eoswath.scrub_findings (
    oid      @extschema@.wosoid NOT NULL REFERENCES eoswath.objects (oid) ON DELETE CASCADE,
    site_id  integer NOT NULL,
    status   text NOT NULL,
    action   text NOT NULL,
    found    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (oid, site_id)
);
COMMENT ON TABLE eoswath.scrub_findings IS
    'copies the scrub found bad and could not repair (status and action as wos_verify() reports them)';

CREATE FUNCTION eoswath.worker_status()
    RETURNS TABLE (worker text, pid integer, state text, since timestamptz)
    AS 'MODULE_PATHNAME', 'wos_worker_status' LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION eoswath.worker_status() IS
    'eoswath''s background workers for this database (the launcher first); one row "none" when eoswath is not in shared_preload_libraries';

CREATE FUNCTION @extschema@.wos_delete_pending() RETURNS bigint
    AS 'MODULE_PATHNAME', 'wos_delete_pending' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_delete_pending() IS
    'remove now every copy queued by committed deletes (the workers do it when preloaded); returns how many were removed';

-- A new row in the subset queue wakes the subset workers at commit.
CREATE FUNCTION eoswath.wake_subset_workers() RETURNS trigger
    AS 'MODULE_PATHNAME', 'wos_wake_subset_workers' LANGUAGE C;
COMMENT ON FUNCTION eoswath.wake_subset_workers() IS
    'trigger: wake this database''s subset workers when the transaction commits';
CREATE TRIGGER swath_subset_queue_wake AFTER INSERT ON @extschema@.swath_subset_queue
    FOR EACH STATEMENT EXECUTE FUNCTION eoswath.wake_subset_workers();

-- One queued subset, as swath_subset_drain() makes each: the subset worker's
-- step (it picks the item, locked, by its own due time and attempts).
CREATE FUNCTION eoswath.subset_make(item bigint) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    q record;
    made @extschema@.wosoid;
    err text;
BEGIN
    SELECT i.id, i.swath, i.region, s.oid, r.shape INTO q
      FROM swath_subset_queue i
      JOIN swaths s ON s.id = i.swath
      JOIN swath_regions r ON r.name = i.region
     WHERE i.id = item
       FOR UPDATE OF i;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    BEGIN
        made := swath_subset_store(q.oid, q.shape);
        INSERT INTO swath_subsets (swath, region, subset)
        VALUES (q.swath, q.region, made)
        ON CONFLICT ON CONSTRAINT swath_subsets_pkey
        DO UPDATE SET subset = EXCLUDED.subset, made = EXCLUDED.made;
        DELETE FROM swath_subset_queue WHERE id = q.id;
        RETURN NULL;
    EXCEPTION WHEN query_canceled THEN
        RAISE;
    WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS err = MESSAGE_TEXT;
        UPDATE swath_subset_queue i
           SET attempts = i.attempts + 1, last_error = err, last_attempt = clock_timestamp()
         WHERE i.id = q.id;
        RETURN err;
    END;
END
$$;
COMMENT ON FUNCTION eoswath.subset_make(bigint) IS
    'make one queued subset; returns NULL, or the error (then kept on the item with its attempts)';

-- Objects with fewer intact copies than their policy asks for, as far as
-- the catalog and the scrub's last look tell.
CREATE VIEW @extschema@.wos_health_objects AS
    SELECT o.oid, o.policy, o.size,
           p.copies AS copies_wanted,
           c.listed - coalesce(f.bad, 0) AS copies_intact,
           CASE WHEN c.listed - coalesce(f.bad, 0) <= 0 THEN 'unrecoverable'
                ELSE 'under-replicated' END AS status,
           f.detail, f.found
      FROM eoswath.objects o
      JOIN eoswath.policies p ON p.name = o.policy
      CROSS JOIN LATERAL (SELECT count(*) AS listed FROM unnest(o.sites) u(site_id)
                            JOIN eoswath.sites s USING (site_id)) c
      LEFT JOIN (SELECT x.oid, count(*) AS bad, min(x.found) AS found,
                        string_agg(format('%s: %s, %s', coalesce(s.name, '?'), x.status, x.action),
                                   '; ' ORDER BY x.site_id) AS detail
                   FROM eoswath.scrub_findings x LEFT JOIN eoswath.sites s USING (site_id)
                  GROUP BY x.oid) f ON f.oid = o.oid
     WHERE o.state = 'stored'
       AND c.listed - coalesce(f.bad, 0) < p.copies;
COMMENT ON VIEW @extschema@.wos_health_objects IS
    'objects with fewer intact copies than their policy asks (as of the scrub''s last look): under-replicated, or unrecoverable with none';

-- One row per site, and a last row (site NULL) for the whole archive.
CREATE VIEW @extschema@.wos_health AS
    WITH per_site AS (
        SELECT s.site_id, s.name, s.kind, s.enabled, st.available, st.owner, st.why, st.free_bytes,
               coalesce(u.copies, 0) AS copies, coalesce(u.bytes, 0) AS bytes,
               coalesce(k.copies_checked, 0) AS copies_checked,
               coalesce(k.corrupt_found, 0) AS corrupt_found,
               coalesce(k.missing_found, 0) AS missing_found,
               coalesce(k.repaired, 0) AS repaired,
               coalesce(k.repair_failed, 0) AS repair_failed,
               coalesce(d.pending, 0) AS pending_deletes,
               d.oldest AS oldest_pending_delete
          FROM eoswath.sites s
          CROSS JOIN LATERAL eoswath.site_status(s.site_id) st
          LEFT JOIN (SELECT x.site_id, count(*) AS copies, sum(o.size)::bigint AS bytes
                       FROM eoswath.objects o, unnest(o.sites) x(site_id)
                      WHERE o.state = 'stored' GROUP BY x.site_id) u USING (site_id)
          LEFT JOIN eoswath.scrub_counters k USING (site_id)
          LEFT JOIN (SELECT q.site_id, count(*) AS pending, min(q.queued) AS oldest
                       FROM eoswath.delete_queue q GROUP BY q.site_id) d USING (site_id))
    SELECT name AS site, kind, enabled, available, owner, why AS why_unavailable, free_bytes,
           copies, bytes, copies_checked, corrupt_found, missing_found, repaired, repair_failed,
           pending_deletes, now() - oldest_pending_delete AS oldest_pending_delete,
           NULL::bigint AS under_replicated, NULL::bigint AS unrecoverable,
           NULL::@extschema@.wosoid AS scrub_position, NULL::timestamptz AS scrub_pass_started,
           NULL::timestamptz AS scrub_checked_at, NULL::timestamptz AS last_scrub_pass_finished,
           NULL::timestamptz AS last_sweep,
           NULL::bigint AS subset_queue, NULL::interval AS subset_queue_oldest,
           NULL::bigint AS subset_failed, NULL::text AS workers
      FROM per_site
    UNION ALL
    SELECT NULL, NULL, NULL, bool_and(p.available OR NOT p.enabled), NULL, NULL,
           sum(p.free_bytes)::bigint,
           (SELECT coalesce(sum(cardinality(o.sites)), 0) FROM eoswath.objects o WHERE o.state = 'stored'),
           (SELECT coalesce(sum(o.size), 0)::bigint FROM eoswath.objects o WHERE o.state = 'stored'),
           sum(p.copies_checked)::bigint, sum(p.corrupt_found)::bigint, sum(p.missing_found)::bigint,
           sum(p.repaired)::bigint, sum(p.repair_failed)::bigint,
           (SELECT count(*) FROM eoswath.delete_queue),
           (SELECT now() - min(q.queued) FROM eoswath.delete_queue q),
           (SELECT count(*) FROM @extschema@.wos_health_objects h WHERE h.status = 'under-replicated'),
           (SELECT count(*) FROM @extschema@.wos_health_objects h WHERE h.status = 'unrecoverable'),
           st.position, st.pass_started, st.checked_at, st.last_pass_finished, st.last_sweep,
           (SELECT count(*) FROM @extschema@.swath_subset_queue),
           (SELECT now() - min(q.queued) FROM @extschema@.swath_subset_queue q),
           (SELECT count(*) FROM @extschema@.swath_subset_queue q WHERE q.attempts > 0),
           (SELECT string_agg(w.worker || coalesce(' (pid ' || w.pid || ')', '') || ': ' || w.state,
                              '; ' ORDER BY w.worker = 'launcher' DESC, w.worker)
              FROM eoswath.worker_status() w)
      FROM per_site p, eoswath.scrub_state st
     GROUP BY st.position, st.pass_started, st.checked_at, st.last_pass_finished, st.last_sweep;
COMMENT ON VIEW @extschema@.wos_health IS
    'health of the archive: a row per site (availability, owner, copies, bytes, free space, scrub counters, pending deletes) and a last row, site NULL, for the whole (scrub position, sweep, under-replicated objects, subset queue, workers)';

-- The coarse summary readers may see: no site names, locations or owners.
CREATE FUNCTION eoswath.health_summary(
    OUT status text, OUT objects bigint, OUT under_replicated bigint, OUT unrecoverable bigint,
    OUT pending_deletes bigint, OUT subset_queue bigint,
    OUT last_scrub_pass_finished timestamptz, OUT workers_running boolean)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN h.unrecoverable > 0 THEN 'data lost'
                WHEN h.under_replicated > 0 OR NOT h.available THEN 'degraded'
                ELSE 'ok' END,
           (SELECT count(*) FROM eoswath.objects o WHERE o.state = 'stored'),
           h.under_replicated, h.unrecoverable, h.pending_deletes, h.subset_queue,
           h.last_scrub_pass_finished,
           EXISTS (SELECT 1 FROM eoswath.worker_status() w WHERE w.worker = 'maintenance')
      FROM @extschema@.wos_health h WHERE h.site IS NULL
$$;
COMMENT ON FUNCTION eoswath.health_summary() IS
    'the row of wos_health_summary, computed as the extension''s owner';

CREATE VIEW @extschema@.wos_health_summary AS
    SELECT * FROM eoswath.health_summary();
COMMENT ON VIEW @extschema@.wos_health_summary IS
    'one row: ok, degraded or data lost; counts of objects, under-replicated and unrecoverable ones, pending deletes, queued subsets; whether workers run';

REVOKE ALL ON FUNCTION
    eoswath.worker_status(),
    @extschema@.wos_delete_pending(),
    eoswath.wake_subset_workers(),
    eoswath.subset_make(bigint),
    eoswath.health_summary()
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION eoswath.worker_status(), @extschema@.wos_delete_pending() TO eoswath_admin;
GRANT EXECUTE ON FUNCTION eoswath.health_summary() TO eoswath_reader;
GRANT SELECT ON @extschema@.wos_health, @extschema@.wos_health_objects TO eoswath_admin;
GRANT SELECT ON @extschema@.wos_health_summary TO eoswath_reader;
