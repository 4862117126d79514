package server_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/server"
	"github.com/ohchr-reprisals/intake/store"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

// feedNote is what a test compares of a note: where the server files it,
// what it says of it in the clear and the SHA-256 of its ciphertext (of
// nothing when omitted).
type feedNote struct {
	ID              int64
	Ref, Kind, Team string
	Author, Created string
	Sum             [32]byte
	Omitted         bool
}

// plantTeamCase stores a case routed to teams (ciphertext opaque bytes)
// and returns its reference and id.
func (e *env) plantTeamCase(teams ...string) (string, string) {
	e.t.Helper()
	ref := intake.NewReference()
	hash := make([]byte, 32)
	rand.Read(hash)
	var alerts []store.NewAlert
	for _, t := range teams {
		alerts = append(alerts, store.NewAlert{Team: t})
	}
	id, err := e.db.InsertReport(context.Background(), store.NewReport{
		Reference: ref, ReceiptHash: hash, ReplyRecipient: "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq", Teams: teams,
		ReceivedOn: time.Now().UTC(), SizeBucket: 1, Channel: intake.ChannelPublic, Ciphertext: []byte("age-encryption.org/v1\ncase"),
	}, alerts)
	if err != nil {
		e.t.Fatal(err)
	}
	return ref, id
}

// plantNote stores a note of kind by team on the case with id reportID,
// its ciphertext size bytes (an age header and random bytes).
func (e *env) plantNote(reportID, kind, team string, size int) {
	e.t.Helper()
	ct := make([]byte, size)
	rand.Read(ct)
	copy(ct, "age-encryption.org/v1\n")
	if _, err := e.db.Pool().Exec(context.Background(), `
		INSERT INTO notes (report_id, kind, team, author, created_on, ciphertext) VALUES ($1, $2, $3, 'someone', current_date, $4)`,
		reportID, kind, team, ct); err != nil {
		e.t.Fatal(err)
	}
}

