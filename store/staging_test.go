package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/store"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

func newReport(key []byte, ref string) (store.NewReport, []store.NewAlert) {
	return store.NewReport{Reference: ref, ReceiptHash: bytes.Repeat([]byte(ref[:1]), 32), ReplyRecipient: "age1x",
			Teams: []string{"t"}, ReceivedOn: time.Now(), SizeBucket: 1, Channel: "public", Ciphertext: []byte("c"), SubmissionKey: key},
		[]store.NewAlert{{Team: "t"}}
}

// TestSubmissionClaims: of 20 requests that claim one form's key at once,
// exactly one gets it (one statement decides); while it is live, a
// report with the key is refused at once with ErrInFlight, not stored and
// not waited for; its holder stores the report with its staged file in
// one transaction, and a claim after that names the stored report.
func TestSubmissionClaims(t *testing.T) {
	t.Parallel()
	db := storetest.NewDB(t)
	ctx := context.Background()
	key := sha256.Sum256([]byte("form"))

	var wg sync.WaitGroup
	var mu sync.Mutex
	var won []string
	inFlight := 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := db.ClaimSubmission(ctx, key[:], time.Minute)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, c)
			case errors.Is(err, store.ErrInFlight):
				inFlight++
			default:
				t.Errorf("ClaimSubmission: %v", err)
			}
		}()
	}
	wg.Wait()
	if len(won) != 1 || inFlight != 19 {
		t.Fatalf("%d claims won, %d in flight; want 1 and 19", len(won), inFlight)
	}

	r, alerts := newReport(key[:], "AAAA-AAAA")
	start := time.Now()
	if _, err := db.InsertReport(ctx, r, alerts); !errors.Is(err, store.ErrInFlight) {
		t.Fatalf("InsertReport while the form is claimed: %v, want ErrInFlight", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("refused after %v: it waited", d)
	}

	id, err := db.StageAttachment(ctx, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	w := db.NewChunkWriter(ctx, id)
	w.Write([]byte("ciphertext"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r.Reference = "BBBB-BBBB"
	rid, err := db.InsertReportWithFiles(ctx, r, alerts, []store.StagedFile{{ID: id, SizeBucket: 10, Manifest: []byte("m")}}, won[0])
	if err != nil {
		t.Fatal(err)
	}
	var count int
	var claims int
	db.Pool().QueryRow(ctx, `SELECT attachment_count, (SELECT count(*) FROM submission_claims) FROM reports WHERE id = $1`, rid).Scan(&count, &claims)
	if count != 1 || claims != 0 {
		t.Errorf("attachment_count %d, %d claims left; want 1 and 0", count, claims)
	}
	var dup *store.AlreadyStoredError
	if _, err := db.ClaimSubmission(ctx, key[:], time.Minute); !errors.As(err, &dup) || dup.Reference != "BBBB-BBBB" {
		t.Errorf("claim after the report was stored: %v, want the stored report", err)
	}
}

// TestSweepRemovesWhatAVanishedRequestStaged: a staged file and a claim
// whose request is gone (a crash: no one renews or deletes them) are
// removed by the sweep once their lease is over, chunks included, and
// the form can then be sent again; a renewed lease keeps them.
func TestSweepRemovesWhatAVanishedRequestStaged(t *testing.T) {
	t.Parallel()
	db := storetest.NewDB(t)
	ctx := context.Background()
	key := sha256.Sum256([]byte("form"))
	claim, err := db.ClaimSubmission(ctx, key[:], 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	gone, _ := db.StageAttachment(ctx, 200*time.Millisecond)
	kept, _ := db.StageAttachment(ctx, 200*time.Millisecond)
	for _, id := range []string{gone, kept} {
		w := db.NewChunkWriter(ctx, id)
		w.Write([]byte("ciphertext"))
		w.Close()
	}
	if err := db.RenewStaged(ctx, []string{kept}, nil, "", time.Minute); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the lease runs out
	if _, err := db.DeleteAbandonedAttachments(ctx); err != nil {
		t.Fatal(err)
	}
	var rows, chunks, claims int
	db.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM attachments WHERE id = $1), (SELECT count(*) FROM attachment_chunks WHERE attachment_id = $1),
		(SELECT count(*) FROM submission_claims)`, gone).Scan(&rows, &chunks, &claims)
	if rows != 0 || chunks != 0 || claims != 0 {
		t.Errorf("after the sweep: %d rows, %d chunks, %d claims of the vanished request; want none", rows, chunks, claims)
	}
	db.Pool().QueryRow(ctx, `SELECT count(*) FROM attachments WHERE id = $1`, kept).Scan(&rows)
	if rows != 1 {
		t.Error("the sweep removed a staged file whose lease was renewed")
	}
	if _, err := db.ClaimSubmission(ctx, key[:], time.Minute); err != nil {
		t.Errorf("the form cannot be claimed again after its claim %s expired: %v", claim, err)
	}
}
