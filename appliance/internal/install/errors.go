package install

import "errors"

var (
	// ErrNotRoot means Install or Uninstall was asked to change the real
	// system (Root "/") without root privileges.
	ErrNotRoot = errors.New("install: not running as root")

	// ErrNoSystemd means the target system does not run systemd, so a unit
	// file would never start.
	ErrNoSystemd = errors.New("install: systemd is not running on this system")

	// ErrInvalidOption means an Options field is missing or holds a value
	// that cannot go into the unit file safely.
	ErrInvalidOption = errors.New("install: invalid option")
)
