package notifytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Mail is one message the SMTP server accepted.
type Mail struct {
	From string
	To   []string
	// Data is the message as sent (headers and body, dot-unstuffed).
	Data string
	// TLS says the message came over STARTTLS; User is the AUTH PLAIN user ("" without auth).
	TLS  bool
	User string
}

// SMTPOptions shape the server.
type SMTPOptions struct {
	// StartTLS offers STARTTLS with a self-signed certificate for 127.0.0.1.
	StartTLS bool
	// User and Password, when set, are the only AUTH PLAIN credentials accepted; MAIL is
	// refused before AUTH.
	User, Password string
}

// SMTPServer is an SMTP server on 127.0.0.1 that records accepted messages.
type SMTPServer struct {
	Host string
	Port int
	opts SMTPOptions
	tls  *tls.Config
	ln   net.Listener
	mu   sync.Mutex
	msgs []Mail
	wake chan struct{}
}

// NewSMTPServer starts a server; it stops when the test ends.
func NewSMTPServer(t testing.TB, opts SMTPOptions) *SMTPServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen for test SMTP server: %v", err)
	}
	s := &SMTPServer{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, opts: opts, ln: ln, wake: make(chan struct{}, 1)}
	if opts.StartTLS {
		s.tls = selfSigned(t)
	}
	go s.serve()
	t.Cleanup(func() { _ = ln.Close() })
	return s
}

// Messages returns the messages accepted so far.
func (s *SMTPServer) Messages() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.msgs...)
}

// Wait returns the messages once there are at least n, or what there is after timeout.
func (s *SMTPServer) Wait(n int, timeout time.Duration) []Mail {
	deadline := time.After(timeout)
	for {
		if m := s.Messages(); len(m) >= n {
			return m
		}
		select {
		case <-s.wake:
		case <-deadline:
			return s.Messages()
		}
	}
}

func (s *SMTPServer) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.session(c)
	}
}

// session is one SMTP conversation.
type session struct {
	s     *SMTPServer
	conn  net.Conn
	tp    *textproto.Conn
	tls   bool
	user  string
	from  string
	rcpts []string
}

func (s *SMTPServer) session(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	ss := &session{s: s, conn: c, tp: textproto.NewConn(c)}
	_ = ss.tp.PrintfLine("220 notifytest ESMTP")
	for {
		line, err := ss.tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		if !ss.handle(strings.ToUpper(verb), arg) {
			return
		}
	}
}

// handle answers one command; false ends the session.
func (ss *session) handle(verb, arg string) bool {
	p := ss.tp.PrintfLine
	switch verb {
	case "EHLO", "HELO":
		ss.ehlo()
	case "STARTTLS":
		return ss.startTLS()
	case "AUTH":
		ss.auth(arg)
	case "MAIL":
		if ss.s.opts.User != "" && ss.user == "" {
			_ = p("530 authentication required")
			break
		}
		ss.from, ss.rcpts = addr(arg), nil
		_ = p("250 OK")
	case "RCPT":
		ss.rcpts = append(ss.rcpts, addr(arg))
		_ = p("250 OK")
	case "DATA":
		ss.data()
	case "RSET", "NOOP":
		_ = p("250 OK")
	case "QUIT":
		_ = p("221 bye")
		return false
	default:
		_ = p("502 command not implemented")
	}
	return true
}

func (ss *session) ehlo() {
	lines := []string{"notifytest", "8BITMIME"}
	if ss.s.tls != nil && !ss.tls {
		lines = append(lines, "STARTTLS")
	}
	if ss.s.opts.User != "" {
		lines = append(lines, "AUTH PLAIN")
	}
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		_ = ss.tp.PrintfLine("250%s%s", sep, l)
	}
}

func (ss *session) startTLS() bool {
	if ss.s.tls == nil || ss.tls {
		_ = ss.tp.PrintfLine("454 TLS not available")
		return true
	}
	_ = ss.tp.PrintfLine("220 ready to start TLS")
	tc := tls.Server(ss.conn, ss.s.tls)
	if err := tc.Handshake(); err != nil {
		return false
	}
	ss.conn, ss.tp, ss.tls = tc, textproto.NewConn(tc), true
	return true
}

func (ss *session) auth(arg string) {
	mech, b64, _ := strings.Cut(arg, " ")
	raw, err := base64.StdEncoding.DecodeString(b64)
	parts := strings.Split(string(raw), "\x00")
	if strings.ToUpper(mech) != "PLAIN" || err != nil || len(parts) != 3 ||
		parts[1] != ss.s.opts.User || parts[2] != ss.s.opts.Password {
		_ = ss.tp.PrintfLine("535 authentication failed")
		return
	}
	ss.user = parts[1]
	_ = ss.tp.PrintfLine("235 authenticated")
}

func (ss *session) data() {
	_ = ss.tp.PrintfLine("354 end with <CRLF>.<CRLF>")
	body, err := ss.tp.ReadDotBytes()
	if err != nil {
		return
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, Mail{From: ss.from, To: ss.rcpts, Data: string(body), TLS: ss.tls, User: ss.user})
	ss.s.mu.Unlock()
	select {
	case ss.s.wake <- struct{}{}:
	default:
	}
	_ = ss.tp.PrintfLine("250 queued as %s", strconv.Itoa(len(body)))
}

// addr extracts the address of "FROM:<a@b>" / "TO:<a@b>".
func addr(arg string) string {
	if i, j := strings.Index(arg, "<"), strings.Index(arg, ">"); i >= 0 && j > i {
		return arg[i+1 : j]
	}
	return arg
}

func selfSigned(t testing.TB) *tls.Config {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "notifytest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("create certificate: %v", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
}
