package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/store"
)

// TestFollowUpAlertNamesBothCommands checks that the alert for a
// reporter's return (new information or a new file) says where each
// appears: information under 'casectl notes', files under 'casectl show'.
func TestFollowUpAlertNamesBothCommands(t *testing.T) {
	c := newComposer("alerts@example.org", "https://report.example.org", time.Now)
	m := c.single(store.ClaimedAlert{ID: 7, Kind: "followup", Team: "reprisals-team", Reference: "7KQ4-M2XD",
		ReceivedOn: time.Now(), Teams: []string{"reprisals-team"}}, "reprisals@example.org")
	body := strings.ReplaceAll(string(m.Bytes), "\r\n", "\n")
	for _, want := range []string{"casectl notes -i KEY 7KQ4-M2XD", "new files are listed by\n'casectl show -i KEY 7KQ4-M2XD'"} {
		if !strings.Contains(body, want) {
			t.Errorf("follow-up alert lacks %q:\n%s", want, body)
		}
	}
}
