package snmp

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func v2c(c string) Settings {
	return Settings{Version: Version2c, Community: NewSecret(c), Port: 161, Timeout: time.Second, Retries: 1, MaxRepetitions: 10}
}

func v3priv() Settings {
	return Settings{Version: Version3, Username: "noc", SecurityLevel: AuthPriv, AuthProtocol: AuthSHA256,
		AuthPassword: NewSecret("auth-secret-1"), PrivProtocol: PrivAES, PrivPassword: NewSecret("priv-secret-1")}
}

// errFields lists "field: message" of every FieldError in err.
func errFields(err error) []string {
	if err == nil {
		return nil
	}
	var out []string
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		out = append(out, e.Error())
	}
	walk(err)
	return out
}

func TestSettingsValidate(t *testing.T) {
	mod := func(s Settings, f func(*Settings)) Settings { f(&s); return s }
	tests := []struct {
		name string
		in   Settings
		want []string
	}{
		{"v2c ok", v2c("public"), nil},
		{"v2c defaults as zero", Settings{Version: Version2c, Community: NewSecret("x")}, nil},
		{"v3 authPriv ok", v3priv(), nil},
		{"v3 authNoPriv ok", mod(v3priv(), func(s *Settings) {
			s.SecurityLevel, s.PrivProtocol, s.PrivPassword = AuthNoPriv, "", Secret{}
		}), nil},
		{"version missing", Settings{}, []string{"version: is required (2c or 3)"}},
		{"version bad", Settings{Version: "1"}, []string{`version: must be 2c or 3, not "1"`}},
		{"v2c no community", mod(v2c(""), func(s *Settings) {}), []string{"community: is required for SNMPv2c"}},
		{"v2c community newline", v2c("a\nb"), []string{"community: contains a control character"}},
		{"v2c with v3 fields", mod(v2c("public"), func(s *Settings) { s.Username, s.AuthProtocol = "u", AuthSHA }),
			[]string{"auth_protocol: applies to SNMPv3 only", "username: applies to SNMPv3 only"}},
		{"v3 with community", mod(v3priv(), func(s *Settings) { s.Community = NewSecret("public") }),
			[]string{"community: applies to SNMPv2c only"}},
		{"v3 no user", mod(v3priv(), func(s *Settings) { s.Username = "" }), []string{"username: is required for SNMPv3"}},
		{"v3 long user", mod(v3priv(), func(s *Settings) { s.Username = strings.Repeat("u", 33) }),
			[]string{"username: must be 1 to 32 printable characters"}},
		{"v3 bad auth protocol", mod(v3priv(), func(s *Settings) { s.AuthProtocol = "MD5" }),
			[]string{`auth_protocol: must be one of SHA, SHA-224, SHA-256, SHA-384, SHA-512, not "MD5"`}},
		{"v3 short auth password", mod(v3priv(), func(s *Settings) { s.AuthPassword = NewSecret("short") }),
			[]string{"auth_password: must be at least 8 characters"}},
		{"v3 no auth password", mod(v3priv(), func(s *Settings) { s.AuthPassword = Secret{} }),
			[]string{"auth_password: is required"}},
		{"v3 stored auth password", mod(v3priv(), func(s *Settings) { s.AuthPassword = StoredSecret() }), nil},
		{"v3 bad priv protocol", mod(v3priv(), func(s *Settings) { s.PrivProtocol = "DES" }),
			[]string{`priv_protocol: must be one of AES, AES-192, AES-256, AES-192-C, AES-256-C, not "DES"`}},
		{"v3 no priv password", mod(v3priv(), func(s *Settings) { s.PrivPassword = Secret{} }),
			[]string{"priv_password: is required"}},
		{"v3 authNoPriv with priv", mod(v3priv(), func(s *Settings) { s.SecurityLevel = AuthNoPriv }),
			[]string{"priv_protocol: must be empty for authNoPriv", "priv_password: must be empty for authNoPriv"}},
		{"v3 no level", mod(v3priv(), func(s *Settings) { s.SecurityLevel = "" }),
			[]string{"security_level: is required for SNMPv3 (authNoPriv or authPriv)"}},
		{"v3 noAuthNoPriv refused", mod(v3priv(), func(s *Settings) { s.SecurityLevel = "noAuthNoPriv" }),
			[]string{`security_level: must be authNoPriv or authPriv, not "noAuthNoPriv"`}},
		{"bad host", mod(v2c("public"), func(s *Settings) { s.Host = "not a host!" }),
			[]string{`host: must be an IP address or a DNS name, not "not a host!"`}},
		{"ipv6 host", mod(v2c("public"), func(s *Settings) { s.Host = "::1" }), nil},
		{"dns host", mod(v2c("public"), func(s *Settings) { s.Host = "sw1.branch-12.bank.example" }), nil},
		{"transport ranges", mod(v2c("public"), func(s *Settings) {
			s.Port, s.Timeout, s.Retries, s.MaxRepetitions = 70000, time.Millisecond, 11, 101
		}), []string{"port: must be between 1 and 65535", "timeout_ms: must be between 100 and 60000",
			"retries: must be between 0 and 10", "max_repetitions: must be between 1 and 100"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.in.Validate()
			if diff := cmp.Diff(tc.want, errFields(err)); diff != "" {
				t.Errorf("Validate (-want +got):\n%s", diff)
			}
			if err != nil {
				var fe *FieldError
				if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) {
					t.Errorf("error %v is not a *FieldError matching ErrInvalid", err)
				}
			}
		})
	}
}

