package alert

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/device"
)

// sim runs passes against an in-memory copy of what the store would hold: states and open
// incidents are deep-copied into every pass, as a database round trip would.
type sim struct {
	t         *testing.T
	now       time.Time
	step      time.Duration
	rules     []Rule
	routes    []Route
	windows   []Window
	states    map[Key]*State
	incidents map[int64]*Incident
	alerts    map[int64]*Alert
	nextID    int64
	sent      []string // "event alert-summary -> channels"
	events    []string // "kind alert-summary"
	last      *Result
}

func newSim(t *testing.T, rules ...Rule) *sim {
	for i := range rules {
		if rules[i].ID == 0 {
			rules[i].ID = int64(i + 1)
		}
		rules[i].Enabled = true
		if rules[i].Name == "" {
			rules[i].Name = string(rules[i].Kind)
		}
	}
	return &sim{t: t, now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), step: 30 * time.Second,
		rules: rules, routes: []Route{{ChannelID: 1, Name: "noc"}}, states: map[Key]*State{},
		incidents: map[int64]*Incident{}, alerts: map[int64]*Alert{}, nextID: 100}
}

func cloneState(s *State) *State {
	c := *s
	c.Changes = slices.Clone(s.Changes)
	if s.Alert != nil {
		a := *s.Alert
		a.NotifiedChannels = slices.Clone(a.NotifiedChannels)
		c.Alert = &a
	}
	return &c
}

// run evaluates one pass and applies its result, then advances the clock by one cycle.
func (s *sim) run(src Source, snap *Snapshot) *Result {
	s.t.Helper()
	in := &PassInput{Source: src, Now: s.now, Snapshot: snap, Rules: s.rules, Windows: s.windows, Routes: s.routes}
	for _, k := range slices.SortedFunc(maps.Keys(s.states), cmpKey) {
		in.States = append(in.States, cloneState(s.states[k]))
	}
	for _, id := range slices.Sorted(maps.Keys(s.incidents)) {
		c := *s.incidents[id]
		in.Incidents = append(in.Incidents, &c)
	}
	res := Evaluate(in)
	s.apply(res)
	s.last = res
	s.now = s.now.Add(s.step)
	return res
}

func (s *sim) apply(res *Result) {
	roots := map[int64]int64{}
	for _, inc := range res.Incidents {
		if inc.ID == 0 {
			s.nextID++
			inc.ID = s.nextID
		}
		roots[inc.RootDeviceID] = inc.ID
		if inc.State == IncidentOpen {
			c := *inc
			s.incidents[inc.ID] = &c
		} else {
			delete(s.incidents, inc.ID)
		}
	}
	for _, ch := range res.Alerts {
		if ch.New {
			s.nextID++
			ch.Alert.ID = s.nextID
		}
		if ch.IncidentRoot != 0 && ch.Alert.IncidentID == 0 {
			ch.Alert.IncidentID = roots[ch.IncidentRoot]
		}
		ch.Alert.Version++
		c := *ch.Alert
		s.alerts[c.ID] = &c
	}
	for _, k := range res.DeletedStates {
		delete(s.states, k.Key)
	}
	for _, st := range res.States {
		s.states[st.Key] = cloneState(st)
	}
	for _, ev := range res.Events {
		s.events = append(s.events, ev.Kind+" "+ev.Change.Alert.Summary)
		if ev.Notify != nil {
			s.sent = append(s.sent, fmt.Sprintf("%s %s -> %v", ev.Notify.Message.Event, ev.Notify.Message.Summary, ev.Notify.Channels))
		}
	}
}

// takeSent returns and clears the notifications sent so far.
func (s *sim) takeSent() []string {
	out := s.sent
	s.sent = nil
	return out
}

// open returns the open alerts by summary with their state.
func (s *sim) open() map[string]AlertState {
	out := map[string]AlertState{}
	for _, st := range s.states {
		if st.Alert != nil {
			out[st.Alert.Summary] = st.Alert.State
		}
	}
	return out
}

// alertOf returns the stored open alert of a key.
func (s *sim) alertOf(k Key) *Alert {
	if st := s.states[k]; st != nil && st.Alert != nil {
		return s.alerts[st.Alert.ID]
	}
	return nil
}

// fleet builds a snapshot from "name:status" pairs; devices get ids 1..n.
func fleet(spec ...string) *Snapshot {
	snap := &Snapshot{}
	for i, sp := range spec {
		name, status, _ := cutStr(sp, ":")
		d := NewDevice(int64(i+1), name)
		d.Status = device.Status(status)
		d.Branch = "B1"
		if status == "up" {
			d.LossPct, d.RTTMS, d.JitterMS = 0, 5, 1
		}
		snap.Devices = append(snap.Devices, d)
	}
	return snap
}

func cutStr(s, sep string) (string, string, bool) {
	for i := 0; i+len(sep) <= len(s); i++ {
		if s[i:i+len(sep)] == sep {
			return s[:i], s[i+len(sep):], true
		}
	}
	return s, "", false
}
