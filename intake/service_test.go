package intake_test

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/google/go-cmp/cmp"

	"github.com/ohchr-reprisals/intake/config"
	"github.com/ohchr-reprisals/intake/crypto"
	"github.com/ohchr-reprisals/intake/envelope"
	"github.com/ohchr-reprisals/intake/intake"
	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/store"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func TestRoute(t *testing.T) {
	t.Parallel()
	teams := []config.Team{
		{Name: "upr-secretariat", Receives: config.ReceivesUPR},
		{Name: "reprisals-team", Receives: config.ReceivesAll},
		{Name: "regional-desk", Receives: config.ReceivesAll},
	}
	names := func(ts []config.Team) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.Name)
		}
		return out
	}
	for body, want := range map[string][]string{
		"upr":                {"upr-secretariat", "reprisals-team", "regional-desk"},
		"hrc_session":        {"reprisals-team", "regional-desk"},
		"special_procedures": {"reprisals-team", "regional-desk"},
		"treaty_body":        {"reprisals-team", "regional-desk"},
		"other":              {"reprisals-team", "regional-desk"},
	} {
		if diff := cmp.Diff(want, names(intake.Route(intaketest.Report(body), teams))); diff != "" {
			t.Errorf("body %s (-want +got):\n%s", body, diff)
		}
	}
}

// storedRow reads back everything stored for a reference.
type storedRow struct {
	ReceiptHash    []byte
	ReplyRecipient string
	Teams          []string
	Status         string
	Urgency        *string
	ReceivedOn     time.Time
	SizeBucket     int
	Channel        string
	Ciphertext     []byte
}

