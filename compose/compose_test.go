package compose_test

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/wardops/wardops/pkg/config"
	"github.com/wardops/wardops/pkg/retention"
)

type healthcheck struct {
	Test        []string `yaml:"test"`
	Interval    string   `yaml:"interval"`
	Timeout     string   `yaml:"timeout"`
	Retries     int      `yaml:"retries"`
	StartPeriod string   `yaml:"start_period"`
}

type service struct {
	Image           string `yaml:"image"`
	Build           *struct{ Context, Dockerfile string }
	Entrypoint      []string                              `yaml:"entrypoint"`
	Environment     map[string]string                     `yaml:"environment"`
	Healthcheck     *healthcheck                          `yaml:"healthcheck"`
	DependsOn       map[string]struct{ Condition string } `yaml:"depends_on"`
	Deploy          *struct{ Replicas int }
	CapAdd          []string `yaml:"cap_add"`
	CapDrop         []string `yaml:"cap_drop"`
	SecurityOpt     []string `yaml:"security_opt"`
	ReadOnly        bool     `yaml:"read_only"`
	Volumes         []string `yaml:"volumes"`
	Ports           []string `yaml:"ports"`
	StopGracePeriod string   `yaml:"stop_grace_period"`
}

type composeFile struct {
	Name     string             `yaml:"name"`
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

// readEnv reads KEY=VALUE lines of a .env file.
func readEnv(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: line %q is not KEY=VALUE", path, line)
		}
		vars[k] = v
	}
	return vars
}

