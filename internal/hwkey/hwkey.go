// Package hwkey gives the handler side's tests a hardware key to use: it
// builds the test-only age plugin age-plugin-hwtest (in this package's
// folder) into a temporary folder, which the test puts on the PATH of the
// age client (casectl, or the test itself), and makes keys in it. The
// private keys stay in the plugin's device folder: the client sees only
// AGE-PLUGIN-HWTEST-1... identities and age1tag1... recipients, as with a
// YubiKey. For tests only; nothing ships it.
package hwkey

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Device is a built plugin and its key store.
type Device struct {
	// Dir holds the plugin binary (put it on PATH) and its device/.
	Dir string
}

// Build compiles the plugin into dir (a test's temporary folder).
func Build(dir string) (Device, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return Device{}, errors.New("hwkey: cannot find the plugin's source")
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "age-plugin-hwtest"), "./age-plugin-hwtest")
	cmd.Dir = filepath.Dir(file)
	if out, err := cmd.CombinedOutput(); err != nil {
		return Device{}, fmt.Errorf("hwkey: building the plugin: %v\n%s", err, out)
	}
	return Device{Dir: dir}, nil
}

// Path is PATH with the plugin's folder first.
func (d Device) Path() string {
	return d.Dir + string(os.PathListSeparator) + os.Getenv("PATH")
}

// Generate makes a key in a new slot and returns its identity file (the
// recipient in a comment, then AGE-PLUGIN-HWTEST-1...) and its recipient.
func (d Device) Generate() (file, recipient string, err error) {
	out, err := exec.Command(filepath.Join(d.Dir, "age-plugin-hwtest"), "-generate").Output()
	if err != nil {
		return "", "", fmt.Errorf("hwkey: generate: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if _, r, ok := strings.Cut(sc.Text(), "Recipient: "); ok {
			recipient = strings.TrimSpace(r)
		}
	}
	if !strings.HasPrefix(recipient, "age1tag1") || !strings.Contains(string(out), "AGE-PLUGIN-HWTEST-1") {
		return "", "", fmt.Errorf("hwkey: generate printed no identity:\n%s", out)
	}
	return string(out), recipient, nil
}

// Uses is how many files the device has decrypted so far.
func (d Device) Uses() int {
	b, _ := os.ReadFile(filepath.Join(d.Dir, "device", "uses"))
	return bytes.Count(b, []byte("\n"))
}

// Unplug removes every key from the device: its identities then open
// nothing.
func (d Device) Unplug() error {
	keys, err := filepath.Glob(filepath.Join(d.Dir, "device", "[0-9a-f]*"))
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := os.Remove(k); err != nil {
			return err
		}
	}
	return nil
}
