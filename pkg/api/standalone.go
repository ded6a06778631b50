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

	"github.com/wardops/wardops/pkg/store"
)

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

// listCache holds the last standalone list, encoded and gzipped.
type listCache struct {
	// load builds the list (plain JSON and gzipped); ctx is never cancelled by a client.
	load  func(ctx context.Context) (plain, gz []byte, err error)
	group singleflight.Group
	mu    sync.Mutex
	built time.Time
	took  time.Duration // how long the last build took
	plain []byte
	gz    []byte
}

func (lc *listCache) get(ctx context.Context) (plain, gz []byte, err error) {
	plain, gz, _, err = lc.getAged(ctx)
	return plain, gz, err
}

// getAged is get with the time the list answered was built.
func (lc *listCache) getAged(ctx context.Context) (plain, gz []byte, built time.Time, err error) {
	lc.mu.Lock()
	age := time.Since(lc.built)
	fresh := max(standaloneTTL, min(standaloneBuildFactor*lc.took, standaloneMaxTTL))
	plain, gz, built = lc.plain, lc.gz, lc.built
	lc.mu.Unlock()
	switch {
	case plain != nil && age < fresh:
		return plain, gz, built, nil
	case plain != nil && age < standaloneMaxStale:
		lc.group.DoChan("list", lc.rebuild) // stale-while-revalidate: nobody waits for the build
		return plain, gz, built, nil
	}
	if _, err, _ = lc.group.Do("list", lc.rebuild); err != nil {
		return nil, nil, time.Time{}, err
	}
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return lc.plain, lc.gz, lc.built, nil
}

func (lc *listCache) rebuild() (any, error) {
	start := time.Now()
	p, z, err := lc.load(context.Background())
	if err != nil {
		return nil, err
	}
	lc.mu.Lock()
	lc.plain, lc.gz, lc.built, lc.took = p, z, time.Now(), time.Since(start)
	lc.mu.Unlock()
	return nil, nil
}

// loadStandalone reads, encodes and gzips the list.
func loadStandalone(st *store.Store) func(context.Context) ([]byte, []byte, error) {
	return func(ctx context.Context) ([]byte, []byte, error) {
		rows, err := st.StandaloneList(ctx)
		if err != nil {
			return nil, nil, err
		}
		p := encodeStandalone(rows)
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		_, _ = zw.Write(p)
		_ = zw.Close()
		return p, buf.Bytes(), nil
	}
}

// standaloneList serves every device with its latest status (the original system's endpoint),
// gzipped when the client accepts it. Age says how old the list is in seconds (RFC 9111): the
// dashboard asks again shortly for a list served stale while a newer one is built, and keeps,
// per device, the newer of a row and a live event by their status version.
func (s *Server) standaloneList(c *echo.Context) error {
	plain, gz, built, err := s.list.getAged(c.Request().Context())
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("Age", strconv.Itoa(int(time.Since(built)/time.Second)))
	h.Add("Vary", "Accept-Encoding")
	if strings.Contains(c.Request().Header.Get("Accept-Encoding"), "gzip") {
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
	b = appendStr(append(b, `,"status":`...), r.Status)
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
