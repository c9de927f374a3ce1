package lint

import (
	"strings"

	pg "github.com/pgmig/pgmig/migrator/lint/internal/pgtree"
)

// volatileFuncs are built-in functions marked VOLATILE: a column default
// that calls one is computed for every existing row (a rewrite).
var volatileFuncs = map[string]bool{
	"random": true, "random_normal": true, "gen_random_uuid": true, "uuidv4": true, "uuidv7": true,
	"uuid_generate_v1": true, "uuid_generate_v1mc": true, "uuid_generate_v4": true, "gen_random_bytes": true,
	"clock_timestamp": true, "timeofday": true, "nextval": true, "setval": true,
	"txid_current": true, "pg_current_xact_id": true,
}

// stableFuncs are built-in STABLE or IMMUTABLE functions common in
// defaults: evaluated once, the value is stored in the catalog and no row
// is touched.
var stableFuncs = map[string]bool{
	"now": true, "transaction_timestamp": true, "statement_timestamp": true, "current_setting": true,
	"lower": true, "upper": true, "length": true, "concat": true, "md5": true, "to_char": true,
	"to_timestamp": true, "to_date": true, "date_trunc": true, "make_interval": true, "make_date": true,
	"jsonb_build_object": true, "json_build_object": true, "jsonb_build_array": true, "json_build_array": true,
	"array_fill": true, "current_database": true, "current_schema": true, "timezone": true,
}

// volatility finds a call in a default expression that makes it
// volatile. It returns the function's name and whether lint knows it is
// volatile (false: lint does not know the function and assumes the worst).
func volatility(n *pg.Node) (fn string, known bool, volatile bool) {
	if n == nil {
		return "", true, false
	}
	switch {
	case n.GetFuncCall() != nil:
		fc := n.GetFuncCall()
		name := ""
		if len(fc.Funcname) > 0 {
			name = strings.ToLower(fc.Funcname[len(fc.Funcname)-1].GetString_().GetSval())
		}
		if volatileFuncs[name] {
			return name, true, true
		}
		if !stableFuncs[name] {
			return name, false, true
		}
		for _, a := range fc.Args {
			if f, k, v := volatility(a); v {
				return f, k, v
			}
		}
	case n.GetTypeCast() != nil:
		return volatility(n.GetTypeCast().Arg)
	case n.GetAExpr() != nil:
		if f, k, v := volatility(n.GetAExpr().Lexpr); v {
			return f, k, v
		}
		return volatility(n.GetAExpr().Rexpr)
	case n.GetBoolExpr() != nil:
		return volatilityList(n.GetBoolExpr().Args)
	case n.GetCoalesceExpr() != nil:
		return volatilityList(n.GetCoalesceExpr().Args)
	case n.GetAArrayExpr() != nil:
		return volatilityList(n.GetAArrayExpr().Elements)
	case n.GetRowExpr() != nil:
		return volatilityList(n.GetRowExpr().Args)
	case n.GetSubLink() != nil:
		return "a subquery", false, true
	}
	return "", true, false
}

func volatilityList(list []*pg.Node) (string, bool, bool) {
	for _, a := range list {
		if f, k, v := volatility(a); v {
			return f, k, v
		}
	}
	return "", true, false
}
