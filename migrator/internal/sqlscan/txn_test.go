package sqlscan

import "testing"

func TestTransactionControl(t *testing.T) {
	tests := []struct {
		src  string
		form string // "" means not transaction control
	}{
		{"begin;", "BEGIN"},
		{"BEGIN TRANSACTION ISOLATION LEVEL SERIALIZABLE", "BEGIN"},
		{"Begin Work", "BEGIN"},
		{"/* c */ -- d\n begin", "BEGIN"},
		{"start transaction", "START TRANSACTION"},
		{"START TRANSACTION READ ONLY", "START TRANSACTION"},
		{"start", ""},
		{"commit", "COMMIT"},
		{"COMMIT AND CHAIN", "COMMIT"},
		{"commit work", "COMMIT"},
		{"commit prepared 'x'", "COMMIT PREPARED"},
		{"end", "END"},
		{"END TRANSACTION", "END"},
		{"rollback", "ROLLBACK"},
		{"ROLLBACK AND NO CHAIN", "ROLLBACK"},
		{"rollback work", "ROLLBACK"},
		{"rollback prepared 'x'", "ROLLBACK PREPARED"},
		{"abort", "ABORT"},
		{"prepare transaction 'x'", "PREPARE TRANSACTION"},
		{"PREPARE TRANSACTION $$x$$", "PREPARE TRANSACTION"},
		{"ROLLBACK TO SAVEPOINT x", ""},
		{"rollback to x", ""},
		{"rollback transaction to savepoint x", ""},
		{"savepoint a", ""},
		{"release savepoint a", ""},
		{"release a", ""},
		{"prepare transaction as select 1", ""},
		{"prepare transaction (int) as select $1", ""},
		{"prepare p as select 1", ""},
		{"set transaction isolation level serializable", ""},
		{"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END", ""},
		{"do $$ begin commit; end $$", ""},
		{`"begin"`, ""},
		{"select 'commit'", ""},
		{"beginning", ""},
	}
	for _, tt := range tests {
		stmts, err := Split(tt.src)
		if err != nil || len(stmts) != 1 {
			t.Fatalf("Split(%q) = %v, %v; want one statement", tt.src, stmts, err)
		}
		form, ok := TransactionControl(stmts[0])
		if form != tt.form || ok != (tt.form != "") {
			t.Errorf("TransactionControl(%q) = %q, %v; want %q", tt.src, form, ok, tt.form)
		}
	}
}
