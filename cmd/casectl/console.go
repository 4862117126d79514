package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// consoleFlags are the console command's own flags.
type consoleFlags struct {
	templates string
	idle      time.Duration
	open      bool
	lang      string
}

func (c *cli) addConsoleFlags() {
	home, _ := os.UserConfigDir()
	c.fs.StringVar(&c.console.templates, "templates", filepath.Join(home, "reprisals", "reply-templates.json"), "the reply templates file")
	c.fs.DurationVar(&c.console.idle, "idle", console.DefaultIdleTimeout, "close the console after this long unused")
	c.fs.BoolVar(&c.console.open, "open", false, "open the console in the default browser")
	c.fs.StringVar(&c.console.lang, "lang", "en", "the console's language: en or fr")
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
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	err = src.Load(ctx)
	cancel()
	if err != nil {
		return fmt.Errorf("loading the cases: %w", err)
	}
	con, err := console.Start(console.Config{Source: src, Templates: tpl, IdleTimeout: c.console.idle, Lang: c.console.lang})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.out, "The console is open for %s (%s) at this address, which works once:\n\n    %s\n\n"+
		"Keep it to yourself. Quit in the console or press Ctrl-C when you are done; it also closes after %s unused.\n",
		handlerapi.Safe(src.Handler()), handlerapi.Safe(src.Team()), con.URL(), c.console.idle)
	if c.console.open {
		openBrowser(con.URL())
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

// openBrowser asks the desktop to open url; failing that, the printed
// address is enough.
func openBrowser(url string) {
	name := "xdg-open"
	if runtime.GOOS == "darwin" {
		name = "open"
	}
	cmd := exec.Command(name, url)
	if cmd.Start() == nil {
		go cmd.Wait()
	}
}
