-- test/extension_objects.sql: every object of the eoswath extension and its
-- definition, one line each, sorted; two databases with the same output have
-- the same extension (test/t/012_upgrade.pl compares an updated install with
-- a fresh one).
WITH ext AS (SELECT oid FROM pg_extension WHERE extname = 'eoswath'),
members AS (
    SELECT d.classid, d.objid
      FROM pg_depend d, ext
     WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
)
SELECT line FROM (
    -- every member, with its comment and privileges
    SELECT pg_describe_object(m.classid, m.objid, 0)
           || ' | comment: ' || coalesce(obj_description(m.objid, m.classid::regclass::text), '-') AS line
      FROM members m
    UNION ALL
    SELECT 'function ' || p.oid::regprocedure || ' | ' || pg_get_functiondef(p.oid)
           || ' | acl: ' || coalesce(p.proacl::text, '-')
      FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
     WHERE p.prokind <> 'a'
    UNION ALL
    SELECT 'relation ' || c.oid::regclass || ' ' || c.relkind::text || ' | acl: ' || coalesce(c.relacl::text, '-')
           || ' | ' || coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                                         || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                                         || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '')
                                         || coalesce(' comment ' || col_description(c.oid, a.attnum), ''),
                                         ', ' ORDER BY a.attnum)
                                  FROM pg_attribute a
                                  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')
           || CASE WHEN c.relkind = 'v' THEN ' | ' || pg_get_viewdef(c.oid) ELSE '' END
      FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
    UNION ALL
    SELECT 'index ' || i.indexrelid::regclass || ' | ' || pg_get_indexdef(i.indexrelid)
      FROM members m JOIN pg_index i ON m.classid = 'pg_class'::regclass AND i.indrelid = m.objid
    UNION ALL
    SELECT 'constraint ' || co.conrelid::regclass || '.' || co.conname || ' | ' || pg_get_constraintdef(co.oid)
      FROM members m JOIN pg_constraint co ON m.classid = 'pg_class'::regclass AND co.conrelid = m.objid
    UNION ALL
    SELECT 'trigger ' || t.tgrelid::regclass || '.' || t.tgname || ' | ' || pg_get_triggerdef(t.oid)
      FROM members m JOIN pg_trigger t ON m.classid = 'pg_class'::regclass AND t.tgrelid = m.objid
     WHERE NOT t.tgisinternal
    UNION ALL
    SELECT 'config dump ' || c::regclass || ' ' || coalesce(cond, '')
      FROM pg_extension e, ext, unnest(e.extconfig, e.extcondition) AS u(c, cond)
     WHERE e.oid = ext.oid
) s
ORDER BY line;
