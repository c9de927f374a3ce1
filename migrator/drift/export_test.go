package drift

import (
	"context"
	"database/sql"
)

// InspectTx is Inspect inside a transaction of the test's own, so that a
// test can change the schema, inspect it and roll the change back.
func InspectTx(ctx context.Context, tx *sql.Tx, opts Options) (*Schema, error) {
	return inspectTx(ctx, tx, opts)
}
