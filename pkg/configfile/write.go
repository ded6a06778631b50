package configfile

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/notify"
	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/snmp"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
)

// applier writes one checked file through the store's write functions inside the apply's
// transaction, keeping the state's maps current so that later objects resolve the names of
// earlier ones.
type applier struct {
	doc      *Document
	st       *state
	tx       *store.Store
	res      *Result
	secrets  map[string]notify.Secrets
	rec      *audit.Recorder
	channels *notify.Service
	ping     schedule.PingTiming
	// profileSNMP are the resolved SNMP settings of the file's profiles; snmp seals them
	profileSNMP map[string]snmp.ProfileSettings
	// deviceSNMP are the resolved own SNMP settings of the file's devices
	deviceSNMP map[string]snmp.Settings
	snmp       *snmp.Service
}

// writeErr places a write's error at the object's path: the apply stops there.
func (a *applier) writeErr(path string, err error) error {
	return Errors{fieldErr(a.doc, path, err)}
}

// note adds a change to the result and records its audit row (before/after are the file's
// representations: they hold secret references at most, never values).
func (a *applier) note(ctx context.Context, kind, name string, op Op, fields []FieldChange, id int64, before, after any) error {
	a.res.Changes = append(a.res.Changes, Change{Kind: kind, Name: name, Op: op, Fields: fields})
	switch op {
	case OpCreate:
		a.res.Summary.Create++
	case OpUpdate:
		a.res.Summary.Update++
	case OpDelete:
		a.res.Summary.Delete++
	}
	return a.rec.Record(ctx, audit.Entry{Action: kind + "." + string(op), TargetType: kind,
		TargetID: strconv.FormatInt(id, 10), Before: before, After: after, Detail: map[string]any{"via": "config.apply", "file": a.doc.Name}})
}

func (a *applier) deviceID(name string) int64 {
	if d, ok := a.st.devices[name]; ok {
		return d.ID
	}
	return 0
}

func (a *applier) profileID(name string) *int64 {
	if p, ok := a.st.profiles[name]; ok && name != "" {
		return &p.ID
	}
	return nil
}

// keepNames sets a file scope's device names onto a normalised one (ids of devices the file
// creates are not known while comparing).
func keepNames(norm Scope, file Scope) Scope {
	norm.Devices = nilIfEmpty(file.Devices)
	return norm
}

