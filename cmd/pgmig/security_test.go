package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/pgmig/pgmig/migrator"
	"github.com/pgmig/pgmig/migrator/migratortest"
)

// Security of what pgmig connects to and sends: TLS modes, passwords that
// never appear in output, names quoted wherever pgmig splices them into SQL.

// ---------------------------------------------------------------- TLS

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a server certificate and its key, both PEM, for the names
// and addresses given.
func (ca *testCA) issue(t *testing.T, dnsNames []string, ips []net.IP) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: dnsNames[0]},
		DNSNames:     dnsNames,
		IPAddresses:  ips,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

// writeServerFile writes a file into the data directory of c, for the
// server to read, and returns its path.
func writeServerFile(t testing.TB, c *migratortest.Cluster, name string, data []byte, perm os.FileMode) string {
	t.Helper()
	if err := c.WriteFile(name, data, perm); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(c.DataDir(), name)
}

// restart restarts the cluster (fast), so that the server reads its
// configuration files anew.
func restart(t testing.TB, c *migratortest.Cluster) {
	t.Helper()
	if err := c.Restart("fast"); err != nil {
		t.Fatal(err)
	}
}

// startTLSCluster starts a private cluster serving TLS with a certificate
// of a fresh CA for localhost, db.example.test and 127.0.0.1, and returns
// the cluster and the path of the CA certificate.
//
// The harness passes ClusterOptions.Settings on the postgres command line
// from the first start on, when the certificate cannot be in the data
// directory yet (it exists only after initdb), and ssl=on with a missing
// certificate stops the server from starting. So the cluster starts
// without TLS, the files are written, TLS is switched on in
// postgresql.auto.conf and the server restarted.
func startTLSCluster(t *testing.T) (*migratortest.Cluster, string) {
	t.Helper()
	c := migratortest.StartCluster(t, migratortest.ClusterOptions{})
	ca := newTestCA(t, "pgmig test CA")
	certPEM, keyPEM := ca.issue(t, []string{"localhost", "db.example.test"}, []net.IP{net.IPv4(127, 0, 0, 1)})
	certPath := writeServerFile(t, c, "server.crt", certPEM, 0o644)
	keyPath := writeServerFile(t, c, "server.key", keyPEM, 0o600)
	admin, err := sql.Open("postgres", c.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, stmt := range []string{
		"ALTER SYSTEM SET ssl = on",
		"ALTER SYSTEM SET ssl_cert_file = " + pq.QuoteLiteral(certPath),
		"ALTER SYSTEM SET ssl_key_file = " + pq.QuoteLiteral(keyPath),
	} {
		if _, err := admin.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	admin.Close()
	restart(t, c)
	caPath := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(caPath, ca.pem, 0o644); err != nil {
		t.Fatal(err)
	}
	return c, caPath
}

const tlsMigration = "CREATE TABLE tls_check AS SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid();"

// usedTLS reads what the TLS migration stored: whether pgmig's own
// connection used TLS.
func usedTLS(t *testing.T, d *migratortest.Database) bool {
	t.Helper()
	ssl := column[bool](t, d, "SELECT ssl FROM tls_check")
	if len(ssl) != 1 {
		t.Fatalf("tls_check has %d rows, want 1", len(ssl))
	}
	return ssl[0]
}

func TestTLSConnections(t *testing.T) {
	c, caPath := startTLSCluster(t)
	srv := c.Server(t)
	wrongCA := newTestCA(t, "some other CA")
	wrongCAPath := filepath.Join(t.TempDir(), "wrong-ca.crt")
	if err := os.WriteFile(wrongCAPath, wrongCA.pem, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := writeMigrations(t, map[string]string{"1_tls.sql": tlsMigration})
	var on string
	admin, err := sql.Open("postgres", c.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.QueryRow("SHOW ssl").Scan(&on); err != nil || on != "on" {
		t.Fatalf("ssl = %q (%v): the cluster does not serve TLS", on, err)
	}

	ok := []struct {
		name, settings string
		tls            bool
	}{
		{"sslmode=require", "host=127.0.0.1 sslmode=require", true},
		{"sslmode=disable", "host=127.0.0.1 sslmode=disable", false}, // shows that the check can see plain connections
		{"default sslmode is prefer and uses TLS", "host=127.0.0.1", true},
		{"sslmode=prefer", "host=127.0.0.1 sslmode=prefer", true},
		{"verify-full localhost via hostaddr", "host=localhost hostaddr=127.0.0.1 sslmode=verify-full sslrootcert=" + caPath, true},
		{"verify-full other name via hostaddr", "host=db.example.test hostaddr=127.0.0.1 sslmode=verify-full sslrootcert=" + caPath, true},
		{"verify-full IP address in certificate", "host=127.0.0.1 sslmode=verify-full sslrootcert=" + caPath, true},
		{"verify-ca ignores the host name", "host=wrong.name hostaddr=127.0.0.1 sslmode=verify-ca sslrootcert=" + caPath, true},
		{"require with the right root certificate", "host=127.0.0.1 sslmode=require sslrootcert=" + caPath, true},
	}
	if localhostInHostsFile() {
		ok = append(ok, struct {
			name, settings string
			tls            bool
		}{"verify-full host=localhost", "host=localhost sslmode=verify-full sslrootcert=" + caPath, true})
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			d := srv.NewDatabase(t)
			settings := fmt.Sprintf("%s port=%d user=postgres dbname=%s", tt.settings, c.Port(), d.Name)
			code, stdout, stderr := pgmig(t, "--url", settings, "--log-format", "json", "apply", dir)
			if code != 0 {
				t.Fatalf("%s: exit %d\n%s%s", settings, code, stdout, stderr)
			}
			if got := usedTLS(t, d); got != tt.tls {
				t.Fatalf("%s: connection used TLS = %v, want %v", settings, got, tt.tls)
			}
		})
	}

	// The same settings through the PG* variables.
	t.Run("PGSSLMODE and PGSSLROOTCERT", func(t *testing.T) {
		d := srv.NewDatabase(t)
		code, _, stderr := pgmigWith(t, runOptions{env: map[string]string{
			"PGHOST": "localhost", "PGHOSTADDR": "127.0.0.1", "PGPORT": fmt.Sprint(c.Port()), "PGUSER": "postgres",
			"PGDATABASE": d.Name, "PGSSLMODE": "verify-full", "PGSSLROOTCERT": caPath,
		}}, "apply", dir)
		if code != 0 || !usedTLS(t, d) {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
	})

	fail := []struct {
		name, settings string
		want           []string
	}{
		// The certificate names localhost and db.example.test; hostaddr
		// makes the connection go to 127.0.0.1 without a name lookup while
		// host is what the certificate must name.
		{"verify-full wrong host name", "host=wrong.name hostaddr=127.0.0.1 sslmode=verify-full sslrootcert=" + caPath,
			[]string{"certificate", "wrong.name"}},
		{"verify-full wrong CA", "host=localhost hostaddr=127.0.0.1 sslmode=verify-full sslrootcert=" + wrongCAPath,
			[]string{"certificate signed by unknown authority"}},
		{"verify-ca wrong CA", "host=127.0.0.1 sslmode=verify-ca sslrootcert=" + wrongCAPath,
			[]string{"certificate signed by unknown authority"}},
		// libpq: require with a root certificate file behaves as verify-ca.
		{"require with a wrong root certificate", "host=127.0.0.1 sslmode=require sslrootcert=" + wrongCAPath,
			[]string{"certificate signed by unknown authority"}},
		// No sslrootcert (and an empty HOME): the system roots do not know the test CA.
		{"verify-full without root certificate", "host=localhost hostaddr=127.0.0.1 sslmode=verify-full",
			[]string{"certificate signed by unknown authority"}},
		{"verify-full missing root certificate file", "host=localhost hostaddr=127.0.0.1 sslmode=verify-full sslrootcert=/nonexistent/ca.crt",
			[]string{"/nonexistent/ca.crt"}},
	}
	for _, tt := range fail {
		t.Run(tt.name, func(t *testing.T) {
			d := srv.NewDatabase(t)
			settings := fmt.Sprintf("%s port=%d user=postgres dbname=%s", tt.settings, c.Port(), d.Name)
			code, stdout, stderr := pgmig(t, "--url", settings, "--log-format", "json", "apply", dir)
			t.Logf("%s: exit %d: %s", settings, code, stderr)
			if code != exitConnect {
				t.Errorf("%s: exit %d, want %d\n%s%s", settings, code, exitConnect, stdout, stderr)
			}
			for _, w := range append(tt.want, "pgmig: error: cannot connect to the database") {
				if !strings.Contains(stderr, w) {
					t.Errorf("%s: stderr does not contain %q:\n%s", settings, w, stderr)
				}
			}
			if relationExists(t, d.DB, "tls_check") || relationExists(t, d.DB, "migrations") {
				t.Errorf("%s: something was applied despite the failed verification", settings)
			}
		})
	}
}

// localhostInHostsFile reports whether /etc/hosts maps localhost to
// 127.0.0.1, so that resolving it sends nothing to a DNS server.
func localhostInHostsFile() bool {
	b, err := os.ReadFile("/etc/hosts")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) > 1 && f[0] == "127.0.0.1" && slices.Contains(f[1:], "localhost") {
			return true
		}
	}
	return false
}

func TestTLSPreferFallsBackWithoutTLS(t *testing.T) {
	c := migratortest.StartCluster(t, migratortest.ClusterOptions{})
	srv := c.Server(t)
	dir := writeMigrations(t, map[string]string{"1_tls.sql": tlsMigration})
	for _, mode := range []string{"", " sslmode=prefer", " sslmode=allow"} {
		t.Run("sslmode"+strings.TrimPrefix(mode, " sslmode"), func(t *testing.T) {
			d := srv.NewDatabase(t)
			settings := fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=%s%s", c.Port(), d.Name, mode)
			code, stdout, stderr := pgmig(t, "--url", settings, "apply", dir)
			if code != 0 {
				t.Fatalf("%s: exit %d\n%s%s", settings, code, stdout, stderr)
			}
			if usedTLS(t, d) {
				t.Fatalf("%s: TLS used on a server without TLS?", settings)
			}
		})
	}
	for _, mode := range []string{"require", "verify-ca", "verify-full"} {
		t.Run("sslmode="+mode, func(t *testing.T) {
			d := srv.NewDatabase(t)
			settings := fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=%s sslmode=%s", c.Port(), d.Name, mode)
			code, _, stderr := pgmig(t, "--url", settings, "apply", dir)
			if code != exitConnect || !strings.Contains(stderr, "SSL is not enabled on the server") ||
				!strings.Contains(stderr, "hint: the server does not offer TLS") {
				t.Fatalf("%s: exit %d, want %d with a hint\n%s", settings, code, exitConnect, stderr)
			}
			if relationExists(t, d.DB, "tls_check") {
				t.Fatal("applied without TLS although TLS was required")
			}
		})
	}
}

// ---------------------------------------------------------------- passwords

// The secrets carry a marker that survives every escaping (letters and
// digits are never escaped), so that any form of them is found.
const (
	secretMarker = "Zq7Sentinel"
	wrongMarker  = "Xk4Sentinel"
	secretPW     = `p@ss:w/rd%` + secretMarker + ` ?#&='"\;+`
	wrongPW      = `wr0ng:p@ss%` + wrongMarker + `/'x`
)

// leaks returns the forms of the secrets found in out.
func leaks(out string) []string {
	var found []string
	for _, s := range []string{secretPW, wrongPW} {
		forms := []string{s, url.QueryEscape(s), url.PathEscape(s), url.UserPassword("u", s).String()}
		for _, f := range forms {
			if strings.Contains(out, f) {
				found = append(found, f)
			}
		}
	}
	for _, m := range []string{secretMarker, wrongMarker} {
		if strings.Contains(out, m) {
			found = append(found, m)
		}
	}
	return found
}

func TestPasswordLeakCheckDetects(t *testing.T) {
	// The check below must be able to fail: every form is detected.
	for _, s := range []string{secretPW, url.QueryEscape(secretPW), url.PathEscape(wrongPW),
		url.UserPassword("app", secretPW).String(), fmt.Sprintf("%q", secretPW), pq.QuoteLiteral(wrongPW)} {
		if len(leaks("before "+s+" after")) == 0 {
			t.Errorf("leak check misses %q", s)
		}
	}
	if l := leaks("pgmig: error: password authentication failed for user \"app\" ********"); len(l) > 0 {
		t.Errorf("false positive %v", l)
	}
}

// escapeKV quotes v for a key=value connection string.
func escapeKV(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// escapePgpass escapes v for a field of a .pgpass line.
func escapePgpass(v string) string {
	return strings.NewReplacer(`\`, `\\`, `:`, `\:`).Replace(v)
}

// scramCluster is a private cluster where role app logs in over TCP with
// scram-sha-256 and password secretPW; postgres keeps trust for the harness.
type scramCluster struct {
	c     *migratortest.Cluster
	srv   *migratortest.Server
	admin *sql.DB // superuser postgres, database postgres
}

func startScramCluster(t testing.TB) *scramCluster {
	t.Helper()
	c := migratortest.StartCluster(t, migratortest.ClusterOptions{})
	writeServerFile(t, c, "pg_hba.conf", []byte(
		"local all all trust\n"+
			"host all postgres 127.0.0.1/32 trust\n"+
			"host all all 127.0.0.1/32 scram-sha-256\n"), 0o600)
	restart(t, c)
	admin, err := sql.Open("postgres", c.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	admin.SetMaxOpenConns(1) // SET below applies to the one session
	t.Cleanup(func() { admin.Close() })
	if _, err := admin.Exec("SET password_encryption = 'scram-sha-256'"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("CREATE ROLE app LOGIN CREATEDB PASSWORD " + pq.QuoteLiteral(secretPW)); err != nil {
		t.Fatal(err)
	}
	var stored string
	if err := admin.QueryRow("SELECT rolpassword FROM pg_authid WHERE rolname = 'app'").Scan(&stored); err != nil || !strings.HasPrefix(stored, "SCRAM-SHA-256$") {
		t.Fatalf("app's password is not a SCRAM verifier: %q (%v)", stored, err)
	}
	var rules int
	if err := admin.QueryRow("SELECT count(*) FROM pg_hba_file_rules WHERE 'scram-sha-256' = auth_method AND 'all' = ANY(user_name)").Scan(&rules); err != nil || rules != 1 {
		t.Fatalf("pg_hba.conf not in effect: %d scram rules (%v)", rules, err)
	}
	return &scramCluster{c: c, srv: c.Server(t), admin: admin}
}

// newAppDatabase creates a database owned by app.
func (s *scramCluster) newAppDatabase(t testing.TB) *migratortest.Database {
	t.Helper()
	d := s.srv.NewDatabase(t)
	if _, err := d.DB.Exec("ALTER DATABASE " + pq.QuoteIdentifier(d.Name) + " OWNER TO app"); err != nil {
		t.Fatal(err)
	}
	return d
}

// passwordSource is one way of handing pgmig the password.
type passwordSource struct {
	name string
	// conn returns the --url value and the environment for password pw,
	// database db and port port.
	conn func(t *testing.T, pw, db string, port int) (string, map[string]string)
}

func noPasswordURL(db string, port int) string {
	return (&url.URL{Scheme: "postgres", User: url.User("app"), Host: fmt.Sprintf("127.0.0.1:%d", port),
		Path: "/" + db, RawQuery: "sslmode=disable"}).String()
}

var passwordSources = []passwordSource{
	{"url", func(t *testing.T, pw, db string, port int) (string, map[string]string) {
		return (&url.URL{Scheme: "postgres", User: url.UserPassword("app", pw), Host: fmt.Sprintf("127.0.0.1:%d", port),
			Path: "/" + db, RawQuery: "sslmode=disable"}).String(), nil
	}},
	{"keyvalue", func(t *testing.T, pw, db string, port int) (string, map[string]string) {
		return fmt.Sprintf("host=127.0.0.1 port=%d user=app dbname=%s sslmode=disable password=%s", port, escapeKV(db), escapeKV(pw)), nil
	}},
	{"PGPASSWORD", func(t *testing.T, pw, db string, port int) (string, map[string]string) {
		return noPasswordURL(db, port), map[string]string{"PGPASSWORD": pw}
	}},
	{"PGPASSFILE", func(t *testing.T, pw, db string, port int) (string, map[string]string) {
		path := filepath.Join(t.TempDir(), "pgpass")
		if err := os.WriteFile(path, []byte("# test\n*:*:*:app:"+escapePgpass(pw)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return noPasswordURL(db, port), map[string]string{"PGPASSFILE": path}
	}},
}

func TestPasswordNeverPrintedOnAnyPath(t *testing.T) {
	s := startScramCluster(t)
	port := s.c.Port()
	// A transactional and a disable-transaction file: debug logs each
	// statement of the latter.
	files := map[string]string{
		"1_a.sql": "CREATE TABLE a (id int);",
		"2_b.sql": "-- pgmig disable-transaction\nCREATE INDEX CONCURRENTLY a_id ON a (id);\nSELECT 1;\n",
	}
	logArgs := [][]string{
		{"--log-level", "debug", "--log-format", "json"},
		{"--log-level", "debug", "--log-format", "console"},
		{"-v", "--log-format", "console"},
	}
	var runs int
	check := func(t *testing.T, label string, wantCode int, wantOut string, env map[string]string, args ...string) {
		t.Helper()
		runs++
		code, stdout, stderr := pgmigWith(t, runOptions{env: env}, args...)
		if code != wantCode && !(wantCode < 0 && code > 0) {
			t.Errorf("%s: exit %d, want %d\n%s%s", label, code, wantCode, stdout, stderr)
		}
		if !strings.Contains(stdout+stderr, wantOut) {
			t.Errorf("%s: output does not contain %q:\n%s%s", label, wantOut, stdout, stderr)
		}
		if l := leaks(stdout + stderr); len(l) > 0 {
			t.Errorf("%s: password printed (%q):\nstdout:\n%s\nstderr:\n%s", label, l, stdout, stderr)
		}
	}

	for _, src := range passwordSources {
		t.Run(src.name, func(t *testing.T) {
			d := s.newAppDatabase(t)
			dir := writeMigrations(t, files)
			good, env := src.conn(t, secretPW, d.Name, port)

			// Without the password the server refuses app: the password is
			// what lets the success paths through.
			check(t, "no password", exitConnect, "password authentication failed", nil, "--url", noPasswordURL(d.Name, port), "status", dir)

			for i, la := range logArgs {
				pre := append(append([]string{}, la...), "--url", good)
				label := fmt.Sprintf("%v", la)
				if i == 0 {
					check(t, "plan "+label, 0, "1_a.sql", env, append(pre, "plan", dir)...)
					check(t, "apply "+label, 0, "statement done", env, append(pre, "apply", dir)...)
				}
				check(t, "status "+label, 0, "applied", env, append(pre, "status", dir)...)
				check(t, "status --json "+label, 0, `"command"`, env, append(pre, "status", "--json", dir)...)
				check(t, "verify "+label, 0, "ok: 2 migrations applied", env, append(pre, "verify", dir)...)
				check(t, "plan "+label, 0, "", env, append(pre, "plan", "--json", dir)...)
				check(t, "apply again "+label, 0, "nothing to apply", env, append(pre, "apply", dir)...)

				created := fmt.Sprintf("pgmig_pw_%s_%d_%s", strings.ToLower(src.name), i, randomHex(t, 4))
				s.srv.DropDatabaseLater(t, created)
				check(t, "createdb "+label, 0, "created database", env, append(pre, "createdb", created)...)
				check(t, "createdb exists "+label, 0, "already exists", env, append(pre, "createdb", created)...)

				fresh := created + "_apply"
				s.srv.DropDatabaseLater(t, fresh)
				freshURL, freshEnv := src.conn(t, secretPW, fresh, port)
				check(t, "apply --create-db "+label, 0, "created database", freshEnv, append(append([]string{}, la...), "--url", freshURL, "apply", "--create-db", dir)...)
			}

			// Failures, all with debug logs.
			dbg := []string{"--log-level", "debug", "--log-format", "json"}
			with := func(conn string, args ...string) []string {
				return append(append(append([]string{}, dbg...), "--url", conn), args...)
			}
			wrong, wrongEnv := src.conn(t, wrongPW, d.Name, port)
			check(t, "wrong password", exitConnect, "password authentication failed", wrongEnv, with(wrong, "apply", dir)...)
			check(t, "wrong password, console", exitConnect, "hint: check the user name and password", wrongEnv,
				"--log-format", "console", "--url", wrong, "status", dir)
			check(t, "wrong password, createdb", exitConnect, "password authentication failed", wrongEnv, with(wrong, "createdb", "x")...)
			check(t, "wrong password, apply --create-db --json", exitConnect, `"error"`, wrongEnv, with(wrong, "apply", "--create-db", "--json", dir)...)

			refused, refusedEnv := src.conn(t, secretPW, d.Name, 1)
			check(t, "refused port", exitConnect, "cannot connect to the database", refusedEnv, with(refused, "apply", dir)...)
			check(t, "refused port, verify --json", exitConnect, "cannot connect", refusedEnv, with(refused, "verify", "--json", dir)...)

			missing, missingEnv := src.conn(t, secretPW, "pgmig_no_such_db", port)
			check(t, "missing database", exitConnect, "does not exist", missingEnv, with(missing, "apply", dir)...)
			check(t, "missing database, plan", exitConnect, "does not exist", missingEnv, with(missing, "plan", dir)...)

			bad := writeMigrations(t, map[string]string{"1_a.sql": "CREATE TABLE a (id int);", "2_b.sql": "SELECT 1;\nSELEC 2;\n"})
			d2 := s.newAppDatabase(t)
			conn2, env2 := src.conn(t, secretPW, d2.Name, port)
			check(t, "SQL failure", exitSQL, "SELEC 2", env2, with(conn2, "apply", bad)...)
			check(t, "SQL failure --json", exitSQL, "SELEC", env2, with(conn2, "apply", "--json", bad)...)
			check(t, "pending", exitPending, "", env2, with(conn2, "verify", bad)...)
			os.WriteFile(filepath.Join(bad, "1_a.sql"), []byte("CREATE TABLE a (id bigint);"), 0o644)
			check(t, "integrity failure", exitIntegrity, "changed since it was applied", env2, with(conn2, "apply", bad)...)
			check(t, "integrity failure, status", 0, "changed", env2, with(conn2, "status", bad)...)
			check(t, "integrity failure, verify --json", exitIntegrity, "changed", env2, with(conn2, "verify", "--json", bad)...)

			holder := migratortest.HoldLock(t, d.DB, migrator.LockKey)
			os.WriteFile(filepath.Join(dir, "3_c.sql"), []byte("SELECT 3;"), 0o644)
			check(t, "lock timeout", exitLockTimeout, "timed out waiting for the migration lock", env, with(good, "apply", "--lock-wait", "300ms", dir)...)
			holder.Release()

			check(t, "bad table", -1, "invalid table name", env, with(good, "apply", "--table", `"unterminated`, dir)...)
		})
	}

	// Connection settings that do not parse, with the password in them.
	t.Run("invalid settings", func(t *testing.T) {
		dir := writeMigrations(t, files)
		esc := url.UserPassword("app", secretPW).String()
		for _, tt := range []struct {
			name, url string
			env       map[string]string
		}{
			{"URL with bad port", "postgres://" + esc + "@127.0.0.1:notaport/db", nil},
			{"URL with bad sslmode", "postgres://" + esc + "@127.0.0.1:1/db?sslmode=sometimes", nil},
			{"URL with bad escape", "postgres://app:" + secretMarker + "%zz@127.0.0.1/db", nil},
			{"URL with raw space", "postgres://app:" + secretMarker + " x@127.0.0.1:notaport/db", nil},
			{"key=value with bad sslmode", "host=127.0.0.1 port=1 password=" + escapeKV(secretPW) + " sslmode=sometimes", nil},
			{"key=value unterminated", "host=127.0.0.1 password=" + escapeKV(secretPW) + " dbname='x", nil},
			{"URL with raw double quote", "postgres://app:" + secretMarker + `"x@127.0.0.1/db`, nil},
			{"URL with raw backslash", "postgres://app:" + secretMarker + `\x@127.0.0.1/db`, nil},
			{"URL with raw tab", "postgres://app:" + secretMarker + "\tx@127.0.0.1:notaport/db", nil},
			{"key=value with password in another key's name", "user=password_owner password=" + escapeKV(secretPW) + " sslmode=sometimes", nil},
			{"key=value unquoted", "host=127.0.0.1 password=" + secretMarker + ` sslmode=sometimes`, nil},
			{"PGPASSWORD with bad sslmode", "host=127.0.0.1 sslmode=sometimes", map[string]string{"PGPASSWORD": secretPW}},
			{"PGPASSWORD with bad URL", "postgres://app@127.0.0.1:notaport/db", map[string]string{"PGPASSWORD": secretPW}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				for _, cmd := range [][]string{{"apply", dir}, {"createdb"}, {"status", "--json", dir}} {
					args := append([]string{"--log-level", "debug", "--url", tt.url}, cmd...)
					check(t, tt.name+" "+cmd[0], exitUsage, "invalid connection settings", tt.env, args...)
				}
			})
		}
	})
	t.Logf("%d runs checked", runs)
}

