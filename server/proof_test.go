package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ohchr-reprisals/intake/intake/intaketest"
)

// TestProofOfReceipt: the confirmation offers a signed statement naming
// the reference, the day and the SHA-256 of the stored ciphertext; the
// /proof page accepts it as it is and refuses any change.
func TestProofOfReceipt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp, b := e.postForm(formValues(intaketest.Report("upr")))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	doc := parseHTML(t, b)
	ref := text(byID(doc, "reference"))
	proofNode := byID(doc, "proof")
	if proofNode == nil {
		t.Fatal("the confirmation offers no proof of receipt")
	}
	proof := text(proofNode)
	stored, err := e.db.ReportByReference(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(stored.Ciphertext)
	for _, want := range []string{"reference: " + ref, "received: " + stored.ReceivedOn.Format("2006-01-02"), "sha256: " + hex.EncodeToString(sum[:])} {
		if !strings.Contains(proof, want) {
			t.Errorf("the proof lacks %q:\n%s", want, proof)
		}
	}

	resp, b = e.postFormTo("/proof", url.Values{"proof": {proof}})
	doc = parseHTML(t, b)
	if resp.StatusCode != http.StatusOK || byID(doc, "proof-valid") == nil || !strings.Contains(text(byID(doc, "proof-valid")), ref) {
		t.Fatalf("a genuine proof is not accepted: %d", resp.StatusCode)
	}
	other := strings.Replace(proof, "received: ", "received: 1", 1)
	resp, b = e.postFormTo("/proof", url.Values{"proof": {strings.Replace(proof, ref, "ABCD-EFGH", 1)}})
	if resp.StatusCode != http.StatusUnprocessableEntity || byID(parseHTML(t, b), "proof-valid") != nil {
		t.Errorf("a proof with another reference: %d", resp.StatusCode)
	}
	if resp, _ := e.postFormTo("/proof", url.Values{"proof": {other}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a proof with another day: %d", resp.StatusCode)
	}
	// The page shows the key that checks proofs, and no proof is logged.
	_, b = e.do("GET", "/proof", "", nil)
	if key := byID(parseHTML(t, b), "proof-key"); key == nil || !strings.HasPrefix(text(key), "ed25519:") {
		t.Error("the proof page does not show the service's key")
	}
	if strings.Contains(e.logs.String(), ref) || strings.Contains(e.logs.String(), "/proof") {
		t.Error("the proof, its reference or the check was logged")
	}
}

// TestProofOfReceiptAPI: the API's 201 answer carries the same kind of
// proof, and /proof accepts it.
func TestProofOfReceiptAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp, b := e.postJSON(intaketest.Report("hrc_session"))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var acc struct {
		Reference string `json:"reference"`
		Proof     string `json:"proof_of_receipt"`
	}
	if err := json.Unmarshal(b, &acc); err != nil || !strings.Contains(acc.Proof, "reference: "+acc.Reference) {
		t.Fatalf("no proof of receipt in the API's answer (%v): %s", err, b)
	}
	if resp, _ := e.postFormTo("/proof", url.Values{"proof": {acc.Proof}}); resp.StatusCode != http.StatusOK {
		t.Errorf("the API's proof is refused: %d", resp.StatusCode)
	}
}
