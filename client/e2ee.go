package client

import (
	"log/slog"
	"time"

	"conclave/client/e2ee"
)

// keyTimerInterval is how often the E2EE timers run: well under the 1 s leave debounce and
// 1.5 s switch timeout, so key changes happen within 10 % of their due time.
const keyTimerInterval = 100 * time.Millisecond

// runKeyTimers runs the key policy's timers until the client closes.
func (c *Client) runKeyTimers() {
	t := time.NewTicker(keyTimerInterval)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
			c.send(c.ring.tick())
		}
	}
}

// send relays E2EE messages; a failure (socket down) is logged: the key protocol recovers
// with the next announce or generation.
func (c *Client) send(out []outbound) {
	var direct []outbound
	for _, o := range out {
		if o.to != "" {
			direct = append(direct, o)
			continue
		}
		if err := c.Relay("", o.msg); err != nil {
			c.log.Debug("e2ee send", slog.Any("err", err))
		}
	}
	if len(direct) == 1 {
		if err := c.Relay(direct[0].to, direct[0].msg); err != nil {
			c.log.Debug("e2ee send", "to", direct[0].to, slog.Any("err", err))
		}
		return
	}
	// Messages to several participants (a new generation's keys) leave as few relays with
	// `each` as possible: one message per member would run into the server's rate limit.
	for len(direct) > 0 {
		each := make(map[string]any)
		var rest []outbound
		for _, o := range direct {
			if _, taken := each[o.to]; taken {
				rest = append(rest, o)
				continue
			}
			each[o.to] = o.msg
		}
		if err := c.RelayEach(each); err != nil {
			c.log.Debug("e2ee send", "recipients", len(each), slog.Any("err", err))
		}
		direct = rest
	}
}

// SendChat sends an end-to-end encrypted chat message to everyone else in the room. It needs
// Config.Secret (ErrNoE2EE without).
func (c *Client) SendChat(text string) error {
	if c.ring == nil {
		return ErrNoE2EE
	}
	o, err := c.ring.chat(text)
	if err != nil {
		return err
	}
	return c.Relay(o.to, o.msg)
}

// SafetyCode returns the room's safety code as this client computes it, and the participant
// IDs of the verified others it covers. ok is false without E2EE.
func (c *Client) SafetyCode() (code e2ee.SafetyCode, verified []string, ok bool) {
	if c.ring == nil {
		return e2ee.SafetyCode{}, nil, false
	}
	code, verified = c.ring.safety()
	return code, verified, true
}
