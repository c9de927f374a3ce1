package migrator

import (
	"strings"
	"testing"
)

func TestParseFileName(t *testing.T) {
	tests := []struct {
		file    string
		id      int
		name    string
		wantErr string
	}{
		{file: "0001_create-users.sql", id: 1, name: "create-users"},
		{file: "1_success.sql", id: 1, name: "success"},
		{file: "2-first.sql", id: 2, name: "first"},
		{file: "3first.sql", id: 3, name: "first"},
		{file: "12.sql", id: 12, name: "12.sql"},
		{file: "12_.sql", id: 12, name: "12_.sql"},
		{file: "7__double.sql", id: 7, name: "_double"},
		{file: "0005_UPPER.SQL", id: 5, name: "UPPER"},
		{file: "5_mixed.Sql", id: 5, name: "mixed"},
		{file: "000000000001_zeros.sql", id: 1, name: "zeros"},
		{file: "8_spaces in name.sql", id: 8, name: "spaces in name"},
		{file: "9_ünïcödé.sql", id: 9, name: "ünïcödé"},
		{file: "2147483647_max.sql", id: 2147483647, name: "max"},
		{file: "2147483648_over.sql", wantErr: "too large"},
		{file: "99999999999999999999_x.sql", wantErr: "too large"},
		{file: "-1_negative.sql", wantErr: "negative id"},
		{file: "migrate-this.sql", wantErr: "must begin with an integer id"},
		{file: "_1_x.sql", wantErr: "must begin with an integer id"},
		{file: "1_" + strings.Repeat("a", 100) + ".sql", id: 1, name: strings.Repeat("a", 100)},
		{file: "1_" + strings.Repeat("a", 101) + ".sql", wantErr: "101 characters"},
		{file: "1_" + strings.Repeat("é", 100) + ".sql", id: 1, name: strings.Repeat("é", 100)},
		{file: "1_x.txt", wantErr: "not a .sql file"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := parseFileName(tt.file)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseFileName(%q) error = %v, want it to contain %q", tt.file, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseFileName(%q): %v", tt.file, err)
			}
			if got.ID != tt.id || got.Name != tt.name {
				t.Fatalf("parseFileName(%q) = (%d, %q), want (%d, %q)", tt.file, got.ID, got.Name, tt.id, tt.name)
			}
		})
	}
}

func TestIsJSMigration(t *testing.T) {
	for file, want := range map[string]bool{
		"1_success.js": true, "0002_x.JS": true, "helper.js": false, "1_x.json": false, "1_x.sql": false,
	} {
		if got := isJSMigration(file); got != want {
			t.Errorf("isJSMigration(%q) = %v, want %v", file, got, want)
		}
	}
}

func FuzzParseFileName(f *testing.F) {
	for _, s := range []string{"0001_create-users.sql", "12.sql", "-1_x.sql", "99999999999999999999_x.sql", "a.sql", "1_.SQL", "1-é.sql"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, file string) {
		pn, err := parseFileName(file)
		if err != nil {
			return
		}
		if !isMigrationFile(file) {
			t.Fatalf("accepted %q which is not a .sql file", file)
		}
		if pn.ID < 0 || pn.ID > maxID {
			t.Fatalf("id %d out of range for %q", pn.ID, file)
		}
		if pn.Name == "" || len([]rune(pn.Name)) > maxNameLength {
			t.Fatalf("bad name %q for %q", pn.Name, file)
		}
		if !isDigit(file[0]) {
			t.Fatalf("accepted %q which does not start with digits", file)
		}
	})
}
