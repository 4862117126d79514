package crypto

import (
	"bufio"
	"crypto/ecdh"
	"crypto/mlkem"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
	"filippo.io/age/tag"
)

// recipientsFileSizeLimit bounds a recipients file read at start-up. A team
// has a handful of keys; 64 KiB is hundreds of them.
const recipientsFileSizeLimit = 64 << 10

// ErrIdentityNotRecipient is returned when a private key (an age identity)
// is given where a public recipient belongs. The server must never hold a
// decryption key, so this is always a configuration error.
var ErrIdentityNotRecipient = errors.New("this is a private key (AGE-SECRET-KEY-...), not a public recipient (age1...): " +
	"keep identities on the handlers' machines and give the server only the recipient that age-keygen -y prints")

// Recipient is one parsed age recipient: a native X25519 key (age1...), a
// post-quantum hybrid key (age1pq1...), or a tagged hardware-key recipient
// (age1tag1..., age1tagpq1...).
type Recipient struct {
	r  age.Recipient
	s  string
	pq bool
}

// String returns the recipient in its canonical age1... form.
func (r Recipient) String() string { return r.s }

// PostQuantum reports whether r is a hybrid (age1pq1...) recipient. age
// refuses to mix hybrid and classic recipients in one file.
func (r Recipient) PostQuantum() bool { return r.pq }

// ParseRecipient parses one recipient string. Errors never include the
// input, which could be a secret pasted by mistake.
func ParseRecipient(s string) (Recipient, error) {
	// A byte-order mark (which some editors add) is not white space.
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "\ufeff"))
	upper := strings.ToUpper(s)
	switch {
	case strings.HasPrefix(upper, "AGE-SECRET-KEY-") || strings.HasPrefix(upper, "AGE-PLUGIN-"):
		return Recipient{}, ErrIdentityNotRecipient
	case strings.HasPrefix(s, "age1tag1") || strings.HasPrefix(s, "age1tagpq1"):
		// Tagged P-256 (or P-256 + ML-KEM) recipients: what hardware keys
		// such as YubiKeys use, encrypted to natively, without a plugin.
		r, err := tag.ParseRecipient(s)
		if err != nil {
			return Recipient{}, errors.New("not a valid age tagged recipient (age1tag1... or age1tagpq1...)")
		}
		return Recipient{r: r, s: r.String(), pq: r.Hybrid()}, nil
	case strings.HasPrefix(s, "age1pq1"):
		r, err := age.ParseHybridRecipient(s)
		if err != nil {
			return Recipient{}, errors.New("not a valid age post-quantum recipient (age1pq1...)")
		}
		return Recipient{r: r, s: r.String(), pq: true}, nil
	case strings.HasPrefix(s, "age1"):
		r, err := age.ParseX25519Recipient(s)
		if err != nil {
			return Recipient{}, errors.New("not a valid age X25519 recipient (age1...; plugin recipients are not supported because the server would have to run the plugin)")
		}
		return Recipient{r: r, s: r.String()}, nil
	case strings.HasPrefix(s, "ssh-"):
		return Recipient{}, errors.New("SSH keys are not accepted: use a native age recipient (age1...)")
	default:
		return Recipient{}, errors.New("not an age recipient: recipients start with age1")
	}
}

// ParseRecipientsFile reads recipients, one per line, from r. Blank lines and
// lines starting with # are ignored. Errors name the line, not its content.
func ParseRecipientsFile(r io.Reader) ([]Recipient, error) {
	lr := &io.LimitedReader{R: r, N: recipientsFileSizeLimit + 1}
	sc := bufio.NewScanner(lr)
	var out []Recipient
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rec, err := ParseRecipient(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading recipients: %w", err)
	}
	if lr.N == 0 {
		return nil, fmt.Errorf("recipients file is larger than %d bytes", recipientsFileSizeLimit)
	}
	return out, nil
}

// CheckCompatible returns an error when recs mix post-quantum and classic
// recipients, which age cannot encrypt to in one file.
func CheckCompatible(recs []Recipient) error {
	for _, r := range recs[min(1, len(recs)):] {
		if r.pq != recs[0].pq {
			return errors.New("post-quantum (age1pq1...) and classic (age1...) recipients cannot be mixed: give every team keys of one kind")
		}
	}
	return nil
}

// ReplyRecipients are the recipients of a reply to a reporter: the
// reporter's reply key and, when age allows mixing them with it, the
// case's team recipients (so the teams can read their own replies). When
// they cannot be mixed (a post-quantum team, a classic reply key), the
// reply goes to the reporter alone.
func ReplyRecipients(reporter Recipient, teams []Recipient) []Recipient {
	all := append([]Recipient{reporter}, teams...)
	if CheckCompatible(all) != nil {
		return all[:1]
	}
	return all
}

// Recipient kinds, as RecipientKind names them.
const (
	KindX25519 = "x25519"
	KindHybrid = "pq"
	KindTag    = "tag"
	KindTagPQ  = "tagpq"
)

// RecipientKind names the kind of an age recipient string by its prefix
// (which decides the stanza type and size of what is encrypted to it).
func RecipientKind(s string) string {
	switch {
	case strings.HasPrefix(s, "age1tagpq1"):
		return KindTagPQ
	case strings.HasPrefix(s, "age1tag1"):
		return KindTag
	case strings.HasPrefix(s, "age1pq1"):
		return KindHybrid
	}
	return KindX25519
}

// ThrowawayRecipient returns a fresh recipient of the given kind whose
// private key is discarded at once: what is encrypted to it can never be
// read. Login decoys use it so they look like a real handler's challenge.
func ThrowawayRecipient(kind string) (Recipient, error) {
	var s string
	switch kind {
	case KindX25519:
		id, err := age.GenerateX25519Identity()
		if err != nil {
			return Recipient{}, err
		}
		s = id.Recipient().String()
	case KindHybrid:
		id, err := age.GenerateHybridIdentity()
		if err != nil {
			return Recipient{}, err
		}
		s = id.Recipient().String()
	case KindTag, KindTagPQ:
		k, err := ecdh.P256().GenerateKey(rand.Reader)
		if err != nil {
			return Recipient{}, err
		}
		point := k.PublicKey().Bytes() // uncompressed: 0x04 || X || Y
		var r *tag.Recipient
		if kind == KindTag {
			compressed := append([]byte{0x02 | point[64]&1}, point[1:33]...)
			r, err = tag.NewClassicRecipient(compressed)
		} else {
			dk, kerr := mlkem.GenerateKey768()
			if kerr != nil {
				return Recipient{}, kerr
			}
			r, err = tag.NewHybridRecipient(append(dk.EncapsulationKey().Bytes(), point...))
		}
		if err != nil {
			return Recipient{}, err
		}
		s = r.String()
	default:
		return Recipient{}, fmt.Errorf("crypto: unknown recipient kind %q", kind)
	}
	return ParseRecipient(s)
}
