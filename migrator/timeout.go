package migrator

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	pgsql "github.com/pgmig/pgmig/sql"
)

// TimeoutSetting names the server setting whose time limit ended a
// migration's statement or the whole session, with its value and where the
// value comes from, so that a role- or database-level default that kills
// long migrations can be found and overridden.
type TimeoutSetting struct {
	Name   string        // statement_timeout, lock_timeout, idle_in_transaction_session_timeout, idle_session_timeout or transaction_timeout
	Value  string        // as the server shows it, with its unit: "5000ms"
	Source string        // pg_settings.source: "user", "database", "configuration file", ...
	After  time.Duration // the value as a duration
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
			s.After = settingDuration(setting, unit)
			return &s
		}
	}
	return nil
}

// settingDuration converts a pg_settings value of a time setting to a
// duration (0 when it cannot).
func settingDuration(setting, unit string) time.Duration {
	n, err := strconv.ParseInt(setting, 10, 64)
	if err != nil {
		return 0
	}
	switch unit {
	case "ms":
		return time.Duration(n) * time.Millisecond
	case "s":
		return time.Duration(n) * time.Second
	case "min":
		return time.Duration(n) * time.Minute
	}
	return 0
}

// explainSilentLoss names the timeout that most likely ended a session that
// was closed without an error message (the driver saw the connection
// close): the setting name, when it is set and no longer than elapsed, the
// time the session spent in the state that setting limits.
func explainSilentLoss(ctx context.Context, q queryer, err error, name string, elapsed time.Duration) {
	var lerr *ConnectionLostError
	if !errors.As(err, &lerr) || lerr.Timeout != nil || sqlState(lerr.Err) != "" {
		return
	}
	if s := lookupSetting(ctx, q, name); s != nil && s.After > 0 && s.After <= elapsed {
		lerr.Timeout = s
	}
}
