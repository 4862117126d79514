//go:build !linux

package pgtemp

import (
	"errors"
	"os"
	"syscall"
)

// cred is the user PostgreSQL runs as; off Linux, always the current one.
type cred struct{ Uid, Gid uint32 }

// credential refuses to run as root off Linux (PostgreSQL refuses it, and
// switching users is done only on Linux); otherwise it returns nil, the
// current user. The dev command and the tests are meant for Linux; this
// keeps the server binary building for every release target.
func credential() (*cred, error) {
	if os.Geteuid() == 0 {
		return nil, errors.New("pgtemp: PostgreSQL refuses to run as root; run this as an unprivileged user")
	}
	return nil, nil
}

func initdbAttr(*cred) *syscall.SysProcAttr { return nil }

func serverAttr(*cred) *syscall.SysProcAttr { return nil }
