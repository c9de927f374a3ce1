package migrator

import (
	"io/fs"

	"github.com/pgmig/pgmig/hashcheck"
)

// plan is what comparing the files with the tracking table found.
type plan struct {
	pending          []Migration // not applied yet, in id order
	applied          int         // applied migrations that still match their files
	hashCheckSkipped []Migration // applied, carrying disable-hash-check, file changed
}

// compare matches the tracking table's rows with the files by id and checks
// every applied file against its stored hash. It returns an
// *IntegrityError listing every changed or missing file.
func compare(fsys fs.FS, migs []Migration, rows []appliedRow) (plan, error) {
	byID := make(map[int]appliedRow, len(rows))
	for _, r := range rows {
		byID[r.ID] = r
	}
	var p plan
	var ierr IntegrityError
	seen := make(map[int]bool, len(migs))
	for _, m := range migs {
		seen[m.ID] = true
		r, ok := byID[m.ID]
		if !ok {
			p.pending = append(p.pending, m)
			continue
		}
		switch {
		case hashEqual(r.Hash, m.Hash):
			p.applied++
		case m.DisableHashCheck:
			p.applied++
			p.hashCheckSkipped = append(p.hashCheckSkipped, m)
		default:
			reason := hashcheck.Changed.String()
			if content, err := fs.ReadFile(fsys, m.File); err == nil {
				reason = hashcheck.Check(m.File, content, r.Hash).String()
			}
			ierr.Changed = append(ierr.Changed, HashMismatch{
				ID: m.ID, File: m.File, AppliedName: r.Name,
				StoredHash: r.Hash, CurrentHash: m.Hash, Reason: reason,
			})
		}
	}
	for _, r := range rows {
		if r.ID > 0 && !seen[r.ID] {
			ierr.Missing = append(ierr.Missing, MissingFile{ID: r.ID, Name: r.Name, StoredHash: r.Hash, AppliedAt: r.ExecutedAt})
		}
	}
	if len(ierr.Changed) > 0 || len(ierr.Missing) > 0 {
		return p, &ierr
	}
	return p, nil
}

func hashEqual(stored, current string) bool {
	if len(stored) != len(current) {
		return false
	}
	for i := 0; i < len(stored); i++ {
		c := stored[i]
		if 'A' <= c && c <= 'F' {
			c += 'a' - 'A'
		}
		if c != current[i] {
			return false
		}
	}
	return true
}
