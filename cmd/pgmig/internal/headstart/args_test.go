package headstart

import "testing"

func TestURLArgument(t *testing.T) {
	for _, c := range []struct {
		args []string
		url  string
		ok   bool
	}{
		{[]string{"apply", "dir"}, "", true},
		{[]string{"--url", "postgres://a/b", "apply", "dir"}, "postgres://a/b", true},
		{[]string{"apply", "--url=host=x dbname=y", "dir"}, "host=x dbname=y", true},
		{[]string{"--url", "u1", "apply", "--url", "u2", "dir"}, "u2", true},
		{[]string{"apply", "--each-database", "app_%", "dir"}, "", false},
		{[]string{"apply", "--targets=fleet.txt", "dir"}, "", false},
		{[]string{"status", "--each-schema", "t_%", "dir"}, "", false},
		{[]string{"lint", "--offline", "dir"}, "", false},
		{[]string{"apply", "--", "--url", "x"}, "", true}, // after "--" nothing is a flag
	} {
		url, ok := urlArgument(c.args)
		if url != c.url || ok != c.ok {
			t.Errorf("urlArgument(%q) = %q, %v; want %q, %v", c.args, url, ok, c.url, c.ok)
		}
	}
}
