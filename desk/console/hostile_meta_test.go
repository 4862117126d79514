package console_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// TestInboxChecksTheServersFields plays a server that sends, in the
// inbox, a case with a bidi override in its received day, one with
// markup in its urgency, one with a malformed reference, and in a case's
// thread a note dated with a bidi override. The console runs the checks
// casectl cases runs: the two bad cases are listed by reference as
// malformed and not opened, the third is left out and counted, the good
// case opens as usual; the thread with the bad date is refused. No bidi
// control or markup from the server reaches a page. (Before, the inbox
// showed the server's fields as sent, and note dates unescaped.)
func TestInboxChecksTheServersFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	good := e.submit(intaketest.Report("hrc_session")).Reference
	badDay := e.submit(intaketest.Report("hrc_session")).Reference
	badUrgency := e.submit(intaketest.Report("hrc_session")).Reference
	badRef := e.submit(intaketest.Report("hrc_session")).Reference
	e.publishRoster("reprisals-team", id)
	e.publishRoster("upr-secretariat")
	const rlo = "\u202e"
	r, _ := crypto.ParseRecipient(id.Recipient().String())
	sealed, err := crypto.Seal([]byte("A note."), []crypto.Recipient{r})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Pool().Exec(t.Context(), `INSERT INTO notes (report_id, kind, team, author, created_on, ciphertext)
		SELECT id, 'note', 'reprisals-team', 'omar', current_date, $2 FROM reports WHERE reference = $1`, good, sealed.Ciphertext); err != nil {
		t.Fatal(err)
	}
	upstream, _ := url.Parse(e.url)
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	proxy.ModifyResponse = func(resp *http.Response) error {
		p := resp.Request.URL.Path
		if resp.StatusCode != http.StatusOK || (!strings.HasPrefix(p, handlerapi.Prefix+"/inbox") && !strings.HasPrefix(p, handlerapi.Prefix+"/cases/")) {
			return nil
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		var doc map[string]any
		if json.Unmarshal(b, &doc) == nil {
			if list, ok := doc["cases"].([]any); ok {
				for _, c := range list {
					m := c.(map[string]any)
					switch m["reference"] {
					case badDay:
						m["received_on"] = rlo + "2024-01-01"
					case badUrgency:
						m["urgency"] = "<b>U1</b>"
					case badRef:
						m["reference"] = "EVIL" + rlo + "-REF"
					}
				}
			}
			if notes, ok := doc["notes"].([]any); ok && strings.Contains(p, good) {
				for _, n := range notes {
					n.(map[string]any)["created_on"] = rlo + "2024-01-01"
				}
			}
			b, _ = json.Marshal(doc)
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	hostile := httptest.NewServer(proxy)
	t.Cleanup(hostile.Close)

	api, err := handlerapi.New(hostile.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	api.SetToken(e.login("omar", id).Token())
	src := console.NewSource(api, []age.Identity{id}, e.pins())
	tpl, err := console.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	con, err := console.Start(console.Config{Source: src, Templates: tpl})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { con.Close() })
	hc := openConsole(t, con)
	if err := src.WaitLoaded(t.Context()); err != nil {
		t.Fatal(err)
	}
	code, body := get(t, hc, "http://"+con.Addr()+"/")
	if code != http.StatusOK {
		t.Fatalf("inbox: %d\n%s", code, body)
	}
	contains(t, "inbox", body, good, badDay, badUrgency, "The server sent 1 case whose reference is malformed; it is not shown")
	if n := strings.Count(body, "The server sent this case&#39;s fields malformed"); n != 2 {
		t.Errorf("%d cases marked malformed, want 2:\n%s", n, body)
	}
	for _, bad := range []string{rlo, "<b>U1", "EVIL"} {
		if strings.Contains(body, bad) {
			t.Errorf("the inbox shows the server's %q", bad)
		}
	}
	if cs, ok := src.Lookup(good); !ok || !cs.Readable() {
		t.Errorf("the good case is not opened")
	}
	if cs, ok := src.Lookup(badDay); !ok || cs.Readable() {
		t.Errorf("the case with a malformed day was opened")
	}
	// Notes: the thread with a malformed date is refused, never shown.
	code, body = get(t, hc, "http://"+con.Addr()+"/cases/"+good)
	if strings.Contains(body, rlo) {
		t.Errorf("the case page shows the server's bidi control (HTTP %d)", code)
	}
	if code == http.StatusOK {
		t.Errorf("a thread with a malformed note date was shown:\n%s", body)
	}
}

// TestExportEscapesControls exports a case whose narrative holds an ANSI
// escape, a C1 CSI, DEL and a bidi override: the JSON file holds none of
// them raw (encoding/json left C1, DEL and bidi controls as they were),
// and it decodes back to the reporter's text.
func TestExportEscapesControls(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.handler("omar", "reprisals-team")
	const narrative = "red \x1b[31m csi \u009b2J del \x7f rlo \u202egnp.exe lri \u2066x\u2069 nl\nend"
	r := intaketest.Report("hrc_session")
	r.Incidents[0].Narrative = narrative
	ref := e.submit(r).Reference
	con, _, hc := e.console("omar", id)
	code, body := post(t, hc, con, "/cases/"+ref+"/export", nil)
	if code != http.StatusOK {
		t.Fatalf("export: %d\n%s", code, body)
	}
	if i := strings.IndexFunc(body, func(r rune) bool { return r != '\n' && handlerapi.Unsafe(r) }); i >= 0 {
		t.Errorf("the export holds a raw control %q at %d", []rune(body[i:])[0], i)
	}
	var doc struct {
		Envelope struct {
			Report struct {
				Incidents []struct {
					Narrative string `json:"narrative"`
				} `json:"incidents"`
			} `json:"report"`
		} `json:"envelope"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || len(doc.Envelope.Report.Incidents) == 0 {
		t.Fatalf("the export is not valid JSON: %v", err)
	}
	if got := doc.Envelope.Report.Incidents[0].Narrative; got != narrative {
		t.Errorf("the narrative reads back as %q, want %q", got, narrative)
	}
}
