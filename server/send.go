package server

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/ohchr-reprisals/intake/intake"
)

// Bounds on the fields of a multipart report form (the last step, which
// can carry files). The fields come before the files in the form, so they
// are read in full before anything is stored.
const (
	maxFormFields = 4000
)

// fileStream is the rest of a multipart report form: its files, not yet
// read.
type fileStream struct {
	g     *uploadGuard // watches the body, as for uploads
	mr    *multipart.Reader
	first *multipart.Part // the first file part, already opened; nil if none
}

// reportRequest reads the report form into the request's PostForm. A
// urlencoded form is read whole (within the route's body limit); a
// multipart one is read up to its first file, and the files are returned
// unread, to be staged as they arrive once the report has been checked.
func (s *Server) reportRequest(c echo.Context) (*fileStream, error) {
	req := c.Request()
	mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return nil, formRequest(c)
	}
	// Until the report has been checked, the server's normal read timeout
	// applies; the guard only starts timing the files after that.
	g := &uploadGuard{body: req.Body, rc: http.NewResponseController(c.Response().Writer), lim: s.uploadLimits}
	req.Body = g
	mr, err := req.MultipartReader()
	if err != nil {
		return nil, &intake.DecodeError{Message: "The form could not be read. Please go back and send it again."}
	}
	form := url.Values{}
	budget := int64(MaxFormBody)
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			req.PostForm = form
			return &fileStream{g: g, mr: mr}, nil
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, err
			}
			return nil, &intake.DecodeError{Message: "The form could not be read. Please go back and send it again."}
		}
		if part.FileName() != "" || part.FormName() == "files" {
			req.PostForm = form
			return &fileStream{g: g, mr: mr, first: part}, nil
		}
		if n >= maxFormFields {
			return nil, &http.MaxBytesError{Limit: MaxFormBody}
		}
		b, err := io.ReadAll(io.LimitReader(part, budget+1))
		if err != nil {
			return nil, &intake.DecodeError{Message: "The form could not be read. Please go back and send it again."}
		}
		if budget -= int64(len(b)); budget < 0 {
			return nil, &http.MaxBytesError{Limit: MaxFormBody}
		}
		form.Add(part.FormName(), string(b))
	}
}

// limitReportBody bounds the report form's body: a urlencoded form by
// MaxFormBody, a multipart one (with files) by the upload limit.
func (s *Server) limitReportBody(next echo.HandlerFunc) echo.HandlerFunc {
	small, large := limitBody(MaxFormBody)(next), limitBody(s.uploadBodyLimit())(next)
	return func(c echo.Context) error {
		mt, _, _ := mime.ParseMediaType(c.Request().Header.Get("Content-Type"))
		if mt == "multipart/form-data" {
			return large(c)
		}
		return small(c)
	}
}

// filesWithReport returns how the files of a report form are received
// (nil if the form carries none), and a function to call once the report
// is stored or refused. It refuses with errUploadsBusy when every upload
// slot is taken. The files are staged as they arrive, without holding a
// database connection between chunks; the report and its files are
// committed together once the last byte has arrived, within the answer
// deadline.
func (s *Server) filesWithReport(c echo.Context, files *fileStream, got *[]string) (*intake.WithFiles, func(), error) {
	if files == nil || files.first == nil {
		return nil, func() {}, nil
	}
	select {
	case s.uploadSlots <- struct{}{}:
	default:
		return nil, nil, errUploadsBusy
	}
	done := func() { <-s.uploadSlots }
	return &intake.WithFiles{Limits: s.opts.Attach, Lease: s.opts.UploadLease, Send: func(sink intake.FileSink) error {
		end := files.g.start(s.opts.EndUploads)
		defer end()
		added, err := s.receiveFiles(files.g, files.mr, files.first, sink)
		if err != nil {
			return err
		}
		for _, m := range added {
			*got = append(*got, m.Name)
		}
		return nil
	}, Arrived: func() (context.Context, context.CancelFunc) { return s.answerContext(c) }}, done, nil
}

// drain reads the rest of a refused report form's body (within the
// route's limit and the guard's pace), so that the browser, still sending,
// receives the page that explains the refusal instead of a reset
// connection. A body that can no longer be read is left.
func (f *fileStream) drain() {
	if f == nil {
		return
	}
	f.g.mu.Lock()
	failed := f.g.failure != nil
	f.g.mu.Unlock()
	if !failed {
		io.Copy(io.Discard, f.g)
	}
}

// drainSome reads at most limit more bytes of a refused report form's
// body: enough for a browser that sent a small form to read the answer,
// without keeping a request alive for a large upload it will not use.
func (f *fileStream) drainSome(limit int64) {
	if f == nil {
		return
	}
	f.g.mu.Lock()
	failed := f.g.failure != nil
	f.g.mu.Unlock()
	if !failed {
		io.Copy(io.Discard, io.LimitReader(f.g, limit))
	}
}