// ---------------------------------------------------------------- quoting

// weirdName returns a database or schema name made of quotes, spaces,
// capitals and a semicolon, unique per call.
func weirdName(t *testing.T) string {
	return `My "DB"; DROP DATABASE postgres;-- ` + randomHex(t, 4)
}

// databases lists the databases of d's server.
func databases(t *testing.T, d *migratortest.Database) []string {
	t.Helper()
	return column[string](t, d, "SELECT datname FROM pg_database ORDER BY datname")
}

// column runs a one-column query on d and returns its values.
func column[T any](t *testing.T, d *migratortest.Database, query string) []T {
	t.Helper()
	rows, err := d.DB.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// newDatabases returns the names in after and not in before.
func newDatabases(before, after []string) []string {
	var out []string
	for _, n := range after {
		if !slices.Contains(before, n) {
			out = append(out, n)
		}
	}
	return out
}

func TestQuotingCreatedb(t *testing.T) {
	d := migratortest.NewDatabase(t)
	name := weirdName(t)
	owner := `Ow"ner; DROP ROLE x;-- ` + randomHex(t, 4)
	if _, err := d.DB.Exec("CREATE ROLE " + pq.QuoteIdentifier(owner)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.DB.Exec("DROP ROLE IF EXISTS " + pq.QuoteIdentifier(owner)) })
	migratortest.Shared(t).DropDatabaseLater(t, name)
	before := databases(t, d)
	code, stdout, stderr := pgmig(t, "--url", d.DSN, "createdb", "--owner", owner, "--template", "template0", name)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	after := databases(t, d)
	if got := newDatabases(before, after); len(got) != 1 || got[0] != name || len(after) != len(before)+1 {
		t.Fatalf("new databases %q (before %q, after %q), want exactly %q", got, before, after, name)
	}
	var dba string
	if err := d.DB.QueryRow("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", name).Scan(&dba); err != nil || dba != owner {
		t.Fatalf("owner %q (%v), want %q", dba, err, owner)
	}
	if !strings.Contains(stderr, "created database") {
		t.Errorf("no log of the creation:\n%s", stderr)
	}
	// Again: exists, nothing happens.
	code, _, stderr = pgmig(t, "--url", d.DSN, "createdb", name)
	if code != 0 || !strings.Contains(stderr, "already exists") || len(databases(t, d)) != len(after) {
		t.Fatalf("second createdb: exit %d\n%s", code, stderr)
	}
	// Values given as SQL literals are quoted too: a bad one is an error
	// of PostgreSQL, and nothing is created.
	evil := weirdName(t)
	migratortest.Shared(t).DropDatabaseLater(t, evil)
	code, _, stderr = pgmig(t, "--url", d.DSN, "createdb", "--encoding", `UTF8' TEMPLATE template0 --`, evil)
	if code == 0 || !strings.Contains(stderr, `UTF8' TEMPLATE template0 --`) || len(databases(t, d)) != len(after) {
		t.Fatalf("encoding with a quote: exit %d\n%s", code, stderr)
	}
}