var varRef = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}`)

// interpolate does what docker compose does with ${X}, ${X:-default}, ${X-default},
// ${X:?message} and $$, with vars as the environment; it returns the names referenced.
func interpolate(text string, vars map[string]string) (string, []string, error) {
	var refs []string
	var errs []string
	out := varRef.ReplaceAllStringFunc(text, func(m string) string {
		if m == "$$" {
			return "$"
		}
		g := varRef.FindStringSubmatch(m)
		name, op, arg := g[1], g[2], g[3]
		refs = append(refs, name)
		v, set := vars[name]
		empty := !set || (strings.HasPrefix(op, ":") && v == "")
		switch {
		case strings.HasSuffix(op, "-") && empty:
			return arg
		case strings.HasSuffix(op, "?") && empty:
			errs = append(errs, fmt.Sprintf("%s: %s", name, arg))
			return ""
		}
		return v
	})
	if len(errs) > 0 {
		return "", nil, fmt.Errorf("required variables: %s", strings.Join(errs, "; "))
	}
	return out, refs, nil
}

func loadCompose(t *testing.T, vars map[string]string) (composeFile, []string) {
	t.Helper()
	raw, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	text, refs, err := interpolate(string(raw), vars)
	if err != nil {
		t.Fatalf("interpolate docker-compose.yml with .env.example: %v", err)
	}
	var cf composeFile
	if err := yaml.Unmarshal([]byte(text), &cf); err != nil {
		t.Fatalf("parse docker-compose.yml: %v", err)
	}
	return cf, refs
}

// TestComposeServices: the services, their healthchecks, replicas, volumes, capabilities and
// shutdown grace, as docs/DEPLOY.md describes them.
func TestComposeServices(t *testing.T) {
	cf, _ := loadCompose(t, readEnv(t, ".env.example"))
	var names []string
	for n := range cf.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	if diff := cmp.Diff([]string{"api", "postgres", "redis", "scheduler", "victoriametrics", "worker"}, names); diff != "" {
		t.Fatalf("services (-want +got):\n%s", diff)
	}
	for name, s := range cf.Services {
		t.Run(name, func(t *testing.T) {
			if s.Healthcheck == nil || len(s.Healthcheck.Test) < 2 || !slices.Contains([]string{"CMD", "CMD-SHELL"}, s.Healthcheck.Test[0]) {
				t.Errorf("healthcheck %+v: want a CMD or CMD-SHELL test", s.Healthcheck)
			} else if d, err := time.ParseDuration(s.Healthcheck.Interval); err != nil || d <= 0 || s.Healthcheck.Retries < 1 {
				t.Errorf("healthcheck interval %q retries %d", s.Healthcheck.Interval, s.Healthcheck.Retries)
			}
			if s.Image == "" {
				t.Error("no image")
			}
			for _, v := range s.Volumes {
				vol, _, _ := strings.Cut(v, ":")
				if _, ok := cf.Volumes[vol]; !ok {
					t.Errorf("volume %q is not declared", vol)
				}
			}
			for dep := range s.DependsOn {
				if _, ok := cf.Services[dep]; !ok {
					t.Errorf("depends on unknown service %q", dep)
				}
			}
		})
	}
	checkWardOps(t, cf)
}

func checkWardOps(t *testing.T, cf composeFile) {
	api, sched, worker := cf.Services["api"], cf.Services["scheduler"], cf.Services["worker"]
	for _, c := range []struct {
		what string
		ok   bool
	}{
		{"postgres, redis and victoriametrics keep data in volumes", len(cf.Services["postgres"].Volumes) > 0 &&
			len(cf.Services["redis"].Volumes) > 0 && len(cf.Services["victoriametrics"].Volumes) > 0},
		{"two schedulers", sched.Deploy != nil && sched.Deploy.Replicas == 2},
		{"worker replicas", worker.Deploy != nil && worker.Deploy.Replicas >= 1},
		{"the scheduler runs from the worker image", sched.Image == worker.Image && slices.Equal(sched.Entrypoint, []string{"/usr/local/bin/scheduler"})},
		{"worker builds Dockerfile.worker", worker.Build != nil && worker.Build.Dockerfile == "Dockerfile.worker"},
		{"api builds Dockerfile.api", api.Build != nil && api.Build.Dockerfile == "Dockerfile.api"},
		{"the worker drops every capability but NET_RAW", slices.Equal(worker.CapDrop, []string{"ALL"}) && slices.Equal(worker.CapAdd, []string{"NET_RAW"})},
		{"no-new-privileges is off for the worker (it would ignore cap_net_raw on the binary)", !slices.ContainsFunc(worker.SecurityOpt, func(s string) bool { return strings.HasPrefix(s, "no-new-privileges") })},
		{"api and scheduler: no capabilities, no-new-privileges", slices.Equal(api.CapDrop, []string{"ALL"}) && len(api.CapAdd) == 0 &&
			slices.Contains(api.SecurityOpt, "no-new-privileges:true") && slices.Equal(sched.CapDrop, []string{"ALL"}) && len(sched.CapAdd) == 0},
		{"read-only root filesystems", api.ReadOnly && worker.ReadOnly && sched.ReadOnly},
		{"workers wait for the API's migrations", worker.DependsOn["api"].Condition == "service_healthy"},
		{"the API publishes 5001", slices.ContainsFunc(api.Ports, func(p string) bool { return strings.HasSuffix(p, ":5001") })},
	} {
		if !c.ok {
			t.Errorf("%s: not so in docker-compose.yml", c.what)
		}
	}
	for _, name := range []string{"api", "worker"} {
		s := cf.Services[name]
		grace, err1 := time.ParseDuration(s.StopGracePeriod)
		drain, err2 := time.ParseDuration(s.Environment["WARDOPS_SHUTDOWN_TIMEOUT"])
		if err1 != nil || err2 != nil || grace <= drain {
			t.Errorf("%s: stop_grace_period %q must exceed WARDOPS_SHUTDOWN_TIMEOUT %q, or Docker kills a drain", name,
				s.StopGracePeriod, s.Environment["WARDOPS_SHUTDOWN_TIMEOUT"])
		}
	}
}

// reads lists the variables a loader reads, by recording its lookups.
func reads(load func(config.Getenv) error) map[string]bool {
	seen := map[string]bool{}
	_ = load(func(k string) (string, bool) { seen[k] = true; return "", false })
	return seen
}

func union(ms ...map[string]bool) map[string]bool {
	out := map[string]bool{}
	for _, m := range ms {
		for k := range m {
			out[k] = true
		}
	}
	return out
}

// TestComposeEnvironment: every WARDOPS_* variable of a WardOps service is one its binary reads
// (a typo would be silently ignored by the binary), and the values, with .env.example, pass the
// binary's validation.
func TestComposeEnvironment(t *testing.T) {
	vars := readEnv(t, ".env.example")
	// .env.example holds a placeholder, never a usable key; an operator's key is 32 random bytes
	vars["WARDOPS_SECRET_KEY"] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	cf, _ := loadCompose(t, vars)
	retentionLoad := func(g config.Getenv) error { _, err := retention.LoadConfig(g); return err }
	binaries := map[string]struct {
		load  func(config.Getenv) error
		names map[string]bool
	}{
		"api":       {func(g config.Getenv) error { _, err := config.LoadAPI(g); return err }, nil},
		"worker":    {func(g config.Getenv) error { _, err := config.LoadWorker(g); return err }, nil},
		"scheduler": {func(g config.Getenv) error { _, err := config.LoadScheduler(g); return err }, nil},
	}
	for name, b := range binaries {
		t.Run(name, func(t *testing.T) {
			known := reads(b.load)
			if name != "api" { // the retention policy is read by the worker (and the scheduler for its hour)
				known = union(known, reads(retentionLoad))
			}
			env := cf.Services[name].Environment
			if len(env) == 0 {
				t.Fatal("no environment")
			}
			for k := range env {
				if strings.HasPrefix(k, "WARDOPS_") && !known[k] {
					t.Errorf("%s sets %s, which the %s binary does not read", name, k, name)
				}
			}
			for _, k := range []string{"WARDOPS_DATABASE_URL", "WARDOPS_REDIS_URL"} {
				if env[k] == "" {
					t.Errorf("%s: %s is not set", name, k)
				}
			}
			get := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
			if err := b.load(get); err != nil {
				t.Errorf("%s configuration of docker-compose.yml is refused: %v", name, err)
			}
			if name != "api" {
				if err := retentionLoad(get); err != nil {
					t.Errorf("%s retention configuration is refused: %v", name, err)
				}
			}
		})
	}
}

// TestEnvExample: every variable the compose file requires (${X:?…}) is in .env.example, and
// .env.example sets nothing the compose file does not use.
func TestEnvExample(t *testing.T) {
	vars := readEnv(t, ".env.example")
	_, refs := loadCompose(t, vars)
	used := map[string]bool{}
	for _, r := range refs {
		used[r] = true
	}
	raw, _ := os.ReadFile("docker-compose.yml")
	for _, m := range varRef.FindAllStringSubmatch(string(raw), -1) {
		if strings.HasSuffix(m[2], "?") {
			if _, ok := vars[m[1]]; !ok {
				t.Errorf("docker-compose.yml requires %s, which .env.example does not set", m[1])
			}
		}
	}
	for k := range vars {
		if !used[k] {
			t.Errorf(".env.example sets %s, which docker-compose.yml does not use", k)
		}
	}
	if _, _, err := interpolate(string(raw), map[string]string{}); err == nil {
		t.Error("docker-compose.yml starts without POSTGRES_PASSWORD and WARDOPS_SECRET_KEY: it must require them")
	}
}

// TestDockerfiles: multi-stage builds of static binaries that run as a non-root user; the
// worker's binary carries cap_net_raw.
func TestDockerfiles(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"../Dockerfile.api", []string{"FROM golang:1.26 AS build", "CGO_ENABLED=0", "./cmd/api", "USER 10001:10001", "HEALTHCHECK"}},
		{"../Dockerfile.worker", []string{"FROM golang:1.26 AS build", "CGO_ENABLED=0", "./cmd/worker", "./cmd/scheduler",
			"setcap cap_net_raw+ep /usr/local/bin/worker", "USER 10001:10001", "HEALTHCHECK"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			text := string(raw)
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("%s lacks %q", tc.file, w)
				}
			}
			if n := strings.Count(text, "\nFROM "); n < 2 {
				t.Errorf("%s has %d stages, want a build stage and a runtime stage", tc.file, n)
			}
			if strings.Contains(text, "USER root") || strings.Contains(text, "USER 0") {
				t.Errorf("%s runs as root", tc.file)
			}
		})
	}
}
