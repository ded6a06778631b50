package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v5"
	"golang.org/x/sync/singleflight"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/store"
)

// The "standalone list" is GET /api/v1/devices/standalone/list (SPEC.md's contract, kept from
// the system WardOps replaces): every live device of the caller's scope with its latest status,
// in one unpaged answer, in a compact row shape (store.StandaloneRow). The dashboard's fleet
// views and outside tools load it once and then follow the live stream (SSE); it is built from
// one query, cached for every caller, gzipped once, and filtered per scope here.

// standaloneTTL is how long one built standalone list is served as fresh at least. Statuses
// change once per ping cycle (30 s) and the dashboard gets changes live over SSE, so a second of
// reuse costs nothing in freshness and turns a burst of requests into one query.
const standaloneTTL = time.Second

// A list that took long to build is fresh for standaloneBuildFactor times its build time (up to
// standaloneMaxTTL), so that steady traffic keeps the API rebuilding at most a quarter of the
// time: at 100,000 devices a build is a few hundred milliseconds of a core.
const (
	standaloneBuildFactor = 4
	standaloneMaxTTL      = 10 * time.Second
)

// standaloneMaxStale is how old a list may be and still be answered at once while a newer one
// is built in the background. At 100,000 devices a build (query, encoding, gzip) takes a few
// hundred milliseconds; without this every request arriving during a build waited for it.
const standaloneMaxStale = 30 * time.Second

// listSnap is one built standalone list: the whole fleet's rows, encoded and gzipped. It is
// shared by every caller and never changed after the build.
type listSnap struct {
	rows  []store.StandaloneRow
	plain []byte
	gz    []byte
	gen   uint64 // build number, set by the cache
}

// listCache holds the last standalone list. It always holds the whole fleet: a scoped caller's
// list is cut from it per request (scopedList), never cached in its place.
type listCache struct {
	// load builds the list; ctx is never cancelled by a client.
	load  func(ctx context.Context) (listSnap, error)
	group singleflight.Group
	mu    sync.Mutex
	built time.Time
	took  time.Duration // how long the last build took
	snap  listSnap
	gen   uint64
}

func (lc *listCache) get(ctx context.Context) (listSnap, error) {
	snap, _, err := lc.getAged(ctx)
	return snap, err
}

// getAged is get with the time the list answered was built.
func (lc *listCache) getAged(ctx context.Context) (listSnap, time.Time, error) {
	lc.mu.Lock()
	age := time.Since(lc.built)
	fresh := max(standaloneTTL, min(standaloneBuildFactor*lc.took, standaloneMaxTTL))
	snap, built := lc.snap, lc.built
	lc.mu.Unlock()
	switch {
	case snap.plain != nil && age < fresh:
		return snap, built, nil
	case snap.plain != nil && age < standaloneMaxStale:
		lc.group.DoChan("list", lc.rebuild) // stale-while-revalidate: nobody waits for the build
		return snap, built, nil
	}
	if _, err, _ := lc.group.Do("list", lc.rebuild); err != nil {
		return listSnap{}, time.Time{}, err
	}
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return lc.snap, lc.built, nil
}

func (lc *listCache) rebuild() (any, error) {
	start := time.Now()
	snap, err := lc.load(context.Background())
	if err != nil {
		return nil, err
	}
	lc.mu.Lock()
	lc.gen++
	snap.gen = lc.gen
	lc.snap, lc.built, lc.took = snap, time.Now(), time.Since(start)
	lc.mu.Unlock()
	return nil, nil
}

// loadStandalone reads, encodes and gzips the list.
func loadStandalone(st *store.Store) func(context.Context) (listSnap, error) {
	return func(ctx context.Context) (listSnap, error) {
		rows, err := st.StandaloneList(ctx)
		if err != nil {
			return listSnap{}, err
		}
		p := encodeStandalone(rows)
		return listSnap{rows: rows, plain: p, gz: gzipBytes(p)}, nil
	}
}

func gzipBytes(p []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	_, _ = zw.Write(p)
	_ = zw.Close()
	return buf.Bytes()
}

// scopedList encodes the devices of snap inside sc (count included), leaving snap untouched.
func scopedList(snap listSnap, sc auth.Scope) (plain, gz []byte) {
	mine := make([]store.StandaloneRow, 0, 64)
	for i := range snap.rows {
		if sc.Contains(snap.rows[i].Region, snap.rows[i].Branch) {
			mine = append(mine, snap.rows[i])
		}
	}
	plain = encodeStandalone(mine)
	return plain, gzipBytes(plain)
}

