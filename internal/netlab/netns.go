package netlab

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// netns is one private network namespace, held open by a file descriptor
// of this process (not by a child process): it lives exactly as long as
// that descriptor and the sockets created in it, so a test that dies
// leaves nothing behind.
type netns struct {
	file *os.File // /proc/thread-self/ns/net of the thread that created it
	home *os.File // the namespace the process runs in, to return to
	// closed is set by close, so that do fails with ErrClosed rather than
	// with whatever a reused descriptor number would give.
	closed atomic.Bool
}

// newNetns creates a network namespace on an OS thread that then returns
// to home. Letting the thread exit instead is not enough: Go never ends
// the main thread, it parks it for good, which would keep the namespace
// alive and leave the main thread in it.
func newNetns(home *os.File) (*netns, error) {
	type result struct {
		f   *os.File
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread() // still home
			ch <- result{err: fmt.Errorf("unshare network namespace: %w", err)}
			return
		}
		f, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			err = fmt.Errorf("open new namespace: %w", err)
		}
		if unix.Setns(int(home.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread() // else the thread exits with this goroutine
		}
		ch <- result{f, err}
	}()
	r := <-ch
	if r.err != nil {
		if r.f != nil {
			r.f.Close()
		}
		return nil, r.err
	}
	return &netns{file: r.f, home: home}, nil
}

// openHome opens the namespace the calling thread is in, which is the
// process's own: no thread stays in a lab's namespace after it is done.
func openHome() (*os.File, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	f, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return nil, fmt.Errorf("open own namespace: %w", err)
	}
	return f, nil
}

// do runs fn on an OS thread inside the namespace. Sockets fn creates stay
// in the namespace for their whole life; goroutines fn starts do not run
// in it. The thread returns to the home namespace afterwards, or, if that
// fails, is left locked so that it exits instead of serving other
// goroutines from the wrong namespace.
func (n *netns) do(fn func() error) error {
	if n.closed.Load() {
		return ErrClosed
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Setns(int(n.file.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread() // still home: the thread may be reused
			errc <- fmt.Errorf("enter namespace: %w", err)
			return
		}
		err := fn()
		if unix.Setns(int(n.home.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

// commandTimeout bounds one ip or tc invocation.
const commandTimeout = 10 * time.Second

// run runs an ip or tc command inside the namespace through nsenter. The
// namespaces of the lab are passed as descriptors 3, 4, … (extra), so that
// arguments can name them as /proc/self/fd/N.
func (n *netns) run(extra []*os.File, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	argv := append([]string{"--net=/proc/self/fd/3", name}, args...)
	cmd := exec.CommandContext(ctx, "nsenter", argv...)
	cmd.ExtraFiles = append([]*os.File{n.file}, extra...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err,
			strings.TrimSpace(out.String()))
	}
	return nil
}

// close drops the namespace's descriptor; the kernel frees the namespace
// (and the veth end in it) once its last socket is closed too.
func (n *netns) close() error {
	n.closed.Store(true)
	return n.file.Close()
}
