package client

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// pionLoggerFactory sends pion's logs to the client's slog logger. pion's info level is
// chatty per connection, so it becomes debug; trace is dropped.
type pionLoggerFactory struct {
	logger *slog.Logger
}

// NewLogger implements logging.LoggerFactory.
func (f pionLoggerFactory) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{logger: f.logger.With("pion", scope)}
}

// pionLogger adapts logging.LeveledLogger to slog.
type pionLogger struct {
	logger *slog.Logger
}

func (l pionLogger) log(level slog.Level, msg string) {
	l.logger.Log(context.Background(), level, msg)
}

func (l pionLogger) logf(level slog.Level, format string, args ...any) {
	if l.logger.Enabled(context.Background(), level) {
		l.log(level, fmt.Sprintf(format, args...))
	}
}

func (pionLogger) Trace(string)                   {}
func (pionLogger) Tracef(string, ...any)          {}
func (l pionLogger) Debug(msg string)             { l.log(slog.LevelDebug, msg) }
func (l pionLogger) Debugf(f string, args ...any) { l.logf(slog.LevelDebug, f, args...) }
func (l pionLogger) Info(msg string)              { l.log(slog.LevelDebug, msg) }
func (l pionLogger) Infof(f string, args ...any)  { l.logf(slog.LevelDebug, f, args...) }
func (l pionLogger) Warn(msg string)              { l.log(slog.LevelWarn, msg) }
func (l pionLogger) Warnf(f string, args ...any)  { l.logf(slog.LevelWarn, f, args...) }
func (l pionLogger) Error(msg string)             { l.log(slog.LevelError, msg) }
func (l pionLogger) Errorf(f string, args ...any) { l.logf(slog.LevelError, f, args...) }
