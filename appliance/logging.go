package appliance

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"conclave/internal/pionlog"
)

// levelTrace sits below debug: pion's per-packet output, only useful when
// chasing a protocol bug, so even --log-level debug hides it.
const levelTrace = pionlog.LevelTrace

func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "trace":
		return levelTrace, nil
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q: want debug, info, warn or error", s)
}

// NewLogger builds the process's one logger from --log-format and
// --log-level. Validate has already checked both.
func NewLogger(w io.Writer, format, level string) *slog.Logger {
	lvl, err := parseLevel(level)
	if err != nil {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if format == logFormatJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
