package server_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

// TestCanary plants a unique string in every text field of reports sent
// through the API and the form (accepted, refused as invalid, and refused
// with the database down), then looks for it in a full pg_dump, in
// everything the server logged, and in every file under the temporary
// directory (which holds the test PostgreSQL's data files and WAL). The
// stored ciphertext must still decrypt to it.
func TestCanary(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	canary := "CANARY" + strings.ToUpper(hex.EncodeToString(randBytes(12)))
	r := intaketest.Report("upr")
	r.Victims = append(r.Victims, r.Victims[0])
	r.Incidents = append(r.Incidents, r.Incidents[0])
	r.Cooperation.BodyOther = "x"
	r.Consent.GivenByOther = "x"
	planted := intaketest.PlantCanary(r, canary)
	if planted < 40 {
		t.Fatalf("planted the canary in only %d fields", planted)
	}

	if resp, b := e.postJSON(r); resp.StatusCode != http.StatusCreated {
		t.Fatalf("API: status %d: %s", resp.StatusCode, b)
	}
	if resp, b := e.postForm(formValues(r)); resp.StatusCode != http.StatusOK {
		t.Fatalf("form: status %d: %s", resp.StatusCode, b)
	}
	bad := *r
	bad.Language = ""
	if resp, _ := e.postJSON(&bad); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid API report: status %d", resp.StatusCode)
	}
	if resp, _ := e.postForm(formValues(&bad)); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid form report: status %d", resp.StatusCode)
	}
	e.db.SetReachable(t, false)
	if resp, _ := e.postJSON(r); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("API with database down: status %d", resp.StatusCode)
	}
	if resp, _ := e.postForm(formValues(r)); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("form with database down: status %d", resp.StatusCode)
	}
	e.db.SetReachable(t, true)

	// Forms in which the canary might hide: as is, lower case, and as the
	// hex that pg_dump prints for bytea.
	needles := [][]byte{[]byte(canary), []byte(strings.ToLower(canary)), []byte(hex.EncodeToString([]byte(canary)))}
	check := func(where string, data []byte) {
		for _, n := range needles {
			if bytes.Contains(data, n) {
				t.Errorf("the canary appears in %s", where)
			}
		}
	}

	dump := e.db.Dump(t)
	if !bytes.Contains(dump, []byte("COPY public.reports")) {
		t.Fatalf("pg_dump output has no reports table data:\n%.500s", dump)
	}
	check("the pg_dump", dump)
	// The State concerned is a code, not free text: no JSON of the report
	// (which would name the field) may be in clear either.
	if bytes.Contains(dump, []byte("state_concerned")) || strings.Contains(e.logs.String(), "state_concerned") {
		t.Error("report JSON (its state_concerned field) appears in the pg_dump or the logs")
	}

	logs := e.logs.String()
	if !strings.Contains(logs, `"route":"/api/v1/reports"`) || !strings.Contains(logs, `"status":503`) {
		t.Fatalf("the server logged nothing useful, so the log check proves nothing:\n%s", logs)
	}
	check("the server's logs", []byte(logs))

	scanned := 0
	filepath.WalkDir(os.TempDir(), func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil || info.Size() > 256<<20 {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		scanned++
		check(path, data)
		return nil
	})
	if dir := storetest.DataDir(); dir != "" && scanned < 100 {
		t.Errorf("scanned only %d files under %s; the PostgreSQL data directory %s should be among them", scanned, os.TempDir(), dir)
	}

	// The ciphertext holds the canary in every planted field.
	rows, err := e.db.Pool().Query(t.Context(), "SELECT ciphertext FROM reports")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	stored := 0
	for rows.Next() {
		var ct []byte
		if err := rows.Scan(&ct); err != nil {
			t.Fatal(err)
		}
		plain, err := crypto.Open(ct, e.teams.Reprisals)
		if err != nil {
			t.Fatal(err)
		}
		if got := bytes.Count(plain, []byte(canary)); got != planted {
			t.Errorf("decrypted report holds the canary %d times, want %d", got, planted)
		}
		stored++
	}
	if stored != 2 {
		t.Errorf("%d reports stored, want 2", stored)
	}
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
