package snmp

import (
	"context"
	"net"
	"net/netip"
	"strconv"

	"github.com/gosnmp/gosnmp"
)

// Target is one agent to poll: where, and with which settings.
type Target struct {
	// Host is the agent address: the settings' host override, else the device IP.
	Host string
	// Settings are the credentials and polling parameters (secrets revealed).
	Settings Settings
}

// TargetFor builds the target of a device: the settings' Host when set, else ip.
func TargetFor(ip netip.Addr, s Settings) Target {
	host := s.Host
	if host == "" && ip.IsValid() {
		host = ip.String()
	}
	return Target{Host: host, Settings: s.WithDefaults()}
}

// Address is host:port, for messages.
func (t Target) Address() string {
	port := t.Settings.Port
	if port == 0 {
		port = DefaultPort
	}
	return net.JoinHostPort(t.Host, strconv.Itoa(port))
}

// session is what a poll needs from an SNMP connection; *gosnmp.GoSNMP implements it, a fake
// agent in the tests does too.
type session interface {
	Get(oids []string) (*gosnmp.SnmpPacket, error)
	GetBulk(oids []string, nonRepeaters uint8, maxRepetitions uint32) (*gosnmp.SnmpPacket, error)
	Close() error
}

var _ session = (*gosnmp.GoSNMP)(nil)

// dialer opens a session to a target; ctx bounds every request of the session.
type dialer func(ctx context.Context, t Target) (session, error)

// dialGoSNMP opens one GoSNMP value for one poll: gosnmp is not safe for parallel use, so each
// goroutine has its own. Retries are not exponential, so a dead agent costs exactly
// timeout × (retries+1).
func dialGoSNMP(ctx context.Context, t Target) (session, error) {
	s := t.Settings.WithDefaults()
	if err := s.Validate(); err != nil {
		return nil, &Error{Kind: KindConfig, Detail: "settings of " + t.Address(), Err: err}
	}
	if t.Host == "" {
		return nil, &Error{Kind: KindConfig, Detail: "no target: the device has no IP and the settings no host"}
	}
	g := &gosnmp.GoSNMP{
		Target:         t.Host,
		Port:           uint16(s.Port),
		Transport:      "udp",
		Timeout:        s.Timeout,
		Retries:        s.Retries,
		Context:        ctx,
		MaxOids:        gosnmp.MaxOids,
		MaxRepetitions: uint32(s.MaxRepetitions),
	}
	switch s.Version {
	case Version2c:
		g.Version = gosnmp.Version2c
		g.Community = s.Community.Reveal()
	case Version3:
		g.Version = gosnmp.Version3
		g.SecurityModel = gosnmp.UserSecurityModel
		g.ContextName = s.ContextName
		usm := &gosnmp.UsmSecurityParameters{
			UserName:                 s.Username,
			AuthenticationProtocol:   authProtocols[s.AuthProtocol],
			AuthenticationPassphrase: s.AuthPassword.Reveal(),
			PrivacyProtocol:          gosnmp.NoPriv,
		}
		g.MsgFlags = gosnmp.AuthNoPriv
		if s.SecurityLevel == AuthPriv {
			g.MsgFlags = gosnmp.AuthPriv
			usm.PrivacyProtocol = privProtocols[s.PrivProtocol]
			usm.PrivacyPassphrase = s.PrivPassword.Reveal()
		}
		g.SecurityParameters = usm
	}
	if err := g.Connect(); err != nil {
		return nil, classify(err, t)
	}
	if s.Version == Version3 {
		return newV3Session(g), nil
	}
	return g, nil
}
