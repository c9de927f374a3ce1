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
	byID := make(map[int]appliedRow, len(rows))
	for _, r := range rows {
		byID[r.ID] = r
	}
	out := make([]MigrationStatus, 0, len(migs))
	seen := make(map[int]bool, len(migs))
	for i := range migs {
		m := &migs[i] // not a copy: the statement checks may still be filling in other fields
		seen[m.ID] = true
		s := MigrationStatus{
			ID: m.ID, Name: m.Name, File: m.File, CurrentHash: m.Hash, State: StatePending,
			DisableTransaction: m.DisableTransaction, DisableHashCheck: m.DisableHashCheck,
		}
		if r, ok := byID[m.ID]; ok {
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
		}
		out = append(out, s)
	}
	for _, r := range rows {
		if r.ID > 0 && !seen[r.ID] {
			out = append(out, MigrationStatus{
				ID: r.ID, Name: r.Name, State: StateMissing,
				AppliedAt: r.ExecutedAt, Duration: r.Duration, StoredHash: r.Hash,
			})
		}
	}
	return out
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
