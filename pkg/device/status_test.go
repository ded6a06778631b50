package device

import "testing"

func TestStatusValid(t *testing.T) {
	for _, s := range []Status{Up, Degraded, Down, Unknown, Maintenance} {
		if !s.Valid() {
			t.Errorf("%q not valid", s)
		}
	}
	for _, s := range []Status{"", "Up", "blocked", "down "} {
		if s.Valid() {
			t.Errorf("%q valid", s)
		}
	}
}
