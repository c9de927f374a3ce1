package migrator

import (
	"context"
	"errors"
	"fmt"
	"time"

	pgsql "github.com/pgmig/pgmig/sql"
)

// TimeoutSetting names the server setting whose time limit ended a
// migration's statement or the whole session, with its value and where the
// value comes from, so that a role- or database-level default that kills
// long migrations can be found and overridden.
type TimeoutSetting struct {
	Name   string // statement_timeout, lock_timeout, idle_in_transaction_session_timeout, idle_session_timeout or transaction_timeout
	Value  string // as the server shows it, with its unit: "5000ms"
	Source string // pg_settings.source: "user", "database", "configuration file", ...
}

func (s TimeoutSetting) String() string {
	return fmt.Sprintf("%s = %s, %s", s.Name, s.Value, describeSource(s.Source))
}

// timeoutSettingFor names the setting behind a SQLSTATE, or "".
func timeoutSettingFor(sqlstate string) string {
	switch sqlstate {
	case "57014": // query_canceled: statement_timeout, or a cancel request
		return "statement_timeout"
	case "55P03": // lock_not_available
		return "lock_timeout"
	case "25P03": // idle_in_transaction_session_timeout
		return "idle_in_transaction_session_timeout"
	case "25P04": // transaction_timeout (PostgreSQL 17)
		return "transaction_timeout"
	case "57P05": // idle_session_timeout (PostgreSQL 14)
		return "idle_session_timeout"
	}
	return ""
}

// lookupTimeout finds the setting that explains err, asking q (the
// migration's connection while it lives, else a new one from the pool). It
// returns nil when err is no timeout or the setting is off (0): a cancel
// request or the migration's own SET then explain it.
func lookupTimeout(ctx context.Context, q queryer, err error) *TimeoutSetting {
	return lookupSetting(ctx, q, timeoutSettingFor(sqlState(err)))
}

// lookupSetting returns the timeout setting name with its value and source,
// or nil when it is off, unknown to the server, or name is "".
func lookupSetting(ctx context.Context, q queryer, name string) *TimeoutSetting {
	if name == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	rows, qerr := q.QueryContext(ctx, pgsql.TimeoutSettings)
	if qerr != nil {
		return nil
	}
	defer rows.Close()
	for rows.Next() {
		var s TimeoutSetting
		var setting, unit string
		if rows.Scan(&s.Name, &setting, &unit, &s.Source) != nil {
			return nil
		}
		if s.Name == name && setting != "0" {
			s.Value = setting + unit
			return &s
		}
	}
	return nil
}

// sqlState returns the SQLSTATE of a server error in err's chain, or "".
// Any driver whose errors have a SQLState method (lib/pq, pgx) will do.
func sqlState(err error) string {
	var s interface{ SQLState() string }
	if errors.As(err, &s) {
		return s.SQLState()
	}
	return ""
}
