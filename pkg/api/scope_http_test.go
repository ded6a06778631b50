package api_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/health"
	"github.com/wardops/wardops/pkg/monitoring"
	"github.com/wardops/wardops/pkg/notify"
	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/pkg/snmp"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/testinfra/testenv"
)

// scopeEnv is the API as cmd/api builds it (alerts, SNMP, reports; no time-series database, so
// the series route answers 503 once the scope let a request through) over real HTTP,
// PostgreSQL and Redis, with three devices, their alerts, incidents, maintenance windows and
// deliveries, a system alert, and callers of each role unscoped and scoped.
//
//	device A: region "A", branch "A-1"    device B: region "C", branch "B"
//	device C: region "C", branch "C-1"
type scopeEnv struct {
	t       *testing.T
	url     string
	st      *store.Store
	pool    *pgxpool.Pool
	rdb     *redis.Client
	svc     *auth.Service
	callers map[string]*scopeCaller
	dev     map[string]int64 // A, B, C
	alerts  map[string]int64 // A, B, C, system
	inc     map[string]int64 // A; B (with the alerts of B and C under it)
	windows map[string]int64 // region-A, branch-B, region-C
}

// scopeCaller is one identity: a bearer token (which acts with its user's scope) or a session.
type scopeCaller struct {
	bearer string
	http   *http.Client
	// sees lists the devices ("A", "B", "C") in the caller's scope; unscoped callers also see
	// the system alert.
	sees     []string
	unscoped bool
	role     auth.Role
}

func startScopeEnv(t *testing.T) *scopeEnv {
	t.Helper()
	pool := testenv.NewDB(t)
	st := store.New(pool, 10*time.Second, nil)
	rdb := testenv.NewRedis(t)
	client := asynq.NewClientFromRedisClient(rdb)
	insp := asynq.NewInspectorFromRedisClient(rdb)
	t.Cleanup(func() { _ = insp.Close(); _ = client.Close() })
	svc := authtest.NewService(t, auth.Params{Store: st, Redis: rdb})
	snmpSvc, err := snmp.New(snmp.Params{Devices: st, Store: st})
	testenv.Must(t, "snmp service", err)
	key := make([]byte, secrets.KeySize)
	_, _ = rand.Read(key)
	box, err := secrets.New(key)
	testenv.Must(t, "secret box", err)
	okHandler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	srv := api.New(api.Params{Store: st, Redis: rdb, Client: client, Tasks: insp, Auth: svc, SNMP: snmpSvc,
		Monitoring: okHandler, Metrics: okHandler,
		Health: health.NewChecker(map[string]health.Check{}, time.Second),
		Alerting: &api.Alerting{
			Alerts: alert.NewService(alert.ServiceParams{Rules: st, Acks: st, Enqueuer: client,
				RuleCache: alert.NewRuleCache(rdb, st.EnabledAlertRules), Publisher: events.NewPublisher(rdb)}),
			Channels: notify.NewService(notify.ServiceParams{Channels: st, Deliveries: st, Sealer: box}),
		}})
	monitoring.Register(srv, monitoring.NewControl(insp, svc.Audit(), tasks.Queues()))
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.CloseStreams(); hs.Close() })
	checkContract(t, hs.URL)
	e := &scopeEnv{t: t, url: hs.URL, st: st, pool: pool, rdb: rdb, svc: svc, callers: map[string]*scopeCaller{},
		dev: map[string]int64{}, alerts: map[string]int64{}, inc: map[string]int64{}, windows: map[string]int64{}}
	e.seed()
	e.addCallers()
	return e
}

func (e *scopeEnv) exec(sql string, args ...any) int64 {
	e.t.Helper()
	var id int64
	testenv.Must(e.t, sql, e.pool.QueryRow(context.Background(), sql, args...).Scan(&id))
	return id
}

