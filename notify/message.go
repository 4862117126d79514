package notify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"filippo.io/age/armor"

	"github.com/ohchr-reprisals/intake/store"
)

// Message is one e-mail ready for the relay.
type Message struct {
	ID    string // Message-ID without angle brackets
	To    string
	Bytes []byte // the whole RFC 5322 message, CRLF line endings
}

// composer builds alert e-mails.
type composer struct {
	from      string // header From
	domain    string // for Message-IDs
	publicURL string
	now       func() time.Time
}

func newComposer(from, publicURL string, now func() time.Time) composer {
	domain := "localhost"
	if a, err := mail.ParseAddress(from); err == nil {
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 {
			domain = a.Address[i+1:]
		}
	}
	return composer{from: from, domain: domain, publicURL: publicURL, now: now}
}

// single is the alert for one report and one team. Its Message-ID depends
// only on the reference and the team, so a resend is recognisable.
func (c composer) single(a store.ClaimedAlert, to string) Message {
	subject := fmt.Sprintf("[Reprisals] New report %s (%s)", a.Reference, day(a.ReceivedOn))
	if a.Urgent {
		subject = fmt.Sprintf("[URGENT] Reprisals report %s (%s): someone may be in immediate danger", a.Reference, day(a.ReceivedOn))
	}
	intro := "A new report of intimidation or reprisal has been received and encrypted.\n\n"
	id := fmt.Sprintf("report-%s.%s@%s", a.Reference, a.Team, c.domain)
	if a.Kind == "followup" {
		subject = fmt.Sprintf("[Reprisals] New information on report %s", a.Reference)
		intro = "The reporter came back and added information or a file to a report. It is encrypted like the\nreport: read new information with 'casectl notes -i KEY " + a.Reference + "'; new files are listed by\n'casectl show -i KEY " + a.Reference + "'.\n\n"
		id = fmt.Sprintf("followup-%s.%s.%d@%s", a.Reference, a.Team, a.ID, c.domain)
	}
	var body strings.Builder
	body.WriteString(intro)
	writeSummary(&body, a)
	body.WriteString("\n")
	c.writeHowTo(&body, []store.ClaimedAlert{a})
	return c.build(id, to, subject, a.Urgent, body.String(), []store.ClaimedAlert{a})
}

// digest is one e-mail for several reports to one team, all urgent or all
// not: a team's digest, or alerts coalesced during a flood. Its
// Message-ID is derived from the alerts it carries.
func (c composer) digest(alerts []store.ClaimedAlert, to string) Message {
	h := sha256.New()
	for _, a := range alerts {
		h.Write([]byte(strconv.FormatInt(a.ID, 10) + ","))
	}
	team := alerts[0].Team
	id := fmt.Sprintf("digest-%s.%s@%s", hex.EncodeToString(h.Sum(nil))[:20], team, c.domain)
	subject := fmt.Sprintf("[Reprisals] Digest: %d new report%s", len(alerts), plural(len(alerts)))
	urgent := alerts[0].Urgent // a group's alerts share their urgency
	if urgent {
		subject = fmt.Sprintf("[URGENT] Reprisals digest: %d urgent report%s: someone may be in immediate danger", len(alerts), plural(len(alerts)))
	}
	var body strings.Builder
	fmt.Fprintf(&body, "%d new report%s of intimidation or reprisal %s been received and encrypted.\n\n", len(alerts), plural(len(alerts)), map[bool]string{true: "has", false: "have"}[len(alerts) == 1])
	if urgent {
		body.WriteString("In each of them the reporter said someone is in immediate danger.\n\n")
	}
	for _, a := range alerts {
		what := ""
		if a.Kind == "followup" {
			what = "   (new information from the reporter)"
		}
		fmt.Fprintf(&body, "  %s   submitted on %s (UTC)   routed to %s%s\n", a.Reference, day(a.ReceivedOn), strings.Join(a.Teams, ", "), what)
	}
	body.WriteString("\n")
	c.writeHowTo(&body, alerts)
	return c.build(id, to, subject, urgent, body.String(), alerts)
}

