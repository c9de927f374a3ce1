package migrator

import (
	"slices"
	"testing"
	"testing/fstest"
)

// TestStatusOfFilesInAnyOrder: the one-pass match of rows in id order and
// the map for rows out of order give the same states.
func TestStatusOfFilesInAnyOrder(t *testing.T) {
	fsys := fstest.MapFS{"0003_c.sql": {Data: []byte("select 3;\n")}}
	migs := []Migration{
		{ID: 1, Name: "a", File: "0001_a.sql", Hash: "h1"},
		{ID: 3, Name: "c", File: "0003_c.sql", Hash: "h3"},
		{ID: 4, Name: "d", File: "0004_d.sql", Hash: "h4"},
		{ID: 6, Name: "f", File: "0006_f.sql", Hash: "h6"},
	}
	rows := []appliedRow{
		{ID: 0, Name: row0Name, Hash: row0Hash},
		{ID: 1, Name: "a", Hash: "H1 "}, // compared as hashcheck.Equal does
		{ID: 2, Name: "b", Hash: "h2"},  // no file
		{ID: 3, Name: "c", Hash: "old"}, // changed
		{ID: 5, Name: "e", Hash: "h5"},  // no file
		{ID: 7, Name: "g", Hash: "h7"},  // no file, past the last file
	}
	type got struct {
		ID    int
		State State
	}
	states := func(sts []MigrationStatus) []got {
		var out []got
		for _, s := range sts {
			out = append(out, got{s.ID, s.State})
		}
		return out
	}
	want := []got{{1, StateApplied}, {3, StateChanged}, {4, StatePending}, {6, StatePending},
		{2, StateMissing}, {5, StateMissing}, {7, StateMissing}}
	inOrder := statusOfFiles(fsys, migs, rows)
	if g := states(inOrder); !slices.Equal(g, want) {
		t.Fatalf("rows in id order: %v, want %v", g, want)
	}
	shuffled := []appliedRow{rows[3], rows[0], rows[5], rows[1], rows[2], rows[4]}
	wantShuffled := []got{{1, StateApplied}, {3, StateChanged}, {4, StatePending}, {6, StatePending},
		{7, StateMissing}, {2, StateMissing}, {5, StateMissing}} // missing rows in the rows' order
	if g := states(statusOfFiles(fsys, migs, shuffled)); !slices.Equal(g, wantShuffled) {
		t.Fatalf("rows out of order: %v, want %v", g, wantShuffled)
	}
	if inOrder[1].Reason == "" || inOrder[1].StoredHash != "old" || inOrder[0].StoredHash != "H1 " {
		t.Fatalf("changed file's reason %q, stored hashes %q and %q", inOrder[1].Reason, inOrder[1].StoredHash, inOrder[0].StoredHash)
	}
}
