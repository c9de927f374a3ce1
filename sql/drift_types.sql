-- Enum (values in order), composite, domain (base type, collation, NOT
-- NULL, default and constraints by name) and range types.
-- $1: schemas left out.
SELECT format('%I.%I', n.nspname, t.typname),
       t.typtype::text,
       coalesce(CASE t.typtype
         WHEN 'e' THEN (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
                        FROM pg_enum e WHERE e.enumtypid = t.oid)
         WHEN 'c' THEN (SELECT string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod))
                                 || CASE WHEN a.attcollation <> at.typcollation THEN
                                      ' COLLATE ' || (SELECT format('%I.%I', cn.nspname, co.collname)
                                                      FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
                                                      WHERE co.oid = a.attcollation)
                                    ELSE '' END, ', ' ORDER BY a.attnum)
                        FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid
                        WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped)
         WHEN 'd' THEN format_type(t.typbasetype, t.typtypmod)
                       || CASE WHEN t.typcollation <> bt.typcollation THEN
                            ' COLLATE ' || (SELECT format('%I.%I', cn.nspname, co.collname)
                                            FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
                                            WHERE co.oid = t.typcollation)
                          ELSE '' END
                       || coalesce(' DEFAULT ' || pg_get_expr(t.typdefaultbin, 0), '')
                       || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
                       || coalesce((SELECT string_agg(format(' CONSTRAINT %I %s', co.conname, pg_get_constraintdef(co.oid)), '' ORDER BY co.conname)
                                    FROM pg_constraint co WHERE co.contypid = t.oid AND co.contype <> 'n'), '')
         WHEN 'r' THEN (SELECT 'SUBTYPE = ' || format_type(r.rngsubtype, NULL)
                               || CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation THEN
                                    ', COLLATION = ' || (SELECT format('%I.%I', cn.nspname, co.collname)
                                                         FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
                                                         WHERE co.oid = r.rngcollation)
                                  ELSE '' END
                        FROM pg_range r JOIN pg_type st ON st.oid = r.rngsubtype WHERE r.rngtypid = t.oid)
       END, '')
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
WHERE t.typtype IN ('e', 'c', 'd', 'r')
  AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
  AND n.nspname <> ALL ($1::text[])
  AND NOT EXISTS (SELECT FROM pg_depend d
                  WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
  AND NOT EXISTS (SELECT FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = t.typrelid AND d.deptype = 'e')
