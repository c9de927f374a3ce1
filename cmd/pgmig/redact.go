package main

import (
	"encoding/json"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// redactor removes secrets (passwords) from everything pgmig prints.
type redactor struct {
	mu      sync.Mutex
	secrets []string
}

func (r *redactor) add(secret string) {
	if len(secret) < 1 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = append(r.secrets, secret)
	if esc := url.QueryEscape(secret); esc != secret {
		r.secrets = append(r.secrets, esc)
	}
	if esc := url.PathEscape(secret); esc != secret {
		r.secrets = append(r.secrets, esc)
	}
	// Quoted forms, as Go error messages and JSON documents escape them.
	if q := strconv.Quote(secret); q[1:len(q)-1] != secret {
		r.secrets = append(r.secrets, q[1:len(q)-1])
	}
	if j, err := json.Marshal(secret); err == nil && string(j[1:len(j)-1]) != secret {
		r.secrets = append(r.secrets, string(j[1:len(j)-1]))
	}
}

func (r *redactor) redact(s string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, "********")
	}
	return s
}

// writer wraps w so that secrets never reach it. Its writes are
// serialised: the targets of a fan-out log from goroutines of their own,
// and w (a buffer in tests) need not be safe for concurrent use.
func (r *redactor) writer(w io.Writer) io.Writer { return &redactWriter{r: r, w: w} }

type redactWriter struct {
	r  *redactor
	mu sync.Mutex
	w  io.Writer
}

func (rw *redactWriter) Write(p []byte) (int, error) {
	s := rw.r.redact(string(p))
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if _, err := io.WriteString(rw.w, s); err != nil {
		return 0, err
	}
	return len(p), nil
}

// urlPassword extracts the password of a postgres:// URL even when the URL
// does not parse, so that it can be redacted from the parse error.
func urlPassword(raw string) string {
	rest, ok := strings.CutPrefix(raw, "postgres://")
	if !ok {
		rest, ok = strings.CutPrefix(raw, "postgresql://")
	}
	if !ok {
		return ""
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return ""
	}
	userinfo := rest[:at]
	if _, pw, ok := strings.Cut(userinfo, ":"); ok {
		return pw
	}
	return ""
}

// dsnPassword extracts password=... from a key=value connection string.
func dsnPassword(dsn string) string {
	i := strings.Index(dsn, "password")
	if i < 0 {
		return ""
	}
	rest := strings.TrimLeft(dsn[i+len("password"):], " ")
	rest, ok := strings.CutPrefix(rest, "=")
	if !ok {
		return ""
	}
	rest = strings.TrimLeft(rest, " ")
	if strings.HasPrefix(rest, "'") {
		var b strings.Builder
		for i := 1; i < len(rest); i++ {
			switch {
			case rest[i] == '\\' && i+1 < len(rest):
				i++
				b.WriteByte(rest[i])
			case rest[i] == '\'':
				return b.String()
			default:
				b.WriteByte(rest[i])
			}
		}
		return b.String()
	}
	if j := strings.IndexByte(rest, ' '); j >= 0 {
		return rest[:j]
	}
	return rest
}
