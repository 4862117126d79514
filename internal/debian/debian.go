// Package debian installs the Debian packages that the dev command and the
// tests need (the PostgreSQL server, Chromium) when they are missing, so
// that both README commands work on a new machine as root with nothing
// installed by hand. It only ever runs apt-get as root; otherwise it returns
// an error that names the package to install.
package debian

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

var updateOnce sync.Once

// Install installs pkgs with apt-get. It runs 'apt-get update' first, once
// per process, because a new machine may have no package lists.
func Install(ctx context.Context, pkgs ...string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("missing Debian packages %v: install them with 'sudo apt-get install -y %s'", pkgs, strings.Join(pkgs, " "))
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	var updateErr error
	updateOnce.Do(func() {
		updateErr = run(ctx, "apt-get", "-o", "DPkg::Lock::Timeout=300", "update")
	})
	if updateErr != nil {
		return fmt.Errorf("apt-get update: %w", updateErr)
	}
	args := append([]string{"-o", "DPkg::Lock::Timeout=300", "install", "-y", "--no-install-recommends"}, pkgs...)
	if err := run(ctx, "apt-get", args...); err != nil {
		return fmt.Errorf("apt-get install %s: %w", strings.Join(pkgs, " "), err)
	}
	return nil
}

func run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		tail := out.Bytes()
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return fmt.Errorf("%v\n%s", err, tail)
	}
	return nil
}