func TestSettingsJSONNeverEmitsSecrets(t *testing.T) {
	for name, s := range map[string]Settings{"v2c": v2c("s3cret-community"), "v3": v3priv()} {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range []string{"s3cret-community", "auth-secret-1", "priv-secret-1"} {
				if strings.Contains(string(b), secret) {
					t.Errorf("JSON %s contains secret %q", b, secret)
				}
			}
			for _, f := range []string{fmt.Sprint(s), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s)} {
				if strings.Contains(f, "s3cret") || strings.Contains(f, "secret-1") {
					t.Errorf("formatted settings show a secret: %s", f)
				}
			}
		})
	}
	b, _ := json.Marshal(v3priv())
	want := `{"version":"3","community_set":false,"username":"noc","security_level":"authPriv","auth_protocol":"SHA-256","auth_password_set":true,"priv_protocol":"AES","priv_password_set":true,"port":161,"timeout_ms":2000,"retries":0,"max_repetitions":10}`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("v3 JSON (-want +got):\n%s", diff)
	}
}

func TestSettingsUnmarshal(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Settings
		wantErr string
	}{
		{"v2c defaults", `{"version":"v2c","community":"public"}`,
			Settings{Version: Version2c, Community: NewSecret("public"), Port: 161, Timeout: 2 * time.Second, Retries: 1, MaxRepetitions: 10}, ""},
		{"v3 normalised", `{"version":"V3","username":"noc","security_level":"authpriv","auth_protocol":"sha256","auth_password":"aaaaaaaa","priv_protocol":"aes128","priv_password":"bbbbbbbb","port":1161,"timeout_ms":500,"retries":0,"max_repetitions":25,"host":" 127.0.0.1 "}`,
			Settings{Version: Version3, Username: "noc", SecurityLevel: AuthPriv, AuthProtocol: AuthSHA256, AuthPassword: NewSecret("aaaaaaaa"),
				PrivProtocol: PrivAES, PrivPassword: NewSecret("bbbbbbbb"), Host: "127.0.0.1", Port: 1161, Timeout: 500 * time.Millisecond, MaxRepetitions: 25}, ""},
		{"set flags ignored", `{"version":"2c","community_set":true}`,
			Settings{Version: Version2c, Port: 161, Timeout: 2 * time.Second, Retries: 1, MaxRepetitions: 10}, ""},
		{"unknown field", `{"version":"2c","comunity":"public"}`, Settings{}, "comunity: is not a settings field"},
		{"wrong type", `{"version":"2c","port":"161"}`, Settings{}, "port: must be a JSON int"},
		{"negative timeout", `{"version":"2c","timeout_ms":-1}`, Settings{}, "timeout_ms: must be between 100 and 60000"},
		{"not an object", `[1]`, Settings{}, "must be a JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got Settings
			err := json.Unmarshal([]byte(tc.in), &got)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(Secret{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestMergeSecrets(t *testing.T) {
	stored := func(s Settings) Settings {
		for _, p := range []*Secret{&s.Community, &s.AuthPassword, &s.PrivPassword} {
			if p.IsSet() {
				*p = StoredSecret()
			}
		}
		return s
	}
	noSecrets := func(s Settings) Settings {
		s.Community, s.AuthPassword, s.PrivPassword = Secret{}, Secret{}, Secret{}
		return s
	}
	otherUser := noSecrets(v3priv())
	otherUser.Username = "other"
	tests := []struct {
		name     string
		in, old  Settings
		wantErrs []string
	}{
		{"v2c keeps community", noSecrets(v2c("")), stored(v2c("public")), nil},
		{"v3 keeps passwords", noSecrets(v3priv()), stored(v3priv()), nil},
		{"v2c from v3 needs community", noSecrets(v2c("")), stored(v3priv()), []string{"community: is required for SNMPv2c"}},
		{"v3 other user needs passwords", otherUser, stored(v3priv()), []string{"auth_password: is required", "priv_password: is required"}},
		{"new secret wins", v2c("new"), stored(v2c("public")), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.MergeSecrets(tc.old)
			if diff := cmp.Diff(tc.wantErrs, errFields(got.Validate())); diff != "" {
				t.Errorf("Validate after merge (-want +got):\n%s", diff)
			}
		})
	}
	if got := v2c("new").MergeSecrets(stored(v2c("old"))); got.Community.Reveal() != "new" {
		t.Errorf("merge replaced a new community")
	}
}

func FuzzSettingsJSON(f *testing.F) {
	for _, s := range []string{
		`{"version":"2c","community":"public"}`,
		`{"version":"3","username":"noc","security_level":"authPriv","auth_protocol":"SHA-256","auth_password":"aaaaaaaa","priv_protocol":"AES","priv_password":"bbbbbbbb"}`,
		`{"version":"2c","community":"x","port":0,"timeout_ms":0,"retries":-1,"max_repetitions":1000}`,
		`{"version":"3","host":"::1","context_name":"vrf-a"}`, `{}`, `null`, `{"version":"2c",}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Settings
		if err := json.Unmarshal(b, &s); err != nil {
			return
		}
		verr := s.Validate()
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		assertNoSecrets(t, s, out)
		if verr != nil {
			return
		}
		// Valid settings survive a display round trip (secrets become "stored").
		var back Settings
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("unmarshal own output %s: %v", out, err)
		}
		if back.Version != s.Version || back.Port != s.WithDefaults().Port || back.Username != s.Username {
			t.Fatalf("round trip changed settings: %+v -> %+v", s, back)
		}
	})
}

// assertNoSecrets checks that marshalled settings carry no secret field and no secret value
// (other than one that is also the value of a non-secret field, e.g. username == community).
func assertNoSecrets(t *testing.T, s Settings, out []byte) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("output %s is not an object: %v", out, err)
	}
	for _, k := range []string{"community", "auth_password", "priv_password"} {
		if _, ok := m[k]; ok {
			t.Fatalf("output %s has secret field %q", out, k)
		}
	}
	public := map[string]bool{s.Username: true, s.Host: true, s.ContextName: true, string(s.Version): true,
		string(s.SecurityLevel): true, string(s.AuthProtocol): true, string(s.PrivProtocol): true}
	for _, sec := range []Secret{s.Community, s.AuthPassword, s.PrivPassword} {
		v := sec.Reveal()
		if v == "" || public[v] {
			continue
		}
		for k, x := range m {
			if x == v {
				t.Fatalf("output field %q carries a secret value: %s", k, out)
			}
		}
	}
}
