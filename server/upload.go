package server

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/intake"
)

// UploadLimits bound uploads of attachments. Zero fields take the
// configuration's defaults (config.Default; the figures below are those).
type UploadLimits struct {
	// MaxConcurrent is how many uploads may run at once, across all
	// clients (default 32). One more is refused with 503 and Retry-After.
	MaxConcurrent int
	// MinRate, in bytes per second, is the slowest an upload may be,
	// averaged over each Window (default 1 KiB/s). An upload that sends
	// less, or nothing at all for a whole Window, is stopped.
	MinRate int64
	// Window is the period over which MinRate is measured (default 2
	// minutes).
	Window time.Duration
	// MaxDuration is the longest one upload request may take (default 6
	// hours): evidence such as phone video can take hours over Tor.
	MaxDuration time.Duration
}

// maxFilesPerRequest bounds the files of one upload request.
const maxFilesPerRequest = 4

// maxTokenPart bounds the visit token part of an upload.
const maxTokenPart = 1024

// uploadBodyLimit is the largest upload request.
func (s *Server) uploadBodyLimit() int64 {
	return s.opts.Attach.MaxFileBytes*maxFilesPerRequest + 1<<20
}

// Upload failures the reporter can act on.
var (
	// errUploadInterrupted is an upload whose body ended or broke before
	// it was complete (routine over Tor).
	errUploadInterrupted = errors.New("upload interrupted")
	// errUploadTooSlow is an upload slower than UploadLimits.MinRate.
	errUploadTooSlow = errors.New("upload too slow")
	// errUploadStopped is an upload ended by a shutdown.
	errUploadStopped = errors.New("upload stopped by a shutdown")
	// errUploadsBusy is an upload refused because UploadLimits.MaxConcurrent
	// uploads are running.
	errUploadsBusy = errors.New("too many uploads at once")
	// errBadFileName is a file whose name or type holds a NUL character or
	// bytes that are not UTF-8.
	errBadFileName = errors.New("file name or type that cannot be stored")
)

// fileError is a failure while storing one file. Its Error text, which
// may be logged, leaves out the file's name: the name, which can say a
// lot about the reporter, is shown only to the reporter who sent it.
type fileError struct {
	name string
	err  error
}

func (e *fileError) Error() string { return "storing an attachment: " + e.err.Error() }
func (e *fileError) Unwrap() error { return e.err }

// fileNameIn returns the clipped name of the file an error is about, or "".
func fileNameIn(err error) string {
	var fe *fileError
	if errors.As(err, &fe) {
		return clipName(fe.name)
	}
	return ""
}

// upload is POST /attachments (the web form) and POST /api/v1/attachments.
// It reads the multipart stream itself, part by part, and never calls
// ParseMultipartForm or FormFile, which would buffer files in memory or in
// plaintext temporary files. The first part must be the visit token (from
// the confirmation page, a return visit, or the API's upload_token); it is
// read under the server's normal read timeout. Only an upload with a valid
// token gets a slot (UploadLimits.MaxConcurrent) and the long deadline,
// and then must keep up UploadLimits.MinRate. Every "files" part after the
// token is encrypted and stored as it arrives; a file that does not arrive
// whole is deleted at once.
func (s *Server) upload(c echo.Context) error {
	api := strings.HasPrefix(c.Request().URL.Path, "/api/")
	req := c.Request()
	mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return errUnsupportedMedia
	}
	g := &uploadGuard{body: req.Body, rc: http.NewResponseController(c.Response().Writer), lim: s.uploadLimits}
	req.Body = g
	mr, err := req.MultipartReader()
	if err != nil {
		return &intake.DecodeError{Message: "The upload could not be read."}
	}
	id, err := s.uploadToken(mr)
	if err != nil {
		return g.explain(err, nil)
	}
	// A return visit's form carries the replies it showed, sealed, next.
	first, _, err := repliesPart(mr)
	if errors.Is(err, io.EOF) {
		return &intake.DecodeError{Message: "Choose at least one file to attach."}
	}
	if err != nil {
		return g.explain(err, err)
	}
	select {
	case s.uploadSlots <- struct{}{}:
		defer func() { <-s.uploadSlots }()
	default:
		return errUploadsBusy
	}
	end := g.start(s.opts.EndUploads)
	defer end()
	ctx := req.Context()
	rcase, err := s.svc.CaseByID(ctx, id)
	if err != nil {
		return err
	}

	added, err := s.receiveFiles(g, mr, first, func(name, contentType string, r io.Reader) (envelope.Manifest, error) {
		return s.svc.Attach(ctx, rcase, name, contentType, r, s.opts.Attach)
	})
	if len(added) > 0 {
		markStored(c)
	}
	if err != nil {
		return err
	}
	if len(added) == 0 {
		return &intake.DecodeError{Message: "Choose at least one file to attach."}
	}
	if api {
		out := []map[string]any{}
		for _, m := range added {
			out = append(out, map[string]any{"name": m.Name, "size": m.Size})
		}
		return c.JSON(http.StatusCreated, map[string]any{"attachments": out})
	}
	// Added once: the answer is a redirect to the case page (which needs
	// the visit cookie), so a reload sends no file again. The files'
	// names stay out of the address, which browsers keep in history.
	return c.Redirect(http.StatusSeeOther, "/return/case?lang="+s.base(c, "").Lang+"&attached=1#attached")
}

