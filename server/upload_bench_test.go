package server_test

import (
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"
)

// patternReader yields n bytes of a pattern without holding them.
type patternReader struct{ n int64 }

func (r *patternReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), r.n)
	for i := range p[:k] {
		p[i] = byte(i)
	}
	r.n -= k
	return int(k), nil
}

// peakHeap samples the Go heap in use until stop is called, and returns
// the highest value seen.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// peakRSS is the test process's peak resident memory (VmHWM): client,
// server and everything else in this process since it started.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return -1
}

// BenchmarkUpload streams a 1 GiB attachment through the real upload
// route (multipart reading, age encryption, padding, chunked storage in
// PostgreSQL) and reports the throughput and the process's peak heap,
// beside raw age encryption of the same bytes to nowhere, in one run.
// The target is a peak under 64 MiB.
//
//	go test ./server -run '^$' -bench Upload -benchtime 1x
func BenchmarkUpload(b *testing.B) {
	const size = 1 << 30
	e := newEnv(b)
	_, token := e.uploadToken("hrc_session")

	b.Run("age-raw-1GiB", func(b *testing.B) {
		id, _ := age.GenerateX25519Identity()
		runtime.GC()
		stop := peakHeap()
		start := time.Now()
		for range b.N {
			w, _ := age.Encrypt(io.Discard, id.Recipient())
			io.Copy(w, &patternReader{n: size})
			w.Close()
		}
		elapsed := time.Since(start)
		peak := stop()
		b.ReportMetric(float64(size*int64(b.N))/elapsed.Seconds()/1e6, "MB/s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	})

	b.Run("upload-1GiB", func(b *testing.B) {
		runtime.GC()
		stop := peakHeap()
		start := time.Now()
		for range b.N {
			pr, pw := io.Pipe()
			mw := multipart.NewWriter(pw)
			go func() {
				mw.WriteField("visit", token)
				p, _ := mw.CreateFormFile("files", "video.mp4")
				io.Copy(p, &patternReader{n: size})
				mw.Close()
				pw.Close()
			}()
			req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/attachments", pr)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 201 {
				b.Fatalf("upload: %d", resp.StatusCode)
			}
		}
		elapsed := time.Since(start)
		peak := stop()
		b.ReportMetric(float64(size*int64(b.N))/elapsed.Seconds()/1e6, "MB/s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(peakRSS())/(1<<20), "process-peak-RSS-MiB")
		if peak > 64<<20 {
			b.Logf("peak heap %d MiB is over the 64 MiB target", peak>>20)
		}
	})
}
