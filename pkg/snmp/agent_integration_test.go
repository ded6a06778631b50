package snmp_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/snmp"
	"github.com/wardops/wardops/testinfra/testenv"
)

var loopback = netip.MustParseAddr("127.0.0.1")

func v3Settings(user string, level snmp.SecurityLevel, auth snmp.AuthProtocol, authPass string, priv snmp.PrivProtocol, privPass string) snmp.Settings {
	s := snmp.Settings{Version: snmp.Version3, Username: user, SecurityLevel: level, AuthProtocol: auth,
		AuthPassword: snmp.NewSecret(authPass), Timeout: time.Second, Retries: 0}
	if level == snmp.AuthPriv {
		s.PrivProtocol, s.PrivPassword = priv, snmp.NewSecret(privPass)
	}
	return s
}

// TestPollSNMPD polls a real net-snmp agent with v2c and every v3 user of its configuration.
func TestPollSNMPD(t *testing.T) {
	agent := testenv.NewSNMPD(t)
	tests := []struct {
		name string
		set  snmp.Settings
	}{
		{"v2c", snmp.Settings{Version: snmp.Version2c, Community: snmp.NewSecret(testenv.SNMPDCommunity), Timeout: time.Second}},
		{"v3 authPriv SHA-256/AES", v3Settings(testenv.SNMPDUser, snmp.AuthPriv, snmp.AuthSHA256, testenv.SNMPDAuthPass, snmp.PrivAES, testenv.SNMPDPrivPass)},
		{"v3 authPriv SHA-512/AES-256", v3Settings(testenv.SNMPDUser256, snmp.AuthPriv, snmp.AuthSHA512, testenv.SNMPDAuthPass, snmp.PrivAES256, testenv.SNMPDPrivPass)},
		{"v3 authNoPriv SHA", v3Settings(testenv.SNMPDAuthUser, snmp.AuthNoPriv, snmp.AuthSHA, testenv.SNMPDAuthPass, "", "")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := tc.set
			set.Port = agent.Port
			if err := set.Validate(); err != nil {
				t.Fatalf("test settings invalid: %v", err)
			}
			r, err := snmp.NewPoller().Poll(testenv.Ctx(t, 30*time.Second), snmp.TargetFor(loopback, set), nil)
			if err != nil {
				t.Fatalf("poll: %v", err)
			}
			if r.SysName != "wardops-test-snmpd" || r.SysUpTime == 0 || !strings.HasPrefix(r.SysObjectID, "1.3.6.1.4.1.8072.") {
				t.Errorf("system group: name %q uptime %d object id %q", r.SysName, r.SysUpTime, r.SysObjectID)
			}
			if !r.HasHostUpTime {
				t.Errorf("net-snmp has hrSystemUptime, the reading has none")
			}
			var lo *snmp.IfReading
			for i := range r.Interfaces {
				if r.Interfaces[i].Name == "lo" {
					lo = &r.Interfaces[i]
				}
			}
			if lo == nil || lo.OperStatus != snmp.IfUp || lo.InOctets.Width != 64 {
				t.Errorf("loopback interface missing, down or without HC counters: %+v", lo)
			}
			if r.MemoryPercent == nil || *r.MemoryPercent <= 0 {
				t.Errorf("memory percent = %v, want > 0 from hrStorageRam", r.MemoryPercent)
			}
		})
	}
}

// TestPollErrorsAreClear checks that each kind of failure reads as what it is.
func TestPollErrorsAreClear(t *testing.T) {
	agent := testenv.NewSNMPD(t)
	hole := testenv.NewBlackhole(t)
	good := v3Settings(testenv.SNMPDUser, snmp.AuthPriv, snmp.AuthSHA256, testenv.SNMPDAuthPass, snmp.PrivAES, testenv.SNMPDPrivPass)
	mod := func(f func(*snmp.Settings)) snmp.Settings { s := good; s.Port = agent.Port; f(&s); return s }
	tests := []struct {
		name     string
		set      snmp.Settings
		want     error
		contains string
	}{
		{"wrong community times out and says why", snmp.Settings{Version: snmp.Version2c, Community: snmp.NewSecret("not-the-community"),
			Port: agent.Port, Timeout: 300 * time.Millisecond}, snmp.ErrTimeout, "a wrong community also times out"},
		{"wrong v3 auth password", mod(func(s *snmp.Settings) { s.AuthPassword = snmp.NewSecret("wrong-auth-pass") }), snmp.ErrAuthFailure,
			`rejected the authentication password or protocol of user "wardops"`},
		{"wrong v3 auth protocol", mod(func(s *snmp.Settings) { s.AuthProtocol = snmp.AuthSHA }), snmp.ErrAuthFailure, "authentication password"},
		{"unknown v3 user", mod(func(s *snmp.Settings) { s.Username = "nobody-here" }), snmp.ErrUnknownUser, `does not know user "nobody-here"`},
		{"wrong v3 privacy password", mod(func(s *snmp.Settings) {
			s.PrivPassword = snmp.NewSecret("wrong-priv-pass")
			s.Timeout = 300 * time.Millisecond
		}),
			snmp.ErrTimeout, "a wrong privacy password also times out"},
		{"agent that never answers", snmp.Settings{Version: snmp.Version2c, Community: snmp.NewSecret("public"), Port: hole.Port,
			Timeout: 200 * time.Millisecond, Retries: 1}, snmp.ErrTimeout, "within 2 attempt(s) of 200ms"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := snmp.NewPoller().Poll(testenv.Ctx(t, 30*time.Second), snmp.TargetFor(loopback, tc.set), nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not say %q", err, tc.contains)
			}
		})
	}
	if got := hole.Received(); got != 2 {
		t.Errorf("the silent agent received %d requests, want 2 (one request, one retry, then give up)", got)
	}
}

// TestPollClosedPortIsRefused: nothing listening on a loopback port answers ICMP port
// unreachable, which is not a timeout.
func TestPollClosedPortIsRefused(t *testing.T) {
	port := testenv.FreeUDPPort(t)
	set := snmp.Settings{Version: snmp.Version2c, Community: snmp.NewSecret("public"), Port: port, Timeout: time.Second}
	_, err := snmp.NewPoller().Poll(context.Background(), snmp.TargetFor(loopback, set), nil)
	if !errors.Is(err, snmp.ErrRefused) {
		t.Fatalf("error = %v, want ErrRefused", err)
	}
}
