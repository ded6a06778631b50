// Package notifytest runs notification receivers on loopback for tests: a small SMTP server
// (EHLO, optional STARTTLS with a self-signed certificate, AUTH PLAIN, MAIL/RCPT/DATA) and a
// webhook receiver that can fail its first requests. Both record what they accepted.
package notifytest
