package migrator

// runnable checks the rules about how a file runs for the migrations that
// are to run (pending ones, and with target > 0 only those up to target):
// their problems make a *FileError, which stops the run before anything
// runs. Files already applied are only compared by hash; what they break is
// returned as warnings, and so is nothing else about them. Changed and
// missing files are the integrity check's business.
func (m *Migrator) runnable(sts []MigrationStatus, target int) (warnings []FileProblem, err error) {
	var fe FileError
	for _, s := range sts {
		if s.File == "" {
			continue
		}
		mig := m.byID(s.ID)
		switch {
		case s.State == StatePending && (target == 0 || s.ID <= target):
			for _, p := range mig.problems {
				fe.Problems = append(fe.Problems, FileProblem{File: mig.File, Problem: p, RunRule: true})
			}
		case s.State == StateApplied || s.State == StateHashCheckDisabled:
			for _, p := range mig.problems {
				warnings = append(warnings, FileProblem{File: mig.File,
					Problem: "already applied, so only its hash is checked; as a new migration it would be refused: " + p})
			}
		}
	}
	if len(fe.Problems) > 0 {
		return warnings, &fe
	}
	return warnings, nil
}
