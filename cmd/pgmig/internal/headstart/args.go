package headstart

import (
	"slices"
	"strings"
)

// RootValueFlags are the root flags that take a value, which may be the
// next argument.
var RootValueFlags = []string{"--url", "--log-format", "--log-level"}

// commands are those that read a folder and one database and connect
// while they read the files.
var commands = map[string]bool{"apply": true, "status": true, "verify": true, "plan": true}

// blockers are flags with which a command connects otherwise (to many
// targets) or not at all.
var blockers = []string{"--targets", "--each-database", "--each-schema", "--offline"}

// CommandName returns the first argument that is neither a flag nor the
// value of a root flag, unless help or the version is asked for anywhere.
func CommandName(args []string) (string, bool) {
	for _, a := range args {
		if a == "-h" || a == "--help" || strings.HasPrefix(a, "--help=") || a == "--version" || strings.HasPrefix(a, "--version=") {
			return "", false
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return "", false
		case strings.HasPrefix(a, "-"):
			if slices.Contains(RootValueFlags, a) {
				i++ // its value
			}
		default:
			return a, true
		}
	}
	return "", false
}

// urlArgument returns the value of --url among args ("" when absent), and
// false when args hold a flag with which the command connects otherwise.
// The value is a guess (it could be another flag's value): the command
// compares the settings before it takes the connection.
func urlArgument(args []string) (string, bool) {
	url := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		for _, f := range blockers {
			if a == f || strings.HasPrefix(a, f+"=") {
				return "", false
			}
		}
		switch {
		case a == "--url" && i+1 < len(args):
			url = args[i+1]
			i++
		case strings.HasPrefix(a, "--url="):
			url = strings.TrimPrefix(a, "--url=")
		}
	}
	return url, true
}

// OneDatabase returns the --url argument of args when they name a command
// whose first need is one database (apply, status, verify, plan), and
// false otherwise.
func OneDatabase(args []string) (string, bool) {
	_, url, ok := oneDatabase(args)
	return url, ok
}

// oneDatabase is OneDatabase that also returns the command's name.
func oneDatabase(args []string) (command, url string, ok bool) {
	command, ok = CommandName(args)
	if !ok || !commands[command] {
		return "", "", false
	}
	url, ok = urlArgument(args)
	return command, url, ok
}
