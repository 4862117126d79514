package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// TestUNDocumentQuestion: the optional "already referred to in an
// official UN document?" question and its symbol. The API refuses an
// unknown answer, an over-long symbol and a symbol without "yes", naming
// the field; the form asks for the symbol only after "yes" (JavaScript
// off: Next shows it on the same step), keeps every answer on an error,
// and what is stored is sealed with the report and nowhere in clear.
func TestUNDocumentQuestion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tt := range []struct {
		name        string
		answer, sym string
		field       string // "" when accepted
	}{
		{"unanswered", "", "", ""},
		{"do not know", "unsure", "", ""},
		{"no", "no", "", ""},
		{"yes without symbol", "yes", "", ""},
		{"unknown answer", "maybe", "", "steps_taken.un_document"},
		{"symbol too long", "yes", strings.Repeat("A", 201), "steps_taken.un_document_symbol"},
		{"symbol with no", "no", "A/HRC/57/30", "steps_taken.un_document_symbol"},
		{"symbol unanswered", "", "A/HRC/57/30", "steps_taken.un_document_symbol"},
	} {
		r := intaketest.Report("hrc_session")
		r.StepsTaken.UNDocument, r.StepsTaken.UNDocumentSymbol = tt.answer, tt.sym
		resp, b := e.postJSON(r)
		switch {
		case tt.field == "" && resp.StatusCode != http.StatusCreated:
			t.Errorf("%s: status %d: %s", tt.name, resp.StatusCode, b)
		case tt.field != "":
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s: status %d, want 422", tt.name, resp.StatusCode)
				continue
			}
			got := decodeError(t, b)
			if len(got.Error.Fields) != 1 || got.Error.Fields[tt.field] == "" {
				t.Errorf("%s: fields %v, want only %s", tt.name, got.Error.Fields, tt.field)
			}
		}
	}
	if n := e.count(); n != 4 {
		t.Fatalf("%d reports stored, want 4", n)
	}

	// The form: "yes" and Next on the UN step asks for the symbol there.
	in := intaketest.Report("hrc_session")
	in.StepsTaken.UNDocumentSymbol = ""
	v := formValues(in)
	v.Del("steps_taken.un_document_symbol")
	v.Set("action", "next")
	v.Set("step", "3")
	resp, b := e.postForm(v)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Next on the UN step: status %d", resp.StatusCode)
	}
	doc := parseHTML(t, b)
	if byID(doc, "steps_taken.un_document_symbol") == nil || byID(doc, "cooperation.form") == nil {
		t.Fatal("after “yes”, Next does not ask for the symbol on the same step")
	}
	// Without "yes" the symbol is not asked.
	v.Set("steps_taken.un_document", "no")
	if _, b := e.postForm(v); byID(parseHTML(t, b), "steps_taken.un_document_symbol") != nil {
		t.Error("the symbol is asked after “no”")
	}

	// A symbol with "no" is an error next to the field, every answer kept.
	in.StepsTaken.UNDocument, in.StepsTaken.UNDocumentSymbol = "no", "A/HRC/57/30"
	sent := formValues(in)
	sent.Set("action", "next")
	sent.Set("step", "3")
	resp, b = e.postForm(sent)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("symbol with “no”: status %d", resp.StatusCode)
	}
	doc = parseHTML(t, b)
	if msg := byID(doc, "steps_taken.un_document_symbol-error"); msg == nil || !strings.Contains(text(msg), "only if you answered") {
		t.Error("no message next to the symbol")
	}
	if diff := cmp.Diff(nonEmpty(sent), formState(doc)); diff != "" {
		t.Errorf("input not kept (-sent +shown):\n%s", diff)
	}

	// Sent whole: sealed with the report, not in clear in the database.
	canary := "CANARYSYM" + strings.ToUpper(hexString(randBytes(8)))
	in.StepsTaken.UNDocument, in.StepsTaken.UNDocumentSymbol = "yes", canary
	resp, b = e.postForm(formValues(in))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("send: status %d: %s", resp.StatusCode, b)
	}
	ref := text(byID(parseHTML(t, b), "reference"))
	stored, err := e.db.ReportByReference(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := crypto.Open(stored.Ciphertext, e.teams.Reprisals)
	if err != nil {
		t.Fatal(err)
	}
	c, err := envelope.ParseCase(plain, ref)
	if err != nil {
		t.Fatal(err)
	}
	if c.Report.StepsTaken.UNDocument != "yes" || c.Report.StepsTaken.UNDocumentSymbol != canary {
		t.Errorf("sealed %+v", c.Report.StepsTaken)
	}
	dump := e.db.Dump(t)
	if strings.Contains(string(dump), canary) || strings.Contains(string(dump), "un_document") {
		t.Error("the symbol, or the field's name, is in clear in the database")
	}
}
