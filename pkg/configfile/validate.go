package configfile

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/inventory"
	"github.com/wardops/wardops/pkg/notify"
	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/snmp"
	"github.com/wardops/wardops/pkg/store"
)

// checker collects the errors of one file against the database's current state.
type checker struct {
	doc   *Document
	st    *state
	prune bool
	res   Resolver
	errs  Errors
	// secrets are the resolved secret values by channel name (never written anywhere else)
	secrets map[string]notify.Secrets
	// profileSNMP are the profiles' resolved SNMP settings by profile name (secrets in clear:
	// never written anywhere but sealed)
	profileSNMP map[string]snmp.ProfileSettings
	// deviceSNMP are the devices' resolved own SNMP settings by device name (as profileSNMP)
	deviceSNMP map[string]snmp.Settings
}

func (c *checker) fail(path, format string, args ...any) {
	c.errs = append(c.errs, c.doc.At(path, format, args...))
}

// fieldFail reports a domain error (alert, inventory, schedule, notify) under path.
func (c *checker) fieldFail(path string, err error) {
	c.errs = append(c.errs, fieldErr(c.doc, path, err))
}

// fieldErr places an error that names a field of the object at path.
func fieldErr(doc *Document, path string, err error) *Error {
	var ae *alert.FieldError
	var ie *inventory.FieldError
	var se *schedule.FieldError
	var ce *store.ConstraintError
	var ne *snmp.FieldError
	switch {
	case errors.As(err, &ne):
		return doc.At(join(path, ne.Field), "%s", ne.Message)
	case errors.As(err, &ae):
		return doc.At(join(path, ae.Field), "%s", ae.Message)
	case errors.As(err, &ie):
		return doc.At(join(path, ie.Field), "%s", ie.Reason)
	case errors.As(err, &se):
		return doc.At(join(path, se.Field), "%s", se.Message)
	case errors.As(err, &ce):
		field := map[string]string{"parent_id": "parent", "profile_id": "profile", "region_id": "region"}[ce.Field()]
		if field == "" {
			field = ce.Field()
		}
		return doc.At(join(path, field), "%s", ce.ClientMessage(strings.TrimRightFunc(parentPath(path+"."), isIndexRune)))
	}
	return doc.At(path, "%v", err)
}

func isIndexRune(r rune) bool { return r == ']' || r == '[' || (r >= '0' && r <= '9') }

// known says whether a name of a list is there after the apply: in the file, or in the
// database unless the file's list replaces it (prune).
func (c *checker) known(key string, inFile []string, inDB bool, name string) bool {
	if slices.Contains(inFile, name) {
		return true
	}
	return inDB && !(c.prune && c.doc.Has(key))
}

func names[T any](xs []T, name func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = name(x)
	}
	return out
}

// unique reports names given twice in a list.
func (c *checker) unique(key, field string, ns []string) {
	seen := map[string]int{}
	for i, n := range ns {
		if j, dup := seen[n]; dup {
			c.fail(fmt.Sprintf("%s[%d].%s", key, i, field), "%q is given twice (first at %s[%d])", n, key, j)
			continue
		}
		seen[n] = i
	}
}

// name checks a key name: valid and written without surrounding spaces.
func (c *checker) name(path, v string) {
	clean, err := inventory.Name(v)
	switch {
	case err != nil:
		c.fieldFail(parentPath(path), err)
	case clean != v:
		c.fail(path, "has leading or trailing spaces")
	}
}

func (c *checker) check() {
	f := &c.doc.File
	regionNames := names(f.Regions, func(r Region) string { return r.Name })
	profileNames := names(f.Profiles, func(p Profile) string { return p.Name })
	branchNames := names(f.Branches, func(b Branch) string { return b.Name })
	deviceNames := names(f.Devices, func(d Device) string { return d.Name })
	c.unique("regions", "name", regionNames)
	c.unique("profiles", "name", profileNames)
	c.unique("branches", "name", branchNames)
	c.unique("devices", "name", deviceNames)
	c.unique("rules", "name", names(f.Rules, func(r Rule) string { return r.Name }))
	c.unique("channels", "name", names(f.Channels, func(ch Channel) string { return ch.Name }))
	c.unique("maintenance", "name", names(f.Maintenance, func(w Window) string { return w.Name }))
	c.unique("schedule", "task", names(f.Schedule, func(j Job) string { return j.Task }))
	c.unique("users", "username", names(f.Users, func(u User) string { return u.Username }))
	refs := refChecks{
		region:  func(n string) bool { _, db := c.st.regions[n]; return c.known("regions", regionNames, db, n) },
		profile: func(n string) bool { _, db := c.st.profiles[n]; return c.known("profiles", profileNames, db, n) },
		branch:  func(n string) bool { _, db := c.st.branches[n]; return c.known("branches", branchNames, db, n) },
		device:  func(n string) bool { _, db := c.st.devices[n]; return c.known("devices", deviceNames, db, n) },
	}
	for i, r := range f.Regions {
		c.name(fmt.Sprintf("regions[%d].name", i), r.Name)
	}
	for i, p := range f.Profiles {
		c.checkProfile(fmt.Sprintf("profiles[%d]", i), p)
	}
	for i, b := range f.Branches {
		c.checkBranch(fmt.Sprintf("branches[%d]", i), b, refs)
	}
	for i, d := range f.Devices {
		c.checkDevice(fmt.Sprintf("devices[%d]", i), d, refs)
	}
	for i, r := range f.Rules {
		path := fmt.Sprintf("rules[%d]", i)
		if _, err := ruleInput(r, func(string) int64 { return 1 }); err != nil {
			c.fieldFail(path, err)
		}
		c.checkScope(path+".scope", r.Scope, refs)
	}
	for i, ch := range f.Channels {
		c.checkChannel(fmt.Sprintf("channels[%d]", i), ch, refs)
	}
	for i, w := range f.Maintenance {
		c.checkWindow(fmt.Sprintf("maintenance[%d]", i), w, refs)
	}
	for i, j := range f.Schedule {
		if _, err := jobEntry(j); err != nil {
			c.fieldFail(fmt.Sprintf("schedule[%d]", i), err)
		}
	}
	for i, u := range f.Users {
		c.checkUser(fmt.Sprintf("users[%d]", i), u, refs)
	}
}

