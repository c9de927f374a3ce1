package hashcheck

import (
	"strings"
	"testing"
)

func TestSum(t *testing.T) {
	tests := []struct {
		name, file, content, want string
	}{
		// Worked example of the compatibility notes.
		{"compat example", "1_success.sql", "CREATE TABLE success (\n  id integer\n);\n", "9c94a89d2dcbfbf5a15831b1bbc69a48e58f3524"},
		// Values postgres-migrations stored for its own fixtures.
		{"empty file", "migrate-this.sql", "", "4f8849ce3abe835ddee2bfdff027a4bcff4b89f1"},
		{"hash-check first run", "1_migration.sql", "CREATE TABLE hash_check_test (\n  id integer PRIMARY KEY\n);\n", "c4ac02f4a8d226e9a1729726381c92b4882c42d4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sum(tt.file, []byte(tt.content)); got != tt.want {
				t.Errorf("Sum(%q) = %s, want %s", tt.file, got, tt.want)
			}
		})
	}
}

func TestSumIncludesName(t *testing.T) {
	if Sum("1_a.sql", []byte("x")) == Sum("1_b.sql", []byte("x")) {
		t.Fatal("renaming a file must change its hash")
	}
}

func TestCheck(t *testing.T) {
	const name = "1_t.sql"
	lf := "CREATE TABLE t (\n  id int\n);\n"
	crlf := "CREATE TABLE t (\r\n  id int\r\n);\r\n"
	bom := "\xEF\xBB\xBF"
	tests := []struct {
		name            string
		applied, onDisk string
		want            Verdict
	}{
		{"identical", lf, lf, Match},
		{"content changed", lf, "CREATE TABLE t (id bigint);\n", Changed},
		{"LF applied, CRLF on disk", lf, crlf, LineEndingsOnly},
		{"CRLF applied, LF on disk", crlf, lf, LineEndingsOnly},
		{"BOM added", lf, bom + lf, ByteOrderMarkOnly},
		{"BOM removed", bom + lf, lf, ByteOrderMarkOnly},
		{"BOM added and CRLF", lf, bom + crlf, LineEndingsAndByteOrderMark},
		{"BOM removed and LF", bom + crlf, lf, LineEndingsAndByteOrderMark},
		{"changed and CRLF", lf, "CREATE TABLE u (\r\n  id int\r\n);\r\n", Changed},
		{"empty applied, newline on disk", "", "\n", Changed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored := Sum(name, []byte(tt.applied))
			if got := Check(name, []byte(tt.onDisk), stored); got != tt.want {
				t.Errorf("Check = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckStoredHashCaseAndSpace(t *testing.T) {
	stored := " 9C94A89D2DCBFBF5A15831B1BBC69A48E58F3524 "
	if got := Check("1_success.sql", []byte("CREATE TABLE success (\n  id integer\n);\n"), stored); got != Match {
		t.Fatalf("Check = %v, want Match", got)
	}
}

func TestCheckRenamedFile(t *testing.T) {
	stored := Sum("1_old.sql", []byte("x"))
	if got := Check("1_new.sql", []byte("x"), stored); got != Changed {
		t.Fatalf("Check = %v, want Changed", got)
	}
}

func TestEqualNormalisesLikeCheck(t *testing.T) {
	sum := Sum("1_a.sql", []byte("SELECT 1;\n"))
	for _, stored := range []string{sum, strings.ToUpper(sum), sum + strings.Repeat(" ", 24), "  " + sum + "\t"} {
		if !Equal(stored, sum) {
			t.Errorf("Equal(%q) = false", stored)
		}
		if Check("1_a.sql", []byte("SELECT 1;\n"), stored) != Match {
			t.Errorf("Check(%q) is not Match", stored)
		}
		if Normalize(stored) != sum {
			t.Errorf("Normalize(%q) = %q", stored, Normalize(stored))
		}
	}
	for _, stored := range []string{"", sum[:39], sum + "0", "x" + sum[1:]} {
		if Equal(stored, sum) {
			t.Errorf("Equal(%q) = true", stored)
		}
	}
}
