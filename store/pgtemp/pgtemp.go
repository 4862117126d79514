// Package pgtemp starts a throwaway PostgreSQL cluster from the locally
// installed server binaries, for the dev command and the tests.
//
// The cluster lives in a new temporary directory, listens only on a Unix
// socket inside it (no TCP port, so nothing on the network can reach it and
// parallel clusters never clash), trusts local connections, and is deleted
// by Stop. Run as root, it runs initdb and postgres as the unprivileged
// "postgres" user, since PostgreSQL refuses to run as root. The server is
// started in its own process group, so a Ctrl-C in the terminal reaches the
// parent, which shuts things down in order, and with a parent-death signal,
// so it does not outlive a killed parent.
package pgtemp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ohchr-reprisals/intake/internal/debian"
)

// Options tune the cluster.
type Options struct {
	// Durable keeps fsync on. Off by default: a throwaway cluster trades
	// crash safety for speed.
	Durable bool
	// MaxConnections is PostgreSQL's max_connections (default 200).
	MaxConnections int
}

// Cluster is a running throwaway PostgreSQL server.
type Cluster struct {
	// BinDir holds the server binaries (initdb, postgres, pg_dump...).
	BinDir string
	dir    string // data directory and socket directory
	cmd    *exec.Cmd
	out    *tailBuffer
	exited chan struct{}
	once   sync.Once
}

// FindBinDir locates the PostgreSQL server binaries: initdb on PATH, else
// the newest /usr/lib/postgresql/*/bin.
func FindBinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		// Follow links: /usr/local/bin/initdb may point into the real
		// bin directory, which also holds pg_dump of the same version.
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Dir(real), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("PostgreSQL server binaries (initdb, postgres) not found: install them with 'apt-get install -y postgresql', or set DATABASE_URL")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// EnsureBinDir is FindBinDir, installing Debian's postgresql package first
// when the binaries are missing and the process runs as root.
func EnsureBinDir(ctx context.Context) (string, error) {
	if d, err := FindBinDir(); err == nil {
		return d, nil
	}
	if err := debian.Install(ctx, "postgresql"); err != nil {
		return "", fmt.Errorf("PostgreSQL server binaries not found and could not be installed: %w", err)
	}
	return FindBinDir()
}

// Start initialises and starts a new cluster. Call Stop when done.
func Start(ctx context.Context, opts Options) (_ *Cluster, err error) {
	bin, err := EnsureBinDir(ctx)
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "reprisals-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{BinDir: bin, dir: dir, out: &tailBuffer{}, exited: make(chan struct{})}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, fmt.Errorf("pgtemp: %w", err)
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = initdbAttr(cred)
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pgtemp: initdb: %v\n%s", err, tail(out))
	}

	maxConns := opts.MaxConnections
	if maxConns == 0 {
		maxConns = 200
	}
	args := []string{"-D", data, "-k", dir, "-c", "listen_addresses=",
		"-c", "max_connections=" + strconv.Itoa(maxConns),
		"-c", "log_min_messages=warning", "-c", "log_connections=off"}
	if !opts.Durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	c.cmd = exec.Command(filepath.Join(bin, "postgres"), args...)
	c.cmd.Dir = dir
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	c.cmd.SysProcAttr = serverAttr(cred)
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("pgtemp: starting postgres: %w", err)
	}
	go func() { c.cmd.Wait(); close(c.exited) }()

	if err := c.waitReady(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Cluster) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		select {
		case <-c.exited:
			return fmt.Errorf("pgtemp: postgres exited during start-up:\n%s", c.out.String())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgtemp: postgres did not accept connections within a minute: %v\n%s", err, c.out.String())
		}
	}
}

// URL returns a connection string for database dbname as the superuser.
func (c *Cluster) URL(dbname string) string {
	return fmt.Sprintf("host=%s port=5432 user=postgres dbname=%s sslmode=disable", c.dir, dbname)
}

// SocketDir is the directory of the server's Unix socket (for psql -h).
func (c *Cluster) SocketDir() string { return c.dir }

// Stop shuts the server down (fast shutdown: open sessions are ended) and
// deletes the cluster's files. It is safe to call more than once.
func (c *Cluster) Stop() error {
	var err error
	c.once.Do(func() {
		if c.cmd != nil && c.cmd.Process != nil {
			c.cmd.Process.Signal(syscall.SIGINT)
			select {
			case <-c.exited:
			case <-time.After(30 * time.Second):
				c.cmd.Process.Kill()
				<-c.exited
				err = errors.New("pgtemp: postgres did not stop within 30s and was killed")
			}
		}
		if rmErr := os.RemoveAll(c.dir); rmErr != nil && err == nil {
			err = rmErr
		}
	})
	return err
}

// tailBuffer keeps the last 8 KiB of the server's output for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 8<<10 {
		t.buf = t.buf[len(t.buf)-8<<10:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

func tail(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return b
}
