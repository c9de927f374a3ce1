package migrator

import (
	"strings"
	"testing"
)

func TestParseHeaders(t *testing.T) {
	tests := []struct {
		name       string
		src        string
		noTx, noHC bool
		misplaced  int
	}{
		{name: "none", src: "CREATE TABLE t (id int);\n"},
		{name: "pgmig form", src: "-- pgmig disable-transaction\nVACUUM;\n", noTx: true},
		{name: "postgres-migrations form", src: "-- postgres-migrations disable-transaction\n", noTx: true},
		{name: "bare form", src: "-- disable-transaction\n", noTx: true},
		{name: "hash check, all forms", src: "-- pgmig disable-hash-check\n", noHC: true},
		{name: "hash check pm", src: "-- postgres-migrations disable-hash-check\r\n", noHC: true},
		{name: "hash check bare", src: "  --   disable-hash-check  \n", noHC: true},
		{name: "both", src: "-- postgres-migrations disable-transaction\n-- postgres-migrations disable-hash-check\nCREATE TABLE x();\n", noTx: true, noHC: true},
		{name: "later in file", src: "CREATE TABLE x();\n\n-- pgmig disable-transaction", noTx: true},
		{name: "not alone", src: "SELECT 1; -- pgmig disable-transaction\n"},
		{name: "other words", src: "-- please do not disable-transaction here\n"},
		{name: "pm form after code", src: "VACUUM; -- postgres-migrations disable-transaction\n", misplaced: 1},
		{name: "pm form with trailing words", src: "-- postgres-migrations disable-transaction because CIC\n", misplaced: 1},
		{name: "upper case is not a header", src: "-- PGMIG DISABLE-TRANSACTION\n", misplaced: 1},
		{name: "typo", src: "-- pgmig disable-transactoin\n", misplaced: 1},
		{name: "underscores", src: "-- pgmig disable_hash_check\n", misplaced: 1},
		{name: "postgres-migrations typo", src: "-- postgres-migrations disable-transactions\n", misplaced: 1},
		{name: "bare typo", src: "--disable_transaction\n", misplaced: 1},
		{name: "colon", src: "-- pgmig: disable-transaction\n", misplaced: 1},
		{name: "prose that starts with disable", src: "-- disable triggers while loading\n"},
		{name: "pgmig inside a word", src: "-- pgmigrations are great\n"},
		{name: "lint-ignore", src: "-- pgmig lint-ignore drop-column, rename-table\nALTER TABLE t DROP COLUMN c;\n"},
		{name: "lint-ignore later in file", src: "SELECT 1;\n  -- pgmig lint-ignore truncate-table\nTRUNCATE t;\n"},
		{name: "lint-ignore without a rule", src: "-- pgmig lint-ignore\n", misplaced: 1},
		{name: "lint-ignore typo", src: "-- pgmig lint-ingore drop-column\n", misplaced: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := parseHeaders(tt.src)
			if h.disableTransaction != tt.noTx || h.disableHashCheck != tt.noHC || len(h.problems) != tt.misplaced {
				t.Fatalf("parseHeaders = %+v, want disableTransaction=%v disableHashCheck=%v misplaced=%d",
					h, tt.noTx, tt.noHC, tt.misplaced)
			}
		})
	}
}

func FuzzParseHeaders(f *testing.F) {
	f.Add("-- pgmig disable-transaction\nSELECT 1;")
	f.Add("-- postgres-migrations disable-hash-check\r\n")
	f.Add("x -- postgres-migrations disable-transaction")
	f.Fuzz(func(t *testing.T, src string) {
		h := parseHeaders(src)
		// Adding a header line must always be detected, whatever precedes it.
		h2 := parseHeaders(src + "\n-- pgmig disable-transaction\n")
		if !h2.disableTransaction {
			t.Fatalf("header appended on its own line not detected in %q", src)
		}
		if h2.disableHashCheck != h.disableHashCheck && !h2.disableHashCheck {
			t.Fatalf("appending a transaction header lost the hash-check header")
		}
	})
}

// TestLintIgnoreWithoutRule: the problem says what is missing, rather
// than suggest another header.
func TestLintIgnoreWithoutRule(t *testing.T) {
	h := parseHeaders("SELECT 1;\n--pgmig lint-ignore\nSELECT 2;\n")
	if len(h.problems) != 1 || !strings.Contains(h.problems[0], "line 2: \"--pgmig lint-ignore\" names no rule") {
		t.Fatalf("problems %q", h.problems)
	}
}
