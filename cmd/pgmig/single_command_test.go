package main

import (
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
	"github.com/pgmig/pgmig/cmd/pgmig/internal/headstart"
)

func fullParser(t *testing.T, cli *CLI) *kong.Kong {
	t.Helper()
	p, err := kong.New(cli, kong.Name("pgmig"), kong.Writers(io.Discard, io.Discard), kong.Exit(func(int) {}),
		kong.Vars{"version": version()}, kong.DefaultEnvars("PGMIG"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSingleCommandGrammar: the grammar of one command fills the CLI as
// the whole grammar does, for every command and for root flags before it.
func TestSingleCommandGrammar(t *testing.T) {
	clearEnv(t)
	t.Setenv("PGMIG_LOCK_WAIT", "7s")
	var whole CLI
	for _, node := range fullParser(t, &whole).Model.Children {
		if _, ok := (&CLI{}).single([]string{node.Name}); !ok {
			t.Errorf("command %s has no single-command grammar", node.Name)
		}
	}
	for _, args := range [][]string{
		{"apply", "dir"},
		{"--url", "postgres://u@h/db", "apply", "--lock-timeout", "5s", "--json", "dir"},
		{"-v", "--log-format", "json", "status", "--json", "dir"},
		{"--log-level=debug", "verify", "dir"},
		{"plan", "--to", "3", "dir"},
		{"lint", "--pg-version", "14", "--strict", "dir"},
		{"new", "dir", "add-users"},
		{"createdb", "--url", "postgres://u@h/db"},
		{"apply", "--each-schema", "tenant%", "-j", "8", "dir"},
		{"version"},
	} {
		var full, one CLI
		if _, err := fullParser(t, &full).Parse(args); err != nil {
			t.Fatalf("%q: whole grammar: %v", args, err)
		}
		opt, ok := one.single(args)
		if !ok {
			t.Fatalf("%q: no single-command grammar", args)
		}
		p, err := kong.New(&one.rootFlags, kong.Name("pgmig"), kong.Writers(io.Discard, io.Discard), kong.Exit(func(int) {}),
			kong.Vars{"version": version()}, kong.DefaultEnvars("PGMIG"), opt)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Parse(args); err != nil {
			t.Fatalf("%q: single-command grammar: %v", args, err)
		}
		if !reflect.DeepEqual(full.rootFlags, one.rootFlags) {
			t.Errorf("%q: root flags differ:\nwhole  %+v\nsingle %+v", args, full.rootFlags, one.rootFlags)
		}
		name, _ := headstart.CommandName(args)
		fv, ov := reflect.ValueOf(full), reflect.ValueOf(one)
		for i := range fv.NumField() {
			if f := fv.Type().Field(i); strings.ToLower(f.Name) == name {
				if !reflect.DeepEqual(fv.Field(i).Interface(), ov.Field(i).Interface()) {
					t.Errorf("%q: %s differs:\nwhole  %+v\nsingle %+v", args, name, fv.Field(i).Interface(), ov.Field(i).Interface())
				}
			}
		}
	}
}

// TestCommandNameFallsBack: help, the version and anything unusual go to
// the whole grammar.
func TestCommandNameFallsBack(t *testing.T) {
	for _, args := range [][]string{
		{}, {"--help"}, {"apply", "--help"}, {"apply", "-h"}, {"--version"}, {"-v"}, {"--", "apply"}, {"--url", "x"},
	} {
		if name, ok := headstart.CommandName(args); ok {
			t.Errorf("headstart.CommandName(%q) = %q, want the whole grammar", args, name)
		}
	}
	if name, ok := headstart.CommandName([]string{"--url", "apply", "status", "d"}); !ok || name != "status" {
		t.Errorf("the value of --url taken for the command: %q", name)
	}
}

// TestRootValueFlags: headstart.RootValueFlags lists exactly the root flags that
// take a value.
func TestRootValueFlags(t *testing.T) {
	var cli CLI
	var got []string
	for _, f := range fullParser(t, &cli).Model.Flags {
		if !f.IsBool() && !f.IsCounter() && f.Name != "help" {
			got = append(got, "--"+f.Name)
		}
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(headstart.RootValueFlags))
	if !slices.Equal(got, want) {
		t.Errorf("root flags with a value %v, headstart.RootValueFlags %v", got, want)
	}
}
