-- policies and sites: copies on distinct sites
-- object ids in this file start at 3000 (ids only move forward), so that
-- messages naming them do not depend on the files before
SELECT setval('eoswath.oid_seq', 3000) AS id_base;
SELECT wos_put('two copies', '{}', 'replicate') AS r2 \gset
SELECT wos_put('three copies', '{}', 'copy3') AS r3 \gset
SELECT policy, copies_wanted, copies_present, cardinality(sites) AS nsites,
       cardinality(ARRAY(SELECT DISTINCT unnest(sites))) AS distinct_sites
  FROM wos_stat(:'r2') UNION ALL
SELECT policy, copies_wanted, copies_present, cardinality(sites),
       cardinality(ARRAY(SELECT DISTINCT unnest(sites)))
  FROM wos_stat(:'r3');
SELECT site, status, action FROM wos_verify(:'r3') ORDER BY site;
-- the default policy setting
SET eoswath.default_policy = 'replicate';
SELECT copies_present FROM wos_stat(wos_put('by setting'));
RESET eoswath.default_policy;
-- an admin adds a policy limited to two named sites
SELECT wos_policy_add('pair', 2, ARRAY['local', 'c'], 'local plus c');
SELECT sites FROM wos_stat(wos_put('pair', '{}', 'pair'));
-- a policy that cannot be met: the error names it and what is missing
SELECT wos_policy_add('copy4', 4);
SELECT wos_put('x', '{}', 'copy4');
-- a disabled site takes no new copies; existing copies stay readable
SELECT wos_site_enable('c', false);
SELECT wos_put('x', '{}', 'copy3');
SELECT encode(wos_get(:'r3'), 'escape') AS still_readable;
SELECT wos_site_enable('c', true);
-- adding sites: bad names, locations and kinds are refused
\set VERBOSITY sqlstate
SELECT wos_site_add('b', regress_dir('b2'));
SELECT wos_site_add('Bad Name', regress_dir('bad'));
SELECT wos_site_add('rel', 'relative/path');
SELECT wos_site_add('nonempty', current_setting('data_directory'));
SELECT wos_site_add('x', regress_dir('x'), 'tape');
\set VERBOSITY default
SELECT wos_site_add('rel', 'relative/path');
-- the admin listing
SELECT state, size, policy, cardinality(sites) FROM wos_objects WHERE oid = :'r3';
SELECT name, copies > 0 AS holds_copies FROM wos_sites ORDER BY site_id;
