package main

import (
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

// newLogger returns the logger for stderr: console format on a terminal,
// JSON otherwise, unless format says which.
func newLogger(w io.Writer, format, level string) zerolog.Logger {
	if format == "auto" || format == "" {
		format = "json"
		if isatty.IsTerminal(os.Stderr.Fd()) || isatty.IsCygwinTerminal(os.Stderr.Fd()) {
			format = "console"
		}
	}
	if format == "console" {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	}
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		lvl = zerolog.InfoLevel
	}
	zerolog.DurationFieldUnit = time.Millisecond
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger()
}
