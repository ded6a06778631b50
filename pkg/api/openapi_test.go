package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v5"
	"github.com/redis/go-redis/v9"
	"go.yaml.in/yaml/v3"

	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/configfile"
	"github.com/wardops/wardops/pkg/health"
	"github.com/wardops/wardops/pkg/monitoring"
	"github.com/wardops/wardops/pkg/snmp"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/testinfra/testenv"
)

// openAPIDoc is the part of the OpenAPI 3 document the sync test reads.
type openAPIDoc struct {
	OpenAPI string `yaml:"openapi"`
	Servers []struct {
		URL string `yaml:"url"`
	} `yaml:"servers"`
	Paths      map[string]map[string]yaml.Node `yaml:"paths"`
	Components struct {
		Parameters map[string]openAPIParam `yaml:"parameters"`
	} `yaml:"components"`
}

type openAPIParam struct {
	Ref  string `yaml:"$ref"`
	Name string `yaml:"name"`
	In   string `yaml:"in"`
}

type openAPIOperation struct {
	Parameters []openAPIParam      `yaml:"parameters"`
	Responses  map[string]struct{} `yaml:"responses"`
}

var httpMethods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true,
	"patch": true, "trace": true}

// routeServer builds the API the way cmd/api does, with every Params field that registers
// routes filled in. Packages that add routes on s.V1 in cmd/api (auth, alerts, …) must be
// registered here too, so that this test sees what production serves.
func routeServer(t *testing.T) (*api.Server, *auth.Service) {
	t.Helper()
	addr, db := testenv.RedisOpt(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr, DB: db})
	client := asynq.NewClientFromRedisClient(rdb)
	inspector := asynq.NewInspectorFromRedisClient(rdb)
	mon, err := monitoring.NewUI(monitoring.UIParams{RedisConnOpt: asynq.RedisClientOpt{Addr: addr, DB: db}})
	testenv.Must(t, "asynqmon", err)
	t.Cleanup(func() { _ = mon.Close(); _ = inspector.Close(); _ = client.Close(); _ = rdb.Close() })
	checker := health.NewChecker(map[string]health.Check{}, time.Second)
	// Store and Series only serve requests; route registration does not touch them
	svc := authtest.NewService(t, auth.Params{Redis: rdb})
	st := store.New(nil, time.Second, nil)
	snmpSvc, err := snmp.New(snmp.Params{Devices: st, Store: st})
	testenv.Must(t, "snmp service", err)
	srv := api.New(api.Params{Auth: svc, Redis: rdb, Client: client, Tasks: inspector, Health: checker, Monitoring: mon,
		Metrics: http.NotFoundHandler(), SNMP: snmpSvc, Alerting: &api.Alerting{}, Config: configfile.New(configfile.Params{Store: st}),
		HealthDetail: func(*echo.Context) error { return nil }})
	monitoring.Register(srv, monitoring.NewControl(inspector, svc.Audit(), tasks.Queues()))
	return srv, svc
}

var echoParam = regexp.MustCompile(`:([A-Za-z_][A-Za-z0-9_]*)`)

// registeredRoutes lists "METHOD /path" of every route under prefix, in OpenAPI's {param} form.
func registeredRoutes(s *api.Server, prefix string) []string {
	seen := map[string]bool{}
	for _, r := range s.Echo().Router().Routes() {
		if !httpMethods[strings.ToLower(r.Method)] || !strings.HasPrefix(r.Path, prefix+"/") {
			continue // RouteNotFound entries of groups, /monitoring, /metrics
		}
		p := echoParam.ReplaceAllString(strings.TrimPrefix(r.Path, prefix), "{$1}")
		seen[r.Method+" "+p] = true
	}
	return sortedKeys(seen)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func loadOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := yaml.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatalf("parse openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") || len(doc.Servers) != 1 || len(doc.Paths) == 0 {
		t.Fatalf("openapi.yaml: version %q, %d servers, %d paths; want OpenAPI 3 with one server", doc.OpenAPI, len(doc.Servers), len(doc.Paths))
	}
	return doc
}

// TestOpenAPIMatchesRoutes: every (method, path) of openapi.yaml is a registered route under the
// server URL (/api/v1), and every registered /api/v1 route is documented.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	prefix := doc.Servers[0].URL
	if prefix != "/api/v1" {
		t.Fatalf("servers url %q, want /api/v1", prefix)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for key := range item {
			if httpMethods[key] {
				documented[strings.ToUpper(key)+" "+path] = true
			}
		}
	}
	registered := map[string]bool{}
	srv, _ := routeServer(t)
	for _, r := range registeredRoutes(srv, prefix) {
		registered[r] = true
	}
	var missing, extra []string
	for r := range registered {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for r := range documented {
		if !registered[r] {
			extra = append(extra, r)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes registered but missing from openapi.yaml:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("routes in openapi.yaml that the server does not register:\n  %s", strings.Join(extra, "\n  "))
	}
	if len(registered) < 10 {
		t.Errorf("only %d routes registered under %s: %v", len(registered), prefix, sortedKeys(registered))
	}
}

// TestOpenAPIOperations: every operation has responses, and every {param} of a path is declared
// as an "in: path" parameter at the path or operation level ($refs resolved).
func TestOpenAPIOperations(t *testing.T) {
	doc := loadOpenAPI(t)
	resolve := func(p openAPIParam) openAPIParam {
		if name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/"); ok {
			if c, ok := doc.Components.Parameters[name]; ok {
				return c
			}
			t.Errorf("unresolved parameter $ref %s", p.Ref)
		}
		return p
	}
	templ := regexp.MustCompile(`\{([^}]+)\}`)
	for path, item := range doc.Paths {
		var shared []openAPIParam
		if n, ok := item["parameters"]; ok {
			if err := n.Decode(&shared); err != nil {
				t.Errorf("%s parameters: %v", path, err)
			}
		}
		for method, n := range item {
			if !httpMethods[method] {
				continue
			}
			var op openAPIOperation
			if err := n.Decode(&op); err != nil {
				t.Errorf("%s %s: %v", method, path, err)
				continue
			}
			if len(op.Responses) == 0 {
				t.Errorf("%s %s has no responses", strings.ToUpper(method), path)
			}
			declared := map[string]bool{}
			for _, p := range append(append([]openAPIParam{}, shared...), op.Parameters...) {
				if p = resolve(p); p.In == "path" {
					declared[p.Name] = true
				}
			}
			for _, m := range templ.FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s %s: path parameter {%s} is not declared", strings.ToUpper(method), path, m[1])
				}
			}
		}
	}
}

// TestOpenAPIServed: GET /api/v1/openapi.yaml serves the embedded document as YAML.
func TestOpenAPIServed(t *testing.T) {
	s, svc := routeServer(t)
	srv := httptest.NewServer(s)
	defer srv.Close()
	checkContract(t, srv.URL)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+"/api/v1/openapi.yaml", nil)
	testenv.Must(t, "request", err)
	req.Header.Set("Authorization", "Bearer "+authtest.Token(t, svc, auth.RoleViewer))
	resp, err := http.DefaultClient.Do(req)
	testenv.Must(t, "GET openapi.yaml", err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	testenv.Must(t, "read", err)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/yaml") ||
		string(body) != string(api.OpenAPI) {
		t.Errorf("HTTP %d, Content-Type %q, %d bytes (want %d)", resp.StatusCode, resp.Header.Get("Content-Type"), len(body), len(api.OpenAPI))
	}
}