type refChecks struct{ region, profile, branch, device func(string) bool }

func (c *checker) checkProfile(path string, p Profile) {
	c.name(path+".name", p.Name)
	c.checkProfileSNMP(path, p)
	sp := profileFromFile(p)
	switch {
	case sp.PingCount < 1 || sp.PingCount > 20:
		c.fail(path+".ping_count", "must be from 1 to 20 echo requests")
	case sp.PingIntervalMS < 10 || sp.PingIntervalMS > 10000:
		c.fail(path+".ping_interval_ms", "must be from 10 to 10000 (ms between echo requests)")
	case sp.PingTimeoutMS < 50 || sp.PingTimeoutMS > 30000:
		c.fail(path+".ping_timeout_ms", "must be from 50 to 30000")
	case sp.DegradedLossPct < 0 || sp.DegradedLossPct >= 100:
		c.fail(path+".degraded_loss_pct", "must be from 0 (any loss) to below 100 (100 %% loss is down)")
	case sp.WindowCycles < 1 || sp.WindowCycles > 30:
		c.fail(path+".window_cycles", "must be from 1 to 30")
	case sp.RecoverLossPct != nil && (*sp.RecoverLossPct < 0 || *sp.RecoverLossPct > sp.DegradedLossPct):
		c.fail(path+".recover_loss_pct", "must be from 0 to degraded_loss_pct")
	}
}

func (c *checker) checkBranch(path string, b Branch, refs refChecks) {
	c.name(path+".name", b.Name)
	switch {
	case (b.Latitude == nil) != (b.Longitude == nil):
		c.fail(path+".latitude", "latitude and longitude go together: give both or neither")
	case b.Latitude != nil && (*b.Latitude < -90 || *b.Latitude > 90):
		c.fail(path+".latitude", "must be from -90 to 90")
	case b.Longitude != nil && (*b.Longitude < -180 || *b.Longitude > 180):
		c.fail(path+".longitude", "must be from -180 to 180")
	}
	if _, err := time.LoadLocation(b.TimeZone); err != nil || b.TimeZone == "Local" {
		c.fail(path+".time_zone", "%q is not an IANA time zone name (e.g. Europe/Zurich, UTC)", b.TimeZone)
	}
	if b.Region != "" && !refs.region(b.Region) {
		c.fail(path+".region", "region %q does not exist (neither in the file nor in the database)", b.Region)
	}
	if b.Profile != "" && !refs.profile(b.Profile) {
		c.fail(path+".profile", "profile %q does not exist (neither in the file nor in the database)", b.Profile)
	}
}

func (c *checker) checkDevice(path string, d Device, refs refChecks) {
	c.name(path+".name", d.Name)
	c.checkDeviceSNMP(path, d)
	if a, err := inventory.IP(d.IP); err != nil {
		c.fieldFail(path, err)
	} else if a.String() != d.IP {
		c.fail(path+".ip", "write the address as %s", a)
	}
	for _, t := range []struct{ field, v string }{{"type", d.Type}, {"vendor", d.Vendor}} {
		if v, err := inventory.Text(t.field, t.v); err != nil {
			c.fieldFail(path, err)
		} else if v != t.v {
			c.fail(path+"."+t.field, "has leading or trailing spaces")
		}
	}
	if _, err := inventory.Labels(d.Labels); err != nil {
		c.fieldFail(path, err)
	}
	switch {
	case d.Branch != "" && !refs.branch(d.Branch):
		c.fail(path+".branch", "branch %q does not exist (neither in the file nor in the database)", d.Branch)
	case d.Profile != "" && !refs.profile(d.Profile):
		c.fail(path+".profile", "profile %q does not exist (neither in the file nor in the database)", d.Profile)
	case d.Parent == d.Name:
		c.fail(path+".parent", "a device cannot be its own parent")
	case d.Parent != "" && !refs.device(d.Parent):
		c.fail(path+".parent", "device %q does not exist (neither in the file nor in the database)", d.Parent)
	}
}

