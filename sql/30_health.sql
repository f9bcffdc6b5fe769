-- wos_health without shared_preload_libraries: no worker runs and the
-- views say so; deletes from directory sites still happen at commit and the
-- delete queue stays empty; under-replicated objects are listed.
SELECT worker, pid, state FROM eoswath.worker_status();
SELECT workers FROM wos_health WHERE site IS NULL;
SELECT workers_running FROM wos_health_summary;

-- a delete from a directory site: nothing queued, the copy goes at commit
CREATE TEMP TABLE h_ids AS SELECT wos_put('\x0102030405'::bytea, '{}', 'default') AS id;
SELECT count(*) AS queued_before FROM eoswath.delete_queue;
SELECT wos_delete(id) FROM h_ids;
SELECT count(*) AS queued_after FROM eoswath.delete_queue;
SELECT wos_delete_pending() AS removed_by_hand;

-- one row per site, and the archive's
SELECT site, kind, available, pending_deletes, corrupt_found, missing_found, repaired
  FROM wos_health ORDER BY site NULLS LAST;
SELECT (SELECT copies FROM wos_health WHERE site IS NULL)
     = (SELECT sum(cardinality(sites)) FROM eoswath.objects WHERE state = 'stored') AS copies_add_up,
       (SELECT bytes FROM wos_health WHERE site IS NULL)
     = (SELECT sum(size) FROM eoswath.objects WHERE state = 'stored') AS bytes_add_up;

-- a policy asking for more copies than its objects have: under-replicated
SELECT wos_policy_add('h_one', 1);
CREATE TEMP TABLE h_obj AS SELECT wos_put('\x0a0b0c'::bytea, '{}', 'h_one') AS id;
SELECT count(*) AS listed_before FROM wos_health_objects WHERE oid = (SELECT id FROM h_obj);
SELECT eoswath.policy_set('h_one', 2, NULL) AS objects_of_policy;
SELECT policy, copies_wanted, copies_intact, status FROM wos_health_objects WHERE oid = (SELECT id FROM h_obj);
SELECT under_replicated >= 1 AS counted, unrecoverable FROM wos_health WHERE site IS NULL;
SELECT status FROM wos_health_summary;
-- placing it again makes it whole (wos_policy_alter does this for every object)
SELECT eoswath.object_place(id) > 0 AS copied FROM h_obj;
SELECT count(*) AS listed_after FROM wos_health_objects WHERE oid = (SELECT id FROM h_obj);

-- privileges: the summary for readers, the detail for administrators
SET ROLE eoswath_reader;
SELECT status IS NOT NULL AS reader_sees_summary FROM wos_health_summary;
SELECT count(*) FROM wos_health;
SELECT count(*) FROM wos_health_objects;
RESET ROLE;
SET ROLE eoswath_admin;
SELECT count(*) > 0 AS admin_sees_health FROM wos_health;
RESET ROLE;

-- the wake-up trigger function is only a trigger
SELECT eoswath.wake_subset_workers();

-- clean up
SELECT wos_delete(id) FROM h_obj;
SELECT wos_policy_drop('h_one');