// maxScopedCuts bounds the scoped lists kept per build (one per distinct scope in use).
const maxScopedCuts = 256

// scopedCuts keeps each scope's cut of the current build, so that scoped dashboards cost one cut
// per scope and build, like the whole list costs one build; a newer build drops them all. It
// is derived from the shared list and never written back into it.
type scopedCuts struct {
	mu   sync.Mutex
	gen  uint64
	cuts map[string][2][]byte
}

func (sc *scopedCuts) get(snap listSnap, scope auth.Scope) (plain, gz []byte) {
	key := strings.Join(scope.Regions, "\x1f") + "\x1e" + strings.Join(scope.Branches, "\x1f")
	sc.mu.Lock()
	if sc.gen != snap.gen || len(sc.cuts) >= maxScopedCuts {
		sc.gen, sc.cuts = snap.gen, map[string][2][]byte{}
	}
	c, ok := sc.cuts[key]
	sc.mu.Unlock()
	if ok {
		return c[0], c[1]
	}
	plain, gz = scopedList(snap, scope)
	sc.mu.Lock()
	if sc.gen == snap.gen {
		sc.cuts[key] = [2][]byte{plain, gz}
	}
	sc.mu.Unlock()
	return plain, gz
}

// standaloneList serves every device with its latest status (the original system's endpoint),
// gzipped when the client accepts it; a scoped caller gets the devices of its scope. Age says
// how old the list is in seconds (RFC 9111): the dashboard asks again shortly for a list served
// stale while a newer one is built, and keeps, per device, the newer of a row and a live event
// by their status version.
func (s *Server) standaloneList(c *echo.Context) error {
	sc, err := callerScope(c)
	if err != nil {
		return err
	}
	snap, built, err := s.list.getAged(c.Request().Context())
	if err != nil {
		return err
	}
	wantGzip := strings.Contains(c.Request().Header.Get("Accept-Encoding"), "gzip")
	plain, gz := snap.plain, snap.gz
	if !sc.All() {
		plain, gz = s.cuts.get(snap, sc)
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("Age", strconv.Itoa(int(time.Since(built)/time.Second)))
	h.Add("Vary", "Accept-Encoding")
	if wantGzip {
		h.Set("Content-Encoding", "gzip")
		return c.Blob(http.StatusOK, "application/json", gz)
	}
	return c.Blob(http.StatusOK, "application/json", plain)
}

// encodeStandalone writes {"devices":[…],"count":N} by hand: at 100,000 devices reflection-
// based encoding dominated the request.
func encodeStandalone(rows []store.StandaloneRow) []byte {
	b := make([]byte, 0, 64+len(rows)*260)
	b = append(b, `{"devices":[`...)
	for i := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendStandaloneRow(b, &rows[i])
	}
	b = append(b, `],"count":`...)
	b = strconv.AppendInt(b, int64(len(rows)), 10)
	return append(b, '}', '\n')
}

func appendStandaloneRow(b []byte, r *store.StandaloneRow) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, r.ID, 10)
	b = appendStr(append(b, `,"name":`...), r.Name)
	b = appendStr(append(b, `,"ip":`...), r.IP)
	b = appendStr(append(b, `,"branch":`...), r.Branch)
	b = appendStr(append(b, `,"region":`...), r.Region)
	b = appendStr(append(b, `,"type":`...), r.Type)
	b = append(b, `,"parent_id":`...)
	if r.ParentID != nil {
		b = strconv.AppendInt(b, *r.ParentID, 10)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"blocked_by":`...)
	if r.BlockedBy != nil {
		b = strconv.AppendInt(b, *r.BlockedBy, 10)
	} else {
		b = append(b, "null"...)
	}
	b = appendStr(append(b, `,"status":`...), string(r.Status))
	b = appendNum(append(b, `,"rtt_ms":`...), r.RTTMS)
	b = appendNum(append(b, `,"loss_pct":`...), r.LossPct)
	b = appendNum(append(b, `,"jitter_ms":`...), r.JitterMS)
	b = append(b, `,"last_seen":`...)
	if r.LastSeen != nil {
		b = appendTime(b, *r.LastSeen)
	} else {
		b = append(b, "null"...)
	}
	b = appendTime(append(b, `,"last_change":`...), r.LastChange)
	b = strconv.AppendInt(append(b, `,"version":`...), r.Version, 10)
	return append(b, '}')
}

func appendNum(b []byte, v *float64) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, *v, 'f', -1, 64)
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendStr appends s as a JSON string, escaping what JSON and HTML-safe output need.
func appendStr(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
