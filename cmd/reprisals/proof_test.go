package main_test

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/crypto"
)

// TestVerifyReceipt runs the built command: with the published key, and
// with the receipt key from the configuration, a genuine proof is valid
// and a changed one is refused.
func TestVerifyReceipt(t *testing.T) {
	dir := t.TempDir()
	keyFile := receiptKey(t, dir)
	b, _ := os.ReadFile(keyFile)
	rk, err := crypto.ParseReceiptKey(string(b))
	if err != nil {
		t.Fatal(err)
	}
	proof := crypto.SignProof(crypto.ProofKey(rk), crypto.Proof{Reference: "7KQ4-M2XD", Received: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC), SHA256: sha256.Sum256([]byte("c"))})
	good, bad := filepath.Join(dir, "proof.txt"), filepath.Join(dir, "changed.txt")
	os.WriteFile(good, []byte(proof), 0o600)
	os.WriteFile(bad, []byte(strings.Replace(proof, "2026-11-29", "2026-11-28", 1)), 0o600)

	env := cleanEnv("REPRISALS_RECEIPT_KEY_FILE=" + keyFile)
	pub, stderr, err := runBin(t, env, "verify-receipt", "-print-key")
	if err != nil || !strings.HasPrefix(pub, "ed25519:") {
		t.Fatalf("-print-key: %v %q\n%s", err, pub, stderr)
	}
	for _, args := range [][]string{{"-key", strings.TrimSpace(pub)}, {}} {
		e := env
		if len(args) > 0 {
			e = cleanEnv() // anyone, without the service's configuration
		}
		out, stderr, err := runBin(t, e, append(append([]string{"verify-receipt"}, args...), good)...)
		if err != nil || !strings.Contains(out, "valid: the service received the report 7KQ4-M2XD on 2026-11-29") {
			t.Errorf("verify-receipt %v on a genuine proof: %v\n%s%s", args, err, out, stderr)
		}
		if _, stderr, err := runBin(t, e, append(append([]string{"verify-receipt"}, args...), bad)...); err == nil || !strings.Contains(stderr, "not a valid proof") {
			t.Errorf("verify-receipt %v on a changed proof: %v\n%s", args, err, stderr)
		}
	}
}
