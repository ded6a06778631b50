package api_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/store"
)

// FuzzDeviceFilter feeds arbitrary query strings to the device-list filters: every input is
// either a valid filter (limit 1..1000, a known status, a cursor ≥ 0) or a 400 naming a
// parameter — never a panic, never a 5xx.
func FuzzDeviceFilter(f *testing.F) {
	for _, seed := range []string{"", "branch=almaty&status=up&limit=50", "q=%27%20OR%201%3D1--", "limit=0",
		"limit=1001", "cursor=-1", "status=UP", "q=%00%ff", "region=" + string(make([]byte, 300)), "cursor=12&limit=1000"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return // not a query string a client could send
		}
		flt, err := api.ParseDeviceFilter(q)
		if err != nil {
			var ae *api.Error
			if !errors.As(err, &ae) || ae.Status != 400 || ae.Field == "" {
				t.Fatalf("ParseDeviceFilter(%q) error %v: want a 400 naming a field", raw, err)
			}
			return
		}
		if flt.Limit < 1 || flt.Limit > 1000 || flt.After < 0 || (flt.Status != "" && !store.ValidStatus(flt.Status)) {
			t.Fatalf("ParseDeviceFilter(%q) = %+v: out of bounds", raw, flt)
		}
	})
}
