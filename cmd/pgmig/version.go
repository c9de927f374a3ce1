package main

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// versionCmd prints pgmig's version and the revision it was built from.
type versionCmd struct{}

func (versionCmd) Run(a *app) error {
	line := "pgmig " + version()
	if rev := revision(); rev != "" {
		line += " (" + rev + ")"
	}
	fmt.Fprintln(a.stdout, line)
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

// revision describes the VCS revision of the build from its build info:
// "revision 1a2b3c4d5e6f, 2026-12-01T20:54:00Z, with local changes", or
// "" when the build has none (go run, go test, a module download).
func revision() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	rev := settings["vcs.revision"]
	if rev == "" {
		return ""
	}
	parts := []string{"revision " + rev[:min(len(rev), 12)]}
	if t := settings["vcs.time"]; t != "" {
		parts = append(parts, t)
	}
	if settings["vcs.modified"] == "true" {
		parts = append(parts, "with local changes")
	}
	return strings.Join(parts, ", ")
}
