package certs

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func TestZapToSlogBridge(t *testing.T) {
	tests := []struct {
		name      string
		minLevel  slog.Level
		log       func(z *zap.Logger)
		wantLevel string // "" = nothing written
		wantAttrs map[string]any
	}{
		{
			name:      "info becomes debug, with fields and logger name",
			minLevel:  slog.LevelDebug,
			log:       func(z *zap.Logger) { z.Named("obtain").Info("acquiring lock", zap.String("identifier", "meet.test")) },
			wantLevel: "DEBUG",
			wantAttrs: map[string]any{"logger": "certmagic.obtain", "identifier": "meet.test"},
		},
		{
			name:      "error becomes warn, error key becomes err",
			minLevel:  slog.LevelDebug,
			log:       func(z *zap.Logger) { z.Error("could not get certificate", zap.Error(errors.New("boom"))) },
			wantLevel: "WARN",
			wantAttrs: map[string]any{"err": "boom", "logger": "certmagic"},
		},
		{
			name:     "with fields carry over",
			minLevel: slog.LevelDebug,
			log: func(z *zap.Logger) {
				z.With(zap.Strings("subjects", []string{"a", "b"}), zap.Int("n", 3)).Warn("x")
			},
			wantLevel: "WARN",
			wantAttrs: map[string]any{"subjects": []any{"a", "b"}, "n": float64(3)},
		},
		{
			name:     "debug suppressed at info",
			minLevel: slog.LevelInfo,
			log:      func(z *zap.Logger) { z.Info("routine progress") },
		},
		{
			name:      "dpanic becomes error",
			minLevel:  slog.LevelInfo,
			log:       func(z *zap.Logger) { z.DPanic("bad") },
			wantLevel: "ERROR",
			wantAttrs: map[string]any{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			z := newZapLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: tt.minLevel})))
			tt.log(z)
			if tt.wantLevel == "" {
				if buf.Len() != 0 {
					t.Fatalf("wrote %q, want nothing", buf.String())
				}
				return
			}
			var rec map[string]any
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("output %q: %v", buf.String(), err)
			}
			if rec["level"] != tt.wantLevel {
				t.Errorf("level %v, want %s", rec["level"], tt.wantLevel)
			}
			for k, want := range tt.wantAttrs {
				got, _ := json.Marshal(rec[k])
				w, _ := json.Marshal(want)
				if !bytes.Equal(got, w) {
					t.Errorf("attr %s = %s, want %s", k, got, w)
				}
			}
		})
	}
	if zapToSlogLevel(zapcore.FatalLevel) != slog.LevelError {
		t.Error("fatal does not map to error")
	}
}
