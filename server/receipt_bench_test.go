package server_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

// BenchmarkWrongReceipts measures what a flood of wrong (well-formed)
// receipts costs the server: POST /return through the real handler and a
// durable PostgreSQL holding 1,000 reports, from parallel clients. There
// is no per-client limit to stop them (see SECURITY.md), so this rate is
// what the server absorbs while the right receipt still gets in.
//
//	go test ./server -run '^$' -bench WrongReceipts -benchtime 3s
func BenchmarkWrongReceipts(b *testing.B) {
	e := newEnvOn(b, storetest.NewDurableDB(b))
	for range 1000 {
		e.submitted("hrc_session")
	}
	body := url.Values{"receipt": {crypto.NewReceipt().String()}}.Encode()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := http.Post(e.srv.URL+"/return", "application/x-www-form-urlencoded", strings.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				b.Errorf("wrong receipt: %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "wrong/s")
}
