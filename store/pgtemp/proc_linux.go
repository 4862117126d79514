//go:build linux

package pgtemp

import (
	"errors"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// cred is the user PostgreSQL runs as.
type cred = syscall.Credential

// credential returns the unprivileged user to run PostgreSQL as when the
// process is root, or nil to run as the current user.
func credential() (*cred, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &cred{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("pgtemp: running as root, but there is no 'postgres' or 'nobody' user to run PostgreSQL as")
}

// initdbAttr runs initdb as c (nil: the current user).
func initdbAttr(c *cred) *syscall.SysProcAttr { return &syscall.SysProcAttr{Credential: c} }

// serverAttr runs the server as c, in its own process group (a Ctrl-C in
// the terminal reaches the parent, which stops it in order), and with a
// parent-death signal, so it does not outlive a killed parent.
func serverAttr(c *cred) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: c, Setpgid: true, Pdeathsig: syscall.SIGQUIT}
}
