package main

import (
	"fmt"

	"os"
	"path/filepath"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/willabides/kongplete"
)

// completionCmd is 'pgmig completion SHELL': it prints the line that makes
// a shell ask pgmig itself for completions. The completions are computed
// from pgmig's command-line model by github.com/willabides/kongplete and
// github.com/posener/complete (see completeCommandLine), so they follow
// every command and flag without a script to keep in step.
type completionCmd struct {
	Shell string `arg:"" enum:"bash,zsh,fish" help:"bash, zsh or fish."`
}

func (c *completionCmd) Help() string {
	return `Prints what to add to the shell's start-up file so that the shell completes
pgmig's commands and flags (for example with TAB after 'pgmig ap').

Examples:
  pgmig completion bash >> ~/.bashrc
  pgmig completion zsh >> ~/.zshrc
  pgmig completion fish > ~/.config/fish/completions/pgmig.fish`
}

func (c *completionCmd) Run(a *app) error {
	bin, err := os.Executable()
	if err != nil {
		bin = "pgmig"
	} else if abs, err := filepath.Abs(bin); err == nil {
		bin = abs
	}
	fmt.Fprint(a.stdout, completionScript(c.Shell, bin))
	return nil
}

// completionScript registers bin as the completer of the command pgmig:
// the shell runs it with COMP_LINE set to the line typed so far.
func completionScript(shell, bin string) string {
	q := "'" + strings.ReplaceAll(bin, "'", `'\''`) + "'"
	switch shell {
	case "zsh":
		return "autoload -U +X bashcompinit && bashcompinit\ncomplete -C " + q + " pgmig\n"
	case "fish":
		return "complete -c pgmig -f -a '(env COMP_LINE=(commandline -cp) " + strings.ReplaceAll(q, "'", `\'`) + ")'\n"
	default:
		return "complete -C " + q + " pgmig\n"
	}
}

// completeCommandLine answers a shell's completion request (COMP_LINE set
// by 'complete -C') with the commands and flags that fit, and reports
// whether it did; pgmig then exits without running anything.
func completeCommandLine(parser *kong.Kong) bool {
	if os.Getenv("COMP_LINE") == "" {
		return false
	}
	done := false
	kongplete.Complete(parser, kongplete.WithExitFunc(func(int) { done = true }),
		kongplete.WithErrorHandler(func(err error) { fmt.Fprintln(parser.Stderr, "pgmig: completion:", err) }))
	return done
}