func (e *scopeEnv) seed() {
	ctx := authtest.SystemCtx(e.t)
	places := map[string][2]string{"A": {"A", "A-1"}, "B": {"C", "B"}, "C": {"C", "C-1"}}
	for i, n := range []string{"A", "B", "C"} {
		d, err := e.st.CreateDevice(ctx, store.DeviceInput{Name: "dev-" + n, IP: netip.AddrFrom4([4]byte{127, 60, 0, byte(i + 1)}),
			Region: places[n][0], Branch: places[n][1], Enabled: true})
		testenv.Must(e.t, "create device", err)
		e.dev[n] = d.ID
		e.alerts[n] = e.exec(`INSERT INTO alerts (rule_id, rule_name, kind, device_id, device_name, severity, state, started_at, updated_at)
			VALUES (1, 'down', 'device_down', $1, $2, 'critical', 'firing', now(), now()) RETURNING id`, d.ID, d.Name)
		e.exec(`INSERT INTO deliveries (delivery_key, alert_id, channel_id, message) VALUES ($1, $2, 1, '{}') RETURNING id`,
			"k-"+n, e.alerts[n])
	}
	e.alerts["system"] = e.exec(`INSERT INTO alerts (rule_id, rule_name, kind, severity, state, started_at, updated_at)
		VALUES (2, 'No workers', 'system', 'critical', 'firing', now(), now()) RETURNING id`)
	for _, id := range e.alerts { // every real alert has its history from the first event on
		e.exec(`INSERT INTO alert_events (alert_id, at, kind, to_state) VALUES ($1, now(), 'fired', 'firing') RETURNING id`, id)
	}
	for _, n := range []string{"A", "B"} {
		e.inc[n] = e.exec(`INSERT INTO incidents (root_device_id, root_name, branch, title, opened_at) VALUES ($1, $2, '', 'outage', now())
			RETURNING id`, e.dev[n], "dev-"+n)
	}
	e.exec(`UPDATE alerts SET incident_id = $1 WHERE id = ANY($2) RETURNING 0`, e.inc["B"], []int64{e.alerts["B"]})
	e.exec(`UPDATE alerts SET incident_id = $1 WHERE id = ANY($2) RETURNING 0`, e.inc["B"], []int64{e.alerts["C"]})
	start := time.Now().Add(time.Hour)
	end := start.Add(time.Hour)
	for name, tg := range map[string]alert.Scope{"region-A": {Regions: []string{"A"}}, "branch-B": {Branches: []string{"B"}},
		"region-C": {Regions: []string{"C"}}} {
		w, err := e.st.CreateWindow(ctx, alert.WindowInput{Name: name, Kind: alert.WindowOnce, StartsAt: &start, EndsAt: &end, Targets: tg})
		testenv.Must(e.t, "create window", err)
		e.windows[name] = w.ID
	}
}

func (e *scopeEnv) addCallers() {
	all := []string{"A", "B", "C"}
	for _, r := range []auth.Role{auth.RoleViewer, auth.RoleOperator, auth.RoleAdmin} {
		e.callers[r.String()] = &scopeCaller{bearer: authtest.Token(e.t, e.svc, r), http: http.DefaultClient, sees: all, unscoped: true, role: r}
	}
	scopes := map[string]struct {
		sc   auth.Scope
		sees []string
	}{"region-A": {auth.Scope{Regions: []string{"A"}}, []string{"A"}}, "branch-B": {auth.Scope{Branches: []string{"B"}}, []string{"B"}}}
	for _, r := range []auth.Role{auth.RoleViewer, auth.RoleOperator} {
		for sn, s := range scopes {
			e.callers[r.String()+"@"+sn] = &scopeCaller{bearer: authtest.ScopedToken(e.t, e.svc, r, s.sc), http: http.DefaultClient,
				sees: s.sees, role: r}
		}
	}
	// one session caller: what a signed-in browser gets
	authtest.ScopedUser(e.t, e.svc, "nina", auth.RoleViewer, auth.Scope{Regions: []string{"A"}})
	jar, _ := cookiejar.New(nil)
	sess := &scopeCaller{http: &http.Client{Jar: jar, Transport: contractCheck}, sees: []string{"A"}, role: auth.RoleViewer}
	if st, body := e.do(sess, "POST", "/api/v1/auth/login", `{"username":"nina","password":"`+authtest.Password+`"}`); st != 200 {
		e.t.Fatalf("login: %d %s", st, body)
	}
	e.callers["viewer@region-A/session"] = sess
}

