package netlab

import "errors"

var (
	// ErrUnsupported means this machine cannot build a lab: not root, or a
	// tool (ip, tc, nsenter) is missing.
	ErrUnsupported = errors.New("netlab: unsupported here")
	// ErrClosed is returned by a lab, or a Net of it, after Close.
	ErrClosed = errors.New("netlab: lab closed")
	// ErrBadRate is a negative bandwidth limit.
	ErrBadRate = errors.New("netlab: bad rate")
	// ErrBadSide is a Side other than A or B.
	ErrBadSide = errors.New("netlab: bad side")
)
