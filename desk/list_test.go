package desk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/ohchr-reprisals/intake/desk"
	"github.com/ohchr-reprisals/intake/handlerapi"
)

// TestListingChecksTheServersFields plays a server that lists a case
// with a malformed field: Cases refuses the page, Screen lists the case by
// reference only (or leaves it out when its reference is malformed), and
// a well-formed list passes both.
func TestListingChecksTheServersFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	omar := e.handler("omar", "reprisals-team")
	a := e.public("hrc_session")
	for _, tc := range []struct {
		name, field string
		value       any
		want        desk.Listing
	}{
		{name: "honest", want: desk.Listed},
		{name: "received day with a bidi override", field: "received_on", value: "\u202e2026-01-01", want: desk.Malformed},
		{name: "urgency with markup", field: "urgency", value: "<b>U1</b>", want: desk.Malformed},
		{name: "deadline with an escape", field: "next_deadline", value: "2026-01-01\x1b[2J", want: desk.Malformed},
		{name: "negative size", field: "size_bucket", value: -1, want: desk.Malformed},
		{name: "reference with a bidi override", field: "reference", value: "EVIL\u202e-REF", want: desk.LeftOut},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := e.hostile(nil, func(resp *http.Response) error {
				if tc.field == "" || resp.Request.URL.Path != handlerapi.Prefix+"/cases" {
					return nil
				}
				var doc map[string]any
				json.NewDecoder(resp.Body).Decode(&doc)
				resp.Body.Close()
				for _, c := range doc["cases"].([]any) {
					c.(map[string]any)[tc.field] = tc.value
				}
				b, _ := json.Marshal(doc)
				resp.Body = io.NopCloser(bytes.NewReader(b))
				resp.ContentLength = int64(len(b))
				resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
				return nil
			})
			d := e.desk(h.url, "omar", omar)
			list, err := d.Cases(context.Background(), handlerapi.CaseQuery{})
			if tc.want != desk.Listed {
				if !errors.Is(err, handlerapi.ErrBadResponse) || strings.ContainsAny(err.Error(), "\u202e\x1b<") {
					t.Errorf("Cases: %v, want ErrBadResponse", err)
				}
			} else if err != nil || len(list.Cases) != 1 || list.Cases[0].Reference != a {
				t.Fatalf("Cases: %+v, %v", list, err)
			}
			// The inbox's check of the same fields, case by case.
			real, err := e.desk(e.url, "omar", omar).Cases(context.Background(), handlerapi.CaseQuery{})
			if err != nil {
				t.Fatal(err)
			}
			m := real.Cases[0]
			switch tc.field {
			case "received_on":
				m.ReceivedOn = tc.value.(string)
			case "urgency":
				m.Urgency = tc.value.(string)
			case "next_deadline":
				m.NextDeadline = tc.value.(string)
			case "size_bucket":
				m.SizeBucket = tc.value.(int)
			case "reference":
				m.Reference = tc.value.(string)
			}
			if got := desk.Screen(m); got != tc.want {
				t.Errorf("Screen: %d, want %d", got, tc.want)
			}
		})
	}
}
