package notify_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/notify"
	"github.com/wardops/wardops/pkg/notify/notifytest"
	"github.com/wardops/wardops/testinfra/testenv"
)

func TestParseAllowList(t *testing.T) {
	got, err := notify.ParseAllowList(" 10.200.20.0/24, 10.200.2.3 ,127.0.0.1:9000,[::1]:8080, Hooks.NOC.internal.:8443, relay.bank ,")
	testenv.Must(t, "parse", err)
	want := notify.AllowList{
		Prefixes: []netip.Prefix{netip.MustParsePrefix("10.200.20.0/24"), netip.MustParsePrefix("10.200.2.3/32")},
		Hosts: []notify.HostPort{{Host: "127.0.0.1", Port: 9000}, {Host: "::1", Port: 8080},
			{Host: "hooks.noc.internal", Port: 8443}, {Host: "relay.bank"}},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("allow-list (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"10.200.0.0/33", "host:0", "host:99999", "bad_host!", "-x.bank", "10.200.0.0/16:80", "a..b"} {
		if _, err := notify.ParseAllowList(bad); err == nil {
			t.Errorf("ParseAllowList(%q) accepted", bad)
		}
	}
}

// TestDestinationPolicyCheckHost is the write-time check: address literals and localhost
// names, nothing resolved.
func TestDestinationPolicyCheckHost(t *testing.T) {
	allow, err := notify.ParseAllowList("127.0.0.1:9000,10.200.99.0/24,hooks.noc.internal")
	testenv.Must(t, "allow-list", err)
	tests := []struct {
		name   string
		policy *notify.DestinationPolicy
		host   string
		port   int
		denied bool
	}{
		{"metadata", nil, "169.254.169.254", 80, true},
		{"redis on loopback", nil, "127.0.0.1", 6379, true},
		{"other loopback address", nil, "127.1.2.3", 80, true},
		{"ipv6 loopback", nil, "::1", 80, true},
		{"ipv6 loopback in brackets", nil, "[::1]", 80, true},
		{"mapped loopback", nil, "::ffff:127.0.0.1", 80, true},
		{"ipv6 link-local with zone", nil, "fe80::1%eth0", 80, true},
		{"unspecified", nil, "0.0.0.0", 80, true},
		{"this network", nil, "0.1.2.3", 80, true},
		{"multicast", nil, "224.0.0.1", 80, true},
		{"broadcast", nil, "255.255.255.255", 80, true},
		{"localhost name", nil, "localhost", 80, true},
		{"localhost subdomain", nil, "api.LOCALHOST.", 80, true},
		{"rfc1918 10/8", nil, "10.200.2.3", 443, false},
		{"rfc1918 192.168/16", nil, "192.168.1.10", 443, false},
		{"rfc1918 172.16/12", nil, "172.16.5.5", 443, false},
		{"unique-local ipv6", nil, "fd00::1", 443, false},
		{"a name (checked when dialled)", nil, "hooks.example", 443, false},
		{"allowed receiver on its port", notify.NewDestinationPolicy(allow), "127.0.0.1", 9000, false},
		{"allowed receiver, other port", notify.NewDestinationPolicy(allow), "127.0.0.1", 6379, true},
		{"allowed prefix does not cover loopback", notify.NewDestinationPolicy(allow), "127.0.0.2", 9000, true},
		{"metadata stays denied with an allow-list", notify.NewDestinationPolicy(allow), "169.254.169.254", 80, true},
		{"a local mail relay listed by name", mustPolicy(t, "localhost:25"), "localhost", 25, false},
		{"a local mail relay listed by name, other port", mustPolicy(t, "localhost:25"), "localhost", 587, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.policy.CheckHost(tc.host, tc.port)
			if got := errors.Is(err, notify.ErrDestinationDenied); got != tc.denied {
				t.Errorf("CheckHost(%s, %d) = %v, want denied %v", tc.host, tc.port, err, tc.denied)
			}
		})
	}
}

