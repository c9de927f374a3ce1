package migrator

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"strconv"

	"github.com/lib/pq"
	pgsql "github.com/pgmig/pgmig/sql"
)

// A run with nothing to do costs one round trip after connecting: the
// first attempt at the lock also looks up the tracking table and checks
// that its rows are exactly those of every file applied (sql/noop_check.sql),
// and the server releases the lock in the same query when they are. Any
// other answer (a pending file, a changed one, no table yet, an error after
// the lock statement) leaves the lock held and the run goes on as usual,
// reading the table again.

// noopFound is what the first lock attempt found when the run has nothing
// to do: the lock was taken and already released by the server.
type noopFound struct {
	table trackingTable
	rows  []appliedRow // the rows the digest stood for
	err   error        // the table's layout is not a tracking table's
}

// row0Name and row0Hash are postgres-migrations' built-in row 0
// (sql/insert_row0.sql, sql/create_table.sql).
const (
	row0Name = "create-migrations-table"
	row0Hash = "e18db593bcde2aca2a408c4d1100f6abba2195df"
)

// noopRows are the tracking rows of a database on which every file is
// applied: row 0 and one row per file.
func (m *Migrator) noopRows() []appliedRow {
	rows := make([]appliedRow, 0, len(m.migrations)+1)
	rows = append(rows, appliedRow{ID: 0, Name: row0Name, Hash: row0Hash})
	for i := range m.migrations {
		mig := &m.migrations[i] // not a copy: the statement checks may still be filling in other fields
		rows = append(rows, appliedRow{ID: mig.ID, Name: mig.Name, Hash: mig.Hash})
	}
	return rows
}

// noopDigest digests rows as sql/noop_check.sql digests the table:
// "id/name/hash" per row, joined by line breaks, SHA-256, as a bytea
// literal.
func noopDigest(rows []appliedRow) string {
	h := sha256.New()
	var b []byte
	for i, r := range rows {
		b = b[:0]
		if i > 0 {
			b = append(b, '\n')
		}
		b = strconv.AppendInt(b, int64(r.ID), 10)
		b = append(b, '/')
		b = append(b, r.Name...)
		b = append(b, '/')
		b = append(b, r.Hash...)
		h.Write(b)
	}
	return pq.QuoteLiteral(`\x` + hex.EncodeToString(h.Sum(nil)))
}

// noopQuery is the first lock attempt with the no-op check after it,
// for the tracking rows of a run with nothing to do.
func (m *Migrator) noopQuery(rows []appliedRow) string {
	key := m.opts.lockKeyLiteral()
	return pgsql.Render(pgsql.TryLock, "key", key) + ";\n" +
		pgsql.Render(pgsql.NoopCheck, "table", m.opts.qualifiedTable(), "regclass", m.opts.regclassLiteral(),
			"digest", noopDigest(rows), "key", key)
}

// lockState is the answer to sql/try_lock.sql.
type lockState struct {
	standby, readOnly, heldBefore, ok bool
	pid                               int
}

// firstLockAttempt runs noopQuery. It returns the lock statement's answer
// (an error there is the attempt's error), and found when the server also
// released the lock because the run has nothing to do. Whatever fails
// after the lock statement only means that the run goes on as usual: the
// lock, if taken, stays held (a session lock outlives the failed implicit
// transaction of the query string).
func (m *Migrator) firstLockAttempt(ctx context.Context, conn *sql.Conn) (st lockState, found *noopFound, err error) {
	expected := m.noopRows()
	rows, err := conn.QueryContext(ctx, m.noopQuery(expected))
	if err != nil {
		return st, nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return st, nil, err
		}
		return st, nil, sql.ErrNoRows
	}
	if err := rows.Scan(&st.standby, &st.readOnly, &st.heldBefore, &st.ok, &st.pid); err != nil {
		return st, nil, err
	}
	for rows.Next() { // the lock statement has one row
	}
	if !rows.NextResultSet() || !rows.Next() {
		return st, nil, nil
	}
	var n int
	var same, released bool
	var schema, kind sql.NullString
	var layout sql.NullBool
	if err := rows.Scan(&n, &same, &schema, &kind, &layout, &released); err != nil {
		// Whether the release ran is unknown: stop rather than write
		// without the lock, and end the session, which ends a lock it
		// may still hold.
		rows.Close()
		discard(conn)
		return st, nil, err
	}
	if !released {
		return st, nil, nil
	}
	for rows.Next() {
	}
	if rows.Err() != nil {
		// The release ran (its row came back), whatever failed after it.
		m.opts.log.Debug("no-op check: error after the release", "error", rows.Err())
	}
	found = &noopFound{table: m.tableIn(schema.String), rows: expected}
	if !layout.Bool || kind.String != "table" { // pg_identify_object's kind of a table, partitioned or not
		// The rows are right and the lock is free again, but the table
		// cannot be a tracking table: the layout query says why.
		found.err = m.layoutError(ctx, conn)
	}
	return st, found, nil
}

// layoutError is the *TableError of a tracking table whose layout the
// no-op check refused, as the layout query finds it.
func (m *Migrator) layoutError(ctx context.Context, conn *sql.Conn) error {
	_, _, err := m.resolveTable(ctx, conn)
	if err == nil {
		err = &TableError{Table: m.opts.displayTable(), Problem: "changed while pgmig looked at it: its columns no longer have the types of a tracking table"}
	}
	return err
}