// receiveFiles stores each "files" part of mr (starting with first, if
// not nil) with attach, as it streams in, and returns what was stored. It
// stops at the first failure, explained by g. Other parts are skipped.
func (s *Server) receiveFiles(g *uploadGuard, mr *multipart.Reader, first *multipart.Part, attach intake.FileSink) ([]envelope.Manifest, error) {
	var added []envelope.Manifest
	for files := 0; ; {
		part, err := first, error(nil)
		if part == nil {
			part, err = mr.NextPart()
		}
		first = nil
		if errors.Is(err, io.EOF) {
			return added, nil
		}
		if err != nil {
			return added, g.explain(err, err)
		}
		if part.FormName() != "files" || part.FileName() == "" {
			// An empty file input, or another field.
			if _, err := io.Copy(io.Discard, io.LimitReader(part, 1<<20)); err != nil {
				return added, g.explain(err, err)
			}
			continue
		}
		if !cleanText(part.FileName()) || !cleanText(part.Header.Get("Content-Type")) {
			// Refused, never silently changed.
			return added, &fileError{part.FileName(), errBadFileName}
		}
		if files++; files > maxFilesPerRequest {
			return added, &fileError{part.FileName(), fmt.Errorf("%w: at most %d files at a time", intake.ErrTooManyFiles, maxFilesPerRequest)}
		}
		src := &partReader{r: part}
		m, err := attach(part.FileName(), part.Header.Get("Content-Type"), src)
		if err != nil {
			return added, g.explain(&fileError{part.FileName(), err}, src.err)
		}
		added = append(added, m)
	}
}

// repliesPart reads the part after the visit token: the sealed replies of
// a return visit's page (returned as box), or else the first file part,
// returned unread; io.EOF if the upload ends there.
func repliesPart(mr *multipart.Reader) (first *multipart.Part, box string, err error) {
	part, err := mr.NextPart()
	if err != nil {
		return nil, "", err
	}
	if part.FormName() != "replies" {
		return part, "", nil
	}
	b, err := io.ReadAll(io.LimitReader(part, intake.MaxVisitBox))
	return nil, string(b), err
}

// uploadToken reads the first part of an upload, which must be the visit
// token, and returns the case it opens.
func (s *Server) uploadToken(mr *multipart.Reader) (string, error) {
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "visit" {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return "", err
		}
		return "", &intake.DecodeError{Message: "The upload must start with the visit token (the \"visit\" field), before any file."}
	}
	tok, err := io.ReadAll(io.LimitReader(part, maxTokenPart))
	if err != nil {
		return "", fmt.Errorf("%w: %w", errUploadInterrupted, err)
	}
	id, err := s.svc.OpenVisitToken(string(tok))
	if err != nil {
		return "", errVisitExpired
	}
	return id, nil
}

