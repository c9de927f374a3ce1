package main

import (
	"strings"
	"testing"
)

// TestCompletion: the shell asks pgmig itself, with the line typed so far
// in COMP_LINE, and gets the commands and flags that fit.
func TestCompletion(t *testing.T) {
	for line, want := range map[string]string{
		"pgmig ap":                  "apply",
		"pgmig apply --lock-t":      "--lock-timeout",
		"pgmig status --ta":         "--table",
		"pgmig completion ":         "fish",
		"pgmig apply --single-tran": "--single-transaction",
	} {
		t.Run(line, func(t *testing.T) { // COMP_LINE stays set until the subtest ends
			code, stdout, stderr := pgmigWith(t, runOptions{env: map[string]string{"COMP_LINE": line}})
			if code != exitOK || !strings.Contains(stdout, want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %q", code, stdout, stderr, want)
			}
		})
	}
	for shell, want := range map[string]string{"bash": "complete -C ", "zsh": "bashcompinit", "fish": "complete -c pgmig -f -a '(env COMP_LINE=(commandline -cp) "} {
		code, stdout, _ := pgmig(t, "completion", shell)
		if code != exitOK || !strings.Contains(stdout, want) || !strings.Contains(stdout, "pgmig") {
			t.Errorf("completion %s: exit %d\n%s", shell, code, stdout)
		}
	}
	if code, _, _ := pgmig(t, "completion", "tcsh"); code != exitUsage {
		t.Errorf("completion tcsh: exit %d, want %d", code, exitUsage)
	}
}