func writeSummary(b *strings.Builder, a store.ClaimedAlert) {
	fmt.Fprintf(b, "  Reference:     %s\n", a.Reference)
	fmt.Fprintf(b, "  Submitted on:  %s (UTC)\n", day(a.ReceivedOn))
	fmt.Fprintf(b, "  Routed to:     %s\n", strings.Join(a.Teams, ", "))
	if a.Urgent {
		b.WriteString("  Urgency:       URGENT: the reporter said someone is in immediate danger.\n")
	}
}

func (c composer) writeHowTo(b *strings.Builder, alerts []store.ClaimedAlert) {
	b.WriteString("This e-mail contains no report content. To read a report, on your own\n")
	b.WriteString("computer, with your age identity:\n\n")
	fmt.Fprintf(b, "  casectl login -server %s -handler YOUR-NAME -i ~/.config/reprisals/identity.key\n", c.publicURL)
	fmt.Fprintf(b, "  casectl show -i ~/.config/reprisals/identity.key %s\n", alerts[0].Reference)
	if alerts[0].Ciphertext != nil {
		b.WriteString("\nThe encrypted report")
		if len(alerts) > 1 {
			b.WriteString("s are")
		} else {
			b.WriteString(" is")
		}
		b.WriteString(" also attached (REFERENCE.age). To decrypt one:\n\n")
		fmt.Fprintf(b, "  age -d -i ~/.config/reprisals/identity.key %s.age\n", alerts[0].Reference)
	}
	b.WriteString("\nKeep decrypted reports off e-mail and shared drives.\n\n-- \n")
	fmt.Fprintf(b, "Reprisals reporting service, %s\n", c.publicURL)
}

func (c composer) build(id, to, subject string, urgent bool, body string, alerts []store.ClaimedAlert) Message {
	var buf bytes.Buffer
	h := func(k, v string) { buf.WriteString(k + ": " + v + "\r\n") }
	h("From", c.from)
	h("To", to)
	h("Subject", mime.QEncoding.Encode("utf-8", subject))
	h("Date", c.now().UTC().Format(time.RFC1123Z))
	h("Message-ID", "<"+id+">")
	h("MIME-Version", "1.0")
	h("Auto-Submitted", "auto-generated")
	if urgent {
		h("Importance", "high")
		h("X-Priority", "1 (Highest)")
	}
	text := strings.ReplaceAll(body, "\n", "\r\n")
	var attach []store.ClaimedAlert
	for _, a := range alerts {
		if a.Ciphertext != nil {
			attach = append(attach, a)
		}
	}
	if len(attach) == 0 {
		h("Content-Type", "text/plain; charset=utf-8")
		h("Content-Transfer-Encoding", "7bit")
		buf.WriteString("\r\n" + text)
		return Message{ID: id, To: to, Bytes: buf.Bytes()}
	}
	var parts bytes.Buffer
	mw := multipart.NewWriter(&parts)
	h("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
	buf.WriteString("\r\n")
	p, _ := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {"text/plain; charset=utf-8"},
		"Content-Transfer-Encoding": {"7bit"},
	})
	p.Write([]byte(text))
	for _, a := range attach {
		p, _ := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {"application/octet-stream"},
			"Content-Disposition":       {`attachment; filename="` + a.Reference + `.age"`},
			"Content-Transfer-Encoding": {"7bit"},
		})
		p.Write(armored(a.Ciphertext))
	}
	mw.Close()
	buf.Write(parts.Bytes())
	return Message{ID: id, To: to, Bytes: buf.Bytes()}
}

// armored wraps a binary age file in age's ASCII armour, with CRLF line
// endings as e-mail wants (age -d accepts both).
func armored(ciphertext []byte) []byte {
	var b bytes.Buffer
	w := armor.NewWriter(&b)
	w.Write(ciphertext)
	w.Close()
	return bytes.ReplaceAll(b.Bytes(), []byte("\n"), []byte("\r\n"))
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
