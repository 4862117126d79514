package main_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ohchr-reprisals/intake/intake/intaketest"
	"github.com/ohchr-reprisals/intake/store/storetest"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T) (string, string, *x509.CertPool) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "reprisals test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeTLSReadinessAndMetrics runs the real binary with TLS from
// certificate files, a metrics listener and an onion listener (plain
// HTTP after tor's PROXY header).
func TestServeTLSReadinessAndMetrics(t *testing.T) {
	t.Parallel()
	db := storetest.NewDB(t)
	teams := intaketest.NewTeams(t)
	certFile, keyFile, pool := selfSigned(t)
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "receipt.key")
	runBin(t, cleanEnv(), "keygen", "-receipt-key", "-o", keyPath)
	metricsAddr, onionAddr := freePort(t), freePort(t)
	configFile := filepath.Join(dir, "c.toml")
	os.WriteFile(configFile, []byte(fmt.Sprintf("listen = \"127.0.0.1:0\"\nonion_listen = %q\npublic_url = \"https://127.0.0.1\"\n[metrics]\nlisten = %q\n[smtp]\nhost = \"127.0.0.1\"\nport = 9\n", onionAddr, metricsAddr)), 0o600)
	env := cleanEnv(
		"DATABASE_URL="+db.URL, "REPRISALS_RECEIPT_KEY_FILE="+keyPath,
		"REPRISALS_TLS_CERT_FILE="+certFile, "REPRISALS_TLS_KEY_FILE="+keyFile,
		"REPRISALS_TEAM_UPR_SECRETARIAT_RECIPIENTS="+teams.UPR.Recipient().String(),
		"REPRISALS_TEAM_REPRISALS_TEAM_RECIPIENTS="+teams.Reprisals.Recipient().String(),
	)
	srv := startServe(t, env, configFile)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	resp, err := client.Get("https://" + srv.addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ready\n" || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("https /readyz: %d %q, HSTS %q", resp.StatusCode, body, resp.Header.Get("Strict-Transport-Security"))
	}
	// A plain request to the TLS listener gets net/http's 400, not a page.
	if r, err := http.Get("http://" + srv.addr + "/readyz"); err == nil && r.StatusCode == 200 {
		t.Error("the TLS listener answered plain HTTP")
	}
	resp, err = http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `reprisals_http_request_duration_seconds_count{code="200",method="GET",route="/readyz"} 1`) ||
		!strings.Contains(string(body), "go_goroutines") || !strings.Contains(string(body), "\nreprisals_database_bytes ") {
		t.Errorf("metrics:\n%.2000s", body)
	}
	// The onion listener: plain HTTP after tor's PROXY header; a
	// connection without one is closed unanswered.
	onion := func(header string) string {
		c, err := net.Dial("tcp", onionAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, header+"GET /healthz HTTP/1.1\r\nHost: x.onion\r\nConnection: close\r\n\r\n")
		b, _ := io.ReadAll(c)
		return string(b)
	}
	if got := onion("PROXY TCP6 fc00:dead:beef:4dad::0:29a ::1 666 0\r\n"); !strings.HasPrefix(got, "HTTP/1.1 200") || !strings.HasSuffix(got, "ok\n") {
		t.Errorf("onion listener with tor's header: %q", got)
	}
	if got := onion(""); got != "" {
		t.Errorf("onion listener without a header answered %q", got)
	}
	// Graceful stop: the process ends on SIGTERM.
	srv.cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- srv.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve exited with %v after SIGINT", err)
		}
	case <-time.After(20 * time.Second):
		t.Error("serve did not stop within 20 s")
	}
}
