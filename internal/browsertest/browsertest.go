// Package browsertest starts a headless Chromium for browser tests, with
// JavaScript off as in Tor Browser's "Safest" level, and saves
// screenshots to testdata-artifacts/screenshots (git-ignored). A test
// that needs Chromium fails, never skips, when it cannot be found or
// installed.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/ohchr-reprisals/intake/internal/debian"
)

// Path finds Debian's Chromium, installing it when missing and running as
// root.
func Path(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"chromium", "/usr/bin/chromium"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if err := debian.Install(context.Background(), "chromium"); err != nil {
		t.Fatalf("the browser tests need Chromium: install it with 'apt-get install -y chromium' (%v)", err)
	}
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("the browser tests need Chromium: install it with 'apt-get install -y chromium' (%v)", err)
	}
	return path
}

// New starts a headless Chromium with JavaScript disabled and returns a
// context for chromedp actions; it ends with the test.
func New(t testing.TB, width, height int) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Path(t)),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	noScript := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	})
	if err := chromedp.Do(ctx, noScript); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// Screenshot saves a full-page screenshot as
// testdata-artifacts/screenshots/NAME.jpg under root (the repository's
// root, relative to the test's package). REPRISALS_SCREENSHOT_PNG=1 gives
// PNG.
func Screenshot(t testing.TB, ctx context.Context, root, name string) {
	t.Helper()
	quality, ext := 80, ".jpg"
	if os.Getenv("REPRISALS_SCREENSHOT_PNG") != "" {
		quality, ext = 100, ".png"
	}
	img, err := chromedp.Run(ctx, chromedp.FullScreenshot(quality))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	dir := filepath.Join(root, "testdata-artifacts", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+ext), img, 0o644); err != nil {
		t.Fatal(err)
	}
}
