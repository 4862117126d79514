package console_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/jackc/pgx/v5"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/desk/sgreport"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/store"
)

// annexTarget is the target for the annex drafts over 10,000
// decrypted cases.
const annexTarget = time.Second

// BenchmarkAnnexPage measures the /annexes page end to end against the
// real server: 10,000 cases (sealed as the server seals a report, to the
// team and the handler) in PostgreSQL, each with a UN action and a State
// response, a third also published in an earlier report (dated, sealed)
// with an action since, a quarter linked to the case before it, all as
// sealed team notes (about 26,000). The console loads and decrypts the
// inbox, then:
//
//   - first-page-s is the first GET /annexes, which also reads and opens
//     every case's notes from the server (8 at a time), once;
//
//   - each iteration is a GET /annexes over HTTP as the browser asks for
//     it, the drafts in French: desk/sgreport's drafts over the
//     decrypted cases and their entries, worded, rendered as the page and
//     read to the last byte (page-MB); x-target is its time as a multiple
//     of the 1 s.
//
//     go test ./desk/console -run '^$' -bench AnnexPage -benchtime 5x
func BenchmarkAnnexPage(b *testing.B) {
	const n = 10000
	e := newEnv(b)
	id := e.handler("omar", "reprisals-team")
	me, _ := crypto.ParseRecipient(id.Recipient().String())
	team, _ := crypto.ParseRecipient(e.teams.Reprisals.Recipient().String())
	recs := []crypto.Recipient{team, me}
	ctx := context.Background()
	states := []string{"DE", "EG", "ES", "TD", "US", "PA", "PE", "BY", "KP", "PS", "TR", "IR", "RU", "CN", "VE"}
	refs := make([]string, n)
	var notes [][]any
	copied := 0
	start := time.Now()
	for i := range n {
		ref := intake.NewReference()
		refs[i] = ref
		r := intaketest.Report("special_procedures")
		r.StateConcerned = states[i%len(states)]
		r.Consent.Publication = []string{"named", "anonymous", "pattern_only"}[i%3]
		r.Victims[0].Name = fmt.Sprintf("Victim %d", i)
		received := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, i%730)
		plain, err := (envelope.Case{Version: 1, Kind: "report", Reference: ref, ReceivedAt: received, Channel: "public",
			Teams: []string{"reprisals-team"}, Report: *r}).Marshal()
		if err != nil {
			b.Fatal(err)
		}
		s, err := crypto.Seal(plain, recs)
		if err != nil {
			b.Fatal(err)
		}
		hash := make([]byte, 32)
		rand.Read(hash)
		reportID, err := e.db.InsertReport(ctx, store.NewReport{
			Reference: ref, ReceiptHash: hash, ReplyRecipient: id.Recipient().String(), Teams: []string{"reprisals-team"},
			ReceivedOn: received, SizeBucket: 1, Channel: intake.ChannelPublic, Ciphertext: s.Ciphertext,
		}, []store.NewAlert{{Team: "reprisals-team"}})
		if err != nil {
			b.Fatal(err)
		}
		entries := []envelope.Entry{
			{Action: &envelope.Action{Kind: envelope.ActionCommunication, Date: "2025-08-01", Symbol: "AL X 1/2025", Summary: "A letter."}},
			{Response: &envelope.Response{Date: "2025-09-01", Stance: envelope.StanceDenies, Summary: "Denies."}},
		}
		if i%3 == 0 {
			entries = append(entries, envelope.Entry{Published: &envelope.Published{Report: "A/HRC/60/62", Annex: "I", Date: "2025-06-01"}},
				envelope.Entry{Action: &envelope.Action{Kind: envelope.ActionRaisedWithState, Date: "2025-12-01"}})
		}
		if i%4 == 1 {
			entries = append(entries, envelope.Entry{Link: &envelope.Link{Kind: envelope.LinkSame, Other: refs[i-1], At: start.UTC()}})
		}
		for _, en := range entries {
			ct, err := envelope.SealEntryTo(ref, "omar", en, recs)
			if err != nil {
				b.Fatal(err)
			}
			notes = append(notes, []any{reportID, "note", "reprisals-team", "omar", received, ct})
		}
	}
	for len(notes) > 0 { // in batches: one COPY of them all outlasts the statement timeout
		k := min(len(notes), 1000)
		if _, err := e.db.Pool().CopyFrom(ctx, pgx.Identifier{"notes"}, []string{"report_id", "kind", "team", "author", "created_on", "ciphertext"},
			pgx.CopyFromRows(notes[:k])); err != nil {
			b.Fatal(err)
		}
		copied += k
		notes = notes[k:]
	}
	e.publishRoster("reprisals-team", id)
	e.publishRoster("upr-secretariat")
	b.Logf("seeded %d cases and %d sealed notes in %v", n, copied, time.Since(start).Round(time.Millisecond))

	src := console.NewSource(e.login("omar", id), []age.Identity{id}, e.pins())
	tpl, _ := console.LoadTemplates("")
	lctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	t0 := time.Now()
	if err := src.Load(lctx); err != nil {
		b.Fatal(err)
	}
	if err := src.WaitLoaded(lctx); err != nil {
		b.Fatal(err)
	}
	loaded := time.Since(t0)
	con, err := console.Start(console.Config{Source: src, Templates: tpl})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { con.Close() })
	hc := openConsole(b, con)
	p := sgreport.AnnualPeriod(2026)
	url := fmt.Sprintf("http://%s/annexes?from=%s&to=%s&lang=fr", con.Addr(), p.From.Format(time.DateOnly), p.To.Format(time.DateOnly))
	page := func() int {
		resp, err := hc.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		var sb strings.Builder
		if _, err := io.Copy(&sb, resp.Body); err != nil {
			b.Fatal(err)
		}
		body := sb.String()
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Annexe II : suivi") || !strings.Contains(body, "2 sources") {
			b.Fatalf("annex page: %d, %d bytes", resp.StatusCode, len(body))
		}
		return len(body)
	}
	t1 := time.Now()
	size := page()
	first := time.Since(t1)
	b.Logf("inbox loaded and decrypted in %v; first /annexes (with every case's notes read) %v; page %.1f MB",
		loaded.Round(time.Millisecond), first.Round(time.Millisecond), float64(size)/1e6)
	b.ResetTimer()
	for b.Loop() {
		page()
	}
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(first.Seconds(), "first-page-s")
	b.ReportMetric(float64(size)/1e6, "page-MB")
	b.ReportMetric(float64(per)/float64(annexTarget), "x-target")
}
