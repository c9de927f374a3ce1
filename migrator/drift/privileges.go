package drift

import (
	"database/sql"
	"sort"
	"strings"

	pgsql "github.com/pgmig/pgmig/sql"
)

// currentUser stands, in owners and grants, for the role that inspects the
// database, so that objects owned by whoever ran the migrations compare
// equal on a dev server (its superuser) and on the target (the
// application's role).
const currentUser = "CURRENT_USER"

// allPrivileges lists, per kind of object, the privileges that GRANT ALL
// gives on every version from PostgreSQL 12 (MAINTAIN, added to tables in
// 17, is left out of the test so that ALL reads the same everywhere).
var allPrivileges = map[string][]string{
	"table":             {"DELETE", "INSERT", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE"},
	"view":              {"DELETE", "INSERT", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE"},
	"materialized view": {"DELETE", "INSERT", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE"},
	"foreign table":     {"DELETE", "INSERT", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE"},
	"sequence":          {"SELECT", "UPDATE", "USAGE"},
	"schema":            {"CREATE", "USAGE"},
	"function":          {"EXECUTE"},
	"procedure":         {"EXECUTE"},
	"type":              {"USAGE"},
	"domain":            {"USAGE"},
}

// privileges reads owners and grants. The schema public is left out: its
// owner and default privileges changed in PostgreSQL 15.
func (in *inspector) privileges() error {
	type target struct{ kind, name string }
	owners := map[target]string{}
	grants := map[target]map[string][]string{}
	role := func(r string) string {
		if r == in.currentUser {
			return currentUser
		}
		return r
	}
	err := in.query(pgsql.DriftPrivileges, func(rows *sql.Rows) error {
		var kind, name, owner, grantee, privilege string
		var grantable bool
		if err := rows.Scan(&kind, &name, &owner, &grantee, &privilege, &grantable); err != nil {
			return err
		}
		if kind == "schema" && name == "public" {
			return nil
		}
		if kind == "procedure" {
			name = normalizeProcedureArgs(name)
		}
		t := target{kind, name}
		if kind != "column" {
			owners[t] = role(owner)
		}
		if grantee == "" {
			return nil
		}
		if grantable {
			privilege += " WITH GRANT OPTION"
		}
		if grants[t] == nil {
			grants[t] = map[string][]string{}
		}
		g := role(grantee)
		grants[t][g] = append(grants[t][g], privilege)
		return nil
	})
	if err != nil {
		return err
	}
	for t, owner := range owners {
		in.add(KindOwner, t.kind+" "+t.name, owner)
	}
	for t, byRole := range grants {
		roles := make([]string, 0, len(byRole))
		for r := range byRole {
			roles = append(roles, r)
		}
		sort.Strings(roles)
		lines := make([]string, 0, len(roles))
		for _, r := range roles {
			lines = append(lines, r+": "+privilegeList(t.kind, byRole[r]))
		}
		in.add(KindGrant, t.kind+" "+t.name, strings.Join(lines, "\n"))
	}
	return nil
}

// privilegeList returns privs sorted, as ALL when they are all the
// privileges of kind (each with grant option, or none).
func privilegeList(kind string, privs []string) string {
	sort.Strings(privs)
	for _, suffix := range []string{"", " WITH GRANT OPTION"} {
		all := allPrivileges[kind]
		if len(all) == 0 {
			break
		}
		have := map[string]bool{}
		for _, p := range privs {
			have[p] = true
		}
		full := true
		for _, p := range all {
			if !have[p+suffix] {
				full = false
				break
			}
		}
		extra := len(privs) - len(all)
		if have["MAINTAIN"+suffix] {
			extra--
		}
		if full && extra == 0 {
			return "ALL" + suffix
		}
	}
	return strings.Join(privs, ", ")
}
