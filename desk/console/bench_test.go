package console_test

import (
	"context"
	"crypto/ecdh"
	crand "crypto/rand"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/desk/console"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/handlerapi"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// BenchmarkOpenInbox decrypts (real age, X25519) and indexes an inbox of
// 10,000 cases, each sealed as the server seals a report: padded, to the
// team's key and three handlers' keys, with this handler's stanza last.
//
// Its floors, measured alongside on every core: floor-one-unwrap-per-case
// is one age X25519 unwrap per case (two scalar multiplications: age
// derives its own public key again in each), floor-one-scalar-mult-per-case
// the one multiplication an unwrap cannot do without. paired runs the
// console and both floors in turn within each iteration and reports the
// console's time as a multiple of each (x-unwrap-floor, x-mult-floor): on
// a machine shared with other work, compare those ratios.
//
//	go test ./desk/console -run '^$' -bench 'OpenInbox/paired' -benchtime 3x -count 5
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
		env := envelope.Case{Version: 1, Kind: "report", Reference: ref, ReceivedAt: time.Now(), Channel: "public",
			Teams: []string{"reprisals-team"}, Report: *intaketest.Report("hrc_session")}
		plain, _ := env.Marshal()
		s, err := crypto.Seal(plain, recs)
		if err != nil {
			b.Fatal(err)
		}
		list[i] = console.Sealed{Meta: handlerapi.CaseMeta{Reference: ref, ReceivedOn: "2026-11-29", Status: "received"}, Ciphertext: s.Ciphertext}
	}
	// The floor, measured in the same run: one X25519 unwrap per case (the
	// handler's own stanza, found at once), on every core, and nothing
	// else: no header parsing, no payload, no JSON.
	stanzas := make([][]*age.Stanza, n)
	for i := range stanzas {
		fileKey := make([]byte, 16)
		crand.Read(fileKey)
		st, err := me.Recipient().Wrap(fileKey)
		if err != nil {
			b.Fatal(err)
		}
		stanzas[i] = st
	}
	// The true floor of the X25519 work: one scalar multiplication per
	// case with a key parsed once (age's Unwrap does two: it derives its
	// own public key again every time).
	priv, err := ecdh.X25519().NewPrivateKey(benchScalar(b, me))
	if err != nil {
		b.Fatal(err)
	}
	points := make([]*ecdh.PublicKey, n)
	for i, st := range stanzas {
		raw, err := base64.RawStdEncoding.DecodeString(st[0].Args[0])
		if err != nil {
			b.Fatal(err)
		}
		if points[i], err = ecdh.X25519().NewPublicKey(raw); err != nil {
			b.Fatal(err)
		}
	}
	ids := crypto.RememberStanza([]age.Identity{me})
	consolePath := func(b *testing.B) {
		cases := console.OpenCases(list, ids)
		if !cases[n-1].Readable() {
			b.Fatal(cases[n-1].Problem)
		}
	}
	onEveryCore := func(b *testing.B, one func(i int) error) {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for {
					i := int(next.Add(1) - 1)
					if i >= n {
						return
					}
					if err := one(i); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	floorUnwrap := func(b *testing.B) {
		onEveryCore(b, func(i int) error { _, err := me.Unwrap(stanzas[i]); return err })
	}
	floorMult := func(b *testing.B) {
		onEveryCore(b, func(i int) error { _, err := priv.ECDH(points[i]); return err })
	}
	for _, sub := range []struct {
		name string
		run  func(*testing.B)
	}{{"console", consolePath}, {"floor-one-unwrap-per-case", floorUnwrap}, {"floor-one-scalar-mult-per-case", floorMult}} {
		b.Run(sub.name, func(b *testing.B) {
			for b.Loop() {
				sub.run(b)
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/inbox")
		})
	}
	// paired runs the three one after the other in every iteration, so
	// that the load of a shared machine falls on all of them alike, and
	// reports the console's time as a multiple of each floor.
	b.Run("paired", func(b *testing.B) {
		var tc, tu, tm time.Duration
		timed := func(run func(*testing.B)) time.Duration { start := time.Now(); run(b); return time.Since(start) }
		for b.Loop() {
			tc += timed(consolePath)
			tu += timed(floorUnwrap)
			tm += timed(floorMult)
		}
		per := func(d time.Duration) float64 { return float64(d.Milliseconds()) / float64(b.N) }
		b.ReportMetric(per(tc), "console-ms")
		b.ReportMetric(per(tu), "unwrap-floor-ms")
		b.ReportMetric(per(tm), "mult-floor-ms")
		b.ReportMetric(float64(tc)/float64(tu), "x-unwrap-floor")
		b.ReportMetric(float64(tc)/float64(tm), "x-mult-floor")
	})
}

// benchScalar returns an identity's private scalar, from its encoding.
func benchScalar(b *testing.B, id *age.X25519Identity) []byte {
	s := strings.ToLower(id.String())
	const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	data := s[strings.LastIndexByte(s, '1')+1 : len(s)-6]
	var out []byte
	var acc uint32
	var bits uint
	for i := range len(data) {
		acc = acc<<5 | uint32(strings.IndexByte(charset, data[i]))
		if bits += 5; bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	if len(out) != 32 {
		b.Fatalf("a scalar of %d bytes", len(out))
	}
	return out
}

var benchCases = 10_000

func init() {
	if s := os.Getenv("CONSOLE_BENCH_CASES"); s != "" {
		benchCases, _ = strconv.Atoi(s)
	}
}

// processCPU is the CPU time this process has used (user and system, all
// threads): the console's and the in-process server's work, not
// PostgreSQL's. Unlike the wall-clock time, other processes on a shared
// machine change it little.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLoadInbox opens an inbox of benchCases cases (10,000 by
// default; CONSOLE_BENCH_CASES changes it) end to end: the console asks a
// real server (PostgreSQL, HTTP on loopback) for the team's cases with
// their ciphertexts, a page of 500 at a time, and decrypts them with real
// age on every core. Seeding goes through the intake service as the form
// does, so it takes a while before the timer starts. After each load, one
// age X25519 unwrap per case on every core (the floor of
// BenchmarkOpenInbox) is timed in the same iteration, and
// all-x-unwrap-floor is the end-to-end time as a multiple of it: on a
// shared machine, compare that ratio, and cpu-ms/all-decrypted, the CPU
// time this process (console and server) spent on a load.
//
//	go test ./desk/console -run '^$' -bench LoadInbox -benchtime 3x
func BenchmarkLoadInbox(b *testing.B) {
	e := newEnv(b)
	id := e.handler("omar", "reprisals-team")
	for range 2 { // colleagues: their stanzas come before or after this handler's
		e.handler(fmt.Sprintf("colleague%d", rand.IntN(1_000_000)), "reprisals-team")
	}
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				r := intaketest.Report("hrc_session")
				r.Victims[0].Name = fmt.Sprintf("Victim %d", i)
				if _, err := e.svc.Submit(context.Background(), intake.Submission{Report: r, Channel: intake.ChannelPublic}); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for i := range benchCases {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	// The floor, measured after each load in the same iteration (so a
	// shared machine's load falls on both alike): one age X25519 unwrap
	// per case, on every core, of stanzas made for this handler.
	stanzas := make([][]*age.Stanza, benchCases)
	for i := range stanzas {
		fileKey := make([]byte, 16)
		crand.Read(fileKey)
		st, err := id.Recipient().Wrap(fileKey)
		if err != nil {
			b.Fatal(err)
		}
		stanzas[i] = st
	}
	floor := func() {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for {
					i := int(next.Add(1) - 1)
					if i >= len(stanzas) {
						return
					}
					if _, err := id.Unwrap(stanzas[i]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	src := console.NewSource(e.login("omar", id), crypto.RememberStanza([]age.Identity{id}), e.pins())
	b.ResetTimer()
	var first, all, fl, cpu time.Duration
	for b.Loop() {
		start, cpu0 := time.Now(), processCPU(b)
		if err := src.Load(context.Background()); err != nil {
			b.Fatal(err)
		}
		first += time.Since(start)
		if err := src.WaitLoaded(context.Background()); err != nil {
			b.Fatal(err)
		}
		all += time.Since(start)
		cpu += processCPU(b) - cpu0
		start = time.Now()
		floor()
		fl += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(float64(first.Milliseconds())/float64(b.N), "ms/first-page")
	b.ReportMetric(float64(all.Milliseconds())/float64(b.N), "ms/all-decrypted")
	b.ReportMetric(float64(fl.Milliseconds())/float64(b.N), "ms/unwrap-floor")
	b.ReportMetric(float64(all)/float64(fl), "all-x-unwrap-floor")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/all-decrypted")
	if got := len(src.Snapshot()); got != benchCases {
		b.Fatalf("loaded %d cases, want %d", got, benchCases)
	}
	for _, c := range src.Snapshot() {
		if !c.Readable() {
			b.Fatal(c.Problem)
		}
	}
}
