package client

import (
	"fmt"
	"slices"
)

// SetVideoSize tells the server the size, in CSS pixels, of the tile that shows the received
// video trackID (the publisher's track ID, RemoteTrack.TrackID); 0x0 means the tile is not on
// screen (docs/protocol.md "Video only for the tiles on screen"). The server then sends the
// video only while it is shown and, for a simulcast video, the encoding that fits the tile.
// A server that does not list "video-size" in its welcome gets nothing: ErrUnsupported. The
// size holds for the current session; after Resume the tracks arrive again (Config.OnTrack)
// and their sizes have to be sent again.
func (c *Client) SetVideoSize(trackID string, width, height int) error {
	if width < 0 || height < 0 {
		return fmt.Errorf("video size %dx%d: %w", width, height, ErrBadVideoSize)
	}
	s, err := c.connected()
	if err != nil {
		return err
	}
	if !slices.Contains(s.features, featureVideoSize) {
		return fmt.Errorf("video-size: %w", ErrUnsupported)
	}
	m := videoSizeMsg{Type: "video-size", TrackID: trackID, Width: width, Height: height}
	if err := writeJSON(s.ctx, s.conn, m); err != nil {
		return fmt.Errorf("video-size for %q: %w", trackID, err)
	}
	return nil
}
