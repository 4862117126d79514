package server_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/intake"
)

// blockingReader gives one byte, then waits until released and fails, as
// a client that stops sending mid-file.
type blockingReader struct {
	sent    bool
	release chan struct{}
}

func (r *blockingReader) Read(p []byte) (int, error) {
	if !r.sent {
		r.sent = true
		p[0] = 'x'
		return 1, nil
	}
	<-r.release
	return 0, errors.New("client gone")
}

// TestUnfinishedAttachmentIsLeased: a follow-up upload (/attachments) in
// progress holds a short lease that its request renews, so what a crashed
// request leaves is swept within a lease (minutes), not after the 12-hour
// abandon time; while the request runs, the sweep leaves it alone.
func TestUnfinishedAttachmentIsLeased(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	svc := intake.NewService(e.db.DB, e.teams.Config, nil)
	acc, err := svc.Submit(ctx, intake.Submission{Report: intaketestReport("hrc_session"), Channel: intake.ChannelPublic})
	if err != nil {
		t.Fatal(err)
	}
	visit, _ := svc.CaseByID(ctx, acc.ID)
	const lease = 2 * time.Second
	r := &blockingReader{release: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := svc.Attach(ctx, visit, "photo.jpg", "image/jpeg", r,
			intake.AttachLimits{MaxFiles: 5, MaxFileBytes: 1 << 20, Lease: lease})
		done <- err
	}()
	var left time.Duration
	deadline := time.Now().Add(10 * time.Second)
	for {
		var secs float64
		err := e.db.Pool().QueryRow(ctx, `SELECT extract(epoch FROM expires_at - now()) FROM attachments WHERE NOT complete`).Scan(&secs)
		if err == nil {
			left = time.Duration(secs * float64(time.Second))
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the upload never started")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if left > lease+time.Second {
		t.Errorf("an unfinished upload is kept %v after a crash, want at most its lease (%v)", left.Round(time.Second), lease)
	}
	// Three leases later the upload still runs: renewed, the sweep keeps it.
	time.Sleep(3 * lease)
	if _, err := e.db.DeleteAbandonedAttachments(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	e.db.Pool().QueryRow(ctx, `SELECT count(*) FROM attachments WHERE NOT complete`).Scan(&n)
	if n != 1 {
		t.Errorf("the sweep removed an upload whose request still runs (%d left)", n)
	}
	close(r.release)
	if err := <-done; err == nil {
		t.Error("a cut-off upload was stored")
	}
	e.db.Pool().QueryRow(ctx, `SELECT count(*) FROM attachments`).Scan(&n)
	if n != 0 {
		t.Errorf("a cut-off upload left %d rows", n)
	}
}
