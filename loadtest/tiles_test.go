package loadtest

import (
	"log/slog"
	"slices"
	"testing"

	"conclave/client"
)

func TestParseTile(t *testing.T) {
	tests := []struct {
		in      string
		want    Tile
		wantErr bool
	}{
		{"320x180", Tile{320, 180}, false},
		{"1X1", Tile{1, 1}, false},
		{"16384x16384", Tile{16384, 16384}, false},
		{"16385x1", Tile{}, true},
		{"0x180", Tile{}, true},
		{"320", Tile{}, true},
		{"x", Tile{}, true},
		{"-1x5", Tile{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseTile(tt.in)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("got %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestTiler: the first `visible` videos get the tile, later ones 0x0, each video once, audio
// never; sizes decided before the client exists wait for attach.
func TestTiler(t *testing.T) {
	tile := Tile{320, 180}
	tests := []struct {
		name    string
		visible int
		want    []sized
	}{
		{"all", 0, []sized{{"v1", tile}, {"v2", tile}, {"v3", tile}}},
		{"two", 2, []sized{{"v1", tile}, {"v2", tile}, {"v3", Tile{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := newTiler(tile, tt.visible, slog.New(slog.DiscardHandler))
			for _, rt := range []client.RemoteTrack{
				{TrackID: "v1", Kind: "video"}, {TrackID: "a1", Kind: "audio"}, {TrackID: "v2", Kind: "video"},
				{TrackID: "v1", Kind: "video"}, {TrackID: "v3", Kind: "video"},
			} {
				tl.onTrack(rt)
			}
			if !slices.Equal(tl.pending, tt.want) {
				t.Errorf("got %v, want %v", tl.pending, tt.want)
			}
		})
	}
}

func TestResolutions(t *testing.T) {
	video := func(id string, pkts uint64, w, h int) client.TrackStats {
		return client.TrackStats{ParticipantID: "p", TrackID: id, Kind: "video", Packets: pkts, Width: w, Height: h}
	}
	start := []client.Stats{{Remote: []client.TrackStats{video("a", 10, 640, 360), video("b", 5, 320, 180), video("c", 7, 160, 90)}}}
	end := []client.Stats{{Remote: []client.TrackStats{video("a", 20, 160, 90), video("b", 5, 320, 180), video("c", 9, 160, 90),
		{ParticipantID: "p", TrackID: "s", Kind: "audio", Packets: 9}}}}
	got := resolutions(start, end, [][]string{{"a", "b", "c", "silent"}})
	if len(got) != 2 || got["160x90"] != 2 || got["none"] != 2 {
		t.Errorf("got %v, want 160x90: 2, none: 2 (b and silent)", got)
	}
	if s := formatResolutions(map[string]int{"none": 1, "640x360": 2, "160x90": 3}); s != "160x90: 3, 640x360: 2, none: 1" {
		t.Errorf("got %q", s)
	}
	if resolutions(nil, nil, nil) != nil || formatResolutions(nil) != "no video" {
		t.Error("no video: want nil and \"no video\"")
	}
}
