package junk_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ohchr-reprisals/intake/desk/junk"
)

// BenchmarkNearIdentical is the near-identical filter over 10,000 cases
// of about 150 words each (a tenth of them one flood of near-copies):
// sketching every narrative, then grouping, on one core.
//
//	go test ./desk/junk -run '^$' -bench NearIdentical -benchtime 5x
func BenchmarkNearIdentical(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	vocab := strings.Fields(template + " arrested detained lawyer journalist council session treaty body report visa travel ban " +
		"passport airport court charges prison family relatives threatened smear online campaign hacked phone")
	texts := make([]string, 10_000)
	for i := range texts {
		if i%10 == 0 {
			texts[i] = fmt.Sprintf("%s %s %d", template, template, i%7)
			continue
		}
		w := make([]string, 100+rng.IntN(100))
		for j := range w {
			w[j] = vocab[rng.IntN(len(vocab))]
		}
		texts[i] = strings.Join(w, " ")
	}
	bytes := 0
	for _, t := range texts {
		bytes += len(t)
	}
	b.Run("sketch", func(b *testing.B) {
		b.SetBytes(int64(bytes))
		for b.Loop() {
			for _, t := range texts {
				junk.Sketch(t)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/10k-cases")
	})
	sketches := make([]*junk.SketchOf, len(texts))
	for i, t := range texts {
		sketches[i] = junk.Sketch(t)
	}
	b.Run("group", func(b *testing.B) {
		for b.Loop() {
			junk.Groups(sketches)
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/10k-cases")
	})
}
