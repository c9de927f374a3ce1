package lint

import (
	"slices"
	"strings"
	"testing"
)

// TestFixesOf18LintClean lints the fixes lint suggests for PostgreSQL 18
// as migrations of their own: following lint's advice must not earn a
// finding. A fix's "-- in a later migration" starts the next file.
func TestFixesOf18LintClean(t *testing.T) {
	for _, sql := range []string{
		"ALTER TABLE orders ALTER COLUMN state SET NOT NULL;",
		"ALTER TABLE orders ADD CONSTRAINT orders_state_nn NOT NULL state;",
		"ALTER TABLE orders ADD COLUMN total numeric GENERATED ALWAYS AS (amount * 2) STORED;",
		"ALTER TABLE orders ADD CONSTRAINT amount_positive CHECK (amount > 0) ENFORCED;",
	} {
		fs := lintMigration(t, sql, WithPGVersion(18))
		if len(fs) != 1 || fs[0].Fix == "" {
			t.Fatalf("%s: %+v, want one finding with a fix", sql, fs)
		}
		files := map[string]string{"1_base.sql": baseSchema}
		pending := []int{}
		for i, part := range strings.Split(fs[0].Fix, "-- in a later migration") {
			if i > 0 {
				part = "--" + part // the rest of the comment line
			}
			files[string(rune('2'+i))+"_fix"+string(rune('a'+i))+".sql"] = part
			pending = append(pending, 2+i)
		}
		res := lintFiles(t, files, pending, WithPGVersion(18), WithLockTimeout(2e9))
		if len(res.Findings) != 0 {
			t.Errorf("the fix for\n%s\nis\n%s\nand lint finds %v in it: %+v", sql, fs[0].Fix, ruleIDs(res.Findings), res.Findings)
		}
		if v := 17; strings.Contains(fs[0].Fix, "NOT NULL state NOT VALID") {
			// The same text is not for PostgreSQL 17, which rejects it.
			res := lintFiles(t, files, pending, WithPGVersion(v), WithLockTimeout(2e9))
			if ids := ruleIDs(res.Findings); !slices.Equal(ids, []string{RuleNewerSyntax}) ||
				!strings.Contains(res.Findings[0].Message, "PostgreSQL 17 rejects") {
				t.Errorf("the 18 fix on PostgreSQL 17: %+v", res.Findings)
			}
		}
	}
}

// TestPositionsOf18 checks that findings in statements of PostgreSQL 18
// syntax point where they are written, also after the text lint inserts
// for a generated column without STORED.
func TestPositionsOf18(t *testing.T) {
	for _, tt := range []struct {
		sql, at string // at: the text the finding must point to
	}{
		{"ALTER TABLE orders ADD COLUMN a numeric GENERATED ALWAYS AS (amount * 2), ADD COLUMN b numeric GENERATED ALWAYS AS (amount / 5) STORED;",
			"GENERATED ALWAYS AS (amount / 5)"},
		{"ALTER TABLE orders ADD COLUMN a numeric GENERATED ALWAYS AS (amount), ADD COLUMN b numeric GENERATED ALWAYS AS ((amount)), " +
			"ADD COLUMN c float8 DEFAULT random();", "DEFAULT random()"},
		{"ALTER TABLE orders ADD CONSTRAINT c1 CHECK (amount > 0) NOT ENFORCED, ADD CONSTRAINT \"c 2\" NOT NULL note;", `CONSTRAINT "c 2"`},
		{"ALTER TABLE orders ADD CONSTRAINT c1 CHECK (amount > 0) NOT ENFORCED, ADD CONSTRAINT c2 CHECK (amount < 1e9);", "CONSTRAINT c2"},
		{"ALTER TABLE orders ADD CONSTRAINT c1 NOT\n  NULL \t state NOT  VALID, ADD CONSTRAINT c2 NOT   NULL\nnote;", "CONSTRAINT c2"},
		{"ALTER TABLE orders ADD CONSTRAINT c1 CHECK (amount > 0) NOT\tENFORCED , ADD CONSTRAINT c2 NOT NULL \"Note\"\"s\";", "CONSTRAINT c2"},
	} {
		fs := lintMigration(t, tt.sql, WithPGVersion(18))
		at := strings.Index(tt.sql, tt.at)
		line, col := 1+strings.Count(tt.sql[:at], "\n"), at-strings.LastIndex(tt.sql[:at], "\n")
		if len(fs) != 1 || fs[0].Line != line || fs[0].Column != col {
			t.Errorf("%s\nfound %+v, want one finding at line %d column %d", tt.sql, fs, line, col)
		}
	}
}
