package main

import (
	"fmt"
	"runtime/debug"
)

// versionCmd prints pgmig's version.
type versionCmd struct{}

func (versionCmd) Run(a *app) error {
	fmt.Fprintln(a.stdout, "pgmig", version())
	return nil
}

// versionOverride is set at build time with -ldflags "-X main.versionOverride=v1.2.3".
var versionOverride string

// version is pgmig's version: the build's override, the module version,
// or "devel".
func version() string {
	if versionOverride != "" {
		return versionOverride
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
