package handlerapi

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"testing"
)

// ciphertextDocs are JSON documents carrying a ciphertext: base64 as
// encoding/json writes it, and what a hostile server may send instead.
func ciphertextDocs() []string {
	ct := make([]byte, 300)
	rand.Read(ct)
	b64 := base64.StdEncoding.EncodeToString(ct)
	return []string{
		`{"c":"` + b64 + `"}`,
		`{"c":""}`, `{"c":null}`, `{"c":"AA=="}`, `{"c":"AA"}`, `{"c":"AA="}`, `{"c":"A"}`,
		`{"c":"` + b64[:50] + `\u0041` + b64[51:] + `"}`, // an escape
		`{"c":"` + b64[:64] + `\n` + b64[64:] + `"}`,     // an escaped newline (base64 skips it)
		`{"c":"` + b64[:64] + `\r\n` + b64[64:] + `"}`,
		`{"c":"` + b64[:64] + "\n" + b64[64:] + `"}`, // a raw newline: not JSON
		`{"c":"` + b64[:10] + `é` + b64[11:] + `"}`, `{"c":"\xff\xfe"}`,
		`{"c":"AA-_"}`, `{"c":"AA/+"}`, `{"c":"AA AA"}`, `{"c":"AA\/AA"}`,
		`{"c":12}`, `{"c":true}`, `{"c":[1,2]}`, `{"c":{}}`, `{"c":"AA==" }`, `{"c":"AA==`,
	}
}

// sameAsJSON checks that a Ciphertext decodes doc as encoding/json
// decodes a []byte: both refuse it, or both give the same bytes (nil for
// null, empty for "").
func sameAsJSON(t *testing.T, doc string) {
	t.Helper()
	var want struct{ C []byte }
	var got struct{ C Ciphertext }
	wantErr := json.Unmarshal([]byte(doc), &want)
	err := json.Unmarshal([]byte(doc), &got)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%q: error %v, encoding/json's %v", doc, err, wantErr)
	}
	if err == nil && (!bytes.Equal(got.C, want.C) || (got.C == nil) != (want.C == nil)) {
		t.Fatalf("%q: %x (nil %v), encoding/json gives %x (nil %v)", doc, got.C, got.C == nil, want.C, want.C == nil)
	}
}

func TestCiphertextDecodesAsJSON(t *testing.T) {
	for _, doc := range ciphertextDocs() {
		sameAsJSON(t, doc)
	}
	// And it is written as a []byte is.
	ct := Ciphertext{1, 2, 3, 250}
	a, _ := json.Marshal(struct{ C Ciphertext }{ct})
	b, _ := json.Marshal(struct{ C []byte }{ct})
	if !bytes.Equal(a, b) {
		t.Errorf("written as %s, a []byte as %s", a, b)
	}
}

// FuzzCiphertext: whatever a server sends as a ciphertext, Ciphertext
// reads it as encoding/json reads a []byte.
func FuzzCiphertext(f *testing.F) {
	for _, doc := range ciphertextDocs() {
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		sameAsJSON(t, doc)
		sameAsJSON(t, `{"c":"`+doc+`"}`)
	})
}
