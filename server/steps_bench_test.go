package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// BenchmarkFormStep measures one step of the report form through the real
// HTTP handler: a full report (five people, three incidents, long texts)
// posted with Next, checked, and the next step rendered with every other
// answer carried in the page. No database work is involved until sending.
//
//	go test ./server -run '^$' -bench FormStep -benchtime 3s
func BenchmarkFormStep(b *testing.B) {
	e := newEnv(b)
	r := intaketest.Report("upr")
	for len(r.Victims) < 5 {
		r.Victims = append(r.Victims, intake.Victim{Name: "Person", Kind: "individual", Status: "detained", PlaceOfDetention: "Prison"})
	}
	for len(r.Incidents) < 3 {
		in := r.Incidents[0]
		in.Narrative = strings.Repeat("A long narrative, as people write them. ", 200)
		r.Incidents = append(r.Incidents, in)
	}
	v := formValues(r)
	v.Set("submission", e.submissionToken())
	v.Set("action", "next")
	v.Set("step", "2")
	body := v.Encode()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for b.Loop() {
		resp, _ := e.do("POST", "/report", "application/x-www-form-urlencoded", strings.NewReader(body))
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