// TestWriteRefusesDeniedDestinations: a channel naming a denied address is refused with a
// field error at write time, without anything being sent (no sender is even reachable).
func TestWriteRefusesDeniedDestinations(t *testing.T) {
	f := newFixture(t)
	sent := &countingSender{}
	svc := notify.NewService(notify.ServiceParams{Channels: f.st, Deliveries: f.st, Sealer: f.box,
		Senders: notify.Senders{notify.TypeWebhook: sent, notify.TypeSlack: sent, notify.TypeTelegram: sent, notify.TypeEmail: sent}})
	tests := []struct {
		name  string
		in    notify.ChannelInput
		field string
	}{
		{"webhook to the metadata address", notify.ChannelInput{Name: ptr("m"), Type: ptr(notify.TypeWebhook),
			Config: &notify.Config{URL: "http://169.254.169.254/latest/meta-data/iam/security-credentials/"}}, "config.url"},
		{"webhook to redis on loopback", notify.ChannelInput{Name: ptr("r"), Type: ptr(notify.TypeWebhook),
			Config: &notify.Config{URL: "http://127.0.0.1:6379/"}}, "config.url"},
		{"webhook to localhost", notify.ChannelInput{Name: ptr("l"), Type: ptr(notify.TypeWebhook),
			Config: &notify.Config{URL: "http://localhost:8080/x"}}, "config.url"},
		{"slack to ipv6 link-local", notify.ChannelInput{Name: ptr("s"), Type: ptr(notify.TypeSlack),
			Secrets: &notify.Secrets{WebhookURL: "https://[fe80::1]/services/T/B/x"}}, "secrets.webhook_url"},
		{"telegram api base on loopback", notify.ChannelInput{Name: ptr("t"), Type: ptr(notify.TypeTelegram),
			Config: &notify.Config{ChatID: "1", APIBase: "http://127.0.0.1:8081"}, Secrets: &notify.Secrets{BotToken: "1:x"}}, "config.api_base"},
		{"smtp on loopback", notify.ChannelInput{Name: ptr("e"), Type: ptr(notify.TypeEmail),
			Config: &notify.Config{Host: "127.0.0.1", From: "a@b.test", To: []string{"c@d.test"}}}, "config.host"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Create(t.Context(), tc.in)
			var fe *alert.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(fe.Message, notify.ErrDestinationDenied.Error()) {
				t.Fatalf("error = %v, want a destination refusal on %q", err, tc.field)
			}
		})
	}
	chs, err := f.st.ListChannels(t.Context())
	testenv.Must(t, "list", err)
	if len(chs) != 0 || sent.n.Load() != 0 {
		t.Errorf("%d channels stored, %d sends, want none", len(chs), sent.n.Load())
	}
	// an update that moves a stored channel to a denied address is refused too
	ok, err := notify.NewService(notify.ServiceParams{Channels: f.st, Deliveries: f.st, Sealer: f.box}).Create(t.Context(),
		notify.ChannelInput{Name: ptr("ok"), Type: ptr(notify.TypeWebhook), Config: &notify.Config{URL: "https://10.200.2.3/hook"}, Enabled: ptr(false)})
	testenv.Must(t, "create a private-address webhook", err)
	_, err = svc.Update(t.Context(), ok.ID, notify.ChannelInput{Config: &notify.Config{URL: "http://169.254.169.254/"}})
	if err == nil || !strings.Contains(err.Error(), notify.ErrDestinationDenied.Error()) {
		t.Errorf("update to the metadata address: %v, want refused", err)
	}
	// a channel stored before (here: through a policy that allowed it) keeps its destination
	// through other changes, so it can still be disabled; moving it to another denied one fails
	old, err := f.svc.Create(t.Context(), notify.ChannelInput{Name: ptr("old"), Type: ptr(notify.TypeWebhook),
		Config: &notify.Config{URL: "http://127.0.0.1:9/x"}})
	testenv.Must(t, "create through the loopback policy", err)
	_, err = svc.Update(t.Context(), old.ID, notify.ChannelInput{Enabled: ptr(false)})
	testenv.Must(t, "disable a channel whose destination is now denied", err)
	if _, err = svc.Update(t.Context(), old.ID, notify.ChannelInput{Config: &notify.Config{URL: "http://127.0.0.1:6379/"}}); err == nil {
		t.Error("moving it to another denied destination was accepted")
	}
}

