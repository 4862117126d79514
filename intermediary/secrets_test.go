package intermediary

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestTOTPVectors uses the SHA-1 test vectors of RFC 6238 (their last six
// digits).
func TestTOTPVectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	for ts, want := range map[int64]string{59: "287082", 1111111109: "081804", 1234567890: "005924", 2000000000: "279037"} {
		if got := totpCode(secret, uint64(ts)/totpStep); got != want {
			t.Errorf("T=%d: %s, want %s", ts, got, want)
		}
	}
	now := time.Unix(1234567890, 0)
	code := totpCode(secret, uint64(now.Unix())/totpStep)
	for _, tt := range []struct {
		code string
		at   time.Time
		ok   bool
	}{
		{code, now, true},
		{code, now.Add(30 * time.Second), true},  // one step of drift
		{code, now.Add(-30 * time.Second), true}, // the other way
		{code, now.Add(90 * time.Second), false},
		{"000000", now, false},
		{"12345", now, false},
	} {
		if got := matchTOTP(secret, tt.code, tt.at) != 0; got != tt.ok {
			t.Errorf("code %s at %v: %v, want %v", tt.code, tt.at.Sub(now), got, tt.ok)
		}
	}
}

func TestPasswordsAndSealing(t *testing.T) {
	ctx := context.Background()
	salt := newSalt()
	h, err := hashPassword(ctx, "correct horse", salt)
	if err != nil {
		t.Fatal(err)
	}
	check := func(p string, salt []byte) bool {
		ok, err := checkPassword(ctx, hashSem, p, salt, h)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !check("correct horse", salt) || check("correct hors", salt) || check("correct horse", newSalt()) {
		t.Error("password check is wrong")
	}
	if p := newPassword(); len(p) != 23 || p == newPassword() {
		t.Errorf("generated password %q", p)
	}
	key := make([]byte, 32)
	sealed := sealSecret(key, []byte("secret"))
	if got, err := openSecret(key, sealed); err != nil || string(got) != "secret" {
		t.Errorf("open: %q %v", got, err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := openSecret(key, sealed); err == nil {
		t.Error("a tampered sealed secret opened")
	}
}

// TestHashQueueDropsGoneClients fills every hash slot, then asks for a hash
// with a context that ends while it waits: it must give up with the
// context's error instead of hashing once a slot frees.
func TestHashQueueDropsGoneClients(t *testing.T) {
	for range hashSlots {
		hashSem <- struct{}{}
	}
	released := false
	release := func() {
		if !released {
			released = true
			for range hashSlots {
				<-hashSem
			}
		}
	}
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := hashPassword(ctx, "password", newSalt())
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("a hash for a gone client: %v, want context.Canceled", err)
	}
	release()
	// A client that is gone before asking never gets a slot either.
	if _, err := hashPassword(ctx, "password", newSalt()); !errors.Is(err, context.Canceled) {
		t.Errorf("hash with an ended context: %v", err)
	}
	if _, err := hashPassword(context.Background(), "password", newSalt()); err != nil {
		t.Errorf("hash after the queue drained: %v", err)
	}
}

// TestHashQueueIsBounded: with every slot taken for longer than hashWait,
// a sign-in gets ErrBusy instead of waiting without end.
func TestHashQueueIsBounded(t *testing.T) {
	defer func(d time.Duration) { hashWait = d }(hashWait)
	hashWait = 50 * time.Millisecond
	for range hashSlots {
		hashSem <- struct{}{}
	}
	defer func() {
		for range hashSlots {
			<-hashSem
		}
	}()
	if _, err := hashPassword(context.Background(), "password", newSalt()); !errors.Is(err, ErrBusy) {
		t.Errorf("with every slot taken: %v, want ErrBusy", err)
	}
}

// TestLegacyHashesTakeTheirOwnSlot: with the legacy slot (unscreened
// Argon2id work: accounts without a quick check, and unknown names while
// one exists) held for longer than hashWait, a screened hash still runs at
// once, and only the legacy path is busy.
func TestLegacyHashesTakeTheirOwnSlot(t *testing.T) {
	defer func(d time.Duration) { hashWait = d }(hashWait)
	hashWait = 50 * time.Millisecond
	legacySem <- struct{}{}
	defer func() { <-legacySem }()
	salt := newSalt()
	h, err := hashPassword(context.Background(), "right", salt)
	if err != nil {
		t.Fatalf("a screened hash while the legacy slot is held: %v", err)
	}
	if ok, err := checkPassword(context.Background(), hashSem, "right", salt, h); !ok || err != nil {
		t.Errorf("a screened check while the legacy slot is held: %v %v", ok, err)
	}
	if _, err := checkPassword(context.Background(), legacySem, "wrong", salt, h); !errors.Is(err, ErrBusy) {
		t.Errorf("a legacy check while its slot is held: %v, want ErrBusy", err)
	}
}

// BenchmarkWrongPassword is the work a wrong password costs the server:
// before quick checks, one Argon2id hash (in a queue of hashSlots); now,
// one HMAC.
func BenchmarkWrongPassword(b *testing.B) {
	salt, key := newSalt(), make([]byte, 32)
	check := passwordCheck(key, newPassword(), salt)
	b.Run("argon2id", func(b *testing.B) {
		for b.Loop() {
			checkPassword(context.Background(), hashSem, "wrong-password", salt, check)
		}
	})
	b.Run("quick-check", func(b *testing.B) {
		for b.Loop() {
			if string(passwordCheck(key, "wrong-password", salt)) == string(check) {
				b.Fatal("a wrong password passed")
			}
		}
	})
}
