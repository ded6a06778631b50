package store

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ImportDevice is one device of a bulk import with its parent named, not numbered.
type ImportDevice struct {
	DeviceInput
	ParentName string
	// Line is the device's line in the imported file, for the report of created places.
	Line int
}

// ImportResult counts what an import did.
type ImportResult struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
	// Places says which branches and regions the import created, each on the first line that
	// named it ("line 7: created branch X in region Y").
	Places []string `json:"places"`
}

// ImportDevices writes a whole import in one transaction: devices are created or, when the
// name exists, updated; then parents are linked by name. Either every row lands or none does.
func (s *Store) ImportDevices(ctx context.Context, devs []ImportDevice) (ImportResult, error) {
	var res ImportResult
	if len(devs) == 0 {
		return res, nil
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	n := len(devs)
	names, ips := make([]string, n), make([]netip.Addr, n)
	branches, regions, types, vendors := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	labels, enabled, parents := make([]string, n), make([]bool, n), make([]string, n)
	branchIDs := make([]*int64, n)
	for i, d := range devs {
		names[i], ips[i], types[i], vendors[i] = d.Name, d.IP, d.Type, d.Vendor
		labels[i], enabled[i], parents[i] = string(labelsJSON(d.Labels)), d.Enabled, d.ParentName
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		places, err := importPlaces(ctx, tx, devs)
		if err != nil {
			return err
		}
		for i := range devs {
			branches[i], regions[i], branchIDs[i] = places.refs[i].Branch, places.refs[i].Region, places.refs[i].BranchID
		}
		res.Places = places.report
		rows, err := tx.Query(ctx, `
			INSERT INTO devices AS d (name, ip, branch, region, type, vendor, labels, enabled, branch_id)
			SELECT * FROM unnest($1::text[], $2::inet[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::bool[], $9::bigint[])
			ON CONFLICT (name) WHERE deleted_at IS NULL DO UPDATE SET ip=EXCLUDED.ip, branch=EXCLUDED.branch, region=EXCLUDED.region,
				type=EXCLUDED.type, vendor=EXCLUDED.vendor, labels=EXCLUDED.labels, enabled=EXCLUDED.enabled,
				branch_id=EXCLUDED.branch_id, updated_at=now()
			RETURNING (xmax = 0) AS inserted`, names, ips, branches, regions, types, vendors, labels, enabled, branchIDs)
		if err != nil {
			return fmt.Errorf("upsert devices: %w", err)
		}
		inserted, err := pgx.CollectRows(rows, pgx.RowTo[bool])
		if err != nil {
			return fmt.Errorf("upsert devices: %w", err)
		}
		for _, ins := range inserted {
			if ins {
				res.Created++
			} else {
				res.Updated++
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO device_status (device_id) SELECT id FROM devices WHERE name = ANY($1) AND deleted_at IS NULL
			ON CONFLICT (device_id) DO NOTHING`, names); err != nil {
			return fmt.Errorf("create status rows: %w", err)
		}
		_, err = tx.Exec(ctx, `UPDATE devices d SET parent_id = p.id
			FROM unnest($1::text[], $2::text[]) AS k(name, parent) LEFT JOIN devices p ON p.name = k.parent AND p.deleted_at IS NULL
			WHERE d.name = k.name AND d.deleted_at IS NULL AND d.parent_id IS DISTINCT FROM p.id`, names, parents)
		if err != nil {
			return fmt.Errorf("link parents: %w", err)
		}
		return refuseParentLoop(ctx, tx, names)
	})
	if err != nil {
		return ImportResult{}, mapErr(err, fmt.Sprintf("import %d devices", n))
	}
	return res, nil
}

// importedPlaces are the resolved places of an import's devices and what was created.
type importedPlaces struct {
	refs   []placeRefs
	report []string
}

// importPlaces matches every device's branch and region to the objects (case- and
// whitespace-insensitively), creating the missing ones; one lookup per distinct place.
func importPlaces(ctx context.Context, tx pgx.Tx, devs []ImportDevice) (importedPlaces, error) {
	out := importedPlaces{refs: make([]placeRefs, len(devs)), report: []string{}}
	seen := map[[2]string]placeRefs{}
	for i, d := range devs {
		key := [2]string{strings.ToLower(strings.TrimSpace(d.Branch)), strings.ToLower(strings.TrimSpace(d.Region))}
		if pl, ok := seen[key]; ok {
			out.refs[i] = pl
			continue
		}
		pl, err := resolvePlace(ctx, tx, d.Branch, d.Region, false)
		var ce *ConstraintError
		if errors.As(err, &ce) && ce.Message != "" {
			ce.Message = fmt.Sprintf("line %d: %s", d.Line, ce.Message)
		}
		if err != nil {
			return out, err
		}
		for _, c := range pl.Created {
			out.report = append(out.report, fmt.Sprintf("line %d: %s", d.Line, c))
		}
		pl.Created = nil
		seen[key], out.refs[i] = pl, pl
	}
	return out, nil
}

// DeviceNamesExist reports which of names exist in the inventory.
func (s *Store) DeviceNamesExist(ctx context.Context, names []string) (map[string]bool, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT name FROM devices WHERE name = ANY($1) AND deleted_at IS NULL`, names)
	if err != nil {
		return nil, fmt.Errorf("look up device names: %w", err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("look up device names: %w", err)
	}
	out := make(map[string]bool, len(found))
	for _, n := range found {
		out[n] = true
	}
	return out, nil
}
