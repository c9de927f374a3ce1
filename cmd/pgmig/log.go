package main

import (
	"io"
	"log/slog"
	"time"

	"github.com/rs/zerolog"
)

// newLogger returns the logger for stderr (w): console format when w is a
// terminal (terminal), JSON otherwise, unless format says which. Without a
// level, JSON logs (for deploy systems) carry every event from info up, and
// console logs (for people, who read the results on stdout) only warnings
// and errors. It changes none of zerolog's global settings; durations are
// in milliseconds, zerolog's default.
func newLogger(w io.Writer, terminal bool, format, level string) zerolog.Logger {
	if format == "auto" || format == "" {
		format = "json"
		if terminal {
			format = "console"
		}
	}
	if level == "" {
		level = "info"
		if format == "console" {
			level = "warn"
		}
	}
	if format == "console" {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	}
	lvl, err := zerolog.ParseLevel(level)
	if err != nil {
		lvl = zerolog.InfoLevel
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger()
}

// librarySlog hands the CLI's logger to the library, which logs through
// log/slog.
func librarySlog(l zerolog.Logger) *slog.Logger {
	return slog.New(zerolog.NewSlogHandler(l))
}
