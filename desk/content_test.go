package desk_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake"
)

// TestOpenContent streams attachments from the real server, honest and
// hostile: content is given only as its manifest says (key, size,
// SHA-256); another file's content, a cut one, or a manifest that does
// not match is refused, never passed on as complete.
func TestOpenContent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	omar := e.handler("omar", "reprisals-team")
	ref := e.public("hrc_session")
	ctx := context.Background()
	var rid string
	e.db.Pool().QueryRow(ctx, `SELECT id FROM reports WHERE reference = $1`, ref).Scan(&rid)
	visit, err := e.svc.CaseByID(ctx, rid)
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{strings.Repeat("first file. ", 10000), "second file"}
	for i, text := range texts {
		if _, err := e.svc.Attach(ctx, visit, "file"+strconv.Itoa(i)+".txt", "text/plain", strings.NewReader(text), intake.AttachLimits{MaxFiles: 5, MaxFileBytes: 1 << 20}); err != nil {
			t.Fatal(err)
		}
	}
	honest := e.desk(e.url, "omar", omar)
	listed, err := honest.API.Attachments(ctx, ref)
	if err != nil || len(listed) != 2 {
		t.Fatalf("%d attachments: %v", len(listed), err)
	}
	files := desk.OpenFiles(listed, ref, honest.IDs)
	first := slices0(files, texts[0])
	other := files[1-first]
	path := handlerapi.Prefix + "/cases/" + ref + "/attachments/"
	for _, tc := range []struct {
		name    string
		rewrite func(*http.Request)
		modify  func(*http.Response) error
		file    func(desk.File) desk.File
		want    error // nil: the content as attached
	}{
		{name: "honest"},
		{name: "another file's content", rewrite: func(r *http.Request) {
			if r.URL.Path == path+files[first].ID {
				r.URL.Path = path + other.ID
			}
		}, want: desk.ErrContentBroken},
		{name: "content cut short", modify: func(resp *http.Response) error {
			if resp.Request.URL.Path != path+files[first].ID {
				return nil
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			b = b[:len(b)-100]
			resp.Body = io.NopCloser(bytes.NewReader(b))
			resp.ContentLength = int64(len(b))
			resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
			return nil
		}, want: errors.New("any")},
		{name: "a manifest whose digest differs", file: func(f desk.File) desk.File { f.Manifest.SHA256 = strings.Repeat("0", 64); return f }, want: desk.ErrContentMismatch},
		{name: "a manifest longer than the content", file: func(f desk.File) desk.File { f.Manifest.Size += 10; return f }, want: desk.ErrContentMismatch},
		{name: "a manifest not opened", file: func(f desk.File) desk.File { f.Problem = desk.Foreign; return f }, want: desk.ErrContentClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := e.hostile(tc.rewrite, tc.modify)
			d := e.desk(h.url, "omar", omar)
			f := files[first]
			if tc.file != nil {
				f = tc.file(f)
			}
			var got []byte
			r, err := d.OpenContent(ctx, ref, f, nil)
			if err == nil {
				got, err = io.ReadAll(r)
				r.Close()
			}
			switch {
			case tc.want == nil && (err != nil || string(got) != texts[0]):
				t.Fatalf("%d bytes, %v", len(got), err)
			case tc.want != nil && err == nil:
				t.Fatalf("given %d bytes as complete", len(got))
			case tc.want != nil && tc.want.Error() != "any" && !errors.Is(err, tc.want):
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

// slices0 is the index of the file whose manifest says it is text's size.
func slices0(files []desk.File, text string) int {
	for i, f := range files {
		if f.Manifest.Size == int64(len(text)) {
			return i
		}
	}
	return -1
}
