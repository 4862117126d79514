package audit

import (
	"errors"
	"testing"
	"time"
)

func chain(key []byte, n int) []Entry {
	var out []Entry
	prev := Genesis
	for i := 1; i <= n; i++ {
		e := Entry{Seq: int64(i), At: time.Date(2026, 11, 27, 10, 0, i, 123456789, time.UTC), Actor: "handler:omar", Action: "case.fetch", Reference: "7KQ4-M2XD", PrevMAC: prev}
		e.MAC = ComputeMAC(key, prev, e)
		prev = e.MAC
		out = append(out, e)
	}
	return out
}

func verify(key []byte, entries []Entry) error {
	v := NewVerifier(key)
	for _, e := range entries {
		if err := v.Check(e); err != nil {
			return err
		}
	}
	return nil
}

func TestVerify(t *testing.T) {
	key := Key([]byte("0123456789abcdef0123456789abcdef"))
	tests := []struct {
		name   string
		tamper func([]Entry) []Entry
		broken int64 // 0: verifies
	}{
		{"intact", func(e []Entry) []Entry { return e }, 0},
		{"edited actor", func(e []Entry) []Entry { e[2].Actor = "handler:eve"; return e }, 3},
		{"edited time", func(e []Entry) []Entry { e[1].At = e[1].At.Add(time.Second); return e }, 2},
		{"removed middle", func(e []Entry) []Entry { return append(e[:2], e[3:]...) }, 3},
		{"removed first", func(e []Entry) []Entry { return e[1:] }, 1},
		{"inserted copy", func(e []Entry) []Entry { return append(e[:3], append([]Entry{e[2]}, e[3:]...)...) }, 3},
		{"renumbered after removal", func(e []Entry) []Entry {
			e = append(e[:2], e[3:]...)
			for i := range e {
				e[i].Seq = int64(i + 1)
			}
			return e
		}, 3},
		{"recomputed with another key", func(e []Entry) []Entry {
			return chain([]byte("another key"), len(e))
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verify(key, tt.tamper(chain(key, 5)))
			var be *BrokenError
			switch {
			case tt.broken == 0 && err != nil:
				t.Fatalf("intact chain: %v", err)
			case tt.broken != 0 && (!errors.As(err, &be) || be.Seq != tt.broken):
				t.Fatalf("err %v, want a break at entry %d", err, tt.broken)
			}
		})
	}
	v := NewVerifier(key)
	for _, e := range chain(key, 3) {
		v.Check(e)
	}
	if n, head := v.Head(); n != 3 || len(head) != 32 {
		t.Errorf("head %d %x", n, head)
	}
}

func TestNormalizeMatchesDatabasePrecision(t *testing.T) {
	key := Key([]byte("k"))
	e := Entry{Seq: 1, At: time.Date(2026, 1, 1, 0, 0, 0, 123456789, time.FixedZone("x", 3600))}
	stored := e
	stored.At = Normalize(e.At).In(time.Local) // what PostgreSQL gives back
	if string(ComputeMAC(key, Genesis, e)) != string(ComputeMAC(key, Genesis, stored)) {
		t.Error("the MAC changes when the time comes back from the database")
	}
}
