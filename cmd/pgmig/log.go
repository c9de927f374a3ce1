package main

import (
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

// newLogger returns the logger for stderr: console format on a terminal,
// JSON otherwise, unless format says which. Without a level, JSON logs (for
// deploy systems) carry every event from info up, and console logs (for
// people, who read the results on stdout) only warnings and errors.
func newLogger(w io.Writer, format, level string) zerolog.Logger {
	if format == "auto" || format == "" {
		format = "json"
		if isatty.IsTerminal(os.Stderr.Fd()) || isatty.IsCygwinTerminal(os.Stderr.Fd()) {
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
	zerolog.DurationFieldUnit = time.Millisecond
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger()
}
