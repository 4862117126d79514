package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ohchr-reprisals/intake/store"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// TestInvalidTextIsInvalidInput: text PostgreSQL refuses (NUL, bytes that
// are not UTF-8) is ErrInvalidInput, a client's error, never one the
// server answers with a 500; the error does not quote the value.
func TestInvalidTextIsInvalidInput(t *testing.T) {
	t.Parallel()
	db := storetest.NewDB(t)
	for _, s := range []string{"BADTEXT\x00b", "BADTEXT\xff\xfeb"} {
		_, _, _, _, err := db.StaffPassword(context.Background(), s)
		if !errors.Is(err, store.ErrInvalidInput) {
			t.Errorf("StaffPassword(%q) = %v, want ErrInvalidInput", s, err)
		}
		if err != nil && strings.Contains(strings.ToLower(err.Error()), "badtext") {
			t.Errorf("the error quotes the value: %v", err)
		}
	}
	if _, _, _, _, err := db.StaffPassword(context.Background(), "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("StaffPassword(nobody) = %v, want ErrNotFound", err)
	}
}
