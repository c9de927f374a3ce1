package main

import (
	"reflect"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/pgmig/pgmig/cmd/pgmig/internal/headstart"
)

// single returns, when args name a command plainly, the kong option that
// adds that command alone (the field of c, so that parsing fills c as the
// whole grammar would) to a grammar of rootFlags.
func (c *CLI) single(args []string) (kong.Option, bool) {
	name, ok := headstart.CommandName(args)
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
