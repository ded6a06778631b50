package configfile

import (
	"context"
	"maps"
	"slices"
)

// pruneList is one list prune deletes from: the stored objects by name, how to delete one,
// and its file representation for the audit row.
type pruneList struct {
	key, kind string
	inFile    []string
	stored    func() map[string]int64
	del       func(ctx context.Context, id int64) error
}

func ids[T any](m map[string]T, id func(T) int64) func() map[string]int64 {
	return func() map[string]int64 {
		out := make(map[string]int64, len(m))
		for k, v := range m {
			out[k] = id(v)
		}
		return out
	}
}

// prune deletes what the file's lists leave out, dependants first (windows, channels and
// rules name devices; devices sit in branches; branches in regions and on profiles).
func (a *applier) prune(ctx context.Context) error {
	f, st, tx := &a.doc.File, a.st, a.tx
	lists := []pruneList{
		{"maintenance", "maintenance", names(f.Maintenance, func(w Window) string { return w.Name }),
			ids(st.windows, func(w windowT) int64 { return w.ID }), tx.DeleteWindow},
		{"channels", "channel", names(f.Channels, func(c Channel) string { return c.Name }),
			ids(st.channels, func(c channelT) int64 { return c.ID }), a.channels.Delete},
		{"rules", "rule", names(f.Rules, func(r Rule) string { return r.Name }),
			ids(st.rules, func(r ruleT) int64 { return r.ID }), tx.DeleteAlertRule},
		{"devices", "device", names(f.Devices, func(d Device) string { return d.Name }),
			ids(st.devices, func(d deviceT) int64 { return d.ID }), tx.DeleteDevice},
		{"branches", "branch", names(f.Branches, func(b Branch) string { return b.Name }),
			ids(st.branches, func(b branchT) int64 { return b.ID }), tx.DeleteBranch},
		{"profiles", "profile", names(f.Profiles, func(p Profile) string { return p.Name }),
			ids(st.profiles, func(p profileT) int64 { return p.ID }), tx.DeleteProfile},
		{"regions", "region", names(f.Regions, func(r Region) string { return r.Name }),
			ids(st.regions, func(r regionT) int64 { return r.ID }), tx.DeleteRegion},
	}
	for _, l := range lists {
		if !a.doc.Has(l.key) {
			continue
		}
		stored := l.stored()
		for _, name := range slices.Sorted(maps.Keys(stored)) {
			if slices.Contains(l.inFile, name) {
				continue
			}
			if err := l.del(ctx, stored[name]); err != nil {
				return a.writeErr(l.key, err)
			}
			if err := a.note(ctx, l.kind, name, OpDelete, nil, stored[name], nil, nil); err != nil {
				return err
			}
		}
	}
	return nil
}
