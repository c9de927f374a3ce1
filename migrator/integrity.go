package migrator

import (
	"io/fs"
	"time"

	"github.com/pgmig/pgmig/hashcheck"
)

// State is what pgmig knows about one migration.
type State string

// The states a migration can be in.
const (
	StateApplied           State = "applied"             // applied; the file still matches
	StatePending           State = "pending"             // not applied yet
	StateChanged           State = "changed"             // applied, file changed since
	StateMissing           State = "missing"             // applied, file gone from the folder
	StateHashCheckDisabled State = "hash-check-disabled" // applied, file changed, marked disable-hash-check
)

// MigrationStatus describes one migration: a file, a tracking table row,
// or both.
type MigrationStatus struct {
	ID          int
	Name        string
	File        string // "" when the file is missing
	State       State
	AppliedAt   time.Time     // zero unless applied
	Duration    time.Duration // how long it ran; 0 when not recorded
	StoredHash  string        // hash in the tracking table, "" when pending
	CurrentHash string        // hash of the file, "" when missing
	Reason      string        // for changed files: what differs

	DisableTransaction bool
	DisableHashCheck   bool
}

// statusOfFiles matches the tracking table's rows with the files by id and checks
// every applied file against its stored hash. Row 0 (the table's own
// creation) is not a migration and is left out.
func statusOfFiles(fsys fs.FS, migs []Migration, rows []appliedRow) []MigrationStatus {
	out := make([]MigrationStatus, 0, len(migs))
	if !increasing(len(rows), func(i int) int { return rows[i].ID }) || !increasing(len(migs), func(i int) int { return migs[i].ID }) {
		return statusByMap(fsys, migs, rows, out)
	}
	// Both in id order, each id once (the tracking table's rows come
	// ordered by id): one pass, no map.
	var missing []MigrationStatus
	j := 0
	for i := range migs {
		m := &migs[i] // not a copy: the statement checks may still be filling in other fields
		for ; j < len(rows) && rows[j].ID < m.ID; j++ {
			missing = appendMissing(missing, rows[j])
		}
		var r *appliedRow
		if j < len(rows) && rows[j].ID == m.ID {
			r = &rows[j]
			j++
		}
		out = append(out, fileStatus(fsys, m, r))
	}
	for ; j < len(rows); j++ {
		missing = appendMissing(missing, rows[j])
	}
	return append(out, missing...)
}

// statusByMap is statusOfFiles for rows or files out of id order: a row
// whose id comes twice stands for that id as its last occurrence.
func statusByMap(fsys fs.FS, migs []Migration, rows []appliedRow, out []MigrationStatus) []MigrationStatus {
	byID := make(map[int]appliedRow, len(rows))
	for _, r := range rows {
		byID[r.ID] = r
	}
	seen := make(map[int]bool, len(migs))
	for i := range migs {
		m := &migs[i]
		seen[m.ID] = true
		var rp *appliedRow
		if r, ok := byID[m.ID]; ok {
			rp = &r
		}
		out = append(out, fileStatus(fsys, m, rp))
	}
	for _, r := range rows {
		if !seen[r.ID] {
			out = appendMissing(out, r)
		}
	}
	return out
}

// increasing reports whether id(0), ..., id(n-1) strictly increase.
func increasing(n int, id func(i int) int) bool {
	for i := 1; i < n; i++ {
		if id(i) <= id(i-1) {
			return false
		}
	}
	return true
}

// fileStatus is the state of file m given its tracking row r (nil: none).
func fileStatus(fsys fs.FS, m *Migration, r *appliedRow) MigrationStatus {
	s := MigrationStatus{
		ID: m.ID, Name: m.Name, File: m.File, CurrentHash: m.Hash, State: StatePending,
		DisableTransaction: m.DisableTransaction, DisableHashCheck: m.DisableHashCheck,
	}
	if r == nil {
		return s
	}
	s.AppliedAt, s.Duration, s.StoredHash = r.ExecutedAt, r.Duration, r.Hash
	switch {
	case hashcheck.Equal(r.Hash, m.Hash):
		s.State = StateApplied
	case m.DisableHashCheck:
		s.State = StateHashCheckDisabled
	default:
		s.State = StateChanged
		s.Reason = hashcheck.Changed.String()
		if content, err := fs.ReadFile(fsys, m.File); err == nil {
			s.Reason = hashcheck.Check(m.File, content, r.Hash).String()
		}
		if r.Name != m.Name {
			s.Reason += "; applied under the name " + r.Name
		}
	}
	return s
}

// appendMissing appends the state of tracking row r, which has no file,
// unless it is row 0 (the table's own).
func appendMissing(out []MigrationStatus, r appliedRow) []MigrationStatus {
	if r.ID <= 0 {
		return out
	}
	return append(out, MigrationStatus{
		ID: r.ID, Name: r.Name, State: StateMissing,
		AppliedAt: r.ExecutedAt, Duration: r.Duration, StoredHash: r.Hash,
	})
}

// integrityError returns an *IntegrityError for every changed or missing
// migration, or nil.
func integrityError(sts []MigrationStatus) error {
	var e IntegrityError
	for _, s := range sts {
		switch s.State {
		case StateChanged:
			e.Changed = append(e.Changed, HashMismatch{ID: s.ID, File: s.File, StoredHash: s.StoredHash, CurrentHash: s.CurrentHash, Reason: s.Reason})
		case StateMissing:
			e.Missing = append(e.Missing, MissingFile{ID: s.ID, Name: s.Name, StoredHash: s.StoredHash, AppliedAt: s.AppliedAt})
		}
	}
	if len(e.Changed) == 0 && len(e.Missing) == 0 {
		return nil
	}
	return &e
}
