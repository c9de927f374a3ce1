package headstart

import (
	"strconv"
	"strings"
	"syscall"
)

// A target is where lib/pq will connect for a set of connection settings,
// as its Dialer sees it: the network ("tcp" or "unix") and the address
// ("127.0.0.1:5432", "/var/run/postgresql/.s.PGSQL.5432").
type target struct {
	network, address string
	sa               syscall.Sockaddr
}

// guessTarget works out, without lib/pq (whose packages initialise too
// late), where lib/pq will connect for url ("" for $PGMIG_DATABASE_URL,
// $DATABASE_URL or none) and the PG* variables getenv returns. It knows
// only the simple cases: one host given as an IPv4 address or a socket
// folder, no service file. Anything else, or anything it cannot read,
// gives false. A wrong guess costs one unused connection: the command's
// dialer hands the socket out only for the address lib/pq asks for.
func guessTarget(url string, getenv func(string) string) (target, bool) {
	if url == "" {
		url = getenv("PGMIG_DATABASE_URL")
	}
	if url == "" {
		url = getenv("DATABASE_URL")
	}
	for _, c := range []byte(url) {
		if c >= 0x80 {
			return target{}, false // lib/pq reads runes: leave the rest of Unicode to it
		}
	}
	// lib/pq reads the environment first, then lets the settings override it.
	kv := map[string]string{}
	for k, env := range map[string]string{"host": "PGHOST", "hostaddr": "PGHOSTADDR", "port": "PGPORT", "service": "PGSERVICE"} {
		if v := getenv(env); v != "" {
			kv[k] = v
		}
	}
	var ok bool
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		ok = readURL(url, kv)
	} else {
		ok = readKeywords(url, kv)
	}
	if !ok || kv["service"] != "" || getenv("PGSERVICEFILE") != "" {
		return target{}, false
	}
	port := 5432
	if p, set := kv["port"]; set {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 || p[0] == '+' {
			return target{}, false
		}
		port = n
	}
	host := kv["host"]
	if a := kv["hostaddr"]; a != "" {
		host = a // lib/pq connects to hostaddr and uses host only for TLS
		if host[0] == '/' {
			return target{}, false
		}
	}
	if host == "" {
		host = "localhost"
	}
	if strings.Contains(host, ",") {
		return target{}, false // several hosts
	}
	for _, c := range []byte(host) {
		if c < ' ' || c > '~' {
			return target{}, false // lib/pq may rewrite what is not printable ASCII
		}
	}
	if host[0] == '/' {
		dir, ok := cleanDir(host)
		if !ok {
			return target{}, false
		}
		path := dir + "/.s.PGSQL." + strconv.Itoa(port)
		if dir == "/" {
			path = "/.s.PGSQL." + strconv.Itoa(port)
		}
		return target{network: "unix", address: path, sa: &syscall.SockaddrUnix{Name: path}}, true
	}
	ip, ok := parseIPv4(host)
	if !ok {
		return target{}, false // a name needs the resolver; IPv6 is left to lib/pq
	}
	return target{network: "tcp", address: host + ":" + strconv.Itoa(port), sa: &syscall.SockaddrInet4{Port: port, Addr: ip}}, true
}

// cleanDir returns an absolute folder as filepath.Clean would give it,
// when it already is that apart from trailing slashes.
func cleanDir(dir string) (string, bool) {
	for len(dir) > 1 && dir[len(dir)-1] == '/' {
		dir = dir[:len(dir)-1]
	}
	if strings.Contains(dir, "//") || strings.Contains(dir+"/", "/./") || strings.Contains(dir+"/", "/../") {
		return "", false
	}
	return dir, true
}

// parseIPv4 reads a dotted-decimal IPv4 address without leading zeros,
// the form Go's resolver takes as a literal.
func parseIPv4(s string) ([4]byte, bool) {
	var ip [4]byte
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return ip, false
	}
	for i, p := range parts {
		if p == "" || len(p) > 3 || (len(p) > 1 && p[0] == '0') {
			return ip, false
		}
		n := 0
		for _, c := range []byte(p) {
			if c < '0' || c > '9' {
				return ip, false
			}
			n = n*10 + int(c-'0')
		}
		if n > 255 {
			return ip, false
		}
		ip[i] = byte(n)
	}
	return ip, true
}

// readURL reads the host, hostaddr, port and service of a postgres:// URL
// into kv. False when the URL is not of the plain form
// postgres://[user[:password]@][host][:port][/dbname][?key=value&...].
func readURL(url string, kv map[string]string) bool {
	rest := url[strings.Index(url, "://")+3:]
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	query := ""
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest, query = rest[:i], rest[i+1:]
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	if strings.HasPrefix(rest, "[") {
		return false // IPv6
	}
	host, port := rest, ""
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		host, port = rest[:i], rest[i+1:]
	}
	var ok bool
	if host, ok = unescape(host); !ok {
		return false
	}
	// lib/pq turns the URL into keywords, empty values left out, in an
	// order where a query parameter may or may not override the host or
	// port before it: such URLs are left to it. A parameter given twice
	// counts once, the first time.
	fromNetloc := map[string]bool{}
	if host != "" {
		kv["host"], fromNetloc["host"] = host, true
	}
	if port != "" {
		kv["port"], fromNetloc["port"] = port, true
	}
	seen := map[string]bool{}
	for _, pair := range strings.Split(query, "&") {
		if pair == "" {
			continue
		}
		if strings.Contains(pair, ";") {
			return false // Go's URL parser drops such a parameter
		}
		k, v, _ := strings.Cut(pair, "=")
		k, ok1 := unescape(k)
		v, ok2 := unescape(v)
		if !ok1 || !ok2 {
			return false
		}
		for _, c := range []byte(k) {
			if (c < 'a' || c > 'z') && c != '_' {
				return false // lib/pq reads the key again as a keyword
			}
		}
		if seen[k] || v == "" {
			continue
		}
		seen[k] = true
		if fromNetloc[k] {
			return false
		}
		kv[k] = v
	}
	return true
}

// unescape undoes URL query escaping (%XX, and + for a space).
func unescape(s string) (string, bool) {
	if !strings.ContainsAny(s, "%+") {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			b.WriteByte(' ')
		case '%':
			if i+2 >= len(s) {
				return "", false
			}
			h, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return "", false
			}
			b.WriteByte(byte(h))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// readKeywords reads the settings of a libpq keyword/value string
// (host=127.0.0.1 port=5432 'quoted values', backslash escapes) into kv,
// by lib/pq's rules.
func readKeywords(s string, kv map[string]string) bool {
	i := 0
	skip := func() {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
	}
	for {
		skip()
		if i >= len(s) {
			return true
		}
		start := i
		for i < len(s) && s[i] != '=' && !isSpace(s[i]) {
			i++
		}
		key := s[start:i]
		skip()
		if i >= len(s) || s[i] != '=' || key == "" {
			return false
		}
		i++
		skip()
		var v strings.Builder
		quoted := i < len(s) && s[i] == '\''
		if quoted {
			i++
		}
		for {
			if i >= len(s) {
				if quoted {
					return false // unterminated
				}
				break
			}
			c := s[i]
			if !quoted && isSpace(c) {
				break
			}
			i++
			if quoted && c == '\'' {
				break
			}
			if c == '\\' {
				if i >= len(s) {
					return false
				}
				c = s[i]
				i++
			}
			v.WriteByte(c)
		}
		kv[key] = v.String()
	}
}

// isSpace is unicode.IsSpace for ASCII.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}
