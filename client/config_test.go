package client

import (
	"errors"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	ok := Config{URL: "wss://meet.example/ws", Room: "r", Name: "n"}
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr bool
	}{
		{"valid wss", func(*Config) {}, false},
		{"valid ws", func(c *Config) { c.URL = "ws://127.0.0.1:1/ws" }, false},
		{"empty url", func(c *Config) { c.URL = "" }, true},
		{"http url", func(c *Config) { c.URL = "https://meet.example/ws" }, true},
		{"bad url", func(c *Config) { c.URL = "ws://[::1" }, true},
		{"no room", func(c *Config) { c.Room = "" }, true},
		{"no name", func(c *Config) { c.Name = "" }, true},
		{"simulcast", func(c *Config) { c.Publish = Publish{Video: true, Simulcast: true} }, false},
		{"simulcast without video", func(c *Config) { c.Publish = Publish{Audio: true, Simulcast: true} }, true},
		{"speaking", func(c *Config) { c.Publish = Publish{Audio: true, Speaking: true} }, false},
		{"speaking without audio", func(c *Config) { c.Publish = Publish{Video: true, Speaking: true} }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.mutate(&c)
			err := c.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrBadConfig) {
				t.Errorf("got %v, want it to wrap ErrBadConfig", err)
			}
		})
	}
}

func TestConfigOrigin(t *testing.T) {
	tests := []struct {
		name, url, origin, want string
	}{
		{"wss", "wss://meet.example:8443/ws", "", "https://meet.example:8443"},
		{"ws", "ws://127.0.0.1:5000/ws", "", "http://127.0.0.1:5000"},
		{"explicit", "wss://meet.example/ws", "https://other.example", "https://other.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Config{URL: tt.url, Origin: tt.origin}).origin(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidateSecret(t *testing.T) {
	base := Config{URL: "ws://127.0.0.1:1/ws", Room: "r", Name: "n"}
	for _, n := range []int{0, 31, 33} {
		c := base
		c.Secret = make([]byte, n)
		if err := c.Validate(); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%d-byte secret: got %v, want ErrBadConfig", n, err)
		}
	}
	base.Secret = make([]byte, 32)
	if err := base.Validate(); err != nil {
		t.Errorf("32-byte secret: %v", err)
	}
}