// clipName makes a client's file name fit to be shown back to them: UTF-8
// text without NUL, at most 80 characters.
func clipName(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
	if r := []rune(s); len(r) > 80 {
		return string(r[:80]) + "..."
	}
	return s
}

// errVisitExpired is a visit token that is forged or older than 30 minutes.
var errVisitExpired = errors.New("visit expired")

// uploadGuard wraps an upload's body. Until start, it only notes read
// failures (the server's normal read timeout applies). After start, each
// read must come within one Window of the last, the bytes of each Window
// must reach MinRate, and the whole upload must end within MaxDuration;
// closing the end channel stops the upload at once.
type uploadGuard struct {
	body io.ReadCloser
	rc   *http.ResponseController
	lim  UploadLimits

	mu      sync.Mutex
	started bool
	failure error // why the upload failed, once it has
	until   time.Time
	window  time.Time // start of the current window
	got     int64     // bytes in the current window
}

// start gives the upload its long deadline and watches end. The returned
// function releases the watch.
func (g *uploadGuard) start(end <-chan struct{}) func() {
	g.mu.Lock()
	now := time.Now()
	g.started, g.until, g.window = true, now.Add(g.lim.MaxDuration), now
	g.rc.SetWriteDeadline(g.until)
	g.mu.Unlock()
	done := make(chan struct{})
	go func() {
		select {
		case <-end:
			g.stop(errUploadStopped)
		case <-done:
		}
	}()
	return func() { close(done) }
}

// stop ends the upload: a read under way fails at once.
func (g *uploadGuard) stop(why error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failure == nil {
		g.failure = why
	}
	g.rc.SetReadDeadline(time.Now())
}

func (g *uploadGuard) Read(p []byte) (int, error) {
	g.mu.Lock()
	if g.failure != nil {
		err := g.failure
		g.mu.Unlock()
		return 0, err
	}
	if g.started {
		now := time.Now()
		if el := now.Sub(g.window); el >= g.lim.Window {
			if g.got < int64(float64(g.lim.MinRate)*el.Seconds()) {
				g.failure = errUploadTooSlow
				g.mu.Unlock()
				return 0, errUploadTooSlow
			}
			g.window, g.got = now, 0
		}
		// Nothing at all for a whole window is too slow too.
		d := now.Add(g.lim.Window)
		if d.After(g.until) {
			d = g.until
		}
		g.rc.SetReadDeadline(d)
	}
	g.mu.Unlock()

	n, err := g.body.Read(p)

	g.mu.Lock()
	defer g.mu.Unlock()
	g.got += int64(n)
	if err != nil && !errors.Is(err, io.EOF) && g.failure == nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
		case g.started && isTimeout(err):
			g.failure = errUploadTooSlow
		default:
			g.failure = errUploadInterrupted
		}
	}
	if g.failure != nil {
		return n, g.failure
	}
	return n, err
}

func (g *uploadGuard) Close() error { return g.body.Close() }

// explain turns an error met while handling an upload into the reason the
// reporter is given. readErr is the error, if any, met reading the
// request: a failed or truncated read of the body wins over what it
// caused (such as a storage error), and makes the upload "interrupted"
// unless the guard knows better (too slow, stopped). Other errors are
// returned as they are.
func (g *uploadGuard) explain(err, readErr error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	g.mu.Lock()
	why := g.failure
	g.mu.Unlock()
	if why == nil && readErr != nil && !errors.Is(readErr, io.EOF) {
		why = errUploadInterrupted
	}
	if why == nil {
		return err
	}
	if name := fileNameIn(err); name != "" {
		return &fileError{name, why}
	}
	return why
}

// partReader remembers the error that reading one part ended with, so a
// failure to read the request is told apart from a failure to store it.
type partReader struct {
	r   io.Reader
	err error
}

func (p *partReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if err != nil && p.err == nil {
		p.err = err
	}
	return n, err
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}
