package auth

import (
	"sync"
	"time"
)

// Sign-in admission defaults (pen-test finding 6: 200 unknown-user attempts from 10 addresses
// queued every sign-in behind them on the hashing slots, a legitimate one took 1.55 s).
const (
	// DefaultMaxAttemptsPerAddr bounds the sign-in attempts one client address may have in
	// flight at once; more are refused at once (429, Retry-After 1 s) without hashing anything.
	DefaultMaxAttemptsPerAddr = 2
	// addrBusyRetry is the Retry-After of an attempt refused for the address's in-flight cap.
	addrBusyRetry = time.Second
	// addrTrustPeriod: an address that signed a user in is trusted this long (the NOC's own
	// workstations and its NAT address).
	addrTrustPeriod = 30 * 24 * time.Hour
)

// laneClass sorts sign-in attempts by where they come from (never by the username).
type laneClass int

const (
	// laneTrusted: an address that signed someone in within addrTrustPeriod and has no run of
	// failures; it hashes in the main slots, which no flood from elsewhere can take.
	laneTrusted laneClass = iota
	// laneNew: an address with no history; a quarter of the main slots (at least one).
	laneNew
	// laneSuspect: an address with a run of failures in the throttle window; a quarter of
	// the main slots (at least one).
	laneSuspect
)

// admission decides, before any password hash is computed, whether a sign-in attempt may run
// and in which lane (laneClass). A guessing flood comes from addresses that are new or soon
// suspect, so it waits in the narrow lanes, and users at the NOC's known addresses keep the
// main hashing slots. The lane depends on the address, never on whether the username exists,
// so the time an answer takes does not tell a flood which names are real.
type admission struct {
	mu       sync.Mutex
	inFlight map[string]int
	perAddr  int
	// fresh and suspect are the lanes of laneNew and laneSuspect; laneTrusted's is
	// Service.hashSem.
	fresh, suspect chan struct{}
}

func newAdmission(perAddr, mainSlots int) *admission {
	return &admission{inFlight: map[string]int{}, perAddr: perAddr,
		fresh: make(chan struct{}, max(1, mainSlots/4)), suspect: make(chan struct{}, max(1, mainSlots/4))}
}

// enter counts an attempt of addr in flight; it returns false when the address is at its cap.
// The caller calls leave(addr) when the attempt is over.
func (a *admission) enter(addr string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.inFlight[addr] >= a.perAddr {
		return false
	}
	a.inFlight[addr]++
	return true
}

func (a *admission) leave(addr string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.inFlight[addr] <= 1 {
		delete(a.inFlight, addr)
		return
	}
	a.inFlight[addr]--
}

// lane returns the hashing semaphore of an attempt's class.
func (s *Service) lane(c laneClass) chan struct{} {
	switch c {
	case laneTrusted:
		return s.hashSem
	case laneNew:
		return s.admit.fresh
	}
	return s.admit.suspect
}
