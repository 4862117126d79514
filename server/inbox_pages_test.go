package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"net/url"
	"slices"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/server"
	"github.com/ohchr-reprisals/intake/store"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

// plantCase stores a case routed to the reprisals team whose ciphertext is
// a real age file of size bytes of random plaintext, sealed to the team and
// to extra, received on day; it returns the case's reference and the
// SHA-256 of its ciphertext.
func (e *env) plantCase(size int, day time.Time, extra ...age.Recipient) (string, [32]byte) {
	e.t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, append([]age.Recipient{e.teams.Reprisals.Recipient()}, extra...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	plain := make([]byte, size)
	rand.Read(plain)
	if _, err := w.Write(plain); err != nil || w.Close() != nil {
		e.t.Fatal(err)
	}
	ciphertext := buf.Bytes()
	ref := intake.NewReference()
	hash := make([]byte, 32)
	rand.Read(hash)
	reply, _ := age.GenerateX25519Identity()
	_, err = e.db.InsertReport(context.Background(), store.NewReport{
		Reference: ref, ReceiptHash: hash, ReplyRecipient: reply.Recipient().String(), Teams: []string{"reprisals-team"},
		ReceivedOn: day, SizeBucket: 1, Channel: intake.ChannelPublic, Ciphertext: ciphertext,
	}, []store.NewAlert{{Team: "reprisals-team"}})
	if err != nil {
		e.t.Fatal(err)
	}
	return ref, sha256.Sum256(ciphertext)
}

// rawInboxPage is a page of GET /inbox as the wire carries it, decoded
// without the client's checks.
type rawInboxPage struct {
	Cases []struct {
		Reference         string `json:"reference"`
		Ciphertext        []byte `json:"ciphertext"`
		CiphertextOmitted bool   `json:"ciphertext_omitted"`
	} `json:"cases"`
	MaxBytes int64  `json:"max_bytes"`
	Next     string `json:"next"`
}

// TestInboxPagesBoundedByBytes: 49 reports of 1 MiB each (real age files)
// and a few small ones. Every page of GET /inbox carries at most its byte
// budget of ciphertext (the default 8 MiB, so the page stays far under the
// client's 64 MiB limit) and names the next page; following the pages,
// also while new cases arrive, the client gets every case exactly once,
// with its ciphertext intact. Malformed cursors are refused.
func TestInboxPagesBoundedByBytes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.addHandler("omar", "reprisals-team")
	tok := e.login("omar", id)
	today := time.Now().UTC()
	want := map[string][32]byte{}
	for i := range 49 {
		ref, sum := e.plantCase(1<<20, today.AddDate(0, 0, -(i%5)), id.Recipient())
		want[ref] = sum
	}
	for i := range 3 {
		ref, sum := e.plantCase(2<<10, today.AddDate(0, 0, -i), id.Recipient())
		want[ref] = sum
	}

	// Page by page over the wire.
	const budget = 8 << 20
	got := map[string]int{}
	after, pages := "", 0
	for {
		resp, body := e.do("GET", "/api/v1/handler/inbox?"+url.Values{"after": {after}}.Encode(), "", nil, "Authorization", "Bearer "+tok)
		if resp.StatusCode != 200 {
			t.Fatalf("page %d: status %d: %.300s", pages+1, resp.StatusCode, body)
		}
		pages++
		var p rawInboxPage
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range p.Cases {
			n += len(c.Ciphertext)
			got[c.Reference]++
			if c.CiphertextOmitted {
				t.Errorf("case %s omitted, though it fits a page", c.Reference)
			}
		}
		if n > budget || p.MaxBytes != budget {
			t.Errorf("page %d: %d bytes of ciphertext (%d on the wire), bound %d; max_bytes says %d", pages, n, len(body), budget, p.MaxBytes)
		}
		if len(body) > handlerapi.MaxResponse/4 {
			t.Errorf("page %d: %d bytes on the wire", pages, len(body))
		}
		if len(p.Cases) == 0 || p.Next == "" || pages > 60 {
			if p.Next != "" {
				t.Fatalf("page %d: no cases, or too many pages, yet a next page", pages)
			}
			break
		}
		if pages == 1 {
			// Cases that arrive meanwhile, on the newest day (before
			// and after the cursor in its order), shift nothing.
			e.plantCase(1<<10, today)
			e.plantCase(1<<10, today)
		}
		after = p.Next
	}
	if pages < 7 {
		t.Errorf("%d pages for 49 MiB at most 8 MiB a page", pages)
	}
	for ref := range want {
		if got[ref] != 1 {
			t.Errorf("case %s came %d times, want once", ref, got[ref])
		}
	}
	for ref, n := range got {
		if n > 1 {
			t.Errorf("case %s came %d times", ref, n)
		}
	}

	// The client follows the pages and checks each case.
	c, err := handlerapi.New(e.srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(tok)
	seen, after := map[string]bool{}, ""
	for range 60 {
		p, err := c.Inbox(context.Background(), after, 0)
		if err != nil {
			t.Fatalf("the client: %v", err)
		}
		for _, cs := range p.Cases {
			seen[cs.Reference] = true
			if sum, ok := want[cs.Reference]; ok && sha256.Sum256(cs.Ciphertext) != sum {
				t.Errorf("case %s: the ciphertext changed on the way", cs.Reference)
			}
		}
		if after = p.Next; after == "" {
			break
		}
	}
	if len(seen) != len(want)+2 {
		t.Errorf("the client got %d cases, want %d", len(seen), len(want)+2)
	}

	// A cursor the server did not give is refused, never read as a place.
	for _, bad := range []string{"x", "2026-13-01.ABCD-EFGH", "2026-12-03.abcd-efgh", "2026-12-3.ABCD-EFGH",
		"2026-12-03ABCD-EFGH", "2026-12-03.ABCD-EFGH.", "2026-12-03.ABCD-EFGH2", "0001-01-01.ABCD-EFGH", "+2026-12-03.ABCD-EFGH"} {
		if code := e.api(tok, "GET", "/inbox?"+url.Values{"after": {bad}}.Encode(), nil, nil); code != 422 {
			t.Errorf("after=%q: status %d, want 422", bad, code)
		}
	}
}

// TestInboxCaseLargerThanAPage: a case whose ciphertext alone is larger
// than the page's byte budget is listed without it (ciphertext_omitted),
// between the cases around it, and the client fetches it alone.
func TestInboxCaseLargerThanAPage(t *testing.T) {
	t.Parallel()
	e := newEnvConfig(t, storetest.NewDB(t), server.Options{}, func(c *config.Config) {
		c.Handlers.InboxPageBytes = config.MinInboxPageBytes
	})
	id := e.addHandler("omar", "reprisals-team")
	tok := e.login("omar", id)
	today := time.Now().UTC()
	newer, _ := e.plantCase(600<<10, today, id.Recipient())
	big, bigSum := e.plantCase(3<<19, today.AddDate(0, 0, -1), id.Recipient())
	older, _ := e.plantCase(600<<10, today.AddDate(0, 0, -2), id.Recipient())

	c, _ := handlerapi.New(e.srv.URL, nil)
	c.SetToken(tok)
	var order []string
	after := ""
	for range 10 {
		p, err := c.Inbox(context.Background(), after, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, cs := range p.Cases {
			order = append(order, cs.Reference)
			n += len(cs.Ciphertext)
			if cs.CiphertextOmitted != (cs.Reference == big) {
				t.Errorf("case %s: omitted %v (big %s, %d bytes)", cs.Reference, cs.CiphertextOmitted, big, len(cs.Ciphertext))
			}
		}
		if n > config.MinInboxPageBytes {
			t.Errorf("a page of %d bytes of ciphertext, bound %d", n, config.MinInboxPageBytes)
		}
		if err := c.FillOmitted(context.Background(), &p); err != nil {
			t.Fatal(err)
		}
		for _, cs := range p.Cases {
			if cs.Reference == big && sha256.Sum256(cs.Ciphertext) != bigSum {
				t.Error("the large case's ciphertext, fetched alone, differs")
			}
		}
		if after = p.Next; after == "" {
			break
		}
	}
	if !slices.Equal(order, []string{newer, big, older}) {
		t.Errorf("cases in order %v, want %v", order, []string{newer, big, older})
	}
	if bytes.Contains([]byte(e.logs.String()), []byte(`"level":"ERROR"`)) {
		t.Errorf("an ERROR was logged:\n%s", e.logs.String())
	}
}
