package client

import "sync"

// eventQueue hands work from pion callbacks and the socket reader to a session's loop
// goroutine without ever blocking the caller: pion callbacks must return quickly, and the
// loop itself calls into pion, so a bounded channel could deadlock the two.
type eventQueue struct {
	ready chan struct{} // capacity 1: "there is something to take"

	mu    sync.Mutex
	items []func()
}

func newEventQueue() *eventQueue {
	return &eventQueue{ready: make(chan struct{}, 1)}
}

// push queues f to run on the loop goroutine.
func (q *eventQueue) push(f func()) {
	q.mu.Lock()
	q.items = append(q.items, f)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// take returns everything queued so far, in order.
func (q *eventQueue) take() []func() {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := q.items
	q.items = nil
	return items
}
