package client

import "conclave/client/e2ee"

// SetFrameMarker makes the client's sources append marker to every frame before encryption,
// so a test can look for it in what the SFU forwards.
func SetFrameMarker(cfg *Config, marker []byte) { cfg.frameMarker = marker }

// KeyTable returns a copy of the keys the client holds for the others' frames right now.
func (c *Client) KeyTable() *e2ee.RecvTable {
	if c.ring == nil {
		return nil
	}
	return c.ring.table.Clone()
}

// SenderKey returns the client's current sender key.
func (c *Client) SenderKey() e2ee.SenderKey {
	c.ring.mu.Lock()
	defer c.ring.mu.Unlock()
	return c.ring.policy.Current()
}
