package roster_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"filippo.io/age"

	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/roster"
)

// FuzzSigned feeds signed-roster JSON (roster.Signed) as the server reads
// it at POST /api/v1/handler/rosters (intake.DecodeStrict) and as clients
// read it from the server (encoding/json, unknown fields refused), then
// Verify with two trusted keys. Never a panic; what verifies is a roster
// that passes Check, whose text is exactly the signed text, that stops
// verifying when the text changes by one byte or when the trusted keys'
// signatures are removed, and still verifies with only those.
func FuzzSigned(f *testing.F) {
	a, b := mustKey(f), mustKey(f)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		f.Fatal(err)
	}
	r := roster.Roster{Team: "reprisals-team", Version: 3, Entries: []roster.Entry{{Recipient: id.Recipient().String(), Label: "amal"}}}
	one, err := roster.Sign(r, a)
	if err != nil {
		f.Fatal(err)
	}
	two, _ := one.AddSignature(b)
	other, _ := roster.Sign(r, mustKey(f))
	for _, s := range []roster.Signed{one, two, other, {Roster: one.Roster}} {
		j, _ := json.Marshal(s)
		f.Add(j)
	}
	for _, s := range []string{
		`{}`, `null`, `{"roster":"","signatures":null}`, `{"roster":1}`,
		`{"roster":"x","signatures":[{"key":"","signature":""}]}`,
		`{"roster":"x","signatures":[{"key":"x","signature":"!!"}]}`,
		`{"roster":"x","Roster":"y","signatures":[]}`, `{"roster":"x","signatures":[],"extra":1}`,
	} {
		f.Add([]byte(s))
	}
	keys := []roster.PublicKey{a.Public(), b.Public()}
	f.Fuzz(func(t *testing.T, in []byte) {
		var server roster.Signed
		serverErr := intake.DecodeStrict(bytes.NewReader(in), &server)
		if serverErr != nil {
			var de *intake.DecodeError
			if !errors.As(serverErr, &de) && !isJSONError(serverErr) {
				t.Fatalf("server decode: error of type %T: %v", serverErr, serverErr)
			}
		}
		var client roster.Signed
		dec := json.NewDecoder(bytes.NewReader(in))
		dec.DisallowUnknownFields()
		clientErr := dec.Decode(&client)
		for _, s := range []struct {
			s   roster.Signed
			err error
		}{{server, serverErr}, {client, clientErr}} {
			if s.err != nil {
				continue
			}
			for threshold := 1; threshold <= 2; threshold++ {
				checkVerify(t, s.s, keys, threshold)
			}
		}
	})
}

func isJSONError(err error) bool {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	return errors.As(err, &se) || errors.As(err, &te)
}

func checkVerify(t *testing.T, s roster.Signed, keys []roster.PublicKey, threshold int) {
	got, err := roster.Verify(s, keys, threshold)
	if err != nil {
		if !errors.Is(err, roster.ErrUnsigned) && !errors.Is(err, roster.ErrInvalid) {
			t.Fatalf("Verify: error %v is neither ErrUnsigned nor ErrInvalid", err)
		}
		return
	}
	if string(got.Marshal()) != s.Roster || got.Check() != nil {
		t.Fatalf("verified a roster that is not the signed text or fails Check")
	}
	changed := s
	changed.Roster += "\n"
	if _, err := roster.Verify(changed, keys, threshold); err == nil {
		t.Fatalf("verified after the text changed")
	}
	var trusted, untrusted []roster.Signature
	for _, sig := range s.Signatures {
		pk, err := roster.ParsePublicKey(sig.Key)
		if err == nil && (pk.Equal(keys[0]) || pk.Equal(keys[1])) {
			trusted = append(trusted, sig)
		} else {
			untrusted = append(untrusted, sig)
		}
	}
	if _, err := roster.Verify(roster.Signed{Roster: s.Roster, Signatures: trusted}, keys, threshold); err != nil {
		t.Fatalf("does not verify with only the trusted keys' signatures: %v", err)
	}
	if _, err := roster.Verify(roster.Signed{Roster: s.Roster, Signatures: untrusted}, keys, threshold); err == nil {
		t.Fatalf("verifies without any trusted key's signature")
	}
}

func mustKey(t testing.TB) roster.PrivateKey {
	k, err := roster.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}
