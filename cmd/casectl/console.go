package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// consoleFlags are the console command's own flags.
type consoleFlags struct {
	templates string
	idle      time.Duration
	open      bool
	lang      string
	port      int
}

func (c *cli) addConsoleFlags() {
	home, _ := os.UserConfigDir()
	c.fs.StringVar(&c.console.templates, "templates", filepath.Join(home, "reprisals", "reply-templates.json"), "the reply templates file")
	c.fs.DurationVar(&c.console.idle, "idle", console.DefaultIdleTimeout, "close the console after this long unused")
	c.fs.BoolVar(&c.console.open, "open", false, "open the console in the default browser")
	c.fs.StringVar(&c.console.lang, "lang", "en", "the console's language: en, fr or es")
	c.fs.IntVar(&c.console.port, "port", 0, "the port on 127.0.0.1 to listen on (0: any free port)")
}

// runConsole serves the handler's console on 127.0.0.1 until the handler
// quits, the idle timeout passes, or the process is interrupted.
func (c *cli) runConsole() error {
	ids, err := c.identities()
	if err != nil {
		return err
	}
	api, err := handlerapi.New(c.sess.Server, nil)
	if err != nil {
		return err
	}
	api.SetToken(c.sess.Token)
	tpl, err := console.LoadTemplates(c.console.templates)
	if err != nil {
		return err
	}
	src := console.NewSource(api, ids, c.pinsPath())
	src.SetOwnRecipients(c.sess.Recipients)
	// Replies are signed with the key beside the identity (none: the
	// console refuses replies and says how to make one).
	signing, err := desk.LoadSigningKey(c.identityFile, ids)
	if err != nil {
		return err
	}
	src.SetSigningKey(signing)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	err = src.Load(ctx)
	cancel()
	if err != nil {
		return fmt.Errorf("loading the cases: %w", err)
	}
	con, err := console.Start(console.Config{Source: src, Templates: tpl, IdleTimeout: c.console.idle, Lang: c.console.lang, Port: c.console.port})
	if err != nil {
		return err
	}
	if c.console.open {
		// The browser gets a file only the handler can read, never the
		// address: a command line is readable by every local user.
		path, err := con.WriteOpenFile(openFileDir())
		if err != nil {
			con.Close()
			return fmt.Errorf("writing the file that opens the console: %w", err)
		}
		fmt.Fprintf(c.out, "The console is open for %s (%s). Opening it in your browser; if it does not open, open this file in your browser (it works once):\n\n    %s\n\n"+
			"Quit in the console or press Ctrl-C when you are done; it also closes after %s unused.\n",
			handlerapi.Safe(src.Handler()), handlerapi.Safe(src.Team()), handlerapi.Safe(path), c.console.idle)
		openBrowser(path)
	} else {
		fmt.Fprintf(c.out, "The console is open for %s (%s) at this address, which works once:\n\n    %s\n\n"+
			"Keep it to yourself. Quit in the console or press Ctrl-C when you are done; it also closes after %s unused.\n",
			handlerapi.Safe(src.Handler()), handlerapi.Safe(src.Team()), con.URL(), c.console.idle)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case <-sig:
		con.Close()
	case <-con.Done():
	}
	fmt.Fprintln(c.out, "The console is closed; what it decrypted was wiped from memory.")
	return nil
}

// openFileDir is where the -open file goes: the user's runtime
// directory (private, in memory) when there is one, else the temporary
// directory (the file gets its own 0700 directory either way).
func openFileDir() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return d
		}
	}
	return os.TempDir()
}

// openBrowser asks the desktop (or $BROWSER, the first command of its
// colon-separated list) to open the file at path; failing that, the
// printed path is enough.
func openBrowser(path string) {
	argv := []string{"xdg-open"}
	if runtime.GOOS == "darwin" {
		argv = []string{"open"}
	}
	if b := strings.Fields(strings.Split(os.Getenv("BROWSER"), ":")[0]); len(b) > 0 {
		argv = b
	}
	cmd := exec.Command(argv[0], append(argv[1:], path)...)
	if cmd.Start() == nil {
		go cmd.Wait()
	}
}