func mustPolicy(t *testing.T, allow string) *notify.DestinationPolicy {
	a, err := notify.ParseAllowList(allow)
	testenv.Must(t, "allow-list", err)
	return notify.NewDestinationPolicy(a)
}

type countingSender struct{ n atomic.Int64 }

func (c *countingSender) Send(context.Context, *notify.Channel, notify.Secrets, *alert.Message) error {
	c.n.Add(1)
	return nil
}

// counter is a loopback HTTP handler that counts its requests.
func counter(t *testing.T, status int, body string, header http.Header) (*httptest.Server, *atomic.Int64) {
	n := &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, n
}

func hostPort(srv *httptest.Server) string { return strings.TrimPrefix(srv.URL, "http://") }

// TestSendTimeDialerCheck: at send time the dialer refuses a loopback receiver that is not on
// the allow-list (another loopback receiver is), whether named by address or by a name that
// resolves to it; the receiver sees no request.
func TestSendTimeDialerCheck(t *testing.T) {
	listed, listedN := counter(t, http.StatusOK, "", nil)
	unlisted, unlistedN := counter(t, http.StatusOK, "", nil)
	allow, err := notify.ParseAllowList(hostPort(listed) + ",127.0.0.2")
	testenv.Must(t, "allow-list", err)
	policy := notify.NewDestinationPolicy(allow)
	// made-up names resolve here, without DNS: one straight to loopback, one to an allowed
	// address and a denied one (any denied address denies the host; every address is on
	// loopback, so that even a broken policy sends nowhere else)
	notify.SetLookup(policy, func(_ context.Context, _, host string) ([]netip.Addr, error) {
		switch host {
		case "rebind.test":
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		case "mixed.test":
			return []netip.Addr{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.1")}, nil
		}
		return nil, errors.New("no such host")
	})
	port := unlisted.URL[strings.LastIndexByte(unlisted.URL, ':'):]
	sender := &notify.WebhookSender{Client: policy.HTTPClient()}
	for _, target := range []string{unlisted.URL + "/hook", "http://rebind.test" + port + "/hook", "http://mixed.test" + port + "/hook"} {
		ch := notify.Channel{Type: notify.TypeWebhook, Config: notify.Config{URL: target, TimeoutMS: 2000}}
		err := send(t, sender, ch, notify.Secrets{})
		if !errors.Is(err, notify.ErrDestinationDenied) || !notify.IsPermanent(err) {
			t.Errorf("send to %s: %v, want a permanent policy refusal", target, err)
		}
	}
	// email goes through the same dialer
	err = send(t, &notify.EmailSender{Policy: policy}, notify.Channel{Type: notify.TypeEmail, Config: notify.Config{
		Host: "127.0.0.1", Port: unlisted.Listener.Addr().(*net.TCPAddr).Port,
		From: "a@b.test", To: []string{"c@d.test"}, TimeoutMS: 2000}}, notify.Secrets{})
	if !errors.Is(err, notify.ErrDestinationDenied) {
		t.Errorf("email to an unlisted loopback port: %v, want refused", err)
	}
	if n := unlistedN.Load(); n != 0 {
		t.Errorf("the unlisted receiver saw %d requests, want 0", n)
	}
	// the listed one is reachable through the same policy
	ch := notify.Channel{Type: notify.TypeWebhook, Config: notify.Config{URL: listed.URL + "/hook"}}
	testenv.Must(t, "send to the listed receiver", send(t, sender, ch, notify.Secrets{}))
	if listedN.Load() != 1 {
		t.Errorf("the listed receiver saw %d requests, want 1", listedN.Load())
	}
}

// TestControlChecksTheConnectedAddress: the dialer's Control hook refuses the address a socket
// is about to connect to, whatever name it was reached by (a second DNS answer swapping in the
// metadata address is caught there).
func TestControlChecksTheConnectedAddress(t *testing.T) {
	allow, err := notify.ParseAllowList("hooks.noc.internal:8443")
	testenv.Must(t, "allow-list", err)
	p := notify.NewDestinationPolicy(allow)
	for _, tc := range []struct {
		host, addr string
		denied     bool
	}{
		{"hooks.example", "169.254.169.254:80", true},
		{"hooks.example", "[::1]:443", true},
		{"hooks.example", "10.200.2.3:443", false},
		{"hooks.noc.internal", "127.0.0.1:8443", false},
		{"hooks.noc.internal", "127.0.0.1:6379", true},
	} {
		err := notify.Control(p, tc.host, tc.addr)
		if errors.Is(err, notify.ErrDestinationDenied) != tc.denied {
			t.Errorf("connect to %s for %s: %v, want denied %v", tc.addr, tc.host, err, tc.denied)
		}
	}
}

// TestRedirectsAreNotFollowed: a receiver answering 302 to another loopback handler is a
// failed delivery; the handler it points to gets no request.
func TestRedirectsAreNotFollowed(t *testing.T) {
	target, targetN := counter(t, http.StatusOK, "", nil)
	redirector, _ := counter(t, http.StatusFound, "", http.Header{"Location": {target.URL + "/internal-secret"}})
	for name, s := range map[string]notify.Sender{
		"webhook": notify.DefaultSenders(notifytest.AllowLoopback())[notify.TypeWebhook],
		// a sender given a client that follows redirects still does not
		"webhook with a redirect-following client": &notify.WebhookSender{Client: http.DefaultClient},
	} {
		ch := notify.Channel{Type: notify.TypeWebhook, Config: notify.Config{URL: redirector.URL + "/hook"}}
		err := send(t, s, ch, notify.Secrets{})
		if err == nil || err.Error() != "redirect not followed (302 Found)" || !notify.IsPermanent(err) {
			t.Errorf("%s: error = %v, want a permanent \"redirect not followed (302 Found)\"", name, err)
		}
	}
	if n := targetN.Load(); n != 0 {
		t.Errorf("the redirect's target saw %d requests, want 0", n)
	}
}

// TestLastErrorIsTheStatusLine: a 500 whose body (and reason phrase) carry data is logged as
// exactly "HTTP 500 Internal Server Error" in the delivery's last_error.
func TestLastErrorIsTheStatusLine(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// a made-up reason phrase, written by hand: it must not be echoed either
		rc := http.NewResponseController(w)
		conn, buf, err := rc.Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = buf.WriteString("HTTP/1.1 500 SECRET-REASON\r\nContent-Length: 27\r\nConnection: close\r\n\r\nSECRET=aws-key-AKIA0123456")
		_ = buf.Flush()
	}))
	t.Cleanup(srv.Close)
	ch, err := f.svc.Create(t.Context(), notify.ChannelInput{Name: ptr("h500"), Type: ptr(notify.TypeWebhook),
		Config: &notify.Config{URL: srv.URL + "/hook"}})
	testenv.Must(t, "create", err)
	d, err := f.svc.SendTest(t.Context(), ch.ID)
	testenv.Must(t, "send test", err)
	const want = "HTTP 500 Internal Server Error"
	if d.State != notify.DeliveryFailed || d.LastError != want {
		t.Errorf("test delivery: state %s, last_error %q, want failed with %q", d.State, d.LastError, want)
	}
	f.delivery(t, "k-500", ch.ID)
	_ = f.handler.ProcessTask(t.Context(), asynqTask("k-500"))
	if got := f.deliveryRow(t, "k-500").LastError; got != want {
		t.Errorf("delivery last_error = %q, want %q", got, want)
	}
}
