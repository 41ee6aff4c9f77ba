// Package pionlog sends pion's logs (webrtc, ice, dtls, turn) to log/slog.
// pion logs per packet at debug and per connection step at info, so each
// level moves one down: pion debug and trace go below slog's debug (shown
// only at LevelTrace), pion info becomes debug.
package pionlog

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// LevelTrace is below slog.LevelDebug: pion's per-packet output.
const LevelTrace = slog.LevelDebug - 4

// Factory is a logging.LoggerFactory writing to Logger, with the pion
// scope as the "scope" attribute.
type Factory struct{ Logger *slog.Logger }

var _ logging.LoggerFactory = Factory{}

// NewLogger implements logging.LoggerFactory.
func (f Factory) NewLogger(scope string) logging.LeveledLogger {
	return leveled{l: f.Logger.With("component", "pion", "scope", scope)}
}

type leveled struct{ l *slog.Logger }

func (p leveled) log(level slog.Level, msg string) {
	if p.l.Enabled(context.Background(), level) {
		p.l.Log(context.Background(), level, msg)
	}
}

func (p leveled) logf(level slog.Level, format string, args ...any) {
	if p.l.Enabled(context.Background(), level) {
		p.l.Log(context.Background(), level, fmt.Sprintf(format, args...))
	}
}

func (p leveled) Trace(msg string)                  { p.log(LevelTrace, msg) }
func (p leveled) Tracef(format string, args ...any) { p.logf(LevelTrace, format, args...) }
func (p leveled) Debug(msg string)                  { p.log(LevelTrace, msg) }
func (p leveled) Debugf(format string, args ...any) { p.logf(LevelTrace, format, args...) }
func (p leveled) Info(msg string)                   { p.log(slog.LevelDebug, msg) }
func (p leveled) Infof(format string, args ...any)  { p.logf(slog.LevelDebug, format, args...) }
func (p leveled) Warn(msg string)                   { p.log(slog.LevelWarn, msg) }
func (p leveled) Warnf(format string, args ...any)  { p.logf(slog.LevelWarn, format, args...) }
func (p leveled) Error(msg string)                  { p.log(slog.LevelError, msg) }
func (p leveled) Errorf(format string, args ...any) { p.logf(slog.LevelError, format, args...) }
