package snmp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/gosnmp/gosnmp"
)

// ErrorKind classifies a poll failure for operators and the API ("kind" in JSON).
type ErrorKind string

// Error kinds.
const (
	// KindTimeout: no answer within timeout × (retries+1). For SNMPv2c a wrong community looks
	// exactly like this, because agents drop such requests without answering.
	KindTimeout ErrorKind = "timeout"
	// KindRefused: the target answered with ICMP port unreachable (no agent on that port).
	KindRefused ErrorKind = "refused"
	// KindAuthFailure: SNMPv3 wrong authentication password or protocol (usmStatsWrongDigests).
	KindAuthFailure ErrorKind = "auth_failure"
	// KindDecryption: SNMPv3 wrong privacy password or protocol (usmStatsDecryptionErrors).
	KindDecryption ErrorKind = "decryption_failure"
	// KindUnknownUser: SNMPv3 user not configured on the agent (usmStatsUnknownUserNames).
	KindUnknownUser ErrorKind = "unknown_user"
	// KindSecurityLevel: the agent does not support the security level asked for.
	KindSecurityLevel ErrorKind = "unsupported_security_level"
	// KindAgent: the agent answered with an SNMP error status (noAccess, genErr, ...).
	KindAgent ErrorKind = "agent_error"
	// KindProtocol: the answer broke the protocol (OIDs not increasing, undecodable, ...).
	KindProtocol ErrorKind = "protocol_error"
	// KindConfig: the device's SNMP settings cannot be used (invalid, or secrets cannot be opened).
	KindConfig ErrorKind = "config"
	// KindCanceled: the poll was cut short by its context (task deadline or shutdown).
	KindCanceled ErrorKind = "canceled"
	// KindNetwork: another network error.
	KindNetwork ErrorKind = "network"
)

// Sentinel errors matching each kind with errors.Is.
var (
	ErrTimeout       = &Error{Kind: KindTimeout}
	ErrRefused       = &Error{Kind: KindRefused}
	ErrAuthFailure   = &Error{Kind: KindAuthFailure}
	ErrDecryption    = &Error{Kind: KindDecryption}
	ErrUnknownUser   = &Error{Kind: KindUnknownUser}
	ErrSecurityLevel = &Error{Kind: KindSecurityLevel}
	ErrAgent         = &Error{Kind: KindAgent}
	ErrProtocol      = &Error{Kind: KindProtocol}
	ErrConfig        = &Error{Kind: KindConfig}
	ErrCanceled      = &Error{Kind: KindCanceled}
)

// Error is a classified SNMP failure. errors.Is(err, ErrTimeout) etc. match on Kind.
type Error struct {
	// Kind classifies the failure.
	Kind ErrorKind
	// Detail is a human explanation (includes the target; never a secret).
	Detail string
	// Err is the underlying error, if any.
	Err error
}

func (e *Error) Error() string {
	msg := "snmp " + string(e.Kind)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is matches another *Error of the same kind (the sentinels carry only a kind).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && t.Detail == "" && t.Err == nil
}

// KindOf returns the kind of a classified error, or "" for nil and unclassified errors.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// classify turns a gosnmp/network error into an *Error describing what happened at target.
func classify(err error, t Target) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	where := t.Address()
	switch {
	case errors.Is(err, context.Canceled):
		return &Error{Kind: KindCanceled, Detail: "poll of " + where + " canceled", Err: err}
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return &Error{Kind: KindTimeout, Detail: timeoutDetail(t), Err: err}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &Error{Kind: KindRefused, Detail: "no SNMP agent listening on " + where + " (ICMP port unreachable)", Err: err}
	case errors.Is(err, gosnmp.ErrWrongDigest):
		return &Error{Kind: KindAuthFailure, Detail: "agent " + where + " rejected the authentication password or protocol of user " + q(t.Settings.Username), Err: err}
	case errors.Is(err, gosnmp.ErrDecryption):
		return &Error{Kind: KindDecryption, Detail: "agent " + where + " could not decrypt the request: wrong privacy password or protocol for user " + q(t.Settings.Username), Err: err}
	case errors.Is(err, gosnmp.ErrUnknownUsername):
		return &Error{Kind: KindUnknownUser, Detail: "agent " + where + " does not know user " + q(t.Settings.Username), Err: err}
	case errors.Is(err, gosnmp.ErrUnknownSecurityLevel):
		return &Error{Kind: KindSecurityLevel, Detail: "agent " + where + " does not allow security level " + string(t.Settings.SecurityLevel) + " for user " + q(t.Settings.Username), Err: err}
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return &Error{Kind: KindNetwork, Detail: "talking to " + where, Err: err}
	}
	return &Error{Kind: KindProtocol, Detail: "talking to " + where, Err: err}
}

func isTimeout(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	// gosnmp reports exhausted retries as "request timeout (after N retries)".
	return errors.Is(err, gosnmp.ErrMaxRetriesExceeded) || strings.Contains(err.Error(), "timeout")
}

func timeoutDetail(t Target) string {
	s := fmt.Sprintf("no answer from %s within %d attempt(s) of %s", t.Address(), t.Settings.Retries+1, t.Settings.timeout())
	switch {
	case t.Settings.Version == Version2c:
		s += " (SNMPv2c: a wrong community also times out, agents drop such requests silently)"
	case t.Settings.SecurityLevel == AuthPriv:
		s += " (SNMPv3 authPriv: a wrong privacy password also times out, the agent cannot decrypt the request)"
	}
	return s
}

// agentError reports an SNMP error-status answer.
func agentError(status gosnmp.SNMPError, index uint8, t Target) error {
	return &Error{Kind: KindAgent, Detail: fmt.Sprintf("agent %s answered %s (error index %d)", t.Address(), status, index)}
}

func q(s string) string { return fmt.Sprintf("%q", s) }
