package certs

import (
	"context"
	"log/slog"
	"slices"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// slogCore is a zapcore.Core that forwards certmagic's zap entries to our
// slog handler, so certmagic never writes to stderr on its own. (zap's own
// exp/zapslog goes the other way, slog to zap.)
type slogCore struct {
	h slog.Handler
}

// Compile-time guard.
var _ zapcore.Core = slogCore{}

// newZapLogger returns a zap logger whose entries end up in log, with a
// "logger" attribute such as "certmagic.obtain".
func newZapLogger(log *slog.Logger) *zap.Logger {
	return zap.New(slogCore{h: log.Handler()}).Named("certmagic")
}

// zapToSlogLevel maps zap levels to ours. certmagic logs routine progress
// ("acquiring lock", "obtaining certificate") at Info; we log lifecycle from
// its events instead (events.go), so its Info becomes Debug. Its Error lines
// are about certificate operations that we survive by serving the built-in
// CA's leaf, "degraded but working", hence Warn.
func zapToSlogLevel(l zapcore.Level) slog.Level {
	switch {
	case l <= zapcore.InfoLevel:
		return slog.LevelDebug
	case l <= zapcore.ErrorLevel:
		return slog.LevelWarn
	default:
		return slog.LevelError
	}
}

// Enabled asks the slog handler, so disabled levels cost no encoding.
func (c slogCore) Enabled(l zapcore.Level) bool {
	return c.h.Enabled(context.Background(), zapToSlogLevel(l))
}

// With turns zap fields into slog attributes on a derived handler.
func (c slogCore) With(fields []zapcore.Field) zapcore.Core {
	return slogCore{h: c.h.WithAttrs(fieldsToAttrs(fields))}
}

// Check adds the core when the level is enabled.
func (c slogCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

// Write emits one slog record with the entry's time, message, logger name
// (certmagic's "obtain", "handshake", ...) and fields.
func (c slogCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	r := slog.NewRecord(e.Time, zapToSlogLevel(e.Level), e.Message, 0)
	if e.LoggerName != "" {
		r.AddAttrs(slog.String("logger", e.LoggerName))
	}
	r.AddAttrs(fieldsToAttrs(fields)...)
	return c.h.Handle(context.Background(), r)
}

// Sync has nothing to flush: the slog handler writes synchronously.
func (slogCore) Sync() error { return nil }

// fieldsToAttrs encodes zap fields through a map encoder, which knows every
// zap field type, and returns them sorted by key for stable output. zap's
// "error" key becomes our "err".
func fieldsToAttrs(fields []zapcore.Field) []slog.Attr {
	if len(fields) == 0 {
		return nil
	}
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range fields {
		f.AddTo(enc)
	}
	keys := make([]string, 0, len(enc.Fields))
	for k := range enc.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	attrs := make([]slog.Attr, 0, len(keys))
	for _, k := range keys {
		name := k
		if name == "error" {
			name = "err"
		}
		attrs = append(attrs, slog.Any(name, enc.Fields[k]))
	}
	return attrs
}
