package drift

import "testing"

// TestNormalizeViewDef: the texts PostgreSQL 15 and 18 print for the same
// view (copied from pg_get_viewdef) normalise to one, and queries whose
// top level reads more than one FROM item keep their qualification (both
// versions print it). TestCrossVersionNoDrift checks the same on real
// servers.
func TestNormalizeViewDef(t *testing.T) {
	same := []struct{ name, pg15, pg18 string }{
		{"function", " SELECT g.i,\n    (g.i * 2) AS d\n   FROM generate_series(1, 3) g(i);", " SELECT i,\n    (i * 2) AS d\n   FROM generate_series(1, 3) g(i);"},
		{"values", " SELECT v.id,\n    v.name\n   FROM ( VALUES (1,'a'::text), (2,'b'::text)) v(id, name)\n  WHERE (v.id > 0);",
			" SELECT id,\n    name\n   FROM ( VALUES (1,'a'::text), (2,'b'::text)) v(id, name)\n  WHERE (id > 0);"},
		{"subquery", " SELECT s.id,\n    s.n\n   FROM ( SELECT t.id,\n            count(*) AS n\n           FROM v.t\n          GROUP BY t.id) s\n  WHERE (s.n > 1);",
			" SELECT id,\n    n\n   FROM ( SELECT t.id,\n            count(*) AS n\n           FROM v.t\n          GROUP BY t.id) s\n  WHERE (n > 1);"},
		{"FROM inside an expression", " SELECT t.id,\n    EXTRACT(year FROM t.created) AS y\n   FROM v.t;", " SELECT id,\n    EXTRACT(year FROM created) AS y\n   FROM v.t;"},
		{"rows from", " SELECT r.a\n   FROM ROWS FROM(generate_series(1, 2)) r(a);", " SELECT a\n   FROM ROWS FROM(generate_series(1, 2)) r(a);"},
	}
	for _, tc := range same {
		if a, b := normalizeViewDef(tc.pg15), normalizeViewDef(tc.pg18); a != b {
			t.Errorf("%s: normalised differently:\n%s\n---\n%s", tc.name, a, b)
		}
	}
	kept := []string{
		" SELECT t.id,\n    x.y\n   FROM v.t,\n    LATERAL unnest(t.tags) x(y);",
		" SELECT a.id\n   FROM (v.t a\n     JOIN v.t b ON ((a.id = b.id)));",
		" SELECT t.id\n   FROM v.t\nUNION ALL\n SELECT u.id\n   FROM v.u;",
	}
	for _, s := range kept {
		if got := normalizeViewDef(s); got != s[1:] {
			t.Errorf("changed:\n%s\nto:\n%s", s, got)
		}
	}
}
