package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/wardops/wardops/pkg/alert"
)

// EmailSender sends the message over SMTP: STARTTLS when the channel requires it, AUTH PLAIN
// when it has a username (net/smtp refuses PLAIN over an unencrypted link except to localhost).
type EmailSender struct {
	// Hello is the EHLO name (default "wardops").
	Hello string
	// Policy decides which SMTP servers may be reached (nil: the default policy).
	Policy *DestinationPolicy
}

// smtpPort is the channel's port, or 587 with STARTTLS, else 25.
func smtpPort(cfg Config) int {
	switch {
	case cfg.Port != 0:
		return cfg.Port
	case cfg.StartTLS:
		return 587
	}
	return 25
}

// Send implements Sender. The whole SMTP conversation is bounded by ctx's deadline.
func (e *EmailSender) Send(ctx context.Context, ch *Channel, sec Secrets, msg *alert.Message) error {
	cfg := ch.Config
	conn, err := e.Policy.DialContext(ctx, "tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(smtpPort(cfg))))
	if err != nil {
		if errors.Is(err, ErrDestinationDenied) {
			return &PermanentError{fmt.Errorf("connect to SMTP server: %w", err)}
		}
		return fmt.Errorf("connect to SMTP server: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) }) // cancellation ends a blocked read
	defer stop()
	c, err := smtp.NewClient(conn, cfg.Host)
	if err != nil {
		return smtpErr("greeting", err)
	}
	defer c.Close()
	if err := e.converse(c, &cfg, sec, msg); err != nil {
		return err
	}
	return nil
}

func (e *EmailSender) converse(c *smtp.Client, cfg *Config, sec Secrets, msg *alert.Message) error {
	hello := e.Hello
	if hello == "" {
		hello = "wardops"
	}
	if err := c.Hello(hello); err != nil {
		return smtpErr("EHLO", err)
	}
	if cfg.StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return &PermanentError{errors.New("SMTP server does not offer STARTTLS, which the channel requires")}
		}
		tc := &tls.Config{ServerName: cfg.Host, InsecureSkipVerify: cfg.TLSSkipVerify, MinVersion: tls.VersionTLS12} //nolint:gosec // opt-in per channel
		if err := c.StartTLS(tc); err != nil {
			return smtpErr("STARTTLS", err)
		}
	}
	if cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", cfg.Username, sec.Password, cfg.Host)); err != nil {
			return smtpErr("AUTH", err)
		}
	}
	if err := c.Mail(cfg.From); err != nil {
		return smtpErr("MAIL FROM", err)
	}
	for _, to := range cfg.To {
		if err := c.Rcpt(to); err != nil {
			return smtpErr("RCPT TO "+to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return smtpErr("DATA", err)
	}
	if _, err := w.Write(composeEmail(cfg, msg)); err != nil {
		return smtpErr("DATA", err)
	}
	if err := w.Close(); err != nil {
		return smtpErr("end of DATA", err)
	}
	_ = c.Quit() // the message is accepted; a failed QUIT changes nothing
	return nil
}

// smtpErr names the step; a 5xx reply is permanent. A line that is not an SMTP reply is not
// quoted (the server may be anything that talks first: its banner stays out of the log).
func smtpErr(step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return &PermanentError{fmt.Errorf("SMTP %s: %w", step, err)}
	}
	var pe textproto.ProtocolError
	if errors.As(err, &pe) {
		return fmt.Errorf("SMTP %s: the server's answer is not an SMTP reply", step)
	}
	return fmt.Errorf("SMTP %s: %w", step, err)
}

// composeEmail builds a text/plain UTF-8 message, quoted-printable, with a Q-encoded subject.
func composeEmail(cfg *Config, msg *alert.Message) []byte {
	var b bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", cfg.From)
	hdr("To", strings.Join(cfg.To, ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", msg.Title()))
	hdr("Date", msg.At.UTC().Format(time.RFC1123Z))
	if msg.DeliveryKey != "" {
		hdr("Message-ID", "<"+msg.DeliveryKey+"@wardops>")
		hdr(HeaderDelivery, msg.DeliveryKey)
	}
	hdr(HeaderEvent, msg.Event)
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(strings.ReplaceAll(msg.Text(), "\n", "\r\n")))
	_ = qp.Close()
	return b.Bytes()
}