func (a *applier) run(ctx context.Context, prune bool) error {
	steps := []func(context.Context) error{a.regions, a.profiles, a.branches, a.devices, a.rules, a.channelList,
		a.windows, a.schedule, a.users}
	if prune {
		steps = append(steps, a.prune)
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) regions(ctx context.Context) error {
	for i, want := range a.doc.File.Regions {
		path := fmt.Sprintf("regions[%d]", i)
		cur, ok := a.st.regions[want.Name]
		op, fields, before := OpCreate, []FieldChange(nil), any(nil)
		if ok {
			old := regionToFile(cur)
			if fields = diff(old, want); len(fields) == 0 {
				continue
			}
			op, before = OpUpdate, old
		}
		saved, err := a.tx.SaveRegion(ctx, cur.ID, store.RegionInput{Name: want.Name, Description: want.Description})
		if err != nil {
			return a.writeErr(path, err)
		}
		a.st.regions[want.Name] = saved
		if err := a.note(ctx, "region", want.Name, op, fields, saved.ID, before, want); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) profiles(ctx context.Context) error {
	for i, p := range a.doc.File.Profiles {
		path := fmt.Sprintf("profiles[%d]", i)
		in := profileFromFile(p)
		var wantSNMP *snmp.ProfileSettings
		if p.SNMP != nil {
			wantSNMP = ptr(a.profileSNMP[p.Name])
		}
		want := profileToFile(in)
		want.SNMP = profileSNMPToFile(p.Name, wantSNMP)
		cur, ok := a.st.profiles[p.Name]
		op, fields, before := OpCreate, []FieldChange(nil), any(nil)
		if ok {
			old := profileToFile(cur)
			old.SNMP = profileSNMPToFile(p.Name, a.st.profileSNMP[p.Name])
			curSNMP, err := a.snmp.RevealedProfileSettings(ctx, cur.ID)
			if err != nil {
				return a.writeErr(path+".snmp", err)
			}
			fields = append(diff(withoutSecrets(old), withoutSecrets(want)), snmpSecretFields(curSNMP, wantSNMP)...)
			if len(fields) == 0 {
				continue
			}
			op, before, in.ID = OpUpdate, old, cur.ID
		}
		saved, err := a.tx.SaveProfile(ctx, in)
		if err != nil {
			return a.writeErr(path, err)
		}
		if err := a.saveProfileSNMP(ctx, saved.ID, ok, wantSNMP); err != nil {
			return a.writeErr(path+".snmp", err)
		}
		a.st.profiles[p.Name] = saved
		a.st.profileByID[saved.ID] = saved.Name
		a.st.profileSNMP[p.Name] = wantSNMP
		if err := a.note(ctx, "profile", p.Name, op, fields, saved.ID, before, want); err != nil {
			return err
		}
	}
	return nil
}

// saveProfileSNMP puts a profile's SNMP settings through the snmp Service (which validates
// and seals them as for the API), or removes the stored ones the file leaves out.
func (a *applier) saveProfileSNMP(ctx context.Context, id int64, existed bool, want *snmp.ProfileSettings) error {
	if want == nil {
		if !existed {
			return nil
		}
		return a.snmp.DeleteProfileSettings(ctx, id)
	}
	_, err := a.snmp.PutProfileSettings(ctx, id, *want)
	return err
}

// saveDeviceSNMP is saveProfileSNMP for a device's own SNMP settings.
func (a *applier) saveDeviceSNMP(ctx context.Context, id int64, existed bool, want *snmp.Settings) error {
	if want == nil {
		if !existed {
			return nil
		}
		return a.snmp.DeleteDeviceSettings(ctx, id)
	}
	_, err := a.snmp.PutDeviceSettings(ctx, id, *want)
	return err
}

func (a *applier) branches(ctx context.Context) error {
	for i, b := range a.doc.File.Branches {
		path := fmt.Sprintf("branches[%d]", i)
		want := b
		if want.TimeZone == "" {
			want.TimeZone = "UTC"
		}
		cur, ok := a.st.branches[b.Name]
		op, fields, before := OpCreate, []FieldChange(nil), any(nil)
		if ok {
			old := branchToFile(cur, a.st.profileName)
			if fields = diff(old, want); len(fields) == 0 {
				continue
			}
			op, before = OpUpdate, old
		}
		in := store.BranchInput{Name: want.Name, Address: want.Address, Latitude: want.Latitude, Longitude: want.Longitude,
			ISP: want.ISP, CircuitID: want.CircuitID, Contacts: want.Contacts, TimeZone: want.TimeZone, ProfileID: a.profileID(want.Profile)}
		if r, ok := a.st.regions[want.Region]; ok && want.Region != "" {
			in.RegionID = &r.ID
		}
		saved, err := a.tx.SaveBranch(ctx, cur.ID, in)
		if err != nil {
			return a.writeErr(path, err)
		}
		a.st.branches[b.Name] = saved
		if err := a.note(ctx, "branch", b.Name, op, fields, saved.ID, before, want); err != nil {
			return err
		}
	}
	return nil
}

// devices writes every changed device, then (second pass) the parents that name a device
// created after the child.
func (a *applier) devices(ctx context.Context) error {
	type later struct {
		path string
		in   store.DeviceInput
	}
	var parents []later
	for i, d := range a.doc.File.Devices {
		path := fmt.Sprintf("devices[%d]", i)
		want := d
		want.Labels, want.Enabled = nilIfEmptyMap(d.Labels), falseOnly(orTrue(d.Enabled))
		var wantSNMP *snmp.Settings
		if d.SNMP != nil {
			wantSNMP = ptr(a.deviceSNMP[d.Name])
		}
		want.SNMP = deviceSNMPToFile(d.Name, wantSNMP)
		cur, ok := a.st.devices[d.Name]
		op, fields, before := OpCreate, []FieldChange(nil), any(nil)
		if ok {
			old := deviceToFile(cur, a.st.deviceName, a.st.profileName)
			old.SNMP = deviceSNMPToFile(d.Name, a.st.deviceSNMP[d.Name])
			curSNMP, err := a.snmp.RevealedDeviceSettings(ctx, cur.ID)
			if err != nil {
				return a.writeErr(path+".snmp", err)
			}
			fields = append(diff(deviceWithoutSecrets(old), deviceWithoutSecrets(want)),
				snmpSecretFields(credentialsOnly(curSNMP), credentialsOnly(wantSNMP))...)
			if len(fields) == 0 {
				continue
			}
			op, before = OpUpdate, old
		}
		ip, _ := netip.ParseAddr(want.IP) // checked
		in := store.DeviceInput{Name: want.Name, IP: ip, Branch: want.Branch, Type: want.Type, Vendor: want.Vendor,
			Labels: want.Labels, ProfileID: a.profileID(want.Profile), Enabled: orTrue(want.Enabled), Strict: true}
		if b, ok := a.st.branches[want.Branch]; ok && want.Branch != "" {
			in.Region = b.Region
		}
		if want.Parent != "" {
			if id := a.deviceID(want.Parent); id != 0 {
				in.ParentID = &id
			}
		}
		var saved store.Device
		var err error
		if ok {
			saved, err = a.tx.UpdateDevice(ctx, cur.ID, in)
		} else {
			saved, err = a.tx.CreateDevice(ctx, in)
		}
		if err != nil {
			return a.writeErr(path, err)
		}
		if err := a.saveDeviceSNMP(ctx, saved.ID, ok, wantSNMP); err != nil {
			return a.writeErr(path+".snmp", err)
		}
		a.st.devices[d.Name] = saved
		a.st.deviceByID[saved.ID] = saved.Name
		a.st.deviceSNMP[d.Name] = wantSNMP
		if want.Parent != "" && in.ParentID == nil {
			parents = append(parents, later{path, in})
		}
		if err := a.note(ctx, "device", d.Name, op, fields, saved.ID, before, want); err != nil {
			return err
		}
	}
	for _, l := range parents {
		want := a.doc.File.Devices[slices.IndexFunc(a.doc.File.Devices, func(d Device) bool { return d.Name == l.in.Name })]
		id := a.deviceID(want.Parent)
		l.in.ParentID = &id
		saved, err := a.tx.UpdateDevice(ctx, a.deviceID(l.in.Name), l.in)
		if err != nil {
			return a.writeErr(l.path, err)
		}
		a.st.devices[saved.Name] = saved
	}
	return nil
}

func (a *applier) rules(ctx context.Context) error {
	for i, r := range a.doc.File.Rules {
		path := fmt.Sprintf("rules[%d]", i)
		in, err := ruleInput(r, a.deviceID)
		if err != nil {
			return a.writeErr(path, err)
		}
		norm, err := in.NewRule()
		if err != nil {
			return a.writeErr(path, err)
		}
		want := ruleToFile(norm, a.st.deviceName)
		want.Scope = keepNames(want.Scope, r.Scope)
		cur, ok := a.st.rules[r.Name]
		op, fields, before := OpCreate, []FieldChange(nil), any(nil)
		var saved alert.Rule
		if ok {
			old := ruleToFile(cur, a.st.deviceName)
			if fields = diff(old, want); len(fields) == 0 {
				continue
			}
			op, before = OpUpdate, old
			saved, err = a.tx.UpdateAlertRule(ctx, cur.ID, in)
		} else {
			saved, err = a.tx.CreateAlertRule(ctx, in)
		}
		if err != nil {
			return a.writeErr(path, err)
		}
		a.st.rules[r.Name] = saved
		if err := a.note(ctx, "rule", r.Name, op, fields, saved.ID, before, want); err != nil {
			return err
		}
	}
	return nil
}

// secretFields compares the secrets a file names with the stored ones, by name only.
func secretFields(cur, want notify.Secrets) []FieldChange {
	var out []FieldChange
	for _, s := range []struct{ name, old, new string }{{"bot_token", cur.BotToken, want.BotToken},
		{"hmac_secret", cur.HMACSecret, want.HMACSecret}, {"password", cur.Password, want.Password},
		{"webhook_url", cur.WebhookURL, want.WebhookURL}} {
		switch {
		case s.old == s.new:
		case s.old == "":
			out = append(out, FieldChange{Field: "secrets." + s.name, Old: nil, New: "(set)"})
		case s.new == "":
			out = append(out, FieldChange{Field: "secrets." + s.name, Old: "(set)", New: nil})
		default:
			out = append(out, FieldChange{Field: "secrets." + s.name, Old: "(set)", New: "(changed)"})
		}
	}
	return out
}

func (a *applier) channelList(ctx context.Context) error {
	for i, ch := range a.doc.File.Channels {
		path := fmt.Sprintf("channels[%d]", i)
		want := ch
		want.Secrets, want.Config.To, want.Enabled = nil, nilIfEmpty(ch.Config.To), falseOnly(orTrue(ch.Enabled))
		want.Severities = nilIfEmpty(ch.Severities)
		want.Scope = keepNames(scopeToFile(scopeFromFile(ch.Scope, a.deviceID), a.st.deviceName), ch.Scope)
		sec := a.secrets[ch.Name]
		cur, ok := a.st.channels[ch.Name]
		op, fields, before := OpCreate, []FieldChange(nil), any(nil)
		if ok {
			old := channelToFile(cur, a.st.deviceName)
			old.Secrets = nil
			curSec, err := a.channels.Secrets(ctx, cur.ID)
			if err != nil {
				return a.writeErr(path, err)
			}
			if fields = append(diff(old, want), secretFields(curSec, sec)...); len(fields) == 0 {
				continue
			}
			op, before = OpUpdate, channelToFile(cur, a.st.deviceName)
		}
		typ, cfg, sev := notify.Type(want.Type), channelConfig(want.Config), severities(want.Severities)
		scope, enabled := scopeFromFile(want.Scope, a.deviceID), orTrue(want.Enabled)
		in := notify.ChannelInput{Name: &want.Name, Type: &typ, Config: &cfg, Secrets: &sec, Severities: &sev,
			Scope: &scope, Enabled: &enabled}
		var saved notify.Channel
		var err error
		if ok {
			for _, n := range simpleSecrets { // a secret the file leaves out is removed
				if slices.Contains(cur.SecretNames, n) && ch.Secrets[n] == "" {
					in.ClearSecrets = append(in.ClearSecrets, n)
				}
			}
			saved, err = a.channels.Update(ctx, cur.ID, in)
		} else {
			saved, err = a.channels.Create(ctx, in)
		}
		if err != nil {
			return a.writeErr(path, err)
		}
		a.st.channels[ch.Name] = saved
		if err := a.note(ctx, "channel", ch.Name, op, fields, saved.ID, before, channelToFile(saved, a.st.deviceName)); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) windows(ctx context.Context) error {
	for i, w := range a.doc.File.Maintenance {
		path := fmt.Sprintf("maintenance[%d]", i)
		in := windowInput(w, a.deviceID)
		norm, err := in.Window()
		if err != nil {
			return a.writeErr(path, err)
		}
		want := windowToFile(norm, a.st.deviceName)
		want.Targets = keepNames(want.Targets, w.Targets)
		cur, ok := a.st.windows[w.Name]
		op, fields, before := OpCreate, []FieldChange(nil), any(nil)
		var saved alert.Window
		if ok {
			old := windowToFile(cur, a.st.deviceName)
			if fields = diff(old, want); len(fields) == 0 {
				continue
			}
			op, before = OpUpdate, old
			saved, err = a.tx.UpdateWindow(ctx, cur.ID, in)
		} else {
			saved, err = a.tx.CreateWindow(ctx, in)
		}
		if err != nil {
			return a.writeErr(path, err)
		}
		a.st.windows[w.Name] = saved
		if err := a.note(ctx, "maintenance", w.Name, op, fields, saved.ID, before, want); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) schedule(ctx context.Context) error {
	for i, j := range a.doc.File.Schedule {
		path := fmt.Sprintf("schedule[%d]", i)
		e, err := jobEntry(j)
		if err != nil {
			return a.writeErr(path, err)
		}
		want := jobToFile(e)
		cur, ok := a.st.jobs[j.Task]
		op, fields, before := OpCreate, []FieldChange(nil), any(nil)
		if ok {
			old := jobToFile(cur)
			if fields = diff(old, want); len(fields) == 0 {
				continue
			}
			op, before = OpUpdate, old
		}
		// against the profiles as this file leaves them (written in this transaction)
		if err := (schedule.FitCheck{Source: a.tx, Ping: a.ping}).Check(ctx, e); err != nil {
			return a.writeErr(path, err)
		}
		if ok {
			_, err = a.tx.PutScheduleEntry(ctx, e)
		} else {
			err = a.tx.SeedSchedule(ctx, []store.ScheduleEntry{e}) // inserts the missing row
		}
		if err != nil {
			return a.writeErr(path, err)
		}
		a.st.jobs[j.Task] = e
		if err := a.note(ctx, "schedule", j.Task, op, fields, 0, before, want); err != nil {
			return err
		}
	}
	return a.profilesFit()
}

// profilesFit refuses a profile of the file whose ping would not fit the ping job as the file
// leaves it (an unchanged job is not checked by schedule's FitCheck).
func (a *applier) profilesFit() error {
	e, ok := a.st.jobs[tasks.TypePingCycle]
	if !ok {
		return nil
	}
	for i, fp := range a.doc.File.Profiles {
		p := a.st.profiles[fp.Name]
		t := schedule.PingTiming{Count: p.PingCount, Spacing: time.Duration(p.PingIntervalMS) * time.Millisecond,
			Timeout: time.Duration(p.PingTimeoutMS) * time.Millisecond}
		if err := schedule.CheckProfile(p.Name, t, e); err != nil {
			return a.writeErr(fmt.Sprintf("profiles[%d]", i), err)
		}
	}
	return nil
}

// users sets roles and scopes; a user the database lacks is created without a password (it
// cannot sign in until `api user passwd` sets one).
func (a *applier) users(ctx context.Context) error {
	for i, u := range a.doc.File.Users {
		path := fmt.Sprintf("users[%d]", i)
		want := userToFile(store.User{Username: u.Username, Role: u.Role, Disabled: u.Disabled,
			ScopeRegions: u.ScopeRegions, ScopeBranches: u.ScopeBranches})
		cur, ok := a.st.users[u.Username]
		op, fields, before := OpCreate, []FieldChange(nil), any(nil)
		var saved store.User
		var err error
		if ok {
			old := userToFile(cur)
			if fields = diff(old, want); len(fields) == 0 {
				continue
			}
			op, before = OpUpdate, old
			_, saved, err = a.tx.UpdateUser(ctx, cur.ID, func(x *store.User) error {
				x.Role, x.Disabled, x.ScopeRegions, x.ScopeBranches = want.Role, want.Disabled, want.ScopeRegions, want.ScopeBranches
				return nil
			})
		} else {
			saved, err = a.tx.CreateUser(ctx, store.User{Username: want.Username, Role: want.Role, Disabled: want.Disabled,
				ScopeRegions: want.ScopeRegions, ScopeBranches: want.ScopeBranches})
		}
		if err != nil {
			return a.writeErr(path, err)
		}
		a.st.users[u.Username] = saved
		if err := a.note(ctx, "user", u.Username, op, fields, saved.ID, before, want); err != nil {
			return err
		}
	}
	return nil
}
