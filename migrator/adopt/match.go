package adopt

import (
	"fmt"
	"strconv"
	"time"

	"github.com/pgmig/pgmig/migrator"
)

// File is one migration file against the other tool's history.
type File struct {
	migrator.Migration
	// Version is the file's version in the other tool: its id, or the
	// version the map gives it ("" when the map names none).
	Version string
	Applied bool // the other tool applied it
	// UpTo: applied because its version is at or below the tool's
	// current version or baseline ([Result.UpTo]), not by a row of its own.
	UpTo      bool
	AppliedAt time.Time // when, where the tool keeps it
	Action    Action    // what adopting does with it
}

// Action is what adopting does with one migration file.
type Action string

// The actions of a plan.
const (
	// ActionRecord: applied by the other tool and not in pgmig's table:
	// its row is written (by Adopt) or would be (by Plan).
	ActionRecord Action = "record"
	// ActionAlreadyRecorded: pgmig's table has its row already, with the
	// file's hash: nothing is written.
	ActionAlreadyRecorded Action = "already recorded"
	// ActionPending: not applied by the other tool: left for apply to run.
	ActionPending Action = "pending"
)

// match pairs the history with the files, in id order, and returns them
// with the highest id the other tool applied. Every problem is reported
// at once, with those of the history itself, in an *UncleanError; a map
// that names what the folder lacks is a *MapError.
func match(h *History, migs []migrator.Migration, mp *Map) ([]File, int, error) {
	var rm *resolvedMap
	if mp != nil {
		var err error
		if rm, err = mp.resolve(migs); err != nil {
			return nil, 0, err
		}
	}
	files := make([]File, len(migs))
	byKey := map[string]int{} // version key -> index in files
	for i, mig := range migs {
		files[i] = File{Migration: mig, Version: strconv.Itoa(mig.ID)}
		if rm != nil {
			files[i].Version = rm.ofFile[mig.ID]
		}
		if files[i].Version != "" {
			byKey[versionKey(files[i].Version)] = i
		}
	}
	problems := append([]Problem(nil), h.Problems...)
	for _, e := range h.Applied {
		i, ok := byKey[versionKey(e.Version)]
		if !ok {
			problems = append(problems, Problem{Kind: ProblemNoFile, Version: e.Version, Detail: "applied, but no migration file stands for it " + noFileWhy(rm)})
			continue
		}
		files[i].Applied, files[i].AppliedAt = true, e.AppliedAt
	}
	if h.Through != "" {
		if _, ok := byKey[versionKey(h.Through)]; !ok && h.ThroughNeedsFile {
			problems = append(problems, Problem{Kind: ProblemNoFile, Version: h.Through,
				Detail: "the current version, but no migration file stands for it " + noFileWhy(rm)})
		}
		for i := range files {
			if files[i].Version != "" && compareVersions(files[i].Version, h.Through) <= 0 && !files[i].Applied {
				files[i].Applied, files[i].UpTo = true, true
			}
		}
	}
	through := 0
	for _, f := range files {
		if f.Applied {
			through = f.ID
		}
	}
	for _, f := range files {
		if f.ID >= through {
			break
		}
		if !f.Applied {
			why := "it has no version in the map"
			if f.Version != "" {
				why = fmt.Sprintf("its version %s is not applied in %s", f.Version, h.Tool)
			}
			problems = append(problems, Problem{Kind: ProblemGap, Version: f.Version, File: f.File,
				Detail: fmt.Sprintf("%s, while %s applied a file above it (id %d); pgmig applies in strict order and would never run it", why, h.Tool, through)})
		}
	}
	if len(problems) > 0 {
		return nil, 0, &UncleanError{Tool: h.Tool, Table: h.Table, Problems: problems}
	}
	return files, through, nil
}

func noFileWhy(rm *resolvedMap) string {
	if rm != nil {
		return "(no line of the version map names it)"
	}
	return "(no file has that id)"
}