func readRow(t *testing.T, db *storetest.DB, ref string) storedRow {
	t.Helper()
	var r storedRow
	err := db.Pool().QueryRow(context.Background(), `
		SELECT receipt_hash, reply_recipient, teams, status, urgency, received_on, size_bucket, channel, ciphertext
		FROM reports WHERE reference = $1`, ref).
		Scan(&r.ReceiptHash, &r.ReplyRecipient, &r.Teams, &r.Status, &r.Urgency, &r.ReceivedOn, &r.SizeBucket, &r.Channel, &r.Ciphertext)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func decrypt(t *testing.T, ct []byte, id age.Identity) (envelope.Case, error) {
	t.Helper()
	plain, err := crypto.Open(ct, id)
	if err != nil {
		return envelope.Case{}, err
	}
	var env envelope.Case
	if err := json.Unmarshal(plain, &env); err != nil {
		t.Fatalf("decrypted envelope does not parse: %v", err)
	}
	return env, nil
}

func TestSubmitRoutesAndSeals(t *testing.T) {
	t.Parallel()
	teams := intaketest.NewTeams(t)
	tests := []struct {
		body     string
		teams    []string
		uprReads bool
		danger   string
		urgency  *string
	}{
		{"upr", []string{"upr-secretariat", "reprisals-team"}, true, "yes", ptr("U1")},
		{"hrc_session", []string{"reprisals-team"}, false, "no", nil},
		{"special_procedures", []string{"reprisals-team"}, false, "unsure", nil},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			db := storetest.NewDB(t)
			svc := intake.NewService(db.DB, teams.Config, func() time.Time { return fixedNow })
			in := intaketest.Report(tt.body)
			in.Risk.ImmediateDanger = tt.danger
			acc, err := svc.Submit(context.Background(), intake.Submission{Report: in, Channel: intake.ChannelPublic})
			if err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(`^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$`).MatchString(acc.Reference) {
				t.Errorf("reference %q has the wrong shape", acc.Reference)
			}
			row := readRow(t, db, acc.Reference)

			// Clear metadata: exactly what SECURITY.md lists.
			if diff := cmp.Diff(tt.teams, row.Teams); diff != "" {
				t.Errorf("teams (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.urgency, row.Urgency); diff != "" {
				t.Errorf("urgency (-want +got):\n%s", diff)
			}
			if !row.ReceivedOn.Equal(time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("received_on = %v, want the day only", row.ReceivedOn)
			}
			if row.Status != "received" || row.Channel != "public" {
				t.Errorf("status %q channel %q", row.Status, row.Channel)
			}
			if row.SizeBucket != crypto.MinBucket {
				t.Errorf("size bucket = %d, want %d for a small report", row.SizeBucket, crypto.MinBucket)
			}
			if diff := cmp.Diff(acc.Receipt.LookupHash(teams.Config.ReceiptKey()), row.ReceiptHash); diff != "" {
				t.Errorf("receipt hash is not the keyed hash of the receipt")
			}
			if row.ReplyRecipient != acc.Receipt.ReplyIdentity().Recipient().String() {
				t.Errorf("reply recipient is not derived from the receipt")
			}

			// One alert per routed team, in the same transaction.
			var alertTeams []string
			var urgentAlerts int
			err = db.Pool().QueryRow(context.Background(), `
				SELECT array_agg(a.team ORDER BY a.id), count(*) FILTER (WHERE a.urgent)
				FROM alerts a JOIN reports r ON r.id = a.report_id WHERE r.reference = $1`, acc.Reference).Scan(&alertTeams, &urgentAlerts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.teams, alertTeams); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			if wantUrgent := map[bool]int{true: len(tt.teams), false: 0}[tt.danger == "yes"]; urgentAlerts != wantUrgent {
				t.Errorf("%d urgent alerts, want %d", urgentAlerts, wantUrgent)
			}

			// The reprisals team reads every report; the UPR team only UPR ones.
			env, err := decrypt(t, row.Ciphertext, teams.Reprisals)
			if err != nil {
				t.Fatalf("reprisals team cannot decrypt: %v", err)
			}
			_, err = decrypt(t, row.Ciphertext, teams.UPR)
			var nm *age.NoIdentityMatchError
			switch {
			case tt.uprReads && err != nil:
				t.Errorf("UPR team cannot decrypt a UPR report: %v", err)
			case !tt.uprReads && !errors.As(err, &nm):
				t.Errorf("UPR team decrypting a non-UPR report: err = %v, want NoIdentityMatchError", err)
			}

			// The envelope carries the report, its reference and the exact time.
			if env.Version != envelope.Version || env.Kind != "report" || env.Reference != acc.Reference || env.Channel != "public" {
				t.Errorf("envelope header %+v", env)
			}
			if !env.ReceivedAt.Equal(fixedNow.Truncate(time.Millisecond)) {
				t.Errorf("received_at = %v, want %v", env.ReceivedAt, fixedNow)
			}
			if diff := cmp.Diff(tt.teams, env.Teams); diff != "" {
				t.Errorf("envelope teams (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(*in, env.Report); diff != "" {
				t.Errorf("report round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestSubmitInvalidStoresNothing(t *testing.T) {
	t.Parallel()
	db := storetest.NewDB(t)
	svc := intake.NewService(db.DB, intaketest.NewTeams(t).Config, nil)
	r := intaketest.Report("upr")
	r.Victims = nil
	_, err := svc.Submit(context.Background(), intake.Submission{Report: r, Channel: intake.ChannelPublic})
	var ve *intake.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want ValidationError", err)
	}
	if n, err := db.CountReports(context.Background()); err != nil || n != 0 {
		t.Fatalf("%d reports stored (%v), want 0", n, err)
	}
}

func TestSubmitDatabaseDown(t *testing.T) {
	t.Parallel()
	db := storetest.NewDB(t)
	svc := intake.NewService(db.DB, intaketest.NewTeams(t).Config, nil)
	db.SetReachable(t, false)
	_, err := svc.Submit(context.Background(), intake.Submission{Report: intaketest.Report("upr"), Channel: intake.ChannelPublic})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	db.SetReachable(t, true)
	if n, err := db.CountReports(context.Background()); err != nil || n != 0 {
		t.Fatalf("%d reports stored (%v), want 0", n, err)
	}
	if alerts, err := db.ListAlerts(context.Background(), ""); err != nil || len(alerts) != 0 {
		t.Fatalf("%d alerts stored (%v), want 0", len(alerts), err)
	}
	if _, err := svc.Submit(context.Background(), intake.Submission{Report: intaketest.Report("upr"), Channel: intake.ChannelPublic}); err != nil {
		t.Fatalf("after the database came back: %v", err)
	}
}

func TestReferencesAreRandom(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 2000 {
		r := intake.NewReference()
		if seen[r] {
			t.Fatalf("reference %s repeated within 2000", r)
		}
		seen[r] = true
	}
}

// TestReportAndAlertsCommitTogether makes the alert insert fail inside the
// transaction: the report must not be stored either.
func TestReportAndAlertsCommitTogether(t *testing.T) {
	t.Parallel()
	db := storetest.NewDB(t)
	ctx := context.Background()
	_, err := db.Pool().Exec(ctx, `
		CREATE FUNCTION refuse_alert() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'alerts refused for this test'; END $$;
		CREATE TRIGGER refuse_alert BEFORE INSERT ON alerts FOR EACH ROW EXECUTE FUNCTION refuse_alert();`)
	if err != nil {
		t.Fatal(err)
	}
	svc := intake.NewService(db.DB, intaketest.NewTeams(t).Config, nil)
	if _, err := svc.Submit(ctx, intake.Submission{Report: intaketest.Report("upr"), Channel: intake.ChannelPublic}); err == nil {
		t.Fatal("Submit succeeded although its alerts could not be stored")
	}
	if n, err := db.CountReports(ctx); err != nil || n != 0 {
		t.Fatalf("%d reports stored without their alerts (%v), want 0", n, err)
	}
}
