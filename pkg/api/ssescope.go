package api

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/store"
)

// placeFunc returns the region and branch of a device, and false for an unknown one.
type placeFunc func(id int64) (region, branch string, ok bool)

// scopeFilter decides which live events a caller with scope sc receives: the event's device
// (data.device_id of "status" events, data.alert.device_id of "alert" events) must be in sc,
// its region and branch found by place. An unlimited scope receives everything; a limited one
// nothing it cannot place: system alerts (no device), unknown devices, other event types and
// undecodable data (fail closed). It is the per-subscriber filter of the event hub, so it reads
// only the event's data, which the hub has already split from the message.
func scopeFilter(sc auth.Scope, place placeFunc) events.Filter {
	if sc.All() {
		return func(events.Event) bool { return true }
	}
	return func(ev events.Event) bool {
		var data struct {
			DeviceID int64 `json:"device_id"`
			Alert    struct {
				DeviceID int64 `json:"device_id"`
			} `json:"alert"`
		}
		if json.Unmarshal(ev.Data, &data) != nil {
			return false
		}
		var id int64
		switch ev.Type {
		case "status":
			id = data.DeviceID
		case "alert":
			id = data.Alert.DeviceID
		}
		if id <= 0 {
			return false
		}
		region, branch, ok := place(id)
		return ok && sc.Contains(region, branch)
	}
}

// Device places for live events: one query for the whole fleet, reused for placeMaxAge and
// reloaded sooner (at most every placeMissEvery) when an event names a device it lacks, such
// as one created since.
const (
	placeMaxAge    = 30 * time.Second
	placeMissEvery = 2 * time.Second
	placeTimeout   = 5 * time.Second
)

// placeCache maps device ids to their region and branch for scopeFilter, shared by every
// stream of the API process. lookup runs inside the event hub's fan-out, so it waits for the
// database only briefly: a stale map is reloaded in the background; a device the map lacks
// (one created since) is looked up at once with a short timeout (placeMissTimeout, at most
// every placeMissEvery), and its event is dropped if that fails (fail closed). warm loads
// synchronously when a scoped stream opens.
type placeCache struct {
	load    func(ctx context.Context) ([]store.DevicePlace, error)
	mu      sync.Mutex
	at      time.Time // when places was loaded
	try     time.Time // last load attempt
	loading bool
	m       map[int64]store.DevicePlace
}

// placeMissTimeout bounds the load a device missing from the map waits for.
const placeMissTimeout = 250 * time.Millisecond

// lookup is a placeFunc. A failed load keeps the previous map (or places nothing).
func (pc *placeCache) lookup(id int64) (string, string, bool) {
	pc.mu.Lock()
	now := time.Now()
	p, ok := pc.m[id]
	due := now.Sub(pc.try) >= placeMissEvery && !pc.loading
	switch {
	case !ok && due:
		pc.try, pc.loading = now, true
		pc.mu.Unlock()
		pc.reload(placeMissTimeout)
		pc.mu.Lock()
		p, ok = pc.m[id]
	case ok && due && now.Sub(pc.at) > placeMaxAge:
		pc.try, pc.loading = now, true
		go pc.reload(placeTimeout)
	}
	pc.mu.Unlock()
	return p.Region, p.Branch, ok
}

// warm loads the places when they are missing or stale, waiting for the load (a scoped stream
// calls it before it subscribes, outside the hub).
func (pc *placeCache) warm() {
	pc.mu.Lock()
	fresh := pc.m != nil && time.Since(pc.at) <= placeMaxAge
	pc.mu.Unlock()
	if !fresh {
		pc.reload(placeTimeout)
	}
}

func (pc *placeCache) reload(timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	places, err := pc.load(ctx)
	cancel()
	pc.mu.Lock()
	defer pc.mu.Unlock()
	pc.loading = false
	if err != nil {
		return
	}
	pc.m = make(map[int64]store.DevicePlace, len(places))
	for _, pl := range places {
		pc.m[pl.ID] = pl
	}
	pc.at = time.Now()
}
