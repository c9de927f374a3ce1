package main

import (
	"reflect"
	"strings"

	"github.com/alecthomas/kong"
)

// rootValueFlags are the root flags that take a value, which may be the
// next argument. TestRootValueFlags keeps the list in step with rootFlags.
var rootValueFlags = []string{"--url", "--log-format", "--log-level"}

// single returns, when args name a command plainly, the kong option that
// adds that command alone (the field of c, so that parsing fills c as the
// whole grammar would) to a grammar of rootFlags.
func (c *CLI) single(args []string) (kong.Option, bool) {
	name, ok := commandName(args)
	if !ok {
		return nil, false
	}
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if _, isCmd := f.Tag.Lookup("cmd"); !isCmd || strings.ToLower(f.Name) != name {
			continue
		}
		return kong.DynamicCommand(name, f.Tag.Get("help"), "", v.Field(i).Addr().Interface()), true
	}
	return nil, false
}

// commandName returns the first argument that is neither a flag nor the
// value of a root flag, unless help or the version is asked for anywhere.
func commandName(args []string) (string, bool) {
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
			for _, f := range rootValueFlags {
				if a == f {
					i++ // its value
				}
			}
		default:
			return a, true
		}
	}
	return "", false
}
