package sfu

import (
	"sync"

	"github.com/pion/interceptor"
)

// lazyLoopFactory wraps an interceptor whose BindRTCPWriter only starts a
// ticking goroutine about received streams (pion's NACK generator, TWCC
// feedback and receiver reports: each wakes every 100 ms or 1 s, per
// PeerConnection). The goroutine starts with the first received stream
// instead, so a participant who only subscribes (most of a lecture) costs
// no timer wake-ups: with 100 subscribers those were 2,100 wake-ups a
// second of an otherwise idle process, and on a small VM each costs more
// than forwarding a packet.
//
// It relies on the wrapped interceptor's BindRTCPWriter returning the
// writer it was given (true of the three above): skipping the call at
// bind time then changes nothing in the chain.
type lazyLoopFactory struct{ inner interceptor.Factory }

// NewInterceptor implements interceptor.Factory.
func (f lazyLoopFactory) NewInterceptor(id string) (interceptor.Interceptor, error) {
	i, err := f.inner.NewInterceptor(id)
	if err != nil {
		return nil, err
	}
	return &lazyLoop{Interceptor: i}, nil
}

// lazyLoop is one PeerConnection's wrapped interceptor.
type lazyLoop struct {
	interceptor.Interceptor
	once   sync.Once
	mu     sync.Mutex
	writer interceptor.RTCPWriter // from BindRTCPWriter, until the first stream
}

// BindRTCPWriter implements interceptor.Interceptor: it keeps the writer
// for later.
func (l *lazyLoop) BindRTCPWriter(w interceptor.RTCPWriter) interceptor.RTCPWriter {
	l.mu.Lock()
	l.writer = w
	l.mu.Unlock()
	return w
}

// BindRemoteStream implements interceptor.Interceptor: the first received
// stream binds the writer (starting the loop), then the stream.
func (l *lazyLoop) BindRemoteStream(info *interceptor.StreamInfo, r interceptor.RTPReader) interceptor.RTPReader {
	l.once.Do(func() {
		l.mu.Lock()
		w := l.writer
		l.mu.Unlock()
		if w != nil {
			l.Interceptor.BindRTCPWriter(w)
		}
	})
	return l.Interceptor.BindRemoteStream(info, r)
}