func (c *checker) checkScope(path string, s Scope, refs refChecks) {
	for i, n := range s.Devices {
		if !refs.device(n) {
			c.fail(fmt.Sprintf("%s.devices[%d]", path, i), "device %q does not exist (neither in the file nor in the database)", n)
		}
	}
}

func (c *checker) checkChannel(path string, ch Channel, refs refChecks) {
	c.name(path+".name", ch.Name)
	switch notify.Type(ch.Type) {
	case notify.TypeWebhook, notify.TypeEmail, notify.TypeSlack, notify.TypeTelegram:
	default:
		c.fail(path+".type", "must be webhook, email, slack or telegram")
	}
	if u, err := url.Parse(ch.Config.URL); err == nil && (u.User != nil || u.RawQuery != "") {
		c.fail(path+".config.url", "credentials and query are secrets: set them through the API (they are kept as stored)")
	}
	var sec notify.Secrets
	keys := make([]string, 0, len(ch.Secrets))
	for k := range ch.Secrets {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p := path + ".secrets." + k
		if !slices.Contains(simpleSecrets, k) {
			c.fail(p, "unknown secret (known: %s)", strings.Join(simpleSecrets, ", "))
			continue
		}
		if msg := checkRef(ch.Secrets[k]); msg != "" {
			c.fail(p, "%s", msg)
			continue
		}
		v, err := c.res.resolve(ch.Secrets[k])
		if err != nil {
			c.fail(p, "%v", err)
			continue
		}
		switch k {
		case "hmac_secret":
			sec.HMACSecret = v
		case "password":
			sec.Password = v
		case "webhook_url":
			sec.WebhookURL = v
		case "bot_token":
			sec.BotToken = v
		}
	}
	c.secrets[ch.Name] = sec
	c.checkScope(path+".scope", ch.Scope, refs)
}

func (c *checker) checkWindow(path string, w Window, refs refChecks) {
	for _, t := range []struct{ field, v string }{{"starts_at", w.StartsAt}, {"ends_at", w.EndsAt}} {
		if t.v == "" {
			continue
		}
		if _, err := time.Parse(time.RFC3339, t.v); err != nil {
			c.fail(path+"."+t.field, "%q is not an RFC 3339 time (2026-12-24T22:00:00Z)", t.v)
			return
		}
	}
	if _, err := windowInput(w, func(string) int64 { return 1 }).Window(); err != nil {
		c.fieldFail(path, err)
	}
	c.checkScope(path+".targets", w.Targets, refs)
}

// jobEntry is the schedule entry of a file's job, validated.
func jobEntry(j Job) (store.ScheduleEntry, error) {
	e := store.ScheduleEntry{TaskType: j.Task, Enabled: orTrue(j.Enabled), UpdatedBy: "config"}
	if _, ok := schedule.KindOf(j.Task); !ok {
		return e, &schedule.FieldError{Field: "task", Message: fmt.Sprintf("unknown periodic job %q", j.Task)}
	}
	var err error
	if e.Interval, err = time.ParseDuration(j.Interval); err != nil {
		return e, &schedule.FieldError{Field: "interval", Message: fmt.Sprintf("%q is not a duration (30s, 5m, 1h)", j.Interval)}
	}
	if j.Offset != "" {
		if e.Offset, err = time.ParseDuration(j.Offset); err != nil {
			return e, &schedule.FieldError{Field: "offset", Message: fmt.Sprintf("%q is not a duration (0s, 10s)", j.Offset)}
		}
	}
	if err := schedule.Validate(e); err != nil {
		var fe *schedule.FieldError
		if errors.As(err, &fe) && fe.Field == "task_type" {
			fe.Field = "task"
		}
		return e, err
	}
	return e, nil
}

func (c *checker) checkUser(path string, u User, refs refChecks) {
	if u.Username == "" || u.Username != strings.ToLower(strings.TrimSpace(u.Username)) {
		c.fail(path+".username", "must be a lower-case user name without spaces around it")
	}
	role, err := auth.ParseRole(u.Role)
	if err != nil {
		c.fail(path+".role", "must be viewer, operator or admin")
		return
	}
	if role == auth.RoleAdmin && (len(u.ScopeRegions) > 0 || len(u.ScopeBranches) > 0) {
		c.fail(path+".scope_regions", "an admin is never scoped: leave scope_regions and scope_branches out")
	}
	for i, r := range u.ScopeRegions {
		if !refs.region(r) {
			c.fail(fmt.Sprintf("%s.scope_regions[%d]", path, i), "region %q does not exist (neither in the file nor in the database)", r)
		}
	}
	for i, b := range u.ScopeBranches {
		if !refs.branch(b) {
			c.fail(fmt.Sprintf("%s.scope_branches[%d]", path, i), "branch %q does not exist (neither in the file nor in the database)", b)
		}
	}
}
