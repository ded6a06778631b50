package app

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadOIDCConfigExits2: a bad single sign-on setting stops the API at start with exit code
// 2 and a message naming the variable, before anything is connected.
func TestBadOIDCConfigExits2(t *testing.T) {
	t.Setenv("WARDOPS_OIDC_ISSUER", "http://idp.bank.example")
	t.Setenv("WARDOPS_OIDC_CLIENT_ID", "wardops")
	t.Setenv("WARDOPS_OIDC_CLIENT_SECRET", "client-secret-value")
	t.Setenv("WARDOPS_OIDC_ROLES", `{"noc-admins":"admin"}`)
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = f
	code := RunAPI(nil)
	os.Stderr = stderr
	_, _ = f.Seek(0, io.SeekStart)
	out, _ := io.ReadAll(f)
	if code != 2 || !strings.Contains(string(out), `WARDOPS_OIDC_ISSUER="http://idp.bank.example": must be https`) {
		t.Errorf("exit %d, stderr %q; want 2 naming WARDOPS_OIDC_ISSUER", code, out)
	}
	if strings.Contains(string(out), "client-secret-value") {
		t.Error("the client secret is in the message")
	}
}
