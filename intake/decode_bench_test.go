package intake_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// BenchmarkDecodeJSON measures decoding a typical report: "strict" is
// intake.DecodeJSON (the UTF-8, escape and duplicate-key checks, then the
// decode); "plain" is encoding/json alone, for the cost of the checks.
func BenchmarkDecodeJSON(b *testing.B) {
	body, _ := json.Marshal(intaketest.Report("upr"))
	b.Run("strict", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := intake.DecodeJSON(bytes.NewReader(body)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("plain", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			var r intake.Report
			if err := dec.Decode(&r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
