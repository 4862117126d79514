package console_test

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/casework/handlerapi"
	"github.com/ohchr-reprisals/intake/cmd/casectl/console"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// BenchmarkOpenInbox decrypts (real age, X25519) and indexes an inbox of
// 10,000 cases, each sealed as the server seals a report: padded, to the
// team's key and three handlers' keys, with this handler's stanza last.
//
//	go test ./cmd/casectl/console -run '^$' -bench OpenInbox -benchtime 3x
func BenchmarkOpenInbox(b *testing.B) {
	n := benchCases
	me, _ := age.GenerateX25519Identity()
	var recs []crypto.Recipient
	for range 3 {
		id, _ := age.GenerateX25519Identity()
		r, _ := crypto.ParseRecipient(id.Recipient().String())
		recs = append(recs, r)
	}
	mine, _ := crypto.ParseRecipient(me.Recipient().String())
	recs = append(recs, mine)
	list := make([]console.Sealed, n)
	for i := range list {
		ref := fmt.Sprintf("%04d-%s", 2000+i%8000, "ABCD")
		env := intake.Envelope{Version: 1, Kind: "report", Reference: ref, ReceivedAt: time.Now(), Channel: "public",
			Teams: []string{"reprisals-team"}, Report: *intaketest.Report("hrc_session")}
		plain, _ := env.Marshal()
		s, err := crypto.Seal(plain, recs)
		if err != nil {
			b.Fatal(err)
		}
		list[i] = console.Sealed{Meta: handlerapi.CaseMeta{Reference: ref, ReceivedOn: "2026-11-29", Status: "received"}, Ciphertext: s.Ciphertext}
	}
	b.ResetTimer()
	for b.Loop() {
		cases := console.OpenCases(list, []age.Identity{me})
		if !cases[n-1].Readable() {
			b.Fatal(cases[n-1].Problem)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/inbox")
}

var benchCases = 10_000

func init() {
	if s := os.Getenv("CONSOLE_BENCH_CASES"); s != "" {
		benchCases, _ = strconv.Atoi(s)
	}
}
