package server_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// hiddenValue returns the value of the first hidden input named name.
func hiddenValue(doc *html.Node, name string) string {
	for _, n := range findAll(doc, func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == name }) {
		return attr(n, "value")
	}
	return ""
}

// TestRepliesStayAfterAddingInformation: after adding information or a
// file on a return visit, the UN's reply is still on the page (carried
// sealed by the page, since the receipt is not), and a forged box shows
// nothing rather than an error.
func TestRepliesStayAfterAddingInformation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	acc := e.submitted("hrc_session")
	e.reply(acc.Reference, "We are looking into this.")
	_, doc, body := e.openReturn(acc.Receipt.String())
	token, box := hiddenValue(doc, "visit"), hiddenValue(doc, "replies")
	if box == "" || strings.Contains(box, "looking") {
		t.Fatalf("the page carries no sealed replies, or carries them in clear")
	}
	if strings.Count(string(body), `name="replies"`) != 2 {
		t.Errorf("both forms of the visit page should carry the replies")
	}

	_, b := e.postFormTo("/return/follow-up", url.Values{"visit": {token}, "replies": {box}, "text": {"He was released."}, "language": {"en"}})
	doc = parseHTML(t, b)
	if byID(doc, "added") == nil || !strings.Contains(text(byID(doc, "messages")), "We are looking into this.") {
		t.Errorf("after adding information the reply is gone:\n%s", text(byID(doc, "messages")))
	}
	// The page after adding (a GET, after the redirect) carries the
	// replies on, sealed again; the file form below sends them.
	next := hiddenValue(doc, "replies")
	if next == "" || strings.Contains(next, "looking") {
		t.Error("the next page does not carry the replies on, or carries them in clear")
	}

	ct, mb := multipartWith(token, next, map[string][]byte{"note.txt": []byte("more")})
	resp, b := e.browserDo("POST", "/attachments", ct, mb)
	doc = parseHTML(t, b)
	if resp.StatusCode != 200 || byID(doc, "attached") == nil || !strings.Contains(text(byID(doc, "messages")), "We are looking into this.") {
		t.Errorf("after adding a file the reply is gone (%d)", resp.StatusCode)
	}
	// The file was answered by a redirect: the page is a GET, whose
	// reload sends nothing again, and its address names no file.
	if resp.Request.Method != http.MethodGet || strings.Contains(resp.Request.URL.String(), "note.txt") {
		t.Errorf("after adding a file the page is a %s of %s, want a GET that names no file", resp.Request.Method, resp.Request.URL)
	}
	e.browserDo("GET", resp.Request.URL.RequestURI(), "", nil)
	var files int
	e.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM attachments`).Scan(&files)
	if files != 1 {
		t.Errorf("after adding one file and reloading, %d attachments are stored, want 1", files)
	}

	// Another case's box, or a forged one, shows no reply.
	other := e.submitted("upr")
	_, odoc, _ := e.openReturn(other.Receipt.String())
	for _, bad := range []string{box[:len(box)-2] + "AA", "x"} {
		_, b := e.postFormTo("/return/follow-up", url.Values{"visit": {hiddenValue(odoc, "visit")}, "replies": {bad}, "text": {"More."}})
		if strings.Contains(string(b), "looking into this") {
			t.Errorf("a forged or foreign box showed a reply")
		}
	}
	_, b = e.postFormTo("/return/follow-up", url.Values{"visit": {hiddenValue(odoc, "visit")}, "replies": {box}, "text": {"More."}})
	if strings.Contains(string(b), "looking into this") {
		t.Error("another case's box showed its reply")
	}
}

// multipartWith is multipartBody with the sealed replies after the token,
// as the return visit's upload form sends them.
func multipartWith(token, box string, files map[string][]byte) (string, *bytes.Buffer) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	w.WriteField("visit", token)
	w.WriteField("replies", box)
	for name, data := range files {
		p, _ := w.CreateFormFile("files", name)
		p.Write(data)
	}
	w.Close()
	return w.FormDataContentType(), &b
}