func TestQuotingTable(t *testing.T) {
	d := migratortest.NewDatabase(t)
	const schema, table = `Sch ema`, `Ta"ble; x`
	if _, err := d.DB.Exec("CREATE SCHEMA " + pq.QuoteIdentifier(schema)); err != nil {
		t.Fatal(err)
	}
	// A same-named table folded to lower case or in public must not be used.
	if _, err := d.DB.Exec(`CREATE TABLE "ta""ble; x" (x int)`); err != nil {
		t.Fatal(err)
	}
	dir := writeMigrations(t, map[string]string{"1_a.sql": "CREATE TABLE a (id int);"})
	flag := `"Sch ema"."Ta""ble; x"`
	code, stdout, stderr := pgmig(t, "--url", d.DSN, "apply", "--table", flag, dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	var rows int
	err := d.DB.QueryRow("SELECT count(*) FROM " + pq.QuoteIdentifier(schema) + "." + pq.QuoteIdentifier(table)).Scan(&rows)
	if err != nil || rows != 2 {
		t.Fatalf("tracking table %s.%s has %d rows (%v), want 2", schema, table, rows, err)
	}
	var tables []string
	r, err := d.DB.Query(`SELECT n.nspname || '|' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var s string
		r.Scan(&s)
		tables = append(tables, s)
	}
	r.Close()
	want := []string{"Sch ema|Ta\"ble; x", "public|a", "public|ta\"ble; x"}
	if !slices.Equal(tables, want) {
		t.Fatalf("tables %q, want %q", tables, want)
	}
	for _, cmd := range [][]string{{"apply"}, {"status"}, {"verify"}, {"plan"}} {
		args := append([]string{"--url", d.DSN}, cmd...)
		code, stdout, stderr := pgmig(t, append(args, "--table", flag, dir)...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", cmd[0], code, stdout, stderr)
		}
	}
	// The schema missing: an error naming it, nothing created.
	code, _, stderr = pgmig(t, "--url", d.DSN, "apply", "--table", `"No; Schema"."x"`, dir)
	if code == 0 || !strings.Contains(stderr, "No; Schema") {
		t.Fatalf("missing schema: exit %d\n%s", code, stderr)
	}
}

func TestQuotingCreateDBInConnectionSettings(t *testing.T) {
	d := migratortest.NewDatabase(t)
	cfg, err := pq.NewConfig(d.DSN)
	if err != nil {
		t.Fatal(err)
	}
	dir := writeMigrations(t, map[string]string{"1_a.sql": "CREATE TABLE a (id int);"})
	// key=value: the name in single quotes, ' and \ escaped with \.
	kvName := `My 'DB' \ "x"; DROP DATABASE postgres;-- ` + randomHex(t, 4)
	kvEscaped := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(kvName)
	// URL: the name percent-encoded in the path.
	urlName := weirdName(t) + ` 'q' /?#%`
	u := &url.URL{Scheme: "postgres", User: url.User(cfg.User), Host: net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port)),
		Path: "/" + urlName, RawQuery: "sslmode=" + string(cfg.SSLMode)}
	if cfg.Password != "" {
		u.User = url.UserPassword(cfg.User, cfg.Password)
	}
	for _, tt := range []struct{ form, name, settings string }{
		{"key=value", kvName, d.DSNFor("postgres") + ` dbname='` + kvEscaped + `'`}, // the later dbname wins
		{"URL", urlName, u.String()},
	} {
		t.Run(tt.form, func(t *testing.T) {
			migratortest.Shared(t).DropDatabaseLater(t, tt.name)
			before := databases(t, d)
			code, stdout, stderr := pgmig(t, "--url", tt.settings, "apply", "--create-db", dir)
			if code != 0 {
				t.Fatalf("%s: exit %d\n%s%s", tt.settings, code, stdout, stderr)
			}
			if got := newDatabases(before, databases(t, d)); len(got) != 1 || got[0] != tt.name {
				t.Fatalf("new databases %q, want exactly %q", got, tt.name)
			}
			db, err := sql.Open("postgres", d.DSNFor(tt.name))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var n int
			if err := db.QueryRow("SELECT count(*) FROM migrations WHERE id = 1 AND name = 'a'").Scan(&n); err != nil || n != 1 {
				t.Fatalf("migration not recorded in %q: %d (%v)", tt.name, n, err)
			}
			if _, err := db.Exec("SELECT id FROM a"); err != nil {
				t.Fatalf("migration not applied in %q: %v", tt.name, err)
			}
			// Everything else works against it too.
			for _, cmd := range []string{"apply", "verify", "status", "createdb"} {
				args := []string{"--url", tt.settings, cmd}
				if cmd != "createdb" {
					args = append(args, dir)
				}
				if code, stdout, stderr := pgmig(t, args...); code != 0 {
					t.Fatalf("%s: exit %d\n%s%s", cmd, code, stdout, stderr)
				}
			}
		})
	}
}
