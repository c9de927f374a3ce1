package main

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// gitBranch is what renumber learns from git about a migrations folder.
type gitBranch struct {
	dir       string          // the migrations folder
	base      string          // the ref the branch is compared with
	mergeBase string          // commit of git merge-base HEAD base
	onBase    map[string]bool // files of the folder at the merge base or on base
	tracked   map[string]bool // files of the folder in git's index
}

// errNotGit says the folder is not in a git work tree (or git is missing).
var errNotGit = errors.New("not in a git repository")

// git runs git in dir and returns its stdout; an error carries its stderr.
func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errOut.String())
		if msg == "" {
			msg = err.Error()
		}
		return out.String(), fmt.Errorf("git %s: %s", strings.Join(args, " "), msg)
	}
	return out.String(), nil
}

// openGitBranch finds the files of dir that exist on the base: at the merge
// base of HEAD and base, or on base itself (a merge not yet committed). An
// empty base means the upstream of the current branch, else main. It
// returns errNotGit when dir is in no git work tree or git is not
// installed.
func openGitBranch(dir, base string) (*gitBranch, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, fmt.Errorf("%w (git is not installed)", errNotGit)
	}
	inside, err := git(dir, "rev-parse", "--is-inside-work-tree")
	if err != nil || strings.TrimSpace(inside) != "true" {
		return nil, errNotGit
	}
	prefix, err := git(dir, "rev-parse", "--show-prefix")
	if err != nil {
		return nil, err
	}
	prefix = strings.TrimSpace(prefix)
	if _, err := git(dir, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"); err != nil {
		return nil, &usageError{msg: fmt.Sprintf("%s: the git repository has no commit yet: nothing to compare the branch with", dir)}
	}
	if base == "" {
		base = "main"
		if up, err := git(dir, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}"); err == nil && strings.TrimSpace(up) != "" {
			base = strings.TrimSpace(up)
		}
	}
	if _, err := git(dir, "rev-parse", "--verify", "--quiet", base+"^{commit}"); err != nil {
		return nil, &usageError{msg: fmt.Sprintf("git knows no commit %q to compare the branch with: pass --base REF (the branch it was merged with, e.g. --base origin/main)", base)}
	}
	mb, err := git(dir, "merge-base", "HEAD", base)
	if err != nil {
		return nil, &usageError{msg: fmt.Sprintf("HEAD and %s have no common ancestor: pass --base REF, the branch this one was merged with", base)}
	}
	g := &gitBranch{dir: dir, base: base, mergeBase: strings.TrimSpace(mb), onBase: map[string]bool{}, tracked: map[string]bool{}}
	for _, rev := range []string{g.mergeBase, base} {
		tree := rev + ":" + prefix
		if kind, err := git(dir, "cat-file", "-t", tree); err != nil || strings.TrimSpace(kind) != "tree" {
			continue // the folder does not exist there
		}
		out, err := git(dir, "ls-tree", "--full-tree", "--name-only", "-z", tree)
		if err != nil {
			return nil, err
		}
		for _, f := range splitZ(out) {
			g.onBase[f] = true
		}
	}
	out, err := git(dir, "ls-files", "-z", "--", ".")
	if err != nil {
		return nil, err
	}
	for _, f := range splitZ(out) {
		if !strings.Contains(f, "/") {
			g.tracked[f] = true
		}
	}
	return g, nil
}

// short is the merge base as git abbreviates it.
func (g *gitBranch) short() string {
	if len(g.mergeBase) > 12 {
		return g.mergeBase[:12]
	}
	return g.mergeBase
}

func splitZ(s string) []string {
	var out []string
	for _, f := range strings.Split(s, "\x00") {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}
