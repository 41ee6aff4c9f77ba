package sfu

import "sync"

// queue is the inbox of a participant's goroutine: pion callbacks, the
// socket reader and other participants push without blocking; the owner
// drains it when ready fires. It holds at most limit events; beyond that
// the owner is not keeping up and push reports false.
type queue[T any] struct {
	ready chan struct{} // has a value when items may be waiting

	mu    sync.Mutex
	items []T
	limit int
}

func newQueue[T any](limit int) *queue[T] {
	return &queue[T]{ready: make(chan struct{}, 1), limit: limit}
}

// push appends v. It never blocks.
func (q *queue[T]) push(v T) bool {
	q.mu.Lock()
	if len(q.items) >= q.limit {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, v)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true
}

// drain returns everything pushed so far, oldest first.
func (q *queue[T]) drain() []T {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := q.items
	q.items = nil
	return items
}
