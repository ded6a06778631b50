package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wardops/wardops/pkg/inventory"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/harness"
	"github.com/wardops/wardops/testinfra/testenv"
)

// apiError is the JSON error shape of every failed request, plus the line errors of an import.
type apiError struct {
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
	Lines []inventory.LineError `json:"lines"`
}

// answer is one HTTP exchange: status, body, and the decoded error if there is one.
type answer struct {
	Status int
	Body   []byte
	Err    apiError
	Header http.Header
}

// call sends body (nil for none) with contentType and reads the whole answer. Any 4xx/5xx must
// carry the JSON error shape.
func call(t *testing.T, sys *harness.System, method, path, contentType string, body io.Reader) answer {
	t.Helper()
	req, err := http.NewRequest(method, sys.URL+path, body)
	testenv.Must(t, "build request", err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+sys.Token) // an admin: these tests are about the API, not its guards
	resp, err := http.DefaultClient.Do(req)
	testenv.Must(t, method+" "+path, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	testenv.Must(t, "read answer", err)
	a := answer{Status: resp.StatusCode, Body: raw, Header: resp.Header}
	if resp.StatusCode >= 400 && method != http.MethodHead {
		if err := json.Unmarshal(raw, &a.Err); err != nil || a.Err.Error == nil || a.Err.Error.Code == "" || a.Err.Error.Message == "" {
			t.Errorf("%s %s: HTTP %d with body %q: want {\"error\":{\"code\",\"message\",…}}", method, path, resp.StatusCode, raw)
		}
	}
	return a
}

func jsonCall(t *testing.T, sys *harness.System, method, path, body string) answer {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	return call(t, sys, method, path, "application/json", r)
}

// decode unmarshals a successful answer into v.
func (a answer) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.Body, v); err != nil {
		t.Fatalf("decode %q: %v", a.Body, err)
	}
}

// wantError checks an answer's status, code and field.
func (a answer) wantError(t *testing.T, what string, status int, code, field string) {
	t.Helper()
	if a.Status != status {
		t.Errorf("%s: HTTP %d %q, want %d", what, a.Status, a.Body, status)
		return
	}
	if a.Err.Error == nil {
		return // already reported by call
	}
	if a.Err.Error.Code != code || a.Err.Error.Field != field {
		t.Errorf("%s: error code %q field %q (%s), want code %q field %q", what, a.Err.Error.Code, a.Err.Error.Field,
			a.Err.Error.Message, code, field)
	}
}

// deviceView is a device as the API returns it.
type deviceView struct {
	store.Device
	Status   string   `json:"status"`
	RTTMS    *float64 `json:"rtt_ms"`
	LossPct  *float64 `json:"loss_pct"`
	JitterMS *float64 `json:"jitter_ms"`
}

// startAPI runs API and worker (no scheduler) on a fresh database and Redis DB.
func startAPI(t *testing.T) *harness.System {
	t.Helper()
	sys := harness.Start(t, harness.Options{NoScheduler: true})
	checkContract(t, sys.URL)
	return sys
}

func createDevice(t *testing.T, sys *harness.System, body string) deviceView {
	t.Helper()
	a := jsonCall(t, sys, http.MethodPost, "/api/v1/devices", body)
	if a.Status != http.StatusCreated {
		t.Fatalf("create %s: HTTP %d %s", body, a.Status, a.Body)
	}
	var d deviceView
	a.decode(t, &d)
	return d
}

// seedPlaces creates the regions and branches devices name, each given as "region/branch"
// ("" region: a branch in no region; "region/" only the region), through the API.
func seedPlaces(t *testing.T, sys *harness.System, places ...string) {
	t.Helper()
	for _, p := range places {
		region, branch, _ := strings.Cut(p, "/")
		if region != "" {
			b, _ := json.Marshal(map[string]string{"name": region})
			if a := jsonCall(t, sys, http.MethodPost, "/api/v1/regions", string(b)); a.Status != http.StatusCreated && a.Status != http.StatusConflict {
				t.Fatalf("create region %q: HTTP %d %s", region, a.Status, a.Body)
			}
		}
		if branch != "" {
			b, _ := json.Marshal(map[string]string{"name": branch, "region": region})
			if a := jsonCall(t, sys, http.MethodPost, "/api/v1/branches", string(b)); a.Status != http.StatusCreated {
				t.Fatalf("create branch %q: HTTP %d %s", branch, a.Status, a.Body)
			}
		}
	}
}
