package server

import (
	"bytes"
	"errors"
	"mime/multipart"
	"testing"

	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// FuzzUploadHead feeds arbitrary multipart bodies to the start of the
// upload reader, which runs before any database work: it opens a case only
// for a genuine visit token, and otherwise fails with an error the funnel
// answers with a 4xx. Never a panic.
func FuzzUploadHead(f *testing.F) {
	teams := intaketest.NewTeams(f)
	svc := intake.NewService(nil, teams.Config, nil)
	s := &Server{svc: svc}
	const caseID = "0b7c6c9e-7a1f-4c1e-9d4e-3f1e2a9b8c7d"
	valid := svc.VisitToken(caseID)
	body := func(parts ...string) []byte {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		w.SetBoundary("BOUNDARY")
		for i := 0; i+1 < len(parts); i += 2 {
			w.WriteField(parts[i], parts[i+1])
		}
		w.Close()
		return b.Bytes()
	}
	f.Add(body("visit", valid))
	f.Add(body("visit", valid+"x"))
	f.Add(body("files", "x", "visit", valid))
	f.Add(body())
	f.Add([]byte("--BOUNDARY\r\nContent-Disposition: form-data; name=\"visit\"\r\n\r\n" + valid))
	f.Add([]byte("--BOUNDARY\r\n\r\n"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := s.uploadToken(multipart.NewReader(bytes.NewReader(b), "BOUNDARY"))
		if err == nil {
			if id != caseID {
				t.Fatalf("opened case %q", id)
			}
			return
		}
		var de *intake.DecodeError
		if !errors.As(err, &de) && !errors.Is(err, errVisitExpired) && !errors.Is(err, errUploadInterrupted) {
			t.Fatalf("error %T %v would not be a 4xx", err, err)
		}
		if p := classify(err); p.status < 400 || p.status >= 500 {
			t.Fatalf("status %d for %v", p.status, err)
		}
	})
}
