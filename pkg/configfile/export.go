package configfile

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/notify"
	"github.com/wardops/wardops/pkg/snmp"
	"github.com/wardops/wardops/pkg/store"
)

// state is the database's configuration: as a file, and the stored objects by key.
type state struct {
	file     File
	regions  map[string]store.Region
	branches map[string]store.Branch
	profiles map[string]store.Profile
	devices  map[string]store.Device
	rules    map[string]alert.Rule
	channels map[string]notify.Channel
	windows  map[string]alert.Window
	jobs     map[string]store.ScheduleEntry
	users    map[string]store.User
	// profileSNMP are the profiles' SNMP settings for display (secrets only marked as set), by name
	profileSNMP map[string]*snmp.ProfileSettings
	// deviceSNMP are the devices' own SNMP settings for display, by name
	deviceSNMP map[string]*snmp.Settings
	// names of ids, for the references the file writes by name
	profileByID map[int64]string
	deviceByID  map[int64]string
}

func (st *state) profileName(id *int64) string {
	if id == nil {
		return ""
	}
	return st.profileByID[*id]
}

func (st *state) deviceName(id *int64) string {
	if id == nil {
		return ""
	}
	if n, ok := st.deviceByID[*id]; ok {
		return n
	}
	return fmt.Sprintf("#%d", *id) // a scope naming a deleted device
}

func byName[T any](xs []T, name func(T) string) map[string]T {
	m := make(map[string]T, len(xs))
	for _, x := range xs {
		m[name(x)] = x
	}
	return m
}

// load reads the whole configuration through the store's list functions.
func load(ctx context.Context, s *store.Store) (*state, error) {
	st := &state{profileByID: map[int64]string{}, deviceByID: map[int64]string{}}
	regions, err := s.ListRegions(ctx)
	if err != nil {
		return nil, err
	}
	profiles, err := s.ListProfiles(ctx)
	if err != nil {
		return nil, err
	}
	branches, err := s.ListBranches(ctx, 0)
	if err != nil {
		return nil, err
	}
	devices, err := allDevices(ctx, s)
	if err != nil {
		return nil, err
	}
	rules, err := s.ListAlertRules(ctx)
	if err != nil {
		return nil, err
	}
	channels, err := s.ListChannels(ctx)
	if err != nil {
		return nil, err
	}
	windows, err := s.ListWindows(ctx)
	if err != nil {
		return nil, err
	}
	jobs, err := s.ListSchedule(ctx)
	if err != nil {
		return nil, err
	}
	users, err := s.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	snmpSvc, err := snmp.New(snmp.Params{Devices: s, Store: s})
	if err != nil {
		return nil, err
	}
	st.profileSNMP = map[string]*snmp.ProfileSettings{}
	for _, p := range profiles {
		st.profileByID[p.ID] = p.Name
		if st.profileSNMP[p.Name], err = snmpSvc.ProfileSettings(ctx, p.ID); err != nil {
			return nil, fmt.Errorf("read SNMP settings of profile %s: %w", p.Name, err)
		}
	}
	st.deviceSNMP = map[string]*snmp.Settings{}
	for _, d := range devices {
		st.deviceByID[d.ID] = d.Name
		if st.deviceSNMP[d.Name], err = snmpSvc.DeviceSettings(ctx, d.ID); err != nil {
			return nil, fmt.Errorf("read SNMP settings of device %s: %w", d.Name, err)
		}
	}
	st.regions = byName(regions, func(r store.Region) string { return r.Name })
	st.profiles = byName(profiles, func(p store.Profile) string { return p.Name })
	st.branches = byName(branches, func(b store.Branch) string { return b.Name })
	st.devices = byName(devices, func(d store.Device) string { return d.Name })
	st.rules = byName(rules, func(r alert.Rule) string { return r.Name })
	st.channels = byName(channels, func(c notify.Channel) string { return c.Name })
	st.windows = byName(windows, func(w alert.Window) string { return w.Name })
	st.jobs = byName(jobs, func(e store.ScheduleEntry) string { return e.TaskType })
	st.users = byName(users, func(u store.User) string { return u.Username })
	st.file = st.asFile(regions, profiles, branches, devices, rules, channels, windows, jobs, users)
	return st, nil
}

func (st *state) asFile(regions []store.Region, profiles []store.Profile, branches []store.Branch, devices []store.Device,
	rules []alert.Rule, channels []notify.Channel, windows []alert.Window, jobs []store.ScheduleEntry, users []store.User) File {
	f := File{Version: Version}
	for _, r := range regions {
		f.Regions = append(f.Regions, regionToFile(r))
	}
	for _, p := range profiles {
		fp := profileToFile(p)
		fp.SNMP = profileSNMPToFile(p.Name, st.profileSNMP[p.Name])
		f.Profiles = append(f.Profiles, fp)
	}
	for _, b := range branches {
		f.Branches = append(f.Branches, branchToFile(b, st.profileName))
	}
	for _, d := range devices {
		fd := deviceToFile(d, st.deviceName, st.profileName)
		fd.SNMP = deviceSNMPToFile(d.Name, st.deviceSNMP[d.Name])
		f.Devices = append(f.Devices, fd)
	}
	for _, r := range rules {
		f.Rules = append(f.Rules, ruleToFile(r, st.deviceName))
	}
	for _, c := range channels {
		f.Channels = append(f.Channels, channelToFile(c, st.deviceName))
	}
	for _, w := range windows {
		f.Maintenance = append(f.Maintenance, windowToFile(w, st.deviceName))
	}
	for _, e := range jobs {
		f.Schedule = append(f.Schedule, jobToFile(e))
	}
	for _, u := range users {
		f.Users = append(f.Users, userToFile(u))
	}
	sortFile(&f)
	return f
}

// sortFile puts every list in key order, so that an export is the same bytes whatever the ids.
func sortFile(f *File) {
	slices.SortFunc(f.Regions, func(a, b Region) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(f.Profiles, func(a, b Profile) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(f.Branches, func(a, b Branch) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(f.Devices, func(a, b Device) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(f.Rules, func(a, b Rule) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(f.Channels, func(a, b Channel) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(f.Maintenance, func(a, b Window) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(f.Schedule, func(a, b Job) int { return cmp.Compare(a.Task, b.Task) })
	slices.SortFunc(f.Users, func(a, b User) int { return cmp.Compare(a.Username, b.Username) })
}

// allDevices reads every device (not deleted), a page at a time.
func allDevices(ctx context.Context, s *store.Store) ([]store.Device, error) {
	var out []store.Device
	var after int64
	for {
		page, next, err := s.ListDevices(ctx, store.DeviceFilter{After: after, Limit: 1000})
		if err != nil {
			return nil, fmt.Errorf("list devices: %w", err)
		}
		for _, d := range page {
			out = append(out, d.Device)
		}
		if next == 0 {
			return out, nil
		}
		after = next
	}
}

// header opens every exported file.
const header = `# WardOps configuration (api config export). Apply with: api config apply FILE [--dry-run] [--prune]
# Secrets are references: ${env:NAME} or ${file:/path}. Schema: docs/wardops-config.schema.json
`

// Encode writes f as YAML, two-space indented, with the export header.
func Encode(f *File) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(header)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("encode configuration: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode configuration: %w", err)
	}
	return b.Bytes(), nil
}

// Short names of the stored types, for the prune table.
type (
	windowT  = alert.Window
	channelT = notify.Channel
	ruleT    = alert.Rule
	deviceT  = store.Device
	branchT  = store.Branch
	profileT = store.Profile
	regionT  = store.Region
)
