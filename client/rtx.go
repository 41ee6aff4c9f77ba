package client

import (
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

// repairedRIDFactory makes the interceptor that names the repaired encoding on simulcast
// retransmissions. pion's NACK responder builds an RTX packet by copying the original's
// header, the rid extension included (RFC 8852 §3.1). A receiver then takes the RTX SSRC for
// a new SSRC of that encoding, since with RIDs the SDP maps no SSRC: pion rebinds the
// encoding's track to the repair stream, and the encoding breaks at the first loss. An RTX
// packet must carry repaired-rtp-stream-id instead (§3.2), as browsers send it.
type repairedRIDFactory struct{}

// NewInterceptor implements interceptor.Factory.
func (repairedRIDFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &repairedRID{}, nil
}

// repairedRID rewrites the rid extension of outgoing RTX packets into repaired-rtp-stream-id.
// Registered first, it sits below the NACK responder and sees the packets it resends.
type repairedRID struct {
	interceptor.NoOp
}

// BindLocalStream wraps the writer of an encoding that has an RTX stream and both extensions.
func (*repairedRID) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	var rid, rrid uint8
	for _, e := range info.RTPHeaderExtensions {
		switch e.URI {
		case sdp.SDESRTPStreamIDURI:
			rid = uint8(e.ID)
		case sdp.SDESRepairRTPStreamIDURI:
			rrid = uint8(e.ID)
		}
	}
	rtx := info.SSRCRetransmission
	if rtx == 0 || rid == 0 || rrid == 0 {
		return w
	}
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		if h.SSRC == rtx {
			if v := h.GetExtension(rid); v != nil {
				// The header is the responder's copy of the original: changing it here
				// changes only retransmissions (a second one finds rrid already set).
				_ = h.DelExtension(rid)
				if err := h.SetExtension(rrid, v); err != nil {
					return 0, err
				}
			}
		}
		return w.Write(h, payload, a)
	})
}