func (e *scopeEnv) do(c *scopeCaller, method, path, body string) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	testenv.Must(e.t, "build request", err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	resp, err := c.http.Do(req)
	testenv.Must(e.t, method+" "+path, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// ids GETs a list and returns the sorted ids of the items under key (path "a.b" for nested).
func (e *scopeEnv) ids(c *scopeCaller, path, key, idField string) []int64 {
	e.t.Helper()
	st, raw := e.do(c, "GET", path, "")
	if st != 200 {
		e.t.Fatalf("GET %s: %d %s", path, st, raw)
	}
	var m map[string]json.RawMessage
	testenv.Must(e.t, "decode "+path, json.Unmarshal(raw, &m))
	var items []map[string]any
	testenv.Must(e.t, "decode "+path+" "+key, json.Unmarshal(m[key], &items))
	out := []int64{}
	for _, it := range items {
		out = append(out, int64(it[idField].(float64)))
	}
	slices.Sort(out)
	return out
}

// problemIDs GETs the problem list and returns the sorted ids of the alerts and incidents in
// its rows, every section.
func (e *scopeEnv) problemIDs(c *scopeCaller) (alerts, incidents []int64) {
	e.t.Helper()
	st, raw := e.do(c, "GET", "/api/v1/alerts/problems?limit=1000", "")
	if st != 200 {
		e.t.Fatalf("GET /api/v1/alerts/problems: %d %s", st, raw)
	}
	type section struct {
		Rows []struct {
			Alerts   []struct{ ID int64 }
			Incident *struct{ ID int64 }
		}
	}
	var p struct {
		Rows        section
		Acked       section `json:"acknowledged"`
		Maintenance section
	}
	testenv.Must(e.t, "decode problem list", json.Unmarshal(raw, &p))
	alerts, incidents = []int64{}, []int64{}
	for _, sec := range []section{p.Rows, p.Acked, p.Maintenance} {
		for _, r := range sec.Rows {
			for _, a := range r.Alerts {
				alerts = append(alerts, a.ID)
			}
			if r.Incident != nil {
				incidents = append(incidents, r.Incident.ID)
			}
		}
	}
	slices.Sort(alerts)
	slices.Sort(incidents)
	return alerts, incidents
}

// want returns the sorted ids of m's entries named in names.
func want(m map[string]int64, names ...string) []int64 {
	out := []int64{}
	for _, n := range names {
		if id, ok := m[n]; ok {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func (c *scopeCaller) alertsSeen() []string {
	if c.unscoped {
		return append(slices.Clone(c.sees), "system")
	}
	return c.sees
}

func (c *scopeCaller) windowsSeen() []string {
	if c.unscoped {
		return []string{"region-A", "branch-B", "region-C"}
	}
	return map[string][]string{"A": {"region-A"}, "B": {"branch-B"}}[c.sees[0]]
}

// TestScopeMatrix is the route audit grown to roles × scopes: every route that shows or acts
// on devices, alerts, incidents, windows, deliveries, tasks or reports, called over real HTTP
// by unscoped viewer/operator/admin and by viewers and operators scoped to region A or branch
// B. Lists hold only the caller's items, an object outside the scope answers 404 exactly like
// a missing one (read or act), and acts inside the scope succeed.
func TestScopeMatrix(t *testing.T) {
	e := startScopeEnv(t)
	order := []string{"viewer@region-A", "viewer@region-A/session", "viewer@branch-B", "operator@region-A", "operator@branch-B",
		"viewer", "operator", "admin"} // scoped callers first: a cold standalone cache must not keep their cut
	for _, name := range order {
		c := e.callers[name]
		t.Run(name, func(t *testing.T) {
			e.t = t
			lists := []struct {
				path, key, id string
				want          []int64
			}{
				{"/api/v1/devices", "devices", "id", want(e.dev, c.sees...)},
				{"/api/v1/devices/standalone/list", "devices", "id", want(e.dev, c.sees...)},
				{"/api/v1/alerts", "alerts", "id", want(e.alerts, c.alertsSeen()...)},
				{"/api/v1/alerts?state=open&severity=critical", "alerts", "id", want(e.alerts, c.alertsSeen()...)},
				{"/api/v1/incidents", "incidents", "id", want(e.inc, c.sees...)},
				{"/api/v1/maintenance", "windows", "id", want(e.windows, c.windowsSeen()...)},
				{"/api/v1/deliveries", "deliveries", "alert_id", want(e.alerts, c.sees...)},
				{"/api/v1/reports/availability?range=1d", "devices", "id", want(e.dev, c.sees...)},
				// the timeline lists an alert once per event (acknowledgements below add some)
				{"/api/v1/timeline?source=alert", "changes", "alert_id", want(e.alerts, c.alertsSeen()...)},
			}
			for _, l := range lists {
				if got := slices.Compact(e.ids(c, l.path, l.key, l.id)); !slices.Equal(l.want, got) {
					t.Errorf("GET %s: ids %v, want %v", l.path, got, l.want)
				}
			}
			// the problem list: the caller's alerts (incident B holds B's and C's) and incidents
			if alerts, incs := e.problemIDs(c); !slices.Equal(want(e.alerts, c.alertsSeen()...), alerts) || !slices.Equal(want(e.inc, c.sees...), incs) {
				t.Errorf("GET /api/v1/alerts/problems: alerts %v incidents %v, want %v and %v", alerts, incs, want(e.alerts, c.alertsSeen()...), want(e.inc, c.sees...))
			}
			var sl struct{ Count int }
			_, raw := e.do(c, "GET", "/api/v1/devices/standalone/list", "")
			_ = json.Unmarshal(raw, &sl)
			if sl.Count != len(c.sees) {
				t.Errorf("standalone count %d, want %d", sl.Count, len(c.sees))
			}
			e.checkObjects(t, c)
		})
	}
}

// checkObjects reads and acts on every object by id.
func (e *scopeEnv) checkObjects(t *testing.T, c *scopeCaller) {
	status := func(in bool, ok int) int {
		if in {
			return ok
		}
		return http.StatusNotFound
	}
	op := c.role >= auth.RoleOperator
	for _, n := range []string{"A", "B", "C"} {
		in := slices.Contains(c.sees, n)
		id := e.dev[n]
		checks := []struct {
			method, path, body string
			want               int
		}{
			{"GET", fmt.Sprintf("/api/v1/devices/%d", id), "", status(in, 200)},
			{"GET", fmt.Sprintf("/api/v1/devices/%d/events", id), "", status(in, 200)},
			{"GET", fmt.Sprintf("/api/v1/devices/%d/series?metric=rtt", id), "", status(in, http.StatusServiceUnavailable)},
			{"GET", fmt.Sprintf("/api/v1/devices/%d/interfaces", id), "", status(in, 200)},
			{"GET", fmt.Sprintf("/api/v1/devices/%d/snmp", id), "", status(in, 200)},
			{"GET", fmt.Sprintf("/api/v1/alerts/%d", e.alerts[n]), "", status(in, 200)},
		}
		if op {
			checks = append(checks, []struct {
				method, path, body string
				want               int
			}{
				{"POST", fmt.Sprintf("/api/v1/devices/%d/ping", id), "", status(in, http.StatusAccepted)},
				{"POST", fmt.Sprintf("/api/v1/alerts/%d/ack", e.alerts[n]), `{"comment":"on it"}`, status(in, 200)},
				{"POST", fmt.Sprintf("/api/v1/alerts/%d/unack", e.alerts[n]), "", status(in, 200)},
			}...)
		} else {
			checks = append(checks, struct {
				method, path, body string
				want               int
			}{"POST", fmt.Sprintf("/api/v1/alerts/%d/ack", e.alerts[n]), `{}`, http.StatusForbidden})
		}
		if op && !in { // in scope it would wait for a worker's SNMP answer; outside it must not even enqueue
			checks = append(checks, struct {
				method, path, body string
				want               int
			}{"POST", fmt.Sprintf("/api/v1/devices/%d/snmp-test", id), "", http.StatusNotFound})
		}
		if c.role == auth.RoleAdmin {
			checks = append(checks, struct {
				method, path, body string
				want               int
			}{"PATCH", fmt.Sprintf("/api/v1/devices/%d", id), `{"vendor":"acme"}`, 200})
		}
		for _, ck := range checks {
			if st, raw := e.do(c, ck.method, ck.path, ck.body); st != ck.want {
				t.Errorf("%s %s (device %s): %d %s, want %d", ck.method, ck.path, n, st, raw, ck.want)
			} else if st == http.StatusNotFound && !strings.Contains(string(raw), `"not_found"`) {
				t.Errorf("%s %s: 404 without the not_found code: %s", ck.method, ck.path, raw)
			}
		}
	}
	sys := e.alerts["system"]
	if st, _ := e.do(c, "GET", fmt.Sprintf("/api/v1/alerts/%d", sys), ""); st != status(c.unscoped, 200) {
		t.Errorf("system alert: %d, want %d (only unscoped callers see system alerts)", st, status(c.unscoped, 200))
	}
	if op && !c.unscoped {
		if st, _ := e.do(c, "POST", fmt.Sprintf("/api/v1/alerts/%d/close", sys), `{"comment":"not mine"}`); st != 404 {
			t.Errorf("close the system alert as a scoped operator: %d, want 404", st)
		}
	}
	// fleet-wide pages (asynqmon, /metrics, the task queues) cannot be cut to a scope: refused
	// to scoped callers
	for path, need := range map[string]auth.Role{"/monitoring/": auth.RoleOperator, "/metrics": auth.RoleViewer,
		"/api/v1/queues": auth.RoleOperator, "/api/v1/queues/default/tasks?state=pending": auth.RoleOperator} {
		wantSt := http.StatusForbidden
		if c.unscoped && c.role >= need {
			wantSt = 200
		}
		if st, raw := e.do(c, "GET", path, ""); st != wantSt {
			t.Errorf("GET %s: %d %s, want %d", path, st, raw, wantSt)
		}
	}
	for name, id := range e.inc {
		in := slices.Contains(c.sees, name)
		st, raw := e.do(c, "GET", fmt.Sprintf("/api/v1/incidents/%d", id), "")
		if st != status(in, 200) {
			t.Errorf("incident %s: %d, want %d", name, st, status(in, 200))
			continue
		}
		if name == "B" && in {
			var body struct{ Alerts []struct{ ID int64 } }
			_ = json.Unmarshal(raw, &body)
			var got []int64
			for _, a := range body.Alerts {
				got = append(got, a.ID)
			}
			slices.Sort(got)
			wantIDs := want(e.alerts, c.sees...) // incident B holds the alerts of B and C
			if c.unscoped {
				wantIDs = want(e.alerts, "B", "C")
			}
			if !slices.Equal(wantIDs, got) {
				t.Errorf("alerts of incident B: %v, want %v", got, wantIDs)
			}
		}
	}
	for name, id := range e.windows {
		in := slices.Contains(c.windowsSeen(), name)
		if st, _ := e.do(c, "GET", fmt.Sprintf("/api/v1/maintenance/%d", id), ""); st != status(in, 200) {
			t.Errorf("window %s: %d, want %d", name, st, status(in, 200))
		}
		if op && !in {
			if st, _ := e.do(c, "DELETE", fmt.Sprintf("/api/v1/maintenance/%d", id), ""); st != 404 {
				t.Errorf("delete window %s outside the scope: %d, want 404", name, st)
			}
		}
	}
	if op {
		e.checkWindowWrites(t, c)
	}
}

// checkWindowWrites creates windows: a scoped operator's targets must lie inside its scope.
func (e *scopeEnv) checkWindowWrites(t *testing.T, c *scopeCaller) {
	body := func(targets string) string {
		s := time.Now().Add(2 * time.Hour).UTC()
		return fmt.Sprintf(`{"name":"w","kind":"once","starts_at":%q,"ends_at":%q,"targets":%s}`,
			s.Format(time.RFC3339), s.Add(time.Hour).Format(time.RFC3339), targets)
	}
	cases := []struct {
		targets string
		in      []string // the scopes ("A", "B") for which it is inside
	}{
		{`{"regions":["A"]}`, []string{"A"}},
		{`{"regions":["A"],"types":["router"]}`, []string{"A"}},
		{`{"branches":["B"]}`, []string{"B"}},
		{fmt.Sprintf(`{"devices":[%d]}`, e.dev["B"]), []string{"B"}},
		{fmt.Sprintf(`{"devices":[%d,%d]}`, e.dev["A"], e.dev["C"]), nil},
		{`{"regions":["C"]}`, nil},
		{`{"types":["router"]}`, nil},
		{`{"regions":["A","C"]}`, nil},
	}
	for _, tc := range cases {
		in := c.unscoped || slices.Contains(tc.in, c.sees[0])
		st, raw := e.do(c, "POST", "/api/v1/maintenance", body(tc.targets))
		switch {
		case in && st != http.StatusCreated:
			t.Errorf("create window on %s: %d %s, want 201", tc.targets, st, raw)
		case !in && (st != http.StatusBadRequest || !strings.Contains(string(raw), `"field":"targets"`)):
			t.Errorf("create window on %s: %d %s, want 400 on targets", tc.targets, st, raw)
		}
		if st == http.StatusCreated { // its own window: it may delete it again (and the lists stay as seeded)
			var w struct{ ID int64 }
			_ = json.Unmarshal(raw, &w)
			if st, raw := e.do(c, "DELETE", fmt.Sprintf("/api/v1/maintenance/%d", w.ID), ""); st != http.StatusNoContent {
				t.Errorf("delete own window: %d %s", st, raw)
			}
		}
	}
	if !c.unscoped { // moving an own window out of the scope is refused too
		id := e.windows[c.windowsSeen()[0]]
		if st, raw := e.do(c, "PUT", fmt.Sprintf("/api/v1/maintenance/%d", id), body(`{"regions":["C"]}`)); st != http.StatusBadRequest {
			t.Errorf("move window out of the scope: %d %s, want 400", st, raw)
		}
	}
}

// TestScopedTasks: the on-demand task of a device is readable by callers who see the device.
func TestScopedTasks(t *testing.T) {
	e := startScopeEnv(t)
	st, raw := e.do(e.callers["operator"], "POST", fmt.Sprintf("/api/v1/devices/%d/ping", e.dev["A"]), "")
	if st != http.StatusAccepted {
		t.Fatalf("ping: %d %s", st, raw)
	}
	var task struct {
		StatusURL string `json:"status_url"`
	}
	testenv.Must(t, "decode", json.Unmarshal(raw, &task))
	for name, wantSt := range map[string]int{"viewer": 200, "viewer@region-A": 200, "viewer@region-A/session": 200, "viewer@branch-B": 404} {
		if st, raw := e.do(e.callers[name], "GET", task.StatusURL, ""); st != wantSt {
			t.Errorf("%s: GET %s = %d %s, want %d", name, task.StatusURL, st, raw, wantSt)
		}
	}
}