// TestNotesFeedIsListNotesOverTheTeam: GET /notes returns exactly the
// union of GET /cases/{ref}/notes over the team's cases: the team's own
// notes, every reply and follow-up, never another team's notes on a
// shared case, nothing of another team's case or of a case the team no
// longer has, ciphertexts as listNotes returns them, by note id. Pages
// are bounded by bytes (handlers.inbox_page_bytes, here 1 MiB) and by
// count (per_page); following "next", also while a note arrives, every
// note comes once; a note larger than a page is listed without its
// ciphertext in its place. The client's walk gets the same. A cursor the
// server did not give is refused; without a session nothing is listed.
func TestNotesFeedIsListNotesOverTheTeam(t *testing.T) {
	t.Parallel()
	const budget = config.MinInboxPageBytes
	e := newEnvConfig(t, storetest.NewDB(t), server.Options{}, func(c *config.Config) { c.Handlers.InboxPageBytes = budget })
	id := e.addHandler("omar", "reprisals-team")
	tok := e.login("omar", id)

	const us, them = "reprisals-team", "upr-secretariat"
	refA, a := e.plantTeamCase(us)
	refB, b := e.plantTeamCase(us, them)
	refC, c := e.plantTeamCase(them)
	refD, d := e.plantTeamCase(us, them)
	for i := range 60 { // 60 notes of 40 KiB on A: three pages of 1 MiB at least
		e.plantNote(a, "note", us, 40<<10+i)
	}
	for _, cs := range []string{a, b, c, d} {
		e.plantNote(cs, "note", us, 900)
		e.plantNote(cs, "note", them, 900)
		e.plantNote(cs, "reply", them, 1000)
		e.plantNote(cs, "followup", "", 1100)
	}
	e.plantNote(b, "note", us, budget+1) // larger than a page
	e.plantNote(b, "note", us, 700)
	// The team loses case D.
	if _, err := e.db.Pool().Exec(context.Background(), `UPDATE reports SET teams = array_remove(teams, $2) WHERE id = $1`, d, us); err != nil {
		t.Fatal(err)
	}

	walk := func(perPage int, during func()) []feedNote {
		var got []feedNote
		after, pages := "", 0
		for {
			q := url.Values{}
			if after != "" {
				q.Set("after", after)
			}
			if perPage > 0 {
				q.Set("per_page", strconv.Itoa(perPage))
			}
			resp, body := e.do("GET", "/api/v1/handler/notes?"+q.Encode(), "", nil, "Authorization", "Bearer "+tok)
			if resp.StatusCode != 200 {
				t.Fatalf("page %d: status %d: %.300s", pages+1, resp.StatusCode, body)
			}
			pages++
			var p handlerapi.NotesPage
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, fn := range p.Notes {
				n += len(fn.Ciphertext)
				got = append(got, feedNote{fn.ID, fn.Reference, fn.Kind, fn.Team, fn.Author, fn.CreatedOn, sha256.Sum256(fn.Ciphertext), fn.CiphertextOmitted})
			}
			if n > budget || p.MaxBytes != budget {
				t.Errorf("page %d: %d bytes of ciphertext, bound %d; max_bytes says %d", pages, n, budget, p.MaxBytes)
			}
			if want := cmpOr(perPage, config.MaxFeedNotes); len(p.Notes) > want || p.PerPage != want {
				t.Errorf("page %d: %d notes, per_page %d, want at most %d", pages, len(p.Notes), p.PerPage, want)
			}
			if p.Next != "" && (len(p.Notes) == 0 || p.Next != strconv.FormatInt(p.Notes[len(p.Notes)-1].ID, 10)) {
				t.Fatalf("page %d: next %q after %d notes", pages, p.Next, len(p.Notes))
			}
			if p.Next == "" || pages > 100 {
				break
			}
			if pages == 1 && during != nil {
				during()
			}
			after = p.Next
		}
		if pages < 3 {
			t.Errorf("%d pages for about 2.4 MiB of notes at most 1 MiB a page", pages)
		}
		return got
	}
	// A note arrives on A between the first and second page: it comes
	// once, on a later page (its id is above every cursor).
	got := walk(0, func() { e.plantNote(a, "note", us, 500) })

	// The union of listNotes over every case, as omar may read it.
	var want []feedNote
	for _, ref := range []string{refA, refB, refC, refD} {
		var list handlerapi.NoteList
		code := e.api(tok, "GET", "/cases/"+ref+"/notes", nil, &list)
		if ref == refC || ref == refD {
			if code != 404 {
				t.Errorf("listNotes of %s (not the team's): %d", ref, code)
			}
			continue
		}
		if code != 200 {
			t.Fatalf("listNotes of %s: %d", ref, code)
		}
		for _, n := range list.Notes {
			fn := feedNote{n.ID, ref, n.Kind, n.Team, n.Author, n.CreatedOn, sha256.Sum256(n.Ciphertext), false}
			if len(n.Ciphertext) > budget {
				fn.Sum, fn.Omitted = sha256.Sum256(nil), true
			}
			want = append(want, fn)
		}
	}
	slices.SortFunc(want, func(x, y feedNote) int { return int(x.ID - y.ID) })
	if len(want) != 60+3+3+2+1 {
		t.Fatalf("listNotes gives %d notes; the test expects 69", len(want))
	}
	if !slices.Equal(got, want) {
		t.Errorf("the feed is not the union of listNotes:\n got %s\nwant %s", feedString(got), feedString(want))
	}
	for _, n := range got {
		if n.Ref == refC || n.Ref == refD || (n.Kind == "note" && n.Team != us) {
			t.Errorf("note %d (%s, %s of %s) is not the team's to read", n.ID, n.Ref, n.Kind, n.Team)
		}
	}

	// Bounded by count: 7 a page, the same notes.
	if got7 := walk(7, nil); !slices.Equal(got7, want) {
		t.Errorf("7 a page:\n got %s\nwant %s", feedString(got7), feedString(want))
	}

	// The client walks the same feed with its checks.
	cl, err := handlerapi.New(e.srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	cl.SetToken(tok)
	var viaClient []feedNote
	after := ""
	for range 100 {
		p, err := cl.TeamNotes(context.Background(), after, 0)
		if err != nil {
			t.Fatalf("the client: %v", err)
		}
		for _, fn := range p.Notes {
			viaClient = append(viaClient, feedNote{fn.ID, fn.Reference, fn.Kind, fn.Team, fn.Author, fn.CreatedOn, sha256.Sum256(fn.Ciphertext), fn.CiphertextOmitted})
		}
		if after = p.Next; after == "" {
			break
		}
	}
	if !slices.Equal(viaClient, want) {
		t.Errorf("the client's walk:\n got %s\nwant %s", feedString(viaClient), feedString(want))
	}

	// A cursor the server did not give is refused, never read as a place.
	for _, bad := range []string{"x", "0", "-1", "01", "+5", "1.5", "1e3", " 1", "99999999999999999999", "0x10"} {
		resp, body := e.do("GET", "/api/v1/handler/notes?"+url.Values{"after": {bad}}.Encode(), "", nil, "Authorization", "Bearer "+tok)
		var e2 handlerapi.Error
		if err := json.Unmarshal(body, &e2); resp.StatusCode != 422 || err != nil || !strings.Contains(e2.Error.Message, "start again from the first page") {
			t.Errorf("after=%q: status %d %s, want 422 saying to start again", bad, resp.StatusCode, body)
		}
	}
	// Without a session, nothing.
	if code := e.api("", "GET", "/notes", nil, nil); code != 401 {
		t.Errorf("without a session: %d, want 401", code)
	}
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

func feedString(ns []feedNote) string {
	s := ""
	for _, n := range ns {
		s += fmt.Sprintf("[%d %s %s %s omitted=%v] ", n.ID, n.Ref, n.Kind, n.Team, n.Omitted)
	}
	return s
}
