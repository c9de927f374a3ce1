package migratortest

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/lib/pq"
)

// dsnQuoter escapes a value for single quotes in a key=value DSN.
var dsnQuoter = strings.NewReplacer(`\`, `\\`, `'`, `\'`)

// quoteDSNValue quotes v for a lib/pq key=value DSN.
func quoteDSNValue(v string) string {
	return "'" + dsnQuoter.Replace(v) + "'"
}

// dsnValue returns v for a lib/pq key=value DSN, quoted only if needed.
func dsnValue(v string) string {
	if v == "" || strings.ContainsAny(v, " \t\n\r\f\v'\\=") {
		return quoteDSNValue(v)
	}
	return v
}

// keyValueDSN converts a postgres:// or postgresql:// URL to a lib/pq
// key=value DSN and returns any other string unchanged, after checking that
// lib/pq accepts it. Keys appended to the result override the ones in it.
func keyValueDSN(dsn string) (string, error) {
	dsn = strings.TrimSpace(dsn)
	if _, err := pq.NewConfig(dsn); err != nil {
		return "", fmt.Errorf("parse dsn: %w", err)
	}
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("parse dsn url: %w", err)
	}
	var kvs []string
	add := func(k, v string) {
		if v != "" {
			kvs = append(kvs, k+"="+dsnValue(v))
		}
	}
	if u.User != nil {
		add("user", u.User.Username())
		pw, _ := u.User.Password()
		add("password", pw)
	}
	add("host", u.Hostname())
	add("port", u.Port())
	add("dbname", strings.TrimPrefix(u.Path, "/"))
	q := u.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		add(k, q.Get(k))
	}
	return strings.Join(kvs, " "), nil
}
