package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"golang.org/x/net/html"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/ohchr-reprisals/intake/country"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// TestStateConcernedSelect checks the State field of the form in every
// language: "Not sure" first after the prompt, then every State by its UN
// name in the page's language, in that language's order; a chosen State
// stays chosen when the form comes back with errors; and an unknown code
// is refused next to the field.
func TestStateConcernedSelect(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	notSure := map[string]string{"ar": "لست متأكداً", "en": "Not sure", "es": "No estoy seguro", "fr": "Je ne sais pas", "ru": "Не уверен(а)", "zh": "不确定"}
	for _, lang := range country.Languages {
		// The State is asked on the step "What happened".
		resp, b := e.postFormTo("/report?lang="+lang, url.Values{"action": {"goto-2"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", lang, resp.StatusCode)
		}
		sel := byID(parseHTML(t, b), "state_concerned")
		if sel == nil || sel.Data != "select" {
			t.Fatalf("%s: no select with id state_concerned", lang)
		}
		opts := findAll(sel, func(n *html.Node) bool { return n.Data == "option" })
		if len(opts) != 2+len(country.Codes()) {
			t.Fatalf("%s: %d options, want the prompt, not sure and %d States", lang, len(opts), len(country.Codes()))
		}
		if attr(opts[0], "value") != "" || attr(opts[1], "value") != country.NotSure || text(opts[1]) != notSure[lang] {
			t.Errorf("%s: first options %q=%q, %q=%q", lang, attr(opts[0], "value"), text(opts[0]), attr(opts[1], "value"), text(opts[1]))
		}
		col := collate.New(language.Make(lang), collate.Loose)
		for i, o := range opts[2:] {
			code := attr(o, "value")
			if text(o) != country.Name(code, lang) {
				t.Errorf("%s: option %s reads %q, want %q", lang, code, text(o), country.Name(code, lang))
			}
			if i > 0 && col.CompareString(text(opts[i+1]), text(o)) > 0 {
				t.Errorf("%s: %q listed before %q", lang, text(opts[i+1]), text(o))
			}
		}
	}

	// Chosen, sent with another field missing: the State stays chosen.
	v := formValues(intaketest.Report("upr"))
	v.Set("state_concerned", "PS")
	v.Set("victims[0].name", "")
	resp, b := e.postForm(v)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("incomplete form: status %d", resp.StatusCode)
	}
	if got := formState(parseHTML(t, b)).Get("state_concerned"); got != "PS" {
		t.Errorf("after an error the State is %q, want PS still chosen", got)
	}

	// Forged codes are refused next to the field, in the page's language.
	for _, code := range []string{"", "XX", "ps", "PSE", "State of Palestine"} {
		v.Set("victims[0].name", "Amina")
		v.Set("state_concerned", code)
		resp, b := e.postForm(v)
		doc := parseHTML(t, b)
		msg := byID(doc, "state_concerned-error")
		if resp.StatusCode != http.StatusUnprocessableEntity || msg == nil {
			t.Errorf("State %q: status %d, message %v", code, resp.StatusCode, msg)
		}
	}
	resp, b = e.postFormTo("/report?lang=fr", url.Values{"state_concerned": {"XX"}, "action": {"next"}, "step": {"2"}})
	if msg := byID(parseHTML(t, b), "state_concerned-error"); msg == nil || !strings.Contains(text(msg), "Veuillez choisir un État dans la liste") {
		t.Errorf("French message for an unknown State: status %d, %v", resp.StatusCode, msg)
	}
}

// TestStateConcernedAPI checks the JSON API: a known code or "unsure" is
// accepted and sealed inside the ciphertext (no clear column holds it), and
// unknown or missing codes are refused with a message on the field.
func TestStateConcernedAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, code := range []string{"", "XX", "kp", "PRK", "North Korea", "UNSURE", "U A"} {
		r := intaketest.Report("upr")
		r.StateConcerned = code
		resp, b := e.postJSON(r)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("State %q: status %d, want 422", code, resp.StatusCode)
			continue
		}
		if got := decodeError(t, b).Error.Fields; len(got) != 1 || got["state_concerned"] == "" {
			t.Errorf("State %q: fields %v, want only state_concerned", code, got)
		}
	}
	for _, code := range []string{"KP", country.NotSure} {
		r := intaketest.Report("hrc_session")
		r.StateConcerned = code
		if resp, b := e.postJSON(r); resp.StatusCode != http.StatusCreated {
			t.Fatalf("State %q: status %d: %s", code, resp.StatusCode, b)
		}
	}
	rows, err := e.db.Pool().Query(t.Context(), "SELECT ciphertext FROM reports ORDER BY ciphertext")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var ct []byte
		if err := rows.Scan(&ct); err != nil {
			t.Fatal(err)
		}
		plain, err := crypto.Open(ct, e.teams.Reprisals)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Report struct {
				State string `json:"state_concerned"`
			} `json:"report"`
		}
		if err := json.Unmarshal(plain, &env); err != nil {
			t.Fatal(err)
		}
		got = append(got, env.Report.State)
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"KP", country.NotSure}) {
		t.Errorf("sealed States %v, want KP and unsure", got)
	}
	// No clear column of reports holds the State.
	var cols []string
	crows, err := e.db.Pool().Query(t.Context(), "SELECT column_name FROM information_schema.columns WHERE table_name = 'reports'")
	if err != nil {
		t.Fatal(err)
	}
	defer crows.Close()
	for crows.Next() {
		var c string
		crows.Scan(&c)
		cols = append(cols, c)
		if strings.Contains(c, "state") || strings.Contains(c, "country") {
			t.Errorf("reports has a clear column %q", c)
		}
	}
	if len(cols) < 5 {
		t.Fatalf("read only columns %v", cols)
	}
}

// TestBrowserStateConcerned chooses the State by typing its French UN name
// in Chromium on a 375-pixel phone screen with JavaScript off, presses Next
// with another answer of the step missing, and checks that the State is still
// chosen next to the error summary, then that a reload of the page does
// not invent a choice.
func TestBrowserStateConcerned(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	step, read := browserSteps(t, ctx)
	value := func() string {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		v, err := chromedp.Run(sctx, chromedp.Value(byName("state_concerned")))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	step("open the French form on a phone, at the step that asks for the State",
		chromedp.EmulateViewport(375, 740),
		chromedp.Navigate(e.srv.URL+"/report?lang=fr"),
		chromedp.Click(chromedp.CSS(`nav.steps button[value="goto-2"]`)),
		chromedp.WaitVisible(byName("state_concerned")),
	)
	if got := read(`label[for="state_concerned"]`); !strings.Contains(got, "État concerné") {
		t.Errorf("label %q", got)
	}
	step("choose by typing and send", chromedp.SendKeys(byName("state_concerned"), "Fédération de Russie"),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#error-summary")),
	)
	screenshot(t, ctx, "state-fr-375")
	if got := value(); got != "RU" {
		t.Errorf("after the errors the State is %q, want RU", got)
	}
	if summary := read("#error-summary"); strings.Contains(summary, "État") {
		t.Errorf("the error summary complains about the chosen State:\n%s", summary)
	}
	step("a fresh form", chromedp.Navigate(e.srv.URL+"/report?lang=fr"), chromedp.Click(chromedp.CSS(`nav.steps button[value="goto-2"]`)),
		chromedp.WaitVisible(byName("state_concerned")))
	if got := value(); got != "" {
		t.Errorf("a new form has the State %q chosen, want none", got)
	}
}
