package store

import (
	"context"

	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// DeviceScope limits a query to the devices a scoped user may see (auth.Scope converts to it):
// a device is in scope when its region is one of Regions or its branch one of Branches. The
// zero value limits nothing.
type DeviceScope struct {
	Regions  []string
	Branches []string
}

// All reports whether the scope selects every device.
func (sc DeviceScope) All() bool { return len(sc.Regions) == 0 && len(sc.Branches) == 0 }

// cond returns the SQL condition "device row d is in scope" (d is the alias of a devices row)
// with its parameters appended to args: "true" for the zero scope.
func (sc DeviceScope) cond(d string, args []any) (string, []any) {
	if sc.All() {
		return "true", args
	}
	var parts []string
	if len(sc.Regions) > 0 {
		args = append(args, sc.Regions)
		parts = append(parts, fmt.Sprintf("%s.region = ANY($%d::text[])", d, len(args)))
	}
	if len(sc.Branches) > 0 {
		args = append(args, sc.Branches)
		parts = append(parts, fmt.Sprintf("%s.branch = ANY($%d::text[])", d, len(args)))
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// idsIn returns the condition "column col holds the id of a device in scope", for tables that
// refer to devices by id (alerts, incidents). Rows whose device is gone or NULL (system alerts)
// are outside every limited scope.
func (sc DeviceScope) idsIn(col string, args []any) (string, []any) {
	if sc.All() {
		return "true", args
	}
	c, args := sc.cond("sd", args)
	return col + " IN (SELECT sd.id FROM devices sd WHERE " + c + ")", args
}

// DevicePlace is where a device sits: what a scope decides on.
type DevicePlace struct {
	ID     int64
	Region string
	Branch string
}

// DevicePlaces returns the region and branch of every device, for deciding the scope of live
// events without a query per event.
func (s *Store) DevicePlaces(ctx context.Context) ([]DevicePlace, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT id, region, branch FROM devices WHERE deleted_at IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("read device places: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DevicePlace, error) {
		var p DevicePlace
		err := r.Scan(&p.ID, &p.Region, &p.Branch)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("read device places: %w", err)
	}
	return out, nil
}
