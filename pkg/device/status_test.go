package device

import "testing"

func TestStatusValid(t *testing.T) {
	for _, s := range Statuses {
		if !s.Valid() {
			t.Errorf("%q not valid", s)
		}
	}
	for _, s := range []Status{"", "Up", "blocked", "down "} {
		if s.Valid() {
			t.Errorf("%q valid", s)
		}
	}
	if !Up.Answering() || !Degraded.Answering() || Down.Answering() || Unknown.Answering() || Maintenance.Answering() {
		t.Error("Answering wrong")
	}
}
