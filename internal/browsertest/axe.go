package browsertest

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// axeSource is axe-core's axe.min.js (see axe/README.md).
//
//go:embed axe/axe.min.js
var axeSource string

// AxeTags are the rule sets Axe checks: WCAG 2.0, 2.1 and 2.2 at levels A
// and AA, and axe's best practices.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"}

// Violation is one axe rule that the page breaks, with the elements that
// break it.
type Violation struct {
	ID, Impact, Help string
	Targets          []string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(v.Targets, ", "))
}

// Axe runs axe-core on the page shown in ctx and returns the rules it
// breaks. The page itself runs no script: axe is evaluated by DevTools,
// with script execution switched on for the run only (axe waits on
// timers) and off again before Axe returns.
func Axe(t testing.TB, ctx context.Context) []Violation {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	scripts := func(disabled bool) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: disabled})
			return err
		})
	}
	if err := chromedp.Do(sctx, scripts(false)); err != nil {
		t.Fatalf("axe: enabling scripts: %v", err)
	}
	defer func() {
		if err := chromedp.Do(ctx, scripts(true)); err != nil {
			t.Fatalf("axe: disabling scripts again: %v", err)
		}
	}()
	tags, _ := json.Marshal(AxeTags)
	expr := `(async () => {
		if (!window.axe) { ` + axeSource + `
		}
		const r = await window.axe.run(document, {runOnly: {type: "tag", values: ` + string(tags) + `}, resultTypes: ["violations"]});
		return JSON.stringify(r.violations.map(v => ({ID: v.id, Impact: v.impact || "", Help: v.help, Targets: v.nodes.map(n => n.target.join(" "))})));
	})()`
	out, err := chromedp.Run(sctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe: %v", err)
	}
	var vs []Violation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("axe: reading its answer: %v", err)
	}
	return vs
}
